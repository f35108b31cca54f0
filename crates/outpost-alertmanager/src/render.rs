//! Rendering of email, Slack and PagerDuty notifications.
//!
//! Alertmanager's default templates that these integrations use out of the
//! box (`__subject`, `__alertmanagerURL`, the Slack colour and fallback, the
//! PagerDuty instances list) are built in here. Other template text is kept
//! as written until the Go template engine (`outpost-template`) is wired in;
//! such fields are listed under `unrendered` in the outbox message.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use outpost_config::{EmailConfig, PagerdutyConfig, SlackConfig};

use crate::alert::LabelSet;
use crate::outbox::NotifiedAlert;

/// Alertmanager's template data (`.Receiver`, `.Status`, `.Alerts`, …).
#[derive(Debug, Clone)]
pub(crate) struct Data {
    pub(crate) receiver: String,
    pub(crate) status: String,
    pub(crate) alerts: Vec<NotifiedAlert>,
    pub(crate) group_labels: LabelSet,
    pub(crate) common_labels: LabelSet,
    pub(crate) common_annotations: LabelSet,
    pub(crate) external_url: String,
}

/// `KV.SortedPairs` order: `alertname` first, then by name.
fn sorted_values(kv: &LabelSet) -> Vec<&str> {
    let mut out = Vec::with_capacity(kv.len());
    if let Some(v) = kv.get("alertname") {
        out.push(v.as_str());
    }
    out.extend(
        kv.iter()
            .filter(|(k, _)| k.as_str() != "alertname")
            .map(|(_, v)| v.as_str()),
    );
    out
}

fn urlquery(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl Data {
    fn firing(&self) -> impl Iterator<Item = &NotifiedAlert> {
        self.alerts.iter().filter(|a| a.status == "firing")
    }

    /// `{{ template "__subject" . }}`.
    pub(crate) fn subject(&self) -> String {
        let mut s = format!("[{}", self.status.to_uppercase());
        if self.status == "firing" {
            s.push_str(&format!(":{}", self.firing().count()));
        }
        s.push_str("] ");
        s.push_str(&sorted_values(&self.group_labels).join(" "));
        s.push(' ');
        if self.common_labels.len() > self.group_labels.len() {
            let rest: LabelSet = self
                .common_labels
                .iter()
                .filter(|(k, _)| !self.group_labels.contains_key(*k))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            s.push_str(&format!("({})", sorted_values(&rest).join(" ")));
        }
        s
    }

    /// `{{ template "__alertmanagerURL" . }}`.
    pub(crate) fn alertmanager_url(&self) -> String {
        format!(
            "{}/#/alerts?receiver={}",
            self.external_url,
            urlquery(&self.receiver)
        )
    }

    /// `__text_alert_list` over some alerts.
    fn text_alert_list<'a>(alerts: impl Iterator<Item = &'a NotifiedAlert>) -> String {
        let mut s = String::new();
        for a in alerts {
            s.push_str("Labels:\n");
            for (k, v) in &a.labels {
                s.push_str(&format!(" - {k} = {v}\n"));
            }
            s.push_str("Annotations:\n");
            for (k, v) in &a.annotations {
                s.push_str(&format!(" - {k} = {v}\n"));
            }
            s.push_str(&format!("Source: {}\n", a.generator_url));
        }
        s
    }

    /// Renders one template field; `None` when it needs the template engine.
    fn render(&self, tmpl: &str) -> Option<String> {
        let t = tmpl.trim();
        let name = t
            .strip_prefix("{{")
            .and_then(|r| r.strip_suffix("}}"))
            .map(str::trim)
            .and_then(|r| r.strip_prefix("template"))
            .map(str::trim)
            .and_then(|r| r.strip_suffix('.'))
            .map(|r| r.trim().trim_matches('"'));
        match name {
            Some(
                "email.default.subject"
                | "slack.default.title"
                | "pagerduty.default.description"
                | "__subject",
            ) => Some(self.subject()),
            Some("slack.default.text" | "slack.default.pretext" | "slack.default.footer") => {
                Some(String::new())
            }
            Some("slack.default.titlelink" | "__alertmanagerURL") => Some(self.alertmanager_url()),
            Some("slack.default.username") => Some("Alertmanager".into()),
            Some("slack.default.fallback") => {
                Some(format!("{} | {}", self.subject(), self.alertmanager_url()))
            }
            Some("pagerduty.default.client") => Some("Alertmanager".into()),
            Some("pagerduty.default.clientURL") => Some(self.alertmanager_url()),
            Some("pagerduty.default.instances") => Some(Self::text_alert_list(self.alerts.iter())),
            _ if !tmpl.contains("{{") => Some(tmpl.to_string()),
            _ => None,
        }
    }
}

/// Renders fields, recording the ones left as template text.
struct Fields<'a> {
    data: &'a Data,
    unrendered: Vec<String>,
}

impl Fields<'_> {
    fn get(&mut self, field: &str, tmpl: &str) -> String {
        match self.data.render(tmpl) {
            Some(s) => s,
            None => {
                self.unrendered.push(field.to_string());
                tmpl.to_string()
            }
        }
    }
}

