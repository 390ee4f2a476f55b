"""What conditions, updates and projections do, type by type (DynamoDB semantics, see evaluate.py)."""
import copy

import pytest

from pyddb.expressions import (
    CACHE,
    ProjectionPlan,
    Resolver,
    ValidationException,
    apply_update,
    evaluate_condition,
    parse_condition,
    parse_projection,
    parse_update,
    project,
)

ITEM = {
    "pk": {"S": "p1"},
    "s": {"S": "banana"},
    "u": {"S": "é𝄞"},
    "n": {"N": "10"},
    "f": {"N": "-2.5"},
    "b": {"B": b"\x03\x04"},
    "t": {"BOOL": True},
    "z": {"NULL": True},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
    "l": {"L": [{"S": "x"}, {"N": "1"}, {"M": {"k": {"S": "v"}}}]},
    "m": {"M": {"a": {"N": "1"}, "b": {"L": [{"S": "p"}, {"S": "q"}]}, "c": {"M": {"d": {"S": "e"}}}}},
}


def ev(text, values=None, names=None, item=ITEM):
    values = {k: v for k, v in (values or {}).items() if k in text} or None
    return evaluate_condition(parse_condition(text), item, names, values)


# --- comparisons -------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,values,expected", [
    ("s = :v", {":v": {"S": "banana"}}, True),
    ("s = :v", {":v": {"S": "Banana"}}, False),
    ("n = :v", {":v": {"N": "10.0"}}, True),
    ("n = :v", {":v": {"S": "10"}}, False),          # different types: false, not an error
    ("n <> :v", {":v": {"S": "10"}}, True),
    ("absent = :v", {":v": {"S": "x"}}, False),
    ("absent <> :v", {":v": {"S": "x"}}, True),     # <> is true when a side is absent
    ("b = :v", {":v": {"B": b"\x03\x04"}}, True),
    ("t = :v", {":v": {"BOOL": True}}, True),
    ("t = :v", {":v": {"BOOL": False}}, False),
    ("z = :v", {":v": {"NULL": True}}, True),
    ("ss = :v", {":v": {"SS": ["b", "a"]}}, True),   # sets compare as sets
    ("ss = :v", {":v": {"SS": ["a"]}}, False),
    ("ns = :v", {":v": {"NS": ["2.50", "1"]}}, True),
    ("ns <> :v", {":v": {"NS": ["1"]}}, True),
    ("bs = :v", {":v": {"BS": [b"\x02", b"\x01"]}}, True),
    ("l = :v", {":v": {"L": [{"S": "x"}, {"N": "1.0"}, {"M": {"k": {"S": "v"}}}]}}, True),
    ("l = :v", {":v": {"L": [{"N": "1"}, {"S": "x"}, {"M": {"k": {"S": "v"}}}]}}, False),  # lists are ordered
    ("m.c = :v", {":v": {"M": {"d": {"S": "e"}}}}, True),
    ("n < :v", {":v": {"N": "9.99"}}, False),
    ("n > :v", {":v": {"N": "9.99"}}, True),
    ("f < :v", {":v": {"N": "-2"}}, True),
    ("n >= :v", {":v": {"N": "1e1"}}, True),
    ("n <= :v", {":v": {"N": "10"}}, True),
    ("s < :v", {":v": {"S": "bananas"}}, True),
    ("s > :v", {":v": {"S": "Z"}}, True),            # code point / UTF-8 byte order
    ("b < :v", {":v": {"B": b"\x03\x05"}}, True),
    ("b > :v", {":v": {"B": b"\x03"}}, True),
    ("n < :v", {":v": {"S": "z"}}, False),           # ordering across types: false
    ("t > :v", {":v": {"N": "0"}}, False),           # a BOOL path in an ordering: false
    ("absent < :v", {":v": {"N": "0"}}, False),
    ("n BETWEEN :a AND :b", {":a": {"N": "10"}, ":b": {"N": "20"}}, True),
    ("n BETWEEN :a AND :b", {":a": {"N": "11"}, ":b": {"N": "20"}}, False),
    ("s BETWEEN :a AND :b", {":a": {"S": "a"}, ":b": {"S": "c"}}, True),
    ("b BETWEEN :a AND :b", {":a": {"B": b"\x01\x02"}, ":b": {"B": b"\x03\x04"}}, True),
    ("t BETWEEN :a AND :b", {":a": {"N": "0"}, ":b": {"N": "2"}}, False),
    ("n IN (:a, :b)", {":a": {"S": "10"}, ":b": {"N": "10"}}, True),
    ("n IN (:a)", {":a": {"S": "10"}}, False),
    ("m.b[1] = :v", {":v": {"S": "q"}}, True),
    ("m.b[2] = :v", {":v": {"S": "q"}}, False),
    ("s.x = :v", {":v": {"S": "q"}}, False),         # a path through a scalar is absent
    ("l[0] = l[0]", None, None),                     # refused: same operand twice
])
def test_comparisons(text, values, expected):
    if expected is None:
        with pytest.raises(ValidationException):
            ev(text, values)
    else:
        assert ev(text, values) is expected


