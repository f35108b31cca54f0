//! `POST|PUT /-/reload` and `/-/quit`: re-read the configs (keeping the old
//! ones if the new are invalid) and shut down gracefully. On Prometheus'
//! listener both answer only with `--web.enable-lifecycle`, as Prometheus
//! gates them; Alertmanager's `/-/reload` is always on, as upstream.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;

/// Re-reads the configs and swaps them in when valid.
pub trait Reload: Send + Sync {
    /// Reloads; on failure the running config stays and the error says why.
    fn reload(&self) -> Result<(), String>;
}

/// What the lifecycle endpoints of one listener do.
#[derive(Clone)]
pub struct LifecycleState {
    /// Re-reads the configs.
    pub reloader: Arc<dyn Reload>,
    /// Starts a graceful shutdown; `None` where the listener has no `/-/quit`.
    pub quit: Option<Arc<dyn Fn() + Send + Sync>>,
    /// Whether the endpoints answer (`--web.enable-lifecycle` on Prometheus' listener).
    pub enabled: bool,
}

/// Prometheus' answer while the lifecycle API is off.
const DISABLED: &str = "Lifecycle API is not enabled.";

fn disabled() -> Response {
    (StatusCode::FORBIDDEN, DISABLED).into_response()
}

async fn reload(State(s): State<LifecycleState>) -> Response {
    if !s.enabled {
        return disabled();
    }
    // Reading a few config files is quick; doing it inline keeps reloads ordered.
    match s.reloader.reload() {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("failed to reload config: {e}\n"),
        )
            .into_response(),
    }
}

async fn quit(State(s): State<LifecycleState>) -> Response {
    match (&s.quit, s.enabled) {
        (Some(q), true) => {
            q();
            (StatusCode::OK, "Requesting termination... Goodbye!").into_response()
        }
        (Some(_), false) => disabled(),
        (None, _) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `/-/reload` and `/-/quit` with these settings.
pub fn router(state: LifecycleState) -> Router {
    Router::new()
        .route("/-/reload", post(reload).put(reload))
        .route("/-/quit", post(quit).put(quit))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use super::*;
    use crate::test_util::call;

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

    fn state(reload_ok: bool, enabled: bool, quits: Arc<AtomicUsize>) -> LifecycleState {
        LifecycleState {
            reloader: Arc::new(FakeReload(AtomicBool::new(reload_ok))),
            quit: Some(Arc::new(move || {
                quits.fetch_add(1, Ordering::SeqCst);
            })),
            enabled,
        }
    }

    #[tokio::test]
    async fn reload_reports_failure_as_prometheus_does() {
        let r = router(state(false, true, Default::default()));
        let (code, body) = call(&r, "POST", "/-/reload").await;
        assert_eq!(code, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body, "failed to reload config: bad config\n");
        let ok = router(state(true, true, Default::default()));
        assert_eq!(call(&ok, "POST", "/-/reload").await.0, StatusCode::OK);
        assert_eq!(call(&ok, "PUT", "/-/reload").await.0, StatusCode::OK);
        assert_eq!(
            call(&ok, "GET", "/-/reload").await.0,
            StatusCode::METHOD_NOT_ALLOWED
        );
    }

    #[tokio::test]
    async fn lifecycle_endpoints_answer_403_unless_enabled() {
        let quits = Arc::new(AtomicUsize::new(0));
        let off = router(state(true, false, quits.clone()));
        for path in ["/-/reload", "/-/quit"] {
            assert_eq!(
                call(&off, "POST", path).await,
                (StatusCode::FORBIDDEN, DISABLED.to_string())
            );
        }
        assert_eq!(quits.load(Ordering::SeqCst), 0);
        let on = router(state(true, true, quits.clone()));
        assert_eq!(
            call(&on, "POST", "/-/quit").await,
            (
                StatusCode::OK,
                "Requesting termination... Goodbye!".to_string()
            )
        );
        assert_eq!(quits.load(Ordering::SeqCst), 1);
    }
}
