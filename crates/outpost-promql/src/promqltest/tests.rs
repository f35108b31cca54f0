//! Tests of the script parser, the comparison rules and the runner (over a
//! small fake engine), and the end-to-end run of `fixtures/promql/*.test`.

use std::path::PathBuf;
use std::sync::Arc;

use outpost_tsdb::{Labels, MatchType, Matcher, Tsdb, is_stale_nan, stale_nan};

use super::compare::{EPSILON, almost_equal, compare_result};
use super::expr::{at_modifier_cases, experimental_feature, selected_names};
use super::parse::{
    Command, EvalCmd, ExpectMatch, LoadCmd, SeqValue, get_lines, parse_duration, parse_number,
    parse_script, parse_series_desc,
};
use super::{Outcome, Querier, Summary, run_detailed, run_file};
use crate::engine::Output;
use crate::error::Error;
use crate::value::{Sample, Series, Value};

fn labels(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied()).unwrap()
}

fn vals(desc: &str) -> Vec<SeqValue> {
    parse_series_desc(&format!("m {desc}")).unwrap().values
}

fn v(xs: &[f64]) -> Vec<SeqValue> {
    xs.iter().map(|&x| SeqValue::Value(x)).collect()
}

fn only_load(script: &str) -> LoadCmd {
    match parse_script(script).remove(0).command {
        Command::Load(l) => l,
        other => panic!("not a load: {other:?}"),
    }
}

fn only_eval(script: &str) -> EvalCmd {
    match parse_script(script).remove(0).command {
        Command::Eval(e) => *e,
        other => panic!("not an eval: {other:?}"),
    }
}

fn invalid(script: &str) -> String {
    match parse_script(script).remove(0).command {
        Command::Invalid(msg) => msg,
        other => panic!("expected a parse error, got {other:?}"),
    }
}

// ---- lines, durations, numbers ----

#[test]
fn lines_are_trimmed_and_comments_blanked() {
    let lines = get_lines("  load 5m \n# comment\n\t  # indented comment\n  foo 1\r\n");
    assert_eq!(lines, vec!["load 5m", "", "", "foo 1", ""]);
}

#[test]
fn durations_follow_prometheus() {
    assert_eq!(parse_duration("0"), Ok(0));
    assert_eq!(parse_duration("5m"), Ok(300_000));
    assert_eq!(parse_duration("1h30m"), Ok(5_400_000));
    assert_eq!(parse_duration("10s53ms"), Ok(10_053));
    assert_eq!(parse_duration("1ms"), Ok(1));
    assert_eq!(parse_duration("2d"), Ok(2 * 86_400_000));
    assert_eq!(parse_duration("1w"), Ok(7 * 86_400_000));
    assert_eq!(parse_duration("1y"), Ok(365 * 86_400_000));
    assert_eq!(parse_duration("0s"), Ok(0));
    for bad in ["", "5", "-5m", "1m1h", "5x", "1.5h", "m"] {
        assert!(parse_duration(bad).is_err(), "{bad:?} should not parse");
    }
}

#[test]
fn scalar_lines_parse_as_go_numbers() {
    assert_eq!(parse_number("1"), Ok(1.0));
    assert_eq!(parse_number("-1"), Ok(-1.0));
    assert_eq!(parse_number("0x10"), Ok(16.0));
    assert_eq!(parse_number("010"), Ok(8.0));
    assert_eq!(parse_number("0b101"), Ok(5.0));
    assert_eq!(parse_number("1e3"), Ok(1000.0));
    assert_eq!(parse_number("1.5"), Ok(1.5));
    assert_eq!(parse_number("Inf"), Ok(f64::INFINITY));
    assert_eq!(parse_number("+Inf"), Ok(f64::INFINITY));
    assert_eq!(parse_number("-Inf"), Ok(f64::NEG_INFINITY));
    assert!(parse_number("NaN").unwrap().is_nan());
    for not in ["{} 1", "foo", "foo 1", "1 2", ""] {
        assert!(parse_number(not).is_err(), "{not:?} is not a number");
    }
}

// ---- series descriptions ----

#[test]
fn expanding_notation() {
    assert_eq!(vals("1+2x3"), v(&[1.0, 3.0, 5.0, 7.0]));
    assert_eq!(vals("1-1x3"), v(&[1.0, 0.0, -1.0, -2.0]));
    assert_eq!(vals("5x2"), v(&[5.0, 5.0, 5.0]));
    assert_eq!(vals("0x10"), v(&[0.0; 11]));
    assert_eq!(vals("-1x2"), v(&[-1.0, -1.0, -1.0]));
    assert_eq!(vals("-2+1x2"), v(&[-2.0, -1.0, 0.0]));
    assert_eq!(vals("1e3 .5 2. +3"), v(&[1000.0, 0.5, 2.0, 3.0]));
    assert_eq!(vals("0.1+0.1x2"), v(&[0.1, 0.1 + 0.1, 0.1 + 0.1 + 0.1]));
    assert_eq!(
        vals("1 _ 2 _x3 3"),
        vec![
            SeqValue::Value(1.0),
            SeqValue::Omitted,
            SeqValue::Value(2.0),
            SeqValue::Omitted,
            SeqValue::Omitted,
            SeqValue::Omitted,
            SeqValue::Value(3.0),
        ]
    );
    assert_eq!(vals("_x0 1"), v(&[1.0]));
    assert_eq!(vals("1x0"), v(&[1.0]));
}

