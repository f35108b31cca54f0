//! `outpost serve`: load the stack, open every listener, run until SIGINT/SIGTERM,
//! reload on SIGHUP or `POST /-/reload`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use axum::Router;
use outpost_api::jaeger::SpmState;
use outpost_api::lifecycle::LifecycleState;
use outpost_api::otlp_logs::{self, OtlpLogsState};
use outpost_api::{
    AmState, EsState, HealthTexts, JaegerState, LISTENERS, Listener, ListenerSpec, OtlpCounters,
    OtlpState, OutpostState, PromState, Protocol, Readiness, Reload, RemoteWriteCounters,
    SelfMetrics, am, es, health, jaeger, lifecycle, metrics, otlp, prom,
};
use outpost_clock::{Clock, Stopwatch};
use outpost_config::{Files, PromDuration, Stack, StackPaths, load_stack};
use outpost_scrape::ScrapeManager;
use outpost_tsdb::{HeadOptions as TsdbOptions, Tsdb};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing::{error, info, warn};

use crate::embedded::EMBEDDED_STACK;
use crate::{ClockArg, ServeArgs};

/// Longest a graceful shutdown may take before the process exits anyway.
const SHUTDOWN_GRACE: Duration = Duration::from_millis(1800);

pub(crate) fn run(args: ServeArgs) -> ExitCode {
    let startup = Stopwatch::start();
    init_tracing(&args.log_level);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(serve(args, startup)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("{e:#}");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

fn stack_paths(args: &ServeArgs) -> StackPaths {
    match (
        &args.dir,
        &args.prometheus_config,
        &args.alertmanager_config,
    ) {
        (None, None, None) => StackPaths::tree(
            Files::Embedded(EMBEDDED_STACK),
            "",
            outpost_rules::check_template,
        ),
        (dir, prom, am) => StackPaths {
            files: Files::Disk,
            root: dir.clone(),
            prometheus: prom.clone(),
            alertmanager: am.clone(),
            templates: outpost_rules::check_template,
        },
    }
}

fn make_clock(args: &ServeArgs) -> Result<Clock> {
    Ok(match (args.clock, &args.clock_start) {
        (ClockArg::System, None) => Clock::system(),
        (ClockArg::System, Some(_)) => bail!("--clock.start needs --clock manual"),
        (ClockArg::Manual, None) => Clock::manual_from_now(),
        (ClockArg::Manual, Some(t)) => {
            let ms = outpost_clock::text::parse_rfc3339(t)
                .with_context(|| format!("invalid --clock.start {t:?}"))?;
            Clock::manual(ms)
        }
    })
}

/// Holds the running configuration and swaps in a new one when it validates.
struct ConfigRuntime {
    paths: StackPaths,
    current: watch::Sender<Arc<Stack>>,
    metrics: Arc<SelfMetrics>,
    clock: Clock,
    serialize: Mutex<()>,
}

fn log_warnings(stack: &Stack) {
    for w in stack.warnings() {
        warn!(file = %w.file, line = w.line, "{}", w.message);
    }
}

fn error_text(stack: &Stack) -> String {
    stack
        .errors()
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl ConfigRuntime {
    /// A checksum of the files the running configuration was read from (and
    /// of every file below a monitoring-configs root), for auto-reload.
    fn checksum(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let files = self.paths.files;
        let mut paths: Vec<std::path::PathBuf> = Vec::new();
        if let Some(root) = &self.paths.root {
            paths.extend(files.list(root));
        }
        paths.extend(self.paths.prometheus.iter().cloned());
        paths.extend(self.paths.alertmanager.iter().cloned());
        paths.extend(
            self.current
                .borrow()
                .rule_files
                .iter()
                .map(|r| r.path.clone()),
        );
        paths.sort();
        paths.dedup();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for p in &paths {
            p.hash(&mut h);
            files.read(p).ok().hash(&mut h);
        }
        h.finish()
    }
}

impl Reload for ConfigRuntime {
    fn reload(&self) -> Result<(), String> {
        let _one_at_a_time = self.serialize.lock().unwrap_or_else(|e| e.into_inner());
        let stack = load_stack(&self.paths);
        let now = self.clock.now_ms();
        if !stack.is_ok() {
            self.metrics.record_reload(false, now);
            let msg = error_text(&stack);
            error!(error = %msg, "error reloading config; keeping the running configuration");
            return Err(msg);
        }
        let warnings = stack.warnings().len();
        self.current.send_replace(Arc::new(stack));
        self.metrics.record_reload(true, now);
        info!(warnings, "completed loading of configuration files");
        Ok(())
    }
}

/// Where each listener binds, after `--bind` and `--listen` are applied.
fn plan_listeners(bind: &str, overrides: &[String]) -> Result<Vec<(ListenerSpec, Option<String>)>> {
    let host = if bind.contains(':') && !bind.starts_with('[') {
        format!("[{bind}]")
    } else {
        bind.to_string()
    };
    let mut plan: Vec<(ListenerSpec, Option<String>)> = LISTENERS
        .iter()
        .map(|l| (*l, Some(format!("{host}:{}", l.port))))
        .collect();
    for o in overrides {
        let (name, value) = o
            .split_once('=')
            .ok_or_else(|| anyhow!("--listen {o:?}: expected NAME=HOST:PORT or NAME=off"))?;
        let Some(slot) = plan.iter_mut().find(|(l, _)| l.name == name) else {
            let names: Vec<&str> = LISTENERS.iter().map(|l| l.name).collect();
            bail!(
                "--listen {o:?}: unknown listener {name:?}; known: {}",
                names.join(", ")
            );
        };
        slot.1 = match value {
            "off" => None,
            v if v.parse::<u16>().is_ok() => Some(format!("{host}:{v}")),
            v if v.contains(':') => Some(v.to_string()),
            v => bail!("--listen {o:?}: {v:?} is not HOST:PORT, PORT or off"),
        };
    }
    Ok(plan)
}

fn write_ports_file(path: &Path, bound: &BTreeMap<&'static str, SocketAddr>) -> Result<()> {
    let map: serde_json::Map<String, serde_json::Value> = bound
        .iter()
        .map(|(k, v)| (k.to_string(), serde_json::Value::String(v.to_string())))
        .collect();
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&map)?)
        .with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

async fn serve(args: ServeArgs, startup: Stopwatch) -> Result<()> {
    let clock = make_clock(&args)?;
    let paths = stack_paths(&args);
    let stack = load_stack(&paths);
    if !stack.is_ok() {
        for e in stack.errors() {
            eprintln!("{e}");
        }
        bail!("invalid configuration; run `outpost check` for a per-file report");
    }
    log_warnings(&stack);
    let source = match (&args.dir, paths.files) {
        (_, Files::Embedded(_)) => "embedded e-commerce stack".to_string(),
        (Some(d), _) => d.display().to_string(),
        (None, _) => "config files".to_string(),
    };
    info!(
        source = %source,
        scrape_jobs = stack.prometheus.as_ref().map_or(0, |p| p.scrape_configs.len()),
        rule_files = stack.rule_files.len(),
        receivers = stack.alertmanager.as_ref().map_or(0, |a| a.receivers.len()),
        clock = clock.mode().as_str(),
        "configuration loaded"
    );

    let retention = PromDuration::parse(&args.retention)
        .map_err(|e| anyhow!("--storage.tsdb.retention.time: {e}"))?;
    let query_timeout =
        PromDuration::parse(&args.query_timeout).map_err(|e| anyhow!("--query.timeout: {e}"))?;
    let auto_reload = PromDuration::parse(&args.auto_reload_interval)
        .map_err(|e| anyhow!("--config.auto-reload-interval: {e}"))?;
    if args.query_max_concurrency == 0 {
        bail!("--query.max-concurrency must be at least 1");
    }

    // Bind first, so URLs derived from ports (external URLs, the embedded
    // Alertmanager's address) use the ports actually bound (port 0 included).
    let plan = plan_listeners(&args.bind, &args.listen)?;
    let mut bound = BTreeMap::new();
    let mut sockets = Vec::new();
    for (spec, addr) in plan {
        let Some(addr) = addr else {
            info!(listener = spec.name, "listener disabled");
            continue;
        };
        let listener = TcpListener::bind(&addr)
            .await
            .with_context(|| format!("listener {}: cannot bind {addr}", spec.name))?;
        bound.insert(spec.name, listener.local_addr()?);
        sockets.push((spec, listener));
    }
    let port_of = |l: Listener| bound.get(l.name()).map_or(l.spec().port, |a| a.port());

    let tsdb = Arc::new(Tsdb::new(TsdbOptions {
        max_series: args.max_series,
        ..TsdbOptions::default()
    }));
    let metrics = Arc::new(SelfMetrics::new(clock.now_ms()));
    let remote_write = Arc::new(RemoteWriteCounters::default());
    register_collectors(&metrics, &tsdb, &remote_write);
    let otlp = Arc::new(OtlpCounters::default());
    {
        let otlp = otlp.clone();
        metrics.register(Box::new(move |w: &mut String| otlp.render(w)));
    }
    spawn_retention(tsdb.clone(), clock.clone(), retention);
    let trace_metrics = args.traces_metrics.build(&clock);
    trace_metrics.register_metrics(&metrics);
    let jaeger_state = traces_family(&args, &clock, &metrics, &trace_metrics)?;
    let es_state = crate::logs_rt::start(&args, &stack, &clock, &metrics)?;
    let otlp_logs = OtlpLogsState {
        store: es_state.store.clone(),
        counters: Arc::default(),
    };
    {
        let c = otlp_logs.counters.clone();
        metrics.register(Box::new(move |w: &mut String| c.render(w)));
    }
    let files = paths.files;
    let (config_tx, config_rx) = watch::channel(Arc::new(stack));
    let scrape = Arc::new(ScrapeManager::new(tsdb.clone(), clock.clone(), None));
    register_scrape_collector(&metrics, &scrape);
    spawn_config_followers(config_rx, scrape.clone(), files);
    let runtime = Arc::new(ConfigRuntime {
        paths,
        current: config_tx,
        metrics: metrics.clone(),
        clock: clock.clone(),
        serialize: Mutex::new(()),
    });
    let am_port = port_of(Listener::Alertmanager);
    let alertmanager = crate::alerting::start(
        &runtime.current.borrow(),
        runtime.current.subscribe(),
        &clock,
        &metrics,
        &args,
        files,
        format!("http://localhost:{am_port}"),
    )?;
    let am_state = AmState::new(alertmanager.clone());
    {
        let (rw, otlp, am, traces, es, logs) = (
            remote_write.clone(),
            otlp.clone(),
            am_state.too_large.clone(),
            jaeger_state.counters.clone(),
            es_state.counters.clone(),
            otlp_logs.counters.clone(),
        );
        metrics.register(Box::new(move |w: &mut String| {
            let [otlp_http, otlp_grpc] = otlp.body_too_large();
            let [logs_http, logs_grpc] = logs.body_too_large();
            let [t1, t2, t3, t4, t5] = traces.body_too_large();
            outpost_api::render_body_too_large(
                w,
                &[
                    rw.body_too_large(),
                    otlp_http,
                    otlp_grpc,
                    &am,
                    t1,
                    t2,
                    t3,
                    t4,
                    t5,
                    es.body_too_large(),
                    logs_http,
                    logs_grpc,
                ],
            );
        }));
    }
    let engine = Arc::new(outpost_promql::Engine::new(
        tsdb.clone(),
        outpost_promql::EngineOptions {
            max_samples: args.query_max_samples,
            timeout: query_timeout.0,
            ..Default::default()
        },
    ));
    let rules = crate::rules_rt::start(
        crate::rules_rt::Deps {
            clock: &clock,
            tsdb: &tsdb,
            engine: &engine,
            metrics: &metrics,
        },
        runtime.current.subscribe(),
        external_url(&args, port_of(Listener::Prometheus)),
        am_port,
        Some(crate::alerting::rules_sink(&alertmanager)),
    );

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let spm = SpmState {
        clock: clock.clone(),
        promql: engine.clone(),
        enabled: trace_metrics.spm_enabled(),
    };
    let _ = crate::traces_rt::spawn(
        trace_metrics,
        tsdb.clone(),
        clock.clone(),
        shutdown_rx.clone(),
    );
    let quit_requested = Arc::new(tokio::sync::Notify::new());
    let ready = Readiness::default();
    let families = Families {
        ready: ready.clone(),
        metrics: metrics.clone(),
        prom: PromState {
            clock: clock.clone(),
            tsdb: tsdb.clone(),
            promql: engine,
            scrape: scrape.clone(),
            rules: rules.manager.clone(),
            config: runtime.current.subscribe(),
            flags: Arc::new(flag_map(&args)),
            metrics: metrics.clone(),
            remote_write,
            query_gate: Arc::new(tokio::sync::Semaphore::new(args.query_max_concurrency)),
        },
        am: am_state.clone(),
        otlp: OtlpState {
            clock: clock.clone(),
            tsdb: tsdb.clone(),
            otlp,
        },
        outpost: OutpostState {
            clock: clock.clone(),
        },
        jaeger: jaeger_state,
        es: es_state,
        otlp_logs,
        spm,
        prom_lifecycle: LifecycleState {
            reloader: runtime.clone(),
            quit: Some({
                let q = quit_requested.clone();
                Arc::new(move || q.notify_one())
            }),
            enabled: args.enable_lifecycle,
        },
        am_lifecycle: LifecycleState {
            reloader: runtime.clone(),
            quit: None,
            enabled: true,
        },
    };

    let mut tasks = Vec::new();
    for (spec, listener) in sockets {
        let rx = shutdown_rx.clone();
        let task = match spec.protocol {
            Protocol::Http
                if spec.listener == Listener::Elasticsearch && args.elasticsearch_tls =>
            {
                let router = families.router_for(spec.listener);
                let dir = sidecar_dir(&args);
                let (tls, cert) = crate::es_tls::tls_listener(listener, &dir)?;
                info!(certificate = %cert.display(), "elasticsearch listener serves https (--elasticsearch.tls)");
                let mut rx = rx;
                tokio::spawn(async move {
                    let shutdown = async move {
                        let _ = rx.wait_for(|s| *s).await;
                    };
                    if let Err(e) = axum::serve(tls, router)
                        .with_graceful_shutdown(shutdown)
                        .await
                    {
                        error!(listener = spec.name, error = %e, "listener failed");
                    }
                })
            }
            Protocol::Http | Protocol::Grpc => {
                let router = families.router_for(spec.listener);
                let mut rx = rx;
                tokio::spawn(async move {
                    let shutdown = async move {
                        let _ = rx.wait_for(|s| *s).await;
                    };
                    if let Err(e) = axum::serve(listener, router)
                        .with_graceful_shutdown(shutdown)
                        .await
                    {
                        error!(listener = spec.name, error = %e, "listener failed");
                    }
                })
            }
            Protocol::Tcp => tokio::spawn(crate::beats::hold(listener, rx)),
        };
        tasks.push(task);
        info!(listener = spec.name, addr = %bound[spec.name], stands_in_for = spec.stands_in_for, "listening");
    }

    if !matches!(files, Files::Embedded(_)) && !auto_reload.is_zero() {
        spawn_auto_reload(runtime.clone(), auto_reload.0, shutdown_rx.clone());
    }
    ready.set(true);
    if let Some(p) = &args.ports_file {
        write_ports_file(p, &bound)?;
    }
    info!(
        startup_ms = startup.elapsed().as_secs_f64() * 1000.0,
        "outpost is ready"
    );

    wait_for_shutdown(runtime.as_ref(), &quit_requested).await?;

    info!("shutting down");
    ready.set(false);
    scrape.stop();
    rules.manager.stop();
    alertmanager.stop();
    let _ = shutdown_tx.send(true);
    let all = futures_join(tasks);
    // clock-guard: wall time (shutdown grace period of the process)
    if tokio::time::timeout(SHUTDOWN_GRACE, all).await.is_err() {
        warn!("listeners did not close within the grace period; exiting anyway");
    }
    // unrefreshed log writes reach the index files (kept on disk with --data-dir)
    let store = families.es.store.clone();
    if store.stats().indices > 0
        && let Err(e) = store.refresh("_all")
    {
        warn!(error = %e, "log store refresh at shutdown failed");
    }
    info!("bye");
    Ok(())
}

/// Where Outpost writes files for its clients (the `--elasticsearch.tls` certificate, a generated
/// `elastic` password): beside the ports file, else in the data dir, else the temp dir.
pub(crate) fn sidecar_dir(args: &ServeArgs) -> PathBuf {
    args.ports_file
        .as_ref()
        .and_then(|p| p.parent())
        .filter(|d| !d.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .or_else(|| args.data_dir.clone())
        .unwrap_or_else(std::env::temp_dir)
}

/// Every API family's state, and which routers each listener serves.
struct Families {
    ready: Readiness,
    metrics: Arc<SelfMetrics>,
    prom: PromState,
    am: AmState,
    otlp: OtlpState,
    outpost: OutpostState,
    jaeger: JaegerState,
    es: EsState,
    otlp_logs: OtlpLogsState,
    spm: SpmState,
    prom_lifecycle: LifecycleState,
    am_lifecycle: LifecycleState,
}

impl Families {
    /// Health and readiness and Outpost's own endpoints everywhere, plus the
    /// families of the component the listener stands in for; requests are
    /// counted per listener.
    fn router_for(&self, l: Listener) -> Router {
        let base = health::router(HealthTexts::for_listener(l), self.ready.clone())
            .merge(outpost_api::outpost::router(self.outpost.clone()))
            .merge(jaeger::status_router(self.jaeger.clone()))
            .merge(am::outbox_router(self.am.clone()));
        let r = match l {
            Listener::Prometheus => base
                .merge(metrics::router(self.metrics.clone()))
                .merge(prom::router(self.prom.clone()))
                .merge(otlp::prometheus_router(self.otlp.clone()))
                .merge(lifecycle::router(self.prom_lifecycle.clone())),
            Listener::Alertmanager => base
                .merge(am::router(self.am.clone()))
                .merge(lifecycle::router(self.am_lifecycle.clone())),
            Listener::OtlpHttp => base
                .merge(otlp::http_router(self.otlp.clone()))
                .merge(jaeger::otlp_http_router(self.jaeger.clone()))
                .merge(otlp_logs::otlp_http_router(self.otlp_logs.clone())),
            Listener::OtlpGrpc => base.merge(grpc_services(vec![
                (
                    "opentelemetry.proto.collector.metrics.v1.MetricsService",
                    otlp::grpc_router(self.otlp.clone()),
                ),
                (
                    "opentelemetry.proto.collector.trace.v1.TraceService",
                    jaeger::otlp_grpc_router(self.jaeger.clone()),
                ),
                (
                    "opentelemetry.proto.collector.logs.v1.LogsService",
                    otlp_logs::otlp_grpc_router(self.otlp_logs.clone()),
                ),
            ])),
            Listener::JaegerQuery => base
                .merge(jaeger::query_router(self.jaeger.clone()))
                .merge(jaeger::spm_router(self.spm.clone())),
            Listener::JaegerCollectorHttp => {
                base.merge(jaeger::collector_http_router(self.jaeger.clone()))
            }
            Listener::JaegerCollectorGrpc => {
                base.merge(jaeger::collector_grpc_router(self.jaeger.clone()))
            }
            Listener::Zipkin => base.merge(jaeger::zipkin_router(self.jaeger.clone())),
            Listener::Elasticsearch => {
                es::with_product_header(base.merge(es::router(self.es.clone())))
            }
            Listener::Beats => base,
        };
        metrics::count_requests(r, l.name(), self.metrics.clone())
    }
}

/// Several tonic routers on one listener. Each carries tonic's own
/// "unimplemented" fallback, and axum cannot merge two routers that both
/// have one, so each is mounted under its service's path instead, and one
/// fallback answers other paths with gRPC's UNIMPLEMENTED as tonic does.
fn grpc_services(services: Vec<(&str, Router)>) -> Router {
    use tower::ServiceExt as _;
    let mut r = Router::new().fallback(|| async {
        (
            [
                (axum::http::header::CONTENT_TYPE, "application/grpc"),
                (axum::http::HeaderName::from_static("grpc-status"), "12"),
            ],
            (),
        )
    });
    for (name, svc) in services {
        // A wrapped service: `route_service` refuses a bare `Router`.
        r = r.route_service(
            &format!("/{name}/{{*method}}"),
            svc.map_request(|req: axum::extract::Request| req),
        );
    }
    r
}

/// Reloads when a config or rule file changes on disk (Prometheus 3's
/// `auto-reload-config`): every `every` of wall time the files' checksum is
/// compared with the one last seen; a change goes through the same path as
/// SIGHUP, so an invalid edit is rejected and counted like any reload.
fn spawn_auto_reload(rt: Arc<ConfigRuntime>, every: Duration, mut shutdown: watch::Receiver<bool>) {
    // The first checksum is taken before the task starts: an edit made right
    // after startup must count as a change.
    let mut seen = rt.checksum();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                // clock-guard: wall time (file watching follows the disk, not simulated time)
                _ = tokio::time::sleep(every) => {}
                _ = shutdown.wait_for(|s| *s) => return,
            }
            let now = rt.checksum();
            if now != seen {
                seen = now;
                info!("configuration files changed, reloading");
                let _ = rt.reload();
            }
        }
    });
}

