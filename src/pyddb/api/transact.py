"""TransactWriteItems and TransactGetItems: request -> model/transactions.py -> response.

TransactWriteItems, after shapes and rules (api.dispatch: at most 100 actions, each member with one of
Put/Update/Delete/ConditionCheck, the ExpressionAttributeNames/Values maps):
    1. per action, in request order: exactly one action; its attribute values; a Put's item size ("Item size
       has exceeded the maximum allowed size", a plain ValidationException: dynoxide transact_write_items.rs,
       captured in eu-west-2); ExpressionAttributeNames/Values without an expression; its expressions (an
       Update's UpdateExpression before its ConditionExpression, docs/expressions.md) and unused
       placeholders
    2. ClientRequestToken: a replay of a completed request returns its result (model/transactions.py)
    3. the tables ("Requested resource not found"), in request order
    4. per action: an expression path reaching into a key attribute (api/common.py check_key_paths, a plain
       error as in the item operations); its key against the table: empty or oversized key values are plain
       ValidationExceptions;
       a missing or mistyped key, a wrong index key type on a Put, an Update of a key attribute become the
       action's ValidationError reason (paritysuite/dynamodb-conformance tier3 transactWriteItems.test.ts)
    5. two actions on one item: "Transaction request cannot include multiple operations on one item"
       (conformance, same file; moto tests checked against AWS)
    6. more than 4 MB in the request's items: NOT CONFIRMED text, dynoxide's (see AGGREGATE_TOO_LARGE)
    7. execution (model/transactions.py): one reason per action, TransactionCanceledException or one batch
    Response: {} plus ConsumedCapacity (a list, one entry per table in first-use order, with the
    transactional Read/WriteCapacityUnits split; each action is charged 2 WCU per KB of the larger of its
    old and new item, a ConditionCheck on the item it read, and each index what the same write costs
    outside a transaction: paritysuite PR #67, dynoxide #57, #188) and ItemCollectionMetrics for tables
    with local secondary indexes.

TransactGetItems: per Get its key values and ProjectionExpression; the tables; the keys (a mismatch is a
ValidationError reason: conformance tier3 transactGetItems.test.ts); two Gets of one item (the write text,
NOT CONFIRMED for reads, dynoxide's choice); then all reads under the tables' locks. Responses has one
entry per Get, {} for a missing item; ConsumedCapacity charges 2 RCU per 4 KB, a missing item as 4 KB
(dynoxide #57, checked against DynamoDB).
"""
from __future__ import annotations

from typing import Any

from pyddb.api import operation
from pyddb.api.batch import add_index_units
from pyddb.api.common import Expressions, check_key_paths, consumed, validate_item
from pyddb.errors import ValidationException
from pyddb.model import transactions as tx
from pyddb.model.batch import collections_metrics
from pyddb.model.items import INVALID, check_item_key, check_key, index_write_units, written_bytes
from pyddb.types import size
from pyddb.types.invalid import InvalidValue
from pyddb.validation.rules import check_expression_attribute_maps, check_expression_parameters

ACTIONS = ("Put", "Update", "Delete", "ConditionCheck")
MAX_AGGREGATE_BYTES = 4 * 1024 * 1024
MULTIPLE_OPERATIONS = "Transaction request cannot include multiple operations on one item"
# NOT CONFIRMED against DynamoDB: the text dynoxide (nubo-db/dynoxide src/actions/transact_write_items.rs)
# answers with, from a conformance suite that checks only the error code.
AGGREGATE_TOO_LARGE = ("Collection size of items exceeded, which can also be caused by the aggregate size of "
                       "the items in the transaction exceeding the 4MB limit")
_EXPRESSIONS = {"Put": ("ConditionExpression",), "Delete": ("ConditionExpression",),
                "ConditionCheck": ("ConditionExpression",),
                "Update": ("UpdateExpression", "ConditionExpression")}


def _capacity_wanted(request: dict[str, Any]) -> bool:
    return request.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES")


# ---- TransactWriteItems -----------------------------------------------------------------------------------


