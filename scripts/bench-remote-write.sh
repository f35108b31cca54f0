#!/usr/bin/env bash
# Side-by-side remote-write ingest: the same load generator and payloads
# against Outpost and Debian's Prometheus 2.42, each measured by samples per
# server CPU-second, plus resident memory per active series.
#
# usage: scripts/bench-remote-write.sh [SERIES] [DURATION]
# needs: a release build (cargo build --release -p outpost) and `prometheus` on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
series=${1:-10000}
duration=${2:-20s}
bin=${OUTPOST_BIN:-target/release/outpost}
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"' EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

op_port=$(port)
"$bin" --listen "prometheus=127.0.0.1:$op_port" $(for l in alertmanager otlp-grpc otlp-http jaeger-query jaeger-collector-http jaeger-collector-grpc zipkin elasticsearch beats; do echo --listen $l=off; done) \
  --prometheus.config /dev/null --log.level warn 2>"$work/outpost.log" &
pids+=($!); op_pid=$!
printf 'global: {}\n' >"$work/p.yml"
pr_port=$(port)
prometheus --config.file="$work/p.yml" --storage.tsdb.path="$work/tsdb" --web.listen-address="127.0.0.1:$pr_port" \
  --web.enable-remote-write-receiver --log.level=warn 2>"$work/prometheus.log" &
pids+=($!); pr_pid=$!
sleep 2

echo "== outpost ($bin), $series series"
"$bin" loadgen remote-write --url "http://127.0.0.1:$op_port/api/v1/write" --series "$series" --samples-per-request 2000 --duration "$duration" --concurrency 2 --server-pid "$op_pid"
echo "== prometheus $(prometheus --version 2>&1 | head -1 | awk '{print $3}'), $series series"
"$bin" loadgen remote-write --url "http://127.0.0.1:$pr_port/api/v1/write" --series "$series" --samples-per-request 2000 --duration "$duration" --concurrency 2 --server-pid "$pr_pid"
