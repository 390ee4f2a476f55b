"""GetItem, PutItem, UpdateItem, DeleteItem in DynamoDB's own terms: request dict in, response dict or
ClientError out. Nothing here looks below the client, so the same tests run unchanged over HTTP.

This file holds the behaviour of a successful or conditional request: what is stored, what comes back
(Item, Attributes for every ReturnValues, ConsumedCapacity), what a failed condition leaves behind, and what
survives a reopen. The validation errors are in test_items_validation.py, the legacy parameters in
test_items_legacy.py, secondary indexes in test_items_indexes.py.

Expected values are DynamoDB's: ReturnValues shapes and the no-Attributes cases from dynalite's
test/updateItem.js and test/putItem.js (recorded against DynamoDB); capacity from the AWS developer guide
(1 KB write units, 4 KB read units, half for eventually consistent reads, a replace charged for the larger
item) and nubo-db/dynamodb-conformance tests/tier1/*/consumedCapacity.test.ts (measured: single-item
operations report CapacityUnits only, with Table under INDEXES, and no Read/WriteCapacityUnits split).
"""

import pytest

from pyddb.client_errors import ClientError

HASH = "items_hash"
RANGE = "items_range"


def create_table(ddb, name, hash_key=("pk", "S"), range_key=None):
    defs = [{"AttributeName": hash_key[0], "AttributeType": hash_key[1]}]
    schema = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    if range_key:
        defs.append({"AttributeName": range_key[0], "AttributeType": range_key[1]})
        schema.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
    ddb.create_table(
        TableName=name, AttributeDefinitions=defs, KeySchema=schema, BillingMode="PAY_PER_REQUEST"
    )


@pytest.fixture
def table(ddb):
    create_table(ddb, HASH)
    return HASH


@pytest.fixture
def range_table(ddb):
    create_table(ddb, RANGE, ("pk", "S"), ("sk", "N"))
    return RANGE


def fails(call, **request):
    """(code, message, response) of the ClientError `call(**request)` raises."""
    with pytest.raises(ClientError) as info:
        call(**request)
    err = info.value.response["Error"]
    return err["Code"], err["Message"], info.value.response


def body(response):
    """A response without ResponseMetadata (what DynamoDB's JSON body holds)."""
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def get(ddb, table, key):
    return ddb.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


def S(v):
    return {"S": v}


def N(v):
    return {"N": v}


def K(pk):
    return {"pk": S(pk)}


def sized(pk, size, name="data"):
    """An item of exactly `size` bytes by DynamoDB's rules: each attribute counts the UTF-8 bytes of its
    name plus its value, an S value its UTF-8 bytes. {"pk": "<pk>"} is 2 + len(pk) bytes."""
    pad = size - (2 + len(pk)) - len(name)
    assert pad >= 0
    return {"pk": S(pk), name: S("x" * pad)}


CONDITIONAL = ("ConditionalCheckFailedException", "The conditional request failed")


# =========================================================================================================
# GetItem
# =========================================================================================================


