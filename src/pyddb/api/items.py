"""GetItem, PutItem, UpdateItem, DeleteItem: request -> model -> response, in DynamoDB's order of checks.

Order (dynalite validations/<op>.js and actions/<op>.js, which reproduce DynamoDB): shapes and cross-field
rules (api.dispatch) -> attribute values of Item/Key -> expressions (parse, resolve, unused placeholders) ->
the table (ResourceNotFoundException) -> key against the schema -> paths into key attributes -> UpdateItem's
static checks (key attributes updated, index key types, paths into key attributes) -> the write (condition,
then applying the update and its checks, limits, one batch).

UPDATEITEM AFTER APPLYING (a rejection here still writes nothing: it is raised inside the model's plan)
    1. an index key SET from a value whose type only the item tells (a path, if_not_exists) that comes out
       of the wrong type: "The update expression attempted to update the secondary index key to unsupported
       type" (dynalite actions/updateItem.js; DynamoDB Local UPDATING_INDEX_KEY_TYPE_MISMATCH);
    2. legacy AttributeUpdates ADD/DELETE on an attribute of another type: "Type mismatch for attribute to
       update" (dynalite test/updateItem.js, recorded against DynamoDB);
    3. nesting deeper than 32 levels, for updates through a nested path (the only way an update deepens an
       attribute beyond what its values were validated for);
    4. the item size: see UPDATE SIZE;
    5. an empty S/B index key value: EMPTY_INDEX_KEY_UPDATE (UpdateItem's own text), then the rest of the
       index key checks of the new item (model/indexes.py X3).

UPDATE SIZE (nubo-db/dynamodb-conformance tests/tier3/limits/itemSizeBySurface.test.ts, measured against
DynamoDB in eu-west-2, 2026-08-18/19): an UpdateExpression is refused with "Item size to update has
exceeded the maximum allowed size" when max(finished item, written + action cost) > 409,600, where
`written` is the size (name and value) of each top-level attribute the update writes, as it is in the new
item, and the action cost is 3 plus 19 per SET/ADD (one more for a SET through a list index) and 2 per
REMOVE/DELETE. So an item of exactly 400 KB is refused at a key shorter than about 20 bytes. (Measured for
one SET through one list index; "one more per SET with any list index" is the reading used here.
Transactions and AttributeUpdates measure the finished item only.)
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from pyddb.api import operation, shortcut
from pyddb.api.common import (Expressions, check_key_paths, consumed, read_units, validate_item,
                              validate_item_sized, write_units)
from pyddb.errors import DynamoDBError, ValidationException
from pyddb.expressions import ast
from pyddb.expressions import messages as expression_messages
from pyddb.model import indexes
from pyddb.model.items import (INVALID, check_item_key, check_key, fast_item_address, fast_key_address,
                               index_write_units, written_bytes)
from pyddb.types import attrvalue, size
from pyddb.types.invalid import InvalidValue

_RETURN_ON_FAILURE = "ReturnValuesOnConditionCheckFailure"

UNSUPPORTED_INDEX_KEY_TYPE = ("The update expression attempted to update the secondary index key to "
                              "unsupported type")
# nubo-db/dynamodb-conformance transactWriteItems.test.ts (an Update, captured in four regions, 2026) and moto
# ("AWS has a different message for empty index keys"): no IndexName/IndexKey, unlike PutItem's text.
EMPTY_INDEX_KEY_UPDATE = ("One or more parameter values are not valid. The update expression attempted to "
                          "update a secondary index key to a value that is not supported. The AttributeValue "
                          "for a key attribute cannot contain an empty %s value.")
LEGACY_TYPE_MISMATCH = "Type mismatch for attribute to update"
UPDATE_BASE_COST = 3
SET_ADD_COST = 19
REMOVE_DELETE_COST = 2


def _wants_capacity(request: Dict[str, Any]) -> bool:
    return request.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES")


def _collection_metrics(model, request: Dict[str, Any], t, out: Dict[str, Any], key: Dict[str, Any]) -> None:
    """ReturnItemCollectionMetrics=SIZE on a table with local secondary indexes: the written item's collection
    as it is after the write (model/indexes.py ITEM COLLECTIONS)."""
    if request.get("ReturnItemCollectionMetrics") == "SIZE" and t.lsis:
        out["ItemCollectionMetrics"] = indexes.collection_metrics(model, t, key)


def _write_capacity(request: Dict[str, Any], t, old, new) -> Dict[str, Any]:
    """ConsumedCapacity of a single-item write: the table's units plus each index's, folded into the total."""
    table_units = write_units(written_bytes(old, new))
    index_units = index_write_units(t, old, new)
    total = table_units + sum(u for group in index_units.values() for u in group.values())
    return consumed(request, t.name, total, index_units=index_units)


# Members that make a GetItem need the expression machinery (else nothing to parse, resolve or project).
_GET_EXPRESSION_MEMBERS = frozenset(("ProjectionExpression", "AttributesToGet", "ExpressionAttributeNames",
                                     "ExpressionAttributeValues"))


@operation("GetItem")
def get_item(model, request: Dict[str, Any]) -> Dict[str, Any]:
    # Fast path (issue 3): a table named by its name, no expressions, a Key that needs no error checking
    # (model.items.fast_key_address) -> the same answer without the checking walks. Anything else, every
    # error included, goes the long way below, in DynamoDB's order of checks.
    t = model.tables.get(request["TableName"])
    if t is not None and _GET_EXPRESSION_MEMBERS.isdisjoint(request):
        fast = _get_by_fast_key(model, t, request["Key"])
        if fast is not None:
            _get_capacity(request, t, fast.get("Item"), fast)
            return fast
    key = validate_item(request["Key"])
    exprs = Expressions(request)
    projection = exprs.projection()
    exprs.finish()
    t = model.table(request["TableName"], "GetItem")
    check_key_paths(t, exprs.nested.get("projection"))
    pk, sk = check_key(t, key)
    item = model.items.get(t, pk, sk)
    out: Dict[str, Any] = {}
    if item is not None:
        out["Item"] = projection.apply(item) if projection is not None else item
    _get_capacity(request, t, item, out)
    return out


def _get_by_fast_key(model, t, key: Any) -> Optional[Dict[str, Any]]:
    """GetItem's answer (without ConsumedCapacity) for a Key model.items.fast_key_address vouches for; None
    for any other Key (the caller takes the checking path)."""
    address = fast_key_address(t, key)
    if address is None:
        return None
    item = model.items.get(t, address[0], address[1])
    return {} if item is None else {"Item": item}


def _get_capacity(request: Dict[str, Any], t, item: Optional[Dict[str, Any]], out: Dict[str, Any]) -> None:
    """ConsumedCapacity of a GetItem that read `item` (None: nothing found), when the request asks for it."""
    if _wants_capacity(request):
        units = read_units(size.item_size(item) if item else 0, bool(request.get("ConsistentRead")))
        out["ConsumedCapacity"] = consumed(request, t.name, units, read=True)


# The members a GetItem shortcut takes (with ConsistentRead a bool: its shape).
_GET_SHORTCUT_MEMBERS = frozenset(("TableName", "Key", "ConsistentRead"))
MAX_ATTRIBUTE_NAME = 65535      # the AttributeName shape's max: beyond it the shape check answers


@shortcut("GetItem")
def get_item_shortcut(model, request: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """api.SHORTCUTS: a GetItem of TableName, Key and perhaps ConsistentRead, whose Key
    fast_key_address vouches for, skips the shape walk; anything else -> None (the checking path)."""
    if not _GET_SHORTCUT_MEMBERS.issuperset(request):
        return None
    consistent = request.get("ConsistentRead")
    if consistent is not None and type(consistent) is not bool:
        return None
    name = request.get("TableName")
    t = model.tables.get(name) if type(name) is str else None   # (an existing table's name passes its shape)
    return None if t is None else _get_by_fast_key(model, t, request.get("Key"))


@shortcut("PutItem")
def put_item_shortcut(model, request: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """api.SHORTCUTS: a PutItem of just TableName and Item, naming a table by its name, whose
    Item validates (attrvalue accepts no value the AttributeValue shape refuses) with attribute names
    within the shape's length, would pass the shape and rule checks and has no expressions: it goes
    straight to the item checks. Anything else -> None (nothing validated is kept)."""
    if len(request) != 2:
        return None
    name = request.get("TableName")
    raw = request.get("Item")
    if type(name) is not str or name not in model.tables or type(raw) is not dict:
        return None                     # (an existing table's name passes the TableName shape)
    try:
        item, nbytes = attrvalue.validate_item_sized(raw)
    except (InvalidValue, UnicodeEncodeError):
        return None
    if nbytes > MAX_ATTRIBUTE_NAME:     # (else no name is longer: a name's bytes count in the item's size)
        for attribute in item:
            if len(attribute) > MAX_ATTRIBUTE_NAME:
                return None
    if nbytes > size.MAX_ITEM_SIZE:
        raise ValidationException(size.ITEM_TOO_LARGE)
    # the checking path's lookup, at the same point: ResourceNotFoundException if a DeleteTable won meanwhile
    return _put(model, request, model.table(name, "PutItem"), item, None, None)


@operation("PutItem")
def put_item(model, request: Dict[str, Any]) -> Dict[str, Any]:
    item, nbytes = validate_item_sized(request["Item"])       # one walk: values and the item's size
    if nbytes > size.MAX_ITEM_SIZE:
        raise ValidationException(size.ITEM_TOO_LARGE)
    exprs = Expressions(request)
    condition = exprs.condition()
    exprs.finish()
    t = model.table(request["TableName"], "PutItem")
    return _put(model, request, t, item, condition, exprs.nested.get("condition"))


def _put(model, request: Dict[str, Any], t, item: Dict[str, Any], condition, condition_paths) -> Dict[str, Any]:
    """PutItem from the table's item checks on (the request, its values and expressions are valid)."""
    pk, sk = fast_item_address(t, item) or check_item_key(t, item)
    model.check_index_keys(t, item)
    check_key_paths(t, condition_paths)
    return_old = request.get("ReturnValues") == "ALL_OLD"
    wants_capacity = _wants_capacity(request)
    old, new = model.items.write(
        t, pk, sk, lambda old: item, condition,
        return_old_on_failure=request.get(_RETURN_ON_FAILURE) == "ALL_OLD",
        need_old=return_old or wants_capacity)
    out: Dict[str, Any] = {}
    if return_old and old:
        out["Attributes"] = old
    if wants_capacity:
        out["ConsumedCapacity"] = _write_capacity(request, t, old, new)
    _collection_metrics(model, request, t, out, item)
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
    pk, sk = fast_key_address(t, key) or check_key(t, key)
    check_key_paths(t, exprs.nested.get("condition"))
    old, new = model.items.write(
        t, pk, sk, lambda old: None, condition,
        return_old_on_failure=request.get(_RETURN_ON_FAILURE) == "ALL_OLD")
    out: Dict[str, Any] = {}
    if rv == "ALL_OLD" and old:
        out["Attributes"] = old
    if _wants_capacity(request):
        out["ConsumedCapacity"] = _write_capacity(request, t, old, new)
    _collection_metrics(model, request, t, out, key)
    return out


