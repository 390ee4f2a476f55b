"""DynamoDB's JSON 1.0 protocol over one parsed HTTP request: checks, dispatch, the response bytes.

No sockets here: `Handler.handle(request)` takes a parsed request (method, URL, headers, body, peer) and
returns the complete HTTP/1.1 response as one bytes object, so the transport (app.py) writes it in one call.

ORDER OF CHECKS (dynalite index.js and test/connection.js, which record DynamoDB's answers to these requests)
    1. GET (any path)          -> 200 "healthy: dynamodb.<region>.amazonaws.com " (text, no JSON)
       OPTIONS with Origin     -> 200 CORS preflight, empty body
    2. not POST, or a body whose Content-Type (before any ';', trimmed) is neither application/json nor
       application/x-amz-json-1.0
                               -> 404 "<UnknownOperationException/>\\n"
    3. body not JSON (incl. invalid UTF-8, NaN/Infinity, nesting too deep for the parser, a bad gzip body)
                               -> 400 {"__type": "com.amazon.coral.service#SerializationException"}
    4. X-Amz-Target not "DynamoDB_20120810.<Op>" (or "DynamoDBStreams_20120810.<StreamsOp>") naming an
       operation pyddb serves  -> 400 {"__type": "com.amazon.coral.service#UnknownOperationException"}
    5. authentication (auth.py): MissingAuthenticationToken, IncompleteSignature, InvalidSignature,
       UnrecognizedClient
    6. empty body              -> 400 SerializationException (no message)
    7. api.dispatch(model, op, body, wire=True): JSON types (SerializationException), constraints
       (ValidationException), then the operation.
    A body over MAX_BODY_BYTES (16 MiB, raw or after gzip) never gets here: app.py answers 413 with an empty
    chunked body and closes (dynalite test/connection.js "should return 413 if request too large").

RESPONSE (every answer from step 1 on)
    x-amzn-RequestId: 52 characters [0-9A-Z]: a random per-process prefix and a counter
    x-amz-crc32: CRC32 of the body bytes, unsigned decimal (botocore checks it for DynamoDB)
    Content-Type: the request's own JSON type (application/x-amz-json-1.0 or application/json; the latter
                  when the request had none); Content-Length; Date.
    Body: the api's response dict as JSON. `bytes` (B, BS) become base64 text; datetimes become epoch seconds.
    Errors: DynamoDBError.to_wire() -> (status, envelope).

INVARIANTS
    (P1) handle() never raises: an unexpected exception becomes a 500 InternalServerError (and is logged).
    (P2) The request dict given to dispatch is the parsed body itself; nothing else is added.
    (P3) Every response carries x-amzn-RequestId, and every non-empty one x-amz-crc32.
"""
from __future__ import annotations

import base64
import json
import logging
import re
import time
import zlib
from datetime import datetime, timezone
from email.utils import formatdate
from typing import Any, Dict, List, Optional, Tuple

import httptools

from pyddb import api
from pyddb.api import pyddb_ops
from pyddb.errors import (
    DynamoDBError,
    InternalServerError,
    SerializationException,
    UnknownOperationException,
)
from pyddb.requestids import new_request_id, next_request_id, next_request_id_bytes


log = logging.getLogger("pyddb.server")
_HttpParserError = httptools.HttpParserError
_HttpParserUpgrade = httptools.HttpParserUpgrade

MAX_BODY_BYTES = 16 * 1024 * 1024   # DynamoDB's request limit (dynalite index.js MAX_REQUEST_BYTES)
MAX_HEADER_BYTES = 64 * 1024        # request line and headers; past it: 400 and close (app.py A3)
MAX_QUEUED = 16                     # pipelined requests held per connection before reading pauses (app.py A1)
REGION = "us-east-1"

JSON_TYPES = ("application/x-amz-json-1.0", "application/json")
_AMZ_JSON = JSON_TYPES[0]
DYNAMODB_PREFIX = "DynamoDB_20120810."
STREAMS_PREFIX = "DynamoDBStreams_20120810."
STREAMS_OPERATIONS = frozenset({"DescribeStream", "GetRecords", "GetShardIterator", "ListStreams"})

