"""Shared fixtures. `ddb` is a DynamoDB client in DynamoDB's own terms (request dict in, response dict or
ClientError out), parametrized over the two doors of one behaviour: the in-process client (`pyddb.connect`)
and a real boto3 client talking HTTP to a pyddb server (`pyddb.server.testing.connect_http`). Tests written
against `ddb` therefore run unchanged over both; PYDDB_TEST_CLIENTS=inprocess (or http) narrows the run.
"""
import importlib.machinery
import os

import pytest

import pyddb


def _stale_extensions():
    """Data-model modules whose compiled extension (setup.py COMPILED) is older than the .py beside it: Python
    would import the extension, so the tests would run yesterday's code. Only for a source checkout (pyddb
    imported from src/pyddb next to setup.py, as `pip install -e .` leaves it): an installed wheel writes its
    files in any order, and its .py cannot be edited behind the build's back."""
    root = os.path.dirname(pyddb.__file__)
    if not os.path.exists(os.path.join(root, os.pardir, os.pardir, "setup.py")):
        return []
    stale = []
    for folder, _, files in os.walk(root):
        for f in files:
            for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                if f.endswith(suffix):
                    for ext in (".py", ".pxd"):     # (a .pxd gives a compiled .py its C types: attrvalue.pxd)
                        source = os.path.join(folder, f[:-len(suffix)] + ext)
                        if os.path.exists(source) and os.path.getmtime(source) > os.path.getmtime(
                                os.path.join(folder, f)):
                            stale.append(os.path.relpath(source, root))
                    break
    return stale


if _stale_extensions():
    pytest.exit("compiled modules older than their source: %s; rebuild with "
                "`python setup.py build_ext --inplace -q` (or pip install -e .)" % ", ".join(_stale_extensions()),
                returncode=4)

CLIENTS = [c for c in os.environ.get("PYDDB_TEST_CLIENTS", "inprocess,http").split(",") if c]


def _connect(kind):
    if kind == "http":
        from pyddb.server.testing import connect_http
        return connect_http
    import pyddb
    return pyddb.connect


@pytest.fixture(params=CLIENTS)
def client_kind(request):
    return request.param


@pytest.fixture
def ddb(tmp_path, client_kind):
    client = _connect(client_kind)(str(tmp_path / "db"), sync="off")
    yield client
    client.close()


@pytest.fixture
def reopen(tmp_path, client_kind):
    """reopen(client) closes `client` and returns a new one (same door) on the same directory."""
    def _reopen(client):
        client.close()
        return _connect(client_kind)(str(tmp_path / "db"), sync="off")
    return _reopen
