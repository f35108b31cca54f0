//! [`Alertmanager`]: its settings, lifecycle (start, reload, stop), config
//! and metrics. The alert and silence store with the views the API lists is
//! in `store`, the dispatcher (aggregation groups and their timers on the
//! clock) in `dispatch`, the delivery of one notification in `delivery`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use outpost_clock::Clock;
use outpost_config::{AlertmanagerConfig, Files, Matcher};
use outpost_template::TemplateSet;
use tokio::sync::{Notify, watch};

use crate::activity::Activity;
use crate::alert::{Alert, Fingerprint, GO_ZERO_MS, LabelSet, format_rfc3339_nano, labelset_cmp};
use crate::error::Result;
use crate::inhibit::InhibitSnapshot;
use crate::metrics::{self, Gauges, Metrics};
use crate::nflog::{NflogEntry, NflogKey};
use crate::notify::{self, Integration};
use crate::outbox::{Notification, NotificationFilter, NotifiedAlert, Outbox};
use crate::persist::Persister;
use crate::render;
use crate::route::RouteTree;
use crate::silence::{Silence, SilenceState, Silences};

mod delivery;
mod dispatch;
mod store;

#[cfg(test)]
pub(crate) use delivery::email_of;
use dispatch::{insert_into_groups, run_dispatcher};

/// Settings of the stand-in.
#[derive(Debug, Clone)]
pub struct AlertmanagerOptions {
    /// Deliver Slack/PagerDuty notifications to their URLs (webhooks always are).
    pub deliver: bool,
    /// Where silences and the notification log persist; in memory when `None`.
    pub data_dir: Option<PathBuf>,
    /// The URL Alertmanager is reachable at (`externalURL`), without trailing `/`.
    pub external_url: String,
    /// Most alerts stored; more are rejected and counted.
    pub max_alerts: usize,
    /// Most aggregation groups; alerts that would open more are counted.
    pub max_groups: usize,
    /// Most silences (including expired ones kept for the retention).
    pub max_silences: usize,
    /// Notifications kept in the outbox (oldest dropped first).
    pub max_outbox: usize,
    /// Shortest time a flush may spend retrying (Alertmanager: 10s).
    pub min_notify_timeout: Duration,
    /// Where the config's template files are read from.
    pub files: Files,
}

impl Default for AlertmanagerOptions {
    fn default() -> Self {
        AlertmanagerOptions {
            deliver: false,
            data_dir: None,
            external_url: "http://localhost:9093".into(),
            max_alerts: 100_000,
            max_groups: 10_000,
            max_silences: 10_000,
            max_outbox: 1_000,
            min_notify_timeout: Duration::from_secs(10),
            files: Files::Disk,
        }
    }
}

/// The query of `GET /api/v2/alerts` and `/alerts/groups`.
#[derive(Debug, Clone)]
pub struct AlertQuery {
    /// Label matchers (a matcher on `""` matches a missing label).
    pub filter: Vec<Matcher>,
    /// Receiver regex (anchored).
    pub receiver: Option<String>,
    /// Include unsuppressed alerts.
    pub active: bool,
    /// Include silenced alerts.
    pub silenced: bool,
    /// Include inhibited alerts.
    pub inhibited: bool,
    /// Accepted and ignored, as upstream.
    pub unprocessed: bool,
}

impl Default for AlertQuery {
    fn default() -> Self {
        AlertQuery {
            filter: Vec::new(),
            receiver: None,
            active: true,
            silenced: true,
            inhibited: true,
            unprocessed: true,
        }
    }
}

/// An alert with its status, as the API lists it.
#[derive(Debug, Clone)]
pub struct AlertView {
    /// The stored alert.
    pub alert: Alert,
    /// Receivers of every route it matches.
    pub receivers: Vec<String>,
    /// `active` or `suppressed`.
    pub state: &'static str,
    /// Ids of active silences muting it, sorted.
    pub silenced_by: Vec<String>,
    /// The first inhibiting source, if any.
    pub inhibited_by: Vec<String>,
}

/// An aggregation group as the API lists it.
#[derive(Debug, Clone)]
pub struct AlertGroupView {
    /// The values of the route's `group_by` labels that define the group.
    pub labels: LabelSet,
    /// Receiver of the group's route.
    pub receiver: String,
    /// Its alerts (flush order).
    pub alerts: Vec<AlertView>,
}

