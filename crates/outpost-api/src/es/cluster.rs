//! The node and cluster endpoints: `GET|HEAD /` (what clients' product
//! checks read), `_license` (an active basic license, as Logstash and Beats
//! require), `_xpack`, `_cluster/health` (status from the indices' health,
//! `wait_for_status` answered at once: 408 with `timed_out` when not met),
//! and `_cat/indices` / `_cat/health` as text (`v`, `h`, `s`, `bytes`) or
//! `format=json`.

use serde_json::{Map, Value, json};

use super::error::EsError;
use super::request::{Reply, Req};
use super::{EsState, VERSION};

const LUCENE_VERSION: &str = "9.11.1";
const BUILD_DATE: &str = "2024-08-05T10:05:34.233336849Z";
/// When the basic license is said to have been issued (2024-01-01).
const LICENSE_ISSUED_MS: i64 = 1_704_067_200_000;

/// `GET /` and `HEAD /`.
pub(crate) fn root(st: &EsState, _req: &Req) -> Result<Reply, EsError> {
    Ok(Reply::Json(
        200,
        json!({
            "name": "outpost",
            "cluster_name": st.cluster_name,
            "cluster_uuid": st.cluster_uuid(),
            "version": {
                "number": VERSION,
                "build_flavor": "default",
                "build_type": "tar",
                "build_hash": "outpost",
                "build_date": BUILD_DATE,
                "build_snapshot": false,
                "lucene_version": LUCENE_VERSION,
                "minimum_wire_compatibility_version": "7.17.0",
                "minimum_index_compatibility_version": "7.0.0",
            },
            "tagline": "You Know, for Search",
        }),
    ))
}

/// `GET /_license`: an active basic license.
pub(crate) fn license() -> Result<Reply, EsError> {
    Ok(Reply::Json(
        200,
        json!({"license": {
            "status": "active",
            "uid": super::uuid_like("license", 1),
            "type": "basic",
            "issue_date": "2024-01-01T00:00:00.000Z",
            "issue_date_in_millis": LICENSE_ISSUED_MS,
            "max_nodes": 1000,
            "max_resource_units": null,
            "issued_to": "outpost",
            "issuer": "elasticsearch",
            "start_date_in_millis": -1,
        }}),
    ))
}

/// `GET /_xpack`: build, license and the features clients look up.
pub(crate) fn xpack() -> Result<Reply, EsError> {
    let on = json!({"available": true, "enabled": true});
    Ok(Reply::Json(
        200,
        json!({
            "build": {"hash": "outpost", "date": BUILD_DATE},
            "license": {"uid": super::uuid_like("license", 1), "type": "basic", "mode": "basic", "status": "active"},
            "features": {"ilm": on, "security": on, "monitoring": on},
            "tagline": "You know, for X",
        }),
    ))
}

