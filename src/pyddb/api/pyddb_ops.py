"""pyddb's own operations, outside DynamoDB's API: served in-process (client.pyddb_set_clock,
client.pyddb_sweep_ttl) and over HTTP under the X-Amz-Target prefix `PyDDB_20240101.` (server/protocol.py).

    SetClock         {"Epoch": s} | {"OffsetSeconds": s} | {"AdvanceSeconds": s} | {} (the real time again),
                     optional "Frozen": true with Epoch (the clock then stands still) -> {"Now": epoch s}
    SweepTimeToLive  {} -> {"Deleted": n}: one TTL pass now (model/ttl.py)

They move the model's clock (model/ttl.py CLOCK) so a test sees TTL expiry deterministically.
"""
from __future__ import annotations

from typing import Any, Callable, Dict

from pyddb.errors import SerializationException, UnknownOperationException, ValidationException

PREFIX = "PyDDB_20240101."


def _number(request: Dict[str, Any], name: str):
    v = request.get(name)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValidationException("%s must be a number" % name)
    return float(v)


def set_clock(model, request: Dict[str, Any]) -> Dict[str, Any]:
    epoch, offset, adv = (_number(request, n) for n in ("Epoch", "OffsetSeconds", "AdvanceSeconds"))
    if sum(x is not None for x in (epoch, offset, adv)) > 1:
        raise ValidationException("Give at most one of Epoch, OffsetSeconds, AdvanceSeconds")
    if adv is not None:
        now = model.clock.advance(adv)
    else:
        now = model.clock.set(epoch=epoch, offset=offset, frozen=bool(request.get("Frozen")))
    return {"Now": now}


def sweep_ttl(model, request: Dict[str, Any]) -> Dict[str, Any]:
    return {"Deleted": model.ttl.sweep_now()}


OPERATIONS: Dict[str, Callable[[Any, Dict[str, Any]], Dict[str, Any]]] = {
    "SetClock": set_clock,
    "SweepTimeToLive": sweep_ttl,
}


def dispatch(model, op: str, request: Any) -> Dict[str, Any]:
    fn = OPERATIONS.get(op)
    if fn is None:
        raise UnknownOperationException()
    if request is None:
        request = {}
    if not isinstance(request, dict):
        raise SerializationException.not_json()
    return fn(model, request)
