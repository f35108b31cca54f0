//! Traces end to end against the real binary: spans made by the Rust
//! OpenTelemetry SDK and sent by its OTLP exporter (gRPC, HTTP protobuf and
//! HTTP JSON), read back through the Jaeger API v1 and v3; Jaeger's
//! storage-integration fixtures ingested over OTLP/HTTP JSON and searched
//! with all 25 of their queries through both APIs; the store cap.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use common::{Outpost, assert_metrics, get, http, repo};
use opentelemetry::KeyValue;
use opentelemetry::trace::{Span as _, SpanKind, Status, TraceContextExt, Tracer, TracerProvider};
use opentelemetry_otlp::{Protocol, SpanExporter, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter as _};
use serde_json::{Value, json};

/// An exporter that keeps what the SDK hands it, so the test can send the
/// very same spans through the OTLP exporter inside its own runtime.
#[derive(Debug, Clone, Default)]
struct Keep(Arc<Mutex<Vec<SpanData>>>);

impl opentelemetry_sdk::trace::SpanExporter for Keep {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.lock().unwrap().extend(batch);
        Ok(())
    }
}

fn resource(service: &str) -> Resource {
    Resource::builder()
        .with_service_name(service.to_string())
        .with_attribute(KeyValue::new("deployment.environment", "test"))
        .build()
}

/// A root server span with an error status, an attribute and an event, and
/// a client child with its own attribute, made through the SDK's tracer.
fn record(service: &str) -> Vec<SpanData> {
    let keep = Keep::default();
    let provider = SdkTracerProvider::builder()
        .with_resource(resource(service))
        .with_simple_exporter(keep.clone())
        .build();
    let tracer = provider.tracer("outpost.test");
    let mut root = tracer
        .span_builder("GET /checkout")
        .with_kind(SpanKind::Server)
        .with_attributes([KeyValue::new("http.status_code", 500i64)])
        .start(&tracer);
    root.add_event("retry", vec![KeyValue::new("attempt", 2i64)]);
    let cx = opentelemetry::Context::current_with_span(root);
    let mut child = tracer
        .span_builder("charge")
        .with_kind(SpanKind::Client)
        .with_attributes([KeyValue::new("db", "redis")])
        .start_with_context(&tracer, &cx);
    std::thread::sleep(std::time::Duration::from_millis(3));
    child.end();
    let root = cx.span();
    root.set_status(Status::error("boom"));
    root.end();
    provider.force_flush().unwrap();
    let spans = keep.0.lock().unwrap().clone();
    assert_eq!(spans.len(), 2);
    spans
}

fn micros(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).unwrap().as_micros() as i64
}

/// Jaeger's duration: the nanosecond difference, in whole microseconds.
fn duration_us(s: &SpanData) -> i64 {
    (s.end_time.duration_since(s.start_time).unwrap().as_nanos() / 1000) as i64
}

fn tag<'a>(tags: &'a Value, key: &str) -> &'a Value {
    tags.as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == key)
        .unwrap_or_else(|| panic!("no tag {key} in {tags}"))
}

