"""Tests of the B+tree file (src/engine/btree.pyx). Names cite the invariants (B1..B13) of its header."""
import os
import random
import shutil
import struct
import tempfile

import pytest
from hypothesis import HealthCheck, settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from pyddb._engine import osfile
from pyddb._engine.btree import BTree
from pyddb._engine.errors import ClosedError, CorruptionError, PoisonedError

PS = 4096   # small pages: more splits, merges and overflow with few keys


def make(tmp_path, name="t.db", page_size=PS):
    return BTree(str(tmp_path / name), page_size, create=True)


def fill(t, n, seed=0, vlen=50):
    rnd = random.Random(seed)
    d = {}
    for i in range(n):
        k = b"k%08d" % rnd.randrange(10 ** 8)
        v = rnd.randbytes(vlen)
        t.put(k, v)
        d[k] = v
    return d


def walk(t, reverse=False):
    c = t.cursor()
    ok = c.last() if reverse else c.first()
    out = []
    while ok:
        out.append((c.key(), c.value()))
        ok = c.prev() if reverse else c.next()
    return out


def page_types(path, ps):
    """{pgno: type byte} of every non-meta page in the file."""
    data = open(path, "rb").read()
    return {n: data[n * ps + 4] for n in range(2, len(data) // ps)}


def flip(path, offset, mask=0x10):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ mask]))


# ---- opening and creating ----------------------------------------------------------------------------------

def test_new_file_is_empty_and_reopens_empty(tmp_path):
    t = make(tmp_path)
    assert t.get(b"a") is None and t.entries == 0 and t.gen == 0 and t.lsn == 0
    assert not t.cursor().first()
    assert t.check()["entries"] == 0
    t.close()
    t = BTree(str(tmp_path / "t.db"))
    assert t.page_size == PS and t.entries == 0 and t.user_meta == b""


def test_open_missing_file_without_create_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        BTree(str(tmp_path / "nope.db"))


def test_create_over_existing_file_raises_file_exists(tmp_path):
    make(tmp_path).close()
    with pytest.raises(FileExistsError):
        make(tmp_path)


@pytest.mark.parametrize("ps", [1000, 2048, 131072, 12288])
def test_page_size_must_be_power_of_two_4k_to_64k(tmp_path, ps):
    with pytest.raises(ValueError):
        BTree(str(tmp_path / "x.db"), ps, create=True)


def test_page_size_of_existing_file_comes_from_its_meta(tmp_path):
    make(tmp_path, page_size=8192).close()
    assert BTree(str(tmp_path / "t.db"), 16384).page_size == 8192


def test_closed_tree_raises_closed_error(tmp_path):
    t = make(tmp_path)
    t.put(b"a", b"1")
    c = t.cursor()
    c.first()
    t.close()
    for op in (lambda: t.get(b"a"), lambda: t.put(b"a", b"2"), lambda: t.delete(b"a"), lambda: t.checkpoint(1),
               c.next, t.stats, t.check):
        with pytest.raises(ClosedError):
            op()
    t.close()   # twice is fine


# ---- basic operations ----------------------------------------------------------------------------------------

def test_put_replaces_and_delete_reports_presence(tmp_path):
    t = make(tmp_path)
    t.put(b"k", b"v1")
    t.put(b"k", b"value-2")
    assert t.get(b"k") == b"value-2"
    assert t.delete(b"k") is True
    assert t.delete(b"k") is False
    assert t.get(b"k") is None
    t.put(b"e", b"")
    assert t.get(b"e") == b""


def test_b11_entries_and_data_bytes_follow_puts_replaces_and_deletes(tmp_path):
    t = make(tmp_path)
    t.put(b"ab", b"xyz")
    t.put(b"c", b"")
    assert (t.entries, t.data_bytes) == (2, 6)
    t.put(b"ab", b"x" * 5000)           # replace inline by overflow
    assert (t.entries, t.data_bytes) == (2, 5003)
    t.delete(b"ab")
    assert (t.entries, t.data_bytes) == (1, 1)
    t.checkpoint(1)
    t.close()
    t = BTree(str(tmp_path / "t.db"))
    assert (t.entries, t.data_bytes) == (1, 1)


def test_b4_many_random_keys_round_trip_and_iterate_in_order(tmp_path):
    t = make(tmp_path)
    d = fill(t, 5000)
    assert all(t.get(k) == v for k, v in d.items())
    assert walk(t) == sorted(d.items())
    assert walk(t, reverse=True) == sorted(d.items(), reverse=True)
    st_ = t.check()
    assert st_["entries"] == len(d) and st_["depth"] >= 2


