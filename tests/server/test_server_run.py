"""app.run(), what `pyddb serve` runs in: at the end, and on SIGINT/SIGTERM, every pending task is cancelled
and awaited (its `finally` runs), with no "Task was destroyed but it is pending" warning; and `pyddb serve`
still checkpoints on a clean shutdown (a reopen replays nothing). Subprocesses: the warning is printed when
the loop is garbage collected, and signals go to a whole process."""
import json
import signal
import subprocess
import sys

import pytest

from pyddb.server.testing import boto3_client

SCRIPT = r"""
import asyncio, json, signal, sys
# a process started from a non-interactive shell's background job inherits SIGINT ignored, and Python then
# installs no KeyboardInterrupt handler: restore the default so the test means the same wherever it runs
signal.signal(signal.SIGINT, signal.default_int_handler)
if sys.argv[2] == "fallback":              # the Python 3.9/3.10 path of app.run
    del asyncio.Runner
from pyddb.server.app import run

log = []

async def background():
    try:
        await asyncio.sleep(3600)
    finally:
        log.append("background cleaned up")

async def main(mode):
    asyncio.get_running_loop().create_task(background())
    await asyncio.sleep(0)
    if mode == "return":
        return 7
    print("ready", flush=True)
    await asyncio.sleep(3600)                 # until SIGINT

try:
    out = run(main(sys.argv[1]))
except KeyboardInterrupt:
    out = "KeyboardInterrupt"
print(json.dumps([out, log]), flush=True)
"""

WARNING = "Task was destroyed but it is pending"


@pytest.mark.parametrize("path", ["runner", "fallback"])
@pytest.mark.parametrize("uvloop", ["1", "0"], ids=["uvloop", "asyncio"])
@pytest.mark.parametrize("mode", ["return", "sigint"])
def test_run_cancels_and_awaits_pending_tasks(path, uvloop, mode):
    env = dict(__import__("os").environ, PYDDB_UVLOOP=uvloop)
    p = subprocess.Popen([sys.executable, "-c", SCRIPT, mode, path], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env)
    try:
        if mode == "sigint":
            assert p.stdout.readline() == "ready\n"
            p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()
    assert p.returncode == 0, err
    want = 7 if mode == "return" else "KeyboardInterrupt"
    assert json.loads(out.splitlines()[-1]) == [want, ["background cleaned up"]]
    assert WARNING not in err and "Traceback" not in err, err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_serve_stops_on_a_signal_without_pending_task_warnings_and_checkpoints(serve_proc, tmp_path, sig):
    from pyddb.model.database import DynamoDB

    data = str(tmp_path / "d")
    p = serve_proc("--port", "0", "--data-dir", data)
    assert p.url, p.line
    client = boto3_client(p.url)
    client.create_table(TableName="tbl", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}])
    for i in range(20):
        client.put_item(TableName="tbl", Item={"pk": {"S": str(i)}})
    # the client's keep-alive connection is still open when the signal arrives
    assert p.stop(sig) == 0
    assert "pyddb stopped" in p.stderr
    assert WARNING not in p.stderr and "Traceback" not in p.stderr, p.stderr
    model = DynamoDB(data, sync="off")
    try:
        assert model.engine.recovery_info()["replayed_batches"] == 0    # closed with a checkpoint
        assert len(model.tables) == 1
    finally:
        model.close()
    client.close()
