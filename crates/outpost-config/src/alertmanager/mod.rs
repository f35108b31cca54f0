//! `alertmanager.yml`: raw serde form, then validation into [`AlertmanagerConfig`]
//! with Alertmanager's defaults, inheritance and error messages.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::check::{Checker, Pos};
use crate::duration::PromDuration;
use crate::error::{Diagnostic, Result};
use crate::http::{Finding, HttpClientConfig, HttpConfigBlock, SigV4Config, TlsConfig};
use crate::labels::is_valid_label_name;
use crate::matchers::{MatchOp, Matcher, parse_matchers};
use crate::secret::{Secret, SecretUrl, Unmodelled};
use crate::source::{Files, resolve_relative};
use crate::yaml::parse_strict_redacted;

mod global;
mod inhibit;
mod receivers;
mod route;
mod time_intervals;

pub use global::AmGlobal;
pub use inhibit::InhibitRule;
pub use receivers::{EmailConfig, PagerdutyConfig, Receiver, SlackConfig, WebhookConfig};
pub use route::{GroupBy, Route};
pub use time_intervals::{TimeInterval, TimeIntervalDef};

use global::*;
use inhibit::*;
use receivers::*;
use route::*;
use time_intervals::*;

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
    tracing: Option<Unmodelled>,
}

// ---------------------------------------------------------- validated form

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
    /// `global:` with Alertmanager's defaults filled in.
    pub global: AmGlobal,
    /// The root route, its children nested, inherited settings resolved.
    pub route: Route,
    /// Receivers in file order, integrations with globals filled in.
    pub receivers: Vec<Receiver>,
    /// Rules muting target alerts while matching source alerts fire.
    pub inhibit_rules: Vec<InhibitRule>,
    /// Template file globs, resolved against the config's directory.
    pub templates: Vec<PathBuf>,
    /// Names of time intervals.
    pub time_intervals: Vec<String>,
    /// The time intervals with their structure, in config order.
    pub time_interval_defs: Vec<TimeIntervalDef>,
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
                (Some(u), None) if !(u.starts_with("http://") || u.starts_with("https://")) => {
                    // The URL may carry a credential: name its scheme only.
                    let scheme = u.split_once(':').map_or("", |(s, _)| s);
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

    /// Issue 16.4: receivers Outpost does not send to (Rocket.Chat,
    /// incident.io, Mattermost, Teams v2, Jira) and `tracing` were served
    /// verbatim, secrets included.
    #[test]
    fn unsupported_receivers_leak_no_secret() {
        let text = format!(
            "{BASE}    rocketchat_configs:\n      - api_url: https://rc\n        channel: '#c'\n        token: leak-rc-token\n        token_id: leak-rc-id\n    incidentio_configs: [{{url: 'https://api.incident.io/v2/alert_events/http/leak-iio-url', alert_source_token: leak-iio-token}}]\n    mattermost_configs:\n      - webhook_url: \"https://mm/hooks/leak-mm\"\n        text: hi\n    msteamsv2_configs: [{{webhook_url: 'https://teams/leak-teamsv2'}}]\n    jira_configs: [{{api_url: 'https://jira', project: P, http_config: {{basic_auth: {{username: u, password: leak-jira}}}}}}]\ntracing:\n  endpoint: otel:4317\n  tls_config: {{key: leak-tracing-key}}\n"
        );
        let (c, _) = parse(&text).unwrap();
        assert!(!c.redacted.contains("leak"), "{}", c.redacted);
        let tree: serde_json::Value = serde_saphyr::from_str(&c.redacted).unwrap();
        let b = &tree["receivers"][1];
        assert_eq!(b["name"], "b");
        for kind in [
            "rocketchat_configs",
            "incidentio_configs",
            "mattermost_configs",
            "msteamsv2_configs",
            "jira_configs",
        ] {
            assert_eq!(
                b[kind],
                crate::secret::UNMODELLED_TOKEN,
                "{kind}: {}",
                c.redacted
            );
        }
        assert_eq!(tree["tracing"], crate::secret::UNMODELLED_TOKEN);
        assert_eq!(
            tree["receivers"][0]["webhook_configs"][0]["url"],
            "http://x/"
        );
    }
}
