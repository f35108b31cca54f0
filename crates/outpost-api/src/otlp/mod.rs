//! The OTLP metrics receivers: OTLP/HTTP (`POST /v1/metrics`, protobuf or
//! JSON, optionally gzip) on the otlp-http listener and at Prometheus' path
//! `/api/v1/otlp/v1/metrics`, and OTLP/gRPC `MetricsService/Export` on the
//! otlp-grpc listener. Rejected data points come back as OTLP partial success.

mod grpc;

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use outpost_ingest::{
    OtlpEncoding, OtlpOptions, OtlpWriteStats, decode_otlp_metrics, write_otlp_metrics,
};

use std::sync::Arc;

use outpost_clock::Clock;
use outpost_tsdb::Tsdb;

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

/// Counters of the OTLP metrics receivers.
#[derive(Debug, Default)]
pub struct OtlpCounters {
    requests_ok: AtomicU64,
    requests_rejected: AtomicU64,
    samples_written: AtomicU64,
    data_points_rejected: AtomicU64,
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

/// A google.rpc.Status body (code 3, INVALID_ARGUMENT) in the request's encoding.
fn status_body(encoding: OtlpEncoding, message: &str) -> Vec<u8> {
    match encoding {
        OtlpEncoding::Json => serde_json::json!({"code": 3, "message": message})
            .to_string()
            .into_bytes(),
        OtlpEncoding::Protobuf => {
            let mut out = vec![0x08, 3, 0x12];
            let mut len = message.len();
            loop {
                let b = (len & 0x7f) as u8;
                len >>= 7;
                out.push(if len > 0 { b | 0x80 } else { b });
                if len == 0 {
                    break;
                }
            }
            out.extend_from_slice(message.as_bytes());
            out
        }
    }
}

async fn export(State(s): State<OtlpState>, headers: HeaderMap, body: Bytes) -> Response {
    let h = |n: header::HeaderName| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let ct = h(header::CONTENT_TYPE);
    let Some(encoding) = OtlpEncoding::from_content_type(&ct) else {
        s.otlp.reject();
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "unsupported content type {ct:?}: use application/x-protobuf or application/json\n"
            ),
        )
            .into_response();
    };
    let gzip = match h(header::CONTENT_ENCODING).as_str() {
        "" | "identity" => false,
        "gzip" => true,
        other => {
            s.otlp.reject();
            return (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("unsupported content encoding {other:?}\n"),
            )
                .into_response();
        }
    };
    let req = match decode_otlp_metrics(&body, encoding, gzip) {
        Ok(r) => r,
        Err(e) => {
            s.otlp.reject();
            let msg = e.to_string();
            return (
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, encoding.content_type())],
                status_body(encoding, &msg),
            )
                .into_response();
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
    Router::new()
        .route("/v1/metrics", post(export))
        .with_state(state)
}

/// `POST /api/v1/otlp/v1/metrics` (Prometheus' OTLP receiver path).
pub fn prometheus_router(state: OtlpState) -> Router {
    Router::new()
        .route("/api/v1/otlp/v1/metrics", post(export))
        .with_state(state)
}
