//! Zipkin v2 JSON translation tests over `fixtures/zipkin/`.

use super::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../fixtures/zipkin/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn attr<'a>(s: &'a Span, key: &str) -> Option<&'a Value> {
    s.attributes
        .iter()
        .find(|kv| &*kv.key == key)
        .map(|kv| &kv.value)
}

fn str_v(s: &str) -> Value {
    Value::Str(Arc::from(s))
}

#[test]
fn the_fixture_maps_span_by_span() {
    let spans = translate(&fixture("frontend_to_cart.json")).unwrap();
    assert_eq!(spans.len(), 4);
    let (server, client, local, orphan) = (&spans[0], &spans[1], &spans[2], &spans[3]);

    assert_eq!(
        server.trace_id.to_hex32(),
        "5b8efff798038103d269b633813fc60c"
    );
    assert_eq!(server.span_id.to_hex(), "eee19b7ec3c1b174");
    assert_eq!(server.parent_span_id.to_hex(), "eee19b7ec3c1b173");
    assert_eq!(server.kind, SpanKind::Server);
    assert_eq!(&*server.name, "get /cart");
    assert_eq!(server.start_ns, 1_700_000_000_010_000_000);
    assert_eq!(server.duration_ns(), 200_000_000);
    assert_eq!(server.service(), "cart");
    assert_eq!(
        (&*server.scope.name, &*server.scope.version),
        ("io.http", "1.2")
    );
    assert_eq!(attr(server, "http.method"), Some(&str_v("GET")));
    assert_eq!(attr(server, "net.peer.ip"), Some(&str_v("10.0.0.1")));
    assert_eq!(attr(server, "net.peer.port"), Some(&Value::Int(51000)));
    assert_eq!(attr(server, "net.host.ip"), Some(&str_v("10.0.0.2")));
    assert_eq!(attr(server, "net.host.port"), Some(&Value::Int(8080)));
    assert_eq!(attr(server, "otel.library.name"), None);
    assert_eq!(server.status.code, StatusCode::Unset);

    assert_eq!(client.kind, SpanKind::Client);
    assert_eq!(client.parent_span_id, SpanId(0));
    assert_eq!(client.service(), "frontend");
    assert_eq!(client.status.code, StatusCode::Error);
    assert_eq!(&*client.status.message, "connection reset");
    assert_eq!(attr(client, "error"), None);
    assert_eq!(attr(client, "http.status_code"), Some(&str_v("502")));
    assert_eq!(attr(client, "peer.service"), Some(&str_v("cart")));
    assert_eq!(attr(client, "net.host.ip"), Some(&str_v("::1")));
    let events: Vec<(&str, u64)> = client
        .events
        .iter()
        .map(|e| (&*e.name, e.time_ns))
        .collect();
    assert_eq!(
        events,
        [
            ("wire send", 1_700_000_000_001_000_000),
            ("wire receive", 1_700_000_000_249_000_000)
        ]
    );

    // A 64-bit trace id; parentId == id is ignored; span.kind=internal.
    assert_eq!(local.trace_id, TraceId::from_halves(0, 0xd269b633813fc60c));
    assert_eq!(local.parent_span_id, SpanId(0));
    assert_eq!(local.kind, SpanKind::Internal);
    assert_eq!(local.status.code, StatusCode::Ok);
    assert_eq!(attr(local, "hits"), Some(&str_v("3")));
    assert_eq!(local.duration_ns(), 1_000);
    // Spans of one service share a resource.
    assert!(Arc::ptr_eq(&local.resource, &server.resource));

    assert_eq!(orphan.service(), NO_SERVICE_NAME);
    assert!(orphan.resource.attributes.is_empty());
    assert_eq!((orphan.start_ns, orphan.end_ns), (0, 5_000));
}

#[test]
fn bad_bodies_are_errors() {
    let e = translate(&fixture("bad_trace_id.json"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        r#"span 0: invalid traceId "not-hex": want 16 or 32 hex digits"#
    );
    assert!(
        translate(b"{")
            .unwrap_err()
            .to_string()
            .starts_with("zipkin v2 json: ")
    );
    assert!(
        translate(br#"{"traceId":"1"}"#).is_err(),
        "an object, not an array"
    );
    let long = format!(r#"[{{"traceId":"{}","id":"1"}}]"#, "1".repeat(33));
    assert!(translate(long.as_bytes()).is_err());
    let bad_id = r#"[{"traceId":"1","id":"00000000000000001"}]"#;
    assert!(
        translate(bad_id.as_bytes())
            .unwrap_err()
            .to_string()
            .contains("invalid id")
    );
    assert_eq!(translate(b"[]").unwrap(), vec![]);
}

#[test]
fn huge_times_saturate() {
    let body = format!(
        r#"[{{"traceId":"1","id":"2","timestamp":{},"duration":{}}}]"#,
        i64::MAX,
        i64::MAX
    );
    let s = &translate(body.as_bytes()).unwrap()[0];
    assert_eq!((s.start_ns, s.end_ns), (u64::MAX, u64::MAX));
}
