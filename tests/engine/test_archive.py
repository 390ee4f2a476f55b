"""Log-only ops (database.pyx D8) and WAL retention in archive mode (wal.pyx RETENTION)."""
import os
import shutil
import time

import pytest

from pyddb._engine import osfile
from pyddb._engine.database import Database
from pyddb._engine.errors import CorruptionError, EngineError
from pyddb._engine.wal import Wal, segment_name


def open_db(path, **kw):
    kw.setdefault("sync", "full")
    return Database(str(path), **kw)


def segment_files(d):
    return sorted(f for f in os.listdir(d) if f.endswith(".wal"))


# ---- log-only ops --------------------------------------------------------------------------------------------

def test_d8_log_only_ops_are_in_the_wal_and_in_no_tree(tmp_path):
    with open_db(tmp_path / "db", archive=True) as db:
        db.create_keyspace("t")
        l1 = db.write_batch([("t", b"p", b"s", b"v"), (None, b"tag1", b"", b"payload-1")])
        l2 = db.write_batch([(None, b"only", None, b"")])            # a batch of log-only ops only
        l3 = db.write_batch([("t", b"p", b"s", None), (None, b"tag3", b"", b"x" * 5000)])
        assert db.get("t", b"tag1") is None and db.keyspaces() == ["t"]
        assert list(db.scan("t")) == []
        recs = list(db.wal_records(l1))
        assert [r[0] for r in recs] == [l1, l2, l3]
        assert recs[0][2] == [("t", b"p", b"s", b"v"), (None, b"tag1", b"", b"payload-1")]
        assert recs[1][2] == [(None, b"only", b"", b"")]
        assert recs[2][2] == [("t", b"p", b"s", None), (None, b"tag3", b"", b"x" * 5000)]
        assert all(isinstance(r[1], int) and r[1] > 0 for r in recs)
        assert db.check()["wal_records"] >= 3
    with open_db(tmp_path / "db", archive=True) as db:              # survive a clean reopen
        assert [r[2] for r in db.wal_records(l1)][1] == [(None, b"only", b"", b"")]
        assert list(db.scan("t")) == []


def test_d8_log_only_ops_are_skipped_by_crash_replay(tmp_path):
    src, crashed = tmp_path / "db", tmp_path / "crashed"
    db = open_db(src, archive=True, checkpoint_bytes=1 << 30)
    try:
        db.create_keyspace("t")
        db.checkpoint()
        lsns = [db.write_batch([("t", b"k%d" % i, b"", b"v%d" % i), (None, b"L", b"", b"meta%d" % i)])
                for i in range(50)]
        db.write_batch([(None, b"L", b"", b"last")])
        shutil.copytree(src, crashed)               # the files as a crash would leave them (sync=full)
    finally:
        db.close()
    os.unlink(crashed / "LOCK") if (crashed / "LOCK").exists() else None
    with open_db(crashed, archive=True) as db:
        assert db.recovery_info()["replayed_batches"] == 51
        assert sorted(pk for pk, _, _ in db.scan("t")) == sorted(b"k%d" % i for i in range(50))
        assert db.get("t", b"L") is None
        recs = list(db.wal_records(lsns[0]))
        assert [ops[1] for _, _, ops in recs[:50]] == [(None, b"L", b"", b"meta%d" % i) for i in range(50)]
        assert recs[-1][2] == [(None, b"L", b"", b"last")]


def test_d8_bad_log_only_ops_are_refused_before_anything_is_written(tmp_path):
    with open_db(tmp_path / "db") as db:
        db.create_keyspace("t")
        before = db.last_lsn
        for op in [(None, b"tag", b"sk", b"v"), (None, b"tag", b"", None), (None, "str", b"", b"v"),
                   (None, b"tag", b"", 5)]:
            with pytest.raises((ValueError, TypeError)):
                db.write_batch([("t", b"p", b"", b"v"), op])
        assert db.last_lsn == before and db.get("t", b"p") is None


# ---- retention -------------------------------------------------------------------------------------------------

