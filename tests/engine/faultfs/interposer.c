/* faultfs interposer: an LD_PRELOAD library that records, for every change a process makes to files under
 * one directory, what it would take to undo that change, so a test can later simulate a power loss.
 *
 * WHAT IT DOES
 *   Before each write to a file under $PYDDB_FAULTFS_DIR it appends an undo entry to $PYDDB_FAULTFS_LOG: the
 *   file (dev, inode, path), the offset and length written, the file's size before, and the bytes the write
 *   overwrites (read with pread). fsync/fdatasync (and msync(MS_SYNC) of a shared file mapping) append a SYNC
 *   record: every earlier entry of that file (in that byte range, for msync) is durable. Namespace changes
 *   (create, rename, unlink, mkdir, rmdir) are recorded too, and become durable with an fsync of the
 *   directory they changed. A file that a rename replaces or an unlink removes is first hard-linked into
 *   $PYDDB_FAULTFS_STASH so it can be put back. The Python side (faultfs/__init__.py) reads the log and undoes
 *   the non-durable entries, newest first, dropping or tearing each one.
 *
 *   The log is written with the real syscalls (never intercepted), each record in one write(2) *before* the
 *   change it describes is made; a record cut short by a kill is ignored by the reader (its change never
 *   happened). A SYNC record is written after the real fsync returns and names the sequence number taken
 *   before the fsync began: only entries older than that are covered.
 *
 * CRASHING
 *   PYDDB_CRASH_AFTER=N     the Nth tracked call (1-based) kills the process with SIGKILL instead of running
 *   PYDDB_CRASH_WHEN=after  ... or right after the Nth call has run (and its SYNC record is written)
 *   PYDDB_CRASH_PROB=p      each tracked call kills the process with probability p (PYDDB_CRASH_SEED seeds it)
 *   A "tracked call" is any intercepted call that touches a path under the directory.
 *
 * FAILING SYNCS (instead of, or before, crashing)
 *   PYDDB_FAIL_SYNC_AFTER=N the Nth tracked sync (fsync, fdatasync, msync(MS_SYNC), directory fsync) returns
 *                           -1 with errno PYDDB_FAIL_ERRNO (default EIO) without syncing, and logs SYNCFAIL;
 *   PYDDB_FAIL_SYNC_STICKY=1 ... and so does every later one.
 *   As on Linux after a writeback error, the writes a failed sync covered are never durable, even if a later
 *   sync succeeds (the reader treats SYNCFAIL so: the first sync event covering a write decides).
 *
 * LOG RECORD (little-endian, packed)
 *   OFFSET SIZE  FIELD
 *   0      4     magic 0x31534646 ("FFS1")
 *   4      4     total length of the record, trailer included
 *   8      1     type (REC_*)            9  1  flags (F_*)        10 2 reserved
 *   12     8     seq (monotonic, log order)
 *   20     8     st_dev                  28 8 st_ino
 *   36     8     a     44 8 b      52 8 c            (meaning per type, below)
 *   60     4     len1  64 4 len2   68 4 len3
 *   72     ...   path1 (len1), path2 (len2), data (len3)
 *   end-4  4     trailer 0x21444E45 ("END!")
 *
 *   WRITE   a=offset b=length c=size before; path1; data=old bytes of [offset, min(offset+length, size))
 *           F_SYNCWRITE: the fd had O_SYNC/O_DSYNC, so the write is durable when it returns
 *   TRUNC   a=new size b=old size; path1; data=old bytes of [new, old) when shrinking
 *   SYNC    a=start b=end (-1 = whole file) c=seq limit; path1
 *   DIRSYNC c=seq limit; path1 = the directory
 *   CREATE  path1 (written before the open that may create it; the file did not exist)
 *   RENAME  path1=src path2=dst data=stash path of the replaced dst ("" if none); dev/ino of the moved file
 *   UNLINK  path1; data=stash path (hard link to the removed inode)
 *   MKDIR   path1     RMDIR path1     GSYNC c=seq limit (sync/syncfs: everything older is durable)
 *   SYNCFAIL like SYNC (F_DIR: like DIRSYNC) for a sync that failed: c=seq limit
 *
 * Not intercepted (not used by the engine): copy_file_range, sendfile, fallocate with punch-hole modes,
 * writes through a writable shared mmap (the engine maps files read-only; see docs/engine.md).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#if !defined(__linux__)
#error "faultfs is Linux-only (it reads /proc/self/fd)"
#endif

enum { REC_WRITE = 1, REC_TRUNC, REC_SYNC, REC_DIRSYNC, REC_CREATE, REC_RENAME, REC_UNLINK, REC_MKDIR,
       REC_RMDIR, REC_GSYNC, REC_SYNCFAIL };
enum { F_SYNCWRITE = 1, F_DIR = 2 };
#define MAGIC 0x31534646u
#define TRAILER 0x21444E45u
#define HDR 72

/* ---- real functions ---------------------------------------------------------------------------------- */
static ssize_t (*r_write)(int, const void *, size_t);
static ssize_t (*r_pwrite)(int, const void *, size_t, off_t);
static ssize_t (*r_pwrite64)(int, const void *, size_t, off64_t);
static ssize_t (*r_writev)(int, const struct iovec *, int);
static ssize_t (*r_pwritev)(int, const struct iovec *, int, off_t);
static ssize_t (*r_pwritev64)(int, const struct iovec *, int, off64_t);
static ssize_t (*r_pwritev2)(int, const struct iovec *, int, off_t, int);
static ssize_t (*r_pread)(int, void *, size_t, off_t);
static int (*r_fsync)(int);
static int (*r_fdatasync)(int);
static int (*r_msync)(void *, size_t, int);
static int (*r_rename)(const char *, const char *);
static int (*r_renameat)(int, const char *, int, const char *);
static int (*r_renameat2)(int, const char *, int, const char *, unsigned int);
static int (*r_unlink)(const char *);
static int (*r_unlinkat)(int, const char *, int);
static int (*r_ftruncate)(int, off_t);
static int (*r_ftruncate64)(int, off64_t);
static int (*r_truncate)(const char *, off_t);
static int (*r_fallocate)(int, int, off_t, off_t);
static int (*r_posix_fallocate)(int, off_t, off_t);
static int (*r_open)(const char *, int, ...);
static int (*r_open64)(const char *, int, ...);
static int (*r_openat)(int, const char *, int, ...);
static int (*r_openat64)(int, const char *, int, ...);
static int (*r_creat)(const char *, mode_t);
static int (*r_mkdir)(const char *, mode_t);
static int (*r_mkdirat)(int, const char *, mode_t);
static int (*r_rmdir)(const char *);
static void *(*r_mmap)(void *, size_t, int, int, int, off_t);
static void *(*r_mmap64)(void *, size_t, int, int, int, off64_t);
static int (*r_munmap)(void *, size_t);
static void (*r_sync)(void);
static int (*r_syncfs)(int);

