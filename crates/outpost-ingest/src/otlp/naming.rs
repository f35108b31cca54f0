//! OTLP metric, unit and attribute name translation, following Prometheus 3's
//! OTLP receiver (`prometheus/otlptranslator`: `metric_namer.go`,
//! `unit_namer.go`, `label_namer.go`, `strconv.go`).
//!
//! With escaping (the default strategy), a metric name is split into tokens
//! on every character outside `[a-zA-Z0-9:]`, unit suffixes are appended
//! unless already present as a token, counters get `total` and gauges of
//! unit `1` get `ratio` (each moved to the end), and the tokens are joined
//! with `_`. Label names have every character outside `[a-zA-Z0-9]` replaced
//! by `_`, a `key_` prefix before a leading digit and a `key` prefix before a
//! single leading `_` (Prometheus' defaults
//! `label_name_underscore_sanitization: true`,
//! `label_name_preserve_multiple_underscores: true`).

/// How a metric's type affects its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameKind {
    /// Gauges (`_ratio` for unit `1`).
    Gauge,
    /// Monotonic cumulative sums (`_total`).
    MonotonicCounter,
    /// Everything else: non-monotonic sums, histograms, summaries.
    Other,
}

/// Main units (`unitMap`).
fn unit_word(unit: &str) -> Option<&'static str> {
    Some(match unit {
        "d" => "days",
        "h" => "hours",
        "min" => "minutes",
        "s" => "seconds",
        "ms" => "milliseconds",
        "us" => "microseconds",
        "ns" => "nanoseconds",
        "By" => "bytes",
        "KiBy" => "kibibytes",
        "MiBy" => "mebibytes",
        "GiBy" => "gibibytes",
        "TiBy" => "tibibytes",
        "KBy" => "kilobytes",
        "MBy" => "megabytes",
        "GBy" => "gigabytes",
        "TBy" => "terabytes",
        "m" => "meters",
        "V" => "volts",
        "A" => "amperes",
        "J" => "joules",
        "W" => "watts",
        "g" => "grams",
        "Cel" => "celsius",
        "Hz" => "hertz",
        "1" => "",
        "%" => "percent",
        _ => return None,
    })
}

/// "Per" units (`perUnitMap`), singular.
fn per_unit_word(unit: &str) -> Option<&'static str> {
    Some(match unit {
        "s" => "second",
        "m" => "minute",
        "h" => "hour",
        "d" => "day",
        "w" => "week",
        "mo" => "month",
        "y" => "year",
        _ => return None,
    })
}

/// `buildUnitSuffixes`: the main and `per_` suffixes of a unit, unescaped.
/// Parts that are blank or contain `{`/`}` (annotations) give no suffix.
fn unit_suffixes(unit: &str) -> (String, String) {
    let mut parts = unit.splitn(2, '/');
    let main_otel = parts.next().unwrap_or("").trim();
    let mut main = String::new();
    if !main_otel.is_empty() && !main_otel.contains(['{', '}']) {
        main = unit_word(main_otel).unwrap_or(main_otel).to_string();
    }
    let mut per = String::new();
    if let Some(per_raw) = parts.next().filter(|p| !p.is_empty()) {
        let per_otel = per_raw.trim();
        if !per_otel.is_empty() && !per_otel.contains(['{', '}']) {
            per = per_unit_word(per_otel).unwrap_or(per_otel).to_string();
        }
        if !per.is_empty() {
            per = format!("per_{per}");
        }
    }
    (main, per)
}

/// Characters kept in escaped metric names.
fn is_metric_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == ':'
}

/// Characters kept in escaped label names (`_` is re-added by replacement).
fn is_label_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// `cleanUpUnit`: invalid characters to `_`, runs of `_` collapsed, one
/// leading `_` removed.
fn clean_up_unit(unit: &str) -> String {
    let mut out = String::with_capacity(unit.len());
    for c in unit.chars() {
        let c = if is_metric_char(c) { c } else { '_' };
        if c == '_' && out.ends_with('_') {
            continue;
        }
        out.push(c);
    }
    match out.strip_prefix('_') {
        Some(rest) => rest.to_string(),
        None => out,
    }
}

fn trim_one_suffix(s: &str, suffix: char) -> &str {
    s.strip_suffix(suffix).unwrap_or(s)
}

/// `addUnitTokens`.
fn add_unit_tokens(tokens: &mut Vec<String>, main: &str, per: &str) {
    let mut main = if tokens.iter().any(|t| t == main) {
        ""
    } else {
        main
    };
    let per = if per == "per_" {
        ""
    } else {
        let p = trim_one_suffix(per, '_');
        if tokens.iter().any(|t| t == p) { "" } else { p }
    };
    if !per.is_empty() {
        main = trim_one_suffix(main, '_');
    }
    if !main.is_empty() {
        tokens.push(main.to_string());
    }
    if !per.is_empty() {
        tokens.push(per.to_string());
    }
}

