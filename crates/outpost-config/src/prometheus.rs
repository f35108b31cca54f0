//! `prometheus.yml`: raw serde form, then validation into [`PrometheusConfig`].
//!
//! Defaults, validation rules and messages follow Prometheus' `config` package
//! (2.42 and 3.x); keys Prometheus knows but Outpost does not act on (other
//! service discoveries, tracing, runtime) are accepted and reported as warnings;
//! their values are served as `<not shown: section not supported by outpost>`
//! (see `crate::secret::Unmodelled`), so a secret in them cannot leak.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::check::{Checker, Pos};
use crate::duration::PromDuration;
use crate::error::{Diagnostic, Result};
use crate::http::{Finding, HttpClientConfig, with_http_client};
use crate::labels::is_valid_label_name;
use crate::relabel::{RawRelabelConfig, RelabelConfig};
use crate::secret::{Secret, Unmodelled};
use crate::source::{Files, resolve_relative};
use crate::yaml::parse_strict_redacted;

// ---------------------------------------------------------------- raw form

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    global: RawGlobal,
    #[serde(default)]
    rule_files: Vec<Spanned<String>>,
    #[serde(default)]
    scrape_config_files: Vec<String>,
    #[serde(default)]
    scrape_configs: Vec<Spanned<RawScrapeConfig>>,
    #[serde(default)]
    alerting: RawAlerting,
    #[serde(default)]
    remote_write: Vec<Spanned<RawRemoteWrite>>,
    #[serde(default)]
    remote_read: Vec<Spanned<RawRemoteRead>>,
    #[serde(default)]
    storage: Option<RawStorage>,
    #[serde(default)]
    tracing: Option<Unmodelled>,
    #[serde(default)]
    runtime: Option<Unmodelled>,
    #[serde(default)]
    otlp: Option<Unmodelled>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGlobal {
    #[serde(default)]
    scrape_interval: Option<PromDuration>,
    #[serde(default)]
    scrape_timeout: Option<PromDuration>,
    #[serde(default)]
    scrape_protocols: Option<Vec<String>>,
    #[serde(default)]
    evaluation_interval: Option<PromDuration>,
    #[serde(default)]
    rule_query_offset: Option<PromDuration>,
    #[serde(default)]
    external_labels: BTreeMap<String, String>,
    #[serde(default)]
    query_log_file: Option<String>,
    #[serde(default)]
    scrape_failure_log_file: Option<String>,
    #[serde(default)]
    body_size_limit: Option<String>,
    #[serde(default)]
    sample_limit: Option<u64>,
    #[serde(default)]
    label_limit: Option<u64>,
    #[serde(default)]
    label_name_length_limit: Option<u64>,
    #[serde(default)]
    label_value_length_limit: Option<u64>,
    #[serde(default)]
    target_limit: Option<u64>,
    #[serde(default)]
    keep_dropped_targets: Option<u64>,
    #[serde(default)]
    metric_name_validation_scheme: Option<String>,
    #[serde(default)]
    metric_name_escaping_scheme: Option<String>,
    #[serde(default)]
    always_scrape_classic_histograms: Option<bool>,
    #[serde(default)]
    convert_classic_histograms_to_nhcb: Option<bool>,
    #[serde(default)]
    extra_scrape_metrics: Option<bool>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorage {
    #[serde(default)]
    tsdb: Option<RawStorageTsdb>,
    #[serde(default)]
    exemplars: Option<RawExemplars>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStorageTsdb {
    #[serde(default)]
    out_of_order_time_window: Option<PromDuration>,
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExemplars {
    #[serde(default)]
    max_exemplars: Option<i64>,
}

/// A `static_configs` entry.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct StaticConfig {
    /// `host:port` targets.
    #[serde(default)]
    pub targets: Vec<String>,
    /// Labels added to every target of the group.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// A `file_sd_configs` entry.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FileSdConfig {
    /// File globs (JSON or YAML target groups).
    #[serde(default)]
    pub files: Vec<String>,
    /// Re-read interval (default 5m).
    #[serde(default = "default_file_sd_refresh")]
    pub refresh_interval: PromDuration,
}

fn default_file_sd_refresh() -> PromDuration {
    PromDuration::from_secs(300)
}

fn default_http_sd_refresh() -> PromDuration {
    PromDuration::from_secs(60)
}

with_http_client! {
    /// An `http_sd_configs` entry.
    #[derive(Debug, Clone, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    pub struct HttpSdConfig {
        /// Endpoint returning target groups as JSON.
        pub url: String,
        /// Poll interval (default 60s).
        #[serde(default = "default_http_sd_refresh")]
        pub refresh_interval: PromDuration,
    }
}

/// Namespaces a Kubernetes SD watches.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KubernetesNamespaces {
    /// Include the namespace Prometheus runs in.
    #[serde(default)]
    pub own_namespace: bool,
    /// Namespaces to watch by name; all namespaces when empty.
    #[serde(default)]
    pub names: Vec<String>,
}

/// A label/field selector of a Kubernetes SD.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KubernetesSelector {
    /// Role the selector applies to.
    pub role: String,
    /// Kubernetes label selector (`app=web,tier!=db`) objects must match.
    #[serde(default)]
    pub label: Option<String>,
    /// Kubernetes field selector (`status.phase=Running`) objects must match.
    #[serde(default)]
    pub field: Option<String>,
}

/// Metadata attached to discovered targets.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KubernetesAttachMetadata {
    /// Attach node metadata.
    #[serde(default)]
    pub node: bool,
    /// Attach namespace metadata.
    #[serde(default)]
    pub namespace: bool,
}

with_http_client! {
    /// A `kubernetes_sd_configs` entry.
    #[derive(Debug, Clone, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    pub struct KubernetesSdConfig {
        /// Role: pod, service, endpoints, endpointslice, node or ingress.
        #[serde(default)]
        pub role: String,
        /// API server URL; in-cluster config when unset.
        #[serde(default)]
        pub api_server: Option<String>,
        /// kubeconfig file to take the cluster and credentials from.
        #[serde(default)]
        pub kubeconfig_file: Option<String>,
        /// Namespaces to watch.
        #[serde(default)]
        pub namespaces: Option<KubernetesNamespaces>,
        /// Label and field selectors narrowing the watched objects, per role.
        #[serde(default)]
        pub selectors: Vec<KubernetesSelector>,
        /// Node or namespace metadata added to pod targets as labels.
        #[serde(default)]
        pub attach_metadata: Option<KubernetesAttachMetadata>,
    }
}

