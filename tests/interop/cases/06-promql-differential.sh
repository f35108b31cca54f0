#!/usr/bin/env bash
# PromQL differential: a real Prometheus 2.42 scrapes node_exporter and itself
# and remote-writes everything into Outpost, so both hold the same samples;
# then the same queries go through both HTTP APIs (and promtool) and must agree.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

start_node_exporter
printf "global: {}\n" >"$WORK/empty.yml"
start_outpost --prometheus.config "$WORK/empty.yml"
start_prometheus_remote_writing 2s
prom_port=$PROM_PORT
sleep 45

promtool query instant "http://$OUTPOST_PROM" 'count(up)' >"$WORK/promtool.out" 2>&1 || { cat "$WORK/promtool.out"; fail "promtool query instant against outpost failed"; }
grep -q '=> 2 @' "$WORK/promtool.out" || { cat "$WORK/promtool.out"; fail "promtool saw an unexpected count(up)"; }
now=$(date +%s)
promtool query range --start=$((now - 60)) --end=$((now - 10)) --step=10s "http://$OUTPOST_PROM" 'count(up)' >"$WORK/range.out" 2>&1 \
  || { cat "$WORK/range.out"; fail "promtool query range against outpost failed"; }
grep -q '^2 @' "$WORK/range.out" || { cat "$WORK/range.out"; fail "promtool query range: unexpected output"; }
promtool query series --match='up' "http://$OUTPOST_PROM" >"$WORK/series.out" 2>&1 \
  || { cat "$WORK/series.out"; fail "promtool query series against outpost failed"; }
[ "$(grep -c '__name__="up"' "$WORK/series.out")" -eq 2 ] || { cat "$WORK/series.out"; fail "promtool query series: want 2 up series"; }
promtool query labels "http://$OUTPOST_PROM" job >"$WORK/labels.out" 2>&1 \
  || { cat "$WORK/labels.out"; fail "promtool query labels against outpost failed"; }
grep -qx 'node' "$WORK/labels.out" || { cat "$WORK/labels.out"; fail "promtool query labels: job=node missing"; }
# What Grafana's Prometheus datasource sends: POST query_range, labels and
# label values with match[] (incl. =~ on __name__), buildinfo (metadata is
# covered by tests/prom_api.rs).
for who in "$OUTPOST_PROM" "127.0.0.1:$prom_port"; do
  curl -fsS -X POST "http://$who/api/v1/query_range" --data-urlencode 'query=sum(up)' \
    --data-urlencode "start=$((now - 60))" --data-urlencode "end=$((now - 10))" --data-urlencode 'step=10' \
    | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["data"]["resultType"]=="matrix" and len(d["data"]["result"])==1, d' \
    || fail "POST query_range on $who"
  curl -fsS "http://$who/api/v1/label/__name__/values?match[]=%7B__name__%3D~%22node_cpu.%2A%22%7D" \
    | python3 -c 'import json,sys; v=json.load(sys.stdin)["data"]; assert v and all(x.startswith("node_cpu") for x in v), v' \
    || fail "label values of __name__ with =~ match[] on $who"
  curl -fsS -X POST "http://$who/api/v1/labels" --data-urlencode 'match[]=up' \
    | python3 -c 'import json,sys; v=json.load(sys.stdin)["data"]; assert "job" in v and "instance" in v, v' \
    || fail "POST labels with match[] on $who"
  curl -fsS "http://$who/api/v1/status/buildinfo" | python3 -c 'import json,sys; assert "version" in json.load(sys.stdin)["data"]' \
    || fail "buildinfo on $who"
done
echo "promtool query instant/range/series/labels and Grafana's requests answered" >&2

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
