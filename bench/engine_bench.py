"""The engine benchmark: pyddb's Database against LMDB and SQLite, side by side, in one run.

    python -m bench.engine_bench              # N = 1,000,000 records
    python bench/engine_bench.py --quick      # N = 50,000: a smoke run
    python bench/engine_bench.py --n 200000 --repeat 3 --peers lmdb,sqlite

WORKLOAD (the same data for every peer, generated from --seed)
  N records inserted in random order. A record is pk (16 bytes: 16 hex digits of a random 64-bit
  number) + sk (6 bytes: a zero-padded decimal index), 200-byte random value; GROUP = 200 sks per pk,
  so N / 200 partition keys. pyddb stores (pk, sk) as a table with a partition and a sort key does;
  LMDB and SQLite store the 22-byte key pk + sk.

MEASUREMENTS (each timed REPEAT times; medians reported)
  load        bulk load of all N records, 1000 records per durable commit, + close  records/s
  get         random point gets of existing records                                ops/s
  range100    read 100 consecutive records from a random (pk, sk) (within one pk)   ranges/s
  put_nosync  one put (overwrite of a random record) per commit, commits not synced commits/s
  put_durable the same with durable commits; also p50/p99 latency                 commits/s, us
  put_8t      durable one-put commits from 8 threads at once                        commits/s
  put_8t_nosync  the same without sync: the ceiling for put_8t (no group commit can pass it)
  disk        on-disk bytes (allocated, as du counts) after the load, closed       bytes
INTERLEAVING. The machine may be shared, and its load changes within seconds. So a repeat is cut into
slices (the load: one slice per 1000-record batch) and the peers take turns slice by slice, their order
rotated per slice and per repeat; a peer's figure for a repeat is its operations over the sum of its
slices' times. Every peer thus sees the same machine at (nearly) the same moments.
Ratios are paired: repeat i of pyddb over repeat i of the peer, then the median of those ratios.
Results go to bench/results/engine-<date>[-quick].json.
"""
import argparse
import datetime
import gc
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

if __package__ in (None, ""):                        # run as a script: make `bench` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.peers import PEERS, dir_files, dir_size, is_wal, pyddb_available  # noqa: E402

GROUP = 200            # sks per pk (>= RANGE_N, so a range read stays inside one pk)
RANGE_N = 100          # records per range read
BATCH = 1000           # records per commit in the bulk load
VALUE_BYTES = 200
VALUE_POOL = 4096      # distinct random values, reused (no peer compresses or dedups)

# per-repeat operation counts: (full N, --quick)
COUNTS = {
    "get": (200_000, 20_000),
    "range100": (20_000, 2_000),
    "put_nosync": (50_000, 5_000),
    "put_durable": (5_000, 1_000),
    "put_8t": (8_000, 2_000),          # in total, split over the threads
}
# slices per repeat (see INTERLEAVING); fewer for the threaded commits, whose slices start 8 threads each
SLICES = {"get": 20, "range100": 20, "put_nosync": 10, "put_durable": 10, "put_8t": 4}

# metric -> (label, unit, higher is better)
METRICS = {
    "load": ("bulk load, 1000/commit", "rec/s", True),
    "get": ("random point get", "ops/s", True),
    "range100": ("100-key range read", "ranges/s", True),
    "put_nosync": ("commit, no sync", "ops/s", True),
    "put_durable": ("commit, durable", "ops/s", True),
    "put_durable_p50_us": ("  durable latency p50", "us", False),
    "put_durable_p99_us": ("  durable latency p99", "us", False),
    "put_8t": ("commit, durable, 8 threads", "ops/s", True),
    "put_8t_nosync": ("  8 threads, no sync (ceiling)", "ops/s", True),
    "disk_bytes": ("on-disk size after load", "MiB", False),
    "disk_wal_bytes": ("  of which WAL files", "MiB", False),
}

# target: (metric, over what, threshold, comparison)
TARGETS = [
    ("get", "lmdb", 0.8, ">="),
    ("range100", "lmdb", 0.7, ">="),
    ("load", "lmdb", 1.0, ">="),
    ("put_nosync", "lmdb", 3.0, ">="),
    ("put_durable", "lmdb", 2.0, ">="),
    ("put_8t", "pyddb:put_durable", 4.0, ">="),
    ("disk_bytes", "lmdb", 1.0, "<="),
]


