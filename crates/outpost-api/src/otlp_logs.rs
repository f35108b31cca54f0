//! OTLP log receivers: OTLP/HTTP `POST /v1/logs` (protobuf or JSON, optionally gzip, 20 MiB
//! after decompression) on the otlp-http listener and OTLP/gRPC `LogsService/Export` (4 MiB
//! messages, RESOURCE_EXHAUSTED above) on the otlp-grpc listener, into the log store's daily
//! `otel-logs-YYYY.MM.dd` indices (mapping in `outpost_logs::otlp`). Records the store refuses
//! come back as partial success (`rejected_log_records`). Counted in
//! `outpost_otlp_logs_requests_total{protocol,result}` and
//! `outpost_otlp_log_records_{received,rejected}_total{protocol}`.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use outpost_logs::{LogStore, Refresh};
use outpost_otlp::ExportRequest;
use outpost_otlp::proto::collector::logs::v1::logs_service_server::{
    LogsService, LogsServiceServer,
};
use outpost_otlp::proto::collector::logs::v1::{
    ExportLogsServiceRequest, ExportLogsServiceResponse,
};
use tonic::codec::CompressionEncoding;

use crate::body::{OTLP_GRPC_MESSAGE_BYTES, TooLargeCounter, without_default_limit};
use crate::grpc_limit::{resource_exhausted_over_limit, service_router};
use crate::otlp::read_export;

/// The two transports, as metric label values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Http,
    Grpc,
}

impl Protocol {
    const ALL: [Protocol; 2] = [Protocol::Http, Protocol::Grpc];

    fn label(self) -> &'static str {
        match self {
            Protocol::Http => "otlp_http",
            Protocol::Grpc => "otlp_grpc",
        }
    }
}

/// Counters of the OTLP log receivers.
#[derive(Debug)]
pub struct OtlpLogCounters {
    ok: [AtomicU64; 2],
    refused: [AtomicU64; 2],
    received: [AtomicU64; 2],
    rejected: [AtomicU64; 2],
    http_too_large: TooLargeCounter,
    grpc_too_large: TooLargeCounter,
}

impl Default for OtlpLogCounters {
    fn default() -> Self {
        OtlpLogCounters {
            ok: Default::default(),
            refused: Default::default(),
            received: Default::default(),
            rejected: Default::default(),
            http_too_large: TooLargeCounter::new("otlp_logs_http"),
            grpc_too_large: TooLargeCounter::new("otlp_logs_grpc"),
        }
    }
}

impl OtlpLogCounters {
    fn accepted(&self, p: Protocol, received: u64, rejected: u64) {
        let i = p as usize;
        self.ok[i].fetch_add(1, Ordering::Relaxed);
        self.received[i].fetch_add(received, Ordering::Relaxed);
        self.rejected[i].fetch_add(rejected, Ordering::Relaxed);
    }

    fn refused(&self, p: Protocol) {
        self.refused[p as usize].fetch_add(1, Ordering::Relaxed);
    }

    /// `outpost_http_request_body_too_large_total{family}` of the two receivers.
    pub fn body_too_large(&self) -> [&TooLargeCounter; 2] {
        [&self.http_too_large, &self.grpc_too_large]
    }

    /// Renders the `outpost_otlp_log*` families.
    pub fn render(&self, w: &mut String) {
        let _ = writeln!(
            w,
            "# HELP outpost_otlp_logs_requests_total OTLP log export requests, by protocol and result."
        );
        let _ = writeln!(w, "# TYPE outpost_otlp_logs_requests_total counter");
        for p in Protocol::ALL {
            for (result, a) in [("success", &self.ok), ("rejected", &self.refused)] {
                let _ = writeln!(
                    w,
                    "outpost_otlp_logs_requests_total{{protocol=\"{}\",result=\"{result}\"}} {}",
                    p.label(),
                    a[p as usize].load(Ordering::Relaxed)
                );
            }
        }
        for (name, help, a) in [
            (
                "outpost_otlp_log_records_received_total",
                "Log records written to the log store.",
                &self.received,
            ),
            (
                "outpost_otlp_log_records_rejected_total",
                "Log records refused (partial success).",
                &self.rejected,
            ),
        ] {
            let _ = writeln!(w, "# HELP {name} {help}");
            let _ = writeln!(w, "# TYPE {name} counter");
            for p in Protocol::ALL {
                let _ = writeln!(
                    w,
                    "{name}{{protocol=\"{}\"}} {}",
                    p.label(),
                    a[p as usize].load(Ordering::Relaxed)
                );
            }
        }
    }
}

/// What the OTLP log receivers reach.
#[derive(Clone)]
pub struct OtlpLogsState {
    /// The log store.
    pub store: Arc<LogStore>,
    /// The receivers' counters.
    pub counters: Arc<OtlpLogCounters>,
}

fn ingest(
    s: &OtlpLogsState,
    req: ExportLogsServiceRequest,
    p: Protocol,
) -> ExportLogsServiceResponse {
    let out = s.store.write_otlp_logs(&req, Refresh::False);
    s.counters.accepted(p, out.accepted, out.rejected);
    let message = (out.rejected > 0).then(|| {
        format!(
            "{} log records refused by the log store; first: {}",
            out.rejected,
            out.first_error.as_deref().unwrap_or("unknown")
        )
    });
    ExportLogsServiceRequest::response(out.rejected, message.as_deref())
}

