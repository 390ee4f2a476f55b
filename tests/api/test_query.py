"""Query in DynamoDB's terms: request dicts in, response dicts or ClientErrors (exact Code and Message) out.

Expected behaviour and texts are DynamoDB's; src/pyddb/api/query.py and src/pyddb/model/query.py cite the
source of each (dynalite's tests recorded against DynamoDB, nubo-db/dynamodb-conformance and LocalStack tests
run against DynamoDB, the Developer Guide).
"""

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_query_helpers import (
    all_items,
    create,
    fails,
    order_key,
    pages,
    put_all,
    strip,
)

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))

S_VALUES = [
    "a",
    "aa",
    "ab",
    "a\x00",
    "a\x00b",
    "b",
    "B",
    "10",
    "2",
    "\u00e9",
    "\u00e9a",
    "\uffff",
    "\U0001f600",
    "\U0001f600x",
]
N_VALUES = [
    "-9.9999999999999999999999999999999999999E+125",
    "-1E+125",
    "-99.1",
    "-10",
    "-1.01",
    "-1",
    "-0.5",
    "-1E-130",
    "0",
    "1E-130",
    "0.01",
    "0.5",
    "1",
    "1.5",
    "9",
    "10",
    "99.1",
    "12345678901234567890123456789012345678",
    "9.9999999999999999999999999999999999999E+125",
]
B_VALUES = [
    b"\x00",
    b"\x00\x00",
    b"\x00\x01",
    b"\x00\xff",
    b"\x01",
    b"\x7f",
    b"\x80",
    b"\xfe",
    b"\xff",
    b"\xff\x00",
    b"\xff\xff",
    b"a",
    b"ab",
]
VALUES = {"S": S_VALUES, "N": N_VALUES, "B": B_VALUES}
PREFIXES = {
    "S": ["a", "a\x00", "\u00e9", "\U0001f600", "z"],
    "B": [b"\x00", b"\x00\x00", b"\xff", b"\xff\xff", b"a", b"q"],
}
OPS = ["=", "<", "<=", ">", ">=", "BETWEEN", "begins_with"]
LEGACY = {
    "=": "EQ",
    "<": "LT",
    "<=": "LE",
    ">": "GT",
    ">=": "GE",
    "BETWEEN": "BETWEEN",
    "begins_with": "BEGINS_WITH",
}


def satisfies(av, op, operands):
    x = order_key(av)
    if op == "begins_with":
        return x.startswith(order_key(operands[0]))
    a = order_key(operands[0])
    return {
        "=": x == a,
        "<": x < a,
        "<=": x <= a,
        ">": x > a,
        ">=": x >= a,
        "BETWEEN": op == "BETWEEN" and a <= x <= order_key(operands[-1]),
    }[op]


def key_condition(op, operands, sk="sk"):
    """(KeyConditionExpression, values) for pk = :p AND <op on sk>."""
    values = {":p": {"S": "p"}}
    if op == "BETWEEN":
        values.update({":a": operands[0], ":b": operands[1]})
        return "pk = :p AND %s BETWEEN :a AND :b" % sk, values
    values[":a"] = operands[0]
    if op == "begins_with":
        return "pk = :p AND begins_with(%s, :a)" % sk, values
    return "pk = :p AND %s %s :a" % (sk, op), values


def sort_keys(items, name="sk"):
    return [order_key(item[name]) for item in items]


# =========================================================================================================
# Key conditions: every operator, forward and backward, on S, N and B sort keys (one range read each)
# =========================================================================================================


@pytest.mark.parametrize("t", ["S", "N", "B"])
def test_every_sort_key_operator_both_directions_matches_dynamodb_order(ddb, t):
    create(ddb, "ops", range_key=("sk", t))
    values = [{t: v} for v in VALUES[t]]
    put_all(ddb, "ops", [{"pk": {"S": "p"}, "sk": v, "n": {"N": str(i)}} for i, v in enumerate(values)])
    put_all(ddb, "ops", [{"pk": {"S": "other"}, "sk": v} for v in values])  # another partition, never read
    candidates = values + ([{t: p} for p in PREFIXES[t]] if t != "N" else [{"N": "-2"}, {"N": "5"}])
    for op in OPS:
        if op == "begins_with" and t == "N":
            continue
        operand_sets = (
            [[a, b] for a in candidates[::3] for b in candidates[1::4] if order_key(a) <= order_key(b)]
            if op == "BETWEEN"
            else [[{t: p}] for p in PREFIXES[t]]
            if op == "begins_with"
            else [[a] for a in candidates]
        )
        for operands in operand_sets:
            want = sorted((v for v in values if satisfies(v, op, operands)), key=order_key)
            text, eav = key_condition(op, operands)
            for forward in (True, False):
                got = strip(
                    ddb.query(
                        TableName="ops",
                        KeyConditionExpression=text,
                        ExpressionAttributeValues=eav,
                        ScanIndexForward=forward,
                    )
                )
                expected = want if forward else want[::-1]
                assert sort_keys(got["Items"]) == [order_key(v) for v in expected], (op, operands, forward)
                assert got["Count"] == got["ScannedCount"] == len(want)
                assert "LastEvaluatedKey" not in got
            legacy = strip(
                ddb.query(
                    TableName="ops",
                    KeyConditions={
                        "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
                        "sk": {"ComparisonOperator": LEGACY[op], "AttributeValueList": operands},
                    },
                )
            )
            assert sort_keys(legacy["Items"]) == [order_key(v) for v in want]


