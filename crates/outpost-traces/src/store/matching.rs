//! Whether a span meets a search, as Jaeger's v2 memory store decides
//! (`internal/storage/v2/memory/tenant.go` `validSpan`): service, operation,
//! start window and duration bounds (inclusive), and every tag found as a
//! string in the span's, its scope's, its resource's, one of its events' or
//! one of its links' attributes. Special keys: `error` (status ERROR / OK),
//! `span.kind`, `span.status`, `scope.name`, `scope.version`, and
//! `resource.<key>` (resource attributes only).

use crate::model::{KeyValue, Span, StatusCode};

use super::TraceQuery;

pub(super) fn span_matches(s: &Span, q: &TraceQuery) -> bool {
    if let Some(svc) = &q.service
        && *s.resource.service != **svc
    {
        return false;
    }
    if let Some(op) = &q.operation
        && *s.name != **op
    {
        return false;
    }
    if q.start_min_ns.is_some_and(|t| s.start_ns < t)
        || q.start_max_ns.is_some_and(|t| s.start_ns > t)
    {
        return false;
    }
    let d = s.duration_ns();
    if q.duration_min_ns.is_some_and(|m| d < m) || q.duration_max_ns.is_some_and(|m| d > m) {
        return false;
    }
    q.tags.iter().all(|(k, v)| tag_matches(s, k, v))
}

fn has(attrs: &[KeyValue], k: &str, v: &str) -> bool {
    attrs
        .iter()
        .any(|kv| &*kv.key == k && kv.value.as_string() == v)
}

fn tag_matches(s: &Span, k: &str, v: &str) -> bool {
    match k {
        "error" => match v {
            "true" => return s.status.code == StatusCode::Error,
            "false" => return s.status.code == StatusCode::Ok,
            _ => {}
        },
        "span.kind" => return s.kind.jaeger_name().unwrap_or("") == v.to_ascii_lowercase(),
        "span.status" => {
            let name = match s.status.code {
                StatusCode::Unset => "Unset",
                StatusCode::Ok => "Ok",
                StatusCode::Error => "Error",
            };
            return name.eq_ignore_ascii_case(v);
        }
        "scope.name" => return &*s.scope.name == v,
        "scope.version" => return &*s.scope.version == v,
        _ => {}
    }
    if let Some(rk) = k.strip_prefix("resource.") {
        return has(&s.resource.attributes, rk, v);
    }
    has(&s.attributes, k, v)
        || has(&s.scope.attributes, k, v)
        || has(&s.resource.attributes, k, v)
        || s.events.iter().any(|e| has(&e.attributes, k, v))
        || s.links.iter().any(|l| has(&l.attributes, k, v))
}
