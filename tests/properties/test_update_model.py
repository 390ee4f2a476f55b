"""UpdateItem and ConditionExpression through the client, against a small independent reference model.

Hypothesis generates an item and a sequence of UpdateItem requests: random SET (literals, a + :n,
if_not_exists, list_append), REMOVE, ADD and DELETE on top-level attributes, map members (a.x) and list
elements (a[3], past the end too), each with a random condition (attribute_exists/not_exists, = <> < >,
size, begins_with, contains, AND/OR/NOT) and a random ReturnValues. The model below states DynamoDB's rules
directly on tagged Python values and predicts, for every request: the item afterwards, whether the condition
failed (ConditionalCheckFailedException, item unchanged), whether the update is invalid (ValidationException,
item unchanged), and the Attributes returned. Everything goes through `ddb` as DynamoDB JSON, so the parser,
resolver, evaluator, the item store and the response shapes are all under test, and nothing below the
client is looked at.

THE RULES THE MODEL STATES (DynamoDB Developer Guide, "Update expressions" and "Condition expressions";
dynalite test/updateItem.js and DynamoDB Local's ExpressionExecutor for the error cases)
    - Two action paths where one is a prefix of the other (or equal), or that use a name and an index at the
      same place, make the request invalid before anything else.
    - The condition is evaluated on the old item ({} when there is none); a failure wins over any error
      applying the update would have had.
    - Every action reads the old item. A path's parent must exist in the old item and be a map (for .x) or a
      list (for [i]), else "invalid for update". SET of a missing operand, or + / list_append / ADD /
      DELETE on the wrong type, is invalid. REMOVE of a missing member does nothing; SET or ADD at a list
      index past the end appends; list indexes of one list refer to the old list, and the new list is the
      surviving old elements and the set ones in index order. ADD on a missing attribute sets it; DELETE on a
      missing one does nothing; a set emptied by DELETE is removed.
    - UPDATED_OLD / UPDATED_NEW: the values at the action paths in the old / new item, nested as in the item,
      list elements compacted in index order; no Attributes when there are none.
"""

import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from pyddb.client_errors import ClientError

TABLE = "model"
NAMES = ("a", "b", "c", "d", "e")
MAP_KEYS = ("x", "y")
_pks = itertools.count()


class Invalid(Exception):
    """The model's prediction that DynamoDB rejects the request with a ValidationException."""


# ---- tagged values: ("N", Decimal) ("S", str) ("SS"|"NS", frozenset) ("M", dict) ("L", tuple) -----------


def to_wire(v):
    t, x = v
    if t == "N":
        return {"N": str(x)}
    if t == "S":
        return {"S": x}
    if t == "SS":
        return {"SS": sorted(x)}
    if t == "NS":
        return {"NS": [str(n) for n in sorted(x)]}
    if t == "M":
        return {"M": {k: to_wire(e) for k, e in x.items()}}
    return {"L": [to_wire(e) for e in x]}


def from_wire(av):
    ((t, x),) = av.items()
    if t == "N":
        return ("N", Decimal(x))
    if t == "S":
        return ("S", x)
    if t == "SS":
        return ("SS", frozenset(x))
    if t == "NS":
        return ("NS", frozenset(Decimal(n) for n in x))
    if t == "M":
        return ("M", {k: from_wire(e) for k, e in x.items()})
    if t == "L":
        return ("L", tuple(from_wire(e) for e in x))
    raise AssertionError("the model never writes %s" % t)


def item_from_wire(item):
    return None if item is None else {k: from_wire(v) for k, v in item.items()}


# ---- strategies ----------------------------------------------------------------------------------------

numbers = st.integers(-3, 9).map(lambda n: ("N", Decimal(n)))
strings = st.sampled_from(["", "p", "pq", "q"]).map(lambda s: ("S", s))
scalars = st.one_of(numbers, strings)
string_sets = st.frozensets(st.sampled_from("pqr"), min_size=1).map(lambda s: ("SS", s))
number_sets = st.frozensets(st.integers(1, 3).map(Decimal), min_size=1).map(lambda s: ("NS", s))
lists = st.lists(scalars, max_size=3).map(lambda xs: ("L", tuple(xs)))
maps = st.dictionaries(st.sampled_from(MAP_KEYS), st.one_of(scalars, string_sets), max_size=2).map(
    lambda d: ("M", d)
)
values = st.one_of(scalars, string_sets, number_sets, lists, maps)
# "a" is mostly a map and "b" mostly a list, and the paths mostly reach into them that way, so that most
# requests are valid; "c", "d", "e" are anything, and any path may name anything.