/// The SHA-256 hex of a group key (PagerDuty's dedup_key).
pub(crate) fn key_hash(group_key: &str) -> String {
    let d = Sha256::digest(group_key.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// An email: headers, bodies, envelope.
pub(crate) fn email(c: &EmailConfig, d: &Data) -> Value {
    let mut f = Fields {
        data: d,
        unrendered: Vec::new(),
    };
    let mut headers = serde_json::Map::new();
    for (k, v) in &c.headers {
        headers.insert(k.clone(), Value::String(f.get(&format!("headers.{k}"), v)));
    }
    let html = c.html.as_ref().map(|h| f.get("html", h));
    let text = c.text.as_ref().map(|t| f.get("text", t));
    json!({
        "smarthost": c.smarthost,
        "from": f.get("from", &c.from),
        "to": f.get("to", &c.to),
        "headers": headers,
        "html": html,
        "text": text,
        "unrendered": f.unrendered,
    })
}

/// A Slack message as Alertmanager posts it.
pub(crate) fn slack(c: &SlackConfig, d: &Data) -> Value {
    let mut f = Fields {
        data: d,
        unrendered: Vec::new(),
    };
    let title = f.get("title", &c.title);
    let text = f.get("text", &c.text);
    let extra = |f: &mut Fields<'_>, k: &str, default: &str| {
        let t = c.extra.get(k).map(String::as_str).unwrap_or(default);
        f.get(k, t)
    };
    let color = match c.extra.get("color") {
        Some(t) => f.get("color", t),
        None if d.status == "firing" => "danger".into(),
        None => "good".into(),
    };
    let title_link = extra(&mut f, "title_link", r#"{{ template "slack.default.titlelink" . }}"#);
    let fallback = extra(&mut f, "fallback", r#"{{ template "slack.default.fallback" . }}"#);
    let username = extra(&mut f, "username", r#"{{ template "slack.default.username" . }}"#);
    let pretext = extra(&mut f, "pretext", r#"{{ template "slack.default.pretext" . }}"#);
    let footer = extra(&mut f, "footer", r#"{{ template "slack.default.footer" . }}"#);
    let channel = c.channel.as_ref().map(|ch| f.get("channel", ch));
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
        "unrendered": f.unrendered,
    })
}

/// A PagerDuty Events API v2 payload (v1 when only a service key is set).
pub(crate) fn pagerduty(c: &PagerdutyConfig, d: &Data, group_key: &str) -> Value {
    let mut f = Fields {
        data: d,
        unrendered: Vec::new(),
    };
    let description = f.get("description", &c.description);
    let severity = f.get("severity", &c.severity);
    let firing: Vec<NotifiedAlert> = d.firing().cloned().collect();
    let resolved: Vec<NotifiedAlert> = d
        .alerts
        .iter()
        .filter(|a| a.status == "resolved")
        .cloned()
        .collect();
    let mut details = serde_json::Map::new();
    details.insert(
        "firing".into(),
        Value::String(Data::text_alert_list(firing.iter())),
    );
    details.insert(
        "resolved".into(),
        Value::String(Data::text_alert_list(resolved.iter())),
    );
    details.insert("num_firing".into(), Value::String(firing.len().to_string()));
    details.insert(
        "num_resolved".into(),
        Value::String(resolved.len().to_string()),
    );
    for (k, v) in &c.details {
        details.insert(k.clone(), Value::String(f.get(&format!("details.{k}"), v)));
    }
    let action = if d.status == "firing" { "trigger" } else { "resolve" };
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
        "client_url": d.alertmanager_url(),
        "unrendered": f.unrendered,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(status: &str, group: &[(&str, &str)], common: &[(&str, &str)], firing: usize) -> Data {
        let ls = |p: &[(&str, &str)]| -> LabelSet {
            p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let alert = NotifiedAlert {
            status: "firing".into(),
            labels: ls(common),
            annotations: LabelSet::new(),
            starts_at: String::new(),
            ends_at: String::new(),
            generator_url: String::new(),
            fingerprint: String::new(),
        };
        Data {
            receiver: "team\\.a".into(),
            status: status.into(),
            alerts: vec![alert; firing],
            group_labels: ls(group),
            common_labels: ls(common),
            common_annotations: LabelSet::new(),
            external_url: "http://am:9093".into(),
        }
    }

    #[test]
    fn subject_matches_alertmanager_default() {
        let d = data(
            "firing",
            &[("alertname", "HighCPU")],
            &[("alertname", "HighCPU"), ("severity", "critical")],
            2,
        );
        assert_eq!(d.subject(), "[FIRING:2] HighCPU (critical)");
        let d = data("resolved", &[("alertname", "HighCPU")], &[("alertname", "HighCPU")], 0);
        assert_eq!(d.subject(), "[RESOLVED] HighCPU ");
        assert_eq!(
            d.alertmanager_url(),
            "http://am:9093/#/alerts?receiver=team%5C.a"
        );
    }
}
