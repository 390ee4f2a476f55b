"""Database.clone_keyspace (database.pyx D9, CLONE) and clone_file: a clone equals its source after the batch
whose LSN it returns, while writers run; it is independent of its source; it survives reopen; a kill -9
mid-clone leaves the database openable with the source intact; the reflink branch falls back (or fails)
as CLONE says."""
import errno
import fcntl
import os
import signal
import subprocess
import sys
import threading

import pytest

from pyddb._engine import database
from pyddb._engine.database import Database
from pyddb._engine.errors import EngineError

HERE = os.path.dirname(os.path.abspath(__file__))
METHODS = {"reflink", "copy_file_range", "copy"}


def open_db(path, **kw):
    kw.setdefault("sync", "off")
    return Database(str(path), **kw)


def fill(db, ks, n, prefix=b"k", size=120):
    for i in range(0, n, 200):
        db.write_batch([(ks, prefix + b"%06d" % j, b"s%d" % (j % 3), bytes([j % 251]) * size)
                        for j in range(i, min(n, i + 200))])


def part_files(path):
    return sorted(f for f in os.listdir(path) if f.startswith("p") and f.endswith(".db"))


def named_files(db):
    return sorted(p["file"] for ks in db.stats()["keyspaces"].values() for p in ks["partitions"])


def ranges(db, ks):
    return [(p["hash_lo"], p["hash_hi"]) for p in db.stats()["keyspaces"][ks]["partitions"]]


def test_clone_while_a_writer_runs_is_exactly_src_at_its_lsn(tmp_path):
    log = []
    stop = threading.Event()
    with open_db(tmp_path, checkpoint_bytes=64_000, partition_max_bytes=96_000) as db:
        db.create_keyspace("t")
        fill(db, "t", 3000)

        def writer():
            i = 0
            while not stop.is_set():
                k = b"k%06d" % (i * 7 % 4000)
                if i % 5 == 4:
                    lsn = db.write_batch([("t", k, b"s1", None)])
                    log.append((lsn, k, b"s1", None))
                else:
                    v = b"w%d" % i
                    lsn = db.write_batch([("t", k, b"s1", v), ("t", b"x%d" % i, b"", v)])
                    log.append((lsn, k, b"s1", v))
                    log.append((lsn, b"x%d" % i, b"", v))
                i += 1

        base = {(pk, sk): v for pk, sk, v in db.scan("t")}
        start_lsn = db.last_lsn
        th = threading.Thread(target=writer)
        th.start()
        try:
            while len(log) < 1500:
                threading.Event().wait(0.002)
            lsn = db.clone_keyspace("t", "c")
            src_ranges_now = ranges(db, "t")
            while len(log) < 3000:
                threading.Event().wait(0.002)
        finally:
            stop.set()
            th.join()
        info = db.last_clone
        assert info["lsn"] == lsn and info["dest"] == "c" and info["src"] == "t"
        assert info["method"] in METHODS and info["files"] == len(ranges(db, "c")) > 1
        assert start_lsn < lsn < log[-1][0], "the writer ran before and after the clone"
        expected = dict(base)
        for l, pk, sk, v in log:
            if l <= lsn:
                if v is None:
                    expected.pop((pk, sk), None)
                else:
                    expected[(pk, sk)] = v
        got = {(pk, sk): v for pk, sk, v in db.scan("c")}
        assert got == expected
        assert len(got) == db.stats()["keyspaces"]["c"]["entries"]
        assert ranges(db, "c") == src_ranges_now or len(ranges(db, "t")) >= len(ranges(db, "c"))
        assert db.check()["keyspaces"] == 2
        # point reads and ordered iteration of the clone, too
        some = sorted(expected)[:50]
        for pk, sk in some:
            assert db.get("c", pk, sk) == expected[(pk, sk)]
        pk0 = some[0][0]
        assert [sk for sk, _ in db.iter_range("c", pk0)] == sorted(sk for p, sk in expected if p == pk0)
    with open_db(tmp_path) as db:                         # and after a reopen
        assert {(pk, sk): v for pk, sk, v in db.scan("c")} == expected
        db.check()


