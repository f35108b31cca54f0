//! A rule group: its rules evaluated in file order at slot timestamps, the
//! samples appended to the TSDB with staleness markers, the alerts handed
//! to the notifier.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Mutex;

use outpost_clock::Stopwatch;
use outpost_config::RuleGroup;
use outpost_tsdb::{Tsdb, stale_nan};

use crate::alert::OutgoingAlert;
use crate::rule::{EvalEnv, Health, Rule};

/// One group with its rules' state.
#[derive(Debug)]
pub(crate) struct Group {
    pub(crate) name: String,
    pub(crate) file: PathBuf,
    pub(crate) interval_ms: i64,
    pub(crate) limit: u64,
    pub(crate) query_offset_ms: i64,
    pub(crate) state: Mutex<GroupState>,
}

#[derive(Debug, Default)]
pub(crate) struct GroupState {
    pub(crate) rules: Vec<Rule>,
    pub(crate) last_evaluation_ms: Option<i64>,
    pub(crate) evaluation_secs: f64,
    pub(crate) iterations: u64,
    pub(crate) missed: u64,
    /// Evaluation time of the last iteration (slot, ms).
    pub(crate) last_slot_ms: Option<i64>,
    /// Series of rules a reload removed: marked stale at the end of the
    /// next evaluation unless a rule produces them again.
    pub(crate) stale_pending: HashSet<outpost_tsdb::Labels>,
}

