"""httpx authentication for the Huawei Cloud APIs: AK/SK signing and IAM tokens.

Credentials live only in private attributes; ``repr`` and every error message leave them out so
that a traceback or a debug log in CI never leaks them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator
from datetime import UTC, datetime

import httpx

from gate.api.signer import HEADER_DATE, canonical_query, sdk_date, sign

__all__ = ["AkSkAuth", "TokenAuth"]

_HIDDEN = "<hidden>"
# Visible ASCII only: anything else either cannot be sent in a header or, when httpx/h11 reject
# it, would be echoed back inside their exception message.
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+", re.ASCII)
# As above minus the comma, which would split the Authorization header's Access= field.
_ACCESS_KEY = re.compile(r"[\x21-\x2b\x2d-\x7e]+", re.ASCII)
_AK_PREFIX = 4


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _require(value: str, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ValueError(f"{what} must be a non-empty string of visible ASCII characters")
    return value


class AkSkAuth(httpx.Auth):
    """Sign each request with ``SDK-HMAC-SHA256`` (FACTS.md section 5.2)."""

    requires_request_body = True

    def __init__(
        self,
        ak: str,
        sk: str,
        *,
        security_token: str | None = None,
        project_id: str | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._ak = _require(ak, _ACCESS_KEY, "the access key (without commas)")
        self._sk = _require(sk, _VISIBLE_ASCII, "the secret key")
        self._security_token = (
            None
            if security_token is None
            else _require(security_token, _VISIBLE_ASCII, "the security token")
        )
        self._project_id = (
            None if project_id is None else _require(project_id, _VISIBLE_ASCII, "the project ID")
        )
        self._clock = clock

    def __repr__(self) -> str:
        # Long enough AKs show a prefix so operators can tell key pairs apart; short ones would
        # give most of the value away.
        ak = f"'{self._ak[:_AK_PREFIX]}…'" if len(self._ak) >= 2 * _AK_PREFIX else _HIDDEN
        fields = [f"ak={ak}", f"sk={_HIDDEN}"]
        if self._security_token is not None:
            fields.append(f"security_token={_HIDDEN}")
        if self._project_id is not None:
            fields.append(f"project_id={self._project_id!r}")
        return f"{type(self).__name__}({', '.join(fields)})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the signing headers and ``Authorization``, then send the request once."""
        _canonicalise_query(request)
        signed = self._headers_to_sign(request)
        for name, value in signed.items():
            request.headers[name] = value
        request.headers["Authorization"] = sign(
            request.method,
            str(request.url),
            signed,
            request.content,
            ak=self._ak,
            sk=self._sk,
        )
        yield request

    def _headers_to_sign(self, request: httpx.Request) -> dict[str, str]:
        # httpx already puts the URL's netloc (lower-cased host, default port dropped, IDNA) in
        # Host; fall back to the same value in case a caller removed it.
        headers = {
            "Host": request.headers.get("Host") or request.url.netloc.decode("ascii"),
            "Content-Type": request.headers.get("Content-Type") or "application/json",
            HEADER_DATE: sdk_date(self._clock()),
        }
        if self._project_id is not None:
            headers["X-Project-Id"] = self._project_id
        if self._security_token is not None:
            headers["X-Security-Token"] = self._security_token
        return headers


def _canonicalise_query(request: httpx.Request) -> None:
    # The gateway recomputes the canonical query from what it receives; sending the canonical form
    # itself removes any doubt about "+" or ordering (httpx's params= encodes spaces as "+").
    wire = request.url.query.decode("ascii")
    canonical = canonical_query(wire)
    if canonical != wire:
        request.url = request.url.copy_with(query=canonical.encode("ascii") or None)


class TokenAuth(httpx.Auth):
    """Send an IAM token as ``X-Auth-Token`` (FACTS.md section 5.1)."""

    def __init__(self, token: str) -> None:
        self._token = _require(token, _VISIBLE_ASCII, "the token")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(token={_HIDDEN})"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add ``X-Auth-Token`` and send the request once."""
        request.headers["X-Auth-Token"] = self._token
        yield request
