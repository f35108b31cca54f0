//! `filter_path`, applied to every JSON response: a comma list of dotted
//! paths whose segments may hold `*` wildcards, `**` for any depth, and a
//! leading `-` to exclude instead. Arrays are transparent (a path applies to
//! each element), parents left empty are dropped, and a filter that keeps
//! nothing answers `{}` (as Logstash's `errors,items.*.error,items.*.status`
//! relies on).

use serde_json::{Map, Value};

/// A parsed `filter_path`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FilterPath {
    include: Vec<Vec<String>>,
    exclude: Vec<Vec<String>>,
}

impl FilterPath {
    /// Parses the parameter; `None` when it filters nothing.
    pub(crate) fn parse(s: &str) -> Option<FilterPath> {
        let mut f = FilterPath::default();
        for p in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (list, p) = match p.strip_prefix('-') {
                Some(rest) => (&mut f.exclude, rest),
                None => (&mut f.include, p),
            };
            let segs: Vec<String> = p.split('.').map(str::to_string).collect();
            if !segs.iter().any(String::is_empty) {
                list.push(segs);
            }
        }
        (!f.include.is_empty() || !f.exclude.is_empty()).then_some(f)
    }

    /// The filtered document.
    pub(crate) fn apply(&self, v: Value) -> Value {
        let mut out = if self.include.is_empty() {
            v
        } else {
            let pats: Vec<&[String]> = self.include.iter().map(Vec::as_slice).collect();
            include(&v, &pats).unwrap_or_else(|| Value::Object(Map::new()))
        };
        if !self.exclude.is_empty() {
            let pats: Vec<&[String]> = self.exclude.iter().map(Vec::as_slice).collect();
            exclude(&mut out, &pats);
        }
        out
    }
}

/// Whether a key matches a segment with `*` wildcards.
pub(crate) fn glob(pat: &str, key: &str) -> bool {
    if !pat.contains('*') {
        return pat == key;
    }
    let parts: Vec<&str> = pat.split('*').collect();
    let mut rest = key;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// The remainders of `pats` after stepping into `key`; an empty remainder
/// means the whole value under `key` is selected.
fn step<'a>(pats: &[&'a [String]], key: &str) -> Vec<&'a [String]> {
    let mut next = Vec::new();
    for p in pats {
        let Some((first, rest)) = p.split_first() else {
            continue;
        };
        if first == "**" {
            // `**` takes this key and stays, or matches nothing here.
            next.push(*p);
            if rest.is_empty() {
                next.push(rest);
            } else {
                next.extend(step(&[rest], key));
            }
        } else if glob(first, key) {
            next.push(rest);
        }
    }
    next
}

fn include(v: &Value, pats: &[&[String]]) -> Option<Value> {
    if pats.iter().any(|p| p.is_empty()) {
        return Some(v.clone());
    }
    match v {
        Value::Object(o) => {
            let mut out = Map::new();
            for (k, child) in o {
                let next = step(pats, k);
                if next.is_empty() {
                    continue;
                }
                if let Some(kept) = include(child, &next) {
                    out.insert(k.clone(), kept);
                }
            }
            (!out.is_empty()).then_some(Value::Object(out))
        }
        Value::Array(a) => {
            let kept: Vec<Value> = a.iter().filter_map(|x| include(x, pats)).collect();
            (!kept.is_empty()).then_some(Value::Array(kept))
        }
        _ => None,
    }
}

fn exclude(v: &mut Value, pats: &[&[String]]) {
    match v {
        Value::Object(o) => {
            let keys: Vec<String> = o.keys().cloned().collect();
            for k in keys {
                let next = step(pats, &k);
                if next.iter().any(|p| p.is_empty()) {
                    o.remove(&k);
                } else if !next.is_empty()
                    && let Some(child) = o.get_mut(&k)
                {
                    exclude(child, &next);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| exclude(x, pats)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn f(p: &str, v: Value) -> Value {
        FilterPath::parse(p).unwrap().apply(v)
    }

    #[test]
    fn logstash_bulk_filter_keeps_errors_and_item_statuses() {
        let v = json!({"took": 3, "errors": true, "items": [
            {"index": {"_index": "a", "_id": "1", "status": 201, "result": "created"}},
            {"create": {"_index": "a", "_id": "2", "status": 409, "error": {"type": "version_conflict_engine_exception"}}}
        ]});
        assert_eq!(
            f("errors,items.*.error,items.*.status", v),
            json!({"errors": true, "items": [
                {"index": {"status": 201}},
                {"create": {"status": 409, "error": {"type": "version_conflict_engine_exception"}}}
            ]})
        );
    }

    #[test]
    fn wildcards_double_star_exclusion_and_nothing_kept() {
        let v = json!({"hits": {"total": {"value": 2}, "hits": [{"_id": "1", "_source": {"a": 1}}]}, "took": 1});
        assert_eq!(
            f("hits.hits._id", v.clone()),
            json!({"hits": {"hits": [{"_id": "1"}]}})
        );
        assert_eq!(
            f("h*.t*.value", v.clone()),
            json!({"hits": {"total": {"value": 2}}})
        );
        assert_eq!(
            f("**.value", v.clone()),
            json!({"hits": {"total": {"value": 2}}})
        );
        assert_eq!(f("nope", v.clone()), json!({}));
        assert_eq!(
            f("-hits.hits", v.clone()),
            json!({"hits": {"total": {"value": 2}}, "took": 1})
        );
        assert_eq!(
            f("hits,-hits.total", v),
            json!({"hits": {"hits": [{"_id": "1", "_source": {"a": 1}}]}})
        );
        assert_eq!(FilterPath::parse(" , "), None);
    }

    #[test]
    fn glob_matches_within_one_segment() {
        assert!(glob("*", "index"));
        assert!(glob("in*x", "index"));
        assert!(glob("*dex", "index"));
        assert!(glob("i*d*x", "index"));
        assert!(!glob("x*", "index"));
        assert!(!glob("index", "indexes"));
    }
}
