"""DescribeTable's ItemCount/TableSizeBytes come from the engine's keyspace stats, which walk the database
directory; the model keeps them until the next write (model/database.py keyspace_stats): the counts stay
exact after every write, and repeated DescribeTables without writes in between do not walk again."""
from pyddb import api

NAME = "counts_tbl"


class _CountingEngine:
    """The model's engine, counting stats() calls."""

    def __init__(self, engine):
        self._engine = engine
        self.stats_calls = 0

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def stats(self):
        self.stats_calls += 1
        return self._engine.stats()


def create(ddb):
    ddb.create_table(TableName=NAME, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])


def counts(ddb):
    t = ddb.describe_table(TableName=NAME)["Table"]
    return t["ItemCount"], t["TableSizeBytes"]


def test_counts_are_exact_after_every_write_and_not_recomputed_without_one(ddb, monkeypatch):
    create(ddb)
    engine = _CountingEngine(ddb.model.engine)
    monkeypatch.setattr(ddb.model, "engine", engine)
    assert counts(ddb) == (0, 0)
    for i in range(1, 4):
        ddb.put_item(TableName=NAME, Item={"pk": {"S": "k%d" % i}})
        assert counts(ddb)[0] == i
    calls = engine.stats_calls
    first = counts(ddb)
    for _ in range(5):
        assert counts(ddb) == first
    assert engine.stats_calls == calls                 # nothing written: the stats were not taken again
    ddb.delete_item(TableName=NAME, Key={"pk": {"S": "k1"}})
    assert counts(ddb)[0] == 2
    assert engine.stats_calls == calls + 1


def test_a_table_created_again_under_its_name_starts_from_zero(ddb):
    create(ddb)
    ddb.put_item(TableName=NAME, Item={"pk": {"S": "a"}})
    assert counts(ddb)[0] == 1
    api.dispatch(ddb.model, "DeleteTable", {"TableName": NAME})   # no write between: the same LSN
    create(ddb)
    assert counts(ddb) == (0, 0)
