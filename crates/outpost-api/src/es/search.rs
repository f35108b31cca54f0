//! `_search`, `_msearch` and `_count`, with or without an index in the path.
//! URL parameters are folded into the body as ES does (they win over it):
//! `q` (with `df`, `default_operator`, `analyze_wildcard`, `lenient`) becomes
//! a `query_string` query, then `size`, `from`, `sort`, `docvalue_fields`, `_source*`,
//! `track_total_hits`; `ignore_unavailable` and `rest_total_hits_as_int`
//! become search options. `_msearch` reads header/body pairs and answers
//! each search on its own: a failed one is an `error` entry with its
//! `status` and the others still run.

use outpost_logs::SearchOptions;
use serde_json::{Map, Value, json};

use super::EsState;
use super::error::{EsError, bad_json};
use super::request::{Reply, Req};

/// The search options of the URL parameters.
#[allow(clippy::needless_update)] // the options may grow
pub(crate) fn opts(req: &Req) -> Result<SearchOptions, EsError> {
    Ok(SearchOptions {
        ignore_unavailable: req.flag("ignore_unavailable")?,
        total_hits_as_int: req.flag("rest_total_hits_as_int")?,
        ..SearchOptions::default()
    })
}

/// The `q` family of URL parameters as a `query_string` query.
fn url_query(req: &Req) -> Option<Value> {
    let q = req.param("q")?;
    let mut qs = Map::new();
    qs.insert("query".into(), q.into());
    for (param, key) in [
        ("df", "default_field"),
        ("default_operator", "default_operator"),
        ("analyzer", "analyzer"),
    ] {
        if let Some(v) = req.param(param) {
            qs.insert(key.into(), v.into());
        }
    }
    for flag in ["analyze_wildcard", "lenient"] {
        if let Some(v) = req.param(flag) {
            qs.insert(flag.into(), (v != "false").into());
        }
    }
    Some(json!({"query_string": qs}))
}

fn int_param(req: &Req, key: &str) -> Result<Option<Value>, EsError> {
    match req.param(key) {
        None => Ok(None),
        Some(v) => v.parse::<i64>().map(|n| Some(n.into())).map_err(|_| {
            EsError::illegal(format!(
                "Failed to parse int parameter [{key}] with value [{v}]"
            ))
        }),
    }
}

fn list(v: &str) -> Vec<Value> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| Value::String(s.to_string()))
        .collect()
}

/// The search body with the URL parameters folded in.
fn search_body(req: &Req) -> Result<Value, EsError> {
    let mut body = req.json()?;
    let Some(o) = body.as_object_mut() else {
        return Err(EsError::new(
            400,
            "parsing_exception",
            "Unknown key for a START_ARRAY in [null].",
        ));
    };
    if let Some(q) = url_query(req) {
        o.insert("query".into(), q);
    }
    for key in ["size", "from", "terminate_after"] {
        if let Some(v) = int_param(req, key)? {
            o.insert(key.into(), v);
        }
    }
    if let Some(s) = req.param("sort") {
        o.insert("sort".into(), Value::Array(list(s)));
    }
    if let Some(d) = req.param("docvalue_fields") {
        o.insert("docvalue_fields".into(), Value::Array(list(d)));
    }
    let inc = req.param("_source_includes").map(list);
    let exc = req.param("_source_excludes").map(list);
    match req.param("_source") {
        Some("false") => {
            o.insert("_source".into(), false.into());
        }
        Some("true" | "") => {
            o.insert("_source".into(), true.into());
        }
        Some(other) => {
            o.insert("_source".into(), Value::Array(list(other)));
        }
        None => {}
    }
    if inc.is_some() || exc.is_some() {
        o.insert(
            "_source".into(),
            json!({"includes": inc.unwrap_or_default(), "excludes": exc.unwrap_or_default()}),
        );
    }
    if let Some(t) = req.param("track_total_hits") {
        let v = match t {
            "true" | "" => Value::Bool(true),
            "false" => Value::Bool(false),
            n => n.parse::<i64>().map(Value::from).map_err(|_| {
                EsError::illegal(format!(
                    "Failed to parse int parameter [track_total_hits] with value [{n}]"
                ))
            })?,
        };
        o.insert("track_total_hits".into(), v);
    }
    Ok(body)
}