# --- functions -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text,values,expected", [
    ("attribute_exists(m.c.d)", None, True),
    ("attribute_exists(m.c.x)", None, False),
    ("attribute_not_exists(l[3])", None, True),
    ("attribute_exists(z)", None, True),             # a NULL value exists
    ("attribute_type(n, :t)", {":t": {"S": "N"}}, True),
    ("attribute_type(ss, :t)", {":t": {"S": "SS"}}, True),
    ("attribute_type(ss, :t)", {":t": {"S": "L"}}, False),
    ("attribute_type(absent, :t)", {":t": {"S": "NULL"}}, False),
    ("begins_with(s, :p)", {":p": {"S": "ban"}}, True),
    ("begins_with(s, :p)", {":p": {"S": "an"}}, False),
    ("begins_with(b, :p)", {":p": {"B": b"\x03"}}, True),
    ("begins_with(b, :p)", {":p": {"S": "x"}}, False),
    ("begins_with(n, :p)", {":p": {"S": "1"}}, False),  # only S and B
    ("contains(s, :x)", {":x": {"S": "nan"}}, True),
    ("contains(s, :x)", {":x": {"S": "nab"}}, False),
    ("contains(b, :x)", {":x": {"B": b"\x04"}}, True),
    ("contains(ss, :x)", {":x": {"S": "b"}}, True),
    ("contains(ss, :x)", {":x": {"SS": ["b"]}}, False),
    ("contains(ns, :x)", {":x": {"N": "2.50"}}, True),
    ("contains(bs, :x)", {":x": {"B": b"\x02"}}, True),
    ("contains(l, :x)", {":x": {"N": "1"}}, True),
    ("contains(l, :x)", {":x": {"M": {"k": {"S": "v"}}}}, True),
    ("contains(l, :x)", {":x": {"S": "y"}}, False),
    ("contains(m, :x)", {":x": {"S": "a"}}, False),
    ("contains(n, :x)", {":x": {"N": "1"}}, False),
    ("contains(s, m.c.d)", None, False),
    ("size(s) = :n", {":n": {"N": "6"}}, True),
    ("size(u) = :n", {":n": {"N": "3"}}, True),      # UTF-16 code units (ExtendDB/extenddb#67)
    ("size(b) = :n", {":n": {"N": "2"}}, True),
    ("size(ss) = :n", {":n": {"N": "2"}}, True),
    ("size(ns) = :n", {":n": {"N": "2"}}, True),
    ("size(bs) = :n", {":n": {"N": "2"}}, True),
    ("size(l) = :n", {":n": {"N": "3"}}, True),
    ("size(m) = :n", {":n": {"N": "3"}}, True),
    ("size(m.b) > :n", {":n": {"N": "1"}}, True),
    ("size(n) > :n", {":n": {"N": "0"}}, False),     # N, BOOL, NULL have no size: the comparison is false
    ("size(t) > :n", {":n": {"N": "0"}}, False),
    ("size(z) > :n", {":n": {"N": "0"}}, False),
    ("size(n) <> :n", {":n": {"N": "0"}}, True),
    ("size(absent) < :n", {":n": {"N": "1"}}, False),
    (":n < size(s)", {":n": {"N": "5"}}, True),
    ("size(s) = size(l)", None, False),
    ("size(s) BETWEEN :a AND :b", {":a": {"N": "1"}, ":b": {"N": "6"}}, True),
])
def test_functions(text, values, expected):
    assert ev(text, values) is expected


