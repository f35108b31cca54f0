//! Service discovery: static targets, file_sd (JSON/YAML, re-read when the
//! files change), http_sd, and Kubernetes through the [`KubernetesCluster`]
//! trait a simulated cluster implements. Without a cluster, Kubernetes
//! discovery yields no targets.

mod file;
mod http;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use outpost_config::{Discovery, Files, KubernetesSdConfig};
use serde::Deserialize;

pub(crate) use file::FileSd;
pub(crate) use http::HttpSd;

/// Targets sharing labels, as every discovery mechanism reports them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetGroup {
    /// Where the group came from (file path and index, URL, ...).
    pub source: String,
    /// Per-target labels; each has `__address__`.
    pub targets: Vec<BTreeMap<String, String>>,
    /// Labels shared by the group's targets.
    pub labels: BTreeMap<String, String>,
}

/// A source of Kubernetes targets (the demo fleet plugs a simulated cluster in).
pub trait KubernetesCluster: Send + Sync {
    /// The current target groups for one `kubernetes_sd_configs` entry, with
    /// the `__meta_kubernetes_*` labels Prometheus sets for its role.
    fn discover(&self, sd: &KubernetesSdConfig) -> Vec<TargetGroup>;
}

/// The on-disk and over-HTTP format of target groups (file_sd, http_sd).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawGroup {
    #[serde(default)]
    targets: Vec<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

impl RawGroup {
    pub(crate) fn into_group(self, source: String, extra: &[(&str, &str)]) -> TargetGroup {
        let mut labels = self.labels;
        for (k, v) in extra {
            labels.insert((*k).to_string(), (*v).to_string());
        }
        TargetGroup {
            source,
            targets: self
                .targets
                .into_iter()
                .map(|t| BTreeMap::from([("__address__".to_string(), t)]))
                .collect(),
            labels,
        }
    }
}

/// The discovery mechanisms of one job, polled together.
pub(crate) struct JobDiscovery {
    static_groups: Vec<TargetGroup>,
    files: Vec<FileSd>,
    http: Vec<HttpSd>,
    kubernetes: Vec<KubernetesSdConfig>,
    cluster: Option<Arc<dyn KubernetesCluster>>,
}

impl JobDiscovery {
    pub(crate) fn new(
        d: &Discovery,
        config_file: &Path,
        fs: Files,
        client: reqwest::Client,
        cluster: Option<Arc<dyn KubernetesCluster>>,
    ) -> Self {
        let static_groups = d
            .static_configs
            .iter()
            .enumerate()
            .map(|(i, sc)| TargetGroup {
                source: i.to_string(),
                targets: sc
                    .targets
                    .iter()
                    .map(|t| BTreeMap::from([("__address__".to_string(), t.clone())]))
                    .collect(),
                labels: sc.labels.clone(),
            })
            .collect();
        JobDiscovery {
            static_groups,
            files: d
                .file_sd_configs
                .iter()
                .map(|f| FileSd::new(f, config_file, fs))
                .collect(),
            http: d
                .http_sd_configs
                .iter()
                .map(|h| HttpSd::new(h, client.clone()))
                .collect(),
            kubernetes: d.kubernetes_sd_configs.clone(),
            cluster,
        }
    }

    /// Whether anything can change after the first poll.
    pub(crate) fn is_dynamic(&self) -> bool {
        !self.files.is_empty()
            || !self.http.is_empty()
            || (!self.kubernetes.is_empty() && self.cluster.is_some())
    }

    /// Shortest poll period of the dynamic mechanisms, in ms.
    pub(crate) fn poll_ms(&self) -> i64 {
        let mut p = i64::MAX;
        for f in &self.files {
            p = p.min(f.poll_ms());
        }
        for h in &self.http {
            p = p.min(h.refresh_ms());
        }
        if !self.kubernetes.is_empty() && self.cluster.is_some() {
            p = p.min(5_000);
        }
        p
    }

    /// Polls every mechanism due at `now_ms` and returns all current groups.
    pub(crate) async fn poll(&mut self, now_ms: i64) -> Vec<TargetGroup> {
        let mut out = self.static_groups.clone();
        for f in &mut self.files {
            out.extend(f.poll(now_ms).iter().cloned());
        }
        for h in &mut self.http {
            out.extend(h.poll(now_ms).await.iter().cloned());
        }
        if let Some(c) = &self.cluster {
            for k in &self.kubernetes {
                out.extend(c.discover(k));
            }
        }
        out
    }
}
