"""AK/SK signing: the FACTS.md 5.2 vectors, the official SDK as an oracle, and the httpx auth."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qsl, quote, urlencode

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from hypothesis import given, settings
from hypothesis import strategies as st

from gate.api.auth import AkSkAuth, TokenAuth
from gate.api.signer import canonical_query, canonical_request, encode_query, sdk_date, sign

AK = "QTWAOYTTINDUT2QVKYUC"
SK = "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"
SECURITY_TOKEN = "gQpjbi1ub3J0aC00SECRETTOKEN+/=-_tail"
IAM_TOKEN = "MIIEhwYJKoZIhvcNAQcCoIIEeDCCBHQCAQExDTALBglghkgBZQMEAgEw-SECRET"
SECRETS = (SK, SECURITY_TOKEN, IAM_TOKEN, AK)

EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

# FACTS.md 5.2, first (published) vector.
V1_URL = (
    "https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs"
    "?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0"
)
V1_HEADERS = {
    "Content-Type": "application/json",
    "Host": "service.region.example.com",
    "X-Sdk-Date": "20191115T033655Z",
}
V1_SIGNATURE = "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"

# FACTS.md 5.2, CCE vectors.
CCE_HOST = "cce.ap-southeast-1.myhuaweicloud.com"
PROJECT_ID = "0123456789abcdef0123456789abcdef"
CLUSTER_ID = "6ab9c9b4-0000-4000-8000-000000000001"
INSTANCE_ID = "1d43577d-4b50-4723-b05b-2121f47cb219"
CCE_BASE = f"https://{CCE_HOST}/api/v3/projects/{PROJECT_ID}/clusters/{CLUSTER_ID}/addons/precheck"
CCE_DATE = "20250805T091044Z"
CCE_CLOCK_TIME = datetime(2025, 8, 5, 9, 10, 44, tzinfo=UTC)
CCE_HEADERS = {
    "Content-Type": "application/json",
    "Host": CCE_HOST,
    "X-Project-Id": PROJECT_ID,
    "X-Sdk-Date": CCE_DATE,
}
CCE_GET_URL = f"{CCE_BASE}/tasks?addon_instance_id={INSTANCE_ID}&type=addonUpgrade"
CCE_GET_SIGNATURE = "82240fcf5fc369fe66dbd4c2af5ca4abcc927eab436a08cf95cb02458726a69b"
CCE_POST_BODY = (
    b'{"kind":"AddonCheck","apiVersion":"v3","spec":{"clusterID":"6ab9c9b4-0000-4000-8000-'
    b'000000000001","addonList":[{"addonTemplateName":"coredns","addonInstanceID":"1d43577d-'
    b'4b50-4723-b05b-2121f47cb219","targetVersion":"1.30.33","type":"addonUpgrade"}]}}'
)
# sha256sum of the body above, computed outside Python.
CCE_POST_BODY_SHA256 = "549efb112da6341675bda1874f71d45884cc33eb87eacbb673219bcea39b0971"
CCE_POST_SIGNATURE = "ca5963940c90c96aa874238c01c32a63b765f6d1a20a3377c025ca17c368c748"
CCE_SIGNED_HEADERS = "content-type;host;x-project-id;x-sdk-date"


def authorization(signed_headers: str, signature: str) -> str:
    return f"SDK-HMAC-SHA256 Access={AK}, SignedHeaders={signed_headers}, Signature={signature}"


def official_sign(
    method: str,
    host: str,
    wire_path: str,
    params: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
) -> str:
    """Authorization from huaweicloudsdkcore for the same logical request.

    The SDK takes the path as sent (percent-encoded, it decodes it itself) but the query as raw,
    unencoded (key, value) pairs, and signs every header it is given whose name has no "_".
    """
    request = SdkRequest(
        method=method,
        schema="https",
        host=host,
        resource_path=wire_path,
        query_params=list(params),
        header_params=dict(headers),
        body=body,
    )
    signed = Signer(BasicCredentials(AK, SK)).sign(request)
    value: str = signed.header_params["Authorization"]
    return value


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


# --- FACTS.md test vectors -------------------------------------------------------------------


def test_vector_published_get() -> None:
    assert sign("GET", V1_URL, V1_HEADERS, b"", ak=AK, sk=SK) == authorization(
        "content-type;host;x-sdk-date", V1_SIGNATURE
    )


def test_vector_cce_get() -> None:
    assert sign("GET", CCE_GET_URL, CCE_HEADERS, b"", ak=AK, sk=SK) == authorization(
        CCE_SIGNED_HEADERS, CCE_GET_SIGNATURE
    )


def test_vector_cce_post() -> None:
    assert sign("POST", CCE_BASE, CCE_HEADERS, CCE_POST_BODY, ak=AK, sk=SK) == authorization(
        CCE_SIGNED_HEADERS, CCE_POST_SIGNATURE
    )


def test_vector_published_canonical_request_line_by_line() -> None:
    canonical, signed_headers = canonical_request("get", V1_URL, V1_HEADERS, b"")
    assert signed_headers == "content-type;host;x-sdk-date"
    assert canonical.split("\n") == [
        "GET",
        "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs/",
        "limit=2&marker=13551d6b-755d-4757-b956-536f674975c0",
        "content-type:application/json",
        "host:service.region.example.com",
        "x-sdk-date:20191115T033655Z",
        "",
        "content-type;host;x-sdk-date",
        EMPTY_SHA256,
    ]


def test_vector_cce_post_canonical_request_line_by_line() -> None:
    canonical, _ = canonical_request("POST", CCE_BASE, CCE_HEADERS, CCE_POST_BODY)
    assert canonical.split("\n") == [
        "POST",
        f"/api/v3/projects/{PROJECT_ID}/clusters/{CLUSTER_ID}/addons/precheck/",
        "",
        "content-type:application/json",
        f"host:{CCE_HOST}",
        f"x-project-id:{PROJECT_ID}",
        f"x-sdk-date:{CCE_DATE}",
        "",
        CCE_SIGNED_HEADERS,
        CCE_POST_BODY_SHA256,
    ]


def test_official_signer_reproduces_the_vectors() -> None:
    # Guards the oracle itself: if the SDK ever changed, the property test would prove nothing.
    v1_params = [("limit", "2"), ("marker", "13551d6b-755d-4757-b956-536f674975c0")]
    v1_path = "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs"
    assert official_sign(
        "GET", "service.region.example.com", v1_path, v1_params, V1_HEADERS, b""
    ) == authorization("content-type;host;x-sdk-date", V1_SIGNATURE)
    cce_path = CCE_BASE.removeprefix(f"https://{CCE_HOST}")
    get_params = [("type", "addonUpgrade"), ("addon_instance_id", INSTANCE_ID)]
    assert official_sign(
        "GET", CCE_HOST, cce_path + "/tasks", get_params, CCE_HEADERS, b""
    ) == authorization(CCE_SIGNED_HEADERS, CCE_GET_SIGNATURE)
    assert official_sign(
        "POST", CCE_HOST, cce_path, [], CCE_HEADERS, CCE_POST_BODY
    ) == authorization(CCE_SIGNED_HEADERS, CCE_POST_SIGNATURE)


# --- corners of the canonical form -------------------------------------------------------------


def test_encode_query_rules() -> None:
    params = [("b", "x y"), ("a", "~/&=+é"), ("a", ""), ("é", "1"), ("z", "-_.")]
    # Sorted by the raw key, so the non-ASCII key comes after "z" even though "%C3" < "z".
    assert encode_query(params) == "a=&a=~%2F%26%3D%2B%C3%A9&b=x%20y&z=-_.&%C3%A9=1"


def test_canonical_query_decodes_keeps_blanks_and_reads_plus_as_space() -> None:
    assert canonical_query("b=2&a&a=1&&c=x+y&d=%7e%2f&=") == "=&a=&a=1&b=2&c=x%20y&d=~%2F"


def test_canonical_uri_normalises_escapes_per_segment() -> None:
    headers = {"Host": "h", "X-Sdk-Date": "20250805T091044Z"}
    canonical, _ = canonical_request("GET", "https://h/%7e%61b/x+y/a%2fb/%20", headers, b"")
    assert canonical.split("\n")[1] == "/~ab/x%2By/a%2Fb/%20/"


def test_encoded_slash_is_where_the_official_signer_differs() -> None:
    # The SDK unquotes the whole path before splitting it, so "a%2Fb" counts as two segments
    # (and its own client encodes path parameters with safe="", so a "/" in an ID would be hit).
    # We split first, so the slash stays data inside its segment, as it is on the wire.
    headers = {"Host": "h", "X-Sdk-Date": "20250805T091044Z"}
    official = official_sign("GET", "h", "/a%2Fb/c", [], headers, b"")
    assert official == sign("GET", "https://h/a/b/c", headers, b"", ak=AK, sk=SK)
    assert official != sign("GET", "https://h/a%2Fb/c", headers, b"", ak=AK, sk=SK)


@pytest.mark.parametrize(
    "url", ["https://h/a%zz", "https://h/a%", "https://h/?a=%E9", "https://h/%FF/"]
)
def test_malformed_or_non_utf8_escapes_are_refused(url: str) -> None:
    headers = {"Host": "h", "X-Sdk-Date": "20250805T091044Z"}
    with pytest.raises(ValueError, match="URL"):
        sign("GET", url, headers, b"", ak=AK, sk=SK)


def test_header_values_are_trimmed_and_names_case_folded() -> None:
    padded = {k.upper(): f"  {v}\t" for k, v in V1_HEADERS.items()}
    assert sign("GET", V1_URL, padded, b"", ak=AK, sk=SK) == sign(
        "GET", V1_URL, V1_HEADERS, b"", ak=AK, sk=SK
    )


def test_sdk_date() -> None:
    beijing = timezone(timedelta(hours=8))
    assert sdk_date(datetime(2025, 8, 5, 17, 10, 44, 648388, tzinfo=beijing)) == CCE_DATE
    with pytest.raises(ValueError, match="timezone-aware"):
        sdk_date(datetime(2025, 8, 5, 9, 10, 44))


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"Host": "h"}, "x-sdk-date"),
        ({"X-Sdk-Date": CCE_DATE}, "host"),
        ({"Host": "h", "X-Sdk-Date": "2025-08-05T09:10:44Z"}, "x-sdk-date"),
        ({"Host": "h", "X-Sdk-Date": "20251305T091044Z"}, "x-sdk-date"),
        ({"Host": "h", "host": "h", "X-Sdk-Date": CCE_DATE}, "host"),
    ],
)
def test_sign_rejects_bad_headers_without_leaking(headers: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message) as caught:
        sign("GET", "https://h/", headers, b"", ak=AK, sk=SK)
    assert_no_secret(str(caught.value) + repr(caught.value))


@pytest.mark.parametrize(("ak", "sk"), [(AK + ", x", SK), ("", SK), (AK, ""), (AK + " ", SK)])
def test_sign_rejects_bad_credentials_without_leaking(ak: str, sk: str) -> None:
    with pytest.raises(ValueError) as caught:
        sign("GET", V1_URL, V1_HEADERS, b"", ak=ak, sk=sk)
    assert_no_secret(str(caught.value) + repr(caught.value))


# --- property: ours and the official SDK agree ------------------------------------------------

# Everything the SDK canonicalises the same way we do: spaces, "~", "%", "+", reserved and
# sub-delimiter characters, controls and non-ASCII of every UTF-8 length. "/" is left out of
# path segments only, because the SDK decodes the whole path before splitting (see
# test_encoded_slash_is_where_the_official_signer_differs); it stays in query keys and values.
_SPECIALS = " ~%+&=?#;:@!$'()*,-._/[]\"<>\\^`{|}"
_query_text = st.text(st.characters(codec="utf-8") | st.sampled_from(_SPECIALS), max_size=8)
_segment_text = st.text(
    st.characters(codec="utf-8", exclude_characters="/")
    | st.sampled_from(_SPECIALS.replace("/", "")),
    max_size=8,
)
# What may stay unencoded in a path segment on the wire (RFC 3986 pchar), as httpx leaves it.
_PCHAR_SUBDELIMS = "!$&'()*+,;=:@~"


def _lower_hex(encoded: str) -> str:
    return "".join(c.lower() if c in "ABCDEF" else c for c in encoded)


@st.composite
def _wire_paths(draw: st.DrawFn) -> str:
    segments = draw(st.lists(_segment_text, max_size=5))
    encoders: list[Callable[[str], str]] = [
        lambda s: quote(s, safe=""),
        lambda s: quote(s, safe=_PCHAR_SUBDELIMS),
        lambda s: _lower_hex(quote(s, safe="")),
    ]
    encoded = [draw(st.sampled_from(encoders))(segment) for segment in segments]
    trailing = "/" if draw(st.booleans()) else ""
    return "/" + "/".join(encoded) + trailing


_query_params = st.lists(
    st.tuples(st.sampled_from(["type", "a", "A", "é", "k y", "a/b"]) | _query_text, _query_text),
    max_size=6,
)


def _casing(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from([name, name.lower(), name.upper()])


@st.composite
def _headers(draw: st.DrawFn, host: str) -> dict[str, str]:
    # The SDK reads X-Sdk-Date and Content-Type before it trims header values (padding either one
    # breaks its date parsing or turns on its UNSIGNED-PAYLOAD mode), so only the others get it.
    pad = draw(st.sampled_from(["", " ", "  \t"]))
    when = draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)))
    headers = {
        draw(_casing("Host")): pad + host + pad,
        draw(_casing("X-Sdk-Date")): sdk_date(when.replace(tzinfo=UTC)),
    }
    if draw(st.booleans()):
        content_type = st.sampled_from(["application/json", "application/json;charset=UTF-8"])
        headers[draw(_casing("Content-Type"))] = draw(content_type)
    optional = {
        "X-Project-Id": st.text("0123456789abcdef", min_size=32, max_size=32),
        "X-Security-Token": st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E)),
    }
    for name, values in optional.items():
        if draw(st.booleans()):
            headers[draw(_casing(name))] = pad + draw(values) + pad
    return headers


@st.composite
def _requests(draw: st.DrawFn) -> tuple[str, str, str, list[tuple[str, str]], dict[str, str]]:
    method = draw(st.sampled_from(["GET", "POST", "PUT", "DELETE"]))
    host = draw(st.sampled_from([CCE_HOST, "example.com:8443", "[::1]:8080", "127.0.0.1"]))
    return method, host, draw(_wire_paths()), draw(_query_params), draw(_headers(host))


@settings(max_examples=120, deadline=None)
@given(request=_requests(), body=st.binary(max_size=64), form_encoded=st.booleans())
def test_sign_agrees_with_official_signer(
    request: tuple[str, str, str, list[tuple[str, str]], dict[str, str]],
    body: bytes,
    form_encoded: bool,
) -> None:
    method, host, wire_path, params, headers = request
    # Either our canonical wire form or what urllib/httpx produce (unsorted, "+" for spaces).
    query = urlencode(params) if form_encoded else encode_query(params)
    url = f"https://{host}{wire_path}" + (f"?{query}" if query else "")
    ours = sign(method, url, headers, body, ak=AK, sk=SK)
    assert ours == official_sign(method, host, wire_path, params, headers, body)
    assert canonical_query(query) == encode_query(params)


# --- AkSkAuth and TokenAuth through httpx ------------------------------------------------------

_SIGNED_HEADERS_RE = re.compile(r"SignedHeaders=([^,]+),")


def _client(auth: httpx.Auth, seen: list[httpx.Request]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    return httpx.Client(transport=httpx.MockTransport(handler), auth=auth)


def _fixed_clock() -> datetime:
    return CCE_CLOCK_TIME


def _cce_auth() -> AkSkAuth:
    return AkSkAuth(AK, SK, project_id=PROJECT_ID, clock=_fixed_clock)


def verify_signature(request: httpx.Request) -> None:
    """Recompute the Authorization of a request as it reached the wire, ours and the SDK's."""
    authorization_value = request.headers["Authorization"]
    found = _SIGNED_HEADERS_RE.search(authorization_value)
    assert found is not None
    headers = {name: request.headers[name] for name in found.group(1).split(";")}
    assert {"host", "x-sdk-date"} <= headers.keys()
    wire_path, _, query = request.url.raw_path.decode("ascii").partition("?")
    assert query == canonical_query(query), "the wire query must be the signed one"
    params = parse_qsl(query, keep_blank_values=True, errors="strict")
    host = request.url.netloc.decode("ascii")
    body = request.content
    ours = sign(request.method, str(request.url), headers, body, ak=AK, sk=SK)
    assert ours == authorization_value
    assert official_sign(request.method, host, wire_path, params, headers, body) == ours


