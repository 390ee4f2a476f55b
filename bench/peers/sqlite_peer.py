"""SQLite through the stdlib sqlite3: a WITHOUT ROWID table (k BLOB PRIMARY KEY, v BLOB) in WAL mode.

Durable = synchronous=FULL, non-durable = synchronous=OFF. Everything else is SQLite's default (page
size, cache size, automatic checkpoints at 1000 WAL pages). Autocommit mode: a lone statement is its own
transaction; a batch is BEGIN ... COMMIT. ``writer()`` gives each extra thread its own connection.
"""
import os
import sqlite3

from .base import Peer

PUT = "INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)"
GET = "SELECT v FROM kv WHERE k = ?"
RANGE = "SELECT k, v FROM kv WHERE k >= ? ORDER BY k LIMIT ?"


class SqlitePeer(Peer):
    name = "sqlite"

    def _connect(self):
        conn = sqlite3.connect(os.path.join(self.path, "db.sqlite"), isolation_level=None,
                               check_same_thread=False, timeout=60.0)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=%s" % ("FULL" if self.durable else "OFF"))
        return conn

    def open(self, durable):
        os.makedirs(self.path, exist_ok=True)
        self.durable = durable
        self.conn = self._connect()
        self.conn.execute("CREATE TABLE IF NOT EXISTS kv (k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID")

    def close(self):
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.close()      # the last connection to close checkpoints and removes the -wal file

    def write_batch(self, records):
        c = self.conn
        c.execute("BEGIN")
        c.executemany(PUT, [(key, value) for _pk, _sk, key, value in records])
        c.execute("COMMIT")

    def put(self, pk, sk, key, value):
        self.conn.execute(PUT, (key, value))

    def writer(self):
        conn = self._connect()

        def put(pk, sk, key, value):
            conn.execute(PUT, (key, value))

        put.conn = conn
        return put

    def close_writer(self, put):
        put.conn.close()

    def run_gets(self, probes):
        found = 0
        ex = self.conn.execute
        for _pk, _sk, key in probes:
            if ex(GET, (key,)).fetchone() is not None:
                found += 1
        return found

    def run_ranges(self, starts, n):
        got = 0
        ex = self.conn.execute
        for _pk, _sk, key in starts:
            got += len(ex(RANGE, (key, n)).fetchall())
        return got