/// Top-level keys of a search body.
const SEARCH_KEYS: &[&str] = &[
    "query",
    "size",
    "from",
    "sort",
    "_source",
    "track_total_hits",
    "search_after",
    "docvalue_fields",
    "fields",
    "stored_fields",
    "script_fields",
    "highlight",
    "aggs",
    "aggregations",
    "post_filter",
    "timeout",
    "terminate_after",
    "track_scores",
    "min_score",
    "runtime_mappings",
    "explain",
    "version",
    "seq_no_primary_term",
    "indices_boost",
    "collapse",
    "profile",
    "stats",
    "ext",
    "pit",
    "slice",
    "suggest",
    "rescore",
];

/// ES's token name of a JSON value, as its parsing errors print it.
fn token(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "START_OBJECT",
        Value::Array(_) => "START_ARRAY",
        Value::String(_) => "VALUE_STRING",
        Value::Number(_) => "VALUE_NUMBER",
        Value::Bool(_) => "VALUE_BOOLEAN",
        Value::Null => "VALUE_NULL",
    }
}

/// Checks a search body as ES parses it, with the URL's
/// `rest_total_hits_as_int`: unknown keys are a 400 `parsing_exception`, and
/// an integer `track_total_hits` cannot be reported as an integer total.
/// An exact count is asked for when an integer total is to be printed.
fn check_search_body(body: &mut Value, o: SearchOptions) -> Result<(), EsError> {
    let Some(m) = body.as_object_mut() else {
        return Err(EsError::new(
            400,
            "parsing_exception",
            format!("Unknown key for a {} in [null].", token(body)),
        ));
    };
    if let Some((k, v)) = m.iter().find(|(k, _)| !SEARCH_KEYS.contains(&k.as_str())) {
        return Err(EsError::new(
            400,
            "parsing_exception",
            format!("Unknown key for a {} in [{k}].", token(v)),
        ));
    }
    if let Some(Value::Number(n)) = m.get("track_total_hits")
        && n.as_i64().is_some_and(|t| t < -1)
    {
        return Err(EsError::illegal(format!(
            "[track_total_hits] parameter must be positive or equals to -1, got {n}"
        )));
    }
    for key in ["size", "from"] {
        if let Some(Value::Number(n)) = m.get(key)
            && n.as_i64().is_none_or(|v| v > i64::from(i32::MAX))
        {
            return Err(EsError::new(
                400,
                "x_content_parse_exception",
                format!("[{key}] Numeric value ({n}) out of range of `int`"),
            ));
        }
    }
    if o.total_hits_as_int {
        match m.get("track_total_hits") {
            None => {
                m.insert("track_total_hits".into(), true.into());
            }
            Some(Value::Number(n)) => {
                return Err(EsError::illegal(format!(
                    "[rest_total_hits_as_int] cannot be used if the tracking of total hits is not accurate, got {n}"
                )));
            }
            _ => {}
        }
    }
    Ok(())
}

/// `index.max_docvalue_fields_search` (default 100) of the indices searched.
fn check_limits(st: &EsState, expr: &str, body: &Value, o: SearchOptions) -> Result<(), EsError> {
    let asked = body
        .get("docvalue_fields")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    if asked == 0 {
        return Ok(());
    }
    let Ok(indices) = st.store.resolve(expr, o.ignore_unavailable) else {
        // The search reports the resolution error itself.
        return Ok(());
    };
    for i in indices {
        let limit = st
            .store
            .index_setting(i.name(), "index.max_docvalue_fields_search")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(100);
        if asked > limit {
            return Err(EsError::illegal(format!(
                "Trying to retrieve too many docvalue_fields. Must be less than or equal to: [{limit}] but was [{asked}]. This limit can be set by changing the [index.max_docvalue_fields_search] index level setting."
            )));
        }
    }
    Ok(())
}

/// `hits.total` of an integer-total search that did not track hits: `-1`.
pub(crate) fn finish(resp: &mut Value, body: &Value, o: SearchOptions) {
    if o.total_hits_as_int
        && body.get("track_total_hits") == Some(&Value::Bool(false))
        && let Some(h) = resp.get_mut("hits").and_then(Value::as_object_mut)
    {
        h.insert("total".into(), (-1).into());
    }
}

