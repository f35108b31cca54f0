#!/usr/bin/env bash
# promtool's metrics linter accepts Outpost's own /metrics.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

start_outpost
curl -fsS "http://$OUTPOST_PROM/metrics" >"$WORK/metrics.txt"
promtool check metrics <"$WORK/metrics.txt" >"$WORK/lint.out" 2>&1 || { cat "$WORK/lint.out"; fail "promtool check metrics found problems"; }
echo "promtool check metrics: $(grep -c '^# TYPE' "$WORK/metrics.txt") metric families, no lint findings"
