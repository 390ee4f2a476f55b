"""DynamoDB Streams (model/streams.py, api/streams.py): records of a scripted sequence of writes, view types,
iterator types, stream life cycle, errors; in-process and over HTTP (`ddb`), across a reopen, and through
pyddb.mock_dynamodb for boto3's dynamodbstreams client."""
import datetime
import time

import pytest
from botocore.exceptions import ClientError


def make_table(ddb, name="tab", view="NEW_AND_OLD_IMAGES", gsi=False):
    req = dict(TableName=name, BillingMode="PAY_PER_REQUEST",
               AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "g", "AttributeType": "S"}][:2 if gsi else 1],
               KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    if view:
        req["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view}
    if gsi:
        req["GlobalSecondaryIndexes"] = [{"IndexName": "byg", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                          "Projection": {"ProjectionType": "ALL"}}]
    return ddb.create_table(**req)["TableDescription"]


def code_of(exc):
    return exc.value.response["Error"]["Code"]


def message_of(exc):
    return exc.value.response["Error"]["Message"]


def shard_of(sc, arn):
    return sc.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]


def iterator(sc, arn, kind="TRIM_HORIZON", **kw):
    return sc.get_shard_iterator(StreamArn=arn, ShardId=shard_of(sc, arn), ShardIteratorType=kind,
                                 **kw)["ShardIterator"]


def read_all(sc, arn, kind="TRIM_HORIZON", limit=None, **kw):
    """Every record from an iterator of `kind` until a call returns none (or the shard closes)."""
    it = iterator(sc, arn, kind, **kw)
    out = []
    for _ in range(1000):
        r = sc.get_records(ShardIterator=it, **({"Limit": limit} if limit else {}))
        out += r["Records"]
        it = r.get("NextShardIterator")
        if it is None or not r["Records"]:
            break
    return out


def brief(records):
    """(eventName, Keys, NewImage, OldImage, userIdentity) of each record."""
    return [(r["eventName"], r["dynamodb"]["Keys"], r["dynamodb"].get("NewImage"), r["dynamodb"].get("OldImage"),
             r.get("userIdentity")) for r in records]


S = lambda v: {"S": v}          # noqa: E731
N = lambda v: {"N": str(v)}     # noqa: E731
EX = int(time.time()) + 3600
SERVICE = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}


def scripted_writes(ddb):
    """The sequence of writes and the records it must give (NEW_AND_OLD_IMAGES)."""
    t = "tab"
    exp = []
    ddb.put_item(TableName=t, Item={"pk": S("a"), "v": N(1)})                    # put new
    exp.append(("INSERT", {"pk": S("a")}, {"pk": S("a"), "v": N(1)}, None, None))
    ddb.put_item(TableName=t, Item={"pk": S("a"), "v": N(1)})                    # put same: no record
    ddb.update_item(TableName=t, Key={"pk": S("a")}, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": N(2)})                      # update
    exp.append(("MODIFY", {"pk": S("a")}, {"pk": S("a"), "v": N(2)}, {"pk": S("a"), "v": N(1)}, None))
    ddb.update_item(TableName=t, Key={"pk": S("a")}, UpdateExpression="SET v = :v",
                    ExpressionAttributeValues={":v": N(2)})                      # update to the same: none
    ddb.delete_item(TableName=t, Key={"pk": S("a")})                             # delete
    exp.append(("REMOVE", {"pk": S("a")}, None, {"pk": S("a"), "v": N(2)}, None))
    ddb.delete_item(TableName=t, Key={"pk": S("zz")})                            # delete missing: none
    with pytest.raises(ClientError):                                             # failed condition: none
        ddb.put_item(TableName=t, Item={"pk": S("b")}, ConditionExpression="attribute_exists(pk)")
    ddb.put_item(TableName=t, Item={"pk": S("c"), "v": N(3)})
    exp.append(("INSERT", {"pk": S("c")}, {"pk": S("c"), "v": N(3)}, None, None))
    ddb.batch_write_item(RequestItems={t: [
        {"PutRequest": {"Item": {"pk": S("d"), "v": N(4)}}},
        {"PutRequest": {"Item": {"pk": S("c"), "v": N(30)}}},
        {"DeleteRequest": {"Key": {"pk": S("nothing")}}},
    ]})
    exp.append(("INSERT", {"pk": S("d")}, {"pk": S("d"), "v": N(4)}, None, None))
    exp.append(("MODIFY", {"pk": S("c")}, {"pk": S("c"), "v": N(30)}, {"pk": S("c"), "v": N(3)}, None))
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": t, "Item": {"pk": S("e"), "v": N(5)}}},
        {"Update": {"TableName": t, "Key": {"pk": S("d")}, "UpdateExpression": "REMOVE v"}},
        {"ConditionCheck": {"TableName": t, "Key": {"pk": S("c")}, "ConditionExpression": "attribute_exists(pk)"}},
        {"Delete": {"TableName": t, "Key": {"pk": S("gone")}}},                 # missing: no record
    ])
    exp.append(("INSERT", {"pk": S("e")}, {"pk": S("e"), "v": N(5)}, None, None))
    exp.append(("MODIFY", {"pk": S("d")}, {"pk": S("d")}, {"pk": S("d"), "v": N(4)}, None))
    # TTL: "e" expires under a moved clock and is deleted by the service
    ddb.update_item(TableName=t, Key={"pk": S("e")}, UpdateExpression="SET ex = :x",
                    ExpressionAttributeValues={":x": N(EX)})
    exp.append(("MODIFY", {"pk": S("e")}, {"pk": S("e"), "v": N(5), "ex": N(EX)}, {"pk": S("e"), "v": N(5)},
                None))
    return exp


