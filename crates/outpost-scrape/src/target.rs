//! Scrape targets: turning discovered labels into a target (Prometheus 3's
//! PopulateLabels), its URL, identity hash and start offset.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use outpost_config::ScrapeConfig;

use crate::discovery::TargetGroup;
use outpost_config::{LabelBuilder, relabel};

/// A target after relabeling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// All labels, including `__`-prefixed ones used for the URL.
    pub labels: LabelBuilder,
    /// What discovery gave, before relabeling.
    pub discovered: LabelBuilder,
    /// The scrape URL.
    pub url: String,
}

/// A target discovery produced but relabeling dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DroppedTarget {
    /// What discovery gave.
    pub discovered: LabelBuilder,
}

impl Target {
    /// Labels attached to every sample: those not starting with `__`.
    pub fn public_labels(&self) -> impl Iterator<Item = (&str, &str)> {
        self.labels.iter().filter(|(n, _)| !n.starts_with("__"))
    }

    /// Identity used to deduplicate targets and spread their start offsets
    /// (FNV-1a over the label pairs and the URL).
    pub fn hash(&self) -> u64 {
        let mut h = Fnv::default();
        for (n, v) in self.labels.iter() {
            h.write(n.as_bytes());
            h.write(&[0xff]);
            h.write(v.as_bytes());
            h.write(&[0xff]);
        }
        h.write(self.url.as_bytes());
        h.0
    }

    /// Delay from `now_ms` to this target's first scrape: its hash picks a
    /// fixed phase within the interval, so targets spread out evenly.
    pub fn offset_ms(&self, now_ms: i64, interval_ms: i64, seed: u64) -> i64 {
        if interval_ms <= 0 {
            return 0;
        }
        let base = interval_ms - now_ms.rem_euclid(interval_ms);
        let offset = ((self.hash() ^ seed) % interval_ms as u64) as i64;
        let next = base + offset;
        if next > interval_ms {
            next - interval_ms
        } else {
            next
        }
    }
}

/// FNV-1a 64.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fnv(pub(crate) u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Fnv {
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Percent-encodes a URL query component as Go's `url.QueryEscape`.
fn query_escape(s: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
}

/// Builds targets from discovered groups for one scrape config. Returns
/// the kept targets, the dropped ones and per-target errors.
pub fn populate(
    cfg: &ScrapeConfig,
    groups: &[TargetGroup],
) -> (Vec<Target>, Vec<DroppedTarget>, Vec<String>) {
    let (mut kept, mut dropped, mut errors) = (Vec::new(), Vec::new(), Vec::new());
    for g in groups {
        for t in &g.targets {
            let mut ls = LabelBuilder::from_pairs(t.iter().map(|(k, v)| (k.clone(), v.clone())));
            for (k, v) in &g.labels {
                if ls.get(k).is_none() {
                    ls.set(k.clone(), v.clone());
                }
            }
            let discovered = ls.clone();
            match populate_one(cfg, ls) {
                Ok(Some(target)) => kept.push(target.with_discovered(discovered)),
                Ok(None) => dropped.push(DroppedTarget { discovered }),
                Err(e) => errors.push(e),
            }
        }
    }
    (kept, dropped, errors)
}

impl Target {
    fn with_discovered(mut self, d: LabelBuilder) -> Self {
        self.discovered = d;
        self
    }
}

fn populate_one(cfg: &ScrapeConfig, mut ls: LabelBuilder) -> Result<Option<Target>, String> {
    let defaults = [
        ("job", cfg.job_name.clone()),
        ("__scrape_interval__", cfg.scrape_interval.to_string()),
        ("__scrape_timeout__", cfg.scrape_timeout.to_string()),
        ("__metrics_path__", cfg.metrics_path.clone()),
        ("__scheme__", cfg.scheme.clone()),
    ];
    for (k, v) in defaults {
        if ls.get(k).is_none() {
            ls.set(k.to_string(), v);
        }
    }
    for (k, vals) in &cfg.params {
        let name = format!("__param_{k}");
        if ls.get(&name).is_none()
            && let Some(first) = vals.first()
        {
            ls.set(name, first.clone());
        }
    }
    if !relabel(&mut ls, &cfg.relabel_configs) {
        return Ok(None);
    }
    let addr = ls.get("__address__").unwrap_or("").to_string();
    if addr.is_empty() {
        return Err("no address".into());
    }
    if addr.contains('/') {
        return Err(format!("{addr:?} is not a valid hostname"));
    }
    for key in ["__scrape_interval__", "__scrape_timeout__"] {
        let v = ls.get(key).unwrap_or("");
        match outpost_config::PromDuration::parse(v) {
            Ok(d) if d.is_zero() => {
                return Err(format!(
                    "scrape {} cannot be 0",
                    if key == "__scrape_interval__" {
                        "interval"
                    } else {
                        "timeout"
                    }
                ));
            }
            Ok(_) => {}
            Err(e) => return Err(format!("error parsing {key}: {e}")),
        }
    }
    ls.retain(|n, _| !n.starts_with("__meta_"));
    if ls.get("instance").is_none() {
        ls.set("instance".into(), addr.clone());
    }
    let url = build_url(cfg, &ls, &addr);
    Ok(Some(Target {
        labels: ls,
        discovered: LabelBuilder::default(),
        url,
    }))
}

