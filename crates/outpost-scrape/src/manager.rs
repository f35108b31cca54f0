//! The scrape manager: one pool per job, each running its discovery and one
//! loop per target; reconfigured on reload (unchanged jobs keep running).

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use outpost_clock::Clock;
use outpost_config::{Files, PrometheusConfig, ScrapeConfig};
use outpost_tsdb::Tsdb;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::discovery::{JobDiscovery, KubernetesCluster};
use crate::scrape_loop::{
    JobShared, ScrapeCounters, ScrapeLoop, Stop, TargetHealth, accept_header, load,
};
use crate::target::{DroppedTarget, Fnv, Target, populate};
use outpost_http_client::{Auth, build_client};

/// A target with its current health, for `/api/v1/targets`.
#[derive(Debug, Clone)]
pub struct ActiveTarget {
    /// Job name.
    pub scrape_pool: String,
    /// Scrape URL.
    pub scrape_url: String,
    /// Labels after relabeling (public ones).
    pub labels: Vec<(String, String)>,
    /// Labels as discovered.
    pub discovered_labels: Vec<(String, String)>,
    /// Scrape interval as written (`15s`).
    pub scrape_interval: String,
    /// Scrape timeout as written.
    pub scrape_timeout: String,
    /// Health and last scrape.
    pub health: TargetHealth,
}

/// A dropped target for `/api/v1/targets`.
#[derive(Debug, Clone)]
pub struct DroppedTargetInfo {
    /// Job name.
    pub scrape_pool: String,
    /// Labels as discovered.
    pub discovered_labels: Vec<(String, String)>,
}

/// A snapshot of the manager's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScrapeStats {
    /// Scrapes attempted.
    pub scrapes: u64,
    /// Scrapes failed.
    pub failed: u64,
    /// Samples rejected as out of order.
    pub sample_out_of_order: u64,
    /// Samples rejected as duplicates.
    pub sample_duplicate_timestamp: u64,
    /// Samples rejected as out of bounds.
    pub sample_out_of_bounds: u64,
    /// Scrapes failed by the sample limit.
    pub exceeded_sample_limit: u64,
    /// Scrapes failed by the body size limit.
    pub exceeded_body_size_limit: u64,
    /// Scrapes failed by label limits.
    pub exceeded_label_limits: u64,
    /// Series refused by the TSDB series limit.
    pub series_limit_rejected: u64,
}

struct LoopHandle {
    target: Target,
    state: Arc<Mutex<TargetHealth>>,
    stop: watch::Sender<Option<Stop>>,
}

#[derive(Default)]
struct PoolState {
    loops: HashMap<u64, LoopHandle>,
    dropped: Vec<DroppedTarget>,
}

struct Pool {
    fingerprint: String,
    cfg: Arc<ScrapeConfig>,
    state: Arc<Mutex<PoolState>>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// Runs every job of a prometheus.yml.
pub struct ScrapeManager {
    tsdb: Arc<Tsdb>,
    clock: Clock,
    cluster: Option<Arc<dyn KubernetesCluster>>,
    counters: Arc<ScrapeCounters>,
    pools: Mutex<Vec<(String, Pool)>>,
    seed: u64,
}

impl ScrapeManager {
    /// A manager writing into `tsdb`; `cluster` serves kubernetes_sd_configs.
    pub fn new(tsdb: Arc<Tsdb>, clock: Clock, cluster: Option<Arc<dyn KubernetesCluster>>) -> Self {
        ScrapeManager {
            tsdb,
            clock,
            cluster,
            counters: Arc::new(ScrapeCounters::default()),
            pools: Mutex::new(Vec::new()),
            seed: 0,
        }
    }