/* ---- state ------------------------------------------------------------------------------------------- */
static pthread_mutex_t g_mu = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
static int g_on;                 /* the directory and log are configured */
static char g_dir[PATH_MAX];     /* realpath of the watched directory */
static size_t g_dirlen;
static int g_logfd = -1;
static char g_stash[PATH_MAX];
static uint64_t g_seq = 1;       /* next record's seq */
static long g_calls;             /* tracked calls so far */
static long g_crash_after;       /* 0 = off */
static int g_crash_when_after;
static double g_crash_prob;
static uint64_t g_rng = 88172645463325252ull;
static long g_syncs;             /* tracked syncs so far */
static long g_fail_sync_after;   /* 0 = off */
static int g_fail_sticky;
static int g_fail_errno = EIO;
static long g_stash_n;

struct mapping { uintptr_t addr; size_t len; uint64_t dev, ino; int64_t off; char path[PATH_MAX]; };
#define MAXMAP 1024
static struct mapping g_maps[MAXMAP];

#define REAL(name) do { if (!r_##name) r_##name = dlsym(RTLD_NEXT, #name); } while (0)

static void resolve_all(void) {
    REAL(write); REAL(pwrite); REAL(pwrite64); REAL(writev); REAL(pwritev); REAL(pwritev64); REAL(pwritev2);
    REAL(pread); REAL(fsync); REAL(fdatasync); REAL(msync); REAL(rename); REAL(renameat); REAL(renameat2);
    REAL(unlink); REAL(unlinkat); REAL(ftruncate); REAL(ftruncate64); REAL(truncate); REAL(fallocate);
    REAL(posix_fallocate); REAL(open); REAL(open64); REAL(openat); REAL(openat64); REAL(creat); REAL(mkdir);
    REAL(mkdirat); REAL(rmdir); REAL(mmap); REAL(mmap64); REAL(munmap); REAL(sync); REAL(syncfs);
}