class _Parsed:
    """One TransactItems member after request validation (step 1)."""
    __slots__ = ("body", "condition", "kind", "nbytes", "nested", "plan", "value")

    def __init__(self, kind, body, value, condition, plan, nbytes, nested):
        self.kind = kind            # action name
        self.body = body            # the member's request dict
        self.value = value          # Put: the item; others: the key
        self.condition = condition
        self.plan = plan
        self.nbytes = nbytes        # its share of the 4 MB aggregate
        self.nested = nested        # top-level names its expressions reach into (api/common.py nested)


@operation("TransactWriteItems")
def transact_write_items(model, request: dict[str, Any]) -> dict[str, Any]:
    parsed = [_parse_write(member) for member in request["TransactItems"]]

    token = request.get("ClientRequestToken")
    registry = tx.tokens(model) if token else None
    if registry is not None:
        replay = registry.begin(token, request["TransactItems"])
        if replay is not None:
            return _replay_response(request, replay)
    result = None
    try:
        response, result = _transact_write(model, request, parsed)
        return response
    finally:
        if registry is not None:
            registry.finish(token, result)


def _parse_write(member: dict[str, Any]) -> _Parsed:
    present = [a for a in ACTIONS if member.get(a) is not None]
    if len(present) != 1:
        # none present is caught by rules.transact_action_present; two or more: NOT CONFIRMED text
        raise ValidationException.invalid_transact_action()
    kind = present[0]
    body = member[kind]
    if kind == "Put":
        value = validate_item(body["Item"])
        nbytes = size.check_item_size(value)
    else:
        value = validate_item(body["Key"])
        nbytes = size.item_size(value)
    check_expression_parameters(body, _EXPRESSIONS[kind], ())
    exprs = Expressions(body)
    plan = exprs.update() if kind == "Update" else None
    condition = exprs.condition()
    exprs.finish()
    nested = set().union(*exprs.nested.values()) if exprs.nested else None
    return _Parsed(kind, body, value, condition, plan, nbytes, nested)


def _transact_write(model, request: dict[str, Any], parsed: list[_Parsed]) -> tuple[dict[str, Any], Any]:
    tables = [model.table(p.body["TableName"], "TransactWriteItems") for p in parsed]
    actions = [_action(model, t, p) for t, p in zip(tables, parsed)]
    seen = set()
    for a in actions:
        if a.reason is None:
            ident = (a.table, a.pk, a.sk)
            if ident in seen:
                raise ValidationException(MULTIPLE_OPERATIONS)
            seen.add(ident)
    if sum(p.nbytes for p in parsed) > MAX_AGGREGATE_BYTES:
        raise ValidationException(AGGREGATE_TOO_LARGE)

    outcome = tx.execute_write(model, actions, tables)

    # capacity: per table, in first-use order; each action on the larger of its old and new item (sizes are
    # computed only when capacity is asked for or a token may replay the request: each is a walk of an item)
    # The index arms cost what the same writes cost outside a transaction: the 2x applies to the table arm
    # (nubo-db/dynoxide#188, checked against DynamoDB); a ConditionCheck writes no index entry.
    charged: dict[str, list[int]] = {}
    index_units: dict[str, dict[str, dict[str, float]]] = {}
    if _capacity_wanted(request) or request.get("ClientRequestToken"):
        by_name = {t.name: t for t in tables}
        for a, old, new in zip(actions, outcome.olds, outcome.news):
            charged.setdefault(a.table, []).append(written_bytes(old, new))
            acc = index_units.setdefault(a.table, {})
            if a.kind != "ConditionCheck":
                add_index_units(acc, index_write_units(by_name[a.table], old, new))
    out: dict[str, Any] = {}
    if _capacity_wanted(request):
        out["ConsumedCapacity"] = [
            consumed(request, name,
                     sum(size.write_units(n, transactional=True) for n in sizes)
                     + sum(u for group in index_units[name].values() for u in group.values()),
                     split=True, index_units=index_units[name])
            for name, sizes in charged.items()]
    if request.get("ReturnItemCollectionMetrics") == "SIZE":
        by_name = {t.name: t for t in tables}
        written = [(by_name[a.table], new if new is not None else old)
                   for a, old, new in zip(actions, outcome.olds, outcome.news)
                   if a.kind != "ConditionCheck" and (old or new) is not None]
        metrics = collections_metrics(model, written)
        if metrics:
            out["ItemCollectionMetrics"] = metrics
    return out, {"charged": charged}


