"""Query and Scan: request -> checks in DynamoDB's order -> one engine read (model/query.py) -> response.

ORDER OF CHECKS (dynalite validations/{query,scan}.js and actions/{query,scan}.js, whose tests run against
DynamoDB; the Select texts from tests run against DynamoDB by LocalStack and nubo-db/dynamodb-conformance;
DynamoDB Local, decompiled (eznix86/dynamodb-local-decompiled QueryFunction, ScanFunction, DataPlaneFunction),
where dynalite is silent)
    before the table (api.dispatch: shapes, then validation/rules.py in `order`; the rules below register
    themselves there)
        10 expression vs. legacy parameters (rules.py)
        20/25 Query: QueryFilter conditions, AttributesToGet duplicates; Scan: the same two swapped
        30 ExclusiveStartKey attribute values ("The provided starting key is invalid: <text>")
        65 Select with ProjectionExpression/AttributesToGet/IndexName (Query prefixes these texts with
           "1 validation error detected: ", Scan does not)
        70 KeyConditions/KeyConditionExpression present (Query); Segment/TotalSegments (Scan) (rules.py)
        90 ExpressionAttributeNames/Values maps (rules.py)
        then the expressions: KeyConditionExpression (its schema-free checks: operators, operand shapes,
        1 or 2 conditions), FilterExpression (a legacy filter: ConditionalOperator needs two or more
        conditions), ProjectionExpression, unused placeholders; legacy KeyConditions: their conditions,
        then "Conditions can be of length 1 or 2 only"
    the table (ResourceNotFoundException), the index ("The table does not have the specified index: <n>",
    "Cannot read from backfilling global secondary index: <n>", then ConsistentRead on a GSI), then
    Query  ExclusiveStartKey size (must hold the table key and the index key); for each key attribute of
           the queried schema (hash, then range): its ExclusiveStartKey value (missing: "The provided
           starting key is invalid"; wrong type: "The provided key element does not match the schema"; key
           size), then its key condition (missed / not indexable / type / not supported); then empty key
           values in ExclusiveStartKey, then the table key inside it ("The provided starting key is
           invalid: <text>"); then the start key against the conditions; nested paths into key attributes
           in the projection; key attributes in the filter; filter attributes the index does not project
           (DynamoDB Local QueryFunction); Select ALL_ATTRIBUTES on a GSI that does not project ALL; nested
           key paths in the filter; projected attributes of a GSI. A Query of a table without a sort key
           never returns LastEvaluatedKey.
           (A KeyConditionExpression's own checks of both key attributes run together, between the hash
           and the range attribute's start-key checks: pyddb deviates from dynalite only when both a range
           condition and the start key's range value are wrong.)
    Scan   ExclusiveStartKey size; the index key inside it; Select ALL_ATTRIBUTES on a GSI; empty key
           values, then the table key inside it; the start key's segment; nested key paths in the
           projection, then in the filter; projected attributes of a GSI.
READ: model/query.py (one range read, or one hash-range scan; pages, Limit, 1 MB, capacity bytes).
"""
from __future__ import annotations

from typing import Any

from pyddb import expressions as ex
from pyddb._engine.errors import EngineError
from pyddb.api import operation
from pyddb.api.common import Expressions, check_key_paths, consumed
from pyddb.errors import ValidationException
from pyddb.expressions import ast
from pyddb.expressions import messages as msg
from pyddb.expressions.evaluate import compile_condition
from pyddb.expressions.resolve import bind_key_conditions
from pyddb.model import legacy
from pyddb.model import query as q
from pyddb.model.items import MISMATCH, check_key
from pyddb.model.schema import IndexDef, KeyAttr, TableDef
from pyddb.types import attrvalue, codec, keycodec, size
from pyddb.types.invalid import InvalidValue
from pyddb.validation.rules import rule

