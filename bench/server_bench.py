"""The endpoint benchmark: `pyddb serve` against moto's server and dynalite, side by side, in one run.

    python -m bench.server_bench                # 5 s per measurement, 3 repeats (about 7 minutes)
    python -m bench.server_bench --quick        # 2 s, 1 repeat (about 4 minutes)
    python bench/server_bench.py --servers pyddb,dynalite --seconds 3 --repeat 2

CLIENT   bench/loadgen.py: prebuilt requests over raw keep-alive HTTP (not boto3), --connections (8)
         connections, one request in flight on each; the same bytes for every server.
SERVERS  pyddb      `python -m pyddb.cli serve --sync normal` on a fresh data directory (--pyddb-sync)
         moto       `python -m moto.server` (moto 5, werkzeug, in memory)
         dynalite   `dynalite --createTableMs 0` (in memory), npm-installed into --cache on first use
         With 2+ CPUs each server is pinned to CPU 0 and the client to the others, so "per second" is
         what one server core does; server CPU per operation comes from /proc/PID/stat (Linux).
WORKLOAD GetItem  random existing keys of a table of --items items (pk S, 10 attributes, ~250 bytes)
         PutItem  overwrites of random keys of that table
         Query    Limit 10 from a random sort key of a random partition of a 20,000-item table
                  (pk S, sk S, 100 items a partition); pyddb also on a 10x larger table: Query cost
                  must not grow with the table
         start    `pyddb serve` from exec to its first answered request (a fresh data directory)
         durable  PutItem with `pyddb serve --sync full` from 1 and 16 connections, next to the disk's
                  own fdatasync latency and in-process pyddb.connect(sync="full") puts, on the same disk
Every measurement is repeated (--repeat), servers interleaved and rotated per repeat. Throughput and CPU are
medians of the repeats; p50/p99 come from all latencies of all repeats (numpy). Results go to
bench/results/server-<date>[-quick].json, with PASS/MISS against the targets.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np

if __package__ in (None, ""):                        # run as a script: make `bench` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench import loadgen  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OPS = ("PutItem", "GetItem", "Query")
QUERY_ITEMS = 20_000
SERVERS = ("pyddb", "moto", "dynalite")
DYNALITE = "dynalite@4"

# the targets, in the order verdicts() judges them
TARGET_TEXT = [
    ("GetItem >= 10,000/s on one core",),          # pyddb GetItem per second, server pinned to one CPU
    (">= 3x dynalite on every operation",),        # pyddb / dynalite per second, worst of the operations
    (">= 40x moto on every operation",),           # pyddb / moto per second, worst of the operations
    ("Query cost flat in table size",),            # server CPU per Query, 10x table over 1x, <= 1.3
    ("pyddb serve answers within 0.5 s",),         # median of exec to first answered request
]


# ------------------------------------------------------------------------------------------ servers
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_answering(url, proc, timeout=60.0):
    """Poll until a ListTables is answered 200; returns the seconds it took from now."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError("server exited with %s" % proc.returncode)
        try:
            status, _ = loadgen.call(url, "ListTables", {})
            if status == 200:
                return time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.002)
    raise RuntimeError("%s did not answer within %.0f s" % (url, timeout))


def install_dynalite(cache):
    """dynalite's bin in `cache` (npm install on first use); None when npm is missing."""
    npm = shutil.which("npm")
    bin_ = os.path.join(cache, "node_modules", ".bin", "dynalite")
    if os.path.exists(bin_):
        return bin_
    if not npm or not shutil.which("node"):
        return None
    os.makedirs(cache, exist_ok=True)
    with open(os.path.join(cache, "package.json"), "w") as f:
        f.write('{"name": "pyddb-bench-peers", "private": true}\n')
    print("npm install %s into %s" % (DYNALITE, cache), flush=True)
    subprocess.run([npm, "install", "--no-audit", "--no-fund", "--loglevel=error", DYNALITE], cwd=cache,
                   check=True)
    return bin_


