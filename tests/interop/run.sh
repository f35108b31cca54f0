#!/usr/bin/env bash
# Interop suite: real Prometheus-ecosystem peers against Outpost, on loopback.
# Installs the peers it needs (Debian packages) unless --no-install is given,
# builds outpost in the test profile, runs every case and prints a summary.
set -euo pipefail
cd "$(dirname "$0")/../.."

install=1
[ "${1:-}" = "--no-install" ] && install=0

if [ $install -eq 1 ]; then
  need=()
  command -v prometheus >/dev/null || need+=(prometheus)
  command -v amtool >/dev/null || need+=(prometheus-alertmanager)
  command -v prometheus-node-exporter >/dev/null || need+=(prometheus-node-exporter)
  command -v curl >/dev/null || need+=(curl)
  if [ ${#need[@]} -gt 0 ]; then
    echo "interop: installing ${need[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
  if [ -s tests/interop/requirements.txt ] && grep -qv '^#' tests/interop/requirements.txt; then
    python3 -m venv tests/interop/.venv
    tests/interop/.venv/bin/pip install -q -r tests/interop/requirements.txt
  fi
fi

cargo build -q -p outpost
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
export OUTPOST_BIN="$target_dir/debug/outpost"

pass=0; failed=()
for case in tests/interop/cases/*.sh; do
  name=$(basename "$case" .sh)
  if out=$(bash "$case" 2>&1); then
    pass=$((pass + 1)); echo "PASS $name: $(echo "$out" | tail -n 1)"
  else
    failed+=("$name"); echo "FAIL $name"; echo "$out" | sed 's/^/    /'
  fi
done
echo "interop: $pass passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
