"""Run code written for `pyddb.connect()` over HTTP instead: a boto3 client in front of a `ServerThread`.

    from pyddb.server.testing import connect_http
    client = connect_http(path, sync="off")     # like pyddb.connect(path, sync="off"), but through the server
    client.put_item(TableName="t", Item={...})  # a real boto3 client: botocore serializes, signs, parses
    client.close()                               # stops the server (and closes the model, which checkpoints)

The boto3 client is configured so that what reaches the server is what the test wrote: no client-side
parameter validation (DynamoDB's own ValidationException texts come back instead of botocore's
ParamValidationError), no retries, and a dummy key (the server accepts any key from loopback).

Differences a shared test must allow for: boto3's `client.exceptions` has only the modelled error classes
(no `ValidationException`: catch `botocore.exceptions.ClientError` and check `response["Error"]["Code"]`);
timestamps come back as datetimes (botocore parses them) rather than what the api returns in-process.
"""
from __future__ import annotations

from typing import Any, Optional

from pyddb.server.app import ServerThread

KEY = "pyddb"
SECRET = "pyddb"
REGION = "us-east-1"

_session = None


def boto3_client(endpoint_url: str, *, key: str = KEY, secret: str = SECRET, region: str = REGION,
                 validate: bool = False, **config: Any):
    """A boto3 DynamoDB client for `endpoint_url`, sharing one botocore session (the model loads once)."""
    global _session
    import boto3
    from botocore.config import Config

    if _session is None:
        _session = boto3.session.Session()
    cfg = Config(parameter_validation=validate, retries={"mode": "legacy", "total_max_attempts": 1},
                 connect_timeout=5, read_timeout=60, **config)
    return _session.client("dynamodb", endpoint_url=endpoint_url, region_name=region, aws_access_key_id=key,
                           aws_secret_access_key=secret, config=cfg)


class HttpClient:
    """A boto3 client plus the server it talks to; attribute access goes to the boto3 client."""

    def __init__(self, server: ServerThread, client: Any) -> None:
        self._server = server
        self._client = client

    @property
    def endpoint_url(self) -> str:
        return self._server.url

    @property
    def server(self) -> ServerThread:
        return self._server

    def Table(self, name: str) -> Any:
        """A `pyddb.resource.Table` over this client, as `pyddb.connect()`'s client offers."""
        from pyddb.resource import Table
        return Table(self, name)

    @property
    def model(self) -> Any:
        """The server's model, for white-box checks in tests (the in-process client has the same)."""
        return self._server.model

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def close(self) -> None:
        self._client.close()
        self._server.stop()

    def __enter__(self) -> "HttpClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def connect_http(path: Optional[str] = None, *, sync: str = "off", **server_options: Any) -> HttpClient:
    """Like `pyddb.connect(path, sync=...)`, over HTTP: starts a ServerThread on a free loopback port."""
    server = ServerThread(path, sync=sync, **server_options).start()
    return HttpClient(server, boto3_client(server.url))
