"""pytest-benchmark view of the data-model benchmark (bench/model_bench.py): the same operations, a group per
operation, pyddb's client against moto's mock and the raw engine calls.

    pip install -e ".[bench]" moto
    pytest bench/test_bench_model.py --benchmark-group-by=group
    PYDDB_BENCH_LARGE=1000000 pytest bench/test_bench_model.py -k query     # the 1M-item Query table

Not part of the regular suite (pytest runs tests/ only), and nothing here asserts on time: the table with
medians, paired ratios and the targets comes from ``python -m bench.model_bench``. Tables: items 2,000;
query tables 20,000 and PYDDB_BENCH_LARGE (default 100,000). A round is a block of operations (see each
group's name). moto is skipped when it is not installed.
"""
import os

import pytest

from bench.model_bench import Setup, Workload, item_runner, query_runner

LARGE = int(os.environ.get("PYDDB_BENCH_LARGE", "100000"))
ITEM_PEERS = ["pyddb", "pyddb_full", "moto", "engine", "engine_full"]
READ_PEERS = ["pyddb", "moto", "engine"]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    try:
        import moto  # noqa: F401
        with_moto = True
    except ImportError:
        with_moto = False
    wl = Workload(True, 20240601, 0.1, sizes={"items": 2000, "small": 20_000, "large": LARGE})
    wl.moto_counts = {k: 5 for k in wl.moto_counts}      # moto is slow: a handful of operations per round
    s = Setup(str(tmp_path_factory.mktemp("model")), wl, ["items", "query"], with_moto)
    yield s
    s.close()


def run(benchmark, setup, runner, metric, peer, rounds):
    if peer not in setup.clients and not peer.startswith("engine"):
        pytest.skip("%s not available" % peer)
    fn, n = runner(setup, metric, peer)
    benchmark.extra_info["operations_per_round"] = n
    benchmark.pedantic(fn, rounds=rounds if peer != "moto" else 2, warmup_rounds=0 if peer == "moto" else 1)


@pytest.mark.parametrize("peer", READ_PEERS + ["engine_decode"])
def test_get_item(benchmark, setup, peer):
    benchmark.group = "GetItem of a 10-attribute item (a round: the block of gets)"
    run(benchmark, setup, item_runner, "get", peer, 5)


@pytest.mark.parametrize("peer", ITEM_PEERS)
@pytest.mark.parametrize("metric", ["put", "update", "transact"])
def test_writes(benchmark, setup, peer, metric):
    benchmark.group = {"put": "PutItem", "update": "UpdateItem", "transact": "TransactWriteItems of 4 puts"}[
        metric] + " (a round: the block of writes)"
    run(benchmark, setup, item_runner, metric, peer, 3)


@pytest.mark.parametrize("peer", READ_PEERS)
@pytest.mark.parametrize("metric", ["query_small", "query_small_rev", "query_large", "query_large_rev"])
def test_query(benchmark, setup, peer, metric):
    if "large" in metric and peer == "moto":
        pytest.skip("moto gets no large table (see bench/model_bench.py)")
    benchmark.group = "Query Limit 10, %s items%s (a round: the block of queries)" % (
        "20,000" if "small" in metric else "{:,}".format(LARGE), ", reverse" if metric.endswith("rev") else "")
    run(benchmark, setup, query_runner, metric, peer, 5)


@pytest.mark.parametrize("peer", READ_PEERS + ["engine_decode"])
@pytest.mark.parametrize("metric", ["scan_small", "scan_large"])
def test_scan(benchmark, setup, peer, metric):
    if "large" in metric and peer == "moto":
        pytest.skip("moto gets no large table (see bench/model_bench.py)")
    benchmark.group = "full Scan of %s items" % ("20,000" if "small" in metric else "{:,}".format(LARGE))
    run(benchmark, setup, query_runner, metric, peer, 3)
