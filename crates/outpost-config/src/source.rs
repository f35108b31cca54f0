//! Where config files are read from: the disk, or the stack embedded in the binary.

use std::path::{Path, PathBuf};

/// A read-only file system for config files.
#[derive(Debug, Clone, Copy)]
pub enum Files {
    /// The real file system.
    Disk,
    /// Files compiled into the binary, addressed by relative paths
    /// (`prometheus/prometheus.yml`).
    Embedded(&'static [(&'static str, &'static str)]),
}

impl Files {
    /// Reads a file as UTF-8.
    pub fn read(&self, path: &Path) -> std::io::Result<String> {
        match self {
            Files::Disk => std::fs::read_to_string(path),
            Files::Embedded(files) => files
                .iter()
                .find(|(p, _)| Path::new(p) == path)
                .map(|(_, body)| (*body).to_string())
                .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound)),
        }
    }

    /// Whether a file exists.
    pub fn exists(&self, path: &Path) -> bool {
        match self {
            Files::Disk => path.exists(),
            Files::Embedded(files) => files.iter().any(|(p, _)| Path::new(p) == path),
        }
    }

    /// Files matching a glob pattern, sorted. An invalid pattern is an error.
    pub fn glob(&self, pattern: &str) -> std::result::Result<Vec<PathBuf>, String> {
        let compiled = glob::Pattern::new(pattern).map_err(|e| e.to_string())?;
        let mut out: Vec<PathBuf> = match self {
            Files::Disk => glob::glob(pattern)
                .map_err(|e| e.to_string())?
                .filter_map(|p| p.ok())
                .filter(|p| p.is_file())
                .collect(),
            Files::Embedded(files) => files
                .iter()
                .filter(|(p, _)| compiled.matches_path(Path::new(p)))
                .map(|(p, _)| PathBuf::from(p))
                .collect(),
        };
        out.sort();
        Ok(out)
    }

    /// How to show a path to the user.
    pub fn display(&self, path: &Path) -> String {
        match self {
            Files::Disk => path.display().to_string(),
            Files::Embedded(_) => format!("<embedded>/{}", path.display()),
        }
    }

    /// Every file below `dir`, sorted (embedded files, or a recursive walk of the disk).
    pub fn list(&self, dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        match self {
            Files::Disk => walk(dir, &mut out),
            Files::Embedded(files) => {
                out.extend(
                    files
                        .iter()
                        .map(|(p, _)| PathBuf::from(p))
                        .filter(|p| p.starts_with(dir)),
                );
            }
        }
        out.sort();
        out
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Resolves `p` against the directory of `base_file`, as Prometheus and
/// Alertmanager resolve relative paths in a config file.
pub fn resolve_relative(base_file: &Path, p: &str) -> PathBuf {
    let path = Path::new(p);
    if path.is_absolute() {
        return path.to_path_buf();
    }
    match base_file.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(path),
        _ => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILES: &[(&str, &str)] = &[
        ("prometheus/prometheus.yml", "a"),
        ("prometheus/alert-rules/b.yml", "b"),
        ("prometheus/alert-rules/a.yml", "a"),
        ("prometheus/alert-rules/notes.txt", "c"),
    ];

    #[test]
    fn embedded_glob_is_sorted_and_filtered() {
        let f = Files::Embedded(FILES);
        let got = f.glob("prometheus/alert-rules/*.yml").unwrap();
        assert_eq!(
            got,
            vec![
                PathBuf::from("prometheus/alert-rules/a.yml"),
                PathBuf::from("prometheus/alert-rules/b.yml")
            ]
        );
        assert!(f.glob("prometheus/[").is_err());
        assert_eq!(f.read(Path::new("prometheus/prometheus.yml")).unwrap(), "a");
        assert!(f.read(Path::new("nope")).is_err());
    }

    #[test]
    fn relative_paths_resolve_against_the_config_dir() {
        let base = Path::new("stack/prometheus/prometheus.yml");
        assert_eq!(
            resolve_relative(base, "alert-rules/*.yml"),
            PathBuf::from("stack/prometheus/alert-rules/*.yml")
        );
        assert_eq!(resolve_relative(base, "/etc/x"), PathBuf::from("/etc/x"));
        assert_eq!(
            resolve_relative(Path::new("p.yml"), "x"),
            PathBuf::from("x")
        );
    }
}
