"""What item operations share: a request's expressions (new style or legacy), attribute-value validation with
DynamoDB's wrapping texts, the key-attribute checks on expression paths, and ConsumedCapacity."""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, Optional, Set

from pyddb import expressions as ex
from pyddb.errors import DynamoDBError, ValidationException
from pyddb.expressions import ast
from pyddb.expressions.cache import ParseCache
from pyddb.expressions.evaluate import compile_condition
from pyddb.model import legacy
from pyddb.types import attrvalue, size
from pyddb.types.invalid import InvalidValue


def validate_item(item: Dict[str, Any]) -> Dict[str, Any]:
    """Validate and canonicalise an Item (errors as DynamoDB words them)."""
    try:
        return attrvalue.validate_item(item)
    except InvalidValue as e:
        raise ValidationException(e.message) from None


def validate_item_sized(item: Dict[str, Any]):
    """validate_item and the item's size (types/size.py) in one walk: (canonical copy, size)."""
    try:
        return attrvalue.validate_item_sized(item)
    except InvalidValue as e:
        raise ValidationException(e.message) from None


def validate_values(values: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """ExpressionAttributeValues: each value validated; DynamoDB wraps the inner text."""
    return _validate_values_typed(values)[0]


def _validate_values_typed(values):
    """(validate_values(values), its placeholders and their types: (":a", "N", ":b", "S", ...))."""
    if not values:
        return values, ()
    out = {}
    typed = []
    for k, v in values.items():
        try:
            out[k] = av = attrvalue.validate(v)
        except InvalidValue as e:
            raise ValidationException("ExpressionAttributeValues contains invalid value: %s for key %s"
                                      % (e.message, k)) from None
        typed.append(k)
        typed.append(next(iter(av)))
    return out, tuple(typed)


# RESOLVED EXPRESSIONS (R1-R4). Resolving an expression (resolve.py: placeholders, operand types, paths) is
# most of an UpdateItem's or a Query's expression cost, and its outcome depends on the expression's text, the
# request's ExpressionAttributeNames, and the placeholders and *types* of its ExpressionAttributeValues; not
# on the values themselves, which a resolved tree reads per request (evaluate.literal: every Literal keeps its
# placeholder). So a successful resolution is kept under (kind, text, names, placeholders and types):
#   (R1) only successes are kept, and only when no check looked at a value itself (Resolver.value_checked:
#        attribute_type's type name, BETWEEN's bounds); everything else is decided by the key.
#   (R2) a kept result is never changed: it is compiled (conditions) or bound (UpdatePlan.bind) to each
#        request's own validated values.
#   (R3) the placeholders an expression used are kept with it and marked used again on each hit, so the
#        unused-placeholder check (across all of a request's expressions) sees what resolving would have.
#   (R4) a kept tree holds no request's values: it is resolved against a stand-in of each value's type
#        (_STAND_INS), and a request whose names map or value placeholders are many or long (over
#        _MAX_KEPT_NAMES of either, or _MAX_KEPT_NAME_CHARS characters in either) is not kept, so 4096
#        entries stay a few MB at most: the key holds all of them, used or not.
RESOLVED = ParseCache(4096)
_MAX_KEPT_NAMES = 64
_MAX_KEPT_NAME_CHARS = 1024
_STAND_INS = {"S": {"S": ""}, "N": {"N": "0"}, "B": {"B": b""}, "BOOL": {"BOOL": True},
              "NULL": {"NULL": True}, "SS": {"SS": [""]}, "NS": {"NS": ["0"]}, "BS": {"BS": [b""]},
              "L": {"L": []}, "M": {"M": {}}}


def _stand_ins(typed) -> Dict[str, Any]:
    """{placeholder: a value of its type} from _validate_values_typed's (":a", "N", ":b", "S", ...)."""
    return {typed[i]: _STAND_INS[typed[i + 1]] for i in range(0, len(typed), 2)}


def _nested_of_paths(plan) -> Set[str]:
    return {p[0] for p in plan.paths if len(p) > 1}


class Expressions:
    """One request's expressions through one Resolver (unused placeholders are judged across all of them).

    After condition()/projection()/update(), `nested` maps each of them ("condition", "projection", "update")
    to the top-level attribute names its paths reach into (a.b, a[0]), for check_key_paths(). `legacy_update`
    tells whether update() came from AttributeUpdates."""

    def __init__(self, request: Dict[str, Any]):
        self.request = request
        names = request.get("ExpressionAttributeNames")
        values, typed = _validate_values_typed(request.get("ExpressionAttributeValues"))
        self.resolver = ex.Resolver(names, values)
        self._placeholders = (tuple(names.items()) if names else None, typed)
        self.nested: Dict[str, Set[str]] = {}
        self.legacy_update = False

    def resolved(self, kind: str, text: str, resolve: Callable[[Any], Any],
                 nested: Callable[[Any], Set[str]]):
        """(resolve(resolver), nested(that)) for expression `text` of this request, through RESOLVED
        (R1-R4)."""
        key = (kind, text, self._placeholders)
        r = self.resolver
        entry = RESOLVED.lookup(key)
        if entry is not None:
            result, names, used_names, used_values = entry
            for k in used_names:
                r.used_names[k] = True
            for k in used_values:
                r.used_values[k] = True
            return result, names
        # Resolve against stand-ins of the values' types (R4): a kept tree holds none of the request's values.
        # An error, or a check that looked at a value itself, is decided again with the real values.
        own = ex.Resolver(r.names, _stand_ins(self._placeholders[1]))
        try:
            result = resolve(own)
        except DynamoDBError:
            result = None
        keep = result is not None and not own.value_checked
        if not keep:
            own = ex.Resolver(r.names, r.values)
            result = resolve(own)
        names = frozenset(nested(result))
        r.used_names.update(own.used_names)
        r.used_values.update(own.used_values)
        if keep and self._small_key():
            RESOLVED.store(key, (result, names, tuple(own.used_names), tuple(own.used_values)))
        return result, names

    def _small_key(self) -> bool:
        """Whether the names map and the value placeholders are small enough to keep in a RESOLVED key (R4):
        the key holds every name and every placeholder of the request, used or not."""
        names, typed = self._placeholders
        if len(typed) > 2 * _MAX_KEPT_NAMES or sum(len(typed[i]) for i in range(0, len(typed), 2)) > \
                _MAX_KEPT_NAME_CHARS:
            return False
        return names is None or (len(names) <= _MAX_KEPT_NAMES
                                 and sum(len(k) + len(v) for k, v in names) <= _MAX_KEPT_NAME_CHARS)

    def condition(self, kind: str = "ConditionExpression") -> Optional[Callable[[Dict], bool]]:
        text = self.request.get(kind)
        if text is not None:
            tree, self.nested["condition"] = self.resolved(
                kind, text, lambda r: r.condition_tree(ex.parse_condition(text, kind)), nested_names)
            return compile_condition(tree, self.resolver.values)
        if kind == "ConditionExpression":
            expected = self.request.get("Expected")
            if expected:
                text, names, values = legacy.expected(expected, self.request.get("ConditionalOperator"))
                return ex.Resolver(names, values).condition(ex.parse_condition(text, kind))
            legacy.check_conditional_operator(expected, self.request.get("ConditionalOperator"))
        return None

    def legacy_filter(self, legacy_param: str) -> Optional[Callable[[Dict], bool]]:
        """A QueryFilter/ScanFilter (`legacy_param`) as a compiled condition, or None. (A FilterExpression is
        api/query.py's _Request's: it keeps the filter's paths with its tree.)"""
        conditions = self.request.get(legacy_param)
        if conditions:
            text, names, values = legacy.filter_conditions(conditions,
                                                           self.request.get("ConditionalOperator"))
            return ex.Resolver(names, values).condition(ex.parse_condition(text, "FilterExpression"))
        return None

    def projection(self):
        text = self.request.get("ProjectionExpression")
        if text is not None:
            plan, self.nested["projection"] = self.resolved(
                "ProjectionExpression", text, lambda r: r.projection(ex.parse_projection(text)),
                _nested_of_paths)
            return plan
        if self.request.get("AttributesToGet"):
            text, names, _ = legacy.attributes_to_get(self.request["AttributesToGet"])
            return ex.Resolver(names, None).projection(ex.parse_projection(text))
        return None

    def update(self):
        text = self.request.get("UpdateExpression")
        if text is not None:
            plan, self.nested["update"] = self.resolved(
                "UpdateExpression", text, lambda r: r.update(ex.parse_update(text)), nested_names)
            return plan.bind(self.resolver.values)
        if self.request.get("AttributeUpdates"):
            text, names, values = legacy.attribute_updates(self.request["AttributeUpdates"])
            if not text:
                return None
            self.legacy_update = True
            return ex.Resolver(names, values).update(ex.parse_update(text))
        return None

    def finish(self) -> None:
        self.resolver.check_unused()


# ---- key attributes in expression paths -------------------------------------------------------------------

KEY_SCALAR = "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: "


def nested_names(node: Any) -> Set[str]:
    """The top-level attribute names that a resolved condition tree or update plan reaches into."""
    out: Set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        cls = type(n)
        if cls is ast.Path:
            if len(n.elements) > 1:
                out.add(n.elements[0])
        elif cls is ast.Literal or n is None:
            continue
        elif cls is ast.Compare or cls is ast.Arith:
            stack += (n.left, n.right)
        elif cls is ast.And or cls is ast.Or:
            stack += n.operands
        elif cls is ast.Not:
            stack.append(n.operand)
        elif cls is ast.Call:
            stack += n.args
        elif cls is ast.Between:
            stack += (n.operand, n.low, n.high)
        elif cls is ast.In:
            stack.append(n.operand)
            stack += n.choices
        elif cls is ast.SetAction or cls is ast.AddAction or cls is ast.DeleteAction:
            stack += (n.path, n.value)
        elif cls is ast.RemoveAction:
            stack.append(n.path)
        elif hasattr(n, "actions"):                     # an UpdatePlan
            stack += n.actions
    return out


def check_key_paths(t, names: Optional[Iterable[str]]) -> None:
    """No expression may reach into a key attribute of the table or of an index ("Key: pk" before
    "IndexKey: gk"; DynamoDB Local LocalDBValidatorUtils.validateNoNestedAccessToKeyAttributeInExpression,
    the table's keys, then each LSI's, then each GSI's; dynalite test/getItem.js for the texts)."""
    if not names:
        return
    for name in t.key_names:
        if name in names:
            raise ValidationException(KEY_SCALAR + "Key: " + name)
    for ix in t.lsis + t.gsis:
        for name in ix.key_names:
            if name in names:
                raise ValidationException(KEY_SCALAR + "IndexKey: " + name)


def consumed(request: Dict[str, Any], table: str, units: float, *, read: bool = False, split: bool = False,
             index_units: Optional[Dict[str, Dict[str, float]]] = None) -> Optional[Dict[str, Any]]:
    """The ConsumedCapacity member, or None when not asked for (ReturnConsumedCapacity NONE/absent).

    Single-item operations, Query and Scan report only the aggregate CapacityUnits (and Table.CapacityUnits
    under INDEXES); transactions add the Read/WriteCapacityUnits split (`split=True`). Characterised against
    DynamoDB by paritysuite/dynamodb-conformance#69 and nubo-db/dynoxide#57.
    """
    mode = request.get("ReturnConsumedCapacity")
    if mode not in ("TOTAL", "INDEXES"):
        return None
    kind = "ReadCapacityUnits" if read else "WriteCapacityUnits"
    named = request.get("TableName")
    if named is not None and named.startswith("arn:"):
        table = named       # "If you had specified the ARN of a table in the input, you'll see the table ARN"

    def entry(u: float) -> Dict[str, float]:
        e = {"CapacityUnits": float(u)}
        if split:
            e[kind] = float(u)
        return e

    out: Dict[str, Any] = {"TableName": table, **entry(units)}
    if mode == "INDEXES":
        table_units = float(units) - sum(v for g in (index_units or {}).values() for v in g.values())
        out["Table"] = entry(table_units)
        for group, entries in (index_units or {}).items():
            if entries:
                out[group] = {name: entry(u) for name, u in entries.items()}
    return out


def write_units(nbytes: int) -> float:
    return size.write_units(nbytes)


def read_units(nbytes: int, consistent: bool) -> float:
    return size.read_units(nbytes, consistent)
