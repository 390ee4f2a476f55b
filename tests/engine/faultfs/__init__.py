"""faultfs: simulate a power loss under a process, with an LD_PRELOAD interposer and its undo log.

How a power-loss test uses it::

    so = faultfs.build()                                   # or pytest.skip(faultfs.unsupported_reason())
    env = faultfs.child_env(so, db_dir, log_path, crash_after=N)
    subprocess.run([...], env=env)                         # the child kills itself at the Nth tracked call
    report = faultfs.apply_power_loss(log_path, random.Random(seed))
    # db_dir now holds what a disk could hold after the power went out: every write that was fsync'ed
    # (fdatasync'ed, msync'ed) is there; each one that was not is kept, dropped, or torn at 512-byte sectors;
    # creations, renames and unlinks whose directory was not fsync'ed afterwards may be undone.

The interposer (interposer.c) documents the log format; this module builds it with the system C compiler
into a cache directory (keyed by the source's hash, so concurrent test workers share one build) and replays
the log.
"""
from __future__ import annotations

import bisect
import dataclasses
import hashlib
import os
import shutil
import struct
import subprocess
import sys
import sysconfig
import tempfile

SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "interposer.c")
SECTOR = 512
_BIG = 1 << 62

REC_WRITE, REC_TRUNC, REC_SYNC, REC_DIRSYNC, REC_CREATE, REC_RENAME, REC_UNLINK, REC_MKDIR, REC_RMDIR, \
    REC_GSYNC, REC_SYNCFAIL = range(1, 12)
F_SYNCWRITE, F_DIR = 1, 2
_MAGIC, _TRAILER = 0x31534646, 0x21444E45
_HDR = struct.Struct("<IIBBHQQQqqqIII")          # 72 bytes, see interposer.c LOG RECORD
assert _HDR.size == 72

_TYPE_NAMES = {REC_WRITE: "WRITE", REC_TRUNC: "TRUNC", REC_SYNC: "SYNC", REC_DIRSYNC: "DIRSYNC",
               REC_CREATE: "CREATE", REC_RENAME: "RENAME", REC_UNLINK: "UNLINK", REC_MKDIR: "MKDIR",
               REC_RMDIR: "RMDIR", REC_GSYNC: "GSYNC", REC_SYNCFAIL: "SYNCFAIL"}


class BuildError(RuntimeError):
    pass


# ---- building ---------------------------------------------------------------------------------------------

def _compiler():
    for name in (os.environ.get("CC"), sysconfig.get_config_var("CC"), "cc", "gcc", "clang"):
        if not name:
            continue
        exe = shutil.which(name.split()[0])
        if exe:
            return exe
    return None


def unsupported_reason():
    """None if the interposer can be used here, else why not (for pytest.skip)."""
    if not sys.platform.startswith("linux"):
        return "faultfs needs Linux (LD_PRELOAD and /proc/self/fd); this is %s" % sys.platform
    if _compiler() is None:
        return "faultfs needs a C compiler (cc/gcc/clang) to build the LD_PRELOAD interposer"
    try:
        build()
    except BuildError as e:
        return "faultfs interposer failed to build: %s" % e
    return None


def cache_dir():
    d = os.environ.get("PYDDB_FAULTFS_CACHE") or os.path.join(tempfile.gettempdir(),
                                                               "pyddb-faultfs-%d" % os.getuid())
    os.makedirs(d, exist_ok=True)
    return d


_built = None


def build():
    """Compile interposer.c (once per source version) and return the path of the shared library."""
    global _built
    if _built and os.path.exists(_built):
        return _built
    cc = _compiler()
    if cc is None:
        raise BuildError("no C compiler found")
    src = open(SOURCE, "rb").read()
    tag = hashlib.sha256(src + cc.encode()).hexdigest()[:16]
    out = os.path.join(cache_dir(), "faultfs-%s.so" % tag)
    if not os.path.exists(out):
        tmp = "%s.%d.tmp" % (out, os.getpid())
        cmd = [cc, "-shared", "-fPIC", "-O2", "-Wall", "-Wno-format-truncation", "-o", tmp, SOURCE,
               "-ldl", "-lpthread"]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise BuildError("%s\n%s" % (" ".join(cmd), r.stderr[-4000:]))
        os.replace(tmp, out)                  # atomic: concurrent builders agree on the result
    _built = out
    return out


