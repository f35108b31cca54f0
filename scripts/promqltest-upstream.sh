#!/usr/bin/env bash
# Runs Prometheus' own PromQL test scripts (read from ../shared, never copied)
# file by file and compares with fixtures/promql/upstream-v3.14.0.expected:
# any failed evaluation fails, and so does a file that skips more
# evaluations than recorded (a regression to "not supported" must not hide
# as a skip) or a file that is missing. Fewer skips or more passes are
# reported so the record can be raised.
# Usage: scripts/promqltest-upstream.sh OUTPOST_BIN [SHARED_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$1
shared=${2:-../shared}
dir="$shared/conformance/promql-testdata/v3.14.0"
expected=fixtures/promql/upstream-v3.14.0.expected
if [ ! -d "$dir" ]; then
  if [ "${CI:-}" = true ]; then echo "promqltest: $dir not found and CI=true"; exit 1; fi
  echo "skipped: $dir not found"; exit 0
fi
status=0; tp=0; ts=0
while read -r file want_pass want_skip; do
  case "$file" in ''|'#'*) continue ;; esac
  if [ ! -f "$dir/$file" ]; then echo "missing upstream script: $dir/$file"; status=1; continue; fi
  out=$("$bin" promqltest "$dir/$file" 2>&1) || true
  last=$(printf '%s\n' "$out" | tail -n 1)
  if ! [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped$ ]]; then
    echo "$file: unexpected output:"; printf '%s\n' "$out"; status=1; continue
  fi
  pass=${BASH_REMATCH[1]}; fail=${BASH_REMATCH[2]}; skip=${BASH_REMATCH[3]}
  tp=$((tp + pass)); ts=$((ts + skip))
  if [ "$fail" -gt 0 ]; then printf '%s\n' "$out"; echo "$file: $fail failed"; status=1; fi
  if [ "$skip" -gt "$want_skip" ]; then
    echo "$file: $skip skipped, recorded $want_skip: evaluations became unsupported"; status=1
  elif [ "$skip" -lt "$want_skip" ] || [ "$pass" -gt "$want_pass" ]; then
    echo "$file: $pass passed, $skip skipped (recorded $want_pass/$want_skip): raise the record in $expected"
  fi
done < "$expected"
echo "upstream v3.14.0: $tp passed, $ts skipped (gate: no failures, no new skips)"
exit $status
