"""UpdateTable's GlobalSecondaryIndexUpdates in DynamoDB's terms: a GSI added to a table that holds items is
CREATING (Backfilling) while writers keep writing, then ACTIVE with exactly the entries a recomputation from
the table gives; a GSI deleted is DELETING, then gone; a build interrupted by a close resumes on reopen; the
errors DynamoDB gives, with its texts (sources: src/pyddb/api/tables.py ONLINE INDEX CHANGES and
src/pyddb/validation/rules.py update_table_index_updates).

White-box parts are marked so: they set the build's pace (`model.backfills.batch_items`/`pause`) so a test can
watch a build part-way, or look at engine keyspaces to see that a deleted index's storage is gone.
"""

import json
import random
import threading
import time

import pytest
from test_table_helpers import HASH, ON_DEMAND, PT, assert_botocore_shape, attrs, fails, invalid, lsi, table

LIMIT = (
    "LimitExceededException",
    "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table",
)
EXISTS = ("ValidationException", "Attempting to create an index which already exists")


def create(name, hash_key, range_key=None, projection=None, **more):
    ks = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        ks.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return {
        "Create": {
            "IndexName": name,
            "KeySchema": ks,
            "Projection": projection or {"ProjectionType": "ALL"},
            **more,
        }
    }


def add_index(ddb, definitions, update, name="tbl"):
    response = ddb.update_table(
        TableName=name, AttributeDefinitions=definitions, GlobalSecondaryIndexUpdates=[update]
    )
    assert_botocore_shape("UpdateTable", response)
    return response["TableDescription"]


def gsi_of(description, name):
    return next(g for g in description.get("GlobalSecondaryIndexes", ()) if g["IndexName"] == name)


def wait_for(ddb, predicate, timeout=30.0, name="tbl"):
    deadline = time.monotonic() + timeout
    while True:
        d = ddb.describe_table(TableName=name)["Table"]
        if predicate(d):
            return d
        assert time.monotonic() < deadline, "timed out; last description: %r" % d
        time.sleep(0.01)


def wait_active(ddb, index, name="tbl"):
    return wait_for(ddb, lambda d: gsi_of(d, index)["IndexStatus"] == "ACTIVE", name=name)


def wait_gone(ddb, index, name="tbl"):
    return wait_for(
        ddb, lambda d: all(g["IndexName"] != index for g in d.get("GlobalSecondaryIndexes", ())), name=name
    )


def scan_all(ddb, **request):
    items, start = [], None
    while True:
        page = ddb.scan(**request, **({"ExclusiveStartKey": start} if start else {}))
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def canonical(items):
    return sorted(json.dumps(i, sort_keys=True) for i in items)


def recompute(table_items, key_names, projected):
    """The entries an index keyed on `key_names` (hash, then range) must hold for `table_items`: items whose
    key values are strings, not empty, within 2048 (hash) / 1024 (range) bytes; projected to `projected`
    (None: ALL)."""
    out = []
    for item in table_items:
        ok = True
        for limit, name in zip((2048, 1024), key_names):
            av = item.get(name)
            if av is None or "S" not in av or not 0 < len(av["S"].encode()) <= limit:
                ok = False
        if ok:
            out.append(item if projected is None else {k: v for k, v in item.items() if k in projected})
    return out


def populate(ddb, n, seed=7):
    """n items keyed k0..k(n-1): most with a string `g`, some without, some with a number, an empty string
    or an oversized string (items an index on `g` must leave out), all with a number `n` and a string `x`."""
    rnd = random.Random(seed)
    requests = []
    for i in range(n):
        item = {"pk": {"S": "k%d" % i}, "n": {"N": str(i)}, "x": {"S": "x%d" % rnd.randrange(5)}}
        kind = rnd.randrange(10)
        if kind < 6:
            item["g"] = {"S": "g%d" % rnd.randrange(40)}
        elif kind == 6:
            item["g"] = {"N": str(i)}
        elif kind == 7:
            item["g"] = {"S": ""}
        elif kind == 8:
            item["g"] = {"S": "o" * 2049}
        requests.append({"PutRequest": {"Item": item}})
    for i in range(0, n, 25):
        ddb.batch_write_item(RequestItems={"tbl": requests[i : i + 25]})


