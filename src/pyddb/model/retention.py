"""How long the engine keeps its WAL archive: the largest need of any feature, nothing when none needs it.

The model opens the engine with archive=True (WAL segments survive checkpoints) and sets the engine's
retention policy (`Database.set_archive_retention`) from the needs registered here. A need is a function
`need(model) -> (keep_seconds, keep_lsn)`; either part may be None (no need of that kind):
    streams   (model/streams.py)  24 hours while a table stream (or a disabled one still readable) exists
    pitr      (model/pitr.py)     the lowest LSN a kept PITR base needs
The policy applied is keep_ns = max(keep_seconds) (0 when no feature needs time) and keep_lsn = min(keep_lsn);
the engine then deletes at each checkpoint the WAL segments that are checkpointed, older than keep_ns and
wholly below keep_lsn. `apply(model)` recomputes and sets it; call it after changing something a need
depends on (the model also calls it at open and every few seconds from its maintenance thread, ttl.py).
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Dict, Optional, Tuple

Need = Callable[[Any], Tuple[Optional[float], Optional[int]]]

NEEDS: Dict[str, Need] = {}
_lock = threading.RLock()


def register(name: str, need: Need) -> None:
    """Register (or replace) the retention need `name`."""
    NEEDS[name] = need


def policy(model) -> Tuple[int, Optional[int]]:
    """(keep_ns, keep_lsn) the registered needs ask for now."""
    keep_s = 0.0
    keep_lsn: Optional[int] = None
    for need in list(NEEDS.values()):
        s, lsn = need(model)
        if s is not None and s > keep_s:
            keep_s = s
        if lsn is not None and (keep_lsn is None or lsn < keep_lsn):
            keep_lsn = lsn
    return int(keep_s * 1e9), keep_lsn


def apply(model) -> int:
    """Set the engine's archive retention from the needs; returns the number of WAL segments deleted now."""
    engine = model.engine
    if not getattr(engine, "archive", False) or engine.closed or engine.poisoned:
        return 0
    with _lock:     # computed and set under one lock: a policy computed earlier never overwrites a newer one
        keep_ns, keep_lsn = policy(model)
        return engine.set_archive_retention(keep_ns, keep_lsn)


def _pitr_need(model) -> Tuple[Optional[float], Optional[int]]:
    """PITR (model/pitr.py): the WAL from the oldest kept base's LSN on."""
    from pyddb.model import pitr
    fn = getattr(pitr, "wal_needed_from", None)
    return None, (fn(model) if fn is not None else None)


register("pitr", _pitr_need)
