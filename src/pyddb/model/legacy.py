"""The legacy (pre-expression) parameters, rewritten into expressions so that one parser and one evaluator
serve both: Expected + ConditionalOperator -> a condition, AttributesToGet -> a projection, AttributeUpdates ->
an update, QueryFilter/ScanFilter -> a filter, KeyConditions -> a key condition. Each returns
(text, names, values) for the normal expression pipeline; the placeholders are generated (#lN, :lN) and all
of them are used, so the unused-placeholder checks never fire for legacy requests.

Every AttributeValue the legacy parameters carry is validated here with DynamoDB's plain texts (an invalid
number in Expected is "The parameter cannot be converted to a numeric value: x", never wrapped as if it had
been an ExpressionAttributeValue), so the values returned are ready for the Resolver.

TEXTS AND ORDER
    Expected, per attribute (DynamoDB Local, decompiled: WriteDataPlaneFunction.validateExpectedAttribute; the
    same texts in dynalite validations/index.js validateAttributeConditions, recorded against DynamoDB, and
    in nubo-db/dynamodb-conformance deleteItem.test.ts, asserted against DynamoDB in 2026):
        Exists with ComparisonOperator, Value with AttributeValueList, AttributeValueList without
        ComparisonOperator, Value with Exists false, then a missing Value ("... when Exists is null" when
        Exists is absent, "... is true" when it is true; "Value or AttributeValueList must be used with
        ComparisonOperator: <OP> ..." for operators other than NULL/NOT_NULL). With a ComparisonOperator a
        Value counts as the one-element AttributeValueList.
    Comparisons (Expected, QueryFilter, ScanFilter, KeyConditions; dynalite validateConditions and
    validateAttributeConditions): the number of values, then "AttributeValues inside AttributeValueList
    must be of same type", then BETWEEN's order.
    ConditionalOperator without conditions, or with one (ExtendDB tests/test_conditional_operator*.py, run
    against DynamoDB; the texts are DynamoDB Local's COND_OP_WITHOUT_FILTER_OR_EXPECTED and
    COND_OP_WITH_ONE_ELEMENT): check_conditional_operator().
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Dict, List, Optional, Tuple

from pyddb.errors import ValidationException
from pyddb.types import attrvalue
from pyddb.types.invalid import InvalidValue

INVALID = "One or more parameter values were invalid: "
CONDITIONAL_OPERATOR_WITHOUT = "ConditionalOperator cannot be used without Filter or Expected"
CONDITIONAL_OPERATOR_ONE = ("ConditionalOperator can only be used when Filter or Expected has two or more "
                            "elements")
SAME_TYPE = INVALID + "AttributeValues inside AttributeValueList must be of same type"
BETWEEN_ORDER = ("The BETWEEN condition was provided a range where the lower bound is greater than the upper "
                 "bound")

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
        """A placeholder for a (validated) AttributeValue."""
        k = ":l%d" % len(self.values)
        self.values[k] = av
        return k


def _valid(av: Any) -> Dict[str, Any]:
    """A legacy parameter's AttributeValue, validated with DynamoDB's plain texts."""
    try:
        return attrvalue.validate(av)
    except InvalidValue as e:
        raise ValidationException(e.message) from None


def _order_key(av: Dict[str, Any]):
    t = next(iter(av))
    v = av[t]
    if t == "N":
        return Decimal(v)
    if t == "B":
        return bytes(v)
    if t == "S":
        return v
    return None


def check_conditional_operator(conditions: Optional[Dict[str, Any]],
                               conditional_operator: Optional[str]) -> None:
    """ConditionalOperator needs Expected (or a QueryFilter/ScanFilter) with two or more conditions."""
    if conditional_operator is None:
        return
    if not conditions:
        raise ValidationException(CONDITIONAL_OPERATOR_WITHOUT)
    if len(conditions) == 1:
        raise ValidationException(CONDITIONAL_OPERATOR_ONE)


def _comparison(b: _Builder, attr: str, op: str, values: List[Any]) -> str:
    if op not in _OPERATORS:
        raise ValidationException(INVALID + "Unsupported operator on %s: %s" % (attr, op))
    want = _OPERATORS[op]
    if (want is None and not values) or (want is not None and len(values) != want):
        raise ValidationException(INVALID + "Invalid number of argument(s) for the %s ComparisonOperator" % op)
    values = [_valid(v) for v in values]
    if values and any(next(iter(v)) != next(iter(values[0])) for v in values[1:]):
        raise ValidationException(SAME_TYPE)
    if op == "BETWEEN":
        low, high = _order_key(values[0]), _order_key(values[1])
        if low is not None and low > high:
            raise ValidationException(BETWEEN_ORDER)
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
        return "attribute_exists(%s) AND NOT contains(%s, %s)" % (p, p, b.value(values[0]))
    if op == "BEGINS_WITH":
        return "begins_with(%s, %s)" % (p, b.value(values[0]))
    if op == "IN":
        return "%s IN (%s)" % (p, ", ".join(b.value(v) for v in values))
    return "%s BETWEEN %s AND %s" % (p, b.value(values[0]), b.value(values[1]))


def _join(parts: List[str], conditional_operator: Optional[str]) -> str:
    """The conditions joined without parentheses: DynamoDB rejects redundant ones ("(a = :v)" alone is
    "The expression has redundant parentheses;"), and none are needed, since the only compound part (the
    NOT_CONTAINS conjunction) binds tighter than OR."""
    return (" OR " if conditional_operator == "OR" else " AND ").join(parts)


def _check_expected(attr: str, spec: Dict[str, Any]) -> None:
    """The structure of one Expected entry, in DynamoDB's order (see TEXTS AND ORDER)."""
    op = spec.get("ComparisonOperator")
    exists = spec.get("Exists")
    value = spec.get("Value")
    value_list = spec.get("AttributeValueList")
    if exists is not None and op is not None:
        raise ValidationException(INVALID + "Exists and ComparisonOperator cannot be used together for "
                                  "Attribute: %s" % attr)
    if value is not None and value_list is not None:
        raise ValidationException(INVALID + "Value and AttributeValueList cannot be used together for "
                                  "Attribute: %s" % attr)
    if op is None and value_list is not None:
        raise ValidationException(INVALID + "AttributeValueList can only be used with a ComparisonOperator "
                                  "for Attribute: %s" % attr)
    if exists is False and value is not None:
        raise ValidationException(INVALID + "Value cannot be used when Exists is false for Attribute: %s"
                                  % attr)
    if value is None and value_list is None:
        if op is not None:
            if op not in ("NULL", "NOT_NULL"):
                raise ValidationException(INVALID + "Value or AttributeValueList must be used with "
                                          "ComparisonOperator: %s for Attribute: %s" % (op, attr))
        elif exists is None:
            raise ValidationException(INVALID + "Value must be provided when Exists is null for Attribute: %s"
                                      % attr)
        elif exists:
            raise ValidationException(INVALID + "Value must be provided when Exists is true for Attribute: %s"
                                      % attr)