INVALID = "One or more parameter values were invalid: "
# dynalite actions/query.js, test/query.js and test/scan.js (recorded against DynamoDB); the short Query
# form for a start key of the wrong shape is also asserted against DynamoDB by nubo-db/dynamodb-conformance
# tests/tier3/error-messages/query.test.ts ("malformed ExclusiveStartKey").
START_KEY_INVALID = "The provided starting key is invalid"
START_KEY_OUTSIDE = "The provided starting key is outside query boundaries based on provided conditions"
START_KEY_RANGE = "The provided starting key does not match the range key predicate"
START_KEY_ONE_ROW = "The query can return at most one row and cannot be restarted"
# DynamoDB Local LocalDBClientExceptionMessage EMPTY_HASH_EXCLUSIVE_START (the prefix of an empty
# partition-key value in the start key) and INDEX_EMPTY_*_KEY_VALUE_UNSUPPORTED (model/indexes.py's text)
START_KEY_EMPTY_HASH = "The query can return at most one row and cannot be restarted. "
START_KEY_INDEX_EMPTY = ("One or more parameter values are not valid. A value specified for a secondary "
                         "index key is not supported. The AttributeValue for a key attribute cannot "
                         "contain an empty %s value. IndexName: %s, IndexKey: %s")
START_KEY_SEGMENT = ("The provided starting key is invalid: Invalid ExclusiveStartKey. Please use "
                     "ExclusiveStartKey with correct Segment. TotalSegments: %d Segment: %d")
NO_INDEX = "The table does not have the specified index: %s"
# DynamoDB's reply while a new GSI is backfilling, as applications log it (e.g. split.io's dynamodb search
# lambda README, "ValidationException: Cannot read from backfilling global secondary index: key-index").
BACKFILLING = "Cannot read from backfilling global secondary index: %s"
GSI_CONSISTENT = "Consistent reads are not supported on global secondary indexes"
GSI_ALL_ATTRIBUTES = (INVALID + "Select type ALL_ATTRIBUTES is not supported for global secondary index %s "
                      "because its projection type is not ALL")
# "does not project": DynamoDB Local 3.3.1 for Query and Scan with a ProjectionExpression on a KEYS_ONLY or
# INCLUDE GSI (a dynamodb-local probe recorded in a DynamoDB emulator's design notes, "M6B"); the same text
# for PartiQL is asserted against DynamoDB by nubo-db/dynamodb-conformance partiqlIndexQualifier.test.ts.
GSI_NOT_PROJECTED = INVALID + "Global secondary index %s does not project [%s]"
# DynamoDB Local QueryFunction.validateQueryFilterAndFilterExprOnIndex (the list sorted, as Java prints it);
# the same text for PartiQL is asserted against DynamoDB by nubo-db/dynamodb-conformance.
FILTER_NOT_PROJECTED = INVALID + "Secondary index %s does not project one or more filter attributes: [%s]"
NOT_INDEXABLE = "Attempted conditional constraint is not an indexable operation"
FILTER_KEY = "%s can only contain non-primary key attributes: Primary key attribute: %s"
# validateConditions (dynalite validations/index.js; test/query.js, test/scan.js)
ARG_COUNT = INVALID + "Invalid number of argument(s) for the %s ComparisonOperator"
SAME_TYPE = INVALID + "AttributeValues inside AttributeValueList must be of same type"
OP_TYPE = INVALID + "ComparisonOperator %s is not valid for %s AttributeValue type"
BETWEEN_BOUNDS = ("The BETWEEN condition was provided a range where the lower bound is greater than the "
                  "upper bound")
DUPLICATE_NAME = INVALID + "Duplicate value in attribute name: %s"
# Select (LocalStack tests/aws/services/dynamodb, marked aws_verified; nubo-db/dynamodb-conformance
# tests/tier1/query/select.test.ts and tier3 query.test.ts): Query says "1 validation error detected: ",
# Scan does not; both say "Querying".
DETECTED = "1 validation error detected: "
SELECT_NEEDS_PROJECTION = ("Must specify the AttributesToGet or ProjectionExpression when choosing to get "
                           "SPECIFIC_ATTRIBUTES")
SELECT_WITH_PROJECTION = "Cannot specify the %s when choosing to get %s"
SELECT_PROJECTED_NEEDS_INDEX = "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"
_SELECT_WORDS = {"ALL_ATTRIBUTES": "ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES": "ALL_PROJECTED_ATTRIBUTES",
                 "COUNT": "only the Count"}

