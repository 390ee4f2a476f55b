"""Backups and PITR: how long a CreateBackup, a RestoreTableFromBackup and a RestoreTableToPointInTime take
for a table of N items (about 200 bytes each), and how many writes a concurrent writer thread completes
meanwhile (it never waits for the copy: model/backups.py CONSISTENT COPY, an engine keyspace clone).

Then, on the same table at the engine level, the two ways to copy a keyspace side by side: the engine's
file clone (Database.clone_keyspace; which mechanism ran: reflink, copy_file_range or copy) and the
entry-by-entry copy in Python that backups used before the clone (scan, then write_batch in chunks of
backups.COPY_CHUNK), each into a fresh keyspace.

    python bench/backup_bench.py [N]
"""
import sys
import tempfile
import threading
import time

import pyddb


def entry_copy(engine, source: str, dest: str) -> None:
    """The copy backups made before clone_keyspace: every entry read by a scan and written back in batches."""
    from pyddb.model import backups
    engine.create_keyspace(dest)
    ops = []
    for pk, sk, value in engine.scan(source):
        ops.append((dest, pk, sk, value))
        if len(ops) >= backups.COPY_CHUNK:
            engine.write_batch(ops, sync=False)
            ops = []
    if ops:
        engine.write_batch(ops, sync=False)


def main(n: int = 50000) -> None:
    with tempfile.TemporaryDirectory() as d:
        c = pyddb.connect(d, sync="off")
        c.create_table(TableName="bench", BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
        pad = "x" * 180
        for i in range(0, n, 25):
            c.batch_write_item(RequestItems={"bench": [
                {"PutRequest": {"Item": {"pk": {"S": "k%08d" % j}, "pad": {"S": pad}}}}
                for j in range(i, min(n, i + 25))]})
        c.update_continuous_backups(TableName="bench",
                                    PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        engine = c._model.engine
        stop = threading.Event()
        writes = [0]

        def writer():
            i = 0
            while not stop.is_set():
                c.put_item(TableName="bench", Item={"pk": {"S": "k%08d" % (i % n)}, "pad": {"S": "y"}})
                writes[0] += 1
                i += 7919
        th = threading.Thread(target=writer)
        th.start()
        time.sleep(0.2)
        w0, t0 = writes[0], time.perf_counter()
        arn = c.create_backup(TableName="bench", BackupName="bench-backup")["BackupDetails"]["BackupArn"]
        t_backup, w_backup = time.perf_counter() - t0, writes[0] - w0
        clone = dict(engine.last_clone or {})
        stop.set()
        th.join()
        t0 = time.perf_counter()
        c.restore_table_from_backup(TargetTableName="restored", BackupArn=arn)
        t_restore = time.perf_counter() - t0
        t0 = time.perf_counter()
        c.restore_table_to_point_in_time(SourceTableName="bench", TargetTableName="pitr",
                                         UseLatestRestorableTime=True)
        t_pitr = time.perf_counter() - t0
        counts = [c.describe_table(TableName=x)["Table"]["ItemCount"] for x in ("bench", "restored", "pitr")]
        assert counts == [n, n, n], counts
        print("items %d: CreateBackup %.3f s (%.0f items/s) with %d concurrent writes acknowledged "
              "meanwhile; RestoreTableFromBackup %.3f s; RestoreTableToPointInTime (latest) %.3f s"
              % (n, t_backup, n / t_backup, w_backup, t_restore, t_pitr))
        print("  the backup's clone: %s of %d partition file(s), %.1f MB, %.3f s in the engine"
              % (clone.get("method"), clone.get("files", 0), clone.get("bytes", 0) / 1e6,
                 clone.get("seconds", 0.0)))
        # the two copies of the same keyspace, engine level, no writer
        ks = c._model.tables["bench"].keyspace
        engine.checkpoint()
        t0 = time.perf_counter()
        engine.clone_keyspace(ks, "bench-clone")
        t_clone = time.perf_counter() - t0
        t0 = time.perf_counter()
        entry_copy(engine, ks, "bench-entries")
        t_entries = time.perf_counter() - t0
        print("  keyspace copy, engine level: clone_keyspace %.3f s (%s) vs entry-by-entry copy %.3f s: "
              "%.1fx" % (t_clone, engine.last_clone["method"], t_entries, t_entries / t_clone))
        c.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50000)
