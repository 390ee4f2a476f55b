"""Transactions survive SIGKILL whole or not at all (model/transactions.py TX2, TX5).

A child process runs TransactWriteItems in a loop with sync="full". Transaction i moves an amount from an
account in one table to an account in another table (whose local secondary index changes with it) and
advances a sequence item from i - 1 to i under a condition; it prints i once the call has returned. The
parent kills the child with SIGKILL at a random moment, reopens the database with pyddb.connect and checks:
    - the state is exactly the result of transactions 0..n for the n the sequence item holds (a prefix:
      every transaction wholly present or wholly absent), so the sum of all balances is unchanged;
    - every acknowledged transaction is present (n >= the last number printed);
    - the local secondary index holds exactly one entry per item, equal to the item.
Then the child is started again from n + 1, ten times. Half the kills come at any moment from the child's
start, half once it has acknowledged its first transaction (so some transactions are always running).
"""

import os
import random
import signal
import subprocess
import sys
import time
from decimal import Decimal

import pyddb

ACCOUNTS = "crash_accounts"
LEDGER = "crash_ledger"
N_ACCOUNTS = 5
N_LEDGER = 4
START = 1000
ROUNDS = 10

CHILD = r"""
import random, sys
import pyddb

ACCOUNTS, LEDGER, N_ACCOUNTS, N_LEDGER = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
client = pyddb.connect(sys.argv[1], sync="full")
i = int(sys.argv[6])
while True:
    rnd = random.Random(i)
    src, dst, amount = rnd.randrange(N_ACCOUNTS), rnd.randrange(N_LEDGER), rnd.randint(1, 100)
    client.transact_write_items(TransactItems=[
        {"Update": {"TableName": ACCOUNTS, "Key": {"pk": {"S": "a%d" % src}},
                    "UpdateExpression": "SET bal = bal - :x",
                    "ExpressionAttributeValues": {":x": {"N": str(amount)}}}},
        {"Update": {"TableName": LEDGER, "Key": {"pk": {"S": "l"}, "sk": {"N": str(dst)}},
                    "UpdateExpression": "SET bal = bal + :x, lsk = :t",
                    "ExpressionAttributeValues": {":x": {"N": str(amount)}, ":t": {"S": "t%08d" % i}}}},
        {"Update": {"TableName": ACCOUNTS, "Key": {"pk": {"S": "seq"}}, "UpdateExpression": "SET n = :i",
                    "ConditionExpression": "n = :prev",
                    "ExpressionAttributeValues": {":i": {"N": str(i)}, ":prev": {"N": str(i - 1)}}}},
    ])
    print(i, flush=True)
    i += 1
"""


def expected_state(n):
    """Balances of every account and ledger entry, and the ledger's lsk values, after transactions 0..n."""
    accounts = [Decimal(START)] * N_ACCOUNTS
    ledger = [Decimal(START)] * N_LEDGER
    tags = [None] * N_LEDGER
    for i in range(n + 1):
        rnd = random.Random(i)
        src, dst, amount = rnd.randrange(N_ACCOUNTS), rnd.randrange(N_LEDGER), rnd.randint(1, 100)
        accounts[src] -= amount
        ledger[dst] += amount
        tags[dst] = f"t{i:08d}"
    return accounts, ledger, tags


def create(path):
    client = pyddb.connect(path, sync="full")
    client.create_table(
        TableName=ACCOUNTS,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )
    client.create_table(
        TableName=LEDGER,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
            {"AttributeName": "lsk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        LocalSecondaryIndexes=[
            {
                "IndexName": "by_tag",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "lsk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    client.batch_write_item(
        RequestItems={
            ACCOUNTS: [
                {"PutRequest": {"Item": {"pk": {"S": f"a{n}"}, "bal": {"N": str(START)}}}}
                for n in range(N_ACCOUNTS)
            ]
            + [{"PutRequest": {"Item": {"pk": {"S": "seq"}, "n": {"N": "-1"}}}}],
            LEDGER: [
                {"PutRequest": {"Item": {"pk": {"S": "l"}, "sk": {"N": str(n)}, "bal": {"N": str(START)}}}}
                for n in range(N_LEDGER)
            ],
        }
    )
    client.close()


def check(path, acknowledged):
    """Reopen, check the invariants of the module docstring; returns the last transaction present."""
    client = pyddb.connect(path, sync="full")
    try:

        def item(table, key):
            return client.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]

        n = int(item(ACCOUNTS, {"pk": {"S": "seq"}})["n"]["N"])
        assert n >= acknowledged, f"transaction {acknowledged} was acknowledged but only {n} is present"
        accounts, ledger, tags = expected_state(n)
        got_accounts = [
            Decimal(item(ACCOUNTS, {"pk": {"S": f"a{i}"}})["bal"]["N"]) for i in range(N_ACCOUNTS)
        ]
        got_ledger = [item(LEDGER, {"pk": {"S": "l"}, "sk": {"N": str(i)}}) for i in range(N_LEDGER)]
        assert got_accounts == accounts, (n, got_accounts, accounts)
        assert [Decimal(x["bal"]["N"]) for x in got_ledger] == ledger, (n, got_ledger, ledger)
        assert [x.get("lsk", {}).get("S") for x in got_ledger] == tags
        assert sum(got_accounts) + sum(Decimal(x["bal"]["N"]) for x in got_ledger) == START * (
            N_ACCOUNTS + N_LEDGER
        )

        model = client.model
        from pyddb.types import codec

        index = model.table(LEDGER).index("by_tag")
        entries = [codec.decode(v) for _, _, v in model.engine.scan(index.keyspace)]
        with_tag = [x for x in got_ledger if "lsk" in x]
        assert sorted(entries, key=lambda e: e["sk"]["N"]) == sorted(with_tag, key=lambda e: e["sk"]["N"])
        return n
    finally:
        client.close()


def test_killed_transactions_are_all_or_nothing_and_acknowledged_ones_survive(tmp_path):
    path = str(tmp_path / "db")
    create(path)
    rnd = random.Random(int.from_bytes(os.urandom(4), "little"))
    env = dict(os.environ)  # the child imports the same pyddb as this process
    here = os.path.dirname(os.path.dirname(os.path.abspath(pyddb.__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
    last = -1
    total_acks = 0
    for _ in range(ROUNDS):
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                CHILD,
                path,
                ACCOUNTS,
                LEDGER,
                str(N_ACCOUNTS),
                str(N_LEDGER),
                str(last + 1),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        first = b""
        if rnd.random() < 0.5:
            # Kill at any moment from the start (during recovery, opening, the first transactions).
            time.sleep(rnd.uniform(0.05, 0.6))
        else:
            # Kill while transactions are running: wait for the first acknowledgement (a loaded machine
            # may take over a second to start Python and open the database), then a little longer.
            first = child.stdout.readline()
            time.sleep(rnd.uniform(0.0, 0.3))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        # Read through the same buffered files readline() used (communicate() would bypass their buffers
        # and lose lines already read into them); the child is dead, so these reads end.
        out, err = child.stdout.read(), child.stderr.read()
        child.stdout.close()
        child.stderr.close()
        assert child.returncode == -signal.SIGKILL, err.decode(errors="replace")
        acks = [int(line) for line in (first + out).decode().split()]
        if acks:
            assert acks == list(range(last + 1, last + 1 + len(acks)))
        total_acks += len(acks)
        last = check(path, acks[-1] if acks else last)
    assert total_acks > 0, "the child never completed a transaction before it was killed"
