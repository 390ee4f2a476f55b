"""ExportTableToPointInTime / ImportTable and their Describe/List operations, in-process and over HTTP.

An export is read back through ImportTable and compared with its source table; the export directory is
checked against the layout and file formats of DynamoDB's "DynamoDB table export output format" page; CSV
and DynamoDB JSON imports count bad lines without stopping; errors and client tokens as api/exports.py says.
"""
import base64
import datetime
import gzip
import hashlib
import json
import logging
import os
import re
import time
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError
from test_ion_format import GUIDE_TEXT as GUIDE_ION   # the guide's export sample, multi-line

from pyddb.api import exports as api_exports
from pyddb.model import exports as model_exports

BUCKET = "exports-bucket"


# ---- helpers -----------------------------------------------------------------------------------------------


def s3_dir(ddb, bucket=BUCKET):
    return os.path.join(ddb.model.path, "s3", bucket)


def create(ddb, name, hash_type="S", range_type=None, pitr=True, **extra):
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    defs = [{"AttributeName": "pk", "AttributeType": hash_type}]
    if range_type:
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
        defs.append({"AttributeName": "sk", "AttributeType": range_type})
    ddb.create_table(TableName=name, KeySchema=keys, AttributeDefinitions=defs, BillingMode="PAY_PER_REQUEST",
                     **extra)
    if pitr and has_pitr(ddb):
        ddb.update_continuous_backups(TableName=name,
                                      PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    return ddb.describe_table(TableName=name)["Table"]["TableArn"]


def has_pitr(ddb):
    """Whether this pyddb has point-in-time recovery (the backups+PITR work; without it exports read the
    table's current state and need no UpdateContinuousBackups)."""
    from pyddb import api
    api._load()
    return "UpdateContinuousBackups" in api.OPERATIONS


def wait_export(ddb, arn):
    for _ in range(3000):
        d = ddb.describe_export(ExportArn=arn)["ExportDescription"]
        if d["ExportStatus"] != "IN_PROGRESS":
            return d
        time.sleep(0.01)
    raise AssertionError("export %s still in progress" % arn)


def wait_import(ddb, arn):
    for _ in range(3000):
        d = ddb.describe_import(ImportArn=arn)["ImportTableDescription"]
        if d["ImportStatus"] != "IN_PROGRESS":
            return d
        time.sleep(0.01)
    raise AssertionError("import %s still in progress" % arn)


def export(ddb, table_arn, **kw):
    kw.setdefault("S3Bucket", BUCKET)
    d = ddb.export_table_to_point_in_time(TableArn=table_arn, **kw)["ExportDescription"]
    assert d["ExportStatus"] == "IN_PROGRESS"
    done = wait_export(ddb, d["ExportArn"])
    assert done["ExportStatus"] == "COMPLETED", done
    return done


def import_(ddb, name, prefix, fmt="DYNAMODB_JSON", compression="NONE", options=None, hash_type="S",
            range_type=None, bucket=BUCKET, **extra):
    keys = [{"AttributeName": "pk", "KeyType": "HASH"}]
    defs = [{"AttributeName": "pk", "AttributeType": hash_type}]
    if range_type:
        keys.append({"AttributeName": "sk", "KeyType": "RANGE"})
        defs.append({"AttributeName": "sk", "AttributeType": range_type})
    tcp = {"TableName": name, "KeySchema": keys, "AttributeDefinitions": defs,
           "BillingMode": "PAY_PER_REQUEST"}
    tcp.update(extra.pop("tcp", {}))
    kw = dict(S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": prefix}, InputFormat=fmt,
              InputCompressionType=compression, TableCreationParameters=tcp, **extra)
    if options:
        kw["InputFormatOptions"] = options
    d = ddb.import_table(**kw)["ImportTableDescription"]
    assert d["ImportStatus"] == "IN_PROGRESS"
    return wait_import(ddb, d["ImportArn"])


def put_object(ddb, key, data, bucket=BUCKET):
    path = os.path.join(s3_dir(ddb, bucket), *key.split("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def scan_all(ddb, table):
    items, kw = [], {"TableName": table}
    while True:
        page = ddb.scan(**kw)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            break
        kw["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    return sorted(items, key=lambda i: json.dumps(i, sort_keys=True, default=repr))


def normal(items):
    """Items with sets in a canonical order (DynamoDB does not keep a set's order)."""
    def fix(av):
        (t, v), = av.items()
        if t in ("SS", "NS", "BS"):
            return {t: sorted(v)}
        if t == "M":
            return {"M": {k: fix(x) for k, x in v.items()}}
        if t == "L":
            return {"L": [fix(x) for x in v]}
        if t == "B" and not isinstance(v, str):
            return {"B": bytes(v)}
        return av
    return [{k: fix(v) for k, v in i.items()} for i in items]


def code_of(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


ALL_TYPES = [
    {"pk": {"S": "a"}, "sk": {"N": "1"}, "s": {"S": "text é ✓ 𝄞"}, "empty": {"S": ""},
     "n": {"N": "-12.5e3"}, "big": {"N": "1234567890123456789012345678901234567.8"},
     "b": {"B": b"\x00\xffbin"}, "t": {"BOOL": True}, "f": {"BOOL": False}, "nul": {"NULL": True}},
    {"pk": {"S": "a"}, "sk": {"N": "2"}, "ss": {"SS": ["x", "y", "z"]}, "ns": {"NS": ["1", "2.5", "-3"]},
     "bs": {"BS": [b"\x01", b"\x02\x03"]}, "l": {"L": [{"S": "x"}, {"N": "1"}, {"L": []}, {"M": {}}]},
     "m": {"M": {"nested": {"M": {"deep": {"L": [{"NULL": True}, {"BOOL": False}, {"B": b"\x07"}]}}},
                 "set": {"SS": ["q"]}}}},
    {"pk": {"S": "b"}, "sk": {"N": "0.000001"}, "quote": {"S": "line\nbreak \"quoted\" \\ back"}},
] + [{"pk": {"S": "k%03d" % i}, "sk": {"N": str(i)}, "v": {"N": str(i * 7)}} for i in range(40)]


# ---- round trip --------------------------------------------------------------------------------------------


def test_export_imported_back_equals_the_source_table_for_every_attribute_type(ddb):
    arn = create(ddb, "source", "S", "N")
    for item in ALL_TYPES:
        ddb.put_item(TableName="source", Item=item)
    d = export(ddb, arn, S3Prefix="backups/nightly", ClientToken="round-trip")
    assert d["ItemCount"] == len(ALL_TYPES)
    root = d["ExportManifest"].rsplit("/", 1)[0] + "/"
    assert root.startswith("backups/nightly/AWSDynamoDB/")
    imp = import_(ddb, "copy", root, compression="GZIP", range_type="N")
    assert imp["ImportStatus"] == "COMPLETED", imp
    n = len(ALL_TYPES)
    assert (imp["ImportedItemCount"], imp["ProcessedItemCount"], imp["ErrorCount"]) == (n, n, 0)
    assert imp["ProcessedSizeBytes"] > 0
    assert normal(scan_all(ddb, "copy")) == normal(scan_all(ddb, "source"))
    assert len(scan_all(ddb, "copy")) == len(ALL_TYPES)


def test_export_reads_the_table_as_it_was_at_export_time(ddb):
    pitr = pytest.importorskip("pyddb.model.pitr")
    if not hasattr(pitr, "iter_table_at") or not has_pitr(ddb):
        pytest.skip("this pyddb has no point-in-time reads")
    arn = create(ddb, "timed")
    ddb.put_item(TableName="timed", Item={"pk": {"S": "before"}, "v": {"N": "1"}})
    at = int(time.time()) + 1          # a whole second: botocore sends timestamps in whole seconds
    while time.time() < at + 0.01:
        time.sleep(0.01)
    at = datetime.datetime.fromtimestamp(at, datetime.timezone.utc)
    ddb.put_item(TableName="timed", Item={"pk": {"S": "after"}})
    ddb.put_item(TableName="timed", Item={"pk": {"S": "before"}, "v": {"N": "2"}})
    d = export(ddb, arn, ExportTime=at)
    assert d["ItemCount"] == 1
    assert d["ExportTime"] == at
    imp = import_(ddb, "timed_copy", d["ExportManifest"].rsplit("/", 1)[0], compression="GZIP")
    assert scan_all(ddb, "timed_copy") == [{"pk": {"S": "before"}, "v": {"N": "1"}}]
    assert imp["ImportedItemCount"] == 1


# ---- the export's files ------------------------------------------------------------------------------------

SUMMARY_FIELDS = {"version", "exportArn", "startTime", "endTime", "tableArn", "tableId", "exportTime",
                  "s3Bucket", "s3Prefix", "s3SseAlgorithm", "s3SseKmsKeyId", "manifestFilesS3Key",
                  "billedSizeBytes", "itemCount", "outputFormat", "exportType"}
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_export_directory_has_dynamodbs_layout_and_file_formats(ddb, monkeypatch):
    monkeypatch.setattr(api_exports, "ITEMS_PER_FILE", 3)
    arn = create(ddb, "layout", "S", "N")
    for item in ALL_TYPES[:10]:
        ddb.put_item(TableName="layout", Item=item)
    d = export(ddb, arn, S3Prefix="pre")
    table = ddb.describe_table(TableName="layout")["Table"]
    export_id = d["ExportArn"].rsplit("/", 1)[1]
    assert re.fullmatch(r"\d{14}-[0-9a-f]{8}", export_id)
    assert d["ExportArn"] == arn + "/export/" + export_id
    root = "pre/AWSDynamoDB/%s/" % export_id
    assert d["ExportManifest"] == root + "manifest-summary.json"
    assert (d["TableArn"], d["TableId"]) == (arn, table["TableId"])
    assert (d["S3Bucket"], d["S3Prefix"]) == (BUCKET, "pre")
    assert (d["ExportFormat"], d["ExportType"], d["ItemCount"]) == ("DYNAMODB_JSON", "FULL_EXPORT", 10)
    assert d["StartTime"] <= d["EndTime"]

    base = os.path.join(s3_dir(ddb), "pre", "AWSDynamoDB", export_id)
    assert sorted(os.listdir(base)) == ["_started", "data", "manifest-files.checksum", "manifest-files.json",
                                        "manifest-summary.checksum", "manifest-summary.json"]
    assert os.path.getsize(os.path.join(base, "_started")) == 0

    raw_summary = open(os.path.join(base, "manifest-summary.json"), "rb").read()
    summary = json.loads(raw_summary)
    assert set(summary) == SUMMARY_FIELDS
    assert summary["version"] == "2020-06-30"
    assert (summary["exportArn"], summary["tableArn"]) == (d["ExportArn"], arn)
    assert (summary["tableId"], summary["s3Bucket"], summary["s3Prefix"]) == (d["TableId"], BUCKET, "pre")
    assert (summary["outputFormat"], summary["exportType"]) == ("DYNAMODB_JSON", "FULL_EXPORT")
    assert summary["manifestFilesS3Key"] == root + "manifest-files.json"
    assert (summary["itemCount"], summary["billedSizeBytes"]) == (10, d["BilledSizeBytes"])
    assert d["BilledSizeBytes"] > 0
    for k in ("startTime", "endTime", "exportTime"):
        assert ISO.match(summary[k]), summary[k]
    checksum = open(os.path.join(base, "manifest-summary.checksum")).read()
    assert checksum == hashlib.md5(raw_summary).hexdigest()

    raw_files = open(os.path.join(base, "manifest-files.json"), "rb").read()
    assert open(os.path.join(base, "manifest-files.checksum")).read() == hashlib.md5(raw_files).hexdigest()
    entries = [json.loads(line) for line in raw_files.decode().splitlines()]
    assert len(entries) == 4                                   # 10 items, 3 per file
    assert sorted(os.listdir(os.path.join(base, "data"))) == sorted(e["dataFileS3Key"].rsplit("/", 1)[1]
                                                                    for e in entries)
    exported = []
    for e in entries:
        assert set(e) == {"itemCount", "md5Checksum", "etag", "dataFileS3Key"}
        assert re.fullmatch(re.escape(root) + r"data/[a-z2-7]{26}\.json\.gz", e["dataFileS3Key"])
        body = open(os.path.join(s3_dir(ddb), *e["dataFileS3Key"].split("/")), "rb").read()
        assert e["md5Checksum"] == base64.b64encode(hashlib.md5(body).digest()).decode()
        assert e["etag"] == hashlib.md5(body).hexdigest()
        lines = gzip.decompress(body).decode("utf-8").splitlines()
        assert len(lines) == e["itemCount"]
        for line in lines:
            record = json.loads(line)
            assert list(record) == ["Item"]
            exported.append(record["Item"])
    assert sum(e["itemCount"] for e in entries) == 10
    # the files hold what the table holds, with B and BS as base64 and N as strings
    key = lambda i: (i["pk"]["S"], Decimal(i["sk"]["N"]))  # noqa: E731
    want = [file_form(i) for i in scan_all(ddb, "layout")]
    assert normal(sorted(exported, key=key)) == normal(sorted(want, key=key))


def file_form(value):
    """An item as the client returns it -> as an export file holds it (bytes as base64)."""
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if hasattr(value, "value") and isinstance(value.value, bytes):       # boto3's Binary
        return base64.b64encode(value.value).decode()
    if isinstance(value, dict):
        return {k: file_form(v) for k, v in value.items()}
    if isinstance(value, list):
        return [file_form(v) for v in value]
    return value


def test_export_of_an_empty_table_writes_one_empty_data_file_and_no_prefix(ddb):
    arn = create(ddb, "empty_t")
    d = export(ddb, arn)
    assert (d["ItemCount"], d["BilledSizeBytes"]) == (0, 0)
    assert "S3Prefix" not in d
    assert d["ExportManifest"].startswith("AWSDynamoDB/")
    base = os.path.join(s3_dir(ddb), *d["ExportManifest"].split("/")[:-1])
    entries = [json.loads(x) for x in open(os.path.join(base, "manifest-files.json")).read().splitlines()]
    assert [e["itemCount"] for e in entries] == [0]
    assert gzip.decompress(open(os.path.join(s3_dir(ddb), *entries[0]["dataFileS3Key"].split("/")),
                                "rb").read()) == b""
    assert json.load(open(os.path.join(base, "manifest-summary.json")))["s3Prefix"] is None


def test_s3_root_is_configurable(ddb, tmp_path):
    ddb.model.s3_root = str(tmp_path / "elsewhere")
    arn = create(ddb, "rooted")
    ddb.put_item(TableName="rooted", Item={"pk": {"S": "x"}})
    d = export(ddb, arn, S3Bucket="other-bucket")
    where = os.path.join(str(tmp_path / "elsewhere"), "other-bucket", *d["ExportManifest"].split("/"))
    assert os.path.isfile(where)
    assert not os.path.exists(s3_dir(ddb, "other-bucket"))


# ---- imports -----------------------------------------------------------------------------------------------


def test_csv_import_with_header_list_delimiter_and_typed_keys(ddb):
    put_object(ddb, "csv/part-1.csv",
               'u1;10;"Smith; John";3\n'
               'u2;20;"say ""hi""";\n'
               'u3;30;"two\nlines";007\n'.encode())
    put_object(ddb, "csv/part-2.csv", b"u4;40;plain;1.50\n")
    gsi = [{"IndexName": "by_score", "KeySchema": [{"AttributeName": "score", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}]
    d = import_(ddb, "people", "csv/", fmt="CSV", hash_type="S", range_type="N",
                options={"Csv": {"Delimiter": ";", "HeaderList": ["pk", "sk", "name", "score"]}},
                tcp={"AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                              {"AttributeName": "sk", "AttributeType": "N"},
                                              {"AttributeName": "score", "AttributeType": "N"}],
                     "GlobalSecondaryIndexes": gsi})
    assert (d["ImportStatus"], d["ImportedItemCount"], d["ErrorCount"], d["ProcessedItemCount"]) == \
        ("COMPLETED", 4, 0, 4)
    assert d["InputFormatOptions"] == {"Csv": {"Delimiter": ";", "HeaderList": ["pk", "sk", "name", "score"]}}
    got = {i["pk"]["S"]: i for i in scan_all(ddb, "people")}
    assert got["u1"] == {"pk": {"S": "u1"}, "sk": {"N": "10"}, "name": {"S": "Smith; John"},
                         "score": {"N": "3"}}
    assert got["u2"] == {"pk": {"S": "u2"}, "sk": {"N": "20"}, "name": {"S": 'say "hi"'}}  # empty: absent
    assert got["u3"]["name"] == {"S": "two\nlines"} and got["u3"]["score"] == {"N": "7"}
    assert got["u4"]["score"] == {"N": "1.5"}
    q = ddb.query(TableName="people", IndexName="by_score", KeyConditionExpression="score = :s",
                  ExpressionAttributeValues={":s": {"N": "7"}})
    assert [i["pk"]["S"] for i in q["Items"]] == ["u3"]


def test_csv_import_takes_the_header_from_the_first_line_and_gzip(ddb):
    put_object(ddb, "gz/data.csv.gz", gzip.compress(b"pk,color,size\nA,red,10\nB,blue,\n"))
    d = import_(ddb, "colors", "gz/", fmt="CSV", compression="GZIP")
    assert (d["ImportedItemCount"], d["ErrorCount"]) == (2, 0)
    assert d["ProcessedSizeBytes"] == len(b"pk,color,size\nA,red,10\nB,blue,\n")
    assert scan_all(ddb, "colors") == sorted([{"pk": {"S": "A"}, "color": {"S": "red"}, "size": {"S": "10"}},
                                              {"pk": {"S": "B"}, "color": {"S": "blue"}}],
                                             key=lambda i: json.dumps(i, sort_keys=True))


def test_bad_lines_are_counted_and_the_import_goes_on(ddb):
    lines = [
        b'{"Item":{"pk":{"S":"good1"},"v":{"N":"1"}}}',
        b"not json at all",
        b'{"NotItem":{"pk":{"S":"x"}}}',
        b"",                                                          # blank: not an item, not an error
        b'{"Item":{"other":{"S":"no key"}}}',
        b'{"Item":{"pk":{"N":"5"}}}',                                # key of the wrong type
        b'{"Item":{"pk":{"S":"badb"},"b":{"B":"***"}}}',             # not base64
        b'{"Item":{"pk":{"S":"dup"},"v":{"N":"1"}}}',
        b'{"Item":{"pk":{"S":"dup"},"v":{"N":"2"}}}',                # same key: overwrites, no error
        b'{"Item":{"pk":{"S":"good2"},"big":{"S":"' + b"x" * 410_000 + b'"}}}',   # over 400 KB
        b'{"Item":{"pk":{"S":"good3"}}}',
    ]
    put_object(ddb, "bad/a.json", b"\n".join(lines) + b"\n")
    put_object(ddb, "bad/b.json", b'{"Item":{"pk":{"S":"other-file"}}}\n')
    d = import_(ddb, "counted", "bad/")
    assert d["ImportStatus"] == "COMPLETED"
    assert d["ErrorCount"] == 6
    assert d["ProcessedItemCount"] == 11
    assert d["ImportedItemCount"] == 5
    assert [i["pk"]["S"] for i in scan_all(ddb, "counted")] == ["dup", "good1", "good3", "other-file"]
    assert ddb.get_item(TableName="counted", Key={"pk": {"S": "dup"}})["Item"]["v"] == {"N": "2"}


def test_an_object_that_is_not_gzip_counts_one_error_and_the_others_import(ddb):
    put_object(ddb, "mixed/1.json.gz", gzip.compress(b'{"Item":{"pk":{"S":"ok"}}}\n'))
    put_object(ddb, "mixed/2.json.gz", b'{"Item":{"pk":{"S":"plain"}}}\n')
    d = import_(ddb, "mixed_t", "mixed/", compression="GZIP")
    assert (d["ImportStatus"], d["ErrorCount"], d["ImportedItemCount"]) == ("COMPLETED", 1, 1)
    assert [i["pk"]["S"] for i in scan_all(ddb, "mixed_t")] == ["ok"]


def test_import_from_a_missing_bucket_or_an_empty_prefix_fails(ddb):
    d = import_(ddb, "nobucket", "x/", bucket="no-such-bucket")
    assert (d["ImportStatus"], d["FailureCode"]) == ("FAILED", "S3NoSuchBucket")
    assert d["FailureMessage"] == "The specified bucket does not exist"
    put_object(ddb, "somewhere/else.json", b"")
    d = import_(ddb, "noprefix", "nothing-here/")
    assert (d["ImportStatus"], d["FailureCode"]) == ("FAILED", "S3NoSuchKey")
    assert "EndTime" in d


# ---- errors ------------------------------------------------------------------------------------------------


def test_export_errors_with_dynamodbs_types(ddb):
    arn = create(ddb, "nopitr", pitr=False)
    if has_pitr(ddb):
        with pytest.raises(ClientError) as e:
            ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET)
        assert code_of(e) == ("PointInTimeRecoveryUnavailableException",
                              "Point in time recovery is not enabled for table 'nopitr'")
    missing = arn.replace("nopitr", "missing")
    with pytest.raises(ClientError) as e:
        ddb.export_table_to_point_in_time(TableArn=missing, S3Bucket=BUCKET)
    assert code_of(e) == ("TableNotFoundException", "Table not found: %s" % missing)
    arn = create(ddb, "withpitr")
    future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)
    for when in (future, datetime.datetime(2001, 1, 1, tzinfo=datetime.timezone.utc)):
        with pytest.raises(ClientError) as e:
            ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET, ExportTime=when)
        assert code_of(e) == ("InvalidExportTimeException",
                              "The specified ExportTime is outside of the point in time recovery window.")
    with pytest.raises(ClientError) as e:
        ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket="/etc")
    assert code_of(e) == ("ValidationException",
                          "1 validation error detected: Value '/etc' at 's3Bucket' failed to satisfy "
                          "constraint: Member must satisfy regular expression pattern: "
                          "^[a-z0-9A-Z]+[\\.\\-\\w]*[a-z0-9A-Z]+$")
    with pytest.raises(ClientError) as e:
        ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET, ExportType="INCREMENTAL_EXPORT")
    assert code_of(e) == ("ValidationException", "pyddb does not support ExportType INCREMENTAL_EXPORT yet")
    assert ddb.list_exports()["ExportSummaries"] == []          # nothing was started
    assert not os.path.exists(s3_dir(ddb))
    with pytest.raises(ClientError) as e:
        ddb.describe_export(ExportArn=arn + "/export/01234567890123-abcdef12")
    assert code_of(e) == ("ExportNotFoundException",
                          "Export not found: %s/export/01234567890123-abcdef12" % arn)
    with pytest.raises(ClientError) as e:
        ddb.describe_import(ImportArn=arn + "/import/01234567890123-abcdef12")
    assert code_of(e) == ("ImportNotFoundException",
                          "Import not found: %s/import/01234567890123-abcdef12" % arn)


def test_import_into_an_existing_table_is_refused_and_starts_nothing(ddb):
    create(ddb, "exists", pitr=False)
    with pytest.raises(ClientError) as e:
        ddb.import_table(S3BucketSource={"S3Bucket": BUCKET}, InputFormat="DYNAMODB_JSON",
                         TableCreationParameters={"TableName": "exists",
                                                  "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                                                  "AttributeDefinitions": [{"AttributeName": "pk",
                                                                            "AttributeType": "S"}],
                                                  "BillingMode": "PAY_PER_REQUEST"})
    assert code_of(e) == ("ResourceInUseException", "Table already exists: exists")
    assert ddb.list_imports()["ImportSummaryList"] == []


