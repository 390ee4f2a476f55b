"""BatchGetItem and BatchWriteItem in DynamoDB's terms: request dicts in, response dicts or errors out.

Expected texts and numbers are DynamoDB's: dynalite test/batchGetItem.js and test/batchWriteItem.js (recorded
against the service), paritysuite/nubo-db dynamodb-conformance tier3 batch*.test.ts (captured in four
regions), DynamoDB Local's ErrorFactory; src/pyddb/api/batch.py cites each at its check.
"""

import pytest

from pyddb.model import batch as model_batch
from pyddb.types import codec, size

HASH = "hashtbl"
RANGE = "rangetbl"
HASHN = "hashntbl"


VALIDATION = "ValidationException"
NOT_FOUND = ("ResourceNotFoundException", "Requested resource not found")
MISMATCH = "The provided key element does not match the schema"
DUPLICATES = "Provided list of item keys contains duplicates"
HASH_KEY_TOO_LARGE = (
    "One or more parameter values were invalid: Size of hashkey has exceeded the maximum "
    "size limit of2048 bytes"
)
RANGE_KEY_TOO_LARGE = (
    "One or more parameter values were invalid: Aggregated size of all range keys has "
    "exceeded the size limit of 1024 bytes"
)
EMPTY_KEY_A = (
    "One or more parameter values are not valid. The AttributeValue for a key attribute cannot "
    "contain an empty string value. Key: a"
)


def error(call, **request):
    """Run a client call that must fail; returns (Code, Message, response)."""
    with pytest.raises(Exception) as info:
        call(**request)
    response = info.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response


def rejects(call, code, message, **request):
    """Assert that the call fails with exactly this error code and message."""
    got = error(call, **request)[:2]
    assert got == (code, message), got


