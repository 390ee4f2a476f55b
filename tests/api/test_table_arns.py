"""A table ARN wherever DynamoDB takes one as TableName: botocore models TableName of the item operations,
Query, Scan, the keys of BatchGetItem/BatchWriteItem's RequestItems and the members of TransactItems as
TableArn (max 1024), documented "You can also provide the Amazon Resource Name (ARN) of the table in this
parameter". ConsumedCapacity.TableName: "If you had specified the Amazon Resource Name (ARN) of a table in the
input, you'll see the table ARN in the response" (botocore's model); batch responses are keyed as requested.
Errors (ack-api-quirks DDB-TABLE-013, model/database.py TABLE NAMES AND ARNS): another region ->
ValidationException "1 validation error detected: Invalid AWS region in '<ARN>'", another account ->
AccessDeniedException "Access is denied", a table that does not exist -> ResourceNotFoundException.
"""
import pytest

from pyddb.client_errors import ClientError

NAME = "arn_tbl"
ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/" + NAME
KEY = {"pk": {"S": "a"}}
ITEM = dict(KEY, v={"N": "1"})


@pytest.fixture
def table(ddb):
    ddb.create_table(TableName=NAME, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    assert ddb.describe_table(TableName=NAME)["Table"]["TableArn"] == ARN
    return ARN


def error(call, **request):
    with pytest.raises(ClientError) as info:
        call(**request)
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def test_item_operations_take_a_table_arn(ddb, table):
    out = ddb.put_item(TableName=ARN, Item=ITEM, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == {"TableName": ARN, "CapacityUnits": 1.0}
    assert ddb.get_item(TableName=NAME, Key=KEY)["Item"] == ITEM
    assert ddb.get_item(TableName=ARN, Key=KEY)["Item"] == ITEM
    out = ddb.update_item(TableName=ARN, Key=KEY, UpdateExpression="ADD v :one",
                          ExpressionAttributeValues={":one": {"N": "1"}}, ReturnValues="UPDATED_NEW")
    assert out["Attributes"] == {"v": {"N": "2"}}
    assert ddb.query(TableName=ARN, KeyConditionExpression="pk = :a",
                     ExpressionAttributeValues={":a": {"S": "a"}})["Items"] == [dict(KEY, v={"N": "2"})]
    out = ddb.scan(TableName=ARN, ReturnConsumedCapacity="TOTAL")
    assert out["Count"] == 1 and out["ConsumedCapacity"]["TableName"] == ARN
    assert ddb.delete_item(TableName=ARN, Key=KEY, ReturnValues="ALL_OLD")["Attributes"]["v"] == {"N": "2"}
    assert ddb.scan(TableName=NAME)["Count"] == 0


def test_batches_take_a_table_arn_and_answer_under_it(ddb, table):
    out = ddb.batch_write_item(RequestItems={ARN: [{"PutRequest": {"Item": ITEM}}]},
                               ReturnConsumedCapacity="TOTAL")
    assert out["UnprocessedItems"] == {}
    assert out["ConsumedCapacity"] == [{"TableName": ARN, "CapacityUnits": 1.0}]
    out = ddb.batch_get_item(RequestItems={ARN: {"Keys": [KEY]}}, ReturnConsumedCapacity="TOTAL")
    assert out["Responses"] == {ARN: [ITEM]}
    assert out["ConsumedCapacity"] == [{"TableName": ARN, "CapacityUnits": 0.5}]
    ddb.batch_write_item(RequestItems={ARN: [{"DeleteRequest": {"Key": KEY}}]})
    assert ddb.scan(TableName=NAME)["Count"] == 0


def test_transactions_take_a_table_arn(ddb, table):
    ddb.transact_write_items(TransactItems=[{"Put": {"TableName": ARN, "Item": ITEM}}])
    out = ddb.transact_get_items(TransactItems=[{"Get": {"TableName": ARN, "Key": KEY}}])
    assert out["Responses"] == [{"Item": ITEM}]
    ddb.transact_write_items(TransactItems=[
        {"ConditionCheck": {"TableName": NAME, "Key": KEY, "ConditionExpression": "attribute_exists(pk)"}},
        {"Update": {"TableName": ARN, "Key": {"pk": {"S": "b"}}, "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": {"N": "3"}}}}])
    assert ddb.get_item(TableName=NAME, Key={"pk": {"S": "b"}})["Item"]["v"] == {"N": "3"}


@pytest.mark.parametrize("arn, expected", [
    ("arn:aws:dynamodb:eu-west-1:000000000000:table/" + NAME,
     ("ValidationException", "1 validation error detected: Invalid AWS region in "
      "'arn:aws:dynamodb:eu-west-1:000000000000:table/%s'" % NAME)),
    ("arn:aws:dynamodb:us-east-1:111111111111:table/" + NAME, ("AccessDeniedException", "Access is denied")),
    ("arn:aws:dynamodb:us-east-1:000000000000:table/nope_tbl",
     ("ResourceNotFoundException", "Requested resource not found")),
    ("arn:aws:dynamodb:us-east-1:000000000000:table/%s/index/x" % NAME,
     ("ValidationException", "1 validation error detected: Invalid resource type in "
      "'arn:aws:dynamodb:us-east-1:000000000000:table/%s/index/x'" % NAME)),
])
def test_arns_of_other_places_are_refused_and_change_nothing(ddb, table, arn, expected):
    assert error(ddb.put_item, TableName=arn, Item=ITEM) == expected
    assert error(ddb.get_item, TableName=arn, Key=KEY) == expected
    assert error(ddb.scan, TableName=arn) == expected
    assert error(ddb.batch_write_item, RequestItems={arn: [{"PutRequest": {"Item": ITEM}}]}) == expected
    assert error(ddb.transact_write_items, TransactItems=[{"Put": {"TableName": arn, "Item": ITEM}}]) == expected
    assert ddb.scan(TableName=NAME)["Count"] == 0


def test_one_item_written_through_the_name_and_the_arn_in_one_batch_is_a_duplicate(ddb, table):
    """Both entries name one table: the keys are duplicates (DynamoDB's "Provided list of item keys contains
    duplicates"); writing both would leave the index upkeep of one of them based on a stale old item."""
    with pytest.raises(ClientError) as info:
        ddb.batch_write_item(RequestItems={NAME: [{"PutRequest": {"Item": ITEM}}],
                                           ARN: [{"PutRequest": {"Item": dict(KEY, v={"N": "2"})}}]})
    assert info.value.response["Error"] == {"Code": "ValidationException", "Message":
                                            "Provided list of item keys contains duplicates"}
    assert ddb.scan(TableName=NAME)["Count"] == 0
