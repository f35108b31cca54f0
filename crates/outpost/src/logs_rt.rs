//! The logs row at runtime: the log store bounded by `--logs.max-bytes`, its
//! refresh policy driven every 250 ms of clock time, security as the loaded
//! `elasticsearch.yml` sets it (users from `--elasticsearch.users` and
//! `ELASTIC_PASSWORD`), and its figures and counters on `/metrics`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use outpost_api::{EsAuth, EsState, SelfMetrics, es};
use outpost_clock::Clock;
use outpost_config::{Secret, Stack, parse_users};
use outpost_logs::{LogStore, StoreOptions};
use tracing::{info, warn};

use crate::ServeArgs;

/// How often the store's refresh policy runs, in clock time.
const TICK: Duration = Duration::from_millis(250);

/// Builds the Elasticsearch family's state and starts the refresh ticker.
pub(crate) fn start(
    args: &ServeArgs,
    stack: &Stack,
    clock: &Clock,
    metrics: &SelfMetrics,
) -> Result<EsState> {
    if args.logs_max_bytes == 0 {
        bail!("--logs.max-bytes must be at least 1");
    }
    let store = Arc::new(LogStore::new(
        StoreOptions {
            max_bytes: args.logs_max_bytes,
            ..StoreOptions::default()
        },
        clock.clone(),
    ));
    let es_file = stack.elasticsearch.clone().unwrap_or_default();
    let auth = if es_file.security_enabled {
        let users = match &args.elasticsearch_users {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("--elasticsearch.users {}", path.display()))?;
                parse_users(&text)
                    .map_err(|e| anyhow::anyhow!("--elasticsearch.users {}: {e}", path.display()))?
            }
            None => Vec::new(),
        };
        let elastic = std::env::var("ELASTIC_PASSWORD").ok().map(Secret::new);
        let auth = EsAuth::basic(users, elastic);
        info!(
            users = auth.user_count(),
            "elasticsearch security enabled (xpack.security.enabled: true): basic auth required"
        );
        if auth.user_count() == 0 {
            warn!(
                "no elasticsearch users configured (--elasticsearch.users FILE or ELASTIC_PASSWORD): every elasticsearch request will be refused with 401"
            );
        }
        auth
    } else {
        EsAuth::open()
    };
    let state = EsState::new(
        store.clone(),
        es_file.cluster_name.as_deref().unwrap_or("outpost"),
        auth,
    );
    let st = state.clone();
    metrics.register(Box::new(move |w: &mut String| es::render_metrics(&st, w)));
    let clock = clock.clone();
    tokio::spawn(async move {
        loop {
            clock.sleep(TICK).await;
            let s = store.clone();
            if let Ok(Err(e)) = tokio::task::spawn_blocking(move || s.tick()).await {
                warn!(error = %e, "log store refresh failed");
            }
        }
    });
    Ok(state)
}
