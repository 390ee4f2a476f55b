"""The faultfs interposer on its own, against tiny programs whose every write and sync is known.

If these fail, the power-loss tests of the engine (test_powerloss.py) mean nothing: they prove that the undo
log records what a process did, that a crash trigger stops it at the chosen call, and that applying a power
loss leaves exactly the synced state (drop all), the final state (keep all), or a sector-wise mix (tear).
"""
import collections
import os
import random
import subprocess
import sys
import textwrap

import pytest

import faultfs


def run_child(so, root, log, code, crash_after=None, crash_when="before", crash_prob=None, crash_seed=None):
    faultfs.reset_log(log)
    env = faultfs.child_env(so, root, log, crash_after=crash_after, crash_when=crash_when,
                            crash_prob=crash_prob, crash_seed=crash_seed)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), str(root)], env=env,
                          capture_output=True, text=True, timeout=60)


def power_loss(log, root, seed, mode):
    probs = {"drop": dict(p_keep=0.0, p_drop=1.0), "keep": dict(p_keep=1.0, p_drop=0.0),
             "tear": dict(p_keep=0.0, p_drop=0.0)}[mode]
    return faultfs.apply_power_loss(log, random.Random(seed), roots=[str(root)], **probs)


def snapshot(root):
    """{relative path: bytes} of every file, and the set of directories, under root."""
    files, dirs = {}, set()
    for d, ds, fs in os.walk(root):
        for x in ds:
            dirs.add(os.path.relpath(os.path.join(d, x), root))
        for f in fs:
            p = os.path.join(d, f)
            files[os.path.relpath(p, root)] = open(p, "rb").read()
    return files, dirs


def restore(root, snap):
    """Put back a snapshot in place (same inodes: the undo log names files by inode)."""
    files, _dirs = snap
    for rel, data in files.items():
        with open(os.path.join(root, rel), "r+b") as f:
            f.truncate(0)
            f.write(data)


@pytest.fixture
def root(tmp_path):
    d = tmp_path / "db"
    d.mkdir()
    return d


WRITES = """
    import os, sys
    d = sys.argv[1]
    p = os.path.join(d, "f")
    fd = os.open(p, os.O_RDWR | os.O_CREAT, 0o644)
    os.pwrite(fd, b"A" * 1536, 0)
    os.fsync(fd)
    dfd = os.open(d, os.O_RDONLY); os.fsync(dfd); os.close(dfd)
    os.pwrite(fd, b"B" * 512, 512)
    os.pwrite(fd, b"C" * 1024, 1536)          # grows the file
    os.write(fd, b"D" * 100)                 # at the fd position (0): overwrites the first 100 bytes
    os._exit(0)
"""


def test_unsynced_writes_are_dropped_and_synced_ones_survive(faultfs_so, root, tmp_path):
    log = tmp_path / "undo.log"
    r = run_child(faultfs_so, root, log, WRITES)
    assert r.returncode == 0, r.stderr
    final = open(root / "f", "rb").read()
    assert final == b"D" * 100 + b"A" * 412 + b"B" * 512 + b"A" * 512 + b"C" * 1024
    kinds = [faultfs._TYPE_NAMES[x.type] for x in faultfs.read_log(log)]
    assert kinds == ["CREATE", "WRITE", "SYNC", "DIRSYNC", "WRITE", "WRITE", "WRITE"], faultfs.describe(log)
    rep = power_loss(log, root, 1, "drop")
    assert open(root / "f", "rb").read() == b"A" * 1536, rep
    assert rep.dropped == 3 and rep.durable == 2, rep


def test_keep_all_leaves_the_final_state(faultfs_so, root, tmp_path):
    log = tmp_path / "undo.log"
    run_child(faultfs_so, root, log, WRITES)
    before = snapshot(root)
    power_loss(log, root, 1, "keep")
    assert snapshot(root) == before


