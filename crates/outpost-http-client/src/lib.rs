//! Outbound HTTP clients built from Prometheus' client settings (TLS, proxy,
//! redirects) and the per-request credentials (basic auth, bearer tokens,
//! the Authorization header), re-reading credential files on every request.
//! Scraping, discovery, the rule notifier and Alertmanager's integrations
//! all build their clients here.

use std::path::{Path, PathBuf};
use std::sync::Once;

use outpost_config::{HttpClientConfig, resolve_relative};

/// Installs the ring crypto provider for rustls once per process.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// Credentials to add to each request (basic auth, bearer token,
/// `authorization`), read from the config or its files.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    basic: Option<(String, Option<String>, Option<PathBuf>)>,
    scheme_and_secret: Option<(String, Option<String>, Option<PathBuf>)>,
}

impl Auth {
    /// The credentials of these settings; files resolve against `base`.
    pub fn from_config(c: &HttpClientConfig, base: &Path) -> Self {
        let mut a = Auth::default();
        if let Some(b) = &c.basic_auth {
            a.basic = Some((
                b.username.clone(),
                b.password.as_ref().map(|p| p.expose().to_string()),
                b.password_file
                    .as_deref()
                    .map(|f| resolve_relative(base, f)),
            ));
        }
        if let Some(t) = &c.bearer_token {
            a.scheme_and_secret = Some(("Bearer".into(), Some(t.expose().to_string()), None));
        } else if let Some(f) = &c.bearer_token_file {
            a.scheme_and_secret = Some(("Bearer".into(), None, Some(resolve_relative(base, f))));
        } else if let Some(z) = &c.authorization {
            a.scheme_and_secret = Some((
                z.kind.clone().unwrap_or_else(|| "Bearer".into()),
                z.credentials.as_ref().map(|c| c.expose().to_string()),
                z.credentials_file
                    .as_deref()
                    .map(|f| resolve_relative(base, f)),
            ));
        }
        a
    }

    /// Adds the credentials; an unreadable credentials file is logged and skipped.
    pub fn apply(&self, mut req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        let read = |p: &PathBuf| match std::fs::read_to_string(p) {
            Ok(s) => Some(s.trim().to_string()),
            Err(e) => {
                tracing::debug!(file = %p.display(), error = %e, "cannot read credentials file; request goes without it");
                None
            }
        };
        if let Some((user, pass, file)) = &self.basic {
            let pass = pass.clone().or_else(|| file.as_ref().and_then(read));
            req = req.basic_auth(user, pass);
        }
        if let Some((scheme, secret, file)) = &self.scheme_and_secret
            && let Some(s) = secret.clone().or_else(|| file.as_ref().and_then(read))
        {
            req = req.header("Authorization", format!("{scheme} {s}"));
        }
        req
    }
}

/// Builds a client for these settings; files are resolved against `base`.
pub fn build_client(c: &HttpClientConfig, base: &Path) -> Result<reqwest::Client, String> {
    install_crypto_provider();
    // reqwest's own decompression is not enabled: scrape bodies are gunzipped
    // by the scrape loop so body_size_limit applies to the decompressed size.
    let mut b =
        reqwest::Client::builder().user_agent(concat!("Outpost/", env!("CARGO_PKG_VERSION")));
    b = if c.follow_redirects {
        b.redirect(reqwest::redirect::Policy::limited(10))
    } else {
        b.redirect(reqwest::redirect::Policy::none())
    };
    if let Some(p) = &c.proxy_url {
        b = b.proxy(reqwest::Proxy::all(p).map_err(|e| format!("invalid proxy_url: {e}"))?);
    } else {
        b = b.no_proxy();
    }
    if let Some(t) = &c.tls_config {
        if t.insecure_skip_verify {
            b = b.danger_accept_invalid_certs(true);
        }
        let ca = match (&t.ca, &t.ca_file) {
            (Some(pem), _) => Some(pem.clone().into_bytes()),
            (None, Some(f)) => std::fs::read(resolve_relative(base, f)).ok(),
            _ => None,
        };
        if let Some(pem) = ca {
            for cert in reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| format!("invalid CA: {e}"))?
            {
                b = b.add_root_certificate(cert);
            }
        }
        let load = |inline: &Option<String>, file: &Option<String>| match (inline, file) {
            (Some(s), _) => Some(s.clone().into_bytes()),
            (None, Some(f)) => std::fs::read(resolve_relative(base, f)).ok(),
            _ => None,
        };
        let key = t.key.as_ref().map(|k| k.expose().to_string());
        if let (Some(mut cert), Some(key)) = (load(&t.cert, &t.cert_file), load(&key, &t.key_file))
        {
            cert.extend_from_slice(b"\n");
            cert.extend_from_slice(&key);
            let id = reqwest::Identity::from_pem(&cert)
                .map_err(|e| format!("invalid client certificate: {e}"))?;
            b = b.identity(id);
        }
    }
    b.build().map_err(|e| e.to_string())
}
