"""pyddb.resource.Table: boto3's resource Table over Python values.

The reference is boto3 itself: where boto3 is installed, the requests Table sends are compared with what
boto3's own TransformationInjector builds from the same Python request (placeholders #n0/:v0 included), and
the values Table returns with what boto3's TypeDeserializer returns for the same response.
"""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyddb.client_errors import ClientError
from pyddb.resource import BatchWriter, Table, from_wire, to_wire
from pyddb.types.attrvalue import Binary

boto3 = pytest.importorskip("boto3")
from boto3.dynamodb.conditions import Attr, Key  # noqa: E402

TABLE = "res"
RANGE = "res_range"


@pytest.fixture
def table(ddb):
    ddb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return Table(ddb, TABLE)


@pytest.fixture
def range_table(ddb):
    ddb.create_table(
        TableName=RANGE,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return Table(ddb, RANGE)


def body(response):
    assert "ResponseMetadata" in response
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


PY_ITEM = {
    "pk": "a",
    "s": "text",
    "empty": "",
    "i": 42,
    "neg": -7,
    "d": Decimal("3.14159"),
    "big": Decimal("12345678901234567890123456789012345678"),
    "b": b"\x00\xff",
    "ba": bytearray(b"ba"),
    "bin": Binary(b"bin"),
    "t": True,
    "f": False,
    "none": None,
    "m": {"nested": {"list": [1, "two", None, {"x": Decimal("0.5")}]}, "em": {}},
    "l": [1, [2, [3]], {"k": "v"}],
    "el": [],
    "ss": {"x", "y"},
    "ns": {1, Decimal("2.5")},
    "bs": {b"a", Binary(b"b")},
}

READ_BACK = {
    "pk": "a",
    "s": "text",
    "empty": "",
    "i": Decimal("42"),
    "neg": Decimal("-7"),
    "d": Decimal("3.14159"),
    "big": Decimal("12345678901234567890123456789012345678"),
    "b": Binary(b"\x00\xff"),
    "ba": Binary(b"ba"),
    "bin": Binary(b"bin"),
    "t": True,
    "f": False,
    "none": None,
    "m": {"nested": {"list": [Decimal(1), "two", None, {"x": Decimal("0.5")}]}, "em": {}},
    "l": [Decimal(1), [Decimal(2), [Decimal(3)]], {"k": "v"}],
    "el": [],
    "ss": {"x", "y"},
    "ns": {Decimal(1), Decimal("2.5")},
    "bs": {Binary(b"a"), Binary(b"b")},
}


# =========================================================================================================
# Items with Python values
# =========================================================================================================


class TestItems:
    def test_client_table_returns_a_resource_table(self, ddb, table):
        assert table.name == TABLE and table.table_name == TABLE
        assert table.meta.client is ddb
        assert repr(table) == "dynamodb.Table(name='res')"
        if hasattr(ddb, "Table"):  # the in-process client; a boto3 client has no Table()
            assert isinstance(ddb.Table(TABLE), Table) and ddb.Table(TABLE) == table

    def test_every_python_type_round_trips(self, table):
        assert body(table.put_item(Item=PY_ITEM)) == {}
        got = table.get_item(Key={"pk": "a"})["Item"]
        assert got == READ_BACK
        assert isinstance(got["b"], Binary) and isinstance(got["i"], Decimal) and isinstance(got["ss"], set)

    def test_missing_item(self, table):
        assert body(table.get_item(Key={"pk": "nope"})) == {}

    def test_floats_are_refused_as_boto3_refuses_them(self, table):
        with pytest.raises(TypeError, match="Float types are not supported. Use Decimal types instead."):
            table.put_item(Item={"pk": "a", "f": 1.5})

    def test_return_values_and_projection(self, table):
        table.put_item(Item={"pk": "a", "n": 1, "m": {"x": 1, "y": 2}})
        out = table.put_item(Item={"pk": "a", "n": 2, "m": {"x": 1, "y": 2}}, ReturnValues="ALL_OLD")
        assert out["Attributes"] == {"pk": "a", "n": Decimal(1), "m": {"x": Decimal(1), "y": Decimal(2)}}
        out = table.get_item(
            Key={"pk": "a"},
            ProjectionExpression="m.y, #n",
            ExpressionAttributeNames={"#n": "n"},
            ConsistentRead=True,
            ReturnConsumedCapacity="TOTAL",
        )
        assert out["Item"] == {"m": {"y": Decimal(2)}, "n": Decimal(2)}
        assert out["ConsumedCapacity"] == {"TableName": TABLE, "CapacityUnits": 1.0}

    def test_update_with_python_values_and_string_expressions(self, table):
        table.put_item(Item={"pk": "a", "n": 1, "tags": {"x"}})
        out = table.update_item(
            Key={"pk": "a"},
            UpdateExpression="SET n = n + :inc, l = :l ADD tags :t",
            ExpressionAttributeValues={":inc": 2, ":l": [b"x", None], ":t": {"y"}},
            ReturnValues="UPDATED_NEW",
        )
        assert out["Attributes"] == {"n": Decimal(3), "l": [Binary(b"x"), None], "tags": {"x", "y"}}

    def test_condition_objects(self, table):
        table.put_item(Item={"pk": "a", "n": 1, "s": "hello"})
        table.update_item(
            Key={"pk": "a"},
            UpdateExpression="SET n = :inc",
            ConditionExpression=Attr("n").eq(1) & Attr("s").begins_with("he") & Attr("z").not_exists(),
            ExpressionAttributeValues={":inc": 5},
        )
        assert table.get_item(Key={"pk": "a"})["Item"]["n"] == Decimal(5)
        table.put_item(
            Item={"pk": "a", "n": 6}, ConditionExpression=Attr("n").between(4, 5) | Attr("n").lt(0)
        )
        with pytest.raises(ClientError) as info:
            table.delete_item(
                Key={"pk": "a"},
                ConditionExpression=Attr("n").ne(6),
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        assert info.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
        # errors are not transformed: the old item stays in DynamoDB JSON, as with boto3's resource
        assert info.value.response["Item"] == {"pk": {"S": "a"}, "n": {"N": "6"}}
        table.delete_item(Key={"pk": "a"}, ConditionExpression=Attr("n").eq(6))
        assert "Item" not in table.get_item(Key={"pk": "a"})

    def test_condition_errors_are_dynamodbs(self, table):
        with pytest.raises(ClientError) as info:
            table.put_item(
                Item={"pk": "a"},
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":unused": 1},
            )
        assert info.value.response["Error"]["Message"] == (
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:unused}"
        )

    def test_legacy_parameters_take_python_values(self, table):
        table.put_item(Item={"pk": "a", "n": 1, "s": "x"})
        table.put_item(
            Item={"pk": "a", "n": 2, "s": "x"},
            Expected={"n": {"Value": 1}, "s": {"ComparisonOperator": "IN", "AttributeValueList": ["x", "y"]}},
        )
        table.update_item(
            Key={"pk": "a"},
            AttributeUpdates={"n": {"Action": "ADD", "Value": 10}, "ss": {"Action": "PUT", "Value": {"a"}}},
        )
        assert table.get_item(Key={"pk": "a"}, AttributesToGet=["n", "ss"])["Item"] == {
            "n": Decimal(12),
            "ss": {"a"},
        }


