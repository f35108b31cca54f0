//! The Prometheus HTTP API of the real binary over known data (remote-written):
//! query and query_range encoding, error types and status codes, status
//! endpoints, format_query and federation.

mod common;

use common::{Outpost, get, http};
use outpost_ingest::encode;
use outpost_ingest::proto::{Label, Sample, TimeSeries, WriteRequest};
use serde_json::Value;

const T0: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn load(op: &Outpost) {
    let series = |labels: &[(&str, &str)], f: &dyn Fn(i64) -> f64| TimeSeries {
        labels: labels
            .iter()
            .map(|(n, v)| Label {
                name: n.to_string(),
                value: v.to_string(),
            })
            .collect(),
        samples: (0..=40)
            .map(|i| Sample {
                value: f(i),
                timestamp: T0 + i * 15_000,
            })
            .collect(),
        ..Default::default()
    };
    let req = WriteRequest {
        timeseries: vec![
            series(
                &[
                    ("__name__", "http_requests_total"),
                    ("job", "api"),
                    ("code", "200"),
                ],
                &|i| (i * 30) as f64,
            ),
            series(
                &[
                    ("__name__", "http_requests_total"),
                    ("job", "api"),
                    ("code", "500"),
                ],
                &|i| (i * 3) as f64,
            ),
            series(&[("__name__", "temperature"), ("room", "a")], &|_| f64::NAN),
            series(&[("__name__", "temperature"), ("room", "b")], &|i| {
                20.5 + i as f64
            }),
        ],
        metadata: vec![],
    };
    let r = http()
        .post(format!("{}/api/v1/write", op.url("prometheus")))
        .header("Content-Encoding", "snappy")
        .body(encode(&req))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
}

fn json(url: &str) -> (u16, Value) {
    let (code, body) = get(url);
    (
        code,
        serde_json::from_str(&body).unwrap_or_else(|_| panic!("{url}: {body}")),
    )
}

fn form(url: &str, pairs: &[(&str, &str)]) -> (u16, Value) {
    let body: Vec<String> = pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                v.replace('%', "%25")
                    .replace('&', "%26")
                    .replace('+', "%2B")
                    .replace(' ', "+")
                    .replace('=', "%3D")
                    .replace('{', "%7B")
                    .replace('}', "%7D")
                    .replace('"', "%22")
            )
        })
        .collect();
    let r = http()
        .post(url)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body.join("&"))
        .send()
        .unwrap();
    let code = r.status().as_u16();
    (code, r.json().unwrap())
}

