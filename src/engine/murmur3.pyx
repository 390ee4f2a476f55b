# murmur3.pyx: the 64-bit partition hash and the engine's checksum.
#
# ALGORITHM
#   MurmurHash3_x64_128 as published (SMHasher): 16-byte blocks read as two little-endian uint64, tail of
#   0..15 bytes, fmix64 finalisation, h1 += h2, h2 += h1. We read bytes explicitly, so the result is the same
#   on big- and little-endian CPUs and needs no aligned access.
#
# INVARIANTS
#   (M1) hash64(b) == mmh3.hash64(b, 0, signed=False)[0] for every byte string b (tested against mmh3 and the
#        published vectors): partition placement never changes between versions or machines.
#   (M2) checksum32 is a pure function of the bytes; it is stored in pages and WAL records.
from libc.stdint cimport uint8_t, uint32_t, uint64_t

cdef inline uint64_t rotl64(uint64_t x, int r) noexcept nogil:
    return (x << r) | (x >> (64 - r))

cdef inline uint64_t fmix64(uint64_t k) noexcept nogil:
    k ^= k >> 33
    k *= 0xff51afd7ed558ccdULL
    k ^= k >> 33
    k *= 0xc4ceb9fe1a85ec53ULL
    k ^= k >> 33
    return k

cdef inline uint64_t load_le64(const unsigned char* p) noexcept nogil:
    return ((<uint64_t>p[0]) | (<uint64_t>p[1] << 8) | (<uint64_t>p[2] << 16) | (<uint64_t>p[3] << 24) |
            (<uint64_t>p[4] << 32) | (<uint64_t>p[5] << 40) | (<uint64_t>p[6] << 48) | (<uint64_t>p[7] << 56))

cdef void murmur3_x64_128(const unsigned char* data, Py_ssize_t n, uint32_t seed,
                          uint64_t* h1_out, uint64_t* h2_out) noexcept nogil:
    cdef Py_ssize_t nblocks = n // 16
    cdef Py_ssize_t i
    cdef uint64_t h1 = seed
    cdef uint64_t h2 = seed
    cdef uint64_t c1 = 0x87c37b91114253d5ULL
    cdef uint64_t c2 = 0x4cf5ad432745937fULL
    cdef uint64_t k1, k2
    cdef const unsigned char* tail
    for i in range(nblocks):
        k1 = load_le64(data + i * 16)
        k2 = load_le64(data + i * 16 + 8)
        k1 *= c1
        k1 = rotl64(k1, 31)
        k1 *= c2
        h1 ^= k1
        h1 = rotl64(h1, 27)
        h1 += h2
        h1 = h1 * 5 + 0x52dce729
        k2 *= c2
        k2 = rotl64(k2, 33)
        k2 *= c1
        h2 ^= k2
        h2 = rotl64(h2, 31)
        h2 += h1
        h2 = h2 * 5 + 0x38495ab5
    tail = data + nblocks * 16
    k1 = 0
    k2 = 0
    cdef int rem = <int>(n & 15)
    if rem >= 9:
        for i in range(rem - 1, 7, -1):
            k2 ^= (<uint64_t>tail[i]) << ((i - 8) * 8)
        k2 *= c2
        k2 = rotl64(k2, 33)
        k2 *= c1
        h2 ^= k2
    if rem >= 1:
        for i in range((rem if rem < 8 else 8) - 1, -1, -1):
            k1 ^= (<uint64_t>tail[i]) << (i * 8)
        k1 *= c1
        k1 = rotl64(k1, 31)
        k1 *= c2
        h1 ^= k1
    h1 ^= <uint64_t>n
    h2 ^= <uint64_t>n
    h1 += h2
    h2 += h1
    h1 = fmix64(h1)
    h2 = fmix64(h2)
    h1 += h2
    h2 += h1
    h1_out[0] = h1
    h2_out[0] = h2

cdef uint64_t hash64(const unsigned char* data, Py_ssize_t n) noexcept nogil:
    cdef uint64_t h1, h2
    murmur3_x64_128(data, n, 0, &h1, &h2)
    return h1

cdef uint32_t checksum32(const unsigned char* data, Py_ssize_t n) noexcept nogil:
    cdef uint64_t h1, h2
    murmur3_x64_128(data, n, <uint32_t>0x9E3779B9U, &h1, &h2)
    return <uint32_t>(h1 ^ (h1 >> 32))


def py_hash64(const unsigned char[::1] data, uint32_t seed=0):
    """The partition hash of ``data`` (first half of MurmurHash3_x64_128, unsigned)."""
    cdef uint64_t h1, h2
    murmur3_x64_128(&data[0] if data.shape[0] else <const unsigned char*>b"", data.shape[0], seed, &h1, &h2)
    return h1


def py_murmur3_128(const unsigned char[::1] data, uint32_t seed=0):
    """Both halves ``(h1, h2)`` of MurmurHash3_x64_128(data, seed)."""
    cdef uint64_t h1, h2
    murmur3_x64_128(&data[0] if data.shape[0] else <const unsigned char*>b"", data.shape[0], seed, &h1, &h2)
    return h1, h2


def py_checksum32(const unsigned char[::1] data):
    """The engine's 32-bit checksum of ``data``."""
    return checksum32(&data[0] if data.shape[0] else <const unsigned char*>b"", data.shape[0])
