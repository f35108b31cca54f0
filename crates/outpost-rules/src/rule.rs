//! Recording and alerting rules: one evaluation each, producing the samples
//! the group appends, and for alerting rules the alert state machine.

use std::collections::{BTreeMap, HashSet};

use outpost_config::{RuleGroup, RuleKind};
use outpost_promql::{Engine, Value};
use outpost_tsdb::{Labels, METRIC_NAME};

use crate::alert::{Alert, AlertState, OutgoingAlert, RESOLVED_RETENTION_MS};
use crate::error::{Error, Result};
use crate::expand::{context, expand};

/// Health of a rule after its last evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Not evaluated yet.
    Unknown,
    /// The last evaluation succeeded.
    Ok,
    /// The last evaluation failed.
    Err,
}

impl Health {
    /// Prometheus' name (`unknown`, `ok`, `err`).
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Ok => "ok",
            Health::Err => "err",
        }
    }
}

/// What every evaluation needs besides the rule.
pub(crate) struct EvalEnv<'a> {
    pub(crate) engine: &'a std::sync::Arc<Engine>,
    pub(crate) external_labels: &'a BTreeMap<String, String>,
    pub(crate) external_url: &'a str,
}

/// Bookkeeping shared by both rule kinds.
#[derive(Debug, Clone)]
pub(crate) struct RuleStatus {
    pub(crate) health: Health,
    pub(crate) last_error: Option<String>,
    pub(crate) last_evaluation_ms: Option<i64>,
    pub(crate) evaluation_secs: f64,
    /// Series appended by the last successful evaluation (for staleness).
    pub(crate) last_series: HashSet<Labels>,
}

impl Default for RuleStatus {
    fn default() -> Self {
        RuleStatus {
            health: Health::Unknown,
            last_error: None,
            last_evaluation_ms: None,
            evaluation_secs: 0.0,
            last_series: HashSet::new(),
        }
    }
}

/// One rule with its state.
#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub(crate) name: String,
    /// The expression as written.
    pub(crate) expr: String,
    /// The expression as Prometheus' printer renders it.
    pub(crate) query: String,
    /// Rule labels (group labels merged in, rule labels win), raw.
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) kind: Kind,
    pub(crate) status: RuleStatus,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Recording,
    Alerting(AlertingState),
}

#[derive(Debug, Clone)]
pub(crate) struct AlertingState {
    pub(crate) for_ms: i64,
    pub(crate) keep_firing_for_ms: i64,
    pub(crate) annotations: BTreeMap<String, String>,
    /// Alerts keyed by their label set.
    pub(crate) active: BTreeMap<BTreeMap<String, String>, Alert>,
}

