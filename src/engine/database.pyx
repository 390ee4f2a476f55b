# database.pyx: the engine's Python API. Owns the directory, the LOCK, the catalog of keyspaces and their
# partition maps, recovery, atomic batches, iterators, checkpoints, partition splits, keyspace clones and
# snapshots.
#
# DIRECTORY
#   LOCK          flock'd for the life of the Database (one opener; a second gets LockedError naming the dir)
#   CATALOG       JSON + checksum line, replaced atomically and durably (osfile.replace_file)
#   wal/          the write-ahead log (wal.pyx)
#   pNNNNNNNN.db  one B+tree file per partition (btree.pyx)
#
# CATALOG FORMAT (JSON object, then "\n", then the hex checksum32 of the JSON bytes)
#   format           1
#   next_keyspace    next keyspace id (ids are never reused, so WAL records of a dropped keyspace are skipped)
#   next_partition   next partition file number
#   checkpoint_lsn   every partition file holds every change with LSN <= this, or has no change after its
#                    own checkpoint LSN (D3)
#   keyspaces        {name: {"id": int, "partitions": [[file_no, hash_lo, hash_hi, lsn], ...]}}, the
#                    partitions sorted by hash_lo, contiguous, covering [0, 2**64-1]; lsn = the checkpoint LSN
#                    the partition file had when the catalog was written
#   dropped          {id: name} of dropped keyspaces, so old WAL records can still be named
#
# KEY FORMAT inside a keyspace (the B+tree key of one item)
#   OFFSET  SIZE  DESCRIPTION
#   0       8     hash64(pk), big-endian: a partition owns a contiguous range of it; scans run in hash order
#   8       2     len(pk), big-endian
#   10      n     pk bytes
#   10+n    m     sk bytes (may be empty): one pk's items are contiguous and ordered by sk
#
# WAL PAYLOAD (one record = one batch)
#   u32 op count, then per op: u32 keyspace id | u8 kind (1 put, 0 delete, 2 log-only) | u32 key length |
#   u32 value length | key (KEY FORMAT) | value
#   A log-only op (write_batch op (None, tag, b"", payload)) has keyspace id 0 (never a keyspace's: ids start
#   at 1), kind 2, key = the tag bytes as given (no KEY FORMAT), value = the payload. It is recorded in the
#   batch's WAL record only: never applied to a tree, skipped by replay, yielded by wal_records() as
#   (None, tag, b"", payload). The layer above keeps facts the key ops cannot carry there (D8).
#
# RECOVERY (open)
#   1. take LOCK; read CATALOG (CorruptionError on a bad checksum); delete partition files the catalog does
#      not name (a split or create that crashed before its catalog write) and *.tmp files.
#   2. open each partition file; its meta gives lsn_p. If lsn_p is below the lsn the catalog recorded for it,
#      its newest meta was lost: replay must start there, and the WAL must still hold it (else CorruptionError).
#   3. replay WAL records with lsn > min(checkpoint_lsn, lowest lsn_p of such files); an op goes to the
#      partition owning hash64(pk) and is applied only if the record's lsn > lsn_p (D3).
#   4. checkpoint, so the next crash replays nothing already replayed.
#
# INVARIANTS
#   (D1) A batch is one WAL record: after a crash it is wholly present or wholly absent, and the state is
#        the state after a prefix of the committed batches (the WAL order is the apply order).
#   (D2) With sync="full" (or sync=True), write_batch returns only after its record is on disk.
#   (D3) Before a partition file claims checkpoint LSN C, the WAL is durable up to C.
#   (D4) Batches are applied under the write lock with the GIL held and no Python code run in between, so a
#        reader (which runs under the GIL) sees a batch wholly or not at all.
#   (D5) After an I/O failure in commit or checkpoint the Database is poisoned: writes raise PoisonedError
#        until it is closed and reopened; reads keep working.
#   (D6) Partition files change on disk only inside a checkpoint; a snapshot holds the checkpoint lock while
#        it copies them, so writes continue (into the WAL and dirty pages) during a snapshot.
#   (D8) Log-only ops change no tree and no recovery state: a batch of only log-only ops consumes an LSN and
#        nothing else.
#   (D7) A partition whose live bytes exceed partition_max_bytes is split, at a checkpoint, into two new
#        files at a hash boundary (a key boundary: one pk never spans partitions); the catalog write is the
#        commit point, so a crash leaves either the old file or the two new ones in force.
#   (D9) clone_keyspace(src, dest) gives dest copies of src's partition files as of a checkpoint at LSN L
#        (same hash ranges), made under the checkpoint lock while writers continue (D6), so dest equals src
#        after batch L. The catalog write naming dest is the commit point: before it the new files are
#        orphans that open deletes (RECOVERY step 1); after it dest is complete. dest gets a new keyspace id,
#        so no WAL record before the commit names it, and its files share nothing mutable with src's (a
#        reflink shares extents copy-on-write in the filesystem), so dropping either leaves the other intact.
#   (D10) An automatic checkpoint runs in the thread whose commit made it due, after that commit, except for a
#        thread that called offload_checkpoints(): its commit starts a thread that runs the checkpoint
#        (at most one at a time; none while a checkpoint runs) and returns without waiting for any lock a
#        checkpoint holds. close() waits for such a checkpoint (it takes the checkpoint lock), and one that
#        starts after close() finds the database closed and stops. A failure of it poisons the database as
#        any checkpoint's does (D5), and is logged ("pyddb.engine").
#
# CLONE (clone_file: the cheapest copy of one partition file the filesystem offers)
#   1. ioctl(FICLONE): a reflink (btrfs, XFS, bcachefs...): the new file shares the old one's extents, a
#      near-free clone whatever the size. EOPNOTSUPP/EXDEV/EINVAL/ENOTTY/ENOSYS mean "not here": go on.
#   2. os.copy_file_range: an in-kernel copy (no trip through user space; NFS/CIFS may offload it).
#   3. pread/pwrite in 1 MiB pieces.
#   The new file is fdatasync'd; the caller fsyncs the directory. Any other error is raised (and the clone
#   cleans up its files): ENOSPC or EIO is not a reason to try a slower way.
import errno
import fcntl
import json
import logging
import os
import threading
import time

from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING, PyBytes_GET_SIZE
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int64_t
from libc.string cimport memcpy, memcmp

from ._types cimport lsn_t, load16, load32, load64, store16, store32, store64
from .murmur3 cimport hash64 as c_hash64, checksum32
from .btree cimport BTree, Cursor
from .wal cimport Wal
from . import osfile
from .errors import ClosedError, CorruptionError, EngineError, PoisonedError

cdef enum:
    KEY_HEADER = 10            # hash64 (8) + len(pk) (2)
    MAX_COMPOSED_KEY = 8192    # stack buffer; BTree.max_key is the real limit
    OUT_RANGE = 0              # iterator yields (sk, value) of one pk
    OUT_SCAN = 1               # iterator yields (pk, sk, value)
cdef uint64_t HASH_MAX = 0xFFFFFFFFFFFFFFFFULL
cdef uint32_t LOG_ONLY_KS = 0      # keyspace id of a log-only op (D8)
cdef uint8_t KIND_LOG = 2

CATALOG_NAME = "CATALOG"
_log = logging.getLogger("pyddb.engine")
SYNC_MODES = ("full", "normal", "off")

FICLONE = 0x40049409                 # _IOW(0x94, 9, int), linux/fs.h: reflink a whole file
# errnos that say "this filesystem / kernel cannot do it", after which the next, slower way is tried (CLONE)
_NOT_HERE = frozenset(e for e in (errno.EOPNOTSUPP, getattr(errno, "ENOTSUP", errno.EOPNOTSUPP), errno.EXDEV,
                                  errno.EINVAL, errno.ENOTTY, errno.ENOSYS) if e)
