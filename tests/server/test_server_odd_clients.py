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
    assert srv.server.handler.quick_writes is None           # PutItem is pooled here
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


def _on_loop(srv, fn):
    """fn() run on the server's event loop thread; its result."""
    import asyncio

    async def call():
        return fn()
    return asyncio.run_coroutine_threadsafe(call(), srv._loop).result(10)


def _server_side(srv, sock):
    """The server's HttpConnection of this client socket (once the server has accepted it)."""
    import time

    port = sock.getsockname()[1]
    deadline = time.monotonic() + 10
    while True:
        found = _on_loop(srv, lambda: [c for c in srv.server.connections
                                       if c.transport.get_extra_info("peername")[1] == port])
        if found or time.monotonic() > deadline:
            return found[0]
        time.sleep(0.02)


def test_a_client_that_pipelines_without_reading_is_paused_and_its_answers_stay_bounded(http_server, http_ddb,
                                                                                         table):
    """(A9) 200 GetItems of a 300 KB item pipelined, nothing read: the server stops reading from the client and
    runs no more of its requests once its transport's buffer is full, instead of buffering ~60 MB; other
    connections are served meanwhile; then the client reads every answer, in order."""
    import socket
    import time

    big = "x" * 300_000
    http_ddb.put_item(TableName=table, Item={"pk": {"S": "big"}, "v": {"S": big}})
    n = 100
    for i in range(n):
        http_ddb.put_item(TableName=table, Item={"pk": {"S": "small%d" % i}, "i": {"N": str(i)}})
    batch = b"".join(request("DynamoDB_20120810.GetItem", {"TableName": table, "Key": {"pk": {"S": pk}}})
                     for i in range(n) for pk in ("big", "small%d" % i))
    host, port = http_server.url.split("//", 1)[1].rsplit(":", 1)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
    s.settimeout(30)
    s.connect((host, int(port)))
    with s:
        s.sendall(batch)
        conn = _server_side(http_server, s)
        deadline = time.monotonic() + 20
        state = lambda: (getattr(conn, "wpaused", False), len(conn.queue),  # noqa: E731
                         conn.transport.get_write_buffer_size())
        paused, held, buffered = _on_loop(http_server, state)
        while not paused and buffered < 20 * 300_000 and time.monotonic() < deadline:
            time.sleep(0.05)
            paused, held, buffered = _on_loop(http_server, state)
        assert paused and held > 0, (paused, held, buffered)   # requests held, not answered into the buffer
        assert buffered < 20 * 300_000                       # (MAX_QUEUED + a few) answers, not 200 of them
        assert_serving(http_server.url)                      # another connection is served meanwhile
        rest = b""
        for i in range(n):
            status, _, body, rest = read_response(s, rest)
            assert status == 200 and json.loads(body)["Item"]["v"]["S"] == big
            status, _, body, rest = read_response(s, rest)
            assert status == 200 and json.loads(body)["Item"]["i"] == {"N": str(i)}
        assert rest == b""
        assert not _on_loop(http_server, lambda: conn.wpaused or conn.paused or len(conn.queue))


class _FlowTransport:
    """A transport that checks pause_reading/resume_reading alternate, and calls pause_writing on its protocol
    once `limit` responses are buffered (as asyncio's transports do past their high-water mark)."""

    def __init__(self, limit):
        self.reading_paused = False
        self.writes = []
        self.limit = limit
        self.protocol = None
        self.closed = False

    def pause_reading(self):
        assert not self.reading_paused
        self.reading_paused = True

    def resume_reading(self):
        assert self.reading_paused
        self.reading_paused = False

    def write(self, data):
        self.writes.append(data)
        if len(self.writes) == self.limit:
            self.protocol.pause_writing()

    def drain(self):
        out, self.writes = b"".join(self.writes), []
        self.protocol.resume_writing()
        return out

    def close(self):
        self.closed = True

    def get_extra_info(self, name):
        return ("127.0.0.1", 5555) if name == "peername" else None


