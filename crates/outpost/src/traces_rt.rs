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
mod tests {
    use std::time::Duration;

    use clap::Parser;
    use outpost_promql::{Engine, Value};
    use outpost_traces::model::{
        Resource, Scope, Span, SpanId, SpanKind, Status, StatusCode, TraceId,
    };

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        flags: TracesMetricsFlags,
        dir: Option<String>,
    }

    #[test]
    fn flags_default_on_and_turn_off_with_false() {
        let c = Cli::parse_from(["outpost"]);
        assert!(c.flags.span_metrics && c.flags.service_graph);
        let c = Cli::parse_from(["outpost", "--traces.span-metrics=false", "dir"]);
        assert!(!c.flags.span_metrics && c.flags.service_graph);
        assert_eq!(c.dir.as_deref(), Some("dir"));
        // A bare flag is true and does not swallow the positional argument.
        let c = Cli::parse_from(["outpost", "--traces.service-graph", "dir"]);
        assert!(c.flags.service_graph);
        assert_eq!(c.dir.as_deref(), Some("dir"));
        let c = Cli::parse_from(["outpost", "--traces.service-graph=false"]);
        let m = c.flags.build(&Clock::manual(0));
        assert!(m.service_graph.is_none() && m.spm_enabled());
        assert_eq!(m.observers().len(), 1);
        assert!(Cli::try_parse_from(["outpost", "--traces.span-metrics=maybe"]).is_err());
    }

    fn span(service: &str, name: &str, code: StatusCode, id: u64, parent: u64) -> Span {
        Span {
            trace_id: TraceId(u128::from(id / 2 + 1)),
            span_id: SpanId(id),
            parent_span_id: SpanId(parent),
            trace_state: "".into(),
            flags: 0,
            name: name.into(),
            kind: SpanKind::Server,
            start_ns: 0,
            end_ns: 3_000_000,
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

    fn scalar_at(engine: &Engine, q: &str, t: i64) -> Vec<(String, f64)> {
        let out = engine.instant(q, t).unwrap();
        let Value::Vector(v) = out.value else {
            panic!("not a vector: {:?}", out.value)
        };
        v.into_iter()
            .map(|s| {
                let l: Vec<String> = s.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                (l.join(","), s.v)
            })
            .collect()
    }

    /// One request per second to `cart` for 15 minutes, a quarter of them
    /// failing, flushed every 15 s: the Monitor tab's queries see 1 call/s
    /// and a 0.25 error rate.
    #[test]
    fn flushed_span_metrics_answer_the_monitor_tabs_promql() {
        let clock = Clock::manual(0);
        let flags = TracesMetricsFlags {
            span_metrics: true,
            service_graph: true,
        };
        let m = flags.build(&clock);
        let tsdb = Arc::new(Tsdb::new(Default::default()));
        let engine = Engine::new(tsdb.clone(), Default::default());
        let mut id = 0u64;
        for tick in 1..=60i64 {
            let mut batch = Vec::new();
            for i in 0..15 {
                id += 1;
                let code = if i % 4 == 0 && i < 12 {
                    StatusCode::Error
                } else {
                    StatusCode::Unset
                };
                batch.push(span("cart", "GET /cart", code, id, 0));
            }
            for o in m.observers() {
                o.observe(&batch);
            }
            let st = m.flush(&tsdb, tick * FLUSH_INTERVAL_MS);
            assert_eq!(st.rejected, 0);
        }
        let end = 60 * FLUSH_INTERVAL_MS;
        let calls = scalar_at(
            &engine,
            r#"sum(rate(traces_span_metrics_calls_total{service_name =~ "cart", span_kind =~ "SPAN_KIND_SERVER"}[10m])) by (service_name)"#,
            end,
        );
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].0, "service_name=cart");
        assert!((calls[0].1 - 1.0).abs() < 1e-9, "{calls:?}");
        let errors = scalar_at(
            &engine,
            r#"sum(rate(traces_span_metrics_calls_total{service_name =~ "cart", status_code = "STATUS_CODE_ERROR", span_kind =~ "SPAN_KIND_SERVER"}[10m])) by (service_name) / sum(rate(traces_span_metrics_calls_total{service_name =~ "cart", span_kind =~ "SPAN_KIND_SERVER"}[10m])) by (service_name)"#,
            end,
        );
        assert!((errors[0].1 - 0.2).abs() < 1e-9, "3 of 15 fail: {errors:?}");
        let p95 = scalar_at(
            &engine,
            r#"histogram_quantile(0.95, sum(rate(traces_span_metrics_duration_milliseconds_bucket{service_name =~ "cart", span_kind =~ "SPAN_KIND_SERVER"}[10m])) by (service_name,le))"#,
            end,
        );
        // Every span takes 3 ms: bucket (2, 4], interpolated.
        assert!(p95[0].1 > 2.0 && p95[0].1 <= 4.0, "{p95:?}");
    }

    #[tokio::test]
    async fn the_loop_flushes_every_15s_of_clock_time_and_stops_on_shutdown() {
        let clock = Clock::manual(1_000_000);
        let m = TracesMetricsFlags {
            span_metrics: true,
            service_graph: false,
        }
        .build(&clock);
        let tsdb = Arc::new(Tsdb::new(Default::default()));
        let (tx, rx) = watch::channel(false);
        let task = spawn(m.clone(), tsdb.clone(), clock.clone(), rx).unwrap();
        for o in m.observers() {
            o.observe(&[span("cart", "op", StatusCode::Unset, 1, 0)]);
        }
        let engine = Engine::new(tsdb.clone(), Default::default());
        let q = "traces_span_metrics_calls_total";
        clock.advance(Duration::from_millis(14_999)).unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(scalar_at(&engine, q, clock.now_ms()).is_empty());
        clock.advance(Duration::from_millis(1)).unwrap();
        let mut seen = Vec::new();
        for _ in 0..200 {
            seen = scalar_at(&engine, q, clock.now_ms());
            if !seen.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(seen.len(), 1, "flushed at the 15 s tick");
        assert_eq!(seen[0].1, 1.0);
        tx.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("loop stops on shutdown")
            .unwrap();
    }

    #[test]
    fn both_off_means_no_loop_and_no_observers() {
        let m = TracesMetricsFlags {
            span_metrics: false,
            service_graph: false,
        }
        .build(&Clock::manual(0));
        assert!(m.observers().is_empty() && !m.spm_enabled());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let (_tx, rx) = watch::channel(false);
        rt.block_on(async {
            assert!(
                spawn(
                    m,
                    Arc::new(Tsdb::new(Default::default())),
                    Clock::manual(0),
                    rx
                )
                .is_none()
            );
        });
    }
}
