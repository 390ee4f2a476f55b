# _types.pxd: the engine's scalar types, size constants and inline big-endian load/store.
#
# Every on-disk integer in the engine is big-endian, so files are the same on every CPU byte order and a
# byte-wise comparison of encoded keys equals numeric comparison of their hash prefix.
from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int64_t

ctypedef uint64_t pgno_t   # page number inside one B+tree file; page 0 and 1 are the meta pages
ctypedef uint64_t lsn_t    # log sequence number of a committed batch; 0 = nothing committed yet
ctypedef uint64_t gen_t    # checkpoint generation: bumped by every checkpoint of a B+tree file

cdef inline uint16_t load16(const unsigned char* p) noexcept nogil:
    return <uint16_t>((<uint16_t>p[0] << 8) | p[1])

cdef inline uint32_t load32(const unsigned char* p) noexcept nogil:
    return ((<uint32_t>p[0] << 24) | (<uint32_t>p[1] << 16) | (<uint32_t>p[2] << 8) | <uint32_t>p[3])

cdef inline uint64_t load64(const unsigned char* p) noexcept nogil:
    return (<uint64_t>load32(p) << 32) | <uint64_t>load32(p + 4)

cdef inline void store16(unsigned char* p, uint16_t v) noexcept nogil:
    p[0] = <unsigned char>(v >> 8)
    p[1] = <unsigned char>v

cdef inline void store32(unsigned char* p, uint32_t v) noexcept nogil:
    p[0] = <unsigned char>(v >> 24)
    p[1] = <unsigned char>(v >> 16)
    p[2] = <unsigned char>(v >> 8)
    p[3] = <unsigned char>v

cdef inline void store64(unsigned char* p, uint64_t v) noexcept nogil:
    store32(p, <uint32_t>(v >> 32))
    store32(p + 4, <uint32_t>v)