# Served on the event loop: short reads. Everything else (writes, control plane, Scan) runs in the write pool
# so an fsync never stalls other connections (app.py).
INLINE_OPERATIONS = frozenset({
    "GetItem", "BatchGetItem", "Query", "TransactGetItems", "DescribeTable", "ListTables",
    "DescribeLimits", "DescribeEndpoints", "ListTagsOfResource", "DescribeTimeToLive",
    "DescribeContinuousBackups", "DescribeStream", "GetShardIterator", "ListStreams", "GetRecords",
})

# Single-item writes run on the event loop too while the model says they wait for nothing slow
# (DynamoDB.quick_writes: no fdatasync, no checkpoint near or running): the hop to the write pool costs more
# than the write itself (docs/server.md, "Inline writes").
INLINE_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem"})

HEALTH_BODY = ("healthy: dynamodb.%s.amazonaws.com " % REGION).encode()   # dynalite test/connection.js
NOT_FOUND_BODY = b"<UnknownOperationException/>\n"                       # same source: crc32 3552371480

_REASONS = {200: b"OK", 400: b"Bad Request", 404: b"Not Found", 413: b"Request Entity Too Large",
            500: b"Internal Server Error", 503: b"Service Unavailable"}


class Request:
    """One parsed HTTP request. `headers`: lower-case name -> value (repeated headers joined by ',')."""

    __slots__ = ("body", "headers", "keep_alive", "method", "peer", "url")

    def __init__(self, method: str, url: str, headers: Dict[str, str], body: bytes,
                 keep_alive: bool = True, peer: Optional[str] = None) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.keep_alive = keep_alive
        self.peer = peer


class BodyTooLarge(Exception):
    """The body (raw or decompressed) is over MAX_BODY_BYTES: app.py answers 413 and closes."""


# ---- JSON ------------------------------------------------------------------------------------------------


def _reject_constant(name: str) -> Any:
    raise ValueError("JSON has no %s" % name)       # NaN, Infinity, -Infinity: not JSON (RFC 8259)


_decoder = json.JSONDecoder(parse_constant=_reject_constant)


def _json_default(o: Any) -> Any:
    if isinstance(o, (bytes, bytearray, memoryview)):
        return base64.b64encode(o).decode("ascii")
    if isinstance(o, datetime):
        if o.tzinfo is None:
            o = o.replace(tzinfo=timezone.utc)
        return o.timestamp()
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    if hasattr(o, "as_tuple"):                       # Decimal: a JSON number with the same digits
        return float(o) if o != o.to_integral_value() else int(o)
    raise TypeError("not JSON serializable: %s" % type(o).__name__)


_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False,
                            default=_json_default)
_ascii_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True, check_circular=False,
                                  default=_json_default)


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
ORJSON_MAX_BRACKETS = 500                  # far below json's recursion limit (sys.getrecursionlimit())
# loads' pre-check in one pass: digits -> "0", brackets ("[", "{") -> "[", every other byte -> " "; then a
# body has a run of 19+ digits (an integer orjson would read past 64 bits as a float: left to json) iff
# _DIGIT_RUN is in its image, and its bracket count is the image's count of "[". (A regex search for
# [0-9]{19} costs ~2.3 us on a 250-byte PutItem body, this ~0.4 us.)
_PRECHECK = bytes(48 if 48 <= c <= 57 else 91 if c in (91, 123) else 32 for c in range(256))
_DIGIT_RUN = b"0" * 19

try:                                        # a dependency; json alone gives the same answers, more slowly
    import orjson as _orjson
except ImportError:                         # pragma: no cover
    _orjson = None
else:
    _orjson_loads = _orjson.loads
    _orjson_dumps = _orjson.dumps
    _ORJSON_OPTIONS = _orjson.OPT_PASSTHROUGH_DATETIME   # datetimes go to _json_default (epoch seconds)


