"""Requests racing DeleteTable (model/database.py T4): a request that looked its table up before a DeleteTable
removed it fails with ResourceNotFoundException "Requested resource not found", as it would had it arrived
after the delete, writes nothing, and does not touch a table created again under the same name. Before T4
such a request raised KeyError from table_lock or an engine error about a missing keyspace (a 500 over HTTP).

The race is made deterministic: the request's thread stops right after its table lookup (model.table, which
every operation calls once per table; for GetItem, whose fast path reads model.tables, at model.items.get)
until the main thread has deleted (and maybe re-created) the table through the model. Over HTTP the request runs in the server and the delete goes to the same model in-process,
so a server that runs one request at a time cannot deadlock the test.
"""
import threading

import pytest

from pyddb import api
from pyddb.client_errors import ClientError

NAME = "race_tbl"
NOT_FOUND = ("ResourceNotFoundException", "Requested resource not found")


def create(model, key_type="S"):
    api.dispatch(model, "CreateTable", {
        "TableName": NAME, "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": key_type},
                                 {"AttributeName": "sk", "AttributeType": "S"}]})


KEY = {"pk": {"S": "a"}, "sk": {"S": "1"}}
ITEM = dict(KEY, v={"S": "x"})

REQUESTS = {
    "PutItem": lambda c: c.put_item(TableName=NAME, Item=ITEM),
    "UpdateItem": lambda c: c.update_item(TableName=NAME, Key=KEY, UpdateExpression="SET v = :v",
                                          ExpressionAttributeValues={":v": {"S": "y"}}),
    "DeleteItem": lambda c: c.delete_item(TableName=NAME, Key=KEY),
    "GetItem": lambda c: c.get_item(TableName=NAME, Key=KEY),
    "Query": lambda c: c.query(TableName=NAME, KeyConditionExpression="pk = :p",
                               ExpressionAttributeValues={":p": {"S": "a"}}),
    "Scan": lambda c: c.scan(TableName=NAME),
    "BatchWriteItem": lambda c: c.batch_write_item(RequestItems={NAME: [{"PutRequest": {"Item": ITEM}}]}),
    "BatchGetItem": lambda c: c.batch_get_item(RequestItems={NAME: {"Keys": [KEY]}}),
    "TransactWriteItems": lambda c: c.transact_write_items(
        TransactItems=[{"Put": {"TableName": NAME, "Item": ITEM}}]),
    "TransactGetItems": lambda c: c.transact_get_items(TransactItems=[{"Get": {"TableName": NAME, "Key": KEY}}]),
}


def race(ddb, monkeypatch, op, then):
    """Run request `op` on a thread; once it has looked its table up, run `then(model)`; return what the
    request raised (None when it succeeded)."""
    model = ddb.model
    looked_up = threading.Event()
    go_on = threading.Event()
    real = model.table

    def table(name, operation=None):
        t = real(name, operation)
        if operation == op and not looked_up.is_set():
            looked_up.set()
            go_on.wait(30)
        return t

    def item_get(t, pk, sk):                # GetItem's fast path looks its table up in model.tables
        if not looked_up.is_set():
            looked_up.set()
            go_on.wait(30)
        return real_get(t, pk, sk)

    if op == "GetItem":
        real_get = model.items.get
        monkeypatch.setattr(model.items, "get", item_get)
    else:
        monkeypatch.setattr(model, "table", table)
    outcome = {}

    def run():
        try:
            REQUESTS[op](ddb)
            outcome["error"] = None
        except ClientError as e:
            outcome["error"] = (e.response["Error"]["Code"], e.response["Error"]["Message"])
        except Exception as e:                      # noqa: BLE001 - reported, not swallowed
            outcome["error"] = (type(e).__name__, str(e))

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert looked_up.wait(30), "the request never looked its table up"
        then(model)
    finally:
        go_on.set()
        thread.join(30)
    monkeypatch.undo()
    return outcome["error"]


def delete(model):
    api.dispatch(model, "DeleteTable", {"TableName": NAME})


def delete_and_create(model):
    delete(model)
    create(model)


@pytest.mark.parametrize("op", sorted(REQUESTS))
def test_a_request_whose_table_is_deleted_after_its_lookup_is_resource_not_found(ddb, monkeypatch, op):
    create(ddb.model)
    ddb.put_item(TableName=NAME, Item=ITEM)
    assert race(ddb, monkeypatch, op, delete) == NOT_FOUND
    assert NAME not in ddb.list_tables()["TableNames"]


@pytest.mark.parametrize("op", sorted(REQUESTS))
def test_a_request_never_reaches_a_table_created_again_under_the_same_name(ddb, monkeypatch, op):
    create(ddb.model)
    ddb.put_item(TableName=NAME, Item=ITEM)
    assert race(ddb, monkeypatch, op, delete_and_create) == NOT_FOUND
    assert ddb.scan(TableName=NAME)["Items"] == []         # the new table: nothing written into it
    ddb.put_item(TableName=NAME, Item=ITEM)                # and it works
    assert ddb.get_item(TableName=NAME, Key=KEY)["Item"] == ITEM


@pytest.mark.parametrize("op", ["PutItem", "UpdateItem", "BatchWriteItem", "TransactWriteItems"])
def test_a_table_changed_by_update_table_meanwhile_is_still_written(ddb, monkeypatch, op):
    """The check is of the table's identity, not of its definition object: UpdateTable replaces the
    definition (here: a new GSI) and the write goes on, maintaining the new index (T3)."""
    create(ddb.model)

    def add_index(model):
        api.dispatch(model, "UpdateTable", {
            "TableName": NAME,
            "AttributeDefinitions": [{"AttributeName": "v", "AttributeType": "S"}],
            "GlobalSecondaryIndexUpdates": [{"Create": {
                "IndexName": "by_v", "KeySchema": [{"AttributeName": "v", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"}}}]})

    assert race(ddb, monkeypatch, op, add_index) is None
    assert ddb.model.backfills.wait(30)
    item = ddb.get_item(TableName=NAME, Key=KEY)["Item"]
    assert item["v"] in ({"S": "x"}, {"S": "y"})
    got = ddb.query(TableName=NAME, IndexName="by_v", KeyConditionExpression="v = :v",
                    ExpressionAttributeValues={":v": item["v"]})["Items"]
    assert got == [item]


class _PausingEngine:
    """The model's engine, except that a scan stops after its first row until `go_on` is set."""

    def __init__(self, engine, paused, go_on):
        self._engine, self._paused, self._go_on = engine, paused, go_on

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def scan(self, *args, **kwargs):
        rows = self._engine.scan(*args, **kwargs)
        first = True
        for row in rows:
            yield row
            if first:
                first = False
                self._paused.set()
                self._go_on.wait(30)


def test_a_scan_cut_short_by_a_delete_is_resource_not_found_not_a_partial_page(ddb, monkeypatch):
    model = ddb.model
    create(model)
    for i in range(20):
        ddb.put_item(TableName=NAME, Item={"pk": {"S": "p%d" % i}, "sk": {"S": "1"}})
    paused, go_on = threading.Event(), threading.Event()
    monkeypatch.setattr(model, "engine", _PausingEngine(model.engine, paused, go_on))
    outcome = {}

    def run():
        try:
            outcome["response"] = ddb.scan(TableName=NAME)
        except ClientError as e:
            outcome["error"] = (e.response["Error"]["Code"], e.response["Error"]["Message"])

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert paused.wait(30)
        delete(model)
    finally:
        go_on.set()
        thread.join(30)
    assert outcome == {"error": NOT_FOUND}
