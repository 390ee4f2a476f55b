"""(app.py A7) An unexpected exception that escapes the protocol handler is a 500 InternalServerError shaped
like DynamoDB's, on the inline path and in the write pool alike (the pool used to answer it with a 413 and
close the connection), and the connection goes on."""
import json

import pytest
from test_server_http import LIST, connect, read_response, request

from pyddb.errors import ValidationException

BODY = {"RequestItems": {"tbl": [{"PutRequest": {"Item": {"pk": {"S": "a"}}}}]}}   # valid: the operation runs
BATCH = "DynamoDB_20120810.BatchWriteItem"                   # always in the write pool
INTERNAL = {"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError", "message": "Internal server error"}


def unwritable(model, req):
    """An operation raising an error whose wire form cannot be written: the exception escapes
    Handler.handle's own catch-all (error_body fails inside its DynamoDBError branch)."""
    raise ValidationException("bug", Bad=object())


def plain_bug(model, req):
    raise RuntimeError("bug")


@pytest.mark.parametrize("target,op", [(BATCH, "BatchWriteItem"), (LIST, "ListTables")], ids=["pooled", "inline"])
def test_an_exception_escaping_the_handler_is_a_500_and_the_connection_goes_on(endpoint, monkeypatch, target,
                                                                                 op):
    from pyddb import api
    from pyddb.server import protocol

    assert protocol.is_inline(protocol.Request("POST", "/", {"x-amz-target": target}, b"{}", True, None)) \
        == (op == "ListTables")
    monkeypatch.setitem(api.OPERATIONS, op, unwritable)
    with connect(endpoint) as s:
        s.sendall(request(target, BODY if op == "BatchWriteItem" else {}))
        status, headers, body, rest = read_response(s)
        assert (status, json.loads(body)) == (500, INTERNAL)
        assert headers["content-type"] == "application/x-amz-json-1.0" and "x-amzn-requestid" in headers
        assert headers.get("connection") != "close"
        monkeypatch.undo()
        s.sendall(request(LIST, {}))                          # the same connection serves the next request
        status, _, body, _ = read_response(s, rest)
        assert status == 200 and "TableNames" in json.loads(body)


def test_the_pools_500_is_the_handlers_own(endpoint, monkeypatch):
    """The pool's answer (app.internal_error_response) and Handler.handle's (protocol.py P1) are the same."""
    from pyddb import api

    monkeypatch.setitem(api.OPERATIONS, "ListTables", plain_bug)   # caught by the handler itself
    monkeypatch.setitem(api.OPERATIONS, "BatchWriteItem", unwritable)   # escapes it, in the pool
    answers = []
    for target in (LIST, BATCH):
        with connect(endpoint) as s:
            s.sendall(request(target, BODY if target == BATCH else {}, extra="Origin: http://x\r\n"))
            status, headers, body, _ = read_response(s)
        for varying in ("x-amzn-requestid", "date"):
            headers.pop(varying)
        answers.append((status, headers, body))
    assert answers[0] == answers[1]
    assert answers[0][0] == 500 and json.loads(answers[0][2]) == INTERNAL