# =========================================================================================================
# Create on a populated table while writers run
# =========================================================================================================


def test_gsi_created_on_a_populated_table_while_writers_run_holds_exactly_the_right_entries(ddb):
    ddb.create_table(**table(keys=HASH, **ON_DEMAND))
    populate(ddb, 3000)
    ddb.model.backfills.batch_items = 50  # white-box: a build of many steps, so writes interleave
    ddb.model.backfills.pause = 0.02      # 60 steps: >= 1.2 s, so the DescribeTable below sees it CREATING even
                                          # when the four writers keep this thread waiting for the GIL (0.003
                                          # gave 0.18 s, and a clean-clone CI run saw the build finished)

    stop = threading.Event()
    errors = []
    counts = [0] * 4

    def writer(seed):
        rnd = random.Random(seed)
        try:
            while not stop.is_set():
                key = {"pk": {"S": "k%d" % rnd.randrange(3200)}}
                op = rnd.randrange(4)
                if op == 0:
                    item = dict(key, n={"N": str(rnd.randrange(10**6))}, x={"S": "w"})
                    if rnd.randrange(4):
                        item["g"] = {"S": "g%d" % rnd.randrange(40)}
                    ddb.put_item(TableName="tbl", Item=item)
                elif op == 1:
                    ddb.update_item(
                        TableName="tbl",
                        Key=key,
                        UpdateExpression="SET g = :g, n = :n",
                        ExpressionAttributeValues={
                            ":g": {"S": "g%d" % rnd.randrange(40)},
                            ":n": {"N": str(rnd.randrange(100))},
                        },
                    )
                elif op == 2:
                    ddb.update_item(TableName="tbl", Key=key, UpdateExpression="REMOVE g")
                else:
                    ddb.delete_item(TableName="tbl", Key=key)
                counts[seed] += 1
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(s,)) for s in range(4)]
    for th in threads:
        th.start()
    try:
        time.sleep(0.05)
        description = add_index(
            ddb,
            attrs(("g", "S")),
            create("gix", "g", projection={"ProjectionType": "INCLUDE", "NonKeyAttributes": ["n"]}),
        )
        assert description["TableStatus"] == "UPDATING"
        g = gsi_of(description, "gix")
        assert (g["IndexStatus"], g["Backfilling"], g["ItemCount"], g["IndexSizeBytes"]) == (
            "CREATING",
            True,
            0,
            0,
        )
        during = ddb.describe_table(TableName="tbl")["Table"]
        assert during["TableStatus"] == "ACTIVE"
        assert (gsi_of(during, "gix")["IndexStatus"], gsi_of(during, "gix")["Backfilling"]) == (
            "CREATING",
            True,
        )
        assert fails(
            ddb.query,
            TableName="tbl",
            IndexName="gix",
            KeyConditionExpression="g = :g",
            ExpressionAttributeValues={":g": {"S": "g1"}},
        ) == ("ValidationException", "Cannot read from backfilling global secondary index: gix")
        done = wait_active(ddb, "gix")
        time.sleep(0.05)  # writes after ACTIVE keep the index in step too
    finally:
        stop.set()
        for th in threads:
            th.join()
    assert errors == []
    assert sum(counts) > 100, counts  # the writers really ran alongside the build
    assert gsi_of(done, "gix")["Backfilling"] is False

    table_items = scan_all(ddb, TableName="tbl")
    expected = recompute(table_items, ["g"], {"pk", "g", "n"})
    assert canonical(scan_all(ddb, TableName="tbl", IndexName="gix")) == canonical(expected)
    one = next(i for i in expected)
    got = ddb.query(
        TableName="tbl",
        IndexName="gix",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": one["g"]},
    )["Items"]
    assert canonical(got) == canonical([i for i in expected if i["g"] == one["g"]])
    assert gsi_of(ddb.describe_table(TableName="tbl")["Table"], "gix")["ItemCount"] == len(expected)


