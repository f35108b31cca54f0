//! Zipkin receiver tests through `oneshot`, over `fixtures/zipkin/`.

use std::io::Write as _;

use outpost_traces::model::TraceId;

use super::*;
use crate::jaeger::test_support::{post, state};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../fixtures/zipkin/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

fn zlib(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

const JSON: (&str, &str) = ("content-type", "application/json");

#[tokio::test]
async fn spans_are_accepted_plain_and_compressed() {
    let s = state(1000);
    let app = zipkin_router(s.clone());
    let body = fixture("frontend_to_cart.json");
    let (status, _, resp) = post(&app, "/api/v2/spans", &[JSON], body.clone()).await;
    assert_eq!(status, StatusCode::ACCEPTED);
    assert!(resp.is_empty());
    let (status, _, _) = post(
        &app,
        "/api/v2/spans",
        &[JSON, ("content-encoding", "gzip")],
        gzip(&body),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let (status, _, _) = post(
        &app,
        "/api/v2/spans",
        &[("content-encoding", "deflate")],
        zlib(&body),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let id = TraceId::parse_hex("5b8efff798038103d269b633813fc60c").unwrap();
    let t = s.ingest.store.get_trace(id).unwrap();
    assert_eq!(t.spans.len(), 6);
    let mut services: Vec<&str> = t.spans.iter().map(|s| s.service()).collect();
    services.dedup();
    assert_eq!(
        services,
        ["cart", "frontend", "cart", "frontend", "cart", "frontend"]
    );
    assert_eq!(s.counters.spans_received("zipkin"), 12);
    assert_eq!(s.counters.requests("zipkin", true), 3);
}

#[tokio::test]
async fn bad_bodies_are_refused() {
    let s = state(1000);
    let app = zipkin_router(s.clone());
    let (status, _, body) =
        post(&app, "/api/v2/spans", &[JSON], fixture("bad_trace_id.json")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        "span 0: invalid traceId \"not-hex\": want 16 or 32 hex digits\n"
    );
    let (status, _, body) = post(&app, "/api/v2/spans", &[JSON], "[{").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.starts_with(b"zipkin v2 json: "));
    let (status, _, _) = post(
        &app,
        "/api/v2/spans",
        &[("content-encoding", "gzip")],
        "not gzip",
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _, _) = post(&app, "/api/v2/spans", &[("content-encoding", "br")], "[]").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let (status, _, _) = post(
        &app,
        "/api/v2/spans",
        &[("content-type", "application/x-protobuf")],
        "",
    )
    .await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(s.counters.requests("zipkin", false), 5);
    assert_eq!(s.ingest.store.stats().spans, 0);
}

#[tokio::test]
async fn oversized_bodies_are_413_received_or_inflated() {
    let s = state(1000);
    let app = zipkin_router(s.clone());
    let (status, _, _) = post(
        &app,
        "/api/v2/spans",
        &[JSON],
        vec![b' '; ZIPKIN_BODY_BYTES + 1],
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    // Small on the wire, over the limit inflated.
    let bomb = gzip(&vec![b' '; ZIPKIN_BODY_BYTES + 1]);
    assert!(bomb.len() < ZIPKIN_BODY_BYTES / 100);
    let (status, _, body) = post(
        &app,
        "/api/v2/spans",
        &[JSON, ("content-encoding", "gzip")],
        bomb,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        body,
        format!("request body decompresses to more than {ZIPKIN_BODY_BYTES} bytes\n")
    );
    assert_eq!(s.counters.body_too_large()[4].get(), 2);
    // Exactly at the limit is fine (whitespace around an empty array).
    let mut at_limit = vec![b' '; ZIPKIN_BODY_BYTES];
    at_limit[0] = b'[';
    at_limit[ZIPKIN_BODY_BYTES - 1] = b']';
    let (status, _, _) = post(
        &app,
        "/api/v2/spans",
        &[JSON, ("content-encoding", "gzip")],
        gzip(&at_limit),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
}
