# Helpers shared by the interop cases. Sourced, not run.
# Everything runs on loopback; every process started is stopped on exit.

: "${OUTPOST_BIN:?OUTPOST_BIN must point at the outpost binary}"
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WORK=$(mktemp -d /tmp/outpost-interop.XXXXXX)
PIDS=()

cleanup() {
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && wait "$p" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# start_outpost [ARGS...]: every listener on an ephemeral port; sets OUTPOST_PROM and OUTPOST_AM.
start_outpost() {
  local ports="$WORK/ports.json" listen=()
  for l in prometheus alertmanager otlp-grpc otlp-http jaeger-query jaeger-collector-http \
           jaeger-collector-grpc zipkin elasticsearch beats; do
    listen+=(--listen "$l=127.0.0.1:0")
  done
  "$OUTPOST_BIN" "${listen[@]}" --ports-file "$ports" "$@" 2>"$WORK/outpost.log" &
  PIDS+=($!)
  for _ in $(seq 1 500); do
    [ -s "$ports" ] && break
    sleep 0.02
  done
  [ -s "$ports" ] || { cat "$WORK/outpost.log" >&2; fail "outpost did not become ready"; }
  OUTPOST_PROM=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["prometheus"])' "$ports")
  OUTPOST_AM=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["alertmanager"])' "$ports")
}

# wait_for CMD...: retry a command for up to 60 s.
wait_for() {
  for _ in $(seq 1 600); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  return 1
}

# start_node_exporter: a real node_exporter on loopback; sets NE_PORT.
start_node_exporter() {
  NE_PORT=$(free_port)
  prometheus-node-exporter --web.listen-address="127.0.0.1:$NE_PORT" --log.level=warn 2>"$WORK/ne.log" &
  PIDS+=($!)
  wait_for curl -fsS "http://127.0.0.1:$NE_PORT/metrics" || fail "node_exporter did not start"
}

# Starts Debian's Prometheus scraping node_exporter ($NE_PORT) and itself
# every $1 and remote-writing everything into Outpost ($OUTPOST_PROM); sets
# PROM_PORT.
start_prometheus_remote_writing() {
  PROM_PORT=$(free_port)
  cat >"$WORK/prometheus.yml" <<YAML
global:
  scrape_interval: $1
  scrape_timeout: 1s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ['127.0.0.1:$NE_PORT']
  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:$PROM_PORT']
remote_write:
  - url: http://$OUTPOST_PROM/api/v1/write
    queue_config:
      batch_send_deadline: 1s
YAML
  prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
    --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn 2>"$WORK/prometheus.log" &
  PIDS+=($!)
}

# stop_outpost: stops the outpost start_outpost started last (its ports file goes too).
stop_outpost() {
  local pid=${PIDS[-1]}
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  rm -f "$WORK/ports.json"
}

# listener_addr NAME: the HOST:PORT the running outpost bound for listener NAME.
listener_addr() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/ports.json" "$1"
}
