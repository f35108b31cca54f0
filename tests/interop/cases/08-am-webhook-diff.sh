#!/usr/bin/env bash
# The same alerts posted to Debian's Alertmanager 0.25 and to Outpost: the
# webhook bodies must have the same keys, groupKey, grouping, receiver,
# status, group/common labels and truncation.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

HOOK_PORT=$(free_port)
mkdir -p "$WORK/hooks"
python3 - "$HOOK_PORT" "$WORK/hooks" <<'EOF' &
import http.server, sys, itertools
port, out = int(sys.argv[1]), sys.argv[2]
n = itertools.count()
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        who = self.path.strip("/")
        open(f"{out}/{who}-{next(n):03d}.json", "wb").write(body)
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
EOF
PIDS+=($!)

config() { # config TARGET
  cat <<EOF
route:
  receiver: team.web
  group_by: [alertname, cluster]
  group_wait: 1s
  group_interval: 1m
  routes:
    - matchers: [severity="page"]
      receiver: pager
      group_by: ['...']
receivers:
  - name: team.web
    webhook_configs: [{url: 'http://127.0.0.1:$HOOK_PORT/$1', max_alerts: 2}]
  - name: pager
    webhook_configs: [{url: 'http://127.0.0.1:$HOOK_PORT/$1'}]
EOF
}
config am >"$WORK/am.yml"
config outpost >"$WORK/outpost.yml"

AM_PORT=$(free_port)
prometheus-alertmanager --config.file="$WORK/am.yml" --storage.path="$WORK/amdata" \
  --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= --log.level=warn 2>"$WORK/am.log" &
PIDS+=($!)
wait_for curl -fsS "http://127.0.0.1:$AM_PORT/-/ready" || { cat "$WORK/am.log"; fail "alertmanager did not start"; }
start_outpost --alertmanager.config "$WORK/outpost.yml"

now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
later=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
alerts=$(cat <<EOF
[
 {"labels":{"alertname":"HighLatency","cluster":"eu","instance":"a","severity":"warning"},"annotations":{"summary":"slow"},"startsAt":"$now","endsAt":"$later","generatorURL":"http://prom/g"},
 {"labels":{"alertname":"HighLatency","cluster":"eu","instance":"b","severity":"warning"},"annotations":{"summary":"slow"},"startsAt":"$now","endsAt":"$later"},
 {"labels":{"alertname":"HighLatency","cluster":"eu","instance":"c","severity":"warning"},"startsAt":"$now","endsAt":"$later"},
 {"labels":{"alertname":"HighLatency","cluster":"us","instance":"a","severity":"warning"},"startsAt":"$now","endsAt":"$later"},
 {"labels":{"alertname":"Down","job":"api","severity":"page"},"startsAt":"$now","endsAt":"$later"}
]
EOF
)
for url in "http://127.0.0.1:$AM_PORT" "http://$OUTPOST_AM"; do
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d "$alerts" "$url/api/v2/alerts")
  [ "$code" = 200 ] || fail "POST $url/api/v2/alerts: $code"
done

for _ in $(seq 1 100); do
  [ "$(ls "$WORK/hooks" | grep -c '^am-')" -ge 3 ] && [ "$(ls "$WORK/hooks" | grep -c '^outpost-')" -ge 3 ] && break
  sleep 0.1
done

python3 - "$WORK/hooks" <<'EOF' || fail "webhook bodies differ"
import glob, json, sys
def load(who):
    out = {}
    for f in sorted(glob.glob(f"{sys.argv[1]}/{who}-*.json")):
        m = json.load(open(f))
        out[m["groupKey"]] = m
    return out
am, op = load("am"), load("outpost")
assert len(am) == 3, f"alertmanager sent {len(am)} groups: {list(am)}"
assert sorted(am) == sorted(op), f"group keys differ:\n am: {sorted(am)}\n outpost: {sorted(op)}"
for k in am:
    a, o = am[k], op[k]
    assert list(a) == list(o), f"{k}: keys {list(a)} vs {list(o)}"
    for f in ["receiver", "status", "groupLabels", "commonLabels", "commonAnnotations", "version", "truncatedAlerts"]:
        assert a[f] == o[f], f"{k}: {f}: {a[f]!r} vs {o[f]!r}"
    la = [(x["labels"], x["status"], x["fingerprint"], list(x)) for x in a["alerts"]]
    lo = [(x["labels"], x["status"], x["fingerprint"], list(x)) for x in o["alerts"]]
    assert la == lo, f"{k}: alerts differ:\n {la}\n {lo}"
print(f"{len(am)} groups identical in keys, groupKey, grouping and labels")
EOF
echo "webhook bodies of alertmanager 0.25 and outpost agree"