def test_clone_copies_the_partition_map_and_writes_diverge(tmp_path):
    with open_db(tmp_path, partition_max_bytes=50_000) as db:
        db.create_keyspace("a")
        fill(db, "a", 2000)
        db.checkpoint()
        assert len(ranges(db, "a")) > 2
        db.clone_keyspace("a", "b")
        assert ranges(db, "b") == ranges(db, "a")
        assert set(named_files(db)) == set(part_files(tmp_path))
        db.put("b", b"only-b", b"", b"1")
        db.delete("a", b"k000001", b"s1")
        db.put("a", b"only-a", b"", b"2")
        db.checkpoint()
        assert db.get("a", b"only-b") is None and db.get("b", b"only-a") is None
        assert db.get("b", b"k000001", b"s1") is not None and db.get("a", b"k000001", b"s1") is None
        a = list(db.scan("a"))
        db.drop_keyspace("b")                             # dropping the clone leaves the source alone
        assert list(db.scan("a")) == a
        db.check()
        db.clone_keyspace("a", "b")
        b = list(db.scan("b"))
        db.drop_keyspace("a")                             # and dropping the source leaves the clone alone
        assert list(db.scan("b")) == b == a
        db.check()
        assert set(named_files(db)) == set(part_files(tmp_path))
    with open_db(tmp_path) as db:
        assert db.keyspaces() == ["b"] and list(db.scan("b")) == a
        db.check()


def test_clone_of_an_empty_keyspace_and_a_clone_of_a_clone(tmp_path):
    with open_db(tmp_path) as db:
        db.create_keyspace("e")
        db.clone_keyspace("e", "e2")
        assert list(db.scan("e2")) == [] and db.stats()["keyspaces"]["e2"]["entries"] == 0
        db.put("e2", b"p", b"", b"v")
        lsn = db.clone_keyspace("e2", "e3")
        assert lsn == db.last_lsn
        assert list(db.scan("e3")) == [(b"p", b"", b"v")]
        assert db.check()["keyspaces"] == 3


def test_clone_refusals_change_nothing(tmp_path):
    with open_db(tmp_path) as db:
        db.create_keyspace("a")
        db.create_keyspace("b")
        db.put("a", b"k", b"", b"v")
        files = part_files(tmp_path)
        with pytest.raises(EngineError, match="does not exist"):
            db.clone_keyspace("missing", "c")
        with pytest.raises(EngineError, match="already exists"):
            db.clone_keyspace("a", "b")
        with pytest.raises(ValueError):
            db.clone_keyspace("a", "")
        assert db.keyspaces() == ["a", "b"] and part_files(tmp_path) == files
        assert list(db.scan("b")) == []


def test_dest_name_is_taken_while_the_clone_copies(tmp_path, monkeypatch):
    """A create_keyspace of the clone's name while its files are copied fails: the name is reserved."""
    seen = []
    real = database.clone_file
    with open_db(tmp_path) as db:
        db.create_keyspace("a")
        db.put("a", b"k", b"", b"v")

        def clone_file(src, dst):
            with pytest.raises(EngineError, match="already exists"):
                db.create_keyspace("c")
            db.put("a", b"during", b"", b"x")             # writers continue while files are copied
            seen.append(dst)
            return real(src, dst)

        monkeypatch.setattr(database, "clone_file", clone_file)
        lsn = db.clone_keyspace("a", "c")
        assert seen and db.last_lsn == lsn + 1
        assert list(db.scan("c")) == [(b"k", b"", b"v")]
        assert db.get("a", b"during") == b"x"


# ---- clone_file: the reflink branch and its fallbacks ------------------------------------------------------


@pytest.fixture
def big_file(tmp_path):
    src = tmp_path / "src.bin"
    data = os.urandom(3 * (1 << 20) + 12345)              # more than one pread piece
    src.write_bytes(data)
    return str(src), data


def test_clone_file_really_copies_here(tmp_path, big_file):
    src, data = big_file
    method = database.clone_file(src, str(tmp_path / "d"))
    assert method in METHODS
    assert (tmp_path / "d").read_bytes() == data
    with pytest.raises(FileExistsError):
        database.clone_file(src, str(tmp_path / "d"))


