//! The notification log: what each integration of each group last sent,
//! and Alertmanager's dedup rule deciding whether to send again.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// How long log entries live at most (`--data.retention`, 120h).
pub(crate) const NFLOG_RETENTION_MS: i64 = 120 * 3600 * 1000;

/// Identity of a log entry: group key, receiver, integration name and index.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) struct NflogKey {
    pub(crate) group_key: String,
    pub(crate) receiver: String,
    pub(crate) integration: String,
    pub(crate) index: usize,
}

/// What was last sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct NflogEntry {
    pub(crate) firing: BTreeSet<u64>,
    pub(crate) resolved: BTreeSet<u64>,
    pub(crate) ts: i64,
    pub(crate) expires_at: i64,
}

/// Alertmanager's DedupStage.needsUpdate.
pub(crate) fn needs_update(
    entry: Option<&NflogEntry>,
    firing: &BTreeSet<u64>,
    resolved: &BTreeSet<u64>,
    send_resolved: bool,
    repeat_interval_ms: i64,
    now: i64,
) -> bool {
    let Some(e) = entry else {
        return !firing.is_empty();
    };
    if !firing.is_subset(&e.firing) {
        return true;
    }
    if firing.is_empty() {
        return !e.firing.is_empty();
    }
    if send_resolved && !resolved.is_subset(&e.resolved) {
        return true;
    }
    // `entry.Timestamp.Before(now - repeat)`: strictly older.
    e.ts < now - repeat_interval_ms
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &[u64]) -> BTreeSet<u64> {
        v.iter().copied().collect()
    }

    #[test]
    fn dedup_rules_in_order() {
        let e = NflogEntry {
            firing: set(&[1, 2]),
            resolved: set(&[]),
            ts: 1000,
            expires_at: 0,
        };
        assert!(!needs_update(None, &set(&[]), &set(&[1]), true, 10, 0));
        assert!(needs_update(None, &set(&[1]), &set(&[]), true, 10, 0));
        assert!(needs_update(
            Some(&e),
            &set(&[3]),
            &set(&[]),
            true,
            10_000,
            1001
        ));
        assert!(!needs_update(
            Some(&e),
            &set(&[1]),
            &set(&[]),
            true,
            10_000,
            1001
        ));
        assert!(needs_update(
            Some(&e),
            &set(&[]),
            &set(&[1, 2]),
            false,
            10_000,
            1001
        ));
        assert!(needs_update(
            Some(&e),
            &set(&[1]),
            &set(&[2]),
            true,
            10_000,
            1001
        ));
        assert!(!needs_update(
            Some(&e),
            &set(&[1]),
            &set(&[2]),
            false,
            10_000,
            1001
        ));
        assert!(needs_update(
            Some(&e),
            &set(&[1]),
            &set(&[]),
            false,
            500,
            1501
        ));
        assert!(!needs_update(
            Some(&e),
            &set(&[1]),
            &set(&[]),
            false,
            500,
            1499
        ));
    }

    #[test]
    fn repeat_needs_an_entry_strictly_older_than_the_interval() {
        let e = NflogEntry {
            firing: set(&[1]),
            resolved: set(&[]),
            ts: 1000,
            expires_at: 0,
        };
        let f = set(&[1]);
        let r = set(&[]);
        assert!(!needs_update(Some(&e), &f, &r, false, 500, 1500));
        assert!(needs_update(Some(&e), &f, &r, false, 500, 1501));
    }
}