    /// Starts, keeps or restarts pools so they match `cfg` (call on every (re)load).
    pub fn apply(&self, cfg: &PrometheusConfig, files: Files) {
        let mut h = Fnv::default();
        for (k, v) in &cfg.global.external_labels {
            h.write(k.as_bytes());
            h.write(v.as_bytes());
        }
        let seed = h.0 ^ self.seed;
        let mut pools = self.pools.lock().unwrap_or_else(|e| e.into_inner());
        let mut old: Vec<(String, Pool)> = std::mem::take(&mut *pools);
        for sc in &cfg.scrape_configs {
            let fingerprint = format!("{sc:?}");
            if let Some(i) = old
                .iter()
                .position(|(n, p)| n == &sc.job_name && p.fingerprint == fingerprint)
            {
                pools.push(old.remove(i));
                continue;
            }
            // A changed job: its running loops are handed to the new pool, whose
            // first sync restarts those still targeted and retires the rest.
            let inherited = match old.iter().position(|(n, _)| n == &sc.job_name) {
                Some(i) => {
                    let (_, p) = old.remove(i);
                    let _ = p.stop.send(true);
                    let mut st = p.state.lock().unwrap_or_else(|e| e.into_inner());
                    std::mem::take(&mut st.loops)
                }
                None => HashMap::new(),
            };
            match self.start_pool(sc, &cfg.path, files, seed, fingerprint, inherited) {
                Ok(p) => pools.push((sc.job_name.clone(), p)),
                Err(e) => {
                    tracing::error!(job = %sc.job_name, error = %e, "cannot start scrape pool")
                }
            }
        }
        for (name, p) in old {
            tracing::info!(job = %name, "stopping scrape pool of a removed job");
            let _ = p.stop.send(true);
            let st = p.state.lock().unwrap_or_else(|e| e.into_inner());
            for l in st.loops.values() {
                let _ = l.stop.send(Some(Stop::Removed));
            }
        }
    }

    fn start_pool(
        &self,
        sc: &ScrapeConfig,
        config_file: &Path,
        files: Files,
        seed: u64,
        fingerprint: String,
        mut inherited: HashMap<u64, LoopHandle>,
    ) -> Result<Pool, String> {
        let client = build_client(&sc.http_client, config_file)?;
        let cfg = Arc::new(sc.clone());
        let shared = Arc::new(JobShared {
            tsdb: self.tsdb.clone(),
            clock: self.clock.clone(),
            client: client.clone(),
            auth: Auth::from_config(&sc.http_client, config_file),
            cfg: cfg.clone(),
            accept: accept_header(&sc.scrape_protocols),
            counters: self.counters.clone(),
            seed,
            forced_error: Mutex::new(None),
        });
        let mut discovery = JobDiscovery::new(
            &sc.discovery,
            config_file,
            files,
            client,
            self.cluster.clone(),
        );
        let state = Arc::new(Mutex::new(PoolState::default()));
        let (stop_tx, mut stop_rx) = watch::channel(false);
        let task_state = state.clone();
        let clock = self.clock.clone();
        let task = tokio::spawn(async move {
            loop {
                let groups = discovery.poll(clock.now_ms()).await;
                sync_targets(&shared, &task_state, &groups, &mut inherited);
                if !discovery.is_dynamic() {
                    let _ = stop_rx.wait_for(|s| *s).await;
                    break;
                }
                let next = clock.now_ms().saturating_add(discovery.poll_ms());
                tokio::select! {
                    _ = clock.sleep_until(next) => {}
                    _ = stop_rx.wait_for(|s| *s) => break,
                }
            }
        });
        Ok(Pool {
            fingerprint,
            cfg,
            state,
            stop: stop_tx,
            task,
        })
    }

    /// Active targets of every pool, in job order.
    pub fn active_targets(&self) -> Vec<ActiveTarget> {
        let pools = self.pools.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        for (name, p) in pools.iter() {
            let st = p.state.lock().unwrap_or_else(|e| e.into_inner());
            let mut loops: Vec<&LoopHandle> = st.loops.values().collect();
            loops.sort_by(|a, b| a.target.url.cmp(&b.target.url));
            for l in loops {
                out.push(ActiveTarget {
                    scrape_pool: name.clone(),
                    scrape_url: l.target.url.clone(),
                    labels: pairs(l.target.public_labels()),
                    discovered_labels: pairs(l.target.discovered.iter()),
                    scrape_interval: l
                        .target
                        .labels
                        .get("__scrape_interval__")
                        .unwrap_or_default()
                        .to_string(),
                    scrape_timeout: l
                        .target
                        .labels
                        .get("__scrape_timeout__")
                        .unwrap_or_default()
                        .to_string(),
                    health: l.state.lock().unwrap_or_else(|e| e.into_inner()).clone(),
                });
            }
        }
        out
    }

