//! Engine behaviour on small data sets (the `.test` scripts cover the rest).
#![allow(clippy::type_complexity)] // literal test tables read best inline

use std::sync::Arc;

use outpost_tsdb::{HeadOptions, Labels, Tsdb, stale_nan};

use crate::{Engine, EngineOptions, Error, Value};

fn engine(series: &[(&[(&str, &str)], &[(i64, f64)])]) -> Engine {
    let db = Arc::new(Tsdb::new(HeadOptions::default()));
    let mut app = db.appender();
    for (labels, points) in series {
        let l = Labels::from_pairs(labels.iter().copied()).unwrap();
        for &(t, v) in *points {
            app.append_labels(&l, t, v).unwrap();
        }
    }
    drop(app);
    Engine::new(db, EngineOptions::default())
}

fn vector(e: &Engine, q: &str, t: i64) -> Vec<(String, f64)> {
    match e.instant(q, t).unwrap().value {
        Value::Vector(v) => v.into_iter().map(|s| (s.labels.to_string(), s.v)).collect(),
        other => panic!("{q}: {other:?}"),
    }
}

fn counter(i: i64) -> Vec<(i64, f64)> {
    (0..=i).map(|k| (k * 15_000, (k * 10) as f64)).collect()
}

#[test]
fn selectors_lookback_and_staleness() {
    let e = engine(&[
        (
            &[("__name__", "up"), ("job", "a")],
            &[(0, 1.0), (60_000, 0.0)],
        ),
        (
            &[("__name__", "up"), ("job", "b")],
            &[(0, 1.0), (30_000, stale_nan())],
        ),
    ]);
    assert_eq!(
        vector(&e, "up", 45_000),
        vec![("up{job=\"a\"}".into(), 1.0)]
    );
    assert_eq!(
        vector(&e, "up", 60_000),
        vec![("up{job=\"a\"}".into(), 0.0)]
    );
    assert_eq!(vector(&e, "up", 360_000).len(), 0, "past the 5m lookback");
    assert_eq!(
        vector(&e, "up offset 1m", 60_000).len(),
        2,
        "both had a sample at 0"
    );
    assert_eq!(vector(&e, "up @ 0", 999_000).len(), 2);
}

#[test]
fn rate_and_aggregations() {
    let c = counter(40);
    let e = engine(&[
        (
            &[
                ("__name__", "http_requests_total"),
                ("job", "a"),
                ("code", "200"),
            ],
            &c,
        ),
        (
            &[
                ("__name__", "http_requests_total"),
                ("job", "a"),
                ("code", "500"),
            ],
            &c,
        ),
        (
            &[
                ("__name__", "http_requests_total"),
                ("job", "b"),
                ("code", "200"),
            ],
            &c,
        ),
    ]);
    let r = vector(
        &e,
        "rate(http_requests_total{code=\"200\", job=\"a\"}[5m])",
        600_000,
    );
    assert_eq!(r.len(), 1);
    assert!((r[0].1 - 10.0 / 15.0).abs() < 1e-9, "{r:?}");
    assert_eq!(r[0].0, "{code=\"200\", job=\"a\"}");
    let s = vector(&e, "sum by (job) (rate(http_requests_total[5m]))", 600_000);
    assert_eq!(s.len(), 2);
    assert_eq!(
        vector(&e, "count(http_requests_total)", 600_000),
        vec![("{}".into(), 3.0)]
    );
    let top = vector(&e, "topk(1, http_requests_total)", 600_000);
    assert_eq!(top.len(), 1);
    let ratio = vector(
        &e,
        "sum by (job) (rate(http_requests_total{code=\"500\"}[5m])) / sum by (job) (rate(http_requests_total[5m]))",
        600_000,
    );
    assert_eq!(ratio, vec![("{job=\"a\"}".into(), 0.5)]);
}

