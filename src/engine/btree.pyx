# btree.pyx: the B+tree file of one partition: page format, pager (mmap reads, copy-on-write dirty buffers,
# free lists, checkpoints with two alternating meta pages) and the tree (search, insert, delete, split,
# merge, cursors). One file per partition; keys and values are bytes.
#
# This module owns every byte of the file. It makes no syscall itself: all I/O goes through osfile.
#
# FILE FORMAT
#   The file is an array of pages of a fixed size PS (power of two, 4096..65536) chosen at creation. All
#   integers are big-endian. Pages 0 and 1 are the two meta pages; every other page starts with the common
#   page header. Page n lives at byte offset n * PS.
#
#   Meta page (pages 0 and 1; the rest of the page is zero)
#     OFFSET SIZE DESCRIPTION
#          0    8 magic b"pyddb-bt"
#          8    4 format version (1)
#         12    4 page size PS
#         16    8 generation: number of the checkpoint that wrote this meta; slot = gen % 2
#         24    8 root pgno (0 = empty tree)
#         32    8 next_pgno: file high-water; pages [2, next_pgno) are tree, overflow, free or freelist pages
#         40    8 first freelist page (0 = none)
#         48    8 freelist entry count
#         56    8 entries: number of keys
#         64    8 data bytes: sum of klen + vlen over all keys
#         72    8 checkpoint LSN (opaque to this module)
#         80    4 depth: levels of the tree (0 = empty, 1 = root is a leaf)
#         84    2 user_meta length (<= 512)
#         86    2 reserved (0)
#         88  512 user_meta bytes (opaque to this module), zero padded
#        600    4 checksum32 of bytes [0, 600)
#
#   Page header (every non-meta page; HDR = 40 bytes)
#     OFFSET SIZE DESCRIPTION
#          0    4 checksum32 of bytes [4, PS) of the page, stamped when a checkpoint writes it
#          4    1 type: 1 leaf, 2 branch, 3 overflow, 4 freelist
#          5    1 level: 0 for leaves, children's level + 1 for branches, 0 otherwise
#          6    2 cell count (leaf, branch) or entry count (freelist)
#          8    8 pgno of this page
#         16    8 gen of the checkpoint that wrote this page
#         24    2 content start: lowest byte offset of cell content (0 stands for 65536)
#         26    2 fragmented bytes: free bytes between cells (left by removed cells)
#         28    4 overflow pages: payload bytes on this page
#         32    8 branch: leftmost child pgno; overflow/freelist: next page of the chain (0 = last)
#         40    - leaf/branch: slot array, one u16 cell offset per cell in key order, then free space, then
#                 cell content growing down from the end of the page; overflow: payload; freelist: u64 pgnos
#
#   Leaf cell                              Branch cell
#     OFFSET SIZE DESCRIPTION                OFFSET SIZE DESCRIPTION
#          0    2 klen (1..max_key)               0    2 klen of the separator
#          2    1 flags: bit 0 = overflow         2    8 child pgno (keys >= this separator)
#          3    4 vlen (full value length)       10 klen separator key bytes
#          7 klen key bytes
#     7+klen vlen value bytes (inline), or 8: first overflow pgno
#
#   Overflow page: header (type 3, payload length at 28, next pgno at 32), payload at 40..PS. A value of
#   vlen bytes takes ceil(vlen / (PS - 40)) pages, each full but the last.
#   Freelist page: header (type 4, entry count at 6, next pgno at 32), then count u64 pgnos in ascending order
#   across the chain.
#
# ALGORITHM
#   Reads come from one read-only MAP_SHARED mapping of the file, reserved larger than the file and remapped
#   at checkpoint when the file outgrows it. Writes never go through the mapping: the first change to a page
#   in a checkpoint interval copies it into a malloc'd buffer under a new pgno (dirty[new] = buffer) and puts
#   the old pgno on pending_free; later changes modify the buffer in place. A change to a leaf therefore
#   copies its whole root path once per interval (the path is "touched" top-down, each copy re-pointing its
#   parent). Page checks (checksum, type, pgno, gen) run once per page per open, the first time it is read.
#   Insert: descend to the leaf, touch the path, insert the cell; a full page splits by bytes (50/50, or
#   90/10 when the new cell goes at the page's end, 10/90 at its start, so ordered loads pack pages densely)
#   and the separator goes up (for leaves the shortest prefix of the right page's first key that is greater
#   than the left page's last key); a root split adds a level. Delete: remove the cell, free its overflow
#   chain, then walk up: an empty page is freed and unlinked from its parent, a page under a quarter full is
#   merged into a sibling when the two fit in one page, and a root branch with one child is replaced by it.
#   Checkpoint: see BTree.checkpoint (a straight list of named steps, bbolt's Tx.Commit style).
#
# INVARIANTS
#   (B1) A page reachable from the durable meta is never written before a newer meta is durable: the tree
#        changes only dirty buffers, which live at pgnos that the durable state does not use.
#   (B2) A meta is written only after every page it references is durable (datasync first); metas alternate
#        slots (gen % 2) and open takes the valid meta with the highest gen, so a torn meta write falls back
#        to the previous checkpoint.
#   (B3) Every page written carries checksum32, its own pgno and the gen of the checkpoint writing it. A page
#        whose checksum, type, pgno or gen (> the meta's) is wrong is never used: CorruptionError.
#   (B4) Keys in a page are strictly increasing. In a branch with separators k1..kn and children c0..cn,
#        every key under ci is >= ki (i > 0) and < k(i+1) (i < n).
#   (B5) All leaves are at level 0 and depth - 1 branches above them; a branch's level is its children's + 1.
#   (B6) No leaf is empty: a tree without keys has root 0 and depth 0.
#   (B7) Every pgno in [2, next_pgno) is exactly one of: a tree page, an overflow page, on free_list, or on
#        pending_free (which also holds the pages of the durable freelist).
#   (B8) A cell plus its slot never exceeds max_cell = (PS - 40) // 4, so a page takes at least 4 cells and
#        every split succeeds. A value is inline iff 7 + klen + vlen + 2 <= max_cell; max_key = min(4096,
#        max_cell - 17) so an overflow cell and a branch cell always fit.
#   (B9) free_list pages are free in the durable state (or were allocated and freed in this interval) and may
#        be reused at once; pending_free pages are durable pages freed in this interval and become reusable
#        only when the next checkpoint's meta is durable.
#   (B10) After an error during checkpoint the tree is poisoned: put/delete/checkpoint raise PoisonedError
#        until the file is reopened; reads go on from the in-memory state.
#   (B11) entries and data_bytes equal the number of keys and the sum of klen + vlen in the tree.
#   (B12) A cursor survives tree changes: the tree counts modifications, and a cursor that sees the count
#        moved re-seeks from a copy of its current key (next: smallest key > it; prev: largest key < it).
#   (B13) In a leaf or branch page, the cell bytes plus the fragmented bytes equal PS - content start.
import os

from cpython.bytes cimport PyBytes_FromStringAndSize, PyBytes_AS_STRING, PyBytes_GET_SIZE
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int64_t
from libc.stdlib cimport malloc, calloc, realloc, free, qsort
from libc.string cimport memcpy, memmove, memcmp, memset

from ._types cimport pgno_t, lsn_t, gen_t, load16, load32, load64, store16, store32, store64
from .murmur3 cimport checksum32
from .osfile cimport (os_pwrite_all, os_pread_all, os_datasync, os_truncate, os_file_size, os_mmap_read,
                      os_munmap, os_fsync_dir)

from .errors import ClosedError, CorruptionError, EngineError, PoisonedError

cdef enum:
    HDR = 40                  # page header bytes
    PT_LEAF = 1
    PT_BRANCH = 2
    PT_OVERFLOW = 3
    PT_FREELIST = 4
    H_TYPE = 4
    H_LEVEL = 5
    H_NCELLS = 6
    H_PGNO = 8
    H_GEN = 16
    H_CSTART = 24
    H_FRAG = 26
    H_USED = 28
    H_LINK = 32
    LEAF_CELL_HDR = 7
    BRANCH_CELL_HDR = 10
    CELL_OVERFLOW = 1         # leaf cell flag: value is in an overflow chain
    META_CKSUM = 600          # offset of the meta checksum; the checksum covers [0, 600)
    META_SIZE = 604
    FORMAT_VERSION = 1
    SEEK_GE = 0
    SEEK_GT = 1
    SEEK_LE = 2
    SEEK_LT = 3

cdef bytes MAGIC = b"pyddb-bt"
cdef Py_ssize_t MAX_VALUE = 0x7FFFFFFF
cdef size_t MAP_MIN = 64 << 20
cdef size_t STAGE_BYTES = 1 << 20
cdef pgno_t COMPACT_MIN_PAGES = 16      # checkpoint compaction: files smaller than this are left alone
cdef Py_ssize_t COMPACT_STEP_MIN = 32    # ... and it may move at least this many pages
cdef size_t CLOSE_COMPACT_BYTES = 1 << 30   # settle(): at most this many bytes of pages move ...
cdef int SETTLE_ROUNDS = 4                  # ... in at most this many compaction + checkpoint rounds


# ---- page helpers (pure, noexcept nogil) -----------------------------------------------------------------

cdef inline int pg_ncells(const unsigned char* p) noexcept nogil:
    return load16(p + H_NCELLS)

cdef inline unsigned char* pg_cell(unsigned char* p, int i) noexcept nogil:
    return p + load16(p + HDR + 2 * i)

cdef inline Py_ssize_t pg_cstart(const unsigned char* p, Py_ssize_t ps) noexcept nogil:
    cdef uint16_t v = load16(p + H_CSTART)
    return v if v != 0 else ps

cdef inline Py_ssize_t pg_free(const unsigned char* p, Py_ssize_t ps) noexcept nogil:
    return pg_cstart(p, ps) - (HDR + 2 * pg_ncells(p)) + load16(p + H_FRAG)

cdef inline Py_ssize_t pg_used(const unsigned char* p, Py_ssize_t ps) noexcept nogil:
    return (ps - HDR) - pg_free(p, ps)

cdef inline Py_ssize_t leaf_cell_size(const unsigned char* c) noexcept nogil:
    if c[2] & CELL_OVERFLOW:
        return LEAF_CELL_HDR + load16(c) + 8
    return LEAF_CELL_HDR + load16(c) + load32(c + 3)

