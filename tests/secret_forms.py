"""The forms a secret takes when text is embedded elsewhere, for the tests' secret searches.

Written independently of ``gate.redaction`` on purpose: the tests search for these, and check
(as a cross-check only) that redaction removes each of them from the text it shows up in.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus


def forms(secret: str) -> dict[str, str]:
    """Every way the secret could show up in text (written independently of gate.redaction),
    each with a text it shows up in."""
    raw = secret.encode()
    found = {
        secret: secret,
        quote(secret, safe=""): quote(secret, safe=""),
        quote(secret, safe="/"): quote(secret, safe="/"),
        quote_plus(secret): quote_plus(secret),
        json.dumps(secret)[1:-1]: json.dumps({"k": secret}),
    }
    # inside a longer base64 text: the characters that do not depend on the neighbours
    for lead in (b"", b"x", b"xy"):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(lead + raw + b"zz").decode()
            skip = {0: 0, 1: 2, 2: 3}[len(lead)]
            keep = (len(raw) * 4) // 3 - 2
            found[encoded[skip : skip + keep]] = encoded
    return {form: text for form, text in found.items() if len(form) >= 8}
