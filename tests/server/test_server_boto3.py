"""boto3, unmodified, against the server: what botocore sends and parses (including its x-amz-crc32 check)."""
import json
import threading
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError
from srvhelpers import make_table

from pyddb import api
from pyddb.server.app import ServerThread
from pyddb.server.testing import boto3_client, connect_http


def test_put_get_delete_round_trip(http_server, http_ddb, table):
    item = {"pk": {"S": "a"}, "n": {"N": "-12.5000"}, "b": {"B": b"\x00\xff\x10"}, "bs": {"BS": [b"x", b"y"]},
            "ss": {"SS": ["b", "a"]}, "ns": {"NS": ["1", "2.5"]}, "t": {"BOOL": True}, "z": {"NULL": True},
            "l": {"L": [{"S": "héllo ☃"}, {"N": "1"}]}, "m": {"M": {"k": {"S": "v"}}}, "e": {"S": ""}}
    assert http_ddb.put_item(TableName=table, Item=item)["ResponseMetadata"]["HTTPStatusCode"] == 200
    got = http_ddb.get_item(TableName=table, Key={"pk": {"S": "a"}}, ConsistentRead=True)["Item"]
    assert got["b"] == {"B": b"\x00\xff\x10"} and got["bs"]["BS"] == [b"x", b"y"]
    assert got["n"] == {"N": "-12.5"} and got["l"]["L"][0] == {"S": "héllo ☃"}
    assert got["m"] == {"M": {"k": {"S": "v"}}} and got["z"] == {"NULL": True}
    old = http_ddb.delete_item(TableName=table, Key={"pk": {"S": "a"}}, ReturnValues="ALL_OLD")["Attributes"]
    assert old["b"] == {"B": b"\x00\xff\x10"}
    assert "Item" not in http_ddb.get_item(TableName=table, Key={"pk": {"S": "a"}})


def test_same_response_as_in_process(http_server, http_ddb, table):
    req = {"TableName": table, "Item": {"pk": {"S": "same"}, "v": {"N": "1"}},
           "ReturnConsumedCapacity": "TOTAL"}
    http_ddb.put_item(**req)
    get = {"TableName": table, "Key": {"pk": {"S": "same"}}, "ReturnConsumedCapacity": "TOTAL"}
    over_http = http_ddb.get_item(**get)
    over_http.pop("ResponseMetadata")
    assert over_http == api.dispatch(http_server.model, "GetItem", dict(get))


def test_conditional_check_failed_is_boto3s_modelled_exception_with_the_item(http_ddb, table):
    http_ddb.put_item(TableName=table, Item={"pk": {"S": "cond"}, "v": {"N": "1"}})
    with pytest.raises(http_ddb.exceptions.ConditionalCheckFailedException) as e:
        http_ddb.put_item(TableName=table, Item={"pk": {"S": "cond"}},
                          ConditionExpression="attribute_not_exists(pk)",
                          ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert e.value.response["Error"] == {"Code": "ConditionalCheckFailedException",
                                         "Message": "The conditional request failed"}
    assert e.value.response["Item"] == {"pk": {"S": "cond"}, "v": {"N": "1"}}


def test_validation_errors_reach_the_client_with_dynamodbs_text(http_ddb, table):
    with pytest.raises(ClientError) as e:
        http_ddb.put_item(TableName=table, Item={"pk": {"S": "x"}}, ReturnValues="ALL_NEW")
    assert e.value.response["Error"] == {"Code": "ValidationException",
                                         "Message": "ReturnValues can only be ALL_OLD or NONE"}
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_resource_not_found(http_ddb):
    with pytest.raises(http_ddb.exceptions.ResourceNotFoundException):
        http_ddb.get_item(TableName="missing", Key={"pk": {"S": "a"}})


def test_botocore_checks_the_crc32_header(endpoint, monkeypatch):
    """botocore verifies x-amz-crc32 for DynamoDB (so every other test checks ours): a wrong one fails."""
    from pyddb.server import protocol

    real = protocol.render

    def bad_crc(status, body, *a, **kw):
        out = real(status, body, *a, **kw)
        if body.startswith(b'{"TableNames"'):
            return out.replace(b"x-amz-crc32: ", b"x-amz-crc32: 1", 1)
        return out
    monkeypatch.setattr(protocol, "render", bad_crc)
    client = boto3_client(endpoint)
    with pytest.raises(Exception) as e:
        client.list_tables()
    assert "crc32" in str(e.value).lower() or "checksum" in str(e.value).lower()


def test_resource_layer_with_python_values(endpoint, http_server, http_ddb, table):
    import boto3

    res = boto3.resource("dynamodb", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="k",
                         aws_secret_access_key="s")
    t = res.Table(table)
    t.put_item(Item={"pk": "res", "price": Decimal("19.99"), "tags": {"a", "b"}, "raw": b"\x01"})
    got = t.get_item(Key={"pk": "res"})["Item"]
    assert got["price"] == Decimal("19.99") and got["tags"] == {"a", "b"} and got["raw"].value == b"\x01"


def test_concurrent_writers_with_sync_full(tmp_path):
    """Writers on 8 connections to a sync=full server share fdatasyncs (group commit) and all land."""
    with ServerThread(str(tmp_path / "db"), sync="full") as srv:
        client = boto3_client(srv.url, max_pool_connections=8)
        make_table(srv, client, "writes")
        errors = []

        def writer(w):
            try:
                for i in range(40):
                    client.put_item(TableName="writes", Item={"pk": {"S": "%d-%d" % (w, i)}})
            except Exception as e:  # noqa: BLE001
                errors.append(e)
        threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        for w in range(8):
            for i in range(40):
                assert "Item" in client.get_item(TableName="writes", Key={"pk": {"S": "%d-%d" % (w, i)}})


def test_connect_http_persists_across_a_restart(tmp_path):
    path = str(tmp_path / "db")
    client = connect_http(path)
    make_table(client.server, client, "keep")
    client.put_item(TableName="keep", Item={"pk": {"S": "p"}, "v": {"S": "kept"}})
    client.close()
    client = connect_http(path)
    try:
        assert client.get_item(TableName="keep", Key={"pk": {"S": "p"}})["Item"]["v"] == {"S": "kept"}
    finally:
        client.close()


def test_table_lifecycle_and_waiter(http_ddb):
    http_ddb.create_table(TableName="life", BillingMode="PAY_PER_REQUEST",
                          KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    http_ddb.get_waiter("table_exists").wait(TableName="life", WaiterConfig={"Delay": 1, "MaxAttempts": 2})
    desc = http_ddb.describe_table(TableName="life")["Table"]
    assert desc["TableStatus"] == "ACTIVE"
    assert desc["CreationDateTime"].year >= 2024          # epoch seconds on the wire, a datetime in boto3
    assert "life" in http_ddb.list_tables()["TableNames"]
    http_ddb.delete_table(TableName="life")
    assert "life" not in http_ddb.list_tables()["TableNames"]


def test_json_body_is_compact_and_parses(raw, table):
    status, h, body = raw("POST", json.dumps({"TableName": table, "Key": {"pk": {"S": "none"}}}).encode(),
                          target="DynamoDB_20120810.GetItem")
    assert (status, body) == (200, b"{}")
