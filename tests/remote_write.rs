//! Remote write 1.0 into the real binary from a Rust client: success, the
//! counters in /metrics, and every kind of bad input.

mod common;

use common::{Outpost, get, http};
use outpost_ingest::encode;
use outpost_ingest::proto::{Label, Sample, TimeSeries, WriteRequest};

fn request(series: usize, samples: usize, t0: i64) -> WriteRequest {
    WriteRequest {
        timeseries: (0..series)
            .map(|i| TimeSeries {
                labels: vec![
                    Label {
                        name: "__name__".into(),
                        value: "rw_test_total".into(),
                    },
                    Label {
                        name: "series".into(),
                        value: i.to_string(),
                    },
                ],
                samples: (0..samples)
                    .map(|j| Sample {
                        value: j as f64,
                        timestamp: t0 + j as i64 * 15_000,
                    })
                    .collect(),
                ..Default::default()
            })
            .collect(),
        metadata: vec![],
    }
}

fn post(url: &str, body: Vec<u8>, headers: &[(&str, &str)]) -> (u16, String) {
    let mut req = http().post(url).body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

const SENDER_HEADERS: &[(&str, &str)] = &[
    ("Content-Encoding", "snappy"),
    ("Content-Type", "application/x-protobuf"),
    ("X-Prometheus-Remote-Write-Version", "0.1.0"),
];

#[test]
fn remote_write_stores_samples_and_rejects_bad_input() {
    let op = Outpost::start(&["--clock", "manual", "--clock.start", "2026-01-01T00:00:00Z"]);
    let url = format!("{}/api/v1/write", op.url("prometheus"));
    let t0 = 1_767_225_600_000 - 3_600_000;
    let (code, body) = post(&url, encode(&request(10, 5, t0)), SENDER_HEADERS);
    assert_eq!(code, 204, "{body}");

    // Re-sending a series plus one new sample: the four older samples are out
    // of order (Prometheus' in-order head), the newest resent one is a no-op,
    // the new one is kept, and the request still succeeds.
    let mut again = request(1, 6, t0);
    again.timeseries[0].samples[0].value = 99.0;
    let (code, _) = post(&url, encode(&again), SENDER_HEADERS);
    assert_eq!(code, 204);

    let metrics = get(&format!("{}/metrics", op.url("prometheus"))).1;
    assert!(
        metrics.contains("outpost_remote_write_samples_total{outcome=\"written\"} 52\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("outpost_remote_write_samples_total{outcome=\"rejected\"} 4\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("outpost_tsdb_head_series 10\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("outpost_tsdb_head_samples_appended_total 51\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("outpost_tsdb_out_of_order_samples_total 4\n"),
        "{metrics}"
    );

    let (code, body) = post(&url, b"definitely not snappy".to_vec(), SENDER_HEADERS);
    assert_eq!(code, 400);
    assert!(body.starts_with("snappy decode error"), "{body}");
    let garbage = snappy_literal(&[0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    let (code, body) = post(&url, garbage, SENDER_HEADERS);
    assert_eq!(code, 400);
    assert!(body.starts_with("protobuf decode error"), "{body}");
    let (code, _) = post(
        &url,
        encode(&request(1, 1, t0)),
        &[("Content-Encoding", "gzip")],
    );
    assert_eq!(code, 415);
    let (code, _) = post(
        &url,
        encode(&request(1, 1, t0)),
        &[(
            "Content-Type",
            "application/x-protobuf;proto=io.prometheus.write.v2.Request",
        )],
    );
    assert_eq!(code, 415);
    let (code, _) = post(
        &url,
        encode(&request(1, 1, t0)),
        &[("Content-Type", "application/json")],
    );
    assert_eq!(code, 415);
    let r = http().get(&url).send().unwrap();
    assert_eq!(r.status().as_u16(), 405);
    // Still healthy after all of it.
    assert_eq!(get(&format!("{}/-/ready", op.url("prometheus"))).0, 200);
}

/// A valid snappy block (length varint, one literal chunk) around `raw`,
/// which here is an invalid protobuf message.
fn snappy_literal(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.push(raw.len() as u8);
    out.push(((raw.len() - 1) as u8) << 2);
    out.extend_from_slice(raw);
    out
}
