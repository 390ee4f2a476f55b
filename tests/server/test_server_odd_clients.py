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
