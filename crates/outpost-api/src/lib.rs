//! Outpost's HTTP and gRPC APIs, one module per API family. Each family owns
//! its state type and builds its own `router(state)`; the binary merges the
//! routers that belong on each listener ([`Listener`]). Handlers are thin:
//! decoding, the family's one error mapping, and calls into domain crates.
//!
//! Families: [`prom`] (Prometheus HTTP API, remote write), [`am`]
//! (Alertmanager API v2), [`es`] (the Elasticsearch REST API over the log
//! store), [`otlp`] (OTLP/HTTP and OTLP/gRPC receivers),
//! [`outpost`] (Outpost's own `/outpost/v1/` endpoints, on every HTTP
//! listener), and the listener-wide pieces: [`health`], [`lifecycle`]
//! (`/-/reload`) and [`metrics`] (`/metrics`, request counting).

pub mod am;
mod body;
mod envelope;
pub mod es;
mod form;
mod grpc_limit;
pub mod health;
pub mod jaeger;
pub mod lifecycle;
mod listeners;
pub mod metrics;
pub mod otlp;
pub mod otlp_logs;
pub mod outpost;
pub mod prom;

pub use am::AmState;
pub use body::{TooLargeCounter, render_body_too_large};
pub use envelope::{ApiError, ErrorType, success};
pub use es::{EsAuth, EsCounters, EsState};
pub use health::{HealthTexts, Readiness};
pub use jaeger::{JaegerState, TraceCounters};
pub use lifecycle::Reload;
pub use listeners::{LISTENERS, Listener, ListenerSpec, Protocol};
pub use metrics::{Collector, SelfMetrics};
pub use otlp::{OtlpCounters, OtlpState};
pub use outpost::OutpostState;
pub use prom::{PromState, RemoteWriteCounters};

#[cfg(test)]
mod test_util {
    use std::sync::Arc;

    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    /// A Prometheus API state over an empty TSDB with `stack` loaded.
    pub(crate) fn prom_state(
        clock: outpost_clock::Clock,
        stack: outpost_config::Stack,
    ) -> crate::PromState {
        let tsdb = Arc::new(outpost_tsdb::Tsdb::new(Default::default()));
        let promql = Arc::new(outpost_promql::Engine::new(
            tsdb.clone(),
            Default::default(),
        ));
        crate::PromState {
            clock: clock.clone(),
            tsdb: tsdb.clone(),
            promql: promql.clone(),
            scrape: Arc::new(outpost_scrape::ScrapeManager::new(
                tsdb.clone(),
                clock.clone(),
                None,
            )),
            rules: outpost_rules::RuleManager::new(clock.clone(), tsdb, promql, None),
            config: tokio::sync::watch::channel(Arc::new(stack)).1,
            flags: Default::default(),
            metrics: Arc::new(crate::SelfMetrics::new(clock.now_ms())),
            remote_write: Default::default(),
            query_gate: Arc::new(tokio::sync::Semaphore::new(1)),
        }
    }

    /// Sends one request without a body through `r`; status and body text.
    pub(crate) async fn call(r: &Router, method: &str, uri: &str) -> (StatusCode, String) {
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
}