def loads(body: bytes) -> Any:
    """Parse a request body as DynamoDB does: strict UTF-8 JSON. Raises SerializationException (no message).

    A string escape that leaves a lone UTF-16 surrogate ("\\ud800" unpaired) is rejected too: such a string
    has no UTF-8 form, and DynamoDB stores UTF-8 (decision; DynamoDB's own answer is not recorded).

    orjson parses when it can: it is stricter than json (it refuses lone surrogates, NaN, numbers that
    overflow a double), so whatever it refuses, and any body with a 19+ digit run (an integer it would read
    as a float), is decided by the json path below, which is the reference. So is a body with more than
    ORJSON_MAX_BRACKETS brackets: it may nest deeper than json's recursion limit, which orjson (depending on
    its version) accepts; fewer cannot, and such a body parses alike either way."""
    if _orjson is not None:
        image = body.translate(_PRECHECK)
        if image.count(b"[") <= ORJSON_MAX_BRACKETS and _DIGIT_RUN not in image:
            try:
                return _orjson_loads(body)
            except ValueError:                      # orjson.JSONDecodeError; decided below
                pass
    try:
        data = _decoder.decode(body.decode("utf-8"))
        if _SURROGATE_ESCAPE.search(body):          # rare: only then look for an unpaired one
            _encoder.encode(data).encode("utf-8")
        return data
    except (ValueError, RecursionError):            # JSONDecodeError, UnicodeDecodeError/EncodeError
        raise SerializationException.not_json() from None


def dumps(obj: Any) -> bytes:
    """The response body (compact UTF-8 JSON). orjson writes it when it can; what it refuses (an integer past
    64 bits, a string holding a lone surrogate, a non-string key) goes through json, where strings holding
    lone surrogates (accepted as JSON escapes in a request) go out escaped rather than as invalid UTF-8."""
    if _orjson is not None:
        try:
            return _orjson_dumps(obj, default=_json_default, option=_ORJSON_OPTIONS)
        except TypeError:                           # orjson.JSONEncodeError
            pass
    text = _encoder.encode(obj)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _ascii_encoder.encode(obj).encode("ascii")


def decode_body(raw: bytes, content_encoding: Optional[str]) -> bytes:
    """Undo Content-Encoding (gzip, deflate, identity). Raises BodyTooLarge past MAX_BODY_BYTES after
    decompression, SerializationException for a body that does not decompress or an unknown coding."""
    if not content_encoding:
        return raw
    body = raw
    for coding in reversed([c.strip().lower() for c in content_encoding.split(",") if c.strip()]):
        if coding == "identity":
            continue
        if coding in ("gzip", "x-gzip"):
            wbits = 16 + zlib.MAX_WBITS
        elif coding == "deflate":
            wbits = zlib.MAX_WBITS
        else:
            raise SerializationException.not_json()
        d = zlib.decompressobj(wbits)
        try:
            out = d.decompress(body, MAX_BODY_BYTES + 1)
        except zlib.error:
            raise SerializationException.not_json() from None
        if len(out) > MAX_BODY_BYTES:
            raise BodyTooLarge()
        if not d.eof or d.unused_data:
            raise SerializationException.not_json()
        body = out
    return body


# ---- response bytes --------------------------------------------------------------------------------------

_date_cache: List[Any] = [0, b""]


def http_date() -> bytes:
    now = int(time.time())
    if now != _date_cache[0]:
        _date_cache[0] = now
        _date_cache[1] = formatdate(now, usegmt=True).encode("ascii")
    return _date_cache[1]


def render(status: int, body: bytes, content_type: Optional[bytes], request_id: Any,
           keep_alive: bool, extra: Tuple[bytes, ...] = ()) -> bytes:
    """A complete HTTP/1.1 response. `request_id`: str or ASCII bytes. `extra` holds ready header lines
    ("Name: value\\r\\n")."""
    if type(request_id) is str:
        request_id = request_id.encode("ascii")
    if status == 200 and body and content_type is not None and request_id is not None and not extra:
        return _OK_HEAD % (request_id, zlib.crc32(body), content_type, len(body), http_date(),
                           b"" if keep_alive else b"Connection: close\r\n") + body     # the common case
    parts = [b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b"Unknown"))]
    if request_id is not None:
        parts.append(b"x-amzn-RequestId: %s\r\n" % request_id)
    if body:
        parts.append(b"x-amz-crc32: %d\r\n" % zlib.crc32(body))
    if content_type is not None:
        parts.append(b"Content-Type: %s\r\n" % content_type)
    parts.extend(extra)
    parts.append(b"Content-Length: %d\r\nDate: %s\r\n" % (len(body), http_date()))
    if not keep_alive:
        parts.append(b"Connection: close\r\n")
    parts.append(b"\r\n")
    parts.append(body)
    return b"".join(parts)


