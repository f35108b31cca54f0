//! Router tests of the Elasticsearch family through `oneshot`: the scenario
//! files in `tests/scenarios/es/*.yaml`, each run in order against a fresh
//! store (request → status, headers, body or JSON values), plus the checks
//! every response shares (product header, compatibility content type).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use http_body_util::BodyExt;
use outpost_clock::Clock;
use outpost_config::Secret;
use outpost_logs::{LogStore, StoreOptions};
use serde::Deserialize;
use serde_json::Value;
use tower::ServiceExt;

use super::*;

/// 2026-01-01T00:00:00Z, the clock of every scenario.
const NOW_MS: i64 = 1_767_225_600_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    #[allow(dead_code)] // documentation of the file
    description: String,
    /// Users (`user:password`); security is on when present.
    #[serde(default)]
    users: Option<Vec<String>>,
    /// `cluster.name`.
    #[serde(default)]
    cluster_name: Option<String>,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    /// `METHOD /path?query`.
    request: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    /// A JSON body (sent as `application/json` unless a content type is given).
    #[serde(default)]
    json: Option<Value>,
    /// NDJSON lines, each a JSON value (or a raw string line).
    #[serde(default)]
    ndjson: Option<Vec<Value>>,
    /// A raw body.
    #[serde(default)]
    body: Option<String>,
    /// Gzip the body and say so.
    #[serde(default)]
    gzip: bool,
    status: u16,
    #[serde(default)]
    content_type: Option<String>,
    /// Response headers that must be there with these values.
    #[serde(default)]
    response_headers: BTreeMap<String, String>,
    /// The exact body text.
    #[serde(default)]
    text: Option<String>,
    /// The whole JSON body.
    #[serde(default)]
    expect: Option<Value>,
    /// JSON pointer → value.
    #[serde(default)]
    values: Vec<(String, Value)>,
    /// JSON pointer → array length.
    #[serde(default)]
    lengths: Vec<(String, usize)>,
    /// JSON pointers that must be absent.
    #[serde(default)]
    absent: Vec<String>,
}

fn state(users: Option<&[String]>, cluster: Option<&str>) -> EsState {
    let store = Arc::new(LogStore::new(
        StoreOptions::default(),
        Clock::manual(NOW_MS),
    ));
    let auth = match users {
        None => EsAuth::open(),
        Some(list) => EsAuth::basic(
            list.iter()
                .filter_map(|l| l.split_once(':'))
                .map(|(u, p)| (u.to_string(), Secret::new(p)))
                .collect(),
            None,
        ),
    };
    EsState::new(store, cluster.unwrap_or("outpost"), auth)
}

fn gzip(b: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(b).unwrap();
    enc.finish().unwrap()
}

/// Sends one request: status, headers, body text.
pub(crate) async fn send(
    r: &Router,
    method: &str,
    uri: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (u16, axum::http::HeaderMap, String) {
    let mut b = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let resp = r
        .clone()
        .oneshot(b.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let h = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, h, String::from_utf8_lossy(&bytes).into_owned())
}

async fn run_case(r: &Router, file: &str, c: &Case) -> Result<(), String> {
    let (method, uri) = c
        .request
        .split_once(' ')
        .ok_or_else(|| format!("{file}: {}: request must be METHOD PATH", c.name))?;
    let mut headers: Vec<(String, String)> = c
        .headers
        .iter()
        .map(|(k, v)| (k.to_lowercase(), v.clone()))
        .collect();
    let mut body: Vec<u8> = Vec::new();
    let mut default_ct = None;
    if let Some(j) = &c.json {
        body = serde_json::to_vec(j).unwrap();
        default_ct = Some("application/json");
    } else if let Some(lines) = &c.ndjson {
        for l in lines {
            match l {
                Value::String(s) => body.extend_from_slice(s.as_bytes()),
                other => body.extend_from_slice(other.to_string().as_bytes()),
            }
            body.push(b'\n');
        }
        default_ct = Some("application/x-ndjson");
    } else if let Some(b) = &c.body {
        body = b.as_bytes().to_vec();
    }
    if let Some(ct) = default_ct
        && !headers.iter().any(|(k, _)| k == "content-type")
    {
        headers.push(("content-type".into(), ct.into()));
    }
    if c.gzip {
        body = gzip(&body);
        headers.push(("content-encoding".into(), "gzip".into()));
    }
    let hs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (status, h, text) = send(r, method, uri, &hs, body).await;
    let at = format!("{file}: {} ({})", c.name, c.request);
    if h.get("x-elastic-product").and_then(|v| v.to_str().ok()) != Some("Elasticsearch") {
        return Err(format!("{at}: no X-Elastic-Product header"));
    }
    if status != c.status {
        return Err(format!(
            "{at}: status {status}, want {}; body {text}",
            c.status
        ));
    }
    let ct = h
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Some(want) = &c.content_type
        && ct != want
    {
        return Err(format!("{at}: content type {ct:?}, want {want:?}"));
    }
    for (k, want) in &c.response_headers {
        let got = h.get(k.as_str()).and_then(|v| v.to_str().ok());
        if got != Some(want.as_str()) {
            return Err(format!("{at}: header {k} = {got:?}, want {want:?}"));
        }
    }
    if let Some(want) = &c.text
        && &text != want
    {
        return Err(format!("{at}: body\n  {text:?}\nwant\n  {want:?}"));
    }
    if c.expect.is_none() && c.values.is_empty() && c.lengths.is_empty() && c.absent.is_empty() {
        return Ok(());
    }
    let v: Value =
        serde_json::from_str(&text).map_err(|e| format!("{at}: not JSON ({e}): {text}"))?;
    if let Some(want) = &c.expect
        && &v != want
    {
        return Err(format!("{at}: JSON\n  {v}\nwant\n  {want}"));
    }
    for (ptr, want) in &c.values {
        let got = v.pointer(ptr);
        if got != Some(want) {
            return Err(format!("{at}: {ptr} = {got:?}, want {want}; body {text}"));
        }
    }
    for (ptr, want) in &c.lengths {
        let got = v.pointer(ptr).and_then(Value::as_array).map(Vec::len);
        if got != Some(*want) {
            return Err(format!(
                "{at}: len({ptr}) = {got:?}, want {want}; body {text}"
            ));
        }
    }
    for ptr in &c.absent {
        if v.pointer(ptr).is_some() {
            return Err(format!("{at}: {ptr} present; body {text}"));
        }
    }
    Ok(())
}

fn scenario_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/scenarios/es")
}

