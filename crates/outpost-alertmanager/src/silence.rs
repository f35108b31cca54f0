//! Silences: validation with Alertmanager's messages, states, in-place
//! updates versus replacement, expiry and matching.

use std::collections::HashMap;

use outpost_config::{MatchOp, Matcher, is_valid_label_name};
use serde::{Deserialize, Serialize};

use crate::alert::LabelSet;
use crate::error::{Error, Result};

/// How long expired silences stay visible (Alertmanager's `--data.retention`).
pub(crate) const SILENCE_RETENTION_MS: i64 = 120 * 3600 * 1000;

/// State of a silence at some time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SilenceState {
    /// Between its start and end: it mutes matching alerts.
    Active,
    /// Its start is still to come.
    Pending,
    /// Its end has passed (kept for the retention, then dropped).
    Expired,
}

impl SilenceState {
    /// `active`, `pending` or `expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            SilenceState::Active => "active",
            SilenceState::Pending => "pending",
            SilenceState::Expired => "expired",
        }
    }
}

/// A stored silence.
#[derive(Debug, Clone, PartialEq)]
pub struct Silence {
    /// Random UUID assigned when it was created.
    pub id: String,
    /// Matchers; all must match.
    pub matchers: Vec<Matcher>,
    /// Start, Unix ms.
    pub starts_at: i64,
    /// End, Unix ms.
    pub ends_at: i64,
    /// Last change, Unix ms.
    pub updated_at: i64,
    /// Who created it, as the client wrote it.
    pub created_by: String,
    /// Why, as the client wrote it.
    pub comment: String,
}

impl Silence {
    /// State at `now`.
    pub fn state(&self, now: i64) -> SilenceState {
        if now < self.starts_at {
            SilenceState::Pending
        } else if now < self.ends_at {
            SilenceState::Active
        } else {
            SilenceState::Expired
        }
    }

    /// Whether every matcher matches these labels (a missing label is `""`).
    pub fn matches(&self, labels: &LabelSet) -> bool {
        self.matchers
            .iter()
            .all(|m| m.matches(labels.get(&m.name).map(String::as_str).unwrap_or("")))
    }
}

/// A silence as clients post it.
#[derive(Debug, Clone, PartialEq)]
pub struct PostableSilence {
    /// Id of a silence to update; a new silence when unset.
    pub id: Option<String>,
    /// Matchers an alert must all satisfy to be muted.
    pub matchers: Vec<Matcher>,
    /// Start, Unix ms.
    pub starts_at: i64,
    /// End, Unix ms.
    pub ends_at: i64,
    /// Who creates it.
    pub created_by: String,
    /// Why it is created.
    pub comment: String,
}

/// Serialized form of a silence (persistence).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct StoredSilence {
    id: String,
    matchers: Vec<(String, String, String)>,
    starts_at: i64,
    ends_at: i64,
    updated_at: i64,
    created_by: String,
    comment: String,
}

fn op_from_str(s: &str) -> MatchOp {
    match s {
        "!=" => MatchOp::NotEqual,
        "=~" => MatchOp::Regex,
        "!~" => MatchOp::NotRegex,
        _ => MatchOp::Equal,
    }
}

impl StoredSilence {
    pub(crate) fn from_silence(s: &Silence) -> Self {
        StoredSilence {
            id: s.id.clone(),
            matchers: s
                .matchers
                .iter()
                .map(|m| (m.name.clone(), m.op.as_str().to_string(), m.value.clone()))
                .collect(),
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            updated_at: s.updated_at,
            created_by: s.created_by.clone(),
            comment: s.comment.clone(),
        }
    }

    pub(crate) fn into_silence(self) -> Option<Silence> {
        let matchers = self
            .matchers
            .into_iter()
            .map(|(n, op, v)| Matcher::new(n, op_from_str(&op), v).ok())
            .collect::<Option<Vec<_>>>()?;
        Some(Silence {
            id: self.id,
            matchers,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            updated_at: self.updated_at,
            created_by: self.created_by,
            comment: self.comment,
        })
    }
}

