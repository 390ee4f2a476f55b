"""Per-request checks: #name / :value substitution, operand types, paths, and unused placeholders.

A `Resolver` holds one request's ExpressionAttributeNames and ExpressionAttributeValues. Each expression of
the request goes through it (condition, update, projection, key condition), and `check_unused()` runs last,
because DynamoDB counts a placeholder as used if *any* of the request's expressions uses it. The parsed tree
(cached, shared between requests) is only read; resolution builds new nodes (ast.py, cache.py C1).

ORDER OF CHECKS (DynamoDB Local, decompiled: ExpressionValidator.java, OperatorValidator.java)
    condition  one walk, children before their operator, left to right. A path: too deep, then undefined
               #name. A :value: undefined. An operator or function: number of operands, operand types,
               distinct first operand, its own rule (attribute_exists needs a path, attribute_type's type
               name, BETWEEN bounds, at most 100 IN operands), then the operator count (at most 300).
    update     first every action's path, last action first (undefined #name, too deep, paths overlapping or
               conflicting), then every action's value, last action first (as a condition, then ADD/DELETE
               operand types).
    projection every path, last first (undefined #name, too deep, overlap, conflict).
    unused     after all expressions: ExpressionAttributeNames first, then ExpressionAttributeValues
               (dynalite validations/index.js validateExpressions).

OPERAND TYPES (DynamoDB Local Operator.java / TypeSet.java)
    A path may be of any type; a :value has its own type; a function returns N (size), BOOL (the others),
    L (list_append) or any type (if_not_exists); + and - return N. The operators accept:
    < <= > >= BETWEEN: S N B.   begins_with: S B.   size: S B SS NS BS L M.   + -: N.   list_append: L.
    Everything else: any type.

KEY CONDITIONS (`key_condition`): the expression is first checked as a condition, then reduced to one
equality on the partition key and at most one condition on the sort key, with DynamoDB's refusals in
dynalite's order (validations/index.js convertKeyCondition, actions/query.js).
"""
import base64
from decimal import Decimal

from . import ast
from . import messages as msg
from .evaluate import KeyCondition, ProjectionPlan, UpdatePlan, compile_condition, literal

ALL = None  # "any type"
_ORDERED = frozenset(("S", "N", "B"))
_STRING_BINARY = frozenset(("S", "B"))
_ITERABLE = frozenset(("S", "B", "SS", "NS", "BS", "L", "M"))
_NUMBER = frozenset(("N",))
_LIST = frozenset(("L",))
# What each operator accepts, and whether its first operand must differ from the others (DynamoDB's
# allowNullOperands, which also enables REPEAT_DOC_PATH_NOT_ALLOWED).
_OPERATORS = {
    "=": (ALL, True), "<>": (ALL, True),
    "<": (_ORDERED, True), "<=": (_ORDERED, True), ">": (_ORDERED, True), ">=": (_ORDERED, True),
    "BETWEEN": (_ORDERED, True), "IN": (ALL, True),
    "attribute_exists": (ALL, True), "attribute_not_exists": (ALL, True), "attribute_type": (ALL, True),
    "contains": (ALL, True), "begins_with": (_STRING_BINARY, True), "size": (_ITERABLE, True),
    "if_not_exists": (ALL, True), "list_append": (_LIST, False), "+": (_NUMBER, False), "-": (_NUMBER, False),
}
_ARITY = {"attribute_exists": 1, "attribute_not_exists": 1, "attribute_type": 2, "begins_with": 2,
          "contains": 2, "size": 1, "if_not_exists": 2, "list_append": 2}
_RETURNS = {"size": _NUMBER, "list_append": _LIST, "if_not_exists": ALL}  # others return BOOL
# DynamoDB's rendering of "any type" (its internal type list, in its declaration order).
_ALL_TYPES_TEXT = "{S,SS,N,NS,B,BS,BOOL,NULL,L,M,HD,DOUBLE,FLOAT,HDS,FS,DOUBLESET,DICT,DECIMAL,INT,DECIMALSET,INTSET}"
_ATTRIBUTE_TYPES = frozenset(("S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"))
# DocumentNodeType names, for the ADD/DELETE operand message.
_TYPE_NAMES = {"S": "STRING", "N": "NUMBER", "B": "BINARY", "BOOL": "BOOLEAN", "NULL": "NULL", "L": "LIST",
               "M": "MAP", "SS": "STRING_SET", "NS": "NUMBER_SET", "BS": "BINARY_SET"}
