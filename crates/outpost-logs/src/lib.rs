//! Outpost's log row: a tantivy-backed store standing in for Elasticsearch. One tantivy index per
//! logical ES index, ES's dynamic mapping, `_bulk` and single-document writes with ES's item
//! results, the query DSL parsed into an AST (`query/`, one file per query type) and compiled to
//! tantivy queries, and `_search`/`_count`. The HTTP API (next step) lives in `outpost-api`.
//!
//! Index layout (see `index.rs`): analyzed text goes to a tantivy JSON field by dotted path;
//! every exact value (keywords, `.keyword` twins, longs, doubles, dates in ms, booleans, and a
//! per-path presence marker for `exists`) goes to one bytes field as `path \0 tag value` with
//! byte-sortable numbers (`encode.rs`), so term, range, prefix, wildcard and regexp queries run
//! on the term dictionary with millisecond dates; `@timestamp` is also a fast date field for
//! range filters and time sorting.
//!
//! Read-after-write: `refresh=true|wait_for` commits before the write returns; otherwise the
//! store refreshes an index on the next search (or [`LogStore::tick`]) once its last refresh is
//! `refresh_interval_ms` (1000) of clock time old, so a write is searchable at most 1 s after it
//! returns (pinned by `writes_become_visible_within_the_refresh_interval`).
//!
//! Index administration beside the indices (`admin.rs`, `templates.rs`, `aliases.rs`,
//! `data_streams.rs`): settings, aliases and data-stream flags per index uuid, composable,
//! component and legacy templates applied when an index is created or auto-created; `_field_caps`
//! and hit highlighting (`highlight.rs`, terms from the query AST) round out the search side.

mod aggs;
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

// store features: index administration, aliases, templates, field caps, highlighting
mod admin;
mod aliases;
mod data_streams;
mod field_caps;
mod highlight;
mod templates;

pub use admin::IndexInfo;
pub use bulk::BulkResponse;
pub use date::{Rounding, eval_date_math, parse_date};
pub use error::{Error, Result};
pub use index::{Fields, LogIndex, OpType, WriteOutcome, WriterOptions};
pub use mapping::{FieldType, Leaf, Mapping, Prepared};
pub use resolve::{resolve_date_math_name, validate_index_name};
pub use search::{MAX_RESULT_WINDOW, SearchOptions};

pub use store::{DocWrite, LogStore, Refresh, StoreOptions, StoreStats};
