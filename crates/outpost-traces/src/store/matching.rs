//! Whether a span meets a search, as Jaeger's v2 memory store decides
//! (`internal/storage/v2/memory/tenant.go` `validSpan`): service, operation,
//! start window and duration bounds (inclusive), and every tag found as a
//! string in the span's, its scope's, its resource's, one of its events' or
//! one of its links' attributes. Special keys: `error` (status ERROR / OK),
//! `span.kind`, `span.status`, `scope.name`, `scope.version`, and
//! `resource.<key>` (resource attributes only).
//!
//! [`Prepared`] applies these rules to stored spans: the query's strings are
//! resolved once to interned ids and typed values, so checking a span
//! compares numbers and never formats a value (except array, map and bytes
//! values, compared by their string form). `model_span_matches` is the same
//! rule on a model span, the reference the tests compare against.

use crate::model::{KeyValue, Resource, Scope, SpanKind, StatusCode, Value};

use super::TraceQuery;
use super::compact::{
    Attr, SharedEntry, StoredSpan, T_BOOL, T_DOUBLE, T_INT, T_KIND, T_OPERATION, T_OTHER,
    T_SERVICE, T_STATUS, T_STR, Tag, double_term_bits,
};
use super::strings::{StrId, Strings};
use crate::hash::{hash_str, mix};

/// A tag compared with attributes: the key and the value in every stored
/// form whose string form equals it.
pub(super) struct AttrCond {
    key: String,
    key_id: Option<StrId>,
    value: String,
    str_id: Option<StrId>,
    int: Option<i64>,
    double_bits: Option<u64>,
    boolean: Option<bool>,
}

impl AttrCond {
    fn new(key: &str, value: &str, strings: &Strings) -> Self {
        Self {
            key: key.to_string(),
            key_id: strings.get(key),
            value: value.to_string(),
            str_id: strings.get(value),
            int: value.parse::<i64>().ok().filter(|n| n.to_string() == value),
            double_bits: if value == "NaN" {
                Some(f64::NAN.to_bits())
            } else {
                value
                    .parse::<f64>()
                    .ok()
                    .filter(|d| !d.is_nan() && format!("{d}") == value)
                    .map(f64::to_bits)
            },
            boolean: match value {
                "true" => Some(true),
                "false" => Some(false),
                _ => None,
            },
        }
    }

    /// The index terms of the stored forms this tag can match (any of them).
    pub(super) fn terms(&self) -> Vec<u64> {
        let kh = hash_str(&self.key);
        let mut t = vec![
            mix(T_STR, kh, hash_str(&self.value)),
            mix(T_OTHER, kh, hash_str(&self.value)),
        ];
        if let Some(i) = self.int {
            t.push(mix(T_INT, kh, i as u64));
        }
        if let Some(b) = self.double_bits {
            t.push(mix(T_DOUBLE, kh, double_term_bits(f64::from_bits(b))));
        }
        if let Some(b) = self.boolean {
            t.push(mix(T_BOOL, kh, u64::from(b)));
        }
        t
    }

    fn value_eq(&self, a: &Attr, others: Others<'_>) -> bool {
        match a.tag {
            Tag::Str => self.str_id == Some(a.bits as StrId),
            Tag::Int => self.int == Some(a.bits as i64),
            Tag::Double => {
                let d = f64::from_bits(a.bits);
                if d.is_nan() {
                    self.value == "NaN"
                } else {
                    self.double_bits == Some(a.bits)
                }
            }
            Tag::Bool => self.boolean == Some(a.bits != 0),
            Tag::Empty => self.value.is_empty(),
            Tag::Other => others
                .get(a.bits as usize)
                .is_some_and(|v| v.as_string() == self.value),
        }
    }

    fn in_encoded(&self, attrs: &[Attr], others: Others<'_>) -> bool {
        let Some(k) = self.key_id else { return false };
        attrs.iter().any(|a| a.key == k && self.value_eq(a, others))
    }

    fn in_model(&self, attrs: &[KeyValue]) -> bool {
        has(attrs, &self.key, &self.value)
    }
}

/// Where `Tag::Other` values are: a span's own list, or a resource's or
/// scope's attributes.
#[derive(Clone, Copy)]
enum Others<'a> {
    Values(&'a [Value]),
    Attrs(&'a [KeyValue]),
}

impl<'a> Others<'a> {
    fn get(self, i: usize) -> Option<&'a Value> {
        match self {
            Self::Values(v) => v.get(i),
            Self::Attrs(a) => a.get(i).map(|kv| &kv.value),
        }
    }
}

/// One condition of a search on a span.
pub(super) enum Cond {
    /// No span can meet it.
    Never,
    Status(StatusCode),
    Kind(SpanKind),
    ScopeName(String),
    ScopeVersion(String),
    /// `resource.<key>`: resource attributes only.
    Resource(AttrCond),
    /// Span, scope, resource, event or link attributes.
    Any(AttrCond),
}

