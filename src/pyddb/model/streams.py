"""DynamoDB Streams, read from the engine's WAL (the operations are api/streams.py).

DESIGN
    A stream record is not a second copy of the write. Every write path adds, for a table whose stream is
    enabled, one LOG-ONLY engine op per changed item to the write's own batch (`log_ops`; engine D8): it
    carries what the batch's key ops cannot: the event (INSERT/MODIFY/REMOVE), the key, the old image when
    the view type needs it, the approximate creation time and whether the TTL service made the change. The
    new image is the value of the item's key op in the same WAL record. A write that changes nothing (a
    delete of a missing item, a put or update that leaves the item equal) adds nothing. GetRecords walks
    `engine.wal_records` from the iterator's position and decodes the ops tagged TAG of that stream.

    LOG-ONLY OP   (None, TAG, b"", msgpack [table_id, label, event, keys, old_image|None, approx_s, service])
                  event 1 INSERT, 2 MODIFY, 3 REMOVE; approx_s = floor(model.clock()) (DynamoDB rounds the
                  ApproximateCreationDateTime of Streams records down to the second); service = 1 for a TTL
                  deletion (userIdentity {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}).
    REGISTRY      keyspace "__streams__": pk b"s", sk = stream ARN: msgpack of StreamInfo fields; pk b"k":
                  the secret that signs shard iterators. A stream enters the registry when a table's stream
                  label changes to it (CreateTable/UpdateTable enabling: model.save_table calls
                  `table_saved`), and is closed (end_lsn, disabled_at) when the table's stream is disabled or
                  the table deleted; it stays readable for RETENTION_S after that, then leaves the registry.
    SEQUENCE      a record's SequenceNumber is str(10**20 + lsn * 10**4 + i), i = its place among the stream
                  ops of its WAL record: 21 digits, increasing in commit order, stable across restarts.
    SHARDS        one shard per stream (as DynamoDB Local): "shardId-<creation ms, 20 digits>-<8 hex>".
    ITERATORS     "<stream ARN>|1|<base64 of msgpack [lsn, i, issued_ms, end] + 16-byte HMAC>": the position
                  of the next record to read; rejected when the MAC or ARN does not match, expired after 15
                  minutes (model clock), as DynamoDB's.
    RETENTION     records older than 24 hours (by their approximate creation time and the model clock) are
                  not returned; the WAL archive keeps 24 hours (model/retention.py) while a stream exists.
    A GetRecords call reads at most SCAN_BUDGET WAL records, so a call on a quiet table in a busy database
    returns quickly (maybe with no records and a NextShardIterator further on, as DynamoDB may).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import math
import os
import threading
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Tuple

import msgpack

from pyddb._engine.errors import EngineError
from pyddb.expressions.evaluate import equal
from pyddb.model import retention
from pyddb.types import codec, keycodec, size

REGISTRY = "__streams__"
TAG = b"ddbstream"
RETENTION_S = 24 * 3600
ITERATOR_TTL_S = 15 * 60
SCAN_BUDGET = 20000
SEQ_BASE = 10 ** 20
SEQ_SLOTS = 10 ** 4

INSERT, MODIFY, REMOVE = 1, 2, 3
EVENT_NAMES = {INSERT: "INSERT", MODIFY: "MODIFY", REMOVE: "REMOVE"}
OLD_VIEWS = ("OLD_IMAGE", "NEW_AND_OLD_IMAGES")
NEW_VIEWS = ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
SERVICE_IDENTITY = {"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"}

_local = threading.local()


class service_identity:
    """`with streams.service_identity(): ...`: writes made inside are the TTL service's (userIdentity)."""

    def __enter__(self):
        _local.service = getattr(_local, "service", 0) + 1

    def __exit__(self, *exc):
        _local.service -= 1


def seq_of(lsn: int, i: int) -> str:
    return str(SEQ_BASE + lsn * SEQ_SLOTS + i)


def parse_seq(s: str) -> Optional[Tuple[int, int]]:
    if not isinstance(s, str) or not s.isdigit() or len(s) < 21 or len(s) > 40:
        return None
    n = int(s) - SEQ_BASE
    if n < 0:
        return None
    return n // SEQ_SLOTS, n % SEQ_SLOTS


