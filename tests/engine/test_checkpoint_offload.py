"""(D10) Database.offload_checkpoints: a thread that calls it (the server's event loop) never runs an
automatic checkpoint in its own commits; one falling due runs in a thread of its own. Other threads keep
running theirs in the commit that made it due."""
import threading
import time

import pytest

from pyddb._engine.database import Database

CKPT = 20_000


def _put_until_due(db, start=0):
    """Commit 100-byte values until one has made an automatic checkpoint due (the WAL bytes counted towards
    checkpoint_bytes are the records' payloads, a little less than the bytes appended); returns the next key
    number."""
    k = start
    before = db.stats()["wal"]["bytes_appended"]
    while db.stats()["wal"]["bytes_appended"] - before < CKPT * 3 // 2:
        db.write_batch([("ks", b"k%d" % k, b"", b"v" * 100)])
        k += 1
    return k


def _wait(cond, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_thread_that_offloads_leaves_the_due_checkpoint_to_another_thread(tmp_path):
    with Database(str(tmp_path), sync="off", checkpoint_bytes=CKPT) as db:
        db.create_keyspace("ks")
        ran = []
        db.offload_checkpoints()
        _put_until_due(db)
        _wait(lambda: db.stats()["offloaded_checkpoints"] >= 1)
        ran.append(db.checkpoint_lsn)
        assert ran[0] > 0
        # the commits go on, and later checkpoints are offloaded too
        n = _put_until_due(db, 10_000)
        _wait(lambda: db.stats()["offloaded_checkpoints"] >= 2)
        assert db.checkpoint_lsn > ran[0]
        db.offload_checkpoints(False)                       # back to running them in the commit
        _put_until_due(db, n)
        assert db.stats()["offloaded_checkpoints"] == 2
        assert db.checkpoint_headroom > 0                   # the commit that made it due ran it


def test_other_threads_still_checkpoint_in_their_commits(tmp_path):
    with Database(str(tmp_path), sync="off", checkpoint_bytes=CKPT) as db:
        db.create_keyspace("ks")
        other = threading.Thread(target=db.offload_checkpoints)   # offloading is per thread
        other.start()
        other.join()
        first = db.checkpoint_lsn
        _put_until_due(db)
        assert db.checkpoint_lsn > first                    # at once: in the commit itself
        assert db.stats()["offloaded_checkpoints"] == 0


@pytest.mark.parametrize("sync", ["off", "normal"])
def test_closing_during_offloaded_checkpoints_keeps_every_commit(tmp_path, sync):
    for round_ in range(5):
        db = Database(str(tmp_path), sync=sync, checkpoint_bytes=CKPT)
        if round_ == 0:
            db.create_keyspace("ks")
        db.offload_checkpoints()
        _put_until_due(db, round_ * 1000)                  # a checkpoint starting in another thread...
        db.close()                                          # ...which close waits for, or which finds
                                                            # it closed
    with Database(str(tmp_path), sync="off") as db:
        db.check()
        keys = {pk for pk, _, _ in db.scan("ks")}
        for round_ in range(5):
            assert b"k%d" % (round_ * 1000) in keys and b"k%d" % (round_ * 1000 + 150) in keys


def test_offloading_nests_and_ends_with_the_thread(tmp_path):
    with Database(str(tmp_path), sync="off", checkpoint_bytes=CKPT) as db:
        db.create_keyspace("ks")

        def offloads(calls):
            """In a new thread: make `calls` to offload_checkpoints, then a due commit; offloaded?"""
            before = db.stats()["offloaded_checkpoints"]

            def run():
                for on in calls:
                    db.offload_checkpoints(on)
                _put_until_due(db, 100_000 + len(calls))
            t = threading.Thread(target=run)
            t.start()
            t.join()
            _wait(lambda: db.checkpoint_headroom > 0)        # the checkpoint done, wherever it ran
            return db.stats()["offloaded_checkpoints"] > before

        assert offloads([True, True, False])                 # still on: two ons, one off
        assert not offloads([True, False])
        assert not offloads([False, True, False])            # an off too many does not go below zero
        assert not offloads([])                              # a new thread starts without it, whatever ran
                                                             # before under the same ident


def test_a_commit_that_cannot_start_a_thread_checkpoints_itself(tmp_path, monkeypatch):
    def no_thread(self):
        raise RuntimeError("can't start new thread")
    with Database(str(tmp_path), sync="off", checkpoint_bytes=CKPT) as db:
        db.create_keyspace("ks")
        db.offload_checkpoints()
        monkeypatch.setattr(threading.Thread, "start", no_thread)
        first = db.checkpoint_lsn
        _put_until_due(db)                                  # every commit succeeds
        assert db.checkpoint_lsn > first and db.stats()["offloaded_checkpoints"] == 0
        assert db.get("ks", b"k0", b"") == b"v" * 100
