use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use outpost_traces::model::{Resource, Scope, Span, SpanId, SpanKind, Status, TraceId};
use outpost_traces::{SpanMetrics, SpanMetricsOptions, SpanObserver};
use outpost_tsdb::Tsdb;
use tower::ServiceExt;

use super::*;

const T0: i64 = 1_700_000_000_000;

fn span(service: &str, name: &str, err: bool) -> Span {
    Span {
        trace_id: TraceId(1),
        span_id: SpanId(1),
        parent_span_id: SpanId(0),
        trace_state: "".into(),
        flags: 0,
        name: name.into(),
        kind: SpanKind::Server,
        start_ns: 0,
        end_ns: 3_000_000,
        attributes: vec![],
        events: vec![],
        links: vec![],
        status: Status {
            code: if err {
                outpost_traces::model::StatusCode::Error
            } else {
                outpost_traces::model::StatusCode::Unset
            },
            message: "".into(),
        },
        dropped: [0; 3],
        resource: Arc::new(Resource {
            service: service.into(),
            ..Resource::default()
        }),
        scope: Arc::new(Scope::default()),
    }
}

/// 20 minutes of one `cart` server span per second (`GET /cart` and
/// `POST /cart` alternating, a fifth of them failing when `errors`),
/// flushed every 15 s as the binary does.
fn state(errors: bool, enabled: bool) -> SpmState {
    let tsdb = Arc::new(Tsdb::new(Default::default()));
    let m = SpanMetrics::new(SpanMetricsOptions::default());
    for tick in 1..=80i64 {
        let batch: Vec<Span> = (0..15)
            .map(|i| {
                let name = if i % 2 == 0 {
                    "GET /cart"
                } else {
                    "POST /cart"
                };
                span("cart", name, errors && i % 5 == 0)
            })
            .collect();
        m.observe(&batch);
        let mut app = tsdb.appender();
        m.collect(|labels, v| {
            let r = app.series_ref_pairs(labels).unwrap();
            app.append(r, T0 + tick * 15_000, v).unwrap();
        });
    }
    SpmState {
        clock: Clock::manual(T0 + 1_200_000),
        promql: Arc::new(Engine::new(tsdb, Default::default())),
        enabled,
    }
}

async fn get(s: &SpmState, uri: &str) -> (StatusCode, String, String) {
    let resp = spm_router(s.clone())
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let ct = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, ct, String::from_utf8(body.to_vec()).unwrap())
}

async fn get_json(s: &SpmState, uri: &str) -> J {
    let (status, ct, body) = get(s, uri).await;
    assert_eq!(status, StatusCode::OK, "{uri}: {body}");
    assert_eq!(ct, "application/json");
    serde_json::from_str(&body).unwrap()
}

/// The window the UI asks for, ending at T0 + 20 min.
const WINDOW: &str = "endTs=1700001200000&lookback=300000&step=60000&ratePer=600000";