#[test]
fn special_values() {
    let got = vals("stale Inf -Inf NaN inf nan");
    let SeqValue::Value(s) = got[0] else {
        panic!("stale is a value")
    };
    assert!(is_stale_nan(s));
    assert_eq!(got[1], SeqValue::Value(f64::INFINITY));
    assert_eq!(got[2], SeqValue::Value(f64::NEG_INFINITY));
    let SeqValue::Value(n) = got[3] else {
        panic!("NaN is a value")
    };
    assert!(n.is_nan() && !is_stale_nan(n));
    assert_eq!(got[4], SeqValue::Value(f64::INFINITY));
    assert!(matches!(got[5], SeqValue::Value(x) if x.is_nan()));
    // A NaN is not the staleness marker and vice versa.
    assert_ne!(got[0], got[3]);
}

#[test]
fn metric_part() {
    let d = parse_series_desc(r#"http_requests{job="api", instance='0', x=`a\b`} 1"#).unwrap();
    assert_eq!(
        d.labels,
        labels(&[
            ("__name__", "http_requests"),
            ("job", "api"),
            ("instance", "0"),
            ("x", r"a\b"),
        ])
    );
    assert_eq!(
        parse_series_desc("{} 92").unwrap().labels,
        Labels::default()
    );
    assert_eq!(
        parse_series_desc("{a=\"b\",} 1").unwrap().labels,
        labels(&[("a", "b")])
    );
    assert_eq!(
        parse_series_desc("metric1_total{} 100").unwrap().labels,
        labels(&[("__name__", "metric1_total")])
    );
    assert_eq!(
        parse_series_desc(r#"{"some.metric", "label.name"="v\"q\n"} 1"#)
            .unwrap()
            .labels,
        labels(&[("__name__", "some.metric"), ("label.name", "v\"q\n")])
    );
    assert_eq!(
        parse_series_desc("ns:metric_1 \t 1 2").unwrap().values,
        v(&[1.0, 2.0])
    );
}

#[test]
fn histogram_values_are_flagged_not_parsed() {
    let d = parse_series_desc("h {{schema:0 sum:5 count:4 buckets:[1 2 1]}}x3").unwrap();
    assert!(d.histogram);
    assert!(d.values.is_empty());
    assert_eq!(d.labels, labels(&[("__name__", "h")]));
}

#[test]
fn bad_series_descriptions() {
    for bad in [
        "foo",
        "foo ",
        "foo 1+2",
        "foo 1x",
        "foo 1xa",
        "foo x",
        "foo stalex3",
        "foo{a} 1",
        "foo{a=b} 1",
        "foo{a=\"b\" 1",
        "foo{a=\"b\"}1",
        "foo{a=\"1\",a=\"2\"} 1",
        "foo _x",
        "foo 1 abc",
    ] {
        assert!(parse_series_desc(bad).is_err(), "{bad:?} should not parse");
    }
}

// ---- commands ----

#[test]
fn load_command() {
    let l = only_load("load 5m\n  a{x=\"1\"} 1+1x2\n  b _ 3\n  a{x=\"1\"} 9\n");
    assert_eq!(l.step_ms, 300_000);
    assert!(!l.with_nhcb);
    assert_eq!(
        l.series.len(),
        2,
        "a later definition replaces an earlier one"
    );
    assert_eq!(l.series[0].desc.values, v(&[9.0]));
    assert_eq!(
        l.series[1].desc.values,
        vec![SeqValue::Omitted, SeqValue::Value(3.0)]
    );
    let l = only_load("load_with_nhcb 1m\n  h_bucket{le=\"1\"} 1\n");
    assert!(l.with_nhcb);
    assert_eq!(l.step_ms, 60_000);
    assert!(invalid("load\n a 1").contains("invalid load command"));
    assert!(invalid("load 5q\n a 1").contains("invalid step definition"));
    assert!(invalid("load 5m\n a 1+").contains("invalid series values"));
}

#[test]
fn load_start_timestamp_lines() {
    let l = only_load("load 1m\n  c{t=\"x\"}@st _ -1mx2\n  c{t=\"x\"} 1 2 3 4\n  d 1\n");
    assert!(l.series[0].start_timestamps);
    assert!(!l.series[1].start_timestamps);
    let l = only_load("load 1m\n  @st -30s\n  c 1 2\n");
    assert!(l.series[0].start_timestamps);
    assert!(invalid("load 1m\n  c@st -1m\n").contains("no following sample line"));
    assert!(invalid("load 1m\n  c@st -1m\n  d 1\n").contains("does not match"));
    assert!(invalid("load 1m\n  c@st -1mx2\n  c 1\n").contains("has 3 values"));
}

#[test]
fn clear_and_invalid_commands() {
    let cmds = parse_script("clear\n\nbogus command\nstill bogus\n\nCLEAR\n");
    assert_eq!(cmds.len(), 3);
    assert!(matches!(cmds[0].command, Command::Clear));
    assert_eq!(cmds[0].line, 1);
    assert!(matches!(&cmds[1].command, Command::Invalid(m) if m.contains("invalid command")));
    assert_eq!(cmds[1].line, 3);
    assert!(matches!(cmds[2].command, Command::Clear));
    assert_eq!(cmds[2].line, 6);
}

#[test]
fn eval_instant() {
    let e = only_eval("eval instant at 1h30m sum by (a) (foo)\n  {a=\"x\"} 3\n  {a=\"y\"} NaN\n");
    assert_eq!(e.expr, "sum by (a) (foo)");
    assert!(!e.is_range);
    assert_eq!((e.start, e.eval, e.end), (5_400_000, 5_400_000, i64::MIN));
    assert_eq!(e.expected.len(), 2);
    assert_eq!(e.expected[0].labels, labels(&[("a", "x")]));
    assert_eq!(e.expected[0].pos, 1);
    assert_eq!(e.expected[1].pos, 2);
    assert!(!e.is_ordered() && !e.is_fail());
    assert!(e.expected_scalar.is_none());

    let e = only_eval("eval instant at 0 1 + 1\n  2\n");
    assert_eq!(e.expected_scalar, Some(2.0));
    assert_eq!(e.eval, 0);

    assert!(
        invalid("eval instant at 5m foo\n  foo 1 2\n").contains("expecting multiple values"),
        "several values need expect range vector"
    );
    assert!(invalid("eval instant at 5x foo\n").contains("invalid timestamp"));
    assert!(invalid("eval instant foo\n").contains("invalid"));
}

#[test]
fn eval_range() {
    let e = only_eval("eval range from 0 to 10m step 5m foo\n  foo{a=\"1\"} 1 _ 3\n  foo 1+1x2\n");
    assert!(e.is_range);
    assert_eq!((e.start, e.end, e.step), (0, 600_000, 300_000));
    assert_eq!(
        e.expected[0].values,
        vec![
            SeqValue::Value(1.0),
            SeqValue::Omitted,
            SeqValue::Value(3.0)
        ]
    );
    assert_eq!(e.expected[1].values, v(&[1.0, 2.0, 3.0]));
    assert!(invalid("eval range from 10m to 0 step 5m foo\n").contains("before start"));
    assert!(invalid("eval_ordered range from 0 to 10m step 5m foo\n").contains("invalid"));
}

#[test]
fn old_spellings() {
    let e = only_eval("eval_fail instant at 0 foo\n  expected_fail_message boom here\n");
    assert!(e.fail && e.is_fail());
    assert_eq!(e.expected_fail_message, "boom here");
    let e = only_eval("eval_fail instant at 0 foo\n  expected_fail_regexp bo+m\n");
    assert!(e.expected_fail_regexp.unwrap().is_match("a boooom"));
    let e = only_eval("eval_ordered instant at 0 foo\n");
    assert!(e.ordered && e.is_ordered());
    assert!(only_eval("eval_warn instant at 0 foo\n").warn);
    assert!(only_eval("eval_info instant at 0 foo\n").info);
    assert!(only_eval("eval_warn range from 0 to 1m step 1m foo\n").warn);
    assert!(only_eval("eval_fail range from 0 to 1m step 1m foo\n").fail);
    // Without eval_fail the expected_fail lines are no keywords.
    assert!(
        parse_script("eval instant at 0 foo\n  expected_fail_message x\n")[0]
            .command
            .clone()
            .is_invalid()
    );
}

impl Command {
    fn is_invalid(&self) -> bool {
        matches!(self, Command::Invalid(_))
    }
}

#[test]
fn expect_lines() {
    let e = only_eval(
        "eval instant at 1m foo\n  expect ordered\n  expect fail msg: some error \n  \
         expect warn regex: a.c\n  expect warn\n  expect no_info\n  foo 1\n",
    );
    assert!(e.is_ordered() && e.is_fail());
    assert!(matches!(&e.expect_fail[0], ExpectMatch::Message(m) if m == "some error"));
    assert!(e.expect_warn[0].matches("xabcx") && !e.expect_warn[0].matches("ac"));
    assert!(e.expect_warn[1].matches("anything at all"));
    assert!(e.expect_no_info && !e.expect_no_warn);
    assert_eq!(e.expected.len(), 1);
    assert_eq!(e.expected[0].pos, 1, "expect lines take no position");

    let e =
        only_eval("eval instant at 1m foo\n  expect info msg: PromQL info: x\n  expect no_warn\n");
    assert!(e.expect_info[0].matches("PromQL info: x"));
    assert!(e.expect_no_warn);
    let e = only_eval("eval instant at 1m foo\n  expect fail regex: conflicting label\n");
    assert!(e.expect_fail[0].matches("found duplicate series: conflicting labels"));

    assert!(invalid("eval instant at 1m foo\n  expect warn\n  expect no_warn\n").contains("warn"));
    assert!(invalid("eval instant at 1m foo\n  expect info\n  expect no_info\n").contains("info"));
    assert!(invalid("eval instant at 1m foo\n  expect fail\n  expect fail\n").contains("multiple"));
    assert!(invalid("eval instant at 1m foo\n  expect bogus\n").contains("invalid expect"));
    assert!(invalid("eval instant at 1m foo\n  expect fail regex: (\n").contains("invalid regex"));
    // `expect{}` is a metric named expect.
    let e = only_eval("eval instant at 1m expect\n  expect{} 1\n");
    assert_eq!(e.expected[0].labels, labels(&[("__name__", "expect")]));
}

#[test]
fn expect_range_vector_and_string() {
    let e = only_eval(
        "eval instant at 1m foo[50s]\n  expect range vector from 10s to 1m step 10s\n  \
         foo 1 2 _ 4 5 6\n",
    );
    assert!(e.range_vector && e.exclude_from_range_query);
    assert_eq!(
        (e.start, e.end, e.step, e.eval),
        (10_000, 60_000, 10_000, 60_000)
    );
    assert_eq!(e.expected[0].values.len(), 6);
    assert!(
        invalid("eval instant at 1m foo[1m]\n  expect range vector from 1m to 0 step 10s\n")
            .contains("before start")
    );

    let e = only_eval("eval instant at 0 \"Foo\"\n  expect string \"Foo\"\n");
    assert_eq!(e.expected_string, "Foo");
    assert!(e.exclude_from_range_query);
    assert_eq!(
        only_eval("eval instant at 0 `Foo`\n  expect string `Foo`\n").expected_string,
        "Foo"
    );
    assert_eq!(
        only_eval("eval instant at 0 \" Foo \"\n  expect string \" Foo \"\n").expected_string,
        " Foo "
    );
    assert_eq!(
        only_eval("eval instant at 0 \"\"\n  expect string \"\"\n").expected_string,
        ""
    );
    assert!(invalid("eval instant at 0 \"x\"\n  expect string\n").contains("quoted"));
    assert!(invalid("eval instant at 0 \"x\"\n  expect string x\n").contains("quoted"));
}

#[test]
fn scalar_line_ends_the_eval() {
    let cmds = parse_script("eval instant at 0 1\n  1\nclear\n");
    assert_eq!(cmds.len(), 2);
    assert!(matches!(cmds[1].command, Command::Clear));
    assert_eq!(cmds[1].line, 3);
}

#[test]
fn histogram_expectations_are_flagged() {
    let e = only_eval("eval instant at 0 h\n  h {{count:1 sum:1}}\n");
    assert!(e.expects_histogram);
}

// ---- comparison ----

#[test]
fn almost_equal_as_upstream() {
    assert!(almost_equal(1.0, 1.0, EPSILON));
    assert!(almost_equal(1.0, 1.0 + 1e-7, EPSILON));
    assert!(!almost_equal(1.0, 1.00001, EPSILON));
    assert!(almost_equal(1e300, 1e300 * (1.0 + 1e-7), EPSILON));
    assert!(almost_equal(f64::NAN, f64::NAN, EPSILON));
    assert!(almost_equal(stale_nan(), stale_nan(), EPSILON));
    assert!(!almost_equal(stale_nan(), f64::NAN, EPSILON));
    assert!(!almost_equal(f64::NAN, stale_nan(), EPSILON));
    assert!(!almost_equal(f64::NAN, 1.0, EPSILON));
    assert!(almost_equal(f64::INFINITY, f64::INFINITY, EPSILON));
    assert!(!almost_equal(f64::INFINITY, f64::NEG_INFINITY, EPSILON));
    assert!(!almost_equal(0.0, 1e-300, EPSILON));
    assert!(almost_equal(0.0, -0.0, EPSILON));
}

fn sample(l: &[(&str, &str)], v: f64) -> Sample {
    Sample {
        labels: labels(l),
        t: 0,
        v,
    }
}

#[test]
fn compare_vectors() {
    let e = only_eval("eval instant at 0 foo\n  foo{a=\"1\"} 1\n  foo{a=\"2\"} 2\n");
    let a1 = sample(&[("__name__", "foo"), ("a", "1")], 1.0);
    let a2 = sample(&[("__name__", "foo"), ("a", "2")], 2.0);
    let ok = Value::Vector(vec![a2.clone(), a1.clone()]);
    assert_eq!(compare_result(&e, &ok), Ok(()), "order does not matter");
    let missing = compare_result(&e, &Value::Vector(vec![a1.clone()])).unwrap_err();
    assert!(missing.contains("not found"), "{missing}");
    let extra = sample(&[("__name__", "foo"), ("a", "3")], 3.0);
    let err = compare_result(&e, &Value::Vector(vec![a1.clone(), a2.clone(), extra])).unwrap_err();
    assert!(err.contains("unexpected metric"), "{err}");
    let wrong = sample(&[("__name__", "foo"), ("a", "2")], 2.1);
    let err = compare_result(&e, &Value::Vector(vec![a1.clone(), wrong])).unwrap_err();
    assert!(err.contains("expected 2"), "{err}");
    let err = compare_result(&e, &Value::Scalar { t: 0, v: 1.0 }).unwrap_err();
    assert!(err.contains("scalar"), "{err}");

    let ordered = only_eval("eval_ordered instant at 0 foo\n  foo{a=\"1\"} 1\n  foo{a=\"2\"} 2\n");
    assert_eq!(
        compare_result(&ordered, &Value::Vector(vec![a1.clone(), a2.clone()])),
        Ok(())
    );
    let err = compare_result(&ordered, &Value::Vector(vec![a2, a1])).unwrap_err();
    assert!(err.contains("position"), "{err}");

    let empty = only_eval("eval instant at 0 foo\n");
    assert_eq!(compare_result(&empty, &Value::Vector(vec![])), Ok(()));

    let stale = only_eval("eval instant at 0 foo\n  foo stale\n");
    let nan = sample(&[("__name__", "foo")], f64::NAN);
    assert!(compare_result(&stale, &Value::Vector(vec![nan])).is_err());
}

#[test]
fn compare_scalars_and_strings() {
    let e = only_eval("eval instant at 0 1\n  1\n");
    assert_eq!(compare_result(&e, &Value::Scalar { t: 0, v: 1.0 }), Ok(()));
    assert!(compare_result(&e, &Value::Scalar { t: 0, v: 2.0 }).is_err());
    assert!(compare_result(&e, &Value::Vector(vec![])).is_err());
    let e = only_eval("eval instant at 0 foo\n  {} 1\n");
    assert!(compare_result(&e, &Value::Scalar { t: 0, v: 1.0 }).is_err());
    let e = only_eval("eval instant at 0 \"a\"\n  expect string \"a\"\n");
    let s = |v: &str| Value::String {
        t: 0,
        v: v.to_string(),
    };
    assert_eq!(compare_result(&e, &s("a")), Ok(()));
    assert!(compare_result(&e, &s("b")).is_err());
}

#[test]
fn compare_matrices() {
    let e = only_eval(
        "eval range from 0 to 2m step 1m foo\n  foo{a=\"1\"} 1 _ 3\n  foo{a=\"2\"} 5x2\n",
    );
    let s1 = Series {
        labels: labels(&[("__name__", "foo"), ("a", "1")]),
        points: vec![(0, 1.0), (120_000, 3.0)],
    };
    let s2 = Series {
        labels: labels(&[("__name__", "foo"), ("a", "2")]),
        points: vec![(0, 5.0), (60_000, 5.0), (120_000, 5.0)],
    };
    assert_eq!(
        compare_result(&e, &Value::Matrix(vec![s1.clone(), s2.clone()])),
        Ok(())
    );
    let err = compare_result(&e, &Value::Matrix(vec![s2.clone(), s1.clone()])).unwrap_err();
    assert!(err.contains("sorted"), "{err}");
    let mut shifted = s1.clone();
    shifted.points[1].0 = 60_000;
    let err = compare_result(&e, &Value::Matrix(vec![shifted, s2.clone()])).unwrap_err();
    assert!(err.contains("timestamp"), "{err}");
    let mut short = s2.clone();
    short.points.pop();
    let err = compare_result(&e, &Value::Matrix(vec![s1.clone(), short])).unwrap_err();
    assert!(err.contains("expected 3 float points"), "{err}");
    let err = compare_result(&e, &Value::Matrix(vec![s1.clone()])).unwrap_err();
    assert!(err.contains("not found"), "{err}");

    let too_many = only_eval("eval range from 0 to 1m step 1m foo\n  foo 1 2 3\n");
    let s = Series {
        labels: labels(&[("__name__", "foo")]),
        points: vec![(0, 1.0), (60_000, 2.0)],
    };
    let err = compare_result(&too_many, &Value::Matrix(vec![s])).unwrap_err();
    assert!(err.contains("cannot return this many points"), "{err}");

    let ordered = only_eval("eval_ordered instant at 0 foo[1m]\n");
    assert!(compare_result(&ordered, &Value::Matrix(vec![])).is_err());
}

// ---- query inspection ----

#[test]
fn experimental_syntax_is_detected() {
    for expr in [
        "changes(http_requests[26m+4m])",
        "changes(http_requests[2m*(10+5)])",
        "changes(http_requests[-5m+35m])",
        "sum_over_time(m[29s+1s:5s+5s])",
        "metric1_total offset (100 + 2)",
        "metric1_total offset -(2 * 2)",
        "count_over_time(metric1_total[step()])",
        "count_over_time(metric1_total[1+(STep()-5)*2])",
        "metric1_total offset min_of(step(), 1s)",
        "m offset range()",
        "m[end() - start()]",
        "increase(metric[1m] anchored)",
        "rate(metric[1m] smoothed)",
        "left_vector + fill(0) right_vector",
        "left_vector + fill_left(5) fill_right(7) right_vector",
    ] {
        assert!(experimental_feature(expr).is_some(), "{expr}");
    }
    for expr in [
        "rate(foo[5m])",
        "foo offset 5m",
        "foo offset -5m",
        "metric1_total offset 100 + 2",
        "foo @ start()",
        "foo @ end() - foo @ start()",
        "sum_over_time(foo[5m:1m] @ 100)",
        "foo{a=\"[1+2]\", b=~\"fill(.*)\"}",
        "label_replace(foo, \"dst\", \"$1\", \"src\", \"(anchored)\")",
        "-foo",
        "foo - bar",
    ] {
        assert_eq!(experimental_feature(expr), None, "{expr}");
    }
    assert!(super::expr::uses_native_histogram_function(
        "histogram_count(rate(h[5m]))"
    ));
    assert!(!super::expr::uses_native_histogram_function(
        "histogram_quantile(0.9, rate(h_bucket[5m]))"
    ));
}

#[test]
fn selected_metric_names() {
    assert_eq!(
        selected_names("sum(rate(a[5m])) / b{x=\"1\"} + on() group_left c"),
        Some(vec!["a".to_string(), "b".to_string(), "c".to_string()])
    );
    assert_eq!(
        selected_names("{__name__=\"a\"}"),
        Some(vec!["a".to_string()])
    );
    assert_eq!(selected_names("{job=\"x\"}"), None);
    assert_eq!(selected_names("1 + 1"), Some(vec![]));
    assert_eq!(selected_names("sum("), None);
}

#[test]
fn at_modifier_variants() {
    let cases = at_modifier_cases("foo", 3_000_000);
    let times: Vec<i64> = cases.iter().map(|c| c.1).collect();
    assert_eq!(times, vec![-30_000_000, 0, 600_000, 3_000_000, 30_000_000]);
    assert!(cases.iter().all(|c| c.0 == "foo @ 3000.000"), "{cases:?}");

    let times: Vec<i64> = at_modifier_cases("foo", 0).iter().map(|c| c.1).collect();
    assert_eq!(times, vec![-1000, 0, 1000]);

    let (q, _) = at_modifier_cases("rate(foo[5m]) + bar @ 100", 60_000).remove(0);
    assert_eq!(q, "rate(foo[5m] @ 60.000) + bar @ 100.000");
    let (q, _) = at_modifier_cases("foo @ start()", 60_000).remove(0);
    assert_eq!(
        q, "foo @ 60.000",
        "start()/end() give way as upstream's printer does"
    );
    let (q, _) = at_modifier_cases("max_over_time(rate(foo[1m])[5m:1m])", 60_000).remove(0);
    assert_eq!(q, "max_over_time(rate(foo[1m])[5m:1m] @ 60.000)");

    assert!(at_modifier_cases("time()", 60_000).is_empty());
    assert!(at_modifier_cases("timestamp(foo)", 60_000).is_empty());
    assert!(at_modifier_cases("predict_linear(foo[5m], 60)", 60_000).is_empty());
    assert!(at_modifier_cases("sum(", 60_000).is_empty());
}

// ---- the runner, over a fake engine ----

/// A tiny engine: bare metric names (5m lookback, staleness), `name[d]`
/// range selectors, number and string literals, and a few magic queries.
struct Fake(Arc<Tsdb>);

const LOOKBACK: i64 = 300_000;

impl Fake {
    fn latest(&self, name: &str, t: i64) -> Vec<Sample> {
        let m = [Matcher::new(MatchType::Equal, "__name__", name).unwrap()];
        self.0
            .select(&m, t - LOOKBACK + 1, t)
            .into_iter()
            .filter_map(|s| {
                let (_, v) = s.samples().last()?;
                (!is_stale_nan(v)).then(|| Sample {
                    labels: s.labels.clone(),
                    t,
                    v,
                })
            })
            .collect()
    }

    fn eval(&self, q: &str, t: i64) -> crate::Result<Output> {
        let out = |value| Output {
            value,
            warnings: vec![],
            infos: vec![],
        };
        if q.starts_with("wrong_at_other_times") {
            // Ignores its `@`: differs at other evaluation times.
            return Ok(out(Value::Scalar {
                t,
                v: if t == 60_000 { 1.0 } else { 2.0 },
            }));
        }
        // `@ <secs>` as the printer writes it.
        let (q, t) = match q.split_once(" @ ") {
            Some((q, at)) => (q, (at.parse::<f64>().unwrap() * 1000.0) as i64),
            None => (q, t),
        };
        match q {
            "fail_me" => return Err(Error::Execution("boom".into())),
            "unsupported_me" => return Err(Error::Unsupported("native histograms".into())),
            "panic_me" => panic!("fake engine panic"),
            "warn_me" => {
                return Ok(Output {
                    value: Value::Vector(vec![]),
                    warnings: vec!["PromQL warning: w1".into(), "w2".into()],
                    infos: vec![],
                });
            }
            "info_me" => {
                return Ok(Output {
                    value: Value::Vector(vec![]),
                    warnings: vec![],
                    infos: vec!["PromQL info: i1".into()],
                });
            }
            _ => {}
        }
        if let Ok(v) = q.parse::<f64>() {
            return Ok(out(Value::Scalar { t, v }));
        }
        if let Some(s) = q.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
            return Ok(out(Value::String {
                t,
                v: s.to_string(),
            }));
        }
        if let Some((name, d)) = q.strip_suffix(']').and_then(|q| q.split_once('[')) {
            let d = super::parse::parse_duration(d).unwrap();
            let m = [Matcher::new(MatchType::Equal, "__name__", name).unwrap()];
            let series = self
                .0
                .select(&m, t - d + 1, t)
                .into_iter()
                .map(|s| Series {
                    labels: s.labels.clone(),
                    points: s.samples().filter(|p| !is_stale_nan(p.1)).collect(),
                })
                .filter(|s| !s.points.is_empty())
                .collect();
            return Ok(out(Value::Matrix(series)));
        }
        if q.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Ok(out(Value::Vector(self.latest(q, t))));
        }
        Err(Error::Parse(format!("fake engine cannot parse {q:?}")))
    }
}

