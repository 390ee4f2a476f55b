"""Disk space: lowest-page-first allocation, compaction (BTree._compact through checkpoint() and settle()), and
a clean close giving back what the WAL holds only for speed (Wal.close(release_space=True)).

Copy-on-write between checkpoints leaves the previous version of every changed page free but scattered
through the file; compaction moves pages from the top of the file into the lowest free pages so that a later
checkpoint can trim the top. A clean Database.close() compacts, writes both meta pages at the final LSN and
reduces the WAL to one empty segment. Every state in between must recover (the fault and power-loss tests
at the end).
"""
import os
import random
import shutil
import struct

import pytest

from pyddb._engine import osfile
from pyddb._engine.btree import BTree
from pyddb._engine.database import Database
from pyddb._engine.wal import Wal, segment_name

PS = 4096


def make(tmp_path, name="t.db", page_size=PS):
    return BTree(str(tmp_path / name), page_size, create=True)


def walk(t):
    c = t.cursor()
    ok = c.first()
    out = []
    while ok:
        out.append((c.key(), c.value()))
        ok = c.next()
    return out


def random_load(t, n, seed, vlen=(40, 60), ckpt_every=2000, big=0.0):
    """n random inserts with a checkpoint every ckpt_every, as a random bulk load does (every interval
    rewrites most leaves, so the file ends up about twice the live tree)."""
    rnd = random.Random(seed)
    d = {}
    lsn = t.lsn
    for i in range(n):
        k = b"k%09d" % rnd.randrange(10 ** 9)
        v = rnd.randbytes(rnd.randint(3000, 9000) if rnd.random() < big else rnd.randint(*vlen))
        t.put(k, v)
        d[k] = v
        if (i + 1) % ckpt_every == 0:
            lsn += 1
            t.checkpoint(lsn)
    lsn += 1
    t.checkpoint(lsn)
    return d


def file_pages(t):
    return t.stats()["file_bytes"] // t.page_size


def meta_gen(path, slot, ps=PS):
    with open(path, "rb") as f:
        f.seek(slot * ps + 16)
        return struct.unpack(">Q", f.read(8))[0]


# ---- B+tree: allocation and compaction -----------------------------------------------------------------------