__attribute__((constructor)) static void faultfs_init(void) {
    resolve_all();
    const char *dir = getenv("PYDDB_FAULTFS_DIR"), *log = getenv("PYDDB_FAULTFS_LOG");
    if (!dir || !log) return;
    if (!realpath(dir, g_dir)) { strncpy(g_dir, dir, PATH_MAX - 1); }
    g_dirlen = strlen(g_dir);
    while (g_dirlen > 1 && g_dir[g_dirlen - 1] == '/') g_dir[--g_dirlen] = 0;
    g_logfd = r_open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (g_logfd < 0) { fprintf(stderr, "faultfs: cannot open log %s: %s\n", log, strerror(errno)); return; }
    const char *stash = getenv("PYDDB_FAULTFS_STASH");
    if (stash) strncpy(g_stash, stash, PATH_MAX - 1);
    else snprintf(g_stash, PATH_MAX, "%s.stash", log);
    r_mkdir(g_stash, 0755);
    const char *s;
    if ((s = getenv("PYDDB_CRASH_AFTER"))) g_crash_after = atol(s);
    if ((s = getenv("PYDDB_CRASH_WHEN"))) g_crash_when_after = strcmp(s, "after") == 0;
    if ((s = getenv("PYDDB_CRASH_PROB"))) g_crash_prob = atof(s);
    if ((s = getenv("PYDDB_CRASH_SEED"))) g_rng ^= (uint64_t)strtoull(s, NULL, 10) * 0x9E3779B97F4A7C15ull;
    if ((s = getenv("PYDDB_FAIL_SYNC_AFTER"))) g_fail_sync_after = atol(s);
    if ((s = getenv("PYDDB_FAIL_SYNC_STICKY"))) g_fail_sticky = atoi(s) != 0;
    if ((s = getenv("PYDDB_FAIL_ERRNO"))) g_fail_errno = atoi(s);
    if (g_rng == 0) g_rng = 1;
    g_on = 1;
}

/* ---- helpers ----------------------------------------------------------------------------------------- */
static int under_dir(const char *p) {
    return g_on && strncmp(p, g_dir, g_dirlen) == 0 && (p[g_dirlen] == 0 || p[g_dirlen] == '/');
}

static int fd_path(int fd, char *out) {
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, out, PATH_MAX - 1);
    if (n < 0) return -1;
    out[n] = 0;
    return 0;
}

/* Absolute, symlink-free path of (dirfd, p) without requiring p's last component to exist. */
static int abs_path(int dirfd, const char *p, char *out) {
    char base[PATH_MAX], dir[PATH_MAX], rdir[PATH_MAX];
    if (!p) return -1;
    if (p[0] == '/') snprintf(base, PATH_MAX, "%s", p);
    else {
        char cwd[PATH_MAX];
        if (dirfd == AT_FDCWD) { if (!getcwd(cwd, PATH_MAX)) return -1; }
        else if (fd_path(dirfd, cwd) != 0) return -1;
        snprintf(base, PATH_MAX, "%s/%s", cwd, p);
    }
    size_t n = strlen(base);
    while (n > 1 && base[n - 1] == '/') base[--n] = 0;
    char *slash = strrchr(base, '/');
    const char *leaf = slash + 1;
    if (slash == base) strcpy(dir, "/");
    else { memcpy(dir, base, (size_t)(slash - base)); dir[slash - base] = 0; }
    if (!realpath(dir, rdir)) snprintf(rdir, PATH_MAX, "%s", dir);
    if (strcmp(rdir, "/") == 0) snprintf(out, PATH_MAX, "/%s", leaf);
    else snprintf(out, PATH_MAX, "%s/%s", rdir, leaf);
    return 0;
}

static int tracked_fd(int fd, char *path) {
    if (!g_on || fd < 0 || fd == g_logfd) return 0;
    if (fd_path(fd, path) != 0) return 0;
    return under_dir(path);
}

static double rng01(void) {
    g_rng ^= g_rng << 13; g_rng ^= g_rng >> 7; g_rng ^= g_rng << 17;
    return (double)(g_rng >> 11) / 9007199254740992.0;
}

/* Count a tracked call; crash here if it is the chosen one (before mode). Returns 1 if the process must
 * crash after the call instead. */
static int tick(void) {
    g_calls++;
    int hit = (g_crash_after > 0 && g_calls == g_crash_after) || (g_crash_prob > 0 && rng01() < g_crash_prob);
    if (hit && !g_crash_when_after) kill(getpid(), SIGKILL);
    return hit;
}

static void crash_now(void) { kill(getpid(), SIGKILL); _exit(137); }

/* Count a tracked sync (caller holds g_mu); 1 if this one must fail. */
static int sync_fails(void) {
    g_syncs++;
    return g_fail_sync_after > 0 &&
           (g_syncs == g_fail_sync_after || (g_fail_sticky && g_syncs > g_fail_sync_after));
}

static void put_u32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_u64(unsigned char *p, uint64_t v) { memcpy(p, &v, 8); }