impl Querier for Fake {
    fn instant(&self, query: &str, t: i64) -> crate::Result<Output> {
        self.eval(query, t)
    }

    fn range(&self, query: &str, start: i64, end: i64, step: i64) -> crate::Result<Output> {
        let mut series: Vec<Series> = Vec::new();
        let mut warnings = Vec::new();
        let mut t = start;
        while t <= end {
            let out = self.eval(query, t)?;
            warnings.extend(out.warnings);
            let samples = match out.value {
                Value::Vector(v) => v,
                Value::Scalar { v, .. } => vec![Sample {
                    labels: Labels::default(),
                    t,
                    v,
                }],
                other => {
                    return Err(Error::Execution(format!(
                        "invalid expression type {} for range query",
                        other.type_name()
                    )));
                }
            };
            for s in samples {
                match series.iter_mut().find(|x| x.labels == s.labels) {
                    Some(x) => x.points.push((t, s.v)),
                    None => series.push(Series {
                        labels: s.labels,
                        points: vec![(t, s.v)],
                    }),
                }
            }
            t += step;
        }
        series.sort_by(|a, b| a.labels.cmp(&b.labels));
        Ok(Output {
            value: Value::Matrix(series),
            warnings,
            infos: vec![],
        })
    }
}

fn run_fake(script: &str) -> Vec<(usize, Outcome)> {
    run_detailed(script, Fake)
        .into_iter()
        .map(|r| (r.line, r.outcome))
        .collect()
}

