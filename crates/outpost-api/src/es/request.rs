//! One request through Elasticsearch's REST layer: body limit and gzip,
//! authentication, media types (compatibility types accepted, echoed in the
//! response), dispatch on the blocking pool, and the response with
//! `X-Elastic-Product`, `filter_path`, `pretty` and the 7.x `_type` when a
//! client asked for `compatible-with=7`.

use std::io::Read as _;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::EsState;
use super::counters::Rejected;
use super::error::{EsError, bad_json};
use super::filter_path::FilterPath;
use crate::body::{BodyError, read_body};

/// A request as the handlers see it.
#[derive(Debug, Clone)]
pub(crate) struct Req {
    /// The method.
    pub(crate) method: Method,
    /// Path and query, as ES prints it in its messages.
    pub(crate) uri: String,
    /// The path's segments, percent-decoded.
    pub(crate) segs: Vec<String>,
    /// Query parameters in order.
    pub(crate) params: Vec<(String, String)>,
    /// The (decompressed) body.
    pub(crate) body: Bytes,
    /// The authenticated user, when security is on.
    pub(crate) user: Option<String>,
    /// The `Accept` header (`_cat` answers JSON when it asks for JSON first).
    pub(crate) accept: Option<String>,
}

impl Req {
    /// A request without a body (tests, internal calls).
    #[cfg(test)]
    pub(crate) fn new(method: Method, uri: &str, body: &[u8]) -> Req {
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        Req {
            method,
            uri: uri.to_string(),
            segs: segments(path),
            params: crate::form::query_pairs(Some(query)),
            body: Bytes::copy_from_slice(body),
            user: None,
            accept: None,
        }
    }

    /// The last value of a URL parameter.
    pub(crate) fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A boolean URL parameter: present without a value or `true`.
    pub(crate) fn flag(&self, key: &str) -> Result<bool, EsError> {
        match self.param(key) {
            None | Some("false") => Ok(false),
            Some("" | "true") => Ok(true),
            Some(other) => Err(EsError::illegal(format!(
                "Failed to parse value [{other}] as only [true] or [false] are allowed."
            ))),
        }
    }

    /// Whether the first type `Accept` names is JSON.
    pub(crate) fn accepts_json_first(&self) -> bool {
        self.accept.as_deref().is_some_and(|a| {
            let first = a
                .split(',')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            first.starts_with("application/json")
                || first.starts_with("application/vnd.elasticsearch+json")
        })
    }

    /// The body as JSON; an empty body is `{}`.
    pub(crate) fn json(&self) -> Result<Value, EsError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Object(Default::default()));
        }
        serde_json::from_slice(&self.body).map_err(|e| bad_json(&e))
    }

    /// The body as JSON, which must be there.
    pub(crate) fn required_json(&self) -> Result<Value, EsError> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(EsError::body_required());
        }
        self.json()
    }
}

/// What a handler answers.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Reply {
    /// A JSON body.
    Json(u16, Value),
    /// JSON bytes as they are (a document's `_source`).
    RawJson(u16, Vec<u8>),
    /// Plain text (`_cat` without `format=json`).
    Text(u16, String),
    /// A status without a body (HEAD).
    Status(u16),
}

/// Splits and percent-decodes a path.
pub(crate) fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(percent_decode)
        .collect()
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(Ok(v)) = s.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16))
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A parsed media type header: whether it names a JSON or NDJSON type ES
/// reads, and the compatibility version it asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Media {
    supported: bool,
    compat: Option<u8>,
}

fn media(value: &str) -> Result<Media, ()> {
    let mut parts = value.split(';').map(str::trim);
    let essence = parts.next().unwrap_or("").to_ascii_lowercase();
    let mut compat = None;
    for p in parts {
        if let Some((k, v)) = p.split_once('=')
            && k.trim().eq_ignore_ascii_case("compatible-with")
        {
            compat = Some(v.trim().trim_matches('"').parse::<u8>().map_err(|_| ())?);
        }
    }
    let vendor = essence.starts_with("application/vnd.elasticsearch+");
    if vendor && compat.is_none() {
        return Err(());
    }
    if let Some(n) = compat
        && !(vendor && (n == 7 || n == 8))
    {
        return Err(());
    }
    let supported = matches!(
        essence.as_str(),
        "application/json"
            | "application/x-ndjson"
            | "application/vnd.elasticsearch+json"
            | "application/vnd.elasticsearch+x-ndjson"
    );
    Ok(Media { supported, compat })
}

fn media_error(headers: &HeaderMap) -> EsError {
    let show = |h: header::HeaderName| {
        headers
            .get(h)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("null")
            .to_string()
    };
    let mut extra = serde_json::Map::new();
    extra.insert(
        "caused_by".into(),
        serde_json::json!({"type": "status_exception", "reason": format!(
            "A compatible version is required on both Content-Type and Accept headers if either one has requested a compatible version and the compatible versions must match. Accept={}, Content-Type={}",
            show(header::ACCEPT),
            show(header::CONTENT_TYPE)
        )}),
    );
    EsError::Object {
        status: 400,
        error: super::error::error_object(
            "media_type_header_exception",
            "Invalid media-type value on headers [Accept, Content-Type]",
            extra,
        ),
    }
}

