"""The DynamoDB endpoint: DynamoDB's JSON 1.0 protocol over HTTP, in front of `pyddb.api`.

    protocol.py  the protocol over one parsed request: checks in DynamoDB's order, dispatch, response bytes
    auth.py      who may call: any credentials from loopback (default), or SigV4 with --auth keys
    app.py       asyncio + httptools: connections, the write pool, start/stop, ServerThread for tests
    testing.py   helpers for tests that run over HTTP (a boto3 client for a ServerThread)

`serve(...)` is what `pyddb serve` runs. Nothing here is imported by `import pyddb`.
"""
from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import Dict, Optional, TextIO

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1", "ip6-localhost")


def _is_loopback_host(host: str) -> bool:
    from pyddb.server.auth import is_loopback
    return host in LOOPBACK_NAMES or is_loopback(host)


def serve(host: str = "127.0.0.1", port: int = 8000, data_dir: Optional[str] = "./pyddb-data",
          sync: str = "full", keys: Optional[Dict[str, str]] = None, log_level: str = "warning",
          out: TextIO = sys.stdout, err: TextIO = sys.stderr, ttl_interval: Optional[float] = None) -> int:
    """Serve until SIGINT/SIGTERM. data_dir=None: in memory (a temporary directory, removed at exit).
    Prints one line to `out` once the server accepts connections. Returns the process exit code."""
    logging.basicConfig(level=getattr(logging, log_level.upper(), logging.WARNING), stream=err,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from pyddb.server.auth import OpenAccess, SigV4Access

    if not keys and not _is_loopback_host(host):
        print("pyddb serve: WARNING: listening on %s without --auth. Requests from other machines will be "
              "refused (UnrecognizedClientException) until you pass --auth KEY:SECRET; with it, every "
              "request must be signed with one of those keys." % host, file=err, flush=True)
    from pyddb.model.database import DynamoDB
    try:
        model = DynamoDB(data_dir, sync=sync, **({} if ttl_interval is None else {"ttl_interval": ttl_interval}))
    except Exception as e:  # noqa: BLE001                  locked by another process, unreadable, ...
        print("pyddb serve: cannot open %s: %s: %s" % (data_dir, type(e).__name__, e), file=err)
        return 1
    authenticator = SigV4Access(keys) if keys else OpenAccess(loopback_only=True)
    if keys:
        auth = "sigv4, %d key%s" % (len(keys), "" if len(keys) == 1 else "s")
    else:
        auth = "any key, loopback only"
    where = "in memory" if data_dir is None else data_dir
    try:
        from pyddb.server.app import run
        return run(_main(model, authenticator, host, port, where, model.sync_mode, auth, out, err))
    except KeyboardInterrupt:                              # SIGINT before the handlers were installed
        if not getattr(model, "_pyddb_server_closed", False):
            model.close()
        return 130


async def _main(model, authenticator, host, port, where, sync, auth, out, err) -> int:
    from pyddb.server.app import Server

    server = Server(model, authenticator, host, port)
    try:
        await server.start()
    except OSError as e:
        print("pyddb serve: cannot listen on %s:%s: %s" % (host, port, e.strerror or e), file=err)
        model.close()
        return 1
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):        # Windows: signal.signal instead
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))
    print("pyddb listening on %s (data: %s, sync: %s, auth: %s)" % (server.url, where, sync, auth),
          file=out, flush=True)
    await stop.wait()
    await server.stop(close_model=True)
    model._pyddb_server_closed = True
    print("pyddb stopped", file=err, flush=True)
    return 0
