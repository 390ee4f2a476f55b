"""pyddb's storage engine: hash-partitioned B+trees on memory-mapped files with a write-ahead log.

Bytes only: this package knows keyspaces, partitions, keys and values, never DynamoDB types.
The Python API is documented in docs/engine.md.
"""
from .errors import ClosedError, CorruptionError, EngineError, LockedError, PoisonedError  # noqa: F401
