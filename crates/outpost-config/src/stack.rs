//! A whole monitoring-configs tree (the seed's layout) loaded at once, with a
//! per-file report as `outpost check` prints it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::de::IgnoredAny;

use crate::alertmanager::{AlertmanagerConfig, load_alertmanager};
use crate::elasticsearch::{ElasticsearchFile, load_elasticsearch};
use crate::error::Diagnostic;
use crate::grafana::{GrafanaDatasources, load_grafana_datasources};
use crate::jaeger::{JaegerFile, is_jaeger_file, load_jaeger};
use crate::prometheus::{PrometheusConfig, load_prometheus};
use crate::rules::{RuleFile, TemplateCheck, load_rule_file};
use crate::source::Files;

/// What a checked file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// prometheus.yml
    Prometheus,
    /// A rule file.
    Rules,
    /// alertmanager.yml
    Alertmanager,
    /// Grafana datasource provisioning.
    GrafanaDatasources,
    /// A Jaeger deployment (`jaeger/*.yml`).
    Jaeger,
    /// `elasticsearch/elasticsearch.yml`.
    Elasticsearch,
    /// A file outpost does not validate yet.
    Other,
}

/// The outcome of checking one file.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The file as shown to the user.
    pub file: String,
    /// Its kind.
    pub kind: FileKind,
    /// One-line summary (`12 rules found`), empty on failure.
    pub summary: String,
    /// Errors: the file would be rejected.
    pub errors: Vec<Diagnostic>,
    /// Warnings: accepted, with a caveat.
    pub warnings: Vec<Diagnostic>,
}