fn move_to_end(tokens: &mut Vec<String>, word: &str) {
    tokens.retain(|t| t != word);
    tokens.push(word.to_string());
}

/// `normalizeName`: escaped name with unit and type suffixes.
fn escaped_name_with_suffixes(name: &str, unit: &str, kind: NameKind) -> String {
    let mut tokens: Vec<String> = name
        .split(|c: char| !is_metric_char(c))
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    let (main, per) = unit_suffixes(unit);
    add_unit_tokens(&mut tokens, &clean_up_unit(&main), &clean_up_unit(&per));
    if kind == NameKind::MonotonicCounter {
        move_to_end(&mut tokens, "total");
    }
    if unit == "1" && kind == NameKind::Gauge {
        move_to_end(&mut tokens, "ratio");
    }
    prefix_leading_digit(tokens.join("_"))
}

/// Escaped name without suffixes: split on `[^a-zA-Z0-9:_]`, joined with `_`.
fn escaped_name(name: &str) -> String {
    let tokens: Vec<&str> = name
        .split(|c: char| !(is_metric_char(c) || c == '_'))
        .filter(|t| !t.is_empty())
        .collect();
    prefix_leading_digit(tokens.join("_"))
}

fn prefix_leading_digit(name: String) -> String {
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{name}")
    } else {
        name
    }
}

/// `trimSuffixAndDelimiter`: drops `suffix` plus one delimiter character.
fn trim_suffix_and_delimiter<'a>(name: &'a str, suffix: &str) -> &'a str {
    if name.ends_with(suffix) && name.len() > suffix.len() + 1 {
        let cut = name.len() - suffix.len() - 1;
        if name.is_char_boundary(cut) {
            return &name[..cut];
        }
    }
    name
}

/// `buildMetricName` (UTF-8 allowed): the name kept, suffixes appended
/// (`_<unit>`, `_per_<unit>`, then `_total` or `_ratio`), each trimmed first
/// if already present.
fn utf8_name_with_suffixes(name: &str, unit: &str, kind: NameKind) -> String {
    let mut name = name;
    let ratio = unit == "1" && kind == NameKind::Gauge;
    if ratio {
        name = trim_suffix_and_delimiter(name, "ratio");
    }
    let total = kind == NameKind::MonotonicCounter;
    if total {
        name = trim_suffix_and_delimiter(name, "total");
    }
    let (main, per) = unit_suffixes(unit);
    if !per.is_empty() {
        name = trim_suffix_and_delimiter(name, &per);
    }
    let mut out = name.to_string();
    if !main.is_empty() && !out.ends_with(&main) {
        out.push('_');
        out.push_str(&main);
    }
    if !per.is_empty() {
        out.push('_');
        out.push_str(&per);
    }
    if total {
        out.push_str("_total");
    }
    if ratio {
        out.push_str("_ratio");
    }
    out
}

/// `MetricNamer.Build`: the Prometheus metric family name of an OTLP metric.
pub(crate) fn metric_name(
    name: &str,
    unit: &str,
    kind: NameKind,
    escape: bool,
    suffixes: bool,
) -> Result<String, String> {
    let out = match (escape, suffixes) {
        (true, true) => escaped_name_with_suffixes(name, unit, kind),
        (true, false) => escaped_name(name),
        (false, true) => utf8_name_with_suffixes(name, unit, kind),
        (false, false) => name.to_string(),
    };
    if out.is_empty() {
        return Err(format!(
            "normalization for metric {name:?} resulted in empty name"
        ));
    }
    if escape && out != name && out.bytes().all(|b| b == b'_') {
        return Err(format!(
            "normalization for metric {name:?} resulted in invalid name {out:?}"
        ));
    }
    Ok(out)
}

/// `LabelNamer.Build`: the Prometheus label name of an OTLP attribute key.
pub(crate) fn label_name(key: &str, escape: bool) -> Result<String, String> {
    if key.is_empty() {
        return Err("label name is empty".to_string());
    }
    if !escape {
        return Ok(key.to_string());
    }
    let mut out: String = key
        .chars()
        .map(|c| if is_label_char(c) { c } else { '_' })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "key_");
    } else if out.starts_with('_') && !out.starts_with("__") {
        out.insert_str(0, "key");
    }
    if out.bytes().all(|b| b == b'_') {
        return Err(format!(
            "normalization for label name {key:?} resulted in invalid name {out:?}"
        ));
    }
    Ok(out)
}

