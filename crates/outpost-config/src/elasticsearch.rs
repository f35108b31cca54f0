//! `elasticsearch/elasticsearch.yml` of a monitoring-configs tree: the parts
//! that change how Outpost's Elasticsearch listener behaves. Settings may be
//! written flat (`xpack.security.enabled: true`) or nested (`xpack:` /
//! `security:` / `enabled: true`), as Elasticsearch reads both. Read:
//! `cluster.name` (served by `GET /`), `xpack.security.enabled` (basic auth
//! on every request when `true`) and `xpack.security.http.ssl.enabled`
//! (a warning naming its line: Outpost serves plain HTTP unless
//! `--elasticsearch.tls`). Also the users file of `--elasticsearch.users`.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value as J;

use crate::error::{Diagnostic, Error, Result};
use crate::secret::Secret;
use crate::source::Files;

/// What Outpost takes from `elasticsearch.yml`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ElasticsearchFile {
    /// `cluster.name`.
    pub cluster_name: Option<String>,
    /// `xpack.security.enabled` (off unless set to `true`).
    pub security_enabled: bool,
    /// `xpack.security.http.ssl.enabled`.
    pub http_ssl_enabled: bool,
}

impl ElasticsearchFile {
    /// One line for `outpost check`.
    pub fn summary(&self) -> String {
        format!(
            "cluster {:?}, security {}, http tls {} -> outpost listener elasticsearch (9200)",
            self.cluster_name.as_deref().unwrap_or("outpost"),
            if self.security_enabled {
                "on (basic auth)"
            } else {
                "off"
            },
            if self.http_ssl_enabled {
                "configured (served as plain http)"
            } else {
                "off"
            }
        )
    }
}

/// Flattens nested mappings into dotted keys.
fn flatten(prefix: &str, v: &J, out: &mut BTreeMap<String, J>) {
    match v {
        J::Object(o) => {
            for (k, child) in o {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, child, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.clone());
        }
    }
}

fn truthy(v: Option<&J>) -> bool {
    match v {
        Some(J::Bool(b)) => *b,
        Some(J::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// The 1-based line where the flat key `key` is set, when written flat.
fn line_of(text: &str, key: &str) -> Option<u64> {
    text.lines().enumerate().find_map(|(i, l)| {
        let l = l.trim_start();
        let rest = l.strip_prefix(key)?.trim_start();
        rest.starts_with(':').then(|| i as u64 + 1)
    })
}

/// Parses the text of an `elasticsearch.yml`; warnings are positioned in `file`.
pub fn parse_elasticsearch(text: &str, file: &str) -> Result<(ElasticsearchFile, Vec<Diagnostic>)> {
    let tree: J = if text.trim().is_empty() {
        J::Null
    } else {
        serde_saphyr::from_str(text).map_err(|e| {
            Error::Invalid(vec![Diagnostic::file(
                file,
                format!("not valid yaml: {}", e.to_string().to_lowercase()),
            )])
        })?
    };
    let mut flat = BTreeMap::new();
    flatten("", &tree, &mut flat);
    let cfg = ElasticsearchFile {
        cluster_name: flat
            .get("cluster.name")
            .and_then(|v| match v {
                J::String(s) => Some(s.clone()),
                J::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|s| !s.is_empty()),
        security_enabled: truthy(flat.get("xpack.security.enabled")),
        http_ssl_enabled: truthy(flat.get("xpack.security.http.ssl.enabled")),
    };
    let mut warnings = Vec::new();
    if cfg.http_ssl_enabled {
        let msg = "xpack.security.http.ssl.enabled is true: outpost serves plain http on the elasticsearch listener unless started with --elasticsearch.tls";
        warnings.push(match line_of(text, "xpack.security.http.ssl.enabled") {
            Some(line) => Diagnostic::at(file, line, 1, msg),
            None => Diagnostic::file(file, msg),
        });
    }
    Ok((cfg, warnings))
}

/// Reads and parses an `elasticsearch.yml`.
pub fn load_elasticsearch(
    files: &Files,
    path: &Path,
) -> Result<(ElasticsearchFile, Vec<Diagnostic>)> {
    let shown = files.display(path);
    let text = files
        .read(path)
        .map_err(|e| Error::Invalid(vec![Diagnostic::file(shown.clone(), e.to_string())]))?;
    parse_elasticsearch(&text, &shown)
}

/// Parses a users file (`--elasticsearch.users`): one `user:password` a
/// line; blank lines and `#` comments skipped. Passwords are [`Secret`]s.
pub fn parse_users(text: &str) -> std::result::Result<Vec<(String, Secret)>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        match l.split_once(':') {
            Some((u, p)) if !u.trim().is_empty() => {
                out.push((u.trim().to_string(), Secret::new(p)));
            }
            _ => return Err(format!("line {}: expected user:password", i + 1)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_file_turns_security_on_and_warns_about_http_tls_with_its_line() {
        let text = "cluster.name: \"ecommerce-logs\"\nnetwork.host: 0.0.0.0\n\nxpack.security.enabled: true\nxpack.security.transport.ssl.enabled: true\n\nxpack.security.http.ssl.enabled: true\n";
        let (cfg, w) = parse_elasticsearch(text, "elasticsearch/elasticsearch.yml").unwrap();
        assert_eq!(cfg.cluster_name.as_deref(), Some("ecommerce-logs"));
        assert!(cfg.security_enabled);
        assert!(cfg.http_ssl_enabled);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].line, Some(7));
        let shown = w[0].to_string();
        assert!(
            shown.starts_with("elasticsearch/elasticsearch.yml:7:1: "),
            "{shown}"
        );
        assert!(shown.contains("--elasticsearch.tls"), "{shown}");
    }

    #[test]
    fn nested_settings_and_defaults() {
        let (cfg, w) = parse_elasticsearch(
            "cluster:\n  name: logs\nxpack:\n  security:\n    enabled: false\n",
            "f",
        )
        .unwrap();
        assert_eq!(cfg.cluster_name.as_deref(), Some("logs"));
        assert!(!cfg.security_enabled);
        assert!(w.is_empty());
        let (cfg, _) = parse_elasticsearch("", "f").unwrap();
        assert_eq!(cfg, ElasticsearchFile::default());
        let (cfg, w) =
            parse_elasticsearch("xpack:\n  security.http.ssl.enabled: true\n", "f").unwrap();
        assert!(cfg.http_ssl_enabled);
        assert_eq!(w[0].line, None);
        assert!(parse_elasticsearch("a: [", "f").is_err());
    }

    #[test]
    fn users_file_lines_and_secret_passwords() {
        let users =
            parse_users("# users\nelastic:changeme\n\n logstash : pw:with:colons\n").unwrap();
        assert_eq!(users.len(), 2);
        assert_eq!(users[0].0, "elastic");
        assert_eq!(users[0].1.expose(), "changeme");
        assert_eq!(format!("{:?}", users[0].1), "<secret>");
        assert_eq!(users[1].0, "logstash");
        assert_eq!(users[1].1.expose(), " pw:with:colons");
        assert_eq!(
            parse_users("nocolon\n").unwrap_err(),
            "line 1: expected user:password"
        );
    }
}
