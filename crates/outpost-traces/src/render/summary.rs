//! `/api/v3/trace-summaries` (fact sheet §6): per trace the root span's
//! service and operation, the time range, span, error and orphan counts and
//! per-service counts, without the spans themselves.

use serde_json::{Map, Value as J, json};

use crate::model::{StatusCode, Trace};

/// The summaries document: `{"summaries":[{traceId, rootServiceName,
/// rootOperationName, minStartTimeUnixNano, maxEndTimeUnixNano, spanCount,
/// errorSpanCount, orphanSpanCount, services:[{name, spanCount,
/// errorSpanCount}]}]}`, computed as Jaeger's query service does for
/// stores without native summaries: the root is the first span without a
/// parent (none: empty names), a span's service is its resource's
/// `service.name` attribute (empty when absent), an orphan is a span whose
/// parent is not in the trace. Services are listed in order of first
/// appearance (Jaeger's order is a Go map's); the time fields are decimal
/// strings, left out when zero.
pub fn trace_summaries(ts: &[Trace]) -> J {
    let summaries: Vec<J> = ts.iter().map(summary).collect();
    json!({ "summaries": summaries })
}

fn summary(t: &Trace) -> J {
    let ids: std::collections::HashSet<u64> = t.spans.iter().map(|s| s.span_id.0).collect();
    let service = |s: &crate::model::Span| -> String {
        s.resource
            .attributes
            .iter()
            .find(|kv| &*kv.key == "service.name")
            .map_or(String::new(), |kv| match &kv.value {
                crate::model::Value::Str(v) => v.to_string(),
                _ => String::new(),
            })
    };
    let root = t.spans.iter().find(|s| s.parent_span_id.0 == 0);
    let min_start = t.spans.iter().map(|s| s.start_ns).min().unwrap_or(0);
    let max_end = t.spans.iter().map(|s| s.end_ns).max().unwrap_or(0);
    let mut services: Vec<(String, u64, u64)> = Vec::new();
    let (mut errors, mut orphans) = (0u64, 0u64);
    for s in &t.spans {
        let err = s.status.code == StatusCode::Error;
        errors += u64::from(err);
        if s.parent_span_id.0 != 0 && !ids.contains(&s.parent_span_id.0) {
            orphans += 1;
        }
        let name = service(s);
        match services.iter_mut().find(|(n, _, _)| *n == name) {
            Some(e) => {
                e.1 += 1;
                e.2 += u64::from(err);
            }
            None => services.push((name, 1, u64::from(err))),
        }
    }
    let mut o = Map::new();
    o.insert("traceId".into(), t.trace_id.to_hex32().into());
    o.insert(
        "rootServiceName".into(),
        root.map_or(String::new(), |s| service(s)).into(),
    );
    o.insert(
        "rootOperationName".into(),
        root.map_or("", |s| &*s.name).into(),
    );
    if min_start != 0 {
        o.insert("minStartTimeUnixNano".into(), min_start.to_string().into());
    }
    if max_end != 0 {
        o.insert("maxEndTimeUnixNano".into(), max_end.to_string().into());
    }
    o.insert("spanCount".into(), t.spans.len().into());
    o.insert("errorSpanCount".into(), errors.into());
    o.insert("orphanSpanCount".into(), orphans.into());
    o.insert(
        "services".into(),
        services
            .into_iter()
            .map(|(name, n, e)| json!({"name": name, "spanCount": n, "errorSpanCount": e}))
            .collect::<Vec<_>>()
            .into(),
    );
    J::Object(o)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::{Status, TraceId};
    use crate::render::golden_tests::{resource, span};

    #[test]
    fn summaries_count_spans_errors_orphans_and_services() {
        let fe = resource("frontend", vec![]);
        let db = resource("db", vec![]);
        let mut root = span(1, 1, 0, &fe);
        root.name = Arc::from("HTTP GET /");
        let mut a = span(1, 2, 1, &db);
        a.status = Status {
            code: StatusCode::Error,
            message: "".into(),
        };
        let orphan = span(1, 3, 42, &fe);
        let mut late = span(1, 4, 1, &fe);
        late.end_ns = 1_800_000_000_000_000_000;
        let t = Trace {
            trace_id: TraceId(1),
            spans: [root.clone(), a, orphan, late]
                .into_iter()
                .map(Arc::new)
                .collect(),
        };
        let got = trace_summaries(&[t]);
        let want = json!({"summaries": [{
            "traceId": "00000000000000000000000000000001",
            "rootServiceName": "frontend",
            "rootOperationName": "HTTP GET /",
            "minStartTimeUnixNano": root.start_ns.to_string(),
            "maxEndTimeUnixNano": "1800000000000000000",
            "spanCount": 4,
            "errorSpanCount": 1,
            "orphanSpanCount": 1,
            "services": [
                {"name": "frontend", "spanCount": 3, "errorSpanCount": 0},
                {"name": "db", "spanCount": 1, "errorSpanCount": 1},
            ],
        }]});
        assert_eq!(got, want);
        assert_eq!(got.to_string(), want.to_string());
        assert_eq!(trace_summaries(&[]), json!({"summaries": []}));
    }

    #[test]
    fn without_a_root_the_names_are_empty() {
        let fe = resource("frontend", vec![]);
        let no_name = Arc::new(crate::model::Resource {
            service: crate::model::NO_SERVICE_NAME.into(),
            ..Default::default()
        });
        let t = Trace {
            trace_id: TraceId(1),
            spans: vec![
                Arc::new(span(1, 5, 9, &fe)),
                Arc::new(span(1, 2, 9, &no_name)),
            ],
        };
        let got = trace_summaries(&[t]);
        assert_eq!(got["summaries"][0]["rootServiceName"], "");
        assert_eq!(got["summaries"][0]["rootOperationName"], "");
        assert_eq!(got["summaries"][0]["orphanSpanCount"], 2);
        // a resource without `service.name` counts under the empty name
        assert_eq!(got["summaries"][0]["services"][1]["name"], "");
    }
}