fn is_fail(o: &Outcome, needle: &str) -> bool {
    matches!(o, Outcome::Fail(m) if m.contains(needle))
}

#[test]
fn runner_loads_and_evaluates() {
    let script = r#"
load 1m
  foo{a="1"} 1+1x4
  foo{a="2"} _ 5 _ stale _ 9
  bar 7

eval instant at 2m foo
  foo{a="1"} 3
  foo{a="2"} 5

eval instant at 3m foo
  foo{a="1"} 4

eval instant at 2m foo
  foo{a="1"} 3

eval instant at 2m foo
  foo{a="1"} 3
  foo{a="2"} 6

eval range from 0 to 4m step 1m foo
  foo{a="1"} 1+1x4
  foo{a="2"} _ 5 5 _ _

eval range from 0 to 4m step 1m foo
  foo{a="1"} 1+1x4

eval instant at 30m foo

eval instant at 1m bar[2m]
  expect range vector from 0 to 1m step 1m
  bar 7

eval instant at 0 2.5
  2.5

eval instant at 0 "hi"
  expect string "hi"

clear

eval instant at 2m foo
"#;
    let got = run_fake(script);
    assert_eq!(got.len(), 11, "{got:?}");
    assert_eq!(got[0], (7, Outcome::Pass));
    assert_eq!(got[1], (11, Outcome::Pass), "stale ends the series");
    assert!(is_fail(&got[2].1, "unexpected metric"), "{got:?}");
    assert_eq!(got[2].0, 14);
    assert!(is_fail(&got[3].1, "expected 6"), "{got:?}");
    assert_eq!(got[4].1, Outcome::Pass, "{got:?}");
    assert!(is_fail(&got[5].1, "unexpected metric"), "{got:?}");
    assert_eq!(got[6].1, Outcome::Pass, "lookback over");
    assert_eq!(got[7].1, Outcome::Pass, "{got:?}");
    assert_eq!(got[8].1, Outcome::Pass, "{got:?}");
    assert_eq!(got[9].1, Outcome::Pass, "{got:?}");
    assert_eq!(got[10].1, Outcome::Pass, "clear empties the storage");
}

