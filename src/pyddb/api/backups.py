"""Backups and point-in-time recovery: CreateBackup, DescribeBackup, ListBackups, DeleteBackup,
RestoreTableFromBackup, UpdateContinuousBackups, DescribeContinuousBackups, RestoreTableToPointInTime.

The storage and the consistency argument are model/backups.py and model/pitr.py; docs/backups-pitr.md is the
user's guide. Every operation runs synchronously under the control-plane lock (model.lock): a backup is
complete when CreateBackup returns and a restored table when its Restore* call returns (the table's writers
continue during a backup). The responses say what DynamoDB's do at that moment, as CreateTable's say CREATING
(api/tables.py STATUS): CreateBackup answers BackupStatus CREATING with BackupSizeBytes 0 (the AWS CLI
reference's example response), DescribeBackup AVAILABLE; a Restore* answers TableStatus CREATING with
RestoreSummary.RestoreInProgress true, DescribeTable ACTIVE and false.

ERRORS (texts; "NOT CONFIRMED" where no capture of DynamoDB's own text was found)
    TableNotFoundException "Table not found: <name>" (CreateBackup, Update/DescribeContinuousBackups,
        RestoreTableToPointInTime's source): DynamoDB's reply to DescribeContinuousBackups, quoted in
        nccgroup/ScoutSuite#1533 ("An error occurred (TableNotFoundException) when calling the
        DescribeContinuousBackups operation: Table not found: <table-name>"); moto's text for all of them; the
        other operations' NOT CONFIRMED beyond that
    BackupNotFoundException "Backup not found: <arn>": DynamoDB's reply to DescribeBackup, quoted in
        turbot/steampipe-plugin-aws#1913; the same for DeleteBackup and RestoreTableFromBackup
    TableAlreadyExistsException "Table already exists: <name>": moto's text (NOT CONFIRMED)
    PointInTimeRecoveryUnavailableException "Point in time recovery is not enabled for table '<name>'":
        moto's text (NOT CONFIRMED)
    InvalidRestoreTimeException "Invalid RestoreDateTime: must be between EarliestRestorableDateTime and
        LatestRestorableDateTime": NOT CONFIRMED (built from the exception's documentation in botocore's
        model: "RestoreDateTime must be between EarliestRestorableDateTime and LatestRestorableDateTime")
    ValidationException when neither SourceTableName nor SourceTableArn is given (or both), or when
        neither RestoreDateTime nor UseLatestRestorableTime is given (or both): texts NOT CONFIRMED
    The overrides are checked as a CreateTable of the restored table is (validation/rules.py CreateTable
    rules, DynamoDB's texts), e.g. PROVISIONED without throughput.
    BackupInUseException / TableInUseException / ContinuousBackupsUnavailableException are never raised:
    operations are serialised by model.lock, so no backup is ever seen half made or half deleted.
"""
from __future__ import annotations

import datetime as _datetime
from typing import Any, Dict, List, Optional

from pyddb.api import operation
from pyddb.api import tables as _tables
from pyddb.errors import (
    BackupNotFoundException,
    InternalServerError,
    InvalidRestoreTimeException,
    PointInTimeRecoveryUnavailableException,
    TableAlreadyExistsException,
    TableNotFoundException,
    ValidationException,
)
from pyddb.model import backups as _backups
from pyddb.model import pitr as _pitr
from pyddb.model.schema import TableDef
from pyddb.validation.rules import check_rules
from pyddb.validation.shapes import validate_request

PAY_PER_REQUEST = "PAY_PER_REQUEST"
PROVISIONED = "PROVISIONED"


def _dt(ts: float) -> _datetime.datetime:
    return _datetime.datetime.fromtimestamp(ts, tz=_datetime.timezone.utc)