#[test]
fn binary_matching_errors_and_bool() {
    let e = engine(&[
        (&[("__name__", "a"), ("x", "1"), ("y", "1")], &[(0, 1.0)]),
        (&[("__name__", "a"), ("x", "1"), ("y", "2")], &[(0, 2.0)]),
        (&[("__name__", "b"), ("x", "1")], &[(0, 10.0)]),
    ]);
    assert_eq!(vector(&e, "a * on(x) group_left b", 0).len(), 2);
    let err = e.instant("a * on(x) b", 0).unwrap_err();
    assert!(
        matches!(err, Error::Execution(ref m) if m.contains("many-to-one matching must be explicit")),
        "{err:?}"
    );
    let err = e.instant("b * on(x) a", 0).unwrap_err();
    assert!(
        matches!(err, Error::Execution(ref m) if m.contains("found duplicate series for the match group")),
        "{err:?}"
    );
    assert_eq!(
        vector(&e, "a > bool 1", 0),
        vec![
            ("{x=\"1\", y=\"1\"}".into(), 0.0),
            ("{x=\"1\", y=\"2\"}".into(), 1.0)
        ]
    );
    assert_eq!(
        vector(&e, "a > 1", 0),
        vec![("a{x=\"1\", y=\"2\"}".into(), 2.0)]
    );
    assert!(matches!(e.instant("sum(", 0), Err(Error::Parse(_))));
}

#[test]
fn range_queries_and_subqueries() {
    let e = engine(&[(&[("__name__", "m")], &counter(40))]);
    let out = e.range("m", 0, 60_000, 15_000).unwrap();
    let Value::Matrix(m) = out.value else {
        panic!()
    };
    assert_eq!(
        m[0].points,
        vec![
            (0, 0.0),
            (15_000, 10.0),
            (30_000, 20.0),
            (45_000, 30.0),
            (60_000, 40.0)
        ]
    );
    let v = vector(&e, "max_over_time(m[2m:1m])", 600_000);
    assert_eq!(v, vec![("{}".into(), 400.0)]);
    assert!(matches!(e.range("m[5m]", 0, 10, 1), Err(Error::Parse(_))));
    assert!(matches!(
        e.instant("histogram_count(m)", 0),
        Err(Error::Unsupported(_))
    ));
}

#[test]
fn histogram_quantile_over_classic_buckets() {
    let b = |le: &'static str, v: f64| -> (Vec<(&'static str, &'static str)>, Vec<(i64, f64)>) {
        (vec![("__name__", "h_bucket"), ("le", le)], vec![(0, v)])
    };
    let data = [
        b("0.1", 10.0),
        b("0.5", 50.0),
        b("1", 90.0),
        b("+Inf", 100.0),
    ];
    let refs: Vec<(&[(&str, &str)], &[(i64, f64)])> = data
        .iter()
        .map(|(l, p)| (l.as_slice(), p.as_slice()))
        .collect();
    let e = engine(&refs);
    let v = vector(&e, "histogram_quantile(0.5, h_bucket)", 0);
    assert_eq!(v.len(), 1);
    assert!((v[0].1 - 0.5).abs() < 1e-9, "{v:?}");
    let v = vector(&e, "histogram_quantile(0.99, h_bucket)", 0);
    assert_eq!(
        v[0].1, 1.0,
        "the +Inf bucket answers the largest finite bound"
    );
}

/// A random expression from a small grammar (selectors, operators,
/// aggregations, functions, subqueries), `depth` levels deep.
fn generate(rnd: &mut dyn FnMut(u64) -> u64, depth: u32) -> String {
    let leaf = |rnd: &mut dyn FnMut(u64) -> u64| -> String {
        match rnd(6) {
            0 => "a".into(),
            1 => "b{job=~\"x|y\"}".into(),
            2 => format!("{}", rnd(100) as f64 / 7.0),
            3 => "a offset 1m".into(),
            4 => "a @ 300".into(),
            _ => "vector(time())".into(),
        }
    };
    if depth == 0 {
        return leaf(rnd);
    }
    let sub = |rnd: &mut dyn FnMut(u64) -> u64| generate(rnd, depth - 1);
    match rnd(12) {
        0 => format!(
            "({} {} {})",
            sub(rnd),
            [
                "+", "-", "*", "/", "%", "^", "==", ">", "< bool", "and", "or", "unless", "atan2"
            ][rnd(13) as usize],
            sub(rnd)
        ),
        1 => format!(
            "{}({})",
            [
                "sum", "avg", "min", "max", "count", "group", "stddev", "stdvar"
            ][rnd(8) as usize],
            sub(rnd)
        ),
        2 => format!(
            "{} by (job) ({})",
            ["sum", "max", "count"][rnd(3) as usize],
            sub(rnd)
        ),
        3 => format!("topk({}, {})", rnd(4), sub(rnd)),
        4 => format!("quantile(0.{}, {})", rnd(10), sub(rnd)),
        5 => format!(
            "{}(a[{}m])",
            [
                "rate",
                "increase",
                "delta",
                "irate",
                "deriv",
                "changes",
                "resets",
                "avg_over_time",
                "stddev_over_time",
                "last_over_time"
            ][rnd(10) as usize],
            rnd(6) + 1
        ),
        6 => format!(
            "{}({})",
            [
                "abs",
                "ceil",
                "floor",
                "exp",
                "ln",
                "sqrt",
                "sgn",
                "sort",
                "sort_desc",
                "timestamp",
                "absent"
            ][rnd(11) as usize],
            sub(rnd)
        ),
        7 => format!(
            "max_over_time(({})[{}m:{}s])",
            sub(rnd),
            rnd(5) + 1,
            (rnd(4) + 1) * 15
        ),
        8 => format!("histogram_quantile(0.{}, {})", rnd(10), sub(rnd)),
        9 => format!(
            "label_replace({}, \"n\", \"$1\", \"job\", \"(.*)\")",
            sub(rnd)
        ),
        10 => format!("clamp({}, {}, {})", sub(rnd), rnd(5), rnd(50)),
        _ => format!("-({})", sub(rnd)),
    }
}

