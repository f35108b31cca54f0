//! The rule manager: one task per group on the clock, reloads that keep
//! unchanged groups running, and read-only views for the rules/alerts API.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use outpost_clock::Clock;
use outpost_config::RuleFile;
use outpost_promql::Engine;
use outpost_tsdb::Tsdb;
use tokio::sync::watch;

use crate::alert::{AlertState, OutgoingAlert};
use crate::group::Group;
use crate::rule::{EvalEnv, Health, Kind};

/// Receives the alerts rule evaluation decided to send.
pub trait AlertSink: Send + Sync {
    /// Hands over a batch (firing and resolved alerts).
    fn send(&self, alerts: Vec<OutgoingAlert>);
}

/// Settings that apply to every group (from prometheus.yml and flags).
#[derive(Debug, Clone)]
pub struct Settings {
    /// `global.evaluation_interval` (ms).
    pub evaluation_interval_ms: i64,
    /// `global.rule_query_offset` (ms).
    pub query_offset_ms: i64,
    /// `global.external_labels` (templates see them as `$externalLabels`).
    pub external_labels: BTreeMap<String, String>,
    /// `--web.external-url`.
    pub external_url: String,
    /// `--rules.alert.resend-delay` (ms, 1m).
    pub resend_delay_ms: i64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            evaluation_interval_ms: 60_000,
            query_offset_ms: 0,
            external_labels: BTreeMap::new(),
            external_url: "http://localhost:9090".to_string(),
            resend_delay_ms: 60_000,
        }
    }
}

struct Running {
    group: Arc<Group>,
    stop: watch::Sender<bool>,
}

struct Inner {
    clock: Clock,
    tsdb: Arc<Tsdb>,
    engine: Arc<Engine>,
    sink: Option<Arc<dyn AlertSink>>,
    settings: RwLock<Arc<Settings>>,
    groups: Mutex<Vec<Running>>,
}

/// Runs rule groups on the clock.
#[derive(Clone)]
pub struct RuleManager {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RuleManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleManager").finish_non_exhaustive()
    }
}

impl RuleManager {
    /// A manager with no groups; `sink` receives alerts to send.
    pub fn new(
        clock: Clock,
        tsdb: Arc<Tsdb>,
        engine: Arc<Engine>,
        sink: Option<Arc<dyn AlertSink>>,
    ) -> Self {
        RuleManager {
            inner: Arc::new(Inner {
                clock,
                tsdb,
                engine,
                sink,
                settings: RwLock::new(Arc::new(Settings::default())),
                groups: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Applies a (re)loaded configuration: unchanged groups keep running,
    /// changed ones restart with their alerts carried over, removed ones
    /// stop and mark their series stale. Must run inside a tokio runtime.
    pub fn update(&self, settings: Settings, files: &[RuleFile]) {
        let inner = &self.inner;
        *inner.settings.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(settings.clone());
        let mut running = inner.groups.lock().unwrap_or_else(|e| e.into_inner());
        let mut old: Vec<Running> = std::mem::take(&mut *running);
        for f in files {
            for g in &f.groups {
                let new = Group::new(g, settings.evaluation_interval_ms, settings.query_offset_ms);
                let pos = old
                    .iter()
                    .position(|r| r.group.file == new.file && r.group.name == new.name);
                if let Some(i) = pos {
                    let prev = old.remove(i);
                    if prev.group.same_definition(&new) {
                        running.push(prev);
                        continue;
                    }
                    let _ = prev.stop.send(true);
                    new.copy_state_from(&prev.group);
                }
                running.push(self.start(Arc::new(new)));
            }
        }
        for r in old {
            // As Prometheus: a removed group's outputs go stale two
            // intervals after it stopped, at that time.
            let _ = r.stop.send(true);
            let (clock, tsdb, g) = (inner.clock.clone(), inner.tsdb.clone(), r.group);
            // The deadline is fixed now, not when the task first runs.
            let deadline = clock.now_ms() + 2 * g.interval_ms;
            tokio::spawn(async move {
                clock.sleep_until(deadline).await;
                g.mark_stale(&tsdb, clock.now_ms());
            });
        }
        running.sort_by(|a, b| (&a.group.file, &a.group.name).cmp(&(&b.group.file, &b.group.name)));
    }

    fn start(&self, group: Arc<Group>) -> Running {
        let (stop, mut stopped) = watch::channel(false);
        let inner = self.inner.clone();
        let g = group.clone();
        // The first slot is fixed now, not when the task first runs.
        let interval = g.interval_ms;
        let now = inner.clock.now_ms();
        let last = g.lock().last_slot_ms;
        let mut next = match last {
            Some(s) if s + interval > now => s + interval,
            _ => g.slot_at_or_before(now) + interval,
        };
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = inner.clock.sleep_until(next) => {}
                    _ = stopped.changed() => return,
                }
                if *stopped.borrow() {
                    return;
                }
                let now = inner.clock.now_ms();
                let missed = (now - next) / interval;
                if missed > 0 {
                    g.lock().missed += missed as u64;
                    next += missed * interval;
                }
                let ts = next;
                let (i2, g2) = (inner.clone(), g.clone());
                let res = tokio::task::spawn_blocking(move || i2.eval_group(&g2, ts)).await;
                if let Err(e) = res {
                    tracing::error!(group = %g.name, error = %e, "rule group evaluation panicked");
                }
                next += interval;
            }
        });
        Running { group, stop }
    }

    /// Stops every group.
    pub fn stop(&self) {
        let running = self.inner.groups.lock().unwrap_or_else(|e| e.into_inner());
        for r in running.iter() {
            let _ = r.stop.send(true);
        }
    }

