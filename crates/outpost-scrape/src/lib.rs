//! Outpost's scraping: service discovery (static, file_sd, http_sd, and
//! Kubernetes through a pluggable cluster), relabeling with every action,
//! target label population, and scrape loops on the clock that write into
//! the TSDB with Prometheus' staleness and report-series semantics.

mod discovery;
mod http;
mod manager;
mod relabel;
mod scrape_loop;
mod target;

pub use discovery::{KubernetesCluster, TargetGroup};
pub use http::{Auth, build_client, install_crypto_provider};
pub use manager::{ActiveTarget, DroppedTargetInfo, ScrapeManager, ScrapeStats};
pub use relabel::{LabelSet, hashmod, relabel};
pub use scrape_loop::{Health, MetricMetadata, TargetHealth};
pub use target::{DroppedTarget, Target, populate};