def mostly(likely, other):
    """`likely` three times in four (one_of() would lean towards its simplest branch)."""
    return st.tuples(st.integers(0, 3), likely, other).map(lambda t: t[2] if t[0] == 0 else t[1])


items = st.fixed_dictionaries(
    {"a": mostly(maps, values), "b": mostly(lists, values)}, optional={"c": values, "d": values, "e": values}
)

paths = st.one_of(
    st.sampled_from(("c", "d", "e") * 3 + ("a", "b")).map(lambda n: (n,)),
    st.tuples(st.sampled_from(("a",) * 8 + ("b", "c")), st.sampled_from(MAP_KEYS)),
    st.tuples(st.sampled_from(("b",) * 8 + ("a", "c")), st.integers(0, 3)),
)

operands = st.tuples(st.integers(0, 7), values, st.sampled_from(["+", "-"]), paths, numbers, lists).map(
    lambda t: (
        ("value", t[1])
        if t[0] < 4
        else (t[2], t[3], t[4])
        if t[0] == 4
        else ("if_not_exists", t[3], t[1])
        if t[0] < 7
        else (("append", "prepend")[int(t[4][1]) % 2], t[3], t[5])
    )
)
actions = st.one_of(
    st.tuples(st.just("SET"), paths, operands),
    st.tuples(st.just("REMOVE"), paths),
    st.tuples(st.just("ADD"), paths, st.one_of(numbers, string_sets, number_sets)),
    st.tuples(st.just("DELETE"), paths, st.one_of(string_sets, number_sets)),
)

leaf_conditions = st.one_of(
    st.tuples(st.sampled_from(["exists", "not_exists"]), paths),
    st.tuples(st.sampled_from(["=", "<>"]), paths, values),
    st.tuples(st.sampled_from(["<", ">"]), paths, scalars),
    st.tuples(st.just("size>"), paths, numbers),
    st.tuples(st.just("begins_with"), paths, strings),
    st.tuples(st.just("contains"), paths, scalars),
)
conditions = st.recursive(
    leaf_conditions,
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(["AND", "OR"]), inner, inner), st.tuples(st.just("NOT"), inner)
    ),
    max_leaves=4,
)


def _overlaps(p, q):
    n = min(len(p), len(q))
    return p[:n] == q[:n] or (p[0] == q[0] and isinstance(p[1], int) != isinstance(q[1], int))


@st.composite
def requests(draw):
    """(actions, condition, ReturnValues). Mostly the action paths are made disjoint, so that the update
    gets applied; one request in eight keeps whatever overlaps it drew (the request is then invalid)."""
    acts = draw(st.lists(actions, min_size=draw(st.sampled_from([0, 1, 1, 2, 3])), max_size=5))
    if draw(st.integers(0, 7)):
        kept = []
        for act in acts:
            if not any(_overlaps(act[1], k[1]) for k in kept):
                kept.append(act)
        acts = kept
    condition = draw(st.none() | conditions)
    return (
        acts,
        condition,
        draw(st.sampled_from(["NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"])),
    )


# ---- rendering requests ----------------------------------------------------------------------------------


class Values:
    """ExpressionAttributeValues, :v0, :v1 ... in order of use."""

    def __init__(self):
        self.values = {}

    def __call__(self, v):
        ref = ":v%d" % len(self.values)
        self.values[ref] = to_wire(v)
        return ref


def path_text(path):
    name, *rest = path
    return name + "".join("[%d]" % e if isinstance(e, int) else "." + e for e in rest)


def operand_text(op, vals):
    kind = op[0]
    if kind == "value":
        return vals(op[1])
    if kind in ("+", "-"):
        return "%s %s %s" % (path_text(op[1]), kind, vals(op[2]))
    if kind == "if_not_exists":
        return "if_not_exists(%s, %s)" % (path_text(op[1]), vals(op[2]))
    if kind == "append":
        return "list_append(%s, %s)" % (path_text(op[1]), vals(op[2]))
    return "list_append(%s, %s)" % (vals(op[2]), path_text(op[1]))