_OK_HEAD = (b"HTTP/1.1 200 OK\r\nx-amzn-RequestId: %s\r\nx-amz-crc32: %d\r\nContent-Type: %s\r\n"
            b"Content-Length: %d\r\nDate: %s\r\n%s\r\n")


def error_body(err: DynamoDBError) -> Tuple[int, bytes]:
    status, envelope = err.to_wire()
    return status, dumps(envelope)


# ---- the protocol ----------------------------------------------------------------------------------------


# X-Amz-Target -> (operation, where it runs: _INLINE, _INLINE_WRITE or _POOLED), for every target operation_of
# has resolved to an operation (so at most one entry an operation): what operation_of and is_inline would
# compute from the target again, looked up instead. An entry is used only while its operation is in
# api.OPERATIONS.
_ROUTES: Dict[str, Tuple[str, int]] = {}
_INLINE, _INLINE_WRITE, _POOLED = 0, 1, 2


def operation_of(target: Optional[str]) -> Optional[str]:
    """The operation an X-Amz-Target names, or None when it names none pyddb serves."""
    if not target:
        return None
    route = _ROUTES.get(target)
    if route is not None and route[0] in api.OPERATIONS:
        return route[0]
    if not api._LOADED:
        api._load()
    if target.startswith(DYNAMODB_PREFIX):
        op = target[len(DYNAMODB_PREFIX):]
        if op in STREAMS_OPERATIONS:
            return None
    elif target.startswith(STREAMS_PREFIX):
        op = target[len(STREAMS_PREFIX):]
        if op not in STREAMS_OPERATIONS:
            return None
    else:
        return None
    if op not in api.OPERATIONS:
        return None
    _ROUTES[target] = (op, _INLINE if op in INLINE_OPERATIONS else _INLINE_WRITE if op in INLINE_WRITES
                       else _POOLED)
    return op


def is_inline(request: Request, quick_writes: Any = None) -> bool:
    """Whether this request may run on the event loop (a short read, or a single-item write while
    `quick_writes()`, the model's DynamoDB.quick_writes, holds) rather than in the write pool."""
    target = request.headers.get("x-amz-target")
    if not target:
        return True                                 # rejected before any work
    route = _ROUTES.get(target)
    if route is not None and route[0] in api.OPERATIONS:
        where = route[1]
        if where == _INLINE:
            return True
        return where == _INLINE_WRITE and quick_writes is not None and quick_writes()
    op = target.rpartition(".")[2]
    if op in INLINE_OPERATIONS or op not in api.OPERATIONS:
        return True
    return op in INLINE_WRITES and quick_writes is not None and quick_writes()


