"""UpdateItem application and condition evaluation against a small independent reference model.

The model works on plain Python values (int = N, str = S, bool = BOOL, None = NULL, frozenset = SS/NS,
tuple = L, dict = M) and states DynamoDB's rules directly; the expressions are generated as text and run
through the real parser, resolver and evaluator on wire AttributeValues.
"""
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from pyddb.expressions import (
    ValidationException,
    apply_update,
    evaluate_condition,
    parse_condition,
    parse_update,
)

NAMES = ["a", "b", "c", "d", "e"]

# --- model values <-> AttributeValues ----------------------------------------------------------------------
scalars = st.one_of(st.integers(-20, 20), st.text("ab", max_size=3), st.booleans(), st.none())
# small set domains, so ADD/DELETE often overlap with, or empty, the stored set
sets = st.one_of(st.frozensets(st.sampled_from("ab"), min_size=1, max_size=2),
                 st.frozensets(st.integers(0, 2), min_size=1, max_size=3))
values = st.one_of(scalars, sets, st.tuples(st.integers(-5, 5)) | st.lists(st.integers(-5, 5), max_size=3).map(tuple),
                   st.dictionaries(st.sampled_from(["k", "l"]), st.integers(-5, 5), max_size=2))
items = st.dictionaries(st.sampled_from(NAMES), values, max_size=5)


def tag(v):
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "BOOL"
    if isinstance(v, int):
        return "N"
    if isinstance(v, str):
        return "S"
    if isinstance(v, frozenset):
        return "SS" if isinstance(next(iter(v)), str) else "NS"
    return "L" if isinstance(v, tuple) else "M"


def to_av(v):
    t = tag(v)
    if t == "NULL":
        return {"NULL": True}
    if t == "BOOL":
        return {"BOOL": v}
    if t == "N":
        return {"N": str(v)}
    if t == "S":
        return {"S": v}
    if t in ("SS", "NS"):
        return {t: sorted(str(x) for x in v)}
    if t == "L":
        return {"L": [to_av(x) for x in v]}
    return {"M": {k: to_av(x) for k, x in v.items()}}


def from_av(av):
    (t, v), = av.items()
    if t == "NULL":
        return None
    if t in ("BOOL", "S"):
        return v
    if t == "N":
        return int(Decimal(v))
    if t == "SS":
        return frozenset(v)
    if t == "NS":
        return frozenset(int(Decimal(x)) for x in v)
    if t == "L":
        return tuple(from_av(x) for x in v)
    return {k: from_av(x) for k, x in v.items()}


# --- reference model: update actions ---------------------------------------------------------------------
NOT_FOUND = "The provided expression refers to an attribute that does not exist in the item"
BAD_TYPE = "An operand in the update expression has an incorrect data type"
BAD_PATH = "The document path provided in the update expression is invalid for update"
MISSING = object()


def model_action(action, old):
    """-> (target name, new value or MISSING) or raises AssertionError(message) for DynamoDB's error."""
    kind, target = action[0], action[1]
    cur = old.get(target, MISSING)
    if kind == "set":
        return action[2]
    if kind == "plus":
        src = old.get(action[2], MISSING)
        if src is MISSING:
            raise KeyError(NOT_FOUND)
        if tag(src) != "N":
            raise KeyError(BAD_TYPE)
        return src + action[3]
    if kind == "ine":
        src = old.get(action[2], MISSING)
        return action[3] if src is MISSING else src
    if kind == "append":
        src = old.get(action[2], MISSING)
        if src is MISSING:
            raise KeyError(NOT_FOUND)
        if tag(src) != "L":
            raise KeyError(BAD_TYPE)
        return src + action[3]
    if kind == "remove":
        return MISSING
    if kind == "remove_index":
        if cur is MISSING or tag(cur) != "L":
            raise KeyError(BAD_PATH)
        i = action[2]
        return cur if i >= len(cur) else cur[:i] + cur[i + 1:]
    if kind == "set_key":
        if cur is MISSING or tag(cur) != "M":
            raise KeyError(BAD_PATH)
        out = dict(cur)
        out[action[2]] = action[3]
        return out
    if kind == "add":
        operand = action[2]
        if cur is MISSING:
            return operand
        if tag(cur) != tag(operand):
            raise KeyError(BAD_TYPE)
        return cur + operand if tag(cur) == "N" else cur | operand
    # delete
    operand = action[2]
    if cur is MISSING:
        return MISSING
    if tag(cur) != tag(operand):
        raise KeyError(BAD_TYPE)
    rest = cur - operand
    return rest if rest else MISSING


