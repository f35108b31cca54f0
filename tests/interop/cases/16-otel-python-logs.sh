#!/usr/bin/env bash
# Python's OpenTelemetry SDK exports log records (through the `logging` bridge,
# inside a span) to Outpost with its OTLP/HTTP and OTLP/gRPC log exporters;
# each record is found through the Elasticsearch API with the official
# `elasticsearch` client: in the daily `otel-logs-*` index, by its trace id
# (a term query), with body, level, resource and record attributes. The
# embedded stack enables xpack security, so the client authenticates as
# `elastic` with ELASTIC_PASSWORD. Then the same API over HTTPS with
# `--elasticsearch.tls`, trusting the certificate Outpost wrote.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

PY="$REPO/tests/interop/.venv/bin/python"
[ -x "$PY" ] || fail "no venv with the OpenTelemetry SDK (run tests/interop/run.sh without --no-install)"

export ELASTIC_PASSWORD=interop-secret
start_outpost
ES=$(listener_addr elasticsearch)
OTLP_HTTP=$(listener_addr otlp-http)
OTLP_GRPC=$(listener_addr otlp-grpc)

cat >"$WORK/export.py" <<'PY'
import json, logging, sys
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor

transport, endpoint, service = sys.argv[1:4]
if transport == "http":
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    exporter = OTLPLogExporter(endpoint=f"http://{endpoint}/v1/logs")
else:
    from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
    exporter = OTLPLogExporter(endpoint=f"http://{endpoint}", insecure=True)
resource = Resource.create({"service.name": service, "deployment.environment": "interop"})
provider = LoggerProvider(resource=resource)
provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
log = logging.getLogger("shop.payments")
log.propagate = False
log.setLevel(logging.INFO)
log.addHandler(LoggingHandler(level=logging.INFO, logger_provider=provider))
tracer = TracerProvider(resource=resource).get_tracer("interop")
with tracer.start_as_current_span("charge") as span:
    log.error("payment declined for order %s", 42, extra={"order_id": 42, "gateway": "stripe"})
    ctx = span.get_span_context()
log.info("nightly settlement done")
provider.shutdown()
print(json.dumps({"trace": format(ctx.trace_id, "032x"), "span": format(ctx.span_id, "016x")}))
PY

cat >"$WORK/check.py" <<'PY'
import json, sys, time
from elasticsearch import Elasticsearch, AuthenticationException
url, service, ids = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
extra = {"ca_certs": sys.argv[4]} if len(sys.argv) > 4 else {}
es = Elasticsearch(url, basic_auth=("elastic", "interop-secret"), **extra)
assert es.info()["tagline"] == "You Know, for Search"
# a record is searchable within the refresh interval (1 s)
deadline = time.time() + 5
while True:
    r = es.search(index="otel-logs-*", query={"term": {"trace_id": ids["trace"]}})
    if r["hits"]["total"]["value"] or time.time() > deadline:
        break
    time.sleep(0.1)
assert r["hits"]["total"]["value"] == 1, r["hits"]
hit = r["hits"]["hits"][0]
assert hit["_index"].startswith("otel-logs-"), hit["_index"]
src = hit["_source"]
assert src["message"] == "payment declined for order 42", src
assert src["level"] == "ERROR", src
assert src["span_id"] == ids["span"], src
assert src["service.name"] == service, src
assert src["deployment.environment"] == "interop", src
assert src["order_id"] == 42 and src["gateway"] == "stripe", src
assert src["scope.name"] == "shop.payments", src
both = es.search(index="otel-logs-*", query={"term": {"service.name.keyword": service}},
                 sort=[{"@timestamp": "asc"}])
assert [h["_source"]["level"] for h in both["hits"]["hits"]] == ["ERROR", "INFO"], both["hits"]
errors = es.count(index="otel-logs-*", query={"bool": {"filter": [
    {"term": {"level": "ERROR"}}, {"match": {"message": "declined"}}]}})
assert errors["count"] >= 1, errors
try:
    Elasticsearch(url, basic_auth=("elastic", "wrong"), **extra).search(index="otel-logs-*")
    raise SystemExit("wrong password accepted")
except AuthenticationException:
    pass
print("ok")
PY

for transport in http grpc; do
  service="py-logs-$transport"
  endpoint=$OTLP_HTTP; [ $transport = grpc ] && endpoint=$OTLP_GRPC
  ids=$("$PY" "$WORK/export.py" "$transport" "$endpoint" "$service") || fail "$transport export failed"
  "$PY" "$WORK/check.py" "http://$ES" "$service" "$ids" >/dev/null || fail "$transport: log records of $ids not found as expected"
done
echo "python OTLP/HTTP and OTLP/gRPC log records found through the Elasticsearch API by trace id"

# --elasticsearch.tls: the same over HTTPS, trusting the written certificate
stop_outpost
start_outpost --elasticsearch.tls
ES=$(listener_addr elasticsearch)
OTLP_HTTP=$(listener_addr otlp-http)
CERT="$WORK/elasticsearch-http.crt"
[ -s "$CERT" ] || fail "no certificate written beside the ports file"
curl -fsS --cacert "$CERT" -u elastic:interop-secret "https://localhost:${ES##*:}/" | grep -q '"tagline"' \
  || fail "https GET / failed"
if curl -fsS -u elastic:interop-secret "http://$ES/" >/dev/null 2>&1; then
  fail "plain http answered on the tls listener"
fi
ids=$("$PY" "$WORK/export.py" http "$OTLP_HTTP" py-logs-tls)
"$PY" "$WORK/check.py" "https://localhost:${ES##*:}" py-logs-tls "$ids" "$CERT" >/dev/null \
  || fail "tls: log records not found through the python client"
echo "--elasticsearch.tls serves https with the certificate written beside the ports file"