def test_numbers_sort_numerically_not_as_text(ddb):
    create(ddb, "nums", range_key=("sk", "N"))
    put_all(ddb, "nums", [{"pk": {"S": "p"}, "sk": {"N": v}} for v in ["10", "9", "-1", "-10", "0.5", "1e2"]])
    got = ddb.query(
        TableName="nums",
        KeyConditionExpression="pk = :p AND sk >= :z",
        ExpressionAttributeValues={":p": {"S": "p"}, ":z": {"N": "0"}},
    )
    assert [i["sk"]["N"] for i in got["Items"]] == ["0.5", "9", "10", "100"]


def test_hash_only_table_query_returns_the_one_item_and_no_start_key_even_on_limit(ddb):
    create(ddb, "hashonly", range_key=None)
    put_all(ddb, "hashonly", [{"pk": {"S": k}, "v": {"N": "1"}} for k in "abc"])
    got = strip(
        ddb.query(
            TableName="hashonly",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "b"}},
        )
    )
    assert got == {"Items": [{"pk": {"S": "b"}, "v": {"N": "1"}}], "Count": 1, "ScannedCount": 1}
    # at most one item: never a LastEvaluatedKey, even when Limit is reached (DynamoDB Local QueryFunction)
    limited = strip(
        ddb.query(
            TableName="hashonly",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "b"}},
            Limit=1,
        )
    )
    assert limited == got
    assert strip(
        ddb.query(
            TableName="hashonly",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "zz"}},
        )
    ) == {"Items": [], "Count": 0, "ScannedCount": 0}


# =========================================================================================================
# Limit, filters and pagination: every item exactly once, both directions
# =========================================================================================================


def test_limit_counts_items_read_before_the_filter_and_returns_last_evaluated_key(ddb):
    create(ddb, "lim", range_key=("sk", "N"))
    put_all(
        ddb, "lim", [{"pk": {"S": "p"}, "sk": {"N": str(i)}, "odd": {"BOOL": i % 2 == 1}} for i in range(10)]
    )
    got = strip(
        ddb.query(
            TableName="lim",
            KeyConditionExpression="pk = :p",
            FilterExpression="odd = :t",
            ExpressionAttributeValues={":p": {"S": "p"}, ":t": {"BOOL": True}},
            Limit=4,
        )
    )
    assert [i["sk"]["N"] for i in got["Items"]] == ["1", "3"]
    assert (got["Count"], got["ScannedCount"]) == (2, 4)
    assert got["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "3"}}
    # the key of the last item *read*, even when the filter dropped it
    got = strip(
        ddb.query(
            TableName="lim",
            KeyConditionExpression="pk = :p",
            FilterExpression="odd = :t",
            ExpressionAttributeValues={":p": {"S": "p"}, ":t": {"BOOL": True}},
            Limit=3,
        )
    )
    assert got["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "2"}}


def test_limit_equal_to_the_remaining_items_still_returns_last_evaluated_key(ddb):
    # dynalite test/query.js (recorded against DynamoDB): Limit = item count -> LastEvaluatedKey present,
    # and the next page is empty without one
    create(ddb, "exact", range_key=("sk", "N"))
    put_all(ddb, "exact", [{"pk": {"S": "p"}, "sk": {"N": str(i)}} for i in range(3)])
    request = {
        "TableName": "exact",
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "p"}},
        "Limit": 3,
    }
    first = strip(ddb.query(**request))
    assert first["Count"] == 3 and first["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "2"}}
    second = strip(ddb.query(**request, ExclusiveStartKey=first["LastEvaluatedKey"]))
    assert second == {"Items": [], "Count": 0, "ScannedCount": 0}
    assert "LastEvaluatedKey" not in strip(ddb.query(**dict(request, Limit=4)))


def test_pagination_returns_every_item_exactly_once_both_directions_with_filter_and_limit(ddb):
    create(ddb, "pag", range_key=("sk", "N"))
    items = [{"pk": {"S": "p"}, "sk": {"N": str(i - 20)}, "v": {"N": str(i % 7)}} for i in range(45)]
    put_all(ddb, "pag", items + [{"pk": {"S": "q"}, "sk": {"N": str(i)}} for i in range(5)])
    sks = [i - 20 for i in range(45)]

    @SETTINGS
    @given(
        op=st.sampled_from(["<", "<=", ">", ">=", "BETWEEN", None]),
        a=st.integers(-25, 30),
        b=st.integers(-25, 30),
        limit=st.one_of(st.none(), st.integers(1, 9)),
        forward=st.booleans(),
        threshold=st.one_of(st.none(), st.integers(0, 7)),
        legacy=st.booleans(),
    )
    def check(op, a, b, limit, forward, threshold, legacy):
        lo, hi = min(a, b), max(a, b)
        request = {"TableName": "pag", "ScanIndexForward": forward}
        if limit:
            request["Limit"] = limit
        in_range = {
            None: lambda x: True,
            "<": lambda x: x < a,
            "<=": lambda x: x <= a,
            ">": lambda x: x > a,
            ">=": lambda x: x >= a,
            "BETWEEN": lambda x: lo <= x <= hi,
        }[op]
        if legacy:
            kc = {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]}}
            if op:
                kc["sk"] = {
                    "ComparisonOperator": LEGACY[op],
                    "AttributeValueList": [{"N": str(lo)}, {"N": str(hi)}]
                    if op == "BETWEEN"
                    else [{"N": str(a)}],
                }
            request["KeyConditions"] = kc
            if threshold is not None:
                request["QueryFilter"] = {
                    "v": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": str(threshold)}]}
                }
        else:
            eav = {":p": {"S": "p"}}
            text = "pk = :p"
            if op == "BETWEEN":
                text += " AND sk BETWEEN :a AND :b"
                eav.update({":a": {"N": str(lo)}, ":b": {"N": str(hi)}})
            elif op:
                text += " AND sk %s :a" % op
                eav[":a"] = {"N": str(a)}
            if threshold is not None:
                request["FilterExpression"] = "v >= :t"
                eav[":t"] = {"N": str(threshold)}
            request.update(KeyConditionExpression=text, ExpressionAttributeValues=eav)
        got_pages = pages(ddb.query, **request)
        got = [int(i["sk"]["N"]) for p in got_pages for i in p["Items"]]
        read = [x for x in sks if in_range(x)]
        want = [x for x in read if threshold is None or (x + 20) % 7 >= threshold]
        assert got == (want if forward else want[::-1])
        assert sum(p["ScannedCount"] for p in got_pages) == len(read)
        if limit:
            assert all(p["ScannedCount"] == limit for p in got_pages[:-1])
            assert len(got_pages) == len(read) // limit + 1

    check()


