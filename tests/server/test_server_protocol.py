"""The JSON 1.0 protocol at the HTTP level: DynamoDB's answers to malformed and unusual requests.

Expected bodies, statuses and x-amz-crc32 values are the ones dynalite's test/connection.js asserts (its tests
run against DynamoDB itself with REMOTE=1), so a byte-for-byte match here is a match with DynamoDB's envelope.
"""
import json
import re
import zlib

import pytest
from srvhelpers import DUMMY_AUTH

LIST = "DynamoDB_20120810.ListTables"
GET = "DynamoDB_20120810.GetItem"
PUT = "DynamoDB_20120810.PutItem"
SERIALIZATION = {"__type": "com.amazon.coral.service#SerializationException"}
UNKNOWN_OP = {"__type": "com.amazon.coral.service#UnknownOperationException"}


def assert_dynamodb_response(status, headers, body, want_status, want_body, crc32=None,
                             content_type="application/json"):
    assert status == want_status
    assert json.loads(body) == want_body
    assert re.fullmatch(r"[0-9A-Z]{52}", headers["x-amzn-requestid"])
    assert headers["x-amz-crc32"] == str(zlib.crc32(body))
    if crc32 is not None:                      # the exact bytes DynamoDB sends (compact JSON, key order)
        assert headers["x-amz-crc32"] == str(crc32)
    assert headers["content-type"] == content_type
    assert headers["content-length"] == str(len(body))


# ---- before the JSON: method, content type -----------------------------------------------------------------


def test_get_is_the_health_check(raw):
    status, headers, body = raw("GET", auth=False)
    assert status == 200
    assert body == b"healthy: dynamodb.us-east-1.amazonaws.com "
    assert headers["x-amz-crc32"] == str(zlib.crc32(body))
    assert headers["content-length"] == "42"
    assert re.fullmatch(r"[0-9A-Z]{52}", headers["x-amzn-requestid"])


def test_get_on_any_path_is_the_health_check(raw):
    assert raw("GET", auth=False, path="/ping")[2].startswith(b"healthy: ")


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_get_the_404_unknown_operation_page(raw, method):
    status, headers, body = raw(method, auth=False)
    assert (status, body) == (404, b"<UnknownOperationException/>\n")
    assert headers["x-amz-crc32"] == "3552371480"
    assert headers["content-length"] == "29"


@pytest.mark.parametrize("ctype", [None, "whatever", "application/x-amz-json-1.1", "application/jsonasdf",
                                   "text/plain"])
def test_a_body_with_a_content_type_that_is_not_json_gets_404(raw, ctype):
    headers = {"Content-Type": ctype} if ctype else {}
    status, _, body = raw("POST", b"hi", headers, auth=False)
    assert (status, body) == (404, b"<UnknownOperationException/>\n")


@pytest.mark.parametrize("ctype,response_type", [
    ("application/json", "application/json"),
    ("application/x-amz-json-1.0", "application/x-amz-json-1.0"),
    ("application/json;", "application/json"),
    ("  application/json  ;   asfd", "application/json"),
    ("application/x-amz-json-1.0;blahblah", "application/x-amz-json-1.0"),
])
def test_a_body_that_is_not_json_is_a_serialization_exception(raw, ctype, response_type):
    status, headers, body = raw("POST", b"hi", {"Content-Type": ctype}, auth=False)
    assert_dynamodb_response(status, headers, body, 400, SERIALIZATION, 3948637019, response_type)


# ---- the target --------------------------------------------------------------------------------------------


def test_no_target_is_an_unknown_operation(raw):
    status, headers, body = raw("POST", auth=False)
    assert_dynamodb_response(status, headers, body, 400, UNKNOWN_OP, 1368724161)


@pytest.mark.parametrize("target", ["whatever", "DynamoDB_20120810.ListTable", "DynamoDB_20120810",
                                    "DynamoDB_20111205.ListTables", "dynamodb_20120810.ListTables",
                                    "DynamoDBStreams_20120810.PutItem", "DynamoDB_20120810.GetRecords",
                                    "DynamoDB_20120810.ListTables.x"])
