"""The `pyddb` command line: tables, dump, load (cli_data.py) and check, as a user runs them.

Most tests call `main(argv)` in this process (fast); a few run the real `python -m pyddb.cli` in a
subprocess, piping one command into another as a shell would.
"""
import base64
import gzip
import io
import json
import os
import shutil
import subprocess
import sys

import pytest

import pyddb
from pyddb.cli import main
from pyddb.cli_data import Progress, _read_fraction


def make_db(path, n=60):
    """A database with `orders` (pk S / sk N, a GSI; n items with every attribute type) and `empty` (B)."""
    with pyddb.connect(str(path), sync="off") as c:
        c.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                  {"AttributeName": "sk", "KeyType": "RANGE"}],
                       AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                             {"AttributeName": "sk", "AttributeType": "N"},
                                             {"AttributeName": "st", "AttributeType": "S"}],
                       GlobalSecondaryIndexes=[{"IndexName": "ByStatus",
                                                "KeySchema": [{"AttributeName": "st", "KeyType": "HASH"}],
                                                "Projection": {"ProjectionType": "ALL"}}])
        c.create_table(TableName="empty", BillingMode="PAY_PER_REQUEST",
                       KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "B"}])
        for i in range(n):
            c.put_item(TableName="orders", Item={
                "pk": {"S": "user-%d" % (i % 7)}, "sk": {"N": str(i)}, "st": {"S": "new"},
                "price": {"N": "%d.25" % i}, "raw": {"B": bytes([i, 0, 255])}, "name": {"S": "caf\u00e9 %d" % i},
                "tags": {"SS": ["a", "b"]}, "nums": {"NS": ["1", "2.5"]}, "bins": {"BS": [b"\x00", b"\x01"]},
                "ok": {"BOOL": i % 2 == 0}, "nil": {"NULL": True},
                "doc": {"M": {"list": {"L": [{"N": "1"}, {"S": "two"}]}}}})
    return str(path)


def run(capsysbinary, *argv):
    """main(argv) -> (exit status, stdout bytes, stderr text)."""
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as e:
        rc = e.code
    out, err = capsysbinary.readouterr()
    return rc, out, err.decode()


def lines(data):
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


def by_key(records):
    return sorted(records, key=lambda r: (r["Item"]["pk"]["S"], int(r["Item"]["sk"]["N"])))


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return make_db(tmp_path_factory.mktemp("template") / "db")


@pytest.fixture
def db(template, tmp_path):
    """A fresh copy of the module's database (copying a closed database is cheaper than building it)."""
    shutil.copytree(template, tmp_path / "db")
    return str(tmp_path / "db")


# ---- help ------------------------------------------------------------------------------------------------


def test_help_names_every_command_with_one_line_each(capsysbinary):
    rc, out, _ = run(capsysbinary, "--help")
    assert rc == 0
    text = out.decode()
    for command, summary in (("check", "integrity"), ("serve", "HTTP"), ("tables", "item counts"),
                             ("dump", "DynamoDB JSON lines"), ("load", "DynamoDB JSON lines")):
        assert any(line.split()[:1] == [command] and summary in line for line in text.splitlines()), command


@pytest.mark.parametrize("command", ["tables", "dump", "load"])
def test_each_commands_help_explains_and_shows_examples(capsysbinary, monkeypatch, command):
    monkeypatch.setenv("COLUMNS", "80")
    rc, out, _ = run(capsysbinary, command, "--help")
    text = out.decode()
    assert rc == 0 and "usage: pyddb %s" % command in text
    assert "\nexamples:\n  pyddb %s ./pyddb-data" % command in text
    assert max(len(line) for line in text.splitlines()) <= 90
    if command != "tables":
        assert '{"Item": {...}}' in text and "export to S3" in text and ".gz" in text


# ---- tables ----------------------------------------------------------------------------------------------


def test_tables_lists_names_counts_sizes_keys_and_indexes(capsysbinary, db):
    rc, out, err = run(capsysbinary, "tables", db)
    assert rc == 0 and err == ""
    rows = [line.split() for line in out.decode().splitlines()]
    assert rows[0] == ["TABLE", "ITEMS", "SIZE", "KEY", "INDEXES"]
    assert rows[1] == ["empty", "0", "0", "B", "id:B", "-"]
    assert rows[2][:2] == ["orders", "60"] and rows[2][4:] == ["pk:S,", "sk:N", "(range)", "ByStatus", "(GSI)"]


def test_tables_json(capsysbinary, db):
    rc, out, _ = run(capsysbinary, "tables", db, "--json")
    tables = json.loads(out)
    assert rc == 0
    assert [(t["TableName"], t["ItemCount"]) for t in tables] == [("empty", 0), ("orders", 60)]
    assert tables[1]["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH", "AttributeType": "S"},
                                      {"AttributeName": "sk", "KeyType": "RANGE", "AttributeType": "N"}]
    assert tables[1]["Indexes"] == [{"IndexName": "ByStatus", "Type": "GSI", "ItemCount": 60}]
    assert tables[1]["TableSizeBytes"] > 0


