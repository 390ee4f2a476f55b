"""The legacy (pre-expression) parameters, rewritten into expressions so that one parser and one evaluator
serve both: Expected + ConditionalOperator -> a condition, AttributesToGet -> a projection, AttributeUpdates ->
an update, QueryFilter/ScanFilter -> a filter, KeyConditions -> a key condition. Each returns
(text, names, values) for the normal expression pipeline; the placeholders are generated (#lN, :lN) and all
of them are used, so the unused-placeholder checks never fire for legacy requests.

Texts: "Invalid number of argument(s) for the EQ ComparisonOperator" style messages (dynalite
validations/index.js checkComparisonList, which reproduces DynamoDB's texts).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from pyddb.errors import ValidationException

INVALID = "One or more parameter values were invalid: "

# operator -> (number of values: None = any >= 1, template over (path, values))
_OPERATORS = {
    "EQ": 1, "NE": 1, "LE": 1, "LT": 1, "GE": 1, "GT": 1, "NOT_NULL": 0, "NULL": 0,
    "CONTAINS": 1, "NOT_CONTAINS": 1, "BEGINS_WITH": 1, "IN": None, "BETWEEN": 2,
}
_SYMBOL = {"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}


class _Builder:
    def __init__(self) -> None:
        self.names: Dict[str, str] = {}
        self.values: Dict[str, Any] = {}

    def name(self, attr: str) -> str:
        for k, v in self.names.items():
            if v == attr:
                return k
        k = "#l%d" % len(self.names)
        self.names[k] = attr
        return k

    def value(self, av: Any) -> str:
        k = ":l%d" % len(self.values)
        self.values[k] = av
        return k


def _comparison(b: _Builder, attr: str, op: str, values: List[Any]) -> str:
    if op not in _OPERATORS:
        raise ValidationException(INVALID + "Unsupported operator on %s: %s" % (attr, op))
    want = _OPERATORS[op]
    if (want is None and not values) or (want is not None and len(values) != want):
        raise ValidationException(INVALID + "Invalid number of argument(s) for the %s ComparisonOperator" % op)
    p = b.name(attr)
    if op in _SYMBOL:
        return "%s %s %s" % (p, _SYMBOL[op], b.value(values[0]))
    if op == "NOT_NULL":
        return "attribute_exists(%s)" % p
    if op == "NULL":
        return "attribute_not_exists(%s)" % p
    if op == "CONTAINS":
        return "contains(%s, %s)" % (p, b.value(values[0]))
    if op == "NOT_CONTAINS":
        return "(attribute_exists(%s) AND NOT contains(%s, %s))" % (p, p, b.value(values[0]))
    if op == "BEGINS_WITH":
        return "begins_with(%s, %s)" % (p, b.value(values[0]))
    if op == "IN":
        return "%s IN (%s)" % (p, ", ".join(b.value(v) for v in values))
    return "%s BETWEEN %s AND %s" % (p, b.value(values[0]), b.value(values[1]))


def expected(expected: Dict[str, Any], conditional_operator: Optional[str]) -> Tuple[str, Dict, Dict]:
    """Expected + ConditionalOperator -> a condition expression."""
    b = _Builder()
    parts = []
    for attr, spec in expected.items():
        if "ComparisonOperator" in spec:
            if "Value" in spec or "Exists" in spec:
                raise ValidationException(INVALID + "Exists and Value can not be used with ComparisonOperator "
                                          "for Attribute: %s" % attr)
            parts.append(_comparison(b, attr, spec["ComparisonOperator"], spec.get("AttributeValueList") or []))
            continue
        exists = spec.get("Exists", True)
        if "Value" in spec:
            if not exists:
                raise ValidationException(INVALID + "Value cannot be used when Exists is false for "
                                          "Attribute: %s" % attr)
            parts.append("%s = %s" % (b.name(attr), b.value(spec["Value"])))
        elif exists:
            raise ValidationException(INVALID + "Value must be provided when Exists is true for "
                                      "Attribute: %s" % attr)
        else:
            parts.append("attribute_not_exists(%s)" % b.name(attr))
    joiner = " OR " if conditional_operator == "OR" else " AND "
    return joiner.join("(%s)" % p for p in parts), b.names, b.values


def filter_conditions(conditions: Dict[str, Any], conditional_operator: Optional[str]) -> Tuple[str, Dict, Dict]:
    """QueryFilter/ScanFilter -> a filter expression."""
    b = _Builder()
    parts = [_comparison(b, attr, spec.get("ComparisonOperator"), spec.get("AttributeValueList") or [])
             for attr, spec in conditions.items()]
    joiner = " OR " if conditional_operator == "OR" else " AND "
    return joiner.join("(%s)" % p for p in parts), b.names, b.values


def attributes_to_get(names: List[str]) -> Tuple[str, Dict, Dict]:
    b = _Builder()
    return ", ".join(b.name(n) for n in names), b.names, {}


def attribute_updates(updates: Dict[str, Any]) -> Tuple[str, Dict, Dict]:
    """AttributeUpdates -> an update expression (PUT -> SET, DELETE -> REMOVE or DELETE, ADD -> ADD, or
    list_append for lists as the legacy ADD appends)."""
    b = _Builder()
    sets, removes, adds, deletes = [], [], [], []
    for attr, spec in updates.items():
        action = spec.get("Action", "PUT")
        value = spec.get("Value")
        p = b.name(attr)
        if action == "PUT":
            if value is None:
                raise ValidationException(INVALID + "Only DELETE action is allowed when no attribute value is "
                                          "specified")
            sets.append("%s = %s" % (p, b.value(value)))
        elif action == "DELETE":
            if value is None:
                removes.append(p)
            else:
                if next(iter(value)) not in ("SS", "NS", "BS"):
                    raise ValidationException(INVALID + "DELETE action with value is not supported for the "
                                              "type %s" % next(iter(value)))
                deletes.append("%s %s" % (p, b.value(value)))
        elif action == "ADD":
            if value is None:
                raise ValidationException(INVALID + "Only DELETE action is allowed when no attribute value is "
                                          "specified")
            t = next(iter(value))
            if t == "L":
                empty = b.value({"L": []})
                sets.append("%s = list_append(if_not_exists(%s, %s), %s)" % (p, p, empty, b.value(value)))
            elif t in ("N", "SS", "NS", "BS"):
                adds.append("%s %s" % (p, b.value(value)))
            else:
                raise ValidationException(INVALID + "ADD action is not supported for the type %s" % t)
        else:
            raise ValidationException(INVALID + "Unsupported action %s" % action)
    clauses = []
    if sets:
        clauses.append("SET " + ", ".join(sets))
    if removes:
        clauses.append("REMOVE " + ", ".join(removes))
    if adds:
        clauses.append("ADD " + ", ".join(adds))
    if deletes:
        clauses.append("DELETE " + ", ".join(deletes))
    return " ".join(clauses), b.names, b.values


def key_conditions(conditions: Dict[str, Any]) -> Tuple[str, Dict, Dict]:
    """KeyConditions -> a key condition expression (the usual key-condition checks then apply)."""
    b = _Builder()
    parts = []
    for attr, spec in conditions.items():
        op = spec.get("ComparisonOperator")
        if op not in ("EQ", "LE", "LT", "GE", "GT", "BEGINS_WITH", "BETWEEN"):
            raise ValidationException("Attempted conditional constraint is not an indexable operation")
        parts.append(_comparison(b, attr, op, spec.get("AttributeValueList") or []))
    return " AND ".join(parts), b.names, b.values
