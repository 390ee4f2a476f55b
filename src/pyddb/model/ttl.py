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
    A daemon thread started by the model and stopped by close(): every `interval` seconds (default 2,
    `DynamoDB(ttl_interval=...)`, `pyddb serve --ttl-interval`; 0 or None: no thread) it sweeps every table
    (`sweep_now()` does one pass synchronously: what tests call after moving the clock), forgets expired
    streams and re-applies the WAL retention policy (model/retention.py). Deletes go in batches of
    SWEEP_BATCH items, each its own small write, so it never holds a table lock for long.

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
SWEEP_BATCH = 100
DEFAULT_INTERVAL_S = 2.0
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


class TTL:
    """The TTL sweeper and settings helpers of one model (model.ttl)."""

    def __init__(self, model, interval: Optional[float] = DEFAULT_INTERVAL_S):
        self.model = model
        self.interval = interval
        self.transition_s = TRANSITION_S
        self._stop = threading.Event()
        self._sweep_lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self.deleted = 0                              # items deleted since open (stats)

    def start(self) -> None:
        if self.interval and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="pyddb-ttl", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sweep_now()
            except Exception:                         # a table dropped mid-sweep, a closing engine: next pass
                if self._stop.is_set():
                    return
                log.debug("TTL sweep failed", exc_info=True)

    def status(self, t) -> tuple:
        return status(t, self.model.clock(), self.transition_s)

    def sweep_now(self) -> int:
        """One pass over every table with TTL ENABLED; returns the number of items deleted. Also forgets
        expired streams and re-applies the WAL retention policy."""
        model = self.model
        n = 0
        with self._sweep_lock:
            for t in list(model.tables.values()):
                if self._stop.is_set():
                    break
                st, attr = self.status(t)
                if st == "ENABLED":
                    n += self._sweep_table(t, attr)
            streams = getattr(model, "streams", None)
            if streams is not None:
                streams.expire()
            from pyddb.model import pitr                  # PITR bases: a new one when due, old ones dropped
            with model.lock:
                pitr.maintain(model)
            retention.apply(model)
        self.deleted += n
        return n

    def _sweep_table(self, t, attr: str) -> int:
        from pyddb._engine.errors import EngineError
        from pyddb.model import streams
        from pyddb.types import codec

        model = self.model
        engine = model.engine
        now = model.clock()
        due = []
        try:
            for pk, sk, raw in engine.scan(t.keyspace):
                item = codec.decode(raw)
                if expired(item, attr, now):
                    due.append((pk, sk))
        except EngineError:                           # the table was deleted meanwhile
            return 0
        n = 0
        for i in range(0, len(due), SWEEP_BATCH):
            if self._stop.is_set():
                break
            for pk, sk in due[i:i + SWEEP_BATCH]:
                def cond(old, _attr=attr):
                    return bool(old) and expired(old, _attr, model.clock())
                try:
                    with streams.service_identity():
                        old, _ = model.items.write(t, pk, sk, lambda old: None, condition=cond)
                except Exception as e:                # renewed (condition failed) or table gone
                    if type(e).__name__ == "ConditionalCheckFailedException":
                        continue
                    if type(e).__name__ == "ResourceNotFoundException":
                        return n
                    raise
                if old is not None:
                    n += 1
        return n