@pytest.mark.parametrize("err", [errno.EOPNOTSUPP, errno.EXDEV, errno.EINVAL, errno.ENOTTY])
def test_reflink_refused_falls_back_to_copy_file_range(tmp_path, big_file, monkeypatch, err):
    if not hasattr(os, "copy_file_range"):
        pytest.skip("no os.copy_file_range on this platform")
    src, data = big_file
    calls = []

    def ioctl(fd, req, arg):
        calls.append(req)
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(fcntl, "ioctl", ioctl)
    assert database.clone_file(src, str(tmp_path / "d")) == "copy_file_range"
    assert calls == [database.FICLONE]
    assert (tmp_path / "d").read_bytes() == data


def test_no_copy_file_range_falls_back_to_plain_copy(tmp_path, big_file, monkeypatch):
    src, data = big_file
    monkeypatch.setattr(fcntl, "ioctl", lambda *a: (_ for _ in ()).throw(OSError(errno.EOPNOTSUPP, "no")))
    monkeypatch.delattr(os, "copy_file_range", raising=False)
    assert database.clone_file(src, str(tmp_path / "d")) == "copy"
    assert (tmp_path / "d").read_bytes() == data


def test_copy_file_range_failing_midway_finishes_by_plain_copy(tmp_path, big_file, monkeypatch):
    if not hasattr(os, "copy_file_range"):
        pytest.skip("no os.copy_file_range on this platform")
    src, data = big_file
    real = os.copy_file_range
    n = [0]

    def cfr(sfd, dfd, count, soff, doff):
        n[0] += 1
        if n[0] > 1:
            raise OSError(errno.EXDEV, "cross-device")
        return real(sfd, dfd, min(count, 100_000), soff, doff)

    monkeypatch.setattr(fcntl, "ioctl", lambda *a: (_ for _ in ()).throw(OSError(errno.ENOTTY, "no")))
    monkeypatch.setattr(os, "copy_file_range", cfr)
    assert database.clone_file(src, str(tmp_path / "d")) == "copy"
    assert (tmp_path / "d").read_bytes() == data


def test_a_reflink_is_reported_as_one(tmp_path, big_file, monkeypatch):
    """A filesystem that reflinks: the ioctl's result is the copy, nothing else runs."""
    src, data = big_file

    def ioctl(dfd, req, sfd):
        assert req == database.FICLONE
        os.write(dfd, os.pread(sfd, len(data) + 1, 0))    # stands in for the shared extents
        return 0

    monkeypatch.setattr(fcntl, "ioctl", ioctl)
    monkeypatch.setattr(os, "copy_file_range", lambda *a: pytest.fail("copied after a reflink"),
                        raising=False)
    assert database.clone_file(src, str(tmp_path / "d")) == "reflink"
    assert (tmp_path / "d").read_bytes() == data


def test_clone_reports_the_method_it_used(tmp_path, monkeypatch):
    with open_db(tmp_path) as db:
        db.create_keyspace("a")
        fill(db, "a", 500)
        db.clone_keyspace("a", "native")
        assert db.last_clone["method"] in METHODS
        monkeypatch.setattr(fcntl, "ioctl", lambda *a: (_ for _ in ()).throw(OSError(errno.EXDEV, "x")))
        monkeypatch.delattr(os, "copy_file_range", raising=False)
        db.clone_keyspace("a", "plain")
        assert db.last_clone["method"] == "copy"
        assert list(db.scan("plain")) == list(db.scan("a")) == list(db.scan("native"))


@pytest.mark.parametrize("err", [errno.EIO, errno.ENOSPC])
def test_a_real_io_error_fails_the_clone_and_leaves_no_trace(tmp_path, monkeypatch, err):
    """EIO/ENOSPC from the reflink is not "unsupported": the clone fails, its files are removed, the source
    and the database carry on, and a later clone works."""
    with open_db(tmp_path, partition_max_bytes=40_000) as db:
        db.create_keyspace("a")
        fill(db, "a", 1500)
        db.checkpoint()
        before = list(db.scan("a"))
        files = part_files(tmp_path)
        n = [0]
        real_ioctl = fcntl.ioctl

        def ioctl(fd, req, arg):
            n[0] += 1
            if n[0] == 2:                                 # the second partition file
                raise OSError(err, os.strerror(err))
            return real_ioctl(fd, req, arg)

        monkeypatch.setattr(fcntl, "ioctl", ioctl)
        with pytest.raises(OSError) as e:
            db.clone_keyspace("a", "c")
        assert e.value.errno == err
        assert not db.has_keyspace("c") and part_files(tmp_path) == files
        assert list(db.scan("a")) == before
        db.put("a", b"after", b"", b"1")
        monkeypatch.undo()
        db.clone_keyspace("a", "c")
        assert list(db.scan("c")) == list(db.scan("a"))
        db.check()
    with open_db(tmp_path) as db:
        assert db.keyspaces() == ["a", "c"]
        db.check()


