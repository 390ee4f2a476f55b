"""TransactWriteItems and TransactGetItems over the engine: table locks, the read-check-write of all actions,
cancellation reasons, and ClientRequestToken idempotency.

api/transact.py validates the request and builds one `WriteAction` / `GetAction` per TransactItems member;
this module runs them. The steps of a write transaction, in order:

    1. lock       the locks of every involved table, in sorted name order (TX3)
    2. read       every action's current item: the pre-transaction state (TX1)
    3. check      each action in request order: a reason found while validating, else its condition, else
                  the new item (an Update's result, its index keys, its size) -> one reason per action
    4. cancel     if any reason is not "None": TransactionCanceledException, nothing written (TX4)
    5. write      the items and all their index entries, across tables, as ONE engine batch (TX2)
    6. unlock, then wait for durability per the sync mode (TX5)

CANCELLATION REASONS (one per action, request order; shapes from boto/boto3#2657, aws/aws-sdk-net#1292)
    {"Code": "None"}                                                        the action would have succeeded
    {"Code": "ConditionalCheckFailed", "Item"?: old, "Message": "The conditional request failed"}
                                                                            Item with ALL_OLD and an old item
    {"Code": "ValidationError", "Message": <text>}                          found while executing the action:
        a key of the wrong type or shape (Put: PutItem's "Type mismatch for key ..." / "Missing the key ...";
        Update/Delete/ConditionCheck/Get: "The provided key element does not match the schema"), an index
        key of the wrong type, an update that cannot apply to the stored item, an updated item over 400 KB.
        Captured against DynamoDB: paritysuite/dynamodb-conformance tests/tier3/error-messages/
        transactWriteItems.test.ts and transactGetItems.test.ts (four regions), PR #60; dynoxide's
        transact_write_items.rs notes the Put-size / Update-size split (eu-west-2).
    Empty key values, an empty index key value and a Put item over 400 KB are plain ValidationExceptions,
    raised before anything runs (same sources).
    {"Code": "ItemCollectionSizeLimitExceeded", "Message": "Collection size exceeded."}
                                                                            a write would grow an item
        collection of a table with LSIs past 10 GB (model/indexes.py C3; code and message as the API
        reference's TransactionCanceledException lists them under "Cancellation reason codes")

IDEMPOTENCY (API reference, TransactWriteItems ClientRequestToken)
    A token is valid for 10 minutes after the first request that used it completed; a repeat with the same
    TransactItems within that window returns success without applying anything again; a repeat with other
    TransactItems is IdempotentParameterMismatchException. Member order inside the JSON does not matter
    (localstack/localstack#6529, checked against AWS: we compare decoded values). A replay reports its
    ConsumedCapacity as transactional *read* units of the items the first call was charged for
    (paritysuite/dynamodb-conformance PR #67, #74: 4 WCU first, 2 RCU on replay for a ~1.5 KB item).
    Only successful transactions are remembered: a cancelled one changed nothing and may be retried. A
    second request with a token whose first request is still running waits for it and then replays.
    Tokens are kept in memory: they do not survive a restart of the process.

INVARIANTS
    (TX1) Every condition and every update is evaluated against the state before the transaction: all items
          are read under the locks before any action is applied, and an item is the target of one action.
    (TX2) A committed transaction is one engine batch (one WAL record), items and index entries of every
          table together, so after a crash it is wholly present or wholly absent.
    (TX3) Locks are taken in sorted table-name order, and single-item writes take one lock, so transactions
          and item writes serialise without deadlock; a TransactGetItems holds the same locks and therefore
          reads a state between transactions.
    (TX4) A cancelled transaction writes nothing and its CancellationReasons has one entry per action.
    (TX5) The durability wait happens after the locks are released (model/database.py T2), so concurrent
          transactions share fdatasyncs; a transaction is acknowledged only once durable (sync="full").
    (TX6) A ClientRequestToken applies a transaction at most once within its 10-minute window (model.clock).
"""
from __future__ import annotations

import copy
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable

from pyddb.errors import (
    CONDITIONAL_CHECK_FAILED_REASON,
    IdempotentParameterMismatchException,
    ItemCollectionSizeLimitExceededException,
    ResourceNotFoundException,
    TransactionCanceledException,
    ValidationException,
    cancellation_reason,
)
from pyddb.model import streams
from pyddb.model.schema import TableDef
from pyddb.types import codec, size
from pyddb.types.invalid import InvalidValue

Item = dict[str, Any]

TOKEN_TTL_SECONDS = 600.0   # "valid for 10 minutes after the first request that uses it is completed"

