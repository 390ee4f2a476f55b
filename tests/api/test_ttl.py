"""Time to Live (model/ttl.py, api/ttl.py): settings and their statuses and errors, expiry under a moved clock
that keeps indexes and streams right, the background sweeper, the clock over HTTP (PyDDB_20240101.*)."""
import time

import pytest
from botocore.exceptions import ClientError

S = lambda v: {"S": v}          # noqa: E731
N = lambda v: {"N": str(v)}     # noqa: E731
SERVICE = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}


def make_table(ddb, name="tab", stream=True):
    req = dict(TableName=name, BillingMode="PAY_PER_REQUEST",
               AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                     {"AttributeName": "g", "AttributeType": "S"}],
               KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
               GlobalSecondaryIndexes=[{"IndexName": "byg", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                        "Projection": {"ProjectionType": "ALL"}}])
    if stream:
        req["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "OLD_IMAGE"}
    return ddb.create_table(**req)["TableDescription"]


def ttl_of(ddb, name="tab"):
    return ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]


def update(ddb, enabled, attr="exp", name="tab"):
    return ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": enabled,
                                                                            "AttributeName": attr})


def err(ddb, enabled, attr="exp", name="tab"):
    with pytest.raises(ClientError) as e:
        update(ddb, enabled, attr, name)
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def settle(ddb):
    """Move the clock past the ENABLING/DISABLING transition."""
    ddb.pyddb_set_clock(AdvanceSeconds=5)


