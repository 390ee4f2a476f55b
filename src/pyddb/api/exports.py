"""ExportTableToPointInTime, DescribeExport, ListExports, ImportTable, DescribeImport, ListImports.

The files are written and read by pyddb/io (s3local: a directory standing in for S3; formats: the item
formats); the job records, the threads and the items read at an instant are model/exports.py. This module
validates a request against the tables, starts the job, and is the job's work: it moves items between the
model and the files. Layering: model code never opens a file; io code knows nothing of tables.

WHERE THE FILES GO (S3Bucket and S3Prefix)
    S3Bucket is a bucket name (DynamoDB's pattern admits no '/'), a directory under the S3 root:
    `<root>/<S3Bucket>/<key>`. The root is, first found: the model's `s3_root` attribute, the environment
    variable PYDDB_S3_ROOT, else `<database directory>/s3`. An export creates its bucket directory when it is
    missing (S3 would fail with S3NoSuchBucket; a local directory has no other way to be made through the
    API). An import from a missing bucket fails (FailureCode S3NoSuchBucket).

EXPORT LAYOUT (DynamoDB developer guide, "DynamoDB table export output format", Full export output)
    <prefix>/AWSDynamoDB/<ExportId>/_started                   empty, written first
    <prefix>/AWSDynamoDB/<ExportId>/data/<26 base32>.json.gz   gzip DYNAMODB_JSON lines {"Item": {...}}
                                                               (ExportFormat ION: <26 base32>.ion.gz,
                                                               lines $ion_1_0 {Item:{...}}, io/ion.py);
                                                               at least one (empty for an empty table),
                                                               ITEMS_PER_FILE items at most each
    <prefix>/AWSDynamoDB/<ExportId>/manifest-files.json        one JSON line per data file: itemCount,
                                                               md5Checksum (base64 MD5 of the object),
                                                               etag (hex MD5), dataFileS3Key
    <prefix>/AWSDynamoDB/<ExportId>/manifest-files.checksum    hex MD5 of manifest-files.json
    <prefix>/AWSDynamoDB/<ExportId>/manifest-summary.json      written last: version "2020-06-30",
        exportArn, startTime, endTime, tableArn, tableId, exportTime, s3Bucket, s3Prefix, s3SseAlgorithm,
        s3SseKmsKeyId, manifestFilesS3Key, billedSizeBytes, itemCount, outputFormat, exportType
    <prefix>/AWSDynamoDB/<ExportId>/manifest-summary.checksum  hex MD5 of manifest-summary.json
    Times in the manifests are ISO 8601 UTC with milliseconds ("2020-11-04T07:28:34.028Z"), as in the
    guide's example. <prefix>/ is left out when S3Prefix is absent; a prefix ending in '/' is not given a
    second one. ExportId is "<14-digit epoch ms>-<8 hex>" (the guide's "01234567890123-a1b2c3d4"); the
    ExportArn is the table ARN + "/export/" + ExportId, the ImportArn the table ARN + "/import/" + an id of
    the same form. NOT CONFIRMED: what the .checksum files hold (we write the hex MD5).

EXPORT SEMANTICS
    The table must have point-in-time recovery enabled (API reference: "The table must have point in time
    recovery enabled"), asked through DescribeContinuousBackups when pyddb has it; ExportTime (default: the
    request's time) must lie in [EarliestRestorableDateTime, now]. The items are the table at ExportTime,
    read through model/pitr.py (model/exports.py J3): without an ExportTime, the table as it was at the
    request, whatever is written while the job runs. BilledSizeBytes is the sum of DynamoDB's item sizes.
    ExportFormat DYNAMODB_JSON (default) or ION; ExportType INCREMENTAL_EXPORT is refused as unsupported
    (ValidationException "pyddb does not support ... yet"). TableArn is resolved as every TableName is
    (model.table_name): another region's or account's table ARN gets the error other operations give.

IMPORT SEMANTICS ("Import format quotas and validation", "Amazon S3 import formats for DynamoDB")
    The table is created from TableCreationParameters by CreateTable itself (its checks and texts; an
    existing table is ResourceInUseException "Table already exists: <name>"), then every object under
    S3KeyPrefix is read in key order (the metadata files of an export, <...>/AWSDynamoDB/<id>/ outside
    data/, are skipped, so the prefix of a whole export imports its data). Each item is put as PutItem
    would put it. An item that cannot be read or put (not JSON, not {"Item": ...}, a CSV row longer than
    its header, a missing or mistyped key, too large, ...) counts one in ErrorCount and the import goes on
    with the next line ("For each error, DynamoDB emits a CloudWatch log and keeps a count"; pyddb logs it
    on the "pyddb.imports" logger). A GZIP object that does not decompress counts one error and the rest of
    that object is skipped ("we may skip processing the remaining portion of the object"). Items sharing a
    key overwrite each other and are not errors. ProcessedItemCount counts lines read (errors included),
    ImportedItemCount the items put, ProcessedSizeBytes the uncompressed bytes read. InputFormat is
    DYNAMODB_JSON, CSV or ION (io/ion.py THE READER: one error per bad record, the line it began on);
    InputCompressionType ZSTD is refused as unsupported. pyddb's table is ACTIVE while the import runs
    (DynamoDB's is CREATING until it ends).

CLIENT TOKENS (API reference, ClientToken of each operation)
    The same ClientToken within 8 hours returns the first job's description; with other parameters it is
    ExportConflictException (export) / ImportConflictException (import; the ImportTable reference names
    IdempotentParameterMismatch, but that error is not among ImportTable's modelled errors while
    ImportConflictException is, documented as "conflicts with a previous import request that had the same
    client token").

TEXTS (NOT CONFIRMED: no recording of DynamoDB's own was found; each is the closest DynamoDB wording known)
    PointInTimeRecoveryUnavailableException "Point in time recovery is not enabled for table '<name>'"
    InvalidExportTimeException "The specified ExportTime is outside of the point in time recovery window."
        (the exception's documentation in DynamoDB's API model)
    TableNotFoundException "Table not found: <TableArn>"
    ExportNotFoundException "Export not found: <ExportArn>"
    ImportNotFoundException "Import not found: <ImportArn>"
    ExportConflictException / ImportConflictException "A request with the same client token was already
        made with different parameters"
    Failures (FailureCode, FailureMessage): S3NoSuchBucket "The specified bucket does not exist" (moto's
    test_export_to_missing_s3_bucket, marked as verified against AWS); an import prefix with no objects:
    S3NoSuchKey "No objects found under the S3 key prefix <prefix>".
"""
from __future__ import annotations