/// The traces family: one bounded store (`--traces.max-spans`), its write
/// path, and the store's families on `/metrics`.
fn traces_family(
    args: &ServeArgs,
    clock: &Clock,
    metrics: &SelfMetrics,
    observers: &crate::traces_rt::TraceMetrics,
) -> Result<JaegerState> {
    if args.traces_max_spans == 0 {
        bail!("--traces.max-spans must be at least 1");
    }
    let store = Arc::new(outpost_traces::TraceStore::new(
        outpost_traces::StoreOptions {
            max_spans: args.traces_max_spans,
        },
    ));
    let st = store.clone();
    metrics.register(Box::new(move |w: &mut String| {
        jaeger::render_store_metrics(&st.stats(), w)
    }));
    let counters = Arc::new(outpost_api::TraceCounters::default());
    let c = counters.clone();
    metrics.register(Box::new(move |w: &mut String| c.render(w)));
    Ok(JaegerState {
        clock: clock.clone(),
        ingest: observers
            .observers()
            .into_iter()
            .fold(outpost_traces::TraceIngest::new(store), |i, o| {
                i.with_observer(o)
            }),
        counters,
    })
}

/// Adds the TSDB's and the receivers' counters to `/metrics`.
fn register_collectors(metrics: &SelfMetrics, tsdb: &Arc<Tsdb>, rw: &Arc<RemoteWriteCounters>) {
    let db = tsdb.clone();
    metrics.register(Box::new(move |w: &mut String| {
        use std::fmt::Write as _;
        let c = db.counters();
        let mut family = |name: &str, kind: &str, help: &str, v: u64| {
            let _ = writeln!(w, "# HELP {name} {help}");
            let _ = writeln!(w, "# TYPE {name} {kind}");
            let _ = writeln!(w, "{name} {v}");
        };
        family(
            "outpost_tsdb_head_series",
            "gauge",
            "Series in the head.",
            db.num_series() as u64,
        );
        family(
            "outpost_tsdb_head_series_limit",
            "gauge",
            "Most series the head holds (--storage.tsdb.max-series).",
            db.max_series() as u64,
        );
        family(
            "outpost_tsdb_head_samples_appended_total",
            "counter",
            "Samples stored.",
            c.samples_appended,
        );
        family(
            "outpost_tsdb_out_of_order_samples_total",
            "counter",
            "Samples rejected as out of order.",
            c.out_of_order,
        );
        family(
            "outpost_tsdb_duplicate_samples_total",
            "counter",
            "Samples rejected as a different value for an existing timestamp.",
            c.duplicates,
        );
        family(
            "outpost_tsdb_out_of_bounds_samples_total",
            "counter",
            "Samples rejected as older than the retention horizon.",
            c.out_of_bounds,
        );
        family(
            "outpost_tsdb_head_series_created_total",
            "counter",
            "Series created.",
            c.series_created,
        );
        family(
            "outpost_tsdb_head_series_removed_total",
            "counter",
            "Series removed by retention.",
            c.series_removed,
        );
        family(
            "outpost_tsdb_series_limit_rejections_total",
            "counter",
            "Series not created because the series limit was reached.",
            c.series_limit_rejected,
        );
        family(
            "outpost_tsdb_head_chunks_removed_total",
            "counter",
            "Chunks dropped by retention.",
            c.chunks_removed,
        );
    }));
    let rw = rw.clone();
    metrics.register(Box::new(move |w: &mut String| rw.render(w)));
}