/// Service discoveries Prometheus has and Outpost does not run.
const UNSUPPORTED_SD: &[&str] = &[
    "azure_sd_configs",
    "consul_sd_configs",
    "digitalocean_sd_configs",
    "docker_sd_configs",
    "dockerswarm_sd_configs",
    "dns_sd_configs",
    "ec2_sd_configs",
    "eureka_sd_configs",
    "gce_sd_configs",
    "hetzner_sd_configs",
    "ionos_sd_configs",
    "kuma_sd_configs",
    "lightsail_sd_configs",
    "linode_sd_configs",
    "marathon_sd_configs",
    "nerve_sd_configs",
    "nomad_sd_configs",
    "openstack_sd_configs",
    "ovhcloud_sd_configs",
    "puppetdb_sd_configs",
    "scaleway_sd_configs",
    "serverset_sd_configs",
    "stackit_sd_configs",
    "triton_sd_configs",
    "uyuni_sd_configs",
    "vultr_sd_configs",
];

macro_rules! with_sd {
    (
        $(#[$m:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$fm:meta])* $fvis:vis $f:ident : $t:ty, )*
        }
    ) => {
        with_http_client! {
            $(#[$m])*
            $vis struct $name {
                $( $(#[$fm])* $fvis $f: $t, )*
                /// Static targets.
                #[serde(default)]
                $vis static_configs: Vec<StaticConfig>,
                /// File-based discovery.
                #[serde(default)]
                $vis file_sd_configs: Vec<FileSdConfig>,
                /// HTTP-based discovery.
                #[serde(default)]
                $vis http_sd_configs: Vec<HttpSdConfig>,
                /// Kubernetes discovery.
                #[serde(default)]
                $vis kubernetes_sd_configs: Vec<KubernetesSdConfig>,
                #[serde(default)] $vis azure_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis consul_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis digitalocean_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis docker_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis dockerswarm_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis dns_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis ec2_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis eureka_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis gce_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis hetzner_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis ionos_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis kuma_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis lightsail_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis linode_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis marathon_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis nerve_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis nomad_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis openstack_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis ovhcloud_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis puppetdb_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis scaleway_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis serverset_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis stackit_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis triton_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis uyuni_sd_configs: Option<Unmodelled>,
                #[serde(default)] $vis vultr_sd_configs: Option<Unmodelled>,
            }
        }

        impl $name {
            fn discovery(&self) -> Discovery {
                let present = [
                    self.azure_sd_configs.is_some(), self.consul_sd_configs.is_some(),
                    self.digitalocean_sd_configs.is_some(), self.docker_sd_configs.is_some(),
                    self.dockerswarm_sd_configs.is_some(), self.dns_sd_configs.is_some(),
                    self.ec2_sd_configs.is_some(), self.eureka_sd_configs.is_some(),
                    self.gce_sd_configs.is_some(), self.hetzner_sd_configs.is_some(),
                    self.ionos_sd_configs.is_some(), self.kuma_sd_configs.is_some(),
                    self.lightsail_sd_configs.is_some(), self.linode_sd_configs.is_some(),
                    self.marathon_sd_configs.is_some(), self.nerve_sd_configs.is_some(),
                    self.nomad_sd_configs.is_some(), self.openstack_sd_configs.is_some(),
                    self.ovhcloud_sd_configs.is_some(), self.puppetdb_sd_configs.is_some(),
                    self.scaleway_sd_configs.is_some(), self.serverset_sd_configs.is_some(),
                    self.stackit_sd_configs.is_some(), self.triton_sd_configs.is_some(),
                    self.uyuni_sd_configs.is_some(), self.vultr_sd_configs.is_some(),
                ];
                Discovery {
                    static_configs: self.static_configs.clone(),
                    file_sd_configs: self.file_sd_configs.clone(),
                    http_sd_configs: self.http_sd_configs.clone(),
                    kubernetes_sd_configs: self.kubernetes_sd_configs.clone(),
                    unsupported: UNSUPPORTED_SD
                        .iter()
                        .zip(present)
                        .filter(|(_, p)| *p)
                        .map(|(n, _)| (*n).to_string())
                        .collect(),
                }
            }
        }
    };
}

with_sd! {
    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct RawScrapeConfig {
        /// Job name.
        #[serde(default)]
        pub(crate) job_name: String,
        #[serde(default)] pub(crate) scrape_interval: Option<PromDuration>,
        #[serde(default)] pub(crate) scrape_timeout: Option<PromDuration>,
        #[serde(default)] pub(crate) scrape_protocols: Option<Vec<String>>,
        #[serde(default)] pub(crate) fallback_scrape_protocol: Option<String>,
        #[serde(default)] pub(crate) scrape_classic_histograms: Option<bool>,
        #[serde(default)] pub(crate) always_scrape_classic_histograms: Option<bool>,
        #[serde(default)] pub(crate) convert_classic_histograms_to_nhcb: Option<bool>,
        #[serde(default)] pub(crate) metrics_path: Option<String>,
        #[serde(default)] pub(crate) honor_labels: Option<bool>,
        #[serde(default)] pub(crate) honor_timestamps: Option<bool>,
        #[serde(default)] pub(crate) track_timestamps_staleness: Option<bool>,
        #[serde(default)] pub(crate) scheme: Option<String>,
        #[serde(default)] pub(crate) params: BTreeMap<String, Vec<String>>,
        #[serde(default)] pub(crate) enable_compression: Option<bool>,
        #[serde(default)] pub(crate) body_size_limit: Option<String>,
        #[serde(default)] pub(crate) sample_limit: Option<u64>,
        #[serde(default)] pub(crate) label_limit: Option<u64>,
        #[serde(default)] pub(crate) label_name_length_limit: Option<u64>,
        #[serde(default)] pub(crate) label_value_length_limit: Option<u64>,
        #[serde(default)] pub(crate) target_limit: Option<u64>,
        #[serde(default)] pub(crate) keep_dropped_targets: Option<u64>,
        #[serde(default)] pub(crate) native_histogram_bucket_limit: Option<u64>,
        #[serde(default)] pub(crate) native_histogram_min_bucket_factor: Option<f64>,
        #[serde(default)] pub(crate) metric_name_validation_scheme: Option<String>,
        #[serde(default)] pub(crate) metric_name_escaping_scheme: Option<String>,
        #[serde(default)] pub(crate) scrape_failure_log_file: Option<String>,
        #[serde(default)] pub(crate) relabel_configs: Vec<Spanned<RawRelabelConfig>>,
        #[serde(default)] pub(crate) metric_relabel_configs: Vec<Spanned<RawRelabelConfig>>,
    }
}

#[allow(dead_code)] // every schema field is decoded for strictness; not all are acted on yet
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlerting {
    #[serde(default)]
    alert_relabel_configs: Vec<Spanned<RawRelabelConfig>>,
    #[serde(default)]
    alertmanagers: Vec<Spanned<RawAlertmanagerTarget>>,
}

with_sd! {
    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct RawAlertmanagerTarget {
        #[serde(default)] pub(crate) path_prefix: Option<String>,
        #[serde(default)] pub(crate) scheme: Option<String>,
        #[serde(default)] pub(crate) timeout: Option<PromDuration>,
        #[serde(default)] pub(crate) api_version: Option<String>,
        #[serde(default)] pub(crate) relabel_configs: Vec<Spanned<RawRelabelConfig>>,
        #[serde(default)] pub(crate) alert_relabel_configs: Vec<Spanned<RawRelabelConfig>>,
        #[serde(default)] pub(crate) sigv4: Option<crate::http::SigV4Config>,
    }
}

/// Remote-write queue tuning (accepted; Outpost's sender uses the values it needs).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct QueueConfig {
    /// Samples buffered per shard.
    #[serde(default)]
    pub capacity: Option<u64>,
    /// Most concurrent senders the queue scales up to.
    #[serde(default)]
    pub max_shards: Option<u64>,
    /// Fewest concurrent senders the queue scales down to.
    #[serde(default)]
    pub min_shards: Option<u64>,
    /// Samples per request.
    #[serde(default)]
    pub max_samples_per_send: Option<u64>,
    /// Longest wait before sending a partial batch.
    #[serde(default)]
    pub batch_send_deadline: Option<PromDuration>,
    /// Initial retry backoff.
    #[serde(default)]
    pub min_backoff: Option<PromDuration>,
    /// Maximum retry backoff.
    #[serde(default)]
    pub max_backoff: Option<PromDuration>,
    /// Retry on HTTP 429.
    #[serde(default)]
    pub retry_on_http_429: Option<bool>,
    /// Drop samples older than this.
    #[serde(default)]
    pub sample_age_limit: Option<PromDuration>,
}

/// Remote-write metadata sending.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MetadataConfig {
    /// Whether metric metadata (type, help, unit) is sent (default true).
    #[serde(default)]
    pub send: Option<bool>,
    /// How often metadata is sent (default 1m).
    #[serde(default)]
    pub send_interval: Option<PromDuration>,
    /// Entries per request.
    #[serde(default)]
    pub max_samples_per_send: Option<u64>,
}

with_http_client! {
    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct RawRemoteWrite {
        #[serde(default)] pub(crate) url: String,
        #[serde(default)] pub(crate) name: Option<String>,
        #[serde(default)] pub(crate) remote_timeout: Option<PromDuration>,
        #[serde(default)] pub(crate) headers: BTreeMap<String, String>,
        #[serde(default)] pub(crate) write_relabel_configs: Vec<Spanned<RawRelabelConfig>>,
        #[serde(default)] pub(crate) send_exemplars: Option<bool>,
        #[serde(default)] pub(crate) send_native_histograms: Option<bool>,
        #[serde(default)] pub(crate) protobuf_message: Option<String>,
        #[serde(default)] pub(crate) round_robin_dns: Option<bool>,
        #[serde(default)] pub(crate) queue_config: Option<QueueConfig>,
        #[serde(default)] pub(crate) metadata_config: Option<MetadataConfig>,
        #[serde(default)] pub(crate) sigv4: Option<crate::http::SigV4Config>,
        #[serde(default)] pub(crate) azuread: Option<Unmodelled>,
        #[serde(default)] pub(crate) google_iam: Option<Unmodelled>,
    }
}

with_http_client! {
    #[allow(dead_code)]
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    pub(crate) struct RawRemoteRead {
        #[serde(default)] pub(crate) url: String,
        #[serde(default)] pub(crate) name: Option<String>,
        #[serde(default)] pub(crate) remote_timeout: Option<PromDuration>,
        #[serde(default)] pub(crate) headers: BTreeMap<String, String>,
        #[serde(default)] pub(crate) read_recent: Option<bool>,
        #[serde(default)] pub(crate) required_matchers: BTreeMap<String, String>,
        #[serde(default)] pub(crate) filter_external_labels: Option<bool>,
    }
}

// ---------------------------------------------------------- validated form

/// Where a job's targets come from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Discovery {
    /// Static target groups.
    pub static_configs: Vec<StaticConfig>,
    /// File discovery.
    pub file_sd_configs: Vec<FileSdConfig>,
    /// HTTP discovery.
    pub http_sd_configs: Vec<HttpSdConfig>,
    /// Kubernetes discovery (served by a simulated cluster when one is plugged in).
    pub kubernetes_sd_configs: Vec<KubernetesSdConfig>,
    /// Names of configured discoveries Outpost does not run.
    pub unsupported: Vec<String>,
}