/// Alertmanager's silence validation (the message after `silence invalid: `).
fn validate(s: &PostableSilence) -> std::result::Result<(), String> {
    if s.matchers.is_empty() {
        return Err("at least one matcher required".into());
    }
    let mut all_match_empty = true;
    for (i, m) in s.matchers.iter().enumerate() {
        if !is_valid_label_name(&m.name) {
            return Err(format!(
                "invalid label matcher {i}: invalid label name {:?}",
                m.name
            ));
        }
        // Upstream `matchesEmpty`: only `=` and `=~` can match the empty
        // string; `!=` and `!~` never count as matching it.
        let matches_empty = match m.op {
            MatchOp::Equal | MatchOp::Regex => m.matches(""),
            MatchOp::NotEqual | MatchOp::NotRegex => false,
        };
        if !matches_empty {
            all_match_empty = false;
        }
    }
    if all_match_empty {
        return Err("at least one matcher must not match the empty string".into());
    }
    if s.starts_at == 0 {
        return Err("invalid zero start timestamp".into());
    }
    if s.ends_at == 0 {
        return Err("invalid zero end timestamp".into());
    }
    if s.ends_at < s.starts_at {
        return Err("end time must not be before start time".into());
    }
    Ok(())
}

/// What a change did, for persistence.
#[derive(Debug, Clone)]
pub(crate) enum SilenceChange {
    Upsert(Silence),
}

/// The silence store.
#[derive(Debug, Default)]
pub(crate) struct Silences {
    by_id: HashMap<String, Silence>,
    max: usize,
    pub(crate) rejected: u64,
}

impl Silences {
    pub(crate) fn new(max: usize) -> Self {
        Silences {
            by_id: HashMap::new(),
            max,
            rejected: 0,
        }
    }

    pub(crate) fn load(&mut self, s: Silence) {
        self.by_id.insert(s.id.clone(), s);
    }

    pub(crate) fn get(&self, id: &str) -> Option<&Silence> {
        self.by_id.get(id)
    }

    pub(crate) fn all(&self) -> impl Iterator<Item = &Silence> {
        self.by_id.values()
    }

    /// Creates or updates a silence; returns its id and the stored changes.
    pub(crate) fn set(
        &mut self,
        mut p: PostableSilence,
        now: i64,
    ) -> Result<(String, Vec<SilenceChange>)> {
        if p.starts_at >= p.ends_at {
            return Err(Error::InvalidSilence(
                "Failed to create silence: start time must be before end time".into(),
            ));
        }
        if p.ends_at < now {
            return Err(Error::InvalidSilence(
                "Failed to create silence: end time can't be in the past".into(),
            ));
        }
        // Upstream moves the start of a new (or replacing) silence to now
        // when it lies in the past, or is zero, before validating it.
        let in_place =
            p.id.as_deref()
                .filter(|i| !i.is_empty())
                .and_then(|i| self.by_id.get(i))
                .is_some_and(|old| can_update(old, &p, now));
        if !in_place && p.starts_at < now {
            p.starts_at = now;
        }
        validate(&p).map_err(|e| Error::InvalidSilence(format!("silence invalid: {e}")))?;
        let mut changes = Vec::new();
        if let Some(id) = p.id.clone().filter(|i| !i.is_empty()) {
            let Some(old) = self.by_id.get(&id).cloned() else {
                return Err(Error::SilenceNotFound);
            };
            // Decided on the posted start, before it moved to now.
            if in_place {
                let s = Silence {
                    id: id.clone(),
                    matchers: p.matchers,
                    starts_at: p.starts_at,
                    ends_at: p.ends_at,
                    updated_at: now,
                    created_by: p.created_by,
                    comment: p.comment,
                };
                self.by_id.insert(id.clone(), s.clone());
                changes.push(SilenceChange::Upsert(s));
                return Ok((id, changes));
            }
            if old.state(now) != SilenceState::Expired
                && let Some(c) = self.expire(&id, now)?
            {
                changes.push(c);
            }
        }
        if self.by_id.len() >= self.max {
            self.gc(now);
            if self.by_id.len() >= self.max {
                self.rejected += 1;
                return Err(Error::InvalidSilence(format!(
                    "exceeded maximum number of silences: {} (limit: {})",
                    self.by_id.len(),
                    self.max
                )));
            }
        }
        if p.starts_at < now {
            p.starts_at = now;
        }
        let id = uuid::Uuid::new_v4().to_string();
        let s = Silence {
            id: id.clone(),
            matchers: p.matchers,
            starts_at: p.starts_at,
            ends_at: p.ends_at,
            updated_at: now,
            created_by: p.created_by,
            comment: p.comment,
        };
        self.by_id.insert(id.clone(), s.clone());
        changes.push(SilenceChange::Upsert(s));
        Ok((id, changes))
    }

