"""How far group commit can take 8 threads here: the disk's fdatasync latency, and a slower disk simulated.

    python -m bench.engine_sync                      # latency distribution + delays 0,100,250,1000 us
    python -m bench.engine_sync --delays 0,500 --n 20000 --repeat 3 --peers pyddb,lmdb

The engine benchmark's target "8 durable threads >= 4x one durable thread" is a statement about how much
of a commit's cost is the wait for the disk. This script measures, in one run:

1. the fdatasync latency of the data directory's disk: N appends of a 128-byte record to a preallocated
   file, each followed by fdatasync (the same pattern as a WAL commit), as a distribution (p50/p90/p99);
2. for each simulated extra sync latency D (an LD_PRELOAD shim, built here with the C compiler, that sleeps
   D microseconds after every real fdatasync/fsync, i.e. a slower device), in a child process: the
   single-thread durable commit rate (engine_bench's put_durable), the same from 8 threads (put_8t), and
   8 threads with sync="off" (put_8t_nosync: the same work without any fsync, the ceiling that no group
   commit can pass); and for pyddb the single-thread non-durable rate (the CPU cost of one commit).

Bound: one thread commits at 1 / (c + s) (c = CPU per commit, s = sync latency); 8 threads that share
every fsync cannot commit faster than they can without any fsync, so put_8t / put_durable <=
put_8t_nosync / put_durable. When that ceiling is below 4 the target cannot be met on this machine by
any group commit; as s grows (slower disks) the ratio tends to 8. Results go to
bench/results/engine-sync-<date>.json. Never part of the regular test suite.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.engine_bench import BATCH, Workload, measure_puts, measure_threads, warn_tmpfs  # noqa: E402
from bench.peers import PEERS  # noqa: E402

SHIM_C = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long delay_ns(void) {
    static long v = -1;
    if (v < 0) { const char* s = getenv("PYDDB_SYNC_DELAY_US"); v = s ? atol(s) * 1000L : 0; }
    return v;
}
static void pause_after(void) {
    long ns = delay_ns();
    if (ns > 0) { struct timespec ts = {ns / 1000000000L, ns % 1000000000L}; nanosleep(&ts, NULL); }
}
int fdatasync(int fd) {
    static int (*real)(int) = 0;
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    int rc = real(fd); pause_after(); return rc;
}
int fsync(int fd) {
    static int (*real)(int) = 0;
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    int rc = real(fd); pause_after(); return rc;
}
"""


def build_shim(workdir):
    src = os.path.join(workdir, "slowsync.c")
    out = os.path.join(workdir, "slowsync.so")
    with open(src, "w") as f:
        f.write(SHIM_C)
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, "-shared", "-fPIC", "-O2", "-o", out, src, "-ldl"], check=True)
    return out


