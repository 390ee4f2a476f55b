"""protocol.INLINE_WRITES: with --sync normal/off a PutItem, UpdateItem or DeleteItem runs on the event loop
(no hop to the write pool) while the model's quick_writes() holds: no checkpoint is due, running or within
1/32 of the interval (a write of another thread could start one). The loop offloads checkpoints (the
engine's D10), so a write of its that makes one due leaves it to another thread. With --sync full, or near
or during a checkpoint, it goes to the pool as every other write does."""
import json

import pytest
from test_server_http import GET, PUT, connect, read_response, request

from pyddb.server import protocol


@pytest.fixture(autouse=True)
def operations_loaded():
    """is_inline knows the operations once api has loaded them (the server's Handler does that first)."""
    from pyddb import api
    if not api._LOADED:
        api._load()


class Engine:
    def __init__(self, headroom):
        self.checkpoint_headroom = headroom
        self.checkpoint_bytes = 64 << 20


def quick(headroom, sync="normal"):
    """The model's quick_writes over an engine with that much checkpoint headroom (the server's seam)."""
    from pyddb.model.database import DynamoDB
    model = DynamoDB.__new__(DynamoDB)            # white-box: only the two attributes quick_writes reads
    model.sync_mode, model.engine = sync, Engine(headroom)
    return model.quick_writes


def req(op):
    return protocol.Request("POST", "/", {"x-amz-target": "DynamoDB_20120810." + op}, b"{}", True, None)


@pytest.mark.parametrize("op", ["PutItem", "UpdateItem", "DeleteItem"])
def test_single_item_writes_run_inline_only_with_headroom_and_no_fsync_wait(op):
    assert protocol.is_inline(req(op), quick((2 << 20) + 1))
    assert not protocol.is_inline(req(op), quick(2 << 20))     # close to a checkpoint: another thread's
    assert not protocol.is_inline(req(op), quick(0))           # a checkpoint (or a split) is due or running
    assert not protocol.is_inline(req(op), None)               # sync=full: the handler passes no check
    assert not protocol.is_inline(req(op), quick(1 << 40, sync="full"))


@pytest.mark.parametrize("op", ["BatchWriteItem", "TransactWriteItems", "CreateTable", "Scan"])
def test_other_writes_stay_in_the_pool(op):
    assert not protocol.is_inline(req(op), quick(1 << 40))


def test_reads_stay_inline_without_an_engine():
    assert protocol.is_inline(req("GetItem"), None) and protocol.is_inline(req("Query"), quick(0))


@pytest.mark.parametrize("sync", ["off", "normal", "full"])
def test_the_server_runs_a_put_inline_unless_every_write_waits_for_fdatasync(tmp_path, sync, monkeypatch):
    from pyddb.server.app import ServerThread

    with ServerThread(str(tmp_path / "db"), sync=sync) as srv:
        pooled = []
        real = srv.server.submit

        def submit(conn, r):
            pooled.append(r.headers.get("x-amz-target"))
            return real(conn, r)
        monkeypatch.setattr(srv.server, "submit", submit)
        assert (srv.server.handler.quick_writes is None) == (sync == "full")
        with connect(srv.url) as s:
            s.sendall(request("DynamoDB_20120810.CreateTable", {
                "TableName": "tbl", "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}))
            assert read_response(s)[0] == 200
            s.sendall(request(PUT, {"TableName": "tbl", "Item": {"pk": {"S": "a"}, "v": {"N": "1"}}}))
            assert read_response(s)[0] == 200
            s.sendall(request(GET, {"TableName": "tbl", "Key": {"pk": {"S": "a"}}, "ConsistentRead": True}))
            status, _, body, _ = read_response(s)
            assert json.loads(body) == {"Item": {"pk": {"S": "a"}, "v": {"N": "1"}}}
        assert pooled == ["DynamoDB_20120810.CreateTable"] + (["DynamoDB_20120810.PutItem"] if sync == "full" else [])


def test_the_loop_leaves_the_checkpoints_its_writes_make_due_to_another_thread(tmp_path):
    from pyddb.model.database import DynamoDB
    from pyddb.server.app import ServerThread

    model = DynamoDB(str(tmp_path / "db"), sync="normal", checkpoint_bytes=64 << 10)
    try:
        with ServerThread(model=model) as srv, connect(srv.url) as s:
            s.sendall(request("DynamoDB_20120810.CreateTable", {
                "TableName": "tbl", "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}))
            assert read_response(s)[0] == 200
            first = model.engine.checkpoint_lsn
            # ~1 MB of WAL: checkpoints fall due, by writes on the loop too: one made with more headroom than
            # the 2 KB it leaves to other threads' writes (quick_writes), 4.9 KB here, and larger than that
            for i in range(200):
                item = {"pk": {"S": "k%d" % i}, "v": {"S": "x" * 5000}}
                s.sendall(request(PUT, {"TableName": "tbl", "Item": item}))
                assert read_response(s)[0] == 200
            assert model.engine.checkpoint_lsn > first
            assert model.engine.stats()["offloaded_checkpoints"] >= 1
            for i in (0, 99, 199):
                s.sendall(request(GET, {"TableName": "tbl", "Key": {"pk": {"S": "k%d" % i}}}))
                assert json.loads(read_response(s)[2])["Item"]["pk"] == {"S": "k%d" % i}
    finally:
        model.close()


def test_a_server_that_fails_to_listen_or_stops_leaves_its_thread_checkpointing_as_before(tmp_path):
    import asyncio
    import socket

    from pyddb.model.database import DynamoDB
    from pyddb.server.app import Server, new_event_loop
    from pyddb.server.auth import OpenAccess

    model = DynamoDB(str(tmp_path / "db"), sync="normal", checkpoint_bytes=64 << 10)

    def due_commit_offloaded():
        """Commit from this thread until a checkpoint falls due: was it left to another thread?"""
        before = model.engine.stats()["offloaded_checkpoints"]
        first = model.engine.checkpoint_lsn
        i = 0
        offloaded = lambda: model.engine.stats()["offloaded_checkpoints"]          # noqa: E731
        while model.engine.checkpoint_lsn == first and offloaded() == before:
            model.engine.write_batch([("__tables__", b"x", b"%d" % i, b"v" * 5000)])
            i += 1
        return offloaded() > before

    async def serve(port):
        srv = Server(model, OpenAccess(), port=port)
        try:
            await srv.start()
        except OSError:
            return "refused"
        offloaded = due_commit_offloaded()
        await srv.stop(close_model=False)
        return offloaded

    loop = new_event_loop()
    try:
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen(1)
            assert loop.run_until_complete(serve(busy.getsockname()[1])) == "refused"
        assert not due_commit_offloaded()                   # the failed start left nothing behind
        assert loop.run_until_complete(serve(0)) is True      # while serving, this thread offloads
        assert not due_commit_offloaded()                   # and stop() undid it
    finally:
        loop.close()
        model.close()
