//! `outpost check` on the seed stack, the seed's original files and broken
//! copies, asserting the exact file, line and column of each finding.

mod common;

use std::path::Path;
use std::process::Command;

use common::{bin, ecommerce_copy, edit, line_of, repo};

fn check(args: &[&Path]) -> (i32, String) {
    let out = Command::new(bin())
        .arg("check")
        .args(args)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap() + &String::from_utf8(out.stderr).unwrap();
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn corrected_ecommerce_stack_checks_clean() {
    let (code, out) = check(&[&repo().join("fixtures/ecommerce")]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("SUCCESS: 12 scrape jobs, 3 rule files"),
        "{out}"
    );
    assert!(
        out.contains("infrastructure.yml\n  SUCCESS: 12 rules found"),
        "{out}"
    );
    assert!(
        out.contains("microservices.yml\n  SUCCESS: 9 rules found"),
        "{out}"
    );
    assert!(
        out.contains("business-metrics.yml\n  SUCCESS: 6 rules found"),
        "{out}"
    );
    assert!(
        out.contains("SUCCESS: 4 receivers, 4 routes, 1 inhibit rules"),
        "{out}"
    );
    assert!(!out.contains("FAILED"), "{out}");
    assert!(
        !out.contains("in-cluster"),
        "the corrected stack needs no in-cluster files:\n{out}"
    );
}

#[test]
fn embedded_stack_checks_clean() {
    let out = Command::new(bin()).arg("check").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("Checking <embedded>/alertmanager/alertmanager.yml\n  SUCCESS"),
        "{text}"
    );
}

#[test]
fn seed_original_alertmanager_fails_on_each_subject_and_body() {
    let file = repo().join("fixtures/seed-original/alertmanager/alertmanager.yml");
    let (code, out) = check(&[&file]);
    assert_eq!(code, 1, "{out}");
    let shown = file.display().to_string();
    for (line, field, hint) in [
        (41, "subject", "headers: { Subject: '...' }"),
        (42, "body", "text: (plain) or html:"),
        (57, "subject", "headers: { Subject: '...' }"),
        (65, "subject", "headers: { Subject: '...' }"),
    ] {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            text.lines()
                .nth(line - 1)
                .unwrap()
                .trim_start()
                .starts_with(&format!("{field}:"))
        );
        let prefix = format!(
            "{shown}:{line}:9: field receivers.email_configs.{field}: unknown field `{field}`"
        );
        let entry = out
            .lines()
            .find(|l| l.trim_start().starts_with(&prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} in\n{out}"));
        assert!(entry.contains(hint), "{entry}");
    }
    assert_eq!(out.matches("unknown field").count(), 4, "{out}");
}

#[test]
fn seed_original_prometheus_warns_about_in_cluster_files_but_passes() {
    let file = repo().join("fixtures/seed-original/prometheus/prometheus.yml");
    let (code, out) = check(&[&file]);
    assert_eq!(code, 0, "{out}");
    let job_line = line_of(&file, "job_name: 'kubernetes-apiservers'");
    let expected = format!(
        "WARNING: {}:{job_line}:5: scrape config \"kubernetes-apiservers\": bearer token file \"/var/run/secrets/kubernetes.io/serviceaccount/token\" is an in-cluster service-account file",
        file.display()
    );
    assert!(out.contains(&expected), "{expected}\n{out}");
    assert_eq!(
        out.matches("in-cluster service-account file").count(),
        4,
        "{out}"
    );
    assert!(
        out.contains("kubernetes_sd_configs has no cluster to watch here"),
        "{out}"
    );
}

#[test]
fn wrong_key_in_prometheus_yml() {
    let dir = ecommerce_copy();
    let file = dir.path().join("prometheus/prometheus.yml");
    edit(
        &file,
        "    scrape_interval: 30s",
        "    scrape_intervall: 30s",
    );
    let line = line_of(&file, "scrape_intervall");
    let (code, out) = check(&[dir.path()]);
    assert_eq!(code, 1, "{out}");
    let expected = format!(
        "{}:{line}:5: field scrape_configs.scrape_intervall: unknown field `scrape_intervall`",
        file.display()
    );
    assert!(out.contains(&expected), "{expected}\n{out}");
}

#[test]
fn bad_duration_in_prometheus_yml() {
    let dir = ecommerce_copy();
    let file = dir.path().join("prometheus/prometheus.yml");
    edit(
        &file,
        "evaluation_interval: 15s",
        "evaluation_interval: 15 seconds",
    );
    let (code, out) = check(&[&file]);
    assert_eq!(code, 1, "{out}");
    let expected = format!(
        "{}:3:24: field global.evaluation_interval: not a valid duration string: \"15 seconds\"",
        file.display()
    );
    assert!(out.contains(&expected), "{expected}\n{out}");
}

#[test]
fn invalid_promql_in_a_rule_file() {
    let dir = ecommerce_copy();
    let file = dir.path().join("prometheus/alert-rules/microservices.yml");
    edit(
        &file,
        "expr: up{job=~\".*-service\"} == 0",
        "expr: up{job=~\".*-service\"} == ",
    );
    let line = line_of(&file, "expr: up{job=~\".*-service\"} == ");
    let (code, out) = check(&[dir.path()]);
    assert_eq!(code, 1, "{out}");
    let expected = format!(
        "{}:{line}:15: group \"microservices\", rule 1, \"ServiceDown\": could not parse expression:",
        file.display()
    );
    assert!(out.contains(&expected), "{expected}\n{out}");
    assert!(
        out.contains("SUCCESS: 12 rules found"),
        "other rule files still check: {out}"
    );
}

#[test]
fn route_naming_a_missing_receiver() {
    let dir = ecommerce_copy();
    let file = dir.path().join("alertmanager/alertmanager.yml");
    edit(
        &file,
        "receiver: 'payment-team'",
        "receiver: 'payments-team'",
    );
    let line = line_of(&file, "receiver: 'payments-team'");
    let (code, out) = check(&[&file]);
    assert_eq!(code, 1, "{out}");
    let expected = format!(
        "{}:{line}:17: undefined receiver \"payments-team\" used in route",
        file.display()
    );
    assert!(out.contains(&expected), "{expected}\n{out}");
}

#[test]
fn unrecognised_file_fails() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("x.yml");
    std::fs::write(&f, "hello: world\n").unwrap();
    let (code, out) = check(&[&f]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("not recognised"), "{out}");
}