import datetime as _datetime
import json
import logging
import time
import uuid
from typing import Any, Dict, Iterator, List, Optional, Tuple

from pyddb.api import operation
from pyddb.errors import (
    DynamoDBError,
    ExportConflictException,
    ExportNotFoundException,
    ImportConflictException,
    ImportNotFoundException,
    InvalidExportTimeException,
    PointInTimeRecoveryUnavailableException,
    TableNotFoundException,
)
from pyddb.io import formats, s3local
from pyddb.io.s3local import LocalS3, NoSuchBucket
from pyddb.model import exports as jobs_model
from pyddb.model.exports import JobFailed
from pyddb.model.pitr import to_seconds
from pyddb.types import size
from pyddb.validation.rules import unsupported

log = logging.getLogger("pyddb.imports")

ITEMS_PER_FILE = 100_000          # items in one export data file (DynamoDB: one file or more per partition)
MANIFEST_VERSION = "2020-06-30"
TIME_MEMBERS = ("StartTime", "EndTime", "ExportTime")
BATCH = 25                        # BatchWriteItem's limit
STOP_CHECK_EVERY = 1_000          # an export checks for a closing database this often (model/exports.py CLOSE)
PROGRESS_EVERY = 10_000           # an import's counters are saved this often (DescribeImport shows progress)
DEFAULT_PAGE = 25                 # ListExports MaxResults / ListImports PageSize: at most 25 (model's max)
CLOUDWATCH_LOG_GROUP = "arn:aws:logs:%s:%s:log-group:/aws-dynamodb/imports:*"


# ---- shared ----------------------------------------------------------------------------------------------


def s3_for(model) -> LocalS3:
    """The local S3 of `model` (WHERE THE FILES GO)."""
    return LocalS3(s3local.root_for(getattr(model, "s3_root", None), model.path))