_ADD_TYPES = frozenset(("N", "SS", "NS", "BS"))
_DELETE_TYPES = frozenset(("SS", "NS", "BS"))
_KC_FUNCTIONS_REFUSED = ("attribute_exists", "attribute_not_exists", "attribute_type", "contains")
_FLIP = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def av_type(av) -> str:
    return next(iter(av))


def _av_text(av) -> str:
    """DynamoDB's "{N:5}" rendering of a scalar in BETWEEN messages (B as base64)."""
    t = av_type(av)
    v = av[t]
    if t == "B":
        v = base64.b64encode(bytes(v)).decode("ascii")
    return f"{{{t}:{v}}}"


def _order_key(av):
    t = av_type(av)
    v = av[t]
    if t == "N":
        return Decimal(v)
    if t == "B":
        return bytes(v)
    return v


class Resolver:
    """One request's placeholders. Use each expression once through it, then call check_unused()."""

    __slots__ = ("_kind", "_ops", "names", "used_names", "used_values", "values", "value_checked")

    def __init__(self, names=None, values=None):
        self.names = names or {}
        self.values = values or {}
        self.used_names = {}
        self.used_values = {}
        self._kind = ""
        self._ops = 0
        # True once a check looked at a value itself, not only its type (attribute_type's type name, the
        # BETWEEN bounds' order): the result then holds for these values only (api/common.py's cache).
        self.value_checked = False

    # --- errors --------------------------------------------------------------------------------------
    def _fail(self, message):
        raise msg.invalid(self._kind, message)

    def check_unused(self):
        """Raise DynamoDB's error for placeholders no expression of the request used (names first)."""
        unused = [k for k in self.names if k not in self.used_names]
        if unused:
            raise msg.ValidationException(msg.UNUSED_NAMES.format(keys=", ".join(unused)))
        unused = [k for k in self.values if k not in self.used_values]
        if unused:
            raise msg.ValidationException(msg.UNUSED_VALUES.format(keys=", ".join(unused)))

    # --- paths and values ----------------------------------------------------------------------------
    def path(self, path: ast.Path) -> tuple:
        elements = path.elements
        if len(elements) > msg.MAX_PATH_DEPTH:
            self._fail(msg.PATH_TOO_DEEP.format(depth=len(elements)))
        out = []
        names = self.names
        for e in elements:
            if type(e) is ast.Name:
                self.used_names[e.ref] = True
                real = names.get(e.ref)
                if real is None:
                    self._fail(msg.UNDEFINED_NAME.format(name=e.ref))
                out.append(real)
            else:
                out.append(e)
        return tuple(out)

    def value(self, node: ast.Value) -> ast.Literal:
        self.used_values[node.ref] = True
        av = self.values.get(node.ref)
        if av is None:
            self._fail(msg.UNDEFINED_VALUE.format(value=node.ref))
        return ast.Literal(av, node.ref)

    # --- conditions and operands (one post-order walk) -----------------------------------------------
    def _count(self, n=1):
        for _ in range(n):
            self._ops += 1
            if self._ops > msg.MAX_OPERATORS:
                self._fail(msg.TOO_MANY_OPERATORS.format(count=self._ops))

    def _node(self, node):
        cls = type(node)
        if cls is ast.Path:
            return ast.Path(self.path(node))
        if cls is ast.Value:
            return self.value(node)
        if cls is ast.Compare:
            left, right = self._node(node.left), self._node(node.right)
            self._validate(node.op, (left, right))
            return ast.Compare(node.op, left, right)
        if cls is ast.And or cls is ast.Or:
            operands = tuple(self._node(c) for c in node.operands)
            self._count(len(operands) - 1)
            return cls(operands)
        if cls is ast.Not:
            operand = self._node(node.operand)
            self._count(node.count)
            return ast.Not(operand, node.count)
        if cls is ast.Call:
            args = tuple(self._node(a) for a in node.args)
            self._validate(node.name, args)
            return ast.Call(node.name, args)
        if cls is ast.Between:
            operand, low, high = self._node(node.operand), self._node(node.low), self._node(node.high)
            self._validate("BETWEEN", (operand, low, high))
            return ast.Between(operand, low, high)
        if cls is ast.In:
            operand = self._node(node.operand)
            choices = tuple(self._node(c) for c in node.choices)
            self._validate("IN", (operand,) + choices)
            return ast.In(operand, choices)
        if cls is ast.Arith:
            left, right = self._node(node.left), self._node(node.right)
            self._validate(node.op, (left, right))
            return ast.Arith(node.op, left, right)
        raise TypeError(f"not an expression node: {node!r}")  # pragma: no cover

    @staticmethod
    def _returns(node):
        """The set of types a resolved operand can have (ALL = any)."""
        cls = type(node)
        if cls is ast.Literal:
            return frozenset((av_type(node.av),))
        if cls is ast.Call:
            return _RETURNS.get(node.name, frozenset(("BOOL",)))
        if cls is ast.Arith:
            return _NUMBER
        if cls is ast.Path:
            return ALL
        return frozenset(("BOOL",))

    @staticmethod
    def _types_text(types):
        if types is ALL:
            return _ALL_TYPES_TEXT
        if len(types) == 1:
            return next(iter(types))
        return "{" + ",".join(sorted(types)) + "}"

    def _validate(self, name, operands):
        """[LOCAL] OperatorValidator.validateOperator, then the operator count."""
        accepted, distinct = _OPERATORS[name]
        arity = _ARITY.get(name)
        if arity is not None and len(operands) != arity:
            self._fail(msg.OPERAND_COUNT.format(name=name, count=len(operands)))
        if accepted is not ALL:
            for o in operands:
                r = self._returns(o)
                if r is not ALL and not (r & accepted):
                    self._fail(msg.OPERAND_TYPE.format(name=name, type=self._types_text(r)))
        if distinct and len(operands) > 1 and type(operands[0]) is ast.Path:
            first = operands[0].elements
            for o in operands[1:]:
                if type(o) is ast.Path and o.elements == first:
                    self._fail(msg.DISTINCT_OPERANDS.format(name=name, path=ast.path_str(first)))
        if name in ("attribute_exists", "attribute_not_exists", "if_not_exists"):
            if type(operands[0]) is not ast.Path:
                self._fail(msg.REQUIRES_PATH.format(name=name))
        elif name == "attribute_type":
            self.value_checked = True
            t = operands[1]
            if type(t) is not ast.Literal or av_type(t.av) != "S":
                self._fail(msg.OPERAND_TYPE.format(name=name, type=self._types_text(self._returns(t))))
            if t.av["S"] not in _ATTRIBUTE_TYPES:
                self._fail(msg.ATTRIBUTE_TYPE_NAME.format(type=t.av["S"]))
        elif name == "BETWEEN":
            low, high = operands[1], operands[2]
            if type(low) is ast.Literal and type(high) is ast.Literal:
                self.value_checked = True
                texts = {"low": _av_text(low.av), "high": _av_text(high.av)}
                if av_type(low.av) != av_type(high.av):
                    self._fail(msg.BETWEEN_TYPES.format(**texts))
                if _order_key(low.av) > _order_key(high.av):
                    self._fail(msg.BETWEEN_ORDER.format(**texts))
        elif name == "IN" and len(operands) - 1 > msg.MAX_IN_OPERANDS:
            self._fail(msg.IN_TOO_MANY.format(count=len(operands) - 1))
        self._count()

    def _begin(self, parsed: ast.Parsed):
        self._kind = parsed.kind
        self._ops = 0

    # --- the four expression kinds ------------------------------------------------------------------
    def condition_tree(self, parsed: ast.Parsed):
        """The resolved condition tree (placeholders substituted, every check above passed)."""
        self._begin(parsed)
        return self._node(parsed.root)

    def condition(self, parsed: ast.Parsed):
        """A ConditionExpression/FilterExpression -> a function item -> bool."""
        return compile_condition(self.condition_tree(parsed), self.values)

    def projection(self, parsed: ast.Parsed) -> ProjectionPlan:
        self._begin(parsed)
        paths = [None] * len(parsed.root.paths)
        trie = {}
        for i in range(len(paths) - 1, -1, -1):  # DynamoDB takes them last to first
            paths[i] = self.path(parsed.root.paths[i])
            self._insert(trie, paths[i], None)
        return ProjectionPlan(tuple(paths), trie)

    def update(self, parsed: ast.Parsed) -> UpdatePlan:
        self._begin(parsed)
        actions = parsed.root.actions
        paths = [None] * len(actions)
        trie = {}
        for i in range(len(actions) - 1, -1, -1):
            paths[i] = self.path(actions[i].path)
            self._insert(trie, paths[i], i)
        resolved = [None] * len(actions)
        for i in range(len(actions) - 1, -1, -1):
            a = actions[i]
            cls = type(a)
            if cls is ast.SetAction:
                resolved[i] = ast.SetAction(ast.Path(paths[i]), self._node(a.value))
            elif cls is ast.RemoveAction:
                resolved[i] = ast.RemoveAction(ast.Path(paths[i]))
            else:
                literal = self.value(a.value)
                t = av_type(literal.av)
                allowed, word, type_set = ((_ADD_TYPES, "ADD", "ALLOWED_FOR_ADD_OPERAND") if cls is ast.AddAction
                                           else (_DELETE_TYPES, "DELETE", "ALLOWED_FOR_DELETE_OPERAND"))
                if t not in allowed:
                    self._fail(msg.ADD_DELETE_OPERAND_TYPE.format(action=word, type=_TYPE_NAMES.get(t, t),
                                                                  type_set=type_set))
                resolved[i] = cls(ast.Path(paths[i]), literal)
        return UpdatePlan(tuple(resolved), trie, self.values)

    def _insert(self, trie, path, leaf):
        """Add a path to the path tree, refusing overlaps and conflicts ([LOCAL] buildProjTreeInternal)."""
        node = trie
        depth = 0
        last = len(path) - 1
        while True:
            e = path[depth]
            if e not in node:
                if node and (type(next(iter(node))) is int) != (type(e) is int):
                    self._fail(msg.PATHS_CONFLICT.format(one=ast.path_str(path),
                                                         two=ast.path_str(_leaf_path(path, depth, node))))
                sub = leaf
                for f in reversed(path[depth + 1:]):
                    sub = {f: sub}
                node[e] = sub
                return
            child = node[e]
            if type(child) is dict and depth < last:
                node = child
                depth += 1
                continue
            self._fail(msg.PATHS_OVERLAP.format(one=ast.path_str(path),
                                                two=ast.path_str(_leaf_path(path, depth, node))))

    def key_condition(self, parsed: ast.Parsed, hash_key: str, range_key=None, key_types=None) -> KeyCondition:
        """A KeyConditionExpression, checked against the key schema of the table or index queried.

        key_types (optional) maps key attribute names to "S", "N" or "B" for the value type check."""
        return self.key_condition_schema(self.key_conditions(parsed), hash_key, range_key, key_types)

    def key_conditions(self, parsed: ast.Parsed) -> dict:
        """The schema-free half of key_condition: the expression checked as a condition (marking its
        placeholders used), reduced to {attribute: (operator, values)}, with 1 or 2 conditions. A Query
        makes these checks before it looks at the table, and the schema half once the table is known."""
        return bind_key_conditions(self.key_condition_literals(parsed), None)

    def key_condition_literals(self, parsed: ast.Parsed) -> dict:
        """key_conditions with each value still the Literal it was resolved to ({attribute: (operator,
        (Literal, ...))}): a result to keep for later requests (api/common.py RESOLVED), which
        bind_key_conditions gives each request's own values."""
        root = self.condition_tree(parsed)
        conds = {}
        self._kc_walk(root, conds)
        if len(conds) not in (1, 2):
            raise msg.ValidationException(msg.KC_LENGTH)
        return conds

    def key_condition_schema(self, conds: dict, hash_key: str, range_key=None, key_types=None) -> KeyCondition:
        """The schema half of key_condition, on what key_conditions returned (which it does not change)."""
        keys = [(hash_key, True)] + ([(range_key, False)] if range_key else [])
        for attr, is_hash in keys:
            if is_hash and len(keys) == 1 and len(conds) > 1:
                raise msg.ValidationException(msg.KC_NOT_SUPPORTED)
            cond = conds.get(attr)
            if cond is None:
                if is_hash or len(conds) > 1:
                    raise msg.ValidationException(msg.KC_MISSED.format(name=attr))
                continue
            op, values = cond
            if key_types and attr in key_types and any(av_type(v) != key_types[attr] for v in values):
                raise msg.ValidationException(msg.KC_TYPE_MISMATCH)
            if is_hash and op != "=":
                raise msg.ValidationException(msg.KC_NOT_SUPPORTED)
        hash_value = conds[hash_key][1][0]
        if range_key and range_key in conds:
            op, values = conds[range_key]
            return KeyCondition(hash_key, hash_value, range_key, op, tuple(values))
        return KeyCondition(hash_key, hash_value, None, None, ())

    def _kc_walk(self, node, conds):
        cls = type(node)
        if cls is ast.And:
            for c in node.operands:
                self._kc_walk(c, conds)
            return
        if cls is ast.Or or cls is ast.Not or cls is ast.In or (cls is ast.Compare and node.op == "<>"):
            op = {ast.Or: "OR", ast.Not: "NOT", ast.In: "IN"}.get(cls, "<>")
            self._fail(msg.KC_INVALID_OPERATOR.format(op=op))
        if cls is ast.Call:
            if node.name in _KC_FUNCTIONS_REFUSED:
                self._fail(msg.KC_INVALID_OPERATOR.format(op=node.name))
            if node.name == "size":  # pragma: no cover - size is never a whole condition after parsing
                self._fail(msg.KC_NESTED_OPERATION)
            args, op = node.args, "BEGINS_WITH"
            if type(args[0]) is not ast.Path:
                self._fail(msg.KC_KEY_FIRST.format(op="begins_with"))
        elif cls is ast.Between:
            args, op = (node.operand, node.low, node.high), "BETWEEN"
            if type(node.operand) is not ast.Path:
                self._fail(msg.KC_KEY_FIRST.format(op="BETWEEN"))
        else:  # Compare
            args, op = (node.left, node.right), node.op
        attr, at = None, 0
        for i, a in enumerate(args):
            if type(a) is ast.Path:
                if attr is not None:
                    self._fail(msg.KC_MULTIPLE_NAMES)
                if len(a.elements) > 1:
                    self._fail(msg.KC_NESTED_ATTRIBUTE)
                attr, at = a.elements[0], i
            elif type(a) is ast.Call:
                self._fail(msg.KC_NESTED_OPERATION)
        if attr is None:
            self._fail(msg.KC_NO_KEY)
        if attr in conds:
            self._fail(msg.KC_ONE_PER_KEY)
        if at != 0:
            op = _FLIP[op]
        conds[attr] = (op, tuple(a for i, a in enumerate(args) if i != at))


def bind_key_conditions(conds: dict, values) -> dict:
    """{attribute: (operator, [AttributeValue, ...])} of key_condition_literals' result, with the values of
    `values` (a request's validated ExpressionAttributeValues: evaluate.literal), or the Literals' own."""
    return {attr: (op, [literal(n, values) for n in nodes]) for attr, (op, nodes) in conds.items()}


def _leaf_path(path, depth, node):
    """DynamoDB's "path two": the first depth elements of path, then the first branch of the tree below."""
    elements = list(path[:depth])
    cur = node
    while type(cur) is dict and cur:
        e = next(iter(cur))
        elements.append(e)
        cur = cur[e]
    return elements
