"""Point-in-time recovery in DynamoDB's terms: UpdateContinuousBackups, DescribeContinuousBackups,
RestoreTableToPointInTime (api/backups.py, model/pitr.py), in-process and over HTTP.

What is proven here: the settings and their shapes; every error with its text, changing nothing; a restore to
a recorded instant reproduces exactly the table as a log of acknowledged writes says it was then
(model/pitr.py P1), also after a restart and after the writing process was killed with SIGKILL;
UseLatestRestorableTime; indexes of the restored table.

Restore instants are whole seconds: over HTTP botocore sends a timestamp as whole epoch seconds, and DynamoDB
restores "to any second". The writer avoids having a write in flight across a whole second (it waits out the
last 150 ms before one), so the expected state at each whole second is exact; a second some write straddled
anyway (a very slow write on a loaded machine) is not checked.
"""
import datetime
import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest
from test_table_helpers import ON_DEMAND, PT, assert_botocore_shape, attrs, gsi, scan_all, table

import pyddb

ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/"
KEYS = 40


def code_and_message(excinfo):
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["Error"]["Message"]


def utc(ts):
    return datetime.datetime.fromtimestamp(ts, tz=datetime.timezone.utc)


def pitr_description(ddb, name):
    response = ddb.describe_continuous_backups(TableName=name)
    assert_botocore_shape("DescribeContinuousBackups", response)
    return response["ContinuousBackupsDescription"]


