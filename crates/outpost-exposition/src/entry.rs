//! What the parser yields: samples and the metadata lines around them.

use std::borrow::Cow;

use crate::format::MetricType;

/// One label: its name (a slice of the input) and its value (borrowed from the
/// input unless it contained escape sequences or was normalised).
pub type Label<'p> = (&'p str, Cow<'p, str>);

/// One parsed line of a scrape body.
///
/// Comments, blank lines and the OpenMetrics `# EOF` line yield no entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry<'p> {
    /// A sample line.
    Sample(Sample<'p>),
    /// A `# HELP` line, with its escape sequences resolved.
    Help {
        /// The metric family name.
        metric: &'p str,
        /// The help text.
        text: Cow<'p, str>,
    },
    /// A `# TYPE` line.
    Type {
        /// The metric family name.
        metric: &'p str,
        /// The declared type.
        kind: MetricType,
    },
    /// A `# UNIT` line (OpenMetrics only).
    Unit {
        /// The metric family name.
        metric: &'p str,
        /// The unit; may be empty.
        unit: &'p str,
    },
}

/// One sample: a series (name and labels), a value and an optional timestamp.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample<'p> {
    /// The metric name, including suffixes such as `_total` or `_bucket`.
    pub name: &'p str,
    /// The labels in input order, without the metric name. Label names are
    /// unique.
    ///
    /// As in Prometheus, `le` labels under a `histogram` type and `quantile`
    /// labels under a `summary` type are normalised to the OpenMetrics float
    /// spelling (`le="1"` becomes `le="1.0"`).
    pub labels: &'p [Label<'p>],
    /// The value; NaN values carry Prometheus' normal NaN bit pattern, never
    /// the stale marker.
    pub value: f64,
    /// The sample's own timestamp in Unix milliseconds, if it has one
    /// (OpenMetrics seconds are converted, truncating towards zero).
    pub timestamp_ms: Option<i64>,
    /// The exemplar attached to the sample (OpenMetrics only).
    pub exemplar: Option<Exemplar<'p>>,
}

impl Sample<'_> {
    /// The value of the label `name`, if the sample has it.
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_ref())
    }
}

/// An OpenMetrics exemplar: `# {trace_id="..."} value [timestamp]` after a
/// sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Exemplar<'p> {
    /// The exemplar's labels in input order (escape sequences resolved).
    pub labels: &'p [Label<'p>],
    /// The exemplar's value.
    pub value: f64,
    /// The exemplar's timestamp in Unix milliseconds, if given.
    pub timestamp_ms: Option<i64>,
}
