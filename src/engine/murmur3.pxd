# murmur3.pxd: MurmurHash3 x64_128 (Austin Appleby, public domain algorithm), our own implementation.
from libc.stdint cimport uint32_t, uint64_t

# Both 64-bit halves of MurmurHash3_x64_128(data[0:n], seed); blocks are read little-endian on every CPU.
cdef void murmur3_x64_128(const unsigned char* data, Py_ssize_t n, uint32_t seed,
                          uint64_t* h1_out, uint64_t* h2_out) noexcept nogil
# The partition hash: the first 64-bit half of murmur3_x64_128 with seed 0.
cdef uint64_t hash64(const unsigned char* data, Py_ssize_t n) noexcept nogil
# A 32-bit page/record checksum derived from murmur3_x64_128 with a fixed seed.
cdef uint32_t checksum32(const unsigned char* data, Py_ssize_t n) noexcept nogil