    fn groups_snapshot(&self) -> Vec<Arc<Group>> {
        let running = self.inner.groups.lock().unwrap_or_else(|e| e.into_inner());
        running.iter().map(|r| r.group.clone()).collect()
    }

    /// The groups with their rules and alerts, sorted by file then name.
    pub fn groups(&self) -> Vec<GroupInfo> {
        self.groups_snapshot()
            .iter()
            .map(|g| group_info(g))
            .collect()
    }

    /// Counters over all groups.
    pub fn stats(&self) -> RuleStats {
        let mut s = RuleStats::default();
        for g in self.groups_snapshot() {
            let st = g.lock();
            s.groups += 1;
            s.rules += st.rules.len() as u64;
            s.iterations += st.iterations;
            s.missed += st.missed;
            s.failing_rules += st
                .rules
                .iter()
                .filter(|r| r.status.health == Health::Err)
                .count() as u64;
        }
        s
    }
}

impl Inner {
    fn eval_group(&self, g: &Group, ts: i64) {
        let settings = self
            .settings
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let env = EvalEnv {
            engine: &self.engine,
            external_labels: &settings.external_labels,
            external_url: &settings.external_url,
        };
        let alerts = g.eval(
            &env,
            &self.tsdb,
            ts,
            self.clock.now_ms(),
            settings.resend_delay_ms,
        );
        if let Some(sink) = self.sink.as_ref().filter(|_| !alerts.is_empty()) {
            sink.send(alerts);
        }
    }
}

/// Counters of the rule manager.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RuleStats {
    /// Groups loaded.
    pub groups: u64,
    /// Rules loaded.
    pub rules: u64,
    /// Group evaluations run.
    pub iterations: u64,
    /// Slots skipped because an evaluation was late (or the clock jumped).
    pub missed: u64,
    /// Rules whose last evaluation failed.
    pub failing_rules: u64,
}

/// A group as `/api/v1/rules` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupInfo {
    /// Group name.
    pub name: String,
    /// Rule file.
    pub file: String,
    /// Evaluation interval in seconds.
    pub interval_secs: f64,
    /// Alert/series limit (0 = none).
    pub limit: u64,
    /// Duration of the last evaluation in seconds.
    pub evaluation_secs: f64,
    /// Clock time of the last evaluation (ms).
    pub last_evaluation_ms: Option<i64>,
    /// Rules in file order.
    pub rules: Vec<RuleInfo>,
}

/// A rule as `/api/v1/rules` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleInfo {
    /// Record or alert name.
    pub name: String,
    /// The expression as Prometheus' printer renders it.
    pub query: String,
    /// Raw rule labels (group labels merged in).
    pub labels: BTreeMap<String, String>,
    /// `ok`, `err` (with the last error) or `unknown` before the first evaluation.
    pub health: Health,
    /// Error of the last evaluation.
    pub last_error: Option<String>,
    /// Duration of the last evaluation in seconds.
    pub evaluation_secs: f64,
    /// Clock time of the last evaluation (ms).
    pub last_evaluation_ms: Option<i64>,
    /// Alerting rules only.
    pub alerting: Option<AlertingInfo>,
}

/// The alerting part of a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertingInfo {
    /// Highest state of its alerts (`None` before the first evaluation: `unknown`).
    pub state: Option<AlertState>,
    /// `for` in seconds.
    pub duration_secs: f64,
    /// `keep_firing_for` in seconds.
    pub keep_firing_for_secs: f64,
    /// Raw annotation templates.
    pub annotations: BTreeMap<String, String>,
    /// Active (pending or firing) alerts.
    pub alerts: Vec<AlertInfo>,
}

/// An active alert as the APIs show it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertInfo {
    /// Alert labels (no external labels).
    pub labels: BTreeMap<String, String>,
    /// Expanded annotations.
    pub annotations: BTreeMap<String, String>,
    /// `pending` or `firing`.
    pub state: AlertState,
    /// Slot time it became active (ms).
    pub active_at_ms: i64,
    /// Since when `keep_firing_for` holds it (ms).
    pub keep_firing_since_ms: Option<i64>,
    /// Last value.
    pub value: f64,
}

fn group_info(g: &Group) -> GroupInfo {
    let st = g.lock();
    GroupInfo {
        name: g.name.clone(),
        file: g.file.to_string_lossy().into_owned(),
        interval_secs: g.interval_ms as f64 / 1000.0,
        limit: g.limit,
        evaluation_secs: st.evaluation_secs,
        last_evaluation_ms: st.last_evaluation_ms,
        rules: st
            .rules
            .iter()
            .map(|r| RuleInfo {
                name: r.name.clone(),
                query: r.query.clone(),
                labels: r.labels.clone(),
                health: r.status.health,
                last_error: r.status.last_error.clone(),
                evaluation_secs: r.status.evaluation_secs,
                last_evaluation_ms: r.status.last_evaluation_ms,
                alerting: match &r.kind {
                    Kind::Recording => None,
                    Kind::Alerting(a) => Some(AlertingInfo {
                        state: (r.status.health != Health::Unknown).then(|| r.state()),
                        duration_secs: a.for_ms as f64 / 1000.0,
                        keep_firing_for_secs: a.keep_firing_for_ms as f64 / 1000.0,
                        annotations: a.annotations.clone(),
                        alerts: a
                            .active
                            .values()
                            .filter(|x| x.resolved_at_ms.is_none())
                            .map(|x| AlertInfo {
                                labels: x.labels.clone(),
                                annotations: x.annotations.clone(),
                                state: x.state,
                                active_at_ms: x.active_at_ms,
                                keep_firing_since_ms: x.keep_firing_since_ms,
                                value: x.value,
                            })
                            .collect(),
                    }),
                },
            })
            .collect(),
    }
}