class TestGetItem:
    def test_missing_item_returns_no_item_member(self, ddb, table):
        assert body(ddb.get_item(TableName=table, Key=K("nope"))) == {}

    def test_returns_the_stored_item(self, ddb, table):
        item = {
            "pk": S("a"),
            "n": N("1.50"),
            "b": {"B": b"\x00\x01"},
            "t": {"BOOL": False},
            "z": {"NULL": True},
            "m": {"M": {"x": {"L": [S("y"), N("-0")]}}},
            "ss": {"SS": ["q", "r"]},
            "ns": {"NS": ["1", "2.50"]},
            "bs": {"BS": [b"a", b"b"]},
            "e": S(""),
            "eb": {"B": b""},
            "el": {"L": []},
            "em": {"M": {}},
        }
        ddb.put_item(TableName=table, Item=item)
        got = ddb.get_item(TableName=table, Key=K("a"))["Item"]
        # numbers come back in DynamoDB's canonical form
        expected = dict(item, n=N("1.5"), m={"M": {"x": {"L": [S("y"), N("0")]}}}, ns={"NS": ["1", "2.5"]})
        assert got == expected

    def test_consistent_read_returns_the_same_item(self, ddb, table):
        ddb.put_item(TableName=table, Item={"pk": S("a"), "v": N("1")})
        for consistent in (True, False):
            assert ddb.get_item(TableName=table, Key=K("a"), ConsistentRead=consistent)["Item"] == {
                "pk": S("a"),
                "v": N("1"),
            }

    def test_range_table_addresses_items_by_both_keys(self, ddb, range_table):
        for sk in ("1", "2", "10"):
            ddb.put_item(TableName=range_table, Item={"pk": S("a"), "sk": N(sk), "v": S(sk)})
        got = ddb.get_item(TableName=range_table, Key={"pk": S("a"), "sk": N("10")})["Item"]
        assert got == {"pk": S("a"), "sk": N("10"), "v": S("10")}
        # 1E+1 is the same number as 10
        got = ddb.get_item(TableName=range_table, Key={"pk": S("a"), "sk": N("1E+1")})["Item"]
        assert got["v"] == S("10")
        assert "Item" not in ddb.get_item(TableName=range_table, Key={"pk": S("a"), "sk": N("3")})

    def test_projection_expression(self, ddb, table):
        ddb.put_item(
            TableName=table,
            Item={
                "pk": S("a"),
                "x": N("1"),
                "y": N("2"),
                "m": {"M": {"p": S("p"), "q": S("q"), "r": {"L": [N("0"), N("1"), N("2")]}}},
                "l": {"L": [S("l0"), {"M": {"k": S("v"), "w": S("w")}}, S("l2")]},
            },
        )
        out = ddb.get_item(TableName=table, Key=K("a"), ProjectionExpression="x, m.q, m.r[2], l[1].k, nope")
        assert out["Item"] == {
            "x": N("1"),
            "m": {"M": {"q": S("q"), "r": {"L": [N("2")]}}},
            "l": {"L": [{"M": {"k": S("v")}}]},
        }

    def test_projection_with_names_and_of_nothing_present(self, ddb, table):
        ddb.put_item(TableName=table, Item={"pk": S("a"), "name": S("n"), "a.b": S("dotted")})
        out = ddb.get_item(
            TableName=table,
            Key=K("a"),
            ProjectionExpression="#n, #d",
            ExpressionAttributeNames={"#n": "name", "#d": "a.b"},
        )
        assert out["Item"] == {"name": S("n"), "a.b": S("dotted")}
        # a projection that matches nothing of an existing item: an empty Item, not a missing one
        out = ddb.get_item(TableName=table, Key=K("a"), ProjectionExpression="nothing")
        assert body(out) == {"Item": {}}

    def test_list_elements_projected_in_index_order_and_compacted(self, ddb, table):
        ddb.put_item(TableName=table, Item={"pk": S("a"), "l": {"L": [N(str(i)) for i in range(5)]}})
        out = ddb.get_item(TableName=table, Key=K("a"), ProjectionExpression="l[3], l[1], l[9]")
        assert out["Item"] == {"l": {"L": [N("1"), N("3")]}}

    def test_attributes_to_get(self, ddb, table):
        ddb.put_item(TableName=table, Item={"pk": S("a"), "x": N("1"), "y": N("2")})
        out = ddb.get_item(TableName=table, Key=K("a"), AttributesToGet=["y", "pk", "nope"])
        assert out["Item"] == {"pk": S("a"), "y": N("2")}


# =========================================================================================================
# PutItem
# =========================================================================================================


