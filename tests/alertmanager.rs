//! The Alertmanager stand-in as a black box: alerts posted to the real
//! binary reach a webhook receiver (a real HTTP server here) on the manual
//! clock; bad input gets Alertmanager's messages; an unreachable webhook is
//! retried and counted without blocking another receiver; silences persist
//! with `--data-dir`; `outpost check routes` prints receivers.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Outpost, bin, get, http};
use serde_json::Value;

/// A webhook receiver on 127.0.0.1: each POST body arrives on the channel.
fn webhook_receiver() -> (String, mpsc::Receiver<Value>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for conn in l.incoming().flatten() {
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut r = BufReader::new(conn.try_clone().unwrap());
                let mut w = conn;
                loop {
                    let mut len = 0usize;
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    loop {
                        line.clear();
                        if r.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        let l = line.trim_end();
                        if l.is_empty() {
                            break;
                        }
                        if let Some((k, v)) = l.split_once(':')
                            && k.eq_ignore_ascii_case("content-length")
                        {
                            len = v.trim().parse().unwrap();
                        }
                    }
                    let mut body = vec![0; len];
                    r.read_exact(&mut body).unwrap();
                    let _ = tx.send(serde_json::from_slice(&body).unwrap());
                    let _ = w.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
                }
            });
        }
    });
    (url, rx)
}

fn write_config(dir: &Path, hook: &str) -> std::path::PathBuf {
    let p = dir.join("alertmanager.yml");
    std::fs::write(
        &p,
        format!(
            "route:\n  receiver: web.hook\n  group_by: [alertname]\n  group_wait: 30s\n  group_interval: 5m\n  routes:\n    - matchers: [alertname=Down]\n      receiver: down\nreceivers:\n  - name: web.hook\n    webhook_configs: [{{url: '{hook}', max_alerts: 2}}]\n  - name: down\n    webhook_configs: [{{url: 'http://127.0.0.1:1/'}}]\n"
        ),
    )
    .unwrap();
    p
}

