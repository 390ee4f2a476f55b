# wal.pyx: the write-ahead log: record format, append, group commit, sync modes, recovery, retirement.
#
# WHAT IT OWNS
#   One directory of segment files. Every committed batch is one record; the Database hands us opaque payload
#   bytes and gets back an LSN. This module decides where a record goes, when it is durable, what survives a
#   crash, and when a segment may go away. It knows nothing of keyspaces or ops.
#
# FILES (in the directory)
#   %016x.wal      a segment, named by the first LSN it holds (lower-case hex). Live segments form the log.
#   %016x.wal.tmp  a segment being created (zero-filled, then renamed into place); removed at open.
#   %016x.free     a retired segment kept for recycling (non-archive mode, at most 2); named by its old first
#                  LSN; renamed to the next %016x.wal when one is needed. Never read as part of the log.
#   spare-%016x.free  a zero-filled segment made in the background after a roll found nothing to recycle,
#                  or once the current segment is half full with nothing to roll into (segments >= 4 MiB
#                  only), so the next roll renames instead of writing 64 MiB of zeros (it waits for a spare
#                  still being made).
#
# SEGMENT FORMAT
#   A segment is `segment_bytes` long (a record larger than that gets a segment of its own, sized to fit),
#   preallocated by writing zeros so that a commit's fdatasync changes no file metadata. Records are packed
#   from offset 0, each 8-byte aligned. What follows the last record is zeros (a new segment) or stale records
#   with LSNs below the segment's name (a recycled one): both read as end-of-segment (W8).
#
#   OFFSET  SIZE    DESCRIPTION
#   0       R1      record with LSN = the segment's name
#   R1      R2      record with the next LSN
#   ...             ...
#   k       rest    zeros or stale records: end of segment
#
# RECORD FORMAT (all integers big-endian; R = align8(32 + n))
#   OFFSET  SIZE    DESCRIPTION
#   0       4       n: payload length in bytes
#   4       4       checksum32 (murmur3-derived) of bytes [8, 32 + n): the rest of the header and the payload
#   8       8       lsn: this record's LSN
#   16      8       ts_ns: wall-clock time of the append, nanoseconds since the Unix epoch
#   24      8       synced_lsn: the highest LSN known durable when this record was written (W3)
#   32      n       payload
#   32+n    R-32-n  zero padding to a multiple of 8 (not covered by the checksum)
#
#   A record is VALID for LSN L at offset o of a segment of size S when o + 32 <= S, 32 + n <= S - o,
#   lsn == L and the checksum matches. A zero header (lsn 0) is never valid.
#
# RECOVERY (at open; _recover)
#   1. Remove *.tmp. List the segments; none: create the segment named start_lsn (default 1) and stop.
#   2. expected = name of the oldest segment. Read each segment in order and take records valid for
#      `expected` (expected += 1 each). When the next one is not valid, the segment has ended: if the next
#      segment file is named `expected`, continue in it; otherwise the log ends here, at (segment, offset).
#   3. Decide torn tail or corruption (W7): scan the rest of this segment and every later segment in 8-byte
#      steps for valid records with lsn > expected (skipping over each one found). If any has
#      synced_lsn >= expected, the missing record had been durable: raise CorruptionError naming the
#      segment file and offset. Otherwise it is a torn tail. If this segment holds a torn record (a header
#      naming `expected` at the end) or valid records >= expected, zero the rest of it (up to its last
#      non-zero byte); extend a truncated segment back to segment_bytes; datasync; remove later segments;
#      fsync the directory; report what was discarded in stats()["recovered_tail"] (None after a clean end).
#      Other bytes past a clean end (zeros, stale records of a recycled segment, debris that is not a valid
#      record) cannot be mistaken for records >= expected and are left for the next appends to overwrite;
#      if such debris is a torn header that a later end lands on, that later open reports it (harmless).
#   4. Appends continue at that offset with LSN = expected. Segments holding records beyond the largest
#      synced_lsn found are datasynced (they may have been only in the page cache of a killed process), so
#      synced_lsn = last_lsn is true from the start (W3).
#   5. If the log ends before start_lsn - 1 (the caller's checkpoint is ahead of every record, e.g. a
#      snapshot copied without its log), its records are obsolete: remove its segments and start fresh at
#      start_lsn, so LSNs never repeat (refused in archive mode, which never discards records).
#
# RETENTION (archive mode)
#   archive=True keeps segments that retire() would remove, so records() can read history. What is kept is
#   bounded by trim(before_lsn, before_ts_ns) and by a policy, set_retention(keep_ns, keep_lsn), that every
#   retire() applies (the Database retires at each checkpoint). Trimming removes whole segments, oldest first
#   (W9), and only a segment S whose successor S' shows that every record of S is
#     - retired (S' - 1 <= the highest LSN given to retire(): recovery never needs it),
#     - below before_lsn (S' <= before_lsn) when given, and
#     - older than before_ts_ns when given: the first record of S' (appended after every record of S) has
#       ts_ns <= before_ts_ns (a segment is kept while its successor holds no record yet).
#   A policy with keep_ns == 0 trims with no time bound (no successor is opened for its first timestamp).
#   Trimmed segments are recycled like retired ones (at most 2 .free files). records(from_lsn) starts in the
#   segment holding from_lsn, and at the exact offset when a reader recently passed it (_pos_hint), so a
#   reader that resumes where it stopped (a stream iterator) reads no older record again.
#
# THREADS AND SYNC MODES
#   append/append_raw, retire and close are serialised by the caller (the Database's write lock). sync_to,
#   records() and the read-only properties may be called from any thread. The GIL guards the Wal's fields;
#   append holds it across its one pwrite, so a record is complete before last_lsn names it (W10). sync_to
#   waiters sleep on a pthread condvar without the GIL (W4). sync="full": the caller calls sync_to(lsn)
#   after append before acknowledging; "normal": a daemon thread datasyncs at most every 5 ms while there is
#   unsynced data, without the GIL (W11); "off": only explicit sync_to and close sync. A roll never syncs: the previous segment's
#   descriptor is handed to the next syncer, which datasyncs it before the current one.
#
# INVARIANTS
#   (W1) LSNs are consecutive from 1. A segment named F holds LSNs F, F+1, ... from offset 0 with no gaps, and
#        the next live segment is named one past the last LSN of the previous one.
#   (W2) With sync="full" (the caller calls sync_to after append), a record is on stable storage when
#        sync_to(lsn) returns: acknowledged implies durable.
#   (W3) synced_lsn never overstates: every record with LSN <= synced_lsn is on stable storage. Each record
#        carries the synced_lsn of the moment it was written, so a valid record with synced_lsn >= L proves
#        that LSN L had been durable.
#   (W4) Group commit: at most one thread (the syncer) is inside fdatasync for the log; one round syncs every
#        segment holding records appended before it began and then credits them all. Waiters whose LSN is
#        covered return without another fdatasync. Only the syncer (or close, after waiting for it) closes a
#        segment descriptor that a syncer might use.
#   (W5) A segment's name is durable (directory fsync) and its blocks are allocated (zero-filled and
#        datasynced) before any record is written into it.
#   (W6) A failed record write or a failed sync of the log (fdatasync of a segment, fsync of the directory
#        after changing the log's files) poisons the Wal: append, sync_to and retire then raise
#        PoisonedError until it is reopened (the kernel may have dropped the data; we never retry an fsync).
#        A failure while preparing a new segment, before it joins the log, is not poisoning: the partial
#        file is removed, the append raises OSError and consumes no LSN, and a later append may succeed.
#   (W7) A damaged record is only ever discarded as a torn tail; one proved durable by a later record's
#        synced_lsn raises CorruptionError, never silence. After a torn tail is discarded no valid record
#        with LSN >= the new end remains in any file, so later recoveries cannot mistake old for new.
#   (W8) Stale records in a recycled segment have LSNs below the segment's name, so they read as its end
#        and are never evidence in step 3 (their lsn is below expected).
#   (W9) retire() removes the oldest segments one at a time, each removal durable before the next, and never
#        the current one, so the live segments are always a contiguous suffix of the log.
#   (W10) A record never spans segments; records() reads only records with LSN <= last_lsn, which were fully
#        written before last_lsn moved.
#   (W11) The normal-mode flusher takes no GIL for a round that finds no older descriptor pending: it reads
#        last_lsn, the current descriptor and the pending count under _mu (append, roll and every change of
#        _pending_fds also write them under _mu), takes the syncer role (W4), datasyncs, and credits. With
#        older descriptors pending it does the round of W4 with the GIL. (A thread waiting for the GIL is
#        woken by every release of it: a flusher needing the GIL twice per 5 ms round cost every request of
#        a busy server a futex wake-up, ~10 us of a PutItem's 65.)
import os
import re
import threading
import weakref

