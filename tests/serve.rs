//! `outpost serve` as a black box: readiness, health on every listener, self
//! metrics, the manual clock, reload with good and bad configs, graceful shutdown.

mod common;

use std::io::Read;
use std::net::TcpStream;
use std::time::Duration;

use common::{LISTENERS, Outpost, ecommerce_copy, edit, get, post};

#[test]
fn ready_with_every_listener_healthy() {
    let op = Outpost::start(&[]);
    assert_eq!(op.ports.len(), LISTENERS.len(), "{:?}", op.ports);
    for name in LISTENERS {
        if *name == "beats" {
            // Raw TCP: the port is held; connections are accepted and closed.
            let mut s = TcpStream::connect(&op.ports["beats"]).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            let mut buf = [0u8; 1];
            assert_eq!(s.read(&mut buf).unwrap_or(0), 0);
            continue;
        }
        let (code, _) = get(&format!("{}/-/healthy", op.url(name)));
        assert_eq!(code, 200, "{name} healthy");
        let (code, _) = get(&format!("{}/-/ready", op.url(name)));
        assert_eq!(code, 200, "{name} ready");
    }
    assert_eq!(
        get(&format!("{}/-/ready", op.url("prometheus"))).1,
        "Prometheus Server is Ready.\n"
    );
    eprintln!("ready after {:?}", op.ready_after);
}

#[test]
fn self_metrics_in_text_format() {
    let op = Outpost::start(&[]);
    get(&format!("{}/-/healthy", op.url("alertmanager")));
    let r = common::http()
        .get(format!("{}/metrics", op.url("prometheus")))
        .send()
        .unwrap();
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let body = r.text().unwrap();
    assert!(body.contains("outpost_build_info{version=\""), "{body}");
    assert!(
        body.contains("# TYPE outpost_uptime_seconds gauge"),
        "{body}"
    );
    assert!(
        body.contains("outpost_http_requests_total{listener=\"alertmanager\",code=\"200\"} 1"),
        "{body}"
    );
    assert!(
        body.contains("outpost_config_last_reload_successful 1"),
        "{body}"
    );
}

#[test]
fn listeners_can_be_disabled_and_bind_conflicts_fail() {
    let op = Outpost::start(&["--listen", "beats=off", "--listen", "zipkin=off"]);
    assert!(!op.ports.contains_key("beats") && !op.ports.contains_key("zipkin"));
    let taken = op.ports["prometheus"].clone();
    let err = match Outpost::try_start(&["--listen", &format!("prometheus={taken}")]) {
        Err(e) => e,
        Ok(_) => panic!("second outpost bound a taken port"),
    };
    assert!(
        err.contains(&format!("listener prometheus: cannot bind {taken}")),
        "{err}"
    );
}

#[test]
fn manual_clock_moves_only_through_the_api() {
    let op = Outpost::start(&["--clock", "manual", "--clock.start", "2026-01-01T00:00:00Z"]);
    let base = op.url("prometheus");
    let (_, body) = get(&format!("{base}/outpost/v1/clock"));
    assert!(body.contains("\"time\":\"2026-01-01T00:00:00Z\""), "{body}");
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        get(&format!("{base}/outpost/v1/clock")).1,
        body,
        "manual time must stand still"
    );
    let (code, body) = post(&format!("{base}/outpost/v1/clock/advance?by=90s"));
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"time\":\"2026-01-01T00:01:30Z\""), "{body}");
    let (code, body) = post(&format!(
        "{base}/outpost/v1/clock/set?time=2026-01-01T05:00:00Z"
    ));
    assert_eq!(code, 200, "{body}");
    assert!(
        get(&format!("{base}/outpost/v1/clock"))
            .1
            .contains("\"mode\":\"manual\",\"time\":\"2026-01-01T05:00:00Z\"")
    );
}