# --- logic ----------------------------------------------------------------------------------------------
def test_and_or_not_precedence_and_grouping():
    v = {":a": {"N": "10"}, ":x": {"S": "nope"}}
    assert ev("n = :a OR s = :x AND s = :x", v) is True           # AND binds tighter
    assert ev("(n = :a OR s = :x) AND s = :x", v) is False
    assert ev("NOT s = :x", v) is True
    assert ev("NOT NOT s = :x", v) is False
    assert ev("NOT n = :a OR n = :a", v) is True                  # NOT binds tightest
    assert ev("NOT (n = :a OR n = :a)", v) is False
    assert ev("NOT absent < :a", v) is True


# --- updates ----------------------------------------------------------------------------------------------
def up(text, item, values=None, names=None):
    before = copy.deepcopy(item)
    out = apply_update(parse_update(text), item, names, values)
    assert item == before  # never mutated
    return out


def up_error(text, item, values=None, names=None):
    before = copy.deepcopy(item)
    with pytest.raises(ValidationException) as e:
        apply_update(parse_update(text), item, names, values)
    assert item == before
    return e.value.args[0]


def test_set_creates_replaces_and_reads_the_old_item():
    item = {"pk": {"S": "k"}, "a": {"S": "OLD"}}
    assert up("SET a = :v, b = a", item, {":v": {"S": "NEW"}}) == {
        "pk": {"S": "k"}, "a": {"S": "NEW"}, "b": {"S": "OLD"}}


def test_set_arithmetic():
    item = {"c": {"N": "10"}, "m": {"M": {"counter": {"N": "10"}}}}
    v = {":v": {"N": "3"}}
    assert up("SET c = c - :v", item, v)["c"] == {"N": "7"}
    assert up("SET c = (c + :v)", item, v)["c"] == {"N": "13"}
    assert up("SET c = :v - c", item, v)["c"] == {"N": "-7"}
    assert up("SET #m.#c = #m.#c + :v", item, v, {"#m": "m", "#c": "counter"})["m"] == {
        "M": {"counter": {"N": "13"}}}
    assert up("SET c = c + :v", item, {":v": {"N": "0.1"}})["c"] == {"N": "10.1"}
    assert up("SET d = if_not_exists(d, :v) + :v", item, v)["d"] == {"N": "6"}
    assert up_error("SET c = c + :v", item, {":v": {"N": "1e-40"}}) == \
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    assert up_error("SET c = c + :v", item, {":v": {"N": "9.9999999999999999999999999999999999999E+125"}}) == \
        "Number overflow. Attempting to store a number with magnitude larger than supported range"


def test_set_type_errors_and_absent_operands():
    item = {"s": {"S": "1"}, "l": {"L": []}, "m": {"M": {}}}
    assert up_error("SET s = s + :v", item, {":v": {"N": "1"}}) == \
        "An operand in the update expression has an incorrect data type"
    assert up_error("SET l = list_append(m, :v)", item, {":v": {"L": []}}) == \
        "An operand in the update expression has an incorrect data type"
    assert up_error("SET x = absent", item) == \
        "The provided expression refers to an attribute that does not exist in the item"
    assert up_error("SET x = absent + :v", item, {":v": {"N": "1"}}) == \
        "The provided expression refers to an attribute that does not exist in the item"
    assert up_error("SET x = list_append(absent, :v)", item, {":v": {"L": []}}) == \
        "The provided expression refers to an attribute that does not exist in the item"


