//! OTLP translation tests.

use outpost_otlp::proto::common::v1::{ArrayValue, KeyValueList};
use outpost_otlp::proto::trace::v1::{ResourceSpans, ScopeSpans};

use super::*;

pub(crate) fn kv(key: &str, v: any_value::Value) -> PbKeyValue {
    PbKeyValue {
        key: key.into(),
        value: Some(AnyValue { value: Some(v) }),
        ..Default::default()
    }
}

pub(crate) fn sv(s: &str) -> any_value::Value {
    any_value::Value::StringValue(s.into())
}

fn pspan(trace: Vec<u8>, id: Vec<u8>) -> pb::Span {
    pb::Span {
        trace_id: trace,
        span_id: id,
        name: "GET /cart".into(),
        kind: 2,
        start_time_unix_nano: 1_700_000_000_000_000_000,
        end_time_unix_nano: 1_700_000_000_250_000_000,
        ..Default::default()
    }
}

fn request(resource: Option<PbResource>, spans: Vec<pb::Span>) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource,
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: "io.http".into(),
                    version: "1.2".into(),
                    ..Default::default()
                }),
                spans,
                schema_url: "s".into(),
            }],
            schema_url: "r".into(),
        }],
    }
}

fn cart() -> Option<PbResource> {
    Some(PbResource {
        attributes: vec![kv("host.name", sv("h")), kv("service.name", sv("cart"))],
        ..Default::default()
    })
}

#[test]
fn spans_map_field_by_field() {
    let trace = (1u128 << 100 | 5).to_be_bytes().to_vec();
    let mut s = pspan(trace.clone(), 7u64.to_be_bytes().to_vec());
    s.parent_span_id = 6u64.to_be_bytes().to_vec();
    s.trace_state = "k=v".into();
    s.flags = 0x301;
    s.attributes = vec![
        kv("http.status_code", any_value::Value::IntValue(500)),
        kv("ok", any_value::Value::BoolValue(true)),
        kv("ratio", any_value::Value::DoubleValue(0.5)),
        kv("raw", any_value::Value::BytesValue(vec![1, 2])),
        kv(
            "list",
            any_value::Value::ArrayValue(ArrayValue {
                values: vec![AnyValue {
                    value: Some(sv("a")),
                }],
            }),
        ),
        kv(
            "map",
            any_value::Value::KvlistValue(KeyValueList {
                values: vec![kv("x", any_value::Value::IntValue(1))],
            }),
        ),
        PbKeyValue {
            key: "empty".into(),
            ..Default::default()
        },
    ];
    s.events = vec![pb::span::Event {
        time_unix_nano: 1_700_000_000_100_000_000,
        name: "retry".into(),
        attributes: vec![kv("n", any_value::Value::IntValue(2))],
        dropped_attributes_count: 1,
    }];
    s.links = vec![
        pb::span::Link {
            trace_id: trace.clone(),
            span_id: 9u64.to_be_bytes().to_vec(),
            trace_state: "a=b".into(),
            flags: 1,
            ..Default::default()
        },
        // Invalid ids: the link is dropped, the span kept.
        pb::span::Link {
            trace_id: vec![1; 3],
            span_id: 9u64.to_be_bytes().to_vec(),
            ..Default::default()
        },
    ];
    s.status = Some(pb::Status {
        message: "boom".into(),
        code: 2,
    });
    s.dropped_attributes_count = 3;
    s.dropped_links_count = 4;
    let (spans, rejected) = translate(request(cart(), vec![s]));
    assert_eq!(rejected, Rejected::default());
    let sp = &spans[0];
    assert_eq!(sp.trace_id, TraceId(1u128 << 100 | 5));
    assert_eq!(sp.span_id, SpanId(7));
    assert_eq!(sp.parent_span_id, SpanId(6));
    assert_eq!(&*sp.trace_state, "k=v");
    assert_eq!(sp.flags, 0x301);
    assert_eq!(&*sp.name, "GET /cart");
    assert_eq!(sp.kind, SpanKind::Server);
    assert_eq!(sp.duration_ns(), 250_000_000);
    assert_eq!(sp.status.code, StatusCode::Error);
    assert_eq!(&*sp.status.message, "boom");
    assert_eq!(sp.dropped, [3, 0, 4]);
    let vals: Vec<&Value> = sp.attributes.iter().map(|kv| &kv.value).collect();
    assert_eq!(
        vals,
        [
            &Value::Int(500),
            &Value::Bool(true),
            &Value::Double(0.5),
            &Value::Bytes(Arc::from(&[1u8, 2][..])),
            &Value::Array(vec![Value::Str("a".into())]),
            &Value::Map(vec![KeyValue {
                key: "x".into(),
                value: Value::Int(1)
            }]),
            &Value::Empty,
        ]
    );
    assert_eq!(sp.events[0].time_ns, 1_700_000_000_100_000_000);
    assert_eq!(&*sp.events[0].name, "retry");
    assert_eq!(sp.events[0].dropped_attributes_count, 1);
    assert_eq!(sp.links.len(), 1);
    assert_eq!((sp.links[0].span_id, sp.links[0].flags), (SpanId(9), 1));
    assert_eq!(&*sp.links[0].trace_state, "a=b");
    assert_eq!(sp.service(), "cart");
    assert_eq!(&*sp.resource.schema_url, "r");
    assert_eq!(sp.resource.attributes.len(), 2);
    assert_eq!(
        (&*sp.scope.name, &*sp.scope.version, &*sp.scope.schema_url),
        ("io.http", "1.2", "s")
    );
}

