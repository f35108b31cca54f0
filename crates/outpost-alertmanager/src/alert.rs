//! Alerts: identity (FNV-1a fingerprints), validation, merging of repeated
//! posts, and the time formats of the API and the webhook.

use std::collections::BTreeMap;
use std::fmt;

use outpost_config::is_valid_label_name;

/// Labels or annotations, sorted by name.
pub type LabelSet = BTreeMap<String, String>;

/// Go's zero time as Unix milliseconds (`0001-01-01T00:00:00Z`).
pub const GO_ZERO_MS: i64 = -62_135_596_800_000;

/// An alert's identity: 64-bit FNV-1a over its sorted labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub u64);

impl Fingerprint {
    /// The fingerprint of a label set (`name 0xFF value 0xFF` per label, sorted by name).
    pub fn of(labels: &LabelSet) -> Self {
        const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        let mut h = OFFSET;
        let mut feed = |bytes: &[u8]| {
            for b in bytes {
                h ^= u64::from(*b);
                h = h.wrapping_mul(PRIME);
            }
        };
        for (k, v) in labels {
            feed(k.as_bytes());
            feed(&[0xFF]);
            feed(v.as_bytes());
            feed(&[0xFF]);
        }
        Fingerprint(h)
    }

    /// Parses the 16-hex-digit text form.
    pub fn parse(s: &str) -> Option<Self> {
        u64::from_str_radix(s, 16).ok().map(Fingerprint)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// An alert as clients post it (`POST /api/v2/alerts`, the rule engine).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PostableAlert {
    /// Identifying labels.
    pub labels: LabelSet,
    /// Annotations.
    pub annotations: LabelSet,
    /// Start (Unix ms); now (or endsAt) when absent.
    pub starts_at: Option<i64>,
    /// End (Unix ms); now + resolve_timeout when absent.
    pub ends_at: Option<i64>,
    /// Link to the source.
    pub generator_url: String,
}

/// A stored alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Identifying labels.
    pub labels: LabelSet,
    /// Annotations.
    pub annotations: LabelSet,
    /// Start, Unix ms.
    pub starts_at: i64,
    /// End, Unix ms (always set once stored).
    pub ends_at: i64,
    /// Link to the source (may be empty).
    pub generator_url: String,
    /// Last update, Unix ms.
    pub updated_at: i64,
    /// The end was set from resolve_timeout, not by the client.
    pub timeout: bool,
    /// Identity.
    pub fingerprint: Fingerprint,
}

impl Alert {
    /// Resolved at `now`: endsAt is not after it.
    pub fn resolved_at(&self, now: i64) -> bool {
        self.ends_at <= now
    }

    /// Merges a newer post of the same alert into this one, as Alertmanager's
    /// store does (only when the active ranges overlap; else the caller replaces).
    pub fn merge(&self, new: &Alert, now: i64) -> Alert {
        let (winner, other) = if new.updated_at >= self.updated_at {
            (new, self)
        } else {
            (self, new)
        };
        let mut res = winner.clone();
        res.starts_at = self.starts_at.min(new.starts_at);
        if winner.resolved_at(now) {
            if other.resolved_at(now) && other.ends_at > winner.ends_at {
                res.ends_at = other.ends_at;
            }
        } else if other.ends_at > winner.ends_at && !other.timeout {
            res.ends_at = other.ends_at;
        }
        res
    }

    /// Whether `new` overlaps this alert's active range (then the two merge).
    pub fn overlaps(&self, new: &Alert) -> bool {
        (new.ends_at > self.starts_at && new.ends_at < self.ends_at)
            || (new.starts_at > self.starts_at && new.starts_at < self.ends_at)
    }
}

