//! Applying relabel rules to a label set, with Prometheus 3's semantics
//! (see `../shared/docs/semantics/prometheus-ingest.md` §1). Scrape targets,
//! metric relabeling and alert relabeling all go through [`relabel`].

use super::{RelabelAction, RelabelConfig};
use crate::labels::is_valid_label_name;
use md5::{Digest, Md5};

/// A mutable label set during relabeling, kept sorted by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelBuilder(Vec<(String, String)>);

impl LabelBuilder {
    /// From pairs (later duplicates win; empty values are dropped).
    pub fn from_pairs<N: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (N, V)>,
    ) -> Self {
        let mut s = LabelBuilder::default();
        for (n, v) in pairs {
            s.set(n.into(), v.into());
        }
        s
    }

    /// Value of a label.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(n, _)| n.as_str().cmp(name))
            .ok()
            .map(|i| self.0[i].1.as_str())
    }

    /// Sets a label; an empty value deletes it (empty means absent).
    pub fn set(&mut self, name: String, value: String) {
        match self.0.binary_search_by(|(n, _)| n.as_str().cmp(&name)) {
            Ok(i) if value.is_empty() => {
                self.0.remove(i);
            }
            Ok(i) => self.0[i].1 = value,
            Err(_) if value.is_empty() => {}
            Err(i) => self.0.insert(i, (name, value)),
        }
    }

    /// Deletes a label.
    pub fn del(&mut self, name: &str) {
        if let Ok(i) = self.0.binary_search_by(|(n, _)| n.as_str().cmp(name)) {
            self.0.remove(i);
        }
    }

    /// Keeps the labels for which `keep` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &str) -> bool) {
        self.0.retain(|(n, v)| keep(n, v));
    }

    /// Iterates in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn source_value(ls: &LabelBuilder, c: &RelabelConfig) -> String {
    let mut out = String::new();
    for (i, name) in c.source_labels.iter().enumerate() {
        if i > 0 {
            out.push_str(&c.separator);
        }
        out.push_str(ls.get(name).unwrap_or(""));
    }
    out
}

/// `md5(value)`, bytes 8..16 as a big-endian integer, modulo `modulus`.
pub fn hashmod(value: &str, modulus: u64) -> u64 {
    let sum = Md5::digest(value.as_bytes());
    let mut b = [0u8; 8];
    b.copy_from_slice(&sum[8..16]);
    u64::from_be_bytes(b) % modulus
}

/// Applies the rules in order; returns `false` when the set is dropped.
pub fn relabel(ls: &mut LabelBuilder, configs: &[RelabelConfig]) -> bool {
    for c in configs {
        if !apply(ls, c) {
            return false;
        }
    }
    true
}

fn apply(ls: &mut LabelBuilder, c: &RelabelConfig) -> bool {
    let val = source_value(ls, c);
    match c.action {
        RelabelAction::Drop => {
            if c.regex.is_match(&val) {
                return false;
            }
        }
        RelabelAction::Keep => {
            if !c.regex.is_match(&val) {
                return false;
            }
        }
        RelabelAction::DropEqual => {
            if ls.get(&c.target_label).unwrap_or("") == val {
                return false;
            }
        }
        RelabelAction::KeepEqual => {
            if ls.get(&c.target_label).unwrap_or("") != val {
                return false;
            }
        }
        RelabelAction::Replace => {
            let Some(caps) = c.regex.captures(&val) else {
                return true;
            };
            let mut target = String::new();
            caps.expand(&c.target_label, &mut target);
            if !is_valid_label_name(&target) {
                return true;
            }
            let mut res = String::new();
            caps.expand(&c.replacement, &mut res);
            if res.is_empty() {
                ls.del(&target);
            } else {
                ls.set(target, res);
            }
        }
        RelabelAction::Lowercase => ls.set(c.target_label.clone(), val.to_lowercase()),
        RelabelAction::Uppercase => ls.set(c.target_label.clone(), val.to_uppercase()),
        RelabelAction::HashMod => {
            ls.set(c.target_label.clone(), hashmod(&val, c.modulus).to_string())
        }
        RelabelAction::LabelMap => {
            let mut added = Vec::new();
            for (n, v) in ls.iter() {
                if c.regex.is_match(n) {
                    let new = c.regex.replace_all(n, c.replacement.as_str()).into_owned();
                    added.push((new, v.to_string()));
                }
            }
            for (n, v) in added {
                ls.set(n, v);
            }
        }
        RelabelAction::LabelDrop => ls.retain(|n, _| !c.regex.is_match(n)),
        RelabelAction::LabelKeep => ls.retain(|n, _| c.regex.is_match(n)),
    }
    true
}