def test_backfill_leaves_out_items_whose_key_values_cannot_be_index_keys(ddb):
    # ScyllaDB Alternator test_gsi_backfill, test_gsi_backfill_empty_string, test_gsi_backfill_key_limits
    # (run against DynamoDB): wrong type, empty string and oversized key values are skipped
    ddb.create_table(**table(keys=HASH, **ON_DEMAND))
    items = [
        {"pk": {"S": "ok"}, "g": {"S": "a"}, "r": {"S": "r" * 1024}},
        {"pk": {"S": "hash-2048"}, "g": {"S": "h" * 2048}, "r": {"S": "b"}},
        {"pk": {"S": "hash-2049"}, "g": {"S": "h" * 2049}, "r": {"S": "b"}},
        {"pk": {"S": "range-1025"}, "g": {"S": "a"}, "r": {"S": "r" * 1025}},
        {"pk": {"S": "number"}, "g": {"N": "1"}, "r": {"S": "b"}},
        {"pk": {"S": "empty"}, "g": {"S": ""}, "r": {"S": "b"}},
        {"pk": {"S": "no-range"}, "g": {"S": "a"}},
        {"pk": {"S": "no-hash"}, "r": {"S": "b"}},
    ]
    for item in items:
        ddb.put_item(TableName="tbl", Item=item)
    add_index(ddb, attrs(("g", "S"), ("r", "S")), create("gix", "g", "r"))
    wait_active(ddb, "gix")
    got = {i["pk"]["S"] for i in scan_all(ddb, TableName="tbl", IndexName="gix")}
    assert got == {"ok", "hash-2048"}
    # the index exists now: a new item of the wrong type for its key is refused (Alternator test_gsi_backfill)
    assert fails(
        ddb.put_item, TableName="tbl", Item={"pk": {"S": "new"}, "g": {"N": "3"}, "r": {"S": "b"}}
    ) == (invalid("Type mismatch for Index Key g Expected: S Actual: N IndexName: gix"))


def test_index_added_online_describes_backfilling_and_merges_attribute_definitions(ddb):
    ddb.create_table(
        **table(
            keys=HASH,
            AttributeDefinitions=attrs(("pk", "S"), ("c", "N")),
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "first",
                    "KeySchema": [{"AttributeName": "c", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                    "ProvisionedThroughput": PT,
                }
            ],
        )
    )
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "a"}, "g": {"S": "x"}, "c": {"N": "1"}})
    # a definition the request gives that no key uses is ignored (Alternator
    # test_gsi_updatetable_spurious_attribute_definitions); pk may be repeated with its own type
    description = add_index(
        ddb,
        attrs(("g", "S"), ("pk", "S"), ("unused", "B")),
        create("second", "g", "pk", ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 4}),
    )
    g = gsi_of(description, "second")
    assert g["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert g["ProvisionedThroughput"]["WriteCapacityUnits"] == 4
    assert "Backfilling" not in gsi_of(description, "first")  # created with the table: no Backfilling
    done = wait_active(ddb, "second")
    assert done["AttributeDefinitions"] == attrs(("pk", "S"), ("c", "N"), ("g", "S"))
    assert "Backfilling" not in gsi_of(done, "first")
    assert gsi_of(done, "second")["Backfilling"] is False
    assert gsi_of(done, "second")["ItemCount"] == 1
    assert_botocore_shape("DescribeTable", {"Table": done})


def test_index_key_types_are_enforced_from_the_moment_the_index_is_creating(ddb):
    ddb.create_table(**table(keys=HASH, **ON_DEMAND))
    populate(ddb, 200)
    ddb.model.backfills.pause = 0.05  # white-box: keep the build CREATING for a while
    ddb.model.backfills.batch_items = 20
    add_index(ddb, attrs(("g", "S")), create("gix", "g"))
    assert fails(ddb.put_item, TableName="tbl", Item={"pk": {"S": "z"}, "g": {"N": "1"}}) == invalid(
        "Type mismatch for Index Key g Expected: S Actual: N IndexName: gix"
    )
    ddb.model.backfills.pause = 0
    wait_active(ddb, "gix")


# =========================================================================================================
# Restart mid-build
# =========================================================================================================


def test_a_build_interrupted_by_a_close_resumes_on_reopen(ddb, reopen):
    ddb.create_table(**table(keys=HASH, **ON_DEMAND))
    populate(ddb, 1000)
    backfills = ddb.model.backfills  # white-box: a slow build, closed part-way
    backfills.batch_items = 20
    backfills.pause = 0.05
    add_index(ddb, attrs(("g", "S")), create("gix", "g", projection={"ProjectionType": "KEYS_ONLY"}))
    part = wait_for(ddb, lambda d: gsi_of(d, "gix")["ItemCount"] > 0)
    assert gsi_of(part, "gix")["IndexStatus"] == "CREATING"
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "late"}, "g": {"S": "g1"}, "n": {"N": "1"}})
    keyspace = ddb.model.tables["tbl"].index("gix").keyspace  # white-box: a cursor was saved
    assert ddb.model.engine.get("__backfill__", keyspace.encode()) is not None
    ddb = reopen(ddb)
    d = ddb.describe_table(TableName="tbl")["Table"]
    assert gsi_of(d, "gix")["IndexStatus"] in ("CREATING", "ACTIVE")
    wait_active(ddb, "gix")
    expected = recompute(scan_all(ddb, TableName="tbl"), ["g"], {"pk", "g"})
    assert canonical(scan_all(ddb, TableName="tbl", IndexName="gix")) == canonical(expected)
    ddb = reopen(ddb)  # and the finished index stays ACTIVE
    assert gsi_of(ddb.describe_table(TableName="tbl")["Table"], "gix")["IndexStatus"] == "ACTIVE"


