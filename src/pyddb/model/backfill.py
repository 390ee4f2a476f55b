"""Online index changes: the background work behind UpdateTable's GlobalSecondaryIndexUpdates.

api/tables.py checks the request and saves the table's new definition; this module does the rest, in one
daemon thread per index, and picks unfinished work up again when a database is opened.

CREATE (an index added to a table that already holds items)
    UpdateTable creates the index's keyspace and saves the index as IndexStatus CREATING, Backfilling true.
    From that moment every write maintains the index (model/indexes.py X4, model/database.py T3). The build
    then walks the table keyspace in engine order, `batch_items` (500) items per step:
        1. take the table's lock; stop if the table or the index is gone, or the index is no longer CREATING
        2. read the next items after the cursor (engine scan with start_after), under the lock, so each
           value is the item's current one
        3. for each item, the entry it belongs with (indexes.backfill_entry: items with a missing, mistyped,
           empty or oversized key value are left out, as DynamoDB leaves them out)
        4. write the entries and the new cursor in one engine batch (not waiting for the fsync); unlock
    When a step finds fewer than `batch_items` items, the walk is complete: the index is saved ACTIVE with
    Backfilling false (a durable catalog write).

DELETE
    UpdateTable saves the index as DELETING (writes stop maintaining it: X4). The worker then takes the
    control-plane lock and the table's lock (so no writer is half-way through a batch that still names the
    index), drops the index keyspace, and saves the definition without the index and without the attribute
    definitions no key uses any more.

PROGRESS KEYSPACE "__backfill__": pk = the index keyspace's name (UTF-8), sk = b"", value = msgpack
    [pk, sk] of the last table key the build has covered. Deleted when the build ends either way.

INVARIANTS
    (B1) A step never resurrects an entry a concurrent write removed and never overwrites a newer one: the
         step holds the table's lock and computes every entry from the item's value read under that lock, so
         it writes exactly what a write of that value would have left.
    (B2) No write misses the new index: a write whose batch is built before the CREATING definition is
         saved is applied before the step that covers its item takes the lock; a write after that sees the
         definition (T3) and maintains the index itself. Items ahead of the cursor are covered by later steps,
         items behind it by the writes that change them.
    (B3) A restart resumes a build after its last durable cursor, and rebuilding an entry twice is harmless
         (each step is idempotent), so a crash at any point ends with the same entries.
    (B4) A deletion's keyspace drop happens under the table's lock after DELETING is saved, so no batch that
         still writes to the index can arrive after it; a crash between the drop and the catalog write is
         finished on the next open.
    (B5) An exception inside a worker (an engine error, a bug) does not end the work: it is logged
         ("pyddb.backfill", with the traceback), counted in `failures` (and `last_error`) and the worker
         tries again after a pause that doubles from `retry_delay` up to `retry_max_delay`, resuming after
         the last durable cursor (B3), so the index does not stay CREATING (or DELETING) with nobody working
         on it. Closing the database stops the retries; the next open resumes the work (B3).
"""
from __future__ import annotations

import logging
import threading
from typing import Dict, Optional, Tuple

import msgpack

from pyddb.model import indexes
from pyddb.types import codec

PROGRESS_KEYSPACE = "__backfill__"

log = logging.getLogger("pyddb.backfill")


