//! The `fields` and `docvalue_fields` of a search hit: per requested field (wildcards allowed,
//! `{"field": …, "format": …}` objects too), the document's values as the field's type gives
//! them, read from `_source` (numbers as numbers, keywords as strings, dates as ISO-8601 UTC).
//! A number `format` such as `#.0` prints the values as text with that many decimals; a date
//! `format` of `epoch_millis` or a `*_nanos` one (Grafana's) changes the date's text.

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::mapping::{FieldType, Mapping};
use crate::resolve::wildcard_match;
use crate::search::values_at;

/// One requested field pattern with its optional `format`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FieldSpec {
    pattern: String,
    format: Option<String>,
}

/// The requested fields of a search body (`docvalue_fields` then `fields`); empty when none.
pub(crate) fn parse(body: &Value) -> Result<Vec<FieldSpec>> {
    let mut out = Vec::new();
    for key in ["docvalue_fields", "fields"] {
        let items = match body.get(key) {
            None | Some(Value::Null) => continue,
            Some(Value::Array(a)) => a.clone(),
            Some(v @ Value::String(_)) => vec![v.clone()],
            Some(_) => return Err(Error::Parsing(format!("[{key}] must be an array"))),
        };
        for item in items {
            let spec = match &item {
                Value::String(s) => FieldSpec {
                    pattern: s.clone(),
                    format: None,
                },
                Value::Object(o) => FieldSpec {
                    pattern: o
                        .get("field")
                        .and_then(Value::as_str)
                        .ok_or_else(|| Error::Parsing(format!("[{key}] requires a [field]")))?
                        .to_string(),
                    format: o
                        .get("format")
                        .and_then(Value::as_str)
                        .filter(|f| *f != "use_field_mapping")
                        .map(str::to_string),
                },
                _ => return Err(Error::Parsing(format!("[{key}] malformed entry"))),
            };
            out.push(spec);
        }
    }
    Ok(out)
}

/// The mapped leaf fields (with `.keyword` twins) a pattern names, with their types.
fn matching(mapping: &Mapping, pattern: &str) -> Vec<(String, FieldType)> {
    let mut out = Vec::new();
    for (path, ty) in mapping.fields() {
        if *ty == FieldType::Object {
            continue;
        }
        if wildcard_match(pattern, path) {
            out.push((path.to_string(), ty.clone()));
        }
        if let FieldType::Text { keyword: Some(_) } = ty {
            let twin = format!("{path}.keyword");
            if wildcard_match(pattern, &twin) {
                out.push((twin, FieldType::Keyword { ignore_above: None }));
            }
        }
    }
    out
}

/// `#.0`-style decimal formats: the number of decimals, `None` for other formats.
fn decimals(format: &str) -> Option<usize> {
    let (int, frac) = format.split_once('.').unwrap_or((format, ""));
    let ok = !int.is_empty() && int.chars().all(|c| c == '#' || c == '0');
    (ok && frac.chars().all(|c| c == '0')).then_some(frac.len())
}

fn convert(v: &Value, ty: &FieldType, format: Option<&str>) -> Option<Value> {
    let num = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    let out = match ty {
        FieldType::Long => match v {
            Value::Number(n) if n.is_i64() || n.is_u64() => v.clone(),
            _ => json!(num? as i64),
        },
        FieldType::Double(_) => json!(num?),
        FieldType::Boolean => match v {
            Value::Bool(_) => v.clone(),
            Value::String(s) if s == "true" || s == "false" => json!(s == "true"),
            _ => return None,
        },
        FieldType::Date => {
            let ms = crate::date::parse_date_value(v)?;
            let ts = jiff::Timestamp::from_millisecond(ms).ok()?;
            return Some(match format {
                Some("epoch_millis") => json!(ms.to_string()),
                Some(f) if f.ends_with("_nanos") => {
                    json!(ts.strftime("%Y-%m-%dT%H:%M:%S%.9fZ").to_string())
                }
                _ => json!(ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()),
            });
        }
        FieldType::Keyword { .. } | FieldType::Text { .. } => match v {
            Value::String(_) => v.clone(),
            Value::Number(_) | Value::Bool(_) => json!(v.to_string()),
            _ => return None,
        },
        FieldType::Object => return None,
    };
    if let (Some(places), Some(x)) = (format.and_then(decimals), num)
        && matches!(ty, FieldType::Long | FieldType::Double(_))
    {
        return Some(json!(format!("{x:.places$}")));
    }
    Some(out)
}

/// The hit's `fields` object for `specs`, `None` when no field has a value.
pub(crate) fn hit_fields(specs: &[FieldSpec], mapping: &Mapping, source: &Value) -> Option<Value> {
    let mut out = Map::new();
    for spec in specs {
        for (path, ty) in matching(mapping, &spec.pattern) {
            let src_path = path
                .strip_suffix(".keyword")
                .filter(|p| matches!(mapping.get(p), Some(FieldType::Text { keyword: Some(_) })));
            let mut vals = Vec::new();
            values_at(source, src_path.unwrap_or(&path), &mut vals);
            let list: Vec<Value> = vals
                .into_iter()
                .filter_map(|v| convert(v, &ty, spec.format.as_deref()))
                .collect();
            if !list.is_empty() {
                out.insert(path, Value::Array(list));
            }
        }
    }
    (!out.is_empty()).then_some(Value::Object(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SearchOptions;
    use crate::query::golden_tests::corpus;

    #[test]
    fn fields_follow_the_mapping() {
        let s = corpus();
        let res = s
            .search(
                "logs-*",
                &json!({"query": {"ids": {"values": ["d1"]}},
                        "docvalue_fields": ["http.response.status_code", {"field": "duration_ms", "format": "#.00"}],
                        "fields": ["log.level*", "@timestamp"]}),
                SearchOptions::default(),
            )
            .unwrap();
        let f = &res["hits"]["hits"][0]["fields"];
        assert!(
            f["http.response.status_code"]
                .as_array()
                .is_some_and(|a| a.iter().all(Value::is_i64)),
            "{f}"
        );
        assert!(
            f["duration_ms"][0]
                .as_str()
                .is_some_and(|s| s.ends_with(|c: char| c.is_ascii_digit())
                    && s.split('.').nth(1).map(str::len) == Some(2)),
            "{f}"
        );
        assert!(f["log.level.keyword"][0].is_string(), "{f}");
        assert!(
            f["@timestamp"][0]
                .as_str()
                .is_some_and(|s| s.ends_with('Z')),
            "{f}"
        );
        assert_eq!(f["duration_ms"][0], json!("12.50"));
        assert_eq!(f["@timestamp"][0], json!("2026-12-06T10:00:00.000Z"));
        let res = s
            .search(
                "logs-*",
                &json!({"query": {"ids": {"values": ["d1"]}},
                        "fields": [{"field": "@timestamp", "format": "strict_date_optional_time_nanos"}]}),
                SearchOptions::default(),
            )
            .unwrap();
        assert_eq!(
            res["hits"]["hits"][0]["fields"]["@timestamp"],
            json!(["2026-12-06T10:00:00.000000000Z"])
        );
        assert_eq!(decimals("#.0"), Some(1));
        assert_eq!(decimals("yyyy"), None);
        assert!(parse(&json!({"fields": [{"format": "x"}]})).is_err());
    }
}
