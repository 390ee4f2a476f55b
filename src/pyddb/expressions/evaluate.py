"""Evaluating resolved expressions: conditions and filters, projections, and applying updates.

Input trees come from resolve.py (every path element a str or int, every value a Literal). Items and values
are wire AttributeValues (docs/datamodel.md). Nothing here mutates an item, a value or a tree; results
share unchanged sub-values with their inputs, so treat them as read-only.

CONDITIONS (DynamoDB Local, decompiled: datamodel/OperatorExecutor.java, ExpressionExecutor.java)
    A condition is compiled once per request into nested closures, then called per item: never an error.
    A path to nothing is "missing". = is true when both sides exist and are equal: same type, numbers by
    value, sets as sets, lists and maps element by element. <> is the negation of = (so true when a side is
    missing). < <= > >= BETWEEN need both sides of one type among S, N, B: S by code point (the same order
    as UTF-8 bytes), N by value, B by bytes; anything else is false. IN is = against any choice.
    attribute_exists / attribute_not_exists / attribute_type(path, "S"...). begins_with: S or B, same type.
    contains: S in S (substring), B in B, an element of a list (=), a member of a set of the matching scalar
    type. size: S -> UTF-16 code units (ExtendDB/extenddb#67, checked against DynamoDB), B -> bytes, sets,
    lists, maps -> element count, other types -> missing (so the comparison is false; <> is true).

UPDATES (ExpressionExecutor.createNewDocumentInternal)
    Every action reads the item as it was before the update. The actions' paths form a tree (resolve.py);
    the new item is built by walking it: an inner step must exist in the old item and be a map (for a name)
    or a list (for an index), else "The document path provided in the update expression is invalid for
    update". At a leaf: SET stores the value (a list index past the end appends), REMOVE drops it (list
    elements after it shift down: removed indexes refer to the old list), ADD adds a number or unions a set
    (creating the attribute when missing), DELETE subtracts a set (no-op when missing; an empty result removes
    the attribute). Errors: "An operand in the update expression has an incorrect data type" (mixed types in
    + - list_append ADD DELETE), "The provided expression refers to an attribute that does not exist in the
    item" (a missing operand of SET), and the number range texts of types/numbers.py.

PROJECTIONS (ExpressionExecutor.project): the paths' tree applied to the item; maps keep the requested keys
that exist, lists keep the requested elements that exist, in index order and compacted; empty results vanish.
"""
from decimal import Decimal

from pyddb.types import numbers
from pyddb.types.invalid import InvalidValue

from . import ast
from . import messages as msg

_ORDERED = ("S", "N", "B")
_SETS = {"SS": "S", "NS": "N", "BS": "B"}


# --- values ----------------------------------------------------------------------------------------------
def get_path(item: dict, path: tuple):
    """The AttributeValue at a resolved path, or None."""
    cur = item.get(path[0])
    for e in path[1:]:
        if cur is None:
            return None
        if type(e) is str:
            m = cur.get("M")
            if m is None:
                return None
            cur = m.get(e)
        else:
            lst = cur.get("L")
            if lst is None or e >= len(lst):
                return None
            cur = lst[e]
    return cur


def _num(text):
    return Decimal(text)


def equal(a, b) -> bool:
    """DynamoDB's = on two AttributeValues (None = missing: never equal)."""
    if a is None or b is None:
        return False
    if a == b:
        return True
    ta = next(iter(a))
    if ta != next(iter(b)):
        return False
    va, vb = a[ta], b[ta]
    if ta == "N":
        return _num(va) == _num(vb)
    if ta == "B":
        return bytes(va) == bytes(vb)
    if ta == "SS":
        return len(va) == len(vb) and set(va) == set(vb)
    if ta == "NS":
        return len(va) == len(vb) and set(map(_num, va)) == set(map(_num, vb))
    if ta == "BS":
        return len(va) == len(vb) and set(map(bytes, va)) == set(map(bytes, vb))
    if ta == "L":
        return len(va) == len(vb) and all(equal(x, y) for x, y in zip(va, vb))
    if ta == "M":
        return va.keys() == vb.keys() and all(equal(x, vb[k]) for k, x in va.items())
    return False  # S, BOOL, NULL with different values


def _order(av):
    """(type, key) for S/N/B, else None."""
    t = next(iter(av))
    if t == "S":
        return t, av[t]
    if t == "N":
        return t, _num(av[t])
    if t == "B":
        return t, bytes(av[t])
    return None


