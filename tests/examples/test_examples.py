"""The three example programs of the use cases pyddb serves, run unmodified against `pyddb serve`.

Each program (user_orders.py on boto3, single_table.mjs on the AWS SDK for JavaScript v3, aws_cli.sh on
the AWS CLI) is a file written as for DynamoDB; the only thing pointing it at pyddb is AWS_ENDPOINT_URL in its
environment. The tests run them as subprocesses against a `pyddb serve` subprocess, assert what they print,
and then look at the server's data through a separate boto3 client.
"""
import json
import os
import shutil
import subprocess
import sys

import boto3
import pytest
from botocore.config import Config
from srvhelpers import ServeProcess                        # tests/server, put on sys.path by conftest.py

EXAMPLES = os.path.dirname(os.path.abspath(__file__))


def run(cmd, env, cwd=None, timeout=120):
    r = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, "%s exited %d\nstdout:\n%s\nstderr:\n%s" % (cmd, r.returncode, r.stdout, r.stderr)
    return r


def checker(env):
    return boto3.client("dynamodb", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                        aws_access_key_id="x", aws_secret_access_key="x",
                        config=Config(retries={"total_max_attempts": 1}))


# ---- (1) boto3: UserOrders ---------------------------------------------------------------------------------


def test_boto3_user_orders(serve, program_env):
    out = json.loads(run([sys.executable, os.path.join(EXAMPLES, "user_orders.py")], program_env).stdout)
    assert out["created"] is True and out["created_again"] is False
    assert out["total"] == "59.99" and out["price"] == "19.995"          # Decimals, not binary floats
    assert out["latest"] == ["2024-030", "2024-029", "2024-028", "2024-027", "2024-026"]
    assert out["latest_has_more"] is True
    assert out["delivered"] == ["2024-%03d" % n for n in range(3, 31, 3)]
    assert out["shipped_status"] == "SHIPPED"
    assert out["shipped_keys"] == ["created_at", "items", "order_id", "status", "tags", "total", "updated_at",
                                   "user_id"]
    assert out["ship_again"] is None
    assert out["overdraft"] == "TransactionCanceledException"
    assert out["balance"] == "40.01"
    assert out["paid"] is True and out["paid_002"] is None             # the cancelled transaction wrote nothing
    assert out["count"] == 30

    c = checker(program_env)
    gsi = c.query(TableName="UserOrders", IndexName="StatusIndex", KeyConditionExpression="#s = :s",
                  ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":s": {"S": "SHIPPED"}})
    assert [i["order_id"]["S"] for i in gsi["Items"]] == ["2024-001"]
    desc = c.describe_table(TableName="UserOrders")["Table"]
    assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert desc["GlobalSecondaryIndexes"][0]["IndexStatus"] == "ACTIVE"

    # what was acknowledged is on disk: a clean stop and a new server on the same directory still have it
    assert serve.stop() == 0
    again = ServeProcess(["--port", "0", "--data-dir", serve.data_dir], os.path.dirname(serve.data_dir))
    try:
        c2 = checker(dict(program_env, AWS_ENDPOINT_URL=again.url))
        item = c2.get_item(TableName="UserBalance", Key={"user_id": {"S": "user123"}})["Item"]
        assert item["balance"] == {"N": "40.01"}
        assert c2.scan(TableName="UserOrders", Select="COUNT")["Count"] == 30
    finally:
        assert again.stop() == 0


# ---- (2) Node.js: single-table design on @aws-sdk/client-dynamodb + lib-dynamodb ----------------------------


def test_node_single_table(serve, program_env, node_modules):
    program = node_modules / "single_table.mjs"           # next to its node_modules, where `import` looks
    shutil.copyfile(os.path.join(EXAMPLES, "single_table.mjs"), program)
    out = json.loads(run([shutil.which("node"), str(program)], program_env, cwd=str(node_modules)).stdout)
    assert out["status"] == "ACTIVE" and out["indexes"] == ["GSI1"]
    assert out["name"] == "Ada" and out["tags"] == ["admin", "beta"]
    # odd order numbers are PENDING; 2024-001 was still PENDING then; begins_with ORDER#2024-00 keeps 001..009
    assert out["pending"] == ["ORDER#2024-001", "ORDER#2024-003", "ORDER#2024-005", "ORDER#2024-007",
                              "ORDER#2024-009"]
    assert out["latest"] == ["ORDER#2024-060", "ORDER#2024-059", "ORDER#2024-058"] and out["latestMore"]
    assert out["updated"] == {"pk": "USER#user123", "sk": "ORDER#2024-001", "total": 42.5, "status": "SHIPPED",
                              "gsi1pk": "STATUS#SHIPPED", "gsi1sk": "ORDER#2024-001",
                              "lines": [{"sku": "A-1", "qty": 2}], "shippedAt": "2024-05-01T10:00:00Z",
                              "carrier": "UPS"}
    assert out["secondTransaction"] == "TransactionCanceledException"
    assert out["reasons"] == ["None", "ConditionalCheckFailed"]
    assert out["orderCount"] == 1                          # the cancelled transaction's ADD did not happen
    assert out["count"] == 1 + 60 + 1                      # profile, orders 001..060, 100

    c = checker(program_env)
    shipped = c.query(TableName="AppTable", IndexName="GSI1", KeyConditionExpression="gsi1pk = :p",
                      ExpressionAttributeValues={":p": {"S": "STATUS#SHIPPED"}}, Select="COUNT")
    assert shipped["Count"] == 30 + 1                      # even 002..060 and the updated 001