def test_tables_of_an_empty_database(capsysbinary, tmp_path):
    pyddb.connect(str(tmp_path / "db")).close()
    rc, out, err = run(capsysbinary, "tables", tmp_path / "db")
    assert (rc, out) == (0, b"") and err == "no tables in %s\n" % (tmp_path / "db")


def test_a_missing_or_foreign_directory_is_an_error_and_is_left_alone(capsysbinary, tmp_path):
    rc, _, err = run(capsysbinary, "tables", tmp_path / "nope")
    assert rc == 1 and err == "pyddb tables: %s: no such directory\n" % (tmp_path / "nope")
    assert not (tmp_path / "nope").exists()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("hello")
    for argv in (("tables", tmp_path / "docs"), ("dump", tmp_path / "docs", "t"),
                 ("load", tmp_path / "docs", "t", tmp_path / "docs" / "notes.txt", "--create", "--hash", "k:S")):
        rc, _, err = run(capsysbinary, *argv)
        assert rc == 1 and err.endswith("%s: not a pyddb database (no CATALOG file)\n" % (tmp_path / "docs"))
    assert os.listdir(tmp_path / "docs") == ["notes.txt"]


def test_a_database_in_use_is_reported_plainly(capsysbinary, db):
    with pyddb.connect(db):
        rc, _, err = run(capsysbinary, "tables", db)
    assert rc == 1
    assert err == ("pyddb tables: %s: the database is open in another process (a running `pyddb serve`?); "
                   "stop it first\n" % db)


# ---- dump ------------------------------------------------------------------------------------------------


def test_dump_writes_one_item_per_line_in_dynamodb_json(capsysbinary, db):
    rc, out, err = run(capsysbinary, "dump", db, "orders")
    assert rc == 0 and err == "dumped 60 items from orders to stdout\n"
    records = lines(out)
    assert len(records) == 60 and all(list(r) == ["Item"] for r in records)
    first = by_key(records)[0]["Item"]
    assert first == {"pk": {"S": "user-0"}, "sk": {"N": "0"}, "st": {"S": "new"}, "price": {"N": "0.25"},
                     "raw": {"B": base64.b64encode(b"\x00\x00\xff").decode()}, "name": {"S": "caf\u00e9 0"},
                     "tags": {"SS": ["a", "b"]}, "nums": {"NS": ["1", "2.5"]}, "bins": {"BS": ["AA==", "AQ=="]},
                     "ok": {"BOOL": True}, "nil": {"NULL": True},
                     "doc": {"M": {"list": {"L": [{"N": "1"}, {"S": "two"}]}}}}
    assert "caf\u00e9".encode() in out                         # UTF-8, not \\u escapes


def test_dump_to_a_file_plain_or_gzip(capsysbinary, db, tmp_path):
    rc, out, err = run(capsysbinary, "dump", db, "orders", "-o", tmp_path / "o.jsonl")
    assert (rc, out) == (0, b"") and err == "dumped 60 items from orders to %s\n" % (tmp_path / "o.jsonl")
    rc, _, err = run(capsysbinary, "dump", db, "orders", "--output", tmp_path / "o.json.gz", "-q")
    assert (rc, err) == (0, "")
    assert gzip.decompress((tmp_path / "o.json.gz").read_bytes()) == (tmp_path / "o.jsonl").read_bytes()
    assert sorted(os.listdir(tmp_path)) == ["db", "o.json.gz", "o.jsonl"]     # no .tmp left


def test_dump_of_an_empty_table_and_of_a_missing_one(capsysbinary, db, tmp_path):
    rc, out, err = run(capsysbinary, "dump", db, "empty")
    assert (rc, out, err) == (0, b"", "dumped 0 items from empty to stdout\n")
    rc, out, err = run(capsysbinary, "dump", db, "nope", "-o", tmp_path / "x.jsonl")
    assert rc == 1 and err == "pyddb dump: ResourceNotFoundException: Requested resource not found: Table: nope " \
                              "not found\n"
    assert not (tmp_path / "x.jsonl").exists()


# ---- load ------------------------------------------------------------------------------------------------