/// Random expressions from a small grammar never panic the engine (errors are fine).
#[test]
fn random_expressions_never_panic() {
    let e = random_engine();
    let mut seed = 0x1234_5678_9abc_def1u64;
    let mut rnd = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut evaluated = 0;
    for _ in 0..400 {
        let q = generate(&mut rnd, 3);
        if e.instant(&q, 300_000).is_ok() {
            evaluated += 1;
        }
        let _ = e.range(&q, 0, 600_000, 60_000);
    }
    assert!(
        evaluated > 100,
        "most generated queries should evaluate: {evaluated}"
    );
}

/// Regression: Prometheus 3 limits left extrapolation to half a sample interval
/// first and only then cuts it at the counter's zero point (2.x did it the
/// other way round). Data and expectation as upstream's functions.test.
#[test]
fn increase_extrapolation_applies_the_threshold_before_the_zero_cutoff() {
    let five = |start: f64| -> Vec<(i64, f64)> {
        (0..=10)
            .map(|k| (k * 300_000, start + 10.0 * k as f64))
            .collect()
    };
    let (dings, bumms) = (five(10.0), five(1.0));
    let e = engine(&[
        (&[("__name__", "c"), ("path", "dings")], &dings),
        (&[("__name__", "c"), ("path", "bumms")], &bumms),
    ]);
    let v = vector(&e, "increase(c[100m])", 3_000_000);
    assert_eq!(
        v,
        vec![
            ("{path=\"bumms\"}".into(), 101.0),
            ("{path=\"dings\"}".into(), 105.0)
        ]
    );
}

#[test]
fn histogram_fraction_over_classic_buckets() {
    let b = |le: &'static str, v: f64| -> (Vec<(&'static str, &'static str)>, Vec<(i64, f64)>) {
        (vec![("__name__", "h_bucket"), ("le", le)], vec![(0, v)])
    };
    let data = [b("1", 25.0), b("2", 50.0), b("4", 100.0), b("+Inf", 100.0)];
    let refs: Vec<(&[(&str, &str)], &[(i64, f64)])> = data
        .iter()
        .map(|(l, p)| (l.as_slice(), p.as_slice()))
        .collect();
    let e = engine(&refs);
    let v = vector(&e, "histogram_fraction(0, 2, h_bucket)", 0);
    assert!((v[0].1 - 0.5).abs() < 1e-12, "{v:?}");
    let v = vector(&e, "histogram_fraction(1.5, 3, h_bucket)", 0);
    assert!(
        (v[0].1 - 0.375).abs() < 1e-12,
        "interpolated inside buckets: {v:?}"
    );
    assert_eq!(
        vector(&e, "histogram_fraction(3, 1, h_bucket)", 0)[0].1,
        0.0
    );
}

fn delayed(e: &Engine) -> Engine {
    Engine::new(
        e.tsdb_for_tests(),
        EngineOptions {
            delayed_name_removal: true,
            ..EngineOptions::default()
        },
    )
}

