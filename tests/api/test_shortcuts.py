"""api.SHORTCUTS (issue 3): an in-process PutItem, GetItem or UpdateItem the shortcut takes gets exactly the answer, the
error and the stored state the checking path (shape walk, rules, the operation) gives it. Each request runs
twice, on two databases holding the same tables and items: once through api.dispatch as it is, once with
the shortcuts switched off; the outcomes and then the tables' contents must be equal."""
import base64
import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pyddb
from pyddb import api
from pyddb.errors import DynamoDBError

LONG_NAME = "n" * 65536          # one over the AttributeName shape's max

SCALAR = st.one_of(
    st.builds(lambda s: {"S": s}, st.text(max_size=4)),
    st.builds(lambda n: {"N": n}, st.sampled_from(["1", "-0.5", "1.50", "007", "1e3", "x", "", "0",
                                                  "1" * 39, "12.25"])),
    st.builds(lambda b: {"B": b}, st.binary(max_size=3)),
    st.sampled_from([{"BOOL": True}, {"NULL": True}, {"NULL": False}, {"B": "text"}, {"S": 5}, {"N": 5},
                     {"BOOL": 1}, {}, {"S": "a", "N": "1"}, {"S": None, "N": "2"}, {"SS": ["a", "a"]},
                     {"SS": []}, {"SS": {"a", "b"}}, {"NS": ["1", "1.0"]}, {"BS": [b"x"]}, {"Q": "1"},
                     {"S": "\ud800"}, "plain", None]),
)
VALUE = st.recursive(SCALAR, lambda inner: st.one_of(
    st.builds(lambda m: {"M": m}, st.dictionaries(st.sampled_from(["a", "b", ""]), inner, max_size=3)),
    st.builds(lambda xs: {"L": xs}, st.lists(inner, max_size=3)),
), max_leaves=6)
KEY_PK = st.one_of(st.builds(lambda s: {"S": s}, st.sampled_from(["u1", "u2", "", "x" * 2049])),
                   st.sampled_from([{"N": "1"}, {"S": 1}, None]))
KEY_SK = st.one_of(st.builds(lambda n: {"N": n}, st.sampled_from(["1", "2", "1.5", "01", "abc"])),
                   st.sampled_from([{"S": "1"}, None]))
NAMES = st.sampled_from(["a", "b", "c", "", LONG_NAME])
TABLE = st.sampled_from(["tab", "tab", "tab", "missing", 5, None, "arn:aws:dynamodb:us-east-1:123456789012:table/tab"])
EXTRA = st.dictionaries(st.sampled_from(["ReturnValues", "ReturnConsumedCapacity", "ConditionExpression",
                                         "ConsistentRead", "Expected"]),
                        st.sampled_from(["ALL_OLD", "TOTAL", "NONE", "attribute_exists(a)", True, "yes", 1]),
                        max_size=2)


def _with_key(attrs, pk, sk):
    out = dict(attrs)
    for name, av in (("pk", pk), ("sk", sk)):
        if av is not None:
            out[name] = av
    return out


PUT = st.builds(lambda table, attrs, pk, sk, extra: dict(
    {"TableName": table, "Item": _with_key(attrs, pk, sk)}, **extra),
    TABLE, st.dictionaries(NAMES, VALUE, max_size=4), KEY_PK, KEY_SK,
    st.one_of(st.just({}), st.just({}), EXTRA))
GET = st.builds(lambda table, pk, sk, extra: dict({"TableName": table, "Key": _with_key({}, pk, sk)}, **extra),
                TABLE, KEY_PK, KEY_SK, st.one_of(st.just({}), st.just({}), EXTRA))

NUMBER = st.builds(lambda n: {"N": n}, st.sampled_from(["1", "-2", "0.5", "1" * 38, "9E+125"]))
STRING_SET = st.builds(lambda xs: {"SS": xs}, st.lists(st.sampled_from(["p", "q", "r"]), min_size=1, max_size=3,
                                                      unique=True))
