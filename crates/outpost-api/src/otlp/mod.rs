//! The OTLP metrics receivers: OTLP/HTTP (`POST /v1/metrics`, protobuf or
//! JSON, optionally gzip) on the otlp-http listener and at Prometheus' path
//! `/api/v1/otlp/v1/metrics`, and OTLP/gRPC `MetricsService/Export` on the
//! otlp-grpc listener. Bodies are decoded by `outpost-otlp` with the
//! specification's status codes (415 unsupported content type or encoding,
//! 400 undecodable, 413 above 20 MiB after decompression; gRPC messages above
//! 4 MiB get RESOURCE_EXHAUSTED), then translated by `outpost-ingest`.
//! Rejected data points come back as OTLP partial success.

mod grpc;

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use outpost_ingest::{OtlpOptions, OtlpWriteStats, write_otlp_metrics};
use outpost_otlp::proto::collector::metrics::v1::ExportMetricsServiceRequest;
use outpost_otlp::{Compression, Encoding, ExportRequest, MAX_DECOMPRESSED_BYTES, status_body};

use std::sync::Arc;

use outpost_clock::Clock;
use outpost_tsdb::Tsdb;

use crate::body::{
    BodyError, OTLP_HTTP_BODY_BYTES, TooLargeCounter, read_body, without_default_limit,
};

pub use grpc::grpc_router;

/// What the OTLP receivers reach.
#[derive(Clone)]
pub struct OtlpState {
    /// The process clock (the time of points without one).
    pub clock: Clock,
    /// The metrics store.
    pub tsdb: Arc<Tsdb>,
    /// Counts of the receivers.
    pub otlp: Arc<OtlpCounters>,
}

/// gRPC status codes used in `google.rpc.Status` bodies.
pub(crate) const INVALID_ARGUMENT: i32 = 3;
pub(crate) const RESOURCE_EXHAUSTED: i32 = 8;

/// Counters of the OTLP metrics receivers.
#[derive(Debug)]
pub struct OtlpCounters {
    requests_ok: AtomicU64,
    requests_rejected: AtomicU64,
    samples_written: AtomicU64,
    data_points_rejected: AtomicU64,
    http_too_large: TooLargeCounter,
    grpc_too_large: TooLargeCounter,
}

impl Default for OtlpCounters {
    fn default() -> Self {
        Self {
            requests_ok: AtomicU64::new(0),
            requests_rejected: AtomicU64::new(0),
            samples_written: AtomicU64::new(0),
            data_points_rejected: AtomicU64::new(0),
            http_too_large: TooLargeCounter::new("otlp_http"),
            grpc_too_large: TooLargeCounter::new("otlp_grpc"),
        }
    }
}

impl OtlpCounters {
    pub(crate) fn record(&self, st: &OtlpWriteStats) {
        self.requests_ok.fetch_add(1, Ordering::Relaxed);
        self.samples_written
            .fetch_add(st.samples_written, Ordering::Relaxed);
        self.data_points_rejected
            .fetch_add(st.rejected_data_points, Ordering::Relaxed);
    }

    pub(crate) fn reject(&self) {
        self.requests_rejected.fetch_add(1, Ordering::Relaxed);
    }

    /// Requests refused for their size, for
    /// `outpost_http_request_body_too_large_total{family="otlp_http"|"otlp_grpc"}`.
    pub fn body_too_large(&self) -> [&TooLargeCounter; 2] {
        [&self.http_too_large, &self.grpc_too_large]
    }

    /// Renders `outpost_otlp_*` families.
    pub fn render(&self, w: &mut String) {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let _ = writeln!(
            w,
            "# HELP outpost_otlp_metrics_requests_total OTLP metrics export requests, by result."
        );
        let _ = writeln!(w, "# TYPE outpost_otlp_metrics_requests_total counter");
        let _ = writeln!(
            w,
            "outpost_otlp_metrics_requests_total{{result=\"success\"}} {}",
            l(&self.requests_ok)
        );
        let _ = writeln!(
            w,
            "outpost_otlp_metrics_requests_total{{result=\"rejected\"}} {}",
            l(&self.requests_rejected)
        );
        let _ = writeln!(
            w,
            "# HELP outpost_otlp_samples_written_total Samples stored from OTLP metrics."
        );
        let _ = writeln!(w, "# TYPE outpost_otlp_samples_written_total counter");
        let _ = writeln!(
            w,
            "outpost_otlp_samples_written_total {}",
            l(&self.samples_written)
        );
        let _ = writeln!(
            w,
            "# HELP outpost_otlp_data_points_rejected_total OTLP data points rejected (reported as partial success)."
        );
        let _ = writeln!(w, "# TYPE outpost_otlp_data_points_rejected_total counter");
        let _ = writeln!(
            w,
            "outpost_otlp_data_points_rejected_total {}",
            l(&self.data_points_rejected)
        );
    }
}