def create_tables(ddb):
    ddb.create_table(
        TableName=HASH,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
    )
    ddb.create_table(
        TableName=HASHN,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "a", "AttributeType": "N"}],
        KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}],
    )
    ddb.create_table(
        TableName=RANGE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "a", "AttributeType": "S"},
            {"AttributeName": "b", "AttributeType": "S"},
            {"AttributeName": "c", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "a", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"}],
        LocalSecondaryIndexes=[
            {
                "IndexName": "index1",
                "KeySchema": [
                    {"AttributeName": "a", "KeyType": "HASH"},
                    {"AttributeName": "c", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "gsi1",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )


@pytest.fixture
def db(ddb):
    create_tables(ddb)
    return ddb


def put(ddb, table, item):
    ddb.put_item(TableName=table, Item=item)


def get(ddb, table, key):
    return ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


# ---- BatchGetItem: results ------------------------------------------------------------------------------


def test_batch_get_returns_existing_items_and_an_entry_for_every_table(db):
    item = {"a": {"S": "x1"}, "v": {"N": "1"}}
    item3 = {"a": {"S": "x3"}, "v": {"N": "3"}}
    for it in (item, {"a": {"S": "x2"}}, item3):
        put(db, HASH, it)
    out = db.batch_get_item(
        RequestItems={
            HASH: {
                "Keys": [{"a": {"S": "x1"}}, {"a": {"S": "nope"}}, {"a": {"S": "x3"}}],
                "ConsistentRead": True,
            },
            RANGE: {"Keys": [{"a": {"S": "q"}, "b": {"S": "r"}}]},
        }
    )
    assert sorted(out["Responses"][HASH], key=lambda i: i["a"]["S"]) == [item, item3]
    assert out["Responses"][RANGE] == []
    assert out["UnprocessedKeys"] == {}
    assert "ConsumedCapacity" not in out


def test_batch_get_projects_each_item(db):
    put(db, HASH, {"a": {"S": "p1"}, "b": {"N": "1"}, "c": {"S": "c"}})
    put(db, HASH, {"a": {"S": "p2"}, "b": {"N": "2"}})
    put(db, HASH, {"a": {"S": "p3"}})
    for projection in (
        {"AttributesToGet": ["b", "c"]},
        {"ProjectionExpression": "b, c"},
        {"ProjectionExpression": "#b, #c", "ExpressionAttributeNames": {"#b": "b", "#c": "c"}},
    ):
        keys = [{"a": {"S": "p1"}}, {"a": {"S": "none"}}, {"a": {"S": "p2"}}, {"a": {"S": "p3"}}]
        got = db.batch_get_item(RequestItems={HASH: dict(projection, Keys=keys)})["Responses"][HASH]
        assert len(got) == 3
        for expected in ({"b": {"N": "1"}, "c": {"S": "c"}}, {"b": {"N": "2"}}, {}):
            assert expected in got


def _capacity_items(db, filler):
    """dynalite's capacity fixture: an item of about 4 KB (filler 4082: one 4 KB unit, 4084: two)."""
    a = "capa"
    item = {
        "a": {"S": a},
        "b": {"S": "b" * (filler - 1 - len(a))},
        "c": {"N": "12.3456"},
        "d": {"B": b"\x01\x02"},
        "e": {"BS": [b"\x01\x02", b"\x02", b"\x01"][: 3 if filler == 4082 else 2]},
    }
    db.batch_write_item(
        RequestItems={HASH: [{"PutRequest": {"Item": item}}, {"PutRequest": {"Item": {"a": {"S": "small"}}}}]}
    )
    return [{"a": {"S": a}}, {"a": {"S": "small"}}, {"a": {"S": "missing"}}]


def test_batch_get_consumed_capacity_is_a_list_with_one_entry_per_table(db):
    """dynalite test/batchGetItem.js: each key is charged on its own, a missing item as 4 KB."""
    for filler, consistent, units in (
        (4082, False, 1.5),
        (4084, False, 2.0),
        (4082, True, 3.0),
        (4084, True, 4.0),
    ):
        keys = _capacity_items(db, filler)
        request = {
            HASH: {"Keys": keys, "ConsistentRead": consistent},
            HASHN: {"Keys": [{"a": {"N": "7"}}], "ConsistentRead": consistent},
        }
        out = db.batch_get_item(RequestItems=request, ReturnConsumedCapacity="TOTAL")
        missing = 1.0 if consistent else 0.5
        assert out["ConsumedCapacity"] == [
            {"TableName": HASH, "CapacityUnits": units},
            {"TableName": HASHN, "CapacityUnits": missing},
        ]
        assert len(out["Responses"][HASH]) == 2 and out["Responses"][HASHN] == []
        out = db.batch_get_item(RequestItems=request, ReturnConsumedCapacity="INDEXES")
        assert out["ConsumedCapacity"] == [
            {"TableName": HASH, "CapacityUnits": units, "Table": {"CapacityUnits": units}},
            {"TableName": HASHN, "CapacityUnits": missing, "Table": {"CapacityUnits": missing}},
        ]


def test_batch_get_response_is_capped_at_16_mb_and_the_rest_is_unprocessed(db):
    big = "x" * (400 * 1024 - 100)
    keys = [{"a": {"S": f"big{i:02d}"}} for i in range(45)]  # 45 x ~400 KB = ~17.6 MB
    for start in range(0, 45, 15):
        db.batch_write_item(
            RequestItems={
                HASH: [{"PutRequest": {"Item": dict(k, v={"S": big})}} for k in keys[start : start + 15]]
            }
        )
    request = {HASH: {"Keys": keys, "ConsistentRead": True, "ProjectionExpression": "a"}}
    out = db.batch_get_item(RequestItems=request, ReturnConsumedCapacity="TOTAL")
    # without capacity, items are sized only near the limit (model/batch.py read_batch): the same split
    assert db.batch_get_item(RequestItems=request)["UnprocessedKeys"] == out["UnprocessedKeys"]
    got = [i["a"]["S"] for i in out["Responses"][HASH]]
    left = out["UnprocessedKeys"][HASH]
    assert 0 < len(left["Keys"]) < 45 and len(got) + len(left["Keys"]) == 45
    assert len(got) * (400 * 1024) <= 16 * 1024 * 1024 + 400 * 1024
    assert left["ConsistentRead"] is True and left["ProjectionExpression"] == "a"
    assert out["ConsumedCapacity"] == [{"TableName": HASH, "CapacityUnits": float(len(got) * 100)}]
    again = db.batch_get_item(RequestItems=out["UnprocessedKeys"])
    assert again["UnprocessedKeys"] == {}
    got += [i["a"]["S"] for i in again["Responses"][HASH]]
    assert sorted(got) == [k["a"]["S"] for k in keys]


def test_read_batch_limit_leaves_the_first_key_over_the_limit_and_all_after_it():
    class Engine:
        def get(self, ks, pk, sk):
            return codec.encode(
                {"a": {"S": pk.decode()}, "v": {"S": "x" * 10}}
            )  # 13 bytes by DynamoDB's rules

    class Model:
        engine = Engine()

    class T:
        keyspace = "k"

    keys = [{"a": {"S": c}} for c in "abcd"]
    for want_sizes in (False, True):
        res = model_batch.read_batch(
            Model(),
            [
                model_batch.TableRead(T(), keys[:2], [(b"a", b""), (b"b", b"")]),
                model_batch.TableRead(T(), keys[2:], [(b"c", b""), (b"d", b"")]),
            ],
            limit=2 * 13 + 12,
            want_sizes=want_sizes,
        )
        assert [len(r.items) for r in res] == [2, 0] and res[1].unprocessed == keys[2:]


def test_stored_length_bounds_the_item_size():
    """read_batch relies on it: stored bytes never number fewer than the size by DynamoDB's rules."""
    items = [
        {"a": {"S": ""}},
        {"a": {"N": "0"}, "b": {"N": "-1E-130"}, "c": {"N": "9" * 38}, "d": {"N": "12345678901234567890.5"}},
        {"é": {"S": "ü" * 50}, "b": {"B": b""}, "c": {"B": b"\x00" * 300}},
        {
            "t": {"BOOL": True},
            "n": {"NULL": True},
            "ss": {"SS": ["a", "bb"]},
            "ns": {"NS": ["1", "2.5"]},
            "bs": {"BS": [b"x", b"yy"]},
        },
        {"m": {"M": {}}, "l": {"L": []}, "deep": {"M": {"x": {"L": [{"M": {"y": {"N": "1"}}}, {"S": ""}]}}}},
    ]
    for item in items:
        assert len(codec.encode(item)) >= size.item_size(item), item


# ---- BatchGetItem: validation ---------------------------------------------------------------------------


def test_batch_get_duplicate_keys_are_rejected_before_the_table_is_looked_up(db):
    key = {"a": {"S": "k"}, "b": {"N": "1"}}
    same = {"b": {"N": "1.0"}, "a": {"S": "k"}}  # member order and number spelling do not matter
    for table in ("nosuchtable", RANGE):
        rejects(db.batch_get_item, VALIDATION, DUPLICATES, RequestItems={table: {"Keys": [key, same]}})
    rejects(db.batch_get_item, VALIDATION, DUPLICATES, RequestItems={HASH: {"Keys": [{"a": {"S": "d"}}] * 2}})


def test_batch_get_more_than_100_keys_across_tables_is_rejected(db):
    keys = [{"a": {"S": str(i)}} for i in range(100)]
    rejects(
        db.batch_get_item,
        VALIDATION,
        "Too many items requested for the BatchGetItem call",
        RequestItems={HASH: {"Keys": keys}, "abd": {"Keys": [{"a": {"S": "100"}}]}},
    )
    rejects(db.batch_get_item, *NOT_FOUND, RequestItems={"abc": {"Keys": keys}})


def test_batch_get_key_not_matching_the_schema(db):
    for key in (
        {},
        {"b": {"S": "a"}},
        {"a": {"S": "a"}, "b": {"S": "a"}},
        {"a": {"B": b"ab"}},
        {"a": {"N": "1"}},
        {"a": {"BOOL": True}},
        {"a": {"NULL": True}},
        {"a": {"SS": ["a"]}},
        {"a": {"M": {}}},
        {"a": {"L": []}},
    ):
        rejects(db.batch_get_item, VALIDATION, MISMATCH, RequestItems={HASH: {"Keys": [key]}})
    rejects(db.batch_get_item, VALIDATION, MISMATCH, RequestItems={RANGE: {"Keys": [{"a": {"S": "a"}}]}})


def test_batch_get_key_value_limits(db):
    rejects(
        db.batch_get_item,
        VALIDATION,
        HASH_KEY_TOO_LARGE,
        RequestItems={HASH: {"Keys": [{"a": {"S": "a" * 2049}}]}},
    )
    rejects(
        db.batch_get_item,
        VALIDATION,
        RANGE_KEY_TOO_LARGE,
        RequestItems={RANGE: {"Keys": [{"a": {"S": "a"}, "b": {"S": "b" * 1025}}]}},
    )
    rejects(db.batch_get_item, VALIDATION, EMPTY_KEY_A, RequestItems={HASH: {"Keys": [{"a": {"S": ""}}]}})


def test_batch_get_attributes_to_get_duplicates(db):
    rejects(
        db.batch_get_item,
        VALIDATION,
        "One or more parameter values were invalid: Duplicate value in attribute name: a",
        RequestItems={"abc": {"Keys": [{"a": {"S": "x"}}], "AttributesToGet": ["a", "a"]}},
    )


def test_batch_get_expression_and_legacy_parameters(db):
    mixed = (
        "Can not use both expression and non-expression parameters in the same request: "
        "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}"
    )
    rejects(
        db.batch_get_item,
        VALIDATION,
        mixed,
        RequestItems={
            HASH: {"Keys": [{"a": {"S": "x"}}], "AttributesToGet": ["a"], "ProjectionExpression": "a"}
        },
    )
    code, _, _ = error(
        db.batch_get_item,
        RequestItems={
            HASH: {"Keys": [{"a": {"S": "x"}}], "ProjectionExpression": "a"},
            RANGE: {"Keys": [{"a": {"S": "x"}, "b": {"S": "y"}}], "AttributesToGet": ["a"]},
        },
    )
    assert code == VALIDATION


def test_batch_get_projection_expression_errors(db):
    key = [{"a": {"S": "x"}}]
    rejects(
        db.batch_get_item,
        VALIDATION,
        "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite "
        "one of these paths; path one: [a], path two: [a]",
        RequestItems={HASH: {"Keys": key, "ProjectionExpression": "a, a"}},
    )
    rejects(
        db.batch_get_item,
        VALIDATION,
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#a}",
        RequestItems={
            HASH: {"Keys": key, "ExpressionAttributeNames": {"#a": "a"}, "ProjectionExpression": "a"}
        },
    )
    rejects(
        db.batch_get_item,
        VALIDATION,
        'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"',
        RequestItems={
            HASH: {"Keys": key, "ExpressionAttributeNames": {"a": "a"}, "ProjectionExpression": "a"}
        },
    )


# ---- BatchWriteItem: results ----------------------------------------------------------------------------


def test_batch_write_puts_and_deletes_across_tables(db):
    item = {"a": {"S": "w1"}, "c": {"S": "c"}}
    item2 = {"a": {"S": "w2"}, "b": {"S": "b2"}, "c": {"S": "c"}}
    out = db.batch_write_item(
        RequestItems={HASH: [{"PutRequest": {"Item": item}}], RANGE: [{"PutRequest": {"Item": item2}}]}
    )
    assert {k: v for k, v in out.items() if k != "ResponseMetadata"} == {"UnprocessedItems": {}}
    assert get(db, HASH, {"a": item["a"]}) == item
    assert get(db, RANGE, {"a": item2["a"], "b": item2["b"]}) == item2
    db.batch_write_item(
        RequestItems={
            HASH: [{"DeleteRequest": {"Key": {"a": item["a"]}}}],
            RANGE: [{"DeleteRequest": {"Key": {"a": item2["a"], "b": item2["b"]}}}],
        }
    )
    assert get(db, HASH, {"a": item["a"]}) is None
    assert get(db, RANGE, {"a": item2["a"], "b": item2["b"]}) is None


def test_batch_write_puts_and_deletes_together(db):
    item, item2 = {"a": {"S": "t1"}, "c": {"S": "c"}}, {"a": {"S": "t2"}, "c": {"S": "c"}}
    put(db, HASH, item)
    db.batch_write_item(
        RequestItems={HASH: [{"DeleteRequest": {"Key": {"a": item["a"]}}}, {"PutRequest": {"Item": item2}}]}
    )
    db.batch_write_item(
        RequestItems={HASH: [{"PutRequest": {"Item": item}}, {"DeleteRequest": {"Key": {"a": item2["a"]}}}]}
    )
    assert get(db, HASH, {"a": item["a"]}) == item and get(db, HASH, {"a": item2["a"]}) is None


@pytest.mark.parametrize("filler,units", [(1010, 2.0), (1012, 3.0)])
def test_batch_write_consumed_capacity_per_table(db, filler, units):
    """dynalite test/batchWriteItem.js: an item just under / just over 1 KB, a small one, another table."""
    a = "cap"
    item = {
        "a": {"S": a},
        "b": {"S": "b" * (filler - 1 - len(a))},
        "c": {"N": "12.3456"},
        "d": {"B": b"\x01\x02"},
        "e": {"BS": [b"\x01\x02", b"\x02", b"\x01"][: 3 if filler == 1010 else 2]},
    }
    request = {
        HASH: [{"PutRequest": {"Item": item}}, {"PutRequest": {"Item": {"a": {"S": "k2"}}}}],
        HASHN: [{"PutRequest": {"Item": {"a": {"N": "42"}}}}],
    }
    out = db.batch_write_item(RequestItems=request, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"] == [
        {"TableName": HASH, "CapacityUnits": units},
        {"TableName": HASHN, "CapacityUnits": 1.0},
    ]
    out = db.batch_write_item(RequestItems=request, ReturnConsumedCapacity="INDEXES")
    assert out["ConsumedCapacity"] == [
        {"TableName": HASH, "CapacityUnits": units, "Table": {"CapacityUnits": units}},
        {"TableName": HASHN, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}},
    ]
    deletes = {
        HASH: [{"DeleteRequest": {"Key": {"a": {"S": a}}}}, {"DeleteRequest": {"Key": {"a": {"S": "k2"}}}}],
        HASHN: [{"DeleteRequest": {"Key": {"a": {"N": "42"}}}}],
    }
    out = db.batch_write_item(RequestItems=deletes, ReturnConsumedCapacity="TOTAL")
    assert out["ConsumedCapacity"][0] == {"TableName": HASH, "CapacityUnits": units}
    out = db.batch_write_item(RequestItems=deletes, ReturnConsumedCapacity="TOTAL")  # nothing left: 1 each
    assert out["ConsumedCapacity"][0] == {"TableName": HASH, "CapacityUnits": 2.0}


def test_batch_write_item_collection_metrics_for_tables_with_local_indexes(db):
    out = db.batch_write_item(
        RequestItems={
            RANGE: [
                {"PutRequest": {"Item": {"a": {"S": "m"}, "b": {"S": "1"}, "c": {"S": "x"}}}},
                {"PutRequest": {"Item": {"a": {"S": "m"}, "b": {"S": "2"}}}},
                {"PutRequest": {"Item": {"a": {"S": "n"}, "b": {"S": "1"}}}},
            ],
            HASH: [{"PutRequest": {"Item": {"a": {"S": "m"}}}}],
        },
        ReturnItemCollectionMetrics="SIZE",
    )
    assert out["ItemCollectionMetrics"] == {
        RANGE: [
            {"ItemCollectionKey": {"a": {"S": "m"}}, "SizeEstimateRangeGB": [0.0, 1.0]},
            {"ItemCollectionKey": {"a": {"S": "n"}}, "SizeEstimateRangeGB": [0.0, 1.0]},
        ]
    }
    out = db.batch_write_item(
        RequestItems={HASH: [{"PutRequest": {"Item": {"a": {"S": "m"}}}}]}, ReturnItemCollectionMetrics="SIZE"
    )
    assert "ItemCollectionMetrics" not in out


def test_batch_write_keeps_secondary_indexes_in_step(db):
    model = db.model
    t = model.table(RANGE)
    gsi, lsi = t.index("gsi1"), t.index("index1")
    db.batch_write_item(
        RequestItems={
            RANGE: [
                {
                    "PutRequest": {
                        "Item": {"a": {"S": "i"}, "b": {"S": str(n)}, "c": {"S": f"c{n}"}, "g": {"S": "g"}}
                    }
                }
                for n in range(5)
            ]
        }
    )
    assert len(list(model.engine.scan(gsi.keyspace))) == 5 and len(list(model.engine.scan(lsi.keyspace))) == 5
    db.batch_write_item(
        RequestItems={
            RANGE: [{"DeleteRequest": {"Key": {"a": {"S": "i"}, "b": {"S": str(n)}}}} for n in range(3)]
        }
    )
    assert len(list(model.engine.scan(gsi.keyspace))) == 2 and len(list(model.engine.scan(lsi.keyspace))) == 2


# ---- BatchWriteItem: validation -------------------------------------------------------------------------


def test_batch_write_more_than_25_requests_across_tables(db):
    rejects(
        db.batch_write_item,
        VALIDATION,
        "Too many items requested for the BatchWriteItem call",
        RequestItems={
            HASH: [{"PutRequest": {"Item": {"a": {"S": str(i)}}}} for i in range(20)],
            HASHN: [{"PutRequest": {"Item": {"a": {"N": str(i)}}}} for i in range(6)],
        },
    )


def test_batch_write_more_than_25_requests_in_one_table_is_a_shape_error(db):
    code, message, _ = error(
        db.batch_write_item,
        RequestItems={HASH: [{"PutRequest": {"Item": {"a": {"S": str(i)}}}} for i in range(26)]},
    )
    assert code == VALIDATION
    assert message.startswith(f"1 validation error detected: Value '{{{HASH}=[")
    assert message.endswith(
        "at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: "
        "[Member must have length less than or equal to 25, "
        "Member must have length greater than or equal to 1]"
    )


def test_batch_write_request_must_hold_exactly_one_of_put_and_delete(db):
    for request in (
        {},
        {"PutRequest": {"Item": {"a": {"S": "x"}}}, "DeleteRequest": {"Key": {"a": {"S": "x"}}}},
    ):
        rejects(
            db.batch_write_item,
            VALIDATION,
            "Supplied AttributeValue has more than one datatypes set, must "
            "contain exactly one of the supported datatypes",
            RequestItems={"abc": [request]},
        )


def test_batch_write_duplicates_are_checked_after_the_table(db):
    item = {"a": {"S": "dup"}, "c": {"S": "c"}}
    rejects(
        db.batch_write_item,
        *NOT_FOUND,
        RequestItems={"abc": [{"PutRequest": {"Item": item}}, {"DeleteRequest": {"Key": {"a": item["a"]}}}]},
    )
    for reqs in (
        [{"PutRequest": {"Item": item}}, {"DeleteRequest": {"Key": {"a": item["a"]}}}],
        [{"DeleteRequest": {"Key": {"a": item["a"]}}}, {"PutRequest": {"Item": item}}],
        [{"PutRequest": {"Item": item}}, {"PutRequest": {"Item": item}}],
    ):
        rejects(db.batch_write_item, VALIDATION, DUPLICATES, RequestItems={HASH: reqs})
    # the same key in two tables is not a duplicate
    db.batch_write_item(
        RequestItems={
            HASH: [{"PutRequest": {"Item": {"a": {"S": "same"}}}}],
            RANGE: [{"PutRequest": {"Item": {"a": {"S": "same"}, "b": {"S": "x"}}}}],
        }
    )


def test_batch_write_item_too_large_is_checked_before_the_table(db):
    key = "k"
    just = {"a": {"S": key}, "b": {"S": "a" * (400 * 1024 - len(key) - 2)}}
    over = {"a": {"S": key}, "b": {"S": "a" * (400 * 1024 - len(key) - 1)}}
    rejects(
        db.batch_write_item,
        VALIDATION,
        "Item size has exceeded the maximum allowed size",
        RequestItems={"abc": [{"PutRequest": {"Item": over}}]},
    )
    rejects(db.batch_write_item, *NOT_FOUND, RequestItems={"abc": [{"PutRequest": {"Item": just}}]})


def test_batch_write_put_key_not_matching_the_schema(db):
    for item in (
        {},
        {"b": {"S": "a"}},
        {"a": {"B": b"ab"}},
        {"a": {"N": "1"}},
        {"a": {"BOOL": True}},
        {"a": {"NULL": True}},
        {"a": {"SS": ["a"]}},
        {"a": {"NS": ["1"]}},
        {"a": {"M": {}}},
        {"a": {"L": [{"S": "x"}]}},
    ):
        rejects(
            db.batch_write_item, VALIDATION, MISMATCH, RequestItems={HASH: [{"PutRequest": {"Item": item}}]}
        )
    rejects(
        db.batch_write_item,
        VALIDATION,
        MISMATCH,
        RequestItems={RANGE: [{"PutRequest": {"Item": {"a": {"S": "a"}}}}]},
    )
    rejects(
        db.batch_write_item,
        VALIDATION,
        MISMATCH,
        RequestItems={HASH: [{"DeleteRequest": {"Key": {"a": {"N": "1"}}}}]},
    )


def test_batch_write_key_value_and_index_key_errors(db):
    rejects(
        db.batch_write_item,
        VALIDATION,
        EMPTY_KEY_A,
        RequestItems={HASH: [{"PutRequest": {"Item": {"a": {"S": ""}}}}]},
    )
    rejects(
        db.batch_write_item,
        VALIDATION,
        EMPTY_KEY_A,
        RequestItems={HASH: [{"DeleteRequest": {"Key": {"a": {"S": ""}}}}]},
    )
    rejects(
        db.batch_write_item,
        VALIDATION,
        HASH_KEY_TOO_LARGE,
        RequestItems={HASH: [{"PutRequest": {"Item": {"a": {"S": "a" * 2049}}}}]},
    )
    rejects(
        db.batch_write_item,
        VALIDATION,
        "One or more parameter values were invalid: Type mismatch for Index "
        "Key c Expected: S Actual: N IndexName: index1",
        RequestItems={RANGE: [{"PutRequest": {"Item": {"a": {"S": "a"}, "b": {"S": "b"}, "c": {"N": "1"}}}}]},
    )
    rejects(
        db.batch_write_item,
        VALIDATION,
        "One or more parameter values are not valid. A value specified for "
        "a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an "
        "empty string value. IndexName: gsi1, IndexKey: g",
        RequestItems={RANGE: [{"PutRequest": {"Item": {"a": {"S": "a"}, "b": {"S": "b"}, "g": {"S": ""}}}}]},
    )


def test_batch_write_rejected_request_writes_nothing(db):
    code, _, _ = error(
        db.batch_write_item,
        RequestItems={
            HASH: [{"PutRequest": {"Item": {"a": {"S": "first"}}}}],
            RANGE: [{"PutRequest": {"Item": {"a": {"S": "a"}, "b": {"N": "1"}}}}],
        },
    )
    assert code == VALIDATION
    assert get(db, HASH, {"a": {"S": "first"}}) is None
    rejects(
        db.batch_write_item,
        *NOT_FOUND,
        RequestItems={
            HASH: [{"PutRequest": {"Item": {"a": {"S": "x"}}}}],
            "nosuchtable": [{"PutRequest": {"Item": {"a": {"S": "x"}}}}],
        },
    )
    assert get(db, HASH, {"a": {"S": "x"}}) is None


def test_batch_write_values_are_validated(db):
    rejects(
        db.batch_write_item,
        VALIDATION,
        "One or more parameter values were invalid: Input collection [a, a] contains duplicates.",
        RequestItems={HASH: [{"PutRequest": {"Item": {"a": {"S": "x"}, "s": {"SS": ["a", "a"]}}}}]},
    )
    rejects(
        db.batch_write_item,
        VALIDATION,
        "Number overflow. Attempting to store a number with magnitude larger than supported range",
        RequestItems={HASH: [{"PutRequest": {"Item": {"a": {"S": "x"}, "n": {"N": "1e126"}}}}]},
    )


def test_batch_write_past_an_item_collection_limit_writes_nothing(db):
    db.model.item_collection_limit_bytes = 2000  # instead of 10 GB (model/indexes.py C3)
    rejects(
        db.batch_write_item,
        "ItemCollectionSizeLimitExceededException",
        "Collection size exceeded.",
        RequestItems={
            HASH: [{"PutRequest": {"Item": {"a": {"S": "first"}}}}],
            RANGE: [
                {"PutRequest": {"Item": {"a": {"S": "c"}, "b": {"S": str(n)}, "v": {"S": "x" * 800}}}}
                for n in range(3)
            ],
        },
    )
    assert get(db, HASH, {"a": {"S": "first"}}) is None
    db.batch_write_item(
        RequestItems={
            RANGE: [
                {"PutRequest": {"Item": {"a": {"S": "c"}, "b": {"S": str(n)}, "v": {"S": "x" * 800}}}}
                for n in range(2)
            ]
        },
    )


def test_batch_write_capacity_includes_each_index(db):
    item = {"a": {"S": "x"}, "b": {"S": "y"}, "c": {"S": "z"}, "g": {"S": "q"}}
    out = db.batch_write_item(
        RequestItems={RANGE: [{"PutRequest": {"Item": item}}]}, ReturnConsumedCapacity="INDEXES"
    )
    assert out["ConsumedCapacity"] == [
        {
            "TableName": RANGE,
            "CapacityUnits": 3.0,
            "Table": {"CapacityUnits": 1.0},
            "LocalSecondaryIndexes": {"index1": {"CapacityUnits": 1.0}},
            "GlobalSecondaryIndexes": {"gsi1": {"CapacityUnits": 1.0}},
        }
    ]
    out = db.batch_write_item(
        RequestItems={RANGE: [{"PutRequest": {"Item": item}}]}, ReturnConsumedCapacity="TOTAL"
    )
    assert out["ConsumedCapacity"] == [
        {"TableName": RANGE, "CapacityUnits": 1.0}
    ]  # the entries did not change


def test_batch_get_projection_cannot_reach_into_a_key_attribute(db):
    rejects(
        db.batch_get_item,
        VALIDATION,
        "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: a",
        RequestItems={HASH: {"Keys": [{"a": {"S": "x"}}], "ProjectionExpression": "a.x"}},
    )
