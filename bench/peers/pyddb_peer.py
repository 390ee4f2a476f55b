"""pyddb's engine (``pyddb._engine.database.Database``): one keyspace, pk = 16 bytes, sk = 6 bytes.

This mirrors the data model: a table with a partition key and a sort key is one keyspace whose B+tree
key is ``hash64(pk) | len(pk) | pk | sk``, so a partition key's items are contiguous and sk-ordered and
a 100-item range read is ``iter_range`` within one pk (as a Query reads). Durable = sync="full"
(acknowledged means fsynced, concurrent commits share one fsync); non-durable = sync="off".
"""
from .base import Peer

KEYSPACE = "bench"


def pyddb_available():
    try:
        from pyddb._engine.database import Database  # noqa: F401
    except ImportError as exc:
        return False, str(exc)
    return True, ""


class PyddbPeer(Peer):
    name = "pyddb"

    def open(self, durable):
        from pyddb._engine.database import Database

        self.db = Database(self.path, sync="full" if durable else "off")
        if not self.db.has_keyspace(KEYSPACE):
            self.db.create_keyspace(KEYSPACE)

    def close(self):
        self.db.close()        # checkpoints

    def write_batch(self, records):
        self.db.write_batch([(KEYSPACE, pk, sk, value) for pk, sk, _key, value in records])

    def put(self, pk, sk, key, value):
        self.db.put(KEYSPACE, pk, sk, value)

    def run_gets(self, probes):
        found = 0
        get = self.db.get
        for pk, sk, _key in probes:
            if get(KEYSPACE, pk, sk) is not None:
                found += 1
        return found

    def run_ranges(self, starts, n):
        got = 0
        iter_range = self.db.iter_range
        for pk, sk, _key in starts:
            got += len(list(iter_range(KEYSPACE, pk, start=sk, limit=n)))
        return got