impl Rule {
    /// Builds the rules of a configured group (group labels merged in).
    pub(crate) fn from_group(g: &RuleGroup) -> Vec<Rule> {
        g.rules
            .iter()
            .map(|r| {
                let mut labels = g.labels.clone();
                labels.extend(r.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
                let query = promql_parser::parser::parse(&r.expr)
                    .map(|e| e.to_string())
                    .unwrap_or_else(|_| r.expr.clone());
                let kind = match &r.kind {
                    RuleKind::Recording => Kind::Recording,
                    RuleKind::Alerting {
                        for_,
                        keep_firing_for,
                        annotations,
                    } => Kind::Alerting(AlertingState {
                        for_ms: for_.as_millis(),
                        keep_firing_for_ms: keep_firing_for.as_millis(),
                        annotations: annotations.clone(),
                        active: BTreeMap::new(),
                    }),
                };
                Rule {
                    name: r.name.clone(),
                    expr: r.expr.clone(),
                    query,
                    labels,
                    kind,
                    status: RuleStatus::default(),
                }
            })
            .collect()
    }

    /// Whether two rules have the same definition (name, expression,
    /// labels, `for`, `keep_firing_for`, annotations).
    pub(crate) fn same_definition(&self, other: &Rule) -> bool {
        if self.name != other.name || self.expr != other.expr || self.labels != other.labels {
            return false;
        }
        match (&self.kind, &other.kind) {
            (Kind::Recording, Kind::Recording) => true,
            (Kind::Alerting(a), Kind::Alerting(b)) => {
                a.for_ms == b.for_ms
                    && a.keep_firing_for_ms == b.keep_firing_for_ms
                    && a.annotations == b.annotations
            }
            _ => false,
        }
    }

    /// The rule's state: the highest state of its alerts.
    pub(crate) fn state(&self) -> AlertState {
        match &self.kind {
            Kind::Recording => AlertState::Inactive,
            Kind::Alerting(a) => a
                .active
                .values()
                .map(|x| x.state)
                .max()
                .unwrap_or(AlertState::Inactive),
        }
    }

    /// Evaluates the rule at `ts` (query time `ts - offset`) and returns the
    /// samples to append at the query time.
    pub(crate) fn eval(
        &mut self,
        env: &EvalEnv<'_>,
        ts: i64,
        offset_ms: i64,
        limit: u64,
    ) -> Result<Vec<(Labels, f64)>> {
        let qt = ts - offset_ms;
        let samples = query_vector(env.engine, &self.expr, qt)?;
        match &mut self.kind {
            Kind::Recording => eval_recording(&self.name, &self.labels, samples, limit),
            Kind::Alerting(st) => {
                eval_alerting(&self.name, &self.labels, st, env, samples, ts, limit)
            }
        }
    }

    /// The alerts due to be sent at `ts`, marking them sent.
    pub(crate) fn alerts_to_send(
        &mut self,
        ts: i64,
        resend_delay_ms: i64,
        interval_ms: i64,
        external_url: &str,
    ) -> Vec<OutgoingAlert> {
        let Kind::Alerting(st) = &mut self.kind else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let generator_url = generator_url(external_url, &self.query);
        for a in st.active.values_mut() {
            if !a.needs_sending(ts, resend_delay_ms) {
                continue;
            }
            a.last_sent_at_ms = Some(ts);
            a.valid_until_ms = ts + 4 * interval_ms.max(resend_delay_ms);
            out.push(OutgoingAlert {
                labels: a.labels.clone(),
                annotations: a.annotations.clone(),
                starts_at_ms: a.fired_at_ms.unwrap_or(a.active_at_ms),
                ends_at_ms: a.resolved_at_ms.unwrap_or(a.valid_until_ms),
                generator_url: generator_url.clone(),
            });
        }
        out
    }
}

/// `externalURL + "/graph?g0.expr=" + QueryEscape(expr) + "&g0.tab=1"`.
pub(crate) fn generator_url(external_url: &str, expr: &str) -> String {
    format!(
        "{}/graph?g0.expr={}&g0.tab=1",
        external_url.trim_end_matches('/'),
        query_escape(expr)
    )
}

/// Go's `url.QueryEscape`: unreserved bytes stay, space becomes `+`, the
/// rest is percent-encoded in upper-case hex.
pub(crate) fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
    for &b in s.as_bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Runs the rule query; a scalar becomes one sample without labels.
fn query_vector(engine: &Engine, expr: &str, t: i64) -> Result<Vec<(Labels, f64)>> {
    let out = engine.instant(expr, t)?;
    match out.value {
        Value::Vector(v) => Ok(v.into_iter().map(|s| (s.labels, s.v)).collect()),
        Value::Scalar { v, .. } => Ok(vec![(Labels::default(), v)]),
        _ => Err(Error::NotVector),
    }
}

fn eval_recording(
    name: &str,
    rule_labels: &BTreeMap<String, String>,
    samples: Vec<(Labels, f64)>,
    limit: u64,
) -> Result<Vec<(Labels, f64)>> {
    let mut out = Vec::with_capacity(samples.len());
    let mut seen = HashSet::with_capacity(samples.len());
    for (labels, v) in samples {
        let mut m: BTreeMap<&str, &str> = labels.iter().collect();
        m.insert(METRIC_NAME, name);
        for (k, val) in rule_labels {
            m.insert(k, val);
        }
        let l = Labels::from_pairs(m)
            .map_err(|e| Error::Append(outpost_tsdb::Error::InvalidLabels(e)))?;
        if !seen.insert(l.clone()) {
            return Err(Error::DuplicateRecording);
        }
        out.push((l, v));
    }
    if limit > 0 && out.len() as u64 > limit {
        return Err(Error::SeriesLimit {
            limit,
            count: out.len(),
        });
    }
    Ok(out)
}

fn eval_alerting(
    name: &str,
    rule_labels: &BTreeMap<String, String>,
    st: &mut AlertingState,
    env: &EvalEnv<'_>,
    samples: Vec<(Labels, f64)>,
    ts: i64,
    limit: u64,
) -> Result<Vec<(Labels, f64)>> {
    // Expand labels and annotations per sample; fail on duplicates before
    // touching the state.
    let mut results: BTreeMap<BTreeMap<String, String>, (BTreeMap<String, String>, f64)> =
        BTreeMap::new();
    for (labels, v) in samples {
        let sample_labels: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let data = context(
            sample_labels.clone(),
            env.external_labels,
            env.external_url,
            v,
            ts,
            env.engine,
        );
        let mut alert_labels: BTreeMap<String, String> = sample_labels
            .iter()
            .filter(|(k, _)| k.as_str() != METRIC_NAME)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        for (k, text) in rule_labels {
            let val = expand(name, text, &data);
            if val.is_empty() {
                alert_labels.remove(k);
            } else {
                alert_labels.insert(k.clone(), val);
            }
        }
        alert_labels.insert("alertname".to_string(), name.to_string());
        let annotations: BTreeMap<String, String> = st
            .annotations
            .iter()
            .map(|(k, text)| (k.clone(), expand(name, text, &data)))
            .collect();
        if results.contains_key(&alert_labels) {
            return Err(Error::DuplicateAlert);
        }
        results.insert(alert_labels, (annotations, v));
    }

    for (key, (annotations, v)) in &results {
        if let Some(a) = st
            .active
            .get_mut(key)
            .filter(|a| a.state != AlertState::Inactive)
        {
            a.value = *v;
            a.annotations = annotations.clone();
            continue;
        }
        st.active.insert(
            key.clone(),
            Alert {
                labels: key.clone(),
                annotations: annotations.clone(),
                state: AlertState::Pending,
                value: *v,
                active_at_ms: ts,
                fired_at_ms: None,
                resolved_at_ms: None,
                last_sent_at_ms: None,
                valid_until_ms: 0,
                keep_firing_since_ms: None,
            },
        );
    }

    let mut out = Vec::new();
    let mut active_pending = 0usize;
    let mut remove = Vec::new();
    for (key, a) in st.active.iter_mut() {
        if !results.contains_key(key) {
            let mut keep_firing = false;
            if a.state == AlertState::Firing && st.keep_firing_for_ms > 0 {
                let since = *a.keep_firing_since_ms.get_or_insert(ts);
                keep_firing = ts - since < st.keep_firing_for_ms;
            }
            if a.state == AlertState::Pending
                || a.resolved_at_ms
                    .is_some_and(|r| ts - r > RESOLVED_RETENTION_MS)
            {
                remove.push(key.clone());
            }
            if a.state != AlertState::Inactive && !keep_firing {
                a.state = AlertState::Inactive;
                a.resolved_at_ms = Some(ts);
            }
            if !keep_firing {
                continue;
            }
        } else {
            a.keep_firing_since_ms = None;
        }
        active_pending += 1;
        if a.state == AlertState::Firing && ts - a.active_at_ms < st.for_ms {
            // `for` was raised by a reload (Prometheus 3.11+).
            a.state = AlertState::Pending;
            a.fired_at_ms = None;
            a.last_sent_at_ms = None;
            a.keep_firing_since_ms = None;
        }
        if a.state == AlertState::Pending && ts - a.active_at_ms >= st.for_ms {
            a.state = AlertState::Firing;
            a.fired_at_ms = Some(ts);
        }
        out.push(alerts_sample(name, rule_labels, a));
        out.push(for_state_sample(name, rule_labels, a));
    }
    for k in remove {
        st.active.remove(&k);
    }
    if limit > 0 && active_pending as u64 > limit {
        st.active.clear();
        return Err(Error::AlertLimit {
            limit,
            count: active_pending,
        });
    }
    Ok(out)
}

fn overlay<'a>(
    rule_labels: &'a BTreeMap<String, String>,
    a: &'a Alert,
) -> BTreeMap<&'a str, &'a str> {
    let mut m: BTreeMap<&str, &str> = rule_labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for (k, v) in &a.labels {
        m.insert(k, v);
    }
    m
}

fn alerts_sample(name: &str, rule_labels: &BTreeMap<String, String>, a: &Alert) -> (Labels, f64) {
    let mut m = overlay(rule_labels, a);
    m.insert(METRIC_NAME, "ALERTS");
    m.insert("alertname", name);
    m.insert("alertstate", a.state.as_str());
    (Labels::from_pairs(m).unwrap_or_default(), 1.0)
}

fn for_state_sample(
    name: &str,
    rule_labels: &BTreeMap<String, String>,
    a: &Alert,
) -> (Labels, f64) {
    let mut m = overlay(rule_labels, a);
    m.insert(METRIC_NAME, "ALERTS_FOR_STATE");
    m.insert("alertname", name);
    (
        Labels::from_pairs(m).unwrap_or_default(),
        a.active_at_ms.div_euclid(1000) as f64,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_escape_is_gos() {
        assert_eq!(query_escape("up == 0"), "up+%3D%3D+0");
        assert_eq!(
            generator_url("http://prom:9090/", "up == 0"),
            "http://prom:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1"
        );
    }
}
