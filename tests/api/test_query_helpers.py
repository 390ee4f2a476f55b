"""No tests here: what the Query and Scan tests share. Tables, DynamoDB's value order, pagination, and the
error probe, all through the `ddb` client in DynamoDB's terms (so the tests run unchanged over HTTP)."""

from decimal import Decimal

import pytest

VALIDATION = "ValidationException"


def create(ddb, name, hash_key=("pk", "S"), range_key=("sk", "S"), lsis=(), gsis=(), extra=()):
    """CreateTable (on demand). lsis: (name, (attr, type), projection); gsis: (name, (attr, type),
    (attr, type) or None, projection); projection: "ALL", "KEYS_ONLY" or ["INCLUDE", names...]."""
    defs = {hash_key[0]: hash_key[1]}
    schema = [{"AttributeName": hash_key[0], "KeyType": "HASH"}]
    if range_key:
        defs[range_key[0]] = range_key[1]
        schema.append({"AttributeName": range_key[0], "KeyType": "RANGE"})
    request = {"TableName": name, "BillingMode": "PAY_PER_REQUEST", "KeySchema": schema}

    def projection(p):
        if isinstance(p, str):
            return {"ProjectionType": p}
        return {"ProjectionType": p[0], "NonKeyAttributes": list(p[1:])}

    if lsis:
        request["LocalSecondaryIndexes"] = []
        for ix_name, (attr, t), proj in lsis:
            defs[attr] = t
            request["LocalSecondaryIndexes"].append(
                {
                    "IndexName": ix_name,
                    "Projection": projection(proj),
                    "KeySchema": [
                        {"AttributeName": hash_key[0], "KeyType": "HASH"},
                        {"AttributeName": attr, "KeyType": "RANGE"},
                    ],
                }
            )
    if gsis:
        request["GlobalSecondaryIndexes"] = []
        for ix_name, (h, ht), rng, proj in gsis:
            defs[h] = ht
            ks = [{"AttributeName": h, "KeyType": "HASH"}]
            if rng:
                defs[rng[0]] = rng[1]
                ks.append({"AttributeName": rng[0], "KeyType": "RANGE"})
            request["GlobalSecondaryIndexes"].append(
                {"IndexName": ix_name, "KeySchema": ks, "Projection": projection(proj)}
            )
    for attr, t in extra:
        defs[attr] = t
    request["AttributeDefinitions"] = [{"AttributeName": a, "AttributeType": t} for a, t in defs.items()]
    ddb.create_table(**request)


def put_all(ddb, table, items):
    for item in items:
        ddb.put_item(TableName=table, Item=item)


def order_key(av):
    """DynamoDB's order of key values: S by UTF-8 bytes, N numerically, B bytewise."""
    ((t, v),) = av.items()
    if t == "N":
        return Decimal(v)
    if t == "S":
        return v.encode("utf-8")
    return bytes(v)


def strip(response):
    response = dict(response)
    response.pop("ResponseMetadata", None)
    return response


def fails(call, **request):
    """(Code, Message) of the error `call(**request)` raises, as boto3 reports it."""
    with pytest.raises(Exception) as info:
        call(**request)
    response = getattr(info.value, "response", None)
    assert response is not None, "not a ClientError: %r" % (info.value,)
    return response["Error"]["Code"], response["Error"]["Message"]


def rejects(call, message, code=VALIDATION, **request):
    assert fails(call, **request) == (code, message)


def pages(call, **request):
    """Every page of a paginated Query/Scan, following LastEvaluatedKey until it is absent."""
    out = []
    while True:
        page = strip(call(**request))
        out.append(page)
        assert len(out) < 10000
        if "LastEvaluatedKey" not in page:
            return out
        request = dict(request, ExclusiveStartKey=page["LastEvaluatedKey"])


def all_items(call, **request):
    return [item for page in pages(call, **request) for item in page.get("Items", [])]


def key_of(item, names):
    return tuple(sorted((n, repr(item[n])) for n in names))
