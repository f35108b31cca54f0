#!/usr/bin/env bash
# Outpost's rule engine hands its alerts to a real Alertmanager (Debian 0.25)
# listed in prometheus.yml's alerting.alertmanagers: amtool sees them with the
# external labels, the rendered annotations and Outpost's generatorURL; and
# Debian's Prometheus 2.42 running the same rule file agrees on the alert.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

AM_PORT=$(free_port)
cat >"$WORK/am.yml" <<EOF
route: {receiver: blackhole, group_wait: 1s}
receivers: [{name: blackhole}]
EOF
prometheus-alertmanager --config.file="$WORK/am.yml" --storage.path="$WORK/amdata" \
  --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= --log.level=warn 2>"$WORK/am.log" &
PIDS+=($!)
wait_for curl -fsS "http://127.0.0.1:$AM_PORT/-/ready" || { cat "$WORK/am.log"; fail "alertmanager did not start"; }

cat >"$WORK/rules.yml" <<'EOF'
groups:
  - name: interop
    rules:
      - alert: OutpostInterop
        expr: vector(42) > 1
        labels: {severity: page}
        annotations:
          summary: "value {{ $value }} in {{ $externalLabels.cluster }}"
EOF
cat >"$WORK/prometheus.yml" <<EOF
global: {evaluation_interval: 1s, external_labels: {cluster: interop}}
alerting:
  alertmanagers: [{static_configs: [{targets: ['127.0.0.1:$AM_PORT']}]}]
rule_files: [rules.yml]
EOF
start_outpost --prometheus.config "$WORK/prometheus.yml" --web.external-url http://outpost.test:9090

wait_for sh -c "amtool --alertmanager.url=http://127.0.0.1:$AM_PORT alert query alertname=OutpostInterop | grep -q OutpostInterop" \
  || { cat "$WORK/outpost.log"; fail "the alert never reached Alertmanager"; }
amtool --alertmanager.url="http://127.0.0.1:$AM_PORT" alert query -o json alertname=OutpostInterop >"$WORK/alerts.json"
python3 - "$WORK/alerts.json" <<'EOF' || fail "alert as Alertmanager received it is wrong"
import json, sys
a = json.load(open(sys.argv[1]))
assert len(a) == 1, a
a = a[0]
assert a["labels"] == {"alertname": "OutpostInterop", "cluster": "interop", "severity": "page"}, a["labels"]
assert a["annotations"] == {"summary": "value 42 in interop"}, a["annotations"]
assert a["generatorURL"] == "http://outpost.test:9090/graph?g0.expr=vector%2842%29+%3E+1&g0.tab=1", a["generatorURL"]
assert a["status"]["state"] == "active", a["status"]
EOF

# Debian's Prometheus on the same rule file: the same alert in /api/v1/alerts.
PROM_PORT=$(free_port)
sed "s/127.0.0.1:$AM_PORT/127.0.0.1:1/" "$WORK/prometheus.yml" >"$WORK/prom-upstream.yml"
prometheus --config.file="$WORK/prom-upstream.yml" --storage.tsdb.path="$WORK/promdata" \
  --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn 2>"$WORK/prom.log" &
PIDS+=($!)
wait_for sh -c "curl -fsS http://127.0.0.1:$PROM_PORT/api/v1/alerts | grep -q firing" \
  || { cat "$WORK/prom.log"; fail "prometheus did not fire the alert"; }
wait_for sh -c "curl -fsS http://$OUTPOST_PROM/api/v1/alerts | grep -q firing" || fail "outpost alert not firing"
curl -fsS "http://127.0.0.1:$PROM_PORT/api/v1/alerts" >"$WORK/up.json"
curl -fsS "http://$OUTPOST_PROM/api/v1/alerts" >"$WORK/ours.json"
python3 - "$WORK/up.json" "$WORK/ours.json" <<'EOF' || fail "/api/v1/alerts differs"
import json, sys
up, ours = (json.load(open(p))["data"]["alerts"] for p in sys.argv[1:])
strip = lambda a: {k: v for k, v in a.items() if k != "activeAt"}
assert [strip(a) for a in up] == [strip(a) for a in ours], (up, ours)
assert sorted(up[0]) == sorted(ours[0]), (up, ours)
EOF
curl -fsS "http://127.0.0.1:$PROM_PORT/api/v1/rules" >"$WORK/up-rules.json"
curl -fsS "http://$OUTPOST_PROM/api/v1/rules" >"$WORK/our-rules.json"
python3 - "$WORK/up-rules.json" "$WORK/our-rules.json" <<'EOF' || fail "/api/v1/rules differs"
import json, sys
up, ours = (json.load(open(p))["data"]["groups"][0] for p in sys.argv[1:])
assert sorted(up) == sorted(ours), (sorted(up), sorted(ours))
ur, orr = up["rules"][0], ours["rules"][0]
assert sorted(ur) == sorted(orr), (sorted(ur), sorted(orr))
for k in ("state", "name", "query", "duration", "labels", "annotations", "health", "type"):
    assert ur[k] == orr[k], (k, ur[k], orr[k])
EOF
echo "ok: outpost's alerts reach Alertmanager 0.25; /api/v1/alerts and /api/v1/rules agree with Prometheus 2.42"
