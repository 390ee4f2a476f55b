"""The HTTP transport: keep-alive, pipelining and order, 100-continue, size limits, gzip, broken clients.

Every test ends by checking that the server still answers (`assert_serving`).
"""
import gzip
import json
import socket
import sys
import threading
import time
import zlib

import pytest
from srvhelpers import DUMMY_AUTH, raw_request

LIST = "DynamoDB_20120810.ListTables"
GET = "DynamoDB_20120810.GetItem"
PUT = "DynamoDB_20120810.PutItem"
MAX = 16 * 1024 * 1024


def request(target, body, extra="", version="1.1"):
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    return (("POST / HTTP/%s\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: %s\r\n"
             "X-Amz-Date: 20240101T000000Z\r\nAuthorization: %s\r\n%sContent-Length: %d\r\n\r\n")
            % (version, target, DUMMY_AUTH, extra, len(body))).encode() + body


def connect(endpoint):
    host, port = endpoint.split("//", 1)[1].rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=10)
    return s


def read_response(sock, buf=b""):
    """(status, headers, body, rest) for one response with Content-Length or a chunked empty body."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before a response head; got %r" % buf)
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if headers.get("transfer-encoding") == "chunked":
        while b"0\r\n\r\n" not in rest:
            chunk = sock.recv(65536)
            if not chunk:
                break
            rest += chunk
        i = rest.index(b"0\r\n\r\n")
        return status, headers, b"", rest[i + 5:]
    n = int(headers.get("content-length", 0))
    while len(rest) < n:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed mid-body")
        rest += chunk
    return status, headers, rest[:n], rest[n:]


def is_closed(sock, timeout=5.0):
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def assert_serving(endpoint):
    status, _, body = raw_request(endpoint, "POST", b"{}", target=LIST)
    assert status == 200 and "TableNames" in json.loads(body)


def test_keep_alive_serves_many_requests_on_one_connection(endpoint):
    with connect(endpoint) as s:
        for _ in range(50):
            s.sendall(request(LIST, b"{}"))
            status, headers, body, rest = read_response(s)
            assert status == 200 and rest == b""
            assert "connection" not in headers


def test_http_1_0_without_keep_alive_is_closed_after_the_response(endpoint):
    with connect(endpoint) as s:
        s.sendall(request(LIST, b"{}", version="1.0"))
        status, headers, body, rest = read_response(s)
        assert status == 200 and headers["connection"] == "close"
        assert is_closed(s)


def test_connection_close_is_honoured(endpoint):
    with connect(endpoint) as s:
        s.sendall(request(LIST, b"{}", extra="Connection: close\r\n"))
        assert read_response(s)[0] == 200
        assert is_closed(s)


def _put_request(kind, table, item):
    if kind == "inline":        # PutItem under --sync off runs on the loop (protocol.INLINE_WRITES)
        return request(PUT, {"TableName": table, "Item": item}), {}
    return (request("DynamoDB_20120810.BatchWriteItem", {"RequestItems": {table: [{"PutRequest": {"Item": item}}]}}),
            {"UnprocessedItems": {}})


@pytest.mark.parametrize("kind", ["pooled", "inline"])
def test_pipelined_requests_are_answered_in_order_and_see_earlier_writes(endpoint, table, kind):
    """A write (run in the pool, or inline) followed by reads (run inline) on one connection: answers in
    request order, and the read after the write sees it (A1)."""
    with connect(endpoint) as s:
        batch = b""
        for i in range(20):
            put, answer = _put_request(kind, table, {"pk": {"S": "pipe"}, "n": {"N": str(i)}})
            batch += put
            batch += request(GET, {"TableName": table, "Key": {"pk": {"S": "pipe"}}})
        s.sendall(batch)
        rest = b""
        for i in range(20):
            status, _, body, rest = read_response(s, rest)
            assert (status, json.loads(body)) == (200, answer)
            status, _, body, rest = read_response(s, rest)
            assert json.loads(body)["Item"]["n"] == {"N": str(i)}


def test_byte_at_a_time_request_is_parsed(endpoint):
    with connect(endpoint) as s:
        for b in request(LIST, b"{}"):
            s.send(bytes([b]))
        assert read_response(s)[0] == 200


def test_expect_100_continue(endpoint):
    body = b"{}"
    with connect(endpoint) as s:
        s.sendall(request(LIST, body, extra="Expect: 100-continue\r\n")[:-len(body)])
        head = s.recv(100)
        assert head.startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
        s.sendall(body)
        status, _, out, _ = read_response(s, head[len(b"HTTP/1.1 100 Continue\r\n\r\n"):])
        assert status == 200


def test_chunked_request_body(endpoint):
    body = b"{}"
    msg = ("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: %s\r\n"
           "X-Amz-Date: 20240101T000000Z\r\nAuthorization: %s\r\nTransfer-Encoding: chunked\r\n\r\n"
           % (LIST, DUMMY_AUTH)).encode() + b"1\r\n{\r\n1\r\n}\r\n0\r\n\r\n"
    with connect(endpoint) as s:
        s.sendall(msg)
        assert read_response(s)[0] == 200
    assert body


# ---- size limits -------------------------------------------------------------------------------------------


def test_declared_body_over_16_mib_gets_413_before_the_body_is_sent(endpoint):
    with connect(endpoint) as s:
        head = request(LIST, b"")[:-len(b"Content-Length: 0\r\n\r\n")]
        s.sendall(head + b"Content-Length: %d\r\n\r\n" % (MAX + 1))
        status, headers, body, _ = read_response(s)
        assert status == 413 and headers["transfer-encoding"] == "chunked"
        assert len(headers["x-amzn-requestid"]) == 52
        assert is_closed(s)
    assert_serving(endpoint)


def test_chunked_body_growing_past_16_mib_gets_413_and_a_close(endpoint):
    with connect(endpoint) as s:
        s.sendall(("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Amz-Target: %s\r\n"
                   "Transfer-Encoding: chunked\r\n\r\n" % LIST).encode())
        chunk = b"%x\r\n%s\r\n" % (1 << 20, b" " * (1 << 20))
        try:
            for _ in range(17):
                s.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            status, headers, body, _ = read_response(s)
            assert status == 413
        except (ConnectionResetError, ConnectionError):
            pass                               # the reset can overtake the 413 when the send side is full
    assert_serving(endpoint)


def test_a_body_of_exactly_16_mib_is_read(endpoint):
    body = b"{" + b" " * (MAX - 2) + b"}"
    status, _, out = raw_request(endpoint, "POST", body, target=LIST)
    assert status == 200


def test_gzip_request_body(endpoint, table):
    item = {"TableName": table, "Item": {"pk": {"S": "gz"}, "v": {"S": "x" * 1000}}}
    status, _, out = raw_request(endpoint, "POST", gzip.compress(json.dumps(item).encode()),
                                 {"Content-Encoding": "gzip"}, target=PUT)
    assert status == 200
    key = b'{"TableName":"tbl","Key":{"pk":{"S":"gz"}}}'
    status, _, out = raw_request(endpoint, "POST", zlib.compress(key), {"Content-Encoding": "deflate"},
                                 target=GET)
    assert json.loads(out)["Item"]["v"]["S"] == "x" * 1000


@pytest.mark.parametrize("body,coding", [
    (b"not gzip", "gzip"), (gzip.compress(b"{}", mtime=0)[:-4], "gzip"),
    (gzip.compress(b"{}", mtime=0) + b"junk", "gzip"), (b"{}", "br")],
    ids=["not-gzip", "truncated", "trailing-junk", "unknown-coding"])
def test_a_body_that_does_not_decode_is_a_serialization_exception(endpoint, body, coding):
    status, _, out = raw_request(endpoint, "POST", body, {"Content-Encoding": coding}, target=LIST)
    assert (status, json.loads(out)) == (400, {"__type": "com.amazon.coral.service#SerializationException"})


def test_gzip_bomb_gets_413(endpoint):
    bomb = gzip.compress(b"{" + b" " * (MAX + 10) + b"}")
    assert len(bomb) < 100000
    with connect(endpoint) as s:
        s.sendall(request(LIST, bomb, extra="Content-Encoding: gzip\r\n"))
        assert read_response(s)[0] == 413
        assert is_closed(s)
    assert_serving(endpoint)


# ---- broken clients ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("garbage", [b"GARBAGE\r\n\r\n", b"POST / HTTP/9.9\r\n\r\n",
                                     b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n",
                                     b"POST / HTTP/1.1\r\nBad Header\r\n\r\n"])
def test_a_message_that_is_not_http_gets_400_and_a_close(endpoint, garbage):
    with connect(endpoint) as s:
        s.sendall(garbage)
        assert read_response(s)[0] == 400
        assert is_closed(s)
    assert_serving(endpoint)


def test_huge_headers_get_400_and_a_close(endpoint):
    with connect(endpoint) as s:
        s.sendall(b"POST / HTTP/1.1\r\nX-Big: " + b"a" * (70 * 1024) + b"\r\n\r\n")
        assert read_response(s)[0] == 400
        assert is_closed(s)
    assert_serving(endpoint)


@pytest.mark.parametrize("cut", [10, 60, -5])
def test_client_disconnecting_mid_request_does_not_disturb_the_server(endpoint, cut):
    msg = request(LIST, b'{"Limit": 5}')
    with connect(endpoint) as s:
        s.sendall(msg[:cut])
    with connect(endpoint) as s:
        s.sendall(msg[:cut])
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST
    assert_serving(endpoint)


def test_writes_of_a_client_that_hangs_up_complete_and_acknowledged_writes_are_kept(endpoint, table):
    """Many writers; some hang up right after sending. Every acknowledged write is readable afterwards, and a
    write sent before a hang-up either happened entirely or not at all (A4)."""
    acked = []
    lock = threading.Lock()

    def writer(w):
        for i in range(30):
            key = "hang-%d-%d" % (w, i)
            msg = request(PUT, {"TableName": table, "Item": {"pk": {"S": key}, "v": {"N": str(i)}}})
            with connect(endpoint) as s:
                s.sendall(msg)
                if i % 3 == 0:
                    continue                   # hang up without reading
                assert read_response(s)[0] == 200
                with lock:
                    acked.append(key)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for key in acked:
        status, _, body = raw_request(endpoint, "POST", json.dumps(
            {"TableName": table, "Key": {"pk": {"S": key}}, "ConsistentRead": True}).encode(), target=GET)
        assert json.loads(body)["Item"]["pk"] == {"S": key}
    assert len(acked) == 80
    assert_serving(endpoint)


def test_slow_write_does_not_block_reads_on_other_connections(endpoint, http_server, monkeypatch):
    """A write held in the pool (as by an fsync) while another connection's reads go on."""
    from pyddb import api

    release = threading.Event()
    started = threading.Event()
    real = api.OPERATIONS["TagResource"]

    def slow(model, req):
        started.set()
        release.wait(10)
        return {}
    monkeypatch.setitem(api.OPERATIONS, "TagResource", slow)
    with connect(endpoint) as w:
        w.sendall(request("DynamoDB_20120810.TagResource",
                          {"ResourceArn": "arn:aws:dynamodb:us-east-1:000000000000:table/tbl",
                           "Tags": [{"Key": "k", "Value": "v"}]}))
        assert started.wait(10)
        t0 = time.perf_counter()
        for _ in range(20):
            assert_serving(endpoint)
        assert time.perf_counter() - t0 < 5
        release.set()
        assert read_response(w)[0] == 200
    assert real


