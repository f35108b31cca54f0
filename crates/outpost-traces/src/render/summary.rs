//! `/api/v3/trace-summaries` (fact sheet §6): per trace the root span's
//! service and operation, the time range, span, error and orphan counts and
//! per-service counts, without the spans themselves.

use serde_json::{Map, Value as J, json};

use crate::model::{StatusCode, Trace};

/// The summaries document: `{"summaries":[{traceId, rootServiceName,
/// rootOperationName, minStartTimeUnixNano, maxEndTimeUnixNano, spanCount,
/// errorSpanCount, orphanSpanCount, services:[{name, spanCount,
/// errorSpanCount}]}]}`. The root is the earliest-starting span without a
/// parent (else the earliest span); an orphan is a span whose parent is not
/// in the trace; services are listed in order of first appearance; the
/// time fields are decimal strings, left out when zero.
pub fn trace_summaries(ts: &[Trace]) -> J {
    let summaries: Vec<J> = ts.iter().map(summary).collect();
    json!({ "summaries": summaries })
}

fn summary(t: &Trace) -> J {
    let ids: std::collections::HashSet<u64> = t.spans.iter().map(|s| s.span_id.0).collect();
    let root = t
        .spans
        .iter()
        .filter(|s| s.parent_span_id.0 == 0)
        .min_by_key(|s| s.start_ns)
        .or_else(|| t.spans.iter().min_by_key(|s| s.start_ns));
    let min_start = t.spans.iter().map(|s| s.start_ns).min().unwrap_or(0);
    let max_end = t.spans.iter().map(|s| s.end_ns).max().unwrap_or(0);
    let mut services: Vec<(&str, u64, u64)> = Vec::new();
    let (mut errors, mut orphans) = (0u64, 0u64);
    for s in &t.spans {
        let err = s.status.code == StatusCode::Error;
        errors += u64::from(err);
        if s.parent_span_id.0 != 0 && !ids.contains(&s.parent_span_id.0) {
            orphans += 1;
        }
        match services.iter_mut().find(|(n, _, _)| *n == s.service()) {
            Some(e) => {
                e.1 += 1;
                e.2 += u64::from(err);
            }
            None => services.push((s.service(), 1, u64::from(err))),
        }
    }
    let mut o = Map::new();
    o.insert("traceId".into(), t.trace_id.to_hex32().into());
    o.insert(
        "rootServiceName".into(),
        root.map_or("", |s| s.service()).into(),
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
