"""`pyddb tables`, `pyddb dump`, `pyddb load`: a database directory's tables and items from the command line.

A thin shell over the operation layer: every read and write is an `api.dispatch` call (ListTables,
DescribeTable, Scan, CreateTable, BatchWriteItem), so the CLI holds no DynamoDB rules of its own and sees what
a client would. `add_commands(subparsers)` adds the commands to cli.py's parser; imports are lazy, so
`pyddb serve` does not pay for them.

FILE FORMAT (dump writes it, load reads it)
    JSON lines: one item per line as {"Item": {<name>: <AttributeValue>, ...}} in DynamoDB JSON, B and BS
    values base64, N values as strings. This is the DYNAMODB_JSON format of DynamoDB's export to S3 (each
    data file of an export) and of its import from S3, so a table moves between AWS and pyddb unchanged. A
    FILE ending in .gz is gzip-compressed (as an export's data files are); "-" is stdin/stdout.

PROGRESS
    Long work (dump, load) shows one self-rewriting line on stderr, only when stderr is a terminal; a
    summary line follows on stderr unless --quiet. stdout carries only data (dump, tables).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, TextIO, Tuple

KEY_TYPES = ("S", "N", "B")
BATCH = 25                                        # BatchWriteItem's limit


class CommandError(Exception):
    """A failure to report as one line `pyddb <command>: <message>` with exit status 1."""


# ---- progress --------------------------------------------------------------------------------------------


class Progress:
    """One line on `stream` rewritten in place: "dump orders: 12,345/100,000 items  12% ETA 2s (45,210/s)".

    Draws only when the stream is a terminal (never into a pipe or a log), at most every `interval` seconds;
    close() erases it. The share done comes from `total` (in items) or, when the number of items is not
    known in advance (load), from `fraction()`, for example the position in the file being read."""

    def __init__(self, label: str, total: Optional[int] = None, unit: str = "items",
                 stream: Optional[TextIO] = None, interval: float = 0.1,
                 fraction: Optional[Callable[[], Optional[float]]] = None) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.fraction = fraction
        self.count = 0
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self._start = time.monotonic()
        self._drawn = self._start                 # first drawn after `interval`: quick work shows nothing
        self._width = 0

    def update(self, n: int = 1) -> None:
        self.count += n
        if self.enabled:
            now = time.monotonic()
            if now - self._drawn >= self.interval:
                self._drawn = now
                self._draw(now)

    def line(self, now: Optional[float] = None) -> str:
        elapsed = max((now if now is not None else time.monotonic()) - self._start, 1e-9)
        rate = self.count / elapsed
        text = "%s: %s" % (self.label, format(self.count, ","))
        done = None
        if self.total:
            done = min(self.count / self.total, 1.0)
            text += "/%s" % format(self.total, ",")
        elif self.fraction is not None:
            done = self.fraction()
        text += " %s" % self.unit
        if done is not None:
            text += " %3d%%" % (done * 100)
            if 0 < done < 1:
                text += " ETA %s" % _duration(elapsed * (1 - done) / done)
        return text + " (%s/s)" % format(int(rate), ",")

    def _draw(self, now: float) -> None:
        text = self.line(now)
        pad = max(self._width - len(text), 0)
        self._width = len(text)
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0


def _read_fraction(f: Any) -> Optional[Callable[[], Optional[float]]]:
    """The share of a regular file read so far (of the compressed bytes for .gz), or None (a pipe)."""
    raw = getattr(f, "fileobj", None) or f               # gzip.GzipFile reads from .fileobj
    try:
        size = os.fstat(raw.fileno()).st_size
        raw.tell()
    except (OSError, AttributeError, ValueError):
        return None
    if not size or not os.path.isfile(getattr(raw, "name", "")):
        return None
    return lambda: min(raw.tell() / size, 1.0)


def _duration(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    if seconds < 60:
        return "%ds" % seconds
    if seconds < 3600:
        return "%dm%02ds" % divmod(seconds, 60)
    return "%dh%02dm" % (seconds // 3600, seconds % 3600 // 60)


def _items(n: int) -> str:
    return "%s item%s" % (format(n, ","), "" if n == 1 else "s")


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return ("%d %s" % (n, unit)) if unit == "B" else ("%.1f %s" % (n, unit))
        n /= 1024.0
    return ""   # pragma: no cover


# ---- the database and the operation layer ----------------------------------------------------------------


def _open(directory: str, create: bool = False, sync: str = "normal") -> Any:
    """The model over `directory`. Refuses to turn a directory that holds no pyddb database into one
    (unless `create`), and says plainly when another process has it open."""
    from pyddb._engine.database import CATALOG_NAME
    from pyddb._engine.errors import EngineError, LockedError
    from pyddb.model.database import DynamoDB

    exists = os.path.isdir(directory)
    if not exists and not create:
        raise CommandError("%s: no such directory" % directory)
    if exists and not os.path.isfile(os.path.join(directory, CATALOG_NAME)) and (not create or os.listdir(directory)):
        raise CommandError("%s: not a pyddb database (no %s file)" % (directory, CATALOG_NAME))
    try:
        return DynamoDB(directory, sync=sync)
    except LockedError:
        raise CommandError("%s: the database is open in another process (a running `pyddb serve`?); "
                           "stop it first" % directory) from None
    except EngineError as e:
        raise CommandError("%s: %s: %s" % (directory, type(e).__name__, e)) from None


def _call(model: Any, op: str, request: Dict[str, Any], wire: bool = False) -> Dict[str, Any]:
    from pyddb import api
    from pyddb.errors import DynamoDBError

    try:
        return api.dispatch(model, op, request, wire=wire)
    except DynamoDBError as e:
        raise CommandError("%s: %s" % (e.code, e.message)) from None


def _table_names(model: Any) -> List[str]:
    names: List[str] = []
    request: Dict[str, Any] = {}
    while True:
        page = _call(model, "ListTables", request)
        names.extend(page["TableNames"])
        if not page.get("LastEvaluatedTableName"):
            return names
        request["ExclusiveStartTableName"] = page["LastEvaluatedTableName"]


def _describe(model: Any, table: str) -> Dict[str, Any]:
    return _call(model, "DescribeTable", {"TableName": table})["Table"]


def _scan(model: Any, table: str) -> Iterator[List[Dict[str, Any]]]:
    """The table's items, one Scan page (up to 1 MB) at a time, in DynamoDB's form (B values as bytes)."""
    request: Dict[str, Any] = {"TableName": table}
    while True:
        page = _call(model, "Scan", request)
        yield page["Items"]
        if not page.get("LastEvaluatedKey"):
            return
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


# ---- files -----------------------------------------------------------------------------------------------


def _open_in(path: str):
    if path == "-":
        return sys.stdin.buffer
    try:
        return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")
    except OSError as e:
        raise CommandError("%s: %s" % (path, e.strerror or e)) from None


def _open_out(path: Optional[str], gz: bool = False):
    if path is None:
        return sys.stdout.buffer
    try:
        return gzip.open(path, "wb") if gz else open(path, "wb")
    except OSError as e:
        raise CommandError("%s: %s" % (path, e.strerror or e)) from None


def _read_items(f, name: str) -> Iterator[Tuple[int, Dict[str, Any]]]:
    """(line number, item) for each non-blank line {"Item": {...}} of an open binary file (the parsing is
    io/formats.py's, shared with ImportTable)."""
    from pyddb.io import formats

    for number, raw in enumerate(f, 1):
        try:
            item = formats.parse_item_line(raw)
        except formats.FormatError as e:
            if e.kind == "json":
                raise CommandError("%s line %d: not JSON (%s)" % (name, number, e.detail)) from None
            raise CommandError('%s line %d: expected {"Item": {...}} (DynamoDB JSON lines, as `pyddb dump` '
                               "and DynamoDB's export to S3 write them)" % (name, number)) from None
        if item is not None:
            yield number, item


# ---- commands --------------------------------------------------------------------------------------------


def cmd_tables(args: argparse.Namespace) -> int:
    model = _open(args.dir)
    try:
        tables = [_describe(model, name) for name in _table_names(model)]
    finally:
        model.close()
    if args.json:
        print(json.dumps([_table_summary(t) for t in tables], indent=2))
        return 0
    if not tables:
        print("no tables in %s" % args.dir, file=sys.stderr)
        return 0
    rows = [("TABLE", "ITEMS", "SIZE", "KEY", "INDEXES")]
    for t in tables:
        s = _table_summary(t)
        rows.append((s["TableName"], str(s["ItemCount"]), _size(s["TableSizeBytes"]), _key_text(t),
                     ", ".join("%s (%s)" % (ix["IndexName"], ix["Type"]) for ix in s["Indexes"]) or "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        cells = [r[0].ljust(widths[0]), r[1].rjust(widths[1]), r[2].rjust(widths[2]), r[3].ljust(widths[3]), r[4]]
        print("  ".join(cells).rstrip())
    return 0


def _table_summary(t: Dict[str, Any]) -> Dict[str, Any]:
    types = {a["AttributeName"]: a["AttributeType"] for a in t.get("AttributeDefinitions", [])}
    indexes = [{"IndexName": ix["IndexName"], "Type": kind, "ItemCount": ix.get("ItemCount", 0)}
               for kind, member in (("GSI", "GlobalSecondaryIndexes"), ("LSI", "LocalSecondaryIndexes"))
               for ix in t.get(member, [])]
    return {"TableName": t["TableName"], "ItemCount": t.get("ItemCount", 0),
            "TableSizeBytes": t.get("TableSizeBytes", 0), "TableStatus": t.get("TableStatus"),
            "KeySchema": [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"],
                           "AttributeType": types.get(k["AttributeName"])} for k in t["KeySchema"]],
            "Indexes": indexes}


def _key_text(t: Dict[str, Any]) -> str:
    types = {a["AttributeName"]: a["AttributeType"] for a in t.get("AttributeDefinitions", [])}
    return ", ".join("%s:%s%s" % (k["AttributeName"], types.get(k["AttributeName"], "?"),
                                  "" if k["KeyType"] == "HASH" else " (range)") for k in t["KeySchema"])


def cmd_dump(args: argparse.Namespace) -> int:
    """Scan pages written as lines. With -o, the lines go to FILE.tmp, renamed to FILE once complete, so a
    failed dump never leaves a FILE that looks whole."""
    from pyddb.io.formats import item_line     # the export's line encoder: bytes as base64, UTF-8

    to_file = args.output not in (None, "-")
    model = _open(args.dir)
    try:
        total = _describe(model, args.table).get("ItemCount")
        out = _open_out(args.output + ".tmp" if to_file else None, gz=to_file and args.output.endswith(".gz"))
        progress = Progress("dump %s" % args.table, total)
        count = 0
        done = False
        try:
            for items in _scan(model, args.table):
                out.write(b"".join(item_line(item) for item in items))
                count += len(items)
                progress.update(len(items))
            done = True
        finally:
            progress.close()
            if to_file:
                out.close()
                if done:
                    os.replace(args.output + ".tmp", args.output)
                else:
                    os.unlink(args.output + ".tmp")
            else:
                out.flush()
    finally:
        model.close()
    if not args.quiet:
        print("dumped %s from %s to %s" % (_items(count), args.table, args.output if to_file else "stdout"),
              file=sys.stderr)
    return 0


def _key_arg(text: str) -> Tuple[str, str]:
    name, sep, kind = text.rpartition(":")
    if not sep or not name or kind not in KEY_TYPES:
        raise argparse.ArgumentTypeError("expected NAME:TYPE with TYPE one of S, N, B (for example pk:S)")
    return name, kind


def _ensure_table(model: Any, args: argparse.Namespace) -> Dict[str, Any]:
    """The table to load into: it must exist, or with --create it is created from --hash/--range."""
    wanted = [(args.hash, "HASH")] + ([(args.range, "RANGE")] if args.range else [])
    if args.table not in _table_names(model):
        if not args.create:
            raise CommandError("table %s does not exist in %s (pass --create --hash NAME:TYPE "
                               "[--range NAME:TYPE] to create it)" % (args.table, args.dir))
        _call(model, "CreateTable", {
            "TableName": args.table, "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": n, "KeyType": kt} for (n, _), kt in wanted],
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for (n, t), _ in wanted]})
    t = _describe(model, args.table)
    if args.hash:
        types = {a["AttributeName"]: a["AttributeType"] for a in t["AttributeDefinitions"]}
        have = [((k["AttributeName"], types[k["AttributeName"]]), k["KeyType"]) for k in t["KeySchema"]]
        if have != wanted:
            raise CommandError("table %s has the key %s, not the one given" % (args.table, _key_text(t)))
    return t


