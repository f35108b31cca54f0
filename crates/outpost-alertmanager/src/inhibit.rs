//! Inhibition: a firing source alert mutes matching targets, with the
//! `equal` rule (a label missing on both sides counts as equal).

use outpost_config::{InhibitRule, Matcher};

use crate::alert::{Alert, Fingerprint, LabelSet};

fn all_match(ms: &[Matcher], labels: &LabelSet) -> bool {
    ms.iter()
        .all(|m| m.matches(labels.get(&m.name).map(String::as_str).unwrap_or("")))
}

/// The rules with, per rule, the firing alerts matching its source side.
pub(crate) struct InhibitSnapshot<'a> {
    rules: &'a [InhibitRule],
    sources: Vec<Vec<&'a Alert>>,
}

impl<'a> InhibitSnapshot<'a> {
    /// Collects the sources among `alerts` that are firing at `now`.
    pub(crate) fn new(
        rules: &'a [InhibitRule],
        alerts: impl Iterator<Item = &'a Alert> + Clone,
        now: i64,
    ) -> Self {
        let sources = rules
            .iter()
            .map(|r| {
                alerts
                    .clone()
                    .filter(|a| !a.resolved_at(now) && all_match(&r.source_matchers, &a.labels))
                    .collect()
            })
            .collect();
        InhibitSnapshot { rules, sources }
    }

    /// The first source inhibiting an alert with these labels, if any.
    pub(crate) fn inhibited_by(&self, labels: &LabelSet, fp: Fingerprint) -> Option<Fingerprint> {
        for (r, sources) in self.rules.iter().zip(&self.sources) {
            if !all_match(&r.target_matchers, labels) {
                continue;
            }
            let also_source = all_match(&r.source_matchers, labels);
            for s in sources {
                if s.fingerprint == fp {
                    continue;
                }
                if also_source && all_match(&r.target_matchers, &s.labels) {
                    continue;
                }
                let equal = r.equal.iter().all(|n| s.labels.get(n) == labels.get(n));
                if equal {
                    return Some(s.fingerprint);
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use outpost_config::{MatchOp, Matcher};

    use super::*;
    use crate::alert::{PostableAlert, validate};

    fn alert(pairs: &[(&str, &str)], ends_at: i64) -> Alert {
        validate(
            PostableAlert {
                labels: pairs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                starts_at: Some(0),
                ends_at: Some(ends_at),
                ..Default::default()
            },
            0,
            0,
        )
        .unwrap()
    }

    #[test]
    fn equal_on_missing_labels_and_resolved_sources() {
        let rules = vec![InhibitRule {
            source_matchers: vec![Matcher::new("severity", MatchOp::Equal, "critical").unwrap()],
            target_matchers: vec![Matcher::new("severity", MatchOp::Equal, "warning").unwrap()],
            equal: vec!["cluster".into()],
        }];
        let src = alert(&[("severity", "critical"), ("alertname", "A")], 100);
        let t_no_cluster = alert(&[("severity", "warning"), ("alertname", "B")], 100);
        let t_cluster = alert(
            &[
                ("severity", "warning"),
                ("alertname", "C"),
                ("cluster", "eu"),
            ],
            100,
        );
        let all = [src.clone(), t_no_cluster.clone(), t_cluster.clone()];
        let snap = InhibitSnapshot::new(&rules, all.iter(), 50);
        assert_eq!(
            snap.inhibited_by(&t_no_cluster.labels, t_no_cluster.fingerprint),
            Some(src.fingerprint),
            "missing on both sides is equal"
        );
        assert_eq!(
            snap.inhibited_by(&t_cluster.labels, t_cluster.fingerprint),
            None
        );
        let snap = InhibitSnapshot::new(&rules, all.iter(), 200);
        assert_eq!(
            snap.inhibited_by(&t_no_cluster.labels, t_no_cluster.fingerprint),
            None,
            "resolved sources do not inhibit"
        );
    }
}
