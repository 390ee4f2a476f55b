"""The Database API (docs/engine.md): keyspaces, batches, iterators, scans, splits, snapshots, reopen."""
import os
import random
import threading

import mmh3
import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from pyddb._engine.database import Database, hash64
from pyddb._engine.errors import ClosedError, EngineError, LockedError

MAXH = 2**64 - 1


def open_db(path, **kw):
    kw.setdefault("sync", "off")
    return Database(str(path), **kw)


def scan_order(items):
    """Reference order of a keyspace scan: (hash64(pk), len(pk), pk, sk)."""
    return sorted(items, key=lambda t: (hash64(t[0]), len(t[0]), t[0], t[1]))


def test_hash64_is_murmur3_x64_128_first_half():
    for n in range(0, 40):
        b = bytes(range(n))
        assert hash64(b) == mmh3.hash64(b, 0, signed=False)[0]


def test_keyspaces_create_list_drop(tmp_path):
    with open_db(tmp_path) as db:
        assert db.keyspaces() == []
        db.create_keyspace("b")
        db.create_keyspace("a")
        assert db.keyspaces() == ["a", "b"]
        assert db.has_keyspace("a") and not db.has_keyspace("c")
        with pytest.raises(EngineError, match="already exists"):
            db.create_keyspace("a")
        db.put("a", b"k", b"", b"v")
        db.drop_keyspace("a")
        with pytest.raises(EngineError, match="does not exist"):
            db.get("a", b"k")
        with pytest.raises(EngineError, match="does not exist"):
            db.drop_keyspace("a")
        db.create_keyspace("a")                      # a new keyspace of the same name starts empty
        assert db.get("a", b"k") is None
    with open_db(tmp_path) as db:
        assert db.keyspaces() == ["a", "b"]
        assert db.get("a", b"k") is None


def test_drop_keyspace_frees_its_files(tmp_path):
    with open_db(tmp_path, partition_max_bytes=20_000) as db:
        db.create_keyspace("t")
        for i in range(2000):
            db.put("t", b"pk%d" % i, b"", b"x" * 50)
        db.checkpoint()
        assert len([f for f in os.listdir(tmp_path) if f.endswith(".db")]) > 1
        db.drop_keyspace("t")
        assert [f for f in os.listdir(tmp_path) if f.endswith(".db")] == []


def test_put_get_delete_and_replace(tmp_path):
    with open_db(tmp_path) as db:
        db.create_keyspace("t")
        assert db.get("t", b"p", b"s") is None
        db.put("t", b"p", b"s", b"v1")
        db.put("t", b"p", b"s", b"v2")
        assert db.get("t", b"p", b"s") == b"v2"
        assert db.get("t", b"p") is None
        db.put("t", b"p", b"", b"nosk")
        assert db.get("t", b"p") == b"nosk"
        db.delete("t", b"p", b"s")
        assert db.get("t", b"p", b"s") is None
        db.put("t", b"", b"", b"")                  # empty pk, sk and value are legal bytes to the engine
        assert db.get("t", b"", b"") == b""


def test_write_batch_is_atomic_across_keyspaces_and_validated_first(tmp_path):
    with open_db(tmp_path) as db:
        db.create_keyspace("a")
        db.create_keyspace("b")
        lsn = db.write_batch([("a", b"1", b"", b"x"), ("b", b"2", b"s", b"y"), ("a", b"1", b"", b"z")])
        assert db.last_lsn == lsn
        assert db.get("a", b"1") == b"z" and db.get("b", b"2", b"s") == b"y"
        with pytest.raises(EngineError, match="does not exist"):
            db.write_batch([("a", b"3", b"", b"x"), ("nope", b"4", b"", b"y")])
        with pytest.raises(TypeError):
            db.write_batch([("a", b"3", b"", b"x"), ("a", "str-key", b"", b"y")])
        with pytest.raises(ValueError):
            db.write_batch([])
        assert db.get("a", b"3") is None
        assert db.last_lsn == lsn                    # a rejected batch writes nothing, not even a WAL record


