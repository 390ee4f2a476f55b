"""The data-model benchmark (issues 3 and 4): pyddb's in-process client against moto's in-process mock and
against the raw engine calls pyddb makes, side by side, in one run.

    python -m bench.model_bench              # items tables of 10,000; Query tables of 20,000 and 1,000,000
    python -m bench.model_bench --quick      # a smoke run: smaller tables and op counts (about a minute)
    python bench/model_bench.py --only items --repeat 3
    python -m bench.model_bench --help

PEERS
  pyddb       pyddb.connect(dir, sync="normal"): the in-process client, boto3's request/response shapes
  pyddb_full  pyddb.connect(dir2, sync="full"): the same, every acknowledged write fsynced (writes only)
  moto        boto3.client("dynamodb") under moto.mock_aws (moto 5), in this process
  engine      the engine calls pyddb makes for the operation, on pyddb's own Database and keyspace, with the
              bytes pyddb stores (codec.encode of the validated item, keycodec key bytes):
                GetItem            engine.get(ks, pk, sk)
                PutItem            engine.write_batch([(ks, pk, sk, value)], sync=False)
                UpdateItem         engine.get + engine.write_batch (an update reads the old item)
                TransactWriteItems 4 x engine.get + one write_batch of 4 ops
                Query Limit 10     list(engine.iter_range(ks, pk, limit=10[, reverse=True]))
                Scan               iterate engine.scan(ks) (items/s)
  engine_full the write calls again on pyddb_full's database, waiting for durability (sync=True).
  engine_decode  a floor, not a peer: the engine read plus codec.decode of each value (msgpack.unpackb to
              the response's dicts), for GetItem and Scan: what any layer that returns the item as Python
              dicts pays before doing anything else.

WORKLOAD (generated from --seed before anything is timed)
  A 10-attribute item: pk (S, 16 chars), sk (S, 6 digits), and s (S, 20 chars), n (N), f (N, decimal),
  b (B, 16 bytes), ok (BOOL), tags (SS of 3), l (L of 3: S, N, BOOL), m (M of 2: S, N). About 170 bytes.
  items table: hash pk + range sk, ITEMS items (10,000; --quick 2,000) loaded through BatchWriteItem; the
      Get/Put/Update keys are random existing items (Put overwrites, Update SETs n = n + :one, s = :s).
  query tables: the same schema, GROUP = 100 items per pk; 20,000 and 1,000,000 items (--quick: 20,000 and
      200,000), loaded straight into pyddb's keyspace with engine.write_batch of codec.encode(item) (the
      stored form, so the load takes seconds, not minutes); moto's 20,000-item table through BatchWriteItem.
      moto gets NO 1,000,000-item table: loading it through BatchWriteItem alone takes far longer than the
      whole run, so moto's Query and Scan figures are at 20,000 items only.
  Query: KeyConditionExpression "pk = :p", Limit 10, a random pk, forward and ScanIndexForward=False.
  Scan: every page of the whole table (LastEvaluatedKey followed), items/s; moto only its first page (1 MB,
  about 5,000 items): it scans a few hundred items/s, so a whole scan would take minutes per repeat.
  moto's TransactWriteItems deep-copies the table of each action before it writes (moto 5
  dynamodb/models/__init__.py transact_write_items: copy.deepcopy(self.tables[name]) for the rollback), so
  one transaction of 4 puts into the 10,000-item table copies it 4 times: moto runs only a handful of
  transactions per repeat, and its transaction figure says more about that copy than about DynamoDB.

Each measurement is repeated --repeat times (5; 3 with --quick) with the peers interleaved and rotated per
repeat; figures are medians; ratios are paired (repeat i over repeat i, then the median). Timed sections run
with the cyclic GC off (bench/engine_bench.Timer). Results go to bench/results/model-<date>[-quick].json.
"""
import argparse
import datetime
import json
import os
import shutil
import sys
import tempfile
import time