def fdatasync_latency(dirpath, n=3000, rec=128, prealloc=64 << 20):
    """Latencies (us) of n (pwrite of `rec` bytes + fdatasync) on a preallocated, synced file."""
    fn = os.path.join(dirpath, "latency.bin")
    fd = os.open(fn, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        block = b"\0" * (1 << 20)
        for off in range(0, prealloc, len(block)):
            os.pwrite(fd, block, off)
        os.fsync(fd)
        buf = os.urandom(rec)
        lat = np.empty(n)
        clock = time.perf_counter_ns
        for i in range(n):
            t0 = clock()
            os.pwrite(fd, buf, i * rec)
            os.fdatasync(fd)
            lat[i] = (clock() - t0) / 1e3
    finally:
        os.close(fd)
        os.unlink(fn)
    return lat


def child(args):
    """Runs under the shim: per peer, load N records, then the commit measurements; prints one JSON line."""
    wl = Workload(args.n, {"get": 1, "range100": 1, "put_nosync": args.ops, "put_durable": args.ops,
                           "put_8t": args.ops * 2}, args.seed, args.threads)
    base = tempfile.mkdtemp(prefix="pyddb-sync-", dir=args.dir)
    out = {}
    try:
        peers = {}
        for name in args.peers.split(","):
            p = PEERS[name](os.path.join(base, name))
            p.open(durable=False)
            for i in range(0, len(wl.records), BATCH):
                p.write_batch(wl.records[i:i + BATCH])
            p.close()
            peers[name] = p
            out[name] = {"put_durable": [], "put_durable_p50_us": [], "put_8t": [], "put_8t_nosync": [],
                         "put_nosync": []}
        for r in range(args.repeat):
            for name, p in peers.items():
                p.open(durable=True)
                rate, lat = measure_puts(p, wl.updates["put_durable"])
                out[name]["put_durable"].append(rate)
                out[name]["put_durable_p50_us"].append(float(np.percentile(lat, 50) / 1e3))
                out[name]["put_8t"].append(measure_threads(p, wl.thread_updates))
                p.close()
                p.open(durable=False)
                out[name]["put_8t_nosync"].append(measure_threads(p, wl.thread_updates))
                rate, _ = measure_puts(p, wl.updates["put_nosync"])
                out[name]["put_nosync"].append(rate)
                p.close()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print("RESULT " + json.dumps(out))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--delays", default="0,100,250,1000", help="extra us per fdatasync/fsync, comma-separated")
    ap.add_argument("--n", type=int, default=20000, help="records loaded before the commits (default 20,000)")
    ap.add_argument("--ops", type=int, default=2000, help="commits per measurement (8 threads: twice this)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--peers", default="pyddb,lmdb")
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--latency-n", type=int, default=3000)
    ap.add_argument("--dir", default=None, help="parent of the data directories (a real disk)")
    ap.add_argument("--out", default=None)
    ap.add_argument("--no-save", action="store_true")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(args)

    work = tempfile.mkdtemp(prefix="pyddb-sync-", dir=args.dir)
    warn_tmpfs(work)
    result = {"config": {k: v for k, v in vars(args).items() if k not in ("child", "out", "no_save")},
              "machine": {"platform": platform.platform(), "cpus": os.cpu_count(),
                          "python": platform.python_version()}}
    try:
        lat = fdatasync_latency(work, args.latency_n)
        pct = {"p%d" % q: float(np.percentile(lat, q)) for q in (1, 10, 50, 90, 99)}
        pct["mean"] = float(lat.mean())
        result["fdatasync_us"] = pct
        print("fdatasync after a 128-byte pwrite (preallocated file), %d samples, us: %s"
              % (len(lat), "  ".join("%s %.1f" % kv for kv in pct.items())), flush=True)
        shim = build_shim(work)
        result["delays"] = {}
        for d in [int(x) for x in args.delays.split(",") if x != ""]:
            env = dict(os.environ, PYDDB_SYNC_DELAY_US=str(d))
            if d:
                env["LD_PRELOAD"] = shim
            cmd = [sys.executable, "-m", "bench.engine_sync", "--child", "--n", str(args.n), "--ops",
                   str(args.ops), "--repeat", str(args.repeat), "--threads", str(args.threads),
                   "--peers", args.peers, "--seed", str(args.seed)] + (["--dir", args.dir] if args.dir else [])
            here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            proc = subprocess.run(cmd, env=env, cwd=here, capture_output=True, text=True)
            if proc.returncode:
                sys.stderr.write(proc.stderr)
                raise SystemExit("child for delay %d us failed" % d)
            line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")][-1]
            runs = json.loads(line[len("RESULT "):])
            summary = {}
            for name, m in runs.items():
                med = {k: float(np.median(v)) for k, v in m.items()}
                med["ratio_8t"] = float(np.median(np.asarray(m["put_8t"]) / np.asarray(m["put_durable"])))
                med["ceiling_8t"] = float(np.median(np.asarray(m["put_8t_nosync"]) / np.asarray(m["put_durable"])))
                summary[name] = {"runs": m, "median": med}
                print("delay %5d us  %-6s 1 thread %8.0f/s (p50 %7.1f us)  8 threads %8.0f/s  = %.2fx   "
                      "8 threads without sync %8.0f/s = ceiling %.2fx   1 thread no sync %8.0f/s"
                      % (d, name, med["put_durable"], med["put_durable_p50_us"], med["put_8t"], med["ratio_8t"],
                         med["put_8t_nosync"], med["ceiling_8t"], med["put_nosync"]), flush=True)
            result["delays"][str(d)] = summary
    finally:
        shutil.rmtree(work, ignore_errors=True)
    try:
        result["machine"]["commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=os.path.dirname(os.path.abspath(__file__)),
            capture_output=True, text=True).stdout.strip()
    except OSError:
        pass
    if not args.no_save:
        out = args.out or os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                                       "engine-sync-%s.json" % datetime.date.today().isoformat())
        with open(out, "w") as f:
            json.dump(result, f, indent=1, sort_keys=True)
            f.write("\n")
        print("results: %s" % out)


if __name__ == "__main__":
    main()