/// `_ilm/policy[/{name}]`: lifecycle policies are kept (Logstash and Beats
/// install theirs and check for them) but not run.
pub(crate) fn ilm_policy(st: &EsState, req: &Req, name: Option<&str>) -> Result<Reply, EsError> {
    let mut policies = st.ilm.lock().unwrap_or_else(|p| p.into_inner());
    let missing = |n: &str| {
        EsError::new(
            404,
            "resource_not_found_exception",
            format!("Lifecycle policy not found: {n}"),
        )
    };
    match (&req.method, name) {
        (&axum::http::Method::GET, None) => Ok(Reply::Json(
            200,
            Value::Object(policies.clone().into_iter().collect()),
        )),
        (&axum::http::Method::GET, Some(n)) => {
            let mut out = Map::new();
            for part in n.split(',') {
                let found: Vec<(&String, &Value)> = policies
                    .iter()
                    .filter(|(k, _)| super::filter_path::glob(part, k))
                    .collect();
                if found.is_empty() && !part.contains('*') {
                    return Err(missing(part));
                }
                out.extend(found.into_iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            Ok(Reply::Json(200, Value::Object(out)))
        }
        (&axum::http::Method::DELETE, Some(n)) => match policies.remove(n) {
            Some(_) => Ok(Reply::Json(200, json!({"acknowledged": true}))),
            None => Err(missing(n)),
        },
        (_, Some(n)) => {
            let body = req.required_json()?;
            let Some(policy) = body.get("policy").cloned() else {
                return Err(EsError::new(
                    400,
                    "x_content_parse_exception",
                    "[1:2] [put_lifecycle_request] policy doesn't support values of type: VALUE_NULL",
                ));
            };
            let version = policies
                .get(n)
                .and_then(|p| p["version"].as_i64())
                .unwrap_or(0)
                + 1;
            let now = st.store.now_ms();
            policies.insert(
                n.to_string(),
                json!({"version": version, "modified_date": super::cluster::iso_ms(now), "policy": policy}),
            );
            Ok(Reply::Json(200, json!({"acknowledged": true})))
        }
        _ => Err(EsError::illegal("policy name is required")),
    }
}

/// `_ingest/pipeline[/{id}]`: pipelines are kept (Filebeat and Logstash
/// install theirs) but not run; `pipeline` on writes is accepted.
pub(crate) fn pipeline(st: &EsState, req: &Req, id: Option<&str>) -> Result<Reply, EsError> {
    let mut pipelines = st.pipelines.lock().unwrap_or_else(|p| p.into_inner());
    match (&req.method, id) {
        (&axum::http::Method::GET, None) => Ok(Reply::Json(
            200,
            Value::Object(pipelines.clone().into_iter().collect()),
        )),
        (&axum::http::Method::GET, Some(n)) => {
            let out: Map<String, Value> = pipelines
                .iter()
                .filter(|(k, _)| n.split(',').any(|p| super::filter_path::glob(p, k)))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            // ES answers a missing pipeline with 404 and `{}`.
            Ok(Reply::Json(
                if out.is_empty() { 404 } else { 200 },
                Value::Object(out),
            ))
        }
        (&axum::http::Method::DELETE, Some(n)) => match pipelines.remove(n) {
            Some(_) => Ok(Reply::Json(200, json!({"acknowledged": true}))),
            None => Err(EsError::new(
                404,
                "resource_not_found_exception",
                format!("pipeline [{n}] is missing"),
            )),
        },
        (_, Some(n)) => {
            let body = req.required_json()?;
            if !body.get("processors").is_some_and(Value::is_array) {
                return Err(EsError::new(
                    400,
                    "parse_exception",
                    "[processors] required property is missing",
                ));
            }
            pipelines.insert(n.to_string(), body);
            Ok(Reply::Json(200, json!({"acknowledged": true})))
        }
        _ => Err(EsError::illegal("pipeline id is required")),
    }
}

/// `2026-01-01T00:00:00.000Z` of epoch milliseconds.
pub(crate) fn iso_ms(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

/// Figures of one index for health and `_cat`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Info {
    pub(crate) name: String,
    pub(crate) uuid: String,
    pub(crate) health: &'static str,
    pub(crate) status: &'static str,
    pub(crate) pri: u64,
    pub(crate) rep: u64,
    pub(crate) docs: u64,
    pub(crate) deleted: u64,
    pub(crate) bytes: u64,
    pub(crate) creation_ms: i64,
}

/// The indices an expression names (all when `None`), with their figures.
pub(crate) fn infos(st: &EsState, expr: Option<&str>, hidden: bool) -> Result<Vec<Info>, EsError> {
    Ok(st
        .store
        .index_infos_expand(expr, hidden)?
        .into_iter()
        .map(|i| Info {
            name: i.name,
            uuid: i.uuid,
            health: i.health,
            status: i.status,
            pri: u64::from(i.primaries),
            rep: u64::from(i.replicas),
            docs: i.docs_count,
            deleted: i.docs_deleted,
            bytes: i.store_bytes,
            creation_ms: i.creation_ms,
        })
        .collect())
}

fn rank(status: &str) -> u8 {
    match status {
        "green" => 0,
        "yellow" => 1,
        _ => 2,
    }
}

/// `GET /_cluster/health[/{index}]`.
pub(crate) fn health(st: &EsState, req: &Req, expr: Option<&str>) -> Result<Reply, EsError> {
    if let Some(t) = req.param("timeout") {
        parse_time_value(t, "timeout")?;
    }
    let want = match req.param("wait_for_status") {
        None | Some("") => None,
        Some(s @ ("green" | "yellow" | "red")) => Some(s),
        Some(other) => {
            return Err(EsError::illegal(format!(
                "unknown cluster health status [{other}]"
            )));
        }
    };
    let (list, missing) = match infos(st, expr, true) {
        Ok(l) => (l, false),
        Err(EsError::Object { status: 404, .. }) => (Vec::new(), true),
        Err(e) => return Err(e),
    };
    let status = if missing {
        "red"
    } else {
        list.iter()
            .map(|i| i.health)
            .max_by_key(|h| rank(h))
            .unwrap_or("green")
    };
    let timed_out = missing || want.is_some_and(|w| rank(status) > rank(w));
    let pri: u64 = list.iter().map(|i| i.pri).sum();
    let unassigned: u64 = list.iter().map(|i| i.pri * i.rep).sum();
    let active = pri;
    let pct = if active + unassigned == 0 {
        100.0
    } else {
        active as f64 * 100.0 / (active + unassigned) as f64
    };
    let body = json!({
        "cluster_name": st.cluster_name,
        "status": status,
        "timed_out": timed_out,
        "number_of_nodes": 1,
        "number_of_data_nodes": 1,
        "active_primary_shards": pri,
        "active_shards": active,
        "relocating_shards": 0,
        "initializing_shards": 0,
        "unassigned_shards": unassigned,
        "unassigned_primary_shards": 0,
        "delayed_unassigned_shards": 0,
        "number_of_pending_tasks": 0,
        "number_of_in_flight_fetch": 0,
        "task_max_waiting_in_queue_millis": 0,
        "active_shards_percent_as_number": pct,
    });
    Ok(Reply::Json(if timed_out { 408 } else { 200 }, body))
}

/// Checks an ES time value (`30s`, `1m`, `500ms`, `-1`).
fn parse_time_value(s: &str, name: &str) -> Result<(), EsError> {
    let ok = s == "-1"
        || s == "0"
        || ["nanos", "micros", "ms", "s", "m", "h", "d"]
            .iter()
            .any(|u| {
                s.strip_suffix(u)
                    .is_some_and(|n| !n.is_empty() && n.parse::<f64>().is_ok())
            });
    if ok {
        Ok(())
    } else {
        Err(EsError::new(
            400,
            "parse_exception",
            format!(
                "failed to parse setting [{name}] with value [{s}] as a time value: unit is missing or unrecognized"
            ),
        ))
    }
}

/// `GET /_cat`: the cat endpoints served.
pub(crate) fn cat() -> Result<Reply, EsError> {
    Ok(Reply::Text(
        200,
        "=^.^=\n/_cat/health\n/_cat/indices\n/_cat/indices/{index}\n".into(),
    ))
}

/// ES's human byte sizes: `0b`, `512b`, `4.5kb`, `1mb`.
pub(crate) fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 6] = ["b", "kb", "mb", "gb", "tb", "pb"];
    let mut unit = 0;
    let mut scale: u64 = 1;
    while unit + 1 < UNITS.len() && n >= scale.saturating_mul(1024) {
        scale = scale.saturating_mul(1024);
        unit += 1;
    }
    let v = n as f64 / scale as f64;
    let tenths = (v * 10.0).round() / 10.0;
    if tenths.fract() == 0.0 {
        format!("{}{}", tenths as u64, UNITS[unit])
    } else {
        format!("{tenths:.1}{}", UNITS[unit])
    }
}

