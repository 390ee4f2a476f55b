"""Query and Scan over the engine: sort-key conditions as byte ranges, scan segments as hash ranges, and the
page loop (Limit, the 1 MB page, the filter, Count/ScannedCount, LastEvaluatedKey, bytes for capacity).

`api/query.py` validates the request and resolves its expressions; this module only reads. A Query is ONE
engine range read in one partition key (`iter_range`, forward or reverse); a Scan is one engine `scan` over a
hash range. Nothing here walks a keyspace to find a key.

KEYSPACES (model/indexes.py ENTRY FORMAT; enc = keycodec.encode, esc = indexes.esc)
    table   pk = enc(hash value)          sk = enc(range value), or b"" without a range key
    LSI     pk = enc(table hash value)    sk = esc(enc(LSI range value)) | table sk
    GSI     pk = enc(GSI hash value)      sk = [esc(enc(GSI range value))] | esc(table pk) | table sk

SORT-KEY CONDITION -> BYTE RANGE [start, end) of the keyspace's sk (None = unbounded)
    table keyspace: types.keycodec.condition_range (C1, C3 there).
    index keyspace: the condition is on the first, escaped field. For a value v let
        P(v) = escape(enc(v))            (every 0x00 written 0x00 0xFF)
        E(v) = P(v) | 00 00 = esc(enc v) (the whole field, terminator included)
        A(v) = P(v) | 00 01              (the smallest sk above every entry whose value is v)
    and map
        = v             [E(v), A(v))          < v   [-, E(v))          <= v   [-, A(v))
        > v             [A(v), -)             >= v  [E(v), -)          BETWEEN a AND b   [E(a), A(b))
        begins_with p   [P(p), prefix_end(P(p)))
    Why it is exact (property-tested against a brute-force filter in tests/api/test_query_ranges.py):
    (Q1) Order. If u < v bytewise then E(u)|x < E(v)|y for every x, y. Either u is a proper prefix of v: the
         byte after P(u) in E(v)|y is v's next byte c >= 0x01, or 0x00 followed by 0xFF (c = 0), and in
         E(u)|x it is 0x00 followed by 0x00, which is smaller in both cases; or u and v first differ at a
         byte where u is smaller, and escaping keeps that difference (0x00 -> 0x00 0xFF stays below any
         byte >= 0x01). So entries are ordered by the index value first, whatever follows the field.
    (Q2) Every entry with value v lies in [E(v), A(v)): it starts with E(v), and E(v)|x < P(v)|00 01. An
         entry with a larger value w is >= A(v): by Q1's argument P(w) is above P(v)|00 00 at the first
         difference, and at that position A(v) has 0x01, which is at most what w's escaping puts there
         (a byte >= 0x01, or 0x00 0xFF). With Q1 this gives the six comparison rows.
    (Q3) Escaping is a prefix code ({00 -> 00 FF, b -> b}) and a field's terminator 00 00 never occurs inside
         P(.), so an sk starts with P(p) iff the field's value starts with p. prefix_end(P(p)) is the
         smallest string above every string starting with P(p) (keycodec C3), which gives begins_with.
    A GSI without a range key has no condition on sk: the whole partition key is read.

SCAN SEGMENTS (parallel scan): segment i of N covers the hash range [i*2^64 // N, (i+1)*2^64 // N - 1]; the
    ranges are disjoint, in order, and cover 0 .. 2^64-1 (S1). A Scan walks one range with engine `scan` in
    (hash64(pk), pk, sk) order and resumes after ExclusiveStartKey with `start_after`.

PAGES (AWS Developer Guide "Query.Other" and "Scan": Limit is "the maximum number of items to evaluate (not
necessarily the number of matching items)"; "a single Query only returns a result set that fits within the
1 MB size limit", measured before the filter; dynalite db/index.js queryTable, whose tests run against
DynamoDB)
    (P1) Items are read in key order; each item read counts toward Limit and toward the page size before
         the filter looks at it (ScannedCount = items read, Count = items that passed the filter).
    (P2) The page ends after the item that makes the count reach Limit or the bytes read reach 1 MB
         (1,048,576): that item is read and evaluated, and its key is LastEvaluatedKey, even when no item
         follows it (dynalite test/query.js "should return LastEvaluatedKey if just over limit" and the
         Limit == item count case, both recorded against DynamoDB). A page that ends because the range is
         exhausted has no LastEvaluatedKey.
    (P3) The page size is measured in stored bytes: the length of each engine value read (msgpack of the
         item, or of the index entry). DynamoDB measures its own storage format, not the item size of
         types/size.py (dynalite: "Size of compressed item (for checking query/scan limit) seems
         complicated"; a Query of 25 items of 41,649 item-size bytes each, 1,041,225 in all, still ended on
         the 1 MB limit). The msgpack length is never below the item size (each attribute value is wrapped
         in a {"T": v} map of at least 3 bytes of overhead, which covers what the size rules add for list
         and map members), so a page never holds more than 1 MB of item-size bytes. Measuring the stored
         length costs one len() per item; the item size is computed only when capacity is asked for.
    (P4) Capacity is computed from item sizes (types/size.py): the sizes of all items read from the
         keyspace are summed, then rounded up to 4 KB (api/query.py); nothing read costs nothing. An LSI
         read that fetches items from the table adds, for the table, each fetched item's size rounded up to
         4 KB on its own (DynamoDB Local ConsumedCapacityUtils: computeCapacityContiguous for the page,
         computeCapacityRandom for the fetches; dynalite db/index.js queryTable).
    (P5) A page decodes each stored value once (codec.unpackb, one C call) and keeps the dicts it gets; the
         cyclic garbage collector is paused while the page loop runs. Decoded items hold no reference
         cycles, and a collector running every 700 allocations would walk the growing page again and
         again (measured on a loaded machine: a Scan 20-70% slower with it on).

MEASURED (2026-11-22, 2 shared cores; a throwaway script: pyddb.connect, CreateTable, items loaded with
engine write_batch, each figure the best of 9 runs; the numbers to compare with bench/ when it measures these)
    Query, Limit 10, 10-attribute items: 40 us at 20,000 items and 41 us at 1,000,000 (one bounded range
    read; the raw iter_range under it takes 1.3 us); ScanIndexForward=false costs the same. Of the 40 us,
    about 11 go to decoding the ten items, the rest to request checks and expressions.
    Scan: 0.42 M items/s for 10-attribute items (raw engine scan 7.7 M/s; scan + msgpack decode alone
    0.92 M/s) and 0.90 M items/s for 3-attribute items (raw 13 M/s, with decode 2.5 M/s). A Scan builds
    every item as Python dicts, so it is bound by msgpack decoding and by allocating (and later freeing)
    those objects: decoding alone is 0.12x-0.19x of the raw engine scan for these shapes, and a Scan runs
    at 0.36x-0.45x of scan+decode. A Scan with Select COUNT and no filter decodes nothing: 7.2 M items/s,
    0.82x of the raw engine scan under it (8.7 M/s).
"""
from __future__ import annotations