/* Append one record (caller holds g_mu). Returns its seq. */
static uint64_t log_rec(int type, int flags, uint64_t dev, uint64_t ino, int64_t a, int64_t b, int64_t c,
                        const char *p1, const char *p2, const void *data, size_t dlen) {
    size_t l1 = p1 ? strlen(p1) : 0, l2 = p2 ? strlen(p2) : 0;
    size_t total = HDR + l1 + l2 + dlen + 4;
    unsigned char stackbuf[4096 + 256];
    unsigned char *buf = total <= sizeof stackbuf ? stackbuf : malloc(total);
    if (!buf) { fprintf(stderr, "faultfs: out of memory\n"); crash_now(); }
    uint64_t seq = g_seq++;
    memset(buf, 0, HDR);
    put_u32(buf, MAGIC); put_u32(buf + 4, (uint32_t)total);
    buf[8] = (unsigned char)type; buf[9] = (unsigned char)flags;
    put_u64(buf + 12, seq); put_u64(buf + 20, dev); put_u64(buf + 28, ino);
    put_u64(buf + 36, (uint64_t)a); put_u64(buf + 44, (uint64_t)b); put_u64(buf + 52, (uint64_t)c);
    put_u32(buf + 60, (uint32_t)l1); put_u32(buf + 64, (uint32_t)l2); put_u32(buf + 68, (uint32_t)dlen);
    unsigned char *q = buf + HDR;
    if (l1) { memcpy(q, p1, l1); q += l1; }
    if (l2) { memcpy(q, p2, l2); q += l2; }
    if (dlen) { memcpy(q, data, dlen); q += dlen; }
    put_u32(q, TRAILER);
    size_t done = 0;
    while (done < total) {
        ssize_t w = r_write(g_logfd, buf + done, total - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) { fprintf(stderr, "faultfs: log write failed: %s\n", strerror(errno)); crash_now(); }
        done += (size_t)w;
    }
    if (buf != stackbuf) free(buf);
    return seq;
}

/* Record the undo entry of a write of `len` bytes at `off` (off < 0: current position / append). */
static void log_write(int fd, const char *path, int64_t off, size_t len) {
    struct stat st;
    if (fstat(fd, &st) != 0) return;
    int fl = fcntl(fd, F_GETFL);
    if (off < 0) off = (fl >= 0 && (fl & O_APPEND)) ? (int64_t)st.st_size : (int64_t)lseek(fd, 0, SEEK_CUR);
    int flags = (fl >= 0 && (fl & (O_SYNC | O_DSYNC))) ? F_SYNCWRITE : 0;
    int64_t size = st.st_size, end = off + (int64_t)len;
    size_t oldn = 0;
    unsigned char *old = NULL;
    if (off < size) {
        oldn = (size_t)((end < size ? end : size) - off);
        old = malloc(oldn ? oldn : 1);
        if (!old) crash_now();
        size_t got = 0;
        while (got < oldn) {
            ssize_t r = r_pread(fd, old + got, oldn - got, off + (int64_t)got);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) break;
            got += (size_t)r;
        }
        if (got < oldn) memset(old + got, 0, oldn - got);
    }
    log_rec(REC_WRITE, flags, st.st_dev, st.st_ino, off, (int64_t)len, size, path, NULL, old, oldn);
    free(old);
}

static void log_trunc(int fd, const char *path, int64_t newsize) {
    struct stat st;
    if (fstat(fd, &st) != 0) return;
    size_t oldn = 0;
    unsigned char *old = NULL;
    if (newsize < st.st_size) {
        oldn = (size_t)(st.st_size - newsize);
        old = malloc(oldn);
        if (!old) crash_now();
        size_t got = 0;
        while (got < oldn) {
            ssize_t r = r_pread(fd, old + got, oldn - got, newsize + (int64_t)got);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) break;
            got += (size_t)r;
        }
        if (got < oldn) memset(old + got, 0, oldn - got);
    }
    log_rec(REC_TRUNC, 0, st.st_dev, st.st_ino, newsize, st.st_size, 0, path, NULL, old, oldn);
    free(old);
}

/* Hard-link `path` into the stash so an unlink/replace can be undone; returns the stash path or "". */
static void stash_file(const char *path, char *out) {
    struct stat st;
    out[0] = 0;
    if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode)) return;
    snprintf(out, PATH_MAX, "%s/%ld.%ld", g_stash, (long)getpid(), ++g_stash_n);
    if (link(path, out) != 0) out[0] = 0;
}