def test_repeated_headers_are_joined_and_trailers_ignored(endpoint):
    msg = ("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: %s\r\n"
           "X-Amz-Date: 20240101T000000Z\r\nAuthorization: %s\r\nX-Rep: a\r\nX-Rep: b\r\n"
           "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nX-Trailer: t\r\n\r\n"
           % (LIST, DUMMY_AUTH)).encode()
    with connect(endpoint) as s:
        s.sendall(msg)
        assert read_response(s)[0] == 200


def test_idle_and_stalled_connections_are_closed_after_the_idle_timeout():
    from pyddb.server.app import ServerThread

    with ServerThread(None, idle_timeout=0.4) as srv:
        with connect(srv.url) as idle, connect(srv.url) as stalled, connect(srv.url) as busy:
            idle.sendall(request(LIST, b"{}"))
            assert read_response(idle)[0] == 200
            stalled.sendall(request(LIST, b"{}")[:30])
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < 1.2:        # a client that keeps talking stays open
                busy.sendall(request(LIST, b"{}"))
                assert read_response(busy)[0] == 200
                time.sleep(0.1)
            assert is_closed(idle, 2) and is_closed(stalled, 2)
            busy.sendall(request(LIST, b"{}"))
            assert read_response(busy)[0] == 200


def test_write_pool_runs_everything_submitted_with_at_most_its_threads_and_drains_on_shutdown():
    """app.WritePool (the write pool without a Future per request): every submitted request runs exactly once,
    on at most max_threads threads, and shutdown() returns only after all queued ones ran."""
    from pyddb.server.app import WritePool

    ran, names, gate = [], set(), threading.Event()

    class FakeServer:
        def _pooled(self, conn, req):
            gate.wait(10)
            names.add(threading.current_thread().name)
            ran.append(req)

    pool = WritePool(FakeServer(), 3)
    for i in range(50):
        pool.submit(None, i)
    time.sleep(0.05)
    assert len(pool.threads) <= 3 and not ran
    gate.set()
    pool.shutdown(wait=True)
    assert sorted(ran) == list(range(50))
    assert 1 <= len(names) <= 3
    assert not any(t.is_alive() for t in pool.threads)


