#!/usr/bin/env bash
# PromQL differential: a real Prometheus 2.42 scrapes node_exporter and itself
# and remote-writes everything into Outpost, so both hold the same samples;
# then the same queries go through both HTTP APIs (and promtool) and must agree.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

start_node_exporter
ne_port=$NE_PORT
printf "global: {}\n" >"$WORK/empty.yml"
start_outpost --prometheus.config "$WORK/empty.yml"
prom_port=$(free_port)
cat >"$WORK/prometheus.yml" <<YAML
global:
  scrape_interval: 2s
  scrape_timeout: 1s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:$ne_port']
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:$prom_port']
remote_write:
  - url: http://$OUTPOST_PROM/api/v1/write
    queue_config:
      batch_send_deadline: 1s
YAML
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn 2>"$WORK/prometheus.log" &
PIDS+=($!)
sleep 45

promtool query instant "http://$OUTPOST_PROM" 'count(up)' >"$WORK/promtool.out" 2>&1 || { cat "$WORK/promtool.out"; fail "promtool query instant against outpost failed"; }
grep -q '=> 2 @' "$WORK/promtool.out" || { cat "$WORK/promtool.out"; fail "promtool saw an unexpected count(up)"; }

python3 - "http://$OUTPOST_PROM" "http://127.0.0.1:$prom_port" <<'PY'
import json, math, sys, time, urllib.parse, urllib.request
ours, theirs = sys.argv[1], sys.argv[2]
t = round(time.time() - 12, 3)
queries = [
    'up',
    'count by (job) (up)',
    'sum by (job) (rate(node_cpu_seconds_total[30s]))',
    'rate(node_cpu_seconds_total{mode="idle"}[20s])',
    'irate(node_network_receive_bytes_total[20s])',
    # Counters far from zero: Prometheus 3 changed the zero cutoff of rate/increase
    # extrapolation (threshold first, then cutoff); Outpost follows 3.x, so counters
    # that start near zero would differ from this 2.42 by design.
    'increase(node_cpu_seconds_total{mode="idle"}[30s])',
    'node_memory_MemTotal_bytes / 1024 / 1024',
    '100 - (avg by (instance) (irate(node_cpu_seconds_total{mode="idle"}[20s])) * 100)',
    'topk(3, node_network_receive_bytes_total)',
    'max by (mode) (node_cpu_seconds_total)',
    'count(up == 1)',
    'up > bool 0',
    'absent(nonexistent_metric{job="x"})',
    'label_replace(up, "name", "$1", "job", "(.*)")',
    'avg_over_time(process_resident_memory_bytes[30s])',
    'quantile(0.9, node_cpu_seconds_total)',
    'histogram_quantile(0.9, sum by (le) (rate(prometheus_http_request_duration_seconds_bucket[30s])))',
    'sum without (cpu) (node_cpu_seconds_total)',
    'stddev by (mode) (node_cpu_seconds_total)',
    'count_values("value", up)',
    'node_load1 * on (instance) group_left (nodename) node_uname_info',
    'delta(process_resident_memory_bytes[30s])',
    'deriv(process_resident_memory_bytes[30s])',
    'max_over_time(up[30s:5s])',
    'time() - process_start_time_seconds',
    'vector(1) + 1',
    'scalar(count(up))',
    'sort_desc(sum by (mode) (node_cpu_seconds_total))',
]
def get(base, path, params):
    q = urllib.parse.urlencode(params)
    try:
        return json.load(urllib.request.urlopen(f"{base}{path}?{q}"))
    except urllib.error.HTTPError as e:
        return json.load(e)
def canon(d):
    if d.get("status") != "success":
        return ("error", d.get("errorType"))
    data = d["data"]
    r = data["result"]
    if data["resultType"] in ("scalar", "string"):
        return (data["resultType"], [r[1]])
    key = "value" if data["resultType"] == "vector" else "values"
    out = {}
    for s in r:
        pts = [s[key]] if key == "value" else s[key]
        out[json.dumps(s["metric"], sort_keys=True)] = [(p[0], p[1]) for p in pts]
    return (data["resultType"], out)
def close(a, b):
    if a == b:
        return True
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    if math.isnan(x) and math.isnan(y):
        return True
    return math.isclose(x, y, rel_tol=1e-6, abs_tol=1e-9)
failed = []
def compare(label, a, b):
    if a[0] != b[0]:
        failed.append(f"{label}: type {a[0]} vs {b[0]}")
        return
    if a[0] in ("error", "scalar", "string"):
        if a[0] == "error" or not close(a[1][0], b[1][0]):
            if a != b:
                failed.append(f"{label}: {a} vs {b}")
        return
    if set(a[1]) != set(b[1]):
        failed.append(f"{label}: series differ: only outpost {sorted(set(a[1]) - set(b[1]))[:3]}, only prometheus {sorted(set(b[1]) - set(a[1]))[:3]}")
        return
    for k in a[1]:
        pa, pb = a[1][k], b[1][k]
        if len(pa) != len(pb) or not all(x[0] == y[0] and close(x[1], y[1]) for x, y in zip(pa, pb)):
            failed.append(f"{label}: {k}: {pa[:3]} vs {pb[:3]}")
            return
for q in queries:
    compare(f"instant {q}", canon(get(ours, "/api/v1/query", {"query": q, "time": t})), canon(get(theirs, "/api/v1/query", {"query": q, "time": t})))
    rp = {"query": q, "start": t - 10, "end": t, "step": 2}
    compare(f"range {q}", canon(get(ours, "/api/v1/query_range", rp)), canon(get(theirs, "/api/v1/query_range", rp)))
bad = get(ours, "/api/v1/query", {"query": "sum(rate(", "time": t})
assert bad["status"] == "error" and bad["errorType"] == "bad_data", bad
total = 2 * len(queries)
print(f"{total - len(failed)}/{total} instant and range queries agree with prometheus 2.42")
for f in failed:
    print("  DIFF", f)
sys.exit(1 if failed else 0)
PY