@dataclass
class StreamInfo:
    arn: str
    label: str
    table_name: str
    table_id: str
    keyspace: str
    view_type: str
    key_schema: List[Dict[str, str]]            # [{"AttributeName", "KeyType"}] as DescribeStream shows it
    hash_key: str
    range_key: Optional[str]
    created: float                              # epoch seconds (model clock) when enabled
    start_lsn: int                              # no record of this stream is below it
    end_lsn: Optional[int] = None               # None while enabled; else no record is above it
    disabled_at: Optional[float] = None

    @property
    def shard_id(self) -> str:
        h = hashlib.sha1(self.arn.encode()).hexdigest()[:8]
        return "shardId-%020d-%s" % (int(self.created * 1000), h)

    def to_bytes(self) -> bytes:
        return msgpack.packb(asdict(self), use_bin_type=True)

    @classmethod
    def from_bytes(cls, raw: bytes) -> "StreamInfo":
        d = msgpack.unpackb(raw, raw=False)
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in d.items() if k in names})


# ---- the write side -------------------------------------------------------------------------------------------


def log_ops(model, t, old: Optional[dict], new: Optional[dict]) -> list:
    """The log-only engine op recording `old` -> `new` of table `t` in its stream, or [] (no stream, or the
    write changes nothing). Call under the table's lock, with the ops of the same write (model T3)."""
    current = model.tables.get(t.name)
    if current is not None and current is not t and current.table_id == t.table_id:
        t = current
    spec = t.stream_specification
    if not spec or (old is None and new is None):
        return []
    if old is not None and new is not None:
        if equal({"M": old}, {"M": new}):
            return []
        event = MODIFY
    else:
        event = INSERT if old is None else REMOVE
    view = spec.get("StreamViewType")
    keys = t.key_of(new if new is not None else old)
    payload = msgpack.packb(
        [t.table_id, t.stream_label, event, keys, old if (old is not None and view in OLD_VIEWS) else None,
         int(math.floor(model.clock())), 1 if getattr(_local, "service", 0) else 0], use_bin_type=True)
    return [(None, TAG, b"", payload)]


# ---- the registry -------------------------------------------------------------------------------------------