cdef inline Py_ssize_t cell_size(const unsigned char* p, const unsigned char* c) noexcept nogil:
    if p[H_TYPE] == PT_LEAF:
        return leaf_cell_size(c)
    return BRANCH_CELL_HDR + load16(c)

cdef inline const unsigned char* cell_key(const unsigned char* p, const unsigned char* c) noexcept nogil:
    return c + (LEAF_CELL_HDR if p[H_TYPE] == PT_LEAF else BRANCH_CELL_HDR)

cdef inline pgno_t br_child(unsigned char* p, int c) noexcept nogil:
    if c == 0:
        return load64(p + H_LINK)
    return load64(pg_cell(p, c - 1) + 2)

cdef inline void br_set_child(unsigned char* p, int c, pgno_t child) noexcept nogil:
    if c == 0:
        store64(p + H_LINK, child)
    else:
        store64(pg_cell(p, c - 1) + 2, child)

cdef inline int keycmp(const unsigned char* a, Py_ssize_t alen,
                       const unsigned char* b, Py_ssize_t blen) noexcept nogil:
    # Sign of the bytewise comparison (shorter first on a tie). Inline, 8 bytes at a time as big-endian
    # words: engine keys are short (10 + pk + sk bytes) and one leaf's keys share most of their prefix,
    # where a call to memcmp costs more than the comparison.
    cdef Py_ssize_t n = alen if alen < blen else blen, i = 0
    cdef uint64_t x, y
    while i + 8 <= n:
        x = load64(a + i)
        y = load64(b + i)
        if x != y:
            return -1 if x < y else 1
        i += 8
    while i < n:
        if a[i] != b[i]:
            return -1 if a[i] < b[i] else 1
        i += 1
    return (alen > blen) - (alen < blen)

cdef inline void pg_init(unsigned char* p, int ptype, int level, Py_ssize_t ps, pgno_t pgno) noexcept nogil:
    memset(p, 0, HDR)
    p[H_TYPE] = <unsigned char>ptype
    p[H_LEVEL] = <unsigned char>level
    store16(p + H_CSTART, <uint16_t>(ps & 0xFFFF))
    store64(p + H_PGNO, pgno)

cdef void pg_compact(unsigned char* p, Py_ssize_t ps, unsigned char* tmp) noexcept nogil:
    # Rewrite the cells contiguously at the end of the page (B13 with zero fragmented bytes).
    cdef int n = pg_ncells(p), i
    cdef Py_ssize_t off = ps, sz
    cdef unsigned char* c
    memcpy(tmp, p, ps)
    for i in range(n):
        c = pg_cell(tmp, i)
        sz = cell_size(tmp, c)
        off -= sz
        memcpy(p + off, c, sz)
        store16(p + HDR + 2 * i, <uint16_t>off)
    store16(p + H_CSTART, <uint16_t>(off & 0xFFFF))
    store16(p + H_FRAG, 0)

cdef void pg_insert(unsigned char* p, int pos, const unsigned char* cell, Py_ssize_t size,
                    Py_ssize_t ps, unsigned char* tmp) noexcept nogil:
    # Insert a cell at slot pos; the caller checked pg_free(p) >= size + 2.
    cdef int n = pg_ncells(p)
    cdef Py_ssize_t off
    if pg_cstart(p, ps) - (HDR + 2 * n) < size + 2:
        pg_compact(p, ps, tmp)
    off = pg_cstart(p, ps) - size
    memcpy(p + off, cell, size)
    store16(p + H_CSTART, <uint16_t>off)
    memmove(p + HDR + 2 * (pos + 1), p + HDR + 2 * pos, 2 * (n - pos))
    store16(p + HDR + 2 * pos, <uint16_t>off)
    store16(p + H_NCELLS, <uint16_t>(n + 1))

cdef void pg_remove(unsigned char* p, int pos, Py_ssize_t ps) noexcept nogil:
    cdef int n = pg_ncells(p)
    cdef Py_ssize_t off = load16(p + HDR + 2 * pos)
    cdef Py_ssize_t sz = cell_size(p, p + off)
    if off == pg_cstart(p, ps):
        store16(p + H_CSTART, <uint16_t>((off + sz) & 0xFFFF))
    else:
        store16(p + H_FRAG, <uint16_t>(load16(p + H_FRAG) + sz))
    memmove(p + HDR + 2 * pos, p + HDR + 2 * (pos + 1), 2 * (n - pos - 1))
    store16(p + H_NCELLS, <uint16_t>(n - 1))

cdef inline int leaf_search(unsigned char* p, const unsigned char* key, Py_ssize_t klen,
                            bint* found) noexcept nogil:
    # First cell with key >= key (B4); *found says whether it is equal.
    cdef int lo = 0, hi = pg_ncells(p), mid, r
    cdef unsigned char* c
    found[0] = False
    while lo < hi:
        mid = (lo + hi) >> 1
        c = pg_cell(p, mid)
        r = keycmp(c + LEAF_CELL_HDR, load16(c), key, klen)
        if r < 0:
            lo = mid + 1
        elif r > 0:
            hi = mid
        else:
            found[0] = True
            return mid
    return lo

cdef inline int branch_search(unsigned char* p, const unsigned char* key, Py_ssize_t klen) noexcept nogil:
    # Child index to follow: the number of separators <= key (B4).
    cdef int lo = 0, hi = pg_ncells(p), mid
    cdef unsigned char* c
    while lo < hi:
        mid = (lo + hi) >> 1
        c = pg_cell(p, mid)
        if keycmp(c + BRANCH_CELL_HDR, load16(c), key, klen) <= 0:
            lo = mid + 1
        else:
            hi = mid
    return lo

cdef int choose_split(int* sizes, int m, int pct, bint branch, Py_ssize_t cap) noexcept nogil:
    # Cells [0, k) go left; for a branch cell k moves up and (k, m) go right, else [k, m) go right.
    # Returns the k whose left share is closest to pct% of the bytes with both sides fitting; -1 if none.
    cdef Py_ssize_t total = 0, acc = 0, right, target, diff, best_diff = -1
    cdef int k, best = -1
    for k in range(m):
        total += sizes[k]
    target = total * pct // 100
    for k in range(1, m):
        acc += sizes[k - 1]
        right = total - acc - (sizes[k] if branch else 0)
        if acc <= cap and right <= cap:
            diff = acc - target if acc > target else target - acc
            if best < 0 or diff < best_diff:
                best = k
                best_diff = diff
    return best


# ---- page number vectors -----------------------------------------------------------------------------------

cdef int vec_push(pgvec_t* v, pgno_t x) except -1:
    cdef size_t cap
    cdef pgno_t* a
    if v.n == v.cap:
        cap = v.cap * 2 if v.cap else 64
        a = <pgno_t*>realloc(v.a, cap * sizeof(pgno_t))
        if a == NULL:
            raise MemoryError()
        v.a = a
        v.cap = cap
    v.a[v.n] = x
    v.n += 1
    return 0

cdef void vec_free(pgvec_t* v) noexcept:
    free(v.a)
    v.a = NULL
    v.n = v.cap = 0

# free_list is a binary min-heap (a[0] is the lowest page), so allocation always takes the lowest free page
# and the top of the file empties out for checkpoints to trim. A sorted ascending array is a valid heap.

cdef int heap_push(pgvec_t* v, pgno_t x) except -1:
    cdef size_t i, parent
    vec_push(v, x)
    i = v.n - 1
    while i > 0:
        parent = (i - 1) >> 1
        if v.a[parent] <= x:
            break
        v.a[i] = v.a[parent]
        i = parent
    v.a[i] = x
    return 0

cdef pgno_t heap_pop(pgvec_t* v) noexcept nogil:
    # The lowest page; the caller checked v.n > 0.
    cdef pgno_t top = v.a[0], x
    cdef size_t i = 0, c, n
    v.n -= 1
    n = v.n
    if n == 0:
        return top
    x = v.a[n]
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and v.a[c + 1] < v.a[c]:
            c += 1
        if x <= v.a[c]:
            break
        v.a[i] = v.a[c]
        i = c
    v.a[i] = x
    return top

cdef int cmp_pgno(const void* a, const void* b) noexcept nogil:
    cdef pgno_t x = (<const pgno_t*>a)[0], y = (<const pgno_t*>b)[0]
    return (x > y) - (x < y)


# ---- meta pages ------------------------------------------------------------------------------------------

cdef bytes build_meta(uint32_t ps, gen_t gen, pgno_t root, pgno_t next_pgno, pgno_t fl_first,
                      uint64_t fl_count, uint64_t entries, uint64_t data_bytes, lsn_t lsn, int depth,
                      bytes user_meta):
    cdef bytes out = PyBytes_FromStringAndSize(NULL, ps)
    cdef unsigned char* m = <unsigned char*>PyBytes_AS_STRING(out)
    cdef Py_ssize_t ulen = len(user_meta)
    memset(m, 0, ps)
    memcpy(m, <const char*>MAGIC, 8)
    store32(m + 8, FORMAT_VERSION)
    store32(m + 12, ps)
    store64(m + 16, gen)
    store64(m + 24, root)
    store64(m + 32, next_pgno)
    store64(m + 40, fl_first)
    store64(m + 48, fl_count)
    store64(m + 56, entries)
    store64(m + 64, data_bytes)
    store64(m + 72, lsn)
    store32(m + 80, <uint32_t>depth)
    store16(m + 84, <uint16_t>ulen)
    if ulen:
        memcpy(m + 88, PyBytes_AS_STRING(user_meta), ulen)
    store32(m + META_CKSUM, checksum32(m, META_CKSUM))
    return out