def test_dump_then_load_into_a_new_database_round_trips(capsysbinary, db, tmp_path):
    run(capsysbinary, "dump", db, "orders", "-o", tmp_path / "o.json.gz")
    rc, _, err = run(capsysbinary, "load", tmp_path / "copy", "orders", tmp_path / "o.json.gz",
                     "--create", "--hash", "pk:S", "--range", "sk:N")
    assert rc == 0 and err == "loaded 60 items into orders from %s\n" % (tmp_path / "o.json.gz")
    _, original, _ = run(capsysbinary, "dump", db, "orders")
    _, copied, _ = run(capsysbinary, "dump", tmp_path / "copy", "orders")
    assert by_key(lines(copied)) == by_key(lines(original))
    with pyddb.connect(str(tmp_path / "copy")) as c:             # binary values are bytes again, not base64
        item = c.get_item(TableName="orders", Key={"pk": {"S": "user-1"}, "sk": {"N": "1"}})["Item"]
    assert item["raw"] == {"B": b"\x01\x00\xff"} and item["bins"] == {"BS": [b"\x00", b"\x01"]}


def test_load_into_an_existing_table_replaces_items_with_the_same_key(capsysbinary, db, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"Item": {"pk": {"S": "user-0"}, "sk": {"N": "0"}, "v": {"S": "new"}}}\n\n'
                    '{"Item": {"pk": {"S": "fresh"}, "sk": {"N": "1"}}}\n')
    rc, _, err = run(capsysbinary, "load", db, "orders", path)
    assert rc == 0 and err == "loaded 2 items into orders from %s\n" % path
    with pyddb.connect(db) as c:
        assert c.get_item(TableName="orders", Key={"pk": {"S": "user-0"}, "sk": {"N": "0"}})["Item"] == {
            "pk": {"S": "user-0"}, "sk": {"N": "0"}, "v": {"S": "new"}}
        assert c.describe_table(TableName="orders")["Table"]["ItemCount"] == 61