def cmd_load(args: argparse.Namespace) -> int:
    if (args.hash or args.range) and not args.create:
        raise CommandError("--hash and --range describe the table to create: use them with --create")
    if args.create and not args.hash:
        raise CommandError("--create needs --hash NAME:TYPE (and --range NAME:TYPE for a sort key)")
    name = "stdin" if args.file == "-" else args.file
    f = _open_in(args.file)                       # before opening the database: a missing file changes nothing
    try:
        model = _open(args.dir, create=args.create)
        try:
            t = _ensure_table(model, args)
            loader = Loader(model, args.table, [k["AttributeName"] for k in t["KeySchema"]], name,
                            Progress("load %s" % args.table, fraction=_read_fraction(f)))
            try:
                loader.load(_read_items(f, name))
            except CommandError as e:
                if loader.count:
                    e.args = ("%s (the %s before it %s loaded)" % (e, _items(loader.count),
                                                                 "was" if loader.count == 1 else "were"),)
                raise
        finally:
            model.close()
    finally:
        if f is not sys.stdin.buffer:
            f.close()
    if not args.quiet:
        print("loaded %s into %s from %s" % (_items(loader.count), args.table, name), file=sys.stderr)
    return 0


class Loader:
    """Puts (line number, item) pairs into a table with BatchWriteItem, 25 at a time, in the wire form (B
    values arrive base64, as in the file).

    (L1) Loading stops at the first line that fails, with every line before it loaded and none after it:
         a line that does not parse flushes the batch before it; a batch DynamoDB rejects is put again item
         by item, which names the line at fault.
    (L2) A batch never holds one key twice (BatchWriteItem rejects that): a repeated key starts a new batch,
         so the later line wins, as consecutive PutItems would.
    """

    def __init__(self, model: Any, table: str, keys: List[str], name: str, progress: Progress) -> None:
        self.model = model
        self.table = table
        self.keys = keys
        self.name = name
        self.count = 0                            # items written
        self.progress = progress

    def load(self, lines: Iterator[Tuple[int, Dict[str, Any]]]) -> None:
        batch: List[Tuple[int, Dict[str, Any]]] = []
        seen = set()
        try:
            while True:
                try:
                    number, item = next(lines)
                except StopIteration:
                    break
                except CommandError:
                    self._write(batch)                                   # (L1)
                    raise
                key = json.dumps([item.get(k) for k in self.keys], sort_keys=True)
                if key in seen or len(batch) == BATCH:                   # (L2)
                    self._write(batch)
                    batch, seen = [], set()
                batch.append((number, item))
                seen.add(key)
            self._write(batch)
        finally:
            self.progress.close()

    def _write(self, batch: List[Tuple[int, Dict[str, Any]]]) -> None:
        from pyddb import api
        from pyddb.errors import DynamoDBError

        if not batch:
            return
        requests = [{"PutRequest": {"Item": item}} for _, item in batch]
        try:
            for _ in range(100):
                out = api.dispatch(self.model, "BatchWriteItem", {"RequestItems": {self.table: requests}},
                                   wire=True)
                requests = out.get("UnprocessedItems", {}).get(self.table)
                if not requests:
                    self._done(len(batch))
                    return
                time.sleep(0.01)
            raise CommandError("BatchWriteItem kept returning UnprocessedItems")
        except DynamoDBError:
            pass
        for number, item in batch:                                       # (L1)
            try:
                api.dispatch(self.model, "PutItem", {"TableName": self.table, "Item": item}, wire=True)
            except DynamoDBError as e:
                raise CommandError("%s line %d: %s: %s" % (self.name, number, e.code, e.message)) from None
            self._done(1)

    def _done(self, n: int) -> None:
        self.count += n
        self.progress.update(n)


