//! Outpost's own metrics at `/metrics` in the Prometheus text format, and the
//! per-listener request counter.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use outpost_clock::Stopwatch;

/// Renders more metric families into the `/metrics` text (domain crates'
/// counters, registered by the binary).
pub type Collector = Box<dyn Fn(&mut String) + Send + Sync>;

/// Counters and gauges about Outpost itself.
pub struct SelfMetrics {
    started: Stopwatch,
    start_time_ms: i64,
    requests: Mutex<BTreeMap<(&'static str, u16), u64>>,
    reloads_ok: AtomicU64,
    reloads_failed: AtomicU64,
    last_reload_ok: AtomicU64,
    last_reload_success_ms: AtomicI64,
    collectors: Mutex<Vec<Collector>>,
}

impl std::fmt::Debug for SelfMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SelfMetrics").finish_non_exhaustive()
    }
}

impl SelfMetrics {
    /// Starts the uptime measurement; `now_ms` is the clock's start time.
    pub fn new(now_ms: i64) -> Self {
        SelfMetrics {
            started: Stopwatch::start(),
            start_time_ms: now_ms,
            requests: Mutex::new(BTreeMap::new()),
            reloads_ok: AtomicU64::new(0),
            reloads_failed: AtomicU64::new(0),
            last_reload_ok: AtomicU64::new(1),
            last_reload_success_ms: AtomicI64::new(now_ms),
            collectors: Mutex::new(Vec::new()),
        }
    }

    /// Clock time the process started at (ms).
    pub fn start_time_ms(&self) -> i64 {
        self.start_time_ms
    }

    /// Clock time of the last successful configuration load (ms).
    pub fn last_reload_success_ms(&self) -> i64 {
        self.last_reload_success_ms.load(Ordering::Relaxed)
    }

    /// Adds a collector rendered after the built-in families.
    pub fn register(&self, c: Collector) {
        self.collectors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(c);
    }

    /// Counts one answered request.
    pub fn count_request(&self, listener: &'static str, code: u16) {
        let mut m = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *m.entry((listener, code)).or_default() += 1;
    }

    /// Records a config reload.
    pub fn record_reload(&self, ok: bool, now_ms: i64) {
        if ok {
            self.reloads_ok.fetch_add(1, Ordering::Relaxed);
            self.last_reload_success_ms.store(now_ms, Ordering::Relaxed);
        } else {
            self.reloads_failed.fetch_add(1, Ordering::Relaxed);
        }
        self.last_reload_ok.store(ok as u64, Ordering::Relaxed);
    }

    /// Renders the text exposition format 0.0.4.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(2048);
        let w = &mut out;
        let _ = writeln!(
            w,
            "# HELP outpost_build_info A metric with a constant '1' value labeled by the version and revision outpost was built from."
        );
        let _ = writeln!(w, "# TYPE outpost_build_info gauge");
        let _ = writeln!(
            w,
            "outpost_build_info{{version=\"{}\",revision=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION"),
            option_env!("OUTPOST_REVISION").unwrap_or("unknown")
        );
        let _ = writeln!(
            w,
            "# HELP outpost_uptime_seconds Seconds since the process started."
        );
        let _ = writeln!(w, "# TYPE outpost_uptime_seconds gauge");
        let _ = writeln!(
            w,
            "outpost_uptime_seconds {}",
            self.started.elapsed().as_secs_f64()
        );
        let _ = writeln!(
            w,
            "# HELP outpost_start_time_seconds Clock time the process started at, in Unix seconds."
        );
        let _ = writeln!(w, "# TYPE outpost_start_time_seconds gauge");
        let _ = writeln!(
            w,
            "outpost_start_time_seconds {}",
            self.start_time_ms as f64 / 1000.0
        );
        let _ = writeln!(
            w,
            "# HELP outpost_http_requests_total Requests answered, per listener and status code."
        );
        let _ = writeln!(w, "# TYPE outpost_http_requests_total counter");
        for ((listener, code), n) in self
            .requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            let _ = writeln!(
                w,
                "outpost_http_requests_total{{listener=\"{listener}\",code=\"{code}\"}} {n}"
            );
        }
        let _ = writeln!(
            w,
            "# HELP outpost_config_last_reload_successful Whether the last configuration reload attempt was successful."
        );
        let _ = writeln!(w, "# TYPE outpost_config_last_reload_successful gauge");
        let _ = writeln!(
            w,
            "outpost_config_last_reload_successful {}",
            self.last_reload_ok.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            w,
            "# HELP outpost_config_last_reload_success_timestamp_seconds Clock time of the last successful configuration load."
        );
        let _ = writeln!(
            w,
            "# TYPE outpost_config_last_reload_success_timestamp_seconds gauge"
        );
        let _ = writeln!(
            w,
            "outpost_config_last_reload_success_timestamp_seconds {}",
            self.last_reload_success_ms.load(Ordering::Relaxed) as f64 / 1000.0
        );
        let _ = writeln!(
            w,
            "# HELP outpost_config_reloads_total Configuration reloads, by result."
        );
        let _ = writeln!(w, "# TYPE outpost_config_reloads_total counter");
        let _ = writeln!(
            w,
            "outpost_config_reloads_total{{result=\"success\"}} {}",
            self.reloads_ok.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            w,
            "outpost_config_reloads_total{{result=\"failure\"}} {}",
            self.reloads_failed.load(Ordering::Relaxed)
        );
        for c in self
            .collectors
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
        {
            c(&mut out);
        }
        out
    }
}

async fn render(State(m): State<Arc<SelfMetrics>>) -> Response {
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        m.render(),
    )
        .into_response()
}

/// `GET /metrics`: Outpost's own metrics.
pub fn router(metrics: Arc<SelfMetrics>) -> Router {
    Router::new()
        .route("/metrics", get(render))
        .with_state(metrics)
}

/// Wraps a router so every answered request is counted under `listener`.
pub fn count_requests(router: Router, listener: &'static str, metrics: Arc<SelfMetrics>) -> Router {
    router.layer(middleware::from_fn(move |req: Request, next: Next| {
        let metrics = metrics.clone();
        async move {
            let resp = next.run(req).await;
            metrics.count_request(listener, resp.status().as_u16());
            resp
        }
    }))
}

#[cfg(test)]
mod tests {
    use axum::http::StatusCode;

    use super::*;
    use crate::test_util::call;

    #[tokio::test]
    async fn metrics_count_requests_per_listener() {
        let m = Arc::new(SelfMetrics::new(0));
        let r = count_requests(router(m.clone()), "prometheus", m.clone());
        call(&r, "GET", "/nope").await;
        let (code, body) = call(&r, "GET", "/metrics").await;
        assert_eq!(code, StatusCode::OK);
        assert!(
            body.contains("outpost_http_requests_total{listener=\"prometheus\",code=\"404\"} 1\n"),
            "{body}"
        );
        assert!(body.contains("# TYPE outpost_build_info gauge\n"));
        let (_, body) = call(&r, "GET", "/metrics").await;
        assert!(
            body.contains("outpost_http_requests_total{listener=\"prometheus\",code=\"200\"} 1\n"),
            "{body}"
        );
    }
}
