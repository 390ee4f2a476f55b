"""Fixtures of the example programs: a real `pyddb serve` subprocess, and the environment a program reads.

    serve         a `pyddb serve --port 0` subprocess on a fresh data directory (tests/server/srvhelpers.py's
                  ServeProcess), stopped with SIGTERM at teardown
    program_env   the environment of a program pointed at it: AWS_ENDPOINT_URL, dummy credentials, a region,
                  and no user AWS configuration (no profile, config or credentials files)
    node_modules  a folder with @aws-sdk/client-dynamodb and @aws-sdk/lib-dynamodb, `npm install`ed once
                  per test session into a temporary folder (skipped only when node or npm is missing)
"""
import os
import shutil
import subprocess
import sys
import time

import pytest

EXAMPLES = os.path.dirname(os.path.abspath(__file__))
SERVER_TESTS = os.path.join(os.path.dirname(EXAMPLES), "server")
if SERVER_TESTS not in sys.path:
    sys.path.insert(0, SERVER_TESTS)

from srvhelpers import ServeProcess  # noqa: E402

NPM_PACKAGES = ["@aws-sdk/client-dynamodb@3", "@aws-sdk/lib-dynamodb@3"]


@pytest.fixture
def serve(tmp_path):
    data = tmp_path / "pyddb-data"
    proc = ServeProcess(["--port", "0", "--data-dir", str(data), "--sync", "normal"], str(tmp_path))
    try:
        assert proc.url, "pyddb serve did not start: %r %s" % (proc.line, proc.proc.stderr.read()
                                                                if proc.proc.poll() is not None else "")
        proc.data_dir = str(data)
        yield proc
    finally:
        code = proc.stop()
        assert code == 0, "pyddb serve exited %s: %s" % (code, proc.stderr[-2000:])


@pytest.fixture
def program_env(serve, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ENDPOINT_URL": serve.url,
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "example-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    return env


@pytest.fixture(scope="session")
def node_modules(tmp_path_factory):
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("the Node.js example needs node and npm on PATH (missing: %s)"
                    % ", ".join(n for n, p in (("node", node), ("npm", npm)) if not p))
    folder = tmp_path_factory.mktemp("npm")
    (folder / "package.json").write_text('{"name": "pyddb-example", "private": true, "type": "module"}\n')
    t0 = time.perf_counter()
    # --prefer-offline: npm's own cache (~/.npm) serves what an earlier run downloaded, the registry the rest
    r = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"]
                       + NPM_PACKAGES, cwd=str(folder), capture_output=True, text=True, timeout=280)
    assert r.returncode == 0, "npm install %s failed:\n%s\n%s" % (" ".join(NPM_PACKAGES), r.stdout, r.stderr)
    print("npm install: %.1f s" % (time.perf_counter() - t0))
    return folder
