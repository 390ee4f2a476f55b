# wal.pxd: the write-ahead log's design sheet (format, recovery and invariants W1..: see wal.pyx's header).
#
# A Wal owns one directory of segment files `%016x.wal` (named by the first LSN they hold). Appends are
# serialised by the caller (the Database's write lock); sync_to() may be called from any thread and shares
# one fdatasync among everyone waiting (group commit). The GIL guards the Wal's fields; what runs without it
# is zero-filling, pread and fdatasync on descriptors the Wal keeps open until no syncer can use them,
# sync_to waiters sleeping on _cv, and the normal-mode flusher's rounds (W11) (the fields they read are also
# written under _mu).
from libc.stdint cimport uint32_t, uint64_t, int64_t
from pyddb._engine._types cimport lsn_t

cdef extern from "<pthread.h>" nogil:
    ctypedef struct pthread_mutex_t:
        pass
    ctypedef struct pthread_cond_t:
        pass
    int pthread_mutex_init(pthread_mutex_t* m, const void* attr)
    int pthread_mutex_destroy(pthread_mutex_t* m)
    int pthread_mutex_lock(pthread_mutex_t* m)
    int pthread_mutex_unlock(pthread_mutex_t* m)
    int pthread_cond_init(pthread_cond_t* c, const void* attr)
    int pthread_cond_destroy(pthread_cond_t* c)
    int pthread_cond_wait(pthread_cond_t* c, pthread_mutex_t* m)
    int pthread_cond_broadcast(pthread_cond_t* c)

# Record header size: u32 length | u32 checksum | u64 lsn | i64 ts_ns | u64 synced_lsn.
cdef enum:
    WAL_HEADER_SIZE = 32

cdef class Wal:
    cdef readonly str dirpath          # the segment directory (absolute)
    cdef readonly str sync_mode        # "full" | "normal" | "off", as given to the constructor
    cdef readonly bint archive         # True: retire() keeps segments (records() can read them)
    cdef readonly uint64_t segment_bytes  # size of a new segment (a larger record gets one sized to fit)
    cdef int _mode                     # 0 = off, 1 = normal, 2 = full

    # ---- current segment: where the next record goes (changed only by append/roll, GIL held) ----------
    cdef int _fd                       # O_RDWR descriptor of the current segment; -1 once closed
    cdef lsn_t _seg_first              # first LSN of the current segment (its file name)
    cdef uint64_t _seg_size            # capacity of the current segment in bytes (multiple of 8)
    cdef uint64_t _write_off           # offset of the next record in the current segment (multiple of 8)
    cdef list _segments                # first LSNs (int) of every live segment, ascending; last = current

    # ---- LSNs ---------------------------------------------------------------------------------------------
    cdef lsn_t _last_lsn               # LSN of the newest appended record (in the page cache); 0 = none
    cdef lsn_t _synced_lsn             # (W3) every record <= this is on stable storage
    cdef lsn_t _first_lsn              # oldest LSN records() can read (first LSN of the oldest live segment)
    cdef lsn_t _retired_lsn            # highest upto_lsn given to retire()

    # ---- group commit (W4) ----------------------------------------------------------------------------
    # _syncing, _synced_lsn, _poisoned and _closed are written with both the GIL and _mu held, and read with
    # either; waiters sleep on _cv without the GIL. Code holding _mu never takes the GIL.
    cdef pthread_mutex_t _mu           # guards the syncer hand-off and the wake-up of waiters
    cdef pthread_cond_t _cv            # broadcast when a sync round ends, on poison and on close
    cdef bint _syncing                 # a thread holds the syncer role (is inside fdatasync, GIL released)
    cdef list _pending_fds             # descriptors of older segments whose records may not be synced yet;
                                       #   the next syncer datasyncs and closes them (only it touches them)
    # ---- state -------------------------------------------------------------------------------------------
    cdef bint _poisoned                # (W6) a write or sync failed: append/sync_to raise PoisonedError
    cdef object _poison_cause          # the OSError that poisoned the log (chained into PoisonedError)
    cdef bint _closed                  # close() ran: every call raises ClosedError
    cdef list _free                    # paths of retired segments kept for recycling (non-archive mode, <= 2)
    cdef object _stop                  # threading.Event that stops the normal-mode flusher thread
    cdef object _thread                # the normal-mode flusher thread, or None
    cdef object _spare_thread          # the thread zero-filling a spare segment, or None (joined by close)
    cdef dict _recovered_tail          # what recovery discarded at open (None when the log ended cleanly)

    # ---- archive retention (archive mode only; see RETENTION in wal.pyx) -------------------------------
    cdef object _keep_ns               # None = keep by age forever; else keep records younger than this
    cdef object _keep_lsn              # None = no LSN floor; else keep records with LSN >= this
    cdef dict _seg_ts                  # segment first LSN -> ts_ns of its first record (cache for trim)
    cdef dict _pos_hint                # LSN -> (segment, offset) where records() last found it (seek cache)
    cdef uint64_t _n_trimmed           # archived segments removed by trim since open

    # ---- record buffer (reused by append) ------------------------------------------------------------
    cdef unsigned char* _buf           # malloc'd staging buffer for one record
    cdef size_t _buf_cap               # bytes allocated at _buf

    # ---- counters for stats() ---------------------------------------------------------------------------
    cdef uint64_t _n_appends           # records appended since open
    cdef uint64_t _n_bytes             # record bytes (header + payload + pad) appended since open
    cdef uint64_t _n_syncs             # fdatasync calls made by group commit / flusher / roll since open
    cdef uint64_t _n_segments_created  # segments created (zero-filled) since open
    cdef uint64_t _n_segments_recycled # segments reused by rename since open
    cdef object __weakref__            # lets the flusher thread hold the Wal weakly
    # (W11) what the flusher's GIL-free rounds read and write, all under _mu: _last_lsn and _fd are also
    # written under _mu by append/roll, and the number of _pending_fds is kept here
    cdef int _npending                 # len(_pending_fds)
    cdef bint _flusher_stop            # close() asks the flusher to stop (seen after its current sleep)
    cdef int _flush_errno              # errno of a failed GIL-free fdatasync (the poison's cause)

    # Append one record holding payload[0:n]; one pwrite, GIL held. Returns its LSN (W1). Raises
    # PoisonedError/ClosedError, OSError (a failed record write poisons; a failed segment creation does not).
    cdef lsn_t append_raw(self, const unsigned char* payload, Py_ssize_t n) except 0
    # Group commit (W3, W4): return when every record <= lsn is durable.
    cdef int sync_lsn(self, lsn_t lsn) except -1

    cdef int _check_usable(self) except -1
    cdef int _poison(self, object cause) except -1
    cdef int _roll(self, uint64_t rec_size) except -1
    cdef int _sync_round(self, lsn_t lsn, bint wait) except -1
    cdef int _swap_fd(self, int fd) except -1
    cdef int _set_pending(self, list pending) except -1
    cdef int _flush_round(self) noexcept nogil
    cdef int _flush_loop(self, double seconds) noexcept nogil
    cdef int _recover(self, lsn_t start_lsn) except -1
    cdef int _start_fresh(self, lsn_t start_lsn) except -1
    cdef int _ensure_buf(self, size_t n) except -1
    cdef bint _take_free_as_current(self, str src) except -1
    cdef int _start_spare(self, lsn_t name) except -1
    cdef int _release_space(self, lsn_t checkpointed_lsn) except -1
    cdef int _remove_oldest(self) except -1
    cdef object _first_ts(self, lsn_t seg)
    cdef object _keep_ts_bound(self)