class Handler:
    """The JSON 1.0 protocol: `handle(request)` -> the complete HTTP response bytes (P1)."""

    def __init__(self, model: Any, authenticator: Any) -> None:
        self.model = model
        self.auth = authenticator
        # is_inline's quick_writes: single-item writes may run inline unless every write waits for fdatasync
        self.quick_writes = model.quick_writes if getattr(model, "sync_mode", "full") != "full" else None
        if not api._LOADED:
            api._load()

    def handle(self, req: Request) -> bytes:
        keep_alive = req.keep_alive
        rid = next_request_id_bytes()
        headers = req.headers
        origin = b"Access-Control-Allow-Origin: *\r\n" if "origin" in headers else None
        extra: Tuple[bytes, ...] = (origin,) if origin else ()
        method = req.method
        if method == "GET":
            return render(200, HEALTH_BODY, None, rid, keep_alive, extra)
        if method == "OPTIONS" and origin:
            return render(200, b"", None, rid, keep_alive, _cors_preflight(headers))
        ctype = headers.get("content-type", "")
        if ctype != _AMZ_JSON:                      # the SDKs' own, as is: nothing to split or strip
            ctype = ctype.split(";", 1)[0].strip()
        if method != "POST" or (req.body and ctype not in JSON_TYPES):
            return render(404, NOT_FOUND_BODY, None, rid, keep_alive, extra)
        response_type = b"application/x-amz-json-1.0" if ctype == _AMZ_JSON else b"application/json"
        try:
            status, body = 200, self._call(req, headers)
        except BodyTooLarge:
            raise
        except DynamoDBError as e:
            status, body = error_body(e)
        except Exception:                           # (P1)
            log.exception("internal error serving %s", headers.get("x-amz-target"))
            status, body = error_body(InternalServerError())
        return render(status, body, response_type, rid, keep_alive, extra)

    def _call(self, req: Request, headers: Dict[str, str]) -> bytes:
        body = req.body
        if "content-encoding" in headers:
            body = decode_body(body, headers["content-encoding"])
        data = loads(body) if body else None
        target = headers.get("x-amz-target") or ""
        route = _ROUTES.get(target)
        if route is not None and route[0] in api.OPERATIONS:
            op = route[0]                           # a target operation_of resolved before (the usual case)
        else:
            if target.startswith(pyddb_ops.PREFIX):    # pyddb's own operations (api/pyddb_ops.py)
                self.auth.check(req)
                return dumps(pyddb_ops.dispatch(self.model, target[len(pyddb_ops.PREFIX):], data))
            op = operation_of(target)
            if op is None:
                raise UnknownOperationException()
        self.auth.check(req)
        if not body:
            raise SerializationException.not_json()
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s", op, body[:2000])
        return dumps(api.dispatch(self.model, op, data, wire=True))


# Header names as received -> their lower-case str (a dict lookup instead of a decode and a lower() per
# header). Filled as names arrive, up to _HEADER_NAMES_MAX distinct spellings, so a client inventing names
# cannot grow it.
_HEADER_NAMES: Dict[bytes, str] = {}
_HEADER_NAMES_MAX = 512
_METHODS = {m.encode(): m for m in ("POST", "GET", "OPTIONS", "PUT", "HEAD", "DELETE")}


