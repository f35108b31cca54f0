//! Span metrics: RED metrics (calls, errors through `status_code`, duration)
//! from every span written, as the OpenTelemetry Collector's `spanmetrics`
//! connector produces them and Jaeger's Monitor tab reads them, with the
//! names Prometheus gives them under Jaeger's normalisation:
//! `traces_span_metrics_calls_total` and
//! `traces_span_metrics_duration_milliseconds_{bucket,sum,count}`, labels
//! `service_name`, `span_name`, `span_kind`, `status_code`.
//!
//! Series are cumulative and kept in memory; [`SpanMetrics::collect`] reads
//! them out as samples for the binary to write into the TSDB. Observing a
//! span of a known series allocates nothing.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::ingest::SpanObserver;
use crate::model::{Span, SpanKind, StatusCode};

/// The calls counter.
pub const CALLS_TOTAL: &str = "traces_span_metrics_calls_total";
/// The duration histogram's buckets.
pub const DURATION_BUCKET: &str = "traces_span_metrics_duration_milliseconds_bucket";
/// The duration histogram's sum (milliseconds).
pub const DURATION_SUM: &str = "traces_span_metrics_duration_milliseconds_sum";
/// The duration histogram's count.
pub const DURATION_COUNT: &str = "traces_span_metrics_duration_milliseconds_count";

/// The connector's default explicit buckets, in milliseconds.
pub const DEFAULT_BUCKETS_MS: [f64; 16] = [
    2.0, 4.0, 6.0, 8.0, 10.0, 50.0, 100.0, 200.0, 400.0, 800.0, 1000.0, 1400.0, 2000.0, 5000.0,
    10_000.0, 15_000.0,
];

/// Settings of [`SpanMetrics`].
#[derive(Debug, Clone)]
pub struct SpanMetricsOptions {
    /// Histogram upper bounds in milliseconds, ascending (`+Inf` is implied).
    pub buckets_ms: Vec<f64>,
    /// Most series kept; spans of new series beyond it are counted as dropped.
    pub max_series: usize,
}

impl Default for SpanMetricsOptions {
    fn default() -> Self {
        Self {
            buckets_ms: DEFAULT_BUCKETS_MS.to_vec(),
            max_series: 10_000,
        }
    }
}

/// One series' identity: the connector's default dimensions.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    service: Arc<str>,
    name: Arc<str>,
    kind: SpanKind,
    status: StatusCode,
}

/// A cumulative histogram: per-bucket (not cumulative) counts, the last one
/// for `+Inf`, plus the sum. The count is the sum of the buckets.
#[derive(Debug, Clone)]
pub(crate) struct Histogram {
    buckets: Box<[u64]>,
    count: u64,
    sum: f64,
}

impl Histogram {
    pub(crate) fn new(bounds: usize) -> Self {
        Self {
            buckets: vec![0; bounds + 1].into_boxed_slice(),
            count: 0,
            sum: 0.0,
        }
    }

    /// Adds one observation: it lands in the first bucket whose bound is
    /// at least `v` (bounds are inclusive upper limits, as `le`).
    pub(crate) fn observe(&mut self, bounds: &[f64], v: f64) {
        let i = bounds.partition_point(|&b| b < v);
        if let Some(c) = self.buckets.get_mut(i) {
            *c = c.saturating_add(1);
        }
        self.count = self.count.saturating_add(1);
        self.sum += v;
    }

    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    pub(crate) fn sum(&self) -> f64 {
        self.sum
    }

    /// Calls `f(le, cumulative count)` per bucket, `+Inf` last.
    pub(crate) fn cumulative<'a>(&self, les: &'a [Box<str>], mut f: impl FnMut(&'a str, u64)) {
        let mut acc = 0u64;
        for (le, c) in les.iter().zip(self.buckets.iter()) {
            acc = acc.saturating_add(*c);
            f(le, acc);
        }
    }
}

/// The `le` label values of `bounds`, `+Inf` last.
pub(crate) fn le_labels(bounds: &[f64]) -> Vec<Box<str>> {
    bounds
        .iter()
        .map(|b| format!("{b}").into_boxed_str())
        .chain(std::iter::once("+Inf".into()))
        .collect()
}

/// A span's duration in milliseconds (fractional).
fn duration_ms(span: &Span) -> f64 {
    span.duration_ns() as f64 / 1e6
}

struct Inner {
    series: HashMap<Key, Histogram>,
}

/// The span metrics aggregator; add it to the [`crate::TraceIngest`] as an
/// observer.
pub struct SpanMetrics {
    bounds: Box<[f64]>,
    les: Vec<Box<str>>,
    max_series: usize,
    inner: Mutex<Inner>,
    spans: AtomicU64,
    dropped: AtomicU64,
}

