//! Alert template expansion (labels and annotations) through
//! `outpost-template`'s Prometheus expander, with `query` answered by the
//! rule engine's PromQL engine.

use std::collections::BTreeMap;
use std::sync::Arc;

use outpost_promql::{Engine, Value};
use outpost_template::{AlertContext, Querier, Sample};

/// Answers the `query` template function.
struct EngineQuerier(Arc<Engine>);

impl Querier for EngineQuerier {
    fn query(&self, q: &str, ts_ms: i64) -> Result<Vec<Sample>, String> {
        let out = self.0.instant(q, ts_ms).map_err(|e| e.to_string())?;
        let to_map = |l: &outpost_tsdb::Labels| -> BTreeMap<String, String> {
            l.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        match out.value {
            Value::Vector(v) => Ok(v
                .iter()
                .map(|s| Sample {
                    labels: to_map(&s.labels),
                    value: s.v,
                })
                .collect()),
            Value::Scalar { v, .. } => Ok(vec![Sample {
                labels: BTreeMap::new(),
                value: v,
            }]),
            other => Err(format!(
                "query result is not a vector or scalar: {}",
                other.type_name()
            )),
        }
    }
}

/// The template context of one sample of an alerting rule.
pub(crate) fn context(
    labels: BTreeMap<String, String>,
    external_labels: &BTreeMap<String, String>,
    external_url: &str,
    value: f64,
    ts_ms: i64,
    engine: &Arc<Engine>,
) -> AlertContext {
    AlertContext {
        labels,
        external_labels: external_labels.clone(),
        external_url: external_url.to_string(),
        value,
        ts_ms,
        query: Some(Arc::new(EngineQuerier(engine.clone()))),
    }
}

/// Expands one template text of rule `rule`; text without actions is
/// returned as it is.
pub(crate) fn expand(rule: &str, text: &str, ctx: &AlertContext) -> String {
    if !text.contains("{{") {
        return text.to_string();
    }
    outpost_template::expand(rule, text, ctx)
}

/// Checks the template syntax of an alert label or annotation value as
/// promtool does at load; the [`outpost_config::TemplateCheck`] that rule
/// files are loaded with.
pub fn check_template(name: &str, text: &str) -> std::result::Result<(), String> {
    outpost_template::check(name, text).map_err(|e| e.to_string())
}