/* ---- writes ------------------------------------------------------------------------------------------ */
#define WRITE_LIKE(call_expr, fd, off, len)                                            \
    char path[PATH_MAX];                                                               \
    if (!tracked_fd(fd, path)) return call_expr;                                       \
    pthread_mutex_lock(&g_mu);                                                         \
    int after = tick();                                                                \
    log_write(fd, path, off, len);                                                     \
    ssize_t rv = call_expr;                                                            \
    int e = errno;                                                                     \
    pthread_mutex_unlock(&g_mu);                                                       \
    if (after) crash_now();                                                            \
    errno = e;                                                                         \
    return rv;

static size_t iov_total(const struct iovec *iov, int n) {
    size_t t = 0;
    for (int i = 0; i < n; i++) t += iov[i].iov_len;
    return t;
}

ssize_t write(int fd, const void *buf, size_t n) { REAL(write); WRITE_LIKE(r_write(fd, buf, n), fd, -1, n) }
ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
    REAL(pwrite); WRITE_LIKE(r_pwrite(fd, buf, n, off), fd, off, n)
}
ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off) {
    REAL(pwrite64); WRITE_LIKE(r_pwrite64(fd, buf, n, off), fd, off, n)
}
ssize_t writev(int fd, const struct iovec *iov, int cnt) {
    REAL(writev); WRITE_LIKE(r_writev(fd, iov, cnt), fd, -1, iov_total(iov, cnt))
}
ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off) {
    REAL(pwritev); WRITE_LIKE(r_pwritev(fd, iov, cnt, off), fd, off, iov_total(iov, cnt))
}
ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off64_t off) {
    REAL(pwritev64); WRITE_LIKE(r_pwritev64(fd, iov, cnt, off), fd, off, iov_total(iov, cnt))
}
ssize_t pwritev2(int fd, const struct iovec *iov, int cnt, off_t off, int fl) {
    REAL(pwritev2); WRITE_LIKE(r_pwritev2(fd, iov, cnt, off, fl), fd, off, iov_total(iov, cnt))
}

#define TRUNC_LIKE(call_expr, fd, newsize)                                             \
    char path[PATH_MAX];                                                               \
    if (!tracked_fd(fd, path)) return call_expr;                                       \
    pthread_mutex_lock(&g_mu);                                                         \
    int after = tick();                                                                \
    log_trunc(fd, path, newsize);                                                      \
    int rv = call_expr;                                                                \
    int e = errno;                                                                     \
    pthread_mutex_unlock(&g_mu);                                                       \
    if (after) crash_now();                                                            \
    errno = e;                                                                         \
    return rv;

int ftruncate(int fd, off_t len) { REAL(ftruncate); TRUNC_LIKE(r_ftruncate(fd, len), fd, len) }
int ftruncate64(int fd, off64_t len) { REAL(ftruncate64); TRUNC_LIKE(r_ftruncate64(fd, len), fd, len) }

static int64_t grown_size(int fd, int64_t end) {
    struct stat st;
    if (fstat(fd, &st) != 0) return end;
    return end > st.st_size ? end : st.st_size;
}
int fallocate(int fd, int mode, off_t off, off_t len) {
    REAL(fallocate);
    if (mode & FALLOC_FL_KEEP_SIZE) return r_fallocate(fd, mode, off, len);
    TRUNC_LIKE(r_fallocate(fd, mode, off, len), fd, grown_size(fd, off + len))
}
int posix_fallocate(int fd, off_t off, off_t len) {
    REAL(posix_fallocate); TRUNC_LIKE(r_posix_fallocate(fd, off, len), fd, grown_size(fd, off + len))
}

int truncate(const char *p, off_t len) {
    REAL(truncate); REAL(open);
    char ap[PATH_MAX];
    if (!g_on || abs_path(AT_FDCWD, p, ap) != 0 || !under_dir(ap)) return r_truncate(p, len);
    int fd = r_open(p, O_RDWR | O_CLOEXEC);
    if (fd < 0) return r_truncate(p, len);
    int rv = ftruncate(fd, len);
    int e = errno;
    close(fd);
    errno = e;
    return rv;
}

