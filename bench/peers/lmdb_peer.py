"""LMDB through py-lmdb: one unnamed database, 22-byte keys, its default durability.

Durable = py-lmdb's defaults (sync=True, metasync=True: fsync of data and meta page per commit);
non-durable = sync=False (MDB_NOSYNC). writemap stays off. Reads use one read transaction per
measured block, LMDB's fastest path (the harder target for pyddb).
"""
import itertools

import lmdb

from .base import Peer

MAP_SIZE = 64 << 30   # address space only: without writemap the file grows as pages are written


class LmdbPeer(Peer):
    name = "lmdb"

    def open(self, durable):
        self.env = lmdb.open(self.path, map_size=MAP_SIZE, sync=durable, writemap=False,
                             max_spare_txns=16)

    def close(self):
        self.env.close()

    def write_batch(self, records):
        with self.env.begin(write=True) as txn:
            put = txn.put
            for _pk, _sk, key, value in records:
                put(key, value)

    def put(self, pk, sk, key, value):
        with self.env.begin(write=True) as txn:
            txn.put(key, value)

    def run_gets(self, probes):
        found = 0
        with self.env.begin(buffers=False) as txn:
            get = txn.get
            for _pk, _sk, key in probes:
                if get(key) is not None:
                    found += 1
        return found

    def run_ranges(self, starts, n):
        got = 0
        islice = itertools.islice
        with self.env.begin() as txn:
            cur = txn.cursor()
            for _pk, _sk, key in starts:
                if cur.set_range(key):
                    got += len(list(islice(cur.iternext(), n)))
        return got