def test_if_not_exists_and_list_append():
    item = {"l": {"L": [{"N": "1"}]}, "a": {"S": "here"}}
    v = {":v": {"S": "default"}, ":t": {"L": [{"N": "2"}]}, ":e": {"L": []}}
    out = up("SET a = if_not_exists(a, :v), b = if_not_exists(b, :v)", item, {":v": v[":v"]})
    assert out["a"] == {"S": "here"} and out["b"] == {"S": "default"}
    assert up("SET l = list_append(l, :t)", item, {":t": v[":t"]})["l"] == {"L": [{"N": "1"}, {"N": "2"}]}
    assert up("SET l = list_append(:t, l)", item, {":t": v[":t"]})["l"] == {"L": [{"N": "2"}, {"N": "1"}]}
    assert up("SET n = list_append(if_not_exists(n, :e), :t)", item, {":e": v[":e"], ":t": v[":t"]})["n"] == \
        {"L": [{"N": "2"}]}


def test_set_nested_paths_and_list_indexes():
    item = {"l": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]}, "p": {"M": {"keep": {"S": "k"}}}, "e": {"L": []}}
    v = {":v": {"S": "fresh"}}
    assert up("SET l[1] = :v", item, v)["l"] == {"L": [{"S": "a"}, {"S": "fresh"}, {"S": "c"}]}
    assert up("SET l[5] = :v", item, v)["l"] == {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}, {"S": "fresh"}]}
    assert up("SET l[7] = :v, l[5] = :v", item, v)["l"]["L"][3:] == [{"S": "fresh"}, {"S": "fresh"}]
    assert up("SET e[0] = :v", item, v)["e"] == {"L": [{"S": "fresh"}]}
    out = up("SET p.child = :v", item, v)
    assert out["p"] == {"M": {"keep": {"S": "k"}, "child": {"S": "fresh"}}} and "p.child" not in out
    assert up("SET #a.#b = :v", item, v, {"#a": "p.x", "#b": "y"}) if False else True


@pytest.mark.parametrize("text", ["SET absent.nested.deep = :v", "SET l.x = :v", "SET p[0] = :v",
                                  "SET s.x = :v", "REMOVE absent.x", "SET l[9].x = :v", "ADD s.x :n"])
def test_invalid_document_paths_for_update(text):
    item = {"l": {"L": [{"S": "a"}]}, "p": {"M": {}}, "s": {"S": "x"}}
    values = {":v": {"S": "v"}} if ":v" in text else ({":n": {"N": "1"}} if ":n" in text else None)
    assert up_error(text, item, values) == "The document path provided in the update expression is invalid for update"


def test_remove_attributes_map_keys_and_list_indexes_shift():
    item = {"a": {"S": "x"}, "m": {"M": {"gone": {"S": "g"}, "keep": {"S": "k"}}},
            "l": {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}, {"S": "d"}]}}
    assert up("REMOVE a, absent, m.nope", item) == {k: v for k, v in item.items() if k != "a"}
    assert up("REMOVE m.gone", item)["m"] == {"M": {"keep": {"S": "k"}}}
    assert up("REMOVE l[1]", item)["l"] == {"L": [{"S": "a"}, {"S": "c"}, {"S": "d"}]}
    assert up("REMOVE l[3]", item)["l"] == {"L": [{"S": "a"}, {"S": "b"}, {"S": "c"}]}
    # several indexes refer to the list as it was
    assert up("REMOVE l[1], l[2]", item)["l"] == {"L": [{"S": "a"}, {"S": "d"}]}
    assert up("REMOVE l[9]", item)["l"] == item["l"]
    assert up("REMOVE l[0] SET l[1] = :v", item, {":v": {"S": "B"}})["l"] == \
        {"L": [{"S": "B"}, {"S": "c"}, {"S": "d"}]}