def expected(expected: Dict[str, Any], conditional_operator: Optional[str]) -> Tuple[str, Dict, Dict]:
    """Expected + ConditionalOperator -> a condition expression."""
    b = _Builder()
    parts = []
    for attr, spec in expected.items():
        _check_expected(attr, spec)
    check_conditional_operator(expected, conditional_operator)
    for attr, spec in expected.items():
        op = spec.get("ComparisonOperator")
        if op is not None:
            values = spec.get("AttributeValueList")
            if values is None:
                values = [spec["Value"]] if spec.get("Value") is not None else []
            parts.append(_comparison(b, attr, op, values))
        elif spec.get("Value") is not None:
            parts.append("%s = %s" % (b.name(attr), b.value(_valid(spec["Value"]))))
        else:                                              # Exists false
            parts.append("attribute_not_exists(%s)" % b.name(attr))
    return _join(parts, conditional_operator), b.names, b.values


def filter_conditions(conditions: Dict[str, Any], conditional_operator: Optional[str]) -> Tuple[str, Dict, Dict]:
    """QueryFilter/ScanFilter -> a filter expression."""
    check_conditional_operator(conditions, conditional_operator)
    b = _Builder()
    parts = [_comparison(b, attr, spec.get("ComparisonOperator"), spec.get("AttributeValueList") or [])
             for attr, spec in conditions.items()]
    return _join(parts, conditional_operator), b.names, b.values


def attributes_to_get(names: List[str]) -> Tuple[str, Dict, Dict]:
    b = _Builder()
    return ", ".join(b.name(n) for n in names), b.names, {}


def attribute_updates(updates: Dict[str, Any]) -> Tuple[str, Dict, Dict]:
    """AttributeUpdates -> an update expression (PUT -> SET, DELETE -> REMOVE or DELETE, ADD -> ADD, or
    list_append for lists as the legacy ADD appends)."""
    b = _Builder()
    sets, removes, adds, deletes = [], [], [], []
    for attr, spec in updates.items():
        action = spec.get("Action") or "PUT"
        value = spec.get("Value")
        if value is not None:
            value = _valid(value)
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
