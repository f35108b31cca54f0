#!/usr/bin/env bash
# Differential config checks: Debian's promtool and amtool and `outpost check`
# must agree on the seed files and on broken copies, down to the line.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

agree() { # agree EXPECTED_EXIT UPSTREAM_CMD... -- FILE
  local want=$1; shift
  local file=${*: -1}
  local up_cmd=("${@:1:$#-2}")
  local up=0 ours=0
  "${up_cmd[@]}" "$file" >"$WORK/up.out" 2>&1 || up=$?
  "$OUTPOST_BIN" check "$file" >"$WORK/ours.out" 2>&1 || ours=$?
  [ $((up != 0)) -eq "$want" ] || { cat "$WORK/up.out"; fail "${up_cmd[0]} exit $up on $file (want failure=$want)"; }
  [ $((ours != 0)) -eq "$want" ] || { cat "$WORK/ours.out"; fail "outpost check exit $ours on $file (want failure=$want)"; }
}

same_lines() { # every "line N" upstream reports must appear as ":N:" in ours
  for n in $(grep -oE 'line [0-9]+' "$WORK/up.out" | awk '{print $2}'); do
    grep -q ":$n:" "$WORK/ours.out" || { cat "$WORK/up.out" "$WORK/ours.out"; fail "upstream reports line $n, outpost does not"; }
  done
}

am_ok="$REPO/fixtures/ecommerce/alertmanager/alertmanager.yml"
am_seed="$REPO/fixtures/seed-original/alertmanager/alertmanager.yml"
agree 0 amtool check-config -- "$am_ok"
agree 1 amtool check-config -- "$am_seed"
same_lines
[ "$(grep -c 'line ' "$WORK/up.out")" -eq 4 ] || fail "amtool should report 4 lines"

for f in "$REPO"/fixtures/ecommerce/prometheus/alert-rules/*.yml; do
  agree 0 promtool check rules -- "$f"
  up_n=$(grep -oE 'SUCCESS: [0-9]+ rules' "$WORK/up.out")
  grep -q "$up_n" "$WORK/ours.out" || fail "rule counts differ on $f: $up_n"
done

printf 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: sum(up\n' >"$WORK/bad-rules.yml"
agree 1 promtool check rules -- "$WORK/bad-rules.yml"
grep -q '5:15: group "g", rule 1, "A": could not parse expression' "$WORK/up.out" || fail "promtool wording changed"
grep -q 'bad-rules.yml:5:15: group "g", rule 1, "A": could not parse expression' "$WORK/ours.out" || fail "outpost misplaces the rule error"

# Debian's Prometheus is built without Kubernetes discovery, so promtool gets
# the seed's prometheus.yml without its kubernetes_sd_configs jobs.
python3 - "$REPO/fixtures/ecommerce/prometheus/prometheus.yml" "$WORK/prom" <<'PY'
import os, re, sys
src, out = sys.argv[1], sys.argv[2]
text = open(src).read()
head, jobs = text.split("scrape_configs:\n", 1)
blocks = re.split(r"(?m)^(?=  - job_name:)", jobs)
kept = [b for b in blocks if "kubernetes_sd_configs" not in b]
os.makedirs(out + "/alert-rules", exist_ok=True)
open(out + "/prometheus.yml", "w").write(head + "scrape_configs:\n" + "".join(kept))
bad = head + "scrape_configs:\n" + "".join(kept).replace("  - job_name: 'redis-exporter'", "  - job_name: 'redis-exporter'\n    scrape_intervall: 5s", 1)
open(out + "/wrong-key.yml", "w").write(bad)
open(out + "/bad-duration.yml", "w").write(head.replace("scrape_interval: 15s", "scrape_interval: 15x") + "scrape_configs: []\n")
PY
cp "$REPO"/fixtures/ecommerce/prometheus/alert-rules/*.yml "$WORK/prom/alert-rules/"
agree 0 promtool check config -- "$WORK/prom/prometheus.yml"
agree 1 promtool check config -- "$WORK/prom/wrong-key.yml"
same_lines
agree 1 promtool check config -- "$WORK/prom/bad-duration.yml"
grep -q 'not a valid duration string: "15x"' "$WORK/up.out" || fail "promtool wording changed"
grep -q ':2:20: field global.scrape_interval: not a valid duration string: "15x"' "$WORK/ours.out" || fail "outpost misplaces the duration error"
echo "promtool, amtool and outpost check agree on $(ls "$REPO"/fixtures/ecommerce/prometheus/alert-rules/*.yml | wc -l) rule files, alertmanager.yml (good and seed) and prometheus.yml (good, wrong key, bad duration)"

# Template syntax in alerting rules: the same messages as promtool, through
# the promtool-shaped spelling `outpost check rules`.
cat >"$WORK/bad-template.yml" <<'EOF'
groups:
  - name: g
    rules:
      - alert: Bad
        expr: up == 0
        labels:
          sev: "{{ nosuch }}"
        annotations:
          summary: "{{ $labels.x "
EOF
up=0; ours=0
promtool check rules "$WORK/bad-template.yml" >"$WORK/up.out" 2>&1 || up=$?
"$OUTPOST_BIN" check rules "$WORK/bad-template.yml" >"$WORK/ours.out" 2>&1 || ours=$?
[ "$up" -ne 0 ] && [ "$ours" -ne 0 ] || fail "bad templates must fail both (promtool $up, outpost $ours)"
for msg in 'label "sev": template: __alert_Bad:1: function "nosuch" not defined' \
           'annotation "summary": template: __alert_Bad:1: unclosed action'; do
  grep -qF "$msg" "$WORK/up.out" || { cat "$WORK/up.out"; fail "promtool wording changed: $msg"; }
  grep -qF "$msg" "$WORK/ours.out" || { cat "$WORK/ours.out"; fail "outpost check rules lacks: $msg"; }
done