def test_add_numbers_and_sets():
    item = {"n": {"N": "5"}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1"]}, "bs": {"BS": [b"\x01"]},
            "m": {"M": {"c": {"N": "1"}}}}
    assert up("ADD n :v", item, {":v": {"N": "-7.5"}})["n"] == {"N": "-2.5"}
    assert up("ADD fresh :v", item, {":v": {"N": "3"}})["fresh"] == {"N": "3"}
    assert up("ADD m.c :v, m.d :v", item, {":v": {"N": "3"}})["m"] == {"M": {"c": {"N": "4"}, "d": {"N": "3"}}}
    assert set(up("ADD ss :v", item, {":v": {"SS": ["b", "c"]}})["ss"]["SS"]) == {"a", "b", "c"}
    assert len(up("ADD ns :v", item, {":v": {"NS": ["1.0", "2"]}})["ns"]["NS"]) == 2
    assert set(up("ADD bs :v", item, {":v": {"BS": [b"\x02"]}})["bs"]["BS"]) == {b"\x01", b"\x02"}
    assert up("ADD newset :v", item, {":v": {"SS": ["z"]}})["newset"] == {"SS": ["z"]}
    assert up_error("ADD n :v", item, {":v": {"SS": ["x"]}}) == \
        "An operand in the update expression has an incorrect data type"
    assert up_error("ADD ss :v", item, {":v": {"NS": ["1"]}}) == \
        "An operand in the update expression has an incorrect data type"


def test_delete_from_sets():
    item = {"ss": {"SS": ["a", "b", "c"]}, "ns": {"NS": ["1", "2"]}, "n": {"N": "1"}}
    assert up("DELETE ss :v", item, {":v": {"SS": ["b", "x"]}})["ss"] == {"SS": ["a", "c"]}
    assert up("DELETE ns :v", item, {":v": {"NS": ["2.0"]}})["ns"] == {"NS": ["1"]}
    assert "ss" not in up("DELETE ss :v", item, {":v": {"SS": ["a", "b", "c"]}})  # empty set: removed
    assert "nope" not in up("DELETE nope :v", item, {":v": {"SS": ["a"]}})
    assert up_error("DELETE ss :v", item, {":v": {"NS": ["1"]}}) == \
        "An operand in the update expression has an incorrect data type"
    assert up_error("DELETE n :v", item, {":v": {"NS": ["1"]}}) == \
        "An operand in the update expression has an incorrect data type"


def test_update_plan_helpers():
    r = Resolver({"#a": "a"}, {":v": {"N": "1"}})
    plan = r.update(parse_update("SET #a.b = :v REMOVE c[1]"))
    r.check_unused()
    assert plan.paths == (("a", "b"), ("c", 1))
    assert set(plan.top_level_names()) == {"a", "c"}
    old = {"a": {"M": {"b": {"N": "0"}, "z": {"N": "9"}}}, "c": {"L": [{"N": "0"}, {"N": "1"}]}, "d": {"S": "x"}}
    new = plan.apply(old)
    assert plan.project(old) == {"a": {"M": {"b": {"N": "0"}}}, "c": {"L": [{"N": "1"}]}}  # UPDATED_OLD
    assert plan.project(new) == {"a": {"M": {"b": {"N": "1"}}}}                            # UPDATED_NEW


# --- projections -------------------------------------------------------------------------------------------
PROJ_ITEM = {
    "pk": {"S": "p1"},
    "mylist": {"L": [{"S": "zero"}, {"S": "one"}, {"S": "two"}, {"S": "three"}]},
    "listOfMaps": {"L": [{"M": {"val": {"S": "a0"}, "x": {"S": "x0"}}},
                         {"M": {"val": {"S": "a1"}, "x": {"S": "x1"}}},
                         {"M": {"val": {"S": "a2"}, "x": {"S": "x2"}}}]},
    "listWithNull": {"L": [{"S": "keep0"}, {"NULL": True}, {"S": "keep2"}]},
    "deep": {"M": {"l1": {"M": {"l2": {"M": {"l3": {"S": "bottom"}, "sib": {"S": "s"}}}}}}},
    "nestedList": {"L": [{"M": {"inner": {"L": [{"S": "i0"}, {"S": "i1"}]}}}]},
}