# =========================================================================================================
# Secondary indexes: LSI and GSI (KEYS_ONLY / INCLUDE / ALL), sparse, pagination with the index key
# =========================================================================================================

INDEXED = "indexed"


def make_indexed(ddb):
    create(
        ddb,
        INDEXED,
        lsis=[("byLsi", ("l", "N"), "KEYS_ONLY"), ("byLAll", ("l2", "S"), "ALL")],
        gsis=[
            ("gAll", ("g", "S"), ("gr", "N"), "ALL"),
            ("gKeys", ("g", "S"), ("gr", "N"), "KEYS_ONLY"),
            ("gInc", ("g", "S"), None, ["INCLUDE", "x"]),
            ("gBin", ("gb", "B"), ("gbr", "B"), "ALL"),
        ],
    )
    items = []
    for i in range(30):
        item = {
            "pk": {"S": "p%d" % (i % 3)},
            "sk": {"S": "s%02d" % i},
            "x": {"S": "x%d" % i},
            "y": {"N": str(i)},
        }
        if i % 4:
            item["l"] = {"N": str((i * 7) % 11 - 5)}  # duplicates; some items have no l
            item["l2"] = {"S": "v%d" % (i % 5)}
        if i % 5:
            item["g"] = {"S": "G%d" % (i % 2)}
            item["gr"] = {"N": str(i % 6)}  # duplicate GSI range values
        if i % 3 == 0:
            item["gb"] = {"B": bytes([0, i % 2])}
            item["gbr"] = {"B": bytes([i % 4, 0, 255])}
        items.append(item)
    put_all(ddb, INDEXED, items)
    return items


def table_key(item):
    return (item["pk"]["S"], item["sk"]["S"])


def test_lsi_keys_only_returns_index_entries_in_index_order_and_sparse(ddb):
    items = make_indexed(ddb)
    got = strip(
        ddb.query(
            TableName=INDEXED,
            IndexName="byLsi",
            KeyConditionExpression="pk = :p AND l > :v",
            ExpressionAttributeValues={":p": {"S": "p1"}, ":v": {"N": "-3"}},
        )
    )
    want = sorted(
        (i for i in items if i["pk"]["S"] == "p1" and "l" in i and Decimal(i["l"]["N"]) > -3),
        key=lambda i: (Decimal(i["l"]["N"]), i["sk"]["S"]),
    )
    assert got["Items"] == [{"pk": i["pk"], "sk": i["sk"], "l": i["l"]} for i in want]
    assert got["Count"] == got["ScannedCount"] == len(want) > 0


def test_lsi_select_all_attributes_fetches_the_table_item_and_charges_both(ddb):
    items = make_indexed(ddb)
    got = strip(
        ddb.query(
            TableName=INDEXED,
            IndexName="byLsi",
            Select="ALL_ATTRIBUTES",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "p2"}},
            ReturnConsumedCapacity="INDEXES",
            ConsistentRead=True,
        )
    )
    want = sorted(
        (i for i in items if i["pk"]["S"] == "p2" and "l" in i),
        key=lambda i: (Decimal(i["l"]["N"]), i["sk"]["S"]),
    )
    assert got["Items"] == want
    # the index entries are one contiguous read (1 unit); each of the 8 items fetched from the table is
    # rounded up on its own (DynamoDB Local computeCapacityRandom)
    assert got["ConsumedCapacity"] == {
        "TableName": INDEXED,
        "CapacityUnits": 9.0,
        "Table": {"CapacityUnits": 8.0},
        "LocalSecondaryIndexes": {"byLsi": {"CapacityUnits": 1.0}},
    }


def test_lsi_projection_of_an_attribute_it_does_not_hold_is_read_from_the_table(ddb):
    items = make_indexed(ddb)
    got = strip(
        ddb.query(
            TableName=INDEXED,
            IndexName="byLsi",
            ProjectionExpression="y, l",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "p0"}},
        )
    )
    want = sorted(
        (i for i in items if i["pk"]["S"] == "p0" and "l" in i),
        key=lambda i: (Decimal(i["l"]["N"]), i["sk"]["S"]),
    )
    assert got["Items"] == [{"y": i["y"], "l": i["l"]} for i in want]


def test_a_filter_on_an_index_may_name_only_attributes_it_projects(ddb):
    items = make_indexed(ddb)
    request = {"TableName": INDEXED, "KeyConditionExpression": "pk = :p", "IndexName": "byLsi"}
    assert fails(
        ddb.query,
        **request,
        FilterExpression="y >= :y AND x = :x OR attribute_exists(l2)",
        ExpressionAttributeValues={":p": {"S": "p0"}, ":y": {"N": "12"}, ":x": {"S": "a"}},
    ) == (
        "ValidationException",
        "One or more parameter values were invalid: Secondary index byLsi does not project one or more "
        "filter attributes: [l2, x, y]",
    )
    got = strip(
        ddb.query(
            **dict(request, IndexName="byLAll"),
            FilterExpression="y >= :y",
            ExpressionAttributeValues={":p": {"S": "p0"}, ":y": {"N": "12"}},
        )
    )
    assert {table_key(i) for i in got["Items"]} == {
        table_key(i) for i in items if i["pk"]["S"] == "p0" and "l2" in i and int(i["y"]["N"]) >= 12
    }