/// The flags as `/api/v1/status/flags` lists them.
fn flag_map(a: &ServeArgs) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    let path = |p: &Option<std::path::PathBuf>| {
        p.as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    };
    m.insert("config.file".into(), path(&a.prometheus_config));
    m.insert(
        "alertmanager.config.file".into(),
        path(&a.alertmanager_config),
    );
    m.insert("web.listen-address".into(), a.bind.clone());
    m.insert("storage.tsdb.retention.time".into(), a.retention.clone());
    m.insert("storage.tsdb.max-series".into(), a.max_series.to_string());
    m.insert("traces.max-spans".into(), a.traces_max_spans.to_string());
    m.insert("logs.max-bytes".into(), a.logs_max_bytes.to_string());
    m.insert("query.lookback-delta".into(), "5m".into());
    m.insert("query.max-samples".into(), "50000000".into());
    m.insert("query.timeout".into(), "2m".into());
    m.insert("clock".into(), format!("{:?}", a.clock).to_lowercase());
    m
}

/// `--web.external-url`, or `http://<hostname>:<bound prometheus port>`.
fn external_url(args: &ServeArgs, prometheus_port: u16) -> String {
    if let Some(u) = &args.external_url {
        return u.trim_end_matches('/').to_string();
    }
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".to_string());
    format!("http://{host}:{prometheus_port}")
}

