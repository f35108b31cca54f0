#!/usr/bin/env bash
# Time goes through outpost-clock only: no direct wall-clock or monotonic
# reads in other crates' code (test harnesses under tests/ may time things).
set -euo pipefail
cd "$(dirname "$0")/.."
hits=$(grep -rnE 'SystemTime::now|Instant::now|Utc::now|Local::now|Timestamp::now|Zoned::now' crates benches \
  --include='*.rs' | grep -v '^crates/outpost-clock/' || true)
if [ -n "$hits" ]; then
  echo "direct clock reads outside crates/outpost-clock (use outpost_clock::Clock or Stopwatch):"
  echo "$hits"
  exit 1
fi
echo "clock guard: no direct clock reads outside outpost-clock"