from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING
from libc.stdlib cimport malloc, realloc, free, calloc
from libc.string cimport memcpy, memset
from libc.stdint cimport uint32_t, uint64_t, int64_t
from posix.time cimport clock_gettime, nanosleep, timespec, CLOCK_MONOTONIC, CLOCK_REALTIME

from pyddb._engine._types cimport lsn_t, load32, load64, store32, store64
from pyddb._engine.murmur3 cimport checksum32
from pyddb._engine.osfile cimport (os_pwrite_all, os_pread_all, os_datasync, os_datasync_errno, os_fsync_dir,
                                   os_file_size, os_no_readahead)

from pyddb._engine.errors import EngineError, CorruptionError, ClosedError, PoisonedError

# Bytes of zeros written per pwrite when filling a segment. Small on purpose: the page cache keeps a file's
# pages in folios as large as the writes (or readahead) that made them, and every later append into a large
# folio walks all of its blocks (ext4 on Linux 6.18: a 304-byte append 1.08 us into a segment zero-filled by
# 1 MiB writes, 0.37 us into one filled by 64 KiB writes, which also fill 64 MiB in 40 ms rather than 139).
# For the same reason segments are read without readahead (os_no_readahead).
cdef enum:
    ZERO_CHUNK = 65536
cdef uint64_t MAX_PAYLOAD = 0xFFFFFFFF - 64
cdef double FLUSH_INTERVAL = 0.005     # sync="normal": the flusher datasyncs at most this often (seconds)
cdef double FLUSHER_SLICE = 1.0        # (W11) seconds of GIL-free rounds before the flusher re-checks its Wal
cdef int MAX_FREE = 2                  # retired segments kept for recycling
cdef uint64_t SPARE_MIN_BYTES = 4 << 20  # segments at least this big get a spare created in the background

cdef unsigned char* _zeros = <unsigned char*>calloc(ZERO_CHUNK, 1)
if _zeros == NULL:
    raise MemoryError()

_SEGMENT_RE = re.compile(r"^([0-9a-f]{16})\.wal$")
_FREE_RE = re.compile(r"^(?:spare-)?([0-9a-f]{16})\.free$")
_MODES = {"off": 0, "normal": 1, "full": 2}


# ---- pure helpers ------------------------------------------------------------------------------------------

cdef inline uint64_t _align8(uint64_t n) noexcept nogil:
    return (n + 7) & ~(<uint64_t>7)


cdef inline uint64_t _record_size(uint64_t n) noexcept nogil:
    return _align8(WAL_HEADER_SIZE + n)


cdef inline int64_t _now_ns() noexcept nogil:
    cdef timespec ts
    clock_gettime(CLOCK_REALTIME, &ts)
    return <int64_t>ts.tv_sec * 1000000000 + <int64_t>ts.tv_nsec


cdef bint _valid_at(const unsigned char* p, uint64_t size, uint64_t off, lsn_t lsn) noexcept nogil:
    """A record valid for `lsn` (0 = any LSN > 0) starts at p[off] in a segment of `size` bytes."""
    cdef uint64_t n, rec_lsn
    if off + WAL_HEADER_SIZE > size:
        return False
    n = load32(p + off)
    rec_lsn = load64(p + off + 8)
    if rec_lsn == 0 or (lsn != 0 and rec_lsn != lsn):
        return False
    if n > size - off - WAL_HEADER_SIZE:
        return False
    return checksum32(p + off + 8, <Py_ssize_t>(WAL_HEADER_SIZE - 8 + n)) == load32(p + off + 4)


cdef int64_t _scan_higher(const unsigned char* p, uint64_t size, uint64_t off, lsn_t above) noexcept nogil:
    """The first 8-aligned offset >= off holding a valid record with lsn > above, or -1 (recovery step 3)."""
    while off + WAL_HEADER_SIZE <= size:
        if load64(p + off + 8) > above and _valid_at(p, size, off, 0):
            return <int64_t>off
        off += 8
    return -1


cdef uint64_t _nonzero_end(const unsigned char* p, uint64_t size, uint64_t start) noexcept nogil:
    """The 8-aligned end of the last non-zero byte in p[start:size] (start when all zero)."""
    cdef uint64_t end = size
    while end > start and p[end - 1] == 0:
        end -= 1
    return _align8(end) if end > start else start


cdef bytes _pread_bytes(int fd, uint64_t n, int64_t off):
    cdef bytes b = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>n)
    cdef char* p = PyBytes_AS_STRING(b)
    if n:
        with nogil:
            os_pread_all(fd, p, <size_t>n, off)
    return b


cdef int _zero_fill(int fd, uint64_t start, uint64_t end) except -1:
    """Write zeros over [start, end) of fd, GIL released (no sync)."""
    cdef uint64_t off = start, n
    while off < end:
        n = end - off
        if n > ZERO_CHUNK:
            n = ZERO_CHUNK
        with nogil:
            os_pwrite_all(fd, _zeros, <size_t>n, <int64_t>off)
        off += n
    return 0


cdef int _datasync(int fd) except -1:
    with nogil:
        os_datasync(fd)
    return 0


def segment_name(lsn):
    """File name of the segment whose first LSN is `lsn`."""
    return "%016x.wal" % lsn


cdef int _create_segment(str path, uint64_t size) except -1:
    """(W5, W6) Create a zero-filled, datasynced segment at `path` via path.tmp; return an O_RDWR descriptor.

    On any failure the tmp file is removed and the error raised: the log is unchanged (not poisoned). The
    caller must fsync the directory before writing a record into it.
    """
    tmp = path + ".tmp"
    cdef int fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o644)
    try:
        _zero_fill(fd, 0, size)
        _datasync(fd)
        os.rename(tmp, path)
    except BaseException:
        os.close(fd)
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return fd


