//! Outpost's log row: a tantivy-backed store standing in for Elasticsearch. One tantivy index per
//! logical ES index, ES's dynamic mapping, `_bulk` and single-document writes with ES's item
//! results, the query DSL parsed into an AST (`query/`, one file per query type) and compiled to
//! tantivy queries, and `_search`/`_count`. The HTTP API lives in `outpost-api`.

mod bulk;
mod date;
mod encode;
mod error;
mod ids;
mod index;
mod mapping;
pub mod query;
mod resolve;
mod search;
mod store;
#[cfg(test)]
mod tests;

pub use bulk::BulkResponse;
pub use date::{Rounding, eval_date_math, parse_date};
pub use error::{Error, Result};
pub use index::{Fields, LogIndex, OpType, WriteOutcome, WriterOptions};
pub use mapping::{FieldType, Leaf, Mapping, Prepared};
pub use resolve::validate_index_name;
pub use search::{MAX_RESULT_WINDOW, SearchOptions};

pub use store::{DocWrite, LogStore, Refresh, StoreOptions, StoreStats};
