"""The HTTP server: asyncio, one `HttpConnection` (an asyncio.Protocol parsing with httptools) per connection.

THREADS
    event loop thread   accepts, parses, runs short reads (protocol.INLINE_OPERATIONS) inline and writes every
                        response. A GetItem costs one parse, one dispatch, one write: no thread hop. With
                        --sync normal/off, PutItem/UpdateItem/DeleteItem run inline too while no checkpoint
                        is near or running (protocol.INLINE_WRITES): they wait for no fdatasync, and a
                        checkpoint one of them makes due runs in a thread of its own (the loop offloads
                        checkpoints: Server.start, the engine's D10).
    write pool          (WritePool: threads on a SimpleQueue, no Future per request)
                        everything else (single-item writes under --sync full or near a checkpoint, batch
                        and transact writes, control plane, Scan):
                        the durability wait (fdatasync with sync=full) happens there, so other connections are
                        never stalled by it, and concurrent writers share one fdatasync (the engine's group
                        commit; model/database.py T2).

INVARIANTS
    (A1) Per connection, responses go out in request order: a connection runs one request at a time; requests
         pipelined behind a pooled one wait in its queue (reading pauses past MAX_QUEUED). A "100 Continue"
         is interim, but in order too: for a request pipelined behind unanswered ones it is sent once they
         are answered, and not at all if its body arrives first.
    (A2) Each response is written with one transport.write() of the complete bytes (a connection's responses
         due together: one write for all), and TCP_NODELAY is set: no small-write/delayed-ACK stall (40 ms a
         request otherwise). With more than one connection open, responses are written once the loop has run
         what it has now (protocol.WriteBatch: the requests of one wake-up answered, then their responses
         back to back); a close, a 400/413 or a "100 Continue" writes what is due first.
    (A3) A request whose body passes MAX_BODY_BYTES is answered 413 and its connection closed before the rest
         of the body is buffered; an HTTP message that does not parse is answered 400 and closed.
    (A4) A client that goes away mid-request loses only its own request; a write already handed to the pool
         completes (and is durable per the sync mode) even though its response has nowhere to go. A client
         that only closes its sending side (a half-close) still gets the answers to what it sent: the
         connection closes after the last of them (eof_received).
    (A5) stop() stops accepting, lets queued and running requests finish (bounded by `drain_timeout`), closes
         connections, then closes the model, which checkpoints.
    (A6) A connection with nothing running that has been silent for idle_timeout (300 s) is closed, whether
         between requests or half-way through one (a client that stopped sending), or with requests held
         because it does not read its answers (A9: then aborted, as its buffer would never drain).
    (A7) An unexpected exception, inline or in the pool, is answered as Handler.handle answers one (protocol.py
         P1): a 500 InternalServerError in DynamoDB's envelope (`internal_error_response`), logged; the
         connection and the server go on.
    (A8) Bytes after a request with "Connection: close" are ignored: every request up to and including that
         one is answered, in order (a pooled write too), then the connection closes (no 400).
    (A9) Backpressure: while a connection's transport is paused for writing (its buffer past the high-water
         mark: a client that pipelines and does not read), reading from it is paused and its queued requests
         are held; resume_writing reads and runs them again. Reading is paused exactly while `paused` (queue
         full, stop: a draining queue does not resume a stopping server's reading) or `wpaused`. A run of
         pipelined answers is written every MAX_QUEUED responses even while batching (A2), so what is
         buffered for one connection stays bounded.
"""
from __future__ import annotations

import asyncio
import collections
import logging
import os
import socket
import threading
import queue
from typing import Any, Deque, Optional, Set

import httptools

from pyddb.server import protocol
# (MAX_* are re-exported: the limits live with the parser callbacks)
from pyddb.server.protocol import (  # noqa: F401
    MAX_BODY_BYTES,
    MAX_HEADER_BYTES,
    MAX_QUEUED,
    BodyTooLarge,
    Handler,
    HttpReader,
    Request,
)