import numpy as np

if __package__ in (None, ""):                        # run as a script: make `bench` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.engine_bench import Timer, log, machine_info, print_columns, rotated, warn_tmpfs  # noqa: E402

GROUP = 100            # items per pk in the query tables
BATCH = 1000           # records per engine write_batch when loading the query tables
TX_ITEMS = 4

# per-repeat operation counts: (full, --quick); moto runs fewer of the same (it is ~1000x slower)
COUNTS = {
    "get": (50_000, 10_000), "put": (20_000, 5_000), "update": (20_000, 5_000), "transact": (5_000, 1_000),
    "query": (20_000, 5_000),
}
MOTO_COUNTS = {
    "get": (1000, 300), "put": (1000, 300), "update": (1000, 300), "transact": (10, 4), "query": (40, 15),
}
SIZES = {"items": (10_000, 2_000), "small": (20_000, 20_000), "large": (1_000_000, 200_000)}

# metric -> (label, unit, peers it runs on)
WRITE_PEERS = ("pyddb", "pyddb_full", "moto", "engine", "engine_full")
METRICS = {
    "get": ("GetItem", "ops/s", ("pyddb", "moto", "engine", "engine_decode")),
    "put": ("PutItem", "ops/s", WRITE_PEERS),
    "update": ("UpdateItem", "ops/s", WRITE_PEERS),
    "transact": ("TransactWriteItems, 4 puts", "tx/s", WRITE_PEERS),
    "query_small": ("Query Limit 10, 20k items", "ops/s", ("pyddb", "moto", "engine")),
    "query_small_rev": ("  the same, reverse", "ops/s", ("pyddb", "moto", "engine")),
    "query_large": ("Query Limit 10, 1M items", "ops/s", ("pyddb", "engine")),
    "query_large_rev": ("  the same, reverse", "ops/s", ("pyddb", "engine")),
    "scan_small": ("Scan, 20k items", "items/s", ("pyddb", "moto", "engine", "engine_decode")),
    "scan_large": ("Scan, 1M items", "items/s", ("pyddb", "engine", "engine_decode")),
}
GROUPS = {"items": ("get", "put", "update", "transact"),
          "query": ("query_small", "query_small_rev", "query_large", "query_large_rev", "scan_small",
                    "scan_large")}

# (label, numerator, denominator, threshold, comparison); a term is "peer:metric" or "abs:metric";
# all figures are rates, so "pyddb costs <= 5x the engine" is engine/pyddb <= 5
TARGETS = [
    ("GetItem >= 100,000/s", "abs:pyddb:get", None, 100_000, ">="),
    ("GetItem >= 200x moto", "pyddb:get", "moto:get", 200, ">="),
    ("PutItem >= 100x moto", "pyddb:put", "moto:put", 100, ">="),
    ("UpdateItem >= 100x moto", "pyddb:update", "moto:update", 100, ">="),
    ("GetItem cost <= 5x engine get", "engine:get", "pyddb:get", 5, "<="),
    ("PutItem cost <= 5x engine write_batch", "engine:put", "pyddb:put", 5, "<="),
    ("UpdateItem cost <= 5x engine get+write_batch", "engine:update", "pyddb:update", 5, "<="),
    ("Query >= 100x moto at 20k", "pyddb:query_small", "moto:query_small", 100, ">="),
    ("Query reverse >= 100x moto at 20k", "pyddb:query_small_rev", "moto:query_small_rev", 100, ">="),
    ("Query cost 1M <= 1.5x 20k", "pyddb:query_small", "pyddb:query_large", 1.5, "<="),
    ("Query reverse cost 1M <= 1.5x 20k", "pyddb:query_small_rev", "pyddb:query_large_rev", 1.5, "<="),
    ("Query reverse cost <= 1.2x forward, 20k", "pyddb:query_small", "pyddb:query_small_rev", 1.2, "<="),
    ("Query reverse cost <= 1.2x forward, 1M", "pyddb:query_large", "pyddb:query_large_rev", 1.2, "<="),
    ("Scan items/s >= 0.3x engine scan, 20k", "pyddb:scan_small", "engine:scan_small", 0.3, ">="),
    ("Scan items/s >= 0.3x engine scan, 1M", "pyddb:scan_large", "engine:scan_large", 0.3, ">="),
]
# further paired ratios printed (no target): moto for the full-sync peer and transactions
REPORTED = [("pyddb_full:put", "moto:put"), ("pyddb_full:update", "moto:update"),
            ("pyddb:transact", "moto:transact"), ("pyddb_full:transact", "moto:transact"),
            ("engine:transact", "pyddb:transact"), ("engine_full:put", "pyddb_full:put"),
            ("engine_full:update", "pyddb_full:update"), ("engine:query_small", "pyddb:query_small"),
            ("engine:query_large", "pyddb:query_large"), ("pyddb:scan_small", "moto:scan_small"),
            ("engine_decode:get", "pyddb:get"), ("engine_decode:scan_small", "engine:scan_small"),
            ("engine_decode:scan_large", "engine:scan_large"), ("pyddb:scan_large", "engine_decode:scan_large")]


