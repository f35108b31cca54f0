//! Prometheus' common HTTP client settings (auth, TLS, proxy), shared by
//! scrape configs, service discovery, alertmanager and remote-write targets.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::secret::Secret;
use crate::source::{Files, resolve_relative};

/// HTTP basic authentication (`Authorization: Basic ...`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    /// User name sent with every request.
    #[serde(default)]
    pub username: String,
    /// File whose content is the user name (read on every request).
    #[serde(default)]
    pub username_file: Option<String>,
    /// Password sent with the user name; a secret.
    #[serde(default)]
    pub password: Option<Secret>,
    /// File holding the password.
    #[serde(default)]
    pub password_file: Option<String>,
}

/// The `Authorization` header (`<type> <credentials>`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Authorization {
    /// Scheme; `Bearer` when unset.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Credentials written after the scheme; a secret.
    #[serde(default)]
    pub credentials: Option<Secret>,
    /// File holding the credentials.
    #[serde(default)]
    pub credentials_file: Option<String>,
}

/// TLS settings of a client.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// CA certificate, inline PEM.
    #[serde(default)]
    pub ca: Option<String>,
    /// CA certificate file.
    #[serde(default)]
    pub ca_file: Option<String>,
    /// Client certificate, inline PEM.
    #[serde(default)]
    pub cert: Option<String>,
    /// Client certificate file.
    #[serde(default)]
    pub cert_file: Option<String>,
    /// Client private key, inline PEM; a secret.
    #[serde(default)]
    pub key: Option<Secret>,
    /// Client key file.
    #[serde(default)]
    pub key_file: Option<String>,
    /// Server name for SNI and verification.
    #[serde(default)]
    pub server_name: Option<String>,
    /// Skip server certificate verification.
    #[serde(default)]
    pub insecure_skip_verify: bool,
    /// Minimum TLS version (`TLS12`, `TLS13`).
    #[serde(default)]
    pub min_version: Option<String>,
    /// Maximum TLS version.
    #[serde(default)]
    pub max_version: Option<String>,
}

/// OAuth 2.0 client credentials.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OAuth2 {
    /// Client id sent to the token endpoint.
    pub client_id: String,
    /// Client secret sent to the token endpoint; a secret.
    #[serde(default)]
    pub client_secret: Option<Secret>,
    /// File holding the client secret.
    #[serde(default)]
    pub client_secret_file: Option<String>,
    /// Scopes requested with the token.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// URL of the token endpoint.
    pub token_url: String,
    /// Extra token request parameters.
    #[serde(default)]
    pub endpoint_params: BTreeMap<String, String>,
    /// TLS for the token endpoint.
    #[serde(default)]
    pub tls_config: Option<TlsConfig>,
    /// Proxy for the token endpoint.
    #[serde(default)]
    pub proxy_url: Option<String>,
}

