//! Prometheus rule files: groups of recording and alerting rules, with the
//! checks and messages of Prometheus' `rulefmt` (and `promtool check rules`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::check::{Checker, Pos};
use crate::duration::PromDuration;
use crate::error::{Diagnostic, Result};
use crate::labels::{is_valid_label_name, is_valid_metric_name};
use crate::source::Files;
use crate::yaml::parse_strict;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRuleFile {
    #[serde(default)]
    groups: Vec<Spanned<RawGroup>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    #[serde(default)]
    name: String,
    #[serde(default)]
    interval: Option<PromDuration>,
    #[serde(default)]
    limit: Option<u64>,
    #[serde(default)]
    query_offset: Option<PromDuration>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    rules: Vec<Spanned<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    #[serde(default)]
    record: Option<String>,
    #[serde(default)]
    alert: Option<String>,
    #[serde(default)]
    expr: Option<Spanned<String>>,
    #[serde(default, rename = "for")]
    for_: Option<PromDuration>,
    #[serde(default)]
    keep_firing_for: Option<PromDuration>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// What a rule produces.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleKind {
    /// Writes its result as a new series named by `record`.
    Recording,
    /// Produces alerts.
    Alerting {
        /// How long the condition must hold before firing.
        for_: PromDuration,
        /// How long to keep firing after the condition clears.
        keep_firing_for: PromDuration,
        /// Annotation templates.
        annotations: BTreeMap<String, String>,
    },
}

/// A validated rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// The record or alert name.
    pub name: String,
    /// The PromQL expression (checked to parse).
    pub expr: String,
    /// Extra labels (templates for alerting rules).
    pub labels: BTreeMap<String, String>,
    /// Recording or alerting.
    pub kind: RuleKind,
    /// Position of the rule in its file.
    pub pos: Pos,
}

impl Rule {
    /// Whether this is an alerting rule.
    pub fn is_alerting(&self) -> bool {
        matches!(self.kind, RuleKind::Alerting { .. })
    }
}

/// A validated rule group.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleGroup {
    /// Group name, unique within its file.
    pub name: String,
    /// The file it came from.
    pub file: PathBuf,
    /// Evaluation interval; the global evaluation_interval when unset.
    pub interval: Option<PromDuration>,
    /// Most alerts or series a rule may produce (0 = no limit).
    pub limit: u64,
    /// Evaluate this far in the past; the global rule_query_offset when unset.
    pub query_offset: Option<PromDuration>,
    /// Labels added to every rule of the group.
    pub labels: BTreeMap<String, String>,
    /// Rules in file order.
    pub rules: Vec<Rule>,
}

/// A validated rule file.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleFile {
    /// Path of the file.
    pub path: PathBuf,
    /// Groups in file order.
    pub groups: Vec<RuleGroup>,
}

impl RuleFile {
    /// Number of rules over all groups.
    pub fn rule_count(&self) -> usize {
        self.groups.iter().map(|g| g.rules.len()).sum()
    }
}

/// Checks the Go-template syntax of one alert label or annotation value
/// (`name` is the template's name in error texts). The template language lives
/// in `outpost-template`, above this crate; callers pass its checker in
/// (`outpost_rules::check_template`).
pub type TemplateCheck = fn(name: &str, text: &str) -> std::result::Result<(), String>;

/// Loads and validates one rule file.
pub fn load_rule_file(
    files: &Files,
    path: &Path,
    templates: TemplateCheck,
) -> Result<(RuleFile, Vec<Diagnostic>)> {
    let display = files.display(path);
    let text = files.read(path).map_err(|source| crate::Error::Io {
        file: display.clone(),
        source,
    })?;
    parse_rule_file(path, &display, &text, templates)
}