def server_env():
    """The environment of a server process: ours, except that Python servers (pyddb, moto) keep their compiled
    bytecode, in PYCACHE, as an installed package does (pip compiles it at install). Without this, a
    PYTHONDONTWRITEBYTECODE=1 environment makes every `pyddb serve` compile its ~60 modules from source,
    ~90 ms of CPU (0.30 -> 0.19 s from exec to the first answer on an idle 2-CPU box)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHONPYCACHEPREFIX", PYCACHE)
    return env


PYCACHE = os.path.join(os.path.expanduser("~"), ".cache", "pyddb-bench", "pycache")


class Server:
    """One server process under test: .url, .pid, .cpu() (seconds), .stop()."""

    def __init__(self, name, argv, pin, log_dir):
        self.name = name
        self.port = free_port()
        argv = [a.replace("{port}", str(self.port)) for a in argv]
        self.url = "http://127.0.0.1:%d" % self.port
        pre = (lambda: os.sched_setaffinity(0, pin)) if pin else None
        # its output goes to a file: a pipe nobody reads fills up and blocks a server that logs every request
        self.log = open(os.path.join(log_dir, "%s-%d.log" % (name, self.port)), "wb")
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, preexec_fn=pre,
                                     env=server_env())
        wait_answering(self.url, self.proc)
        self.start_seconds = time.perf_counter() - self.t0          # exec to first answered request
        self.pid = self.proc.pid
        self.start_cpu = self.cpu()          # CPU it took to get there: what a busy machine stretches

    def cpu(self):
        return loadgen._cpu_seconds(self.pid)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def server_argv(name, a, data_dir, dynalite_bin, sync=None):
    if name == "pyddb":
        return [sys.executable, "-m", "pyddb.cli", "serve", "--port", "{port}", "--data-dir", data_dir,
                "--sync", sync or a.pyddb_sync]
    if name == "moto":
        return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "{port}"]
    if name == "dynalite":
        return [dynalite_bin, "--host", "127.0.0.1", "--port", "{port}", "--createTableMs", "0"]
    raise ValueError(name)


# -------------------------------------------------------------------------------------- measuring
def measure(srv, reqs, connections, seconds):
    loadgen.run_load(srv.url, reqs, connections, min(0.5, seconds / 4))          # warm-up
    c0 = srv.cpu()
    r = loadgen.run_load(srv.url, reqs, connections, seconds, keep_latencies=True)
    cpu = srv.cpu() - c0
    if r["errors"]:
        raise RuntimeError("%s: %d errors %s" % (srv.name, r["errors"], r["statuses"]))
    return {"per_second": r["per_second"], "requests": r["requests"], "seconds": r["seconds"],
            "cpu_us_per_op": cpu / r["requests"] * 1e6, "latencies": np.asarray(r["latencies"])}


def summarize(runs):
    """runs: the per-repeat dicts of one (server, op) -> medians and percentiles (ms)."""
    lat = np.concatenate([r["latencies"] for r in runs]) * 1e3
    return {"per_second": float(np.median([r["per_second"] for r in runs])),
            "cpu_us_per_op": float(np.median([r["cpu_us_per_op"] for r in runs])),
            "p50_ms": float(np.percentile(lat, 50)), "p99_ms": float(np.percentile(lat, 99)),
            "requests": int(sum(r["requests"] for r in runs)),
            "repeats": [{k: v for k, v in r.items() if k != "latencies"} for r in runs]}


def startup_times(a, root, pin, n):
    """[(wall seconds, CPU seconds)] from exec to the first answered request, each on a new directory. One
    start before them is not counted: it fills the bytecode cache (server_env) if nothing did yet."""
    out = []
    for i in range(n + 1):
        s = Server("pyddb", server_argv("pyddb", a, os.path.join(root, "start-%d" % i), None), pin, root)
        if i:
            out.append((s.start_seconds, s.start_cpu))
        s.stop()
    return out


def durable_probe(a, root, pin):
    """Where the time of a durable PutItem goes: the disk's fdatasync, the in-process put, over HTTP."""
    import pyddb

    d = os.path.join(root, "durable")
    os.makedirs(d)
    n = 100 if a.quick else 300
    path = os.path.join(d, "fsync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    lat = []
    try:
        for _ in range(n):
            t = time.perf_counter()
            os.write(fd, b"x" * 256)
            os.fdatasync(fd)
            lat.append(time.perf_counter() - t)
    finally:
        os.close(fd)
    out = {"fdatasync_us_p50": float(np.percentile(np.array(lat) * 1e6, 50)),
           "fdatasync_us_p99": float(np.percentile(np.array(lat) * 1e6, 99)),
           "fdatasync_us_mean": float(np.mean(lat) * 1e6)}
    c = pyddb.connect(os.path.join(d, "inproc"), sync="full")
    try:
        c.create_table(TableName=loadgen.TABLE, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                       BillingMode="PAY_PER_REQUEST")
        lat = []
        for k in range(n):
            t = time.perf_counter()
            c.put_item(TableName=loadgen.TABLE, Item=loadgen.item(k))
            lat.append(time.perf_counter() - t)
    finally:
        c.close()
    out["inprocess_put_us_p50"] = float(np.percentile(np.array(lat) * 1e6, 50))
    out["inprocess_put_us_mean"] = float(np.mean(lat) * 1e6)
    for sync, conns_list in (("off", (1,)), ("full", (1, 16))):   # off: HTTP and the pool without the disk
        srv = Server("pyddb", server_argv("pyddb", a, os.path.join(d, "served-" + sync), None, sync=sync), pin,
                     root)
        try:
            loadgen.setup_table(srv.url, 1000)
            reqs = loadgen.workload(srv.url, "PutItem", 1000)
            for conns in conns_list:
                m = measure(srv, reqs, conns, a.seconds)
                r = summarize([m])
                r["mean_ms"] = float(m["latencies"].mean() * 1e3)
                out["http_put_%s_%dconn" % (sync, conns)] = {
                    k: r[k] for k in ("per_second", "p50_ms", "p99_ms", "mean_ms", "cpu_us_per_op")}
        finally:
            srv.stop()
    return out


# ------------------------------------------------------------------------------------------- report
def verdicts(res, servers):
    s = res["summary"]
    out = []

    def add(label, value, ok, text):
        out.append({"target": label, "value": value, "pass": bool(ok), "detail": text})

    g = s["pyddb"]["GetItem"]["per_second"]
    cap = 1e6 / s["pyddb"]["GetItem"]["cpu_us_per_op"]
    add(TARGET_TEXT[0][0], g, g >= 10_000, "%.0f/s measured" % g)
    # on a shared machine a pinned server does not get its core to itself: the same targets judged by
    # server CPU per operation (what a core of its own would do) say what the code costs
    add(TARGET_TEXT[0][0] + " (by CPU)", cap, cap >= 10_000, "%.0f/s (1 / %.0f us of server CPU)"
        % (cap, s["pyddb"]["GetItem"]["cpu_us_per_op"]))
    for peer, need, label in (("dynalite", 3.0, TARGET_TEXT[1][0]), ("moto", 40.0, TARGET_TEXT[2][0])):
        if peer not in servers:
            continue
        for metric, suffix in (("per_second", ""), ("cpu_us_per_op", " (by CPU)")):
            ratios = {op: res["ratios"][peer][op][metric] for op in OPS}
            worst = min(ratios.values())
            add(label + suffix, worst, worst >= need, ", ".join("%s %.1fx" % (op, ratios[op]) for op in OPS))
    q = res.get("query_flat")
    if q:
        add(TARGET_TEXT[3][0], q["cpu_ratio"], q["cpu_ratio"] <= 1.3,
            "%.0f -> %.0f us/op server CPU, %d -> %d items; %.0f -> %.0f/s" % (
                q["small"]["cpu_us_per_op"], q["large"]["cpu_us_per_op"], q["small_items"],
                q["large_items"], q["small"]["per_second"], q["large"]["per_second"]))
    wall = [w for w, _ in res["startup_seconds"]]
    st = float(np.median(wall))
    add(TARGET_TEXT[4][0], st, st <= 0.5, "median %.3f s of %s (its CPU: median %.3f s; load average %.1f)" % (
        st, ", ".join("%.3f" % x for x in wall), float(np.median([c for _, c in res["startup_seconds"]])),
        res["machine"].get("loadavg", [0])[0]))
    return out


def print_table(res, servers):
    s = res["summary"]
    print()
    head = "%-9s %-8s" % ("op", "metric") + "".join("%12s" % n for n in servers)
    peers = [p for p in servers if p != "pyddb"]
    head += "".join("%14s" % ("pyddb/" + p) for p in peers)
    print(head)
    for op in OPS:
        for metric, fmt in (("per_second", "%12.0f"), ("p50_ms", "%12.2f"), ("p99_ms", "%12.2f"),
                            ("cpu_us_per_op", "%12.0f")):
            line = "%-9s %-8s" % (op, {"per_second": "ops/s", "p50_ms": "p50 ms", "p99_ms": "p99 ms",
                                       "cpu_us_per_op": "CPU us"}[metric])
            line += "".join(fmt % s[n][op][metric] for n in servers)
            line += "".join("%13.1fx" % res["ratios"][p][op][metric] for p in peers)
            print(line)
    print()
    for v in res["verdicts"]:
        print("%-4s %-45s %s" % ("PASS" if v["pass"] else "MISS", v["target"], v["detail"]))
    d = res.get("durable")
    if d:
        f1, f16, o1 = d["http_put_full_1conn"], d["http_put_full_16conn"], d["http_put_off_1conn"]
        print("\ndurable PutItem, pyddb serve --sync full: 1 connection %.0f/s (mean %.2f ms, p50 %.2f ms), "
              "16 connections %.0f/s (group commit)" % (f1["per_second"], f1["mean_ms"], f1["p50_ms"],
                                                       f16["per_second"]))
        print("  the same with --sync off: 1 connection %.0f/s (mean %.2f ms); this disk's fdatasync: mean %.0f us, "
              "p50 %.0f us, p99 %.0f us; in-process put (sync=full): mean %.0f us" % (
                  o1["per_second"], o1["mean_ms"], d["fdatasync_us_mean"], d["fdatasync_us_p50"],
                  d["fdatasync_us_p99"], d["inprocess_put_us_mean"]))


def markdown(res):
    """The results as bench/README.md's tables."""
    servers = res["config"]["servers"]
    peers = [p for p in servers if p != "pyddb"]
    s = res["summary"]
    lines = ["| operation | metric | " + " | ".join(servers) + " | " + " | ".join("pyddb vs " + p for p in peers)
             + " |", "|---|---|" + "---:|" * (len(servers) + len(peers))]
    for op in OPS:
        for metric, unit, fmt in (("per_second", "ops/s", "{:,.0f}"), ("p50_ms", "p50 ms", "{:.2f}"),
                                  ("p99_ms", "p99 ms", "{:.1f}"), ("cpu_us_per_op", "server CPU us/op", "{:,.0f}")):
            lines.append("| %s | %s | %s | %s |" % (op, unit, " | ".join(fmt.format(s[n][op][metric]) for n in servers),
                                                    " | ".join("%.1fx" % res["ratios"][p][op][metric] for p in peers)))
    lines.append("")
    lines.append("| target | verdict | measured |")
    lines.append("|---|---|---|")
    for v in res["verdicts"]:
        lines.append("| %s | %s | %s |" % (v["target"], "PASS" if v["pass"] else "MISS", v["detail"]))
    return "\n".join(lines)


def machine_info():
    info = {"platform": platform.platform(), "python": platform.python_version(), "cpus": os.cpu_count(),
            "numpy": np.__version__}
    for mod in ("moto", "werkzeug", "boto3"):
        try:
            from importlib.metadata import version
            info[mod] = version(mod)
        except Exception:  # noqa: BLE001
            pass
    try:
        info["node"] = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
        info["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE,
                                        capture_output=True, text=True).stdout.strip()
        info["loadavg"] = os.getloadavg()
    except OSError:
        pass
    return info


# --------------------------------------------------------------------------------------------- main
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog=__doc__.split("\n\n", 1)[1])
    p.add_argument("--quick", action="store_true", help="2 s per measurement, 1 repeat")
    p.add_argument("--servers", default=",".join(SERVERS), help="comma-separated subset of %s" % (SERVERS,))
    p.add_argument("--seconds", type=float, help="seconds per measurement (5; 2 with --quick)")
    p.add_argument("--repeat", type=int, help="repeats (3; 1 with --quick)")
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--items", type=int, default=10_000, help="items of the GetItem/PutItem table")
    p.add_argument("--pyddb-sync", default="normal", choices=("full", "normal", "off"))
    p.add_argument("--no-pin", action="store_true", help="do not pin servers and client to CPUs")
    p.add_argument("--no-durable", action="store_true", help="skip the --sync full probe")
    p.add_argument("--dir", help="parent of the temporary data directories (a real disk)")
    p.add_argument("--cache", default=os.path.join(os.path.expanduser("~"), ".cache", "pyddb-bench"),
                   help="where dynalite is npm-installed (default: %(default)s)")
    p.add_argument("--out", help="result JSON (default bench/results/server-<date>[-quick].json)")
    p.add_argument("--report", metavar="JSON", help="print the tables of an earlier run's results and exit")
    a = p.parse_args(argv)
    if a.report:
        with open(a.report) as f:
            res = json.load(f)
        res["verdicts"] = verdicts(res, res["config"]["servers"])
        print(markdown(res))
        return 0
    a.seconds = a.seconds or (2.0 if a.quick else 5.0)
    a.repeat = a.repeat or (1 if a.quick else 3)
    servers = [s for s in a.servers.split(",") if s]
    if "pyddb" not in servers:
        p.error("--servers must include pyddb")

    dynalite_bin = None
    if "dynalite" in servers:
        dynalite_bin = install_dynalite(os.path.join(a.cache, "dynalite"))
        if not dynalite_bin:
            print("dynalite skipped: node/npm not found", file=sys.stderr)
            servers.remove("dynalite")
    if "moto" in servers:
        try:
            import flask  # noqa: F401
            import moto.server  # noqa: F401
        except ImportError as e:
            print("moto skipped: %s (pip install 'moto[server]')" % e, file=sys.stderr)
            servers.remove("moto")

    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    pin = {cpus[0]} if len(cpus) >= 2 and not a.no_pin else None
    client_cpus = set(cpus[1:]) if pin else None
    old_affinity = set(cpus)
    if client_cpus:
        os.sched_setaffinity(0, client_cpus)

    root = tempfile.mkdtemp(prefix="pyddb-server-bench-", dir=a.dir)
    res = {"config": {"quick": a.quick, "seconds": a.seconds, "repeat": a.repeat, "connections": a.connections,
                      "items": a.items, "query_items": QUERY_ITEMS, "pyddb_sync": a.pyddb_sync,
                      "servers": servers, "pinned": bool(pin)},
           "machine": machine_info(), "when": datetime.datetime.now().isoformat(timespec="seconds")}
    running = {}
    try:
        res["startup_seconds"] = startup_times(a, root, pin, 3 if a.quick else 5)
        print("pyddb serve start to first answer: %s s" % ", ".join(
            "%.3f (CPU %.3f)" % x for x in res["startup_seconds"]), flush=True)
        for name in servers:
            t = time.perf_counter()
            srv = Server(name, server_argv(name, a, os.path.join(root, name), dynalite_bin), pin, root)
            running[name] = srv
            loadgen.setup_table(srv.url, a.items)
            loadgen.setup_query_table(srv.url, QUERY_ITEMS)
            print("%-8s started in %.2f s, loaded %d + %d items in %.1f s" % (
                name, srv.start_seconds, a.items, QUERY_ITEMS, time.perf_counter() - t), flush=True)
        big = QUERY_ITEMS * 10
        t = time.perf_counter()
        loadgen.setup_query_table(running["pyddb"].url, big, name="loadgen_big")
        print("pyddb    loaded %d items for the Query size check in %.1f s" % (big, time.perf_counter() - t),
              flush=True)

        reqs = {(n, op): loadgen.workload(running[n].url, op, QUERY_ITEMS if op == "Query" else a.items)
                for n in servers for op in OPS}
        big_reqs = loadgen.workload(running["pyddb"].url, "Query", big, table="loadgen_big")
        runs = {(n, op): [] for n in servers for op in OPS}
        flat = {"small": [], "large": []}
        for rep in range(a.repeat):
            order = servers[rep % len(servers):] + servers[:rep % len(servers)]
            for op in OPS:
                for n in order:
                    r = measure(running[n], reqs[(n, op)], a.connections, a.seconds)
                    runs[(n, op)].append(r)
                    print("repeat %d %-8s %-8s %8.0f/s  p50 %6.2f ms  CPU %6.0f us/op" % (
                        rep + 1, op, n, r["per_second"], np.percentile(r["latencies"], 50) * 1e3,
                        r["cpu_us_per_op"]), flush=True)
            flat["small"].append(runs[("pyddb", "Query")][-1])
            flat["large"].append(measure(running["pyddb"], big_reqs, a.connections, a.seconds))
        for srv in running.values():
            srv.stop()
        running.clear()

        res["summary"] = {n: {op: summarize(runs[(n, op)]) for op in OPS} for n in servers}
        res["ratios"] = {p: {op: {m: (res["summary"]["pyddb"][op][m] / res["summary"][p][op][m]
                                      if m == "per_second" else
                                      res["summary"][p][op][m] / res["summary"]["pyddb"][op][m])
                                  for m in ("per_second", "p50_ms", "p99_ms", "cpu_us_per_op")}
                             for op in OPS} for p in servers if p != "pyddb"}
        small, large = summarize(flat["small"]), summarize(flat["large"])
        res["query_flat"] = {"small_items": QUERY_ITEMS, "large_items": big,
                             "small": {k: small[k] for k in ("per_second", "cpu_us_per_op", "p50_ms")},
                             "large": {k: large[k] for k in ("per_second", "cpu_us_per_op", "p50_ms")},
                             "cpu_ratio": large["cpu_us_per_op"] / small["cpu_us_per_op"]}
        if not a.no_durable:
            res["durable"] = durable_probe(a, root, pin)
        res["verdicts"] = verdicts(res, servers)
    finally:
        for srv in running.values():
            srv.stop()
        shutil.rmtree(root, ignore_errors=True)
        if client_cpus:
            os.sched_setaffinity(0, old_affinity)

    print_table(res, servers)
    print()
    print(markdown(res))
    out = a.out or os.path.join(HERE, "results", "server-%s%s.json" % (
        datetime.date.today().isoformat(), "-quick" if a.quick else ""))
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump(res, f, indent=1, default=float)
    print("\nresults: %s" % os.path.relpath(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