def update_text(acts, vals):
    sections = {}
    for act in acts:
        kind, path = act[0], act[1]
        if kind == "SET":
            sections.setdefault("SET", []).append("%s = %s" % (path_text(path), operand_text(act[2], vals)))
        elif kind == "REMOVE":
            sections.setdefault("REMOVE", []).append(path_text(path))
        else:
            sections.setdefault(kind, []).append("%s %s" % (path_text(path), vals(act[2])))
    return " ".join("%s %s" % (k, ", ".join(v)) for k, v in sections.items())


_PRECEDENCE = {"OR": 0, "AND": 1, "NOT": 2}


def condition_text(c, vals, parent=0):
    kind = c[0]
    if kind in ("AND", "OR"):
        level = _PRECEDENCE[kind]
        text = "%s %s %s" % (condition_text(c[1], vals, level), kind, condition_text(c[2], vals, level + 1))
        return "(%s)" % text if level < parent else text
    if kind == "NOT":
        return "NOT %s" % condition_text(c[1], vals, 3)
    path = path_text(c[1])
    if kind == "exists":
        return "attribute_exists(%s)" % path
    if kind == "not_exists":
        return "attribute_not_exists(%s)" % path
    if kind == "size>":
        return "size(%s) > %s" % (path, vals(c[2]))
    if kind in ("begins_with", "contains"):
        return "%s(%s, %s)" % (kind, path, vals(c[2]))
    return "%s %s %s" % (path, kind, vals(c[2]))


# ---- the reference model ---------------------------------------------------------------------------------


def get(item, path):
    v = item.get(path[0])
    for e in path[1:]:
        if v is None:
            return None
        t, x = v
        if isinstance(e, int):
            v = x[e] if t == "L" and e < len(x) else None
        else:
            v = x.get(e) if t == "M" else None
    return v


def size(v):
    if v is None or v[0] == "N":
        return None
    return len(v[1])


def holds(item, c):
    kind = c[0]
    if kind == "AND":
        return holds(item, c[1]) and holds(item, c[2])
    if kind == "OR":
        return holds(item, c[1]) or holds(item, c[2])
    if kind == "NOT":
        return not holds(item, c[1])
    v = get(item, c[1])
    if kind == "exists":
        return v is not None
    if kind == "not_exists":
        return v is None
    if kind == "=":
        return v == c[2]
    if kind == "<>":
        return v != c[2]
    if kind in ("<", ">"):
        if v is None or v[0] != c[2][0] or v[0] not in ("N", "S"):
            return False
        return v[1] < c[2][1] if kind == "<" else v[1] > c[2][1]
    if kind == "size>":
        n = size(v)
        return n is not None and n > c[2][1]
    if kind == "begins_with":
        return v is not None and v[0] == "S" and v[1].startswith(c[2][1])
    # contains
    if v is None:
        return False
    t, x = v
    lit_t, lit = c[2]
    if t == "S":
        return lit_t == "S" and lit in x
    if t in ("SS", "NS"):
        return t[0] == lit_t and lit in x
    if t == "L":
        return c[2] in x
    return False


def check_paths(acts):
    ps = [act[1] for act in acts]
    for p, q in itertools.combinations(ps, 2):
        n = min(len(p), len(q))
        if p[:n] == q[:n]:
            raise Invalid("overlap")
        for i in range(n):
            if p[i] != q[i]:
                if isinstance(p[i], int) != isinstance(q[i], int):
                    raise Invalid("conflict")
                break


def operand_value(old, op):
    kind = op[0]
    if kind == "value":
        return op[1]
    if kind in ("+", "-"):
        v = get(old, op[1])
        if v is None:
            raise Invalid("not in item")
        if v[0] != "N":
            raise Invalid("incorrect type")
        return ("N", v[1] + op[2][1] if kind == "+" else v[1] - op[2][1])
    if kind == "if_not_exists":
        v = get(old, op[1])
        return op[2] if v is None else v
    v = get(old, op[1])
    if v is None:
        raise Invalid("not in item")
    if v[0] != "L":
        raise Invalid("incorrect type")
    return ("L", v[1] + op[2][1]) if kind == "append" else ("L", op[2][1] + v[1])


