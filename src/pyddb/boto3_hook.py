"""Unmodified boto3 code, in process: `mock_dynamodb()` answers botocore's DynamoDB requests from a pyddb model.

    from pyddb import mock_dynamodb

    with mock_dynamodb():                          # a temporary database, removed at the end of the block
        ddb = boto3.resource("dynamodb")           # no credentials, region or endpoint needed
        ddb.create_table(...)

    @mock_dynamodb("./test-data")                  # persistent: a later block on the same path sees the data
    def test_orders(): ...

Nothing is sent over the network and nothing in the calling code changes: botocore serializes the request,
validates its parameters, and parses the answer with its own parser, so the resource layer, paginators,
waiters, retries and `client.exceptions.<Code>` behave as they do against DynamoDB.

HOW BOTOCORE SENDS A REQUEST (read from botocore's endpoint.py, signers.py, hooks.py, session.py, handlers.py)
    - `Endpoint._do_get_response` emits `before-send.<service-id>.<Operation>` with the prepared request
      (method, url, headers, body bytes); the first handler that returns a response replaces the HTTP send.
      The response then goes through `convert_to_response_dict` (needs `.status_code`, `.headers`,
      `.content`), the retry handler (for DynamoDB it checks `x-amz-crc32` against the body) and the JSON
      parser, which raises `client.exceptions.<Code>` for an error body; modelled error members are added.
    - `RequestSigner._choose_signer` emits `choose-signer.<service-id>.<Operation>` (emit_until_response)
      before signing; `botocore.UNSIGNED` means no signing, and then no credentials are needed.
    - Event names are matched by '.'-separated prefix, most specific first, so a handler for
      `before-send.dynamodb` sees every DynamoDB operation and nothing of `dynamodb-streams` or `s3`.
    - `emit` calls every matching handler even after one answered (only `emit_until_response` stops).
    - A `Session` registers `botocore.handlers.BUILTIN_HANDLERS` when it is created; a client gets a copy of
      its session's emitter when it is created, so a handler registered on a session later reaches only the
      clients made after that.

WHAT THIS MODULE DOES
    Importing it appends two inert handlers to BUILTIN_HANDLERS (as moto does), for `dynamodb` and
    `dynamodb-streams`: every session created from then on (and every client of such a session, whenever it
    was created) carries them. `import pyddb` imports this module when botocore is already loaded. While no
    mock is active the handlers return None and botocore proceeds as usual. While one is active:
      choose-signer -> UNSIGNED (no SigV4 work, no credentials needed);
      before-send   -> the body is parsed (server/protocol.loads), `api.dispatch(model, op, body, wire=True)`
                       runs, and the answer is an AWSResponse with the JSON body (protocol.dumps: bytes as
                       base64, datetimes as epoch seconds) or the error envelope (DynamoDBError.to_wire()),
                       plus x-amzn-requestid and x-amz-crc32, exactly what `pyddb serve` would send.
    Starting a mock also registers the handlers on boto3's default session if that already exists, and, when
    no credentials or no region are configured (environment, shared credentials and config files), sets
    fake ones in the environment (restored at the end), so creating a client neither fails nor probes the
    EC2 metadata service. Other services never reach these handlers.

INVARIANTS
    (H1) A request is dispatched at most once, even when the handler was registered twice on one emitter
         (builtin and on the default session): the response is remembered on the request object.
    (H2) Only the innermost active mock answers; mocks may nest and may stop in any order.
    (H3) The environment variables a mock set are restored when it stops (unless changed meanwhile).
    (H4) An exception that is not a DynamoDB error (a bug) propagates to the caller with its traceback; it is
         not turned into a 500, which botocore would retry with back-off.

LIMITS
    Clients created before this module was imported, from a session other than boto3's default one, keep
    sending over HTTP: call `patch_client(client)` for them. Threads share the mocks (the active mock answers
    requests from every thread), as moto's do.
"""
from __future__ import annotations

import functools
import inspect
import os
import threading
import zlib
from typing import Any, Dict, List, Optional

import botocore
from botocore.awsrequest import AWSResponse
from botocore.handlers import BUILTIN_HANDLERS

from pyddb.client_errors import new_request_id
from pyddb.errors import DynamoDBError

__all__ = ["MockDynamoDB", "mock_dynamodb", "patch_client"]

SERVICES = ("dynamodb", "dynamodb-streams")
FAKE_KEY = "pyddb-mock"
FAKE_SECRET = "pyddb-mock"
DEFAULT_REGION = "us-east-1"
_UNIQUE_ID = "pyddb-mock-dynamodb"