/// The compatibility version asked for, or the 400 ES answers for a bad one.
fn compat_of(headers: &HeaderMap) -> Result<Option<u8>, EsError> {
    let get = |h: header::HeaderName| headers.get(h).and_then(|v| v.to_str().ok());
    let accept = match get(header::ACCEPT) {
        // A list (`application/json, text/plain, */*`): the first entry decides.
        Some(a) if !a.trim().is_empty() => {
            let first = a.split(',').next().unwrap_or("");
            if first.contains("vnd.elasticsearch") {
                media(first).map_err(|()| media_error(headers))?.compat
            } else {
                None
            }
        }
        _ => None,
    };
    let ct = match get(header::CONTENT_TYPE) {
        Some(c) => media(c).map_err(|()| media_error(headers))?.compat,
        None => None,
    };
    match (accept, ct) {
        (Some(a), Some(c)) if a != c => Err(media_error(headers)),
        (a, c) => Ok(a.or(c)),
    }
}

/// ES's 406 for a body under a type it does not read.
fn check_content_type(headers: &HeaderMap) -> Result<(), EsError> {
    let Some(v) = headers.get(header::CONTENT_TYPE) else {
        return Err(EsError::Text {
            status: 406,
            text: "Content-Type header is missing".into(),
        });
    };
    let text = String::from_utf8_lossy(v.as_bytes()).into_owned();
    match media(&text) {
        Ok(m) if m.supported => Ok(()),
        _ => Err(EsError::Text {
            status: 406,
            text: format!("Content-Type header [{text}] is not supported"),
        }),
    }
}

fn gunzip(body: &[u8], limit: usize) -> Result<Bytes, EsError> {
    let mut out = Vec::new();
    let mut dec = flate2::read::MultiGzDecoder::new(body).take(limit as u64 + 1);
    dec.read_to_end(&mut out).map_err(|e| {
        EsError::new(
            400,
            "illegal_argument_exception",
            format!("failed to decompress the request body: {e}"),
        )
    })?;
    if out.len() > limit {
        return Err(EsError::Empty(413));
    }
    Ok(Bytes::from(out))
}

/// Runs one request through the REST layer.
pub(crate) async fn handle(state: EsState, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let headers = parts.headers;
    let method = parts.method;
    let compat = compat_of(&headers);
    let compat_v = compat.as_ref().ok().copied().flatten();
    let uri = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_string(), |p| p.as_str().to_string());
    let params = crate::form::query_pairs(parts.uri.query());
    let filter = params
        .iter()
        .rev()
        .find(|(k, _)| k == "filter_path")
        .and_then(|(_, v)| FilterPath::parse(v));
    let pretty = params
        .iter()
        .any(|(k, v)| k == "pretty" && (v.is_empty() || v == "true"));
    let head = method == Method::HEAD;
    let out = async {
        let raw = match read_body(&headers, Body::new(body), super::MAX_CONTENT_LENGTH).await {
            Ok(b) => b,
            Err(BodyError::TooLarge { .. }) => return Err(EsError::Empty(413)),
            Err(BodyError::Read(e)) => return Err(EsError::illegal(e)),
        };
        let gz = headers
            .get(header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("gzip") || v.eq_ignore_ascii_case("x-gzip"));
        let body = if gz && !raw.is_empty() {
            gunzip(&raw, super::MAX_CONTENT_LENGTH)?
        } else {
            raw
        };
        let user = state.auth.authenticate(&headers, &uri)?;
        compat.clone()?;
        if !body.is_empty() {
            check_content_type(&headers)?;
        }
        let req = Req {
            method: method.clone(),
            uri: uri.clone(),
            segs: segments(parts.uri.path()),
            params,
            body,
            user,
            accept: headers
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        };
        let st = state.clone();
        tokio::task::spawn_blocking(move || super::routes::dispatch(&st, &req))
            .await
            .map_err(|e| EsError::new(500, "exception", format!("request task failed: {e}")))?
    }
    .await;
    let reply = match out {
        Ok(r) => r,
        Err(e) => {
            if let Some(reason) = Rejected::of(&e) {
                state.counters.rejected(reason);
            }
            let status = e.status();
            let resp = match e.body() {
                Some(b) => Reply::Json(status, b),
                None => Reply::Status(status),
            };
            if status == 401 {
                let mut r = render(resp, compat_v, None, pretty, head);
                r.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(super::security::WWW_AUTHENTICATE),
                );
                return r;
            }
            let mut r = render(resp, compat_v, filter.as_ref(), pretty, head);
            if status == 405 {
                let segs = segments(parts.uri.path());
                if let Some((_, methods)) = super::routes::route(&segs) {
                    let allow: Vec<&str> = methods.iter().map(Method::as_str).collect();
                    if let Ok(v) = HeaderValue::from_str(&allow.join(",")) {
                        r.headers_mut().insert(header::ALLOW, v);
                    }
                }
            }
            return r;
        }
    };
    render(reply, compat_v, filter.as_ref(), pretty, head)
}

