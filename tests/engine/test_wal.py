"""Tests of the write-ahead log (src/engine/wal.pyx); names cite the invariants W1..W10 of its header."""
import errno
import os
import struct
import subprocess
import sys
import threading
import time

import pytest

from pyddb._engine import osfile
from pyddb._engine.errors import ClosedError, CorruptionError, EngineError, PoisonedError
from pyddb._engine.wal import Wal, segment_name

HEADER = struct.Struct(">IIQqQ")     # length, checksum, lsn, ts_ns, synced_lsn


@pytest.fixture(autouse=True)
def _no_fault():
    osfile.clear_fault()
    yield
    osfile.clear_fault()


def payload(i):
    return (b"payload-%d-" % i) * (i % 7)


def segment_files(d):
    return sorted(f for f in os.listdir(d) if f.endswith(".wal"))


def raw_records(path):
    """[(offset, length, lsn, synced_lsn)] of the records at the start of a segment file (LSN chain only)."""
    data = open(path, "rb").read()
    first = int(os.path.basename(path)[:16], 16)
    out, off = [], 0
    while off + 32 <= len(data):
        n, _, lsn, _, synced = HEADER.unpack_from(data, off)
        if lsn != first + len(out):
            break
        out.append((off, n, lsn, synced))
        off += (32 + n + 7) & ~7
    return out


def fill(wal, count, start=1, sync=True):
    last = 0
    for i in range(start, start + count):
        last = wal.append(payload(i))
        assert last == i
        if sync:
            wal.sync_to(last)
    return last


def check_prefix(wal, upto):
    recs = list(wal.records())
    assert [r[0] for r in recs] == list(range(1, upto + 1))
    assert all(r[2] == payload(r[0]) for r in recs)


# ---- round trips and LSNs ----------------------------------------------------------------------------------

def test_w1_append_records_reopen_round_trip(tmp_path):
    d = str(tmp_path / "wal")
    before = time.time_ns()
    with Wal(d) as w:
        assert (w.first_lsn, w.last_lsn) == (1, 0)
        assert list(w.records()) == []
        assert w.append(b"") == 1
        assert w.append(b"hello") == 2
        assert w.append(bytearray(b"x" * 1000)) == 3
        w.sync_to(3)
        recs = list(w.records())
    assert [(r[0], r[2]) for r in recs] == [(1, b""), (2, b"hello"), (3, b"x" * 1000)]
    assert all(before <= r[1] <= time.time_ns() for r in recs)
    with Wal(d) as w:
        assert w.last_lsn == 3 and w.stats()["recovered_tail"] is None
        assert list(w.records()) == recs
        assert [r[0] for r in w.records(2)] == [2, 3]
        assert w.append(b"more") == 4


def test_w1_lsns_continue_across_segments_and_reopens(tmp_path):
    d = str(tmp_path / "wal")
    n = 0
    for _ in range(3):
        with Wal(d, segment_bytes=1024, sync="off") as w:
            assert w.last_lsn == n
            n = fill(w, 100, start=n + 1, sync=False)
            assert w.stats()["segments"] > 1
    with Wal(d, segment_bytes=1024) as w:
        check_prefix(w, 300)
        assert [r[0] for r in w.records(123)] == list(range(123, 301))
    files = segment_files(d)
    firsts = [int(f[:16], 16) for f in files]
    assert firsts[0] == 1
    for a, b in zip(files, files[1:]):                  # next segment is named one past the last LSN
        assert raw_records(os.path.join(d, a))[-1][2] + 1 == int(b[:16], 16)


def test_w10_record_larger_than_a_segment_gets_its_own_segment(tmp_path):
    d = str(tmp_path / "wal")
    big = os.urandom(5000)
    with Wal(d, segment_bytes=1024) as w:
        w.append(b"a")
        w.append(big)
        w.append(b"b")
        w.sync()
    with Wal(d, segment_bytes=1024) as w:
        assert [r[2] for r in w.records()] == [b"a", big, b"b"]
    sizes = sorted(os.path.getsize(os.path.join(d, f)) for f in segment_files(d))
    assert sizes == [1024, 1024, 5032]            # 32 + 5000, already 8-aligned


def test_w3_each_record_carries_the_synced_lsn_of_its_write(tmp_path):
    d = str(tmp_path / "wal")
    with Wal(d) as w:
        fill(w, 5)
        w.append(b"unsynced")
        w.append(b"unsynced")
        w.sync()
    recs = raw_records(os.path.join(d, segment_name(1)))
    assert [r[3] for r in recs] == [0, 1, 2, 3, 4, 5, 5]


