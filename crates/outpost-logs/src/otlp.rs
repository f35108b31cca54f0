//! OTLP log records into the store. Each record becomes one JSON document in the index
//! `otel-logs-YYYY.MM.dd` (the UTC day of its timestamp), shaped so that queries written for a
//! log index work on it:
//!
//! | document field | from the record |
//! |---|---|
//! | `@timestamp` | `time_unix_nano`, else `observed_time_unix_nano`, else the clock (ISO-8601, ms) |
//! | `message` | the body (strings as is, other values in their JSON form) |
//! | `level` | `severity_text`, else the severity number's name (`INFO`, `ERROR`, ...) |
//! | `severity_number` | `severity_number` when set |
//! | `trace_id`, `span_id` | lowercase hex, when set; mapped `keyword` (as `level`) |
//! | `event_name` | `event_name` when set |
//! | `scope.name`, `scope.version` | the instrumentation scope |
//! | resource attributes, then log attributes | dotted paths at top level (`service.name`, `http.route`); a key that collides with one of the fields above goes under `attributes.` |
//!
//! A record the index refuses (a mapping conflict, say) is counted as rejected; the others land.

use std::fmt::Write as _;

use outpost_otlp::proto::collector::logs::v1::ExportLogsServiceRequest;
use outpost_otlp::proto::common::v1::KeyValue;
use outpost_otlp::proto::logs::v1::LogRecord;
use serde_json::{Map, Value};

use crate::index::OpType;
use crate::store::{LogStore, Refresh};

/// Prefix of the daily OTLP log indices.
pub const OTLP_INDEX_PREFIX: &str = "otel-logs-";

/// Fields the mapping itself writes; attributes with these keys go under `attributes.`.
const RESERVED: &[&str] = &[
    "@timestamp",
    "message",
    "level",
    "severity_number",
    "trace_id",
    "span_id",
    "event_name",
    "scope",
    "attributes",
];

/// The outcome of one export request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OtlpLogsOutcome {
    /// Records written.
    pub accepted: u64,
    /// Records refused, with the first reason.
    pub rejected: u64,
    /// The first refusal's reason, for the partial-success message.
    pub first_error: Option<String>,
}

/// The daily index of a timestamp in epoch ms (UTC), e.g. `otel-logs-2026.12.07`.
pub fn otlp_index_name(ms: i64) -> String {
    let ts = jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let d = jiff::tz::TimeZone::UTC.to_datetime(ts).date();
    format!(
        "{OTLP_INDEX_PREFIX}{:04}.{:02}.{:02}",
        d.year(),
        d.month(),
        d.day()
    )
}

/// The explicit mapping of a new OTLP log index: ids and level as keywords (exact terms, so
/// "the logs of this trace" is a term query), the rest dynamic.
fn otlp_mapping() -> Value {
    serde_json::json!({"properties": {
        "@timestamp": {"type": "date"},
        "trace_id": {"type": "keyword"},
        "span_id": {"type": "keyword"},
        "level": {"type": "keyword"},
        "severity_number": {"type": "long"},
    }})
}

