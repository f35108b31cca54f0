#!/usr/bin/env bash
# Debian's amtool (0.25) against Outpost's Alertmanager API: alert add and
# query (-o json), silence add/query/expire/import, cluster show.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

cat >"$WORK/am.yml" <<'EOF'
route:
  receiver: default
  group_by: [alertname]
  routes:
    - matchers: [team="db"]
      receiver: db
receivers:
  - name: default
  - name: db
EOF
start_outpost --alertmanager.config "$WORK/am.yml"
at() { amtool --alertmanager.url="http://$OUTPOST_AM" "$@"; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); $1"; }

at alert add Outpost07 severity=critical instance=i1 team=db --annotation=summary=hello \
  || fail "amtool alert add"
at alert query -o json Outpost07 >"$WORK/alerts.json"
json 'assert len(d)==1, d; a=d[0]; assert a["labels"]["instance"]=="i1", a; assert len(a["fingerprint"])==16; assert a["receivers"][0]["name"]=="db", a; assert a["annotations"]["summary"]=="hello"' \
  <"$WORK/alerts.json" || fail "alert query: $(cat "$WORK/alerts.json")"

id=$(at silence add alertname=Outpost07 -c interop -a ci -d 1h) || fail "silence add"
[ ${#id} -eq 36 ] || fail "silence add printed $id"
at silence query -o json alertname=Outpost07 >"$WORK/sil.json"
json "assert [s['id'] for s in d]==['$id'], d; assert d[0]['status']['state']=='active'" <"$WORK/sil.json" \
  || fail "silence query: $(cat "$WORK/sil.json")"
# Silenced alerts are hidden by default and shown with --silenced.
[ "$(at alert query -o json Outpost07)" = "[]" ] || fail "silenced alert still listed as active"
at alert query -o json --silenced Outpost07 | json "assert d[0]['status']['silencedBy']==['$id'], d" \
  || fail "alert query --silenced"

at silence expire "$id" || fail "silence expire"
at silence query -o json | json "assert '$id' not in [s['id'] for s in d], d" || fail "expired silence still active"
at silence query --expired -o json | json "assert d[0]['id']=='$id' and d[0]['status']['state']=='expired', d" \
  || fail "expired silence not listed"

# Import: an unknown id gets 404, amtool retries without it and a new silence is created.
python3 - "$WORK/import.json" <<'EOF'
import datetime, json, sys
now = datetime.datetime.now(datetime.timezone.utc)
fmt = lambda t: t.strftime("%Y-%m-%dT%H:%M:%S.000Z")
json.dump([{"id": "11111111-2222-4333-8444-555555555555",
            "matchers": [{"name": "alertname", "value": "Imported", "isRegex": False, "isEqual": True}],
            "startsAt": fmt(now), "endsAt": fmt(now + datetime.timedelta(hours=1)),
            "createdBy": "ci", "comment": "imported"}], open(sys.argv[1], "w"))
EOF
at silence import "$WORK/import.json" >/dev/null || fail "silence import"
at silence query -o json alertname=Imported | json "assert len(d)==1 and d[0]['comment']=='imported', d" \
  || fail "imported silence missing"

at cluster show >"$WORK/cluster.txt" || fail "cluster show"
grep -q 'disabled' "$WORK/cluster.txt" || fail "cluster show: $(cat "$WORK/cluster.txt")"
at config show | grep -q 'receiver: default' || fail "config show"

# Route tester: `outpost check routes` prints what `amtool config routes test` prints.
routes_same() { # routes_same FILE ARGS...
  local f=$1; shift
  amtool config routes test --config.file="$f" "$@" >"$WORK/rt-up.txt" 2>/dev/null || true
  "$OUTPOST_BIN" check routes --config "$f" "$@" >"$WORK/rt-ours.txt" 2>&1 || true
  diff "$WORK/rt-up.txt" "$WORK/rt-ours.txt" >/dev/null \
    || fail "routes test $*: amtool and outpost differ: $(diff "$WORK/rt-up.txt" "$WORK/rt-ours.txt")"
}
eco="$REPO/fixtures/ecommerce/alertmanager/alertmanager.yml"
for labels in "severity=critical" "alertname=PaymentServiceDown severity=critical" "alertname=OrderProcessingFailure" "alertname=X"; do
  # shellcheck disable=SC2086
  routes_same "$eco" $labels
  # shellcheck disable=SC2086
  routes_same "$eco" --tree $labels
done
routes_same "$WORK/am.yml" --tree team=db

echo "amtool: alert add/query, silence add/query/expire/import, cluster show, config show against outpost"
