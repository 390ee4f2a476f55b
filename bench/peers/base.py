"""The adapter contract every peer implements, and the on-disk size measure they share."""
import os


class Peer:
    """One engine under test, stored in its own directory.

    ``open(durable)``: durable=True means an acknowledged commit is on disk (fsync per commit);
    durable=False means commits are not synced (what a crash loses is the engine's business).
    Each ``run_*`` method owns its loop, so every engine reads through its idiomatic fast path and the
    harness's per-call overhead is the same for all of them.
    """

    name = "peer"

    def __init__(self, path):
        self.path = path            # the peer's own data directory (created by open)

    # lifecycle -------------------------------------------------------------------------------------
    def open(self, durable):
        raise NotImplementedError

    def close(self):
        """Close, leaving everything checkpointed into the data files (the state measured for size)."""
        raise NotImplementedError

    # writes: one call = one commit -------------------------------------------------------------------
    def write_batch(self, records):
        """Commit ``records`` (a list of (pk, sk, key, value)) as one transaction."""
        raise NotImplementedError

    def put(self, pk, sk, key, value):
        """Commit one record as one transaction."""
        raise NotImplementedError

    def writer(self):
        """A put-like callable for use by one extra thread (SQLite: its own connection)."""
        return self.put

    def close_writer(self, put):
        pass

    # reads -------------------------------------------------------------------------------------------
    def run_gets(self, probes):
        """Point-get each (pk, sk, key) in ``probes``; return how many were found."""
        raise NotImplementedError

    def run_ranges(self, starts, n):
        """For each (pk, sk, key) in ``starts`` read the ``n`` records from that key on, ascending;
        return the total number of records read."""
        raise NotImplementedError

    def disk_bytes(self):
        return dir_size(self.path)


def is_wal(relpath):
    """Write-ahead-log files: pyddb's wal/*.wal, SQLite's db.sqlite-wal (gone after a clean close)."""
    parts = relpath.replace(os.sep, "/").split("/")
    return "wal" in parts[:-1] or parts[-1].endswith((".wal", "-wal"))


def dir_files(path):
    """{relative path: allocated bytes} of every file under ``path``."""
    out = {}
    for root, _dirs, files in os.walk(path):
        for f in files:
            full = os.path.join(root, f)
            st = os.stat(full)
            out[os.path.relpath(full, path)] = getattr(st, "st_blocks", st.st_size // 512) * 512
    return out


def dir_size(path):
    """(allocated, apparent) bytes of every file under ``path``: allocated is what ``du`` counts."""
    alloc = apparent = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            st = os.stat(os.path.join(root, f))
            apparent += st.st_size
            alloc += getattr(st, "st_blocks", st.st_size // 512) * 512
    return alloc, apparent