/// Checks one exported pair of spans as the v1 and v3 APIs return them.
fn check_trace(base: &str, service: &str, spans: &[SpanData]) {
    let root = spans.iter().find(|s| s.name == "GET /checkout").unwrap();
    let child = spans.iter().find(|s| s.name == "charge").unwrap();
    let trace_id = root.span_context.trace_id().to_string();
    let root_id = root.span_context.span_id().to_string();
    let child_id = child.span_context.span_id().to_string();

    // Read after write: the search finds the trace as soon as the export returned.
    let (code, body) = get(&format!("{base}/api/traces?service={service}"));
    assert_eq!(code, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["data"].as_array().unwrap().len(), 1, "{body}");
    assert_eq!(v["data"][0]["traceID"], trace_id);

    let (code, body) = get(&format!("{base}/api/traces/{trace_id}"));
    assert_eq!(code, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let t = &v["data"][0];
    let spans_json = t["spans"].as_array().unwrap();
    assert_eq!(spans_json.len(), 2, "{body}");
    let r = spans_json.iter().find(|s| s["spanID"] == root_id).unwrap();
    let c = spans_json.iter().find(|s| s["spanID"] == child_id).unwrap();
    assert_eq!(r["operationName"], "GET /checkout");
    assert_eq!(r["references"], json!([]));
    assert_eq!(
        c["references"],
        json!([{"refType": "CHILD_OF", "traceID": trace_id, "spanID": root_id}])
    );
    assert_eq!(r["startTime"], micros(root.start_time));
    assert_eq!(r["duration"], duration_us(root), "µs of the ns difference");
    assert_eq!(c["duration"], duration_us(child));
    assert!(c["duration"].as_i64().unwrap() >= 3000, "{c}");
    assert_eq!(tag(&r["tags"], "http.status_code")["value"], 500);
    assert_eq!(tag(&r["tags"], "http.status_code")["type"], "int64");
    assert_eq!(tag(&r["tags"], "span.kind")["value"], "server");
    assert_eq!(tag(&r["tags"], "error")["value"], true);
    assert_eq!(tag(&r["tags"], "otel.status_code")["value"], "ERROR");
    assert_eq!(tag(&r["tags"], "otel.status_description")["value"], "boom");
    assert_eq!(tag(&r["tags"], "otel.scope.name")["value"], "outpost.test");
    assert_eq!(tag(&c["tags"], "span.kind")["value"], "client");
    assert_eq!(tag(&c["tags"], "db")["value"], "redis");
    assert!(
        c["tags"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["key"] != "error")
    );
    let logs = r["logs"].as_array().unwrap();
    assert_eq!(logs.len(), 1, "{r}");
    assert_eq!(tag(&logs[0]["fields"], "event")["value"], "retry");
    assert_eq!(tag(&logs[0]["fields"], "attempt")["value"], 2);
    let ev = &root.events.events[0];
    assert_eq!(logs[0]["timestamp"], micros(ev.timestamp));
    let p = &t["processes"][r["processID"].as_str().unwrap()];
    assert_eq!(p["serviceName"], service);
    assert_eq!(tag(&p["tags"], "deployment.environment")["value"], "test");

    // API v3: OTLP JSON.
    let (code, body) = get(&format!("{base}/api/v3/traces/{trace_id}"));
    assert_eq!(code, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    let mut otlp_spans = Vec::new();
    for rs in v["result"]["resourceSpans"].as_array().unwrap() {
        let svc = rs["resource"]["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["key"] == "service.name")
            .map(|a| a["value"]["stringValue"].clone());
        assert_eq!(svc, Some(json!(service)));
        for ss in rs["scopeSpans"].as_array().unwrap() {
            assert_eq!(ss["scope"]["name"], "outpost.test");
            otlp_spans.extend(ss["spans"].as_array().unwrap().iter().cloned());
        }
    }
    assert_eq!(otlp_spans.len(), 2, "{body}");
    let r3 = otlp_spans.iter().find(|s| s["spanId"] == root_id).unwrap();
    let c3 = otlp_spans.iter().find(|s| s["spanId"] == child_id).unwrap();
    assert_eq!(r3["traceId"], trace_id);
    assert_eq!(r3["kind"], 2);
    assert_eq!(r3["status"]["code"], 2);
    assert_eq!(r3["status"]["message"], "boom");
    assert_eq!(r3["events"][0]["name"], "retry");
    assert_eq!(c3["parentSpanId"], root_id);
    assert_eq!(c3["kind"], 3);
    let start = root
        .start_time
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    assert_eq!(r3["startTimeUnixNano"], start.to_string());

    // v3 search with the camelCase and the snake_case spellings.
    let now = jiff::Timestamp::now();
    let min = now - jiff::SignedDuration::from_hours(1);
    let max = now + jiff::SignedDuration::from_hours(1);
    for (svc, lo, hi) in [
        (
            "query.serviceName",
            "query.startTimeMin",
            "query.startTimeMax",
        ),
        (
            "query.service_name",
            "query.start_time_min",
            "query.start_time_max",
        ),
    ] {
        let url = format!("{base}/api/v3/traces?{svc}={service}&{lo}={min}&{hi}={max}");
        let (code, body) = get(&url);
        assert_eq!(code, 200, "{url}: {body}");
        assert!(body.contains(&trace_id), "{body}");
    }
}

#[test]
fn sdk_spans_over_grpc_and_http_come_back_through_v1_and_v3() {
    let op = Outpost::start(&[]);
    outpost_http_client::install_crypto_provider();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let grpc_spans = record("checkout-grpc");
    let proto_spans = record("checkout-proto");
    let json_spans = record("checkout-json");
    let http_base = op.url("otlp-http");
    rt.block_on(async {
        let mut exporter = SpanExporter::builder()
            .with_tonic()
            .with_endpoint(format!("http://{}", op.ports["otlp-grpc"]))
            .build()
            .unwrap();
        exporter.set_resource(&resource("checkout-grpc"));
        exporter.export(grpc_spans.clone()).await.unwrap();
        for (service, protocol, spans) in [
            ("checkout-proto", Protocol::HttpBinary, &proto_spans),
            ("checkout-json", Protocol::HttpJson, &json_spans),
        ] {
            let mut exporter = SpanExporter::builder()
                .with_http()
                .with_protocol(protocol)
                .with_endpoint(format!("{http_base}/v1/traces"))
                .build()
                .unwrap();
            exporter.set_resource(&resource(service));
            exporter.export(spans.clone()).await.unwrap();
        }
    });
    let base = op.url("jaeger-query");
    check_trace(&base, "checkout-grpc", &grpc_spans);
    check_trace(&base, "checkout-proto", &proto_spans);
    check_trace(&base, "checkout-json", &json_spans);

    let (code, body) = get(&format!("{base}/api/services"));
    assert_eq!(code, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["data"],
        json!(["checkout-grpc", "checkout-json", "checkout-proto"]),
        "{body}"
    );
    let (_, body) = get(&format!(
        "{base}/api/operations?service=checkout-grpc&spanKind=server"
    ));
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["data"],
        json!([{"name": "GET /checkout", "spanKind": "server"}])
    );
    assert_metrics(
        &op,
        &[
            "outpost_traces_spans 6",
            "outpost_traces_traces 3",
            "outpost_traces_max_spans 1000000",
            "outpost_traces_evicted_total 0",
        ],
    );
    // The status API is on every HTTP listener.
    for l in ["prometheus", "jaeger-query", "otlp-http"] {
        let (code, body) = get(&format!("{}/outpost/v1/status/traces", op.url(l)));
        assert_eq!(code, 200, "{l}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["data"]["spans"], 6, "{l}: {body}");
    }
}

/// `--traces.max-spans` bounds the store; the oldest traces are evicted
/// whole and counted in `/metrics` and the status API.
#[test]
fn the_store_cap_evicts_oldest_traces_whole() {
    let op = Outpost::start(&["--traces.max-spans", "4"]);
    let url = format!("{}/v1/traces", op.url("otlp-http"));
    for i in 1..=3u32 {
        let body = json!({"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "capped"}}]},
        "scopeSpans": [{"spans": [
            {"traceId": format!("{i:032x}"), "spanId": "0000000000000001", "name": "a",
             "startTimeUnixNano": "1767225600000000000", "endTimeUnixNano": "1767225600001000000"},
            {"traceId": format!("{i:032x}"), "spanId": "0000000000000002", "parentSpanId": "0000000000000001",
             "name": "b", "startTimeUnixNano": "1767225600000000000", "endTimeUnixNano": "1767225600001000000"}
        ]}]}]});
        let r = http()
            .post(&url)
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }
    let base = op.url("jaeger-query");
    assert_eq!(get(&format!("{base}/api/traces/1")).0, 404);
    assert_eq!(get(&format!("{base}/api/traces/2")).0, 200);
    assert_eq!(get(&format!("{base}/api/traces/3")).0, 200);
    assert_metrics(
        &op,
        &[
            "outpost_traces_spans 4",
            "outpost_traces_max_spans 4",
            "outpost_traces_evicted_total 1",
            "outpost_traces_spans_evicted_total 2",
        ],
    );
    let v: Value =
        serde_json::from_str(&get(&format!("{base}/outpost/v1/status/traces")).1).unwrap();
    assert_eq!(v["data"]["tracesEvictedTotal"], 1);
    assert_eq!(v["data"]["maxSpans"], 4);
}

// --- Jaeger's storage-integration fixtures -------------------------------

fn fixtures_dir() -> Option<PathBuf> {
    let d = repo().join("../shared/conformance/jaeger-storage-fixtures");
    if d.join("queries.json").exists() {
        return Some(d);
    }
    let why = format!("{} is missing", d.display());
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{why}");
    }
    eprintln!("skipping: {why}");
    None
}

