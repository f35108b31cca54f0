//! `alertmanager.yml`: raw serde form, then validation into [`AlertmanagerConfig`]
//! with Alertmanager's defaults, inheritance and error messages.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_saphyr::Spanned;

use crate::check::{Checker, Pos};
use crate::duration::PromDuration;
use crate::error::{Diagnostic, Result};
use crate::http::{Finding, HttpClientConfig, HttpConfigBlock, SigV4Config, TlsConfig};
use crate::labels::is_valid_label_name;
use crate::matchers::{MatchOp, Matcher, parse_matchers};
use crate::secret::{Secret, SecretUrl};
use crate::source::{Files, resolve_relative};
use crate::yaml::parse_strict_redacted;

// ---------------------------------------------------------------- raw form

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    global: RawGlobal,
    #[serde(default)]
    route: Option<Spanned<RawRoute>>,
    #[serde(default)]
    inhibit_rules: Vec<Spanned<RawInhibitRule>>,
    #[serde(default)]
    receivers: Vec<Spanned<RawReceiver>>,
    #[serde(default)]
    templates: Vec<String>,
    #[serde(default)]
    time_intervals: Vec<Spanned<RawTimeInterval>>,
    #[serde(default)]
    mute_time_intervals: Vec<Spanned<RawTimeInterval>>,
    #[serde(default)]
    tracing: Option<IgnoredAny>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGlobal {
    #[serde(default)]
    resolve_timeout: Option<PromDuration>,
    #[serde(default)]
    http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    smtp_from: Option<String>,
    #[serde(default)]
    smtp_hello: Option<String>,
    #[serde(default)]
    smtp_smarthost: Option<String>,
    #[serde(default)]
    smtp_auth_username: Option<String>,
    #[serde(default)]
    smtp_auth_password: Option<Secret>,
    #[serde(default)]
    smtp_auth_password_file: Option<String>,
    #[serde(default)]
    smtp_auth_secret: Option<Secret>,
    #[serde(default)]
    smtp_auth_secret_file: Option<String>,
    #[serde(default)]
    smtp_auth_identity: Option<String>,
    #[serde(default)]
    smtp_require_tls: Option<bool>,
    #[serde(default)]
    smtp_tls_config: Option<TlsConfig>,
    #[serde(default)]
    slack_api_url: Option<SecretUrl>,
    #[serde(default)]
    slack_api_url_file: Option<String>,
    #[serde(default)]
    slack_app_token: Option<Secret>,
    #[serde(default)]
    slack_app_token_file: Option<String>,
    #[serde(default)]
    slack_app_url: Option<String>,
    #[serde(default)]
    victorops_api_key: Option<Secret>,
    #[serde(default)]
    victorops_api_key_file: Option<String>,
    #[serde(default)]
    victorops_api_url: Option<String>,
    #[serde(default)]
    pagerduty_url: Option<String>,
    #[serde(default)]
    opsgenie_api_key: Option<Secret>,
    #[serde(default)]
    opsgenie_api_key_file: Option<String>,
    #[serde(default)]
    opsgenie_api_url: Option<String>,
    #[serde(default)]
    wechat_api_url: Option<String>,
    #[serde(default)]
    wechat_api_secret: Option<Secret>,
    #[serde(default)]
    wechat_api_secret_file: Option<String>,
    #[serde(default)]
    wechat_api_corp_id: Option<String>,
    #[serde(default)]
    telegram_api_url: Option<String>,
    #[serde(default)]
    telegram_bot_token: Option<Secret>,
    #[serde(default)]
    telegram_bot_token_file: Option<String>,
    #[serde(default)]
    webex_api_url: Option<String>,
    #[serde(default)]
    rocketchat_api_url: Option<String>,
    #[serde(default)]
    rocketchat_token: Option<Secret>,
    #[serde(default)]
    rocketchat_token_file: Option<String>,
    #[serde(default)]
    rocketchat_token_id: Option<Secret>,
    #[serde(default)]
    rocketchat_token_id_file: Option<String>,
    #[serde(default)]
    jira_api_url: Option<String>,
    #[serde(default)]
    mattermost_webhook_url: Option<SecretUrl>,
    #[serde(default)]
    mattermost_webhook_url_file: Option<String>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    #[serde(default)]
    receiver: Option<Spanned<String>>,
    #[serde(default)]
    group_by: Option<Vec<String>>,
    #[serde(default, rename = "continue")]
    continue_: bool,
    #[serde(default, rename = "match")]
    match_: BTreeMap<String, String>,
    #[serde(default)]
    match_re: BTreeMap<String, String>,
    #[serde(default)]
    matchers: Vec<String>,
    #[serde(default)]
    group_wait: Option<PromDuration>,
    #[serde(default)]
    group_interval: Option<PromDuration>,
    #[serde(default)]
    repeat_interval: Option<PromDuration>,
    #[serde(default)]
    mute_time_intervals: Vec<String>,
    #[serde(default)]
    active_time_intervals: Vec<String>,
    #[serde(default)]
    routes: Vec<Spanned<RawRoute>>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInhibitRule {
    #[serde(default)]
    source_match: BTreeMap<String, String>,
    #[serde(default)]
    source_match_re: BTreeMap<String, String>,
    #[serde(default)]
    source_matchers: Vec<String>,
    #[serde(default)]
    target_match: BTreeMap<String, String>,
    #[serde(default)]
    target_match_re: BTreeMap<String, String>,
    #[serde(default)]
    target_matchers: Vec<String>,
    #[serde(default)]
    equal: Vec<String>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTimeInterval {
    #[serde(default)]
    name: String,
    #[serde(default)]
    time_intervals: Vec<RawTimeSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTimeSpec {
    #[serde(default)]
    times: Vec<RawTimeRange>,
    #[serde(default)]
    weekdays: Vec<String>,
    #[serde(default)]
    days_of_month: Vec<String>,
    #[serde(default)]
    months: Vec<String>,
    #[serde(default)]
    years: Vec<String>,
    #[serde(default)]
    location: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTimeRange {
    #[serde(default)]
    start_time: String,
    #[serde(default)]
    end_time: String,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReceiver {
    #[serde(default)]
    name: String,
    #[serde(default)]
    webhook_configs: Vec<Spanned<RawWebhook>>,
    #[serde(default)]
    email_configs: Vec<Spanned<RawEmail>>,
    #[serde(default)]
    slack_configs: Vec<Spanned<RawSlack>>,
    #[serde(default)]
    pagerduty_configs: Vec<Spanned<RawPagerduty>>,
    #[serde(default)]
    opsgenie_configs: Option<Vec<Spanned<RawOpsgenie>>>,
    #[serde(default)]
    msteams_configs: Option<Vec<Spanned<RawMsteams>>>,
    #[serde(default)]
    msteamsv2_configs: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    telegram_configs: Option<Vec<Spanned<RawTelegram>>>,
    #[serde(default)]
    discord_configs: Option<Vec<Spanned<RawDiscord>>>,
    #[serde(default)]
    wechat_configs: Option<Vec<Spanned<RawWechat>>>,
    #[serde(default)]
    pushover_configs: Option<Vec<Spanned<RawPushover>>>,
    #[serde(default)]
    sns_configs: Option<Vec<Spanned<RawSns>>>,
    #[serde(default)]
    victorops_configs: Option<Vec<Spanned<RawVictorops>>>,
    #[serde(default)]
    webex_configs: Option<Vec<Spanned<RawWebex>>>,
    #[serde(default)]
    jira_configs: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    rocketchat_configs: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    incidentio_configs: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    mattermost_configs: Option<Vec<IgnoredAny>>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    #[serde(default)]
    send_resolved: Option<bool>,
    #[serde(default)]
    http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    url: Option<SecretUrl>,
    #[serde(default)]
    url_file: Option<String>,
    #[serde(default)]
    max_alerts: Option<u64>,
    #[serde(default)]
    timeout: Option<PromDuration>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEmail {
    #[serde(default)]
    send_resolved: Option<bool>,
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    hello: Option<String>,
    #[serde(default)]
    smarthost: Option<String>,
    #[serde(default)]
    auth_username: Option<String>,
    #[serde(default)]
    auth_password: Option<Secret>,
    #[serde(default)]
    auth_password_file: Option<String>,
    #[serde(default)]
    auth_secret: Option<Secret>,
    #[serde(default)]
    auth_secret_file: Option<String>,
    #[serde(default)]
    auth_identity: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    html: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    require_tls: Option<bool>,
    #[serde(default)]
    tls_config: Option<TlsConfig>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSlack {
    #[serde(default)]
    send_resolved: Option<bool>,
    #[serde(default)]
    http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    api_url: Option<SecretUrl>,
    #[serde(default)]
    api_url_file: Option<String>,
    #[serde(default)]
    app_token: Option<Secret>,
    #[serde(default)]
    app_token_file: Option<String>,
    #[serde(default)]
    app_url: Option<String>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    color: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    title_link: Option<String>,
    #[serde(default)]
    pretext: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    fields: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    short_fields: Option<bool>,
    #[serde(default)]
    footer: Option<String>,
    #[serde(default)]
    fallback: Option<String>,
    #[serde(default)]
    callback_id: Option<String>,
    #[serde(default)]
    icon_emoji: Option<String>,
    #[serde(default)]
    icon_url: Option<String>,
    #[serde(default)]
    image_url: Option<String>,
    #[serde(default)]
    thumb_url: Option<String>,
    #[serde(default)]
    link_names: Option<bool>,
    #[serde(default)]
    mrkdwn_in: Option<Vec<String>>,
    #[serde(default)]
    actions: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    message_text: Option<String>,
    #[serde(default)]
    update_message: Option<bool>,
    #[serde(default)]
    timeout: Option<PromDuration>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPagerduty {
    #[serde(default)]
    send_resolved: Option<bool>,
    #[serde(default)]
    http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    routing_key: Option<Secret>,
    #[serde(default)]
    routing_key_file: Option<String>,
    #[serde(default)]
    service_key: Option<Secret>,
    #[serde(default)]
    service_key_file: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    client: Option<String>,
    #[serde(default)]
    client_url: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    details: Option<BTreeMap<String, String>>,
    #[serde(default)]
    images: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    links: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    severity: Option<String>,
    #[serde(default)]
    class: Option<String>,
    #[serde(default)]
    component: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    timeout: Option<PromDuration>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOpsgenie {
    #[serde(default)]
    send_resolved: Option<bool>,
    #[serde(default)]
    http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    api_key: Option<Secret>,
    #[serde(default)]
    api_key_file: Option<String>,
    #[serde(default)]
    api_url: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    details: Option<BTreeMap<String, String>>,
    #[serde(default)]
    entity: Option<String>,
    #[serde(default)]
    responders: Vec<RawOpsgenieResponder>,
    #[serde(default)]
    actions: Option<String>,
    #[serde(default)]
    tags: Option<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    update_alerts: Option<bool>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOpsgenieResponder {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMsteams {
    #[serde(default)]
    send_resolved: Option<bool>,
    #[serde(default)]
    http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    webhook_url: Option<SecretUrl>,
    #[serde(default)]
    webhook_url_file: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    text: Option<String>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTelegram {
    #[serde(default)]
    send_resolved: Option<bool>,
    #[serde(default)]
    http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    api_url: Option<String>,
    #[serde(default)]
    bot_token: Option<Secret>,
    #[serde(default)]
    bot_token_file: Option<String>,
    #[serde(default)]
    chat_id: Option<i64>,
    #[serde(default)]
    message_thread_id: Option<i64>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    disable_notifications: Option<bool>,
    #[serde(default)]
    parse_mode: Option<String>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDiscord {
    #[serde(default)]
    send_resolved: Option<bool>,
    #[serde(default)]
    http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    webhook_url: Option<SecretUrl>,
    #[serde(default)]
    webhook_url_file: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    avatar_url: Option<String>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWechat {
    #[serde(default)]
    send_resolved: Option<bool>,
    #[serde(default)]
    http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    api_secret: Option<Secret>,
    #[serde(default)]
    api_secret_file: Option<String>,
    #[serde(default)]
    api_url: Option<String>,
    #[serde(default)]
    corp_id: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    message_type: Option<String>,
    #[serde(default)]
    agent_id: Option<String>,
    #[serde(default)]
    to_user: Option<String>,
    #[serde(default)]
    to_party: Option<String>,
    #[serde(default)]
    to_tag: Option<String>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPushover {
    #[serde(default)]
    send_resolved: Option<bool>,
    #[serde(default)]
    http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    user_key: Option<Secret>,
    #[serde(default)]
    user_key_file: Option<String>,
    #[serde(default)]
    token: Option<Secret>,
    #[serde(default)]
    token_file: Option<String>,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    url_title: Option<String>,
    #[serde(default)]
    device: Option<String>,
    #[serde(default)]
    sound: Option<String>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    retry: Option<PromDuration>,
    #[serde(default)]
    expire: Option<PromDuration>,
    #[serde(default)]
    ttl: Option<PromDuration>,
    #[serde(default)]
    html: Option<bool>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSns {
    #[serde(default)]
    send_resolved: Option<bool>,
    #[serde(default)]
    http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    api_url: Option<String>,
    #[serde(default)]
    sigv4: Option<SigV4Config>,
    #[serde(default)]
    topic_arn: Option<String>,
    #[serde(default)]
    phone_number: Option<String>,
    #[serde(default)]
    target_arn: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    attributes: Option<BTreeMap<String, String>>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVictorops {
    #[serde(default)]
    send_resolved: Option<bool>,
    #[serde(default)]
    http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    api_key: Option<Secret>,
    #[serde(default)]
    api_key_file: Option<String>,
    #[serde(default)]
    api_url: Option<String>,
    #[serde(default)]
    routing_key: Option<String>,
    #[serde(default)]
    message_type: Option<String>,
    #[serde(default)]
    state_message: Option<String>,
    #[serde(default)]
    entity_display_name: Option<String>,
    #[serde(default)]
    monitoring_tool: Option<String>,
    #[serde(default)]
    custom_fields: Option<BTreeMap<String, String>>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebex {
    #[serde(default)]
    send_resolved: Option<bool>,
    #[serde(default)]
    http_config: Option<HttpConfigBlock>,
    #[serde(default)]
    api_url: Option<String>,
    #[serde(default)]
    room_id: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

// ---------------------------------------------------------- validated form

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

/// How alerts of a route are grouped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    /// `group_by: ['...']`: every label.
    All,
    /// These labels (possibly none).
    Labels(Vec<String>),
}

/// A node of the routing tree, with inherited settings resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Receiver name.
    pub receiver: String,
    /// Grouping.
    pub group_by: GroupBy,
    /// Keep matching siblings after this one.
    pub continue_: bool,
    /// Matchers (match, match_re and matchers), sorted.
    pub matchers: Vec<Matcher>,
    /// Wait before the first notification of a group.
    pub group_wait: PromDuration,
    /// Wait between notifications of a changed group.
    pub group_interval: PromDuration,
    /// Wait before repeating an unchanged notification.
    pub repeat_interval: PromDuration,
    /// Time intervals muting this route (not inherited).
    pub mute_time_intervals: Vec<String>,
    /// Time intervals outside which this route is muted (not inherited).
    pub active_time_intervals: Vec<String>,
    /// Child routes.
    pub routes: Vec<Route>,
    /// Position in the file.
    pub pos: Pos,
}

impl Route {
    /// Number of nodes in this subtree.
    pub fn count(&self) -> usize {
        1 + self.routes.iter().map(Route::count).sum::<usize>()
    }
}

/// A webhook integration.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookConfig {
    /// Notify on resolution (default true).
    pub send_resolved: bool,
    /// Endpoint.
    pub url: Option<SecretUrl>,
    /// File holding the endpoint.
    pub url_file: Option<String>,
    /// Most alerts per message (0 = all).
    pub max_alerts: u64,
    /// Request timeout (0 = none).
    pub timeout: PromDuration,
    /// HTTP client.
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
    /// HELO name.
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
    /// Require STARTTLS.
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
    /// Channel.
    pub channel: Option<String>,
    /// Title template.
    pub title: String,
    /// Text template.
    pub text: String,
    /// Other fields, templates as written.
    pub extra: BTreeMap<String, String>,
    /// HTTP client.
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
    /// Events endpoint.
    pub url: String,
    /// Description template.
    pub description: String,
    /// Severity template.
    pub severity: String,
    /// Details templates.
    pub details: BTreeMap<String, String>,
    /// HTTP client.
    pub http_config: HttpClientConfig,
}

/// A receiver and its integrations.
#[derive(Debug, Clone, PartialEq)]
pub struct Receiver {
    /// Unique name.
    pub name: String,
    /// Webhooks.
    pub webhook_configs: Vec<WebhookConfig>,
    /// Emails.
    pub email_configs: Vec<EmailConfig>,
    /// Slack.
    pub slack_configs: Vec<SlackConfig>,
    /// PagerDuty.
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

/// An inhibition rule.
#[derive(Debug, Clone, PartialEq)]
pub struct InhibitRule {
    /// Matchers of the inhibiting alert.
    pub source_matchers: Vec<Matcher>,
    /// Matchers of the inhibited alert.
    pub target_matchers: Vec<Matcher>,
    /// Labels that must be equal in both.
    pub equal: Vec<String>,
}

/// One `time_intervals` entry: every field that is set must match (an empty
/// list matches anything). Ranges are inclusive except `times`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimeInterval {
    /// Minute-of-day ranges `[start, end)`.
    pub times: Vec<(u32, u32)>,
    /// Weekday ranges, 0 = Sunday.
    pub weekdays: Vec<(u32, u32)>,
    /// Day-of-month ranges; negative days count from the month's end (-1 = last).
    pub days_of_month: Vec<(i32, i32)>,
    /// Month ranges, 1 = January.
    pub months: Vec<(u32, u32)>,
    /// Year ranges.
    pub years: Vec<(i32, i32)>,
    /// IANA time zone name (`Local` and `UTC` included); UTC when unset.
    pub location: Option<String>,
}

/// A named list of time intervals (`time_intervals:` / `mute_time_intervals:`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TimeIntervalDef {
    /// Name routes refer to.
    pub name: String,
    /// The intervals; the definition is active when any of them is.
    pub intervals: Vec<TimeInterval>,
}

/// A validated `alertmanager.yml`.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertmanagerConfig {
    /// The file it came from.
    pub path: PathBuf,
    /// The file's text as read; it holds the secrets, so it is one itself
    /// (never served: see `redacted`).
    pub original: Secret,
    /// The config as `/api/v2/status` serves it in `config.original`:
    /// re-serialised, with every value declared as a [`Secret`] or
    /// [`SecretUrl`] printed as `<secret>`.
    pub redacted: String,
    /// Globals.
    pub global: AmGlobal,
    /// Routing tree.
    pub route: Route,
    /// Receivers.
    pub receivers: Vec<Receiver>,
    /// Inhibition rules.
    pub inhibit_rules: Vec<InhibitRule>,
    /// Template file globs, resolved against the config's directory.
    pub templates: Vec<PathBuf>,
    /// Names of time intervals.
    pub time_intervals: Vec<String>,
    /// The time intervals with their structure, in config order.
    pub time_interval_defs: Vec<TimeIntervalDef>,
}

const DEFAULT_PAGERDUTY_URL: &str = "https://events.pagerduty.com/v2/enqueue";

fn http_block(
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

fn map_matchers(
    ck: &mut Checker,
    pos: Pos,
    eq: &BTreeMap<String, String>,
    re: &BTreeMap<String, String>,
    list: &[String],
) -> Vec<Matcher> {
    let mut out = Vec::new();
    for (op, map) in [(MatchOp::Equal, eq), (MatchOp::Regex, re)] {
        for (k, v) in map {
            if !is_valid_label_name(k) {
                ck.error(Some(pos), format!("invalid label name {k:?}"));
                continue;
            }
            // `match_re` values are anchored in the config itself, so route keys
            // print them as Alertmanager does (`{env=~"^(?:prod.*)$"}`).
            let v = if op == MatchOp::Regex {
                format!("^(?:{v})$")
            } else {
                v.clone()
            };
            match Matcher::new(k.clone(), op, v) {
                Ok(m) => out.push(m),
                Err(e) => ck.error(Some(pos), e),
            }
        }
    }
    for s in list {
        match parse_matchers(s) {
            Ok(ms) => out.extend(ms),
            Err(e) => ck.error(Some(pos), e),
        }
    }
    out.sort_by(|a, b| (&a.name, &a.value, a.op).cmp(&(&b.name, &b.value, b.op)));
    out
}

struct RouteDefaults {
    receiver: Option<String>,
    group_by: GroupBy,
    group_wait: PromDuration,
    group_interval: PromDuration,
    repeat_interval: PromDuration,
}

fn build_route(ck: &mut Checker, raw: &Spanned<RawRoute>, parent: &RouteDefaults) -> Route {
    let pos = Pos::of(raw);
    let r = &raw.value;
    let group_by = match &r.group_by {
        None => parent.group_by.clone(),
        Some(g) if g.is_empty() => parent.group_by.clone(),
        Some(g) => {
            if g.iter().any(|l| l == "...") {
                if g.len() > 1 {
                    ck.error(Some(pos), "cannot have wildcard group_by (`...`) and other other labels at the same time");
                }
                GroupBy::All
            } else {
                let mut seen: Vec<&String> = Vec::new();
                for l in g {
                    if seen.contains(&l) {
                        ck.error(Some(pos), format!("duplicated label {l:?} in group_by"));
                    }
                    seen.push(l);
                    if !is_valid_label_name(l) {
                        ck.error(
                            Some(pos),
                            format!("invalid label name {l:?} in group_by list"),
                        );
                    }
                }
                GroupBy::Labels(g.clone())
            }
        }
    };
    if r.group_interval.is_some_and(|d| d.is_zero()) {
        ck.error(Some(pos), "group_interval cannot be zero");
    }
    if r.repeat_interval.is_some_and(|d| d.is_zero()) {
        ck.error(Some(pos), "repeat_interval cannot be zero");
    }
    let defaults = RouteDefaults {
        receiver: r
            .receiver
            .as_ref()
            .map(|s| s.value.clone())
            .or_else(|| parent.receiver.clone()),
        group_by,
        group_wait: r.group_wait.unwrap_or(parent.group_wait),
        group_interval: r.group_interval.unwrap_or(parent.group_interval),
        repeat_interval: r.repeat_interval.unwrap_or(parent.repeat_interval),
    };
    let matchers = map_matchers(ck, pos, &r.match_, &r.match_re, &r.matchers);
    let routes = r
        .routes
        .iter()
        .map(|c| build_route(ck, c, &defaults))
        .collect();
    Route {
        receiver: defaults.receiver.unwrap_or_default(),
        group_by: defaults.group_by,
        continue_: r.continue_,
        matchers,
        group_wait: defaults.group_wait,
        group_interval: defaults.group_interval,
        repeat_interval: defaults.repeat_interval,
        mute_time_intervals: r.mute_time_intervals.clone(),
        active_time_intervals: r.active_time_intervals.clone(),
        routes,
        pos,
    }
}

/// Depth-first check that every route names a known receiver and time interval.
fn check_route_refs(
    ck: &mut Checker,
    raw: &Spanned<RawRoute>,
    receivers: &[String],
    intervals: &[String],
) {
    let r = &raw.value;
    if let Some(rec) = &r.receiver
        && !receivers.contains(&rec.value)
    {
        ck.error(
            Some(Pos::of(rec)),
            format!("undefined receiver {:?} used in route", rec.value),
        );
    }
    for ti in r.mute_time_intervals.iter().chain(&r.active_time_intervals) {
        if !intervals.contains(ti) {
            ck.error(
                Some(Pos::of(raw)),
                format!("undefined time interval {ti:?} used in route"),
            );
        }
    }
    for c in &r.routes {
        check_route_refs(ck, c, receivers, intervals);
    }
}

/// Validates the integrations outpost renders into its outbox only
/// (opsgenie, msteams, telegram, discord, wechat, pushover, sns, victorops,
/// webex) with Alertmanager's messages; counts them in `rec.other`.
fn check_other_integrations(
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
    let mut count = |name: &str, send_resolved: Vec<bool>| {
        if !send_resolved.is_empty() {
            rec.other.push((name.to_string(), send_resolved));
        }
    };
    let list = r.opsgenie_configs.as_deref().unwrap_or_default();
    for c in list {
        let pos = Pos::of(c);
        let c = &c.value;
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
        http_block(ck, pos, path, files, &c.http_config, global_http);
    }
    count(
        "opsgenie_configs",
        list.iter()
            .map(|c| c.value.send_resolved.unwrap_or(true))
            .collect(),
    );

    let list = r.msteams_configs.as_deref().unwrap_or_default();
    for c in list {
        let pos = Pos::of(c);
        let c = &c.value;
        exactly_one(ck, pos, "webhook_url", &c.webhook_url, &c.webhook_url_file);
        http_block(ck, pos, path, files, &c.http_config, global_http);
    }
    count(
        "msteams_configs",
        list.iter()
            .map(|c| c.value.send_resolved.unwrap_or(true))
            .collect(),
    );

    let list = r.telegram_configs.as_deref().unwrap_or_default();
    for c in list {
        let pos = Pos::of(c);
        let c = &c.value;
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
        http_block(ck, pos, path, files, &c.http_config, global_http);
    }
    count(
        "telegram_configs",
        list.iter()
            .map(|c| c.value.send_resolved.unwrap_or(true))
            .collect(),
    );

    let list = r.discord_configs.as_deref().unwrap_or_default();
    for c in list {
        let pos = Pos::of(c);
        let c = &c.value;
        exactly_one(ck, pos, "webhook_url", &c.webhook_url, &c.webhook_url_file);
        http_block(ck, pos, path, files, &c.http_config, global_http);
    }
    count(
        "discord_configs",
        list.iter()
            .map(|c| c.value.send_resolved.unwrap_or(true))
            .collect(),
    );

    let list = r.wechat_configs.as_deref().unwrap_or_default();
    for c in list {
        let pos = Pos::of(c);
        let c = &c.value;
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
        http_block(ck, pos, path, files, &c.http_config, global_http);
    }
    count(
        "wechat_configs",
        list.iter()
            .map(|c| c.value.send_resolved.unwrap_or(false))
            .collect(),
    );

    let list = r.pushover_configs.as_deref().unwrap_or_default();
    for c in list {
        let pos = Pos::of(c);
        let c = &c.value;
        exactly_one(ck, pos, "user_key", &c.user_key, &c.user_key_file);
        exactly_one(ck, pos, "token", &c.token, &c.token_file);
        http_block(ck, pos, path, files, &c.http_config, global_http);
    }
    count(
        "pushover_configs",
        list.iter()
            .map(|c| c.value.send_resolved.unwrap_or(true))
            .collect(),
    );

    let list = r.sns_configs.as_deref().unwrap_or_default();
    for c in list {
        let pos = Pos::of(c);
        let c = &c.value;
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
        http_block(ck, pos, path, files, &c.http_config, global_http);
    }
    count(
        "sns_configs",
        list.iter()
            .map(|c| c.value.send_resolved.unwrap_or(true))
            .collect(),
    );

    let list = r.victorops_configs.as_deref().unwrap_or_default();
    for c in list {
        let pos = Pos::of(c);
        let c = &c.value;
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
        http_block(ck, pos, path, files, &c.http_config, global_http);
    }
    count(
        "victorops_configs",
        list.iter()
            .map(|c| c.value.send_resolved.unwrap_or(true))
            .collect(),
    );

    let list = r.webex_configs.as_deref().unwrap_or_default();
    for c in list {
        let pos = Pos::of(c);
        let c = &c.value;
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
        http_block(ck, pos, path, files, &c.http_config, global_http);
    }
    count(
        "webex_configs",
        list.iter()
            .map(|c| c.value.send_resolved.unwrap_or(true))
            .collect(),
    );
}

/// Loads and validates an `alertmanager.yml`; returns the config and its warnings.
pub fn load_alertmanager(
    files: &Files,
    path: &Path,
) -> Result<(AlertmanagerConfig, Vec<Diagnostic>)> {
    let display = files.display(path);
    let text = files.read(path).map_err(|source| crate::Error::Io {
        file: display.clone(),
        source,
    })?;
    parse_alertmanager(files, path, &display, text)
}

/// Validates `alertmanager.yml` text read from `path`.
pub fn parse_alertmanager(
    files: &Files,
    path: &Path,
    display: &str,
    text: String,
) -> Result<(AlertmanagerConfig, Vec<Diagnostic>)> {
    let (raw, redacted): (RawConfig, String) =
        parse_strict_redacted(display, &text).map_err(crate::Error::Invalid)?;
    let mut ck = Checker::new(display);
    let g = &raw.global;
    let global_http = http_block(
        &mut ck,
        Pos::default(),
        path,
        files,
        &g.http_config,
        &HttpClientConfig {
            follow_redirects: true,
            enable_http2: true,
            ..Default::default()
        },
    );
    let global = AmGlobal {
        resolve_timeout: g.resolve_timeout.unwrap_or(PromDuration::from_secs(300)),
        http_config: global_http.clone(),
        slack_api_url: g.slack_api_url.clone(),
        pagerduty_url: g
            .pagerduty_url
            .clone()
            .unwrap_or_else(|| DEFAULT_PAGERDUTY_URL.into()),
        smtp_smarthost: g.smtp_smarthost.clone(),
        smtp_from: g.smtp_from.clone(),
    };

    let mut intervals: Vec<String> = Vec::new();
    let mut interval_defs: Vec<TimeIntervalDef> = Vec::new();
    for ti in raw.time_intervals.iter().chain(&raw.mute_time_intervals) {
        if ti.value.name.is_empty() {
            ck.error(Some(Pos::of(ti)), "missing name in time interval");
        } else if intervals.contains(&ti.value.name) {
            ck.error(
                Some(Pos::of(ti)),
                format!("time interval {:?} is not unique", ti.value.name),
            );
        } else {
            intervals.push(ti.value.name.clone());
            let mut def = TimeIntervalDef {
                name: ti.value.name.clone(),
                intervals: Vec::new(),
            };
            for spec in &ti.value.time_intervals {
                match time_interval(spec) {
                    Ok(t) => def.intervals.push(t),
                    Err(e) => ck.error(Some(Pos::of(ti)), e),
                }
            }
            interval_defs.push(def);
        }
    }

    let mut receivers: Vec<Receiver> = Vec::new();
    for rr in &raw.receivers {
        let rpos = Pos::of(rr);
        let r = &rr.value;
        if r.name.is_empty() {
            ck.error(Some(rpos), "missing name in receiver");
            continue;
        }
        if receivers.iter().any(|x| x.name == r.name) {
            ck.error(
                Some(rpos),
                format!("notification config name {:?} is not unique", r.name),
            );
        }
        let mut rec = Receiver {
            name: r.name.clone(),
            webhook_configs: Vec::new(),
            email_configs: Vec::new(),
            slack_configs: Vec::new(),
            pagerduty_configs: Vec::new(),
            other: Vec::new(),
        };
        for w in &r.webhook_configs {
            let pos = Pos::of(w);
            let w = &w.value;
            match (&w.url, &w.url_file) {
                (None, None) => ck.error(Some(pos), "one of url or url_file must be configured"),
                (Some(_), Some(_)) => ck.error(
                    Some(pos),
                    "at most one of url & url_file must be configured",
                ),
                (Some(u), None)
                    if !(u.expose().starts_with("http://")
                        || u.expose().starts_with("https://")) =>
                {
                    // The URL is a secret: name its scheme only.
                    let scheme = u.expose().split_once(':').map_or("", |(s, _)| s);
                    ck.error(
                        Some(pos),
                        format!("unsupported scheme {scheme:?} for webhook url"),
                    )
                }
                _ => {}
            }
            rec.webhook_configs.push(WebhookConfig {
                send_resolved: w.send_resolved.unwrap_or(true),
                url: w.url.clone(),
                url_file: w.url_file.clone(),
                max_alerts: w.max_alerts.unwrap_or(0),
                timeout: w.timeout.unwrap_or_default(),
                http_config: http_block(&mut ck, pos, path, files, &w.http_config, &global_http),
            });
        }
        for e in &r.email_configs {
            let pos = Pos::of(e);
            let e = &e.value;
            let Some(to) = e.to.clone().filter(|t| !t.is_empty()) else {
                ck.error(Some(pos), "missing to address in email config");
                continue;
            };
            let smarthost = e.smarthost.clone().or_else(|| g.smtp_smarthost.clone());
            let from = e.from.clone().or_else(|| g.smtp_from.clone());
            if smarthost.is_none() {
                ck.error(Some(pos), "no global SMTP smarthost set");
            }
            if from.is_none() {
                ck.error(Some(pos), "no global SMTP from set");
            }
            let mut headers: BTreeMap<String, String> = BTreeMap::new();
            for (k, v) in &e.headers {
                let canon = canonical_header(k);
                if headers.insert(canon.clone(), v.clone()).is_some() {
                    ck.error(
                        Some(pos),
                        format!("duplicate header {canon:?} in email config"),
                    );
                }
            }
            headers
                .entry("Subject".into())
                .or_insert_with(|| r#"{{ template "email.default.subject" . }}"#.into());
            headers.entry("To".into()).or_insert_with(|| to.clone());
            headers
                .entry("From".into())
                .or_insert_with(|| from.clone().unwrap_or_default());
            // A password (or secret) set inline or in a file on the email
            // config wins over the globals as a pair.
            let (auth_password, auth_password_file) =
                if e.auth_password.is_some() || e.auth_password_file.is_some() {
                    (e.auth_password.clone(), e.auth_password_file.clone())
                } else {
                    (
                        g.smtp_auth_password.clone(),
                        g.smtp_auth_password_file.clone(),
                    )
                };
            let (auth_secret, auth_secret_file) =
                if e.auth_secret.is_some() || e.auth_secret_file.is_some() {
                    (e.auth_secret.clone(), e.auth_secret_file.clone())
                } else {
                    (g.smtp_auth_secret.clone(), g.smtp_auth_secret_file.clone())
                };
            rec.email_configs.push(EmailConfig {
                send_resolved: e.send_resolved.unwrap_or(false),
                to,
                from: from.unwrap_or_default(),
                smarthost: smarthost.unwrap_or_default(),
                hello: e
                    .hello
                    .clone()
                    .or_else(|| g.smtp_hello.clone())
                    .unwrap_or_else(|| "localhost".into()),
                auth_username: e
                    .auth_username
                    .clone()
                    .or_else(|| g.smtp_auth_username.clone()),
                auth_password,
                auth_password_file,
                auth_secret,
                auth_secret_file,
                auth_identity: e
                    .auth_identity
                    .clone()
                    .or_else(|| g.smtp_auth_identity.clone()),
                require_tls: e.require_tls.or(g.smtp_require_tls).unwrap_or(true),
                tls_config: e.tls_config.clone().or_else(|| g.smtp_tls_config.clone()),
                headers,
                html: Some(
                    e.html
                        .clone()
                        .unwrap_or_else(|| r#"{{ template "email.default.html" . }}"#.into()),
                )
                .filter(|h| !h.is_empty()),
                text: e.text.clone(),
            });
        }
        for s in &r.slack_configs {
            let pos = Pos::of(s);
            let s = &s.value;
            let api_url = s.api_url.clone().or_else(|| g.slack_api_url.clone());
            let api_url_file = s
                .api_url_file
                .clone()
                .or_else(|| g.slack_api_url_file.clone());
            if api_url.is_none()
                && api_url_file.is_none()
                && s.app_token.is_none()
                && g.slack_app_token.is_none()
            {
                ck.error(
                    Some(pos),
                    "no global Slack API URL set either inline or in a file",
                );
            }
            let mut extra = BTreeMap::new();
            for (k, v) in [
                ("username", &s.username),
                ("color", &s.color),
                ("title_link", &s.title_link),
                ("pretext", &s.pretext),
                ("footer", &s.footer),
                ("fallback", &s.fallback),
                ("callback_id", &s.callback_id),
                ("icon_emoji", &s.icon_emoji),
                ("icon_url", &s.icon_url),
                ("image_url", &s.image_url),
                ("thumb_url", &s.thumb_url),
            ] {
                if let Some(v) = v {
                    extra.insert(k.to_string(), v.clone());
                }
            }
            rec.slack_configs.push(SlackConfig {
                send_resolved: s.send_resolved.unwrap_or(false),
                api_url,
                api_url_file,
                channel: s.channel.clone(),
                title: s
                    .title
                    .clone()
                    .unwrap_or_else(|| r#"{{ template "slack.default.title" . }}"#.into()),
                text: s
                    .text
                    .clone()
                    .unwrap_or_else(|| r#"{{ template "slack.default.text" . }}"#.into()),
                extra,
                http_config: http_block(&mut ck, pos, path, files, &s.http_config, &global_http),
            });
        }
        for p in &r.pagerduty_configs {
            let pos = Pos::of(p);
            let p = &p.value;
            let has_key = p.routing_key.is_some()
                || p.routing_key_file.is_some()
                || p.service_key.is_some()
                || p.service_key_file.is_some();
            if !has_key {
                ck.error(
                    Some(pos),
                    "missing service or routing key in PagerDuty config",
                );
            }
            if p.routing_key.is_some() && p.routing_key_file.is_some() {
                ck.error(
                    Some(pos),
                    "at most one of routing_key & routing_key_file must be configured",
                );
            }
            if p.service_key.is_some() && p.service_key_file.is_some() {
                ck.error(
                    Some(pos),
                    "at most one of service_key & service_key_file must be configured",
                );
            }
            rec.pagerduty_configs.push(PagerdutyConfig {
                send_resolved: p.send_resolved.unwrap_or(true),
                routing_key: p.routing_key.clone(),
                service_key: p.service_key.clone(),
                url: p
                    .url
                    .clone()
                    .unwrap_or_else(|| global.pagerduty_url.clone()),
                description: p
                    .description
                    .clone()
                    .unwrap_or_else(|| r#"{{ template "pagerduty.default.description" .}}"#.into()),
                severity: p.severity.clone().unwrap_or_else(|| "error".into()),
                details: p.details.clone().unwrap_or_default(),
                http_config: http_block(&mut ck, pos, path, files, &p.http_config, &global_http),
            });
        }
        check_other_integrations(&mut ck, &mut rec, r, g, path, files, &global_http);
        for (name, v) in [
            ("msteamsv2_configs", &r.msteamsv2_configs),
            ("jira_configs", &r.jira_configs),
            ("rocketchat_configs", &r.rocketchat_configs),
            ("incidentio_configs", &r.incidentio_configs),
            ("mattermost_configs", &r.mattermost_configs),
        ] {
            if let Some(list) = v {
                // Not parsed: upstream's default (false only for rocketchat).
                let send_resolved = name != "rocketchat_configs";
                rec.other
                    .push((name.to_string(), vec![send_resolved; list.len()]));
                ck.warn(
                    Some(rpos),
                    format!(
                        "receiver {:?}: {name} are accepted but not validated or rendered by outpost",
                        r.name
                    ),
                );
            }
        }
        receivers.push(rec);
    }
    let receiver_names: Vec<String> = receivers.iter().map(|r| r.name.clone()).collect();

    let route = match &raw.route {
        None => {
            ck.error(None, "no route provided in config");
            None
        }
        Some(root) => {
            let rpos = Pos::of(root);
            let r = &root.value;
            if r.receiver.as_ref().is_none_or(|s| s.value.is_empty()) {
                ck.error(Some(rpos), "root route must specify a default receiver");
            }
            if !r.match_.is_empty() || !r.match_re.is_empty() || !r.matchers.is_empty() {
                ck.error(Some(rpos), "root route must not have any matchers");
            }
            if r.continue_ {
                ck.error(Some(rpos), "cannot have continue in root route");
            }
            if !r.mute_time_intervals.is_empty() {
                ck.error(
                    Some(rpos),
                    "root route must not have any mute time intervals",
                );
            }
            if !r.active_time_intervals.is_empty() {
                ck.error(
                    Some(rpos),
                    "root route must not have any active time intervals",
                );
            }
            check_route_refs(&mut ck, root, &receiver_names, &intervals);
            let defaults = RouteDefaults {
                receiver: None,
                group_by: GroupBy::Labels(Vec::new()),
                group_wait: PromDuration::from_secs(30),
                group_interval: PromDuration::from_secs(300),
                repeat_interval: PromDuration::from_secs(4 * 3600),
            };
            Some(build_route(&mut ck, root, &defaults))
        }
    };

    let mut inhibit_rules = Vec::new();
    for ir in &raw.inhibit_rules {
        let pos = Pos::of(ir);
        let r = &ir.value;
        let source_matchers = map_matchers(
            &mut ck,
            pos,
            &r.source_match,
            &r.source_match_re,
            &r.source_matchers,
        );
        let target_matchers = map_matchers(
            &mut ck,
            pos,
            &r.target_match,
            &r.target_match_re,
            &r.target_matchers,
        );
        for l in &r.equal {
            if !is_valid_label_name(l) {
                ck.error(Some(pos), format!("invalid label name {l:?} in equal list"));
            }
        }
        inhibit_rules.push(InhibitRule {
            source_matchers,
            target_matchers,
            equal: r.equal.clone(),
        });
    }

    let mut templates = Vec::new();
    for t in &raw.templates {
        let resolved = resolve_relative(path, t);
        if glob::Pattern::new(&resolved.to_string_lossy()).is_err() {
            ck.error(None, format!("invalid template glob {t:?}"));
        } else {
            templates.push(resolved);
        }
    }

    let Some(route) = route else {
        return Err(crate::Error::Invalid(ck.errors));
    };
    ck.finish(AlertmanagerConfig {
        path: path.to_path_buf(),
        original: Secret::new(text),
        redacted,
        global,
        route,
        receivers,
        inhibit_rules,
        templates,
        time_intervals: intervals,
        time_interval_defs: interval_defs,
    })
}

fn parse_clock(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    if m > 59 || h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

fn named_or_number(s: &str, names: &[&str], first: u32) -> Option<u32> {
    let l = s.trim().to_ascii_lowercase();
    if let Some(i) = names.iter().position(|n| *n == l) {
        return u32::try_from(i).ok().map(|i| i + first);
    }
    l.parse().ok()
}

fn split_range(s: &str) -> (&str, &str) {
    match s.split_once(':') {
        Some((a, b)) => (a, b),
        None => (s, s),
    }
}

const WEEKDAYS: &[&str] = &[
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
];
const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Validates one `time_intervals` entry with Alertmanager's messages.
fn time_interval(raw: &RawTimeSpec) -> std::result::Result<TimeInterval, String> {
    let mut t = TimeInterval::default();
    for r in &raw.times {
        let start = parse_clock(&r.start_time)
            .ok_or_else(|| format!("couldn't parse timestamp {}, invalid format", r.start_time))?;
        let end = parse_clock(&r.end_time)
            .ok_or_else(|| format!("couldn't parse timestamp {}, invalid format", r.end_time))?;
        if start >= end {
            return Err("start time cannot be equal or greater than end time".into());
        }
        t.times.push((start, end));
    }
    for w in &raw.weekdays {
        let (a, b) = split_range(w);
        let (Some(a), Some(b)) = (
            WEEKDAYS
                .iter()
                .position(|n| *n == a.trim().to_ascii_lowercase()),
            WEEKDAYS
                .iter()
                .position(|n| *n == b.trim().to_ascii_lowercase()),
        ) else {
            return Err(format!("{w} is not a valid weekday"));
        };
        if a > b {
            return Err("start day cannot be before end day".into());
        }
        t.weekdays.push((a as u32, b as u32));
    }
    for d in &raw.days_of_month {
        let (a, b) = split_range(d);
        let (Ok(a), Ok(b)) = (a.trim().parse::<i32>(), b.trim().parse::<i32>()) else {
            return Err(format!("invalid day of month: {d}"));
        };
        if a == 0 || b == 0 || !(-31..=31).contains(&a) || !(-31..=31).contains(&b) {
            return Err(format!("{d} is not a valid day of the month: out of range"));
        }
        if (a > 0 && b > 0 || a < 0 && b < 0) && a > b {
            return Err("end day must be greater than start day".into());
        }
        t.days_of_month.push((a, b));
    }
    for m in &raw.months {
        let (a, b) = split_range(m);
        let (Some(a), Some(b)) = (named_or_number(a, MONTHS, 1), named_or_number(b, MONTHS, 1))
        else {
            return Err(format!("{m} is not a valid month"));
        };
        if !(1..=12).contains(&a) || !(1..=12).contains(&b) {
            return Err(format!("{m} is not a valid month: out of range"));
        }
        if a > b {
            return Err("end month must be greater than or equal to start month".into());
        }
        t.months.push((a, b));
    }
    for y in &raw.years {
        let (a, b) = split_range(y);
        let (Ok(a), Ok(b)) = (a.trim().parse::<i32>(), b.trim().parse::<i32>()) else {
            return Err(format!("invalid year: {y}"));
        };
        if a > b {
            return Err("end year must be greater than or equal to start year".into());
        }
        t.years.push((a, b));
    }
    if let Some(loc) = &raw.location {
        let zoneinfo = Path::new("/usr/share/zoneinfo");
        if loc != "Local" && loc != "UTC" && zoneinfo.is_dir() && !zoneinfo.join(loc).is_file() {
            return Err(format!("unknown time zone {loc}"));
        }
        t.location = Some(loc.clone());
    }
    Ok(t)
}

/// MIME header canonical form (`content-type` → `Content-Type`).
fn canonical_header(k: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<(AlertmanagerConfig, Vec<Diagnostic>)> {
        parse_alertmanager(
            &Files::Embedded(&[]),
            Path::new("am/alertmanager.yml"),
            "alertmanager.yml",
            text.to_string(),
        )
    }

    const BASE: &str = "route:\n  receiver: a\n  group_by: [alertname]\n  routes:\n    - match: {severity: critical}\n      receiver: b\n      group_wait: 5s\nreceivers:\n  - name: a\n    webhook_configs: [{url: 'http://x/'}]\n  - name: b\n";

    #[test]
    fn inheritance_and_defaults() {
        let (c, _) = parse(BASE).unwrap();
        assert_eq!(c.global.resolve_timeout.to_string(), "5m");
        let child = &c.route.routes[0];
        assert_eq!(child.receiver, "b");
        assert_eq!(child.group_by, GroupBy::Labels(vec!["alertname".into()]));
        assert_eq!(child.group_wait.to_string(), "5s");
        assert_eq!(child.group_interval.to_string(), "5m");
        assert_eq!(child.repeat_interval.to_string(), "4h");
        assert_eq!(child.matchers[0].to_string(), "severity=\"critical\"");
        assert!(c.receivers[0].webhook_configs[0].send_resolved);
        assert_eq!(c.route.count(), 2);
    }

    #[test]
    fn undefined_receiver_is_reported_at_its_line() {
        let text = BASE.replace("receiver: b", "receiver: nope");
        let e = parse(&text).unwrap_err().to_string();
        assert!(
            e.contains("alertmanager.yml:6:17: undefined receiver \"nope\" used in route"),
            "{e}"
        );
    }

    #[test]
    fn email_needs_globals_and_to() {
        let text = format!("{BASE}    email_configs:\n      - to: x@y\n      - from: a@b\n");
        let e = parse(&text).unwrap_err().to_string();
        assert!(e.contains("no global SMTP smarthost set"), "{e}");
        assert!(e.contains("missing to address in email config"), "{e}");
    }

    #[test]
    fn email_auth_and_tls_fall_back_to_globals() {
        let text = format!(
            "global:\n  smtp_smarthost: 'h:587'\n  smtp_from: 'a@b'\n  smtp_auth_username: u\n  smtp_auth_password: p\n  smtp_auth_identity: i\n  smtp_auth_secret: s\n  smtp_tls_config: {{ca_file: ca.pem}}\n{BASE}    email_configs:\n      - to: x@y\n      - to: z@y\n        auth_password_file: pw\n        tls_config: {{insecure_skip_verify: true}}\n"
        );
        let (c, _) = parse(&text).unwrap();
        let b = c.receivers.iter().find(|r| r.name == "b").unwrap();
        let (e, f) = (&b.email_configs[0], &b.email_configs[1]);
        assert_eq!(e.auth_username.as_deref(), Some("u"));
        assert_eq!(e.auth_password.as_ref().map(Secret::expose), Some("p"));
        assert_eq!(e.auth_identity.as_deref(), Some("i"));
        assert_eq!(e.auth_secret.as_ref().map(Secret::expose), Some("s"));
        assert_eq!(
            e.tls_config.as_ref().and_then(|t| t.ca_file.as_deref()),
            Some("ca.pem")
        );
        assert_eq!(f.auth_password, None);
        assert_eq!(f.auth_password_file.as_deref(), Some("pw"));
        assert!(f.tls_config.as_ref().unwrap().insecure_skip_verify);
        assert!(e.require_tls);
    }

    #[test]
    fn root_route_rules() {
        let e = parse("route:\n  match: {a: b}\n  continue: true\nreceivers: []\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("root route must specify a default receiver"),
            "{e}"
        );
        assert!(e.contains("root route must not have any matchers"), "{e}");
        assert!(e.contains("cannot have continue in root route"), "{e}");
        let e = parse("receivers: [{name: a}]\n").unwrap_err().to_string();
        assert!(e.contains("no route provided in config"), "{e}");
    }

    #[test]
    fn group_by_rules() {
        let e = parse(&BASE.replace("group_by: [alertname]", "group_by: ['...', job]"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot have wildcard group_by"), "{e}");
        let e = parse(&BASE.replace("group_by: [alertname]", "group_by: [a, a]"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("duplicated label \"a\" in group_by"), "{e}");
    }

    #[test]
    fn time_intervals_are_parsed() {
        let text = format!(
            "{BASE}time_intervals:\n  - name: office\n    time_intervals:\n      - times: [{{start_time: '09:00', end_time: '17:30'}}]\n        weekdays: ['monday:friday']\n        months: ['may:august', '12']\n        days_of_month: ['-3:-1']\n"
        );
        let (c, _) = parse(&text).unwrap();
        let t = &c.time_interval_defs[0].intervals[0];
        assert_eq!(t.times, [(540, 1050)]);
        assert_eq!(t.weekdays, [(1, 5)]);
        assert_eq!(t.months, [(5, 8), (12, 12)]);
        assert_eq!(t.days_of_month, [(-3, -1)]);
        let bad = text.replace("'17:30'", "'08:00'");
        let e = parse(&bad).unwrap_err().to_string();
        assert!(
            e.contains("start time cannot be equal or greater than end time"),
            "{e}"
        );
    }

    #[test]
    fn other_integrations_are_validated() {
        let text = format!(
            "{BASE}    opsgenie_configs: [{{responders: [{{type: team}}]}}]\n    telegram_configs: [{{bot_token: x, parse_mode: Nope}}]\n    discord_configs: [{{}}]\n    pushover_configs: [{{user_key: u}}]\n    sns_configs: [{{}}]\n    victorops_configs: [{{api_key: k, custom_fields: {{routing_key: x}}}}]\n    webex_configs: [{{room_id: r}}]\n    wechat_configs: [{{message_type: html}}]\n    msteams_configs: [{{webhook_url: 'http://x', webhook_url_file: f}}]\n"
        );
        let e = parse(&text).unwrap_err().to_string();
        for want in [
            "no global OpsGenie API Key set either inline or in a file",
            "responder has to have at least one of id, username or name specified",
            "missing chat_id on telegram_config",
            "unknown parse_mode on telegram_config",
            "one of webhook_url or webhook_url_file must be configured",
            "one of token or token_file must be configured",
            "must provide either a Target ARN, Topic ARN, or Phone Number for SNS config",
            "missing Routing key in VictorOps config",
            "custom field routing_key which cannot be used",
            "missing webex_configs.http_config.authorization",
            "WeChat message type \"html\" does not match valid options text, markdown",
            "no global Wechat ApiSecret set",
            "at most one of webhook_url & webhook_url_file must be configured",
        ] {
            assert!(e.contains(want), "{want}: {e}");
        }
        let e = parse(&format!(
            "{BASE}    telegram_configs: [{{bot_token: x, chat_id: 1, nope: 2}}]\n"
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("nope"), "{e}");
        let (c, w) = parse(&format!(
            "{BASE}    telegram_configs: [{{bot_token: x, chat_id: 1}}]\n"
        ))
        .unwrap();
        assert_eq!(
            c.receivers[1].other,
            [("telegram_configs".to_string(), vec![true])]
        );
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn other_integrations_keep_send_resolved() {
        let (c, _) = parse(&format!(
            "{BASE}    telegram_configs: [{{bot_token: x, chat_id: 1, send_resolved: false}}, {{bot_token: x, chat_id: 2}}]\n    wechat_configs: [{{api_secret: s, corp_id: c}}, {{api_secret: s, corp_id: c, send_resolved: true}}]\n"
        ))
        .unwrap();
        assert_eq!(
            c.receivers[1].other,
            [
                ("telegram_configs".to_string(), vec![false, true]),
                ("wechat_configs".to_string(), vec![false, true]),
            ]
        );
        assert_eq!(c.receivers[1].integration_count(), 4);
    }

    #[test]
    fn headers_are_canonical_and_unique() {
        assert_eq!(canonical_header("content-TYPE"), "Content-Type");
        let text = format!(
            "global: {{smtp_smarthost: 'h:25', smtp_from: 'a@b'}}\n{BASE}    email_configs:\n      - to: x@y\n        headers: {{subject: a, Subject: b}}\n"
        );
        let e = parse(&text).unwrap_err().to_string();
        assert!(
            e.contains("duplicate header \"Subject\" in email config"),
            "{e}"
        );
    }
}