def test_tearing_leaves_each_sector_at_one_of_its_versions(faultfs_so, root, tmp_path):
    log = tmp_path / "undo.log"
    r = run_child(faultfs_so, root, log, WRITES)
    assert r.returncode == 0, r.stderr
    crashed = snapshot(root)
    versions = [
        {b"A" * 512, b"D" * 100 + b"A" * 412},
        {b"A" * 512, b"B" * 512},
        {b"A" * 512},
        {b"C" * 512, b"\0" * 512, None},
        {b"C" * 512, None},
    ]
    seen = set()
    for s in range(40):
        restore(root, crashed)
        power_loss(log, root, s, "tear")
        data = open(root / "f", "rb").read()
        assert len(data) in (1536, 2048, 2560), (s, len(data))
        for i, allowed in enumerate(versions):
            sector = data[i * 512:(i + 1) * 512] or None
            assert sector in allowed, (s, i, sector[:8] if sector else None)
        seen.add(data)
    assert len(seen) >= 4, "tearing should produce several different outcomes over 40 seeds"


def test_namespace_changes_without_a_directory_fsync_are_undone(faultfs_so, root, tmp_path):
    log = tmp_path / "undo.log"
    code = """
        import os, sys
        d = sys.argv[1]
        def put(name, data, sync=True):
            fd = os.open(os.path.join(d, name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(fd, data)
            if sync: os.fsync(fd)
            os.close(fd)
        def dsync():
            fd = os.open(d, os.O_RDONLY); os.fsync(fd); os.close(fd)
        put("keep", b"keep"); put("tgt", b"old target"); dsync()
        put("new", b"new file")                       # file synced, directory not
        put("tmp", b"new target"); os.rename(os.path.join(d, "tmp"), os.path.join(d, "tgt"))
        os.unlink(os.path.join(d, "keep"))
        os.mkdir(os.path.join(d, "sub"))
        if len(sys.argv) > 2: dsync()
        os._exit(0)
    """
    r = run_child(faultfs_so, root, log, code)
    assert r.returncode == 0, r.stderr
    final = snapshot(root)
    assert final == ({"tgt": b"new target", "new": b"new file"}, {"sub"})
    power_loss(log, root, 7, "drop")
    assert snapshot(root) == ({"keep": b"keep", "tgt": b"old target"}, set()), faultfs.describe(log)

    # The same with a directory fsync at the end: everything is durable.
    for p in os.listdir(root):
        full = os.path.join(root, p)
        os.rmdir(full) if os.path.isdir(full) else os.unlink(full)
    faultfs.reset_log(log)
    env = faultfs.child_env(faultfs_so, root, log)
    subprocess.run([sys.executable, "-c", textwrap.dedent(code), str(root), "dsync"], env=env, check=True)
    power_loss(log, root, 7, "drop")
    assert snapshot(root) == final


def test_unsynced_truncate_is_undone(faultfs_so, root, tmp_path):
    log = tmp_path / "undo.log"
    code = """
        import os, sys
        d = sys.argv[1]
        fd = os.open(os.path.join(d, "f"), os.O_RDWR | os.O_CREAT, 0o644)
        os.pwrite(fd, bytes(range(256)) * 16, 0)
        os.fdatasync(fd)
        dfd = os.open(d, os.O_RDONLY); os.fsync(dfd); os.close(dfd)
        os.ftruncate(fd, 1000)
        os.ftruncate(fd, 9000)
        os._exit(0)
    """
    assert run_child(faultfs_so, root, log, code).returncode == 0
    assert os.path.getsize(root / "f") == 9000
    power_loss(log, root, 3, "drop")
    assert open(root / "f", "rb").read() == bytes(range(256)) * 16


def test_msync_makes_only_its_range_durable_and_osync_writes_are_durable(faultfs_so, root, tmp_path):
    log = tmp_path / "undo.log"
    code = """
        import mmap, os, sys
        d = sys.argv[1]
        fd = os.open(os.path.join(d, "m"), os.O_RDWR | os.O_CREAT, 0o644)
        os.pwrite(fd, b"0" * 8192, 0)
        os.fsync(fd)
        dfd = os.open(d, os.O_RDONLY); os.fsync(dfd); os.close(dfd)
        m = mmap.mmap(fd, 8192, mmap.MAP_SHARED)  # (CPython's flush() is a no-op on a read-only map)
        os.pwrite(fd, b"1" * 4096, 0)
        os.pwrite(fd, b"2" * 4096, 4096)
        m.flush(0, 4096)                           # msync(MS_SYNC) of the first page only
        sfd = os.open(os.path.join(d, "m"), os.O_WRONLY | os.O_DSYNC)
        os.pwrite(sfd, b"3" * 10, 8000)            # O_DSYNC: durable when it returns
        os._exit(0)
    """
    r = run_child(faultfs_so, root, log, code)
    assert r.returncode == 0, r.stderr
    power_loss(log, root, 5, "drop")
    data = open(root / "m", "rb").read()
    assert data == b"1" * 4096 + b"0" * (8000 - 4096) + b"3" * 10 + b"0" * 182, faultfs.describe(log)