cdef object parse_meta(bytes buf, uint32_t expect_ps):
    """(B2) The fields of a meta page as a dict, or a str saying why it is invalid (magic, then version, then
    checksum, then field sanity, each with its own message)."""
    cdef const unsigned char* m
    cdef uint32_t ps
    if buf is None or len(buf) < META_SIZE:
        return "short file (no meta page)"
    m = <const unsigned char*>PyBytes_AS_STRING(buf)
    if memcmp(m, <const char*>MAGIC, 8) != 0:
        return "bad magic (not a pyddb B+tree file)"
    if load32(m + 8) != FORMAT_VERSION:
        return "unsupported format version %d (this build reads %d)" % (load32(m + 8), FORMAT_VERSION)
    if checksum32(m, META_CKSUM) != load32(m + META_CKSUM):
        return "checksum mismatch"
    ps = load32(m + 12)
    if ps < 4096 or ps > 65536 or (ps & (ps - 1)) != 0 or (expect_ps and ps != expect_ps):
        return "bad page size %d" % ps
    if load16(m + 84) > BT_META_USER_MAX or load64(m + 32) < 2 or load32(m + 80) > BT_MAXDEPTH:
        return "field out of range"
    return dict(page_size=ps, gen=load64(m + 16), root=load64(m + 24), next_pgno=load64(m + 32),
                fl_first=load64(m + 40), fl_count=load64(m + 48), entries=load64(m + 56),
                data_bytes=load64(m + 64), lsn=load64(m + 72), depth=load32(m + 80),
                user_meta=buf[88:88 + load16(m + 84)])


cdef bytes read_at(int fd, Py_ssize_t n, int64_t off):
    cdef bytes out = PyBytes_FromStringAndSize(NULL, n)
    try:
        os_pread_all(fd, PyBytes_AS_STRING(out), n, off)
    except OSError:
        return None
    return out


cdef size_t map_length(int64_t file_bytes):
    cdef size_t want = <size_t>file_bytes * 2
    if want < MAP_MIN:
        want = MAP_MIN
    return (want + (MAP_MIN - 1)) // MAP_MIN * MAP_MIN


cdef Py_ssize_t _count_tree_pages(BTree t, pgno_t pg, int level) except -1:
    # Leaf and branch pages of the subtree at pg (reads branches only).
    cdef unsigned char* p
    cdef Py_ssize_t total = 1
    cdef int c, n
    if level == 0:
        return 1
    p = t._page(pg)
    n = pg_ncells(p)
    if level == 1:
        return 1 + n + 1
    for c in range(n + 1):
        total += _count_tree_pages(t, br_child(t._page(pg), c), level - 1)
    return total


cdef Py_ssize_t _count_branch_pages(BTree t, pgno_t pg, int level) except -1:
    # Branch pages of the subtree at pg.
    cdef Py_ssize_t total = 1
    cdef int c, n
    if level <= 0:
        return 0
    if level == 1:
        return 1
    n = pg_ncells(t._page(pg))
    for c in range(n + 1):
        total += _count_branch_pages(t, br_child(t._page(pg), c), level - 1)
    return total


# ---- the tree ------------------------------------------------------------------------------------------------