def test_reading_is_paused_exactly_while_the_queue_is_full_or_the_transport_is_paused_for_writing():
    """(A9 with A1) pause_writing/resume_writing and the MAX_QUEUED pause share the transport's reading state:
    it is paused while either holds, and each call changes it (never paused or resumed twice)."""
    from test_server_batched_writes import _connections
    from pyddb.server.protocol import MAX_QUEUED

    _, (conn,) = _connections(1)
    t = _FlowTransport(limit=3)
    t.protocol = conn
    conn.transport = t
    health = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    conn.data_received(health * 5)                  # answered one by one until the third write pauses it
    assert len(t.writes) == 3 and conn.wpaused and t.reading_paused and len(conn.queue) == 2
    conn.data_received(health * (MAX_QUEUED + 5))   # (bytes read before the pause took effect) held too
    assert len(t.writes) == 3 and conn.paused and len(conn.queue) == MAX_QUEUED + 7
    t.limit = 5
    assert t.drain().count(b"HTTP/1.1 200") == 3    # resume_writing: runs what was held, until paused again
    assert conn.wpaused and conn.paused and t.reading_paused and len(conn.queue) == MAX_QUEUED + 2
    t.limit = 10 ** 6
    assert t.drain().count(b"HTTP/1.1 200") == 5    # the rest is run, and reading resumes with the queue empty
    assert len(t.writes) == MAX_QUEUED + 2 and not conn.queue
    assert not conn.wpaused and not conn.paused and not t.reading_paused
    conn.pause_writing()
    conn.resume_writing()
    assert not t.reading_paused


def test_a_half_closed_client_gets_the_answer_to_its_pooled_write(full_server):
    """(A4) The client sends a PutItem (run in the pool here) and closes its sending side at once: the write is
    answered before the connection closes (it was applied but answered with nothing)."""
    import socket

    srv, client = full_server
    with connect(srv.url) as s:
        s.sendall(_put("half-closed", 7))
        s.shutdown(socket.SHUT_WR)
        status, _, body, rest = read_response(s)
        assert (status, json.loads(body)) == (200, {}) and rest == b"" and is_closed(s)
    assert client.get_item(TableName="tbl", Key={"pk": {"S": "half-closed"}})["Item"]["n"] == {"N": "7"}


def test_a_client_that_never_reads_its_answers_is_closed_by_the_idle_sweep(tmp_path):
    """(A6 with A9) Requests held for a client that does not read count as nothing running: after idle_timeout
    the connection is aborted (its buffer would never drain), while a reading connection is served."""
    import socket
    import time

    from pyddb.server.app import ServerThread
    from pyddb.server.testing import boto3_client
    from srvhelpers import make_table

    srv = ServerThread(str(tmp_path / "db"), sync="off", idle_timeout=1.0).start()
    try:
        client = boto3_client(srv.url)
        make_table(srv, client, "tbl")
        client.put_item(TableName="tbl", Item={"pk": {"S": "big"}, "v": {"S": "x" * 300_000}})
        get = request("DynamoDB_20120810.GetItem", {"TableName": "tbl", "Key": {"pk": {"S": "big"}}})
        host, port = srv.url.split("//", 1)[1].rsplit(":", 1)
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65536)
        s.connect((host, int(port)))
        with s:
            s.sendall(get * 60)
            conn = _server_side(srv, s)
            deadline = time.monotonic() + 15
            while _on_loop(srv, lambda: conn in srv.server.connections) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not _on_loop(srv, lambda: conn in srv.server.connections)
            assert conn.closed
        assert_serving(srv.url)
        client.close()
    finally:
        srv.stop()


def test_a_stopping_server_does_not_resume_reading_when_a_queue_drains():
    """(A5, A9) stop() pauses reading from a connection with requests to finish; serving them must not resume
    it (the requests pipelined after would be read and run during the drain)."""
    from test_server_batched_writes import _connections

    _, (conn,) = _connections(1)
    t = _FlowTransport(limit=10 ** 6)
    t.protocol = conn
    conn.transport = t
    submitted = []
    conn.server.submit = lambda c, req: submitted.append(req)
    health = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
    conn.busy = True                                # a pooled request runs: the rest is queued
    conn.data_received(health + _put("queued", 1) + health)
    assert len(conn.queue) == 3
    conn.server.stopping = True                     # what stop() does to such a connection
    conn.paused = True
    t.pause_reading()
    conn.busy = False
    conn._run()                                     # the hand-back: the GET is answered, the PutItem pooled
    assert len(submitted) == 1 and conn.busy and len(conn.queue) == 1
    assert t.reading_paused and conn.paused         # still not reading: the server is stopping