cdef int _open_rw(str path) except -1:
    return os.open(path, os.O_RDWR | getattr(os, "O_CLOEXEC", 0))


def _make_spare(ref, str path, uint64_t size):
    """Background: create a zero-filled spare segment (a free file) so a roll only renames (W5)."""
    cdef int fd
    try:
        fd = _create_segment(path, size)
    except OSError:
        return                                           # e.g. ENOSPC: the roll will try, and report it
    os.close(fd)
    wal = ref()
    if wal is None:
        os.unlink(path)
    else:
        wal._add_spare(path)


cdef inline void _add_seconds(timespec* t, double seconds) noexcept nogil:
    cdef long ns = t.tv_nsec + <long>(seconds * 1e9)
    t.tv_sec += ns // 1000000000
    t.tv_nsec = ns % 1000000000


def _flusher(ref, stop):
    """sync="normal": datasync at most every FLUSH_INTERVAL while there is unsynced data: GIL-free rounds
    (W11) for FLUSHER_SLICE at a time (then the Wal is looked up again, so one never closed can be collected),
    the GIL round of W4 when a roll left older descriptors pending."""
    while not stop.is_set():
        wal = ref()
        if wal is None:
            return
        r = wal._flush_for(FLUSHER_SLICE)
        if r < 0 or (r == 1 and not wal._flush()):
            return
        wal = None


# ---- the log -----------------------------------------------------------------------------------------------

