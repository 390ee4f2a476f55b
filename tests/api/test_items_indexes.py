"""Item writes on a table with local and global secondary indexes, in DynamoDB's own terms: index key
attributes of the wrong type or empty, paths into index keys, and the write capacity each index is charged.
Request dict in, response dict or ClientError out: runs unchanged over HTTP.

SOURCES
  [DYNALITE] architect/dynalite test/putItem.js, test/updateItem.js, test/batchWriteItem.js (recorded against
             DynamoDB): "Type mismatch for Index Key c Expected: S Actual: N IndexName: index\\d", "The update
             expression attempted to update the secondary index key to unsupported type", "Key attributes must
             be scalars; ... IndexKey: d".
  [CONF]     nubo-db/dynamodb-conformance tests/tier1/putItem/indexConsumedCapacity.test.ts (every unit figure
             measured against DynamoDB, eu-west-2, 2026-08-12) and tests/tier2/transactions (the empty index
             key texts).
  Users quoting DynamoDB: "One or more parameter values are not valid. A value specified for a secondary index
  key is not supported. The AttributeValue for a key attribute cannot contain an empty string value.
  IndexName: ..., IndexKey: ..." (moto, several application READMEs).
"""

import pytest

from pyddb.client_errors import ClientError

TABLE = "indexed"
INVALID = "One or more parameter values were invalid: "


def S(v):
    return {"S": v}


def N(v):
    return {"N": v}