# The text DynamoDB's API model gives the error ("DynamoDB rejected the request because you retried a request
# with a different payload but with an idempotent token that was already used."; botocore
# data/dynamodb/2012-08-10/service-2.json). NOT CONFIRMED as the runtime message: no capture of the service's
# body was found (aws/aws-sdk-go-v2#1900 shows DynamoDB Local sending none).
IDEMPOTENT_MISMATCH = ("DynamoDB rejected the request because you retried a request with a different payload "
                       "but with an idempotent token that was already used.")

# Texts that DynamoDB reports as a plain ValidationException even when they arise inside a transaction
# (empty key or index-key values; paritysuite conformance transactIndexKeys.test.ts).
_UPFRONT_PREFIX = "One or more parameter values are not valid."


def none_reason() -> dict[str, Any]:
    return cancellation_reason("None")


def validation_reason(message: str) -> dict[str, Any]:
    return cancellation_reason("ValidationError", message)


def is_upfront(err: Any) -> bool:
    """Whether a validation failure found while checking an action is one DynamoDB reports before the
    transaction runs (a plain ValidationException) rather than as a ValidationError cancellation reason:
    the empty-value texts of keys and index keys."""
    return (err.message or "").startswith(_UPFRONT_PREFIX)


# ---- locks ----------------------------------------------------------------------------------------------


@contextmanager
def lock_tables(model, names, expected=None) -> Iterator[dict[str, TableDef]]:
    """Hold the locks of the tables `names` in sorted order (TX3); yields their current definitions (taken
    under the locks, so a definition changed meanwhile by the control plane is seen in its new form).
    `expected` (the TableDefs the request was validated against) makes a table deleted, or deleted and
    created again, since the request looked it up a ResourceNotFoundException (model/database.py T4)."""
    ordered = sorted(set(names))
    ids = {t.name: t.table_id for t in expected or ()}
    locks = []
    try:
        for name in ordered:
            lock = model.table_lock(name)       # ResourceNotFoundException when deleted meanwhile
            lock.acquire()
            locks.append(lock)
        tables = {}
        for name in ordered:
            t = model.tables.get(name)
            if t is None or ids.get(name, t.table_id) != t.table_id:   # deleted after the request's lookup
                raise ResourceNotFoundException.table(name)
            tables[name] = t
        yield tables
    finally:
        for lock in reversed(locks):
            lock.release()


# ---- actions ----------------------------------------------------------------------------------------------


@dataclass
class WriteAction:
    """One TransactItems member, validated: api/transact.py builds it."""
    kind: str                                   # "Put" | "Update" | "Delete" | "ConditionCheck"
    table: str                                  # table name
    pk: bytes = b""
    sk: bytes = b""
    key: Item | None = None                  # the key attributes (Update: the base of a new item)
    item: Item | None = None                 # Put: the new item
    condition: Callable[[Item], bool] | None = None
    plan: Any = None                            # Update: expressions.UpdatePlan
    return_old: bool = False                    # ReturnValuesOnConditionCheckFailure == ALL_OLD
    reason: dict[str, Any] | None = None     # a ValidationError found before execution


@dataclass
class WriteOutcome:
    """What a committed transaction did, per action in request order: the item before and after (after is
    None for a Delete and a ConditionCheck)."""
    olds: list[Item | None] = field(default_factory=list)
    news: list[Item | None] = field(default_factory=list)


def execute_write(model, actions: list[WriteAction], expected=None) -> WriteOutcome:
    """Run a validated transaction (steps 1-6 of the module docstring). Raises TransactionCanceledException
    with one reason per action when any action fails; otherwise everything is written in one batch.
    `expected`: the TableDefs the actions were validated against (lock_tables)."""
    engine = model.engine
    with lock_tables(model, (a.table for a in actions), expected) as tables:
        olds: list[Item | None] = []
        for a in actions:                                   # (TX1) the state before the transaction
            if a.reason is not None:
                olds.append(None)
                continue
            raw = engine.get(tables[a.table].keyspace, a.pk, a.sk)
            olds.append(None if raw is None else codec.decode(raw))
        reasons: list[dict[str, Any]] = []
        news: list[Item | None] = []
        failed = False
        for a, old in zip(actions, olds):
            reason, new = _check_action(model, tables[a.table], a, old)
            failed = failed or reason["Code"] != "None"
            reasons.append(reason)
            news.append(new)
        if failed:                                          # (TX4)
            raise TransactionCanceledException(cancellation_reasons=reasons)
        ops: list[tuple] = []
        for i, (a, old, new) in enumerate(zip(actions, olds, news)):
            if a.kind == "ConditionCheck":
                continue
            t = tables[a.table]
            if new is not None:
                ops.append((t.keyspace, a.pk, a.sk, codec.encode(new)))
            elif old is not None:
                ops.append((t.keyspace, a.pk, a.sk, None))
            else:
                continue                                    # deleting a missing item writes nothing
            try:
                ops += model.index_ops(t, old, new)         # index entries and collection counters
                ops += streams.log_ops(model, t, old, new)  # the stream record (model/streams.py)
            except ItemCollectionSizeLimitExceededException as e:
                reasons[i] = cancellation_reason("ItemCollectionSizeLimitExceeded", e.message)
                failed = True
        if failed:                                          # (TX4) an LSI collection would pass 10 GB
            raise TransactionCanceledException(cancellation_reasons=reasons)
        lsn = engine.write_batch(ops, sync=False) if ops else None   # (TX2) one batch
    if lsn is not None:
        model.wait_durable(lsn)                             # (TX5) outside the locks
    return WriteOutcome(olds, news)


