//! Golden tests of the renderings and the adjusters: spans built with every
//! feature (kinds, statuses, scope, events, links, trace state, all value
//! types, several and shared processes), each output compared byte for
//! byte, and the byte writers checked against the `Value` builders.

use std::sync::Arc;

use super::*;
use crate::model::*;

pub(super) fn kv(k: &str, v: Value) -> KeyValue {
    KeyValue {
        key: Arc::from(k),
        value: v,
    }
}

pub(super) fn s(v: &str) -> Value {
    Value::Str(Arc::from(v))
}

pub(super) fn resource(service: &str, extra: Vec<KeyValue>) -> Arc<Resource> {
    let mut attributes = vec![kv("service.name", s(service))];
    attributes.extend(extra);
    Arc::new(Resource {
        service: Arc::from(service),
        attributes,
        ..Default::default()
    })
}

pub(super) fn span(tid: u128, id: u64, parent: u64, r: &Arc<Resource>) -> Span {
    Span {
        trace_id: TraceId(tid),
        span_id: SpanId(id),
        parent_span_id: SpanId(parent),
        trace_state: "".into(),
        flags: 0,
        name: Arc::from(format!("op-{id}")),
        kind: SpanKind::Unspecified,
        start_ns: 1_700_000_000_000_000_000 + (id % 1000) * 1_000_000,
        end_ns: 1_700_000_000_000_000_000 + (id % 1000) * 1_000_000 + 250_500_123,
        attributes: vec![],
        events: vec![],
        links: vec![],
        status: Status::default(),
        dropped: [0; 3],
        resource: r.clone(),
        scope: Arc::new(Scope::default()),
    }
}

const TID: u128 = 0x5b8efff798038103d269b633813fc60c;

/// A trace with every feature the renderings map.
fn rich_trace() -> Trace {
    let cart = resource(
        "cart",
        vec![kv("host.name", s("h1")), kv("ip", Value::Int(1))],
    );
    // Equal to `cart` but a different allocation: still one process.
    let cart2 = resource(
        "cart",
        vec![kv("host.name", s("h1")), kv("ip", Value::Int(1))],
    );
    let db = resource("db", vec![]);
    let scope = Arc::new(Scope {
        name: "io.http".into(),
        version: "1.2".into(),
        attributes: vec![kv("scope.attr", s("x"))],
        dropped_attributes_count: 1,
        schema_url: "https://s/1".into(),
    });
    let mut root = span(TID, 0xeee19b7ec3c1b173, 0, &cart);
    root.name = Arc::from("GET /cart <&>");
    root.kind = SpanKind::Server;
    root.flags = 1;
    root.trace_state = "a=1".into();
    root.scope = scope.clone();
    root.status = Status {
        code: StatusCode::Error,
        message: "boom".into(),
    };
    root.attributes = vec![
        kv("str", s("v\"q\n")),
        kv("int", Value::Int(500)),
        kv("big", Value::Int(9_007_199_254_740_993)),
        kv("small", Value::Int(-9_007_199_254_740_993)),
        kv("safe", Value::Int(9_007_199_254_740_991)),
        kv("bool", Value::Bool(true)),
        kv("double", Value::Double(72.5)),
        kv("whole", Value::Double(3.0)),
        kv("huge", Value::Double(1e21)),
        kv("tiny", Value::Double(1e-7)),
        kv("bytes", Value::Bytes(Arc::from(&[0u8, 1, 2, 255][..]))),
        kv("arr", Value::Array(vec![s("a"), Value::Int(1)])),
        kv(
            "map",
            Value::Map(vec![
                kv("k", s("v")),
                kv("b<", Value::Array(vec![Value::Double(2.0), Value::Empty])),
            ]),
        ),
        kv("empty", Value::Empty),
    ];
    root.events = vec![
        Event {
            time_ns: 1_700_000_000_000_100_999,
            name: "cache miss".into(),
            attributes: vec![kv("hit", Value::Bool(false))],
            dropped_attributes_count: 0,
        },
        Event {
            time_ns: 1_700_000_000_000_200_000,
            name: "exception".into(),
            attributes: vec![kv("event", s("custom"))],
            dropped_attributes_count: 2,
        },
    ];
    root.links = vec![
        Link {
            trace_id: TraceId(0x11),
            span_id: SpanId(0x22),
            trace_state: "b=2".into(),
            attributes: vec![kv("opentracing.ref_type", s("follows_from"))],
            dropped_attributes_count: 0,
            flags: 1,
        },
        Link {
            trace_id: TraceId(TID),
            span_id: SpanId(0x33),
            attributes: vec![kv("opentracing.ref_type", s("child_of"))],
            ..Default::default()
        },
    ];
    root.dropped = [1, 2, 3];
    let mut client = span(TID, 0xeee19b7ec3c1b174, 0xeee19b7ec3c1b173, &cart2);
    client.kind = SpanKind::Client;
    client.status.code = StatusCode::Ok;
    client.scope = scope;
    let mut producer = span(TID, 0x3, 0xeee19b7ec3c1b174, &db);
    producer.kind = SpanKind::Producer;
    producer.links = vec![Link {
        trace_id: TraceId(TID),
        span_id: SpanId(0xeee19b7ec3c1b174),
        attributes: vec![kv("opentracing.ref_type", s("follows_from"))],
        ..Default::default()
    }];
    producer.attributes = vec![kv(WARNINGS_ATTRIBUTE, Value::Array(vec![s("w1"), s("w2")]))];
    let mut consumer = span(TID, 0x4, 0x3, &db);
    consumer.kind = SpanKind::Consumer;
    let mut internal = span(TID, 0x5, 0x4, &cart);
    internal.kind = SpanKind::Internal;
    Trace {
        trace_id: TraceId(TID),
        spans: [root, client, producer, consumer, internal]
            .into_iter()
            .map(Arc::new)
            .collect(),
    }
}