class HttpReader:
    """httptools' parser callbacks, building one `Request` per HTTP message: a mixin of app.HttpConnection,
    here because this module is compiled (the callbacks run for every header of every request: ~3 us a
    request interpreted), and the loop that runs a connection's inline requests and writes their responses
    (`_run`, `_send`: app.py A1, A2, A7), and asyncio's `data_received`. Its fields (`parser`, `transport`,
    `queue`, `busy`, `closed`, `paused`, `wpaused`, `peer`, `handler`, `server` (`submit`, `stopping`),
    `loop`, `last`, the per-message `_url, _raw, _headers, _body, _body_len, _head_len`, `_discard`, `_eof`,
    `_expect`, `_pending`) are C members when compiled (protocol.pxd), else app.HttpConnection's slots, which
    sets them and provides `_fail(bytes)` and `_close()`."""

    __slots__ = ()

    def data_received(self, data: bytes) -> None:
        if self._discard:
            return
        self.last = self.loop.time()
        try:
            self.parser.feed_data(data)
        except _HttpParserUpgrade:
            self._fail(bad_request_response())
        except _HttpParserError as e:
            if self._discard:
                pass
            elif str(e).startswith("Data after"):
                # More bytes after a message with "Connection: close" (llhttp's "Data after `Connection:
                # close`"): the requests up to that one are answered in order and the connection closes after
                # its response (HTTP/1.1, RFC 9112 9.6); what follows it is ignored, not answered 400 (A8).
                self._discard = True
            else:
                self._fail(bad_request_response())

    def _reset(self) -> None:
        self._url = b""
        self._raw = {}             # lower-case name -> value, as the head arrives (then a chunked body's
                                   # trailers)
        self._headers = {}         # the head's, when it is complete
        self._body = []
        self._body_len = 0
        self._head_len = 0

    def on_message_begin(self) -> None:
        self._reset()

    def on_url(self, url: bytes) -> None:
        n = self._head_len + len(url)
        self._head_len = n
        if n > MAX_HEADER_BYTES:
            self._fail(bad_request_response())
            raise _HttpParserError("header too large")
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        n = self._head_len + len(name) + len(value)
        self._head_len = n
        if n > MAX_HEADER_BYTES:
            self._fail(bad_request_response())
            raise _HttpParserError("header too large")
        key = _HEADER_NAMES.get(name)
        if key is None:
            key = name.decode("latin-1").lower()
            if len(_HEADER_NAMES) < _HEADER_NAMES_MAX:
                _HEADER_NAMES[name] = key
        raw = self._raw
        if key in raw:                                       # a repeated header: join the values by ','
            raw[key] = raw[key] + "," + value.decode("latin-1")
        else:
            raw[key] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        headers = self._raw
        self._headers = headers
        self._raw = {}                                       # a chunked body's trailers: read, not used
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
            self._fail(too_large_response())                 # (A3) before reading the body
            raise _HttpParserError("body too large")
        if "expect" in headers and headers["expect"].lower() == "100-continue":
            if self.busy or self.queue:
                self._expect = True                          # (A1) sent by _run once the earlier are answered
            else:
                self._flush()                                # earlier answers first (A1)
                self.transport.write(CONTINUE)

    def on_body(self, body: bytes) -> None:
        n = self._body_len + len(body)
        self._body_len = n
        if n > MAX_BODY_BYTES:
            self._fail(too_large_response())                 # (A3) a chunked body that keeps coming
            raise _HttpParserError("body too large")
        self._body.append(body)

    def on_message_complete(self) -> None:
        parts = self._body
        parser = self.parser
        url = self._url
        method = parser.get_method()
        req = Request(_METHODS.get(method) or method.decode("ascii", "replace"),
                      "/" if url == b"/" else url.decode("latin-1"),
                      self._headers, parts[0] if len(parts) == 1 else b"".join(parts),
                      parser.should_keep_alive(), self.peer)
        self._body = []            # (not kept while the connection waits; the next begin resets the rest)
        if self._expect:
            self._expect = False                             # its body came: no 100 due any more
        queue = self.queue
        queue.append(req)
        if len(queue) > MAX_QUEUED and not self.paused:
            self.paused = True
            if not self.wpaused:                             # else paused already (A9)
                self.transport.pause_reading()
        if not self.busy:
            self._run()

    def _run(self) -> None:
        """Serve queued requests in order: inline ones now, the first pooled one hands off and stops (A1)."""
        handler = self.handler
        queue = self.queue
        while queue and not self.busy and not self.closed and not self.wpaused:    # (A9) wpaused: held
            req = queue.popleft()
            if is_inline(req, handler.quick_writes):
                try:
                    out = handler.handle(req)
                except BodyTooLarge:
                    self._fail(too_large_response())
                    return
                except Exception:                    # handle() does not raise (P1); belt and braces
                    log.exception("internal error serving %s", req.headers.get("x-amz-target"))
                    out = internal_error_response(req)
                self._send(out, req.keep_alive)
            else:
                self.busy = True
                self.server.submit(self, req)
        if self.paused and len(queue) < MAX_QUEUED // 2 and not self.closed and not self.server.stopping:
            self.paused = False
            if not self.wpaused:                             # (A9) else resume_writing resumes it
                self.transport.resume_reading()
        if self._expect and not queue and not self.busy and not self.closed:
            # (A1) the request whose head asked "Expect: 100-continue" waited for the answers to the requests
            # before it: they are all out (or due first), so its interim 100 keeps the order of responses
            self._expect = False
            self._flush()
            self.transport.write(CONTINUE)

    def _send(self, out: bytes, keep_alive: bool) -> None:
        if self.closed:
            return
        pending = self._pending
        pending.append(out)                                  # (A2) written by _flush, soon
        n = len(pending)
        if n == 1:
            server = self.server
            if len(server.connections) > 1:
                server.writes.add(self)                      # when the loop has answered the others too
            else:
                self._flush()                                # no one else to batch with: now
        elif n >= MAX_QUEUED:
            self._flush()                                    # (A9) a long pipelined run: written as it goes,
                                                             # so a client that does not read pauses it
        self.last = self.loop.time()
        if not keep_alive or (self.server.stopping and not self.queue) or (
                self._eof and not self.queue and not self.busy):
            self._close()                                    # which flushes first (A4: after a half-close)

    def _flush(self) -> None:
        """Write the responses due, in order, with one transport.write (A2)."""
        pending = self._pending
        if pending:                                          # (none after connection_lost)
            out = pending[0] if len(pending) == 1 else b"".join(pending)
            pending.clear()
            self.transport.write(out)


