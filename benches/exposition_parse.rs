//! Scrape parsing: a ~2 MiB node_exporter-like body (CPU, filesystem,
//! network, disk and HTTP-histogram families with varied label values) in the
//! Prometheus text format 0.0.4, and the same series in OpenMetrics 1.0 with
//! units, `_total` counters and exemplars. Every entry is consumed. Reported
//! as bytes per second.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use outpost_exposition::{Entry, Format, Parser};

/// Size the generated bodies aim for.
const TARGET_BYTES: usize = 2 << 20;

/// Deterministic xorshift generator for varied values.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A float with a few decimals, like exporters print.
    fn float(&mut self, max: u64) -> f64 {
        (self.next() % (max * 100)) as f64 / 100.0
    }
}

/// Writes the metadata lines of one family.
fn family(out: &mut String, om: bool, name: &str, kind: &str, unit: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    if om && !unit.is_empty() {
        let _ = writeln!(out, "# UNIT {name} {unit}");
    }
}

/// A node_exporter-like body with `scale` series per label dimension.
fn exposition(om: bool, scale: usize) -> String {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = String::new();
    // Counters: OpenMetrics names the family without `_total`.
    let counter = |base: &str| {
        if om {
            base.to_owned()
        } else {
            format!("{base}_total")
        }
    };

    let name = counter("node_cpu_seconds");
    family(
        &mut out,
        om,
        &name,
        "counter",
        "seconds",
        "Seconds the CPUs spent in each mode.",
    );
    let modes = [
        "idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user",
    ];
    for cpu in 0..scale * 4 {
        for mode in modes {
            let v = rng.float(900_000);
            let _ = writeln!(
                out,
                "node_cpu_seconds_total{{cpu=\"{cpu}\",mode=\"{mode}\"}} {v}"
            );
        }
    }

    for (metric, help) in [
        (
            "node_filesystem_avail_bytes",
            "Filesystem space available to non-root users in bytes.",
        ),
        ("node_filesystem_size_bytes", "Filesystem size in bytes."),
        (
            "node_filesystem_files_free",
            "Filesystem total free file nodes.",
        ),
    ] {
        let unit = if metric.ends_with("_bytes") {
            "bytes"
        } else {
            ""
        };
        family(&mut out, om, metric, "gauge", unit, help);
        for m in 0..scale * 3 {
            let v = rng.next() % 1_000_000_000_000;
            let _ = writeln!(
                out,
                "{metric}{{device=\"/dev/mapper/vg{m}-data\",device_error=\"\",fstype=\"ext4\",mountpoint=\"/srv/volume-{m}\"}} {v:e}"
            );
        }
    }

    for (base, help) in [
        (
            "node_network_receive_bytes",
            "Network device statistic receive_bytes.",
        ),
        (
            "node_network_transmit_bytes",
            "Network device statistic transmit_bytes.",
        ),
        (
            "node_network_receive_packets",
            "Network device statistic receive_packets.",
        ),
    ] {
        let name = counter(base);
        let unit = if base.ends_with("_bytes") {
            "bytes"
        } else {
            ""
        };
        family(&mut out, om, &name, "counter", unit, help);
        for d in 0..scale * 2 {
            let v = rng.next() % 100_000_000_000;
            let _ = writeln!(out, "{base}_total{{device=\"veth{d:05x}\"}} {v}");
        }
    }

    let name = counter("node_disk_io_time_seconds");
    family(
        &mut out,
        om,
        &name,
        "counter",
        "seconds",
        "Total seconds spent doing I/Os.",
    );
    for d in 0..scale * 2 {
        let v = rng.float(100_000);
        let _ = writeln!(
            out,
            "node_disk_io_time_seconds_total{{device=\"nvme{d}n1\"}} {v}"
        );
    }

    family(
        &mut out,
        om,
        "http_request_duration_seconds",
        "histogram",
        "seconds",
        "Latency of HTTP requests.",
    );
    let buckets = [
        "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "+Inf",
    ];
    for h in 0..scale {
        let mut cumulative = 0;
        for (i, le) in buckets.iter().enumerate() {
            cumulative += rng.next() % 5_000;
            let _ = write!(
                out,
                "http_request_duration_seconds_bucket{{handler=\"/api/v1/resource/{h}\",method=\"GET\",le=\"{le}\"}} {cumulative}"
            );
            if om && i % 4 == 1 {
                let _ = write!(
                    out,
                    " # {{trace_id=\"{:032x}\"}} 0.0{} 1714039206.981",
                    rng.next(),
                    i
                );
            }
            out.push('\n');
        }
        let sum = rng.float(10_000);
        let _ = writeln!(
            out,
            "http_request_duration_seconds_sum{{handler=\"/api/v1/resource/{h}\",method=\"GET\"}} {sum}"
        );
        let _ = writeln!(
            out,
            "http_request_duration_seconds_count{{handler=\"/api/v1/resource/{h}\",method=\"GET\"}} {cumulative}"
        );
    }

    family(
        &mut out,
        om,
        "go_gc_duration_seconds",
        "summary",
        "seconds",
        "GC pause durations.",
    );
    for q in ["0", "0.25", "0.5", "0.75", "1"] {
        let v = rng.float(10) / 1000.0;
        let _ = writeln!(out, "go_gc_duration_seconds{{quantile=\"{q}\"}} {v:e}");
    }
    let _ = writeln!(out, "go_gc_duration_seconds_sum 0.412519386");
    let _ = writeln!(out, "go_gc_duration_seconds_count 6184");

    for (metric, help) in [
        (
            "go_goroutines",
            "Number of goroutines that currently exist.",
        ),
        ("node_load1", "1m load average."),
        (
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
        ),
    ] {
        family(&mut out, om, metric, "gauge", "", help);
        let v = rng.float(1_000_000);
        let _ = writeln!(out, "{metric} {v}");
    }
    if om {
        out.push_str("# EOF\n");
    }
    out
}

/// A body of about `TARGET_BYTES`.
fn sized_exposition(om: bool) -> String {
    let unit = exposition(om, 1).len();
    exposition(om, (TARGET_BYTES / unit).max(1))
}

/// Parses the whole body, touching every entry.
fn consume(input: &[u8], format: Format) -> f64 {
    let mut parser = Parser::new(input, format);
    let mut acc = 0.0;
    while let Some(entry) = parser.next().expect("bench input parses") {
        match entry {
            Entry::Sample(s) => {
                acc += s.value + (s.labels.len() + s.name.len()) as f64;
                if let Some(e) = s.exemplar {
                    acc += e.value + e.labels.len() as f64;
                }
            }
            Entry::Help { text, .. } => acc += text.len() as f64,
            Entry::Type { .. } | Entry::Unit { .. } => acc += 1.0,
        }
    }
    acc
}

fn exposition_parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("exposition_parse");
    for (id, format) in [
        ("prometheus_text", Format::PrometheusText),
        ("openmetrics", Format::OpenMetrics),
    ] {
        let body = sized_exposition(format == Format::OpenMetrics);
        assert!(consume(body.as_bytes(), format).is_finite());
        g.throughput(Throughput::Bytes(body.len() as u64));
        g.bench_function(id, |b| {
            b.iter(|| consume(black_box(body.as_bytes()), format))
        });
    }
    g.finish();
}

criterion_group!(benches, exposition_parse);
criterion_main!(benches);