# ---- client tokens, lists, restarts ------------------------------------------------------------------------


def test_client_token_makes_export_and_import_idempotent(ddb):
    arn = create(ddb, "tokens")
    ddb.put_item(TableName="tokens", Item={"pk": {"S": "a"}})
    first = export(ddb, arn, S3Prefix="p", ClientToken="tok-1")
    again = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET, S3Prefix="p",
                                              ClientToken="tok-1")["ExportDescription"]
    assert again["ExportArn"] == first["ExportArn"] and again["ExportStatus"] == "COMPLETED"
    assert len(ddb.list_exports()["ExportSummaries"]) == 1
    with pytest.raises(ClientError) as e:
        ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET, S3Prefix="q", ClientToken="tok-1")
    assert code_of(e)[0] == "ExportConflictException"

    root = first["ExportManifest"].rsplit("/", 1)[0]
    imp = import_(ddb, "tokens_copy", root, compression="GZIP", ClientToken="itok")
    same = ddb.import_table(S3BucketSource={"S3Bucket": BUCKET, "S3KeyPrefix": root},
                            InputFormat="DYNAMODB_JSON",
                            InputCompressionType="GZIP", ClientToken="itok",
                            TableCreationParameters=imp["TableCreationParameters"])["ImportTableDescription"]
    assert same["ImportArn"] == imp["ImportArn"]               # not ResourceInUse: the same request again
    with pytest.raises(ClientError) as e:
        ddb.import_table(S3BucketSource={"S3Bucket": BUCKET, "S3KeyPrefix": "other"},
                         InputFormat="DYNAMODB_JSON",
                         InputCompressionType="GZIP", ClientToken="itok",
                         TableCreationParameters=imp["TableCreationParameters"])
    assert code_of(e)[0] == "ImportConflictException"
    assert len(ddb.list_imports()["ImportSummaryList"]) == 1


