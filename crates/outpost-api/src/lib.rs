//! Outpost's HTTP APIs: one axum router per listener, built from small
//! per-family modules. Handlers take [`AppState`]; domain logic lives in the
//! domain crates. Later stages add the PromQL API, the Alertmanager v2 API,
//! OTLP, Jaeger and Elasticsearch families here.

mod am;
mod body;
mod envelope;
mod form;
mod health;
mod lifecycle;
mod listeners;
mod metrics;
mod otlp;
mod outpost;
mod prom;

use std::sync::Arc;

use axum::Router;
use outpost_clock::Clock;
use outpost_scrape::ScrapeManager;
use outpost_tsdb::Tsdb;

pub use body::{TooLargeCounter, render_body_too_large};
pub use envelope::{ApiError, ErrorType, success};
pub use health::{HealthTexts, Readiness};
pub use lifecycle::Reload;
pub use listeners::{LISTENERS, ListenerSpec, Protocol};
pub use metrics::{Collector, SelfMetrics};
pub use otlp::OtlpCounters;
pub use prom::RemoteWriteCounters;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The process clock.
    pub clock: Clock,
    /// Set once every listener is bound; cleared on shutdown.
    pub ready: Readiness,
    /// Outpost's own metrics.
    pub metrics: Arc<SelfMetrics>,
    /// Re-reads the configs.
    pub reloader: Arc<dyn Reload>,
    /// The metrics store.
    pub tsdb: Arc<Tsdb>,
    /// Counts of the remote-write receiver.
    pub remote_write: Arc<RemoteWriteCounters>,
    /// The scrape manager (targets and their health).
    pub scrape: Arc<ScrapeManager>,
    /// Counts of the OTLP metrics receivers.
    pub otlp: Arc<OtlpCounters>,
    /// The PromQL engine.
    pub promql: Arc<outpost_promql::Engine>,
    /// The running configuration.
    pub config: tokio::sync::watch::Receiver<Arc<outpost_config::Stack>>,
    /// The rule manager (rule groups, alerts).
    pub rules: outpost_rules::RuleManager,
    /// Command-line flags as `/api/v1/status/flags` shows them.
    pub flags: Arc<std::collections::BTreeMap<String, String>>,
    /// The Alertmanager stand-in; its API is served when set.
    pub alertmanager: Option<outpost_alertmanager::Alertmanager>,
}