def test_key_longer_than_limit_is_rejected(tmp_path):
    with open_db(tmp_path) as db:
        db.create_keyspace("t")
        db.put("t", b"p" * 2048, b"s" * 1024, b"v")  # DynamoDB's largest key fits
        assert db.get("t", b"p" * 2048, b"s" * 1024) == b"v"
        with pytest.raises(EngineError, match="exceeds"):
            db.put("t", b"p" * 5000, b"", b"v")


def test_400kb_values_round_trip_and_survive_reopen(tmp_path):
    big = os.urandom(400 * 1024)
    with open_db(tmp_path) as db:
        db.create_keyspace("t")
        db.put("t", b"big", b"", big)
        db.put("t", b"big", b"2", big[::-1])
        assert db.get("t", b"big") == big
    with open_db(tmp_path) as db:
        assert db.get("t", b"big") == big
        assert db.get("t", b"big", b"2") == big[::-1]


def _fill_range(db, pk=b"user"):
    sks = [b"%03d" % i for i in range(0, 200, 2)]
    db.write_batch([("t", pk, sk, b"v" + sk) for sk in sks])
    db.write_batch([("t", b"other%d" % i, sk, b"o") for i in range(5) for sk in sks[:5]])
    return sks


@pytest.mark.parametrize("reverse", [False, True])
def test_iter_range_bounds_and_direction(tmp_path, reverse):
    with open_db(tmp_path) as db:
        db.create_keyspace("t")
        sks = _fill_range(db)

        def expect(lo=None, hi=None, lo_in=True, hi_in=False, limit=None):
            out = [s for s in sks
                   if (lo is None or s > lo or (lo_in and s == lo)) and (hi is None or s < hi or (hi_in and s == hi))]
            if reverse:
                out.reverse()
            return out[:limit] if limit is not None else out

        def got(**kw):
            return [sk for sk, v in db.iter_range("t", b"user", reverse=reverse, **kw)]

        assert got() == expect()
        assert got(start=b"010", end=b"020") == expect(b"010", b"020")
        assert got(start=b"010", end=b"020", start_inclusive=False, end_inclusive=True) == \
            expect(b"010", b"020", False, True)
        assert got(start=b"011", end=b"0191") == expect(b"011", b"0191")
        assert got(start=b"150") == expect(b"150")
        assert got(end=b"050", end_inclusive=True) == expect(None, b"050", True, True)
        assert got(limit=7) == expect(limit=7)
        assert got(start=b"999") == []
        assert list(db.iter_range("t", b"absent")) == []
        vals = dict(db.iter_range("t", b"user"))
        assert vals[b"010"] == b"v010"


def test_iter_prefix(tmp_path):
    with open_db(tmp_path) as db:
        db.create_keyspace("t")
        db.write_batch([("t", b"p", sk, b"") for sk in [b"a", b"ab", b"abc", b"ac", b"b", b"\xff", b"\xff\xff"]])
        assert [k for k, _ in db.iter_prefix("t", b"p", b"ab")] == [b"ab", b"abc"]
        assert [k for k, _ in db.iter_prefix("t", b"p", b"a", reverse=True)] == [b"ac", b"abc", b"ab", b"a"]
        assert [k for k, _ in db.iter_prefix("t", b"p", b"\xff")] == [b"\xff", b"\xff\xff"]
        assert len(list(db.iter_prefix("t", b"p"))) == 7