_ANY = None
_SNB = frozenset(("S", "N", "B"))
_SNB_SETS = frozenset(("S", "N", "B", "SS", "NS", "BS"))
# operator -> (number of values, None = at least one; the AttributeValue types it accepts)
_CONDITION_OPERATORS = {
    "NULL": (0, _ANY), "NOT_NULL": (0, _ANY), "EQ": (1, _SNB_SETS), "NE": (1, _SNB_SETS),
    "LE": (1, _SNB), "LT": (1, _SNB), "GE": (1, _SNB), "GT": (1, _SNB), "CONTAINS": (1, _SNB),
    "NOT_CONTAINS": (1, _SNB), "BEGINS_WITH": (1, frozenset(("S", "B"))), "IN": (None, _SNB),
    "BETWEEN": (2, _SNB),
}
_KEY_OPERATORS = {"EQ": "=", "LT": "<", "LE": "<=", "GT": ">", "GE": ">=", "BETWEEN": "BETWEEN",
                  "BEGINS_WITH": "BEGINS_WITH"}


# ---- checks before the table (registered as request rules) ---------------------------------------------

def _invalid_value(e: InvalidValue) -> ValidationException:
    return ValidationException(e.message)


def check_conditions(conditions: dict[str, Any] | None) -> None:
    """QueryFilter / ScanFilter / KeyConditions: dynalite validations/index.js validateConditions."""
    for spec in (conditions or {}).values():
        op = spec.get("ComparisonOperator")
        values = spec.get("AttributeValueList") or []
        checked = []
        for av in values:
            try:
                checked.append(attrvalue.validate(av))
            except InvalidValue as e:
                raise _invalid_value(e) from None
        want, types = _CONDITION_OPERATORS.get(op, (None, _ANY))
        if (want is None and not values) or (want is not None and len(values) != want):
            raise ValidationException(ARG_COUNT % op)
        if checked:
            first = attrvalue.value_type(checked[0])
            if any(attrvalue.value_type(v) != first for v in checked):
                raise ValidationException(SAME_TYPE)
        if types is not None:
            for v in checked:
                if attrvalue.value_type(v) not in types:
                    raise ValidationException(OP_TYPE % (op, attrvalue.value_type(v)))
        if op == "BETWEEN" and keycodec.encode(checked[0]) > keycodec.encode(checked[1]):
            raise ValidationException(BETWEEN_BOUNDS)


def _attributes_to_get_duplicates(request: dict[str, Any]) -> None:
    seen = set()
    for name in request.get("AttributesToGet") or ():
        if name in seen:
            raise ValidationException(DUPLICATE_NAME % name)
        seen.add(name)


@rule("Query", order=20)
def query_filter_conditions(request: dict[str, Any]) -> None:
    check_conditions(request.get("QueryFilter"))


@rule("Query", order=25)
def query_attributes_to_get(request: dict[str, Any]) -> None:
    _attributes_to_get_duplicates(request)


@rule("Scan", order=20)
def scan_attributes_to_get(request: dict[str, Any]) -> None:
    _attributes_to_get_duplicates(request)


@rule("Scan", order=25)
def scan_filter_conditions(request: dict[str, Any]) -> None:
    check_conditions(request.get("ScanFilter"))


@rule("Query", "Scan", order=30)
def start_key_values(request: dict[str, Any]) -> None:
    for av in (request.get("ExclusiveStartKey") or {}).values():
        try:
            attrvalue.validate(av)
        except InvalidValue as e:
            raise ValidationException("%s: %s" % (START_KEY_INVALID, e.message)) from None


