"""Clients that push the HTTP server's edges: bytes after "Connection: close" (app.py A8), "Expect:
100-continue" pipelined behind unanswered requests (A1), and a client that pipelines without reading its
answers (A9: backpressure)."""
import json

import pytest
from test_server_http import LIST, PUT, assert_serving, connect, is_closed, read_response, request


@pytest.fixture(scope="module")
def full_server(tmp_path_factory):
    """A server whose single-item writes run in the write pool (sync=full: every write waits for fdatasync)."""
    from pyddb.server.app import ServerThread
    from srvhelpers import make_table
    from pyddb.server.testing import boto3_client

    srv = ServerThread(str(tmp_path_factory.mktemp("full") / "db"), sync="full").start()
    assert srv.server.handler.write_engine is None           # PutItem is pooled here
    client = boto3_client(srv.url)
    make_table(srv, client, "tbl")
    yield srv, client
    client.close()
    srv.stop()


def _put(pk, n, extra=""):
    return request(PUT, {"TableName": "tbl", "Item": {"pk": {"S": pk}, "n": {"N": str(n)}}}, extra=extra)


@pytest.mark.parametrize("trailing", [
    request(LIST, b"{}"),                                    # a whole request: not answered
    b"GARBAGE\r\n\r\n",                                      # not HTTP at all: no 400 either
    request(LIST, b"{}")[:30],                               # half a request
])
def test_requests_up_to_connection_close_are_answered_and_what_follows_is_ignored(full_server, trailing):
    srv, client = full_server
    with connect(srv.url) as s:
        s.sendall(_put("before", 1) + _put("closing", 2, extra="Connection: close\r\n") + trailing)
        status, _, body, rest = read_response(s)
        assert (status, json.loads(body)) == (200, {})
        status, headers, body, rest = read_response(s, rest)
        assert (status, json.loads(body)) == (200, {}) and headers["connection"] == "close"
        assert rest == b"" and is_closed(s)
    for pk, n in (("before", 1), ("closing", 2)):
        item = client.get_item(TableName="tbl", Key={"pk": {"S": pk}})["Item"]
        assert item["n"] == {"N": str(n)}
    assert_serving(srv.url)


def test_data_after_connection_close_in_a_later_read_is_ignored_too(full_server):
    srv, client = full_server
    with connect(srv.url) as s:
        s.sendall(_put("later", 3, extra="Connection: close\r\n"))
        s.sendall(request(LIST, b"{}"))      # may arrive while the pooled PutItem runs
        status, headers, body, rest = read_response(s)
        assert (status, json.loads(body)) == (200, {}) and headers["connection"] == "close"
        assert rest == b"" and is_closed(s)
    assert client.get_item(TableName="tbl", Key={"pk": {"S": "later"}})["Item"]["n"] == {"N": "3"}


CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def test_100_continue_of_a_pipelined_request_follows_the_earlier_pooled_answer(full_server):
    """The PutItem runs in the pool while the ListTables behind it asks "Expect: 100-continue": its 100 comes
    after the PutItem's 200 (responses in request order, A1), then its own answer once the body is sent."""
    srv, _ = full_server
    with connect(srv.url) as s:
        second = request(LIST, b"{}", extra="Expect: 100-continue\r\n")
        s.sendall(_put("expect", 1) + _put("expect", 2) + second[:-2])     # the second's head, no body
        rest = b""
        for _ in range(2):
            status, _, body, rest = read_response(s, rest)
            assert (status, json.loads(body)) == (200, {})              # not the 100 first
        while len(rest) < len(CONTINUE):
            rest += s.recv(100)
        assert rest == CONTINUE
        s.sendall(b"{}")
        status, _, body, rest = read_response(s)
        assert status == 200 and "TableNames" in json.loads(body) and rest == b""
    assert_serving(srv.url)


def test_no_100_continue_once_the_body_came_before_the_earlier_requests_were_answered(full_server):
    srv, _ = full_server
    with connect(srv.url) as s:
        s.sendall(_put("expect", 3) + request(LIST, b"{}", extra="Expect: 100-continue\r\n")
                  + request(LIST, b"{}"))
        status, _, body, rest = read_response(s)
        assert (status, json.loads(body)) == (200, {})
        for _ in range(2):
            status, _, body, rest = read_response(s, rest)
            assert status == 200 and "TableNames" in json.loads(body)
        assert rest == b""
    assert_serving(srv.url)
