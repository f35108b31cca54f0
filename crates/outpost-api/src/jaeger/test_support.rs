//! Test helpers of the span receivers: a state over an empty store and a
//! request sender through `oneshot`.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use outpost_clock::Clock;
use outpost_traces::{StoreOptions, TraceIngest, TraceStore};
use tower::ServiceExt;

use super::JaegerState;

/// A state over an empty store holding at most `max_spans` spans.
pub(crate) fn state(max_spans: usize) -> JaegerState {
    JaegerState {
        clock: Clock::manual(0),
        ingest: TraceIngest::new(Arc::new(TraceStore::new(StoreOptions { max_spans }))),
        counters: Default::default(),
    }
}

/// POSTs `body` with `headers` through `r`: status, headers, body.
pub(crate) async fn post(
    r: &Router,
    uri: &str,
    headers: &[(&str, &str)],
    body: impl Into<Body>,
) -> (StatusCode, HeaderMap, Bytes) {
    let mut req = Request::builder().method("POST").uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = r
        .clone()
        .oneshot(req.body(body.into()).unwrap())
        .await
        .unwrap();
    let (parts, body) = resp.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (parts.status, parts.headers, bytes)
}

/// Serves `app` on a loopback port; the `http://` address.
pub(crate) async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// One span of a test Thrift batch.
pub(crate) struct ThriftSpan<'a> {
    pub(crate) trace_high: i64,
    pub(crate) trace_low: i64,
    pub(crate) span_id: i64,
    pub(crate) parent_span_id: i64,
    pub(crate) operation: &'a str,
    pub(crate) start_us: i64,
    pub(crate) duration_us: i64,
}

/// A Jaeger Thrift `Batch` in TBinaryProtocol (IDL: fact sheet §2.2):
/// process `service` with a string tag `k=v` on each span.
pub(crate) fn thrift_batch(service: &str, spans: &[ThriftSpan<'_>]) -> Vec<u8> {
    const I32: u8 = 8;
    const I64: u8 = 10;
    const STRING: u8 = 11;
    const STRUCT: u8 = 12;
    const LIST: u8 = 15;
    let mut w = Vec::new();
    let field = |w: &mut Vec<u8>, t: u8, id: i16| {
        w.push(t);
        w.extend_from_slice(&id.to_be_bytes());
    };
    let string = |w: &mut Vec<u8>, s: &str| {
        w.extend_from_slice(&(s.len() as i32).to_be_bytes());
        w.extend_from_slice(s.as_bytes());
    };
    let list = |w: &mut Vec<u8>, t: u8, n: usize| {
        w.push(t);
        w.extend_from_slice(&(n as i32).to_be_bytes());
    };
    field(&mut w, STRUCT, 1);
    field(&mut w, STRING, 1);
    string(&mut w, service);
    w.push(0);
    field(&mut w, LIST, 2);
    list(&mut w, STRUCT, spans.len());
    for s in spans {
        for (id, v) in [
            (1, s.trace_low),
            (2, s.trace_high),
            (3, s.span_id),
            (4, s.parent_span_id),
        ] {
            field(&mut w, I64, id);
            w.extend_from_slice(&v.to_be_bytes());
        }
        field(&mut w, STRING, 5);
        string(&mut w, s.operation);
        field(&mut w, I64, 8);
        w.extend_from_slice(&s.start_us.to_be_bytes());
        field(&mut w, I64, 9);
        w.extend_from_slice(&s.duration_us.to_be_bytes());
        field(&mut w, LIST, 10);
        list(&mut w, STRUCT, 1);
        field(&mut w, STRING, 1);
        string(&mut w, "k");
        field(&mut w, I32, 2);
        w.extend_from_slice(&0i32.to_be_bytes());
        field(&mut w, STRING, 3);
        string(&mut w, "v");
        w.push(0);
        w.push(0);
    }
    w.push(0);
    w
}
