//! Golden table: inputs in both formats and the entries (or the error) they
//! must produce, each rendered as one line of text.

use std::borrow::Cow;

use crate::float::NORMAL_NAN_BITS;
use crate::{Entry, Format, Label, Parser};

/// Parses `input` to the end and renders every entry, then the error if any.
pub(crate) fn render_all(input: &[u8], format: Format) -> Vec<String> {
    let mut parser = Parser::new(input, format);
    let mut out = Vec::new();
    loop {
        match parser.next() {
            Ok(Some(entry)) => out.push(render(&entry)),
            Ok(None) => break,
            Err(e) => {
                out.push(format!("error {e}"));
                break;
            }
        }
    }
    // A finished parser stays finished.
    assert!(matches!(parser.next(), Ok(None)));
    out
}

fn render_labels(labels: &[Label<'_>]) -> String {
    let pairs: Vec<String> = labels
        .iter()
        .map(|(name, value)| format!("{name}={value:?}"))
        .collect();
    format!("{{{}}}", pairs.join(","))
}

fn render_value(v: f64) -> String {
    if v.is_nan() {
        assert_eq!(
            v.to_bits(),
            NORMAL_NAN_BITS,
            "NaN must be Prometheus' normal NaN"
        );
        "NaN".into()
    } else {
        format!("{v:?}")
    }
}

fn render(entry: &Entry<'_>) -> String {
    match entry {
        Entry::Sample(s) => {
            let mut r = s.name.to_owned();
            if !s.labels.is_empty() {
                r += &render_labels(s.labels);
            }
            r += &format!(" {}", render_value(s.value));
            if let Some(ts) = s.timestamp_ms {
                r += &format!(" @{ts}");
            }
            if let Some(ex) = &s.exemplar {
                r += &format!(" # {} {}", render_labels(ex.labels), render_value(ex.value));
                if let Some(ts) = ex.timestamp_ms {
                    r += &format!(" @{ts}");
                }
            }
            r
        }
        Entry::Help { metric, text } => format!("HELP {metric} {text:?}"),
        Entry::Type { metric, kind } => format!("TYPE {metric} {}", kind.as_str()),
        Entry::Unit { metric, unit } => format!("UNIT {metric} {unit:?}"),
    }
}

struct Case {
    name: &'static str,
    input: &'static str,
    want: &'static [&'static str],
}