fn build_url(cfg: &ScrapeConfig, ls: &LabelBuilder, addr: &str) -> String {
    let scheme = ls.get("__scheme__").unwrap_or("http");
    let path = ls.get("__metrics_path__").unwrap_or("/metrics");
    let mut params: BTreeMap<String, Vec<String>> = cfg.params.clone();
    for (n, v) in ls.iter() {
        if let Some(k) = n.strip_prefix("__param_") {
            let e = params.entry(k.to_string()).or_default();
            if e.is_empty() {
                e.push(v.to_string());
            } else {
                e[0] = v.to_string();
            }
        }
    }
    let mut url = format!("{scheme}://{addr}{path}");
    let mut first = true;
    for (k, vals) in &params {
        for v in vals {
            url.push(if first { '?' } else { '&' });
            first = false;
            query_escape(k, &mut url);
            url.push('=');
            query_escape(v, &mut url);
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use outpost_config::{Files, parse_prometheus};

    use super::*;

    fn job(yaml: &str) -> ScrapeConfig {
        let (c, _) = parse_prometheus(
            &Files::Embedded(&[]),
            Path::new("p.yml"),
            "p.yml",
            yaml.to_string(),
        )
        .unwrap();
        c.scrape_configs.into_iter().next().unwrap()
    }

    fn group(targets: &[&[(&str, &str)]]) -> TargetGroup {
        TargetGroup {
            source: "test".into(),
            targets: targets
                .iter()
                .map(|t| {
                    t.iter()
                        .map(|(a, b)| (a.to_string(), b.to_string()))
                        .collect()
                })
                .collect(),
            labels: BTreeMap::from([("group".to_string(), "g".to_string())]),
        }
    }

    #[test]
    fn defaults_instance_and_url() {
        let cfg = job(
            "scrape_configs:\n  - job_name: node\n    scrape_interval: 30s\n    params: {module: [http_2xx, x], 'a b': ['c&d']}\n",
        );
        let (kept, dropped, errors) = populate(&cfg, &[group(&[&[("__address__", "host:9100")]])]);
        assert!(dropped.is_empty() && errors.is_empty());
        let t = &kept[0];
        assert_eq!(
            t.url,
            "http://host:9100/metrics?a+b=c%26d&module=http_2xx&module=x"
        );
        let public: Vec<_> = t.public_labels().collect();
        assert_eq!(
            public,
            vec![("group", "g"), ("instance", "host:9100"), ("job", "node")]
        );
        assert_eq!(t.labels.get("__scrape_interval__"), Some("30s"));
        assert_eq!(t.labels.get("__param_module"), Some("http_2xx"));
    }

    #[test]
    fn relabeling_drops_keeps_and_rewrites_and_meta_labels_vanish() {
        let cfg = job(
            "scrape_configs:\n  - job_name: pods\n    relabel_configs:\n      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_scrape]\n        action: keep\n        regex: true\n      - source_labels: [__meta_kubernetes_pod_annotation_prometheus_io_path]\n        target_label: __metrics_path__\n        regex: (.+)\n      - source_labels: [__param_target]\n        target_label: instance\n",
        );
        let (kept, dropped, errors) = populate(
            &cfg,
            &[group(&[
                &[
                    ("__address__", "10.0.0.1:8080"),
                    (
                        "__meta_kubernetes_pod_annotation_prometheus_io_scrape",
                        "true",
                    ),
                    (
                        "__meta_kubernetes_pod_annotation_prometheus_io_path",
                        "/stats",
                    ),
                ],
                &[("__address__", "10.0.0.2:8080")],
                &[(
                    "__meta_kubernetes_pod_annotation_prometheus_io_scrape",
                    "true",
                )],
            ])],
        );
        assert_eq!(kept.len(), 1);
        assert_eq!(dropped.len(), 1);
        assert_eq!(errors, vec!["no address".to_string()]);
        assert_eq!(kept[0].url, "http://10.0.0.1:8080/stats");
        assert!(
            kept[0]
                .labels
                .iter()
                .all(|(n, _)| !n.starts_with("__meta_"))
        );
        assert!(
            kept[0]
                .discovered
                .get("__meta_kubernetes_pod_annotation_prometheus_io_path")
                .is_some()
        );
    }

    #[test]
    fn offsets_stay_within_the_interval_and_differ_per_target() {
        let cfg = job("scrape_configs:\n  - job_name: j\n");
        let (kept, _, _) = populate(
            &cfg,
            &[group(&[
                &[("__address__", "a:1")],
                &[("__address__", "b:1")],
            ])],
        );
        let o: Vec<i64> = kept
            .iter()
            .map(|t| t.offset_ms(1_000_123, 15_000, 7))
            .collect();
        assert!(o.iter().all(|&x| (0..=15_000).contains(&x)), "{o:?}");
        assert_ne!(o[0], o[1]);
        assert_eq!(kept[0].offset_ms(1_000_123, 15_000, 7), o[0], "stable");
    }
}