@pytest.mark.parametrize(
    "index, projected", [("gAll", None), ("gKeys", {"pk", "sk", "g", "gr"}), ("gInc", {"pk", "sk", "g", "x"})]
)
def test_gsi_returns_its_projection_sparse(ddb, index, projected):
    items = make_indexed(ddb)
    got = all_items(
        ddb.query,
        TableName=INDEXED,
        IndexName=index,
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "G1"}},
        Limit=4,
    )
    want = [i for i in items if i.get("g") == {"S": "G1"}]
    assert len(got) == len(want) and {table_key(i) for i in got} == {table_key(i) for i in want}
    by_key = {table_key(i): i for i in want}
    for entry in got:
        full = by_key[table_key(entry)]
        assert entry == (full if projected is None else {k: v for k, v in full.items() if k in projected})
    if index != "gInc":
        assert [Decimal(i["gr"]["N"]) for i in got] == sorted(Decimal(i["gr"]["N"]) for i in got)


def test_gsi_pagination_with_duplicate_index_keys_returns_each_item_once_both_directions(ddb):
    items = make_indexed(ddb)

    @SETTINGS
    @given(
        op=st.sampled_from(["=", "<", "<=", ">", ">=", "BETWEEN", None]),
        a=st.integers(-1, 6),
        b=st.integers(-1, 6),
        limit=st.integers(1, 5),
        forward=st.booleans(),
        index=st.sampled_from(["gAll", "gKeys"]),
    )
    def check(op, a, b, limit, forward, index):
        lo, hi = min(a, b), max(a, b)
        eav = {":g": {"S": "G0"}}
        text = "g = :g"
        if op == "BETWEEN":
            text += " AND gr BETWEEN :a AND :b"
            eav.update({":a": {"N": str(lo)}, ":b": {"N": str(hi)}})
        elif op:
            text += " AND gr %s :a" % op
            eav[":a"] = {"N": str(a)}
        got_pages = pages(
            ddb.query,
            TableName=INDEXED,
            IndexName=index,
            KeyConditionExpression=text,
            ExpressionAttributeValues=eav,
            Limit=limit,
            ScanIndexForward=forward,
        )
        got = [i for p in got_pages for i in p["Items"]]
        test = {
            None: lambda x: True,
            "=": lambda x: x == a,
            "<": lambda x: x < a,
            "<=": lambda x: x <= a,
            ">": lambda x: x > a,
            ">=": lambda x: x >= a,
            "BETWEEN": lambda x: lo <= x <= hi,
        }[op]
        want = [i for i in items if i.get("g") == {"S": "G0"} and test(int(i["gr"]["N"]))]
        assert sorted(table_key(i) for i in got) == sorted(table_key(i) for i in want)
        grs = [int(i["gr"]["N"]) for i in got]
        assert grs == sorted(grs, reverse=not forward)
        for p in got_pages:
            if "LastEvaluatedKey" in p:
                assert set(p["LastEvaluatedKey"]) == {"pk", "sk", "g", "gr"}

    check()


def test_gsi_binary_keys_with_zero_and_ff_bytes_range_and_begins_with(ddb):
    items = make_indexed(ddb)
    with_b = [i for i in items if "gb" in i and i["gb"]["B"] == b"\x00\x01"]
    got = strip(
        ddb.query(
            TableName=INDEXED,
            IndexName="gBin",
            KeyConditionExpression="gb = :b AND begins_with(gbr, :p)",
            ExpressionAttributeValues={":b": {"B": b"\x00\x01"}, ":p": {"B": b"\x01\x00"}},
        )
    )
    assert {table_key(i) for i in got["Items"]} == {table_key(i) for i in with_b if i["gbr"]["B"][0] == 1}
    got = strip(
        ddb.query(
            TableName=INDEXED,
            IndexName="gBin",
            ScanIndexForward=False,
            KeyConditionExpression="gb = :b AND gbr <= :p",
            ExpressionAttributeValues={":b": {"B": b"\x00\x01"}, ":p": {"B": b"\x01\x00\xff"}},
        )
    )
    want = [i for i in with_b if i["gbr"]["B"] <= b"\x01\x00\xff"]
    assert sorted(table_key(i) for i in got["Items"]) == sorted(table_key(i) for i in want)
    assert [bytes(i["gbr"]["B"]) for i in got["Items"]] == sorted((i["gbr"]["B"] for i in want), reverse=True)


def test_index_query_capacity_is_charged_to_the_index(ddb):
    make_indexed(ddb)
    got = strip(
        ddb.query(
            TableName=INDEXED,
            IndexName="gAll",
            KeyConditionExpression="g = :g",
            ExpressionAttributeValues={":g": {"S": "G0"}},
            ReturnConsumedCapacity="INDEXES",
        )
    )
    # dynalite test/query.js ("should query on basic hash global index", recorded against DynamoDB)
    assert got["ConsumedCapacity"] == {
        "TableName": INDEXED,
        "CapacityUnits": 0.5,
        "Table": {"CapacityUnits": 0.0},
        "GlobalSecondaryIndexes": {"gAll": {"CapacityUnits": 0.5}},
    }
    got = strip(
        ddb.query(
            TableName=INDEXED,
            IndexName="byLAll",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "p0"}},
            ReturnConsumedCapacity="TOTAL",
        )
    )
    assert got["ConsumedCapacity"] == {"TableName": INDEXED, "CapacityUnits": 0.5}


# =========================================================================================================
# Select, Count, ProjectionExpression, AttributesToGet
# =========================================================================================================


