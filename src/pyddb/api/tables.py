"""The control plane: CreateTable, DescribeTable, ListTables, UpdateTable, DeleteTable, DescribeLimits,
DescribeEndpoints, TagResource, UntagResource, ListTagsOfResource.

Each operation is (model, request) -> response dict in DynamoDB's shape. The checks DynamoDB makes before it
looks at any table are rules (validation/rules.py, "Control plane"); what depends on the table is here, with
DynamoDB's texts and their sources next to each check.

STATUS
    pyddb creates, changes and deletes a table synchronously, so DescribeTable always says ACTIVE and a
    deleted table is gone when DeleteTable returns (boto3's `table_exists` / `table_not_exists` waiters and
    `aws dynamodb wait` return on their first DescribeTable instead of sleeping 20 s). The responses of the
    operations themselves say what DynamoDB's say, so code written against DynamoDB sees no difference:
        CreateTable   TableStatus CREATING (GSIs IndexStatus CREATING), sizes and counts 0, no WarmThroughput
                      unless requested, no LastUpdateToPayPerRequestDateTime (dynalite test/createTable.js,
                      recorded against DynamoDB; ack-api-quirks DDB-TABLE-387, table-throughput-billing.md)
        UpdateTable   UPDATING for throughput, billing, stream, table class and warm throughput changes,
                      ACTIVE for deletion protection and on-demand throughput alone; ProvisionedThroughput,
                      BillingModeSummary, TableClassSummary and WarmThroughput echo the values from before the
                      change, as DynamoDB's response does (ack-api-quirks DDB-TABLE-017, -060, -177, -284)
        DeleteTable   TableStatus DELETING (ack-api-quirks DDB-TABLE-006)

ONLINE INDEX CHANGES (UpdateTable GlobalSecondaryIndexUpdates; the background work is model/backfill.py)
    Create   the index keyspace is created and the index saved as IndexStatus CREATING, Backfilling
             true; the response says TableStatus UPDATING (NOT CONFIRMED for GSIs: nubo-db/dynoxide
             captured UPDATING for an online vector-index create). DescribeTable keeps TableStatus ACTIVE
             while the index builds (aws/aws-cli#3399: "the index status is CREATING while the table
             status is ACTIVE"). When the backfill is done the index is ACTIVE with Backfilling false.
             Backfilling is described only for indexes added by UpdateTable ("For indexes that were
             created during a CreateTable operation, the Backfilling attribute does not appear in the
             DescribeTable output", API reference, GlobalSecondaryIndexDescription; that it stays present
             as false once ACTIVE is NOT CONFIRMED). The request's AttributeDefinitions must define the
             new index's key attributes even when the table already does (ScyllaDB Alternator
             test_gsi_backfill_with_lsi, run against DynamoDB); other definitions in it are ignored
             (test_gsi_updatetable_spurious_attribute_definitions).
    Delete   the index is saved as DELETING (the response shows it so) and the worker drops it; an index that
             is CREATING can be deleted ("You can delete an index that is being created during the
             Backfilling phase", GlobalSecondaryIndexDescription).
    Update   throughput: applied at once; the response shows the index UPDATING with its old throughput,
             like the table's own throughput change (dynalite actions/updateTable.js).
    Texts, in the order they are checked against the table (the request-only ones: rules.py
    update_table_index_updates):
      LimitExceededException "Subscriber limit exceeded: Only 1 online index can be created or deleted
          simultaneously per table": more than one Create/Delete in a request (ScyllaDB Alternator
          test_gsi_updatetable_errors against DynamoDB; taoensso/faraday#80), or one while another index
          of the table is CREATING or DELETING (architect/architect#268, #334)
      "Attempting to create an index which already exists" (catalogue; any GSI or LSI name: Alternator
          test_gsi_backfill_with_lsi)
      "One or more parameter values were invalid: Attributes cannot be redefined. Please check that your
          attribute has the same type as previously defined. Existing schema: Schema:[SchemaElement:
          key{x:S:HASH}] New schema: Schema:[SchemaElement: key{x:N:HASH}]" (Alternator
          test_gsi_key_type_conflict_on_update quotes DynamoDB; nubo-db/dynoxide's capture of the vector
          variant shows the single-space layout)
      LimitExceededException for a 21st GSI (catalogue: "same limit is LimitExceededException via
          UpdateTable"; the text is NOT CONFIRMED: we reuse CreateTable's "GlobalSecondaryIndex count exceeds
          the per-table limit of 20")
      "One or more parameter values were invalid: ProvisionedThroughput must be specified for index: <IDX>"
          and "... Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: <IDX> when
          BillingMode is PAY_PER_REQUEST" (catalogue, UpdateTable)
      "Cannot delete an index that is not a GlobalSecondaryIndex: <IDX>" / "Cannot update an index ..."
          (catalogue; Alternator test_gsi_delete_with_lsi: DynamoDB answers ValidationException for an LSI)
      ResourceNotFoundException "Requested resource not found: Index <IDX> for table <TBL>" for a Delete or
          Update naming no index (ack-api-quirks DDB-TABLE-456 live row gsi_update_odt_empty_ghost; for a
          Delete the same text is NOT CONFIRMED); an Update of a missing index with capacity above the maximum
          is "This operation cannot be performed with given input values. Please contact DynamoDB service
          team for more info: Action Blocked: IndexUpdate" (dynalite test/updateTable.js)
      "One or more parameter values were invalid: The only Updates for index: <IDX> when TableThroughputMode
          is PAY_PER_REQUEST can be to OnDemandThroughput, WarmThroughput" (DDB-TABLE-456, live)
      "The provisioned throughput for the index <IDX> will not change. The requested value equals the
          current value. ..." (catalogue; the rest of the text is NOT CONFIRMED: we continue it as the
          table's text does, saying "for the index")

TIMESTAMPS
    Timestamps (CreationDateTime, LastIncreaseDateTime, ...) are stored as epoch seconds with millisecond
    precision and returned as timezone-aware `datetime`s in UTC, which is what botocore's parser gives a boto3
    caller (it parses DynamoDB's epoch numbers into datetimes). The HTTP server renders them back as epoch
    seconds (a JSON number, like DynamoDB's `1574831102.349`): `json.dumps(..., default=epoch_seconds)`.

SIZES AND COUNTS
    ItemCount is the number of entries in the table's (or index's) engine keyspace, exact at every call
    (DynamoDB refreshes it about every six hours; pyddb reuses the engine's figures until the next write, so
    repeated DescribeTables cost a lookup: model/database.py keyspace_stats). TableSizeBytes / IndexSizeBytes
    approximate DynamoDB's item sizes by the keyspace's stored bytes: the engine's data_bytes (composed keys plus
    msgpack values) minus the 10-byte key header of each entry. The stored value holds the key attributes too, so
    the key values are counted twice; DynamoDB's own figure counts attribute names and values once.

TABLE NAMES AND ARNS
    TableName may be a table ARN (botocore models it as TableArn; DynamoDB answers DescribeTable, UpdateTable
    and DeleteTable for `arn:aws:dynamodb:<region>:<account>:table/<name>` and names the extracted table in
    its errors: ack-api-quirks DDB-TABLE-013). `table_name()` does that resolution for every operation here;
    model.table() does it for the item operations, Query, Scan, batches and transactions.
"""

