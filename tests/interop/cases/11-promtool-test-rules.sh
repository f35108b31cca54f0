#!/usr/bin/env bash
# Differential rule unit tests: Debian's `promtool test rules` and
# `outpost test rules` must print the same stdout and stderr, byte for byte,
# and exit with the same code on
#   (a) the seed's rule tests in fixtures/ecommerce/tests/ (all pass), and
#   (b) promtool's own v2.42.0 test data from ../shared (read in place, never
#       copied): unittest.yml, at-modifier-test.yml, negative-offset-test.yml
#       and long-period.yml pass, failing.yml fails with exit code 1.
# Outpost gets --prometheus2 for (b) only: those files were written against
# Prometheus 2.x window boundaries. The seed tests are written to pass under
# both 2.x and 3.x semantics, so outpost runs them with its default engine.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

command -v promtool >/dev/null || fail "promtool not found (Debian package prometheus)"

cd "$REPO"
SHARED=${OUTPOST_SHARED:-../shared}
case $SHARED in /*) ;; *) SHARED="$REPO/$SHARED" ;; esac
CONF="$SHARED/conformance/promtool-rules-testdata/v2.42.0"

problems=()
n=0

# compare LABEL WANT_EXIT DIR OUTPOST_FLAGS FILE...: run both tools in DIR on
# the same relative FILE arguments and record every difference.
compare() {
  local label=$1 want=$2 dir=$3 flags=$4; shift 4
  local up=0 ours=0 out="$WORK/$n"
  n=$((n + 1))
  (cd "$dir" && promtool test rules "$@") >"$out.up.out" 2>"$out.up.err" || up=$?
  # shellcheck disable=SC2086 # flags is a word list on purpose
  (cd "$dir" && "$OUTPOST_BIN" test rules $flags "$@") >"$out.ours.out" 2>"$out.ours.err" || ours=$?
  if [ "$up" -ne "$want" ]; then
    problems+=("$label: promtool exited $up, expected $want")
    sed 's/^/    promtool| /' "$out.up.out" "$out.up.err" >&2
  fi
  if [ "$ours" -ne "$up" ]; then
    problems+=("$label: outpost exited $ours, promtool $up")
  fi
  if ! cmp -s "$out.up.out" "$out.ours.out"; then
    problems+=("$label: stdout differs")
    echo "--- $label stdout (promtool vs outpost $flags)" >&2
    diff -u --label promtool --label outpost "$out.up.out" "$out.ours.out" >&2 || true
  fi
  if ! cmp -s "$out.up.err" "$out.ours.err"; then
    problems+=("$label: stderr differs")
    echo "--- $label stderr (promtool vs outpost $flags)" >&2
    diff -u --label promtool --label outpost "$out.up.err" "$out.ours.err" >&2 || true
  fi
}

# (a) The seed's rule tests, one invocation over all three files.
seed_dir="$REPO/fixtures/ecommerce/tests"
seed_files=(infrastructure.test.yml microservices.test.yml business-metrics.test.yml)
for f in "${seed_files[@]}"; do
  [ -f "$seed_dir/$f" ] || fail "missing $seed_dir/$f"
done
compare "seed tests" 0 "$seed_dir" "" "${seed_files[@]}"
seed_ok=$(grep -c '^  SUCCESS$' "$WORK/0.up.out" || true)
[ "$seed_ok" -eq ${#seed_files[@]} ] || problems+=("seed tests: promtool printed SUCCESS for $seed_ok of ${#seed_files[@]} files")

# (b) promtool's own test data, one file at a time.
if [ -d "$CONF" ]; then
  for f in unittest.yml at-modifier-test.yml negative-offset-test.yml long-period.yml; do
    compare "conformance $f" 0 "$CONF" "--prometheus2" "$f"
  done
  compare "conformance failing.yml" 1 "$CONF" "--prometheus2" failing.yml
  conf_note="and on 5 promtool v2.42.0 test files (4 pass, failing.yml fails)"
else
  conf_note="(conformance files skipped: $CONF not found)"
fi

if [ ${#problems[@]} -gt 0 ]; then
  printf '  %s\n' "${problems[@]}" >&2
  fail "${#problems[@]} difference(s) between promtool and outpost test rules"
fi
echo "promtool and outpost test rules agree byte for byte (stdout, stderr, exit code) on ${#seed_files[@]} seed test files $conf_note"