/// Validates rule-file text; alert labels and annotations go through `templates`.
pub fn parse_rule_file(
    path: &Path,
    display: &str,
    text: &str,
    templates: TemplateCheck,
) -> Result<(RuleFile, Vec<Diagnostic>)> {
    let raw: RawRuleFile = if text.trim().is_empty() {
        RawRuleFile::default()
    } else {
        parse_strict(display, text).map_err(crate::Error::Invalid)?
    };
    let mut ck = Checker::new(display);
    let mut groups: Vec<RuleGroup> = Vec::new();
    for g in &raw.groups {
        let gpos = Pos::of(g);
        let g = &g.value;
        if g.name.is_empty() {
            ck.error(Some(gpos), "Groupname must not be empty");
        } else if groups.iter().any(|x| x.name == g.name) {
            ck.error(
                Some(gpos),
                format!("groupname: {:?} is repeated in the same file", g.name),
            );
        }
        for k in g.labels.keys() {
            if !is_valid_label_name(k) {
                ck.error(
                    Some(gpos),
                    format!("group {:?}: invalid label name: {k}", g.name),
                );
            }
        }
        let mut rules = Vec::new();
        for (i, r) in g.rules.iter().enumerate() {
            if let Some(rule) = check_rule(&mut ck, &g.name, i + 1, r, templates) {
                rules.push(rule);
            }
        }
        groups.push(RuleGroup {
            name: g.name.clone(),
            file: path.to_path_buf(),
            interval: g.interval,
            limit: g.limit.unwrap_or(0),
            query_offset: g.query_offset,
            labels: g.labels.clone(),
            rules,
        });
    }
    ck.finish(RuleFile {
        path: path.to_path_buf(),
        groups,
    })
}