/// Turns a posted alert into a stored one (Alertmanager's defaults and
/// checks, v0.25 order); the error is Alertmanager's message.
pub(crate) fn validate(
    p: PostableAlert,
    now: i64,
    resolve_timeout_ms: i64,
) -> Result<Alert, String> {
    let mut labels = p.labels;
    labels.retain(|_, v| !v.is_empty());
    let starts_at = match (p.starts_at, p.ends_at) {
        (Some(s), _) => s,
        (None, Some(e)) => e,
        (None, None) => now,
    };
    let (ends_at, timeout) = match p.ends_at {
        Some(e) => (e, false),
        None => (now + resolve_timeout_ms, true),
    };
    // Upstream fills endsAt (now + resolve_timeout) before validating, so an
    // omitted endsAt is checked too.
    if ends_at < starts_at {
        return Err("start time must be before end time".into());
    }
    for k in labels.keys() {
        if !is_valid_label_name(k) {
            return Err(format!("invalid label set: invalid name {k:?}"));
        }
    }
    if labels.is_empty() {
        return Err("at least one label pair required".into());
    }
    for k in p.annotations.keys() {
        if !is_valid_label_name(k) {
            return Err(format!("invalid annotations: invalid name {k:?}"));
        }
    }
    let fingerprint = Fingerprint::of(&labels);
    Ok(Alert {
        labels,
        annotations: p.annotations,
        starts_at,
        ends_at,
        generator_url: p.generator_url,
        updated_at: now,
        timeout,
        fingerprint,
    })
}

pub use outpost_template::go_quote;

/// A label set as Prometheus' `LabelSet.String` prints it: `{a="1", b="2"}`,
/// sorted by the rendered pairs (Alertmanager v0.25).
pub fn labelset_string(ls: &LabelSet) -> String {
    let mut pairs: Vec<String> = ls
        .iter()
        .map(|(k, v)| format!("{k}={}", go_quote(v)))
        .collect();
    pairs.sort();
    format!("{{{}}}", pairs.join(", "))
}

/// Prometheus' `LabelSet.Before` as an ordering: fewer labels first; with as
/// many, the first name (in the sorted union of both sets' names) where they
/// differ decides: the set lacking it sorts first, else the smaller value.
pub(crate) fn labelset_cmp(a: &LabelSet, b: &LabelSet) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match a.len().cmp(&b.len()) {
        Ordering::Equal => {}
        o => return o,
    }
    let mut names: Vec<&String> = a.keys().chain(b.keys()).collect();
    names.sort();
    names.dedup();
    for n in names {
        match (a.get(n), b.get(n)) {
            (None, _) => return Ordering::Less,
            (_, None) => return Ordering::Greater,
            (Some(x), Some(y)) if x != y => return x.cmp(y),
            _ => {}
        }
    }
    Ordering::Equal
}

/// `2024-05-01T10:00:00.000Z`: the API's date-time with milliseconds.
pub use outpost_clock::text::rfc3339_millis as format_api_time;
/// RFC 3339 with as many fraction digits as needed (Go's RFC3339Nano).
pub use outpost_clock::text::rfc3339_nano as format_rfc3339_nano;