/* ---- syncs ------------------------------------------------------------------------------------------- */
static int sync_like(int fd, int datasync) {
    char path[PATH_MAX];
    int (*real)(int) = datasync ? r_fdatasync : r_fsync;
    if (!tracked_fd(fd, path)) return real(fd);
    struct stat st;
    if (fstat(fd, &st) != 0) return real(fd);
    int isdir = S_ISDIR(st.st_mode);
    pthread_mutex_lock(&g_mu);
    int after = tick();
    uint64_t limit = g_seq;
    int fail = sync_fails();
    if (fail)
        log_rec(REC_SYNCFAIL, isdir ? F_DIR : 0, st.st_dev, st.st_ino, 0, -1, (int64_t)limit, path, NULL, NULL, 0);
    pthread_mutex_unlock(&g_mu);
    int rv = fail ? -1 : real(fd);
    int e = fail ? g_fail_errno : errno;
    if (rv == 0) {
        pthread_mutex_lock(&g_mu);
        if (isdir) log_rec(REC_DIRSYNC, 0, st.st_dev, st.st_ino, 0, 0, (int64_t)limit, path, NULL, NULL, 0);
        else log_rec(REC_SYNC, 0, st.st_dev, st.st_ino, 0, -1, (int64_t)limit, path, NULL, NULL, 0);
        pthread_mutex_unlock(&g_mu);
    }
    if (after) crash_now();
    errno = e;
    return rv;
}
int fsync(int fd) { REAL(fsync); REAL(fdatasync); return sync_like(fd, 0); }
int fdatasync(int fd) { REAL(fsync); REAL(fdatasync); return sync_like(fd, 1); }

void sync(void) {
    REAL(sync);
    if (!g_on) { r_sync(); return; }
    pthread_mutex_lock(&g_mu);
    uint64_t limit = g_seq;
    pthread_mutex_unlock(&g_mu);
    r_sync();
    pthread_mutex_lock(&g_mu);
    log_rec(REC_GSYNC, 0, 0, 0, 0, 0, (int64_t)limit, NULL, NULL, NULL, 0);
    pthread_mutex_unlock(&g_mu);
}
int syncfs(int fd) {
    REAL(syncfs);
    if (!g_on) return r_syncfs(fd);
    pthread_mutex_lock(&g_mu);
    uint64_t limit = g_seq;
    pthread_mutex_unlock(&g_mu);
    int rv = r_syncfs(fd);
    int e = errno;
    if (rv == 0) {
        pthread_mutex_lock(&g_mu);
        log_rec(REC_GSYNC, 0, 0, 0, 0, 0, (int64_t)limit, NULL, NULL, NULL, 0);
        pthread_mutex_unlock(&g_mu);
    }
    errno = e;
    return rv;
}

/* mmap bookkeeping, so msync(MS_SYNC) can name the file range it makes durable. */
static void note_map(void *addr, size_t len, int flags, int fd, int64_t off) {
    char path[PATH_MAX];
    if (addr == MAP_FAILED || !(flags & MAP_SHARED) || !tracked_fd(fd, path)) return;
    struct stat st;
    if (fstat(fd, &st) != 0) return;
    pthread_mutex_lock(&g_mu);
    for (int i = 0; i < MAXMAP; i++) {
        if (g_maps[i].len == 0) {
            g_maps[i].addr = (uintptr_t)addr; g_maps[i].len = len; g_maps[i].dev = st.st_dev;
            g_maps[i].ino = st.st_ino; g_maps[i].off = off;
            snprintf(g_maps[i].path, PATH_MAX, "%s", path);
            break;
        }
    }
    pthread_mutex_unlock(&g_mu);
}
void *mmap(void *a, size_t len, int prot, int flags, int fd, off_t off) {
    REAL(mmap);
    void *p = r_mmap(a, len, prot, flags, fd, off);
    if (g_on && fd >= 0) { int e = errno; note_map(p, len, flags, fd, off); errno = e; }
    return p;
}
void *mmap64(void *a, size_t len, int prot, int flags, int fd, off64_t off) {
    REAL(mmap64);
    void *p = r_mmap64(a, len, prot, flags, fd, off);
    if (g_on && fd >= 0) { int e = errno; note_map(p, len, flags, fd, off); errno = e; }
    return p;
}
int munmap(void *a, size_t len) {
    REAL(munmap);
    if (g_on) {
        pthread_mutex_lock(&g_mu);
        for (int i = 0; i < MAXMAP; i++)
            if (g_maps[i].len && g_maps[i].addr == (uintptr_t)a) g_maps[i].len = 0;
        pthread_mutex_unlock(&g_mu);
    }
    return r_munmap(a, len);
}
int msync(void *a, size_t len, int flags) {
    REAL(msync);
    if (!g_on || !(flags & MS_SYNC)) return r_msync(a, len, flags);
    uintptr_t lo = (uintptr_t)a, hi = lo + len;
    struct mapping hits[8];
    int nh = 0;
    pthread_mutex_lock(&g_mu);
    for (int i = 0; i < MAXMAP && nh < 8; i++) {
        struct mapping *m = &g_maps[i];
        if (m->len && lo < m->addr + m->len && m->addr < hi) hits[nh++] = *m;
    }
    int after = nh ? tick() : 0;
    uint64_t limit = g_seq;
    int fail = nh ? sync_fails() : 0;
    for (int i = 0; fail && i < nh; i++)
        log_rec(REC_SYNCFAIL, 0, hits[i].dev, hits[i].ino, 0, -1, (int64_t)limit, hits[i].path, NULL, NULL, 0);
    pthread_mutex_unlock(&g_mu);
    int rv = fail ? -1 : r_msync(a, len, flags);
    int e = fail ? g_fail_errno : errno;
    if (rv == 0 && nh) {
        pthread_mutex_lock(&g_mu);
        for (int i = 0; i < nh; i++) {
            uintptr_t s = lo > hits[i].addr ? lo : hits[i].addr;
            uintptr_t t = hi < hits[i].addr + hits[i].len ? hi : hits[i].addr + hits[i].len;
            int64_t fs = hits[i].off + (int64_t)(s - hits[i].addr), fe = hits[i].off + (int64_t)(t - hits[i].addr);
            log_rec(REC_SYNC, 0, hits[i].dev, hits[i].ino, fs, fe, (int64_t)limit, hits[i].path, NULL, NULL, 0);
        }
        pthread_mutex_unlock(&g_mu);
    }
    if (after) crash_now();
    errno = e;
    return rv;
}