_active: List["MockDynamoDB"] = []        # started mocks, innermost last (H2)
_lock = threading.RLock()


# ---- the botocore handlers ---------------------------------------------------------------------------------


def _choose_signer(**kwargs: Any) -> Any:
    return botocore.UNSIGNED if _active else None


def _before_send(request: Any, event_name: str = "", **kwargs: Any) -> Optional[AWSResponse]:
    if not _active:
        return None
    if getattr(request, "_pyddb_answered", False):      # (H1) a second registration of this handler
        return None
    mock = _active[-1]
    op = event_name.rpartition(".")[2]
    response = mock._answer(op, request)
    request._pyddb_answered = True
    return response


class _Body:
    """The `raw` of an AWSResponse: botocore reads `content` as b"".join(raw.stream())."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **kwargs: Any):
        yield self._data


def _handler_specs():
    for service in SERVICES:
        yield "choose-signer.%s" % service, _choose_signer
        yield "before-send.%s" % service, _before_send


def _install_builtin() -> None:
    """Sessions created from now on carry the handlers (idempotent)."""
    for spec in _handler_specs():
        if spec not in BUILTIN_HANDLERS:
            BUILTIN_HANDLERS.append(spec)


def _register(emitter: Any) -> None:
    for event, handler in _handler_specs():
        emitter.register(event, handler, unique_id="%s:%s" % (_UNIQUE_ID, event))


def patch_client(client: Any) -> Any:
    """Route a boto3 client that was created before pyddb was imported (from a session other than boto3's
    default one) through the active mocks too. Returns the client."""
    _register(client.meta.events)
    return client


def _patch_default_session() -> None:
    import sys

    boto3 = sys.modules.get("boto3")
    session = getattr(boto3, "DEFAULT_SESSION", None) if boto3 is not None else None
    if session is not None:
        _register(session._session)                 # clients made from it from now on (H1 covers doubles)


_install_builtin()


# ---- credentials and region --------------------------------------------------------------------------------

_CREDENTIAL_ENV = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
                   "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI")
_CREDENTIAL_KEYS = ("aws_access_key_id", "role_arn", "credential_process", "sso_session", "sso_start_url",
                    "web_identity_token_file", "credential_source", "login_session")


def _profile_sections(env: Dict[str, str]) -> List[Dict[str, Any]]:
    """The active profile's sections in the shared credentials and config files (those that exist)."""
    from botocore.configloader import raw_config_parse

    profile = env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or "default"
    found = []
    for var, default, names in (
            ("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials", (profile,)),
            ("AWS_CONFIG_FILE", "~/.aws/config", ("profile %s" % profile, profile))):
        path = os.path.expanduser(env.get(var) or default)
        if not os.path.isfile(path):
            continue
        try:
            sections = raw_config_parse(path)
        except Exception:  # noqa: BLE001             an unreadable file: botocore will say so itself
            continue
        found.extend(sections[n] for n in names if n in sections)
    return found


def _missing_settings(env: Dict[str, str]) -> Dict[str, str]:
    """The environment variables to set so that creating a client needs nothing configured."""
    sections = None
    out: Dict[str, str] = {}
    if not any(env.get(v) for v in _CREDENTIAL_ENV):
        sections = _profile_sections(env)
        if not any(k in s for s in sections for k in _CREDENTIAL_KEYS):
            out["AWS_ACCESS_KEY_ID"] = FAKE_KEY
            out["AWS_SECRET_ACCESS_KEY"] = FAKE_SECRET
    if not env.get("AWS_DEFAULT_REGION"):                # botocore reads no other variable (not AWS_REGION)
        if sections is None:
            sections = _profile_sections(env)
        if not any("region" in s for s in sections):
            out["AWS_DEFAULT_REGION"] = DEFAULT_REGION
    return out


# ---- the mock ----------------------------------------------------------------------------------------------


