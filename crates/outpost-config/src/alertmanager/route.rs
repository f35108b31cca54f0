//! The routing tree: raw routes, inheritance of their settings from the
//! parent, matchers and the checks Alertmanager makes on them.

use super::*;

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRoute {
    #[serde(default)]
    pub(super) receiver: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) group_by: Option<Vec<String>>,
    #[serde(default, rename = "continue")]
    pub(super) continue_: bool,
    #[serde(default, rename = "match")]
    pub(super) match_: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) match_re: BTreeMap<String, String>,
    #[serde(default)]
    pub(super) matchers: Vec<String>,
    #[serde(default)]
    pub(super) group_wait: Option<PromDuration>,
    #[serde(default)]
    pub(super) group_interval: Option<PromDuration>,
    #[serde(default)]
    pub(super) repeat_interval: Option<PromDuration>,
    #[serde(default)]
    pub(super) mute_time_intervals: Vec<String>,
    #[serde(default)]
    pub(super) active_time_intervals: Vec<String>,
    #[serde(default)]
    pub(super) routes: Vec<Spanned<RawRoute>>,
}

/// How alerts of a route are grouped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    /// `group_by: ['...']`: every label.
    All,
    /// These labels (possibly none).
    Labels(Vec<String>),
}

/// A node of the routing tree, with inherited settings resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// Receiver notified for the groups of this route (inherited when unset).
    pub receiver: String,
    /// Labels that split alerts into aggregation groups (inherited when unset).
    pub group_by: GroupBy,
    /// Keep matching siblings after this one.
    pub continue_: bool,
    /// Matchers (match, match_re and matchers), sorted.
    pub matchers: Vec<Matcher>,
    /// Wait before the first notification of a group.
    pub group_wait: PromDuration,
    /// Wait between notifications of a changed group.
    pub group_interval: PromDuration,
    /// Wait before repeating an unchanged notification.
    pub repeat_interval: PromDuration,
    /// Time intervals muting this route (not inherited).
    pub mute_time_intervals: Vec<String>,
    /// Time intervals outside which this route is muted (not inherited).
    pub active_time_intervals: Vec<String>,
    /// Child routes, tried in order; the first match wins unless it continues.
    pub routes: Vec<Route>,
    /// Position in the file.
    pub pos: Pos,
}

impl Route {
    /// Number of nodes in this subtree.
    pub fn count(&self) -> usize {
        1 + self.routes.iter().map(Route::count).sum::<usize>()
    }
}

pub(super) fn map_matchers(
    ck: &mut Checker,
    pos: Pos,
    eq: &BTreeMap<String, String>,
    re: &BTreeMap<String, String>,
    list: &[String],
) -> Vec<Matcher> {
    let mut out = Vec::new();
    for (op, map) in [(MatchOp::Equal, eq), (MatchOp::Regex, re)] {
        for (k, v) in map {
            if !is_valid_label_name(k) {
                ck.error(Some(pos), format!("invalid label name {k:?}"));
                continue;
            }
            // `match_re` values are anchored in the config itself, so route keys
            // print them as Alertmanager does (`{env=~"^(?:prod.*)$"}`).
            let v = if op == MatchOp::Regex {
                format!("^(?:{v})$")
            } else {
                v.clone()
            };
            match Matcher::new(k.clone(), op, v) {
                Ok(m) => out.push(m),
                Err(e) => ck.error(Some(pos), e),
            }
        }
    }
    for s in list {
        match parse_matchers(s) {
            Ok(ms) => out.extend(ms),
            Err(e) => ck.error(Some(pos), e),
        }
    }
    out.sort_by(|a, b| (&a.name, &a.value, a.op).cmp(&(&b.name, &b.value, b.op)));
    out
}

pub(super) struct RouteDefaults {
    pub(super) receiver: Option<String>,
    pub(super) group_by: GroupBy,
    pub(super) group_wait: PromDuration,
    pub(super) group_interval: PromDuration,
    pub(super) repeat_interval: PromDuration,
}

pub(super) fn build_route(
    ck: &mut Checker,
    raw: &Spanned<RawRoute>,
    parent: &RouteDefaults,
) -> Route {
    let pos = Pos::of(raw);
    let r = &raw.value;
    let group_by = match &r.group_by {
        None => parent.group_by.clone(),
        Some(g) if g.is_empty() => parent.group_by.clone(),
        Some(g) => {
            if g.iter().any(|l| l == "...") {
                if g.len() > 1 {
                    ck.error(Some(pos), "cannot have wildcard group_by (`...`) and other other labels at the same time");
                }
                GroupBy::All
            } else {
                let mut seen: Vec<&String> = Vec::new();
                for l in g {
                    if seen.contains(&l) {
                        ck.error(Some(pos), format!("duplicated label {l:?} in group_by"));
                    }
                    seen.push(l);
                    if !is_valid_label_name(l) {
                        ck.error(
                            Some(pos),
                            format!("invalid label name {l:?} in group_by list"),
                        );
                    }
                }
                GroupBy::Labels(g.clone())
            }
        }
    };
    if r.group_interval.is_some_and(|d| d.is_zero()) {
        ck.error(Some(pos), "group_interval cannot be zero");
    }
    if r.repeat_interval.is_some_and(|d| d.is_zero()) {
        ck.error(Some(pos), "repeat_interval cannot be zero");
    }
    let defaults = RouteDefaults {
        receiver: r
            .receiver
            .as_ref()
            .map(|s| s.value.clone())
            .or_else(|| parent.receiver.clone()),
        group_by,
        group_wait: r.group_wait.unwrap_or(parent.group_wait),
        group_interval: r.group_interval.unwrap_or(parent.group_interval),
        repeat_interval: r.repeat_interval.unwrap_or(parent.repeat_interval),
    };
    let matchers = map_matchers(ck, pos, &r.match_, &r.match_re, &r.matchers);
    let routes = r
        .routes
        .iter()
        .map(|c| build_route(ck, c, &defaults))
        .collect();
    Route {
        receiver: defaults.receiver.unwrap_or_default(),
        group_by: defaults.group_by,
        continue_: r.continue_,
        matchers,
        group_wait: defaults.group_wait,
        group_interval: defaults.group_interval,
        repeat_interval: defaults.repeat_interval,
        mute_time_intervals: r.mute_time_intervals.clone(),
        active_time_intervals: r.active_time_intervals.clone(),
        routes,
        pos,
    }
}

/// Depth-first check that every route names a known receiver and time interval.
pub(super) fn check_route_refs(
    ck: &mut Checker,
    raw: &Spanned<RawRoute>,
    receivers: &[String],
    intervals: &[String],
) {
    let r = &raw.value;
    if let Some(rec) = &r.receiver
        && !receivers.contains(&rec.value)
    {
        ck.error(
            Some(Pos::of(rec)),
            format!("undefined receiver {:?} used in route", rec.value),
        );
    }
    for ti in r.mute_time_intervals.iter().chain(&r.active_time_intervals) {
        if !intervals.contains(ti) {
            ck.error(
                Some(Pos::of(raw)),
                format!("undefined time interval {ti:?} used in route"),
            );
        }
    }
    for c in &r.routes {
        check_route_refs(ck, c, receivers, intervals);
    }
}