def _size(av):
    if av is None:
        return None
    t = next(iter(av))
    v = av[t]
    if t == "S":
        n = len(v) if v.isascii() else len(v) + sum(1 for ch in v if ord(ch) > 0xFFFF)
    elif t in ("B", "SS", "NS", "BS", "L", "M"):
        n = len(v)
    else:
        return None
    return {"N": str(n)}


def _contains(a, b) -> bool:
    if a is None or b is None:
        return False
    ta = next(iter(a))
    tb = next(iter(b))
    va = a[ta]
    if ta == "S" or ta == "B":
        return ta == tb and (b[tb] in va if ta == "S" else bytes(b[tb]) in bytes(va))
    if ta == "L":
        return any(equal(x, b) for x in va)
    if _SETS.get(ta) == tb:
        vb = b[tb]
        if ta == "SS":
            return vb in va
        if ta == "NS":
            n = _num(vb)
            return any(_num(x) == n for x in va)
        vb = bytes(vb)
        return any(bytes(x) == vb for x in va)
    return False


def _begins_with(a, b) -> bool:
    if a is None or b is None:
        return False
    ta = next(iter(a))
    if ta != next(iter(b)):
        return False
    if ta == "S":
        return a[ta].startswith(b[ta])
    if ta == "B":
        return bytes(a[ta]).startswith(bytes(b[ta]))
    return False


def literal(node, env):
    """A Literal's value: the request's own (`env`, its validated ExpressionAttributeValues) when given."""
    ref = node.ref
    if env is None or ref is None:
        return node.av
    return env[ref]


# --- compiling conditions --------------------------------------------------------------------------------
def _operand(node, env):
    """Resolved operand -> function item -> AttributeValue or None."""
    cls = type(node)
    if cls is ast.Literal:
        av = literal(node, env)
        return lambda item: av
    if cls is ast.Path:
        path = node.elements
        if len(path) == 1:
            name = path[0]
            return lambda item: item.get(name)
        return lambda item: get_path(item, path)
    if cls is ast.Call and node.name == "size":
        inner = _operand(node.args[0], env)
        return lambda item: _size(inner(item))
    raise TypeError(f"not an operand: {node!r}")  # pragma: no cover


def _compare(op, lf, rf):
    if op == "=":
        return lambda item: equal(lf(item), rf(item))
    if op == "<>":
        return lambda item: not equal(lf(item), rf(item))

    def test(item):
        a = lf(item)
        b = rf(item)
        if a is None or b is None:
            return False
        ka = _order(a)
        kb = _order(b)
        if ka is None or kb is None or ka[0] != kb[0]:
            return False
        x, y = ka[1], kb[1]
        if op == "<":
            return x < y
        if op == "<=":
            return x <= y
        if op == ">":
            return x > y
        return x >= y
    return test


def _compare_path_literal(op, path, av):
    """Fast path for `name op :value` with a scalar value (the common filter)."""
    t = next(iter(av))
    name = path[0] if len(path) == 1 else None
    getter = (lambda item: item.get(name)) if name is not None else (lambda item: get_path(item, path))
    if op in ("=", "<>") and t in ("S", "BOOL", "NULL"):
        if op == "=":
            return lambda item: getter(item) == av
        return lambda item: getter(item) != av
    if t not in _ORDERED or op in ("=", "<>"):
        return None
    key = _order(av)[1]

    def test(item):
        a = getter(item)
        if a is None:
            return False
        v = a.get(t)
        if v is None:
            return False
        x = _num(v) if t == "N" else (bytes(v) if t == "B" else v)
        if op == "<":
            return x < key
        if op == "<=":
            return x <= key
        if op == ">":
            return x > key
        return x >= key
    return test


