//! promtool's texts for test-file problems, as Debian's promtool 2.42
//! printed them for the same files (regression tests for the review of the
//! unit-test runner).

use std::path::Path;

use outpost_rules::{TestOptions, test_rules_file};

const RULES: &str = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: vector(1)\n";

fn run(dir: &Path, name: &str, text: &str) -> outpost_rules::FileOutcome {
    std::fs::write(dir.join("rules.yml"), RULES).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    test_rules_file(&p, &TestOptions::default())
}

#[test]
fn missing_alertname_is_the_groups_only_error_named_by_the_group() {
    let d = tempfile::tempdir().unwrap();
    let out = run(
        d.path(),
        "miss.yml",
        "rule_files: [rules.yml]\ntests:\n  - name: grp\n    input_series:\n      - series: up\n        values: 1\n    alert_rule_test:\n      - eval_time: 1m\n        exp_alerts: []\n      - eval_time: 1m\n        alertname: A\n        exp_alerts: []\n",
    );
    assert!(!out.passed);
    assert_eq!(
        out.stderr,
        "  FAILED:\nan item under alert_rule_test misses required attribute alertname at eval_time 1m (in TestGroup grp)\n"
    );
}

#[test]
fn repeated_group_in_eval_order_is_a_file_error() {
    let d = tempfile::tempdir().unwrap();
    let out = run(
        d.path(),
        "order.yml",
        "rule_files: [rules.yml]\ngroup_eval_order: [a, a]\ntests: []\n",
    );
    assert_eq!(
        out.stderr,
        "  FAILED:\ngroup name repeated in evaluation order: a\n"
    );
    // Merged streams read in promtool's order.
    let merged: String = out.chunks.iter().map(|(_, t)| t.as_str()).collect();
    assert!(merged.starts_with(&format!(
        "Unit Testing:  {}\n  FAILED:\ngroup name repeated",
        d.path().join("order.yml").display()
    )));
}

#[test]
fn sample_limit_and_non_vector_results_fail_as_in_promtool() {
    let d = tempfile::tempdir().unwrap();
    let out = run(
        d.path(),
        "limit.yml",
        "rule_files: [rules.yml]\ntests:\n  - interval: 1s\n    input_series:\n      - series: x\n        values: 0+1x20000\n    promql_expr_test:\n      - expr: count_over_time(x[5h])\n        eval_time: 5h\n        exp_samples: [{value: 1}]\n      - expr: x[1m]\n        eval_time: 5h\n        exp_samples: [{value: 1}]\n",
    );
    assert_eq!(
        out.stderr,
        "  FAILED:\n    expr: \"count_over_time(x[5h])\", time: 5h, err: query processing would load too many samples into memory in query execution\n    expr: \"x[1m]\", time: 5h, err: rule result is not a vector or scalar\n"
    );
}