def test_statuses_and_the_rules_on_changing_them(ddb):
    make_table(ddb, stream=False)
    assert ttl_of(ddb) == {"TimeToLiveStatus": "DISABLED"}
    assert err(ddb, False) == ("ValidationException", "TimeToLive is already disabled")
    r = update(ddb, True)
    assert r["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "exp"}
    assert ttl_of(ddb) == {"TimeToLiveStatus": "ENABLING", "AttributeName": "exp"}
    assert err(ddb, False) == ("ValidationException",
                               "Time to live has been modified multiple times within a fixed interval")
    settle(ddb)
    assert ttl_of(ddb) == {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}
    assert err(ddb, True) == ("ValidationException", "TimeToLive is already enabled")
    assert err(ddb, True, "other") == ("ValidationException", "TimeToLive is already enabled")
    assert err(ddb, False, "other")[0] == "ValidationException"
    assert ttl_of(ddb) == {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}    # refusals change nothing
    assert update(ddb, False)["TimeToLiveSpecification"] == {"Enabled": False, "AttributeName": "exp"}
    assert ttl_of(ddb) == {"TimeToLiveStatus": "DISABLING", "AttributeName": "exp"}
    settle(ddb)
    assert ttl_of(ddb) == {"TimeToLiveStatus": "DISABLED"}
    update(ddb, True, "exp2")
    settle(ddb)
    assert ttl_of(ddb) == {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp2"}
    # DescribeTable is unaffected; a missing table is ResourceNotFoundException
    assert ddb.describe_table(TableName="tab")["Table"]["TableName"] == "tab"
    for call in (lambda: ttl_of(ddb, "nope"), lambda: update(ddb, True, name="nope")):
        with pytest.raises(ClientError) as e:
            call()
        assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:            # shape validation before the table lookup
        ddb.update_time_to_live(TableName="nope", TimeToLiveSpecification={"Enabled": True, "AttributeName": ""})
    assert e.value.response["Error"]["Code"] == "ValidationException"
    ddb.pyddb_set_clock()


def test_the_setting_survives_a_reopen(ddb, reopen):
    make_table(ddb, stream=False)
    update(ddb, True)
    settle(ddb)
    ddb = reopen(ddb)
    assert ttl_of(ddb)["AttributeName"] == "exp"
    ddb.close()


def test_expiry_under_a_moved_clock_keeps_indexes_and_streams_right(ddb):
    arn = make_table(ddb)["LatestStreamArn"]
    now = int(time.time())
    items = {
        "past": N(now - 10), "soon": N(now + 1000), "later": N(now + 100000), "string": S(str(now - 10)),
        "ancient": N(now - 6 * 365 * 86400), "float": N("%d.5" % (now + 500)), "none": None,
        "nested": {"M": {"exp": N(now - 10)}},
    }
    for k, v in items.items():
        item = {"pk": S(k), "g": S("G"), "v": N(1)}
        if v is not None:
            item["exp"] = v
        ddb.put_item(TableName="tab", Item=item)
    # nothing expires before TTL is enabled
    ddb.pyddb_set_clock(OffsetSeconds=2000)
    ddb.pyddb_sweep_ttl()
    assert len(ddb.scan(TableName="tab")["Items"]) == len(items)
    update(ddb, True)
    ddb.pyddb_set_clock(OffsetSeconds=2010)            # ENABLED, "past", "soon" and "float" are due
    ddb.pyddb_sweep_ttl()
    left = sorted(i["pk"]["S"] for i in ddb.scan(TableName="tab")["Items"])
    assert left == sorted(["later", "string", "ancient", "none", "nested"])
    byg = sorted(i["pk"]["S"] for i in ddb.query(TableName="tab", IndexName="byg", KeyConditionExpression="g = :g",
                                                 ExpressionAttributeValues={":g": S("G")})["Items"])
    assert byg == left                                  # the index lost exactly the expired items
    # the stream: one REMOVE per expired item, made by the service, with the old image
    sc = ddb.streams()
    shard = sc.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = sc.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    recs = sc.get_records(ShardIterator=it)["Records"]
    removes = [r for r in recs if r["eventName"] == "REMOVE"]
    assert sorted(r["dynamodb"]["Keys"]["pk"]["S"] for r in removes) == ["float", "past", "soon"]
    assert all(r["userIdentity"] == SERVICE for r in removes)
    assert all(r["dynamodb"]["OldImage"]["pk"] == r["dynamodb"]["Keys"]["pk"] for r in removes)
    assert all("userIdentity" not in r for r in recs if r["eventName"] != "REMOVE")
    # a renewed item is not deleted; a user delete is not the service's
    ddb.put_item(TableName="tab", Item={"pk": S("later"), "g": S("G"), "exp": N(now + 10 ** 6)})
    ddb.delete_item(TableName="tab", Key={"pk": S("none")})
    ddb.pyddb_set_clock(OffsetSeconds=200000)
    ddb.pyddb_sweep_ttl()
    left = sorted(i["pk"]["S"] for i in ddb.scan(TableName="tab")["Items"])
    assert left == sorted(["later", "string", "ancient", "nested"])
    ddb.pyddb_set_clock()                               # records of the real time are within 24 hours again
    it = sc.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    recs = sc.get_records(ShardIterator=it)["Records"]
    assert [r.get("userIdentity") for r in recs if r["dynamodb"]["Keys"]["pk"]["S"] == "none"] == [None, None]
    # disabled: nothing more expires
    ddb.pyddb_set_clock(OffsetSeconds=3000)             # past the transition of the enable (at +2000)
    update(ddb, False)
    ddb.pyddb_set_clock(OffsetSeconds=10 ** 7)
    ddb.pyddb_sweep_ttl()
    assert len(ddb.scan(TableName="tab")["Items"]) == 4
    ddb.pyddb_set_clock()


def test_the_background_sweeper_deletes_without_being_asked(tmp_path):
    import pyddb
    c = pyddb.connect(str(tmp_path / "db"), sync="off", ttl_interval=0.05)
    try:
        make_table(c, stream=False)
        c.put_item(TableName="tab", Item={"pk": S("x"), "g": S("G"), "exp": N(int(time.time()) - 5)})
        c.put_item(TableName="tab", Item={"pk": S("y"), "g": S("G")})
        update(c, True)
        c.pyddb_set_clock(AdvanceSeconds=5)
        deadline = time.monotonic() + 60
        while c.get_item(TableName="tab", Key={"pk": S("x")}).get("Item") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "Item" not in c.get_item(TableName="tab", Key={"pk": S("x")})
        assert "Item" in c.get_item(TableName="tab", Key={"pk": S("y")})
        assert c.model.ttl.deleted >= 1
    finally:
        c.close()
    assert c.model is None                              # closed; the sweeper thread was stopped by close


def test_clock_operations_and_their_errors(ddb):
    r = ddb.pyddb_set_clock(Epoch=2_000_000_000, Frozen=True)
    assert r["Now"] == 2_000_000_000
    make_table(ddb, stream=False)
    created = ddb.describe_table(TableName="tab")["Table"]["CreationDateTime"]
    assert int(created.timestamp()) == 2_000_000_000    # the model's times follow the clock
    assert ddb.pyddb_set_clock(AdvanceSeconds=10)["Now"] == 2_000_000_010
    assert abs(ddb.pyddb_set_clock()["Now"] - time.time()) < 60
    for bad in ({"Epoch": "soon"}, {"Epoch": 1, "OffsetSeconds": 2}):
        with pytest.raises(ClientError) as e:
            ddb.pyddb_set_clock(**bad)
        assert e.value.response["Error"]["Code"] == "ValidationException"
    r = ddb.pyddb_sweep_ttl()
    assert isinstance(r["Deleted"], int) and r["Deleted"] >= 0


def test_budgeted_passes_resume_where_the_last_stopped_and_cover_the_table(tmp_path):
    """The background sweeper examines at most `budget` items per pass and resumes at its cursor, so a big
    table costs a bounded slice per pass; successive passes still reach every due item, and a full pass
    (sweep_now) is one call."""
    import pyddb
    c = pyddb.connect(str(tmp_path / "db"), sync="off", ttl_interval=0)
    try:
        make_table(c, stream=False)
        make_table(c, name="two", stream=False)
        now = int(time.time())
        for i in range(30):
            c.put_item(TableName="tab", Item={"pk": S("k%02d" % i), "exp": N(now - 5 if i % 3 else now + 10 ** 6)})
        for i in range(6):
            c.put_item(TableName="two", Item={"pk": S("k%d" % i), "exp": N(now - 5)})
        update(c, True)
        update(c, True, name="two")
        settle(c)
        ttl = c.model.ttl
        counts = [ttl.sweep_pass(budget=7) for _ in range(12)]
        assert all(n <= 7 for n in counts) and sum(counts) == 20 + 6
        assert len(c.scan(TableName="tab")["Items"]) == 10 and c.scan(TableName="two")["Items"] == []
        # items written behind the cursor are reached when the cursor comes round again
        for i in range(30):
            c.put_item(TableName="tab", Item={"pk": S("k%02d" % i), "exp": N(now - 5)})
        counts = [ttl.sweep_pass(budget=7) for _ in range(12)]
        assert all(n <= 7 for n in counts) and sum(counts) == 30
        for i in range(4):
            c.put_item(TableName="tab", Item={"pk": S("z%d" % i), "exp": N(now - 5)})
        assert ttl.sweep_now() == 4                         # a full pass on demand
    finally:
        c.close()


def test_the_sweepers_cheap_look_at_the_stored_bytes_agrees_with_decoding_them():
    """ttl.due(raw, ...) reads only the TTL attribute's bytes where it can; it must say exactly what
    expired(decode(raw)) says, whatever else the item holds (the same bytes nested, in strings, in names)."""
    import random

    from pyddb.model import ttl
    from pyddb.types import codec
    rnd = random.Random(7)
    now = 1_700_000_000
    numbers = [str(now - 5), str(now + 5), str(now), "%d.5" % (now - 1), "%d.5" % now, str(now - 6 * 365 * 86400),
               "-1", "0", "1E+9", "99999999999999999999999999999999999999", "1.5", str(now - 4 * 365 * 86400)]

    def value():
        r = rnd.random()
        if r < 0.5:
            return N(rnd.choice(numbers))
        if r < 0.6:
            return S(rnd.choice(numbers))
        if r < 0.7:
            return {"M": {"exp": N(rnd.choice(numbers))}}
        if r < 0.8:
            return {"L": [N(rnd.choice(numbers)), {"M": {"exp": N(rnd.choice(numbers))}}]}
        if r < 0.9:
            return S("\xa3exp\x81\xa1N\xa3abc" + rnd.choice(numbers))
        return {"B": b"\xa3exp\x81\xa1N\xaa" + rnd.choice(numbers).encode()}

    names = ["exp", "xexp", "\xa3exp", "ex", "expp", "other", "v"]
    checked = 0
    for _ in range(3000):
        item = {"pk": S("a")}
        for _ in range(rnd.randint(0, 4)):
            item[rnd.choice(names)] = value()
        raw = codec.encode(item)
        for attr in ("exp", "\xa3exp"):
            assert ttl.due(raw, ttl.pattern(attr), attr, now) == ttl.expired(item, attr, now), (item, attr)
            checked += 1
    assert checked == 6000


def _pitr_table(c):
    make_table(c, stream=False)
    for i in range(20):
        c.put_item(TableName="tab", Item={"pk": S("k%d" % i), "g": S("G")})
    c.update_continuous_backups(TableName="tab",
                                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
    return c.model.tables["tab"]


def test_pitr_bases_are_copied_outside_the_control_plane_lock_and_kept_with_sweeping_off(tmp_path, monkeypatch):
    """The maintenance runs on its own schedule even with TTL sweeping off (ttl_interval=0), and a PITR base
    due for renewal is copied without holding model.lock: CreateTable completes while the copy is stopped
    half-way; the base is published when it ends."""
    import threading

    import pyddb
    from pyddb.model import backups, pitr
    c = pyddb.connect(str(tmp_path / "db"), sync="off", ttl_interval=0, maintain_interval=0.05)
    try:
        model = c.model
        t = _pitr_table(c)
        assert len(pitr.bases(model, t)) == 1
        real_copy = backups.copy_consistent
        copying, release = threading.Event(), threading.Event()

        def paused_copy(model_, table_, dest):
            # (a copy under model.lock, by pitr.maintain when a base fell due between its look and the lock,
            # is let through: it is not the one this test is about, and would block the test's CreateTable)
            if dest.startswith(pitr.BASE_PREFIX) and threading.current_thread().name == "pyddb-ttl" \
                    and not model.lock._is_owned():
                copying.set()
                release.wait(60)
            return real_copy(model_, table_, dest)
        monkeypatch.setattr(backups, "copy_consistent", paused_copy)
        monkeypatch.setattr(pitr, "BASE_INTERVAL_S", 0)         # a new base is due at every maintenance
        assert copying.wait(60)                                 # the maintenance ran: nobody swept
        monkeypatch.setattr(pitr, "BASE_INTERVAL_S", 3600)
        created = threading.Event()
        th = threading.Thread(target=lambda: (make_table(c, name="other", stream=False), created.set()))
        th.start()
        try:
            assert created.wait(60)                             # the control plane is not held by the copy
        finally:
            release.set()
            th.join(60)
        deadline = time.monotonic() + 60
        while len(pitr.bases(model, t)) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(pitr.bases(model, t)) == 2
    finally:
        c.close()


def test_a_base_copied_while_its_table_is_deleted_is_not_published_and_leaves_nothing(tmp_path, monkeypatch):
    import pyddb
    from pyddb.model import backups, pitr
    c = pyddb.connect(str(tmp_path / "db"), sync="off", ttl_interval=0, maintain_interval=0)
    try:
        model = c.model
        t = _pitr_table(c)
        real_copy = backups.copy_consistent

        def copy_then_delete(model_, table_, dest):
            n = real_copy(model_, table_, dest)
            if dest.startswith(pitr.BASE_PREFIX) and "tab" in model.tables:
                c.delete_table(TableName="tab")
            return n
        monkeypatch.setattr(backups, "copy_consistent", copy_then_delete)
        monkeypatch.setattr(pitr, "BASE_INTERVAL_S", 0)
        model.ttl.maintain()
        assert "tab" not in model.tables
        assert pitr.bases(model, t) == []
        assert not [ks for ks in model.engine.keyspaces() if ks.startswith(pitr.BASE_PREFIX)]
        assert not [wid for wid, _ in model.engine.iter_range(backups.CATALOG, b"w")]
    finally:
        c.close()


def test_a_failing_sweep_is_logged_with_its_traceback_and_retried_later_and_later(tmp_path, monkeypatch, caplog):
    import logging

    import pyddb
    from pyddb.model import ttl
    calls = []

    def broken(self, budget):
        calls.append(budget)
        raise RuntimeError("disk on fire")
    monkeypatch.setattr(ttl.TTL, "_sweep_budgeted", broken)
    caplog.set_level(logging.DEBUG, logger="pyddb.ttl")
    c = pyddb.connect(str(tmp_path / "db"), sync="off", ttl_interval=0.001, maintain_interval=0)
    try:
        deadline = time.monotonic() + 60
        # The delay after a failure is recorded after the call fails: wait for the fourth delay itself.
        while len(c.model.ttl.sweep_delays) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(calls) >= 4
        delays = list(c.model.ttl.sweep_delays)
    finally:
        c.close()
    failures = [r for r in caplog.records if r.name == "pyddb.ttl" and "sweep failed" in r.getMessage()]
    assert failures and all(r.levelno == logging.ERROR and r.exc_info and r.exc_info[0] is RuntimeError
                            for r in failures)
    assert delays[:4] == [ttl.backoff(0.001, k) for k in range(1, 5)]
    assert ttl.backoff(0.001, 1) < ttl.backoff(0.001, 2) < ttl.backoff(0.001, 3)
    assert ttl.backoff(2.0, 100) == ttl.MAX_BACKOFF_S and ttl.backoff(2.0, 0) == 2.0