impl Group {
    /// A group from its configuration with the global defaults.
    pub(crate) fn new(g: &RuleGroup, default_interval_ms: i64, default_offset_ms: i64) -> Group {
        Group {
            name: g.name.clone(),
            file: g.file.clone(),
            interval_ms: g
                .interval
                .map(|d| d.as_millis())
                .filter(|&i| i > 0)
                .unwrap_or(default_interval_ms)
                .max(1),
            limit: g.limit,
            query_offset_ms: g
                .query_offset
                .map(|d| d.as_millis())
                .unwrap_or(default_offset_ms),
            state: Mutex::new(GroupState {
                rules: Rule::from_group(g),
                ..GroupState::default()
            }),
        }
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, GroupState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `other` has the same definition (then a reload keeps this group running).
    pub(crate) fn same_definition(&self, other: &Group) -> bool {
        if self.name != other.name
            || self.file != other.file
            || self.interval_ms != other.interval_ms
            || self.limit != other.limit
            || self.query_offset_ms != other.query_offset_ms
        {
            return false;
        }
        let a = self.lock();
        let b = other.lock();
        a.rules.len() == b.rules.len()
            && a.rules
                .iter()
                .zip(b.rules.iter())
                .all(|(x, y)| x.same_definition(y))
    }

    /// Copies active alerts and last-evaluation series from an older
    /// version of this group, matching rules by name and labels; the series
    /// of old rules without a match go stale at the next evaluation.
    pub(crate) fn copy_state_from(&self, old_group: &Group) {
        let old = old_group.lock();
        let mut new = self.lock();
        let mut used = vec![false; old.rules.len()];
        for r in new.rules.iter_mut() {
            let found = old
                .rules
                .iter()
                .enumerate()
                .find(|(i, o)| !used[*i] && o.name == r.name && o.labels == r.labels);
            if let Some((i, o)) = found {
                used[i] = true;
                r.status.last_series = o.status.last_series.clone();
                if let (crate::rule::Kind::Alerting(n), crate::rule::Kind::Alerting(p)) =
                    (&mut r.kind, &o.kind)
                {
                    n.active = p.active.clone();
                }
            }
        }
        for (i, o) in old.rules.iter().enumerate() {
            if !used[i] {
                new.stale_pending
                    .extend(o.status.last_series.iter().cloned());
            }
        }
        new.stale_pending.extend(old.stale_pending.iter().cloned());
        // Same slot grid only when the interval (hence the offset) is unchanged.
        if old_group.interval_ms == self.interval_ms {
            new.last_slot_ms = old.last_slot_ms;
        }
        new.last_evaluation_ms = old.last_evaluation_ms;
        new.evaluation_secs = old.evaluation_secs;
    }

    /// The slot offset of this group within its interval: xxhash64 of the
    /// label set `{file=..., name=...}` as Prometheus 3 hashes labels
    /// (each string prefixed by its length), modulo the interval.
    pub(crate) fn offset_ms(&self) -> i64 {
        let interval_ns = self.interval_ms as u128 * 1_000_000;
        let file = self.file.to_string_lossy();
        let mut buf = Vec::with_capacity(16 + file.len() + self.name.len());
        for s in ["file", file.as_ref(), "name", self.name.as_str()] {
            push_size(&mut buf, s.len());
            buf.extend_from_slice(s.as_bytes());
        }
        let h = xxhash_rust::xxh64::xxh64(&buf, 0) as u128;
        ((h % interval_ns) / 1_000_000) as i64
    }

    /// The latest slot at or before `now_ms`.
    pub(crate) fn slot_at_or_before(&self, now_ms: i64) -> i64 {
        let off = self.offset_ms();
        now_ms - (now_ms - off).rem_euclid(self.interval_ms)
    }

    /// Evaluates every rule at slot `ts`, appends the outputs and stale
    /// markers, and returns the alerts to send.
    pub(crate) fn eval(
        &self,
        env: &EvalEnv<'_>,
        tsdb: &Tsdb,
        ts: i64,
        now_ms: i64,
        resend_delay_ms: i64,
    ) -> Vec<OutgoingAlert> {
        let watch = Stopwatch::start();
        let mut st = self.lock();
        let mut to_send = Vec::new();
        let qt = ts - self.query_offset_ms;
        let mut produced: HashSet<outpost_tsdb::Labels> = HashSet::new();
        let st = &mut *st;
        for rule in st.rules.iter_mut() {
            let rw = Stopwatch::start();
            rule.status.last_evaluation_ms = Some(now_ms);
            match rule.eval(env, ts, self.query_offset_ms, self.limit) {
                Ok(samples) => {
                    rule.status.health = Health::Ok;
                    rule.status.last_error = None;
                    to_send.extend(rule.alerts_to_send(
                        ts,
                        resend_delay_ms,
                        self.interval_ms,
                        env.external_url,
                    ));
                    let mut app = tsdb.appender();
                    let mut current = HashSet::with_capacity(samples.len());
                    for (labels, v) in samples {
                        match app.append_labels(&labels, qt, v) {
                            Ok(_) => {
                                current.insert(labels);
                            }
                            Err(e) => {
                                tracing::debug!(rule = %rule.name, error = %e, "rule sample not appended");
                                rule.status.health = Health::Err;
                                rule.status.last_error = Some(e.to_string());
                            }
                        }
                    }
                    produced.extend(current.iter().cloned());
                    for gone in rule.status.last_series.difference(&current) {
                        let _ = app.append_labels(gone, qt, stale_nan());
                    }
                    rule.status.last_series = current;
                }
                Err(e) => {
                    tracing::debug!(group = %self.name, rule = %rule.name, error = %e, "rule evaluation failed");
                    rule.status.health = Health::Err;
                    rule.status.last_error = Some(e.to_string());
                }
            }
            rule.status.evaluation_secs = rw.elapsed().as_secs_f64();
        }
        if !st.stale_pending.is_empty() {
            let mut app = tsdb.appender();
            for s in st.stale_pending.drain() {
                if !produced.contains(&s) {
                    let _ = app.append_labels(&s, qt, stale_nan());
                }
            }
        }
        st.last_evaluation_ms = Some(now_ms);
        st.last_slot_ms = Some(ts);
        st.iterations += 1;
        st.evaluation_secs = watch.elapsed().as_secs_f64();
        to_send
    }

    /// Writes stale markers at `ts` (minus the query offset) for every
    /// series the group's rules produced last (the group was removed).
    pub(crate) fn mark_stale(&self, tsdb: &Tsdb, ts: i64) {
        let mut st = self.lock();
        let mut app = tsdb.appender();
        for rule in st.rules.iter_mut() {
            for s in rule.status.last_series.drain() {
                let _ = app.append_labels(&s, ts - self.query_offset_ms, stale_nan());
            }
        }
    }
}

/// Prometheus 3's label-string size prefix: one byte below 255, else 0xFF
/// and three little-endian bytes.
fn push_size(buf: &mut Vec<u8>, n: usize) {
    if n < 255 {
        buf.push(n as u8);
    } else {
        buf.push(0xFF);
        buf.extend_from_slice(&(n as u32).to_le_bytes()[..3]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use outpost_config::parse_rule_file;
    use std::path::Path;

    #[test]
    fn slot_offset_matches_prometheus_3() {
        // Fact sheet example: file rules.yml, group example, 1m -> 50337076781 ns.
        let (f, _) = parse_rule_file(
            Path::new("rules.yml"),
            "rules.yml",
            "groups:\n- name: example\n  rules:\n  - record: x\n    expr: up\n",
            crate::check_template,
        )
        .unwrap();
        let g = Group::new(&f.groups[0], 60_000, 0);
        assert_eq!(g.offset_ms(), 50_337);
        assert_eq!(g.slot_at_or_before(120_000), 110_337);
        assert_eq!(g.slot_at_or_before(110_337), 110_337);
    }
}