# =========================================================================================================
# Delete
# =========================================================================================================


def test_delete_index_is_deleting_then_gone_and_frees_its_key_attribute(ddb):
    ddb.create_table(
        **table(
            keys=HASH,
            AttributeDefinitions=attrs(("pk", "S"), ("x", "S")),
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "hello",
                    "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            **ON_DEMAND,
        )
    )
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "a"}, "x": {"S": "1"}})
    keyspace = ddb.model.tables["tbl"].index("hello").keyspace
    response = ddb.update_table(
        TableName="tbl", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "hello"}}]
    )
    assert_botocore_shape("UpdateTable", response)
    assert response["TableDescription"]["TableStatus"] == "UPDATING"
    assert gsi_of(response["TableDescription"], "hello")["IndexStatus"] == "DELETING"
    d = wait_gone(ddb, "hello")
    assert "GlobalSecondaryIndexes" not in d
    assert d["AttributeDefinitions"] == attrs(("pk", "S"))
    assert keyspace not in ddb.model.engine.keyspaces()  # white-box: the index's storage is dropped
    # Alternator test_gsi_delete (run against DynamoDB): the index is gone for reads, x takes any type again
    code, _ = fails(
        ddb.query,
        TableName="tbl",
        IndexName="hello",
        KeyConditionExpression="x = :x",
        ExpressionAttributeValues={":x": {"S": "1"}},
    )
    assert code == "ValidationException"
    ddb.put_item(TableName="tbl", Item={"pk": {"S": "b"}, "x": {"N": "7"}})
    assert fails(
        ddb.update_table, TableName="tbl", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "hello"}}]
    ) == ("ResourceNotFoundException", "Requested resource not found: Index hello for table tbl")


def test_an_index_can_be_deleted_while_it_is_being_built_and_created_again(ddb):
    ddb.create_table(**table(keys=HASH, **ON_DEMAND))
    populate(ddb, 500)
    ddb.model.backfills.batch_items = 10  # white-box: a build still running when the delete comes
    ddb.model.backfills.pause = 0.05
    add_index(ddb, attrs(("g", "S")), create("gix", "g"))
    # another index action while one is in progress is refused (architect/architect#268)
    assert (
        fails(
            ddb.update_table,
            TableName="tbl",
            AttributeDefinitions=attrs(("x", "S")),
            GlobalSecondaryIndexUpdates=[create("other", "x")],
        )
        == LIMIT
    )
    response = ddb.update_table(
        TableName="tbl", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "gix"}}]
    )
    assert gsi_of(response["TableDescription"], "gix")["IndexStatus"] == "DELETING"
    wait_gone(ddb, "gix")
    ddb.model.backfills.pause = 0
    add_index(ddb, attrs(("g", "S")), create("gix", "g"))
    wait_active(ddb, "gix")
    expected = recompute(scan_all(ddb, TableName="tbl"), ["g"], None)
    assert canonical(scan_all(ddb, TableName="tbl", IndexName="gix")) == canonical(expected)