/// The response: status, body (none for HEAD), content type, product header.
pub(crate) fn render(
    reply: Reply,
    compat: Option<u8>,
    filter: Option<&FilterPath>,
    pretty: bool,
    head: bool,
) -> Response {
    let json_type = match compat {
        Some(n) => format!("application/vnd.elasticsearch+json;compatible-with={n}"),
        None => "application/json".to_string(),
    };
    let (status, ctype, body): (u16, String, Vec<u8>) = match reply {
        Reply::Json(s, mut v) => {
            if compat == Some(7) {
                add_type(&mut v);
            }
            if let Some(f) = filter {
                v = f.apply(v);
            }
            let text = if pretty {
                serde_json::to_vec_pretty(&v)
            } else {
                serde_json::to_vec(&v)
            }
            .unwrap_or_default();
            (s, json_type, text)
        }
        Reply::RawJson(s, b) => (s, json_type, b),
        Reply::Text(s, t) => (s, "text/plain; charset=UTF-8".into(), t.into_bytes()),
        Reply::Status(s) => (s, json_type, Vec::new()),
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = if head {
        let len = body.len();
        let mut r = status.into_response();
        if len > 0 {
            r.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        }
        r
    } else {
        (status, body).into_response()
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&ctype) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(
        "x-elastic-product",
        HeaderValue::from_static("Elasticsearch"),
    );
    resp
}

/// ES 7's `_type: "_doc"` on documents, hits and bulk items, for clients
/// asking for `compatible-with=7`.
fn add_type(v: &mut Value) {
    fn tag(o: &mut serde_json::Map<String, Value>) {
        if o.contains_key("_index") && o.contains_key("_id") && !o.contains_key("_type") {
            o.insert("_type".into(), "_doc".into());
        }
    }
    let Some(o) = v.as_object_mut() else { return };
    tag(o);
    if let Some(Value::Array(items)) = o.get_mut("items") {
        for it in items {
            if let Some(io) = it.as_object_mut() {
                io.values_mut()
                    .filter_map(Value::as_object_mut)
                    .for_each(tag);
            }
        }
    }
    if let Some(Value::Array(hits)) = o.get_mut("hits").and_then(|h| h.get_mut("hits")) {
        hits.iter_mut()
            .filter_map(Value::as_object_mut)
            .for_each(tag);
    }
    if let Some(Value::Array(rs)) = o.get_mut("responses") {
        rs.iter_mut().for_each(add_type);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_and_compat_versions() {
        assert_eq!(
            media("application/json; charset=UTF-8"),
            Ok(Media {
                supported: true,
                compat: None
            })
        );
        assert_eq!(
            media("application/vnd.elasticsearch+x-ndjson; compatible-with=8")
                .unwrap()
                .compat,
            Some(8)
        );
        assert_eq!(
            media("application/vnd.elasticsearch+json;compatible-with=7")
                .unwrap()
                .compat,
            Some(7)
        );
        assert!(media("application/vnd.elasticsearch+json; compatible-with=9").is_err());
        assert!(media("application/vnd.elasticsearch+json").is_err());
        assert!(
            !media("application/x-www-form-urlencoded")
                .unwrap()
                .supported
        );
    }

    #[test]
    fn path_segments_are_decoded() {
        assert_eq!(
            segments("/%3Clogs-%7Bnow%2Fd%7D%3E/_doc/a%2Fb"),
            vec!["<logs-{now/d}>", "_doc", "a/b"]
        );
        assert_eq!(segments("/"), Vec::<String>::new());
    }

    #[test]
    fn gzip_bodies_are_limited_after_decoding() {
        use std::io::Write as _;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&[b'a'; 5000]).unwrap();
        let gz = enc.finish().unwrap();
        assert_eq!(gunzip(&gz, 5000).unwrap().len(), 5000);
        assert_eq!(gunzip(&gz, 4999), Err(EsError::Empty(413)));
        assert_eq!(gunzip(b"not gzip", 10).unwrap_err().status(), 400);
    }

    #[test]
    fn compat_7_adds_type_to_docs_items_and_hits() {
        let mut v = serde_json::json!({
            "items": [{"index": {"_index": "a", "_id": "1"}}],
            "hits": {"hits": [{"_index": "a", "_id": "1"}]},
        });
        add_type(&mut v);
        assert_eq!(v["items"][0]["index"]["_type"], "_doc");
        assert_eq!(v["hits"]["hits"][0]["_type"], "_doc");
    }
}