#[cfg(test)]
mod tests {
    use crate::relabel::RawRelabelConfig;

    use super::*;

    fn ls(pairs: &[(&str, &str)]) -> LabelBuilder {
        LabelBuilder::from_pairs(pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())))
    }

    /// (rules, input, expected output or None when dropped), from Prometheus' documented semantics.
    #[test]
    fn relabel_table() {
        type Pairs = Vec<(&'static str, &'static str)>;
        let cases: Vec<(&str, Pairs, Option<Pairs>)> = vec![
            // replace with the defaults copies the joined source value.
            (
                "- source_labels: [a, b]\n  target_label: c\n",
                vec![("a", "x"), ("b", "y")],
                Some(vec![("a", "x"), ("b", "y"), ("c", "x;y")]),
            ),
            // absent source labels contribute "".
            (
                "- source_labels: [a, missing]\n  separator: '-'\n  target_label: c\n",
                vec![("a", "x")],
                Some(vec![("a", "x"), ("c", "x-")]),
            ),
            // no match: unchanged.
            (
                "- source_labels: [a]\n  regex: 'z.*'\n  target_label: c\n",
                vec![("a", "x")],
                Some(vec![("a", "x")]),
            ),
            // empty expansion deletes the target.
            (
                "- source_labels: [a]\n  regex: '(.*)'\n  replacement: '${2}'\n  target_label: b\n",
                vec![("a", "x"), ("b", "old")],
                Some(vec![("a", "x")]),
            ),
            // templated target label; an invalid expanded name is a no-op.
            (
                "- source_labels: [a]\n  regex: '(.*)'\n  target_label: 'l_${1}'\n  replacement: v\n",
                vec![("a", "x")],
                Some(vec![("a", "x"), ("l_x", "v")]),
            ),
            (
                "- source_labels: [a]\n  regex: '(.*)'\n  target_label: '${1}'\n  replacement: v\n",
                vec![("a", "1x")],
                Some(vec![("a", "1x")]),
            ),
            // seed: address rewrite with the pod annotation port.
            (
                "- source_labels: [__address__, __meta_kubernetes_pod_annotation_prometheus_io_port]\n  action: replace\n  regex: '([^:]+)(?::\\d+)?;(\\d+)'\n  replacement: $1:$2\n  target_label: __address__\n",
                vec![
                    ("__address__", "10.1.2.3:8080"),
                    (
                        "__meta_kubernetes_pod_annotation_prometheus_io_port",
                        "9102",
                    ),
                ],
                Some(vec![
                    ("__address__", "10.1.2.3:9102"),
                    (
                        "__meta_kubernetes_pod_annotation_prometheus_io_port",
                        "9102",
                    ),
                ]),
            ),
            // keep / drop are fully anchored.
            (
                "- source_labels: [s]\n  action: keep\n  regex: 'true'\n",
                vec![("s", "true")],
                Some(vec![("s", "true")]),
            ),
            (
                "- source_labels: [s]\n  action: keep\n  regex: 'true'\n",
                vec![("s", "untrue")],
                None,
            ),
            (
                "- source_labels: [s]\n  action: drop\n  regex: 'a|b'\n",
                vec![("s", "b")],
                None,
            ),
            (
                "- source_labels: [s]\n  action: drop\n  regex: 'a|b'\n",
                vec![("s", "ab")],
                Some(vec![("s", "ab")]),
            ),
            // keep on a missing label sees "".
            (
                "- source_labels: [s]\n  action: keep\n  regex: '.+'\n",
                vec![("t", "1")],
                None,
            ),
            // keepequal / dropequal compare with target_label's value.
            (
                "- source_labels: [a]\n  action: keepequal\n  target_label: b\n",
                vec![("a", "1"), ("b", "1")],
                Some(vec![("a", "1"), ("b", "1")]),
            ),
            (
                "- source_labels: [a]\n  action: keepequal\n  target_label: b\n",
                vec![("a", "1"), ("b", "2")],
                None,
            ),
            (
                "- source_labels: [a]\n  action: dropequal\n  target_label: b\n",
                vec![("a", "1"), ("b", "1")],
                None,
            ),
            // hashmod vectors from the semantics sheet.
            (
                "- source_labels: [a]\n  action: hashmod\n  modulus: 1000\n  target_label: h\n",
                vec![("a", "baz")],
                Some(vec![("a", "baz"), ("h", "976")]),
            ),
            (
                "- source_labels: [a]\n  action: hashmod\n  modulus: 1000\n  target_label: h\n",
                vec![("a", "foo\nbar")],
                Some(vec![("a", "foo\nbar"), ("h", "734")]),
            ),
            // labelmap keeps the originals.
            (
                "- action: labelmap\n  regex: '__meta_kubernetes_pod_label_(.+)'\n",
                vec![("__meta_kubernetes_pod_label_app", "shop"), ("x", "1")],
                Some(vec![
                    ("__meta_kubernetes_pod_label_app", "shop"),
                    ("app", "shop"),
                    ("x", "1"),
                ]),
            ),
            // labeldrop / labelkeep match names.
            (
                "- action: labeldrop\n  regex: 'tmp_.*'\n",
                vec![("tmp_a", "1"), ("b", "2")],
                Some(vec![("b", "2")]),
            ),
            (
                "- action: labelkeep\n  regex: '__name__|job'\n",
                vec![("__name__", "up"), ("job", "j"), ("x", "1")],
                Some(vec![("__name__", "up"), ("job", "j")]),
            ),
            // lowercase / uppercase.
            (
                "- source_labels: [a]\n  action: lowercase\n  target_label: b\n",
                vec![("a", "MiXeD")],
                Some(vec![("a", "MiXeD"), ("b", "mixed")]),
            ),
            (
                "- source_labels: [a]\n  action: uppercase\n  target_label: b\n",
                vec![("a", "MiXeD")],
                Some(vec![("a", "MiXeD"), ("b", "MIXED")]),
            ),
            // rules run in order; a drop stops processing.
            (
                "- source_labels: [a]\n  target_label: b\n- source_labels: [b]\n  action: drop\n  regex: x\n- target_label: c\n  replacement: never\n",
                vec![("a", "x")],
                None,
            ),
            // the seed's metrics_path rewrite for nodes.
            (
                "- source_labels: [__meta_kubernetes_node_name]\n  regex: (.+)\n  target_label: __metrics_path__\n  replacement: /api/v1/nodes/${1}/proxy/metrics\n",
                vec![("__meta_kubernetes_node_name", "n1")],
                Some(vec![
                    ("__meta_kubernetes_node_name", "n1"),
                    ("__metrics_path__", "/api/v1/nodes/n1/proxy/metrics"),
                ]),
            ),
        ];
        for (i, (rules, input, want)) in cases.into_iter().enumerate() {
            let raws: Vec<RawRelabelConfig> = serde_saphyr::from_str(rules).unwrap();
            let cfgs: Vec<RelabelConfig> = raws.iter().map(|r| r.validate().unwrap()).collect();
            let mut set = ls(&input);
            let kept = relabel(&mut set, &cfgs);
            match want {
                None => assert!(!kept, "case {i}: expected drop, got {set:?}"),
                Some(w) => {
                    assert!(kept, "case {i}: unexpectedly dropped");
                    assert_eq!(set, ls(&w), "case {i}: {rules}");
                }
            }
        }
    }
}