#[test]
fn runner_failures_warnings_and_skips() {
    let script = r#"
eval instant at 0 fail_me
  expect fail msg: boom

eval instant at 0 fail_me
  expect fail msg: bang

eval instant at 0 fail_me
  expect fail regex: ^bo+m$

eval_fail instant at 0 fail_me

eval_fail instant at 0 fail_me
  expected_fail_message boom

eval_fail instant at 0 fail_me
  expected_fail_regexp xyz

eval instant at 0 1
  expect fail

eval range from 0 to 1m step 1m fail_me
  expect fail

eval instant at 0 fail_me

eval instant at 0 warn_me
  expect warn msg: PromQL warning: w1
  expect warn msg: PromQL warning: w2

eval instant at 0 warn_me
  expect warn msg: PromQL warning: w1

eval instant at 0 warn_me
  expect no_warn

eval_warn instant at 0 warn_me

eval_warn instant at 0 1
  1

eval instant at 0 info_me
  expect info regex: i1
  expect no_warn

eval_info instant at 0 warn_me

eval instant at 0 info_me
  expect no_info

eval instant at 0 warn_me

eval instant at 0 unsupported_me

eval instant at 0 panic_me

eval instant at 0 histogram_count(foo)

eval instant at 0 foo[1m+1m]
"#;
    let got = run_fake(script);
    let outcomes: Vec<&Outcome> = got.iter().map(|g| &g.1).collect();
    assert_eq!(got.len(), 22, "{got:?}");
    assert_eq!(outcomes[0], &Outcome::Pass);
    assert!(is_fail(outcomes[1], "bang"), "{got:?}");
    assert_eq!(outcomes[2], &Outcome::Pass);
    assert_eq!(outcomes[3], &Outcome::Pass);
    assert_eq!(outcomes[4], &Outcome::Pass);
    assert!(is_fail(outcomes[5], "xyz"), "{got:?}");
    assert!(is_fail(outcomes[6], "but got none"), "{got:?}");
    assert_eq!(outcomes[7], &Outcome::Pass);
    assert!(is_fail(outcomes[8], "boom"), "{got:?}");
    assert_eq!(
        outcomes[9],
        &Outcome::Pass,
        "annotations are prefixed as upstream's"
    );
    assert!(
        is_fail(outcomes[10], "unexpected warn annotation"),
        "{got:?}"
    );
    assert!(is_fail(outcomes[11], "unexpected warning"), "{got:?}");
    assert_eq!(outcomes[12], &Outcome::Pass);
    assert!(is_fail(outcomes[13], "expected warnings"), "{got:?}");
    assert_eq!(outcomes[14], &Outcome::Pass);
    assert!(is_fail(outcomes[15], "expected info"), "{got:?}");
    assert!(is_fail(outcomes[16], "unexpected info"), "{got:?}");
    assert_eq!(
        outcomes[17],
        &Outcome::Pass,
        "unexpected warnings are fine by default"
    );
    assert!(matches!(outcomes[18], Outcome::Skip(_)), "{got:?}");
    assert!(is_fail(outcomes[19], "panicked"), "{got:?}");
    assert!(
        matches!(outcomes[20], Outcome::Skip(m) if m.contains("native")),
        "{got:?}"
    );
    assert!(
        matches!(outcomes[21], Outcome::Skip(m) if m.contains("experimental")),
        "{got:?}"
    );
}

