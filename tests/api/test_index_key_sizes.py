"""Index key values over DynamoDB's key limits in ordinary writes: an S or B value of a GSI or LSI key
attribute may be at most 2048 bytes as the index's partition key and 1024 bytes as its sort key (the table's
own key limits; AWS Developer Guide, Constraints). DynamoDB refuses the write with "One or more parameter
values were invalid: Size limit exceeded for Index Key <name> Actual Size: <n> bytes Max Size: <max> bytes
IndexName: <index>" (captured: wellcomecollection/platform#2285, architect/dynalite#35; the 1024 form for
sort keys is not confirmed) and writes nothing. Before, such an item was stored and indexed under an
oversized key. (An online backfill leaves such items out instead: test_gsi_online.py.)"""
import pytest

from pyddb.client_errors import ClientError

NAME = "ixsizes"
MSG = ("One or more parameter values were invalid: Size limit exceeded for Index Key %s Actual Size: %d bytes "
       "Max Size: %d bytes IndexName: %s")


@pytest.fixture
def table(ddb):
    ddb.create_table(
        TableName=NAME, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t}
                              for n, t in (("pk", "S"), ("sk", "S"), ("g", "S"), ("gs", "B"), ("l", "S"))],
        GlobalSecondaryIndexes=[{"IndexName": "by_g", "Projection": {"ProjectionType": "ALL"},
                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"},
                                               {"AttributeName": "gs", "KeyType": "RANGE"}]}],
        LocalSecondaryIndexes=[{"IndexName": "by_l", "Projection": {"ProjectionType": "KEYS_ONLY"},
                                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                              {"AttributeName": "l", "KeyType": "RANGE"}]}])
    return NAME


def key(n="1"):
    return {"pk": {"S": "p"}, "sk": {"S": n}}


def error(call, **request):
    with pytest.raises(ClientError) as info:
        call(**request)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def unchanged(ddb):
    items = ddb.scan(TableName=NAME)["Items"]
    assert items == [dict(key(), g={"S": "small"})]
    assert ddb.scan(TableName=NAME, IndexName="by_l")["Count"] == 0
    assert ddb.query(TableName=NAME, IndexName="by_g", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": {"S": "small"}})["Count"] == 0   # no gs: not in by_g


BIG = {
    "gsi partition key": ("g", {"S": "x" * 2049}, MSG % ("g", 2049, 2048, "by_g")),
    "gsi partition key, multi-byte": ("g", {"S": "\u00e9" * 1025}, MSG % ("g", 2050, 2048, "by_g")),
    "gsi sort key": ("gs", {"B": b"\x00" * 1025}, MSG % ("gs", 1025, 1024, "by_g")),
    "lsi sort key": ("l", {"S": "y" * 1025}, MSG % ("l", 1025, 1024, "by_l")),
}


@pytest.mark.parametrize("case", sorted(BIG))
def test_every_write_path_refuses_an_oversized_index_key_and_writes_nothing(ddb, table, case):
    name, value, message = BIG[case]
    ddb.put_item(TableName=NAME, Item=dict(key(), g={"S": "small"}))
    expected = ("ValidationException", message)
    assert error(ddb.put_item, TableName=NAME, Item=dict(key(), **{name: value})) == expected
    assert error(ddb.put_item, TableName=NAME, Item=dict(key("2"), **{name: value})) == expected
    assert error(ddb.update_item, TableName=NAME, Key=key(), UpdateExpression="SET #n = :v",
                 ExpressionAttributeNames={"#n": name}, ExpressionAttributeValues={":v": value}) == expected
    assert error(ddb.batch_write_item, RequestItems={NAME: [
        {"PutRequest": {"Item": key("3")}},
        {"PutRequest": {"Item": dict(key("4"), **{name: value})}}]}) == expected
    assert error(ddb.transact_write_items, TransactItems=[
        {"Put": {"TableName": NAME, "Item": key("3")}},
        {"Put": {"TableName": NAME, "Item": dict(key("4"), **{name: value})}}]) == expected
    with pytest.raises(ClientError) as info:     # an Update's result is known only as it runs: a reason
        ddb.transact_write_items(TransactItems=[
            {"Put": {"TableName": NAME, "Item": key("3")}},
            {"Update": {"TableName": NAME, "Key": key(), "UpdateExpression": "SET #n = :v",
                        "ExpressionAttributeNames": {"#n": name}, "ExpressionAttributeValues": {":v": value}}}])
    assert info.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert info.value.response["CancellationReasons"][1] == {"Code": "ValidationError", "Message": message}
    unchanged(ddb)


def test_values_at_the_limits_are_written_and_indexed(ddb, table):
    item = dict(key(), g={"S": "\u00e9" * 1024}, gs={"B": b"\x01" * 1024}, l={"S": "y" * 1024})
    ddb.put_item(TableName=NAME, Item=item)
    got = ddb.query(TableName=NAME, IndexName="by_g", KeyConditionExpression="g = :g",
                    ExpressionAttributeValues={":g": item["g"]})["Items"]
    assert got == [item]
    assert ddb.scan(TableName=NAME, IndexName="by_l")["Count"] == 1
    # an attribute that is no key of any index is not size-checked as one
    ddb.put_item(TableName=NAME, Item=dict(key("2"), other={"S": "z" * 5000}))