def _dt(ts: float) -> _datetime.datetime:
    return _datetime.datetime.fromtimestamp(ts, tz=_datetime.timezone.utc)


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + ".%03dZ" % (round(ts * 1000) % 1000)


def _job_id(now: float) -> str:
    return "%014d-%s" % (int(now * 1000), uuid.uuid4().hex[:8])


def _render(record: Dict[str, Any]) -> Dict[str, Any]:
    out = jobs_model.describe(record)
    for k in TIME_MEMBERS:
        if out.get(k) is not None:
            out[k] = _dt(out[k])
    return out


def _same_token(j, kind: str, request: Dict[str, Any], params: Dict[str, Any], conflict) -> Optional[Dict]:
    token = request.get("ClientToken")
    if not token:
        return None
    earlier = j.by_token(kind, token)
    if earlier is None:
        return None
    if earlier.get("_params") != params:
        raise conflict("A request with the same client token was already made with different parameters")
    return earlier


def _page_token(seq: int) -> str:
    return ("%016x" % seq) * 7                     # ImportNextToken: ([0-9a-f]{16})+, at least 112 characters


def _page(records: List[Dict[str, Any]], token: Optional[str],
          limit: Optional[int]) -> Tuple[List, Optional[str]]:
    after = 0
    if token:
        try:
            after = int(token[:16], 16)
        except ValueError:
            after = 0
    rest = [r for r in records if r["_seq"] > after]
    limit = limit or DEFAULT_PAGE
    page = rest[:limit]
    return page, (_page_token(page[-1]["_seq"]) if len(rest) > limit else None)


def _list_page(model, kind: str, request: Dict[str, Any], limit: Optional[int]) -> Tuple[List, Optional[str]]:
    """One page of ListExports/ListImports: the jobs of `kind`, of request's TableArn when it names one."""
    records = jobs_model.jobs(model).all(kind)
    if request.get("TableArn"):
        arn = model.arn(model.table_name(request["TableArn"]))
        records = [r for r in records if r["TableArn"] == arn]
    return _page(records, request.get("NextToken"), limit)


def _jsonable(value: Any) -> Any:
    """A request member as plain data to compare and store (datetimes as epoch seconds)."""
    if isinstance(value, _datetime.datetime):
        return round(to_seconds(value), 3)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


# ---- ExportTableToPointInTime ----------------------------------------------------------------------------

EXPORT_PARAMS = ("TableArn", "ExportTime", "S3Bucket", "S3BucketOwner", "S3Prefix", "S3SseAlgorithm",
                 "S3SseKmsKeyId", "ExportFormat", "ExportType", "IncrementalExportSpecification")


def _pitr_window(model, name: str, now: float, created: float) -> Tuple[float, float]:
    """(earliest, latest) time an export may read; PointInTimeRecoveryUnavailableException when PITR is off.
    Without a DescribeContinuousBackups in this pyddb, the window is the table's life so far, from the second
    it was created (DynamoDB's restore times are to the second)."""
    from pyddb import api

    if not api._LOADED:
        api._load()
    if "DescribeContinuousBackups" not in api.OPERATIONS:
        return float(int(created)), now
    d = api.dispatch(model, "DescribeContinuousBackups", {"TableName": name})["ContinuousBackupsDescription"]
    p = d.get("PointInTimeRecoveryDescription") or {}
    if p.get("PointInTimeRecoveryStatus") != "ENABLED":
        raise PointInTimeRecoveryUnavailableException(
            "Point in time recovery is not enabled for table '%s'" % name)
    earliest = p.get("EarliestRestorableDateTime")
    return (to_seconds(earliest) if earliest is not None else created), now