fn bytes_in(n: u64, unit: Option<&str>) -> Result<String, EsError> {
    let div: u64 = match unit {
        None => return Ok(human_bytes(n)),
        Some("b") => 1,
        Some("k" | "kb") => 1 << 10,
        Some("m" | "mb") => 1 << 20,
        Some("g" | "gb") => 1 << 30,
        Some("t" | "tb") => 1 << 40,
        Some("p" | "pb") => 1 << 50,
        Some(other) => {
            return Err(EsError::illegal(format!(
                "failed to parse setting [bytes] with value [{other}]"
            )));
        }
    };
    Ok((n / div).to_string())
}

/// A `_cat` table: columns (name, aliases, right-aligned) and rows of cells.
struct Table {
    cols: Vec<(&'static str, &'static [&'static str], bool)>,
    /// How many of `cols` show without `h`.
    default_cols: usize,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn column(&self, name: &str) -> Option<usize> {
        self.cols
            .iter()
            .position(|(n, aliases, _)| *n == name || aliases.contains(&name))
    }

    /// Applies `h`, `s`, then renders as text (`v` adds the header) or JSON.
    fn reply(self, req: &Req) -> Result<Reply, EsError> {
        let picked: Vec<usize> = match req.param("h") {
            Some(h) if !h.is_empty() => h
                .split(',')
                .map(|c| {
                    self.column(c.trim()).ok_or_else(|| {
                        EsError::illegal(format!("header [{}] is not supported", c.trim()))
                    })
                })
                .collect::<Result<_, _>>()?,
            _ => (0..self.default_cols).collect(),
        };
        let mut rows = self.rows.clone();
        if let Some(s) = req.param("s").filter(|s| !s.is_empty()) {
            let mut keys = Vec::new();
            for part in s.split(',') {
                let (name, desc) = match part.trim().rsplit_once(':') {
                    Some((n, o)) => (n, o == "desc"),
                    None => (part.trim(), false),
                };
                let col = self.column(name).ok_or_else(|| {
                    EsError::illegal(format!("Unable to sort by unknown sort key `{name}`"))
                })?;
                keys.push((col, desc));
            }
            rows.sort_by(|a, b| {
                for &(c, desc) in &keys {
                    let ord = match (a[c].parse::<f64>(), b[c].parse::<f64>()) {
                        (Ok(x), Ok(y)) => x.total_cmp(&y),
                        _ => a[c].cmp(&b[c]),
                    };
                    let ord = if desc { ord.reverse() } else { ord };
                    if ord.is_ne() {
                        return ord;
                    }
                }
                std::cmp::Ordering::Equal
            });
        }
        let json = match req.param("format") {
            Some(f) => f == "json",
            None => req.accepts_json_first(),
        };
        if json {
            let out: Vec<Value> = rows
                .iter()
                .map(|r| {
                    let mut o = Map::new();
                    for &c in &picked {
                        // An empty cell (a closed index's figures) is null.
                        let v = if r[c].is_empty() {
                            Value::Null
                        } else {
                            r[c].clone().into()
                        };
                        o.insert(self.cols[c].0.to_string(), v);
                    }
                    Value::Object(o)
                })
                .collect();
            return Ok(Reply::Json(200, Value::Array(out)));
        }
        let header = req.flag("v")?;
        let mut widths: Vec<usize> = picked
            .iter()
            .map(|&c| if header { self.cols[c].0.len() } else { 0 })
            .collect();
        for r in &rows {
            for (w, &c) in widths.iter_mut().zip(&picked) {
                *w = (*w).max(r[c].chars().count());
            }
        }
        let mut out = String::new();
        let mut line = |cells: Vec<&str>, right: &dyn Fn(usize) -> bool| {
            let n = cells.len();
            let mut l = String::new();
            for (i, cell) in cells.into_iter().enumerate() {
                let pad = widths[i].saturating_sub(cell.chars().count());
                if right(i) {
                    l.push_str(&" ".repeat(pad));
                    l.push_str(cell);
                } else {
                    l.push_str(cell);
                    if i + 1 < n {
                        l.push_str(&" ".repeat(pad));
                    }
                }
                if i + 1 < n {
                    l.push(' ');
                }
            }
            out.push_str(&l);
            out.push('\n');
        };
        if header {
            line(picked.iter().map(|&c| self.cols[c].0).collect(), &|_| false);
        }
        for r in &rows {
            line(picked.iter().map(|&c| r[c].as_str()).collect(), &|i| {
                self.cols[picked[i]].2
            });
        }
        Ok(Reply::Text(200, out))
    }
}

/// `GET /_cat/indices[/{index}]`.
pub(crate) fn cat_indices(st: &EsState, req: &Req, expr: Option<&str>) -> Result<Reply, EsError> {
    let unit = req.param("bytes");
    // Hidden indices show with `expand_wildcards=all|hidden`, and dot-prefixed
    // hidden ones under a dot-prefixed pattern.
    let hidden = req
        .param("expand_wildcards")
        .is_some_and(|w| w.split(',').any(|x| x == "all" || x == "hidden"))
        || expr.is_some_and(|e| e.starts_with('.'));
    let mut list = infos(st, expr, hidden)?;
    list.sort_by(|a, b| a.name.cmp(&b.name));
    match req.param("health") {
        None => {}
        Some(h @ ("green" | "yellow" | "red")) => list.retain(|i| i.health == h),
        Some(other) => {
            return Err(EsError::illegal(format!(
                "unknown cluster health status [{other}]"
            )));
        }
    }
    let rows = list
        .iter()
        .map(|i| {
            // A closed index has no document or size figures to show.
            let closed = super::indices::is_closed(st, &i.name);
            let open = |v: String| if closed { String::new() } else { v };
            Ok(vec![
                i.health.to_string(),
                if closed {
                    "close".to_string()
                } else {
                    i.status.to_string()
                },
                i.name.clone(),
                i.uuid.clone(),
                i.pri.to_string(),
                i.rep.to_string(),
                open(i.docs.to_string()),
                open(i.deleted.to_string()),
                open(bytes_in(i.bytes, unit)?),
                open(bytes_in(i.bytes, unit)?),
                i.creation_ms.to_string(),
                iso_ms(i.creation_ms),
            ])
        })
        .collect::<Result<Vec<_>, EsError>>()?;
    Table {
        default_cols: 10,
        cols: vec![
            ("health", &["h"], false),
            ("status", &["s"], false),
            ("index", &["i", "idx"], false),
            ("uuid", &["id"], false),
            ("pri", &["p", "shards.primary", "shardsPrimary"], true),
            ("rep", &["r", "shards.replica", "shardsReplica"], true),
            ("docs.count", &["dc", "docsCount"], true),
            ("docs.deleted", &["dd", "docsDeleted"], true),
            ("store.size", &["ss", "storeSize"], true),
            ("pri.store.size", &[], true),
            ("creation.date", &["cd"], true),
            ("creation.date.string", &["cds"], false),
        ],
        rows,
    }
    .reply(req)
}

/// `GET /_cat/health`.
pub(crate) fn cat_health(st: &EsState, req: &Req) -> Result<Reply, EsError> {
    let list = infos(st, None, true)?;
    let status = list
        .iter()
        .map(|i| i.health)
        .max_by_key(|h| rank(h))
        .unwrap_or("green");
    let pri: u64 = list.iter().map(|i| i.pri).sum();
    let unassigned: u64 = list.iter().map(|i| i.pri * i.rep).sum();
    let pct = if pri + unassigned == 0 {
        100.0
    } else {
        pri as f64 * 100.0 / (pri + unassigned) as f64
    };
    let now = st.store.now_ms();
    let secs = now.div_euclid(1000);
    let day = secs.rem_euclid(86_400);
    let row = vec![
        secs.to_string(),
        format!("{:02}:{:02}:{:02}", day / 3600, (day / 60) % 60, day % 60),
        st.cluster_name.clone(),
        status.to_string(),
        "1".into(),
        "1".into(),
        pri.to_string(),
        pri.to_string(),
        "0".into(),
        "0".into(),
        unassigned.to_string(),
        "0".into(),
        "-".into(),
        format!("{pct:.1}%"),
    ];
    Table {
        default_cols: 14,
        cols: vec![
            ("epoch", &["t", "time"], true),
            ("timestamp", &["ts", "hms", "hhmmss"], false),
            ("cluster", &["cl"], false),
            ("status", &["st"], false),
            ("node.total", &["nt", "nodeTotal"], true),
            ("node.data", &["nd", "nodeData"], true),
            ("shards", &["t", "sh", "shards.total"], true),
            ("pri", &["p", "shards.primary"], true),
            ("relo", &["r", "shards.relocating"], true),
            ("init", &["i", "shards.initializing"], true),
            ("unassign", &["u", "shards.unassigned"], true),
            ("pending_tasks", &["pt", "pendingTasks"], true),
            ("max_task_wait_time", &["mtwt", "maxTaskWaitTime"], true),
            (
                "active_shards_percent",
                &["asp", "activeShardsPercent"],
                true,
            ),
        ],
        rows: vec![row],
    }
    .reply(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes_as_es_prints_them() {
        assert_eq!(human_bytes(0), "0b");
        assert_eq!(human_bytes(1023), "1023b");
        assert_eq!(human_bytes(1024), "1kb");
        assert_eq!(human_bytes(4608), "4.5kb");
        assert_eq!(human_bytes(5 << 20), "5mb");
        assert_eq!(bytes_in(4608, Some("b")).unwrap(), "4608");
        assert_eq!(bytes_in(4608, Some("kb")).unwrap(), "4");
        assert!(bytes_in(1, Some("x")).is_err());
    }

    #[test]
    fn time_values() {
        assert!(parse_time_value("30s", "timeout").is_ok());
        assert!(parse_time_value("500ms", "timeout").is_ok());
        assert!(parse_time_value("-1", "timeout").is_ok());
        assert_eq!(
            parse_time_value("soon", "timeout").unwrap_err().status(),
            400
        );
    }
}
