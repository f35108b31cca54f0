#!/usr/bin/env bash
# Elasticsearch's REST API YAML tests, as OpenSearch publishes them (read from
# ../shared/conformance/opensearch-rest-api-tests, never copied), run against
# Outpost's Elasticsearch API by our own runner (tests/interop/es_yaml/).
# Gate: no directory passes fewer tests than fixtures/es-yaml/expected.tsv
# records, and the server is still up afterwards. Skipped tests (a runner
# feature we lack, a version range, or a feature outside the log store listed
# in es_yaml/skips.tsv) print their reason and never count as passed.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

PY="$REPO/tests/interop/.venv/bin/python"
[ -x "$PY" ] || PY=python3
"$PY" -c 'import yaml' 2>/dev/null || fail "no PyYAML for $PY (run tests/interop/run.sh without --no-install)"

# The runner's own unit tests (parsing, stash, matching, request building).
"$PY" "$REPO/tests/interop/es_yaml/test_runner.py" >"$WORK/unit.log" 2>&1 || { cat "$WORK/unit.log" >&2; fail "runner unit tests"; }

suite="${OUTPOST_SHARED:-$REPO/../shared}/conformance/opensearch-rest-api-tests"
if [ ! -d "$suite/test" ]; then
  [ "${CI:-}" = true ] && fail "$suite not found and CI=true"
  echo "skipped: $suite not found (runner unit tests passed)"
  exit 0
fi

# A stack of our own with security off (the embedded one enables it).
mkdir -p "$WORK/stack/prometheus" "$WORK/stack/elasticsearch"
printf 'global:\n  scrape_interval: 15s\n' >"$WORK/stack/prometheus/prometheus.yml"
printf 'cluster.name: "yaml-tests"\nxpack.security.enabled: false\n' >"$WORK/stack/elasticsearch/elasticsearch.yml"
start_outpost "$WORK/stack"
ES=$(listener_addr elasticsearch)
pid=${PIDS[-1]}

status=0
"$PY" "$REPO/tests/interop/es_yaml/runner.py" --url "http://$ES" --suite "$suite" \
  --expected "$REPO/fixtures/es-yaml/expected.tsv" ${ES_YAML_ARGS:-} >"$WORK/yaml.log" 2>&1 || status=$?
kill -0 "$pid" 2>/dev/null || { cat "$WORK/yaml.log"; tail -n 40 "$WORK/outpost.log" >&2; fail "outpost died during the YAML tests"; }
if [ $status -ne 0 ]; then
  cat "$WORK/yaml.log"
  fail "YAML tests below the recorded floor (status $status)"
fi
# The per-directory table and gate notes, then the totals as the last line.
sed -n '/^$/,$p' "$WORK/yaml.log" | sed '/^$/d'