/// The `global:` block with defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct GlobalConfig {
    /// Default scrape interval (1m).
    pub scrape_interval: PromDuration,
    /// Default scrape timeout (10s, at most the interval).
    pub scrape_timeout: PromDuration,
    /// Default rule evaluation interval (1m).
    pub evaluation_interval: PromDuration,
    /// Default rule query offset (0).
    pub rule_query_offset: PromDuration,
    /// Labels added to alerts and federation/remote-write output.
    pub external_labels: BTreeMap<String, String>,
    /// Default per-scrape sample limit (0 = none).
    pub sample_limit: u64,
    /// Default per-scrape label limit.
    pub label_limit: u64,
    /// Default label name length limit.
    pub label_name_length_limit: u64,
    /// Default label value length limit.
    pub label_value_length_limit: u64,
    /// Default per-job target limit.
    pub target_limit: u64,
    /// Default body size limit in bytes (0 = none).
    pub body_size_limit: u64,
}

/// One validated scrape job.
#[derive(Debug, Clone)]
pub struct ScrapeConfig {
    /// Job name (unique).
    pub job_name: String,
    /// Where the job is in the file.
    pub pos: Pos,
    /// How often each target is scraped (the global default when unset).
    pub scrape_interval: PromDuration,
    /// How long a scrape may take (at most the interval).
    pub scrape_timeout: PromDuration,
    /// Metrics path (default `/metrics`).
    pub metrics_path: String,
    /// Protocols offered in the Accept header, most preferred first.
    pub scrape_protocols: Vec<String>,
    /// Protocol assumed when a target sends no or an unknown Content-Type.
    pub fallback_scrape_protocol: Option<String>,
    /// `http` or `https`.
    pub scheme: String,
    /// Query parameters added to every scrape URL.
    pub params: BTreeMap<String, Vec<String>>,
    /// Keep scraped labels on conflicts.
    pub honor_labels: bool,
    /// Use timestamps from the exposition (default true).
    pub honor_timestamps: bool,
    /// Stale markers for explicit timestamps.
    pub track_timestamps_staleness: bool,
    /// Ask for gzip (default true).
    pub enable_compression: bool,
    /// Sample limit (0 = none).
    pub sample_limit: u64,
    /// Label count limit.
    pub label_limit: u64,
    /// Label name length limit.
    pub label_name_length_limit: u64,
    /// Label value length limit.
    pub label_value_length_limit: u64,
    /// Most targets the job may have after relabeling (0 = none).
    pub target_limit: u64,
    /// Body size limit in bytes.
    pub body_size_limit: u64,
    /// HTTP client settings.
    pub http_client: HttpClientConfig,
    /// Relabeling of discovered targets before scraping.
    pub relabel_configs: Vec<RelabelConfig>,
    /// Relabeling of scraped samples before ingestion.
    pub metric_relabel_configs: Vec<RelabelConfig>,
    /// Where the job's targets come from (static and discovered).
    pub discovery: Discovery,
}

