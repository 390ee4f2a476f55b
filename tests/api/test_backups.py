"""On-demand backups in DynamoDB's terms: CreateBackup, DescribeBackup, ListBackups, DeleteBackup,
RestoreTableFromBackup (api/backups.py, model/backups.py), in-process and over HTTP.

What is proven here: each operation's response shape (botocore's parser accepts it) and errors with their
texts; a restored table holds exactly the backup's items and correct index entries, with the overrides
applied; a backup taken while a writer thread runs equals the table after some prefix of the writer's
acknowledged writes (model/backups.py K1); backups survive a reopen; nothing is changed by a refused request.
"""
import datetime
import random
import re
import threading
import time

import pytest
from test_table_helpers import HASH_RANGE, ON_DEMAND, PT, assert_botocore_shape, attrs, gsi, lsi, scan_all, table

ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/"
BACKUP_ARN = re.compile(r"arn:aws:dynamodb:us-east-1:000000000000:table/(.+)/backup/(\d{14})-[0-9a-f]{8}")


def code_and_message(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def indexed_table(ddb, name="src", **more):
    request = table(
        name,
        HASH_RANGE,
        AttributeDefinitions=attrs(("pk", "S"), ("sk", "N"), ("g", "S"), ("l", "N")),
        GlobalSecondaryIndexes=[gsi("by_g", "g", projection={"ProjectionType": "ALL"}, throughput=PT)],
        LocalSecondaryIndexes=[lsi("by_l", "l", projection={"ProjectionType": "KEYS_ONLY"})],
        **more,
    )
    ddb.create_table(**request)


def item(i, **extra):
    out = {"pk": {"S": "p%d" % (i % 7)}, "sk": {"N": str(i)}, "v": {"S": "value %d" % i}}
    if i % 2 == 0:
        out["g"] = {"S": "g%d" % (i % 3)}
    if i % 3 == 0:
        out["l"] = {"N": str(100 - i)}
    out.update(extra)
    return out


def put_all(ddb, name, items):
    for i in range(0, len(items), 25):
        ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": it}} for it in items[i:i + 25]]})


def key_of(it):
    return (it["pk"]["S"], it["sk"]["N"])


def by_key(items):
    return {key_of(it): it for it in items}


def query_index(ddb, name, index, cond, values):
    return ddb.query(TableName=name, IndexName=index, KeyConditionExpression=cond,
                     ExpressionAttributeValues=values)["Items"]


# =========================================================================================================
# the happy path of every operation
# =========================================================================================================


def test_backup_describe_list_restore_delete(ddb):
    indexed_table(ddb)
    items = [item(i) for i in range(40)]
    put_all(ddb, "src", items)
    before = time.time()
    created = ddb.create_backup(TableName="src", BackupName="first-backup")
    assert_botocore_shape("CreateBackup", created)
    details = created["BackupDetails"]
    m = BACKUP_ARN.fullmatch(details["BackupArn"])
    assert m and m.group(1) == "src"
    assert details["BackupName"] == "first-backup"
    assert details["BackupStatus"] == "CREATING" and details["BackupSizeBytes"] == 0
    assert details["BackupType"] == "USER"
    assert abs(details["BackupCreationDateTime"].timestamp() - before) < 30
    assert abs(int(m.group(2)) / 1000 - details["BackupCreationDateTime"].timestamp()) < 0.002
    arn = details["BackupArn"]

    # later writes are not in the backup
    ddb.put_item(TableName="src", Item=item(1000))
    ddb.delete_item(TableName="src", Key={"pk": {"S": "p0"}, "sk": {"N": "0"}})
    ddb.put_item(TableName="src", Item=item(2, v={"S": "changed"}))

    described = ddb.describe_backup(BackupArn=arn)
    assert_botocore_shape("DescribeBackup", described)
    d = described["BackupDescription"]
    assert d["BackupDetails"]["BackupStatus"] == "AVAILABLE"
    assert d["BackupDetails"]["BackupSizeBytes"] > 0
    assert d["BackupDetails"]["BackupCreationDateTime"] == details["BackupCreationDateTime"]
    source = d["SourceTableDetails"]
    assert source["TableName"] == "src" and source["TableArn"] == ARN + "src"
    assert source["ItemCount"] == 40
    assert source["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"},
                                   {"AttributeName": "sk", "KeyType": "RANGE"}]
    assert source["ProvisionedThroughput"] == {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    assert source["BillingMode"] == "PROVISIONED"
    assert source["TableId"] == ddb.describe_table(TableName="src")["Table"]["TableId"]
    features = d["SourceTableFeatureDetails"]
    assert [g["IndexName"] for g in features["GlobalSecondaryIndexes"]] == ["by_g"]
    assert [x["IndexName"] for x in features["LocalSecondaryIndexes"]] == ["by_l"]

    listed = ddb.list_backups()
    assert_botocore_shape("ListBackups", listed)
    assert [s["BackupArn"] for s in listed["BackupSummaries"]] == [arn]
    summary = listed["BackupSummaries"][0]
    assert summary["TableName"] == "src" and summary["BackupStatus"] == "AVAILABLE"
    assert summary["BackupName"] == "first-backup" and summary["TableArn"] == ARN + "src"
    assert "LastEvaluatedBackupArn" not in listed

    restored = ddb.restore_table_from_backup(TargetTableName="copy", BackupArn=arn)
    assert_botocore_shape("RestoreTableFromBackup", restored)
    desc = restored["TableDescription"]
    assert desc["TableName"] == "copy" and desc["TableStatus"] == "CREATING"
    assert desc["RestoreSummary"]["SourceBackupArn"] == arn
    assert desc["RestoreSummary"]["SourceTableArn"] == ARN + "src"
    assert desc["RestoreSummary"]["RestoreInProgress"] is True
    now = ddb.describe_table(TableName="copy")["Table"]
    assert now["TableStatus"] == "ACTIVE" and now["RestoreSummary"]["RestoreInProgress"] is False
    assert now["RestoreSummary"]["RestoreDateTime"] == details["BackupCreationDateTime"]
    assert now["ItemCount"] == 40
    assert now["TableId"] != source["TableId"]
    assert "RestoreSummary" not in ddb.describe_table(TableName="src")["Table"]

    assert by_key(scan_all(ddb, "copy")) == by_key(items)
    for g in ("g0", "g1", "g2"):
        want = sorted(key_of(it) for it in items if it.get("g", {}).get("S") == g)
        got = sorted(key_of(it) for it in query_index(ddb, "copy", "by_g", "g = :g", {":g": {"S": g}}))
        assert got == want
    got = query_index(ddb, "copy", "by_l", "pk = :p", {":p": {"S": "p3"}})
    want = sorted((it for it in items if it["pk"]["S"] == "p3" and "l" in it),
                  key=lambda it: int(it["l"]["N"]))
    assert [key_of(it) for it in got] == [key_of(it) for it in want]
    assert set(got[0]) == {"pk", "sk", "l"}                            # KEYS_ONLY as the source's

    # the restored table is a table like any other
    ddb.put_item(TableName="copy", Item=item(5000))
    assert ddb.get_item(TableName="copy", Key={"pk": {"S": "p2"}, "sk": {"N": "5000"}})["Item"] == item(5000)

    deleted = ddb.delete_backup(BackupArn=arn)
    assert_botocore_shape("DeleteBackup", deleted)
    assert deleted["BackupDescription"]["BackupDetails"]["BackupStatus"] == "DELETED"
    assert ddb.list_backups()["BackupSummaries"] == []
    for call in (lambda: ddb.describe_backup(BackupArn=arn), lambda: ddb.delete_backup(BackupArn=arn),
                 lambda: ddb.restore_table_from_backup(TargetTableName="copy2", BackupArn=arn)):
        with pytest.raises(ddb.exceptions.BackupNotFoundException) as e:
            call()
        assert code_and_message(e) == ("BackupNotFoundException", "Backup not found: %s" % arn)
    assert "copy2" not in ddb.list_tables()["TableNames"]
    # the restored table does not depend on the backup
    assert len(scan_all(ddb, "copy")) == 41


def test_backup_by_table_arn_and_of_an_empty_table(ddb):
    ddb.create_table(**table("empty", **ON_DEMAND))
    arn = ddb.create_backup(TableName=ARN + "empty", BackupName="bk1")["BackupDetails"]["BackupArn"]
    assert BACKUP_ARN.fullmatch(arn).group(1) == "empty"
    d = ddb.describe_backup(BackupArn=arn)["BackupDescription"]
    assert d["SourceTableDetails"]["ItemCount"] == 0
    assert d["SourceTableDetails"]["BillingMode"] == "PAY_PER_REQUEST"
    assert "SourceTableFeatureDetails" not in d
    ddb.restore_table_from_backup(TargetTableName="empty2", BackupArn=arn)
    t = ddb.describe_table(TableName="empty2")["Table"]
    assert t["ItemCount"] == 0 and t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


# =========================================================================================================
# errors: DynamoDB's types and texts, nothing changed
# =========================================================================================================


def test_errors(ddb):
    with pytest.raises(ddb.exceptions.TableNotFoundException) as e:
        ddb.create_backup(TableName="missing", BackupName="bk1")
    assert code_and_message(e) == ("TableNotFoundException", "Table not found: missing")
    ddb.create_table(**table("src", **ON_DEMAND))
    with pytest.raises(ddb.exceptions.ClientError) as e:
        ddb.create_backup(TableName="src", BackupName="x y")         # BackupName pattern [a-zA-Z0-9_.-]+
    assert e.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ddb.exceptions.ClientError) as e:
        ddb.create_backup(TableName="src", BackupName="ab")          # at least 3 characters
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert ddb.list_backups()["BackupSummaries"] == []

    missing = ARN + "src/backup/01700000000000-0123abcd"
    with pytest.raises(ddb.exceptions.BackupNotFoundException) as e:
        ddb.describe_backup(BackupArn=missing)
    assert code_and_message(e) == ("BackupNotFoundException", "Backup not found: %s" % missing)

    ddb.put_item(TableName="src", Item={"pk": {"S": "a"}})
    arn = ddb.create_backup(TableName="src", BackupName="bk1")["BackupDetails"]["BackupArn"]
    ddb.create_table(**table("taken", **ON_DEMAND))
    ddb.put_item(TableName="taken", Item={"pk": {"S": "mine"}})
    with pytest.raises(ddb.exceptions.TableAlreadyExistsException) as e:
        ddb.restore_table_from_backup(TargetTableName="taken", BackupArn=arn)
    assert code_and_message(e) == ("TableAlreadyExistsException", "Table already exists: taken")
    assert scan_all(ddb, "taken") == [{"pk": {"S": "mine"}}]
    # an override that CreateTable would refuse: refused with CreateTable's text, no table made
    with pytest.raises(ddb.exceptions.ClientError) as e:
        ddb.restore_table_from_backup(TargetTableName="fresh", BackupArn=arn,
                                      BillingModeOverride="PROVISIONED")
    assert code_and_message(e) == (
        "ValidationException",
        "One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be "
        "specified when BillingMode is PROVISIONED")
    with pytest.raises(ddb.exceptions.ClientError) as e:
        ddb.restore_table_from_backup(TargetTableName="fresh", BackupArn=arn,
                                      ProvisionedThroughputOverride=PT)
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert "fresh" not in ddb.list_tables()["TableNames"]


