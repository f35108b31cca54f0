//! OTLP metrics from the real OpenTelemetry Rust SDK and OTLP exporter, over
//! gRPC (4317-style listener), HTTP protobuf and HTTP JSON (4318-style), and
//! Prometheus' `/api/v1/otlp/v1/metrics`; then bad bodies.

mod common;

use std::sync::{Arc, Weak};
use std::time::Duration;

use common::{Outpost, assert_metrics, get, http};
use opentelemetry::KeyValue;
use opentelemetry::metrics::MeterProvider as _;
use opentelemetry_otlp::{MetricExporter, Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::metrics::data::ResourceMetrics;
use opentelemetry_sdk::metrics::exporter::PushMetricExporter;
use opentelemetry_sdk::metrics::reader::MetricReader;
use opentelemetry_sdk::metrics::{
    InstrumentKind, ManualReader, Pipeline, SdkMeterProvider, Temporality,
};
use serde_json::Value;

/// A manual reader the test keeps a handle on after the provider owns it.
#[derive(Debug, Clone)]
struct Shared(Arc<ManualReader>);

impl MetricReader for Shared {
    fn register_pipeline(&self, p: Weak<Pipeline>) {
        self.0.register_pipeline(p)
    }
    fn collect(&self, rm: &mut ResourceMetrics) -> OTelSdkResult {
        self.0.collect(rm)
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }
    fn shutdown_with_timeout(&self, t: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(t)
    }
    fn temporality(&self, k: InstrumentKind) -> Temporality {
        self.0.temporality(k)
    }
}

/// Records instruments for `service` and returns what the SDK collected.
fn record(service: &str, temporality: Temporality) -> ResourceMetrics {
    let reader = Shared(Arc::new(
        ManualReader::builder()
            .with_temporality(temporality)
            .build(),
    ));
    let provider = SdkMeterProvider::builder()
        .with_resource(
            Resource::builder()
                .with_service_name(service.to_string())
                .with_attribute(KeyValue::new("host.name", "h1"))
                .build(),
        )
        .with_reader(reader.clone())
        .build();
    let meter = provider.meter("outpost.test");
    meter
        .u64_counter("orders.created")
        .build()
        .add(3, &[KeyValue::new("region", "eu")]);
    let h = meter
        .f64_histogram("checkout.duration")
        .with_unit("s")
        .build();
    h.record(0.2, &[]);
    h.record(3.0, &[]);
    meter.f64_gauge("queue.depth").build().record(12.0, &[]);
    let mut rm = ResourceMetrics::default();
    reader.collect(&mut rm).unwrap();
    rm
}

fn series(base: &str, selector: &str) -> Vec<Value> {
    let (code, body) = get(&format!("{base}/api/v1/series?match[]={selector}"));
    assert_eq!(code, 200, "{body}");
    serde_json::from_str::<Value>(&body).unwrap()["data"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn sdk_exports_over_grpc_http_protobuf_and_http_json() {
    let op = Outpost::start(&["--clock", "manual"]);
    outpost_http_client::install_crypto_provider();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let grpc = format!("http://{}", op.ports["otlp-grpc"]);
    let http_base = op.url("otlp-http");
    rt.block_on(async {
        let exporter = MetricExporter::builder()
            .with_tonic()
            .with_endpoint(grpc)
            .build()
            .unwrap();
        exporter
            .export(&record("svc-grpc", Temporality::Cumulative))
            .await
            .unwrap();
        for (service, protocol) in [
            ("svc-proto", Protocol::HttpBinary),
            ("svc-json", Protocol::HttpJson),
        ] {
            let exporter = MetricExporter::builder()
                .with_http()
                .with_protocol(protocol)
                .with_endpoint(format!("{http_base}/v1/metrics"))
                .build()
                .unwrap();
            exporter
                .export(&record(service, Temporality::Cumulative))
                .await
                .unwrap();
        }
        // Prometheus' own OTLP path on the prometheus listener.
        let exporter = MetricExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(format!("{}/api/v1/otlp/v1/metrics", op.url("prometheus")))
            .build()
            .unwrap();
        exporter
            .export(&record("svc-prom", Temporality::Cumulative))
            .await
            .unwrap();
        // Delta temporality is answered with a partial success, not an error.
        let exporter = MetricExporter::builder()
            .with_tonic()
            .with_endpoint(format!("http://{}", op.ports["otlp-grpc"]))
            .build()
            .unwrap();
        exporter
            .export(&record("svc-delta", Temporality::Delta))
            .await
            .unwrap();
    });
    let base = op.url("prometheus");
    for job in ["svc-grpc", "svc-proto", "svc-json", "svc-prom"] {
        let counters = series(&base, &format!("orders_created_total{{job=\"{job}\"}}"));
        assert_eq!(counters.len(), 1, "{job}: {counters:?}");
        assert_eq!(counters[0]["region"], "eu");
        let buckets = series(
            &base,
            &format!("checkout_duration_seconds_bucket{{job=\"{job}\"}}"),
        );
        assert!(buckets.len() > 2, "{job}: {buckets:?}");
        assert_eq!(
            series(&base, &format!("queue_depth{{job=\"{job}\"}}")).len(),
            1,
            "{job}"
        );
        let info = series(&base, &format!("target_info{{job=\"{job}\"}}"));
        assert_eq!(info[0]["host_name"], "h1", "{job}: {info:?}");
    }
    assert!(
        series(&base, "orders_created_total{job=\"svc-delta\"}").is_empty(),
        "delta counters are rejected"
    );
    assert_eq!(
        series(&base, "queue_depth{job=\"svc-delta\"}").len(),
        1,
        "the gauge of a delta export is kept"
    );
    let metrics = get(&format!("{base}/metrics")).1;
    assert!(
        metrics.contains("outpost_otlp_metrics_requests_total{result=\"success\"} 5\n"),
        "{metrics}"
    );
    assert!(
        !metrics.contains("outpost_otlp_data_points_rejected_total 0\n"),
        "{metrics}"
    );
}

#[test]
fn bad_otlp_bodies_get_protocol_errors() {
    let op = Outpost::start(&[]);
    let url = format!("{}/v1/metrics", op.url("otlp-http"));
    let post = |ct: &str, body: &[u8]| {
        let r = http()
            .post(&url)
            .header("Content-Type", ct)
            .body(body.to_vec())
            .send()
            .unwrap();
        (r.status().as_u16(), r.bytes().unwrap().to_vec())
    };
    let (code, body) = post("application/json", b"{not json");
    assert_eq!(code, 400);
    let status: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status["code"], 3);
    assert!(status["message"].as_str().unwrap().len() > 5, "{status}");
    let (code, body) = post(
        "application/x-protobuf",
        &[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f],
    );
    assert_eq!(code, 400);
    assert_eq!(
        &body[..3],
        &[0x08, 3, 0x12],
        "google.rpc.Status with INVALID_ARGUMENT"
    );
    let (code, _) = post("text/plain", b"x");
    assert_eq!(code, 415);
    let (code, body) = post("application/json", b"{}");
    assert_eq!(
        (code, body.as_slice()),
        (200, b"{}".as_slice()),
        "an empty export succeeds"
    );
}

/// Gzip of `len` zero bytes (a "bomb": about a thousandth of that on the wire).
fn gzip_zeros(len: usize) -> Vec<u8> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let n = left.min(chunk.len());
        enc.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    enc.finish().unwrap()
}

/// Regression (16.3): OTLP/HTTP bodies are capped at 20 MiB after
/// decompression, as the Collector; a gzip bomb is refused with 413 and a
/// RESOURCE_EXHAUSTED status, and counted.
#[test]
fn otlp_gzip_bomb_above_20_mib_gets_413() {
    let op = Outpost::start(&[]);
    let url = format!("{}/v1/metrics", op.url("otlp-http"));
    let bomb = gzip_zeros(21 << 20);
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let post = |ct: &str, body: Vec<u8>| {
        let r = http()
            .post(&url)
            .header("Content-Type", ct)
            .header("Content-Encoding", "gzip")
            .body(body)
            .send()
            .unwrap();
        (r.status().as_u16(), r.bytes().unwrap().to_vec())
    };
    let (code, body) = post("application/x-protobuf", bomb.clone());
    assert_eq!(code, 413);
    assert_eq!(
        &body[..2],
        &[0x08, 8],
        "google.rpc.Status with RESOURCE_EXHAUSTED"
    );
    let (code, body) = post("application/json", bomb);
    assert_eq!(code, 413);
    let status: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status["code"], 8, "{status}");
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .contains("decompresses to more than 20971520 bytes"),
        "{status}"
    );
    // Just under the limit decompresses and decodes (zeros are not a valid
    // message, so 400), i.e. the limit is not lower than 20 MiB.
    let (code, _) = post("application/x-protobuf", gzip_zeros(20 << 20));
    assert_eq!(code, 400);
    assert_metrics(
        &op,
        &[
            "outpost_http_request_body_too_large_total{family=\"otlp_http\"} 2",
            "outpost_otlp_metrics_requests_total{result=\"rejected\"} 3",
        ],
    );
}