impl FileReport {
    fn new(file: String, kind: FileKind) -> Self {
        FileReport {
            file,
            kind,
            summary: String::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// Which files make up a stack.
#[derive(Debug, Clone)]
pub struct StackPaths {
    /// Where files are read from.
    pub files: Files,
    /// The monitoring-configs root, when loading a tree.
    pub root: Option<PathBuf>,
    /// prometheus.yml, when not the root's.
    pub prometheus: Option<PathBuf>,
    /// alertmanager.yml, when not the root's.
    pub alertmanager: Option<PathBuf>,
    /// Checks alert label and annotation templates of rule files.
    pub templates: TemplateCheck,
}

impl StackPaths {
    /// A monitoring-configs tree rooted at `root`.
    pub fn tree(files: Files, root: impl Into<PathBuf>, templates: TemplateCheck) -> Self {
        StackPaths {
            files,
            root: Some(root.into()),
            prometheus: None,
            alertmanager: None,
            templates,
        }
    }

    fn prometheus_path(&self) -> Option<PathBuf> {
        self.prometheus.clone().or_else(|| {
            self.root
                .as_ref()
                .map(|r| r.join("prometheus/prometheus.yml"))
        })
    }

    fn alertmanager_path(&self) -> Option<PathBuf> {
        self.alertmanager.clone().or_else(|| {
            self.root
                .as_ref()
                .map(|r| r.join("alertmanager/alertmanager.yml"))
        })
    }
}

/// A loaded stack: every config that validated, and a report per file.
#[derive(Debug, Clone, Default)]
pub struct Stack {
    /// prometheus.yml.
    pub prometheus: Option<PrometheusConfig>,
    /// Rule files matched by `rule_files`.
    pub rule_files: Vec<RuleFile>,
    /// alertmanager.yml.
    pub alertmanager: Option<AlertmanagerConfig>,
    /// Grafana datasources.
    pub grafana: Option<GrafanaDatasources>,
    /// Jaeger deployments (`jaeger/*.yml`), for what maps to the trace row.
    pub jaeger: Vec<JaegerFile>,
    /// `elasticsearch/elasticsearch.yml`, for the Elasticsearch listener.
    pub elasticsearch: Option<ElasticsearchFile>,
    /// Per-file outcome.
    pub reports: Vec<FileReport>,
}

impl Stack {
    /// Whether every file validated.
    pub fn is_ok(&self) -> bool {
        self.reports.iter().all(|r| r.errors.is_empty())
    }

    /// Every error of every file.
    pub fn errors(&self) -> Vec<Diagnostic> {
        self.reports.iter().flat_map(|r| r.errors.clone()).collect()
    }

    /// Every warning of every file.
    pub fn warnings(&self) -> Vec<Diagnostic> {
        self.reports
            .iter()
            .flat_map(|r| r.warnings.clone())
            .collect()
    }
}

fn record<T>(report: &mut FileReport, result: crate::Result<(T, Vec<Diagnostic>)>) -> Option<T> {
    match result {
        Ok((v, w)) => {
            report.warnings = w;
            Some(v)
        }
        Err(e) => {
            report.errors = e.diagnostics();
            None
        }
    }
}

fn load_prometheus_and_rules(
    files: &Files,
    path: &Path,
    templates: TemplateCheck,
    stack: &mut Stack,
) {
    let mut report = FileReport::new(files.display(path), FileKind::Prometheus);
    let Some(cfg) = record(&mut report, load_prometheus(files, path)) else {
        stack.reports.push(report);
        return;
    };
    let mut rule_paths = Vec::new();
    for pattern in &cfg.rule_files {
        match files.glob(&pattern.to_string_lossy()) {
            Ok(m) if m.is_empty() => report.warnings.push(Diagnostic::file(
                report.file.clone(),
                format!("rule_files pattern {:?} matches no file", pattern.display()),
            )),
            Ok(m) => rule_paths.extend(m),
            Err(e) => report.errors.push(Diagnostic::file(report.file.clone(), e)),
        }
    }
    // A file matched by several patterns is loaded once.
    let mut seen = std::collections::HashSet::new();
    rule_paths.retain(|p| seen.insert(p.clone()));
    report.summary = format!(
        "{} scrape jobs, {} rule files",
        cfg.scrape_configs.len(),
        rule_paths.len()
    );
    stack.reports.push(report);
    for rp in rule_paths {
        let mut r = FileReport::new(files.display(&rp), FileKind::Rules);
        if let Some(rf) = record(&mut r, load_rule_file(files, &rp, templates)) {
            r.summary = format!("{} rules found", rf.rule_count());
            stack.rule_files.push(rf);
        }
        stack.reports.push(r);
    }
    stack.prometheus = Some(cfg);
}

fn load_am(files: &Files, path: &Path, stack: &mut Stack) {
    let mut report = FileReport::new(files.display(path), FileKind::Alertmanager);
    if let Some(cfg) = record(&mut report, load_alertmanager(files, path)) {
        report.summary = format!(
            "{} receivers, {} routes, {} inhibit rules, {} templates",
            cfg.receivers.len(),
            cfg.route.count(),
            cfg.inhibit_rules.len(),
            cfg.templates.len()
        );
        stack.alertmanager = Some(cfg);
    }
    stack.reports.push(report);
}

fn load_datasources(files: &Files, path: &Path, stack: &mut Stack) {
    let mut report = FileReport::new(files.display(path), FileKind::GrafanaDatasources);
    if let Some(ds) = record(&mut report, load_grafana_datasources(files, path)) {
        let parts: Vec<String> = ds
            .datasources
            .iter()
            .map(|d| match d.outpost_listener() {
                Some(l) => format!("{} ({}) -> outpost {l}", d.name, d.kind),
                None => format!("{} ({})", d.name, d.kind),
            })
            .collect();
        report.summary = format!("{} datasources: {}", ds.datasources.len(), parts.join(", "));
        stack.grafana = Some(ds);
    }
    stack.reports.push(report);
}

fn load_jaeger_file(files: &Files, path: &Path, stack: &mut Stack) {
    let mut report = FileReport::new(files.display(path), FileKind::Jaeger);
    if let Some(j) = record(&mut report, load_jaeger(files, path)) {
        report.summary = j.summary();
        stack.jaeger.push(j);
    }
    stack.reports.push(report);
}

fn load_es_file(files: &Files, path: &Path, stack: &mut Stack) {
    let mut report = FileReport::new(files.display(path), FileKind::Elasticsearch);
    if let Some(es) = record(&mut report, load_elasticsearch(files, path)) {
        report.summary = es.summary();
        stack.elasticsearch = Some(es);
    }
    stack.reports.push(report);
}

/// Loads a stack; never fails as a whole, each file's outcome is in `reports`.
pub fn load_stack(paths: &StackPaths) -> Stack {
    let files = &paths.files;
    let mut stack = Stack::default();
    let prom = paths
        .prometheus_path()
        .filter(|p| paths.prometheus.is_some() || files.exists(p));
    let am = paths
        .alertmanager_path()
        .filter(|p| paths.alertmanager.is_some() || files.exists(p));
    if prom.is_none() && am.is_none() {
        let where_ = paths
            .root
            .as_deref()
            .map(|r| files.display(r))
            .unwrap_or_default();
        let mut r = FileReport::new(where_.clone(), FileKind::Other);
        r.errors.push(Diagnostic::file(
            where_,
            "no prometheus/prometheus.yml or alertmanager/alertmanager.yml found",
        ));
        stack.reports.push(r);
        return stack;
    }
    if let Some(p) = prom {
        load_prometheus_and_rules(files, &p, paths.templates, &mut stack);
    }
    if let Some(a) = am {
        load_am(files, &a, &mut stack);
    }
    if let Some(root) = &paths.root {
        let ds_dir = root.join("grafana/provisioning/datasources");
        for f in files.list(&ds_dir) {
            if is_yaml(&f) {
                load_datasources(files, &f, &mut stack);
            }
        }
        for f in files.list(&root.join("jaeger")) {
            if is_yaml(&f) {
                load_jaeger_file(files, &f, &mut stack);
            }
        }
        let es = root.join("elasticsearch/elasticsearch.yml");
        if files.exists(&es) {
            load_es_file(files, &es, &mut stack);
        }
    }
    stack
}

fn is_yaml(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml"))
}

/// Checks paths as `outpost check` does: a directory is a monitoring-configs
/// tree; a file is recognised by its top-level keys.
pub fn check_paths(files: &Files, paths: &[PathBuf], templates: TemplateCheck) -> Vec<FileReport> {
    let mut out = Vec::new();
    for p in paths {
        if matches!(files, Files::Disk) && p.is_dir() {
            let stack = load_stack(&StackPaths::tree(*files, p, templates));
            let seen: Vec<String> = stack.reports.iter().map(|r| r.file.clone()).collect();
            out.extend(stack.reports);
            for f in files.list(p) {
                let shown = files.display(&f);
                if seen.contains(&shown) {
                    continue;
                }
                let mut r = FileReport::new(shown, FileKind::Other);
                r.summary = "outpost validates prometheus, rule, alertmanager, grafana datasource and jaeger files; this one is not read yet".into();
                out.push(r);
            }
            continue;
        }
        out.extend(check_file(files, p, templates));
    }
    out
}

fn check_file(files: &Files, p: &Path, templates: TemplateCheck) -> Vec<FileReport> {
    let shown = files.display(p);
    let text = match files.read(p) {
        Ok(t) => t,
        Err(e) => {
            let mut r = FileReport::new(shown.clone(), FileKind::Other);
            r.errors.push(Diagnostic::file(shown, e.to_string()));
            return vec![r];
        }
    };
    let keys: BTreeMap<String, IgnoredAny> = serde_saphyr::from_str(&text).unwrap_or_default();
    let has = |k: &str| keys.contains_key(k);
    let mut stack = Stack::default();
    let other_kind = ["groups", "route", "datasources", "scrape_configs", "global"]
        .iter()
        .any(|k| has(k));
    if is_jaeger_file(p, &text) && !other_kind {
        load_jaeger_file(files, p, &mut stack);
        return stack.reports;
    }
    if has("groups") {
        let mut r = FileReport::new(shown, FileKind::Rules);
        if let Some(rf) = record(&mut r, load_rule_file(files, p, templates)) {
            r.summary = format!("{} rules found", rf.rule_count());
        }
        return vec![r];
    } else if has("route") || has("receivers") {
        load_am(files, p, &mut stack);
    } else if has("datasources") {
        load_datasources(files, p, &mut stack);
    } else if has("scrape_configs")
        || has("global")
        || has("rule_files")
        || has("alerting")
        || has("remote_write")
    {
        load_prometheus_and_rules(files, p, templates, &mut stack);
    } else {
        let mut r = FileReport::new(shown.clone(), FileKind::Other);
        r.errors.push(Diagnostic::file(
            shown,
            "not recognised as a prometheus, rules, alertmanager or grafana datasources file",
        ));
        return vec![r];
    }
    stack.reports
}