class TestQueryAndScan:
    @pytest.fixture
    def rows(self, range_table):
        for pk in ("a", "b"):
            for sk in range(1, 8):
                range_table.put_item(Item={"pk": pk, "sk": sk, "odd": sk % 2 == 1, "tag": "t%d" % sk})
        return range_table

    def test_query_with_key_and_attr_conditions(self, rows):
        out = rows.query(
            KeyConditionExpression=Key("pk").eq("a") & Key("sk").between(2, 6),
            FilterExpression=Attr("odd").eq(True),
            ScanIndexForward=False,
        )
        assert [i["sk"] for i in out["Items"]] == [Decimal(5), Decimal(3)]
        assert out["Count"] == 2 and out["ScannedCount"] == 5
        assert out["Items"][0] == {"pk": "a", "sk": Decimal(5), "odd": True, "tag": "t5"}

    def test_query_pages_with_python_start_keys(self, rows):
        seen, start = [], None
        while True:
            kwargs = {"ExclusiveStartKey": start} if start else {}
            out = rows.query(KeyConditionExpression=Key("pk").eq("b"), Limit=3, **kwargs)
            seen += [i["sk"] for i in out["Items"]]
            start = out.get("LastEvaluatedKey")
            if not start:
                break
            assert start == {"pk": "b", "sk": out["Items"][-1]["sk"]}
        assert seen == [Decimal(n) for n in range(1, 8)]

    def test_query_with_strings_and_legacy_key_conditions(self, rows):
        out = rows.query(
            KeyConditionExpression="pk = :p AND sk >= :s", ExpressionAttributeValues={":p": "a", ":s": 6}
        )
        assert [i["sk"] for i in out["Items"]] == [Decimal(6), Decimal(7)]
        out = rows.query(
            KeyConditions={
                "pk": {"ComparisonOperator": "EQ", "AttributeValueList": ["a"]},
                "sk": {"ComparisonOperator": "LT", "AttributeValueList": [3]},
            },
            QueryFilter={"tag": {"ComparisonOperator": "EQ", "AttributeValueList": ["t2"]}},
        )
        assert [i["sk"] for i in out["Items"]] == [Decimal(2)]

    def test_scan(self, rows):
        out = rows.scan(FilterExpression=Attr("tag").begins_with("t7") | Attr("sk").eq(1))
        assert sorted((i["pk"], i["sk"]) for i in out["Items"]) == [("a", 1), ("a", 7), ("b", 1), ("b", 7)]
        out = rows.scan(
            ScanFilter={"sk": {"ComparisonOperator": "GT", "AttributeValueList": [6]}}, Select="COUNT"
        )
        assert out["Count"] == 2 and "Items" not in out


