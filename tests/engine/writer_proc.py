"""The crash tests' writer subprocess, the history it writes, and the checks run on what survives.

The history is a pure function of (seed, profile): batch n (n = 1, 2, ...) is `batch_ops(seed, n, profile)`,
several puts and deletes across 2+ keyspaces, plus ("meta", b"progress", b"", b"<n>"), all in one
write_batch. So after any crash the database must hold exactly the state after batches 1..p, where p is the
value of the progress key, p is at least the last batch acknowledged, and `History.state(p)` recomputes it.

As a program (the parent kills it whenever it likes)::

    python writer_proc.py write DIR --seed S --profile P [--max-batches M] [--end close|exit|hang]
        opens Database(DIR, sync="full", **profile db options), creates the keyspaces it lacks, prints
        "open <p>" (p = the progress it recovered), then for n = p+1, p+2, ...: write_batch(batch n) and,
        after it returns, prints "<n>" (flushed): batch n is acknowledged.
    python writer_proc.py verify DIR --seed S --profile P [--floor F]
        opens DIR and prints one JSON line: {"status": "ok", "p": ...} when the state is exactly the state
        after the p batches (p >= F) and check() passes, {"status": "corruption", "where": ..., ...} when
        the engine raised CorruptionError, {"status": "wrong", ...} for anything else a reader could see.
    python writer_proc.py tryopen DIR
        prints the class and message of the exception Database(DIR) raises (or "opened").
"""
import argparse
import json
import os
import random
import selectors
import signal
import subprocess
import sys
import time
import traceback

KEYSPACES = ("a", "b", "c")
# The module whose Database is tested (a stand-in can be named here to test the harness itself).
ENGINE_MODULE = os.environ.get("PYDDB_CRASHTEST_ENGINE", "pyddb._engine.database")


def database_class():
    import importlib
    return importlib.import_module(ENGINE_MODULE).Database


def error_classes():
    """The engine's errors module (CorruptionError, PoisonedError, ...)."""
    import importlib
    mod = importlib.import_module(ENGINE_MODULE)
    return getattr(mod, "errors", None) or importlib.import_module("pyddb._engine.errors")

META = "meta"
PROGRESS = b"progress"

# Engine options and workload shape per profile. Sizes are small so that WAL segment rollover, checkpoints
# and partition splits happen every few batches.
PROFILES = {
    # general: segments roll, checkpoints every ~10 batches, splits now and then
    "default": dict(db=dict(page_size=4096, partition_max_bytes=192 << 10, wal_segment_bytes=32 << 10,
                            checkpoint_bytes=24 << 10),
                    npk=60, nsk=8, ops=(2, 6), vsize=(8, 900), pdel=0.25, ckpt_every=0),
    # a checkpoint (implicit or explicit) every batch or two
    "checkpoint": dict(db=dict(page_size=4096, partition_max_bytes=1 << 20, wal_segment_bytes=8 << 10,
                               checkpoint_bytes=3 << 10),
                       npk=60, nsk=8, ops=(2, 6), vsize=(8, 600), pdel=0.25, ckpt_every=3),
    # partitions split often: small limit, many distinct partition keys, larger values
    "split": dict(db=dict(page_size=4096, partition_max_bytes=20 << 10, wal_segment_bytes=32 << 10,
                          checkpoint_bytes=16 << 10),
                  npk=500, nsk=3, ops=(3, 8), vsize=(100, 2500), pdel=0.08, ckpt_every=0),
    # values near DynamoDB's 400 KB item limit (overflow chains)
    "big": dict(db=dict(page_size=4096, partition_max_bytes=4 << 20, wal_segment_bytes=1 << 20,
                        checkpoint_bytes=2 << 20),
                npk=5, nsk=2, ops=(2, 3), vsize=(380_000, 400_000), pdel=0.2, ckpt_every=0),
    # everything stays in the WAL (no checkpoint): for WAL corruption tests
    "wal": dict(db=dict(page_size=4096, partition_max_bytes=1 << 30, wal_segment_bytes=1 << 20,
                        checkpoint_bytes=1 << 30),
                npk=40, nsk=8, ops=(2, 5), vsize=(40, 400), pdel=0.2, ckpt_every=0),
    # keyspace "c" is dropped and created again before every 5th batch (catalog changes, file removal)
    "churn": dict(db=dict(page_size=4096, partition_max_bytes=64 << 10, wal_segment_bytes=16 << 10,
                          checkpoint_bytes=8 << 10),
                  npk=40, nsk=6, ops=(2, 6), vsize=(8, 900), pdel=0.2, ckpt_every=0, churn_every=5),
    # many small items per batch (10,000 items in a few hundred batches), all in the WAL
    "bulk": dict(db=dict(page_size=16384, partition_max_bytes=1 << 30, wal_segment_bytes=4 << 20,
                         checkpoint_bytes=1 << 30),
                 npk=40000, nsk=4, ops=(25, 25), vsize=(20, 120), pdel=0.0, ckpt_every=0),
}