    /// Dropped targets of every pool (up to keep_dropped_targets per pool when set).
    pub fn dropped_targets(&self) -> Vec<DroppedTargetInfo> {
        let pools = self.pools.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        for (name, p) in pools.iter() {
            let st = p.state.lock().unwrap_or_else(|e| e.into_inner());
            for d in &st.dropped {
                out.push(DroppedTargetInfo {
                    scrape_pool: name.clone(),
                    discovered_labels: pairs(d.discovered.iter()),
                });
            }
        }
        out
    }

    /// Counter snapshot.
    pub fn stats(&self) -> ScrapeStats {
        let c = &self.counters;
        ScrapeStats {
            scrapes: load(&c.scrapes),
            failed: load(&c.failed),
            sample_out_of_order: load(&c.sample_out_of_order),
            sample_duplicate_timestamp: load(&c.sample_duplicate_timestamp),
            sample_out_of_bounds: load(&c.sample_out_of_bounds),
            exceeded_sample_limit: load(&c.exceeded_sample_limit),
            exceeded_body_size_limit: load(&c.exceeded_body_size_limit),
            exceeded_label_limits: load(&c.exceeded_label_limits),
            series_limit_rejected: load(&c.series_limit_rejected),
        }
    }

    /// Stops every pool and loop without staleness markers.
    pub fn stop(&self) {
        let mut pools = self.pools.lock().unwrap_or_else(|e| e.into_inner());
        for (_, p) in pools.drain(..) {
            let _ = p.stop.send(true);
            p.task.abort();
            let st = p.state.lock().unwrap_or_else(|e| e.into_inner());
            for l in st.loops.values() {
                let _ = l.stop.send(Some(Stop::Quiet));
            }
            drop(p.cfg);
        }
    }
}

fn pairs<'a>(it: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    it.map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

/// Starts loops for new targets and stops those that went away.
fn sync_targets(
    shared: &Arc<JobShared>,
    state: &Arc<Mutex<PoolState>>,
    groups: &[crate::discovery::TargetGroup],
    inherited: &mut HashMap<u64, LoopHandle>,
) {
    let (targets, mut dropped, errors) = populate(&shared.cfg, groups);
    for (h, l) in inherited.drain() {
        let still_there = targets.iter().any(|t| t.hash() == h);
        let _ = l.stop.send(Some(if still_there {
            Stop::Quiet
        } else {
            Stop::Removed
        }));
    }
    for e in errors {
        tracing::debug!(job = %shared.cfg.job_name, error = %e, "target discarded");
    }
    let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
    let mut keep: HashMap<u64, Target> = targets.into_iter().map(|t| (t.hash(), t)).collect();
    st.loops.retain(|h, l| {
        if keep.remove(h).is_some() {
            return true;
        }
        let _ = l.stop.send(Some(Stop::Removed));
        false
    });
    // As Prometheus: beyond target_limit every loop of the pool fails its
    // scrapes (up = 0, staleness markers) until the targets fit again.
    let limit = shared.cfg.target_limit;
    let total = (st.loops.len() + keep.len()) as u64;
    let forced = (limit > 0 && total > limit)
        .then(|| format!("target_limit exceeded (number of targets: {total}, limit: {limit})"));
    if let Some(e) = &forced {
        tracing::warn!(job = %shared.cfg.job_name, error = %e, "scrape pool over its target limit");
    }
    *shared
        .forced_error
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = forced;
    for (h, t) in keep {
        let health = Arc::new(Mutex::new(TargetHealth::default()));
        let (tx, rx) = watch::channel(None);
        let lp = ScrapeLoop::new(shared.clone(), t.clone(), health.clone());
        tokio::spawn(lp.run(rx));
        st.loops.insert(
            h,
            LoopHandle {
                target: t,
                state: health,
                stop: tx,
            },
        );
    }
    dropped.truncate(10_000);
    st.dropped = dropped;
}