impl Cond {
    fn new(k: &str, v: &str, strings: &Strings) -> Self {
        match k {
            "error" if v == "true" => return Cond::Status(StatusCode::Error),
            "error" if v == "false" => return Cond::Status(StatusCode::Ok),
            "span.kind" => {
                let v = v.to_ascii_lowercase();
                return [
                    SpanKind::Unspecified,
                    SpanKind::Internal,
                    SpanKind::Server,
                    SpanKind::Client,
                    SpanKind::Producer,
                    SpanKind::Consumer,
                ]
                .into_iter()
                .find(|k| k.jaeger_name().unwrap_or("") == v)
                .map_or(Cond::Never, Cond::Kind);
            }
            "span.status" => {
                return [
                    ("Unset", StatusCode::Unset),
                    ("Ok", StatusCode::Ok),
                    ("Error", StatusCode::Error),
                ]
                .into_iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(v))
                .map_or(Cond::Never, |(_, c)| Cond::Status(c));
            }
            "scope.name" => return Cond::ScopeName(v.to_string()),
            "scope.version" => return Cond::ScopeVersion(v.to_string()),
            _ => {}
        }
        match k.strip_prefix("resource.") {
            Some(rk) => Cond::Resource(AttrCond::new(rk, v, strings)),
            None => Cond::Any(AttrCond::new(k, v, strings)),
        }
    }
}

/// A search resolved against the store's strings.
pub(super) struct Prepared {
    /// False when no span can match (an unknown service or operation, an
    /// impossible kind or status).
    pub(super) possible: bool,
    service: Option<StrId>,
    operation: Option<StrId>,
    start_min: u64,
    start_max: u64,
    duration_min: u64,
    duration_max: u64,
    pub(super) conds: Vec<Cond>,
    /// Index lookups that narrow the candidates: each inner list is a union
    /// of terms, the lists intersect.
    pub(super) term_sets: Vec<Vec<u64>>,
}

impl Prepared {
    pub(super) fn new(q: &TraceQuery, strings: &Strings) -> Self {
        let mut possible = true;
        let mut term_sets = Vec::new();
        let service = q.service.as_deref().map(|s| {
            term_sets.push(vec![mix(T_SERVICE, hash_str(s), 0)]);
            let id = strings.get(s);
            possible &= id.is_some();
            id.unwrap_or(StrId::MAX)
        });
        let operation = q.operation.as_deref().map(|s| {
            term_sets.push(vec![mix(T_OPERATION, hash_str(s), 0)]);
            let id = strings.get(s);
            possible &= id.is_some();
            id.unwrap_or(StrId::MAX)
        });
        let conds: Vec<Cond> = q
            .tags
            .iter()
            .map(|(k, v)| Cond::new(k, v, strings))
            .collect();
        for c in &conds {
            match c {
                Cond::Never => possible = false,
                Cond::Status(code) => {
                    term_sets.push(vec![mix(T_STATUS, code.to_otlp() as u64, 0)]);
                }
                Cond::Kind(k) => term_sets.push(vec![mix(T_KIND, k.to_otlp() as u64, 0)]),
                Cond::Resource(a) | Cond::Any(a) => term_sets.push(a.terms()),
                Cond::ScopeName(_) | Cond::ScopeVersion(_) => {}
            }
        }
        Self {
            possible,
            service,
            operation,
            start_min: q.start_min_ns.unwrap_or(0),
            start_max: q.start_max_ns.unwrap_or(u64::MAX),
            duration_min: q.duration_min_ns.unwrap_or(0),
            duration_max: q.duration_max_ns.unwrap_or(u64::MAX),
            conds,
            term_sets,
        }
    }

    /// Whether a trace with these span start and duration ranges can hold a
    /// matching span.
    pub(super) fn may_match_trace(&self, start: (u64, u64), duration: (u64, u64)) -> bool {
        start.0 <= self.start_max
            && start.1 >= self.start_min
            && duration.0 <= self.duration_max
            && duration.1 >= self.duration_min
    }

    /// Whether one stored span meets every condition.
    pub(super) fn span_matches(
        &self,
        s: &StoredSpan,
        res: &SharedEntry<Resource>,
        scope: &SharedEntry<Scope>,
    ) -> bool {
        if self.service.is_some_and(|id| id != res.service)
            || self.operation.is_some_and(|id| id != s.name)
            || s.start_ns < self.start_min
            || s.start_ns > self.start_max
        {
            return false;
        }
        let d = s.duration_ns();
        if d < self.duration_min || d > self.duration_max {
            return false;
        }
        if self.conds.is_empty() {
            return true;
        }
        let span_others = Others::Values(s.others());
        let res_others = Others::Attrs(&res.model.attributes);
        let scope_others = Others::Attrs(&scope.model.attributes);
        self.conds.iter().all(|c| match c {
            Cond::Never => false,
            Cond::Status(code) => s.status == *code,
            Cond::Kind(k) => s.kind == *k,
            Cond::ScopeName(n) => &*scope.model.name == n,
            Cond::ScopeVersion(v) => &*scope.model.version == v,
            Cond::Resource(a) => a.in_encoded(&res.attrs, res_others),
            Cond::Any(a) => {
                a.in_encoded(&s.attrs, span_others)
                    || a.in_encoded(&scope.attrs, scope_others)
                    || a.in_encoded(&res.attrs, res_others)
                    || s.events().iter().any(|e| a.in_model(&e.attributes))
                    || s.links().iter().any(|l| a.in_model(&l.attributes))
            }
        })
    }
}

fn has(attrs: &[KeyValue], k: &str, v: &str) -> bool {
    attrs
        .iter()
        .any(|kv| &*kv.key == k && kv.value.as_string() == v)
}

/// The rule on a model span (the reference for the tests).
#[cfg(test)]
pub(super) fn model_span_matches(s: &crate::model::Span, q: &TraceQuery) -> bool {
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
    q.tags.iter().all(|(k, v)| model_tag_matches(s, k, v))
}

#[cfg(test)]
fn model_tag_matches(s: &crate::model::Span, k: &str, v: &str) -> bool {
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