CHURNED = "c"


def churns(profile, n):
    """Whether the writer drops and recreates keyspace CHURNED just before batch n."""
    every = PROFILES[profile].get("churn_every", 0)
    return bool(every) and n % every == 0


def progress_key(stream=None):
    return PROGRESS if stream is None else b"%s-%d" % (PROGRESS, stream)


def batch_ops(seed, n, profile, stream=None):
    """Batch n of the history (n >= 1): a list of (keyspace, pk, sk, value-or-None); the last op sets the
    progress key to n. Unique keys within a batch; the first two ops are in different keyspaces.

    With `stream` (concurrent writers, one history each), the partition keys start with b"s<stream>-" and
    the progress key is b"progress-<stream>", so streams never touch each other's keys."""
    prof = PROFILES[profile]
    rng = random.Random("%s/%s/%d" % (seed, profile, n) + ("" if stream is None else "/s%d" % stream))
    prefix = b"" if stream is None else b"s%d-" % stream
    count = rng.randint(*prof["ops"])
    first_two = rng.sample(KEYSPACES, 2)
    ops, seen = [], set()
    while len(ops) < count:
        ks = first_two[len(ops)] if len(ops) < 2 else rng.choice(KEYSPACES)
        pk = prefix + b"pk%05d" % rng.randrange(prof["npk"])
        sk = b"" if rng.random() < 0.1 else b"sk%03d" % rng.randrange(prof["nsk"])
        if (ks, pk, sk) in seen:
            continue
        seen.add((ks, pk, sk))
        if rng.random() < prof["pdel"]:
            ops.append((ks, pk, sk, None))
        else:
            size = rng.randint(*prof["vsize"])
            tag = b"%d.%d:" % (n, len(ops))
            ops.append((ks, pk, sk, tag + rng.randbytes(max(0, size - len(tag)))))
    ops.append((META, progress_key(stream), b"", b"%d" % n))
    return ops


class History:
    """The states the history passes through: state(k) = the contents after batches 1..k."""

    def __init__(self, seed, profile, stream=None):
        self.seed, self.profile, self.stream = seed, profile, stream
        self._k = 0
        self._state = {}
        self._keys = {}

    def ops(self, n):
        return batch_ops(self.seed, n, self.profile, self.stream)

    def owns(self, key):
        """Whether this stream's history writes the (keyspace, pk, sk) key."""
        ks, pk, _sk = key
        if self.stream is None:
            return True
        if ks == META:
            return pk == progress_key(self.stream)
        return pk.startswith(b"s%d-" % self.stream)

    def keys(self, n):
        """The (keyspace, pk, sk) keys batch n writes (cached)."""
        if n not in self._keys:
            self._keys[n] = [(o[0], o[1], o[2]) for o in self.ops(n)]
        return self._keys[n]

    def state(self, k):
        """{(keyspace, pk, sk): value} after batches 1..k (the same dict object is reused: do not modify)."""
        if k < self._k:
            self._k, self._state = 0, {}
        while self._k < k:
            self._k += 1
            if churns(self.profile, self._k):
                for key in [key for key in self._state if key[0] == CHURNED]:
                    del self._state[key]
            for ks, pk, sk, v in self.ops(self._k):
                if v is None:
                    self._state.pop((ks, pk, sk), None)
                else:
                    self._state[(ks, pk, sk)] = v
        return self._state


