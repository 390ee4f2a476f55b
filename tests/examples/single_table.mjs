// Example program 2: a single-table design on the AWS SDK for JavaScript v3, as written for DynamoDB.
//
// Nothing here knows about pyddb: the SDK takes the endpoint (AWS_ENDPOINT_URL), credentials and region
// from the environment. It prints what it read back as one JSON document.
import { DynamoDBClient, CreateTableCommand, DescribeTableCommand, waitUntilTableExists }
  from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, GetCommand, QueryCommand, UpdateCommand, BatchWriteCommand,
  TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { TransactWriteItemsCommand } from "@aws-sdk/client-dynamodb";

const TABLE = "AppTable";
const client = new DynamoDBClient({});
const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

async function createTable() {
  await client.send(new CreateTableCommand({
    TableName: TABLE,
    BillingMode: "PAY_PER_REQUEST",
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "sk", KeyType: "RANGE" }],
    AttributeDefinitions: [
      { AttributeName: "pk", AttributeType: "S" }, { AttributeName: "sk", AttributeType: "S" },
      { AttributeName: "gsi1pk", AttributeType: "S" }, { AttributeName: "gsi1sk", AttributeType: "S" },
    ],
    GlobalSecondaryIndexes: [{
      IndexName: "GSI1",
      KeySchema: [{ AttributeName: "gsi1pk", KeyType: "HASH" }, { AttributeName: "gsi1sk", KeyType: "RANGE" }],
      Projection: { ProjectionType: "ALL" },
    }],
  }));
  await waitUntilTableExists({ client, maxWaitTime: 30 }, { TableName: TABLE });
}

// UpdateExpression builder: every attribute becomes #attrN = :valN
function buildUpdate(key, fields) {
  const names = {};
  const values = {};
  const sets = [];
  Object.entries(fields).forEach(([name, value], i) => {
    names[`#attr${i}`] = name;
    values[`:val${i}`] = value;
    sets.push(`#attr${i} = :val${i}`);
  });
  return new UpdateCommand({
    TableName: TABLE, Key: key, UpdateExpression: `SET ${sets.join(", ")}`,
    ExpressionAttributeNames: names, ExpressionAttributeValues: values, ReturnValues: "ALL_NEW",
  });
}

async function batchWrite(items) {
  for (let i = 0; i < items.length; i += 25) {
    const chunk = items.slice(i, i + 25);
    let request = { [TABLE]: chunk.map((Item) => ({ PutRequest: { Item } })) };
    while (request && Object.keys(request).length) {
      const out = await doc.send(new BatchWriteCommand({ RequestItems: request }));
      request = out.UnprocessedItems;
    }
  }
}

async function main() {
  const out = {};
  await createTable();
  const described = await client.send(new DescribeTableCommand({ TableName: TABLE }));
  out.status = described.Table.TableStatus;
  out.indexes = described.Table.GlobalSecondaryIndexes.map((g) => g.IndexName);

  await doc.send(new PutCommand({
    TableName: TABLE,
    Item: { pk: "USER#user123", sk: "PROFILE", name: "Ada", email: "ada@example.com",
            gsi1pk: "EMAIL#ada@example.com", gsi1sk: "USER#user123", tags: new Set(["admin", "beta"]) },
    ConditionExpression: "attribute_not_exists(pk)",
  }));
  await doc.send(new PutCommand({
    TableName: TABLE,
    Item: { pk: "USER#user123", sk: "ORDER#2024-001", total: 42.5, status: "PENDING",
            gsi1pk: "STATUS#PENDING", gsi1sk: "ORDER#2024-001", lines: [{ sku: "A-1", qty: 2 }] },
  }));

  const profile = await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: "USER#user123", sk: "PROFILE" },
                                                  ConsistentRead: true }));
  out.name = profile.Item.name;
  out.tags = [...profile.Item.tags].sort();

  const orders = [];
  for (let n = 2; n <= 60; n++) {
    const id = `2024-${String(n).padStart(3, "0")}`;
    const status = n % 2 ? "PENDING" : "SHIPPED";
    orders.push({ pk: "USER#user123", sk: `ORDER#${id}`, total: n, status,
                  gsi1pk: `STATUS#${status}`, gsi1sk: `ORDER#${id}` });
  }
  await batchWrite(orders);

  const pending = await doc.send(new QueryCommand({
    TableName: TABLE, IndexName: "GSI1",
    KeyConditionExpression: "gsi1pk = :pk AND begins_with(gsi1sk, :sk)",
    ExpressionAttributeValues: { ":pk": "STATUS#PENDING", ":sk": "ORDER#2024-00" },
  }));
  out.pending = pending.Items.map((i) => i.sk);

  const userOrders = await doc.send(new QueryCommand({
    TableName: TABLE, KeyConditionExpression: "pk = :pk AND begins_with(sk, :prefix)",
    ExpressionAttributeValues: { ":pk": "USER#user123", ":prefix": "ORDER#" },
    ScanIndexForward: false, Limit: 3,
  }));
  out.latest = userOrders.Items.map((i) => i.sk);
  out.latestMore = userOrders.LastEvaluatedKey !== undefined;

  const updated = await doc.send(buildUpdate({ pk: "USER#user123", sk: "ORDER#2024-001" },
    { status: "SHIPPED", gsi1pk: "STATUS#SHIPPED", shippedAt: "2024-05-01T10:00:00Z", carrier: "UPS" }));
  out.updated = updated.Attributes;

  await client.send(new TransactWriteItemsCommand({
    TransactItems: [
      { Update: { TableName: TABLE, Key: { pk: { S: "USER#user123" }, sk: { S: "PROFILE" } },
                  UpdateExpression: "ADD orderCount :one", ExpressionAttributeValues: { ":one": { N: "1" } } } },
      { Put: { TableName: TABLE, Item: { pk: { S: "USER#user123" }, sk: { S: "ORDER#2024-100" },
                                         status: { S: "PENDING" }, total: { N: "9.99" } },
               ConditionExpression: "attribute_not_exists(sk)" } },
    ],
  }));
  try {
    await doc.send(new TransactWriteCommand({
      TransactItems: [
        { Update: { TableName: TABLE, Key: { pk: "USER#user123", sk: "PROFILE" },
                    UpdateExpression: "ADD orderCount :one", ExpressionAttributeValues: { ":one": 1 } } },
        { Put: { TableName: TABLE, Item: { pk: "USER#user123", sk: "ORDER#2024-100" },
                 ConditionExpression: "attribute_not_exists(sk)" } },
      ],
    }));
    out.secondTransaction = "committed";
  } catch (e) {
    out.secondTransaction = e.name;
    out.reasons = e.CancellationReasons.map((r) => r.Code);
  }
  const after = await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: "USER#user123", sk: "PROFILE" } }));
  out.orderCount = after.Item.orderCount;
  const all = await doc.send(new QueryCommand({
    TableName: TABLE, KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": "USER#user123" },
    Select: "COUNT",
  }));
  out.count = all.Count;
  console.log(JSON.stringify(out));
}

main().catch((e) => { console.error(e); process.exit(1); });
