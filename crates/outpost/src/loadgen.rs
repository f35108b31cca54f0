//! `outpost loadgen remote-write`: a remote-write 1.0 load generator that
//! works against Outpost and against a real Prometheus alike, reporting
//! samples/s and, given the server's pid, samples per server CPU-second and
//! resident memory per series.

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
    let LoadgenCmd::RemoteWrite(args) = cmd;
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
    match rt.block_on(remote_write(args)) {
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
    let secs = sw.elapsed().as_secs_f64();
    let samples = sent.load(Ordering::Relaxed);
    println!("requests: {}", requests.load(Ordering::Relaxed));
    println!("samples accepted: {samples}");
    println!("samples failed: {}", failed.load(Ordering::Relaxed));
    println!("elapsed seconds: {secs:.2}");
    println!("samples/s: {:.0}", samples as f64 / secs);
    if let (Some((cpu0, rss0)), Some(pid)) = (before, a.server_pid)
        && let Some((cpu1, rss1)) = proc_usage(pid)
    {
        let cpu = cpu1 - cpu0;
        println!("server cpu seconds: {cpu:.2}");
        println!(
            "samples per server cpu second: {:.0}",
            samples as f64 / cpu.max(0.01)
        );
        println!("server rss bytes: {rss1} (before {rss0})");
        println!(
            "server rss per series (delta / series): {:.0} bytes",
            (rss1 as f64 - rss0 as f64) / a.series as f64
        );
    }
    Ok(())
}
