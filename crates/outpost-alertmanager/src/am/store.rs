//! The store side of [`Alertmanager`]: alerts in (validated, grouped),
//! silences set and expired (persisted), and the filtered views the API
//! lists.

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use outpost_config::Matcher;

use crate::alert::{Alert, Fingerprint, PostableAlert, labelset_cmp, validate};
use crate::error::{Error, Result};
use crate::inhibit::InhibitSnapshot;
use crate::silence::{PostableSilence, SilenceChange, SilenceState};

use super::{
    AlertGroupView, AlertQuery, AlertView, Alertmanager, SilenceView, State, alert_order,
    insert_into_groups,
};

impl Alertmanager {
    /// Stores alerts as `POST /api/v2/alerts` does: every valid alert is
    /// stored and dispatched; if any was invalid the error lists the messages.
    pub fn put_alerts(&self, alerts: Vec<PostableAlert>) -> Result<()> {
        let now = self.inner.clock.now_ms();
        let m = &self.inner.metrics;
        let mut st = self.state();
        let rt = st.running.config.global.resolve_timeout.as_millis();
        let mut errors = Vec::new();
        for p in alerts {
            // Upstream counts every posted alert, before validation, as
            // firing or resolved by its (defaulted) end.
            if p.ends_at.unwrap_or(now + rt) > now {
                m.received_firing.fetch_add(1, Ordering::Relaxed);
            } else {
                m.received_resolved.fetch_add(1, Ordering::Relaxed);
            }
            let a = match validate(p, now, rt) {
                Ok(a) => a,
                Err(e) => {
                    m.invalid.fetch_add(1, Ordering::Relaxed);
                    errors.push(e);
                    continue;
                }
            };
            let a = match st.alerts.get(&a.fingerprint) {
                Some(old) if old.overlaps(&a) => old.merge(&a, now),
                Some(_) => a,
                None if st.alerts.len() >= self.inner.opts.max_alerts => {
                    m.alerts_rejected_cap.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                None => a,
            };
            st.alerts.insert(a.fingerprint, a.clone());
            insert_into_groups(&mut st, &self.inner, &a, now);
        }
        drop(st);
        self.inner.kick();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::InvalidAlerts(errors))
        }
    }

    /// Alerts with status, filtered, sorted by fingerprint; resolved ones are not listed.
    pub fn alerts(&self, q: &AlertQuery) -> Result<Vec<AlertView>> {
        let receiver_re = compile_receiver(q)?;
        let now = self.inner.clock.now_ms();
        let st = self.state();
        let inh = InhibitSnapshot::new(&st.running.config.inhibit_rules, st.alerts.values(), now);
        let mut out: Vec<AlertView> = st
            .alerts
            .values()
            .filter(|a| !a.resolved_at(now))
            .filter_map(|a| view(&st, &inh, a, now, q, receiver_re.as_ref()))
            .collect();
        out.sort_by_key(|v| v.alert.fingerprint);
        Ok(out)
    }

    /// Aggregation groups with their alerts, filtered as [`Alertmanager::alerts`].
    pub fn alert_groups(&self, q: &AlertQuery) -> Result<Vec<AlertGroupView>> {
        let receiver_re = compile_receiver(q)?;
        let now = self.inner.clock.now_ms();
        let st = self.state();
        let inh = InhibitSnapshot::new(&st.running.config.inhibit_rules, st.alerts.values(), now);
        let mut out = Vec::new();
        let mut receivers_of: HashMap<Fingerprint, Vec<String>> = HashMap::new();
        for g in st.groups.values() {
            let receiver = st.running.tree.node(g.route).opts.receiver.clone();
            if let Some(re) = &receiver_re
                && !re.is_match(&receiver)
            {
                continue;
            }
            let mut alerts: Vec<&Alert> =
                g.alerts.values().filter(|a| !a.resolved_at(now)).collect();
            alerts.sort_by(|a, b| alert_order(a, b));
            let views: Vec<AlertView> = alerts
                .into_iter()
                .filter_map(|a| view(&st, &inh, a, now, q, None))
                .collect();
            if views.is_empty() {
                continue;
            }
            for v in &views {
                receivers_of
                    .entry(v.alert.fingerprint)
                    .or_default()
                    .push(receiver.clone());
            }
            out.push(AlertGroupView {
                labels: g.labels.clone(),
                receiver,
                alerts: views,
            });
        }
        // As upstream's `Dispatcher.Groups`: an alert's receivers are those of
        // the listed groups holding it (after the receiver filter), sorted.
        for r in receivers_of.values_mut() {
            r.sort();
        }
        for g in &mut out {
            for v in &mut g.alerts {
                if let Some(r) = receivers_of.get(&v.alert.fingerprint) {
                    v.receivers.clone_from(r);
                }
            }
        }
        // Alertmanager's AlertGroups.Less: equal labels by receiver, else
        // `LabelSet.Before`.
        out.sort_by(|a, b| {
            labelset_cmp(&a.labels, &b.labels).then_with(|| a.receiver.cmp(&b.receiver))
        });
        Ok(out)
    }

    /// Silences in Alertmanager's order (active, pending, expired), each
    /// containing every filter matcher among its own.
    pub fn silences(&self, filter: &[Matcher]) -> Vec<SilenceView> {
        let now = self.inner.clock.now_ms();
        let st = self.state();
        let mut out: Vec<SilenceView> = st
            .silences
            .all()
            .filter(|s| filter.iter().all(|f| s.matchers.contains(f)))
            .map(|s| SilenceView {
                state: s.state(now),
                silence: s.clone(),
            })
            .collect();
        out.sort_by(|a, b| {
            let key = |v: &SilenceView| -> (SilenceState, i64) {
                match v.state {
                    SilenceState::Active => (v.state, v.silence.ends_at),
                    SilenceState::Pending => (v.state, v.silence.starts_at),
                    SilenceState::Expired => (v.state, -v.silence.ends_at),
                }
            };
            key(a).cmp(&key(b))
        });
        out
    }

    /// One silence.
    pub fn silence(&self, id: &str) -> Option<SilenceView> {
        let now = self.inner.clock.now_ms();
        self.state().silences.get(id).map(|s| SilenceView {
            state: s.state(now),
            silence: s.clone(),
        })
    }

    /// Creates or updates a silence; returns its id.
    pub fn set_silence(&self, p: PostableSilence) -> Result<String> {
        let now = self.inner.clock.now_ms();
        let (id, changes) = self.state().silences.set(p, now)?;
        self.persist_silences(changes);
        Ok(id)
    }

    /// Expires a silence (already expired ones are left as they are).
    pub fn expire_silence(&self, id: &str) -> Result<()> {
        let now = self.inner.clock.now_ms();
        let change = self.state().silences.expire(id, now)?;
        self.persist_silences(change.into_iter().collect());
        Ok(())
    }

    fn persist_silences(&self, changes: Vec<SilenceChange>) {
        if let Some(p) = &self.inner.persist {
            for c in changes {
                let SilenceChange::Upsert(s) = c;
                p.put_silence(&s);
            }
        }
    }
}

