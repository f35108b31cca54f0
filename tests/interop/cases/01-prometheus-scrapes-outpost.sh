#!/usr/bin/env bash
# A real Prometheus (Debian 2.42) scrapes Outpost's /metrics and reports
# up == 1, with samples scraped and no scrape error.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

start_outpost
port=$(free_port)
cat >"$WORK/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: outpost
    static_configs:
      - targets: ['$OUTPOST_PROM']
YAML
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$port" --log.level=warn 2>"$WORK/prometheus.log" &
PIDS+=($!)

query() {
  curl -fsS "http://127.0.0.1:$port/api/v1/query" --data-urlencode "query=$1"
}
value_is() { # value_is QUERY VALUE
  query "$1" | python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; sys.exit(0 if r and r[0]["value"][1]==sys.argv[1] else 1)' "$2"
}

wait_for value_is 'up{job="outpost"}' 1 || { cat "$WORK/prometheus.log" >&2; fail "up{job=\"outpost\"} never became 1"; }
wait_for value_is 'outpost_build_info{job="outpost"}' 1 || fail "outpost_build_info not ingested"
samples=$(query 'scrape_samples_scraped{job="outpost"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["result"][0]["value"][1])')
[ "$samples" -gt 5 ] || fail "only $samples samples scraped"
curl -fsS "http://127.0.0.1:$port/api/v1/targets" | python3 -c '
import json, sys
t = json.load(sys.stdin)["data"]["activeTargets"]
assert len(t) == 1, t
assert t[0]["health"] == "up", t[0]
assert t[0]["lastError"] == "", t[0]
' || fail "target not healthy"
echo "prometheus 2.42 scraped outpost: up=1, $samples samples, no scrape error"