def test_list_exports_and_imports_page_and_filter_by_table(ddb):
    a = create(ddb, "list_a")
    b = create(ddb, "list_b")
    arns = [export(ddb, a)["ExportArn"], export(ddb, b)["ExportArn"], export(ddb, a)["ExportArn"]]
    page = ddb.list_exports(MaxResults=2)
    assert [s["ExportArn"] for s in page["ExportSummaries"]] == arns[:2]
    assert all(s["ExportStatus"] == "COMPLETED" and s["ExportType"] == "FULL_EXPORT"
               for s in page["ExportSummaries"])
    rest = ddb.list_exports(MaxResults=2, NextToken=page["NextToken"])
    assert [s["ExportArn"] for s in rest["ExportSummaries"]] == arns[2:] and "NextToken" not in rest
    assert [s["ExportArn"] for s in ddb.list_exports(TableArn=a)["ExportSummaries"]] == [arns[0], arns[2]]

    put_object(ddb, "in/x.json", b'{"Item":{"pk":{"S":"1"}}}\n')
    imports = [import_(ddb, "imp_%d" % i, "in/")["ImportArn"] for i in range(3)]
    page = ddb.list_imports(PageSize=2)
    assert [s["ImportArn"] for s in page["ImportSummaryList"]] == imports[:2]
    assert re.fullmatch(r"([0-9a-f]{16}){7,}", page["NextToken"])
    s = page["ImportSummaryList"][0]
    assert set(s) == {"ImportArn", "ImportStatus", "TableArn", "S3BucketSource", "CloudWatchLogGroupArn",
                      "InputFormat", "StartTime", "EndTime"}
    rest = ddb.list_imports(PageSize=2, NextToken=page["NextToken"])
    assert [s["ImportArn"] for s in rest["ImportSummaryList"]] == imports[2:]
    only = ddb.list_imports(TableArn=ddb.describe_table(TableName="imp_1")["Table"]["TableArn"])
    assert [s["ImportArn"] for s in only["ImportSummaryList"]] == [imports[1]]