def status(ddb, name):
    return pitr_description(ddb, name)["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]


def enable(ddb, name, **more):
    spec = dict(PointInTimeRecoveryEnabled=True, **more)
    response = ddb.update_continuous_backups(TableName=name, PointInTimeRecoverySpecification=spec)
    assert_botocore_shape("UpdateContinuousBackups", response)
    return response["ContinuousBackupsDescription"]


def as_state(items):
    return {it["pk"]["S"]: it for it in items}


# ---- a writer with a log of its acknowledged writes and their times -------------------------------------


def write_one(ddb, name, rnd, n):
    """One random write; returns (key, item or None) as it leaves the table."""
    k = "k%d" % rnd.randrange(KEYS)
    if rnd.random() < 0.25:
        ddb.delete_item(TableName=name, Key={"pk": {"S": k}})
        return k, None
    it = {"pk": {"S": k}, "n": {"N": str(n)}, "g": {"S": "g%d" % (n % 3)}}
    ddb.put_item(TableName=name, Item=it)
    return k, it


def clear_of_second_boundary(margin=0.15):
    """Sleep past the next whole second if it is less than `margin` away: no write straddles one."""
    now = time.time()
    left = 1 - (now % 1)
    if left < margin:
        time.sleep(left + 0.005)


def run_writer(ddb, name, seconds, seed=1, pause=0.004):
    """Writes for about `seconds`; returns [(start, ack, key, item or None)]."""
    rnd = random.Random(seed)
    log = []
    end = time.time() + seconds
    n = 0
    while time.time() < end:
        clear_of_second_boundary()
        n += 1
        start = time.time()
        k, it = write_one(ddb, name, rnd, n)
        log.append((start, time.time(), k, it))
        time.sleep(pause)
    return log


def state_at(initial, log, instant):
    """The table after every write acknowledged by `instant`; None when a write straddles it."""
    state = dict(initial)
    for start, ack, k, it in log:
        if ack <= instant:
            if it is None:
                state.pop(k, None)
            else:
                state[k] = it
        elif start <= instant:
            return None
    return state


def whole_seconds(log, earliest):
    """The whole seconds inside the log's span, after `earliest` (a datetime)."""
    first = max(int(log[0][0]) + 1, int(earliest.timestamp()) + 1)
    return list(range(first, int(log[-1][1]) + 1))


def make_table(ddb, name="hist"):
    ddb.create_table(**table(name, AttributeDefinitions=attrs(("pk", "S"), ("g", "S")), **ON_DEMAND,
                             GlobalSecondaryIndexes=[gsi("by_g", "g", projection={"ProjectionType": "ALL"})]))


# =========================================================================================================
# settings
# =========================================================================================================


def test_continuous_backups_settings(ddb):
    ddb.create_table(**table("tab", **ON_DEMAND))
    assert pitr_description(ddb, "tab") == {
        "ContinuousBackupsStatus": "ENABLED",
        "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"},
    }
    before = time.time()
    d = enable(ddb, "tab")
    assert d["ContinuousBackupsStatus"] == "ENABLED"
    p = d["PointInTimeRecoveryDescription"]
    assert p["PointInTimeRecoveryStatus"] == "ENABLED" and p["RecoveryPeriodInDays"] == 35
    earliest, latest = p["EarliestRestorableDateTime"].timestamp(), p["LatestRestorableDateTime"].timestamp()
    assert before - 0.001 <= earliest <= latest
    assert p["LatestRestorableDateTime"].timestamp() <= time.time() + 0.001
    again = pitr_description(ddb, "tab")["PointInTimeRecoveryDescription"]
    assert again["EarliestRestorableDateTime"] == p["EarliestRestorableDateTime"]
    assert again["LatestRestorableDateTime"] >= p["LatestRestorableDateTime"]
    # the period changes; the history stays
    p7 = enable(ddb, "tab", RecoveryPeriodInDays=7)["PointInTimeRecoveryDescription"]
    assert p7["RecoveryPeriodInDays"] == 7
    assert p7["EarliestRestorableDateTime"] == p["EarliestRestorableDateTime"]
    assert enable(ddb, "tab")["PointInTimeRecoveryDescription"]["RecoveryPeriodInDays"] == 7
    # by ARN
    assert pitr_description(ddb, ARN + "tab")["PointInTimeRecoveryDescription"]["RecoveryPeriodInDays"] == 7
    off = ddb.update_continuous_backups(
        TableName="tab", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
    assert off["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"] == {
        "PointInTimeRecoveryStatus": "DISABLED"}
    assert status(ddb, "tab") == "DISABLED"
    # enabled again: a new history, starting now
    time.sleep(0.01)
    p2 = enable(ddb, "tab")["PointInTimeRecoveryDescription"]
    assert p2["EarliestRestorableDateTime"] > p["EarliestRestorableDateTime"]
    assert p2["RecoveryPeriodInDays"] == 35


def test_settings_errors(ddb):
    for call in (lambda: ddb.describe_continuous_backups(TableName="missing"),
                 lambda: enable(ddb, "missing")):
        with pytest.raises(ddb.exceptions.TableNotFoundException) as e:
            call()
        assert code_and_message(e) == ("TableNotFoundException", "Table not found: missing")
    ddb.create_table(**table("tab", **ON_DEMAND))
    for days in (0, 36):
        with pytest.raises(ddb.exceptions.ClientError) as e:
            enable(ddb, "tab", RecoveryPeriodInDays=days)
        assert e.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ddb.exceptions.ClientError) as e:
        ddb.update_continuous_backups(TableName="tab", PointInTimeRecoverySpecification={
            "PointInTimeRecoveryEnabled": False, "RecoveryPeriodInDays": 3})
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert status(ddb, "tab") == "DISABLED"