/// Regression: Prometheus drops `__type__` and `__unit__` together with
/// `__name__`, by default as well as with delayed name removal.
#[test]
fn metadata_labels_go_with_the_name() {
    let e = engine(&[(
        &[
            ("__name__", "req_total"),
            ("__type__", "counter"),
            ("__unit__", "requests"),
            ("job", "a"),
        ],
        &counter(20),
    )]);
    for e in [&e, &delayed(&e)] {
        assert_eq!(
            vector(e, "-req_total", 300_000),
            vec![("{job=\"a\"}".into(), -200.0)]
        );
        assert_eq!(
            vector(e, "req_total", 300_000),
            vec![(
                "req_total{__type__=\"counter\", __unit__=\"requests\", job=\"a\"}".into(),
                200.0
            )]
        );
    }
}

/// Regression: by default names are dropped as soon as a function runs
/// (Prometheus 3 without `promql-delayed-name-removal`), so two metrics that
/// only differ by name collide; delayed name removal sums them.
#[test]
fn name_removal_is_immediate_by_default_and_delayed_on_request() {
    let e = engine(&[
        (&[("__name__", "a_total"), ("env", "1")], &counter(40)),
        (&[("__name__", "b_total"), ("env", "1")], &counter(40)),
    ]);
    let q = r#"sum by (env) (rate({env="1"}[5m]))"#;
    assert!(matches!(e.instant(q, 600_000), Err(Error::Execution(_))));
    let d = delayed(&e);
    assert_eq!(
        vector(&d, q, 600_000),
        vec![("{env=\"1\"}".into(), 4.0 / 3.0)]
    );
    let q = r#"sum by (__name__) (rate({env="1"}[5m]))"#;
    assert!(matches!(d.instant(q, 600_000), Err(Error::Execution(_))));
    assert!(matches!(
        d.range(q, 300_000, 600_000, 60_000),
        Err(Error::Execution(_))
    ));
}

/// Range queries evaluated series-at-a-time agree bit for bit with instant
/// queries at each step (the step-wise evaluator).
#[test]
fn range_evaluation_matches_instant_queries_at_every_step() {
    let les = ["0.1", "0.5", "1", "+Inf"];
    let mut owned: Vec<(Vec<(String, String)>, Vec<(i64, f64)>)> = Vec::new();
    for i in 0..24 {
        let job = format!("j{}", i % 3);
        let mut pts: Vec<(i64, f64)> = (0..80)
            .filter(|k| (k + i) % 7 != 0) // gaps
            .map(|k| (k * 15_000 + i, ((k * (i + 1)) % 50) as f64 * 1.5))
            .collect();
        if i % 5 == 0 {
            pts[30].1 = stale_nan();
        }
        let labels = if i % 2 == 0 {
            vec![
                ("__name__".to_string(), "c_total".to_string()),
                ("instance".into(), format!("i{i}")),
                ("job".into(), job),
            ]
        } else {
            vec![
                ("__name__".to_string(), "h_bucket".to_string()),
                ("instance".into(), format!("i{}", i / 8)),
                ("job".into(), job),
                ("le".into(), les[(i as usize / 2) % les.len()].to_string()),
            ]
        };
        owned.push((labels, pts));
    }
    let db = Arc::new(Tsdb::new(HeadOptions::default()));
    let mut app = db.appender();
    for (l, pts) in &owned {
        let l = Labels::from_pairs(l.iter().map(|(a, b)| (a.as_str(), b.as_str()))).unwrap();
        for &(t, v) in pts {
            app.append_labels(&l, t, v).unwrap();
        }
    }
    drop(app);
    let plain = Engine::new(db.clone(), EngineOptions::default());
    let queries = [
        "c_total",
        "c_total offset 1m",
        "rate(c_total[1m])",
        "sum by (job) (rate(c_total[2m]))",
        "avg without (instance) (irate(c_total[1m]))",
        "max(delta(c_total[90s]))",
        "min by (job) (c_total)",
        "count(count_over_time(c_total[1m]))",
        "stddev(sum_over_time(c_total[1m]))",
        "stdvar by (job) (changes(c_total[3m]))",
        "group by (job) (resets(c_total[3m]))",
        "histogram_quantile(0.9, sum by (le) (rate(h_bucket[2m])))",
        "histogram_quantile(0.5, rate(h_bucket[2m]))",
        "sum by (le, job) (increase(h_bucket[2m] offset 30s))",
        "rate(c_total[1m]) * 60",
        "2 ^ sum by (job) (idelta(c_total[1m]))",
        "c_total > 20",
        "30 < bool c_total",
        "(sum(c_total) / 4) - 1",
        "sum by (job) (rate(c_total[2m])) / on (job) sum by (job) (rate(h_bucket[2m]))",
        "count by (job) (c_total) >= on (job) count by (job) (h_bucket)",
        "c_total < bool c_total offset 1m",
        "min by (job) (c_total) - max by (job) (c_total)",
        "c_total + h_bucket",
        "last_over_time(c_total[1m])",
        "sum by (__name__) (first_over_time(c_total[1m]))",
        "mad_over_time(c_total[2m])",
        "deriv(c_total[2m])",
        "ts_of_max_over_time(c_total[2m]) - ts_of_min_over_time(c_total[2m])",
        "ts_of_first_over_time(c_total[1m]) + ts_of_last_over_time(c_total[1m])",
    ];
    for e in [&plain, &delayed(&plain)] {
        for q in queries {
            let (start, end, step) = (120_000, 1_140_000, 30_000);
            let Value::Matrix(m) = e.range(q, start, end, step).unwrap().value else {
                panic!("{q}: not a matrix")
            };
            let mut t = start;
            while t <= end {
                let Value::Vector(mut want) = e.instant(q, t).unwrap().value else {
                    panic!("{q}: not a vector")
                };
                want.sort_by(|a, b| a.labels.cmp(&b.labels));
                let got: Vec<(Labels, f64)> = m
                    .iter()
                    .filter_map(|s| {
                        s.points
                            .iter()
                            .find(|p| p.0 == t)
                            .map(|p| (s.labels.clone(), p.1))
                    })
                    .collect();
                let want: Vec<(Labels, f64)> = want.into_iter().map(|s| (s.labels, s.v)).collect();
                assert_eq!(got.len(), want.len(), "{q} at {t}");
                for (g, w) in got.iter().zip(&want) {
                    assert_eq!(g.0, w.0, "{q} at {t}");
                    assert!(
                        g.1.to_bits() == w.1.to_bits() || (g.1.is_nan() && w.1.is_nan()),
                        "{q} at {t}: {} vs {}",
                        g.1,
                        w.1
                    );
                }
                t += step;
            }
        }
    }
}

