"""(M1) Our murmur3 equals the published MurmurHash3_x64_128, so partition placement never changes."""
import os
import struct

import mmh3
import pytest

from pyddb._engine import murmur3


def test_smhasher_verification_value():
    # SMHasher's VerificationTest: hash keys [0], [0,1], ... [0..254] with seed 256-len, concatenate the
    # 16-byte little-endian digests, hash that with seed 0; the first 4 bytes must be 0x6384BA69.
    digests = b""
    for n in range(256):
        key = bytes(range(n))
        h1, h2 = murmur3.py_murmur3_128(key, 256 - n)
        digests += struct.pack("<QQ", h1, h2)
    h1, _ = murmur3.py_murmur3_128(digests, 0)
    assert h1 & 0xFFFFFFFF == 0x6384BA69


def test_empty_input_with_seed_zero_hashes_to_zero():
    assert murmur3.py_murmur3_128(b"", 0) == (0, 0)


@pytest.mark.parametrize("n", list(range(0, 70)) + [127, 128, 129, 1000, 4096])
def test_matches_mmh3_for_every_tail_length(n):
    data = os.urandom(n)
    for seed in (0, 1, 0xFFFFFFFF):
        assert murmur3.py_murmur3_128(data, seed) == mmh3.hash64(data, seed, signed=False)
    assert murmur3.py_hash64(data) == mmh3.hash64(data, 0, signed=False)[0]


def test_checksum32_detects_a_single_bit_flip():
    data = bytearray(os.urandom(4096))
    c = murmur3.py_checksum32(bytes(data))
    data[1234] ^= 0x10
    assert murmur3.py_checksum32(bytes(data)) != c