@pytest.mark.parametrize("when", ["before", "after"])
def test_crash_after_n_stops_the_process_at_that_call(faultfs_so, root, tmp_path, when):
    log = tmp_path / "undo.log"
    code = """
        import os, sys
        d = sys.argv[1]
        fd = os.open(os.path.join(d, "f"), os.O_RDWR | os.O_CREAT, 0o644)   # call 1 (create)
        dfd = os.open(d, os.O_RDONLY); os.fsync(dfd)                        # call 2
        for i in range(5):
            print("write", i, flush=True)
            os.pwrite(fd, bytes([65 + i]) * 512, 512 * i)                    # calls 3, 5, 7, 9, 11
            os.fdatasync(fd)                                                # calls 4, 6, 8, 10, 12
        print("done", flush=True)
    """
    r = run_child(faultfs_so, root, log, code, crash_after=7, crash_when=when)
    assert r.returncode == -9, (r.returncode, r.stderr)
    assert "done" not in r.stdout and "write 2" in r.stdout
    recs = faultfs.read_log(log)
    data = open(root / "f", "rb").read()
    if when == "before":
        assert len(recs) == 6 and data == b"A" * 512 + b"B" * 512
    else:
        assert len(recs) == 7 and data == b"A" * 512 + b"B" * 512 + b"C" * 512
    # The write of "C" was never synced: a power loss drops it.
    power_loss(log, root, 0, "drop")
    assert open(root / "f", "rb").read() == b"A" * 512 + b"B" * 512


def test_a_failed_sync_leaves_its_writes_non_durable_even_after_a_later_successful_one(faultfs_so, root,
                                                                                       tmp_path):
    log = tmp_path / "undo.log"
    code = """
        import errno, os, sys
        d = sys.argv[1]
        fd = os.open(os.path.join(d, "f"), os.O_RDWR | os.O_CREAT, 0o644)
        dfd = os.open(d, os.O_RDONLY); os.fsync(dfd)                        # sync 1
        os.pwrite(fd, b"A" * 512, 0); os.fdatasync(fd)                      # sync 2
        os.pwrite(fd, b"B" * 512, 512)
        try:
            os.fdatasync(fd)                                                # sync 3: fails
            print("sync 3 ok")
        except OSError as e:
            print("sync 3 failed", errno.errorcode[e.errno])
        os.fdatasync(fd)                                                    # sync 4: the "retry"
        os.pwrite(fd, b"C" * 512, 1024); os.fdatasync(fd)                   # sync 5
    """
    env = faultfs.child_env(faultfs_so, root, log, fail_sync_after=3, fail_errno=5)
    faultfs.reset_log(log)
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code), str(root)], env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0 and "sync 3 failed EIO" in r.stdout, (r.stdout, r.stderr)
    assert faultfs.count_syncs(log) == 5
    power_loss(log, root, 0, "drop")
    assert open(root / "f", "rb").read() == b"A" * 512 + b"\0" * 512 + b"C" * 512, faultfs.describe(log)


def test_sticky_sync_failure_fails_every_later_sync(faultfs_so, root, tmp_path):
    log = tmp_path / "undo.log"
    code = """
        import os, sys
        d = sys.argv[1]
        fd = os.open(os.path.join(d, "f"), os.O_RDWR | os.O_CREAT, 0o644)
        results = []
        for i in range(5):
            os.pwrite(fd, b"x", i)
            try:
                os.fsync(fd); results.append("ok")
            except OSError:
                results.append("fail")
        print(" ".join(results))
    """
    faultfs.reset_log(log)
    env = faultfs.child_env(faultfs_so, root, log, fail_sync_after=2, fail_sync_sticky=True)
    r = subprocess.run([sys.executable, "-c", textwrap.dedent(code), str(root)], env=env, capture_output=True,
                       text=True, timeout=60)
    assert r.stdout.split() == ["ok", "fail", "fail", "fail", "fail"], (r.stdout, r.stderr)