/// The name of a severity number, as the OTLP data model's short names.
fn severity_name(n: i32) -> Option<&'static str> {
    Some(match n {
        1..=4 => "TRACE",
        5..=8 => "DEBUG",
        9..=12 => "INFO",
        13..=16 => "WARN",
        17..=20 => "ERROR",
        21..=24 => "FATAL",
        _ => return None,
    })
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn iso_ms(ms: i64) -> String {
    let ts = jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ts.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn put_attributes(doc: &mut Map<String, Value>, attrs: &[KeyValue]) {
    for kv in attrs {
        if kv.key.is_empty() {
            continue;
        }
        let first = kv.key.split('.').next().unwrap_or_default();
        let key = if RESERVED.contains(&first) {
            format!("attributes.{}", kv.key)
        } else {
            kv.key.clone()
        };
        doc.insert(key, outpost_otlp::to_json(kv.value.as_ref()));
    }
}

/// The document of one record and its epoch-ms timestamp.
fn record_doc(
    resource: &[KeyValue],
    scope: Option<(&str, &str)>,
    rec: &LogRecord,
    now_ms: i64,
) -> (i64, Map<String, Value>) {
    let nanos = if rec.time_unix_nano != 0 {
        rec.time_unix_nano
    } else {
        rec.observed_time_unix_nano
    };
    let ms = if nanos == 0 {
        now_ms
    } else {
        i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX)
    };
    let mut doc = Map::new();
    doc.insert("@timestamp".into(), Value::String(iso_ms(ms)));
    put_attributes(&mut doc, resource);
    if let Some((name, version)) = scope {
        if !name.is_empty() {
            doc.insert("scope.name".into(), Value::String(name.to_string()));
        }
        if !version.is_empty() {
            doc.insert("scope.version".into(), Value::String(version.to_string()));
        }
    }
    put_attributes(&mut doc, &rec.attributes);
    let message = match rec.body.as_ref().and_then(|b| b.value.as_ref()) {
        None => None,
        Some(outpost_otlp::proto::common::v1::any_value::Value::StringValue(s)) => Some(s.clone()),
        Some(_) => Some(outpost_otlp::as_string(rec.body.as_ref())),
    };
    if let Some(m) = message {
        doc.insert("message".into(), Value::String(m));
    }
    let level = if rec.severity_text.is_empty() {
        severity_name(rec.severity_number).map(str::to_string)
    } else {
        Some(rec.severity_text.clone())
    };
    if let Some(l) = level {
        doc.insert("level".into(), Value::String(l));
    }
    if rec.severity_number != 0 {
        doc.insert("severity_number".into(), Value::from(rec.severity_number));
    }
    if !rec.trace_id.is_empty() && rec.trace_id.iter().any(|b| *b != 0) {
        doc.insert("trace_id".into(), Value::String(hex(&rec.trace_id)));
    }
    if !rec.span_id.is_empty() && rec.span_id.iter().any(|b| *b != 0) {
        doc.insert("span_id".into(), Value::String(hex(&rec.span_id)));
    }
    if !rec.event_name.is_empty() {
        doc.insert("event_name".into(), Value::String(rec.event_name.clone()));
    }
    (ms, doc)
}

