# osfile.pyx: syscalls, the LOCK file, atomic file replacement, and the fault hook.
#
# CONTRACT
#   (O1) os_pwrite_all/os_pread_all loop until all bytes moved; a short write that cannot continue is an error.
#   (O2) os_datasync is fdatasync on Linux and fcntl(F_FULLFSYNC) on macOS: when it returns 0, the bytes are on
#        stable storage. When it fails the caller must assume written data is lost (no retry: see PoisonedError).
#   (O3) replace_file(path, data) = write tmp, datasync tmp, rename over path, fsync directory: after it returns
#        the new contents are durable, and a crash at any instant leaves either the old or the new file.
#   (O4) The fault hook counts calls per kind ("write" = pwrite, "sync" = datasync/fsync_dir) process-wide;
#        when the count of the armed kind reaches N, that call fails with the armed errno, and so does every
#        later call of the kind while `sticky` is set (a full disk stays full until clear_fault()).
import errno as _errno
import os

from libc.errno cimport errno, EINTR
from libc.stdint cimport uint64_t, int64_t
from posix.unistd cimport pwrite, pread, fsync, ftruncate, close
from posix.fcntl cimport open as c_open, O_RDONLY
from posix.stat cimport struct_stat, fstat
from posix.mman cimport mmap, munmap, PROT_READ, MAP_SHARED, MAP_FAILED

cdef extern from "<unistd.h>" nogil:
    int fdatasync(int fd)

cdef extern from *:
    """
    #if defined(__APPLE__)
    #include <fcntl.h>
    static int pyddb_datasync(int fd) { if (fcntl(fd, F_FULLFSYNC) == 0) return 0; return fsync(fd); }
    #else
    #include <unistd.h>
    static int pyddb_datasync(int fd) { return fdatasync(fd); }
    #endif
    #include <fcntl.h>
    #if defined(POSIX_FADV_RANDOM)
    static void pyddb_no_readahead(int fd) { (void)posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM); }
    #else
    static void pyddb_no_readahead(int fd) { (void)fd; }
    #endif
    """
    int pyddb_datasync(int fd) nogil
    void pyddb_no_readahead(int fd) nogil

# ---- fault hook (tests only) -------------------------------------------------------------------------------
cdef int _fault_kind = 0        # 0 = off, 1 = write, 2 = sync
cdef long _fault_after = 0      # calls of that kind that still succeed
cdef int _fault_errno = 0
cdef bint _fault_sticky = False
cdef long _count_write = 0
cdef long _count_sync = 0


def set_fault(str kind, long after, int err=_errno.EIO, bint sticky=False):
    """Arm the fault hook: the call of `kind` ("write" or "sync") after `after` more successful ones fails with
    `err`; with sticky=True every later one fails too until clear_fault()."""
    global _fault_kind, _fault_after, _fault_errno, _fault_sticky
    if kind not in ("write", "sync"):
        raise ValueError("kind must be 'write' or 'sync'")
    _fault_kind = 1 if kind == "write" else 2
    _fault_after = after
    _fault_errno = err
    _fault_sticky = sticky


def clear_fault():
    global _fault_kind
    _fault_kind = 0


def io_counts():
    """(writes, syncs) made through this module since the process started."""
    return _count_write, _count_sync


cdef inline int _fault(int kind) noexcept nogil:
    # Returns the errno to fail with, or 0.
    global _fault_after, _fault_kind
    if _fault_kind != kind:
        return 0
    if _fault_after > 0:
        _fault_after -= 1
        return 0
    if not _fault_sticky:
        _fault_kind = 0
    return _fault_errno


cdef void os_no_readahead(int fd) noexcept nogil:
    pyddb_no_readahead(fd)


cdef int _raise_errno(int err, str what) except -1:
    raise OSError(err, "%s: %s" % (what, os.strerror(err)))


cdef int os_pwrite_all(int fd, const void* buf, size_t n, int64_t off) except -1 nogil:
    global _count_write
    cdef const char* p = <const char*>buf
    cdef ssize_t w
    cdef int err
    _count_write += 1
    err = _fault(1)
    if err:
        with gil:
            _raise_errno(err, "pwrite")
    while n > 0:
        w = pwrite(fd, p, n, off)
        if w < 0:
            if errno == EINTR:
                continue
            err = errno
            with gil:
                _raise_errno(err, "pwrite")
        if w == 0:
            with gil:
                _raise_errno(_errno.EIO, "pwrite wrote nothing")
        p += w
        n -= <size_t>w
        off += w
    return 0


