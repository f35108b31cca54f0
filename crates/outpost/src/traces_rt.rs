//! Span metrics and service-graph metrics of the serving process: the
//! `--traces.span-metrics` / `--traces.service-graph` flags, the observers
//! they turn on, and the loop that writes the observers' cumulative series
//! into the TSDB every 15 s of clock time, as a connector exporting to
//! Prometheus would, so PromQL, rules, dashboards and Jaeger's Monitor tab
//! read traces as metrics.

use std::sync::Arc;

use clap::{ArgAction, Args};
use outpost_api::SelfMetrics;
use outpost_clock::Clock;
use outpost_traces::{
    ServiceGraph, ServiceGraphOptions, SpanMetrics, SpanMetricsOptions, SpanObserver,
};
use outpost_tsdb::Tsdb;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How often the cumulative series are written (clock time).
pub(crate) const FLUSH_INTERVAL_MS: i64 = 15_000;

/// Whether span metrics and service-graph metrics are derived from traces.
#[derive(Debug, Clone, Args)]
pub(crate) struct TracesMetricsFlags {
    /// RED metrics from every span (`traces_span_metrics_*`, the series Jaeger's
    /// Monitor tab reads); `=false` turns them and the Monitor tab off.
    #[arg(
        long = "traces.span-metrics",
        value_name = "BOOL",
        action = ArgAction::Set,
        num_args = 0..=1,
        require_equals = true,
        default_value_t = true,
        default_missing_value = "true"
    )]
    pub(crate) span_metrics: bool,
    /// Service-graph metrics from client/server span pairs
    /// (`traces_service_graph_*`); `=false` turns them off.
    #[arg(
        long = "traces.service-graph",
        value_name = "BOOL",
        action = ArgAction::Set,
        num_args = 0..=1,
        require_equals = true,
        default_value_t = true,
        default_missing_value = "true"
    )]
    pub(crate) service_graph: bool,
}

/// The observers the flags turned on.
#[derive(Clone, Default)]
pub(crate) struct TraceMetrics {
    pub(crate) span_metrics: Option<Arc<SpanMetrics>>,
    pub(crate) service_graph: Option<Arc<ServiceGraph>>,
}

impl TracesMetricsFlags {
    /// Builds the observers that are on, with the connectors' defaults.
    pub(crate) fn build(&self, clock: &Clock) -> TraceMetrics {
        TraceMetrics {
            span_metrics: self
                .span_metrics
                .then(|| Arc::new(SpanMetrics::new(SpanMetricsOptions::default()))),
            service_graph: self.service_graph.then(|| {
                Arc::new(ServiceGraph::new(
                    clock.clone(),
                    ServiceGraphOptions::default(),
                ))
            }),
        }
    }
}

/// What one flush wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FlushStats {
    /// Samples stored.
    pub(crate) appended: u64,
    /// Samples the TSDB refused (series cap, out of order after a clock move).
    pub(crate) rejected: u64,
}

impl TraceMetrics {
    /// The observers to add to the `TraceIngest`.
    pub(crate) fn observers(&self) -> Vec<Arc<dyn SpanObserver>> {
        let mut v: Vec<Arc<dyn SpanObserver>> = Vec::new();
        if let Some(m) = &self.span_metrics {
            v.push(m.clone());
        }
        if let Some(g) = &self.service_graph {
            v.push(g.clone());
        }
        v
    }

    /// Whether the Monitor tab has its metrics (`SpmState::enabled`).
    pub(crate) fn spm_enabled(&self) -> bool {
        self.span_metrics.is_some()
    }

    /// Writes every cumulative series at `t_ms`.
    pub(crate) fn flush(&self, tsdb: &Tsdb, t_ms: i64) -> FlushStats {
        let mut st = FlushStats::default();
        let mut app = tsdb.appender();
        let mut write = |labels: &[(&str, &str)], v: f64| {
            let ok = app
                .series_ref_pairs(labels)
                .and_then(|r| app.append(r, t_ms, v))
                .is_ok();
            if ok {
                st.appended += 1;
            } else {
                st.rejected += 1;
            }
        };
        if let Some(m) = &self.span_metrics {
            m.collect(&mut write);
        }
        if let Some(g) = &self.service_graph {
            g.collect(&mut write);
        }
        st
    }

    /// Adds the observers' counters to `/metrics`.
    pub(crate) fn register_metrics(&self, metrics: &SelfMetrics) {
        let this = self.clone();
        metrics.register(Box::new(move |w: &mut String| {
            let mut rows: Vec<(&str, &str, &str, u64)> = Vec::new();
            if let Some(m) = &this.span_metrics {
                let s = m.stats();
                rows.extend([
                    (
                        "outpost_span_metrics_series",
                        "Span metrics series held.",
                        "gauge",
                        s.series as u64,
                    ),
                    (
                        "outpost_span_metrics_spans_dropped_total",
                        "Spans not counted in span metrics because the series cap was reached.",
                        "counter",
                        s.dropped,
                    ),
                ]);
            }
            if let Some(g) = &this.service_graph {
                let s = g.stats();
                rows.extend([
                    (
                        "outpost_service_graph_edges_pending",
                        "Unpaired client or server spans waiting for their other side.",
                        "gauge",
                        s.pending as u64,
                    ),
                    (
                        "outpost_service_graph_edges_expired_total",
                        "Unpaired spans whose other side did not arrive in time.",
                        "counter",
                        s.expired,
                    ),
                    (
                        "outpost_service_graph_spans_dropped_total",
                        "Spans dropped because the pairing store or the series cap was full.",
                        "counter",
                        s.dropped,
                    ),
                ]);
            }
            for (name, help, kind, v) in rows {
                w.push_str(&format!(
                    "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}\n"
                ));
            }
        }));
    }
}

/// Flushes into `tsdb` every [`FLUSH_INTERVAL_MS`] of clock time until
/// `shutdown` turns true; `None` when both observers are off.
pub(crate) fn spawn(
    metrics: TraceMetrics,
    tsdb: Arc<Tsdb>,
    clock: Clock,
    mut shutdown: watch::Receiver<bool>,
) -> Option<JoinHandle<()>> {
    if metrics.span_metrics.is_none() && metrics.service_graph.is_none() {
        return None;
    }
    // The phase counts from the call, not from when the task first runs.
    let mut next = clock.now_ms().saturating_add(FLUSH_INTERVAL_MS);
    Some(tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = clock.sleep_until(next) => {}
                _ = shutdown.wait_for(|s| *s) => return,
            }
            let now = clock.now_ms();
            let st = metrics.flush(&tsdb, now);
            if st.rejected > 0 {
                tracing::debug!(
                    rejected = st.rejected,
                    "span metrics samples refused by the tsdb"
                );
            }
            next = next.saturating_add(FLUSH_INTERVAL_MS);
            if next <= now {
                // Missed ticks (a manual-clock jump): keep the phase.
                let behind = (now - next) / FLUSH_INTERVAL_MS + 1;
                next = next.saturating_add(behind.saturating_mul(FLUSH_INTERVAL_MS));
            }
        }
    }))
}

#[cfg(test)]
#[path = "traces_rt_tests.rs"]
mod tests;