/// Declares a config struct that carries Prometheus' HTTP client fields
/// inline (serde's `flatten` cannot be combined with `deny_unknown_fields`).
macro_rules! with_http_client {
    (
        $(#[$m:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$fm:meta])* $fvis:vis $f:ident : $t:ty, )*
        }
    ) => {
        $(#[$m])*
        #[allow(dead_code)]
        $vis struct $name {
            $( $(#[$fm])* $fvis $f: $t, )*
            /// HTTP basic authentication.
            #[serde(default)]
            $vis basic_auth: Option<$crate::http::BasicAuth>,
            /// The Authorization header.
            #[serde(default)]
            $vis authorization: Option<$crate::http::Authorization>,
            /// OAuth 2.0.
            #[serde(default)]
            $vis oauth2: Option<$crate::http::OAuth2>,
            /// Bearer token (deprecated form of `authorization`); a secret.
            #[serde(default)]
            $vis bearer_token: Option<$crate::secret::Secret>,
            /// File holding the bearer token.
            #[serde(default)]
            $vis bearer_token_file: Option<String>,
            /// TLS settings: CA, client certificate and key, server name.
            #[serde(default)]
            $vis tls_config: Option<$crate::http::TlsConfig>,
            /// URL of the HTTP proxy requests go through.
            #[serde(default)]
            $vis proxy_url: Option<String>,
            /// Hosts that bypass the proxy.
            #[serde(default)]
            $vis no_proxy: Option<String>,
            /// Use the proxy of the environment.
            #[serde(default)]
            $vis proxy_from_environment: Option<bool>,
            /// Headers for proxy CONNECT requests; their values are secrets.
            #[serde(default)]
            $vis proxy_connect_header: Option<std::collections::BTreeMap<String, Vec<$crate::secret::Secret>>>,
            /// Follow redirects (default true).
            #[serde(default)]
            $vis follow_redirects: Option<bool>,
            /// Allow HTTP/2 (default true).
            #[serde(default)]
            $vis enable_http2: Option<bool>,
            /// Extra headers sent with every request (accepted, not sent yet).
            #[serde(default)]
            $vis http_headers: Option<std::collections::BTreeMap<String, $crate::http::HttpHeader>>,
        }

        impl $name {
            /// The HTTP client settings of this block.
            $vis fn http_client(&self) -> $crate::http::HttpClientConfig {
                $crate::http::HttpClientConfig {
                    basic_auth: self.basic_auth.clone(),
                    authorization: self.authorization.clone(),
                    oauth2: self.oauth2.clone(),
                    bearer_token: self.bearer_token.clone(),
                    bearer_token_file: self.bearer_token_file.clone(),
                    tls_config: self.tls_config.clone(),
                    proxy_url: self.proxy_url.clone(),
                    follow_redirects: self.follow_redirects.unwrap_or(true),
                    enable_http2: self.enable_http2.unwrap_or(true),
                }
            }
        }
    };
}
pub(crate) use with_http_client;

/// The HTTP client settings Outpost acts on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HttpClientConfig {
    /// HTTP basic authentication.
    pub basic_auth: Option<BasicAuth>,
    /// The Authorization header.
    pub authorization: Option<Authorization>,
    /// OAuth 2.0.
    pub oauth2: Option<OAuth2>,
    /// Bearer token; a secret.
    pub bearer_token: Option<Secret>,
    /// File holding the bearer token.
    pub bearer_token_file: Option<String>,
    /// TLS settings: CA, client certificate and key, server name.
    pub tls_config: Option<TlsConfig>,
    /// URL of the HTTP proxy requests go through.
    pub proxy_url: Option<String>,
    /// Whether 3xx redirects are followed (default true).
    pub follow_redirects: bool,
    /// Allow HTTP/2.
    pub enable_http2: bool,
}

/// One `http_headers` entry: literal values, secret values and files whose
/// content is a value.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HttpHeader {
    /// Values sent as written.
    #[serde(default)]
    pub values: Vec<String>,
    /// Values that are secrets.
    #[serde(default)]
    pub secrets: Vec<Secret>,
    /// Files whose content is a value.
    #[serde(default)]
    pub files: Vec<String>,
}

/// AWS Signature Version 4 signing (`sigv4:` of remote-write and SNS).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct SigV4Config {
    /// AWS region; from the environment when unset.
    #[serde(default)]
    pub(crate) region: Option<String>,
    /// AWS access key id.
    #[serde(default)]
    pub(crate) access_key: Option<String>,
    /// AWS secret access key; a secret.
    #[serde(default)]
    pub(crate) secret_key: Option<Secret>,
    /// Named AWS profile used for the credentials.
    #[serde(default)]
    pub(crate) profile: Option<String>,
    /// AWS role to assume.
    #[serde(default)]
    pub(crate) role_arn: Option<String>,
    /// Use the FIPS endpoint (Alertmanager's SNS).
    #[serde(default)]
    pub(crate) use_fips_sts_endpoint: Option<bool>,
}

with_http_client! {
    /// A standalone `http_config:` block (Alertmanager receivers, global).
    #[derive(Debug, Clone, Default, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    pub struct HttpConfigBlock {
    }
}

/// Directory every Kubernetes pod has its service-account files in.
pub(crate) const IN_CLUSTER_DIR: &str = "/var/run/secrets/kubernetes.io/";