@pytest.fixture
def table(ddb):
    ddb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[
            {"AttributeName": n, "AttributeType": t}
            for n, t in (("pk", "S"), ("sk", "S"), ("gsiPk", "S"), ("lsiSk", "S"), ("gn", "N"), ("gb", "B"))
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[
            {
                "IndexName": "gsi-inc",
                "KeySchema": [{"AttributeName": "gsiPk", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["proj"]},
            },
            {
                "IndexName": "gsi-num",
                "KeySchema": [
                    {"AttributeName": "gn", "KeyType": "HASH"},
                    {"AttributeName": "gb", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "lsi1",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "lsiSk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
        ],
    )
    return TABLE


def key(pk):
    return {"pk": S(pk), "sk": S("1")}


def get(ddb, pk):
    return ddb.get_item(TableName=TABLE, Key=key(pk), ConsistentRead=True).get("Item")


def validation(call, **request):
    with pytest.raises(ClientError) as info:
        call(**request)
    err = info.value.response["Error"]
    assert err["Code"] == "ValidationException", err["Message"]
    return err["Message"]


def mismatch(attr, expected, actual, index):
    return INVALID + "Type mismatch for Index Key %s Expected: %s Actual: %s IndexName: %s" % (
        attr,
        expected,
        actual,
        index,
    )


# =========================================================================================================
# Index key values
# =========================================================================================================


class TestIndexKeyValues:
    @pytest.mark.parametrize(
        "attr, value, expected, actual, index",
        [
            ("gsiPk", N("1"), "S", "N", "gsi-inc"),
            ("gsiPk", {"NULL": True}, "S", "NULL", "gsi-inc"),
            ("gsiPk", {"SS": ["a"]}, "S", "SS", "gsi-inc"),
            ("gn", S("1"), "N", "S", "gsi-num"),
            ("gb", S("1"), "B", "S", "gsi-num"),
            ("lsiSk", N("1"), "S", "N", "lsi1"),
            ("lsiSk", {"M": {}}, "S", "M", "lsi1"),
        ],
    )
    def test_put_item_with_a_wrong_typed_index_key_writes_nothing(
        self, ddb, table, attr, value, expected, actual, index
    ):
        ddb.put_item(TableName=TABLE, Item=dict(key("a"), v=S("old")))
        message = validation(ddb.put_item, TableName=TABLE, Item=dict(key("a"), v=S("new"), **{attr: value}))
        assert message == mismatch(attr, expected, actual, index)
        assert get(ddb, "a") == dict(key("a"), v=S("old"))

    @pytest.mark.parametrize(
        "attr, value, index, kind",
        [
            ("gsiPk", S(""), "gsi-inc", "string"),
            ("lsiSk", S(""), "lsi1", "string"),
            ("gb", {"B": b""}, "gsi-num", "binary"),
        ],
    )
    def test_put_item_with_an_empty_index_key(self, ddb, table, attr, value, index, kind):
        message = validation(ddb.put_item, TableName=TABLE, Item=dict(key("a"), **{attr: value}))
        assert message == (
            "One or more parameter values are not valid. A value specified for a secondary index "
            "key is not supported. The AttributeValue for a key attribute cannot contain an empty "
            "%s value. IndexName: %s, IndexKey: %s" % (kind, index, attr)
        )
        assert get(ddb, "a") is None

    def test_items_without_index_keys_are_accepted(self, ddb, table):
        ddb.put_item(TableName=TABLE, Item=dict(key("a"), gn=N("1")))  # gsi-num lacks gb: sparse
        assert get(ddb, "a") == dict(key("a"), gn=N("1"))

    @pytest.mark.parametrize(
        "expression, values, message",
        [
            # [DYNALITE] test/updateItem.js "trying to update wrong type on index": the type is known from the
            # expression, so the check comes before the item is read
            ("SET gsiPk = :n", {":n": N("1")}, mismatch("gsiPk", "S", "N", "gsi-inc")),
            ("SET lsiSk = :n + :n", {":n": N("1")}, mismatch("lsiSk", "S", "N", "lsi1")),
            ("SET lsiSk = list_append(l, l)", None, mismatch("lsiSk", "S", "L", "lsi1")),
            ("ADD gn :s", {":s": {"SS": ["a"]}}, mismatch("gn", "N", "SS", "gsi-num")),
            ("SET x = v ADD gn :ns", {":ns": {"NS": ["1"]}}, mismatch("gn", "N", "NS", "gsi-num")),
            # the type known only from the item: [DYNALITE] "trying to update existing index"
            (
                "SET gsiPk = v",
                None,
                "The update expression attempted to update the secondary index key to unsupported type",
            ),
            (
                "SET gn = if_not_exists(absent, gsiPk)",
                None,
                "The update expression attempted to update the secondary index key to unsupported type",
            ),
            # an empty value: the update's own text, without the index names ([CONF] transactWriteItems)
            (
                "SET gsiPk = :e",
                {":e": S("")},
                "One or more parameter values are not valid. The update expression "
                "attempted to update a secondary index key to a value that is not "
                "supported. The AttributeValue for a key attribute cannot contain "
                "an empty string value.",
            ),
            (
                "SET gb = :e",
                {":e": {"B": b""}},
                "One or more parameter values are not valid. The update expression "
                "attempted to update a secondary index key to a value that is not "
                "supported. The AttributeValue for a key attribute cannot contain "
                "an empty binary value.",
            ),
            # paths into an index key: [DYNALITE] "trying to update index map"
            (
                "SET gsiPk.b = :n",
                {":n": N("1")},
                "Key attributes must be scalars; list random access '[]' and map "
                "lookup '.' are not allowed: IndexKey: gsiPk",
            ),
            (
                "SET x = lsiSk[1]",
                None,
                "Key attributes must be scalars; list random access '[]' and map lookup '.' "
                "are not allowed: IndexKey: lsiSk",
            ),
        ],
    )
    def test_update_item_index_key_checks_change_nothing(self, ddb, table, expression, values, message):
        item = dict(key("a"), v=N("5"), l={"L": []}, gsiPk=S("g"))
        ddb.put_item(TableName=TABLE, Item=item)
        request = dict(TableName=TABLE, Key=key("a"), UpdateExpression=expression)
        if values:
            request["ExpressionAttributeValues"] = values
        assert validation(ddb.update_item, **request) == message
        assert get(ddb, "a") == item

    def test_attribute_updates_index_key_of_the_wrong_type(self, ddb, table):
        ddb.put_item(TableName=TABLE, Item=dict(key("a"), gsiPk=S("g")))
        message = validation(
            ddb.update_item,
            TableName=TABLE,
            Key=key("a"),
            AttributeUpdates={"gsiPk": {"Action": "PUT", "Value": N("3")}},
        )
        assert message == mismatch("gsiPk", "S", "N", "gsi-inc")
        assert get(ddb, "a") == dict(key("a"), gsiPk=S("g"))

    def test_static_type_check_comes_before_the_condition(self, ddb, table):
        message = validation(
            ddb.update_item,
            TableName=TABLE,
            Key=key("none"),
            UpdateExpression="SET gsiPk = :n",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":n": N("1")},
        )
        assert message == mismatch("gsiPk", "S", "N", "gsi-inc")

    def test_projection_and_condition_into_an_index_key(self, ddb, table):
        text = "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: "
        assert (
            validation(ddb.get_item, TableName=TABLE, Key=key("a"), ProjectionExpression="gn.x")
            == text + "IndexKey: gn"
        )
        assert (
            validation(
                ddb.put_item,
                TableName=TABLE,
                Item=key("a"),
                ConditionExpression="attribute_not_exists(lsiSk[0])",
            )
            == text + "IndexKey: lsiSk"
        )
        # the table's own keys are named first
        assert (
            validation(ddb.get_item, TableName=TABLE, Key=key("a"), ProjectionExpression="gsiPk.x, sk.y")
            == text + "Key: sk"
        )

    def test_valid_index_key_updates(self, ddb, table):
        ddb.put_item(TableName=TABLE, Item=dict(key("a"), v=S("from-v"), gn=N("1")))
        ddb.update_item(
            TableName=TABLE,
            Key=key("a"),
            UpdateExpression="SET gsiPk = v, gn = gn + :one, gb = :b",
            ExpressionAttributeValues={":one": N("1"), ":b": {"B": b"\x00"}},
        )
        assert get(ddb, "a") == dict(key("a"), v=S("from-v"), gsiPk=S("from-v"), gn=N("2"), gb={"B": b"\x00"})
        ddb.update_item(TableName=TABLE, Key=key("a"), UpdateExpression="REMOVE gsiPk, gb")
        assert get(ddb, "a") == dict(key("a"), v=S("from-v"), gn=N("2"))


# =========================================================================================================
# Write capacity per index ([CONF] indexConsumedCapacity.test.ts, item for item)
# =========================================================================================================


def arms(response):
    cc = response["ConsumedCapacity"]
    out = {"total": cc["CapacityUnits"], "table": cc["Table"]["CapacityUnits"]}
    for group, short in (("GlobalSecondaryIndexes", "gsi"), ("LocalSecondaryIndexes", "lsi")):
        if group in cc:
            out[short] = {name: entry["CapacityUnits"] for name, entry in cc[group].items()}
            assert all(set(entry) == {"CapacityUnits"} for entry in cc[group].values())
    return out


def put(ddb, **attrs):
    item = dict(key(attrs.pop("pk")), **{k: S(v) for k, v in attrs.items()})
    return ddb.put_item(TableName=TABLE, Item=item, ReturnConsumedCapacity="INDEXES")


class TestIndexWriteCapacity:
    def test_put_reports_the_gsi_write_beside_the_table_write(self, ddb, table):
        assert arms(put(ddb, pk="a", gsiPk="g1", proj="p")) == {
            "total": 2.0,
            "table": 1.0,
            "gsi": {"gsi-inc": 1.0},
        }

    def test_total_folds_in_the_index_writes(self, ddb, table):
        out = ddb.put_item(
            TableName=TABLE, Item=dict(key("a"), gsiPk=S("g2"), proj=S("p")), ReturnConsumedCapacity="TOTAL"
        )
        assert out["ConsumedCapacity"] == {"TableName": TABLE, "CapacityUnits": 2.0}

    def test_a_sparse_write_costs_the_indexes_nothing(self, ddb, table):
        assert arms(put(ddb, pk="a", other="o")) == {"total": 1.0, "table": 1.0}

    def test_lsi_and_both_kinds(self, ddb, table):
        assert arms(put(ddb, pk="a", lsiSk="L1")) == {"total": 2.0, "table": 1.0, "lsi": {"lsi1": 1.0}}
        assert arms(put(ddb, pk="b", gsiPk="g3", lsiSk="L1", proj="p")) == {
            "total": 3.0,
            "table": 1.0,
            "gsi": {"gsi-inc": 1.0},
            "lsi": {"lsi1": 1.0},
        }

    def test_an_identical_overwrite_costs_the_indexes_nothing(self, ddb, table):
        put(ddb, pk="a", gsiPk="g4", lsiSk="L1", proj="p")
        assert arms(put(ddb, pk="a", gsiPk="g4", lsiSk="L1", proj="p")) == {"total": 1.0, "table": 1.0}

    @pytest.fixture
    def seeded(self, ddb, table):
        put(ddb, pk="s", gsiPk="g-ladder", lsiSk="L1", proj="p", other="o")
        return key("s")

    def update(self, ddb, k, expression, values=None, names=None):
        request = dict(TableName=TABLE, Key=k, UpdateExpression=expression, ReturnConsumedCapacity="INDEXES")
        if values:
            request["ExpressionAttributeValues"] = values
        if names:
            request["ExpressionAttributeNames"] = names
        return arms(ddb.update_item(**request))

    def test_update_of_an_attribute_no_gsi_projects(self, ddb, seeded):
        assert self.update(ddb, seeded, "SET #o = :v", {":v": S("o2")}, {"#o": "other"}) == {
            "total": 2.0,
            "table": 1.0,
            "lsi": {"lsi1": 1.0},
        }

    def test_update_of_a_projected_attribute(self, ddb, seeded):
        assert self.update(ddb, seeded, "SET proj = :v", {":v": S("p2")}) == {
            "total": 3.0,
            "table": 1.0,
            "gsi": {"gsi-inc": 1.0},
            "lsi": {"lsi1": 1.0},
        }

    def test_update_of_an_index_key_deletes_and_inserts(self, ddb, seeded):
        assert self.update(ddb, seeded, "SET gsiPk = :v", {":v": S("g-moved")}) == {
            "total": 4.0,
            "table": 1.0,
            "gsi": {"gsi-inc": 2.0},
            "lsi": {"lsi1": 1.0},
        }

    def test_removing_an_index_key_deletes_only(self, ddb, seeded):
        assert self.update(ddb, seeded, "REMOVE gsiPk") == {
            "total": 3.0,
            "table": 1.0,
            "gsi": {"gsi-inc": 1.0},
            "lsi": {"lsi1": 1.0},
        }

    def test_the_same_ladder_on_the_lsi_key(self, ddb, seeded):
        assert self.update(ddb, seeded, "SET lsiSk = :v", {":v": S("L2")}) == {
            "total": 3.0,
            "table": 1.0,
            "lsi": {"lsi1": 2.0},
        }

    def test_delete_charges_each_index_the_item_was_in(self, ddb, table):
        put(ddb, pk="d", gsiPk="g-del", lsiSk="L1", proj="p")
        out = ddb.delete_item(TableName=TABLE, Key=key("d"), ReturnConsumedCapacity="INDEXES")
        assert arms(out) == {"total": 3.0, "table": 1.0, "gsi": {"gsi-inc": 1.0}, "lsi": {"lsi1": 1.0}}
        put(ddb, pk="e", other="o")
        out = ddb.delete_item(TableName=TABLE, Key=key("e"), ReturnConsumedCapacity="INDEXES")
        assert arms(out) == {"total": 1.0, "table": 1.0}

    def test_index_units_follow_the_projected_size(self, ddb, table):
        # an ALL-projected LSI entry is the whole item plus 100 bytes (DynamoDB Local's LSI overhead): a
        # 1000-byte item costs the LSI 2 units; the INCLUDE GSI projects only keys and "proj": 1 unit
        item = dict(key("big"), lsiSk=S("L"), gsiPk=S("g"), proj=S("p"))
        base = sum(len(k) + len(v["S"]) for k, v in item.items())
        item["pad"] = S("x" * (1000 - base - 3))
        out = ddb.put_item(TableName=TABLE, Item=item, ReturnConsumedCapacity="INDEXES")
        assert arms(out) == {"total": 4.0, "table": 1.0, "gsi": {"gsi-inc": 1.0}, "lsi": {"lsi1": 2.0}}
