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
use outpost_otlp::ExportRequest;
use outpost_otlp::proto::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use outpost_otlp::proto::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tonic::codec::CompressionEncoding;

use super::JaegerState;
use super::counters::Receiver;
use crate::body::{OTLP_GRPC_MESSAGE_BYTES, without_default_limit};
use crate::grpc_limit::{resource_exhausted_over_limit, service_router};
use crate::otlp::read_export;

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

async fn export(State(s): State<JaegerState>, headers: HeaderMap, body: Body) -> Response {
    let (req, encoding) = match read_export::<ExportTraceServiceRequest>(&headers, body).await {
        Ok(r) => r,
        Err(r) => {
            if r.status == 413 {
                s.counters.too_large(Receiver::OtlpHttp);
            } else {
                s.counters.refused(Receiver::OtlpHttp);
            }
            return r.into_response();
        }
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
    resource_exhausted_over_limit(service_router(svc), move || {
        counters.too_large(Receiver::OtlpGrpc)
    })
}

#[cfg(test)]
#[path = "otlp_traces_tests.rs"]
mod tests;