def test_random_crash_and_untracked_paths(faultfs_so, root, tmp_path):
    log = tmp_path / "undo.log"
    outside = tmp_path / "outside"
    code = """
        import os, sys
        d = sys.argv[1]
        o = os.open(os.path.join(os.path.dirname(d), "outside"), os.O_RDWR | os.O_CREAT, 0o644)
        fd = os.open(os.path.join(d, "f"), os.O_RDWR | os.O_CREAT, 0o644)
        for i in range(10000):
            os.pwrite(o, b"x" * 100, 0); os.fsync(o)
            os.pwrite(fd, b"y" * 100, 100 * (i % 50))
        print("done", flush=True)
    """
    r = run_child(faultfs_so, root, log, code, crash_prob=0.01, crash_seed=11)
    assert r.returncode == -9 and "done" not in r.stdout, r.stderr
    recs = faultfs.read_log(log)
    assert 1 <= len(recs) < 5000
    assert all(rec.path1.startswith(str(root)) for rec in recs)
    assert [x.seq for x in recs] == sorted(x.seq for x in recs)
    assert outside.exists()


def test_a_c_program_is_intercepted(faultfs_so, root, tmp_path):
    cc = faultfs._compiler()
    src = tmp_path / "w.c"
    src.write_text(textwrap.dedent("""
        #include <fcntl.h>
        #include <stdio.h>
        #include <string.h>
        #include <unistd.h>
        int main(int argc, char **argv) {
            char p[4096], buf[1024];
            snprintf(p, sizeof p, "%s/c.dat", argv[1]);
            int fd = open(p, O_RDWR | O_CREAT, 0644);
            memset(buf, 'a', sizeof buf); pwrite(fd, buf, sizeof buf, 0); fdatasync(fd);
            int dfd = open(argv[1], O_RDONLY); fsync(dfd); close(dfd);
            memset(buf, 'b', sizeof buf); pwrite(fd, buf, 512, 512);
            memset(buf, 'c', sizeof buf); write(fd, buf, 100);
            return 0;
        }
    """))
    exe = tmp_path / "w"
    subprocess.run([cc, "-O1", "-D_FILE_OFFSET_BITS=64", "-o", str(exe), str(src)], check=True)
    log = tmp_path / "undo.log"
    faultfs.reset_log(log)
    subprocess.run([str(exe), str(root)], env=faultfs.child_env(faultfs_so, root, log), check=True)
    assert open(root / "c.dat", "rb").read() == b"c" * 100 + b"a" * 412 + b"b" * 512
    power_loss(log, root, 0, "drop")
    assert open(root / "c.dat", "rb").read() == b"a" * 1024


def test_threads_write_concurrently_and_every_write_is_logged(faultfs_so, root, tmp_path):
    log = tmp_path / "undo.log"
    code = """
        import os, sys, threading
        d = sys.argv[1]
        fd = os.open(os.path.join(d, "t"), os.O_RDWR | os.O_CREAT, 0o644)
        os.pwrite(fd, b"." * 4 * 4096, 0); os.fsync(fd)
        dfd = os.open(d, os.O_RDONLY); os.fsync(dfd); os.close(dfd)
        def worker(k):
            for i in range(200):
                os.pwrite(fd, bytes([48 + i % 10]) * 512, k * 4096 + (i % 8) * 512)
                if i % 50 == 49: os.fdatasync(fd)
        ts = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
        [t.start() for t in ts]; [t.join() for t in ts]
    """
    r = run_child(faultfs_so, root, log, code)
    assert r.returncode == 0, r.stderr
    recs = faultfs.read_log(log)
    assert sum(1 for x in recs if x.type == faultfs.REC_WRITE) == 801
    final = open(root / "t", "rb").read()
    power_loss(log, root, 0, "keep")
    assert open(root / "t", "rb").read() == final
    power_loss(log, root, 0, "drop")            # last sync of each thread covered at least i < 150
    data = open(root / "t", "rb").read()
    assert data != b"." * 4 * 4096