fn check_rule(
    ck: &mut Checker,
    group: &str,
    index: usize,
    r: &Spanned<RawRule>,
    templates: TemplateCheck,
) -> Option<Rule> {
    let rpos = Pos::of(r);
    let r = &r.value;
    let name = r
        .alert
        .clone()
        .or_else(|| r.record.clone())
        .unwrap_or_default();
    let expr_pos = r.expr.as_ref().map(Pos::of).unwrap_or(rpos);
    let errors_before = ck.errors.len();
    let fail = |ck: &mut Checker, pos: Pos, msg: String| {
        ck.error(
            Some(pos),
            format!("group {group:?}, rule {index}, {name:?}: {msg}"),
        );
    };
    match (&r.record, &r.alert) {
        (Some(_), Some(_)) => fail(
            ck,
            rpos,
            "only one of 'record' and 'alert' must be set".into(),
        ),
        (None, None) => fail(ck, rpos, "one of 'record' or 'alert' must be set".into()),
        _ => {}
    }
    let expr = r.expr.as_ref().map(|e| e.value.clone()).unwrap_or_default();
    if expr.trim().is_empty() {
        fail(ck, rpos, "field 'expr' must be set in rule".into());
    } else if let Err(e) = promql_parser::parser::parse(&expr) {
        fail(
            ck,
            expr_pos,
            format!("could not parse expression: {}", e.trim()),
        );
    }
    if let Some(rec) = &r.record {
        if r.annotations.keys().next().is_some() {
            fail(
                ck,
                rpos,
                "invalid field 'annotations' in recording rule".into(),
            );
        }
        if r.for_.is_some_and(|d| !d.is_zero()) {
            fail(ck, rpos, "invalid field 'for' in recording rule".into());
        }
        if r.keep_firing_for.is_some_and(|d| !d.is_zero()) {
            fail(
                ck,
                rpos,
                "invalid field 'keep_firing_for' in recording rule".into(),
            );
        }
        if !is_valid_metric_name(rec) {
            fail(ck, rpos, format!("invalid recording rule name: {rec}"));
        }
    }
    for k in r.labels.keys() {
        if !is_valid_label_name(k) {
            fail(ck, rpos, format!("invalid label name: {k}"));
        }
    }
    for k in r.annotations.keys() {
        if !is_valid_label_name(k) {
            fail(ck, rpos, format!("invalid annotation name: {k}"));
        }
    }
    if r.alert.is_some() {
        for (what, map) in [("label", &r.labels), ("annotation", &r.annotations)] {
            for (k, v) in map {
                if let Err(e) = templates(&name, v) {
                    fail(ck, rpos, format!("{what} {k:?}: {e}"));
                }
            }
        }
    }
    if r.labels.contains_key("__name__") {
        fail(ck, rpos, "invalid label name: __name__".into());
    }
    if ck.errors.len() > errors_before {
        return None;
    }
    let kind = if r.alert.is_some() {
        RuleKind::Alerting {
            for_: r.for_.unwrap_or_default(),
            keep_firing_for: r.keep_firing_for.unwrap_or_default(),
            annotations: r.annotations.clone(),
        }
    } else {
        RuleKind::Recording
    };
    Some(Rule {
        name,
        expr,
        labels: r.labels.clone(),
        kind,
        pos: rpos,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<(RuleFile, Vec<Diagnostic>)> {
        parse_rule_file(Path::new("r.yml"), "r.yml", text, fake_templates)
    }

    /// Stands in for Go-template checking (the language lives in
    /// outpost-template): rejects `{{ nosuch }}` as it words it.
    fn fake_templates(name: &str, text: &str) -> std::result::Result<(), String> {
        if text.contains("nosuch") {
            Err(format!(
                "template: {name}:1: function \"nosuch\" not defined"
            ))
        } else {
            Ok(())
        }
    }

    #[test]
    fn template_check_errors_fail_the_file_with_rule_and_field() {
        // The checker's own text comes back behind the rule and the field.
        let err = parse(
            "groups:\n  - name: g\n    rules:\n      - alert: Bad\n        expr: up == 0\n        annotations:\n          summary: \"{{ nosuch }}\"\n",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err.trim(),
            r#"r.yml:4:9: group "g", rule 1, "Bad": annotation "summary": template: Bad:1: function "nosuch" not defined"#
        );
    }

    #[test]
    fn parses_alerting_and_recording_rules() {
        let (f, w) = parse(
            "groups:\n  - name: g\n    interval: 30s\n    rules:\n      - record: job:up:sum\n        expr: sum by (job) (up)\n      - alert: Down\n        expr: up == 0\n        for: 5m\n        labels: {severity: critical}\n        annotations: {summary: 'x {{ $labels.job }}'}\n",
        )
        .unwrap();
        assert!(w.is_empty());
        assert_eq!(f.rule_count(), 2);
        let g = &f.groups[0];
        assert_eq!(g.interval.unwrap().to_string(), "30s");
        assert!(!g.rules[0].is_alerting());
        match &g.rules[1].kind {
            RuleKind::Alerting { for_, .. } => assert_eq!(for_.to_string(), "5m"),
            k => panic!("{k:?}"),
        }
    }

    #[test]
    fn invalid_promql_is_reported_at_the_expression() {
        let e = parse("groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: sum(up\n")
            .unwrap_err();
        let s = e.to_string();
        assert!(
            s.starts_with("r.yml:5:15: group \"g\", rule 1, \"A\": could not parse expression: "),
            "{s}"
        );
    }

    #[test]
    fn rulefmt_messages() {
        let e = parse("groups:\n  - name: g\n    rules:\n      - record: a\n        alert: b\n        expr: up\n      - record: 'bad name'\n        expr: up\n        for: 5m\n  - name: g\n").unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("only one of 'record' and 'alert' must be set"),
            "{s}"
        );
        assert!(s.contains("invalid field 'for' in recording rule"), "{s}");
        assert!(s.contains("invalid recording rule name: bad name"), "{s}");
        assert!(
            s.contains("groupname: \"g\" is repeated in the same file"),
            "{s}"
        );
    }

    #[test]
    fn empty_file_has_no_groups() {
        assert_eq!(parse("").unwrap().0.groups.len(), 0);
    }
}
