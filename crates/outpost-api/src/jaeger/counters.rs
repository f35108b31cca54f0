//! Counters of the span receivers, by protocol, rendered on `/metrics` as
//! `outpost_traces_receiver_requests_total{protocol,result}`,
//! `outpost_traces_spans_received_total{protocol}` and
//! `outpost_traces_spans_rejected_total{protocol}`; bodies refused for
//! their size are also counted per receiver in
//! `outpost_http_request_body_too_large_total{family}` ([`TraceCounters::body_too_large`]).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::body::TooLargeCounter;

/// A span receiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Receiver {
    /// OTLP/HTTP `POST /v1/traces`.
    OtlpHttp = 0,
    /// OTLP/gRPC `TraceService/Export`.
    OtlpGrpc = 1,
    /// Jaeger gRPC `CollectorService/PostSpans`.
    JaegerGrpc = 2,
    /// Jaeger Thrift over HTTP `POST /api/traces`.
    JaegerThrift = 3,
    /// Zipkin v2 `POST /api/v2/spans`.
    Zipkin = 4,
}

const RECEIVERS: [Receiver; 5] = [
    Receiver::OtlpHttp,
    Receiver::OtlpGrpc,
    Receiver::JaegerGrpc,
    Receiver::JaegerThrift,
    Receiver::Zipkin,
];

impl Receiver {
    /// The `protocol` label value.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::OtlpHttp => "otlp_http",
            Self::OtlpGrpc => "otlp_grpc",
            Self::JaegerGrpc => "jaeger_grpc",
            Self::JaegerThrift => "jaeger_thrift_http",
            Self::Zipkin => "zipkin",
        }
    }
}

/// Counters of the span receivers, by protocol.
#[derive(Debug)]
pub struct TraceCounters {
    /// `[receiver][0 success, 1 rejected]`.
    requests: [[AtomicU64; 2]; 5],
    received: [AtomicU64; 5],
    rejected: [AtomicU64; 5],
    too_large: [TooLargeCounter; 5],
}

impl Default for TraceCounters {
    fn default() -> Self {
        Self {
            requests: Default::default(),
            received: Default::default(),
            rejected: Default::default(),
            too_large: [
                TooLargeCounter::new("traces_otlp_http"),
                TooLargeCounter::new("traces_otlp_grpc"),
                TooLargeCounter::new("jaeger_grpc"),
                TooLargeCounter::new("jaeger_thrift_http"),
                TooLargeCounter::new("zipkin"),
            ],
        }
    }
}

impl TraceCounters {
    /// A request whose spans went to the write path: `stored` spans kept,
    /// `rejected` refused (invalid ids, or more than the store holds).
    pub(crate) fn accepted(&self, r: Receiver, stored: u64, rejected: u64) {
        let i = r as usize;
        self.requests[i][0].fetch_add(1, Ordering::Relaxed);
        self.received[i].fetch_add(stored, Ordering::Relaxed);
        self.rejected[i].fetch_add(rejected, Ordering::Relaxed);
    }

    /// A request refused as a whole (bad content type, undecodable body).
    pub(crate) fn refused(&self, r: Receiver) {
        self.requests[r as usize][1].fetch_add(1, Ordering::Relaxed);
    }

    /// A request refused for its size (also counted as refused).
    pub(crate) fn too_large(&self, r: Receiver) {
        self.refused(r);
        self.too_large[r as usize].inc();
    }

    /// Requests of `r` with result `success` (`ok`) or `rejected`.
    pub fn requests(&self, r: &str, ok: bool) -> u64 {
        RECEIVERS
            .iter()
            .find(|x| x.label() == r)
            .map(|x| self.requests[*x as usize][usize::from(!ok)].load(Ordering::Relaxed))
            .unwrap_or(0)
    }

    /// Spans stored from receiver `r` (a `protocol` label value).
    pub fn spans_received(&self, r: &str) -> u64 {
        self.by_label(&self.received, r)
    }

    /// Spans rejected from receiver `r`.
    pub fn spans_rejected(&self, r: &str) -> u64 {
        self.by_label(&self.rejected, r)
    }

    fn by_label(&self, a: &[AtomicU64; 5], r: &str) -> u64 {
        RECEIVERS
            .iter()
            .find(|x| x.label() == r)
            .map(|x| a[*x as usize].load(Ordering::Relaxed))
            .unwrap_or(0)
    }

    /// Requests refused for their size, one counter per receiver, for
    /// `outpost_http_request_body_too_large_total{family}` (families
    /// `traces_otlp_http`, `traces_otlp_grpc`, `jaeger_grpc`,
    /// `jaeger_thrift_http`, `zipkin`).
    pub fn body_too_large(&self) -> [&TooLargeCounter; 5] {
        let [a, b, c, d, e] = &self.too_large;
        [a, b, c, d, e]
    }

    /// Renders the `outpost_traces_*` receiver families.
    pub fn render(&self, w: &mut String) {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let _ = writeln!(
            w,
            "# HELP outpost_traces_receiver_requests_total Span export requests, by protocol and result."
        );
        let _ = writeln!(w, "# TYPE outpost_traces_receiver_requests_total counter");
        for r in RECEIVERS {
            for (j, result) in ["success", "rejected"].iter().enumerate() {
                let _ = writeln!(
                    w,
                    "outpost_traces_receiver_requests_total{{protocol=\"{}\",result=\"{result}\"}} {}",
                    r.label(),
                    l(&self.requests[r as usize][j])
                );
            }
        }
        for (name, help, a) in [
            (
                "outpost_traces_spans_received_total",
                "Spans received and stored, by protocol.",
                &self.received,
            ),
            (
                "outpost_traces_spans_rejected_total",
                "Spans rejected (invalid ids, or more than the store holds), by protocol.",
                &self.rejected,
            ),
        ] {
            let _ = writeln!(w, "# HELP {name} {help}");
            let _ = writeln!(w, "# TYPE {name} counter");
            for r in RECEIVERS {
                let _ = writeln!(
                    w,
                    "{name}{{protocol=\"{}\"}} {}",
                    r.label(),
                    l(&a[r as usize])
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_by_protocol_and_result() {
        let c = TraceCounters::default();
        c.accepted(Receiver::Zipkin, 3, 1);
        c.refused(Receiver::JaegerThrift);
        c.too_large(Receiver::OtlpHttp);
        let mut out = String::new();
        c.render(&mut out);
        assert!(out.contains(
            "outpost_traces_receiver_requests_total{protocol=\"zipkin\",result=\"success\"} 1\n"
        ));
        assert!(out.contains(
            "outpost_traces_receiver_requests_total{protocol=\"jaeger_thrift_http\",result=\"rejected\"} 1\n"
        ));
        assert!(out.contains(
            "outpost_traces_receiver_requests_total{protocol=\"otlp_http\",result=\"rejected\"} 1\n"
        ));
        assert!(out.contains("outpost_traces_spans_received_total{protocol=\"zipkin\"} 3\n"));
        assert!(out.contains("outpost_traces_spans_rejected_total{protocol=\"zipkin\"} 1\n"));
        assert_eq!(out.matches("# TYPE").count(), 3);
        assert_eq!(c.body_too_large()[0].get(), 1);
        assert_eq!(c.requests("otlp_http", false), 1);
        assert_eq!(c.spans_received("zipkin"), 3);
    }
}
