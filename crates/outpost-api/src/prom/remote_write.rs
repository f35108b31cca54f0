//! `POST /api/v1/write`: Prometheus remote write 1.0 (snappy block +
//! protobuf), with Prometheus 3's header checks and status codes.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::PromState;

/// Largest compressed body accepted.
const MAX_BODY_BYTES: usize = 32 << 20;

/// Counters of the remote-write receiver.
#[derive(Debug, Default)]
pub struct RemoteWriteCounters {
    requests_ok: AtomicU64,
    requests_rejected: AtomicU64,
    samples_written: AtomicU64,
    samples_rejected: AtomicU64,
    invalid_series: AtomicU64,
    histograms_dropped: AtomicU64,
}

impl RemoteWriteCounters {
    /// Renders `outpost_remote_write_*` families.
    pub fn render(&self, w: &mut String) {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let _ = writeln!(
            w,
            "# HELP outpost_remote_write_requests_total Remote-write requests, by result."
        );
        let _ = writeln!(w, "# TYPE outpost_remote_write_requests_total counter");
        let _ = writeln!(
            w,
            "outpost_remote_write_requests_total{{result=\"success\"}} {}",
            l(&self.requests_ok)
        );
        let _ = writeln!(
            w,
            "outpost_remote_write_requests_total{{result=\"rejected\"}} {}",
            l(&self.requests_rejected)
        );
        let _ = writeln!(
            w,
            "# HELP outpost_remote_write_samples_total Remote-write samples, by outcome."
        );
        let _ = writeln!(w, "# TYPE outpost_remote_write_samples_total counter");
        let _ = writeln!(
            w,
            "outpost_remote_write_samples_total{{outcome=\"written\"}} {}",
            l(&self.samples_written)
        );
        let _ = writeln!(
            w,
            "outpost_remote_write_samples_total{{outcome=\"rejected\"}} {}",
            l(&self.samples_rejected)
        );
        let _ = writeln!(
            w,
            "outpost_remote_write_samples_total{{outcome=\"invalid_labels\"}} {}",
            l(&self.invalid_series)
        );
        let _ = writeln!(
            w,
            "outpost_remote_write_samples_total{{outcome=\"histogram_dropped\"}} {}",
            l(&self.histograms_dropped)
        );
    }
}

fn reject(s: &PromState, code: StatusCode, msg: String) -> Response {
    s.remote_write
        .requests_rejected
        .fetch_add(1, Ordering::Relaxed);
    tracing::debug!(status = code.as_u16(), error = %msg, "remote write rejected");
    (code, msg + "\n").into_response()
}

pub(super) async fn handle(
    State(s): State<PromState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let header = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    if let Some(ct) = header("content-type") {
        let mut parts = ct.split(';').map(str::trim);
        let media = parts.next().unwrap_or("");
        if media != "application/x-protobuf" {
            return reject(
                &s,
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!(
                    "expected application/x-protobuf as the first (media) part, got {ct} content-type"
                ),
            );
        }
        for p in parts {
            if let Some(proto) = p.strip_prefix("proto=")
                && proto != "prometheus.WriteRequest"
            {
                return reject(
                    &s,
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    format!(
                        "unknown remote write protobuf message {proto}, supported: prometheus.WriteRequest"
                    ),
                );
            }
        }
    }
    if let Some(enc) = header("content-encoding")
        && enc != "snappy"
    {
        return reject(
            &s,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!(
                "{enc} encoding (compression) is not accepted by this server; only snappy is acceptable"
            ),
        );
    }
    if body.len() > MAX_BODY_BYTES {
        return reject(
            &s,
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "body size {} exceeds the limit of {MAX_BODY_BYTES} bytes",
                body.len()
            ),
        );
    }
    let st = match outpost_ingest::receive(&s.tsdb, &body, s.clock.now_ms()) {
        Ok(st) => st,
        Err(e) => return reject(&s, StatusCode::BAD_REQUEST, e.to_string()),
    };
    let c = &s.remote_write;
    c.requests_ok.fetch_add(1, Ordering::Relaxed);
    c.samples_written
        .fetch_add(st.samples_written, Ordering::Relaxed);
    c.samples_rejected.fetch_add(
        st.out_of_order + st.duplicates + st.out_of_bounds,
        Ordering::Relaxed,
    );
    c.invalid_series
        .fetch_add(st.invalid_samples, Ordering::Relaxed);
    c.histograms_dropped
        .fetch_add(st.histograms_dropped, Ordering::Relaxed);
    if st.invalid_series > 0 || st.out_of_order + st.duplicates + st.out_of_bounds > 0 {
        tracing::debug!(
            invalid_series = st.invalid_series,
            out_of_order = st.out_of_order,
            duplicates = st.duplicates,
            out_of_bounds = st.out_of_bounds,
            "remote write: samples skipped"
        );
    }
    StatusCode::NO_CONTENT.into_response()
}
