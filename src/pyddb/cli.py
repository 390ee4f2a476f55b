"""The `pyddb` command line: a thin shell over the engine and (later) the data model and server."""
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
    print("pyddb serve: the DynamoDB endpoint is not built yet (tracked as issue 5)", file=sys.stderr)
    return 2


def build_parser():
    p = argparse.ArgumentParser(prog="pyddb", description="A DynamoDB-compatible database you pip install.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    s = sub.add_parser("check", help="verify the integrity of a database directory")
    s.add_argument("dir", help="database directory")
    s.set_defaults(func=cmd_check)
    s = sub.add_parser("serve", help="serve the DynamoDB API over HTTP (not built yet)")
    s.set_defaults(func=cmd_serve)
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