def child_env(so_path, db_dir, log_path, crash_after=None, crash_when="before", crash_prob=None,
              crash_seed=None, fail_sync_after=None, fail_sync_sticky=False, fail_errno=None, base=None):
    """The environment for a child process run under the interposer (see interposer.c for the knobs)."""
    env = dict(os.environ if base is None else base)
    pre = env.get("LD_PRELOAD")
    env["LD_PRELOAD"] = so_path + (":" + pre if pre else "")
    env["PYDDB_FAULTFS_DIR"] = str(db_dir)
    env["PYDDB_FAULTFS_LOG"] = str(log_path)
    env["PYDDB_FAULTFS_STASH"] = str(log_path) + ".stash"
    for k in ("PYDDB_CRASH_AFTER", "PYDDB_CRASH_WHEN", "PYDDB_CRASH_PROB", "PYDDB_CRASH_SEED",
              "PYDDB_FAIL_SYNC_AFTER", "PYDDB_FAIL_SYNC_STICKY", "PYDDB_FAIL_ERRNO"):
        env.pop(k, None)
    if fail_sync_after:
        env["PYDDB_FAIL_SYNC_AFTER"] = str(int(fail_sync_after))
        env["PYDDB_FAIL_SYNC_STICKY"] = "1" if fail_sync_sticky else "0"
        if fail_errno:
            env["PYDDB_FAIL_ERRNO"] = str(int(fail_errno))
    if crash_after:
        env["PYDDB_CRASH_AFTER"] = str(int(crash_after))
        env["PYDDB_CRASH_WHEN"] = crash_when
    if crash_prob:
        env["PYDDB_CRASH_PROB"] = repr(float(crash_prob))
        env["PYDDB_CRASH_SEED"] = str(int(crash_seed or 0))
        env["PYDDB_CRASH_WHEN"] = crash_when
    return env


def reset_log(log_path):
    """Remove a previous run's log and stash (do this before each interposed run)."""
    for p in (str(log_path),):
        if os.path.exists(p):
            os.unlink(p)
    shutil.rmtree(str(log_path) + ".stash", ignore_errors=True)


# ---- reading the log --------------------------------------------------------------------------------------

@dataclasses.dataclass
class Record:
    type: int
    flags: int
    seq: int
    dev: int
    ino: int
    a: int
    b: int
    c: int
    path1: str
    path2: str
    data: bytes

    def __repr__(self):
        return "<%s seq=%d flags=%d ino=%d a=%d b=%d c=%d %s%s data=%dB>" % (
            _TYPE_NAMES.get(self.type, self.type), self.seq, self.flags, self.ino, self.a, self.b, self.c,
            self.path1,
            (" -> " + self.path2) if self.path2 else "", len(self.data))


def read_log(log_path):
    """All complete records of the log, in log order. A record cut short by a kill is dropped (its change was
    never made: the interposer writes each record before making the change)."""
    try:
        buf = open(log_path, "rb").read()
    except FileNotFoundError:
        return []
    out = []
    pos = 0
    while pos + _HDR.size + 4 <= len(buf):
        (magic, total, typ, flags, _r, seq, dev, ino, a, b, c, l1, l2, l3) = _HDR.unpack_from(buf, pos)
        if magic != _MAGIC or total < _HDR.size + 4 or pos + total > len(buf):
            break
        if (struct.unpack_from("<I", buf, pos + total - 4)[0] != _TRAILER
                or _HDR.size + l1 + l2 + l3 + 4 != total):
            break
        q = pos + _HDR.size
        p1 = buf[q:q + l1].decode("utf-8", "surrogateescape")
        q += l1
        p2 = buf[q:q + l2].decode("utf-8", "surrogateescape")
        q += l2
        out.append(Record(typ, flags, seq, dev, ino, a, b, c, p1, p2, bytes(buf[q:q + l3])))
        pos += total
    return out


