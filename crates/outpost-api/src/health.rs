//! `/-/healthy` and `/-/ready`, answered as the real component answers them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;

/// Shared readiness flag.
#[derive(Debug, Clone, Default)]
pub struct Readiness(Arc<AtomicBool>);

impl Readiness {
    /// Marks ready or not ready.
    pub fn set(&self, ready: bool) {
        self.0.store(ready, Ordering::SeqCst);
    }

    /// Whether ready.
    pub fn get(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Response bodies of the health endpoints of one listener.
#[derive(Debug, Clone, Copy)]
pub struct HealthTexts {
    /// Body of `/-/healthy`.
    pub healthy: &'static str,
    /// Body of `/-/ready` when ready.
    pub ready: &'static str,
    /// Body of `/-/ready` before ready.
    pub not_ready: &'static str,
}

impl HealthTexts {
    /// Prometheus' texts on its listener, `OK` elsewhere (Alertmanager answers `OK` too).
    pub fn for_listener(listener: crate::Listener) -> Self {
        match listener {
            crate::Listener::Prometheus => HealthTexts {
                healthy: "Prometheus Server is Healthy.\n",
                ready: "Prometheus Server is Ready.\n",
                not_ready: "Service Unavailable",
            },
            _ => HealthTexts {
                healthy: "OK",
                ready: "OK",
                not_ready: "Service Unavailable",
            },
        }
    }
}

/// `/-/healthy` and `/-/ready` of one listener.
pub fn router(texts: HealthTexts, ready: Readiness) -> Router {
    Router::new()
        .route(
            "/-/healthy",
            get(move || async move { texts.healthy }).head(|| async { StatusCode::OK }),
        )
        .route(
            "/-/ready",
            get(move || async move {
                if ready.get() {
                    (StatusCode::OK, texts.ready)
                } else {
                    (StatusCode::SERVICE_UNAVAILABLE, texts.not_ready)
                }
            }),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Listener;
    use crate::test_util::call;

    #[tokio::test]
    async fn ready_only_after_set_and_health_texts_match_upstream() {
        let ready = Readiness::default();
        let r = router(
            HealthTexts::for_listener(Listener::Prometheus),
            ready.clone(),
        );
        assert_eq!(
            call(&r, "GET", "/-/ready").await.0,
            StatusCode::SERVICE_UNAVAILABLE
        );
        ready.set(true);
        assert_eq!(
            call(&r, "GET", "/-/ready").await,
            (StatusCode::OK, "Prometheus Server is Ready.\n".into())
        );
        assert_eq!(
            call(&r, "GET", "/-/healthy").await,
            (StatusCode::OK, "Prometheus Server is Healthy.\n".into())
        );
        let zipkin = router(HealthTexts::for_listener(Listener::Zipkin), ready);
        assert_eq!(
            call(&zipkin, "GET", "/-/healthy").await,
            (StatusCode::OK, "OK".into())
        );
        assert_eq!(call(&zipkin, "HEAD", "/-/healthy").await.0, StatusCode::OK);
    }
}
