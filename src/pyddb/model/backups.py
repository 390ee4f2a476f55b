"""On-demand backups: a consistent copy of a table's items kept inside the engine database, and tables
restored from it (the operations are api/backups.py; point-in-time recovery, which reuses the copy and the
table builder, is model/pitr.py).

STORAGE (all inside the engine: the data model never touches files)
    "__backups__"            the backup catalog keyspace:
        pk b"b", sk = backup id        msgpack of the backup's record (see `_record`): name, ARN, times, the
                                       source TableDef as it was, the keyspace holding the copy, sizes
        pk b"w", sk = work id          msgpack [keyspace, ...]: an operation under way that created these
                                       keyspaces; the record is removed in the batch that commits the
                                       operation, so one left behind names keyspaces of an operation that a
                                       crash interrupted (`cleanup` drops them, unless a table owns them)
    "__backup__/<id>"        the backup's items: the source table keyspace's (pk, sk, value) entries, verbatim
    Index entries are not copied: a restore rebuilds them from the items (the restore may change the index set
    anyway: GlobalSecondaryIndexOverride / LocalSecondaryIndexOverride).

CONSISTENT COPY WHILE WRITES CONTINUE (`copy_consistent`: a fuzzy copy made exact by redo from the WAL)
    1. L0 = engine.last_lsn - 1. At most one batch is appended to the WAL but not yet applied at any moment
       (both happen under the engine's write lock), so every batch <= L0 is applied.
    2. Copy every entry of the source keyspace into the destination by an engine scan, with no lock: writers
       continue. Each entry is copied as it was at some moment of the scan.
    3. L1 = engine.last_lsn.
    4. Replay onto the destination, in LSN order, every op on the source keyspace of the WAL records
       L0 < lsn <= L1 (put or delete, verbatim).
    After 4 the destination equals the source as of the state after batch L1, exactly: an entry written in
    (L0, L1] ends with its last write in that range; an entry not written then had one value throughout the
    scan, the one copied. That is the state at one instant of the commit order, while writers never waited.
    The records from L0 + 1 on are pinned in the WAL archive while the copy runs (`pin_wal`: the archive's
    retention policy, model/retention.py, keeps them). If the WAL no longer holds them anyway (a database
    opened without archive mode, where a checkpoint retires records), the copy is made again under the
    table's lock (model/database.py: every write of a table's items runs under
    it), which is exact too but makes the table's writers wait for the copy.

    COST: a backup is a full copy of the table's entries (no index entries). An engine keyspace clone that
    shares the copy-on-write pages of the last checkpoint would make it cost O(pages changed since); see
    docs/backups-pitr.md for the API this would need.

RESTORE (`restore_table`: a new table from a keyspace of items)
    Under the control-plane lock (model.lock): the target name is checked free, a work record names the new
    keyspaces, the items are copied into the new table keyspace with their index entries and item-collection
    counters computed from the items (indexes.backfill_entry: an item whose key for an overridden index has a
    wrong type is left out of that index, as an online backfill leaves it), and only then is the table's
    definition saved (durably): a table never appears half restored. A crash before the save leaves keyspaces
    that the next backup/restore operation drops (`cleanup`).

INVARIANTS
    (K1) A backup's items equal its source table's items after one committed batch (copy_consistent).
    (K2) A backup record exists iff its keyspace is complete: the record put and the work record delete are
         one durable engine batch.
    (K3) A restored table is visible only when complete: its definition is saved after its items and index
         entries are written.
"""
from __future__ import annotations

import os
import threading
import uuid
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

import msgpack

from pyddb._engine.errors import EngineError
from pyddb.model import indexes
from pyddb.model.schema import TableDef
from pyddb.types import codec

CATALOG = "__backups__"
BACKUP_PREFIX = "__backup__/"
COPY_CHUNK = 512                      # entries per engine batch while copying

Entry = Tuple[bytes, bytes, bytes]    # (pk, sk, value)


# ---- the catalog keyspace ----------------------------------------------------------------------------------


def _ensure_catalog(engine) -> None:
    if not engine.has_keyspace(CATALOG):
        engine.create_keyspace(CATALOG)


def _pack(obj: Any) -> bytes:
    return msgpack.packb(obj, use_bin_type=True)