fn post_json(url: &str, body: &str) -> (u16, String) {
    let r = http()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

fn start(cfg: &Path, extra: &[&str]) -> Outpost {
    let mut args = vec![
        "--alertmanager.config",
        cfg.to_str().unwrap(),
        "--clock",
        "manual",
        "--clock.start",
        "2026-11-24T10:00:00Z",
    ];
    args.extend_from_slice(extra);
    Outpost::start(&args)
}

fn advance(op: &Outpost, by: &str) {
    let (code, body) = common::post(&format!(
        "{}/outpost/v1/clock/advance?by={by}",
        op.url("prometheus")
    ));
    assert_eq!(code, 200, "{body}");
}

#[test]
fn webhook_receives_alertmanagers_body_after_group_wait() {
    let dir = tempfile::tempdir().unwrap();
    let (hook, rx) = webhook_receiver();
    let cfg = write_config(dir.path(), &hook);
    let op = start(&cfg, &[]);
    let am = op.url("alertmanager");
    let alerts = r#"[
      {"labels":{"alertname":"HighLatency","severity":"critical","instance":"a"},"annotations":{"summary":"slow"},"startsAt":"2026-11-24T10:00:00Z","endsAt":"2026-11-24T11:00:00Z","generatorURL":"http://prom/graph"},
      {"labels":{"alertname":"HighLatency","severity":"critical","instance":"b"},"startsAt":"2026-11-24T10:00:00Z","endsAt":"2026-11-24T11:00:00Z"},
      {"labels":{"alertname":"HighLatency","severity":"critical","instance":"c"},"startsAt":"2026-11-24T10:00:00Z","endsAt":"2026-11-24T11:00:00Z"},
      {"labels":{"alertname":"Down"},"startsAt":"2026-11-24T10:00:00Z","endsAt":"2026-11-24T11:00:00Z"}
    ]"#;
    assert_eq!(
        post_json(&format!("{am}/api/v2/alerts"), alerts),
        (200, String::new())
    );
    // Nothing is sent before group_wait: once the dispatcher holds both
    // groups, no notification can go out until the manual clock moves.
    let t = std::time::Instant::now();
    while !common::get(&format!("{am}/metrics"))
        .1
        .contains("alertmanager_dispatcher_aggregation_groups 2\n")
    {
        assert!(t.elapsed() < Duration::from_secs(10), "groups never formed");
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(rx.try_recv().is_err(), "sent before group_wait");
    assert!(
        !common::get(&format!("{am}/metrics"))
            .1
            .contains("alertmanager_notifications_total{integration=\"webhook\"} 1"),
        "counted a notification before group_wait"
    );
    advance(&op, "30s");
    let m = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("webhook after group_wait");
    let keys: Vec<&str> = m.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = vec![
        "alerts",
        "commonAnnotations",
        "commonLabels",
        "externalURL",
        "groupKey",
        "groupLabels",
        "receiver",
        "status",
        "truncatedAlerts",
        "version",
    ];
    want.sort();
    let mut got = keys.clone();
    got.sort();
    assert_eq!(got, want);
    assert_eq!(m["receiver"], "web\\.hook");
    assert_eq!(m["groupKey"], "{}:{alertname=\"HighLatency\"}");
    assert_eq!(m["version"], "4");
    // Regression (issue 16.6): the external URL carries the port actually
    // bound, not `:0` from `--listen alertmanager=127.0.0.1:0`.
    let port = op.ports["alertmanager"].rsplit_once(':').unwrap().1;
    assert_eq!(m["externalURL"], format!("http://localhost:{port}"));
    assert_eq!(m["status"], "firing");
    assert_eq!(m["truncatedAlerts"], 1, "max_alerts: 2");
    assert_eq!(m["alerts"].as_array().unwrap().len(), 2);
    assert_eq!(m["alerts"][0]["labels"]["instance"], "a");
    assert_eq!(m["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
    assert_eq!(
        m["groupLabels"],
        serde_json::json!({"alertname": "HighLatency"})
    );
    assert_eq!(m["commonLabels"]["severity"], "critical");

    // The unreachable webhook is retried, then counted; the good one was not held up.
    // Retry backoff sleeps on the (manual) clock: step it past a few backoffs,
    // then past the flush's deadline.
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(200));
        advance(&op, "2s");
    }
    std::thread::sleep(Duration::from_millis(200));
    advance(&op, "10m");
    let t = Instant::now();
    loop {
        let (_, metrics) = get(&format!("{}/metrics", op.url("prometheus")));
        if metrics.contains("alertmanager_notifications_failed_total{integration=\"webhook\"} 1\n")
        {
            let (_, reqs) = get(&format!("{am}/metrics"));
            let failed_attempts: u64 = reqs
                .lines()
                .find_map(|l| {
                    l.strip_prefix(
                        "alertmanager_notification_requests_failed_total{integration=\"webhook\"} ",
                    )
                })
                .unwrap()
                .parse()
                .unwrap();
            assert!(failed_attempts >= 2, "retried: {failed_attempts}");
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "no failure counted:\n{metrics}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (code, body) = get(&format!(
        "{am}/outpost/v1/notifications?receiver=down&status=failed"
    ));
    assert_eq!(code, 200);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1, "{body}");

    // The API sees the alerts and their receivers.
    let (_, body) = get(&format!("{am}/api/v2/alerts?filter=alertname%3D%22Down%22"));
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v[0]["receivers"][0]["name"], "down");
    assert_eq!(v[0]["fingerprint"].as_str().unwrap().len(), 16);
}

