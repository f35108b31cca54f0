#!/usr/bin/env bash
# Python's OpenTelemetry SDK exports spans to Outpost with its OTLP/HTTP
# (protobuf) and OTLP/gRPC exporters; each trace comes back through the
# Jaeger API v1 (/api/traces/{id}) and v3 (/api/v3/traces/{id}) with its
# parent link, attributes, event, error status and resource.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

PY="$REPO/tests/interop/.venv/bin/python"
[ -x "$PY" ] || fail "no venv with the OpenTelemetry SDK (run tests/interop/run.sh without --no-install)"

start_outpost
QUERY=$(listener_addr jaeger-query)
OTLP_HTTP=$(listener_addr otlp-http)
OTLP_GRPC=$(listener_addr otlp-grpc)

cat >"$WORK/export.py" <<'PY'
import json, sys, time
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

transport, endpoint, service = sys.argv[1:4]
if transport == "http":
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    exporter = OTLPSpanExporter(endpoint=f"http://{endpoint}/v1/traces")
else:
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    exporter = OTLPSpanExporter(endpoint=f"http://{endpoint}", insecure=True)
provider = TracerProvider(resource=Resource.create({"service.name": service, "team": "interop"}))
provider.add_span_processor(SimpleSpanProcessor(exporter))
tracer = provider.get_tracer("interop.python", "0.1")
with tracer.start_as_current_span("GET /orders", kind=SpanKind.SERVER) as root:
    root.set_attribute("http.status_code", 500)
    root.add_event("retry", {"attempt": 2})
    with tracer.start_as_current_span("select", kind=SpanKind.CLIENT) as child:
        child.set_attribute("db.system", "postgresql")
        time.sleep(0.002)
    root.set_status(Status(StatusCode.ERROR, "boom"))
    ids = {"trace": format(root.get_span_context().trace_id, "032x"),
           "root": format(root.get_span_context().span_id, "016x"),
           "child": format(child.get_span_context().span_id, "016x")}
provider.shutdown()
print(json.dumps(ids))
PY

cat >"$WORK/check.py" <<'PY'
import json, sys, urllib.request
query, service, ids = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
def get(path):
    with urllib.request.urlopen(f"http://{query}{path}", timeout=10) as r:
        return json.load(r)
def tag(tags, key):
    return next(t for t in tags if t["key"] == key)
t = get(f"/api/traces/{ids['trace']}")["data"][0]
spans = {s["spanID"]: s for s in t["spans"]}
assert set(spans) == {ids["root"], ids["child"]}, spans.keys()
root, child = spans[ids["root"]], spans[ids["child"]]
assert root["operationName"] == "GET /orders"
assert child["references"] == [{"refType": "CHILD_OF", "traceID": ids["trace"], "spanID": ids["root"]}], child["references"]
assert tag(root["tags"], "http.status_code")["value"] == 500
assert tag(root["tags"], "error")["value"] is True
assert tag(root["tags"], "otel.status_description")["value"] == "boom"
assert tag(root["tags"], "span.kind")["value"] == "server"
assert tag(child["tags"], "db.system")["value"] == "postgresql"
assert child["duration"] >= 2000, child["duration"]
assert tag(root["logs"][0]["fields"], "event")["value"] == "retry"
proc = t["processes"][root["processID"]]
assert proc["serviceName"] == service and tag(proc["tags"], "team")["value"] == "interop", proc
found = get(f"/api/traces?service={service}")["data"]
assert [x["traceID"] for x in found] == [ids["trace"]], found
r3 = get(f"/api/v3/traces/{ids['trace']}")["result"]
otlp = {s["spanId"]: s for rs in r3["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]}
assert set(otlp) == {ids["root"], ids["child"]}
assert otlp[ids["child"]]["parentSpanId"] == ids["root"]
assert otlp[ids["root"]]["status"]["code"] == 2
assert otlp[ids["root"]]["events"][0]["name"] == "retry"
print("ok")
PY

for transport in http grpc; do
  service="py-$transport"
  endpoint=$OTLP_HTTP; [ $transport = grpc ] && endpoint=$OTLP_GRPC
  ids=$("$PY" "$WORK/export.py" "$transport" "$endpoint" "$service") || fail "$transport export failed"
  "$PY" "$WORK/check.py" "$QUERY" "$service" "$ids" >/dev/null || fail "$transport: trace $ids not served as expected"
done
echo "python OTLP/HTTP and OTLP/gRPC spans served by /api/traces/{id} and /api/v3/traces/{id}"