/// An Alertmanager Prometheus sends alerts to.
#[derive(Debug, Clone)]
pub struct AlertmanagerTarget {
    /// Path prefix of the API.
    pub path_prefix: String,
    /// `http` or `https`.
    pub scheme: String,
    /// Push timeout (10s).
    pub timeout: PromDuration,
    /// API version (`v2`).
    pub api_version: String,
    /// Relabeling of discovered Alertmanagers.
    pub relabel_configs: Vec<RelabelConfig>,
    /// Relabeling of alerts for this Alertmanager.
    pub alert_relabel_configs: Vec<RelabelConfig>,
    /// HTTP client settings.
    pub http_client: HttpClientConfig,
    /// Where the Alertmanagers come from.
    pub discovery: Discovery,
}

/// The `alerting:` block.
#[derive(Debug, Clone, Default)]
pub struct AlertingConfig {
    /// Relabeling applied to every alert.
    pub alert_relabel_configs: Vec<RelabelConfig>,
    /// Alertmanagers alerts are sent to, with their discovery and client.
    pub alertmanagers: Vec<AlertmanagerTarget>,
}

/// One remote-write destination.
#[derive(Debug, Clone)]
pub struct RemoteWriteConfig {
    /// URL samples are written to.
    pub url: String,
    /// Name for metrics and logs.
    pub name: Option<String>,
    /// Request timeout (30s).
    pub remote_timeout: PromDuration,
    /// Extra headers.
    pub headers: BTreeMap<String, String>,
    /// Relabeling before sending.
    pub write_relabel_configs: Vec<RelabelConfig>,
    /// Whether exemplars are sent along with samples.
    pub send_exemplars: bool,
    /// Queue tuning.
    pub queue_config: QueueConfig,
    /// Metadata sending.
    pub metadata_config: MetadataConfig,
    /// HTTP client settings.
    pub http_client: HttpClientConfig,
}

/// One remote-read source.
#[derive(Debug, Clone)]
pub struct RemoteReadConfig {
    /// URL samples are read from.
    pub url: String,
    /// Name used in metrics and logs; derived from the URL when unset.
    pub name: Option<String>,
    /// Request timeout (1m).
    pub remote_timeout: PromDuration,
    /// HTTP client settings.
    pub http_client: HttpClientConfig,
}

/// A validated `prometheus.yml`.
#[derive(Debug, Clone)]
pub struct PrometheusConfig {
    /// The file it came from.
    pub path: PathBuf,
    /// The file's text as read; it holds the secrets, so it is one itself
    /// (never served: see `redacted`).
    pub original: Secret,
    /// The config as `/api/v1/status/config` serves it: re-serialised, with
    /// every value declared as a [`crate::Secret`] printed as `<secret>`.
    pub redacted: String,
    /// `global:` with Prometheus' defaults filled in.
    pub global: GlobalConfig,
    /// Rule file globs, resolved against the config file's directory.
    pub rule_files: Vec<PathBuf>,
    /// Scrape jobs in file order.
    pub scrape_configs: Vec<ScrapeConfig>,
    /// Where and how alerts are sent (`alerting:`).
    pub alerting: AlertingConfig,
    /// Remote-write destinations.
    pub remote_write: Vec<RemoteWriteConfig>,
    /// Remote-read sources.
    pub remote_read: Vec<RemoteReadConfig>,
    /// Out-of-order window of the TSDB (0: out-of-order samples are rejected).
    pub out_of_order_time_window: PromDuration,
}

/// Parses a size in Prometheus' base-2 units (`10MB`, `512KiB`, `0`).
pub fn parse_bytes(s: &str) -> std::result::Result<u64, String> {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num.parse().map_err(|_| format!("invalid size {s:?}"))?;
    let shift = match unit {
        "" if n == 0 => 0,
        "B" => 0,
        "KB" | "KiB" => 10,
        "MB" | "MiB" => 20,
        "GB" | "GiB" => 30,
        "TB" | "TiB" => 40,
        "PB" | "PiB" => 50,
        "EB" | "EiB" => 60,
        _ => return Err(format!("invalid size {s:?}")),
    };
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("size {s:?} out of range"))
}

/// Prometheus 3's default `scrape_protocols`.
const DEFAULT_SCRAPE_PROTOCOLS: &[&str] = &[
    "OpenMetricsText1.0.0",
    "OpenMetricsText0.0.1",
    "PrometheusText1.0.0",
    "PrometheusText0.0.4",
];

const SCRAPE_PROTOCOLS: &[&str] = &[
    "PrometheusProto",
    "OpenMetricsText0.0.1",
    "OpenMetricsText1.0.0",
    "PrometheusText0.0.4",
    "PrometheusText1.0.0",
];

fn relabels(
    ck: &mut Checker,
    raws: &[Spanned<RawRelabelConfig>],
    what: &str,
) -> Vec<RelabelConfig> {
    let mut out = Vec::with_capacity(raws.len());
    for r in raws {
        match r.value.validate() {
            Ok(c) => out.push(c),
            Err(e) => ck.error(Some(Pos::of(r)), format!("{what}: {e}")),
        }
    }
    out
}

fn http_findings(ck: &mut Checker, pos: Pos, ctx: &str, findings: Vec<Finding>) {
    for f in findings {
        match f {
            Finding::Error(m) => ck.error(Some(pos), format!("{ctx}: {m}")),
            Finding::Warning(m) => ck.warn(Some(pos), format!("{ctx}: {m}")),
        }
    }
}