class MockDynamoDB:
    """A context manager and decorator that routes boto3's DynamoDB calls to an in-process pyddb database.

    `path=None`: a temporary database, created when the mock starts and removed when it stops (each call of
    a decorated function starts afresh). With a path, the database persists there; a later mock (or
    `pyddb.connect`, or `pyddb serve --data-dir`) on the same path sees the data. `options` go to the model:
    `sync` (default "normal": a process crash loses nothing, and the data is checkpointed when the mock
    stops), `wal_segment_bytes` (default 4 MiB rather than the engine's 64: preallocating and syncing a
    64 MiB log segment is most of the cost of starting and stopping a small database), `clock`, `region`...
    """

    def __init__(self, path: Any = None, **options: Any) -> None:
        self.path = None if path is None else os.fspath(path)
        options.setdefault("sync", "normal")
        options.setdefault("wal_segment_bytes", 4 << 20)
        self.options = options
        self.model: Any = None                    # pyddb.model.database.DynamoDB while started
        self._depth = 0
        self._env_set: Dict[str, str] = {}
        self._env_old: Dict[str, Optional[str]] = {}

    # ---- life cycle ----------------------------------------------------------------------------------------

    def start(self) -> "MockDynamoDB":
        with _lock:
            if self._depth:
                self._depth += 1
                return self
            from pyddb import api
            from pyddb.model.database import DynamoDB
            from pyddb.server import protocol

            if not api.OPERATIONS:
                api._load()
            self._protocol = protocol
            self._dispatch = api.dispatch
            self.model = DynamoDB(self.path, **self.options)
            self._set_env()
            _patch_default_session()
            self._depth = 1
            _active.append(self)
        return self

    def stop(self) -> None:
        with _lock:
            if not self._depth:
                raise RuntimeError("mock_dynamodb: stop() without start()")
            self._depth -= 1
            if self._depth:
                return
            _active.remove(self)                  # (H2) any order
            self._restore_env()
            model, self.model = self.model, None
        model.close()

    def __enter__(self) -> "MockDynamoDB":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __call__(self, target: Any) -> Any:
        """Decorate a function (sync or async), or a class: its test* methods, or for a unittest.TestCase
        the whole of each test (setUp, the test, tearDown)."""
        if inspect.isclass(target):
            return self._decorate_class(target)
        if inspect.iscoroutinefunction(target):
            @functools.wraps(target)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return await target(*args, **kwargs)
            return run_async

        @functools.wraps(target)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self:
                return target(*args, **kwargs)
        return run

    def _decorate_class(self, cls: type) -> type:
        import unittest

        if issubclass(cls, unittest.TestCase):
            set_up = cls.setUp

            @functools.wraps(set_up)
            def setUp(case: Any, *args: Any, **kwargs: Any) -> Any:
                self.start()
                case.addCleanup(self.stop)        # after tearDown, even when setUp fails
                return set_up(case, *args, **kwargs)
            cls.setUp = setUp
            return cls
        for name, value in list(vars(cls).items()):
            if name.startswith("test") and inspect.isfunction(value):
                setattr(cls, name, self(value))
        return cls

    # ---- environment (H3) ----------------------------------------------------------------------------------

    def _set_env(self) -> None:
        self._env_set = _missing_settings(dict(os.environ))
        self._env_old = {k: os.environ.get(k) for k in self._env_set}
        os.environ.update(self._env_set)

    def _restore_env(self) -> None:
        for k, v in self._env_set.items():
            if os.environ.get(k) != v:
                continue                          # changed meanwhile: leave it
            old = self._env_old.get(k)
            if old is None:
                del os.environ[k]
            else:
                os.environ[k] = old
        self._env_set = {}
        self._env_old = {}

    # ---- answering ---------------------------------------------------------------------------------------

    def _answer(self, op: str, request: Any) -> AWSResponse:
        """The HTTP response `pyddb serve` would send for this prepared request (H4: bugs propagate)."""
        protocol = self._protocol
        rid = new_request_id()
        body = request.body
        if isinstance(body, str):
            body = body.encode("utf-8")
        elif body is None:
            body = b""
        elif not isinstance(body, bytes):         # a file-like body (botocore sends bytes for JSON)
            body = body.read()
        try:
            body = protocol.decode_body(body, request.headers.get("Content-Encoding"))
            data = protocol.loads(body) if body else {}
            status, payload = 200, protocol.dumps(self._dispatch(self.model, op, data, wire=True))
        except DynamoDBError as e:
            status, payload = protocol.error_body(e)
        headers = {
            "x-amzn-requestid": rid,
            "x-amz-crc32": str(zlib.crc32(payload)),
            "content-type": "application/x-amz-json-1.0",
            "content-length": str(len(payload)),
            "date": protocol.http_date().decode("ascii"),
        }
        return AWSResponse(request.url, status, headers, _Body(payload))


def mock_dynamodb(path: Any = None, **options: Any) -> Any:
    """`with mock_dynamodb(path=None, **options):` or `@mock_dynamodb(...)` (also bare `@mock_dynamodb`):
    see MockDynamoDB."""
    if callable(path) and not isinstance(path, (str, bytes, os.PathLike)):
        return MockDynamoDB(**options)(path)
    return MockDynamoDB(path, **options)