/// A silence and its state now.
#[derive(Debug, Clone)]
pub struct SilenceView {
    /// The stored silence.
    pub silence: Silence,
    /// Whether it is active, pending or expired at the clock's now.
    pub state: SilenceState,
}

/// One route a label set reaches (route tester).
#[derive(Debug, Clone)]
pub struct RoutedTo {
    /// Receiver the route notifies.
    pub receiver: String,
    /// The route's key, its matchers from the root (`{}/{severity="critical"}`).
    pub route_key: String,
}

struct Running {
    config: AlertmanagerConfig,
    tree: RouteTree,
    integrations: HashMap<String, Vec<Integration>>,
    templates: TemplateSet,
}

impl Running {
    fn new(config: &AlertmanagerConfig, files: &Files) -> Self {
        let integrations = config
            .receivers
            .iter()
            .map(|r| (r.name.clone(), notify::integrations(r, &config.path)))
            .collect();
        Running {
            templates: render::template_set(&config.templates, files),
            tree: RouteTree::new(&config.route),
            config: config.clone(),
            integrations,
        }
    }
}

type GroupId = (usize, String);

struct Group {
    route: usize,
    key: String,
    labels: LabelSet,
    alerts: HashMap<Fingerprint, Alert>,
    next_flush: i64,
    flushed: bool,
    flushing: bool,
}

struct State {
    running: Arc<Running>,
    alerts: HashMap<Fingerprint, Alert>,
    groups: HashMap<GroupId, Group>,
    silences: Silences,
    nflog: HashMap<NflogKey, NflogEntry>,
    last_maintenance: i64,
    last_gc: i64,
}

struct Inner {
    clock: Clock,
    opts: AlertmanagerOptions,
    state: Mutex<State>,
    wake: Notify,
    /// What the dispatcher and its flushes are doing, for [`Alertmanager::settled`].
    activity: Activity,
    metrics: Metrics,
    outbox: Mutex<Outbox>,
    persist: Option<Persister>,
    started_ms: i64,
    stop: watch::Sender<bool>,
}

/// The Alertmanager stand-in. Cheap to clone; every clone is the same instance.
#[derive(Clone)]
pub struct Alertmanager {
    inner: Arc<Inner>,
}

impl Inner {
    /// Tells the dispatcher the state changed.
    fn kick(&self) {
        self.activity.kick();
        self.wake.notify_one();
    }
}

impl std::fmt::Debug for Alertmanager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alertmanager").finish_non_exhaustive()
    }
}

const MAINTENANCE_MS: i64 = 30_000;
const ALERT_GC_MS: i64 = 30 * 60_000;

fn alert_order(a: &Alert, b: &Alert) -> std::cmp::Ordering {
    // Alertmanager's AlertSlice.Less: job, then instance (present first), then
    // the label sets by `LabelSet.Before`.
    for name in ["job", "instance"] {
        match (a.labels.get(name), b.labels.get(name)) {
            (Some(x), Some(y)) if x != y => return x.cmp(y),
            (Some(_), None) => return std::cmp::Ordering::Less,
            (None, Some(_)) => return std::cmp::Ordering::Greater,
            _ => {}
        }
    }
    labelset_cmp(&a.labels, &b.labels)
}

fn notified(a: &Alert, now: i64) -> NotifiedAlert {
    let resolved = a.resolved_at(now);
    NotifiedAlert {
        status: if resolved { "resolved" } else { "firing" }.into(),
        labels: a.labels.clone(),
        annotations: a.annotations.clone(),
        starts_at: format_rfc3339_nano(a.starts_at),
        ends_at: format_rfc3339_nano(if resolved { a.ends_at } else { GO_ZERO_MS }),
        generator_url: a.generator_url.clone(),
        fingerprint: a.fingerprint.to_string(),
    }
}

