//! Load generators that work against Outpost and against the real
//! components alike: `outpost loadgen remote-write` (remote write 1.0,
//! samples/s and, given the server's pid, samples per server CPU-second and
//! resident memory per series) and `outpost loadgen otlp-traces` (OTLP
//! `ExportTraceServiceRequest`s over gRPC or HTTP/protobuf, spans per server
//! CPU-second and resident memory per span).

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use clap::{Args, Subcommand};
use outpost_clock::Stopwatch;
use outpost_config::PromDuration;
use outpost_ingest::encode;
use outpost_ingest::proto::{Label, Sample, TimeSeries, WriteRequest};

/// Load generators.
#[derive(Debug, Subcommand)]
pub(crate) enum LoadgenCmd {
    /// Send remote-write 1.0 requests.
    RemoteWrite(RemoteWriteArgs),
    /// Send OTLP trace export requests.
    OtlpTraces(OtlpTracesArgs),
}

#[derive(Debug, Args)]
pub(crate) struct OtlpTracesArgs {
    /// Receiver URL: `http://127.0.0.1:4317` for gRPC,
    /// `http://127.0.0.1:4318/v1/traces` for HTTP.
    #[arg(long)]
    url: String,
    /// `grpc` (unary TraceService/Export over HTTP/2) or `http` (OTLP/HTTP protobuf).
    #[arg(long, default_value = "grpc")]
    protocol: String,
    /// Spans per request (10 spans per trace, 10 attributes per span).
    #[arg(long = "spans-per-request", default_value_t = 512)]
    spans_per_request: usize,
    /// How long to send (Prometheus duration).
    #[arg(long, default_value = "30s")]
    duration: String,
    /// Requests in flight.
    #[arg(long, default_value_t = 2)]
    concurrency: usize,
    /// Pid of the server, to report its CPU time and resident memory.
    #[arg(long = "server-pid")]
    server_pid: Option<u32>,
}

#[derive(Debug, Args)]
pub(crate) struct RemoteWriteArgs {
    /// Receiver URL, e.g. http://127.0.0.1:9090/api/v1/write.
    #[arg(long)]
    url: String,
    /// Distinct series (8 labels each, node_exporter-like).
    #[arg(long, default_value_t = 10_000)]
    series: usize,
    /// Samples per request (one sample per series per request).
    #[arg(long = "samples-per-request", default_value_t = 2_000)]
    samples_per_request: usize,
    /// How long to send (Prometheus duration).
    #[arg(long, default_value = "30s")]
    duration: String,
    /// Requests in flight.
    #[arg(long, default_value_t = 2)]
    concurrency: usize,
    /// Pid of the server, to report its CPU time and resident memory.
    #[arg(long = "server-pid")]
    server_pid: Option<u32>,
}

pub(crate) fn run(cmd: LoadgenCmd) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let done = match cmd {
        LoadgenCmd::RemoteWrite(args) => rt.block_on(remote_write(args)),
        LoadgenCmd::OtlpTraces(args) => rt.block_on(otlp_traces(args)),
    };
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Utime + stime of a process in seconds, and its resident set in bytes.
fn proc_usage(pid: u32) -> Option<(f64, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_comm = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = after_comm.split_whitespace().collect();
    let ticks = 100.0; // USER_HZ on Linux
    let cpu = (f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?) / ticks;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let rss_kib: u64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some((cpu, rss_kib * 1024))
}

/// What a load run sent.
struct Counts {
    requests: u64,
    sent: u64,
    failed: u64,
}

/// Prints a run's figures; with the server's pid and its usage before the
/// run, also its CPU seconds, items per CPU-second and resident memory
/// growth divided by `per` (e.g. series held, spans accepted).
fn report(unit: &str, c: &Counts, secs: f64, server: Option<((f64, u64), u32)>, per: (&str, u64)) {
    println!("requests: {}", c.requests);
    println!("{unit} accepted: {}", c.sent);
    println!("{unit} failed: {}", c.failed);
    println!("elapsed seconds: {secs:.2}");
    println!("{unit}/s: {:.0}", c.sent as f64 / secs);
    if let Some(((cpu0, rss0), pid)) = server
        && let Some((cpu1, rss1)) = proc_usage(pid)
    {
        let cpu = cpu1 - cpu0;
        println!("server cpu seconds: {cpu:.2}");
        println!(
            "{unit} per server cpu second: {:.0}",
            c.sent as f64 / cpu.max(0.01)
        );
        println!("server rss bytes: {rss1} (before {rss0})");
        println!(
            "server rss per {} (delta / {}): {:.0} bytes",
            per.0,
            per.0,
            (rss1 as f64 - rss0 as f64) / per.1.max(1) as f64
        );
    }
}

fn series_labels(i: usize) -> Vec<Label> {
    let l = |n: &str, v: String| Label {
        name: n.into(),
        value: v,
    };
    vec![
        l("__name__", format!("loadgen_metric_{}", i % 50)),
        l("container", "app".into()),
        l("env", "dev".into()),
        l(
            "instance",
            format!("10.0.{}.{}:9100", i / 250 % 256, i % 250),
        ),
        l("job", format!("job-{}", i % 10)),
        l("namespace", format!("ns-{}", i % 20)),
        l("pod", format!("pod-{i}")),
        l("region", format!("eu-{}", i % 3)),
    ]
}