# =========================================================================================================
# Update (throughput)
# =========================================================================================================


def test_update_index_throughput_reports_updating_with_the_old_values_then_the_new_ones(ddb):
    ddb.create_table(
        **table(
            keys=HASH,
            AttributeDefinitions=attrs(("pk", "S"), ("x", "S")),
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "gix",
                    "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                    "ProvisionedThroughput": PT,
                }
            ],
        )
    )
    new = {"ReadCapacityUnits": 7, "WriteCapacityUnits": 3}
    response = ddb.update_table(
        TableName="tbl",
        GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "gix", "ProvisionedThroughput": new}}],
    )
    assert_botocore_shape("UpdateTable", response)
    g = gsi_of(response["TableDescription"], "gix")
    assert g["IndexStatus"] == "UPDATING"
    assert (
        g["ProvisionedThroughput"]["ReadCapacityUnits"],
        g["ProvisionedThroughput"]["WriteCapacityUnits"],
    ) == (5, 5)
    g = gsi_of(ddb.describe_table(TableName="tbl")["Table"], "gix")
    assert g["IndexStatus"] == "ACTIVE"
    assert (
        g["ProvisionedThroughput"]["ReadCapacityUnits"],
        g["ProvisionedThroughput"]["WriteCapacityUnits"],
    ) == (7, 3)
    assert g["ProvisionedThroughput"]["NumberOfDecreasesToday"] == 1
    assert fails(
        ddb.update_table,
        TableName="tbl",
        GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "gix", "ProvisionedThroughput": new}}],
    ) == (
        "ValidationException",
        (
            "The provisioned throughput for the index gix will not change. The requested value equals the "
            "current value. Current ReadCapacityUnits provisioned for the index: 7. Requested "
            "ReadCapacityUnits: 7. Current WriteCapacityUnits provisioned for the index: 3. Requested "
            "WriteCapacityUnits: 3. Refer to the Amazon DynamoDB Developer Guide for current limits and how "
            "to request higher limits."
        ),
    )


# =========================================================================================================
# Errors
# =========================================================================================================

X = attrs(("x", "S"))


def test_request_errors_come_before_the_table_is_looked_at(ddb):
    cases = [
        (
            {"GlobalSecondaryIndexUpdates": [{}]},
            invalid(
                "One of GlobalSecondaryIndexUpdate.Update, GlobalSecondaryIndexUpdate.Create, "
                "GlobalSecondaryIndexUpdate.Delete must not be null"
            ),
        ),
        (
            {
                "GlobalSecondaryIndexUpdates": [
                    {"Delete": {"IndexName": "abc"}},
                    {"Delete": {"IndexName": "abc"}},
                ]
            },
            invalid("Only one global secondary index update per index is allowed simultaneously. Index: abc"),
        ),
        (
            {
                "AttributeDefinitions": X,
                "GlobalSecondaryIndexUpdates": [dict(create("abc", "x"), Delete={"IndexName": "xyz"})],
            },
            invalid(
                "Only one global secondary index action is allowed per GlobalSecondaryIndexUpdate object"
            ),
        ),
        (
            {"GlobalSecondaryIndexUpdates": [create("abc", "x")]},
            invalid("AttributeDefinitions is not specified for index: abc"),
        ),
        (
            {"AttributeDefinitions": attrs(("y", "S")), "GlobalSecondaryIndexUpdates": [create("abc", "x")]},
            invalid(
                "Some index key attributes are not defined in AttributeDefinitions. Keys: [x], "
                "AttributeDefinitions: [y]"
            ),
        ),
        (
            {
                "AttributeDefinitions": X,
                "GlobalSecondaryIndexUpdates": [create("abc", "x", projection={"ProjectionType": "INCLUDE"})],
            },
            invalid("ProjectionType is INCLUDE, but NonKeyAttributes is not specified"),
        ),
    ]
    for name in ("nope", "tbl"):
        if name == "tbl":
            ddb.create_table(**table(keys=HASH, **ON_DEMAND))
        for request, expected in cases:
            assert fails(ddb.update_table, TableName=name, **request) == expected, request