/// Applies every new configuration to the subsystems that run it.
fn spawn_config_followers(
    mut rx: watch::Receiver<Arc<Stack>>,
    scrape: Arc<ScrapeManager>,
    files: Files,
) {
    tokio::spawn(async move {
        loop {
            let stack = rx.borrow_and_update().clone();
            if let Some(p) = &stack.prometheus {
                scrape.apply(p, files);
            }
            if rx.changed().await.is_err() {
                return;
            }
        }
    });
}

/// Adds the scrape counters to `/metrics`.
fn register_scrape_collector(metrics: &SelfMetrics, scrape: &Arc<ScrapeManager>) {
    let scrape = scrape.clone();
    metrics.register(Box::new(move |w: &mut String| {
        use std::fmt::Write as _;
        let s = scrape.stats();
        let mut family = |name: &str, help: &str, v: u64| {
            let _ = writeln!(w, "# HELP {name} {help}");
            let _ = writeln!(w, "# TYPE {name} counter");
            let _ = writeln!(w, "{name} {v}");
        };
        family("outpost_scrapes_total", "Scrapes attempted.", s.scrapes);
        family(
            "outpost_scrapes_failed_total",
            "Scrapes that failed.",
            s.failed,
        );
        family(
            "outpost_scrape_sample_out_of_order_total",
            "Scraped samples rejected as out of order.",
            s.sample_out_of_order,
        );
        family(
            "outpost_scrape_sample_duplicate_timestamp_total",
            "Scraped samples rejected as duplicates.",
            s.sample_duplicate_timestamp,
        );
        family(
            "outpost_scrape_sample_out_of_bounds_total",
            "Scraped samples rejected as out of bounds.",
            s.sample_out_of_bounds,
        );
        family(
            "outpost_scrape_exceeded_sample_limit_total",
            "Scrapes failed by sample_limit.",
            s.exceeded_sample_limit,
        );
        family(
            "outpost_scrape_exceeded_body_size_limit_total",
            "Scrapes failed by body_size_limit.",
            s.exceeded_body_size_limit,
        );
        family(
            "outpost_scrape_exceeded_label_limits_total",
            "Scrapes failed by label limits.",
            s.exceeded_label_limits,
        );
    }));
}

