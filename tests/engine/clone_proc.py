"""A child process for test_clone.py's kill -9 tests: fills keyspace "src" (several partitions), starts a
writer thread on it (sync="full", one key per batch, printing "ACK <i> <lsn>" after each returns), then
clones src into "dst" and stops at a point set by MODE, printing a marker, until the parent SIGKILLs it:

    first   inside the clone, after the first partition file was copied      prints "PAUSE"
    last    inside the clone, after the last file was copied (before the catalog names dst)   "PAUSE"
    after   after clone_keyspace returned                                     prints "CLONED <lsn>"

    python clone_proc.py DIR MODE
"""
import sys
import threading
import time

from pyddb._engine import database

BASE = 3000                      # entries of src before the clone: b"b%05d" -> 200 bytes
DB_OPTS = dict(sync="full", partition_max_bytes=128 << 10, checkpoint_bytes=256 << 10)

_out = threading.Lock()


def say(line: str) -> None:
    with _out:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def main(path: str, mode: str) -> None:
    db = database.Database(path, **DB_OPTS)
    db.create_keyspace("src")
    for i in range(0, BASE, 100):
        db.write_batch([("src", b"b%05d" % j, b"", bytes([j % 251]) * 200) for j in range(i, i + 100)],
                       sync=False)
    db.checkpoint()                                      # splits src into several partitions
    say("PARTS %d" % len(db.stats()["keyspaces"]["src"]["partitions"]))

    def writer():
        i = 0
        while True:
            lsn = db.write_batch([("src", b"w%06d" % i, b"", b"%d" % i)])
            say("ACK %d %d" % (i, lsn))
            i += 1
            time.sleep(0.001)

    threading.Thread(target=writer, daemon=True).start()
    time.sleep(0.05)
    real = database.clone_file
    calls = []
    nparts = len(db.stats()["keyspaces"]["src"]["partitions"])

    def pausing_clone_file(src, dst):
        method = real(src, dst)
        calls.append(dst)
        if (mode == "first" and len(calls) == 1) or (mode == "last" and len(calls) == nparts):
            say("PAUSE")
            threading.Event().wait()                     # the parent kills us here
        return method

    database.clone_file = pausing_clone_file
    lsn = db.clone_keyspace("src", "dst")
    say("CLONED %d" % lsn)
    threading.Event().wait()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
