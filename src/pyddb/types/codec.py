"""Items <-> the bytes stored as engine values: msgpack of the validated wire-form item.

STORED FORMAT
    msgpack (spec 2.0: str and bin distinct) of {name: AttributeValue} exactly as attrvalue.validate_item
    returns it: S/N/SS/NS as str, B/BS as bin, BOOL/NULL as bool, M as map, L/sets as arrays.
    No header and no version byte: a change of format is a change of the database's format version, which
    the engine's catalog carries.

INVARIANTS
    (S1) decode(encode(item)) == item for every validated item: the stored value needs no conversion to be a
         response (GetItem's "Item" is decode(stored)), which is what makes reads cheap (issue 3).
    (S2) decode is one C call (msgpack.unpackb); nothing is walked in Python.
    (S3) encode reuses one Packer per thread (a Packer is not safe to share between threads).
"""
import threading

import msgpack

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
unpackb = msgpack.unpackb
