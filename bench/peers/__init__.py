"""One small adapter per engine, all with the same shape (see ``base.Peer``).

A record is addressed two ways and each peer takes the form it stores: ``pk`` (16 bytes) and ``sk``
(6 bytes) for pyddb, which keeps a partition key's items contiguous and sk-ordered, and ``key = pk + sk``
(22 bytes) for the flat key-value stores.
"""
from .base import Peer, dir_files, dir_size, is_wal
from .lmdb_peer import LmdbPeer
from .pyddb_peer import PyddbPeer, pyddb_available
from .sqlite_peer import SqlitePeer

PEERS = {"pyddb": PyddbPeer, "lmdb": LmdbPeer, "sqlite": SqlitePeer}

__all__ = ["PEERS", "Peer", "LmdbPeer", "PyddbPeer", "SqlitePeer", "dir_files", "dir_size", "is_wal", "pyddb_available"]