/// Regression (16.3): data points refused by `--storage.tsdb.max-series`
/// come back as a partial success naming them.
#[test]
fn otlp_series_limit_is_a_partial_success() {
    let op = Outpost::start(&[
        "--clock",
        "manual",
        "--clock.start",
        "2026-01-01T00:00:00Z",
        "--storage.tsdb.max-series",
        "4",
    ]);
    let points: Vec<Value> = (0..10)
        .map(|i| {
            serde_json::json!({
                "timeUnixNano": "1767225540000000000",
                "asDouble": i as f64,
                "attributes": [{"key": "i", "value": {"intValue": i.to_string()}}]
            })
        })
        .collect();
    let body = serde_json::json!({"resourceMetrics": [{"scopeMetrics": [{"metrics": [
        {"name": "queue.depth", "gauge": {"dataPoints": points}}
    ]}]}]});
    let r = http()
        .post(format!("{}/v1/metrics", op.url("otlp-http")))
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let resp: Value = serde_json::from_str(&r.text().unwrap()).unwrap();
    let partial = &resp["partialSuccess"];
    assert_eq!(partial["rejectedDataPoints"], 6, "{resp}");
    assert!(
        partial["errorMessage"]
            .as_str()
            .unwrap()
            .contains("6 samples refused by the series limit"),
        "{resp}"
    );
    assert_eq!(series(&op.url("prometheus"), "queue_depth").len(), 4);
}
