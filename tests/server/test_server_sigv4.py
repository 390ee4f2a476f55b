"""--auth: requests must carry a valid AWS Signature Version 4 for a configured key (botocore signs here)."""
import gzip
import hashlib
import json
import re
import time

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from srvhelpers import raw_request

from pyddb.server.app import ServerThread
from pyddb.server.auth import SigV4Access, canonical_request, parse_authorization
from pyddb.server.protocol import Request
from pyddb.server.testing import boto3_client

KEYS = {"AKIDEXAMPLE": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "second": "sec:ret"}
LIST = "DynamoDB_20120810.ListTables"
MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your AWS "
            "Secret Access Key and signing method. Consult the service documentation for details.")


@pytest.fixture(scope="module")
def signed_server():
    srv = ServerThread(None, authenticator=SigV4Access(KEYS)).start()
    yield srv
    srv.stop()


def sign(url, body=b"{}", target=LIST, key="AKIDEXAMPLE", secret=None, region="eu-west-1",
         service="dynamodb", headers=None, token=None):
    """Headers botocore's SigV4 signer puts on this request."""
    req = AWSRequest("POST", url + "/", data=body,
                     headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": target,
                              **(headers or {})})
    SigV4Auth(Credentials(key, secret or KEYS.get(key, "nope"), token), service, region).add_auth(req)
    return dict(req.headers.items())


def send(url, headers, body=b"{}", path="/"):
    status, h, out = raw_request(url, "POST", body, headers, auth=False, path=path)
    return status, json.loads(out)


def error(code, message):
    return {"__type": "com.amazon.coral.service#" + code, "message": message}


def test_boto3_with_a_configured_key_is_served(signed_server):
    for key, secret in KEYS.items():
        client = boto3_client(signed_server.url, key=key, secret=secret, region="ap-south-1")
        assert "TableNames" in client.list_tables()


def test_session_tokens_are_signed_over_and_accepted(signed_server):
    status, out = send(signed_server.url, sign(signed_server.url, token="FQoGZXIvYXdzEXAMPLE"))
    assert status == 200


def test_wrong_secret_is_an_invalid_signature(signed_server):
    client = boto3_client(signed_server.url, key="AKIDEXAMPLE", secret="wrong")
    with pytest.raises(ClientError) as e:
        client.list_tables()
    err = e.value.response["Error"]
    assert err["Code"] == "InvalidSignatureException"
    assert err["Message"].startswith(
        MISMATCH + "\n\nThe Canonical String for this request should have been\n'")
    assert "\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n" in err["Message"]


def test_unknown_key_is_an_unrecognized_client(signed_server):
    client = boto3_client(signed_server.url, key="nobody", secret="x")
    with pytest.raises(ClientError) as e:
        client.list_tables()
    assert e.value.response["Error"] == {"Code": "UnrecognizedClientException",
                                         "Message": "The security token included in the request is invalid."}


def test_altered_body_fails(signed_server):
    headers = sign(signed_server.url, b'{"Limit": 5}')
    assert send(signed_server.url, headers, b'{"Limit": 5}')[0] == 200
    status, out = send(signed_server.url, headers, b'{"Limit": 6}')
    assert status == 400 and out["__type"] == "com.amazon.coral.service#InvalidSignatureException"
    assert out["message"].startswith(MISMATCH)


def test_altered_signed_header_fails(signed_server):
    headers = sign(signed_server.url)
    headers["X-Amz-Target"] = "DynamoDB_20120810.DescribeLimits"
    status, out = send(signed_server.url, headers)
    assert out["message"].startswith(MISMATCH)


def test_declared_content_sha256_must_be_the_bodys(signed_server):
    headers = sign(signed_server.url, headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    status, out = send(signed_server.url, headers)
    assert status == 400 and out["__type"].endswith("#InvalidSignatureException")
    ok = sign(signed_server.url, headers={"X-Amz-Content-SHA256": hashlib.sha256(b"{}").hexdigest()})
    assert send(signed_server.url, ok)[0] == 200


def test_gzip_body_is_signed_as_sent(signed_server):
    body = gzip.compress(b"{}")
    headers = sign(signed_server.url, body, headers={"Content-Encoding": "gzip"})
    assert send(signed_server.url, headers, body)[0] == 200


def test_no_signature_at_all_is_missing_authentication_token(signed_server):
    status, h, out = raw_request(signed_server.url, "POST", b"{}", target=LIST, auth=False)
    assert json.loads(out) == error("MissingAuthenticationTokenException",
                                    "Request is missing Authentication Token")


def test_health_check_needs_no_signature(signed_server):
    assert raw_request(signed_server.url, "GET", auth=False)[0] == 200


def _checked(url, clock):
    """Run the check of a request botocore signs now against an authenticator whose clock says `clock`."""
    headers = {k.lower(): v for k, v in sign(url).items()}
    headers["host"] = url.split("//", 1)[1]
    req = Request("POST", "/", headers, b"{}", peer="127.0.0.1")
    return SigV4Access(KEYS, clock=lambda: clock).check(req), headers["x-amz-date"]


def _fmt(t):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(t))


def test_signature_expired_after_15_minutes(signed_server):
    from pyddb.errors import InvalidSignatureException

    now = time.time() + 16 * 60
    with pytest.raises(InvalidSignatureException) as e:
        _checked(signed_server.url, now)
    m = re.fullmatch(r"Signature expired: (\d{8}T\d{6}Z) is now earlier than (\d{8}T\d{6}Z) "
                     r"\((\d{8}T\d{6}Z) - 15 min\.\)", e.value.message)
    assert m and m.group(2) == _fmt(now - 900) and m.group(3) == _fmt(now)
    _checked(signed_server.url, time.time() + 14 * 60)        # inside the window