# ---- kill -9 -------------------------------------------------------------------------------------------


def _run_child(path, mode):
    """Run clone_proc.py until its marker line and 20 more acknowledged writes; SIGKILL it. Returns
    (acks {i: lsn}, marker line)."""
    p = subprocess.Popen([sys.executable, os.path.join(HERE, "clone_proc.py"), str(path), mode],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    acks, marker, after = {}, None, 0
    try:
        for line in p.stdout:
            word = line.split()
            if word[0] == "ACK":
                acks[int(word[1])] = int(word[2])
                if marker is not None:
                    after += 1
                    # "after": until writes later than the clone's LSN are acknowledged (so every earlier
                    # one was printed too); otherwise: writes acknowledged while the clone holds its lock
                    if after >= 20 and (not marker.startswith("CLONED") or
                                        int(word[2]) > int(marker.split()[1])):
                        break
            elif word[0] in ("PAUSE", "CLONED"):
                marker = line.strip()
        else:
            raise AssertionError("child ended early: %s" % p.stderr.read())
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait()
        p.stdout.close()
        p.stderr.close()
    return acks, marker


@pytest.mark.skipif(sys.platform == "win32", reason="kill -9 needs POSIX signals")
@pytest.mark.parametrize("mode", ["first", "last", "after"])
def test_kill9_during_a_clone_leaves_src_intact(tmp_path, mode):
    import clone_proc

    acks, marker = _run_child(tmp_path, mode)
    assert marker is not None and acks
    with open_db(tmp_path) as db:
        db.check()
        src = {pk: v for pk, sk, v in db.scan("src")}
        base = {pk: v for pk, v in src.items() if pk.startswith(b"b")}
        assert base == {b"b%05d" % j: bytes([j % 251]) * 200 for j in range(clone_proc.BASE)}
        written = sorted(int(pk[1:]) for pk in src if pk.startswith(b"w"))
        assert written == list(range(len(written))), "a prefix of the writer's batches"
        assert len(written) >= len(acks), "every acknowledged write survives"
        # no file the catalog does not name: the copies of an uncommitted clone are gone
        assert set(named_files(db)) == set(part_files(tmp_path))
        if mode == "after":
            lsn = int(marker.split()[1])
            dst = {pk: v for pk, sk, v in db.scan("dst")}
            expected = dict(base)
            expected.update({b"w%06d" % i: b"%d" % i for i, l in acks.items() if l <= lsn})
            assert dst == expected
        else:
            assert db.keyspaces() == ["src"]
        db.clone_keyspace("src", "again")                 # and the database clones fine afterwards
        assert list(db.scan("again")) == list(db.scan("src"))


def test_checkpoint_headroom_is_zero_while_a_clone_copies(tmp_path, monkeypatch):
    """A clone (like a checkpoint or snapshot) holds the checkpoint lock and takes the write lock: a writer
    that must not block (the HTTP server's inline writes) reads no headroom meanwhile."""
    real = database.clone_file
    entered, release = threading.Event(), threading.Event()
    with open_db(tmp_path) as db:
        db.create_keyspace("a")
        fill(db, "a", 50)
        assert db.checkpoint_headroom > 0

        def clone_file(src, dst):
            entered.set()
            release.wait(10)
            return real(src, dst)

        monkeypatch.setattr(database, "clone_file", clone_file)
        t = threading.Thread(target=db.clone_keyspace, args=("a", "b"))
        t.start()
        try:
            assert entered.wait(10)
            assert db.checkpoint_headroom == 0
        finally:
            release.set()
            t.join(10)
        assert db.checkpoint_headroom > 0 and list(db.scan("b")) == list(db.scan("a"))