@pytest.mark.parametrize("text,expected", [  # ExtendDB tests/test_nested_projection.py (captured from DynamoDB)
    ("mylist[0], mylist[2]", {"mylist": {"L": [{"S": "zero"}, {"S": "two"}]}}),
    ("mylist[2], mylist[0]", {"mylist": {"L": [{"S": "zero"}, {"S": "two"}]}}),
    ("mylist[1], mylist[3]", {"mylist": {"L": [{"S": "one"}, {"S": "three"}]}}),
    ("listOfMaps[0].val, listOfMaps[2].val", {"listOfMaps": {"L": [{"M": {"val": {"S": "a0"}}},
                                                                     {"M": {"val": {"S": "a2"}}}]}}),
    ("listWithNull", {"listWithNull": PROJ_ITEM["listWithNull"]}),
    ("listWithNull[1]", {"listWithNull": {"L": [{"NULL": True}]}}),
    ("listWithNull[0], listWithNull[2]", {"listWithNull": {"L": [{"S": "keep0"}, {"S": "keep2"}]}}),
    ("deep.l1.l2.l3", {"deep": {"M": {"l1": {"M": {"l2": {"M": {"l3": {"S": "bottom"}}}}}}}}),
    ("nestedList[0].#i[1]", {"nestedList": {"L": [{"M": {"inner": {"L": [{"S": "i1"}]}}}]}}),
    ("pk, nope, mylist[9], deep.nope, listOfMaps.x, pk2.x", {"pk": {"S": "p1"}}),
    ("nope", {}),
    ("deep.l1.l2.sib, deep.l1.l2.l3", {"deep": {"M": {"l1": {"M": {"l2": {"M": {
        "l3": {"S": "bottom"}, "sib": {"S": "s"}}}}}}}}),
])
def test_projection_shapes(text, expected):
    names = {"#i": "inner"} if "#i" in text else None
    assert project(parse_projection(text), PROJ_ITEM, names) == expected


def test_projection_plan_and_names():
    r = Resolver({"#i": "inner", "#n": "nestedList"}, None)
    plan = r.projection(parse_projection("#n[0].#i[1], pk"))
    r.check_unused()
    assert isinstance(plan, ProjectionPlan) and plan.paths == (("nestedList", 0, "inner", 1), ("pk",))
    assert project(plan, PROJ_ITEM) == {"pk": {"S": "p1"},
                                        "nestedList": {"L": [{"M": {"inner": {"L": [{"S": "i1"}]}}}]}}


# --- the cache --------------------------------------------------------------------------------------------
def test_cache_returns_the_same_tree_and_resolution_does_not_touch_it():
    text = "SET #a = :v, b = if_not_exists(b, :z) + :v"
    p1 = parse_update(text)
    assert parse_update(text) is p1
    snapshot = repr(p1)
    Resolver({"#a": "x"}, {":v": {"N": "1"}, ":z": {"N": "0"}}).update(p1).apply({})
    Resolver({"#a": "y"}, {":v": {"N": "2"}, ":z": {"N": "5"}}).update(p1).apply({"b": {"N": "1"}})
    assert repr(p1) == snapshot


def test_cache_keys_include_the_kind_and_failures_are_cached():
    assert parse_condition("a = :v", "FilterExpression") is not parse_condition("a = :v")
    for _ in range(2):
        with pytest.raises(ValidationException) as e:
            parse_condition("a ==", "FilterExpression")
        assert e.value.args[0] == 'Invalid FilterExpression: Syntax error; token: "=", near: "=="'
    assert len(CACHE) <= CACHE.maxsize


def test_cache_evicts_least_recently_used():
    from pyddb.expressions.cache import ParseCache
    c = ParseCache(maxsize=2)
    c.get("a", lambda: 1)
    c.get("b", lambda: 2)
    c.get("a", lambda: 0)
    c.get("c", lambda: 3)
    assert c.get("a", lambda: "reparsed") == 1 and c.get("b", lambda: "reparsed") == "reparsed"
