//! The crate's one error type.

/// Errors of parsing and executing templates.
///
/// The messages are Go's texts, e.g. `template: t:1: function "f" not defined`
/// or `template: t:1:3: executing "t" at <.Foo>: error calling humanize: ...`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The template text does not parse.
    #[error("{0}")]
    Parse(String),
    /// Execution failed.
    #[error("{0}")]
    Exec(String),
}

/// Result with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;
