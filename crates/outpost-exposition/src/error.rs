//! The parse error: which line failed and what was expected there.

/// A scrape body that is not valid in the chosen format.
///
/// `line` is 1-based; the message is lowercase and says what was expected and
/// what was found, e.g. `line 12: expected label value, got "foo}"`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ParseError {
    /// 1-based number of the line where parsing failed.
    pub line: usize,
    /// What went wrong, in lowercase.
    pub message: String,
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, ParseError>;