#[test]
fn runner_checks_other_times_and_range_mode() {
    // The scalar differs at other evaluation times: the @ variants catch it.
    let got = run_fake("eval instant at 1m wrong_at_other_times\n  1\n");
    assert!(is_fail(&got[0].1, "expected scalar 1 but got 2"), "{got:?}");
    // A matrix result of an instant query cannot be re-run as a range query.
    let got = run_fake("load 1m\n  bar 1 2\n\neval instant at 10m bar[2m]\n");
    assert!(is_fail(&got[0].1, "range mode"), "{got:?}");
}

#[test]
fn runner_skips_histogram_and_start_timestamp_data() {
    let script = r#"
load 1m
  h {{schema:0 count:1 sum:1}}x2
  f 1 2

eval instant at 1m h

eval instant at 1m f
  f 2

eval instant at 1m {__name__=~".+"}

clear

load_with_nhcb 1m
  hist_bucket{le="1"} 1 2
  hist_bucket{le="+Inf"} 2 4

eval instant at 1m hist

eval instant at 1m hist_bucket
  hist_bucket{le="1"} 2
  hist_bucket{le="+Inf"} 4

clear

load 1m
  c@st _ -1m
  c 1 2
  d 3

eval instant at 1m c

eval instant at 1m d
  d 3

eval instant at 1m h
  h {{count:1}}
"#;
    let got = run_fake(script);
    let outcomes: Vec<&Outcome> = got.iter().map(|g| &g.1).collect();
    assert_eq!(got.len(), 8, "{got:?}");
    assert!(matches!(outcomes[0], Outcome::Skip(_)));
    assert_eq!(outcomes[1], &Outcome::Pass);
    assert!(
        matches!(outcomes[2], Outcome::Skip(_)),
        "selectors that can reach the histogram"
    );
    assert!(matches!(outcomes[3], Outcome::Skip(_)), "nhcb base name");
    assert_eq!(outcomes[4], &Outcome::Pass, "{got:?}");
    assert!(matches!(outcomes[5], Outcome::Skip(_)), "start timestamps");
    assert_eq!(outcomes[6], &Outcome::Pass);
    assert!(
        matches!(outcomes[7], Outcome::Skip(_)),
        "histogram expectation"
    );
}