def test_auth_get_with_params_matches_official_and_facts_vector() -> None:
    seen: list[httpx.Request] = []
    params = [("type", "addonUpgrade"), ("addon_instance_id", INSTANCE_ID)]
    with _client(_cce_auth(), seen) as client:
        client.get(f"{CCE_BASE}/tasks", params=tuple(params))
    (request,) = seen
    path = f"{CCE_BASE}/tasks".removeprefix(f"https://{CCE_HOST}")
    expected = official_sign("GET", CCE_HOST, path, params, CCE_HEADERS, b"")
    assert expected == authorization(CCE_SIGNED_HEADERS, CCE_GET_SIGNATURE)
    assert request.headers["Authorization"] == expected
    assert request.headers["X-Sdk-Date"] == CCE_DATE
    assert request.headers["Host"] == CCE_HOST
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Project-Id"] == PROJECT_ID
    # httpx sent the params in the given order; the auth rewrote them into the canonical form.
    assert request.url.query == f"addon_instance_id={INSTANCE_ID}&type=addonUpgrade".encode()
    verify_signature(request)


def test_auth_post_json_matches_official_and_facts_vector() -> None:
    seen: list[httpx.Request] = []
    payload = {
        "kind": "AddonCheck",
        "apiVersion": "v3",
        "spec": {
            "clusterID": CLUSTER_ID,
            "addonList": [
                {
                    "addonTemplateName": "coredns",
                    "addonInstanceID": INSTANCE_ID,
                    "targetVersion": "1.30.33",
                    "type": "addonUpgrade",
                }
            ],
        },
    }
    with _client(_cce_auth(), seen) as client:
        client.post(CCE_BASE, json=payload)
    (request,) = seen
    assert request.content == CCE_POST_BODY
    path = CCE_BASE.removeprefix(f"https://{CCE_HOST}")
    expected = official_sign("POST", CCE_HOST, path, [], CCE_HEADERS, CCE_POST_BODY)
    assert expected == authorization(CCE_SIGNED_HEADERS, CCE_POST_SIGNATURE)
    assert request.headers["Authorization"] == expected
    verify_signature(request)


