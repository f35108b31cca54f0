//! Rule evaluation in the real binary: groups on the manual clock, the
//! rules/alerts APIs in Prometheus' shape, `ALERTS` through PromQL, and
//! `outpost test rules` with promtool's output and exit codes.

mod common;

use std::process::Command;

use common::{Outpost, bin, get, post, repo};
use serde_json::Value;

fn config_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("prometheus.yml"),
        "global:\n  evaluation_interval: 15s\n  external_labels: {cluster: test}\nrule_files: ['rules/*.yml']\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("rules")).unwrap();
    std::fs::write(
        dir.path().join("rules/app.yml"),
        r#"groups:
  - name: app
    rules:
      - record: outpost:one
        expr: vector(1)
      - alert: AlwaysOn
        expr: vector(3) > 0
        for: 5m
        labels: {severity: page}
        annotations:
          summary: "value {{ $value }} on {{ $externalLabels.cluster }}"
      - alert: Broken
        expr: vector(1)
        annotations:
          bad: "{{ humanize \"x\" }}"
"#,
    )
    .unwrap();
    dir
}

/// Outpost on `prometheus.yml` of `dir` with a manual clock at 2026-01-01.
fn start_manual(dir: &std::path::Path, extra: &[&str]) -> Outpost {
    let cfg = dir.join("prometheus.yml");
    let mut args = vec![
        "--prometheus.config",
        cfg.to_str().unwrap(),
        "--clock",
        "manual",
        "--clock.start",
        "2026-01-01T00:00:00Z",
    ];
    args.extend_from_slice(extra);
    Outpost::start(&args)
}

fn data(body: &str) -> Value {
    let v: Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["status"], "success", "{body}");
    v["data"].clone()
}

