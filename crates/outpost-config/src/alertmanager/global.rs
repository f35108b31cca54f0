//! `global:` of alertmanager.yml: the raw block, [`AmGlobal`] with
//! Alertmanager's defaults, and the HTTP client block every integration
//! falls back to.

use super::*;

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGlobal {
    #[serde(default)]
    pub(super) resolve_timeout: Option<PromDuration>,
    #[serde(default)]
    pub(super) http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    pub(super) smtp_from: Option<String>,
    #[serde(default)]
    pub(super) smtp_hello: Option<String>,
    #[serde(default)]
    pub(super) smtp_smarthost: Option<String>,
    #[serde(default)]
    pub(super) smtp_auth_username: Option<String>,
    #[serde(default)]
    pub(super) smtp_auth_password: Option<Secret>,
    #[serde(default)]
    pub(super) smtp_auth_password_file: Option<String>,
    #[serde(default)]
    pub(super) smtp_auth_secret: Option<Secret>,
    #[serde(default)]
    pub(super) smtp_auth_secret_file: Option<String>,
    #[serde(default)]
    pub(super) smtp_auth_identity: Option<String>,
    #[serde(default)]
    pub(super) smtp_require_tls: Option<bool>,
    #[serde(default)]
    pub(super) smtp_tls_config: Option<TlsConfig>,
    #[serde(default)]
    pub(super) slack_api_url: Option<SecretUrl>,
    #[serde(default)]
    pub(super) slack_api_url_file: Option<String>,
    #[serde(default)]
    pub(super) slack_app_token: Option<Secret>,
    #[serde(default)]
    pub(super) slack_app_token_file: Option<String>,
    #[serde(default)]
    pub(super) slack_app_url: Option<String>,
    #[serde(default)]
    pub(super) victorops_api_key: Option<Secret>,
    #[serde(default)]
    pub(super) victorops_api_key_file: Option<String>,
    #[serde(default)]
    pub(super) victorops_api_url: Option<String>,
    #[serde(default)]
    pub(super) pagerduty_url: Option<String>,
    #[serde(default)]
    pub(super) opsgenie_api_key: Option<Secret>,
    #[serde(default)]
    pub(super) opsgenie_api_key_file: Option<String>,
    #[serde(default)]
    pub(super) opsgenie_api_url: Option<String>,
    #[serde(default)]
    pub(super) wechat_api_url: Option<String>,
    #[serde(default)]
    pub(super) wechat_api_secret: Option<Secret>,
    #[serde(default)]
    pub(super) wechat_api_secret_file: Option<String>,
    #[serde(default)]
    pub(super) wechat_api_corp_id: Option<String>,
    #[serde(default)]
    pub(super) telegram_api_url: Option<String>,
    #[serde(default)]
    pub(super) telegram_bot_token: Option<Secret>,
    #[serde(default)]
    pub(super) telegram_bot_token_file: Option<String>,
    #[serde(default)]
    pub(super) webex_api_url: Option<String>,
    #[serde(default)]
    pub(super) rocketchat_api_url: Option<String>,
    #[serde(default)]
    pub(super) rocketchat_token: Option<Secret>,
    #[serde(default)]
    pub(super) rocketchat_token_file: Option<String>,
    #[serde(default)]
    pub(super) rocketchat_token_id: Option<Secret>,
    #[serde(default)]
    pub(super) rocketchat_token_id_file: Option<String>,
    #[serde(default)]
    pub(super) jira_api_url: Option<String>,
    #[serde(default)]
    pub(super) mattermost_webhook_url: Option<SecretUrl>,
    #[serde(default)]
    pub(super) mattermost_webhook_url_file: Option<String>,
}

/// Alertmanager's global settings with defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct AmGlobal {
    /// How long an alert without endsAt stays active (5m).
    pub resolve_timeout: PromDuration,
    /// Default HTTP client of integrations.
    pub http_config: HttpClientConfig,
    /// Default Slack webhook URL.
    pub slack_api_url: Option<SecretUrl>,
    /// Default PagerDuty events URL.
    pub pagerduty_url: String,
    /// Default SMTP smarthost.
    pub smtp_smarthost: Option<String>,
    /// Default sender address.
    pub smtp_from: Option<String>,
}

pub(super) const DEFAULT_PAGERDUTY_URL: &str = "https://events.pagerduty.com/v2/enqueue";

pub(super) fn http_block(
    ck: &mut Checker,
    pos: Pos,
    path: &Path,
    files: &Files,
    b: &Option<HttpConfigBlock>,
    fallback: &HttpClientConfig,
) -> HttpClientConfig {
    let Some(b) = b else { return fallback.clone() };
    let c = b.http_client();
    for f in c.check(path, files) {
        match f {
            Finding::Error(m) => ck.error(Some(pos), m),
            Finding::Warning(m) => ck.warn(Some(pos), m),
        }
    }
    c
}
