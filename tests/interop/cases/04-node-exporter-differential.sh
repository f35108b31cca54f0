#!/usr/bin/env bash
# Outpost and a real Prometheus 2.42 scrape the same real node_exporter; both
# must end up with the same metric names and series for the job.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

start_node_exporter
ne_port=$NE_PORT

mkdir -p "$WORK/stack/prometheus"
cat >"$WORK/stack/prometheus/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:$ne_port']
YAML
start_outpost "$WORK/stack"
prom_port=$(free_port)
prometheus --config.file="$WORK/stack/prometheus/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" --log.level=warn 2>"$WORK/prometheus.log" &
PIDS+=($!)

target_up() { # target_up BASE
  curl -fsS "$1/api/v1/targets" | python3 -c 'import json,sys; t=json.load(sys.stdin)["data"]["activeTargets"]; sys.exit(0 if t and all(x["health"]=="up" for x in t) else 1)'
}
wait_for target_up "http://$OUTPOST_PROM" || { curl -s "http://$OUTPOST_PROM/api/v1/targets"; fail "outpost never scraped node_exporter"; }
wait_for target_up "http://127.0.0.1:$prom_port" || fail "prometheus never scraped node_exporter"
sleep 3

python3 - "http://$OUTPOST_PROM" "http://127.0.0.1:$prom_port" <<'PY'
import json, sys, time, urllib.parse, urllib.request
def series(base):
    end = time.time() - 1
    q = urllib.parse.urlencode({"match[]": '{job="node"}', "start": end - 2, "end": end})
    data = json.load(urllib.request.urlopen(f"{base}/api/v1/series?{q}"))["data"]
    return {json.dumps(s, sort_keys=True) for s in data}
ours, theirs = series(sys.argv[1]), series(sys.argv[2])
names = lambda s: {json.loads(x)["__name__"] for x in s}
missing, extra = theirs - ours, ours - theirs
print(f"series: outpost {len(ours)}, prometheus {len(theirs)}; metric names: {len(names(ours))} vs {len(names(theirs))}")
# Series that exist only for a moment (e.g. per-scrape collector timings) may
# differ at the edges; the metric names and nearly all series must agree.
assert names(ours) == names(theirs), f"names differ: only prometheus {sorted(names(theirs)-names(ours))[:10]}, only outpost {sorted(names(ours)-names(theirs))[:10]}"
assert len(missing) + len(extra) <= max(5, len(theirs) // 100), f"series differ: missing {sorted(missing)[:5]}, extra {sorted(extra)[:5]}"
PY
