//! The notifier: Prometheus' alert pipeline between rule evaluation and the
//! Alertmanagers (external labels, `alert_relabel_configs`, a bounded queue,
//! `POST /api/v2/alerts` in batches), with the embedded Alertmanager as one
//! more destination.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use outpost_config::{LabelBuilder, relabel};
use outpost_config::{PrometheusConfig, RelabelConfig};
use outpost_http_client::{Auth, build_client};
use tokio::sync::Notify;

use crate::alert::OutgoingAlert;
use crate::manager::AlertSink;

/// Alerts queued at most (`--alertmanager.notification-queue-capacity`).
pub const QUEUE_CAPACITY: usize = 10_000;
/// Alerts per request (`--alertmanager.notification-batch-size`, 3.4+).
pub const BATCH_SIZE: usize = 256;

/// Delivers alerts to the embedded Alertmanager.
pub type EmbeddedSink = Arc<dyn Fn(Vec<OutgoingAlert>) + Send + Sync>;

/// One external Alertmanager.
#[derive(Debug, Clone)]
pub struct AlertmanagerEndpoint {
    /// `<scheme>://<addr><path_prefix>/api/v2/alerts`.
    pub url: String,
    /// Request timeout.
    pub timeout: Duration,
    /// Relabeling for this Alertmanager only.
    pub alert_relabel_configs: Vec<RelabelConfig>,
    /// The client of its `http_config` (TLS, proxy), when it has one.
    pub client: Option<reqwest::Client>,
    /// Its credentials.
    pub auth: Auth,
}

/// The notifier's configuration.
#[derive(Debug, Clone, Default)]
pub struct NotifierConfig {
    /// External labels, added where an alert lacks the name.
    pub external_labels: Vec<(String, String)>,
    /// `alerting.alert_relabel_configs`.
    pub alert_relabel_configs: Vec<RelabelConfig>,
    /// External Alertmanagers.
    pub endpoints: Vec<AlertmanagerEndpoint>,
    /// `alert_relabel_configs` of the `alertmanagers` block that lists the
    /// embedded Alertmanager (applied to what it receives).
    pub embedded_alert_relabel_configs: Vec<RelabelConfig>,
}

impl NotifierConfig {
    /// The notifier settings of a prometheus.yml: each static target of
    /// `alerting.alertmanagers`, after that block's `relabel_configs` (on
    /// `__address__`, `__scheme__`, `__alerts_path__` and the group's
    /// labels), with its HTTP client settings. Targets for which
    /// `is_self(host_port)` holds are the embedded Alertmanager (the one
    /// Outpost stands in for) and are left out.
    pub fn from_prometheus(cfg: &PrometheusConfig, is_self: impl Fn(&str) -> bool) -> Self {
        let mut endpoints = Vec::new();
        let mut embedded_relabel = Vec::new();
        for am in &cfg.alerting.alertmanagers {
            let mut client = None;
            let auth = Auth::from_config(&am.http_client, &cfg.path);
            let path = format!("{}/api/v2/alerts", am.path_prefix.trim_end_matches('/'));
            for sc in &am.discovery.static_configs {
                for t in &sc.targets {
                    let mut ls = LabelBuilder::from_pairs(sc.labels.clone());
                    ls.set("__address__".into(), t.clone());
                    ls.set("__scheme__".into(), am.scheme.clone());
                    ls.set("__alerts_path__".into(), path.clone());
                    if !relabel(&mut ls, &am.relabel_configs) {
                        continue;
                    }
                    let addr = ls.get("__address__").unwrap_or_default().to_string();
                    if addr.is_empty() {
                        continue;
                    }
                    if is_self(&addr) {
                        embedded_relabel = am.alert_relabel_configs.clone();
                        continue;
                    }
                    if client.is_none() {
                        client = Some(match build_client(&am.http_client, &cfg.path) {
                            Ok(c) => Some(c),
                            Err(e) => {
                                tracing::warn!(error = %e, "alertmanager http_config unusable; using defaults");
                                None
                            }
                        });
                    }
                    endpoints.push(AlertmanagerEndpoint {
                        url: format!(
                            "{}://{}{}",
                            ls.get("__scheme__").unwrap_or("http"),
                            addr,
                            ls.get("__alerts_path__").unwrap_or(&path)
                        ),
                        timeout: Duration::from_millis(am.timeout.as_millis().max(1) as u64),
                        alert_relabel_configs: am.alert_relabel_configs.clone(),
                        client: client.clone().flatten(),
                        auth: auth.clone(),
                    });
                }
            }
        }
        NotifierConfig {
            external_labels: cfg
                .global
                .external_labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            alert_relabel_configs: cfg.alerting.alert_relabel_configs.clone(),
            endpoints,
            embedded_alert_relabel_configs: embedded_relabel,
        }
    }
}

