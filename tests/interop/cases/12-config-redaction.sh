#!/usr/bin/env bash
# Config redaction: a real Prometheus (Debian 2.42) and Outpost load the same
# prometheus.yml with a secret in every kind of secret field; both serve it at
# /api/v1/status/config with the same fields as <secret> and no secret value.
# Prometheus re-serialises with every default filled in, so the set of
# redacted keys is compared, not the YAML text.
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

start_outpost --prometheus.config "$WORK/prometheus.yml"
port=$(free_port)
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$port" --log.level=warn 2>"$WORK/prometheus.log" &
PIDS+=($!)
wait_for curl -fsS "http://127.0.0.1:$port/-/ready" || { cat "$WORK/prometheus.log" >&2; fail "prometheus did not start"; }

curl -fsS "http://127.0.0.1:$port/api/v1/status/config" >"$WORK/up.json"
curl -fsS "http://$OUTPOST_PROM/api/v1/status/config" >"$WORK/ours.json"

python3 - "$WORK/up.json" "$WORK/ours.json" <<'PY'
import json, sys, yaml

def redacted(path):
    text = json.load(open(path))["data"]["yaml"]
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
                name = x.get("job_name") if isinstance(x, dict) else None
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
print(f"prometheus 2.42 and outpost redact the same {len(up)} keys: " + ", ".join(sorted(up)))
PY