class WriteBatch:
    """(app.py A2) The connections with responses due, written once the event loop has run what it has now:
    every request that arrived in one wake-up is answered first, then the responses go out back to back,
    each connection's with one transport.write (as Redis writes its replies before it sleeps). A client
    already woken by the first response reads the rest without being woken again: on loopback, waking a
    sleeping reader was most of a response's write() (PutItem over 8 connections: 38 -> 30 us of server
    CPU, Query 89 -> 68). With one connection open there is nothing to batch with, and responses are
    written at once (batching alone cost it 2-6 us a request and ~10 us of latency)."""

    __slots__ = ("call_soon", "conns", "scheduled")

    def __init__(self, loop: Any) -> None:
        self.call_soon = loop.call_soon
        self.conns: List[Any] = []
        self.scheduled = False

    def add(self, conn: Any) -> None:
        self.conns.append(conn)
        if not self.scheduled:
            self.scheduled = True
            self.call_soon(self.flush)

    def flush(self) -> None:
        self.scheduled = False
        conns = self.conns
        self.conns = []
        for conn in conns:
            try:
                conn._flush()
            except Exception:                   # one transport's failure must not hold the others'
                log.exception("writing responses failed; closing that connection")
                conn.closed = True
                conn._pending.clear()
                conn.transport.abort()


CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


def internal_error_response(req: Request) -> bytes:
    """The answer to an unexpected exception that escaped Handler.handle (its own, P1, is the same): a 500
    with DynamoDB's `com.amazonaws.dynamodb.v20120810#InternalServerError` envelope, the request's JSON
    content type, the CORS header when it sent Origin, and its keep-alive; the server goes on (app.py A7)."""
    headers = req.headers
    ctype = headers.get("content-type", "").split(";", 1)[0].strip()
    response_type = b"application/x-amz-json-1.0" if ctype == JSON_TYPES[0] else b"application/json"
    extra = (b"Access-Control-Allow-Origin: *\r\n",) if "origin" in headers else ()
    status, body = error_body(InternalServerError())
    return render(status, body, response_type, next_request_id(), req.keep_alive, extra)


def _cors_preflight(headers: Dict[str, str]) -> Tuple[bytes, ...]:
    # dynalite index.js / test/connection.js "should set CORS if OPTIONS and Origin"
    out = [b"Access-Control-Allow-Origin: *\r\n"]
    if headers.get("access-control-request-headers"):
        out.append(b"Access-Control-Allow-Headers: %s\r\n"
                   % headers["access-control-request-headers"].encode("latin-1"))
    if headers.get("access-control-request-method"):
        out.append(b"Access-Control-Allow-Methods: %s\r\n"
                   % headers["access-control-request-method"].encode("latin-1"))
    out.append(b"Access-Control-Max-Age: 172800\r\n")
    return tuple(out)


def too_large_response(request_id: Optional[str] = None) -> bytes:
    """413 with an empty chunked body, then the connection closes (the rest of the body is never read)."""
    rid = request_id or new_request_id()
    return (b"HTTP/1.1 413 Request Entity Too Large\r\nx-amzn-RequestId: %s\r\nTransfer-Encoding: chunked\r\n"
            b"Date: %s\r\nConnection: close\r\n\r\n0\r\n\r\n" % (rid.encode("ascii"), http_date()))


def bad_request_response() -> bytes:
    """An HTTP message that does not parse: 400 with no body, then close."""
    return (b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nDate: %s\r\nConnection: close\r\n\r\n"
            % http_date())


__all__ = [
    "MAX_BODY_BYTES",
    "BodyTooLarge",
    "Handler",
    "HttpReader",
    "Request",
    "WriteBatch",
    "bad_request_response",
    "decode_body",
    "dumps",
    "internal_error_response",
    "is_inline",
    "loads",
    "operation_of",
    "render",
    "too_large_response",
]
