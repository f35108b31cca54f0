//! The crate's error type.

/// Errors of the Alertmanager stand-in.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Some alerts of a batch were invalid; the valid ones were stored.
    /// The messages are Alertmanager's, in batch order.
    #[error("{}", .0.join("; "))]
    InvalidAlerts(Vec<String>),
    /// A silence failed validation; the text is Alertmanager's 400 body.
    #[error("{0}")]
    InvalidSilence(String),
    /// No silence has this id.
    #[error("silence not found")]
    SilenceNotFound,
    /// A filter or matcher did not parse.
    #[error("{0}")]
    BadMatcher(String),
    /// The persistence file could not be used.
    #[error("persistence: {0}")]
    Persistence(String),
    /// A notification could not be delivered.
    #[error("{0}")]
    Notify(String),
}

/// Result with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
