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
                 validate: bool = False, service: str = "dynamodb", **config: Any):
    """A boto3 DynamoDB client for `endpoint_url`, sharing one botocore session (the model loads once).
    service="dynamodbstreams" gives a DynamoDB Streams client instead."""
    global _session
    import boto3
    from botocore.config import Config

    if _session is None:
        _session = boto3.session.Session()
    cfg = Config(parameter_validation=validate, retries={"mode": "legacy", "total_max_attempts": 1},
                 connect_timeout=5, read_timeout=60, **config)
    return _session.client(service, endpoint_url=endpoint_url, region_name=region, aws_access_key_id=key,
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

    # ---- as pyddb.connect()'s client offers (docs/streams-ttl.md) -------------------------------------------

    def streams(self) -> Any:
        """A boto3 `dynamodbstreams` client for the same server."""
        return boto3_client(self._server.url, service="dynamodbstreams")

    def pyddb_set_clock(self, **request: Any) -> Any:
        """POST X-Amz-Target PyDDB_20240101.SetClock (api/pyddb_ops.py), signed like any request."""
        return self._pyddb("SetClock", request)

    def pyddb_sweep_ttl(self, **request: Any) -> Any:
        return self._pyddb("SweepTimeToLive", request)

    def _pyddb(self, op: str, request: Any) -> Any:
        import json
        import urllib.error
        import urllib.request

        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        from botocore.exceptions import ClientError

        body = json.dumps(request).encode()
        aws = AWSRequest(method="POST", url=self._server.url + "/", data=body,
                         headers={"Content-Type": "application/x-amz-json-1.0",
                                  "X-Amz-Target": "PyDDB_20240101." + op})
        SigV4Auth(Credentials(KEY, SECRET), "dynamodb", REGION).add_auth(aws)
        req = urllib.request.Request(aws.url, data=body, headers=dict(aws.headers.items()), method="POST")
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as e:
            err = json.loads(e.read() or b"{}")
            raise ClientError({"Error": {"Code": err.get("__type", "").rpartition("#")[2],
                                         "Message": err.get("message") or err.get("Message", "")}}, op) from None

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