#[test]
fn invalid_ids_are_rejected_and_counted() {
    let good = || pspan(vec![1; 16], vec![2; 8]);
    let mut bad_parent = good();
    bad_parent.parent_span_id = vec![1; 4];
    let spans = vec![
        good(),
        pspan(vec![1; 15], vec![2; 8]),
        pspan(vec![0; 16], vec![2; 8]),
        pspan(vec![1; 16], vec![2; 7]),
        pspan(vec![1; 16], vec![0; 8]),
        bad_parent,
        good(),
    ];
    let (ok, rejected) = translate(request(cart(), spans));
    assert_eq!(ok.len(), 2);
    assert_eq!(rejected.count, 5);
    assert_eq!(rejected.message, "invalid trace id: 15 bytes, want 16");
    // Spans of one ResourceSpans/ScopeSpans share the resource and scope.
    assert!(Arc::ptr_eq(&ok[0].resource, &ok[1].resource));
    assert!(Arc::ptr_eq(&ok[0].scope, &ok[1].scope));
    assert!(Arc::ptr_eq(&ok[0].name, &ok[1].name));
}

#[test]
fn service_name_rules_and_clamped_end() {
    let mut s = pspan(vec![1; 16], vec![2; 8]);
    s.end_time_unix_nano = 5;
    let (spans, _) = translate(request(None, vec![s.clone()]));
    assert_eq!(spans[0].service(), NO_SERVICE_NAME);
    assert_eq!(spans[0].end_ns, spans[0].start_ns);
    let only_host = Some(PbResource {
        attributes: vec![kv("host.name", sv("h"))],
        ..Default::default()
    });
    let (spans, _) = translate(request(only_host, vec![s]));
    assert_eq!(spans[0].service(), "");
}

#[test]
fn the_spec_example_decodes_from_json() {
    let json = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"cart"}}]},"scopeSpans":[{"scope":{"name":"io.http","version":"1.2"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"eee19b7ec3c1b173","name":"GET /cart","kind":2,"startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000250000000","attributes":[{"key":"http.status_code","value":{"intValue":"500"}}],"status":{"code":2,"message":"boom"}}]}]}]}"#;
    let req: ExportTraceServiceRequest = outpost_otlp::decode(
        json.as_bytes(),
        outpost_otlp::Encoding::Json,
        outpost_otlp::Compression::None,
        1 << 20,
    )
    .unwrap();
    let (spans, rejected) = translate(req);
    assert_eq!(rejected.count, 0);
    assert_eq!(
        spans[0].trace_id.to_hex32(),
        "5b8efff798038103d269b633813fc60c"
    );
    assert_eq!(spans[0].parent_span_id.to_hex(), "eee19b7ec3c1b173");
    assert_eq!(spans[0].attributes[0].value, Value::Int(500));
}

/// Jaeger's storage-integration fixtures (OTLP JSON) all translate with
/// no span rejected, one model span per OTLP span, ids kept.
#[test]
fn jaeger_storage_fixtures_translate_completely() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/conformance/jaeger-storage-fixtures/traces");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} is missing",
            dir.display()
        );
        eprintln!("skipped: {} is missing", dir.display());
        return;
    };
    let mut files = 0;
    for e in entries {
        let path = e.unwrap().path();
        let raw = std::fs::read(&path).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&raw).unwrap();
        let want: Vec<String> = json["resourceSpans"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|rs| rs["scopeSpans"].as_array().unwrap())
            .flat_map(|ss| ss["spans"].as_array().unwrap())
            .map(|s| s["spanId"].as_str().unwrap().to_ascii_lowercase())
            .collect();
        let req: ExportTraceServiceRequest = outpost_otlp::decode(
            &raw,
            outpost_otlp::Encoding::Json,
            outpost_otlp::Compression::None,
            1 << 24,
        )
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (spans, rejected) = translate(req);
        assert_eq!(
            rejected.count,
            0,
            "{}: {}",
            path.display(),
            rejected.message
        );
        let got: Vec<String> = spans.iter().map(|s| s.span_id.to_hex()).collect();
        assert_eq!(got, want, "{}", path.display());
        files += 1;
    }
    assert!(files >= 20, "only {files} fixtures");
}