def render_action(action, vals, names):
    def v(x):
        key = f":v{len(vals)}"
        vals[key] = to_av(x)
        return key

    def n(name):
        if len(names) % 2 == 0 and name not in names.values():  # some targets through a placeholder
            key = f"#n{len(names)}"
            names[key] = name
            return key
        for key, real in names.items():
            if real == name:
                return key
        return name

    kind, target = action[0], action[1]
    if kind == "set":
        return "SET", f"{n(target)} = {v(action[2])}"
    if kind == "plus":
        return "SET", f"{n(target)} = {action[2]} + {v(action[3])}"
    if kind == "ine":
        return "SET", f"{n(target)} = if_not_exists({action[2]}, {v(action[3])})"
    if kind == "append":
        return "SET", f"{n(target)} = list_append({action[2]}, {v(action[3])})"
    if kind == "remove":
        return "REMOVE", n(target)
    if kind == "remove_index":
        return "REMOVE", f"{n(target)}[{action[2]}]"
    if kind == "set_key":
        return "SET", f"{n(target)}.{action[2]} = {v(action[3])}"
    return kind.upper(), f"{n(target)} {v(action[2])}"


small_lists = st.lists(st.integers(-5, 5), max_size=2).map(tuple)
string_sets = st.frozensets(st.sampled_from("ab"), min_size=1, max_size=2)
number_sets = st.frozensets(st.integers(0, 2), min_size=1, max_size=3)


@st.composite
def update_actions(draw):
    targets = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True))
    src = st.sampled_from(NAMES)
    out = []
    for t in targets:
        out.append(draw(st.one_of(
            st.tuples(st.just("set"), st.just(t), values),
            st.tuples(st.just("plus"), st.just(t), src, st.integers(-9, 9)),
            st.tuples(st.just("ine"), st.just(t), src, values),
            st.tuples(st.just("append"), st.just(t), src, small_lists),
            st.tuples(st.just("remove"), st.just(t)),
            st.tuples(st.just("remove_index"), st.just(t), st.integers(0, 3)),
            st.tuples(st.just("set_key"), st.just(t), st.sampled_from(["k", "m"]), st.integers(-5, 5)),
            st.tuples(st.just("add"), st.just(t), st.one_of(st.integers(-9, 9), string_sets, number_sets)),
            st.tuples(st.just("delete"), st.just(t), st.one_of(string_sets, number_sets)),
        )))
    return out


@settings(max_examples=300, deadline=None)
@given(items, update_actions())
def test_update_matches_the_reference_model(item, actions):
    vals, names, sections = {}, {}, {}
    for a in actions:
        section, text = render_action(a, vals, names)
        sections.setdefault(section, []).append(text)
    expression = " ".join(f"{s} {', '.join(parts)}" for s, parts in sections.items())

    expected, errors = dict(item), []
    for a in actions:
        try:
            new = model_action(a, item)
        except KeyError as e:
            errors.append(e.args[0])
            continue
        if new is MISSING:
            expected.pop(a[1], None)
        else:
            expected[a[1]] = new

    wire = {k: to_av(v) for k, v in item.items()}
    before = repr(wire)
    try:
        result = apply_update(parse_update(expression), wire, names or None, vals or None)
    except ValidationException as e:
        assert errors, (expression, e.args[0])
        assert e.args[0] in errors
    else:
        assert not errors, (expression, errors)
        assert {k: from_av(v) for k, v in result.items()} == expected
    assert repr(wire) == before


# --- reference model: conditions -----------------------------------------------------------------------------
def eq(x, y):
    if x is MISSING or y is MISSING or tag(x) != tag(y):
        return False
    if tag(x) == "L":
        return len(x) == len(y) and all(eq(p, q) for p, q in zip(x, y))
    if tag(x) == "M":
        return x.keys() == y.keys() and all(eq(x[k], y[k]) for k in x)
    return x == y


def ordered(x, y):
    return x is not MISSING and y is not MISSING and tag(x) == tag(y) and tag(x) in ("N", "S")


def size(x):
    if x is MISSING or tag(x) in ("N", "BOOL", "NULL"):
        return MISSING
    return len(x)


def compare(op, x, y):
    if op == "=":
        return eq(x, y)
    if op == "<>":
        return not eq(x, y)
    if not ordered(x, y):
        return False
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]