from __future__ import annotations

import datetime as _datetime
import time
import uuid
from typing import Any, Dict, List, Optional

from pyddb.api import operation
from pyddb.errors import (
    AccessDeniedException,
    LimitExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
    ValidationException,
)
from pyddb.model.schema import IndexDef, KeyAttr, TableDef
from pyddb.validation import rules

PAY_PER_REQUEST = "PAY_PER_REQUEST"
PROVISIONED = "PROVISIONED"

# DescribeLimits: DynamoDB's default quotas (ack-api-quirks DDB-TABLE-131: "account 80000/80000 RCU/WCU, per
# table 40000/40000"; the AWS developer guide's service quotas page gives the same defaults).
ACCOUNT_MAX_CAPACITY_UNITS = 80000
TABLE_MAX_CAPACITY_UNITS = 40000

# WarmThroughput of an on-demand table (ack-api-quirks DDB-TABLE-032, -058: 12000/4000, never decreasing).
ON_DEMAND_WARM_READ = 12000
ON_DEMAND_WARM_WRITE = 4000

ENDPOINT_CACHE_MINUTES = 1440  # DescribeEndpoints (AWS API reference example; botocore endpoint discovery)

UPDATING_MEMBERS = (
    "ProvisionedThroughput",
    "GlobalSecondaryIndexUpdates",
    "BillingMode",
    "StreamSpecification",
    "TableClass",
    "WarmThroughput",
)

__all__ = ["describe", "epoch_seconds", "table_name"]


# ---- time --------------------------------------------------------------------------------------------------


def _now(model) -> float:
    return round(model.clock(), 3)


def _dt(ts: float) -> _datetime.datetime:
    return _datetime.datetime.fromtimestamp(ts, tz=_datetime.timezone.utc)


def epoch_seconds(value: Any) -> float:
    """json.dumps `default=` for the HTTP server: a response datetime back to DynamoDB's epoch seconds."""
    if isinstance(value, _datetime.datetime):
        return round(value.timestamp(), 3)
    raise TypeError("%r is not JSON serializable" % (value,))