def test_targets_that_name_no_operation(raw, target):
    status, headers, body = raw("POST", b"{}", {"X-Amz-Target": target,
                                                "Content-Type": "application/x-amz-json-1.0"})
    assert_dynamodb_response(status, headers, body, 400, UNKNOWN_OP, 1368724161, "application/x-amz-json-1.0")


def test_unknown_operation_is_checked_before_authentication(raw):
    status, headers, body = raw("POST", b"{}", {"Content-Type": "application/json"}, auth=False)
    assert_dynamodb_response(status, headers, body, 400, UNKNOWN_OP, 1368724161)


def test_not_json_is_checked_before_the_target(raw):
    status, headers, body = raw("POST", b"{", {"X-Amz-Target": "nope", "Content-Type": "application/json"})
    assert json.loads(body) == SERIALIZATION


# ---- authentication shape (the default policy still needs a SigV4-shaped request) --------------------------


MISSING = {"__type": "com.amazon.coral.service#MissingAuthenticationTokenException",
           "message": "Request is missing Authentication Token"}


@pytest.mark.parametrize("auth", [None, "AWS4", "X", "Basic dXNlcjpwYXNz"])
def test_missing_authentication_token(raw, auth):
    headers = {"X-Amz-Target": LIST}
    if auth:
        headers["Authorization"] = auth
    status, h, body = raw("POST", b"", headers, auth=False)
    assert_dynamodb_response(status, h, body, 400, MISSING, 2088342776 if auth in (None, "AWS4") else None)


@pytest.mark.parametrize("auth,date,message,crc", [
    ("AWS4-", None,
     "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' "
     "parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires "
     "existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-", 1828866742),
    ("AWS4- Signature=b Credential=a", "a",
     "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4- Signature=b Credential=a",
     15336762),
    ("AWS4- Signature=b,Credential=a", "a",
     "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4- Signature=b,Credential=a",
     1159703774),
    ("AWS4- Signature=b, Credential=a", "a",
     "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4- Signature=b, Credential=a",
     164353342),
])
def test_incomplete_signature(raw, auth, date, message, crc):
    headers = {"X-Amz-Target": LIST, "Authorization": auth}
    if date:
        headers["Date"] = date
    status, h, body = raw("POST", b"", headers, auth=False)
    want = {"__type": "com.amazon.coral.service#IncompleteSignatureException", "message": message}
    assert_dynamodb_response(status, h, body, 400, want, crc)


def test_both_header_and_query_authentication(raw):
    status, h, body = raw("POST", b"", {"X-Amz-Target": LIST, "Authorization": "X"}, auth=False,
                          path="/?X-Amz-Algorithm")
    want = {"__type": "com.amazon.coral.service#InvalidSignatureException",
            "message": "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP "
                       "header."}
    assert_dynamodb_response(status, h, body, 400, want, 2139606068)


@pytest.mark.parametrize("path,message,crc", [
    ("/?X-Amz-Algorithm",
     "AWS query-string parameters must include 'X-Amz-Algorithm'. AWS query-string parameters must include "
     "'X-Amz-Credential'. AWS query-string parameters must include 'X-Amz-Signature'. AWS query-string "
     "parameters must include 'X-Amz-SignedHeaders'. AWS query-string parameters must include 'X-Amz-Date'. "
     "Re-examine the query-string parameters.", 2900502663),
    ("/?X-Amz-Algorithm=a&X-Amz-Credential=b&X-Amz-Signature=c&X-Amz-Date=d",
     "AWS query-string parameters must include 'X-Amz-SignedHeaders'. "
     "Re-examine the query-string parameters.",
     3712057481),
])
def test_incomplete_query_authentication(raw, path, message, crc):
    status, h, body = raw("POST", b"", {"X-Amz-Target": LIST}, auth=False, path=path)
    want = {"__type": "com.amazon.coral.service#IncompleteSignatureException", "message": message}
    assert_dynamodb_response(status, h, body, 400, want, crc)