# ---- UpdateItem -----------------------------------------------------------------------------------------

def _index_key_types(t) -> Dict[str, list]:
    """index key attribute name -> [(IndexDef, declared type)], in check_index_keys' order (LSIs, GSIs)."""
    out: Dict[str, list] = {}
    for ix in t.lsis + t.gsis:
        for ka in (ix.hash_key, ix.range_key):
            if ka is not None:
                out.setdefault(ka.name, []).append((ix, ka.type))
    return out


def _static_type(action) -> Optional[str]:
    """The type an action writes, when the expression alone tells it (dynalite's section.attrType)."""
    value = action.value if not isinstance(action, ast.RemoveAction) else None
    cls = type(value)
    if cls is ast.Literal:
        return attrvalue.value_type(value.av)
    if cls is ast.Arith:
        return "N"
    if cls is ast.Call and value.name == "list_append":
        return "L"
    return None


def _check_index_key_types(t, request: Dict[str, Any], plan, legacy: bool) -> None:
    """An index key attribute written with a value of the wrong type, known before the item is read
    (dynalite db/index.js validateUpdates: "Type mismatch for Index Key ...")."""
    keys = _index_key_types(t)
    if not keys:
        return
    if legacy:
        written = {name: attrvalue.value_type(spec["Value"])
                   for name, spec in (request.get("AttributeUpdates") or {}).items()
                   if isinstance(spec, dict) and spec.get("Value")}
    else:
        written = {}
        for action in plan.actions:
            elements = action.path.elements
            if len(elements) == 1 and elements[0] in keys and elements[0] not in written:
                actual = _static_type(action)
                if actual is not None:
                    written[elements[0]] = actual
    for name, actual in written.items():
        for ix, declared in keys.get(name, ()):
            if actual != declared:
                raise ValidationException(
                    INVALID + "Type mismatch for Index Key %s Expected: %s Actual: %s IndexName: %s"
                    % (name, declared, actual, ix.name))


