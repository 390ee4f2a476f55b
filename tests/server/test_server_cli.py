"""`pyddb serve` as a user runs it: the startup line, readiness, flags, errors, and clean shutdown."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading

import pytest
from botocore.exceptions import ClientError

from pyddb.server.testing import boto3_client

LINE = re.compile(r"pyddb listening on (http://127\.0\.0\.1:\d+) \(data: (.+), sync: (\w+), auth: (.+)\)\n")


def create(client, name):
    client.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])


def test_prints_one_line_once_ready_and_stops_on_sigterm(serve_proc, tmp_path):
    p = serve_proc("--port", "0", "--data-dir", str(tmp_path / "d"))
    m = LINE.fullmatch(p.line)
    assert m, p.line
    assert m.group(2) == str(tmp_path / "d") and m.group(3) == "full"
    assert m.group(4) == "any key, loopback only"
    print("ready after %.3f s" % p.ready_seconds)
    assert p.ready_seconds < 5                   # measured ~0.2-0.3 s; the bound only catches a hang
    assert "TableNames" in boto3_client(p.url).list_tables()     # ready means serving
    assert p.stop(signal.SIGTERM) == 0
    assert p.stdout == ""                       # exactly one line on stdout
    assert "pyddb stopped" in p.stderr


def test_sigint_stops_cleanly_too(serve_proc, tmp_path):
    p = serve_proc("--port", "0", "--data-dir", str(tmp_path / "d"))
    assert p.url
    assert p.stop(signal.SIGINT) == 0
    assert "Traceback" not in p.stderr


def test_default_data_dir_is_pyddb_data_in_the_working_directory(serve_proc, tmp_path):
    p = serve_proc("--port", "0", cwd=str(tmp_path))
    assert LINE.fullmatch(p.line).group(2) == "./pyddb-data"
    assert p.stop() == 0
    assert os.path.isdir(tmp_path / "pyddb-data")


def test_in_memory_and_sync_flags(serve_proc, tmp_path):
    p = serve_proc("--port", "0", "--in-memory")
    m = LINE.fullmatch(p.line)
    assert m.group(2) == "in memory" and m.group(3) == "off"
    assert p.stop() == 0
    p = serve_proc("--port", "0", "--data-dir", str(tmp_path / "n"), "--sync", "normal")
    assert LINE.fullmatch(p.line).group(3) == "normal"
    assert p.stop() == 0


class WriteLoad:
    """Four threads putting items, `item_of(key)`, through `client` until the server goes away; `acked` holds
    the keys of the puts that were acknowledged."""

    def __init__(self, client, item_of):
        self.acked = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._writer, args=(w, client, item_of)) for w in range(4)]
        for t in self._threads:
            t.start()

    def _writer(self, w, client, item_of):
        i = 0
        while True:
            key = "%d-%d" % (w, i)
            try:
                client.put_item(TableName="tbl", Item=item_of(key))
            except Exception:  # noqa: BLE001 - the server going away mid-request
                return
            with self._lock:
                self.acked.append(key)
            i += 1

    def wait_for(self, n):
        while len(self.acked) < n and all(t.is_alive() for t in self._threads):
            threading.Event().wait(0.01)
        assert len(self.acked) >= n

    def join(self):
        for t in self._threads:
            t.join()


def check_and_reopen(serve_proc, data):
    """`pyddb check` of the data directory passes; then a server on it, and a client of that server."""
    check = subprocess.run([sys.executable, "-m", "pyddb.cli", "check", data], capture_output=True, text=True)
    assert check.returncode == 0, check.stderr
    p = serve_proc("--port", "0", "--data-dir", data)
    return p, boto3_client(p.url)


def test_acknowledged_writes_survive_sigterm_during_a_write_load_and_a_restart(serve_proc, tmp_path):
    data = str(tmp_path / "d")
    p = serve_proc("--port", "0", "--data-dir", data)
    client = boto3_client(p.url, max_pool_connections=4)
    create(client, "tbl")
    load = WriteLoad(client, lambda key: {"pk": {"S": key}})
    load.wait_for(200)
    assert p.stop(signal.SIGTERM) == 0
    load.join()
    p, client = check_and_reopen(serve_proc, data)
    for key in load.acked:
        assert "Item" in client.get_item(TableName="tbl", Key={"pk": {"S": key}}), key
    assert p.stop() == 0


def test_acknowledged_writes_survive_kill_9_while_checkpoints_run_off_the_event_loop(serve_proc, tmp_path):
    """With --sync normal, PutItems run on the event loop and a checkpoint they make due runs in a thread of
    its own (docs/server.md, "Inline writes"). 300 KB items pass the 64 MB checkpoint interval within the
    load, so the SIGKILL lands with checkpoints behind it and maybe one under way: every acknowledged write is
    there after a restart, whole."""
    data = str(tmp_path / "d")
    value = lambda key: key * (300_000 // len(key))                     # noqa: E731
    p = serve_proc("--port", "0", "--data-dir", data, "--sync", "normal")
    client = boto3_client(p.url, max_pool_connections=4)
    create(client, "tbl")
    load = WriteLoad(client, lambda key: {"pk": {"S": key}, "v": {"S": value(key)}})
    load.wait_for(300)                                                  # ~90 MB of WAL
    p.stop(signal.SIGKILL)
    load.join()
    with open(os.path.join(data, "CATALOG"), "rb") as f:                # a checkpoint ran during the load
        assert json.loads(f.read().rsplit(b"\n", 1)[0])["checkpoint_lsn"] > 0
    p, client = check_and_reopen(serve_proc, data)
    for key in load.acked:
        item = client.get_item(TableName="tbl", Key={"pk": {"S": key}}).get("Item")
        assert item is not None and item["v"]["S"] == value(key), key
    assert p.stop() == 0


def test_a_second_server_on_the_same_data_dir_is_refused(serve_proc, tmp_path):
    first = serve_proc("--port", "0", "--data-dir", str(tmp_path / "d"))
    assert first.url
    second = serve_proc("--port", "0", "--data-dir", str(tmp_path / "d"))
    assert second.line == ""
    assert second.wait() == 1
    assert "pyddb serve: cannot open %s" % (tmp_path / "d") in second.stderr
    assert first.stop() == 0


def test_a_port_in_use_is_a_clear_error(serve_proc, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        p = serve_proc("--port", str(port), "--data-dir", str(tmp_path / "d"))
        assert p.line == ""
        assert p.wait() == 1
    assert "pyddb serve: cannot listen on 127.0.0.1:%d" % port in p.stderr


def test_a_non_loopback_address_without_auth_warns(serve_proc, tmp_path):
    # 192.0.2.1 (TEST-NET-1) is on no interface here: the bind fails, after the warning.
    p = serve_proc("--host", "192.0.2.1", "--port", "0", "--data-dir", str(tmp_path / "d"))
    assert p.wait() == 1
    assert "WARNING: listening on 192.0.2.1 without --auth" in p.stderr
    assert "--auth KEY:SECRET" in p.stderr


def test_auth_flag(serve_proc, tmp_path):
    p = serve_proc("--port", "0", "--in-memory", "--auth", "AKID1:secret1", "--auth", "AKID2:se:cret2")
    assert LINE.fullmatch(p.line).group(4) == "sigv4, 2 keys"
    assert "TableNames" in boto3_client(p.url, key="AKID1", secret="secret1").list_tables()
    assert "TableNames" in boto3_client(p.url, key="AKID2", secret="se:cret2").list_tables()
    with pytest.raises(ClientError) as e:
        boto3_client(p.url, key="AKID1", secret="secret2").list_tables()
    assert e.value.response["Error"]["Code"] == "InvalidSignatureException"
    with pytest.raises(ClientError) as e:
        boto3_client(p.url, key="other", secret="secret1").list_tables()
    assert e.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert p.stop() == 0


def test_a_malformed_auth_flag_is_a_usage_error(serve_proc):
    p = serve_proc("--port", "0", "--in-memory", "--auth", "nosecret")
    assert p.wait() == 2
    assert "--auth: expected KEY:SECRET" in p.stderr


def test_help_reads_well():
    out = subprocess.run([sys.executable, "-m", "pyddb.cli", "serve", "--help"], capture_output=True,
                         text=True).stdout
    for flag in ("--host", "--port", "--data-dir", "--in-memory", "--sync", "--log-level", "--auth"):
        assert flag in out


def test_the_aws_cli_talks_to_it(serve_proc, tmp_path):
    pytest.importorskip("awscli")
    p = serve_proc("--port", "0", "--in-memory")
    env = dict(os.environ, AWS_ACCESS_KEY_ID="k", AWS_SECRET_ACCESS_KEY="s", AWS_DEFAULT_REGION="us-east-1",
               AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"))
    out = subprocess.run([sys.executable, "-m", "awscli", "dynamodb", "list-tables", "--endpoint-url", p.url],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"TableNames": []}
    out = subprocess.run([sys.executable, "-m", "awscli", "dynamodb", "describe-table", "--table-name",
                          "nope", "--endpoint-url", p.url],
                         capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode != 0
    assert "(ResourceNotFoundException)" in out.stderr and "Table: nope not found" in out.stderr
    assert p.stop() == 0
