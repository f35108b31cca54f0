//! OTLP trace receivers: OTLP/HTTP `POST /v1/traces` (protobuf or JSON,
//! optionally gzip, 20 MiB after decompression) on the otlp-http listener
//! and OTLP/gRPC `TraceService/Export` (4 MiB messages) on the otlp-grpc
//! listener. Bodies are decoded by `outpost-otlp` with the specification's
//! status codes (415, 400, 413 / RESOURCE_EXHAUSTED), as the metrics
//! receiver does; spans with invalid ids come back as partial success
//! (`rejected_spans`), the rest are written.

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use outpost_otlp::proto::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use outpost_otlp::proto::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use outpost_otlp::{Compression, Encoding, ExportRequest, MAX_DECOMPRESSED_BYTES, status_body};
use tonic::codec::CompressionEncoding;

use super::JaegerState;
use super::counters::Receiver;
use super::grpc_limit::{resource_exhausted_over_limit, service_router};
use crate::body::{
    BodyError, OTLP_GRPC_MESSAGE_BYTES, OTLP_HTTP_BODY_BYTES, read_body, without_default_limit,
};

/// gRPC status codes used in `google.rpc.Status` bodies.
const INVALID_ARGUMENT: i32 = 3;
const RESOURCE_EXHAUSTED: i32 = 8;

/// Translates and writes a request; the Export response (partial success
/// when spans were rejected).
fn ingest(
    s: &JaegerState,
    req: ExportTraceServiceRequest,
    r: Receiver,
) -> ExportTraceServiceResponse {
    let (spans, rejected) = outpost_traces::translate::from_otlp(req);
    let st = s.ingest.write(spans);
    let count = rejected.count.saturating_add(st.spans_rejected);
    s.counters.accepted(r, st.spans_written, count);
    let message = if rejected.count > 0 {
        Some(rejected.message)
    } else if st.spans_rejected > 0 {
        Some(format!(
            "{} spans exceed the trace store's capacity",
            st.spans_rejected
        ))
    } else {
        None
    };
    ExportTraceServiceRequest::response(count, message.as_deref())
}

/// A refused request: plain text for an unsupported content type (its
/// encoding is unknown), otherwise a `google.rpc.Status` in the request's
/// encoding (RESOURCE_EXHAUSTED for 413, INVALID_ARGUMENT otherwise).
fn refuse(s: &JaegerState, status: u16, encoding: Option<Encoding>, msg: &str) -> Response {
    if status == 413 {
        s.counters.too_large(Receiver::OtlpHttp);
    } else {
        s.counters.refused(Receiver::OtlpHttp);
    }
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    match encoding {
        None => (code, format!("{msg}\n")).into_response(),
        Some(e) => {
            let grpc = if status == 413 {
                RESOURCE_EXHAUSTED
            } else {
                INVALID_ARGUMENT
            };
            (
                code,
                [(header::CONTENT_TYPE, e.content_type())],
                status_body(e, grpc, msg),
            )
                .into_response()
        }
    }
}

async fn export(State(s): State<JaegerState>, headers: HeaderMap, body: Body) -> Response {
    let h = |n: header::HeaderName| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    let encoding = match Encoding::parse(h(header::CONTENT_TYPE)) {
        Ok(e) => e,
        Err(e) => return refuse(&s, e.http_status(), None, &e.to_string()),
    };
    let compression = match Compression::parse(h(header::CONTENT_ENCODING)) {
        Ok(c) => c,
        Err(e) => return refuse(&s, e.http_status(), None, &e.to_string()),
    };
    let body = match read_body(&headers, body, OTLP_HTTP_BODY_BYTES).await {
        Ok(b) => b,
        Err(e @ BodyError::TooLarge { .. }) => {
            return refuse(&s, 413, Some(encoding), &e.to_string());
        }
        Err(e) => return refuse(&s, 400, Some(encoding), &e.to_string()),
    };
    let req = match outpost_otlp::decode::<ExportTraceServiceRequest>(
        &body,
        encoding,
        compression,
        MAX_DECOMPRESSED_BYTES,
    ) {
        Ok(r) => r,
        Err(e) => return refuse(&s, e.http_status(), Some(encoding), &e.to_string()),
    };
    let resp = ingest(&s, req, Receiver::OtlpHttp);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, encoding.content_type())],
        outpost_otlp::encode_response(&resp, encoding),
    )
        .into_response()
}

/// `POST /v1/traces` (the otlp-http listener).
pub fn otlp_http_router(state: JaegerState) -> Router {
    without_default_limit(Router::new().route("/v1/traces", post(export))).with_state(state)
}

struct Traces(JaegerState);

#[tonic::async_trait]
impl TraceService for Traces {
    async fn export(
        &self,
        req: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        Ok(tonic::Response::new(ingest(
            &self.0,
            req.into_inner(),
            Receiver::OtlpGrpc,
        )))
    }
}

/// `opentelemetry.proto.collector.trace.v1.TraceService/Export` (the
/// otlp-grpc listener), as an axum router.
pub fn otlp_grpc_router(state: JaegerState) -> Router {
    let counters = state.counters.clone();
    let svc = TraceServiceServer::new(Traces(state))
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(OTLP_GRPC_MESSAGE_BYTES);
    resource_exhausted_over_limit(service_router(svc), counters, Receiver::OtlpGrpc)
}

#[cfg(test)]
#[path = "otlp_traces_tests.rs"]
mod tests;