def test_select_count_projection_and_attributes_to_get(ddb):
    make_indexed(ddb)
    base = {
        "TableName": INDEXED,
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "p0"}},
    }
    got = strip(ddb.query(**base, Select="COUNT"))
    assert got == {"Count": 10, "ScannedCount": 10}
    got = strip(
        ddb.query(
            **dict(
                base,
                FilterExpression="y > :y",
                ExpressionAttributeValues={":p": {"S": "p0"}, ":y": {"N": "20"}},
            ),
            Select="COUNT",
            Limit=8,
        )
    )
    assert got == {"Count": 1, "ScannedCount": 8, "LastEvaluatedKey": {"pk": {"S": "p0"}, "sk": {"S": "s21"}}}
    got = strip(ddb.query(**base, Select="SPECIFIC_ATTRIBUTES", ProjectionExpression="x, nope", Limit=2))
    assert got["Items"] == [{"x": {"S": "x0"}}, {"x": {"S": "x3"}}]
    got = strip(
        ddb.query(
            TableName=INDEXED,
            KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p0"}]}},
            AttributesToGet=["y", "sk"],
            Limit=1,
        )
    )
    assert got["Items"] == [{"sk": {"S": "s00"}, "y": {"N": "0"}}]
    got = strip(
        ddb.query(
            TableName=INDEXED,
            IndexName="gKeys",
            Select="ALL_PROJECTED_ATTRIBUTES",
            KeyConditionExpression="g = :g AND gr = :r",
            Limit=1,
            ExpressionAttributeValues={":g": {"S": "G1"}, ":r": {"N": "1"}},
        )
    )
    assert set(got["Items"][0]) == {"pk", "sk", "g", "gr"}


def test_legacy_query_filter_with_or_and_key_conditions(ddb):
    make_indexed(ddb)
    got = strip(
        ddb.query(
            TableName=INDEXED,
            KeyConditions={
                "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p1"}]},
                "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"S": "s04"}, {"S": "s19"}]},
            },
            QueryFilter={
                "y": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "8"}]},
                "x": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x19"}]},
            },
            ConditionalOperator="OR",
            ScanIndexForward=False,
        )
    )
    assert [i["sk"]["S"] for i in got["Items"]] == ["s19", "s07", "s04"]
    assert (got["Count"], got["ScannedCount"]) == (3, 6)


# =========================================================================================================
# The 1 MB page and ConsumedCapacity
# =========================================================================================================


def test_one_mb_page_is_measured_before_the_filter(ddb):
    create(ddb, "big", range_key=("sk", "N"))
    blob = "x" * 100_000
    put_all(ddb, "big", [{"pk": {"S": "p"}, "sk": {"N": str(i)}, "d": {"S": blob}} for i in range(15)])
    request = {
        "TableName": "big",
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "p"}},
    }
    first = strip(ddb.query(**request, ReturnConsumedCapacity="TOTAL"))
    # 10 items are < 1 MB, the 11th reaches it: it is read, returned, and is the LastEvaluatedKey
    assert first["Count"] == first["ScannedCount"] == 11
    assert first["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "10"}}
    assert first["ConsumedCapacity"] == {"TableName": "big", "CapacityUnits": 134.5}  # ceil(1,100,087/4096)/2
    second = strip(ddb.query(**request, ExclusiveStartKey=first["LastEvaluatedKey"]))
    assert (second["Count"], "LastEvaluatedKey" in second) == (4, False)
    filtered = strip(
        ddb.query(
            **dict(
                request,
                FilterExpression="size(d) < :z",
                ExpressionAttributeValues={":p": {"S": "p"}, ":z": {"N": "1"}},
            )
        )
    )
    assert (filtered["Count"], filtered["ScannedCount"]) == (0, 11)
    assert filtered["LastEvaluatedKey"] == {"pk": {"S": "p"}, "sk": {"N": "10"}}
    backward = strip(ddb.query(**request, ScanIndexForward=False, Select="COUNT"))
    assert backward == {
        "Count": 11,
        "ScannedCount": 11,
        "LastEvaluatedKey": {"pk": {"S": "p"}, "sk": {"N": "4"}},
    }


def test_capacity_is_the_rounded_sum_of_item_sizes_read_whatever_the_filter_and_projection(ddb):
    create(ddb, "cap", range_key=("sk", "S"))
    put_all(
        ddb,
        "cap",
        [
            {
                "pk": {"S": "p"},
                "sk": {"S": "s%d" % i},
                "keep": {"S": "yes" if i == 0 else "no"},
                "filler": {"S": "x" * 1000},
            }
            for i in range(6)
        ],
    )
    base = {
        "TableName": "cap",
        "KeyConditionExpression": "pk = :p",
        "ReturnConsumedCapacity": "TOTAL",
        "ExpressionAttributeValues": {":p": {"S": "p"}},
    }
    # 6 items of 1,022 bytes: 6,132 bytes -> 2 units of 4 KB -> 1.0 eventually consistent, 2.0 consistent
    assert ddb.query(**base)["ConsumedCapacity"] == {"TableName": "cap", "CapacityUnits": 1.0}
    assert ddb.query(**base, ConsistentRead=True)["ConsumedCapacity"]["CapacityUnits"] == 2.0
    filtered = ddb.query(
        **dict(
            base,
            FilterExpression="keep = :k",
            ExpressionAttributeValues={":p": {"S": "p"}, ":k": {"S": "yes"}},
        )
    )
    assert (filtered["Count"], filtered["ConsumedCapacity"]["CapacityUnits"]) == (1, 1.0)
    assert ddb.query(**base, ProjectionExpression="sk")["ConsumedCapacity"]["CapacityUnits"] == 1.0
    assert ddb.query(**base, Limit=1)["ConsumedCapacity"]["CapacityUnits"] == 0.5
    indexes = ddb.query(**dict(base, ReturnConsumedCapacity="INDEXES"))["ConsumedCapacity"]
    assert indexes == {"TableName": "cap", "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}
    # nothing read costs nothing (DynamoDB Local computeCapacityContiguous, dynalite queryTable)
    empty = ddb.query(**dict(base, ExpressionAttributeValues={":p": {"S": "none"}}))
    assert empty["ConsumedCapacity"] == {"TableName": "cap", "CapacityUnits": 0.0}
    assert "ConsumedCapacity" not in ddb.query(**dict(base, ReturnConsumedCapacity="NONE"))


# =========================================================================================================
# Errors: every text, in DynamoDB's order
# =========================================================================================================


@pytest.fixture
def errs(ddb):
    make_indexed(ddb)
    create(ddb, "hashtbl", range_key=None)
    create(ddb, "numtbl", range_key=("sk", "N"))
    return ddb


def q(**request):
    base = {
        "TableName": INDEXED,
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "p0"}},
    }
    base.update(request)
    return base