fn v1(t: &Trace) -> String {
    let mut out = Vec::new();
    write_jaeger_trace(t, &mut out);
    String::from_utf8(out).unwrap()
}

fn v3(ts: &[Trace]) -> String {
    let mut out = Vec::new();
    write_otlp_traces(ts, &mut out);
    String::from_utf8(out).unwrap()
}

/// The byte writer and the `Value` builder give the same document, down
/// to key order.
fn assert_agree(t: &Trace) {
    let parsed: serde_json::Value = serde_json::from_str(&v1(t)).unwrap();
    same(&parsed, &jaeger_trace(t), "v1");
    let ts = std::slice::from_ref(t);
    let parsed: serde_json::Value = serde_json::from_str(&v3(ts)).unwrap();
    same(&parsed, &otlp_traces(ts), "v3");
}

/// Equal values with equal key order; the first difference is reported by path.
fn same(a: &serde_json::Value, b: &serde_json::Value, path: &str) {
    use serde_json::Value as J;
    match (a, b) {
        (J::Object(x), J::Object(y)) => {
            let kx: Vec<_> = x.keys().collect();
            let ky: Vec<_> = y.keys().collect();
            assert_eq!(kx, ky, "keys at {path}");
            for (k, v) in x {
                same(v, &y[k], &format!("{path}.{k}"));
            }
        }
        (J::Array(x), J::Array(y)) => {
            assert_eq!(x.len(), y.len(), "length at {path}");
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                same(v, w, &format!("{path}[{i}]"));
            }
        }
        // serde_json's default float parser may be off by an ulp (no
        // `float_roundtrip`); exact round trips are tested in `json_out`.
        (J::Number(x), J::Number(y)) if x.is_f64() || y.is_f64() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!((x - y).abs() <= x.abs() * 1e-15, "at {path}: {x} != {y}");
        }
        _ => assert_eq!(a, b, "at {path}"),
    }
}