# ------------------------------------------------------------------------------------------ workload
class Workload:
    """All the data of one run, generated up front so no timed loop builds keys or values."""

    def __init__(self, n, counts, seed, threads):
        rng = np.random.default_rng(seed)
        npk = max(1, n // GROUP)
        n = npk * GROUP
        self.n = n
        raw = rng.integers(0, 2**63, size=npk, dtype=np.int64)
        pks = [b"%016x" % int(x) for x in raw]
        sks = [b"%06d" % j for j in range(GROUP)]
        pool = [rng.bytes(VALUE_BYTES) for _ in range(VALUE_POOL)]

        def rec(i):
            pk, sk = pks[i // GROUP], sks[i % GROUP]
            return pk, sk, pk + sk

        order = rng.permutation(n)
        self.records = [rec(i) + (pool[j % VALUE_POOL],) for j, i in enumerate(order.tolist())]
        self.probes = [rec(i) for i in rng.integers(0, n, size=counts["get"]).tolist()]
        starts = rng.integers(0, npk, size=counts["range100"]) * GROUP + \
            rng.integers(0, GROUP - RANGE_N + 1, size=counts["range100"])
        self.range_starts = [rec(i) for i in starts.tolist()]

        def updates(k):
            return [rec(i) + (pool[int(v)],) for i, v in
                    zip(rng.integers(0, n, size=k).tolist(), rng.integers(0, VALUE_POOL, size=k))]

        self.updates = {op: updates(counts[op]) for op in ("put_nosync", "put_durable", "put_8t")}
        per = counts["put_8t"] // threads
        self.thread_updates = [self.updates["put_8t"][t * per:(t + 1) * per] for t in range(threads)]


# ------------------------------------------------------------------------------------- measurements
class Timer:
    """A timed section with the cyclic GC off (collected before, so no pause lands inside)."""

    def __enter__(self):
        gc.collect()
        gc.disable()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
        gc.enable()


def chunks(seq, k):
    """``seq`` cut into k consecutive slices of (nearly) equal length."""
    n = len(seq)
    return [seq[i * n // k:(i + 1) * n // k] for i in range(k)]


def interleave(names, r, nslices, step):
    """Run step(name, i) -> seconds for every slice i and peer, the peers taking turns within each slice
    (order rotated per slice and per repeat r), with the cyclic GC off (collected once before).
    Returns {name: total seconds}."""
    secs = dict.fromkeys(names, 0.0)
    gc.collect()
    gc.disable()
    try:
        for i in range(nslices):
            for name in rotated(names, r + i):
                secs[name] += step(name, i)
    finally:
        gc.enable()
    return secs


def load_interleaved(peers, names, r, records):
    """Bulk load of ``records`` into every peer at once, batch by batch (order rotated per batch and
    repeat), each peer freshly opened durable; the close (pyddb: its checkpoint) is timed too.
    Returns {name: seconds}."""
    secs = dict.fromkeys(names, 0.0)
    for name in names:
        peers[name].open(durable=True)
    wbs = {name: peers[name].write_batch for name in names}
    clock = time.perf_counter
    gc.collect()
    gc.disable()
    try:
        for b, i in enumerate(range(0, len(records), BATCH)):
            batch = records[i:i + BATCH]
            for name in rotated(names, r + b):
                t0 = clock()
                wbs[name](batch)
                secs[name] += clock() - t0
        for name in rotated(names, r):
            t0 = clock()
            peers[name].close()
            secs[name] += clock() - t0
    finally:
        gc.enable()
    return secs


def time_gets(peer, probes):
    t0 = time.perf_counter()
    found = peer.run_gets(probes)
    dt = time.perf_counter() - t0
    if found != len(probes):
        raise AssertionError("%s: %d of %d gets found" % (peer.name, found, len(probes)))
    return dt


def time_ranges(peer, starts):
    t0 = time.perf_counter()
    got = peer.run_ranges(starts, RANGE_N)
    dt = time.perf_counter() - t0
    if got != len(starts) * RANGE_N:
        raise AssertionError("%s: range reads returned %d, expected %d"
                             % (peer.name, got, len(starts) * RANGE_N))
    return dt


def time_puts(peer, updates, lat):
    """One commit per record; appends each commit's latency (ns) to ``lat``; returns seconds."""
    put = peer.put
    clock = time.perf_counter_ns
    t_start = clock()
    for pk, sk, key, value in updates:
        t0 = clock()
        put(pk, sk, key, value)
        lat.append(clock() - t0)
    return (clock() - t_start) / 1e9


def time_threads(peer, per_thread):
    """Durable one-put commits from len(per_thread) threads at once; returns seconds (wall clock, from
    the moment all threads are released to the last one's end)."""
    writers = [peer.writer() for _ in per_thread]
    barrier = threading.Barrier(len(per_thread) + 1)
    errors = []

    def work(put, updates):
        barrier.wait()
        try:
            for pk, sk, key, value in updates:
                put(pk, sk, key, value)
        except BaseException as exc:       # reported after the join
            errors.append(exc)

    threads = [threading.Thread(target=work, args=a) for a in zip(writers, per_thread)]
    for th in threads:
        th.start()
    barrier.wait()
    t0 = time.perf_counter()
    for th in threads:
        th.join()
    dt = time.perf_counter() - t0
    for w in writers:
        peer.close_writer(w)
    if errors:
        raise errors[0]
    return dt


def measure_puts(peer, updates):
    """One commit per record, on its own (not interleaved); returns (commits/s, latencies in ns)."""
    lat = []
    with Timer():
        dt = time_puts(peer, updates, lat)
    return len(updates) / dt, np.asarray(lat, dtype=np.int64)


def measure_threads(peer, per_thread):
    """Threaded one-put commits on their own (not interleaved); returns commits/s."""
    with Timer():
        dt = time_threads(peer, per_thread)
    return sum(len(u) for u in per_thread) / dt


# ---------------------------------------------------------------------------------------- the run
def rotated(seq, k):
    k %= len(seq)
    return seq[k:] + seq[:k]


def run(args):
    quick = args.quick
    n = args.n if args.n else (50_000 if quick else 1_000_000)
    counts = {k: v[1] if quick else v[0] for k, v in COUNTS.items()}
    if args.scale != 1.0:
        counts = {k: max(args.threads, int(v * args.scale)) for k, v in counts.items()}
    names = [p for p in args.peers.split(",") if p]
    if "pyddb" in names:
        ok, why = pyddb_available()
        if not ok:
            print("pyddb: engine not importable (%s); running without it" % why, file=sys.stderr)
            names.remove("pyddb")
    base = tempfile.mkdtemp(prefix="pyddb-bench-", dir=args.dir)
    warn_tmpfs(base)
    print("N=%d records (%d pks x %d sks), repeats=%d, load repeats=%d, peers=%s, data in %s"
          % (n, n // GROUP, GROUP, args.repeat, args.load_repeats, ",".join(names), base), flush=True)
    t_start = time.time()
    wl = Workload(n, counts, args.seed, args.threads)
    n = wl.n
    runs = {p: {m: [] for m in METRICS} for p in names}
    extra = {p: {} for p in names}
    try:
        # 1. bulk load into fresh directories, the peers interleaved batch by batch; the last repeat's
        #    directories are kept for the rest
        peers = {}
        for r in range(args.load_repeats):
            fresh = {name: PEERS[name](os.path.join(base, "%s-%d" % (name, r))) for name in names}
            secs = load_interleaved(fresh, names, r, wl.records)
            for name in rotated(names, r):
                path = fresh[name].path
                rate = n / secs[name]
                runs[name]["load"].append(rate)
                alloc, apparent = dir_size(path)
                runs[name]["disk_bytes"].append(alloc)
                files = dir_files(path)
                runs[name]["disk_wal_bytes"].append(sum(b for f, b in files.items() if is_wal(f)))
                extra[name]["disk_files"] = files
                extra[name].setdefault("disk_apparent_bytes", []).append(apparent)
                log("load", name, r, "%.0f rec/s, %.1f MiB (WAL %.1f MiB)"
                    % (rate, alloc / 2**20, runs[name]["disk_wal_bytes"][-1] / 2**20))
                if name in peers:
                    shutil.rmtree(peers[name].path)
                peers[name] = fresh[name]

        # 2. reads and durable commits, each repeat cut into slices the peers take in turns
        probes = chunks(wl.probes, SLICES["get"])
        starts = chunks(wl.range_starts, SLICES["range100"])
        durable = chunks(wl.updates["put_durable"], SLICES["put_durable"])
        nosync = chunks(wl.updates["put_nosync"], SLICES["put_nosync"])
        per_thread = [chunks(u, SLICES["put_8t"]) for u in wl.thread_updates]
        threaded = [[u[i] for u in per_thread] for i in range(SLICES["put_8t"])]
        for name in names:
            peers[name].open(durable=True)
        for r in range(args.repeat):
            secs = interleave(names, r, SLICES["get"], lambda name, i: time_gets(peers[name], probes[i]))
            for name in names:
                runs[name]["get"].append(len(wl.probes) / secs[name])
                log("get", name, r, "%.0f ops/s" % runs[name]["get"][-1])
        for r in range(args.repeat):
            secs = interleave(names, r, SLICES["range100"], lambda name, i: time_ranges(peers[name], starts[i]))
            for name in names:
                runs[name]["range100"].append(len(wl.range_starts) / secs[name])
                log("range100", name, r, "%.0f ranges/s" % runs[name]["range100"][-1])
        for r in range(args.repeat):
            lats = {name: [] for name in names}
            secs = interleave(names, r, SLICES["put_durable"],
                              lambda name, i: time_puts(peers[name], durable[i], lats[name]))
            for name in names:
                rate = len(wl.updates["put_durable"]) / secs[name]
                runs[name]["put_durable"].append(rate)
                p50, p99 = np.percentile(np.asarray(lats[name]), [50, 99]) / 1e3
                runs[name]["put_durable_p50_us"].append(float(p50))
                runs[name]["put_durable_p99_us"].append(float(p99))
                log("put_durable", name, r, "%.0f ops/s p50 %.1f us p99 %.1f us" % (rate, p50, p99))
        for r in range(args.repeat):
            secs = interleave(names, r, SLICES["put_8t"], lambda name, i: time_threads(peers[name], threaded[i]))
            for name in names:
                runs[name]["put_8t"].append(len(wl.updates["put_8t"]) / secs[name])
                log("put_8t", name, r, "%.0f ops/s" % runs[name]["put_8t"][-1])
        for name in names:
            peers[name].close()

        # 3. commits without sync: one thread, then 8 threads (the ceiling for put_8t)
        for name in names:
            peers[name].open(durable=False)
        for r in range(args.repeat):
            secs = interleave(names, r, SLICES["put_nosync"],
                              lambda name, i: time_puts(peers[name], nosync[i], []))
            for name in names:
                runs[name]["put_nosync"].append(len(wl.updates["put_nosync"]) / secs[name])
                log("put_nosync", name, r, "%.0f ops/s" % runs[name]["put_nosync"][-1])
        for r in range(args.repeat):
            secs = interleave(names, r, SLICES["put_8t"], lambda name, i: time_threads(peers[name], threaded[i]))
            for name in names:
                runs[name]["put_8t_nosync"].append(len(wl.updates["put_8t"]) / secs[name])
                log("put_8t_nosync", name, r, "%.0f ops/s" % runs[name]["put_8t_nosync"][-1])
        for name in names:
            peers[name].close()
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)

    result = summarise(runs, names)
    result["extra"] = {p: {k: v if k == "disk_files" else {"runs": v, "median": float(np.median(v))}
                           for k, v in e.items()} for p, e in extra.items()}
    result["config"] = {
        "n": n, "group": GROUP, "range_n": RANGE_N, "batch": BATCH, "value_bytes": VALUE_BYTES,
        "key": "pk 16 B + sk 6 B (pyddb: pk, sk; lmdb/sqlite: pk+sk, 22 B)",
        "repeat": args.repeat, "load_repeats": args.load_repeats, "threads": args.threads,
        "counts": counts, "seed": args.seed, "quick": quick, "peers": names,
        "seconds": round(time.time() - t_start, 1),
    }
    result["machine"] = machine_info()
    print_table(result, names)
    if not args.no_save:
        out = args.out or os.path.join(
            os.path.dirname(os.path.abspath(__file__)), "results",
            "engine-%s%s.json" % (datetime.date.today().isoformat(), "-quick" if quick else ""))
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with open(out, "w") as f:
            json.dump(result, f, indent=1, sort_keys=True)
            f.write("\n")
        print("results: %s" % out)
    return result


def log(what, name, r, text):
    print("  %-12s %-7s #%d  %s" % (what, name, r, text), flush=True)


def summarise(runs, names):
    """Medians per peer and metric; paired ratios pyddb/peer; the targets' verdicts."""
    med = {p: {m: float(np.median(v)) for m, v in runs[p].items() if v} for p in names}
    ratios = {}
    if "pyddb" in names:
        for other in names:
            if other == "pyddb":
                continue
            ratios[other] = {}
            for m in METRICS:
                a, b = np.asarray(runs["pyddb"][m]), np.asarray(runs[other][m])
                if len(a) and len(a) == len(b) and np.all(b > 0):
                    ratios[other][m] = float(np.median(a / b))
        ratios["pyddb:put_durable"] = {
            m: float(np.median(np.asarray(runs["pyddb"][m]) / np.asarray(runs["pyddb"]["put_durable"])))
            for m in ("put_8t", "put_8t_nosync") if len(runs["pyddb"][m]) == len(runs["pyddb"]["put_durable"])}
    targets = []
    for metric, over, threshold, cmp in TARGETS:
        value = ratios.get(over, {}).get(metric)
        verdict = None
        if value is not None:
            verdict = "PASS" if (value >= threshold if cmp == ">=" else value <= threshold) else "MISS"
        targets.append({"metric": metric, "over": over, "target": "%s %sx" % (cmp, threshold),
                        "ratio": value, "verdict": verdict})
    return {"runs": runs, "median": med, "paired_ratio": ratios, "targets": targets}


def fmt(metric, v):
    if v is None:
        return "-"
    if metric.startswith("disk_"):
        return "%.1f" % (v / 2**20)
    if v >= 100:
        return "{:,.0f}".format(v)
    return "%.1f" % v


def print_columns(head, rows, right):
    """Print `head`, a rule and `rows` as aligned columns; column i of n is right-aligned when right(i, n)."""
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]

    def line(r):
        return "  ".join(str(c).rjust(w) if right(i, len(r)) else str(c).ljust(w)
                         for i, (c, w) in enumerate(zip(r, widths)))
    print()
    print(line(head))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def print_table(result, names):
    med, ratios = result["median"], result["paired_ratio"]
    others = [p for p in names if p != "pyddb"]
    head = ["metric", "unit"] + names + ["pyddb/%s" % o for o in others if "pyddb" in names] + ["target"]
    rows = []
    tmap = {t["metric"]: t for t in result["targets"]}
    for m, (label, unit, _hib) in METRICS.items():
        row = [label, unit] + [fmt(m, med[p].get(m)) for p in names]
        if "pyddb" in names:
            row += ["%.2f" % ratios[o][m] if m in ratios.get(o, {}) else "-" for o in others]
        t = tmap.get(m)
        if t:
            cell = "%s %s" % (t["target"], "LMDB" if t["over"] == "lmdb" else "1-thread")
            if t["verdict"]:
                cell += " %s" % t["verdict"]
                if t["over"] != "lmdb":
                    cell += " (%.2fx" % t["ratio"]
                    ceiling = ratios.get(t["over"], {}).get("put_8t_nosync")
                    cell += "; no-sync ceiling %.2fx)" % ceiling if ceiling is not None else ")"
            row.append(cell)
        else:
            row.append("")
        rows.append(row)
    print_columns(head, rows, lambda i, n: 1 < i < n - 1)
    print("(medians of %d repeats, bulk load of %d; ratios are medians of paired per-repeat ratios)"
          % (result["config"]["repeat"], result["config"]["load_repeats"]))


def markdown_table(result):
    """The Results table of bench/README.md from a results JSON (``--table FILE``)."""
    names = result["config"]["peers"]
    med, ratios = result["median"], result["paired_ratio"]
    others = [p for p in names if p != "pyddb"]
    tmap = {t["metric"]: t for t in result["targets"]}
    units = {"rec/s": "records/s", "MiB": "MiB", "us": "µs"}
    head = ["metric", "unit"] + names + ["pyddb/%s" % o for o in others] + ["target"]
    lines = ["| " + " | ".join(head) + " |", "|---|---|" + "---:|" * (len(names) + len(others)) + "---|"]
    for m, (label, unit, _hib) in METRICS.items():
        if not any(m in med[p] for p in names):
            continue
        row = [label.strip(), units.get(unit, unit)] + [fmt(m, med[p].get(m)) for p in names]
        row += ["%.2f" % ratios[o][m] if m in ratios.get(o, {}) else "-" for o in others]
        t = tmap.get(m)
        cell = ""
        if t:
            cell = "%s× %s" % (t["target"].replace("x", "").replace(">=", "≥").replace("<=", "≤"), "LMDB" if t["over"] == "lmdb" else "1-thread")
            if t["verdict"]:
                cell += " **%s**" % t["verdict"]
                if t["over"] != "lmdb":
                    cell += " (%.2f×)" % t["ratio"]
        row.append(cell)
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def machine_info():
    info = {"platform": platform.platform(), "python": platform.python_version(),
            "cpus": os.cpu_count(), "sqlite": sqlite3.sqlite_version, "numpy": np.__version__}
    try:
        import lmdb
        info["lmdb"] = "%s (py-lmdb %s)" % (".".join(map(str, lmdb.version())), lmdb.__version__)
    except ImportError:
        pass
    try:
        from pyddb._engine import database
        info["pyddb_engine"] = database.__file__       # which build ran: in-place or an installed wheel
    except ImportError:
        pass
    try:
        here = os.path.dirname(os.path.abspath(__file__))
        info["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=here,
                                        capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    return info


def warn_tmpfs(path):
    """The data should sit on a real disk (fsync on tmpfs measures nothing)."""
    try:
        best, fstype = "", ""
        with open("/proc/mounts") as f:
            for line in f:
                parts = line.split()
                mnt = parts[1]
                if (path + "/").startswith(mnt.rstrip("/") + "/") and len(mnt) >= len(best):
                    best, fstype = mnt, parts[2]
        if fstype in ("tmpfs", "ramfs"):
            print("WARNING: %s is on %s; durable-commit figures are meaningless there (use --dir)"
                  % (path, fstype), file=sys.stderr)
    except OSError:
        pass


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=0, help="records (default 1,000,000; 50,000 with --quick)")
    ap.add_argument("--quick", action="store_true", help="smoke run: N=50,000 and smaller op counts")
    ap.add_argument("--repeat", type=int, default=5, help="repeats of each timed measurement")
    ap.add_argument("--load-repeats", type=int, default=None,
                    help="repeats of the bulk load (default: 3, or --repeat with --quick)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply the per-repeat op counts")
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--peers", default="pyddb,lmdb,sqlite")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--dir", default=None, help="parent of the data directory (default: system temp)")
    ap.add_argument("--keep", action="store_true", help="keep the data directory")
    ap.add_argument("--out", default=None, help="results JSON path")
    ap.add_argument("--no-save", action="store_true", help="don't write the results JSON")
    ap.add_argument("--table", metavar="JSON", help="print a results file's table as Markdown and exit")
    args = ap.parse_args(argv)
    if args.table:
        with open(args.table) as f:
            print(markdown_table(json.load(f)))
        return
    if args.load_repeats is None:
        args.load_repeats = args.repeat if args.quick else min(3, args.repeat)
    run(args)


if __name__ == "__main__":
    main()