@operation("ExportTableToPointInTime")
def export_table_to_point_in_time(model, request: Dict[str, Any]) -> Dict[str, Any]:
    j = jobs_model.jobs(model)
    params = {k: _jsonable(request.get(k)) for k in EXPORT_PARAMS}
    earlier = _same_token(j, "export", request, params, ExportConflictException)
    if earlier is not None:
        return {"ExportDescription": _render(earlier)}
    export_format = request.get("ExportFormat") or "DYNAMODB_JSON"
    if export_format not in formats.EXTENSIONS:
        raise unsupported("ExportFormat %s" % export_format)
    if request.get("ExportType", "FULL_EXPORT") != "FULL_EXPORT":
        raise unsupported("ExportType %s" % request["ExportType"])
    name = model.table_name(request["TableArn"])      # a foreign region/account: the error others give
    t = model.tables.get(name)
    if t is None:
        raise TableNotFoundException("Table not found: %s" % request["TableArn"])
    now = j.now()
    earliest, latest = _pitr_window(model, name, now, t.created_at)
    if request.get("ExportTime") is not None:
        at = round(to_seconds(request["ExportTime"]), 3)
        if not earliest <= at <= now:
            raise InvalidExportTimeException(
                "The specified ExportTime is outside of the point in time recovery window.")
    else:                                 # the request's instant (not before the window's first millisecond)
        at = max(now, earliest)
    export_id = _job_id(now)
    table_arn = model.arn(name)
    prefix = request.get("S3Prefix")
    root = "" if not prefix else prefix if prefix.endswith("/") else prefix + "/"
    root += "AWSDynamoDB/%s/" % export_id
    record = {
        "ExportArn": "%s/export/%s" % (table_arn, export_id),
        "ExportStatus": "IN_PROGRESS",
        "StartTime": now,
        "TableArn": table_arn,
        "TableId": t.table_id,
        "ExportTime": at,
        "S3Bucket": request["S3Bucket"],
        "S3SseAlgorithm": request.get("S3SseAlgorithm") or "AES256",
        "ExportFormat": export_format,
        "ExportType": "FULL_EXPORT",
        "_params": params,
        "_token_at": now,
        "_root": root,
    }
    for k in ("ClientToken", "S3BucketOwner", "S3Prefix", "S3SseKmsKeyId"):
        if request.get(k) is not None:
            record[k] = request[k]
    record = j.add("export", record)
    j.start("export", record["ExportArn"], lambda: _run_export(model, t, record, at))
    return {"ExportDescription": _render(record)}


def _run_export(model, t, record: Dict[str, Any], at: float) -> Dict[str, Any]:
    """The export job: _started, the data files, manifest-files, then manifest-summary (EXPORT LAYOUT)."""
    s3 = s3_for(model)
    bucket, root = record["S3Bucket"], record["_root"]
    try:
        s3.create_bucket(bucket)
    except (OSError, NoSuchBucket) as e:
        raise JobFailed("S3NoSuchBucket", "The specified bucket does not exist: %s" % e) from None
    s3.put_object(bucket, root + "_started", b"")
    items = jobs_model.table_items_at(model, t, at)
    encode = formats.ion_item_line if record["ExportFormat"] == "ION" else formats.item_line
    suffix = formats.EXTENSIONS[record["ExportFormat"]]
    files: List[Dict[str, Any]] = []
    count = billed = 0
    lines: List[bytes] = []

    def flush() -> None:
        body = formats.gzip_bytes(b"".join(lines))
        key = "%sdata/%s%s" % (root, s3local.unique_name(), suffix)
        s3.put_object(bucket, key, body)
        files.append({"itemCount": len(lines), "md5Checksum": s3local.content_md5(body),
                      "etag": s3local.etag(body), "dataFileS3Key": key})
        lines.clear()

    j = jobs_model.jobs(model)
    try:
        for item in items:
            lines.append(encode(item))
            count += 1
            billed += size.item_size(item)
            if len(lines) == ITEMS_PER_FILE:
                flush()
            if not count % STOP_CHECK_EVERY:
                j.check_stop()                         # the database is closing: FAILED, no manifest
    finally:
        getattr(items, "close", lambda: None)()        # pitr's scratch copy goes as soon as it is read
    j.check_stop()
    if lines or not files:
        flush()
    end = jobs_model.jobs(model).now()
    manifest_files = "".join(json.dumps(f, separators=(",", ":")) + "\n" for f in files).encode("utf-8")
    s3.put_object(bucket, root + "manifest-files.json", manifest_files)
    s3.put_object(bucket, root + "manifest-files.checksum", s3local.etag(manifest_files).encode())
    summary = {
        "version": MANIFEST_VERSION,
        "exportArn": record["ExportArn"],
        "startTime": _iso(record["StartTime"]),
        "endTime": _iso(end),
        "tableArn": record["TableArn"],
        "tableId": record["TableId"],
        "exportTime": _iso(record["ExportTime"]),
        "s3Bucket": bucket,
        "s3Prefix": record.get("S3Prefix"),
        "s3SseAlgorithm": record["S3SseAlgorithm"],
        "s3SseKmsKeyId": record.get("S3SseKmsKeyId"),
        "manifestFilesS3Key": root + "manifest-files.json",
        "billedSizeBytes": billed,
        "itemCount": count,
        "outputFormat": record["ExportFormat"],
        "exportType": "FULL_EXPORT",
    }
    body = json.dumps(summary, separators=(",", ":")).encode("utf-8")
    s3.put_object(bucket, root + "manifest-summary.json", body)
    s3.put_object(bucket, root + "manifest-summary.checksum", s3local.etag(body).encode())
    return {"ExportManifest": root + "manifest-summary.json", "ItemCount": count, "BilledSizeBytes": billed,
            "EndTime": end}


