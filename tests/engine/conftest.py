"""Fixtures of the engine crash-safety tests: seeds printed on failure, the faultfs interposer, the engine.

Every randomized test takes the `seed` fixture: by default a fixed number derived from the test's id (so runs
repeat), or PYDDB_SEED=<n> to replay one; a failing test's report shows the seed it ran with.
"""
import os
import sys
import zlib

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:                      # writer_proc and faultfs live next to the tests
    sys.path.insert(0, HERE)


@pytest.fixture
def seed(request):
    env = os.environ.get("PYDDB_SEED")
    s = int(env) if env else zlib.crc32(request.node.nodeid.encode()) & 0x7FFFFFFF
    request.node._pyddb_seed = s
    return s


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    s = getattr(item, "_pyddb_seed", None)
    if s is not None and rep.failed:
        rep.sections.append(("pyddb seed", "seed=%d  (replay: PYDDB_SEED=%d pytest '%s')"
                             % (s, s, item.nodeid)))


@pytest.fixture(autouse=True)
def _no_stray_writers():
    """A test that fails or times out midway must not leave a writer subprocess running."""
    yield
    import writer_proc
    writer_proc.kill_stray_writers()


@pytest.fixture(scope="session")
def faultfs_so():
    import faultfs

    reason = faultfs.unsupported_reason()
    if reason:
        pytest.skip(reason)
    return faultfs.build()


@pytest.fixture(scope="session")
def engine():
    """The engine's database module (pyddb._engine.database, or $PYDDB_CRASHTEST_ENGINE), or a skip while it
    is not built."""
    import importlib

    import writer_proc
    try:
        return importlib.import_module(writer_proc.ENGINE_MODULE)
    except ImportError as e:
        pytest.skip("%s is not built (%s)" % (writer_proc.ENGINE_MODULE, e))