def kc(**conditions):
    out = {}
    for name, (op, *values) in conditions.items():
        out[name] = {"ComparisonOperator": op}
        if values:
            out[name]["AttributeValueList"] = values
    return out


QUERY_ERRORS = [
    # the table and the index
    (q(TableName="nope"), "Requested resource not found", "ResourceNotFoundException"),
    (q(IndexName="nope"), "The table does not have the specified index: nope"),
    (
        q(IndexName="gAll", KeyConditionExpression="g = :p", ConsistentRead=True),
        "Consistent reads are not supported on global secondary indexes",
    ),
    (
        q(IndexName="gKeys", KeyConditionExpression="g = :p", Select="ALL_ATTRIBUTES"),
        "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global "
        "secondary index gKeys because its projection type is not ALL",
    ),
    (
        q(IndexName="gInc", KeyConditionExpression="g = :p", ProjectionExpression="x, y, pk, z"),
        "One or more parameter values were invalid: Global secondary index gInc does not project [y, z]",
    ),
    # Select
    (
        q(Select="SPECIFIC_ATTRIBUTES"),
        "1 validation error detected: Must specify the AttributesToGet or "
        "ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
    ),
    (
        q(Select="ALL_ATTRIBUTES", ProjectionExpression="x"),
        "1 validation error detected: Cannot specify the ProjectionExpression when choosing to get"
        " ALL_ATTRIBUTES",
    ),
    (
        q(Select="ALL_PROJECTED_ATTRIBUTES", ProjectionExpression="x"),
        "1 validation error detected: Cannot "
        "specify the ProjectionExpression when choosing to get ALL_PROJECTED_ATTRIBUTES",
    ),
    (
        q(Select="COUNT", ProjectionExpression="x"),
        "1 validation error detected: Cannot specify the ProjectionExpression when choosing to get"
        " only the Count",
    ),
    (
        dict(
            TableName=INDEXED, KeyConditions=kc(pk=("EQ", {"S": "a"})), Select="COUNT", AttributesToGet=["x"]
        ),
        "1 validation error detected: Cannot specify the AttributesToGet when choosing to get only the Count",
    ),
    (
        q(Select="ALL_PROJECTED_ATTRIBUTES"),
        "1 validation error detected: ALL_PROJECTED_ATTRIBUTES can be used only when Querying using"
        " an IndexName",
    ),
    # key conditions
    (
        dict(TableName=INDEXED),
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
    ),
    (q(KeyConditionExpression="sk = :p"), "Query condition missed key schema element: pk"),
    (q(KeyConditionExpression="x = :p"), "Query condition missed key schema element: pk"),
    (q(KeyConditionExpression="pk > :p"), "Query key condition not supported"),
    (
        q(TableName="hashtbl", KeyConditionExpression="pk = :p AND sk = :p"),
        "Query key condition not supported",
    ),
    (q(KeyConditionExpression="pk = :p AND x = :p"), "Query condition missed key schema element: sk"),
    (
        q(ExpressionAttributeValues={":p": {"N": "1"}}),
        "One or more parameter values were invalid: Condition parameter type does not match schema type",
    ),
    (
        q(
            TableName="numtbl",
            KeyConditionExpression="pk = :p AND begins_with(sk, :n)",
            ExpressionAttributeValues={":p": {"S": "p"}, ":n": {"N": "1"}},
        ),
        "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator"
        " or function: "
        "begins_with, operand type: N",
    ),
    (
        q(KeyConditionExpression="pk = :p OR sk = :p"),
        "Invalid KeyConditionExpression: Invalid operator used in KeyConditionExpression: OR",
    ),
    (q(KeyConditionExpression="pk = :p AND sk = :p AND x = :p"), "Conditions can be of length 1 or 2 only"),
    (
        dict(TableName=INDEXED, KeyConditions=kc(pk=("EQ", {"S": "a"}), sk=("EQ", {"S": "a"}), x=("NULL",))),
        "Conditions can be of length 1 or 2 only",
    ),
    (
        dict(TableName="hashtbl", KeyConditions=kc(pk=("NULL",))),
        "Attempted conditional constraint is not an indexable operation",
    ),
    (
        dict(TableName=INDEXED, KeyConditions=kc(pk=("EQ", {"S": "a"}), sk=("NE", {"S": "a"}))),
        "Attempted conditional constraint is not an indexable operation",
    ),
    (dict(TableName=INDEXED, KeyConditions=kc(x=("NULL",))), "Query condition missed key schema element: pk"),
    (
        dict(TableName=INDEXED, KeyConditions=kc(pk=("EQ", {"S": "a"}), x=("NULL",))),
        "Query condition missed key schema element: sk",
    ),
    (
        dict(TableName=INDEXED, KeyConditions=kc(pk=("BEGINS_WITH", {"S": "a"}))),
        "Query key condition not supported",
    ),
    (
        dict(TableName=INDEXED, KeyConditions=kc(pk=("EQ", {"N": "1"}))),
        "One or more parameter values were invalid: Condition parameter type does not match schema type",
    ),
    (
        dict(TableName=INDEXED, IndexName="gAll", KeyConditions=kc(pk=("EQ", {"S": "a"}))),
        "Query condition missed key schema element: g",
    ),
    # legacy condition lists (dynalite validations/index.js validateConditions)
    (
        dict(TableName=INDEXED, KeyConditions=kc(pk=("EQ",))),
        "One or more parameter values were invalid: Invalid number of argument(s) for the EQ"
        " ComparisonOperator",
    ),
    (
        dict(
            TableName=INDEXED, KeyConditions=kc(pk=("EQ", {"S": "a"})), QueryFilter=kc(x=("NULL", {"S": "a"}))
        ),
        "One or more parameter values were invalid: Invalid number of argument(s) for the NULL"
        " ComparisonOperator",
    ),
    (
        dict(
            TableName=INDEXED,
            KeyConditions=kc(pk=("EQ", {"S": "a"})),
            QueryFilter=kc(x=("LE", {"SS": ["a"]})),
        ),
        "One or more parameter values were invalid: ComparisonOperator LE is not valid for SS"
        " AttributeValue type",
    ),
    (
        dict(
            TableName=INDEXED,
            KeyConditions=kc(pk=("EQ", {"S": "a"})),
            QueryFilter=kc(x=("BETWEEN", {"S": "a"}, {"N": "1"})),
        ),
        "One or more parameter values were invalid: AttributeValues inside AttributeValueList must"
        " be of same type",
    ),
    (
        dict(
            TableName=INDEXED,
            KeyConditions=kc(pk=("EQ", {"S": "a"})),
            QueryFilter=kc(x=("BETWEEN", {"N": "10"}, {"N": "9"})),
        ),
        "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
    ),
    (
        dict(TableName=INDEXED, KeyConditions=kc(pk=("EQ", {"S": "a"})), AttributesToGet=["x", "y", "x"]),
        "One or more parameter values were invalid: Duplicate value in attribute name: x",
    ),
    (
        dict(TableName=INDEXED, KeyConditions=kc(pk=("EQ", {"S": "a"})), ConditionalOperator="OR"),
        "ConditionalOperator cannot be used without Filter or Expected",
    ),
    (
        dict(
            TableName=INDEXED,
            KeyConditions=kc(pk=("EQ", {"S": "a"})),
            QueryFilter=kc(x=("NULL",)),
            ConditionalOperator="AND",
        ),
        "ConditionalOperator can only be used when Filter or Expected has two or more elements",
    ),
    # filters and paths
    (
        q(FilterExpression="sk = :p"),
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: sk",
    ),
    (
        q(
            FilterExpression="x = :p OR size(pk) > :n",
            ExpressionAttributeValues={":p": {"S": "a"}, ":n": {"N": "1"}},
        ),
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: pk",
    ),
    (
        q(
            IndexName="gAll",
            KeyConditionExpression="g = :p",
            FilterExpression="gr = :n",
            ExpressionAttributeValues={":p": {"S": "a"}, ":n": {"N": "1"}},
        ),
        "Filter Expression can only contain non-primary key attributes: Primary key attribute: gr",
    ),
    (
        dict(TableName=INDEXED, KeyConditions=kc(pk=("EQ", {"S": "a"})), QueryFilter=kc(pk=("NOT_NULL",))),
        "QueryFilter can only contain non-primary key attributes: Primary key attribute: pk",
    ),
    (
        q(ProjectionExpression="x, sk.a"),
        "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: sk",
    ),
    (
        q(ProjectionExpression="gr[0]"),
        "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed:"
        " IndexKey: gr",
    ),
    # ExclusiveStartKey
    (
        q(ExclusiveStartKey={"pk": {"S": ""}, "sk": {"S": "a"}}),
        "The query can return at most one row and cannot be restarted. The provided starting key is invalid: "
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot"
        " contain an "
        "empty string value. Key: pk",
    ),
    (
        q(ExclusiveStartKey={"pk": {"S": "p0"}, "sk": {"S": ""}}),
        "The provided starting key is invalid: One or more parameter values are not valid. The"
        " AttributeValue "
        "for a key attribute cannot contain an empty string value. Key: sk",
    ),
    (
        q(
            IndexName="gBin",
            KeyConditionExpression="gb = :b",
            ExpressionAttributeValues={":b": {"B": b"\x00"}},
            ExclusiveStartKey={"pk": {"S": "p0"}, "sk": {"S": "a"}, "gb": {"B": b"\x00"}, "gbr": {"B": b""}},
        ),
        "The provided starting key is invalid: One or more parameter values are not valid. A value specified "
        "for a secondary index key is not supported. The AttributeValue for a key attribute cannot"
        " contain an "
        "empty binary value. IndexName: gBin, IndexKey: gbr",
    ),
    (q(ExclusiveStartKey={"bad": {"S": "p"}}), "The provided starting key is invalid"),
    (q(ExclusiveStartKey={"pk": {"S": "p0"}}), "The provided starting key is invalid"),
    (q(ExclusiveStartKey={"pk": {"S": "p0"}, "x": {"S": "a"}}), "The provided starting key is invalid"),
    (
        q(ExclusiveStartKey={"pk": {"S": "p0"}, "sk": {"N": "1"}}),
        "The provided key element does not match the schema",
    ),
    (
        q(ExclusiveStartKey={"pk": {"S": "p1"}, "sk": {"S": "a"}}),
        "The provided starting key is outside query boundaries based on provided conditions",
    ),
    (
        q(
            KeyConditionExpression="pk = :p AND sk > :s",
            ExpressionAttributeValues={":p": {"S": "p0"}, ":s": {"S": "m"}},
            ExclusiveStartKey={"pk": {"S": "p0"}, "sk": {"S": "a"}},
        ),
        "The provided starting key does not match the range key predicate",
    ),
    (
        q(ExclusiveStartKey={"pk": {"S": "p0"}, "sk": {"N": "x1"}}),
        "The provided starting key is invalid: The parameter cannot be converted to a numeric value: x1",
    ),
    (
        q(
            IndexName="byLsi",
            KeyConditionExpression="pk = :p",
            ExclusiveStartKey={"pk": {"S": "p0"}, "sk": {"S": "a"}},
        ),
        "The provided starting key is invalid",
    ),
    (
        q(
            IndexName="byLsi",
            KeyConditionExpression="pk = :p",
            ExclusiveStartKey={"pk": {"S": "p0"}, "sk": {"N": "1"}, "l": {"N": "1"}},
        ),
        "The provided starting key is invalid: The provided key element does not match the schema",
    ),
    (
        q(
            IndexName="gAll",
            KeyConditionExpression="g = :p",
            ExclusiveStartKey={"pk": {"S": "p0"}, "sk": {"S": "a"}, "g": {"N": "1"}, "gr": {"N": "1"}},
        ),
        "The provided key element does not match the schema",
    ),
]