def test_jobs_survive_a_reopen_and_an_interrupted_job_is_failed(ddb, reopen):
    arn = create(ddb, "durable")
    done = export(ddb, arn)
    j = model_exports.jobs(ddb.model)
    j.add("export", {"ExportArn": arn + "/export/00000000000001-00000000", "ExportStatus": "IN_PROGRESS",
                     "ExportType": "FULL_EXPORT", "TableArn": arn, "StartTime": 1.0})
    ddb = reopen(ddb)
    kept = ddb.describe_export(ExportArn=done["ExportArn"])["ExportDescription"]
    assert kept["ExportStatus"] == "COMPLETED" and kept["ItemCount"] == 0
    cut = ddb.describe_export(ExportArn=arn + "/export/00000000000001-00000000")["ExportDescription"]
    assert (cut["ExportStatus"], cut["FailureCode"]) == ("FAILED", "UNKNOWN")
    assert cut["FailureMessage"] == model_exports.INTERRUPTED
    assert [s["ExportArn"] for s in ddb.list_exports()["ExportSummaries"]] == [
        done["ExportArn"], arn + "/export/00000000000001-00000000"]
    ddb.close()


def test_close_stops_a_running_export_which_is_failed_and_writes_no_manifest(ddb, reopen, monkeypatch,
                                                                                  caplog):
    """close() stops the export job and joins it before the engine closes (model/exports.py CLOSE): the
    job records FAILED itself, logs nothing at ERROR, and wrote no manifest-summary.json."""
    import threading
    arn = create(ddb, "closing")
    for i in range(0, api_exports.STOP_CHECK_EVERY + 50, 25):
        ddb.batch_write_item(RequestItems={"closing": [{"PutRequest": {"Item": {"pk": {"S": "k%05d" % k}}}}
                                                       for k in range(i, i + 25)]})
    started = threading.Event()
    real = model_exports.table_items_at

    def slow(model, t, at):
        for n, item in enumerate(real(model, t, at)):
            if n == 0:
                started.set()
                model_exports.jobs(model).stopping.wait(10)     # go on once close() has begun
            yield item
    monkeypatch.setattr(model_exports, "table_items_at", slow)
    d = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET)["ExportDescription"]
    assert started.wait(10)
    bucket = s3_dir(ddb)
    ddb = reopen(ddb)
    assert not [t for t in threading.enumerate() if t.name == "pyddb-export"]
    assert not [r for r in caplog.records if r.levelno >= 40 and r.name.startswith("pyddb")]
    cut = ddb.describe_export(ExportArn=d["ExportArn"])["ExportDescription"]
    assert (cut["ExportStatus"], cut["FailureCode"], cut["FailureMessage"]) == (
        "FAILED", "UNKNOWN", model_exports.INTERRUPTED)
    names = [n for _, _, files in os.walk(bucket) for n in files]
    assert "_started" in names and "manifest-summary.json" not in names
    ddb.close()


