//! Scrolling (`_search?scroll=1m`, `/_search/scroll`, `DELETE
//! /_search/scroll`), as `helpers.scan` of the Python client uses it: a
//! context keeps the search and how far it has been read; each page re-runs
//! the search from there (so it sees the store as it is then, not a frozen
//! view, and the pages of one scroll stop at `index.max_result_window`).
//! Contexts expire after their keep-alive of clock time; at most
//! [`MAX_OPEN`] are open (`search.max_open_scroll_context`).

use std::collections::BTreeMap;

use outpost_logs::SearchOptions;
use serde_json::{Value, json};

use super::EsState;
use super::error::EsError;
use super::request::{Reply, Req};

/// Most scroll contexts open at once.
pub(crate) const MAX_OPEN: usize = 500;

/// One open scroll.
#[derive(Debug, Clone)]
struct Ctx {
    expr: String,
    body: Value,
    opts: SearchOptions,
    next_from: u64,
    expires_ms: i64,
}

/// The open scrolls.
#[derive(Debug, Default)]
pub(crate) struct Scrolls {
    open: BTreeMap<String, Ctx>,
    seq: u64,
}

impl Scrolls {
    fn purge(&mut self, now: i64) {
        self.open.retain(|_, c| c.expires_ms > now);
    }
}

/// Parses a keep-alive (`1m`, `30s`, `500ms`) into milliseconds.
fn keep_alive(s: &str) -> Result<i64, EsError> {
    let units: [(&str, i64); 5] = [
        ("ms", 1),
        ("s", 1000),
        ("m", 60_000),
        ("h", 3_600_000),
        ("d", 86_400_000),
    ];
    for (u, scale) in units {
        if let Some(n) = s.strip_suffix(u).and_then(|n| n.parse::<i64>().ok()) {
            return Ok(n.saturating_mul(scale));
        }
    }
    Err(EsError::new(
        400,
        "parse_exception",
        format!(
            "failed to parse setting [scroll] with value [{s}] as a time value: unit is missing or unrecognized"
        ),
    ))
}

fn page_size(body: &Value) -> u64 {
    body.get("size").and_then(Value::as_u64).unwrap_or(10)
}

fn missing(id: &str) -> EsError {
    EsError::new(
        404,
        "search_context_missing_exception",
        format!("No search context found for id [{id}]"),
    )
}

/// Runs one page and adds `_scroll_id`.
fn page(st: &EsState, id: &str, ctx: &Ctx) -> Result<Value, EsError> {
    let mut body = ctx.body.clone();
    if let Some(o) = body.as_object_mut() {
        o.insert("from".into(), ctx.next_from.into());
    }
    let mut out = st.store.search(&ctx.expr, &body, ctx.opts)?;
    super::search::finish(&mut out, &body, ctx.opts);
    if let Some(o) = out.as_object_mut() {
        o.insert("_scroll_id".into(), id.into());
    }
    Ok(out)
}

/// `_search?scroll=…`: the first page and a new context.
pub(crate) fn open(
    st: &EsState,
    _req: &Req,
    expr: &str,
    body: Value,
    opts: SearchOptions,
    keep: &str,
) -> Result<Reply, EsError> {
    let keep = keep_alive(keep)?;
    if body.get("from").and_then(Value::as_u64).unwrap_or(0) > 0 {
        return Err(EsError::new(
            400,
            "action_request_validation_exception",
            "Validation Failed: 1: using [from] is not allowed in a scroll context;",
        ));
    }
    let now = st.store.now_ms();
    let id = {
        let mut s = st.scrolls.lock().unwrap_or_else(|p| p.into_inner());
        s.purge(now);
        if s.open.len() >= MAX_OPEN {
            return Err(EsError::illegal(format!(
                "Trying to create too many scroll contexts. Must be less than or equal to: [{MAX_OPEN}]. This limit can be set by changing the [search.max_open_scroll_context] setting."
            )));
        }
        s.seq = s.seq.saturating_add(1);
        super::uuid_like(&format!("scroll-{}-{now}", s.seq), s.seq)
    };
    let mut ctx = Ctx {
        expr: expr.to_string(),
        body,
        opts,
        next_from: 0,
        expires_ms: now.saturating_add(keep),
    };
    let out = page(st, &id, &ctx)?;
    ctx.next_from = page_size(&ctx.body);
    st.scrolls
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .open
        .insert(id, ctx);
    Ok(Reply::Json(200, out))
}

fn ids_of(req: &Req, id: Option<&str>) -> Result<Vec<String>, EsError> {
    if let Some(id) = id {
        return Ok(id.split(',').map(str::to_string).collect());
    }
    if let Some(id) = req.param("scroll_id") {
        return Ok(id.split(',').map(str::to_string).collect());
    }
    let body = req.json()?;
    Ok(match body.get("scroll_id") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    })
}

/// `GET|POST /_search/scroll[/{id}]`: the next page.
pub(crate) fn next(st: &EsState, req: &Req, id: Option<&str>) -> Result<Reply, EsError> {
    let ids = ids_of(req, id)?;
    let Some(id) = ids.first() else {
        return Err(EsError::new(
            400,
            "action_request_validation_exception",
            "Validation Failed: 1: scrollId is missing;",
        ));
    };
    let keep = match req.param("scroll") {
        Some(k) => Some(keep_alive(k)?),
        None => req
            .json()?
            .get("scroll")
            .and_then(Value::as_str)
            .map(keep_alive)
            .transpose()?,
    };
    let now = st.store.now_ms();
    let ctx = {
        let mut s = st.scrolls.lock().unwrap_or_else(|p| p.into_inner());
        s.purge(now);
        s.open.get(id).cloned().ok_or_else(|| missing(id))?
    };
    let out = page(st, id, &ctx)?;
    let mut s = st.scrolls.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(c) = s.open.get_mut(id) {
        c.next_from = c.next_from.saturating_add(page_size(&c.body));
        if let Some(k) = keep {
            c.expires_ms = now.saturating_add(k);
        }
    }
    Ok(Reply::Json(200, out))
}

/// `DELETE /_search/scroll[/{id}|/_all]`.
pub(crate) fn clear(st: &EsState, req: &Req, id: Option<&str>) -> Result<Reply, EsError> {
    let mut s = st.scrolls.lock().unwrap_or_else(|p| p.into_inner());
    let freed = if id == Some("_all") {
        let n = s.open.len();
        s.open.clear();
        n
    } else {
        let ids = ids_of(req, id)?;
        ids.iter().filter(|i| s.open.remove(*i).is_some()).count()
    };
    let status = if freed == 0 { 404 } else { 200 };
    Ok(Reply::Json(
        status,
        json!({"succeeded": true, "num_freed": freed}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_alives() {
        assert_eq!(keep_alive("1m").unwrap(), 60_000);
        assert_eq!(keep_alive("500ms").unwrap(), 500);
        assert_eq!(keep_alive("2h").unwrap(), 7_200_000);
        assert_eq!(keep_alive("soon").unwrap_err().status(), 400);
    }
}
