"""A background index build that fails (model/backfill.py B5): the exception is logged with its traceback,
counted, and the build is tried again after a short pause, resuming after its last durable cursor, so the
index ends ACTIVE with exactly the right entries instead of staying CREATING forever with no worker (before
B5 the worker thread died with the exception and only a reopen restarted the build)."""
import logging
import threading
import time

from pyddb.model import indexes

NAME = "bf_fail"


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def gsi_status(ddb):
    return [g["IndexStatus"] for g in ddb.describe_table(TableName=NAME)["Table"].get("GlobalSecondaryIndexes", ())]


def test_a_build_that_raises_is_logged_and_retried_until_the_index_is_active(ddb, monkeypatch, caplog):
    ddb.create_table(TableName=NAME, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    for i in range(30):
        ddb.put_item(TableName=NAME, Item={"pk": {"S": "p%02d" % i}, "g": {"S": "g%d" % (i % 3)}})
    backfills = ddb.model.backfills
    backfills.batch_items = 10          # three steps and a bit: the failure lands after a durable cursor
    backfills.retry_delay = 0.01
    real = indexes.backfill_entry
    calls = {"n": 0}
    lock = threading.Lock()

    def flaky(*args):
        with lock:
            calls["n"] += 1
            n = calls["n"]
        if n in (15, 16):               # the second step fails, twice
            raise RuntimeError("injected backfill failure %d" % n)
        return real(*args)

    monkeypatch.setattr(indexes, "backfill_entry", flaky)
    caplog.set_level(logging.ERROR, logger="pyddb.backfill")
    ddb.update_table(TableName=NAME, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                     GlobalSecondaryIndexUpdates=[{"Create": {
                         "IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                         "Projection": {"ProjectionType": "KEYS_ONLY"}}}])
    assert wait_for(lambda: gsi_status(ddb) == ["ACTIVE"]), gsi_status(ddb)
    assert sum(backfills.failures.values()) == 2
    assert "injected backfill failure 16" in str(next(iter(backfills.last_error.values())))
    messages = [r.getMessage() for r in caplog.records if r.name == "pyddb.backfill"]
    assert len(messages) == 2 and all("index by_g of table %s: background work failed" % NAME in m
                                      for m in messages)
    assert all(r.exc_info for r in caplog.records if r.name == "pyddb.backfill")
    for g in range(3):
        got = ddb.query(TableName=NAME, IndexName="by_g", KeyConditionExpression="g = :g",
                        ExpressionAttributeValues={":g": {"S": "g%d" % g}})["Items"]
        assert sorted(x["pk"]["S"] for x in got) == ["p%02d" % i for i in range(30) if i % 3 == g]


def test_close_stops_the_retries_and_reopen_resumes_the_build(ddb, reopen, monkeypatch):
    ddb.create_table(TableName=NAME, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    for i in range(5):
        ddb.put_item(TableName=NAME, Item={"pk": {"S": "p%d" % i}, "g": {"S": "g"}})
    backfills = ddb.model.backfills
    backfills.retry_delay = 0.01

    def broken(*args):
        raise RuntimeError("always broken")

    monkeypatch.setattr(indexes, "backfill_entry", broken)
    ddb.update_table(TableName=NAME, AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
                     GlobalSecondaryIndexUpdates=[{"Create": {
                         "IndexName": "by_g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                         "Projection": {"ProjectionType": "ALL"}}}])
    assert wait_for(lambda: sum(backfills.failures.values()) >= 3)
    assert gsi_status(ddb) == ["CREATING"]              # true: it is still being built
    monkeypatch.undo()
    ddb = reopen(ddb)                                  # close() stops the retrying worker; open resumes
    try:
        assert wait_for(lambda: gsi_status(ddb) == ["ACTIVE"])
        got = ddb.query(TableName=NAME, IndexName="by_g", KeyConditionExpression="g = :g",
                        ExpressionAttributeValues={":g": {"S": "g"}})["Count"]
        assert got == 5
    finally:
        ddb.close()