async fn remote_write(a: RemoteWriteArgs) -> Result<(), String> {
    let duration = PromDuration::parse(&a.duration)?.0;
    let labels: Arc<Vec<Vec<Label>>> = Arc::new((0..a.series).map(series_labels).collect());
    let per_req = a.samples_per_request.clamp(1, a.series.max(1));
    let batches = a.series.div_ceil(per_req);
    let client = reqwest::Client::new();
    let sent = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let requests = Arc::new(AtomicU64::new(0));
    let before = a.server_pid.and_then(proc_usage);
    let sw = Stopwatch::start();
    // Worker w sends batches w, w+c, ...; each round advances the timestamp, so
    // every series gets strictly increasing timestamps.
    let mut tasks = Vec::new();
    for w in 0..a.concurrency.max(1) {
        let (labels, client, url) = (labels.clone(), client.clone(), a.url.clone());
        let (sent, failed, requests) = (sent.clone(), failed.clone(), requests.clone());
        let c = a.concurrency.max(1);
        tasks.push(tokio::spawn(async move {
            let t0 = 1_700_000_000_000i64;
            let mut round = 0i64;
            while sw.elapsed() < duration {
                round += 1;
                for b in (w..batches).step_by(c) {
                    let lo = b * per_req;
                    let hi = (lo + per_req).min(labels.len());
                    let req = WriteRequest {
                        timeseries: (lo..hi)
                            .map(|i| TimeSeries {
                                labels: labels[i].clone(),
                                samples: vec![Sample {
                                    value: (round as f64) * ((i % 7) as f64),
                                    timestamp: t0 + round * 1000,
                                }],
                                ..Default::default()
                            })
                            .collect(),
                        metadata: vec![],
                    };
                    let body = encode(&req);
                    let r = client
                        .post(&url)
                        .header("Content-Encoding", "snappy")
                        .header("Content-Type", "application/x-protobuf")
                        .header("X-Prometheus-Remote-Write-Version", "0.1.0")
                        .body(body)
                        .send()
                        .await;
                    requests.fetch_add(1, Ordering::Relaxed);
                    match r {
                        Ok(resp) if resp.status().is_success() => {
                            sent.fetch_add((hi - lo) as u64, Ordering::Relaxed);
                        }
                        Ok(resp) => {
                            failed.fetch_add((hi - lo) as u64, Ordering::Relaxed);
                            if failed.load(Ordering::Relaxed) <= (hi - lo) as u64 {
                                eprintln!(
                                    "receiver answered {}: {}",
                                    resp.status(),
                                    resp.text().await.unwrap_or_default()
                                );
                            }
                        }
                        Err(e) => {
                            failed.fetch_add((hi - lo) as u64, Ordering::Relaxed);
                            eprintln!("request failed: {e}");
                            // clock-guard: wall time (load generator pacing against a real server)
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                    if sw.elapsed() >= duration {
                        break;
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    report(
        "samples",
        &Counts {
            requests: requests.load(Ordering::Relaxed),
            sent: sent.load(Ordering::Relaxed),
            failed: failed.load(Ordering::Relaxed),
        },
        sw.elapsed().as_secs_f64(),
        before.zip(a.server_pid),
        ("series", a.series as u64),
    );
    Ok(())
}

/// One export request of `n` spans: traces of 10 spans (a root and nine
/// children) over 10 services, 10 attributes per span; ids derive from `seq`
/// so every request brings new traces.
fn trace_request(
    seq: u64,
    n: usize,
) -> outpost_otlp::proto::collector::trace::v1::ExportTraceServiceRequest {
    use outpost_otlp::proto::collector::trace::v1::ExportTraceServiceRequest;
    use outpost_otlp::proto::common::v1::{AnyValue, KeyValue, any_value};
    use outpost_otlp::proto::resource::v1::Resource;
    use outpost_otlp::proto::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};
    let kv = |k: &str, v: any_value::Value| KeyValue {
        key: k.into(),
        value: Some(AnyValue { value: Some(v) }),
        ..Default::default()
    };
    let s = |v: String| any_value::Value::StringValue(v);
    let t0: u64 = 1_700_000_000_000_000_000 + seq * 1_000_000_000;
    let mut by_service: Vec<Vec<Span>> = vec![Vec::new(); 10];
    for i in 0..n {
        let trace = seq * n as u64 + (i / 10) as u64;
        let j = (i % 10) as u64;
        let start = t0 + j * 1_000_000;
        let span = Span {
            trace_id: (u128::from(trace) + (1 << 64)).to_be_bytes().to_vec(),
            span_id: (trace * 16 + j + 1).to_be_bytes().to_vec(),
            parent_span_id: if j == 0 {
                vec![]
            } else {
                (trace * 16 + 1).to_be_bytes().to_vec()
            },
            name: format!("GET /api/v1/items/{}", i % 20),
            kind: if j == 0 { 2 } else { 3 },
            start_time_unix_nano: start,
            end_time_unix_nano: start + 1_000_000 * (1 + i as u64 % 50),
            attributes: vec![
                kv("http.method", s("GET".into())),
                kv("http.route", s(format!("/api/v1/items/{}", i % 20))),
                kv(
                    "http.status_code",
                    any_value::Value::IntValue(200 + (i % 5) as i64 * 100),
                ),
                kv("net.peer.name", s(format!("10.0.{}.{}", i % 7, i % 13))),
                kv("user.id", s(format!("user-{}", trace % 1000))),
                kv("request.id", s(format!("{trace:x}-{j}"))),
                kv("thread.id", any_value::Value::IntValue((i % 16) as i64)),
                kv("cache.hit", any_value::Value::BoolValue(i % 3 == 0)),
                kv("db.system", s("postgresql".into())),
                kv("component", s("http".into())),
            ],
            status: Some(Status {
                code: if i % 50 == 0 { 2 } else { 0 },
                ..Default::default()
            }),
            ..Default::default()
        };
        by_service[i % 10].push(span);
    }
    ExportTraceServiceRequest {
        resource_spans: by_service
            .into_iter()
            .enumerate()
            .filter(|(_, spans)| !spans.is_empty())
            .map(|(k, spans)| ResourceSpans {
                resource: Some(Resource {
                    attributes: vec![
                        kv("service.name", s(format!("service-{k}"))),
                        kv("host.name", s(format!("host-{k}"))),
                    ],
                    ..Default::default()
                }),
                scope_spans: vec![ScopeSpans {
                    spans,
                    ..Default::default()
                }],
                ..Default::default()
            })
            .collect(),
    }
}

async fn otlp_traces(a: OtlpTracesArgs) -> Result<(), String> {
    use prost::Message as _;
    let duration = PromDuration::parse(&a.duration)?.0;
    let grpc = match a.protocol.as_str() {
        "grpc" => true,
        "http" => false,
        p => return Err(format!("unknown protocol {p:?}: want grpc or http")),
    };
    let url = if grpc {
        format!(
            "{}/opentelemetry.proto.collector.trace.v1.TraceService/Export",
            a.url.trim_end_matches('/')
        )
    } else {
        a.url.clone()
    };
    let mut builder = reqwest::Client::builder();
    if grpc {
        builder = builder.http2_prior_knowledge();
    }
    let client = builder.build().map_err(|e| e.to_string())?;
    let n = a.spans_per_request.max(10);
    let sent = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let requests = Arc::new(AtomicU64::new(0));
    let seq = Arc::new(AtomicU64::new(0));
    let before = a.server_pid.and_then(proc_usage);
    let sw = Stopwatch::start();
    let mut tasks = Vec::new();
    for _ in 0..a.concurrency.max(1) {
        let (client, url) = (client.clone(), url.clone());
        let (sent, failed, requests, seq) =
            (sent.clone(), failed.clone(), requests.clone(), seq.clone());
        tasks.push(tokio::spawn(async move {
            while sw.elapsed() < duration {
                let msg = trace_request(seq.fetch_add(1, Ordering::Relaxed), n).encode_to_vec();
                let req = if grpc {
                    let mut body = Vec::with_capacity(msg.len() + 5);
                    body.push(0);
                    body.extend_from_slice(&(msg.len() as u32).to_be_bytes());
                    body.extend_from_slice(&msg);
                    client
                        .post(&url)
                        .header("content-type", "application/grpc")
                        .header("te", "trailers")
                        .body(body)
                } else {
                    client
                        .post(&url)
                        .header("content-type", "application/x-protobuf")
                        .body(msg)
                };
                requests.fetch_add(1, Ordering::Relaxed);
                match req.send().await {
                    Ok(resp)
                        if resp.status().is_success()
                            && resp
                                .headers()
                                .get("grpc-status")
                                .is_none_or(|s| s.as_bytes() == b"0") =>
                    {
                        // gRPC puts the status in trailers; reading the body gets them.
                        let _ = resp.bytes().await;
                        sent.fetch_add(n as u64, Ordering::Relaxed);
                    }
                    Ok(resp) => {
                        if failed.fetch_add(n as u64, Ordering::Relaxed) == 0 {
                            eprintln!("receiver answered {}: {:?}", resp.status(), resp.headers());
                        }
                    }
                    Err(e) => {
                        failed.fetch_add(n as u64, Ordering::Relaxed);
                        eprintln!("request failed: {e}");
                        // clock-guard: wall time (load generator pacing against a real server)
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    let spans = sent.load(Ordering::Relaxed);
    report(
        "spans",
        &Counts {
            requests: requests.load(Ordering::Relaxed),
            sent: spans,
            failed: failed.load(Ordering::Relaxed),
        },
        sw.elapsed().as_secs_f64(),
        before.zip(a.server_pid),
        ("span accepted", spans.max(1)),
    );
    Ok(())
}