def count_tracked_calls(log_path):
    """Number of records that correspond to a tracked call (an upper bound for a useful PYDDB_CRASH_AFTER)."""
    return sum(1 for r in read_log(log_path) if r.type not in (REC_GSYNC, REC_SYNCFAIL))


def count_syncs(log_path):
    """Number of tracked sync calls in a log (successful or failed)."""
    return sum(1 for r in read_log(log_path) if r.type in (REC_SYNC, REC_DIRSYNC, REC_SYNCFAIL))


# ---- applying a power loss --------------------------------------------------------------------------------

@dataclasses.dataclass
class Report:
    records: int = 0
    durable: int = 0
    kept: int = 0
    dropped: int = 0
    torn: int = 0
    infeasible: int = 0
    notes: list = dataclasses.field(default_factory=list)

    def __str__(self):
        return "records=%d durable=%d kept=%d dropped=%d torn=%d infeasible=%d" % (
            self.records, self.durable, self.kept, self.dropped, self.torn, self.infeasible)


def _merge(ranges):
    """Sorted, disjoint (lo, hi) tuples covering the same bytes as `ranges`."""
    out = []
    for lo, hi in sorted(tuple(x) for x in ranges):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _subtract(lo, hi, ranges):
    """Parts of [lo, hi) not covered by the (merged) ranges."""
    parts = []
    cur = lo
    for a, b in ranges:
        if b <= cur or a >= hi:
            continue
        if a > cur:
            parts.append((cur, min(a, hi)))
        cur = max(cur, b)
        if cur >= hi:
            break
    if cur < hi:
        parts.append((cur, hi))
    return parts


class _Events:
    """The sync events of one file or directory, to answer: is the first event (in log order) whose seq
    limit covers seq s a success? (A write covered first by a failed sync is never durable: Linux may have
    dropped it, and a later successful fsync does not bring it back.)"""

    def __init__(self):
        self._raw = []           # (limit, record seq, ok)
        self._limits = None

    def add(self, limit, rec_seq, ok):
        self._raw.append((limit, rec_seq, ok))
        self._limits = None

    def _build(self):
        ev = sorted(self._raw)
        self._limits = [e[0] for e in ev]
        inf = float("inf")
        self._min_ok = [inf] * (len(ev) + 1)      # suffix minimum of record seq over successes
        self._min_fail = [inf] * (len(ev) + 1)
        for i in range(len(ev) - 1, -1, -1):
            limit, rec_seq, ok = ev[i]
            self._min_ok[i] = min(self._min_ok[i + 1], rec_seq if ok else inf)
            self._min_fail[i] = min(self._min_fail[i + 1], inf if ok else rec_seq)

    def first_covering(self, s):
        """(record seq of the first successful event covering s, of the first failed one); inf if none."""
        if self._limits is None:
            self._build()
        i = bisect.bisect_right(self._limits, s)
        return self._min_ok[i], self._min_fail[i]

    def durable(self, s):
        ok, fail = self.first_covering(s)
        return ok < fail