def test_query_parameters_without_the_algorithm_are_missing_authentication(raw):
    status, h, body = raw("POST", b"", {"X-Amz-Target": LIST}, auth=False,
                          path="/?X-Amz-Credential=a&X-Amz-Signature=b&X-Amz-SignedHeaders=c&X-Amz-Date=d")
    assert json.loads(body) == MISSING


def test_a_valid_target_with_an_empty_body_is_a_serialization_exception(raw):
    status, h, body = raw("POST", b"", {"X-Amz-Target": LIST})
    assert_dynamodb_response(status, h, body, 400, SERIALIZATION)


def test_list_tables_with_any_signature_from_loopback(raw):
    status, h, body = raw("POST", b"{}", target=LIST)
    assert status == 200 and "TableNames" in json.loads(body)
    assert h["content-type"] == "application/x-amz-json-1.0"


def test_non_loopback_peers_are_refused_without_auth(http_server):
    from pyddb.errors import UnrecognizedClientException
    from pyddb.server.auth import OpenAccess
    from pyddb.server.protocol import Request

    req = Request("POST", "/", {"authorization": DUMMY_AUTH, "x-amz-date": "20240101T000000Z"}, b"{}",
                  peer="10.1.2.3")
    with pytest.raises(UnrecognizedClientException) as e:
        OpenAccess().check(req)
    assert e.value.to_wire() == (400, {"__type": "com.amazon.coral.service#UnrecognizedClientException",
                                       "message": "The security token included in the request is invalid."})
    for peer in ("127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"):
        req.peer = peer
        OpenAccess().check(req)
    req.peer = "::ffff:10.0.0.1"
    with pytest.raises(UnrecognizedClientException):
        OpenAccess().check(req)


def test_open_access_answers_as_parse_authorization_does():
    """OpenAccess skips parse_authorization for a header of the SDKs' plain form: over header variants (and
    random mutations of them) it raises exactly what parse_authorization raises, and nothing when it raises
    nothing."""
    import random

    from pyddb.errors import DynamoDBError
    from pyddb.server.auth import OpenAccess, parse_authorization
    from pyddb.server.protocol import Request

    def answer(fn, req):
        try:
            fn(req)
            return None
        except DynamoDBError as e:
            return e.to_wire()

    sig = "Signature=" + "0" * 64
    cred = "Credential=k/20240101/us-east-1/dynamodb/aws4_request"
    signed = "SignedHeaders=host;x-amz-date"
    headers = [DUMMY_AUTH, "AWS4-HMAC-SHA256 %s, %s, %s" % (cred, signed, sig),
               "AWS4-HMAC-SHA256 %s,%s,%s" % (cred, signed, sig), "AWS4- %s, %s, %s" % (cred, signed, sig),
               "AWS4-HMAC-SHA256 %s, %s, %s " % (cred, signed, sig), " AWS4-X %s, %s, %s" % (cred, signed, sig),
               "AWS4-X Credential=, %s, %s" % (signed, sig), "AWS4-X %s, %s, Signature=" % (cred, signed),
               "AWS4-X %s, %s, %s, Signature=" % (cred, signed, sig), "AWS4-X %s, %s" % (cred, sig),
               "AWS4-X %s,  %s, %s" % (cred, signed, sig), "AWS4-X %s\t, %s, %s" % (cred, signed, sig),
               "AWS4-X %s, %s, %s\x85" % (cred, signed, sig), "AWS3 %s, %s, %s" % (cred, signed, sig),
               "AWS4-X %s, %s, %s" % (sig, signed, cred), "aws4-X %s, %s, %s" % (cred, signed, sig), ""]
    rnd = random.Random(7)
    for base in headers[:3]:
        for _ in range(300):
            chars = list(base)
            for _ in range(rnd.randrange(1, 3)):
                i = rnd.randrange(len(chars) + 1)
                op = rnd.randrange(3)
                if op == 0 and i < len(chars):
                    del chars[i]
                elif op == 1:
                    chars.insert(i, rnd.choice(" ,=\t\xa0a\x1c\x0b"))
                elif i < len(chars):
                    chars[i] = rnd.choice(" ,=\t\xa0a\x1c\x0b")
            headers.append("".join(chars))
    # an ASCII header takes _PLAIN_SIGV4_ASCII, whose token class must be [^\s,] on ASCII exactly
    import re
    from pyddb.server import auth
    assert [c for c in map(chr, range(128)) if re.fullmatch(auth._ASCII_TOKEN, c)] == \
        [c for c in map(chr, range(128)) if re.fullmatch(r"[^\s,]", c)]
    headers += ["AWS4-X %s, %s, %s" % (cred, signed, sig[:12] + chr(c) + sig[12:]) for c in range(256)]
    for header in headers:
        for url in ("/", "/?x=1", "/?X-Amz-Algorithm=AWS4-HMAC-SHA256"):
            for date in ({"x-amz-date": "20240101T000000Z"}, {"date": "Mon, 01 Jan 2024 00:00:00 GMT"}, {}):
                req = Request("POST", url, dict(date, authorization=header), b"{}", peer="127.0.0.1")
                assert answer(OpenAccess().check, req) == answer(parse_authorization, req), (header, url, date)


