"""Shared fixtures. `ddb` is a DynamoDB client in DynamoDB's own terms (request dict in, response dict or
ClientError out), parametrized over the two doors of one behaviour: the in-process client (`pyddb.connect`)
and a real boto3 client talking HTTP to a pyddb server (`pyddb.server.testing.connect_http`). Tests written
against `ddb` therefore run unchanged over both; PYDDB_TEST_CLIENTS=inprocess (or http) narrows the run.
"""
import os

import pytest

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
