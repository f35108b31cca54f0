//! promtool's own rule unit-test files (read from `../shared/conformance`,
//! never copied): the ones promtool 2.42 passes pass, `failing.yml` fails
//! with promtool's messages.

use std::path::PathBuf;

use outpost_rules::{TestOptions, test_rules_file};

fn dir() -> Option<PathBuf> {
    let shared = std::env::var("OUTPOST_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let d = shared.join("conformance/promtool-rules-testdata/v2.42.0");
    if d.is_dir() {
        Some(d)
    } else {
        // Under CI the shared test data must be there: a skip would pass silently.
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{} not found and CI=true: promtool's files must run in CI",
            d.display()
        );
        eprintln!("skipping: {} not found", d.display());
        None
    }
}

fn opts() -> TestOptions {
    TestOptions {
        prometheus2: true,
        ..TestOptions::default()
    }
}

#[test]
fn promtool_passing_files_pass() {
    let Some(d) = dir() else { return };
    for f in [
        "unittest.yml",
        "at-modifier-test.yml",
        "negative-offset-test.yml",
        "long-period.yml",
    ] {
        let out = test_rules_file(&d.join(f), &opts());
        assert!(out.passed, "{f}:\n{}{}", out.stdout, out.stderr);
        assert!(out.stdout.ends_with("  SUCCESS\n\n"), "{}", out.stdout);
    }
}

#[test]
fn failing_file_fails_with_promtools_messages() {
    let Some(d) = dir() else { return };
    let out = test_rules_file(&d.join("failing.yml"), &opts());
    assert!(!out.passed);
    let expected = r#"  FAILED:
    name: Failing test,
    alertname: Test, time: 0s, 
        exp:[
            0:
              Labels:{alertname="Test"}
              Annotations:{}
            ], 
        got:[]
    expr: "test", time: 0s,
        exp: {__name__="test"} 1E+00
        got: {__name__="test"} 0E+00
    name: Failing alert test,
    alertname: InstanceDown, time: 5m, 
        exp:[], 
        got:[
            0:
              Labels:{alertname="InstanceDown", job="test", severity="page"}
              Annotations:{description=" of job test has been down for more than 5 minutes.", summary="Instance  down"}
            ]
    name: Failing alert test,
    alertname: AlwaysFiring, time: 5m, 
        exp:[], 
        got:[
            0:
              Labels:{alertname="AlwaysFiring"}
              Annotations:{}
            ]
"#;
    assert_eq!(out.stderr, expected);
    assert_eq!(
        out.stdout,
        format!(
            "Unit Testing:  {}\n\n\n\n\n\n",
            d.join("failing.yml").display()
        )
    );
}
