//! `outpost`: one process standing in for the observability stack of a
//! monitoring-configs tree. `outpost serve` (the default) opens every listener;
//! `outpost check` validates configs as promtool and amtool do.

mod alerting;
mod beats;
mod check_cmd;
mod check_routes;
mod embedded;
mod es_tls;
mod loadgen;
mod logs_rt;
mod rules_rt;
mod serve;
mod test_cmd;
mod traces_rt;

/// mimalloc instead of glibc's malloc: the ingest paths allocate per
/// request and per span, and glibc's arenas cost a third of the OTLP trace
/// ingest profile (`outpost loadgen otlp-traces` under `perf record`).
/// Built with `no_thp`: with transparent huge pages its idle RSS doubles.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Outpost: Prometheus, Alertmanager, Jaeger and Elasticsearch stand-ins in one binary.
#[derive(Debug, Parser)]
#[command(name = "outpost", version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Load a monitoring-configs stack and serve every listener (the default).
    Serve(Box<ServeArgs>),
    /// Validate a monitoring-configs directory or single config files.
    Check(CheckArgs),
    /// Run PromQL test scripts (Prometheus' promqltest format).
    Promqltest(PromqltestArgs),
    /// Run unit tests (`test rules`: promtool's rule unit tests).
    #[command(subcommand)]
    Test(test_cmd::TestCmd),
    /// Generate load against a receiver and report throughput.
    #[command(subcommand)]
    Loadgen(loadgen::LoadgenCmd),
}

