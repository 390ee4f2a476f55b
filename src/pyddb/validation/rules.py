"""Cross-field request rules, per operation: the checks DynamoDB makes after the shape checks (`shapes.py`)
and before it looks at a table. One function per rule, registered for its operations with `@rule`.

    from pyddb.validation.rules import rule
    @rule("PutItem", order=60)
    def put_return_values(request): ...           # raise ValidationException(...) on the first problem

`check_rules(operation, request)` runs an operation's rules in `order` (then registration order) and stops at
the first error: DynamoDB reports one semantic problem at a time, the first in its own order. The orders used
here leave room for the rules `api` adds (attribute-value checks belong between 20 and 60: dynalite's
validations/putItem.js checks, in order: expression/non-expression parameters, the Item's attribute values,
ReturnValues, the item size, Expected, then the expressions themselves).

ORDER BANDS
    10  which parameters may go together (expression vs. legacy parameters)
    20-59  attribute values (types/attrvalue.py), keys, sizes: the operation's own rules
    60-79  parameter combinations that DynamoDB checks after values (ReturnValues, Segment/TotalSegments, ...)
    90  ExpressionAttributeNames/Values maps themselves, just before the expressions are parsed
All texts: dynalite validations/index.js and validations/<op>.js, which reproduce DynamoDB's messages.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Dict, List, Sequence, Tuple

from pyddb.errors import ValidationException

Rule = Callable[[Dict[str, Any]], None]

_RULES: Dict[str, List[Tuple[int, int, Rule]]] = {}
_seq = 0


def rule(*operations: str, order: int = 50) -> Callable[[Rule], Rule]:
    """Register the decorated function as a rule of each of `operations`."""

    def register(fn: Rule) -> Rule:
        global _seq
        for op in operations:
            _seq += 1
            _RULES.setdefault(op, []).append((order, _seq, fn))
            _RULES[op].sort(key=lambda r: (r[0], r[1]))
        return fn

    return register


def rules_for(operation: str) -> List[Rule]:
    return [fn for _, _, fn in _RULES.get(operation, ())]


def check_rules(operation: str, request: Dict[str, Any]) -> None:
    """Run `operation`'s rules; the first one that fails raises."""
    for _, _, fn in _RULES.get(operation, ()):
        fn(request)


# ---------------------------------------------------------------------------------------------------------
# Expression parameters vs. the legacy (non-expression) parameters
# ---------------------------------------------------------------------------------------------------------

# operation -> (expression parameters, non-expression parameters), in DynamoDB's listing order
# (dynalite validations/{putItem,deleteItem,getItem,updateItem,query,scan,batchGetItem}.js)
EXPRESSION_PARAMETERS: Dict[str, Tuple[Tuple[str, ...], Tuple[str, ...]]] = {
    "PutItem": (("ConditionExpression",), ("Expected",)),
    "DeleteItem": (("ConditionExpression",), ("Expected",)),
    "GetItem": (("ProjectionExpression",), ("AttributesToGet",)),
    "UpdateItem": (("UpdateExpression", "ConditionExpression"), ("AttributeUpdates", "Expected")),
    "Query": (
        ("ProjectionExpression", "FilterExpression", "KeyConditionExpression"),
        ("AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions"),
    ),
    "Scan": (
        ("ProjectionExpression", "FilterExpression"),
        ("AttributesToGet", "ScanFilter", "ConditionalOperator"),
    ),
}
_BATCH_GET_TABLE = (("ProjectionExpression",), ("AttributesToGet",))


def check_expression_parameters(
    request: Dict[str, Any], expressions: Sequence[str], non_expressions: Sequence[str]
) -> None:
    """dynalite validations/index.js validateExpressionParams, in its order:
    "Can not use both expression and non-expression parameters in the same request: Non-expression
    parameters: {Expected} Expression parameters: {ConditionExpression}", then
    "ExpressionAttributeNames can only be specified when using expressions", then
    "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"
    ("UpdateExpression and ConditionExpression are null" for two)."""
    used_expr = [p for p in expressions if request.get(p) is not None]
    if used_expr:
        non_expr = list(non_expressions)
        # KeyConditions with no KeyConditionExpression may go with the other expressions
        if (
            request.get("KeyConditions") is not None
            and request.get("KeyConditionExpression") is None
            and "KeyConditions" in non_expr
        ):
            non_expr.remove("KeyConditions")
        used_non = [p for p in non_expr if request.get(p) is not None]
        if used_non:
            raise ValidationException.mixed_expression_parameters(used_non, used_expr)
    if request.get("ExpressionAttributeNames") is not None and not used_expr:
        raise ValidationException("ExpressionAttributeNames can only be specified when using expressions")
    value_exprs = [p for p in expressions if p != "ProjectionExpression"]
    if (
        value_exprs
        and request.get("ExpressionAttributeValues") is not None
        and all(request.get(p) is None for p in value_exprs)
    ):
        raise ValidationException(
            "ExpressionAttributeValues can only be specified when using expressions: %s %s null"
            % (" and ".join(value_exprs), "are" if len(value_exprs) > 1 else "is")
        )


