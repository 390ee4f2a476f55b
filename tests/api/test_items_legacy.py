"""The legacy item parameters, Expected (+ ConditionalOperator), AttributeUpdates and AttributesToGet, in
DynamoDB's own terms. Request dict in, response dict or ClientError out: runs unchanged over HTTP.

SOURCES: [CONF] nubo-db/dynamodb-conformance tests/tier3/legacy-api/*.test.ts and
tests/tier3/error-messages/deleteItem.test.ts (asserted against DynamoDB; the texts sit inside a
"1 validation error detected: " envelope there, which pyddb does not add, see docs/expressions.md);
[DYNALITE] architect/dynalite validations/index.js and test/updateItem.js (recorded against DynamoDB);
[EXTENDDB] ExtendDB tests of ConditionalOperator, run against DynamoDB; [LOCAL] DynamoDB Local, decompiled
(WriteDataPlaneFunction.validateExpectedAttribute, LocalDBComparisonOperator).
"""

import pytest

from pyddb.client_errors import ClientError

TABLE = "legacy"
INVALID = "One or more parameter values were invalid: "
CONDITIONAL = ("ConditionalCheckFailedException", "The conditional request failed")


def S(v):
    return {"S": v}


def N(v):
    return {"N": v}


def K(pk):
    return {"pk": S(pk)}


ITEM = {
    "pk": S("a"),
    "s": S("hello"),
    "n": N("5"),
    "ss": {"SS": ["x", "y"]},
    "l": {"L": [N("1")]},
    "b": {"B": b"\x01\x02"},
}


@pytest.fixture
def table(ddb):
    ddb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    ddb.put_item(TableName=TABLE, Item=ITEM)
    return TABLE


def rejected(call, *args, **request):
    with pytest.raises(ClientError) as info:
        call(*args, **request)
    err = info.value.response["Error"]
    return err["Code"], err["Message"]


def validation(call, *args, **request):
    code, message = rejected(call, *args, **request)
    assert code == "ValidationException", message
    return message


def get(ddb, pk="a"):
    return ddb.get_item(TableName=TABLE, Key=K(pk), ConsistentRead=True).get("Item")


# =========================================================================================================
# Expected
# =========================================================================================================


def put_expecting(ddb, expected, **extra):
    return ddb.put_item(TableName=TABLE, Item=dict(ITEM, v=S("new")), Expected=expected, **extra)


HOLDS = [
    {"pk": {"Exists": True, "Value": S("a")}},
    {"s": {"Value": S("hello")}},  # Exists absent: an equality
    {"nope": {"Exists": False}},
    {"s": {"ComparisonOperator": "EQ", "AttributeValueList": [S("hello")]}},
    {"s": {"ComparisonOperator": "EQ", "Value": S("hello")}},  # Value as the one-element list
    {"n": {"ComparisonOperator": "NE", "AttributeValueList": [N("6")]}},
    {"nope": {"ComparisonOperator": "NE", "AttributeValueList": [N("6")]}},
    {"n": {"ComparisonOperator": "GT", "AttributeValueList": [N("4.99")]}},
    {"n": {"ComparisonOperator": "LE", "AttributeValueList": [N("5")]}},
    {"n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [N("5"), N("6")]}},
    {"n": {"ComparisonOperator": "IN", "AttributeValueList": [N("1"), N("5.0")]}},
    {"s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [S("he")]}},
    {"s": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [S("ell")]}},
    {"ss": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [S("x")]}},
    {"ss": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [S("z")]}},
    {"b": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"B": b"\x01"}]}},
    {"s": {"ComparisonOperator": "NOT_NULL"}},
    {"nope": {"ComparisonOperator": "NULL"}},
]

FAILS = [
    {"pk": {"Exists": False}},
    {"s": {"Value": S("other")}},
    {"nope": {"Value": S("x")}},
    {"s": {"ComparisonOperator": "EQ", "AttributeValueList": [N("5")]}},  # another type never matches
    {"n": {"ComparisonOperator": "LT", "AttributeValueList": [N("5")]}},
    {"n": {"ComparisonOperator": "GT", "AttributeValueList": [S("1")]}},
    {"nope": {"ComparisonOperator": "GE", "AttributeValueList": [N("1")]}},
    {"s": {"ComparisonOperator": "IN", "AttributeValueList": [S("x"), S("y")]}},
    {"ss": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [S("x")]}},
    {"nope": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [S("x")]}},  # [LOCAL]: false
    {"s": {"ComparisonOperator": "NULL"}},
    {"nope": {"ComparisonOperator": "NOT_NULL"}},
]