def _recover_export(model, record: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """An export found IN_PROGRESS at load (the process died): its COMPLETED fields, read back from its
    manifest-summary.json, when that file was written (the export's files are whole), else None."""
    key = record.get("_root", "") + "manifest-summary.json"
    try:
        summary = json.loads(s3_for(model).get_object(record["S3Bucket"], key))
    except (KeyError, NoSuchBucket, OSError, ValueError):
        return None
    if summary.get("exportArn") != record["ExportArn"]:
        return None
    return {"ExportManifest": key, "ItemCount": summary["itemCount"],
            "BilledSizeBytes": summary["billedSizeBytes"], "EndTime": to_seconds(summary["endTime"])}


jobs_model.RECOVER["export"] = _recover_export


@operation("DescribeExport")
def describe_export(model, request: Dict[str, Any]) -> Dict[str, Any]:
    record = jobs_model.jobs(model).get("export", request["ExportArn"])
    if record is None:
        raise ExportNotFoundException("Export not found: %s" % request["ExportArn"])
    return {"ExportDescription": _render(record)}


@operation("ListExports")
def list_exports(model, request: Dict[str, Any]) -> Dict[str, Any]:
    page, token = _list_page(model, "export", request, request.get("MaxResults"))
    out: Dict[str, Any] = {"ExportSummaries": [
        {"ExportArn": r["ExportArn"], "ExportStatus": r["ExportStatus"], "ExportType": r["ExportType"]}
        for r in page]}
    if token:
        out["NextToken"] = token
    return out


# ---- ImportTable -----------------------------------------------------------------------------------------

IMPORT_PARAMS = ("S3BucketSource", "InputFormat", "InputFormatOptions", "InputCompressionType",
                 "TableCreationParameters")
CREATE_MEMBERS = ("TableName", "AttributeDefinitions", "KeySchema", "BillingMode", "ProvisionedThroughput",
                  "OnDemandThroughput", "SSESpecification", "GlobalSecondaryIndexes")


@operation("ImportTable")
def import_table(model, request: Dict[str, Any]) -> Dict[str, Any]:
    from pyddb import api

    j = jobs_model.jobs(model)
    params = {k: _jsonable(request.get(k)) for k in IMPORT_PARAMS}
    earlier = _same_token(j, "import", request, params, ImportConflictException)
    if earlier is not None:
        return {"ImportTableDescription": _render(earlier)}
    if request["InputFormat"] not in ("DYNAMODB_JSON", "CSV", "ION"):
        raise unsupported("InputFormat %s" % request["InputFormat"])
    if request.get("InputCompressionType", "NONE") not in ("GZIP", "NONE"):
        raise unsupported("InputCompressionType %s" % request["InputCompressionType"])
    tcp = request["TableCreationParameters"]
    api.dispatch(model, "CreateTable", {k: tcp[k] for k in CREATE_MEMBERS if tcp.get(k) is not None})
    name = tcp["TableName"]
    t = model.table(name)
    now = j.now()
    table_arn = model.arn(name)
    record = {
        "ImportArn": "%s/import/%s" % (table_arn, _job_id(now)),
        "ImportStatus": "IN_PROGRESS",
        "TableArn": table_arn,
        "TableId": t.table_id,
        "S3BucketSource": dict(request["S3BucketSource"]),
        "ErrorCount": 0,
        "CloudWatchLogGroupArn": CLOUDWATCH_LOG_GROUP % (model.region, model.account_id),
        "InputFormat": request["InputFormat"],
        "InputCompressionType": request.get("InputCompressionType", "NONE"),
        "TableCreationParameters": _jsonable(tcp),
        "StartTime": now,
        "ProcessedSizeBytes": 0,
        "ProcessedItemCount": 0,
        "ImportedItemCount": 0,
        "_params": params,
        "_token_at": now,
    }
    if request.get("ClientToken"):
        record["ClientToken"] = request["ClientToken"]
    if request.get("InputFormatOptions"):
        record["InputFormatOptions"] = _jsonable(request["InputFormatOptions"])
    record = j.add("import", record)
    j.start("import", record["ImportArn"], lambda: _run_import(model, t, record))
    return {"ImportTableDescription": _render(record)}


def _is_export_metadata(key: str) -> bool:
    """An export's own files besides its data (<...>/AWSDynamoDB/<id>/manifest-*, _started)."""
    parts = key.split("/")
    for i in range(len(parts) - 2):
        if parts[i] == "AWSDynamoDB" and parts[i + 2] != "data":
            return True
    return False


class _Importer:
    """Puts items into the new table 25 at a time (BatchWriteItem, wire form), item by item when a batch is
    refused so each bad item counts one error; a key seen twice in a batch starts a new batch (the later
    item wins, as consecutive PutItems would)."""

    def __init__(self, model, record: Dict[str, Any], t) -> None:
        self.model = model
        self.record = record
        self.table = t.name
        self.table_id = t.table_id
        self.keys = list(t.key_names)
        self.batch: List[Dict[str, Any]] = []
        self.seen: set = set()
        self.processed = self.imported = self.errors = 0
        self.bytes = 0
        self._reported = 0

    def error(self, where: str, why: str) -> None:
        self.processed += 1
        self.errors += 1
        log.info("%s: %s: %s", self.record["ImportArn"], where, why)

    def add(self, item: Dict[str, Any]) -> None:
        self.processed += 1
        key = json.dumps([item.get(k) for k in self.keys], sort_keys=True, default=str)
        if key in self.seen or len(self.batch) == BATCH:
            self.flush()
        self.batch.append(item)
        self.seen.add(key)
        if self.processed - self._reported >= PROGRESS_EVERY:
            self._reported = self.processed
            jobs_model.jobs(self.model).update("import", self.record["ImportArn"], **self.counters())

    def _dispatch(self, op: str, request: Dict[str, Any]) -> Dict[str, Any]:
        """`op` on the import's own table: JobFailed when the table of that name is gone or is another
        table (deleted, or deleted and created again: another table_id). The check and the write hold the
        control-plane lock, which DeleteTable and CreateTable take, so no delete comes between them."""
        from pyddb import api

        with self.model.lock:
            current = self.model.tables.get(self.table)
            if current is None or current.table_id != self.table_id:
                raise JobFailed("ResourceNotFoundException",
                                "Table %s was deleted during the import" % self.table)
            return api.dispatch(self.model, op, request, wire=True)

    def flush(self) -> None:
        batch, self.batch, self.seen = self.batch, [], set()
        if not batch:
            return
        jobs_model.jobs(self.model).check_stop()      # the database is closing (model/exports.py CLOSE)
        originals = [formats._encoder.encode(item) for item in batch]   # wire validation converts in place
        requests = [{"PutRequest": {"Item": item}} for item in batch]
        try:
            for _ in range(100):
                out = self._dispatch("BatchWriteItem", {"RequestItems": {self.table: requests}})
                requests = out.get("UnprocessedItems", {}).get(self.table)
                if not requests:
                    self.imported += len(batch)
                    return
                time.sleep(0.01)
        except DynamoDBError:
            pass
        for text in originals:
            try:
                self._dispatch("PutItem", {"TableName": self.table, "Item": json.loads(text)})
                self.imported += 1
            except DynamoDBError as e:
                self.errors += 1
                log.info("%s: item %s: %s: %s", self.record["ImportArn"], text[:200], e.code, e.message)

    def counters(self) -> Dict[str, int]:
        return {"ProcessedItemCount": self.processed, "ImportedItemCount": self.imported,
                "ErrorCount": self.errors, "ProcessedSizeBytes": self.bytes}


def _run_import(model, t, record: Dict[str, Any]) -> Dict[str, Any]:
    s3 = s3_for(model)
    source = record["S3BucketSource"]
    bucket, prefix = source["S3Bucket"], source.get("S3KeyPrefix") or ""
    try:
        keys = [k for k in s3.list_objects(bucket, prefix) if not _is_export_metadata(k)]
    except NoSuchBucket:
        raise JobFailed("S3NoSuchBucket", "The specified bucket does not exist") from None
    if not keys:
        raise JobFailed("S3NoSuchKey", "No objects found under the S3 key prefix %s" % prefix)
    csv_options = (record.get("InputFormatOptions") or {}).get("Csv") or {}
    key_types = _key_types(t)
    importer = _Importer(model, record, t)
    for key in keys:
        with s3.open_object(bucket, key) as f:
            stream = formats.reader(f, record["InputCompressionType"])
            try:
                if record["InputFormat"] == "CSV":
                    _read_csv(importer, key, stream, csv_options, key_types)
                elif record["InputFormat"] == "ION":
                    _read_ion(importer, key, stream)
                else:
                    _read_json(importer, key, stream)
            except formats.READ_ERRORS as e:                      # not gzip, or cut short: skip the rest
                importer.error(key, "cannot read the object: %s" % e)
            importer.bytes += stream.count
    importer.flush()
    return importer.counters()


def _key_types(t) -> Dict[str, str]:
    """The typed columns of a CSV import: the keys of the table and of its indexes."""
    out = {t.hash_key.name: t.hash_key.type}
    if t.range_key:
        out[t.range_key.name] = t.range_key.type
    for ix in t.lsis + t.gsis:
        out[ix.hash_key.name] = ix.hash_key.type
        if ix.range_key:
            out[ix.range_key.name] = ix.range_key.type
    return out


def _read_json(importer: _Importer, key: str, stream) -> None:
    for number, raw in enumerate(stream, 1):
        try:
            item = formats.parse_item_line(raw)
        except formats.FormatError as e:
            importer.error("%s line %d" % (key, number), e.detail)
            continue
        if item is not None:
            importer.add(item)


def _read_ion(importer: _Importer, key: str, stream) -> None:
    for record in formats.ion_records(stream):
        if isinstance(record, formats.IonError):
            importer.error("%s line %d" % (key, record.line), record.detail)
        else:
            importer.add(record[1])


def _read_csv(importer: _Importer, key: str, stream, options: Dict[str, Any],
              key_types: Dict[str, str]) -> None:
    rows = formats.csv_rows(formats.text_lines(stream), options.get("Delimiter") or ",",
                            options.get("HeaderList"))
    for number, row in rows:
        if row is None:
            importer.error("%s line %d" % (key, number), "the row does not fit the header")
            continue
        importer.add(formats.csv_item(row, key_types))


@operation("DescribeImport")
def describe_import(model, request: Dict[str, Any]) -> Dict[str, Any]:
    record = jobs_model.jobs(model).get("import", request["ImportArn"])
    if record is None:
        raise ImportNotFoundException("Import not found: %s" % request["ImportArn"])
    return {"ImportTableDescription": _render(record)}


@operation("ListImports")
def list_imports(model, request: Dict[str, Any]) -> Dict[str, Any]:
    page, token = _list_page(model, "import", request, request.get("PageSize"))
    keys = ("ImportArn", "ImportStatus", "TableArn", "S3BucketSource", "CloudWatchLogGroupArn", "InputFormat",
            "StartTime", "EndTime")
    out: Dict[str, Any] = {"ImportSummaryList": [{k: v for k, v in _render(r).items() if k in keys}
                                                 for r in page]}
    if token:
        out["NextToken"] = token
    return out