class TestPutItem:
    def test_put_returns_an_empty_body(self, ddb, table):
        assert body(ddb.put_item(TableName=table, Item={"pk": S("a")})) == {}

    def test_put_replaces_the_whole_item(self, ddb, table):
        ddb.put_item(TableName=table, Item={"pk": S("a"), "x": N("1"), "y": N("2")})
        ddb.put_item(TableName=table, Item={"pk": S("a"), "z": N("3")})
        assert get(ddb, table, K("a")) == {"pk": S("a"), "z": N("3")}

    def test_return_values_all_old(self, ddb, table):
        out = ddb.put_item(TableName=table, Item={"pk": S("a"), "x": N("1")}, ReturnValues="ALL_OLD")
        assert body(out) == {}
        out = ddb.put_item(TableName=table, Item={"pk": S("a"), "y": N("2")}, ReturnValues="ALL_OLD")
        assert body(out) == {"Attributes": {"pk": S("a"), "x": N("1")}}
        out = ddb.put_item(TableName=table, Item={"pk": S("a")}, ReturnValues="NONE")
        assert body(out) == {}

    def test_keys_of_every_key_type(self, ddb):
        create_table(ddb, "keys_n", ("pk", "N"), ("sk", "B"))
        item = {"pk": N("-1.5e3"), "sk": {"B": b"\x00\xff"}, "v": S("x")}
        ddb.put_item(TableName="keys_n", Item=item)
        got = get(ddb, "keys_n", {"pk": N("-1500"), "sk": {"B": b"\x00\xff"}})
        assert got == {"pk": N("-1500"), "sk": {"B": b"\x00\xff"}, "v": S("x")}

    def test_key_values_at_their_size_limits_are_accepted(self, ddb, range_table):
        create_table(ddb, "keys_s", ("pk", "S"), ("sk", "S"))
        pk, sk = "p" * 2048, "é" * 512  # 2048 and 1024 UTF-8 bytes
        ddb.put_item(TableName="keys_s", Item={"pk": S(pk), "sk": S(sk)})
        assert get(ddb, "keys_s", {"pk": S(pk), "sk": S(sk)}) == {"pk": S(pk), "sk": S(sk)}

    def test_item_of_exactly_400_kb_is_accepted_and_read_back(self, ddb, table):
        item = sized("a", 409600)
        ddb.put_item(TableName=table, Item=item)
        assert get(ddb, table, K("a")) == item

    def test_38_significant_digits_and_the_range_edges_are_stored_exactly(self, ddb, table):
        values = {
            "d38": "1234567890123456789012345678901234567.8",
            "neg38": "-99999999999999999999999999999999999999",
            "max": "9.9999999999999999999999999999999999999E+125",
            "min": "1E-130",
            "negmin": "-1E-130",
            "trailing": "12345678901234567890123456789012345678000000",  # 38 significant digits
        }
        ddb.put_item(TableName=table, Item=dict({"pk": S("a")}, **{k: N(v) for k, v in values.items()}))
        got = get(ddb, table, K("a"))
        assert got["d38"] == N("1234567890123456789012345678901234567.8")
        assert got["neg38"] == N("-99999999999999999999999999999999999999")
        assert got["max"] == N("99999999999999999999999999999999999999" + "0" * 88)
        assert got["min"] == N("0." + "0" * 129 + "1")
        assert got["negmin"] == N("-0." + "0" * 129 + "1")
        assert got["trailing"] == N("12345678901234567890123456789012345678000000")

    def test_nesting_of_31_maps_around_a_value_is_accepted(self, ddb, table):
        value = S("deep")
        for _ in range(31):
            value = {"M": {"m": value}}
        ddb.put_item(TableName=table, Item={"pk": S("a"), "m": value})
        assert get(ddb, table, K("a"))["m"] == value

    def test_condition_that_holds_writes(self, ddb, table):
        ddb.put_item(TableName=table, Item={"pk": S("a")}, ConditionExpression="attribute_not_exists(pk)")
        ddb.put_item(
            TableName=table,
            Item={"pk": S("a"), "v": N("1")},
            ConditionExpression="attribute_exists(pk) AND size(pk) = :one",
            ExpressionAttributeValues={":one": N("1")},
        )
        assert get(ddb, table, K("a")) == {"pk": S("a"), "v": N("1")}

    def test_failed_condition_changes_nothing(self, ddb, table):
        ddb.put_item(TableName=table, Item={"pk": S("a"), "v": N("1")})
        code, message, response = fails(
            ddb.put_item,
            TableName=table,
            Item={"pk": S("a"), "v": N("2")},
            ConditionExpression="attribute_not_exists(pk)",
        )
        assert (code, message) == CONDITIONAL
        assert "Item" not in response
        assert get(ddb, table, K("a")) == {"pk": S("a"), "v": N("1")}

    def test_failed_condition_returns_the_old_item_when_asked(self, ddb, table):
        ddb.put_item(TableName=table, Item={"pk": S("a"), "v": N("1")})
        code, message, response = fails(
            ddb.put_item,
            TableName=table,
            Item={"pk": S("a"), "v": N("2")},
            ConditionExpression="v = :two",
            ExpressionAttributeValues={":two": N("2")},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        assert (code, message) == CONDITIONAL
        assert response["Item"] == {"pk": S("a"), "v": N("1")}
        assert get(ddb, table, K("a")) == {"pk": S("a"), "v": N("1")}

    def test_failed_condition_on_a_missing_item_has_no_item_even_when_asked(self, ddb, table):
        code, message, response = fails(
            ddb.put_item,
            TableName=table,
            Item={"pk": S("a")},
            ConditionExpression="attribute_exists(pk)",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        assert (code, message) == CONDITIONAL
        assert "Item" not in response
        assert get(ddb, table, K("a")) is None

    def test_return_values_on_condition_check_failure_none(self, ddb, table):
        ddb.put_item(TableName=table, Item={"pk": S("a")})
        _, _, response = fails(
            ddb.put_item,
            TableName=table,
            Item={"pk": S("a")},
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="NONE",
        )
        assert "Item" not in response

    def test_exception_class_is_reachable_through_client_exceptions(self, ddb, table):
        ddb.put_item(TableName=table, Item={"pk": S("a")})
        with pytest.raises(ddb.exceptions.ConditionalCheckFailedException):
            ddb.put_item(TableName=table, Item={"pk": S("a")}, ConditionExpression="attribute_not_exists(pk)")


# =========================================================================================================
# UpdateItem
# =========================================================================================================


def update(ddb, table, key, expression, values=None, names=None, **extra):
    request = dict(TableName=table, Key=key, UpdateExpression=expression, **extra)
    if values is not None:
        request["ExpressionAttributeValues"] = values
    if names is not None:
        request["ExpressionAttributeNames"] = names
    return ddb.update_item(**request)


class TestUpdateItem:
    def test_update_of_a_missing_item_creates_it_with_its_key(self, ddb, range_table):
        key = {"pk": S("a"), "sk": N("1")}
        assert body(update(ddb, range_table, key, "SET v = :v", {":v": S("x")})) == {}
        assert get(ddb, range_table, key) == {"pk": S("a"), "sk": N("1"), "v": S("x")}

    def test_update_without_an_expression_creates_the_key_only_item(self, ddb, table):
        assert body(ddb.update_item(TableName=table, Key=K("a"))) == {}
        assert get(ddb, table, K("a")) == {"pk": S("a")}
        ddb.put_item(TableName=table, Item={"pk": S("b"), "v": N("1")})
        ddb.update_item(TableName=table, Key=K("b"))
        assert get(ddb, table, K("b")) == {"pk": S("b"), "v": N("1")}

    def test_set_remove_add_delete(self, ddb, table):
        ddb.put_item(
            TableName=table,
            Item={
                "pk": S("a"),
                "n": N("10"),
                "gone": S("x"),
                "ss": {"SS": ["a", "b", "c"]},
                "ns": {"NS": ["1"]},
            },
        )
        update(
            ddb,
            table,
            K("a"),
            "SET s = :s, n = n - :one, c = if_not_exists(c, :zero) + :one REMOVE gone "
            "ADD ns :ns, cnt :one, newset :ss DELETE ss :del",
            {
                ":s": S("str"),
                ":one": N("1"),
                ":zero": N("0"),
                ":ns": {"NS": ["2", "1"]},
                ":ss": {"SS": ["z"]},
                ":del": {"SS": ["a", "c", "nope"]},
            },
        )
        got = get(ddb, table, K("a"))
        assert got["s"] == S("str") and got["n"] == N("9") and got["c"] == N("1") and got["cnt"] == N("1")
        assert "gone" not in got
        assert set(got["ns"]["NS"]) == {"1", "2"}
        assert got["ss"] == {"SS": ["b"]}
        assert got["newset"] == {"SS": ["z"]}

    def test_deleting_every_member_of_a_set_removes_the_attribute(self, ddb, table):
        ddb.put_item(TableName=table, Item={"pk": S("a"), "ss": {"SS": ["a"]}})
        update(ddb, table, K("a"), "DELETE ss :a, absent :a", {":a": {"SS": ["a"]}})
        assert get(ddb, table, K("a")) == {"pk": S("a")}

    def test_nested_paths_and_lists(self, ddb, table):
        ddb.put_item(
            TableName=table,
            Item={
                "pk": S("a"),
                "m": {"M": {"x": N("1"), "inn": {"M": {}}}},
                "l": {"L": [S("a"), S("b"), S("c"), S("d")]},
            },
        )
        update(
            ddb,
            table,
            K("a"),
            "SET m.y = :v, m.inn.deep = :v, l[1] = :z, l[10] = :end, tail = list_append(l, :more) "
            "REMOVE m.x, l[0], l[2]",
            {":v": N("5"), ":z": S("z"), ":end": S("end"), ":more": {"L": [S("more")]}},
        )
        got = get(ddb, table, K("a"))
        assert got["m"] == {"M": {"y": N("5"), "inn": {"M": {"deep": N("5")}}}}
        # every action reads the old item: removed indexes are old indexes, l[10] appends
        assert got["l"] == {"L": [S("z"), S("d"), S("end")]}
        assert got["tail"] == {"L": [S("a"), S("b"), S("c"), S("d"), S("more")]}

    def test_set_from_another_attribute_and_arithmetic(self, ddb, table):
        ddb.put_item(
            TableName=table, Item={"pk": S("a"), "x": N("0.1"), "y": N("0.2"), "m": {"M": {"k": S("v")}}}
        )
        update(ddb, table, K("a"), "SET z = x + y, cp = m.k, w = (y - x)")
        got = get(ddb, table, K("a"))
        assert got["z"] == N("0.3") and got["cp"] == S("v") and got["w"] == N("0.1")

    def test_numbers_keep_38_digits_through_arithmetic(self, ddb, table):
        big = "9" * 37
        ddb.put_item(TableName=table, Item={"pk": S("a"), "n": N(big)})
        update(ddb, table, K("a"), "ADD n :one", {":one": N("1")})
        assert get(ddb, table, K("a"))["n"] == N("1" + "0" * 37)
        update(ddb, table, K("a"), "SET n = n - :tiny", {":tiny": N("0.1")})
        assert get(ddb, table, K("a"))["n"] == N("9" * 37 + ".9")

    def test_names_and_values_placeholders(self, ddb, table):
        update(
            ddb,
            table,
            K("a"),
            "SET #s = :s, #m = :m",
            {":s": S("ok"), ":m": {"M": {}}},
            {"#s": "status", "#m": "a.b"},
        )
        assert get(ddb, table, K("a")) == {"pk": S("a"), "status": S("ok"), "a.b": {"M": {}}}

    # --- ReturnValues ---------------------------------------------------------------------------------

    @pytest.fixture
    def item(self, ddb, table):
        ddb.put_item(
            TableName=table,
            Item={
                "pk": S("a"),
                "x": N("1"),
                "keep": S("k"),
                "gone": S("g"),
                "m": {"M": {"p": N("1"), "q": N("2")}},
            },
        )
        return K("a")

    EXPR = "SET x = x + :one, m.p = :v, fresh = :v REMOVE gone"
    VALUES = {":one": N("1"), ":v": S("v")}

    def test_return_values_none(self, ddb, table, item):
        assert body(update(ddb, table, item, self.EXPR, self.VALUES, ReturnValues="NONE")) == {}

    def test_return_values_all_old(self, ddb, table, item):
        out = update(ddb, table, item, self.EXPR, self.VALUES, ReturnValues="ALL_OLD")
        assert body(out) == {
            "Attributes": {
                "pk": S("a"),
                "x": N("1"),
                "keep": S("k"),
                "gone": S("g"),
                "m": {"M": {"p": N("1"), "q": N("2")}},
            }
        }

    def test_return_values_all_new(self, ddb, table, item):
        out = update(ddb, table, item, self.EXPR, self.VALUES, ReturnValues="ALL_NEW")
        assert body(out) == {
            "Attributes": {
                "pk": S("a"),
                "x": N("2"),
                "keep": S("k"),
                "fresh": S("v"),
                "m": {"M": {"p": S("v"), "q": N("2")}},
            }
        }

    def test_return_values_updated_old(self, ddb, table, item):
        out = update(ddb, table, item, self.EXPR, self.VALUES, ReturnValues="UPDATED_OLD")
        # only what the update touched and existed before; nested paths keep their nesting
        assert body(out) == {"Attributes": {"x": N("1"), "gone": S("g"), "m": {"M": {"p": N("1")}}}}

    def test_return_values_updated_new(self, ddb, table, item):
        out = update(ddb, table, item, self.EXPR, self.VALUES, ReturnValues="UPDATED_NEW")
        # removed attributes are not in the new item
        assert body(out) == {"Attributes": {"x": N("2"), "fresh": S("v"), "m": {"M": {"p": S("v")}}}}

    def test_return_values_of_a_created_item(self, ddb, table):
        assert body(update(ddb, table, K("n1"), "SET v = :v", {":v": N("1")}, ReturnValues="ALL_OLD")) == {}
        assert (
            body(update(ddb, table, K("n2"), "SET v = :v", {":v": N("1")}, ReturnValues="UPDATED_OLD")) == {}
        )
        assert body(update(ddb, table, K("n3"), "SET v = :v", {":v": N("1")}, ReturnValues="ALL_NEW")) == {
            "Attributes": {"pk": S("n3"), "v": N("1")}
        }
        assert body(
            update(ddb, table, K("n4"), "SET v = :v", {":v": N("1")}, ReturnValues="UPDATED_NEW")
        ) == {"Attributes": {"v": N("1")}}

    def test_updated_new_of_a_removal_only_update_is_empty(self, ddb, table, item):
        assert body(update(ddb, table, item, "REMOVE gone, nothing", ReturnValues="UPDATED_NEW")) == {}
        # and UPDATED_OLD of attributes that did not exist
        assert body(update(ddb, table, item, "SET n1 = :v", {":v": N("1")}, ReturnValues="UPDATED_OLD")) == {}

    def test_return_values_list_elements(self, ddb, table):
        ddb.put_item(TableName=table, Item={"pk": S("a"), "l": {"L": [N("0"), N("1"), N("2")]}})
        out = update(
            ddb, table, K("a"), "SET l[2] = :v, l[0] = :v", {":v": S("v")}, ReturnValues="UPDATED_OLD"
        )
        assert body(out) == {"Attributes": {"l": {"L": [N("0"), N("2")]}}}
        out = update(ddb, table, K("a"), "SET l[2] = :w", {":w": S("w")}, ReturnValues="UPDATED_NEW")
        assert body(out) == {"Attributes": {"l": {"L": [S("w")]}}}

    def test_return_values_with_attribute_updates(self, ddb, table, item):
        out = ddb.update_item(
            TableName=table,
            Key=item,
            ReturnValues="UPDATED_NEW",
            AttributeUpdates={"x": {"Action": "ADD", "Value": N("5")}, "gone": {"Action": "DELETE"}},
        )
        assert body(out) == {"Attributes": {"x": N("6")}}

    # --- conditions -----------------------------------------------------------------------------------

    def test_condition_on_the_old_item(self, ddb, table, item):
        update(
            ddb, table, item, "SET x = :two", {":two": N("2"), ":one": N("1")}, ConditionExpression="x = :one"
        )
        assert get(ddb, table, item)["x"] == N("2")

    def test_failed_condition_changes_nothing_and_can_return_the_old_item(self, ddb, table, item):
        before = get(ddb, table, item)
        code, message, response = fails(
            ddb.update_item,
            TableName=table,
            Key=item,
            UpdateExpression="SET x = :v REMOVE keep",
            ConditionExpression="x > :v",
            ExpressionAttributeValues={":v": N("5")},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
            ReturnValues="ALL_NEW",
        )
        assert (code, message) == CONDITIONAL
        assert response["Item"] == before
        assert get(ddb, table, item) == before

    def test_failed_condition_on_a_missing_item_creates_nothing(self, ddb, table):
        code, message, response = fails(
            ddb.update_item,
            TableName=table,
            Key=K("none"),
            UpdateExpression="SET x = :v",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":v": N("5")},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        assert (code, message) == CONDITIONAL
        assert "Item" not in response
        assert get(ddb, table, K("none")) is None

    def test_condition_is_checked_before_the_update_is_applied(self, ddb, table, item):
        # the update would fail (x is a number, not a list), but the condition fails first
        code, message, _ = fails(
            ddb.update_item,
            TableName=table,
            Key=item,
            UpdateExpression="SET y = list_append(x, :l)",
            ConditionExpression="attribute_not_exists(x)",
            ExpressionAttributeValues={":l": {"L": []}},
        )
        assert (code, message) == CONDITIONAL


# =========================================================================================================
# DeleteItem
# =========================================================================================================


class TestDeleteItem:
    def test_delete_removes_the_item(self, ddb, table):
        ddb.put_item(TableName=table, Item={"pk": S("a")})
        assert body(ddb.delete_item(TableName=table, Key=K("a"))) == {}
        assert get(ddb, table, K("a")) is None

    def test_delete_of_a_missing_item_succeeds(self, ddb, table):
        assert body(ddb.delete_item(TableName=table, Key=K("none"), ReturnValues="ALL_OLD")) == {}

    def test_return_values_all_old(self, ddb, range_table):
        key = {"pk": S("a"), "sk": N("1")}
        ddb.put_item(TableName=range_table, Item=dict(key, v=S("x")))
        out = ddb.delete_item(TableName=range_table, Key=key, ReturnValues="ALL_OLD")
        assert body(out) == {"Attributes": {"pk": S("a"), "sk": N("1"), "v": S("x")}}
        ddb.put_item(TableName=range_table, Item=key)
        assert body(ddb.delete_item(TableName=range_table, Key=key, ReturnValues="NONE")) == {}

    def test_failed_condition_keeps_the_item(self, ddb, table):
        ddb.put_item(TableName=table, Item={"pk": S("a"), "v": N("1")})
        code, message, response = fails(
            ddb.delete_item,
            TableName=table,
            Key=K("a"),
            ConditionExpression="v <> :one",
            ExpressionAttributeValues={":one": N("1")},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        assert (code, message) == CONDITIONAL
        assert response["Item"] == {"pk": S("a"), "v": N("1")}
        assert get(ddb, table, K("a")) == {"pk": S("a"), "v": N("1")}

    def test_condition_on_a_missing_item_sees_no_attributes(self, ddb, table):
        ddb.delete_item(TableName=table, Key=K("none"), ConditionExpression="attribute_not_exists(pk)")
        code, message, _ = fails(
            ddb.delete_item, TableName=table, Key=K("none"), ConditionExpression="attribute_exists(pk)"
        )
        assert (code, message) == CONDITIONAL


# =========================================================================================================
# ReturnConsumedCapacity
# =========================================================================================================


def capacity(response):
    return response["ConsumedCapacity"]


class TestConsumedCapacity:
    def test_none_and_absent_return_nothing(self, ddb, table):
        assert "ConsumedCapacity" not in ddb.put_item(
            TableName=table, Item={"pk": S("a")}, ReturnConsumedCapacity="NONE"
        )
        assert "ConsumedCapacity" not in ddb.get_item(TableName=table, Key=K("a"))

    def test_total_and_indexes_shapes(self, ddb, table):
        out = ddb.put_item(TableName=table, Item={"pk": S("a")}, ReturnConsumedCapacity="TOTAL")
        assert capacity(out) == {"TableName": table, "CapacityUnits": 1.0}
        out = ddb.put_item(TableName=table, Item={"pk": S("a")}, ReturnConsumedCapacity="INDEXES")
        assert capacity(out) == {"TableName": table, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}
        out = ddb.get_item(TableName=table, Key=K("a"), ReturnConsumedCapacity="INDEXES")
        assert capacity(out) == {"TableName": table, "CapacityUnits": 0.5, "Table": {"CapacityUnits": 0.5}}
        out = ddb.update_item(TableName=table, Key=K("a"), ReturnConsumedCapacity="INDEXES")
        assert capacity(out) == {"TableName": table, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}
        out = ddb.delete_item(TableName=table, Key=K("a"), ReturnConsumedCapacity="INDEXES")
        assert capacity(out) == {"TableName": table, "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}

    @pytest.mark.parametrize(
        "size, units", [(1, 1.0), (1024, 1.0), (1025, 2.0), (4096, 4.0), (409600, 400.0)]
    )
    def test_writes_are_charged_per_started_kilobyte(self, ddb, table, size, units):
        item = {"pk": S("a")} if size == 1 else sized("a", size)
        out = ddb.put_item(TableName=table, Item=item, ReturnConsumedCapacity="TOTAL")
        assert capacity(out)["CapacityUnits"] == units

    @pytest.mark.parametrize(
        "size, strong, eventual",
        [(0, 1.0, 0.5), (3, 1.0, 0.5), (4096, 1.0, 0.5), (4097, 2.0, 1.0), (409600, 100.0, 50.0)],
    )
    def test_reads_are_charged_per_started_4_kilobytes_and_half_when_eventually_consistent(
        self, ddb, table, size, strong, eventual
    ):
        if size:
            ddb.put_item(TableName=table, Item={"pk": S("a")} if size == 3 else sized("a", size))
        for consistent, units in ((True, strong), (False, eventual)):
            out = ddb.get_item(
                TableName=table, Key=K("a"), ConsistentRead=consistent, ReturnConsumedCapacity="TOTAL"
            )
            assert capacity(out) == {"TableName": table, "CapacityUnits": units}

    def test_projection_does_not_reduce_the_read_charge(self, ddb, table):
        ddb.put_item(TableName=table, Item=sized("a", 8192))
        out = ddb.get_item(
            TableName=table,
            Key=K("a"),
            ProjectionExpression="pk",
            ConsistentRead=True,
            ReturnConsumedCapacity="TOTAL",
        )
        assert capacity(out)["CapacityUnits"] == 2.0

    def test_replacing_put_is_charged_for_the_larger_item(self, ddb, table):
        ddb.put_item(TableName=table, Item=sized("a", 3000))
        out = ddb.put_item(TableName=table, Item={"pk": S("a")}, ReturnConsumedCapacity="TOTAL")
        assert capacity(out)["CapacityUnits"] == 3.0
        out = ddb.put_item(TableName=table, Item=sized("a", 2049), ReturnConsumedCapacity="TOTAL")
        assert capacity(out)["CapacityUnits"] == 3.0

    def test_update_is_charged_for_the_larger_of_old_and_new(self, ddb, table):
        ddb.put_item(TableName=table, Item=sized("a", 5000))
        out = update(ddb, table, K("a"), "REMOVE #d", names={"#d": "data"}, ReturnConsumedCapacity="TOTAL")
        assert capacity(out)["CapacityUnits"] == 5.0
        out = update(ddb, table, K("a"), "SET v = :v", {":v": S("x" * 2000)}, ReturnConsumedCapacity="TOTAL")
        assert capacity(out)["CapacityUnits"] == 2.0

    def test_delete_is_charged_for_the_deleted_item(self, ddb, table):
        ddb.put_item(TableName=table, Item=sized("a", 2049))
        out = ddb.delete_item(TableName=table, Key=K("a"), ReturnConsumedCapacity="TOTAL")
        assert capacity(out)["CapacityUnits"] == 3.0
        out = ddb.delete_item(TableName=table, Key=K("a"), ReturnConsumedCapacity="TOTAL")
        assert capacity(out)["CapacityUnits"] == 1.0

    def test_attribute_names_count_in_the_size(self, ddb, table):
        # 2 + 1 (pk) + 1000 (name) + 22 (value) = 1025 bytes: two write units
        item = {"pk": S("a"), "n" * 1000: S("x" * 22)}
        out = ddb.put_item(TableName=table, Item=item, ReturnConsumedCapacity="TOTAL")
        assert capacity(out)["CapacityUnits"] == 2.0


# =========================================================================================================
# Persistence
# =========================================================================================================


def test_items_survive_a_reopen(ddb, reopen):
    create_table(ddb, HASH)
    create_table(ddb, RANGE, ("pk", "S"), ("sk", "N"))
    ddb.put_item(TableName=HASH, Item={"pk": S("a"), "v": N("1"), "b": {"B": b"\x00"}})
    ddb.put_item(TableName=HASH, Item={"pk": S("b"), "v": N("2")})
    ddb.put_item(TableName=HASH, Item={"pk": S("c")})
    update(ddb, HASH, K("b"), "SET v = v + :one, l = :l", {":one": N("1"), ":l": {"L": [S("x")]}})
    ddb.delete_item(TableName=HASH, Key=K("c"))
    ddb.put_item(TableName=RANGE, Item={"pk": S("a"), "sk": N("-1.5")})
    ddb = reopen(ddb)
    try:
        assert get(ddb, HASH, K("a")) == {"pk": S("a"), "v": N("1"), "b": {"B": b"\x00"}}
        assert get(ddb, HASH, K("b")) == {"pk": S("b"), "v": N("3"), "l": {"L": [S("x")]}}
        assert get(ddb, HASH, K("c")) is None
        assert get(ddb, RANGE, {"pk": S("a"), "sk": N("-1.50")}) == {"pk": S("a"), "sk": N("-1.5")}
        # and the reopened database keeps working
        ddb.put_item(TableName=HASH, Item={"pk": S("d")}, ConditionExpression="attribute_not_exists(pk)")
        assert get(ddb, HASH, K("d")) == {"pk": S("d")}
    finally:
        ddb.close()
