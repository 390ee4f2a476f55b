"""pytest-benchmark view of the engine benchmark: the same workload against each peer, a group per operation.

    pip install -e ".[bench]"
    pytest bench/test_bench_engine.py                          # N = 20,000 (PYDDB_BENCH_N to change)
    pytest bench/test_bench_engine.py --benchmark-group-by=group --benchmark-sort=mean

Not part of the regular suite (pytest runs tests/ only). These tests never assert on time; the table with
medians, paired ratios and the targets comes from ``python -m bench.engine_bench``. A round is a block of
operations (see each group's name) so the per-round figures compare like with like across peers.
"""
import itertools
import os
import threading

import pytest

from bench.engine_bench import BATCH, RANGE_N, Workload
from bench.peers import PEERS, pyddb_available

N = int(os.environ.get("PYDDB_BENCH_N", "20000"))
THREADS = 8
GETS_PER_ROUND = 1000
RANGES_PER_ROUND = 100
COUNTS = {"get": 20_000, "range100": 2_000, "put_nosync": 20_000, "put_durable": 2_000,
          "put_8t": THREADS * 200}


@pytest.fixture(scope="module")
def workload():
    return Workload(N, COUNTS, seed=20240601, threads=THREADS)


@pytest.fixture(scope="module", params=list(PEERS))
def peer(request, workload, tmp_path_factory):
    """A peer loaded with the workload's N records, open with durable commits."""
    name = request.param
    if name == "pyddb":
        ok, why = pyddb_available()
        if not ok:
            pytest.skip("pyddb engine not importable: %s" % why)
    p = PEERS[name](str(tmp_path_factory.mktemp(name) / "data"))
    p.open(durable=True)
    for i in range(0, len(workload.records), BATCH):
        p.write_batch(workload.records[i:i + BATCH])
    yield p
    p.close()


def blocks(seq, size):
    """An endless cycle over consecutive blocks of ``seq``."""
    return itertools.cycle([seq[i:i + size] for i in range(0, len(seq) - size + 1, size)])


def one_at_a_time(seq):
    it = itertools.cycle(seq)
    return lambda: (next(it), {})


def test_get(benchmark, peer, workload):
    benchmark.group = "engine: %d random point gets" % GETS_PER_ROUND
    nxt = blocks(workload.probes, GETS_PER_ROUND)
    benchmark.pedantic(peer.run_gets, setup=lambda: ((next(nxt),), {}), rounds=20)


def test_range100(benchmark, peer, workload):
    benchmark.group = "engine: %d range reads of %d keys" % (RANGES_PER_ROUND, RANGE_N)
    nxt = blocks(workload.range_starts, RANGES_PER_ROUND)
    benchmark.pedantic(peer.run_ranges, setup=lambda: ((next(nxt), RANGE_N), {}), rounds=20)


def test_load_batch(benchmark, peer, workload):
    benchmark.group = "engine: one durable commit of %d records (bulk load)" % BATCH
    nxt = blocks(workload.records, BATCH)
    benchmark.pedantic(peer.write_batch, setup=lambda: ((next(nxt),), {}), rounds=10)


def test_put_durable(benchmark, peer, workload):
    benchmark.group = "engine: one durable single-put commit"
    benchmark.pedantic(peer.put, setup=one_at_a_time(workload.updates["put_durable"]), rounds=500)


def test_put_nosync(benchmark, peer, workload):
    benchmark.group = "engine: one single-put commit, no sync"
    peer.close()
    peer.open(durable=False)
    try:
        benchmark.pedantic(peer.put, setup=one_at_a_time(workload.updates["put_nosync"]), rounds=5000)
    finally:
        peer.close()
        peer.open(durable=True)


def test_put_8_threads(benchmark, peer, workload):
    per = workload.thread_updates
    benchmark.group = "engine: %d durable single-put commits from %d threads" % (sum(map(len, per)), THREADS)
    writers = [peer.writer() for _ in per]

    def run():
        errors = []

        def work(put, updates):
            try:
                for pk, sk, key, value in updates:
                    put(pk, sk, key, value)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=a) for a in zip(writers, per)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]

    try:
        benchmark.pedantic(run, rounds=5)
    finally:
        for w in writers:
            peer.close_writer(w)
