//! Behaviour of the head as a whole: append rules, limits, retention, selection.

use crate::*;

fn l(pairs: &[(&str, &str)]) -> Labels {
    Labels::from_pairs(pairs.iter().copied()).unwrap()
}

fn m(kind: MatchType, n: &str, v: &str) -> Matcher {
    Matcher::new(kind, n, v).unwrap()
}

fn db() -> Tsdb {
    Tsdb::new(HeadOptions {
        max_series: 100,
        samples_per_chunk: 4,
    })
}

#[test]
fn append_rules_follow_prometheus() {
    let db = db();
    let mut app = db.appender();
    let r = app
        .series_ref(&l(&[("__name__", "up"), ("job", "a")]))
        .unwrap();
    app.append(r, 1000, 1.0).unwrap();
    app.append(r, 2000, 2.0).unwrap();
    assert_eq!(app.append(r, 1500, 9.0), Err(Error::OutOfOrder));
    assert_eq!(app.append(r, 2000, 3.0), Err(Error::DuplicateTimestamp));
    assert_eq!(
        app.append(r, 2000, 2.0),
        Ok(()),
        "same sample again is a no-op"
    );
    app.append(r, 3000, stale_nan()).unwrap();
    assert_eq!(app.append(999, 1, 1.0), Err(Error::UnknownSeries(999)));
    drop(app);
    let c = db.counters();
    assert_eq!(
        (
            c.samples_appended,
            c.out_of_order,
            c.duplicates,
            c.stale_markers
        ),
        (3, 1, 1, 1)
    );
    let s = db.select(&[Matcher::equal("job", "a")], 0, 10_000);
    let got: Vec<(i64, u64)> = s[0].samples().map(|(t, v)| (t, v.to_bits())).collect();
    assert_eq!(
        got,
        vec![
            (1000, 1f64.to_bits()),
            (2000, 2f64.to_bits()),
            (3000, STALE_NAN_BITS)
        ]
    );
}

#[test]
fn chunks_roll_over_and_range_queries_cut_them() {
    let db = db();
    let mut app = db.appender();
    let r = app.series_ref(&l(&[("__name__", "x")])).unwrap();
    for i in 0..10 {
        app.append(r, i * 1000, i as f64).unwrap();
    }
    drop(app);
    assert_eq!(db.stats(10).num_chunks, 3);
    let s = db.select(&[], 2500, 6000);
    let ts: Vec<i64> = s[0].samples().map(|(t, _)| t).collect();
    assert_eq!(ts, vec![3000, 4000, 5000, 6000]);
    assert!(db.select(&[], 20_000, 30_000).is_empty());
}

#[test]
fn series_limit_rejects_and_counts() {
    let db = Tsdb::new(HeadOptions {
        max_series: 2,
        samples_per_chunk: 120,
    });
    let mut app = db.appender();
    app.series_ref(&l(&[("a", "1")])).unwrap();
    app.series_ref(&l(&[("a", "2")])).unwrap();
    assert_eq!(
        app.series_ref(&l(&[("a", "1")])).unwrap(),
        0,
        "existing series still resolve"
    );
    assert_eq!(
        app.series_ref(&l(&[("a", "3")])),
        Err(Error::SeriesLimit { limit: 2 })
    );
    drop(app);
    assert_eq!(db.counters().series_limit_rejected, 1);
    assert_eq!(db.num_series(), 2);
}

