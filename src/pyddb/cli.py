"""The `pyddb` command line: a thin shell over the engine, the data model and the server.

Imports are lazy: `pyddb serve` must be ready well under 0.5 s after it starts."""
import argparse
import json
import sys


def cmd_check(args):
    from pyddb._engine.database import Database
    from pyddb._engine.errors import EngineError

    try:
        with Database(args.dir, sync="off") as db:
            result = db.check()
    except EngineError as e:
        print("pyddb check: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2))
    return 0


def cmd_serve(args):
    from pyddb.server import serve
    from pyddb.server.auth import parse_key_pair

    keys = {}
    for text in args.auth or []:
        try:
            key, secret = parse_key_pair(text)
        except ValueError as e:
            print("pyddb serve: --auth: %s" % e, file=sys.stderr)
            return 2
        keys[key] = secret
    data_dir = None if args.in_memory else args.data_dir
    return serve(host=args.host, port=args.port, data_dir=data_dir, sync=args.sync, keys=keys,
                 log_level=args.log_level, ttl_interval=args.ttl_interval)


def build_parser():
    p = argparse.ArgumentParser(prog="pyddb", description="A DynamoDB-compatible database you pip install.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    s = sub.add_parser("check", help="verify the integrity of a database directory")
    s.add_argument("dir", help="database directory")
    s.set_defaults(func=cmd_check)
    s = sub.add_parser(
        "serve", help="serve the DynamoDB API over HTTP (a drop-in for DynamoDB Local)",
        description="Serve DynamoDB's HTTP API (JSON 1.0 protocol) for boto3, the AWS CLI and the AWS SDKs: "
                    "point them at the printed URL with endpoint_url / --endpoint-url. Stops cleanly on "
                    "Ctrl-C or SIGTERM.",
        epilog="By default any credentials are accepted, from this machine only (loopback). With --auth, "
               "every request must carry a valid AWS Signature Version 4 made with one of the given keys.")
    s.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    s.add_argument("--port", type=int, default=8000, help="port to listen on; 0 picks a free one "
                   "(default: %(default)s)")
    where = s.add_mutually_exclusive_group()
    where.add_argument("--data-dir", metavar="DIR", default="./pyddb-data",
                       help="database directory, created if missing (default: %(default)s)")
    where.add_argument("--in-memory", action="store_true",
                       help="keep the data only while the server runs (a temporary directory)")
    s.add_argument("--sync", choices=("full", "normal", "off"), default="full",
                   help="durability: full = a write is on disk before it is acknowledged; normal = on disk "
                        "within a few ms; off = left to the OS (default: %(default)s)")
    s.add_argument("--log-level", choices=("debug", "info", "warning", "error"), default="warning",
                   help="log detail on stderr (default: %(default)s)")
    s.add_argument("--auth", metavar="KEY:SECRET", action="append",
                   help="require SigV4 requests signed with this access key id and secret; repeatable")
    s.add_argument("--ttl-interval", metavar="SECONDS", type=float, default=None,
                   help="how often the Time to Live sweeper deletes expired items (default: 2; 0 turns it off: "
                        "then only a PyDDB_20240101.SweepTimeToLive request sweeps, see docs/streams-ttl.md)")
    s.set_defaults(func=cmd_serve)
    from pyddb.cli_data import add_commands     # tables, dump, load (cli_data.py)
    add_commands(sub)
    return p


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