def test_restore_errors_change_nothing(ddb):
    ddb.create_table(**table("tab", **ON_DEMAND))
    ddb.put_item(TableName="tab", Item={"pk": {"S": "a"}})
    now = utc(time.time())
    with pytest.raises(ddb.exceptions.PointInTimeRecoveryUnavailableException) as e:
        ddb.restore_table_to_point_in_time(SourceTableName="tab", TargetTableName="dst",
                                           UseLatestRestorableTime=True)
    assert code_and_message(e) == ("PointInTimeRecoveryUnavailableException",
                                   "Point in time recovery is not enabled for table 'tab'")
    with pytest.raises(ddb.exceptions.TableNotFoundException) as e:
        ddb.restore_table_to_point_in_time(SourceTableName="missing", TargetTableName="dst",
                                           UseLatestRestorableTime=True)
    assert code_and_message(e) == ("TableNotFoundException", "Table not found: missing")
    enable(ddb, "tab")
    ddb.create_table(**table("taken", **ON_DEMAND))
    with pytest.raises(ddb.exceptions.TableAlreadyExistsException) as e:
        ddb.restore_table_to_point_in_time(SourceTableName="tab", TargetTableName="taken",
                                           UseLatestRestorableTime=True)
    assert code_and_message(e) == ("TableAlreadyExistsException", "Table already exists: taken")
    for when in (now - datetime.timedelta(seconds=5), utc(time.time() + 3600)):
        with pytest.raises(ddb.exceptions.InvalidRestoreTimeException) as e:
            ddb.restore_table_to_point_in_time(SourceTableName="tab", TargetTableName="dst",
                                               RestoreDateTime=when)
        assert e.value.response["Error"]["Code"] == "InvalidRestoreTimeException"
    for request in ({}, {"RestoreDateTime": now, "UseLatestRestorableTime": True}):
        with pytest.raises(ddb.exceptions.ClientError) as e:
            ddb.restore_table_to_point_in_time(SourceTableName="tab", TargetTableName="dst", **request)
        assert e.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ddb.exceptions.ClientError) as e:
        ddb.restore_table_to_point_in_time(TargetTableName="dst", UseLatestRestorableTime=True)
    assert e.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ddb.exceptions.ClientError) as e:   # an override CreateTable refuses
        ddb.restore_table_to_point_in_time(SourceTableName="tab", TargetTableName="dst",
                                           UseLatestRestorableTime=True, BillingModeOverride="PROVISIONED")
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert sorted(ddb.list_tables()["TableNames"]) == ["tab", "taken"]