# ---- checking what survived --------------------------------------------------------------------------------

class WrongState(AssertionError):
    """The database shows something no prefix of the history explains."""


def read_state(db):
    """{(keyspace, pk, sk): value} from full scans; also checks that scan order is (hash64(pk), pk, sk)."""
    out = {}
    for ks in db.keyspaces():
        prev = None
        for pk, sk, v in db.scan(ks):
            key = (db.hash64(pk), pk, sk)
            if prev is not None and not prev < key:
                raise WrongState("scan of %r out of order: %r after %r" % (ks, key, prev))
            prev = key
            out[(ks, pk, sk)] = v
    return out


def _short(v):
    if v is None:
        return None
    return v[:16] + (b"...(%d bytes)" % len(v) if len(v) > 16 else b"")


def explain_mismatch(actual, hist, p, floor):
    """A message naming the differing keys, and which prefixes (if any) the actual state equals."""
    expected = hist.state(p)
    keys = sorted(set(actual) | set(expected), key=repr)
    diffs = [(k, _short(expected.get(k)), _short(actual.get(k)))
             for k in keys if actual.get(k) != expected.get(k)]
    lines = ["state differs from the state after batch %d (progress key) in %d keys:" % (p, len(diffs))]
    lines += ["  %r: expected %r, found %r" % d for d in diffs[:12]]
    matches = []
    for k in range(max(0, min(floor, p) - 3), p + 4):
        if hist.state(k) == actual:
            matches.append(k)
    lines.append("prefixes equal to the actual state: %r (floor %d)" % (matches, floor))
    for k in range(max(1, p - 1), p + 3):
        lines.append("  batch %d ops: %r" % (k, [(o[0], o[1], o[2], _short(o[3])) for o in hist.ops(k)]))
    hist.state(p)
    return "\n".join(lines)


def progress(db, stream=None):
    if not db.has_keyspace(META):
        return 0
    raw = db.get(META, progress_key(stream))
    return int(raw) if raw is not None else 0


def verify(db, hist, floor=0, run_check=True):
    """Assert the database holds exactly the state after some prefix p >= floor of the history; return p.

    Reads both ways (full scans, and get() of every key the history ever wrote up to p + 2) and runs
    db.check(). Raises WrongState with a description otherwise."""
    p = progress(db, hist.stream)
    actual = read_state(db)
    if hist.stream is not None:
        actual = {k: v for k, v in actual.items() if hist.owns(k)}
    expected = hist.state(p)
    # Between "drop keyspace c" and batch p+1 (profile churn) the state is state(p) without c's items.
    mid_churn = churns(hist.profile, p + 1) and actual != expected and actual == {
        k: v for k, v in expected.items() if k[0] != CHURNED}
    if p > 0:
        missing = [ks for ks in KEYSPACES + (META,) if not db.has_keyspace(ks)]
        if missing and not (mid_churn and missing == [CHURNED]):
            raise WrongState("progress is %d but keyspaces %r are missing" % (p, missing))
    if actual != expected and not mid_churn:
        raise WrongState(explain_mismatch(actual, hist, p, floor))
    if p < floor:
        raise WrongState("the database is at batch %d%s, but batch %d was acknowledged (or seen) before: "
                         "acknowledged data was lost" % (
                             p, "" if hist.stream is None else " of stream %d" % hist.stream, floor))
    touched = set()
    for n in range(1, p + 3):
        touched.update(hist.keys(n))
    expected = hist.state(p)
    if mid_churn:
        expected = {k: v for k, v in expected.items() if k[0] != CHURNED}
    for ks, pk, sk in touched:
        got = db.get(ks, pk, sk) if db.has_keyspace(ks) else None
        if got != expected.get((ks, pk, sk)):
            raise WrongState("get(%r, %r, %r) = %r but scan/prefix %d says %r" % (
                ks, pk, sk, _short(got), p, _short(expected.get((ks, pk, sk)))))
    if run_check:
        db.check()
    return p