def _dt_ns(ns: int) -> _datetime.datetime:
    return _datetime.datetime.fromtimestamp(ns // 1000 / 10 ** 6, tz=_datetime.timezone.utc)


def _name(model, name: str) -> str:
    resolve = getattr(model, "table_name", None)
    return resolve(name) if resolve is not None else _tables.table_name(model, name)


def _source_table(model, name: str) -> TableDef:
    resolved = _name(model, name)
    t = model.tables.get(resolved)
    if t is None:
        raise TableNotFoundException("Table not found: %s" % resolved)
    return t


def _backup(model, arn: str) -> Dict[str, Any]:
    record = _backups.find_backup(model, arn)
    if record is None:
        raise BackupNotFoundException("Backup not found: %s" % arn)
    return record


# ---- shapes ------------------------------------------------------------------------------------------------


def _details(record: Dict[str, Any], status: str = "AVAILABLE", size: Optional[int] = None) -> Dict[str, Any]:
    return {
        "BackupArn": record["arn"],
        "BackupName": record["name"],
        "BackupSizeBytes": record["size_bytes"] if size is None else size,
        "BackupStatus": status,
        "BackupType": record["type"],
        "BackupCreationDateTime": _dt(record["created_at"]),
    }


def _throughput(t: TableDef) -> Dict[str, int]:
    on_demand = t.billing_mode == PAY_PER_REQUEST
    pt = t.provisioned_throughput or {}
    return {
        "ReadCapacityUnits": 0 if on_demand else pt.get("ReadCapacityUnits", 0),
        "WriteCapacityUnits": 0 if on_demand else pt.get("WriteCapacityUnits", 0),
    }


def _key_schema(ix_or_t) -> List[Dict[str, str]]:
    out = [{"AttributeName": ix_or_t.hash_key.name, "KeyType": "HASH"}]
    if ix_or_t.range_key is not None:
        out.append({"AttributeName": ix_or_t.range_key.name, "KeyType": "RANGE"})
    return out


def _projection(ix) -> Dict[str, Any]:
    out: Dict[str, Any] = {"ProjectionType": ix.projection_type}
    if ix.projection_type == "INCLUDE":
        out["NonKeyAttributes"] = list(ix.non_key_attributes)
    return out


def _description(model, record: Dict[str, Any], status: str = "AVAILABLE") -> Dict[str, Any]:
    t = _backups.source_table(record)
    source: Dict[str, Any] = {
        "TableName": t.name,
        "TableId": t.table_id,
        "TableArn": record["table_arn"],
        "TableSizeBytes": record["table_size_bytes"],
        "KeySchema": _key_schema(t),
        "TableCreationDateTime": _dt(t.created_at),
        "ProvisionedThroughput": _throughput(t),
    }
    if t.on_demand_throughput:
        source["OnDemandThroughput"] = dict(t.on_demand_throughput)
    source["ItemCount"] = record["table_item_count"]
    source["BillingMode"] = t.billing_mode
    features: Dict[str, Any] = {}
    if t.lsis:
        features["LocalSecondaryIndexes"] = [
            {"IndexName": ix.name, "KeySchema": _key_schema(ix), "Projection": _projection(ix)}
            for ix in t.lsis
        ]
    if t.gsis:
        gsis = []
        for ix in t.gsis:
            g = {"IndexName": ix.name, "KeySchema": _key_schema(ix), "Projection": _projection(ix)}
            if t.billing_mode != PAY_PER_REQUEST and ix.provisioned_throughput:
                g["ProvisionedThroughput"] = {k: ix.provisioned_throughput[k]
                                              for k in ("ReadCapacityUnits", "WriteCapacityUnits")}
            if ix.on_demand_throughput:
                g["OnDemandThroughput"] = dict(ix.on_demand_throughput)
            gsis.append(g)
        features["GlobalSecondaryIndexes"] = gsis
    if t.stream_specification:
        features["StreamDescription"] = dict(t.stream_specification)
    ttl = (t.extra or {}).get("ttl")          # model/ttl.py's settings, as the table had them
    if ttl and ttl.get("enabled"):
        features["TimeToLiveDescription"] = {"TimeToLiveStatus": "ENABLED", "AttributeName": ttl["attribute"]}
    if t.sse_specification:
        features["SSEDescription"] = {"Status": "ENABLED", "SSEType": "KMS",
                                      "KMSMasterKeyArn": _tables._kms_key_arn(model, t)}
    out = {"BackupDetails": _details(record, status), "SourceTableDetails": source}
    if features:
        out["SourceTableFeatureDetails"] = features
    return out


def _summary(record: Dict[str, Any]) -> Dict[str, Any]:
    t = record["table"]
    out = {
        "TableName": t["name"],
        "TableId": t["table_id"],
        "TableArn": record["table_arn"],
        "BackupArn": record["arn"],
        "BackupName": record["name"],
        "BackupCreationDateTime": _dt(record["created_at"]),
    }
    if record.get("expires_at"):
        out["BackupExpiryDateTime"] = _dt(record["expires_at"])
    out.update({"BackupStatus": "AVAILABLE", "BackupType": record["type"],
                "BackupSizeBytes": record["size_bytes"]})
    return out


# ---- on-demand backups -------------------------------------------------------------------------------------


@operation("CreateBackup")
def create_backup(model, request: Dict[str, Any]) -> Dict[str, Any]:
    with model.lock:
        t = _source_table(model, request["TableName"])
        _backups.cleanup(model)
        record = _backups.create_backup(model, t, request["BackupName"])
    return {"BackupDetails": _details(record, "CREATING", size=0)}


@operation("DescribeBackup")
def describe_backup(model, request: Dict[str, Any]) -> Dict[str, Any]:
    return {"BackupDescription": _description(model, _backup(model, request["BackupArn"]))}


@operation("DeleteBackup")
def delete_backup(model, request: Dict[str, Any]) -> Dict[str, Any]:
    with model.lock:
        record = _backup(model, request["BackupArn"])
        description = _description(model, record, "DELETED")
        _backups.delete_backup(model, record)
    return {"BackupDescription": description}


def _epoch(value: Any) -> float:
    return _pitr.to_ns(value) / 10 ** 9


@operation("ListBackups")
def list_backups(model, request: Dict[str, Any]) -> Dict[str, Any]:
    """Oldest first. TimeRangeLowerBound is inclusive, TimeRangeUpperBound exclusive (API reference);
    BackupType defaults to USER; without Limit every backup is listed in one page. LastEvaluatedBackupArn is
    given when a page is cut short by Limit and more backups follow; ExclusiveStartBackupArn resumes after the
    backup it names, in (creation time, ARN) order (its creation time is read from the ARN, so a deleted
    backup's ARN works too)."""
    records = _backups.backups(model)
    if request.get("TableName") is not None:
        name = _name(model, request["TableName"])
        records = [r for r in records if r["table"]["name"] == name]
    kind = request.get("BackupType") or "USER"
    if kind != "ALL":
        records = [r for r in records if r["type"] == kind]
    lower, upper = request.get("TimeRangeLowerBound"), request.get("TimeRangeUpperBound")
    if lower is not None:
        records = [r for r in records if r["created_at"] >= _epoch(lower) - 5e-4]
    if upper is not None:
        records = [r for r in records if r["created_at"] < _epoch(upper) - 5e-4]
    start = request.get("ExclusiveStartBackupArn")
    if start is not None:
        bid = start.rsplit("/backup/", 1)[-1]
        try:
            start_key = (int(bid.split("-", 1)[0]) / 1000.0, start)
        except ValueError:
            # NOT CONFIRMED
            raise ValidationException("Invalid ExclusiveStartBackupArn: %s" % start) from None
        records = [r for r in records if (r["created_at"], r["arn"]) > start_key]
    limit = request.get("Limit")
    out: Dict[str, Any] = {}
    if limit is not None and len(records) > limit:
        records = records[:limit]
        out["LastEvaluatedBackupArn"] = records[-1]["arn"]
    out = dict({"BackupSummaries": [_summary(r) for r in records]}, **out)
    return out


# ---- restores ----------------------------------------------------------------------------------------------


class _Capture:
    """A view of the model for CreateTable's code that captures the table definition it would add instead
    of adding it: the restore fills the table's keyspaces first (model/backups.py K3)."""

    def __init__(self, model):
        self._model = model
        self.tables: Dict[str, TableDef] = {}
        self.captured: Optional[TableDef] = None

    def __getattr__(self, name):
        return getattr(self._model, name)

    def add_table(self, t: TableDef) -> None:
        self.captured = t


def _index_spec(ix, billing: str, table_pt: Optional[Dict[str, int]], gsi: bool) -> Dict[str, Any]:
    spec: Dict[str, Any] = {"IndexName": ix.name, "KeySchema": _key_schema(ix), "Projection": _projection(ix)}
    if gsi and billing == PROVISIONED:
        pt = ix.provisioned_throughput or table_pt
        if pt:
            spec["ProvisionedThroughput"] = {k: pt[k] for k in ("ReadCapacityUnits", "WriteCapacityUnits")}
    if gsi and ix.on_demand_throughput:
        spec["OnDemandThroughput"] = dict(ix.on_demand_throughput)
    return spec


def _restored_def(model, source: TableDef, target: str, request: Dict[str, Any]) -> TableDef:
    """The definition of the table a restore creates: the source's schema with the request's overrides,
    checked as CreateTable checks its request. Streams, TTL, PITR, tags and deletion protection are not
    restored (DynamoDB: "you must manually set up ... on the restored table")."""
    billing = request.get("BillingModeOverride") or source.billing_mode
    pt = request.get("ProvisionedThroughputOverride")
    if pt is None and billing == PROVISIONED and source.billing_mode == PROVISIONED:
        pt = {k: source.provisioned_throughput[k] for k in ("ReadCapacityUnits", "WriteCapacityUnits")}
    create: Dict[str, Any] = {"TableName": target, "KeySchema": _key_schema(source), "BillingMode": billing}
    if pt is not None:
        create["ProvisionedThroughput"] = dict(pt)
    if "GlobalSecondaryIndexOverride" in request:
        gsis = [dict(g) for g in request["GlobalSecondaryIndexOverride"] or ()]
    else:
        gsis = [_index_spec(ix, billing, pt, True) for ix in source.gsis if ix.status != "DELETING"]
    if "LocalSecondaryIndexOverride" in request:
        lsis = [dict(x) for x in request["LocalSecondaryIndexOverride"] or ()]
    else:
        lsis = [_index_spec(ix, billing, pt, False) for ix in source.lsis]
    if gsis:
        create["GlobalSecondaryIndexes"] = gsis
    if lsis:
        create["LocalSecondaryIndexes"] = lsis
    used = set(source.key_names)
    for spec in gsis + lsis:
        used.update(e["AttributeName"] for e in spec.get("KeySchema") or ())
    create["AttributeDefinitions"] = [
        dict(d) for d in source.attribute_definitions if d["AttributeName"] in used
    ]
    on_demand = request.get("OnDemandThroughputOverride", source.on_demand_throughput)
    if on_demand and billing == PAY_PER_REQUEST:
        create["OnDemandThroughput"] = dict(on_demand)
    sse = request.get("SSESpecificationOverride", source.sse_specification)
    if sse:
        create["SSESpecification"] = dict(sse)
    if source.table_class_set:
        create["TableClass"] = source.table_class
    create = validate_request("CreateTable", create)
    check_rules("CreateTable", create)
    view = _Capture(model)
    _tables.create_table(view, create)
    t = view.captured
    if t is None:  # pragma: no cover - CreateTable always adds
        raise InternalServerError()
    return t


def _restore_response(model, t: TableDef) -> Dict[str, Any]:
    description = _tables.describe(model, t, "CREATING", created=True, warm=False)
    description["RestoreSummary"] = dict(_restore_summary(t), RestoreInProgress=True)
    return {"TableDescription": description}


def _restore_summary(t: TableDef) -> Dict[str, Any]:
    r = t.extra["restore_summary"]
    out: Dict[str, Any] = {}
    if r.get("SourceBackupArn"):
        out["SourceBackupArn"] = r["SourceBackupArn"]
    out["SourceTableArn"] = r["SourceTableArn"]
    out["RestoreDateTime"] = _dt(r["RestoreDateTime"])
    out["RestoreInProgress"] = False
    return out


def restore_summary(t: TableDef) -> Optional[Dict[str, Any]]:
    """DescribeTable's RestoreSummary of a restored table (None for other tables): api/tables.py describe."""
    if not t.extra.get("restore_summary"):
        return None
    return _restore_summary(t)


def _check_target_free(model, target: str) -> None:
    if target in model.tables:
        raise TableAlreadyExistsException("Table already exists: %s" % target)


@operation("RestoreTableFromBackup")
def restore_table_from_backup(model, request: Dict[str, Any]) -> Dict[str, Any]:
    with model.lock:
        record = _backup(model, request["BackupArn"])
        target = request["TargetTableName"]
        _check_target_free(model, target)
        t = _restored_def(model, _backups.source_table(record), target, request)
        t.extra["restore_summary"] = {
            "SourceBackupArn": record["arn"],
            "SourceTableArn": record["table_arn"],
            "RestoreDateTime": record["created_at"],
        }
        _backups.cleanup(model)
        _backups.restore_table(model, t, _backups.copy_from(model, record["keyspace"]))
    return _restore_response(model, t)


# ---- point-in-time recovery --------------------------------------------------------------------------------


def _continuous(model, t: TableDef) -> Dict[str, Any]:
    pitr: Dict[str, Any]
    w = _pitr.window(model, t)
    if w is None:
        pitr = {"PointInTimeRecoveryStatus": "DISABLED"}
    else:
        pitr = {
            "PointInTimeRecoveryStatus": "ENABLED",
            "RecoveryPeriodInDays": _pitr.settings(t).get("days", _pitr.DEFAULT_DAYS),
            "EarliestRestorableDateTime": _dt_ns(w[0]),
            "LatestRestorableDateTime": _dt_ns(w[1]),
        }
    return {"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": pitr}


@operation("UpdateContinuousBackups")
def update_continuous_backups(model, request: Dict[str, Any]) -> Dict[str, Any]:
    spec = request["PointInTimeRecoverySpecification"]
    days = spec.get("RecoveryPeriodInDays")
    with model.lock:
        t = _source_table(model, request["TableName"])
        if not spec["PointInTimeRecoveryEnabled"] and days is not None:
            # NOT CONFIRMED: a period for a PITR being turned off
            raise ValidationException(
                "RecoveryPeriodInDays can only be specified when PointInTimeRecoveryEnabled is true")
        _backups.cleanup(model)
        if spec["PointInTimeRecoveryEnabled"]:
            if days is None:      # keep the period of a PITR already on; a new one gets the default
                days = _pitr.settings(t).get("days", _pitr.DEFAULT_DAYS) if _pitr.enabled(t) else None
            t = _pitr.enable(model, t, days if days is not None else _pitr.DEFAULT_DAYS)
        elif _pitr.enabled(t):
            t = _pitr.disable(model, t)
        return {"ContinuousBackupsDescription": _continuous(model, t)}


@operation("DescribeContinuousBackups")
def describe_continuous_backups(model, request: Dict[str, Any]) -> Dict[str, Any]:
    with model.lock:
        t = _source_table(model, request["TableName"])
        _pitr.maintain(model, drops_only=True)    # cheap: copies (new bases) are the maintenance thread's
        return {"ContinuousBackupsDescription": _continuous(model, t)}


@operation("RestoreTableToPointInTime")
def restore_table_to_point_in_time(model, request: Dict[str, Any]) -> Dict[str, Any]:
    name, arn = request.get("SourceTableName"), request.get("SourceTableArn")
    if (name is None) == (arn is None):
        # NOT CONFIRMED
        raise ValidationException("Either SourceTableArn or SourceTableName must be specified, not both")
    latest = bool(request.get("UseLatestRestorableTime"))
    when = request.get("RestoreDateTime")
    if latest and when is not None:
        raise ValidationException(  # NOT CONFIRMED
            "Only one of RestoreDateTime or UseLatestRestorableTime can be specified")
    if not latest and when is None:
        raise ValidationException(  # NOT CONFIRMED
            "Either RestoreDateTime or UseLatestRestorableTime must be specified")
    with model.lock:
        source = _source_table(model, name if name is not None else arn)
        target = request["TargetTableName"]
        _check_target_free(model, target)
        if not _pitr.enabled(source):
            raise PointInTimeRecoveryUnavailableException(
                "Point in time recovery is not enabled for table '%s'" % source.name)
        # never a base copy under model.lock here (it would stall every control-plane call for as long as
        # the table takes to copy): the restore replays the WAL from the newest base, however old
        _pitr.maintain(model, drops_only=True)
        w = _pitr.window(model, source)
        if w is None:     # enabled PITR always has a base (pitr.enable takes one first); belt and braces
            raise PointInTimeRecoveryUnavailableException(
                "Point in time recovery is not enabled for table '%s'" % source.name)
        earliest, now = w
        ts_ns = now if latest else _pitr.to_ns(when)
        if not earliest <= ts_ns <= now:
            raise InvalidRestoreTimeException(
                "Invalid RestoreDateTime: must be between EarliestRestorableDateTime and "
                "LatestRestorableDateTime")
        t = _restored_def(model, source, target, request)
        t.extra["restore_summary"] = {
            "SourceTableArn": model.arn(source.name),
            "RestoreDateTime": round(ts_ns / 10 ** 9, 3),
        }
        _backups.cleanup(model)

        def fill(dest: str) -> None:
            try:
                _pitr.fill_at(model, source, ts_ns, dest)
            except _backups.WalGap as e:
                raise InternalServerError(
                    "Point in time recovery needs the write-ahead log from the table's base on: %s" % e
                ) from None
        _backups.restore_table(model, t, fill)
    return _restore_response(model, t)


__all__ = ["restore_summary"]