# ---- the engine under power loss ---------------------------------------------------------------------------

def powerloss_loop(so, tmp_path, seed, profile, rounds, batches_per_run=30, verify_every=0.6,
                   strict_dirs=True, threads=0, sync="full"):
    """`rounds` interposed writer runs on one directory. Each run is stopped by the interposer at a random
    tracked call (write, sync, rename, ...), or exits without closing; then a power loss is applied (every
    non-durable change kept, dropped or torn, by a seeded RNG) and the directory is checked, or handed to the
    next writer to recover (under the interposer too). Acknowledged = durable: every acknowledged batch must
    survive, as must every state a recovery reported. With threads=T, T concurrent writers each write a
    stream (writer_proc.verify_streams). With sync="normal" an acknowledgement promises nothing, but the
    state must still be an exact prefix, never behind what an earlier recovery reported."""
    from writer_proc import History, WriterRun, open_db, verify, verify_streams

    rng = random.Random(seed)
    db_dir = tmp_path / "db"
    log = tmp_path / "undo.log"
    streams = range(threads) if threads else [None]
    hists = [History(seed, profile, t) for t in streams]
    floors = [0] * len(hists)
    acked_lsns = {}
    calls_per_run = None
    history = []
    for i in range(rounds):
        faultfs.reset_log(log)
        crash_after = crash_prob = None
        if calls_per_run is not None:           # the first run measures how many tracked calls a run makes
            x = rng.random()
            if x < 0.75:
                crash_after = rng.randint(1, calls_per_run)          # at the Nth tracked call
            elif x < 0.95:
                crash_prob = 1.0 / calls_per_run                     # at a random one
        env = faultfs.child_env(so, db_dir, log, crash_after=crash_after, crash_prob=crash_prob,
                                crash_seed=rng.randrange(1 << 30), crash_when=rng.choice(["before", "after"]))
        extra = ("--max-batches", str(max(floors) + batches_per_run), "--end", "exit", "--sync", sync)
        if threads:
            extra += ("--threads", str(threads))
        run = WriterRun(db_dir, seed, profile, env=env, stderr_path=tmp_path / ("w%d.err" % i), extra=extra)
        run.run_until(timeout=120)
        rc = run.finish()
        acked = run.stream_acked if threads else ({0: run.acked} if run.acked is not None else {})
        ctx = ("seed=%d profile=%s threads=%d sync=%s round=%d crash_after=%r crash_prob=%r floors=%r "
               "opened=%r acked=%r rc=%r\nwriter stderr:\n%s"
               % (seed, profile, threads, sync, i, crash_after, crash_prob, floors, run.opened, acked, rc,
                  run.stderr_tail()))
        assert rc in (0, -9), "the writer failed on its own\n" + ctx
        if calls_per_run is None:
            calls_per_run = max(10, faultfs.count_tracked_calls(log))
        if run.opened is not None:
            opened = run.opened if threads else (run.opened,)
            floors = [max(f, o) for f, o in zip(floors, opened)]
        if sync == "full":
            for t, n in acked.items():
                floors[t] = max(floors[t], n)
            acked_lsns.update(run.acked_lsns)
        rep = faultfs.apply_power_loss(log, random.Random(seed * 1000003 + i), roots=[str(db_dir)],
                                       strict_dirs=strict_dirs)
        ctx += "\npower loss: %s %s" % (rep, rep.notes[:5])
        verified = None
        if rng.random() < verify_every or i == rounds - 1:
            try:
                db = open_db(db_dir, profile)
            except Exception as e:
                raise AssertionError("reopen after power loss failed: %r\n%s\nundo log: %s"
                                     % (e, ctx, faultfs.describe(log, 30))) from None
            try:
                if threads:
                    verified = list(verify_streams(db, hists, floors, acked_lsns))
                    acked_lsns = {k: v for k, v in acked_lsns.items() if k[1] > verified[k[0]]}
                else:
                    verified = [verify(db, hists[0], floors[0])]
            except AssertionError as e:
                raise AssertionError("%s\n%s\nundo log: %s" % (e, ctx, faultfs.describe(log, 30))) from None
            finally:
                db.close()
            floors = verified
        history.append((i, crash_after, run.opened, acked, str(rep), verified))
    print("powerloss_loop seed=%d profile=%s threads=%d sync=%s rounds=%d final batches=%r calls/run=%d" % (
        seed, profile, threads, sync, rounds, floors, calls_per_run))
    return (floors if threads else floors[0]), history