/// Which clock runs the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ClockArg {
    /// Wall-clock time.
    System,
    /// Time moves only through /outpost/v1/clock/advance and /set.
    Manual,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// A monitoring-configs directory; the embedded e-commerce stack when omitted.
    #[arg(value_name = "DIR")]
    dir: Option<PathBuf>,
    /// A prometheus.yml to load instead of the directory's.
    #[arg(long = "prometheus.config", value_name = "FILE")]
    prometheus_config: Option<PathBuf>,
    /// An alertmanager.yml to load instead of the directory's.
    #[arg(long = "alertmanager.config", value_name = "FILE")]
    alertmanager_config: Option<PathBuf>,
    /// Host every listener binds to.
    #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
    bind: String,
    /// Override one listener: NAME=HOST:PORT (port 0 picks a free port) or NAME=off.
    #[arg(long = "listen", value_name = "NAME=ADDR")]
    listen: Vec<String>,
    /// Write the bound addresses as JSON to FILE once every listener is ready.
    #[arg(long = "ports-file", value_name = "FILE")]
    ports_file: Option<PathBuf>,
    /// Clock: system time, or a manual clock moved through the API.
    #[arg(long, value_enum, default_value_t = ClockArg::System)]
    clock: ClockArg,
    /// Start time of the manual clock (RFC 3339); now when omitted.
    #[arg(long = "clock.start", value_name = "TIME")]
    clock_start: Option<String>,
    /// How long samples are kept (Prometheus duration).
    #[arg(
        long = "storage.tsdb.retention.time",
        default_value = "6h",
        value_name = "DURATION"
    )]
    retention: String,
    /// Most series held at once; new series beyond it are rejected and counted.
    #[arg(
        long = "storage.tsdb.max-series",
        default_value_t = 1_000_000,
        value_name = "N"
    )]
    max_series: usize,
    /// Most spans the trace store holds; the oldest traces are evicted whole beyond it.
    #[arg(
        long = "traces.max-spans",
        default_value_t = 1_000_000,
        value_name = "N"
    )]
    traces_max_spans: usize,
    #[command(flatten)]
    traces_metrics: crate::traces_rt::TracesMetricsFlags,
    /// Most bytes the log store holds; the oldest whole indices are evicted beyond it.
    #[arg(long = "logs.max-bytes", default_value_t = 1 << 30, value_name = "BYTES")]
    logs_max_bytes: u64,
    /// Elasticsearch API users (`user:password` lines) when elasticsearch.yml enables security.
    #[arg(long = "elasticsearch.users", value_name = "FILE")]
    elasticsearch_users: Option<PathBuf>,
    /// Serve the Elasticsearch API over HTTPS with a self-signed certificate generated at start
    /// (written as `elasticsearch-http.crt` beside the ports file, else in the data dir, else the
    /// temp dir), as `xpack.security.http.ssl.enabled: true` has it in production.
    #[arg(long = "elasticsearch.tls")]
    elasticsearch_tls: bool,
    /// The URL Outpost is reachable at (alert generator links, templates' `$externalURL`).
    #[arg(long = "web.external-url", value_name = "URL")]
    external_url: Option<String>,
    /// Log level filter (error, warn, info, debug, trace or a tracing directive).
    #[arg(long = "log.level", default_value = "info", value_name = "LEVEL")]
    log_level: String,
    /// Enable `/-/reload` and `/-/quit` on the prometheus listener (403 without it, as Prometheus).
    #[arg(long = "web.enable-lifecycle")]
    enable_lifecycle: bool,
    /// Reload when a config or rule file's checksum changes, checked at this interval of
    /// wall time (configs on disk only; `0s` turns it off).
    #[arg(
        long = "config.auto-reload-interval",
        default_value = "1s",
        value_name = "DURATION"
    )]
    auto_reload_interval: String,
    /// Most samples a query may hold in memory at once (422 `execution` beyond it).
    #[arg(
        long = "query.max-samples",
        default_value_t = 50_000_000,
        value_name = "N"
    )]
    query_max_samples: usize,
    /// Longest a query may run (503 `timeout` beyond it).
    #[arg(long = "query.timeout", default_value = "2m", value_name = "DURATION")]
    query_timeout: String,
    /// Most queries evaluated at once; more wait for a slot.
    #[arg(long = "query.max-concurrency", default_value_t = 20, value_name = "N")]
    query_max_concurrency: usize,
    /// Deliver email/Slack/PagerDuty notifications for real (off: rendered into the outbox only).
    #[arg(long = "notify.deliver")]
    notify_deliver: bool,
    /// Keep silences and the notification log here across restarts (in memory when omitted).
    #[arg(long = "data-dir", value_name = "DIR")]
    data_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct PromqltestArgs {
    /// `.test` files.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// Evaluate as Prometheus 2.x does (closed window boundaries), for the scripts of a 2.x release.
    #[arg(long = "prometheus2")]
    prometheus2: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
struct CheckArgs {
    /// `routes`: the receivers an alert reaches.
    #[command(subcommand)]
    sub: Option<check_routes::CheckSub>,
    /// Directories (monitoring-configs trees) or files; the embedded stack when omitted.
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
}

/// Runs the scripts; prints each failure with file and line, then the totals.
fn promqltest(args: &PromqltestArgs) -> ExitCode {
    let mut total = outpost_promql::promqltest::Summary::default();
    for f in &args.files {
        match outpost_promql::promqltest::run_file_with(f, args.prometheus2) {
            Ok(s) => total.merge(s),
            Err(e) => {
                eprintln!("{}: {e}", f.display());
                return ExitCode::FAILURE;
            }
        }
    }
    println!("{total}");
    if total.is_success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // One TLS crypto provider (ring) for every HTTP client of the process.
    outpost_http_client::install_crypto_provider();
    match cli.cmd {
        Some(Cmd::Check(CheckArgs { sub: Some(sub), .. })) => check_routes::run(&sub),
        Some(Cmd::Check(args)) => check_cmd::run(&args),
        Some(Cmd::Loadgen(cmd)) => loadgen::run(cmd),
        Some(Cmd::Promqltest(args)) => promqltest(&args),
        Some(Cmd::Test(cmd)) => test_cmd::run(cmd),
        Some(Cmd::Serve(args)) => serve::run(*args),
        None => serve::run(cli.serve),
    }
}
