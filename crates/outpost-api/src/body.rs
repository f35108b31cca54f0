//! Explicit request-body limits per endpoint family, as the real components
//! set them, instead of axum's implicit 2 MiB `DefaultBodyLimit`: handlers
//! take the raw [`Body`] and read it with [`read_body`] up to their family's
//! limit; a larger body is refused (413, or RESOURCE_EXHAUSTED over gRPC)
//! and counted in `outpost_http_request_body_too_large_total{family}`.
//!
//! Limits: remote write accepts what decodes to at most
//! [`outpost_ingest::MAX_DECODED_BYTES`] (Prometheus' snappy decoded-size
//! cap), so the compressed body may be up to snappy's worst case for that
//! size; OTLP/HTTP 20 MiB after decompression and OTLP/gRPC 4 MiB messages
//! (the OpenTelemetry Collector's `max_request_body_size` and
//! `max_recv_msg_size` defaults).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, header};
use http_body_util::{BodyExt, LengthLimitError, Limited};

/// Largest remote-write body: a snappy block of at most
/// [`outpost_ingest::MAX_DECODED_BYTES`] decoded bytes is never longer.
pub(crate) const REMOTE_WRITE_BODY_BYTES: usize =
    32 + outpost_ingest::MAX_DECODED_BYTES + outpost_ingest::MAX_DECODED_BYTES / 6;
/// Largest OTLP/HTTP body, compressed or not (also the decompressed cap).
pub(crate) const OTLP_HTTP_BODY_BYTES: usize = outpost_otlp::MAX_DECOMPRESSED_BYTES;
/// Largest OTLP/gRPC message (the Collector's `max_recv_msg_size` default).
pub(crate) const OTLP_GRPC_MESSAGE_BYTES: usize = 4 << 20;

/// Counts the requests of one endpoint family refused for their body size.
#[derive(Debug)]
pub struct TooLargeCounter {
    family: &'static str,
    n: AtomicU64,
}

impl TooLargeCounter {
    /// A zero counter for `family` (the label value, e.g. `remote_write`).
    pub const fn new(family: &'static str) -> Self {
        Self {
            family,
            n: AtomicU64::new(0),
        }
    }

    /// Counts one refused request.
    pub fn inc(&self) {
        self.n.fetch_add(1, Ordering::Relaxed);
    }

    /// Requests refused so far.
    pub fn get(&self) -> u64 {
        self.n.load(Ordering::Relaxed)
    }
}

/// Renders `outpost_http_request_body_too_large_total`, one series per counter.
pub fn render_body_too_large(w: &mut String, counters: &[&TooLargeCounter]) {
    let _ = writeln!(
        w,
        "# HELP outpost_http_request_body_too_large_total Requests refused because their body (or decoded body) exceeds the endpoint family's limit."
    );
    let _ = writeln!(
        w,
        "# TYPE outpost_http_request_body_too_large_total counter"
    );
    for c in counters {
        let _ = writeln!(
            w,
            "outpost_http_request_body_too_large_total{{family=\"{}\"}} {}",
            c.family,
            c.get()
        );
    }
}

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BodyError {
    /// Longer than the limit (by `Content-Length` or while reading).
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The connection failed while reading.
    Read(String),
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLarge { limit } => {
                write!(f, "request body exceeds the limit of {limit} bytes")
            }
            Self::Read(e) => write!(f, "reading the request body: {e}"),
        }
    }
}

/// Reads a request body of at most `limit` bytes; a `Content-Length` above
/// the limit is refused before reading anything.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX)) {
        return Err(BodyError::TooLarge { limit });
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(BodyError::TooLarge { limit })
        }
        Err(e) => Err(BodyError::Read(e.to_string())),
    }
}

/// Turns off axum's implicit `DefaultBodyLimit` for `router`, whose
/// handlers read their bodies with [`read_body`] and an explicit limit.
pub(crate) fn without_default_limit<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
) -> Router<S> {
    router.layer(DefaultBodyLimit::disable())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(len: Option<usize>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(len) = len {
            h.insert(header::CONTENT_LENGTH, len.into());
        }
        h
    }

    #[tokio::test]
    async fn bodies_up_to_the_limit_are_read() {
        let data = vec![7u8; 3 << 20];
        let got = read_body(&headers(None), Body::from(data.clone()), 3 << 20)
            .await
            .unwrap();
        assert_eq!(got.len(), data.len());
    }

    #[tokio::test]
    async fn longer_bodies_are_refused() {
        // By the declared length, before reading.
        assert_eq!(
            read_body(&headers(Some(11)), Body::from(vec![0u8; 11]), 10).await,
            Err(BodyError::TooLarge { limit: 10 })
        );
        // Without a declared length, while reading.
        let err = read_body(&headers(None), Body::from(vec![0u8; 11]), 10)
            .await
            .unwrap_err();
        assert_eq!(err, BodyError::TooLarge { limit: 10 });
        assert_eq!(
            err.to_string(),
            "request body exceeds the limit of 10 bytes"
        );
    }

    #[test]
    fn counters_render_one_family() {
        let (a, b) = (TooLargeCounter::new("a"), TooLargeCounter::new("b"));
        b.inc();
        b.inc();
        let mut out = String::new();
        render_body_too_large(&mut out, &[&a, &b]);
        assert_eq!(out.matches("# TYPE").count(), 1);
        assert!(out.contains("outpost_http_request_body_too_large_total{family=\"a\"} 0\n"));
        assert!(out.contains("outpost_http_request_body_too_large_total{family=\"b\"} 2\n"));
    }
}
