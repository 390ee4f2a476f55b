"""Secondary index entries: which engine ops keep an LSI/GSI equal to its table, for one item change.

ENTRY FORMAT (engine keyspace of the index, `IndexDef.keyspace`)
    pk     keycodec bytes of the index's partition key value
    sk     esc(index sort key bytes) | esc(table pk bytes) | table sk bytes     (esc parts omitted when absent)
           esc(x) = x with every 0x00 written 0x00 0xFF, then the terminator 0x00 0x00: order-preserving and
           self-delimiting, so entries sort by the index sort key first and the table key makes them unique
    value  msgpack of the projected item (KEYS_ONLY: table and index keys; INCLUDE: plus NonKeyAttributes;
           ALL: the whole item), so an index read decodes exactly what it returns

INVARIANTS
    (X1) An item has an entry in an index iff it holds every key attribute of the index (sparse indexes).
    (X2) The entry ops are in the same engine batch as the item's own op, so table and indexes never diverge,
         across a crash too.
    (X3) A write whose item holds an index key attribute of the wrong type is rejected before anything is
         written.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from pyddb.errors import ValidationException
from pyddb.model.schema import IndexDef, TableDef
from pyddb.types import codec, keycodec

Item = Dict[str, Any]


def esc(b: bytes) -> bytes:
    return b.replace(b"\x00", b"\x00\xff") + b"\x00\x00"


def unesc(b: bytes, start: int = 0) -> Tuple[bytes, int]:
    """Decode one esc() field at `start`; returns (bytes, offset after the terminator)."""
    out = bytearray()
    i = start
    while True:
        j = b.index(b"\x00", i)
        out += b[i:j]
        if b[j + 1] == 0x00:
            return bytes(out), j + 2
        out += b"\x00"
        i = j + 2


def entry_key(t: TableDef, ix: IndexDef, item: Item, tpk: bytes, tsk: bytes) -> Optional[Tuple[bytes, bytes]]:
    """(pk, sk) of `item`'s entry in `ix`, or None when the item lacks an index key attribute (X1)."""
    hv = item.get(ix.hash_key.name)
    if hv is None or ix.hash_key.type not in hv:
        return None
    sk = b""
    if ix.range_key is not None:
        rv = item.get(ix.range_key.name)
        if rv is None or ix.range_key.type not in rv:
            return None
        sk = esc(keycodec.encode(rv))
    if ix in t.gsis:
        sk += esc(tpk)
    return keycodec.encode(hv), sk + tsk


def projected(t: TableDef, ix: IndexDef, item: Item) -> Item:
    if ix.projection_type == "ALL":
        return item
    keep = set(t.key_names) | {ix.hash_key.name} | ({ix.range_key.name} if ix.range_key else set())
    if ix.projection_type == "INCLUDE":
        keep |= set(ix.non_key_attributes)
    return {k: v for k, v in item.items() if k in keep}


def maintained(t: TableDef) -> List[IndexDef]:
    return [ix for ix in t.lsis + t.gsis if ix.status in ("ACTIVE", "CREATING", "UPDATING")]


def index_ops(t: TableDef, old: Optional[Item], new: Optional[Item]) -> List[tuple]:
    """Engine ops that move every index from `old` to `new` (either may be None) (X2)."""
    ixs = maintained(t)
    if not ixs:
        return []
    ref = new if new is not None else old
    tpk, tsk = t.key_bytes(ref)
    ops = []
    for ix in ixs:
        ok = entry_key(t, ix, old, tpk, tsk) if old is not None else None
        nk = entry_key(t, ix, new, tpk, tsk) if new is not None else None
        if ok is not None and ok != nk:
            ops.append((ix.keyspace, ok[0], ok[1], None))
        if nk is not None:
            value = projected(t, ix, new)
            if ok == nk and projected(t, ix, old) == value:
                continue                                   # unchanged entry: nothing to write
            ops.append((ix.keyspace, nk[0], nk[1], codec.encode(value)))
    return ops


def check_index_keys(t: TableDef, item: Item) -> None:
    """(X3) Index key attributes present in `item` must have the index's declared type and be non-empty."""
    for ix in t.lsis + t.gsis:
        for ka in (ix.hash_key, ix.range_key):
            if ka is None:
                continue
            av = item.get(ka.name)
            if av is None:
                continue
            actual = next(iter(av))
            if actual != ka.type:
                raise ValidationException(
                    "One or more parameter values were invalid: Type mismatch for Index Key %s Expected: %s "
                    "Actual: %s IndexName: %s" % (ka.name, ka.type, actual, ix.name))
            if actual in ("S", "B") and len(av[actual]) == 0:
                raise ValidationException(
                    "One or more parameter values are not valid. A value specified for a secondary index key "
                    "is not supported. The AttributeValue for a key attribute cannot contain an empty %s "
                    "value. IndexName: %s, IndexKey: %s" % ("string" if actual == "S" else "binary", ix.name,
                                                           ka.name))