const DAY_NS: u64 = 86_400_000_000_000;
/// 2017-01-25 as days since the epoch.
const DAY_2017_01_25: u64 = 17_191;

/// The fixtures' date shift (their README): a time on 2017-01-25 moves to
/// today − 2, any other to today − 1, keeping the time of day.
fn shift(ns: u64, today: u64) -> u64 {
    let (day, tod) = (ns / DAY_NS, ns % DAY_NS);
    let to = if day == DAY_2017_01_25 {
        today - 2
    } else {
        today - 1
    };
    to * DAY_NS + tod
}

fn shift_times(v: &mut Value, today: u64) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if matches!(
                    k.as_str(),
                    "startTimeUnixNano" | "endTimeUnixNano" | "timeUnixNano"
                ) {
                    let ns: u64 = match x {
                        Value::String(s) => s.parse().unwrap(),
                        Value::Number(n) => n.as_u64().unwrap(),
                        _ => panic!("{k}: {x}"),
                    };
                    *x = Value::String(shift(ns, today).to_string());
                } else {
                    shift_times(x, today);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| shift_times(x, today)),
        _ => {}
    }
}

fn date_text(day: u64) -> String {
    let t = jiff::Timestamp::from_second((day * 86_400) as i64).unwrap();
    t.strftime("%Y-%m-%d").to_string()
}