class Backfills:
    """The online index work of one model. `batch_items` and `pause` (seconds between steps) are knobs for
    tests that want to watch a build part-way."""

    def __init__(self, model):
        self.model = model
        self.batch_items = 500
        self.pause = 0.0
        self._stop = threading.Event()
        self._guard = threading.Lock()
        self._threads: Dict[Tuple[str, str, str], threading.Thread] = {}
        self._again: set = set()            # workers asked to look at their index's status once more
        self.retry_delay = 0.5              # (B5) first pause after a failure; doubles up to retry_max_delay
        self.retry_max_delay = 60.0
        self.failures: Dict[Tuple[str, str, str], int] = {}         # failed attempts per worker key
        self.last_error: Dict[Tuple[str, str, str], BaseException] = {}

    # ---- starting and stopping ----------------------------------------------------------------------------

    def start(self, table_name: str, index_name: str) -> None:
        """Run whatever the index's saved status asks for (CREATING: build; DELETING: drop), in the
        background. While the index's worker runs, it is asked to look at the status again before it ends
        (a delete that arrives during the build is done by the same worker, after the build stops)."""
        t = self.model.tables.get(table_name)
        ix = t.index(index_name) if t is not None else None
        if ix is None:
            return
        if ix.status == "CREATING":
            # here, not in the worker: the catalog changes in the caller's time
            self._ensure_progress_keyspace()
        key = (table_name, index_name, t.table_id)
        with self._guard:
            if self._stop.is_set():
                return
            running = self._threads.get(key)
            if running is not None and running.is_alive():
                self._again.add(key)
                return
            thread = threading.Thread(target=self._run, args=key, daemon=True,
                                      name="pyddb-index-%s-%s" % (table_name, index_name))
            self._threads[key] = thread
            thread.start()

    def resume(self) -> None:
        """On open: restart every build and deletion a previous run left unfinished (B3, B4)."""
        for t in list(self.model.tables.values()):
            for ix in t.gsis:
                if ix.status in ("CREATING", "DELETING"):
                    self.start(t.name, ix.name)

    def stop(self) -> None:
        """Before close: let each worker finish its current step and return."""
        with self._guard:
            self._stop.set()
            threads = list(self._threads.values())
        for thread in threads:
            thread.join()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Wait for the running workers to end (tests); True when none is left running."""
        with self._guard:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout)
        return not any(thread.is_alive() for thread in threads)

    def _run(self, table_name: str, index_name: str, table_id: str) -> None:
        key = (table_name, index_name, table_id)
        delay = self.retry_delay
        while True:
            try:
                with self._guard:
                    self._again.discard(key)
                t = self.model.tables.get(table_name)
                ix = t.index(index_name) if t is not None and t.table_id == table_id else None
                work = {"CREATING": self._build, "DELETING": self._delete}.get(ix.status) if ix else None
                if work is not None and not self._stop.is_set():
                    work(table_name, index_name, table_id)
                with self._guard:
                    if key not in self._again or self._stop.is_set():
                        if self._threads.get(key) is threading.current_thread():
                            del self._threads[key]
                        return
            except Exception as e:                                          # (B5)
                if self._stop.is_set():     # a closed engine while stopping is expected
                    return
                self.failures[key] = self.failures.get(key, 0) + 1
                self.last_error[key] = e
                log.exception("index %s of table %s: background work failed (attempt %d); retrying in %.1f s",
                              index_name, table_name, self.failures[key], delay)
                if self._stop.wait(delay):
                    return
                delay = min(delay * 2, self.retry_max_delay)
                with self._guard:
                    self._again.add(key)    # look at the status again, whatever the failure left behind

    # ---- build --------------------------------------------------------------------------------------------

    def _current(self, table_name: str, index_name: str, table_id: str, status: str):
        t = self.model.tables.get(table_name)
        if t is None or t.table_id != table_id:
            return None, None
        ix = t.index(index_name)
        if ix is None or ix.status != status:
            return t, None
        return t, ix

    def _build(self, table_name: str, index_name: str, table_id: str) -> None:
        model = self.model
        engine = model.engine
        t, ix = self._current(table_name, index_name, table_id, "CREATING")
        if ix is None:
            return
        progress_key = ix.keyspace.encode()
        cursor = self._load_cursor(progress_key)
        while not self._stop.is_set():
            lock = model._table_locks.get(table_name)
            if lock is None:
                return self._forget(progress_key)
            with lock:                                                      # (B1) step 1
                t, ix = self._current(table_name, index_name, table_id, "CREATING")
                if ix is None:
                    return self._forget(progress_key)
                ops = []
                n = 0
                last = None
                for pk, sk, raw in engine.scan(t.keyspace, start_after=cursor):   # step 2
                    n += 1
                    last = (pk, sk)
                    op = indexes.backfill_entry(t, ix, codec.decode(raw), pk, sk)   # step 3
                    if op is not None:
                        ops.append(op)
                    if n >= self.batch_items:
                        break
                if last is not None:
                    ops.append((PROGRESS_KEYSPACE, progress_key, b"", msgpack.packb(list(last))))
                    self._ensure_progress_keyspace()
                    engine.write_batch(ops, sync=False)                     # step 4
            if n < self.batch_items:
                break
            cursor = last
            if self.pause:
                self._stop.wait(self.pause)
        if self._stop.is_set():
            return
        with model.lock:
            t, ix = self._current(table_name, index_name, table_id, "CREATING")
            if ix is None:
                return self._forget(progress_key)
            new = t.copy()
            nix = new.index(index_name)
            nix.status = "ACTIVE"
            nix.backfilling = False
            model.save_table(new)
        self._forget(progress_key)

    def _load_cursor(self, progress_key: bytes) -> Optional[Tuple[bytes, bytes]]:
        engine = self.model.engine
        if not engine.has_keyspace(PROGRESS_KEYSPACE):
            return None
        raw = engine.get(PROGRESS_KEYSPACE, progress_key)
        if raw is None:
            return None
        pk, sk = msgpack.unpackb(raw)
        return bytes(pk), bytes(sk)

    def _ensure_progress_keyspace(self) -> None:
        engine = self.model.engine
        if not engine.has_keyspace(PROGRESS_KEYSPACE):
            with self._guard:
                if not engine.has_keyspace(PROGRESS_KEYSPACE):
                    engine.create_keyspace(PROGRESS_KEYSPACE)

    def _forget(self, progress_key: bytes) -> None:
        engine = self.model.engine
        if engine.has_keyspace(PROGRESS_KEYSPACE) and engine.get(PROGRESS_KEYSPACE, progress_key) is not None:
            engine.write_batch([(PROGRESS_KEYSPACE, progress_key, b"", None)], sync=False)

    # ---- delete -------------------------------------------------------------------------------------------

    def _delete(self, table_name: str, index_name: str, table_id: str) -> None:
        model = self.model
        engine = model.engine
        with model.lock:
            t, ix = self._current(table_name, index_name, table_id, "DELETING")
            if ix is None:
                return
            with model.table_lock(table_name):                              # (B4)
                if engine.has_keyspace(ix.keyspace):
                    engine.drop_keyspace(ix.keyspace)
            new = t.copy()
            new.gsis = [g for g in new.gsis if g.name != index_name]
            used = set(new.key_names)
            for other in new.lsis + new.gsis:
                used.update(other.key_names)
            new.attribute_definitions = [d for d in new.attribute_definitions if d["AttributeName"] in used]
            online = new.extra.get("online_gsis")
            if online and index_name in online:
                new.extra["online_gsis"] = [name for name in online if name != index_name]
            model.save_table(new)
        self._forget(ix.keyspace.encode())