def _check_action(model, t: TableDef, a: WriteAction, old: Item | None) -> tuple[dict[str, Any], Any]:
    """(reason, new item) of one action against the pre-transaction state."""
    if a.reason is not None:
        return a.reason, None
    if a.condition is not None and not a.condition(old if old is not None else {}):
        return cancellation_reason("ConditionalCheckFailed", CONDITIONAL_CHECK_FAILED_REASON,
                                   old if (a.return_old and old) else None), None
    if a.kind == "Put":
        return none_reason(), a.item
    if a.kind == "Update":
        try:
            base = old if old is not None else dict(a.key)
            new = a.plan.apply(base) if a.plan is not None else dict(base)
            model.check_index_keys(t, new)
            size.check_item_size(new, update=True)
        except (ValidationException, InvalidValue) as e:
            if is_upfront(e):
                raise ValidationException(e.message) from None
            return validation_reason(e.message), None       # incl. "Item size to update has exceeded ..."
        return none_reason(), new
    return none_reason(), None                              # Delete, ConditionCheck


# ---- TransactGetItems ----------------------------------------------------------------------------------


@dataclass
class GetAction:
    table: str
    pk: bytes = b""
    sk: bytes = b""
    projection: Any = None                      # expressions.ProjectionPlan or None
    reason: dict[str, Any] | None = None


def execute_get(model, actions: list[GetAction], expected=None) -> list[Item | None]:
    """Read every item under the locks of all involved tables (TX3): the result is one consistent state.
    Raises TransactionCanceledException when an action carries a ValidationError."""
    if any(a.reason is not None for a in actions):
        raise TransactionCanceledException(
            cancellation_reasons=[a.reason if a.reason is not None else none_reason() for a in actions])
    engine = model.engine
    with lock_tables(model, (a.table for a in actions), expected) as tables:
        raws = [engine.get(tables[a.table].keyspace, a.pk, a.sk) for a in actions]
    return [None if raw is None else codec.decode(raw) for raw in raws]


# ---- ClientRequestToken ---------------------------------------------------------------------------------


@dataclass
class _Done:
    request: Any                    # the TransactItems the token was first used with
    completed_at: float             # model.clock() when that request completed
    result: Any                     # what the caller stored (for a replay)


class TokenRegistry:
    """ClientRequestTokens of one model (TX6). `begin` returns the stored result of a completed request
    (a replay), or None after marking the token as running; `finish` records the outcome."""

    def __init__(self, clock: Callable[[], float]):
        self._clock = clock
        self._cond = threading.Condition()
        self._done: dict[str, _Done] = {}
        self._running: dict[str, Any] = {}

    def begin(self, token: str, request: Any) -> Any | None:
        with self._cond:
            while True:
                self._expire()
                done = self._done.get(token)
                if done is not None:
                    if done.request != request:
                        raise IdempotentParameterMismatchException(IDEMPOTENT_MISMATCH)
                    return done.result
                if token not in self._running:
                    self._running[token] = copy.deepcopy(request)
                    return None
                self._cond.wait()   # the first request with this token is still running: wait for it

    def finish(self, token: str, result: Any | None) -> None:
        """Record the result of a successful request (None: it failed, forget the token)."""
        with self._cond:
            request = self._running.pop(token)
            if result is not None:
                self._done[token] = _Done(request, self._clock(), result)
            self._cond.notify_all()

    def _expire(self) -> None:
        now = self._clock()
        stale = [tok for tok, d in self._done.items() if now - d.completed_at > TOKEN_TTL_SECONDS]
        for tok in stale:
            del self._done[tok]


_REGISTRIES: weakref.WeakKeyDictionary[Any, TokenRegistry] = weakref.WeakKeyDictionary()
_REGISTRIES_LOCK = threading.Lock()


def tokens(model) -> TokenRegistry:
    """The token registry of `model` (one per open database)."""
    reg = _REGISTRIES.get(model)
    if reg is None:
        with _REGISTRIES_LOCK:
            reg = _REGISTRIES.get(model)
            if reg is None:
                ref = weakref.ref(model)         # the registry must not keep its model alive
                reg = _REGISTRIES[model] = TokenRegistry(lambda: ref().clock())
    return reg
