//! Remote write 1.0 into the real binary from a Rust client: success, the
//! counters in /metrics, and every kind of bad input.

mod common;

use common::{Outpost, assert_metrics, get, http};
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

    assert_metrics(
        &op,
        &[
            "outpost_remote_write_samples_total{outcome=\"written\"} 52",
            "outpost_remote_write_samples_total{outcome=\"rejected\"} 4",
            "outpost_tsdb_head_series 10",
            "outpost_tsdb_head_samples_appended_total 51",
            "outpost_tsdb_out_of_order_samples_total 4",
        ],
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

/// `seed`-driven xorshift64: incompressible values and label text.
fn noise(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

/// A batch of `series` series × `samples` samples with random values and a
/// random label, so snappy barely shrinks it.
fn noisy_request(series: usize, samples: usize, t0: i64) -> WriteRequest {
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    let mut req = request(series, samples, t0);
    for ts in &mut req.timeseries {
        ts.labels.push(Label {
            name: "noise".into(),
            value: format!("{:016x}{:016x}", noise(&mut seed), noise(&mut seed)),
        });
        for s in &mut ts.samples {
            s.value = (noise(&mut seed) >> 11) as f64 / (1u64 << 53) as f64;
        }
    }
    req
}

/// Regression (16.3): a valid 4.6 MB snappy batch was refused with axum's
/// implicit 2 MiB 413; remote write now takes up to the decoded-size cap.
#[test]
fn valid_4_6_mb_snappy_batch_is_accepted() {
    let op = Outpost::start(&["--clock", "manual", "--clock.start", "2026-01-01T00:00:00Z"]);
    let url = format!("{}/api/v1/write", op.url("prometheus"));
    let t0 = 1_767_225_600_000 - 3_600_000;
    let req = noisy_request(1_900, 200, t0);
    let body = encode(&req);
    assert!(body.len() > 4_600_000, "{} bytes", body.len());
    let (code, text) = post(&url, body, SENDER_HEADERS);
    assert_eq!(code, 204, "{text}");
    assert_metrics(
        &op,
        &[
            "outpost_remote_write_samples_total{outcome=\"written\"} 380000",
            "outpost_http_request_body_too_large_total{family=\"remote_write\"} 0",
        ],
    );
}

/// Bodies over the limits get 413 and move
/// `outpost_http_request_body_too_large_total{family="remote_write"}`:
/// a snappy block declaring more than 32 MiB decoded, and a body longer
/// than any snappy block of 32 MiB can be.
#[test]
fn over_limit_remote_write_bodies_get_413_and_are_counted() {
    let op = Outpost::start(&[]);
    let url = format!("{}/api/v1/write", op.url("prometheus"));
    // Snappy's length preamble (varint) of 33 MiB, then a little data.
    let mut declared = Vec::new();
    let mut len = 33u64 << 20;
    while len >= 0x80 {
        declared.push((len as u8) | 0x80);
        len >>= 7;
    }
    declared.push(len as u8);
    declared.extend_from_slice(&[0x00, b'x']);
    let (code, text) = post(&url, declared, SENDER_HEADERS);
    assert_eq!(code, 413, "{text}");
    assert!(
        text.contains("exceeds the limit of 33554432 bytes"),
        "{text}"
    );
    // A declared length of 40 MiB is refused before the body is read.
    let (code, text) = declare_and_read(&op.ports["prometheus"], 40 << 20);
    assert_eq!(code, 413, "{text}");
    assert!(text.contains("request body exceeds the limit"), "{text}");
    assert_metrics(
        &op,
        &[
            "outpost_http_request_body_too_large_total{family=\"remote_write\"} 2",
            "outpost_remote_write_requests_total{result=\"rejected\"} 2",
        ],
    );
}

/// Regression (16.3): with `--storage.tsdb.max-series`, new series beyond
/// the limit were dropped while every batch got 2xx. The rest is stored
/// and the answer is 400 naming the refused count.
#[test]
fn series_limit_refusals_are_answered_with_400() {
    let op = Outpost::start(&[
        "--clock",
        "manual",
        "--clock.start",
        "2026-01-01T00:00:00Z",
        "--storage.tsdb.max-series",
        "100",
    ]);
    let url = format!("{}/api/v1/write", op.url("prometheus"));
    let t0 = 1_767_225_600_000 - 3_600_000;
    let (code, text) = post(&url, encode(&request(250, 2, t0)), SENDER_HEADERS);
    assert_eq!(code, 400, "{text}");
    assert!(
        text.starts_with("150 series with 300 samples refused: the series limit of 100 is reached"),
        "{text}"
    );
    assert!(text.contains("200 other samples were stored"), "{text}");
    // Series already stored keep taking samples: 204.
    let (code, text) = post(&url, encode(&request(100, 1, t0 + 60_000)), SENDER_HEADERS);
    assert_eq!(code, 204, "{text}");
    assert_metrics(
        &op,
        &[
            "outpost_tsdb_head_series 100",
            "outpost_remote_write_samples_total{outcome=\"series_limit\"} 300",
            "outpost_remote_write_samples_total{outcome=\"written\"} 300",
        ],
    );
}

/// Sends a remote-write request declaring `len` body bytes but only the
/// first KiB of them, and returns the status and the raw response.
fn declare_and_read(addr: &str, len: usize) -> (u16, String) {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let head = format!(
        "POST /api/v1/write HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-protobuf\r\n\
         Content-Encoding: snappy\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
    );
    conn.write_all(head.as_bytes()).unwrap();
    conn.write_all(&[0u8; 1024]).unwrap();
    let mut out = Vec::new();
    let _ = conn.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let code = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, text)
}