import gc
from collections.abc import Iterator
from itertools import islice
from operator import itemgetter
from typing import Any, Callable, Optional

from pyddb.model.indexes import esc
from pyddb.types import codec, keycodec, size

Item = dict[str, Any]
Range = tuple[Optional[bytes], bool, Optional[bytes], bool]

PAGE_BYTES = 1 << 20          # (P2) 1 MB
HASH_SPACE = 1 << 64


# ---- sort-key conditions -> byte ranges ----------------------------------------------------------------

def _escape(b: bytes) -> bytes:
    return b.replace(b"\x00", b"\x00\xff")


def sort_key_range(op: str | None, values, escaped: bool) -> Range:
    """(start, start_inclusive, end, end_inclusive) over the keyspace's sk bytes for a validated sort-key
    condition (`op` as KeyCondition.range_op; None = no condition). `escaped`: the keyspace is an index
    whose sk starts with esc(range value) (see SORT-KEY CONDITION -> BYTE RANGE)."""
    if op is None:
        return None, True, None, False
    if not escaped:
        return keycodec.condition_range(op, list(values))
    if op == "BEGINS_WITH":
        p = _escape(keycodec.encode(values[0]))
        return p, True, keycodec.prefix_end(p), False
    v = _escape(keycodec.encode(values[0]))
    e, a = v + b"\x00\x00", v + b"\x00\x01"
    if op == "=":
        return e, True, a, False
    if op == "<":
        return None, True, e, False
    if op == "<=":
        return None, True, a, False
    if op == ">":
        return a, True, None, False
    if op == ">=":
        return e, True, None, False
    if op == "BETWEEN":
        return e, True, _escape(keycodec.encode(values[1])) + b"\x00\x01", False
    raise ValueError("not a sort-key condition operator: %r" % (op,))


