"""Table and index definitions: what CreateTable declared, persisted in the engine's catalog keyspace.

A TableDef is plain data (to_dict/from_dict round-trip through msgpack). Item code uses only `name`,
`keyspace`, `hash_key`, `range_key`, `lsis`, `gsis`, `key_of`, `key_bytes` and `index`; the control plane
(api/tables.py) builds, changes and describes it.

PERSISTED FORM (msgpack of to_dict(), model/database.py's catalog)
    Field names are the dataclass fields below. Times are epoch seconds (floats, millisecond precision).
    `provisioned_throughput` holds {"ReadCapacityUnits", "WriteCapacityUnits"} plus the bookkeeping DynamoDB
    reports with them: "LastIncreaseDateTime", "LastDecreaseDateTime" (epoch seconds, once they happened) and
    "DecreasesDay"/"Decreases" (the UTC day, "YYYY-MM-DD", and how many decreases were made on it).
    `warm_throughput` is the highest {"ReadUnitsPerSecond", "WriteUnitsPerSecond"} the table ever had:
    DynamoDB reports WarmThroughput as never decreasing (12000/4000 once on demand, else the highest RCU/WCU).

INVARIANTS
    (S1) from_dict(to_dict(t)) == t, and from_dict accepts records written by an older pyddb (fields added
         since take their defaults) and by a newer one (unknown fields are kept in `extra`, never an error).
    (S2) A TableDef held by a reader is never mutated: the control plane changes a copy (`copy()`) and saves
         it, so item operations see either the old or the new definition, never half of one.
"""
from __future__ import annotations

import copy as _copy
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Dict, List, Optional, Tuple

from pyddb.types import keycodec


@dataclass(frozen=True)
class KeyAttr:
    name: str
    type: str            # "S" | "N" | "B"


@dataclass
class IndexDef:
    name: str
    hash_key: KeyAttr
    range_key: Optional[KeyAttr]
    projection_type: str = "ALL"                        # ALL | KEYS_ONLY | INCLUDE
    non_key_attributes: List[str] = field(default_factory=list)
    keyspace: str = ""                                  # engine keyspace holding the index entries
    status: str = "ACTIVE"                              # CREATING | ACTIVE | DELETING (GSIs)
    backfilling: bool = False
    provisioned_throughput: Optional[Dict[str, int]] = None  # GSIs of PROVISIONED tables (as TableDef's)
    on_demand_throughput: Optional[Dict[str, int]] = None
    warm_throughput: Dict[str, int] = field(default_factory=dict)  # GSIs: highest ever (see TableDef)

    @property
    def key_names(self) -> Tuple[str, ...]:
        return (self.hash_key.name,) + ((self.range_key.name,) if self.range_key else ())

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "IndexDef":
        d = _known(cls, d)
        d["hash_key"] = KeyAttr(**d["hash_key"])
        d["range_key"] = KeyAttr(**d["range_key"]) if d.get("range_key") else None
        return cls(**d)


@dataclass
class TableDef:
    name: str
    table_id: str                                       # uuid; part of the ARN-independent identity
    keyspace: str                                       # engine keyspace of the items
    hash_key: KeyAttr
    range_key: Optional[KeyAttr]
    attribute_definitions: List[Dict[str, str]]         # as given: [{"AttributeName", "AttributeType"}]
    created_at: float                                   # epoch seconds
    billing_mode: str = "PROVISIONED"                   # PROVISIONED | PAY_PER_REQUEST
    provisioned_throughput: Dict[str, Any] = field(default_factory=dict)
    on_demand_throughput: Optional[Dict[str, int]] = None
    lsis: List[IndexDef] = field(default_factory=list)
    gsis: List[IndexDef] = field(default_factory=list)
    stream_specification: Optional[Dict[str, Any]] = None  # {"StreamEnabled": True, "StreamViewType"} or None
    stream_label: Optional[str] = None                  # label of the latest stream; kept after a disable
    tags: List[Dict[str, str]] = field(default_factory=list)  # [{"Key", "Value"}] in first-set order
    deletion_protection: bool = False
    table_class: str = "STANDARD"
    billing_mode_updated_at: Optional[float] = None     # last time PAY_PER_REQUEST was set (None: never)
    table_class_set: bool = False                       # TableClassSummary is described once a class is given
    table_class_updated_at: Optional[float] = None      # last UpdateTable that set TableClass
    sse_specification: Optional[Dict[str, Any]] = None  # as given, when Enabled; None: AWS owned key
    warm_throughput: Dict[str, int] = field(default_factory=dict)
    extra: Dict[str, Any] = field(default_factory=dict)  # room for later features (TTL, PITR, ...)

    @property
    def key_names(self) -> Tuple[str, ...]:
        return (self.hash_key.name,) + ((self.range_key.name,) if self.range_key else ())

    def key_of(self, item: Dict[str, Any]) -> Dict[str, Any]:
        """The primary key attributes of `item` (which must hold them)."""
        k = {self.hash_key.name: item[self.hash_key.name]}
        if self.range_key:
            k[self.range_key.name] = item[self.range_key.name]
        return k

    def key_bytes(self, key: Dict[str, Any]) -> Tuple[bytes, bytes]:
        """(pk bytes, sk bytes) of a validated key or item: the engine address of the item."""
        pk = keycodec.encode(key[self.hash_key.name])
        sk = keycodec.encode(key[self.range_key.name]) if self.range_key else b""
        return pk, sk

    def index(self, name: str) -> Optional[IndexDef]:
        for ix in self.lsis + self.gsis:
            if ix.name == name:
                return ix
        return None

    def to_dict(self) -> Dict[str, Any]:
        d = asdict(self)
        d["lsis"] = [ix.to_dict() for ix in self.lsis]
        d["gsis"] = [ix.to_dict() for ix in self.gsis]
        return d

    @property
    def indexes(self) -> List[IndexDef]:
        return self.lsis + self.gsis

    def copy(self) -> "TableDef":
        """A deep copy to change and save (S2)."""
        return _copy.deepcopy(self)

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "TableDef":
        unknown = {k: v for k, v in d.items() if k not in _field_names(cls)}
        d = _known(cls, d)
        d["hash_key"] = KeyAttr(**d["hash_key"])
        d["range_key"] = KeyAttr(**d["range_key"]) if d.get("range_key") else None
        d["lsis"] = [IndexDef.from_dict(x) for x in d.get("lsis", [])]
        d["gsis"] = [IndexDef.from_dict(x) for x in d.get("gsis", [])]
        if unknown:  # (S1) written by a newer pyddb: keep what we do not understand
            d["extra"] = dict(d.get("extra") or {}, **unknown)
        return cls(**d)


_FIELD_NAMES: Dict[type, frozenset] = {}


def _field_names(cls: type) -> frozenset:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = frozenset(f.name for f in fields(cls))
    return names


def _known(cls: type, d: Dict[str, Any]) -> Dict[str, Any]:
    names = _field_names(cls)
    return {k: v for k, v in d.items() if k in names}