/// Regression: deciding whether a range query can be evaluated a series at a
/// time looked at each binary operand several times, exponential in depth.
#[test]
fn deeply_nested_range_queries_are_planned_in_linear_time() {
    let e = engine(&[(&[("__name__", "x")], &counter(4))]);
    let mut q = "x".to_string();
    for _ in 0..60 {
        q = format!("({q} + x)");
    }
    let out = e.range(&q, 0, 60_000, 15_000).unwrap();
    let Value::Matrix(m) = out.value else {
        panic!("not a matrix")
    };
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].points[4], (60_000, 61.0 * 40.0));
}

/// The engine behind the random-expression tests: counters, buckets, NaN
/// and infinities.
fn random_engine() -> Engine {
    let c = counter(40);
    engine(&[
        (&[("__name__", "a"), ("job", "x"), ("le", "0.5")], &c),
        (&[("__name__", "a"), ("job", "y"), ("le", "+Inf")], &c),
        (
            &[("__name__", "b"), ("job", "x")],
            &[(0, f64::NAN), (15_000, f64::INFINITY), (30_000, -1.0)],
        ),
    ])
}

/// Random range queries that are evaluated a series at a time agree with
/// instant queries at each step (labels, values bit for bit, errors).
#[test]
fn random_range_queries_match_instant_queries() {
    let e = random_engine();
    let mut seed = 0x0dd_ba11_cafe_f00du64;
    let mut rnd = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut compared = 0;
    for _ in 0..600 {
        let q = generate(&mut rnd, 3);
        let Ok(ast) = promql_parser::parser::parse(&q) else {
            continue;
        };
        if !crate::range_eval::supported(&ast) {
            continue;
        }
        let (start, end, step) = (0, 600_000, 60_000);
        let Ok(out) = e.range(&q, start, end, step) else {
            continue;
        };
        let Value::Matrix(m) = out.value else {
            panic!("{q}: not a matrix")
        };
        compared += 1;
        let mut t = start;
        while t <= end {
            let Value::Vector(mut want) = e.instant(&q, t).unwrap().value else {
                // A scalar-valued expression is not evaluated a series at a time.
                panic!("{q}: not a vector")
            };
            want.sort_by(|a, b| a.labels.cmp(&b.labels));
            let got: Vec<(String, u64)> = m
                .iter()
                .filter_map(|s| {
                    s.points
                        .iter()
                        .find(|p| p.0 == t)
                        .map(|p| (s.labels.to_string(), p.1))
                })
                .map(|(l, v)| (l, if v.is_nan() { u64::MAX } else { v.to_bits() }))
                .collect();
            let want: Vec<(String, u64)> = want
                .into_iter()
                .map(|s| {
                    (
                        s.labels.to_string(),
                        if s.v.is_nan() {
                            u64::MAX
                        } else {
                            s.v.to_bits()
                        },
                    )
                })
                .collect();
            assert_eq!(got, want, "{q} at {t}");
            t += step;
        }
    }
    assert!(compared > 50, "only {compared} queries compared");
}

