//! `simple_query_string`: `+` (AND), `|` (OR), `-` (NOT), `"phrase"~N`, `*` prefix, `( )`;
//! never fails on bad syntax (falls back to OR over the words). Shares the `query_string` tree.

use serde_json::Value;

use super::Query;
use crate::error::Result;

pub(super) fn parse(body: &Value) -> Result<Query> {
    super::query_string::parse_with(body, true)
}
