"""A raw keep-alive HTTP load generator for DynamoDB-protocol servers (pyddb serve, moto, dynalite, ...).

Not boto3: requests are prebuilt bytes (signed with a fixed dummy SigV4 header, which servers that do not
verify signatures accept), sent over C keep-alive connections driven by one selector loop, one request in
flight per connection. Being CPython, it tops out near 15k requests/s on one core: past that, the client is
the bottleneck (cross-check with a C load generator such as wrk).

    python bench/loadgen.py --url http://127.0.0.1:8000 --op GetItem --connections 8 --seconds 5 \\
        [--items 1000] [--server-pid PID]

prints throughput, p50/p90/p99 latency and (with --server-pid, Linux) server CPU per operation. As a module:
`run_load(url, requests, connections, seconds)` -> dict, `request_bytes(host, op, body)`, `setup_table(...)`,
`setup_query_table(...)`, `workload(url, op, items)`. bench/server_bench.py drives it against pyddb serve,
moto and dynalite.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import selectors
import socket
import sys
import time
from typing import Dict, List, Optional, Sequence
from urllib.parse import urlsplit

TABLE = "loadgen"
STALL_SECONDS = 60        # run_load gives up when no response arrived for this long
AUTH = ("AWS4-HMAC-SHA256 Credential=loadgen/20240101/us-east-1/dynamodb/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=" + "0" * 64)


def request_bytes(host: str, op: str, body: Dict) -> bytes:
    payload = json.dumps(body, separators=(",", ":")).encode()
    return (("POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-amz-json-1.0\r\n"
             "X-Amz-Target: DynamoDB_20120810.%s\r\nX-Amz-Date: 20240101T000000Z\r\nAuthorization: %s\r\n"
             "Content-Length: %d\r\n\r\n") % (host, op, AUTH, len(payload))).encode() + payload


class _Conn:
    __slots__ = ("addr", "buf", "need", "sent_at", "sock")

    def __init__(self, addr) -> None:
        self.addr = addr
        self.buf = b""
        self.sent_at = 0.0
        self.need = -1
        self.connect()

    def connect(self) -> None:
        self.sock = socket.create_connection(self.addr)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)

    def send(self, data: bytes) -> None:
        n = self.sock.send(data)
        if n < len(data):                  # a large request that did not fit the socket buffer
            self.sock.setblocking(True)
            self.sock.sendall(data[n:])
            self.sock.setblocking(False)


def _response_length(buf: bytes) -> int:
    """Total length of the first response in buf, or -1 when its head is incomplete."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return -1
    head = buf[:end].lower()
    i = head.find(b"content-length:")
    if i < 0:
        return end + 4
    j = head.find(b"\r\n", i)
    return end + 4 + int(head[i + 15:j if j >= 0 else len(head)])


def _closes(buf: bytes) -> bool:
    """Whether the response at the start of buf ends its connection (HTTP/1.0, or Connection: close):
    moto's werkzeug server answers so, and the next request then goes on a new connection."""
    head = buf[:buf.find(b"\r\n\r\n")]
    return head[5:8] == b"1.0" or b"onnection: close" in head or b"onnection: Close" in head


def call(url: str, op: str, body: Dict) -> tuple:
    """One request on a fresh connection: (status, parsed JSON body)."""
    u = urlsplit(url)
    with socket.create_connection((u.hostname, u.port)) as s:
        s.sendall(request_bytes(u.netloc, op, body))
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
            n = _response_length(buf)
            if 0 <= n <= len(buf):
                break
    head, _, payload = buf.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(payload) if payload else None