fn limited(e: &Engine, opts: impl FnOnce(&mut EngineOptions)) -> Engine {
    let mut o = e.options().clone();
    opts(&mut o);
    Engine::new(e.tsdb_for_tests(), o)
}

/// Ten series `m{i="0".."9"}` with a sample every 15s over an hour.
fn ten_series() -> Engine {
    let db = Arc::new(Tsdb::new(HeadOptions::default()));
    let mut app = db.appender();
    for i in 0..10 {
        let l = Labels::from_pairs([("__name__", "m"), ("i", &i.to_string())]).unwrap();
        for k in 0..=240 {
            app.append_labels(&l, k * 15_000, k as f64).unwrap();
        }
    }
    drop(app);
    Engine::new(db, EngineOptions::default())
}

#[test]
fn huge_subquery_fails_fast_with_too_many_samples() {
    let e = engine(&[]);
    let watch = outpost_clock::Stopwatch::start();
    for q in [
        "count_over_time(vector(1)[30d:1ms])",
        "sum_over_time((vector(1) + 1)[30d:1ms] offset 1d)",
        "max_over_time(max_over_time(vector(1)[30d:1ms])[1h:1m])",
    ] {
        assert_eq!(
            e.instant(q, 3_000_000_000),
            Err(Error::TooManySamples),
            "{q}"
        );
        assert_eq!(
            e.range(q, 3_000_000_000, 3_000_600_000, 60_000),
            Err(Error::TooManySamples),
            "{q}"
        );
    }
    assert!(
        watch.elapsed() < std::time::Duration::from_secs(2),
        "refused before the points are allocated: {:?}",
        watch.elapsed()
    );
    assert_eq!(
        Error::TooManySamples.to_string(),
        "query processing would load too many samples into memory in query execution"
    );
}

#[test]
fn range_query_output_over_max_samples_fails() {
    let e = ten_series();
    // 10 series x 241 steps = 2,410 output points; the selector cache holds
    // the 2,410 samples too.
    let queries = [
        "m",                                          // series at a time
        "rate(m[1m])",                                // series at a time
        "sum by (i) (m) * 2",                         // series at a time
        "label_replace(m, \"x\", \"y\", \"\", \"\")", // step-wise
        "m and m",                                    // step-wise
    ];
    for q in queries {
        let full = e.range(q, 0, 3_600_000, 15_000).unwrap();
        let small = limited(&e, |o| o.max_samples = 3_000);
        assert_eq!(
            small.range(q, 0, 3_600_000, 15_000),
            Err(Error::TooManySamples),
            "{q}"
        );
        let enough = limited(&e, |o| o.max_samples = 10_000);
        assert_eq!(
            enough.range(q, 0, 3_600_000, 15_000).unwrap(),
            full,
            "{q}: unchanged under the limit"
        );
    }
    // Instant queries hold the selector's samples (5m of them for `m`, 21
    // per series) and the result.
    let small = limited(&e, |o| o.max_samples = 300);
    assert_eq!(
        small.instant("m[1h]", 3_600_000),
        Err(Error::TooManySamples)
    );
    assert_eq!(
        small.instant("m", 3_600_000).unwrap().value.type_name(),
        "vector"
    );
}