#[test]
fn query_api_answers_as_prometheus() {
    let op = Outpost::start(&[
        "--clock",
        "manual",
        "--clock.start",
        "2026-01-01T00:10:00Z",
        "--prometheus.config",
        "/dev/null",
    ]);
    load(&op);
    let base = op.url("prometheus");
    let t = (T0 + 600_000) / 1000;

    // Instant vector, values as strings, timestamps as seconds, sorted by labels.
    let (code, v) = json(&format!("{base}/api/v1/query?query=temperature&time={t}"));
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["data"]["resultType"], "vector");
    assert_eq!(
        v["data"]["result"][0]["metric"],
        serde_json::json!({"__name__": "temperature", "room": "a"})
    );
    assert_eq!(
        v["data"]["result"][0]["value"],
        serde_json::json!([t, "NaN"])
    );
    assert_eq!(v["data"]["result"][1]["value"][1], "60.5");
    // The default time is the (manual) clock.
    let (_, v) = json(&format!("{base}/api/v1/query?query=time()"));
    assert_eq!(
        v["data"],
        serde_json::json!({"resultType": "scalar", "result": [t, format!("{t}")]})
    );

    // POST form, as Grafana sends query_range.
    let (code, v) = form(
        &format!("{base}/api/v1/query_range"),
        &[
            ("query", "sum by (job) (rate(http_requests_total[5m]))"),
            ("start", &(t - 60).to_string()),
            ("end", &t.to_string()),
            ("step", "30s"),
        ],
    );
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["data"]["resultType"], "matrix");
    let values = v["data"]["result"][0]["values"].as_array().unwrap();
    assert_eq!(values.len(), 3);
    let first: f64 = values[0][1].as_str().unwrap().parse().unwrap();
    assert!((first - 2.2).abs() < 1e-9, "{first}");
    assert_eq!(
        v["data"]["result"][0]["metric"],
        serde_json::json!({"job": "api"})
    );

    // Errors: bad_data 400, execution 422.
    let (code, v) = json(&format!(
        "{base}/api/v1/query?query=sum(rate(http_requests_total[5m]"
    ));
    assert_eq!(
        (code, v["errorType"].as_str()),
        (400, Some("bad_data")),
        "{v}"
    );
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .starts_with("invalid parameter \"query\": "),
        "{v}"
    );
    let (code, v) = json(&format!(
        "{base}/api/v1/query?query=http_requests_total%20%2B%20on(job)%20http_requests_total"
    ));
    assert_eq!(
        (code, v["errorType"].as_str()),
        (422, Some("execution")),
        "{v}"
    );
    let (code, v) = json(&format!(
        "{base}/api/v1/query_range?query=up&start={t}&end={}&step=0",
        t - 1
    ));
    assert_eq!(
        (code, v["errorType"].as_str()),
        (400, Some("bad_data")),
        "{v}"
    );
    let (code, v) = json(&format!(
        "{base}/api/v1/query_range?query=up&start=0&end=100000000&step=1"
    ));
    assert_eq!(code, 400, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("11,000 points"),
        "{v}"
    );
    let (code, v) = json(&format!(
        "{base}/api/v1/query?query=histogram_count(temperature)"
    ));
    assert_eq!(code, 422, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("not supported"),
        "{v}"
    );

    // Status endpoints Grafana and promtool read.
    let (_, v) = json(&format!("{base}/api/v1/status/buildinfo"));
    assert!(v["data"]["version"].as_str().unwrap().starts_with('3'));
    let (_, v) = json(&format!("{base}/api/v1/status/flags"));
    assert_eq!(v["data"]["storage.tsdb.retention.time"], "6h");
    let (_, v) = json(&format!("{base}/api/v1/status/config"));
    assert!(v["data"]["yaml"].is_string());
    let (_, v) = json(&format!("{base}/api/v1/status/runtimeinfo"));
    assert_eq!(v["data"]["reloadConfigSuccess"], true);
    let (_, v) = json(&format!(
        "{base}/api/v1/format_query?query=sum(rate(x[5m]))by(job)"
    ));
    assert_eq!(v["data"], "sum by (job) (rate(x[5m]))");
    let (_, v) = json(&format!("{base}/api/v1/query_exemplars?query=up"));
    assert_eq!(v["data"], serde_json::json!([]));

    // Federation: the latest sample of each matching series.
    let (code, text) = get(&format!(
        "{base}/federate?match[]=temperature%7Broom%3D%22b%22%7D"
    ));
    assert_eq!(code, 200);
    assert_eq!(
        text,
        format!(
            "# TYPE temperature untyped\ntemperature{{room=\"b\"}} 60.5 {}\n",
            T0 + 600_000
        )
    );
}