_COPY_PIECE = 1 << 20


def clone_file(str src, str dst):
    """Copy the file ``src`` to the new file ``dst`` (created; EEXIST if present) by the cheapest mechanism
    available (CLONE), fdatasync'd. Returns the mechanism: "reflink", "copy_file_range" or "copy"."""
    sfd = os.open(src, os.O_RDONLY)
    try:
        dfd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            method = _copy_fd(sfd, dfd, os.fstat(sfd).st_size)
            osfile.datasync(dfd)
        finally:
            os.close(dfd)
    finally:
        os.close(sfd)
    return method


def _copy_fd(sfd, dfd, Py_ssize_t size):
    cdef Py_ssize_t done = 0, n
    try:                                                  # 1. reflink
        fcntl.ioctl(dfd, FICLONE, sfd)
        return "reflink"
    except OSError as e:
        if e.errno not in _NOT_HERE:
            raise
    method = "copy"
    cfr = getattr(os, "copy_file_range", None)
    if cfr is not None:                                   # 2. in-kernel copy
        try:
            while done < size:
                n = cfr(sfd, dfd, min(size - done, 1 << 30), done, done)
                if n <= 0:
                    break
                done += n
            method = "copy_file_range"
        except OSError as e:
            if e.errno not in _NOT_HERE:
                raise
    while done < size:                                    # 3. through user space (or the rest of a 2.)
        piece = os.pread(sfd, min(size - done, _COPY_PIECE), done)
        if not piece:
            raise EngineError("file shrank while it was copied (%d of %d bytes)" % (done, size))
        osfile.pwrite_all(dfd, piece, done)
        done += len(piece)
        method = "copy"
    return method


cdef inline bytes _be64(uint64_t v):
    cdef unsigned char buf[8]
    store64(buf, v)
    return PyBytes_FromStringAndSize(<char*>buf, 8)


cdef inline bytes _as_bytes(x, str what):
    if isinstance(x, bytes):
        return <bytes>x
    if isinstance(x, (bytearray, memoryview)):
        return bytes(x)
    raise TypeError("%s must be bytes, not %s" % (what, type(x).__name__))


def hash64(pk):
    """The partition hash of ``pk``: MurmurHash3_x64_128(pk, seed 0), first 64-bit half, unsigned."""
    cdef bytes b = _as_bytes(pk, "pk")
    return c_hash64(<const unsigned char*>PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b))


cdef bytes compose_key(bytes pk, bytes sk):
    """KEY FORMAT: hash64(pk) | len(pk) | pk | sk."""
    cdef Py_ssize_t n = PyBytes_GET_SIZE(pk)
    cdef Py_ssize_t m = PyBytes_GET_SIZE(sk)
    if n > 0xFFFF:
        raise EngineError("partition key of %d bytes is longer than 65535" % n)
    cdef bytes out = PyBytes_FromStringAndSize(NULL, KEY_HEADER + n + m)
    cdef unsigned char* p = <unsigned char*>PyBytes_AS_STRING(out)
    store64(p, c_hash64(<const unsigned char*>PyBytes_AS_STRING(pk), n))
    store16(p + 8, <uint16_t>n)
    memcpy(p + KEY_HEADER, PyBytes_AS_STRING(pk), n)
    memcpy(p + KEY_HEADER + n, PyBytes_AS_STRING(sk), m)
    return out


cdef bytes increment_key(bytes key):
    """The smallest byte string greater than every string that starts with ``key`` (None if none exists)."""
    cdef bytearray b = bytearray(key)
    cdef Py_ssize_t i = len(b) - 1
    while i >= 0:
        if b[i] != 0xFF:
            b[i] += 1
            return bytes(b[:i + 1])
        i -= 1
    return None


cdef class Partition:
    """One B+tree file owning the inclusive hash range [lo, hi] of a keyspace."""
    cdef public int file_no          # pNNNNNNNN.db
    cdef public uint64_t lo          # first hash owned
    cdef public uint64_t hi          # last hash owned (inclusive)
    cdef public BTree tree
    cdef public bint unsplittable    # one partition key holds all its bytes; a split would not help
    cdef public bint dirty           # changed since its last checkpoint

    def __init__(self, int file_no, uint64_t lo, uint64_t hi, BTree tree):
        self.file_no = file_no
        self.lo = lo
        self.hi = hi
        self.tree = tree
        self.unsplittable = False
        self.dirty = False


cdef class Keyspace:
    """A named set of partitions covering the whole 64-bit hash space, sorted by lo."""
    cdef public str name
    cdef public uint32_t ks_id
    cdef public list parts           # [Partition], sorted by lo
    cdef public uint64_t version     # bumped when the partition map changes (iterators re-seek)
    cdef public bint dropped

    def __init__(self, str name, uint32_t ks_id, list parts):
        self.name = name
        self.ks_id = ks_id
        self.parts = parts
        self.version = 0
        self.dropped = False

    cdef inline Partition part_for(self, uint64_t h):
        cdef list parts = self.parts
        cdef Py_ssize_t lo = 0, hi = len(parts) - 1, mid
        if hi == 0:
            return <Partition>parts[0]
        while lo < hi:                       # largest index whose .lo <= h
            mid = (lo + hi + 1) >> 1
            if (<Partition>parts[mid]).lo <= h:
                lo = mid
            else:
                hi = mid - 1
        return <Partition>parts[lo]

    cdef inline Partition part_for_key(self, bytes key):
        return self.part_for(load64(<const unsigned char*>PyBytes_AS_STRING(key)))