def _check_select(request: dict[str, Any], prefix: str) -> None:
    select = request.get("Select")
    if select is None:
        return
    given = ("ProjectionExpression" if request.get("ProjectionExpression") is not None
             else "AttributesToGet" if request.get("AttributesToGet") else None)
    if select == "SPECIFIC_ATTRIBUTES":
        if given is None:
            raise ValidationException(prefix + SELECT_NEEDS_PROJECTION)
        return
    if given is not None:
        # with both rules broken DynamoDB reports this one (nubo-db/dynamodb-conformance select.test.ts)
        raise ValidationException(prefix + SELECT_WITH_PROJECTION % (given, _SELECT_WORDS[select]))
    if select == "ALL_PROJECTED_ATTRIBUTES" and request.get("IndexName") is None:
        raise ValidationException(prefix + SELECT_PROJECTED_NEEDS_INDEX)


@rule("Query", order=65)
def query_select(request: dict[str, Any]) -> None:
    _check_select(request, DETECTED)


@rule("Scan", order=65)
def scan_select(request: dict[str, Any]) -> None:
    _check_select(request, "")


# ---- expressions ----------------------------------------------------------------------------------------

def _check_key_condition_shape(exprs: Expressions, text: str) -> dict:
    """The key-condition checks DynamoDB makes before it looks at the table (dynalite validations/query.js:
    convertKeyCondition, then "Conditions can be of length 1 or 2 only"): Resolver.key_condition_literals,
    the schema-free half of Resolver.key_condition, through the kept resolutions (api/common.py RESOLVED),
    bound to this request's own values. It also marks the expression's placeholders as used for the
    unused-placeholder check. The conditions it returns get the schema half (Resolver.key_condition_schema)
    once the table is known (_key_condition), so the expression is resolved once per Query."""
    kept, _ = exprs.resolved("KeyConditionExpression", text,
                             lambda r: r.key_condition_literals(ex.parse_key_condition(text)), _no_names)
    return bind_key_conditions(kept, exprs.resolver.values)


def _filter_tree(resolver: ex.Resolver, text: str) -> tuple:
    """A FilterExpression's resolved tree and its document paths (_paths): what _Request keeps, under a kind
    of its own ("QueryScanFilter")."""
    tree = resolver.condition_tree(ex.parse_condition(text, "FilterExpression"))
    return tree, tuple(_paths(tree, []))


def _no_names(result) -> tuple:
    return ()


def _paths(node, out: list[tuple]) -> list[tuple]:
    """Every document path of a resolved condition tree, as element tuples."""
    if type(node) is ast.Path:
        out.append(node.elements)
    elif isinstance(node, tuple):
        for x in node:
            _paths(x, out)
    elif hasattr(node, "__dataclass_fields__"):
        for name in node.__dataclass_fields__:
            _paths(getattr(node, name), out)
    return out


class _Request:
    """A Query's or Scan's resolved expressions: key conditions (_check_key_condition_shape: kept and bound to
    this request's values), filter (kept with its paths), projection."""

    def __init__(self, request: dict[str, Any], legacy_filter: str, key_condition: bool):
        self.request = request
        exprs = Expressions(request)
        self.resolver = exprs.resolver
        self.key_condition = None          # the KeyConditionExpression's conditions, schema not yet checked
        text = request.get("KeyConditionExpression") if key_condition else None
        if text is not None:
            self.key_condition = _check_key_condition_shape(exprs, text)
        self.filter_word = "Filter Expression"
        self.filter_paths: list[tuple] = []
        text = request.get("FilterExpression")
        if text is not None:
            (tree, paths), _ = exprs.resolved("QueryScanFilter", text, lambda r: _filter_tree(r, text),
                                              _no_names)
            self.filter = compile_condition(tree, self.resolver.values)
            self.filter_paths = list(paths)
        else:
            # ConditionalOperator needs a QueryFilter/ScanFilter of two or more conditions (model/legacy.py)
            legacy.check_conditional_operator(request.get(legacy_filter), request.get("ConditionalOperator"))
            self.filter = exprs.legacy_filter(legacy_filter)
            if self.filter is not None:
                self.filter_word = legacy_filter
                self.filter_paths = [(name,) for name in request[legacy_filter]]
        self.projection = exprs.projection()
        self.projection_paths = self.projection.paths if self.projection is not None else ()
        exprs.finish()


# ---- checks against the table ---------------------------------------------------------------------------