# ---- CORS --------------------------------------------------------------------------------------------------


def test_cors_preflight(raw):
    status, h, body = raw("OPTIONS", headers={"Origin": "http://x", "Access-Control-Request-Headers": "a, b",
                                              "Access-Control-Request-Method": "POST"}, auth=False)
    assert (status, body) == (200, b"")
    assert h["access-control-allow-origin"] == "*"
    assert h["access-control-allow-headers"] == "a, b"
    assert h["access-control-allow-methods"] == "POST"
    assert h["access-control-max-age"] == "172800"
    assert h["content-length"] == "0"


def test_cors_header_on_api_responses(raw):
    status, h, body = raw("POST", b"{}", {"Origin": "http://x"}, target=LIST)
    assert status == 200 and h["access-control-allow-origin"] == "*"


# ---- bodies ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [
    b'{"TableName": "t\xff\xfe"}',             # invalid UTF-8
    b"\xef\xbb\xbf{}",                         # a UTF-8 byte order mark is not JSON
    b'{"Limit": NaN}', b'{"Limit": Infinity}',
    b"{} {}", b"{'a': 1}", b'{"a": 1,}',
    b"[" * 100000 + b"]" * 100000,             # nesting deeper than any parser's stack
    b'{"a":' * 50000 + b"1" + b"}" * 50000,
    b"\x00\x00\x00{",
], ids=["invalid-utf8", "bom", "nan", "infinity", "two-values", "single-quotes", "trailing-comma",
        "deep-arrays", "deep-objects", "nul-bytes"])
def test_bodies_that_are_not_json(raw, body):
    status, h, out = raw("POST", body, target=LIST)
    assert_dynamodb_response(status, h, out, 400, SERIALIZATION, content_type="application/x-amz-json-1.0")


def test_a_body_that_is_json_but_not_an_object(raw):
    status, h, out = raw("POST", b"[]", target=LIST)
    assert status == 400
    assert json.loads(out)["__type"] == "com.amazon.coral.service#SerializationException"


def test_a_lone_surrogate_escape_is_rejected_and_a_pair_is_kept(raw, table):
    lone = b'{"TableName":"tbl","Item":{"pk":{"S":"sur"},"s":{"S":"a\\ud800b"}}}'
    status, h, out = raw("POST", lone, target=PUT)
    assert_dynamodb_response(status, h, out, 400, SERIALIZATION, content_type="application/x-amz-json-1.0")
    pair = b'{"TableName":"tbl","Item":{"pk":{"S":"sur"},"s":{"S":"a\\ud83d\\ude00b"}}}'
    assert raw("POST", pair, target=PUT)[0] == 200
    status, h, out = raw("POST", b'{"TableName":"tbl","Key":{"pk":{"S":"sur"}}}', target=GET)
    assert json.loads(out.decode("utf-8"))["Item"]["s"]["S"] == "a\U0001F600b"


