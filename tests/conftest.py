"""Shared fixtures. `ddb` is a DynamoDB client in DynamoDB's own terms (request dict in, response dict or
ClientError out): an in-process pyddb client now; the same tests run over HTTP once the server exists."""
import pytest


@pytest.fixture
def ddb(tmp_path):
    import pyddb
    client = pyddb.connect(str(tmp_path / "db"), sync="off")
    yield client
    client.close()


@pytest.fixture
def reopen(tmp_path):
    """reopen(client) closes `client` and returns a new one on the same directory."""
    import pyddb

    def _reopen(client):
        client.close()
        return pyddb.connect(str(tmp_path / "db"), sync="off")
    return _reopen