cdef int os_pread_all(int fd, void* buf, size_t n, int64_t off) except -1 nogil:
    cdef char* p = <char*>buf
    cdef ssize_t r
    cdef int err
    while n > 0:
        r = pread(fd, p, n, off)
        if r < 0:
            if errno == EINTR:
                continue
            err = errno
            with gil:
                _raise_errno(err, "pread")
        if r == 0:
            with gil:
                _raise_errno(_errno.EIO, "pread past end of file")
        p += r
        n -= <size_t>r
        off += r
    return 0


cdef int os_datasync_errno(int fd) noexcept nogil:
    global _count_sync
    cdef int err
    _count_sync += 1
    err = _fault(2)
    if err == 0 and pyddb_datasync(fd) != 0:
        err = errno
    return err


cdef int os_datasync(int fd) except -1 nogil:
    cdef int err = os_datasync_errno(fd)
    if err:
        with gil:
            _raise_errno(err, "fdatasync")
    return 0


cdef int os_fsync_dir(str path) except -1:
    global _count_sync
    cdef int fd, rc, err
    _count_sync += 1
    err = _fault(2)
    if err:
        _raise_errno(err, "fsync(dir)")
    fd = os.open(path, os.O_RDONLY)
    try:
        with nogil:
            rc = fsync(fd)
            err = errno
        if rc != 0 and err not in (_errno.EINVAL, _errno.EBADF):   # some filesystems refuse dir fsync
            _raise_errno(err, "fsync(dir)")
    finally:
        os.close(fd)
    return 0


cdef int os_truncate(int fd, int64_t size) except -1 nogil:
    cdef int err
    if ftruncate(fd, size) != 0:
        err = errno
        with gil:
            _raise_errno(err, "ftruncate")
    return 0


cdef int64_t os_file_size(int fd) except -1 nogil:
    cdef struct_stat st
    cdef int err
    if fstat(fd, &st) != 0:
        err = errno
        with gil:
            _raise_errno(err, "fstat")
    return st.st_size


cdef int os_mmap_read(int fd, size_t length, void** out) except -1 nogil:
    cdef void* p
    cdef int err
    p = mmap(NULL, length, PROT_READ, MAP_SHARED, fd, 0)
    if p == MAP_FAILED:
        err = errno
        with gil:
            _raise_errno(err, "mmap")
    out[0] = p
    return 0


cdef int os_munmap(void* addr, size_t length) except -1 nogil:
    cdef int err
    if munmap(addr, length) != 0:
        err = errno
        with gil:
            _raise_errno(err, "munmap")
    return 0


# ---- Python-level helpers (catalog files, LOCK) ------------------------------------------------------------

def pwrite_all(int fd, const unsigned char[::1] data, int64_t off):
    with nogil:
        os_pwrite_all(fd, &data[0] if data.shape[0] else NULL, data.shape[0], off)


def datasync(int fd):
    with nogil:
        os_datasync(fd)


def fsync_dir(str path):
    os_fsync_dir(path)


def replace_file(str path, bytes data):
    """(O3) Atomically and durably replace `path` with `data`."""
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        pwrite_all(fd, data, 0)
        datasync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    os_fsync_dir(os.path.dirname(os.path.abspath(path)))


class FileLock:
    """An exclusive advisory lock on DIR/LOCK held for the life of a Database (fcntl.flock; msvcrt on Windows).

    flock locks belong to the open file description, so a second Database in the same process is refused too.
    """

    def __init__(self, str directory):
        from .errors import LockedError
        self.path = os.path.join(directory, "LOCK")
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            import fcntl
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as e:
                raise LockedError(
                    "database directory %r is already open in another process or Database object" % directory
                ) from e
        except ImportError:                                            # pragma: no cover (Windows)
            import msvcrt
            try:
                msvcrt.locking(self.fd, msvcrt.LK_NBLCK, 1)
            except OSError as e:
                raise LockedError("database directory %r is already open" % directory) from e
        except BaseException:
            os.close(self.fd)
            raise
        os.ftruncate(self.fd, 0)
        os.write(self.fd, ("%d\n" % os.getpid()).encode())

    def release(self):
        if self.fd >= 0:
            os.close(self.fd)        # closing the descriptor drops the flock
            self.fd = -1
