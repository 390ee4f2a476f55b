# btree.pxd: the B+tree file of one partition (pager, page format and tree in btree.pyx). Design sheet.
#
# The tree is not thread-safe: callers hold the GIL for every operation (nothing here releases it except the
# pwrite/fdatasync phase of checkpoint) and hold their own write lock around put/delete/checkpoint.
cimport cython
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t
from ._types cimport pgno_t, lsn_t, gen_t

cdef enum:
    BT_MAXDEPTH = 32          # deepest tree we descend; a deeper one is refused (needs > 2**31 entries)
    BT_META_USER_MAX = 512    # bytes of opaque user_meta stored in the meta page

# A growable array of page numbers (the free lists).
cdef struct pgvec_t:
    pgno_t* a                 # malloc'd items
    size_t n                  # items in use
    size_t cap                # items allocated


@cython.final          # no subclasses: method calls are direct C calls the compiler can inline
cdef class BTree:
    # ---- file -------------------------------------------------------------------------------------------
    cdef readonly str path          # the file's path
    cdef int fd                     # O_RDWR descriptor; -1 once closed
    cdef readonly uint32_t page_size  # fixed page size of this file (power of two, 4096..65536)
    cdef readonly Py_ssize_t max_key  # longest accepted key (B8)
    cdef Py_ssize_t max_cell        # largest cell incl. its 2-byte slot: (page_size - HDR) // 4 (B8)
    cdef Py_ssize_t cap_bytes       # usable bytes of a tree page: page_size - HDR
    cdef unsigned char* base        # read-only MAP_SHARED mapping of the file; NULL once closed
    cdef size_t map_len             # bytes reserved by the mapping (>= file size)
    cdef pgno_t file_pages          # pages the durable file holds; non-dirty pages at or past this are corrupt
    # ---- state as of the last durable checkpoint (the meta in use) ----------------------------------------
    cdef readonly gen_t gen         # generation of the meta in use; pages with a larger gen are corrupt (B3)
    cdef readonly lsn_t lsn         # checkpoint LSN recorded in that meta
    cdef bytes _user_meta           # opaque bytes recorded in that meta (<= 512)
    # ---- live state (includes changes since the last checkpoint) ------------------------------------------
    cdef pgno_t root                # root page; 0 = empty tree (B6)
    cdef int depth                  # levels: 0 = empty, 1 = root is a leaf (B5)
    cdef pgno_t next_pgno           # file high-water: pages [0, next_pgno) exist or will at checkpoint
    cdef readonly uint64_t entries  # number of keys (B11)
    cdef readonly uint64_t data_bytes  # sum of klen + vlen over all keys (B11)
    cdef uint64_t mod_count         # bumped by every change and checkpoint; cursors re-seek when it moved (B12)
    cdef readonly bint poisoned     # an I/O error hit a checkpoint: writes refused until reopen (B10)
    cdef readonly lsn_t prev_lsn    # LSN of the meta in the other slot (the previous checkpoint) ...
    cdef readonly bint prev_valid   # ... if that meta is valid and one generation older (see settle)
    cdef readonly uint64_t moved_pages  # pages moved down by compaction since open
    # ---- pager ------------------------------------------------------------------------------------------
    cdef unsigned char** dirty      # pgno -> malloc'd page buffer written this interval; NULL = read the mmap
    cdef uint8_t* verified          # pgno -> 1 once the mmap'd page passed its checks since open (B3)
    cdef pgno_t table_cap           # entries allocated in dirty[] and verified[]
    cdef Py_ssize_t ndirty          # non-NULL entries of dirty[]
    cdef pgvec_t free_list          # pages reusable now (free durably, or allocated+freed this interval) (B9)
    cdef pgvec_t pending_free       # durable pages freed this interval + pages of the durable freelist (B9)
    # ---- scratch (one operation at a time) ----------------------------------------------------------------
    cdef unsigned char* scratch     # page-size copy of a page being split or merged
    cdef unsigned char* scratch2    # page-size buffer for compacting a page
    cdef unsigned char* cellbuf     # the leaf cell being inserted
    cdef unsigned char* bcell       # the branch cell being inserted one level up
    cdef unsigned char* promo       # key promoted by a branch split
    cdef int* sizes                 # per-cell byte sizes while choosing a split point
    cdef pgno_t path_pg[BT_MAXDEPTH]  # pages from root to leaf of the last descent
    cdef int path_idx[BT_MAXDEPTH]    # child index taken at each branch (0 = left child); leaf: cell index

    cdef object get_c(self, const unsigned char* key, Py_ssize_t klen)
    cdef int put_c(self, const unsigned char* key, Py_ssize_t klen,
                   const unsigned char* val, Py_ssize_t vlen) except -1
    cdef int delete_c(self, const unsigned char* key, Py_ssize_t klen) except -1
    cpdef Cursor cursor(self)

    # pager
    cdef unsigned char* _page(self, pgno_t pgno) except NULL
    cdef int _verify(self, pgno_t pgno, const unsigned char* p) except -1
    cdef int _grow_tables(self, pgno_t need) except -1
    cdef pgno_t _alloc(self) except 0
    cdef int _free_page(self, pgno_t pgno) except -1
    cdef pgno_t _writable(self, pgno_t pgno) except 0
    cdef int _touch_path(self) except -1
    cdef int _touch_levels(self, int nlev) except -1
    cdef pgno_t _relocate(self, pgno_t pgno) except 0
    cdef Py_ssize_t _compact(self, Py_ssize_t max_moves) except -1
    cdef int _compact_node(self, int d, pgno_t limit, Py_ssize_t* budget, bint leaves) except -1
    cdef int _compact_overflow(self, int d, pgno_t limit, Py_ssize_t* budget) except -1
    cdef unsigned char* _writable_child(self, unsigned char* parent, int c) except NULL
    # tree
    cdef int _check_open(self) except -1
    cdef int _check_writable(self) except -1
    cdef int _descend(self, const unsigned char* key, Py_ssize_t klen, pgno_t* pg, int* idx, bint* found) except -1
    cdef object _read_value(self, const unsigned char* cell)
    cdef pgno_t _write_overflow(self, const unsigned char* val, Py_ssize_t vlen) except 0
    cdef int _free_overflow(self, pgno_t first) except -1
    cdef int _put(self, const unsigned char* key, Py_ssize_t klen,
                  const unsigned char* val, Py_ssize_t vlen) except -1
    cdef int _insert(self, int d, int pos, const unsigned char* cell, int csize) except -1
    cdef int _delete(self, const unsigned char* key, Py_ssize_t klen) except -1
    cdef int _rebalance(self, int d) except -1
    cdef int _release(self)