class TestExpected:
    @pytest.mark.parametrize("expected", HOLDS)
    def test_conditions_that_hold(self, ddb, table, expected):
        put_expecting(ddb, expected)
        assert get(ddb)["v"] == S("new")

    @pytest.mark.parametrize("expected", FAILS)
    def test_conditions_that_fail_change_nothing(self, ddb, table, expected):
        assert rejected(put_expecting, ddb, expected) == CONDITIONAL
        assert get(ddb) == ITEM

    def test_and_is_the_default_and_or_needs_one(self, ddb, table):
        one_true = {"s": {"Value": S("hello")}, "n": {"Value": N("6")}}
        assert rejected(put_expecting, ddb, one_true) == CONDITIONAL
        assert rejected(put_expecting, ddb, one_true, ConditionalOperator="AND") == CONDITIONAL
        put_expecting(ddb, one_true, ConditionalOperator="OR")
        assert get(ddb)["v"] == S("new")

    def test_delete_and_update_take_expected(self, ddb, table):
        assert (
            rejected(ddb.delete_item, TableName=TABLE, Key=K("a"), Expected={"n": {"Value": N("4")}})
            == CONDITIONAL
        )
        ddb.update_item(
            TableName=TABLE,
            Key=K("a"),
            Expected={"n": {"Value": N("5")}},
            AttributeUpdates={"n": {"Action": "ADD", "Value": N("1")}},
        )
        assert get(ddb)["n"] == N("6")
        ddb.delete_item(TableName=TABLE, Key=K("a"), Expected={"n": {"Value": N("6")}})
        assert get(ddb) is None

    def test_failure_returns_the_old_item_when_asked(self, ddb, table):
        with pytest.raises(ClientError) as info:
            put_expecting(ddb, {"pk": {"Exists": False}}, ReturnValuesOnConditionCheckFailure="ALL_OLD")
        assert info.value.response["Item"] == ITEM

    @pytest.mark.parametrize(
        "expected, message",
        [
            # [CONF] deleteItem.test.ts "every malformed Expected condition", in its order
            (
                {"a": {"Exists": True}},
                INVALID + "Value must be provided when Exists is true for Attribute: a",
            ),
            (
                {"a": {"Exists": False, "Value": S("x")}},
                INVALID + "Value cannot be used when Exists is false for Attribute: a",
            ),
            (
                {"a": {"Value": S("x"), "ComparisonOperator": "EQ", "AttributeValueList": [S("x")]}},
                INVALID + "Value and AttributeValueList cannot be used together for Attribute: a",
            ),
            (
                {"a": {"ComparisonOperator": "EQ"}},
                INVALID
                + "Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a",
            ),
            (
                {"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [S("x")]}},
                INVALID + "Invalid number of argument(s) for the BETWEEN ComparisonOperator",
            ),
            # [DYNALITE] validateAttributeConditions, [LOCAL] validateExpectedAttribute
            ({"a": {}}, INVALID + "Value must be provided when Exists is null for Attribute: a"),
            (
                {"a": {"Exists": True, "ComparisonOperator": "NOT_NULL"}},
                INVALID + "Exists and ComparisonOperator cannot be used together for Attribute: a",
            ),
            (
                {"a": {"AttributeValueList": [S("x")]}},
                INVALID + "AttributeValueList can only be used with a ComparisonOperator for Attribute: a",
            ),
            (
                {"a": {"ComparisonOperator": "NULL", "AttributeValueList": [S("x")]}},
                INVALID + "Invalid number of argument(s) for the NULL ComparisonOperator",
            ),
            (
                {"a": {"ComparisonOperator": "NOT_NULL", "Value": S("x")}},
                INVALID + "Invalid number of argument(s) for the NOT_NULL ComparisonOperator",
            ),
            (
                {"a": {"ComparisonOperator": "EQ", "AttributeValueList": [S("x"), S("y")]}},
                INVALID + "Invalid number of argument(s) for the EQ ComparisonOperator",
            ),
            (
                {"a": {"ComparisonOperator": "IN", "AttributeValueList": []}},
                INVALID + "Invalid number of argument(s) for the IN ComparisonOperator",
            ),
            (
                {"a": {"ComparisonOperator": "IN", "AttributeValueList": [S("x"), N("1")]}},
                INVALID + "AttributeValues inside AttributeValueList must be of same type",
            ),
            (
                {"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [N("10"), N("9")]}},
                "The BETWEEN condition was provided a range where the lower bound is greater than the upper "
                "bound",
            ),
            # an invalid value keeps its plain text (it is not an ExpressionAttributeValue)
            ({"a": {"Value": N("x")}}, "The parameter cannot be converted to a numeric value: x"),
            (
                {"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"SS": []}]}},
                INVALID + "An string set  may not be empty",
            ),
        ],
    )
    def test_malformed_expected(self, ddb, table, expected, message):
        assert validation(put_expecting, ddb, expected) == message
        assert validation(ddb.delete_item, TableName=TABLE, Key=K("a"), Expected=expected) == message
        assert get(ddb) == ITEM

    def test_conditional_operator_needs_two_or_more_conditions(self, ddb, table):
        # [EXTENDDB]: PutItem, DeleteItem and UpdateItem alike
        without = "ConditionalOperator cannot be used without Filter or Expected"
        one = "ConditionalOperator can only be used when Filter or Expected has two or more elements"
        assert validation(ddb.put_item, TableName=TABLE, Item=K("b"), ConditionalOperator="AND") == without
        assert validation(ddb.delete_item, TableName=TABLE, Key=K("a"), ConditionalOperator="OR") == without
        assert validation(ddb.update_item, TableName=TABLE, Key=K("a"), ConditionalOperator="AND") == without
        assert (
            validation(
                ddb.update_item,
                TableName=TABLE,
                Key=K("a"),
                ConditionalOperator="AND",
                AttributeUpdates={"v": {"Value": S("v")}},
            )
            == without
        )
        assert validation(put_expecting, ddb, {"s": {"Value": S("hello")}}, ConditionalOperator="AND") == one
        assert (
            validation(
                ddb.delete_item,
                TableName=TABLE,
                Key=K("a"),
                ConditionalOperator="AND",
                Expected={"s": {"Value": S("hello")}},
            )
            == one
        )
        assert get(ddb) == ITEM
        assert get(ddb, "b") is None


# =========================================================================================================
# AttributeUpdates
# =========================================================================================================


def attribute_updates(ddb, updates, pk="a", **extra):
    return ddb.update_item(TableName=TABLE, Key=K(pk), AttributeUpdates=updates, **extra)


class TestAttributeUpdates:
    def test_put_replaces_and_is_the_default_action(self, ddb, table):
        attribute_updates(ddb, {"s": {"Action": "PUT", "Value": S("bye")}, "new": {"Value": N("42")}})
        got = get(ddb)
        assert got["s"] == S("bye") and got["new"] == N("42")

    def test_delete_without_a_value_removes_the_attribute(self, ddb, table):
        attribute_updates(ddb, {"s": {"Action": "DELETE"}, "nope": {"Action": "DELETE"}})
        assert "s" not in get(ddb)

    def test_delete_with_a_set_removes_members(self, ddb, table):
        attribute_updates(
            ddb,
            {
                "ss": {"Action": "DELETE", "Value": {"SS": ["x", "q"]}},
                "nope": {"Action": "DELETE", "Value": {"SS": ["x"]}},
            },
        )
        got = get(ddb)
        assert got["ss"] == {"SS": ["y"]} and "nope" not in got
        attribute_updates(ddb, {"ss": {"Action": "DELETE", "Value": {"SS": ["y"]}}})
        assert "ss" not in get(ddb)

    def test_add_numbers_sets_and_lists(self, ddb, table):
        attribute_updates(
            ddb,
            {
                "n": {"Action": "ADD", "Value": N("-0.5")},
                "counter": {"Action": "ADD", "Value": N("1")},
                "ss": {"Action": "ADD", "Value": {"SS": ["y", "z"]}},
                "ns": {"Action": "ADD", "Value": {"NS": ["1"]}},
                "l": {"Action": "ADD", "Value": {"L": [S("two")]}},
                "nl": {"Action": "ADD", "Value": {"L": [S("first")]}},
            },
        )
        got = get(ddb)
        assert got["n"] == N("4.5") and got["counter"] == N("1") and got["ns"] == {"NS": ["1"]}
        assert sorted(got["ss"]["SS"]) == ["x", "y", "z"]
        assert got["l"] == {"L": [N("1"), S("two")]}  # the legacy ADD appends to a list
        assert got["nl"] == {"L": [S("first")]}

    def test_an_update_of_a_missing_item_creates_it(self, ddb, table):
        attribute_updates(
            ddb,
            {"v": {"Value": S("x")}, "c": {"Action": "ADD", "Value": N("2")}, "gone": {"Action": "DELETE"}},
            pk="fresh",
        )
        assert get(ddb, "fresh") == {"pk": S("fresh"), "v": S("x"), "c": N("2")}

    def test_return_values(self, ddb, table):
        out = attribute_updates(
            ddb,
            {"n": {"Action": "ADD", "Value": N("1")}, "s": {"Action": "DELETE"}},
            ReturnValues="UPDATED_OLD",
        )
        assert out["Attributes"] == {"n": N("5"), "s": S("hello")}
        out = attribute_updates(ddb, {"n": {"Action": "ADD", "Value": N("1")}}, ReturnValues="ALL_NEW")
        assert out["Attributes"]["n"] == N("7")

    @pytest.mark.parametrize(
        "updates, message",
        [
            # [DYNALITE] validations/updateItem.js, [LOCAL] UpdateItemFunction.validateAttributeUpdate
            (
                {"v": {"Action": "PUT"}},
                INVALID + "Only DELETE action is allowed when no attribute value is specified",
            ),
            ({"v": {}}, INVALID + "Only DELETE action is allowed when no attribute value is specified"),
            (
                {"v": {"Action": "ADD"}},
                INVALID + "Only DELETE action is allowed when no attribute value is specified",
            ),
            (
                {"v": {"Action": "DELETE", "Value": S("x")}},
                INVALID + "DELETE action with value is not supported for the type S",
            ),
            (
                {"v": {"Action": "DELETE", "Value": {"L": []}}},
                INVALID + "DELETE action with value is not supported for the type L",
            ),
            (
                {"v": {"Action": "ADD", "Value": S("x")}},
                INVALID + "ADD action is not supported for the type S",
            ),
            (
                {"v": {"Action": "ADD", "Value": {"M": {}}}},
                INVALID + "ADD action is not supported for the type M",
            ),
            (
                {"v": {"Value": N("1e126")}},
                "Number overflow. Attempting to store a number with magnitude larger than supported range",
            ),
            (
                {"pk": {"Value": S("b")}},
                INVALID + "Cannot update attribute pk. This attribute is part of the key",
            ),
            (
                {"pk": {"Action": "DELETE"}},
                INVALID + "Cannot update attribute pk. This attribute is part of the key",
            ),
        ],
    )
    def test_malformed_updates(self, ddb, table, updates, message):
        assert validation(attribute_updates, ddb, updates) == message
        assert get(ddb) == ITEM

    @pytest.mark.parametrize(
        "updates",
        [
            # [DYNALITE] test/updateItem.js "trying to delete/add incorrect types"
            {"ss": {"Action": "DELETE", "Value": {"NS": ["1"]}}},
            {"ss": {"Action": "DELETE", "Value": {"BS": [b"a"]}}},
            {"n": {"Action": "DELETE", "Value": {"NS": ["1"]}}},
            {"ss": {"Action": "ADD", "Value": {"NS": ["1"]}}},
            {"s": {"Action": "ADD", "Value": N("1")}},
            {"n": {"Action": "ADD", "Value": {"L": [N("1")]}}},
        ],
    )
    def test_add_and_delete_of_another_type(self, ddb, table, updates):
        assert validation(attribute_updates, ddb, updates) == "Type mismatch for attribute to update"
        assert get(ddb) == ITEM


# =========================================================================================================
# AttributesToGet
# =========================================================================================================


def test_attributes_to_get_names_attributes_literally(ddb, table):
    ddb.put_item(
        TableName=TABLE,
        Item={"pk": S("d"), "a.b": S("dotted"), "a": {"M": {"b": S("nested")}}, "x[0]": S("brackets")},
    )
    out = ddb.get_item(TableName=TABLE, Key=K("d"), AttributesToGet=["a.b", "x[0]", "missing"])
    assert out["Item"] == {"a.b": S("dotted"), "x[0]": S("brackets")}
