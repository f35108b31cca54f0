//! Alerts as an alerting rule holds them, and as they are handed to
//! Alertmanagers.

use std::collections::BTreeMap;

/// How long a resolved alert is kept (and re-sent) after it resolved.
pub(crate) const RESOLVED_RETENTION_MS: i64 = 15 * 60 * 1000;

/// The state of an alert, or of a rule (its highest alert state).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AlertState {
    /// Resolved (kept for re-sending), or a rule with no active alerts.
    Inactive,
    /// Active, waiting for `for` to elapse.
    Pending,
    /// Active for at least `for`.
    Firing,
}

impl AlertState {
    /// Prometheus' name of the state.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Inactive => "inactive",
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
        }
    }
}

/// One alert of an alerting rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Sample labels without `__name__`, plus the expanded rule labels and `alertname`.
    pub labels: BTreeMap<String, String>,
    /// Expanded annotations.
    pub annotations: BTreeMap<String, String>,
    /// Where the alert is in its lifecycle: pending, firing or inactive (resolved).
    pub state: AlertState,
    /// The value of the sample that last produced the alert.
    pub value: f64,
    /// When the alert became pending (ms).
    pub active_at_ms: i64,
    /// When it started firing (ms).
    pub fired_at_ms: Option<i64>,
    /// When it resolved (ms).
    pub resolved_at_ms: Option<i64>,
    /// When it was last sent (ms).
    pub last_sent_at_ms: Option<i64>,
    /// `endsAt` of the last send of a still-firing alert (ms).
    pub valid_until_ms: i64,
    /// Since when it is kept firing by `keep_firing_for` (ms).
    pub keep_firing_since_ms: Option<i64>,
}

impl Alert {
    /// Whether this alert is due to be (re-)sent at `ts`.
    pub(crate) fn needs_sending(&self, ts: i64, resend_delay_ms: i64) -> bool {
        if self.state == AlertState::Pending {
            return false;
        }
        let last = self.last_sent_at_ms.unwrap_or(i64::MIN);
        if self.resolved_at_ms.is_some_and(|r| r > last) {
            return true;
        }
        last.saturating_add(resend_delay_ms) < ts
    }
}

/// An alert as it is posted to an Alertmanager (`POST /api/v2/alerts`).
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingAlert {
    /// Labels (external labels and alert relabeling applied by the notifier).
    pub labels: BTreeMap<String, String>,
    /// Expanded annotations (templates rendered with this alert's labels and value).
    pub annotations: BTreeMap<String, String>,
    /// `startsAt` (ms): when the alert started firing.
    pub starts_at_ms: i64,
    /// `endsAt` (ms): the resolve time, or how long a firing alert stays valid.
    pub ends_at_ms: i64,
    /// Link back to the expression.
    pub generator_url: String,
}

impl OutgoingAlert {
    /// The alert as Prometheus' JSON body item: keys `annotations` (left
    /// out when empty), `endsAt`, `startsAt`, `generatorURL`, `labels`; RFC
    /// 3339 times with milliseconds in UTC.
    pub fn to_json(&self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        if !self.annotations.is_empty() {
            m.insert("annotations".into(), serde_json::json!(self.annotations));
        }
        m.insert("endsAt".into(), rfc3339_ms(self.ends_at_ms).into());
        m.insert("startsAt".into(), rfc3339_ms(self.starts_at_ms).into());
        m.insert("generatorURL".into(), self.generator_url.clone().into());
        m.insert("labels".into(), serde_json::json!(self.labels));
        serde_json::Value::Object(m)
    }
}

pub(crate) use outpost_clock::text::rfc3339_millis as rfc3339_ms;
pub use outpost_clock::text::rfc3339_nano;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_format_as_prometheus_does() {
        assert_eq!(rfc3339_ms(1_704_067_212_345), "2024-01-01T00:00:12.345Z");
        assert_eq!(rfc3339_nano(1_704_067_212_340), "2024-01-01T00:00:12.34Z");
        assert_eq!(rfc3339_nano(1_704_067_212_000), "2024-01-01T00:00:12Z");
    }

    #[test]
    fn pending_alerts_are_never_sent_and_resolved_ones_at_once() {
        let mut a = Alert {
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            state: AlertState::Pending,
            value: 1.0,
            active_at_ms: 0,
            fired_at_ms: None,
            resolved_at_ms: None,
            last_sent_at_ms: None,
            valid_until_ms: 0,
            keep_firing_since_ms: None,
        };
        assert!(!a.needs_sending(60_000, 60_000));
        a.state = AlertState::Firing;
        assert!(a.needs_sending(60_000, 60_000));
        a.last_sent_at_ms = Some(60_000);
        assert!(
            !a.needs_sending(120_000, 60_000),
            "resend only strictly after the delay"
        );
        assert!(a.needs_sending(180_000, 60_000));
        a.state = AlertState::Inactive;
        a.resolved_at_ms = Some(120_000);
        assert!(a.needs_sending(120_000, 60_000));
    }

    #[test]
    fn json_body_has_prometheus_keys() {
        let a = OutgoingAlert {
            labels: [("alertname".to_string(), "X".to_string())].into(),
            annotations: BTreeMap::new(),
            starts_at_ms: 0,
            ends_at_ms: 1000,
            generator_url: "http://p/graph".into(),
        };
        let j = a.to_json();
        assert!(j.get("annotations").is_none());
        assert_eq!(j["endsAt"], "1970-01-01T00:00:01.000Z");
        assert_eq!(j["labels"]["alertname"], "X");
    }
}