def _unpack(raw: bytes) -> Any:
    return msgpack.unpackb(raw, raw=False)


_LIVE: set = set()    # work ids of operations under way in this process: not crash leftovers


def begin_work(model, keyspaces: List[str]) -> bytes:
    """Record that an operation is about to create `keyspaces` (durably); returns the work id."""
    _ensure_catalog(model.engine)
    wid = uuid.uuid4().hex.encode()
    _LIVE.add(wid)
    model.engine.write_batch([(CATALOG, b"w", wid, _pack(keyspaces))], sync=True)
    return wid


def end_work_op(wid: bytes) -> tuple:
    """The op that retires a work record: put it in the batch that commits the operation (K2)."""
    _LIVE.discard(wid)
    return (CATALOG, b"w", wid, None)


def cleanup(model) -> int:
    """Drop the keyspaces of operations a crash interrupted (work records left behind), except keyspaces a
    table owns and those of operations still under way in this process (a point-in-time scan an export is
    reading: pitr.iter_table_at). Call under model.lock. Returns the number of keyspaces dropped."""
    engine = model.engine
    if not engine.has_keyspace(CATALOG):
        return 0
    owned = set()
    for t in model.tables.values():
        owned.add(t.keyspace)
        owned.add(indexes.collection_keyspace(t))
        owned.update(ix.keyspace for ix in t.indexes)
    dropped = 0
    for wid, raw in list(engine.iter_range(CATALOG, b"w")):
        if wid in _LIVE:
            continue
        for ks in _unpack(raw):
            if ks not in owned and engine.has_keyspace(ks):
                engine.drop_keyspace(ks)
                dropped += 1
        engine.write_batch([(CATALOG, b"w", wid, None)], sync=False)
    return dropped


# ---- consistent copies -------------------------------------------------------------------------------------


def _copy_entries(engine, entries: Iterable[Entry], dest: str) -> int:
    n = 0
    ops = []
    for pk, sk, value in entries:
        ops.append((dest, pk, sk, value))
        if len(ops) >= COPY_CHUNK:
            engine.write_batch(ops, sync=False)
            n += len(ops)
            ops = []
    if ops:
        engine.write_batch(ops, sync=False)
        n += len(ops)
    return n


def replay(engine, source: str, from_lsn: int, upto_lsn: Optional[int] = None,
           upto_ts_ns: Optional[int] = None) -> Iterator[Tuple[int, int, List[tuple]]]:
    """The WAL records from `from_lsn` on, as (lsn, ts_ns, [(pk, sk, value|None)] of keyspace `source`), in
    LSN order, ending after `upto_lsn` or before the first record appended after `upto_ts_ns` (a prefix of the
    commit order either way). Raises WalGap when the WAL no longer holds `from_lsn`."""
    try:
        records = engine.wal_records(from_lsn)
        expect = from_lsn
        for lsn, ts, ops in records:
            if lsn != expect:
                if lsn < expect:
                    continue
                raise WalGap(from_lsn, lsn)
            expect = lsn + 1
            if upto_lsn is not None and lsn > upto_lsn:
                return
            if upto_ts_ns is not None and ts > upto_ts_ns:
                return
            mine = [(pk, sk, value) for ks, pk, sk, value in ops if ks == source]
            yield lsn, ts, mine
            if upto_lsn is not None and lsn >= upto_lsn:
                return
    except (EngineError, OSError) as e:     # retired before or while we read it
        raise WalGap(from_lsn, None) from e
    if upto_lsn is not None and expect <= upto_lsn:
        raise WalGap(expect, None)


class WalGap(Exception):
    """The WAL does not hold the records a replay needs (retired by a checkpoint outside archive mode)."""

    def __init__(self, wanted: int, found: Optional[int]):
        super().__init__("the WAL no longer holds LSN %d%s" % (wanted, "" if found is None else
                                                             " (it resumes at %d)" % found))
        self.wanted = wanted


def apply_replay(engine, dest: str, records: Iterable[Tuple[int, int, List[tuple]]]) -> int:
    """Apply replayed ops to keyspace `dest` verbatim; returns the number of ops applied."""
    return _copy_entries(engine, (op for _lsn, _ts, mine in records for op in mine), dest)


