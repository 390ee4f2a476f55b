"""What item operations share: a request's expressions (new style or legacy), attribute-value validation with
DynamoDB's wrapping texts, ReturnValues, and ConsumedCapacity."""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

from pyddb import expressions as ex
from pyddb.errors import ValidationException
from pyddb.model import legacy
from pyddb.types import attrvalue, size
from pyddb.types.invalid import InvalidValue


def validate_item(item: Dict[str, Any]) -> Dict[str, Any]:
    """Validate and canonicalise an Item (errors as DynamoDB words them)."""
    try:
        return attrvalue.validate_item(item)
    except InvalidValue as e:
        raise ValidationException(e.message) from None


def validate_values(values: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """ExpressionAttributeValues: each value validated; DynamoDB wraps the inner text."""
    if not values:
        return values
    out = {}
    for k, v in values.items():
        try:
            out[k] = attrvalue.validate(v)
        except InvalidValue as e:
            raise ValidationException("ExpressionAttributeValues contains invalid value: %s for key %s"
                                      % (e.message, k)) from None
    return out


class Expressions:
    """One request's expressions through one Resolver (unused placeholders are judged across all of them)."""

    def __init__(self, request: Dict[str, Any]):
        self.request = request
        self.resolver = ex.Resolver(request.get("ExpressionAttributeNames"),
                                    validate_values(request.get("ExpressionAttributeValues")))
        self.legacy_update = False          # update() came from AttributeUpdates

    def condition(self, kind: str = "ConditionExpression") -> Optional[Callable[[Dict], bool]]:
        text = self.request.get(kind)
        if text is not None:
            return self.resolver.condition(ex.parse_condition(text, kind))
        if kind == "ConditionExpression":
            expected = self.request.get("Expected")
            if expected:
                text, names, values = legacy.expected(expected, self.request.get("ConditionalOperator"))
                return ex.Resolver(names, values).condition(ex.parse_condition(text, kind))
            legacy.check_conditional_operator(expected, self.request.get("ConditionalOperator"))
        return None

    def filter(self, legacy_param: str) -> Optional[Callable[[Dict], bool]]:
        text = self.request.get("FilterExpression")
        if text is not None:
            return self.resolver.condition(ex.parse_condition(text, "FilterExpression"))
        if self.request.get(legacy_param):
            text, names, values = legacy.filter_conditions(self.request[legacy_param],
                                                           self.request.get("ConditionalOperator"))
            return ex.Resolver(names, values).condition(ex.parse_condition(text, "FilterExpression"))
        return None

    def projection(self):
        text = self.request.get("ProjectionExpression")
        if text is not None:
            return self.resolver.projection(ex.parse_projection(text))
        if self.request.get("AttributesToGet"):
            text, names, _ = legacy.attributes_to_get(self.request["AttributesToGet"])
            return ex.Resolver(names, None).projection(ex.parse_projection(text))
        return None

    def update(self):
        text = self.request.get("UpdateExpression")
        if text is not None:
            return self.resolver.update(ex.parse_update(text))
        if self.request.get("AttributeUpdates"):
            text, names, values = legacy.attribute_updates(self.request["AttributeUpdates"])
            if not text:
                return None
            self.legacy_update = True
            return ex.Resolver(names, values).update(ex.parse_update(text))
        return None

    def finish(self) -> None:
        self.resolver.check_unused()


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