/// Go's `strconv.FormatFloat(f, 'f', -1, 64)`, used for `le` and `quantile`.
pub(crate) use outpost_exposition::go_float as format_float_label;

#[cfg(test)]
mod tests {
    use super::*;

    fn esc(name: &str, unit: &str, kind: NameKind) -> String {
        metric_name(name, unit, kind, true, true).unwrap()
    }

    #[test]
    fn escaped_names_with_suffixes() {
        use NameKind::*;
        // Cases from otlptranslator's metric_namer_test.go and the OTel spec.
        let cases = [
            (
                "http.server.duration",
                "s",
                Other,
                "http_server_duration_seconds",
            ),
            ("requests", "1", MonotonicCounter, "requests_total"),
            ("requests.total", "1", MonotonicCounter, "requests_total"),
            (
                "total.requests",
                "{request}",
                MonotonicCounter,
                "requests_total",
            ),
            ("cpu.utilization", "1", Gauge, "cpu_utilization_ratio"),
            ("ratio.of.cpu", "1", Gauge, "of_cpu_ratio"),
            ("updown", "1", Other, "updown"),
            (
                "system.memory.usage",
                "By",
                Gauge,
                "system_memory_usage_bytes",
            ),
            ("mem_bytes", "By", Gauge, "mem_bytes"),
            ("throughput", "By/s", Gauge, "throughput_bytes_per_second"),
            ("rate", "{packets}/s", Gauge, "rate_per_second"),
            ("rate", "1/s", Gauge, "rate_per_second"),
            ("frequency", "Hz", Gauge, "frequency_hertz"),
            ("temp", "Cel", Gauge, "temp_celsius"),
            ("speed", "m/h", Gauge, "speed_meters_per_hour"),
            ("odd", "foo.bar", Gauge, "odd_foo_bar"),
            ("odd", "/x", Gauge, "odd_per_x"),
            ("errors", "{error}", MonotonicCounter, "errors_total"),
            ("__a__b..c__", "", Gauge, "a_b_c"),
            (
                "2xx.responses",
                "",
                MonotonicCounter,
                "_2xx_responses_total",
            ),
            ("ns:metric", "ms", Gauge, "ns:metric_milliseconds"),
            ("détente", "", Gauge, "d_tente"),
        ];
        for (name, unit, kind, want) in cases {
            assert_eq!(esc(name, unit, kind), want, "{name} [{unit}]");
        }
        assert!(metric_name("...", "", Gauge, true, true).is_err());
        assert!(metric_name("", "", Gauge, true, true).is_err());
    }

    #[test]
    fn other_strategies() {
        use NameKind::*;
        assert_eq!(
            metric_name("http.server..duration", "s", Other, true, false).unwrap(),
            "http_server_duration"
        );
        assert_eq!(metric_name("a__b", "", Other, true, false).unwrap(), "a__b");
        assert_eq!(
            metric_name("http.server.duration", "s", Other, false, true).unwrap(),
            "http.server.duration_seconds"
        );
        assert_eq!(
            metric_name("req.total", "1", MonotonicCounter, false, true).unwrap(),
            "req_total"
        );
        assert_eq!(
            metric_name("x_seconds", "s", Gauge, false, true).unwrap(),
            "x_seconds"
        );
        assert_eq!(
            metric_name("io", "By/s", MonotonicCounter, false, true).unwrap(),
            "io_bytes_per_second_total"
        );
        assert_eq!(metric_name("a.b", "s", Gauge, false, false).unwrap(), "a.b");
    }

    #[test]
    fn label_names() {
        let cases = [
            ("http.method", "http_method"),
            ("123invalid", "key_123invalid"),
            ("_private", "key_private"),
            ("__reserved__", "__reserved__"),
            ("__x.y", "__x_y"),
            ("a..b", "a__b"),
            ("ключ1", "____1"),
            ("k8s.pod.name", "k8s_pod_name"),
        ];
        for (key, want) in cases {
            assert_eq!(label_name(key, true).unwrap(), want, "{key}");
        }
        assert!(label_name("", true).is_err());
        assert!(label_name("...", true).is_err());
        assert!(label_name("__", true).is_err());
        assert!(label_name("ключ", true).is_err());
        assert_eq!(label_name("a.b", false).unwrap(), "a.b");
    }

    #[test]
    fn float_labels_like_go() {
        assert_eq!(format_float_label(0.005), "0.005");
        assert_eq!(format_float_label(10.0), "10");
        assert_eq!(format_float_label(1e21), "1000000000000000000000");
        assert_eq!(format_float_label(-0.5), "-0.5");
        assert_eq!(format_float_label(f64::INFINITY), "+Inf");
        assert_eq!(format_float_label(f64::NEG_INFINITY), "-Inf");
    }
}
