//! Rendering of email, Slack, PagerDuty and other notifications with
//! Alertmanager's default templates and the config's own template files
//! (`outpost-template`). A template error fails the notification, as it
//! does in Alertmanager; the message keeps the raw text and the error.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use outpost_config::{EmailConfig, Files, PagerdutyConfig, SlackConfig};
use outpost_template::{Data, TemplateSet};

use crate::alert::{Alert, LabelSet};

/// Loads the default templates plus the files of the config's `templates:` globs.
pub(crate) fn template_set(globs: &[std::path::PathBuf], files: &Files) -> TemplateSet {
    let mut set = TemplateSet::new();
    for g in globs {
        let paths = match files.glob(&g.to_string_lossy()) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(glob = %g.display(), error = %e, "invalid template glob");
                continue;
            }
        };
        for p in paths {
            let text = match files.read(&p) {
                Ok(t) => t,
                Err(e) => {
                    tracing::warn!(file = %p.display(), error = %e, "cannot read template file");
                    continue;
                }
            };
            if let Err(e) = set.add_file(&p.to_string_lossy(), &text) {
                tracing::warn!(file = %p.display(), error = %e, "cannot parse template file");
            }
        }
    }
    set
}

/// The template data of a notification (Alertmanager's `template.Data`).
pub(crate) fn data(
    receiver: &str,
    group_labels: &LabelSet,
    alerts: &[Alert],
    external_url: &str,
    now: i64,
) -> Data {
    let alerts = alerts
        .iter()
        .map(|a| {
            let resolved = a.resolved_at(now);
            outpost_template::Alert {
                status: if resolved { "resolved" } else { "firing" }.into(),
                labels: a.labels.clone(),
                annotations: a.annotations.clone(),
                starts_at_ms: a.starts_at,
                ends_at_ms: resolved.then_some(a.ends_at),
                generator_url: a.generator_url.clone(),
                fingerprint: a.fingerprint.to_string(),
            }
        })
        .collect();
    Data::build(receiver, group_labels.clone(), alerts, external_url, now)
}

/// Renders fields, collecting template errors.
pub(crate) struct Renderer<'a> {
    set: &'a TemplateSet,
    data: &'a Data,
    pub(crate) errors: Vec<String>,
}

impl<'a> Renderer<'a> {
    pub(crate) fn new(set: &'a TemplateSet, data: &'a Data) -> Self {
        Renderer {
            set,
            data,
            errors: Vec::new(),
        }
    }

    fn text(&mut self, field: &str, tmpl: &str) -> String {
        match self.set.render_text(tmpl, self.data) {
            Ok(s) => s,
            Err(e) => {
                self.errors.push(format!("{field}: {e}"));
                tmpl.to_string()
            }
        }
    }

    fn html(&mut self, field: &str, tmpl: &str) -> String {
        match self.set.render_html(tmpl, self.data) {
            Ok(s) => s,
            Err(e) => {
                self.errors.push(format!("{field}: {e}"));
                tmpl.to_string()
            }
        }
    }