def compile_condition(node, env=None):
    """Resolved condition tree -> function item -> bool. `env`: the values its Literals take (literal())."""
    cls = type(node)
    if cls is ast.Compare:
        if type(node.left) is ast.Path and type(node.right) is ast.Literal:
            fast = _compare_path_literal(node.op, node.left.elements, literal(node.right, env))
            if fast is not None:
                return fast
        return _compare(node.op, _operand(node.left, env), _operand(node.right, env))
    if cls is ast.And:
        parts = tuple(compile_condition(c, env) for c in node.operands)
        if len(parts) == 2:
            p, q = parts
            return lambda item: p(item) and q(item)
        return lambda item: all(p(item) for p in parts)
    if cls is ast.Or:
        parts = tuple(compile_condition(c, env) for c in node.operands)
        if len(parts) == 2:
            p, q = parts
            return lambda item: p(item) or q(item)
        return lambda item: any(p(item) for p in parts)
    if cls is ast.Not:
        inner = compile_condition(node.operand, env)
        if node.count % 2:
            return lambda item: not inner(item)
        return lambda item: bool(inner(item))
    if cls is ast.Between:
        f = _operand(node.operand, env)
        ge = _compare(">=", f, _operand(node.low, env))
        le = _compare("<=", f, _operand(node.high, env))
        return lambda item: le(item) and ge(item)
    if cls is ast.In:
        f = _operand(node.operand, env)
        choices = tuple(_operand(c, env) for c in node.choices)
        return lambda item: any(equal(f(item), c(item)) for c in choices)
    if cls is ast.Call:
        name = node.name
        if name in ("attribute_exists", "attribute_not_exists"):
            f = _operand(node.args[0], env)
            if name == "attribute_exists":
                return lambda item: f(item) is not None
            return lambda item: f(item) is None
        f, g = _operand(node.args[0], env), _operand(node.args[1], env)
        if name == "attribute_type":
            wanted = literal(node.args[1], env)["S"]

            def attribute_type(item):
                v = f(item)
                return v is not None and next(iter(v)) == wanted
            return attribute_type
        if name == "begins_with":
            return lambda item: _begins_with(f(item), g(item))
        if name == "contains":
            return lambda item: _contains(f(item), g(item))
    raise TypeError(f"not a condition: {node!r}")  # pragma: no cover


# --- updates ---------------------------------------------------------------------------------------------
def _fail(text):
    raise msg.ValidationException(text)


def _type_of(av):
    return next(iter(av))


def _check_operands(a, b, t):
    """[LOCAL] executeOperator: each operand in turn must exist, then be of the operator's type."""
    for v in (a, b):
        if v is None:
            _fail(msg.ATTRIBUTE_NOT_FOUND)
        if t not in v:
            _fail(msg.INCORRECT_DATA_TYPE)


def _value(node, item, env):
    """Evaluate a SET operand against the old item ([LOCAL] executeOperator; None = missing)."""
    cls = type(node)
    if cls is ast.Literal:
        return literal(node, env)
    if cls is ast.Path:
        return get_path(item, node.elements)
    if cls is ast.Arith:
        a = _value(node.left, item, env)
        b = _value(node.right, item, env)
        _check_operands(a, b, "N")
        try:
            if node.op == "+":
                return {"N": numbers.add(a["N"], b["N"])}
            return {"N": numbers.subtract(a["N"], b["N"])}
        except InvalidValue as e:
            raise msg.ValidationException(e.message) from None
    if cls is ast.Call:
        if node.name == "if_not_exists":
            first = _value(node.args[0], item, env)
            second = _value(node.args[1], item, env)
            if second is None:
                _fail(msg.ATTRIBUTE_NOT_FOUND)
            return second if first is None else first
        # list_append
        a = _value(node.args[0], item, env)
        b = _value(node.args[1], item, env)
        _check_operands(a, b, "L")
        return {"L": list(a["L"]) + list(b["L"])}
    raise TypeError(f"not an update operand: {node!r}")  # pragma: no cover


def _set_key(t, x):
    return _num(x) if t == "NS" else (bytes(x) if t == "BS" else x)


def _leaf(action, old, item, env):
    """The new value at an action's path (None = absent)."""
    cls = type(action)
    if cls is ast.SetAction:
        v = _value(action.value, item, env)
        if v is None:
            _fail(msg.ATTRIBUTE_NOT_FOUND)
        return v
    if cls is ast.RemoveAction:
        return None
    operand = literal(action.value, env)
    if cls is ast.AddAction:
        if old is None:
            return operand
        t = _type_of(operand)
        if _type_of(old) != t:
            _fail(msg.INCORRECT_DATA_TYPE)
        if t == "N":
            try:
                return {"N": numbers.add(old["N"], operand["N"])}
            except InvalidValue as e:
                raise msg.ValidationException(e.message) from None
        have = {_set_key(t, x) for x in old[t]}
        added = list(old[t])
        for x in operand[t]:
            k = _set_key(t, x)
            if k not in have:
                have.add(k)
                added.append(x)
        return {t: added}
    # DELETE
    if old is None:
        return None
    t = _type_of(operand)
    if _type_of(old) != t:
        _fail(msg.INCORRECT_DATA_TYPE)
    gone = {_set_key(t, x) for x in operand[t]}
    kept = [x for x in old[t] if _set_key(t, x) not in gone]
    return {t: kept} if kept else None


