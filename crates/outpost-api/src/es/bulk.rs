//! `POST|PUT /_bulk` and `/{index}/_bulk`: the NDJSON body (already
//! gzip-decoded by the REST layer) goes to the store as is; `refresh` is
//! honoured, `pipeline`, `routing`, `timeout` and `wait_for_active_shards`
//! are accepted. A malformed action line fails the request, anything else
//! only its item (the store's rules).

use super::EsState;
use super::documents::refresh_param;
use super::error::EsError;
use super::request::{Reply, Req};

/// `_bulk`.
pub(crate) fn bulk(st: &EsState, req: &Req, idx: Option<&str>) -> Result<Reply, EsError> {
    if req.body.iter().all(u8::is_ascii_whitespace) {
        return Err(EsError::new(
            400,
            "action_request_validation_exception",
            "Validation Failed: 1: no requests added;",
        ));
    }
    let refresh = refresh_param(req)?;
    let resp = st.store.bulk(idx, &req.body, refresh)?;
    Ok(Reply::Json(200, resp.to_es_json()))
}