fn check_discovery(
    ck: &mut Checker,
    base: &Path,
    files: &Files,
    pos: Pos,
    ctx: &str,
    d: &Discovery,
) {
    for sc in &d.static_configs {
        for t in &sc.targets {
            if t.is_empty() || t.contains('/') {
                ck.error(Some(pos), format!("{ctx}: {t:?} is not a valid hostname"));
            }
        }
        for name in sc.labels.keys() {
            if !is_valid_label_name(name) {
                ck.error(
                    Some(pos),
                    format!("{ctx}: {name:?} is not a valid label name"),
                );
            }
        }
    }
    for f in &d.file_sd_configs {
        for p in &f.files {
            let ok = [".json", ".yml", ".yaml"]
                .iter()
                .any(|ext| p.ends_with(ext));
            if !ok {
                ck.error(
                    Some(pos),
                    format!("{ctx}: path {p:?} is not valid for file discovery; must end in .json, .yml or .yaml"),
                );
            } else if glob::Pattern::new(p).is_err() {
                ck.error(
                    Some(pos),
                    format!("{ctx}: invalid file discovery pattern {p:?}"),
                );
            }
        }
    }
    for h in &d.http_sd_configs {
        if !(h.url.starts_with("http://") || h.url.starts_with("https://")) {
            ck.error(
                Some(pos),
                format!("{ctx}: URL scheme must be 'http' or 'https'"),
            );
        }
        http_findings(ck, pos, ctx, h.http_client().check(base, files));
    }
    for k in &d.kubernetes_sd_configs {
        const ROLES: &[&str] = &[
            "pod",
            "service",
            "endpoints",
            "endpointslice",
            "node",
            "ingress",
        ];
        if k.role.is_empty() {
            ck.error(Some(pos), format!("{ctx}: role missing (one of: pod, service, endpoints, endpointslice, node, ingress)"));
        } else if !ROLES.contains(&k.role.as_str()) {
            ck.error(
                Some(pos),
                format!("{ctx}: unknown Kubernetes SD role {:?}", k.role),
            );
        }
        if k.api_server.is_some() && k.kubeconfig_file.is_some() {
            ck.error(
                Some(pos),
                format!("{ctx}: cannot use 'kubeconfig_file' and 'api_server' simultaneously"),
            );
        }
        http_findings(ck, pos, ctx, k.http_client().check(base, files));
    }
    if !d.kubernetes_sd_configs.is_empty() {
        ck.warn(
            Some(pos),
            format!("{ctx}: kubernetes_sd_configs has no cluster to watch here; it yields no targets unless a simulated cluster is plugged in"),
        );
    }
    for name in &d.unsupported {
        ck.warn(
            Some(pos),
            format!("{ctx}: {name} is not supported by outpost and yields no targets"),
        );
    }
}

fn scheme_ok(ck: &mut Checker, pos: Pos, ctx: &str, scheme: &str) {
    if scheme != "http" && scheme != "https" {
        ck.error(
            Some(pos),
            format!("{ctx}: unknown scheme {scheme:?}; must be http or https"),
        );
    }
}

/// The served config with `bearer_token`/`bearer_token_file` of every HTTP
/// client block shown as `authorization: {type: Bearer, credentials...}`,
/// as Prometheus' config validation rewrites them before serving.
fn bearer_as_authorization(yaml: &str) -> String {
    use serde_json::{Map, Value};
    fn fix(block: &mut Value) {
        let Some(m) = block.as_object_mut() else {
            return;
        };
        let mut auth = Map::new();
        if let Some(t) = m.remove("bearer_token") {
            auth.insert("credentials".into(), t);
        }
        if let Some(f) = m.remove("bearer_token_file") {
            auth.insert("credentials_file".into(), f);
        }
        if !auth.is_empty() && !m.contains_key("authorization") {
            auth.insert("type".into(), Value::String("Bearer".into()));
            m.insert("authorization".into(), Value::Object(auth));
        }
    }
    let Ok(mut tree) = serde_saphyr::from_str::<Value>(yaml) else {
        return yaml.to_string();
    };
    for list in ["scrape_configs", "remote_write", "remote_read"] {
        if let Some(items) = tree.get_mut(list).and_then(Value::as_array_mut) {
            items.iter_mut().for_each(fix);
        }
    }
    if let Some(items) = tree
        .get_mut("alerting")
        .and_then(|a| a.get_mut("alertmanagers"))
        .and_then(Value::as_array_mut)
    {
        items.iter_mut().for_each(fix);
    }
    serde_saphyr::to_string(&tree).unwrap_or_else(|_| yaml.to_string())
}

/// Loads and validates a `prometheus.yml`; returns the config and its warnings.
pub fn load_prometheus(files: &Files, path: &Path) -> Result<(PrometheusConfig, Vec<Diagnostic>)> {
    let display = files.display(path);
    let text = files.read(path).map_err(|source| crate::Error::Io {
        file: display.clone(),
        source,
    })?;
    parse_prometheus(files, path, &display, text)
}

