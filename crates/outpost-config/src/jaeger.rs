//! Jaeger deployment files (`jaeger/*.yml` of a monitoring-configs tree):
//! the Jaeger operator's `Jaeger` custom resource, Kubernetes manifests or a
//! compose file running the all-in-one image, and Jaeger v2's collector-style
//! config. Outpost stands in for all of them with one process, so the check
//! accepts them and reports what maps to what (any storage → the bounded
//! in-memory trace store; collector and query → Outpost's listeners; span
//! metrics → built in), warning about parts with no counterpart.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value as J;

use crate::error::{Diagnostic, Result};
use crate::source::Files;
use crate::yaml::parse_strict;

/// Which kind of Jaeger file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JaegerShape {
    /// `apiVersion: jaegertracing.io/v1`, `kind: Jaeger` (the operator's CR).
    OperatorCr,
    /// Kubernetes manifests running a `jaegertracing/*` image.
    Kubernetes,
    /// A compose file running a `jaegertracing/*` image.
    Compose,
    /// Jaeger v2's config (`extensions`, `receivers`, `service`).
    V2Config,
}

impl fmt::Display for JaegerShape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            JaegerShape::OperatorCr => "jaeger operator resource",
            JaegerShape::Kubernetes => "jaeger kubernetes manifests",
            JaegerShape::Compose => "jaeger compose services",
            JaegerShape::V2Config => "jaeger v2 config",
        })
    }
}

/// A checked Jaeger file: what it deploys and how Outpost maps it.
#[derive(Debug, Clone, PartialEq)]
pub struct JaegerFile {
    /// The shape recognised.
    pub shape: JaegerShape,
    /// The deployment's name (CR `metadata.name`), when given.
    pub name: Option<String>,
    /// The span storage configured (`memory` when none is named).
    pub storage: String,
    /// `memory` storage's trace cap, when set.
    pub max_traces: Option<u64>,
    /// What maps to what, one line each (`storage elasticsearch -> ...`).
    pub mappings: Vec<String>,
}

impl JaegerFile {
    /// One line for `outpost check`.
    pub fn summary(&self) -> String {
        let name = self
            .name
            .as_deref()
            .map(|n| format!(" {n:?}"))
            .unwrap_or_default();
        format!("{}{name}: {}", self.shape, self.mappings.join("; "))
    }
}

const STORE_NOTE: &str =
    "the in-memory trace store (bounded by --traces.max-spans, oldest traces evicted whole)";
const COLLECTOR_NOTE: &str = "outpost listeners jaeger-collector-grpc (14250), jaeger-collector-http (14268), otlp-grpc (4317), otlp-http (4318), zipkin (9411)";
const QUERY_NOTE: &str = "outpost listener jaeger-query (16686)";
const SPM_NOTE: &str =
    "span metrics -> built in (--traces.span-metrics), the Monitor tab reads them";

/// Span storages Jaeger knows (v1 `SPAN_STORAGE_TYPE`, the operator, v2 backends).
const KNOWN_STORAGES: &[&str] = &[
    "memory",
    "badger",
    "elasticsearch",
    "opensearch",
    "cassandra",
    "kafka",
    "grpc",
    "grpc-plugin",
    "clickhouse",
    "blackhole",
];

/// Whether a file at `path` with `text` is a Jaeger file (for single-file checks).
pub fn is_jaeger_file(path: &Path, text: &str) -> bool {
    text.contains("jaegertracing")
        || path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.contains("jaeger"))
}

// ---- the operator's CR ----

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCr {
    #[serde(rename = "apiVersion")]
    api_version: String,
    kind: String,
    #[serde(default)]
    metadata: Option<RawMeta>,
    #[serde(default)]
    spec: Option<RawSpec>,
    #[serde(default, rename = "status")]
    _status: Option<IgnoredAny>,
}

