"""Backups and PITR: how long a CreateBackup, a RestoreTableFromBackup and a RestoreTableToPointInTime take
for a table of N items (about 200 bytes each), and how many writes a concurrent writer thread completes
meanwhile (it never waits for the copy: model/backups.py CONSISTENT COPY).

    python bench/backup_bench.py [N]
"""
import sys
import tempfile
import threading
import time

import pyddb


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
        print("items %d: CreateBackup %.2f s (%.0f items/s) with %d concurrent writes acknowledged "
              "meanwhile; RestoreTableFromBackup %.2f s; RestoreTableToPointInTime (latest) %.2f s"
              % (n, t_backup, n / t_backup, w_backup, t_restore, t_pitr))
        c.close()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50000)
