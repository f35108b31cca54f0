#!/usr/bin/env bash
# Side-by-side PromQL range queries: the same 10k series (5k counters
# http_requests_total{job,instance}, 5k classic histogram buckets
# http_request_duration_seconds_bucket{job,instance,le}) over 1h10m at a 15s
# scrape interval, remote-written into Outpost and Debian's Prometheus 2.42;
# then the issue's two range queries (1h, 15s step) over HTTP on both, timed
# end to end (best of N runs), with the ratio Outpost / Prometheus.
#
# usage: scripts/bench-promql-vs-prometheus.sh [RUNS]
# needs: a release build (cargo build --release -p outpost), `prometheus` on
# PATH (Debian's 2.42), curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
bin=${OUTPOST_BIN:-target/release/outpost}
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

op_port=$(port)
"$bin" --listen "prometheus=127.0.0.1:$op_port" $(for l in alertmanager otlp-grpc otlp-http jaeger-query jaeger-collector-http jaeger-collector-grpc zipkin elasticsearch beats; do echo --listen $l=off; done) \
  --prometheus.config /dev/null --log.level warn 2>"$work/outpost.log" &
pids+=($!)
printf 'global: {}\n' >"$work/p.yml"
pr_port=$(port)
prometheus --config.file="$work/p.yml" --storage.tsdb.path="$work/tsdb" --web.listen-address="127.0.0.1:$pr_port" \
  --web.enable-remote-write-receiver --log.level=warn 2>"$work/prometheus.log" &
pids+=($!)
for p in "$op_port" "$pr_port"; do
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$p/-/ready" >/dev/null && break; sleep 0.2; done
done

# The data ends at the current second (Prometheus accepts no samples far
# from its head), so the wall clock is read here, in the script.
end=$(date +%s)
start=$((end - 3600))
t0=$((start - 600))

# Remote write 1.0 by hand: protobuf WriteRequest, snappy block format with
# literal chunks only (valid snappy every decoder accepts).
cat >"$work/send.py" <<'EOF'
import sys, urllib.request

def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)

def field(num, wire, payload):
    key = varint((num << 3) | wire)
    if wire == 2:
        return key + varint(len(payload)) + payload
    return key + payload

def label(n, v):
    return field(1, 2, n.encode()) + field(2, 2, v.encode())

def snappy_literal(data):
    out = bytearray(varint(len(data)))
    for i in range(0, len(data), 65536):
        chunk = data[i:i + 65536]
        n = len(chunk) - 1
        if n < 60:
            out.append(n << 2)
        else:
            out.append(61 << 2)
            out += n.to_bytes(2, "little")
        out += chunk
    return bytes(out)

import struct
url, t0, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
les = ["0.1", "0.5", "1", "5", "+Inf"]
series = []
for i in range(10000):
    job = "job-%d" % (i % 10)
    if i % 2 == 0:
        ls = [("__name__", "http_requests_total"), ("instance", "i%d" % i), ("job", job)]
    else:
        ls = [("__name__", "http_request_duration_seconds_bucket"), ("instance", "i%d" % (i // 5)),
              ("job", job), ("le", les[i % len(les)])]
    series.append((b"".join(field(1, 2, label(n, v)) for n, v in ls), (i % 5) + 1.0))
step = 0
for t in range(t0, end + 1, 15):
    body = bytearray()
    for enc, inc in series:
        sample = field(1, 1, struct.pack("<d", inc * step)) + field(2, 0, varint(t * 1000))
        body += field(1, 2, enc + field(2, 2, sample))
    req = urllib.request.Request(url, data=snappy_literal(bytes(body)), method="POST", headers={
        "Content-Type": "application/x-protobuf", "Content-Encoding": "snappy",
        "X-Prometheus-Remote-Write-Version": "0.1.0"})
    urllib.request.urlopen(req).read()
    step += 1
EOF
echo "loading 10k series, $(((end - t0) / 15 + 1)) samples each, into both"
python3 "$work/send.py" "http://127.0.0.1:$op_port/api/v1/write" "$t0" "$end" &
a=$!
python3 "$work/send.py" "http://127.0.0.1:$pr_port/api/v1/write" "$t0" "$end" &
b=$!
wait "$a" "$b"

# Best wall time of $runs identical range queries, in seconds.
best() {
  local port=$1 q=$2 best=""
  for _ in $(seq "$runs"); do
    t=$(curl -sS -o "$work/out.json" -w '%{time_total}' "http://127.0.0.1:$port/api/v1/query_range" \
      --data-urlencode "query=$q" --data-urlencode "start=$start" --data-urlencode "end=$end" --data-urlencode "step=15s")
    grep -q '"status":"success"' "$work/out.json" || { echo "query failed on port $port: $(head -c 300 "$work/out.json")" >&2; exit 1; }
    if [ -z "$best" ] || python3 -c "import sys; sys.exit(0 if $t < $best else 1)"; then best=$t; fi
  done
  echo "$best"
}

echo "prometheus $(prometheus --version 2>&1 | head -1 | awk '{print $3}') vs outpost ($bin); range 1h, step 15s, best of $runs"
for q in 'sum by (job) (rate(http_requests_total[5m]))' \
  'histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))'; do
  best "$op_port" "$q" >/dev/null # warm both once
  best "$pr_port" "$q" >/dev/null
  o=$(best "$op_port" "$q")
  cp "$work/out.json" "$work/outpost.json"
  p=$(best "$pr_port" "$q")
  printf '%s\n  outpost %.3fs  prometheus %.3fs  ratio %.2f\n' "$q" "$o" "$p" "$(python3 -c "print($o / $p)")"
  # Both must have answered the same series and values (relative 1e-6).
  python3 - "$work/outpost.json" "$work/out.json" <<'CMP'
import json, math, sys
def load(p):
    return {json.dumps(s["metric"], sort_keys=True): s["values"] for s in json.load(open(p))["data"]["result"]}
a, b = load(sys.argv[1]), load(sys.argv[2])
bad = sorted(set(a) ^ set(b))
for k in set(a) & set(b):
    if [t for t, _ in a[k]] != [t for t, _ in b[k]]:
        bad.append(k + " timestamps")
        continue
    for (_, x), (_, y) in zip(a[k], b[k]):
        x, y = float(x), float(y)
        if not (x == y or (math.isnan(x) and math.isnan(y)) or abs(x - y) <= 1e-6 * max(abs(x), abs(y))):
            bad.append("%s: %r vs %r" % (k, x, y))
            break
print("  results agree: %d series" % len(a) if not bad else "  results differ: %s" % bad[:5])
CMP
done
