"""Helpers of the server tests: raw HTTP requests, and test tables (through CreateTable)."""
import http.client
import signal
import subprocess
import sys
import time


DUMMY_AUTH = ("AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/dynamodb/aws4_request, "
              "SignedHeaders=host, Signature=" + "0" * 64)


def make_table(server, client, name, hash_key=("pk", "S"), range_key=None):
    """A PAY_PER_REQUEST table on `server` (a ServerThread), through `client` (boto3)."""
    keys = [hash_key] + ([range_key] if range_key else [])
    client.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": n, "KeyType": kt} for (n, _), kt in zip(keys, ("HASH", "RANGE"))],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in keys])


def raw_request(url, method="POST", body=b"", headers=None, target=None, auth=True, path="/"):
    """One request on its own connection: (status, {lower-case header: value}, body bytes)."""
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    h = {}
    if target is not None:
        h["X-Amz-Target"] = target
        h["Content-Type"] = "application/x-amz-json-1.0"
    if auth:
        h["Authorization"] = DUMMY_AUTH
        h["X-Amz-Date"] = "20240101T000000Z"
    h.update(headers or {})
    if isinstance(body, str):
        body = body.encode()
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in h.items():
            conn.putheader(k, v)
        if body or method == "POST":
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        conn.close()


class ServeProcess:
    """A `pyddb serve` subprocess: `.url`, `.line` (its startup line), `.ready_seconds`, `.stop(sig)`."""

    def __init__(self, args, cwd):
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "pyddb.cli", "serve"] + list(args), cwd=cwd,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.line = self.proc.stdout.readline()
        self.ready_seconds = time.perf_counter() - self.t0
        self.url = self.line.split(" on ", 1)[1].split(" ", 1)[0] if " on http" in self.line else None
        self.stderr = ""
        self.stdout = ""                      # what it printed after the startup line

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        self.stdout += out
        self.stderr += err
        return self.proc.returncode

    def wait(self, timeout=20):
        out, err = self.proc.communicate(timeout=timeout)
        self.stdout += out
        self.stderr += err
        return self.proc.returncode