def test_an_export_found_in_progress_with_its_manifest_summary_written_is_completed(ddb, reopen):
    """A crash after the last file but before the record's update: at reopen the export is COMPLETED from
    its manifest-summary.json (RECOVER), not FAILED."""
    arn = create(ddb, "crashed")
    ddb.put_item(TableName="crashed", Item={"pk": {"S": "a"}, "v": {"S": "x" * 10}})
    done = export(ddb, arn)
    j = model_exports.jobs(ddb.model)
    rec = dict(j.get("export", done["ExportArn"]), ExportStatus="IN_PROGRESS")
    for k in ("ItemCount", "BilledSizeBytes", "ExportManifest", "EndTime"):
        rec.pop(k)
    j._save("export", rec)
    ddb = reopen(ddb)
    again = ddb.describe_export(ExportArn=done["ExportArn"])["ExportDescription"]
    assert again["ExportStatus"] == "COMPLETED"
    for k in ("ItemCount", "BilledSizeBytes", "ExportManifest", "EndTime"):
        assert again[k] == done[k], k
    ddb.close()


@pytest.mark.parametrize("recreate", [False, True])
def test_an_import_whose_table_is_deleted_fails_and_never_writes_a_new_table_of_that_name(ddb, monkeypatch,
                                                                                           recreate):
    """The import writes to its own table (table_id), not to whatever table has the name: deleted
    midway, the import is FAILED (not COMPLETED with an error per remaining item); deleted and created
    again, the new table gets nothing."""
    body = b"".join(b'{"Item":{"pk":{"S":"k%03d"}}}\n' % i for i in range(200))
    put_object(ddb, "del/items.json", body)
    real = api_exports.formats.parse_item_line
    seen = []

    def deleting(raw):
        seen.append(raw)
        if len(seen) == 100:                    # after a few batches were written
            ddb.delete_table(TableName="doomed")
            if recreate:
                create(ddb, "doomed", pitr=False)
        return real(raw)
    monkeypatch.setattr(api_exports.formats, "parse_item_line", deleting)
    d = import_(ddb, "doomed", "del/")
    assert (d["ImportStatus"], d["FailureCode"]) == ("FAILED", "ResourceNotFoundException")
    assert d["FailureMessage"] == "Table doomed was deleted during the import"
    if recreate:
        assert scan_all(ddb, "doomed") == []


