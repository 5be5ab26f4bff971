"""Huawei Cloud AK/SK request signing, algorithm ``SDK-HMAC-SHA256`` (FACTS.md section 5.2).

Pure functions over plain values so the algorithm can be checked against the official SDK without
any HTTP machinery. Error messages name headers or parts of the URL but never carry a credential.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import quote, unquote, urlsplit

__all__ = [
    "ALGORITHM",
    "HEADER_DATE",
    "canonical_query",
    "canonical_request",
    "encode_query",
    "sdk_date",
    "sign",
]

ALGORITHM = "SDK-HMAC-SHA256"
HEADER_DATE = "X-Sdk-Date"
_HEADER_HOST = "Host"
_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
# re.ASCII because a bare \d would accept other scripts' digits, which the gateway cannot parse.
_DATE_RE = re.compile(r"\d{8}T\d{6}Z", re.ASCII)
# A "%" not followed by two hex digits has no defined meaning; the gateway may read it differently
# from us, and a signature mismatch costs a 401 (five in a row lock the key), so refuse it up front.
_BAD_ESCAPE_RE = re.compile(r"%(?![0-9A-Fa-f]{2})")
# Access key IDs are upper-case alphanumerics; anything that could break the header's own syntax
# (space, comma, control characters, non-ASCII) is rejected.
_AK_RE = re.compile(r"[\x21-\x2b\x2d-\x7e]+", re.ASCII)
_UNRESERVED = "-_.~"


def sdk_date(now: datetime) -> str:
    """Format an aware datetime as the ``X-Sdk-Date`` value: UTC ``YYYYMMDDTHHMMSSZ``."""
    if now.tzinfo is None or now.utcoffset() is None:
        # A naive local time would silently be hours off and the gateway allows 15 minutes of skew.
        raise ValueError("sdk_date needs a timezone-aware datetime")
    return now.astimezone(UTC).strftime(_DATE_FORMAT)


def _encode(value: str) -> str:
    # quote() emits upper-case hex and UTF-8, which is exactly the canonical form.
    return quote(value, safe=_UNRESERVED)


def _decode(value: str, *, what: str) -> str:
    if _BAD_ESCAPE_RE.search(value):
        raise ValueError(f"malformed percent-escape in the URL {what}")
    try:
        return unquote(value, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise ValueError(f"percent-escapes in the URL {what} are not valid UTF-8") from None


def encode_query(params: Sequence[tuple[str, str]]) -> str:
    """Encode query parameters in canonical form, suitable both for the wire and for signing.

    Pairs are sorted by the raw (decoded) key, then value, as the official SDK does; sorting the
    encoded strings would order non-ASCII keys differently.
    """
    return "&".join(f"{_encode(key)}={_encode(value)}" for key, value in sorted(params))


def _parse_query(query: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for piece in query.split("&"):
        if not piece:
            continue
        key, _, value = piece.partition("=")
        # "+" means space in form encoding, which is what httpx's params= and urllib produce;
        # encode_query never emits a bare "+", so canonical queries are unaffected.
        pairs.append(
            (
                _decode(key.replace("+", " "), what="query"),
                _decode(value.replace("+", " "), what="query"),
            )
        )
    return pairs


def canonical_query(query: str) -> str:
    """Re-encode a wire query string (without ``?``) in canonical form.

    Blank values are kept (``a`` and ``a=`` both become ``a=``) and ``+`` reads as a space.
    """
    return encode_query(_parse_query(query))


def _canonical_uri(path: str) -> str:
    # Split before decoding so that an encoded slash (%2F) stays inside its segment.
    segments = [_encode(_decode(segment, what="path")) for segment in path.split("/")]
    uri = "/".join(segments)
    return uri if uri.endswith("/") else uri + "/"


def _canonical_headers(headers: Mapping[str, str]) -> tuple[str, str]:
    lowered: dict[str, str] = {}
    for name, value in headers.items():
        key = name.lower()
        if key in lowered:
            raise ValueError(f"header {key!r} is given more than once")
        lowered[key] = value.strip()
    for required in (_HEADER_HOST.lower(), HEADER_DATE.lower()):
        if required not in lowered:
            raise ValueError(f"the {required!r} header is required for signing")
    names = sorted(lowered)
    block = "".join(f"{name}:{lowered[name]}\n" for name in names)
    return block, ";".join(names)


def check_signable(url: str) -> None:
    """Raise ValueError when the URL's path or query cannot be put in canonical form (for a
    Location header from the server, before it becomes the next request)."""
    parts = urlsplit(url)
    canonical_query(parts.query)
    _canonical_uri(parts.path)


def canonical_request(
    method: str, url: str, headers: Mapping[str, str], body: bytes
) -> tuple[str, str]:
    """Build the canonical request and the SignedHeaders string.

    ``url`` is the URL as sent on the wire; only its path and query matter. ``headers`` are
    exactly the headers to sign and must include ``Host`` and ``X-Sdk-Date``.
    """
    parts = urlsplit(url)
    header_block, signed_headers = _canonical_headers(headers)
    query = canonical_query(parts.query)
    lines = (
        method.upper(),
        _canonical_uri(parts.path),
        query,
        header_block,
        signed_headers,
        hashlib.sha256(body).hexdigest(),
    )
    return "\n".join(lines), signed_headers


def _check_date(value: str) -> None:
    message = "the 'x-sdk-date' header must be UTC YYYYMMDDTHHMMSSZ"
    if not _DATE_RE.fullmatch(value):
        raise ValueError(message)
    try:
        datetime.strptime(value, _DATE_FORMAT)
    except ValueError:
        raise ValueError(message) from None


def _header_value(headers: Mapping[str, str], name: str) -> str:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value.strip()
    raise ValueError(f"the {wanted!r} header is required for signing")


def sign(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    ak: str,
    sk: str,
) -> str:
    """Return the ``Authorization`` header value for a request.

    The date comes from the ``X-Sdk-Date`` entry of ``headers`` so that signing is deterministic;
    the caller also sends that header.
    """
    if not _AK_RE.fullmatch(ak):
        raise ValueError("the access key must be non-empty printable ASCII without ',' or spaces")
    if not sk:
        raise ValueError("the secret key must not be empty")
    date = _header_value(headers, HEADER_DATE)
    _check_date(date)
    canonical, signed_headers = canonical_request(method, url, headers, body)
    string_to_sign = "\n".join(
        (ALGORITHM, date, hashlib.sha256(canonical.encode("utf-8")).hexdigest())
    )
    signature = hmac.new(
        sk.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256
    ).hexdigest()
    return f"{ALGORITHM} Access={ak}, SignedHeaders={signed_headers}, Signature={signature}"