def test_query_errors_have_dynamodbs_exact_texts(errs):
    """Every case on one set of tables (cheap to run); all mismatches are reported together."""
    wrong = []
    for case in QUERY_ERRORS:
        request, message = case[0], case[1]
        code = case[2] if len(case) == 3 else "ValidationException"
        got = fails(errs.query, **request)
        if got != (code, message):
            wrong.append((request, got, (code, message)))
    assert wrong == []


def test_a_backfilling_gsi_cannot_be_read_and_a_deleting_one_is_gone(ddb):
    # pyddb-specific setup: UpdateTable's index creation drives these states; here they are set directly
    make_indexed(ddb)
    model = ddb.model
    t = model.table(INDEXED).copy()
    t.index("gAll").status, t.index("gAll").backfilling = "CREATING", True
    t.index("gKeys").status = "DELETING"
    model.save_table(t)
    request = {
        "TableName": INDEXED,
        "KeyConditionExpression": "g = :g",
        "ExpressionAttributeValues": {":g": {"S": "G1"}},
    }
    assert fails(ddb.query, IndexName="gAll", **request) == (
        "ValidationException",
        "Cannot read from backfilling global secondary index: gAll",
    )
    assert fails(ddb.scan, TableName=INDEXED, IndexName="gAll") == (
        "ValidationException",
        "Cannot read from backfilling global secondary index: gAll",
    )
    assert fails(ddb.query, IndexName="gKeys", **request) == (
        "ValidationException",
        "The table does not have the specified index: gKeys",
    )