def run_load(url: str, requests: Sequence[bytes], connections: int = 8, seconds: float = 3.0,
             max_requests: Optional[int] = None, keep_latencies: bool = False) -> Dict:
    """Send `requests` round-robin for `seconds` (or max_requests). Returns counts, rate and latencies
    (every latency in seconds, in completion order, under "latencies" with keep_latencies)."""
    u = urlsplit(url)
    addr = (u.hostname, u.port)
    sel = selectors.DefaultSelector()
    conns = [_Conn(addr) for _ in range(connections)]
    latencies: List[float] = []
    errors = 0
    statuses: Dict[int, int] = {}
    n_req = len(requests)
    i = 0
    start = time.perf_counter()
    deadline = start + seconds
    sent = 0
    for c in conns:
        c.send(requests[i % n_req])
        i += 1
        sent += 1
        c.sent_at = time.perf_counter()
        sel.register(c.sock, selectors.EVENT_READ, c)
    active = len(conns)
    last_event = time.perf_counter()
    while active:
        events = sel.select(1.0)
        if not events and time.perf_counter() - last_event > STALL_SECONDS:
            raise TimeoutError("no response for %d s" % STALL_SECONDS)
        for key, _ in events:
            last_event = time.perf_counter()
            c = key.data
            chunk = c.sock.recv(262144)
            if not chunk:
                raise ConnectionError("server closed a connection mid-response")
            c.buf += chunk
            while True:
                n = _response_length(c.buf)
                if n < 0 or n > len(c.buf):
                    break
                now = time.perf_counter()
                latencies.append(now - c.sent_at)
                status = int(c.buf[9:12])
                statuses[status] = statuses.get(status, 0) + 1
                if status != 200:
                    errors += 1
                if _closes(c.buf):          # moto: a new connection per request (its cost is moto's)
                    sel.unregister(c.sock)
                    c.sock.close()
                    c.connect()
                    sel.register(c.sock, selectors.EVENT_READ, c)
                c.buf = c.buf[n:]
                if now < deadline and (max_requests is None or sent < max_requests):
                    c.send(requests[i % n_req])
                    i += 1
                    sent += 1
                    c.sent_at = time.perf_counter()
                else:
                    sel.unregister(c.sock)
                    active -= 1
                break
    elapsed = time.perf_counter() - start
    for c in conns:
        c.sock.close()
    raw = list(latencies) if keep_latencies else None
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1e3 if latencies else 0.0

    out = {"requests": len(latencies), "errors": errors, "statuses": statuses, "seconds": elapsed,
           "per_second": len(latencies) / elapsed if elapsed else 0.0,
           "p50_ms": pct(0.50), "p90_ms": pct(0.90), "p99_ms": pct(0.99)}
    if raw is not None:
        out["latencies"] = raw
    return out


def create_table(url: str, name: str, range_key: bool = False) -> None:
    """Create `name` (pk S[, sk S]) if missing, and wait until it is ACTIVE."""
    status, out = call(url, "DescribeTable", {"TableName": name})
    if status != 200:
        keys = [("pk", "HASH")] + ([("sk", "RANGE")] if range_key else [])
        status, out = call(url, "CreateTable", {
            "TableName": name, "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": n, "KeyType": t} for n, t in keys],
            "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n, _ in keys]})
        if status != 200:
            raise RuntimeError("CreateTable: %s" % out)
    for _ in range(600):                              # dynalite keeps a table CREATING for a while
        status, out = call(url, "DescribeTable", {"TableName": name})
        if status == 200 and out["Table"]["TableStatus"] == "ACTIVE":
            return
        time.sleep(0.05)
    raise RuntimeError("%s never became ACTIVE" % name)


def load_items(url: str, name: str, items: Sequence[Dict], connections: int = 4) -> None:
    """Write `items` with BatchWriteItem (25 a request), then check with a Scan (Select COUNT) that all are
    there (run_load does not read bodies, so UnprocessedItems would otherwise go unseen)."""
    host = urlsplit(url).netloc
    reqs = [request_bytes(host, "BatchWriteItem", {"RequestItems": {name: [
        {"PutRequest": {"Item": it}} for it in items[i:i + 25]]}}) for i in range(0, len(items), 25)]
    if reqs:
        r = run_load(url, reqs, connections=min(connections, len(reqs)), seconds=3600, max_requests=len(reqs))
        if r["errors"]:
            raise RuntimeError("load: %d BatchWriteItem errors %s" % (r["errors"], r["statuses"]))
    count = count_items(url, name)
    if count < len(items):
        raise RuntimeError("load: %d of %d items in %s" % (count, len(items), name))