fn values(m: &J) -> Vec<f64> {
    m["metricPoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["gaugeValue"]["doubleValue"].as_f64().unwrap())
        .collect()
}

#[tokio::test]
async fn calls_per_service_as_a_metric_family() {
    let s = state(false, true);
    let v = get_json(&s, &format!("/api/metrics/calls?service=cart&{WINDOW}")).await;
    assert_eq!(v["name"], "service_call_rate");
    assert_eq!(v["type"], "GAUGE");
    assert_eq!(v["help"], "calls/sec, grouped by service");
    let metrics = v["metrics"].as_array().unwrap();
    assert_eq!(metrics.len(), 1);
    assert_eq!(
        metrics[0]["labels"],
        json!([{"name": "service_name", "value": "cart"}])
    );
    let vals = values(&metrics[0]);
    assert_eq!(vals.len(), 6, "[endTs - 5m, endTs] by 1m");
    assert!(vals.iter().all(|v| (v - 1.0).abs() < 1e-9), "{vals:?}");
    assert_eq!(
        metrics[0]["metricPoints"][0]["timestamp"],
        "2023-11-14T22:28:20Z"
    );
    assert_eq!(
        metrics[0]["metricPoints"][5]["timestamp"],
        "2023-11-14T22:33:20Z"
    );
}

#[tokio::test]
async fn group_by_operation_renames_span_name_to_operation() {
    let s = state(false, true);
    let v = get_json(
        &s,
        &format!("/api/metrics/calls?service=cart&groupByOperation=true&{WINDOW}"),
    )
    .await;
    assert_eq!(v["name"], "service_operation_call_rate");
    assert_eq!(v["help"], "calls/sec, grouped by service & operation");
    let metrics = v["metrics"].as_array().unwrap();
    assert_eq!(metrics.len(), 2);
    assert_eq!(
        metrics[0]["labels"],
        json!([{"name": "service_name", "value": "cart"}, {"name": "operation", "value": "GET /cart"}])
    );
    assert_eq!(metrics[1]["labels"][1]["value"], "POST /cart");
    // 8 of 15 spans per tick are GETs.
    let get_rate = values(&metrics[0]);
    assert!((get_rate[0] - 8.0 / 15.0).abs() < 1e-9, "{get_rate:?}");
}

#[tokio::test]
async fn latencies_take_the_quantile_from_the_histogram() {
    let s = state(false, true);
    let v = get_json(
        &s,
        &format!("/api/metrics/latencies?service=cart&quantile=0.95&{WINDOW}"),
    )
    .await;
    assert_eq!(v["name"], "service_latencies");
    assert_eq!(v["help"], "0.95th quantile latency, grouped by service");
    let vals = values(&v["metrics"][0]);
    // Every span takes 3 ms: the (2, 4] bucket, interpolated at 0.95 → 3.9.
    assert!(vals.iter().all(|v| (v - 3.9).abs() < 1e-9), "{vals:?}");
    let v = get_json(
        &s,
        &format!("/api/metrics/latencies?service=cart&quantile=0.5&groupByOperation=1&{WINDOW}"),
    )
    .await;
    assert_eq!(v["name"], "service_operation_latencies");
    assert_eq!(
        v["help"],
        "0.50th quantile latency, grouped by service & operation"
    );
    assert_eq!(v["metrics"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn error_rates_and_the_all_zero_rule() {
    let s = state(true, true);
    let v = get_json(&s, &format!("/api/metrics/errors?service=cart&{WINDOW}")).await;
    assert_eq!(v["name"], "service_error_rate");
    assert_eq!(
        v["help"],
        "error rate, computed as a fraction of errors/sec over calls/sec, grouped by service"
    );
    let vals = values(&v["metrics"][0]);
    assert!(vals.iter().all(|v| (v - 0.2).abs() < 1e-9), "{vals:?}");

    // No error series at all: the call rates' points, every value 0.
    let s = state(false, true);
    let v = get_json(
        &s,
        &format!("/api/metrics/errors?service=cart&groupByOperation=true&{WINDOW}"),
    )
    .await;
    assert_eq!(v["name"], "service_operation_error_rate");
    let metrics = v["metrics"].as_array().unwrap();
    assert_eq!(metrics.len(), 2);
    assert_eq!(
        metrics[0]["labels"][1],
        json!({"name": "operation", "value": "GET /cart"})
    );
    let vals = values(&metrics[0]);
    assert_eq!(vals, vec![0.0; 6]);

    // Neither errors nor calls: an empty family.
    let v = get_json(&s, &format!("/api/metrics/errors?service=nope&{WINDOW}")).await;
    assert_eq!(v["metrics"], json!([]));
}

#[tokio::test]
async fn defaults_end_now_look_back_an_hour_by_5s_for_server_spans() {
    let s = state(false, true);
    // endTs = clock (T0 + 20 m), lookback 1 h, step 5 s: samples from T0 + 15 s,
    // so a rate (two samples) from T0 + 30 s.
    let v = get_json(&s, "/api/metrics/calls?service=cart").await;
    let pts = v["metrics"][0]["metricPoints"].as_array().unwrap();
    assert_eq!(pts.last().unwrap()["timestamp"], "2023-11-14T22:33:20Z");
    assert_eq!(pts.len(), (1_200 - 30) / 5 + 1, "every 5 s from T0 + 30 s");
    // Only server spans by default: asking for clients finds nothing.
    let v = get_json(&s, "/api/metrics/calls?service=cart&spanKind=client").await;
    assert_eq!(v["metrics"], json!([]));
    let v = get_json(
        &s,
        "/api/metrics/calls?service=cart&spanKind=client&spanKind=server",
    )
    .await;
    assert_eq!(v["metrics"].as_array().unwrap().len(), 1);
    // Repeated services are alternatives.
    let v = get_json(&s, "/api/metrics/calls?service=other&service=cart").await;
    assert_eq!(v["metrics"].as_array().unwrap().len(), 1);
}

async fn expect_error(s: &SpmState, uri: &str, status: StatusCode, msg: &str) {
    let (st, ct, body) = get(s, uri).await;
    assert_eq!(st, status, "{uri}: {body}");
    assert_eq!(ct, "text/plain; charset=utf-8");
    assert!(body.ends_with('\n'));
    let v: J = serde_json::from_str(&body).unwrap();
    assert_eq!(
        v,
        json!({"data": null, "total": 0, "limit": 0, "offset": 0,
               "errors": [{"code": status.as_u16(), "msg": msg}]}),
        "{uri}"
    );
}

#[tokio::test]
async fn parameter_errors_are_400_in_the_jaeger_envelope() {
    let s = state(false, true);
    let bad = StatusCode::BAD_REQUEST;
    expect_error(
        &s,
        "/api/metrics/calls",
        bad,
        "unable to parse param 'service': please provide at least one service name",
    )
    .await;
    expect_error(
        &s,
        "/api/metrics/latencies?service=cart",
        bad,
        "unable to parse param 'quantile': strconv.ParseFloat: parsing \"\": invalid syntax",
    )
    .await;
    // The quantile is parsed before the service.
    expect_error(
        &s,
        "/api/metrics/latencies?quantile=high",
        bad,
        "unable to parse param 'quantile': strconv.ParseFloat: parsing \"high\": invalid syntax",
    )
    .await;
    expect_error(
        &s,
        "/api/metrics/calls?service=cart&groupByOperation=yes",
        bad,
        "unable to parse param 'groupByOperation': strconv.ParseBool: parsing \"yes\": invalid syntax",
    )
    .await;
    expect_error(
        &s,
        "/api/metrics/calls?service=cart&spanKind=server&spanKind=SERVER",
        bad,
        "unable to parse param 'spanKind': unsupported span kind: 'SERVER'",
    )
    .await;
    for p in ["endTs", "lookback", "step", "ratePer"] {
        expect_error(
            &s,
            &format!("/api/metrics/errors?service=cart&{p}=1h"),
            bad,
            &format!(
                "unable to parse param '{p}': strconv.ParseInt: parsing \"1h\": invalid syntax"
            ),
        )
        .await;
    }
    expect_error(
        &s,
        "/api/metrics/calls?service=cart&endTs=99999999999999999999",
        bad,
        "unable to parse param 'endTs': strconv.ParseInt: parsing \"99999999999999999999\": value out of range",
    )
    .await;
}

#[tokio::test]
async fn disabled_span_metrics_answer_501() {
    let s = state(false, false);
    for uri in [
        "/api/metrics/calls?service=cart",
        "/api/metrics/errors?service=cart",
        "/api/metrics/latencies?service=cart&quantile=0.95",
        "/api/metrics/minstep",
    ] {
        expect_error(&s, uri, StatusCode::NOT_IMPLEMENTED, DISABLED).await;
    }
    // Parameters are checked first, as in Jaeger.
    expect_error(
        &s,
        "/api/metrics/calls",
        StatusCode::BAD_REQUEST,
        "unable to parse param 'service': please provide at least one service name",
    )
    .await;
}

#[tokio::test]
async fn minstep_is_one_millisecond() {
    let s = state(false, true);
    let v = get_json(&s, "/api/metrics/minstep").await;
    assert_eq!(
        v,
        json!({"data": 1, "total": 0, "limit": 0, "offset": 0, "errors": null})
    );
}

#[tokio::test]
async fn a_failing_query_is_500() {
    let s = state(false, true);
    expect_error(
        &s,
        "/api/metrics/calls?service=cart&step=0",
        StatusCode::INTERNAL_SERVER_ERROR,
        "failed executing metrics query: zero or negative query resolution step widths are not accepted. Try a positive integer",
    )
    .await;
}

fn params(q: &str) -> Params {
    Params::parse(&crate::form::query_pairs(Some(q)), 42).unwrap()
}

#[test]
fn queries_are_the_ones_jaeger_sends() {
    let p = params("service=emailservice");
    assert_eq!(
        p,
        Params {
            services: vec!["emailservice".into()],
            group_by_operation: false,
            span_kinds: vec!["SPAN_KIND_SERVER"],
            end_ms: 42,
            lookback_ms: 3_600_000,
            step_ms: 5_000,
            rate_per_ms: 600_000,
        }
    );
    assert_eq!(
        build_query(Kind::Latencies(0.95), &p),
        r#"histogram_quantile(0.95, sum(rate(traces_span_metrics_duration_milliseconds_bucket{service_name =~ "emailservice", span_kind =~ "SPAN_KIND_SERVER"}[10m])) by (service_name,le))"#
    );
    assert_eq!(
        build_query(Kind::Errors, &p),
        r#"sum(rate(traces_span_metrics_calls_total{service_name =~ "emailservice", status_code = "STATUS_CODE_ERROR", span_kind =~ "SPAN_KIND_SERVER"}[10m])) by (service_name) / sum(rate(traces_span_metrics_calls_total{service_name =~ "emailservice", span_kind =~ "SPAN_KIND_SERVER"}[10m])) by (service_name)"#
    );
    let p = params(
        "service=frontend&service=driver&spanKind=server&spanKind=client&groupByOperation=true&ratePer=60000",
    );
    assert_eq!(
        build_query(Kind::Calls, &p),
        r#"sum(rate(traces_span_metrics_calls_total{service_name =~ "frontend|driver", span_kind =~ "SPAN_KIND_SERVER|SPAN_KIND_CLIENT"}[1m])) by (service_name,span_name)"#
    );
}

#[test]
fn without_span_kinds_the_trailing_comma_still_parses() {
    let mut p = params("service=cart");
    p.span_kinds.clear();
    let q = build_query(Kind::Calls, &p);
    assert_eq!(
        q,
        r#"sum(rate(traces_span_metrics_calls_total{service_name =~ "cart", }[10m])) by (service_name)"#
    );
    let engine = Engine::new(Arc::new(Tsdb::new(Default::default())), Default::default());
    engine.range(&q, 0, 60_000, 15_000).unwrap();
    // A quote in a service name stays inside the string.
    let p = params("service=a%22b");
    let q = build_query(Kind::Errors, &p);
    assert!(q.contains(r#"service_name =~ "a\"b""#), "{q}");
    engine.range(&q, 0, 60_000, 15_000).unwrap();
}

#[test]
fn rate_durations_and_timestamps_print_as_jaeger_does() {
    assert_eq!(rate_duration(600_000), "10m");
    assert_eq!(rate_duration(5_400_000), "1h");
    assert_eq!(rate_duration(90_000), "1m");
    assert_eq!(rate_duration(30_000), "30s");
    assert_eq!(rate_duration(1_500), "1500ms");
    assert_eq!(proto_timestamp(1_622_711_526_000), "2021-06-03T09:12:06Z");
    assert_eq!(
        proto_timestamp(1_631_271_823_806),
        "2021-09-10T11:03:43.806Z"
    );
    assert_eq!(proto_double(f64::NAN), json!("NaN"));
    assert_eq!(proto_double(0.5), json!(0.5));
    assert_eq!(go_quote("a\"b\n"), r#""a\"b\n""#);
    assert_eq!(go_parse_float("1e3"), Ok(1000.0));
    assert!(
        go_parse_float("1e999")
            .unwrap_err()
            .ends_with("value out of range")
    );
}