#[test]
fn reload_keeps_old_config_when_new_one_is_invalid() {
    let dir = ecommerce_copy();
    let dir_arg = dir.path().to_str().unwrap().to_string();
    // Auto-reload off: this test counts the reloads it triggers itself.
    let op = Outpost::start(&[
        &dir_arg,
        "--web.enable-lifecycle",
        "--config.auto-reload-interval",
        "0s",
    ]);
    let base = op.url("prometheus");
    assert_eq!(post(&format!("{base}/-/reload")).0, 200);

    let am = dir.path().join("alertmanager/alertmanager.yml");
    edit(
        &am,
        "        headers:\n          Subject: 'CRITICAL",
        "        subject: 'x'\n        headers:\n          Subject: 'CRITICAL",
    );
    let (code, body) = post(&format!("{base}/-/reload"));
    assert_eq!(code, 500, "{body}");
    assert!(body.starts_with("failed to reload config: "), "{body}");
    assert!(
        body.contains(&format!(
            "{}:41:9: field receivers.email_configs.subject",
            am.display()
        )),
        "{body}"
    );
    let (code, body) = post(&format!("{}/-/reload", op.url("alertmanager")));
    assert_eq!(code, 500, "alertmanager listener reloads too: {body}");

    // Still serving, and the failure is visible in the metrics.
    let metrics = get(&format!("{base}/metrics")).1;
    assert!(
        metrics.contains("outpost_config_last_reload_successful 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains("outpost_config_reloads_total{result=\"failure\"} 2"),
        "{metrics}"
    );

    // SIGHUP takes the same path.
    op.signal("HUP");
    wait_for_metric(&base, "outpost_config_reloads_total{result=\"failure\"} 3");

    edit(&am, "        subject: 'x'\n", "");
    op.signal("HUP");
    wait_for_metric(&base, "outpost_config_last_reload_successful 1");
    assert_eq!(post(&format!("{base}/-/reload")).0, 200);
}

fn wait_for_metric(base: &str, line: &str) {
    for _ in 0..1000 {
        if get(&format!("{base}/metrics")).1.contains(line) {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("metric {line:?} never appeared");
}

#[test]
fn sigterm_and_sigint_shut_down_gracefully_within_two_seconds() {
    for sig in ["TERM", "INT"] {
        let mut op = Outpost::start(&[]);
        // An idle keep-alive connection must not hold the shutdown up.
        let client = common::http();
        assert_eq!(
            client
                .get(format!("{}/-/healthy", op.url("prometheus")))
                .send()
                .unwrap()
                .status(),
            200
        );
        op.signal(sig);
        let (status, took) = op.wait_exit(Duration::from_secs(5));
        assert!(status.success(), "SIG{sig}: {status}\n{}", op.stderr());
        assert!(took < Duration::from_secs(2), "SIG{sig} took {took:?}");
        drop(client);
    }
}

#[test]
fn invalid_config_at_start_exits_1_with_the_position() {
    let dir = ecommerce_copy();
    let prom = dir.path().join("prometheus/prometheus.yml");
    edit(&prom, "scrape_interval: 15s", "scrape_interval: fast");
    let err = match Outpost::try_start(&["--prometheus.config", prom.to_str().unwrap()]) {
        Err(e) => e,
        Ok(_) => panic!("started with an invalid config"),
    };
    assert!(err.contains("exited with exit status: 1"), "{err}");
    assert!(
        err.contains(&format!(
            "{}:2:20: field global.scrape_interval: not a valid duration string",
            prom.display()
        )),
        "{err}"
    );
}

#[test]
fn single_files_load_without_a_directory() {
    let dir = ecommerce_copy();
    let am = dir.path().join("alertmanager/alertmanager.yml");
    let op = Outpost::start(&["--alertmanager.config", am.to_str().unwrap()]);
    assert_eq!(get(&format!("{}/-/ready", op.url("alertmanager"))).0, 200);
}

#[test]
fn lifecycle_endpoints_need_web_enable_lifecycle_as_in_prometheus() {
    let op = Outpost::start(&[]);
    let base = op.url("prometheus");
    for path in ["/-/reload", "/-/quit"] {
        assert_eq!(
            post(&format!("{base}{path}")),
            (403, "Lifecycle API is not enabled.".to_string()),
            "{path}"
        );
    }
    // Alertmanager's reload has no such gate upstream.
    assert_eq!(post(&format!("{}/-/reload", op.url("alertmanager"))).0, 200);
    drop(op);

    let mut op = Outpost::start(&["--web.enable-lifecycle"]);
    let (code, body) = post(&format!("{}/-/quit", op.url("prometheus")));
    assert_eq!(
        (code, body.as_str()),
        (200, "Requesting termination... Goodbye!")
    );
    let (status, took) = op.wait_exit(Duration::from_secs(5));
    assert!(status.success(), "{status}\n{}", op.stderr());
    assert!(took < Duration::from_secs(2), "/-/quit took {took:?}");
}

#[test]
fn edited_rule_file_is_picked_up_by_auto_reload() {
    let dir = ecommerce_copy();
    let op = Outpost::start(&[
        dir.path().to_str().unwrap(),
        "--config.auto-reload-interval",
        "100ms",
    ]);
    let base = op.url("prometheus");
    let rules_dir = dir.path().join("prometheus/alert-rules");
    let file = std::fs::read_dir(&rules_dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "yml"))
        .unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text.replacen(
        "rules:\n",
        "rules:\n      - record: outpost:auto_reload_probe\n        expr: vector(1)\n",
        1,
    );
    assert_ne!(edited, text, "{}", file.display());
    std::fs::write(&file, edited).unwrap();
    wait_for_metric(&base, "outpost_config_reloads_total{result=\"success\"} 1");
    let (_, rules) = get(&format!("{base}/api/v1/rules?type=record"));
    assert!(rules.contains("outpost:auto_reload_probe"), "{rules}");

    // An invalid edit is rejected like any reload; the running rules stay.
    std::fs::write(&file, "groups: [[[").unwrap();
    wait_for_metric(&base, "outpost_config_reloads_total{result=\"failure\"} 1");
    let (_, rules) = get(&format!("{base}/api/v1/rules?type=record"));
    assert!(rules.contains("outpost:auto_reload_probe"), "{rules}");
}

#[test]
fn outpost_endpoints_answer_on_every_http_listener() {
    let op = Outpost::start(&["--clock", "manual", "--clock.start", "2026-01-01T00:00:00Z"]);
    for name in LISTENERS {
        if *name == "beats" || *name == "otlp-grpc" || *name == "jaeger-collector-grpc" {
            continue;
        }
        let (code, body) = get(&format!("{}/outpost/v1/clock", op.url(name)));
        assert_eq!(code, 200, "{name}: {body}");
        assert!(body.contains("2026-01-01T00:00:00Z"), "{name}: {body}");
        let (code, body) = get(&format!("{}/outpost/v1/notifications", op.url(name)));
        assert_eq!((code, body.as_str()), (200, "[]"), "{name}");
    }
}

#[test]
fn help_describes_each_flag_under_its_own_name() {
    let out = std::process::Command::new(common::bin())
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    let after = |flag: &str| {
        let i = help
            .find(flag)
            .unwrap_or_else(|| panic!("{flag} missing:\n{help}"));
        help[i..].lines().take(3).collect::<Vec<_>>().join(" ")
    };
    assert!(after("--web.external-url").contains("reachable"), "{help}");
    assert!(!after("--web.external-url").contains("Log level"), "{help}");
    assert!(after("--log.level").contains("Log level"), "{help}");
}
