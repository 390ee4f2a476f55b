"""BatchGetItem and BatchWriteItem: request -> model/batch.py -> response, in DynamoDB's order of checks.

BatchGetItem, after shapes and rules (api.dispatch):
    1. ProjectionExpression in one table and AttributesToGet in another: the mixed-parameters text
       (paritysuite/dynamodb-conformance tier3 batchGetItem.test.ts: rejected; the text is NOT CONFIRMED)
    2. per table, in request order (dynalite validations/batchGetItem.js, written against DynamoDB):
       AttributesToGet duplicates ("One or more parameter values were invalid: Duplicate value in attribute
       name: a"), the ExpressionAttributeNames map, the ProjectionExpression; then per key: its attribute
       values, a duplicate of an earlier key of the table ("Provided list of item keys contains duplicates"),
       and more than 100 keys in all ("Too many items requested for the BatchGetItem call")
    3. the tables ("Requested resource not found"), then per table: no projection path reaching into a key
       attribute (api/common.py check_key_paths, as GetItem), each key against its table's schema
    4. the reads, capped at 16 MB (model/batch.py); ConsumedCapacity is a list, one entry per table, each
       key charged on its own (a missing item as 4 KB: dynalite test/batchGetItem.js capacity tests)

BatchWriteItem, after shapes and rules:
    1. more than 25 requests across tables: "Too many items requested for the BatchWriteItem call" (DynamoDB
       Local's ErrorFactory BATCH_WRITE_LIMIT_EXCEEDED; a single table's list is limited by the shapes)
    2. per request, in request order: exactly one of PutRequest/DeleteRequest ("Supplied AttributeValue has
       more than one datatypes set, must contain exactly one of the supported datatypes", dynalite
       test/batchWriteItem.js "empty item in RequestItems"; the same text for both set follows dynalite's
       older validation and is NOT CONFIRMED), its attribute values, a put's item size
    3. the tables (before duplicates: dynalite "should check table exists first before checking for
       duplicate keys"), then per request its key: "The provided key element does not match the schema" for
       a missing or mistyped key in a put too (conformance tier3 batchWriteItem.test.ts, four regions), empty
       and oversized key values, index key types; then duplicates within a table ("Provided list of item
       keys contains duplicates")
    4. one engine batch for everything (model/batch.py); UnprocessedItems is always {} (no limit that
       DynamoDB answers with unprocessed items applies here); ConsumedCapacity one entry per table, each
       request charged on its own, plus what each index is charged (model/items.py index_write_units, as
       the single-item writes); ItemCollectionMetrics for tables with local secondary indexes
"""
from __future__ import annotations

from typing import Any

from pyddb.api import operation
from pyddb.api.common import Expressions, check_key_paths, consumed, read_units, validate_item, write_units
from pyddb.errors import ValidationException
from pyddb.model import batch
from pyddb.model.items import MISMATCH, check_key, index_write_units, key_type, written_bytes
from pyddb.types import size
from pyddb.validation.rules import check_expression_attribute_maps

MAX_GET_KEYS = 100
MAX_WRITE_REQUESTS = 25
DUPLICATE_KEYS = "Provided list of item keys contains duplicates"
TOO_MANY_GETS = "Too many items requested for the BatchGetItem call"
TOO_MANY_WRITES = "Too many items requested for the BatchWriteItem call"
NOT_ONE_REQUEST = ("Supplied AttributeValue has more than one datatypes set, "
                   "must contain exactly one of the supported datatypes")


def frozen(av: Any) -> Any:
    """A hashable image of an attribute value (or item), equal for equal canonical values."""
    if isinstance(av, dict):
        return tuple(sorted((k, frozen(v)) for k, v in av.items()))
    if isinstance(av, list):
        return tuple(frozen(v) for v in av)
    return av


def add_index_units(acc: dict[str, dict[str, float]], units: dict[str, dict[str, float]]) -> None:
    """Add one write's index units ({"GlobalSecondaryIndexes": {name: units}, ...}) into a running total."""
    for group, entries in units.items():
        totals = acc.setdefault(group, {})
        for name, u in entries.items():
            totals[name] = totals.get(name, 0.0) + u


def _capacity_wanted(request: dict[str, Any]) -> bool:
    return request.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES")


# ---- BatchGetItem ---------------------------------------------------------------------------------------