/// Regression (issue 16.1): `count_over_time(vector(1)[30d:1ms])` used to
/// allocate until the process died; it must answer Prometheus' 422 quickly
/// while every listener keeps serving.
#[test]
fn huge_subquery_answers_422_and_the_process_keeps_serving() {
    let op = Outpost::start(&[]);
    let base = op.url("prometheus");
    let t = std::time::Instant::now();
    let (code, v) = form(
        &format!("{base}/api/v1/query"),
        &[("query", "count_over_time(vector(1)[30d:1ms])")],
    );
    assert_eq!(code, 422, "{v}");
    assert_eq!(v["errorType"], "execution");
    assert_eq!(
        v["error"],
        "query processing would load too many samples into memory in query execution"
    );
    assert!(
        t.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(get(&format!("{base}/-/healthy")).0, 200);
    assert_eq!(get(&format!("{}/-/healthy", op.url("alertmanager"))).0, 200);
}

#[test]
fn query_max_samples_flag_bounds_range_query_output() {
    let op = Outpost::start(&["--query.max-samples", "100"]);
    load(&op);
    let base = op.url("prometheus");
    let ok = format!(
        "{base}/api/v1/query_range?query=temperature&start={}&end={}&step=60",
        T0 / 1000,
        T0 / 1000 + 300
    );
    assert_eq!(json(&ok).0, 200);
    let (code, v) = json(&format!(
        "{base}/api/v1/query_range?query=http_requests_total&start={}&end={}&step=1",
        T0 / 1000,
        T0 / 1000 + 600
    ));
    assert_eq!(code, 422, "{v}");
    assert_eq!(v["errorType"], "execution");
}

/// Regression (issue 16.2): extreme numbers in every time and duration
/// parameter answer a client error (or a result), never a crash: the
/// process keeps serving after each.
#[test]
fn extreme_times_and_durations_never_take_the_process_down() {
    let op = Outpost::start(&[]);
    load(&op);
    let base = op.url("prometheus");
    let mut extremes: Vec<String> = [
        "1e300",
        "-1e300",
        "9223372036854775807",
        "-9223372036854775808",
        "NaN",
        "Inf",
        "-Inf",
        "0",
        "-1",
        "1e18",
        "-1e18",
        "9223372036854775.807",
        "1e-300",
    ]
    .map(String::from)
    .to_vec();
    // Plus random numbers of every magnitude (fixed seed, so a failure repeats).
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for _ in 0..12 {
        let sign = if next() % 2 == 0 { "" } else { "-" };
        let exp = (next() % 640) as i64 - 320;
        extremes.push(format!("{sign}{}.{}e{exp}", next() % 10, next() % 1000));
        extremes.push((next() as i64).to_string());
    }
    let mut urls = Vec::new();
    for x in &extremes {
        urls.push(format!("{base}/api/v1/query?query=up&time={x}"));
        urls.push(format!(
            "{base}/api/v1/query?query=up%20offset%20-1y&time={x}"
        ));
        urls.push(format!("{base}/api/v1/query?query=up%20@%20{x}"));
        urls.push(format!("{base}/api/v1/query?query=rate(up[{x}s])"));
        urls.push(format!(
            "{base}/api/v1/query?query=max_over_time(up[1h:{x}s])"
        ));
        urls.push(format!(
            "{base}/api/v1/query_range?query=up&start=0&end={x}&step=15"
        ));
        urls.push(format!(
            "{base}/api/v1/query_range?query=up&start={x}&end=1e300&step=15"
        ));
        urls.push(format!(
            "{base}/api/v1/query_range?query=up&start=0&end=60&step={x}"
        ));
        urls.push(format!("{base}/api/v1/series?match[]=up&start={x}&end={x}"));
        urls.push(format!("{base}/api/v1/labels?start={x}"));
        urls.push(format!("{base}/api/v1/label/job/values?end={x}"));
    }
    for u in &urls {
        let (code, body) = get(u);
        assert!(
            code == 200 || code == 400 || code == 422,
            "{u}: {code} {body}"
        );
        if code != 200 {
            let v: Value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("{u}: {body}"));
            assert_eq!(v["status"], "error", "{u}: {body}");
        }
    }
    assert_eq!(get(&format!("{base}/-/healthy")).0, 200);
    for q in [
        "query?query=up&time=1e300",
        "query_range?query=up&start=-1e300&end=1e300&step=15",
    ] {
        let (code, v) = json(&format!("{base}/api/v1/{q}"));
        assert_eq!(
            (code, v["errorType"].as_str()),
            (400, Some("bad_data")),
            "{q}: {v}"
        );
    }
}