def write_many(db, n, start=0, size=200):
    return [db.write_batch([("t", b"k%d" % (i % 40), b"", b"%d" % i + b"." * size),
                            (None, b"n", b"", b"%d" % i)]) for i in range(start, start + n)]


def test_trim_by_lsn_removes_only_whole_checkpointed_segments_below_it(tmp_path):
    with open_db(tmp_path / "db", archive=True, wal_segment_bytes=4096, checkpoint_bytes=1 << 30) as db:
        db.create_keyspace("t")
        lsns = write_many(db, 200)
        wal = str(tmp_path / "db" / "wal")
        n_segs = len(segment_files(wal))
        assert n_segs > 5
        assert db.trim_archive(before_lsn=lsns[150]) == 0       # nothing checkpointed yet: recovery needs all
        db.checkpoint()
        db.checkpoint()                                          # retires up to the previous checkpoint
        removed = db.trim_archive(before_lsn=lsns[150])
        assert removed > 0 and len(segment_files(wal)) == n_segs - removed
        first = db.first_wal_lsn
        assert first <= lsns[150]                                # the segment holding it stays
        assert [r[0] for r in db.wal_records(first)][0] == first
        assert [r[0] for r in db.wal_records(lsns[150])] == lsns[150:]
        with pytest.raises(EngineError, match="retired"):
            db.wal_records(first - 1)
        # what was kept is exactly the suffix from the first kept segment
        kept = [int(f[:16], 16) for f in segment_files(wal)]
        assert kept[0] == first and all(s > lsns[150] for s in kept[1:2])


def test_trim_by_time_keeps_every_record_younger_than_the_bound(tmp_path):
    with open_db(tmp_path / "db", archive=True, wal_segment_bytes=4096, checkpoint_bytes=1 << 30) as db:
        db.create_keyspace("t")
        write_many(db, 100)
        time.sleep(0.01)
        mid = time.time_ns()
        time.sleep(0.01)
        later = write_many(db, 100, start=100)
        db.checkpoint()
        db.checkpoint()
        before = {r[0]: r[1] for r in db.wal_records(1)}
        assert db.trim_archive(before_ts_ns=mid) > 0
        after = [r[0] for r in db.wal_records(db.first_wal_lsn)]
        assert after[0] > 1 and after == list(range(after[0], db.last_lsn + 1))
        assert all(before[l] <= mid for l in before if l < after[0])    # only old records went
        assert set(later) <= set(after)
        assert db.trim_archive(before_ts_ns=0) == 0


def test_retention_policy_applies_at_checkpoints_and_reopen_keeps_the_data(tmp_path):
    path = tmp_path / "db"
    wal = str(path / "wal")
    with open_db(path, archive=True, wal_segment_bytes=4096, checkpoint_bytes=20_000) as db:
        db.create_keyspace("t")
        write_many(db, 300)                                       # automatic checkpoints keep everything
        assert db.first_wal_lsn == 1
        n_all = len(segment_files(wal))
        db.set_archive_retention(3600 * 10 ** 9)                  # one hour: all records are younger
        assert db.first_wal_lsn == 1
        db.set_archive_retention(0)                               # none kept for their age
        write_many(db, 300, start=300)
        assert db.first_wal_lsn > 1 and len(segment_files(wal)) < n_all
        assert db.stats()["wal"]["trimmed_segments"] > 0
        floor = db.last_lsn - 10
        db.set_archive_retention(0, keep_lsn=floor)              # an LSN floor overrides age
        write_many(db, 300, start=600)
        assert db.first_wal_lsn <= floor
        db.set_archive_retention(None)                            # keep everything again
        first = db.first_wal_lsn
        write_many(db, 300, start=900)
        assert db.first_wal_lsn == first
        expect = {b"k%d" % (i % 40): b"%d" % i + b"." * 200 for i in range(1200)}
    with open_db(path, archive=True, wal_segment_bytes=4096) as db:
        assert {pk: v for pk, _, v in db.scan("t")} == expect
        assert db.first_wal_lsn == first
        db.check()