/// The router of the named listener: health and readiness everywhere, plus
/// the endpoints of the component that listener stands in for.
pub fn router_for(listener: &'static str, state: AppState) -> Router {
    let texts = HealthTexts::for_listener(listener);
    let base = health::router(texts);
    let r = match listener {
        "prometheus" => base
            .merge(metrics::router())
            .merge(prom::router())
            .merge(otlp::prometheus_router())
            .merge(lifecycle::router())
            .merge(outpost::router()),
        "alertmanager" if state.alertmanager.is_some() => {
            base.merge(lifecycle::router()).merge(am::router())
        }
        "alertmanager" => base.merge(lifecycle::router()),
        "otlp-http" => base.merge(otlp::http_router()),
        _ => base,
    };
    let mut r = r.with_state(state.clone());
    if listener == "otlp-grpc" {
        r = r.merge(otlp::grpc_router(state.clone()));
    }
    metrics::count_requests(r, listener, state.metrics)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};

    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    struct FakeReload(AtomicBool);

    impl Reload for FakeReload {
        fn reload(&self) -> Result<(), String> {
            if self.0.load(Ordering::SeqCst) {
                Ok(())
            } else {
                Err("bad config".into())
            }
        }
    }

    pub(crate) fn state(clock: Clock, reload_ok: bool) -> AppState {
        let tsdb = Arc::new(Tsdb::new(outpost_tsdb::Options::default()));
        AppState {
            metrics: Arc::new(SelfMetrics::new(clock.now_ms())),
            clock: clock.clone(),
            ready: Readiness::default(),
            reloader: Arc::new(FakeReload(AtomicBool::new(reload_ok))),
            tsdb: tsdb.clone(),
            remote_write: Arc::new(RemoteWriteCounters::default()),
            scrape: Arc::new(ScrapeManager::new(tsdb.clone(), clock.clone(), None)),
            otlp: Arc::new(OtlpCounters::default()),
            promql: Arc::new(outpost_promql::Engine::new(
                tsdb.clone(),
                Default::default(),
            )),
            config: tokio::sync::watch::channel(Arc::new(outpost_config::Stack::default())).1,
            flags: Arc::new(Default::default()),
            alertmanager: None,
            rules: outpost_rules::RuleManager::new(
                clock.clone(),
                tsdb.clone(),
                Arc::new(outpost_promql::Engine::new(
                    tsdb.clone(),
                    Default::default(),
                )),
                None,
            ),
        }
    }

    async fn call(r: &Router, method: &str, uri: &str) -> (StatusCode, String) {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .unwrap();
        let resp = r.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let body = resp.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8(body.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn ready_only_after_set_and_health_texts_match_upstream() {
        let s = state(Clock::manual(0), true);
        let r = router_for("prometheus", s.clone());
        assert_eq!(
            call(&r, "GET", "/-/ready").await.0,
            StatusCode::SERVICE_UNAVAILABLE
        );
        s.ready.set(true);
        assert_eq!(
            call(&r, "GET", "/-/ready").await,
            (StatusCode::OK, "Prometheus Server is Ready.\n".into())
        );
        assert_eq!(
            call(&r, "GET", "/-/healthy").await,
            (StatusCode::OK, "Prometheus Server is Healthy.\n".into())
        );
        let zipkin = router_for("zipkin", s.clone());
        assert_eq!(
            call(&zipkin, "GET", "/-/healthy").await,
            (StatusCode::OK, "OK".into())
        );
        assert_eq!(
            call(&zipkin, "GET", "/metrics").await.0,
            StatusCode::NOT_FOUND
        );
    }

    #[tokio::test]
    async fn metrics_count_requests_per_listener() {
        let s = state(Clock::manual(0), true);
        let r = router_for("prometheus", s.clone());
        call(&r, "GET", "/-/healthy").await;
        call(&r, "GET", "/nope").await;
        let (code, body) = call(&r, "GET", "/metrics").await;
        assert_eq!(code, StatusCode::OK);
        assert!(
            body.contains("outpost_http_requests_total{listener=\"prometheus\",code=\"200\"} 1\n"),
            "{body}"
        );
        assert!(
            body.contains("outpost_http_requests_total{listener=\"prometheus\",code=\"404\"} 1\n"),
            "{body}"
        );
        assert!(body.contains("# TYPE outpost_build_info gauge\n"));
    }

    #[tokio::test]
    async fn manual_clock_moves_through_the_api() {
        let s = state(Clock::manual(1_000_000), true);
        let r = router_for("prometheus", s.clone());
        let (code, body) = call(&r, "POST", "/outpost/v1/clock/advance?by=90s").await;
        assert_eq!(code, StatusCode::OK, "{body}");
        assert!(body.contains("\"unixMillis\":1090000"), "{body}");
        let (code, body) = call(
            &r,
            "POST",
            "/outpost/v1/clock/set?time=2026-11-24T10:00:00Z",
        )
        .await;
        assert_eq!(code, StatusCode::OK, "{body}");
        let (_, body) = call(&r, "GET", "/outpost/v1/clock").await;
        assert_eq!(
            body,
            r#"{"status":"success","data":{"mode":"manual","time":"2026-11-24T10:00:00Z","unixMillis":1795514400000}}"#
        );
        let (code, body) = call(&r, "POST", "/outpost/v1/clock/advance?by=5x").await;
        assert_eq!(code, StatusCode::BAD_REQUEST);
        assert!(body.contains("\"errorType\":\"bad_data\""), "{body}");
        let (code, body) = call(
            &r,
            "POST",
            "/outpost/v1/clock/set?time=2020-01-01T00:00:00Z",
        )
        .await;
        assert_eq!(code, StatusCode::BAD_REQUEST);
        assert!(body.contains("cannot move backwards"), "{body}");
    }

    #[tokio::test]
    async fn system_clock_refuses_to_move() {
        let r = router_for("prometheus", state(Clock::system(), true));
        let (code, body) = call(&r, "POST", "/outpost/v1/clock/advance?by=1m").await;
        assert_eq!(code, StatusCode::BAD_REQUEST);
        assert!(body.contains("--clock manual"), "{body}");
    }

    #[tokio::test]
    async fn reload_reports_failure_as_prometheus_does() {
        let r = router_for("prometheus", state(Clock::manual(0), false));
        let (code, body) = call(&r, "POST", "/-/reload").await;
        assert_eq!(code, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body, "failed to reload config: bad config\n");
        let ok = router_for("alertmanager", state(Clock::manual(0), true));
        assert_eq!(call(&ok, "POST", "/-/reload").await.0, StatusCode::OK);
        assert_eq!(
            call(&ok, "GET", "/-/reload").await.0,
            StatusCode::METHOD_NOT_ALLOWED
        );
    }
}