def _apply_map(node, doc, actions, item, env):
    out = dict(doc)
    for key, child in node.items():
        if type(key) is not str:
            _fail(msg.INVALID_FOR_UPDATE)
        if type(child) is dict:
            sub = doc.get(key)
            if sub is None:
                _fail(msg.INVALID_FOR_UPDATE)
            out[key] = _apply_inner(child, sub, actions, item, env)
        else:
            v = _leaf(actions[child], doc.get(key), item, env)
            if v is None:
                out.pop(key, None)
            else:
                out[key] = v
    return out


def _apply_inner(node, av, actions, item, env):
    if "M" in av:
        return {"M": _apply_map(node, av["M"], actions, item, env)}
    lst = av.get("L")
    if lst is None:
        _fail(msg.INVALID_FOR_UPDATE)
    entries = dict(enumerate(lst))
    n = len(lst)
    for index, child in node.items():
        if type(index) is not int:
            _fail(msg.INVALID_FOR_UPDATE)
        old = lst[index] if index < n else None
        if type(child) is dict:
            if old is None:
                _fail(msg.INVALID_FOR_UPDATE)
            entries[index] = _apply_inner(child, old, actions, item, env)
        else:
            v = _leaf(actions[child], old, item, env)
            if v is None:
                entries.pop(index, None)
            else:
                entries[index] = v
    return {"L": [entries[i] for i in sorted(entries)]}


def _project_map(node, doc):
    out = {}
    for key, child in node.items():
        if type(key) is not str:
            continue
        v = doc.get(key)
        if v is None:
            continue
        if type(child) is dict:
            v = _project_inner(child, v)
            if v is None:
                continue
        out[key] = v
    return out


def _project_inner(node, av):
    m = av.get("M")
    if m is not None:
        out = _project_map(node, m)
        return {"M": out} if out else None
    lst = av.get("L")
    if lst is None:
        return None
    out = []
    n = len(lst)
    for index in sorted(k for k in node if type(k) is int):
        if index >= n:
            continue
        v = lst[index]
        child = node[index]
        if type(child) is dict:
            v = _project_inner(child, v)
            if v is None:
                continue
        out.append(v)
    return {"L": out} if out else None


class ProjectionPlan:
    """A resolved ProjectionExpression: `paths` (tuples of str/int, in text order) and `apply(item)`."""

    __slots__ = ("paths", "tree")

    def __init__(self, paths, tree):
        self.paths = paths
        self.tree = tree

    def apply(self, item: dict) -> dict:
        return _project_map(self.tree, item)

    __call__ = apply


class UpdatePlan:
    """A resolved UpdateExpression. `apply(item)` returns the new item (the input is not changed; an error
    is raised before anything is produced). `paths` are the actions' resolved paths in text order;
    `project(item)` projects an item onto them (ReturnValues UPDATED_OLD / UPDATED_NEW). `values`: the
    request's validated ExpressionAttributeValues its Literals take (literal()); `bind(values)` is the same
    plan for another request whose values have the same placeholders and types."""

    __slots__ = ("actions", "tree", "values")

    def __init__(self, actions, tree, values=None):
        self.actions = actions
        self.tree = tree
        self.values = values

    def bind(self, values):
        return UpdatePlan(self.actions, self.tree, values)

    @property
    def paths(self):
        return tuple(a.path.elements for a in self.actions)

    def top_level_names(self):
        """The top-level attributes the update touches (for the key-attribute check)."""
        return tuple(self.tree)

    def apply(self, item: dict) -> dict:
        return _apply_map(self.tree, item, self.actions, item, self.values)

    __call__ = apply

    def project(self, item: dict) -> dict:
        return _project_map(self.tree, item)


class KeyCondition:
    """A validated KeyConditionExpression: the partition key's name and value, and the sort-key condition
    (`range_op` one of = < <= > >= BETWEEN BEGINS_WITH, as types.keycodec.condition_range takes it, with
    `range_values` one or two AttributeValues), or range_key None when there is none."""

    __slots__ = ("hash_key", "hash_value", "range_key", "range_op", "range_values")

    def __init__(self, hash_key, hash_value, range_key, range_op, range_values):
        self.hash_key = hash_key
        self.hash_value = hash_value
        self.range_key = range_key
        self.range_op = range_op
        self.range_values = range_values

    def __eq__(self, other):
        return isinstance(other, KeyCondition) and all(
            getattr(self, s) == getattr(other, s) for s in self.__slots__)

    def __repr__(self):
        fields = ", ".join(f"{s}={getattr(self, s)!r}" for s in self.__slots__)
        return f"KeyCondition({fields})"
