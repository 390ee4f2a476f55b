"""Backups, PITR bases and restores are engine keyspace clones (model/backups.py CONSISTENT COPY): the
maintenance thread's unlocked base clone when its table goes away, and a PITR restore as a clone of the base
plus the WAL replayed onto it."""
import time


def _pitr_table(c):
    """Table "tab" (GSI "byg" on g) with items k0..k19, g = "G", and PITR on (its first base taken)."""
    c.create_table(TableName="tab", BillingMode="PAY_PER_REQUEST",
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                         {"AttributeName": "g", "AttributeType": "S"}],
                   KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                   GlobalSecondaryIndexes=[{"IndexName": "byg",
                                            "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                            "Projection": {"ProjectionType": "ALL"}}])
    for i in range(20):
        c.put_item(TableName="tab", Item={"pk": {"S": "k%d" % i}, "g": {"S": "G"}})
    c.update_continuous_backups(TableName="tab",
                                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    return c.model.tables["tab"]


def test_an_unlocked_base_whose_table_was_deleted_before_the_clone_is_not_published(tmp_path, monkeypatch):
    """pitr.take_base(unlocked=True): the table is deleted after the base fell due but before the engine
    clones it: the clone finds no keyspace, nothing is published, nothing is left, no error escapes."""
    import pyddb
    from pyddb.model import backups, pitr
    c = pyddb.connect(str(tmp_path / "db"), sync="off", ttl_interval=0, maintain_interval=0)
    try:
        model = c.model
        t = _pitr_table(c)
        first = pitr.bases(model, t)                      # taken by the enable (maintain drops it later)
        real_copy = backups.copy_consistent
        calls = []

        def delete_then_copy(model_, table_, dest):
            calls.append(dest)
            if "tab" in model.tables:
                c.delete_table(TableName="tab")
            return real_copy(model_, table_, dest)
        monkeypatch.setattr(backups, "copy_consistent", delete_then_copy)
        monkeypatch.setattr(pitr, "BASE_INTERVAL_S", 0)
        assert pitr.take_base(model, t, unlocked=True) is None
        assert calls and "tab" not in model.tables
        assert pitr.bases(model, t) == first and len(first) == 1
        assert [ks for ks in model.engine.keyspaces() if ks.startswith(pitr.BASE_PREFIX)] == \
            [first[0]["keyspace"]]
        assert not [wid for wid, _ in model.engine.iter_range(backups.CATALOG, b"w")]
    finally:
        c.close()


def test_a_point_in_time_restore_clones_the_base_and_replays_only_what_came_after(tmp_path, monkeypatch):
    import pyddb
    from pyddb.model import backups, pitr
    c = pyddb.connect(str(tmp_path / "db"), sync="off", ttl_interval=0, maintain_interval=0)
    try:
        model = c.model
        t = _pitr_table(c)                                # 20 items k0..k19 with g = "G", then the base
        base = pitr.bases(model, t)[-1]
        assert model.engine.stats()["keyspaces"][base["keyspace"]]["entries"] == 20
        c.put_item(TableName="tab", Item={"pk": {"S": "k1"}, "g": {"S": "H"}})
        c.delete_item(TableName="tab", Key={"pk": {"S": "k2"}})
        replayed = []
        real_replay = backups.replay

        def counted(*a, **kw):
            for lsn, ts, ops in real_replay(*a, **kw):
                replayed.extend(ops)
                yield lsn, ts, ops
        monkeypatch.setattr(backups, "replay", counted)
        time.sleep(0.002)
        c.restore_table_to_point_in_time(SourceTableName="tab", TargetTableName="back",
                                         UseLatestRestorableTime=True)
        restored = model.tables["back"]
        assert model.engine.last_clone["src"] == base["keyspace"]
        assert model.engine.last_clone["dest"] == restored.keyspace
        assert len(replayed) == 2                         # the two writes after the base, nothing else
        got = {it["pk"]["S"]: it["g"]["S"] for it in c.scan(TableName="back")["Items"]}
        assert got == dict({"k%d" % i: "G" for i in range(20) if i != 2}, k1="H")
        for g, want in (("H", ["k1"]), ("G", sorted("k%d" % i for i in range(20) if i not in (1, 2)))):
            by_g = c.query(TableName="back", IndexName="byg", KeyConditionExpression="g = :g",
                           ExpressionAttributeValues={":g": {"S": g}})["Items"]
            assert sorted(it["pk"]["S"] for it in by_g) == want      # the index is rebuilt from the items
        model.engine.check()
    finally:
        c.close()
