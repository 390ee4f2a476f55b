"""Single-item reads and writes: GetItem, PutItem, UpdateItem, DeleteItem semantics over the engine.

Every write is validate -> read the old item -> check the condition -> build the new item -> check limits ->
one engine batch (the item and, with the indexes issue, its index entries). A rejected request therefore
changes nothing (I1). The read-check-write runs under the table's lock; the durability wait runs after it
(model/database.py T2), so concurrent writers share fdatasyncs.

KEY CHECKS (the order DynamoDB reports them; texts confirmed in dynalite's tests recorded against DynamoDB
and in moto/Alternator issues quoting the service)
    Key (GetItem, DeleteItem, UpdateItem): exactly the schema's attributes, of the schema's types, else
        "The provided key element does not match the schema"; then empty S/B values and sizes (types/size.py).
    Item (PutItem): each key attribute present ("Missing the key <name> in the item"), of the declared type
        ("Type mismatch for key <name> expected: <T> actual: <A>"), then empty values and sizes.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Tuple

from pyddb._engine.errors import EngineError
from pyddb.errors import ConditionalCheckFailedException, ValidationException
from pyddb.expressions.evaluate import equal
from pyddb.model import indexes, streams
from pyddb.model.schema import TableDef
from pyddb.types import codec, keycodec, size
from pyddb.types.size import MAX_HASH_KEY_SIZE, MAX_RANGE_KEY_SIZE

Item = Dict[str, Any]

MISMATCH = "The provided key element does not match the schema"
INVALID = "One or more parameter values were invalid: "


def key_type(av: Any) -> Optional[str]:
    if type(av) is dict and len(av) == 1:
        return next(iter(av))
    return None


def check_key(t: TableDef, key: Item) -> Tuple[bytes, bytes]:
    """Validate a Key parameter against the table's schema; returns its engine address (pk, sk)."""
    names = t.key_names
    if len(key) != len(names):
        raise ValidationException(MISMATCH)
    for ka, is_hash in ((t.hash_key, True), (t.range_key, False)):
        if ka is None:
            continue
        av = key.get(ka.name)
        if av is None or key_type(av) != ka.type:
            raise ValidationException(MISMATCH)
    for ka, is_hash in ((t.hash_key, True), (t.range_key, False)):
        if ka is not None:
            size.check_key(ka.name, key[ka.name], is_hash)
    return t.key_bytes(key)


def check_item_key(t: TableDef, item: Item) -> Tuple[bytes, bytes]:
    """Validate the key attributes of a PutItem Item; returns its engine address (pk, sk)."""
    for ka in (t.hash_key, t.range_key):
        if ka is None:
            continue
        av = item.get(ka.name)
        if av is None:
            raise ValidationException(INVALID + "Missing the key %s in the item" % ka.name)
        actual = key_type(av)
        if actual != ka.type:
            raise ValidationException(INVALID + "Type mismatch for key %s expected: %s actual: %s"
                                      % (ka.name, ka.type, actual))
    for ka, is_hash in ((t.hash_key, True), (t.range_key, False)):
        if ka is not None:
            size.check_key(ka.name, item[ka.name], is_hash)
    return t.key_bytes(item)


def fast_key_address(t: TableDef, key: Any) -> Optional[Tuple[bytes, bytes]]:
    """The engine address of a Key that needs no error checking, else None.

    A hot-path shortcut for GetItem (issue 3): when `key` is a dict holding exactly the table's key
    attributes, each a one-member AttributeValue of the declared type with a valid, non-empty value within
    the key size limits, the answer is what validate_item + check_key would return; for anything else it is
    None and the caller takes the checking path, which raises DynamoDB's error in DynamoDB's order. Only S,
    B and integer N values in canonical form are taken here (others go the long way)."""
    if type(key) is not dict or len(key) != (2 if t.range_key is not None else 1):
        return None
    return fast_item_address(t, key)


def fast_item_address(t: TableDef, item: Item) -> Optional[Tuple[bytes, bytes]]:
    """The engine address of a validated item (or key) whose key attributes need no error checking: what
    check_item_key would return; None for anything else (the caller runs check_item_key, which raises)."""
    hk, rk = t.hash_key, t.range_key
    pk = _fast_key_bytes(item.get(hk.name), hk.type, MAX_HASH_KEY_SIZE)
    if pk is None:
        return None
    if rk is None:
        return pk, b""
    sk = _fast_key_bytes(item.get(rk.name), rk.type, MAX_RANGE_KEY_SIZE)
    if sk is None:
        return None
    return pk, sk


def _fast_key_bytes(av: Any, declared: str, limit: int) -> Optional[bytes]:
    if type(av) is not dict or len(av) != 1:
        return None
    v = av.get(declared)
    if declared == "S":
        if type(v) is not str or not v or len(v) > limit:
            return None
        try:
            b = v.encode("utf-8")
        except UnicodeEncodeError:             # a lone surrogate: the checking path answers
            return None
        return b if len(b) <= limit else None
    if declared == "B":
        if type(v) is not bytes or not v or len(v) > limit:
            return None
        return v
    if type(v) is str and v.isdigit() and v.isascii() and len(v) <= 38 and (v[0] != "0" or v == "0"):
        return keycodec.encode_value("N", v)    # already canonical (numbers.canonical's fast path)
    return None