@operation("BatchGetItem")
def batch_get_item(model, request: dict[str, Any]) -> dict[str, Any]:
    request_items: dict[str, dict[str, Any]] = request["RequestItems"]
    _check_projection_kinds(request_items)
    prepared: list[tuple[str, dict[str, Any], Any, list[dict[str, Any]]]] = []
    count = 0
    for name, tr in request_items.items():
        _check_attributes_to_get(tr.get("AttributesToGet"))
        check_expression_attribute_maps(tr)
        exprs = Expressions(tr)
        projection = exprs.projection()
        exprs.finish()
        keys = []
        seen = set()
        for raw_key in tr["Keys"]:
            key = validate_item(raw_key)
            ident = frozen(key)
            if ident in seen:
                raise ValidationException(DUPLICATE_KEYS)
            seen.add(ident)
            count += 1
            if count > MAX_GET_KEYS:
                raise ValidationException(TOO_MANY_GETS)
            keys.append(key)
        prepared.append((name, tr, projection, keys, exprs.nested.get("projection")))

    tables = [model.table(p[0], "BatchGetItem") for p in prepared]
    reads = []
    for t, (_, _, _, keys, nested) in zip(tables, prepared):
        check_key_paths(t, nested)                          # no a.b or a[0] into a key attribute
        reads.append(batch.TableRead(t, keys, [check_key(t, k) for k in keys]))
    results = batch.read_batch(model, reads, want_sizes=_capacity_wanted(request))

    responses: dict[str, list[dict[str, Any]]] = {}
    unprocessed: dict[str, dict[str, Any]] = {}
    capacity = []
    for t, (name, tr, projection, _, _), res in zip(tables, prepared, results):
        items = responses.setdefault(name, [])
        for item in res.items:
            if item is not None:
                items.append(projection.apply(item) if projection is not None else item)
        if res.unprocessed:
            entry = {k: v for k, v in tr.items() if k != "Keys"}
            entry["Keys"] = res.unprocessed
            unprocessed[name] = entry
        if _capacity_wanted(request) and res.sizes:
            consistent = bool(tr.get("ConsistentRead"))
            units = sum(read_units(n, consistent) for n in res.sizes)
            capacity.append(consumed(request, name, units, read=True))     # the request's name or ARN
    out: dict[str, Any] = {"Responses": responses, "UnprocessedKeys": unprocessed}
    if _capacity_wanted(request):
        out["ConsumedCapacity"] = capacity
    return out


def _check_projection_kinds(request_items: dict[str, dict[str, Any]]) -> None:
    expr = any(tr.get("ProjectionExpression") is not None for tr in request_items.values())
    legacy = any(tr.get("AttributesToGet") is not None for tr in request_items.values())
    if expr and legacy:
        raise ValidationException.mixed_expression_parameters(["AttributesToGet"], ["ProjectionExpression"])


def _check_attributes_to_get(names) -> None:
    """dynalite validations/batchGetItem.js (findDuplicate): the first repeated name."""
    if not names:
        return
    seen = set()
    for n in names:
        if n in seen:
            raise ValidationException.invalid_parameters(f"Duplicate value in attribute name: {n}")
        seen.add(n)


# ---- BatchWriteItem -------------------------------------------------------------------------------------


@operation("BatchWriteItem")
def batch_write_item(model, request: dict[str, Any]) -> dict[str, Any]:
    request_items: dict[str, list[dict[str, Any]]] = request["RequestItems"]
    if sum(len(reqs) for reqs in request_items.values()) > MAX_WRITE_REQUESTS:
        raise ValidationException(TOO_MANY_WRITES)
    prepared: list[tuple[str, list[tuple[bool, dict[str, Any]]]]] = []
    for name, reqs in request_items.items():
        table_reqs = []
        for wr in reqs:
            put, delete = wr.get("PutRequest"), wr.get("DeleteRequest")
            if (put is None) == (delete is None):
                raise ValidationException(NOT_ONE_REQUEST)
            if put is not None:
                item = validate_item(put["Item"])
                size.check_item_size(item)
                table_reqs.append((True, item))
            else:
                table_reqs.append((False, validate_item(delete["Key"])))
        prepared.append((name, table_reqs))

    tables = [model.table(name, "BatchWriteItem") for name, _ in prepared]
    writes: list[batch.WriteRequest] = []
    seen = set()        # across entries: a table may be named twice, by its name and by its ARN
    for t, (name, table_reqs) in zip(tables, prepared):
        for is_put, value in table_reqs:
            if is_put:
                pk, sk = _check_put_key(t, value)
                model.check_index_keys(t, value)
            else:
                pk, sk = check_key(t, value)
            if (t.table_id, pk, sk) in seen:
                raise ValidationException(DUPLICATE_KEYS)
            seen.add((t.table_id, pk, sk))
            writes.append(batch.WriteRequest(t.name, pk, sk, value if is_put else None))

    results = batch.write_batch(model, writes, tables)

    out: dict[str, Any] = {"UnprocessedItems": {}}
    if _capacity_wanted(request):
        by_name = {t.name: t for t in tables}
        units: dict[str, float] = {}
        index_units: dict[str, dict[str, dict[str, float]]] = {}
        for w, (old, new) in zip(writes, results):
            ix = index_write_units(by_name[w.table], old, new)
            add_index_units(index_units.setdefault(w.table, {}), ix)
            units[w.table] = (units.get(w.table, 0.0) + write_units(written_bytes(old, new))
                              + sum(u for group in ix.values() for u in group.values()))
        out["ConsumedCapacity"] = [consumed(request, name, units[t.name], index_units=index_units[t.name])
                                   for t, (name, _) in zip(tables, prepared)]   # the request's name or ARN
    if request.get("ReturnItemCollectionMetrics") == "SIZE" and any(t.lsis for t in tables):
        by_name = {t.name: t for t in tables}
        written = [(by_name[w.table], old if new is None else new)
                   for w, (old, new) in zip(writes, results) if (old or new) is not None]
        out["ItemCollectionMetrics"] = batch.collections_metrics(model, written)
    return out


def _check_put_key(t, item: dict[str, Any]) -> tuple[bytes, bytes]:
    """A PutRequest's key attributes: a missing or mistyped key is "The provided key element does not
    match the schema" here, not PutItem's "Missing the key"/"Type mismatch" texts (conformance tier3
    batchWriteItem.test.ts; floci-io/floci#3227 checked against AWS)."""
    for ka in (t.hash_key, t.range_key):
        if ka is not None and key_type(item.get(ka.name)) != ka.type:
            raise ValidationException(MISMATCH)
    return check_key(t, t.key_of(item))