def test_freed_pages_are_reused_lowest_first(tmp_path):
    t = make(tmp_path)
    d = random_load(t, 3000, seed=1)
    for k in list(d)[::2]:
        t.delete(k)
    t.checkpoint(t.lsn + 1)
    t.checkpoint(t.lsn + 1)                      # everything freed above is free now
    st = t.check()
    assert st["free_pages"] > 20
    t.put(b"new", b"x")                          # copies one root-to-leaf path into free pages
    t.checkpoint(t.lsn + 1)
    # the copies took the lowest free pages: no free page is below every page the path now uses
    data = open(t.path, "rb").read()
    gens = {n: struct.unpack(">Q", data[n * PS + 16:n * PS + 24])[0] for n in range(2, len(data) // PS)}
    written = sorted(n for n, g in gens.items() if g == t.gen)
    free_before = sorted(n for n, g in gens.items() if g < t.gen)
    assert written and written[0] < free_before[len(free_before) // 2]


def test_settle_after_a_random_load_trims_the_file_to_about_the_live_tree(tmp_path):
    t = make(tmp_path)
    d = random_load(t, 20000, seed=2)
    before = t.check()
    assert before["free_pages"] > 0.3 * before["pages"]      # the copy-on-write churn this fixes
    moved0 = t.moved_pages
    moved = t.settle()
    st = t.check()
    assert moved > 0 and t.stats()["moved_pages"] == moved0 + moved
    live = st["leaf_pages"] + st["branch_pages"] + st["overflow_pages"]
    assert st["free_pages"] <= 0.03 * live + 4, st
    assert file_pages(t) == st["pages"] < 0.7 * before["pages"]
    assert t.settled and t.prev_lsn == t.lsn
    assert walk(t) == sorted(d.items())
    lsn = t.lsn
    t.close()
    t = BTree(str(tmp_path / "t.db"))
    assert t.lsn == lsn and walk(t) == sorted(d.items())
    t.check()
    assert t.settle() == 0                          # nothing left to do: no checkpoint either
    assert t.gen == BTree(str(tmp_path / "t.db")).gen


def test_compaction_moves_overflow_chains_and_keeps_every_value(tmp_path):
    t = make(tmp_path)
    d = random_load(t, 3000, seed=3, big=0.1)
    rnd = random.Random(3)
    for k in rnd.sample(sorted(d), len(d) // 2):
        t.delete(k)
        del d[k]
    t.checkpoint(t.lsn + 1)
    before = t.check()
    t.settle()
    st = t.check()
    assert st["overflow_pages"] > 0 and st["pages"] < 0.8 * before["pages"]
    assert st["free_pages"] <= 0.05 * st["pages"] + 4, st
    assert walk(t) == sorted(d.items())
    t.close()
    t = BTree(str(tmp_path / "t.db"))
    assert walk(t) == sorted(d.items())
    t.check()


def test_b12_a_cursor_survives_compaction(tmp_path):
    t = make(tmp_path)
    d = random_load(t, 5000, seed=4)
    keys = sorted(d)
    c = t.cursor()
    assert c.seek_ge(keys[100])
    t.settle()
    got = [c.key()]
    while len(got) < 50 and c.next():
        got.append(c.key())
    assert got == keys[100:150]
    assert c.value() == d[keys[149]]


def test_checkpoint_compaction_is_bounded_and_shrinks_the_file_over_checkpoints(tmp_path):
    t = make(tmp_path)
    d = random_load(t, 12000, seed=5)
    rnd = random.Random(5)
    for k in rnd.sample(sorted(d), 3 * len(d) // 4):   # live pages stay scattered up to the top
        t.delete(k)
        del d[k]
    t.checkpoint(t.lsn + 1, compact=0)
    t.checkpoint(t.lsn + 1, compact=0)
    start = file_pages(t)
    sizes = []
    for i in range(12):
        moved0 = t.moved_pages
        dirty = t.stats()["dirty_pages"]
        t.checkpoint(t.lsn + 1)
        assert t.moved_pages - moved0 <= max(32, dirty // 4)
        sizes.append(file_pages(t))
        t.check()
    assert sizes[-1] < 0.7 * start, (start, sizes)
    assert walk(t) == sorted(d.items())


def test_compact_zero_moves_nothing(tmp_path):
    t = make(tmp_path)
    random_load(t, 6000, seed=6)
    moved = t.moved_pages
    t.checkpoint(t.lsn + 1, compact=0)
    assert t.moved_pages == moved


def test_settle_writes_both_metas_at_the_same_lsn_so_a_damaged_newest_meta_loses_nothing(tmp_path):
    path = str(tmp_path / "t.db")
    t = make(tmp_path)
    d = random_load(t, 4000, seed=7)
    t.put(b"last", b"change")
    d[b"last"] = b"change"
    t.checkpoint(77)
    assert not t.settled                         # the other slot holds LSN 76
    t.settle()
    assert t.settled and t.lsn == 77
    gen = t.gen
    t.close()
    with open(path, "r+b") as f:                 # damage the newest meta
        f.seek((gen % 2) * PS + 40)
        f.write(b"\xff")
    t = BTree(path)
    assert t.gen == gen - 1 and t.lsn == 77
    assert walk(t) == sorted(d.items())
    t.check()


def test_a_fault_at_every_io_of_settle_leaves_the_same_contents(tmp_path):
    base = str(tmp_path / "base.db")
    t = BTree(base, PS, create=True)
    d = random_load(t, 6000, seed=8, big=0.05)
    for k in random.Random(8).sample(sorted(d), 3000):
        t.delete(k)
        del d[k]
    t.checkpoint(t.lsn + 1)
    lsn = t.lsn
    t.close()

    def run(kind, after):
        path = str(tmp_path / ("f-%s-%s.db" % (kind, after)))
        shutil.copy(base, path)
        t = BTree(path)
        w0, s0 = osfile.io_counts()
        if after is not None:
            osfile.set_fault(kind, after)
        try:
            t.settle()
        except OSError:
            assert t.poisoned
        finally:
            osfile.clear_fault()
        w1, s1 = osfile.io_counts()
        t.close()
        t = BTree(path)
        assert t.lsn == lsn and walk(t) == sorted(d.items())
        t.check()
        t.close()
        os.unlink(path)
        return w1 - w0, s1 - s0

    writes, syncs = run("write", None)
    assert syncs >= 4 and syncs % 2 == 0         # two or more checkpoints
    for after in sorted(set(range(0, writes, max(1, writes // 40))) | {writes - 1, writes - 2}):
        run("write", after)
    for after in range(syncs):
        run("sync", after)


# ---- WAL: giving the space back at a clean close -------------------------------------------------------------

def wal_files(d):
    return sorted(os.listdir(d))


def test_wal_release_drops_checkpointed_records_leaving_one_empty_segment(tmp_path):
    d = str(tmp_path / "wal")
    with Wal(d, segment_bytes=4096) as w:
        for i in range(100):
            w.append(b"r%d" % i + b"x" * 100)
        w.retire(60)
        assert len([f for f in os.listdir(d) if f.endswith(".free")]) > 0
        w.close(release_space=True, checkpointed_lsn=100)
    assert wal_files(d) == [segment_name(101)]
    assert os.path.getsize(os.path.join(d, segment_name(101))) == 0
    with Wal(d, segment_bytes=4096, start_lsn=101) as w:
        assert (w.first_lsn, w.last_lsn) == (101, 100)
        assert w.stats()["recovered_tail"] is None
        assert w.append(b"next") == 101             # the empty segment grows back to a full one (W5)
        w.sync()
        assert w.stats()["segments"] == 1
    assert os.path.getsize(os.path.join(d, segment_name(101))) == 4096
    with Wal(d, segment_bytes=4096, start_lsn=101) as w:
        assert [r[0] for r in w.records(101)] == [101]


def test_wal_release_keeps_records_not_checkpointed_and_in_archive_mode(tmp_path):
    for archive, ckpt in ((False, 50), (True, 100)):
        d = str(tmp_path / ("wal-%s" % archive))
        with Wal(d, segment_bytes=4096, archive=archive) as w:
            for i in range(100):
                w.append(b"r%d" % i + b"x" * 100)
            w.retire(40)
            first = w.first_lsn
            cur = w.stats()["current_segment"]
            end = w.stats()["write_offset"]
            w.close(release_space=True, checkpointed_lsn=ckpt)
        assert not [f for f in os.listdir(d) if f.endswith(".free")]
        assert os.path.getsize(os.path.join(d, cur)) == end          # preallocation cut off
        with Wal(d, segment_bytes=4096, archive=archive) as w:
            assert w.stats()["recovered_tail"] is None
            assert [r[0] for r in w.records(first)] == list(range(first, 101))
            for i in range(30):                                        # rolls past the short segment
                w.append(b"n%d" % i + b"y" * 200)
            w.sync()
        with Wal(d, segment_bytes=4096, archive=archive) as w:
            assert [r[0] for r in w.records(first)] == list(range(first, 131))


def test_wal_release_interrupted_at_any_step_recovers_the_same_log_end(tmp_path):
    # The states a crash inside _release_space can leave: the new empty segment next to the old ones, and
    # the old ones removed oldest first.
    src = str(tmp_path / "src")
    with Wal(src, segment_bytes=2048) as w:
        for i in range(60):
            w.append(b"r%d" % i + b"x" * 100)
        segs = [f for f in wal_files(src) if f.endswith(".wal")]
    assert len(segs) >= 3
    for k in range(len(segs) + 1):
        d = str(tmp_path / ("s%d" % k))
        shutil.copytree(src, d)
        open(os.path.join(d, segment_name(61)), "wb").close()
        for f in segs[:k]:
            os.unlink(os.path.join(d, f))
        with Wal(d, segment_bytes=2048, start_lsn=61) as w:
            assert w.last_lsn == 60 and w.stats()["recovered_tail"] is None
            assert w.append(b"after") == 61
            w.sync()
        with Wal(d, segment_bytes=2048, start_lsn=61) as w:
            assert w.last_lsn == 61 and [r[2] for r in w.records(61)] == [b"after"]


def test_the_first_append_after_a_release_takes_a_spare_made_in_the_background(tmp_path):
    d = str(tmp_path / "wal")
    seg = 4 << 20
    with Wal(d, segment_bytes=seg, sync="off") as w:
        w.append(b"a")
        w.close(release_space=True, checkpointed_lsn=1)
    assert wal_files(d) == [segment_name(2)]
    with Wal(d, segment_bytes=seg, sync="off", start_lsn=2) as w:
        assert w.append(b"b") == 2
        st = w.stats()
        assert st["segments_recycled"] == 1 and st["segments_created"] == 0
        assert os.path.getsize(os.path.join(d, segment_name(2))) == seg
        w.sync()
    with Wal(d, segment_bytes=seg, sync="off", start_lsn=2) as w:
        assert [r[2] for r in w.records(2)] == [b"b"]


# ---- Database: a clean close ---------------------------------------------------------------------------------

def dir_bytes(path):
    return {os.path.relpath(os.path.join(r, f), path): os.path.getsize(os.path.join(r, f))
            for r, _, fs in os.walk(path) for f in fs}


def test_clean_close_leaves_the_tree_and_an_empty_wal_and_reopens_without_replay(tmp_path):
    d = str(tmp_path / "db")
    rnd = random.Random(9)
    model = {}
    with Database(d, sync="off", page_size=4096, checkpoint_bytes=256 << 10, wal_segment_bytes=256 << 10) as db:
        db.create_keyspace("t")
        for b in range(60):
            ops = []
            for _ in range(100):
                pk, sk, v = b"p%05d" % rnd.randrange(5000), b"%03d" % rnd.randrange(20), rnd.randbytes(120)
                ops.append(("t", pk, sk, v))
                model[(pk, sk)] = v
            db.write_batch(ops)
        last = db.last_lsn
    files = dir_bytes(d)
    wal = {f: n for f, n in files.items() if f.startswith("wal")}
    assert wal == {os.path.join("wal", segment_name(last + 1)): 0}, files
    with Database(d, sync="off", page_size=4096) as db:
        assert db.recovery_info()["replayed_batches"] == 0
        st = db.stats()["keyspaces"]["t"]["partitions"][0]
        assert st["free_pages"] <= 0.03 * st["pages"] + 4, st
        assert {(pk, sk): v for pk, sk, v in db.scan("t")} == model
        db.check()
        db.put("t", b"x", b"y", b"z")
        assert db.last_lsn == last + 1


def test_after_a_clean_close_a_damaged_newest_meta_still_opens_to_the_exact_state(tmp_path):
    d = str(tmp_path / "db")
    with Database(d, sync="off", page_size=4096, checkpoint_bytes=64 << 10, wal_segment_bytes=64 << 10) as db:
        db.create_keyspace("t")
        db.create_keyspace("idle")
        db.put("idle", b"i", b"", b"untouched since its first checkpoint")
        db.checkpoint()
        for i in range(3000):
            db.put("t", b"p%d" % (i % 97), b"%05d" % i, b"v%d" % i)
        model = {(pk, sk): v for pk, sk, v in db.scan("t")}
    for f in sorted(x for x in os.listdir(d) if x.endswith(".db")):
        path = os.path.join(d, f)
        newest = max((0, 1), key=lambda s: meta_gen(path, s))
        with open(path, "r+b") as fh:
            fh.seek(newest * 4096 + 40)
            fh.write(b"\xee")
    with Database(d, sync="off", page_size=4096) as db:
        assert {(pk, sk): v for pk, sk, v in db.scan("t")} == model
        assert db.get("idle", b"i") == b"untouched since its first checkpoint"
        db.check()


def test_close_of_a_poisoned_database_releases_nothing(tmp_path):
    d = str(tmp_path / "db")
    db = Database(d, sync="full", page_size=4096, wal_segment_bytes=64 << 10)
    db.create_keyspace("t")
    db.put("t", b"a", b"", b"1")
    osfile.set_fault("sync", 0)
    try:
        with pytest.raises(Exception):
            db.put("t", b"b", b"", b"2")
    finally:
        osfile.clear_fault()
    db.close()
    segs = [f for f in os.listdir(os.path.join(d, "wal")) if f.endswith(".wal")]
    assert segs and all(os.path.getsize(os.path.join(d, "wal", f)) == 64 << 10 for f in segs)
    with Database(d, sync="full", page_size=4096) as db:
        assert db.get("t", b"a") == b"1"


# ---- power loss during a clean close ---------------------------------------------------------------------------

@pytest.mark.parametrize("profile", ["default", "big"])
def test_power_loss_at_any_call_of_a_clean_close_loses_nothing(faultfs_so, engine, tmp_path, seed, profile):
    """Every batch is acknowledged before close() starts, so whatever call of the close (final checkpoint,
    compaction checkpoints, WAL release) the process dies at and whatever the power loss then takes away, a
    reopen must show all of them. The close's calls are found by running the same writer from the same
    directory twice (deterministic), once ending with exit, once with close: the calls after the first run's
    count are the close's."""
    import faultfs
    from writer_proc import History, WriterRun, open_db, verify

    rng = random.Random(seed)
    log = tmp_path / "undo.log"
    base = tmp_path / "base"
    first, total = 12, 30
    run = WriterRun(base, seed, profile, extra=("--max-batches", str(first), "--end", "exit"))
    run.run_until(timeout=120)
    assert run.finish() == 0 and run.acked == first

    def attempt(name, end, crash_after=None):
        d = tmp_path / name
        shutil.copytree(base, d)
        faultfs.reset_log(log)
        env = faultfs.child_env(faultfs_so, d, log, crash_after=crash_after,
                                crash_when=rng.choice(["before", "after"]))
        run = WriterRun(d, seed, profile, env=env, stderr_path=tmp_path / (name + ".err"),
                        extra=("--max-batches", str(total), "--end", end))
        run.run_until(timeout=120)
        rc = run.finish()
        assert rc in (0, -9), run.stderr_tail()
        return run, d

    _, d = attempt("calib-exit", "exit")
    n_exit = faultfs.count_tracked_calls(log)
    shutil.rmtree(d)
    run, d = attempt("calib-close", "close")
    n_close = faultfs.count_tracked_calls(log)
    assert run.lines[-1] == "closed" and n_close > n_exit + 5, (n_exit, n_close)
    shutil.rmtree(d)
    hist = History(seed, profile)
    points = sorted(rng.sample(range(n_exit + 1, n_close + 1), min(10, n_close - n_exit)))
    for cp in points:
        run, d = attempt("c%d" % cp, "close", crash_after=cp)
        assert run.acked == total, "crash point %d of %d..%d is not in the close" % (cp, n_exit, n_close)
        rep = faultfs.apply_power_loss(log, random.Random(seed * 31 + cp), roots=[str(d)])
        for again in range(2):                   # recovery, then a reopen after the recovered close
            db = open_db(d, profile)
            try:
                assert verify(db, hist, floor=total) == total, "crash at call %d (%d..%d): %s" % (
                    cp, n_exit, n_close, rep)
            finally:
                db.close()
        shutil.rmtree(d)
