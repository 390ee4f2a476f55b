"""(app.py A5) stop() lets running and queued requests finish: requests pipelined behind a pooled one on the
same connection are answered too, not only the one running when stop() began."""
import threading

from test_server_http import connect, read_response, request

from pyddb.server.app import ServerThread

SCAN = "DynamoDB_20120810.Scan"      # pooled in every sync mode


def test_stop_answers_pooled_requests_pipelined_behind_the_running_one():
    srv = ServerThread(None).start()
    real = srv.server.handler
    entered, gate = threading.Event(), threading.Event()

    class Gated:                                   # holds the first request in the pool until stop() runs
        quick_writes = real.quick_writes

        def handle(self, req):
            if not entered.is_set():
                entered.set()
                gate.wait(30)
            return real.handle(req)

    srv.server.handler = Gated()                   # taken by connections made from now on, and by the pool
    stopper = None
    try:
        with connect(srv.url) as s:
            s.sendall(request(SCAN, {"TableName": "nothere"}) * 3)
            assert entered.wait(30)
            stopper = threading.Thread(target=srv.stop)
            stopper.start()
            while not srv.server.stopping:
                stopper.join(0.01)
            gate.set()
            rest = b""
            for _ in range(3):
                status, _, body, rest = read_response(s, rest)
                assert status == 400 and b"ResourceNotFoundException" in body
    finally:
        gate.set()
        if stopper is None:
            srv.stop()
        else:
            stopper.join(60)