#[test]
fn runner_reports_bad_commands_and_loads() {
    let script = "bogus\n\nload 1m\n  a 1 2\n\nload 1m\n  a 5\n\neval instant at 1m a\n  a 2\n";
    let got = run_fake(script);
    assert_eq!(got.len(), 3, "{got:?}");
    assert!(is_fail(&got[0].1, "invalid command"));
    assert_eq!(got[0].0, 1);
    assert!(is_fail(&got[1].1, "load of a"), "{got:?}");
    assert_eq!(got[1].0, 6);
    assert_eq!(got[2].1, Outcome::Pass);
}

#[test]
fn summary_display() {
    let s = super::Summary {
        passed: 3,
        failed: 1,
        skipped: 2,
        failures: vec!["x.test:4: expected 1, got 2".into()],
        ..Default::default()
    };
    assert_eq!(
        s.to_string(),
        "x.test:4: expected 1, got 2\n3 passed, 1 failed, 2 skipped"
    );
}

// ---- end to end, with the real engine ----

fn fixtures_dir() -> PathBuf {
    let crate_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = crate_dir.parent().and_then(|p| p.parent()).unwrap();
    root.join("fixtures/promql")
}

fn run_dir(dir: &std::path::Path) -> super::Summary {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "test"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no .test files in {}", dir.display());
    let mut total = super::Summary::default();
    for f in files {
        let s = super::run_file(&f).unwrap();
        println!(
            "{}: {} passed, {} failed, {} skipped",
            f.display(),
            s.passed,
            s.failed,
            s.skipped
        );
        total.merge(s);
    }
    println!("{total}");
    total
}