#[test]
fn intermediate_results_are_released_once_consumed() {
    let e = ten_series();
    // Each step holds the cache (2,410), two operands and the result (10
    // each), plus the output so far; a subquery's points are released once
    // its function consumed them.
    let small = limited(&e, |o| o.max_samples = 2_410 + 10 * 4);
    assert!(small.instant("m + m", 3_600_000).is_ok());
    assert!(
        small
            .instant("max_over_time((m + m)[2m:15s])", 3_600_000)
            .is_ok()
    );
    assert_eq!(
        small.instant("(m + m)[30m:15s]", 3_600_000),
        Err(Error::TooManySamples),
        "the subquery's 1,200 points are held in its result"
    );
}

#[test]
fn small_timeout_fails_a_heavy_query() {
    let e = limited(&engine(&[]), |o| {
        o.timeout = std::time::Duration::from_millis(20)
    });
    let watch = outpost_clock::Stopwatch::start();
    let q = "sum_over_time(vector(1)[7d:1s])";
    assert_eq!(
        e.instant(q, 1_000_000_000),
        Err(Error::Timeout("expression evaluation".into()))
    );
    assert_eq!(
        e.range(q, 0, 600_000, 60_000),
        Err(Error::Timeout("expression evaluation".into()))
    );
    assert!(watch.elapsed() < std::time::Duration::from_secs(2));
    assert_eq!(
        Error::Timeout("expression evaluation".into()).to_string(),
        "query timed out in expression evaluation"
    );
    // A per-query timeout tightens the engine's.
    let e = engine(&[]);
    let qc = crate::QueryContext::new().with_timeout(std::time::Duration::from_millis(20));
    assert_eq!(
        e.instant_with(q, 1_000_000_000, &qc),
        Err(Error::Timeout("expression evaluation".into()))
    );
    assert!(e.instant_with("vector(1)", 0, &qc).is_ok());
}