class Streams:
    """The streams of one model: registry, retention need, iterators and record reading."""

    def __init__(self, model):
        self.model = model
        self.engine = model.engine
        self.lock = threading.RLock()
        self.infos: Dict[str, StreamInfo] = {}
        if not self.engine.has_keyspace(REGISTRY):
            self.engine.create_keyspace(REGISTRY)
        for sk, raw in self.engine.iter_range(REGISTRY, b"s"):
            info = StreamInfo.from_bytes(raw)
            self.infos[info.arn] = info
        secret = self.engine.get(REGISTRY, b"k")
        if secret is None:
            secret = os.urandom(32)
            self.engine.write_batch([(REGISTRY, b"k", b"", secret)], sync=True)
        self.secret = secret
        self._reconcile()

    def _save(self, info: StreamInfo) -> None:
        self.infos[info.arn] = info
        self.engine.write_batch([(REGISTRY, b"s", info.arn.encode(), info.to_bytes())], sync=True)

    def _drop(self, info: StreamInfo) -> None:
        self.infos.pop(info.arn, None)
        self.engine.write_batch([(REGISTRY, b"s", info.arn.encode(), None)], sync=True)

    def _reconcile(self) -> None:
        """At open: the registry agrees with the tables (a crash between a catalog write and ours)."""
        active = {}
        for t in self.model.tables.values():
            if t.stream_specification and t.stream_label:
                active[self.model.arn(t.name) + "/stream/" + t.stream_label] = t
        for arn, info in list(self.infos.items()):
            if info.end_lsn is None and arn not in active:
                self._close(info)
            elif info.end_lsn is not None and arn in active:
                # closed, yet its table still carries it: closed before a catalog write that never happened
                # (a DeleteTable of an older version cut short); the table's writes are recorded again
                info.end_lsn = None
                info.disabled_at = None
                self._save(info)
        for arn, t in active.items():
            if arn not in self.infos:
                self._open(t, start_lsn=self.engine.first_wal_lsn)

    def _open(self, t, start_lsn: Optional[int] = None) -> StreamInfo:
        keys = [{"AttributeName": t.hash_key.name, "KeyType": "HASH"}]
        if t.range_key:
            keys.append({"AttributeName": t.range_key.name, "KeyType": "RANGE"})
        info = StreamInfo(
            arn=self.model.arn(t.name) + "/stream/" + t.stream_label, label=t.stream_label, table_name=t.name,
            table_id=t.table_id, keyspace=t.keyspace, view_type=t.stream_specification["StreamViewType"],
            key_schema=keys, hash_key=t.hash_key.name, range_key=t.range_key.name if t.range_key else None,
            created=round(self.model.clock(), 3),
            start_lsn=self.engine.last_lsn if start_lsn is None else start_lsn)
        self._save(info)
        return info

    def _close(self, info: StreamInfo) -> None:
        info.end_lsn = self.engine.last_lsn
        info.disabled_at = round(self.model.clock(), 3)
        self._save(info)

    def table_saved(self, prev, new) -> None:
        """A table definition changed from `prev` to `new` (either may be None: created / deleted)."""
        def active(t):
            return t.stream_label if (t is not None and t.stream_specification and t.stream_label) else None
        old_label, new_label = active(prev), active(new)
        if old_label == new_label and (prev is None or new is None or prev.table_id == new.table_id):
            return
        with self.lock:
            if old_label is not None:
                info = self.infos.get(self.model.arn(prev.name) + "/stream/" + old_label)
                if info is not None and info.end_lsn is None:
                    self._close(info)
            if new_label is not None:
                arn = self.model.arn(new.name) + "/stream/" + new_label
                if arn not in self.infos:
                    self._open(new)
        retention.apply(self.model)

    def expire(self) -> None:
        """Forget streams disabled more than RETENTION_S ago (their records are gone too)."""
        now = self.model.clock()
        with self.lock:
            for info in list(self.infos.values()):
                if info.disabled_at is not None and info.disabled_at + RETENTION_S < now:
                    self._drop(info)

    def need(self, model) -> Tuple[Optional[float], Optional[int]]:
        """The retention need of streams (model/retention.py): 24 hours (and a margin) while any exists."""
        return (RETENTION_S + 3600 if self.infos else None), None

    # ---- reading --------------------------------------------------------------------------------------------

    def get(self, arn: str) -> Optional[StreamInfo]:
        return self.infos.get(arn)

    def listing(self) -> List[StreamInfo]:
        return sorted(self.infos.values(), key=lambda i: (i.table_name, i.created, i.arn))

    def first_lsn(self, info: StreamInfo) -> int:
        return max(info.start_lsn, self.engine.first_wal_lsn, 1)

    def iterator(self, info: StreamInfo, lsn: int, i: int) -> str:
        now_ms = int(self.model.clock() * 1000)
        body = msgpack.packb([lsn, i, now_ms], use_bin_type=True)
        mac = hmac.new(self.secret, info.arn.encode() + b"|" + body, hashlib.sha256).digest()[:16]
        return "%s|1|%s" % (info.arn, base64.b64encode(body + mac).decode())

    def parse_iterator(self, it: str) -> Optional[Tuple[StreamInfo, int, int, int]]:
        """(info, lsn, i, issued_ms) of a shard iterator this model issued, or None."""
        if not isinstance(it, str):
            return None
        arn, sep, rest = it.rpartition("|1|")
        if not sep:
            return None
        info = self.infos.get(arn)
        try:
            blob = base64.b64decode(rest.encode(), validate=True)
        except (ValueError, UnicodeError):
            return None
        if info is None or len(blob) < 17:
            return None
        body, mac = blob[:-16], blob[-16:]
        if not hmac.compare_digest(mac, hmac.new(self.secret, arn.encode() + b"|" + body,
                                                 hashlib.sha256).digest()[:16]):
            return None
        try:
            lsn, i, issued = msgpack.unpackb(body, raw=False)
        except Exception:
            return None
        return info, lsn, i, issued

    def read(self, info: StreamInfo, lsn: int, i: int, limit: int) -> Tuple[List[dict], int, int, bool]:
        """Up to `limit` records of the stream at or after position (lsn, i); returns (records, next lsn,
        next i, closed): closed = the stream is disabled and every record was read."""
        out: List[dict] = []
        if lsn < self.first_lsn(info):
            self._check_trimmed(info, lsn)
            lsn = self.first_lsn(info)
        last = self.engine.last_lsn if info.end_lsn is None else info.end_lsn
        horizon = self.model.clock() - RETENTION_S
        scanned = 0
        nxt_lsn, nxt_i = lsn, i
        if lsn > last:
            return out, nxt_lsn, nxt_i, info.end_lsn is not None and nxt_lsn > info.end_lsn
        try:
            records = self.engine.wal_records(lsn)
        except EngineError:                          # trimmed since the check above
            self._check_trimmed(info, lsn)
            raise
        try:
            for rec_lsn, _ts, ops in records:
                if rec_lsn > last:
                    break
                scanned += 1
                k = 0
                values = None
                for op in ops:
                    if op[0] is not None or op[1] != TAG:
                        continue
                    if rec_lsn == lsn and k < i:
                        k += 1
                        continue
                    p = msgpack.unpackb(op[3], raw=False)
                    if p[0] != info.table_id or p[1] != info.label:
                        k += 1
                        continue
                    if len(out) >= limit:
                        return out, rec_lsn, k, False
                    if values is None:
                        values = {(o[0], o[1], o[2]): o[3] for o in ops if o[0] is not None}
                    if p[5] >= horizon:
                        out.append(self._record(info, rec_lsn, k, p, values))
                    k += 1
                nxt_lsn, nxt_i = rec_lsn + 1, 0
                if scanned >= SCAN_BUDGET:
                    break
        except EngineError:
            # the WAL changed under the reader (a segment trimmed, the database closing): what was read is
            # returned and the next iterator resumes after it; with nothing read, a trimmed position is
            # TrimmedDataAccessException and anything else the engine's error
            if nxt_lsn == lsn and nxt_i == i:
                self._check_trimmed(info, lsn)
                raise
            return out, nxt_lsn, nxt_i, False
        closed = info.end_lsn is not None and nxt_lsn > info.end_lsn
        return out, nxt_lsn, nxt_i, closed

    def _check_trimmed(self, info: StreamInfo, lsn: int) -> None:
        """TrimmedDataAccessException when the WAL no longer holds position `lsn` of the stream (the segments
        under it were deleted: DynamoDB's "a stream record in the shard exceeds the 24 hour period and is
        trimmed" before the iterator was used)."""
        try:
            first = self.engine.first_wal_lsn
        except EngineError:
            return
        if info.start_lsn <= lsn < first:
            from pyddb.errors import TrimmedDataAccessException
            raise TrimmedDataAccessException("The data you are trying to access has been trimmed")

    def _record(self, info: StreamInfo, lsn: int, k: int, p: list, values: dict) -> dict:
        _tid, _label, event, keys, old, approx, service = p
        view = info.view_type
        d: Dict[str, Any] = {"ApproximateCreationDateTime": approx, "Keys": keys}
        n = size.item_size(keys)
        if event != REMOVE and view in NEW_VIEWS:
            pk = keycodec.encode(keys[info.hash_key])
            sk = keycodec.encode(keys[info.range_key]) if info.range_key else b""
            raw = values.get((info.keyspace, pk, sk))
            if raw is not None:
                d["NewImage"] = codec.decode(raw)
                n += size.item_size(d["NewImage"])
        if old is not None and event != INSERT and view in OLD_VIEWS:
            d["OldImage"] = old
            n += size.item_size(old)
        seq = seq_of(lsn, k)
        d["SequenceNumber"] = seq
        d["SizeBytes"] = n
        d["StreamViewType"] = view
        rec = {
            "eventID": hashlib.md5((info.arn + seq).encode()).hexdigest(),
            "eventName": EVENT_NAMES[event],
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": self.model.region,
            "dynamodb": d,
        }
        if service:
            rec["userIdentity"] = dict(SERVICE_IDENTITY)
        return rec


def attach(model) -> Streams:
    """Create the model's Streams (model.streams) and register its retention need."""
    s = Streams(model)
    retention.register("streams", lambda m: m.streams.need(m) if getattr(m, "streams", None) else (None, None))
    return s
