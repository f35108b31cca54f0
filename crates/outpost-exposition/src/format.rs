//! The two text formats and the metric types their `# TYPE` lines declare.

/// Which text format a scrape body is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Prometheus text exposition format 0.0.4 (`text/plain; version=0.0.4`).
    PrometheusText,
    /// OpenMetrics 1.0 text format (`application/openmetrics-text`).
    OpenMetrics,
}

impl Format {
    /// Picks the format from an HTTP `Content-Type` header value.
    ///
    /// `application/openmetrics-text` (any parameters, any case) is
    /// [`Format::OpenMetrics`]; anything else, including `text/plain` and an
    /// empty or missing header, is [`Format::PrometheusText`], the format
    /// Prometheus falls back to.
    pub fn from_content_type(ct: &str) -> Format {
        let media = ct.split(';').next().unwrap_or("").trim();
        if media.eq_ignore_ascii_case("application/openmetrics-text") {
            Format::OpenMetrics
        } else {
            Format::PrometheusText
        }
    }
}

/// The type a `# TYPE` line declares for a metric family.
///
/// The text format's `untyped` is reported as [`MetricType::Unknown`], as
/// Prometheus does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricType {
    /// `counter`.
    Counter,
    /// `gauge`.
    Gauge,
    /// `histogram`.
    Histogram,
    /// `gaugehistogram` (OpenMetrics only).
    GaugeHistogram,
    /// `summary`.
    Summary,
    /// `info` (OpenMetrics only).
    Info,
    /// `stateset` (OpenMetrics only).
    StateSet,
    /// `unknown` in OpenMetrics, `untyped` in the text format.
    Unknown,
}

impl MetricType {
    /// The type's name as OpenMetrics spells it (`"unknown"` for untyped).
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::GaugeHistogram => "gaugehistogram",
            MetricType::Summary => "summary",
            MetricType::Info => "info",
            MetricType::StateSet => "stateset",
            MetricType::Unknown => "unknown",
        }
    }

    /// Parses the type word of a `# TYPE` line in the given format.
    pub(crate) fn parse(word: &[u8], format: Format) -> Option<MetricType> {
        let t = match word {
            b"counter" => MetricType::Counter,
            b"gauge" => MetricType::Gauge,
            b"histogram" => MetricType::Histogram,
            b"summary" => MetricType::Summary,
            b"untyped" if format == Format::PrometheusText => MetricType::Unknown,
            b"gaugehistogram" if format == Format::OpenMetrics => MetricType::GaugeHistogram,
            b"info" if format == Format::OpenMetrics => MetricType::Info,
            b"stateset" if format == Format::OpenMetrics => MetricType::StateSet,
            b"unknown" if format == Format::OpenMetrics => MetricType::Unknown,
            _ => return None,
        };
        Some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_type_selects_format() {
        let cases = [
            ("application/openmetrics-text", Format::OpenMetrics),
            (
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                Format::OpenMetrics,
            ),
            (
                " Application/OpenMetrics-Text ;version=0.0.1",
                Format::OpenMetrics,
            ),
            (
                "text/plain; version=0.0.4; charset=utf-8",
                Format::PrometheusText,
            ),
            ("text/plain", Format::PrometheusText),
            ("", Format::PrometheusText),
            ("application/json", Format::PrometheusText),
        ];
        for (ct, want) in cases {
            assert_eq!(Format::from_content_type(ct), want, "{ct:?}");
        }
    }

    #[test]
    fn type_words_per_format() {
        use Format::{OpenMetrics as Om, PrometheusText as Text};
        assert_eq!(
            MetricType::parse(b"untyped", Text),
            Some(MetricType::Unknown)
        );
        assert_eq!(MetricType::parse(b"untyped", Om), None);
        assert_eq!(MetricType::parse(b"unknown", Text), None);
        assert_eq!(MetricType::parse(b"unknown", Om), Some(MetricType::Unknown));
        assert_eq!(MetricType::parse(b"info", Text), None);
        assert_eq!(
            MetricType::parse(b"stateset", Om),
            Some(MetricType::StateSet)
        );
        assert_eq!(
            MetricType::parse(b"gaugehistogram", Om),
            Some(MetricType::GaugeHistogram)
        );
        assert_eq!(MetricType::parse(b"Counter", Text), None);
        assert_eq!(MetricType::Histogram.as_str(), "histogram");
    }
}