# Valid UpdateItem expression forms: (UpdateExpression, ConditionExpression, names, {placeholder: values},
# {placeholder: one valid value}).
UPDATE_FORMS = [
    ("SET a = :v", None, None, {":v": VALUE}, {":v": {"S": "s"}}),
    ("SET a = a + :v", None, None, {":v": NUMBER}, {":v": {"N": "1"}}),
    ("SET #n = :v, b = :w", "attribute_exists(a)", {"#n": "c"}, {":v": VALUE, ":w": VALUE},
     {":v": {"N": "1"}, ":w": {"L": []}}),
    ("ADD c :v", "a = :w", None, {":v": st.one_of(NUMBER, STRING_SET), ":w": VALUE},
     {":v": {"SS": ["p"]}, ":w": {"N": "1"}}),
    ("REMOVE a, b", "attribute_not_exists(pk) OR size(a) > :w", None, {":w": NUMBER}, {":w": {"N": "0"}}),
    ("REMOVE b", None, None, None, None),
    ("REMOVE c", "attribute_exists(#n)", {"#n": "a"}, None, None),
    ("DELETE c :v", None, None, {":v": STRING_SET}, {":v": {"SS": ["p"]}}),
    ("SET a = if_not_exists(a, :v)", "#n <> :v", {"#n": "b"}, {":v": VALUE}, {":v": {"B": b"x"}}),
    ("SET b = list_append(b, :w)", None, None, {":w": st.builds(lambda xs: {"L": xs}, st.lists(VALUE, max_size=2))},
     {":w": {"L": [{"S": "e"}]}}),
    ("SET a.x = :v", "a BETWEEN :v AND :w", None, {":v": NUMBER, ":w": NUMBER}, {":v": {"N": "1"}, ":w": {"N": "5"}}),
    ("SET #n = :v", "attribute_type(a, :w)", {"#n": "a", "#m": "b"},
     {":v": VALUE, ":w": st.sampled_from([{"S": "N"}, {"S": "X"}, {"N": "1"}])}, {":v": {"N": "3"}, ":w": {"S": "S"}}),
]
# One thing wrong (or odd) with an otherwise valid request: (member, value); None deletes the member.
UPDATE_FAULT_LIST = [
    ("TableName", "missing"), ("TableName", 5), ("TableName", "arn:aws:dynamodb:us-east-1:123456789012:table/tab"),
    ("Key", {"pk": {"S": "u1"}}), ("Key", {"pk": {"S": ""}, "sk": {"N": "1"}}),
    ("Key", {"pk": {"S": "u1"}, "sk": {"N": "01"}}), ("Key", {"pk": {"S": "x" * 2049}, "sk": {"N": "1"}}),
    ("Key", {"pk": {"S": 1}, "sk": {"N": "1"}}), ("Key", {"pk": {"S": "u1"}, "sk": {"S": "1"}}), ("Key", None),
    ("TableName", None),
    ("UpdateExpression", ""), ("UpdateExpression", "SET"), ("UpdateExpression", 5), ("UpdateExpression", None),
    ("UpdateExpression", "SET pk = :v"), ("UpdateExpression", "SET a = :v REMOVE a"),
    ("ConditionExpression", ""), ("ConditionExpression", 5), ("ConditionExpression", None),
    ("ExpressionAttributeNames", {}), ("ExpressionAttributeNames", {"bad": "a"}),
    ("ExpressionAttributeNames", {"#n": 5}), ("ExpressionAttributeNames", {"#n": ""}),
    ("ExpressionAttributeNames", {"#n": LONG_NAME}), ("ExpressionAttributeNames", {5: "a"}),
    ("ExpressionAttributeNames", ["#n"]), ("ExpressionAttributeNames", {"#n": "a", "#unused": "b"}),
    ("ExpressionAttributeValues", {}), ("ExpressionAttributeValues", [":v"]),
    ("ExpressionAttributeValues", {":v": {"N": "1"}, ":w": {"N": "2"}, ":unused": {"S": "x"}}),
    ("ExpressionAttributeValues", {":v": {"S": 5}, ":w": {"N": "1"}}),
    ("ExpressionAttributeValues", {":v": {"N": "1"}, "w": {"N": "1"}}), ("ExpressionAttributeValues", None),
    ("ReturnValues", "bad"), ("ReturnValues", 5), ("ReturnValues", "ALL_OLD"), ("ReturnValues", "UPDATED_NEW"),
    ("ReturnConsumedCapacity", "TOTAL"), ("Expected", {"a": {"Exists": False}}),
    ("AttributeUpdates", {"a": {"Action": "PUT", "Value": {"N": "1"}}}),
    ("ReturnValuesOnConditionCheckFailure", "ALL_OLD"),
]
UPDATE_FAULTS = st.sampled_from(UPDATE_FAULT_LIST)


@st.composite
def UPDATE(draw):
    """A valid UpdateItem of one of UPDATE_FORMS, with at most one fault (UPDATE_FAULTS), or a value that
    fails its own checks (VALUE draws invalid values too)."""
    expression, condition, names, values, _ = draw(st.sampled_from(UPDATE_FORMS))
    request = {"TableName": "tab", "Key": {"pk": {"S": draw(st.sampled_from(["u1", "u2"]))},
                                           "sk": {"N": draw(st.sampled_from(["1", "2"]))}},
               "UpdateExpression": expression}
    if condition is not None:
        request["ConditionExpression"] = condition
    if names is not None:
        request["ExpressionAttributeNames"] = dict(names)
    if values:
        request["ExpressionAttributeValues"] = {k: draw(v) for k, v in values.items()}
    rv = draw(st.sampled_from([None, "NONE", "ALL_NEW", "UPDATED_OLD", "ALL_OLD", "UPDATED_NEW"]))
    if rv is not None:
        request["ReturnValues"] = rv
    if draw(st.booleans()):
        _with_fault(request, *draw(UPDATE_FAULTS), delete=draw(st.booleans()))
    return request


def _with_fault(request, member, value, delete):
    if value is None and delete:
        request.pop(member, None)
    else:
        request[member] = value


