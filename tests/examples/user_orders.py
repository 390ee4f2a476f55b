"""Example program 1: an order service on boto3, as written for DynamoDB.

Nothing here knows about pyddb: the endpoint comes from the environment (AWS_ENDPOINT_URL, which boto3
reads itself), as do the credentials and region. It prints what it read back as one JSON document.
"""
import json
import sys
from datetime import datetime, timezone
from decimal import Decimal

import boto3
from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

dynamodb = boto3.resource("dynamodb")
client = boto3.client("dynamodb")


def create_tables():
    orders = dynamodb.create_table(
        TableName="UserOrders",
        KeySchema=[
            {"AttributeName": "user_id", "KeyType": "HASH"},
            {"AttributeName": "order_id", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "user_id", "AttributeType": "S"},
            {"AttributeName": "order_id", "AttributeType": "S"},
            {"AttributeName": "status", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[{
            "IndexName": "StatusIndex",
            "KeySchema": [
                {"AttributeName": "status", "KeyType": "HASH"},
                {"AttributeName": "order_id", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }],
        BillingMode="PAY_PER_REQUEST",
    )
    balances = dynamodb.create_table(
        TableName="UserBalance",
        KeySchema=[{"AttributeName": "user_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "user_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    orders.wait_until_exists()
    balances.wait_until_exists()
    return orders, balances


def create_order(table, payload):
    order = json.loads(payload, parse_float=Decimal)
    order["created_at"] = datetime.now(timezone.utc).isoformat()
    try:
        table.put_item(Item=order, ConditionExpression="attribute_not_exists(user_id)")
        return True
    except ClientError as e:
        if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise


def ship_order(table, user_id, order_id):
    try:
        resp = table.update_item(
            Key={"user_id": user_id, "order_id": order_id},
            UpdateExpression="SET #status = :status, updated_at = :now",
            ConditionExpression="#status = :old_status",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":status": "SHIPPED",
                ":old_status": "PENDING",
                ":now": datetime.now(timezone.utc).isoformat(),
            },
            ReturnValues="ALL_NEW",
        )
        return resp["Attributes"]
    except ClientError as e:
        if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise


def pay(user_id, order_id, amount):
    client.transact_write_items(TransactItems=[
        {"Update": {
            "TableName": "UserOrders",
            "Key": {"user_id": {"S": user_id}, "order_id": {"S": order_id}},
            "UpdateExpression": "SET paid = :true",
            "ConditionExpression": "attribute_exists(order_id)",
            "ExpressionAttributeValues": {":true": {"BOOL": True}},
        }},
        {"Update": {
            "TableName": "UserBalance",
            "Key": {"user_id": {"S": user_id}},
            "UpdateExpression": "SET balance = balance - :amount",
            "ConditionExpression": "balance >= :amount",
            "ExpressionAttributeValues": {":amount": {"N": str(amount)}},
        }},
    ])


def main():
    orders, balances = create_tables()
    out = {}

    payload = '{"user_id": "user123", "order_id": "2024-001", "status": "PENDING", "total": 59.99,' \
              ' "items": [{"sku": "A-1", "qty": 2, "price": 19.995}], "tags": ["gift"]}'
    out["created"] = create_order(orders, payload)
    out["created_again"] = create_order(orders, payload)      # refused by attribute_not_exists

    item = orders.get_item(Key={"user_id": "user123", "order_id": "2024-001"}, ConsistentRead=True)["Item"]
    out["total"] = str(item["total"])
    out["price"] = str(item["items"][0]["price"])

    with orders.batch_writer() as batch:
        for n in range(2, 31):
            batch.put_item(Item={"user_id": "user123", "order_id": "2024-%03d" % n,
                                 "status": "PENDING" if n % 3 else "DELIVERED",
                                 "total": Decimal("10.5") * n})
    balances.put_item(Item={"user_id": "user123", "balance": Decimal("100.00")})

    latest = orders.query(KeyConditionExpression=Key("user_id").eq("user123"),
                          ScanIndexForward=False, Limit=5)
    out["latest"] = [o["order_id"] for o in latest["Items"]]
    out["latest_has_more"] = "LastEvaluatedKey" in latest

    delivered = orders.query(IndexName="StatusIndex", KeyConditionExpression=Key("status").eq("DELIVERED"))
    out["delivered"] = [o["order_id"] for o in delivered["Items"]]

    shipped = ship_order(orders, "user123", "2024-001")
    out["shipped_status"] = shipped["status"]
    out["shipped_keys"] = sorted(shipped)
    out["ship_again"] = ship_order(orders, "user123", "2024-001")   # no longer PENDING

    pay("user123", "2024-001", Decimal("59.99"))
    try:
        pay("user123", "2024-002", Decimal("1000"))                  # more than the balance
        out["overdraft"] = "accepted"
    except ClientError as e:
        out["overdraft"] = e.response["Error"]["Code"]
    out["balance"] = str(balances.get_item(Key={"user_id": "user123"}, ConsistentRead=True)["Item"]["balance"])
    out["paid"] = orders.get_item(Key={"user_id": "user123", "order_id": "2024-001"})["Item"].get("paid")
    out["paid_002"] = orders.get_item(Key={"user_id": "user123", "order_id": "2024-002"})["Item"].get("paid")
    out["count"] = orders.scan(Select="COUNT")["Count"]

    json.dump(out, sys.stdout, default=str)
    print()


if __name__ == "__main__":
    main()