/// Validates `prometheus.yml` text read from `path`.
pub fn parse_prometheus(
    files: &Files,
    path: &Path,
    display: &str,
    text: String,
) -> Result<(PrometheusConfig, Vec<Diagnostic>)> {
    let (raw, redacted): (RawConfig, String) = if text.trim().is_empty() {
        (RawConfig::default(), String::new())
    } else {
        let (raw, redacted) =
            parse_strict_redacted(display, &text).map_err(crate::Error::Invalid)?;
        (raw, bearer_as_authorization(&redacted))
    };
    let mut ck = Checker::new(display);

    let g = &raw.global;
    let scrape_interval = g.scrape_interval.unwrap_or(PromDuration::from_secs(60));
    let default_timeout = PromDuration::from_secs(10);
    let scrape_timeout = g
        .scrape_timeout
        .unwrap_or(if default_timeout > scrape_interval {
            scrape_interval
        } else {
            default_timeout
        });
    if scrape_timeout > scrape_interval {
        ck.error(None, "global scrape timeout greater than scrape interval");
    }
    for (name, value) in &g.external_labels {
        if !is_valid_label_name(name) {
            ck.error(None, format!("{name:?} is not a valid label name"));
        }
        if value.is_empty() {
            ck.error(None, format!("empty value for external label {name:?}"));
        }
    }
    if let Some(p) = &g.scrape_protocols {
        check_protocols(&mut ck, None, p);
    }
    let body_size = |ck: &mut Checker, s: &Option<String>, pos: Option<Pos>| -> u64 {
        match s.as_deref().map(parse_bytes) {
            None => 0,
            Some(Ok(n)) => n,
            Some(Err(e)) => {
                ck.error(pos, e);
                0
            }
        }
    };
    let global = GlobalConfig {
        scrape_interval,
        scrape_timeout,
        evaluation_interval: g.evaluation_interval.unwrap_or(PromDuration::from_secs(60)),
        rule_query_offset: g.rule_query_offset.unwrap_or_default(),
        external_labels: g.external_labels.clone(),
        sample_limit: g.sample_limit.unwrap_or(0),
        label_limit: g.label_limit.unwrap_or(0),
        label_name_length_limit: g.label_name_length_limit.unwrap_or(0),
        label_value_length_limit: g.label_value_length_limit.unwrap_or(0),
        target_limit: g.target_limit.unwrap_or(0),
        body_size_limit: body_size(&mut ck, &g.body_size_limit, None),
    };

    let mut rule_files = Vec::new();
    for rf in &raw.rule_files {
        let resolved = resolve_relative(path, &rf.value);
        if glob::Pattern::new(&resolved.to_string_lossy()).is_err() {
            ck.error(
                Some(Pos::of(rf)),
                format!("invalid rule file path {:?}", rf.value),
            );
        } else {
            rule_files.push(resolved);
        }
    }
    if !raw.scrape_config_files.is_empty() {
        ck.warn(
            None,
            "scrape_config_files is not supported by outpost yet; those jobs are not loaded",
        );
    }

    let mut scrape_configs: Vec<ScrapeConfig> = Vec::new();
    for sc in &raw.scrape_configs {
        let pos = Pos::of(sc);
        let r = &sc.value;
        if r.job_name.is_empty() {
            ck.error(Some(pos), "job_name is empty");
            continue;
        }
        if scrape_configs.iter().any(|s| s.job_name == r.job_name) {
            ck.error(
                Some(pos),
                format!(
                    "found multiple scrape configs with job name {:?}",
                    r.job_name
                ),
            );
        }
        let ctx = format!("scrape config {:?}", r.job_name);
        let interval = r.scrape_interval.unwrap_or(global.scrape_interval);
        let timeout = r
            .scrape_timeout
            .unwrap_or(if global.scrape_timeout > interval {
                interval
            } else {
                global.scrape_timeout
            });
        if timeout > interval {
            ck.error(
                Some(pos),
                format!("scrape timeout greater than scrape interval for scrape config with job name {:?}", r.job_name),
            );
        }
        let scheme = r.scheme.clone().unwrap_or_else(|| "http".into());
        scheme_ok(&mut ck, pos, &ctx, &scheme);
        if let Some(p) = &r.scrape_protocols {
            check_protocols(&mut ck, Some(pos), p);
        }
        if let Some(p) = &r.fallback_scrape_protocol {
            check_protocols(&mut ck, Some(pos), std::slice::from_ref(p));
        }
        let http_client = r.http_client();
        http_findings(&mut ck, pos, &ctx, http_client.check(path, files));
        let discovery = r.discovery();
        check_discovery(&mut ck, path, files, pos, &ctx, &discovery);
        let relabel_configs = relabels(
            &mut ck,
            &r.relabel_configs,
            &format!("{ctx}: relabel_configs"),
        );
        let metric_relabel_configs = relabels(
            &mut ck,
            &r.metric_relabel_configs,
            &format!("{ctx}: metric_relabel_configs"),
        );
        let metrics_path = r.metrics_path.clone().unwrap_or_else(|| "/metrics".into());
        let body_size_limit = match &r.body_size_limit {
            Some(_) => body_size(&mut ck, &r.body_size_limit, Some(pos)),
            None => global.body_size_limit,
        };
        scrape_configs.push(ScrapeConfig {
            job_name: r.job_name.clone(),
            pos,
            scrape_interval: interval,
            scrape_timeout: timeout,
            metrics_path,
            scrape_protocols: r
                .scrape_protocols
                .clone()
                .or_else(|| g.scrape_protocols.clone())
                .unwrap_or_else(|| {
                    DEFAULT_SCRAPE_PROTOCOLS
                        .iter()
                        .map(|s| s.to_string())
                        .collect()
                }),
            fallback_scrape_protocol: r.fallback_scrape_protocol.clone(),
            scheme,
            params: r.params.clone(),
            honor_labels: r.honor_labels.unwrap_or(false),
            honor_timestamps: r.honor_timestamps.unwrap_or(true),
            track_timestamps_staleness: r.track_timestamps_staleness.unwrap_or(false),
            enable_compression: r.enable_compression.unwrap_or(true),
            sample_limit: r.sample_limit.unwrap_or(global.sample_limit),
            label_limit: r.label_limit.unwrap_or(global.label_limit),
            label_name_length_limit: r
                .label_name_length_limit
                .unwrap_or(global.label_name_length_limit),
            label_value_length_limit: r
                .label_value_length_limit
                .unwrap_or(global.label_value_length_limit),
            target_limit: r.target_limit.unwrap_or(global.target_limit),
            body_size_limit,
            http_client,
            relabel_configs,
            metric_relabel_configs,
            discovery,
        });
    }

    let alert_relabel_configs = relabels(
        &mut ck,
        &raw.alerting.alert_relabel_configs,
        "alerting: alert_relabel_configs",
    );
    let mut alertmanagers = Vec::new();
    for am in &raw.alerting.alertmanagers {
        let pos = Pos::of(am);
        let r = &am.value;
        let ctx = "alertmanager config";
        let api_version = r.api_version.clone().unwrap_or_else(|| "v2".into());
        if api_version != "v2" {
            ck.error(
                Some(pos),
                format!(
                    "expected Alertmanager api version to be one of [v2] but got {api_version}"
                ),
            );
        }
        let scheme = r.scheme.clone().unwrap_or_else(|| "http".into());
        scheme_ok(&mut ck, pos, ctx, &scheme);
        let http_client = r.http_client();
        http_findings(&mut ck, pos, ctx, http_client.check(path, files));
        let discovery = r.discovery();
        check_discovery(&mut ck, path, files, pos, ctx, &discovery);
        alertmanagers.push(AlertmanagerTarget {
            path_prefix: r.path_prefix.clone().unwrap_or_else(|| "/".into()),
            scheme,
            timeout: r.timeout.unwrap_or(PromDuration::from_secs(10)),
            api_version,
            relabel_configs: relabels(
                &mut ck,
                &r.relabel_configs,
                "alertmanager config: relabel_configs",
            ),
            alert_relabel_configs: relabels(
                &mut ck,
                &r.alert_relabel_configs,
                "alertmanager config: alert_relabel_configs",
            ),
            http_client,
            discovery,
        });
    }

    let mut remote_write = Vec::new();
    for rw in &raw.remote_write {
        let pos = Pos::of(rw);
        let r = &rw.value;
        if r.url.is_empty() {
            ck.error(Some(pos), "url for remote_write is empty");
        } else if !(r.url.starts_with("http://") || r.url.starts_with("https://")) {
            ck.error(
                Some(pos),
                format!(
                    "remote_write: invalid url {:?}; scheme must be http or https",
                    r.url
                ),
            );
        }
        if remote_write
            .iter()
            .any(|w: &RemoteWriteConfig| w.name.is_some() && w.name == r.name)
        {
            ck.error(
                Some(pos),
                format!(
                    "found multiple remote write configs with job name {:?}",
                    r.name.clone().unwrap_or_default()
                ),
            );
        }
        let http_client = r.http_client();
        http_findings(&mut ck, pos, "remote_write", http_client.check(path, files));
        remote_write.push(RemoteWriteConfig {
            url: r.url.clone(),
            name: r.name.clone(),
            remote_timeout: r.remote_timeout.unwrap_or(PromDuration::from_secs(30)),
            headers: r.headers.clone(),
            write_relabel_configs: relabels(
                &mut ck,
                &r.write_relabel_configs,
                "remote_write: write_relabel_configs",
            ),
            send_exemplars: r.send_exemplars.unwrap_or(false),
            queue_config: r.queue_config.clone().unwrap_or_default(),
            metadata_config: r.metadata_config.clone().unwrap_or_default(),
            http_client,
        });
    }
    let mut remote_read = Vec::new();
    for rr in &raw.remote_read {
        let pos = Pos::of(rr);
        let r = &rr.value;
        if r.url.is_empty() {
            ck.error(Some(pos), "url for remote_read is empty");
        }
        let http_client = r.http_client();
        http_findings(&mut ck, pos, "remote_read", http_client.check(path, files));
        remote_read.push(RemoteReadConfig {
            url: r.url.clone(),
            name: r.name.clone(),
            remote_timeout: r.remote_timeout.unwrap_or(PromDuration::from_secs(60)),
            http_client,
        });
    }
    if raw.tracing.is_some() {
        ck.warn(
            None,
            "tracing: outpost does not export its own traces; section ignored",
        );
    }
    let out_of_order_time_window = raw
        .storage
        .as_ref()
        .and_then(|s| s.tsdb.as_ref())
        .and_then(|t| t.out_of_order_time_window)
        .unwrap_or_default();

    ck.finish(PrometheusConfig {
        path: path.to_path_buf(),
        original: Secret::new(text),
        redacted,
        global,
        rule_files,
        scrape_configs,
        alerting: AlertingConfig {
            alert_relabel_configs,
            alertmanagers,
        },
        remote_write,
        remote_read,
        out_of_order_time_window,
    })
}