def test_records_sees_appends_made_while_iterating(tmp_path):
    with Wal(str(tmp_path / "wal"), segment_bytes=2048, sync="off") as w:
        fill(w, 10, sync=False)
        it = w.records()
        got = [next(it)[0] for _ in range(10)]
        stop = threading.Event()

        def writer():
            i = 11
            while not stop.is_set() and i <= 400:
                w.append(payload(i))
                i += 1

        t = threading.Thread(target=writer)
        t.start()
        try:
            while len(got) < 400:
                try:
                    got.append(next(it)[0])
                except StopIteration:
                    it = w.records(len(got) + 1)
        finally:
            stop.set()
            t.join()
        assert got == list(range(1, 401))


def test_records_before_first_lsn_raise_and_closed_wal_raises(tmp_path):
    w = Wal(str(tmp_path / "wal"), segment_bytes=1024)
    fill(w, 50)
    w.retire(40)
    with pytest.raises(EngineError, match="retired"):
        w.records(1)
    it = w.records(w.first_lsn)
    next(it)
    w.close()
    w.close()                                           # idempotent
    for call in (lambda: w.append(b"x"), lambda: w.sync_to(1), lambda: w.records(), lambda: next(it)):
        with pytest.raises(ClosedError):
            call()


# ---- recovery: torn tails and corruption -------------------------------------------------------------------