impl LogStore {
    /// Writes the records of an OTLP export request (see the module doc for the mapping).
    pub fn write_otlp_logs(
        &self,
        req: &ExportLogsServiceRequest,
        refresh: Refresh,
    ) -> OtlpLogsOutcome {
        let now = self.now_ms();
        let mut out = OtlpLogsOutcome::default();
        let mut touched: Vec<String> = Vec::new();
        let mut buf = Vec::with_capacity(512);
        for rl in &req.resource_logs {
            let resource = rl
                .resource
                .as_ref()
                .map(|r| r.attributes.as_slice())
                .unwrap_or_default();
            for sl in &rl.scope_logs {
                let scope = sl
                    .scope
                    .as_ref()
                    .map(|s| (s.name.as_str(), s.version.as_str()));
                for rec in &sl.log_records {
                    let (ms, doc) = record_doc(resource, scope, rec, now);
                    let index = otlp_index_name(ms);
                    if !touched.contains(&index) && !self.exists(&index) {
                        // ids are exact terms (trace correlation); racing creators are fine
                        let _ = self.create_index(&index, Some(&otlp_mapping()));
                    }
                    let doc = Value::Object(doc);
                    buf.clear();
                    if let Err(e) = serde_json::to_writer(&mut buf, &doc) {
                        out.rejected = out.rejected.saturating_add(1);
                        out.first_error.get_or_insert_with(|| e.to_string());
                        continue;
                    }
                    match self.write_parsed(&index, None, &buf, &doc, OpType::Create) {
                        Ok(w) => {
                            out.accepted = out.accepted.saturating_add(1);
                            if !touched.contains(&w.index) {
                                touched.push(w.index);
                            }
                        }
                        Err(e) => {
                            out.rejected = out.rejected.saturating_add(1);
                            out.first_error
                                .get_or_insert_with(|| format!("{}: {e}", e.es_type()));
                        }
                    }
                }
            }
        }
        let names: Vec<&str> = touched.iter().map(String::as_str).collect();
        if let Err(e) = self.after_write(&names, refresh) {
            out.first_error.get_or_insert_with(|| e.to_string());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use outpost_clock::Clock;
    use outpost_otlp::proto::common::v1::{AnyValue, InstrumentationScope, any_value};
    use outpost_otlp::proto::logs::v1::{ResourceLogs, ScopeLogs};
    use outpost_otlp::proto::resource::v1::Resource;
    use serde_json::json;

    use super::*;
    use crate::{SearchOptions, StoreOptions};

    fn s(v: &str) -> Option<AnyValue> {
        Some(AnyValue {
            value: Some(any_value::Value::StringValue(v.into())),
        })
    }

    fn kv(k: &str, v: Option<AnyValue>) -> KeyValue {
        KeyValue {
            key: k.into(),
            value: v,
            ..Default::default()
        }
    }

    fn request(records: Vec<LogRecord>) -> ExportLogsServiceRequest {
        ExportLogsServiceRequest {
            resource_logs: vec![ResourceLogs {
                resource: Some(Resource {
                    attributes: vec![kv("service.name", s("checkout"))],
                    ..Default::default()
                }),
                scope_logs: vec![ScopeLogs {
                    scope: Some(InstrumentationScope {
                        name: "app.logger".into(),
                        version: "1.2".into(),
                        ..Default::default()
                    }),
                    log_records: records,
                    ..Default::default()
                }],
                ..Default::default()
            }],
        }
    }

    const T: u64 = 1_796_601_600_123_000_000; // 2026-12-07T00:00:00.123Z

    #[test]
    fn records_become_documents_in_the_daily_index() {
        let store = LogStore::new(StoreOptions::default(), Clock::manual(0));
        let rec = LogRecord {
            time_unix_nano: T,
            severity_number: 17,
            body: s("payment declined"),
            attributes: vec![
                kv("http.route", s("/pay")),
                kv("message", s("shadow")),
                kv(
                    "retries",
                    Some(AnyValue {
                        value: Some(any_value::Value::IntValue(3)),
                    }),
                ),
            ],
            trace_id: (1u8..=16).collect(),
            span_id: vec![0xab; 8],
            ..Default::default()
        };
        let out = store.write_otlp_logs(&request(vec![rec]), Refresh::True);
        assert_eq!(out.accepted, 1);
        assert_eq!(out.rejected, 0);
        let body = json!({"query": {"term": {"trace_id": "0102030405060708090a0b0c0d0e0f10"}}});
        let res = store
            .search("otel-logs-*", &body, SearchOptions::default())
            .unwrap();
        let hit = &res["hits"]["hits"][0];
        assert_eq!(hit["_index"], "otel-logs-2026.12.07");
        let src = &hit["_source"];
        assert_eq!(src["@timestamp"], "2026-12-07T00:00:00.123Z");
        assert_eq!(src["message"], "payment declined");
        assert_eq!(src["level"], "ERROR");
        assert_eq!(src["severity_number"], 17);
        assert_eq!(src["span_id"], "abababababababab");
        assert_eq!(src["service.name"], "checkout");
        assert_eq!(src["scope.name"], "app.logger");
        assert_eq!(src["http.route"], "/pay");
        assert_eq!(src["retries"], 3);
        assert_eq!(src["attributes.message"], "shadow");
        let by_service = json!({"query": {"match": {"service.name": "checkout"}}});
        let res = store
            .search("otel-logs-*", &by_service, SearchOptions::default())
            .unwrap();
        assert_eq!(res["hits"]["total"]["value"], 1);
    }

    #[test]
    fn severity_text_wins_and_a_missing_time_takes_the_clock() {
        let store = LogStore::new(StoreOptions::default(), Clock::manual(86_400_000));
        let rec = LogRecord {
            severity_text: "warning".into(),
            severity_number: 13,
            body: Some(AnyValue {
                value: Some(any_value::Value::BoolValue(true)),
            }),
            ..Default::default()
        };
        let out = store.write_otlp_logs(&request(vec![rec]), Refresh::True);
        assert_eq!(out.accepted, 1);
        let res = store
            .search("otel-logs-1970.01.02", &json!({}), SearchOptions::default())
            .unwrap();
        let src = &res["hits"]["hits"][0]["_source"];
        assert_eq!(src["level"], "warning");
        assert_eq!(src["message"], "true");
        assert_eq!(src["@timestamp"], "1970-01-02T00:00:00.000Z");
    }

    #[test]
    fn a_record_the_mapping_refuses_is_counted_and_the_rest_land() {
        let store = LogStore::new(StoreOptions::default(), Clock::manual(0));
        let num = |n| {
            Some(AnyValue {
                value: Some(any_value::Value::IntValue(n)),
            })
        };
        let a = LogRecord {
            time_unix_nano: T,
            attributes: vec![kv("order.id", num(7))],
            ..Default::default()
        };
        // `order` as a concrete value conflicts with the object `order`
        let b = LogRecord {
            time_unix_nano: T,
            attributes: vec![kv("order", s("x"))],
            ..Default::default()
        };
        let out = store.write_otlp_logs(&request(vec![a, b]), Refresh::True);
        assert_eq!(out.accepted, 1);
        assert_eq!(out.rejected, 1);
        assert!(out.first_error.is_some());
    }

    #[test]
    fn index_names_follow_the_utc_day() {
        assert_eq!(otlp_index_name(0), "otel-logs-1970.01.01");
        assert_eq!(otlp_index_name(1_796_687_999_999), "otel-logs-2026.12.07");
    }
}
