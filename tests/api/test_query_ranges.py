"""model/query.py: sort-key conditions -> byte ranges over the table and index keyspaces, scan segments.

The index mapping (SORT-KEY CONDITION -> BYTE RANGE, Q1..Q3) is proved here against a brute-force filter:
for random index values (with 0x00 and 0xFF bytes, prefixes of each other, negative/fractional/huge numbers),
random table keys after the escaped field, and every operator, an entry is inside the computed byte range
iff its value satisfies the condition. The engine test then reads the same ranges both ways through
`iter_range` and compares with the same filter.
"""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyddb.model import query as q
from pyddb.model.indexes import esc
from pyddb.types import keycodec, numbers

OPS = ["=", "<", "<=", ">", ">=", "BETWEEN", "BEGINS_WITH"]

# bytes drawn from a small alphabet that stresses escaping: 0x00, 0xFF and their neighbours
_byte = st.sampled_from([0x00, 0x01, 0x02, 0x7F, 0xFE, 0xFF])
binaries = st.lists(_byte, min_size=1, max_size=5).map(bytes)
strings = st.text(
    alphabet=st.sampled_from(["\x00", "\x01", "a", "b", "\x7f", "\u00ff", "\u0100", "\U0001f600"]),
    min_size=1,
    max_size=5,
)
number_texts = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.decimals(
        min_value=Decimal("-1e5"), max_value=Decimal("1e5"), places=3, allow_nan=False, allow_infinity=False
    ).map(lambda d: str(d.normalize())),
    st.sampled_from(
        [
            "1E+125",
            "-1E+125",
            "9.9999999999999999999999999999999999999E+125",
            "1E-130",
            "-1E-130",
            "0",
            "-0.5",
            "12345678901234567890123456789012345678",
        ]
    ),
)


def canonical(t, v):
    return numbers.canonical(v) if t == "N" else v


def order_key(t, v):
    if t == "N":
        return Decimal(v)
    return v.encode("utf-8") if t == "S" else v


def satisfies(t, v, op, operands):
    x = order_key(t, v)
    a = order_key(t, operands[0])
    if op == "=":
        return x == a
    if op == "<":
        return x < a
    if op == "<=":
        return x <= a
    if op == ">":
        return x > a
    if op == ">=":
        return x >= a
    if op == "BETWEEN":
        return a <= x <= order_key(t, operands[1])
    assert op == "BEGINS_WITH"
    return x.startswith(a)


@st.composite
def cases(draw):
    t = draw(st.sampled_from(["S", "B", "N"]))
    values = {"S": strings, "B": binaries, "N": number_texts}[t]
    ops = [o for o in OPS if not (t == "N" and o == "BEGINS_WITH")]
    op = draw(st.sampled_from(ops))
    operands = [draw(values)]
    if op == "BETWEEN":
        other = draw(values)
        lo, hi = sorted([operands[0], other], key=lambda v: order_key(t, v))
        operands = [lo, hi]
    entries = draw(st.lists(st.tuples(values, binaries, binaries), min_size=1, max_size=25))
    gsi = draw(st.booleans())
    return (
        t,
        op,
        [canonical(t, v) for v in operands],
        [(canonical(t, v), tpk, tsk) for v, tpk, tsk in entries],
        gsi,
    )


def entry_sk(t, value, tpk, tsk, gsi):
    sk = esc(keycodec.encode({t: value}))
    if gsi:
        sk += esc(tpk)
    return sk + tsk


@settings(max_examples=250, deadline=None)
@given(cases())
def test_q_index_range_equals_brute_force_filter(case):
    t, op, operands, entries, gsi = case
    r = q.sort_key_range(op, [{t: v} for v in operands], escaped=True)
    for value, tpk, tsk in entries:
        sk = entry_sk(t, value, tpk, tsk, gsi)
        assert q.in_range(sk, r) == satisfies(t, value, op, operands), (value, op, operands, sk, r)


@settings(max_examples=200, deadline=None)
@given(cases())
def test_table_range_equals_brute_force_filter(case):
    t, op, operands, entries, _ = case
    r = q.sort_key_range(op, [{t: v} for v in operands], escaped=False)
    for value, _tpk, _tsk in entries:
        assert q.in_range(keycodec.encode({t: value}), r) == satisfies(t, value, op, operands)


def test_no_condition_is_the_whole_partition():
    assert q.sort_key_range(None, (), escaped=True) == (None, True, None, False)
    assert q.in_range(b"", (None, True, None, False))


def test_begins_with_all_ff_prefix_has_no_upper_bound():
    start, _, end, _ = q.sort_key_range("BEGINS_WITH", [{"B": b"\xff\xff"}], escaped=True)
    assert start == b"\xff\xff" and end is None


# ---- through the engine, forward and backward -------------------------------------------------------------


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from pyddb._engine.database import Database

    db = Database(str(tmp_path_factory.mktemp("ranges")), sync="off")
    db.create_keyspace("r")
    yield db
    db.close()


_n = [0]


@settings(max_examples=100, deadline=None)
@given(cases(), st.booleans(), st.integers(1, 30))
def test_engine_range_read_matches_filter_both_directions(engine, case, reverse, limit):
    t, op, operands, entries, gsi = case
    _n[0] += 1
    pk = b"p%d" % _n[0]  # a fresh partition key per example; its neighbours hold the
    rows = {}  # same sort keys and must never be read
    for value, tpk, tsk in entries:
        rows[entry_sk(t, value, tpk, tsk, gsi)] = value
    engine.write_batch([("r", p, sk, b"v") for sk in rows for p in (pk, pk + b"\x00", pk[:-1])])
    r = q.sort_key_range(op, [{t: v} for v in operands], escaped=True)
    got = [sk for sk, _ in q.query_rows(engine, "r", pk, r, reverse, limit)]
    want = sorted((sk for sk, v in rows.items() if satisfies(t, v, op, operands)), reverse=reverse)
    assert got == want[:limit]
    if got:  # resuming after the last key read returns exactly the rest
        rest = [
            sk for sk, _ in q.query_rows(engine, "r", pk, q.resume_after(r, got[-1], reverse), reverse, None)
        ]
        assert got + rest == want


# ---- scan segments ---------------------------------------------------------------------------------------


@given(st.integers(1, 1_000_000))
def test_s1_segments_are_disjoint_ordered_and_complete(total):
    first = q.segment_range(0, total)
    last = q.segment_range(total - 1, total)
    assert first[0] == 0 and last[1] == 2**64 - 1
    for i in {0, 1, total // 2, total - 2} - {-1}:
        if 0 <= i < total - 1:
            assert q.segment_range(i, total)[1] + 1 == q.segment_range(i + 1, total)[0]
            lo, hi = q.segment_range(i, total)
            assert lo <= hi or total > 2**64