def test_auth_signs_security_token_and_converts_clock_to_utc() -> None:
    seen: list[httpx.Request] = []
    beijing = CCE_CLOCK_TIME.astimezone(timezone(timedelta(hours=8)))
    auth = AkSkAuth(AK, SK, security_token=SECURITY_TOKEN, clock=lambda: beijing)
    with _client(auth, seen) as client:
        client.delete("https://cce.ap-southeast-1.myhuaweicloud.com/api/v3/addons/x")
    (request,) = seen
    assert request.headers["X-Security-Token"] == SECURITY_TOKEN
    assert request.headers["X-Sdk-Date"] == CCE_DATE
    assert "x-project-id" not in request.headers
    assert (
        "SignedHeaders=content-type;host;x-sdk-date;x-security-token,"
        in (request.headers["Authorization"])
    )
    verify_signature(request)


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://CCE.Example.com:443/x", "cce.example.com"),
        ("http://cce.example.com:80/", "cce.example.com"),
        ("https://cce.example.com:8443/p", "cce.example.com:8443"),
        ("http://[::1]:8080/p", "[::1]:8080"),
        ("https://bücher.example/x", "xn--bcher-kva.example"),
    ],
)
def test_auth_host_is_what_httpx_sends(url: str, host: str) -> None:
    seen: list[httpx.Request] = []
    with _client(_cce_auth(), seen) as client:
        client.get(url)
    (request,) = seen
    assert request.headers["Host"] == host
    verify_signature(request)