/// Parses an RFC 3339 date-time into Unix ms; Go's zero time gives `None`.
pub fn parse_time(s: &str) -> Result<Option<i64>, String> {
    let ms = outpost_clock::text::parse_rfc3339(s).map_err(|e| e.to_string())?;
    Ok(if ms == GO_ZERO_MS { None } else { Some(ms) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ls(pairs: &[(&str, &str)]) -> LabelSet {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn fingerprints_match_upstream_vectors() {
        assert_eq!(Fingerprint::of(&ls(&[])).to_string(), "cbf29ce484222325");
        assert_eq!(
            Fingerprint::of(&ls(&[("alertname", "X")])).to_string(),
            "d2aeefc389ca7746"
        );
        assert_eq!(
            Fingerprint::of(&ls(&[
                ("alertname", "HighLatency"),
                ("severity", "critical")
            ]))
            .to_string(),
            "476c2d9d67794906"
        );
    }

    #[test]
    fn validation_messages_and_defaults() {
        let now = 1_000_000;
        let a = validate(
            PostableAlert {
                labels: ls(&[("a", "1"), ("empty", "")]),
                ..Default::default()
            },
            now,
            300_000,
        )
        .unwrap();
        assert_eq!(a.starts_at, now);
        assert_eq!(a.ends_at, now + 300_000);
        assert!(a.timeout);
        assert!(!a.labels.contains_key("empty"));
        let e = validate(
            PostableAlert {
                labels: ls(&[("a", "1")]),
                starts_at: Some(10),
                ends_at: Some(5),
                ..Default::default()
            },
            now,
            0,
        )
        .unwrap_err();
        assert_eq!(e, "start time must be before end time");
        let e = validate(PostableAlert::default(), now, 0).unwrap_err();
        assert_eq!(e, "at least one label pair required");
        let e = validate(
            PostableAlert {
                labels: ls(&[("1a", "x")]),
                ..Default::default()
            },
            now,
            0,
        )
        .unwrap_err();
        assert_eq!(e, "invalid label set: invalid name \"1a\"");
    }

    #[test]
    fn omitted_ends_at_is_defaulted_then_checked() {
        let now = 1_000_000;
        let p = |starts_at| PostableAlert {
            labels: ls(&[("a", "1")]),
            starts_at: Some(starts_at),
            ..Default::default()
        };
        // endsAt = now + resolve_timeout = now + 300s: a later start is invalid.
        let e = validate(p(now + 300_001), now, 300_000).unwrap_err();
        assert_eq!(e, "start time must be before end time");
        let a = validate(p(now + 300_000), now, 300_000).unwrap();
        assert_eq!(a.ends_at, now + 300_000);
    }

    #[test]
    fn merge_keeps_earlier_start_and_later_firing_end() {
        let base = validate(
            PostableAlert {
                labels: ls(&[("a", "1")]),
                starts_at: Some(100),
                ends_at: Some(1000),
                ..Default::default()
            },
            50,
            0,
        )
        .unwrap();
        let mut newer = base.clone();
        newer.starts_at = 200;
        newer.ends_at = 900;
        newer.updated_at = 60;
        newer.annotations.insert("x".into(), "y".into());
        assert!(base.overlaps(&newer));
        let m = base.merge(&newer, 70);
        assert_eq!(m.starts_at, 100);
        assert_eq!(m.ends_at, 1000);
        assert_eq!(m.annotations["x"], "y");
    }

    #[test]
    fn time_formats() {
        assert_eq!(
            format_api_time(1_714_557_600_000),
            "2024-05-01T10:00:00.000Z"
        );
        assert_eq!(
            format_rfc3339_nano(1_714_557_600_000),
            "2024-05-01T10:00:00Z"
        );
        assert_eq!(
            format_rfc3339_nano(1_714_557_600_120),
            "2024-05-01T10:00:00.12Z"
        );
        assert_eq!(format_rfc3339_nano(GO_ZERO_MS), "0001-01-01T00:00:00Z");
        assert_eq!(parse_time("0001-01-01T00:00:00Z").unwrap(), None);
        assert_eq!(
            parse_time("2024-05-01T12:00:00+02:00").unwrap(),
            Some(1_714_557_600_000)
        );
        assert_eq!(
            labelset_string(&ls(&[("b", "2"), ("a", "x\"y")])),
            "{a=\"x\\\"y\", b=\"2\"}"
        );
    }

    #[test]
    fn labelset_cmp_is_prometheus_before() {
        use std::cmp::Ordering::*;
        // Fewer labels first, whatever the strings say.
        assert_eq!(
            labelset_cmp(&ls(&[("z", "9")]), &ls(&[("a", "1"), ("b", "1")])),
            Less
        );
        // A name missing from one set sorts that set first (`c` < `b` here).
        assert_eq!(
            labelset_cmp(
                &ls(&[("a", "1"), ("c", "1")]),
                &ls(&[("a", "1"), ("b", "1")])
            ),
            Less
        );
        assert_eq!(
            labelset_cmp(
                &ls(&[("a", "1"), ("b", "0")]),
                &ls(&[("a", "1"), ("c", "9")])
            ),
            Greater
        );
        // Then values; string order would put `a="1", b` after `a="1"x`.
        assert_eq!(labelset_cmp(&ls(&[("a", "1")]), &ls(&[("a", "1\"")])), Less);
        assert_eq!(
            labelset_cmp(&ls(&[("a", "b")]), &ls(&[("a", "a")])),
            Greater
        );
        assert_eq!(labelset_cmp(&ls(&[("a", "1")]), &ls(&[("a", "1")])), Equal);
        // `{a="1", b="2"}` vs `{a="10"}` as strings: `"` < `0`; by Before, fewer first.
        assert_eq!(
            labelset_cmp(&ls(&[("a", "10")]), &ls(&[("a", "1"), ("b", "2")])),
            Less
        );
    }
}