/// Compares with a golden file under `testdata/`; with
/// `OUTPOST_UPDATE_GOLDEN=1` rewrites it instead (review the diff).
fn golden(name: &str, got: &str, want: &str) {
    if std::env::var_os("OUTPOST_UPDATE_GOLDEN").is_some() {
        let path = format!("{}/src/render/testdata/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::write(path, format!("{got}\n")).unwrap();
        return;
    }
    assert_eq!(got, want.trim_end(), "golden {name}");
}

#[test]
fn v1_golden_every_feature() {
    let t = rich_trace();
    golden(
        "rich_v1.json",
        &v1(&t),
        include_str!("testdata/rich_v1.json"),
    );
    assert_agree(&t);
}

#[test]
fn v3_golden_every_feature() {
    let t = rich_trace();
    golden(
        "rich_v3.json",
        &v3(std::slice::from_ref(&t)),
        include_str!("testdata/rich_v3.json"),
    );
}

/// The trace of fact sheet §5.4's example, byte for byte.
#[test]
fn v1_matches_the_fact_sheet_example() {
    let cart = resource("cart", vec![]);
    let mut sp = span(TID, 0xeee19b7ec3c1b174, 0xeee19b7ec3c1b173, &cart);
    sp.name = Arc::from("GET /cart");
    sp.kind = SpanKind::Server;
    sp.start_ns = 1_700_000_000_000_000_000;
    sp.end_ns = 1_700_000_000_250_000_000;
    sp.scope = Arc::new(Scope {
        name: "io.http".into(),
        ..Default::default()
    });
    sp.attributes = vec![kv("http.status_code", Value::Int(500))];
    sp.status = Status {
        code: StatusCode::Error,
        message: "boom".into(),
    };
    let t = Trace {
        trace_id: TraceId(TID),
        spans: vec![Arc::new(sp)],
    };
    let want = r#"{"traceID":"5b8efff798038103d269b633813fc60c","spans":[{"traceID":"5b8efff798038103d269b633813fc60c","spanID":"eee19b7ec3c1b174","operationName":"GET /cart","references":[{"refType":"CHILD_OF","traceID":"5b8efff798038103d269b633813fc60c","spanID":"eee19b7ec3c1b173"}],"startTime":1700000000000000,"duration":250000,"tags":[{"key":"otel.scope.name","type":"string","value":"io.http"},{"key":"http.status_code","type":"int64","value":500},{"key":"span.kind","type":"string","value":"server"},{"key":"otel.status_code","type":"string","value":"ERROR"},{"key":"error","type":"bool","value":true},{"key":"otel.status_description","type":"string","value":"boom"}],"logs":[],"processID":"p1","warnings":null}],"processes":{"p1":{"serviceName":"cart","tags":[]}},"warnings":null}"#;
    assert_eq!(v1(&t), want);
    // The OTLP form of the same span (fact sheet §1.3, in the marshaler's
    // field order: status message before code).
    let want3 = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"cart"}}]},"scopeSpans":[{"scope":{"name":"io.http"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"eee19b7ec3c1b173","name":"GET /cart","kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000250000000","attributes":[{"key":"http.status_code","value":{"intValue":"500"}}],"status":{"message":"boom","code":2}}]}]}]}"#;
    assert_eq!(v3(std::slice::from_ref(&t)), want3);
    assert_agree(&t);
}

#[test]
fn v1_process_keys_print_in_go_map_order() {
    let spans = (1..=11u64)
        .map(|i| Arc::new(span(0x42, i, 0, &resource(&format!("svc-{i}"), vec![]))))
        .collect();
    let t = Trace {
        trace_id: TraceId(0x42),
        spans,
    };
    let v = jaeger_trace(&t);
    let keys: Vec<&str> = v["processes"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "p1", "p10", "p11", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9"
        ]
    );
    assert_eq!(v["spans"][9]["processID"], "p10");
    assert_eq!(v["processes"]["p10"]["serviceName"], "svc-10");
    // 64-bit trace ids: 16 digits in v1, 32 in OTLP.
    assert_eq!(v["traceID"], "0000000000000042");
    assert_eq!(
        otlp_traces(std::slice::from_ref(&t))["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["traceId"],
        "00000000000000000000000000000042"
    );
    assert_agree(&t);
}

#[test]
fn v3_groups_by_resource_and_scope_and_concatenates_traces() {
    let a = resource("a", vec![]);
    let b = resource("b", vec![]);
    let sc = Arc::new(Scope {
        name: "lib".into(),
        ..Default::default()
    });
    let mut s1 = span(1, 1, 0, &a);
    s1.scope = sc.clone();
    let s2 = span(1, 2, 1, &b);
    let mut s3 = span(1, 3, 1, &resource("a", vec![]));
    s3.scope = Arc::new((*sc).clone());
    let s4 = span(1, 4, 1, &a);
    let t1 = Trace {
        trace_id: TraceId(1),
        spans: [s1, s2, s3, s4].into_iter().map(Arc::new).collect(),
    };
    let t2 = Trace {
        trace_id: TraceId(2),
        spans: vec![Arc::new(span(2, 9, 0, &a))],
    };
    let v = otlp_traces(&[t1.clone(), t2.clone()]);
    let rs = v["resourceSpans"].as_array().unwrap();
    // trace 1: a (lib: 1, 3; default scope: 4), b (2); trace 2: a (9)
    assert_eq!(rs.len(), 3);
    let ids = |r: &serde_json::Value, i: usize| -> Vec<String> {
        r["scopeSpans"][i]["spans"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["spanId"].as_str().unwrap()[14..].to_string())
            .collect()
    };
    assert_eq!(ids(&rs[0], 0), ["01", "03"]);
    assert_eq!(rs[0]["scopeSpans"][0]["scope"]["name"], "lib");
    assert_eq!(ids(&rs[0], 1), ["04"]);
    assert_eq!(rs[0]["scopeSpans"][1]["scope"], serde_json::json!({}));
    assert_eq!(ids(&rs[1], 0), ["02"]);
    assert_eq!(ids(&rs[2], 0), ["09"]);
    let parsed: serde_json::Value = serde_json::from_str(&v3(&[t1, t2])).unwrap();
    assert_eq!(parsed.to_string(), v.to_string());
    assert_eq!(v3(&[]), "{}");
    assert_eq!(otlp_traces(&[]), serde_json::json!({}));
}

