//! `POST /api/v1/write`: Prometheus remote write 1.0 (snappy block +
//! protobuf), with Prometheus 3's header checks and status codes. Bodies
//! are read with an explicit limit (see `crate::body`): 413 above it or
//! above the decoded-size cap. Samples refused by the TSDB's series limit
//! are answered with 400 naming their count, after the rest is stored (as
//! Prometheus answers out-of-order samples), so the sender sees the loss.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::PromState;
use crate::body::{BodyError, REMOTE_WRITE_BODY_BYTES, TooLargeCounter, read_body};

/// Counters of the remote-write receiver.
#[derive(Debug)]
pub struct RemoteWriteCounters {
    requests_ok: AtomicU64,
    requests_rejected: AtomicU64,
    samples_written: AtomicU64,
    samples_rejected: AtomicU64,
    invalid_series: AtomicU64,
    histograms_dropped: AtomicU64,
    series_limit: AtomicU64,
    too_large: TooLargeCounter,
}

impl Default for RemoteWriteCounters {
    fn default() -> Self {
        Self {
            requests_ok: AtomicU64::new(0),
            requests_rejected: AtomicU64::new(0),
            samples_written: AtomicU64::new(0),
            samples_rejected: AtomicU64::new(0),
            invalid_series: AtomicU64::new(0),
            histograms_dropped: AtomicU64::new(0),
            series_limit: AtomicU64::new(0),
            too_large: TooLargeCounter::new("remote_write"),
        }
    }
}

impl RemoteWriteCounters {
    /// Requests refused for their body size, for
    /// `outpost_http_request_body_too_large_total{family="remote_write"}`.
    pub fn body_too_large(&self) -> &TooLargeCounter {
        &self.too_large
    }

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
        let _ = writeln!(
            w,
            "outpost_remote_write_samples_total{{outcome=\"series_limit\"}} {}",
            l(&self.series_limit)
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

pub(super) async fn handle(State(s): State<PromState>, headers: HeaderMap, body: Body) -> Response {
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
    let body = match read_body(&headers, body, REMOTE_WRITE_BODY_BYTES).await {
        Ok(body) => body,
        Err(e @ BodyError::TooLarge { .. }) => {
            s.remote_write.too_large.inc();
            return reject(&s, StatusCode::PAYLOAD_TOO_LARGE, e.to_string());
        }
        Err(e) => return reject(&s, StatusCode::BAD_REQUEST, e.to_string()),
    };
    let st = match outpost_ingest::receive(&s.tsdb, &body, s.clock.now_ms()) {
        Ok(st) => st,
        Err(e @ outpost_ingest::Error::TooLarge { .. }) => {
            s.remote_write.too_large.inc();
            return reject(&s, StatusCode::PAYLOAD_TOO_LARGE, e.to_string());
        }
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
    c.series_limit
        .fetch_add(st.series_limit_samples, Ordering::Relaxed);
    if st.invalid_series > 0 || st.out_of_order + st.duplicates + st.out_of_bounds > 0 {
        tracing::debug!(
            invalid_series = st.invalid_series,
            out_of_order = st.out_of_order,
            duplicates = st.duplicates,
            out_of_bounds = st.out_of_bounds,
            "remote write: samples skipped"
        );
    }
    if st.series_limit_rejected > 0 {
        // The rest is stored; 400 tells the sender (which does not retry a
        // 4xx) what was lost.
        let msg = format!(
            "{} series with {} samples refused: the series limit of {} is reached \
             (--storage.tsdb.max-series); {} other samples were stored",
            st.series_limit_rejected,
            st.series_limit_samples,
            s.tsdb.max_series(),
            st.samples_written
        );
        tracing::debug!(status = 400, error = %msg, "remote write: series limit");
        return (StatusCode::BAD_REQUEST, msg + "\n").into_response();
    }
    StatusCode::NO_CONTENT.into_response()
}