class _Durability:
    """Which records a crash cannot undo (see the SYNC/DIRSYNC/GSYNC/SYNCFAIL semantics in interposer.c)."""

    def __init__(self, recs):
        self.files = {}          # (dev, ino) -> _Events of whole-file syncs
        self.ranged = {}         # (dev, ino) -> [(limit, record seq, start, end)] of msync(MS_SYNC)
        self.dirs = {}           # dir path -> _Events of directory fsyncs
        self.glob = 0            # highest seq limit of sync()/syncfs()
        for r in recs:
            if r.type == REC_SYNC:
                key = (r.dev, r.ino)
                if r.b == -1:
                    self.files.setdefault(key, _Events()).add(r.c, r.seq, True)
                else:
                    self.ranged.setdefault(key, []).append((r.c, r.seq, r.a, r.b))
            elif r.type == REC_DIRSYNC:
                self.dirs.setdefault(r.path1, _Events()).add(r.c, r.seq, True)
            elif r.type == REC_SYNCFAIL:
                if r.flags & F_DIR:
                    self.dirs.setdefault(r.path1, _Events()).add(r.c, r.seq, False)
                else:
                    self.files.setdefault((r.dev, r.ino), _Events()).add(r.c, r.seq, False)
            elif r.type == REC_GSYNC:
                self.glob = max(self.glob, r.c)
        self.failed_syncs = sum(1 for r in recs if r.type == REC_SYNCFAIL)

    def data_durable(self, r):
        """(fully durable?, merged list of durable byte ranges) of a WRITE/TRUNC record."""
        ev = self.files.get((r.dev, r.ino))
        first_ok, first_fail = ev.first_covering(r.seq) if ev else (float("inf"), float("inf"))
        if first_ok < first_fail or r.seq < self.glob:
            return True, []
        if r.type == REC_WRITE and r.flags & F_SYNCWRITE:
            return True, []
        if r.type != REC_WRITE:
            return False, []
        rs = _merge([(a, b) for (lim, rec_seq, a, b) in self.ranged.get((r.dev, r.ino), ())
                     if r.seq < lim and rec_seq < first_fail])
        lo, hi = r.a, r.a + r.b
        if not _subtract(lo, hi, rs):
            return True, rs
        return False, rs

    def name_durable(self, r, strict_dirs):
        if not strict_dirs or r.seq < self.glob:
            return True
        paths = [r.path1] + ([r.path2] if r.type == REC_RENAME else [])
        return all(os.path.dirname(p) in self.dirs and self.dirs[os.path.dirname(p)].durable(r.seq)
                   for p in paths)


def _locate(dev, ino, hint, roots):
    """Current path of the file with this (dev, ino), or None."""
    try:
        st = os.lstat(hint)
        if st.st_ino == ino and st.st_dev == dev:
            return hint
    except OSError:
        pass
    for root in roots:
        for d, _dirs, files in os.walk(root):
            for f in files:
                p = os.path.join(d, f)
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                if st.st_ino == ino and st.st_dev == dev:
                    return p
    return None


def _restore(fd, lo, hi, r, durable_rs):
    """Put back the bytes [lo, hi) of WRITE record r as they were before it, except protected ranges."""
    off, old_size, old = r.a, r.c, r.data
    for a, b in _subtract(lo, hi, durable_rs):
        chunk = bytearray(b - a)
        if a < old_size:
            keep = min(b, old_size)
            chunk[:keep - a] = old[a - off:keep - off]
        os.pwrite(fd, bytes(chunk), a)