def test_an_export_without_export_time_holds_the_table_as_it_was_at_the_request(ddb, monkeypatch):
    """No ExportTime: ExportTime is the request's instant and the export is the table then (read through
    PITR), not the table when the job gets to read it; writes made meanwhile do not wait for the export."""
    import threading
    arn = create(ddb, "moving")
    for i in range(30):
        ddb.put_item(TableName="moving", Item={"pk": {"S": "k%02d" % i}, "v": {"N": "0"}})
    go = threading.Event()
    real = api_exports.LocalS3.create_bucket

    def held(self, bucket):
        assert go.wait(10)
        return real(self, bucket)
    monkeypatch.setattr(api_exports.LocalS3, "create_bucket", held)
    d = ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET)["ExportDescription"]
    time.sleep(0.01)                           # past ExportTime's millisecond
    ddb.put_item(TableName="moving", Item={"pk": {"S": "k00"}, "v": {"N": "1"}})
    ddb.put_item(TableName="moving", Item={"pk": {"S": "new"}})
    ddb.delete_item(TableName="moving", Key={"pk": {"S": "k01"}})
    go.set()
    done = wait_export(ddb, d["ExportArn"])
    assert done["ExportStatus"] == "COMPLETED", done
    assert done["ExportTime"] == d["StartTime"] and done["ItemCount"] == 30
    prefix = done["ExportManifest"].rsplit("/", 1)[0] + "/"
    back = import_(ddb, "moving_copy", prefix, compression="GZIP")
    assert back["ImportedItemCount"] == 30
    assert scan_all(ddb, "moving_copy") == sorted(
        [{"pk": {"S": "k%02d" % i}, "v": {"N": "0"}} for i in range(30)],
        key=lambda i: json.dumps(i, sort_keys=True, default=repr))


def test_the_operation_layer_leaves_compression_digests_and_names_to_pyddb_io():
    """Layering (docs/export-import.md): api/exports.py imports no file, compression or digest module;
    GZIP, the MD5s and the random data file names are pyddb.io's."""
    import ast
    import io as _io
    from pyddb.io import formats, s3local
    tree = ast.parse(open(api_exports.__file__, encoding="utf-8").read())
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not imported & {"gzip", "zlib", "hashlib", "base64", "os", "shutil", "io", "tempfile"}
    body = formats.gzip_bytes(b"a\nbc\n")
    assert body == formats.gzip_bytes(b"a\nbc\n") and gzip.decompress(body) == b"a\nbc\n"
    r = formats.reader(_io.BytesIO(body), "GZIP")
    assert list(r) == [b"a\n", b"bc\n"] and r.count == 5
    with pytest.raises(formats.READ_ERRORS):
        list(formats.reader(_io.BytesIO(b"not gzip"), "GZIP"))
    assert formats.reader(_io.BytesIO(b"x\n")).read() == b"x\n"
    names = {s3local.unique_name() for _ in range(50)}
    assert len(names) == 50 and all(re.fullmatch(r"[a-z2-7]{26}", n) for n in names)
    assert s3local.etag(b"abc") == hashlib.md5(b"abc").hexdigest()
    assert s3local.content_md5(b"abc") == base64.b64encode(hashlib.md5(b"abc").digest()).decode()


# ---- ION ---------------------------------------------------------------------------------------------------

EDGE = [
    {"pk": {"S": "edge"}, "sk": {"N": "3"}, "max": {"N": "9.9999999999999999999999999999999999999E+125"},
     "min": {"N": "-1E-130"}, "digits": {"N": "0.12345678901234567890123456789012345678"},
     "zero": {"N": "0"}, "six": {"N": "600"}, "e": {"S": ""}, "eb": {"B": b""}, "odd name-1": {"S": "q"},
     "null": {"L": [{"SS": [""]}, {"NS": ["-0.5", "1E+100"]}, {"BS": [b"", b"\xff"]}]}},
]


def ion_items(body):
    """The wire items of an ION data file body (pyddb's reader; the format tests check it against the
    reference implementation)."""
    from pyddb.io import ion
    out = list(ion.records(body.splitlines(True)))
    assert not [r for r in out if isinstance(r, ion.IonError)], out
    return [item for _, item in out]


def as_wire(items):
    """Items as the client returns them -> the wire form with numbers as Decimals (B/BS base64)."""
    def fix(av):
        (t, v), = av.items()
        if t == "N":
            return {t: Decimal(v)}
        if t == "NS":
            return {t: sorted(Decimal(x) for x in v)}
        if t in ("SS", "BS"):
            return {t: sorted(file_form(v))}
        if t == "L":
            return {t: [fix(x) for x in v]}
        if t == "M":
            return {t: {k: fix(x) for k, x in v.items()}}
        return {t: file_form(v)}
    return sorted(({k: fix(v) for k, v in i.items()} for i in items),
                  key=lambda i: json.dumps(i, sort_keys=True, default=str))