@pytest.mark.parametrize("ps", [4096, 16384, 65536])
def test_b8_keys_of_max_key_bytes_are_accepted_and_longer_ones_rejected(tmp_path, ps):
    t = make(tmp_path, page_size=ps)
    assert t.max_key == min(4096, (ps - 40) // 4 - 17)
    rnd = random.Random(ps)
    keys = {bytes([i]) + rnd.randbytes(t.max_key - 1): rnd.randbytes(rnd.choice([0, 10, ps])) for i in range(60)}
    for k, v in keys.items():
        t.put(k, v)
    t.checkpoint(1)
    t.close()
    t = BTree(str(tmp_path / "t.db"))
    assert all(t.get(k) == v for k, v in keys.items())
    assert t.check()["entries"] == 60
    with pytest.raises(ValueError):
        t.put(b"x" * (t.max_key + 1), b"")
    with pytest.raises(ValueError):
        t.put(b"", b"v")
    assert not t.delete(b"x" * (t.max_key + 1))
    assert not t.poisoned


def test_b8_410kb_values_round_trip_through_overflow_chains(tmp_path):
    t = make(tmp_path, page_size=16384)
    rnd = random.Random(7)
    vals = {b"item%03d" % i: rnd.randbytes(410 * 1024 + i) for i in range(12)}
    for k, v in vals.items():
        t.put(k, v)
    assert all(t.get(k) == v for k, v in vals.items())
    t.checkpoint(3)
    t.close()
    t = BTree(str(tmp_path / "t.db"))
    assert all(t.get(k) == v for k, v in vals.items())
    c = t.cursor()
    assert c.seek_ge(b"item005") and c.value() == vals[b"item005"]
    assert t.check()["overflow_pages"] >= 12 * (410 * 1024 // 16344)


def test_values_of_16_mib_round_trip(tmp_path):
    t = make(tmp_path, page_size=65536)
    v = os.urandom(16 << 20)
    t.put(b"big", v)
    t.checkpoint(1)
    t.close()
    t = BTree(str(tmp_path / "t.db"))
    assert t.get(b"big") == v
    assert t.delete(b"big")
    t.check()


def test_b9_replacing_and_deleting_overflow_values_frees_their_pages(tmp_path):
    t = make(tmp_path)
    t.put(b"a", b"x" * 100_000)
    t.checkpoint(1)
    pages = t.stats()["pages"]
    for i in range(10):
        t.put(b"a", bytes([i]) * 100_000)
        t.checkpoint(2 + i)
    assert t.stats()["pages"] <= pages + 30
    t.delete(b"a")
    st_ = t.check()
    assert st_["overflow_pages"] == 0 and st_["entries"] == 0


# ---- cursors -------------------------------------------------------------------------------------------------

def test_cursor_seeks_ge_and_le_in_both_directions(tmp_path):
    t = make(tmp_path)
    keys = sorted(b"%05d" % i for i in range(0, 4000, 2))
    for k in keys:
        t.put(k, k)
    c = t.cursor()
    assert c.seek_ge(b"00101") and c.key() == b"00102"
    assert c.prev() and c.key() == b"00100"
    assert c.seek_le(b"00101") and c.key() == b"00100"
    assert c.next() and c.key() == b"00102"
    assert c.seek_ge(b"00100") and c.key() == b"00100"
    assert c.seek_le(b"00100") and c.key() == b"00100"
    assert not c.seek_ge(b"99999") and not c.valid
    assert not c.seek_le(b"0") and not c.valid
    assert c.seek_le(b"99999") and c.key() == keys[-1]
    assert not c.next() and not c.valid
    assert c.seek_ge(b"") and c.key() == keys[0]
    assert not c.prev()


def test_b12_cursor_survives_inserts_deletes_and_checkpoints(tmp_path):
    t = make(tmp_path)
    for i in range(0, 3000, 3):
        t.put(b"%05d" % i, b"v")
    c = t.cursor()
    assert c.seek_ge(b"01500")
    t.put(b"01501", b"new")               # right after the cursor
    assert c.next() and c.key() == b"01501"
    t.delete(b"01501")
    t.delete(b"01503")
    assert c.value() is None              # the current key is gone
    assert c.next() and c.key() == b"01506"
    t.checkpoint(1)
    assert c.prev() and c.key() == b"01500"
    for i in range(0, 1501, 3):          # delete it and everything before it (merges, root changes)
        t.delete(b"%05d" % i)
    assert not c.prev()
    assert c.seek_ge(b"") and c.key() == b"01506"


def test_cursor_key_and_value_raise_when_not_positioned(tmp_path):
    t = make(tmp_path)
    c = t.cursor()
    assert not c.first() and not c.last() and not c.next() and not c.prev()
    with pytest.raises(Exception):
        c.key()


# ---- checkpoints, metas, durability --------------------------------------------------------------------------

def test_b1_changes_after_the_last_checkpoint_are_absent_after_reopen(tmp_path):
    t = make(tmp_path)
    d = fill(t, 2000, seed=1)
    t.checkpoint(10, b"meta-a")
    for k in list(d)[:500]:
        t.delete(k)
    fill(t, 2000, seed=2)
    t.close()                              # no checkpoint: dropped
    t = BTree(str(tmp_path / "t.db"))
    assert t.lsn == 10 and t.user_meta == b"meta-a" and t.gen == 1
    assert walk(t) == sorted(d.items())
    t.check()


def test_lsn_and_user_meta_are_recorded_by_each_checkpoint(tmp_path):
    t = make(tmp_path)
    t.checkpoint(5, b"x" * 512)
    assert (t.lsn, t.user_meta, t.gen) == (5, b"x" * 512, 1)
    with pytest.raises(ValueError):
        t.checkpoint(6, b"x" * 513)
    t.checkpoint(7, b"")
    t.close()
    t = BTree(str(tmp_path / "t.db"))
    assert (t.lsn, t.user_meta, t.gen) == (7, b"", 2)


def test_b2_torn_newest_meta_falls_back_to_the_previous_checkpoint(tmp_path):
    path = str(tmp_path / "t.db")
    t = make(tmp_path)
    d1 = fill(t, 1000, seed=1)
    t.checkpoint(1)                        # gen 1 -> slot 1
    fill(t, 1000, seed=2)
    t.checkpoint(2)                        # gen 2 -> slot 0
    t.close()
    with open(path, "r+b") as f:           # tear slot 0: half new garbage
        f.seek(300)
        f.write(os.urandom(300))
    t = BTree(path)
    assert t.gen == 1 and t.lsn == 1
    assert walk(t) == sorted(d1.items())
    t.check()


@pytest.mark.parametrize("damage, message", [
    (lambda f, ps: (f.seek(0), f.write(b"garbage!"), f.seek(ps), f.write(b"garbage!")), "bad magic"),
    (lambda f, ps: (f.seek(8), f.write(b"\0\0\0\x09"), f.seek(ps + 8), f.write(b"\0\0\0\x09")), "version 9"),
    (lambda f, ps: (f.seek(60), f.write(b"\xff"), f.seek(ps + 60), f.write(b"\xff")), "checksum mismatch"),
])
def test_b2_both_metas_bad_raise_corruption_naming_the_file_and_the_cause(tmp_path, damage, message):
    path = str(tmp_path / "t.db")
    t = make(tmp_path)
    t.put(b"a", b"b")
    t.checkpoint(1)
    t.close()
    with open(path, "r+b") as f:
        damage(f, PS)
    with pytest.raises(CorruptionError) as e:
        BTree(path)
    assert path in str(e.value) and message in str(e.value)


def test_truncated_file_without_metas_raises_corruption(tmp_path):
    path = tmp_path / "t.db"
    path.write_bytes(b"")
    with pytest.raises(CorruptionError):
        BTree(str(path))


@pytest.mark.parametrize("ptype", [1, 2, 3])
def test_b3_bit_flip_in_a_page_raises_corruption_and_never_returns_wrong_data(tmp_path, ptype):
    path = str(tmp_path / "t.db")
    t = make(tmp_path)
    rnd = random.Random(3)
    d = {b"k%06d" % i: rnd.randbytes(rnd.choice([40, 3000])) for i in range(3000)}
    for k, v in d.items():
        t.put(k, v)
    t.checkpoint(1)
    t.close()
    victims = [n for n, ty in page_types(path, PS).items() if ty == ptype]
    assert victims
    for n in rnd.sample(victims, min(3, len(victims))):
        shutil.copy(path, path + ".bak")
        flip(path, n * PS + rnd.randrange(8, PS))
        t = BTree(path)
        errors = 0
        for k, v in d.items():
            try:
                got = t.get(k)
            except CorruptionError as e:
                assert "page %d of %s" % (n, path) in str(e)
                errors += 1
            else:
                assert got == v
        assert errors > 0
        with pytest.raises(CorruptionError):
            t.check()
        t.close()
        shutil.copy(path + ".bak", path)


def test_b3_page_with_a_valid_checksum_but_a_gen_newer_than_the_meta_is_rejected(tmp_path):
    # A page stamped by a checkpoint whose meta never became durable must not be trusted, checksum or not.
    from pyddb._engine.murmur3 import py_checksum32
    path = str(tmp_path / "t.db")
    t = make(tmp_path)
    fill(t, 300)
    t.checkpoint(1)
    t.close()
    leaf = min(n for n, ty in page_types(path, PS).items() if ty == 1)
    with open(path, "r+b") as f:
        f.seek(leaf * PS)
        page = bytearray(f.read(PS))
        page[16:24] = struct.pack(">Q", 2)                     # gen 2 > the meta's gen 1
        page[0:4] = struct.pack(">I", py_checksum32(bytes(page[4:])))
        f.seek(leaf * PS)
        f.write(page)
    t = BTree(path)
    with pytest.raises(CorruptionError, match="newer than the meta"):
        t.check()


def test_pages_past_next_pgno_left_by_a_crash_before_truncation_are_ignored_and_trimmed(tmp_path):
    path = str(tmp_path / "t.db")
    t = make(tmp_path)
    d = fill(t, 500)
    t.checkpoint(1)
    size = t.stats()["file_bytes"]
    t.close()
    with open(path, "ab") as f:
        f.write(os.urandom(5 * PS))
    t = BTree(path)
    assert walk(t) == sorted(d.items())
    t.check()
    t.checkpoint(2)
    assert t.stats()["file_bytes"] == size


@pytest.mark.parametrize("kind, after", [("sync", 0), ("sync", 1), ("write", 0), ("write", 1)])
def test_b10_io_error_in_checkpoint_poisons_and_reopen_gives_the_previous_checkpoint(tmp_path, kind, after):
    path = str(tmp_path / "t.db")
    t = make(tmp_path)
    d1 = fill(t, 1500, seed=1)
    t.checkpoint(1)
    d2 = dict(d1)
    d2.update(fill(t, 1500, seed=2))
    osfile.set_fault(kind, after)
    try:
        with pytest.raises(OSError):
            t.checkpoint(2)
    finally:
        osfile.clear_fault()
    assert t.poisoned
    for op in (lambda: t.put(b"a", b"b"), lambda: t.delete(b"a"), lambda: t.checkpoint(3)):
        with pytest.raises(PoisonedError, match="reopen"):
            op()
    assert walk(t) == sorted(d2.items())   # reads go on from memory
    t.close()
    t = BTree(path)
    if (kind, after) == ("sync", 1):       # the meta was written, only its sync failed: old or new, whole
        assert (t.lsn, walk(t)) in [(1, sorted(d1.items())), (2, sorted(d2.items()))]
    else:
        assert t.lsn == 1 and walk(t) == sorted(d1.items())
    t.check()
    t.put(b"after", b"reopen")
    t.checkpoint(2)
    t.check()


# ---- space -----------------------------------------------------------------------------------------------------

def test_b9_fill_and_empty_rounds_keep_the_file_bounded(tmp_path):
    # Each round: fill 5,000 keys, checkpoint (pages durable), delete all (pages go to pending_free),
    # checkpoint (they become free). The next round must reuse them instead of growing the file.
    t = make(tmp_path)
    sizes = []
    for r in range(20):
        d = fill(t, 5000, seed=r, vlen=60)
        t.checkpoint(2 * r + 1)
        sizes.append(t.stats()["file_bytes"])
        for k in d:
            assert t.delete(k)
        assert t.entries == 0 and t.data_bytes == 0
        t.checkpoint(2 * r + 2)
        sizes.append(t.stats()["file_bytes"])
    t.check()
    assert max(sizes) <= 1.2 * sizes[0]


def test_b6_deleting_everything_leaves_an_empty_tree(tmp_path):
    t = make(tmp_path)
    d = fill(t, 3000)
    t.checkpoint(1)
    for k in sorted(d, reverse=True):
        t.delete(k)
    st_ = t.check()
    assert st_["depth"] == 0 and st_["leaf_pages"] == 0 and t.stats()["depth"] == 0
    assert not t.cursor().first()


def test_file_shrinks_after_emptying_and_a_few_checkpoints(tmp_path):
    t = make(tmp_path)
    d = fill(t, 5000)
    t.checkpoint(1)
    big = t.stats()["file_bytes"]
    for k in d:
        t.delete(k)
    for i in range(4):
        t.checkpoint(2 + i)
    assert t.stats()["file_bytes"] < big / 4
    t.check()


def test_sequential_inserts_pack_leaves_densely_and_random_ones_half(tmp_path):
    n = 20000
    seq = make(tmp_path, "seq.db")
    for i in range(n):
        seq.put(b"key%08d" % i, b"v" * 30)
    rnd = make(tmp_path, "rnd.db")
    order = list(range(n))
    random.Random(1).shuffle(order)
    for i in order:
        rnd.put(b"key%08d" % i, b"v" * 30)
    s, r = seq.check(), rnd.check()
    payload = n * (7 + 11 + 30 + 2)
    seq_fill = payload / (s["leaf_pages"] * (PS - 40))
    rnd_fill = payload / (r["leaf_pages"] * (PS - 40))
    assert seq_fill > 0.85
    assert 0.5 < rnd_fill < 0.85


def test_b7_check_accounts_for_every_page(tmp_path):
    t = make(tmp_path)
    d = fill(t, 3000, vlen=500)
    t.put(b"ovf", b"o" * 20000)
    t.checkpoint(1)
    for k in list(d)[::3]:
        t.delete(k)
    st_ = t.check()
    assert st_["pages"] == 2 + st_["leaf_pages"] + st_["branch_pages"] + st_["overflow_pages"] + st_["free_pages"]
    t.checkpoint(2)
    t.close()
    t = BTree(str(tmp_path / "t.db"))
    st2 = t.check()
    assert st2["entries"] == st_["entries"]
    assert st2["pages"] == 2 + st2["leaf_pages"] + st2["branch_pages"] + st2["overflow_pages"] + st2["free_pages"]


def test_file_growing_past_the_mapping_is_remapped_at_checkpoint(tmp_path):
    t = make(tmp_path, page_size=65536)
    vals = {b"%03d" % i: os.urandom(1 << 20) for i in range(80)}   # 80 MiB > the 64 MiB first mapping
    for k, v in vals.items():
        t.put(k, v)
    t.checkpoint(1)
    assert t.stats()["file_bytes"] > 80 << 20
    assert all(t.get(k) == v for k, v in vals.items())
    t.check()


# ---- model-based -------------------------------------------------------------------------------------------------

KEYS = st.one_of(
    st.binary(min_size=1, max_size=3),
    st.builds(lambda p, s: p + s, st.sampled_from([b"user#", b"user#0001#", b"\x00\x00", b"\xff" * 8]),
              st.binary(max_size=12)),
)
VALUES = st.one_of(st.binary(max_size=40), st.binary(min_size=900, max_size=1200),
                   st.integers(0, 255).map(lambda b: bytes([b]) * 9000))


class BTreeVsDict(RuleBasedStateMachine):
    """The tree against a dict: puts, deletes, cursor walks, checkpoints, reopen and crash (close without
    checkpoint) must agree with the model at every step (B1, B4, B11, B12)."""

    def __init__(self):
        super().__init__()
        self.dir = tempfile.mkdtemp(prefix="btree-hyp-")
        self.path = os.path.join(self.dir, "t.db")
        self.t = BTree(self.path, PS, create=True)
        self.model = {}
        self.durable = {}
        self.cursor = None

    def teardown(self):
        self.t.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    @rule(k=KEYS, v=VALUES)
    def put(self, k, v):
        self.t.put(k, v)
        self.model[k] = v

    @rule(data=st.data())
    def delete_existing(self, data):
        if self.model:
            k = data.draw(st.sampled_from(sorted(self.model)))
            assert self.t.delete(k)
            del self.model[k]

    @rule(k=KEYS)
    def delete_any(self, k):
        assert self.t.delete(k) == (k in self.model)
        self.model.pop(k, None)

    @rule(k=KEYS)
    def get(self, k):
        assert self.t.get(k) == self.model.get(k)

    @rule(k=KEYS, steps=st.integers(0, 6), forward=st.booleans())
    def seek_and_walk(self, k, steps, forward):
        keys = sorted(self.model)
        c = self.t.cursor()
        if forward:
            exp = [x for x in keys if x >= k]
            ok = c.seek_ge(k)
        else:
            exp = [x for x in keys if x <= k][::-1]
            ok = c.seek_le(k)
        got = []
        while ok and len(got) <= steps:
            got.append(c.key())
            ok = c.next() if forward else c.prev()
        assert got == exp[:len(got)] and (len(got) == steps + 1 or len(got) == len(exp))
        if got:
            self.cursor = (c, forward)

    @precondition(lambda self: self.cursor is not None)
    @rule()
    def stale_cursor_moves_relative_to_its_key(self):
        c, forward = self.cursor
        self.cursor = None
        if not c.valid:
            return
        here = c.key()
        keys = sorted(self.model)
        if forward:
            exp = [x for x in keys if x > here][:1]
            ok = c.next()
        else:
            exp = [x for x in keys if x < here][-1:]
            ok = c.prev()
        assert ([c.key()] if ok else []) == exp
        if ok:
            assert c.value() == self.model[c.key()]

    @rule(lsn=st.integers(0, 2 ** 40), um=st.binary(max_size=20))
    def checkpoint(self, lsn, um):
        self.t.checkpoint(lsn, um)
        self.durable = dict(self.model)
        assert self.t.lsn == lsn and self.t.user_meta == um

    @rule(checkpoint_first=st.booleans())
    def reopen(self, checkpoint_first):
        if checkpoint_first:
            self.t.checkpoint(1)
            self.durable = dict(self.model)
        self.t.close()
        self.t = BTree(self.path)
        self.model = dict(self.durable)
        self.cursor = None

    @rule()
    def full_walks(self):
        items = sorted(self.model.items())
        assert walk(self.t) == items
        assert walk(self.t, reverse=True) == items[::-1]

    @rule()
    def check(self):
        st_ = self.t.check()
        assert st_["entries"] == len(self.model)

    @invariant()
    def counters_match(self):
        assert self.t.entries == len(self.model)
        assert self.t.data_bytes == sum(len(k) + len(v) for k, v in self.model.items())


TestBTreeVsDict = BTreeVsDict.TestCase
TestBTreeVsDict.settings = settings(max_examples=60, stateful_step_count=60, deadline=None,
                                    suppress_health_check=[HealthCheck.too_slow])


# ---- crash points and threads ------------------------------------------------------------------------------------

def test_b1_b2_a_fault_at_every_io_of_a_checkpoint_leaves_the_old_or_the_new_state(tmp_path):
    base = str(tmp_path / "base.db")
    t = BTree(base, PS, create=True)
    old = fill(t, 800, seed=1, vlen=300)
    t.checkpoint(1)
    t.close()
    new = dict(old)
    rnd = random.Random(2)
    changes = [(k, None) for k in rnd.sample(sorted(old), 300)] + \
              [(b"n%05d" % i, rnd.randbytes(rnd.choice([20, 5000]))) for i in range(300)]
    for k, v in changes:
        if v is None:
            del new[k]
        else:
            new[k] = v

    def run(kind, after):
        path = str(tmp_path / ("f-%s-%s.db" % (kind, after)))
        shutil.copy(base, path)
        t = BTree(path)
        for k, v in changes:
            t.delete(k) if v is None else t.put(k, v)
        w0, s0 = osfile.io_counts()
        if after is not None:
            osfile.set_fault(kind, after)
        failed = False
        try:
            t.checkpoint(2)
        except OSError:
            failed = True
        finally:
            osfile.clear_fault()
        w1, s1 = osfile.io_counts()
        t.close()
        t = BTree(path)
        got = dict(walk(t))
        assert got == (new if t.lsn == 2 else old)
        if failed and not (kind == "sync" and after == s1 - s0 - 1):
            assert t.lsn == 1                    # the meta was not written or its sync came first
        t.check()
        t.close()
        os.unlink(path)
        return w1 - w0, s1 - s0

    writes, syncs = run("write", None)
    assert syncs == 2 and writes >= 3
    for after in range(writes):
        run("write", after)
    for after in range(syncs):
        run("sync", after)


def test_gets_from_another_thread_during_checkpoints_see_consistent_data(tmp_path):
    import threading
    t = make(tmp_path)
    d = fill(t, 3000, vlen=100)
    keys = sorted(d)
    stop = threading.Event()
    bad = []

    def reader():
        rnd = random.Random(5)
        while not stop.is_set():
            k = rnd.choice(keys)
            if t.get(k) != d[k]:
                bad.append(k)

    th = threading.Thread(target=reader)
    th.start()
    try:
        for i in range(30):
            for k in keys[i::30][:50]:
                t.put(k, d[k])               # same value: pages become dirty, the data does not change
            t.checkpoint(i + 1)
    finally:
        stop.set()
        th.join()
    assert not bad
    t.check()
