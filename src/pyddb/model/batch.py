"""BatchGetItem and BatchWriteItem over the engine, and the item collection metrics both batch and
transactional writes report.

api/batch.py validates the request (values, expressions, tables, keys, duplicates) and hands over engine
addresses; this module reads or writes them.

READS (BatchGetItem)
    Keys are read in request order, table by table. The response is capped at 16 MB (API reference,
    BatchGetItem: "A single operation can retrieve up to 16 MB of data"; "If BatchGetItem returns a partial
    result ... UnprocessedKeys"): item sizes by DynamoDB's rules are summed as items are read, and the first
    key whose item would take the total past 16 MB, with every key after it, is returned unprocessed.
    A batch read is not a snapshot (DynamoDB's is not either): each item is read on its own.

WRITES (BatchWriteItem)
    Every put and delete of the request, across its tables, with all their index entries, is ONE engine
    batch written under the locks of all involved tables (taken in sorted order, model/transactions.py
    TX3). DynamoDB promises only that each put or delete is atomic; a batch that is wholly present or
    wholly absent after a crash is a stronger guarantee, kept because it costs nothing here.
    A put that would grow an item collection past 10 GB fails the whole request with
    ItemCollectionSizeLimitExceededException before anything is written (model/indexes.py C3).

ITEM COLLECTION METRICS (tables with local secondary indexes)
    One entry per distinct partition key written, from the collection size counters that model/indexes.py
    keeps in the same batch as the items (ITEM COLLECTIONS there, C1-C3): reading them costs one get.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pyddb._engine.errors import EngineError
from pyddb.model import indexes, streams
from pyddb.model.schema import TableDef
from pyddb.model.transactions import lock_tables
from pyddb.types import codec, size

Item = dict[str, Any]

MAX_RESPONSE_BYTES = 16 * 1024 * 1024


# ---- BatchGetItem -----------------------------------------------------------------------------------------


@dataclass
class TableRead:
    """The keys of one table in a BatchGetItem, validated."""
    table: TableDef
    keys: list[Item]                            # as requested (for UnprocessedKeys)
    addresses: list[tuple[bytes, bytes]]        # their engine (pk, sk)


@dataclass
class ReadResult:
    items: list[Item | None]                    # per processed key: the stored item or None
    sizes: list[int]                            # per processed key: the item's size (0 when missing); exact
                                                # with want_sizes, else possibly the stored length (an upper
                                                # bound: see read_batch)
    unprocessed: list[Item]                     # keys left for the caller to retry


def read_batch(model, reads: list[TableRead], limit: int = MAX_RESPONSE_BYTES,
               want_sizes: bool = False) -> list[ReadResult]:
    """Read every key (in request order) until the response would pass `limit` bytes.

    Sizing an item walks it, so while the stored lengths add up to less than `limit` they stand in for the
    sizes: the stored form is msgpack of the wire form, which spends at least the bytes DynamoDB counts on
    every name and value (test_batch checks this bound). Once the bound could pass the limit, the items taken
    so far are sized exactly and the count goes on exactly. `want_sizes` sizes every item (for capacity).
    """
    engine = model.engine
    total = 0
    exact = want_sizes
    full = False
    taken: list[Item] = []
    out = []
    for r in reads:
        res = ReadResult([], [], [])
        for key, (pk, sk) in zip(r.keys, r.addresses):
            if full:
                res.unprocessed.append(key)
                continue
            try:
                raw = engine.get(r.table.keyspace, pk, sk)
            except EngineError:
                model.check_current(r.table)    # dropped by a DeleteTable after the lookup (database.py T4)
                raise
            item = None if raw is None else codec.decode(raw)
            if item is None:
                n = 0
            elif exact:
                n = size.item_size(item)
            else:
                n = len(raw)
                if total + n > limit:                       # the bound might pass: count exactly from now
                    exact = True
                    total = sum(size.item_size(i) for i in taken)
                    n = size.item_size(item)
            if total + n > limit:
                full = True
                res.unprocessed.append(key)
                continue
            total += n
            res.items.append(item)
            res.sizes.append(n)
            if item is not None and not exact:
                taken.append(item)
        out.append(res)
    return out


# ---- BatchWriteItem ---------------------------------------------------------------------------------------


@dataclass
class WriteRequest:
    """One PutRequest (item set) or DeleteRequest (item None), validated."""
    table: str
    pk: bytes
    sk: bytes
    item: Item | None


def write_batch(model, requests: list[WriteRequest], expected=None) -> list[tuple[Item | None, Item | None]]:
    """Apply every request as one engine batch; returns (old, new) per request, in request order.
    `expected`: the TableDefs the requests were validated against (transactions.lock_tables)."""
    engine = model.engine
    out: list[tuple[Item | None, Item | None]] = []
    with lock_tables(model, (r.table for r in requests), expected) as tables:
        ops: list[tuple] = []
        for r in requests:
            t = tables[r.table]
            raw = engine.get(t.keyspace, r.pk, r.sk)
            old = None if raw is None else codec.decode(raw)
            new = r.item
            if new is not None:
                ops.append((t.keyspace, r.pk, r.sk, codec.encode(new)))
            elif old is not None:
                ops.append((t.keyspace, r.pk, r.sk, None))
            else:
                out.append((None, None))
                continue
            ops += model.index_ops(t, old, new)
            ops += streams.log_ops(model, t, old, new)     # the stream record (model/streams.py)
            out.append((old, new))
        lsn = engine.write_batch(ops, sync=False) if ops else None
    if lsn is not None:
        model.wait_durable(lsn)
    return out


# ---- item collection metrics ------------------------------------------------------------------------------


def collections_metrics(model, written: list[tuple[TableDef, Item]]) -> dict[str, list[dict[str, Any]]]:
    """The ItemCollectionMetrics member of a batch or transaction: per table with LSIs, one entry per
    distinct partition key written, in first-written order."""
    out: dict[str, list[dict[str, Any]]] = {}
    seen = set()
    for t, item in written:
        if not t.lsis:
            continue
        pk, _ = t.key_bytes(item)
        if (t.name, pk) in seen:
            continue
        seen.add((t.name, pk))
        out.setdefault(t.name, []).append(indexes.collection_metrics(model, t, item))
    return out