def test_scan_is_in_hash_order_and_segments_partition_the_keyspace(tmp_path):
    rnd = random.Random(7)
    items = {(b"pk%d" % rnd.randrange(300), b"s%d" % rnd.randrange(3)): b"v" for _ in range(600)}
    with open_db(tmp_path, partition_max_bytes=2000) as db:      # several partitions
        db.create_keyspace("t")
        db.write_batch([("t", pk, sk, v) for (pk, sk), v in items.items()])
        db.checkpoint()
        assert len(db.stats()["keyspaces"]["t"]["partitions"]) > 2
        expected = scan_order([(pk, sk) for pk, sk in items])
        assert [(pk, sk) for pk, sk, _ in db.scan("t")] == expected
        for total in (1, 3, 7):
            seen = []
            for seg in range(total):
                lo = seg * (2**64) // total
                hi = (seg + 1) * (2**64) // total - 1
                part = [(pk, sk) for pk, sk, _ in db.scan("t", lo, hi)]
                assert all(lo <= hash64(pk) <= hi for pk, _ in part)
                seen += part
            assert seen == expected
        # resume after a key
        mid = expected[len(expected) // 2]
        assert [(pk, sk) for pk, sk, _ in db.scan("t", start_after=mid)] == expected[len(expected) // 2 + 1:]


def test_iterators_see_writes_after_their_position_and_survive_splits(tmp_path):
    with open_db(tmp_path, partition_max_bytes=3000, checkpoint_bytes=1 << 40) as db:
        db.create_keyspace("t")
        db.write_batch([("t", b"k%04d" % i, b"", b"v" * 20) for i in range(100)])
        expected = scan_order([(b"k%04d" % i, b"") for i in range(300)])
        it = db.scan("t")
        got = [next(it)[:2] for _ in range(10)]
        db.write_batch([("t", b"k%04d" % i, b"", b"v" * 20) for i in range(100, 300)])
        db.checkpoint()                                  # splits the partitions under the iterator
        assert len(db.stats()["keyspaces"]["t"]["partitions"]) > 1
        got += [t[:2] for t in it]
        got_set = set(got)
        assert len(got) == len(got_set)                  # nothing twice
        assert got[:10] == scan_order([(b"k%04d" % i, b"") for i in range(100)])[:10]
        # everything after the iterator's position at the time of the writes was seen
        assert expected[expected.index(got[9]) + 1:] == got[10:]


def test_reopen_keeps_every_write(tmp_path):
    rnd = random.Random(1)
    model = {}
    for round_ in range(4):
        with open_db(tmp_path, checkpoint_bytes=20_000) as db:
            if round_ == 0:
                db.create_keyspace("t")
            for (pk, sk), v in model.items():
                assert db.get("t", pk, sk) == v
            for _ in range(300):
                pk, sk = b"%d" % rnd.randrange(50), b"%d" % rnd.randrange(5)
                if rnd.random() < 0.2:
                    db.delete("t", pk, sk)
                    model.pop((pk, sk), None)
                else:
                    v = os.urandom(rnd.randrange(0, 300))
                    db.put("t", pk, sk, v)
                    model[(pk, sk)] = v
            db.check()


def test_closed_database_raises_closed_error(tmp_path):
    db = open_db(tmp_path)
    db.create_keyspace("t")
    db.put("t", b"a", b"", b"b")
    it = db.scan("t")
    db.close()
    db.close()                                           # idempotent
    for call in (lambda: db.get("t", b"a"), lambda: db.put("t", b"a", b"", b"c"), db.keyspaces,
                 db.checkpoint, db.stats, lambda: next(it)):
        with pytest.raises(ClosedError):
            call()


def test_second_opener_is_refused_with_the_directory_named(tmp_path):
    with open_db(tmp_path):
        with pytest.raises(LockedError, match=str(tmp_path)):
            open_db(tmp_path)
    open_db(tmp_path).close()                            # released on close


def test_invalid_sync_mode_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="sync"):
        Database(str(tmp_path), sync="sometimes")


def test_partitions_split_at_key_boundaries_and_survive_reopen(tmp_path):
    with open_db(tmp_path, partition_max_bytes=10_000) as db:
        db.create_keyspace("t")
        for i in range(400):
            db.write_batch([("t", b"pk%03d" % i, b"sk%d" % j, b"x" * 30) for j in range(3)])
        db.checkpoint()
        parts = db.stats()["keyspaces"]["t"]["partitions"]
        assert len(parts) >= 4
        assert parts[0]["hash_lo"] == 0 and parts[-1]["hash_hi"] == MAXH
        for a, b in zip(parts, parts[1:]):
            assert a["hash_hi"] + 1 == b["hash_lo"]
        db.check()
    with open_db(tmp_path) as db:
        assert len(db.stats()["keyspaces"]["t"]["partitions"]) == len(parts)
        for i in range(400):
            assert [sk for sk, _ in db.iter_range("t", b"pk%03d" % i)] == [b"sk0", b"sk1", b"sk2"]
        db.check()


def test_one_partition_key_larger_than_the_limit_is_not_split(tmp_path):
    with open_db(tmp_path, partition_max_bytes=5_000) as db:
        db.create_keyspace("t")
        db.write_batch([("t", b"same", b"%04d" % i, b"x" * 100) for i in range(200)])
        db.checkpoint()
        assert len(db.stats()["keyspaces"]["t"]["partitions"]) == 1
        assert len(list(db.iter_range("t", b"same"))) == 200


def test_wal_records_yield_decoded_batches(tmp_path):
    with open_db(tmp_path, archive=True, checkpoint_bytes=2_000) as db:
        db.create_keyspace("t")
        lsns = [db.write_batch([("t", b"p%d" % i, b"s", b"v%d" % i), ("t", b"q", b"", None)])
                for i in range(100)]
        db.checkpoint()
        recs = list(db.wal_records(lsns[0]))
        assert [r[0] for r in recs] == lsns
        assert recs[5][2] == [("t", b"p5", b"s", b"v5"), ("t", b"q", b"", None)]
        assert all(r[1] > 0 for r in recs)
        db.drop_keyspace("t")
        assert list(db.wal_records(lsns[0]))[0][2][0][0] == "t"     # dropped keyspaces keep their name


def test_snapshot_while_a_writer_runs_is_exactly_the_state_at_its_lsn(tmp_path):
    src = tmp_path / "src"
    log = []
    stop = threading.Event()
    with open_db(src, checkpoint_bytes=50_000) as db:
        db.create_keyspace("t")

        def writer():
            i = 0
            while not stop.is_set():
                lsn = db.write_batch([("t", b"k%d" % (i % 500), b"", b"%d" % i)])
                log.append((lsn, b"k%d" % (i % 500), b"%d" % i))
                i += 1

        t = threading.Thread(target=writer)
        t.start()
        try:
            while len(log) < 2000:
                threading.Event().wait(0.005)
            snap_lsn = db.snapshot(str(tmp_path / "snap"))
            while len(log) < 4000:
                threading.Event().wait(0.005)
        finally:
            stop.set()
            t.join()
    expected = {}
    for lsn, k, v in log:
        if lsn <= snap_lsn:
            expected[k] = v
    with open_db(tmp_path / "snap") as snap:
        assert {pk: v for pk, sk, v in snap.scan("t")} == expected
        snap.check()
        snap.put("t", b"new", b"", b"x")                # a snapshot is a working database
        assert snap.last_lsn > snap_lsn


def test_group_commit_from_many_threads_keeps_every_batch(tmp_path):
    with Database(str(tmp_path), sync="full") as db:
        db.create_keyspace("t")

        def worker(n):
            for i in range(50):
                db.put("t", b"t%d" % n, b"%03d" % i, b"v")

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert db.last_lsn == 400
    with open_db(tmp_path) as db:
        for n in range(8):
            assert len(list(db.iter_range("t", b"t%d" % n))) == 50


def test_explicit_checkpoints_while_writers_trigger_automatic_ones_do_not_deadlock(tmp_path):
    # checkpoint() and a writer's automatic checkpoint take the checkpoint and write locks in one order.
    import sys
    import time
    db = open_db(tmp_path, page_size=4096, checkpoint_bytes=2048, wal_segment_bytes=64 << 10)
    db.create_keyspace("t")
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)                         # many interleavings of the two locks
    stop = time.monotonic() + 2.0
    done = []

    def writer(n):
        i = 0
        while time.monotonic() < stop:
            db.put("t", b"w%d" % n, b"%06d" % (i % 300), b"v" * 100)
            i += 1
        done.append(n)

    def checkpointer():
        while time.monotonic() < stop:
            db.checkpoint()
        done.append("c")

    try:
        threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(3)]
        threads.append(threading.Thread(target=checkpointer, daemon=True))
        for t in threads:
            t.start()
        deadline = time.monotonic() + 60
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        assert sorted(map(str, done)) == ["0", "1", "2", "c"], "deadlocked: %r finished" % (done,)
    finally:
        sys.setswitchinterval(old)
    db.check()
    db.close()


