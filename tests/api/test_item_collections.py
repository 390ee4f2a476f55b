"""Item collections of tables with local secondary indexes, in DynamoDB's terms: a write that grows a
collection past its size limit fails with ItemCollectionSizeLimitExceededException ("Collection size
exceeded.") and writes nothing, on every write path; writes that shrink a collection always pass; and
ReturnItemCollectionMetrics=SIZE reports {ItemCollectionKey, SizeEstimateRangeGB}. Sources: model/indexes.py
ITEM COLLECTIONS.

White-box parts are marked so: the limit is lowered through `model.item_collection_limit_bytes` (10 GB is
out of reach in a test), and the size counters are compared with a recomputation from the table's items
(model/indexes.py collection_size / collection_bytes).
"""

import random
import threading

import pytest
from test_table_helpers import ON_DEMAND, attrs, fails, lsi, table

from pyddb.model import indexes
from pyddb.types import codec, keycodec

TOO_BIG = ("ItemCollectionSizeLimitExceededException", "Collection size exceeded.")
KEYS = {
    "AttributeDefinitions": attrs(("pk", "S"), ("sk", "S"), ("l", "S")),
    "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
}


def lsi_table(ddb, name="tbl", projection=None):
    ddb.create_table(
        **table(name, keys=KEYS, LocalSecondaryIndexes=[lsi("lix", "l", projection=projection)], **ON_DEMAND)
    )


def item(pk, sk, size=10, **more):
    out = {"pk": {"S": pk}, "sk": {"S": sk}, "l": {"S": "l" + sk}, "v": {"S": "v" * size}}
    out.update(more)
    return out


def key(pk, sk):
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def counted(ddb, pk, name="tbl"):
    """White-box: the collection's size as the counter holds it."""
    model = ddb.model
    return indexes.collection_size(model, model.tables[name], {"pk": {"S": pk}})


def recomputed(ddb, pk, name="tbl"):
    """White-box: the collection's size recomputed from the table's items."""
    model = ddb.model
    t = model.tables[name]
    rows = model.engine.iter_range(t.keyspace, keycodec.encode({"S": pk}))
    return sum(indexes.collection_bytes(t, codec.decode(v)) for _, v in rows)


def limit_to(ddb, nbytes):
    ddb.model.item_collection_limit_bytes = nbytes  # white-box: a limit a test can reach


def stored(ddb, pk, name="tbl"):
    return ddb.query(
        TableName=name, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": pk}}
    )["Items"]


# =========================================================================================================
# The limit
# =========================================================================================================


def test_put_and_update_that_grow_a_collection_past_the_limit_fail_and_write_nothing(ddb):
    lsi_table(ddb)
    ddb.put_item(TableName="tbl", Item=item("a", "1"))
    ddb.put_item(TableName="tbl", Item=item("b", "1"))
    limit_to(ddb, counted(ddb, "a") + 200)
    before = stored(ddb, "a")

    assert fails(ddb.put_item, TableName="tbl", Item=item("a", "2", size=300)) == TOO_BIG
    assert (
        fails(
            ddb.update_item,
            TableName="tbl",
            Key=key("a", "1"),
            UpdateExpression="SET v = :v",
            ExpressionAttributeValues={":v": {"S": "v" * 300}},
        )
        == TOO_BIG
    )
    assert stored(ddb, "a") == before
    assert counted(ddb, "a") == recomputed(ddb, "a")

    ddb.put_item(TableName="tbl", Item=item("a", "2", size=1))  # what still fits is written
    ddb.put_item(TableName="tbl", Item=item("b", "2", size=1))  # each collection has its own size
    assert counted(ddb, "a") == recomputed(ddb, "a")
    assert counted(ddb, "b") == recomputed(ddb, "b")