    /// Expires a silence; `None` when it was already expired.
    pub(crate) fn expire(&mut self, id: &str, now: i64) -> Result<Option<SilenceChange>> {
        let s = self.by_id.get_mut(id).ok_or(Error::SilenceNotFound)?;
        match s.state(now) {
            SilenceState::Expired => Ok(None),
            SilenceState::Active => {
                s.ends_at = now;
                s.updated_at = now;
                Ok(Some(SilenceChange::Upsert(s.clone())))
            }
            SilenceState::Pending => {
                s.starts_at = now;
                s.ends_at = now;
                s.updated_at = now;
                Ok(Some(SilenceChange::Upsert(s.clone())))
            }
        }
    }

    /// Drops silences expired for longer than the retention; returns their ids.
    pub(crate) fn gc(&mut self, now: i64) -> Vec<String> {
        let old: Vec<String> = self
            .by_id
            .values()
            .filter(|s| s.ends_at + SILENCE_RETENTION_MS < now)
            .map(|s| s.id.clone())
            .collect();
        for id in &old {
            self.by_id.remove(id);
        }
        old
    }

    /// Ids of the active silences muting these labels, sorted.
    pub(crate) fn silenced_by(&self, labels: &LabelSet, now: i64) -> Vec<String> {
        let mut ids: Vec<String> = self
            .by_id
            .values()
            .filter(|s| s.state(now) == SilenceState::Active && s.matches(labels))
            .map(|s| s.id.clone())
            .collect();
        ids.sort();
        ids
    }
}