def in_range(sk: bytes, r: Range) -> bool:
    """Whether `sk` lies in the byte range `r` (for ExclusiveStartKey checks and tests)."""
    start, si, end, ei = r
    if start is not None and (sk < start or (sk == start and not si)):
        return False
    return not (end is not None and (sk > end or sk == end and not ei))


def resume_after(r: Range, position: bytes, reverse: bool) -> Range:
    """The range left to read after the item at sk `position` (ExclusiveStartKey), in reading order."""
    start, si, end, ei = r
    if reverse:
        return start, si, position, False
    return position, False, end, ei


# ---- scan segments -------------------------------------------------------------------------------------

def segment_range(segment: int, total: int) -> tuple[int, int]:
    """(S1) The inclusive hash range of parallel-scan segment `segment` of `total`."""
    return segment * HASH_SPACE // total, (segment + 1) * HASH_SPACE // total - 1


# ---- the page loop -------------------------------------------------------------------------------------

class Page:
    """One page read: the items that passed the filter (or just their count), what was read, where it
    stopped. `last` is the last item read (decoded, before projection) when the page ended on Limit or
    on the 1 MB size (P2), else None. Computed only when `measure` was set (P4): `read_bytes`, the summed
    item sizes (types/size.py) of everything read from the keyspace, and `fetched_blocks`, the 4 KB
    blocks of the items fetched from the table, each item rounded up on its own."""

    __slots__ = ("count", "fetched_blocks", "items", "last", "read_bytes", "scanned")

    def __init__(self, items, count, scanned, last, read_bytes, fetched_blocks):
        self.items = items
        self.count = count
        self.scanned = scanned
        self.last = last
        self.read_bytes = read_bytes
        self.fetched_blocks = fetched_blocks


def read_page(rows: Iterator[tuple], limit: int | None, test: Callable[[Item], bool] | None,
              keep_items: bool = True, measure: bool = False,
              fetch: Callable[[Item], tuple[Item | None, int]] | None = None) -> Page:
    """Read one page from `rows` (engine tuples whose last member is the stored value): decode each value
    once, count it, evaluate `test` on it, stop on Limit or 1 MB (P1, P2).

    keep_items=False (Select COUNT) keeps only the count. measure=True sums item sizes for capacity (P4).
    fetch(entry) -> (table item or None, its stored length): an LSI read that needs the whole item; the
    table item replaces the entry and its bytes count toward the page size."""
    # (P5) paused only if it was running, and resumed whatever happens
    collecting = gc.isenabled()
    if collecting:
        gc.disable()
    try:
        if fetch is None and not measure:
            return _read_plain(rows, limit or 0, test, keep_items)
        return _read_measured(rows, limit, test, keep_items, measure, fetch)
    finally:
        if collecting:
            gc.enable()


