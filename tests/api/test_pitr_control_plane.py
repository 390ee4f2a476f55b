"""DescribeContinuousBackups and RestoreTableToPointInTime never copy a table under the control-plane lock
(api/backups.py, pitr.maintain(drops_only=True)): a stale base is refreshed by the maintenance thread
(model/ttl.py MAINTENANCE, which copies without model.lock), while these operations still retire the bases
the recovery window has passed. In-process: the test watches model internals."""
from test_table_helpers import ON_DEMAND, scan_all, table

import pyddb
from pyddb.model import pitr


def _spy_take_base(monkeypatch):
    calls = []
    real = pitr.take_base

    def spy(model, t, unlocked=False):
        calls.append(unlocked)
        return real(model, t, unlocked=unlocked)
    monkeypatch.setattr(pitr, "take_base", spy)
    return calls


def test_pitr_operations_drop_expired_bases_but_never_copy_a_table(tmp_path, monkeypatch):
    client = pyddb.connect(str(tmp_path / "db"), sync="off", maintain_interval=0, ttl_interval=0)
    try:
        model = client._model
        client.create_table(**table("hist", **ON_DEMAND))
        client.update_continuous_backups(TableName="hist",
                                         PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        t = model.tables["hist"]
        monkeypatch.setattr(pitr, "BASE_INTERVAL_S", 0)      # every base is due for a refresh from now on
        calls = _spy_take_base(monkeypatch)
        for round_ in range(2):                              # two more bases, by the maintenance thread's path
            for n in range(5):
                client.put_item(TableName="hist", Item={"pk": {"S": "k%d" % n}, "r": {"N": str(round_)}})
            model.ttl.maintain()
        assert calls == [True, True]                         # each pass copies without model.lock, and only so
        kept = pitr.bases(model, t)
        assert len(kept) == 1 + len(calls)
        client.put_item(TableName="hist", Item={"pk": {"S": "after"}})
        want = scan_all(client, "hist")

        del calls[:]
        d = client.describe_continuous_backups(TableName="hist")["ContinuousBackupsDescription"]
        assert d["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
        client.restore_table_to_point_in_time(SourceTableName="hist", TargetTableName="latest",
                                              UseLatestRestorableTime=True)
        assert calls == []                                   # no copy under model.lock, though every base is due
        assert pitr.bases(model, t) == kept
        assert sorted(map(str, scan_all(client, "latest"))) == sorted(map(str, want))   # the WAL after the base

        # the window passes the first two bases: the operations still drop the older one (the newest before
        # the window's start serves its first instant), and still copy nothing
        start = kept[1]["time_ns"] + 1
        monkeypatch.setattr(pitr, "_now_ns", lambda: start + 35 * pitr.DAY_NS)
        client.describe_continuous_backups(TableName="hist")
        assert [b["lsn"] for b in pitr.bases(model, t)] == [b["lsn"] for b in kept[1:]]
        assert not model.engine.has_keyspace(kept[0]["keyspace"])
        client.restore_table_to_point_in_time(SourceTableName="hist", TargetTableName="latest2",
                                              UseLatestRestorableTime=True)
        assert calls == []
        assert sorted(map(str, scan_all(client, "latest2"))) == sorted(map(str, want))
    finally:
        client.close()