log = logging.getLogger("pyddb.server")

IDLE_TIMEOUT = 300.0     # seconds a connection may sit idle, or stall mid-request, before it is closed
WRITE_THREADS = 16


def new_event_loop() -> asyncio.AbstractEventLoop:
    """The server's event loop: uvloop's when it is installed (a dependency on Linux and macOS; its loop and
    transports cost about a tenth less CPU per request than asyncio's), else asyncio's own.
    PYDDB_UVLOOP=0 in the environment forces asyncio's loop."""
    if os.environ.get("PYDDB_UVLOOP", "1") != "0":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def run(coro) -> Any:
    """asyncio.run(coro) on new_event_loop(): what `pyddb serve` runs its server in. When `coro` ends (or
    SIGINT interrupts it: KeyboardInterrupt is raised here), every task still pending on the loop is cancelled
    and awaited (so its `finally` runs and no "Task was destroyed but it is pending" is logged), then async
    generators and the default executor are shut down and the loop closed. Python 3.11+: asyncio.Runner;
    3.9/3.10: the same steps, as asyncio.run takes them there."""
    if hasattr(asyncio, "Runner"):
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            return runner.run(coro)
    loop = new_event_loop()                                      # Python 3.9, 3.10
    try:
        asyncio.set_event_loop(loop)
        return loop.run_until_complete(coro)
    finally:
        try:
            _cancel_all_tasks(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


def _cancel_all_tasks(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel the loop's pending tasks and wait for them: asyncio.runners._cancel_all_tasks (3.9-3.13)."""
    pending = asyncio.all_tasks(loop)
    if not pending:
        return
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    for task in pending:
        if task.cancelled():
            continue
        if task.exception() is not None:
            loop.call_exception_handler({"message": "unhandled exception during pyddb.server.app.run() shutdown",
                                         "exception": task.exception(), "task": task})


internal_error_response = protocol.internal_error_response   # the pool's answer too (A7)


class HttpConnection(HttpReader, asyncio.Protocol):
    """One connection: the transport side here; httptools' callbacks (the head, the body, the queue of parsed
    requests) and running inline requests (`_run`, `_send`) are protocol.HttpReader's, compiled."""

    # Compiled, HttpReader holds these fields itself (protocol.pxd); as plain Python, the slots are here.
    __slots__ = tuple(n for n in (
        "_body",
        "_body_len",
        "_discard",
        "_eof",
        "_expect",
        "_head_len",
        "_headers",
        "_pending",
        "_raw",
        "_url",
        "busy",
        "closed",
        "handler",
        "last",
        "loop",
        "parser",
        "paused",
        "wpaused",
        "peer",
        "queue",
        "server",
        "transport",
    ) if not hasattr(HttpReader, n))

    def __init__(self, server: "Server") -> None:
        self.server = server
        self.handler = server.handler
        self.loop = server.loop
        self.transport: Any = None
        self.parser = httptools.HttpRequestParser(self)
        self.peer: Optional[str] = None
        self.queue: Deque[Request] = collections.deque()
        self.busy = False          # a request of this connection is in the write pool (A1)
        self.closed = False
        self.paused = False        # reading paused: MAX_QUEUED requests queued, or stop() (A1, A5)
        self.wpaused = False       # the transport's buffer is full: reading paused, requests held (A9)
        self._discard = False      # after a 413/400: ignore whatever else arrives
        self._eof = False          # the client closed its sending side: close after the last answer (A4)
        self._expect = False       # a "100 Continue" waits for the answers to earlier requests (A1)
        self._pending: list = []   # responses due, written together when the loop's batch is done (A2)
        self.last = self.loop.time()   # last bytes received or sent (A6)
        self._reset()

    # ---- asyncio.Protocol ----------------------------------------------------------------------------------

    def connection_made(self, transport) -> None:
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)   # (A2)
            except OSError:
                pass
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if isinstance(peer, tuple) else None
        self.server.connections.add(self)

    def connection_lost(self, exc) -> None:
        self.closed = True
        self.queue.clear()
        self._pending.clear()
        self.server.connections.discard(self)

    # data_received: HttpReader's (compiled)

    def eof_received(self):
        """(A4) The client closed its sending side. With a request running or queued, keep the transport open
        to answer them, and close after the last answer (protocol._send); else close now, after writing the
        answers due (a batch may not have written them yet: A2). True: the transport leaves closing to us."""
        if self.busy or self.queue:
            self._eof = True
        else:
            self._close()
        return True

    def pause_writing(self) -> None:
        """(A9) The transport's write buffer passed its high-water mark (the client is not reading its
        answers): stop reading from it and hold the requests queued, so what is buffered for it stays
        bounded; other connections go on."""
        self.wpaused = True
        if not self.paused:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        """(A9) The buffer drained below its low-water mark: read again and run the requests held."""
        self.wpaused = False
        if self.closed:
            return
        if not self.paused:
            self.transport.resume_reading()                  # first, so the flags match the transport
        if not self.busy:
            self._run()

    # ---- running requests ----------------------------------------------------------------------------------

    def pooled_done(self, req: Request, out: Optional[bytes]) -> None:
        """On the loop thread, after the pool ran `req`; out=None: the body was too large after gunzip."""
        self.busy = False
        if self.closed:
            return                                           # (A4) the client went away
        if out is None:
            self._fail(protocol.too_large_response())
            return
        self._send(out, req.keep_alive)
        self._run()

    def _fail(self, out: bytes) -> None:
        self._discard = True
        self.queue.clear()
        if not self.closed:
            self._pending.append(out)                        # after the answers already due (A1)
            self._close()

    def _close(self) -> None:
        if not self.closed:
            self.closed = True
            self._flush()                                    # what is due goes out before the close
            self.transport.close()

    def idle(self) -> bool:
        """Nothing running and nothing queued, or only requests held for a client not reading (A6, A9)."""
        return not self.busy and (not self.queue or self.wpaused)


class WritePool:
    """Threads running pooled requests: `submit(conn, req)` from the loop thread puts the pair on a SimpleQueue;
    a worker runs `server._pooled(conn, req)`, which hands the response back with call_soon_threadsafe. No
    Future per request (ThreadPoolExecutor.submit and its worker cost ~6 us of CPU a task on this kind of
    machine; this ~0.1 us). Threads start on demand, up to `max_threads`, and are daemons: `shutdown()`
    finishes every queued request first (FIFO), then joins them. A request goes to a waiting worker or a new
    thread before it is queued behind a busy one, so a fast write is not held up by a slow request (a backup,
    a big scan, an fsync) on another connection."""

    def __init__(self, server: "Server", max_threads: int) -> None:
        self.server = server
        self.max_threads = max(1, max_threads)
        self.queue: "queue.SimpleQueue" = queue.SimpleQueue()
        self.threads: list = []
        # Every queued item is matched to one worker under _lock, so no item waits behind a busy worker while
        # another could take it: `idle` counts workers waiting on the queue that no item has claimed yet;
        # `pending` counts items queued with no worker (all max_threads busy), taken by the next one to finish.
        self.idle = 0
        self.pending = 0
        self._shut = False
        self._lock = threading.Lock()

    def submit(self, conn: "HttpConnection", req: Request) -> None:
        with self._lock:
            if self.idle > 0:
                self.idle -= 1                 # claim a waiting worker: the next item goes to a free thread
            elif len(self.threads) < self.max_threads:
                self._start()                  # a new thread, started for this item
            else:
                self.pending += 1
        self.queue.put((conn, req))

    def _start(self) -> None:                  # under _lock
        t = threading.Thread(target=self._work, name="pyddb-write-%d" % len(self.threads), daemon=True)
        self.threads.append(t)
        t.start()

    def _work(self) -> None:
        run = self.server._pooled
        get = self.queue.get
        lock = self._lock
        try:
            while True:
                item = get()                   # this worker's claimed item (or None from shutdown)
                if item is None:
                    return
                run(*item)
                with lock:
                    if self.pending > 0:
                        self.pending -= 1      # take a queued item that had no worker
                    else:
                        self.idle += 1         # back to waiting, unclaimed
        finally:
            # a worker that dies (BaseException out of run) leaves the pool, so it does not count toward
            # max_threads; if items are queued with no worker, a replacement takes one
            with lock:
                me = threading.current_thread()
                if me in self.threads:
                    self.threads.remove(me)
                if self.pending > 0 and len(self.threads) < self.max_threads and not self._shut:
                    self.pending -= 1
                    self._start()

    def shutdown(self, wait: bool = True) -> None:
        with self._lock:
            self._shut = True
            threads = list(self.threads)
        for _ in threads:
            self.queue.put(None)
        if wait:
            for t in threads:
                t.join()


class Server:
    """The HTTP server over one model. Use from a running loop: `await start()`, `await stop()`."""

    def __init__(self, model: Any, authenticator: Any, host: str = "127.0.0.1", port: int = 8000,
                 write_threads: int = WRITE_THREADS, drain_timeout: float = 10.0,
                 idle_timeout: float = IDLE_TIMEOUT, sock: Optional[socket.socket] = None) -> None:
        self.model = model
        self.handler = Handler(model, authenticator)
        self.host = host
        self.port = port
        self.sock = sock
        self.drain_timeout = drain_timeout
        self.idle_timeout = idle_timeout
        self._sweeper: Any = None
        self.pool = WritePool(self, write_threads)
        self.connections: Set[HttpConnection] = set()
        self.loop: Any = None
        self.server: Any = None
        self.stopping = False
        self.inflight = 0
        self.writes: Any = None      # protocol.WriteBatch, made in start() (A2)
        self._offloading = False     # start() made the loop thread offload checkpoints; stop() undoes it
        self._drained: Optional[asyncio.Event] = None

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.writes = protocol.WriteBatch(self.loop)
        self._drained = asyncio.Event()
        if self.sock is not None:
            self.server = await self.loop.create_server(lambda: HttpConnection(self), sock=self.sock,
                                                        backlog=1024)
        else:
            self.server = await self.loop.create_server(lambda: HttpConnection(self), self.host, self.port,
                                                        reuse_address=True, backlog=1024)
        bound = self.server.sockets[0].getsockname()
        self.host, self.port = bound[0], bound[1]
        if self.handler.quick_writes is not None:
            self.model.offload_checkpoints()       # the writes run here never run a checkpoint here (D10)
            self._offloading = True
        self._sweeper = self.loop.call_later(min(15.0, self.idle_timeout / 2), self._sweep)

    def _sweep(self) -> None:
        """(A6) Close connections that neither sent nor were sent anything for idle_timeout seconds and have
        nothing running: abandoned keep-alive connections and requests that stopped arriving half-way."""
        now = self.loop.time()
        for conn in list(self.connections):
            if conn.idle() and now - conn.last > self.idle_timeout:
                if conn.wpaused and not conn.closed:  # its buffer would never drain: close() would wait on it
                    conn.closed = True
                    conn.transport.abort()
                else:
                    conn._close()
        if not self.stopping:
            self._sweeper = self.loop.call_later(min(15.0, self.idle_timeout / 2), self._sweep)

    @property
    def url(self) -> str:
        host = "[%s]" % self.host if ":" in self.host else self.host
        return "http://%s:%d" % (host, self.port)

    # ---- the write pool ----------------------------------------------------------------------------------

    def submit(self, conn: HttpConnection, req: Request) -> None:
        self.inflight += 1
        self._drained.clear()
        self.pool.submit(conn, req)

    def _pooled(self, conn: HttpConnection, req: Request) -> None:
        try:
            out: Optional[bytes] = self.handler.handle(req)
        except BodyTooLarge:
            out = None
        except Exception:                              # handle() does not raise (P1); belt and braces
            log.exception("internal error in the write pool serving %s", req.headers.get("x-amz-target"))
            out = internal_error_response(req)         # a 500, as the inline path answers: not a 413
        try:
            self.loop.call_soon_threadsafe(self._pooled_done, conn, req, out)
        except RuntimeError:                           # the loop is gone (interpreter exit)
            pass

    def _pooled_done(self, conn: HttpConnection, req: Request, out: Optional[bytes]) -> None:
        self.inflight -= 1
        if self.inflight == 0:
            self._drained.set()
        conn.pooled_done(req, out)

    # ---- life cycle ----------------------------------------------------------------------------------------

    async def stop(self, close_model: bool = True) -> None:
        """(A5) Stop accepting, finish what was received, close connections and the model."""
        if self.stopping:
            return
        self.stopping = True
        try:
            await self._stop(close_model)
        finally:
            if self._offloading:                   # undo start()'s (it would end with the thread too)
                self._offloading = False
                self.model.offload_checkpoints(False)

    async def _stop(self, close_model: bool) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        if self.server is not None:
            self.server.close()
        for conn in list(self.connections):
            if conn.idle():
                conn._close()
            elif conn.transport is not None and not conn.paused:
                conn.paused = True
                if not conn.wpaused:
                    conn.transport.pause_reading()
        # The pool's hand-back may set _drained and, serving the connection's next queued request, submit it
        # (clearing it) in one callback: wait() then returns with a request running, so check again.
        deadline = self.loop.time() + self.drain_timeout
        while self.inflight:
            try:
                await asyncio.wait_for(self._drained.wait(), max(0.0, deadline - self.loop.time()))
            except asyncio.TimeoutError:
                log.warning("stopping with %d requests still running", self.inflight)
                break
        for conn in list(self.connections):
            conn._close()
        if self.server is not None:
            try:
                await asyncio.wait_for(self.server.wait_closed(), 1.0)
            except asyncio.TimeoutError:
                pass
        await self.loop.run_in_executor(None, self.pool.shutdown, True)
        if close_model:
            await self.loop.run_in_executor(None, self.model.close)


class ServerThread:
    """A server running its own event loop in a background thread: for tests and embedding.

        with ServerThread(path=None) as srv:          # or ServerThread(model=existing_model)
            boto3.client("dynamodb", endpoint_url=srv.url, ...)
    """

    def __init__(self, path: Optional[str] = None, *, model: Any = None, sync: str = "off",
                 authenticator: Any = None, host: str = "127.0.0.1", port: int = 0, **server_options) -> None:
        from pyddb.server.auth import OpenAccess

        self._owns_model = model is None
        if model is None:
            from pyddb.model.database import DynamoDB
            model = DynamoDB(path, sync=sync)
        self.model = model
        self.authenticator = authenticator or OpenAccess()
        self.host = host
        self.port = port
        self.server_options = server_options
        self.server: Optional[Server] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._thread: Optional[threading.Thread] = None
        self._ready = threading.Event()
        self._error: Optional[BaseException] = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    def start(self) -> "ServerThread":
        self._thread = threading.Thread(target=self._main, name="pyddb-server", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def _main(self) -> None:
        loop = new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        self.server = Server(self.model, self.authenticator, self.host, self.port, **self.server_options)
        try:
            loop.run_until_complete(self.server.start())
        except BaseException as e:  # noqa: BLE001 (re-raised in start())
            self._error = e
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        loop = self._loop
        fut = asyncio.run_coroutine_threadsafe(self.server.stop(close_model=self._owns_model), loop)
        try:
            fut.result(60)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(30)
            self._loop = None

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