def leaf_value(old, act):
    """The value an action leaves at its path (None: nothing there), from the old item."""
    kind, path = act[0], act[1]
    current = get(old, path)
    if kind == "SET":
        return operand_value(old, act[2])
    if kind == "REMOVE":
        return None
    t, operand = act[2]
    if kind == "ADD":
        if current is None:
            return act[2]
        if current[0] != t:
            raise Invalid("incorrect type")
        return (t, current[1] + operand) if t == "N" else (t, current[1] | operand)
    if current is None:
        return None
    if current[0] != t:
        raise Invalid("incorrect type")
    rest = current[1] - operand
    return (t, rest) if rest else None


def apply_update(old, acts):
    check_paths(acts)
    new = dict(old)
    lists = {}  # top-level name -> {old index: value} for list element actions
    for act in acts:
        path = act[1]
        name = path[0]
        if len(path) > 1:
            parent = old.get(name)
            wanted = "L" if isinstance(path[1], int) else "M"
            if parent is None or parent[0] != wanted:
                raise Invalid("invalid for update")
        value = leaf_value(old, act)
        if len(path) == 1:
            if value is None:
                new.pop(name, None)
            else:
                new[name] = value
        elif isinstance(path[1], str):
            members = dict(new[name][1])
            if value is None:
                members.pop(path[1], None)
            else:
                members[path[1]] = value
            new[name] = ("M", members)
        else:
            entries = lists.setdefault(name, dict(enumerate(old[name][1])))
            if value is None:
                entries.pop(path[1], None)
            else:
                entries[path[1]] = value
    for name, entries in lists.items():
        new[name] = ("L", tuple(entries[i] for i in sorted(entries)))
    return new


def project(item, acts):
    """UPDATED_OLD / UPDATED_NEW: the item's values at the action paths, nested and compacted."""
    out = {}
    for act in sorted(acts, key=lambda a: [(isinstance(e, int), e) for e in a[1]]):
        path = act[1]
        v = get(item, path)
        if v is None:
            continue
        name = path[0]
        if len(path) == 1:
            out[name] = v
        elif isinstance(path[1], str):
            out.setdefault(name, ("M", {}))[1][path[1]] = v
        else:
            t, elements = out.get(name, ("L", ()))
            out[name] = ("L", elements + (v,))
    return out


# ---- the property ----------------------------------------------------------------------------------------


@pytest.fixture
def table(ddb):
    ddb.create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return ddb


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    initial=st.tuples(st.integers(0, 5), items).map(lambda t: t[1] if t[0] else None),
    steps=st.lists(requests(), min_size=1, max_size=4),
)
def test_update_item_and_conditions_follow_the_model(table, initial, steps):
    ddb = table
    pk = ("S", "k%d" % next(_pks))
    key = {"pk": to_wire(pk)}
    model = None
    if initial is not None:
        model = dict(initial, pk=pk)
        ddb.put_item(TableName=TABLE, Item={k: to_wire(v) for k, v in model.items()})

    for acts, condition, return_values in steps:
        vals = Values()
        request = {"TableName": TABLE, "Key": key, "ReturnValues": return_values}
        if acts:
            request["UpdateExpression"] = update_text(acts, vals)
        if condition is not None:
            request["ConditionExpression"] = condition_text(condition, vals)
        if vals.values:
            request["ExpressionAttributeValues"] = vals.values

        old = model if model is not None else {}
        try:
            check_paths(acts)
            if condition is not None and not holds(old, condition):
                expected = "ConditionalCheckFailedException"
            else:
                new = apply_update(dict(old, pk=pk), acts)
                expected = None
        except Invalid:
            expected = "ValidationException"

        event("outcome: %s" % (expected or "applied"))     # --hypothesis-show-statistics
        if expected is not None:
            with pytest.raises(ClientError) as info:
                ddb.update_item(**request)
            assert info.value.response["Error"]["Code"] == expected, (request, info.value.response["Error"])
        else:
            response = ddb.update_item(**request)
            attributes = item_from_wire(response.get("Attributes"))
            if return_values == "ALL_OLD":
                assert attributes == model, request
            elif return_values == "ALL_NEW":
                assert attributes == new, request
            elif return_values in ("UPDATED_OLD", "UPDATED_NEW"):
                appends = any(
                    isinstance(a[1][-1], int)
                    and len(a[1]) == 2
                    and old.get(a[1][0], ("", ()))[0] == "L"
                    and a[1][1] >= len(old[a[1][0]][1])
                    for a in acts
                )
                if not appends:  # where an appended element shows up is not pinned down here
                    expected_attributes = (
                        project(old if return_values == "UPDATED_OLD" else new, acts) or None
                    )
                    assert attributes == expected_attributes, request
            else:
                assert attributes is None
            model = new
        stored = ddb.get_item(TableName=TABLE, Key=key, ConsistentRead=True).get("Item")
        assert item_from_wire(stored) == model, request


