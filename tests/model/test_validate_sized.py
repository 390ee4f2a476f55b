"""attrvalue.validate_item_sized (PutItem's one-walk validation + size) against the two walks it replaces:
attrvalue.validate_item then size.item_size. Same result, same size, and for bad values the same error
(message and type), on generated items that mix valid and invalid attribute values."""
from hypothesis import given, settings
from hypothesis import strategies as st

from pyddb.types import attrvalue, size
from pyddb.types.invalid import InvalidValue

names = st.text(min_size=1, max_size=4)
numbers = st.sampled_from(["0", "1", "-1", "1.50", "00012", "1e3", "-0.000", "1E-130", "1e126", "x", "",
                           "123456789012345678901234567890123456789", " 1"])
strings = st.text(max_size=6)
blobs = st.binary(max_size=6)

scalars = st.one_of(
    strings.map(lambda s: {"S": s}),
    numbers.map(lambda n: {"N": n}),
    blobs.map(lambda b: {"B": b}),
    st.booleans().map(lambda b: {"BOOL": b}),
    st.booleans().map(lambda b: {"NULL": b}),
    st.lists(strings, max_size=3).map(lambda v: {"SS": v}),
    st.lists(numbers, max_size=3).map(lambda v: {"NS": v}),
    st.lists(blobs, max_size=3).map(lambda v: {"BS": v}),
    st.just({}),                                            # empty
    st.just({"S": "a", "N": "1"}),                          # two types
    st.just({"S": None}),                                   # null member
    st.just({"X": "y"}),                                    # not a type
    st.just({"S": 5}),                                      # wrong Python type
    st.just({"M": []}),
    st.just({"L": {}}),
    st.just({"NULL": False}),
    st.just({"B": bytearray(b"ab")}),
    st.just({"L": ("tuple",)}),
)


def wrap(children):
    return st.one_of(st.dictionaries(names, children, max_size=3).map(lambda m: {"M": m}),
                     st.lists(children, max_size=3).map(lambda v: {"L": v}))


values = st.recursive(scalars, wrap, max_leaves=12)
items = st.dictionaries(names, values, max_size=5)


def outcome(fn):
    try:
        return "ok", fn()
    except InvalidValue as e:
        return "error", (e.message, e.error_type)


@settings(max_examples=400, deadline=None)
@given(items)
def test_one_walk_equals_validate_then_size(item):
    def reference():
        out = attrvalue.validate_item(item)
        return out, size.item_size(out)

    assert outcome(lambda: attrvalue.validate_item_sized(item)) == outcome(reference)


def test_deep_nesting_is_rejected_as_validate_does():
    av = {"S": "x"}
    for _ in range(40):
        av = {"M": {"a": av}}
    item = {"a": av, "b": {"L": [av]}}
    assert outcome(lambda: attrvalue.validate_item_sized(item)) == outcome(lambda: attrvalue.validate_item(item))
    ok = {"S": "x"}
    for _ in range(31):
        ok = {"L": [ok]}
    out, n = attrvalue.validate_item_sized({"a": ok})
    assert out == attrvalue.validate_item({"a": ok}) and n == size.item_size(out)


def test_non_string_names_and_map_keys():
    for item in ({1: {"S": "x"}}, {"a": {"M": {2: {"S": "x"}}}}, "not a dict"):
        assert outcome(lambda: attrvalue.validate_item_sized(item)) == outcome(
            lambda: attrvalue.validate_item(item))


def test_the_copy_is_new_and_the_request_is_left_alone():
    item = {"a": {"M": {"b": {"N": "1.50"}}}, "l": {"L": [{"S": "x"}]}}
    out, _ = attrvalue.validate_item_sized(item)
    assert out == {"a": {"M": {"b": {"N": "1.5"}}}, "l": {"L": [{"S": "x"}]}}
    assert item["a"]["M"]["b"] == {"N": "1.50"}
    assert out["a"] is not item["a"] and out["l"]["L"] is not item["l"]["L"]


# ---- model.items.fast_key_address (GetItem's shortcut) against validate_item + check_key ------------------
from pyddb.model.items import check_key, fast_key_address  # noqa: E402
from pyddb.model.schema import KeyAttr, TableDef  # noqa: E402


def table(hash_type, range_type):
    return TableDef(name="t", table_id="x", keyspace="tbl.x", hash_key=KeyAttr("h", hash_type),
                    range_key=KeyAttr("r", range_type) if range_type else None, attribute_definitions=[],
                    created_at=0.0)


key_values = st.one_of(
    st.text(max_size=3).map(lambda s: {"S": s}),
    st.sampled_from(["0", "7", "007", "1.5", "10", "x", "9" * 38, "9" * 39, "-1"]).map(lambda n: {"N": n}),
    st.binary(max_size=3).map(lambda b: {"B": b}),
    st.sampled_from([{"S": "a" * 1025}, {"S": "é" * 600}, {"S": "a" * 2049}, {"B": b"x" * 1025},
                     {"S": "\ud800"}, {"S": None}, {}, {"S": "a", "N": "1"}, {"B": bytearray(b"a")},
                     {"S": 1}, "notadict"]),
)
keys = st.fixed_dictionaries({}, optional={"h": key_values, "r": key_values, "z": key_values})


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["S", "N", "B"]), st.sampled_from(["S", "N", "B", None]), keys)
def test_fast_key_address_is_the_checked_address_or_none(hash_type, range_type, key):
    t = table(hash_type, range_type)
    fast = fast_key_address(t, key)
    if fast is None:
        return
    assert fast == check_key(t, attrvalue.validate_item(key))      # no error, the same bytes


def test_fast_key_address_takes_the_common_keys():
    assert fast_key_address(table("S", "N"), {"h": {"S": "a"}, "r": {"N": "12"}}) is not None
    assert fast_key_address(table("B", None), {"h": {"B": b"\x00"}}) == (b"\x00", b"")