async fn export(State(s): State<OtlpLogsState>, headers: HeaderMap, body: Body) -> Response {
    let (req, encoding) = match read_export::<ExportLogsServiceRequest>(&headers, body).await {
        Ok(r) => r,
        Err(r) => {
            if r.status == 413 {
                s.counters.http_too_large.inc();
            } else {
                s.counters.refused(Protocol::Http);
            }
            return r.into_response();
        }
    };
    let store = s.clone();
    let resp = match tokio::task::spawn_blocking(move || ingest(&store, req, Protocol::Http)).await
    {
        Ok(r) => r,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, encoding.content_type())],
        outpost_otlp::encode_response(&resp, encoding),
    )
        .into_response()
}

/// `POST /v1/logs` (the otlp-http listener).
pub fn otlp_http_router(state: OtlpLogsState) -> Router {
    without_default_limit(Router::new().route("/v1/logs", post(export))).with_state(state)
}

struct Logs(OtlpLogsState);

#[tonic::async_trait]
impl LogsService for Logs {
    async fn export(
        &self,
        req: tonic::Request<ExportLogsServiceRequest>,
    ) -> Result<tonic::Response<ExportLogsServiceResponse>, tonic::Status> {
        let s = self.0.clone();
        let req = req.into_inner();
        tokio::task::spawn_blocking(move || ingest(&s, req, Protocol::Grpc))
            .await
            .map(tonic::Response::new)
            .map_err(|_| tonic::Status::internal("log ingest task failed"))
    }
}

/// `opentelemetry.proto.collector.logs.v1.LogsService/Export` (the otlp-grpc listener).
pub fn otlp_grpc_router(state: OtlpLogsState) -> Router {
    let counters = state.counters.clone();
    let svc = LogsServiceServer::new(Logs(state))
        .accept_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(OTLP_GRPC_MESSAGE_BYTES);
    resource_exhausted_over_limit(service_router(svc), move || counters.grpc_too_large.inc())
}

#[cfg(test)]
mod tests {
    use axum::body::to_bytes;
    use axum::http::Request;
    use outpost_clock::Clock;
    use outpost_logs::{SearchOptions, StoreOptions};
    use prost::Message;
    use serde_json::json;
    use tower::ServiceExt;

    use super::*;

    fn state() -> OtlpLogsState {
        OtlpLogsState {
            store: Arc::new(LogStore::new(
                StoreOptions::default(),
                Clock::manual(1_796_601_600_000),
            )),
            counters: Arc::default(),
        }
    }

    const JSON_BODY: &str = r#"{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"orders"}}]},
      "scopeLogs":[{"logRecords":[
        {"timeUnixNano":"1796601600500000000","severityNumber":9,"body":{"stringValue":"order created"},
         "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174"},
        {"timeUnixNano":"1796601601500000000","severityText":"ERROR","body":{"stringValue":"payment failed"}}]}]}]}"#;

    async fn post(s: &OtlpLogsState, ct: &str, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
        let resp = otlp_http_router(s.clone())
            .oneshot(
                Request::post("/v1/logs")
                    .header("content-type", ct)
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = resp.status();
        (
            status,
            to_bytes(resp.into_body(), 1 << 20).await.unwrap().to_vec(),
        )
    }

    #[tokio::test]
    async fn otlp_json_records_are_searchable_by_trace_id() {
        let s = state();
        let (status, _) = post(&s, "application/json", JSON_BODY.as_bytes().to_vec()).await;
        assert_eq!(status, StatusCode::OK);
        s.store.refresh("otel-logs-*").unwrap();
        let res = s
            .store
            .search(
                "otel-logs-*",
                &json!({"query": {"term": {"trace_id": "5b8efff798038103d269b633813fc60c"}}}),
                SearchOptions::default(),
            )
            .unwrap();
        assert_eq!(res["hits"]["total"]["value"], 1);
        let src = &res["hits"]["hits"][0]["_source"];
        assert_eq!(src["message"], "order created");
        assert_eq!(src["level"], "INFO");
        assert_eq!(src["service.name"], "orders");
        let mut out = String::new();
        s.counters.render(&mut out);
        assert!(
            out.contains("outpost_otlp_log_records_received_total{protocol=\"otlp_http\"} 2\n")
        );
    }

    #[tokio::test]
    async fn protobuf_with_a_refused_record_answers_partial_success() {
        let s = state();
        let req: ExportLogsServiceRequest = serde_json::from_str(
            r#"{"resourceLogs":[{"scopeLogs":[{"logRecords":[
              {"timeUnixNano":"1796601600500000000","attributes":[{"key":"order.id","value":{"intValue":"7"}}]},
              {"timeUnixNano":"1796601600600000000","attributes":[{"key":"order","value":{"stringValue":"x"}}]}]}]}]}"#,
        )
        .unwrap();
        let (status, body) = post(&s, "application/x-protobuf", req.encode_to_vec()).await;
        assert_eq!(status, StatusCode::OK);
        let resp = ExportLogsServiceResponse::decode(body.as_slice()).unwrap();
        let partial = resp.partial_success.unwrap();
        assert_eq!(partial.rejected_log_records, 1);
        assert!(
            partial.error_message.contains("refused"),
            "{}",
            partial.error_message
        );
    }

    #[tokio::test]
    async fn a_bad_body_is_refused_with_400_and_counted() {
        let s = state();
        let (status, _) = post(&s, "application/x-protobuf", vec![0xff, 0xff, 0xff]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let mut out = String::new();
        s.counters.render(&mut out);
        assert!(out.contains(
            "outpost_otlp_logs_requests_total{protocol=\"otlp_http\",result=\"rejected\"} 1\n"
        ));
    }
}
