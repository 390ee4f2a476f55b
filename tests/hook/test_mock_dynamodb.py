"""`pyddb.mock_dynamodb`: unmodified boto3 code (client and resource layers) runs against an in-process pyddb.

The code inside each block is what a program written for DynamoDB would contain: no endpoint, no
credentials, no pyddb API. What must hold (boto3_hook.py): everything botocore does on top of HTTP works
(parsing, exceptions, resource layer, paginators, waiters, batch_writer), a path persists, the decorator
forms work, other services and code outside the block are left alone, and nothing is dispatched twice.
"""
import asyncio
import json
import os
import threading
import unittest
from decimal import Decimal

import boto3
import botocore
import pytest
from boto3.dynamodb.conditions import Attr, Key
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError

import pyddb
from pyddb import boto3_hook

CLOSED = "http://127.0.0.1:1"                     # nothing listens: a request that escapes fails at once
NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=1)


def create_table(name="items", sort=True, resource=None):
    ddb = resource or boto3.resource("dynamodb")
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    attrs = [{"AttributeName": "pk", "AttributeType": "S"}]
    if sort:
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
        attrs.append({"AttributeName": "sk", "AttributeType": "N"})
    table = ddb.create_table(TableName=name, KeySchema=keys, AttributeDefinitions=attrs,
                             BillingMode="PAY_PER_REQUEST")
    table.wait_until_exists()
    return table


@pytest.fixture
def mock():
    with pyddb.mock_dynamodb() as m:
        yield m


# ---- the client layer ------------------------------------------------------------------------------------


def test_client_put_get_update_delete(mock):
    c = boto3.client("dynamodb")
    create_table("items", sort=False)
    c.put_item(TableName="items", Item={"pk": {"S": "a"}, "n": {"N": "1.50"}, "b": {"B": b"\x00\xff"},
                                        "ss": {"SS": ["x", "y"]}, "m": {"M": {"l": {"L": [{"NULL": True}]}}}})
    got = c.get_item(TableName="items", Key={"pk": {"S": "a"}}, ConsistentRead=True)
    assert got["Item"] == {"pk": {"S": "a"}, "n": {"N": "1.5"}, "b": {"B": b"\x00\xff"},
                           "ss": {"SS": ["x", "y"]}, "m": {"M": {"l": {"L": [{"NULL": True}]}}}}
    meta = got["ResponseMetadata"]
    assert meta["HTTPStatusCode"] == 200 and len(meta["RequestId"]) == 52
    assert meta["HTTPHeaders"]["x-amzn-requestid"] == meta["RequestId"]
    out = c.update_item(TableName="items", Key={"pk": {"S": "a"}}, UpdateExpression="ADD n :one",
                        ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="UPDATED_NEW")
    assert out["Attributes"] == {"n": {"N": "2.5"}}
    out = c.delete_item(TableName="items", Key={"pk": {"S": "a"}}, ReturnValues="ALL_OLD")
    assert out["Attributes"]["n"] == {"N": "2.5"}
    assert "Item" not in c.get_item(TableName="items", Key={"pk": {"S": "a"}})


