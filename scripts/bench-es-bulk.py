#!/usr/bin/env python3
"""_bulk ingest over HTTP, as Filebeat or Logstash sends it, measured per server CPU-second.

Usage: bench-es-bulk.py URL SERVER_PID [DOCS] [BULK_MB] [CONNECTIONS]

Sends DOCS (default 200000) Filebeat-shaped documents of about 1 KiB (the shape of
benches/logs_bulk.rs) in `_bulk` requests of BULK_MB (default 5) over CONNECTIONS (default 2)
connections, refreshes, then prints the NDJSON megabytes indexed per CPU-second of the server
process (utime + stime from /proc/PID/stat), the wall rate, and the p50/p99 of a term +
time-range search. Security must be off (or pass http://user:pw@host:port)."""

import base64
import json
import os
import sys
import threading
import time
import urllib.parse
import urllib.request

url, pid = sys.argv[1].rstrip("/"), int(sys.argv[2])
docs = int(sys.argv[3]) if len(sys.argv) > 3 else 200_000
bulk_mb = float(sys.argv[4]) if len(sys.argv) > 4 else 5.0
conns = int(sys.argv[5]) if len(sys.argv) > 5 else 2

parts = urllib.parse.urlsplit(url)
headers = {"Content-Type": "application/x-ndjson"}
if parts.username:
    cred = f"{parts.username}:{parts.password or ''}".encode()
    headers["Authorization"] = "Basic " + base64.b64encode(cred).decode()
    url = f"{parts.scheme}://{parts.hostname}:{parts.port}"

SERVICES = ["cart", "checkout", "payment", "catalog", "inventory"]
T0 = 1_796_601_600_000  # 2026-12-07T00:00:00Z


def doc(i):
    svc = SERVICES[i % len(SERVICES)]
    status = 500 if i % 50 == 0 else 200
    level = "error" if status == 500 else "info"
    ts = T0 + i * 10
    return {
        "@timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts / 1000)) + f".{ts % 1000:03d}Z",
        "message": f"GET /api/{svc}/items/{i % 1000} {status} {i % 97}ms request handled for user user-{i % 5000} "
        f"session {(i * 2654435761) & 0xffffffffffff:x} with a padded text body to reach a realistic log line "
        "length of about one kilobyte per document",
        "log": {"level": level, "logger": f"{svc}.handler",
                "file": {"path": f"/var/log/containers/{svc}-{i % 7}.log"}, "offset": i * 1024},
        "service": {"name": svc, "version": "1.4.2", "environment": "production"},
        "host": {"name": f"node-{i % 16}", "hostname": f"node-{i % 16}", "architecture": "x86_64",
                 "os": {"family": "debian", "kernel": "6.1.0-18-amd64"}},
        "kubernetes": {"namespace": "shop", "pod": {"name": f"{svc}-7d9f8c-{i % 11}",
                                                   "uid": f"3f2a9c1e-{i % 10000:04}-4b1d-9e2f-8a7b6c5d4e3f"},
                       "node": {"name": f"node-{i % 16}"}, "container": {"name": svc}},
        "http": {"request": {"method": "GET"}, "response": {"status_code": status}},
        "trace_id": f"{(i * 0x9E3779B97F4A7C15F39CC0605CEDC834) & ((1 << 128) - 1):032x}",
        "event": {"dataset": f"{svc}.access", "duration": (i % 1000) * 1000, "success": i % 5 < 3},
        "agent": {"type": "filebeat", "version": "8.15.0", "name": f"node-{i % 16}"},
    }


def bodies():
    buf, size = [], 0
    for i in range(docs):
        line = '{"index":{"_index":"bench-logs"}}\n' + json.dumps(doc(i), separators=(",", ":")) + "\n"
        buf.append(line)
        size += len(line)
        if size >= bulk_mb * 1e6:
            yield "".join(buf).encode()
            buf, size = [], 0
    if buf:
        yield "".join(buf).encode()


def cpu_seconds():
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def post(path, body, ctype="application/x-ndjson"):
    h = dict(headers, **{"Content-Type": ctype})
    req = urllib.request.Request(url + path, data=body, headers=h, method="POST")
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.load(r)


payloads = list(bodies())
total_bytes = sum(len(b) for b in payloads)
lock = threading.Lock()
errors = []


def worker():
    while True:
        with lock:
            if not payloads:
                return
            body = payloads.pop()
        r = post("/_bulk", body)
        if r.get("errors"):
            errors.append(r)


cpu0, t0 = cpu_seconds(), time.monotonic()
threads = [threading.Thread(target=worker) for _ in range(conns)]
for t in threads:
    t.start()
for t in threads:
    t.join()
post("/bench-logs/_refresh", b"", "application/json")
cpu, wall = cpu_seconds() - cpu0, time.monotonic() - t0
count = post("/bench-logs/_count", b"{}", "application/json")["count"]
assert not errors, errors[0]
assert count >= docs, count
mb = total_bytes / 1e6
print(f"docs {docs}  ndjson {mb:.1f} MB  server cpu {cpu:.2f} s  wall {wall:.2f} s")
print(f"_bulk: {mb / cpu:.1f} MB per server CPU-second, {mb / wall:.1f} MB/s wall, {docs / wall:.0f} docs/s")

q = {"size": 10, "query": {"bool": {"filter": [
    {"term": {"service.name.keyword": "checkout"}},
    {"range": {"@timestamp": {"gte": "2026-12-07T00:05:00Z", "lt": "2026-12-07T00:10:00Z"}}}]}}}
lat = []
for _ in range(200):
    s = time.monotonic()
    post("/bench-logs/_search", json.dumps(q).encode(), "application/json")
    lat.append((time.monotonic() - s) * 1000)
lat.sort()
print(f"term + time-range search over HTTP: p50 {lat[len(lat) // 2]:.1f} ms  p99 {lat[int(len(lat) * 0.99) - 1]:.1f} ms")