/// The name `typed_keys` prefixes an aggregation with (`sterms#name`).
fn typed_name(kind: &str, result: &Value) -> String {
    match kind {
        "terms" => {
            let first = result
                .get("buckets")
                .and_then(Value::as_array)
                .and_then(|b| b.first())
                .and_then(|b| b.get("key"));
            match first {
                Some(Value::Number(n)) if n.is_i64() || n.is_u64() => "lterms".into(),
                Some(Value::Number(_)) => "dterms".into(),
                _ => "sterms".into(),
            }
        }
        "percentiles" => "tdigest_percentiles".into(),
        "percentile_ranks" => "tdigest_percentile_ranks".into(),
        "significant_terms" => "sigsterms".into(),
        other => other.into(),
    }
}

/// `typed_keys`: renames each aggregation result `type#name`, down through
/// the buckets of its sub-aggregations (the Java client always asks for it).
fn typed_keys(results: &mut Map<String, Value>, request: &Map<String, Value>) {
    for (name, spec) in request {
        let Some(spec) = spec.as_object() else {
            continue;
        };
        let Some(kind) = spec
            .keys()
            .find(|k| !matches!(k.as_str(), "aggs" | "aggregations" | "meta"))
        else {
            continue;
        };
        let Some(mut result) = results.remove(name) else {
            continue;
        };
        if let Some(sub) = spec
            .get("aggs")
            .or_else(|| spec.get("aggregations"))
            .and_then(Value::as_object)
        {
            if let Some(r) = result.as_object_mut() {
                typed_keys(r, sub);
            }
            match result.get_mut("buckets") {
                Some(Value::Array(bs)) => bs
                    .iter_mut()
                    .filter_map(Value::as_object_mut)
                    .for_each(|b| typed_keys(b, sub)),
                Some(Value::Object(bs)) => bs
                    .values_mut()
                    .filter_map(Value::as_object_mut)
                    .for_each(|b| typed_keys(b, sub)),
                _ => {}
            }
        }
        results.insert(format!("{}#{name}", typed_name(kind, &result)), result);
    }
}

/// Applies `typed_keys` to a search response when the URL asks for it.
fn apply_typed_keys(req: &Req, resp: &mut Value, body: &Value) -> Result<(), EsError> {
    if !req.flag("typed_keys")? {
        return Ok(());
    }
    let request = body
        .get("aggs")
        .or_else(|| body.get("aggregations"))
        .and_then(Value::as_object);
    if let (Some(request), Some(results)) = (
        request,
        resp.get_mut("aggregations").and_then(Value::as_object_mut),
    ) {
        typed_keys(results, request);
    }
    Ok(())
}

/// The index expression: the path's, or every index.
fn target(idx: Option<&str>) -> &str {
    idx.unwrap_or("_all")
}

/// `GET|POST [/{index}]/_search`.
pub(crate) fn search(st: &EsState, req: &Req, idx: Option<&str>) -> Result<Reply, EsError> {
    let mut body = search_body(req)?;
    let o = opts(req)?;
    check_search_body(&mut body, o)?;
    super::indices::check_open(st, target(idx))?;
    check_limits(st, target(idx), &body, o)?;
    if let Some(keep) = req.param("scroll") {
        return super::scroll::open(st, req, target(idx), body, o, keep);
    }
    let mut out = st.store.search(target(idx), &body, o)?;
    finish(&mut out, &body, o);
    apply_typed_keys(req, &mut out, &body)?;
    Ok(Reply::Json(200, out))
}

/// `GET|POST [/{index}]/_count`.
pub(crate) fn count(st: &EsState, req: &Req, idx: Option<&str>) -> Result<Reply, EsError> {
    let mut body = req.json()?;
    if let Some((k, _)) = body
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.as_str() != "query"))
    {
        return Err(EsError::new(
            400,
            "parsing_exception",
            format!("request does not support [{k}]"),
        ));
    }
    if let (Some(q), Some(o)) = (url_query(req), body.as_object_mut()) {
        o.insert("query".into(), q);
    }
    super::indices::check_open(st, target(idx))?;
    let out = st.store.count(target(idx), &body, opts(req)?)?;
    Ok(Reply::Json(200, out))
}

/// Header keys `_msearch` takes.
const HEADER_KEYS: &[&str] = &[
    "index",
    "indices",
    "ignore_unavailable",
    "allow_no_indices",
    "expand_wildcards",
    "search_type",
    "preference",
    "routing",
    "request_cache",
    "ccs_minimize_roundtrips",
    "allow_partial_search_results",
    "ignore_throttled",
];