fn check(format: Format, cases: &[Case]) {
    let mut failures = Vec::new();
    for case in cases {
        let got = render_all(case.input.as_bytes(), format);
        if got != case.want {
            failures.push(format!(
                "case {:?}\n  input: {:?}\n  want: {:#?}\n  got:  {:#?}",
                case.name, case.input, case.want, got
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn text_format_golden() {
    check(
        Format::PrometheusText,
        &[
            Case {
                name: "help, type and samples with timestamps",
                input: "# HELP http_requests_total The total number of HTTP requests.\n\
                        # TYPE http_requests_total counter\n\
                        http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n\
                        http_requests_total{method=\"post\",code=\"400\"}    3 1395066363000\n",
                want: &[
                    r##"HELP http_requests_total "The total number of HTTP requests.""##,
                    "TYPE http_requests_total counter",
                    r##"http_requests_total{method="post",code="200"} 1027.0 @1395066363000"##,
                    r##"http_requests_total{method="post",code="400"} 3.0 @1395066363000"##,
                ],
            },
            Case {
                name: "escapes in label values and help text",
                input: "# HELP msdos_seconds Path \\\\ and \\n newline; \\\" and \\t stay.\n\
                        msdos_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find:\\n\\\"FILE.TXT\\\"\",odd=\"a\\tb\"} 1.458255915e9\n",
                want: &[
                    r##"HELP msdos_seconds "Path \\ and \n newline; \\\" and \\t stay.""##,
                    r##"msdos_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find:\n\"FILE.TXT\"",odd="a\\tb"} 1458255915.0"##,
                ],
            },
            Case {
                name: "every value form",
                input: "v 0\nv -0\nv 1.5\nv .5\nv 1.\nv 1e3\nv 2.5E-3\nv +7\nv NaN\nv nan\n\
                        v +Inf\nv -Inf\nv Inf\nv inf\nv -infinity\nv 1.7976931348623157e308\n",
                want: &[
                    "v 0.0",
                    "v -0.0",
                    "v 1.5",
                    "v 0.5",
                    "v 1.0",
                    "v 1000.0",
                    "v 0.0025",
                    "v 7.0",
                    "v NaN",
                    "v NaN",
                    "v inf",
                    "v -inf",
                    "v inf",
                    "v inf",
                    "v -inf",
                    "v 1.7976931348623157e308",
                ],
            },
            Case {
                name: "blanks, tabs, comments and a missing final newline",
                input: "\n   \n#comment\n# a comment\n# HELP\n#HELP x y\n# HELPX foo bar\n\
                        # TYPE\n\t# TYPE indented counter\n  lead 1\n\
                        spaced { a = \"1\" , b=\"2\" , } 2   1000  \n\
                        nocomma{a=\"1\" b=\"2\"} 3\n\
                        last\t4",
                want: &[
                    "TYPE indented counter",
                    "lead 1.0",
                    r##"spaced{a="1",b="2"} 2.0 @1000"##,
                    r##"nocomma{a="1",b="2"} 3.0"##,
                    "last 4.0",
                ],
            },
            Case {
                name: "help text forms",
                input: "# HELP a\n# HELP b   \n# HELP c  two\n# HELP\td\tTabbed text\n# HELP e x\n\
                        # HELP f ünïcödé ✓\n",
                want: &[
                    r##"HELP a """##,
                    r##"HELP b """##,
                    r##"HELP c " two""##,
                    r##"HELP d "Tabbed text""##,
                    r##"HELP e "x""##,
                    r##"HELP f "ünïcödé ✓""##,
                ],
            },
            Case {
                name: "untyped is unknown; all text types",
                input: "# TYPE a untyped\n# TYPE b counter\n# TYPE c gauge\n# TYPE d histogram\n\
                        # TYPE e summary\n",
                want: &[
                    "TYPE a unknown",
                    "TYPE b counter",
                    "TYPE c gauge",
                    "TYPE d histogram",
                    "TYPE e summary",
                ],
            },
            Case {
                name: "le and quantile normalisation follows the last TYPE",
                input: "# TYPE h histogram\nh_bucket{le=\"0.05\"} 1\nh_bucket{le=\"1\"} 2\n\
                        h_bucket{le=\"1e6\"} 2\nh_bucket{le=\"+Inf\"} 3\nh_bucket{le=\"x\"} 3\n\
                        # TYPE s summary\ns{quantile=\"1\"} 5\ns{quantile=\"0.50\",le=\"1\"} 4\n\
                        # TYPE g gauge\ng{le=\"1\",quantile=\"1\"} 1\n",
                want: &[
                    "TYPE h histogram",
                    r##"h_bucket{le="0.05"} 1.0"##,
                    r##"h_bucket{le="1.0"} 2.0"##,
                    r##"h_bucket{le="1e+06"} 2.0"##,
                    r##"h_bucket{le="+Inf"} 3.0"##,
                    r##"h_bucket{le="x"} 3.0"##,
                    "TYPE s summary",
                    r##"s{quantile="1.0"} 5.0"##,
                    r##"s{quantile="0.5",le="1"} 4.0"##,
                    "TYPE g gauge",
                    r##"g{le="1",quantile="1"} 1.0"##,
                ],
            },
            Case {
                name: "quoted utf-8 names",
                input: "# TYPE \"my.metric\" gauge\n# HELP \"my.metric\" Dotted.\n\
                        {\"my.metric\", \"my.label\"=\"ü\", zone=\"a\"} 1\n\
                        {\"my.metric\"} 2\nplain{\"dotted.label\"=\"x\"} 3\n{zone=\"b\", \"late.name\"} 4\n",
                want: &[
                    "TYPE my.metric gauge",
                    r##"HELP my.metric "Dotted.""##,
                    r##"my.metric{my.label="ü",zone="a"} 1.0"##,
                    "my.metric 2.0",
                    r##"plain{dotted.label="x"} 3.0"##,
                    r##"late.name{zone="b"} 4.0"##,
                ],
            },
            Case {
                name: "error: empty label name after comma",
                input: "a 1\nb{x=\"1\",,} 2\n",
                want: &[
                    "a 1.0",
                    r##"error line 2: expected label name or "}", got ",} 2""##,
                ],
            },
            Case {
                name: "error: unquoted label value",
                input: "# TYPE b gauge\nb{x=1} 2\n",
                want: &[
                    "TYPE b gauge",
                    r##"error line 2: expected label value, got "1} 2""##,
                ],
            },
            Case {
                name: "error: unterminated label value",
                input: "b{x=\"1} 2\nc 1\n",
                want: &["error line 1: expected closing quote of label value, got end of line"],
            },
            Case {
                name: "error: missing equals",
                input: "b{x\"1\"} 2\n",
                want: &[r##"error line 1: expected "=" after label name, got "\"1\"} 2""##],
            },
            Case {
                name: "error: missing value",
                input: "\n\nb{x=\"1\"}",
                want: &["error line 3: expected value after metric, got end of input"],
            },
            Case {
                name: "error: second label set",
                input: "b{x=\"1\"}{y=\"2\"} 1\n",
                want: &[r##"error line 1: expected value after metric, got "{y=\"2\"} 1""##],
            },
            Case {
                name: "error: bad value",
                input: "b{x=\"1\"} abc\n",
                want: &[r##"error line 1: expected float value, got "abc""##],
            },
            Case {
                name: "error: hex value",
                input: "b 0x10\n",
                want: &[r##"error line 1: expected float value, got "0x10""##],
            },
            Case {
                name: "error: overflowing value",
                input: "b 1e400\n",
                want: &[r##"error line 1: value "1e400" out of range"##],
            },
            Case {
                name: "error: crlf line ending",
                input: "b 1\r\n",
                want: &[r##"error line 1: expected float value, got "1\r""##],
            },
            Case {
                name: "error: negative timestamp",
                input: "b 1 -5\n",
                want: &[r##"error line 1: expected timestamp or end of line, got "-5""##],
            },
            Case {
                name: "error: float timestamp",
                input: "b 1 1.5\n",
                want: &[r##"error line 1: expected end of line after timestamp, got ".5""##],
            },
            Case {
                name: "error: junk after timestamp",
                input: "b 1 2 3\n",
                want: &[r##"error line 1: expected end of line after timestamp, got "3""##],
            },
            Case {
                name: "error: timestamp overflow",
                input: "b 1 99999999999999999999\n",
                want: &[r##"error line 1: timestamp "99999999999999999999" out of range"##],
            },
            Case {
                name: "error: value then brace",
                input: "b 1{\n",
                want: &[r##"error line 1: expected timestamp or end of line, got "{""##],
            },
            Case {
                name: "error: duplicate label",
                input: "b{x=\"1\",y=\"2\",x=\"3\"} 1\n",
                want: &[r##"error line 1: duplicate label name "x""##],
            },
            Case {
                name: "error: __name__ label",
                input: "b{__name__=\"c\"} 1\n",
                want: &[r##"error line 1: duplicate label name "__name__""##],
            },
            Case {
                name: "error: no metric name",
                input: "{a=\"b\"} 1\n",
                want: &["error line 1: metric name not set"],
            },
            Case {
                name: "error: two metric names",
                input: "foo{\"bar\"} 1\n",
                want: &[r##"error line 1: metric name already set, got quoted name "bar""##],
            },
            Case {
                name: "error: empty quoted name",
                input: "{\"\"} 1\n",
                want: &["error line 1: empty quoted name"],
            },
            Case {
                name: "error: escaped quoted name",
                input: "{\"a\\\"b\"} 1\n",
                want: &["error line 1: escape sequences in quoted names are not supported"],
            },
            Case {
                name: "error: bad start",
                input: "ok 1\n1b 2\n",
                want: &[
                    "ok 1.0",
                    r##"error line 2: expected metric name, "{", "#" or end of line, got "1b 2""##,
                ],
            },
            Case {
                name: "error: help without metric name",
                input: "# HELP 1foo text\n",
                want: &[r##"error line 1: expected metric name after HELP, got "1foo text""##],
            },
            Case {
                name: "error: invalid type",
                input: "# TYPE foo Counter\n",
                want: &[r##"error line 1: invalid metric type "Counter""##],
            },
            Case {
                name: "error: type with trailing blank",
                input: "# TYPE foo counter \n",
                want: &[r##"error line 1: invalid metric type "counter ""##],
            },
            Case {
                name: "error: openmetrics-only type",
                input: "# TYPE foo info\n",
                want: &[r##"error line 1: invalid metric type "info""##],
            },
            Case {
                name: "error: exemplar syntax",
                input: "foo 1 # {a=\"b\"} 1\n",
                want: &[
                    r##"error line 1: expected timestamp or end of line, got "# {a=\"b\"} 1""##,
                ],
            },
            Case {
                name: "the openmetrics eof line is a comment",
                input: "a 1\n# EOF\nb 2\n",
                want: &["a 1.0", "b 2.0"],
            },
        ],
    );
}

#[test]
fn openmetrics_golden() {
    check(
        Format::OpenMetrics,
        &[
            Case {
                name: "counter with unit, help escapes, exemplar and created",
                input: "# TYPE foo_seconds counter\n# UNIT foo_seconds seconds\n\
                        # HELP foo_seconds Some \\\"quoted\\\" help\\nwith newline \\\\ and \\t\n\
                        foo_seconds_total 17.0 1520879607.789 # {trace_id=\"KOO5S4vxi0o\"} 0.67 1520879602.29\n\
                        foo_seconds_created 1520430000.123\n# EOF\n",
                want: &[
                    "TYPE foo_seconds counter",
                    r##"UNIT foo_seconds "seconds""##,
                    r##"HELP foo_seconds "Some \"quoted\" help\nwith newline \\ and \\t""##,
                    r##"foo_seconds_total 17.0 @1520879607789 # {trace_id="KOO5S4vxi0o"} 0.67 @1520879602290"##,
                    "foo_seconds_created 1520430000.123",
                ],
            },
            Case {
                name: "all openmetrics types",
                input: "# TYPE a counter\n# TYPE b gauge\n# TYPE c histogram\n# TYPE d gaugehistogram\n\
                        # TYPE e summary\n# TYPE f info\n# TYPE g stateset\n# TYPE h unknown\n# EOF",
                want: &[
                    "TYPE a counter",
                    "TYPE b gauge",
                    "TYPE c histogram",
                    "TYPE d gaugehistogram",
                    "TYPE e summary",
                    "TYPE f info",
                    "TYPE g stateset",
                    "TYPE h unknown",
                ],
            },
            Case {
                name: "exemplar forms",
                input: "# TYPE h histogram\n\
                        h_bucket{le=\"0.1\"} 8 # {} 0.05\n\
                        h_bucket{le=\"1\"} 9 123 # {id=\"a\\\"b\",\"span.id\"=\"c\"} 0.5 1.5\n\
                        h_bucket{le=\"+Inf\"} 10 # {a=\"1\",} -Inf\n\
                        # EOF\n",
                want: &[
                    "TYPE h histogram",
                    r##"h_bucket{le="0.1"} 8.0 # {} 0.05"##,
                    r##"h_bucket{le="1.0"} 9.0 @123000 # {id="a\"b",span.id="c"} 0.5 @1500"##,
                    r##"h_bucket{le="+Inf"} 10.0 # {a="1"} -inf"##,
                ],
            },
            Case {
                name: "timestamps are float seconds",
                input: "a 1 0\na 1 -1.5\na 1 1.5e3\na 1 1714039207.125\na 1 0.0009\n# EOF\n",
                want: &[
                    "a 1.0 @0",
                    "a 1.0 @-1500",
                    "a 1.0 @1500000",
                    "a 1.0 @1714039207125",
                    "a 1.0 @0",
                ],
            },
            Case {
                name: "values and label escapes",
                input: "v NaN\nv +Inf\nv -Inf\nv 1.5e-3\nv{a=\"x\\\\y\\n\\\"z\\\"\"} -0.25\n\
                        v{a=\"b\",} 2\nv{} 3\n# EOF\n",
                want: &[
                    "v NaN",
                    "v inf",
                    "v -inf",
                    "v 0.0015",
                    r##"v{a="x\\y\n\"z\""} -0.25"##,
                    r##"v{a="b"} 2.0"##,
                    "v 3.0",
                ],
            },
            Case {
                name: "quoted names and empty unit",
                input: "# TYPE \"my.metric\" gauge\n# UNIT \"my.metric\" \n\
                        {\"my.metric\",\"my.label\"=\"x\",zone=\"a\"} 1\n{\"my.metric\",} 2\n\
                        foo{\"a.b\"=\"c\"} 3\n# EOF",
                want: &[
                    "TYPE my.metric gauge",
                    r##"UNIT my.metric """##,
                    r##"my.metric{my.label="x",zone="a"} 1.0"##,
                    "my.metric 2.0",
                    r##"foo{a.b="c"} 3.0"##,
                ],
            },
            Case {
                name: "empty input has no eof",
                input: "",
                want: &[r##"error line 1: data does not end with "# EOF""##],
            },
            Case {
                name: "error: missing eof",
                input: "# TYPE a gauge\na 1\n",
                want: &[
                    "TYPE a gauge",
                    "a 1.0",
                    r##"error line 3: data does not end with "# EOF""##,
                ],
            },
            Case {
                name: "error: sample without newline before end",
                input: "a 1",
                want: &[r##"error line 1: data does not end with "# EOF""##],
            },
            Case {
                name: "error: blank line after eof",
                input: "a 1\n# EOF\n\n",
                want: &["a 1.0", r##"error line 3: unexpected data after "# EOF""##],
            },
            Case {
                name: "error: sample after eof",
                input: "# EOF\na 1\n",
                want: &[r##"error line 2: unexpected data after "# EOF""##],
            },
            Case {
                name: "error: junk on the eof line",
                input: "# EOF \n",
                want: &[r##"error line 1: unexpected data after "# EOF""##],
            },
            Case {
                name: "error: blank line",
                input: "a 1\n\n# EOF\n",
                want: &[
                    "a 1.0",
                    r##"error line 2: expected metric name, "{" or "# ", got end of line"##,
                ],
            },
            Case {
                name: "error: free comment",
                input: "# just a comment\n# EOF\n",
                want: &[
                    r##"error line 1: expected "# HELP", "# TYPE", "# UNIT" or "# EOF", got "# just a comment""##,
                ],
            },
            Case {
                name: "error: leading blank",
                input: " a 1\n# EOF\n",
                want: &[r##"error line 1: expected metric name, "{" or "# ", got " a 1""##],
            },
            Case {
                name: "error: two spaces before value",
                input: "a  1\n# EOF\n",
                want: &[r##"error line 1: expected value, got " 1""##],
            },
            Case {
                name: "error: blank inside label set",
                input: "a{x=\"1\", y=\"2\"} 1\n# EOF\n",
                want: &[r##"error line 1: expected label name or "}", got " y=\"2\"} 1""##],
            },
            Case {
                name: "error: no comma between labels",
                input: "a{x=\"1\"y=\"2\"} 1\n# EOF\n",
                want: &[
                    r##"error line 1: expected "," or "}" after label value, got "y=\"2\"} 1""##,
                ],
            },
            Case {
                name: "error: raw newline in label value",
                input: "a{x=\"1\n\"} 1\n# EOF\n",
                want: &["error line 1: expected closing quote of label value, got end of line"],
            },
            Case {
                name: "error: trailing blank after value",
                input: "a 1 \n# EOF\n",
                want: &[
                    "error line 1: expected timestamp or exemplar after value, got end of line",
                ],
            },
            Case {
                name: "error: unquoted label used as metric name",
                input: "{abc} 1\n# EOF\n",
                want: &[r##"error line 1: expected "=" after label name, got "} 1""##],
            },
            Case {
                name: "error: nan timestamp",
                input: "a 1 NaN\n# EOF\n",
                want: &[r##"error line 1: invalid timestamp "NaN""##],
            },
            Case {
                name: "error: inf timestamp",
                input: "a 1 +Inf\n# EOF\n",
                want: &[r##"error line 1: invalid timestamp "+Inf""##],
            },
            Case {
                name: "error: bad timestamp",
                input: "a 1 abc\n# EOF\n",
                want: &[r##"error line 1: expected float timestamp, got "abc""##],
            },
            Case {
                name: "error: junk after timestamp",
                input: "a 1 2 3\n# EOF\n",
                want: &[
                    r##"error line 1: expected end of line or exemplar after timestamp, got " 3""##,
                ],
            },
            Case {
                name: "error: exemplar without value",
                input: "a 1 # {a=\"b\"}\n# EOF\n",
                want: &[
                    r##"error line 1: expected " " and value after exemplar labels, got end of line"##,
                ],
            },
            Case {
                name: "error: exemplar with junk",
                input: "a 1 # {a=\"b\"} 1 2 3\n# EOF\n",
                want: &[r##"error line 1: expected end of line after exemplar, got " 3""##],
            },
            Case {
                name: "error: exemplar with a metric name",
                input: "a 1 # {\"q\"} 1\n# EOF\n",
                want: &[r##"error line 1: expected "=" after label name, got "} 1""##],
            },
            Case {
                name: "error: exemplar nan timestamp",
                input: "a 1 # {} 1 NaN\n# EOF\n",
                want: &[r##"error line 1: invalid exemplar timestamp "NaN""##],
            },
            Case {
                name: "error: hash that is not an exemplar",
                input: "a 1 # x\n# EOF\n",
                want: &[r##"error line 1: expected float timestamp, got "#""##],
            },
            Case {
                name: "error: exemplar without eof",
                input: "a 1 # {} 1",
                want: &[r##"error line 1: data does not end with "# EOF""##],
            },
            Case {
                name: "error: unit not a suffix",
                input: "# UNIT foo_bytes seconds\n# EOF\n",
                want: &[r##"error line 1: unit "seconds" is not a suffix of metric "foo_bytes""##],
            },
            Case {
                name: "error: unit is the whole name",
                input: "# UNIT seconds seconds\n# EOF\n",
                want: &[r##"error line 1: unit "seconds" is not a suffix of metric "seconds""##],
            },
            Case {
                name: "error: unit not after underscore",
                input: "# UNIT fooseconds seconds\n# EOF\n",
                want: &[r##"error line 1: unit "seconds" is not a suffix of metric "fooseconds""##],
            },
            Case {
                name: "error: help without text separator",
                input: "# HELP foo\n# EOF\n",
                want: &[
                    r##"error line 1: expected " " and text after metric name in HELP, got end of line"##,
                ],
            },
            Case {
                name: "error: text-format type word",
                input: "# TYPE foo untyped\n# EOF\n",
                want: &[r##"error line 1: invalid metric type "untyped""##],
            },
            Case {
                name: "error: duplicate label",
                input: "a{x=\"1\",x=\"1\"} 1\n# EOF\n",
                want: &[r##"error line 1: duplicate label name "x""##],
            },
            Case {
                name: "error: metric name missing",
                input: "{x=\"1\"} 1\n# EOF\n",
                want: &["error line 1: metric name not set"],
            },
        ],
    );
}

#[test]
fn escape_free_values_are_borrowed_and_the_buffer_is_reused() {
    let input = b"# TYPE h histogram\n\
                  a{x=\"plain\",y=\"with \\\"escape\\\"\"} 1\n\
                  b{x=\"1\",y=\"2\",z=\"3\"} 2\n\
                  h_bucket{le=\"1\"} 3\n\
                  h_bucket{le=\"1.0\"} 3\n\
                  h_bucket{le=\"2500\"} 3\n";
    let mut parser = Parser::new(input, Format::PrometheusText);
    let mut buffers = Vec::new();
    let mut kinds = Vec::new();
    while let Some(entry) = parser.next().unwrap() {
        if let Entry::Sample(s) = entry {
            buffers.push(s.labels.as_ptr() as usize);
            for (_, v) in s.labels {
                kinds.push(matches!(v, Cow::Borrowed(_)));
            }
            // Names are slices of the input, not copies.
            let range = input.as_ptr_range();
            assert!(range.contains(&s.name.as_ptr()));
        }
    }
    // `le="1"` is normalised to a static "1.0"; `le="2500"` to an owned copy.
    assert_eq!(kinds, [true, false, true, true, true, true, true, false]);
    assert!(
        buffers.windows(2).all(|w| w[0] == w[1]),
        "label buffer reallocated"
    );
}

#[test]
fn invalid_utf8_is_an_error_only_where_it_matters() {
    let cases: &[(&[u8], Format, &str)] = &[
        (
            b"# comment \xff\na{x=\"\xc3\xa9\"} 1\nb{x=\"\xff\"} 1\n",
            Format::PrometheusText,
            "error line 3: invalid utf-8 in label value \"\u{fffd}\"",
        ),
        (
            b"# HELP a caf\xe9\n",
            Format::PrometheusText,
            "error line 1: invalid utf-8 in help text \"caf\u{fffd}\"",
        ),
        (
            b"{\"a\xff\"} 1\n",
            Format::PrometheusText,
            "error line 1: invalid utf-8 in name \"a\u{fffd}\"",
        ),
        (
            b"a 1 # {id=\"\xfe\"} 1\n# EOF\n",
            Format::OpenMetrics,
            "error line 1: invalid utf-8 in label value \"\u{fffd}\"",
        ),
        (
            b"a 1\xff\n",
            Format::PrometheusText,
            "error line 1: expected float value, got \"1\u{fffd}\"",
        ),
    ];
    for &(input, format, want) in cases {
        let got = render_all(input, format);
        assert_eq!(got.last().map(String::as_str), Some(want), "{got:?}");
    }
}

#[test]
fn wide_label_sets_are_checked_for_duplicates() {
    let labels: Vec<String> = (0..40).map(|i| format!("l{i}=\"v\"")).collect();
    let ok = format!("m{{{}}} 1\n", labels.join(","));
    let got = render_all(ok.as_bytes(), Format::PrometheusText);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].starts_with("m{l0=\"v\",l1=\"v\""));
    for extra in ["l17=\"w\"", "__name__=\"x\""] {
        let bad = format!("m{{{},{extra}}} 1\n", labels.join(","));
        let name = extra.split('=').next().unwrap();
        let want = format!("error line 1: duplicate label name {name:?}");
        assert_eq!(render_all(bad.as_bytes(), Format::PrometheusText), [want]);
    }
}

#[test]
fn error_display_names_the_line() {
    let mut parser = Parser::new(b"a 1\nb 2\nc{", Format::PrometheusText);
    let mut err = None;
    loop {
        match parser.next() {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    let err = err.expect("an error");
    assert_eq!(err.line, 3);
    assert_eq!(
        err.to_string(),
        r##"line 3: expected label name or "}", got end of input"##
    );
}
