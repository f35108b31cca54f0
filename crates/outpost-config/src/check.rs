//! Collects errors and warnings with positions while validating a decoded file.

use serde_saphyr::Spanned;

use crate::error::{Diagnostic, Error, Result};

/// Position of a YAML node (1-based line and column).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pos {
    /// 1-based line in the file.
    pub line: u64,
    /// 1-based column in the line.
    pub column: u64,
}

impl Pos {
    /// The position of a spanned value.
    pub fn of<T>(s: &Spanned<T>) -> Self {
        Pos {
            line: s.referenced.line(),
            column: s.referenced.column(),
        }
    }
}

/// Validation findings for one file.
#[derive(Debug)]
pub(crate) struct Checker {
    pub(crate) file: String,
    pub(crate) errors: Vec<Diagnostic>,
    pub(crate) warnings: Vec<Diagnostic>,
}

impl Checker {
    pub(crate) fn new(file: impl Into<String>) -> Self {
        Checker {
            file: file.into(),
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn diag(&self, pos: Option<Pos>, msg: String) -> Diagnostic {
        match pos {
            Some(p) if p.line > 0 => Diagnostic::at(self.file.clone(), p.line, p.column, msg),
            _ => Diagnostic::file(self.file.clone(), msg),
        }
    }

    pub(crate) fn error(&mut self, pos: Option<Pos>, msg: impl Into<String>) {
        let d = self.diag(pos, msg.into());
        self.errors.push(d);
    }

    pub(crate) fn warn(&mut self, pos: Option<Pos>, msg: impl Into<String>) {
        let d = self.diag(pos, msg.into());
        self.warnings.push(d);
    }

    /// Ends validation: the value with its warnings, or every error.
    pub(crate) fn finish<T>(self, value: T) -> Result<(T, Vec<Diagnostic>)> {
        if self.errors.is_empty() {
            Ok((value, self.warnings))
        } else {
            Err(Error::Invalid(self.errors))
        }
    }
}