#[tokio::test]
async fn scenarios() {
    let mut files: Vec<_> = std::fs::read_dir(scenario_dir())
        .expect("tests/scenarios/es")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    let mut failures = Vec::new();
    let mut n = 0;
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let sc: Scenario =
            serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let r = router(state(sc.users.as_deref(), sc.cluster_name.as_deref()));
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        for c in &sc.cases {
            n += 1;
            if let Err(e) = run_case(&r, &name, c).await {
                failures.push(e);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn refusals_are_counted_and_rendered_with_the_store_figures() {
    let st = state(Some(&["elastic:pw".to_string()]), None);
    let r = router(st.clone());
    let (code, h, _) = send(&r, "GET", "/", &[], vec![]).await;
    assert_eq!(code, 401);
    assert_eq!(
        h.get("www-authenticate").unwrap(),
        "Basic realm=\"security\", charset=\"UTF-8\""
    );
    let mut w = String::new();
    render_metrics(&st, &mut w);
    assert!(
        w.contains("outpost_es_requests_rejected_total{reason=\"unauthorized\"} 1\n"),
        "{w}"
    );
    assert!(w.contains("outpost_logs_max_bytes 1073741824\n"), "{w}");
    assert!(w.contains("outpost_logs_docs 0\n"), "{w}");
}

#[tokio::test]
async fn a_body_over_the_limit_is_413_with_an_empty_body_and_counted() {
    let st = state(None, None);
    let r = router(st.clone());
    let big = vec![b' '; MAX_CONTENT_LENGTH + 1];
    let (code, h, text) = send(
        &r,
        "POST",
        "/_bulk",
        &[("content-type", "application/x-ndjson")],
        big,
    )
    .await;
    assert_eq!((code, text.as_str()), (413, ""));
    assert_eq!(h.get("x-elastic-product").unwrap(), "Elasticsearch");
    // The decompressed size counts too.
    let zipped = gzip(&vec![b'\n'; MAX_CONTENT_LENGTH + 1]);
    assert!(zipped.len() < MAX_CONTENT_LENGTH);
    let (code, _, _) = send(
        &r,
        "POST",
        "/_bulk",
        &[
            ("content-type", "application/x-ndjson"),
            ("content-encoding", "gzip"),
        ],
        zipped,
    )
    .await;
    assert_eq!(code, 413);
    assert_eq!(st.counters.body_too_large().get(), 2);
}

#[tokio::test]
async fn the_product_header_covers_the_listeners_other_routes() {
    let base = Router::new().route("/-/healthy", axum::routing::get(|| async { "ok" }));
    let r = with_product_header(base.merge(router(state(None, None))));
    for (method, uri) in [("GET", "/-/healthy"), ("POST", "/-/healthy"), ("GET", "/")] {
        let (_, h, _) = send(&r, method, uri, &[], vec![]).await;
        assert_eq!(
            h.get("x-elastic-product").map(|v| v.to_str().unwrap()),
            Some("Elasticsearch"),
            "{method} {uri}"
        );
    }
}