/// A problem found in HTTP client settings: errors fail the config, warnings do not.
#[derive(Debug)]
pub(crate) enum Finding {
    Error(String),
    Warning(String),
}

impl HttpClientConfig {
    /// Checks the settings as Prometheus' common config does, and that every
    /// referenced file exists (as promtool does). Files under the in-cluster
    /// service-account directory only exist inside a pod: warnings.
    pub(crate) fn check(&self, base_file: &Path, files: &Files) -> Vec<Finding> {
        let mut out = Vec::new();
        let bearer = self.bearer_token.is_some() as u8 + self.bearer_token_file.is_some() as u8;
        if bearer > 1 {
            out.push(Finding::Error(
                "at most one of bearer_token & bearer_token_file must be configured".into(),
            ));
        }
        let methods = self.basic_auth.is_some() as u8 + self.oauth2.is_some() as u8 + bearer.min(1);
        if methods > 1 {
            out.push(Finding::Error(
                "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured"
                    .into(),
            ));
        }
        if let Some(auth) = &self.authorization {
            if bearer > 0 {
                out.push(Finding::Error(
                    "authorization is not compatible with bearer_token & bearer_token_file".into(),
                ));
            }
            if self.basic_auth.is_some() || self.oauth2.is_some() {
                out.push(Finding::Error(
                    "at most one of basic_auth, oauth2 & authorization must be configured".into(),
                ));
            }
            if auth
                .kind
                .as_deref()
                .is_some_and(|k| k.eq_ignore_ascii_case("basic"))
            {
                out.push(Finding::Error(
                    "authorization type cannot be set to \"basic\", use \"basic_auth\" instead"
                        .into(),
                ));
            }
            if auth.credentials.is_some() && auth.credentials_file.is_some() {
                out.push(Finding::Error(
                    "at most one of authorization credentials & credentials_file must be configured"
                        .into(),
                ));
            }
        }
        if let Some(b) = &self.basic_auth
            && b.password.is_some()
            && b.password_file.is_some()
        {
            out.push(Finding::Error(
                "at most one of basic_auth password & password_file must be configured".into(),
            ));
        }
        if let Some(t) = &self.tls_config {
            for (inline, file, name) in [
                (t.ca.is_some(), &t.ca_file, "ca"),
                (t.cert.is_some(), &t.cert_file, "cert"),
                (t.key.is_some(), &t.key_file, "key"),
            ] {
                if inline && file.is_some() {
                    out.push(Finding::Error(format!(
                        "at most one of {name} and {name}_file must be configured"
                    )));
                }
            }
            if (t.cert.is_some() || t.cert_file.is_some())
                != (t.key.is_some() || t.key_file.is_some())
            {
                out.push(Finding::Error(
                    "exactly one of key or key_file must be configured when a client certificate is configured"
                        .into(),
                ));
            }
        }
        let mut referenced: Vec<(&str, &str)> = Vec::new();
        if let Some(f) = &self.bearer_token_file {
            referenced.push(("bearer token file", f));
        }
        if let Some(f) = self
            .authorization
            .as_ref()
            .and_then(|a| a.credentials_file.as_deref())
        {
            referenced.push(("authorization credentials file", f));
        }
        if let Some(f) = self
            .basic_auth
            .as_ref()
            .and_then(|a| a.password_file.as_deref())
        {
            referenced.push(("basic auth password file", f));
        }
        if let Some(t) = &self.tls_config {
            for (what, f) in [
                ("CA file", &t.ca_file),
                ("client cert file", &t.cert_file),
                ("client key file", &t.key_file),
            ] {
                if let Some(f) = f {
                    referenced.push((what, f));
                }
            }
        }
        for (what, f) in referenced {
            let resolved = resolve_relative(base_file, f);
            if files.exists(&resolved) {
                continue;
            }
            if f.starts_with(IN_CLUSTER_DIR) {
                out.push(Finding::Warning(format!(
                    "{what} {f:?} is an in-cluster service-account file and does not exist outside Kubernetes; \
                     requests of this job go without it"
                )));
            } else {
                out.push(Finding::Error(format!(
                    "error checking {what} {:?}: file does not exist",
                    resolved.display()
                )));
            }
        }
        out
    }
}
