//! Errors of the TSDB; append errors carry Prometheus' wording.

/// TSDB errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// A sample older than the series' newest sample.
    #[error("out of order sample")]
    OutOfOrder,
    /// A second, different value for a timestamp the series already has.
    #[error("duplicate sample for timestamp")]
    DuplicateTimestamp,
    /// A sample older than the retention horizon.
    #[error("out of bounds")]
    OutOfBounds,
    /// Creating the series would exceed `--storage.tsdb.max-series`.
    #[error("series limit of {limit} reached; series not created")]
    SeriesLimit {
        /// The configured limit.
        limit: usize,
    },
    /// The series reference is not (or no longer) in the head.
    #[error("unknown series reference {0}")]
    UnknownSeries(u64),
    /// The label set cannot be stored.
    #[error("invalid label set: {0}")]
    InvalidLabels(String),
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