def test_errors_are_boto3s_exceptions_with_dynamodbs_codes_and_texts(mock):
    c = boto3.client("dynamodb")
    create_table("items", sort=False)
    c.put_item(TableName="items", Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    with pytest.raises(c.exceptions.ConditionalCheckFailedException) as e:
        c.put_item(TableName="items", Item={"pk": {"S": "a"}}, ConditionExpression="attribute_not_exists(pk)",
                   ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert str(e.value) == ("An error occurred (ConditionalCheckFailedException) when calling the PutItem "
                            "operation: The conditional request failed")
    assert e.value.response["Item"] == {"pk": {"S": "a"}, "v": {"N": "1"}}     # a modelled error member
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(c.exceptions.ResourceNotFoundException) as e:
        c.get_item(TableName="missing", Key={"pk": {"S": "a"}})
    assert e.value.response["Error"]["Message"] == "Requested resource not found"
    with pytest.raises(ClientError) as e:                                  # not modelled: plain ClientError
        c.get_item(TableName="items", Key={"nope": {"S": "a"}})
    assert e.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "The provided key element does not match the schema"}
    with pytest.raises(c.exceptions.ResourceInUseException):
        create_table("items", sort=False)
    with pytest.raises(botocore.exceptions.ParamValidationError):          # botocore's own check still runs
        c.get_item(TableName="items")


def test_scan_and_query_paginators(mock):
    c = boto3.client("dynamodb")
    create_table()
    for i in range(30):
        c.put_item(TableName="items", Item={"pk": {"S": "p%d" % (i % 3)}, "sk": {"N": str(i)}})
    pages = list(c.get_paginator("scan").paginate(TableName="items", PaginationConfig={"PageSize": 7}))
    assert [p["Count"] for p in pages] == [7, 7, 7, 7, 2]
    assert sorted(int(it["sk"]["N"]) for p in pages for it in p["Items"]) == list(range(30))
    query = c.get_paginator("query").paginate(
        TableName="items", KeyConditionExpression="pk = :p AND sk > :s", ScanIndexForward=False,
        ExpressionAttributeValues={":p": {"S": "p1"}, ":s": {"N": "10"}}, PaginationConfig={"PageSize": 2})
    got = [int(it["sk"]["N"]) for it in query.build_full_result()["Items"]]
    assert got == [28, 25, 22, 19, 16, 13]
    assert c.get_paginator("list_tables").paginate().build_full_result()["TableNames"] == ["items"]


def test_transactions_and_batches(mock):
    c = boto3.client("dynamodb")
    create_table("items", sort=False)
    c.batch_write_item(RequestItems={"items": [
        {"PutRequest": {"Item": {"pk": {"S": "k%d" % i}, "v": {"N": str(i)}}}} for i in range(25)]})
    got = c.batch_get_item(RequestItems={"items": {"Keys": [{"pk": {"S": "k1"}}, {"pk": {"S": "k2"}}]}})
    assert sorted(it["v"]["N"] for it in got["Responses"]["items"]) == ["1", "2"]
    c.transact_write_items(TransactItems=[
        {"Update": {"TableName": "items", "Key": {"pk": {"S": "k1"}}, "UpdateExpression": "SET v = v - :a",
                    "ExpressionAttributeValues": {":a": {"N": "1"}}}},
        {"Put": {"TableName": "items", "Item": {"pk": {"S": "new"}}}}])
    with pytest.raises(c.exceptions.TransactionCanceledException) as e:
        c.transact_write_items(TransactItems=[
            {"Put": {"TableName": "items", "Item": {"pk": {"S": "k3"}}}},
            {"ConditionCheck": {"TableName": "items", "Key": {"pk": {"S": "k2"}},
                                "ConditionExpression": "v = :x", "ExpressionAttributeValues": {":x": {"N": "9"}}}}])
    assert [r["Code"] for r in e.value.response["CancellationReasons"]] == ["None", "ConditionalCheckFailed"]
    got = c.transact_get_items(TransactItems=[{"Get": {"TableName": "items", "Key": {"pk": {"S": "k1"}}}},
                                              {"Get": {"TableName": "items", "Key": {"pk": {"S": "new"}}}}])
    assert [r["Item"] for r in got["Responses"]] == [{"pk": {"S": "k1"}, "v": {"N": "0"}}, {"pk": {"S": "new"}}]


def test_waiters_and_table_description(mock):
    c = boto3.client("dynamodb")
    create_table("items", sort=False)
    desc = c.describe_table(TableName="items")["Table"]
    assert desc["TableStatus"] == "ACTIVE" and desc["CreationDateTime"].tzinfo is not None  # a datetime
    c.delete_table(TableName="items")
    c.get_waiter("table_not_exists").wait(TableName="items", WaiterConfig={"Delay": 0.01})
    assert c.list_tables()["TableNames"] == []


# ---- the resource layer ----------------------------------------------------------------------------------


def test_resource_layer(mock):
    table = create_table()
    table.put_item(Item={"pk": "u1", "sk": 1, "price": Decimal("9.99"), "tags": {"a", "b"}, "raw": b"\x01"})
    item = table.get_item(Key={"pk": "u1", "sk": 1})["Item"]
    assert item == {"pk": "u1", "sk": Decimal(1), "price": Decimal("9.99"), "tags": {"a", "b"},
                    "raw": boto3.dynamodb.types.Binary(b"\x01")}
    with table.batch_writer() as batch:
        for i in range(2, 60):
            batch.put_item(Item={"pk": "u1" if i % 2 else "u2", "sk": i, "n": i, "even": i % 2 == 0})
    assert table.item_count == 59
    got = table.query(KeyConditionExpression=Key("pk").eq("u1") & Key("sk").between(10, 20),
                      FilterExpression=Attr("n").ne(15), ScanIndexForward=False)["Items"]
    assert [int(it["sk"]) for it in got] == [19, 17, 13, 11]
    scanned = table.scan(FilterExpression=Attr("even").eq(True))
    assert scanned["Count"] == 29 and scanned["ScannedCount"] == 59
    table.update_item(Key={"pk": "u1", "sk": 1}, UpdateExpression="REMOVE tags")
    with pytest.raises(ClientError) as e:
        table.delete_item(Key={"pk": "u1", "sk": 1}, ConditionExpression=Attr("tags").exists())
    assert e.value.response["Error"]["Code"] == "ConditionalCheckFailedException"


def test_user_orders_program(mock):
    """The issue's example program 1 (UserOrders, GSI, conditional put of json-parsed Decimals, query newest
    first, GSI query, conditional update, batch_writer, a two-table transaction), without an endpoint."""
    dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
    orders = dynamodb.create_table(
        TableName="UserOrders",
        KeySchema=[{"AttributeName": "user_id", "KeyType": "HASH"},
                   {"AttributeName": "order_id", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("user_id", "order_id", "status")],
        GlobalSecondaryIndexes=[{"IndexName": "StatusIndex",
                                 "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"},
                                               {"AttributeName": "order_id", "KeyType": "RANGE"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        BillingMode="PAY_PER_REQUEST")
    orders.wait_until_exists()
    balance = dynamodb.create_table(
        TableName="UserBalance", KeySchema=[{"AttributeName": "user_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "user_id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    balance.wait_until_exists()
    order = json.loads('{"user_id": "u1", "order_id": "2024-001", "status": "PENDING", "total": 42.5}',
                       parse_float=Decimal)
    orders.put_item(Item=order, ConditionExpression="attribute_not_exists(user_id)")
    with pytest.raises(ClientError) as e:
        orders.put_item(Item=order, ConditionExpression="attribute_not_exists(user_id)")
    assert e.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
    assert orders.get_item(Key={"user_id": "u1", "order_id": "2024-001"}, ConsistentRead=True)["Item"]["total"] \
        == Decimal("42.5")
    with orders.batch_writer() as batch:
        for i in range(2, 8):
            batch.put_item(Item={"user_id": "u1", "order_id": "2024-%03d" % i, "status": "SHIPPED", "total": i})
    newest = orders.query(KeyConditionExpression=Key("user_id").eq("u1"), ScanIndexForward=False, Limit=3)
    assert [it["order_id"] for it in newest["Items"]] == ["2024-007", "2024-006", "2024-005"]
    assert "LastEvaluatedKey" in newest
    shipped = orders.query(IndexName="StatusIndex", KeyConditionExpression=Key("status").eq("SHIPPED"))
    assert shipped["Count"] == 6
    out = orders.update_item(
        Key={"user_id": "u1", "order_id": "2024-001"}, UpdateExpression="SET #status = :status, updated_at = :now",
        ConditionExpression="#status = :old_status", ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":status": "SHIPPED", ":now": "2024-06-01T00:00:00Z", ":old_status": "PENDING"},
        ReturnValues="ALL_NEW")
    assert out["Attributes"]["status"] == "SHIPPED"
    balance.put_item(Item={"user_id": "u1", "balance": 100})
    boto3.client("dynamodb", region_name="us-east-1").transact_write_items(TransactItems=[
        {"Update": {"TableName": "UserOrders", "Key": {"user_id": {"S": "u1"}, "order_id": {"S": "2024-002"}},
                    "UpdateExpression": "SET #s = :paid", "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {":paid": {"S": "PAID"}}}},
        {"Update": {"TableName": "UserBalance", "Key": {"user_id": {"S": "u1"}},
                    "UpdateExpression": "SET balance = balance - :amount",
                    "ExpressionAttributeValues": {":amount": {"N": "42.5"}}}}])
    assert balance.get_item(Key={"user_id": "u1"})["Item"]["balance"] == Decimal("57.5")


# ---- life cycle: persistence, temporary databases, decorators, nesting ----------------------------------


def test_a_path_persists_across_blocks(tmp_path):
    path = str(tmp_path / "db")
    with pyddb.mock_dynamodb(path):
        create_table().put_item(Item={"pk": "a", "sk": 1, "v": "kept"})
    assert os.path.isdir(path)
    with pyddb.mock_dynamodb(path):
        table = boto3.resource("dynamodb").Table("items")
        assert table.get_item(Key={"pk": "a", "sk": 1})["Item"]["v"] == "kept"
    with pyddb.connect(path) as client:                        # the same database, without boto3
        assert client.list_tables()["TableNames"] == ["items"]


def test_without_a_path_each_block_starts_empty():
    with pyddb.mock_dynamodb() as m:
        create_table()
        tmp = m.model.path
        assert os.path.isdir(tmp)
    assert not os.path.exists(tmp)
    with pyddb.mock_dynamodb():
        assert boto3.client("dynamodb").list_tables()["TableNames"] == []


@pyddb.mock_dynamodb
def test_bare_decorator():
    create_table()
    assert boto3.client("dynamodb").list_tables()["TableNames"] == ["items"]


@pyddb.mock_dynamodb()
def test_decorator_gives_each_call_a_fresh_database():
    assert boto3.client("dynamodb").list_tables()["TableNames"] == []
    create_table()


def test_decorator_runs_each_call_in_its_own_block():
    seen = []

    @pyddb.mock_dynamodb()
    def count_tables(name):
        c = boto3.client("dynamodb")
        create_table(name, sort=False)
        seen.append(c.list_tables()["TableNames"])
        return "done"

    assert count_tables("one") == "done"
    assert count_tables("two") == "done"
    assert seen == [["one"], ["two"]]
    assert not boto3_hook._active


def test_async_function_decorator():
    @pyddb.mock_dynamodb()
    async def run():
        create_table()
        return boto3.client("dynamodb").list_tables()["TableNames"]

    assert asyncio.run(run()) == ["items"]


@pyddb.mock_dynamodb()
class TestPlainClassDecorator:
    def test_methods_are_mocked(self):
        create_table()
        assert boto3.client("dynamodb").list_tables()["TableNames"] == ["items"]


@pyddb.mock_dynamodb()
class TestUnittestCaseDecorator(unittest.TestCase):
    def setUp(self):
        self.table = create_table()                       # setUp runs inside the mock too

    def test_setup_and_test_share_the_database(self):
        self.table.put_item(Item={"pk": "a", "sk": 1})
        self.assertEqual(boto3.resource("dynamodb").Table("items").item_count, 1)


def test_nested_mocks_inner_answers_and_outer_resumes():
    with pyddb.mock_dynamodb():
        create_table("outer", sort=False)
        with pyddb.mock_dynamodb():
            assert boto3.client("dynamodb").list_tables()["TableNames"] == []
            create_table("inner", sort=False)
        assert boto3.client("dynamodb").list_tables()["TableNames"] == ["outer"]


def test_the_same_mock_reentered_keeps_its_database():
    m = pyddb.mock_dynamodb()
    with m:
        create_table()
        with m:
            assert boto3.client("dynamodb").list_tables()["TableNames"] == ["items"]
        assert boto3.client("dynamodb").list_tables()["TableNames"] == ["items"]
    assert m.model is None


# ---- scope: clients, sessions, threads, other services ---------------------------------------------------


def test_clients_and_sessions_made_before_the_block_are_routed_inside_it_only():
    session = boto3.session.Session(region_name="us-east-1")
    early = session.client("dynamodb", endpoint_url=CLOSED, config=NO_RETRY, aws_access_key_id="x",
                           aws_secret_access_key="y")
    default = boto3.client("dynamodb", endpoint_url=CLOSED, config=NO_RETRY, region_name="us-east-1",
                           aws_access_key_id="x", aws_secret_access_key="y")
    with pyddb.mock_dynamodb():
        create_table()
        assert early.list_tables()["TableNames"] == ["items"]
        assert default.list_tables()["TableNames"] == ["items"]
        late = session.client("dynamodb", endpoint_url=CLOSED, config=NO_RETRY)
        assert late.list_tables()["TableNames"] == ["items"]
    with pytest.raises(EndpointConnectionError):           # outside: over HTTP, as before
        early.list_tables()
    with pytest.raises(EndpointConnectionError):
        late.list_tables()


def test_patch_client_reaches_a_client_from_a_session_made_before_pyddb_was_imported(monkeypatch):
    from botocore.handlers import BUILTIN_HANDLERS

    ours = [spec for spec in BUILTIN_HANDLERS if spec[1] in (boto3_hook._before_send, boto3_hook._choose_signer)]
    for spec in ours:                                       # as if pyddb had not been imported yet
        BUILTIN_HANDLERS.remove(spec)
    try:
        old = boto3.session.Session(region_name="us-east-1").client(
            "dynamodb", endpoint_url=CLOSED, config=NO_RETRY, aws_access_key_id="x", aws_secret_access_key="y")
    finally:
        BUILTIN_HANDLERS.extend(ours)
    with pyddb.mock_dynamodb():
        with pytest.raises(EndpointConnectionError):
            old.list_tables()
        assert boto3_hook.patch_client(old) is old
        assert old.list_tables()["TableNames"] == []


def test_a_handler_registered_twice_dispatches_once(mock):
    c = boto3.client("dynamodb")
    boto3_hook.patch_client(c)                              # now both the builtin and this registration
    boto3_hook.patch_client(c)
    create_table("items", sort=False)
    c.update_item(TableName="items", Key={"pk": {"S": "a"}}, UpdateExpression="ADD n :one",
                  ExpressionAttributeValues={":one": {"N": "1"}})
    assert c.get_item(TableName="items", Key={"pk": {"S": "a"}})["Item"]["n"] == {"N": "1"}


def test_calls_from_other_threads_are_routed(mock):
    create_table("items", sort=False)
    errors = []

    def writer(n):
        try:
            t = boto3.session.Session().resource("dynamodb").Table("items")
            for i in range(20):
                t.put_item(Item={"pk": "%d-%d" % (n, i)})
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert boto3.client("dynamodb").scan(TableName="items", Select="COUNT")["Count"] == 80


def test_other_services_are_not_routed(mock):
    s3 = boto3.client("s3", endpoint_url=CLOSED, config=NO_RETRY)
    with pytest.raises(EndpointConnectionError):
        s3.list_buckets()
    sts = boto3.client("sts", endpoint_url=CLOSED, config=NO_RETRY)
    with pytest.raises(EndpointConnectionError):
        sts.get_caller_identity()


def test_dynamodb_streams_is_routed(mock):
    streams = boto3.client("dynamodbstreams", endpoint_url=CLOSED, config=NO_RETRY)
    try:
        out = streams.list_streams()
    except ClientError as e:                                # until pyddb serves the Streams operations
        assert e.response["Error"]["Code"] == "UnknownOperationException"
    else:
        assert out["Streams"] == []


def test_with_motos_mock_other_services_go_to_moto():
    moto = pytest.importorskip("moto")
    with moto.mock_aws(), pyddb.mock_dynamodb() as m:
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="bucket-one")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["bucket-one"]
        create_table("items", sort=False)
        assert list(m.model.tables) == ["items"]


def test_bugs_propagate_instead_of_becoming_retried_500s(mock, monkeypatch):
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise RuntimeError("a bug")

    monkeypatch.setattr(mock, "_dispatch", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        boto3.client("dynamodb").list_tables()
    assert calls == [1]


# ---- credentials and region ------------------------------------------------------------------------------


@pytest.fixture
def bare_env(monkeypatch, tmp_path):
    """No credentials and no region anywhere: environment, credentials file, config file."""
    for var in list(os.environ):
        if var.startswith("AWS_"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    return tmp_path


def test_nothing_configured_needs_nothing_and_the_environment_is_restored(bare_env):
    before = dict(os.environ)
    with pyddb.mock_dynamodb():
        assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
        assert boto3.client("dynamodb").list_tables()["TableNames"] == []
        boto3.resource("dynamodb").Table("x").meta.client.list_tables()
    assert dict(os.environ) == before


def test_configured_credentials_and_region_are_left_alone(bare_env, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "mine")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with pyddb.mock_dynamodb():
        assert os.environ["AWS_ACCESS_KEY_ID"] == "mine" and os.environ["AWS_DEFAULT_REGION"] == "eu-west-1"
        assert boto3.client("dynamodb").meta.region_name == "eu-west-1"
        assert boto3.client("dynamodb").list_tables()["TableNames"] == []


def test_a_profile_in_the_config_files_counts_as_configured(bare_env, monkeypatch):
    (bare_env / "credentials").write_text("[default]\naws_access_key_id = k\naws_secret_access_key = s\n")
    (bare_env / "config").write_text("[default]\nregion = eu-north-1\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(bare_env / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(bare_env / "config"))
    with pyddb.mock_dynamodb():
        assert "AWS_ACCESS_KEY_ID" not in os.environ and "AWS_DEFAULT_REGION" not in os.environ
        assert boto3.client("dynamodb").meta.region_name == "eu-north-1"
        assert boto3.client("dynamodb").list_tables()["TableNames"] == []
