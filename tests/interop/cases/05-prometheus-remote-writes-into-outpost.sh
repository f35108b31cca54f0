#!/usr/bin/env bash
# A real Prometheus 2.42 scrapes node_exporter and itself and remote-writes
# into Outpost; `count by (__name__)` over a settled window must agree.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

start_node_exporter
start_outpost
start_prometheus_remote_writing 1s
prom_port=$PROM_PORT

written() {
  curl -fsS "http://$OUTPOST_PROM/metrics" | awk '/^outpost_remote_write_samples_total\{outcome="written"\}/ {exit !($2 > 1000)}'
}
wait_for written || { tail -20 "$WORK/prometheus.log" >&2; fail "no remote-write samples arrived"; }
sleep 6

python3 - "http://$OUTPOST_PROM" "http://127.0.0.1:$prom_port" <<'PY'
import json, sys, time, urllib.parse, urllib.request
from collections import Counter
end = time.time() - 4
def counts(base):
    q = urllib.parse.urlencode({"match[]": '{__name__=~".+", job=~"node|prometheus"}', "start": end - 2, "end": end})
    data = json.load(urllib.request.urlopen(f"{base}/api/v1/series?{q}"))["data"]
    return Counter(s["__name__"] for s in data)
ours, theirs = counts(sys.argv[1]), counts(sys.argv[2])
# The same check through Prometheus' own PromQL on its side.
q = urllib.parse.urlencode({"query": 'count by (__name__)({__name__=~".+", job=~"node|prometheus"})', "time": end})
promql = {r["metric"]["__name__"]: int(r["value"][1]) for r in json.load(urllib.request.urlopen(f"{sys.argv[2]}/api/v1/query?{q}"))["data"]["result"]}
diff = {n: (ours.get(n), theirs.get(n)) for n in set(ours) | set(theirs) if ours.get(n) != theirs.get(n)}
print(f"metric names: outpost {len(ours)}, prometheus {len(theirs)} (promql count by: {len(promql)}); series {sum(ours.values())} vs {sum(theirs.values())}; differing names {len(diff)}")
assert len(theirs) > 50, theirs
assert len(diff) <= max(3, len(theirs) // 50), f"counts differ: {dict(list(diff.items())[:10])}"
PY
