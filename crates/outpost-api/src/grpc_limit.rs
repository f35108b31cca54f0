//! The receivers' gRPC services (spans, logs) as axum routers: mounted without a
//! fallback (tonic's `Routes` adds one, and axum cannot merge two routers
//! that both have a fallback, as the otlp-grpc listener merges the metrics
//! and traces and logs services), and with the message limit as gRPC-Go answers
//! it: tonic refuses a message above its `max_decoding_message_size` with
//! OUT_OF_RANGE, the Collector and Jaeger (gRPC-Go) with
//! RESOURCE_EXHAUSTED, so a layer rewrites tonic's answer and counts the
//! refusal.

use axum::Router;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use std::convert::Infallible;
use tonic::server::NamedService;

const GRPC_STATUS: &str = "grpc-status";
/// tonic's answer to an over-limit message, and gRPC-Go's.
const OUT_OF_RANGE: &[u8] = b"11";
const RESOURCE_EXHAUSTED: &str = "8";

/// A router serving the tonic service `svc` at `/<package.Service>/<method>`,
/// with no fallback.
pub(crate) fn service_router<S>(svc: S) -> Router
where
    S: tonic::codegen::Service<Request, Error = Infallible>
        + NamedService
        + Clone
        + Send
        + Sync
        + 'static,
    S::Response: IntoResponse,
    S::Future: Send + 'static,
{
    Router::new().route_service(&format!("/{}/{{*rest}}", S::NAME), svc)
}

/// Wraps `router` (tonic routes) so over-limit messages get
/// RESOURCE_EXHAUSTED and are counted by `count_too_large`.
pub(crate) fn resource_exhausted_over_limit<F>(router: Router, count_too_large: F) -> Router
where
    F: Fn() + Clone + Send + Sync + 'static,
{
    router.layer(middleware::from_fn(move |req: Request, next: Next| {
        let count = count_too_large.clone();
        async move {
            let mut resp = next.run(req).await;
            // A refused message gets a trailers-only answer (the status is
            // in the headers). The services never answer OUT_OF_RANGE or
            // RESOURCE_EXHAUSTED themselves: those are tonic's size checks.
            let too_large = match resp.headers().get(GRPC_STATUS).map(|v| v.as_bytes()) {
                Some(s) if s == OUT_OF_RANGE => {
                    resp.headers_mut()
                        .insert(GRPC_STATUS, HeaderValue::from_static(RESOURCE_EXHAUSTED));
                    true
                }
                Some(s) => s == RESOURCE_EXHAUSTED.as_bytes(),
                None => false,
            };
            if too_large {
                count();
            }
            resp
        }
    }))
}
