#!/usr/bin/env bash
# Config redaction: a real Prometheus (Debian 2.42) and Outpost load the same
# prometheus.yml with a secret in every kind of secret field; both serve it at
# /api/v1/status/config with the same fields as <secret> and no secret value.
# Then the same for alertmanager.yml against Alertmanager 0.25's
# /api/v2/status `config.original`. Upstream re-serialises with every default
# filled in, so the set of redacted keys is compared, not the YAML text.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

cat >"$WORK/prometheus.yml" <<'YAML'
global:
  scrape_interval: 15s
scrape_configs:
  - job_name: basic
    basic_auth: {username: u, password: leak-basic}
    static_configs: [{targets: ['127.0.0.1:1']}]
  - job_name: authz
    authorization:
      type: Bearer
      credentials: "leak-authz"
    static_configs: [{targets: ['127.0.0.1:2']}]
  - job_name: bearer
    bearer_token: 'leak-bearer'
    static_configs: [{targets: ['127.0.0.1:3']}]
  - job_name: oauth
    oauth2:
      client_id: id
      client_secret: leak-oauth
      token_url: http://127.0.0.1:5/token
    static_configs: [{targets: ['127.0.0.1:4']}]
  - job_name: empty-password
    basic_auth: {username: nobody, password: ''}
    static_configs: [{targets: ['127.0.0.1:6']}]
alerting:
  alertmanagers:
    - basic_auth:
        username: a
        password: |
          leak-alerting
      static_configs: [{targets: ['127.0.0.1:7']}]
remote_write:
  - url: http://127.0.0.1:8/api/v1/write
    authorization: {credentials: leak-rw}
  - url: http://127.0.0.1:9/api/v1/write
    sigv4: {region: eu-west-1, access_key: AKID, secret_key: leak-sigv4}
remote_read:
  - url: http://127.0.0.1:10/api/v1/read
    basic_auth: {username: r, password: leak-rr}
YAML

cat >"$WORK/alertmanager.yml" <<'YAML'
global:
  smtp_smarthost: 'mail:25'
  smtp_from: a@b
  smtp_auth_password: leak-smtp
  smtp_auth_secret: leak-smtp-secret
  slack_api_url: https://hooks.slack.com/services/leak-slack-global
  opsgenie_api_key: leak-opsgenie-global
  victorops_api_key: leak-victorops-global
  wechat_api_secret: leak-wechat-global
route:
  receiver: web
receivers:
  - name: web
    webhook_configs:
      - url: http://127.0.0.1:1/hook
        http_config: {basic_auth: {username: u, password: leak-http}}
  - name: all
    pagerduty_configs: [{routing_key: leak-pd-routing}, {service_key: leak-pd-service}]
    slack_configs: [{api_url: 'https://hooks.slack.com/services/leak-slack', channel: '#c'}]
    email_configs: [{to: x@y, auth_password: leak-email, auth_secret: leak-email-secret}]
    telegram_configs: [{bot_token: leak-telegram, chat_id: 1}]
    pushover_configs: [{user_key: leak-pushover-user, token: leak-pushover-token}]
    opsgenie_configs: [{api_key: leak-opsgenie}]
    victorops_configs: [{api_key: leak-victorops, routing_key: rk}]
    wechat_configs: [{api_secret: leak-wechat, corp_id: c}]
    sns_configs: [{api_url: 'https://sns', topic_arn: 'arn:aws:sns:r:1:t', sigv4: {region: r, access_key: AKID, secret_key: leak-sigv4}}]
YAML

start_outpost --prometheus.config "$WORK/prometheus.yml" --alertmanager.config "$WORK/alertmanager.yml"
AM_PORT=$(free_port)
prometheus-alertmanager --config.file="$WORK/alertmanager.yml" --storage.path="$WORK/amdata" \
  --web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= --log.level=warn 2>"$WORK/am.log" &
PIDS+=($!)
port=$(free_port)
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$port" --log.level=warn 2>"$WORK/prometheus.log" &
PIDS+=($!)
wait_for curl -fsS "http://127.0.0.1:$port/-/ready" || { cat "$WORK/prometheus.log" >&2; fail "prometheus did not start"; }

curl -fsS "http://127.0.0.1:$port/api/v1/status/config" >"$WORK/up.json"
curl -fsS "http://$OUTPOST_PROM/api/v1/status/config" >"$WORK/ours.json"
wait_for curl -fsS "http://127.0.0.1:$AM_PORT/-/ready" || { cat "$WORK/am.log" >&2; fail "alertmanager did not start"; }
curl -fsS "http://127.0.0.1:$AM_PORT/api/v2/status" >"$WORK/am-up.json"
curl -fsS "http://$OUTPOST_AM/api/v2/status" >"$WORK/am-ours.json"

python3 - "$WORK/up.json" "$WORK/ours.json" "$WORK/am-up.json" "$WORK/am-ours.json" "$WORK/alertmanager.yml" <<'PY'
import json, sys, yaml

def served(path):
    doc = json.load(open(path))
    return doc["data"]["yaml"] if "data" in doc else doc["config"]["original"]

def redacted(path):
    text = served(path)
    if "leak-" in text:
        sys.exit(f"{path}: a secret value is served:\n{text}")
    keys, plain = set(), set()
    def walk(v, at):
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, at + (str(k),))
        elif isinstance(v, list):
            # Jobs by name, other list entries by position.
            for i, x in enumerate(v):
                name = (x.get("job_name") or x.get("name")) if isinstance(x, dict) else None
                walk(x, at + (name or str(i),))
        elif v == "<secret>":
            keys.add(".".join(at))
        elif at and at[-1] in ("username", "access_key", "client_id"):
            plain.add(".".join(at))
    walk(yaml.safe_load(text), ())
    return keys, plain

up, up_plain = redacted(sys.argv[1])
ours, ours_plain = redacted(sys.argv[2])
if up != ours:
    sys.exit(f"redacted keys differ\n  only prometheus: {sorted(up - ours)}\n  only outpost: {sorted(ours - up)}")
if not up_plain <= ours_plain:
    sys.exit(f"outpost lost plain fields: {sorted(up_plain - ours_plain)}")
if len(up) != 8:
    sys.exit(f"prometheus redacted {len(up)} keys, expected 8: {sorted(up)}")
prom_n = len(up)

# Alertmanager fills the globals into every integration; compare the keys
# the file sets.
def paths(v, at=()):
    if isinstance(v, dict):
        for k, x in v.items():
            yield from paths(x, at + (str(k),))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            name = x.get("name") if isinstance(x, dict) else None
            yield from paths(x, at + (name or str(i),))
    else:
        yield ".".join(at), v
secret_in_file = {p for p, v in paths(yaml.safe_load(open(sys.argv[5]))) if "leak-" in str(v)}
am_up, _ = redacted(sys.argv[3])
am_ours, _ = redacted(sys.argv[4])
am_up &= secret_in_file
am_ours &= secret_in_file
if am_up != am_ours:
    sys.exit(f"alertmanager redacted keys differ\n  only alertmanager: {sorted(am_up - am_ours)}\n  only outpost: {sorted(am_ours - am_up)}")
if am_up != secret_in_file:
    sys.exit(f"alertmanager 0.25 shows secrets of the file: {sorted(secret_in_file - am_up)}")
print(f"prometheus 2.42 and outpost redact the same {prom_n} keys; alertmanager 0.25 and outpost the same {len(am_up)} keys of alertmanager.yml")
PY