cdef class KeyIter:
    """Iterates composed keys in [lo_key, hi_key] (either bound may be None = open) forward or backward,
    crossing partitions, re-seeking after a partition split or tree change (see docs/engine.md)."""
    cdef Database db
    cdef Keyspace ks
    cdef uint64_t ks_version
    cdef Partition part
    cdef Cursor cur
    cdef bytes lo_key
    cdef bint lo_incl
    cdef bytes hi_key
    cdef bint hi_incl
    cdef bint reverse
    cdef int out
    cdef Py_ssize_t prefix_len       # OUT_RANGE: bytes of KEY_HEADER + pk to strip
    cdef bytes last_key              # last key yielded (None before the first)
    cdef Py_ssize_t remaining        # limit; -1 = none
    cdef bint done

    def __iter__(self):
        return self

    cdef int _position(self) except -1:
        """Place the cursor on the first candidate key (strictly after last_key when one was yielded)."""
        cdef bytes target
        cdef bint exclusive
        cdef const unsigned char* kp
        cdef Py_ssize_t kn
        cdef int ok
        if self.last_key is not None:
            target = self.last_key
            exclusive = True
        elif self.reverse:
            target = self.hi_key
            exclusive = not self.hi_incl
        else:
            target = self.lo_key
            exclusive = not self.lo_incl
        self.ks_version = self.ks.version
        if self.reverse:
            if target is None:
                self.part = <Partition>self.ks.parts[len(self.ks.parts) - 1]
                self.cur = self.part.tree.cursor()
                ok = self.cur.last()
            else:
                self.part = self.ks.part_for_key(target) if len(target) >= 8 else <Partition>self.ks.parts[0]
                self.cur = self.part.tree.cursor()
                ok = self.cur.seek_le_c(<const unsigned char*>PyBytes_AS_STRING(target), len(target))
                if ok and exclusive:
                    self.cur.key_view(&kp, &kn)
                    if kn == len(target) and memcmp(kp, PyBytes_AS_STRING(target), kn) == 0:
                        ok = self.cur.prev()
        else:
            if target is None:
                self.part = <Partition>self.ks.parts[0]
                self.cur = self.part.tree.cursor()
                ok = self.cur.first()
            else:
                self.part = self.ks.part_for_key(target) if len(target) >= 8 else <Partition>self.ks.parts[0]
                self.cur = self.part.tree.cursor()
                ok = self.cur.seek_ge_c(<const unsigned char*>PyBytes_AS_STRING(target), len(target))
                if ok and exclusive:
                    self.cur.key_view(&kp, &kn)
                    if kn == len(target) and memcmp(kp, PyBytes_AS_STRING(target), kn) == 0:
                        ok = self.cur.next()
        return 0

    cdef bint _cross_partition(self) except -1:
        """The cursor ran off its partition: move to the neighbour. Returns False at the keyspace's end."""
        cdef list parts = self.ks.parts
        cdef Py_ssize_t i = parts.index(self.part)
        if self.reverse:
            if i == 0:
                return False
            self.part = <Partition>parts[i - 1]
            self.cur = self.part.tree.cursor()
            self.cur.last()
        else:
            if i + 1 >= len(parts):
                return False
            self.part = <Partition>parts[i + 1]
            self.cur = self.part.tree.cursor()
            self.cur.first()
        return True

    def __next__(self):
        cdef const unsigned char* kp
        cdef Py_ssize_t kn
        cdef int c
        cdef uint16_t pklen
        if self.done:
            raise StopIteration
        if self.db.closed:
            raise ClosedError("database is closed")
        if self.remaining == 0 or self.ks.dropped:
            self.done = True
            raise StopIteration
        if self.cur is None or self.ks_version != self.ks.version:
            self._position()
        elif self.last_key is not None:
            if self.reverse:
                self.cur.prev()
            else:
                self.cur.next()
        while not self.cur.valid:
            if not self._cross_partition():
                self.done = True
                raise StopIteration
        self.cur.key_view(&kp, &kn)
        # bound checks
        if self.reverse:
            if self.lo_key is not None:
                c = memcmp(kp, PyBytes_AS_STRING(self.lo_key), min(kn, len(self.lo_key)))
                if c < 0 or (c == 0 and (kn < len(self.lo_key) or (kn == len(self.lo_key) and not self.lo_incl))):
                    self.done = True
                    raise StopIteration
        else:
            if self.hi_key is not None:
                c = memcmp(kp, PyBytes_AS_STRING(self.hi_key), min(kn, len(self.hi_key)))
                if c > 0 or (c == 0 and (kn > len(self.hi_key) or (kn == len(self.hi_key) and not self.hi_incl))):
                    self.done = True
                    raise StopIteration
        self.last_key = PyBytes_FromStringAndSize(<const char*>kp, kn)
        if self.remaining > 0:
            self.remaining -= 1
        if self.out == OUT_RANGE:
            return (PyBytes_FromStringAndSize(<const char*>kp + self.prefix_len, kn - self.prefix_len),
                    self.cur.value())
        pklen = load16(kp + 8)
        return (PyBytes_FromStringAndSize(<const char*>kp + KEY_HEADER, pklen),
                PyBytes_FromStringAndSize(<const char*>kp + KEY_HEADER + pklen, kn - KEY_HEADER - pklen),
                self.cur.value())


