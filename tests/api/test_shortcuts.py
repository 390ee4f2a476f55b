"""api.SHORTCUTS (issue 3): an in-process PutItem or GetItem the shortcut takes gets exactly the answer, the
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


@given(st.lists(st.tuples(st.sampled_from(["PutItem", "GetItem"]), st.booleans(), st.data()),
                min_size=1, max_size=6))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
def test_shortcut_answers_as_the_checking_path(pair, steps):
    """In process, and in the JSON form the HTTP door dispatches (wire=True)."""
    fast, slow = pair
    for op, wire, data in steps:
        request = data.draw(PUT if op == "PutItem" else GET)
        if wire:
            request = _json_form(request)
        got = _outcome(fast, op, copy.deepcopy(request), True, wire)
        want = _outcome(slow, op, copy.deepcopy(request), False, wire)
        assert got == want, (op, wire, request)
    assert _contents(fast) == _contents(slow)


def test_shortcuts_take_the_common_requests(pair, monkeypatch):
    """The shortcuts are taken (not silently bypassed) for a plain PutItem and GetItem."""
    fast, _ = pair
    taken = []
    for op in ("PutItem", "GetItem"):
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
    assert taken == [("PutItem", True), ("GetItem", True)]