class ItemStore:
    """Item operations of one model (DynamoDB root)."""

    def __init__(self, model):
        self.model = model
        self.engine = model.engine

    # ---- reads ---------------------------------------------------------------------------------------------

    def get(self, t: TableDef, pk: bytes, sk: bytes) -> Optional[Item]:
        try:
            raw = self.engine.get(t.keyspace, pk, sk)
        except EngineError:
            self.model.check_current(t)         # dropped by a DeleteTable after the lookup (database.py T4)
            raise
        return None if raw is None else codec.decode(raw)

    # ---- writes --------------------------------------------------------------------------------------------

    def write(self, t: TableDef, pk: bytes, sk: bytes,
              plan: Callable[[Optional[Item]], Optional[Item]],
              condition: Optional[Callable[[Item], bool]] = None,
              return_old_on_failure: bool = False,
              update: bool = False, need_old: bool = True) -> Tuple[Optional[Item], Optional[Item]]:
        """Read-check-write one item atomically; returns (old, new).

        `plan(old)` returns the new item (None: delete) or raises a DynamoDB error. `condition(old or {})`
        must hold, else ConditionalCheckFailedException (with the old item when asked). With `update=True`
        the new item's size is checked here (an update's result is known only now); a PutItem checks its
        item's size before it looks at the table.

        need_old=False (a PutItem: its plan ignores the old item, and its caller does not want it back)
        skips reading and decoding the stored old item unless the write needs it here: a condition, the old
        item on failure, index entries or item collections, a stream record, or a definition that changed
        since the lookup. The returned `old` is then None. (Decoding is most of a small write's cost: issue 3.)
        Index ops are computed only for a table with indexes (or one whose definition changed meanwhile).
        """
        lock = self.model.table_lock(t.name)
        with lock:
            current = self.model.tables.get(t.name)
            if current is not t:
                self.model.check_current(t)     # deleted (or recreated) since the lookup: database.py T4
            indexed = bool(t.lsis or t.gsis) or current is not t
            if (need_old or condition is not None or return_old_on_failure or indexed
                    or t.stream_specification):
                raw = self.engine.get(t.keyspace, pk, sk)
                old = None if raw is None else codec.decode(raw)
            else:
                old = None                      # nothing below looks at it (see need_old): not even read
            if condition is not None and not condition(old if old is not None else {}):
                raise ConditionalCheckFailedException(item=old if (return_old_on_failure and old) else None)
            new = plan(old)
            if new is not None:
                if update:
                    size.check_item_size(new, update=True)
                ops = [(t.keyspace, pk, sk, codec.encode(new))]
            else:
                if old is None:
                    return None, None
                ops = [(t.keyspace, pk, sk, None)]
            if indexed:
                ops += self.model.index_ops(t, old, new)
            if t.stream_specification or self.model.tables.get(t.name) is not t:
                ops += streams.log_ops(self.model, t, old, new)   # the stream record (model/streams.py)
            lsn = self.engine.write_batch(ops, sync=False)
        self.model.wait_durable(lsn)
        return old, new


def written_bytes(old: Optional[Item], new: Optional[Item]) -> int:
    """Bytes a write is charged for: the larger of the old and the new item."""
    return max(size.item_size(old) if old else 0, size.item_size(new) if new else 0)


# Extra bytes an LSI entry is measured with (DynamoDB Local, decompiled: WriteDataPlaneFunction
# computeLsiCapacity passes 100, computeGsiCapacity 0).
LSI_ENTRY_OVERHEAD = 100


def index_write_units(t: TableDef, old: Optional[Item], new: Optional[Item]) -> Dict[str, Dict[str, float]]:
    """The write units each secondary index is charged for changing `old` into `new` (either may be None):
    {"GlobalSecondaryIndexes": {name: units}, "LocalSecondaryIndexes": {...}}, only the indexes charged.

    An index is charged for the entries it writes (nubo-db/dynamodb-conformance
    tests/tier1/putItem/indexConsumedCapacity.test.ts, measured against DynamoDB; DynamoDB Local's
    computeCapacityForIndex agrees): an entry added or removed costs its projected size in 1 KB units; a
    changed index key costs the old entry's removal plus the new entry's write; a changed projected
    attribute costs the larger of the two; an entry that stays the same costs nothing. Sizes are of the
    projected item (table keys, index keys and the projected attributes), plus LSI_ENTRY_OVERHEAD for an LSI.
    """
    out: Dict[str, Dict[str, float]] = {}
    ixs = indexes.maintained(t)
    if not ixs:
        return out
    ref = new if new is not None else old
    if ref is None:
        return out
    tpk, tsk = t.key_bytes(ref)
    for ix in ixs:
        lsi = ix in t.lsis
        overhead = LSI_ENTRY_OVERHEAD if lsi else 0
        ok = indexes.entry_key(t, ix, old, tpk, tsk) if old is not None else None
        nk = indexes.entry_key(t, ix, new, tpk, tsk) if new is not None else None
        if ok is None and nk is None:
            continue
        po = indexes.projected(t, ix, old) if ok is not None else None
        pn = indexes.projected(t, ix, new) if nk is not None else None
        if ok is None:
            units = size.write_units(size.item_size(pn) + overhead)
        elif nk is None:
            units = size.write_units(size.item_size(po) + overhead)
        elif ok != nk:
            units = (size.write_units(size.item_size(po) + overhead)
                     + size.write_units(size.item_size(pn) + overhead))
        elif equal({"M": po}, {"M": pn}):
            continue
        else:
            units = max(size.write_units(size.item_size(po) + overhead),
                        size.write_units(size.item_size(pn) + overhead))
        out.setdefault("LocalSecondaryIndexes" if lsi else "GlobalSecondaryIndexes", {})[ix.name] = units
    return out
