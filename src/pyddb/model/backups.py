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
    "__backup__/<id>"        the backup's items: a clone of the source table keyspace (its entries, verbatim)
    Index entries are not copied: a restore rebuilds them from the items (the restore may change the index set
    anyway: GlobalSecondaryIndexOverride / LocalSecondaryIndexOverride).

CONSISTENT COPY WHILE WRITES CONTINUE (`copy_consistent`: an engine keyspace clone)
    `engine.clone_keyspace(table keyspace, dest)` (docs/engine.md, database.pyx D9) creates `dest` from
    copies of the table keyspace's partition files as of a checkpoint at LSN L, taken while writers continue:
    `dest` equals the table after batch L exactly, with no WAL redo and no lock of the data model held. The
    engine copies each file by reflink where the filesystem shares extents (btrfs, XFS, ...: near free), else
    by an in-kernel copy (ext4: a page copy at disk speed without the GIL, 2-3x faster than copying the
    entries one by one in bench/backup_bench.py, though it copies free pages too).
    `clone_method(model, dest)` says which ran. A crash mid-clone leaves either no `dest` or a complete one
    (the engine's catalog write is the commit point); a complete one that no record names yet is named by
    its work record, so `cleanup` drops it.

RESTORE (`restore_table`: a new table from a keyspace of items)
    Under the control-plane lock (model.lock): the target name is checked free, a work record names the new
    keyspaces, the new table keyspace is made by `fill` (a clone of the backup's keyspace: `copy_from`; or of
    a PITR base plus the WAL replayed onto it: pitr.fill_at), its index entries and item-collection
    counters are computed from the items (indexes.backfill_entry: an item whose key for an overridden index has a
    wrong type is left out of that index, as an online backfill leaves it), and only then is the table's
    definition saved (durably): a table never appears half restored. A crash before the save leaves keyspaces
    that the next backup/restore operation drops (`cleanup`).

INVARIANTS
    (K1) A backup's items equal its source table's items after one committed batch (copy_consistent: the
         clone's LSN).
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


def abandon_work(model, wid: bytes, keyspaces: List[str]) -> None:
    """Undo an operation that failed: drop the keyspaces it made and retire its work record. Call under
    model.lock. If the engine cannot do it now (closed, poisoned), the work record stays for the next open's
    `cleanup`."""
    engine = model.engine
    try:
        for ks in keyspaces:
            if engine.has_keyspace(ks):
                engine.drop_keyspace(ks)
        engine.write_batch([end_work_op(wid)], sync=True)
    except Exception:
        _LIVE.discard(wid)


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
    """Create keyspace `dest` (which must not exist; name it in a work record first) holding table `t`'s items
    as of one committed batch, while writers continue (see CONSISTENT COPY). Returns the LSN of that batch:
    `dest` holds the state after it. Raises EngineError when `t`'s keyspace is gone (the table was deleted)."""
    return model.engine.clone_keyspace(t.keyspace, dest)


def clone_method(model, dest: str) -> Optional[str]:
    """How the engine copied the files of clone `dest` ("reflink", "copy_file_range" or "copy"), when `dest`
    is the last clone it made, else None."""
    info = getattr(model.engine, "last_clone", None) or {}
    return info.get("method") if info.get("dest") == dest else None


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
    try:
        lsn = copy_consistent(model, t, ks)
    except BaseException:
        abandon_work(model, wid, [ks])
        raise
    method = clone_method(model, ks)
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
        "copy": method,
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
    """Create table `t` (a new definition with new keyspaces) whose item keyspace `fill(keyspace)` creates
    with its items (a clone: `copy_from`, pitr.fill_at); index entries and item-collection counters are built
    from those items into keyspaces made here, then the definition is saved (K3). Call under model.lock with
    `t.name` checked free."""
    engine = model.engine
    icol = indexes.collection_keyspace(t) if t.lsis else None
    created = [t.keyspace] + [ix.keyspace for ix in t.indexes] + ([icol] if icol else [])
    wid = begin_work(model, created)
    try:
        fill(t.keyspace)
        for ks in created[1:]:
            engine.create_keyspace(ks)
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
    """A `fill` for restore_table: keyspace `dest` made a clone of keyspace `source` (returns its LSN)."""
    return lambda dest: model.engine.clone_keyspace(source, dest)


def now_ts(model) -> float:
    return round(model.clock(), 3)


__all__ = [
    "CATALOG", "WalGap", "backups", "build_indexes", "cleanup", "clone_method", "copy_consistent", "copy_from",
    "create_backup", "delete_backup", "find_backup", "replay", "apply_replay", "restore_table",
    "source_table", "keyspace_usage",
]
