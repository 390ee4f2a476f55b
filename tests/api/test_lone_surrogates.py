"""A string holding a lone UTF-16 surrogate ("\\ud800" unpaired) has no UTF-8 form, so it can be neither
sized nor stored. Over HTTP (and through the boto3 hook) such a JSON escape is refused before dispatch with
a bare SerializationException (server/protocol.py loads; docs/server.md); from Python, through the in-process
client, it used to escape as UnicodeEncodeError from the size rules, the key codec or the stored form (a 500
over any door that let it through). Both doors now give the same SerializationException, and nothing changes:
no item, no table, no keyspace."""
import pytest

from pyddb.client_errors import ClientError

NAME = "surrogates"
LONE = "a\ud800b"
KEY = {"pk": {"S": "k"}}


@pytest.fixture
def table(ddb):
    ddb.create_table(TableName=NAME, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    ddb.put_item(TableName=NAME, Item=dict(KEY, v={"S": "old"}))
    return NAME


REQUESTS = {
    "value": lambda c: c.put_item(TableName=NAME, Item=dict(KEY, v={"S": LONE})),
    "key": lambda c: c.put_item(TableName=NAME, Item={"pk": {"S": LONE}}),
    "name": lambda c: c.put_item(TableName=NAME, Item=dict(KEY, **{LONE: {"S": "x"}})),
    "map key": lambda c: c.put_item(TableName=NAME, Item=dict(KEY, m={"M": {LONE: {"S": "x"}}})),
    "string set": lambda c: c.put_item(TableName=NAME, Item=dict(KEY, s={"SS": ["x", LONE]})),
    "get key": lambda c: c.get_item(TableName=NAME, Key={"pk": {"S": LONE}}),
    "update value": lambda c: c.update_item(TableName=NAME, Key=KEY, UpdateExpression="SET v = :v",
                                            ExpressionAttributeValues={":v": {"L": [{"S": LONE}]}}),
    "query key": lambda c: c.query(TableName=NAME, KeyConditionExpression="pk = :v",
                                   ExpressionAttributeValues={":v": {"S": LONE}}),
    "batch": lambda c: c.batch_write_item(RequestItems={NAME: [
        {"PutRequest": {"Item": {"pk": {"S": "other"}}}},
        {"PutRequest": {"Item": dict(KEY, v={"S": LONE})}}]}),
    "transaction": lambda c: c.transact_write_items(TransactItems=[
        {"Put": {"TableName": NAME, "Item": {"pk": {"S": "other"}}}},
        {"Update": {"TableName": NAME, "Key": KEY, "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": {"S": LONE}}}}]),
}


def serialization_error(call):
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]["Code"]


@pytest.mark.parametrize("where", sorted(REQUESTS))
def test_a_lone_surrogate_is_a_serialization_exception_and_changes_nothing(ddb, table, where):
    assert serialization_error(lambda: REQUESTS[where](ddb)) == "SerializationException"
    assert ddb.scan(TableName=NAME)["Items"] == [dict(KEY, v={"S": "old"})]


def test_a_surrogate_pair_is_an_ordinary_character(ddb, table):
    ddb.put_item(TableName=NAME, Item=dict(KEY, v={"S": "a\U0001F600b"}))
    assert ddb.get_item(TableName=NAME, Key=KEY)["Item"]["v"] == {"S": "a\U0001F600b"}


def test_create_table_with_a_lone_surrogate_makes_no_table_and_no_keyspace(ddb):
    model = ddb.model
    before = model.engine.keyspaces()
    call = lambda: ddb.create_table(  # noqa: E731
        TableName="surr_tbl", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": LONE, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": LONE, "AttributeType": "S"}])
    assert serialization_error(call) == "SerializationException"
    assert ddb.list_tables()["TableNames"] == []
    assert model.engine.keyspaces() == before
