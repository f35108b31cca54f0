//! Receivers and their integrations: the raw form of every integration
//! Alertmanager has, the typed ones Outpost acts on, and the checks of the
//! others.

use super::*;

// Slack fields and actions, PagerDuty images and links: upstream declares no
// secret in them, so they are served as written.
use serde::de::IgnoredAny;

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReceiver {
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) webhook_configs: Vec<Spanned<RawWebhook>>,
    #[serde(default)]
    pub(super) email_configs: Vec<Spanned<RawEmail>>,
    #[serde(default)]
    pub(super) slack_configs: Vec<Spanned<RawSlack>>,
    #[serde(default)]
    pub(super) pagerduty_configs: Vec<Spanned<RawPagerduty>>,
    #[serde(default)]
    pub(super) opsgenie_configs: Option<Vec<Spanned<RawOpsgenie>>>,
    #[serde(default)]
    pub(super) msteams_configs: Option<Vec<Spanned<RawMsteams>>>,
    #[serde(default)]
    pub(super) msteamsv2_configs: Option<Vec<Unmodelled>>,
    #[serde(default)]
    pub(super) telegram_configs: Option<Vec<Spanned<RawTelegram>>>,
    #[serde(default)]
    pub(super) discord_configs: Option<Vec<Spanned<RawDiscord>>>,
    #[serde(default)]
    pub(super) wechat_configs: Option<Vec<Spanned<RawWechat>>>,
    #[serde(default)]
    pub(super) pushover_configs: Option<Vec<Spanned<RawPushover>>>,
    #[serde(default)]
    pub(super) sns_configs: Option<Vec<Spanned<RawSns>>>,
    #[serde(default)]
    pub(super) victorops_configs: Option<Vec<Spanned<RawVictorops>>>,
    #[serde(default)]
    pub(super) webex_configs: Option<Vec<Spanned<RawWebex>>>,
    #[serde(default)]
    pub(super) jira_configs: Option<Vec<Unmodelled>>,
    #[serde(default)]
    pub(super) rocketchat_configs: Option<Vec<Unmodelled>>,
    #[serde(default)]
    pub(super) incidentio_configs: Option<Vec<Unmodelled>>,
    #[serde(default)]
    pub(super) mattermost_configs: Option<Vec<Unmodelled>>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebhook {
    #[serde(default)]
    pub(super) send_resolved: Option<bool>,
    #[serde(default)]
    pub(super) http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    pub(super) url: Option<String>,
    #[serde(default)]
    pub(super) url_file: Option<String>,
    #[serde(default)]
    pub(super) max_alerts: Option<u64>,
    #[serde(default)]
    pub(super) timeout: Option<PromDuration>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEmail {
    #[serde(default)]
    pub(super) send_resolved: Option<bool>,
    #[serde(default)]
    pub(super) to: Option<String>,
    #[serde(default)]
    pub(super) from: Option<String>,
    #[serde(default)]
    pub(super) hello: Option<String>,
    #[serde(default)]
    pub(super) smarthost: Option<String>,
    #[serde(default)]
    pub(super) auth_username: Option<String>,
    #[serde(default)]
    pub(super) auth_password: Option<Secret>,
    #[serde(default)]
    pub(super) auth_password_file: Option<String>,
    #[serde(default)]
    pub(super) auth_secret: Option<Secret>,
    #[serde(default)]
    pub(super) auth_secret_file: Option<String>,
    #[serde(default)]
    pub(super) auth_identity: Option<String>,
    #[serde(default)]
    pub(super) headers: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) html: Option<String>,
    #[serde(default)]
    pub(super) text: Option<String>,
    #[serde(default)]
    pub(super) require_tls: Option<bool>,
    #[serde(default)]
    pub(super) tls_config: Option<TlsConfig>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSlack {
    #[serde(default)]
    pub(super) send_resolved: Option<bool>,
    #[serde(default)]
    pub(super) http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    pub(super) api_url: Option<SecretUrl>,
    #[serde(default)]
    pub(super) api_url_file: Option<String>,
    #[serde(default)]
    pub(super) app_token: Option<Secret>,
    #[serde(default)]
    pub(super) app_token_file: Option<String>,
    #[serde(default)]
    pub(super) app_url: Option<String>,
    #[serde(default)]
    pub(super) channel: Option<String>,
    #[serde(default)]
    pub(super) username: Option<String>,
    #[serde(default)]
    pub(super) color: Option<String>,
    #[serde(default)]
    pub(super) title: Option<String>,
    #[serde(default)]
    pub(super) title_link: Option<String>,
    #[serde(default)]
    pub(super) pretext: Option<String>,
    #[serde(default)]
    pub(super) text: Option<String>,
    #[serde(default)]
    pub(super) fields: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    pub(super) short_fields: Option<bool>,
    #[serde(default)]
    pub(super) footer: Option<String>,
    #[serde(default)]
    pub(super) fallback: Option<String>,
    #[serde(default)]
    pub(super) callback_id: Option<String>,
    #[serde(default)]
    pub(super) icon_emoji: Option<String>,
    #[serde(default)]
    pub(super) icon_url: Option<String>,
    #[serde(default)]
    pub(super) image_url: Option<String>,
    #[serde(default)]
    pub(super) thumb_url: Option<String>,
    #[serde(default)]
    pub(super) link_names: Option<bool>,
    #[serde(default)]
    pub(super) mrkdwn_in: Option<Vec<String>>,
    #[serde(default)]
    pub(super) actions: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    pub(super) message_text: Option<String>,
    #[serde(default)]
    pub(super) update_message: Option<bool>,
    #[serde(default)]
    pub(super) timeout: Option<PromDuration>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPagerduty {
    #[serde(default)]
    pub(super) send_resolved: Option<bool>,
    #[serde(default)]
    pub(super) http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    pub(super) routing_key: Option<Secret>,
    #[serde(default)]
    pub(super) routing_key_file: Option<String>,
    #[serde(default)]
    pub(super) service_key: Option<Secret>,
    #[serde(default)]
    pub(super) service_key_file: Option<String>,
    #[serde(default)]
    pub(super) url: Option<String>,
    #[serde(default)]
    pub(super) client: Option<String>,
    #[serde(default)]
    pub(super) client_url: Option<String>,
    #[serde(default)]
    pub(super) description: Option<String>,
    #[serde(default)]
    pub(super) details: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub(super) images: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    pub(super) links: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    pub(super) source: Option<String>,
    #[serde(default)]
    pub(super) severity: Option<String>,
    #[serde(default)]
    pub(super) class: Option<String>,
    #[serde(default)]
    pub(super) component: Option<String>,
    #[serde(default)]
    pub(super) group: Option<String>,
    #[serde(default)]
    pub(super) timeout: Option<PromDuration>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOpsgenie {
    #[serde(default)]
    pub(super) send_resolved: Option<bool>,
    #[serde(default)]
    pub(super) http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    pub(super) api_key: Option<Secret>,
    #[serde(default)]
    pub(super) api_key_file: Option<String>,
    #[serde(default)]
    pub(super) api_url: Option<String>,
    #[serde(default)]
    pub(super) message: Option<String>,
    #[serde(default)]
    pub(super) description: Option<String>,
    #[serde(default)]
    pub(super) source: Option<String>,
    #[serde(default)]
    pub(super) details: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub(super) entity: Option<String>,
    #[serde(default)]
    pub(super) responders: Vec<RawOpsgenieResponder>,
    #[serde(default)]
    pub(super) actions: Option<String>,
    #[serde(default)]
    pub(super) tags: Option<String>,
    #[serde(default)]
    pub(super) note: Option<String>,
    #[serde(default)]
    pub(super) priority: Option<String>,
    #[serde(default)]
    pub(super) update_alerts: Option<bool>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOpsgenieResponder {
    #[serde(default)]
    pub(super) id: Option<String>,
    #[serde(default)]
    pub(super) name: Option<String>,
    #[serde(default)]
    pub(super) username: Option<String>,
    #[serde(default, rename = "type")]
    pub(super) kind: Option<String>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMsteams {
    #[serde(default)]
    pub(super) send_resolved: Option<bool>,
    #[serde(default)]
    pub(super) http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    pub(super) webhook_url: Option<SecretUrl>,
    #[serde(default)]
    pub(super) webhook_url_file: Option<String>,
    #[serde(default)]
    pub(super) title: Option<String>,
    #[serde(default)]
    pub(super) summary: Option<String>,
    #[serde(default)]
    pub(super) text: Option<String>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTelegram {
    #[serde(default)]
    pub(super) send_resolved: Option<bool>,
    #[serde(default)]
    pub(super) http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    pub(super) api_url: Option<String>,
    #[serde(default)]
    pub(super) bot_token: Option<Secret>,
    #[serde(default)]
    pub(super) bot_token_file: Option<String>,
    #[serde(default)]
    pub(super) chat_id: Option<i64>,
    #[serde(default)]
    pub(super) message_thread_id: Option<i64>,
    #[serde(default)]
    pub(super) message: Option<String>,
    #[serde(default)]
    pub(super) disable_notifications: Option<bool>,
    #[serde(default)]
    pub(super) parse_mode: Option<String>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDiscord {
    #[serde(default)]
    pub(super) send_resolved: Option<bool>,
    #[serde(default)]
    pub(super) http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    pub(super) webhook_url: Option<SecretUrl>,
    #[serde(default)]
    pub(super) webhook_url_file: Option<String>,
    #[serde(default)]
    pub(super) title: Option<String>,
    #[serde(default)]
    pub(super) message: Option<String>,
    #[serde(default)]
    pub(super) content: Option<String>,
    #[serde(default)]
    pub(super) username: Option<String>,
    #[serde(default)]
    pub(super) avatar_url: Option<String>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWechat {
    #[serde(default)]
    pub(super) send_resolved: Option<bool>,
    #[serde(default)]
    pub(super) http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    pub(super) api_secret: Option<Secret>,
    #[serde(default)]
    pub(super) api_secret_file: Option<String>,
    #[serde(default)]
    pub(super) api_url: Option<String>,
    #[serde(default)]
    pub(super) corp_id: Option<String>,
    #[serde(default)]
    pub(super) message: Option<String>,
    #[serde(default)]
    pub(super) message_type: Option<String>,
    #[serde(default)]
    pub(super) agent_id: Option<String>,
    #[serde(default)]
    pub(super) to_user: Option<String>,
    #[serde(default)]
    pub(super) to_party: Option<String>,
    #[serde(default)]
    pub(super) to_tag: Option<String>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPushover {
    #[serde(default)]
    pub(super) send_resolved: Option<bool>,
    #[serde(default)]
    pub(super) http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    pub(super) user_key: Option<Secret>,
    #[serde(default)]
    pub(super) user_key_file: Option<String>,
    #[serde(default)]
    pub(super) token: Option<Secret>,
    #[serde(default)]
    pub(super) token_file: Option<String>,
    #[serde(default)]
    pub(super) title: Option<String>,
    #[serde(default)]
    pub(super) message: Option<String>,
    #[serde(default)]
    pub(super) url: Option<String>,
    #[serde(default)]
    pub(super) url_title: Option<String>,
    #[serde(default)]
    pub(super) device: Option<String>,
    #[serde(default)]
    pub(super) sound: Option<String>,
    #[serde(default)]
    pub(super) priority: Option<String>,
    #[serde(default)]
    pub(super) retry: Option<PromDuration>,
    #[serde(default)]
    pub(super) expire: Option<PromDuration>,
    #[serde(default)]
    pub(super) ttl: Option<PromDuration>,
    #[serde(default)]
    pub(super) html: Option<bool>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSns {
    #[serde(default)]
    pub(super) send_resolved: Option<bool>,
    #[serde(default)]
    pub(super) http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    pub(super) api_url: Option<String>,
    #[serde(default)]
    sigv4: Option<SigV4Config>,
    #[serde(default)]
    pub(super) topic_arn: Option<String>,
    #[serde(default)]
    pub(super) phone_number: Option<String>,
    #[serde(default)]
    pub(super) target_arn: Option<String>,
    #[serde(default)]
    pub(super) subject: Option<String>,
    #[serde(default)]
    pub(super) message: Option<String>,
    #[serde(default)]
    pub(super) attributes: Option<BTreeMap<String, String>>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVictorops {
    #[serde(default)]
    pub(super) send_resolved: Option<bool>,
    #[serde(default)]
    pub(super) http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    pub(super) api_key: Option<Secret>,
    #[serde(default)]
    pub(super) api_key_file: Option<String>,
    #[serde(default)]
    pub(super) api_url: Option<String>,
    #[serde(default)]
    pub(super) routing_key: Option<String>,
    #[serde(default)]
    pub(super) message_type: Option<String>,
    #[serde(default)]
    pub(super) state_message: Option<String>,
    #[serde(default)]
    pub(super) entity_display_name: Option<String>,
    #[serde(default)]
    pub(super) monitoring_tool: Option<String>,
    #[serde(default)]
    pub(super) custom_fields: Option<BTreeMap<String, String>>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebex {
    #[serde(default)]
    pub(super) send_resolved: Option<bool>,
    #[serde(default)]
    pub(super) http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    pub(super) api_url: Option<String>,
    #[serde(default)]
    pub(super) room_id: Option<String>,
    #[serde(default)]
    pub(super) message: Option<String>,
}

/// A webhook integration.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookConfig {
    /// Notify on resolution (default true).
    pub send_resolved: bool,
    /// URL the notification is POSTed to. Alertmanager 0.25 declares it a
    /// plain URL and shows it in its status (later versions make it a
    /// `SecretURL`); transport errors never show it (see `RedactURL`).
    pub url: Option<String>,
    /// File whose content is the URL (read at each notification).
    pub url_file: Option<String>,
    /// Most alerts per message (0 = all).
    pub max_alerts: u64,
    /// Request timeout (0 = none).
    pub timeout: PromDuration,
    /// Auth, TLS and proxy of the POST (the global `http_config` when unset).
    pub http_config: HttpClientConfig,
}

/// An email integration, with globals filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct EmailConfig {
    /// Notify on resolution (default false).
    pub send_resolved: bool,
    /// Recipients (template).
    pub to: String,
    /// Sender (template).
    pub from: String,
    /// SMTP server `host:port`.
    pub smarthost: String,
    /// Name sent in the SMTP `EHLO`/`HELO` greeting (default `localhost`).
    pub hello: String,
    /// SMTP auth user.
    pub auth_username: Option<String>,
    /// SMTP auth password (PLAIN, LOGIN).
    pub auth_password: Option<Secret>,
    /// File holding the SMTP auth password (whitespace-trimmed); wins over
    /// `auth_password`.
    pub auth_password_file: Option<String>,
    /// SMTP auth secret (CRAM-MD5).
    pub auth_secret: Option<Secret>,
    /// File holding the SMTP auth secret; wins over `auth_secret`.
    pub auth_secret_file: Option<String>,
    /// SMTP auth identity (PLAIN).
    pub auth_identity: Option<String>,
    /// Refuse to send unless the server offers STARTTLS (default true).
    pub require_tls: bool,
    /// TLS settings for STARTTLS and implicit TLS (falls back to
    /// `smtp_tls_config`).
    pub tls_config: Option<TlsConfig>,
    /// Headers (templates); `Subject`, `To`, `From` default to Alertmanager's.
    pub headers: BTreeMap<String, String>,
    /// HTML body template.
    pub html: Option<String>,
    /// Text body template.
    pub text: Option<String>,
}

/// A Slack integration.
#[derive(Debug, Clone, PartialEq)]
pub struct SlackConfig {
    /// Notify on resolution (default false).
    pub send_resolved: bool,
    /// Webhook URL (from the config or the global).
    pub api_url: Option<SecretUrl>,
    /// File holding the webhook URL.
    pub api_url_file: Option<String>,
    /// Channel or user the message goes to, overriding the webhook's own.
    pub channel: Option<String>,
    /// Template of the attachment's title.
    pub title: String,
    /// Template of the attachment's text.
    pub text: String,
    /// Other fields, templates as written.
    pub extra: BTreeMap<String, String>,
    /// Auth, TLS and proxy of the POST (the global `http_config` when unset).
    pub http_config: HttpClientConfig,
}

/// A PagerDuty integration.
#[derive(Debug, Clone, PartialEq)]
pub struct PagerdutyConfig {
    /// Notify on resolution (default true).
    pub send_resolved: bool,
    /// Events API v2 routing key.
    pub routing_key: Option<Secret>,
    /// Events API v1 service key.
    pub service_key: Option<Secret>,
    /// Events API URL (the global `pagerduty_url`, PagerDuty's v2 endpoint
    /// by default).
    pub url: String,
    /// Template of the incident summary.
    pub description: String,
    /// Template of the event severity (`critical`, `error`, ...).
    pub severity: String,
    /// Custom details: key to value template (Alertmanager's firing,
    /// resolved and counts by default).
    pub details: BTreeMap<String, String>,
    /// Auth, TLS and proxy of the POST (the global `http_config` when unset).
    pub http_config: HttpClientConfig,
}

/// A receiver and its integrations.
#[derive(Debug, Clone, PartialEq)]
pub struct Receiver {
    /// Name routes refer to it by; unique in the file.
    pub name: String,
    /// Generic webhooks, POSTed Alertmanager's JSON message.
    pub webhook_configs: Vec<WebhookConfig>,
    /// Emails sent over SMTP (with delivery enabled).
    pub email_configs: Vec<EmailConfig>,
    /// Slack messages (POSTed with delivery enabled).
    pub slack_configs: Vec<SlackConfig>,
    /// PagerDuty events (POSTed with delivery enabled).
    pub pagerduty_configs: Vec<PagerdutyConfig>,
    /// Other integration kinds (`opsgenie_configs`, ...), each with every
    /// config's `send_resolved` (upstream's default for the kind when unset);
    /// accepted, validated, rendered into the outbox only.
    pub other: Vec<(String, Vec<bool>)>,
}

impl Receiver {
    /// Number of integrations.
    pub fn integration_count(&self) -> usize {
        self.webhook_configs.len()
            + self.email_configs.len()
            + self.slack_configs.len()
            + self.pagerduty_configs.len()
            + self.other.iter().map(|(_, v)| v.len()).sum::<usize>()
    }
}

/// Validates the integrations outpost renders into its outbox only
/// (opsgenie, msteams, telegram, discord, wechat, pushover, sns, victorops,
/// webex) with Alertmanager's messages; counts them in `rec.other`.
pub(super) fn check_other_integrations(
    ck: &mut Checker,
    rec: &mut Receiver,
    r: &RawReceiver,
    g: &RawGlobal,
    path: &Path,
    files: &Files,
    global_http: &HttpClientConfig,
) {
    fn both<A, B>(a: &Option<A>, b: &Option<B>) -> bool {
        a.is_some() && b.is_some()
    }
    fn neither<A, B>(a: &Option<A>, b: &Option<B>) -> bool {
        a.is_none() && b.is_none()
    }
    /// `X` and `X_file` are alternatives: at most one may be set.
    fn at_most_one<A, B>(ck: &mut Checker, pos: Pos, name: &str, a: &Option<A>, b: &Option<B>) {
        if both(a, b) {
            ck.error(
                Some(pos),
                format!("at most one of {name} & {name}_file must be configured"),
            );
        }
    }
    /// `X` and `X_file` are alternatives: exactly one must be set.
    fn exactly_one<A, B>(ck: &mut Checker, pos: Pos, name: &str, a: &Option<A>, b: &Option<B>) {
        if neither(a, b) {
            ck.error(
                Some(pos),
                format!("one of {name} or {name}_file must be configured"),
            );
        }
        at_most_one(ck, pos, name, a, b);
    }
    // One integration list: its own checks, then the HTTP client settings
    // every integration has, then its `send_resolved` flags counted.
    macro_rules! each {
        ($field:ident, |$c:ident, $pos:ident| $body:block) => {
            each!($field, true, |$c, $pos| $body)
        };
        ($field:ident, $resolved_default:expr, |$c:ident, $pos:ident| $body:block) => {{
            let list = r.$field.as_deref().unwrap_or_default();
            for item in list {
                let $pos = Pos::of(item);
                let $c = &item.value;
                $body
                http_block(ck, $pos, path, files, &$c.http_config, global_http);
            }
            if !list.is_empty() {
                rec.other.push((
                    stringify!($field).to_string(),
                    list.iter()
                        .map(|c| c.value.send_resolved.unwrap_or($resolved_default))
                        .collect(),
                ));
            }
        }};
    }
    each!(opsgenie_configs, |c, pos| {
        at_most_one(ck, pos, "api_key", &c.api_key, &c.api_key_file);
        if neither(&c.api_key, &c.api_key_file)
            && neither(&g.opsgenie_api_key, &g.opsgenie_api_key_file)
        {
            ck.error(
                Some(pos),
                "no global OpsGenie API Key set either inline or in a file",
            );
        }
        for resp in &c.responders {
            if resp.id.is_none() && resp.name.is_none() && resp.username.is_none() {
                ck.error(
                        Some(pos),
                        "opsGenieConfig responder has to have at least one of id, username or name specified",
                    );
            }
            let kind = resp.kind.as_deref().unwrap_or("");
            if !kind.contains("{{")
                && !matches!(
                    kind.to_ascii_lowercase().as_str(),
                    "team" | "teams" | "user" | "escalation" | "schedule"
                )
            {
                ck.error(
                    Some(pos),
                    format!("opsGenieConfig responder has unsupported type {kind:?}"),
                );
            }
        }
    });

    each!(msteams_configs, |c, pos| {
        exactly_one(ck, pos, "webhook_url", &c.webhook_url, &c.webhook_url_file);
    });

    each!(telegram_configs, |c, pos| {
        if neither(&c.bot_token, &c.bot_token_file)
            && neither(&g.telegram_bot_token, &g.telegram_bot_token_file)
        {
            ck.error(
                Some(pos),
                "missing bot_token or bot_token_file on telegram_config",
            );
        }
        at_most_one(ck, pos, "bot_token", &c.bot_token, &c.bot_token_file);
        if c.chat_id.is_none_or(|id| id == 0) {
            ck.error(Some(pos), "missing chat_id on telegram_config");
        }
        if let Some(m) = &c.parse_mode
            && !matches!(m.as_str(), "" | "Markdown" | "MarkdownV2" | "HTML")
        {
            ck.error(
                Some(pos),
                "unknown parse_mode on telegram_config, must be Markdown, MarkdownV2, HTML or empty string",
            );
        }
    });

    each!(discord_configs, |c, pos| {
        exactly_one(ck, pos, "webhook_url", &c.webhook_url, &c.webhook_url_file);
    });

    // Alertmanager's WeChat default is send_resolved: false.
    each!(wechat_configs, false, |c, pos| {
        if let Some(t) = &c.message_type
            && !matches!(t.as_str(), "text" | "markdown")
        {
            ck.error(
                Some(pos),
                format!("WeChat message type {t:?} does not match valid options text, markdown"),
            );
        }
        if neither(&c.api_secret, &c.api_secret_file)
            && neither(&g.wechat_api_secret, &g.wechat_api_secret_file)
        {
            ck.error(Some(pos), "no global Wechat ApiSecret set");
        }
        if c.corp_id.is_none() && g.wechat_api_corp_id.is_none() {
            ck.error(Some(pos), "no global Wechat CorpID set");
        }
    });

    each!(pushover_configs, |c, pos| {
        exactly_one(ck, pos, "user_key", &c.user_key, &c.user_key_file);
        exactly_one(ck, pos, "token", &c.token, &c.token_file);
    });

    each!(sns_configs, |c, pos| {
        let targets = [&c.target_arn, &c.topic_arn, &c.phone_number]
            .iter()
            .filter(|t| t.as_ref().is_some_and(|s| !s.is_empty()))
            .count();
        if targets != 1 {
            ck.error(
                Some(pos),
                "must provide either a Target ARN, Topic ARN, or Phone Number for SNS config",
            );
        }
    });

    each!(victorops_configs, |c, pos| {
        if c.routing_key.as_deref().is_none_or(str::is_empty) {
            ck.error(Some(pos), "missing Routing key in VictorOps config");
        }
        if neither(&c.api_key, &c.api_key_file)
            && neither(&g.victorops_api_key, &g.victorops_api_key_file)
        {
            ck.error(Some(pos), "no global VictorOps API Key set");
        }
        for k in c.custom_fields.iter().flat_map(|m| m.keys()) {
            if matches!(
                k.as_str(),
                "routing_key"
                    | "message_type"
                    | "state_message"
                    | "entity_display_name"
                    | "monitoring_tool"
                    | "entity_id"
                    | "entity_state"
            ) {
                ck.error(
                        Some(pos),
                        format!("victorOps config contains custom field {k} which cannot be used as it conflicts with the fixed/static fields"),
                    );
            }
        }
    });

    each!(webex_configs, |c, pos| {
        if c.room_id.as_deref().is_none_or(str::is_empty) {
            ck.error(Some(pos), "missing room_id on webex_config");
        }
        let auth = match &c.http_config {
            Some(h) => h.http_client().authorization,
            None => global_http.authorization.clone(),
        };
        if auth.is_none() {
            ck.error(Some(pos), "missing webex_configs.http_config.authorization");
        }
    });
}

/// MIME header canonical form (`content-type` → `Content-Type`).
pub(super) fn canonical_header(k: &str) -> String {
    let mut out = String::with_capacity(k.len());
    let mut upper = true;
    for c in k.chars() {
        out.push(if upper {
            c.to_ascii_uppercase()
        } else {
            c.to_ascii_lowercase()
        });
        upper = c == '-';
    }
    out
}
