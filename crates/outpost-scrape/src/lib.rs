//! Outpost's scraping: service discovery (static, file_sd, http_sd, and
//! Kubernetes through a pluggable cluster), target label population
//! (relabeling comes from `outpost-config`), and scrape loops on the clock that write into
//! the TSDB with Prometheus' staleness and report-series semantics.

mod discovery;
mod manager;
mod scrape_loop;
mod target;

pub use discovery::{KubernetesCluster, TargetGroup};
pub use manager::{ActiveTarget, DroppedTargetInfo, ScrapeManager, ScrapeStats};
pub use scrape_loop::{Health, MetricMetadata, TargetHealth};
pub use target::{DroppedTarget, Target, populate};