@cython.final
cdef class Cursor:
    cdef BTree tree                 # the tree walked
    cdef readonly bint valid        # positioned on a key
    cdef int depth                  # levels of pg/idx in use (the tree's depth when positioned)
    cdef pgno_t pg[BT_MAXDEPTH]     # pages from root to leaf
    cdef int idx[BT_MAXDEPTH]       # child index at each branch; cell index in the leaf
    cdef uint64_t mod_seen          # tree.mod_count when the cursor last moved (B12)
    cdef unsigned char* kbuf        # copy of the current key (for re-seeking and key_view)
    cdef Py_ssize_t klen            # bytes in kbuf
    cdef Py_ssize_t kcap            # bytes allocated in kbuf

    cdef int seek_ge_c(self, const unsigned char* key, Py_ssize_t klen) except -1
    cdef int seek_le_c(self, const unsigned char* key, Py_ssize_t klen) except -1
    cdef int key_view(self, const unsigned char** p, Py_ssize_t* n) except -1
    cpdef bint first(self) except -1
    cpdef bint last(self) except -1
    cpdef bint next(self) except -1
    cpdef bint prev(self) except -1
    cpdef bytes key(self)
    cpdef object value(self)

    cdef int _save_key(self) except -1
    cdef int _edge(self, int d, bint rightmost) except -1
    cdef int _step(self, bint forward) except -1
    cdef int _seek(self, const unsigned char* key, Py_ssize_t klen, int mode) except -1
    cdef int _fresh(self) except -1
