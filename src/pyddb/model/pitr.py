"""Point-in-time recovery: a table's state at any instant of its recovery window, rebuilt as a base copy plus
the WAL records after it (the operations are api/backups.py; the copy and the table builder model/backups.py).

DESIGN
    A table with PITR enabled has one or more BASES: consistent copies of its items (backups.copy_consistent,
    an engine keyspace clone: the state after one committed batch, LSN L) taken when PITR is enabled and
    again when the newest base is older than BASE_INTERVAL_S (`maintain`). The engine's WAL (archive mode:
    every record kept while a table needs it, each record stamped with its append time ts_ns) holds every
    change after L. The state of the table at instant T is then:
        the newest base whose `time_ns` <= T, plus, in LSN order, the ops on the table's keyspace of the WAL
        records after its L, up to (excluding) the first record appended after T.
    That is a prefix of the commit order, so the result is a state the table really had: every write
    acknowledged before T is in it, no write begun after T is. The restore clones the base's keyspace into
    the new table's (an engine file clone, as a backup is taken) and replays onto it only the table's ops of
    the records after L. Index entries and item-collection counters are rebuilt from the items
    (backups.build_indexes), so the restored table's indexes may differ (overrides).

    `time_ns` of a base is the wall clock read after its copy finished, so every record it holds was appended
    at or before it. EarliestRestorableDateTime is the oldest kept base's time (rounded up to the
    millisecond) or the start of the recovery window, whichever is later; LatestRestorableDateTime is now
    (DynamoDB says "typically 5 minutes before the current time"; a local database has no such lag, so a
    write is restorable as soon as it is acknowledged).

STORAGE
    TableDef.extra["pitr"] = {"enabled": bool, "days": int, "enabled_at": epoch s}: saved with the table,
        gone with it.
    "__backups__" pk b"p", sk = table_id + "/" + %016x of L: msgpack {"table_id", "lsn", "time_ns",
        "keyspace"}; the base's items in keyspace "__pitr__/<table_id>/<%016x of L>".
    `wal_needed_from(model)` is the lowest LSN a kept base needs from the WAL (its L + 1): the retention this
    feature asks of the WAL archive. Bases older than the window's start (but the newest of those, which
    the window's first instant needs) are dropped by `maintain`, and with them the WAL they pinned.

INVARIANTS
    (P1) restore(T) equals the table's items after the last batch appended at or before T (a prefix of the
         commit order), for every T in [EarliestRestorableDateTime, now].
    (P2) A base record exists iff its keyspace is complete (the record put and the work record delete are one
         durable batch, as backups K2).
    (P3) Disabling PITR drops every base of the table: its history is gone, as DynamoDB's is.
"""
from __future__ import annotations

import math
import time
from typing import Any, Dict, Iterator, List, Optional, Tuple

import msgpack

from pyddb._engine.errors import EngineError
from pyddb.model import backups
from pyddb.model.schema import TableDef
from pyddb.types import codec

DEFAULT_DAYS = 35
BASE_INTERVAL_S = 24 * 3600          # a new base when the newest is older than this
BASE_PREFIX = "__pitr__/"
DAY_NS = 86400 * 10 ** 9


def settings(t: TableDef) -> Dict[str, Any]:
    return t.extra.get("pitr") or {}


def enabled(t: TableDef) -> bool:
    return bool(settings(t).get("enabled"))


def _now_ns() -> int:
    return time.time_ns()


# ---- bases -------------------------------------------------------------------------------------------------


def bases(model, t: TableDef) -> List[Dict[str, Any]]:
    """The kept bases of table `t`, oldest first."""
    engine = model.engine
    if not engine.has_keyspace(backups.CATALOG):
        return []
    prefix = t.table_id.encode() + b"/"
    out = [msgpack.unpackb(raw, raw=False) for _sk, raw in engine.iter_prefix(backups.CATALOG, b"p", prefix)]
    out.sort(key=lambda b: b["lsn"])
    return out


