"""Measure put/get/query per second through unmodified boto3 under pyddb's mock_dynamodb and moto's mock_aws.

    python tests/hook/bench_mock.py [N]

The same boto3 code under each mock, each peer in its own process (importing moto alone slows every botocore
call by about a third, so one process would handicap whichever runs second); figures are operations per
second, the best of 3 runs of N each. Not a test: pytest does not collect it."""
import json
import subprocess
import sys
import time

import boto3
from boto3.dynamodb.conditions import Key

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000


def workload(n):
    c = boto3.client("dynamodb", region_name="us-east-1")
    c.create_table(TableName="bench", BillingMode="PAY_PER_REQUEST",
                   KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                              {"AttributeName": "sk", "KeyType": "RANGE"}],
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                         {"AttributeName": "sk", "AttributeType": "N"}])
    t = boto3.resource("dynamodb", region_name="us-east-1").Table("bench")
    out = {}
    start = time.perf_counter()
    for i in range(n):
        c.put_item(TableName="bench", Item={"pk": {"S": "u%d" % (i % 100)}, "sk": {"N": str(i)},
                                            "name": {"S": "item %d" % i}, "qty": {"N": "3"}})
    out["put_item"] = n / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(n):
        c.get_item(TableName="bench", Key={"pk": {"S": "u%d" % (i % 100)}, "sk": {"N": str(i)}})
    out["get_item"] = n / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(n):
        c.query(TableName="bench", KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": "u%d" % (i % 100)}}, Limit=10)
    out["query(Limit 10)"] = n / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(n):
        t.get_item(Key={"pk": "u%d" % (i % 100), "sk": i})
    out["resource get_item"] = n / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(n // 10):
        t.query(KeyConditionExpression=Key("pk").eq("u%d" % (i % 100)))
    out["resource query (all %d)" % (n // 100)] = (n // 10) / (time.perf_counter() - start)
    return out


def best(mock_factory):
    runs = []
    for _ in range(3):
        with mock_factory():
            runs.append(workload(N))
    return {k: max(r[k] for r in runs) for k in runs[0]}


def measure(peer):
    if peer == "moto":
        from moto import mock_aws as factory
    else:
        from pyddb import mock_dynamodb as factory
    return best(factory)


def main():
    if len(sys.argv) > 2:                          # a child: one peer
        print(json.dumps(measure(sys.argv[2])))
        return
    results = {}
    for peer in ("pyddb", "moto"):
        out = subprocess.run([sys.executable, __file__, str(N), peer], check=True, capture_output=True,
                             text=True).stdout
        results[peer] = json.loads(out.strip().splitlines()[-1])
    print("%-26s %12s %12s %8s" % ("ops/s (N=%d)" % N, "pyddb", "moto", "ratio"))
    for k in results["pyddb"]:
        p, m = results["pyddb"][k], results["moto"][k]
        print("%-26s %12.0f %12.0f %7.1fx" % (k, p, m, p / m))


if __name__ == "__main__":
    main()
