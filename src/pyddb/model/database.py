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
from pyddb.errors import ResourceNotFoundException
from pyddb.model import backfill, indexes
from pyddb.model.items import ItemStore
from pyddb.model.schema import TableDef

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
        self.engine = Database(self.path, sync=sync, **engine_options)
        self.clock = clock
        self.region = region
        self.account_id = account_id
        self.lock = threading.RLock()                 # control plane: create/delete/update table
        self.sync_mode = sync
        self.tables: Dict[str, TableDef] = {}
        self._table_locks: Dict[str, threading.RLock] = {}
        self.item_collection_limit_bytes = indexes.ITEM_COLLECTION_LIMIT   # tests lower it
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

    # ---- writes ------------------------------------------------------------------------------------------

    def wait_durable(self, lsn: int) -> None:
        """After a batch committed with sync=False under a table lock: wait per the sync mode (T2)."""
        if self.sync_mode == "full":
            self.engine.sync(lsn)

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
        t = self.tables.get(name)
        if t is None:
            raise ResourceNotFoundException.table(name, operation)
        return t

    def table_lock(self, name: str) -> threading.RLock:
        return self._table_locks[name]

    @staticmethod
    def _new_table_lock(t: TableDef):
        return indexes.TableLock() if t.lsis else threading.RLock()

    def save_table(self, t: TableDef) -> None:
        """Persist a new or changed table definition (durably: T1)."""
        self.engine.write_batch(
            [(CATALOG_KEYSPACE, b"t", t.name.encode(), msgpack.packb(t.to_dict(), use_bin_type=True))], sync=True)
        self.tables[t.name] = t
        if t.name not in self._table_locks:
            self._table_locks[t.name] = self._new_table_lock(t)

    def add_table(self, t: TableDef) -> None:
        """Create the keyspaces of a new table and its indexes, then persist its definition."""
        self.engine.create_keyspace(t.keyspace)
        for ix in t.lsis + t.gsis:
            self.engine.create_keyspace(ix.keyspace)
        if t.lsis:
            self.engine.create_keyspace(indexes.collection_keyspace(t))
        self.save_table(t)

    def remove_table(self, name: str) -> TableDef:
        t = self.tables.pop(name)
        self.engine.write_batch([(CATALOG_KEYSPACE, b"t", name.encode(), None)], sync=True)
        for ks in [t.keyspace, indexes.collection_keyspace(t)] + [ix.keyspace for ix in t.lsis + t.gsis]:
            if self.engine.has_keyspace(ks):
                self.engine.drop_keyspace(ks)
        self._table_locks.pop(name, None)
        return t

    def arn(self, table_name: str) -> str:
        return "arn:aws:dynamodb:%s:%s:table/%s" % (self.region, self.account_id, table_name)

    # ---- life cycle --------------------------------------------------------------------------------------

    def close(self) -> None:
        self.backfills.stop()
        self.engine.close()
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