def test_power_loss_keeps_every_acknowledged_batch_and_no_partial_one(faultfs_so, engine, tmp_path, seed):
    final, history = powerloss_loop(faultfs_so, tmp_path, seed, "default", rounds=14)
    assert final > 0
    assert sum(1 for h in history if h[3]) >= 3, "most runs should acknowledge some batches"


def test_power_loss_during_checkpoints_and_splits(faultfs_so, engine, tmp_path, seed):
    ckpt_dir = tmp_path / "checkpoint"
    ckpt_dir.mkdir()
    powerloss_loop(faultfs_so, ckpt_dir, seed, "checkpoint", rounds=6)
    split_dir = tmp_path / "split"
    split_dir.mkdir()
    powerloss_loop(faultfs_so, split_dir, seed + 1, "split", rounds=6, batches_per_run=60)


def test_power_loss_with_concurrent_writers(faultfs_so, engine, tmp_path, seed):
    # (automatic checkpoints only: explicit checkpoint() calls from a writer thread are covered by
    # test_recovery_kill9's test_kill9_with_concurrent_writers_and_explicit_checkpoints)
    floors, _ = powerloss_loop(faultfs_so, tmp_path, seed, "default", rounds=8, threads=3)
    assert sum(floors) > 0


def test_power_loss_in_sync_normal_mode_still_leaves_an_exact_prefix(faultfs_so, engine, tmp_path, seed):
    powerloss_loop(faultfs_so, tmp_path, seed, "default", rounds=8, sync="normal")


def test_power_loss_while_keyspaces_are_dropped_and_created(faultfs_so, engine, tmp_path, seed):
    powerloss_loop(faultfs_so, tmp_path, seed, "churn", rounds=8)