def verify_streams(db, hists, floors, acked_lsns=None, run_check=True):
    """verify() for concurrent writers: each stream's keys hold exactly a prefix >= its floor. With
    acked_lsns {(stream, n): lsn}, also: the recovered batches form a prefix of the commit (LSN) order,
    i.e. if a stream's last recovered batch had LSN L, every batch acknowledged with an LSN below L is
    present. Returns the tuple of per-stream progress."""
    ps = tuple(verify(db, h, f, run_check=False) for h, f in zip(hists, floors))
    if acked_lsns:
        top = max((acked_lsns.get((t, p), 0) for t, p in enumerate(ps)), default=0)
        lost = sorted((lsn, t, n) for (t, n), lsn in acked_lsns.items() if lsn < top and ps[t] < n)
        if lost:
            raise WrongState("not a prefix of the commit order: batch(es) %r (lsn, stream, n) are missing "
                             "although a batch with LSN %d is present; progress %r" % (lost[:5], top, ps))
    if run_check:
        db.check()
    return ps


# ---- the parent's side: running a writer and killing it ----------------------------------------------------

WRITER = os.path.abspath(__file__)


LIVE = set()     # writer subprocesses not yet reaped (killed by kill_stray_writers after each test)


def kill_stray_writers():
    """SIGKILL and reap every writer still running (a test that failed or timed out midway)."""
    for run in list(LIVE):
        try:
            run.kill()
        except Exception:                   # noqa: BLE001 - best effort cleanup
            LIVE.discard(run)


class WriterStalled(AssertionError):
    """The writer stopped making progress without dying."""


class WriterRun:
    """One writer subprocess: what it printed before it died."""

    def __init__(self, db_dir, seed, profile, extra=(), env=None, stderr_path=None):
        self.cmd = [sys.executable, WRITER, "write", str(db_dir), "--seed", str(seed), "--profile", profile,
                    *extra]
        self.stderr_path = stderr_path
        self._err = open(stderr_path, "wb") if stderr_path else subprocess.DEVNULL
        self.stream_mode = "--threads" in extra
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=self._err, env=env)
        LIVE.add(self)
        self.opened = None        # progress the writer recovered at open (a tuple with --threads)
        self.acked = None         # highest batch acknowledged
        self.acks = 0             # batches acknowledged by this run
        self.stream_acked = {}    # --threads: stream -> highest batch acknowledged
        self.acked_lsns = {}      # --threads: (stream, n) -> LSN that write_batch returned
        self.errors = []          # --on-error retry: [(n, exception class name)]
        self.lines = []
        self._buf = b""
        self.rc = None

    def _feed(self, data):
        self._buf += data
        while b"\n" in self._buf:
            line, self._buf = self._buf.split(b"\n", 1)
            line = line.decode()
            self.lines.append(line)
            if line.startswith("open "):
                arg = line.split()[1]
                if self.stream_mode:
                    self.opened = tuple(int(x) for x in arg.split(","))
                else:
                    self.opened = int(arg)
            elif line.isdigit():
                self.acked = int(line)
                self.acks += 1
            elif line.startswith("error "):
                self.errors.append((int(line.split()[1]), line.split()[2]))
            elif line.startswith("ack "):
                t, n, lsn = (int(x) for x in line.split()[1:])
                self.stream_acked[t] = max(self.stream_acked.get(t, 0), n)
                self.acked_lsns[(t, n)] = lsn
                self.acks += 1

    def run_until(self, max_acks=None, max_seconds=None, timeout=120.0, stall=15.0):
        """Read the writer's output until it has acknowledged `max_acks` batches in this run, or `max_seconds`
        passed, or it exits. A writer that prints nothing for `stall` seconds while we wait for it (or is not
        done after `timeout`) is stuck: its threads' stacks are dumped (SIGUSR1, faulthandler), it is
        killed, and WriterStalled is raised with the dump."""
        sel = selectors.DefaultSelector()
        fd = self.proc.stdout.fileno()
        sel.register(fd, selectors.EVENT_READ)
        t0 = last = time.monotonic()
        limit = timeout if max_seconds is None else max_seconds
        try:
            while True:
                if max_acks is not None and self.acks >= max_acks:
                    return
                now = time.monotonic()
                if now - t0 >= limit:
                    if max_seconds is None:
                        self._stalled("not done after %.0f s" % timeout)
                    return
                if max_seconds is None and now - last >= stall:
                    self._stalled("no output for %.0f s" % stall)
                if sel.select(timeout=min(limit - (now - t0), 0.05)):
                    data = os.read(fd, 65536)
                    if not data:
                        return                    # writer exited (or closed stdout)
                    self._feed(data)
                    last = time.monotonic()
        finally:
            sel.close()

    def _stalled(self, why):
        if self.proc.poll() is None and hasattr(signal, "SIGUSR1"):
            os.kill(self.proc.pid, signal.SIGUSR1)        # faulthandler: all threads' stacks to stderr
            time.sleep(0.5)
        self.kill()
        raise WriterStalled("writer stalled (%s; deadlock?) after %d acks in this run, last lines %r\n"
                            "command: %s\nstderr:\n%s" % (why, self.acks, self.lines[-3:], " ".join(self.cmd),
                                                           self.stderr_tail(6000)))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()                              # SIGKILL (TerminateProcess on Windows)
        self.finish()

    def finish(self, timeout=60):
        if self.proc.stdout.closed:
            return self.rc
        self.rc = self.proc.wait(timeout=timeout)
        LIVE.discard(self)
        rest = self.proc.stdout.read()
        if rest:
            self._feed(rest)
        self.proc.stdout.close()
        if self._err is not subprocess.DEVNULL:
            self._err.close()
        return self.rc

    def stderr_tail(self, n=3000):
        if not self.stderr_path or not os.path.exists(self.stderr_path):
            return ""
        return open(self.stderr_path, "rb").read()[-n:].decode(errors="replace")