def take_base(model, t: TableDef, unlocked: bool = False) -> Optional[Dict[str, Any]]:
    """A new base of `t` (P2). Call under model.lock; writers continue. `unlocked=True` (the maintenance
    thread, model/ttl.py): the caller does not hold model.lock; the clone runs without it (the engine makes
    the base's keyspace atomically, already named by a work record of this process, which `cleanup` leaves
    alone), and every change of the model's catalog (the work record, publishing the base, or abandoning it:
    None, its keyspace dropped, when `t` was deleted or its PITR settings changed meanwhile) is made under
    it."""
    engine = model.engine
    tmp = BASE_PREFIX + "%s/new-%d" % (t.table_id, _now_ns())
    with model.lock:
        wid = backups.begin_work(model, [tmp])
    pin = backups.pin_wal(model, engine.last_lsn)     # the WAL after the base: kept until its record pins it
    try:
        return _take_base(model, t, tmp, wid, unlocked)
    except BaseException:
        _abandon(model, tmp, wid)
        raise
    finally:
        backups.unpin_wal(model, pin)


def _abandon(model, tmp: str, wid: bytes) -> None:
    with model.lock:                                  # re-entrant: callers under model.lock are fine
        backups.abandon_work(model, wid, [tmp])


def _gone(model, t: TableDef) -> bool:
    current = model.tables.get(t.name)
    return current is None or current.table_id != t.table_id or settings(current) != settings(t)


def _take_base(model, t: TableDef, tmp: str, wid: bytes, unlocked: bool = False) -> Optional[Dict[str, Any]]:
    try:
        lsn = backups.copy_consistent(model, t, tmp)
    except EngineError:
        with model.lock:
            if unlocked and _gone(model, t):          # deleted before the clone began: nothing to copy
                _abandon(model, tmp, wid)
                return None
        raise
    with model.lock:
        if unlocked and _gone(model, t):
            _abandon(model, tmp, wid)
            return None
        return _publish_base(model, t, tmp, wid, lsn)


def _publish_base(model, t: TableDef, tmp: str, wid: bytes, lsn: int) -> Dict[str, Any]:
    engine = model.engine
    time_ns = _now_ns()
    record = {"table_id": t.table_id, "lsn": lsn, "time_ns": time_ns, "keyspace": tmp}
    sk = ("%s/%016x" % (t.table_id, lsn)).encode()
    old = engine.get(backups.CATALOG, b"p", sk)
    if old is not None:        # no batch since the newest base: it is this one already
        engine.drop_keyspace(tmp)          # first: the work record is what lets cleanup find it after a crash
        engine.write_batch([backups.end_work_op(wid)], sync=True)
        return msgpack.unpackb(old, raw=False)
    engine.write_batch([(backups.CATALOG, b"p", sk, msgpack.packb(record, use_bin_type=True)),
                        backups.end_work_op(wid)], sync=True)
    return record


def _drop_base(model, base: Dict[str, Any]) -> None:
    engine = model.engine
    sk = ("%s/%016x" % (base["table_id"], base["lsn"])).encode()
    engine.write_batch([(backups.CATALOG, b"p", sk, None)], sync=True)
    if engine.has_keyspace(base["keyspace"]):
        engine.drop_keyspace(base["keyspace"])


def drop_all_bases(model, table_id: str) -> None:
    engine = model.engine
    if not engine.has_keyspace(backups.CATALOG):
        return
    for _sk, raw in list(engine.iter_prefix(backups.CATALOG, b"p", table_id.encode() + b"/")):
        _drop_base(model, msgpack.unpackb(raw, raw=False))
    _apply_retention(model)


def _apply_retention(model) -> None:
    """Let the WAL archive forget what no kept base needs any more (model/retention.py)."""
    backups._apply_retention(model)