# ------------------------------------------------------------------------------------------ workload
KEY_SCHEMA = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
ATTRS = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}]


def make_item(rng, pk, sk):
    """The 10-attribute item (wire form)."""
    r = rng.integers(0, 2**31, size=6).tolist()
    return {
        "pk": {"S": pk}, "sk": {"S": sk},
        "s": {"S": "%020d" % r[0]},
        "n": {"N": str(r[1])},
        "f": {"N": "%d.%02d" % (r[2] % 1000, r[2] % 97 + 1)},
        "b": {"B": rng.bytes(16)},
        "ok": {"BOOL": bool(r[3] & 1)},
        "tags": {"SS": ["red", "green", "t%d" % (r[4] % 1000)]},
        "l": {"L": [{"S": "x%d" % r[5]}, {"N": str(r[5] % 1000)}, {"BOOL": True}]},
        "m": {"M": {"name": {"S": "n%d" % r[0]}, "count": {"N": str(r[1] % 100)}}},
    }


def pk_of(i):
    return "%016x" % (i * 0x9E3779B97F4A7C15 % 2**64)


class Workload:
    def __init__(self, quick, seed, scale, sizes=None):
        q = 1 if quick else 0
        self.rng = rng = np.random.default_rng(seed)
        self.counts = {k: max(1, int(v[q] * scale)) for k, v in COUNTS.items()}
        self.moto_counts = {k: max(1, int(v[q] * scale)) for k, v in MOTO_COUNTS.items()}
        self.sizes = {k: v[q] for k, v in SIZES.items()}
        self.sizes.update(sizes or {})
        n = self.sizes["items"]
        # the items table: n items, 10 sks per pk
        self.items = [make_item(rng, pk_of(i // 10), "%06d" % (i % 10)) for i in range(n)]
        keys = [{"pk": it["pk"], "sk": it["sk"]} for it in self.items]
        pick = lambda k: rng.integers(0, n, size=k).tolist()  # noqa: E731
        self.get_keys = [keys[i] for i in pick(self.counts["get"])]
        self.put_items = [make_item(rng, self.items[i]["pk"]["S"], self.items[i]["sk"]["S"])
                          for i in pick(self.counts["put"])]
        self.update_keys = [keys[i] for i in pick(self.counts["update"])]
        self.update_values = ["%020d" % v for v in rng.integers(0, 2**62, size=self.counts["update"]).tolist()]
        self.tx = []
        for _ in range(self.counts["transact"]):
            idx = rng.choice(n, size=TX_ITEMS, replace=False).tolist()
            self.tx.append([make_item(rng, self.items[i]["pk"]["S"], self.items[i]["sk"]["S"]) for i in idx])
        # query probes: a random pk of each query table
        self.query_pks = {}
        for which in ("small", "large"):
            npk = self.sizes[which] // GROUP
            self.query_pks[which] = [pk_of(i) for i in rng.integers(0, npk, size=self.counts["query"]).tolist()]

    def query_items(self, which):
        """The items of query table `which`, generated in chunks (1M items are not held at once)."""
        rng = np.random.default_rng(12345)
        n = self.sizes[which]
        for i in range(n):
            yield make_item(rng, pk_of(i // GROUP), "%06d" % (i % GROUP))


# ------------------------------------------------------------------------------------------ peers
class Setup:
    """Every peer's databases and tables for one run."""

    def __init__(self, base, wl, groups, with_moto):
        import pyddb
        from pyddb.types import attrvalue, codec

        self.wl = wl
        self.encode = codec.encode
        self.validate = attrvalue.validate_item
        self.clients = {"pyddb": pyddb.connect(os.path.join(base, "normal"), sync="normal")}
        if "items" in groups:
            self.clients["pyddb_full"] = pyddb.connect(os.path.join(base, "full"), sync="full")
        self.moto = None
        if with_moto:
            os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
            import boto3
            from moto import mock_aws
            self.moto = mock_aws()
            self.moto.start()
            self.clients["moto"] = boto3.client("dynamodb", region_name="us-east-1")
        self.tables = {}
        if "items" in groups:
            for name, c in self.clients.items():
                self.create(c, "items")
                for i in range(0, len(wl.items), 25):
                    c.batch_write_item(RequestItems={"items": [{"PutRequest": {"Item": it}}
                                                               for it in wl.items[i:i + 25]]})
        if "query" in groups:
            c = self.clients["pyddb"]
            for which in ("small", "large"):
                name = "q_" + which
                self.create(c, name)
                t = c.model.table(name)
                ops = []
                for item in wl.query_items(which):
                    pk, sk = t.key_bytes(item)
                    ops.append((t.keyspace, pk, sk, codec.encode(self.validate(item))))
                    if len(ops) == BATCH:
                        c.model.engine.write_batch(ops, sync=False)
                        ops = []
                if ops:
                    c.model.engine.write_batch(ops, sync=False)
                c.model.engine.sync()
            if self.moto is not None:
                m = self.clients["moto"]
                self.create(m, "q_small")
                batch = []
                for item in wl.query_items("small"):
                    batch.append({"PutRequest": {"Item": item}})
                    if len(batch) == 25:
                        m.batch_write_item(RequestItems={"q_small": batch})
                        batch = []
                if batch:
                    m.batch_write_item(RequestItems={"q_small": batch})

    @staticmethod
    def create(client, name):
        client.create_table(TableName=name, KeySchema=KEY_SCHEMA, AttributeDefinitions=ATTRS,
                            BillingMode="PAY_PER_REQUEST")

    def engine_of(self, peer):
        return self.clients["pyddb_full" if peer == "engine_full" else "pyddb"].model

    def close(self):
        for name, c in self.clients.items():
            if name != "moto":
                c.close()
        if self.moto is not None:
            self.moto.stop()


# ------------------------------------------------------------------------------------------ measurements
def timed(fn, n):
    """Run fn() (which performs n operations, or returns how many it did); return ops/s."""
    with Timer() as t:
        done = fn()
    return (n if done is None else done) / t.seconds


def item_runner(setup, metric, peer):
    """(callable doing the work, operations it performs) for one item-operation measurement."""
    wl = setup.wl
    if peer in ("engine", "engine_full", "engine_decode"):
        model = setup.engine_of(peer)
        t = model.table("items")
        ks, eng, enc, val = t.keyspace, model.engine, setup.encode, setup.validate
        sync = peer == "engine_full"
        if metric == "get":
            addrs = [t.key_bytes(k) for k in wl.get_keys]
            if peer == "engine_decode":
                from pyddb.types.codec import decode

                def run():
                    get = eng.get
                    for pk, sk in addrs:
                        decode(get(ks, pk, sk))
                return run, len(addrs)

            def run():
                get = eng.get
                for pk, sk in addrs:
                    get(ks, pk, sk)
            return run, len(addrs)
        if metric == "put":
            ops = [(ks,) + t.key_bytes(it) + (enc(val(it)),) for it in wl.put_items]

            def run():
                wb = eng.write_batch
                for op in ops:
                    wb([op], sync=sync)
            return run, len(ops)
        if metric == "update":
            ops = []
            for k, s in zip(wl.update_keys, wl.update_values):
                pk, sk = t.key_bytes(k)
                ops.append((ks, pk, sk, eng.get(ks, pk, sk)))   # the same bytes back (same size)

            def run():
                wb, get = eng.write_batch, eng.get
                for op in ops:
                    get(ks, op[1], op[2])
                    wb([op], sync=sync)
            return run, len(ops)
        if metric == "transact":
            txs = [[(ks,) + t.key_bytes(it) + (enc(val(it)),) for it in tx] for tx in wl.tx]

            def run():
                wb, get = eng.write_batch, eng.get
                for ops in txs:
                    for op in ops:
                        get(ks, op[1], op[2])
                    wb(ops, sync=sync)
            return run, len(txs)
    c = setup.clients[peer]
    k = (lambda seq: seq) if peer != "moto" else (lambda seq: seq[:wl.moto_counts[metric]])
    if metric == "get":
        keys = k(wl.get_keys)

        def run():
            get = c.get_item
            for key in keys:
                if "Item" not in get(TableName="items", Key=key):
                    raise AssertionError("%s: GetItem found nothing" % peer)
        return run, len(keys)
    if metric == "put":
        items = k(wl.put_items)

        def run():
            put = c.put_item
            for item in items:
                put(TableName="items", Item=item)
        return run, len(items)
    if metric == "update":
        pairs = k(list(zip(wl.update_keys, wl.update_values)))

        def run():
            update = c.update_item
            for key, s in pairs:
                update(TableName="items", Key=key, UpdateExpression="SET n = n + :one, s = :s",
                       ExpressionAttributeValues={":one": {"N": "1"}, ":s": {"S": s}})
        return run, len(pairs)
    if metric == "transact":
        txs = k(wl.tx)

        def run():
            tw = c.transact_write_items
            for tx in txs:
                tw(TransactItems=[{"Put": {"TableName": "items", "Item": it}} for it in tx])
        return run, len(txs)
    raise KeyError(metric)


def query_runner(setup, metric, peer):
    wl = setup.wl
    which = "small" if "small" in metric else "large"
    name = "q_" + which
    if metric.startswith("scan"):
        n_items = wl.sizes[which]
        if peer in ("engine", "engine_decode"):
            model = setup.engine_of(peer)
            ks, eng = model.table(name).keyspace, model.engine
            from pyddb.types.codec import decode

            def run():
                got = 0
                for _row in eng.scan(ks):
                    got += 1
                if got != n_items:
                    raise AssertionError("engine scan read %d of %d" % (got, n_items))

            def run_decode():
                got = 0
                for row in eng.scan(ks):
                    decode(row[2])
                    got += 1
                if got != n_items:
                    raise AssertionError("engine scan read %d of %d" % (got, n_items))
            return (run if peer == "engine" else run_decode), n_items
        c = setup.clients[peer]
        first_page_only = peer == "moto"       # moto scans ~400 items/s: its first 1 MB page only

        def run():
            got, kwargs = 0, {}
            while True:
                page = c.scan(TableName=name, **kwargs)
                got += len(page["Items"])
                if first_page_only:
                    return got
                if "LastEvaluatedKey" not in page:
                    break
                kwargs = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
            if got != n_items:
                raise AssertionError("%s scan read %d of %d" % (peer, got, n_items))
        return run, n_items
    reverse = metric.endswith("_rev")
    pks = wl.query_pks[which]
    if peer == "moto":
        pks = pks[:wl.moto_counts["query"]]
    if peer == "engine":
        model = setup.engine_of(peer)
        t = model.table(name)
        ks, eng = t.keyspace, model.engine
        from pyddb.types import keycodec
        addrs = [keycodec.encode({"S": p}) for p in pks]

        def run():
            it = eng.iter_range
            for pk in addrs:
                if len(list(it(ks, pk, None, None, True, False, reverse, 10))) != 10:
                    raise AssertionError("engine iter_range: not 10")
        return run, len(addrs)
    c = setup.clients[peer]
    reqs = [dict(TableName=name, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": p}},
                 Limit=10, **({"ScanIndexForward": False} if reverse else {})) for p in pks]

    def run():
        query = c.query
        for r in reqs:
            if len(query(**r)["Items"]) != 10:
                raise AssertionError("%s Query: not 10 items" % peer)
    return run, len(reqs)


# ------------------------------------------------------------------------------------------ the run
def run(args):
    groups = [g for g in args.only.split(",") if g] if args.only else list(GROUPS)
    wl = Workload(args.quick, args.seed, args.scale)
    metrics = [m for g in groups for m in GROUPS[g]]
    with_moto = not args.no_moto
    if not with_moto:
        print("moto: not run (--no-moto)")
    base = tempfile.mkdtemp(prefix="pyddb-model-bench-", dir=args.dir)
    warn_tmpfs(base)
    print("groups=%s items=%d query tables=%d/%d repeats=%d data in %s"
          % (",".join(groups), wl.sizes["items"], wl.sizes["small"], wl.sizes["large"], args.repeat, base),
          flush=True)
    t_start = time.time()
    runs = {m: {p: [] for p in METRICS[m][2] if with_moto or p != "moto"} for m in metrics}
    setup = None
    try:
        t0 = time.time()
        setup = Setup(base, wl, groups, with_moto)
        print("loaded in %.1f s" % (time.time() - t0), flush=True)
        # metrics compared with each other (forward/reverse, 20k/1M) run interleaved within each repeat,
        # so a change in the machine's load hits both sides of their ratios alike
        families = [[m] for m in metrics if m in GROUPS["items"]]
        families += [f for f in ([m for m in metrics if m.startswith("query")],
                                 [m for m in metrics if m.startswith("scan")]) if f]
        for family in families:
            prepared = {}
            for metric in family:
                runner = item_runner if metric in GROUPS["items"] else query_runner
                for p in runs[metric]:
                    prepared[metric, p] = runner(setup, metric, p)
                    if p != "moto" and not metric.startswith("scan"):
                        prepared[metric, p][0]()          # warm-up: caches, parsed expressions, pages
            for r in range(args.repeat):
                for metric in rotated(family, r):
                    for p in rotated(list(runs[metric]), r):
                        fn, n = prepared[metric, p]
                        rate = timed(fn, n)
                        runs[metric][p].append(rate)
                        log(metric, p, r, "{:,.0f} {}".format(rate, METRICS[metric][1]))
    finally:
        if setup is not None:
            setup.close()
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    result = summarise(runs)
    result["config"] = {"quick": args.quick, "repeat": args.repeat, "seed": args.seed, "groups": groups,
                        "sizes": wl.sizes, "counts": wl.counts, "moto_counts": wl.moto_counts,
                        "group": GROUP, "moto": with_moto, "seconds": round(time.time() - t_start, 1),
                        "moto_large_tables": False}
    result["machine"] = machine_info()
    try:
        import moto
        result["machine"]["moto"] = moto.__version__
    except ImportError:
        pass
    print_table(result)
    if not args.no_save:
        out = args.out or os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "results",
            "model-%s%s.json" % (datetime.date.today().isoformat(), "-quick" if args.quick else ""))
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w") as f:
            json.dump(result, f, indent=1, sort_keys=True)
            f.write("\n")
        print("results: %s" % out)
    return result


def _series(runs, term):
    peer, metric = term.split(":")
    return np.asarray(runs.get(metric, {}).get(peer, []), dtype=float)


def paired(runs, num, den):
    a, b = _series(runs, num), _series(runs, den)
    if len(a) == 0 or len(a) != len(b):
        return None
    return float(np.median(a / b))


def summarise(runs):
    med = {m: {p: float(np.median(v)) for p, v in per.items() if v} for m, per in runs.items()}
    targets = []
    for label, num, den, threshold, cmp in TARGETS:
        if num.startswith("abs:"):
            s = _series(runs, num[4:])
            value = float(np.median(s)) if len(s) else None
        else:
            value = paired(runs, num, den)
        verdict = None
        if value is not None:
            verdict = "PASS" if (value >= threshold if cmp == ">=" else value <= threshold) else "MISS"
        targets.append({"target": label, "ratio": value, "threshold": "%s %s" % (cmp, threshold),
                        "numerator": num, "denominator": den, "verdict": verdict})
    reported = []
    for num, den in REPORTED:
        value = paired(runs, num, den)
        if value is not None:
            reported.append({"numerator": num, "denominator": den, "ratio": value})
    return {"runs": runs, "median": med, "targets": targets, "reported_ratios": reported}


def print_table(result):
    med = result["median"]
    peers = [p for p in ("pyddb", "pyddb_full", "moto", "engine", "engine_full", "engine_decode")
             if any(p in v for v in med.values())]
    head = ["operation", "unit"] + peers + ["pyddb/moto", "engine/pyddb"]
    rows = []
    for m, per in med.items():
        label, unit, _ = METRICS[m]
        row = [label, unit] + ["{:,.0f}".format(per[p]) if p in per else "-" for p in peers]
        pm, ep = paired(result["runs"], "pyddb:" + m, "moto:" + m), paired(result["runs"], "engine:" + m,
                                                                            "pyddb:" + m)
        row += ["%.0fx" % pm if pm is not None else "-", "%.2fx" % ep if ep is not None else "-"]
        rows.append(row)
    print_columns(head, rows, lambda i, n: i > 1)
    print("(medians of %d repeats; ratios are medians of paired per-repeat ratios; engine/pyddb is how many "
          "times pyddb's cost is the engine's)" % result["config"]["repeat"])
    print()
    for t in result["targets"]:
        if t["ratio"] is not None:
            v = "{:,.0f}/s".format(t["ratio"]) if t["numerator"].startswith("abs:") else "%.2fx" % t["ratio"]
            print("  %-46s %12s  %s" % (t["target"], v, t["verdict"]))
    for r in result["reported_ratios"]:
        print("  %-46s %11.2fx" % ("%s / %s" % (r["numerator"], r["denominator"]), r["ratio"]))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smoke run: small tables, small op counts")
    ap.add_argument("--repeat", type=int, default=None, help="repeats of each measurement (5; 3 with --quick)")
    ap.add_argument("--only", default="", help="comma-separated groups: items, query")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the per-repeat op counts")
    ap.add_argument("--no-moto", action="store_true", help="leave moto out")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--dir", default=None, help="parent of the data directories (default: system temp)")
    ap.add_argument("--keep", action="store_true", help="keep the data directories")
    ap.add_argument("--out", default=None, help="results JSON path")
    ap.add_argument("--no-save", action="store_true", help="don't write the results JSON")
    args = ap.parse_args(argv)
    if args.repeat is None:
        args.repeat = 3 if args.quick else 5
    run(args)


if __name__ == "__main__":
    main()