def test_ion_export_has_dynamodbs_layout_and_lines_that_read_back_as_the_table(ddb, monkeypatch):
    monkeypatch.setattr(api_exports, "ITEMS_PER_FILE", 4)
    arn = create(ddb, "ion_layout", "S", "N")
    for item in ALL_TYPES[:9] + EDGE:
        ddb.put_item(TableName="ion_layout", Item=item)
    d = export(ddb, arn, S3Prefix="ion", ExportFormat="ION")
    assert (d["ExportFormat"], d["ItemCount"]) == ("ION", 10)
    root = d["ExportManifest"].rsplit("/", 1)[0] + "/"
    base = os.path.join(s3_dir(ddb), *root.split("/"))
    summary = json.load(open(os.path.join(base, "manifest-summary.json")))
    assert set(summary) == SUMMARY_FIELDS
    assert (summary["outputFormat"], summary["itemCount"]) == ("ION", 10)
    entries = [json.loads(x) for x in open(os.path.join(base, "manifest-files.json")).read().splitlines()]
    assert [e["itemCount"] for e in entries] == [4, 4, 2]
    exported = []
    for e in entries:
        assert re.fullmatch(re.escape(root) + r"data/[a-z2-7]{26}\.ion\.gz", e["dataFileS3Key"])
        body = open(os.path.join(s3_dir(ddb), *e["dataFileS3Key"].split("/")), "rb").read()
        assert e["md5Checksum"] == base64.b64encode(hashlib.md5(body).digest()).decode()
        text = gzip.decompress(body)
        lines = text.decode("utf-8").splitlines()
        assert len(lines) == e["itemCount"]
        assert all(x.startswith("$ion_1_0 {Item:{") and x.endswith("}}") for x in lines)
        exported += ion_items(text)
    assert as_wire(exported) == as_wire(scan_all(ddb, "ion_layout"))
    edge_line = [x for x in gzip.decompress(b"".join(
        open(os.path.join(s3_dir(ddb), *e["dataFileS3Key"].split("/")), "rb").read() for e in entries
    )).decode().splitlines() if 'pk:"edge"' in x]
    assert len(edge_line) == 1
    for part in ("max:99999999999999999999999999999999999999d88", "min:-1d-130",
                 "digits:1.2345678901234567890123456789012345678d-1", "zero:0.", "six:6d2", 'e:""',
                 "eb:{{}}", "'odd name-1':\"q\"", "'null':[$dynamodb_SS::[\"\"],",
                 "$dynamodb_BS::[{{}},{{/w==}}]"):
        assert part in edge_line[0], part


@pytest.mark.parametrize("compression", ["GZIP", "NONE"])
def test_ion_export_imported_back_as_ion_equals_the_source(ddb, compression):
    arn = create(ddb, "ion_src", "S", "N")
    for item in ALL_TYPES + EDGE:
        ddb.put_item(TableName="ion_src", Item=item)
    d = export(ddb, arn, ExportFormat="ION")
    root = d["ExportManifest"].rsplit("/", 1)[0] + "/"
    if compression == "NONE":                 # the same data, unpacked: aws s3 cp + gunzip before an import
        for key in [k for k in os.listdir(os.path.join(s3_dir(ddb), *root.split("/"), "data"))]:
            path = os.path.join(s3_dir(ddb), *root.split("/"), "data", key)
            put_object(ddb, "plain/" + key[:-3], gzip.decompress(open(path, "rb").read()))
        root = "plain/"
    imp = import_(ddb, "ion_copy", root, fmt="ION", compression=compression, range_type="N")
    n = len(ALL_TYPES + EDGE)
    assert (imp["ImportStatus"], imp["InputFormat"]) == ("COMPLETED", "ION")
    assert (imp["ImportedItemCount"], imp["ProcessedItemCount"], imp["ErrorCount"]) == (n, n, 0)
    assert normal(scan_all(ddb, "ion_copy")) == normal(scan_all(ddb, "ion_src"))




@pytest.mark.parametrize("compression", ["GZIP", "NONE"])
def test_hand_written_ion_in_the_guides_sample_forms_imports(ddb, compression):
    """The guide's export sample (one item over several lines) and its import sample (items in a list),
    as a person would write them."""
    listed = "$ion_1_0\n[\n" + ",\n".join(
        "  {\n    Item:{\n      Authors:$dynamodb_SS::[\"Author1\",\"Author2\"],\n      Id:%d.,\n"
        "      InPublication:false,\n      PageCount:6d2,\n      Price:2d3\n    }\n  }" % n
        for n in (104, 105)) + "\n]\n"
    pack = gzip.compress if compression == "GZIP" else (lambda b: b)
    put_object(ddb, "books/1.ion", pack(GUIDE_ION.encode()))
    put_object(ddb, "books/2.ion", pack(listed.encode()))
    d = import_(ddb, "books", "books/", fmt="ION", compression=compression, hash_type="N",
                tcp={"KeySchema": [{"AttributeName": "Id", "KeyType": "HASH"}],
                     "AttributeDefinitions": [{"AttributeName": "Id", "AttributeType": "N"}]})
    assert (d["ImportStatus"], d["ImportedItemCount"], d["ErrorCount"]) == ("COMPLETED", 3, 0)
    assert d["ProcessedSizeBytes"] == len(GUIDE_ION) + len(listed)
    got = {i["Id"]["N"]: i for i in scan_all(ddb, "books")}
    assert got["103"] == {"Authors": {"SS": ["Author1", "Author2"]}, "Dimensions": {"S": "8.5 x 11.0 x 1.5"},
                          "ISBN": {"S": "333-3333333333"}, "Id": {"N": "103"},
                          "InPublication": {"BOOL": False},
                          "PageCount": {"N": "600"}, "Price": {"N": "2000"}, "ProductCategory": {"S": "Book"},
                          "Title": {"S": "Book 103 Title"}}
    assert got["105"] == {"Authors": {"SS": ["Author1", "Author2"]}, "Id": {"N": "105"},
                          "InPublication": {"BOOL": False}, "PageCount": {"N": "600"}, "Price": {"N": "2000"}}