def test_signature_not_yet_current_15_minutes_ahead(signed_server):
    from pyddb.errors import InvalidSignatureException

    now = time.time() - 16 * 60
    with pytest.raises(InvalidSignatureException) as e:
        _checked(signed_server.url, now)
    m = re.fullmatch(r"Signature not yet current: (\d{8}T\d{6}Z) is still later than (\d{8}T\d{6}Z) "
                     r"\((\d{8}T\d{6}Z) \+ 15 min\.\)", e.value.message)
    assert m and m.group(2) == _fmt(now + 900) and m.group(3) == _fmt(now)


def _auth(signed_headers="host;x-amz-date", credential=None, algorithm="AWS4-HMAC-SHA256"):
    credential = credential or "AKIDEXAMPLE/%s/us-east-1/dynamodb/aws4_request" % time.strftime(
        "%Y%m%d", time.gmtime())
    return {"X-Amz-Target": LIST, "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Date": _fmt(time.time()),
            "Authorization": "%s Credential=%s, SignedHeaders=%s, Signature=%s"
                             % (algorithm, credential, signed_headers, "0" * 64)}


@pytest.mark.parametrize("headers,want", [
    ({**_auth(), "X-Amz-Date": "201"},
     ("IncompleteSignatureException",
      "Date must be in ISO-8601 'basic format'. Got '201'. See http://en.wikipedia.org/wiki/ISO_8601")),
    (_auth(signed_headers="x-amz-date"),
     ("InvalidSignatureException", "'Host' must be a 'SignedHeader' in the AWS Authorization.")),
    (_auth(algorithm="AWS4-HMAC-SHA25"),
     ("IncompleteSignatureException",
      "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA25' (only AWS4-HMAC-SHA256 for now). ")),
    (_auth(credential="a/b/c/d"),
     ("IncompleteSignatureException", "Credential must have exactly 5 slash-delimited elements, e.g. "
                                      "keyid/date/region/service/term, got 'a/b/c/d'")),
    (_auth(credential="AKIDEXAMPLE/%s/us-east-1/s3/aws4_request" % time.strftime("%Y%m%d", time.gmtime())),
     ("InvalidSignatureException", "Credential should be scoped to correct service: 'dynamodb'.")),
    (_auth(credential="AKIDEXAMPLE/b/c/d/e"),
     ("InvalidSignatureException",
      "Credential should be scoped to correct service: 'dynamodb'. Credential should be scoped with a valid "
      "terminator: 'aws4_request', not 'e'. Date in Credential scope does not match YYYYMMDD from ISO-8601 "
      "version of date from HTTP: 'b' != '%s', from '%s'.")),
])
def test_malformed_signatures(signed_server, headers, want):
    status, out = send(signed_server.url, headers)
    code, message = want
    if "%s" in message:
        date = headers["X-Amz-Date"]
        message = message % (date[:8], date)
    assert (status, out) == (400, error(code, message))


def test_presigned_query_string(signed_server):
    """Query-string authentication (X-Amz-* parameters). botocore's presigner moves a body into the query, as
    for query-protocol services, so this request has none: past authentication it is DynamoDB's
    SerializationException for an empty body, where a tampered signature is an InvalidSignature."""
    req = AWSRequest("POST", signed_server.url + "/", data=b"",
                     headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": LIST})
    SigV4QueryAuth(Credentials("AKIDEXAMPLE", KEYS["AKIDEXAMPLE"]), "dynamodb", "us-east-1").add_auth(req)
    path = req.url.split(signed_server.url, 1)[1]
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": LIST}
    assert send(signed_server.url, headers, b"", path=path) == (
        400, {"__type": "com.amazon.coral.service#SerializationException"})
    bad = path.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    assert send(signed_server.url, headers, b"", path=bad)[1]["message"].startswith(MISMATCH)


def test_a_valid_signature_is_accepted_from_any_peer():
    headers = {k.lower(): v for k, v in sign("http://db.example:8000").items()}
    headers["host"] = "db.example:8000"
    SigV4Access(KEYS).check(Request("POST", "/", headers, b"{}", peer="203.0.113.9"))


@pytest.mark.parametrize("path", ["/", "/a b/c", "/a/./b/../c", "/%41%2F", "/x/", "//double", "/ü"])
@pytest.mark.parametrize("query", ["", "b=2&a=1", "a=1&a=0", "k=%20v&z", "x=%2B%2F"])
def test_canonical_request_is_botocores(path, query):
    """For URLs encoded as SDKs encode them. (A raw '+' in a query: botocore signs the text as it is, the
    JS SDK re-encodes it; pyddb, like AWS's documentation, uses the RFC 3986 form %2B.)"""
    from urllib.parse import quote

    url = "http://h:1" + quote(path, safe="/%") + ("?" + query if query else "")
    req = AWSRequest("POST", url, data=b"{}", headers={"X-Amz-Target": LIST, "X-Multi": "  a   b  "})
    signer = SigV4Auth(Credentials("AKIDEXAMPLE", "s"), "dynamodb", "us-east-1")
    seen = []
    real = signer.canonical_request
    signer.canonical_request = lambda r: seen.append(real(r)) or seen[-1]   # the one signed
    signer.add_auth(req)
    theirs = seen[0]
    headers = {k.lower(): v for k, v in req.headers.items()}
    headers["host"] = "h:1"
    mine_req = Request("POST", url.split("h:1", 1)[1], headers, b"{}")
    a = parse_authorization(mine_req)
    mine = canonical_request("POST", a.path, a.query_pairs, headers, a.params["SignedHeaders"],
                             hashlib.sha256(b"{}").hexdigest(), False)
    assert mine == theirs
