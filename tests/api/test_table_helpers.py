"""No tests here: what the control-plane tests share. Table requests, the error probe, and a check that every
response parses with botocore's own DynamoDB output shapes (botocore's parser drops a misspelt member, so the
check catches it). Everything goes through the `ddb` client, in DynamoDB's terms, so the tests run unchanged
against a server (with the client's own parameter validation off: these tests send what boto3 would refuse).
"""

import datetime
import json

import pytest

HASH = {
    "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
}
HASH_RANGE = {
    "AttributeDefinitions": [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "N"},
    ],
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
}
PT = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
ON_DEMAND = {"BillingMode": "PAY_PER_REQUEST"}

UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def table(name="tbl", keys=HASH, **more):
    """A CreateTable request: PROVISIONED 5/5 unless `more` says otherwise."""
    request = {"TableName": name, **keys}
    if more.get("BillingMode") != "PAY_PER_REQUEST" and "ProvisionedThroughput" not in more:
        request["ProvisionedThroughput"] = dict(PT)
    request.update(more)
    return request


def gsi(name, hash_key, range_key=None, projection=None, throughput=None):
    ks = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        ks.append({"AttributeName": range_key, "KeyType": "RANGE"})
    out = {"IndexName": name, "KeySchema": ks, "Projection": projection or {"ProjectionType": "ALL"}}
    if throughput:
        out["ProvisionedThroughput"] = throughput
    return out


def lsi(name, range_key, hash_key="pk", projection=None):
    return {
        "IndexName": name,
        "KeySchema": [
            {"AttributeName": hash_key, "KeyType": "HASH"},
            {"AttributeName": range_key, "KeyType": "RANGE"},
        ],
        "Projection": projection or {"ProjectionType": "ALL"},
    }


def attrs(*pairs):
    return [{"AttributeName": n, "AttributeType": t} for n, t in pairs]


def scan_all(ddb, name, **more):
    """Every item of a Scan of table `name`, page after page."""
    items, start = [], None
    while True:
        page = ddb.scan(TableName=name, **more, **({"ExclusiveStartKey": start} if start else {}))
        items += page["Items"]
        start = page.get("LastEvaluatedKey")
        if not start:
            return items


def fails(call, **request):
    """(Code, Message) of the error `call(**request)` raises, as boto3 reports it."""
    with pytest.raises(Exception) as info:
        call(**request)
    response = getattr(info.value, "response", None)
    assert response is not None, "not a ClientError: %r" % (info.value,)
    return response["Error"]["Code"], response["Error"]["Message"]


def invalid(detail):
    return ("ValidationException", "One or more parameter values were invalid: " + detail)


def strip(response):
    response = dict(response)
    response.pop("ResponseMetadata", None)
    return response


def _epoch(value):
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    raise TypeError(value)


def botocore_parse(operation, response):
    """`response` as DynamoDB's JSON on the wire (timestamps as epoch seconds), parsed back by botocore with
    the operation's output shape."""
    botocore_session = pytest.importorskip("botocore.session")
    from botocore.parsers import create_parser

    model = botocore_session.get_session().get_service_model("dynamodb")
    shape = model.operation_model(operation).output_shape
    body = json.dumps(strip(response), default=_epoch).encode()
    parsed = create_parser("json").parse({"body": body, "headers": {}, "status_code": 200}, shape)
    parsed.pop("ResponseMetadata", None)
    return parsed


def assert_botocore_shape(operation, response):
    """Every member of `response` is in botocore's model of the operation's output, with the same value."""
    assert botocore_parse(operation, response) == strip(response)