/// Counters of the notifier (Prometheus' `prometheus_notifications_*`).
#[derive(Debug, Default)]
pub struct NotifierCounters {
    /// Alerts handed to an Alertmanager (embedded included).
    pub sent: AtomicU64,
    /// Alerts dropped by relabeling or queue overflow, or in failed batches.
    pub dropped: AtomicU64,
    /// Failed requests.
    pub errors: AtomicU64,
}

/// Applies the alert pipeline and sends.
pub struct Notifier {
    config: RwLock<Arc<NotifierConfig>>,
    embedded: Option<EmbeddedSink>,
    queue: Mutex<VecDeque<OutgoingAlert>>,
    wake: Notify,
    counters: NotifierCounters,
    /// Built on first send (loading root certificates costs milliseconds).
    client: std::sync::OnceLock<reqwest::Client>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier").finish_non_exhaustive()
    }
}

impl Notifier {
    /// A notifier; call [`Notifier::run`] in a task to drain its queue.
    pub fn new(config: NotifierConfig, embedded: Option<EmbeddedSink>) -> Arc<Self> {
        outpost_http_client::install_crypto_provider();
        Arc::new(Notifier {
            config: RwLock::new(Arc::new(config)),
            embedded,
            queue: Mutex::new(VecDeque::new()),
            wake: Notify::new(),
            counters: NotifierCounters::default(),
            client: std::sync::OnceLock::new(),
        })
    }

    /// Replaces the configuration (on reload).
    pub fn set_config(&self, config: NotifierConfig) {
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(config);
    }

    /// The counters.
    pub fn counters(&self) -> &NotifierCounters {
        &self.counters
    }