def test_deeply_nested_item_is_dynamodbs_validation_error(raw, table):
    value = {"S": "x"}
    for _ in range(40):
        value = {"M": {"a": value}}
    body = json.dumps({"TableName": "tbl", "Item": {"pk": {"S": "deep"}, "v": value}}).encode()
    status, h, out = raw("POST", body, target=PUT)
    assert status == 400
    assert json.loads(out) == {"__type": "com.amazon.coral.validate#ValidationException",
                               "message": "Nesting Levels have exceeded supported limits: Attributes in the "
                                          "item have nested levels beyond supported limit"}


def test_wrong_json_types_are_serialization_exceptions_with_messages(raw, table):
    status, h, out = raw("POST", b'{"TableName":"tbl","Key":{"pk":{"B":"!!!"}}}', target=GET)
    assert status == 400
    assert json.loads(out) == {
        "__type": "com.amazon.coral.service#SerializationException",
        "Message": "'!!!' can not be converted to a Blob: Base64 encoded length is expected a multiple of 4 "
                   "bytes but found: 3"}


def test_blobs_are_base64_both_ways(raw, table):
    body = b'{"TableName":"tbl","Item":{"pk":{"S":"blob"},"b":{"B":"AP8="},"bs":{"BS":["AQ==","Ag=="]}}}'
    assert raw("POST", body, target=PUT)[0] == 200
    status, h, out = raw("POST", b'{"TableName":"tbl","Key":{"pk":{"S":"blob"}}}', target=GET)
    assert json.loads(out)["Item"] == {"pk": {"S": "blob"}, "b": {"B": "AP8="},
                                       "bs": {"BS": ["AQ==", "Ag=="]}}


def test_modelled_errors_use_the_dynamodb_namespace(raw):
    status, h, out = raw("POST", b'{"TableName":"nope","Key":{"pk":{"S":"a"}}}', target=GET)
    assert (status, json.loads(out)) == (400, {
        "__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException",
        "message": "Requested resource not found"})


def test_unexpected_exceptions_are_internal_server_errors_and_the_server_goes_on(raw, monkeypatch):
    from pyddb import api

    def boom(model, request):
        raise RuntimeError("bug")
    monkeypatch.setitem(api.OPERATIONS, "ListTables", boom)
    status, h, out = raw("POST", b"{}", target=LIST)
    assert status == 500
    assert json.loads(out)["__type"] == "com.amazonaws.dynamodb.v20120810#InternalServerError"
    monkeypatch.undo()
    assert raw("POST", b"{}", target=LIST)[0] == 200


def test_streams_target_routes_to_the_same_dispatch(raw, monkeypatch):
    from pyddb import api

    monkeypatch.setitem(api.OPERATIONS, "ListStreams", lambda model, request: {"Streams": []})
    status, h, out = raw("POST", b"{}", target="DynamoDBStreams_20120810.ListStreams")
    assert (status, json.loads(out)) == (200, {"Streams": []})


def test_response_encoding_of_bytes_datetimes_and_decimals():
    from datetime import datetime, timezone
    from decimal import Decimal

    from pyddb.server.protocol import dumps

    t = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)
    out = dumps({"B": b"\x00\xff", "BS": [b"a"], "t": t,
                 "naive": datetime(2024, 1, 2), "f": 1700000000.123, "d": Decimal("2.5"), "i": Decimal(3),
                 "u": "h\u00e9"})
    assert json.loads(out) == {"B": "AP8=", "BS": ["YQ=="], "t": 1704164645.678, "naive": 1704153600.0,
                               "f": 1700000000.123, "d": 2.5, "i": 3, "u": "h\u00e9"}
    assert b" " not in out and "h\u00e9".encode() in out       # compact, UTF-8 rather than \u escapes


