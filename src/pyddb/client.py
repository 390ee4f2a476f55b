"""The in-process client: the operation names, request shapes and response shapes of boto3's DynamoDB client.

    import pyddb
    client = pyddb.connect("./data")          # or pyddb.connect() for a temporary database
    client.put_item(TableName="t", Item={"pk": {"S": "a"}})
    try:
        client.put_item(TableName="t", Item=..., ConditionExpression="attribute_not_exists(pk)")
    except client.exceptions.ConditionalCheckFailedException as e:
        e.response["Error"]["Code"]

Every method calls `pyddb.api.dispatch`; errors become boto3's ClientError subclasses (client_errors.py).
"""
from __future__ import annotations

import re
import time
from typing import Any, Dict, Iterator, Optional

from pyddb import api
from pyddb.client_errors import make_exceptions, to_client_error
from pyddb.errors import DynamoDBError
from pyddb.requestids import new_request_id, next_request_id


def xform_name(op: str) -> str:
    """PutItem -> put_item, as botocore names client methods."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", op).lower()


_EXCEPTIONS = None

def _exceptions():
    global _EXCEPTIONS
    if _EXCEPTIONS is None:
        _EXCEPTIONS = make_exceptions()
    return _EXCEPTIONS


class Client:
    """A boto3-compatible DynamoDB client over an in-process pyddb database."""

    def __init__(self, model, owns_model: bool = False):
        self._model = model
        self._owns = owns_model
        self.exceptions = _exceptions()

    # ---- operations ------------------------------------------------------------------------------------

    def _call(self, op: str, request: Dict[str, Any]) -> Dict[str, Any]:
        rid = next_request_id()
        try:
            response = api.dispatch(self._model, op, request)
        except DynamoDBError as e:
            raise to_client_error(e, op, rid) from None
        response["ResponseMetadata"] = {"RequestId": rid, "HTTPStatusCode": 200,
                                        "HTTPHeaders": {"x-amzn-requestid": rid}, "RetryAttempts": 0}
        return response

    def __getattr__(self, name: str):
        op = _METHODS.get(name)
        if op is None:
            raise AttributeError("'Client' object has no attribute %r" % name)

        def method(**kwargs):
            return self._call(op, kwargs)

        method.__name__ = name
        method.__doc__ = "DynamoDB %s, as boto3's client.%s(**request)." % (op, name)
        setattr(self, name, method)          # later calls find it without __getattr__
        return method

    def can_paginate(self, name: str) -> bool:
        return name in _PAGINATORS

    def get_paginator(self, name: str) -> "Paginator":
        if name not in _PAGINATORS:
            raise ValueError("Operation cannot be paginated: %s" % name)
        return Paginator(self, name)

    def get_waiter(self, name: str) -> "Waiter":
        if name not in ("table_exists", "table_not_exists"):
            raise ValueError("Waiter does not exist: %s" % name)
        return Waiter(self, name)

    # ---- resource-style access and life cycle -----------------------------------------------------------

    def Table(self, name: str):
        """A `pyddb.resource.Table` (Python values, like boto3's resource Table) on this client."""
        from pyddb.resource import Table
        return Table(self, name)

    @property
    def model(self):
        return self._model

    # ---- pyddb extensions (not DynamoDB operations; docs/streams-ttl.md) -------------------------------------

    def streams(self) -> "Client":
        """A DynamoDB Streams client (list_streams, describe_stream, get_shard_iterator, get_records) over the
        same database, as boto3.client("dynamodbstreams") is to boto3.client("dynamodb")."""
        return StreamsClient(self._model)

    def pyddb_set_clock(self, **request) -> Dict[str, Any]:
        """Move the database's clock (TTL expiry, stream record times, table times): Epoch=<seconds> or
        OffsetSeconds=<seconds from the real time> or AdvanceSeconds=<seconds>; none: the real time again."""
        return self._pyddb("SetClock", request)

    def pyddb_sweep_ttl(self, **request) -> Dict[str, Any]:
        """Run one TTL sweep now (what the background sweeper does every few seconds): {"Deleted": n}."""
        return self._pyddb("SweepTimeToLive", request)

    def _pyddb(self, op: str, request: Dict[str, Any]) -> Dict[str, Any]:
        from pyddb.api import pyddb_ops
        rid = new_request_id()
        try:
            return pyddb_ops.dispatch(self._model, op, request)
        except DynamoDBError as e:
            raise to_client_error(e, op, rid) from None

    def close(self) -> None:
        if self._owns and self._model is not None:
            self._model.close()
            self._model = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class StreamsClient(Client):
    """A boto3-compatible DynamoDB Streams client: only the Streams operations (it never closes the model)."""

    def __getattr__(self, name: str):
        if name not in ("list_streams", "describe_stream", "get_shard_iterator", "get_records"):
            raise AttributeError("'DynamoDBStreams' object has no attribute %r" % name)
        return Client.__getattr__(self, name)


def connect_streams(path: Optional[str] = None, *, sync: str = "full", **options) -> StreamsClient:
    """Like connect(), for the DynamoDB Streams API of the database at `path` (close() closes it)."""
    from pyddb.model.database import DynamoDB
    c = StreamsClient(DynamoDB(path, sync=sync, **options), owns_model=True)
    return c


# boto3 method name -> operation name, for every operation the service model lists
def _method_table() -> Dict[str, str]:
    from pyddb.validation.shapes import operations
    return {xform_name(op): op for op in operations()}


class _LazyMethods(dict):
    def get(self, key, default=None):
        if not self:
            self.update(_method_table())
        return dict.get(self, key, default)


_METHODS = _LazyMethods()

# paginators: operation -> (input token, output token, limit key, result key)
_PAGINATORS = {
    "query": ("ExclusiveStartKey", "LastEvaluatedKey", "Limit", "Items"),
    "scan": ("ExclusiveStartKey", "LastEvaluatedKey", "Limit", "Items"),
    "list_tables": ("ExclusiveStartTableName", "LastEvaluatedTableName", "Limit", "TableNames"),
    "list_backups": ("ExclusiveStartBackupArn", "LastEvaluatedBackupArn", "Limit", "BackupSummaries"),
    "list_tags_of_resource": ("NextToken", "NextToken", None, "Tags"),
}


class Paginator:
    def __init__(self, client: Client, name: str):
        self._client = client
        self._name = name

    def paginate(self, **kwargs) -> Iterator[Dict[str, Any]]:
        in_tok, out_tok, limit_key, _ = _PAGINATORS[self._name]
        config = kwargs.pop("PaginationConfig", None) or {}
        if config.get("PageSize") and limit_key:
            kwargs[limit_key] = config["PageSize"]
        if config.get("StartingToken"):
            kwargs[in_tok] = config["StartingToken"]
        method = getattr(self._client, self._name)
        while True:
            page = method(**kwargs)
            yield page
            token = page.get(out_tok)
            if not token:
                return
            kwargs[in_tok] = token


class Waiter:
    def __init__(self, client: Client, name: str):
        self._client = client
        self._name = name

    def wait(self, WaiterConfig: Optional[Dict[str, Any]] = None, **kwargs) -> None:
        config = WaiterConfig or {}
        delay = config.get("Delay", 0.05)
        attempts = config.get("MaxAttempts", 25)
        for _ in range(attempts):
            try:
                status = self._client.describe_table(**kwargs)["Table"]["TableStatus"]
                if self._name == "table_exists" and status == "ACTIVE":
                    return
            except self._client.exceptions.ResourceNotFoundException:
                if self._name == "table_not_exists":
                    return
            time.sleep(delay)
        raise TimeoutError("Waiter %s failed: Max attempts exceeded" % self._name)


def connect(path: Optional[str] = None, *, sync: str = "full", **options) -> Client:
    """Open (or create) the pyddb database at `path` and return a boto3-compatible client.

    `path=None` gives a temporary database that is removed when the client is closed. `sync` is the engine's
    durability mode: "full" (every acknowledged write is on disk), "normal" (fsync every few ms: a power loss
    may lose the last few ms, a process crash loses nothing), or "off".
    """
    from pyddb.model.database import DynamoDB
    return Client(DynamoDB(path, sync=sync, **options), owns_model=True)
