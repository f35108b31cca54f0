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

/// File the generated `elastic` password goes to.
pub(crate) const ELASTIC_PASSWORD_FILE: &str = "elastic-password";

/// 20 characters of `[A-Za-z0-9]` from the OS's randomness (the std hasher's random keys).
fn generated_password() -> String {
    use std::hash::{BuildHasher, Hasher};
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(20);
    while out.len() < 20 {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_usize(out.len());
        let mut x = h.finish();
        for _ in 0..5 {
            out.push(ALPHABET[(x % ALPHABET.len() as u64) as usize] as char);
            x /= ALPHABET.len() as u64;
        }
    }
    out.truncate(20);
    out
}

/// Writes `text` to `path`, readable by the owner only.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(text.as_bytes())?;
    f.write_all(b"\n")
}

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
    let opts = StoreOptions {
        max_bytes: args.logs_max_bytes,
        data_dir: args.data_dir.clone(),
        ..StoreOptions::default()
    };
    let store = Arc::new(match &opts.data_dir {
        // indices on disk under <data-dir>/logs/, reopened from an earlier run
        Some(dir) => LogStore::open(opts.clone(), clock.clone())
            .with_context(|| format!("opening the log store under {}", dir.display()))?,
        None => LogStore::new(opts, clock.clone()),
    });
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
        let mut elastic = std::env::var("ELASTIC_PASSWORD")
            .ok()
            .filter(|p| !p.is_empty())
            .map(Secret::new);
        if elastic.is_none() && users.is_empty() {
            // as Elasticsearch 8 does on its first start: a generated password for `elastic`,
            // here written to a file (never logged) next to the other files Outpost writes
            let path = crate::serve::sidecar_dir(args).join(ELASTIC_PASSWORD_FILE);
            let pw = generated_password();
            write_private(&path, &pw).with_context(|| format!("writing {}", path.display()))?;
            info!(
                file = %path.display(),
                "elasticsearch security is on and no user is configured: generated a password for user elastic (set ELASTIC_PASSWORD or --elasticsearch.users to choose)"
            );
            elastic = Some(Secret::new(pw));
        }
        let auth = EsAuth::basic(users, elastic);
        info!(
            users = auth.user_count(),
            "elasticsearch security enabled (xpack.security.enabled: true): basic auth required"
        );
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_are_20_alphanumerics_and_differ() {
        let a = generated_password();
        let b = generated_password();
        assert_eq!(a.len(), 20);
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn the_password_file_is_private() {
        let path = std::env::temp_dir().join(format!("outpost-pw-{}", std::process::id()));
        write_private(&path, "s3cret").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "s3cret\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_file(&path);
    }
}
