"""Scan in DynamoDB's terms: request dicts in, response dicts or ClientErrors (exact Code and Message) out.

Pagination and parallel scan are checked as properties: every item exactly once, across pages and across
segments. Texts and sources: src/pyddb/api/query.py.
"""

import mmh3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_query_helpers import all_items, create, fails, pages, put_all, strip

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
TABLE = "scanned"


def key(item):
    return (item["pk"]["S"], int(item["sk"]["N"]))


@pytest.fixture
def items(ddb):
    create(
        ddb,
        TABLE,
        range_key=("sk", "N"),
        lsis=[("byLsi", ("l", "S"), "KEYS_ONLY")],
        gsis=[("gAll", ("g", "S"), ("gr", "N"), "ALL"), ("gInc", ("g", "S"), None, ["INCLUDE", "v"])],
    )
    out = []
    for i in range(60):
        item = {"pk": {"S": "p%02d" % (i % 17)}, "sk": {"N": str(i)}, "v": {"N": str(i % 5)}}
        if i % 3:
            item["l"] = {"S": "l%d" % (i % 4)}
        if i % 4:
            item["g"] = {"S": "G%d" % (i % 3)}
            item["gr"] = {"N": str(i % 7)}
        out.append(item)
    put_all(ddb, TABLE, out)
    return out


def test_scan_returns_every_item_in_hash_order(ddb, items):
    got = strip(ddb.scan(TableName=TABLE))
    assert (got["Count"], got["ScannedCount"], "LastEvaluatedKey" in got) == (60, 60, False)
    # pyddb's order: the partition's 64-bit murmur3 hash (docs/engine.md), then the key bytes
    order = sorted(items, key=lambda i: (mmh3.hash64(i["pk"]["S"].encode(), signed=False)[0], key(i)))
    assert [key(i) for i in got["Items"]] == [key(i) for i in order]
    assert sorted(map(key, got["Items"])) == sorted(map(key, items))


