//! file_sd: JSON or YAML target-group files matched by globs, re-read when
//! their modification time changes and at least every refresh_interval.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use outpost_config::{FileSdConfig, Files, resolve_relative};

use super::{RawGroup, TargetGroup};

/// How often file changes are looked for (Prometheus reacts to inotify events).
const CHANGE_POLL_MS: i64 = 5_000;

pub(crate) struct FileSd {
    patterns: Vec<PathBuf>,
    refresh_ms: i64,
    fs: Files,
    last_full_ms: i64,
    seen: HashMap<PathBuf, Option<SystemTime>>,
    groups: HashMap<PathBuf, Vec<TargetGroup>>,
}

impl FileSd {
    pub(crate) fn new(c: &FileSdConfig, config_file: &Path, fs: Files) -> Self {
        FileSd {
            patterns: c
                .files
                .iter()
                .map(|p| resolve_relative(config_file, p))
                .collect(),
            refresh_ms: c.refresh_interval.as_millis().max(1),
            fs,
            last_full_ms: i64::MIN,
            seen: HashMap::new(),
            groups: HashMap::new(),
        }
    }

    pub(crate) fn poll_ms(&self) -> i64 {
        self.refresh_ms.min(CHANGE_POLL_MS)
    }

    fn mtime(&self, p: &Path) -> Option<SystemTime> {
        match self.fs {
            Files::Disk => std::fs::metadata(p).and_then(|m| m.modified()).ok(),
            Files::Embedded(_) => None,
        }
    }

    pub(crate) fn poll(&mut self, now_ms: i64) -> Vec<TargetGroup> {
        let full = now_ms.saturating_sub(self.last_full_ms) >= self.refresh_ms;
        if full {
            self.last_full_ms = now_ms;
        }
        let mut current = Vec::new();
        for pat in &self.patterns {
            match self.fs.glob(&pat.to_string_lossy()) {
                Ok(paths) => current.extend(paths),
                Err(e) => {
                    tracing::warn!(pattern = %pat.display(), error = %e, "file_sd: invalid pattern")
                }
            }
        }
        self.groups.retain(|p, _| current.contains(p));
        self.seen.retain(|p, _| current.contains(p));
        for p in current {
            let m = self.mtime(&p);
            if !full && self.seen.get(&p) == Some(&m) {
                continue;
            }
            self.seen.insert(p.clone(), m);
            match read_groups(&self.fs, &p) {
                Ok(g) => {
                    self.groups.insert(p, g);
                }
                Err(e) => {
                    // Keep the previous groups of a file that fails to parse, as Prometheus does.
                    tracing::warn!(file = %p.display(), error = %e, "file_sd: cannot read target groups");
                }
            }
        }
        let mut paths: Vec<&PathBuf> = self.groups.keys().collect();
        paths.sort();
        paths
            .into_iter()
            .flat_map(|p| self.groups[p].iter().cloned())
            .collect()
    }
}

fn read_groups(fs: &Files, p: &Path) -> Result<Vec<TargetGroup>, String> {
    let text = fs.read(p).map_err(|e| e.to_string())?;
    let raw: Vec<RawGroup> = if p.extension().is_some_and(|e| e == "json") {
        serde_json::from_str(&text).map_err(|e| e.to_string())?
    } else if text.trim().is_empty() {
        Vec::new()
    } else {
        serde_saphyr::from_str(&text).map_err(|e| e.without_snippet().to_string())?
    };
    let path = p.to_string_lossy().into_owned();
    Ok(raw
        .into_iter()
        .enumerate()
        .map(|(i, g)| g.into_group(format!("{path}:{i}"), &[("__meta_filepath", &path)]))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_json_and_yaml_and_keeps_groups_of_a_broken_file() {
        let dir = tempfile::tempdir().unwrap();
        let json = dir.path().join("a.json");
        let yaml = dir.path().join("b.yml");
        std::fs::write(
            &json,
            r#"[{"targets": ["h1:9100", "h2:9100"], "labels": {"env": "dev"}}]"#,
        )
        .unwrap();
        std::fs::write(&yaml, "- targets: ['h3:9100']\n").unwrap();
        let cfg = FileSdConfig {
            files: vec![
                format!("{}/*.json", dir.path().display()),
                format!("{}/*.yml", dir.path().display()),
            ],
            refresh_interval: outpost_config::PromDuration::from_secs(300),
        };
        let mut sd = FileSd::new(&cfg, Path::new("/x/prometheus.yml"), Files::Disk);
        let g = sd.poll(0);
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].targets.len(), 2);
        assert_eq!(g[0].labels["env"], "dev");
        assert_eq!(g[0].labels["__meta_filepath"], json.to_string_lossy());
        std::fs::write(&json, "not json").unwrap();
        let g = sd.poll(400_000);
        assert_eq!(g.len(), 2, "broken file keeps its previous groups");
        std::fs::remove_file(&yaml).unwrap();
        assert_eq!(sd.poll(800_000).len(), 1, "removed file drops its groups");
    }
}
