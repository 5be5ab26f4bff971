"""The one place where secrets are taken out of everything gate writes.

Live mode registers every credential it uses (:func:`register`) before any flag value or answer
is shown; every writer (the account, progress lines, error lines, every report, the saved
response) passes its text through :func:`scrub`. A secret is found literally and in the forms
it takes when text is embedded somewhere else: URL-encoded, JSON-escaped and base64 (at each of
the three alignments, so it is found inside a longer base64 string too). Whatever looks like an
``Authorization`` value, a token header or a signature is removed even when gate did not know
the value (an error body may echo a request's headers).
"""

from __future__ import annotations

import base64
import json
import re
import threading
from urllib.parse import quote, quote_plus

__all__ = ["REDACTED", "register", "registered", "reset", "scrub"]

REDACTED = "<redacted>"
# Secrets shorter than this are not searched for: replacing a two-letter string everywhere would
# garble every message, and no real credential is that short.
MIN_SECRET = 4

_HEADER_VALUE = re.compile(
    r"(?i)((?:authorization|x-auth-token|x-subject-token|x-security-token)"
    r"[\"']?\s*[:=]\s*[\"']?)([^\"'\\\r\n,}]*)"
)
_SIGNATURE = re.compile(r"(?i)(signature\s*[=:]\s*)[0-9a-f]{16,}")

_lock = threading.Lock()
_secrets: set[str] = set()
_forms: list[str] = []


def register(*values: str | None) -> None:
    """Remember credentials: from now on no form of them leaves through :func:`scrub`."""
    global _forms
    with _lock:
        fresh = {v for v in values if v and len(v) >= MIN_SECRET} - _secrets
        if not fresh:
            return
        _secrets.update(fresh)
        found = {form for secret in _secrets for form in _forms_of(secret)}
        # longest first: a form that contains another must be replaced before it
        _forms = sorted((f for f in found if len(f) >= MIN_SECRET), key=len, reverse=True)


def registered() -> bool:
    return bool(_secrets)


def reset() -> None:
    """Forget every secret (tests, and a process that judges several accounts one by one)."""
    global _forms
    with _lock:
        _secrets.clear()
        _forms = []


def scrub(text: str) -> str:
    """``text`` without any registered secret, Authorization value or signature."""
    for form in _forms:
        if form in text:
            text = text.replace(form, REDACTED)
    text = _HEADER_VALUE.sub(lambda m: m.group(1) + REDACTED, text)
    return _SIGNATURE.sub(lambda m: m.group(1) + REDACTED, text)


def _forms_of(secret: str) -> set[str]:
    forms = {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret, safe=""),
        quote_plus(secret),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    }
    forms |= {form.lower() for form in forms if "%" in form}
    raw = secret.encode("utf-8")
    for shift in range(3):
        encoded = base64.b64encode(b"\0" * shift + raw).decode("ascii").rstrip("=")
        # drop the characters that also depend on the unknown bytes before and after the secret
        start = 0 if shift == 0 else (shift * 8 + 5) // 6
        end = len(encoded) - (0 if (shift + len(raw)) % 3 == 0 else 1)
        middle = encoded[start:end]
        if len(middle) >= 8:
            forms.add(middle)
            forms.add(middle.replace("+", "-").replace("/", "_"))
    return forms