def open_db(db_dir, profile):
    return database_class()(str(db_dir), **PROFILES[profile]["db"])


def kill_loop(tmp_path, seed, profile, kills, verify_every=0.5, max_acks=(1, 30), early_kill=0.25, threads=0):
    """`kills` writer runs on one directory, each SIGKILLed at a random moment; returns (final progress,
    log of rounds). See the module docstring for what is asserted. With threads=T the writer runs T
    concurrent writers (group commit), each with its own stream of batches (verify_streams)."""
    if threads:
        return _kill_loop_streams(tmp_path, seed, profile, kills, verify_every, max_acks, early_kill, threads)
    rng = random.Random(seed)
    db_dir = tmp_path / "db"
    hist = History(seed, profile)
    floor = 0
    rounds = []
    t_start = time.monotonic()
    for i in range(kills):
        run = WriterRun(db_dir, seed, profile, stderr_path=tmp_path / ("writer-%d.err" % i))
        if rng.random() < early_kill:
            plan = ("seconds", round(rng.uniform(0.0, 0.3), 3))     # often during import, open or recovery
            run.run_until(max_seconds=plan[1])
        else:
            plan = ("acks", rng.randint(*max_acks), round(rng.uniform(0, 0.004), 4))
            run.run_until(max_acks=plan[1])
            time.sleep(plan[2])                                       # land somewhere inside the next batch
        run.kill()
        ctx = ("seed=%d profile=%s round=%d plan=%r floor=%d run: opened=%r acked=%r rc=%r\n"
               "writer stderr:\n%s" % (seed, profile, i, plan, floor, run.opened, run.acked, run.rc,
                                        run.stderr_tail()))
        assert run.rc == -signal.SIGKILL, "writer did not die by our SIGKILL\n" + ctx
        if run.opened is not None:
            assert run.opened >= floor, "recovery went backwards\n" + ctx
            floor = max(floor, run.opened)
        if run.acked is not None:
            floor = max(floor, run.acked)
        verified = None
        if rng.random() < verify_every or i == kills - 1:
            db = open_db(db_dir, profile)
            try:
                verified = verify(db, hist, floor)
            except AssertionError as e:
                raise AssertionError("%s\n%s" % (e, ctx)) from None
            finally:
                db.close()
            floor = verified
        rounds.append((i, plan, run.opened, run.acked, verified))
    elapsed = time.monotonic() - t_start
    print("kill_loop seed=%d profile=%s kills=%d final batch=%d in %.1fs"
          % (seed, profile, kills, floor, elapsed))
    return floor, rounds


