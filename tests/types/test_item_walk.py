"""attrvalue.validate_item_sized (PutItem's one walk, typed for Cython by attrvalue.pxd) against the references
it must equal: its own earlier, untyped version (below) and attrvalue.validate_item then size.item_size — same
copy, same size, and for bad input the same exception (type and text), which also pins the order of the
checks. (The two references differ only on where a lone surrogate's UnicodeEncodeError surfaces.) Run on the module as imported (the
compiled extension in a built checkout) and on attrvalue.py itself, interpreted, so both builds are covered.
tests/model/test_validate_sized.py has the broader item generator; this file stresses numbers (the walk
canonicalises plain notation itself), non-ASCII names and set members, and error order."""
import importlib.util
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyddb.types import attrvalue, numbers, size
from pyddb.types.invalid import InvalidValue


def _interpreted(name):
    """pyddb.types.<name> run from its .py (not the compiled extension beside it)."""
    path = os.path.join(os.path.dirname(attrvalue.__file__), name + ".py")
    spec = importlib.util.spec_from_file_location("pyddb.types._%s_interpreted" % name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


INTERPRETED = _interpreted("attrvalue")
BUILDS = [pytest.param(attrvalue, id="imported"), pytest.param(INTERPRETED, id="interpreted")]


def outcome(fn):
    try:
        return "ok", fn()
    except InvalidValue as e:
        return "invalid", (e.message, e.error_type)
    except UnicodeEncodeError as e:             # a lone surrogate in a name or string: raised while sizing
        return "unicode", str(e)


def reference(item):
    """validate_item_sized as it was before the typed walk (commit 5ec7b18), the reference for everything,
    including where a lone surrogate's UnicodeEncodeError surfaces. Its InvalidValue outcomes equal
    validate_item's (tests/model/test_validate_sized.py); values are sized as they are walked, names after."""
    if not isinstance(item, dict):
        attrvalue._wrong_type("Item", item)
    out = {}
    total = 0
    for name, av in item.items():
        out[name], n = _reference_sized(av, 1)
        total += n
    for name in out:
        if type(name) is not str:
            attrvalue._wrong_type("attribute name", name)
        total += len(name.encode("utf-8"))
    return out, total


def _reference_sized(av, depth):
    if type(av) is dict and len(av) == 1:
        for t, v in av.items():
            if v is None or t not in ("S", "N", "M", "L"):
                break
            if t == "S":
                if type(v) is not str:
                    attrvalue._wrong_type("S", v)
                return {"S": v}, len(v.encode("utf-8"))
            if t == "N":
                c = attrvalue._v_n(v, depth)
                return {"N": c}, size.number_size(c)
            if t == "M":
                if not isinstance(v, dict):
                    attrvalue._wrong_type("M", v)
                if not v:
                    return {"M": {}}, 3
                depth += 1
                if depth > attrvalue.MAX_NESTING_DEPTH:
                    raise InvalidValue(attrvalue.NESTING)
                m, total = {}, 3
                for k, x in v.items():
                    m[k], n = _reference_sized(x, depth)
                    total += n
                for k in m:
                    if type(k) is not str:
                        attrvalue._wrong_type("M key", k)
                    total += 1 + len(k.encode("utf-8"))
                return {"M": m}, total
            if not isinstance(v, (list, tuple)):
                attrvalue._wrong_type("L", v)
            if not v:
                return {"L": []}, 3
            depth += 1
            if depth > attrvalue.MAX_NESTING_DEPTH:
                raise InvalidValue(attrvalue.NESTING)
            lst, total = [], 3 + len(v)
            for x in v:
                y, n = _reference_sized(x, depth)
                lst.append(y)
                total += n
            return {"L": lst}, total
    out = attrvalue.validate(av, depth)
    return out, size.value_size(out)


def two_walks(item):
    out = attrvalue.validate_item(item)
    return out, size.item_size(out)


def same(build, item):
    got = outcome(lambda: build.validate_item_sized(item))
    expected = outcome(lambda: reference(item))
    assert got == expected
    if got[0] == "ok":
        assert repr(got[1]) == repr(expected[1])            # B as bytes, SS/NS/L as lists
    if expected[0] != "unicode":
        assert got == outcome(lambda: two_walks(item))


number_texts = st.one_of(
    st.from_regex(r"\A[+-]?[0-9]{0,42}(\.[0-9]{0,42})?([eE][+-]?[0-9]{1,3})?\Z"),
    st.from_regex(r"\A-?0{0,3}[0-9]{0,4}(\.[0-9]{0,5}0{0,3})?\Z"),
    st.sampled_from(["0", "-0", "00", "0.0", "-0.000", ".5", "5.", "-", ".", "", "+1", "1e3", " 1", "1 ",
                     "١", "²", "1_0", "NaN", "9" * 38, "9" * 39, "1" + "0" * 125, "1" + "0" * 126,
                     "0." + "0" * 129 + "1", "0." + "0" * 130 + "1", "-" + "9" * 38 + "." + "9",
                     "0." + "0" * 36 + "1" * 38, "12.50", "-007.250", "100", "-100.0"]),
)


@settings(max_examples=600, deadline=None)
@pytest.mark.parametrize("build", BUILDS)
@given(text=number_texts)
def test_numbers_as_canonical_and_number_size(build, text):
    same(build, {"n": {"N": text}})
    same(build, {"l": {"L": [{"N": text}]}, "ns": {"NS": [text, "1"]}})


@settings(max_examples=300, deadline=None)
@pytest.mark.parametrize("build", BUILDS)
@given(text=number_texts)
def test_number_fast_path_agrees_with_numbers_module(build, text):
    try:
        expected = numbers.canonical(text)
    except InvalidValue as e:
        expected = e.message
    got = outcome(lambda: build.validate_item_sized({"n": {"N": text}}))
    if got[0] == "ok":
        assert got[1][0]["n"]["N"] == expected and got[1][1] == 1 + size.number_size(expected)
    else:
        assert got[1][0] == expected


names = st.one_of(st.text(min_size=1, max_size=3), st.sampled_from(["é", "\ud800", "a\udfff", 7, None]))
texts = st.one_of(st.text(max_size=4), st.sampled_from(["\ud800", "é"]))
scalars = st.one_of(
    texts.map(lambda s: {"S": s}),
    number_texts.map(lambda n: {"N": n}),
    st.lists(texts, max_size=3).map(lambda v: {"SS": v}),
    st.lists(texts, max_size=3).map(lambda v: {"SS": tuple(v)}),
    st.lists(st.sampled_from(["a", "b", "c", "é", ""]), max_size=7).map(lambda v: {"SS": v}),   # duplicates
    st.lists(number_texts, max_size=3).map(lambda v: {"NS": v}),
    st.lists(st.one_of(st.binary(max_size=2), st.just(bytearray(b"a")), st.just(memoryview(b"a")), st.just(1)),
             max_size=3).map(lambda v: {"BS": v}),
    st.sampled_from([{"B": b""}, {"B": bytearray(b"xy")}, {"B": memoryview(b"xyz")}, {"B": "notbytes"},
                     {"BOOL": True}, {"BOOL": 1}, {"NULL": True}, {"NULL": False}, {"NULL": 1}, {}, {"S": None},
                     {"S": "a", "N": "1"}, {"Z": 1}, {1: "x"}, {"S": 5}, {"M": []}, {"L": {}}, {"SS": "ab"},
                     {"NS": []}, {"BS": []}, {"SS": []}, {"N": 5}, {"N": None, "S": "x"}, "notadict", None]),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(st.dictionaries(names, children, max_size=3).map(lambda m: {"M": m}),
                               st.lists(children, max_size=3).map(lambda v: {"L": v}),
                               st.lists(children, max_size=2).map(lambda v: {"L": tuple(v)})),
    max_leaves=10)
items = st.one_of(st.dictionaries(names, values, max_size=5), st.sampled_from([[], "x", None]))


@settings(max_examples=600, deadline=None)
@pytest.mark.parametrize("build", BUILDS)
@given(item=items)
def test_one_walk_equals_validate_then_size(build, item):
    same(build, item)


@pytest.mark.parametrize("build", BUILDS)
def test_error_order(build):
    bad_value = {"N": "x"}
    cases = [
        {7: {"S": "a"}, "b": bad_value},                           # values are checked before names
        {"\ud800": {"S": "a"}, "b": bad_value},                    # ... and sized after them
        {"\ud800": {"S": "a"}, 7: {"S": "b"}},                     # names in order: encoding error first
        {7: {"S": "a"}, "\ud800": {"S": "b"}},                     # names in order: the type first
        {"a": {"M": {7: {"S": "x"}, "b": bad_value}}},
        {"a": {"M": {"\ud800": {"S": "x"}, "b": bad_value}}},
        {"a": {"M": {"é": {"S": "x"}, "\ud800": {"S": "y"}, 7: {"S": "z"}}}},
        {"a": {"SS": ["\ud800", "\ud800"]}},                       # duplicates before the encoding error
        {"a": {"SS": ["\ud800", 7]}},                              # element types before the encoding error
        {"a": {"SS": ["a", "b", "a"]}}, {"a": {"SS": ["a", "b", "c", "d", "e", "a"]}},
        {"a": {"SS": ["a", "b", "c", "d", "e"]}}, {"a": {"SS": ("x", "y", "z", "y")}},
        {"a": {"NS": ["1", "1.0"]}}, {"a": {"NS": ["x", 7]}}, {"a": {"NS": [7, "x"]}},
        {"a": {"BS": [b"a", bytearray(b"a")]}}, {"a": {"BS": [b"a", "s"]}},
        {"a": {"S": "\ud800"}, "b": bad_value},                    # an S is sized where it stands
        {"a": {"L": [{"S": "x"}, bad_value, {"S": 1}]}},
    ]
    for item in cases:
        same(build, item)


@pytest.mark.parametrize("build", BUILDS)
def test_nesting_limit(build):
    ok, bad = {"S": "x"}, {"S": "x"}
    for _ in range(31):
        ok = {"L": [ok]}
    for _ in range(32):
        bad = {"M": {"k": bad}}
    same(build, {"a": ok})
    same(build, {"a": bad})
    with pytest.raises(InvalidValue, match="Nesting Levels"):
        build.validate_item_sized({"a": bad})


@pytest.mark.parametrize("build", BUILDS)
def test_the_result_is_a_new_canonical_copy(build):
    item = {"a": {"M": {"b": {"N": "1.50"}, "s": {"SS": ("x",)}}}, "l": {"L": ({"B": bytearray(b"z")},)},
            "n": {"N": "0012"}, "é": {"S": "é"}}
    out, n = build.validate_item_sized(item)
    assert out == {"a": {"M": {"b": {"N": "1.5"}, "s": {"SS": ["x"]}}}, "l": {"L": [{"B": b"z"}]},
                   "n": {"N": "12"}, "é": {"S": "é"}}
    assert type(out["l"]["L"][0]["B"]) is bytes and type(out["a"]["M"]["s"]["SS"]) is list
    assert n == size.item_size(out)
    assert item["a"]["M"]["b"] == {"N": "1.50"} and item["n"] == {"N": "0012"}
    assert out["a"] is not item["a"] and out["a"]["M"] is not item["a"]["M"] and out["é"] is not item["é"]


SIZE_INTERPRETED = _interpreted("size")


@settings(max_examples=400, deadline=None)
@given(item=items)
def test_size_walk_compiled_and_interpreted_agree(item):
    """size.item_size/value_size (typed by size.pxd when compiled) equal size.py run as plain Python."""
    try:
        valid = attrvalue.validate_item(item)
    except (InvalidValue, UnicodeEncodeError):
        return
    try:
        want = ("ok", SIZE_INTERPRETED.item_size(valid))
    except UnicodeEncodeError as e:
        want = ("unicode", str(e))
    try:
        got = ("ok", size.item_size(valid))
    except UnicodeEncodeError as e:
        got = ("unicode", str(e))
    assert got == want
    for av in valid.values():
        try:
            assert size.value_size(av) == SIZE_INTERPRETED.value_size(av)
        except UnicodeEncodeError:
            pass