fn header_bool(h: &Map<String, Value>, key: &str) -> Option<bool> {
    match h.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => Some(s == "true"),
        _ => None,
    }
}

/// One `_msearch` item: its index expression, options and body.
fn item(
    header: &Map<String, Value>,
    default_idx: Option<&str>,
    base: SearchOptions,
) -> Result<(String, SearchOptions), EsError> {
    for k in header.keys() {
        if !HEADER_KEYS.contains(&k.as_str()) {
            return Err(EsError::illegal(format!(
                "key [{k}] is not supported in the metadata section"
            )));
        }
    }
    let idx = match header.get("index").or_else(|| header.get("indices")) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(","),
        _ => target(default_idx).to_string(),
    };
    let mut o = base;
    if let Some(b) = header_bool(header, "ignore_unavailable") {
        o.ignore_unavailable = b;
    }
    if let Some(t) = header.get("search_type").and_then(Value::as_str)
        && t != "query_then_fetch"
        && t != "dfs_query_then_fetch"
    {
        return Err(EsError::illegal(format!("No search type for [{t}]")));
    }
    Ok((idx, o))
}

/// `GET|POST [/{index}]/_msearch`.
pub(crate) fn msearch(st: &EsState, req: &Req, idx: Option<&str>) -> Result<Reply, EsError> {
    let started = st.store.now_ms();
    let base = opts(req)?;
    let lines: Vec<&[u8]> = req
        .body
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect();
    // A trailing newline leaves one empty piece; other empty lines are empty headers.
    let n = match lines.last() {
        Some(l) if l.iter().all(u8::is_ascii_whitespace) => lines.len() - 1,
        _ => lines.len(),
    };
    let mut searches = Vec::new();
    let mut i = 0;
    while i < n {
        let head = lines[i];
        let header: Map<String, Value> = if head.iter().all(u8::is_ascii_whitespace) {
            Map::new()
        } else {
            match serde_json::from_slice::<Value>(head).map_err(|e| bad_json(&e))? {
                Value::Object(o) => o,
                _ => {
                    return Err(EsError::illegal(
                        "msearch request must contain a header object per search",
                    ));
                }
            }
        };
        let Some(body_line) = lines.get(i + 1).filter(|_| i + 1 < n) else {
            break;
        };
        let mut body: Value = if body_line.iter().all(u8::is_ascii_whitespace) {
            json!({})
        } else {
            serde_json::from_slice(body_line).map_err(|e| bad_json(&e))?
        };
        let (expr, o) = item(&header, idx, base)?;
        // A body ES cannot parse fails the whole request, as its parser does.
        check_search_body(&mut body, o)?;
        searches.push(((expr, o), body));
        i += 2;
    }
    if searches.is_empty() {
        return Err(EsError::new(
            400,
            "action_request_validation_exception",
            "Validation Failed: 1: no requests added;",
        ));
    }
    let mut responses = Vec::with_capacity(searches.len());
    for ((expr, o), body) in searches {
        let result = super::indices::check_open(st, &expr)
            .map_err(|e| e.msearch_item())
            .and_then(|()| {
                st.store
                    .search(&expr, &body, o)
                    .map_err(|e| EsError::from(e).msearch_item())
            });
        let entry = match result {
            Ok(mut r) => {
                finish(&mut r, &body, o);
                apply_typed_keys(req, &mut r, &body)?;
                if let Some(m) = r.as_object_mut() {
                    m.insert("status".into(), 200.into());
                }
                r
            }
            Err(item) => item,
        };
        responses.push(entry);
    }
    let took = st.store.now_ms().saturating_sub(started).max(0);
    Ok(Reply::Json(
        200,
        json!({"took": took, "responses": responses}),
    ))
}

#[cfg(test)]
mod tests {
    use axum::http::Method;

    use super::*;

    #[test]
    fn url_parameters_fold_into_the_body() {
        let req = Req::new(
            Method::GET,
            "/_search?q=level:error&df=message&default_operator=AND&size=5&from=2&sort=%40timestamp:desc,_doc&_source=a,b&track_total_hits=100",
            b"{\"size\":1,\"query\":{\"match_all\":{}}}",
        );
        let b = search_body(&req).unwrap();
        assert_eq!(
            b["query"],
            json!({"query_string": {"query": "level:error", "default_field": "message", "default_operator": "AND"}})
        );
        assert_eq!(b["size"], 5);
        assert_eq!(b["from"], 2);
        assert_eq!(b["sort"], json!(["@timestamp:desc", "_doc"]));
        assert_eq!(b["_source"], json!(["a", "b"]));
        assert_eq!(b["track_total_hits"], 100);
        let req = Req::new(Method::GET, "/_search?size=x", b"");
        assert_eq!(search_body(&req).unwrap_err().status(), 400);
    }