    /// `{{ template "__subject" . }}`.
    pub(crate) fn subject(&mut self) -> String {
        self.text("subject", r#"{{ template "__subject" . }}"#)
    }

    /// `{{ template "__alertmanagerURL" . }}`.
    fn alertmanager_url(&mut self) -> String {
        self.text("client_url", r#"{{ template "__alertmanagerURL" . }}"#)
    }

    /// An email: headers, bodies, envelope.
    pub(crate) fn email(&mut self, c: &EmailConfig) -> Value {
        let mut headers = serde_json::Map::new();
        for (k, v) in &c.headers {
            let s = self.text(&format!("headers.{k}"), v);
            headers.insert(k.clone(), Value::String(s));
        }
        let html = c.html.as_ref().map(|h| self.html("html", h));
        let text = c.text.as_ref().map(|t| self.text("text", t));
        json!({
            "smarthost": c.smarthost,
            "from": self.text("from", &c.from),
            "to": self.text("to", &c.to),
            "headers": headers,
            "html": html,
            "text": text,
        })
    }

    /// A Slack message as Alertmanager posts it.
    pub(crate) fn slack(&mut self, c: &SlackConfig) -> Value {
        let title = self.text("title", &c.title);
        let text = self.text("text", &c.text);
        let extra = |r: &mut Self, k: &str, default: &str| {
            let t = c.extra.get(k).map(String::as_str).unwrap_or(default);
            r.text(k, t)
        };
        let color = extra(
            self,
            "color",
            r#"{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}"#,
        );
        let title_link = extra(
            self,
            "title_link",
            r#"{{ template "slack.default.titlelink" . }}"#,
        );
        let fallback = extra(
            self,
            "fallback",
            r#"{{ template "slack.default.fallback" . }}"#,
        );
        let username = extra(
            self,
            "username",
            r#"{{ template "slack.default.username" . }}"#,
        );
        let pretext = extra(
            self,
            "pretext",
            r#"{{ template "slack.default.pretext" . }}"#,
        );
        let footer = extra(self, "footer", r#"{{ template "slack.default.footer" . }}"#);
        let channel = c.channel.as_ref().map(|ch| self.text("channel", ch));
        json!({
            "channel": channel,
            "username": username,
            "attachments": [{
                "title": title,
                "title_link": title_link,
                "pretext": pretext,
                "text": text,
                "fallback": fallback,
                "color": color,
                "footer": footer,
                "mrkdwn_in": ["fallback", "pretext", "text"],
            }],
        })
    }

    /// A PagerDuty Events API v2 payload.
    pub(crate) fn pagerduty(&mut self, c: &PagerdutyConfig, group_key: &str) -> Value {
        let description = self.text("description", &c.description);
        let severity = self.text("severity", &c.severity);
        let mut details = serde_json::Map::new();
        for (k, t) in [
            (
                "firing",
                r#"{{ template "pagerduty.default.instances" .Alerts.Firing }}"#,
            ),
            (
                "resolved",
                r#"{{ template "pagerduty.default.instances" .Alerts.Resolved }}"#,
            ),
            ("num_firing", "{{ .Alerts.Firing | len }}"),
            ("num_resolved", "{{ .Alerts.Resolved | len }}"),
        ] {
            let s = self.text(&format!("details.{k}"), t);
            details.insert(k.into(), Value::String(s));
        }
        for (k, v) in &c.details {
            let s = self.text(&format!("details.{k}"), v);
            details.insert(k.clone(), Value::String(s));
        }
        let action = if self.data.status == "firing" {
            "trigger"
        } else {
            "resolve"
        };
        let client_url = self.alertmanager_url();
        json!({
            "routing_key": c.routing_key.as_ref().map(|_| "<secret>"),
            "dedup_key": key_hash(group_key),
            "event_action": action,
            "payload": {
                "summary": description,
                "source": "Alertmanager",
                "severity": severity,
                "custom_details": details,
            },
            "client": "Alertmanager",
            "client_url": client_url,
        })
    }
}

impl Renderer<'_> {
    /// Another integration (opsgenie, telegram, …): its default templates
    /// (`<kind>.default.<field>`) and the subject.
    pub(crate) fn other(&mut self, kind: &str) -> Value {
        let mut m = serde_json::Map::new();
        let prefix = format!("{kind}.default.");
        for name in self.set.template().names() {
            if let Some(field) = name.strip_prefix(&prefix) {
                let v = self.text(field, &format!("{{{{ template \"{name}\" . }}}}"));
                m.insert(field.to_string(), Value::String(v));
            }
        }
        m.insert("subject".into(), Value::String(self.subject()));
        Value::Object(m)
    }
}

/// The SHA-256 hex of a group key (PagerDuty's dedup_key).
pub(crate) fn key_hash(group_key: &str) -> String {
    let d = Sha256::digest(group_key.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{PostableAlert, validate};

    fn alert(pairs: &[(&str, &str)]) -> Alert {
        validate(
            PostableAlert {
                labels: pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                starts_at: Some(0),
                ends_at: Some(10_000),
                ..Default::default()
            },
            0,
            0,
        )
        .unwrap()
    }

    #[test]
    fn subject_and_slack_defaults() {
        let set = TemplateSet::new();
        let a = [
            alert(&[
                ("alertname", "HighCPU"),
                ("severity", "critical"),
                ("i", "1"),
            ]),
            alert(&[
                ("alertname", "HighCPU"),
                ("severity", "critical"),
                ("i", "2"),
            ]),
        ];
        let group: LabelSet = [("alertname".to_string(), "HighCPU".to_string())].into();
        let d = data("team.a", &group, &a, "http://am:9093", 1);
        let mut r = Renderer::new(&set, &d);
        assert_eq!(r.subject(), "[FIRING:2] HighCPU (critical)");
        let c = SlackConfig {
            send_resolved: false,
            api_url: None,
            api_url_file: None,
            channel: None,
            title: r#"{{ template "slack.default.title" . }}"#.into(),
            text: "{{ range .Alerts }}{{ .Labels.i }}{{ end }}".into(),
            extra: Default::default(),
            http_config: Default::default(),
        };
        let v = r.slack(&c);
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(
            v["attachments"][0]["title"],
            "[FIRING:2] HighCPU (critical)"
        );
        assert_eq!(v["attachments"][0]["text"], "12");
        assert_eq!(v["attachments"][0]["color"], "danger");
        assert_eq!(
            v["attachments"][0]["title_link"],
            "http://am:9093/#/alerts?receiver=team%5C.a"
        );
        let tg = r.other("telegram");
        assert_eq!(tg["subject"], "[FIRING:2] HighCPU (critical)");
        assert!(tg.as_object().unwrap().len() > 1, "{tg}");
        let bad = r.text("x", "{{ .Nope ");
        assert_eq!(bad, "{{ .Nope ");
        assert_eq!(r.errors.len(), 1);
    }
}

#[cfg(test)]
mod receiver_escape_tests {
    use super::*;

    #[test]
    fn receiver_is_escaped_like_go_quote_meta() {
        let set = TemplateSet::new();
        let d = data("team-a", &LabelSet::new(), &[], "http://am:9093", 1);
        let mut r = Renderer::new(&set, &d);
        assert_eq!(r.text("x", "{{ .Receiver }}"), "team-a");
        assert_eq!(
            r.alertmanager_url(),
            "http://am:9093/#/alerts?receiver=team-a"
        );
        assert!(r.errors.is_empty(), "{:?}", r.errors);
    }
}
