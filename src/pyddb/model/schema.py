"""Table and index definitions: what CreateTable declared, persisted in the engine's catalog keyspace.

A TableDef is plain data (to_dict/from_dict round-trip through msgpack). Item code uses only `name`,
`keyspace`, `hash_key`, `range_key`, `lsis`, `gsis` and `key_of`; the control plane (api/tables.py) builds and
describes it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
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
    provisioned_throughput: Optional[Dict[str, int]] = None
    on_demand_throughput: Optional[Dict[str, int]] = None

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "IndexDef":
        d = dict(d)
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
    stream_specification: Optional[Dict[str, Any]] = None
    stream_label: Optional[str] = None
    tags: List[Dict[str, str]] = field(default_factory=list)
    deletion_protection: bool = False
    table_class: str = "STANDARD"
    billing_mode_updated_at: Optional[float] = None
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

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "TableDef":
        d = dict(d)
        d["hash_key"] = KeyAttr(**d["hash_key"])
        d["range_key"] = KeyAttr(**d["range_key"]) if d.get("range_key") else None
        d["lsis"] = [IndexDef.from_dict(x) for x in d.get("lsis", [])]
        d["gsis"] = [IndexDef.from_dict(x) for x in d.get("gsis", [])]
        return cls(**d)