fn can_update(old: &Silence, new: &PostableSilence, now: i64) -> bool {
    if old.matchers != new.matchers {
        return false;
    }
    match old.state(now) {
        SilenceState::Expired => false,
        SilenceState::Active => old.starts_at / 1000 == new.starts_at / 1000 && new.ends_at >= now,
        SilenceState::Pending => new.starts_at >= now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(n: &str, op: MatchOp, v: &str) -> Matcher {
        Matcher::new(n, op, v).unwrap()
    }

    fn post(ms: Vec<Matcher>, s: i64, e: i64) -> PostableSilence {
        PostableSilence {
            id: None,
            matchers: ms,
            starts_at: s,
            ends_at: e,
            created_by: "me".into(),
            comment: "c".into(),
        }
    }

    #[test]
    fn validation_messages() {
        let mut s = Silences::new(10);
        let now = 1_000_000;
        let e = s
            .set(
                post(vec![m("a", MatchOp::Equal, "1")], now + 10, now + 10),
                now,
            )
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Failed to create silence: start time must be before end time"
        );
        let e = s
            .set(post(vec![m("a", MatchOp::Equal, "1")], 1, 2), now)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "Failed to create silence: end time can't be in the past"
        );
        let e = s
            .set(post(vec![m("a", MatchOp::Regex, ".*")], now, now + 10), now)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "silence invalid: at least one matcher must not match the empty string"
        );
        let e = s
            .set(post(vec![m("1a", MatchOp::Equal, "x")], now, now + 10), now)
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "silence invalid: invalid label matcher 0: invalid label name \"1a\""
        );
    }

    #[test]
    fn zero_start_moves_to_now() {
        let mut s = Silences::new(10);
        let now = 1_000_000;
        let (id, _) = s
            .set(post(vec![m("a", MatchOp::Equal, "1")], 0, now + 10), now)
            .unwrap();
        assert_eq!(s.get(&id).unwrap().starts_at, now);
        // Replacing an active silence with a zero start: a new one from now.
        let mut p = post(vec![m("a", MatchOp::Equal, "1")], 0, now + 20);
        p.id = Some(id.clone());
        let (id2, _) = s.set(p, now + 5).unwrap();
        assert_ne!(id2, id);
        assert_eq!(s.get(&id2).unwrap().starts_at, now + 5);
    }

    #[test]
    fn negative_only_matchers_are_valid() {
        let mut s = Silences::new(10);
        let now = 1_000_000;
        // `amtool silence add 'env!="prod"'`.
        s.set(
            post(vec![m("env", MatchOp::NotEqual, "prod")], now, now + 10),
            now,
        )
        .unwrap();
        s.set(
            post(vec![m("env", MatchOp::NotRegex, "prod|dev")], now, now + 10),
            now,
        )
        .unwrap();
        s.set(
            post(
                vec![m("a", MatchOp::Regex, ".*"), m("b", MatchOp::NotEqual, "x")],
                now,
                now + 10,
            ),
            now,
        )
        .unwrap();
        // `!=""` is still fine; only `=`/`=~` matching "" count against.
        s.set(
            post(vec![m("a", MatchOp::NotEqual, "")], now, now + 10),
            now,
        )
        .unwrap();
        let e = s
            .set(
                post(
                    vec![m("a", MatchOp::Regex, ".*"), m("b", MatchOp::Equal, "")],
                    now,
                    now + 10,
                ),
                now,
            )
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "silence invalid: at least one matcher must not match the empty string"
        );
    }

    #[test]
    fn states_updates_and_expiry() {
        let mut s = Silences::new(10);
        let now = 1_000_000;
        let (id, _) = s
            .set(
                post(vec![m("a", MatchOp::Equal, "1")], now - 5000, now + 10_000),
                now,
            )
            .unwrap();
        let sil = s.get(&id).unwrap().clone();
        assert_eq!(sil.starts_at, now, "a start in the past moves to now");
        assert_eq!(sil.state(now), SilenceState::Active);
        let labels: LabelSet = [("a".to_string(), "1".to_string())].into();
        assert_eq!(s.silenced_by(&labels, now), vec![id.clone()]);
        // Same matchers, same start, later end: in place.
        let mut p = post(vec![m("a", MatchOp::Equal, "1")], now, now + 20_000);
        p.id = Some(id.clone());
        let (id2, _) = s.set(p, now + 1).unwrap();
        assert_eq!(id2, id);
        // Other matchers: a new id and the old one expires.
        let mut p = post(vec![m("a", MatchOp::Equal, "2")], now, now + 20_000);
        p.id = Some(id.clone());
        let (id3, _) = s.set(p, now + 2).unwrap();
        assert_ne!(id3, id);
        assert_eq!(s.get(&id).unwrap().state(now + 2), SilenceState::Expired);
        let mut p = post(vec![m("a", MatchOp::Equal, "2")], now, now + 20_000);
        p.id = Some("nope".into());
        assert!(matches!(s.set(p, now), Err(Error::SilenceNotFound)));
        // Pending expires with start = end = now.
        let (pid, _) = s
            .set(
                post(
                    vec![m("a", MatchOp::Equal, "3")],
                    now + 50_000,
                    now + 90_000,
                ),
                now,
            )
            .unwrap();
        s.expire(&pid, now + 3).unwrap();
        let p = s.get(&pid).unwrap();
        assert_eq!((p.starts_at, p.ends_at), (now + 3, now + 3));
        assert!(s.expire(&pid, now + 4).unwrap().is_none());
    }
}