/// Trace id (32 hex) → span count, of one OTLP JSON document.
fn spans_by_trace(doc: &Value) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for rs in doc["resourceSpans"].as_array().into_iter().flatten() {
        for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
            for s in ss["spans"].as_array().into_iter().flatten() {
                let id = s["traceId"].as_str().unwrap().to_ascii_lowercase();
                *m.entry(format!("{:0>32}", id)).or_default() += 1;
            }
        }
    }
    m
}

fn v1_id(id32: &str) -> String {
    id32.strip_prefix("0000000000000000")
        .unwrap_or(id32)
        .to_string()
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[test]
fn jaeger_storage_fixtures_all_25_queries_through_v1_and_v3() {
    let Some(dir) = fixtures_dir() else { return };
    let today = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 86_400;
    let op = Outpost::start(&[]);
    let ingest = format!("{}/v1/traces", op.url("otlp-http"));
    let mut fixtures: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    let mut names: Vec<_> = std::fs::read_dir(dir.join("traces"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 28, "{names:?}");
    for p in &names {
        let mut doc: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        shift_times(&mut doc, today);
        let name = p.file_stem().unwrap().to_string_lossy().to_string();
        fixtures.insert(name.clone(), spans_by_trace(&doc));
        let r = http()
            .post(&ingest)
            .header("Content-Type", "application/json")
            .body(doc.to_string())
            .send()
            .unwrap();
        let code = r.status().as_u16();
        let text = r.text().unwrap();
        assert_eq!(code, 200, "{name}: {text}");
        assert!(!text.contains("rejected"), "{name}: {text}");
    }
    let queries = std::fs::read_to_string(dir.join("queries.json"))
        .unwrap()
        .replace("2017-01-26", &date_text(today - 1))
        .replace("2017-01-25", &date_text(today - 2));
    let queries: Vec<Value> = serde_json::from_str(&queries).unwrap();
    assert_eq!(queries.len(), 25);
    let base = op.url("jaeger-query");
    let mut failures = Vec::new();
    for q in &queries {
        let caption = q["Caption"].as_str().unwrap();
        let qq = &q["Query"];
        let mut want: BTreeMap<String, usize> = BTreeMap::new();
        for f in q["ExpectedFixtures"].as_array().unwrap() {
            want.extend(fixtures[f.as_str().unwrap()].clone());
        }
        let tags: serde_json::Map<String, Value> = qq["Tags"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        let s = match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        (k.clone(), Value::String(s))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let tags = Value::Object(tags).to_string();
        let t = |k: &str| -> jiff::Timestamp { qq[k].as_str().unwrap().parse().unwrap() };
        let (tmin, tmax) = (t("StartTimeMin"), t("StartTimeMax"));
        let dmin = qq["DurationMin"].as_u64().unwrap_or(0);
        let dmax = qq["DurationMax"].as_u64().unwrap_or(0);
        let op_name = qq["OperationName"].as_str().unwrap_or("");
        let service = qq["ServiceName"].as_str().unwrap();
        let limit = qq["NumTraces"].as_u64().unwrap_or(100);

        // v1
        let mut url = format!(
            "{base}/api/traces?service={}&start={}&end={}&limit={limit}&tags={}&lookback=custom",
            enc(service),
            tmin.as_microsecond(),
            tmax.as_microsecond(),
            enc(&tags)
        );
        if !op_name.is_empty() {
            url.push_str(&format!("&operation={}", enc(op_name)));
        }
        if dmin > 0 {
            url.push_str(&format!("&minDuration={dmin}ns"));
        }
        if dmax > 0 {
            url.push_str(&format!("&maxDuration={dmax}ns"));
        }
        let (code, body) = get(&url);
        let got: BTreeMap<String, usize> = if code == 200 {
            let v: Value = serde_json::from_str(&body).unwrap();
            v["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    (
                        t["traceID"].as_str().unwrap().to_string(),
                        t["spans"].as_array().unwrap().len(),
                    )
                })
                .collect()
        } else {
            failures.push(format!("v1 {caption}: {code} {body}"));
            continue;
        };
        let want_v1: BTreeMap<String, usize> = want.iter().map(|(k, n)| (v1_id(k), *n)).collect();
        if got != want_v1 {
            failures.push(format!("v1 {caption}: got {got:?}, want {want_v1:?}"));
        }

        // v3 (camelCase), and the same query with the snake_case names
        for snake in [false, true] {
            let n = |camel: &str, snake_name: &str| {
                if snake {
                    snake_name.to_string()
                } else {
                    camel.to_string()
                }
            };
            let mut url = format!(
                "{base}/api/v3/traces?{}={}&{}={}&{}={}&{}={limit}&query.attributes={}",
                n("query.serviceName", "query.service_name"),
                enc(service),
                n("query.startTimeMin", "query.start_time_min"),
                enc(&tmin.to_string()),
                n("query.startTimeMax", "query.start_time_max"),
                enc(&tmax.to_string()),
                n("query.searchDepth", "query.num_traces"),
                enc(&tags)
            );
            if !op_name.is_empty() {
                url.push_str(&format!(
                    "&{}={}",
                    n("query.operationName", "query.operation_name"),
                    enc(op_name)
                ));
            }
            if dmin > 0 {
                url.push_str(&format!(
                    "&{}={dmin}ns",
                    n("query.durationMin", "query.duration_min")
                ));
            }
            if dmax > 0 {
                url.push_str(&format!(
                    "&{}={dmax}ns",
                    n("query.durationMax", "query.duration_max")
                ));
            }
            let (code, body) = get(&url);
            if code != 200 {
                failures.push(format!("v3 {caption} (snake {snake}): {code} {body}"));
                continue;
            }
            let v: Value = serde_json::from_str(&body).unwrap();
            let got = spans_by_trace(&v["result"]);
            if got != want {
                failures.push(format!(
                    "v3 {caption} (snake {snake}): got {got:?}, want {want:?}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // GetServices, GetOperations, GetTrace of example_trace.
    let (_, body) = get(&format!("{base}/api/services"));
    let v: Value = serde_json::from_str(&body).unwrap();
    let services: BTreeSet<&str> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for s in [
        "example-service-1",
        "example-service-2",
        "example-service-3",
    ] {
        assert!(services.contains(s), "{s}: {body}");
    }
    let (_, body) = get(&format!("{base}/api/operations?service=example-service-1"));
    let v: Value = serde_json::from_str(&body).unwrap();
    let ops: BTreeSet<(String, String)> = v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap().to_string(),
                o["spanKind"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String)> = [
        ("example-operation-1", ""),
        ("example-operation-3", "server"),
        ("example-operation-4", "client"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(ops, want, "{body}");
    let (_, body) = get(&format!("{base}/api/services/example-service-1/operations"));
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["data"],
        json!([
            "example-operation-1",
            "example-operation-3",
            "example-operation-4"
        ])
    );
    let example = &fixtures["example_trace"];
    assert_eq!(example.values().sum::<usize>(), 5);
    let (code, body) = get(&format!("{base}/api/traces/11"));
    assert_eq!(code, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["data"][0]["traceID"], "0000000000000011");
    let span_ids: BTreeSet<&str> = v["data"][0]["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["spanID"].as_str().unwrap())
        .collect();
    assert_eq!(span_ids.len(), 5, "{body}");
    let (code, body) = get(&format!(
        "{base}/api/v3/traces/00000000000000000000000000000011"
    ));
    assert_eq!(code, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(spans_by_trace(&v["result"]).values().sum::<usize>(), 5);
    // An unknown id is not found (v1 404 envelope, v3 404).
    assert_eq!(get(&format!("{base}/api/traces/12345")).0, 404);
    let (code, body) = get(&format!("{base}/api/v3/traces/12345"));
    assert_eq!(
        (code, body.as_str()),
        (
            404,
            "{\"error\":{\"httpCode\":404,\"message\":\"No traces found\"}}\n"
        )
    );
}

/// GetLargeTrace of Jaeger's storage tests: a trace of 10 008 spans comes
/// back whole through v1 and v3 (the time is printed; debug build).
#[test]
fn a_trace_of_10008_spans_comes_back_whole() {
    let op = Outpost::start(&[]);
    let spans: Vec<Value> = (1..=10_008u64)
        .map(|i| {
            json!({"traceId": "000000000000000000000000000000aa", "spanId": format!("{i:016x}"),
                   "parentSpanId": if i == 1 { String::new() } else { "0000000000000001".to_string() },
                   "name": format!("op-{}", i % 7), "kind": 2,
                   "startTimeUnixNano": (1_767_225_600_000_000_000u64 + i * 1000).to_string(),
                   "endTimeUnixNano": (1_767_225_600_000_000_000u64 + i * 1000 + 500_000).to_string(),
                   "attributes": [{"key": "i", "value": {"intValue": i.to_string()}}]})
        })
        .collect();
    let body = json!({"resourceSpans": [{"resource": {"attributes": [
        {"key": "service.name", "value": {"stringValue": "large"}}]},
        "scopeSpans": [{"spans": spans}]}]});
    let r = http()
        .post(format!("{}/v1/traces", op.url("otlp-http")))
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let base = op.url("jaeger-query");
    let t = std::time::Instant::now();
    let (code, body) = get(&format!("{base}/api/traces/aa"));
    let v1_ms = t.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(code, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["data"][0]["spans"].as_array().unwrap().len(), 10_008);
    let t = std::time::Instant::now();
    let (code, body) = get(&format!("{base}/api/v3/traces/aa"));
    let v3_ms = t.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(code, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(spans_by_trace(&v["result"]).values().sum::<usize>(), 10_008);
    eprintln!("10008-span trace: v1 {v1_ms:.1} ms, v3 {v3_ms:.1} ms (HTTP round trip, this build)");
}

/// The Zipkin listener is wired into the same store: a v2 JSON span posted
/// there is served by the Jaeger query listener.
#[test]
fn zipkin_spans_are_served_by_the_query_api() {
    let op = Outpost::start(&[]);
    let now_us = micros(SystemTime::now());
    let body = json!([{"traceId": "463ac35c9f6413ad48485a3953bb6124", "id": "a2fb4a1d1a96d312",
        "name": "get /api", "kind": "SERVER", "timestamp": now_us, "duration": 1500,
        "localEndpoint": {"serviceName": "zipkin-svc"}, "tags": {"http.method": "GET"}}]);
    let r = http()
        .post(format!("{}/api/v2/spans", op.url("zipkin")))
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let base = op.url("jaeger-query");
    let (code, body) = get(&format!(
        "{base}/api/traces?service=zipkin-svc&tag=http.method:GET"
    ));
    assert_eq!(code, 200, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v["data"][0]["traceID"], "463ac35c9f6413ad48485a3953bb6124",
        "{body}"
    );
    assert_eq!(v["data"][0]["spans"][0]["duration"], 1500);
    assert_eq!(v["data"][0]["spans"][0]["startTime"], now_us);
}

/// `outpost loadgen otlp-traces` over gRPC and HTTP: every span is accepted
/// and stored, and the span metrics flushed from them answer PromQL.
#[test]
fn loadgen_otlp_traces_over_grpc_and_http_is_stored_whole() {
    let op = Outpost::start(&["--clock", "manual"]);
    let mut total = 0u64;
    for (proto, url) in [
        ("grpc", op.url("otlp-grpc")),
        ("http", format!("{}/v1/traces", op.url("otlp-http"))),
    ] {
        let out = std::process::Command::new(common::bin())
            .args(["loadgen", "otlp-traces", "--url", &url, "--protocol", proto])
            .args([
                "--duration",
                "300ms",
                "--spans-per-request",
                "100",
                "--concurrency",
                "1",
            ])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(
            out.status.success(),
            "{proto}: {text} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(text.contains("spans failed: 0"), "{proto}: {text}");
        let accepted: u64 = text
            .lines()
            .find_map(|l| l.strip_prefix("spans accepted: "))
            .unwrap()
            .parse()
            .unwrap();
        assert!(accepted >= 100, "{proto}: {text}");
        total += accepted;
    }
    let v: Value = serde_json::from_str(
        &get(&format!(
            "{}/outpost/v1/status/traces",
            op.url("jaeger-query")
        ))
        .1,
    )
    .unwrap();
    assert_eq!(v["data"]["spans"], total);
    // The span metrics reach the TSDB on the next 15 s flush of the clock.
    let r = http()
        .post(format!(
            "{}/outpost/v1/clock/advance?by=16s",
            op.url("prometheus")
        ))
        .send()
        .unwrap();
    assert!(r.status().is_success());
    let q = "sum(traces_span_metrics_calls_total)";
    let mut got = Value::Null;
    for _ in 0..50 {
        let (_, body) = get(&format!(
            "{}/api/v1/query?query={}",
            op.url("prometheus"),
            enc(q)
        ));
        got =
            serde_json::from_str::<Value>(&body).unwrap()["data"]["result"][0]["value"][1].clone();
        if got == json!(total.to_string()) {
            return;
        }
        // clock-guard: wall time (the flush task runs after the clock advance returns)
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("span metrics: {q} = {got}, want {total}");
}
