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
    (X4) Writes maintain indexes that are CREATING (an online build: model/backfill.py) as well as ACTIVE
         ones, and stop maintaining an index once it is DELETING. An item that was written before the index
         existed and holds an index key of the wrong type, an empty S/B value or a value over the key size
         limits is left out of the index by the backfill (`backfill_entry`), as DynamoDB leaves it out
         (ScyllaDB Alternator test_gsi_updatetable.py, run against DynamoDB: test_gsi_backfill,
         test_gsi_backfill_empty_string, test_gsi_backfill_key_limits).

ITEM COLLECTIONS (tables with local secondary indexes)
    An item collection is the items of one partition key plus their LSI entries. DynamoDB caps it at 10 GB:
    "If an item collection exceeds the 10 GB limit, DynamoDB returns an
    ItemCollectionSizeLimitExceededException ... Read and write operations that shrink the size of the item
    collection are still allowed" (Developer Guide, LSI.html "Item collections"; the exception's botocore
    documentation: "The total size of an item collection has exceeded the maximum limit of 10 gigabytes"; its
    message, "Collection size exceeded.", is in errors.py). A collection's size here is the sum, over its
    items, of the item's size by DynamoDB's rules (types/size.py) plus, for each LSI that holds an entry for
    it, the projected entry's size plus 100 bytes (the per-entry overhead of the Developer Guide's LSI
    storage rule, and the figure DynamoDB Local uses for LSI entries: model/items.py LSI_ENTRY_OVERHEAD).

    COUNTER KEYSPACE "icol.<table_id>": pk = the collection's partition key bytes, sk = b"", value = the
    collection's size in bytes, 8 bytes big-endian (absent when 0). It is created with the table, and built
    by scanning the table when a database written by an older pyddb is opened (`ensure_collection_counters`).

    (C1) The counter op is in the same engine batch as the item's op (X2), so counter and collection never
         diverge, across a crash too; a write reads the counter under the table's lock, so concurrent writes
         of one collection serialise.
    (C2) Several items of one collection written in one batch (BatchWriteItem, TransactWriteItems) each see
         the total the earlier ones of the batch left: the running totals of the batch being built live in
         the table's lock (TableLock.pending, below) until the lock is released, when the batch has been
         written or abandoned.
    (C3) A write that grows a collection past `model.item_collection_limit_bytes` (10 GB; lower in tests)
         raises ItemCollectionSizeLimitExceededException before anything is written; a write that shrinks or
         keeps a collection's size always passes.
    SizeEstimateRangeGB is reported as the whole-GB range that holds the size: [floor(GB), floor(GB) + 1]
    ([0.0, 1.0] under 1 GB, what DynamoDB Local and other emulators return for small collections). NOT
    CONFIRMED: how DynamoDB itself rounds its estimate.
