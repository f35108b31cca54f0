//! Query errors, each mapped by the API to Prometheus' error type.

/// PromQL errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The query does not parse or is invalid (`bad_data`, 400).
    #[error("{0}")]
    Parse(String),
    /// Evaluation failed (`execution`, 422).
    #[error("{0}")]
    Execution(String),
    /// The query loaded more samples than allowed (`execution`, 422).
    #[error("query processing would load too many samples into memory in query execution")]
    TooManySamples,
    /// The query ran past its timeout (`timeout`, 503).
    #[error("query timed out in {0}")]
    Timeout(String),
    /// The caller canceled the query (`canceled`, 503).
    #[error("query was canceled in {0}")]
    Canceled(String),
    /// A feature Outpost does not evaluate (`execution`, 422), e.g. native histograms.
    #[error("not supported by outpost: {0}")]
    Unsupported(String),
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
