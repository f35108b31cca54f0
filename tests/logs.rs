//! The logs row end to end against the real binary: `_bulk` then `_search`
//! on the Elasticsearch listener, read-after-write with `refresh=wait_for`
//! and without a refresh (visible within the 1 s refresh interval), gzip
//! bodies, security as the seed's `elasticsearch.yml` sets it (401 without
//! users, basic auth with `--elasticsearch.users`), `outpost check`'s
//! warning about HTTP TLS, and the store's figures on `/metrics`.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{Outpost, assert_metrics, bin, ecommerce_copy, edit, http, line_of, repo};
use serde_json::{Value, json};

/// A copy of the e-commerce stack with Elasticsearch security turned off.
fn open_stack() -> tempfile::TempDir {
    let dir = ecommerce_copy();
    edit(
        &dir.path().join("elasticsearch/elasticsearch.yml"),
        "xpack.security.enabled: true",
        "xpack.security.enabled: false",
    );
    dir
}

fn ndjson(lines: &[Value]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn post_ndjson(url: &str, body: String) -> (u16, Value) {
    let r = http()
        .post(url)
        .header("Content-Type", "application/x-ndjson")
        .body(body)
        .send()
        .unwrap();
    assert_eq!(r.headers()["x-elastic-product"], "Elasticsearch");
    (r.status().as_u16(), r.json().unwrap())
}

fn count(es: &str, q: &str) -> u64 {
    let r = http()
        .get(format!("{es}/logs-*/_count?q={q}"))
        .send()
        .unwrap();
    let v: Value = r.json().unwrap();
    v["count"].as_u64().unwrap_or_else(|| panic!("{v}"))
}

#[test]
fn bulk_then_search_reads_its_writes() {
    let dir = open_stack();
    let op = Outpost::start(&[dir.path().to_str().unwrap()]);
    let es = op.url("elasticsearch");

    let (code, root) = {
        let r = http().get(format!("{es}/")).send().unwrap();
        assert_eq!(r.headers()["x-elastic-product"], "Elasticsearch");
        (r.status().as_u16(), r.json::<Value>().unwrap())
    };
    assert_eq!(code, 200);
    assert_eq!(root["cluster_name"], "ecommerce-logs");
    assert_eq!(root["version"]["number"], "8.15.0");

    // refresh=wait_for: searchable when the write returns.
    let (code, resp) = post_ndjson(
        &format!("{es}/_bulk?refresh=wait_for"),
        ndjson(&[
            json!({"index": {"_index": "logs-2026.01.01", "_id": "1"}}),
            json!({"@timestamp": "2026-01-01T10:00:00Z", "message": "checkout failed", "level": "error"}),
            json!({"create": {"_index": "logs-2026.01.01", "_id": "2"}}),
            json!({"@timestamp": "2026-01-01T10:00:01Z", "message": "checkout ok", "level": "info"}),
        ]),
    );
    assert_eq!(code, 200);
    assert_eq!(resp["errors"], false, "{resp}");
    assert_eq!(count(&es, "message:checkout"), 2);
    let r: Value = http()
        .post(format!("{es}/logs-*/_search"))
        .json(&json!({"query": {"match": {"level": "error"}}}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(r["hits"]["total"]["value"], 1, "{r}");
    assert_eq!(r["hits"]["hits"][0]["_id"], "1");
    assert_eq!(
        r["hits"]["hits"][0]["_source"]["message"],
        "checkout failed"
    );

    // Without a refresh: visible within the refresh interval (1 s of clock time).
    let written = Instant::now();
    let (code, resp) = post_ndjson(
        &format!("{es}/_bulk"),
        ndjson(&[
            json!({"index": {"_index": "logs-2026.01.01"}}),
            json!({"@timestamp": "2026-01-01T10:00:02Z", "message": "late arrival", "level": "warn"}),
        ]),
    );
    assert_eq!((code, &resp["errors"]), (200, &json!(false)), "{resp}");
    let mut seen = None;
    while written.elapsed() < Duration::from_secs(3) {
        if count(&es, "message:late") == 1 {
            seen = Some(written.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let seen = seen.expect("an unrefreshed write never became visible");
    eprintln!("read-after-write without refresh: visible after {seen:?}");
    assert!(
        seen <= Duration::from_millis(1300),
        "visible after {seen:?}"
    );

    // A gzip body, with Beats' filter_path.
    let body = ndjson(&[
        json!({"create": {"_index": "logs-2026.01.01", "_id": "gz"}}),
        json!({"message": "compressed", "level": "info"}),
    ]);
    let gz = {
        use std::io::Write as _;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(body.as_bytes()).unwrap();
        enc.finish().unwrap()
    };
    let r = http()
        .post(format!(
            "{es}/_bulk?refresh=true&filter_path=errors,items.*.error,items.*.status"
        ))
        .header("Content-Type", "application/json; charset=UTF-8")
        .header("Content-Encoding", "gzip")
        .body(gz)
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().unwrap();
    assert_eq!(
        v,
        json!({"errors": false, "items": [{"create": {"status": 201}}]})
    );

    assert_metrics(
        &op,
        &[
            "outpost_logs_docs 4",
            "outpost_logs_indices 1",
            "outpost_logs_max_bytes 1073741824",
            "outpost_logs_evicted_indices_total 0",
            "outpost_es_requests_rejected_total{reason=\"unauthorized\"} 0",
        ],
    );
}

#[test]
fn the_seeds_security_needs_basic_auth() {
    // The embedded stack sets xpack.security.enabled: true; no users configured: as ES 8 on its
    // first start, a generated password for `elastic` (in a private file, never in the log).
    let op = Outpost::start(&[]);
    let es = op.url("elasticsearch");
    let r = http().get(format!("{es}/")).send().unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["x-elastic-product"], "Elasticsearch");
    assert_eq!(
        r.headers()["www-authenticate"],
        "Basic realm=\"security\", charset=\"UTF-8\""
    );
    let v: Value = r.json().unwrap();
    assert_eq!(v["error"]["type"], "security_exception");
    assert_eq!(
        v["error"]["reason"],
        "missing authentication credentials for REST request [/]"
    );
    assert_metrics(
        &op,
        &["outpost_es_requests_rejected_total{reason=\"unauthorized\"} 1"],
    );
    let pw_file = op.dir().join("elastic-password");
    let pw = std::fs::read_to_string(&pw_file).unwrap();
    let pw = pw.trim();
    assert_eq!(pw.len(), 20);
    let r = http()
        .get(format!("{es}/"))
        .basic_auth("elastic", Some(pw))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        op.stderr()
            .contains("generated a password for user elastic"),
        "{}",
        op.stderr()
    );
    assert!(!op.stderr().contains(pw), "{}", op.stderr());
    drop(op);

    let users = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(users.path(), "# users\nlogstash_writer:s3cret\n").unwrap();
    let op = Outpost::start(&["--elasticsearch.users", users.path().to_str().unwrap()]);
    let es = op.url("elasticsearch");
    let r = http()
        .get(format!("{es}/_security/_authenticate"))
        .basic_auth("logstash_writer", Some("s3cret"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap()["username"], "logstash_writer");
    let r = http()
        .get(format!("{es}/"))
        .basic_auth("logstash_writer", Some("wrong"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().unwrap()["error"]["reason"],
        "unable to authenticate user [logstash_writer] for REST request [/]"
    );
    assert!(!op.stderr().contains("s3cret"), "{}", op.stderr());
}

/// `ELASTIC_PASSWORD` logs `elastic` in, as the seed's Logstash output sends
/// `${ELASTICSEARCH_PASSWORD}` (the binary started by hand to give it the variable).
#[test]
fn elastic_password_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let ports = dir.path().join("ports.json");
    let mut cmd = Command::new(bin());
    for l in common::LISTENERS {
        cmd.arg("--listen").arg(format!("{l}=127.0.0.1:0"));
    }
    let mut child = cmd
        .arg("--ports-file")
        .arg(&ports)
        .env("ELASTIC_PASSWORD", "from-env")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let text = loop {
        if let Ok(t) = std::fs::read_to_string(&ports) {
            break t;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no ports file");
        std::thread::sleep(Duration::from_millis(10));
    };
    let addrs: Value = serde_json::from_str(&text).unwrap();
    let es = format!("http://{}", addrs["elasticsearch"].as_str().unwrap());
    let ok = http()
        .get(format!("{es}/_security/_authenticate"))
        .basic_auth("elastic", Some("from-env"))
        .send()
        .unwrap();
    let bad = http()
        .get(format!("{es}/"))
        .basic_auth("elastic", Some("nope"))
        .send()
        .unwrap()
        .status();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(ok.status(), 200);
    let me: Value = ok.json().unwrap();
    assert_eq!(me["username"], "elastic");
    assert_eq!(me["authentication_realm"]["type"], "reserved");
    assert_eq!(bad, 401);
}

#[test]
fn logs_max_bytes_zero_is_refused() {
    let err = Outpost::try_start(&["--logs.max-bytes", "0"])
        .err()
        .unwrap();
    assert!(err.contains("--logs.max-bytes must be at least 1"), "{err}");
}

#[test]
fn check_warns_that_http_tls_is_served_as_plain_http() {
    let out = Command::new(bin()).arg("check").output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    let line = line_of(
        &repo().join("fixtures/ecommerce/elasticsearch/elasticsearch.yml"),
        "xpack.security.http.ssl.enabled: true",
    );
    let want = format!(
        "WARNING: <embedded>/elasticsearch/elasticsearch.yml:{line}:1: xpack.security.http.ssl.enabled is true: outpost serves plain http on the elasticsearch listener unless started with --elasticsearch.tls"
    );
    assert!(text.contains(&want), "{want:?} not in\n{text}");
    assert!(
        text.contains("SUCCESS: cluster \"ecommerce-logs\", security on (basic auth)"),
        "{text}"
    );
}

/// `--data-dir`: indices live on disk and come back after a restart, including writes that were
/// not refreshed when the process was stopped (the shutdown refreshes them).
#[test]
fn data_dir_keeps_indices_across_a_restart() {
    let dir = open_stack();
    let data = tempfile::tempdir().unwrap();
    let args = [
        dir.path().to_str().unwrap(),
        "--data-dir",
        data.path().to_str().unwrap(),
    ];
    let mut op = Outpost::start(&args);
    let es = op.url("elasticsearch");
    let (code, _) = post_ndjson(
        &format!("{es}/_bulk"),
        ndjson(&[
            json!({"index": {"_index": "logs-keep", "_id": "a"}}),
            json!({"message": "kept across restarts", "level": "warn"}),
        ]),
    );
    assert_eq!(code, 200);
    op.signal("TERM");
    let (status, _) = op.wait_exit(Duration::from_secs(10));
    assert!(status.success(), "{}", op.stderr());
    assert!(data.path().join("logs/logs-keep").is_dir());

    let op = Outpost::start(&args);
    let es = op.url("elasticsearch");
    assert_eq!(count(&es, "message:restarts"), 1);
    let r = http().get(format!("{es}/logs-keep/_doc/a")).send().unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().unwrap()["_source"]["level"], "warn");
}
