"""The operation layer: one function per DynamoDB operation, (model, request dict) -> response dict.

The in-process client, the boto3 hook and the HTTP server all call `dispatch`, so behaviour cannot drift
between interfaces. Order for every operation: shape validation (botocore's model) -> cross-field rules ->
the operation's function (which validates against the table, plans, then writes one engine batch).
"""
from __future__ import annotations

from typing import Any, Callable, Dict

from pyddb.errors import DynamoDBError, SerializationException, UnknownOperationException
from pyddb.types.invalid import InvalidValue
from pyddb.validation.rules import check_rules
from pyddb.validation.shapes import validate_request

Handler = Callable[[Any, Dict[str, Any]], Dict[str, Any]]
OPERATIONS: Dict[str, Handler] = {}
# Shortcuts (issue 3): fn(model, request) -> the response, or None. A shortcut answers only a request it has
# proved would pass the shape and rule checks unchanged (so every error it raises is one the operation itself
# would raise at the same point): over HTTP too, since such a request holds nothing the wire shape walk would
# convert (a base64 B, a null member: attrvalue refuses both, and the shortcut steps aside). For anything else
# it returns None, having changed nothing, and the request takes the checking path. Each is property-tested
# against that path, in both forms (tests/api/test_shortcuts.py).
SHORTCUTS: Dict[str, Handler] = {}


def operation(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        OPERATIONS[name] = fn
        return fn
    return register


def shortcut(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        SHORTCUTS[name] = fn
        return fn
    return register


_LOADED = False


def _load() -> None:
    """Import every module of this package: importing a module registers its operations. (A flag, not
    `if not OPERATIONS`: importing one api module directly registers that module's operations only.)"""
    global _LOADED
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        importlib.import_module("%s.%s" % (__name__, info.name))
    _LOADED = True


def dispatch(model: Any, op: str, request: Dict[str, Any], *, wire: bool = False) -> Dict[str, Any]:
    """Run operation `op`. Raises a pyddb.errors.DynamoDBError for every DynamoDB error."""
    if not _LOADED:
        _load()
    fn = OPERATIONS.get(op)
    if fn is None:
        raise UnknownOperationException()
    try:
        if type(request) is dict:
            quick = SHORTCUTS.get(op)
            if quick is not None:
                out = quick(model, request)
                if out is not None:
                    return out
        request = validate_request(op, request, wire=wire)
        check_rules(op, request)
        return fn(model, request)
    except DynamoDBError:
        raise
    except InvalidValue as e:
        from pyddb import errors
        raise getattr(errors, e.error_type)(e.message) from None
    except UnicodeEncodeError:
        # a str holding a lone UTF-16 surrogate ("\ud800"), which has no UTF-8 form: possible only from Python
        # (the HTTP server and the boto3 hook refuse such a JSON escape before dispatch). Every write encodes
        # its strings (sizes, key bytes, stored form) before its one engine batch, so nothing was written;
        # the answer is the other doors' (server/protocol.py loads): a bare SerializationException.
        raise SerializationException.not_json() from None