def test_fill_and_empty_repeatedly_does_not_grow_without_bound(tmp_path):
    sizes = []
    with open_db(tmp_path, checkpoint_bytes=1 << 40, wal_segment_bytes=1 << 20) as db:
        db.create_keyspace("t")
        for round_ in range(8):
            db.write_batch([("t", b"k%d" % i, b"", b"x" * 200) for i in range(3000)])
            db.checkpoint()
            db.write_batch([("t", b"k%d" % i, b"", None) for i in range(3000)])
            db.checkpoint()
            sizes.append(sum(os.path.getsize(os.path.join(tmp_path, f))
                             for f in os.listdir(tmp_path) if f.endswith(".db")))
    assert max(sizes[3:]) <= max(sizes[:3]) * 1.1, sizes


class EngineVsDict(RuleBasedStateMachine):
    """The engine and a dict receive the same puts, deletes, batches, reads, checkpoints, reopens and splits
    (a small partition_max_bytes makes splits frequent)."""

    def __init__(self):
        super().__init__()
        import tempfile
        self.dir = tempfile.mkdtemp(prefix="pyddb-hyp-")
        self.db = self._open()
        self.db.create_keyspace("a")
        self.db.create_keyspace("b")
        self.model = {"a": {}, "b": {}}

    def _open(self):
        return Database(self.dir, sync="off", page_size=4096, partition_max_bytes=6_000,
                        checkpoint_bytes=30_000, wal_segment_bytes=64 * 1024)

    keyspaces = st.sampled_from(["a", "b"])
    pks = st.binary(min_size=0, max_size=6).map(lambda b: b"p" + b[:2])
    sks = st.binary(min_size=0, max_size=4)
    values = st.one_of(st.binary(max_size=60), st.binary(min_size=3000, max_size=9000))

    @rule(ks=keyspaces, pk=pks, sk=sks, v=values)
    def put(self, ks, pk, sk, v):
        self.db.put(ks, pk, sk, v)
        self.model[ks][(pk, sk)] = v

    @rule(ks=keyspaces, pk=pks, sk=sks)
    def delete(self, ks, pk, sk):
        self.db.delete(ks, pk, sk)
        self.model[ks].pop((pk, sk), None)

    @rule(ops=st.lists(st.tuples(keyspaces, pks, sks, st.one_of(st.none(), st.binary(max_size=40))),
                       min_size=1, max_size=12))
    def batch(self, ops):
        self.db.write_batch(ops)
        for ks, pk, sk, v in ops:
            if v is None:
                self.model[ks].pop((pk, sk), None)
            else:
                self.model[ks][(pk, sk)] = v

    @rule(ks=keyspaces, pk=pks, sk=sks)
    def get(self, ks, pk, sk):
        assert self.db.get(ks, pk, sk) == self.model[ks].get((pk, sk))

    @rule(ks=keyspaces, pk=pks, lo=st.one_of(st.none(), sks), hi=st.one_of(st.none(), sks),
          lo_in=st.booleans(), hi_in=st.booleans(), rev=st.booleans(), limit=st.one_of(st.none(), st.integers(0, 5)))
    def range_read(self, ks, pk, lo, hi, lo_in, hi_in, rev, limit):
        exp = sorted(sk for (p, sk) in self.model[ks] if p == pk
                     and (lo is None or sk > lo or (lo_in and sk == lo))
                     and (hi is None or sk < hi or (hi_in and sk == hi)))
        if rev:
            exp.reverse()
        if limit is not None:
            exp = exp[:limit]
        got = [sk for sk, _ in self.db.iter_range(ks, pk, lo, hi, lo_in, hi_in, rev, limit)]
        assert got == exp

    @rule()
    def checkpoint(self):
        self.db.checkpoint()

    @rule()
    def reopen(self):
        self.db.close()
        self.db = self._open()

    @invariant()
    def scan_matches(self):
        for ks in ("a", "b"):
            got = [(pk, sk, v) for pk, sk, v in self.db.scan(ks)]
            assert [(pk, sk) for pk, sk, _ in got] == scan_order(list(self.model[ks]))
            assert {(pk, sk): v for pk, sk, v in got} == self.model[ks]

    def teardown(self):
        self.db.check()
        self.db.close()
        import shutil
        shutil.rmtree(self.dir, ignore_errors=True)


EngineVsDict.TestCase.settings = settings(max_examples=40, stateful_step_count=40, deadline=None,
                                          suppress_health_check=[HealthCheck.too_slow])
test_engine_matches_dict_model = EngineVsDict.TestCase