/* ---- namespace --------------------------------------------------------------------------------------- */
static int do_rename(int sfd, const char *src, int dfd, const char *dst, int (*call)(void *), void *ctx) {
    char as[PATH_MAX], ad[PATH_MAX], stash[PATH_MAX];
    if (!g_on || abs_path(sfd, src, as) != 0 || abs_path(dfd, dst, ad) != 0 || !(under_dir(as) || under_dir(ad)))
        return call(ctx);
    pthread_mutex_lock(&g_mu);
    int after = tick();
    struct stat st;
    memset(&st, 0, sizeof st);
    lstat(as, &st);
    stash_file(ad, stash);
    log_rec(REC_RENAME, 0, st.st_dev, st.st_ino, 0, 0, 0, as, ad, stash, strlen(stash));
    int rv = call(ctx);
    int e = errno;
    pthread_mutex_unlock(&g_mu);
    if (after) crash_now();
    errno = e;
    return rv;
}
struct rn_ctx { int sfd; const char *s; int dfd; const char *d; unsigned fl; int kind; };
static int rn_call(void *p) {
    struct rn_ctx *c = p;
    if (c->kind == 0) return r_rename(c->s, c->d);
    if (c->kind == 1) return r_renameat(c->sfd, c->s, c->dfd, c->d);
    return r_renameat2(c->sfd, c->s, c->dfd, c->d, c->fl);
}
int rename(const char *s, const char *d) {
    REAL(rename);
    struct rn_ctx c = {AT_FDCWD, s, AT_FDCWD, d, 0, 0};
    return do_rename(AT_FDCWD, s, AT_FDCWD, d, rn_call, &c);
}
int renameat(int sfd, const char *s, int dfd, const char *d) {
    REAL(renameat);
    struct rn_ctx c = {sfd, s, dfd, d, 0, 1};
    return do_rename(sfd, s, dfd, d, rn_call, &c);
}
int renameat2(int sfd, const char *s, int dfd, const char *d, unsigned int fl) {
    REAL(renameat2);
    struct rn_ctx c = {sfd, s, dfd, d, fl, 2};
    return do_rename(sfd, s, dfd, d, rn_call, &c);
}

static int do_unlink(int dirfd, const char *p, int flags) {
    char ap[PATH_MAX], stash[PATH_MAX];
    REAL(unlinkat); REAL(unlink); REAL(rmdir);
    int isdir = (flags & AT_REMOVEDIR) != 0;
#define UNLINK_REAL() (dirfd == AT_FDCWD && !flags ? r_unlink(p) : \
                       (dirfd == AT_FDCWD && isdir ? r_rmdir(p) : r_unlinkat(dirfd, p, flags)))
    if (!g_on || abs_path(dirfd, p, ap) != 0 || !under_dir(ap)) return UNLINK_REAL();
    pthread_mutex_lock(&g_mu);
    int after = tick();
    if (isdir) log_rec(REC_RMDIR, 0, 0, 0, 0, 0, 0, ap, NULL, NULL, 0);
    else {
        stash_file(ap, stash);
        log_rec(REC_UNLINK, 0, 0, 0, 0, 0, 0, ap, NULL, stash, strlen(stash));
    }
    int rv = UNLINK_REAL();
    int e = errno;
    pthread_mutex_unlock(&g_mu);
    if (after) crash_now();
    errno = e;
    return rv;