# ---- conditions alone, with literals taken from the item ------------------------------------------------


@st.composite
def item_and_condition(draw):
    """An item and a condition whose literals are often the item's own values (or members of them), so that
    =, <, >, begins_with and contains are decided by the values rather than by their types."""
    item = draw(items)
    present = [(name,) for name in item]
    for name, (t, x) in item.items():
        if t == "M":
            present += [(name, k) for k in x]
        elif t == "L":
            present += [(name, i) for i in range(len(x))]
    present.sort(key=repr)

    def literal(path, wanted):
        actual = get(item, path)
        if actual is not None and draw(st.integers(0, 3)):
            if wanted == "member" and actual[0] in ("L", "SS", "NS") and actual[1]:
                member = draw(st.sampled_from(sorted(actual[1], key=repr)))
                return member if actual[0] == "L" else (actual[0][0], member)
            if wanted == "prefix" and actual[0] == "S":
                return ("S", actual[1][: draw(st.integers(0, len(actual[1])))])
            if wanted == "any" or (wanted == "scalar" and actual[0] in ("N", "S")):
                return actual
        return draw({"any": values, "scalar": scalars, "member": scalars, "prefix": strings}[wanted])

    def condition(depth):
        kind = draw(
            st.sampled_from(
                ["exists", "not_exists", "=", "<>", "<", ">", "size>", "begins_with", "contains"]
                + (["AND", "OR", "NOT"] if depth < 3 else [])
            )
        )
        if kind in ("AND", "OR"):
            return (kind, condition(depth + 1), condition(depth + 1))
        if kind == "NOT":
            return ("NOT", condition(depth + 1))
        types = {
            "<": ("N", "S"),
            ">": ("N", "S"),
            "begins_with": ("S",),
            "contains": ("S", "L", "SS", "NS"),
            "size>": ("S", "L", "M", "SS", "NS"),
        }.get(kind)
        candidates = [p for p in present if types is None or get(item, p)[0] in types]
        path = draw(st.sampled_from(candidates) if candidates and draw(st.integers(0, 3)) else paths)
        if kind in ("exists", "not_exists"):
            return (kind, path)
        if kind == "size>":
            n = size(get(item, path))
            return (kind, path, ("N", Decimal(n - draw(st.integers(0, 1)) if n is not None else 1)))
        wanted = {
            "=": "any",
            "<>": "any",
            "<": "scalar",
            ">": "scalar",
            "begins_with": "prefix",
            "contains": "member",
        }[kind]
        return (kind, path, literal(path, wanted))

    return item, condition(0)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=item_and_condition())
def test_condition_evaluation_follows_the_model(table, case):
    ddb = table
    item, condition = case
    item = dict(item, pk=("S", "c%d" % next(_pks)))
    wire = {k: to_wire(v) for k, v in item.items()}
    ddb.put_item(TableName=TABLE, Item=wire)
    vals = Values()
    request = {"TableName": TABLE, "Item": wire, "ConditionExpression": condition_text(condition, vals)}
    if vals.values:
        request["ExpressionAttributeValues"] = vals.values
    if holds(item, condition):
        ddb.put_item(**request)
    else:
        with pytest.raises(ClientError) as info:
            ddb.put_item(**request)
        assert info.value.response["Error"]["Code"] == "ConditionalCheckFailedException", request