def syncfail_loop(so, tmp_path, seed, profile, rounds, batches_per_run=25):
    """Each round: a writer whose Nth fsync/fdatasync fails (EIO or ENOSPC; sometimes every later one too)
    writes until it has seen a few errors, then exits without closing; a power loss follows, in which the
    writes that failed syncs covered are never durable. Acknowledged batches must survive (so the engine
    must not acknowledge a batch whose sync failed, nor count on a retried fsync), every write after the
    first failure must raise PoisonedError (D5), and the state must be an exact prefix."""
    from writer_proc import History, WriterRun, open_db, verify

    rng = random.Random(seed)
    db_dir = tmp_path / "db"
    log = tmp_path / "undo.log"
    hist = History(seed, profile)
    floor = 0
    syncs = None
    outcomes = []
    for i in range(rounds):
        faultfs.reset_log(log)
        fail_after = None if syncs is None else rng.randint(1, syncs)
        sticky = rng.random() < 0.4
        err = rng.choice([5, 28])                                   # EIO, ENOSPC
        env = faultfs.child_env(so, db_dir, log, fail_sync_after=fail_after, fail_sync_sticky=sticky,
                                fail_errno=err)
        run = WriterRun(db_dir, seed, profile, env=env, stderr_path=tmp_path / ("s%d.err" % i),
                        extra=("--max-batches", str(floor + batches_per_run), "--end", "exit",
                               "--on-error", "retry"))
        run.run_until(timeout=120)
        rc = run.finish()
        ctx = ("seed=%d profile=%s round=%d fail_sync_after=%r sticky=%r errno=%d floor=%d opened=%r "
               "acked=%r errors=%r rc=%r\nwriter stderr:\n%s"
               % (seed, profile, i, fail_after, sticky, err, floor, run.opened, run.acked, run.errors, rc,
                  run.stderr_tail()))
        failed_syncs = [r for r in faultfs.read_log(log) if r.type == faultfs.REC_SYNCFAIL]
        if not failed_syncs:                    # a run with no failure measures how many syncs a run makes
            syncs = max(5, faultfs.count_syncs(log))
        if run.opened is None:
            # the failure hit the open itself: it must have raised (not hung, not crashed)
            assert rc == 1 and "Error" in run.stderr_tail(), "open with a failing sync\n" + ctx
        else:
            assert rc == 0, "the writer failed\n" + ctx
            # Once a write raised PoisonedError, every later one raises it too and nothing is acknowledged
            # (D5). Before that, an OSError that poisons nothing is allowed (W6: a new WAL segment that
            # could not be prepared), and later writes may succeed.
            poisoned = False
            for line in run.lines:
                if line.startswith("error "):
                    name = line.split()[2]
                    assert not poisoned or name == "PoisonedError", "after PoisonedError: %s\n%s" % (
                        line, ctx)
                    poisoned = poisoned or name == "PoisonedError"
                    assert name in ("PoisonedError", "OSError", "EngineError"), "unexpected %s\n%s" % (
                        line, ctx)
                elif line.isdigit():
                    assert not poisoned, "batch %s acknowledged after PoisonedError\n%s" % (line, ctx)
            floor = max(floor, run.opened, run.acked or 0)
        rep = faultfs.apply_power_loss(log, random.Random(seed * 7919 + i), roots=[str(db_dir)])
        ctx += "\npower loss: %s" % rep
        try:
            db = open_db(db_dir, profile)
        except Exception as e:
            raise AssertionError("reopen failed: %r\n%s\nundo log: %s"
                                 % (e, ctx, faultfs.describe(log, 30))) from None
        try:
            floor = verify(db, hist, floor)
        except AssertionError as e:
            raise AssertionError("%s\n%s\nundo log: %s" % (e, ctx, faultfs.describe(log, 30))) from None
        finally:
            db.close()
        if failed_syncs and run.opened is not None and not run.errors:
            # A sync failed and no write reported it: only fine if nothing acknowledged depended on it,
            # which the power loss above has just checked. Note it for the report.
            print("note: failed sync %r raised no write error in round %d (acked %r)"
                  % (failed_syncs[0], i, run.acked))
        outcomes.append((fail_after, sticky, run.errors[:1], run.acked, run.opened, rc, len(failed_syncs)))
    firsts = collections.Counter(o[2][0][1] if o[2] else ("open failed" if o[4] is None else "none")
                                 for o in outcomes)
    print("syncfail_loop seed=%d profile=%s rounds=%d final batch=%d syncs/run=%d first error per round: %r"
          % (seed, profile, rounds, floor, syncs, dict(firsts)))
    return floor, outcomes


def test_failed_fsync_never_acknowledges_and_poisons(faultfs_so, engine, tmp_path, seed):
    final, outcomes = syncfail_loop(faultfs_so, tmp_path, seed, "default", rounds=10)
    assert sum(1 for o in outcomes if o[6]) >= 5, "most rounds should hit a failing sync: %r" % outcomes


@pytest.mark.slow
@pytest.mark.parametrize("profile", ["default", "checkpoint", "split", "big", "threads", "normal", "churn",
                                     "syncfail"])
def test_power_loss_stress(faultfs_so, engine, tmp_path, seed, profile):
    rounds = int(os.environ.get("PYDDB_STRESS_ROUNDS", "80"))
    if profile == "syncfail":
        syncfail_loop(faultfs_so, tmp_path, seed, "checkpoint", rounds=rounds)
    elif profile == "big":
        powerloss_loop(faultfs_so, tmp_path, seed, profile, rounds=max(8, rounds // 8), batches_per_run=6)
    elif profile == "threads":
        powerloss_loop(faultfs_so, tmp_path, seed, "checkpoint", rounds=rounds, threads=4, verify_every=0.4)
    elif profile == "normal":
        powerloss_loop(faultfs_so, tmp_path, seed, "split", rounds=rounds, sync="normal", verify_every=0.4)
    else:
        powerloss_loop(faultfs_so, tmp_path, seed, profile, rounds=rounds, verify_every=0.4)
