"""Items <-> the bytes stored as engine values: msgpack of the validated wire-form item.

STORED FORMAT
    msgpack (spec 2.0: str and bin distinct) of {name: AttributeValue} exactly as attrvalue.validate_item
    returns it: S/N/SS/NS as str, B/BS as bin, BOOL/NULL as bool, M as map, L/sets as arrays.
    No header and no version byte: a change of format is a change of the database's format version, which
    the engine's catalog carries.

INVARIANTS
    (S1) decode(encode(item)) == item for every validated item: the stored value needs no conversion to be a
         response (GetItem's "Item" is decode(stored)), which is what makes reads cheap (issue 3).
    (S2) encode and decode are one C call each, nothing is walked in Python: msgspec's msgpack Encoder and
         Decoder where msgspec is installed (CPython), else msgpack-python's Packer and unpackb. Both read
         and write the same bytes for these values (msgspec's encoder output is byte-identical to
         msgpack's for them: tests/model/test_types.py); msgspec is the faster of the two (measured on the
         10-attribute benchmark item: decode 2.3 -> 1.5 us, encode 1.5 -> 0.6 us), and most of a read is
         decoding.
    (S3) Safe from any thread: msgspec's Encoder/Decoder keep no state between calls and hold the GIL
         throughout; a msgpack Packer is not safe to share, so that path keeps one per thread.
"""
import threading

import msgpack

try:
    import msgspec
except ImportError:                 # an interpreter msgspec has no build for (PyPy): msgpack-python alone
    msgspec = None

BACKEND = "msgspec" if msgspec is not None else "msgpack"

if msgspec is not None:
    encode = msgspec.msgpack.Encoder().encode
    decode = msgspec.msgpack.Decoder().decode
else:
    _local = threading.local()

    def _new_packer():
        packer = msgpack.Packer(use_bin_type=True, autoreset=True)
        _local.packer = packer
        return packer

    def encode(item: dict) -> bytes:
        """A validated wire item -> stored bytes."""
        try:
            packer = _local.packer
        except AttributeError:
            packer = _new_packer()
        return packer.pack(item)

    def decode(data) -> dict:
        """Stored bytes -> the wire item, ready to return as a response's Item (S1, S2)."""
        return msgpack.unpackb(data, raw=False)

# For callers that bind the function once in a hot loop.
unpackb = decode