cdef class BTree:
    """A B+tree file: bytes keys (1..max_key) to bytes values, copy-on-write between checkpoints."""

    def __cinit__(self):
        self.fd = -1
        self.base = NULL
        self.dirty = NULL
        self.verified = NULL
        self.scratch = self.scratch2 = self.cellbuf = self.bcell = self.promo = NULL
        self.sizes = NULL

    def __init__(self, str path not None, uint32_t page_size=16384, bint create=False):
        if page_size < 4096 or page_size > 65536 or (page_size & (page_size - 1)) != 0:
            raise ValueError("page_size must be a power of two in 4096..65536, not %d" % page_size)
        self.path = path
        flags = os.O_RDWR | getattr(os, "O_CLOEXEC", 0)
        if create:
            self.fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o644)
        else:
            self.fd = os.open(path, flags)
        try:
            if create:
                self._create(page_size)
            self._open(page_size)
        except BaseException:
            self._release()
            raise

    def _create(self, uint32_t ps):
        # A new file: both meta slots at gen 0, empty tree (B2).
        cdef bytes meta = build_meta(ps, 0, 0, 2, 0, 0, 0, 0, 0, 0, b"")
        os_pwrite_all(self.fd, PyBytes_AS_STRING(meta), ps, 0)
        os_pwrite_all(self.fd, PyBytes_AS_STRING(meta), ps, ps)
        os_datasync(self.fd)
        os_fsync_dir(os.path.dirname(os.path.abspath(self.path)))

    def _open(self, uint32_t page_size):
        # (B2) Pick the valid meta with the highest gen; slot 1's offset depends on the page size, which we
        # take from slot 0 if it is valid, else try the caller's page size and then every legal size.
        cdef int64_t size = os_file_size(self.fd)
        cdef uint32_t ps
        cdef void* addr = NULL
        m0 = parse_meta(read_at(self.fd, META_SIZE, 0), 0)
        if isinstance(m0, dict):
            candidates = [m0["page_size"]]
        else:
            candidates = [page_size] + [4096 << i for i in range(5) if (4096 << i) != page_size]
        m1 = None
        for c in candidates:
            m = parse_meta(read_at(self.fd, META_SIZE, c), c)
            if m1 is None or isinstance(m, dict):
                m1 = m
            if isinstance(m, dict):
                break
        if isinstance(m0, dict) and isinstance(m1, dict):
            meta, other = (m1, m0) if m1["gen"] > m0["gen"] else (m0, m1)
            self.prev_valid = other["gen"] + 1 == meta["gen"]
            self.prev_lsn = other["lsn"]
        elif isinstance(m0, dict):
            meta = m0
        elif isinstance(m1, dict):
            meta = m1
        else:
            raise CorruptionError("no valid meta page in %s (meta page 0: %s; meta page 1: %s)"
                                  % (self.path, m0, m1))
        ps = meta["page_size"]
        self.page_size = ps
        self.cap_bytes = ps - HDR
        self.max_cell = (ps - HDR) // 4
        self.max_key = min(4096, self.max_cell - 17)
        self.gen = meta["gen"]
        self.lsn = meta["lsn"]
        self._user_meta = meta["user_meta"]
        self.root = meta["root"]
        self.depth = meta["depth"]
        self.next_pgno = meta["next_pgno"]
        self.entries = meta["entries"]
        self.data_bytes = meta["data_bytes"]
        if (self.root == 0) != (self.depth == 0) or self.root >= self.next_pgno:
            raise CorruptionError("meta page of %s: root %d and depth %d disagree" % (self.path, self.root,
                                                                                    self.depth))
        self.file_pages = <pgno_t>(size // ps)
        self.scratch = <unsigned char*>malloc(ps)
        self.scratch2 = <unsigned char*>malloc(ps)
        self.cellbuf = <unsigned char*>malloc(ps)
        self.bcell = <unsigned char*>malloc(ps)
        self.promo = <unsigned char*>malloc(ps)
        self.sizes = <int*>malloc((ps // 4 + 2) * sizeof(int))
        if (self.scratch == NULL or self.scratch2 == NULL or self.cellbuf == NULL or self.bcell == NULL or
                self.promo == NULL or self.sizes == NULL):
            raise MemoryError()
        self._grow_tables(self.next_pgno)
        self.map_len = map_length(size)
        os_mmap_read(self.fd, self.map_len, &addr)
        self.base = <unsigned char*>addr
        self._load_freelist(meta["fl_first"], meta["fl_count"])

    def _load_freelist(self, pgno_t pg, uint64_t count):
        # The durable freelist's entries are reusable now; its own pages are pending (B9).
        cdef unsigned char* p
        cdef uint64_t got = 0
        cdef pgno_t x
        cdef int i, n
        while pg != 0:
            p = self._page(pg)
            if p[H_TYPE] != PT_FREELIST:
                raise CorruptionError("page %d of %s: expected a freelist page, found type %d"
                                      % (pg, self.path, p[H_TYPE]))
            n = pg_ncells(p)
            if n > (self.page_size - HDR) // 8:
                raise CorruptionError("page %d of %s: freelist count %d too large" % (pg, self.path, n))
            for i in range(n):
                x = load64(p + HDR + 8 * i)
                if x < 2 or x >= self.next_pgno:
                    raise CorruptionError("page %d of %s: freelist entry %d out of range" % (pg, self.path, x))
                vec_push(&self.free_list, x)
            got += n
            vec_push(&self.pending_free, pg)
            pg = load64(p + H_LINK)
            if got > self.next_pgno:
                raise CorruptionError("freelist of %s loops" % self.path)
        if got != count:
            raise CorruptionError("freelist of %s holds %d entries, meta says %d" % (self.path, got, count))
        if self.free_list.n:
            qsort(self.free_list.a, self.free_list.n, sizeof(pgno_t), cmp_pgno)   # a valid min-heap

    def __dealloc__(self):
        self._release()

    cdef int _release(self):
        # Frees everything; safe to call twice. Uncheckpointed changes are dropped.
        cdef pgno_t i
        if self.dirty != NULL:
            for i in range(self.table_cap):
                if self.dirty[i] != NULL:
                    free(self.dirty[i])
            free(self.dirty)
            self.dirty = NULL
        free(self.verified)
        self.verified = NULL
        self.table_cap = 0
        self.ndirty = 0
        vec_free(&self.free_list)
        vec_free(&self.pending_free)
        free(self.scratch); free(self.scratch2); free(self.cellbuf); free(self.bcell); free(self.promo)
        free(self.sizes)
        self.scratch = self.scratch2 = self.cellbuf = self.bcell = self.promo = NULL
        self.sizes = NULL
        if self.base != NULL:
            try:
                os_munmap(self.base, self.map_len)
            except Exception:
                pass
            self.base = NULL
        if self.fd >= 0:
            try:
                os.close(self.fd)
            except Exception:                                    # also at interpreter shutdown
                pass
            self.fd = -1
        return 0

    def close(self):
        """Close the file; changes since the last checkpoint are dropped (the WAL replays them)."""
        self.mod_count += 1
        self._release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- pager ---------------------------------------------------------------------------------------------

    cdef int _check_open(self) except -1:
        if self.fd < 0:
            raise ClosedError("B+tree file %s is closed" % self.path)
        return 0

    cdef int _check_writable(self) except -1:
        if self.fd < 0:
            raise ClosedError("B+tree file %s is closed" % self.path)
        if self.poisoned:
            raise PoisonedError("B+tree file %s: a checkpoint failed with an I/O error; writes are refused "
                                "until it is closed and reopened" % self.path)
        return 0

    cdef unsigned char* _page(self, pgno_t pgno) except NULL:
        # The page to read: its dirty buffer, else the mmap (checked the first time, B3).
        cdef unsigned char* p
        if pgno < 2 or pgno >= self.next_pgno:
            raise CorruptionError("page %d of %s: page number out of range (file high-water %d)"
                                  % (pgno, self.path, self.next_pgno))
        p = self.dirty[pgno]
        if p != NULL:
            return p
        if pgno >= self.file_pages:
            raise CorruptionError("page %d of %s: beyond the end of the file (%d pages)"
                                  % (pgno, self.path, self.file_pages))
        p = self.base + pgno * <size_t>self.page_size
        if not self.verified[pgno]:
            self._verify(pgno, p)
        return p

    cdef int _verify(self, pgno_t pgno, const unsigned char* p) except -1:
        # (B3) checksum, type, pgno, gen; for tree pages also the slot array and cell bounds (B13).
        cdef Py_ssize_t ps = self.page_size, cs, off, total = 0
        cdef int n, i, t
        if checksum32(p + 4, ps - 4) != load32(p):
            raise CorruptionError("checksum mismatch in page %d of %s" % (pgno, self.path))
        t = p[H_TYPE]
        if t < PT_LEAF or t > PT_FREELIST:
            raise CorruptionError("page %d of %s: bad page type %d" % (pgno, self.path, t))
        if load64(p + H_PGNO) != pgno:
            raise CorruptionError("page %d of %s: header says page %d" % (pgno, self.path, load64(p + H_PGNO)))
        if load64(p + H_GEN) > self.gen:
            raise CorruptionError("page %d of %s: written by checkpoint %d, newer than the meta's %d"
                                  % (pgno, self.path, load64(p + H_GEN), self.gen))
        if t == PT_LEAF or t == PT_BRANCH:
            n = pg_ncells(p)
            cs = pg_cstart(p, ps)
            if HDR + 2 * n > cs or cs > ps:
                raise CorruptionError("page %d of %s: bad cell count %d" % (pgno, self.path, n))
            for i in range(n):
                off = load16(p + HDR + 2 * i)
                if off < cs or off + (LEAF_CELL_HDR if t == PT_LEAF else BRANCH_CELL_HDR) > ps:
                    raise CorruptionError("page %d of %s: cell %d out of bounds" % (pgno, self.path, i))
                total += cell_size(p, p + off)
                if off + cell_size(p, p + off) > ps:
                    raise CorruptionError("page %d of %s: cell %d out of bounds" % (pgno, self.path, i))
            if total + load16(p + H_FRAG) != ps - cs:
                raise CorruptionError("page %d of %s: cell bytes do not add up (B13)" % (pgno, self.path))
        elif t == PT_OVERFLOW and load32(p + H_USED) > <uint32_t>(ps - HDR):
            raise CorruptionError("page %d of %s: overflow payload too long" % (pgno, self.path))
        self.verified[pgno] = 1
        return 0

    cdef int _grow_tables(self, pgno_t need) except -1:
        cdef pgno_t cap = self.table_cap
        cdef unsigned char** d
        cdef uint8_t* v
        if need <= cap:
            return 0
        cap = cap * 2 if cap * 2 > need else need + 64
        d = <unsigned char**>realloc(self.dirty, cap * sizeof(unsigned char*))
        if d == NULL:
            raise MemoryError()
        memset(d + self.table_cap, 0, (cap - self.table_cap) * sizeof(unsigned char*))
        self.dirty = d
        v = <uint8_t*>realloc(self.verified, cap)
        if v == NULL:
            raise MemoryError()
        memset(v + self.table_cap, 0, cap - self.table_cap)
        self.verified = v
        self.table_cap = cap
        return 0

    cdef pgno_t _alloc(self) except 0:
        # A page with a fresh dirty buffer: the lowest page on free_list (a min-heap), else the end.
        cdef pgno_t pg
        cdef unsigned char* buf = <unsigned char*>malloc(self.page_size)
        if buf == NULL:
            raise MemoryError()
        if self.free_list.n:
            pg = heap_pop(&self.free_list)
        else:
            try:
                self._grow_tables(self.next_pgno + 1)
            except BaseException:
                free(buf)
                raise
            pg = self.next_pgno
            self.next_pgno += 1
        self.dirty[pg] = buf
        self.ndirty += 1
        return pg

    cdef int _free_page(self, pgno_t pgno) except -1:
        # (B9) A page allocated in this interval is reusable at once; a durable one only after a checkpoint.
        if self.dirty[pgno] != NULL:
            free(self.dirty[pgno])
            self.dirty[pgno] = NULL
            self.ndirty -= 1
            heap_push(&self.free_list, pgno)
        else:
            vec_push(&self.pending_free, pgno)
        return 0

    cdef pgno_t _writable(self, pgno_t pgno) except 0:
        # (B1) The pgno to modify: the page itself if dirty, else a copy under a new pgno.
        cdef unsigned char* src
        cdef pgno_t npg
        if self.dirty[pgno] != NULL:
            return pgno
        src = self._page(pgno)
        npg = self._alloc()
        memcpy(self.dirty[npg], src, self.page_size)
        store64(self.dirty[npg] + H_PGNO, npg)
        vec_push(&self.pending_free, pgno)
        return npg

    cdef int _touch_path(self) except -1:
        # Make every page of path_pg[0:depth] writable, top-down, re-pointing parents at copies.
        return self._touch_levels(self.depth)

    cdef int _touch_levels(self, int nlev) except -1:
        # Make path_pg[0:nlev] writable, top-down, re-pointing parents (via path_idx) at copies.
        cdef int d
        cdef pgno_t npg
        for d in range(nlev):
            npg = self._writable(self.path_pg[d])
            if npg != self.path_pg[d]:
                if d == 0:
                    self.root = npg
                else:
                    br_set_child(self.dirty[self.path_pg[d - 1]], self.path_idx[d - 1], npg)
                self.path_pg[d] = npg
        return 0

    cdef unsigned char* _writable_child(self, unsigned char* parent, int c) except NULL:
        cdef pgno_t child = br_child(parent, c)
        cdef pgno_t npg = self._writable(child)
        if npg != child:
            br_set_child(parent, c, npg)
        return self.dirty[npg]

    cdef pgno_t _relocate(self, pgno_t pgno) except 0:
        # Copy page pgno (dirty or durable) to the lowest free page and free pgno (B9: at once if it was
        # dirty, pending otherwise); returns the copy's pgno. The caller re-points the page's referrer, which
        # it made writable first.
        cdef unsigned char* src = self._page(pgno)
        cdef pgno_t npg = self._alloc()
        memcpy(self.dirty[npg], src, self.page_size)
        store64(self.dirty[npg] + H_PGNO, npg)
        self._free_page(pgno)
        return npg

    # ---- compaction ----------------------------------------------------------------------------------------

    cdef Py_ssize_t _compact(self, Py_ssize_t max_moves) except -1:
        # Move up to max_moves in-use pages, highest first, from the top of the file into the lowest free
        # pages: each is copied (B1: its parent path is made writable, as for any change) and its old page
        # freed (B9), so that the top of the file empties and a later checkpoint trims it. Returns the number
        # of pages moved (overflow chains move whole, so this can exceed max_moves by a chain's length).
        cdef uint8_t* state = NULL
        cdef pgno_t* fl = NULL
        cdef size_t i, nfree = self.free_list.n
        cdef pgno_t j, limit
        cdef Py_ssize_t moves = 0, budget, in_use, tree_pages, reserve
        if self.root == 0 or nfree == 0 or max_moves <= 0:
            return 0
        # Plan: pair the lowest free pages with the highest in-use ones while that moves a page down; the
        # in-use pages at or above `limit` move. As many low free pages as there are branches are left for
        # the copies of the branches that re-point moved children (each is copied once per interval), and
        # enough for the next checkpoint's freelist (it takes the lowest free pages), so nothing new lands
        # at the top.
        reserve = (_count_branch_pages(self, self.root, self.depth - 1)        # entries: at most these
                   + <Py_ssize_t>((2 * nfree + self.pending_free.n) // <size_t>((self.page_size - HDR) // 8)) + 1)
        if <Py_ssize_t>nfree <= reserve + self.depth:
            return 0
        try:
            state = <uint8_t*>calloc(self.next_pgno, 1)          # 0 in use, 1 free, 2 pending
            fl = <pgno_t*>malloc(nfree * sizeof(pgno_t))
            if state == NULL or fl == NULL:
                raise MemoryError()
            for i in range(self.free_list.n):
                state[self.free_list.a[i]] = 1
            for i in range(self.pending_free.n):
                state[self.pending_free.a[i]] = 2
            memcpy(fl, self.free_list.a, nfree * sizeof(pgno_t))
            qsort(fl, nfree, sizeof(pgno_t), cmp_pgno)
            j = self.next_pgno - 1
            limit = self.next_pgno
            i = <size_t>reserve
            while i < nfree and moves < max_moves:
                while j >= 2 and state[j] != 0:
                    j -= 1
                if j < 2 or fl[i] >= j:
                    break
                limit = j
                moves += 1
                i += 1
                j -= 1
        finally:
            free(state)
            free(fl)
        if moves == 0:
            return 0
        # Leaves are read only if overflow pages exist (in-use pages that are neither leaves nor branches).
        in_use = <Py_ssize_t>(self.next_pgno - 2 - self.free_list.n - self.pending_free.n)
        tree_pages = _count_tree_pages(self, self.root, self.depth - 1)
        budget = moves
        self.mod_count += 1                              # (B12) pages move: cursors re-seek
        self.path_pg[0] = self.root
        if self.root >= limit:
            self.root = self._relocate(self.root)
            self.path_pg[0] = self.root
            budget -= 1
        if self.depth > 1:
            self._compact_node(0, limit, &budget, in_use > tree_pages)
        elif in_use > tree_pages:
            self._compact_overflow(0, limit, &budget)
        self.moved_pages += moves - budget
        return moves - budget

    cdef int _compact_node(self, int d, pgno_t limit, Py_ssize_t* budget, bint leaves) except -1:
        # The branch path_pg[d] (reached through path_pg/path_idx[0:d]): move its children at or above
        # limit, then recurse; with `leaves`, also the overflow chains of the leaves below.
        cdef int c, n
        cdef pgno_t ch, nch
        n = pg_ncells(self._page(self.path_pg[d]))
        for c in range(n + 1):
            if budget[0] <= 0:
                return 0
            self.path_idx[d] = c
            ch = br_child(self._page(self.path_pg[d]), c)
            if ch >= limit and self.free_list.n > <size_t>self.depth and self.free_list.a[0] < limit:
                self._touch_levels(d + 1)
                nch = self._relocate(ch)
                br_set_child(self.dirty[self.path_pg[d]], c, nch)
                ch = nch
                budget[0] -= 1
            self.path_pg[d + 1] = ch
            if d + 2 < self.depth:
                self._compact_node(d + 1, limit, budget, leaves)
            elif leaves:
                self._compact_overflow(d + 1, limit, budget)
        return 0

    cdef int _compact_overflow(self, int d, pgno_t limit, Py_ssize_t* budget) except -1:
        # The leaf path_pg[d]: in a chain reaching pages at or above limit, those pages move, and the pages
        # before the last of them are made writable (copied if durable) to be re-pointed.
        cdef unsigned char* c
        cdef unsigned char* q
        cdef int i, n = pg_ncells(self._page(self.path_pg[d]))
        cdef Py_ssize_t klen, k, last
        cdef pgno_t o, prev, no
        for i in range(n):
            if budget[0] <= 0:
                return 0
            c = pg_cell(self._page(self.path_pg[d]), i)
            if not (c[2] & CELL_OVERFLOW):
                continue
            o = load64(c + LEAF_CELL_HDR + load16(c))
            last = -1
            k = 0
            while o != 0:
                if o >= limit:
                    last = k
                q = self._page(o)
                if q[H_TYPE] != PT_OVERFLOW:
                    raise CorruptionError("page %d of %s: broken overflow chain" % (o, self.path))
                o = load64(q + H_LINK)
                k += 1
            if last < 0 or self.free_list.n <= <size_t>(self.depth + last) or self.free_list.a[0] >= limit:
                continue
            self._touch_levels(d + 1)
            c = pg_cell(self.dirty[self.path_pg[d]], i)
            klen = load16(c)
            prev = 0                                     # 0: the referrer is the leaf cell
            o = load64(c + LEAF_CELL_HDR + klen)
            for k in range(last + 1):
                if o >= limit:
                    no = self._relocate(o)
                    budget[0] -= 1
                else:
                    no = self._writable(o)
                if prev == 0:
                    store64(c + LEAF_CELL_HDR + klen, no)
                else:
                    store64(self.dirty[prev] + H_LINK, no)
                prev = no
                o = load64(self.dirty[no] + H_LINK)
        return 0

    # ---- search ------------------------------------------------------------------------------------------

    cdef int _descend(self, const unsigned char* key, Py_ssize_t klen, pgno_t* pg, int* idx,
                      bint* found) except -1:
        # Root-to-leaf path for key into pg/idx; returns the depth (0 = empty tree). B4, B5.
        cdef pgno_t pgno = self.root
        cdef unsigned char* p
        cdef int d, last = self.depth - 1
        found[0] = False
        for d in range(self.depth):
            p = self._page(pgno)
            pg[d] = pgno
            if p[H_LEVEL] != last - d or p[H_TYPE] != (PT_LEAF if d == last else PT_BRANCH):
                raise CorruptionError("page %d of %s: expected a %s at level %d, found type %d level %d"
                                      % (pgno, self.path, "leaf" if d == last else "branch", last - d,
                                         p[H_TYPE], p[H_LEVEL]))
            if d == last:
                idx[d] = leaf_search(p, key, klen, found)
            else:
                idx[d] = branch_search(p, key, klen)
                pgno = br_child(p, idx[d])
        return self.depth

    cdef object _read_value(self, const unsigned char* cell):
        cdef Py_ssize_t klen = load16(cell), vlen = load32(cell + 3), off = 0, n
        cdef pgno_t pg
        cdef unsigned char* p
        cdef bytes out
        cdef char* dst
        if not (cell[2] & CELL_OVERFLOW):
            return PyBytes_FromStringAndSize(<const char*>cell + LEAF_CELL_HDR + klen, vlen)
        out = PyBytes_FromStringAndSize(NULL, vlen)
        dst = PyBytes_AS_STRING(out)
        pg = load64(cell + LEAF_CELL_HDR + klen)
        while off < vlen:
            p = self._page(pg)
            n = load32(p + H_USED)
            if p[H_TYPE] != PT_OVERFLOW or n == 0 or n > vlen - off:
                raise CorruptionError("page %d of %s: broken overflow chain" % (pg, self.path))
            memcpy(dst + off, p + HDR, n)
            off += n
            pg = load64(p + H_LINK)
        return out

    cdef object get_c(self, const unsigned char* key, Py_ssize_t klen):
        cdef bint found
        self._check_open()
        if self.root == 0:
            return None
        self._descend(key, klen, self.path_pg, self.path_idx, &found)
        if not found:
            return None
        return self._read_value(pg_cell(self._page(self.path_pg[self.depth - 1]),
                                        self.path_idx[self.depth - 1]))

    # ---- insert --------------------------------------------------------------------------------------------

    cdef pgno_t _write_overflow(self, const unsigned char* val, Py_ssize_t vlen) except 0:
        cdef Py_ssize_t payload = self.page_size - HDR, off = 0, n
        cdef pgno_t pg, first = 0
        cdef unsigned char* prev = NULL
        cdef unsigned char* p
        while off < vlen:
            pg = self._alloc()
            p = self.dirty[pg]
            pg_init(p, PT_OVERFLOW, 0, self.page_size, pg)
            n = vlen - off if vlen - off < payload else payload
            store32(p + H_USED, <uint32_t>n)
            memcpy(p + HDR, val + off, n)
            memset(p + HDR + n, 0, payload - n)
            if prev == NULL:
                first = pg
            else:
                store64(prev + H_LINK, pg)
            prev = p
            off += n
        return first

    cdef int _free_overflow(self, pgno_t pg) except -1:
        cdef unsigned char* p
        cdef pgno_t nxt
        while pg != 0:
            p = self._page(pg)
            if p[H_TYPE] != PT_OVERFLOW:
                raise CorruptionError("page %d of %s: broken overflow chain" % (pg, self.path))
            nxt = load64(p + H_LINK)
            self._free_page(pg)
            pg = nxt
        return 0

    cdef int put_c(self, const unsigned char* key, Py_ssize_t klen,
                   const unsigned char* val, Py_ssize_t vlen) except -1:
        self._check_writable()
        if klen < 1 or klen > self.max_key:
            raise ValueError("key length %d outside 1..%d" % (klen, self.max_key))
        if vlen < 0 or vlen > MAX_VALUE:
            raise ValueError("value length %d too large" % vlen)
        try:
            self._put(key, klen, val, vlen)
        except BaseException:
            self.poisoned = True          # a half-done change (MemoryError, corruption) must not be built on
            raise
        return 0

    cdef int _put(self, const unsigned char* key, Py_ssize_t klen,
                  const unsigned char* val, Py_ssize_t vlen) except -1:
        cdef bint found
        cdef int d, pos
        cdef Py_ssize_t csize, old_vlen
        cdef unsigned char* leaf
        cdef unsigned char* c
        cdef unsigned char* cell = self.cellbuf
        cdef pgno_t pg
        cdef bint is_inline = LEAF_CELL_HDR + klen + vlen + 2 <= self.max_cell     # (B8)
        d = self._descend(key, klen, self.path_pg, self.path_idx, &found)
        if d == 0:
            pg = self._alloc()
            pg_init(self.dirty[pg], PT_LEAF, 0, self.page_size, pg)
            self.root = pg
            self.depth = 1
            self.path_pg[0] = pg
            self.path_idx[0] = 0
        else:
            self._touch_path()
        d = self.depth - 1
        pos = self.path_idx[d]
        leaf = self.dirty[self.path_pg[d]]
        if found:
            c = pg_cell(leaf, pos)
            old_vlen = load32(c + 3)
            if is_inline and not (c[2] & CELL_OVERFLOW) and old_vlen == vlen:
                memcpy(c + LEAF_CELL_HDR + klen, val, vlen)        # same size: overwrite in place
                self.mod_count += 1
                return 0
            if c[2] & CELL_OVERFLOW:
                self._free_overflow(load64(c + LEAF_CELL_HDR + klen))
            pg_remove(leaf, pos, self.page_size)
            self.data_bytes -= klen + old_vlen
            self.entries -= 1
        store16(cell, <uint16_t>klen)
        store32(cell + 3, <uint32_t>vlen)
        memcpy(cell + LEAF_CELL_HDR, key, klen)
        if is_inline:
            cell[2] = 0
            memcpy(cell + LEAF_CELL_HDR + klen, val, vlen)
            csize = LEAF_CELL_HDR + klen + vlen
        else:
            cell[2] = CELL_OVERFLOW
            store64(cell + LEAF_CELL_HDR + klen, self._write_overflow(val, vlen))
            csize = LEAF_CELL_HDR + klen + 8
        self._insert(d, pos, cell, csize)
        self.entries += 1
        self.data_bytes += klen + vlen
        self.mod_count += 1
        return 0

    cdef int _insert(self, int d, int pos, const unsigned char* cell, int csize) except -1:
        # Insert cell at slot pos of the (writable) page path_pg[d], splitting upwards as needed (B4, B8).
        cdef Py_ssize_t ps = self.page_size
        cdef unsigned char* p
        cdef unsigned char* r
        cdef unsigned char* q
        cdef unsigned char* s = self.scratch
        cdef unsigned char* src
        cdef unsigned char* a
        cdef unsigned char* b
        cdef int n, m, i, k, pct, level, ptype, alen, blen, plen, j
        cdef bint branch
        cdef pgno_t rpg, rt
        while True:
            p = self.dirty[self.path_pg[d]]
            if pg_free(p, ps) >= csize + 2:
                pg_insert(p, pos, cell, csize, ps, self.scratch2)
                return 0
            # Split p into p (left) and a new right page r.
            n = pg_ncells(p)
            m = n + 1
            memcpy(s, p, ps)
            ptype = s[H_TYPE]
            level = s[H_LEVEL]
            branch = ptype == PT_BRANCH
            for i in range(m):
                if i == pos:
                    self.sizes[i] = csize + 2
                else:
                    self.sizes[i] = cell_size(s, pg_cell(s, i - (i > pos))) + 2
            pct = 90 if pos == n else (10 if pos == 0 else 50)
            k = choose_split(self.sizes, m, pct, branch, self.cap_bytes)
            if k < 1:
                raise EngineError("internal error: no split point in page %d of %s"
                                  % (self.path_pg[d], self.path))
            rpg = self._alloc()
            r = self.dirty[rpg]
            pg_init(p, ptype, level, ps, self.path_pg[d])
            pg_init(r, ptype, level, ps, rpg)
            for i in range(k):
                src = <unsigned char*>cell if i == pos else pg_cell(s, i - (i > pos))
                pg_insert(p, i, src, self.sizes[i] - 2, ps, self.scratch2)
            if branch:
                store64(p + H_LINK, load64(s + H_LINK))
                src = <unsigned char*>cell if k == pos else pg_cell(s, k - (k > pos))
                plen = load16(src)
                memcpy(self.promo, src + BRANCH_CELL_HDR, plen)
                store64(r + H_LINK, load64(src + 2))
                j = 0
                for i in range(k + 1, m):
                    src = <unsigned char*>cell if i == pos else pg_cell(s, i - (i > pos))
                    pg_insert(r, j, src, self.sizes[i] - 2, ps, self.scratch2)
                    j += 1
                q = self.promo
            else:
                j = 0
                for i in range(k, m):
                    src = <unsigned char*>cell if i == pos else pg_cell(s, i - (i > pos))
                    pg_insert(r, j, src, self.sizes[i] - 2, ps, self.scratch2)
                    j += 1
                # Shortest separator: a prefix of the right page's first key, greater than the left's last.
                a = pg_cell(p, k - 1)
                b = pg_cell(r, 0)
                alen = load16(a)
                blen = load16(b)
                plen = 0
                while plen < alen and plen < blen and a[LEAF_CELL_HDR + plen] == b[LEAF_CELL_HDR + plen]:
                    plen += 1
                plen += 1
                q = b + LEAF_CELL_HDR
            # The branch cell (separator, right page) for the parent, built in bcell.
            memmove(self.bcell + BRANCH_CELL_HDR, q, plen)
            store16(self.bcell, <uint16_t>plen)
            store64(self.bcell + 2, rpg)
            cell = self.bcell
            csize = BRANCH_CELL_HDR + plen
            if d == 0:
                if self.depth >= BT_MAXDEPTH:
                    raise EngineError("B+tree %s is too deep" % self.path)
                rt = self._alloc()
                q = self.dirty[rt]
                pg_init(q, PT_BRANCH, level + 1, ps, rt)
                store64(q + H_LINK, self.path_pg[0])
                pg_insert(q, 0, cell, csize, ps, self.scratch2)
                self.root = rt
                self.depth += 1
                return 0
            d -= 1
            pos = self.path_idx[d]

    # ---- delete --------------------------------------------------------------------------------------------

    cdef int delete_c(self, const unsigned char* key, Py_ssize_t klen) except -1:
        self._check_writable()
        if klen < 1 or klen > self.max_key:
            return 0
        try:
            return self._delete(key, klen)
        except BaseException:
            self.poisoned = True
            raise

    cdef int _delete(self, const unsigned char* key, Py_ssize_t klen) except -1:
        cdef bint found
        cdef unsigned char* leaf
        cdef unsigned char* c
        cdef int d, pos
        if self._descend(key, klen, self.path_pg, self.path_idx, &found) == 0 or not found:
            return 0
        self._touch_path()
        d = self.depth - 1
        pos = self.path_idx[d]
        leaf = self.dirty[self.path_pg[d]]
        c = pg_cell(leaf, pos)
        if c[2] & CELL_OVERFLOW:
            self._free_overflow(load64(c + LEAF_CELL_HDR + klen))
        self.entries -= 1
        self.data_bytes -= klen + load32(c + 3)
        pg_remove(leaf, pos, self.page_size)
        self._rebalance(d)
        self.mod_count += 1
        return 1

    cdef int _rebalance(self, int d) except -1:
        # After a removal from path_pg[d]: free empty pages (B6), merge underfull ones into a sibling, and
        # collapse a root branch that has one child (B5). Every page on the path is writable.
        cdef Py_ssize_t ps = self.page_size
        cdef unsigned char* p
        cdef unsigned char* P
        cdef unsigned char* L
        cdef unsigned char* R
        cdef unsigned char* sep
        cdef int n, c, np, rc, i
        cdef bint leaf, gone = False
        cdef Py_ssize_t need
        cdef pgno_t pg, child
        while True:
            pg = self.path_pg[d]
            p = self.dirty[pg]
            n = pg_ncells(p)
            leaf = p[H_TYPE] == PT_LEAF
            if leaf and n == 0:
                gone = True
            if gone:
                self._free_page(pg)
                if d == 0:
                    self.root = 0
                    self.depth = 0
                    return 0
                d -= 1
                P = self.dirty[self.path_pg[d]]
                c = self.path_idx[d]
                if c == 0:
                    if pg_ncells(P) == 0:
                        continue                                 # P lost its only child: P goes too
                    store64(P + H_LINK, load64(pg_cell(P, 0) + 2))
                    pg_remove(P, 0, ps)
                else:
                    pg_remove(P, c - 1, ps)
                gone = False
                continue
            if d == 0:
                while self.depth > 1:
                    p = self._page(self.root)
                    if pg_ncells(p) != 0:
                        break
                    child = load64(p + H_LINK)
                    self._free_page(self.root)
                    self.root = child
                    self.depth -= 1
                return 0
            if pg_used(p, ps) * 4 >= self.cap_bytes:
                return 0
            P = self.dirty[self.path_pg[d - 1]]
            c = self.path_idx[d - 1]
            np = pg_ncells(P)
            if c > 0:
                L = self._writable_child(P, c - 1)
                R = p
                rc = c
            elif c < np:
                L = p
                R = self._page(br_child(P, c + 1))
                rc = c + 1
            else:
                d -= 1                                           # an only child: let the parent merge
                continue
            sep = pg_cell(P, rc - 1)
            need = pg_used(L, ps) + pg_used(R, ps)
            if not leaf:
                need += BRANCH_CELL_HDR + load16(sep) + 2
            if need > self.cap_bytes:
                return 0
            if not leaf:
                memcpy(self.bcell, sep, BRANCH_CELL_HDR + load16(sep))
                store64(self.bcell + 2, load64(R + H_LINK))
                pg_insert(L, pg_ncells(L), self.bcell, BRANCH_CELL_HDR + load16(sep), ps, self.scratch2)
            for i in range(pg_ncells(R)):
                pg_insert(L, pg_ncells(L), pg_cell(R, i), cell_size(R, pg_cell(R, i)), ps, self.scratch2)
            self._free_page(br_child(P, rc))
            pg_remove(P, rc - 1, ps)
            d -= 1

    # ---- cursors -------------------------------------------------------------------------------------------

    cpdef Cursor cursor(self):
        self._check_open()
        return Cursor(self)

    # ---- checkpoint ----------------------------------------------------------------------------------------

    def checkpoint(self, lsn_t lsn, bytes user_meta=b"", Py_ssize_t compact=-1):
        """Make the current tree durable as generation gen + 1 recording lsn and user_meta (B1, B2).

        First moves up to `compact` pages from the top of the file into free pages lower down (see
        _compact; the default -1: when at least 1/8 of the file is free, at most max(32, dirty pages / 4),
        so compaction adds at most about a quarter to a checkpoint's writes; 0: none).
        On any error the tree is poisoned (B10): reopen to get the previous checkpoint back."""
        self._check_writable()
        if user_meta is None:
            user_meta = b""
        if len(user_meta) > BT_META_USER_MAX:
            raise ValueError("user_meta is %d bytes; at most %d" % (len(user_meta), BT_META_USER_MAX))
        try:
            if compact < 0:
                compact = 0
                if self.next_pgno >= COMPACT_MIN_PAGES and self.free_list.n * 8 >= self.next_pgno:
                    compact = max(COMPACT_STEP_MIN, self.ndirty // 4)
            if compact > 0:
                self._compact(compact)
            _checkpoint(self, lsn, user_meta)
        except BaseException:
            self.poisoned = True
            raise

    def settle(self, Py_ssize_t max_moves=-1):
        """For a clean close: move up to max_moves pages (-1: 1 GiB of them) from the top of the file into
        free pages lower down, then checkpoint at the same LSN until the moved-out pages are trimmed and
        both meta pages describe the current tree at the current LSN, so that a damaged newest meta falls
        back to the same state (no log is needed to replay). Does nothing when that already holds.
        Returns the number of pages moved. Errors poison the tree (B10)."""
        cdef Py_ssize_t moved, total = 0
        cdef int r
        self._check_writable()
        if max_moves < 0:
            max_moves = <Py_ssize_t>(CLOSE_COMPACT_BYTES // self.page_size)
        try:
            # Each round moves what it can and checkpoints; the next round's checkpoint trims the pages the
            # moves freed (usually two rounds; stragglers, e.g. of overflow chains, get up to two more).
            for r in range(SETTLE_ROUNDS):
                moved = self._compact(max_moves - total) if total < max_moves else 0
                total += moved
                if (moved == 0 and self.ndirty == 0 and self.settled
                        and not (self.free_list.n > 0 and _is_free_top(self))):
                    break
                _checkpoint(self, self.lsn, self._user_meta)
        except BaseException:
            self.poisoned = True
            raise
        return total

    @property
    def settled(self):
        """No change since the last checkpoint, and the other meta page holds the previous checkpoint at the
        same LSN (see settle)."""
        return self.ndirty == 0 and self.prev_valid and self.prev_lsn == self.lsn

    # ---- Python API ----------------------------------------------------------------------------------------

    def get(self, bytes key not None):
        """The value of key, or None."""
        return self.get_c(<const unsigned char*>PyBytes_AS_STRING(key), PyBytes_GET_SIZE(key))

    def put(self, bytes key not None, bytes value not None):
        """Insert or replace key's value."""
        self.put_c(<const unsigned char*>PyBytes_AS_STRING(key), PyBytes_GET_SIZE(key),
                   <const unsigned char*>PyBytes_AS_STRING(value), PyBytes_GET_SIZE(value))

    def delete(self, bytes key not None):
        """Remove key; True if it was there."""
        return self.delete_c(<const unsigned char*>PyBytes_AS_STRING(key), PyBytes_GET_SIZE(key)) == 1

    @property
    def user_meta(self):
        return self._user_meta

    def stats(self):
        self._check_open()
        return dict(page_size=self.page_size, pages=self.next_pgno,
                    free_pages=self.free_list.n + self.pending_free.n, pending_pages=self.pending_free.n,
                    dirty_pages=self.ndirty,
                    entries=self.entries, data_bytes=self.data_bytes, file_bytes=os_file_size(self.fd),
                    depth=self.depth, gen=self.gen, moved_pages=self.moved_pages)

    def check(self):
        """Walk the whole tree and the free lists; raise CorruptionError on the first broken invariant."""
        self._check_open()
        return _check(self)


# ---- checkpoint -------------------------------------------------------------------------------------------

cdef bint _is_free_top(BTree t):
    # Whether the top page of the file is on free_list (a checkpoint would trim it).
    cdef size_t i
    for i in range(t.free_list.n):
        if t.free_list.a[i] == t.next_pgno - 1:
            return True
    return False


cdef int _write_dirty(BTree t, gen_t gen, unsigned char* stage, Py_ssize_t stage_pages) except -1 nogil:
    # Step 1: stamp (B3) and pwrite every dirty page in pgno order; a run of adjacent pages is one pwrite.
    cdef Py_ssize_t ps = t.page_size, run, i
    cdef pgno_t pg = 2, start
    cdef unsigned char* b
    while pg < t.next_pgno:
        if t.dirty[pg] == NULL:
            pg += 1
            continue
        start = pg
        run = 0
        while pg < t.next_pgno and t.dirty[pg] != NULL and run < stage_pages:
            b = t.dirty[pg]
            store64(b + H_PGNO, pg)
            store64(b + H_GEN, gen)
            store32(b, checksum32(b + 4, ps - 4))
            run += 1
            pg += 1
        if run == 1:
            os_pwrite_all(t.fd, t.dirty[start], ps, <int64_t>(start * ps))
        else:
            for i in range(run):
                memcpy(stage + i * ps, t.dirty[start + i], ps)
            os_pwrite_all(t.fd, stage, run * ps, <int64_t>(start * ps))
    return 0


cdef int _checkpoint(BTree t, lsn_t lsn, bytes user_meta) except -1:
    cdef Py_ssize_t ps = t.page_size, per = (t.page_size - HDR) // 8, stage_pages, nfl, i, j, k, cnt
    cdef gen_t gen = t.gen + 1
    cdef pgno_t new_next = t.next_pgno, pg
    cdef size_t taken = 0, nent
    cdef pgvec_t fl_pages
    cdef pgvec_t fl_entries
    cdef unsigned char* stage = NULL
    cdef unsigned char* flbuf = NULL
    cdef unsigned char* b
    cdef bytes meta
    cdef const char* mp
    cdef int64_t size
    cdef void* addr = NULL
    fl_pages.a = fl_entries.a = NULL
    fl_pages.n = fl_pages.cap = fl_entries.n = fl_entries.cap = 0
    try:
        # Step 0: plan. Free pages at the end of the file are cut off; the freelist goes into the lowest free
        # pages (free in the durable state, so safe to overwrite: B9) or, if none, after the end.
        if t.free_list.n:
            qsort(t.free_list.a, t.free_list.n, sizeof(pgno_t), cmp_pgno)
        while t.free_list.n and t.free_list.a[t.free_list.n - 1] == new_next - 1:
            t.free_list.n -= 1
            new_next -= 1
        while <Py_ssize_t>fl_pages.n * per < <Py_ssize_t>(t.free_list.n - taken + t.pending_free.n):
            if taken < t.free_list.n:
                vec_push(&fl_pages, t.free_list.a[taken])
                taken += 1
            else:
                vec_push(&fl_pages, new_next)
                new_next += 1
        for i in range(taken, t.free_list.n):
            vec_push(&fl_entries, t.free_list.a[i])
        for i in range(t.pending_free.n):
            vec_push(&fl_entries, t.pending_free.a[i])
        if fl_entries.n:
            qsort(fl_entries.a, fl_entries.n, sizeof(pgno_t), cmp_pgno)
        nfl = fl_pages.n
        nent = fl_entries.n

        # Step 1: write the dirty pages (nogil: readers may run; buffers stay until step 6).
        stage_pages = max(1, STAGE_BYTES // ps)
        stage = <unsigned char*>malloc(stage_pages * ps)
        if stage == NULL:
            raise MemoryError()
        with nogil:
            _write_dirty(t, gen, stage, stage_pages)

        # Step 2: write the freelist (free + pending_free, ascending) into its pages.
        if nfl:
            flbuf = <unsigned char*>calloc(nfl, ps)
            if flbuf == NULL:
                raise MemoryError()
            j = 0
            for i in range(nfl):
                b = flbuf + i * ps
                pg_init(b, PT_FREELIST, 0, ps, fl_pages.a[i])
                cnt = min(per, <Py_ssize_t>nent - j)
                store16(b + H_NCELLS, <uint16_t>cnt)
                store64(b + H_LINK, fl_pages.a[i + 1] if i + 1 < nfl else 0)
                store64(b + H_GEN, gen)
                for k in range(cnt):
                    store64(b + HDR + 8 * k, fl_entries.a[j])
                    j += 1
                store32(b, checksum32(b + 4, ps - 4))
            with nogil:
                for i in range(nfl):
                    os_pwrite_all(t.fd, flbuf + i * ps, ps, <int64_t>(fl_pages.a[i] * ps))

        # Step 3: datasync: every page the new meta references is durable before the meta (B2).
        with nogil:
            os_datasync(t.fd)

        # Step 4: write the new meta into slot gen % 2.
        meta = build_meta(ps, gen, t.root, new_next, fl_pages.a[0] if nfl else 0, nent, t.entries,
                          t.data_bytes, lsn, t.depth, user_meta)
        mp = PyBytes_AS_STRING(meta)
        with nogil:
            os_pwrite_all(t.fd, mp, ps, <int64_t>((gen % 2) * ps))

        # Step 5: datasync: the checkpoint is durable.
        with nogil:
            os_datasync(t.fd)

        # Step 6: the new state: dirty pages are durable, freed pages reusable (B9), file trimmed, remapped.
        for pg in range(2, t.next_pgno):
            if t.dirty[pg] != NULL:
                free(t.dirty[pg])
                t.dirty[pg] = NULL
                t.verified[pg] = 1
        t.ndirty = 0
        t.gen = gen
        t.prev_lsn = t.lsn                               # the other slot now holds the previous checkpoint
        t.prev_valid = True
        t.lsn = lsn
        t._user_meta = user_meta
        t.next_pgno = new_next
        t._grow_tables(new_next)
        vec_free(&t.free_list)
        vec_free(&t.pending_free)
        t.free_list = fl_entries
        t.pending_free = fl_pages
        fl_entries.a = fl_pages.a = NULL
        t.mod_count += 1                                 # free_list = fl_entries, ascending: a min-heap
        size = os_file_size(t.fd)
        if size > <int64_t>(new_next * ps):
            os_truncate(t.fd, <int64_t>(new_next * ps))
            size = new_next * ps
        t.file_pages = new_next
        if <size_t>size > t.map_len:
            os_mmap_read(t.fd, map_length(size), &addr)
            os_munmap(t.base, t.map_len)
            t.base = <unsigned char*>addr
            t.map_len = map_length(size)
    finally:
        free(stage)
        free(flbuf)
        vec_free(&fl_pages)
        vec_free(&fl_entries)
    return 0


# ---- checker --------------------------------------------------------------------------------------------------

cdef unsigned char* _check_page(BTree t, pgno_t pg, bytearray seen, str what) except NULL:
    # Mark pg as used once (B7) and return it, checksum-verified even if it was verified before (B3).
    cdef unsigned char* p
    if pg < 2 or pg >= t.next_pgno:
        raise CorruptionError("%s page %d of %s: out of range" % (what, pg, t.path))
    if seen[pg]:
        raise CorruptionError("page %d of %s is reachable twice (B7)" % (pg, t.path))
    seen[pg] = 1
    p = t.dirty[pg]
    if p == NULL:
        if pg >= t.file_pages:
            raise CorruptionError("page %d of %s: beyond the end of the file" % (pg, t.path))
        p = t.base + pg * <size_t>t.page_size
        t._verify(pg, p)
    return p


cdef int _check_node(BTree t, pgno_t pg, int level, object lo, object hi, bytearray seen, dict st,
                     list last) except -1:
    cdef unsigned char* p = _check_page(t, pg, seen, "tree")
    cdef unsigned char* c
    cdef int n, i
    cdef Py_ssize_t klen, vlen, got, total = 0
    cdef pgno_t o
    cdef unsigned char* q
    if p[H_LEVEL] != level or p[H_TYPE] != (PT_LEAF if level == 0 else PT_BRANCH):
        raise CorruptionError("page %d of %s: type %d level %d where level %d was expected (B5)"
                              % (pg, t.path, p[H_TYPE], p[H_LEVEL], level))
    n = pg_ncells(p)
    for i in range(n):
        total += cell_size(p, pg_cell(p, i))
    if total + load16(p + H_FRAG) != t.page_size - pg_cstart(p, t.page_size):
        raise CorruptionError("page %d of %s: cell bytes do not add up (B13)" % (pg, t.path))
    keys = []
    for i in range(n):
        c = pg_cell(p, i)
        keys.append(PyBytes_FromStringAndSize(<const char*>cell_key(p, c), load16(c)))
    for i in range(n):
        k = keys[i]
        if (i and keys[i - 1] >= k) or (lo is not None and k < lo) or (hi is not None and k >= hi):
            raise CorruptionError("page %d of %s: key %d out of order (B4)" % (pg, t.path, i))
    if level == 0:
        if n == 0:
            raise CorruptionError("page %d of %s: empty leaf (B6)" % (pg, t.path))
        if last[0] is not None and keys[0] <= last[0]:
            raise CorruptionError("page %d of %s: keys not above the previous leaf's (B4)" % (pg, t.path))
        last[0] = keys[n - 1]
        st["leaf_pages"] += 1
        for i in range(n):
            c = pg_cell(p, i)
            klen = load16(c)
            vlen = load32(c + 3)
            st["entries"] += 1
            st["data_bytes"] += klen + vlen
            if bool(c[2] & CELL_OVERFLOW) == (LEAF_CELL_HDR + klen + vlen + 2 <= t.max_cell):
                raise CorruptionError("page %d of %s: cell %d inline/overflow choice breaks B8" % (pg, t.path, i))
            if c[2] & CELL_OVERFLOW:
                o = load64(c + LEAF_CELL_HDR + klen)
                got = 0
                while o != 0:
                    q = _check_page(t, o, seen, "overflow")
                    if q[H_TYPE] != PT_OVERFLOW:
                        raise CorruptionError("page %d of %s: expected an overflow page" % (o, t.path))
                    got += load32(q + H_USED)
                    st["overflow_pages"] += 1
                    o = load64(q + H_LINK)
                if got != vlen:
                    raise CorruptionError("page %d of %s: overflow chain of cell %d holds %d bytes, not %d"
                                          % (pg, t.path, i, got, vlen))
    else:
        st["branch_pages"] += 1
        _check_node(t, load64(p + H_LINK), level - 1, lo, keys[0] if n else hi, seen, st, last)
        for i in range(n):
            _check_node(t, load64(pg_cell(p, i) + 2), level - 1, keys[i], keys[i + 1] if i + 1 < n else hi,
                        seen, st, last)
    return 0


cdef dict _check(BTree t):
    cdef bytearray seen = bytearray(t.next_pgno)
    cdef size_t i
    cdef pgno_t pg
    st = dict(leaf_pages=0, branch_pages=0, overflow_pages=0, free_pages=0, entries=0, data_bytes=0)
    seen[0] = seen[1] = 1
    if (t.root == 0) != (t.depth == 0):
        raise CorruptionError("%s: root %d with depth %d (B6)" % (t.path, t.root, t.depth))
    if t.root:
        _check_node(t, t.root, t.depth - 1, None, None, seen, st, [None])
    for i in range(t.free_list.n):
        pg = t.free_list.a[i]
        if pg < 2 or pg >= t.next_pgno or seen[pg]:
            raise CorruptionError("free page %d of %s is out of range or also in use (B7)" % (pg, t.path))
        seen[pg] = 1
    for i in range(t.pending_free.n):
        pg = t.pending_free.a[i]
        if pg < 2 or pg >= t.next_pgno or seen[pg]:
            raise CorruptionError("pending free page %d of %s is out of range or also in use (B7)"
                                  % (pg, t.path))
        seen[pg] = 1
    st["free_pages"] = t.free_list.n + t.pending_free.n
    for pg in range(2, t.next_pgno):
        if not seen[pg]:
            raise CorruptionError("page %d of %s is neither in the tree nor free (leaked, B7)" % (pg, t.path))
    if st["entries"] != t.entries or st["data_bytes"] != t.data_bytes:
        raise CorruptionError("%s: tree holds %d keys / %d bytes, counters say %d / %d (B11)"
                              % (t.path, st["entries"], st["data_bytes"], t.entries, t.data_bytes))
    st["pages"] = t.next_pgno
    st["depth"] = t.depth
    return st


# ---- cursor ---------------------------------------------------------------------------------------------------

cdef class Cursor:
    """A position in a BTree that moves both ways; survives tree changes by re-seeking (B12)."""

    def __cinit__(self, BTree tree not None):
        self.tree = tree
        self.valid = False
        self.kbuf = NULL
        self.klen = self.kcap = 0

    def __dealloc__(self):
        free(self.kbuf)

    cdef int _fresh(self) except -1:
        self.tree._check_open()
        return self.tree.mod_count == self.mod_seen

    cdef int _save_key(self) except -1:
        cdef unsigned char* leaf = self.tree._page(self.pg[self.depth - 1])
        cdef unsigned char* c = pg_cell(leaf, self.idx[self.depth - 1])
        cdef Py_ssize_t n = load16(c)
        cdef unsigned char* nb
        if n > self.kcap:
            nb = <unsigned char*>realloc(self.kbuf, n)
            if nb == NULL:
                raise MemoryError()
            self.kbuf = nb
            self.kcap = n
        memcpy(self.kbuf, c + LEAF_CELL_HDR, n)
        self.klen = n
        self.mod_seen = self.tree.mod_count
        self.valid = True
        return 0

    cdef int _edge(self, int d, bint rightmost) except -1:
        # From pg[d], descend to the first (or last) key of its subtree.
        cdef unsigned char* p
        cdef int n
        while True:
            p = self.tree._page(self.pg[d])
            if p[H_LEVEL] != self.depth - 1 - d:
                raise CorruptionError("page %d of %s: level %d where %d was expected (B5)"
                                      % (self.pg[d], self.tree.path, p[H_LEVEL], self.depth - 1 - d))
            n = pg_ncells(p)
            if d == self.depth - 1:
                if n == 0:
                    raise CorruptionError("page %d of %s: empty leaf (B6)" % (self.pg[d], self.tree.path))
                self.idx[d] = n - 1 if rightmost else 0
                return 0
            self.idx[d] = n if rightmost else 0
            self.pg[d + 1] = br_child(p, self.idx[d])
            d += 1

    cdef int _step(self, bint forward) except -1:
        # Move one key; 1 if positioned, 0 (and invalid) past either end.
        cdef int d = self.depth - 1
        cdef unsigned char* p = self.tree._page(self.pg[d])
        if forward and self.idx[d] + 1 < pg_ncells(p):
            self.idx[d] += 1
            return 1
        if not forward and self.idx[d] > 0:
            self.idx[d] -= 1
            return 1
        d -= 1
        while d >= 0:
            p = self.tree._page(self.pg[d])
            if forward and self.idx[d] < pg_ncells(p):
                self.idx[d] += 1
                self.pg[d + 1] = br_child(p, self.idx[d])
                self._edge(d + 1, False)
                return 1
            if not forward and self.idx[d] > 0:
                self.idx[d] -= 1
                self.pg[d + 1] = br_child(p, self.idx[d])
                self._edge(d + 1, True)
                return 1
            d -= 1
        self.valid = False
        return 0

    cdef int _seek(self, const unsigned char* key, Py_ssize_t klen, int mode) except -1:
        cdef bint found
        cdef int L, pos, n, ok
        cdef BTree t = self.tree
        t._check_open()
        self.valid = False
        if t.root == 0:
            return 0
        self.depth = t.depth
        t._descend(key, klen, self.pg, self.idx, &found)
        L = self.depth - 1
        pos = self.idx[L]
        n = pg_ncells(t._page(self.pg[L]))
        if mode == SEEK_GE or mode == SEEK_GT:
            if pos < n and not (found and mode == SEEK_GT):
                ok = 1
            else:
                self.idx[L] = pos if pos < n else n - 1
                ok = self._step(True)
        else:
            if found and mode == SEEK_LE:
                ok = 1
            elif pos > 0:
                self.idx[L] = pos - 1
                ok = 1
            else:
                self.idx[L] = 0
                ok = self._step(False)
        if ok:
            self._save_key()
        else:
            self.valid = False
        return ok

    cdef int seek_ge_c(self, const unsigned char* key, Py_ssize_t klen) except -1:
        return self._seek(key, klen, SEEK_GE)

    cdef int seek_le_c(self, const unsigned char* key, Py_ssize_t klen) except -1:
        return self._seek(key, klen, SEEK_LE)

    cdef int key_view(self, const unsigned char** p, Py_ssize_t* n) except -1:
        if not self.valid:
            raise EngineError("cursor is not positioned")
        p[0] = self.kbuf
        n[0] = self.klen
        return 0

    cpdef bint first(self) except -1:
        cdef BTree t = self.tree
        t._check_open()
        self.valid = False
        if t.root == 0:
            return False
        self.depth = t.depth
        self.pg[0] = t.root
        self._edge(0, False)
        self._save_key()
        return True

    cpdef bint last(self) except -1:
        cdef BTree t = self.tree
        t._check_open()
        self.valid = False
        if t.root == 0:
            return False
        self.depth = t.depth
        self.pg[0] = t.root
        self._edge(0, True)
        self._save_key()
        return True

    cpdef bint next(self) except -1:
        if not self.valid:
            return False
        if not self._fresh():
            k = PyBytes_FromStringAndSize(<const char*>self.kbuf, self.klen)
            return self._seek(<const unsigned char*>PyBytes_AS_STRING(k), self.klen, SEEK_GT) == 1
        if self._step(True):
            self._save_key()
            return True
        return False

    cpdef bint prev(self) except -1:
        if not self.valid:
            return False
        if not self._fresh():
            k = PyBytes_FromStringAndSize(<const char*>self.kbuf, self.klen)
            return self._seek(<const unsigned char*>PyBytes_AS_STRING(k), self.klen, SEEK_LT) == 1
        if self._step(False):
            self._save_key()
            return True
        return False

    cpdef bytes key(self):
        if not self.valid:
            raise EngineError("cursor is not positioned")
        return PyBytes_FromStringAndSize(<const char*>self.kbuf, self.klen)

    cpdef object value(self):
        """The current key's value (reads overflow chains); None if the key was deleted since the move."""
        if not self.valid:
            raise EngineError("cursor is not positioned")
        if not self._fresh():
            return self.tree.get_c(self.kbuf, self.klen)
        return self.tree._read_value(pg_cell(self.tree._page(self.pg[self.depth - 1]),
                                             self.idx[self.depth - 1]))

    def seek_ge(self, bytes key not None):
        """Position at the smallest key >= key; False if there is none."""
        return self._seek(<const unsigned char*>PyBytes_AS_STRING(key), PyBytes_GET_SIZE(key), SEEK_GE) == 1

    def seek_le(self, bytes key not None):
        """Position at the largest key <= key; False if there is none."""
        return self._seek(<const unsigned char*>PyBytes_AS_STRING(key), PyBytes_GET_SIZE(key), SEEK_LE) == 1

    def seek_gt(self, bytes key not None):
        return self._seek(<const unsigned char*>PyBytes_AS_STRING(key), PyBytes_GET_SIZE(key), SEEK_GT) == 1

    def seek_lt(self, bytes key not None):
        return self._seek(<const unsigned char*>PyBytes_AS_STRING(key), PyBytes_GET_SIZE(key), SEEK_LT) == 1
