//! `match_all`: every document, score 1.

use tantivy::query::{AllQuery, Query as TQuery};

use crate::error::Result;

pub(super) fn compile() -> Result<Box<dyn TQuery>> {
    Ok(Box::new(AllQuery))
}