#[test]
fn v1_link_to_the_parent_only_sets_the_first_reference_type() {
    let r = resource("a", vec![]);
    let mut sp = span(1, 2, 1, &r);
    sp.links = vec![
        Link {
            trace_id: TraceId(1),
            span_id: SpanId(1),
            ..Default::default()
        },
        Link {
            trace_id: TraceId(1),
            span_id: SpanId(7),
            attributes: vec![kv("opentracing.ref_type", s("child_of"))],
            ..Default::default()
        },
    ];
    let v = jaeger_trace(&Trace {
        trace_id: TraceId(1),
        spans: vec![Arc::new(sp)],
    });
    let refs = v["spans"][0]["references"].as_array().unwrap();
    assert_eq!(refs.len(), 2);
    assert_eq!(refs[0]["refType"], "FOLLOWS_FROM");
    assert_eq!(refs[0]["spanID"], "0000000000000001");
    assert_eq!(refs[1]["refType"], "CHILD_OF");
    assert_eq!(refs[1]["spanID"], "0000000000000007");
}

/// A trace of `n` spans over 20 services with 8 attributes, an event and
/// (every tenth span) a link, shaped like an instrumented request fan-out.
pub(crate) fn big_trace(n: u64) -> Trace {
    let resources: Vec<Arc<Resource>> = (0..20)
        .map(|i| {
            resource(
                &format!("service-{i}"),
                vec![
                    kv("host.name", s(&format!("node-{}", i % 5))),
                    kv("telemetry.sdk.language", s("go")),
                ],
            )
        })
        .collect();
    let scope = Arc::new(Scope {
        name: "io.opentelemetry.http".into(),
        version: "1.30.0".into(),
        ..Default::default()
    });
    let spans = (1..=n)
        .map(|i| {
            let mut sp = span(TID, i, i / 2, &resources[(i % 20) as usize]);
            sp.name = Arc::from(format!("GET /api/v1/items/{}", i % 50));
            sp.kind = if i % 2 == 0 {
                SpanKind::Server
            } else {
                SpanKind::Client
            };
            sp.scope = scope.clone();
            sp.start_ns = 1_700_000_000_000_000_000 + i * 1_000;
            sp.end_ns = sp.start_ns + 1_000_000 / i;
            sp.attributes = vec![
                kv("http.method", s("GET")),
                kv("http.route", s("/api/v1/items/{id}")),
                kv("http.status_code", Value::Int(200 + (i % 5) as i64 * 100)),
                kv(
                    "http.url",
                    s(&format!("http://svc/api/v1/items/{i}?q=a&b=c")),
                ),
                kv("net.peer.port", Value::Int(8080)),
                kv("retry", Value::Bool(i % 7 == 0)),
                kv("ratio", Value::Double(i as f64 / 3.0)),
                kv("user.id", s(&format!("user-{}", i % 1000))),
            ];
            sp.events = vec![Event {
                time_ns: sp.start_ns + 10,
                name: "cache lookup".into(),
                attributes: vec![kv("hit", Value::Bool(i % 3 == 0))],
                dropped_attributes_count: 0,
            }];
            if i % 10 == 0 {
                sp.links = vec![Link {
                    trace_id: TraceId(0x99),
                    span_id: SpanId(i),
                    ..Default::default()
                }];
            }
            if i % 13 == 0 {
                sp.status = Status {
                    code: StatusCode::Error,
                    message: "upstream timeout".into(),
                };
            }
            Arc::new(sp)
        })
        .collect();
    Trace {
        trace_id: TraceId(TID),
        spans,
    }
}

#[test]
fn a_large_trace_renders_the_same_both_ways() {
    let t = big_trace(1_000);
    assert_agree(&t);
    let adjusted = adjust(&t);
    assert_agree(&adjusted);
    let v = jaeger_trace(&adjusted);
    assert_eq!(v["spans"].as_array().unwrap().len(), 1_000);
    assert_eq!(v["processes"].as_object().unwrap().len(), 20);
}
