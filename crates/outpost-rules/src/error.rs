//! The rule engine's error type.

/// Errors of rule evaluation and of rule unit tests.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The rule's query failed.
    #[error("{0}")]
    Query(#[from] outpost_promql::Error),
    /// The query returned a matrix or a string.
    #[error("rule result is not a vector or scalar")]
    NotVector,
    /// Two outputs of a recording rule share their labels.
    #[error("vector contains metrics with the same labelset after applying rule labels")]
    DuplicateRecording,
    /// Two alerts of an alerting rule share their labels.
    #[error("vector contains metrics with the same labelset after applying alert labels")]
    DuplicateAlert,
    /// A recording rule produced more series than the group's `limit`.
    #[error("exceeded limit of {limit} with {count} series")]
    SeriesLimit {
        /// The group's limit.
        limit: u64,
        /// Series produced.
        count: usize,
    },
    /// An alerting rule has more active alerts than the group's `limit`.
    #[error("exceeded limit of {limit} with {count} alerts")]
    AlertLimit {
        /// The group's limit.
        limit: u64,
        /// Active alerts.
        count: usize,
    },
    /// A sample could not be stored.
    #[error("{0}")]
    Append(#[from] outpost_tsdb::Error),
    /// A rule unit-test file is invalid.
    #[error("{0}")]
    TestFile(String),
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
