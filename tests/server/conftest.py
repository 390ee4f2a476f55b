"""Fixtures of the server tests, usable by other suites to run over HTTP.

    http_server   a ServerThread (in-memory model, free loopback port), one per module; stopped after it
    endpoint      its URL
    http_ddb      a boto3 client for it (no client-side validation, no retries)
    raw           raw(method, body, headers) -> (status, headers, body) over http.client, one connection each
    table         a table "tbl" (pk S) on http_server
    serve_proc    start(*args) -> a `python -m pyddb.cli serve` subprocess (always killed at teardown)

To run another suite unchanged over HTTP, parametrize its client fixture (tests/conftest.py's `ddb`) with
`pyddb.server.testing.connect_http`, which has the signature and `close()` of `pyddb.connect`:

    @pytest.fixture(params=["inprocess", "http"])
    def ddb(request, tmp_path):
        connect = pyddb.connect if request.param == "inprocess" else pyddb.server.testing.connect_http
        client = connect(str(tmp_path / "db"), sync="off")
        yield client
        client.close()
"""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:                      # srvhelpers lives next to the tests
    sys.path.insert(0, HERE)

from srvhelpers import ServeProcess, raw_request  # noqa: E402,F401


@pytest.fixture(scope="module")
def http_server():
    from pyddb.server.app import ServerThread

    srv = ServerThread(None).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def endpoint(http_server):
    return http_server.url


@pytest.fixture(scope="module")
def http_ddb(endpoint):
    from pyddb.server.testing import boto3_client

    client = boto3_client(endpoint)
    yield client
    client.close()


@pytest.fixture
def raw(endpoint):
    def _raw(method="POST", body=b"", headers=None, **kw):
        return raw_request(endpoint, method, body, headers, **kw)
    return _raw


@pytest.fixture
def serve_proc(tmp_path):
    procs = []

    def start(*args, cwd=None):
        p = ServeProcess(args, cwd or str(tmp_path))
        procs.append(p)
        return p
    yield start
    for p in procs:                           # never leave a server running
        if p.proc.poll() is None:
            p.proc.kill()
            p.proc.communicate()


@pytest.fixture(scope="module")
def table(http_server, http_ddb):
    """A table "tbl" (pk S) on the module's server."""
    from srvhelpers import make_table

    make_table(http_server, http_ddb, "tbl")
    return "tbl"