#[test]
fn matchers_select_like_prometheus() {
    let db = db();
    let mut app = db.appender();
    for (i, (job, status)) in [("api", "200"), ("api", "500"), ("web", "503"), ("db", "")]
        .iter()
        .enumerate()
    {
        app.append_labels(
            &l(&[
                ("__name__", "http_requests_total"),
                ("job", job),
                ("status", status),
            ]),
            1000,
            i as f64,
        )
        .unwrap();
    }
    app.append_labels(&l(&[("__name__", "up"), ("job", "api")]), 1000, 1.0)
        .unwrap();
    drop(app);
    let jobs = |ms: &[Matcher]| -> Vec<String> {
        db.select(ms, 0, 2000)
            .iter()
            .map(|s| s.labels.to_string())
            .collect()
    };
    let name = Matcher::equal("__name__", "http_requests_total");
    assert_eq!(
        jobs(&[name.clone(), m(MatchType::Regex, "status", "5..")]).len(),
        2
    );
    assert_eq!(
        jobs(&[name.clone(), m(MatchType::NotEqual, "status", "200")]).len(),
        3,
        "missing label counts as \"\""
    );
    assert_eq!(
        jobs(&[name.clone(), m(MatchType::Equal, "status", "")]),
        vec!["http_requests_total{job=\"db\"}"]
    );
    assert_eq!(
        jobs(&[name.clone(), m(MatchType::NotRegex, "status", "2..|")]).len(),
        2
    );
    assert_eq!(
        jobs(&[name.clone(), m(MatchType::Regex, "job", "api|web")]).len(),
        3
    );
    assert_eq!(jobs(&[m(MatchType::Regex, "__name__", "http_.*")]).len(), 4);
    assert_eq!(jobs(&[m(MatchType::Regex, "job", ".+")]).len(), 5);
    assert_eq!(jobs(&[m(MatchType::Equal, "job", "nope")]).len(), 0);
    // Sorted by label set.
    let all = jobs(&[m(MatchType::Regex, "job", ".+")]);
    let mut sorted = all.clone();
    sorted.sort_by_key(|s| s.replace("{", "\u{0}"));
    assert_eq!(all[0], "http_requests_total{job=\"api\", status=\"200\"}");
    assert_eq!(db.label_names(&[], 0, 0), vec!["__name__", "job", "status"]);
    assert_eq!(db.label_values("job", &[], 0, 0), vec!["api", "db", "web"]);
    assert_eq!(
        db.label_values("status", &[Matcher::equal("job", "api")], 0, 2000),
        vec!["200", "500"]
    );
    assert_eq!(
        db.label_names(&[Matcher::equal("__name__", "up")], 0, 2000),
        vec!["__name__", "job"]
    );
}

#[test]
fn retention_drops_old_chunks_and_empty_series_and_rejects_old_samples() {
    let db = db();
    let mut app = db.appender();
    let old = app.series_ref(&l(&[("__name__", "old")])).unwrap();
    let live = app.series_ref(&l(&[("__name__", "live")])).unwrap();
    for i in 0..8 {
        app.append(old, i * 1000, 1.0).unwrap();
        app.append(live, i * 1000, 1.0).unwrap();
    }
    app.append(live, 100_000, 2.0).unwrap();
    drop(app);
    let st = db.truncate(50_000);
    assert_eq!(st.series_removed, 1);
    assert_eq!(st.chunks_removed, 2 + 2);
    assert_eq!(db.label_values("__name__", &[], 0, 0), vec!["live"]);
    let mut app = db.appender();
    assert_eq!(app.append(live, 40_000, 1.0), Err(Error::OutOfBounds));
    // A recreated series gets a new reference.
    let again = app.series_ref(&l(&[("__name__", "old")])).unwrap();
    assert_ne!(again, old);
    app.append(again, 200_000, 1.0).unwrap();
    drop(app);
    assert_eq!(db.counters().out_of_bounds, 1);
    let st = db.stats(10);
    assert_eq!(st.num_series, 2);
    assert_eq!(st.min_time, Some(100_000));
    assert_eq!(st.series_count_by_metric_name.len(), 2);
}

#[test]
fn concurrent_appenders_and_readers() {
    let db = std::sync::Arc::new(Tsdb::new(HeadOptions::default()));
    let threads: Vec<_> = (0..4)
        .map(|w| {
            let db = db.clone();
            std::thread::spawn(move || {
                for i in 0..200i64 {
                    let mut app = db.appender();
                    for s in 0..20 {
                        let lbls = l(&[
                            ("__name__", "m"),
                            ("worker", &w.to_string()),
                            ("s", &s.to_string()),
                        ]);
                        app.append_labels(&lbls, i * 1000, i as f64).unwrap();
                    }
                    drop(app);
                    let _ = db.select(&[Matcher::equal("worker", w.to_string())], 0, i64::MAX);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(db.num_series(), 80);
    assert_eq!(db.counters().samples_appended, 80 * 200);
}

#[test]
fn series_ref_pairs_finds_the_same_series_and_sorts_when_needed() {
    let db = db();
    let mut app = db.appender();
    let a = app
        .series_ref(&l(&[("__name__", "m"), ("job", "x")]))
        .unwrap();
    assert_eq!(
        app.series_ref_pairs(&[("__name__", "m"), ("job", "x")])
            .unwrap(),
        a
    );
    assert_eq!(
        app.series_ref_pairs(&[("job", "x"), ("__name__", "m")])
            .unwrap(),
        a,
        "unsorted input"
    );
    assert_eq!(
        app.series_ref_pairs(&[("__name__", "m"), ("empty", ""), ("job", "x")])
            .unwrap(),
        a,
        "empty values dropped"
    );
    assert!(app.series_ref_pairs(&[("a", "1"), ("a", "2")]).is_err());
    let b = app
        .series_ref_pairs(&[("__name__", "m"), ("job", "y")])
        .unwrap();
    assert_ne!(a, b);
}