_PINS: Dict[int, Dict[int, int]] = {}   # id(engine) -> {pin id: first LSN} of copies under way
_pin_ids = iter(range(1, 1 << 62))


_pins_lock = threading.Lock()


def pins(model) -> List[int]:
    """The first WAL LSNs that copies under way on this model still need to read."""
    with _pins_lock:
        return list(_PINS.get(id(model.engine), {}).values())


def pin_wal(model, first_lsn: int) -> int:
    """Ask the WAL archive to keep the records from `first_lsn` on until `unpin_wal` (model/retention.py reads
    the pins through pitr.wal_needed_from); returns the pin id."""
    with _pins_lock:
        pid = next(_pin_ids)
        _PINS.setdefault(id(model.engine), {})[pid] = first_lsn
    _apply_retention(model)
    return pid


def unpin_wal(model, pid: int) -> None:
    with _pins_lock:
        mine = _PINS.get(id(model.engine), {})
        mine.pop(pid, None)
        if not mine:
            _PINS.pop(id(model.engine), None)
    _apply_retention(model)


def _apply_retention(model) -> None:
    try:
        from pyddb.model import retention
    except ImportError:  # pragma: no cover - a model without WAL retention keeps the whole archive
        return
    retention.apply(model)


def copy_consistent(model, t: TableDef, dest: str) -> int:
    """Fill the new, empty keyspace `dest` with table `t`'s items as of one committed batch, while writers
    continue (see CONSISTENT COPY). Returns the LSN of that batch: `dest` holds the state after it."""
    engine = model.engine
    start = max(0, engine.last_lsn - 1)                                     # step 1
    pin = pin_wal(model, start + 1)     # the redo's records: not trimmed by the archive's retention meanwhile
    try:
        _copy_entries(engine, engine.scan(t.keyspace), dest)                # step 2
        end = engine.last_lsn                                               # step 3
        try:
            if end > start:
                apply_replay(engine, dest, replay(engine, t.keyspace, start + 1, upto_lsn=end))   # step 4
            return end
        except WalGap:
            pass
    finally:
        unpin_wal(model, pin)
    # the WAL lost the records the redo needs: copy again with the table's writers held back
    engine.drop_keyspace(dest)
    engine.create_keyspace(dest)
    with model.table_lock(t.name):
        _copy_entries(engine, engine.scan(t.keyspace), dest)
        return engine.last_lsn


def keyspace_usage(model, keyspace: str) -> Tuple[int, int]:
    """(entries, approximate item bytes) of an engine keyspace, as DescribeTable measures a table."""
    st = model.engine.stats()["keyspaces"].get(keyspace)
    if not st:
        return 0, 0
    return st["entries"], max(0, st["data_bytes"] - 10 * st["entries"])


# ---- backups -----------------------------------------------------------------------------------------------


def new_backup_id(now: float) -> str:
    """DynamoDB's form: epoch milliseconds (14 digits) and 8 hex digits, "01681997703770-aa93528e"."""
    return "%014d-%s" % (int(round(now * 1000)), os.urandom(4).hex())


def backup_arn(model, table_name: str, backup_id: str) -> str:
    return "%s/backup/%s" % (model.arn(table_name), backup_id)


def create_backup(model, t: TableDef, name: str, *, backup_type: str = "USER",
                  clock: Optional[Callable[[], float]] = None) -> Dict[str, Any]:
    """Copy table `t` into a new backup (K1, K2); returns its record. Call under model.lock (the table cannot
    be deleted meanwhile); the table's writers continue."""
    engine = model.engine
    now = round((clock or model.clock)(), 3)
    bid = new_backup_id(now)
    ks = BACKUP_PREFIX + bid
    wid = begin_work(model, [ks])
    engine.create_keyspace(ks)
    lsn = copy_consistent(model, t, ks)
    count, size = keyspace_usage(model, ks)
    src_count, src_size = keyspace_usage(model, t.keyspace)
    record = {
        "id": bid,
        "name": name,
        "arn": backup_arn(model, t.name, bid),
        "type": backup_type,
        "created_at": now,
        "lsn": lsn,
        "keyspace": ks,
        "item_count": count,
        "size_bytes": size,
        "table": t.to_dict(),
        "table_arn": model.arn(t.name),
        "table_size_bytes": src_size,
        "table_item_count": src_count,
    }
    engine.write_batch([(CATALOG, b"b", bid.encode(), _pack(record)), end_work_op(wid)], sync=True)
    return record


