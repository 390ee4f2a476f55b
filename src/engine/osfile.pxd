# osfile.pxd: the only engine code that makes I/O syscalls (open, LOCK, pread/pwrite, fsync, mmap, rename).
#
# Every function returns 0 on success; on failure it raises OSError (errno set) with the GIL held and returns
# -1. A process-wide fault hook (set_fault) makes the Nth write or sync fail with a chosen errno so tests can
# prove ENOSPC/EIO handling without a full disk.
from libc.stdint cimport uint64_t, int64_t

cdef int os_pwrite_all(int fd, const void* buf, size_t n, int64_t off) except -1 nogil
cdef int os_pread_all(int fd, void* buf, size_t n, int64_t off) except -1 nogil
# fdatasync (F_FULLFSYNC on macOS): durable data of fd.
cdef int os_datasync(int fd) except -1 nogil
# The same for a caller without the GIL (the WAL flusher): returns 0 or the errno; raises nothing.
cdef int os_datasync_errno(int fd) noexcept nogil
# fsync of a directory, so a create/rename/unlink inside it is durable.
cdef int os_fsync_dir(str path) except -1
# Make fd exactly `size` bytes long (ftruncate).
cdef int os_truncate(int fd, int64_t size) except -1 nogil
cdef int64_t os_file_size(int fd) except -1 nogil
# Advice, never an error: reads through fd fetch only what they ask for (posix_fadvise POSIX_FADV_RANDOM,
# where it exists). The WAL reads its segments so: readahead fills the page cache with large folios, and every
# later small append into one of them costs more (wal.pyx ZERO_CHUNK).
cdef void os_no_readahead(int fd) noexcept nogil
# mmap `length` bytes of fd read-only and shared; *out receives the address.
cdef int os_mmap_read(int fd, size_t length, void** out) except -1 nogil
cdef int os_munmap(void* addr, size_t length) except -1 nogil