def _read_measured(rows, limit, test, keep_items: bool, measure: bool, fetch) -> Page:
    unpack = codec.unpackb
    item_size = size.item_size
    items: list[Item] = []
    count = scanned = nbytes = read_bytes = fetched_blocks = 0
    last = None
    for row in rows:
        raw = row[-1]
        item = unpack(raw)
        scanned += 1
        nbytes += len(raw)
        if measure:
            read_bytes += item_size(item)
        if fetch is not None:
            full, stored = fetch(item)
            if full is not None:
                item = full
                nbytes += stored
                if measure:
                    fetched_blocks += -(-item_size(full) // 4096)
        if test is None or test(item):
            count += 1
            if keep_items:
                items.append(item)
        if scanned == limit or nbytes >= PAGE_BYTES:
            last = item
            break
    return Page(items, count, scanned, last, read_bytes, fetched_blocks)


CHUNK = 256   # rows taken from the engine iterator per step of _read_plain


def _read_plain(rows, limit: int, test, keep_items: bool) -> Page:
    """read_page without fetch or capacity, the Scan hot path. The per-item work runs in C loops: rows are
    taken CHUNK at a time (never past Limit), their values picked, measured and decoded by map(); only
    the chunk that reaches 1 MB is walked item by item to find where the page ends (P2). Select COUNT
    without a filter decodes nothing but the last item read (for LastEvaluatedKey)."""
    unpack = codec.unpackb
    value = itemgetter(-1)
    items: list[Item] = []
    scanned = count = nbytes = 0
    last = None
    while True:
        want = CHUNK if not limit else min(CHUNK, limit - scanned)
        raws = list(map(value, islice(rows, want)))
        if not raws:
            break
        chunk_bytes = sum(map(len, raws))
        if nbytes + chunk_bytes >= PAGE_BYTES:
            for i, raw in enumerate(raws):             # the item that reaches 1 MB ends the page
                nbytes += len(raw)
                if nbytes >= PAGE_BYTES:
                    raws = raws[:i + 1]
                    break
        else:
            nbytes += chunk_bytes
        scanned += len(raws)
        if test is None and not keep_items:            # Select COUNT without a filter: nothing to decode
            count += len(raws)
            if scanned == limit or nbytes >= PAGE_BYTES:
                last = unpack(raws[-1])
                break
            if len(raws) < want:
                break
            continue
        decoded = list(map(unpack, raws))
        kept = decoded if test is None else list(filter(test, decoded))
        count += len(kept)
        if keep_items:
            items += kept
        if scanned == limit or nbytes >= PAGE_BYTES:
            last = decoded[-1]
            break
        if len(raws) < want:
            break
    return Page(items, count, scanned, last, 0, 0)


# ---- readers -------------------------------------------------------------------------------------------

def query_rows(engine, keyspace: str, pk: bytes, r: Range, reverse: bool, limit: int | None):
    """The engine range read of a Query: (sk, value) pairs of one partition key, in sk order or reversed."""
    start, si, end, ei = r
    return engine.iter_range(keyspace, pk, start, end, si, ei, reverse, limit)


def scan_rows(engine, keyspace: str, hash_lo: int, hash_hi: int,
              start_after: tuple[bytes, bytes] | None):
    """The engine scan of a Scan: (pk, sk, value) in hash order within [hash_lo, hash_hi]."""
    return engine.scan(keyspace, hash_lo, hash_hi, start_after)


def entry_position(t, ix, key: Item) -> tuple[bytes, bytes]:
    """(pk, sk) of the engine record a validated ExclusiveStartKey points at: in the table, or the entry in
    index `ix` (the key holds the table key and the index key attributes)."""
    tpk, tsk = t.key_bytes(key)
    if ix is None:
        return tpk, tsk
    sk = esc(keycodec.encode(key[ix.range_key.name])) if ix.range_key is not None else b""
    if ix in t.gsis:
        sk += esc(tpk)
    return keycodec.encode(key[ix.hash_key.name]), sk + tsk
