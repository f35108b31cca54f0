#!/usr/bin/env bash
# A real Prometheus (Debian 2.42) with Outpost as its Alertmanager: a firing
# rule's alert arrives through POST /api/v2/alerts and reaches Outpost's
# webhook receiver with Prometheus' labels, annotations and generatorURL.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

HOOK_PORT=$(free_port)
python3 - "$HOOK_PORT" "$WORK/hook.json" <<'EOF' &
import http.server, sys
port, out = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        open(out, "wb").write(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
EOF
PIDS+=($!)

cat >"$WORK/am.yml" <<EOF
route:
  receiver: hook
  group_by: [alertname]
  group_wait: 1s
receivers:
  - name: hook
    webhook_configs: [{url: 'http://127.0.0.1:$HOOK_PORT/'}]
EOF
start_outpost --alertmanager.config "$WORK/am.yml"

cat >"$WORK/rules.yml" <<'EOF'
groups:
  - name: interop
    interval: 1s
    rules:
      - alert: InteropAlwaysFiring
        expr: vector(1)
        labels: {severity: test}
        annotations: {summary: 'fires forever'}
EOF
port=$(free_port)
cat >"$WORK/prometheus.yml" <<YAML
global:
  evaluation_interval: 1s
rule_files: ['$WORK/rules.yml']
alerting:
  alertmanagers:
    - api_version: v2
      static_configs:
        - targets: ['$OUTPOST_AM']
YAML
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$port" --log.level=warn 2>"$WORK/prometheus.log" &
PIDS+=($!)

alert_listed() {
  curl -fsS "http://$OUTPOST_AM/api/v2/alerts?filter=alertname%3DInteropAlwaysFiring" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert len(d) == 1 and d[0]["labels"]["severity"] == "test" and d[0]["annotations"]["summary"] == "fires forever"
assert d[0]["generatorURL"].startswith("http"), d
'
}
wait_for alert_listed || { cat "$WORK/prometheus.log" >&2; fail "prometheus' alert never reached outpost"; }
wait_for test -s "$WORK/hook.json" || fail "no webhook notification"
python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
assert m["groupKey"] == "{}:{alertname=\"InteropAlwaysFiring\"}", m
assert m["alerts"][0]["labels"]["severity"] == "test", m
assert m["status"] == "firing"
' "$WORK/hook.json" || fail "webhook body: $(cat "$WORK/hook.json")"
echo "prometheus 2.42 delivered its alert to outpost; the webhook received it"