def backups(model) -> List[Dict[str, Any]]:
    """Every backup record, oldest first (by creation time, then ARN)."""
    engine = model.engine
    if not engine.has_keyspace(CATALOG):
        return []
    out = [_unpack(raw) for _sk, raw in engine.iter_range(CATALOG, b"b")]
    out.sort(key=lambda r: (r["created_at"], r["arn"]))
    return out


def find_backup(model, arn: str) -> Optional[Dict[str, Any]]:
    """The backup an ARN names, or None."""
    bid = arn.rsplit("/backup/", 1)[-1] if "/backup/" in arn else None
    if not bid or not model.engine.has_keyspace(CATALOG):
        return None
    raw = model.engine.get(CATALOG, b"b", bid.encode())
    if raw is None:
        return None
    record = _unpack(raw)
    return record if record["arn"] == arn else None


def delete_backup(model, record: Dict[str, Any]) -> None:
    """Remove a backup's record, then its keyspace. Call under model.lock."""
    engine = model.engine
    engine.write_batch([(CATALOG, b"b", record["id"].encode(), None)], sync=True)
    if engine.has_keyspace(record["keyspace"]):
        engine.drop_keyspace(record["keyspace"])


def source_table(record: Dict[str, Any]) -> TableDef:
    return TableDef.from_dict(record["table"])


# ---- restore -----------------------------------------------------------------------------------------------


def restore_table(model, t: TableDef, fill: Callable[[str], Any]) -> TableDef:
    """Create table `t` (a new definition with new keyspaces) whose items `fill(keyspace)` writes into the
    empty keyspace it is given; index entries and item-collection counters are built from those items, then
    the definition is saved (K3). Call under model.lock with `t.name` checked free."""
    engine = model.engine
    icol = indexes.collection_keyspace(t) if t.lsis else None
    created = [t.keyspace] + [ix.keyspace for ix in t.indexes] + ([icol] if icol else [])
    wid = begin_work(model, created)
    try:
        for ks in created:
            engine.create_keyspace(ks)
        fill(t.keyspace)
        build_indexes(model, t)
    except BaseException:
        for ks in created:
            if engine.has_keyspace(ks):
                engine.drop_keyspace(ks)
        engine.write_batch([end_work_op(wid)], sync=True)
        raise
    model.save_table(t)
    engine.write_batch([end_work_op(wid)], sync=True)
    return t


def build_indexes(model, t: TableDef) -> None:
    """Write the index entries and item-collection counters of every item of `t` (whose index and counter
    keyspaces exist and are empty)."""
    if not t.indexes:
        return
    engine = model.engine
    totals: Dict[bytes, int] = {}
    ops: List[tuple] = []
    for pk, sk, raw in engine.scan(t.keyspace):
        item = codec.decode(raw)
        for ix in t.indexes:
            op = indexes.backfill_entry(t, ix, item, pk, sk)
            if op is not None:
                ops.append(op)
        if t.lsis:
            totals[pk] = totals.get(pk, 0) + indexes.collection_bytes(t, item)
        if len(ops) >= COPY_CHUNK:
            engine.write_batch(ops, sync=False)
            ops = []
    if t.lsis:
        ks = indexes.collection_keyspace(t)
        ops += [(ks, pk, b"", n.to_bytes(8, "big")) for pk, n in totals.items() if n]
    if ops:
        engine.write_batch(ops, sync=False)


def copy_from(model, source: str) -> Callable[[str], int]:
    """A `fill` for restore_table: the entries of keyspace `source`, verbatim."""
    return lambda dest: _copy_entries(model.engine, model.engine.scan(source), dest)


def now_ts(model) -> float:
    return round(model.clock(), 3)


__all__ = [
    "CATALOG", "WalGap", "backups", "build_indexes", "cleanup", "copy_consistent", "copy_from",
    "create_backup", "delete_backup", "find_backup", "replay", "apply_replay", "restore_table",
    "source_table", "keyspace_usage",
]