def _index(t: TableDef, request: dict[str, Any]) -> IndexDef | None:
    name = request.get("IndexName")
    if name is None:
        return None
    ix = t.index(name)
    if ix is None or ix.status == "DELETING":         # a deleting index reads as gone (not confirmed)
        raise ValidationException(NO_INDEX % name)
    if ix.status == "CREATING" or ix.backfilling:
        raise ValidationException(BACKFILLING % name)
    if ix in t.gsis and request.get("ConsistentRead"):
        raise ValidationException(GSI_CONSISTENT)
    return ix


def _start_key_names(t: TableDef, ix: IndexDef | None) -> tuple[str, ...]:
    names = list(t.key_names)
    if ix is not None:
        names += [n for n in ix.key_names if n not in names]
    return tuple(names)


def _check_start_key_piece(start: dict[str, Any], ka: KeyAttr, is_hash: bool) -> None:
    """dynalite actions/query.js traverseKey callback / db validateKeyPiece: one key attribute of the
    queried (or scanned index) schema inside ExclusiveStartKey."""
    av = start.get(ka.name)
    if av is None:
        raise ValidationException(START_KEY_INVALID)
    if ka.type not in av:
        raise ValidationException(MISMATCH)
    if av[ka.type]:                          # an empty value has its own texts: _check_start_key_empty
        try:
            size.check_key(ka.name, av, is_hash)
        except InvalidValue as e:
            raise _invalid_value(e) from None


def _check_start_key_empty(t: TableDef, ix: IndexDef | None, start: dict[str, Any]) -> None:
    """Empty S/B key values in ExclusiveStartKey: the table key, then the index key, as DynamoDB Local
    checks them (DataPlaneFunction.validateExclusiveStartKeyForEmptyAttributeValue)."""
    groups = [((t.hash_key, t.range_key), None)]
    if ix is not None:
        groups.append(((ix.hash_key, ix.range_key) if ix in t.gsis else (t.hash_key, ix.range_key), ix.name))
    for attrs, index_name in groups:
        for i, ka in enumerate(attrs):
            av = start.get(ka.name) if ka is not None else None
            if av is None or ka.type not in av or av[ka.type]:
                continue
            word = "string" if ka.type == "S" else "binary"
            if index_name is None:
                text = size.empty_key_string(ka.name) if ka.type == "S" else size.empty_key_binary(ka.name)
            else:
                text = START_KEY_INDEX_EMPTY % (word, index_name, ka.name)
            raise ValidationException("%s%s: %s" % (START_KEY_EMPTY_HASH if i == 0 else "", START_KEY_INVALID,
                                                    text))


def _check_start_table_key(t: TableDef, start: dict[str, Any]) -> None:
    try:
        check_key(t, {n: start[n] for n in t.key_names if n in start})
    except ValidationException as e:
        raise ValidationException("%s: %s" % (START_KEY_INVALID, e.message)) from None
    except InvalidValue as e:
        raise ValidationException("%s: %s" % (START_KEY_INVALID, e.message)) from None


def _canonical_start(request: dict[str, Any]) -> dict[str, Any] | None:
    start = request.get("ExclusiveStartKey")
    if start is None:
        return None
    return {k: attrvalue.validate(v) for k, v in start.items()}   # already checked by start_key_values


def _legacy_key_attribute(conditions: dict[str, Any], ka: KeyAttr, is_hash: bool, single_key: bool):
    """One key attribute's legacy KeyConditions checks (dynalite actions/query.js traverseKey callback).
    Returns (operator, values) or None when the (range) attribute has no condition."""
    if is_hash and single_key and len(conditions) > 1:
        raise ValidationException(msg.KC_NOT_SUPPORTED)
    spec = conditions.get(ka.name)
    if spec is None:
        if is_hash or len(conditions) > 1:
            raise ValidationException(msg.KC_MISSED.format(name=ka.name))
        return None
    op = spec.get("ComparisonOperator")
    if op not in _KEY_OPERATORS:
        raise ValidationException(NOT_INDEXABLE)
    values = tuple(attrvalue.validate(v) for v in spec.get("AttributeValueList") or ())
    if any(ka.type not in v for v in values):
        raise ValidationException(msg.KC_TYPE_MISMATCH)
    if is_hash and op != "EQ":
        raise ValidationException(msg.KC_NOT_SUPPORTED)
    return _KEY_OPERATORS[op], values