#[derive(Debug, Deserialize)]
struct RawMeta {
    #[serde(default)]
    name: Option<String>,
    #[serde(flatten)]
    _rest: BTreeMap<String, IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
struct RawSpec {
    #[serde(default)]
    strategy: Option<String>,
    #[serde(default)]
    storage: Option<RawStorage>,
    #[serde(default)]
    ingress: Option<RawIngress>,
    // Known component sections, accepted (the strategy decides what runs).
    #[serde(default, rename = "allInOne")]
    _all_in_one: Option<IgnoredAny>,
    #[serde(default)]
    collector: Option<RawComponent>,
    #[serde(default)]
    query: Option<RawComponent>,
    #[serde(default)]
    agent: Option<RawAgent>,
    #[serde(default, rename = "ingester")]
    _ingester: Option<IgnoredAny>,
    #[serde(flatten)]
    rest: BTreeMap<String, IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
struct RawStorage {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    options: Option<J>,
    #[serde(flatten)]
    _rest: BTreeMap<String, IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
struct RawComponent {
    #[serde(default)]
    replicas: Option<i64>,
    #[serde(flatten)]
    _rest: BTreeMap<String, IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
struct RawAgent {
    #[serde(default)]
    strategy: Option<String>,
    #[serde(flatten)]
    _rest: BTreeMap<String, IgnoredAny>,
}

#[derive(Debug, Default, Deserialize)]
struct RawIngress {
    #[serde(default)]
    enabled: Option<bool>,
    #[serde(default)]
    hosts: Vec<String>,
    #[serde(flatten)]
    _rest: BTreeMap<String, IgnoredAny>,
}

/// The `JaegerSpec` keys of the operator's CRD that only shape the
/// Kubernetes deployment (accepted without a note).
const CR_DEPLOYMENT_KEYS: &[&str] = &[
    "affinity",
    "annotations",
    "containerSecurityContext",
    "imagePullPolicy",
    "imagePullSecrets",
    "labels",
    "livenessProbe",
    "resources",
    "securityContext",
    "serviceAccount",
    "tolerations",
    "topologySpreadConstraints",
    "volumeMounts",
    "volumes",
    "ui",
    "sampling",
    "openshift",
];

/// A memory store's `max-traces` from operator options (`memory.max-traces`
/// dotted or nested).
fn memory_max_traces(options: &J) -> Option<u64> {
    let v = options
        .get("memory.max-traces")
        .or_else(|| options.get("memory").and_then(|m| m.get("max-traces")))?;
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

fn storage_note(storage: &str, max_traces: Option<u64>) -> String {
    match max_traces {
        Some(n) => format!("storage {storage} (max-traces {n}) -> {STORE_NOTE}"),
        None => format!("storage {storage} -> {STORE_NOTE}"),
    }
}

fn check_storage(file: &str, storage: &str, warnings: &mut Vec<Diagnostic>) {
    if !KNOWN_STORAGES.contains(&storage) {
        warnings.push(Diagnostic::file(
            file,
            format!(
                "unknown span storage type {storage:?}; outpost uses its in-memory trace store"
            ),
        ));
    }
}

fn load_cr(display: &str, text: &str) -> Result<(JaegerFile, Vec<Diagnostic>)> {
    let raw: RawCr = parse_strict(display, text).map_err(crate::Error::Invalid)?;
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    if !raw.api_version.starts_with("jaegertracing.io/") {
        errors.push(
            Diagnostic::file(
                display,
                format!(
                    "apiVersion {:?} is not the jaeger operator's",
                    raw.api_version
                ),
            )
            .with_field("apiVersion")
            .with_hint("jaegertracing.io/v1"),
        );
    }
    if raw.kind != "Jaeger" {
        errors.push(
            Diagnostic::file(
                display,
                format!("kind {:?} is not a jaeger operator resource", raw.kind),
            )
            .with_field("kind")
            .with_hint("Jaeger"),
        );
    }
    let name = raw.metadata.as_ref().and_then(|m| m.name.clone());
    if name.as_deref().is_none_or(str::is_empty) {
        errors.push(
            Diagnostic::file(display, "metadata.name is required").with_field("metadata.name"),
        );
    }
    if !errors.is_empty() {
        return Err(crate::Error::Invalid(errors));
    }
    let spec = raw.spec.unwrap_or_default();
    let strategy = spec.strategy.as_deref().unwrap_or("allInOne");
    let mut mappings = Vec::new();
    match strategy.to_ascii_lowercase().as_str() {
        "allinone" | "all-in-one" => {
            mappings.push(format!("strategy {strategy} -> one outpost process"))
        }
        "production" => mappings.push(format!(
            "strategy {strategy} (collector and query deployments) -> one outpost process"
        )),
        "streaming" => {
            mappings.push(format!("strategy {strategy} -> one outpost process"));
            warnings.push(Diagnostic::file(
                display,
                "the streaming strategy's kafka and ingester are not used: spans go straight into the trace store",
            ).with_field("spec.strategy"));
        }
        _ => warnings.push(
            Diagnostic::file(
                display,
                format!("unknown strategy {strategy:?} (the operator falls back to allInOne)"),
            )
            .with_field("spec.strategy"),
        ),
    }
    let storage_raw = spec.storage.unwrap_or_default();
    let storage = storage_raw.kind.clone().unwrap_or_else(|| "memory".into());
    check_storage(display, &storage, &mut warnings);
    let max_traces = storage_raw.options.as_ref().and_then(memory_max_traces);
    mappings.push(storage_note(&storage, max_traces));
    let replicas = |c: &Option<RawComponent>| {
        c.as_ref()
            .and_then(|c| c.replicas)
            .map(|r| format!(" ({r} replicas)"))
            .unwrap_or_default()
    };
    mappings.push(format!(
        "collector{} -> {COLLECTOR_NOTE}",
        replicas(&spec.collector)
    ));
    mappings.push(format!("query{} -> {QUERY_NOTE}", replicas(&spec.query)));
    mappings.push(SPM_NOTE.into());
    if spec.agent.as_ref().is_some_and(|a| a.strategy.is_some()) {
        warnings.push(
            Diagnostic::file(
                display,
                "the jaeger agent (udp 6831/6832) has no counterpart; send spans over otlp or the collector ports",
            )
            .with_field("spec.agent"),
        );
    }
    if let Some(ing) = spec.ingress.as_ref().filter(|i| i.enabled != Some(false)) {
        let hosts = if ing.hosts.is_empty() {
            String::new()
        } else {
            format!(" (hosts {})", ing.hosts.join(", "))
        };
        warnings.push(
            Diagnostic::file(
                display,
                format!("ingress{hosts} is not served; the jaeger-query listener answers on its own address"),
            )
            .with_field("spec.ingress"),
        );
    }
    for key in spec.rest.keys() {
        if !CR_DEPLOYMENT_KEYS.contains(&key.as_str()) {
            warnings.push(
                Diagnostic::file(display, format!("unknown field {key:?} in the jaeger spec"))
                    .with_field(format!("spec.{key}")),
            );
        }
    }
    Ok((
        JaegerFile {
            shape: JaegerShape::OperatorCr,
            name,
            storage,
            max_traces,
            mappings,
        },
        warnings,
    ))
}

// ---- manifests, compose files, v2 configs (read loosely) ----

/// Port → what Outpost serves for it.
fn port_note(port: u64) -> Option<std::result::Result<&'static str, &'static str>> {
    Some(match port {
        16686 => Ok("jaeger-query"),
        16685 => Err("the query gRPC port 16685 is not served; use the jaeger-query http api"),
        14250 => Ok("jaeger-collector-grpc"),
        14268 => Ok("jaeger-collector-http"),
        4317 => Ok("otlp-grpc"),
        4318 => Ok("otlp-http"),
        9411 => Ok("zipkin"),
        5778 | 6831 | 6832 | 5775 => Err(
            "the jaeger agent ports (udp 6831/6832, 5778) are not served; send spans over otlp or the collector ports",
        ),
        14269 | 13133 => Ok("health endpoints on every listener"),
        _ => return None,
    })
}

/// Every container/service of the documents that runs a `jaegertracing/*` image.
fn jaeger_containers(docs: &[J]) -> Vec<&J> {
    let mut out = Vec::new();
    fn walk<'a>(v: &'a J, out: &mut Vec<&'a J>) {
        match v {
            J::Object(m) => {
                if m.get("image")
                    .and_then(J::as_str)
                    .is_some_and(|i| i.contains("jaegertracing/"))
                {
                    out.push(v);
                }
                for x in m.values() {
                    walk(x, out);
                }
            }
            J::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    for d in docs {
        walk(d, &mut out);
    }
    out
}

/// Environment of a container (Kubernetes `env: [{name, value}]`) or a
/// compose service (`environment:` map or `KEY=value` list).
fn env_of(c: &J) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    let scalar = |v: &J| match v {
        J::String(s) => s.clone(),
        other => other.to_string(),
    };
    match c.get("env").or_else(|| c.get("environment")) {
        Some(J::Array(a)) => {
            for e in a {
                if let (Some(n), Some(v)) = (e.get("name").and_then(J::as_str), e.get("value")) {
                    env.insert(n.to_string(), scalar(v));
                } else if let Some((k, v)) = e.as_str().and_then(|s| s.split_once('=')) {
                    env.insert(k.to_string(), v.to_string());
                }
            }
        }
        Some(J::Object(m)) => {
            for (k, v) in m {
                env.insert(k.clone(), scalar(v));
            }
        }
        _ => {}
    }
    env
}

/// Ports a container exposes (`ports: [{containerPort}]` or compose `"16686:16686"`).
fn ports_of(c: &J) -> Vec<u64> {
    let mut out = Vec::new();
    if let Some(J::Array(a)) = c.get("ports") {
        for p in a {
            let port = match p {
                J::Object(_) => p
                    .get("containerPort")
                    .or_else(|| p.get("target"))
                    .and_then(J::as_u64),
                J::Number(n) => n.as_u64(),
                J::String(s) => s
                    .rsplit(':')
                    .next()
                    .and_then(|x| x.split('/').next())
                    .and_then(|x| x.parse().ok()),
                _ => None,
            };
            out.extend(port);
        }
    }
    out
}

fn load_deployment(
    display: &str,
    docs: &[J],
    shape: JaegerShape,
) -> Result<(JaegerFile, Vec<Diagnostic>)> {
    let containers = jaeger_containers(docs);
    let mut warnings = Vec::new();
    if containers.is_empty() {
        return Err(crate::Error::Invalid(vec![Diagnostic::file(
            display,
            "no container runs a jaegertracing/* image",
        )]));
    }
    let mut mappings = Vec::new();
    let mut storage = "memory".to_string();
    let mut max_traces = None;
    let mut ports = Vec::new();
    let mut images = Vec::new();
    for c in &containers {
        let env = env_of(c);
        if let Some(s) = env.get("SPAN_STORAGE_TYPE") {
            storage = s.clone();
        }
        if let Some(n) = env.get("MEMORY_MAX_TRACES").and_then(|n| n.parse().ok()) {
            max_traces = Some(n);
        }
        ports.extend(ports_of(c));
        if let Some(i) = c.get("image").and_then(J::as_str) {
            images.push(i.to_string());
        }
    }
    mappings.push(format!("{} -> one outpost process", images.join(", ")));
    check_storage(display, &storage, &mut warnings);
    mappings.push(storage_note(&storage, max_traces));
    ports.sort_unstable();
    ports.dedup();
    let mut served = Vec::new();
    for p in ports {
        match port_note(p) {
            Some(Ok(l)) => served.push(format!("{p} -> {l}")),
            Some(Err(w)) => {
                if !warnings.iter().any(|d| d.message == w) {
                    warnings.push(Diagnostic::file(display, w));
                }
            }
            None => warnings.push(Diagnostic::file(
                display,
                format!("port {p} has no outpost counterpart"),
            )),
        }
    }
    if !served.is_empty() {
        mappings.push(format!("ports {}", served.join(", ")));
    }
    mappings.push(SPM_NOTE.into());
    Ok((
        JaegerFile {
            shape,
            name: None,
            storage,
            max_traces,
            mappings,
        },
        warnings,
    ))
}

fn load_v2(display: &str, doc: &J) -> Result<(JaegerFile, Vec<Diagnostic>)> {
    let mut warnings = Vec::new();
    let mut mappings = Vec::new();
    let backends = doc
        .pointer("/extensions/jaeger_storage/backends")
        .and_then(J::as_object);
    let (mut storage, mut max_traces) = ("memory".to_string(), None);
    if let Some((_, b)) = backends.and_then(|b| b.iter().next())
        && let Some((kind, cfg)) = b.as_object().and_then(|m| m.iter().next())
    {
        storage = kind.clone();
        max_traces = cfg.get("max_traces").and_then(J::as_u64);
    }
    check_storage(display, &storage, &mut warnings);
    mappings.push(storage_note(&storage, max_traces));
    if let Some(r) = doc.get("receivers").and_then(J::as_object) {
        let mut names = Vec::new();
        for k in r.keys() {
            let base = k.split('/').next().unwrap_or(k);
            match base {
                "otlp" | "jaeger" | "zipkin" => names.push(k.clone()),
                _ => warnings.push(
                    Diagnostic::file(
                        display,
                        format!("receiver {k:?} has no outpost counterpart"),
                    )
                    .with_field(format!("receivers.{k}")),
                ),
            }
        }
        if !names.is_empty() {
            mappings.push(format!(
                "receivers {} -> {COLLECTOR_NOTE}",
                names.join(", ")
            ));
        }
    }
    if doc.pointer("/extensions/jaeger_query").is_some() {
        mappings.push(format!("jaeger_query -> {QUERY_NOTE}"));
    }
    mappings.push(SPM_NOTE.into());
    Ok((
        JaegerFile {
            shape: JaegerShape::V2Config,
            name: None,
            storage,
            max_traces,
            mappings,
        },
        warnings,
    ))
}

/// Loads a Jaeger file of any shape this module knows.
pub fn load_jaeger(files: &Files, path: &Path) -> Result<(JaegerFile, Vec<Diagnostic>)> {
    let display = files.display(path);
    let text = files.read(path).map_err(|source| crate::Error::Io {
        file: display.clone(),
        source,
    })?;
    let docs: Vec<J> = serde_saphyr::from_str_multiple::<J, Vec<J>>(&text)
        .map_err(|e| crate::Error::Invalid(vec![Diagnostic::file(&display, e.to_string())]))?
        .into_iter()
        .filter(|d| !d.is_null())
        .collect();
    let [first, ..] = docs.as_slice() else {
        return Err(crate::Error::Invalid(vec![Diagnostic::file(
            &display,
            "empty jaeger file",
        )]));
    };
    let api = first.get("apiVersion").and_then(J::as_str).unwrap_or("");
    let kind = first.get("kind").and_then(J::as_str).unwrap_or("");
    if docs.len() == 1 && (api.starts_with("jaegertracing.io/") || kind == "Jaeger") {
        return load_cr(&display, &text);
    }
    if first.get("extensions").is_some() && first.get("service").is_some() {
        return load_v2(&display, first);
    }
    if first.get("services").is_some() && first.get("apiVersion").is_none() {
        return load_deployment(&display, &docs, JaegerShape::Compose);
    }
    if !api.is_empty() {
        return load_deployment(&display, &docs, JaegerShape::Kubernetes);
    }
    Err(crate::Error::Invalid(vec![Diagnostic::file(
        &display,
        "not recognised as a jaeger operator resource, kubernetes manifests or compose file with a jaegertracing image, or a jaeger v2 config",
    )]))
}

#[cfg(test)]
#[path = "jaeger_tests.rs"]
mod tests;