def test_trim_is_a_no_op_outside_archive_mode(tmp_path):
    with open_db(tmp_path / "db", wal_segment_bytes=4096) as db:
        db.create_keyspace("t")
        write_many(db, 50)
        assert db.trim_archive(before_ts_ns=time.time_ns()) == 0
        assert db.set_archive_retention(0) == 0


def test_wal_trim_never_removes_the_current_or_unretired_segments_and_recycles(tmp_path):
    d = str(tmp_path / "wal")
    with Wal(d, segment_bytes=1024, archive=True) as w:
        for i in range(1, 81):
            w.append(b"r%d" % i + b"." * 40)
        w.sync()
        segs = segment_files(d)
        assert w.trim() == 0                                      # nothing retired
        w.retire(10 ** 9)
        assert w.trim() == len(segs) - 1                          # all but the current one
        assert segment_files(d) == segs[-1:]
        assert len([f for f in os.listdir(d) if f.endswith(".free")]) == 2
        assert w.first_lsn == int(segs[-1][:16], 16)
    with Wal(d, segment_bytes=1024, archive=True) as w:
        assert w.last_lsn == 80 and [r[0] for r in w.records(w.first_lsn)][-1] == 80


# ---- seeking -----------------------------------------------------------------------------------------------------

def test_wal_records_resume_where_a_reader_stopped(tmp_path):
    with open_db(tmp_path / "db", archive=True, wal_segment_bytes=4096) as db:
        db.create_keyspace("t")
        lsns = write_many(db, 100)
        it = db.wal_records(lsns[10])
        got = [next(it)[0] for _ in range(7)]
        assert got == lsns[10:17]
        nxt = got[-1] + 1
        assert [r[0] for r in db.wal_records(nxt)] == lsns[17:]  # from the position hint
        more = write_many(db, 100, start=100)                    # rolls into new segments
        assert [r[0] for r in db.wal_records(lsns[-1] + 1)] == more
        assert [r[0] for r in db.wal_records(more[-1] + 1)] == []
        last = write_many(db, 1, start=200)
        assert [(r[0], r[2][1]) for r in db.wal_records(more[-1] + 1)] == [(last[0], (None, b"n", b"", b"200"))]
        for start in (1, lsns[50], more[33]):                   # no hint: start in the right segment
            assert [r[0] for r in db.wal_records(start)] == list(range(start, db.last_lsn + 1))


def test_corruption_in_an_archived_segment_is_reported_not_skipped(tmp_path):
    path = tmp_path / "db"
    with open_db(path, archive=True, wal_segment_bytes=4096) as db:
        db.create_keyspace("t")
        write_many(db, 100)
    wal = str(path / "wal")
    seg = os.path.join(wal, segment_files(wal)[1])
    with open(seg, "r+b") as f:
        f.seek(32 + 40)                                          # inside the first record's payload
        f.write(b"\xff\xff\xff\xff")
    with pytest.raises(CorruptionError):
        open_db(path, archive=True, wal_segment_bytes=4096)


def test_a_policy_without_an_age_reads_no_segment_for_its_timestamp(tmp_path, monkeypatch):
    """set_retention(0, ...): nothing is kept for its age, so trimming (now and at every checkpoint) must not
    open the successor segments to read their first record's time (wal.pyx RETENTION)."""
    with open_db(tmp_path / "db", archive=True, wal_segment_bytes=4096, checkpoint_bytes=1 << 30) as db:
        db.create_keyspace("t")
        write_many(db, 200)
        db.checkpoint()
        db.checkpoint()
        real_open = os.open
        reads = []

        def counting_open(path, flags, *a, **kw):
            if str(path).endswith(".wal") and (flags & (os.O_WRONLY | os.O_RDWR)) == 0:
                reads.append(path)
            return real_open(path, flags, *a, **kw)
        monkeypatch.setattr(os, "open", counting_open)
        assert db.set_archive_retention(0) > 0
        write_many(db, 200, start=200)
        db.checkpoint()
        db.checkpoint()
        monkeypatch.undo()
        assert reads == []
        assert [r[0] for r in db.wal_records(db.first_wal_lsn)][-1] == db.last_lsn
