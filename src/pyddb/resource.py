"""`Table`: boto3's resource Table over Python values, on a pyddb client (or any boto3-shaped client).

    import pyddb
    from boto3.dynamodb.conditions import Key, Attr       # optional: strings work everywhere
    client = pyddb.connect("./data")
    table = client.Table("music")
    table.put_item(Item={"artist": "Arvo", "year": 1978, "tags": {"tintinnabuli"}})
    table.get_item(Key={"artist": "Arvo"})["Item"]        # {'artist': 'Arvo', 'year': Decimal('1978'), ...}
    table.query(KeyConditionExpression=Key("artist").eq("Arvo"), FilterExpression=Attr("year").gt(1970))
    with table.batch_writer(overwrite_by_pkeys=["artist"]) as batch:
        batch.put_item(Item={...})

WHAT BOTO3 DOES, AND SO DOES THIS (boto3/dynamodb/transform.py, table.py, conditions.py; boto3 1.43)
    - Requests: every AttributeValue position of the operation's input takes Python values, serialized with
      TypeSerializer's choices and errors (types/attrvalue.serialize): Item, Key, ExclusiveStartKey, the
      values of ExpressionAttributeValues, Expected's Value and AttributeValueList, AttributeUpdates' Value,
      KeyConditions/QueryFilter/ScanFilter AttributeValueLists, a batch's PutRequest Item and DeleteRequest
      Key.
    - Conditions: a ConditionExpression or FilterExpression given as a `boto3.dynamodb.conditions` object is
      built first, then a KeyConditionExpression, with one ConditionExpressionBuilder per request (so the
      placeholders run #n0, #n1 ... and :v0, :v1 ... across them); the generated names and values are merged
      into the request's ExpressionAttributeNames/Values (the generated ones win on a clash, as in boto3).
      A plain string is passed through untouched.
    - Responses: Item, Attributes, Items, LastEvaluatedKey, ItemCollectionMetrics' ItemCollectionKey and a
      batch's UnprocessedItems come back as Python values (types/attrvalue.deserialize); everything else
      (ConsumedCapacity, Count, ResponseMetadata) is returned as the client returned it. Errors are raised
      as the client raises them: a ConditionalCheckFailedException's `response["Item"]` stays in DynamoDB
      JSON, as boto3's resource leaves it (its output transformation runs only on success).
    - `batch_writer()`: boto3's BatchWriter: buffers puts and deletes, sends 25 per BatchWriteItem, re-queues
      UnprocessedItems, drops a buffered request with the same `overwrite_by_pkeys` values as a new one, and
      flushes whatever is left on exit (also when the block raised).
    - Table attributes (`key_schema`, `item_count`, `table_status`, ... every TableDescription member under
      its snake_case name) are loaded by DescribeTable on first use and kept until `reload()`.
Differences from boto3: numbers read back with Decimal(text) and no 38-digit context (attrvalue.py), and a
missing boto3 means conditions can only be strings.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from pyddb.types.attrvalue import deserialize, serialize

try:                                    # boto3 is optional: without it, expressions are strings
    from boto3.dynamodb.conditions import ConditionBase, ConditionExpressionBuilder
except ImportError:                     # pragma: no cover - exercised only without boto3
    ConditionBase = None
    ConditionExpressionBuilder = None

__all__ = ["Table", "BatchWriter"]

# TableDescription's members (botocore's DynamoDB model), as boto3 names the resource attributes
TABLE_ATTRIBUTES = {
    "attribute_definitions": "AttributeDefinitions", "table_name": "TableName", "key_schema": "KeySchema",
    "table_status": "TableStatus", "creation_date_time": "CreationDateTime",
    "provisioned_throughput": "ProvisionedThroughput", "table_size_bytes": "TableSizeBytes",
    "item_count": "ItemCount", "table_arn": "TableArn", "table_id": "TableId",
    "billing_mode_summary": "BillingModeSummary", "local_secondary_indexes": "LocalSecondaryIndexes",
    "global_secondary_indexes": "GlobalSecondaryIndexes", "stream_specification": "StreamSpecification",
    "latest_stream_label": "LatestStreamLabel", "latest_stream_arn": "LatestStreamArn",
    "global_table_version": "GlobalTableVersion", "replicas": "Replicas",
    "global_table_witnesses": "GlobalTableWitnesses",
    "global_table_settings_replication_mode": "GlobalTableSettingsReplicationMode",
    "restore_summary": "RestoreSummary", "sse_description": "SSEDescription",
    "archival_summary": "ArchivalSummary", "table_class_summary": "TableClassSummary",
    "deletion_protection_enabled": "DeletionProtectionEnabled", "on_demand_throughput": "OnDemandThroughput",
    "warm_throughput": "WarmThroughput", "multi_region_consistency": "MultiRegionConsistency",
}

_CONDITION_MEMBERS = ("ConditionExpression", "FilterExpression")      # botocore shape "ConditionExpression"
_KEY_CONDITION_MEMBERS = ("KeyConditionExpression",)                   # botocore shape "KeyExpression"


# ---- requests: Python values -> DynamoDB JSON ------------------------------------------------------------

def _serialize_map(values: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    if values is None:
        return None
    return {k: serialize(v) for k, v in values.items()}


def _serialize_conditions(conditions: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """Expected / KeyConditions / QueryFilter / ScanFilter: Value and AttributeValueList are Python values."""
    if conditions is None:
        return None
    out = {}
    for name, spec in conditions.items():
        spec = dict(spec)
        if "Value" in spec and spec["Value"] is not None:
            spec["Value"] = serialize(spec["Value"])
        if spec.get("AttributeValueList") is not None:
            spec["AttributeValueList"] = [serialize(v) for v in spec["AttributeValueList"]]
        out[name] = spec
    return out


def _serialize_attribute_updates(updates: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    if updates is None:
        return None
    out = {}
    for name, spec in updates.items():
        spec = dict(spec)
        if spec.get("Value") is not None:
            spec["Value"] = serialize(spec["Value"])
        out[name] = spec
    return out


_SERIALIZERS: Dict[str, Callable[[Any], Any]] = {
    "Item": _serialize_map,
    "Key": _serialize_map,
    "ExclusiveStartKey": _serialize_map,
    "ExpressionAttributeValues": _serialize_map,
    "Expected": _serialize_conditions,
    "KeyConditions": _serialize_conditions,
    "QueryFilter": _serialize_conditions,
    "ScanFilter": _serialize_conditions,
    "AttributeUpdates": _serialize_attribute_updates,
}


def _build_conditions(request: Dict[str, Any]) -> Dict[str, Any]:
    """Condition objects -> expression strings plus placeholders, as boto3's TransformationInjector does."""
    if ConditionBase is None or not any(
            isinstance(request.get(m), ConditionBase) for m in _CONDITION_MEMBERS + _KEY_CONDITION_MEMBERS):
        return request
    builder = ConditionExpressionBuilder()
    names: Dict[str, str] = {}
    values: Dict[str, Any] = {}
    out = dict(request)
    for members, is_key in ((_CONDITION_MEMBERS, False), (_KEY_CONDITION_MEMBERS, True)):
        for member in [p for p in request if p in members]:      # request order, as boto3 walks params
            value = request[member]
            if isinstance(value, ConditionBase):
                built = builder.build_expression(value, is_key_condition=is_key)
                names.update(built.attribute_name_placeholders)
                values.update(built.attribute_value_placeholders)
                out[member] = built.condition_expression
    if names:
        out["ExpressionAttributeNames"] = dict(request.get("ExpressionAttributeNames") or {}, **names)
    if values:
        out["ExpressionAttributeValues"] = dict(request.get("ExpressionAttributeValues") or {}, **values)
    return out


