use std::time::Duration;

use clap::Parser;
use outpost_promql::{Engine, Value};
use outpost_traces::model::{Resource, Scope, Span, SpanId, SpanKind, Status, StatusCode, TraceId};

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
