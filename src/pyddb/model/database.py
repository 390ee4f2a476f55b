"""The model's root: one engine Database, the table catalog kept in it, and the per-table locks.

CATALOG: engine keyspace "__tables__", pk = b"t", sk = table name (UTF-8), value = msgpack(TableDef.to_dict()).
Each table's items live in keyspace "tbl.<table_id>", each index's entries in "idx.<table_id>.<index>", so a
table deleted and created again under the same name never sees the old items (and the old keyspaces are
dropped with the table).

INVARIANTS
    (T1) A table definition and the keyspaces it names are created before CreateTable returns, and the
         definition is written with a durable batch, so a table that was acknowledged survives a crash.
    (T2) Reads and writes of one table's items are serialised by the table's lock only for the
         read-check-write of a conditional operation; the durability wait happens after the lock is released
         so concurrent writers share one fdatasync (group commit).
    (T3) Index upkeep uses the table's current definition: `index_ops` runs under the table's lock and takes
         the definition the catalog holds at that moment, even when the writer looked the table up before an
         UpdateTable changed its indexes (model/backfill.py relies on this: B2).
    (T4) A request never reads or writes the keyspaces of a table deleted after it looked the table up: a
         writer checks, under the table's lock, that the definition it holds is still of the table of that
         name (`check_current`: same table_id), and DeleteTable drops the keyspaces under that lock; a reader
         that finds a keyspace gone (or its scan cut short) asks the same. Either way the request fails with
         ResourceNotFoundException "Requested resource not found", as it would had it arrived after the
         delete, and writes nothing.

TABLE NAMES AND ARNS
    Every TableName member may be a table ARN (botocore models them all as TableArn, max 1024: item
    operations, Query, Scan, batch keys, transaction members, the control plane). `table()` resolves an ARN
    of this region and account to its table; errors name the extracted table (ack-api-quirks
    DDB-TABLE-013). Responses keep what the request said (batch keys are echoed as given).

Online index builds and deletions run in background threads (model/backfill.py, `self.backfills`); they are
resumed when a database is opened and stopped before it closes. Tables with LSIs keep item-collection size
counters (model/indexes.py ITEM COLLECTIONS) and take a `TableLock`.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from typing import Callable, Dict, Optional

import msgpack

from pyddb._engine.database import Database
from pyddb.errors import AccessDeniedException, ResourceNotFoundException, ValidationException
from pyddb.model import backfill, indexes, retention, streams, ttl
from pyddb.model.items import ItemStore
from pyddb.model.schema import TableDef
from pyddb.validation.rules import TABLE_NAME_IN_ARN

CATALOG_KEYSPACE = "__tables__"
REGION = "us-east-1"
ACCOUNT_ID = "000000000000"


class DynamoDB:
    """All tables of one pyddb database. `path=None` makes a temporary database removed by close()."""

    def __init__(self, path: Optional[str] = None, *, sync: str = "full", clock: Callable[[], float] = time.time,
                 region: str = REGION, account_id: str = ACCOUNT_ID, **engine_options):
        self._tmpdir = None
        if path is None:
            self._tmpdir = tempfile.mkdtemp(prefix="pyddb-mem-")
            path = self._tmpdir
            sync = "off"
        self.path = os.path.abspath(os.fspath(path))
        ttl_interval = engine_options.pop("ttl_interval", ttl.DEFAULT_INTERVAL_S)
        maintain_interval = engine_options.pop("maintain_interval", ttl.MAINTAIN_INTERVAL_S)  # ttl.py MAINTENANCE
        engine_options.setdefault("archive", True)    # WAL history for streams/PITR (model/retention.py)
        self.engine = Database(self.path, sync=sync, **engine_options)
        self.clock = ttl.Clock(clock)                 # movable: clock.set/advance (model/ttl.py CLOCK)
        self.region = region
        self.account_id = account_id
        self.lock = threading.RLock()                 # control plane: create/delete/update table
        self.sync_mode = sync
        self.tables: Dict[str, TableDef] = {}
        self._table_locks: Dict[str, threading.RLock] = {}
        self.item_collection_limit_bytes = indexes.ITEM_COLLECTION_LIMIT   # tests lower it
        self._stats_cache = None                      # keyspace_stats(): (last LSN, keyspaces, stats)
        if not self.engine.has_keyspace(CATALOG_KEYSPACE):
            self.engine.create_keyspace(CATALOG_KEYSPACE)
        for _, sk, value in self.engine.scan(CATALOG_KEYSPACE):
            t = TableDef.from_dict(msgpack.unpackb(value, raw=False))
            self.tables[t.name] = t
            self._table_locks[t.name] = self._new_table_lock(t)
        for t in self.tables.values():
            indexes.ensure_collection_counters(self, t)
        self.items = ItemStore(self)
        self.backfills = backfill.Backfills(self)
        self.backfills.resume()
        self.streams = streams.attach(self)
        retention.apply(self)
        self.ttl = ttl.TTL(self, ttl_interval, maintain_interval)
        self.ttl.start()

    # ---- writes ------------------------------------------------------------------------------------------

    def wait_durable(self, lsn: int) -> None:
        """After a batch committed with sync=False under a table lock: wait per the sync mode (T2)."""
        if self.sync_mode == "full":
            self.engine.sync(lsn)

    def offload_checkpoints(self, on: bool = True) -> None:
        """Writes made by the calling thread never run an automatic checkpoint themselves (until called with
        on=False): one that falls due runs in a thread of its own (the engine's D10). The server's event loop
        calls this, so none of the writes it runs writes a checkpoint's pages itself."""
        self.engine.offload_checkpoints(on)

    def quick_writes(self) -> bool:
        """Whether a single-item write now waits for nothing slow, from a thread that offloads checkpoints: no
        fdatasync (sync normal or off), and no checkpoint due or running (the engine's headroom is 0 while a
        checkpoint, clone or snapshot holds its checkpoint lock) nor about to be. The margin, 1/32 of the
        checkpoint interval (2 MB by default), is for writes of other threads: one that makes a checkpoint
        due runs it, holding the engine's write lock, and a write of this thread that followed would wait
        for all of it. Between this check and the write, only a single batch of that size could do so.
        The server then runs such writes on its event loop."""
        engine = self.engine
        return self.sync_mode != "full" and engine.checkpoint_headroom > engine.checkpoint_bytes // 32

    def index_ops(self, t: TableDef, old, new) -> list:
        """Engine ops that keep `t`'s indexes (and item-collection counters) in step with an item going from
        `old` to `new`; called under the table's lock (T3)."""
        current = self.tables.get(t.name)
        if current is not t and current is not None and current.table_id == t.table_id:
            t = current
        ops = indexes.index_ops(t, old, new)
        if t.lsis:
            ops += indexes.item_collection_ops(self, t, old, new)
        return ops

    check_index_keys = staticmethod(indexes.check_index_keys)

    # ---- catalog -----------------------------------------------------------------------------------------

    def table(self, name: str, operation: Optional[str] = None) -> TableDef:
        """The table a TableName member names: a name, or a table ARN (see TABLE NAMES AND ARNS)."""
        t = self.tables.get(name)
        if t is None:
            if name.startswith("arn:"):
                return self.table(self.table_name(name), operation)
            raise ResourceNotFoundException.table(name, operation)
        return t

    def table_name(self, name: str) -> str:
        """The table name a TableName member means: the name itself, or the name inside a table ARN of this
        region and account. Texts (ack-api-quirks DDB-TABLE-013, DescribeTable with an ARN): another region
        -> "1 validation error detected: Invalid AWS region in '<ARN>" (DynamoDB's text continues past what
        the lab recorded; the rest is not confirmed), another account -> AccessDeniedException "Access is
        denied"; an index, stream or other non-table ARN -> ValidationException (text not confirmed: "Invalid
        resource type in", one of the catalogue's texts of this family)."""
        if not name.startswith("arn:"):
            return name
        parts = name.split(":", 5)
        path = parts[5].split("/") if len(parts) == 6 else []
        if len(parts) != 6 or parts[1] != "aws" or parts[2] != "dynamodb" or len(path) != 2 or path[0] != "table":
            raise ValidationException("1 validation error detected: Invalid resource type in '%s'" % name)
        if parts[3] != self.region:
            raise ValidationException("1 validation error detected: Invalid AWS region in '%s'" % name)
        if parts[4] != self.account_id:
            raise AccessDeniedException("Access is denied")
        if not TABLE_NAME_IN_ARN.fullmatch(path[1]):
            # the text DynamoDB gives a table ARN with a malformed name in the tag operations (dynalite
            # test/tagResource.js); for TableName members it is not confirmed
            raise ValidationException("Invalid TableArn: Invalid ResourceArn provided as input %s" % name)
        return path[1]

    def table_lock(self, name: str) -> threading.RLock:
        """The lock of table `name`; ResourceNotFoundException when the table is gone (deleted after the
        caller looked it up: T4)."""
        lock = self._table_locks.get(name)
        if lock is None:
            raise ResourceNotFoundException.table(name)
        return lock

    def check_current(self, t: TableDef) -> None:
        """ResourceNotFoundException unless `t` is still the table of its name: the same table (table_id),
        in this or a later definition (T4). Call it under the table's lock before writing, or after an engine
        read of the table failed or may have been cut short by a drop."""
        current = self.tables.get(t.name)
        if current is None or current.table_id != t.table_id:
            raise ResourceNotFoundException.table(t.name)

    @staticmethod
    def _new_table_lock(t: TableDef):
        return indexes.TableLock() if t.lsis else threading.RLock()

    def save_table(self, t: TableDef, value: Optional[bytes] = None) -> None:
        """Persist a new or changed table definition (durably: T1); `value`: its packed form, when the caller
        has it already."""
        prev = self.tables.get(t.name)
        if value is None:
            value = msgpack.packb(t.to_dict(), use_bin_type=True)
        self.engine.write_batch([(CATALOG_KEYSPACE, b"t", t.name.encode(), value)], sync=True)
        self.tables[t.name] = t
        if t.name not in self._table_locks:
            self._table_locks[t.name] = self._new_table_lock(t)
        if getattr(self, "streams", None) is not None:
            self.streams.table_saved(prev, t)         # a stream enabled/disabled (model/streams.py)

    def add_table(self, t: TableDef) -> None:
        """Create the keyspaces of a new table and its indexes, then persist its definition. The definition is
        packed first: one that cannot be stored (a lone surrogate in a name from Python code) fails before any
        keyspace is made."""
        value = msgpack.packb(t.to_dict(), use_bin_type=True)
        self.engine.create_keyspace(t.keyspace)
        for ix in t.lsis + t.gsis:
            self.engine.create_keyspace(ix.keyspace)
        if t.lsis:
            self.engine.create_keyspace(indexes.collection_keyspace(t))
        self.save_table(t, value)

    def remove_table(self, name: str) -> TableDef:
        """Delete table `name`: the catalog entry first (durably), then its stream is closed and its keyspaces
        dropped, as save_table closes a stream after the catalog write: a crash in between leaves a deleted
        table whose stream the next open closes (streams._reconcile), never a live table whose stream is
        closed."""
        t = self.tables.pop(name)
        try:
            self.engine.write_batch([(CATALOG_KEYSPACE, b"t", name.encode(), None)], sync=True)
        except BaseException:
            self.tables[name] = t                     # not deleted: the catalog still holds it
            raise
        if getattr(self, "streams", None) is not None:
            self.streams.table_saved(t, None)
        for ks in [t.keyspace, indexes.collection_keyspace(t)] + [ix.keyspace for ix in t.lsis + t.gsis]:
            if self.engine.has_keyspace(ks):
                self.engine.drop_keyspace(ks)
        self._table_locks.pop(name, None)
        return t

    def keyspace_stats(self) -> Dict[str, dict]:
        """The engine's per-keyspace stats ({name: {"entries", "data_bytes", ...}}) for DescribeTable's sizes
        and counts (SIZES AND COUNTS). engine.stats() walks the database directory (disk_bytes) and every
        partition: ~65 us with a few files, ~550 us with 35, growing with WAL segments and the PITR archive.
        The result is kept while nothing was written (same last LSN, same keyspaces), so the counts stay
        exact after every write while repeated DescribeTables (waiters, dashboards polling) cost a lookup.
        A file removed during the walk (a keyspace dropped, a WAL segment retired) raises FileNotFoundError
        there: the walk is tried again, a few times at most. The dict is shared: callers must not change it."""
        lsn = self.engine.last_lsn
        names = self.engine.keyspaces()
        cached = self._stats_cache
        if cached is not None and cached[0] == lsn and cached[1] == names:
            return cached[2]
        for attempt in range(5):
            try:
                keyspaces = self.engine.stats()["keyspaces"]
                break
            except FileNotFoundError:
                if attempt == 4:
                    raise
        self._stats_cache = (lsn, names, keyspaces)     # the LSN read before the walk: never newer than it
        return keyspaces

    def arn(self, table_name: str) -> str:
        return "arn:aws:dynamodb:%s:%s:table/%s" % (self.region, self.account_id, table_name)

    # ---- life cycle --------------------------------------------------------------------------------------

    def close(self) -> None:
        if getattr(self, "ttl", None) is not None:
            self.ttl.stop()
        self.backfills.stop()
        if getattr(self, "_export_import_jobs", None) is not None:
            self._export_import_jobs.stop()           # export/import threads end before the engine closes
        self.engine.close()
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