#[test]
fn fixtures_pass_with_the_engine() {
    let total = run_dir(&fixtures_dir());
    assert!(total.passed > 0);
    assert!(total.is_success(), "{total}");
}

/// Upstream's test data, when `OUTPOST_PROMQL_TESTDATA` names a directory
/// of `.test` files (`cargo test -- --ignored --nocapture upstream`); reports
/// the failures and why evaluations were skipped, does not assert.
#[test]
#[ignore]
fn upstream_testdata_report() {
    let Some(dir) = std::env::var_os("OUTPOST_PROMQL_TESTDATA") else {
        return;
    };
    let total = run_dir(std::path::Path::new(&dir));
    assert!(total.passed + total.failed + total.skipped > 0);
    let mut reasons: std::collections::BTreeMap<String, usize> = Default::default();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "test") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let results = run_detailed(&text, |tsdb| {
            crate::Engine::new(tsdb, super::engine_options(false))
        });
        for r in results {
            if let Outcome::Skip(why) = r.outcome {
                let why = why.split(" (").next().unwrap_or_default();
                let key = if why.starts_with("selects ") && !why.starts_with("selects unnamed") {
                    "selects native histogram / start timestamp data".to_string()
                } else {
                    why.chars().take(90).collect()
                };
                *reasons.entry(key).or_default() += 1;
            }
        }
    }
    for (why, n) in reasons {
        println!("skipped {n:5}: {why}");
    }
}

#[test]
#[ignore = "prints why upstream evaluations are skipped; run with --ignored"]
fn upstream_skip_reasons() {
    let dir = std::env::var("PROMQLTEST_DIR")
        .unwrap_or_else(|_| "../../../shared/conformance/promql-testdata/v3.14.0".into());
    let dir = std::path::Path::new(&dir);
    let mut total = Summary::default();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "test") {
            let mut s = run_file(&p).unwrap();
            let reasons = std::mem::take(&mut s.skip_reasons);
            for (r, n) in &reasons {
                println!("{:>5} {} {r}", n, p.file_name().unwrap().to_string_lossy());
            }
            total.merge(s);
        }
    }
    println!("{}", total);
}