def maintain(model, t: Optional[TableDef] = None, *, drops_only: bool = False) -> None:
    """Take a new base when the newest is older than BASE_INTERVAL_S, drop bases no instant of the window
    needs, and drop the bases of tables that are gone or have PITR off. `t=None`: every table. Call under
    model.lock. `drops_only=True` (the API operations, api/backups.py): never copy a table here, only retire
    what the window has passed; new bases are the maintenance thread's job (model/ttl.py MAINTENANCE), which
    copies without model.lock."""
    engine = model.engine
    if not engine.has_keyspace(backups.CATALOG):
        return
    tables = [t] if t is not None else list(model.tables.values())
    if t is None:   # bases whose table is gone or no longer has PITR
        live = {x.table_id for x in model.tables.values() if enabled(x)}
        for _sk, raw in list(engine.iter_range(backups.CATALOG, b"p")):
            base = msgpack.unpackb(raw, raw=False)
            if base["table_id"] not in live:
                _drop_base(model, base)
    now = _now_ns()
    for x in tables:
        if not enabled(x):
            continue
        kept = bases(model, x)
        if not drops_only and (not kept or now - kept[-1]["time_ns"] > BASE_INTERVAL_S * 10 ** 9):
            kept.append(take_base(model, x))
        start = now - settings(x).get("days", DEFAULT_DAYS) * DAY_NS
        before = [b for b in kept if b["time_ns"] <= start]
        for b in before[:-1]:           # the newest base before the window start serves its first instant
            _drop_base(model, b)
        if before[:-1]:
            _apply_retention(model)


def wal_needed_from(model) -> Optional[int]:
    """The lowest WAL LSN a kept base of a table with PITR on needs (its LSN + 1), or None: what PITR asks the
    WAL archive to keep (model/retention.py). Bases of tables deleted or with PITR off pin nothing, even
    before `maintain` drops them."""
    engine = model.engine
    if not engine.has_keyspace(backups.CATALOG):
        return min(backups.pins(model), default=None)
    live = {t.table_id for t in list(model.tables.values()) if enabled(t)}
    lsns = [base["lsn"] + 1 for base in (msgpack.unpackb(raw, raw=False)
                                         for _sk, raw in engine.iter_range(backups.CATALOG, b"p"))
            if base["table_id"] in live]
    lsns += backups.pins(model)                  # copies under way (backups.pin_wal)
    return min(lsns) if lsns else None


# ---- settings ----------------------------------------------------------------------------------------------


def enable(model, t: TableDef, days: int) -> TableDef:
    """Turn PITR on (a first base is taken now) or change its period. Call under model.lock."""
    new = t.copy()
    current = settings(t)
    if current.get("enabled"):
        new.extra["pitr"] = dict(current, days=days)
        model.save_table(new)
        return new
    drop_all_bases(model, t.table_id)
    # the WAL from here on stays pinned until the saved definition makes the base count (wal_needed_from)
    pin = backups.pin_wal(model, model.engine.last_lsn)
    try:
        take_base(model, t)
        new.extra["pitr"] = {"enabled": True, "days": days, "enabled_at": round(model.clock(), 3)}
        model.save_table(new)
    finally:
        backups.unpin_wal(model, pin)
    return new


def disable(model, t: TableDef) -> TableDef:
    """Turn PITR off and forget the table's history (P3). Call under model.lock."""
    new = t.copy()
    new.extra["pitr"] = {"enabled": False}
    model.save_table(new)
    drop_all_bases(model, t.table_id)
    return new


def window(model, t: TableDef, now_ns: Optional[int] = None) -> Optional[Tuple[int, int]]:
    """(earliest, latest) restorable instants of `t` in ns since the epoch, or None (PITR off or no base)."""
    if not enabled(t):
        return None
    kept = bases(model, t)
    if not kept:
        return None
    now = _now_ns() if now_ns is None else now_ns
    earliest = max(kept[0]["time_ns"], now - settings(t).get("days", DEFAULT_DAYS) * DAY_NS)
    earliest = math.ceil(earliest / 10 ** 6) * 10 ** 6          # reported to the millisecond: round up
    return earliest, max(earliest, now)