def _kill_loop_streams(tmp_path, seed, profile, kills, verify_every, max_acks, early_kill, threads):
    rng = random.Random(seed)
    db_dir = tmp_path / "db"
    hists = [History(seed, profile, t) for t in range(threads)]
    floors = [0] * threads
    acked_lsns = {}
    t_start = time.monotonic()
    for i in range(kills):
        run = WriterRun(db_dir, seed, profile, extra=("--threads", str(threads)),
                        stderr_path=tmp_path / ("writer-%d.err" % i))
        if rng.random() < early_kill:
            plan = ("seconds", round(rng.uniform(0.0, 0.3), 3))
            run.run_until(max_seconds=plan[1])
        else:
            plan = ("acks", rng.randint(*max_acks) * threads, round(rng.uniform(0, 0.004), 4))
            run.run_until(max_acks=plan[1])
            time.sleep(plan[2])
        run.kill()
        ctx = ("seed=%d profile=%s threads=%d round=%d plan=%r floors=%r run: opened=%r acked=%r rc=%r\n"
               "writer stderr:\n%s" % (seed, profile, threads, i, plan, floors, run.opened, run.stream_acked,
                                        run.rc, run.stderr_tail()))
        assert run.rc == -signal.SIGKILL, "writer did not die by our SIGKILL\n" + ctx
        if run.opened is not None:
            assert all(o >= f for o, f in zip(run.opened, floors)), "recovery went backwards\n" + ctx
            floors = [max(o, f) for o, f in zip(run.opened, floors)]
        for t, n in run.stream_acked.items():
            floors[t] = max(floors[t], n)
        acked_lsns.update(run.acked_lsns)
        if rng.random() < verify_every or i == kills - 1:
            db = open_db(db_dir, profile)
            try:
                floors = list(verify_streams(db, hists, floors, acked_lsns))
            except AssertionError as e:
                raise AssertionError("%s\n%s" % (e, ctx)) from None
            finally:
                db.close()
            acked_lsns = {k: v for k, v in acked_lsns.items() if k[1] > floors[k[0]]}
    print("kill_loop seed=%d profile=%s threads=%d kills=%d final batches=%r in %.1fs"
          % (seed, profile, threads, kills, floors, time.monotonic() - t_start))
    return floors


# ---- the program -------------------------------------------------------------------------------------------

