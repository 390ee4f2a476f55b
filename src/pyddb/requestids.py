"""Request ids shaped like DynamoDB's: 52 characters of [0-9A-Z] (dynalite index.js rand52CharId).

No imports beyond the standard library: the server (which never loads botocore) and the client share it.
    new_request_id()   a random id (os.urandom per call): for errors and other rare answers
    next_request_id()  a random per-process prefix and a counter: unique in the process, DynamoDB's shape,
                       without a getrandom syscall per call (a measurable part of a GetItem: issue 3)
    next_request_id_bytes()  the same ids (same prefix, same counter) as ASCII bytes, for the server's head
"""
import base64
import functools
import itertools
import os


def new_request_id() -> str:
    return base64.b64encode(os.urandom(39)).decode("ascii").upper().replace("+", "0").replace("/", "0")


_prefix = new_request_id()[:40]
_format = (_prefix + "%012X").__mod__
_counter = itertools.count(1)          # next() on it is atomic: threads share it safely
# one C call chain per id (no Python frame): the server makes one per request
next_request_id_bytes = functools.partial(next, map((_prefix.encode("ascii") + b"%012X").__mod__, _counter))


def next_request_id() -> str:
    return _format(next(_counter))