pub(super) fn compile_receiver(q: &AlertQuery) -> Result<Option<regex::Regex>> {
    q.receiver
        .as_ref()
        .filter(|r| !r.is_empty())
        .map(|r| {
            regex::Regex::new(&format!("^(?:{r})$"))
                .map_err(|e| Error::BadMatcher(format!("failed to parse receiver param: {e}")))
        })
        .transpose()
}

pub(super) fn view(
    st: &State,
    inh: &InhibitSnapshot<'_>,
    a: &Alert,
    now: i64,
    q: &AlertQuery,
    receiver_re: Option<&regex::Regex>,
) -> Option<AlertView> {
    if !q
        .filter
        .iter()
        .all(|m| m.matches(a.labels.get(&m.name).map(String::as_str).unwrap_or("")))
    {
        return None;
    }
    let receivers: Vec<String> = st
        .running
        .tree
        .match_labels(&a.labels)
        .into_iter()
        .map(|i| st.running.tree.node(i).opts.receiver.clone())
        .collect();
    if let Some(re) = receiver_re
        && !receivers.iter().any(|r| re.is_match(r))
    {
        return None;
    }
    let silenced_by = st.silences.silenced_by(&a.labels, now);
    let inhibited_by: Vec<String> = inh
        .inhibited_by(&a.labels, a.fingerprint)
        .map(|f| f.to_string())
        .into_iter()
        .collect();
    let suppressed = !silenced_by.is_empty() || !inhibited_by.is_empty();
    if !q.active && !suppressed {
        return None;
    }
    if !q.silenced && !silenced_by.is_empty() {
        return None;
    }
    if !q.inhibited && !inhibited_by.is_empty() {
        return None;
    }
    Some(AlertView {
        alert: a.clone(),
        receivers,
        state: if suppressed { "suppressed" } else { "active" },
        silenced_by,
        inhibited_by,
    })
}