cdef class Database:
    """A pyddb storage engine directory. See docs/engine.md for the API and the header above for the format."""
    cdef readonly str path
    cdef readonly str sync_mode
    cdef readonly uint32_t page_size
    cdef readonly uint64_t partition_max_bytes
    cdef readonly uint64_t checkpoint_bytes
    cdef readonly bint archive
    cdef readonly bint closed
    cdef readonly bint poisoned
    cdef object _poison_cause
    cdef object _lock_file           # osfile.FileLock
    cdef Wal wal
    cdef dict _ks                    # name -> Keyspace
    cdef dict _ks_by_id              # id -> Keyspace
    cdef dict _dropped               # id -> name
    cdef uint32_t _next_ks
    cdef int _next_part
    cdef readonly lsn_t checkpoint_lsn
    cdef uint64_t _wal_bytes_since_ckpt
    cdef object _write_lock          # serialises batches, catalog changes, checkpoints
    cdef object _ckpt_lock           # held by checkpoint and snapshot (D6); taken before _write_lock, never
                                     #   while holding it (else a checkpoint and a writer's automatic
                                     #   checkpoint deadlock)
    cdef bint _split_wanted
    cdef dict _recovery              # what the last open replayed, and how long it took
    cdef object _catalog_lsn         # {file_no: lsn} as last written to CATALOG
    cdef str _cloning                # dest of the clone under way (its name is taken), or None
    cdef readonly dict last_clone    # what the last clone_keyspace did: lsn, method, files, bytes, seconds
    cdef object _offloading          # threading.local: .depth > 0 in a thread whose commits leave a due
                                     #   checkpoint to another (D10); gone with the thread
    cdef object _bg_lock             # guards _bg_ckpt (never the write lock: the caller must not wait)
    cdef object _bg_ckpt             # the thread running such a checkpoint, while it runs
    cdef uint64_t _n_bg_ckpts        # checkpoints such threads ran

    def __init__(self, path, *, str sync="full", uint32_t page_size=16384,
                 uint64_t partition_max_bytes=10 << 30, uint64_t wal_segment_bytes=64 << 20,
                 uint64_t checkpoint_bytes=64 << 20, bint archive=False):
        if sync not in SYNC_MODES:
            raise ValueError("sync must be one of %s, not %r" % (", ".join(SYNC_MODES), sync))
        if page_size < 4096 or page_size > 65536 or (page_size & (page_size - 1)):
            raise ValueError("page_size must be a power of two between 4096 and 65536")
        self.closed = True
        self.path = os.path.abspath(os.fspath(path))
        self.sync_mode = sync
        self.page_size = page_size
        self.partition_max_bytes = partition_max_bytes
        self.checkpoint_bytes = checkpoint_bytes
        self.archive = archive
        self.poisoned = False
        self._write_lock = threading.RLock()
        self._ckpt_lock = threading.RLock()
        self._ks = {}
        self._ks_by_id = {}
        self._dropped = {}
        self._offloading = threading.local()
        self._bg_lock = threading.Lock()
        self._bg_ckpt = None
        self._n_bg_ckpts = 0
        os.makedirs(self.path, exist_ok=True)
        self._lock_file = osfile.FileLock(self.path)
        try:
            self._open(wal_segment_bytes)
        except BaseException:
            self._abandon()
            raise
        self.closed = False

    # ---- open / recovery -----------------------------------------------------------------------------------

    cdef _open(self, uint64_t wal_segment_bytes):
        cdef Keyspace ks
        cdef Partition part
        cdef lsn_t replay_from
        t0 = time.perf_counter()
        catalog = self._read_catalog()
        self._remove_orphans(catalog)
        self._load_keyspaces(catalog)
        self.checkpoint_lsn = catalog["checkpoint_lsn"]
        # Step 2: a partition whose newest meta was lost starts replay earlier.
        replay_from = self.checkpoint_lsn
        for ks in self._ks.values():
            for part in ks.parts:
                if part.tree.lsn < self._catalog_lsn.get(part.file_no, 0) and part.tree.lsn < replay_from:
                    replay_from = part.tree.lsn
        self.wal = Wal(os.path.join(self.path, "wal"), self.sync_mode, wal_segment_bytes, self.archive,
                       self.checkpoint_lsn + 1)
        if self.wal.last_lsn > replay_from and self.wal.first_lsn > replay_from + 1:
            raise CorruptionError(
                "%s: recovery needs WAL records from LSN %d but the log starts at LSN %d"
                % (self.path, replay_from + 1, self.wal.first_lsn))
        replayed = self._replay(replay_from)
        self._recovery = {"replayed_batches": replayed, "replay_from_lsn": replay_from,
                          "seconds": time.perf_counter() - t0}
        if replayed:
            self.closed = False
            self._checkpoint_locked(False)

    cdef dict _read_catalog(self):
        cdef bytes raw
        fn = os.path.join(self.path, CATALOG_NAME)
        if not os.path.exists(fn):
            cat = {"format": 1, "next_keyspace": 1, "next_partition": 1, "checkpoint_lsn": 0,
                   "keyspaces": {}, "dropped": {}}
            self._catalog_lsn = {}
            self._write_catalog_dict(cat)
            return cat
        with open(fn, "rb") as f:
            raw = f.read()
        body, sep, tail = raw.rpartition(b"\n")
        try:
            ok = sep and int(tail, 16) == checksum32(<const unsigned char*>PyBytes_AS_STRING(body), len(body))
        except ValueError:
            ok = False
        if not ok:
            raise CorruptionError("%s: checksum mismatch in the catalog file" % fn)
        cat = json.loads(body)
        if cat.get("format") != 1:
            raise CorruptionError("%s: unknown catalog format %r" % (fn, cat.get("format")))
        return cat

    cdef _remove_orphans(self, dict catalog):
        named = set()
        for ks in catalog["keyspaces"].values():
            for p in ks["partitions"]:
                named.add("p%08d.db" % p[0])
        removed = False
        for fn in os.listdir(self.path):
            if (fn.startswith("p") and fn.endswith(".db") and fn not in named) or fn.endswith(".tmp"):
                os.unlink(os.path.join(self.path, fn))
                removed = True
        if removed:
            osfile.fsync_dir(self.path)

    cdef _load_keyspaces(self, dict catalog):
        cdef Keyspace ks
        self._next_ks = catalog["next_keyspace"]
        self._next_part = catalog["next_partition"]
        self._dropped = {int(k): v for k, v in catalog.get("dropped", {}).items()}
        self._catalog_lsn = {}
        for name, d in catalog["keyspaces"].items():
            parts = []
            for file_no, lo, hi, lsn in d["partitions"]:
                tree = BTree(self._part_path(file_no), self.page_size, False)
                parts.append(Partition(file_no, lo, hi, tree))
                self._catalog_lsn[file_no] = lsn
            ks = Keyspace(name, d["id"], parts)
            self._ks[name] = ks
            self._ks_by_id[ks.ks_id] = ks

    cdef int _replay(self, lsn_t after) except -1:
        cdef int n = 0
        cdef lsn_t lsn
        if self.wal.last_lsn <= after:
            return 0
        for lsn, ts, payload in self.wal.records(after + 1):
            self._apply_payload(payload, lsn, True)
            n += 1
        return n

    # ---- catalog ---------------------------------------------------------------------------------------

    cdef str _part_path(self, int file_no):
        return os.path.join(self.path, "p%08d.db" % file_no)

    cdef dict _catalog_dict(self):
        cdef Keyspace ks
        cdef Partition p
        return {
            "format": 1,
            "next_keyspace": self._next_ks,
            "next_partition": self._next_part,
            "checkpoint_lsn": self.checkpoint_lsn,
            "keyspaces": {ks.name: {"id": ks.ks_id,
                                    "partitions": [[p.file_no, p.lo, p.hi, p.tree.lsn] for p in ks.parts]}
                          for ks in self._ks.values()},
            "dropped": {str(k): v for k, v in self._dropped.items()},
        }

    cdef _write_catalog_dict(self, dict cat):
        cdef bytes body = json.dumps(cat, sort_keys=True, separators=(",", ":")).encode()
        cdef uint32_t c = checksum32(<const unsigned char*>PyBytes_AS_STRING(body), len(body))
        osfile.replace_file(os.path.join(self.path, CATALOG_NAME), body + b"\n" + ("%08x" % c).encode())
        self._catalog_lsn = {p[0]: p[3] for ks in cat["keyspaces"].values() for p in ks["partitions"]}

    cdef _write_catalog(self):
        self._write_catalog_dict(self._catalog_dict())

    # ---- state checks ------------------------------------------------------------------------------------

    cdef inline int _check_open(self) except -1:
        if self.closed:
            raise ClosedError("database %s is closed" % self.path)
        return 0

    cdef inline int _check_writable(self) except -1:
        if self.closed:
            raise ClosedError("database %s is closed" % self.path)
        if self.poisoned:
            raise PoisonedError("database %s refuses writes after an I/O failure (%s); close and reopen it"
                                % (self.path, self._poison_cause))
        return 0

    cdef _poison(self, exc):
        self.poisoned = True
        self._poison_cause = exc

    cdef inline Keyspace _keyspace(self, str name):
        ks = self._ks.get(name)
        if ks is None:
            raise EngineError("keyspace %r does not exist" % (name,))
        return <Keyspace>ks

    # ---- keyspaces -----------------------------------------------------------------------------------------

    def create_keyspace(self, str name):
        cdef Keyspace ks
        if not name:
            raise ValueError("keyspace name must be a non-empty string")
        with self._write_lock:
            self._check_writable()
            if name in self._ks or name == self._cloning:
                raise EngineError("keyspace %r already exists" % (name,))
            file_no = self._next_part
            self._next_part += 1
            tree = BTree(self._part_path(file_no), self.page_size, True)
            try:
                self.wal.sync_to(self.wal.last_lsn)            # (D3)
                tree.checkpoint(self.wal.last_lsn)
                osfile.fsync_dir(self.path)
                ks = Keyspace(name, self._next_ks, [Partition(file_no, 0, HASH_MAX, tree)])
                self._next_ks += 1
                self._ks[name] = ks
                self._ks_by_id[ks.ks_id] = ks
                try:
                    self._write_catalog()
                except BaseException:
                    del self._ks[name]
                    del self._ks_by_id[ks.ks_id]
                    raise
            except BaseException:
                tree.close()
                try:
                    os.unlink(self._part_path(file_no))
                except OSError:
                    pass
                raise

    def drop_keyspace(self, str name):
        cdef Keyspace ks
        cdef Partition p
        with self._ckpt_lock, self._write_lock:
            self._check_writable()
            ks = self._keyspace(name)
            del self._ks[name]
            del self._ks_by_id[ks.ks_id]
            self._dropped[ks.ks_id] = name
            try:
                self._write_catalog()
            except BaseException:
                self._ks[name] = ks
                self._ks_by_id[ks.ks_id] = ks
                del self._dropped[ks.ks_id]
                raise
            ks.dropped = True
            ks.version += 1
            for p in ks.parts:
                p.tree.close()
                os.unlink(self._part_path(p.file_no))
            osfile.fsync_dir(self.path)

    def keyspaces(self):
        self._check_open()
        return sorted(self._ks)

    def has_keyspace(self, str name):
        self._check_open()
        return name in self._ks

    # ---- reads ---------------------------------------------------------------------------------------------

    def get(self, str keyspace, pk, sk=b""):
        """The value stored under (pk, sk) in ``keyspace``, or None."""
        cdef unsigned char buf[MAX_COMPOSED_KEY]
        cdef Keyspace ks
        cdef const unsigned char[::1] pkv
        cdef const unsigned char[::1] skv
        cdef const unsigned char* pp
        cdef const unsigned char* sp
        cdef Py_ssize_t n, m
        cdef uint64_t h
        # bytes (the common case) are read in place: a buffer acquisition costs about as much as the lookup
        if type(pk) is bytes:
            pp = <const unsigned char*>PyBytes_AS_STRING(pk)
            n = PyBytes_GET_SIZE(pk)
        else:
            pkv = pk
            n = pkv.shape[0]
            pp = &pkv[0] if n else NULL
        if type(sk) is bytes:
            sp = <const unsigned char*>PyBytes_AS_STRING(sk)
            m = PyBytes_GET_SIZE(sk)
        else:
            skv = sk
            m = skv.shape[0]
            sp = &skv[0] if m else NULL
        if self.closed:
            raise ClosedError("database %s is closed" % self.path)
        ks = self._keyspace(keyspace)
        if n > 0xFFFF or KEY_HEADER + n + m > MAX_COMPOSED_KEY:
            return None
        h = c_hash64(pp if n else <const unsigned char*>b"", n)
        store64(buf, h)
        store16(buf + 8, <uint16_t>n)
        if n:
            memcpy(buf + KEY_HEADER, pp, n)
        if m:
            memcpy(buf + KEY_HEADER + n, sp, m)
        return ks.part_for(h).tree.get_c(buf, KEY_HEADER + n + m)

    def iter_range(self, str keyspace, pk, start=None, end=None, bint start_inclusive=True,
                   bint end_inclusive=False, bint reverse=False, limit=None):
        """(sk, value) pairs of one partition key with start <= sk < end (bounds per the flags), in sk order
        (descending with reverse=True), at most ``limit`` of them."""
        cdef KeyIter it
        self._check_open()
        ks = self._keyspace(keyspace)
        prefix = compose_key(_as_bytes(pk, "pk"), b"")
        it = KeyIter.__new__(KeyIter)
        it.db = self
        it.ks = ks
        it.out = OUT_RANGE
        it.prefix_len = len(prefix)
        it.reverse = reverse
        it.remaining = -1 if limit is None else max(0, <Py_ssize_t>limit)
        it.lo_key = prefix + _as_bytes(start, "start") if start is not None else prefix
        it.lo_incl = start_inclusive if start is not None else True
        if end is not None:
            it.hi_key = prefix + _as_bytes(end, "end")
            it.hi_incl = end_inclusive
        else:
            it.hi_key = increment_key(prefix)
            it.hi_incl = False
        return it

    def iter_prefix(self, str keyspace, pk, prefix=b"", bint reverse=False, limit=None):
        """(sk, value) pairs of one partition key whose sk starts with ``prefix``."""
        prefix = _as_bytes(prefix, "prefix")
        end = increment_key(prefix) if prefix else None
        if prefix and end is None:             # prefix of all 0xFF bytes: no upper bound within the pk
            return self.iter_range(keyspace, pk, prefix, None, True, False, reverse, limit)
        return self.iter_range(keyspace, pk, prefix, end, True, False, reverse, limit)

    def scan(self, str keyspace, uint64_t hash_lo=0, uint64_t hash_hi=HASH_MAX, start_after=None):
        """(pk, sk, value) of every item whose hash64(pk) is in [hash_lo, hash_hi], in (hash, pk, sk) order,
        resuming after the key ``start_after=(pk, sk)`` when given."""
        cdef KeyIter it
        self._check_open()
        ks = self._keyspace(keyspace)
        it = KeyIter.__new__(KeyIter)
        it.db = self
        it.ks = ks
        it.out = OUT_SCAN
        it.remaining = -1
        it.lo_key = _be64(hash_lo)
        it.lo_incl = True
        it.hi_key = increment_key(_be64(hash_hi))
        it.hi_incl = False
        if start_after is not None:
            it.last_key = compose_key(_as_bytes(start_after[0], "pk"), _as_bytes(start_after[1], "sk"))
        return it

    def hash64(self, pk):
        return hash64(pk)

    # ---- writes --------------------------------------------------------------------------------------------

    def put(self, str keyspace, pk, sk, value):
        return self.write_batch([(keyspace, pk, sk, value)])

    def delete(self, str keyspace, pk, sk=b""):
        return self.write_batch([(keyspace, pk, sk, None)])

    def write_batch(self, ops, sync=None):
        """Apply ``ops`` = [(keyspace, pk, sk, value-or-None)] atomically (D1); returns the batch's LSN.
        Waits for durability per the database's sync mode, or per ``sync`` when it is True/False (D2)."""
        cdef bytes payload = self._encode_batch(ops)
        cdef lsn_t lsn = 0
        cdef bint wait
        with self._write_lock:
            self._check_writable()
            try:
                lsn = self.wal.append_raw(<const unsigned char*>PyBytes_AS_STRING(payload), PyBytes_GET_SIZE(payload))
            except PoisonedError as e:
                self._poison(e)
                raise
            except OSError as e:
                if self.wal.poisoned:
                    self._poison(e)
                    raise PoisonedError("database %s: WAL write failed (%s); close and reopen it"
                                        % (self.path, e)) from e
                raise                                     # nothing was written: a clean failure
            try:
                self._apply_payload(payload, lsn, False)  # (D4)
            except BaseException as e:
                self._poison(e)
                raise
            self._wal_bytes_since_ckpt += len(payload)
        wait = (self.sync_mode == "full") if sync is None else bool(sync)
        if wait:
            self._wait_durable(lsn)
        if self._wal_bytes_since_ckpt >= self.checkpoint_bytes or self._split_wanted:
            if getattr(self._offloading, "depth", 0) > 0:
                self._checkpoint_in_background()          # (D10)
            else:
                self._maybe_checkpoint()
        return lsn

    def sync(self, lsn=None):
        """Wait until the batch ``lsn`` (default: the newest) is on disk; batches share fdatasyncs. Lets a
        caller commit with sync=False under its own lock and wait for durability after releasing it."""
        self._check_open()
        self._wait_durable(self.wal.last_lsn if lsn is None else lsn)

    cdef _wait_durable(self, lsn_t lsn):
        try:
            self.wal.sync_to(lsn)
        except BaseException as e:
            self._poison(e)
            if isinstance(e, PoisonedError):
                raise
            raise PoisonedError("database %s: fdatasync of the WAL failed (%s); the batch may be lost; "
                                "close and reopen the database" % (self.path, e)) from e

    cdef bytes _encode_batch(self, ops):
        """Validate every op and encode the WAL payload; raises before anything is written."""
        cdef list items = []
        cdef Py_ssize_t total = 4
        cdef Keyspace ks
        cdef bytes key, val
        cdef Py_ssize_t maxk
        self._check_open()
        for op in ops:
            if len(op) != 4:
                raise ValueError("a batch op is (keyspace, pk, sk, value-or-None), got %r" % (op,))
            if op[0] is None:                             # a log-only op (D8): (None, tag, b"", payload)
                if op[2] is not None and len(op[2]):
                    raise ValueError("a log-only op is (None, tag, b'', payload): its sk must be empty")
                if op[3] is None:
                    raise ValueError("a log-only op needs payload bytes, not None")
                key = _as_bytes(op[1], "tag")
                val = _as_bytes(op[3], "payload")
                items.append((LOG_ONLY_KS, key, val))
                total += 13 + len(key) + len(val)
                continue
            ks = self._keyspace(op[0])
            key = compose_key(_as_bytes(op[1], "pk"), _as_bytes(op[2], "sk") if op[2] is not None else b"")
            maxk = (<Partition>ks.parts[0]).tree.max_key
            if len(key) > maxk:
                raise EngineError("key of %d bytes (with its %d-byte header) exceeds the %d-byte limit"
                                  % (len(key), KEY_HEADER, maxk))
            val = _as_bytes(op[3], "value") if op[3] is not None else None
            items.append((ks.ks_id, key, val))
            total += 13 + len(key) + (len(val) if val is not None else 0)
        if not items:
            raise ValueError("a batch needs at least one op")
        cdef bytes out = PyBytes_FromStringAndSize(NULL, total)
        cdef unsigned char* p = <unsigned char*>PyBytes_AS_STRING(out)
        store32(p, <uint32_t>len(items))
        p += 4
        for ks_id, key, val in items:
            store32(p, <uint32_t>ks_id)
            p[4] = KIND_LOG if ks_id == LOG_ONLY_KS else (0 if val is None else 1)
            store32(p + 5, <uint32_t>len(key))
            store32(p + 9, 0 if val is None else <uint32_t>len(val))
            p += 13
            memcpy(p, PyBytes_AS_STRING(key), len(key))
            p += len(key)
            if val is not None:
                memcpy(p, PyBytes_AS_STRING(val), len(val))
                p += len(val)
        return out

    cdef int _apply_payload(self, bytes payload, lsn_t lsn, bint replay) except -1:
        """Apply one batch to the trees. During replay an op is skipped when its partition already holds
        LSN >= lsn (D3) or its keyspace was dropped."""
        cdef const unsigned char* p = <const unsigned char*>PyBytes_AS_STRING(payload)
        cdef const unsigned char* end = p + PyBytes_GET_SIZE(payload)
        cdef uint32_t count, i, ks_id, klen, vlen
        cdef uint8_t kind
        cdef Keyspace ks
        cdef Partition part
        if end - p < 4:
            raise CorruptionError("WAL record %d: payload too short" % lsn)
        count = load32(p)
        p += 4
        for i in range(count):
            if end - p < 13:
                raise CorruptionError("WAL record %d: truncated op %d" % (lsn, i))
            ks_id = load32(p)
            kind = p[4]
            klen = load32(p + 5)
            vlen = load32(p + 9)
            p += 13
            if ks_id == LOG_ONLY_KS:                      # (D8) recorded in the log, applied nowhere
                if <Py_ssize_t>(end - p) < <Py_ssize_t>klen + <Py_ssize_t>vlen:
                    raise CorruptionError("WAL record %d: op %d overruns the record" % (lsn, i))
                p += klen + vlen
                continue
            if <Py_ssize_t>(end - p) < <Py_ssize_t>klen + <Py_ssize_t>vlen or klen < KEY_HEADER:
                raise CorruptionError("WAL record %d: op %d overruns the record" % (lsn, i))
            obj = self._ks_by_id.get(ks_id)
            if obj is not None:
                ks = <Keyspace>obj
                part = ks.part_for(load64(p))
                if not replay or lsn > part.tree.lsn:
                    part.dirty = True
                    if kind:
                        part.tree.put_c(p, klen, p + klen, vlen)
                        if part.tree.data_bytes > self.partition_max_bytes and not part.unsplittable:
                            self._split_wanted = True
                    else:
                        part.tree.delete_c(p, klen)
            elif not replay and ks_id not in self._dropped:
                raise EngineError("keyspace id %d vanished during a batch" % ks_id)
            p += klen + vlen
        return 0

    # ---- checkpoints and splits ------------------------------------------------------------------------

    def checkpoint(self):
        """Write every changed page and the catalog durably; retire WAL segments no longer needed."""
        with self._ckpt_lock, self._write_lock:           # lock order: _ckpt_lock, then _write_lock
            self._check_writable()
            self._checkpoint_locked(True)

    def offload_checkpoints(self, bint on=True):
        """(D10) From now on (until called with on=False), a commit made by the calling thread that makes an
        automatic checkpoint due does not run it: it starts a thread that does, and returns. For a thread
        that must not wait for page writes, such as an event loop serving many clients; the checkpoint
        still holds the write lock while it writes, so that thread's next commit may wait for it. Calls
        nest (each on=True is undone by one on=False), and the setting ends with the thread."""
        depth = getattr(self._offloading, "depth", 0) + (1 if on else -1)
        self._offloading.depth = depth if depth > 0 else 0

    cdef _checkpoint_in_background(self):
        # Waits for no lock a checkpoint holds: while the checkpoint lock is taken (a checkpoint in another
        # thread, a snapshot or a clone) there is nothing to start; the next due commit tries again.
        if not self._ckpt_lock.acquire(blocking=False):
            return
        self._ckpt_lock.release()
        with self._bg_lock:                               # one such thread at a time
            if self._bg_ckpt is not None and self._bg_ckpt.is_alive():
                return
            t = threading.Thread(target=self._background_checkpoint, name="pyddb-checkpoint", daemon=True)
            try:
                t.start()
            except RuntimeError:                          # no thread to be had (at interpreter shutdown):
                t = None                                  #   here then; the batch is committed either way
            else:
                self._bg_ckpt = t
        if t is None:
            self._maybe_checkpoint()

    def _background_checkpoint(self):
        try:
            if self._maybe_checkpoint():
                self._n_bg_ckpts += 1
        except Exception:
            # A failed checkpoint has poisoned the database (D5) and later commits raise that; a failure
            # after its commit point (retiring WAL segments, a split) has not: nobody else would see it.
            _log.exception("database %s: background checkpoint failed", self.path)

    cdef bint _maybe_checkpoint(self) except -1:
        """The automatic checkpoint, if still due; whether it ran. It is skipped while a snapshot copies files
        (D6); the next commit retries."""
        if not self._ckpt_lock.acquire(blocking=False):
            return False
        try:
            with self._write_lock:
                if self.closed or self.poisoned:
                    return False
                if self._wal_bytes_since_ckpt >= self.checkpoint_bytes or self._split_wanted:
                    self._checkpoint_locked(True)
                    return True
                return False
        finally:
            self._ckpt_lock.release()

    cdef _checkpoint_locked(self, bint allow_split):
        """The checkpoint, as named steps. Caller holds the write lock."""
        cdef Keyspace ks
        cdef Partition p
        cdef lsn_t lsn, prev
        with self._ckpt_lock:
            try:
                # 1. the WAL is durable up to the LSN the trees will claim (D3)
                lsn = self.wal.last_lsn
                self.wal.sync_to(lsn)
                # 2. every partition changed since its last checkpoint writes its pages and meta
                for ks in list(self._ks.values()):
                    for p in ks.parts:
                        if p.dirty:
                            p.tree.checkpoint(lsn)
                            p.dirty = False
                # 3. the catalog names the new checkpoint LSN: the commit point of the checkpoint
                prev = self.checkpoint_lsn
                self.checkpoint_lsn = lsn
                self._write_catalog()
            except BaseException as e:
                self._poison(e)
                if isinstance(e, (PoisonedError, CorruptionError)):
                    raise
                raise PoisonedError("database %s: checkpoint failed (%s); close and reopen it"
                                    % (self.path, e)) from e
            self._wal_bytes_since_ckpt = 0
            # 4. WAL segments older than the previous checkpoint are retired (one checkpoint is kept so
            #    a partition whose newest meta is lost can still replay, see RECOVERY step 2)
            self.wal.retire(prev)
            # 5. partitions over the size limit split (D7)
            if allow_split and self._split_wanted:
                self._split_wanted = False
                for ks in list(self._ks.values()):
                    work = list(ks.parts)
                    while work:
                        p = work.pop()
                        if p.tree.data_bytes > self.partition_max_bytes and not p.unsplittable:
                            if self._split(ks, p):
                                work.extend(q for q in ks.parts if q.tree.data_bytes > self.partition_max_bytes
                                            and not q.unsplittable and q not in work)

    cdef bint _split(self, Keyspace ks, Partition old) except -1:
        """(D7) Copy `old` into two new partition files divided at a hash boundary near its middle."""
        cdef Cursor cur = old.tree.cursor()
        cdef const unsigned char* kp
        cdef Py_ssize_t kn
        cdef uint64_t half = old.tree.data_bytes // 2, acc = 0, h, mid = 0
        cdef lsn_t lsn = old.tree.lsn
        cdef bint found = False
        # the split hash: the first hash at or past the middle (by bytes) above the first key's hash, so both
        # halves hold data and one pk never spans partitions
        cdef uint64_t first_hash = 0
        ok = cur.first()
        if cur.valid:
            cur.key_view(&kp, &kn)
            first_hash = load64(kp)
        while cur.valid:
            cur.key_view(&kp, &kn)
            h = load64(kp)
            if acc >= half and h > first_hash:
                mid = h
                found = True
                break
            acc += kn + len(cur.value())
            cur.next()
        if not found:
            # the upper half is one pk: split just below the last key's hash if that leaves data on both sides
            ok = cur.last()
            if cur.valid:
                cur.key_view(&kp, &kn)
                h = load64(kp)
                if h > first_hash:
                    mid = h
                    found = True
        if not found:
            old.unsplittable = True
            return False
        left_no = self._next_part
        right_no = self._next_part + 1
        self._next_part += 2
        left = BTree(self._part_path(left_no), self.page_size, True)
        right = BTree(self._part_path(right_no), self.page_size, True)
        try:
            cur = old.tree.cursor()
            cur.first()
            while cur.valid:
                cur.key_view(&kp, &kn)
                target = left if load64(kp) < mid else right
                target.put_c(kp, kn, <const unsigned char*>PyBytes_AS_STRING(cur.value()), len(cur.value()))
                cur.next()
            left.checkpoint(lsn)
            right.checkpoint(lsn)
            osfile.fsync_dir(self.path)
            new_parts = list(ks.parts)
            i = new_parts.index(old)
            new_parts[i:i + 1] = [Partition(left_no, old.lo, mid - 1, left),
                                  Partition(right_no, mid, old.hi, right)]
            saved = ks.parts
            ks.parts = new_parts
            try:
                self._write_catalog()                       # the commit point of the split
            except BaseException:
                ks.parts = saved
                raise
        except BaseException:
            left.close()
            right.close()
            for no in (left_no, right_no):
                try:
                    os.unlink(self._part_path(no))
                except OSError:
                    pass
            raise
        ks.version += 1
        old.tree.close()
        os.unlink(self._part_path(old.file_no))
        osfile.fsync_dir(self.path)
        return True

    # ---- clones, snapshots and the log ----------------------------------------------------------------------

    def clone_keyspace(self, str src, str dest):
        """Create keyspace ``dest`` equal to keyspace ``src`` after batch L, while writes continue (D9);
        returns L. Its partition files are copies of src's as of a checkpoint (clone_file: a reflink where the
        filesystem has them, else an in-kernel copy), with src's partition map. ``last_clone`` tells how.
        EngineError if src is missing or dest exists."""
        cdef Keyspace ks, new_ks
        cdef Partition p
        if not dest:
            raise ValueError("keyspace name must be a non-empty string")
        t0 = time.perf_counter()
        with self._ckpt_lock:
            # 1. under both locks: checkpoint (the files now hold everything up to L), plan, reserve numbers
            with self._write_lock:
                self._check_writable()
                ks = self._keyspace(src)
                if dest in self._ks:
                    raise EngineError("keyspace %r already exists" % (dest,))
                self._checkpoint_locked(False)
                lsn = self.checkpoint_lsn
                plan = [(p.file_no, self._next_part + i, p.lo, p.hi) for i, p in enumerate(ks.parts)]
                self._next_part += len(plan)
                self._cloning = dest
            # Writers run again from here; src's files do not change until _ckpt_lock is released (D6), and
            # src cannot be dropped meanwhile (drop_keyspace takes _ckpt_lock).
            made = []
            trees = []
            methods = []
            nbytes = 0
            try:
                # 2. copy the files (a crash from here to step 4 leaves orphans: RECOVERY step 1)
                for src_no, dst_no, lo, hi in plan:
                    made.append(dst_no)
                    methods.append(clone_file(self._part_path(src_no), self._part_path(dst_no)))
                    nbytes += os.path.getsize(self._part_path(dst_no))
                osfile.fsync_dir(self.path)
                # 3. open them: each meta page is verified now, before anything names them
                parts = []
                for src_no, dst_no, lo, hi in plan:
                    tree = BTree(self._part_path(dst_no), self.page_size, False)
                    trees.append(tree)
                    parts.append(Partition(dst_no, lo, hi, tree))
                # 4. the catalog names dest: the commit point
                with self._write_lock:
                    self._check_writable()
                    new_ks = Keyspace(dest, self._next_ks, parts)
                    self._next_ks += 1
                    self._ks[dest] = new_ks
                    self._ks_by_id[new_ks.ks_id] = new_ks
                    try:
                        self._write_catalog()
                    except BaseException:
                        del self._ks[dest]
                        del self._ks_by_id[new_ks.ks_id]
                        raise
            except BaseException:
                for tree in trees:
                    try:
                        tree.close()
                    except Exception:
                        pass
                for no in made:
                    try:
                        os.unlink(self._part_path(no))
                    except OSError:
                        pass
                raise
            finally:
                self._cloning = None
        distinct = sorted(set(methods))
        self.last_clone = {"src": src, "dest": dest, "lsn": lsn, "files": len(plan), "bytes": nbytes,
                           "method": distinct[0] if len(distinct) == 1 else "+".join(distinct),
                           "seconds": time.perf_counter() - t0}
        return lsn

    def snapshot(self, dest):
        """Copy a consistent state of the whole database to the new directory ``dest`` while writes continue
        (D6); returns the LSN it holds. ``dest`` opens as a Database."""
        cdef Keyspace ks
        cdef Partition p
        dest = os.path.abspath(os.fspath(dest))
        with self._ckpt_lock:
            with self._write_lock:
                self._check_writable()
                self._checkpoint_locked(False)
                cat = self._catalog_dict()
                files = [(self._part_path(p.file_no), p.file_no) for ks in self._ks.values() for p in ks.parts]
                lsn = self.checkpoint_lsn
            # Writers run again from here; partition files do not change until we release _ckpt_lock.
            os.makedirs(dest)
            for src, no in files:
                clone_file(src, os.path.join(dest, "p%08d.db" % no))   # a reflink where possible
            osfile.fsync_dir(dest)
            body = json.dumps(cat, sort_keys=True, separators=(",", ":")).encode()
            osfile.replace_file(os.path.join(dest, CATALOG_NAME), body + b"\n" + (
                "%08x" % checksum32(<const unsigned char*>PyBytes_AS_STRING(body), len(body))).encode())
        return lsn

    def wal_records(self, lsn_t from_lsn=1):
        """(lsn, ts_ns, [(keyspace, pk, sk, value-or-None)]) for each batch from ``from_lsn`` that the WAL
        still holds (archive mode: all not trimmed). ``keyspace`` is the name, also for dropped keyspaces,
        and None for a log-only op: (None, tag, b"", payload) (D8). Starts in the segment holding from_lsn
        (EngineError when it is no longer held: see first_wal_lsn)."""
        self._check_open()
        it = self.wal.records(from_lsn)                   # raises now (not at the first next()) if trimmed
        return self._records_gen(it)

    def _records_gen(self, it):
        for lsn, ts, payload in it:
            yield lsn, ts, self._decode_payload(payload, lsn)

    @property
    def checkpoint_headroom(self):
        """WAL bytes commits may still append before one of them runs an automatic checkpoint in its own
        thread; 0 when the next commit will, a split is waiting for one, or a checkpoint, clone or snapshot
        is running (it holds, or is about to take, the write lock a commit needs, for as long as it writes
        pages or copies files). A hint, read without the write lock: the HTTP server runs a small write on
        its event loop only while this leaves room (docs/server.md)."""
        if self._split_wanted or self._wal_bytes_since_ckpt >= self.checkpoint_bytes:
            return 0
        if not self._ckpt_lock.acquire(blocking=False):
            return 0
        self._ckpt_lock.release()
        return self.checkpoint_bytes - self._wal_bytes_since_ckpt

    @property
    def first_wal_lsn(self):
        """The oldest LSN wal_records() can read."""
        return self.wal.first_lsn

    def trim_archive(self, before_ts_ns=None, before_lsn=None):
        """Archive mode: delete the oldest WAL segments whose records are all checkpointed, all appended at
        or before ``before_ts_ns`` (when given) and all with LSN < ``before_lsn`` (when given); segment
        granularity (see wal.pyx RETENTION). Returns the number of segments removed."""
        with self._write_lock:
            self._check_writable()
            return self.wal.trim(before_lsn, before_ts_ns)

    def set_archive_retention(self, keep_ns, keep_lsn=None):
        """Archive mode: a policy applied now and at every checkpoint: keep WAL records appended in the last
        ``keep_ns`` nanoseconds (0: none for their age) and every record with LSN >= ``keep_lsn`` (when
        given); older checkpointed segments are deleted. keep_ns=None keeps everything (the default).
        Returns the number of segments removed now."""
        with self._write_lock:
            self._check_writable()
            return self.wal.set_retention(keep_ns, keep_lsn)

    cdef list _decode_payload(self, bytes payload, lsn_t lsn):
        cdef const unsigned char* p = <const unsigned char*>PyBytes_AS_STRING(payload)
        cdef uint32_t count = load32(p), i, ks_id, klen, vlen
        cdef uint16_t pklen
        cdef list out = []
        p += 4
        for i in range(count):
            ks_id = load32(p)
            klen = load32(p + 5)
            vlen = load32(p + 9)
            kind = p[4]
            p += 13
            if ks_id == LOG_ONLY_KS:                      # (D8)
                out.append((None, PyBytes_FromStringAndSize(<const char*>p, klen), b"",
                            PyBytes_FromStringAndSize(<const char*>p + klen, vlen)))
                p += klen + vlen
                continue
            pklen = load16(p + 8)
            ks = self._ks_by_id.get(ks_id)
            name = (<Keyspace>ks).name if ks is not None else self._dropped.get(ks_id, ks_id)
            out.append((name,
                        PyBytes_FromStringAndSize(<const char*>p + KEY_HEADER, pklen),
                        PyBytes_FromStringAndSize(<const char*>p + KEY_HEADER + pklen, klen - KEY_HEADER - pklen),
                        PyBytes_FromStringAndSize(<const char*>p + klen, vlen) if kind else None))
            p += klen + vlen
        return out

    @property
    def last_lsn(self):
        return self.wal.last_lsn

    # ---- introspection ---------------------------------------------------------------------------------

    def stats(self):
        cdef Keyspace ks
        cdef Partition p
        self._check_open()
        kss = {}
        for ks in self._ks.values():
            kss[ks.name] = {
                "id": ks.ks_id,
                "partitions": [{"file": "p%08d.db" % p.file_no, "hash_lo": p.lo, "hash_hi": p.hi,
                                **p.tree.stats()} for p in ks.parts],
                "entries": sum(p.tree.entries for p in ks.parts),
                "data_bytes": sum(p.tree.data_bytes for p in ks.parts),
            }
        return {
            "path": self.path,
            "sync": self.sync_mode,
            "last_lsn": self.wal.last_lsn,
            "checkpoint_lsn": self.checkpoint_lsn,
            "offloaded_checkpoints": self._n_bg_ckpts,
            "poisoned": self.poisoned,
            "keyspaces": kss,
            "wal": self.wal.stats(),
            "recovery": dict(self._recovery or {}),
            "disk_bytes": sum(os.path.getsize(os.path.join(dp, f))
                              for dp, _, fs in os.walk(self.path) for f in fs),
        }

    def check(self):
        """Integrity check of every partition file, the partition maps and the WAL; raises CorruptionError.
        Returns counts."""
        cdef Keyspace ks
        cdef Partition p
        cdef Cursor cur
        cdef const unsigned char* kp
        cdef Py_ssize_t kn
        cdef uint64_t h
        self._check_open()
        out = {"keyspaces": 0, "partitions": 0, "entries": 0, "pages": 0, "wal_records": 0}
        with self._write_lock:
            for ks in self._ks.values():
                out["keyspaces"] += 1
                expect_lo = 0
                for p in ks.parts:
                    if p.lo != expect_lo or p.hi < p.lo:
                        raise CorruptionError("keyspace %r: partition map has a gap or overlap at hash %d"
                                              % (ks.name, p.lo))
                    expect_lo = p.hi + 1
                    r = p.tree.check()
                    out["partitions"] += 1
                    out["pages"] += r.get("pages", 0)
                    if p.tree.lsn > self.wal.last_lsn and self.wal.last_lsn:
                        raise CorruptionError("partition p%08d.db claims LSN %d beyond the WAL's %d"
                                              % (p.file_no, p.tree.lsn, self.wal.last_lsn))
                    cur = p.tree.cursor()
                    cur.first()
                    while cur.valid:
                        cur.key_view(&kp, &kn)
                        if kn < KEY_HEADER or KEY_HEADER + load16(kp + 8) > kn:
                            raise CorruptionError("p%08d.db: malformed key" % p.file_no)
                        h = load64(kp)
                        if h < p.lo or h > p.hi:
                            raise CorruptionError("p%08d.db holds hash %d outside its range [%d, %d]"
                                                  % (p.file_no, h, p.lo, p.hi))
                        if c_hash64(kp + KEY_HEADER, load16(kp + 8)) != h:
                            raise CorruptionError("p%08d.db: key hash does not match its partition key"
                                                  % p.file_no)
                        out["entries"] += 1
                        cur.next()
                if ks.parts and (<Partition>ks.parts[len(ks.parts) - 1]).hi != HASH_MAX:
                    raise CorruptionError("keyspace %r: partition map does not reach the top hash" % ks.name)
            prev = None
            for lsn, ts, payload in self.wal.records(self.wal.first_lsn):
                if prev is not None and lsn != prev + 1:
                    raise CorruptionError("WAL LSNs jump from %d to %d" % (prev, lsn))
                prev = lsn
                out["wal_records"] += 1
        return out

    def recovery_info(self):
        return dict(self._recovery or {})

    # ---- close -------------------------------------------------------------------------------------------

    def close(self):
        """Checkpoint (unless poisoned), close every file and release the LOCK. Idempotent."""
        if self.closed:
            return
        cdef Keyspace ks
        cdef Partition p
        cdef bint clean = False
        with self._ckpt_lock, self._write_lock:
            if self.closed:
                return
            try:
                if not self.poisoned:
                    self._checkpoint_locked(False)
                    # Compact each file and write its meta twice at the final LSN (BTree.settle): the WAL
                    # records are then needed by no file, even one whose newest meta gets damaged.
                    for ks in self._ks.values():
                        for p in ks.parts:
                            try:
                                p.tree.settle()
                            except BaseException as e:
                                self._poison(e)
                                raise
                    clean = True
            finally:
                self.closed = True
                self._abandon(clean)

    cdef _abandon(self, bint clean=False):
        # Close everything. clean: the final checkpoint succeeded and every file is settled at its LSN, so
        # the WAL gives back its space (spare segments, preallocation, and the checkpointed records).
        cdef Keyspace ks
        cdef Partition p
        for ks in self._ks.values():
            for p in ks.parts:
                try:
                    p.tree.close()
                except Exception:
                    pass
        if self.wal is not None:
            try:
                self.wal.close(clean, self.checkpoint_lsn if clean else 0)
            except Exception:                            # each step leaves a log that recovers the same state
                pass
        if self._lock_file is not None:
            self._lock_file.release()
            self._lock_file = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "<Database %s%s>" % (self.path, " closed" if self.closed else "")