def test_auth_reads_a_streamed_body_and_keeps_the_callers_content_type() -> None:
    seen: list[httpx.Request] = []
    with _client(_cce_auth(), seen) as client:
        client.put(
            f"{CCE_BASE}/x",
            content=iter([b'{"a":', b"1}"]),
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
    (request,) = seen
    assert request.content == b'{"a":1}'
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    verify_signature(request)


def test_auth_signs_a_host_header_set_by_the_caller() -> None:
    # What goes on the wire is what must be signed, even when it differs from the URL's host.
    seen: list[httpx.Request] = []
    with _client(_cce_auth(), seen) as client:
        client.get("https://10.0.0.5/api/v3/addons", headers={"Host": CCE_HOST})
    (request,) = seen
    assert request.headers["Host"] == CCE_HOST
    authorization_value = request.headers["Authorization"]
    headers = {
        "Host": CCE_HOST,
        "Content-Type": "application/json",
        "X-Project-Id": PROJECT_ID,
        "X-Sdk-Date": CCE_DATE,
    }
    assert authorization_value == official_sign("GET", CCE_HOST, "/api/v3/addons", [], headers, b"")


@settings(max_examples=100, deadline=None)
@given(path=_wire_paths(), params=_query_params, body=st.binary(max_size=32))
def test_auth_random_requests_verify_with_official_signer(
    path: str, params: list[tuple[str, str]], body: bytes
) -> None:
    seen: list[httpx.Request] = []
    # httpx resolves "." and ".." segments itself; the signature covers what it then sends.
    with _client(_cce_auth(), seen) as client:
        client.post(f"https://{CCE_HOST}{path}", params=tuple(params), content=body)
    (request,) = seen
    verify_signature(request)


def test_token_auth_sets_header() -> None:
    seen: list[httpx.Request] = []
    with _client(TokenAuth(IAM_TOKEN), seen) as client:
        client.get(CCE_BASE)
    (request,) = seen
    assert request.headers["X-Auth-Token"] == IAM_TOKEN
    assert "Authorization" not in request.headers


def test_reprs_hide_secrets() -> None:
    auth = AkSkAuth(AK, SK, security_token=SECURITY_TOKEN, project_id=PROJECT_ID)
    assert repr(auth) == (
        f"AkSkAuth(ak='QTWA…', sk=<hidden>, security_token=<hidden>, project_id='{PROJECT_ID}')"
    )
    short = AkSkAuth("AKID", SK)
    token = TokenAuth(IAM_TOKEN)
    for text in (repr(auth), str(auth), repr(short), str(short), repr(token), str(token)):
        assert_no_secret(text)
        assert "AKID" not in text
    assert repr(token) == "TokenAuth(token=<hidden>)"


def _naive_clock() -> datetime:
    return datetime(2025, 8, 5, 9, 10, 44)


def _bad_constructions() -> list[Callable[[], object]]:
    return [
        lambda: AkSkAuth(AK + ",x", SK),
        lambda: AkSkAuth(AK, SK + "\n"),
        lambda: AkSkAuth(AK, SK + "é"),
        lambda: AkSkAuth(AK, ""),
        lambda: AkSkAuth(AK, SK, security_token=SECURITY_TOKEN + "\r\nX-Evil: 1"),
        lambda: AkSkAuth(AK, SK, project_id=PROJECT_ID + " " + SK),
        lambda: TokenAuth(IAM_TOKEN + "\n"),
        lambda: TokenAuth(""),
    ]


@pytest.mark.parametrize("build", _bad_constructions())
def test_bad_credentials_raise_without_leaking(build: Callable[[], object]) -> None:
    with pytest.raises(ValueError) as caught:
        build()
    assert_no_secret(str(caught.value) + repr(caught.value) + repr(caught.value.args))


@pytest.mark.parametrize(
    ("auth", "url"),
    [
        (AkSkAuth(AK, SK, security_token=SECURITY_TOKEN, clock=_naive_clock), CCE_BASE),
        (AkSkAuth(AK, SK, security_token=SECURITY_TOKEN), f"{CCE_BASE}?a=%E9"),
        (AkSkAuth(AK, SK, security_token=SECURITY_TOKEN), f"{CCE_BASE}/%zz"),
    ],
)
def test_signing_errors_in_httpx_do_not_leak(auth: AkSkAuth, url: str) -> None:
    seen: list[httpx.Request] = []
    with _client(auth, seen) as client, pytest.raises(ValueError) as caught:
        client.get(url)
    assert not seen
    assert_no_secret(str(caught.value) + repr(caught.value) + repr(caught.value.args))