"""
from __future__ import annotations

import threading
from typing import Any, Dict, List, Optional, Tuple

from pyddb.errors import ItemCollectionSizeLimitExceededException, ValidationException
from pyddb.model.schema import IndexDef, TableDef
from pyddb.types import codec, keycodec, size

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
    """(X3) Index key attributes present in `item` must have the index's declared type, be non-empty and be
    within the key size limits (types/size.py INDEX_KEY_TOO_LARGE, an InvalidValue: in a transaction a Put's
    is a plain ValidationException, as a table key's size is)."""
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
            if actual != "N":
                size.check_index_key_size(ka.name, av, ka is ix.hash_key, ix.name)


# ---- online builds (model/backfill.py) ---------------------------------------------------------------------


def _key_value_ok(ka, av: Any, is_hash: bool) -> bool:
    """Whether `av` can be a key value of `ka` in an index: the declared type, not empty, within the key
    size limits (2048 bytes for a partition key, 1024 for a sort key: types/size.py)."""
    if av is None or ka.type not in av:
        return False
    if ka.type == "N":
        return True
    value = av[ka.type]
    n = len(value.encode("utf-8")) if ka.type == "S" else len(value)
    return 0 < n <= (size.MAX_HASH_KEY_SIZE if is_hash else size.MAX_RANGE_KEY_SIZE)


def backfill_entry(t: TableDef, ix: IndexDef, item: Item, tpk: bytes, tsk: bytes) -> Optional[tuple]:
    """The engine op that puts `item`'s entry into `ix` during a backfill, or None when the item does not
    belong in the index (X1, X4)."""
    if not _key_value_ok(ix.hash_key, item.get(ix.hash_key.name), True):
        return None
    if ix.range_key is not None and not _key_value_ok(ix.range_key, item.get(ix.range_key.name), False):
        return None
    k = entry_key(t, ix, item, tpk, tsk)
    if k is None:
        return None
    return (ix.keyspace, k[0], k[1], codec.encode(projected(t, ix, item)))


# ---- item collections (tables with LSIs) -------------------------------------------------------------------

ITEM_COLLECTION_LIMIT = 10 * 1024 ** 3
LSI_ENTRY_OVERHEAD = 100
GB = float(1 << 30)


def collection_keyspace(t: TableDef) -> str:
    return "icol.%s" % t.table_id


def collection_bytes(t: TableDef, item: Item) -> int:
    """What `item` (which has the table's key) adds to its collection: see ITEM COLLECTIONS."""
    n = size.item_size(item)
    if t.lsis:
        tpk, tsk = t.key_bytes(item)
        for ix in t.lsis:
            if entry_key(t, ix, item, tpk, tsk) is not None:
                n += size.item_size(projected(t, ix, item)) + LSI_ENTRY_OVERHEAD
    return n


def _counter(raw: Optional[bytes]) -> int:
    return 0 if raw is None else int.from_bytes(raw, "big")


def item_collection_ops(model, t: TableDef, old: Optional[Item], new: Optional[Item]) -> List[tuple]:
    """The counter op that moves the collection of `old`/`new` by the change in size (C1, C2), or []; raises
    ItemCollectionSizeLimitExceededException when the write would grow the collection past the limit (C3)."""
    if not t.lsis:
        return []
    delta = (collection_bytes(t, new) if new is not None else 0) - (
        collection_bytes(t, old) if old is not None else 0)
    if delta == 0:
        return []
    ref = new if new is not None else old
    pk = keycodec.encode(ref[t.hash_key.name])
    ks = collection_keyspace(t)
    lock = model.table_lock(t.name)
    pending = lock.pending if getattr(lock, "held", None) is not None and lock.held() else None
    current = pending.get(pk) if pending is not None else None
    if current is None:
        current = _counter(model.engine.get(ks, pk))
    total = max(0, current + delta)
    if delta > 0 and total > model.item_collection_limit_bytes:
        if pending is not None:
            pending.clear()                 # the batch being built is abandoned (C2)
        raise ItemCollectionSizeLimitExceededException()
    if pending is not None:
        pending[pk] = total
    return [(ks, pk, b"", total.to_bytes(8, "big") if total else None)]


def collection_size(model, t: TableDef, key: Item) -> int:
    """The size in bytes of the collection holding `key` (any item or key of table `t`, which has LSIs)."""
    return _counter(model.engine.get(collection_keyspace(t), keycodec.encode(key[t.hash_key.name])))


def collection_metrics(model, t: TableDef, key: Item) -> Dict[str, Any]:
    """ItemCollectionMetrics of the collection holding `key` (an item or key of `t`, which has LSIs):
    {"ItemCollectionKey": {<hash key>: value}, "SizeEstimateRangeGB": [low, high]} (see ITEM COLLECTIONS).
    Read it after the write's batch, outside or inside the table's lock."""
    hk = t.hash_key.name
    low = float(int(collection_size(model, t, key) / GB))
    return {"ItemCollectionKey": {hk: key[hk]}, "SizeEstimateRangeGB": [low, low + 1.0]}


def ensure_collection_counters(model, t: TableDef) -> None:
    """Create and fill the counter keyspace of a table with LSIs that has none (a database written before
    the counters existed): one scan of the table, one batch."""
    ks = collection_keyspace(t)
    engine = model.engine
    if not t.lsis or engine.has_keyspace(ks):
        return
    totals: Dict[bytes, int] = {}
    for pk, _sk, raw in engine.scan(t.keyspace):
        totals[pk] = totals.get(pk, 0) + collection_bytes(t, codec.decode(raw))
    engine.create_keyspace(ks)
    if totals:
        engine.write_batch([(ks, pk, b"", n.to_bytes(8, "big")) for pk, n in totals.items() if n], sync=True)


class TableLock:
    """A table's lock: a re-entrant lock that also carries the scratch state of the batch its holder is
    building, the running item-collection totals (C2), dropped when the holder releases it for the last
    time. Used for tables with LSIs (the others take a plain RLock: nothing to carry)."""

    __slots__ = ("_lock", "_owner", "_depth", "pending")

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._owner: Optional[int] = None
        self._depth = 0
        self.pending: Dict[bytes, int] = {}

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if not self._lock.acquire(blocking, timeout):
            return False
        self._owner = threading.get_ident()
        self._depth += 1
        return True

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None
            self.pending.clear()
        self._lock.release()

    def held(self) -> bool:
        return self._owner == threading.get_ident()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
