//! Zero-copy parser of scraped metrics: the Prometheus text exposition format
//! 0.0.4 and the OpenMetrics 1.0 text format, accepted and rejected the way
//! Prometheus' own scraper (`model/textparse`) does.
//!
//! The [`Parser`] is a lending iterator over one scrape body held in memory.
//! Every [`Entry`] it returns borrows the input (metric names, label names and
//! escape-free label values are slices of it) and the parser's reusable label
//! buffer, so parsing a sample allocates nothing in the common case: only
//! label values or help texts that contain escape sequences are copied (and
//! the rare `le`/`quantile` value whose Prometheus 3 respelling is neither
//! the input itself nor a small integer such as `"1.0"`).
//!
//! ```
//! use outpost_exposition::{Entry, Format, Parser};
//!
//! let body = b"# TYPE http_requests_total counter\n\
//!              http_requests_total{code=\"200\",path=\"/\"} 1027 1395066363000\n";
//! let mut parser = Parser::new(body, Format::PrometheusText);
//! let mut samples = 0;
//! while let Some(entry) = parser.next()? {
//!     if let Entry::Sample(s) = entry {
//!         assert_eq!(s.name, "http_requests_total");
//!         assert_eq!(s.label("code"), Some("200"));
//!         assert_eq!(s.value, 1027.0);
//!         assert_eq!(s.timestamp_ms, Some(1_395_066_363_000));
//!         samples += 1;
//!     }
//! }
//! assert_eq!(samples, 1);
//! # Ok::<(), outpost_exposition::ParseError>(())
//! ```
//!
//! Behaviour follows Prometheus 3 (`promparse.go`, `openmetricsparse.go` and
//! their lexers); the few deliberate differences are listed on [`Parser`].

mod entry;
mod error;
mod float;
mod format;
mod parser;
mod scan;

#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod robustness_tests;

pub use entry::{Entry, Exemplar, Label, Sample};
pub use error::{ParseError, Result};
pub use float::{GoFloatFormat, format_go_float, go_float};
pub use format::{Format, MetricType};
pub use parser::Parser;