cdef class Wal:
    """The write-ahead log in directory `dirpath` (created if missing); recovers it at open (see RECOVERY)."""

    def __cinit__(self):
        if pthread_mutex_init(&self._mu, NULL) != 0 or pthread_cond_init(&self._cv, NULL) != 0:
            raise MemoryError("pthread_mutex_init/pthread_cond_init failed")
        self._fd = -1
        self._buf = NULL
        self._buf_cap = 0

    def __init__(self, str dirpath, str sync="full", uint64_t segment_bytes=64 << 20, bint archive=False,
                 lsn_t start_lsn=1):
        if sync not in _MODES:
            raise ValueError("sync must be 'full', 'normal' or 'off', not %r" % (sync,))
        if segment_bytes < 4 * WAL_HEADER_SIZE:
            raise ValueError("segment_bytes must be at least %d" % (4 * WAL_HEADER_SIZE))
        self.dirpath = os.path.abspath(dirpath)
        self.sync_mode = sync
        self._mode = _MODES[sync]
        self.segment_bytes = _align8(segment_bytes)
        self.archive = archive
        self._segments = []
        self._pending_fds = []
        self._free = []
        self._recovered_tail = None
        self._keep_ns = None
        self._keep_lsn = None
        self._seg_ts = {}
        self._pos_hint = {}
        self._thread = None
        self._spare_thread = None
        if start_lsn < 1:
            raise ValueError("start_lsn must be >= 1")
        os.makedirs(self.dirpath, exist_ok=True)
        self._recover(start_lsn)
        if self._seg_size < self.segment_bytes:
            self._start_spare(self._seg_first)           # a clean close released the preallocation
        if self._mode == 1:
            self._stop = threading.Event()
            self._thread = threading.Thread(target=_flusher, args=(weakref.ref(self), self._stop),
                                            name="pyddb-wal-flusher", daemon=True)
            self._thread.start()

    def __dealloc__(self):
        # Not closed (no sync): just release descriptors and memory.
        if self._fd >= 0:
            try:
                os.close(self._fd)
            except OSError:
                pass
            self._fd = -1
        if self._pending_fds:
            for _, fd in self._pending_fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
        free(self._buf)
        self._buf = NULL
        pthread_cond_destroy(&self._cv)
        pthread_mutex_destroy(&self._mu)

    # ---- state checks ------------------------------------------------------------------------------------

    cdef int _check_usable(self) except -1:
        if self._closed:
            raise ClosedError("the WAL is closed")
        if self._poisoned and self._poison_cause is None and self._flush_errno:
            self._poison_cause = OSError(self._flush_errno, os.strerror(self._flush_errno), "fdatasync")
        if self._poisoned:
            raise PoisonedError("the WAL is poisoned by an earlier I/O failure (%s); reopen to recover"
                                % (self._poison_cause,)) from self._poison_cause
        return 0

    cdef int _poison(self, object cause) except -1:
        """(W6) Refuse every later write or sync; wake sync_to waiters so they raise too."""
        if self._poisoned:
            return 0
        self._poison_cause = cause
        pthread_mutex_lock(&self._mu)                    # GIL held: fine, _mu holders never need the GIL
        self._poisoned = True
        pthread_cond_broadcast(&self._cv)
        pthread_mutex_unlock(&self._mu)
        return 0

    cdef int _ensure_buf(self, size_t n) except -1:
        cdef unsigned char* p
        if n <= self._buf_cap:
            return 0
        if n < 65536:
            n = 65536
        p = <unsigned char*>realloc(self._buf, n)
        if p == NULL:
            raise MemoryError()
        self._buf = p
        self._buf_cap = n
        return 0

    # ---- append ------------------------------------------------------------------------------------------

    cdef lsn_t append_raw(self, const unsigned char* payload, Py_ssize_t n) except 0:
        cdef uint64_t rec
        cdef lsn_t lsn, synced
        cdef unsigned char* b
        self._check_usable()
        if n < 0 or <uint64_t>n > MAX_PAYLOAD:
            raise ValueError("WAL payload of %d bytes is out of range" % n)
        rec = _record_size(<uint64_t>n)
        if self._write_off + rec > self._seg_size:      # (W10) never span segments
            self._roll(rec)
        lsn = self._last_lsn + 1                         # (W1)
        self._ensure_buf(<size_t>rec)
        b = self._buf
        store32(b, <uint32_t>n)
        store64(b + 8, lsn)
        store64(b + 16, <uint64_t>_now_ns())
        pthread_mutex_lock(&self._mu)                    # (W11) the flusher writes it without the GIL
        synced = self._synced_lsn
        pthread_mutex_unlock(&self._mu)
        store64(b + 24, synced)                          # (W3)
        if n:
            memcpy(b + WAL_HEADER_SIZE, payload, <size_t>n)
        memset(b + WAL_HEADER_SIZE + n, 0, <size_t>(rec - WAL_HEADER_SIZE - <uint64_t>n))
        store32(b + 4, checksum32(b + 8, <Py_ssize_t>(WAL_HEADER_SIZE - 8 + n)))
        try:
            os_pwrite_all(self._fd, b, <size_t>rec, <int64_t>self._write_off)   # GIL held: one pwrite
        except OSError as e:
            self._poison(e)                              # (W6) a record write failed
            raise
        self._write_off += rec
        pthread_mutex_lock(&self._mu)                    # (W11)
        self._last_lsn = lsn                             # (W10) only after the bytes are written
        pthread_mutex_unlock(&self._mu)
        self._n_appends += 1
        self._n_bytes += rec
        if (self._spare_thread is None and self._write_off > (self._seg_size >> 1) and not self._free
                and self.segment_bytes >= SPARE_MIN_BYTES):
            # Half-way through a segment with nothing to roll into (a new log, or one reopened without
            # free segments): make a spare now, so the roll renames one instead of zero-filling a segment
            # in the commit (~45 ms for 64 MiB). Every roll starts the next one itself (_roll).
            self._start_spare(self._seg_first)
        return lsn

    cdef int _roll(self, uint64_t rec_size) except -1:
        """Make the next segment (named last_lsn + 1) current: recycle a free one or create one (W5)."""
        cdef lsn_t first = self._last_lsn + 1
        cdef uint64_t size = self.segment_bytes if rec_size <= self.segment_bytes else _align8(rec_size)
        cdef int fd = -1
        if self._write_off == 0:
            # The current segment holds no record: a record larger than it, or the first append after a
            # clean close released the preallocation. It already has the right name: take a zero-filled
            # spare in its place if one is (being) made, else grow it in place. No record is in it yet, so
            # a failure here poisons nothing (W6).
            if size == self.segment_bytes:
                if self._spare_thread is not None:
                    self._spare_thread.join()            # started at open: usually done by now
                    self._spare_thread = None
                if self._free and self._take_free_as_current(self._free.pop()):
                    return 0
            _zero_fill(self._fd, self._seg_size, size)
            _datasync(self._fd)                          # the new size is data-sync metadata: durable too
            self._seg_size = size
            return 0
        path = os.path.join(self.dirpath, segment_name(first))
        if size == self.segment_bytes and not self._free and self._spare_thread is not None:
            self._spare_thread.join()                    # a spare under way is ready sooner than a new one
        if size == self.segment_bytes and self._free:
            src = self._free.pop()
            try:
                os.rename(src, path)                     # stale records inside read as end (W8)
                fd = _open_rw(path)
            except OSError:
                fd = -1                                  # drop that free segment; create a new one
                for q in (src, path):
                    try:
                        os.unlink(q)
                    except OSError:
                        pass
            else:
                self._n_segments_recycled += 1
        if fd < 0:
            fd = _create_segment(path, size)             # failure: tmp removed, log unchanged (W6)
            self._n_segments_created += 1
        try:
            os_fsync_dir(self.dirpath)                   # (W5) the name is durable before a record goes in
        except OSError as e:
            os.close(fd)
            self._poison(e)
            raise
        # Swap (GIL held, no blocking): the old descriptor goes to the next syncer (W4).
        self._swap_fd(fd)
        self._seg_first = first
        self._seg_size = size
        self._write_off = 0
        self._segments.append(first)
        # No segment to recycle for the next roll: zero-fill a spare now, off the commit path.
        self._start_spare(first)
        return 0

    cdef bint _take_free_as_current(self, str src) except -1:
        """Rename the zero-filled free segment `src` over the current (empty, short) segment (W5). False if
        that failed before anything changed (src is dropped; the caller grows the segment instead)."""
        cdef int fd
        path = os.path.join(self.dirpath, segment_name(self._seg_first))
        try:
            fd = _open_rw(src)
        except OSError:
            fd = -1
        if fd >= 0:
            try:
                os.rename(src, path)                     # stale records inside read as end (W8)
            except OSError:
                os.close(fd)
                fd = -1
        if fd < 0:
            try:
                os.unlink(src)
            except OSError:
                pass
            return False
        try:
            os_fsync_dir(self.dirpath)                   # (W5) the new file is durable under the name
        except OSError as e:
            os.close(fd)
            self._poison(e)
            raise
        self._swap_fd(fd)                                # the old file: the next syncer closes it (W4)
        self._seg_size = self.segment_bytes
        self._n_segments_recycled += 1
        return True

    cdef int _start_spare(self, lsn_t name) except -1:
        """Zero-fill a spare segment in the background (off the commit path) unless one exists or is made."""
        if (self._free or self.segment_bytes < SPARE_MIN_BYTES
                or (self._spare_thread is not None and self._spare_thread.is_alive())):
            return 0
        t = threading.Thread(
            target=_make_spare, name="pyddb-wal-spare", daemon=True,
            args=(weakref.ref(self), os.path.join(self.dirpath, "spare-%016x.free" % name), self.segment_bytes))
        try:
            t.start()
        except RuntimeError:                             # no thread to be had: a spare is only a speed-up,
            return 0                                     #   and the record before us is written already
        self._spare_thread = t
        return 0

    def _add_spare(self, path):
        """Called by the spare thread: offer a finished spare segment to the next roll."""
        if self._closed or len(self._free) >= MAX_FREE:
            os.unlink(path)
        else:
            self._free.append(path)

    def append(self, payload):
        """Append one record holding the bytes-like `payload`; return its LSN. Not durable until sync_to."""
        cdef const unsigned char[::1] mv
        cdef unsigned char empty = 0
        if type(payload) is bytes:                       # the common case, without a buffer acquisition
            return self.append_raw(<const unsigned char*>PyBytes_AS_STRING(payload), len(<bytes>payload))
        mv = payload
        if mv.shape[0] == 0:
            return self.append_raw(&empty, 0)
        return self.append_raw(&mv[0], mv.shape[0])

    # ---- group commit ------------------------------------------------------------------------------------

    cdef int sync_lsn(self, lsn_t lsn) except -1:
        self._check_usable()
        if lsn > self._last_lsn:
            raise ValueError("cannot sync to LSN %d: the last appended LSN is %d" % (lsn, self._last_lsn))
        if self._synced_lsn >= lsn:
            return 0
        return self._sync_round(lsn, True)

    cdef int _sync_round(self, lsn_t lsn, bint wait) except -1:
        """(W4) Return once synced_lsn >= lsn: wait for the current syncer, or become the syncer.

        wait=False (the flusher): return at once if another thread is syncing. Waiting happens on a pthread
        condition variable with the GIL released (one GIL hand-off per wake-up; measured ~2x the commit rate
        of threading.Condition with 8 threads). Lock order: the GIL may be held while taking _mu, but code
        holding _mu never needs the GIL, so the two cannot deadlock.
        """
        cdef lsn_t target = 0
        cdef int fd = -1, role = 0
        cdef uint64_t nsync = 0
        with nogil:
            pthread_mutex_lock(&self._mu)
            while True:
                if self._poisoned or self._closed:
                    role = -1
                    break
                if self._synced_lsn >= lsn:
                    break
                if not self._syncing:
                    self._syncing = True
                    role = 1
                    break
                if not wait:
                    break
                pthread_cond_wait(&self._cv, &self._mu)
            pthread_mutex_unlock(&self._mu)
        if role == -1:
            return self._check_usable()                  # raises ClosedError or PoisonedError
        if role == 0:
            return 0
        # The syncer. Snapshot under the GIL: every record <= target is in `pending` or in `fd` (W4).
        target = self._last_lsn
        pending = self._pending_fds
        self._set_pending([])
        fd = self._fd
        err = None
        try:
            for _, pfd in pending:
                nsync += 1
                _datasync(pfd)
            nsync += 1
            _datasync(fd)
        except OSError as e:
            err = e
            self._poison_cause = e
        finally:
            for _, pfd in pending:                       # only the syncer closes these (W4)
                try:
                    os.close(pfd)
                except OSError:
                    pass
            pthread_mutex_lock(&self._mu)                # GIL and _mu both held: no torn reads anywhere
            self._n_syncs += nsync
            if err is not None:
                self._poisoned = True                    # (W6) never retry an fsync
            elif target > self._synced_lsn:
                self._synced_lsn = target                # (W3) only after fdatasync returned
            self._syncing = False
            pthread_cond_broadcast(&self._cv)
            pthread_mutex_unlock(&self._mu)
        if err is not None:
            raise err
        return 0

    def sync_to(self, lsn_t lsn):
        """(W2) Return when every record with LSN <= lsn is on stable storage (group commit)."""
        self.sync_lsn(lsn)

    def sync(self):
        """Make every appended record durable."""
        self.sync_lsn(self._last_lsn)

    cdef int _swap_fd(self, int fd) except -1:
        """The current descriptor goes to the next syncer (W4), `fd` becomes current: under _mu (W11)."""
        entry = (self._seg_first, self._fd)
        pthread_mutex_lock(&self._mu)                    # GIL held: fine, _mu holders never need the GIL
        self._pending_fds.append(entry)
        self._npending = len(self._pending_fds)
        self._fd = fd
        pthread_mutex_unlock(&self._mu)
        return 0

    cdef int _set_pending(self, list pending) except -1:
        pthread_mutex_lock(&self._mu)                    # (W11)
        self._pending_fds = pending
        self._npending = len(pending)
        pthread_mutex_unlock(&self._mu)
        return 0

    def _flush_for(self, double seconds):
        """(W11) GIL-free flusher rounds for about `seconds`: 0 when the time is up, 1 when older descriptors
        are pending (the GIL round `_flush` serves them), -1 to stop (closing, closed or poisoned)."""
        cdef int r
        with nogil:
            r = self._flush_loop(seconds)
        if self._flush_errno and self._poison_cause is None:
            self._poison_cause = OSError(self._flush_errno, os.strerror(self._flush_errno), "fdatasync")
        return r

    cdef int _flush_loop(self, double seconds) noexcept nogil:
        # Relative sleeps and the monotonic clock: a wall-clock step cannot stall the flusher. close() sets
        # _flusher_stop and joins the thread, which notices within one FLUSH_INTERVAL.
        cdef timespec now, deadline, pause
        cdef int r
        pause.tv_sec = 0
        pause.tv_nsec = <long>(FLUSH_INTERVAL * 1e9)
        clock_gettime(CLOCK_MONOTONIC, &deadline)
        _add_seconds(&deadline, seconds)
        while True:
            nanosleep(&pause, NULL)
            r = self._flush_round()
            if r != 0:
                return r
            clock_gettime(CLOCK_MONOTONIC, &now)
            if now.tv_sec > deadline.tv_sec or (now.tv_sec == deadline.tv_sec and now.tv_nsec >= deadline.tv_nsec):
                return 0

    cdef int _flush_round(self) noexcept nogil:
        """(W11) One round without the GIL: 0 done (or nothing to do), 1 older descriptors pending, -1 stop."""
        cdef lsn_t target
        cdef int fd, err
        pthread_mutex_lock(&self._mu)
        if self._flusher_stop or self._closed or self._poisoned:
            pthread_mutex_unlock(&self._mu)
            return -1
        if self._synced_lsn >= self._last_lsn or self._syncing:
            pthread_mutex_unlock(&self._mu)
            return 0
        if self._npending:
            pthread_mutex_unlock(&self._mu)
            return 1
        self._syncing = True                             # (W4) the syncer role: close waits for it
        target = self._last_lsn                          # every record <= target is in fd (no older pending)
        fd = self._fd
        pthread_mutex_unlock(&self._mu)
        err = os_datasync_errno(fd)
        pthread_mutex_lock(&self._mu)
        self._n_syncs += 1
        if err:
            self._flush_errno = err                      # (W6) poisoned; the cause is made with the GIL
            self._poisoned = True
        elif target > self._synced_lsn:
            self._synced_lsn = target                    # (W3) only after fdatasync returned
        self._syncing = False
        pthread_cond_broadcast(&self._cv)
        pthread_mutex_unlock(&self._mu)
        return -1 if err else 0

    def _flush(self):
        """One flusher step (sync="normal"); False when the thread should stop."""
        if self._closed or self._poisoned:
            return False
        if self._synced_lsn < self._last_lsn:
            try:
                self._sync_round(self._last_lsn, False)
            except (OSError, EngineError):
                return False
        return True

    # ---- retirement --------------------------------------------------------------------------------------

    def retire(self, lsn_t upto_lsn):
        """Retire segments all of whose records are <= upto_lsn (never the current one).

        Non-archive mode removes them (keeping up to 2 for recycling); archive mode keeps them readable,
        except what the retention policy (set_retention) lets go. Returns the number of segments removed.
        """
        cdef int count = 0
        self._check_usable()
        if upto_lsn > self._retired_lsn:
            self._retired_lsn = upto_lsn
        if self.archive:
            if self._keep_ns is None:
                return 0
            return self.trim(self._keep_lsn, self._keep_ts_bound())
        while len(self._segments) > 1 and <lsn_t>self._segments[1] - 1 <= upto_lsn:
            self._remove_oldest()
            count += 1
        return count

    def set_retention(self, keep_ns, keep_lsn=None):
        """Archive mode: from now on every retire() also trims what this policy no longer needs: records
        older than keep_ns nanoseconds (0 = none kept for their age) unless their LSN is >= keep_lsn.
        keep_ns=None restores the default (keep everything). Applied at once as well. Returns the number
        of segments removed now."""
        if keep_ns is not None and keep_ns < 0:
            raise ValueError("keep_ns must be >= 0 or None")
        self._keep_ns = None if keep_ns is None else int(keep_ns)
        self._keep_lsn = None if keep_lsn is None else int(keep_lsn)
        if self._keep_ns is None or not self.archive or self._closed or self._poisoned:
            return 0
        return self.trim(self._keep_lsn, self._keep_ts_bound())

    cdef object _keep_ts_bound(self):
        """The before_ts_ns of the policy's trims: None when keep_ns is 0 (no record is kept for its age, so
        no segment is opened to read the time of its first record)."""
        if self._keep_ns == 0:
            return None
        return _now_ns() - <int64_t>self._keep_ns

    @property
    def retention(self):
        """(keep_ns, keep_lsn) as given to set_retention, or None (keep everything)."""
        return None if self._keep_ns is None else (self._keep_ns, self._keep_lsn)

    def trim(self, before_lsn=None, before_ts_ns=None):
        """Archive mode: remove the oldest segments whose records are all retired, all with LSN <
        before_lsn (when given) and all appended at or before before_ts_ns (when given); see RETENTION.
        Never the current segment; a no-op outside archive mode. Returns the number of segments removed.
        Serialised with appends by the caller (like retire)."""
        cdef lsn_t nxt
        cdef int count = 0
        self._check_usable()
        if not self.archive:
            return 0
        while len(self._segments) > 1:
            nxt = <lsn_t>self._segments[1]
            if nxt - 1 > self._retired_lsn:
                break
            if before_lsn is not None and nxt > <lsn_t>before_lsn:
                break
            if before_ts_ns is not None:
                ts = self._first_ts(nxt)
                if ts is None or ts > before_ts_ns:
                    break
            self._remove_oldest()
            count += 1
        self._n_trimmed += count
        return count

    cdef object _first_ts(self, lsn_t seg):
        """ts_ns of the first record of live segment `seg` (cached), or None when it holds none yet."""
        cdef bytes data
        cdef uint64_t n
        ts = self._seg_ts.get(seg)
        if ts is not None:
            return ts
        if seg > self._last_lsn:
            return None
        fd = os.open(os.path.join(self.dirpath, segment_name(seg)), os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            os_no_readahead(fd)                          # (ZERO_CHUNK) it may be the current segment
            data = _pread_bytes(fd, WAL_HEADER_SIZE, 0)
            n = load32(<const unsigned char*>PyBytes_AS_STRING(data))
            if load64(<const unsigned char*>PyBytes_AS_STRING(data) + 8) != seg:
                return None
            data = _pread_bytes(fd, WAL_HEADER_SIZE + n, 0)
        finally:
            os.close(fd)
        if not _valid_at(<const unsigned char*>PyBytes_AS_STRING(data), WAL_HEADER_SIZE + n, 0, seg):
            return None
        ts = <int64_t>load64(<const unsigned char*>PyBytes_AS_STRING(data) + 16)
        self._seg_ts[seg] = ts
        return ts

    cdef int _remove_oldest(self) except -1:
        """(W9) Remove (or keep for recycling) the oldest live segment, durably, before anything else."""
        cdef lsn_t first = self._segments[0]
        path = os.path.join(self.dirpath, segment_name(first))
        # Close its descriptor if no syncer took it (retired records need no sync), unless a syncer is running:
        # it may be datasyncing that descriptor as the current one it found (W11); the next syncer closes it.
        # The list is updated before any close: os.close releases the GIL, and a syncer must never find a
        # closed (or reused) descriptor number in it.
        cdef bint syncing
        pthread_mutex_lock(&self._mu)
        syncing = self._syncing
        pthread_mutex_unlock(&self._mu)
        keep = []
        to_close = []
        for seg, pfd in self._pending_fds:
            if seg == first and not syncing:
                to_close.append(pfd)
            else:
                keep.append((seg, pfd))
        self._set_pending(keep)
        for pfd in to_close:
            os.close(pfd)
        self._segments.pop(0)
        self._first_lsn = self._segments[0]
        self._seg_ts.pop(first, None)
        if len(self._free) < MAX_FREE and os.path.getsize(path) == self.segment_bytes:
            dst = os.path.join(self.dirpath, "%016x.free" % first)
            os.rename(path, dst)
            self._free.append(dst)
        else:
            os.unlink(path)
        try:
            os_fsync_dir(self.dirpath)                   # (W9) durable before the next removal
        except OSError as e:
            self._poison(e)
            raise
        return 0

    # ---- reading -----------------------------------------------------------------------------------------

    def records(self, lsn_t from_lsn=1):
        """Iterate (lsn, ts_ns, payload) from from_lsn, reading the segment files (not memory).

        Sees records appended while it runs, up to last_lsn at each step. Raises CorruptionError on a damaged
        record inside the log, EngineError when from_lsn (or a segment being read) has been retired.
        """
        if self._closed:
            raise ClosedError("the WAL is closed")
        if from_lsn < 1:
            from_lsn = 1
        if from_lsn < self._first_lsn:
            raise EngineError("WAL records before LSN %d have been retired (asked from LSN %d)"
                              % (self._first_lsn, from_lsn))
        hint = self._pos_hint.get(from_lsn)
        if hint is not None and hint[0] >= self._first_lsn and hint[0] in self._segments:
            return _Reader(self, hint[0], from_lsn, hint[1])   # resume exactly where a reader passed
        first = self._segments[0]
        for seg in self._segments:
            if seg <= from_lsn:
                first = seg
        return _Reader(self, first, from_lsn, 0)

    # ---- recovery ----------------------------------------------------------------------------------------

    cdef int _start_fresh(self, lsn_t start_lsn) except -1:
        """A new, empty log whose first record will have LSN start_lsn (RECOVERY steps 1 and 5)."""
        path = os.path.join(self.dirpath, segment_name(start_lsn))
        self._fd = _create_segment(path, self.segment_bytes)
        os_fsync_dir(self.dirpath)                       # (W5)
        self._segments = [start_lsn]
        self._seg_first = start_lsn
        self._seg_size = self.segment_bytes
        self._write_off = 0
        self._first_lsn = start_lsn
        self._last_lsn = start_lsn - 1
        self._synced_lsn = start_lsn - 1
        self._n_segments_created += 1
        return 0

    cdef int _recover(self, lsn_t start_lsn) except -1:
        """RECOVERY steps 1-5 (see the module header)."""
        cdef bytes data
        cdef const unsigned char* p
        cdef uint64_t size, off, end_off, file_size, rec, fill_to, discard_end
        cdef lsn_t expected, max_claimed = 0, seg_first
        cdef int64_t hit
        cdef int fd
        cdef Py_ssize_t i, bad_i
        d = self.dirpath
        segs = []
        free_files = []
        for fn in os.listdir(d):
            base = fn[:len(fn) - 4]
            if fn.endswith(".tmp") and (_SEGMENT_RE.match(base) or _FREE_RE.match(base)):
                os.unlink(os.path.join(d, fn))           # step 1: an unfinished segment creation
                continue
            m = _SEGMENT_RE.match(fn)
            if m:
                segs.append(int(m.group(1), 16))
                continue
            m = _FREE_RE.match(fn)
            if m:
                free_files.append(os.path.join(d, fn))
        segs.sort()
        free_files.sort()
        for path in free_files:
            if len(self._free) < MAX_FREE and os.path.getsize(path) == self.segment_bytes:
                self._free.append(path)
            else:
                os.unlink(path)

        if not segs:
            return self._start_fresh(start_lsn)

        # Step 2: read records valid for `expected`, segment after segment.
        expected = segs[0]
        seg_last = {}                                    # segment first LSN -> last LSN it holds
        bad_i = 0
        data = b""
        end_off = 0
        size = 0
        file_size = 0
        for i in range(len(segs)):
            seg_first = segs[i]
            fd = os.open(os.path.join(d, segment_name(seg_first)), os.O_RDONLY)
            try:
                with nogil:
                    os_no_readahead(fd)                  # (ZERO_CHUNK) appends continue in this page cache
                    file_size = <uint64_t>os_file_size(fd)
                data = _pread_bytes(fd, file_size, 0)
            finally:
                os.close(fd)
            p = <const unsigned char*>PyBytes_AS_STRING(data)
            size = file_size & ~(<uint64_t>7)
            off = 0
            while _valid_at(p, size, off, expected):
                if load64(p + off + 24) > max_claimed:
                    max_claimed = load64(p + off + 24)
                off += _record_size(load32(p + off))
                expected += 1
            seg_last[seg_first] = expected - 1
            end_off = off
            bad_i = i
            if i + 1 < len(segs) and segs[i + 1] == expected:
                continue
            break

        # Step 3: torn tail or corruption? Look for valid records with lsn > expected after the end.
        bad_path = os.path.join(d, segment_name(segs[bad_i]))
        discarded_records = 0
        discard_end = end_off                            # bytes of the end segment to zero
        j = bad_i
        while j < len(segs):
            if j == bad_i:
                jdata = data
                jsize = size
                off = end_off
            else:
                fd = os.open(os.path.join(d, segment_name(segs[j])), os.O_RDONLY)
                try:
                    with nogil:
                        os_no_readahead(fd)              # (ZERO_CHUNK)
                        file_size = <uint64_t>os_file_size(fd)
                    jdata = _pread_bytes(fd, file_size, 0)
                finally:
                    os.close(fd)
                jsize = len(jdata) & ~7
                off = 0
            p = <const unsigned char*>PyBytes_AS_STRING(jdata)
            while True:
                hit = _scan_higher(p, jsize, off, expected - 1)   # lsn >= expected
                if hit < 0:
                    break
                off = <uint64_t>hit
                if load64(p + off + 24) >= expected:     # (W7) the missing record had been durable
                    raise CorruptionError(
                        "WAL corruption: the record for LSN %d at %s offset %d is missing or damaged, but "
                        "the record for LSN %d at %s offset %d shows LSNs up to %d were durable"
                        % (expected, bad_path, end_off, load64(p + off + 8),
                           os.path.join(d, segment_name(segs[j])), off, load64(p + off + 24)))
                rec = _record_size(load32(p + off))
                discarded_records += 1
                off += rec
                if j == bad_i:
                    discard_end = off
            j += 1

        # The damaged record itself, when its header names `expected` (a torn write of it), is discarded too.
        # Anything else at the end (zeros, stale records of a recycled segment (W8), other debris) holds no
        # valid record >= expected and is simply overwritten by the next appends.
        p = <const unsigned char*>PyBytes_AS_STRING(data)
        if end_off + WAL_HEADER_SIZE <= size and load64(p + end_off + 8) == expected:
            rec = _record_size(load32(p + end_off))
            if rec > size - end_off:
                rec = size - end_off
            if end_off + rec > discard_end:
                discard_end = end_off + rec
        truncated = file_size < self.segment_bytes       # a cut-short file: extend it to a full segment
        if (truncated and discard_end == end_off and end_off == file_size and bad_i + 1 == len(segs)):
            # The log ends exactly where the last file does: a clean close released the preallocation
            # (close(release_space=True)), nothing was discarded. Appends re-extend it (_roll, W5).
            truncated = False
        if discard_end > end_off:
            # A crash left debris here: zero the rest of the segment (up to its last non-zero byte), so no
            # torn remnant of this era can later sit where the log ends and be reported again.
            discard_end = _nonzero_end(p, size, discard_end)

        removed = [segment_name(s) for s in segs[bad_i + 1:]]
        if discard_end > end_off or removed or truncated:
            self._recovered_tail = {
                "segment": segment_name(segs[bad_i]), "offset": end_off, "lsn": expected,
                "discarded_bytes": (file_size if truncated else discard_end) - end_off,
                "discarded_records": discarded_records, "removed_segments": removed,
            }
            fill_to = self.segment_bytes if truncated else discard_end
            fd = _open_rw(bad_path)
            try:
                _zero_fill(fd, end_off, fill_to)         # (W7) nothing valid >= expected remains here
                _datasync(fd)
            finally:
                os.close(fd)
            for name in removed:
                os.unlink(os.path.join(d, name))
            if removed:
                os_fsync_dir(d)
            if fill_to > file_size:
                file_size = fill_to

        # Step 4: make recovered records durable, then take the end segment as the current one.
        self._fd = _open_rw(bad_path)
        for s in segs[:bad_i + 1]:
            if seg_last[s] > max_claimed and seg_last[s] >= s:
                if s == segs[bad_i]:
                    _datasync(self._fd)
                else:
                    fd = os.open(os.path.join(d, segment_name(s)), os.O_RDONLY)
                    try:
                        _datasync(fd)
                    finally:
                        os.close(fd)
        self._segments = list(segs[:bad_i + 1])
        self._seg_first = segs[bad_i]
        self._seg_size = file_size & ~(<uint64_t>7)
        self._write_off = end_off
        self._first_lsn = segs[0]
        self._last_lsn = expected - 1
        self._synced_lsn = expected - 1                  # (W3) true after the datasyncs above

        # Step 5: a log that ends before start_lsn - 1 holds only records the caller no longer needs.
        if self._last_lsn + 1 < start_lsn:
            if self.archive and self._last_lsn >= self._first_lsn:
                raise EngineError("WAL %s ends at LSN %d but must continue from LSN %d; archive mode will "
                                  "not discard it" % (d, self._last_lsn, start_lsn - 1))
            os.close(self._fd)
            self._fd = -1
            for s in self._segments:
                os.unlink(os.path.join(d, segment_name(s)))
            os_fsync_dir(d)
            self._recovered_tail = {
                "segment": segment_name(self._seg_first), "offset": self._write_off,
                "lsn": self._last_lsn + 1,
                "discarded_bytes": 0, "discarded_records": self._last_lsn + 1 - self._first_lsn,
                "removed_segments": [segment_name(s) for s in self._segments], "skipped_to_lsn": start_lsn,
            }
            self._start_fresh(start_lsn)
        return 0

    # ---- life cycle and introspection --------------------------------------------------------------------

    def close(self, bint release_space=False, lsn_t checkpointed_lsn=0):
        """Sync (unless poisoned), stop the flusher, close descriptors. Idempotent.

        release_space=True (a clean shutdown) also gives back the disk space the log holds only for speed:
        the free and spare segments are removed and the current segment's preallocation is cut off; and
        when the caller has checkpointed every record (checkpointed_lsn >= last_lsn, not archive mode),
        the records too: the log becomes one empty segment named last_lsn + 1 (see _release_space). Without
        it nothing is truncated."""
        if self._closed:
            return
        if self._thread is not None:
            self._stop.set()
            pthread_mutex_lock(&self._mu)                # (W11) the GIL-free rounds stop after their sleep
            self._flusher_stop = True
            pthread_mutex_unlock(&self._mu)
            if self._thread is not threading.current_thread():
                self._thread.join()
            self._thread = None
        if self._spare_thread is not None:
            self._spare_thread.join()
            self._spare_thread = None
        err = None
        if not self._poisoned and self._synced_lsn < self._last_lsn:
            try:
                self._sync_round(self._last_lsn, True)
            except (OSError, EngineError) as e:
                err = e
        with nogil:
            pthread_mutex_lock(&self._mu)
            while self._syncing:                         # (W4) nobody may be in fdatasync on our fds
                pthread_cond_wait(&self._cv, &self._mu)
            self._closed = True
            pthread_cond_broadcast(&self._cv)
            pthread_mutex_unlock(&self._mu)
        pending = self._pending_fds
        self._set_pending([])                            # forgotten before closed (os.close drops the GIL)
        for _, pfd in pending:
            try:
                os.close(pfd)
            except OSError:
                pass
        try:
            if release_space and err is None and not self._poisoned and self._fd >= 0:
                self._release_space(checkpointed_lsn)
        finally:
            if self._fd >= 0:
                fd = self._fd
                self._fd = -1                            # forgotten first: a failing close must not close it again
                os.close(fd)
        if err is not None:
            raise err

    cdef int _release_space(self, lsn_t checkpointed_lsn) except -1:
        """close(release_space=True), after the final sync; every step leaves a log that recovers the same
        records (W1, W9): a crash in the middle of it loses nothing the caller still needs."""
        cdef lsn_t nxt = self._last_lsn + 1
        d = self.dirpath
        removed = False
        for path in self._free:                          # not part of the log
            try:
                os.unlink(path)
                removed = True
            except FileNotFoundError:
                pass
        self._free = []
        if self.archive or checkpointed_lsn < self._last_lsn:
            # The records stay: cut the zeros after them (recovery takes the short segment as is).
            if self._write_off < self._seg_size:
                os.ftruncate(self._fd, <int64_t>self._write_off)
                _datasync(self._fd)
        else:
            # The records are checkpointed: the log becomes one empty segment named nxt. It is in place
            # (durably) before any old segment goes, and those go oldest first, each removal durable before
            # the next (W9); recovery of any intermediate state ends the log at LSN nxt - 1.
            older = list(self._segments)
            if self._seg_first == nxt:                   # the current segment is already empty
                older.pop()
                os.ftruncate(self._fd, 0)
                _datasync(self._fd)
            else:
                fd = os.open(os.path.join(d, segment_name(nxt)),
                             os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o644)
                os.close(fd)
                os_fsync_dir(d)
            for s in older:
                os.unlink(os.path.join(d, segment_name(s)))
                os_fsync_dir(d)
                removed = False
            self._segments = [nxt]
            self._seg_first = self._first_lsn = nxt
            self._seg_size = self._write_off = 0
        if removed:
            os_fsync_dir(d)
        return 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def last_lsn(self):
        """LSN of the newest appended record (0 = none)."""
        return self._last_lsn

    @property
    def first_lsn(self):
        """Oldest LSN records() can read."""
        return self._first_lsn

    @property
    def synced_lsn(self):
        """Every record with LSN <= this is on stable storage (W3)."""
        return self._synced_lsn

    @property
    def poisoned(self):
        return self._poisoned

    @property
    def closed(self):
        return self._closed

    def stats(self):
        return {
            "sync_mode": self.sync_mode,
            "archive": self.archive,
            "segment_bytes": self.segment_bytes,
            "first_lsn": self._first_lsn,
            "last_lsn": self._last_lsn,
            "synced_lsn": self._synced_lsn,
            "retired_lsn": self._retired_lsn,
            "segments": len(self._segments),
            "current_segment": segment_name(self._seg_first),
            "write_offset": self._write_off,
            "free_segments": len(self._free),
            "appends": self._n_appends,
            "bytes_appended": self._n_bytes,
            "syncs": self._n_syncs,
            "segments_created": self._n_segments_created,
            "segments_recycled": self._n_segments_recycled,
            "poisoned": self._poisoned,
            "recovered_tail": self._recovered_tail,
            "retention": self.retention,
            "trimmed_segments": self._n_trimmed,
        }


# ---- records() ---------------------------------------------------------------------------------------------

cdef class _Reader:
    """Iterator behind Wal.records(): reads segment files with pread, 1 MiB at a time (W10)."""
    cdef Wal _wal            # the log (for last_lsn, closed)
    cdef lsn_t _expected     # LSN of the next record to read
    cdef lsn_t _from         # first LSN to yield
    cdef lsn_t _seg          # first LSN of the segment being read
    cdef str _path           # its path
    cdef int _fd             # its read-only descriptor, -1 = none
    cdef uint64_t _size      # its size rounded down to 8
    cdef uint64_t _off       # offset of the next record in it
    cdef bytes _chunk        # cached bytes of the segment ...
    cdef uint64_t _chunk_off #   ... starting at this offset

    def __cinit__(self, Wal wal, lsn_t seg, lsn_t from_lsn, uint64_t off):
        self._wal = wal
        self._fd = -1
        self._from = from_lsn
        self._open(seg)
        if off:                                          # a position hint: the record from_lsn goes here
            self._off = off
            self._expected = from_lsn

    def __dealloc__(self):
        if self._fd >= 0:
            try:
                os.close(self._fd)
            except OSError:
                pass

    cdef int _open(self, lsn_t seg) except -1:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self._seg = seg
        self._expected = seg
        self._path = os.path.join(self._wal.dirpath, segment_name(seg))
        try:
            self._fd = os.open(self._path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            raise EngineError("WAL segment %s was retired while records() was reading it"
                              % self._path) from None
        with nogil:
            os_no_readahead(self._fd)                    # (ZERO_CHUNK) it may be the segment appends go to
            self._size = <uint64_t>os_file_size(self._fd) & ~(<uint64_t>7)
        self._off = 0
        self._chunk = b""
        self._chunk_off = 0
        return 0

    cdef const unsigned char* _window(self, uint64_t n, bint fresh) except? NULL:
        """Bytes [off, off + n) of the segment (n <= size - off), from the cache unless `fresh`."""
        cdef uint64_t want
        if (fresh or self._off < self._chunk_off
                or self._off + n > self._chunk_off + <uint64_t>len(self._chunk)):
            want = n if n > 1048576 else 1048576
            if want > self._size - self._off:
                want = self._size - self._off
            self._chunk = _pread_bytes(self._fd, want, <int64_t>self._off)
            self._chunk_off = self._off
        return <const unsigned char*>PyBytes_AS_STRING(self._chunk) + (self._off - self._chunk_off)

    cdef bint _valid_here(self, bint fresh) except -1:
        cdef const unsigned char* p
        cdef uint64_t n
        if self._off + WAL_HEADER_SIZE > self._size:
            return False
        p = self._window(WAL_HEADER_SIZE, fresh)
        n = load32(p)
        if load64(p + 8) != self._expected or n > self._size - self._off - WAL_HEADER_SIZE:
            return False
        p = self._window(WAL_HEADER_SIZE + n, False)
        return _valid_at(p, WAL_HEADER_SIZE + n, 0, self._expected)

    def __iter__(self):
        return self

    def __next__(self):
        cdef const unsigned char* p
        cdef uint64_t n
        cdef lsn_t lsn
        while True:
            if self._wal._closed:
                raise ClosedError("the WAL is closed")
            if self._expected > self._wal._last_lsn:
                raise StopIteration
            # Records <= last_lsn are fully written (W10); a stale cached chunk gets one fresh re-read.
            if not (self._valid_here(False) or self._valid_here(True)):
                nxt = os.path.join(self._wal.dirpath, segment_name(self._expected))
                if os.path.exists(nxt):                  # this segment ended; the log continues there
                    self._open(self._expected)
                    continue
                if not os.path.exists(self._path):
                    raise EngineError("WAL segment %s was retired while records() was reading it"
                                      % self._path)
                raise CorruptionError("WAL corruption: the record for LSN %d at %s offset %d is damaged"
                                      % (self._expected, self._path, self._off))
            p = self._window(WAL_HEADER_SIZE, False)
            n = load32(p)
            p = self._window(WAL_HEADER_SIZE + n, False)
            lsn = self._expected
            self._off += _record_size(n)
            self._expected += 1
            if lsn < self._from:
                continue
            hints = self._wal._pos_hint
            if len(hints) >= 4096:
                hints.clear()
            hints[self._expected] = (self._seg, self._off)
            return (lsn, <int64_t>load64(p + 16), p[WAL_HEADER_SIZE:WAL_HEADER_SIZE + n])