/// An OTLP/HTTP request refused before it reached a store.
pub(crate) struct Refusal {
    /// 415, 400 or 413.
    pub(crate) status: u16,
    /// The request's encoding, when known.
    encoding: Option<Encoding>,
    message: String,
}

impl IntoResponse for Refusal {
    /// Plain text for an unsupported content type (its encoding is unknown),
    /// otherwise a `google.rpc.Status` in the request's encoding
    /// (RESOURCE_EXHAUSTED for 413, INVALID_ARGUMENT otherwise).
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        match self.encoding {
            None => (code, format!("{}\n", self.message)).into_response(),
            Some(e) => {
                let grpc = if self.status == 413 {
                    RESOURCE_EXHAUSTED
                } else {
                    INVALID_ARGUMENT
                };
                (
                    code,
                    [(header::CONTENT_TYPE, e.content_type())],
                    status_body(e, grpc, &self.message),
                )
                    .into_response()
            }
        }
    }
}

/// Reads and decodes one OTLP/HTTP export request of any signal: content
/// type and encoding, the body within `OTLP_HTTP_BODY_BYTES`, decompression
/// within `MAX_DECOMPRESSED_BYTES`, protobuf or JSON.
pub(crate) async fn read_export<R: ExportRequest>(
    headers: &HeaderMap,
    body: Body,
) -> Result<(R, Encoding), Refusal> {
    let h = |n: header::HeaderName| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    let refusal = |status: u16, encoding: Option<Encoding>, message: String| Refusal {
        status,
        encoding,
        message,
    };
    let encoding = Encoding::parse(h(header::CONTENT_TYPE))
        .map_err(|e| refusal(e.http_status(), None, e.to_string()))?;
    let compression = Compression::parse(h(header::CONTENT_ENCODING))
        .map_err(|e| refusal(e.http_status(), None, e.to_string()))?;
    let body = read_body(headers, body, OTLP_HTTP_BODY_BYTES)
        .await
        .map_err(|e| {
            let status = if matches!(e, BodyError::TooLarge { .. }) {
                413
            } else {
                400
            };
            refusal(status, Some(encoding), e.to_string())
        })?;
    let req = outpost_otlp::decode::<R>(&body, encoding, compression, MAX_DECOMPRESSED_BYTES)
        .map_err(|e| refusal(e.http_status(), Some(encoding), e.to_string()))?;
    Ok((req, encoding))
}

async fn export(State(s): State<OtlpState>, headers: HeaderMap, body: Body) -> Response {
    let (req, encoding) = match read_export::<ExportMetricsServiceRequest>(&headers, body).await {
        Ok(r) => r,
        Err(r) => {
            s.otlp.reject();
            if r.status == 413 {
                s.otlp.http_too_large.inc();
            }
            return r.into_response();
        }
    };
    let st = write_otlp_metrics(&s.tsdb, &req, &OtlpOptions::default(), s.clock.now_ms());
    s.otlp.record(&st);
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, encoding.content_type())],
        st.encode_response(encoding),
    )
        .into_response()
}

/// `POST /v1/metrics` (the otlp-http listener).
pub fn http_router(state: OtlpState) -> Router {
    without_default_limit(Router::new().route("/v1/metrics", post(export))).with_state(state)
}

/// `POST /api/v1/otlp/v1/metrics` (Prometheus' OTLP receiver path).
pub fn prometheus_router(state: OtlpState) -> Router {
    without_default_limit(Router::new().route("/api/v1/otlp/v1/metrics", post(export)))
        .with_state(state)
}
