"""(app.py A2) With more than one connection open, responses are written once the event loop has answered
every request of its wake-up (protocol.WriteBatch): each connection's due responses in order, with one
transport.write; a close, a 400/413 or a "100 Continue" writes what is due first. With one connection open,
each response is written at once."""
import json
import threading

from test_server_http import LIST, assert_serving, connect, is_closed, read_response, request


class _Transport:
    def __init__(self):
        self.writes = []
        self.closed = False

    def write(self, data):
        self.writes.append(data)

    def close(self):
        self.closed = True

    def get_extra_info(self, name):
        return ("127.0.0.1", 5555) if name == "peername" else None

    def pause_reading(self):
        pass

    def resume_reading(self):
        pass


class _Loop:
    def __init__(self):
        self.soon = []

    def call_soon(self, fn, *args):
        self.soon.append((fn, args))

    def time(self):
        return 0.0

    def run_soon(self):
        soon, self.soon = self.soon, []
        for fn, args in soon:
            fn(*args)


def _connections(n):
    """n HttpConnections of one Server on a fake loop, each with a fake transport, and that loop."""
    from pyddb.server import app, protocol

    class Server:
        pass

    loop = _Loop()
    srv = Server()
    srv.loop, srv.stopping, srv.connections = loop, False, set()
    srv.writes = protocol.WriteBatch(loop)
    srv.handler = protocol.Handler(type("Model", (), {"sync_mode": "full"})(), None)
    conns = []
    for _ in range(n):
        conn = app.HttpConnection(srv)
        conn.connection_made(_Transport())
        conns.append(conn)
    return loop, conns


def test_responses_wait_for_the_batch_and_go_out_one_write_per_connection():
    loop, (a, b) = _connections(2)
    a._send(b"1", True)
    a._send(b"2", True)
    b._send(b"3", True)
    assert a.transport.writes == [] and b.transport.writes == [] and len(loop.soon) == 1
    loop.run_soon()
    assert a.transport.writes == [b"12"] and b.transport.writes == [b"3"]
    a._send(b"4", True)
    assert len(loop.soon) == 1                       # a new batch
    loop.run_soon()
    assert a.transport.writes == [b"12", b"4"]


def test_a_lone_connection_writes_at_once():
    loop, (a,) = _connections(1)
    a._send(b"1", True)
    assert a.transport.writes == [b"1"] and loop.soon == []


def test_close_and_failure_write_what_is_due_first():
    loop, (a, b) = _connections(2)
    a._send(b"1", True)
    a._send(b"2", False)                             # Connection: close: written, then closed
    assert a.transport.writes == [b"12"] and a.transport.closed
    b._send(b"3", True)
    b._fail(b"400")
    assert b.transport.writes == [b"3400"] and b.transport.closed
    loop.run_soon()                                  # nothing written twice
    assert a.transport.writes == [b"12"] and b.transport.writes == [b"3400"]


def test_a_lost_connection_drops_what_was_due():
    loop, (a, b) = _connections(2)
    a._send(b"1", True)
    a.connection_lost(None)
    loop.run_soon()
    assert a.transport.writes == []


def test_pipelined_answers_then_a_bad_message_in_order_with_another_connection_open(endpoint):
    with connect(endpoint) as other, connect(endpoint) as s:
        other.sendall(request(LIST, b"{}"))
        assert read_response(other)[0] == 200
        s.sendall(request(LIST, b"{}") * 3 + b"NOT HTTP\r\n\r\n")
        rest = b""
        for _ in range(3):
            status, _, body, rest = read_response(s, rest)
            assert status == 200 and "TableNames" in json.loads(body)
        status, _, _, rest = read_response(s, rest)
        assert status == 400 and is_closed(s)
    assert_serving(endpoint)


def test_100_continue_comes_after_the_answers_due_with_another_connection_open(endpoint):
    with connect(endpoint) as other, connect(endpoint) as s:
        other.sendall(request(LIST, b"{}"))
        assert read_response(other)[0] == 200
        second = request(LIST, b"{}", extra="Expect: 100-continue\r\n")
        s.sendall(request(LIST, b"{}") + second[:-2])
        status, _, body, rest = read_response(s)
        assert status == 200 and "TableNames" in json.loads(body)
        while b"\r\n\r\n" not in rest:
            rest += s.recv(100)
        assert rest.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        s.sendall(b"{}")
        status, _, body, _ = read_response(s, rest[len(b"HTTP/1.1 100 Continue\r\n\r\n"):])
        assert status == 200 and "TableNames" in json.loads(body)


def test_many_connections_at_once_are_all_answered(endpoint):
    errors = []

    def client():
        try:
            with connect(endpoint) as s:
                for _ in range(30):
                    s.sendall(request(LIST, b"{}") * 2)
                    rest = b""
                    for _ in range(2):
                        status, _, body, rest = read_response(s, rest)
                        assert status == 200 and "TableNames" in json.loads(body)
                    assert rest == b""
        except Exception as e:  # noqa: BLE001 (reported below)
            errors.append(e)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert_serving(endpoint)


def test_a_half_close_writes_the_answers_waiting_for_the_batch_then_closes():
    """(app.py A4 with A2) The client's end of input arrives before the batch has written its answer: the answer
    is written, then the connection closes (not closed with the answer still waiting)."""
    loop, (a, b) = _connections(2)
    a._send(b"answer", True)
    assert a.transport.writes == []                  # waiting for the batch
    assert a.eof_received() is True
    assert a.transport.writes == [b"answer"] and a.transport.closed
    loop.run_soon()                                  # the batch finds nothing more to write
    assert a.transport.writes == [b"answer"]


def test_a_failing_write_does_not_hold_the_rest_of_the_batch(caplog):
    """A transport whose write raises (none is known to, but the batch must not depend on it): that connection
    is aborted and logged, and the other connections of the batch still get their responses."""
    loop, (a, b) = _connections(2)

    def broken(data):
        raise RuntimeError("transport gone")
    aborted = []
    a.transport.write = broken
    a.transport.abort = lambda: aborted.append(True)
    a._send(b"lost", True)
    b._send(b"kept", True)
    loop.run_soon()
    assert b.transport.writes == [b"kept"]
    assert a.closed and aborted == [True] and a._pending == []
    assert "writing responses failed" in caplog.text