#[test]
fn bad_alerts_and_silences_get_alertmanagers_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "http://127.0.0.1:1/");
    let op = start(&cfg, &[]);
    let am = op.url("alertmanager");
    let (code, body) = post_json(
        &format!("{am}/api/v2/alerts"),
        r#"[{"labels":{"a":"1"},"startsAt":"2026-11-24T10:00:00Z","endsAt":"2026-11-24T09:00:00Z"},{"labels":{"a":""}}]"#,
    );
    assert_eq!(
        (code, body.as_str()),
        (
            400,
            r#""start time must be before end time; at least one label pair required""#
        )
    );
    let (code, body) = post_json(&format!("{am}/api/v2/alerts"), r#"[{"annotations":{}}]"#);
    assert_eq!(
        (code, body.as_str()),
        (
            422,
            r#"{"code":602,"message":"0.labels in body is required"}"#
        )
    );
    let (code, body) = get(&format!("{am}/api/v2/alerts?filter=%7Balertname"));
    assert_eq!(code, 400, "{body}");
    let (code, body) = post_json(
        &format!("{am}/api/v2/silences"),
        r#"{"matchers":[{"name":"a","value":"(","isRegex":true}],"startsAt":"2026-11-24T10:00:00Z","endsAt":"2026-11-24T11:00:00Z","createdBy":"t","comment":"c"}"#,
    );
    assert_eq!(code, 400);
    assert!(body.contains("invalid label matcher 0"), "{body}");
}

#[test]
fn silences_survive_a_restart_with_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let cfg = write_config(dir.path(), "http://127.0.0.1:1/");
    let data_arg = data.to_str().unwrap().to_string();
    let mut op = start(&cfg, &["--data-dir", &data_arg]);
    let (code, body) = post_json(
        &format!("{}/api/v2/silences", op.url("alertmanager")),
        r#"{"matchers":[{"name":"alertname","value":"X","isRegex":false}],"startsAt":"2026-11-24T10:00:00Z","endsAt":"2026-11-24T12:00:00Z","createdBy":"t","comment":"keep me"}"#,
    );
    assert_eq!(code, 200, "{body}");
    let id = serde_json::from_str::<Value>(&body).unwrap()["silenceID"]
        .as_str()
        .unwrap()
        .to_string();
    op.signal("TERM");
    let (status, _) = op.wait_exit(Duration::from_secs(10));
    assert!(status.success());
    let op = start(&cfg, &["--data-dir", &data_arg]);
    let (code, body) = get(&format!("{}/api/v2/silence/{id}", op.url("alertmanager")));
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("keep me"), "{body}");
}