def _utc_day(ts: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


def _stream_label(ts: float) -> str:
    # DynamoDB's labels are the enabling time to the millisecond, UTC, no zone: "2019-11-26T19:15:33.496"
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + ".%03d" % (round(ts * 1000) % 1000)


# ---- names and ARNs ----------------------------------------------------------------------------------------


def table_name(model, name: str) -> str:
    """The table a TableName member names: the name itself, or the name inside a table ARN of this region and
    account (model/database.py TABLE NAMES AND ARNS has the texts and their sources)."""
    return model.table_name(name)


def _table(model, request: Dict[str, Any], op: str) -> TableDef:
    return model.table(table_name(model, request["TableName"]), op)


def _tagged_table(model, arn: str) -> TableDef:
    """The table of a tag operation's ResourceArn (syntax already checked by rules.tag_resource_arn).
    ack-api-quirks DDB-TABLE-070/-071: a missing table is "Requested resource not found: ResourceArn: <arn>
    not found" for all three tag operations (dynalite's older recording spells it "ResourcArn"); an ARN of
    another region is "Invalid TableArn: Invalid ResourceArn provided as input <ARN>" (catalogue), of another
    account AccessDeniedException "Access is denied"."""
    region, account, name, rest = rules.parse_dynamodb_arn(arn)
    if region != model.region:
        raise ValidationException("Invalid TableArn: Invalid ResourceArn provided as input %s" % arn)
    if account != model.account_id:
        raise AccessDeniedException("Access is denied")
    t = model.tables.get(name)
    if (
        t is None or rest
    ):  # a stream ARN carries no tags of its own (DDB-TABLE-071: ResourceNotFoundException)
        raise ResourceNotFoundException("Requested resource not found: ResourceArn: %s not found" % arn)
    return t


def _kms_key_arn(model, t: TableDef) -> str:
    key = (t.sse_specification or {}).get("KMSMasterKeyId")
    if key is None:  # the AWS managed key (aws/dynamodb): a stable stand-in id per table
        key = str(uuid.uuid5(uuid.NAMESPACE_URL, "pyddb:" + t.table_id))
    if key.startswith("arn:"):
        return key
    if key.startswith("alias/"):
        return "arn:aws:kms:%s:%s:%s" % (model.region, model.account_id, key)
    return "arn:aws:kms:%s:%s:key/%s" % (model.region, model.account_id, key)


# ---- DescribeTable's shape ---------------------------------------------------------------------------------


def _key_schema(hash_key: KeyAttr, range_key: Optional[KeyAttr]) -> List[Dict[str, str]]:
    out = [{"AttributeName": hash_key.name, "KeyType": "HASH"}]
    if range_key is not None:
        out.append({"AttributeName": range_key.name, "KeyType": "RANGE"})
    return out


def _throughput(pt: Optional[Dict[str, Any]], on_demand: bool, now: float) -> Dict[str, Any]:
    """ProvisionedThroughputDescription; 0/0 for PAY_PER_REQUEST (what DynamoDB reports and applications
    rely on: Alternator test_describe_table_provisioned_throughput)."""
    pt = pt or {}
    out: Dict[str, Any] = {}
    if pt.get("LastIncreaseDateTime") is not None:
        out["LastIncreaseDateTime"] = _dt(pt["LastIncreaseDateTime"])
    if pt.get("LastDecreaseDateTime") is not None:
        out["LastDecreaseDateTime"] = _dt(pt["LastDecreaseDateTime"])
    out["NumberOfDecreasesToday"] = pt.get("Decreases", 0) if pt.get("DecreasesDay") == _utc_day(now) else 0
    out["ReadCapacityUnits"] = 0 if on_demand else pt.get("ReadCapacityUnits", 0)
    out["WriteCapacityUnits"] = 0 if on_demand else pt.get("WriteCapacityUnits", 0)
    return out


def _projection(ix: IndexDef) -> Dict[str, Any]:
    out: Dict[str, Any] = {"ProjectionType": ix.projection_type}
    if ix.projection_type == "INCLUDE":
        out["NonKeyAttributes"] = list(ix.non_key_attributes)
    return out


def _warm(warm: Dict[str, int]) -> Dict[str, Any]:
    return {
        "ReadUnitsPerSecond": warm.get("ReadUnitsPerSecond", 0),
        "WriteUnitsPerSecond": warm.get("WriteUnitsPerSecond", 0),
        "Status": "ACTIVE",
    }


def _keyspace_stats(model) -> Dict[str, Any]:
    """The engine's per-keyspace stats, kept by the model while nothing is written (model/database.py
    keyspace_stats, which also retries a directory walk that raced a file removal)."""
    return model.keyspace_stats()


def _usage(keyspaces: Optional[Dict[str, Any]], keyspace: str) -> tuple:
    """(ItemCount, size in bytes) of an engine keyspace: see SIZES AND COUNTS."""
    st = (keyspaces or {}).get(keyspace)
    if not st:
        return 0, 0
    return st["entries"], max(0, st["data_bytes"] - 10 * st["entries"])


def describe(
    model,
    t: TableDef,
    status: str = "ACTIVE",
    *,
    created: bool = False,
    warm: bool = True,
    keyspaces: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """The TableDescription of `t`, members in botocore's order. `created`: the CreateTable response (counts
    0, GSIs CREATING, no LastUpdateToPayPerRequestDateTime); `warm`: include WarmThroughput."""
    now = _now(model)
    if keyspaces is None and not created:
        keyspaces = _keyspace_stats(model)
    arn = model.arn(t.name)
    on_demand = t.billing_mode == PAY_PER_REQUEST
    count, size = (0, 0) if created else _usage(keyspaces, t.keyspace)
    d: Dict[str, Any] = {
        "AttributeDefinitions": [dict(a) for a in t.attribute_definitions],
        "TableName": t.name,
        "KeySchema": _key_schema(t.hash_key, t.range_key),
        "TableStatus": status,
        "CreationDateTime": _dt(t.created_at),
        "ProvisionedThroughput": _throughput(t.provisioned_throughput, on_demand, now),
        "TableSizeBytes": size,
        "ItemCount": count,
        "TableArn": arn,
        "TableId": t.table_id,
    }
    # BillingModeSummary: absent on a table created PROVISIONED that never was on demand (ack-api-quirks
    # table-throughput-billing.md "Echo shape"); LastUpdateToPayPerRequestDateTime equals CreationDateTime for
    # a table created on demand (Alternator test_describe_table_billing) and is not in CreateTable's response.
    if on_demand or t.billing_mode_updated_at is not None:
        summary: Dict[str, Any] = {"BillingMode": t.billing_mode}
        if t.billing_mode_updated_at is not None and not created:
            summary["LastUpdateToPayPerRequestDateTime"] = _dt(t.billing_mode_updated_at)
        d["BillingModeSummary"] = summary
    if t.lsis:
        lsis = []
        for ix in t.lsis:
            n, b = (0, 0) if created else _usage(keyspaces, ix.keyspace)
            lsis.append(
                {
                    "IndexName": ix.name,
                    "KeySchema": _key_schema(ix.hash_key, ix.range_key),
                    "Projection": _projection(ix),
                    "IndexSizeBytes": b,
                    "ItemCount": n,
                    "IndexArn": "%s/index/%s" % (arn, ix.name),
                }
            )
        d["LocalSecondaryIndexes"] = lsis
    if t.gsis:
        gsis = []
        for ix in t.gsis:
            n, b = (0, 0) if created else _usage(keyspaces, ix.keyspace)
            g: Dict[str, Any] = {
                "IndexName": ix.name,
                "KeySchema": _key_schema(ix.hash_key, ix.range_key),
                "Projection": _projection(ix),
                "IndexStatus": "CREATING" if created else ix.status,
            }
            if ix.name in t.extra.get("online_gsis", ()):
                g["Backfilling"] = bool(ix.backfilling)
            g.update({
                "ProvisionedThroughput": _throughput(ix.provisioned_throughput, on_demand, now),
                "IndexSizeBytes": b,
                "ItemCount": n,
                "IndexArn": "%s/index/%s" % (arn, ix.name),
            })
            if ix.on_demand_throughput:
                g["OnDemandThroughput"] = dict(ix.on_demand_throughput)
            if warm:
                g["WarmThroughput"] = _warm(ix.warm_throughput)
            gsis.append(g)
        d["GlobalSecondaryIndexes"] = gsis
    if t.stream_specification:
        d["StreamSpecification"] = dict(t.stream_specification)
    if t.stream_label:  # kept after the stream is disabled (ack-api-quirks DDB-TABLE-050)
        d["LatestStreamLabel"] = t.stream_label
        d["LatestStreamArn"] = "%s/stream/%s" % (arn, t.stream_label)
    if t.extra.get("restore_summary"):  # a table made by a Restore* operation (api/backups.py)
        from pyddb.api.backups import restore_summary
        d["RestoreSummary"] = restore_summary(t)
    if t.sse_specification:
        d["SSEDescription"] = {
            "Status": "ENABLED",
            "SSEType": "KMS",
            "KMSMasterKeyArn": _kms_key_arn(model, t),
        }
    # TableClassSummary: absent until a class is given (absent means STANDARD: ack-api-quirks DDB-TABLE-283)
    if t.table_class_set:
        tc: Dict[str, Any] = {"TableClass": t.table_class}
        if t.table_class_updated_at is not None:
            tc["LastUpdateDateTime"] = _dt(t.table_class_updated_at)
        d["TableClassSummary"] = tc
    d["DeletionProtectionEnabled"] = t.deletion_protection  # always present (DDB-TABLE-017)
    if t.on_demand_throughput:
        d["OnDemandThroughput"] = dict(t.on_demand_throughput)
    if warm:
        d["WarmThroughput"] = _warm(t.warm_throughput)
    return d


# ---- CreateTable -------------------------------------------------------------------------------------------


def _raise_over_table_maximum(model, throughput: Optional[Dict[str, Any]]) -> None:
    """LimitExceededException above the per-table quota DescribeLimits reports. Text: a CreateTable failure
    quoted in a project log ("The requested ReadCapacityUnits, 70000, is above the per table maximum for the
    account in us-east-1. Per table maximum: 40000") and AWS's auto scaling notification ("... Per table
    maximum: 40000."); the catalogue (ack-api-quirks DDB-TABLE-443) shows more text may follow: not
    confirmed."""
    for member in ("ReadCapacityUnits", "WriteCapacityUnits"):
        value = (throughput or {}).get(member)
        if value is not None and value > TABLE_MAX_CAPACITY_UNITS:
            raise LimitExceededException(
                "The requested %s, %d, is above the per table maximum for the account in %s. "
                "Per table maximum: %d." % (member, value, model.region, TABLE_MAX_CAPACITY_UNITS)
            )


def _max_warm(warm: Dict[str, int], read: int, write: int) -> Dict[str, int]:
    return {
        "ReadUnitsPerSecond": max(warm.get("ReadUnitsPerSecond", 0), read),
        "WriteUnitsPerSecond": max(warm.get("WriteUnitsPerSecond", 0), write),
    }


def _warm_for(
    warm: Dict[str, int],
    on_demand: bool,
    pt: Optional[Dict[str, Any]],
    requested: Optional[Dict[str, Any]] = None,
) -> Dict[str, int]:
    if on_demand:
        warm = _max_warm(warm, ON_DEMAND_WARM_READ, ON_DEMAND_WARM_WRITE)
    elif pt:
        warm = _max_warm(warm, pt.get("ReadCapacityUnits", 0), pt.get("WriteCapacityUnits", 0))
    if requested:
        warm = _max_warm(
            warm, requested.get("ReadUnitsPerSecond", 0), requested.get("WriteUnitsPerSecond", 0)
        )
    return warm


def _sse_enabled(sse: Optional[Dict[str, Any]]) -> bool:
    """SSESpecification without Enabled: {} is "no SSE", {SSEType: KMS} enables (ack-api-quirks
    DDB-TABLE-044)."""
    if not sse:
        return False
    if sse.get("Enabled") is not None:
        return bool(sse["Enabled"])
    return sse.get("SSEType") == "KMS" or sse.get("KMSMasterKeyId") is not None


def _index_def(table_id: str, spec: Dict[str, Any], types: Dict[str, str]) -> IndexDef:
    ks = spec["KeySchema"]
    projection = spec["Projection"]
    return IndexDef(
        name=spec["IndexName"],
        hash_key=KeyAttr(ks[0]["AttributeName"], types[ks[0]["AttributeName"]]),
        range_key=KeyAttr(ks[1]["AttributeName"], types[ks[1]["AttributeName"]]) if len(ks) > 1 else None,
        projection_type=projection["ProjectionType"],
        non_key_attributes=list(projection.get("NonKeyAttributes") or ()),
        keyspace="idx.%s.%s" % (table_id, spec["IndexName"]),
        status="ACTIVE",
    )


@operation("CreateTable")
def create_table(model, request: Dict[str, Any]) -> Dict[str, Any]:
    name = table_name(model, request["TableName"])
    on_demand = request.get("BillingMode") == PAY_PER_REQUEST
    now = _now(model)
    table_id = str(uuid.uuid4())
    types = {d["AttributeName"]: d["AttributeType"] for d in request["AttributeDefinitions"]}
    ks = request["KeySchema"]
    pt = (
        None
        if on_demand
        else {
            "ReadCapacityUnits": request["ProvisionedThroughput"]["ReadCapacityUnits"],
            "WriteCapacityUnits": request["ProvisionedThroughput"]["WriteCapacityUnits"],
        }
    )
    gsis = []
    for spec in request.get("GlobalSecondaryIndexes") or ():
        ix = _index_def(table_id, spec, types)
        gpt = spec.get("ProvisionedThroughput")
        if gpt and not on_demand:
            ix.provisioned_throughput = {
                "ReadCapacityUnits": gpt["ReadCapacityUnits"],
                "WriteCapacityUnits": gpt["WriteCapacityUnits"],
            }
        if spec.get("OnDemandThroughput"):
            ix.on_demand_throughput = dict(spec["OnDemandThroughput"])
        ix.warm_throughput = _warm_for({}, on_demand, ix.provisioned_throughput, spec.get("WarmThroughput"))
        gsis.append(ix)
    stream = request.get("StreamSpecification")
    sse = request.get("SSESpecification")
    t = TableDef(
        name=name,
        table_id=table_id,
        keyspace="tbl.%s" % table_id,
        hash_key=KeyAttr(ks[0]["AttributeName"], types[ks[0]["AttributeName"]]),
        range_key=KeyAttr(ks[1]["AttributeName"], types[ks[1]["AttributeName"]]) if len(ks) > 1 else None,
        attribute_definitions=[
            {"AttributeName": d["AttributeName"], "AttributeType": d["AttributeType"]}
            for d in request["AttributeDefinitions"]
        ],
        created_at=now,
        billing_mode=PAY_PER_REQUEST if on_demand else PROVISIONED,
        provisioned_throughput=pt or {},
        on_demand_throughput=dict(request["OnDemandThroughput"])
        if request.get("OnDemandThroughput")
        else None,
        lsis=[_index_def(table_id, spec, types) for spec in request.get("LocalSecondaryIndexes") or ()],
        gsis=gsis,
        stream_specification=(
            {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
            if stream and stream["StreamEnabled"]
            else None
        ),
        stream_label=_stream_label(now) if stream and stream["StreamEnabled"] else None,
        tags=[{"Key": tag["Key"], "Value": tag["Value"]} for tag in request.get("Tags") or ()],
        deletion_protection=bool(request.get("DeletionProtectionEnabled")),
        table_class=request.get("TableClass") or "STANDARD",
        table_class_set=request.get("TableClass") is not None,
        billing_mode_updated_at=now if on_demand else None,
        sse_specification=dict(sse) if _sse_enabled(sse) else None,
        warm_throughput=_warm_for({}, on_demand, pt, request.get("WarmThroughput")),
    )
    if request.get("ResourcePolicy") is not None:
        t.extra["resource_policy"] = request["ResourcePolicy"]  # kept for GetResourcePolicy, not enforced
    with model.lock:
        if name in model.tables:
            # DynamoDB's reply (ack-api-quirks DDB-TABLE-005/-010, joshsymonds/Dynamoid#178); errors.py
            raise ResourceInUseException.table_exists(name)
        _raise_over_table_maximum(model, pt)
        model.add_table(t)
    return {
        "TableDescription": describe(
            model, t, "CREATING", created=True, warm=request.get("WarmThroughput") is not None
        )
    }


# ---- DescribeTable, ListTables, DescribeLimits, DescribeEndpoints ------------------------------------------


@operation("DescribeTable")
def describe_table(model, request: Dict[str, Any]) -> Dict[str, Any]:
    # ResourceNotFoundException "Requested resource not found: Table: <name> not found": errors.py (dynalite
    # test/describeTable.js; ack-api-quirks DDB-TABLE-070)
    return {"Table": describe(model, _table(model, request, "DescribeTable"))}


@operation("ListTables")
def list_tables(model, request: Dict[str, Any]) -> Dict[str, Any]:
    """Names in byte order; LastEvaluatedTableName only when more names follow (ack-api-quirks DDB-TABLE-012:
    "final page omits LastEvaluatedTableName ... order is byte-wise"); a start name that names no table is
    fine (DDB-TABLE-379). Limit 1..100 is a shape constraint (default 100)."""
    with model.lock:
        names = sorted(model.tables, key=lambda n: n.encode())
    start = request.get("ExclusiveStartTableName")
    if start is not None:
        start_b = start.encode()
        names = [n for n in names if n.encode() > start_b]
    limit = request.get("Limit") or 100
    response: Dict[str, Any] = {"TableNames": names[:limit]}
    if len(names) > limit:
        response["LastEvaluatedTableName"] = names[limit - 1]
    return response


@operation("DescribeLimits")
def describe_limits(model, request: Dict[str, Any]) -> Dict[str, Any]:
    return {
        "AccountMaxReadCapacityUnits": ACCOUNT_MAX_CAPACITY_UNITS,
        "AccountMaxWriteCapacityUnits": ACCOUNT_MAX_CAPACITY_UNITS,
        "TableMaxReadCapacityUnits": TABLE_MAX_CAPACITY_UNITS,
        "TableMaxWriteCapacityUnits": TABLE_MAX_CAPACITY_UNITS,
    }


@operation("DescribeEndpoints")
def describe_endpoints(model, request: Dict[str, Any]) -> Dict[str, Any]:
    """DynamoDB answers with its regional endpoint ("dynamodb.<region>.amazonaws.com", cached 1440 minutes). A
    server that knows its own address sets `model.endpoint_address` ("localhost:8000"), so clients that use
    endpoint discovery keep talking to pyddb."""
    address = getattr(model, "endpoint_address", None) or "dynamodb.%s.amazonaws.com" % model.region
    return {"Endpoints": [{"Address": address, "CachePeriodInMinutes": ENDPOINT_CACHE_MINUTES}]}


# ---- DeleteTable -------------------------------------------------------------------------------------------


@operation("DeleteTable")
def delete_table(model, request: Dict[str, Any]) -> Dict[str, Any]:
    with model.lock:
        t = _table(model, request, "DeleteTable")
        if t.deletion_protection:
            # catalogue (live, us-east-1 and us-west-2), ekristen/aws-nuke#451, nubo-db/dynoxide#46
            raise ValidationException(
                "Resource cannot be deleted as it is currently protected against deletion. "
                "Disable deletion protection first."
            )
        description = describe(model, t, "DELETING")
        with model.table_lock(t.name):  # no conditional write of this table is half-way through
            model.remove_table(t.name)
    return {"TableDescription": description}


# ---- UpdateTable -------------------------------------------------------------------------------------------


def _changed_throughput(pt: Dict[str, Any], read: int, write: int, now: float) -> Dict[str, Any]:
    """The new throughput with DynamoDB's bookkeeping: LastIncrease/LastDecreaseDateTime and the decreases of
    the UTC day (both dimensions in one call count once: ack-api-quirks DDB-TABLE-184). The daily budget of 4
    decreases (then one an hour) is not enforced."""
    out = dict(pt, ReadCapacityUnits=read, WriteCapacityUnits=write)
    old_read, old_write = pt.get("ReadCapacityUnits"), pt.get("WriteCapacityUnits")
    if old_read is None:
        return out
    if read > old_read or write > old_write:
        out["LastIncreaseDateTime"] = now
    if read < old_read or write < old_write:
        day = _utc_day(now)
        out["Decreases"] = (pt.get("Decreases", 0) if pt.get("DecreasesDay") == day else 0) + 1
        out["DecreasesDay"] = day
        out["LastDecreaseDateTime"] = now
    return out


def _check_update(model, t: TableDef, request: Dict[str, Any]) -> None:
    """UpdateTable's checks against the table, before anything changes (the request-only ones are
    rules.update_table_members)."""
    mode = request.get("BillingMode") or t.billing_mode
    pt = request.get("ProvisionedThroughput")
    if pt and mode == PAY_PER_REQUEST:
        # catalogue, live ("val_pt_on_ppr": ProvisionedThroughput on an on-demand table)
        raise ValidationException.invalid_parameters(
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is "
            "PAY_PER_REQUEST"
        )
    if mode == PROVISIONED and t.billing_mode == PAY_PER_REQUEST:
        # catalogue: switching to PROVISIONED needs an Update with throughput for every GSI
        given = {
            u["Update"]["IndexName"]
            for u in request.get("GlobalSecondaryIndexUpdates") or ()
            if u.get("Update") and u["Update"].get("ProvisionedThroughput")
        }
        for ix in t.gsis:
            if ix.name not in given:
                raise ValidationException.invalid_parameters(
                    "ProvisionedThroughput must be specified for index: %s" % ix.name
                )
    if request.get("OnDemandThroughput") and mode == PROVISIONED:
        rules.on_demand_on_provisioned(request["OnDemandThroughput"])
    if pt and t.billing_mode == PROVISIONED:
        current = t.provisioned_throughput
        if (pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]) == (
            current.get("ReadCapacityUnits"),
            current.get("WriteCapacityUnits"),
        ):
            # dynalite actions/updateTable.js; catalogue (a no-op re-send)
            raise ValidationException(
                "The provisioned throughput for the table will not change. The requested value equals the "
                "current value. Current ReadCapacityUnits provisioned for the table: %d. Requested "
                "ReadCapacityUnits: %d. Current WriteCapacityUnits provisioned for the table: %d. Requested "
                "WriteCapacityUnits: %d. Refer to the Amazon DynamoDB Developer Guide for current limits and "
                "how to request higher limits."
                % (
                    current["ReadCapacityUnits"],
                    pt["ReadCapacityUnits"],
                    current["WriteCapacityUnits"],
                    pt["WriteCapacityUnits"],
                )
            )
    _raise_over_table_maximum(model, pt)
    _check_index_updates(model, t, request, mode)
    stream = request.get("StreamSpecification")
    if stream is not None:
        # catalogue, live: re-sends of either state are errors, naming the table
        if stream["StreamEnabled"] and t.stream_specification:
            raise ValidationException("Table already has an enabled stream: TableName: %s" % t.name)
        if not stream["StreamEnabled"] and not t.stream_specification:
            raise ValidationException("Table has no stream to disable: TableName: %s" % t.name)
    sse = request.get("SSESpecification")
    if sse is not None and not _sse_enabled(sse) and not t.sse_specification:
        raise ValidationException.invalid_parameters(
            "Table is already encrypted by default"
        )  # catalogue (Enabled:false or {})
    warm = request.get("WarmThroughput")
    for member in ("ReadUnitsPerSecond", "WriteUnitsPerSecond"):
        value = (warm or {}).get(member)
        if value is not None and value < t.warm_throughput.get(member, 0):
            # catalogue; ack-api-quirks DDB-TABLE-032 (WarmThroughput never decreases)
            raise ValidationException.invalid_parameters(
                "Requested %s for WarmThroughput for table is lower than current WarmThroughput, decreasing "
                "WarmThroughput is not supported" % member
            )


ONLINE_INDEX_LIMIT = (
    "Subscriber limit exceeded: Only 1 online index can be created or deleted simultaneously per table"
)
INDEX_EXISTS = "Attempting to create an index which already exists"


def _key_usage(t: TableDef) -> Dict[str, tuple]:
    """attribute name -> (type, key type) of its first use as a key: the table's, then its indexes'."""
    out: Dict[str, tuple] = {}
    schemas = [(t.hash_key, t.range_key)] + [(ix.hash_key, ix.range_key) for ix in t.indexes]
    for hash_key, range_key in schemas:
        for ka, key_type in ((hash_key, "HASH"), (range_key, "RANGE")):
            if ka is not None and ka.name not in out:
                out[ka.name] = (ka.type, key_type)
    return out


def _check_index_updates(model, t: TableDef, request: Dict[str, Any], mode: str) -> None:
    """GlobalSecondaryIndexUpdates against the table (texts and sources: ONLINE INDEX CHANGES)."""
    updates = request.get("GlobalSecondaryIndexUpdates") or ()
    if not updates:
        return
    actions = [u for u in updates if u.get("Create") or u.get("Delete")]
    if len(actions) > 1:
        raise LimitExceededException(ONLINE_INDEX_LIMIT)
    busy = [ix for ix in t.gsis if ix.status in ("CREATING", "DELETING")]
    if actions and busy:
        deleting = (actions[0].get("Delete") or {}).get("IndexName")
        if not (len(busy) == 1 and busy[0].name == deleting and busy[0].status == "CREATING"):
            raise LimitExceededException(ONLINE_INDEX_LIMIT)
    on_demand = mode == PAY_PER_REQUEST
    for u in updates:
        create, delete, update = u.get("Create"), u.get("Delete"), u.get("Update")
        if create:
            name = create["IndexName"]
            if t.index(name) is not None:
                raise ValidationException(INDEX_EXISTS)
            types = {d["AttributeName"]: d["AttributeType"] for d in request["AttributeDefinitions"]}
            usage = _key_usage(t)
            for element in create["KeySchema"]:
                attr = element["AttributeName"]
                if attr in usage and usage[attr][0] != types[attr]:
                    raise ValidationException.invalid_parameters(
                        "Attributes cannot be redefined. Please check that your attribute has the same type "
                        "as previously defined. Existing schema: Schema:[SchemaElement: key{%s:%s:%s}] New "
                        "schema: Schema:[SchemaElement: key{%s:%s:%s}]"
                        % (attr, usage[attr][0], usage[attr][1], attr, types[attr], element["KeyType"])
                    )
            if len(t.gsis) >= rules.MAX_GSIS:
                raise LimitExceededException(
                    "GlobalSecondaryIndex count exceeds the per-table limit of %d" % rules.MAX_GSIS
                )
            if on_demand and create.get("ProvisionedThroughput"):
                raise ValidationException.invalid_parameters(
                    "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: %s when "
                    "BillingMode is PAY_PER_REQUEST" % name
                )
            if not on_demand and not create.get("ProvisionedThroughput"):
                raise ValidationException.invalid_parameters(
                    "ProvisionedThroughput must be specified for index: %s" % name
                )
            if not on_demand and create.get("OnDemandThroughput"):
                rules.on_demand_on_provisioned(create["OnDemandThroughput"])
            _raise_over_table_maximum(model, create.get("ProvisionedThroughput"))
            continue
        name = (delete or update)["IndexName"]
        ix = t.index(name)
        if ix is None:
            pt = (update or {}).get("ProvisionedThroughput") or {}
            if any(v > rules.MAX_CAPACITY_UNITS for v in pt.values()):
                raise ValidationException(
                    "This operation cannot be performed with given input values. Please contact DynamoDB "
                    "service team for more info: Action Blocked: IndexUpdate"
                )
            raise ResourceNotFoundException(
                "Requested resource not found: Index %s for table %s" % (name, t.name)
            )
        if ix in t.lsis:
            raise ValidationException(
                "Cannot %s an index that is not a GlobalSecondaryIndex: %s"
                % ("delete" if delete else "update", name)
            )
        if delete:
            continue
        pt = update.get("ProvisionedThroughput")
        if on_demand:
            if pt:
                raise ValidationException.invalid_parameters(
                    "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified for index: %s when "
                    "BillingMode is PAY_PER_REQUEST" % name
                )
            if not update.get("OnDemandThroughput") and not update.get("WarmThroughput"):
                raise ValidationException.invalid_parameters(
                    "The only Updates for index: %s when TableThroughputMode is PAY_PER_REQUEST can be to "
                    "OnDemandThroughput, WarmThroughput" % name
                )
            continue
        if update.get("OnDemandThroughput"):
            rules.on_demand_on_provisioned(update["OnDemandThroughput"])
        if not pt and not update.get("WarmThroughput"):
            raise ValidationException.invalid_parameters(
                "ProvisionedThroughput must be specified for index: %s" % name
            )
        current = ix.provisioned_throughput or {}
        if pt and t.billing_mode == PROVISIONED and (pt["ReadCapacityUnits"], pt["WriteCapacityUnits"]) == (
            current.get("ReadCapacityUnits"),
            current.get("WriteCapacityUnits"),
        ):
            raise ValidationException(
                "The provisioned throughput for the index %s will not change. The requested value equals the "
                "current value. Current ReadCapacityUnits provisioned for the index: %d. Requested "
                "ReadCapacityUnits: %d. Current WriteCapacityUnits provisioned for the index: %d. Requested "
                "WriteCapacityUnits: %d. Refer to the Amazon DynamoDB Developer Guide for current limits and "
                "how to request higher limits."
                % (
                    name,
                    current["ReadCapacityUnits"],
                    pt["ReadCapacityUnits"],
                    current["WriteCapacityUnits"],
                    pt["WriteCapacityUnits"],
                )
            )
        _raise_over_table_maximum(model, pt)
        warm = update.get("WarmThroughput")
        for member in ("ReadUnitsPerSecond", "WriteUnitsPerSecond"):
            value = (warm or {}).get(member)
            if value is not None and value < ix.warm_throughput.get(member, 0):
                # catalogue ("also ... 'for index <IDX>'"); DDB-TABLE-456 live row gsi_update_warm_neg_real
                raise ValidationException.invalid_parameters(
                    "Requested %s for WarmThroughput for index %s is lower than current WarmThroughput, "
                    "decreasing WarmThroughput is not supported" % (member, name)
                )


def _apply_index_updates(new: TableDef, request: Dict[str, Any], now: float) -> None:
    """Apply GlobalSecondaryIndexUpdates to `new` (a copy being changed): the definitions only; the keyspace
    and the background work are update_table's (see ONLINE INDEX CHANGES)."""
    on_demand = new.billing_mode == PAY_PER_REQUEST
    for u in request.get("GlobalSecondaryIndexUpdates") or ():
        create, delete, update = u.get("Create"), u.get("Delete"), u.get("Update")
        if create:
            types = {d["AttributeName"]: d["AttributeType"] for d in request["AttributeDefinitions"]}
            defined = {d["AttributeName"] for d in new.attribute_definitions}
            for element in create["KeySchema"]:
                attr = element["AttributeName"]
                if attr not in defined:
                    new.attribute_definitions.append({"AttributeName": attr, "AttributeType": types[attr]})
                    defined.add(attr)
            ix = _index_def(new.table_id, create, types)
            ix.status = "CREATING"
            ix.backfilling = True
            gpt = create.get("ProvisionedThroughput")
            if gpt and not on_demand:
                ix.provisioned_throughput = {
                    "ReadCapacityUnits": gpt["ReadCapacityUnits"],
                    "WriteCapacityUnits": gpt["WriteCapacityUnits"],
                }
            if create.get("OnDemandThroughput"):
                ix.on_demand_throughput = dict(create["OnDemandThroughput"])
            ix.warm_throughput = _warm_for(
                {}, on_demand, ix.provisioned_throughput, create.get("WarmThroughput")
            )
            new.gsis.append(ix)
            new.extra["online_gsis"] = list(new.extra.get("online_gsis", ())) + [ix.name]
        elif delete:
            new.index(delete["IndexName"]).status = "DELETING"
        elif update:
            ix = new.index(update["IndexName"])
            pt = update.get("ProvisionedThroughput")
            if pt and not on_demand:
                ix.provisioned_throughput = _changed_throughput(
                    ix.provisioned_throughput or {}, pt["ReadCapacityUnits"], pt["WriteCapacityUnits"], now
                )
            odt = update.get("OnDemandThroughput")
            if odt:  # member by member; -1 removes a limit (as the table's: ack-api-quirks DDB-TABLE-456)
                merged = dict(ix.on_demand_throughput or {})
                for member in ("MaxReadRequestUnits", "MaxWriteRequestUnits"):
                    value = odt.get(member)
                    if value == -1:
                        merged.pop(member, None)
                    elif value is not None:
                        merged[member] = value
                ix.on_demand_throughput = merged or None
            ix.warm_throughput = _warm_for(
                ix.warm_throughput, on_demand, ix.provisioned_throughput, update.get("WarmThroughput") or None
            )


def _apply_update(model, t: TableDef, request: Dict[str, Any], now: float) -> TableDef:
    new = t.copy()
    mode = request.get("BillingMode")
    if mode == PAY_PER_REQUEST:
        if t.billing_mode != PAY_PER_REQUEST:
            new.billing_mode = PAY_PER_REQUEST
            new.billing_mode_updated_at = now
            new.provisioned_throughput = {
                k: v
                for k, v in t.provisioned_throughput.items()
                if k not in ("ReadCapacityUnits", "WriteCapacityUnits")
            }
            for ix in new.gsis:
                ix.provisioned_throughput = None
    elif mode == PROVISIONED and t.billing_mode != PROVISIONED:
        new.billing_mode = PROVISIONED
        new.on_demand_throughput = None
    pt = request.get("ProvisionedThroughput")
    if pt:
        new.provisioned_throughput = _changed_throughput(
            new.provisioned_throughput, pt["ReadCapacityUnits"], pt["WriteCapacityUnits"], now
        )
    on_demand = request.get("OnDemandThroughput")
    if on_demand:  # member by member; -1 removes a limit (ack-api-quirks DDB-TABLE-178)
        merged = dict(new.on_demand_throughput or {})
        for member in ("MaxReadRequestUnits", "MaxWriteRequestUnits"):
            value = on_demand.get(member)
            if value == -1:
                merged.pop(member, None)
            elif value is not None:
                merged[member] = value
        new.on_demand_throughput = merged or None
    stream = request.get("StreamSpecification")
    if stream is not None:
        if stream["StreamEnabled"]:  # every enable starts a new stream (ack-api-quirks DDB-TABLE-362)
            new.stream_specification = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
            new.stream_label = _stream_label(now)
        else:
            new.stream_specification = None
    sse = request.get("SSESpecification")
    if sse is not None:
        new.sse_specification = dict(sse) if _sse_enabled(sse) else None
    table_class = request.get("TableClass")
    if table_class is not None and (t.table_class_set or table_class != "STANDARD"):
        # STANDARD on a table that never had a class is a no-op that leaves TableClassSummary absent
        # (ack-api-quirks DDB-TABLE-283)
        new.table_class_set = True
        if table_class != t.table_class:
            new.table_class = table_class
            new.table_class_updated_at = now
    if request.get("DeletionProtectionEnabled") is not None:
        new.deletion_protection = bool(request["DeletionProtectionEnabled"])
    _apply_index_updates(new, request, now)
    new.warm_throughput = _warm_for(
        new.warm_throughput,
        new.billing_mode == PAY_PER_REQUEST,
        new.provisioned_throughput,
        request.get("WarmThroughput") or None,
    )
    return new


@operation("UpdateTable")
def update_table(model, request: Dict[str, Any]) -> Dict[str, Any]:
    with model.lock:
        t = _table(model, request, "UpdateTable")
        _check_update(model, t, request)
        now = _now(model)
        new = _apply_update(model, t, request, now)
        online = [ix for ix in new.gsis if t.index(ix.name) is None or t.index(ix.name).status != ix.status]
        for ix in online:
            if ix.status == "CREATING" and model.engine.has_keyspace(ix.keyspace):
                model.engine.drop_keyspace(ix.keyspace)        # left over from an earlier index of that name
            if ix.status == "CREATING":
                model.engine.create_keyspace(ix.keyspace)
        # under the table's lock (as DeleteTable): a writer that looked at the stream setting (or the indexes)
        # of the old definition has committed before the swap, so none commits after a stream is enabled
        # without its record (model/streams.py log_ops runs under the same lock)
        with model.table_lock(t.name):
            model.save_table(new)
        for ix in online:
            model.backfills.start(new.name, ix.name)
    keyspaces = _keyspace_stats(model)
    before = describe(model, t, keyspaces=keyspaces)
    updating = any(request.get(m) not in (None, {}) for m in UPDATING_MEMBERS)
    description = describe(model, new, "UPDATING" if updating else "ACTIVE", keyspaces=keyspaces)
    # see STATUS: these members of DynamoDB's response still show the values from before the change
    for member in ("ProvisionedThroughput", "BillingModeSummary", "TableClassSummary", "WarmThroughput"):
        if member in before:
            description[member] = before[member]
        else:
            description.pop(member, None)
    created = {ix.name for ix in online if ix.status == "CREATING"}
    for g in description.get("GlobalSecondaryIndexes", ()):
        if g["IndexName"] in created:       # just created: counts 0, as CreateTable's response says them
            g["IndexSizeBytes"] = g["ItemCount"] = 0
    updated = {
        u["Update"]["IndexName"] for u in request.get("GlobalSecondaryIndexUpdates") or () if u.get("Update")
    }
    if updated:
        old_gsis = {g["IndexName"]: g for g in before.get("GlobalSecondaryIndexes", ())}
        for g in description.get("GlobalSecondaryIndexes", ()):
            if g["IndexName"] in updated:
                g["IndexStatus"] = "UPDATING"
                g["ProvisionedThroughput"] = old_gsis[g["IndexName"]]["ProvisionedThroughput"]
                if "WarmThroughput" in old_gsis[g["IndexName"]]:
                    g["WarmThroughput"] = old_gsis[g["IndexName"]]["WarmThroughput"]
    if request.get("SSESpecification") is not None and (t.sse_specification or new.sse_specification):
        # an SSE change runs for ~22 s with TableStatus ACTIVE and SSEDescription UPDATING (DDB-TABLE-065)
        source = new if new.sse_specification else t
        description["SSEDescription"] = dict(
            describe(model, source, keyspaces=keyspaces)["SSEDescription"], Status="UPDATING"
        )
    return {"TableDescription": description}


# ---- tags --------------------------------------------------------------------------------------------------


@operation("TagResource")
def tag_resource(model, request: Dict[str, Any]) -> Dict[str, Any]:
    """Upsert by key (ack-api-quirks DDB-TABLE-105); the 50-tag limit applies to the merged set and is a
    ValidationException (DDB-TABLE-108: "Number of Tags exceed the current limit for the provided
    ResourceArn")."""
    with model.lock:
        t = _tagged_table(model, request["ResourceArn"])
        tags = {tag["Key"]: tag["Value"] for tag in t.tags}
        for tag in request["Tags"]:
            tags[tag["Key"]] = tag["Value"]
        if len(tags) > rules.MAX_TAGS:
            raise ValidationException("Number of Tags exceed the current limit for the provided ResourceArn")
        new = t.copy()
        new.tags = [{"Key": k, "Value": v} for k, v in tags.items()]
        if new.tags != t.tags:
            model.save_table(new)
    return {}


@operation("UntagResource")
def untag_resource(model, request: Dict[str, Any]) -> Dict[str, Any]:
    """Removing a key that is not there is fine (ack-api-quirks DDB-TABLE-105)."""
    with model.lock:
        t = _tagged_table(model, request["ResourceArn"])
        drop = set(request["TagKeys"])
        new = t.copy()
        new.tags = [tag for tag in t.tags if tag["Key"] not in drop]
        if new.tags != t.tags:
            model.save_table(new)
    return {}


@operation("ListTagsOfResource")
def list_tags_of_resource(model, request: Dict[str, Any]) -> Dict[str, Any]:
    """All tags in one page: 50 at most, and DynamoDB sends no NextToken at 50 tags (DDB-TABLE-108); a
    NextToken in the request is ignored, as DynamoDB ignores an invalid one (DDB-TABLE-073)."""
    t = _tagged_table(model, request["ResourceArn"])
    return {"Tags": [dict(tag) for tag in t.tags]}
