//! Remote-write receive path: snappy + protobuf decode and append into the
//! TSDB, reported as samples/s (1000 series × 1 sample per request, as
//! Prometheus' default max_samples_per_send of 2000 sends them, 8 labels each).

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use outpost_ingest::proto::{Label, Sample, TimeSeries, WriteRequest};
use outpost_ingest::{decode, encode, receive};
use outpost_tsdb::{HeadOptions, Tsdb};

const SERIES: usize = 2_000;

fn request(round: i64) -> Vec<u8> {
    let l = |n: &str, v: String| Label {
        name: n.into(),
        value: v,
    };
    let req = WriteRequest {
        timeseries: (0..SERIES)
            .map(|i| TimeSeries {
                labels: vec![
                    l("__name__", format!("metric_{}", i % 50)),
                    l("container", "app".into()),
                    l("env", "dev".into()),
                    l("instance", format!("10.0.{}.{}:9100", i / 250, i % 250)),
                    l("job", format!("job-{}", i % 10)),
                    l("namespace", format!("ns-{}", i % 20)),
                    l("pod", format!("pod-{i}")),
                    l("region", format!("eu-{}", i % 3)),
                ],
                samples: vec![Sample {
                    value: (round * i as i64) as f64,
                    timestamp: 1_700_000_000_000 + round * 15_000,
                }],
                ..Default::default()
            })
            .collect(),
        metadata: vec![],
    };
    encode(&req)
}

fn remote_write(c: &mut Criterion) {
    let mut g = c.benchmark_group("remote_write");
    g.throughput(Throughput::Elements(SERIES as u64));
    let warm = request(0);
    g.bench_function("prost_decode_2000_series", |b| {
        b.iter(|| decode(&warm).unwrap())
    });
    let db = Tsdb::new(HeadOptions::default());
    receive(&db, &warm, i64::MAX / 2).unwrap();
    let mut round = 0;
    g.bench_function("decode_and_append_2000_existing_series", |b| {
        b.iter_batched(
            || {
                round += 1;
                request(round)
            },
            |body| {
                let st = receive(&db, &body, i64::MAX / 2).unwrap();
                assert_eq!(st.samples_written, SERIES as u64);
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, remote_write);
criterion_main!(benches);