def count_items(url: str, name: str) -> int:
    count, body = 0, {"TableName": name, "Select": "COUNT"}
    while True:
        status, out = call(url, "Scan", body)
        if status != 200:
            raise RuntimeError("Scan: %s" % out)
        count += out["Count"]
        if "LastEvaluatedKey" not in out:
            return count
        body["ExclusiveStartKey"] = out["LastEvaluatedKey"]


def setup_table(url: str, items: int, attrs: int = 10) -> None:
    """Create TABLE (pk S) if missing and put `items` items of `attrs` attributes (k0..k{items-1})."""
    create_table(url, TABLE)
    load_items(url, TABLE, [item(k, attrs) for k in range(items)])


QUERY_TABLE = "loadgen_q"
PER_PARTITION = 100         # items per partition key in QUERY_TABLE


def setup_query_table(url: str, items: int, name: str = QUERY_TABLE) -> None:
    """Create `name` (pk S, sk S) and put `items` items, PER_PARTITION per partition key (p0, p1, ...)."""
    create_table(url, name, range_key=True)
    load_items(url, name, [query_item(k) for k in range(items)])


def query_item(k: int) -> Dict:
    it = item(k)
    it["pk"] = {"S": "p%d" % (k // PER_PARTITION)}
    it["sk"] = {"S": "s%06d" % (k % PER_PARTITION)}
    return it


def item(k: int, attrs: int = 10) -> Dict:
    it = {"pk": {"S": "k%d" % k}}
    for a in range(attrs - 1):
        it["a%d" % a] = {"S": "value %d of item %d" % (a, k)} if a % 2 else {"N": str(k * 10 + a)}
    return it


def workload(url: str, op: str, items: int, table: str = "") -> List[bytes]:
    """Prebuilt requests: GetItem/PutItem of random keys of TABLE, or Query (Limit 10, from a random sort key
    of a random partition, over QUERY_TABLE or `table`, as setup_query_table filled it)."""
    host = urlsplit(url).netloc
    keys = list(range(items))
    random.Random(1).shuffle(keys)
    if op == "Query":
        return [request_bytes(host, op, {
            "TableName": table or QUERY_TABLE, "Limit": 10,
            "KeyConditionExpression": "pk = :p AND sk >= :s",
            "ExpressionAttributeValues": {":p": {"S": "p%d" % (k // PER_PARTITION)},
                                          ":s": {"S": "s%06d" % (k % (PER_PARTITION - 10))}}})
            for k in keys]
    if op == "GetItem":
        return [request_bytes(host, op, {"TableName": TABLE, "Key": {"pk": {"S": "k%d" % k}}}) for k in keys]
    if op == "PutItem":
        return [request_bytes(host, op, {"TableName": TABLE, "Item": item(k)}) for k in keys]
    if op == "ListTables":
        return [request_bytes(host, op, {})]
    raise SystemExit("unknown --op %s" % op)


def _cpu_seconds(pid: int) -> float:
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True)
    p.add_argument("--op", default="GetItem", choices=("GetItem", "PutItem", "Query", "ListTables"))
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--items", type=int, default=1000)
    p.add_argument("--no-setup", action="store_true")
    p.add_argument("--server-pid", type=int)
    a = p.parse_args(argv)
    if not a.no_setup and a.op == "Query":
        setup_query_table(a.url, a.items)
    elif not a.no_setup and a.op != "ListTables":
        setup_table(a.url, a.items)
    reqs = workload(a.url, a.op, a.items)
    run_load(a.url, reqs, a.connections, 0.5)                      # warm-up
    cpu0 = _cpu_seconds(a.server_pid) if a.server_pid else None
    r = run_load(a.url, reqs, a.connections, a.seconds)
    if cpu0 is not None:
        r["server_cpu_us_per_op"] = (_cpu_seconds(a.server_pid) - cpu0) / r["requests"] * 1e6
    r["op"] = a.op
    r["connections"] = a.connections
    print(json.dumps(r))
    return 0 if not r["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
