"""kill -9 at random moments: every acknowledged batch survives, no batch is partly visible.

A writer subprocess (writer_proc.py) writes a deterministic history of multi-keyspace batches with
sync="full" and prints each batch number after write_batch returns. The parent SIGKILLs it at a random moment
(sometimes while it is still importing or recovering), then either reopens the directory itself and checks
it, or lets the next writer recover it (so a crash can hit recovery too). Every check asserts:

  * the state equals exactly the state after batches 1..p of the history (p = the progress key), so no batch
    is partly visible and nothing outside the history appears;
  * p >= every batch acknowledged so far and >= every state seen before (recovery never goes backwards);
  * scans and gets agree, scan order is (hash64(pk), pk, sk), and db.check() passes.

Small WAL segments, checkpoint thresholds and partition limits make segment rollover, checkpoints and
partition splits happen every few batches; two variants make them happen almost every batch.
"""
import os
import sys

import pytest

import writer_proc
from writer_proc import PROFILES, kill_loop, open_db

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="kill -9 tests need POSIX signals")


def test_kill9_every_acked_batch_survives_and_none_is_partial(engine, tmp_path, seed):
    final, rounds = kill_loop(tmp_path, seed, "default", kills=16)
    assert final > 0


def test_kill9_during_checkpoint_heavy_load(engine, tmp_path, seed):
    final, _ = kill_loop(tmp_path, seed, "checkpoint", kills=8, max_acks=(3, 30))
    db = open_db(tmp_path / "db", "checkpoint")
    try:
        st = db.stats()
        assert st["checkpoint_lsn"] > 0
    finally:
        db.close()


def test_kill9_during_split_heavy_load(engine, tmp_path, seed):
    final, _ = kill_loop(tmp_path, seed, "split", kills=8, max_acks=(10, 60), early_kill=0.1)
    db = open_db(tmp_path / "db", "split")
    try:
        parts = sum(len(k["partitions"]) for k in db.stats()["keyspaces"].values())
    finally:
        db.close()
    assert parts > 6, "the split-heavy load should have split partitions (got %d partitions)" % parts


def test_kill9_while_keyspaces_are_dropped_and_created(engine, tmp_path, seed):
    """Keyspace "c" is dropped and created again before every 5th batch: a kill between the drop, the
    create and the batch leaves either the state before the drop or that state without c's items."""
    final, _ = kill_loop(tmp_path, seed, "churn", kills=10, max_acks=(3, 40))
    assert final >= 5


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["default", "checkpoint", "split", "big", "threads", "churn"])
def test_kill9_stress(engine, tmp_path, seed, profile):
    kills = int(os.environ.get("PYDDB_STRESS_KILLS", "120"))
    if profile == "big":
        kill_loop(tmp_path, seed, profile, kills=max(10, kills // 6), verify_every=0.3, max_acks=(1, 8))
    elif profile == "threads":
        kill_loop(tmp_path, seed, "checkpoint", kills=kills // 2, verify_every=0.3, max_acks=(1, 40),
                  threads=4)
    else:
        kill_loop(tmp_path, seed, profile, kills=kills, verify_every=0.3, max_acks=(1, 80))


def test_writer_history_is_deterministic_and_multi_keyspace():
    for profile in PROFILES:
        for n in (1, 2, 57):
            a = writer_proc.batch_ops(7, n, profile)
            assert a == writer_proc.batch_ops(7, n, profile)
            assert len({op[0] for op in a[:-1]}) >= 2
            assert a[-1] == ("meta", b"progress", b"", b"%d" % n)
            assert len({op[:3] for op in a}) == len(a)
    assert writer_proc.batch_ops(7, 3, "default") != writer_proc.batch_ops(8, 3, "default")


def test_kill9_with_concurrent_writers_sharing_group_commits(engine, tmp_path, seed):
    """Four threads commit concurrently (their fsyncs are shared by group commit); after each kill every
    stream holds an exact prefix >= its acknowledged batches, and the recovered batches form a prefix of the
    commit order (no batch missing below the LSN of a recovered one)."""
    floors = kill_loop(tmp_path, seed, "default", kills=8, threads=4, max_acks=(2, 15), early_kill=0.1)
    assert sum(floors) > 0


def test_kill9_with_concurrent_writers_and_explicit_checkpoints(engine, tmp_path, seed):
    """As above, with thread 0 also calling db.checkpoint() every third batch while automatic checkpoints
    run from the other threads' commits. (A writer that stops making progress fails the test with its
    threads' stacks: see WriterRun.run_until.)"""
    floors = kill_loop(tmp_path, seed, "checkpoint", kills=8, threads=4, max_acks=(25, 75), early_kill=0.1)
    assert sum(floors) > 0


def test_concurrent_writers_with_explicit_checkpoints_run_to_completion(engine, tmp_path, seed):
    """Liveness, no kill: four writer threads, one of them calling db.checkpoint() every third batch while
    the others' commits trigger automatic checkpoints, write 400 batches each and close; then the state is
    checked. A writer that stops making progress fails with every thread's stack."""
    run = writer_proc.WriterRun(tmp_path / "db", seed, "checkpoint", stderr_path=tmp_path / "w.err",
                                extra=("--threads", "4", "--max-batches", "400", "--end", "close"))
    run.run_until(timeout=240, stall=10)
    assert run.finish() == 0 and run.lines[-1] == "closed", run.stderr_tail()
    db = open_db(tmp_path / "db", "checkpoint")
    try:
        hists = [writer_proc.History(seed, "checkpoint", t) for t in range(4)]
        assert writer_proc.verify_streams(db, hists, [400] * 4) == (400,) * 4
    finally:
        db.close()
