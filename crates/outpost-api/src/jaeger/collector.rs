//! Jaeger's collector inputs: Thrift over HTTP (`POST /api/traces`, one
//! `Batch` in TBinaryProtocol; 202 empty on success, Jaeger's 400 texts
//! otherwise) on the jaeger-collector HTTP listener (14268), and gRPC
//! `jaeger.api_v2.CollectorService/PostSpans` (14250, 4 MiB messages,
//! Jaeger's `DefaultGRPCMaxReceiveMessageLength`; above it
//! RESOURCE_EXHAUSTED).
//!
//! The Thrift body limit is 20 MiB, received and after decompression
//! (`Content-Encoding` gzip, deflate or zlib): Jaeger v2's collector
//! receivers are OpenTelemetry Collector HTTP servers, whose default
//! `max_request_body_size` is 20 MiB and which decompress request bodies.
//! Larger bodies get 413.

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use outpost_traces::jaeger_proto::collector_service_server::{
    CollectorService, CollectorServiceServer,
};
use outpost_traces::jaeger_proto::{PostSpansRequest, PostSpansResponse};
use tonic::codec::CompressionEncoding;

use super::JaegerState;
use super::counters::Receiver;
use super::zipkin::{Inflate, inflate};
use crate::body::{BodyError, OTLP_GRPC_MESSAGE_BYTES, read_body, without_default_limit};
use crate::grpc_limit::{resource_exhausted_over_limit, service_router};

/// Largest Thrift body accepted (the Collector's HTTP default).
pub(super) const COLLECTOR_HTTP_BODY_BYTES: usize = 20 << 20;

/// A plain-text error as Go's `http.Error` writes it.
pub(super) fn text_error(code: StatusCode, msg: &str) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{msg}\n"),
    )
        .into_response()
}

/// The media type of a `Content-Type` value (parameters dropped,
/// lowercased), or Go's `mime.ParseMediaType` error text.
fn media_type(ct: &str) -> Result<String, &'static str> {
    let media = ct.split(';').next().unwrap_or("").trim();
    if media.is_empty() {
        return Err("mime: no media type");
    }
    let (ty, sub) = media
        .split_once('/')
        .ok_or("mime: expected slash after first token")?;
    if ty.is_empty() || sub.is_empty() || sub.contains('/') {
        return Err("mime: expected token after slash");
    }
    Ok(media.to_ascii_lowercase())
}

async fn post_thrift(State(s): State<JaegerState>, headers: HeaderMap, body: Body) -> Response {
    let r = Receiver::JaegerThrift;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match media_type(ct) {
        Err(e) => {
            s.counters.refused(r);
            return text_error(
                StatusCode::BAD_REQUEST,
                &format!("Cannot parse content type: {e}"),
            );
        }
        Ok(m) if m == "application/x-thrift" || m == "application/vnd.apache.thrift.binary" => {}
        Ok(m) => {
            s.counters.refused(r);
            return text_error(
                StatusCode::BAD_REQUEST,
                &format!("Unsupported content type: {m}"),
            );
        }
    }
    let body = match read_body(&headers, body, COLLECTOR_HTTP_BODY_BYTES).await {
        Ok(b) => b,
        Err(e @ BodyError::TooLarge { .. }) => {
            s.counters.too_large(r);
            return text_error(StatusCode::PAYLOAD_TOO_LARGE, &e.to_string());
        }
        Err(e) => {
            s.counters.refused(r);
            return text_error(
                StatusCode::BAD_REQUEST,
                &format!("Unable to process request body: {e}"),
            );
        }
    };
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let inflated = match inflate(&body, encoding, COLLECTOR_HTTP_BODY_BYTES) {
        Ok(b) => b,
        Err(Inflate::TooLarge) => {
            s.counters.too_large(r);
            return text_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!(
                    "request body decompresses to more than {COLLECTOR_HTTP_BODY_BYTES} bytes"
                ),
            );
        }
        Err(Inflate::Bad(msg)) => {
            s.counters.refused(r);
            return text_error(
                StatusCode::BAD_REQUEST,
                &format!("Unable to process request body: {msg}"),
            );
        }
    };
    match outpost_traces::translate::from_thrift(inflated.as_deref().unwrap_or(&body)) {
        Ok(spans) => {
            let st = s.ingest.write(spans);
            s.counters.accepted(r, st.spans_written, st.spans_rejected);
            StatusCode::ACCEPTED.into_response()
        }
        Err(e) => {
            s.counters.refused(r);
            text_error(
                StatusCode::BAD_REQUEST,
                &format!("Unable to process request body: {e}"),
            )
        }
    }
}

/// `POST /api/traces` (Thrift over HTTP, the jaeger-collector HTTP listener).
pub fn collector_http_router(state: JaegerState) -> Router {
    without_default_limit(Router::new().route("/api/traces", post(post_thrift))).with_state(state)
}

struct Collector(JaegerState);

#[tonic::async_trait]
impl CollectorService for Collector {
    async fn post_spans(
        &self,
        req: tonic::Request<PostSpansRequest>,
    ) -> Result<tonic::Response<PostSpansResponse>, tonic::Status> {
        let s = &self.0;
        match outpost_traces::translate::from_jaeger_proto(req.into_inner()) {
            Ok(spans) => {
                let st = s.ingest.write(spans);
                s.counters
                    .accepted(Receiver::JaegerGrpc, st.spans_written, st.spans_rejected);
                Ok(tonic::Response::new(PostSpansResponse {}))
            }
            Err(e) => {
                s.counters.refused(Receiver::JaegerGrpc);
                Err(tonic::Status::invalid_argument(e.to_string()))
            }
        }
    }
}

/// `jaeger.api_v2.CollectorService/PostSpans` (the jaeger-collector gRPC
/// listener), as an axum router.
pub fn collector_grpc_router(state: JaegerState) -> Router {
    let counters = state.counters.clone();
    let svc = CollectorServiceServer::new(Collector(state))
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(OTLP_GRPC_MESSAGE_BYTES);
    resource_exhausted_over_limit(service_router(svc), move || {
        counters.too_large(Receiver::JaegerGrpc)
    })
}

#[cfg(test)]
#[path = "collector_tests.rs"]
mod tests;
