"""An LRU of parse results keyed by (kind, text); the same LRU keeps resolved expressions (lookup/store).

Parsing depends on nothing but the expression kind and text, so the result (a tree, or the validation error
DynamoDB gives for that text) is cached. Names and values are substituted per request by resolve.py.

INVARIANTS
    (C1) a cached tree is never modified: resolution and evaluation build new objects (ast.py nodes are
         frozen dataclasses; resolve.py returns new nodes).
    (C2) a cached failure re-raises a new exception with the same message (exceptions carry tracebacks and
         must not be shared between requests).
    (C3) at most `maxsize` entries; the least recently used goes first. Safe under threads: a race can at
         worst parse the same text twice.
"""
import threading
from collections import OrderedDict

from . import messages as msg


class ParseCache:
    __slots__ = ("_data", "_lock", "hits", "maxsize", "misses")

    def __init__(self, maxsize: int = 4096):
        self.maxsize = maxsize
        self._data = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key, parse):
        """The cached result for key, or parse() stored under key (C1-C3)."""
        data = self._data
        try:
            entry = data[key]
        except KeyError:
            self.misses += 1
            try:
                entry = (True, parse())
            except msg.ValidationException as e:
                entry = (False, str(e.args[0]) if e.args else str(e))
            with self._lock:
                data[key] = entry
                if len(data) > self.maxsize:
                    data.popitem(last=False)
        else:
            self.hits += 1
            with self._lock:
                if key in data:
                    data.move_to_end(key)
        ok, value = entry
        if ok:
            return value
        raise msg.ValidationException(value)  # (C2)

    def lookup(self, key):
        """The value store() kept under key, or None. (For results that are never failures: C2 is the
        caller's; C1 holds for whatever is stored.)"""
        value = self._data.get(key)
        if value is None:
            self.misses += 1
            return None
        self.hits += 1
        try:
            self._data.move_to_end(key)      # (one C call under the GIL; an eviction meanwhile: KeyError)
        except KeyError:
            pass
        return value

    def store(self, key, value) -> None:
        with self._lock:
            self._data[key] = value
            if len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def clear(self):
        with self._lock:
            self._data.clear()

    def __len__(self):
        return len(self._data)