def apply_power_loss(log_path, rng, roots=None, p_keep=0.3, p_drop=0.4, strict_dirs=True):
    """Undo, newest first, what the power loss takes away. Each non-durable write is kept (p_keep), dropped
    (p_drop) or torn (otherwise: each 512-byte sector is kept or reverted by a coin flip); each non-durable
    truncate/size change and each non-durable create/rename/unlink/mkdir/rmdir is kept or undone (p_keep).
    `rng` is a random.Random; `roots` are the directories to search for a file that moved (default: the
    watched directory is found from the records, plus the stash)."""
    recs = read_log(log_path)
    rep = Report(records=len(recs))
    dur = _Durability(recs)
    stash = str(log_path) + ".stash"
    if roots is None:
        tops = set()
        for r in recs:
            for p in (r.path1, r.path2):
                if p:
                    tops.add(os.path.dirname(p))
        roots = sorted(tops, key=len)[:1]
    roots = list(roots) + [stash]
    # Bytes that newer records left on the "disk" (durable, kept, or kept sectors of a torn write): undoing an
    # older write must not put its old bytes back over them, nor cut the file below them.
    persisted = {}

    def survive(key, ranges):
        lst = persisted.setdefault(key, [])
        lst.extend(ranges)
        if len(lst) > 64:
            persisted[key] = _merge(lst)

    for r in reversed(recs):
        if r.type in (REC_SYNC, REC_DIRSYNC, REC_GSYNC, REC_SYNCFAIL):
            continue
        try:
            if r.type == REC_WRITE:
                key = (r.dev, r.ino)
                lo, hi = r.a, r.a + r.b
                full, rs = dur.data_durable(r)
                if full:
                    rep.durable += 1
                    survive(key, [(lo, hi)])
                    continue
                x = rng.random()
                if x < p_keep:
                    rep.kept += 1
                    survive(key, [(lo, hi)])
                    continue
                tear = x >= p_keep + p_drop
                path = _locate(r.dev, r.ino, r.path1, roots)
                if path is None:
                    rep.infeasible += 1
                    rep.notes.append("file gone: %r" % r)
                    continue
                protect = _merge(list(rs) + persisted.get(key, []))
                keep_end = max([e for (_s, e) in protect if e > r.c] + [r.c])
                kept = []
                fd = os.open(path, os.O_RDWR)
                try:
                    s = lo - lo % SECTOR
                    while s < hi:
                        a, b = max(s, lo), min(s + SECTOR, hi)
                        if tear and rng.random() < 0.5:
                            kept.append((a, b))
                            keep_end = max(keep_end, b)
                        else:
                            _restore(fd, a, b, r, protect)
                        s += SECTOR
                    if hi > r.c and os.fstat(fd).st_size > keep_end:    # the write grew the file
                        os.ftruncate(fd, keep_end)
                finally:
                    os.close(fd)
                survive(key, kept + list(rs))
                if tear:
                    rep.torn += 1
                else:
                    rep.dropped += 1
            elif r.type == REC_TRUNC:
                key = (r.dev, r.ino)
                new, old = r.a, r.b
                survived = [(new, _BIG)] if new < old else [(old, new)]
                full, _ = dur.data_durable(r)
                if full:
                    rep.durable += 1
                    survive(key, survived)
                    continue
                if rng.random() < p_keep:
                    rep.kept += 1
                    survive(key, survived)
                    continue
                path = _locate(r.dev, r.ino, r.path1, roots)
                if path is None:
                    rep.infeasible += 1
                    continue
                protect = _merge(persisted.get(key, []))
                fd = os.open(path, os.O_RDWR)
                try:
                    size = os.fstat(fd).st_size
                    if new < old:                       # undo a shrink: old size and old bytes back
                        if size < old:
                            os.ftruncate(fd, old)
                        for a, b in _subtract(new, old, protect):
                            os.pwrite(fd, r.data[a - new:b - new], a)
                    else:                               # undo a growth
                        target = max([e for (_s, e) in protect if e > old] + [old])
                        if size > target:
                            os.ftruncate(fd, target)
                finally:
                    os.close(fd)
                rep.dropped += 1
            else:
                if dur.name_durable(r, strict_dirs):
                    rep.durable += 1
                    continue
                if rng.random() < p_keep:
                    rep.kept += 1
                    continue
                if _undo_name(r):
                    rep.dropped += 1
                else:
                    rep.infeasible += 1
                    rep.notes.append("cannot undo %r" % r)
        except OSError as e:
            rep.infeasible += 1
            rep.notes.append("%r: %s" % (r, e))
    return rep


def _undo_name(r):
    p = r.path1
    if r.type == REC_CREATE:
        if os.path.lexists(p) and not os.path.isdir(p):
            os.unlink(p)
        return True
    if r.type == REC_RENAME:
        src, dst, stashed = r.path1, r.path2, r.data.decode("utf-8", "surrogateescape")
        if not os.path.lexists(dst) or os.path.lexists(src):
            return False
        os.rename(dst, src)
        if stashed and os.path.exists(stashed):
            os.link(stashed, dst)
        return True
    if r.type == REC_UNLINK:
        stashed = r.data.decode("utf-8", "surrogateescape")
        if not stashed or os.path.lexists(p) or not os.path.exists(stashed):
            return False
        os.link(stashed, p)
        return True
    if r.type == REC_MKDIR:
        if os.path.isdir(p):
            if os.listdir(p):
                return False
            os.rmdir(p)
        return True
    if r.type == REC_RMDIR:
        if not os.path.lexists(p):
            os.mkdir(p)
        return True
    return False


def describe(log_path, limit=50):
    """A short human-readable dump of a log (for failure messages)."""
    recs = read_log(log_path)
    lines = [repr(r) for r in recs[-limit:]]
    return "%d records; last %d:\n  %s" % (len(recs), len(lines), "\n  ".join(lines))


__all__ = ["build", "unsupported_reason", "child_env", "reset_log", "read_log", "apply_power_loss",
           "count_tracked_calls", "count_syncs", "describe", "Report", "Record", "BuildError", "SECTOR"]