def test_use_latest_restorable_time_and_source_arn(ddb):
    make_table(ddb)
    enable(ddb, "hist")
    rnd = random.Random(3)
    for n in range(60):
        write_one(ddb, "hist", rnd, n)
    want = as_state(scan_all(ddb, "hist"))
    response = ddb.restore_table_to_point_in_time(SourceTableArn=ARN + "hist", TargetTableName="latest",
                                                  UseLatestRestorableTime=True,
                                                  BillingModeOverride="PROVISIONED",
                                                  ProvisionedThroughputOverride=PT,
                                                  GlobalSecondaryIndexOverride=[
                                                      gsi("by_g", "g", projection={"ProjectionType": "ALL"},
                                                          throughput=PT)])
    assert_botocore_shape("RestoreTableToPointInTime", response)
    d = response["TableDescription"]
    assert d["TableStatus"] == "CREATING" and d["RestoreSummary"]["RestoreInProgress"] is True
    assert d["RestoreSummary"]["SourceTableArn"] == ARN + "hist"
    assert "SourceBackupArn" not in d["RestoreSummary"]
    t = ddb.describe_table(TableName="latest")["Table"]
    assert t["TableStatus"] == "ACTIVE" and t["RestoreSummary"]["RestoreInProgress"] is False
    assert t["ProvisionedThroughput"]["ReadCapacityUnits"] == 5
    assert as_state(scan_all(ddb, "latest")) == want
    got = sorted(it["pk"]["S"] for it in scan_all(ddb, "latest", IndexName="by_g"))
    assert got == sorted(k for k, it in want.items() if "g" in it)
    # the restored table has no PITR of its own
    assert pitr_description(ddb, "latest")["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == \
        "DISABLED"


# =========================================================================================================
# the state at recorded instants
# =========================================================================================================


def checkable(initial, log, earliest):
    return [s for s in whole_seconds(log, earliest) if state_at(initial, log, s) is not None]


def write_until_checkable(ddb, name, initial, log, earliest, seed):
    """Extend `log` until some whole second in its span had no write in flight (a loaded machine can make a
    write outlast the writer's margin)."""
    while not checkable(initial, log, earliest):
        log += run_writer(ddb, name, seconds=0.5, seed=seed)
        seed += 1
    return log


def check_restores(ddb, name, initial, log, earliest, prefix="at"):
    """Restore `name` to each whole second in the log's span and compare with the log; returns how many."""
    checked = 0
    for second in whole_seconds(log, earliest):
        want = state_at(initial, log, second)
        if want is None:      # a write took longer than the writer's margin (a loaded machine): not exact
            continue
        target = "%s_%d" % (prefix, second)
        ddb.restore_table_to_point_in_time(SourceTableName=name, TargetTableName=target,
                                           RestoreDateTime=utc(second))
        assert as_state(scan_all(ddb, target)) == want, "state at %d" % second
        got = sorted(it["pk"]["S"] for it in scan_all(ddb, target, IndexName="by_g"))
        assert got == sorted(want)
        summary = ddb.describe_table(TableName=target)["Table"]["RestoreSummary"]
        assert summary["RestoreDateTime"] == utc(second)
        checked += 1
    return checked


def test_restore_to_recorded_instants_reproduces_the_logged_state(ddb):
    make_table(ddb)
    rnd = random.Random(11)
    for n in range(30):                                  # history before PITR was enabled
        write_one(ddb, "hist", rnd, -n)
    initial = as_state(scan_all(ddb, "hist"))
    earliest = enable(ddb, "hist")["PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"]
    log = run_writer(ddb, "hist", seconds=1.3, seed=5)
    log = write_until_checkable(ddb, "hist", initial, log, earliest, 50)
    assert check_restores(ddb, "hist", initial, log, earliest) >= 1


def test_restore_after_a_restart(ddb, reopen):
    make_table(ddb)
    earliest = enable(ddb, "hist")["PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"]
    log = run_writer(ddb, "hist", seconds=0.7, seed=8)
    ddb = reopen(ddb)
    try:
        log += run_writer(ddb, "hist", seconds=0.7, seed=9)
        log = write_until_checkable(ddb, "hist", {}, log, earliest, 50)
        ddb = reopen(ddb)
        again = pitr_description(ddb, "hist")["PointInTimeRecoveryDescription"]
        assert again["EarliestRestorableDateTime"] == earliest
        assert check_restores(ddb, "hist", {}, log, earliest) >= 1
    finally:
        ddb.close()


CHILD = r"""
import json, random, sys, time
sys.path.insert(0, sys.argv[2])
import pyddb
from test_pitr import clear_of_second_boundary, write_one

client = pyddb.connect(sys.argv[1], sync="full")
rnd = random.Random(int(sys.argv[3]))
n = 0
while True:
    clear_of_second_boundary()
    n += 1
    start = time.time()
    k, it = write_one(client, "hist", rnd, n)
    print(json.dumps([start, time.time(), k, it]), flush=True)
    time.sleep(0.003)
"""


def test_restore_after_the_writer_was_killed(tmp_path):
    """A process writing with sync="full" is killed with SIGKILL; after reopening, every recorded instant
    restores to what its acknowledged writes say, and the latest state is all of them."""
    path = str(tmp_path / "db")
    client = pyddb.connect(path, sync="full")
    make_table(client)
    earliest = enable(client, "hist")["PointInTimeRecoveryDescription"]["EarliestRestorableDateTime"]
    client.close()
    env = dict(os.environ)
    here = os.path.dirname(os.path.dirname(os.path.abspath(pyddb.__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
    tests_dir = os.path.dirname(os.path.abspath(__file__))
    child = subprocess.Popen([sys.executable, "-c", CHILD, path, tests_dir, "21"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env)
    lines = []
    deadline = time.time() + 60
    while time.time() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        lines.append(json.loads(line))
        if checkable({}, lines, earliest) and time.time() % 1 > 0.3:
            break
    child.send_signal(signal.SIGKILL)
    rest = child.stdout.read()        # through the same buffered file readline() used: nothing is lost
    err = child.stderr.read()
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL, err.decode(errors="replace")
    lines += [json.loads(line) for line in rest.decode().splitlines() if line.endswith("]")]
    # a write may have been made and not reported before the kill: only instants before the last report count
    log = [tuple(x) for x in lines]
    client = pyddb.connect(path, sync="full")
    try:
        assert check_restores(client, "hist", {}, log, earliest) >= 1
        latest = as_state(scan_all(client, "hist"))
        reported = state_at({}, log, log[-1][1])
        unreported = {k: v for k, v in latest.items() if reported.get(k) != v}
        assert len(unreported) <= 1 and len(set(reported) - set(latest)) <= 1   # at most the write in flight
    finally:
        client.close()


# =========================================================================================================
# bases: refreshed, dropped when the window has passed them, and the WAL they pin (model/pitr.py)
# =========================================================================================================


def test_bases_are_refreshed_and_dropped_with_the_window(tmp_path, monkeypatch):
    from pyddb.model import pitr

    client = pyddb.connect(str(tmp_path / "db"), sync="off")
    try:
        model = client._model
        make_table(client)
        enable(client, "hist")
        t = model.tables["hist"]
        assert len(pitr.bases(model, t)) == 1
        monkeypatch.setattr(pitr, "BASE_INTERVAL_S", 0)        # every maintain takes a new base
        rnd = random.Random(4)
        marks = []                                            # (instant, state) between bases
        for round_ in range(3):
            for n in range(15):
                write_one(client, "hist", rnd, round_ * 100 + n)
            time.sleep(0.002)
            marks.append((time.time(), as_state(scan_all(client, "hist"))))
            time.sleep(0.002)
            with model.lock:
                pitr.maintain(model)
        monkeypatch.setattr(pitr, "BASE_INTERVAL_S", 3600)
        kept = pitr.bases(model, t)
        assert len(kept) == 4
        assert pitr.wal_needed_from(model) == kept[0]["lsn"] + 1
        # each instant restores from the newest base before it plus the WAL after that base
        for i, (instant, want) in enumerate(marks):
            target = "mark_%d" % i
            client.restore_table_to_point_in_time(SourceTableName="hist", TargetTableName=target,
                                                  RestoreDateTime=utc(instant))
            assert as_state(scan_all(client, target)) == want
        # the window moves past the first bases: they go, but the newest one before the window's start stays
        # (it serves the window's first instant), and the WAL they pinned is released
        assert pitr.bases(model, t) == kept
        start = kept[2]["time_ns"] + 1
        monkeypatch.setattr(pitr, "_now_ns", lambda: start + 35 * pitr.DAY_NS)
        with model.lock:
            pitr.maintain(model)                              # takes a new base too: the newest is a day old
        left = pitr.bases(model, t)
        assert [b["lsn"] for b in left[:2]] == [b["lsn"] for b in kept[2:]] and len(left) == 3
        assert pitr.wal_needed_from(model) == kept[2]["lsn"] + 1
        assert not any(ks.startswith(b["keyspace"]) for b in kept[:2] for ks in model.engine.keyspaces())
        # dropping the table forgets its bases at the next maintenance
        monkeypatch.undo()
        client.delete_table(TableName="hist")
        with model.lock:
            pitr.maintain(model)
        assert pitr.wal_needed_from(model) is None
        assert not [ks for ks in model.engine.keyspaces() if ks.startswith(pitr.BASE_PREFIX)]
    finally:
        client.close()


def test_a_point_in_time_scan_survives_other_backup_operations_and_leaves_nothing(tmp_path):
    """pitr.iter_table_at (ExportTableToPointInTime's reader) materializes the state at T in a scratch
    keyspace: a CreateBackup meanwhile does not take it for a crash's leftover, and it is gone once the scan
    ends."""
    from pyddb.model import pitr

    client = pyddb.connect(str(tmp_path / "db"), sync="off")
    try:
        model = client._model
        make_table(client)
        client.put_item(TableName="hist", Item={"pk": {"S": "a"}})
        enable(client, "hist")
        at = time.time()
        time.sleep(0.002)
        client.put_item(TableName="hist", Item={"pk": {"S": "b"}})
        before = set(model.engine.keyspaces())
        items = pitr.iter_table_at(model, model.tables["hist"], at)
        client.create_backup(TableName="hist", BackupName="meanwhile")
        assert [it["pk"]["S"] for it in items] == ["a"]
        assert set(model.engine.keyspaces()) - before == {
            ks for ks in model.engine.keyspaces() if ks.startswith("__backup__/")}
        with pytest.raises(LookupError):
            pitr.iter_table_at(model, model.tables["hist"], at - 3600)
    finally:
        client.close()


def test_the_wal_a_base_needs_outlives_checkpoints_and_trimming(tmp_path):
    """Checkpoints trim the WAL archive to what the features need (model/retention.py); a base's records are
    among them from the moment its copy starts (backups.pin_wal), so a restore after many checkpoints and
    segment changes still finds them, and the archive does trim what nothing needs."""
    from pyddb.model import retention

    client = pyddb.connect(str(tmp_path / "db"), sync="off", wal_segment_bytes=1 << 14,
                           checkpoint_bytes=1 << 13)
    try:
        model = client._model
        make_table(client)
        rnd = random.Random(6)
        for n in range(600):                             # history before PITR: the archive may drop it
            write_one(client, "hist", rnd, n)
        retention.apply(model)
        enable(client, "hist")
        marks = []
        for round_ in range(3):
            for n in range(250):
                write_one(client, "hist", rnd, 1000 * round_ + n)
            time.sleep(0.002)
            marks.append((time.time(), as_state(scan_all(client, "hist"))))
            time.sleep(0.002)
            retention.apply(model)
        assert model.engine.first_wal_lsn > 1            # checkpoints did trim the archive
        for i, (instant, want) in enumerate(marks):
            client.restore_table_to_point_in_time(SourceTableName="hist", TargetTableName="mark_%d" % i,
                                                  RestoreDateTime=utc(instant))
            assert as_state(scan_all(client, "mark_%d" % i)) == want
    finally:
        client.close()


def test_a_retention_policy_computed_before_a_pin_never_overwrites_the_pinned_one(tmp_path, monkeypatch):
    """retention.apply computes and sets the policy under one lock: a thread that computed the policy before a
    copy pinned the WAL cannot set its older, looser policy after the pin's (which would trim what the copy
    needs)."""
    import threading

    from pyddb.model import backups, retention

    client = pyddb.connect(str(tmp_path / "db"), sync="off", ttl_interval=0, maintain_interval=0)
    model = client.model
    try:
        real_engine, set_calls = model.engine, []

        class Spy:                                  # the engine, recording each retention it is given
            def __getattr__(self, name):
                return getattr(real_engine, name)

            def set_archive_retention(self, keep_ns, keep_lsn):
                set_calls.append(keep_lsn)
                return real_engine.set_archive_retention(keep_ns, keep_lsn)

        monkeypatch.setattr(model, "engine", Spy())
        real_policy, computed, gate = retention.policy, threading.Event(), threading.Event()

        def paused_policy(m):
            result = real_policy(m)
            if threading.current_thread().name == "early":
                computed.set()
                gate.wait(10)
            return result

        monkeypatch.setattr(retention, "policy", paused_policy)
        early = threading.Thread(target=retention.apply, args=(model,), name="early")
        early.start()
        assert computed.wait(10)                    # "early" holds a policy computed with no pin
        pinner = threading.Thread(target=lambda: pids.append(backups.pin_wal(model, 1)))
        pids = []
        pinner.start()
        pinner.join(0.5)                            # with the lock it waits for "early"; without, it is done
        gate.set()
        early.join(10)
        pinner.join(10)
        assert set_calls and set_calls[-1] == 1, set_calls   # the last retention set keeps the pinned WAL
        backups.unpin_wal(model, pids[0])
    finally:
        monkeypatch.undo()
        client.close()


def test_request_times_parse_to_the_same_instant_in_every_form():
    """One parser for the request timestamps of PITR, backups and exports: a datetime or ISO text without a zone
    is UTC (as botocore sends it), whatever the machine's zone."""
    from pyddb.model.pitr import to_ns, to_seconds

    instant = 1704067200.25
    forms = [datetime.datetime(2024, 1, 1, 0, 0, 0, 250000),
             datetime.datetime(2024, 1, 1, 1, 0, 0, 250000, tzinfo=datetime.timezone(datetime.timedelta(hours=1))),
             "2024-01-01T00:00:00.250Z", "2024-01-01T00:00:00.250", "1704067200.25", instant]
    assert [to_seconds(f) for f in forms] == [instant] * len(forms)
    assert {to_ns(f) for f in forms} == {1704067200250000000}