    #[test]
    fn docvalue_fields_parameter_folds_into_the_body() {
        let req = Req::new(
            Method::GET,
            "/i/_search?docvalue_fields=count,include.field1.keyword",
            b"{\"docvalue_fields\":[\"other\"]}",
        );
        let b = search_body(&req).unwrap();
        assert_eq!(
            b["docvalue_fields"],
            json!(["count", "include.field1.keyword"])
        );
    }

    #[test]
    fn search_bodies_are_checked_as_es_parses_them() {
        let o = SearchOptions::default();
        let e = check_search_body(&mut json!({"match": {"a": 1}}), o).unwrap_err();
        assert_eq!(
            e.body().unwrap()["error"]["reason"],
            "Unknown key for a START_OBJECT in [match]."
        );
        let as_int = SearchOptions {
            total_hits_as_int: true,
            ..o
        };
        let mut b = json!({"size": 1});
        check_search_body(&mut b, as_int).unwrap();
        assert_eq!(b["track_total_hits"], true);
        let e = check_search_body(&mut json!({"track_total_hits": 100}), as_int).unwrap_err();
        assert!(
            e.body().unwrap()["error"]["reason"]
                .as_str()
                .unwrap()
                .ends_with("got 100"),
            "{e:?}"
        );
        let e = check_search_body(&mut json!({"track_total_hits": -2}), o).unwrap_err();
        assert_eq!(
            e.body().unwrap()["error"]["reason"],
            "[track_total_hits] parameter must be positive or equals to -1, got -2"
        );
        let e = check_search_body(&mut json!({"size": 2147483648u64}), o).unwrap_err();
        assert!(
            e.body().unwrap()["error"]["reason"]
                .as_str()
                .unwrap()
                .contains("Numeric value (2147483648) out of range of `int`"),
            "{e:?}"
        );
        let mut r = json!({"hits": {"hits": []}});
        finish(&mut r, &json!({"track_total_hits": false}), as_int);
        assert_eq!(r["hits"]["total"], -1);
    }

    #[test]
    fn typed_keys_prefix_aggregations_down_through_buckets() {
        let request = json!({
            "h": {"date_histogram": {"field": "@timestamp"}, "aggs": {
                "t": {"terms": {"field": "level"}},
                "p": {"percentiles": {"field": "n"}},
            }},
            "f": {"filters": {"filters": {"a": {}}}, "aggs": {"n": {"terms": {"field": "n"}}}},
        });
        let mut results = json!({
            "h": {"buckets": [{"key": 1, "doc_count": 1,
                "t": {"buckets": [{"key": "error", "doc_count": 1}]},
                "p": {"values": {"50.0": 1.0}}}]},
            "f": {"buckets": {"a": {"doc_count": 1, "n": {"buckets": [{"key": 2.5, "doc_count": 1}]}}}},
        });
        typed_keys(
            results.as_object_mut().unwrap(),
            request.as_object().unwrap(),
        );
        let b = &results["date_histogram#h"]["buckets"][0];
        assert_eq!(b["sterms#t"]["buckets"][0]["key"], "error");
        assert_eq!(b["tdigest_percentiles#p"]["values"]["50.0"], 1.0);
        assert_eq!(
            results["filters#f"]["buckets"]["a"]["dterms#n"]["buckets"][0]["key"],
            2.5
        );
    }

    #[test]
    fn msearch_headers() {
        let h = |v: Value| v.as_object().unwrap().clone();
        let (i, o) = item(
            &h(json!({"index": ["a", "b"], "ignore_unavailable": true})),
            None,
            SearchOptions::default(),
        )
        .unwrap();
        assert_eq!(i, "a,b");
        assert!(o.ignore_unavailable);
        let (i, _) = item(&h(json!({})), Some("logs-*"), SearchOptions::default()).unwrap();
        assert_eq!(i, "logs-*");
        let e = item(&h(json!({"bogus": 1})), None, SearchOptions::default()).unwrap_err();
        assert_eq!(e.status(), 400);
    }
}