def _key_condition(r: _Request, hash_key: KeyAttr, range_key: KeyAttr | None,
                   start: dict[str, Any] | None) -> ex.KeyCondition:
    """The key condition checked against the queried schema, interleaved with the start key's pieces."""
    if start is not None:
        _check_start_key_piece(start, hash_key, True)
    if r.key_condition is not None:
        types = {hash_key.name: hash_key.type}
        if range_key is not None:
            types[range_key.name] = range_key.type
        kc = r.resolver.key_condition_schema(r.key_condition, hash_key.name,
                                             range_key.name if range_key else None, types)
        # An empty partition key value: what DynamoDB answers (a user's capture in getmoto/moto#7062, moto's
        # KeyIsEmptyStringException after the schema checks); not known for the sort key, so not checked.
        if kc.hash_value.get("S") == "":
            raise ValidationException(size.empty_key_string(hash_key.name))
        if kc.hash_value.get("B") == b"":
            raise ValidationException(size.empty_key_binary(hash_key.name))
        if start is not None and range_key is not None:
            _check_start_key_piece(start, range_key, False)
        return kc
    conditions = r.request["KeyConditions"]
    hash_cond = _legacy_key_attribute(conditions, hash_key, True, range_key is None)
    range_cond = None
    if range_key is not None:
        if start is not None:
            _check_start_key_piece(start, range_key, False)
        range_cond = _legacy_key_attribute(conditions, range_key, False, False)
    if range_cond is None:
        return ex.KeyCondition(hash_key.name, hash_cond[1][0], None, None, ())
    return ex.KeyCondition(hash_key.name, hash_cond[1][0], range_key.name, range_cond[0], range_cond[1])


def _check_start_against_condition(start: dict[str, Any], kc: ex.KeyCondition) -> None:
    """dynalite actions/query.js: the start key must lie inside the key condition."""
    same_hash = start[kc.hash_key] == kc.hash_value
    if kc.range_op is None:
        if not same_hash:
            raise ValidationException(START_KEY_OUTSIDE)
        return
    r = keycodec.condition_range(kc.range_op, list(kc.range_values))
    if not q.in_range(keycodec.encode(start[kc.range_key]), r):
        raise ValidationException(START_KEY_RANGE)
    if not same_hash:
        raise ValidationException(START_KEY_ONE_ROW)


def _check_nested_key_paths(t: TableDef, paths) -> None:
    """No '.' or '[]' below a key attribute of the table or of an index (api/common.py check_key_paths,
    which every operation shares; dynalite db/index.js validateKeyPaths for Query and Scan)."""
    check_key_paths(t, {p[0] for p in paths if len(p) > 1})


def _projected_names(t: TableDef, ix: IndexDef) -> set | None:
    """Top-level attributes an index holds; None for ALL."""
    if ix.projection_type == "ALL":
        return None
    names = set(t.key_names) | set(ix.key_names)
    if ix.projection_type == "INCLUDE":
        names |= set(ix.non_key_attributes)
    return names


def _check_filter_projected(t: TableDef, ix: IndexDef | None, r: _Request) -> None:
    """A Query's filter may name only attributes its index holds."""
    if ix is None or not r.filter_paths:
        return
    held = _projected_names(t, ix)
    if held is None:
        return
    missing = sorted({p[0] for p in r.filter_paths} - held)
    if missing:
        raise ValidationException(FILTER_NOT_PROJECTED % (ix.name, ", ".join(missing)))


def _check_gsi_select(t: TableDef, ix: IndexDef | None, request: dict[str, Any]) -> None:
    if (ix is not None and ix in t.gsis and request.get("Select") == "ALL_ATTRIBUTES"
            and ix.projection_type != "ALL"):
        raise ValidationException(GSI_ALL_ATTRIBUTES % ix.name)