def test_a_key_repeated_in_the_file_keeps_the_last_line(capsysbinary, db, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text("".join('{"Item": {"pk": {"S": "k"}, "sk": {"N": "1"}, "n": {"N": "%d"}}}\n' % i
                            for i in range(5)))
    assert run(capsysbinary, "load", db, "orders", path, "-q")[:1] == (0,)
    with pyddb.connect(db) as c:
        assert c.get_item(TableName="orders", Key={"pk": {"S": "k"}, "sk": {"N": "1"}})["Item"]["n"] == {"N": "4"}


def test_load_stops_at_a_bad_line_with_every_line_before_it_loaded(capsysbinary, db, tmp_path):
    good = ['{"Item": {"pk": {"S": "g"}, "sk": {"N": "%d"}}}\n' % i for i in range(30)]
    (tmp_path / "notjson.jsonl").write_text("".join(good) + "{oops\n" + good[0].replace('"g"', '"after"'))
    rc, _, err = run(capsysbinary, "load", db, "orders", tmp_path / "notjson.jsonl")
    assert rc == 1
    assert err.startswith("pyddb load: %s line 31: not JSON (" % (tmp_path / "notjson.jsonl"))
    assert err.endswith(") (the 30 items before it were loaded)\n")
    (tmp_path / "nokey.jsonl").write_text(good[0].replace('"g"', '"h"') + '{"Item": {"pk": {"S": "h"}}}\n')
    rc, _, err = run(capsysbinary, "load", db, "orders", tmp_path / "nokey.jsonl")
    assert rc == 1 and err == ("pyddb load: %s line 2: ValidationException: One or more parameter values were "
                               "invalid: Missing the key sk in the item (the 1 item before it was loaded)\n"
                               % (tmp_path / "nokey.jsonl"))
    (tmp_path / "shape.jsonl").write_text('{"pk": {"S": "x"}}\n')
    rc, _, err = run(capsysbinary, "load", db, "orders", tmp_path / "shape.jsonl")
    assert rc == 1 and 'line 1: expected {"Item": {...}}' in err
    with pyddb.connect(db) as c:
        keys = {(it["pk"]["S"], it["sk"]["N"]) for it in c.scan(TableName="orders")["Items"]}
    assert {("g", str(i)) for i in range(30)} <= keys and ("h", "0") in keys
    assert not any(pk in ("after", "x") for pk, _ in keys)


def test_load_needs_the_table_or_create_with_a_matching_key(capsysbinary, db, tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"Item": {"pk": {"S": "a"}}}\n')
    rc, _, err = run(capsysbinary, "load", db, "other", path)
    assert rc == 1 and err == ("pyddb load: table other does not exist in %s (pass --create --hash NAME:TYPE "
                               "[--range NAME:TYPE] to create it)\n" % db)
    rc, _, err = run(capsysbinary, "load", db, "other", path, "--hash", "pk:S")
    assert rc == 1 and "use them with --create" in err
    rc, _, err = run(capsysbinary, "load", db, "other", path, "--create")
    assert rc == 1 and "--create needs --hash NAME:TYPE" in err
    rc, _, err = run(capsysbinary, "load", db, "orders", path, "--create", "--hash", "pk:S")
    assert rc == 1 and err == "pyddb load: table orders has the key pk:S, sk:N (range), not the one given\n"
    rc, _, err = run(capsysbinary, "load", db, "other", path, "--create", "--hash", "pk:X")
    assert rc == 2 and "expected NAME:TYPE with TYPE one of S, N, B" in err
    rc, _, err = run(capsysbinary, "load", db, "other", tmp_path / "missing.jsonl", "--create", "--hash", "pk:S")
    assert rc == 1 and err == "pyddb load: %s: No such file or directory\n" % (tmp_path / "missing.jsonl")
    assert run(capsysbinary, "load", db, "other", path, "--create", "--hash", "pk:S", "-q")[:1] == (0,)
    assert run(capsysbinary, "load", db, "other", path, "--create", "--hash", "pk:S", "-q")[:1] == (0,)
    _, out, _ = run(capsysbinary, "tables", db, "--json")
    assert [(t["TableName"], t["ItemCount"]) for t in json.loads(out)] == [("empty", 0), ("orders", 60),
                                                                           ("other", 1)]


def test_load_reads_stdin(capsysbinary, db, monkeypatch):
    stdin = io.TextIOWrapper(io.BytesIO(b'{"Item": {"id": {"B": "AAE="}}}\n'))
    monkeypatch.setattr(sys, "stdin", stdin)
    rc, _, err = run(capsysbinary, "load", db, "empty", "-")
    assert rc == 0 and err == "loaded 1 item into empty from stdin\n"
    with pyddb.connect(db) as c:
        assert c.scan(TableName="empty")["Items"] == [{"id": {"B": b"\x00\x01"}}]


# ---- check -----------------------------------------------------------------------------------------------


def test_check_still_works(capsysbinary, db):
    rc, out, _ = run(capsysbinary, "check", db)
    assert rc == 0 and isinstance(json.loads(out), dict)


# ---- progress --------------------------------------------------------------------------------------------


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_draws_one_line_on_a_terminal_and_erases_it():
    stream = Tty()
    p = Progress("dump orders", total=2000, stream=stream, interval=0)
    p.update(500)
    p.update(500)
    drawn = stream.getvalue()
    assert drawn.startswith("\rdump orders: 500/2,000 items  25%")
    assert "\rdump orders: 1,000/2,000 items  50% ETA " in drawn and "/s)" in drawn
    assert "\n" not in drawn
    p.close()
    assert stream.getvalue().endswith("\r")
    q = Progress("load t", stream=Tty(), interval=0)
    q.update(3)
    assert q.line().startswith("load t: 3 items (")


def test_load_progress_follows_the_position_in_a_file_plain_or_gzip(tmp_path):
    data = b"".join(b'{"Item": {"pk": {"S": "%d"}}}\n' % i for i in range(20000))
    (tmp_path / "a.jsonl").write_bytes(data)
    (tmp_path / "a.jsonl.gz").write_bytes(gzip.compress(data))
    for name, opener in (("a.jsonl", open), ("a.jsonl.gz", gzip.open)):
        with opener(tmp_path / name, "rb") as f:
            fraction = _read_fraction(f)
            assert fraction() == 0
            f.readline()
            assert 0 < fraction() < 1
            f.read()
            assert fraction() == 1
    r, w = os.pipe()
    with os.fdopen(r, "rb") as f, os.fdopen(w, "wb"):
        assert _read_fraction(f) is None                        # stdin from a pipe: a count, no percentage
    p = Progress("load t", stream=Tty(), interval=0, fraction=lambda: 0.25)
    p.update(10)
    assert p.line().startswith("load t: 10 items  25% ETA ")


def test_progress_stays_silent_off_a_terminal():
    stream = io.StringIO()
    p = Progress("dump orders", total=10, stream=stream, interval=0)
    p.update(5)
    p.close()
    assert stream.getvalue() == "" and p.count == 5


# ---- the real command, in a shell pipe -------------------------------------------------------------------


def test_dump_piped_into_load_as_a_shell_runs_them(db, tmp_path):
    cli = [sys.executable, "-m", "pyddb.cli"]
    dump = subprocess.Popen(cli + ["dump", db, "orders"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    load = subprocess.run(cli + ["load", str(tmp_path / "copy"), "orders", "-", "--create", "--hash", "pk:S",
                                 "--range", "sk:N"], stdin=dump.stdout, capture_output=True, text=True,
                          timeout=60)
    dump.stdout.close()
    assert dump.wait(timeout=60) == 0 and dump.stderr.read() == b"dumped 60 items from orders to stdout\n"
    assert load.returncode == 0 and load.stderr == "loaded 60 items into orders from stdin\n"
    assert "\r" not in load.stderr                               # no progress line into a pipe
    tables = subprocess.run(cli + ["tables", str(tmp_path / "copy")], capture_output=True, text=True, timeout=60)
    assert tables.returncode == 0 and tables.stdout.splitlines()[1].split()[:2] == ["orders", "60"]