# =========================================================================================================
# overrides
# =========================================================================================================


def test_restore_overrides(ddb):
    indexed_table(ddb)
    items = [item(i) for i in range(12)]
    put_all(ddb, "src", items)
    arn = ddb.create_backup(TableName="src", BackupName="bk1")["BackupDetails"]["BackupArn"]

    ddb.restore_table_from_backup(TargetTableName="bare", BackupArn=arn, GlobalSecondaryIndexOverride=[],
                                  LocalSecondaryIndexOverride=[], BillingModeOverride="PAY_PER_REQUEST")
    t = ddb.describe_table(TableName="bare")["Table"]
    assert "GlobalSecondaryIndexes" not in t and "LocalSecondaryIndexes" not in t
    assert t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert sorted(a["AttributeName"] for a in t["AttributeDefinitions"]) == ["pk", "sk"]
    assert by_key(scan_all(ddb, "bare")) == by_key(items)

    new_gsi = gsi("by_l_only", "l", projection={"ProjectionType": "KEYS_ONLY"},
                  throughput={"ReadCapacityUnits": 2, "WriteCapacityUnits": 3})
    ddb.restore_table_from_backup(
        TargetTableName="other", BackupArn=arn, GlobalSecondaryIndexOverride=[new_gsi],
        ProvisionedThroughputOverride={"ReadCapacityUnits": 7, "WriteCapacityUnits": 8},
        SSESpecificationOverride={"Enabled": True, "SSEType": "KMS"})
    t = ddb.describe_table(TableName="other")["Table"]
    assert [g["IndexName"] for g in t["GlobalSecondaryIndexes"]] == ["by_l_only"]
    assert [x["IndexName"] for x in t["LocalSecondaryIndexes"]] == ["by_l"]
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 7
    assert t["ProvisionedThroughput"]["WriteCapacityUnits"] == 8
    assert t["SSEDescription"]["Status"] == "ENABLED"
    assert t["GlobalSecondaryIndexes"][0]["ItemCount"] == sum(1 for it in items if "l" in it)
    got = scan_all(ddb, "other", IndexName="by_l_only")
    assert sorted(key_of(it) for it in got) == sorted(key_of(it) for it in items if "l" in it)
    # no stream, TTL, PITR or tags come with a restore
    assert "StreamSpecification" not in t
    assert ddb.describe_continuous_backups(TableName="other")["ContinuousBackupsDescription"][
        "PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"


# =========================================================================================================
# ListBackups: filters and pagination
# =========================================================================================================


def test_list_backups_filters_and_pages(ddb, client_kind):
    ddb.create_table(**table("tab_a", **ON_DEMAND))
    ddb.create_table(**table("tab_b", **ON_DEMAND))
    arns = []
    for name in ("tab_a", "tab_b", "tab_a", "tab_b", "tab_a"):
        arns.append(ddb.create_backup(TableName=name, BackupName="bk-" + name)["BackupDetails"]["BackupArn"])
        time.sleep(0.003)                 # distinct creation milliseconds
    every = ddb.list_backups()["BackupSummaries"]
    assert [s["BackupArn"] for s in every] == arns
    assert [s["BackupArn"] for s in ddb.list_backups(TableName="tab_a")["BackupSummaries"]] == arns[0::2]
    by_arn = ddb.list_backups(TableName=ARN + "tab_b")["BackupSummaries"]
    assert [s["BackupArn"] for s in by_arn] == arns[1::2]
    assert ddb.list_backups(TableName="nothing")["BackupSummaries"] == []
    assert ddb.list_backups(BackupType="SYSTEM")["BackupSummaries"] == []
    assert len(ddb.list_backups(BackupType="ALL")["BackupSummaries"]) == 5
    assert len(ddb.list_backups(BackupType="USER")["BackupSummaries"]) == 5

    if client_kind == "inprocess":   # over HTTP botocore sends whole seconds: the next test covers those
        times = [s["BackupCreationDateTime"] for s in every]
        got = ddb.list_backups(TimeRangeLowerBound=times[1], TimeRangeUpperBound=times[3])["BackupSummaries"]
        assert [s["BackupArn"] for s in got] == arns[1:3]  # lower inclusive, upper exclusive

    pages, start = [], None
    while True:
        page = ddb.list_backups(Limit=2, **({"ExclusiveStartBackupArn": start} if start else {}))
        pages.append([s["BackupArn"] for s in page["BackupSummaries"]])
        start = page.get("LastEvaluatedBackupArn")
        if not start:
            break
    assert pages == [arns[0:2], arns[2:4], arns[4:5]]
    # a deleted backup's ARN still resumes after its place
    ddb.delete_backup(BackupArn=arns[1])
    page = ddb.list_backups(ExclusiveStartBackupArn=arns[1])
    assert [s["BackupArn"] for s in page["BackupSummaries"]] == arns[2:]


def test_list_backups_time_range_whole_seconds(ddb):
    ddb.create_table(**table("tab_a", **ON_DEMAND))
    arn = ddb.create_backup(TableName="tab_a", BackupName="bk1")["BackupDetails"]["BackupArn"]
    details = ddb.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"]
    created = details["BackupCreationDateTime"]
    second = created.replace(microsecond=0)
    after = second + datetime.timedelta(seconds=1)
    assert [s["BackupArn"] for s in ddb.list_backups(TimeRangeLowerBound=second)["BackupSummaries"]] == [arn]
    assert ddb.list_backups(TimeRangeLowerBound=after)["BackupSummaries"] == []
    assert ddb.list_backups(TimeRangeUpperBound=second)["BackupSummaries"] == []
    assert [s["BackupArn"] for s in ddb.list_backups(TimeRangeUpperBound=after)["BackupSummaries"]] == [arn]


# =========================================================================================================
# persistence
# =========================================================================================================


def test_backups_survive_a_reopen_and_outlive_their_table(ddb, reopen):
    ddb.create_table(**table("src", **ON_DEMAND))
    ddb.put_item(TableName="src", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
    arn = ddb.create_backup(TableName="src", BackupName="bk1")["BackupDetails"]["BackupArn"]
    ddb.delete_table(TableName="src")
    ddb = reopen(ddb)
    try:
        assert [s["BackupArn"] for s in ddb.list_backups(TableName="src")["BackupSummaries"]] == [arn]
        ddb.restore_table_from_backup(TargetTableName="src", BackupArn=arn)
        assert scan_all(ddb, "src") == [{"pk": {"S": "a"}, "n": {"N": "1"}}]
        ddb = reopen(ddb)
        assert scan_all(ddb, "src") == [{"pk": {"S": "a"}, "n": {"N": "1"}}]
        assert ddb.describe_table(TableName="src")["Table"]["RestoreSummary"]["SourceBackupArn"] == arn
    finally:
        ddb.close()


# =========================================================================================================
# consistency: a backup taken while a writer runs equals a prefix of the writer's acknowledged writes
# =========================================================================================================


class Writer(threading.Thread):
    """Puts, updates and deletes random keys of table `name` one at a time; `log` holds every acknowledged
    write in order as (key, item or None)."""

    def __init__(self, ddb, name, keys, seed):
        super().__init__(daemon=True)
        self.ddb, self.name, self.keys = ddb, name, keys
        self.rnd = random.Random(seed)
        self.log = []
        self.stop = threading.Event()
        self.error = None

    def run(self):
        n = 0
        try:
            while not self.stop.is_set():
                n += 1
                k = self.rnd.randrange(self.keys)
                key = {"pk": {"S": "k%d" % k}}
                if self.rnd.random() < 0.2:
                    self.ddb.delete_item(TableName=self.name, Key=key)
                    self.log.append((k, None))
                else:
                    it = dict(key, n={"N": str(n)}, pad={"S": "x" * self.rnd.randrange(10, 200)})
                    self.ddb.put_item(TableName=self.name, Item=it)
                    self.log.append((k, it))
        except Exception as e:  # pragma: no cover - reported by the test
            self.error = e


def test_backup_while_a_writer_runs_is_the_state_after_a_prefix_of_its_writes(ddb, monkeypatch):
    from pyddb._engine import database

    # the engine's clone (model/backups.py CONSISTENT COPY) waits after copying a partition file until the
    # writer has landed writes, however loaded the machine is: they are acknowledged while the clone runs
    copy, during = database.clone_file, []

    def slow_clone_file(src, dst):
        method = copy(src, dst)
        seen, until = len(writer.log), time.monotonic() + 10
        while len(writer.log) < seen + 3 and time.monotonic() < until:
            time.sleep(0.002)
        during.append(len(writer.log) - seen)
        return method
    monkeypatch.setattr(database, "clone_file", slow_clone_file)

    ddb.create_table(**table("busy", **ON_DEMAND))
    keys = 1500
    initial = {k: {"pk": {"S": "k%d" % k}, "n": {"N": "0"}, "pad": {"S": "y" * 50}} for k in range(keys)}
    put_all(ddb, "busy", list(initial.values()))
    writer = Writer(ddb, "busy", keys, seed=7)
    writer.start()
    while len(writer.log) < 50:
        time.sleep(0.005)
    first = len(writer.log)                                           # acknowledged before the backup began
    arn = ddb.create_backup(TableName="busy", BackupName="during")["BackupDetails"]["BackupArn"]
    done = len(writer.log)
    while len(writer.log) < done + 2 and writer.is_alive():          # the write in flight is logged too
        time.sleep(0.005)
    writer.stop.set()
    writer.join()
    assert writer.error is None
    assert during and during[0] > 0, "no write landed during the clone: the test proved nothing"
    log = list(writer.log)
    ddb.restore_table_from_backup(TargetTableName="restored", BackupArn=arn)
    got = {int(it["pk"]["S"][1:]): it for it in scan_all(ddb, "restored")}

    state = dict(initial)
    for k, it in log[:first]:
        if it is None:
            state.pop(k, None)
        else:
            state[k] = it
    matches = []
    for n in range(first, len(log) + 1):
        if state == got:
            matches.append(n)
        if n < len(log):
            k, it = log[n]
            if it is None:
                state.pop(k, None)
            else:
                state[k] = it
    assert matches, "the backup equals no prefix of the acknowledged writes between %d and %d" % (
        first, len(log))


def test_a_backup_and_its_restore_are_engine_clones_and_need_no_wal(tmp_path, monkeypatch):
    """model/backups.py: the backup is a clone of the table keyspace (no WAL redo: its records may be gone),
    and the restore a clone of the backup's keyspace; the record says how the engine copied the files."""
    import pyddb
    from pyddb.model import backups

    client = pyddb.connect(str(tmp_path / "db"), sync="off")
    try:
        client.create_table(**table("src", **ON_DEMAND))
        put_all(client, "src", [{"pk": {"S": "k%d" % i}, "n": {"N": str(i)}} for i in range(100)])

        def no_wal(*args, **kwargs):
            raise AssertionError("a backup or a restore read the WAL")
        monkeypatch.setattr(backups, "replay", no_wal)
        engine = client._model.engine
        arn = client.create_backup(TableName="src", BackupName="bk1")["BackupDetails"]["BackupArn"]
        record = backups.find_backup(client._model, arn)
        assert engine.last_clone["dest"] == record["keyspace"]
        assert record["copy"] == engine.last_clone["method"] in ("reflink", "copy_file_range", "copy")
        client.put_item(TableName="src", Item={"pk": {"S": "late"}})
        client.restore_table_from_backup(TargetTableName="dst", BackupArn=arn)
        assert engine.last_clone["src"] == record["keyspace"]
        assert engine.last_clone["dest"] == client._model.tables["dst"].keyspace
        assert by_pk(scan_all(client, "dst")) == {"k%d" % i: str(i) for i in range(100)}
        client.put_item(TableName="dst", Item={"pk": {"S": "k1"}, "n": {"N": "-1"}})
        client.delete_table(TableName="src")         # the backup and the restored table are independent
        client.restore_table_from_backup(TargetTableName="dst2", BackupArn=arn)
        assert by_pk(scan_all(client, "dst2")) == {"k%d" % i: str(i) for i in range(100)}
        assert by_pk(scan_all(client, "dst"))["k1"] == "-1"
        engine.check()
    finally:
        client.close()


def by_pk(items):
    return {it["pk"]["S"]: it["n"]["N"] for it in items}


def test_an_interrupted_restore_leaves_nothing_behind(tmp_path, monkeypatch):
    """A restore whose fill fails leaves no table and no keyspace (model/backups.py K3, cleanup)."""
    import pyddb
    from pyddb.model import backups

    client = pyddb.connect(str(tmp_path / "db"), sync="off")
    try:
        client.create_table(**table("src", **ON_DEMAND))
        client.put_item(TableName="src", Item={"pk": {"S": "a"}})
        arn = client.create_backup(TableName="src", BackupName="bk1")["BackupDetails"]["BackupArn"]
        engine = client._model.engine
        before = set(engine.keyspaces())

        def broken(model, source):
            def fill(dest):
                model.engine.clone_keyspace(source, dest)
                raise RuntimeError("disk on fire")
            return fill
        monkeypatch.setattr(backups, "copy_from", broken)
        with pytest.raises(Exception):
            client.restore_table_from_backup(TargetTableName="dst", BackupArn=arn)
        assert "dst" not in client.list_tables()["TableNames"]
        assert set(engine.keyspaces()) == before
    finally:
        client.close()


def test_a_backup_describes_the_ttl_setting_the_table_had(ddb):
    ddb.create_table(**table("ttl_tab", **ON_DEMAND))
    ddb.update_time_to_live(TableName="ttl_tab",
                            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"})
    arn = ddb.create_backup(TableName="ttl_tab", BackupName="with-ttl")["BackupDetails"]["BackupArn"]
    features = ddb.describe_backup(BackupArn=arn)["BackupDescription"]["SourceTableFeatureDetails"]
    assert features == {"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}}