def _check_gsi_projection(t: TableDef, ix: IndexDef | None, r: _Request) -> None:
    if ix is None or ix not in t.gsis or not r.projection_paths:
        return
    held = _projected_names(t, ix)
    if held is None:
        return
    missing: list[str] = []
    for p in r.projection_paths:
        if p[0] not in held and p[0] not in missing:
            missing.append(p[0])
    if missing:
        raise ValidationException(GSI_NOT_PROJECTED % (ix.name, ", ".join(missing)))


# ---- the read and the response --------------------------------------------------------------------------

def _lsi_fetch(model, t: TableDef, ix: IndexDef | None, r: _Request, select: str):
    """For an LSI that does not project everything asked for, a function entry -> (table item, stored
    length): DynamoDB fetches the item from the table for Select ALL_ATTRIBUTES and for projected
    attributes the index does not hold (Developer Guide, LSI.html "Attribute projections"). A filter sees
    what was read (a Query's filter may only name projected attributes: _check_filter_projected)."""
    if ix is None or ix not in t.lsis:
        return None
    held = _projected_names(t, ix)
    if held is None:
        return None
    needed = select == "ALL_ATTRIBUTES" or any(p[0] not in held for p in r.projection_paths)
    if not needed:
        return None
    engine, keyspace, key_bytes, unpack = model.engine, t.keyspace, t.key_bytes, codec.unpackb

    def fetch(entry):
        pk, sk = key_bytes(entry)
        raw = engine.get(keyspace, pk, sk)
        if raw is None:
            return None, 0
        return unpack(raw), len(raw)
    return fetch


