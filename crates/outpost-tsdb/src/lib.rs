//! Outpost's in-memory time-series database.
//!
//! Series are keyed by label sets whose strings are interned; a postings
//! index answers `=`, `!=`, `=~`, `!~` matchers with Prometheus' semantics;
//! samples are Gorilla XOR-encoded into chunks appended in place (the encoding
//! is documented in `chunk.rs`). Appends follow Prometheus' rules (out-of-order
//! and duplicate-timestamp samples are rejected and counted), the number of
//! series is capped, and [`Tsdb::truncate`] applies time retention.

mod append;
mod chunk;
mod error;
mod head;
mod labels;
mod matcher;
mod postings;
mod query;

pub use append::{AppendStats, Appender, STALE_NAN_BITS, is_stale_nan, stale_nan};
pub use chunk::{ChunkIter, FrozenChunk, XorChunk};
pub use error::{Error, Result};
pub use head::{CounterSnapshot, HeadOptions, HeadStats, TruncateStats, Tsdb};
pub use labels::{Labels, METRIC_NAME};
pub use matcher::{MatchType, Matcher};
pub use postings::SeriesRef;
pub use query::Series;

#[cfg(test)]
mod tests;
