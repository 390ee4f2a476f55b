"""Time to Live: settings, the controllable clock, and the background sweeper (operations: api/ttl.py).

SETTINGS
    TableDef.extra["ttl"] = {"attribute": name, "enabled": bool, "at": epoch s (model clock) of the change}.
    DescribeTimeToLive's status is derived: ENABLING / DISABLING for TRANSITION_S (model.ttl.transition_s,
    default 1 s) after a change, then ENABLED / DISABLED. DynamoDB takes up to an hour and refuses another
    UpdateTimeToLive meanwhile ("Time to live has been modified multiple times within a fixed interval"); we
    refuse it during our shorter transition.

EXPIRY
    An item expires when its TTL attribute is a top-level N whose value (epoch seconds) is <= now and not more
    than five years in the past (DynamoDB ignores such values); any other type, or no attribute, never
    expires. Deleting is DynamoDB's normal delete (model/items.py ItemStore.write), so indexes and
    item-collection counters stay right and the stream gets a REMOVE record with the service's userIdentity
    (streams.service_identity); the delete is conditional on the item still being expired under the table's
    lock, so a write that renews the item in between wins. Tables are swept while their TTL is ENABLED.

THE SWEEPER
    A daemon thread ("pyddb-ttl") started by the model and stopped by close() runs two schedules: every
    `interval` seconds (default 2, `DynamoDB(ttl_interval=...)`, `pyddb serve --ttl-interval`; 0 or None:
    never) one budgeted pass (`sweep_pass(SCAN_BUDGET)`), and every `maintain_interval` seconds (default
    MAINTAIN_INTERVAL_S, `DynamoDB(maintain_interval=...)`; 0 or None: never; it runs whether or not TTL
    sweeping is on) the MAINTENANCE below. No thread when both are off. A budgeted pass examines at most SCAN_BUDGET items over all TTL tables and resumes
    where the previous one stopped (a cursor per table, tables in name order), so a pass costs a bounded
    slice of the GIL whatever the tables' sizes, and a table of N items is covered in N / SCAN_BUDGET
    passes. `sweep_now()` is a full pass of every table, synchronously (what tests and
    PyDDB_20240101.SweepTimeToLive call after moving the clock). Items are read in scan slices of at most
    SLICE items; due keys are deleted as soon as SWEEP_BATCH of them are found (each delete its own small
    write, so no table lock is held for long and no list grows with the table). An item is looked at
    through its stored bytes (`due`): only one holding the TTL attribute's name followed by an N is decoded,
    and only when the number found there is due.

MAINTENANCE (`maintain()`)
    Forgets streams disabled more than 24 hours ago, keeps the PITR bases (a new one for a table whose newest
    is BASE_INTERVAL_S old, bases the window has passed dropped: model/pitr.py) and re-applies the WAL
    retention policy (model/retention.py). A new base is copied WITHOUT model.lock (the copy is as long as
    the table; pitr.take_base(unlocked=True) takes the lock only to publish it, and publishes nothing when
    the table was deleted or its PITR changed meanwhile), so CreateTable/UpdateTable/DeleteTable are not
    held up by it; the rest, pitr.maintain(drops_only=True), runs under model.lock, copies nothing and is
    cheap.

CLOCK
    model.clock is a `Clock`: the base clock (time.time) plus an offset, or a fixed epoch. `set(epoch=...)`,
    `set(offset=...)`, `advance(seconds)`; everything that reads model.clock (TTL, stream record times,
    table times, PITR windows) sees the moved time. The WAL's own timestamps stay wall-clock.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Optional

from pyddb.model import retention

log = logging.getLogger("pyddb.ttl")

FIVE_YEARS_S = 5 * 365 * 24 * 3600
SWEEP_BATCH = 100                                     # due keys deleted per chunk
SCAN_BUDGET = 10000                                   # items a background pass examines (all tables)
SLICE = 1000                                          # items per engine scan call
DEFAULT_INTERVAL_S = 2.0
MAINTAIN_INTERVAL_S = 10.0
MAX_BACKOFF_S = 60.0


def backoff(interval: float, failures: int) -> float:
    """The delay before the next try of a job run every `interval` s that failed `failures` times in a row:
    doubled per failure, at most MAX_BACKOFF_S (never less than `interval`)."""
    if failures <= 0:
        return interval
    return max(interval, min(interval * 2 ** min(failures, 64), MAX_BACKOFF_S))
TRANSITION_S = 1.0


class Clock:
    """A callable clock (epoch seconds, float): base() + offset, or a fixed epoch when set so."""

    def __init__(self, base: Callable[[], float] = time.time):
        self.base = base
        self.offset = 0.0
        self.fixed: Optional[float] = None

    def __call__(self) -> float:
        if self.fixed is not None:
            return self.fixed
        return self.base() + self.offset

    def set(self, epoch: Optional[float] = None, offset: Optional[float] = None, frozen: bool = False) -> float:
        """Move the clock: to `epoch` (it then runs on from there unless `frozen`), or to base + `offset`.
        Returns the new now."""
        if epoch is not None:
            if frozen:
                self.fixed = float(epoch)
            else:
                self.fixed = None
                self.offset = float(epoch) - self.base()
        elif offset is not None:
            self.fixed = None
            self.offset = float(offset)
        else:
            self.fixed = None
            self.offset = 0.0
        return self()

    def advance(self, seconds: float) -> float:
        if self.fixed is not None:
            self.fixed += seconds
        else:
            self.offset += seconds
        return self()


def settings(t) -> Optional[dict]:
    return (t.extra or {}).get("ttl")


def status(t, now: float, transition_s: float) -> tuple:
    """(TimeToLiveStatus, AttributeName or None) of table `t` at `now`."""
    s = settings(t)
    if not s:
        return "DISABLED", None
    moving = now < s["at"] + transition_s
    if s["enabled"]:
        return ("ENABLING" if moving else "ENABLED"), s["attribute"]
    return ("DISABLING", s["attribute"]) if moving else ("DISABLED", None)


def expired(item: dict, attr: str, now: float) -> bool:
    av = item.get(attr)
    if type(av) is not dict or "N" not in av:
        return False
    try:
        v = float(av["N"])
    except (TypeError, ValueError):
        return False
    return v <= now and v >= now - FIVE_YEARS_S


def pattern(attr: str) -> bytes:
    """The stored bytes of a top-level N attribute `attr` up to its number: msgpack of the name, then the
    one-entry map {"N": ...} (model/../types/codec.py stores the wire form as msgpack)."""
    import msgpack
    return msgpack.packb(attr, use_bin_type=True) + b"\x81\xa1N"


def due(raw: bytes, pat: bytes, attr: str, now: float) -> bool:
    """expired(decode(raw), attr, now), decoding only when the bytes say it may be. `pat` = pattern(attr).
    No occurrence of `pat`: the item has no top-level N `attr`. One occurrence: if the item has that
    attribute, it is this one, so the number after it decides when it is not due; otherwise (several, a
    number that cannot be read there, or a due one) the item is decoded and checked."""
    i = raw.find(pat)
    if i < 0:
        return False
    if raw.find(pat, i + 1) < 0:
        j = i + len(pat)
        if j < len(raw):
            b = raw[j]
            n = -1
            if 0xA0 <= b <= 0xBF:                     # fixstr
                n, j = b & 0x1F, j + 1
            elif b == 0xD9 and j + 1 < len(raw):      # str 8
                n, j = raw[j + 1], j + 2
            if n >= 0 and j + n <= len(raw):
                try:
                    v = float(raw[j:j + n])
                except ValueError:
                    v = None
                if v is not None and not (now - FIVE_YEARS_S <= v <= now):
                    return False
    from pyddb.types import codec
    return expired(codec.decode(raw), attr, now)


class TTL:
    """The TTL sweeper and settings helpers of one model (model.ttl)."""

    def __init__(self, model, interval: Optional[float] = DEFAULT_INTERVAL_S,
                 maintain_interval: Optional[float] = MAINTAIN_INTERVAL_S):
        self.model = model
        self.interval = interval
        self.maintain_interval = maintain_interval
        self._maintain_lock = threading.Lock()
        self.sweep_delays: list = []                  # delays chosen after failed sweeps (first 64: stats)
        self.transition_s = TRANSITION_S
        self._stop = threading.Event()
        self._sweep_lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self.deleted = 0                              # items deleted since open (stats)
        self._cursors: dict = {}                      # table_id -> (pk, sk) a budgeted pass resumes after
        self._turn: Optional[str] = None              # the table name a budgeted pass starts with

    def start(self) -> None:
        if (self.interval or self.maintain_interval) and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="pyddb-ttl", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._thread = None

    def _run(self) -> None:
        inf = float("inf")
        now = time.monotonic()
        next_sweep = now + self.interval if self.interval else inf
        next_maintain = now + self.maintain_interval if self.maintain_interval else inf
        sweep_failures = maintain_failures = 0
        while not self._stop.wait(max(0.0, min(next_sweep, next_maintain) - time.monotonic())):
            if time.monotonic() >= next_sweep:
                try:
                    with self._sweep_lock:
                        self.deleted += self._sweep_budgeted(SCAN_BUDGET)
                    sweep_failures = 0
                except Exception:                     # a closing engine (stop is set), or a real fault
                    if self._stop.is_set():
                        return
                    sweep_failures += 1
                    delay = backoff(self.interval, sweep_failures)
                    if len(self.sweep_delays) < 64:
                        self.sweep_delays.append(delay)
                    log.exception("TTL sweep failed (%d in a row); next try in %.3g s", sweep_failures, delay)
                next_sweep = time.monotonic() + backoff(self.interval, sweep_failures)
            if time.monotonic() >= next_maintain:
                try:
                    self.maintain()
                    maintain_failures = 0
                except Exception:
                    if self._stop.is_set():
                        return
                    maintain_failures += 1
                    log.exception("maintenance failed (%d in a row); next try in %.3g s", maintain_failures,
                                  backoff(self.maintain_interval, maintain_failures))
                next_maintain = time.monotonic() + backoff(self.maintain_interval, maintain_failures)

    def status(self, t) -> tuple:
        return status(t, self.model.clock(), self.transition_s)

    def sweep_now(self) -> int:
        """One full pass over every table with TTL ENABLED; returns the number of items deleted. Also forgets
        expired streams and re-applies the WAL retention policy."""
        return self.sweep_pass(None)

    def sweep_pass(self, budget: Optional[int]) -> int:
        """A pass examining at most `budget` items, resuming at the cursors (None: every item of every TTL
        table, from the start); then the maintenance. Returns the number of items deleted."""
        with self._sweep_lock:
            n = self._sweep_all() if budget is None else self._sweep_budgeted(budget)
            self.deleted += n
        self.maintain()
        return n

    def maintain(self) -> None:
        """The MAINTENANCE: expired streams forgotten, PITR bases kept, the WAL retention policy applied."""
        from pyddb.model import pitr

        model = self.model
        with self._maintain_lock:
            streams = getattr(model, "streams", None)
            if streams is not None:
                streams.expire()
            now = pitr._now_ns()
            due = []
            with model.lock:                          # which tables need a new base (reads only)
                for t in list(model.tables.values()):
                    if pitr.enabled(t):
                        kept = pitr.bases(model, t)
                        if not kept or now - kept[-1]["time_ns"] > pitr.BASE_INTERVAL_S * 10 ** 9:
                            due.append(t)
            for t in due:                             # copied without model.lock, published under it
                if self._stop.is_set():
                    return
                pitr.take_base(model, t, unlocked=True)
            with model.lock:                          # the drops only: a base due meanwhile waits for the
                pitr.maintain(model, drops_only=True)  # next pass, which copies it without model.lock
            retention.apply(model)

    def _enabled_tables(self) -> list:
        out = []
        for t in sorted(list(self.model.tables.values()), key=lambda t: t.name):
            st, attr = self.status(t)
            if st == "ENABLED":
                out.append((t, attr))
        return out

    def _sweep_all(self) -> int:
        n = 0
        for t, attr in self._enabled_tables():
            if self._stop.is_set():
                break
            n += self._sweep_table(t, attr, None, None)[0]
        return n

    def _sweep_budgeted(self, budget: int) -> int:
        tables = self._enabled_tables()
        live = {t.table_id for t, _ in tables}
        for tid in [k for k in self._cursors if k not in live]:
            del self._cursors[tid]                    # the table is gone or its TTL off: start over later
        if not tables:
            return 0
        names = [t.name for t, _ in tables]
        first = 0
        if self._turn is not None:
            first = next((k for k, name in enumerate(names) if name >= self._turn), 0)
        n = 0
        left = budget
        for k in range(len(tables)):
            if left <= 0 or self._stop.is_set():
                break
            t, attr = tables[(first + k) % len(tables)]
            deleted, examined, cursor = self._sweep_table(t, attr, self._cursors.get(t.table_id), left)
            n += deleted
            left -= examined
            if cursor is None:                        # the end of the table: the next table's turn
                self._cursors.pop(t.table_id, None)
                self._turn = tables[(first + k + 1) % len(tables)][0].name
            else:
                self._cursors[t.table_id] = cursor
                self._turn = t.name
                break
        return n

    def _sweep_table(self, t, attr: str, cursor, budget: Optional[int]) -> tuple:
        """Sweep table `t` from after `cursor` (None: its start), examining at most `budget` items (None: all).
        Returns (deleted, examined, cursor to resume after, or None when the table's end was reached)."""
        from pyddb._engine.errors import EngineError

        engine = self.model.engine
        now = self.model.clock()
        pat = pattern(attr)
        n = examined = 0
        while True:
            if self._stop.is_set():
                return n, examined, cursor
            limit = SLICE if budget is None else min(SLICE, budget - examined)
            if limit <= 0:
                return n, examined, cursor
            found = []
            k = 0
            ended = True
            try:
                for pk, sk, raw in engine.scan(t.keyspace, start_after=cursor):
                    k += 1
                    cursor = (pk, sk)
                    if due(raw, pat, attr, now):
                        found.append((pk, sk))
                    if k >= limit or len(found) >= SWEEP_BATCH:
                        ended = False
                        break
            except EngineError:                       # the table was deleted meanwhile
                return n, examined + k, None
            examined += k
            deleted, gone = self._delete(t, attr, found)
            n += deleted
            if gone or ended:
                return n, examined, None

    def _delete(self, t, attr: str, keys: list) -> tuple:
        """Delete the items `keys` of `t` that are still expired; returns (deleted, table gone)."""
        from pyddb.model import streams

        model = self.model
        n = 0

        def cond(old, _attr=attr):
            return bool(old) and expired(old, _attr, model.clock())
        for pk, sk in keys:
            try:
                with streams.service_identity():
                    old, _ = model.items.write(t, pk, sk, lambda old: None, condition=cond)
            except Exception as e:                # renewed (condition failed) or table gone
                if type(e).__name__ == "ConditionalCheckFailedException":
                    continue
                if type(e).__name__ == "ResourceNotFoundException":
                    return n, True
                raise
            if old is not None:
                n += 1
        return n, False