/// Drops data older than the retention time, once a minute of clock time.
fn spawn_retention(tsdb: Arc<Tsdb>, clock: Clock, retention: PromDuration) {
    tokio::spawn(async move {
        loop {
            clock.sleep(Duration::from_secs(60)).await;
            let st = tsdb.truncate(clock.now_ms() - retention.as_millis());
            if st.series_removed > 0 || st.chunks_removed > 0 {
                info!(
                    series_removed = st.series_removed,
                    chunks_removed = st.chunks_removed,
                    "retention"
                );
            }
        }
    });
}

async fn futures_join(tasks: Vec<tokio::task::JoinHandle<()>>) {
    for t in tasks {
        let _ = t.await;
    }
}

/// Runs until SIGINT, SIGTERM or `/-/quit`; SIGHUP reloads the configuration.
async fn wait_for_shutdown(reloader: &dyn Reload, quit: &tokio::sync::Notify) -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = term.recv() => return Ok(()),
            _ = quit.notified() => {
                info!("termination requested through /-/quit");
                return Ok(());
            }
            _ = hup.recv() => {
                info!("received SIGHUP, reloading configuration");
                let _ = reloader.reload();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn grpc_services_route_by_service_and_answer_unimplemented_otherwise() {
        use tower::ServiceExt as _;
        let svc = |name: &'static str| {
            Router::new()
                .route("/{*p}", axum::routing::post(move || async move { name }))
                .fallback(|| async { "inner fallback" })
        };
        let r = grpc_services(vec![("a.A", svc("a")), ("b.B", svc("b"))]);
        let call = |path: &str| {
            let r = r.clone();
            let req = axum::extract::Request::post(path)
                .body(axum::body::Body::empty())
                .unwrap();
            async move { r.oneshot(req).await.unwrap() }
        };
        for (path, want) in [("/a.A/Export", "a"), ("/b.B/Export", "b")] {
            let resp = call(path).await;
            let body = axum::body::to_bytes(resp.into_body(), 1024).await.unwrap();
            assert_eq!(body, want.as_bytes(), "{path}");
        }
        let resp = call("/c.C/Export").await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["grpc-status"], "12");
    }

    #[test]
    fn listener_plan_applies_bind_and_overrides() {
        let plan = plan_listeners(
            "0.0.0.0",
            &[
                "prometheus=127.0.0.1:0".into(),
                "beats=off".into(),
                "zipkin=9999".into(),
            ],
        )
        .unwrap();
        let get = |n: &str| plan.iter().find(|(l, _)| l.name == n).unwrap().1.clone();
        assert_eq!(get("prometheus").as_deref(), Some("127.0.0.1:0"));
        assert_eq!(get("beats"), None);
        assert_eq!(get("zipkin").as_deref(), Some("0.0.0.0:9999"));
        assert_eq!(get("alertmanager").as_deref(), Some("0.0.0.0:9093"));
        let e = plan_listeners("127.0.0.1", &["nope=1".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown listener \"nope\""), "{e}");
        assert!(plan_listeners("127.0.0.1", &["prometheus".into()]).is_err());
        let v6 = plan_listeners("::1", &[]).unwrap();
        assert_eq!(v6[0].1.as_deref(), Some("[::1]:9090"));
    }
}