def _update_requests():
    """Every form of UPDATE_FORMS, with its one valid set of values, alone and with each of UPDATE_FAULTS."""
    for expression, condition, names, _, values in UPDATE_FORMS:
        base = {"TableName": "tab", "Key": {"pk": {"S": "u1"}, "sk": {"N": "1"}}, "UpdateExpression": expression,
                "ReturnValues": "ALL_NEW"}
        for member, value in (("ConditionExpression", condition), ("ExpressionAttributeNames", names),
                              ("ExpressionAttributeValues", values)):
            if value is not None:
                base[member] = value
        yield base
        for member, value in UPDATE_FAULT_LIST:
            for delete in ((False, True) if value is None else (False,)):
                request = copy.deepcopy(base)
                _with_fault(request, member, value, delete)
                yield request


@pytest.fixture(scope="module")
def pair():
    clients = [pyddb.connect(sync="off"), pyddb.connect(sync="off")]
    for c in clients:
        c.create_table(TableName="tab", BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                  {"AttributeName": "sk", "KeyType": "RANGE"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                             {"AttributeName": "sk", "AttributeType": "N"}])
    yield [c.model for c in clients]
    for c in clients:
        c.close()


def _json_form(value):
    """The request as the HTTP door hands it over: JSON types, binaries as base64 text."""
    if isinstance(value, dict):
        return {k: _json_form(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_json_form(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def _outcome(model, op, request, shortcuts, wire=False):
    saved = dict(api.SHORTCUTS)
    if not shortcuts:
        api.SHORTCUTS.clear()
    try:
        return "ok", api.dispatch(model, op, request, wire=wire)
    except DynamoDBError as e:
        return "error", e.code, e.message, e.extra
    finally:
        api.SHORTCUTS.update(saved)


def _contents(model):
    return sorted(map(repr, api.dispatch(model, "Scan", {"TableName": "tab"})["Items"]))


@given(st.lists(st.tuples(st.sampled_from(["PutItem", "GetItem", "UpdateItem", "UpdateItem"]), st.booleans(),
                          st.data()), min_size=1, max_size=6))
@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
def test_shortcut_answers_as_the_checking_path(pair, steps):
    """In process, and in the JSON form the HTTP door dispatches (wire=True)."""
    fast, slow = pair
    for op, wire, data in steps:
        request = data.draw({"PutItem": PUT, "GetItem": GET, "UpdateItem": UPDATE()}[op])
        if wire:
            request = _json_form(request)
        got = _outcome(fast, op, copy.deepcopy(request), True, wire)
        want = _outcome(slow, op, copy.deepcopy(request), False, wire)
        assert got == want, (op, wire, request)
    assert _contents(fast) == _contents(slow)


def test_update_shortcut_every_form_and_fault(pair):
    """Deterministically, each valid UpdateItem form with each single fault: the shortcut answers as the
    checking path, in process and in the HTTP door's JSON form."""
    fast, slow = pair
    for op, request in [("PutItem", {"TableName": "tab", "Item": {"pk": {"S": "u1"}, "sk": {"N": "1"},
                                                                 "a": {"N": "2"}, "b": {"L": []}}})]:
        for model in pair:
            api.dispatch(model, op, request)
    checked = 0
    for request in _update_requests():
        for wire in (False, True):
            r = _json_form(request) if wire else request
            got = _outcome(fast, "UpdateItem", copy.deepcopy(r), True, wire)
            want = _outcome(slow, "UpdateItem", copy.deepcopy(r), False, wire)
            assert got == want, (wire, request)
            checked += 1
    assert checked > 500
    assert _contents(fast) == _contents(slow)


def test_shortcuts_take_the_common_requests(pair, monkeypatch):
    """The shortcuts are taken (not silently bypassed) for a plain PutItem and GetItem."""
    fast, _ = pair
    taken = []
    for op in ("PutItem", "GetItem", "UpdateItem"):
        original = api.SHORTCUTS[op]

        def spy(model, request, _original=original, _op=op):
            out = _original(model, request)
            taken.append((_op, out is not None))
            return out
        monkeypatch.setitem(api.SHORTCUTS, op, spy)
    item = {"pk": {"S": "common"}, "sk": {"N": "7"}, "f": {"N": "12.5"}, "tags": {"SS": ["a", "b"]},
            "m": {"M": {"l": {"L": [{"BOOL": True}, {"NULL": True}]}}}}
    api.dispatch(fast, "PutItem", {"TableName": "tab", "Item": item})
    got = api.dispatch(fast, "GetItem", {"TableName": "tab", "Key": {"pk": item["pk"], "sk": item["sk"]},
                                         "ConsistentRead": True})
    assert got == {"Item": item}
    got = api.dispatch(fast, "UpdateItem", {"TableName": "tab", "Key": {"pk": item["pk"], "sk": item["sk"]},
                                            "UpdateExpression": "SET #f = #f + :d", "ConditionExpression": "#f > :z",
                                            "ExpressionAttributeNames": {"#f": "f"},
                                            "ExpressionAttributeValues": {":d": {"N": "1"}, ":z": {"N": "0"}},
                                            "ReturnValues": "UPDATED_NEW"})
    assert got == {"Attributes": {"f": {"N": "13.5"}}}
    assert taken == [("PutItem", True), ("GetItem", True), ("UpdateItem", True)]