def test_the_limit_is_inclusive_and_counts_lsi_entries(ddb):
    lsi_table(ddb)
    ddb.put_item(TableName="tbl", Item=item("a", "1"))
    one = counted(ddb, "a")
    # an item without the LSI's key has no LSI entry: it adds only its own size
    bare = {"pk": {"S": "a"}, "sk": {"S": "2"}, "v": {"S": "v" * 10}}
    ddb.put_item(TableName="tbl", Item=bare)
    two = counted(ddb, "a")
    assert one - (two - one) > 100  # the first one also carries its LSI entry (+ 100 bytes of overhead)
    limit_to(ddb, two + (one - 1))  # room for exactly one more item like the first, less one byte
    assert fails(ddb.put_item, TableName="tbl", Item=item("a", "3")) == TOO_BIG
    limit_to(ddb, two + one)  # exactly room: allowed (10 GB is the most, not "less than")
    ddb.put_item(TableName="tbl", Item=item("a", "3"))
    assert counted(ddb, "a") == recomputed(ddb, "a") == 2 * one + (two - one)


def test_writes_that_shrink_or_keep_an_oversized_collection_pass(ddb):
    lsi_table(ddb)
    for i in range(5):
        ddb.put_item(TableName="tbl", Item=item("a", str(i), size=100))
    limit_to(ddb, 10)  # the collection is already far over: DynamoDB still allows shrinking it
    ddb.update_item(
        TableName="tbl",
        Key=key("a", "0"),
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"S": "short"}},
    )
    ddb.put_item(TableName="tbl", Item=item("a", "1", size=100))  # same size: neither grows nor shrinks
    ddb.delete_item(TableName="tbl", Key=key("a", "2"))
    ddb.batch_write_item(RequestItems={"tbl": [{"DeleteRequest": {"Key": key("a", "3")}}]})
    ddb.transact_write_items(TransactItems=[{"Delete": {"TableName": "tbl", "Key": key("a", "4")}}])
    assert fails(ddb.put_item, TableName="tbl", Item=item("a", "9", size=1)) == TOO_BIG
    assert counted(ddb, "a") == recomputed(ddb, "a")


def test_a_table_without_lsis_has_no_collection_limit(ddb):
    ddb.create_table(
        **table("plain", keys=KEYS | {"AttributeDefinitions": attrs(("pk", "S"), ("sk", "S"))}, **ON_DEMAND)
    )
    limit_to(ddb, 10)
    ddb.put_item(TableName="plain", Item=item("a", "1", size=1000))
    response = ddb.put_item(TableName="plain", Item=item("a", "2"), ReturnItemCollectionMetrics="SIZE")
    assert "ItemCollectionMetrics" not in response


def test_batch_write_whose_items_together_pass_the_limit_fails_whole(ddb):
    lsi_table(ddb)
    ddb.put_item(TableName="tbl", Item=item("a", "0"))
    ddb.put_item(TableName="tbl", Item=item("a", "1"))
    per_item = counted(ddb, "a") // 2
    limit_to(ddb, counted(ddb, "a") + 3 * per_item)  # room for three more, not four
    four = [{"PutRequest": {"Item": item("a", str(i))}} for i in range(2, 6)]
    assert fails(ddb.batch_write_item, RequestItems={"tbl": four}) == TOO_BIG
    assert len(stored(ddb, "a")) == 2  # nothing of the batch was written
    ddb.batch_write_item(RequestItems={"tbl": four[:3]})
    assert len(stored(ddb, "a")) == 5
    assert counted(ddb, "a") == recomputed(ddb, "a")


def test_transaction_that_passes_the_limit_writes_nothing(ddb):
    lsi_table(ddb)
    ddb.put_item(TableName="tbl", Item=item("a", "0"))
    limit_to(ddb, 3 * counted(ddb, "a"))
    puts = [{"Put": {"TableName": "tbl", "Item": item("a", str(i))}} for i in range(1, 4)]
    with pytest.raises(Exception):
        ddb.transact_write_items(TransactItems=puts)
    assert len(stored(ddb, "a")) == 1
    ddb.transact_write_items(TransactItems=puts[:2])
    assert counted(ddb, "a") == recomputed(ddb, "a")