# ---- the parsers -----------------------------------------------------------------------------------------

FORMAT_NOTE = ('Each line of the file is one item as {"Item": {...}} in DynamoDB JSON (B values base64): the '
               "DYNAMODB_JSON format of DynamoDB's export to S3 and import from S3. A file name ending in .gz "
               "is gzip-compressed; - is stdin/stdout.")


def _wrap(action: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return action(args)
        except CommandError as e:
            print("pyddb %s: %s" % (args.command, e), file=sys.stderr)
            return 1
        except BrokenPipeError:               # `pyddb dump ... | head`
            try:
                sys.stdout = open(os.devnull, "w")
            except OSError:                   # pragma: no cover
                pass
            return 1
        except KeyboardInterrupt:
            print("pyddb %s: interrupted" % args.command, file=sys.stderr)
            return 130
    return run


def _text(*paragraphs: str) -> str:
    """Paragraphs filled to 79 columns (the raw formatter keeps the examples' line breaks, so the
    descriptions are filled here)."""
    import textwrap

    return "\n\n".join(textwrap.fill(p, 79) for p in paragraphs)


def add_commands(subparsers: Any) -> None:
    """Add `tables`, `dump` and `load` to the `pyddb` parser's subcommands."""
    fmt = argparse.RawDescriptionHelpFormatter

    s = subparsers.add_parser(
        "tables", help="list the tables of a database directory, with item counts", formatter_class=fmt,
        description=_text("List the tables of a pyddb database directory: item count, size, key schema "
                          "and indexes (from DescribeTable; item counts are exact)."),
        epilog="examples:\n"
               "  pyddb tables ./pyddb-data\n"
               "  pyddb tables ./pyddb-data --json")
    s.add_argument("dir", metavar="DIR", help="database directory (as given to `pyddb serve --data-dir` or "
                                               "pyddb.connect)")
    s.add_argument("--json", action="store_true", help="print JSON (one object per table) instead of a table")
    s.set_defaults(func=_wrap(cmd_tables))

    s = subparsers.add_parser(
        "dump", help="write a table's items as DynamoDB JSON lines", formatter_class=fmt,
        description=_text("Write every item of TABLE, one per line, to stdout or FILE.", FORMAT_NOTE),
        epilog="examples:\n"
               "  pyddb dump ./pyddb-data UserOrders > orders.jsonl\n"
               "  pyddb dump ./pyddb-data UserOrders -o orders.json.gz\n"
               "  pyddb dump ./pyddb-data UserOrders \\\n"
               "      | pyddb load ./copy UserOrders - --create --hash user_id:S --range order_id:S")
    s.add_argument("dir", metavar="DIR", help="database directory")
    s.add_argument("table", metavar="TABLE", help="table name")
    s.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout (.gz: compressed)")
    s.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")
    s.set_defaults(func=_wrap(cmd_dump))

    s = subparsers.add_parser(
        "load", help="put items from DynamoDB JSON lines into a table", formatter_class=fmt,
        description=_text("Put every item of FILE into TABLE (BatchWriteItem, 25 at a time). An item with "
                          "the key of an existing one replaces it. The table must exist, or pass --create "
                          "with its key. Loading stops at the first line that fails (not JSON, or an item "
                          "DynamoDB would reject), with every line before it loaded.", FORMAT_NOTE),
        epilog="examples:\n"
               "  pyddb load ./pyddb-data UserOrders orders.jsonl\n"
               "  pyddb load ./pyddb-data UserOrders orders.json.gz \\\n"
               "      --create --hash user_id:S --range order_id:S\n"
               "  gunzip -c export/AWSDynamoDB/*/data/*.json.gz | pyddb load ./pyddb-data UserOrders -")
    s.add_argument("dir", metavar="DIR", help="database directory")
    s.add_argument("table", metavar="TABLE", help="table name")
    s.add_argument("file", metavar="FILE", help="DynamoDB JSON lines (.gz: compressed; -: stdin)")
    s.add_argument("--create", action="store_true",
                   help="create the table (on-demand billing) if it does not exist, and the database "
                        "directory if need be; with an existing table, check its key")
    s.add_argument("--hash", metavar="NAME:TYPE", type=_key_arg,
                   help="the partition key for --create; TYPE is S, N or B")
    s.add_argument("--range", metavar="NAME:TYPE", type=_key_arg, help="the sort key for --create, if any")
    s.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")
    s.set_defaults(func=_wrap(cmd_load))