#[test]
fn canceled_queries_stop() {
    let e = engine(&[]);
    let qc = crate::QueryContext::new();
    qc.cancel();
    assert!(qc.is_canceled());
    assert_eq!(
        e.instant_with("vector(1)", 0, &qc),
        Err(Error::Canceled("expression evaluation".into()))
    );
    assert_eq!(
        Error::Canceled("expression evaluation".into()).to_string(),
        "query was canceled in expression evaluation"
    );
    // Canceled from another thread while it runs.
    let qc = crate::QueryContext::new();
    let handle = qc.clone();
    let watch = outpost_clock::Stopwatch::start();
    let canceler = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(50));
        handle.cancel();
    });
    let r = e.range_with("sum_over_time(vector(1)[7d:1s])", 0, 600_000, 60_000, &qc);
    canceler.join().unwrap();
    assert_eq!(r, Err(Error::Canceled("expression evaluation".into())));
    assert!(watch.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn extreme_times_offsets_and_steps_never_panic() {
    // Debug builds check overflow: any wrapping `+`/`-`/`*` on a timestamp
    // panics here.
    let e = engine(&[(
        &[("__name__", "m")],
        &[
            (-1_000_000_000_000_000_000, 1.0),
            (-1, 2.0),
            (0, 3.0),
            (1_000_000, 4.0),
            (1_000_000_000_000_000_000, 5.0),
        ],
    )]);
    // Small limits keep the long subqueries short.
    let e = limited(&e, |o| {
        o.timeout = std::time::Duration::from_millis(300);
        o.max_samples = 100_000;
    });
    let times = [
        i64::MIN,
        i64::MIN + 1,
        -1_000_000_000_000_000_000,
        -1,
        0,
        1,
        1_000_000_000_000_000_000,
        i64::MAX - 1,
        i64::MAX,
    ];
    let durations = [
        "1ms",
        "5m",
        "1y",
        "292y",
        "300000000y",
        "9223372036854775807ms",
        "1e18",
        "1e300",
    ];
    let ats = [
        "0", "1e300", "-1e300", "9.2e15", "-9.2e15", "9.3e15", "1e18", "start()", "end()",
    ];
    let shapes = [
        "m offset {d}",
        "m offset -{d}",
        "rate(m[{d}])",
        "rate(m[{d}] offset -{e})",
        "count_over_time(m[{d}:{e}])",
        "max_over_time(vector(1)[{d}:{e}] offset {e})",
        "last_over_time(m[{d}:{e}] offset -{d})",
        "timestamp(m offset {d})",
        "predict_linear(m[{d}], 1e18)",
        "deriv(m[{d}] offset -{e})",
        "sum by (x) (m offset -{d}) * 2",
        "hour(m offset {d}) + time()",
        "m @ {a}",
        "rate(m[{d}] @ {a})",
        "max_over_time(m[{d}:{e}] @ {a} offset {e})",
        "timestamp(m @ {a} offset -{d})",
    ];
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut rnd = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for _ in 0..2_000 {
        let q = shapes[rnd(shapes.len())]
            .replace("{d}", durations[rnd(durations.len())])
            .replace("{e}", durations[rnd(durations.len())])
            .replace("{a}", ats[rnd(ats.len())]);
        let t = times[rnd(times.len())];
        match e.instant(&q, t) {
            Ok(_) | Err(Error::Parse(_) | Error::TooManySamples | Error::Timeout(_)) => {}
            Err(other) => panic!("{q} at {t}: {other:?}"),
        }
        let (a, b) = (times[rnd(times.len())], times[rnd(times.len())]);
        let step = [1, 60_000, i64::MAX / 4, i64::MAX][rnd(4)];
        match e.range(&q, a.min(b), a.max(b), step) {
            Ok(_) | Err(Error::Parse(_) | Error::TooManySamples | Error::Timeout(_)) => {}
            Err(other) => panic!("{q} over {a}..{b} by {step}: {other:?}"),
        }
    }
}

#[test]
fn at_modifier_out_of_the_i64_range_is_rejected() {
    let e = engine(&[(&[("__name__", "m")], &[(0, 1.0)])]);
    // The parser keeps the time as a saturated SystemTime: the message
    // names that, not the literal.
    assert!(matches!(
        e.instant("m @ 1e300", 0),
        Err(Error::Parse(m)) if m.starts_with("timestamp out of bounds for @ modifier: ")
    ));
    assert!(matches!(
        e.instant("rate(m[5m] @ -1e18)", 0),
        Err(Error::Parse(_))
    ));
    assert!(matches!(
        e.instant("vector(1)[5m:1m] @ 1e18", 0),
        Err(Error::Parse(_))
    ));
    // promql-parser panics on number durations past `Duration`: refused.
    for q in [
        "m[1e300]",
        "m offset 1e300",
        "m[5m:1e300]",
        "m[Inf]",
        "m offset -NaN",
    ] {
        assert!(matches!(e.instant(q, 0), Err(Error::Parse(_))), "{q}");
    }
    assert!(matches!(
        crate::parse_selector("m[1e300]"),
        Err(Error::Parse(_))
    ));
    // The largest times that fit are evaluated (no sample there).
    assert_eq!(vector(&e, "m @ 9.2e15", 0), vec![]);
    assert_eq!(vector(&e, "m @ -9.2e15", 0), vec![]);
    assert_eq!(vector(&e, "m @ 0.001", 0), vec![("m{}".into(), 1.0)]);
}

#[test]
fn issue_16_6_timestamp_difference_of_two_metrics_is_not_empty() {
    // Both `timestamp()` calls read through the selector cache; the two
    // selectors must not share an entry.
    let e = engine(&[
        (&[("__name__", "a_metric"), ("job", "x")], &[(10_000, 1.0)]),
        (&[("__name__", "b_metric"), ("job", "x")], &[(25_000, 1.0)]),
    ]);
    for q in [
        "timestamp(a_metric) - timestamp(b_metric)",
        "timestamp(a_metric) - on(job) timestamp(b_metric)",
        "(timestamp(a_metric) - timestamp(b_metric)) + 0",
    ] {
        assert_eq!(
            vector(&e, q, 30_000),
            vec![("{job=\"x\"}".into(), -15.0)],
            "{q}"
        );
    }
    let out = e
        .range(
            "timestamp(b_metric) - timestamp(a_metric)",
            30_000,
            60_000,
            15_000,
        )
        .unwrap();
    let Value::Matrix(m) = out.value else {
        panic!("matrix expected")
    };
    assert_eq!(m.len(), 1);
    assert_eq!(
        m[0].points,
        vec![(30_000, 15.0), (45_000, 15.0), (60_000, 15.0)]
    );
}