# ---- (3) the AWS CLI -----------------------------------------------------------------------------------------


def _steps(stdout):
    """{step name: [JSON documents it printed]} from the script's '### step' sections."""
    steps, name, dec = {}, None, json.JSONDecoder()
    for part in stdout.split("### ")[1:]:
        name, _, body = part.partition("\n")
        docs, body = [], body.strip()
        while body:
            doc, end = dec.raw_decode(body)
            docs.append(doc)
            body = body[end:].strip()
        steps[name.strip()] = docs
    return steps


def test_aws_cli(serve, program_env, tmp_path):
    try:
        import awscli  # noqa: F401
    except ImportError:
        pytest.fail("awscli is part of the test extra: pip install -e '.[test]'")
    bash = shutil.which("bash")
    if not bash:
        pytest.skip("the AWS CLI example is a bash script")
    bin_dir = tmp_path / "bin"                             # `aws` is the awscli of this interpreter
    bin_dir.mkdir()
    (bin_dir / "aws").write_text('#!/bin/sh\nexec "%s" -m awscli "$@"\n' % sys.executable)
    (bin_dir / "aws").chmod(0o755)
    env = dict(program_env, PATH=str(bin_dir) + os.pathsep + program_env.get("PATH", ""))
    r = run([bash, os.path.join(EXAMPLES, "aws_cli.sh")], env, timeout=200)
    s = _steps(r.stdout)

    table = s["create-table"][0]["TableDescription"]
    assert table["TableName"] == "Music" and table["TableStatus"] == "CREATING"     # as DynamoDB answers
    desc = s["describe-table"][0]["Table"]                 # after `aws dynamodb wait table-exists`
    assert desc["TableStatus"] == "ACTIVE" and desc["ItemCount"] == 0
    assert [k["AttributeName"] for k in desc["KeySchema"]] == ["Artist", "SongTitle"]
    assert desc["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert s["put-item"] == [{"ConsumedCapacity": {"TableName": "Music", "CapacityUnits": 1.0}}]
    assert s["get-item"][0]["Item"]["AlbumTitle"] == {"S": "Songs About Life"}
    q1, q2 = s["query"]
    assert [i["SongTitle"]["S"] for i in q1["Items"]] == ["Call Me Today"] and q1["Count"] == 1
    assert q2["Items"] == [{"SongTitle": {"S": "Howdy"}}, {"SongTitle": {"S": "Call Me Today"}}]
    assert s["update-item"][0]["Attributes"]["Awards"] == {"N": "11"}
    assert s["update-item"][0]["Attributes"]["AlbumTitle"] == {"S": "Updated Album Title"}
    assert s["update-item refused"] == []
    assert "ConditionalCheckFailedException" in r.stderr and "The conditional request failed" in r.stderr
    gsis = s["update-table"][0]["TableDescription"]["GlobalSecondaryIndexes"]
    assert [g["IndexName"] for g in gsis] == ["AlbumTitle-index"]
    assert s["batch-write-item"] == [{"UnprocessedItems": {}}]
    by_album = s["query-index"][0]
    assert sorted(i["SongTitle"]["S"] for i in by_album["Items"]) == ["Look Out, World", "Still In Love"]
    assert s["list-tables"] == [{"TableNames": ["Music"]}]

    c = checker(program_env)
    howdy = c.get_item(TableName="Music", Key={"Artist": {"S": "No One You Know"}, "SongTitle": {"S": "Howdy"}})
    assert "Item" not in howdy                             # deleted by the batch; the refused update changed nothing
    assert c.scan(TableName="Music", Select="COUNT")["Count"] == 4