@pytest.mark.parametrize("compression", ["GZIP", "NONE"])
def test_bad_ion_records_are_counted_and_the_import_goes_on(ddb, compression):
    lines = [
        b'$ion_1_0 {Item:{pk:"good1",v:1.}}',
        b'$ion_1_0 {Item:{pk:"cut short"',                           # syntax: one error, next line read
        b'$ion_1_0 {NotItem:{pk:"x"}}',                              # not {Item:...}
        b"not ion at all",                                           # garbage
        b'$ion_1_0 {Item:{other:"no key"}}',                         # no key: PutItem refuses it
        b'$ion_1_0 {Item:{pk:5.}}',                                  # key of the wrong type
        b'$ion_1_0 {Item:{pk:"f",n:1.5e0}}',                         # an Ion float
        b'$ion_1_0 {Item:{pk:"n",n:1234567890123456789012345678901234567890.}}',   # 40 digits
        b'$ion_1_0 {Item:{pk:"u",s:"\xff"}}',                        # not UTF-8
        b'$ion_1_0 {Item:{pk:"dup",v:1.}}',
        b'$ion_1_0 {Item:{pk:"dup",v:2.}}',                          # same key: overwrites, no error
        b'',
        b'$ion_1_0 {Item:{pk:"good2",ss:$dynamodb_SS::["a"]}}',
    ]
    pack = gzip.compress if compression == "GZIP" else (lambda b: b)
    put_object(ddb, "badion/a.ion", pack(b"\n".join(lines) + b"\n"))
    put_object(ddb, "badion/b.ion", pack(b'$ion_1_0 {Item:{pk:"other-file"}}\n'))
    if compression == "GZIP":
        put_object(ddb, "badion/c.ion", b'$ion_1_0 {Item:{pk:"not gzip"}}\n')     # one error, skipped
    d = import_(ddb, "ion_counted", "badion/", fmt="ION", compression=compression)
    assert d["ImportStatus"] == "COMPLETED"
    bad = 8 + (compression == "GZIP")
    assert (d["ErrorCount"], d["ProcessedItemCount"], d["ImportedItemCount"]) == (bad, bad + 5, 5)
    assert [i["pk"]["S"] for i in scan_all(ddb, "ion_counted")] == ["dup", "good1", "good2", "other-file"]
    assert ddb.get_item(TableName="ion_counted", Key={"pk": {"S": "dup"}})["Item"]["v"] == {"N": "2"}


def test_a_deep_or_huge_ion_record_is_one_error_as_in_dynamodb_json_and_the_rest_imports(ddb, caplog):
    """A record nested thousands deep (past Python's recursion limit) or holding an integer of 5000 digits
    (past int()'s limit) is one error of its record, as the same record in DYNAMODB_JSON is; the 5000 digits
    get the very error the JSON importer's PutItem gives; a keyword as a field name and a record after an
    unsupported version marker are errors and import nothing."""
    deep = 3000
    ion_lines = [
        '$ion_1_0 {Item:{pk:"a"}}',
        '$ion_1_0 {Item:{pk:"deep",x:%s%s}}' % ("[" * deep, "]" * deep),
        '$ion_1_0 {Item:{pk:"huge",x:%s}}' % ("9" * 5000),
        '$ion_1_0 {Item:{pk:"digits39",x:%s}}' % ("1" * 39),
        '$ion_1_0 {Item:{pk:"kw",true:"a"}}',
        '$ion_1_1 {Item:{pk:"v11"}}',
        '$ion_1_0 {Item:{pk:"b",x:%s}}' % ("1" * 38),
    ]
    json_lines = [
        '{"Item":{"pk":{"S":"a"}}}',
        '{"Item":{"pk":{"S":"deep"},"x":%s{"L":[]}%s}}' % ('{"L":[' * deep, "]}" * deep),
        '{"Item":{"pk":{"S":"huge"},"x":{"N":"%s"}}}' % ("9" * 5000),
        '{"Item":{"pk":{"S":"digits39"},"x":{"N":"%s"}}}' % ("1" * 39),
        '{"Item":{"pk":{"S":"b"},"x":{"N":"%s"}}}' % ("1" * 38),
    ]
    put_object(ddb, "deep_ion/1.ion", "\n".join(ion_lines).encode() + b"\n")
    put_object(ddb, "deep_json/1.json", "\n".join(json_lines).encode() + b"\n")
    reasons = {}
    for fmt, prefix, errors in (("ION", "deep_ion/", 5), ("DYNAMODB_JSON", "deep_json/", 3)):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="pyddb.imports"):
            d = import_(ddb, "deep_" + fmt.lower(), prefix, fmt=fmt)
        assert (d["ImportStatus"], d["ErrorCount"], d["ImportedItemCount"], d["ProcessedItemCount"]) == \
            ("COMPLETED", errors, 2, errors + 2), fmt
        assert [i["pk"]["S"] for i in scan_all(ddb, "deep_" + fmt.lower())] == ["a", "b"]
        reasons[fmt] = sorted(re.search(r": (ValidationException: .*)\Z", r.getMessage()).group(1)
                              for r in caplog.records if re.search('"(huge|digits39)"', r.getMessage()))
    assert reasons["ION"] == reasons["DYNAMODB_JSON"] == sorted([
        "ValidationException: Number overflow. Attempting to store a number with magnitude larger than "
        "supported range",
        "ValidationException: Attempting to store more than 38 significant digits in a Number"])


@pytest.mark.parametrize("arn, expected", [
    ("arn:aws:dynamodb:eu-west-1:000000000000:table/arn_t",
     ("ValidationException", "1 validation error detected: Invalid AWS region in "
      "'arn:aws:dynamodb:eu-west-1:000000000000:table/arn_t'")),
    ("arn:aws:dynamodb:us-east-1:111111111111:table/arn_t", ("AccessDeniedException", "Access is denied")),
])
def test_a_table_arn_of_another_region_or_account_gets_the_error_other_operations_give(ddb, arn, expected):
    create(ddb, "arn_t")
    assert ddb.describe_table(TableName="arn_t")["Table"]["TableArn"] == arn.replace(
        "eu-west-1", "us-east-1").replace("111111111111", "000000000000")
    with pytest.raises(ClientError) as e:
        ddb.put_item(TableName=arn, Item={"pk": {"S": "x"}})
    assert code_of(e) == expected                                # what other operations give
    with pytest.raises(ClientError) as e:
        ddb.export_table_to_point_in_time(TableArn=arn, S3Bucket=BUCKET)
    assert code_of(e) == expected
    with pytest.raises(ClientError) as e:
        ddb.list_exports(TableArn=arn)
    assert code_of(e) == expected
    assert ddb.list_exports()["ExportSummaries"] == []
    assert not os.path.exists(s3_dir(ddb))