impl Alertmanager {
    /// Starts the stand-in with a validated config: opens the data dir (if
    /// any), loads silences and the notification log, and spawns the
    /// dispatcher on the current tokio runtime.
    pub fn start(
        config: &AlertmanagerConfig,
        clock: Clock,
        opts: AlertmanagerOptions,
    ) -> Result<Self> {
        let mut silences = Silences::new(opts.max_silences);
        let mut nflog = HashMap::new();
        let persist = match &opts.data_dir {
            None => None,
            Some(dir) => {
                let (p, loaded) = Persister::open(dir)?;
                tracing::info!(
                    file = %p.path.display(),
                    silences = loaded.silences.len(),
                    nflog_entries = loaded.nflog.len(),
                    "loaded alertmanager state"
                );
                for s in loaded.silences {
                    silences.load(s);
                }
                nflog.extend(loaded.nflog);
                Some(p)
            }
        };
        let now = clock.now_ms();
        let (stop, _) = watch::channel(false);
        let am = Alertmanager {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    running: Arc::new(Running::new(config, &opts.files)),
                    alerts: HashMap::new(),
                    groups: HashMap::new(),
                    silences,
                    nflog,
                    last_maintenance: now,
                    last_gc: now,
                }),
                clock,
                wake: Notify::new(),
                activity: Activity::default(),
                metrics: Metrics::new(),
                outbox: Mutex::new(Outbox::new(opts.max_outbox)),
                persist,
                started_ms: now,
                stop,
                opts,
            }),
        };
        let inner = am.inner.clone();
        let busy = inner.activity.busy();
        tokio::spawn(async move { run_dispatcher(inner, busy).await });
        Ok(am)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stops the dispatcher and flushes pending writes.
    pub fn stop(&self) {
        let _ = self.inner.stop.send(true);
        self.sync();
    }

    /// Waits until every persisted change so far is on disk.
    pub fn sync(&self) {
        if let Some(p) = &self.inner.persist {
            p.sync();
        }
    }

    /// Swaps in a new configuration: the dispatcher is rebuilt and every
    /// stored alert is grouped again (the notification log prevents repeats).
    pub fn apply_config(&self, config: &AlertmanagerConfig) {
        let now = self.inner.clock.now_ms();
        let mut st = self.state();
        if st.running.config == *config {
            return;
        }
        st.running = Arc::new(Running::new(config, &self.inner.opts.files));
        st.groups.clear();
        let alerts: Vec<Alert> = st.alerts.values().cloned().collect();
        for a in &alerts {
            insert_into_groups(&mut st, &self.inner, a, now);
        }
        drop(st);
        tracing::info!(
            receivers = config.receivers.len(),
            "alertmanager configuration applied"
        );
        self.inner.kick();
    }

    /// Waits until the dispatcher is quiescent for the clock time of the
    /// call: every group timer and retry backoff due by then has fired, every
    /// flush it started has ended (sends answered or failed, notification
    /// log and outbox written), and every stored alert and config change
    /// has been seen by the dispatcher. Work waiting for a later clock time
    /// does not hold it up; a request in flight does, until it is answered
    /// or hits its deadline. Disk writes are [`Alertmanager::sync`]'s.
    pub async fn settled(&self) {
        let now = self.inner.clock.now_ms();
        self.inner.activity.settled_at(now).await;
    }

    /// The clock this instance runs on.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// When it started (Unix ms).
    pub fn started_ms(&self) -> i64 {
        self.inner.started_ms
    }

    /// The external URL.
    pub fn external_url(&self) -> &str {
        &self.inner.opts.external_url
    }

    /// The running configuration.
    pub fn config(&self) -> AlertmanagerConfig {
        self.state().running.config.clone()
    }

    /// The config text as `/api/v2/status` serves it: re-serialised, with
    /// every field declared as a secret (passwords, keys, tokens, Slack
    /// URLs) printed as `<secret>`, as Alertmanager's re-marshalled config
    /// does.
    pub fn config_original(&self) -> String {
        self.state().running.config.redacted.clone()
    }

    /// Receiver names in config order.
    pub fn receivers(&self) -> Vec<String> {
        self.state()
            .running
            .config
            .receivers
            .iter()
            .map(|r| r.name.clone())
            .collect()
    }

    /// Routes an alert with these labels reaches.
    pub fn routes_for(&self, labels: &LabelSet) -> Vec<RoutedTo> {
        let running = self.state().running.clone();
        running
            .tree
            .match_labels(labels)
            .into_iter()
            .map(|i| {
                let n = running.tree.node(i);
                RoutedTo {
                    receiver: n.opts.receiver.clone(),
                    route_key: n.key.clone(),
                }
            })
            .collect()
    }

    /// Notifications in the outbox.
    pub fn notifications(&self, f: &NotificationFilter) -> Vec<Notification> {
        self.inner
            .outbox
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .list(f)
    }

    /// `(notifications_total, notifications_failed_total)` of an integration.
    pub fn notification_counts(&self, integration: &str) -> (u64, u64) {
        let p = self.inner.metrics.get(integration);
        (p.notifications, p.failed)
    }

    /// Appends the `alertmanager_*` metrics in the text format.
    pub fn render_metrics(&self, w: &mut String) {
        let now = self.inner.clock.now_ms();
        let mut g = Gauges::default();
        {
            let st = self.state();
            let inh =
                InhibitSnapshot::new(&st.running.config.inhibit_rules, st.alerts.values(), now);
            for a in st.alerts.values().filter(|a| !a.resolved_at(now)) {
                let suppressed = inh.inhibited_by(&a.labels, a.fingerprint).is_some()
                    || !st.silences.silenced_by(&a.labels, now).is_empty();
                if suppressed {
                    g.alerts_suppressed += 1;
                } else {
                    g.alerts_active += 1;
                }
            }
            let mut counts = [0u64; 3];
            for s in st.silences.all() {
                counts[match s.state(now) {
                    SilenceState::Active => 0,
                    SilenceState::Pending => 1,
                    SilenceState::Expired => 2,
                }] += 1;
            }
            g.silences = [
                ("active", counts[0]),
                ("pending", counts[1]),
                ("expired", counts[2]),
            ];
            g.groups = st.groups.len() as u64;
            g.silences_rejected = st.silences.rejected;
        }
        {
            let o = self.inner.outbox.lock().unwrap_or_else(|e| e.into_inner());
            g.outbox = o.len() as u64;
            g.outbox_dropped = o.dropped;
        }
        metrics::render(&self.inner.metrics, &g, w);
    }
}