def _action(model, t, p: _Parsed) -> tx.WriteAction:
    """Step 4: the action's key against its table; ValidationError reasons or plain ValidationExceptions."""
    a = tx.WriteAction(p.kind, t.name, condition=p.condition, plan=p.plan,
                       return_old=p.body.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD")
    check_key_paths(t, p.nested)    # a.b or a[0] into a key attribute: a plain error, known from the request
    try:
        if p.kind == "Put":
            a.pk, a.sk = check_item_key(t, p.value)
            a.item = p.value
            model.check_index_keys(t, p.value)
        else:
            a.pk, a.sk = check_key(t, p.value)
            a.key = p.value
            if p.plan is not None:
                for name in p.plan.top_level_names():
                    if name in t.key_names:
                        # NOT CONFIRMED whether DynamoDB reports this as a reason or a plain error
                        raise ValidationException(
                            INVALID + f"Cannot update attribute {name}. This attribute is part of the key")
    except (ValidationException, InvalidValue) as e:
        if isinstance(e, InvalidValue) or tx.is_upfront(e):     # empty or oversized key values
            raise ValidationException(e.message) from None
        a.reason = tx.validation_reason(e.message)
    return a


def _replay_response(request: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """A repeat of a completed request: nothing is applied; capacity is reported as transactional reads of
    the items the first call was charged for (see model/transactions.py IDEMPOTENCY)."""
    out: dict[str, Any] = {}
    if _capacity_wanted(request):
        out["ConsumedCapacity"] = [
            consumed(request, name, sum(size.read_units(n, True, transactional=True) for n in sizes),
                     read=True, split=True)
            for name, sizes in stored["charged"].items()]
    return out


# ---- TransactGetItems -------------------------------------------------------------------------------------


@operation("TransactGetItems")
def transact_get_items(model, request: dict[str, Any]) -> dict[str, Any]:
    parsed: list[tuple[dict[str, Any], dict[str, Any], Any | None, Any]] = []
    for member in request["TransactItems"]:
        get = member["Get"]
        key = validate_item(get["Key"])
        check_expression_parameters(get, ("ProjectionExpression",), ())
        check_expression_attribute_maps(get)
        exprs = Expressions(get)
        projection = exprs.projection()
        exprs.finish()
        parsed.append((get, key, projection, exprs.nested.get("projection")))

    tables = [model.table(p[0]["TableName"], "TransactGetItems") for p in parsed]
    actions = []
    seen = set()
    for t, (get, key, projection, nested) in zip(tables, parsed):
        check_key_paths(t, nested)
        a = tx.GetAction(t.name, projection=projection)
        try:
            a.pk, a.sk = check_key(t, key)
        except (ValidationException, InvalidValue) as e:
            if isinstance(e, InvalidValue) or tx.is_upfront(e):
                raise ValidationException(e.message) from None
            a.reason = tx.validation_reason(e.message)
        actions.append(a)
    for a in actions:
        if a.reason is None:
            if (a.table, a.pk, a.sk) in seen:
                raise ValidationException(MULTIPLE_OPERATIONS)
            seen.add((a.table, a.pk, a.sk))

    items = tx.execute_get(model, actions, tables)

    responses = []
    units: dict[str, float] = {}
    for a, item in zip(actions, items):
        if item is None:
            responses.append({})
        else:
            responses.append({"Item": a.projection.apply(item) if a.projection is not None else item})
        n = size.item_size(item) if item is not None else 0
        units[a.table] = units.get(a.table, 0.0) + size.read_units(n, True, transactional=True)
    out: dict[str, Any] = {"Responses": responses}
    if _capacity_wanted(request):
        out["ConsumedCapacity"] = [consumed(request, name, u, read=True, split=True)
                                   for name, u in units.items()]
    return out