def test_pagination_returns_every_item_exactly_once_with_limit_filter_and_select(ddb, items):
    @SETTINGS
    @given(
        limit=st.one_of(st.none(), st.integers(1, 13)),
        threshold=st.one_of(st.none(), st.integers(0, 5)),
        legacy=st.booleans(),
        count=st.booleans(),
    )
    def check(limit, threshold, legacy, count):
        request = {"TableName": TABLE}
        if limit:
            request["Limit"] = limit
        if threshold is not None:
            if legacy:
                request["ScanFilter"] = {
                    "v": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": str(threshold)}]}
                }
            else:
                request.update(
                    FilterExpression="v >= :t", ExpressionAttributeValues={":t": {"N": str(threshold)}}
                )
        if count:
            request["Select"] = "COUNT"
        got_pages = pages(ddb.scan, **request)
        want = [i for i in items if threshold is None or int(i["v"]["N"]) >= threshold]
        assert sum(p["Count"] for p in got_pages) == len(want)
        assert sum(p["ScannedCount"] for p in got_pages) == 60
        if count:
            assert all("Items" not in p for p in got_pages)
        else:
            got = [key(i) for p in got_pages for i in p["Items"]]
            assert sorted(got) == sorted(map(key, want)) and len(set(got)) == len(got)
        if limit:
            assert [p["ScannedCount"] for p in got_pages] == [limit] * (60 // limit) + [60 % limit]

    check()


def test_parallel_scan_segments_are_disjoint_and_complete(ddb, items):
    @SETTINGS
    @given(total=st.integers(1, 9), limit=st.one_of(st.none(), st.integers(1, 7)))
    def check(total, limit):
        seen = []
        for segment in range(total):
            request = {"TableName": TABLE, "Segment": segment, "TotalSegments": total}
            if limit:
                request["Limit"] = limit
            got = [key(i) for i in all_items(ddb.scan, **request)]
            for pk, _ in got:  # the segment of an item is the hash range its partition key falls in
                h = mmh3.hash64(pk.encode(), signed=False)[0]
                assert segment * 2**64 // total <= h < (segment + 1) * 2**64 // total
            seen += got
        assert sorted(seen) == sorted(map(key, items)) and len(set(seen)) == len(seen)

    check()


def test_parallel_scan_of_an_index_covers_it_once(ddb, items):
    seen = []
    for segment in range(4):
        seen += all_items(
            ddb.scan, TableName=TABLE, IndexName="gAll", Segment=segment, TotalSegments=4, Limit=3
        )
    assert sorted(map(key, seen)) == sorted(key(i) for i in items if "g" in i)


@pytest.mark.parametrize(
    "index, present, projected",
    [
        ("byLsi", "l", {"pk", "sk", "l"}),
        ("gAll", "g", None),
        ("gInc", "g", {"pk", "sk", "g", "v"}),
    ],
)
def test_index_scan_walks_the_index_keyspace_sparse_with_its_projection(
    ddb, items, index, present, projected
):
    got_pages = pages(ddb.scan, TableName=TABLE, IndexName=index, Limit=4)
    got = [i for p in got_pages for i in p["Items"]]
    want = {key(i): i for i in items if present in i}
    assert sorted(map(key, got)) == sorted(want)
    for entry in got:
        full = want[key(entry)]
        assert entry == (full if projected is None else {k: v for k, v in full.items() if k in projected})
    index_keys = {"byLsi": {"pk", "l"}, "gAll": {"g", "gr"}, "gInc": {"g"}}[index]
    for p in got_pages[:-1]:
        assert set(p["LastEvaluatedKey"]) == {"pk", "sk"} | index_keys


def test_scan_filter_may_name_key_attributes_and_capacity_ignores_it(ddb, items):
    got = strip(
        ddb.scan(
            TableName=TABLE,
            FilterExpression="pk = :p AND sk > :s",
            ExpressionAttributeValues={":p": {"S": "p03"}, ":s": {"N": "10"}},
            ReturnConsumedCapacity="INDEXES",
        )
    )
    assert sorted(map(key, got["Items"])) == [("p03", 20), ("p03", 37), ("p03", 54)]
    plain = strip(ddb.scan(TableName=TABLE, ReturnConsumedCapacity="INDEXES"))
    assert got["ConsumedCapacity"] == plain["ConsumedCapacity"]
    assert plain["ConsumedCapacity"]["CapacityUnits"] == 0.5
    assert plain["ConsumedCapacity"]["Table"] == {"CapacityUnits": 0.5}
    index = strip(ddb.scan(TableName=TABLE, IndexName="byLsi", ReturnConsumedCapacity="INDEXES", Limit=1))
    assert index["ConsumedCapacity"] == {
        "TableName": TABLE,
        "CapacityUnits": 0.5,
        "Table": {"CapacityUnits": 0.0},
        "LocalSecondaryIndexes": {"byLsi": {"CapacityUnits": 0.5}},
    }


def test_scan_of_a_keys_only_lsi_with_all_attributes_reads_the_table(ddb, items):
    got = all_items(ddb.scan, TableName=TABLE, IndexName="byLsi", Select="ALL_ATTRIBUTES", Limit=7)
    assert sorted(got, key=key) == sorted((i for i in items if "l" in i), key=key)


def test_one_mb_page(ddb):
    create(ddb, "bigscan", range_key=None)
    put_all(ddb, "bigscan", [{"pk": {"S": "k%02d" % i}, "d": {"S": "x" * 100_000}} for i in range(14)])
    got_pages = pages(ddb.scan, TableName="bigscan", ProjectionExpression="pk")
    assert [p["ScannedCount"] for p in got_pages] == [11, 3]
    assert sorted(i["pk"]["S"] for p in got_pages for i in p["Items"]) == ["k%02d" % i for i in range(14)]


# =========================================================================================================
# Errors
# =========================================================================================================

START_KEY = {"pk": {"S": "p00"}, "sk": {"N": "0"}}


def s(**request):
    return dict({"TableName": TABLE}, **request)


SCAN_ERRORS = [
    (s(TableName="nope"), "Requested resource not found", "ResourceNotFoundException"),
    (s(IndexName="nope"), "The table does not have the specified index: nope"),
    (
        s(IndexName="nope", ExclusiveStartKey={"a": {"S": "b"}}),
        "The table does not have the specified index: nope",
    ),
    (
        s(IndexName="gAll", ConsistentRead=True),
        "Consistent reads are not supported on global secondary indexes",
    ),
    (
        s(IndexName="gInc", Select="ALL_ATTRIBUTES"),
        "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global "
        "secondary index gInc because its projection type is not ALL",
    ),
    (
        s(IndexName="gInc", ProjectionExpression="v, l"),
        "One or more parameter values were invalid: Global secondary index gInc does not project [l]",
    ),
    # Select: Scan's texts are bare (LocalStack's tests run against DynamoDB)
    (
        s(Select="SPECIFIC_ATTRIBUTES"),
        "Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
    ),
    (
        s(Select="COUNT", AttributesToGet=["v"]),
        "Cannot specify the AttributesToGet when choosing to get only the Count",
    ),
    (
        s(Select="ALL_ATTRIBUTES", ProjectionExpression="v"),
        "Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES",
    ),
    (
        s(Select="ALL_PROJECTED_ATTRIBUTES"),
        "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
    ),
    # segments (validation/rules.py)
    (
        s(Segment=1),
        "The TotalSegments parameter is required but was not present in the request when Segment"
        " parameter is present",
    ),
    (
        s(Segment=3, TotalSegments=3),
        "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment:"
        " 3 is not "
        "less than TotalSegments: 3",
    ),
    # ExclusiveStartKey
    (
        s(ExclusiveStartKey={"pk": {"S": "p00"}}),
        "The provided starting key is invalid: The provided key element does not match the schema",
    ),
    (
        s(ExclusiveStartKey={"pk": {"S": "p00"}, "sk": {"S": "0"}}),
        "The provided starting key is invalid: The provided key element does not match the schema",
    ),
    (
        s(ExclusiveStartKey={"pk": {"S": "p00"}, "x": {"N": "0"}}),
        "The provided starting key is invalid: The provided key element does not match the schema",
    ),
    (
        s(ExclusiveStartKey={"pk": {"N": "1"}, "sk": {"N": "0"}}),
        "The provided starting key is invalid: The provided key element does not match the schema",
    ),
    (
        s(ExclusiveStartKey={"pk": {"S": "p00"}, "sk": {"N": "1e999"}}),
        "The provided starting key is invalid: Number overflow. Attempting to store a number with magnitude "
        "larger than supported range",
    ),
    (s(IndexName="gAll", ExclusiveStartKey=START_KEY), "The provided starting key is invalid"),
    (
        s(IndexName="gAll", ExclusiveStartKey=dict(START_KEY, g={"S": "a"}, x={"N": "1"})),
        "The provided starting key is invalid",
    ),
    (
        s(IndexName="gAll", ExclusiveStartKey=dict(START_KEY, g={"N": "1"}, gr={"N": "1"})),
        "The provided key element does not match the schema",
    ),
    (
        s(
            IndexName="gAll",
            ExclusiveStartKey={"pk": {"S": "a"}, "sk": {"S": "a"}, "g": {"S": "1"}, "gr": {"N": "1"}},
        ),
        "The provided starting key is invalid: The provided key element does not match the schema",
    ),
    # filters and projections into key attributes
    (
        s(FilterExpression="attribute_exists(pk.a)"),
        "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: Key: pk",
    ),
    (
        s(ProjectionExpression="g.x"),
        "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed:"
        " IndexKey: g",
    ),
    # legacy ScanFilter and AttributesToGet
    (
        s(ScanFilter={"v": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"N": "1"}]}}),
        "One or more parameter values were invalid: ComparisonOperator BEGINS_WITH is not valid for N "
        "AttributeValue type",
    ),
    (
        s(ScanFilter={"v": {"ComparisonOperator": "IN"}}),
        "One or more parameter values were invalid: Invalid number of argument(s) for the IN"
        " ComparisonOperator",
    ),
    (
        s(AttributesToGet=["v", "v"]),
        "One or more parameter values were invalid: Duplicate value in attribute name: v",
    ),
]


def test_scan_errors_have_dynamodbs_exact_texts(ddb, items):
    wrong = []
    for case in SCAN_ERRORS:
        request, message = case[0], case[1]
        code = case[2] if len(case) == 3 else "ValidationException"
        got = fails(ddb.scan, **request)
        if got != (code, message):
            wrong.append((request, got, (code, message)))
    assert wrong == []


def test_start_key_from_another_segment_is_rejected(ddb, items):
    first = strip(ddb.scan(TableName=TABLE, Segment=1, TotalSegments=2, Limit=1))
    assert fails(
        ddb.scan, TableName=TABLE, Segment=0, TotalSegments=2, ExclusiveStartKey=first["LastEvaluatedKey"]
    ) == (
        "ValidationException",
        "The provided starting key is invalid: Invalid ExclusiveStartKey. Please use ExclusiveStartKey with "
        "correct Segment. TotalSegments: 2 Segment: 0",
    )
    rest = all_items(
        ddb.scan, TableName=TABLE, Segment=1, TotalSegments=2, ExclusiveStartKey=first["LastEvaluatedKey"]
    )
    assert key(first["Items"][0]) not in map(key, rest)
