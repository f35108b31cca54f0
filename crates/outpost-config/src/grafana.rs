//! Grafana datasource provisioning files: which datasources a team's Grafana
//! expects, and which Outpost listener answers each of them.

use std::path::Path;

use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::error::{Diagnostic, Result};
use crate::source::Files;
use crate::yaml::parse_strict;

/// One provisioned datasource.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Datasource {
    /// Display name.
    pub name: String,
    /// Plugin type (`prometheus`, `jaeger`, `elasticsearch`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// URL Grafana calls.
    #[serde(default)]
    pub url: Option<String>,
    /// Default datasource.
    #[serde(default, rename = "isDefault")]
    pub is_default: bool,
}

impl Datasource {
    /// The Outpost listener that serves this datasource type, if any.
    pub fn outpost_listener(&self) -> Option<&'static str> {
        match self.kind.as_str() {
            "prometheus" => Some("prometheus"),
            "alertmanager" => Some("alertmanager"),
            "jaeger" => Some("jaeger-query"),
            "elasticsearch" => Some("elasticsearch"),
            _ => None,
        }
    }
}

#[derive(Debug, Deserialize)]
struct RawDatasources {
    #[serde(default, rename = "apiVersion")]
    _api_version: Option<IgnoredAny>,
    #[serde(default)]
    datasources: Vec<Datasource>,
}

/// A datasource provisioning file.
#[derive(Debug, Clone, PartialEq)]
pub struct GrafanaDatasources {
    /// The datasources in file order.
    pub datasources: Vec<Datasource>,
}

/// Loads a datasource provisioning file (lenient about unknown keys, as Grafana is).
pub fn load_grafana_datasources(
    files: &Files,
    path: &Path,
) -> Result<(GrafanaDatasources, Vec<Diagnostic>)> {
    let display = files.display(path);
    let text = files.read(path).map_err(|source| crate::Error::Io {
        file: display.clone(),
        source,
    })?;
    let raw: RawDatasources = parse_strict(&display, &text).map_err(crate::Error::Invalid)?;
    let mut warnings = Vec::new();
    for d in &raw.datasources {
        if d.outpost_listener().is_none() {
            warnings.push(Diagnostic::file(
                display.clone(),
                format!(
                    "datasource {:?} of type {:?} has no outpost counterpart",
                    d.name, d.kind
                ),
            ));
        }
    }
    Ok((
        GrafanaDatasources {
            datasources: raw.datasources,
        },
        warnings,
    ))
}