def test_transaction_that_passes_the_limit_is_canceled_with_an_item_collection_reason(ddb):
    # DynamoDB cancels a transaction when "a local secondary index (LSI) becomes too large"
    # (TransactionCanceledException documentation; model/transactions.py CANCELLATION REASONS)
    lsi_table(ddb)
    ddb.put_item(TableName="tbl", Item=item("a", "0"))
    limit_to(ddb, counted(ddb, "a") + 10)
    with pytest.raises(Exception) as info:
        ddb.transact_write_items(
            TransactItems=[
                {
                    "ConditionCheck": {
                        "TableName": "tbl",
                        "Key": key("b", "0"),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {"Put": {"TableName": "tbl", "Item": item("a", "1")}},
            ]
        )
    error = info.value.response["Error"]
    assert error["Code"] == "TransactionCanceledException"
    reasons = info.value.response["CancellationReasons"]
    assert reasons == [
        {"Code": "None"},
        {"Code": "ItemCollectionSizeLimitExceeded", "Message": "Collection size exceeded."},
    ]


# =========================================================================================================
# The size counters stay exact
# =========================================================================================================


def test_counters_equal_a_recomputation_after_concurrent_writes_on_every_path(ddb):
    lsi_table(ddb, projection={"ProjectionType": "INCLUDE", "NonKeyAttributes": ["v"]})
    pks = ["p%d" % i for i in range(4)]
    errors = []

    def writer(seed):
        rnd = random.Random(seed)
        try:
            for _ in range(150):
                pk = rnd.choice(pks)
                op = rnd.randrange(6)
                if op == 0:
                    extra = {} if rnd.randrange(3) else {"l": {"S": "x"}}
                    ddb.put_item(
                        TableName="tbl", Item=item(pk, str(rnd.randrange(30)), rnd.randrange(200), **extra)
                    )
                elif op == 1:
                    ddb.update_item(
                        TableName="tbl",
                        Key=key(pk, str(rnd.randrange(30))),
                        UpdateExpression="SET v = :v REMOVE l" if rnd.randrange(2) else "SET v = :v, l = :v",
                        ExpressionAttributeValues={":v": {"S": "u" * (1 + rnd.randrange(100))}},
                    )
                elif op == 2:
                    ddb.delete_item(TableName="tbl", Key=key(pk, str(rnd.randrange(30))))
                elif op == 3:
                    sks = rnd.sample(range(30), 5)
                    ddb.batch_write_item(
                        RequestItems={
                            "tbl": [
                                {"PutRequest": {"Item": item(pk, str(s), rnd.randrange(80))}}
                                if s % 2
                                else {"DeleteRequest": {"Key": key(pk, str(s))}}
                                for s in sks
                            ]
                        }
                    )
                else:
                    sks = rnd.sample(range(30), 4)
                    ddb.transact_write_items(
                        TransactItems=[
                            {
                                "Put": {
                                    "TableName": "tbl",
                                    "Item": item(rnd.choice(pks), "t%d" % s, rnd.randrange(80)),
                                }
                            }
                            if s % 3
                            else {"Delete": {"TableName": "tbl", "Key": key(pk, str(s))}}
                            for s in sks
                        ]
                    )
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(s,)) for s in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    if errors:
        # two transactions may touch one item at the same moment: DynamoDB's answer is a conflict
        assert all(
            getattr(e, "response", {}).get("Error", {}).get("Code")
            in ("TransactionCanceledException", "TransactionConflictException")
            for e in errors
        ), errors
    for pk in pks:
        assert counted(ddb, pk) == recomputed(ddb, pk), pk
    assert any(counted(ddb, pk) for pk in pks)


def test_counters_survive_a_reopen_and_are_rebuilt_for_an_older_database(ddb, reopen):
    lsi_table(ddb)
    for i in range(20):
        ddb.put_item(TableName="tbl", Item=item("p%d" % (i % 3), str(i), size=i))
    sizes = {pk: counted(ddb, pk) for pk in ("p0", "p1", "p2")}
    ddb = reopen(ddb)
    assert {pk: counted(ddb, pk) for pk in sizes} == sizes
    t = ddb.model.tables["tbl"]
    ddb.model.engine.drop_keyspace(indexes.collection_keyspace(t))  # white-box: a database from before
    ddb = reopen(ddb)
    assert {pk: counted(ddb, pk) for pk in sizes} == sizes
    assert sizes == {pk: recomputed(ddb, pk) for pk in sizes}


def test_deleting_the_table_drops_its_counters(ddb):
    lsi_table(ddb)
    ddb.put_item(TableName="tbl", Item=item("a", "1"))
    ks = indexes.collection_keyspace(ddb.model.tables["tbl"])
    assert ks in ddb.model.engine.keyspaces()  # white-box
    ddb.delete_table(TableName="tbl")
    assert ks not in ddb.model.engine.keyspaces()
    lsi_table(ddb)  # the same name again starts from nothing
    ddb.put_item(TableName="tbl", Item=item("a", "1"))
    assert counted(ddb, "a") == recomputed(ddb, "a")


# =========================================================================================================
# ReturnItemCollectionMetrics
# =========================================================================================================

SMALL = [0.0, 1.0]


def test_batch_write_and_transactions_return_item_collection_metrics(ddb):
    lsi_table(ddb)
    response = ddb.batch_write_item(
        RequestItems={
            "tbl": [
                {"PutRequest": {"Item": item("a", "1")}},
                {"PutRequest": {"Item": item("b", "1")}},
                {"PutRequest": {"Item": item("a", "2")}},
            ]
        },
        ReturnItemCollectionMetrics="SIZE",
    )
    assert response["ItemCollectionMetrics"] == {
        "tbl": [
            {"ItemCollectionKey": {"pk": {"S": "a"}}, "SizeEstimateRangeGB": SMALL},
            {"ItemCollectionKey": {"pk": {"S": "b"}}, "SizeEstimateRangeGB": SMALL},
        ]
    }
    response = ddb.transact_write_items(
        TransactItems=[{"Put": {"TableName": "tbl", "Item": item("c", "1")}}],
        ReturnItemCollectionMetrics="SIZE",
    )
    assert response["ItemCollectionMetrics"] == {
        "tbl": [{"ItemCollectionKey": {"pk": {"S": "c"}}, "SizeEstimateRangeGB": SMALL}]
    }


@pytest.mark.parametrize("op", ["PutItem", "UpdateItem", "DeleteItem"])
def test_single_item_writes_return_item_collection_metrics(ddb, op):
    lsi_table(ddb)
    ddb.put_item(TableName="tbl", Item=item("a", "1"))
    calls = {
        "PutItem": lambda: ddb.put_item(
            TableName="tbl", Item=item("a", "2"), ReturnItemCollectionMetrics="SIZE"
        ),
        "UpdateItem": lambda: ddb.update_item(
            TableName="tbl",
            Key=key("a", "1"),
            UpdateExpression="SET w = :w",
            ExpressionAttributeValues={":w": {"N": "1"}},
            ReturnItemCollectionMetrics="SIZE",
        ),
        "DeleteItem": lambda: ddb.delete_item(
            TableName="tbl", Key=key("a", "1"), ReturnItemCollectionMetrics="SIZE"
        ),
    }
    response = calls[op]()
    assert response["ItemCollectionMetrics"] == {
        "ItemCollectionKey": {"pk": {"S": "a"}},
        "SizeEstimateRangeGB": SMALL,
    }


def test_size_estimate_is_the_whole_gigabyte_range_that_holds_the_size(ddb):
    lsi_table(ddb)
    model = ddb.model
    t = model.tables["tbl"]
    ks = indexes.collection_keyspace(t)
    pk = keycodec.encode({"S": "a"})
    for nbytes, expected in [
        (0, [0.0, 1.0]),
        (1, [0.0, 1.0]),
        ((1 << 30) - 1, [0.0, 1.0]),
        (1 << 30, [1.0, 2.0]),
        (int(9.5 * (1 << 30)), [9.0, 10.0]),
    ]:
        model.engine.put(ks, pk, b"", nbytes.to_bytes(8, "big"))  # white-box: a collection of that size
        assert indexes.collection_metrics(model, t, {"pk": {"S": "a"}, "sk": {"S": "x"}}) == {
            "ItemCollectionKey": {"pk": {"S": "a"}},
            "SizeEstimateRangeGB": expected,
        }