# =========================================================================================================
# Requests and responses equal boto3's own transformations
# =========================================================================================================


def _boto3_wire(operation, params):
    import botocore.session
    from boto3.dynamodb.transform import TransformationInjector, copy_dynamodb_params

    model = botocore.session.get_session().get_service_model("dynamodb").operation_model(operation)
    params = copy_dynamodb_params(params)
    injector = TransformationInjector()
    injector.inject_condition_expressions(params, model)
    injector.inject_attribute_value_input(params, model)
    return params


def _boto3_parsed(operation, response):
    import copy

    import botocore.session
    from boto3.dynamodb.transform import TransformationInjector

    model = botocore.session.get_session().get_service_model("dynamodb").operation_model(operation)
    response = copy.deepcopy(response)
    TransformationInjector().inject_attribute_value_output(response, model)
    return response


REQUESTS = [
    (
        "PutItem",
        {
            "TableName": "t",
            "Item": PY_ITEM,
            "ConditionExpression": Attr("a").eq(1) & Attr("b").exists(),
            "ExpressionAttributeValues": {":mine": 5},
            "ExpressionAttributeNames": {"#mine": "x"},
        },
    ),
    (
        "UpdateItem",
        {
            "TableName": "t",
            "Key": {"pk": "a"},
            "UpdateExpression": "SET a = :v",
            "ConditionExpression": Attr("m.x[1]").contains({"q"}) | ~Attr("z").is_in([1, "2", b"3"]),
            "ExpressionAttributeValues": {":v": {"deep": [None, True]}},
            "AttributeUpdates": None,
        },
    ),
    (
        "UpdateItem",
        {
            "TableName": "t",
            "Key": {"pk": "a"},
            "AttributeUpdates": {"a": {"Action": "ADD", "Value": {1, 2}}, "b": {"Action": "DELETE"}},
            "Expected": {
                "a": {"Value": b"x"},
                "b": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [1, 9]},
            },
        },
    ),
    (
        "Query",
        {
            "TableName": "t",
            "FilterExpression": Attr("f").size().gt(2) & Attr("g").attribute_type("S"),
            "KeyConditionExpression": Key("pk").eq("a") & Key("sk").begins_with("x"),
            "ExclusiveStartKey": {"pk": "a", "sk": "x1"},
        },
    ),
    (
        "Query",
        {
            "TableName": "t",
            "KeyConditionExpression": Key("pk").eq(Decimal("1.5")),
            "QueryFilter": {"a": {"ComparisonOperator": "CONTAINS", "AttributeValueList": ["q"]}},
        },
    ),
    (
        "Scan",
        {
            "TableName": "t",
            "FilterExpression": Attr("a").ne(None) & Attr("b").lte(3),
            "ExpressionAttributeValues": {":v0": "mine, overwritten by boto3's own :v0"},
        },
    ),
    ("DeleteItem", {"TableName": "t", "Key": {"pk": "a"}, "ConditionExpression": "attribute_exists(pk)"}),
]