def test_records_of_a_scripted_sequence_of_writes_also_after_reopen(ddb, reopen):
    desc = make_table(ddb)
    arn = desc["LatestStreamArn"]
    exp = scripted_writes(ddb)
    ddb.update_time_to_live(TableName="tab", TimeToLiveSpecification={"Enabled": True, "AttributeName": "ex"})
    ddb.pyddb_set_clock(OffsetSeconds=7200)                        # "ex" is an hour from the real now
    ddb.pyddb_sweep_ttl()
    exp.append(("REMOVE", {"pk": S("e")}, None, {"pk": S("e"), "v": N(5), "ex": N(EX)}, SERVICE))
    ddb.pyddb_set_clock()                                          # the real time again
    sc = ddb.streams()
    records = read_all(sc, arn)
    assert brief(records) == exp
    seqs = [r["dynamodb"]["SequenceNumber"] for r in records]
    assert all(len(s) >= 21 and s.isdigit() for s in seqs)
    assert [int(s) for s in seqs] == sorted(int(s) for s in seqs) and len(set(seqs)) == len(seqs)
    for r in records:
        assert r["eventVersion"] == "1.1" and r["eventSource"] == "aws:dynamodb" and r["awsRegion"] == "us-east-1"
        assert r["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES" and r["dynamodb"]["SizeBytes"] > 0
        assert isinstance(r["dynamodb"]["ApproximateCreationDateTime"], datetime.datetime)
        assert len(r["eventID"]) >= 16
    ddb = reopen(ddb)
    sc = ddb.streams()
    again = read_all(sc, arn)
    assert again == records                                        # same records, ids and sequence numbers
    ddb.put_item(TableName="tab", Item={"pk": S("f")})             # the stream goes on after a restart
    assert brief(read_all(sc, arn))[-1] == ("INSERT", {"pk": S("f")}, {"pk": S("f")}, None, None)
    ddb.close()


@pytest.mark.parametrize("view", ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"])
def test_view_types_carry_the_images_they_name(ddb, view):
    arn = make_table(ddb, view=view)["LatestStreamArn"]
    ddb.put_item(TableName="tab", Item={"pk": S("a"), "v": N(1)})
    ddb.put_item(TableName="tab", Item={"pk": S("a"), "v": N(2)})
    ddb.delete_item(TableName="tab", Key={"pk": S("a")})
    recs = read_all(ddb.streams(), arn)
    new = view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
    old = view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES")
    a1, a2 = {"pk": S("a"), "v": N(1)}, {"pk": S("a"), "v": N(2)}
    assert brief(recs) == [
        ("INSERT", {"pk": S("a")}, a1 if new else None, None, None),
        ("MODIFY", {"pk": S("a")}, a2 if new else None, a1 if old else None, None),
        ("REMOVE", {"pk": S("a")}, None, a2 if old else None, None),
    ]
    assert {r["dynamodb"]["StreamViewType"] for r in recs} == {view}


def test_iterator_types_and_paging(ddb):
    arn = make_table(ddb, view="KEYS_ONLY")["LatestStreamArn"]
    sc = ddb.streams()
    for i in range(7):
        ddb.put_item(TableName="tab", Item={"pk": S("k%d" % i)})
    latest = iterator(sc, arn, "LATEST")
    full = read_all(sc, arn)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in full] == ["k%d" % i for i in range(7)]
    assert read_all(sc, arn, limit=2) == full                      # Limit and NextShardIterator
    r = sc.get_records(ShardIterator=iterator(sc, arn), Limit=3)
    assert len(r["Records"]) == 3 and r["NextShardIterator"]
    seq3 = full[3]["dynamodb"]["SequenceNumber"]
    assert read_all(sc, arn, "AT_SEQUENCE_NUMBER", SequenceNumber=seq3) == full[3:]
    assert read_all(sc, arn, "AFTER_SEQUENCE_NUMBER", SequenceNumber=seq3) == full[4:]
    assert sc.get_records(ShardIterator=latest)["Records"] == []   # LATEST: only what comes after
    ddb.put_item(TableName="tab", Item={"pk": S("new")})
    got = sc.get_records(ShardIterator=latest)
    assert [r["dynamodb"]["Keys"] for r in got["Records"]] == [{"pk": S("new")}]
    assert sc.get_records(ShardIterator=got["NextShardIterator"])["Records"] == []


def test_describe_list_disable_enable_and_the_old_stream_stays_readable(ddb):
    arn1 = make_table(ddb, view="NEW_IMAGE")["LatestStreamArn"]
    make_table(ddb, name="other", view=None)
    sc = ddb.streams()
    d = sc.describe_stream(StreamArn=arn1)["StreamDescription"]
    assert d["StreamArn"] == arn1 and d["StreamStatus"] == "ENABLED" and d["StreamViewType"] == "NEW_IMAGE"
    assert d["TableName"] == "tab" and d["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert d["StreamLabel"] == arn1.rsplit("/", 1)[1]
    assert len(d["Shards"]) == 1 and "EndingSequenceNumber" not in d["Shards"][0]["SequenceNumberRange"]
    ddb.put_item(TableName="tab", Item={"pk": S("one")})
    ddb.update_table(TableName="tab", StreamSpecification={"StreamEnabled": False})
    t = ddb.describe_table(TableName="tab")["Table"]
    assert "StreamSpecification" not in t and t["LatestStreamArn"] == arn1
    ddb.put_item(TableName="tab", Item={"pk": S("unrecorded")})
    d = sc.describe_stream(StreamArn=arn1)["StreamDescription"]
    assert d["StreamStatus"] == "DISABLED" and "EndingSequenceNumber" in d["Shards"][0]["SequenceNumberRange"]
    ddb.update_table(TableName="tab", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    arn2 = ddb.describe_table(TableName="tab")["Table"]["LatestStreamArn"]
    assert arn2 != arn1
    ddb.put_item(TableName="tab", Item={"pk": S("two")})
    # the old stream: its records, then the closed shard ends (no NextShardIterator)
    r = sc.get_records(ShardIterator=iterator(sc, arn1))
    assert brief(r["Records"]) == [("INSERT", {"pk": S("one")}, {"pk": S("one")}, None, None)]
    assert "NextShardIterator" not in r
    assert brief(read_all(sc, arn2)) == [("INSERT", {"pk": S("two")}, None, None, None)]
    listed = sc.list_streams()["Streams"]
    assert {(s["StreamArn"], s["TableName"]) for s in listed} == {(arn1, "tab"), (arn2, "tab")}
    assert sc.list_streams(TableName="other")["Streams"] == []
    page = sc.list_streams(Limit=1)
    assert len(page["Streams"]) == 1 and page["LastEvaluatedStreamArn"] == page["Streams"][0]["StreamArn"]
    rest = sc.list_streams(ExclusiveStartStreamArn=page["LastEvaluatedStreamArn"])["Streams"]
    assert [s["StreamArn"] for s in page["Streams"] + rest] == [s["StreamArn"] for s in listed]
    # deleting the table closes its stream; it stays readable
    ddb.delete_table(TableName="tab")
    assert sc.describe_stream(StreamArn=arn2)["StreamDescription"]["StreamStatus"] == "DISABLED"
    assert len(read_all(sc, arn2)) == 1
    # after 24 hours the disabled streams and their records are gone
    ddb.pyddb_set_clock(OffsetSeconds=25 * 3600)
    assert sc.list_streams()["Streams"] == []
    ddb.pyddb_set_clock()


def test_records_older_than_24_hours_are_not_returned(ddb):
    arn = make_table(ddb, view="KEYS_ONLY")["LatestStreamArn"]
    sc = ddb.streams()
    ddb.put_item(TableName="tab", Item={"pk": S("old")})
    ddb.pyddb_set_clock(OffsetSeconds=25 * 3600)
    ddb.put_item(TableName="tab", Item={"pk": S("new")})
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(sc, arn)] == ["new"]
    ddb.pyddb_set_clock()


def test_errors(ddb):
    arn = make_table(ddb)["LatestStreamArn"]
    sc = ddb.streams()
    ddb.put_item(TableName="tab", Item={"pk": S("a")})
    bogus = arn.replace("/stream/", "/stream/1")
    with pytest.raises(ClientError) as e:
        sc.describe_stream(StreamArn=bogus)
    assert code_of(e) == "ResourceNotFoundException"
    assert message_of(e) == "Requested resource not found: Stream: %s not found" % bogus
    with pytest.raises(ClientError) as e:
        sc.get_shard_iterator(StreamArn=arn, ShardId="shardId-00000000000000000000-00000000",
                              ShardIteratorType="LATEST")
    assert code_of(e) == "ResourceNotFoundException"
    shard = shard_of(sc, arn)
    with pytest.raises(ClientError) as e:
        sc.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AT_SEQUENCE_NUMBER")
    assert code_of(e) == "ValidationException"
    for bad in ("12", "x" * 21, "9" * 30):
        with pytest.raises(ClientError) as e:
            sc.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                                  SequenceNumber=bad)
        assert code_of(e) == "ValidationException"
        assert message_of(e) == ("Invalid SequenceNumber" if len(bad) >= 21 else
                                 "1 validation error detected: Value '12' at 'sequenceNumber' failed to satisfy "
                                 "constraint: Member must have length greater than or equal to 21")
    it = iterator(sc, arn)
    for bad in (it[:-6] + "AAAAAA", arn + "|1|bm90IGFuIGl0ZXJhdG9y", "garbage-iterator-string"):
        with pytest.raises(ClientError) as e:
            sc.get_records(ShardIterator=bad)
        assert code_of(e) == "ValidationException" and message_of(e) == "Invalid ShardIterator"
    ddb.pyddb_set_clock(OffsetSeconds=16 * 60)                     # iterators live 15 minutes
    with pytest.raises(ClientError) as e:
        sc.get_records(ShardIterator=it)
    # DynamoDB Streams' own text (api/streams.py cites the capture); Kinesis says "Iterator expired. ..."
    assert code_of(e) == "ExpiredIteratorException" and message_of(e) == "Shard iterator has expired"
    ddb.pyddb_set_clock()
    with pytest.raises(ClientError) as e:
        ddb.update_table(TableName="tab", StreamSpecification={"StreamEnabled": True,
                                                                "StreamViewType": "KEYS_ONLY"})
    assert code_of(e) == "ValidationException"
    assert len(read_all(sc, arn)) == 1                             # nothing above changed the stream


def test_boto3_dynamodbstreams_client_under_mock_dynamodb(tmp_path):
    boto3 = pytest.importorskip("boto3")
    import pyddb
    with pyddb.mock_dynamodb(str(tmp_path / "m")):
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        arn = make_table(ddb, view="NEW_IMAGE")["LatestStreamArn"]
        ddb.put_item(TableName="tab", Item={"pk": S("a"), "v": N(1)})
        sc = boto3.client("dynamodbstreams", region_name="us-east-1")
        assert sc.list_streams()["Streams"][0]["StreamArn"] == arn
        recs = read_all(sc, arn)
        assert brief(recs) == [("INSERT", {"pk": S("a")}, {"pk": S("a"), "v": N(1)}, None, None)]
        assert isinstance(recs[0]["dynamodb"]["ApproximateCreationDateTime"], datetime.datetime)


CRASH_CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[2])
import pyddb
from test_streams import brief, make_table, read_all, scripted_writes
c = pyddb.connect(sys.argv[1], sync="full", ttl_interval=0, maintain_interval=0)
arn = make_table(c)["LatestStreamArn"]
exp = scripted_writes(c)
records = read_all(c.streams(), arn)
assert brief(records) == exp
print(json.dumps({"arn": arn, "records": records}, default=str), flush=True)
time.sleep(600)                     # killed here, the database open: no close, no checkpoint after
"""


def test_records_survive_a_crash(tmp_path):
    """A process that wrote with sync="full" (every write acknowledged after its WAL record is durable) is
    killed with SIGKILL while the database is open: replay restores the items, and the stream records come
    back the same from the same WAL records (sequence numbers, images, times)."""
    import json
    import os
    import signal
    import subprocess
    import sys

    import pyddb
    path = str(tmp_path / "db")
    tests_dir = os.path.dirname(os.path.abspath(__file__))
    child = subprocess.Popen([sys.executable, "-c", CRASH_CHILD, path, tests_dir], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    try:
        line = child.stdout.readline()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(60)
    err = child.stderr.read()
    child.stdout.close()
    child.stderr.close()
    assert child.returncode == -signal.SIGKILL and line, err.decode(errors="replace")
    before = json.loads(line)
    c = pyddb.connect(path, sync="full", ttl_interval=0)
    try:
        after = read_all(c.streams(), before["arn"])
        assert json.loads(json.dumps(after, default=str)) == before["records"]
        assert sorted(i["pk"]["S"] for i in c.scan(TableName="tab")["Items"]) == ["c", "d", "e"]
    finally:
        c.close()


def test_a_crash_in_delete_table_before_the_catalog_write_leaves_the_stream_enabled(tmp_path):
    """DeleteTable cut short before its catalog delete (r2): the table survives the reopen, so its stream must
    still be ENABLED and record writes (not closed by a delete that never happened)."""
    import pyddb
    path = str(tmp_path / "db")
    c = pyddb.connect(path, sync="off", ttl_interval=0)
    arn = make_table(c, view="NEW_IMAGE")["LatestStreamArn"]
    real = c.model.engine

    class Crash(Exception):
        pass

    class PowerCut:
        def __getattr__(self, name):
            return getattr(real, name)

        def write_batch(self, ops, sync=False):
            if ops[0][0] == "__tables__" and ops[0][3] is None:
                raise Crash()                      # the process dies before the catalog delete
            return real.write_batch(ops, sync=sync)

    c.model.engine = PowerCut()
    try:
        with pytest.raises(Exception):
            c.delete_table(TableName="tab")
    finally:
        c.model.engine = real
        c.close()
    c = pyddb.connect(path, sync="off", ttl_interval=0)
    try:
        t = c.describe_table(TableName="tab")["Table"]
        assert t["StreamSpecification"]["StreamEnabled"] and t["LatestStreamArn"] == arn
        sc = c.streams()
        assert sc.describe_stream(StreamArn=arn)["StreamDescription"]["StreamStatus"] == "ENABLED"
        c.put_item(TableName="tab", Item={"pk": S("x")})
        assert brief(read_all(sc, arn)) == [("INSERT", {"pk": S("x")}, {"pk": S("x")}, None, None)]
    finally:
        c.close()


def test_reopen_reenables_a_stream_closed_while_its_table_still_carries_it(tmp_path):
    """A database left by the old DeleteTable order (stream closed, catalog delete lost): the open reconciles
    the registry with the tables, so the stream the table names is ENABLED again."""
    import pyddb
    path = str(tmp_path / "db")
    c = pyddb.connect(path, sync="off", ttl_interval=0)
    try:
        arn = make_table(c, view="KEYS_ONLY")["LatestStreamArn"]
        c.model.streams._close(c.model.streams.get(arn))
    finally:
        c.close()
    c = pyddb.connect(path, sync="off", ttl_interval=0)
    try:
        sc = c.streams()
        d = sc.describe_stream(StreamArn=arn)["StreamDescription"]
        assert d["StreamStatus"] == "ENABLED" and "EndingSequenceNumber" not in d["Shards"][0]["SequenceNumberRange"]
        c.put_item(TableName="tab", Item={"pk": S("x")})
        assert brief(read_all(sc, arn)) == [("INSERT", {"pk": S("x")}, None, None, None)]
    finally:
        c.close()


def _wal_records_of(model, keyspace, pk):
    """[(lsn, has a stream op)] of the WAL records that write item `pk` of `keyspace`."""
    from pyddb.model import streams as model_streams
    out = []
    for lsn, _ts, ops in model.engine.wal_records(max(model.engine.first_wal_lsn, 1)):
        if any(op[0] == keyspace and op[1] == pk for op in ops):
            out.append((lsn, any(op[0] is None and op[1] == model_streams.TAG for op in ops)))
    return out


@pytest.mark.parametrize("how", ["put_item", "batch_write_item", "transact_write_items"])
def test_a_write_racing_update_table_enabling_the_stream_is_recorded_or_before_it(tmp_path, how):
    """A writer past its look at the table's stream setting, paused before its engine batch, while
    UpdateTable enables the stream (r1): UpdateTable waits for the table's lock, so the write commits either
    before the stream starts or with its record, never after it without one."""
    import threading

    import pyddb
    from pyddb.types import keycodec
    c = pyddb.connect(str(tmp_path / "db"), sync="off", ttl_interval=0)
    try:
        make_table(c, view=None)
        model = c.model
        t = model.tables["tab"]
        real = model.engine
        held, gate = threading.Event(), threading.Event()

        class Paused:
            def __getattr__(self, name):
                return getattr(real, name)

            def write_batch(self, ops, sync=False):
                if any(op[0] == t.keyspace for op in ops) and not gate.is_set():
                    held.set()
                    gate.wait(30)
                return real.write_batch(ops, sync=sync)

        item = {"pk": S("a")}
        write = {
            "put_item": lambda: c.put_item(TableName="tab", Item=item),
            "batch_write_item": lambda: c.batch_write_item(RequestItems={"tab": [{"PutRequest": {"Item": item}}]}),
            "transact_write_items": lambda: c.transact_write_items(
                TransactItems=[{"Put": {"TableName": "tab", "Item": item}}]),
        }[how]
        lock = model._table_locks["tab"]
        updating, updated = threading.Event(), threading.Event()
        updater = None

        class Spy:                                  # tells when UpdateTable waits for the table's lock
            def __getattr__(self, name):
                return getattr(lock, name)

            def __enter__(self):
                if threading.current_thread() is updater:
                    updating.set()
                return lock.__enter__()

            def __exit__(self, *exc):
                return lock.__exit__(*exc)

            def acquire(self, *a, **kw):
                if threading.current_thread() is updater:
                    updating.set()
                return lock.acquire(*a, **kw)

        model.items.engine = model.engine = Paused()
        model._table_locks["tab"] = Spy()
        writer = threading.Thread(target=write)
        writer.start()
        assert held.wait(30)
        updater = threading.Thread(target=lambda: (c.update_table(
            TableName="tab", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}),
            updated.set()))
        updater.start()
        for _ in range(3000):                       # until UpdateTable finished or waits for the lock
            if updating.wait(0.01) or updated.is_set():
                break
        gate.set()
        writer.join(30)
        updater.join(30)
        model.items.engine = model.engine = real
        model._table_locks["tab"] = lock
        arn = c.describe_table(TableName="tab")["Table"]["LatestStreamArn"]
        start = model.streams.get(arn).start_lsn
        [(lsn, recorded)] = _wal_records_of(model, t.keyspace, keycodec.encode(S("a")))
        assert recorded or lsn <= start
        c.put_item(TableName="tab", Item={"pk": S("b")})
        keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(c.streams(), arn)]
        assert keys == (["a", "b"] if recorded else ["b"])
    finally:
        c.close()


def test_an_iterator_whose_position_was_trimmed_gets_trimmed_data_access(tmp_path):
    """The WAL segments under an iterator's position were deleted (trimmed) before it was used: GetRecords
    answers TrimmedDataAccessException (DynamoDB's second case of it) instead of skipping ahead; a new
    TRIM_HORIZON iterator reads what is left."""
    import pyddb
    c = pyddb.connect(str(tmp_path / "db"), sync="off", ttl_interval=0, maintain_interval=0,
                      wal_segment_bytes=4096, checkpoint_bytes=1 << 30)
    try:
        arn = make_table(c, view="KEYS_ONLY")["LatestStreamArn"]
        sc = c.streams()
        c.put_item(TableName="tab", Item={"pk": S("first")})
        old = iterator(sc, arn)
        for i in range(200):
            c.put_item(TableName="tab", Item={"pk": S("k%03d" % i), "pad": S("x" * 100)})
        engine = c.model.engine
        engine.checkpoint()
        engine.checkpoint()
        assert engine.trim_archive(before_lsn=engine.last_lsn - 20) > 0
        with pytest.raises(ClientError) as e:
            sc.get_records(ShardIterator=old)
        assert code_of(e) == "TrimmedDataAccessException"
        assert message_of(e) == "The data you are trying to access has been trimmed"
        keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(sc, arn)]
        assert keys and "first" not in keys and keys[-1] == "k199"
    finally:
        c.close()


def test_an_engine_error_while_reading_returns_what_was_read_and_the_iterator_resumes_after_it(tmp_path):
    import pyddb
    from pyddb._engine.errors import EngineError
    c = pyddb.connect(str(tmp_path / "db"), sync="off", ttl_interval=0, maintain_interval=0)
    try:
        arn = make_table(c, view="KEYS_ONLY")["LatestStreamArn"]
        sc = c.streams()
        for i in range(6):
            c.put_item(TableName="tab", Item={"pk": S("k%d" % i)})
        streams = c.model.streams
        real = streams.engine

        class Failing:
            def __getattr__(self, name):
                return getattr(real, name)

            def wal_records(self, lsn):
                def gen():
                    for n, rec in enumerate(real.wal_records(lsn)):
                        if n == 3:
                            raise EngineError("segment removed under the reader")
                        yield rec
                return gen()
        it = iterator(sc, arn)
        streams.engine = Failing()
        try:
            r = sc.get_records(ShardIterator=it)
        finally:
            streams.engine = real
        first = [x["dynamodb"]["Keys"]["pk"]["S"] for x in r["Records"]]
        assert first and first == ["k%d" % i for i in range(len(first))]
        rest = sc.get_records(ShardIterator=r["NextShardIterator"])["Records"]
        assert first + [x["dynamodb"]["Keys"]["pk"]["S"] for x in rest] == ["k%d" % i for i in range(6)]
    finally:
        c.close()
