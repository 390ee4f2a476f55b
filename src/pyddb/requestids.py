"""Request ids shaped like DynamoDB's: 52 characters of [0-9A-Z] (dynalite index.js rand52CharId).

No imports beyond the standard library: the server (which never loads botocore) and the client share it.
    new_request_id()   a random id (os.urandom per call): for errors and other rare answers
    next_request_id()  a random per-process prefix and a counter: unique in the process, DynamoDB's shape,
                       without a getrandom syscall per call (a measurable part of a GetItem: issue 3)
"""
import base64
import itertools
import os


def new_request_id() -> str:
    return base64.b64encode(os.urandom(39)).decode("ascii").upper().replace("+", "0").replace("/", "0")


_format = ("%s%%012X" % new_request_id()[:40]).__mod__
_counter = itertools.count(1)


def next_request_id() -> str:
    return _format(next(_counter))