def _respond(request: dict[str, Any], t: TableDef, ix: IndexDef | None, r: _Request, page: q.Page,
             keep_items: bool, key_names: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if keep_items:
        if r.projection is not None:
            apply = r.projection.apply
            out["Items"] = [apply(item) for item in page.items]
        else:
            out["Items"] = page.items
    out["Count"] = page.count
    out["ScannedCount"] = page.scanned
    if page.last is not None:
        last = page.last
        out["LastEvaluatedKey"] = {n: last[n] for n in key_names}
    if request.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"):
        consistent = bool(request.get("ConsistentRead"))
        half = 1.0 if consistent else 0.5
        read = -(-page.read_bytes // 4096) * half        # (P4) nothing read costs nothing
        fetched = page.fetched_blocks * half
        index_units = None
        if ix is not None:
            group = "GlobalSecondaryIndexes" if ix in t.gsis else "LocalSecondaryIndexes"
            index_units = {group: {ix.name: read}}
        out["ConsumedCapacity"] = consumed(request, t.name, read + fetched, read=True,
                                           index_units=index_units)
    return out


def _select(request: dict[str, Any], ix: IndexDef | None, r: _Request) -> str:
    select = request.get("Select")
    if select is None:
        if r.projection is not None:
            return "SPECIFIC_ATTRIBUTES"
        return "ALL_PROJECTED_ATTRIBUTES" if ix is not None else "ALL_ATTRIBUTES"
    return select


def _page(model, t, ix, r: _Request, request, rows, select: str) -> q.Page:
    return q.read_page(rows, request.get("Limit"), r.filter, keep_items=select != "COUNT",
                       measure=request.get("ReturnConsumedCapacity") in ("TOTAL", "INDEXES"),
                       fetch=_lsi_fetch(model, t, ix, r, select))


def _read(model, t, ix, r: _Request, request, select: str, rows) -> q.Page:
    """One page of `rows()`, an engine iterator over the table's or index's keyspace. A DeleteTable (or an
    index deletion) that drops the keyspace before or while the page is read makes the request fail as if it
    had come after the delete (model/database.py T4): the engine refuses a dropped keyspace, and an iterator
    over one stops early, so the page is checked against the current definitions once read."""
    try:
        page = _page(model, t, ix, r, request, rows(), select)
    except EngineError:
        _check_still_there(model, t, ix)
        raise
    _check_still_there(model, t, ix)
    return page


def _check_still_there(model, t: TableDef, ix: IndexDef | None) -> None:
    current = model.tables.get(t.name)
    if current is not t:
        model.check_current(t)                          # ResourceNotFoundException
    if ix is not None:
        cix = current.index(ix.name) if current is not None else None
        if cix is None or cix.status == "DELETING" or cix.keyspace != ix.keyspace:
            raise ValidationException(NO_INDEX % ix.name)


@operation("Query")
def query(model, request: dict[str, Any]) -> dict[str, Any]:
    r = _Request(request, "QueryFilter", key_condition=True)
    if r.key_condition is None:
        conditions = request["KeyConditions"]
        check_conditions(conditions)                  # dynalite validations/query.js, after expressions
        if len(conditions) not in (1, 2):
            raise ValidationException(msg.KC_LENGTH)
    t = model.table(request["TableName"], "Query")
    ix = _index(t, request)
    schema = ix if ix is not None else t
    key_names = _start_key_names(t, ix)
    start = _canonical_start(request)
    if start is not None and len(start) != len(key_names):
        raise ValidationException(START_KEY_INVALID)
    kc = _key_condition(r, schema.hash_key, schema.range_key, start)
    if start is not None:
        _check_start_key_empty(t, ix, start)
        _check_start_table_key(t, start)
        _check_start_against_condition(start, kc)
    _check_nested_key_paths(t, r.projection_paths)
    if r.filter is not None:
        referenced = {p[0] for p in r.filter_paths}
        for name in schema.key_names:
            if name in referenced:
                raise ValidationException(FILTER_KEY % (r.filter_word, name))
    _check_filter_projected(t, ix, r)
    _check_gsi_select(t, ix, request)
    _check_nested_key_paths(t, r.filter_paths)
    _check_gsi_projection(t, ix, r)

    keyspace = ix.keyspace if ix is not None else t.keyspace
    escaped = ix is not None and ix.range_key is not None
    rng = q.sort_key_range(kc.range_op, kc.range_values, escaped)
    reverse = request.get("ScanIndexForward") is False
    if start is not None:
        rng = q.resume_after(rng, q.entry_position(t, ix, start)[1], reverse)
    pk = keycodec.encode(kc.hash_value)
    select = _select(request, ix, r)
    page = _read(model, t, ix, r, request, select,
                 lambda: q.query_rows(model.engine, keyspace, pk, rng, reverse, request.get("Limit")))
    if ix is None and t.range_key is None:
        page.last = None     # one item at most: never restartable (DynamoDB Local QueryFunction)
    return _respond(request, t, ix, r, page, select != "COUNT", key_names)


@operation("Scan")
def scan(model, request: dict[str, Any]) -> dict[str, Any]:
    r = _Request(request, "ScanFilter", key_condition=False)
    t = model.table(request["TableName"], "Scan")
    ix = _index(t, request)
    key_names = _start_key_names(t, ix)
    start = _canonical_start(request)
    if start is not None:
        if len(start) != len(key_names):
            raise ValidationException(START_KEY_INVALID if ix is not None
                                      else "%s: %s" % (START_KEY_INVALID, MISMATCH))
        if ix is not None:
            _check_start_key_piece(start, ix.hash_key, True)
            if ix.range_key is not None:
                _check_start_key_piece(start, ix.range_key, False)
    _check_gsi_select(t, ix, request)
    if start is not None:
        _check_start_key_empty(t, ix, start)
        _check_start_table_key(t, start)
    total = request.get("TotalSegments")
    lo, hi = (0, q.HASH_SPACE - 1) if total is None else q.segment_range(request["Segment"], total)
    position = None
    if start is not None:
        position = q.entry_position(t, ix, start)
        if total is not None and total > 1 and not lo <= model.engine.hash64(position[0]) <= hi:
            raise ValidationException(START_KEY_SEGMENT % (total, request["Segment"]))
    _check_nested_key_paths(t, r.projection_paths)
    _check_nested_key_paths(t, r.filter_paths)
    _check_gsi_projection(t, ix, r)

    keyspace = ix.keyspace if ix is not None else t.keyspace
    select = _select(request, ix, r)
    page = _read(model, t, ix, r, request, select, lambda: q.scan_rows(model.engine, keyspace, lo, hi, position))
    return _respond(request, t, ix, r, page, select != "COUNT", key_names)
