//! Scraping real HTTP targets on loopback with a manual clock: a registry
//! served by the `prometheus-client` crate, failing targets, staleness.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use outpost_clock::Clock;
use outpost_config::{Files, parse_prometheus};
use outpost_scrape::{Health, ScrapeManager};
use outpost_tsdb::{HeadOptions, Matcher, Tsdb, is_stale_nan};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// What the fake target answers.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Ok,
    Fail500,
    Slow,
    Broken,
    Fewer,
}

struct App {
    registry: Registry,
    mode: Mutex<Mode>,
    hits: AtomicU32,
}

async fn start_target() -> (String, Arc<App>) {
    let mut registry = Registry::default();
    let requests: Family<Vec<(String, String)>, Counter> = Family::default();
    registry.register("http_requests", "Requests served", requests.clone());
    requests
        .get_or_create(&vec![("code".into(), "200".into())])
        .inc_by(7);
    requests
        .get_or_create(&vec![("code".into(), "500".into())])
        .inc();
    let temp: Gauge = Gauge::default();
    temp.set(42);
    registry.register("temperature", "A gauge", temp);
    let app = Arc::new(App {
        registry,
        mode: Mutex::new(Mode::Ok),
        hits: AtomicU32::new(0),
    });
    let a = app.clone();
    let router = Router::new().route(
        "/metrics",
        get(move || {
            let a = a.clone();
            async move {
                a.hits.fetch_add(1, Ordering::SeqCst);
                let mode = *a.mode.lock().unwrap();
                match mode {
                    Mode::Fail500 => {
                        return (StatusCode::INTERNAL_SERVER_ERROR, "boom").into_response();
                    }
                    Mode::Slow => tokio::time::sleep(Duration::from_secs(3)).await,
                    Mode::Broken => {
                        return (
                            [("content-type", "text/plain; version=0.0.4")],
                            "ok_metric 1\nbroken{ 2\n",
                        )
                            .into_response();
                    }
                    Mode::Fewer => {
                        return (
                            [("content-type", "text/plain; version=0.0.4")],
                            "temperature 41\n",
                        )
                            .into_response();
                    }
                    Mode::Ok => {}
                }
                let mut body = String::new();
                encode(&mut body, &a.registry).unwrap();
                (
                    [(
                        "content-type",
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    body,
                )
                    .into_response()
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(l, router).await.unwrap() });
    (addr, app)
}

fn config(addr: &str) -> outpost_config::PrometheusConfig {
    let yaml = format!(
        "global:\n  scrape_interval: 15s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: app\n    static_configs:\n      - targets: ['{addr}']\n        labels: {{env: test}}\n    metric_relabel_configs:\n      - source_labels: [__name__]\n        regex: 'temperature'\n        target_label: kind\n        replacement: gauge\n"
    );
    parse_prometheus(
        &Files::Disk,
        Path::new("/tmp/prometheus.yml"),
        "prometheus.yml",
        yaml,
    )
    .unwrap()
    .0
}

async fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..1500 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out waiting for {what}");
}

fn value_at(db: &Tsdb, name: &str, t: i64) -> Option<f64> {
    let s = db.select(&[Matcher::equal("__name__", name)], t, t);
    s.first().and_then(|s| s.samples().next()).map(|(_, v)| v)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scrapes_a_prometheus_client_registry_on_the_manual_clock() {
    let (addr, app) = start_target().await;
    let db = Arc::new(Tsdb::new(HeadOptions::default()));
    let clock = Clock::manual(1_700_000_000_000);
    let mgr = ScrapeManager::new(db.clone(), clock.clone(), None);
    mgr.apply(&config(&addr), Files::Disk);
    wait_until("discovery", || mgr.active_targets().len() == 1).await;
    assert_eq!(mgr.active_targets()[0].health.health, Health::Unknown);

    // Nothing happens until the clock moves past the target's offset.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(app.hits.load(Ordering::SeqCst), 0);
    clock.advance(Duration::from_secs(15)).unwrap();
    wait_until("first scrape", || {
        mgr.active_targets()[0].health.health == Health::Up
    })
    .await;
    let t1 = mgr.active_targets()[0].health.last_scrape_ms;
    assert!(t1 > 1_700_000_000_000 && t1 <= clock.now_ms());

    let counters = db.select(
        &[Matcher::equal("__name__", "http_requests_total")],
        0,
        i64::MAX,
    );
    assert_eq!(counters.len(), 2);
    let l = &counters[0].labels;
    assert_eq!(
        (l.get("code"), l.get("job"), l.get("instance"), l.get("env")),
        (Some("200"), Some("app"), Some(addr.as_str()), Some("test"))
    );
    assert_eq!(counters[0].samples().next(), Some((t1, 7.0)));
    let temp = db.select(&[Matcher::equal("__name__", "temperature")], 0, i64::MAX);
    assert_eq!(
        temp[0].labels.get("kind"),
        Some("gauge"),
        "metric_relabel_configs applied"
    );
    assert_eq!(value_at(&db, "up", t1), Some(1.0));
    let scraped = value_at(&db, "scrape_samples_scraped", t1).unwrap();
    assert_eq!(scraped, 3.0, "two counter children and one gauge");
    assert_eq!(value_at(&db, "scrape_series_added", t1), Some(scraped));
    let meta = &mgr.active_targets()[0].health.metadata;
    assert_eq!(meta["http_requests"].kind, "counter");
    assert_eq!(meta["temperature"].help, "A gauge.");

    // A series that disappears gets a staleness marker at the next scrape.
    *app.mode.lock().unwrap() = Mode::Fewer;
    clock.advance(Duration::from_secs(15)).unwrap();
    let t2 = t1 + 15_000;
    wait_until("second scrape", || {
        mgr.active_targets()[0].health.last_scrape_ms == t2
    })
    .await;
    let c = db.select(
        &[
            Matcher::equal("__name__", "http_requests_total"),
            Matcher::equal("code", "200"),
        ],
        t2,
        t2,
    );
    assert!(
        is_stale_nan(c[0].samples().next().unwrap().1),
        "stale marker at t2"
    );
    assert_eq!(value_at(&db, "scrape_series_added", t2), Some(0.0));

    // A target answering 500 is down, with the error shown, and up = 0.
    *app.mode.lock().unwrap() = Mode::Fail500;
    clock.advance(Duration::from_secs(15)).unwrap();
    let t3 = t2 + 15_000;
    wait_until("failed scrape", || {
        mgr.active_targets()[0].health.last_scrape_ms == t3
    })
    .await;
    let h = mgr.active_targets()[0].health.clone();
    assert_eq!(h.health, Health::Down);
    assert_eq!(
        h.last_error,
        "server returned HTTP status 500 Internal Server Error"
    );
    assert_eq!(value_at(&db, "up", t3), Some(0.0));
    assert!(
        is_stale_nan(value_at(&db, "temperature", t3).unwrap()),
        "failed scrape marks everything stale"
    );

    // Broken exposition: the error names the line; nothing of the scrape is stored.
    *app.mode.lock().unwrap() = Mode::Broken;
    clock.advance(Duration::from_secs(15)).unwrap();
    let t4 = t3 + 15_000;
    wait_until("broken scrape", || {
        mgr.active_targets()[0].health.last_scrape_ms == t4
    })
    .await;
    let h = mgr.active_targets()[0].health.clone();
    assert_eq!(h.health, Health::Down);
    assert!(h.last_error.contains("line 2"), "{}", h.last_error);
    assert_eq!(value_at(&db, "ok_metric", t4), None);

    // A target slower than the timeout.
    *app.mode.lock().unwrap() = Mode::Slow;
    clock.advance(Duration::from_secs(15)).unwrap();
    let t5 = t4 + 15_000;
    wait_until("timed-out scrape", || {
        mgr.active_targets()[0].health.last_scrape_ms == t5
    })
    .await;
    let h = mgr.active_targets()[0].health.clone();
    assert!(
        h.last_error.ends_with("context deadline exceeded"),
        "{}",
        h.last_error
    );
    assert_eq!(value_at(&db, "up", t5), Some(0.0));
    assert!(mgr.stats().failed >= 3);
    mgr.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_targets_get_end_of_run_staleness_and_unreachable_ones_are_down() {
    let (addr, _app) = start_target().await;
    let db = Arc::new(Tsdb::new(HeadOptions::default()));
    let clock = Clock::manual(1_700_000_000_000);
    let mgr = ScrapeManager::new(db.clone(), clock.clone(), None);
    mgr.apply(&config(&addr), Files::Disk);
    wait_until("discovery", || mgr.active_targets().len() == 1).await;
    clock.advance(Duration::from_secs(15)).unwrap();
    wait_until("first scrape", || {
        mgr.active_targets()[0].health.health == Health::Up
    })
    .await;
    let t1 = mgr.active_targets()[0].health.last_scrape_ms;

    // Reload with the target gone (a port nobody listens on instead).
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    mgr.apply(&config(&dead), Files::Disk);
    wait_until("new target", || {
        mgr.active_targets()
            .first()
            .is_some_and(|t| t.scrape_url.contains(&dead))
    })
    .await;
    // End-of-run staleness: next tick T, then one more interval and a tenth.
    clock.advance(Duration::from_secs(40)).unwrap();
    let t = t1 + 15_000;
    wait_until("end-of-run stale markers", || {
        value_at(&db, "temperature", t).is_some_and(is_stale_nan)
    })
    .await;
    assert!(value_at(&db, "up", t).is_some_and(is_stale_nan));
    wait_until("dead target scraped", || {
        mgr.active_targets()
            .first()
            .is_some_and(|t| t.health.health == Health::Down)
    })
    .await;
    let err = mgr.active_targets()[0].health.last_error.clone();
    assert!(
        err.starts_with(&format!("Get \"http://{dead}/metrics\"")),
        "{err}"
    );
    mgr.stop();
}

/// A simulated cluster serving the seed's `kubernetes-pods` job.
struct FakeCluster(String);

impl outpost_scrape::KubernetesCluster for FakeCluster {
    fn discover(
        &self,
        sd: &outpost_config::KubernetesSdConfig,
    ) -> Vec<outpost_scrape::TargetGroup> {
        assert_eq!(sd.role, "pod");
        let pod = |name: &str, scrape: &str| {
            std::collections::BTreeMap::from([
                ("__address__".to_string(), "10.9.9.9:8080".to_string()),
                (
                    "__meta_kubernetes_namespace".to_string(),
                    "shop".to_string(),
                ),
                ("__meta_kubernetes_pod_name".to_string(), name.to_string()),
                (
                    "__meta_kubernetes_pod_label_app".to_string(),
                    "checkout".to_string(),
                ),
                (
                    "__meta_kubernetes_pod_annotation_prometheus_io_scrape".to_string(),
                    scrape.to_string(),
                ),
                (
                    "__meta_kubernetes_pod_annotation_prometheus_io_port".to_string(),
                    self.0.rsplit(':').next().unwrap().to_string(),
                ),
                (
                    "__meta_kubernetes_pod_annotation_prometheus_io_path".to_string(),
                    "/metrics".to_string(),
                ),
            ])
        };
        vec![outpost_scrape::TargetGroup {
            source: "pods".into(),
            targets: vec![pod("checkout-1", "true"), pod("batch-1", "false")],
            labels: Default::default(),
        }]
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubernetes_sd_targets_come_from_a_plugged_in_cluster() {
    let (addr, _app) = start_target().await;
    let seed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/ecommerce/prometheus/prometheus.yml"
    ))
    .unwrap();
    let (cfg, _) = parse_prometheus(
        &Files::Disk,
        Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/ecommerce/prometheus/prometheus.yml"
        )),
        "prometheus.yml",
        seed,
    )
    .unwrap();
    let mut cfg = cfg;
    cfg.scrape_configs
        .retain(|j| j.job_name == "kubernetes-pods");
    let db = Arc::new(Tsdb::new(HeadOptions::default()));
    let clock = Clock::manual(1_700_000_000_000);
    let mgr = ScrapeManager::new(
        db.clone(),
        clock.clone(),
        Some(Arc::new(FakeCluster(addr.clone()))),
    );
    mgr.apply(&cfg, Files::Disk);
    wait_until("pod discovered", || mgr.active_targets().len() == 1).await;
    let t = &mgr.active_targets()[0];
    // The seed's relabeling: keep annotated pods, address from the port annotation, labelmap, namespace/pod labels.
    let port = addr.rsplit(':').next().unwrap();
    assert_eq!(t.scrape_url, format!("http://10.9.9.9:{port}/metrics"));
    let labels: std::collections::BTreeMap<_, _> = t.labels.iter().cloned().collect();
    assert_eq!(labels["app"], "checkout");
    assert_eq!(labels["kubernetes_namespace"], "shop");
    assert_eq!(labels["kubernetes_pod_name"], "checkout-1");
    assert_eq!(
        mgr.dropped_targets().len(),
        1,
        "the pod without the scrape annotation is dropped"
    );
    mgr.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gzip_bodies_and_bearer_tokens() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "s3cret\n").unwrap();
    let router = Router::new().route(
        "/metrics",
        get(|headers: axum::http::HeaderMap| async move {
            if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer s3cret") {
                return (StatusCode::UNAUTHORIZED, "no").into_response();
            }
            assert_eq!(headers["accept-encoding"], "gzip");
            assert!(
                headers["accept"]
                    .to_str()
                    .unwrap()
                    .starts_with("application/openmetrics-text;version=1.0.0")
            );
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            enc.write_all(b"# TYPE zipped gauge\nzipped 5\n").unwrap();
            (
                [
                    ("content-type", "text/plain; version=0.0.4"),
                    ("content-encoding", "gzip"),
                ],
                enc.finish().unwrap(),
            )
                .into_response()
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(l, router).await.unwrap() });
    let yaml = |auth: &str| {
        format!(
            "scrape_configs:\n  - job_name: z\n    scrape_interval: 15s\n    static_configs: [{{targets: ['{addr}']}}]\n{auth}"
        )
    };
    let db = Arc::new(Tsdb::new(HeadOptions::default()));
    let clock = Clock::manual(1_700_000_000_000);
    let mgr = ScrapeManager::new(db.clone(), clock.clone(), None);
    let no_auth = parse_prometheus(&Files::Disk, Path::new("/tmp/p.yml"), "p.yml", yaml(""))
        .unwrap()
        .0;
    mgr.apply(&no_auth, Files::Disk);
    wait_until("discovery", || mgr.active_targets().len() == 1).await;
    clock.advance(Duration::from_secs(15)).unwrap();
    wait_until("unauthorized scrape", || {
        mgr.active_targets()[0].health.health == Health::Down
    })
    .await;
    assert_eq!(
        mgr.active_targets()[0].health.last_error,
        "server returned HTTP status 401 Unauthorized"
    );
    let with_auth = parse_prometheus(
        &Files::Disk,
        Path::new("/tmp/p.yml"),
        "p.yml",
        yaml(&format!(
            "    bearer_token_file: {}\n",
            token_file.display()
        )),
    )
    .unwrap()
    .0;
    mgr.apply(&with_auth, Files::Disk);
    wait_until("new pool", || {
        mgr.active_targets()
            .first()
            .is_some_and(|t| t.health.health == Health::Unknown)
    })
    .await;
    clock.advance(Duration::from_secs(15)).unwrap();
    wait_until("authorized scrape", || {
        mgr.active_targets()[0].health.health == Health::Up
    })
    .await;
    let t = mgr.active_targets()[0].health.last_scrape_ms;
    assert_eq!(value_at(&db, "zipped", t), Some(5.0));
    mgr.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_limit_fails_every_loop_of_the_pool() {
    let (a, _app_a) = start_target().await;
    let (b, _app_b) = start_target().await;
    let yaml = format!(
        "scrape_configs:\n  - job_name: j\n    scrape_interval: 15s\n    target_limit: 1\n    static_configs: [{{targets: ['{a}', '{b}']}}]\n"
    );
    let cfg = parse_prometheus(&Files::Disk, Path::new("/tmp/p.yml"), "p.yml", yaml)
        .unwrap()
        .0;
    let db = Arc::new(Tsdb::new(HeadOptions::default()));
    let clock = Clock::manual(1_700_000_000_000);
    let mgr = ScrapeManager::new(db.clone(), clock.clone(), None);
    mgr.apply(&cfg, Files::Disk);
    wait_until("discovery", || mgr.active_targets().len() == 2).await;
    clock.advance(Duration::from_secs(16)).unwrap();
    wait_until("both scraped", || {
        mgr.active_targets()
            .iter()
            .all(|t| t.health.health == Health::Down)
    })
    .await;
    for t in mgr.active_targets() {
        assert_eq!(
            t.health.last_error,
            "target_limit exceeded (number of targets: 2, limit: 1)"
        );
    }
    mgr.stop();
}