def test_w7_truncated_last_record_is_a_torn_tail(tmp_path):
    d = str(tmp_path / "wal")
    with Wal(d, segment_bytes=4096) as w:
        fill(w, 20)
    path = os.path.join(d, segment_name(1))
    off, n, lsn, _ = raw_records(path)[-1]
    assert lsn == 20
    with open(path, "r+b") as f:
        f.truncate(off + 32 + n // 2)
    with Wal(d, segment_bytes=4096) as w:
        assert w.last_lsn == 19
        tail = w.stats()["recovered_tail"]
        assert tail["lsn"] == 20 and tail["offset"] == off and tail["segment"] == segment_name(1)
        assert os.path.getsize(path) == 4096            # extended back to a full, preallocated segment
        check_prefix(w, 19)
        assert w.append(payload(20)) == 20
        assert w.append(payload(21)) == 21
        w.sync()
    with Wal(d, segment_bytes=4096) as w:
        assert w.stats()["recovered_tail"] is None
        check_prefix(w, 21)


def test_w7_truncated_inside_header_is_a_torn_tail(tmp_path):
    d = str(tmp_path / "wal")
    with Wal(d, segment_bytes=4096) as w:
        fill(w, 5)
    path = os.path.join(d, segment_name(1))
    off = raw_records(path)[-1][0]
    with open(path, "r+b") as f:
        f.truncate(off + 13)
    with Wal(d, segment_bytes=4096) as w:
        assert w.last_lsn == 4
        check_prefix(w, 4)


def test_w7_garbage_in_the_last_record_is_a_torn_tail(tmp_path):
    d = str(tmp_path / "wal")
    with Wal(d, segment_bytes=4096) as w:
        fill(w, 20)
    path = os.path.join(d, segment_name(1))
    off, n, _, _ = raw_records(path)[-1]
    with open(path, "r+b") as f:
        f.seek(off + 32)
        f.write(os.urandom(n))
    with Wal(d, segment_bytes=4096) as w:
        assert w.last_lsn == 19
        assert w.stats()["recovered_tail"]["discarded_bytes"] >= 32 + n
        check_prefix(w, 19)
        fill(w, 3, start=20)
    with Wal(d, segment_bytes=4096) as w:
        check_prefix(w, 22)


def test_w7_damaged_record_with_only_unsynced_records_after_it_is_a_torn_tail(tmp_path):
    # sync=off: nothing after record 5 claims it was durable, so 5.. are discarded as a torn tail, and (W7)
    # the old records 6..12 are zeroed so they cannot be mistaken for new ones later.
    d = str(tmp_path / "wal")
    with Wal(d, segment_bytes=1024, sync="off") as w:
        fill(w, 12, sync=False)
        assert w.synced_lsn == 0
    # close() synced, but the records were written with synced_lsn = 0.
    first = segment_files(d)[0]
    path = os.path.join(d, first)
    off = raw_records(path)[4][0]
    with open(path, "r+b") as f:
        f.seek(off + 4)
        f.write(b"\xde\xad\xbe\xef")                    # record 5's checksum
    nseg = len(segment_files(d))
    with Wal(d, segment_bytes=1024) as w:
        assert w.last_lsn == 4
        tail = w.stats()["recovered_tail"]
        assert tail["lsn"] == 5 and tail["discarded_records"] >= 1
        assert len(tail["removed_segments"]) == nseg - 1
        fill(w, 2, start=5)
    with Wal(d, segment_bytes=1024) as w:
        assert w.stats()["recovered_tail"] is None
        check_prefix(w, 6)


def test_w7_damaged_record_followed_by_a_durable_record_raises_corruption(tmp_path):
    d = str(tmp_path / "wal")
    with Wal(d, segment_bytes=4096) as w:
        fill(w, 20)                                     # each record says its predecessor is durable
    path = os.path.join(d, segment_name(1))
    off = raw_records(path)[9][0]                       # LSN 10
    with open(path, "r+b") as f:
        f.seek(off + 40)
        b = f.read(1)
        f.seek(off + 40)
        f.write(bytes([b[0] ^ 0xFF]))
    with pytest.raises(CorruptionError) as ei:
        Wal(d, segment_bytes=4096)
    msg = str(ei.value)
    assert "LSN 10" in msg and path in msg and "offset %d" % off in msg
    with pytest.raises(CorruptionError):                # and it stays an error: nothing was repaired
        Wal(d, segment_bytes=4096)


def test_w7_zeroed_record_in_an_earlier_segment_raises_corruption(tmp_path):
    d = str(tmp_path / "wal")
    with Wal(d, segment_bytes=1024) as w:
        fill(w, 60)
    path = os.path.join(d, segment_files(d)[1])
    off, n, lsn, _ = raw_records(path)[1]
    with open(path, "r+b") as f:
        f.seek(off)
        f.write(b"\0" * (32 + n))
    pattern = "LSN %d at .*%s offset %d" % (lsn, os.path.basename(path), off)
    with pytest.raises(CorruptionError, match=pattern):
        Wal(d, segment_bytes=1024)


def test_w7_missing_middle_segment_raises_corruption(tmp_path):
    d = str(tmp_path / "wal")
    with Wal(d, segment_bytes=1024) as w:
        fill(w, 60)
    os.unlink(os.path.join(d, segment_files(d)[1]))
    with pytest.raises(CorruptionError):
        Wal(d, segment_bytes=1024)


def test_records_raises_corruption_on_a_damaged_record_in_the_live_log(tmp_path):
    d = str(tmp_path / "wal")
    with Wal(d, segment_bytes=4096) as w:
        fill(w, 20)
        path = os.path.join(d, segment_name(1))
        off = raw_records(path)[4][0]
        with open(path, "r+b") as f:
            f.seek(off + 4)
            f.write(b"\0\0\0\0")
        it = w.records()
        assert [next(it)[0] for _ in range(4)] == [1, 2, 3, 4]
        with pytest.raises(CorruptionError, match="LSN 5 at .* offset %d" % off):
            next(it)


def test_leftover_tmp_segment_is_removed_at_open(tmp_path):
    d = str(tmp_path / "wal")
    with Wal(d) as w:
        fill(w, 3)
    tmp = os.path.join(d, segment_name(4) + ".tmp")
    open(tmp, "wb").write(b"\1" * 100)
    with Wal(d) as w:
        assert not os.path.exists(tmp)
        check_prefix(w, 3)


# ---- recycling and retirement ------------------------------------------------------------------------------

def test_w8_recycled_segment_with_stale_records_reads_as_end(tmp_path):
    d = str(tmp_path / "wal")
    with Wal(d, segment_bytes=1024) as w:
        n = fill(w, 40)
        w.retire(n - 5)
        assert w.stats()["free_segments"] == 2
        # Append until a recycled segment becomes current, and put a single short record in it.
        while w.stats()["segments_recycled"] == 0:
            n = w.append(payload(n + 1))
        w.sync()
        cur = os.path.join(d, w.stats()["current_segment"])
        data = open(cur, "rb").read()
        end = w.stats()["write_offset"]
        assert any(data[end:])                          # stale records really are there
        stale = HEADER.unpack_from(data, end)
    with Wal(d, segment_bytes=1024) as w:
        assert w.last_lsn == n and w.stats()["recovered_tail"] is None
        assert [r[0] for r in w.records(w.first_lsn)] == list(range(w.first_lsn, n + 1))
        assert stale[2] < w.first_lsn or stale[2] == 0
        fill(w, 30, start=n + 1)
    with Wal(d, segment_bytes=1024) as w:
        assert w.last_lsn == n + 30
        assert [r[0] for r in w.records(w.first_lsn)] == list(range(w.first_lsn, n + 31))


def test_w9_retire_removes_old_segments_and_keeps_two_for_recycling(tmp_path):
    d = str(tmp_path / "wal")
    with Wal(d, segment_bytes=1024) as w:
        fill(w, 80)
        before = segment_files(d)
        assert w.retire(0) == 0
        retired = w.retire(50)
        files = segment_files(d)
        assert retired == len(before) - len(files) > 2
        assert int(files[0][:16], 16) == w.first_lsn <= 51
        assert len([f for f in os.listdir(d) if f.endswith(".free")]) == 2
        assert [r[0] for r in w.records(w.first_lsn)][-1] == 80
        cur = w.stats()["current_segment"]
        w.retire(10 ** 9)                               # never the current segment
        assert segment_files(d) == [cur]
    with Wal(d, segment_bytes=1024) as w:
        assert w.first_lsn == int(cur[:16], 16) and w.last_lsn == 80


def test_archive_mode_keeps_retired_segments_readable(tmp_path):
    d = str(tmp_path / "wal")
    with Wal(d, segment_bytes=1024, archive=True) as w:
        fill(w, 80)
        files = segment_files(d)
        assert w.retire(79) == 0
        assert segment_files(d) == files and w.first_lsn == 1
        assert [r[0] for r in w.records(3)] == list(range(3, 81))
        assert w.stats()["retired_lsn"] == 79
    with Wal(d, segment_bytes=1024, archive=True) as w:
        check_prefix(w, 80)


# ---- sync modes and group commit ---------------------------------------------------------------------------

def test_w4_group_commit_shares_fdatasync_between_threads(tmp_path):
    w = Wal(str(tmp_path / "wal"))
    lock = threading.Lock()
    threads, per = 8, 40
    barrier = threading.Barrier(threads)
    acked = []

    def committer(t):
        barrier.wait()
        for i in range(per):
            with lock:                                  # callers serialise appends
                lsn = w.append(b"t%d-%d" % (t, i))
            w.sync_to(lsn)
            assert w.synced_lsn >= lsn                  # (W2)
            acked.append(lsn)

    syncs0 = osfile.io_counts()[1]
    ts = [threading.Thread(target=committer, args=(t,)) for t in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    syncs = osfile.io_counts()[1] - syncs0
    assert sorted(acked) == list(range(1, threads * per + 1))
    assert syncs < threads * per
    assert {r[2] for r in w.records()} == {b"t%d-%d" % (t, i) for t in range(threads) for i in range(per)}
    w.close()


def test_w2_ack_implies_durable_across_kill9(tmp_path):
    d = str(tmp_path / "wal")
    code = (
        "import sys\n"
        "from pyddb._engine.wal import Wal\n"
        "w = Wal(sys.argv[1], segment_bytes=8192)\n"
        "i = 0\n"
        "while True:\n"
        "    i += 1\n"
        "    w.sync_to(w.append(b'r%d' % i * (i % 50)))\n"
        "    print(i, flush=True)\n"
    )
    p = subprocess.Popen([sys.executable, "-c", code, d], stdout=subprocess.PIPE)
    acked = 0
    for line in p.stdout:
        acked = int(line)
        if acked >= 300:
            break
    p.kill()
    p.wait()
    with Wal(d, segment_bytes=8192) as w:
        assert w.last_lsn >= acked
        assert [r[2] for r in w.records()] == [b"r%d" % i * (i % 50) for i in range(1, w.last_lsn + 1)]


def test_sync_normal_flushes_in_the_background(tmp_path):
    with Wal(str(tmp_path / "wal"), sync="normal") as w:
        assert w.sync_mode == "normal"
        lsn = fill(w, 10, sync=False)
        deadline = time.time() + 5
        while w.synced_lsn < lsn and time.time() < deadline:
            time.sleep(0.002)
        assert w.synced_lsn == lsn


def test_sync_off_never_syncs_unless_asked_and_close_syncs(tmp_path):
    d = str(tmp_path / "wal")
    w = Wal(d, sync="off")
    syncs0 = osfile.io_counts()[1]
    fill(w, 50, sync=False)
    time.sleep(0.02)
    assert osfile.io_counts()[1] == syncs0 and w.synced_lsn == 0
    w.sync_to(10)
    assert w.synced_lsn == 50                           # one round covers everything appended before it
    w.append(b"x")
    w.close()
    assert osfile.io_counts()[1] == syncs0 + 2
    with pytest.raises(ValueError):
        Wal(d, sync="sometimes")


def test_sync_to_beyond_last_lsn_is_an_error(tmp_path):
    with Wal(str(tmp_path / "wal")) as w:
        w.sync_to(0)
        with pytest.raises(ValueError):
            w.sync_to(1)


# ---- faults ------------------------------------------------------------------------------------------------

def test_w6_failed_sync_poisons_the_wal(tmp_path):
    d = str(tmp_path / "wal")
    w = Wal(d)
    fill(w, 3)
    lsn = w.append(b"doomed?")
    osfile.set_fault("sync", after=0, err=errno.EIO)
    with pytest.raises(OSError) as ei:
        w.sync_to(lsn)
    assert ei.value.errno == errno.EIO
    assert w.poisoned and w.synced_lsn == 3
    osfile.clear_fault()
    for call in (lambda: w.append(b"x"), lambda: w.sync_to(lsn), lambda: w.sync_to(1), lambda: w.retire(1)):
        with pytest.raises(PoisonedError):
            call()
    w.close()                                           # no sync attempt, no error
    with Wal(d) as w2:                                  # reopening recovers what reached the file
        assert w2.last_lsn == 4 and not w2.poisoned


def test_w6_failed_record_write_poisons_the_wal(tmp_path):
    w = Wal(str(tmp_path / "wal"))
    fill(w, 3)
    osfile.set_fault("write", after=0, err=errno.EIO)
    with pytest.raises(OSError):
        w.append(b"x")
    with pytest.raises(PoisonedError):
        w.append(b"y")
    assert w.last_lsn == 3
    w.close()


def test_w6_enospc_creating_a_segment_fails_cleanly_and_the_log_keeps_working(tmp_path):
    d = str(tmp_path / "wal")
    w = Wal(d, segment_bytes=1024)
    n = fill(w, 5)
    while w.stats()["write_offset"] + 32 + 100 <= 1024:
        n = w.append(payload(n + 1))
    w.sync()
    files = sorted(os.listdir(d))
    osfile.set_fault("write", after=0, err=errno.ENOSPC)
    with pytest.raises(OSError) as ei:
        w.append(b"z" * 100)                            # needs a new segment: its zero-fill fails
    assert ei.value.errno == errno.ENOSPC
    assert not w.poisoned and w.last_lsn == n
    assert sorted(os.listdir(d)) == files               # the partial segment is gone
    # A failed datasync of the new, not yet used, segment is also clean.
    osfile.set_fault("sync", after=0, err=errno.EIO)
    with pytest.raises(OSError):
        w.append(b"z" * 100)
    assert not w.poisoned and sorted(os.listdir(d)) == files
    assert w.append(b"z" * 100) == n + 1                # "space freed": works, no LSN was consumed
    w.sync()
    w.close()
    with Wal(d, segment_bytes=1024) as w:
        assert w.last_lsn == n + 1
        assert list(w.records(n + 1))[0][2] == b"z" * 100


def test_w6_failed_directory_fsync_after_adding_a_segment_poisons(tmp_path):
    w = Wal(str(tmp_path / "wal"), segment_bytes=1024)
    n = fill(w, 5)
    while w.stats()["write_offset"] + 32 + 100 <= 1024:
        n = w.append(payload(n + 1))
    osfile.set_fault("sync", after=1, err=errno.EIO)    # the segment's datasync passes, the dir fsync fails
    with pytest.raises(OSError):
        w.append(b"z" * 100)
    assert w.poisoned
    with pytest.raises(PoisonedError):
        w.append(b"z")
    w.close()


# ---- start_lsn ---------------------------------------------------------------------------------------------

def test_w1_new_log_starts_at_start_lsn(tmp_path):
    d = str(tmp_path / "wal")
    with Wal(d, "full", 1024, False, 101) as w:
        assert (w.first_lsn, w.last_lsn) == (101, 100)
        assert w.append(b"a") == 101
        w.sync()
    assert segment_files(d) == [segment_name(101)]
    with Wal(d, start_lsn=50) as w:                     # an existing log that is ahead: start_lsn ignored
        assert w.last_lsn == 101
        assert [r[0] for r in w.records(101)] == [101]


def test_w1_log_behind_start_lsn_is_discarded_and_lsns_never_repeat(tmp_path):
    d = str(tmp_path / "wal")
    with Wal(d, segment_bytes=1024) as w:
        fill(w, 30)
    with Wal(d, segment_bytes=1024, start_lsn=41) as w:
        assert (w.first_lsn, w.last_lsn) == (41, 40)
        assert w.stats()["recovered_tail"]["skipped_to_lsn"] == 41
        assert w.append(b"x") == 41
    assert segment_files(d) == [segment_name(41)]
    with Wal(d, segment_bytes=1024, archive=True) as w:
        fill(w, 20, start=42)
    with pytest.raises(EngineError, match="archive"):
        Wal(d, segment_bytes=1024, archive=True, start_lsn=100)


def test_w5_a_spare_segment_is_zero_filled_in_the_background(tmp_path):
    d = str(tmp_path / "wal")
    seg = 4 << 20
    with Wal(d, segment_bytes=seg, sync="off", archive=True) as w:
        chunk = b"s" * (1 << 20)
        w.append(chunk)
        assert not [f for f in os.listdir(d) if f.startswith("spare-")]     # none until half-way
        w.append(chunk)                                  # past half of the first segment: a spare starts
        deadline = time.monotonic() + 10
        while not [f for f in os.listdir(d) if f.startswith("spare-")]:
            assert time.monotonic() < deadline
            time.sleep(0.001)
        while w.stats()["segments"] < 2:
            w.append(chunk)
        # the first roll took that spare (waiting for it if need be) instead of zero-filling a segment itself
        assert w.stats()["segments_created"] == 1 and w.stats()["segments_recycled"] == 1
    spares = [f for f in os.listdir(d) if f.startswith("spare-")]
    assert len(spares) == 1 and os.path.getsize(os.path.join(d, spares[0])) == seg
    with Wal(d, segment_bytes=seg, sync="off", archive=True) as w:
        n = w.last_lsn
        while w.stats()["segments"] < 3:
            w.append(chunk)
        assert w.stats()["segments_recycled"] == 1 and w.stats()["segments_created"] == 0
        assert [r[0] for r in w.records()] == list(range(1, w.last_lsn + 1)) and w.last_lsn > n



def test_w5_no_thread_for_a_spare_costs_the_spare_only(tmp_path, monkeypatch):
    """A spare is a speed-up: when no thread can be started for it, the appends that would start one (half-way
    through a segment, after a roll) succeed, rolls create segments themselves, and the log reads back."""
    def no_thread(self):
        raise RuntimeError("can't start new thread")
    d = str(tmp_path / "wal")
    monkeypatch.setattr(threading.Thread, "start", no_thread)
    with Wal(d, segment_bytes=4 << 20, sync="off") as w:
        chunk = b"s" * (1 << 20)
        while w.stats()["segments"] < 3:
            w.append(chunk)
        assert w.stats()["segments_created"] == 3 and not [f for f in os.listdir(d) if f.startswith("spare-")]
        n = w.last_lsn
    monkeypatch.undo()
    with Wal(d, segment_bytes=4 << 20, sync="off") as w:
        assert [r[0] for r in w.records()] == list(range(1, n + 1))

# ---- simulated power loss ----------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(int(os.environ.get("WAL_SEEDS", "60"))))
def test_w2_w7_power_loss_keeps_synced_records_and_never_reports_corruption(tmp_path, seed):
    """Crash images where any 512-byte sector holding unsynced bytes is kept, lost (zeros) or torn (garbage):
    recovery must keep every record <= synced_lsn (W2, W3), raise no CorruptionError (W7), yield an exact
    prefix, and stay consistent through further appends and reopens (W7: nothing old is mistaken for new)."""
    import random
    import shutil
    rnd = random.Random(seed)
    src, dst = str(tmp_path / "live"), str(tmp_path / "crash")
    seg = rnd.choice([512, 1024, 4096])
    w = Wal(src, sync="off", segment_bytes=seg)
    payloads = {}
    for i in range(rnd.randint(1, 120)):
        p = os.urandom(rnd.choice([0, 3, 40, 200, 700]))
        payloads[w.append(p)] = p
        if rnd.random() < 0.15:
            w.sync_to(w.last_lsn)
        if rnd.random() < 0.05 and w.synced_lsn:
            w.retire(rnd.randint(0, w.synced_lsn))      # retirement of checkpointed records recycles segments
    synced, first = w.synced_lsn, w.first_lsn
    shutil.copytree(src, dst)                           # the page cache, before close() could sync it
    w.close()
    for name in segment_files(dst):
        path = os.path.join(dst, name)
        data = bytearray(open(path, "rb").read())
        durable_end = 0
        for off, n, lsn, _ in raw_records(path):
            if lsn <= synced:
                durable_end = off + ((32 + n + 7) & ~7)
        for sec in range(0, len(data), 512):
            lo = max(sec, durable_end)
            hi = min(sec + 512, len(data))
            if lo >= hi:
                continue
            fate = rnd.random()
            if fate < 0.3:
                data[lo:hi] = bytes(hi - lo)            # lost
            elif fate < 0.4:
                data[lo:hi] = os.urandom(hi - lo)       # torn
        if rnd.random() < 0.1 and len(data) > durable_end:
            del data[rnd.randint(durable_end, len(data)):]   # cut short
        open(path, "wb").write(data)
    with Wal(dst, segment_bytes=seg) as w2:
        assert w2.last_lsn >= synced
        got = list(w2.records(first))
        assert [r[0] for r in got] == list(range(first, w2.last_lsn + 1))
        assert all(r[2] == payloads[r[0]] for r in got)
        n = w2.last_lsn
        for i in range(rnd.randint(0, 40)):
            payloads[w2.append(b"new-%d" % i)] = b"new-%d" % i
        w2.sync()
        total = w2.last_lsn
    with Wal(dst, segment_bytes=seg) as w3:
        tail = w3.stats()["recovered_tail"]             # debris may be cleaned, records never discarded
        assert w3.last_lsn == total
        assert tail is None or (tail["discarded_records"] == 0 and not tail["removed_segments"]), tail
        got = list(w3.records(first))
        assert [r[0] for r in got] == list(range(first, total + 1))
        assert all(r[2] == payloads[r[0]] for r in got)
        assert all(r[2].startswith(b"new-") for r in got if r[0] > n)


def test_w10_oversized_first_record_grows_the_empty_current_segment(tmp_path):
    d = str(tmp_path / "wal")
    big = os.urandom(3000)
    with Wal(d, segment_bytes=512) as w:
        assert w.append(big) == 1                       # nothing in segment 1 yet: it grows to fit
        assert w.append(b"small") == 2
        w.sync()
        assert w.retire(1) == 1
        assert segment_files(d) == [segment_name(2)]
    assert sorted(os.listdir(d)) == [segment_name(2)]  # the 3032-byte segment is not kept for recycling
    with Wal(d, segment_bytes=512) as w:
        assert [(r[0], r[2]) for r in w.records(2)] == [(2, b"small")]


@pytest.mark.parametrize("mode", ["full", "normal", "off"])
def test_w4_concurrent_commits_rolls_retires_and_readers(tmp_path, mode):
    d = str(tmp_path / "wal")
    w = Wal(d, sync=mode, segment_bytes=1024)
    lock = threading.Lock()                             # the caller's write lock: append and retire
    errors = []
    done = threading.Event()

    def committer(t):
        try:
            for i in range(150):
                with lock:
                    lsn = w.append(b"%d:%d:" % (t, i) + b"p" * (i % 90))
                if mode != "off" or i % 10 == 0:
                    w.sync_to(lsn)
                    assert w.synced_lsn >= lsn
        except BaseException as e:                      # pragma: no cover - reported below
            errors.append(e)

    def retirer():
        while not done.is_set():
            with lock:
                w.retire(max(0, w.synced_lsn - 50))
            time.sleep(0.001)

    def reader():
        try:
            while not done.is_set():
                start = w.first_lsn
                prev = None
                try:
                    for lsn, _, p in w.records(start):
                        assert prev is None or lsn == prev + 1
                        prev = lsn
                except EngineError as e:                # the segment it read was retired under it
                    assert "retired" in str(e) and not isinstance(e, CorruptionError)
        except BaseException as e:                      # pragma: no cover
            errors.append(e)

    ts = [threading.Thread(target=committer, args=(t,)) for t in range(6)]
    extra = [threading.Thread(target=retirer), threading.Thread(target=reader)]
    for t in ts + extra:
        t.start()
    for t in ts:
        t.join()
    done.set()
    for t in extra:
        t.join()
    assert not errors, errors
    assert w.last_lsn == 900
    w.sync()
    tail = [r[2] for r in w.records(w.first_lsn)]
    w.close()
    with Wal(d, segment_bytes=1024) as w2:
        assert w2.last_lsn == 900
        assert [r[2] for r in w2.records(w2.first_lsn)] == tail


def test_w6_failed_background_sync_in_normal_mode_poisons(tmp_path):
    w = Wal(str(tmp_path / "wal"), sync="normal")
    osfile.set_fault("sync", after=0, err=errno.EIO)
    w.append(b"x")
    deadline = time.time() + 5
    while not w.poisoned and time.time() < deadline:
        time.sleep(0.002)
    assert w.poisoned and w.synced_lsn == 0
    with pytest.raises(PoisonedError) as info:
        w.append(b"y")
    assert isinstance(info.value.__cause__, OSError) and info.value.__cause__.errno == errno.EIO
    w.close()


def test_w11_the_flusher_syncs_while_another_thread_keeps_the_gil(tmp_path):
    """The normal-mode flusher's round needs no GIL: with the switch interval at 10 s, a thread that computes
    in Python never hands the GIL over (a thread needing it would wait 10 s), yet the records get synced.
    (Between its 1 s slices the flusher does take the GIL once; an attempt that starts just then is retried.)"""
    with Wal(str(tmp_path / "wal"), sync="normal") as w:
        synced_while_held = []
        for _ in range(3):
            lsn = fill(w, 20, sync=False)
            old = sys.getswitchinterval()
            sys.setswitchinterval(10.0)
            try:
                t0 = time.perf_counter()
                while w.synced_lsn < lsn and time.perf_counter() - t0 < 0.8:
                    pass                                 # pure Python: never releases the GIL
                synced_while_held.append(w.synced_lsn == lsn)
            finally:
                sys.setswitchinterval(old)
            if synced_while_held[-1]:
                break
            time.sleep(0.05)                             # let a flusher caught between slices through
        assert synced_while_held[-1], synced_while_held


def test_w11_records_across_rolls_are_synced_by_the_flusher(tmp_path):
    """A roll leaves the old descriptor pending: the flusher serves it with the GIL round (W4), and the
    GIL-free rounds resume on the new segment."""
    d = str(tmp_path / "wal")
    with Wal(d, sync="normal", segment_bytes=4096) as w:
        for i in range(300):
            w.append(b"r%04d" % i * 20)
        lsn = w.last_lsn
        deadline = time.time() + 5
        while w.synced_lsn < lsn and time.time() < deadline:
            time.sleep(0.002)
        assert w.synced_lsn == lsn and w.stats()["segments"] > 3
    with Wal(d, segment_bytes=4096) as w2:
        assert [r[2] for r in w2.records(w2.first_lsn)] == [b"r%04d" % i * 20 for i in range(300)]


def test_w6_close_reports_a_failed_final_sync(tmp_path):
    d = str(tmp_path / "wal")
    w = Wal(d, sync="off")
    w.append(b"x")
    osfile.set_fault("sync", after=0, err=errno.EIO)
    with pytest.raises(OSError):
        w.close()
    assert w.closed and w.poisoned
    osfile.clear_fault()
    with Wal(d) as w2:
        assert w2.last_lsn == 1


def test_w9_retire_forgets_a_descriptor_before_closing_it(tmp_path, monkeypatch):
    """os.close releases the GIL: a syncer running in that gap (here the normal-mode flusher) must not find
    the retired segment's descriptor still pending, closed and its number reused by another open (it would
    datasync, then close, someone else's file)."""
    real_close = os.close
    victim = {"path": str(tmp_path / "victim")}

    def close_then_reuse(fd):
        real_close(fd)
        if victim.pop("arm", False):
            victim["fd"] = os.open(victim["path"], os.O_RDWR | os.O_CREAT, 0o644)   # the freed number
            victim["number"] = fd
            time.sleep(0.05)                             # a wide GIL-released gap, as inside close()
    w = Wal(str(tmp_path / "wal"), sync="normal", segment_bytes=4096)
    old = sys.getswitchinterval()
    try:
        sys.setswitchinterval(10.0)                      # the flusher cannot take the pending descriptor
        while w.stats()["segments"] < 2:                 # before retire (its GIL round waits for us)
            w.append(b"x" * 100)
        monkeypatch.setattr(os, "close", close_then_reuse)
        victim["arm"] = True
        w.retire(w.last_lsn)
        sys.setswitchinterval(old)
        time.sleep(0.05)
        monkeypatch.undo()
        assert victim["fd"] == victim["number"]          # the number was reused while the WAL ran on
        os.fstat(victim["fd"])                           # and the WAL's syncer did not close it
        assert not w.poisoned
    finally:
        sys.setswitchinterval(old)
        monkeypatch.undo()
        w.close()
        if "fd" in victim:
            real_close(victim["fd"])
