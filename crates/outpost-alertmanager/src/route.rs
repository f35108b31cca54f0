//! The routing tree: depth-first matching with `continue`, route keys and
//! group labels, as Alertmanager's dispatcher computes them.

use outpost_config::{GroupBy, Matcher, Route};

use crate::alert::LabelSet;

/// Effective options of a route (inherited values resolved by the config).
#[derive(Debug, Clone, PartialEq)]
pub struct RouteOpts {
    /// Receiver name.
    pub receiver: String,
    /// Grouping.
    pub group_by: GroupBy,
    /// group_wait in ms.
    pub group_wait_ms: i64,
    /// group_interval in ms.
    pub group_interval_ms: i64,
    /// repeat_interval in ms.
    pub repeat_interval_ms: i64,
    /// Time intervals muting this route.
    pub mute_time_intervals: Vec<String>,
    /// Time intervals outside which this route is muted.
    pub active_time_intervals: Vec<String>,
}

/// One node of the tree.
#[derive(Debug, Clone)]
pub struct RouteNode {
    /// Index in the tree.
    pub id: usize,
    /// Route key (`{}/{severity="critical"}`).
    pub key: String,
    /// Matchers of this node.
    pub matchers: Vec<Matcher>,
    /// Keep matching siblings after this one.
    pub continue_: bool,
    /// Options.
    pub opts: RouteOpts,
    /// Children, in config order.
    pub children: Vec<usize>,
    /// Depth (root = 0).
    pub depth: usize,
}

/// The routing tree of a config.
#[derive(Debug, Clone)]
pub struct RouteTree {
    nodes: Vec<RouteNode>,
}

fn matchers_text(ms: &[Matcher]) -> String {
    let parts: Vec<String> = ms.iter().map(ToString::to_string).collect();
    format!("{{{}}}", parts.join(","))
}

impl RouteTree {
    /// Builds the tree of a validated root route.
    pub fn new(root: &Route) -> Self {
        let mut nodes = Vec::with_capacity(root.count());
        Self::add(&mut nodes, root, None, 0);
        RouteTree { nodes }
    }

    fn add(nodes: &mut Vec<RouteNode>, r: &Route, parent_key: Option<&str>, depth: usize) -> usize {
        let own = matchers_text(&r.matchers);
        let key = match parent_key {
            None => own,
            Some(p) => format!("{p}/{own}"),
        };
        let id = nodes.len();
        nodes.push(RouteNode {
            id,
            key: key.clone(),
            matchers: r.matchers.clone(),
            continue_: r.continue_,
            opts: RouteOpts {
                receiver: r.receiver.clone(),
                group_by: r.group_by.clone(),
                group_wait_ms: r.group_wait.as_millis(),
                group_interval_ms: r.group_interval.as_millis(),
                repeat_interval_ms: r.repeat_interval.as_millis(),
                mute_time_intervals: r.mute_time_intervals.clone(),
                active_time_intervals: r.active_time_intervals.clone(),
            },
            children: Vec::new(),
            depth,
        });
        for c in &r.routes {
            let cid = Self::add(nodes, c, Some(&key), depth + 1);
            nodes[id].children.push(cid);
        }
        id
    }

    /// The node with this index.
    pub fn node(&self, id: usize) -> &RouteNode {
        &self.nodes[id]
    }

    /// Every node, depth-first in config order (the root first).
    pub fn nodes(&self) -> &[RouteNode] {
        &self.nodes
    }

    /// The routes an alert with these labels reaches, in match order.
    pub fn match_labels(&self, labels: &LabelSet) -> Vec<usize> {
        let mut out = Vec::new();
        self.match_node(0, labels, &mut out);
        out
    }

    fn node_matches(&self, id: usize, labels: &LabelSet) -> bool {
        self.nodes[id]
            .matchers
            .iter()
            .all(|m| m.matches(labels.get(&m.name).map(String::as_str).unwrap_or("")))
    }

    fn match_node(&self, id: usize, labels: &LabelSet, out: &mut Vec<usize>) -> bool {
        if !self.node_matches(id, labels) {
            return false;
        }
        let before = out.len();
        for &c in &self.nodes[id].children {
            let start = out.len();
            self.match_node(c, labels, out);
            if out.len() > start && !self.nodes[c].continue_ {
                break;
            }
        }
        if out.len() == before {
            out.push(id);
        }
        true
    }

    /// The labels of `labels` that group alerts on route `id`.
    pub fn group_labels(&self, id: usize, labels: &LabelSet) -> LabelSet {
        match &self.nodes[id].opts.group_by {
            GroupBy::All => labels.clone(),
            GroupBy::Labels(names) => names
                .iter()
                .filter_map(|n| labels.get(n).map(|v| (n.clone(), v.clone())))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use outpost_config::{Files, parse_alertmanager};

    use super::*;

    fn tree(yaml: &str) -> RouteTree {
        let (c, _) = parse_alertmanager(
            &Files::Embedded(&[]),
            Path::new("alertmanager.yml"),
            "alertmanager.yml",
            yaml.to_string(),
        )
        .unwrap();
        RouteTree::new(&c.route)
    }

    fn ls(pairs: &[(&str, &str)]) -> LabelSet {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn continue_and_fallback_to_parent() {
        let t = tree(
            "route:\n  receiver: def\n  routes:\n    - matchers: [a=\"1\"]\n      receiver: one\n      continue: true\n    - matchers: [a=~\"1|2\"]\n      receiver: two\n    - matchers: [a=\"1\"]\n      receiver: three\nreceivers: [{name: def}, {name: one}, {name: two}, {name: three}]\n",
        );
        let names = |l: &LabelSet| -> Vec<String> {
            t.match_labels(l)
                .into_iter()
                .map(|i| t.node(i).opts.receiver.clone())
                .collect()
        };
        assert_eq!(names(&ls(&[("a", "1")])), ["one", "two"]);
        assert_eq!(names(&ls(&[("a", "2")])), ["two"]);
        assert_eq!(names(&ls(&[("b", "x")])), ["def"]);
        assert_eq!(t.node(1).key, "{}/{a=\"1\"}");
        assert_eq!(t.node(0).key, "{}");
    }
}
