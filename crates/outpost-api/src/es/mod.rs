//! The Elasticsearch family on the `elasticsearch` listener (9200): the REST
//! API the official clients, Beats, Logstash and Grafana use, over the
//! [`LogStore`]. One handler takes every request through the same steps, as
//! Elasticsearch's REST layer does: body limit (`http.max_content_length`,
//! also on the gzip-decoded size), authentication when security is on,
//! media types (compatibility types accepted and echoed), then the route
//! table in [`routes`] (ES's own 400/405 texts for unknown paths and
//! methods). Every response carries `X-Elastic-Product: Elasticsearch`, and
//! `filter_path` applies to every JSON answer ([`filter_path`]).
//!
//! One file per area: [`documents`] (`_doc`, `_create`, `_source`,
//! `_update`, `_mget`), [`bulk`], [`search`] (`_search`, `_msearch`,
//! `_count`, `typed_keys`), [`scroll`], [`indices`] (index admin, mappings,
//! settings, aliases, data streams, templates, field caps, refresh, delete by
//! query), [`cluster`] (`/`, license, xpack, health, `_cat`, ILM policies and
//! ingest pipelines kept but not run), [`security`], [`error`] and
//! [`counters`].

mod bulk;
mod cluster;
mod counters;
mod documents;
mod error;
mod filter_path;
mod indices;
mod request;
mod routes;
mod scroll;
mod search;
mod security;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::any;
use outpost_logs::LogStore;

pub use counters::EsCounters;
pub use security::EsAuth;

/// `http.max_content_length`: the largest request body, compressed or not.
pub const MAX_CONTENT_LENGTH: usize = 100 << 20;

/// The version `GET /` reports (clients check the major and the product header).
pub const VERSION: &str = "8.15.0";

/// What the Elasticsearch family reaches.
#[derive(Clone)]
pub struct EsState {
    /// The log store.
    pub store: Arc<LogStore>,
    /// `cluster.name` of the loaded `elasticsearch.yml`, else `outpost`.
    pub cluster_name: String,
    /// Who may call (security off, or basic auth against the configured users).
    pub auth: Arc<EsAuth>,
    /// Refused requests, for `/metrics`.
    pub counters: Arc<EsCounters>,
    /// Lifecycle policies by name (`_ilm/policy`), kept but not run.
    pub(crate) ilm: Arc<Mutex<BTreeMap<String, serde_json::Value>>>,
    /// Ingest pipelines by id (`_ingest/pipeline`), kept but not run.
    pub(crate) pipelines: Arc<Mutex<BTreeMap<String, serde_json::Value>>>,
    /// Open scroll contexts by id.
    pub(crate) scrolls: Arc<Mutex<scroll::Scrolls>>,
    /// Indices closed with `POST /{index}/_close` (kept, not searchable).
    pub(crate) closed: Arc<Mutex<std::collections::BTreeSet<String>>>,
}

impl EsState {
    /// A state over `store` with `cluster_name` and `auth`.
    pub fn new(store: Arc<LogStore>, cluster_name: impl Into<String>, auth: EsAuth) -> Self {
        EsState {
            store,
            cluster_name: cluster_name.into(),
            auth: Arc::new(auth),
            counters: Arc::new(EsCounters::default()),
            ilm: Arc::default(),
            pipelines: Arc::default(),
            scrolls: Arc::default(),
            closed: Arc::default(),
        }
    }

    /// A stable cluster UUID derived from the cluster name (22 URL-safe
    /// characters, as ES prints them).
    pub(crate) fn cluster_uuid(&self) -> String {
        uuid_like(&self.cluster_name, 0x5eed)
    }
}

/// 22 URL-safe base64 characters derived from `seed` (FNV-1a, twice).
pub(crate) fn uuid_like(seed: &str, salt: u64) -> String {
    use base64::Engine as _;
    let mut h1: u64 = 0xcbf2_9ce4_8422_2325 ^ salt;
    let mut h2: u64 = 0x8422_2325_cbf2_9ce4 ^ salt.rotate_left(7);
    for b in seed.bytes() {
        h1 = (h1 ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        h2 = (h2 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3 ^ 0x10);
    }
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&h1.to_be_bytes());
    bytes[8..].copy_from_slice(&h2.to_be_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The Elasticsearch listener's routes: every path and method goes to one
/// handler, which answers unknown ones as Elasticsearch does.
pub fn router(state: EsState) -> Router {
    crate::body::without_default_limit(
        Router::new()
            .route("/", any(handle))
            .fallback(handle)
            .with_state(state),
    )
}

/// Adds `X-Elastic-Product: Elasticsearch` to every response of `router`
/// (the listener's health and Outpost routes too), as ES adds it before any
/// handler runs.
pub fn with_product_header(router: Router) -> Router {
    router.layer(axum::middleware::map_response(
        |mut resp: Response| async move {
            resp.headers_mut().insert(
                "x-elastic-product",
                axum::http::HeaderValue::from_static("Elasticsearch"),
            );
            resp
        },
    ))
}

async fn handle(State(state): State<EsState>, req: Request) -> Response {
    request::handle(state, req).await
}

/// Writes the store's figures and the family's counters for `/metrics`.
pub fn render_metrics(state: &EsState, w: &mut String) {
    counters::render_store(&state.store.stats(), state.store.options().max_bytes, w);
    state.counters.render(w);
}

#[cfg(test)]
mod tests;