def _register_expression_rules() -> None:
    for op, (expr, non_expr) in EXPRESSION_PARAMETERS.items():

        def fn(request: Dict[str, Any], _e=expr, _n=non_expr) -> None:
            check_expression_parameters(request, _e, _n)

        fn.__name__ = fn.__qualname__ = "expression_parameters_" + op
        rule(op, order=10)(fn)


_register_expression_rules()


@rule("BatchGetItem", order=10)
def batch_get_expression_parameters(request: Dict[str, Any]) -> None:
    for table_request in (request.get("RequestItems") or {}).values():
        if isinstance(table_request, dict):
            check_expression_parameters(table_request, *_BATCH_GET_TABLE)


# ---------------------------------------------------------------------------------------------------------
# Parameter combinations
# ---------------------------------------------------------------------------------------------------------


@rule("PutItem", order=60)
def put_return_values(request: Dict[str, Any]) -> None:
    """PutItem returns only the old item: dynalite test/putItem.js (UPDATED_OLD, ALL_NEW, UPDATED_NEW)."""
    rv = request.get("ReturnValues")
    if rv is not None and rv not in ("ALL_OLD", "NONE"):
        raise ValidationException.return_values_put()


@rule("Query", order=70)
def query_needs_key_condition(request: Dict[str, Any]) -> None:
    """dynalite validations/query.js."""
    if request.get("KeyConditions") is None and request.get("KeyConditionExpression") is None:
        raise ValidationException(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."
        )


@rule("Scan", order=70)
def scan_segments(request: Dict[str, Any]) -> None:
    """dynalite validations/scan.js (dynalite tests `Segment` for truthiness, so Segment=0 alone passes there;
    here any Segment needs TotalSegments: not confirmed against DynamoDB)."""
    segment, total = request.get("Segment"), request.get("TotalSegments")
    if segment is not None and total is None:
        raise ValidationException(
            "The TotalSegments parameter is required but was not present in the request "
            "when Segment parameter is present"
        )
    if total is not None:
        if segment is None:
            raise ValidationException(
                "The Segment parameter is required but was not present in the request "
                "when parameter TotalSegments is present"
            )
        if segment >= total:
            raise ValidationException(
                "The Segment parameter is zero-based and must be less than parameter "
                "TotalSegments: Segment: %s is not less than TotalSegments: %s" % (segment, total)
            )


# ---------------------------------------------------------------------------------------------------------
# ExpressionAttributeNames / ExpressionAttributeValues maps
# ---------------------------------------------------------------------------------------------------------

_NAME_KEY = re.compile(r"#[0-9a-zA-Z_]+")
_VALUE_KEY = re.compile(r":[0-9a-zA-Z_]+")


def check_expression_attribute_maps(request: Dict[str, Any]) -> None:
    """dynalite validations/index.js validateExpressions (its first part): empty maps and malformed keys.
    The attribute values inside ExpressionAttributeValues are checked by the attribute-value rules, which
    wrap their text as "ExpressionAttributeValues contains invalid value: <text> for key <key>"."""
    names = request.get("ExpressionAttributeNames")
    if names is not None:
        if not names:
            raise ValidationException("ExpressionAttributeNames must not be empty")
        for k in names:
            if not _NAME_KEY.fullmatch(k):
                raise ValidationException(
                    'ExpressionAttributeNames contains invalid key: Syntax error; key: "%s"' % k
                )
    values = request.get("ExpressionAttributeValues")
    if values is not None:
        if not values:
            raise ValidationException("ExpressionAttributeValues must not be empty")
        for k in values:
            if not _VALUE_KEY.fullmatch(k):
                raise ValidationException(
                    'ExpressionAttributeValues contains invalid key: Syntax error; key: "%s"' % k
                )


rule("PutItem", "DeleteItem", "GetItem", "UpdateItem", "Query", "Scan", order=90)(
    check_expression_attribute_maps
)


@rule("TransactWriteItems", order=90)
def transact_expression_attribute_maps(request: Dict[str, Any]) -> None:
    for item in request.get("TransactItems") or ():
        if isinstance(item, dict):
            for action in ("Put", "Update", "Delete", "ConditionCheck"):
                if isinstance(item.get(action), dict):
                    check_expression_attribute_maps(item[action])


@rule("TransactWriteItems", order=20)
def transact_action_present(request: Dict[str, Any]) -> None:
    """A TransactItems member without Put/Update/Delete/ConditionCheck: dynalite test/transactWriteItem.js."""
    for item in request.get("TransactItems") or ():
        if not isinstance(item, dict) or not any(
            item.get(a) is not None for a in ("Put", "Update", "Delete", "ConditionCheck")
        ):
            raise ValidationException.invalid_transact_action()