def _dynamic_index_key_sets(t, plan):
    """(name, declared type) of the index key attributes a SET writes from a value only the item tells."""
    keys = _index_key_types(t)
    out = []
    for action in plan.actions:
        elements = action.path.elements
        if (type(action) is ast.SetAction and len(elements) == 1 and elements[0] in keys
                and _static_type(action) is None):
            out.append((elements[0], keys[elements[0]][0][1]))
    return out


def _written_size_and_cost(plan, new: Dict[str, Any]) -> int:
    """UPDATE SIZE: the attributes the update writes, plus what its actions cost."""
    cost = UPDATE_BASE_COST
    for action in plan.actions:
        if type(action) in (ast.SetAction, ast.AddAction):
            cost += SET_ADD_COST
            if type(action) is ast.SetAction and any(type(e) is int for e in action.path.elements):
                cost += 1
        else:
            cost += REMOVE_DELETE_COST
    written = 0
    for name in plan.tree:                      # the top-level names the update writes
        av = new.get(name)
        if av is not None:                      # size.item_size({name: av}), without building the dict
            written += (len(name) if name.isascii() else len(name.encode("utf-8"))) + size.value_size(av)
    return written + cost


def _check_nesting(plan, new: Dict[str, Any]) -> None:
    deepened = {a.path.elements[0] for a in plan.actions
                if len(a.path.elements) > 1 and type(a) is not ast.RemoveAction}
    for name in deepened:
        av = new.get(name)
        if av is not None:
            try:
                attrvalue.validate(av)
            except InvalidValue as e:
                raise ValidationException(e.message) from None