def _wait_until(cond, timeout=10.0):
    end = time.monotonic() + timeout
    while not cond() and time.monotonic() < end:
        time.sleep(0.005)
    return cond()


def test_write_pool_does_not_queue_a_request_behind_a_busy_worker_while_it_can_start_another():
    """A slow pooled request (a backup, a big scan, an fsync) on one connection must not hold up a fast one
    submitted after it: with one worker idle, a burst of two claims that worker for the first and starts a
    second thread for the next, rather than queueing both on the idle one."""
    from pyddb.server.app import WritePool

    gate, slow_started, fast_done, warm_done = (threading.Event() for _ in range(4))

    class FakeServer:
        def _pooled(self, conn, req):
            if req == "slow":
                slow_started.set()
                gate.wait(10)
            elif req == "fast":
                fast_done.set()
            else:
                warm_done.set()

    pool = WritePool(FakeServer(), 16)
    try:
        pool.submit(None, "warm")
        assert warm_done.wait(10)
        assert _wait_until(lambda: pool.idle == 1)          # one worker, waiting on the queue
        switch = sys.getswitchinterval()
        sys.setswitchinterval(100)      # both submits before the idle worker can wake (the burst, made certain)
        try:
            pool.submit(None, "slow")
            pool.submit(None, "fast")
        finally:
            sys.setswitchinterval(switch)
        assert slow_started.wait(10)
        assert fast_done.wait(10), "the fast request waited behind the blocked slow one"
        assert not gate.is_set() and len(pool.threads) == 2
    finally:
        gate.set()
        pool.shutdown(wait=True)
    assert pool.idle >= 0 and pool.pending == 0


class _WorkerDies(BaseException):
    pass


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_write_pool_replaces_a_worker_that_dies_and_runs_what_was_queued_for_it():
    """A worker killed by a BaseException out of a request leaves the pool (it no longer counts toward
    max_threads); an item queued while every thread was busy still runs, and later submits get a thread."""
    from pyddb.server.app import WritePool

    gate, ran = threading.Event(), []

    class FakeServer:
        def _pooled(self, conn, req):
            if req == "die":
                gate.wait(10)
                raise _WorkerDies()
            ran.append(req)

    pool = WritePool(FakeServer(), 1)
    try:
        pool.submit(None, "die")
        pool.submit(None, "queued")                          # the only thread is busy: queued with no worker
        assert len(pool.threads) == 1 and pool.pending == 1
        gate.set()
        assert _wait_until(lambda: ran == ["queued"]), ran
        pool.submit(None, "later")
        assert _wait_until(lambda: ran == ["queued", "later"]), ran
        assert len(pool.threads) == 1 and all(t.is_alive() for t in pool.threads)
    finally:
        gate.set()
        pool.shutdown(wait=True)
    assert pool.threads == []