#[cfg(test)]
mod redact_tests {
    use outpost_config::{Files, parse_alertmanager};

    fn parsed(text: &str) -> serde_json::Value {
        serde_saphyr::from_str(text).unwrap()
    }

    /// `config_original`'s text: redacted from the secret types of the config.
    fn redact(text: &str) -> String {
        let (c, _) = parse_alertmanager(
            &Files::Embedded(&[]),
            std::path::Path::new("am.yml"),
            "am.yml",
            text.to_string(),
        )
        .unwrap();
        c.redacted
    }

    #[test]
    fn secrets_print_as_secret() {
        let t = "global:\n  smtp_auth_password: 'x'\nroute: {receiver: a}\nreceivers:\n  - name: a\n    slack_configs:\n      - api_url: 'https://hooks'\n        channel: '#c'\n    pagerduty_configs:\n      - routing_key: k\n";
        let out = redact(t);
        let r = parsed(&out);
        assert_eq!(r["global"]["smtp_auth_password"], "<secret>");
        let s = &r["receivers"][0]["slack_configs"];
        assert_eq!(s[0]["api_url"], "<secret>");
        assert_eq!(s[0]["channel"], "#c");
        assert_eq!(
            r["receivers"][0]["pagerduty_configs"][0]["routing_key"],
            "<secret>"
        );
        assert!(out.contains("api_url: <secret>\n"), "{out}");
    }

    #[test]
    fn flow_style_secrets_are_redacted() {
        let t = "route: {receiver: a}\nreceivers:\n  - {name: a, webhook_configs: [{url: 'http://h', http_config: {basic_auth: {username: u, password: pw-leak}}}]}\n  - name: b\n    slack_configs: [{api_url: 'https://hooks/url-leak', channel: '#c'}]\n    pagerduty_configs:\n      - {routing_key: rk-leak, http_config: {authorization: {credentials: cred-leak}}}\n";
        let out = redact(t);
        for leak in ["pw-leak", "url-leak", "rk-leak", "cred-leak"] {
            assert!(!out.contains(leak), "{leak} leaked: {out}");
        }
        let r = parsed(&out);
        let w = &r["receivers"][0]["webhook_configs"][0];
        assert_eq!(w["url"], "http://h", "a plain URL in Alertmanager 0.25");
        let auth = &w["http_config"]["basic_auth"];
        assert_eq!(auth["password"], "<secret>");
        assert_eq!(auth["username"], "u");
        assert_eq!(r["receivers"][1]["slack_configs"][0]["api_url"], "<secret>");
        let pd = &r["receivers"][1]["pagerduty_configs"][0];
        assert_eq!(pd["routing_key"], "<secret>");
        assert_eq!(
            pd["http_config"]["authorization"]["credentials"],
            "<secret>"
        );
        assert_eq!(r["route"]["receiver"], "a");
    }
}