    /// Alerts waiting to be sent.
    pub fn queue_len(&self) -> usize {
        self.queue.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// External labels, then the global relabeling; `None` when dropped.
    fn pipeline(cfg: &NotifierConfig, mut a: OutgoingAlert) -> Option<OutgoingAlert> {
        for (k, v) in &cfg.external_labels {
            a.labels.entry(k.clone()).or_insert_with(|| v.clone());
        }
        if !cfg.alert_relabel_configs.is_empty() {
            a.labels = relabel_map(&a.labels, &cfg.alert_relabel_configs)?;
        }
        Some(a)
    }

    /// Drains the queue to the external Alertmanagers until the task is dropped.
    pub async fn run(self: Arc<Self>) {
        loop {
            self.wake.notified().await;
            loop {
                let batch: Vec<OutgoingAlert> = {
                    let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
                    let n = q.len().min(BATCH_SIZE);
                    q.drain(..n).collect()
                };
                if batch.is_empty() {
                    break;
                }
                let cfg = self
                    .config
                    .read()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                for ep in &cfg.endpoints {
                    let alerts: Vec<serde_json::Value> = batch
                        .iter()
                        .filter_map(|a| {
                            if ep.alert_relabel_configs.is_empty() {
                                return Some(a.to_json());
                            }
                            let mut a = a.clone();
                            a.labels = relabel_map(&a.labels, &ep.alert_relabel_configs)?;
                            Some(a.to_json())
                        })
                        .collect();
                    if alerts.is_empty() {
                        continue;
                    }
                    let n = alerts.len() as u64;
                    let client = match &ep.client {
                        Some(c) => c,
                        None => self.client.get_or_init(reqwest::Client::new),
                    };
                    let req = client
                        .post(&ep.url)
                        .header(
                            reqwest::header::USER_AGENT,
                            concat!("Prometheus/", env!("CARGO_PKG_VERSION"), " (outpost)"),
                        )
                        .timeout(ep.timeout)
                        .json(&alerts);
                    let res = ep.auth.apply(req).send().await;
                    match res {
                        Ok(r) if r.status().is_success() => {
                            self.counters.sent.fetch_add(n, Ordering::Relaxed);
                        }
                        Ok(r) => {
                            tracing::warn!(url = %ep.url, status = %r.status(), "alertmanager rejected alerts");
                            self.counters.errors.fetch_add(1, Ordering::Relaxed);
                            self.counters.dropped.fetch_add(n, Ordering::Relaxed);
                        }
                        Err(e) => {
                            tracing::warn!(url = %ep.url, error = %e, "sending alerts failed");
                            self.counters.errors.fetch_add(1, Ordering::Relaxed);
                            self.counters.dropped.fetch_add(n, Ordering::Relaxed);
                        }
                    }
                }
            }
        }
    }
}

impl AlertSink for Notifier {
    fn send(&self, alerts: Vec<OutgoingAlert>) {
        let cfg = self
            .config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let before = alerts.len();
        let alerts: Vec<OutgoingAlert> = alerts
            .into_iter()
            .filter_map(|a| Notifier::pipeline(&cfg, a))
            .collect();
        self.counters
            .dropped
            .fetch_add((before - alerts.len()) as u64, Ordering::Relaxed);
        if alerts.is_empty() {
            return;
        }
        if !cfg.endpoints.is_empty() {
            let mut q = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            q.extend(alerts.iter().cloned());
            if q.len() > QUEUE_CAPACITY {
                let over = q.len() - QUEUE_CAPACITY;
                q.drain(..over);
                self.counters
                    .dropped
                    .fetch_add(over as u64, Ordering::Relaxed);
            }
            drop(q);
            self.wake.notify_one();
        }
        if let Some(e) = &self.embedded {
            let alerts: Vec<OutgoingAlert> = if cfg.embedded_alert_relabel_configs.is_empty() {
                alerts
            } else {
                alerts
                    .into_iter()
                    .filter_map(|mut a| {
                        a.labels = relabel_map(&a.labels, &cfg.embedded_alert_relabel_configs)?;
                        Some(a)
                    })
                    .collect()
            };
            if !alerts.is_empty() {
                self.counters
                    .sent
                    .fetch_add(alerts.len() as u64, Ordering::Relaxed);
                e(alerts);
            }
        }
    }
}

fn relabel_map(
    labels: &std::collections::BTreeMap<String, String>,
    configs: &[RelabelConfig],
) -> Option<std::collections::BTreeMap<String, String>> {
    let mut ls = LabelBuilder::from_pairs(labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    if !relabel(&mut ls, configs) {
        return None;
    }
    Some(
        ls.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn alert(labels: &[(&str, &str)]) -> OutgoingAlert {
        OutgoingAlert {
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            annotations: BTreeMap::new(),
            starts_at_ms: 0,
            ends_at_ms: 0,
            generator_url: String::new(),
        }
    }

    #[test]
    fn external_labels_fill_only_missing_names() {
        let cfg = NotifierConfig {
            external_labels: vec![
                ("cluster".into(), "prod".into()),
                ("env".into(), "x".into()),
            ],
            ..NotifierConfig::default()
        };
        let a = Notifier::pipeline(&cfg, alert(&[("alertname", "A"), ("env", "dev")])).unwrap();
        assert_eq!(a.labels["cluster"], "prod");
        assert_eq!(a.labels["env"], "dev");
    }

    #[test]
    fn the_embedded_alertmanagers_block_relabels_what_it_receives() {
        let yaml = "alerting:\n  alertmanagers:\n  - static_configs: [{targets: ['alertmanager:9093']}]\n    alert_relabel_configs: [{action: labeldrop, regex: secret}]\n  - static_configs: [{targets: ['am.example:9093']}]\n    path_prefix: /x\n";
        let (cfg, _) = outpost_config::parse_prometheus(
            &outpost_config::Files::Disk,
            std::path::Path::new("/tmp/prometheus.yml"),
            "prometheus.yml",
            yaml.to_string(),
        )
        .unwrap();
        let nc = NotifierConfig::from_prometheus(&cfg, |a| a.starts_with("alertmanager:"));
        assert_eq!(nc.endpoints.len(), 1);
        assert_eq!(
            nc.endpoints[0].url,
            "http://am.example:9093/x/api/v2/alerts"
        );
        let got = Arc::new(Mutex::new(Vec::new()));
        let g2 = got.clone();
        let n = Notifier::new(nc, Some(Arc::new(move |a| g2.lock().unwrap().extend(a))));
        n.send(vec![alert(&[("alertname", "A"), ("secret", "s")])]);
        let got = got.lock().unwrap();
        assert_eq!(got[0].labels.get("secret"), None);
        assert_eq!(got[0].labels["alertname"], "A");
    }

    #[test]
    fn embedded_sink_receives_processed_alerts() {
        let got = Arc::new(Mutex::new(Vec::new()));
        let g2 = got.clone();
        let n = Notifier::new(
            NotifierConfig {
                external_labels: vec![("cluster".into(), "c1".into())],
                ..NotifierConfig::default()
            },
            Some(Arc::new(move |a| g2.lock().unwrap().extend(a))),
        );
        n.send(vec![alert(&[("alertname", "A")])]);
        let got = got.lock().unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].labels["cluster"], "c1");
        assert_eq!(n.counters().sent.load(Ordering::Relaxed), 1);
    }
}