# ---- the state at an instant -------------------------------------------------------------------------------


def base_for(model, t: TableDef, ts_ns: int) -> Dict[str, Any]:
    """The newest base of `t` taken at or before `ts_ns`. LookupError when there is none."""
    usable = [b for b in bases(model, t) if b["time_ns"] <= ts_ns]
    if not usable:
        raise LookupError("no base of table %s at or before %d" % (t.name, ts_ns))
    return usable[-1]


def fill_at(model, t: TableDef, ts_ns: int, dest: str) -> int:
    """Create keyspace `dest` (it must not exist) holding the items of `t` as they were at `ts_ns` (P1);
    returns the LSN of the last batch applied. Raises backups.WalGap when the WAL no longer holds what the
    replay needs."""
    engine = model.engine
    base = base_for(model, t, ts_ns)
    backups.copy_from(model, base["keyspace"])(dest)       # creates dest: a clone of the base
    last = [base["lsn"]]

    def records():
        for lsn, ts, ops in backups.replay(engine, t.keyspace, base["lsn"] + 1, upto_ts_ns=ts_ns):
            last[0] = lsn
            yield lsn, ts, ops
    backups.apply_replay(engine, dest, records())
    return last[0]


def iter_table_at(model, table: TableDef, ts: Any) -> Iterator[Dict[str, Any]]:
    """The items of `table` as they were at `ts` (epoch seconds, or a datetime), decoded, in engine scan
    order: for ExportTableToPointInTime. Raises LookupError at once when the table has no PITR or `ts` is
    outside its recovery window. The state is materialized now (under model.lock) into a scratch keyspace,
    which the returned iterator drops when it is exhausted or closed (or, if it never is, the next backup
    operation's cleanup)."""
    ts_ns = to_ns(ts)
    engine = model.engine
    with model.lock:
        w = window(model, table)
        if w is None or not (w[0] <= ts_ns <= w[1]):
            raise LookupError("%s is outside the recovery window of table %s" % (ts, table.name))
        scratch = BASE_PREFIX + "%s/scan-%d" % (table.table_id, _now_ns())
        wid = backups.begin_work(model, [scratch])
        try:
            fill_at(model, table, ts_ns, scratch)
        except BaseException:
            _drop_scratch(model, scratch, wid)
            raise
    return _scan_then_drop(model, scratch, wid)


def _drop_scratch(model, scratch: str, wid: bytes) -> None:
    with model.lock:
        if model.engine.has_keyspace(scratch):
            model.engine.drop_keyspace(scratch)
        model.engine.write_batch([backups.end_work_op(wid)], sync=False)


def _scan_then_drop(model, scratch: str, wid: bytes) -> Iterator[Dict[str, Any]]:
    try:
        for _pk, _sk, raw in model.engine.scan(scratch):
            yield codec.decode(raw)
    finally:
        _drop_scratch(model, scratch, wid)


def to_seconds(ts: Any) -> float:
    """Epoch seconds (int, float, Decimal, numeric str), an ISO 8601 string or a datetime -> epoch seconds.
    A datetime or ISO text without a zone is UTC, as botocore sends it."""
    if isinstance(ts, str):
        try:
            return float(ts)
        except ValueError:
            import datetime as _dt
            ts = _dt.datetime.fromisoformat(ts.replace("Z", "+00:00"))
    if hasattr(ts, "timestamp"):
        if getattr(ts, "tzinfo", 0) is None:
            import datetime as _dt
            ts = ts.replace(tzinfo=_dt.timezone.utc)
        return ts.timestamp()
    return float(ts)


def to_ns(ts: Any) -> int:
    """to_seconds(ts) in ns since the epoch, to the microsecond."""
    return round(to_seconds(ts) * 10 ** 6) * 1000