# The members an UpdateItem shortcut takes: the expression form only (AttributeUpdates, Expected and the
# other members go the checking way), with ReturnValues one of its shape's enum.
_UPDATE_SHORTCUT_MEMBERS = frozenset(("TableName", "Key", "UpdateExpression", "ConditionExpression",
                                      "ExpressionAttributeNames", "ExpressionAttributeValues",
                                      "ReturnValues"))
_RETURN_VALUES = frozenset(("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"))


@shortcut("UpdateItem")
def update_item_shortcut(model, request: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """api.SHORTCUTS: an UpdateItem of the members above, naming a table by its name, with a dict Key,
    string expressions, non-empty ExpressionAttributeNames/Values maps with string keys (names within the
    AttributeName shape) and a ReturnValues of the enum, would pass the shape walk and the rules when the
    operation's own checks pass it (docs/datamodel.md, Shortcuts). So it goes straight to those checks; if
    any of them fails, nothing has been written and the checking path answers instead, with DynamoDB's
    order of checks. Anything else -> None."""
    if not _UPDATE_SHORTCUT_MEMBERS.issuperset(request) or None in request.values():
        return None
    name = request.get("TableName")
    if (type(name) is not str or name not in model.tables or type(request.get("UpdateExpression")) is not str
            or type(request.get("Key")) is not dict):
        return None                     # (an existing table's name passes the TableName shape)
    condition = request.get("ConditionExpression")
    rv = request.get("ReturnValues")
    if (condition is not None and type(condition) is not str) or (rv is not None and (
            type(rv) is not str or rv not in _RETURN_VALUES)):
        return None
    # (a names or values key the rules would refuse is never used by an expression, whose placeholders are
    # #[0-9a-zA-Z_]+ and :[0-9a-zA-Z_]+ tokens: _update_prepare's unused-placeholder check refuses it.)
    names = request.get("ExpressionAttributeNames")
    if names is not None:
        if type(names) is not dict or not names:
            return None
        for k, v in names.items():
            if type(k) is not str or type(v) is not str or len(v) > MAX_ATTRIBUTE_NAME:
                return None
    values = request.get("ExpressionAttributeValues")
    if values is not None:
        if type(values) is not dict or not values:
            return None
        for k in values:
            if type(k) is not str:
                return None
    try:
        prepared = _update_prepare(model, request)
    except (DynamoDBError, InvalidValue, UnicodeEncodeError):
        return None                     # nothing written: the checking path gives the error in its order
    return _update(model, request, *prepared)


@operation("UpdateItem")
def update_item(model, request: Dict[str, Any]) -> Dict[str, Any]:
    return _update(model, request, *_update_prepare(model, request))


def _update_prepare(model, request: Dict[str, Any]) -> tuple:
    """UpdateItem's checks up to the read of the item; changes nothing."""
    key = validate_item(request["Key"])
    exprs = Expressions(request)
    condition = exprs.condition()            # UpdateItem reports ConditionExpression errors first
    plan = exprs.update()
    exprs.finish()
    legacy = exprs.legacy_update
    t = model.table(request["TableName"], "UpdateItem")
    pk, sk = fast_key_address(t, key) or check_key(t, key)   # (the fast one vouches for a valid key only)
    check_key_paths(t, exprs.nested.get("condition"))
    indexed = bool(t.lsis or t.gsis)
    if plan is not None:
        for name in plan.top_level_names():
            if name in t.key_names:
                raise ValidationException(
                    INVALID + "Cannot update attribute %s. This attribute is part of the key" % name)
        if indexed:
            _check_index_key_types(t, request, plan, legacy)
        check_key_paths(t, exprs.nested.get("update"))
    dynamic_keys = _dynamic_index_key_sets(t, plan) if indexed and plan is not None and not legacy else ()
    index_keys = _index_key_types(t) if indexed else {}
    return key, t, pk, sk, condition, plan, legacy, dynamic_keys, index_keys


def _update(model, request: Dict[str, Any], key, t, pk, sk, condition, plan, legacy, dynamic_keys,
            index_keys) -> Dict[str, Any]:
    """UpdateItem from the read of the item on (what _update_prepare returned)."""

    def build(old):
        base = old if old is not None else dict(key)
        if plan is None:
            return dict(base)
        try:
            new = plan.apply(base)
        except DynamoDBError as e:
            if legacy and e.message == expression_messages.INCORRECT_DATA_TYPE:
                raise ValidationException(LEGACY_TYPE_MISMATCH) from None
            raise
        for name, declared in dynamic_keys:
            av = new.get(name)
            if av is not None and attrvalue.value_type(av) != declared:
                raise ValidationException(UNSUPPORTED_INDEX_KEY_TYPE)
        _check_nesting(plan, new)
        measured = size.item_size(new)
        bound = measured + UPDATE_BASE_COST + (SET_ADD_COST + 1) * len(plan.actions)
        if not legacy and bound > size.MAX_ITEM_SIZE:
            # (the written attributes are some of the new item's, so below this bound they cannot matter)
            measured = max(measured, _written_size_and_cost(plan, new))
        if measured > size.MAX_ITEM_SIZE:
            raise ValidationException(size.ITEM_TOO_LARGE_UPDATE)
        for name, declared in index_keys.items():
            av = new.get(name)
            if av is not None and declared[0][1] in av and len(av[declared[0][1]]) == 0:
                raise ValidationException(EMPTY_INDEX_KEY_UPDATE % ("string" if "S" in av else "binary"))
        model.check_index_keys(t, new)
        return new

    old, new = model.items.write(
        t, pk, sk, build, condition,
        return_old_on_failure=request.get(_RETURN_ON_FAILURE) == "ALL_OLD")   # build() checked the size
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
    if _wants_capacity(request):
        out["ConsumedCapacity"] = _write_capacity(request, t, old, new)
    _collection_metrics(model, request, t, out, key)
    return out