/// Counters of a [`SpanMetrics`], for `/metrics`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SpanMetricsStats {
    /// Series held.
    pub series: usize,
    /// Spans counted.
    pub spans: u64,
    /// Spans not counted because the series cap was reached.
    pub dropped: u64,
}

impl SpanMetrics {
    /// An empty aggregator. Bounds that are not finite are left out and the
    /// rest sorted, so the buckets are always valid.
    pub fn new(opts: SpanMetricsOptions) -> Self {
        let mut bounds: Vec<f64> = opts
            .buckets_ms
            .into_iter()
            .filter(|b| b.is_finite())
            .collect();
        bounds.sort_by(f64::total_cmp);
        bounds.dedup();
        Self {
            les: le_labels(&bounds),
            bounds: bounds.into_boxed_slice(),
            max_series: opts.max_series,
            inner: Mutex::new(Inner {
                series: HashMap::new(),
            }),
            spans: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
        }
    }

    /// Counters.
    pub fn stats(&self) -> SpanMetricsStats {
        let series = self.lock().series.len();
        SpanMetricsStats {
            series,
            spans: self.spans.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Calls `f(labels, value)` for every sample of every series: labels
    /// sorted by name with `__name__` first, empty values left out (the
    /// form `Appender::series_ref_pairs` takes). Values are cumulative.
    pub fn collect(&self, mut f: impl FnMut(&[(&str, &str)], f64)) {
        let inner = self.lock();
        for (k, h) in &inner.series {
            let tail = [
                ("service_name", &*k.service),
                ("span_kind", k.kind.otel_name()),
                ("span_name", &*k.name),
                ("status_code", k.status.otel_name()),
            ];
            let mut emit = |name: &str, le: Option<&str>, v: f64| {
                let mut buf: [(&str, &str); 6] = [("", ""); 6];
                let mut n = 0;
                buf[n] = ("__name__", name);
                n += 1;
                if let Some(le) = le {
                    buf[n] = ("le", le);
                    n += 1;
                }
                for (ln, lv) in tail {
                    if !lv.is_empty() {
                        buf[n] = (ln, lv);
                        n += 1;
                    }
                }
                f(&buf[..n], v);
            };
            emit(CALLS_TOTAL, None, h.count() as f64);
            h.cumulative(&self.les, |le, c| emit(DURATION_BUCKET, Some(le), c as f64));
            emit(DURATION_SUM, None, h.sum());
            emit(DURATION_COUNT, None, h.count() as f64);
        }
    }
}

impl SpanObserver for SpanMetrics {
    fn observe(&self, spans: &[Span]) {
        if spans.is_empty() {
            return;
        }
        let mut inner = self.lock();
        let mut dropped = 0u64;
        for span in spans {
            let key = Key {
                service: span.resource.service.clone(),
                name: span.name.clone(),
                kind: span.kind,
                status: span.status.code,
            };
            let ms = duration_ms(span);
            if let Some(h) = inner.series.get_mut(&key) {
                h.observe(&self.bounds, ms);
            } else if inner.series.len() < self.max_series {
                let mut h = Histogram::new(self.bounds.len());
                h.observe(&self.bounds, ms);
                inner.series.insert(key, h);
            } else {
                dropped += 1;
            }
        }
        drop(inner);
        self.spans.fetch_add(spans.len() as u64, Ordering::Relaxed);
        if dropped > 0 {
            self.dropped.fetch_add(dropped, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{Resource, Scope, SpanId, Status, TraceId};

    /// A span of `service` named `name`, lasting `dur_us` microseconds.
    pub(crate) fn span(
        service: &str,
        name: &str,
        kind: SpanKind,
        code: StatusCode,
        dur_us: u64,
    ) -> Span {
        Span {
            trace_id: TraceId(1),
            span_id: SpanId(1),
            parent_span_id: SpanId(0),
            trace_state: "".into(),
            flags: 0,
            name: name.into(),
            kind,
            start_ns: 1_700_000_000_000_000_000,
            end_ns: 1_700_000_000_000_000_000 + dur_us * 1000,
            attributes: vec![],
            events: vec![],
            links: vec![],
            status: Status {
                code,
                message: "".into(),
            },
            dropped: [0; 3],
            resource: Arc::new(Resource {
                service: service.into(),
                ..Resource::default()
            }),
            scope: Arc::new(Scope::default()),
        }
    }

    fn samples(m: &SpanMetrics) -> Vec<(String, f64)> {
        let mut out = Vec::new();
        m.collect(|labels, v| {
            let text: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            out.push((text.join(","), v));
        });
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn get(s: &[(String, f64)], key: &str) -> Option<f64> {
        s.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    #[test]
    fn counts_calls_per_service_name_kind_and_status() {
        let m = SpanMetrics::new(SpanMetricsOptions::default());
        m.observe(&[
            span(
                "cart",
                "GET /cart",
                SpanKind::Server,
                StatusCode::Unset,
                3_000,
            ),
            span(
                "cart",
                "GET /cart",
                SpanKind::Server,
                StatusCode::Unset,
                5_000,
            ),
            span(
                "cart",
                "GET /cart",
                SpanKind::Server,
                StatusCode::Error,
                5_000,
            ),
            span("cart", "SELECT", SpanKind::Client, StatusCode::Ok, 1_000),
        ]);
        let s = samples(&m);
        let labels = "service_name=cart,span_kind=SPAN_KIND_SERVER,span_name=GET /cart";
        assert_eq!(
            get(
                &s,
                &format!("__name__={CALLS_TOTAL},{labels},status_code=STATUS_CODE_UNSET")
            ),
            Some(2.0)
        );
        assert_eq!(
            get(
                &s,
                &format!("__name__={CALLS_TOTAL},{labels},status_code=STATUS_CODE_ERROR")
            ),
            Some(1.0)
        );
        assert_eq!(
            get(
                &s,
                &format!(
                    "__name__={CALLS_TOTAL},service_name=cart,span_kind=SPAN_KIND_CLIENT,span_name=SELECT,status_code=STATUS_CODE_OK"
                )
            ),
            Some(1.0)
        );
        // 3 series × (calls + 17 buckets + sum + count).
        assert_eq!(s.len(), 3 * 20);
        assert_eq!(
            m.stats(),
            SpanMetricsStats {
                series: 3,
                spans: 4,
                dropped: 0
            }
        );
    }

    #[test]
    fn durations_land_in_inclusive_millisecond_buckets() {
        let m = SpanMetrics::new(SpanMetricsOptions::default());
        // 2 ms exactly (le=2), 2.5 ms (le=4), 20 s (+Inf only).
        m.observe(&[
            span("a", "op", SpanKind::Server, StatusCode::Unset, 2_000),
            span("a", "op", SpanKind::Server, StatusCode::Unset, 2_500),
            span("a", "op", SpanKind::Server, StatusCode::Unset, 20_000_000),
        ]);
        let s = samples(&m);
        let b = |le: &str| {
            get(
                &s,
                &format!(
                    "__name__={DURATION_BUCKET},le={le},service_name=a,span_kind=SPAN_KIND_SERVER,span_name=op,status_code=STATUS_CODE_UNSET"
                ),
            )
        };
        assert_eq!(b("2"), Some(1.0));
        assert_eq!(b("4"), Some(2.0));
        assert_eq!(b("15000"), Some(2.0));
        assert_eq!(b("+Inf"), Some(3.0));
        let tail =
            "service_name=a,span_kind=SPAN_KIND_SERVER,span_name=op,status_code=STATUS_CODE_UNSET";
        assert_eq!(
            get(&s, &format!("__name__={DURATION_SUM},{tail}")),
            Some(20_004.5)
        );
        assert_eq!(
            get(&s, &format!("__name__={DURATION_COUNT},{tail}")),
            Some(3.0)
        );
    }

    #[test]
    fn labels_are_sorted_and_empty_values_left_out() {
        let m = SpanMetrics::new(SpanMetricsOptions {
            buckets_ms: vec![f64::NAN, 10.0, 1.0],
            max_series: 10,
        });
        m.observe(&[span("", "op", SpanKind::Internal, StatusCode::Unset, 1)]);
        m.collect(|labels, _| {
            assert!(labels.windows(2).all(|w| w[0].0 < w[1].0), "{labels:?}");
            assert!(labels.iter().all(|(_, v)| !v.is_empty()));
            assert!(!labels.iter().any(|(k, _)| *k == "service_name"));
        });
        let les: Vec<String> = samples(&m)
            .into_iter()
            .filter(|(k, _)| k.contains("le="))
            .map(|(k, _)| k)
            .collect();
        assert_eq!(les.len(), 3, "NaN bound dropped, +Inf added: {les:?}");
    }

    #[test]
    fn new_series_beyond_the_cap_are_dropped_and_counted() {
        let m = SpanMetrics::new(SpanMetricsOptions {
            max_series: 1,
            ..SpanMetricsOptions::default()
        });
        m.observe(&[
            span("a", "x", SpanKind::Server, StatusCode::Unset, 1),
            span("a", "y", SpanKind::Server, StatusCode::Unset, 1),
            span("a", "x", SpanKind::Server, StatusCode::Unset, 1),
        ]);
        let st = m.stats();
        assert_eq!((st.series, st.spans, st.dropped), (1, 3, 1));
    }
}