fn wait_for(mut f: impl FnMut() -> bool) {
    for _ in 0..400 {
        if f() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("condition not reached");
}

#[test]
fn alerts_go_pending_then_fire_when_the_manual_clock_passes_for() {
    let dir = config_dir();
    let op = start_manual(dir.path(), &[]);
    let base = op.url("prometheus");
    let rules = || data(&get(&format!("{base}/api/v1/rules")).1);
    let g = &rules()["groups"][0];
    assert_eq!(g["name"], "app");
    assert_eq!(g["interval"], 15.0);
    assert_eq!(g["rules"][1]["state"], "unknown", "{g}");
    assert_eq!(g["rules"][1]["health"], "unknown");

    assert_eq!(
        post(&format!("{base}/outpost/v1/clock/advance?by=16s")).0,
        200
    );
    wait_for(|| rules()["groups"][0]["rules"][1]["state"] == "pending");
    let g = &rules()["groups"][0];
    let rec = &g["rules"][0];
    assert_eq!(rec["type"], "recording");
    assert_eq!(rec["health"], "ok");
    assert_eq!(rec["query"], "vector(1)");
    let alert = &g["rules"][1];
    assert_eq!(alert["type"], "alerting");
    assert_eq!(alert["duration"], 300.0);
    assert_eq!(alert["labels"]["severity"], "page");
    assert_eq!(
        alert["annotations"]["summary"],
        "value {{ $value }} on {{ $externalLabels.cluster }}"
    );
    let a = &alert["alerts"][0];
    assert_eq!(a["state"], "pending");
    assert_eq!(a["value"], "3e+00");
    assert_eq!(a["annotations"]["summary"], "value 3 on test");
    assert_eq!(
        a["labels"],
        serde_json::json!({"alertname": "AlwaysOn", "severity": "page"})
    );
    // A template runtime error shows in the annotation; the rule stays healthy.
    let broken = &g["rules"][2];
    assert_eq!(broken["health"], "ok");
    assert!(
        broken["alerts"][0]["annotations"]["bad"]
            .as_str()
            .unwrap()
            .starts_with("<error expanding template: error executing template __alert_Broken: template: __alert_Broken:1:"),
        "{broken}"
    );

    // One jump past `for` fires it at the next slot.
    assert_eq!(
        post(&format!("{base}/outpost/v1/clock/advance?by=6m")).0,
        200
    );
    wait_for(|| rules()["groups"][0]["rules"][1]["state"] == "firing");
    let alerts = data(&get(&format!("{base}/api/v1/alerts")).1);
    let names: Vec<&str> = alerts["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["labels"]["alertname"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"AlwaysOn"), "{alerts}");
    let q = data(
        &get(&format!(
            "{base}/api/v1/query?query=ALERTS{{alertname=%22AlwaysOn%22}}"
        ))
        .1,
    );
    assert_eq!(q["result"][0]["metric"]["alertstate"], "firing", "{q}");
    let q = data(&get(&format!("{base}/api/v1/query?query=outpost:one")).1);
    assert_eq!(q["result"][0]["value"][1], "1");

    // Filters.
    let only_rec = data(&get(&format!("{base}/api/v1/rules?type=record")).1);
    assert_eq!(only_rec["groups"][0]["rules"].as_array().unwrap().len(), 1);
    let (code, body) = get(&format!("{base}/api/v1/rules?type=bogus"));
    assert_eq!(code, 400);
    assert!(body.contains(r#""errorType":"bad_data""#), "{body}");
    let none = data(&get(&format!("{base}/api/v1/rules?rule_name[]=nope")).1);
    assert_eq!(none["groups"], serde_json::json!([]));
    let page = data(&get(&format!("{base}/api/v1/rules?group_limit=1")).1);
    assert_eq!(page["groups"].as_array().unwrap().len(), 1);
    assert!(
        page.get("groupNextToken").is_none(),
        "one group only: {page}"
    );
    let (code, _) = get(&format!(
        "{base}/api/v1/rules?group_limit=1&group_next_token=zzz"
    ));
    assert_eq!(code, 400);
}

#[test]
fn test_rules_prints_promtools_output_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("r.yml"),
        "groups:\n- name: g\n  rules:\n  - alert: Down\n    expr: up == 0\n    for: 1m\n    annotations: {s: '{{ $labels.instance }} down'}\n",
    )
    .unwrap();
    let test = "rule_files: [r.yml]\ntests:\n- interval: 1m\n  input_series:\n  - series: 'up{instance=\"a\"}'\n    values: 0x5\n  alert_rule_test:\n  - eval_time: 3m\n    alertname: Down\n    exp_alerts:\n    - exp_labels: {instance: a}\n      exp_annotations: {s: a down}\n";
    std::fs::write(dir.path().join("ok.yml"), test).unwrap();
    std::fs::write(dir.path().join("bad.yml"), test.replace("a down", "b down")).unwrap();
    let run = |f: &str| {
        Command::new(bin())
            .current_dir(dir.path())
            .args(["test", "rules", f])
            .output()
            .unwrap()
    };
    let ok = run("ok.yml");
    assert_eq!(ok.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&ok.stdout),
        "Unit Testing:  ok.yml\n  SUCCESS\n\n"
    );
    let bad = run("bad.yml");
    assert_eq!(bad.status.code(), Some(1));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.starts_with("  FAILED:\n    alertname: Down, time: 3m, \n"),
        "{err}"
    );
    assert!(err.contains(r#"Annotations:{s="b down"}"#), "{err}");
    assert!(err.contains(r#"Annotations:{s="a down"}"#), "{err}");
}

#[test]
fn seed_rule_tests_pass() {
    let dir = repo().join("fixtures/ecommerce/tests");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 3, "one test file per seed rule file");
    let out = Command::new(bin())
        .arg("test")
        .arg("rules")
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A one-thread HTTP server that records request lines and bodies and
/// answers 200.
fn capture_server() -> (String, std::sync::mpsc::Receiver<(String, String)>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut len = 0usize;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h == "\r\n" || h.is_empty() {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; len];
            let _ = reader.read_exact(&mut body);
            let mut s = stream;
            let _ =
                s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = tx.send((
                request_line.trim().to_string(),
                String::from_utf8_lossy(&body).into_owned(),
            ));
        }
    });
    (addr, rx)
}

#[test]
fn firing_alerts_are_posted_to_configured_alertmanagers() {
    let (addr, rx) = capture_server();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("prometheus.yml"),
        format!(
            "global:\n  evaluation_interval: 10s\n  external_labels: {{cluster: c1, severity: ignored}}\nalerting:\n  alert_relabel_configs:\n  - {{action: labeldrop, regex: drop_me}}\n  alertmanagers:\n  - path_prefix: /am\n    static_configs:\n    - targets: ['{addr}']\nrule_files: [r.yml]\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("r.yml"),
        "groups:\n- name: g\n  rules:\n  - alert: Hot\n    expr: vector(1) > 0\n    labels: {severity: page, drop_me: x}\n    annotations: {summary: 'hot & bothered'}\n",
    )
    .unwrap();
    let op = start_manual(
        dir.path(),
        &["--web.external-url", "http://outpost.example:9090/prom/"],
    );
    let base = op.url("prometheus");
    assert_eq!(
        post(&format!("{base}/outpost/v1/clock/advance?by=11s")).0,
        200
    );
    let (line, body) = rx
        .recv_timeout(std::time::Duration::from_secs(10))
        .expect("an alert POST");
    assert_eq!(line, "POST /am/api/v2/alerts HTTP/1.1");
    let alerts: Value = serde_json::from_str(&body).unwrap();
    let a = &alerts[0];
    assert_eq!(
        a["labels"],
        serde_json::json!({"alertname": "Hot", "cluster": "c1", "severity": "page"}),
        "external labels fill only missing names; alert relabeling applies"
    );
    assert_eq!(a["annotations"]["summary"], "hot & bothered");
    assert_eq!(
        a["generatorURL"],
        "http://outpost.example:9090/prom/graph?g0.expr=vector%281%29+%3E+0&g0.tab=1"
    );
    let starts = a["startsAt"].as_str().unwrap();
    let ends = a["endsAt"].as_str().unwrap();
    assert!(
        starts.starts_with("2026-01-01T00:00:") && starts.ends_with('Z'),
        "{starts}"
    );
    assert!(ends > starts, "{starts} {ends}");
}