def test_errors_against_the_table(ddb):
    ddb.create_table(
        **table(
            keys={
                "AttributeDefinitions": attrs(("pk", "S"), ("sk", "S"), ("l", "S"), ("x", "S")),
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
            },
            LocalSecondaryIndexes=[lsi("lix", "l")],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "gix",
                    "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                    "ProvisionedThroughput": PT,
                }
            ],
        )
    )
    before = ddb.describe_table(TableName="tbl")["Table"]
    two = [create("one", "y", ProvisionedThroughput=PT), create("two", "y", ProvisionedThroughput=PT)]
    cases = [
        # ScyllaDB Alternator test_gsi_updatetable_errors (DynamoDB: LimitExceededException)
        ({"AttributeDefinitions": attrs(("y", "S")), "GlobalSecondaryIndexUpdates": two}, LIMIT),
        (
            {
                "AttributeDefinitions": attrs(("y", "S")),
                "GlobalSecondaryIndexUpdates": [two[0], {"Delete": {"IndexName": "gix"}}],
            },
            LIMIT,
        ),
        (
            {
                "AttributeDefinitions": X,
                "GlobalSecondaryIndexUpdates": [create("gix", "x", ProvisionedThroughput=PT)],
            },
            EXISTS,
        ),
        (
            {
                "AttributeDefinitions": X,
                "GlobalSecondaryIndexUpdates": [create("lix", "x", ProvisionedThroughput=PT)],
            },
            EXISTS,
        ),
        (
            {
                "AttributeDefinitions": attrs(("x", "N")),
                "GlobalSecondaryIndexUpdates": [create("new", "x", ProvisionedThroughput=PT)],
            },
            invalid(
                "Attributes cannot be redefined. Please check that your attribute has the same type as "
                "previously defined. Existing schema: Schema:[SchemaElement: key{x:S:HASH}] New schema: "
                "Schema:[SchemaElement: key{x:N:HASH}]"
            ),
        ),
        (
            {
                "AttributeDefinitions": attrs(("pk", "S"), ("l", "N")),
                "GlobalSecondaryIndexUpdates": [create("new", "pk", "l", ProvisionedThroughput=PT)],
            },
            invalid(
                "Attributes cannot be redefined. Please check that your attribute has the same type as "
                "previously defined. Existing schema: Schema:[SchemaElement: key{l:S:RANGE}] New schema: "
                "Schema:[SchemaElement: key{l:N:RANGE}]"
            ),
        ),
        (
            {"AttributeDefinitions": attrs(("y", "S")), "GlobalSecondaryIndexUpdates": [create("new", "y")]},
            invalid("ProvisionedThroughput must be specified for index: new"),
        ),
        (
            {"GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "lix"}}]},
            ("ValidationException", "Cannot delete an index that is not a GlobalSecondaryIndex: lix"),
        ),
        (
            {"GlobalSecondaryIndexUpdates": [{"Update": {"IndexName": "lix", "ProvisionedThroughput": PT}}]},
            ("ValidationException", "Cannot update an index that is not a GlobalSecondaryIndex: lix"),
        ),
        (
            {"GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "ghost"}}]},
            ("ResourceNotFoundException", "Requested resource not found: Index ghost for table tbl"),
        ),
        (
            {
                "GlobalSecondaryIndexUpdates": [
                    {"Update": {"IndexName": "ghost", "ProvisionedThroughput": PT}}
                ]
            },
            ("ResourceNotFoundException", "Requested resource not found: Index ghost for table tbl"),
        ),
        # dynalite test/updateTable.js (recorded against DynamoDB)
        (
            {
                "GlobalSecondaryIndexUpdates": [
                    {
                        "Update": {
                            "IndexName": "ghost",
                            "ProvisionedThroughput": {
                                "ReadCapacityUnits": 1000000000001,
                                "WriteCapacityUnits": 1000000000001,
                            },
                        }
                    }
                ]
            },
            (
                "ValidationException",
                (
                    "This operation cannot be performed with given input values. Please contact "
                    "DynamoDB service team for more info: Action Blocked: IndexUpdate"
                ),
            ),
        ),
    ]
    wrong = {}
    for request, expected in cases:
        got = fails(ddb.update_table, TableName="tbl", **request)
        if got != expected:
            wrong[json.dumps(request)] = got
    assert wrong == {}
    assert ddb.describe_table(TableName="tbl")["Table"] == before  # nothing changed


def test_on_demand_table_index_throughput_errors(ddb):
    ddb.create_table(
        **table(
            keys=HASH,
            AttributeDefinitions=attrs(("pk", "S"), ("x", "S")),
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "gix",
                    "KeySchema": [{"AttributeName": "x", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            **ON_DEMAND,
        )
    )
    assert fails(
        ddb.update_table,
        TableName="tbl",
        AttributeDefinitions=attrs(("y", "S")),
        GlobalSecondaryIndexUpdates=[create("new", "y", ProvisionedThroughput=PT)],
    ) == invalid(
        "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: new when BillingMode "
        "is PAY_PER_REQUEST"
    )
    # ack-api-quirks DDB-TABLE-456 (live rows gsi_update_*_real)
    assert fails(
        ddb.update_table,
        TableName="tbl",
        GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "gix", "OnDemandThroughput": {}}}],
    ) == invalid(
        "The only Updates for index: gix when TableThroughputMode is PAY_PER_REQUEST can be to "
        "OnDemandThroughput, WarmThroughput"
    )
    assert fails(
        ddb.update_table,
        TableName="tbl",
        GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "gix", "WarmThroughput": {}}}],
    ) == invalid(
        "WarmThroughput must have at least one of ReadUnitsPerSecond or WriteUnitsPerSecond specified for "
        "index: gix"
    )
    ddb.update_table(
        TableName="tbl",
        GlobalSecondaryIndexUpdates=[
            {"Update": {"IndexName": "gix", "OnDemandThroughput": {"MaxReadRequestUnits": 50}}}
        ],
    )
    g = gsi_of(ddb.describe_table(TableName="tbl")["Table"], "gix")
    assert g["OnDemandThroughput"] == {"MaxReadRequestUnits": 50}
    # switching the table to PROVISIONED needs throughput for every GSI (catalogue)
    assert fails(ddb.update_table, TableName="tbl", BillingMode="PROVISIONED", ProvisionedThroughput=PT) == (
        invalid("ProvisionedThroughput must be specified for index: gix")
    )
    ddb.update_table(
        TableName="tbl",
        BillingMode="PROVISIONED",
        ProvisionedThroughput=PT,
        GlobalSecondaryIndexUpdates=[
            {
                "Update": {
                    "IndexName": "gix",
                    "ProvisionedThroughput": {"ReadCapacityUnits": 2, "WriteCapacityUnits": 2},
                }
            }
        ],
    )
    g = gsi_of(ddb.describe_table(TableName="tbl")["Table"], "gix")
    assert g["ProvisionedThroughput"]["ReadCapacityUnits"] == 2


@pytest.mark.parametrize("status", ["CREATING"])
def test_a_second_online_index_action_while_one_runs_is_refused(ddb, status):
    ddb.create_table(**table(keys=HASH, **ON_DEMAND))
    populate(ddb, 300)
    ddb.model.backfills.batch_items = 10  # white-box: keep the first build running
    ddb.model.backfills.pause = 0.05
    add_index(ddb, attrs(("g", "S")), create("gix", "g"))
    assert (
        fails(
            ddb.update_table,
            TableName="tbl",
            AttributeDefinitions=attrs(("x", "S")),
            GlobalSecondaryIndexUpdates=[create("other", "x")],
        )
        == LIMIT
    )
    ddb.model.backfills.pause = 0
    wait_active(ddb, "gix")
    add_index(ddb, attrs(("x", "S")), create("other", "x"))  # once it is done, the next one may start
    wait_active(ddb, "other")