def to_wire(request: Dict[str, Any]) -> Dict[str, Any]:
    """A request with Python values (and condition objects) -> the same request in DynamoDB JSON."""
    request = _build_conditions(request)
    out = {}
    for member, value in request.items():
        fn = _SERIALIZERS.get(member)
        out[member] = fn(value) if fn is not None and value is not None else value
    return out


# ---- responses: DynamoDB JSON -> Python values ----------------------------------------------------------

def _deserialize_map(item: Optional[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    if item is None:
        return None
    return {k: deserialize(v) for k, v in item.items()}


def _deserialize_write_requests(requests: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    out = []
    for request in requests:
        if "PutRequest" in request:
            out.append({"PutRequest": {"Item": _deserialize_map(request["PutRequest"]["Item"])}})
        elif "DeleteRequest" in request:
            out.append({"DeleteRequest": {"Key": _deserialize_map(request["DeleteRequest"]["Key"])}})
        else:
            out.append(request)
    return out


def _deserialize_metrics(metrics: Dict[str, Any]) -> Dict[str, Any]:
    metrics = dict(metrics)
    if "ItemCollectionKey" in metrics:
        metrics["ItemCollectionKey"] = _deserialize_map(metrics["ItemCollectionKey"])
    return metrics


def from_wire(response: Dict[str, Any]) -> Dict[str, Any]:
    """A response in DynamoDB JSON -> Python values where boto3's resource converts them."""
    out = dict(response)
    for member in ("Item", "Attributes", "LastEvaluatedKey"):
        if out.get(member) is not None:
            out[member] = _deserialize_map(out[member])
    if out.get("Items") is not None:
        out["Items"] = [_deserialize_map(item) for item in out["Items"]]
    metrics = out.get("ItemCollectionMetrics")
    if isinstance(metrics, dict):
        if "ItemCollectionKey" in metrics:
            out["ItemCollectionMetrics"] = _deserialize_metrics(metrics)
        else:                                          # BatchWriteItem: {table: [metrics]}
            out["ItemCollectionMetrics"] = {t: [_deserialize_metrics(m) for m in ms]
                                            for t, ms in metrics.items()}
    if out.get("UnprocessedItems"):
        out["UnprocessedItems"] = {t: _deserialize_write_requests(rs)
                                   for t, rs in out["UnprocessedItems"].items()}
    return out


# ---- Table ----------------------------------------------------------------------------------------------

class _Meta:
    """boto3's `resource.meta`: the client and the loaded DescribeTable data (None until loaded)."""

    __slots__ = ("client", "data", "identifiers", "service_name")

    def __init__(self, client: Any):
        self.client = client
        self.data: Optional[Dict[str, Any]] = None
        self.identifiers = ["name"]
        self.service_name = "dynamodb"


class Table:
    """A DynamoDB table with Python values, like `boto3.resource("dynamodb").Table(name)`."""

    def __init__(self, client: Any, name: str):
        self.name = name
        self.meta = _Meta(client)

    def __repr__(self) -> str:
        return "dynamodb.Table(name=%r)" % self.name

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Table) and other.name == self.name and other.meta.client is self.meta.client

    def __hash__(self) -> int:
        return hash(("dynamodb.Table", self.name))

    # ---- item operations ----------------------------------------------------------------------------

    def _call(self, method: str, kwargs: Dict[str, Any]) -> Dict[str, Any]:
        request = to_wire(dict(kwargs, TableName=self.name))
        return from_wire(getattr(self.meta.client, method)(**request))

    def put_item(self, **kwargs: Any) -> Dict[str, Any]:
        return self._call("put_item", kwargs)

    def get_item(self, **kwargs: Any) -> Dict[str, Any]:
        return self._call("get_item", kwargs)

    def update_item(self, **kwargs: Any) -> Dict[str, Any]:
        return self._call("update_item", kwargs)

    def delete_item(self, **kwargs: Any) -> Dict[str, Any]:
        return self._call("delete_item", kwargs)

    def query(self, **kwargs: Any) -> Dict[str, Any]:
        return self._call("query", kwargs)

    def scan(self, **kwargs: Any) -> Dict[str, Any]:
        return self._call("scan", kwargs)

    def batch_writer(self, overwrite_by_pkeys: Optional[List[str]] = None) -> "BatchWriter":
        """A context manager that buffers put_item/delete_item and sends them 25 at a time."""
        return BatchWriter(self.name, self.meta.client, overwrite_by_pkeys=overwrite_by_pkeys)

    # ---- the table itself ---------------------------------------------------------------------------

    def load(self) -> None:
        """DescribeTable into `meta.data` (boto3's resource load)."""
        self.meta.data = self.meta.client.describe_table(TableName=self.name)["Table"]

    reload = load

    def delete(self, **kwargs: Any) -> Dict[str, Any]:
        return self.meta.client.delete_table(TableName=self.name, **kwargs)

    def update(self, **kwargs: Any) -> "Table":
        """UpdateTable; returns the table loaded with the TableDescription it answered (as boto3 does)."""
        response = self.meta.client.update_table(TableName=self.name, **kwargs)
        table = Table(self.meta.client, self.name)
        table.meta.data = response["TableDescription"]
        return table

    def wait_until_exists(self, **kwargs: Any) -> None:
        self.meta.client.get_waiter("table_exists").wait(TableName=self.name, **kwargs)

    def wait_until_not_exists(self, **kwargs: Any) -> None:
        self.meta.client.get_waiter("table_not_exists").wait(TableName=self.name, **kwargs)

    def __getattr__(self, attribute: str) -> Any:
        member = TABLE_ATTRIBUTES.get(attribute)
        if member is None:
            raise AttributeError("'dynamodb.Table' object has no attribute %r" % attribute)
        if self.meta.data is None:
            self.load()
        return self.meta.data.get(member)


class BatchWriter:
    """boto3's BatchWriter (boto3/dynamodb/table.py) for one table, with Python values."""

    def __init__(self, table_name: str, client: Any, flush_amount: int = 25,
                 overwrite_by_pkeys: Optional[List[str]] = None):
        self._table_name = table_name
        self._client = client
        self._items_buffer: List[Dict[str, Any]] = []
        self._flush_amount = flush_amount
        self._overwrite_by_pkeys = overwrite_by_pkeys

    def put_item(self, Item: Dict[str, Any]) -> None:  # noqa: N803 - boto3's parameter name
        self._add_request_and_process({"PutRequest": {"Item": Item}})

    def delete_item(self, Key: Dict[str, Any]) -> None:  # noqa: N803 - boto3's parameter name
        self._add_request_and_process({"DeleteRequest": {"Key": Key}})

    def _add_request_and_process(self, request: Dict[str, Any]) -> None:
        if self._overwrite_by_pkeys:
            self._remove_dup_pkeys_request_if_any(request)
        self._items_buffer.append(request)
        self._flush_if_needed()

    def _remove_dup_pkeys_request_if_any(self, request: Dict[str, Any]) -> None:
        pkey_values_new = self._extract_pkey_values(request)
        for item in list(self._items_buffer):
            if self._extract_pkey_values(item) == pkey_values_new:
                self._items_buffer.remove(item)

    def _extract_pkey_values(self, request: Dict[str, Any]) -> Optional[List[Any]]:
        if request.get("PutRequest"):
            return [request["PutRequest"]["Item"][key] for key in self._overwrite_by_pkeys]
        if request.get("DeleteRequest"):
            return [request["DeleteRequest"]["Key"][key] for key in self._overwrite_by_pkeys]
        return None

    def _flush_if_needed(self) -> None:
        if len(self._items_buffer) >= self._flush_amount:
            self._flush()

    def _flush(self) -> None:
        items_to_send = self._items_buffer[: self._flush_amount]
        self._items_buffer = self._items_buffer[self._flush_amount:]
        wire = []
        for request in items_to_send:
            if "PutRequest" in request:
                wire.append({"PutRequest": {"Item": _serialize_map(request["PutRequest"]["Item"])}})
            else:
                wire.append({"DeleteRequest": {"Key": _serialize_map(request["DeleteRequest"]["Key"])}})
        response = from_wire(self._client.batch_write_item(RequestItems={self._table_name: wire}))
        unprocessed_items = response.get("UnprocessedItems") or {}
        self._items_buffer.extend(unprocessed_items.get(self._table_name, []))

    def __enter__(self) -> "BatchWriter":
        return self

    def __exit__(self, exc_type, exc_value, tb) -> None:
        while self._items_buffer:
            self._flush()