JSON_EDGE_BODIES = [
    b'{"Limit":123456789012345678901234567890}',   # past 64 bits: orjson would read a float
    b'{"Limit":-9223372036854775809}',
    b'{"Limit":18446744073709551615}',
    b'{"Limit":1e400}', b'{"Limit":-1e400}', b'{"Limit":1e-400}', b'{"Limit":-0}', b'{"Limit":1.0}',
    b'{"a":NaN}', b'{"a":Infinity}', b'{"a":"\\ud800"}', b'{"a":"\\ud83d\\ude00"}', b'{"a":"\\udc00x"}',
    b'{"a":1,"a":2}', b'\xef\xbb\xbf{}', b'{"a":"\xff"}', b'{"a":"\x01"}', b'[1,]', b'{"a":1} x', b' {} ',
    b"[" * 499 + b"]" * 499, b"[" * 3000 + b"]" * 3000, b'{"a":' * 600 + b"1" + b"}" * 600,
    b'{"S":"' + b"9" * 40 + b'"}', b'"\\u0000"', b"12", b"null",
]


@pytest.mark.parametrize("body", JSON_EDGE_BODIES, ids=[str(i) for i in range(len(JSON_EDGE_BODIES))])
def test_loads_answers_as_the_json_reference_path_does(body, monkeypatch):
    """protocol.loads parses with orjson when installed; every body must get the answer of the json path
    (the reference: protocol._orjson = None), a value or SerializationException."""
    from pyddb.errors import SerializationException
    from pyddb.server import protocol

    def answer():
        try:
            return ("value", protocol.loads(body))
        except SerializationException:
            return ("error", None)

    fast = answer()
    monkeypatch.setattr(protocol, "_orjson", None)
    ref = answer()
    assert type(fast[1]) is type(ref[1])
    assert repr(fast) == repr(ref)


def test_loads_precheck_finds_long_digit_runs_and_counts_brackets():
    """loads' one-pass pre-check (a translate) decides exactly what a [0-9]{19} search and counting "[" and
    "{" decide: which bodies orjson may parse."""
    import random
    import re

    from pyddb.server import protocol

    long_number = re.compile(rb"[0-9]{19}")
    rnd = random.Random(5)
    bodies = [bytes(rnd.choice(b'0123456789[{}]"a: \xff\x00') for _ in range(rnd.randrange(80)))
              for _ in range(3000)] + [b"1" * 18, b"1" * 19, b"x" + b"0" * 19 + b"x", b"9" * 18 + b"a" + b"9"]
    for body in bodies:
        image = body.translate(protocol._PRECHECK)
        assert (protocol._DIGIT_RUN in image) == (long_number.search(body) is not None), body
        assert image.count(b"[") == body.count(b"[") + body.count(b"{"), body


@pytest.mark.parametrize("obj", [
    {"a": b"\x00\xff", "b": bytearray(b"x"), "n": [1, 2.5, 2 ** 70, -(2 ** 64)], "s": "\u2028é\U0001F600"},
    {"lone": "\ud800x"}, {1: "non-string key"}, {"set": frozenset()}, {"t": (1, "x")},
])
def test_dumps_is_json_of_the_same_value_either_way(obj, monkeypatch):
    from pyddb.server import protocol

    fast = protocol.dumps(obj)
    monkeypatch.setattr(protocol, "_orjson", None)
    ref = protocol.dumps(obj)
    assert json.loads(fast) == json.loads(ref)
    fast.decode("utf-8")                                  # always valid UTF-8 (lone surrogates escaped)


def test_dumps_writes_datetimes_as_epoch_seconds():
    from datetime import datetime, timezone

    from pyddb.server import protocol

    assert json.loads(protocol.dumps({"d": datetime(2024, 1, 1, tzinfo=timezone.utc)})) == {"d": 1704067200.0}
    assert json.loads(protocol.dumps({"d": datetime(2024, 1, 1)})) == {"d": 1704067200.0}


def test_request_ids_are_dynamodbs_shape_and_differ_between_responses():
    from pyddb.server.protocol import Handler, Request
    from pyddb.server.auth import OpenAccess

    h = Handler(object(), OpenAccess())
    ids = set()
    for _ in range(3):
        out = h.handle(Request("GET", "/", {}, b""))
        rid = re.search(rb"x-amzn-RequestId: ([^\r]*)\r\n", out).group(1).decode()
        assert re.fullmatch(r"[0-9A-Z]{52}", rid), rid
        ids.add(rid)
    assert len(ids) == 3