fn check_protocols(ck: &mut Checker, pos: Option<Pos>, protocols: &[String]) {
    for p in protocols {
        if !SCRAPE_PROTOCOLS.contains(&p.as_str()) {
            ck.error(
                pos,
                format!(
                    "unknown scrape protocol {p}, supported: {}",
                    SCRAPE_PROTOCOLS.join(", ")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::UNMODELLED_TOKEN;

    fn parse(text: &str) -> Result<(PrometheusConfig, Vec<Diagnostic>)> {
        parse_prometheus(
            &Files::Embedded(&[]),
            Path::new("p/prometheus.yml"),
            "prometheus.yml",
            text.to_string(),
        )
    }

    #[test]
    fn defaults_follow_prometheus() {
        let (c, w) =
            parse("scrape_configs:\n  - job_name: a\n    static_configs: [{targets: ['x:1']}]\n")
                .unwrap();
        assert!(w.is_empty());
        assert_eq!(c.global.scrape_interval.to_string(), "1m");
        assert_eq!(c.global.scrape_timeout.to_string(), "10s");
        assert_eq!(c.global.evaluation_interval.to_string(), "1m");
        let j = &c.scrape_configs[0];
        assert_eq!(
            (j.metrics_path.as_str(), j.scheme.as_str()),
            ("/metrics", "http")
        );
        assert!(j.honor_timestamps && !j.honor_labels);
        assert_eq!(j.scrape_timeout.to_string(), "10s");
    }

    #[test]
    fn short_interval_caps_timeout() {
        let (c, _) =
            parse("global:\n  scrape_interval: 5s\nscrape_configs:\n  - job_name: a\n").unwrap();
        assert_eq!(c.scrape_configs[0].scrape_timeout.to_string(), "5s");
    }

    #[test]
    fn timeout_above_interval_is_an_error() {
        let e = parse(
            "scrape_configs:\n  - job_name: a\n    scrape_interval: 5s\n    scrape_timeout: 10s\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("prometheus.yml:2:5: scrape timeout greater than scrape interval for scrape config with job name \"a\""), "{e}");
    }

    #[test]
    fn duplicate_jobs_and_bad_relabel() {
        let e = parse("scrape_configs:\n  - job_name: a\n  - job_name: a\n    relabel_configs:\n      - action: nope\n").unwrap_err();
        let s = e.to_string();
        assert!(
            s.contains("prometheus.yml:3:5: found multiple scrape configs with job name \"a\""),
            "{s}"
        );
        assert!(s.contains("prometheus.yml:5:9: scrape config \"a\": relabel_configs: unknown relabel action \"nope\""), "{s}");
    }

    /// Issue 16.6: `global:` whose only key is misspelled gave a second,
    /// spurious `field global: expected mapping start` error.
    #[test]
    fn misspelled_only_global_key_is_one_error() {
        let e = parse("global:\n  scrape_intervall: 15s\n").unwrap_err();
        let d = e.diagnostics();
        assert_eq!(d.len(), 1, "{d:#?}");
        assert_eq!(d[0].field.as_deref(), Some("global.scrape_intervall"));
        assert!(d[0].message.contains("unknown field `scrape_intervall`"));
    }

    #[test]
    fn secret_fields_are_typed_and_served_redacted() {
        let (c, _) = parse(
            "scrape_configs:\n  - job_name: a\n    basic_auth: {username: u, password: pw-leak}\n    tls_config: {cert: c, key: key-leak}\n  - job_name: b\n    bearer_token: bt-leak\n  - job_name: c\n    oauth2: {client_id: i, client_secret: cs-leak, token_url: 'http://t'}\n    proxy_url: http://p\n    proxy_connect_header: {X-Auth: [pch-leak]}\n  - job_name: d\n    authorization: {credentials: cred-leak}\n    http_headers: {X-Key: {values: [shown], secrets: [hh-leak]}}\nremote_write:\n  - url: http://rw\n    sigv4: {region: r, secret_key: sig-leak}\n",
        )
        .unwrap();
        let jobs = &c.scrape_configs;
        let basic = jobs[0].http_client.basic_auth.as_ref().unwrap();
        assert_eq!(basic.password.as_ref().unwrap().expose(), "pw-leak");
        let tls = jobs[0].http_client.tls_config.as_ref().unwrap();
        assert_eq!(tls.key.as_ref().unwrap().expose(), "key-leak");
        assert_eq!(
            jobs[1].http_client.bearer_token.as_ref().unwrap().expose(),
            "bt-leak"
        );
        let o = jobs[2].http_client.oauth2.as_ref().unwrap();
        assert_eq!(o.client_secret.as_ref().unwrap().expose(), "cs-leak");
        let z = jobs[3].http_client.authorization.as_ref().unwrap();
        assert_eq!(z.credentials.as_ref().unwrap().expose(), "cred-leak");
        assert!(!format!("{c:?}").contains("-leak"), "Debug shows a secret");
        assert!(!c.redacted.contains("-leak"), "{}", c.redacted);
        let tree: serde_json::Value = serde_saphyr::from_str(&c.redacted).unwrap();
        let j = &tree["scrape_configs"];
        assert_eq!(j[0]["basic_auth"]["password"], "<secret>");
        assert_eq!(j[0]["basic_auth"]["username"], "u");
        assert_eq!(j[0]["tls_config"]["key"], "<secret>");
        assert_eq!(j[0]["tls_config"]["cert"], "c");
        // Served as Prometheus does: bearer_token becomes an authorization.
        assert_eq!(j[1]["authorization"]["credentials"], "<secret>");
        assert_eq!(j[1]["authorization"]["type"], "Bearer");
        assert!(j[1].get("bearer_token").is_none());
        assert_eq!(j[2]["oauth2"]["client_secret"], "<secret>");
        assert_eq!(j[2]["proxy_connect_header"]["X-Auth"][0], "<secret>");
        assert_eq!(j[3]["authorization"]["credentials"], "<secret>");
        assert_eq!(j[3]["http_headers"]["X-Key"]["secrets"][0], "<secret>");
        assert_eq!(j[3]["http_headers"]["X-Key"]["values"][0], "shown");
        assert_eq!(tree["remote_write"][0]["sigv4"]["secret_key"], "<secret>");
        assert!(c.original.expose().contains("pw-leak"));
    }

    /// Issue 16.4: sections decoded as unsupported (consul and other service
    /// discoveries, azuread, tracing) were served verbatim, secrets included.
    #[test]
    fn unsupported_sections_leak_no_secret() {
        let text = "scrape_configs:\n  - job_name: consul\n    consul_sd_configs: [{server: 'c:8500', token: leak1}]\n  - job_name: others\n    basic_auth: {username: shown-user, password: leak-basic}\n    ec2_sd_configs:\n      - region: eu-west-1\n        secret_key: leak-ec2\n        port: 9100\n    nomad_sd_configs:\n      - server: http://nomad:4646\n        authorization: {credentials: \"leak-nomad\"}\n    eureka_sd_configs:\n      - server: http://eureka\n        basic_auth:\n          username: e\n          password: |\n            leak-eureka\n    openstack_sd_configs: [{role: hypervisor, region: r, password: &pw leak-os, application_credential_secret: *pw}]\n    static_configs: [{targets: ['h:1']}]\nremote_write:\n  - url: http://rw\n    azuread: {cloud: AzurePublic, oauth: {client_id: i, client_secret: leak-azure, tenant_id: t}}\ntracing:\n  endpoint: otel:4317\n  headers: {X-Token: leak-tracing}\n";
        let (c, w) = parse(text).unwrap();
        assert!(!w.is_empty(), "unsupported discoveries are warned about");
        assert!(!c.redacted.contains("leak"), "{}", c.redacted);
        let tree: serde_json::Value = serde_saphyr::from_str(&c.redacted).unwrap();
        let j = &tree["scrape_configs"];
        assert_eq!(
            j[0]["consul_sd_configs"], UNMODELLED_TOKEN,
            "{}",
            c.redacted
        );
        assert_eq!(j[0]["job_name"], "consul");
        for sd in [
            "ec2_sd_configs",
            "nomad_sd_configs",
            "eureka_sd_configs",
            "openstack_sd_configs",
        ] {
            assert_eq!(j[1][sd], UNMODELLED_TOKEN, "{sd}: {}", c.redacted);
        }
        // Modelled fields of the same job are served as before.
        assert_eq!(j[1]["basic_auth"]["username"], "shown-user");
        assert_eq!(j[1]["basic_auth"]["password"], "<secret>");
        assert_eq!(j[1]["static_configs"][0]["targets"][0], "h:1");
        assert_eq!(tree["remote_write"][0]["azuread"], UNMODELLED_TOKEN);
        assert_eq!(tree["remote_write"][0]["url"], "http://rw");
        assert_eq!(tree["tracing"], UNMODELLED_TOKEN);
        assert!(c.original.expose().contains("leak1"));
    }

    #[test]
    fn empty_config_serves_empty_text() {
        let (c, _) = parse("").unwrap();
        assert_eq!(c.redacted, "");
    }

    #[test]
    fn bad_duration_names_line_and_field() {
        let e = parse("global:\n  scrape_interval: 15x\n").unwrap_err();
        let d = &e.diagnostics()[0];
        assert_eq!(
            (d.line, d.field.as_deref()),
            (Some(2), Some("global.scrape_interval"))
        );
        assert!(
            d.message.contains("not a valid duration string: \"15x\""),
            "{d}"
        );
    }

    #[test]
    fn in_cluster_files_are_warnings_other_missing_files_errors() {
        let (_, w) = parse("scrape_configs:\n  - job_name: k\n    bearer_token_file: /var/run/secrets/kubernetes.io/serviceaccount/token\n    kubernetes_sd_configs: [{role: pod}]\n").unwrap();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w.iter()
                .any(|d| d.message.contains("in-cluster service-account file"))
        );
        assert!(
            w.iter()
                .any(|d| d.message.contains("kubernetes_sd_configs"))
        );
        let e = parse("scrape_configs:\n  - job_name: k\n    bearer_token_file: /nope/token\n")
            .unwrap_err();
        assert!(
            e.to_string()
                .contains("error checking bearer token file \"/nope/token\""),
            "{e}"
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_bytes("10MB").unwrap(), 10 << 20);
        assert_eq!(parse_bytes("0").unwrap(), 0);
        assert!(parse_bytes("10 apples").is_err());
    }
}