def _out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def cmd_write(a):
    if hasattr(signal, "SIGUSR1"):
        import faulthandler
        faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 <pid>`: where is it stuck?
    Database = database_class()
    prof = PROFILES[a.profile]
    db = Database(a.dir, sync=a.sync, **prof["db"])
    for ks in KEYSPACES + (META,):
        if not db.has_keyspace(ks):
            db.create_keyspace(ks)
    if a.threads:
        return _write_streams(db, a)
    p = progress(db)
    _out("open %d" % p)
    n = p + 1
    every = prof["ckpt_every"]
    failures = 0
    acked = False                                # batch n acknowledged, its checkpoint still to do
    while n <= a.max_batches:
        try:
            if not acked:
                if churns(a.profile, n):
                    if db.has_keyspace(CHURNED):
                        db.drop_keyspace(CHURNED)
                    db.create_keyspace(CHURNED)
                db.write_batch(batch_ops(a.seed, n, a.profile))
                _out("%d" % n)
                acked = True
            if every and n % every == 0:
                db.checkpoint()
        except Exception as e:                   # noqa: BLE001
            if a.on_error != "retry":
                raise
            # --on-error retry: report and try again (batch n again if it was not acknowledged: puts are
            # idempotent; else the checkpoint)
            _out("error %d %s" % (n, type(e).__name__))
            failures += 1
            if failures >= a.max_errors:
                break
            continue
        n += 1
        acked = False
    _finish(db, a)


def _write_streams(db, a):
    """--threads T: T threads, each writing its own stream of batches; prints "ack <stream> <n> <lsn>"."""
    import threading

    lock = threading.Lock()
    ps = [progress(db, t) for t in range(a.threads)]
    _out("open %s" % ",".join(str(p) for p in ps))
    every = PROFILES[a.profile]["ckpt_every"]

    def worker(t):
        try:
            n = ps[t] + 1
            while n <= a.max_batches:
                lsn = db.write_batch(batch_ops(a.seed, n, a.profile, t))
                with lock:
                    _out("ack %d %d %d" % (t, n, lsn))
                if t == 0 and every and n % every == 0:
                    db.checkpoint()
                n += 1
        except BaseException:
            traceback.print_exc()
            sys.stderr.flush()
            os._exit(3)

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(a.threads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    _finish(db, a)


def _finish(db, a):
    if a.end == "close":
        db.close()
        _out("closed")
    elif a.end == "exit":
        _out("exiting")
        os._exit(0)                          # no close, no checkpoint: a crash as far as the files know
    else:
        _out("hanging")
        while True:
            time.sleep(60)


def verify_dir(path, seed, profile, floor=0, db_options=None):
    """Open `path` and classify it: ("ok", p) / ("corruption", where, message) / ("wrong", message)."""
    Database = database_class()
    CorruptionError = error_classes().CorruptionError
    opts = dict(PROFILES[profile]["db"]) if db_options is None else db_options
    hist = History(seed, profile)
    where = "open"
    try:
        db = Database(path, **opts)
        try:
            where = "read"
            p = verify(db, hist, floor, run_check=False)
            where = "check"
            counts = db.check()
        finally:
            db.close()
    except CorruptionError as e:
        return {"status": "corruption", "where": where, "msg": str(e)}
    except WrongState as e:
        return {"status": "wrong", "msg": str(e)}
    return {"status": "ok", "p": p, "check": counts if isinstance(counts, dict) else None}


def cmd_verify(a):
    try:
        res = verify_dir(a.dir, a.seed, a.profile, a.floor)
    except Exception:
        res = {"status": "error", "msg": traceback.format_exc()}
    _out(json.dumps(res, default=repr))


def cmd_tryopen(a):
    Database = database_class()

    try:
        db = Database(a.dir)
    except Exception as e:
        _out(json.dumps({"exception": type(e).__name__, "msg": str(e)}))
        return
    db.close()
    _out(json.dumps({"exception": None}))


def main(argv=None):
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write")
    w.add_argument("dir")
    w.add_argument("--seed", type=int, required=True)
    w.add_argument("--profile", default="default", choices=sorted(PROFILES))
    w.add_argument("--max-batches", type=int, default=10 ** 9)
    w.add_argument("--end", default="close", choices=("close", "exit", "hang"))
    w.add_argument("--sync", default="full")
    w.add_argument("--threads", type=int, default=0, help="concurrent writers, one stream of batches each")
    w.add_argument("--on-error", default="raise", choices=("raise", "retry"),
                   help="retry: print 'error <n> <exception class>' and write batch n again")
    w.add_argument("--max-errors", type=int, default=4)
    v = sub.add_parser("verify")
    v.add_argument("dir")
    v.add_argument("--seed", type=int, required=True)
    v.add_argument("--profile", default="default", choices=sorted(PROFILES))
    v.add_argument("--floor", type=int, default=0)
    t = sub.add_parser("tryopen")
    t.add_argument("dir")
    a = ap.parse_args(argv)
    {"write": cmd_write, "verify": cmd_verify, "tryopen": cmd_tryopen}[a.cmd](a)


if __name__ == "__main__":
    main()
