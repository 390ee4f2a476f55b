"""GetItem, PutItem, UpdateItem, DeleteItem: request -> model -> response, in DynamoDB's order of checks.

Order (dynalite validations/<op>.js and actions/<op>.js, which reproduce DynamoDB): shapes and cross-field
rules (api.dispatch) -> attribute values of Item/Key -> expressions (parse, resolve, unused placeholders) ->
the table (ResourceNotFoundException) -> key against the schema -> the write (condition, limits, one batch).
"""
from __future__ import annotations

from typing import Any, Dict

from pyddb.api import operation
from pyddb.api.common import Expressions, consumed, read_units, validate_item, write_units
from pyddb.errors import DynamoDBError, ValidationException
from pyddb.expressions import messages as expression_messages
from pyddb.model.items import INVALID, check_item_key, check_key, written_bytes
from pyddb.types import size

_RETURN_ON_FAILURE = "ReturnValuesOnConditionCheckFailure"
# AttributeUpdates ADD/DELETE on an attribute of another type (dynalite test/updateItem.js, recorded against
# DynamoDB); an UpdateExpression says "An operand in the update expression has an incorrect data type".
LEGACY_TYPE_MISMATCH = "Type mismatch for attribute to update"


def _items(model):
    return model.items


@operation("GetItem")
def get_item(model, request: Dict[str, Any]) -> Dict[str, Any]:
    key = validate_item(request["Key"])
    exprs = Expressions(request)
    projection = exprs.projection()
    exprs.finish()
    t = model.table(request["TableName"], "GetItem")
    pk, sk = check_key(t, key)
    item = model.items.get(t, pk, sk)
    out: Dict[str, Any] = {}
    if item is not None:
        out["Item"] = projection.apply(item) if projection is not None else item
    if request.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        out["ConsumedCapacity"] = consumed(
            request, t.name, read_units(size.item_size(item) if item else 0, bool(request.get("ConsistentRead"))),
            read=True)
    return out


@operation("PutItem")
def put_item(model, request: Dict[str, Any]) -> Dict[str, Any]:
    item = validate_item(request["Item"])
    size.check_item_size(item)
    exprs = Expressions(request)
    condition = exprs.condition()
    exprs.finish()
    t = model.table(request["TableName"], "PutItem")
    pk, sk = check_item_key(t, item)
    model.check_index_keys(t, item)
    old, new = model.items.write(
        t, pk, sk, lambda old: item, condition,
        return_old_on_failure=request.get(_RETURN_ON_FAILURE) == "ALL_OLD")
    out: Dict[str, Any] = {}
    if request.get("ReturnValues") == "ALL_OLD" and old:
        out["Attributes"] = old
    if request.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        out["ConsumedCapacity"] = consumed(request, t.name, write_units(written_bytes(old, new)))
    return out


@operation("DeleteItem")
def delete_item(model, request: Dict[str, Any]) -> Dict[str, Any]:
    key = validate_item(request["Key"])
    exprs = Expressions(request)
    condition = exprs.condition()
    exprs.finish()
    rv = request.get("ReturnValues")
    if rv not in (None, "NONE", "ALL_OLD"):
        raise ValidationException("ReturnValues can only be ALL_OLD or NONE")
    t = model.table(request["TableName"], "DeleteItem")
    pk, sk = check_key(t, key)
    old, new = model.items.write(
        t, pk, sk, lambda old: None, condition,
        return_old_on_failure=request.get(_RETURN_ON_FAILURE) == "ALL_OLD")
    out: Dict[str, Any] = {}
    if rv == "ALL_OLD" and old:
        out["Attributes"] = old
    if request.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        out["ConsumedCapacity"] = consumed(request, t.name, write_units(written_bytes(old, new)))
    return out


@operation("UpdateItem")
def update_item(model, request: Dict[str, Any]) -> Dict[str, Any]:
    key = validate_item(request["Key"])
    exprs = Expressions(request)
    condition = exprs.condition()            # UpdateItem reports ConditionExpression errors first
    plan = exprs.update()
    exprs.finish()
    t = model.table(request["TableName"], "UpdateItem")
    pk, sk = check_key(t, key)
    if plan is not None:
        for name in plan.top_level_names():
            if name in t.key_names:
                raise ValidationException(INVALID + "Cannot update attribute %s. This attribute is part of the key"
                                          % name)

    def build(old):
        base = old if old is not None else dict(key)
        try:
            new = plan.apply(base) if plan is not None else dict(base)
        except DynamoDBError as e:
            if exprs.legacy_update and e.message == expression_messages.INCORRECT_DATA_TYPE:
                raise ValidationException(LEGACY_TYPE_MISMATCH) from None
            raise
        model.check_index_keys(t, new)
        return new

    old, new = model.items.write(
        t, pk, sk, build, condition,
        return_old_on_failure=request.get(_RETURN_ON_FAILURE) == "ALL_OLD", update=True)
    out: Dict[str, Any] = {}
    rv = request.get("ReturnValues") or "NONE"
    if rv == "ALL_OLD" and old:
        out["Attributes"] = old
    elif rv == "ALL_NEW":
        out["Attributes"] = new
    elif rv in ("UPDATED_OLD", "UPDATED_NEW") and plan is not None:
        src = old if rv == "UPDATED_OLD" else new
        if src:
            projected = plan.project(src)
            if projected:
                out["Attributes"] = projected
    if request.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        out["ConsumedCapacity"] = consumed(request, t.name, write_units(written_bytes(old, new)))
    return out