def _normal(value):
    """boto3 sends a bytearray as it is (botocore base64-encodes either) where pyddb sends bytes, and a set's
    members in the order of its (deep-copied) set object: compare sets as sorted lists."""
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, dict):
        return {k: sorted(_normal(v)) if k in ("SS", "NS", "BS") else _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    return value


@pytest.mark.parametrize("operation, params", REQUESTS)
def test_requests_are_what_boto3_sends(operation, params):
    params = {k: v for k, v in params.items() if v is not None}
    assert _normal(to_wire(params)) == _normal(_boto3_wire(operation, params))


RESPONSES = [
    (
        "GetItem",
        {
            "Item": {
                "a": {"N": "1.5"},
                "b": {"B": b"x"},
                "s": {"SS": ["p"]},
                "m": {
                    "M": {"l": {"L": [{"NULL": True}, {"BOOL": False}, {"NS": ["1", "2"]}, {"BS": [b"q"]}]}}
                },
            }
        },
    ),
    (
        "PutItem",
        {"Attributes": {"a": {"S": "x"}}, "ConsumedCapacity": {"TableName": "t", "CapacityUnits": 1.0}},
    ),
    (
        "UpdateItem",
        {
            "Attributes": {"n": {"N": "-0.001"}},
            "ItemCollectionMetrics": {
                "ItemCollectionKey": {"pk": {"S": "a"}},
                "SizeEstimateRangeGB": [0.0, 1.0],
            },
        },
    ),
    (
        "Query",
        {
            "Items": [{"a": {"N": "1"}}, {"a": {"N": "2"}}],
            "Count": 2,
            "ScannedCount": 2,
            "LastEvaluatedKey": {"pk": {"S": "a"}, "sk": {"N": "2"}},
        },
    ),
    ("Scan", {"Items": [], "Count": 0, "ScannedCount": 0}),
    (
        "BatchWriteItem",
        {
            "UnprocessedItems": {
                "t": [
                    {"PutRequest": {"Item": {"a": {"N": "1"}}}},
                    {"DeleteRequest": {"Key": {"pk": {"S": "k"}}}},
                ]
            }
        },
    ),
]


@pytest.mark.parametrize("operation, response", RESPONSES)
def test_responses_are_what_boto3_returns(operation, response):
    assert from_wire(response) == _boto3_parsed(operation, response)


def test_to_wire_leaves_the_callers_request_alone():
    params = {
        "TableName": "t",
        "Item": {"pk": "a", "l": [1]},
        "ConditionExpression": Attr("a").eq(1),
        "ExpressionAttributeValues": {":x": 1},
    }
    snapshot = repr(params)
    to_wire(params)
    assert repr(params) == snapshot


# =========================================================================================================
# batch_writer
# =========================================================================================================


class RecordingClient:
    """Delegates to a client and records the BatchWriteItem requests; can answer some as unprocessed."""

    def __init__(self, client, unprocessed_first=0):
        self._client = client
        self.batches = []
        self._unprocessed_first = unprocessed_first

    def batch_write_item(self, **request):
        self.batches.append(request)
        if self._unprocessed_first:
            ((table, requests),) = request["RequestItems"].items()
            held, sent = requests[: self._unprocessed_first], requests[self._unprocessed_first :]
            self._unprocessed_first = 0
            self._client.batch_write_item(RequestItems={table: sent})
            return {"UnprocessedItems": {table: held}}
        return self._client.batch_write_item(**request)

    def __getattr__(self, name):
        return getattr(self._client, name)


class TestBatchWriter:
    def test_flushes_25_at_a_time_and_the_rest_on_exit(self, ddb, table):
        client = RecordingClient(ddb)
        with Table(client, TABLE).batch_writer() as batch:
            for i in range(60):
                batch.put_item(Item={"pk": "k%02d" % i, "n": i, "b": b"x"})
            assert [len(b["RequestItems"][TABLE]) for b in client.batches] == [25, 25]
        assert [len(b["RequestItems"][TABLE]) for b in client.batches] == [25, 25, 10]
        assert client.batches[0]["RequestItems"][TABLE][0] == {
            "PutRequest": {"Item": {"pk": {"S": "k00"}, "n": {"N": "0"}, "b": {"B": b"x"}}}
        }
        items = table.scan(ConsistentRead=True)["Items"]
        assert sorted(i["n"] for i in items) == [Decimal(i) for i in range(60)]

    def test_deletes_and_puts(self, table):
        for i in range(3):
            table.put_item(Item={"pk": "d%d" % i})
        with table.batch_writer() as batch:
            batch.delete_item(Key={"pk": "d0"})
            batch.delete_item(Key={"pk": "d1"})
            batch.put_item(Item={"pk": "new", "v": {1, 2}})
        assert sorted(i["pk"] for i in table.scan()["Items"]) == ["d2", "new"]

    def test_duplicate_keys_without_overwrite_by_pkeys_fail_as_in_dynamodb(self, table):
        with pytest.raises(ClientError) as info:
            with table.batch_writer() as batch:
                batch.put_item(Item={"pk": "a", "v": 1})
                batch.put_item(Item={"pk": "a", "v": 2})
        assert info.value.response["Error"]["Message"] == "Provided list of item keys contains duplicates"

    def test_overwrite_by_pkeys_keeps_the_last_request(self, ddb, range_table):
        client = RecordingClient(ddb)
        with Table(client, RANGE).batch_writer(overwrite_by_pkeys=["pk", "sk"]) as batch:
            batch.put_item(Item={"pk": "a", "sk": 1, "v": "first"})
            batch.put_item(Item={"pk": "a", "sk": 2, "v": "other"})
            batch.put_item(Item={"pk": "a", "sk": 1, "v": "second"})
            batch.delete_item(Key={"pk": "a", "sk": 2})
        sent = client.batches[0]["RequestItems"][RANGE]
        assert sent == [
            {"PutRequest": {"Item": {"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"S": "second"}}}},
            {"DeleteRequest": {"Key": {"pk": {"S": "a"}, "sk": {"N": "2"}}}},
        ]
        assert range_table.scan()["Items"] == [{"pk": "a", "sk": Decimal(1), "v": "second"}]

    def test_unprocessed_items_are_sent_again(self, ddb, table):
        client = RecordingClient(ddb, unprocessed_first=2)
        with BatchWriter(TABLE, client) as batch:
            for i in range(5):
                batch.put_item(Item={"pk": "u%d" % i, "s": {"x"}})
        assert [len(b["RequestItems"][TABLE]) for b in client.batches] == [5, 2]
        assert client.batches[1]["RequestItems"][TABLE][0] == {
            "PutRequest": {"Item": {"pk": {"S": "u0"}, "s": {"SS": ["x"]}}}
        }
        assert len(table.scan()["Items"]) == 5

    def test_buffer_is_flushed_when_the_block_raises(self, table):
        with pytest.raises(RuntimeError):
            with table.batch_writer() as batch:
                batch.put_item(Item={"pk": "kept"})
                raise RuntimeError("boom")
        assert table.get_item(Key={"pk": "kept"})["Item"] == {"pk": "kept"}


# =========================================================================================================
# The table itself
# =========================================================================================================


class TestTableAttributes:
    def test_attributes_come_from_describe_table_and_are_kept_until_reload(self, table):
        assert table.meta.data is None
        assert table.table_status == "ACTIVE"
        assert table.key_schema == [{"AttributeName": "pk", "KeyType": "HASH"}]
        assert table.attribute_definitions == [{"AttributeName": "pk", "AttributeType": "S"}]
        assert table.item_count == 0
        assert table.billing_mode_summary["BillingMode"] == "PAY_PER_REQUEST"
        assert table.table_arn.endswith(":table/" + TABLE)
        assert table.global_secondary_indexes is None  # a member the description does not have
        table.put_item(Item={"pk": "a"})
        assert table.item_count == 0  # loaded data, as boto3 keeps it
        table.reload()
        assert table.item_count == 1

    def test_unknown_attribute(self, table):
        with pytest.raises(AttributeError):
            table.no_such_attribute

    def test_missing_table(self, ddb):
        table = Table(ddb, "no_such_table")
        with pytest.raises(ddb.exceptions.ResourceNotFoundException):
            table.table_status
        with pytest.raises(ddb.exceptions.ResourceNotFoundException):
            table.put_item(Item={"pk": "a"})

    def test_waiters_update_and_delete(self, ddb, table):
        table.wait_until_exists()
        updated = table.update(
            BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 3}
        )
        assert updated.name == TABLE and updated.meta.data["TableName"] == TABLE
        table.reload()
        assert table.billing_mode_summary["BillingMode"] == "PROVISIONED"
        assert table.provisioned_throughput["ReadCapacityUnits"] == 2
        assert body(table.delete())["TableDescription"]["TableName"] == TABLE
        table.wait_until_not_exists()
        with pytest.raises(ddb.exceptions.ResourceNotFoundException):
            table.reload()


# =========================================================================================================
# Any Python value round-trips as boto3 reads it back
# =========================================================================================================

_numbers = st.one_of(
    st.integers(min_value=-(10**38) + 1, max_value=10**38 - 1),
    st.decimals(allow_nan=False, allow_infinity=False, places=None).filter(
        lambda d: (
            d == 0
            or (-128 <= d.adjusted() <= 125 and len("".join(map(str, d.as_tuple().digits)).strip("0")) <= 38)
        )
    ),
)
_scalars = st.one_of(st.text(max_size=8), _numbers, st.binary(max_size=8), st.booleans(), st.none())
_sets = st.one_of(
    st.frozensets(st.text(max_size=4), min_size=1, max_size=4).map(set),
    st.frozensets(st.integers(-1000, 1000), min_size=1, max_size=4).map(set),
    st.frozensets(st.binary(min_size=0, max_size=3), min_size=1, max_size=4).map(set),
)
_values = st.recursive(
    st.one_of(_scalars, _sets),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(min_size=1, max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)


def _as_read(value):
    """What boto3's TypeDeserializer gives back for a Python value that was written."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, (bytes, bytearray)):
        return Binary(bytes(value))
    if isinstance(value, set):
        return {_as_read(v) for v in value}
    if isinstance(value, list):
        return [_as_read(v) for v in value]
    return {k: _as_read(v) for k, v in value.items()}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    attributes=st.dictionaries(
        st.text(min_size=1, max_size=6).filter(lambda n: n != "pk"), _values, max_size=4
    )
)
def test_python_values_round_trip(table, attributes):
    item = dict(attributes, pk="p")
    table.put_item(Item=item)
    assert table.get_item(Key={"pk": "p"}, ConsistentRead=True)["Item"] == _as_read(item)
