//! Counters of the Elasticsearch family and the log store's figures, on
//! `/metrics`: `outpost_es_requests_rejected_total{reason}` (requests the REST
//! layer refused before any handler ran), the body-size refusals also in
//! `outpost_http_request_body_too_large_total{family="elasticsearch"}`, and
//! `outpost_logs_*` from [`StoreStats`].

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use outpost_logs::StoreStats;

use super::error::EsError;
use crate::body::TooLargeCounter;

/// Why the REST layer refused a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rejected {
    /// Body above `http.max_content_length` (413).
    BodyTooLarge = 0,
    /// Missing or wrong credentials (401).
    Unauthorized = 1,
    /// A body under a content type ES does not read (406).
    UnsupportedMediaType = 2,
    /// A bad compatibility media type (400).
    BadMediaType = 3,
    /// No handler for the path (400).
    NoHandler = 4,
    /// A method the path does not take (405).
    MethodNotAllowed = 5,
}

const REASONS: [Rejected; 6] = [
    Rejected::BodyTooLarge,
    Rejected::Unauthorized,
    Rejected::UnsupportedMediaType,
    Rejected::BadMediaType,
    Rejected::NoHandler,
    Rejected::MethodNotAllowed,
];

impl Rejected {
    fn label(self) -> &'static str {
        match self {
            Rejected::BodyTooLarge => "body_too_large",
            Rejected::Unauthorized => "unauthorized",
            Rejected::UnsupportedMediaType => "unsupported_media_type",
            Rejected::BadMediaType => "bad_media_type",
            Rejected::NoHandler => "no_handler",
            Rejected::MethodNotAllowed => "method_not_allowed",
        }
    }

    /// The refusal an error stands for, if it is one of the REST layer's.
    pub(crate) fn of(e: &EsError) -> Option<Rejected> {
        match e {
            EsError::Empty(413) => Some(Rejected::BodyTooLarge),
            EsError::Object { status: 401, .. } => Some(Rejected::Unauthorized),
            EsError::Object { error, .. } if error["type"] == "media_type_header_exception" => {
                Some(Rejected::BadMediaType)
            }
            EsError::Text { status: 406, .. } => Some(Rejected::UnsupportedMediaType),
            EsError::Text { status: 405, .. } => Some(Rejected::MethodNotAllowed),
            EsError::Text { status: 400, text } if text.starts_with("no handler found") => {
                Some(Rejected::NoHandler)
            }
            _ => None,
        }
    }
}

/// The family's counters.
#[derive(Debug)]
pub struct EsCounters {
    rejected: [AtomicU64; 6],
    too_large: TooLargeCounter,
}

impl Default for EsCounters {
    fn default() -> Self {
        EsCounters {
            rejected: Default::default(),
            too_large: TooLargeCounter::new("elasticsearch"),
        }
    }
}

impl EsCounters {
    /// Counts one refused request.
    pub(crate) fn rejected(&self, r: Rejected) {
        self.rejected[r as usize].fetch_add(1, Ordering::Relaxed);
        if r == Rejected::BodyTooLarge {
            self.too_large.inc();
        }
    }

    /// The body-size counter, for `outpost_http_request_body_too_large_total`.
    pub fn body_too_large(&self) -> &TooLargeCounter {
        &self.too_large
    }

    /// Writes `outpost_es_requests_rejected_total`.
    pub fn render(&self, w: &mut String) {
        let name = "outpost_es_requests_rejected_total";
        let _ = writeln!(
            w,
            "# HELP {name} Elasticsearch API requests refused before any handler ran, by reason."
        );
        let _ = writeln!(w, "# TYPE {name} counter");
        for r in REASONS {
            let _ = writeln!(
                w,
                "{name}{{reason=\"{}\"}} {}",
                r.label(),
                self.rejected[r as usize].load(Ordering::Relaxed)
            );
        }
    }
}

/// Writes the `outpost_logs_*` families.
pub(crate) fn render_store(st: &StoreStats, max_bytes: u64, w: &mut String) {
    let mut family = |name: &str, kind: &str, help: &str, v: u64| {
        let _ = writeln!(w, "# HELP {name} {help}");
        let _ = writeln!(w, "# TYPE {name} {kind}");
        let _ = writeln!(w, "{name} {v}");
    };
    family(
        "outpost_logs_docs",
        "gauge",
        "Documents held by the log store.",
        st.docs as u64,
    );
    family(
        "outpost_logs_indices",
        "gauge",
        "Indices held by the log store.",
        st.indices as u64,
    );
    family(
        "outpost_logs_bytes",
        "gauge",
        "Bytes of the log store's index files.",
        st.bytes,
    );
    family(
        "outpost_logs_max_bytes",
        "gauge",
        "Most bytes the log store holds (--logs.max-bytes).",
        max_bytes,
    );
    family(
        "outpost_logs_evicted_indices_total",
        "counter",
        "Indices evicted whole to stay under --logs.max-bytes.",
        st.evicted_indices,
    );
    family(
        "outpost_logs_evicted_docs_total",
        "counter",
        "Documents evicted with their indices.",
        st.evicted_docs,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_counted_by_reason() {
        let c = EsCounters::default();
        for e in [
            EsError::Empty(413),
            EsError::new(401, "security_exception", "x"),
            EsError::Text {
                status: 406,
                text: "x".into(),
            },
            EsError::Text {
                status: 400,
                text: "no handler found for uri [/a/b/c] and method [GET]".into(),
            },
        ] {
            c.rejected(Rejected::of(&e).unwrap());
        }
        assert_eq!(Rejected::of(&EsError::illegal("x")), None);
        let mut w = String::new();
        c.render(&mut w);
        for line in [
            "outpost_es_requests_rejected_total{reason=\"body_too_large\"} 1\n",
            "outpost_es_requests_rejected_total{reason=\"unauthorized\"} 1\n",
            "outpost_es_requests_rejected_total{reason=\"unsupported_media_type\"} 1\n",
            "outpost_es_requests_rejected_total{reason=\"no_handler\"} 1\n",
            "outpost_es_requests_rejected_total{reason=\"method_not_allowed\"} 0\n",
        ] {
            assert!(w.contains(line), "{line:?} not in\n{w}");
        }
        assert_eq!(c.body_too_large().get(), 1);
    }

    #[test]
    #[allow(clippy::needless_update)] // the store may grow figures
    fn store_figures_render_every_family() {
        let st = StoreStats {
            indices: 2,
            docs: 10,
            bytes: 4096,
            evicted_indices: 1,
            evicted_docs: 3,
            ..StoreStats::default()
        };
        let mut w = String::new();
        render_store(&st, 1 << 30, &mut w);
        for line in [
            "outpost_logs_docs 10\n",
            "outpost_logs_indices 2\n",
            "outpost_logs_bytes 4096\n",
            "outpost_logs_max_bytes 1073741824\n",
            "# TYPE outpost_logs_evicted_indices_total counter\n",
            "outpost_logs_evicted_docs_total 3\n",
        ] {
            assert!(w.contains(line), "{line:?} not in\n{w}");
        }
    }
}