#undef UNLINK_REAL
}
int unlink(const char *p) { return do_unlink(AT_FDCWD, p, 0); }
int unlinkat(int dirfd, const char *p, int flags) { return do_unlink(dirfd, p, flags); }
int rmdir(const char *p) { return do_unlink(AT_FDCWD, p, AT_REMOVEDIR); }

static int do_mkdir(int dirfd, const char *p, mode_t mode) {
    char ap[PATH_MAX];
    REAL(mkdir); REAL(mkdirat);
#define MKDIR_REAL() (dirfd == AT_FDCWD ? r_mkdir(p, mode) : r_mkdirat(dirfd, p, mode))
    struct stat st;
    if (!g_on || abs_path(dirfd, p, ap) != 0 || !under_dir(ap) || lstat(ap, &st) == 0) return MKDIR_REAL();
    pthread_mutex_lock(&g_mu);
    int after = tick();
    log_rec(REC_MKDIR, 0, 0, 0, 0, 0, 0, ap, NULL, NULL, 0);
    int rv = MKDIR_REAL();
    int e = errno;
    pthread_mutex_unlock(&g_mu);
    if (after) crash_now();
    errno = e;
    return rv;
#undef MKDIR_REAL
}
int mkdir(const char *p, mode_t mode) { return do_mkdir(AT_FDCWD, p, mode); }
int mkdirat(int dirfd, const char *p, mode_t mode) { return do_mkdir(dirfd, p, mode); }

/* open with O_CREAT of a missing file → CREATE; O_TRUNC of an existing non-empty file → TRUNC to 0. */
static int do_open(int dirfd, const char *p, int flags, mode_t mode, int which) {
    char ap[PATH_MAX];
    REAL(open); REAL(open64); REAL(openat); REAL(openat64);
#define OPEN_REAL() (which == 0 ? r_open(p, flags, mode) : which == 1 ? r_open64(p, flags, mode) : \
                     which == 2 ? r_openat(dirfd, p, flags, mode) : r_openat64(dirfd, p, flags, mode))
    if (!g_on || !(flags & (O_CREAT | O_TRUNC)) || abs_path(dirfd, p, ap) != 0 || !under_dir(ap))
        return OPEN_REAL();
    struct stat st;
    int exists = stat(ap, &st) == 0;
    int creating = !exists && (flags & O_CREAT);
    int truncating = exists && S_ISREG(st.st_mode) && (flags & O_TRUNC) && st.st_size > 0 &&
                     (flags & O_ACCMODE) != O_RDONLY;
    if (!creating && !truncating) return OPEN_REAL();
    pthread_mutex_lock(&g_mu);
    int after = tick();
    if (creating) log_rec(REC_CREATE, 0, 0, 0, 0, 0, 0, ap, NULL, NULL, 0);
    else {
        int rfd = r_open(ap, O_RDONLY | O_CLOEXEC);
        if (rfd >= 0) { log_trunc(rfd, ap, 0); close(rfd); }
    }
    int rv = OPEN_REAL();
    int e = errno;
    pthread_mutex_unlock(&g_mu);
    if (after) crash_now();
    errno = e;
    return rv;
#undef OPEN_REAL
}
static mode_t va_mode(int flags, va_list ap) {
    return ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? (mode_t)va_arg(ap, int) : 0;
}
int open(const char *p, int flags, ...) {
    va_list ap; va_start(ap, flags); mode_t m = va_mode(flags, ap); va_end(ap);
    return do_open(AT_FDCWD, p, flags, m, 0);
}
int open64(const char *p, int flags, ...) {
    va_list ap; va_start(ap, flags); mode_t m = va_mode(flags, ap); va_end(ap);
    return do_open(AT_FDCWD, p, flags, m, 1);
}
int openat(int dirfd, const char *p, int flags, ...) {
    va_list ap; va_start(ap, flags); mode_t m = va_mode(flags, ap); va_end(ap);
    return do_open(dirfd, p, flags, m, 2);
}
int openat64(int dirfd, const char *p, int flags, ...) {
    va_list ap; va_start(ap, flags); mode_t m = va_mode(flags, ap); va_end(ap);
    return do_open(dirfd, p, flags, m, 3);
}
int creat(const char *p, mode_t mode) { return do_open(AT_FDCWD, p, O_CREAT | O_WRONLY | O_TRUNC, mode, 0); }
int creat64(const char *p, mode_t mode) { return do_open(AT_FDCWD, p, O_CREAT | O_WRONLY | O_TRUNC, mode, 1); }
