#!/usr/bin/env bash
# Time goes through outpost-clock only: no direct wall-clock or monotonic
# reads in other crates' code, and no sleeps or timers that bypass the
# project clock (a manual clock must be able to drive them). Network
# deadlines and other waits that are wall time by nature are allowed where
# the line, or the line above it, says `clock-guard: wall time (<reason>)`.
# Unit-test files (`tests.rs`, `*_tests.rs`) and tests/ may time things.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
hits=$(grep -rnE 'SystemTime::now|Instant::now|Utc::now|Local::now|Timestamp::now|Zoned::now' crates benches \
  --include='*.rs' | grep -v '^crates/outpost-clock/' || true)
if [ -n "$hits" ]; then
  echo "direct clock reads outside crates/outpost-clock (use outpost_clock::Clock or Stopwatch):"
  echo "$hits"
  status=1
fi
timers=$(grep -rnE 'tokio::time::(sleep|sleep_until|interval|interval_at|timeout|timeout_at)\b|std::thread::sleep|thread::sleep\(|use tokio::time' \
  crates benches --include='*.rs' \
  | grep -v '^crates/outpost-clock/' | grep -vE '(^|/)(tests|[a-z_]+_tests)\.rs:|/tests/' || true)
bad=""
while IFS= read -r hit; do
  [ -n "$hit" ] || continue
  file=${hit%%:*}; rest=${hit#*:}; line=${rest%%:*}
  prev=$((line > 1 ? line - 1 : 1))
  if ! sed -n "${prev},${line}p" "$file" | grep -q 'clock-guard: wall time ('; then
    bad+="$hit"$'\n'
  fi
done <<< "$timers"
if [ -n "$bad" ]; then
  echo "timers that bypass the project clock (use Clock::sleep_until, or mark a network deadline with 'clock-guard: wall time (reason)'):"
  printf '%s' "$bad"
  status=1
fi
[ $status -eq 0 ] && echo "clock guard: no direct clock reads or unmarked timers outside outpost-clock"
exit $status
