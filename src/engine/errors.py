"""The engine's exceptions: one base class and one subclass per failure a caller can act on."""


class EngineError(Exception):
    """Base class of every error raised by pyddb's storage engine."""


class CorruptionError(EngineError):
    """A file holds bytes that fail a checksum or a format check; the engine refuses to guess."""


class LockedError(EngineError):
    """The database directory is already open in another process (or another Database object)."""


class ClosedError(EngineError):
    """The Database (or an iterator over it) was used after close()."""


class PoisonedError(EngineError):
    """An fsync/msync/write failed: the kernel may have dropped data, so further writes are refused until the
    database is closed and reopened (recovery then restores the last durable state)."""