def test_boto3_paginators_walk_query_and_scan_pages(ddb):
    create(ddb, "paged", range_key=("sk", "N"))
    put_all(ddb, "paged", [{"pk": {"S": "p"}, "sk": {"N": str(i)}} for i in range(7)])
    query_pages = list(
        ddb.get_paginator("query").paginate(
            TableName="paged",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "p"}},
            PaginationConfig={"PageSize": 3},
        )
    )
    assert [p["Count"] for p in query_pages] == [3, 3, 1]
    scan_pages = list(ddb.get_paginator("scan").paginate(TableName="paged", PaginationConfig={"PageSize": 7}))
    assert [p["Count"] for p in scan_pages] == [7, 0]


def test_lsi_pagination_with_duplicate_sort_values_returns_each_item_once_both_directions(ddb):
    items = make_indexed(ddb)
    for pk in ("p0", "p1", "p2"):
        want = sorted(
            (i for i in items if i["pk"]["S"] == pk and "l" in i),
            key=lambda i: (Decimal(i["l"]["N"]), i["sk"]["S"]),
        )
        for limit in (1, 2, 3):
            for forward in (True, False):
                got_pages = pages(
                    ddb.query,
                    TableName=INDEXED,
                    IndexName="byLsi",
                    KeyConditionExpression="pk = :p AND l BETWEEN :a AND :b",
                    ExpressionAttributeValues={":p": {"S": pk}, ":a": {"N": "-5"}, ":b": {"N": "5"}},
                    Limit=limit,
                    ScanIndexForward=forward,
                )
                got = [table_key(i) for p in got_pages for i in p["Items"]]
                assert got == [table_key(i) for i in (want if forward else want[::-1])]
                assert all(set(p["LastEvaluatedKey"]) == {"pk", "sk", "l"} for p in got_pages[:-1])


def test_an_empty_partition_key_value_is_refused(ddb):
    """DynamoDB: "... cannot contain an empty string value. Key: PK" for Key("PK").eq("") (a capture in
    getmoto/moto#7062), after the schema checks; through an index, the index's partition key is named."""
    create(ddb, "empty_pk", gsis=[("byg", ("g", "B"), None, "ALL")])
    empty = "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain " \
            "an empty %s value. Key: %s"
    assert fails(ddb.query, TableName="empty_pk", KeyConditionExpression="pk = :p",
                 ExpressionAttributeValues={":p": {"S": ""}}) == \
        ("ValidationException", empty % ("string", "pk"))
    assert fails(ddb.query, TableName="empty_pk", IndexName="byg", KeyConditionExpression="g = :g",
                 ExpressionAttributeValues={":g": {"B": b""}}) == \
        ("ValidationException", empty % ("binary", "g"))
    # the schema checks come first
    assert fails(ddb.query, TableName="empty_pk", KeyConditionExpression="pk > :p",
                 ExpressionAttributeValues={":p": {"S": ""}}) == \
        ("ValidationException", "Query key condition not supported")
