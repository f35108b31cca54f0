//! The Zipkin v2 receiver: `POST /api/v2/spans` (9411), a JSON array of
//! spans, optionally compressed (`Content-Encoding: gzip`, `deflate` or
//! `zlib`, as the Collector's Zipkin receiver accepts). 202 empty on
//! success; 400 with the decode error; 415 for Zipkin's protobuf encoding
//! (not supported) or another compression; 413 above 20 MiB, received or
//! decompressed (the Collector's HTTP default `max_request_body_size`).

use std::io::Read;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use super::JaegerState;
use super::collector::text_error;
use super::counters::Receiver;
use crate::body::{BodyError, read_body, without_default_limit};

/// Largest body accepted, before and after decompression.
const ZIPKIN_BODY_BYTES: usize = 20 << 20;

/// Why a compressed body was refused.
pub(super) enum Inflate {
    /// It inflates to more than the limit.
    TooLarge,
    /// Not valid data of its encoding, or an unsupported encoding (the
    /// message starts with `unsupported`).
    Bad(String),
}

/// Decompresses `body` by its `Content-Encoding` (none, `identity`,
/// `gzip`, `deflate` or `zlib`), stopping once it passes `limit` bytes;
/// `None` when the body is not compressed.
pub(super) fn inflate(
    body: &[u8],
    encoding: &str,
    limit: usize,
) -> Result<Option<Vec<u8>>, Inflate> {
    let read = |mut r: Box<dyn Read + '_>| -> Result<Vec<u8>, Inflate> {
        let mut out = Vec::new();
        let cap = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
        r.by_ref()
            .take(cap)
            .read_to_end(&mut out)
            .map_err(|e| Inflate::Bad(format!("{encoding} decode error: {e}")))?;
        if out.len() > limit {
            return Err(Inflate::TooLarge);
        }
        Ok(out)
    };
    match encoding.trim().to_ascii_lowercase().as_str() {
        "" | "identity" => Ok(None),
        "gzip" => read(Box::new(flate2::read::MultiGzDecoder::new(body))).map(Some),
        "deflate" | "zlib" => read(Box::new(flate2::read::ZlibDecoder::new(body))).map(Some),
        other => Err(Inflate::Bad(format!(
            "unsupported content encoding {other:?}"
        ))),
    }
}

async fn post_spans(State(s): State<JaegerState>, headers: HeaderMap, body: Body) -> Response {
    let r = Receiver::Zipkin;
    let h = |n: header::HeaderName| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = h(header::CONTENT_TYPE)
        .split(';')
        .next()
        .unwrap_or("")
        .trim();
    if media.eq_ignore_ascii_case("application/x-protobuf") {
        s.counters.refused(r);
        return text_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "zipkin protobuf spans are not supported: send application/json",
        );
    }
    let encoding = h(header::CONTENT_ENCODING).to_string();
    let body = match read_body(&headers, body, ZIPKIN_BODY_BYTES).await {
        Ok(b) => b,
        Err(e @ BodyError::TooLarge { .. }) => {
            s.counters.too_large(r);
            return text_error(StatusCode::PAYLOAD_TOO_LARGE, &e.to_string());
        }
        Err(e) => {
            s.counters.refused(r);
            return text_error(StatusCode::BAD_REQUEST, &e.to_string());
        }
    };
    let inflated = match inflate(&body, &encoding, ZIPKIN_BODY_BYTES) {
        Ok(b) => b,
        Err(Inflate::TooLarge) => {
            s.counters.too_large(r);
            return text_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!("request body decompresses to more than {ZIPKIN_BODY_BYTES} bytes"),
            );
        }
        Err(Inflate::Bad(msg)) => {
            s.counters.refused(r);
            let code = if msg.starts_with("unsupported") {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            } else {
                StatusCode::BAD_REQUEST
            };
            return text_error(code, &msg);
        }
    };
    let raw = inflated.as_deref().unwrap_or(&body);
    match outpost_traces::translate::from_zipkin_json(raw) {
        Ok(spans) => {
            let st = s.ingest.write(spans);
            s.counters.accepted(r, st.spans_written, st.spans_rejected);
            StatusCode::ACCEPTED.into_response()
        }
        Err(e) => {
            s.counters.refused(r);
            text_error(StatusCode::BAD_REQUEST, &e.to_string())
        }
    }
}

/// `POST /api/v2/spans` (the zipkin listener).
pub fn zipkin_router(state: JaegerState) -> Router {
    without_default_limit(Router::new().route("/api/v2/spans", post(post_spans))).with_state(state)
}

#[cfg(test)]
#[path = "zipkin_tests.rs"]
mod tests;