def model_condition(node, item):
    kind = node[0]
    get = lambda name: item.get(name, MISSING)
    if kind == "cmp":
        return compare(node[1], get(node[2]), node[3])
    if kind == "size":
        return compare(node[1], size(get(node[2])), node[3])
    if kind == "between":
        x = get(node[1])
        return ordered(x, node[2]) and node[2] <= x <= node[3]
    if kind == "in":
        return any(eq(get(node[1]), c) for c in node[2])
    if kind == "exists":
        return (get(node[1]) is not MISSING) == node[2]
    if kind == "type":
        x = get(node[1])
        return x is not MISSING and tag(x) == node[2]
    if kind == "begins":
        x = get(node[1])
        return x is not MISSING and tag(x) == "S" and x.startswith(node[2])
    if kind == "contains":
        x, y = get(node[1]), node[2]
        if x is MISSING:
            return False
        if tag(x) == "S":
            return tag(y) == "S" and y in x
        if tag(x) == "L":
            return any(eq(e, y) for e in x)
        if tag(x) in ("SS", "NS"):
            return tag(y) == tag(x)[0] and y in x
        return False
    if kind == "not":
        return not model_condition(node[1], item)
    if kind == "and":
        return model_condition(node[1], item) and model_condition(node[2], item)
    return model_condition(node[1], item) or model_condition(node[2], item)


def render_condition(node, vals):
    def v(x):
        key = f":v{len(vals)}"
        vals[key] = to_av(x)
        return key
    kind = node[0]
    if kind == "cmp":
        return f"{node[2]} {node[1]} {v(node[3])}"
    if kind == "size":
        return f"size({node[2]}) {node[1]} {v(node[3])}"
    if kind == "between":
        return f"{node[1]} BETWEEN {v(node[2])} AND {v(node[3])}"
    if kind == "in":
        return f"{node[1]} IN ({', '.join(v(c) for c in node[2])})"
    if kind == "exists":
        return f"attribute_{'' if node[2] else 'not_'}exists({node[1]})"
    if kind == "type":
        return f"attribute_type({node[1]}, {v(node[2])})"
    if kind == "begins":
        return f"begins_with({node[1]}, {v(node[2])})"
    if kind == "contains":
        return f"contains({node[1]}, {v(node[2])})"
    if kind == "not":
        return f"NOT ({render_condition(node[1], vals)})"
    word = kind.upper()
    return f"({render_condition(node[1], vals)}) {word} ({render_condition(node[2], vals)})"


name = st.sampled_from(NAMES)
orderable = st.one_of(st.integers(-20, 20), st.text("ab", max_size=3))


@st.composite
def between_node(draw):
    lo, hi = draw(st.one_of(st.tuples(st.integers(-20, 20), st.integers(-20, 20)),
                            st.tuples(st.text("ab", max_size=3), st.text("ab", max_size=3))))
    return ("between", draw(name), min(lo, hi), max(lo, hi))


leaves = st.one_of(
    st.tuples(st.just("cmp"), st.sampled_from(["=", "<>"]), name, values),
    st.tuples(st.just("cmp"), st.sampled_from(["<", "<=", ">", ">="]), name, orderable),
    st.tuples(st.just("size"), st.sampled_from(["=", "<>", "<", "<=", ">", ">="]), name, st.integers(0, 3)),
    between_node(),
    st.tuples(st.just("in"), name, st.lists(values, min_size=1, max_size=3)),
    st.tuples(st.just("exists"), name, st.booleans()),
    st.tuples(st.just("type"), name, st.sampled_from(["S", "N", "BOOL", "NULL", "SS", "NS", "L", "M"])),
    st.tuples(st.just("begins"), name, st.text("ab", max_size=2)),
    st.tuples(st.just("contains"), name, st.one_of(scalars, st.text("abc", min_size=1, max_size=2))),
)
conditions = st.recursive(leaves, lambda inner: st.one_of(
    st.tuples(st.just("not"), inner), st.tuples(st.just("and"), inner, inner),
    st.tuples(st.just("or"), inner, inner)), max_leaves=6)


@settings(max_examples=400, deadline=None)
@given(items, conditions)
def test_condition_matches_the_reference_model(item, node):
    vals = {}
    text = render_condition(node, vals)
    wire = {k: to_av(v) for k, v in item.items()}
    assert evaluate_condition(parse_condition(text, "FilterExpression"), wire, None, vals or None) \
        == model_condition(node, item), text


@settings(max_examples=200, deadline=None)
@given(st.one_of(string_sets, number_sets, st.none()), st.sampled_from(["add", "delete"]),
       st.one_of(string_sets, number_sets))
def test_set_add_and_delete_match_the_reference_model(stored, kind, operand):
    item = {} if stored is None else {"s": stored}
    try:
        new = model_action((kind, "s", operand), item)
        error = None
    except KeyError as e:
        error = e.args[0]
    wire = {k: to_av(v) for k, v in item.items()}
    try:
        result = apply_update(parse_update(f"{kind.upper()} s :v"), wire, None, {":v": to_av(operand)})
    except ValidationException as e:
        assert e.args[0] == error
    else:
        assert error is None
        assert result.get("s") is None if new is MISSING else from_av(result["s"]) == new