#[test]
fn check_routes_prints_receivers() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "http://127.0.0.1:1/");
    let out = std::process::Command::new(bin())
        .args([
            "check",
            "routes",
            "--config",
            cfg.to_str().unwrap(),
            "alertname=Down",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "down\n");
    let out = std::process::Command::new(bin())
        .args([
            "check",
            "routes",
            "--config",
            cfg.to_str().unwrap(),
            "--tree",
            "alertname=Other",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text,
        "Matching routes:\n.\n└── default-route  receiver: web.hook\n\n\nweb.hook\n"
    );
}

#[test]
fn ecommerce_receivers_are_rendered_into_the_outbox() {
    let dir = common::ecommerce_copy();
    let op = Outpost::start(&[
        dir.path().to_str().unwrap(),
        "--clock",
        "manual",
        "--clock.start",
        "2026-11-24T10:00:00Z",
    ]);
    let am = op.url("alertmanager");
    let alerts = r#"[
      {"labels":{"alertname":"PaymentServiceDown","severity":"critical","service":"payment-service"},"annotations":{"summary":"down","description":"payments fail"},"startsAt":"2026-11-24T10:00:00Z","endsAt":"2026-11-24T11:00:00Z"},
      {"labels":{"alertname":"PaymentServiceDown","severity":"warning","service":"payment-service","cluster":"eu"},"startsAt":"2026-11-24T10:00:00Z","endsAt":"2026-11-24T11:00:00Z"}
    ]"#;
    assert_eq!(post_json(&format!("{am}/api/v2/alerts"), alerts).0, 200);
    advance(&op, "5s");
    let t = Instant::now();
    let list = loop {
        let (_, body) = get(&format!("{am}/outpost/v1/notifications"));
        let v: Value = serde_json::from_str(&body).unwrap();
        if v.as_array().unwrap().len() >= 2 {
            break v;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "{body}");
        std::thread::sleep(Duration::from_millis(50));
    };
    let find = |r: &str, i: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|n| n["receiver"] == r && n["integration"] == i)
            .unwrap_or_else(|| panic!("no {r}/{i} in {list}"))
            .clone()
    };
    let email = find("critical-alerts", "email");
    assert_eq!(email["status"], "rendered");
    assert_eq!(
        email["message"]["headers"]["Subject"],
        "CRITICAL: PaymentServiceDown"
    );
    let text = email["message"]["text"].as_str().unwrap();
    assert!(text.contains("Alert: down"), "{text}");
    assert!(text.contains("Description: payments fail"), "{text}");
    assert!(
        text.contains(
            "Labels: alertname=PaymentServiceDown service=payment-service severity=critical"
        ),
        "{text}"
    );
    let slack = find("critical-alerts", "slack");
    assert_eq!(
        slack["message"]["attachments"][0]["title"],
        "Critical Alert: PaymentServiceDown"
    );
    assert_eq!(slack["message"]["attachments"][0]["text"], "payments fail");
    assert_eq!(slack["message"]["channel"], "#critical-alerts");
    // The warning has a cluster label the critical alert lacks, so the
    // inhibit rule's `equal` fails: it reaches payment-team after its 1s
    // group_wait, with the PagerDuty description of the config.
    advance(&op, "1s");
    let t = Instant::now();
    loop {
        let (_, body) = get(&format!(
            "{am}/outpost/v1/notifications?receiver=payment-team&integration=pagerduty"
        ));
        let v: Value = serde_json::from_str(&body).unwrap();
        if let Some(pd) = v.as_array().unwrap().first() {
            assert_eq!(
                pd["message"]["payload"]["summary"],
                "Payment Service Alert: PaymentServiceDown"
            );
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "{body}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn rule_alerts_reach_the_embedded_alertmanager_and_its_webhook() {
    let dir = tempfile::tempdir().unwrap();
    let (hook, rx) = webhook_receiver();
    let am_cfg = dir.path().join("alertmanager.yml");
    std::fs::write(
        &am_cfg,
        format!(
            "route:\n  receiver: hook\n  group_by: [alertname]\n  group_wait: 10s\nreceivers:\n  - name: hook\n    webhook_configs: [{{url: '{hook}'}}]\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("rules.yml"),
        "groups:\n  - name: g\n    interval: 5s\n    rules:\n      - alert: EmbeddedAlways\n        expr: vector(1)\n        labels: {severity: page}\n",
    )
    .unwrap();
    let prom = dir.path().join("prometheus.yml");
    std::fs::write(
        &prom,
        "global: {evaluation_interval: 5s}\nrule_files: [rules.yml]\nalerting:\n  alertmanagers:\n    - static_configs: [{targets: ['alertmanager:9093']}]\n",
    )
    .unwrap();
    let op = Outpost::start(&[
        "--prometheus.config",
        prom.to_str().unwrap(),
        "--alertmanager.config",
        am_cfg.to_str().unwrap(),
        "--clock",
        "manual",
        "--clock.start",
        "2026-11-24T10:00:00Z",
    ]);
    let am = op.url("alertmanager");
    let t = Instant::now();
    loop {
        advance(&op, "5s");
        let (_, body) = get(&format!("{am}/api/v2/alerts"));
        if body.contains("EmbeddedAlways") {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "rule alert never arrived: {body}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    advance(&op, "10s");
    let m = rx.recv_timeout(Duration::from_secs(10)).expect("webhook");
    assert_eq!(m["alerts"][0]["labels"]["alertname"], "EmbeddedAlways");
    assert_eq!(m["alerts"][0]["labels"]["severity"], "page");
}
