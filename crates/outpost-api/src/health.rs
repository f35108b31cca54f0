//! `/-/healthy` and `/-/ready`, answered as the real component answers them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;

use crate::AppState;

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
    /// Prometheus' texts on its listener, Alertmanager's on its, `OK` elsewhere.
    pub fn for_listener(name: &str) -> Self {
        match name {
            "prometheus" => HealthTexts {
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

pub(crate) fn router(texts: HealthTexts) -> Router<AppState> {
    Router::new()
        .route(
            "/-/healthy",
            get(move || async move { texts.healthy }).head(|| async { StatusCode::OK }),
        )
        .route(
            "/-/ready",
            get(
                move |axum::extract::State(s): axum::extract::State<AppState>| async move {
                    if s.ready.get() {
                        (StatusCode::OK, texts.ready)
                    } else {
                        (StatusCode::SERVICE_UNAVAILABLE, texts.not_ready)
                    }
                },
            ),
        )
}
