use std::sync::Arc;

use super::*;
use crate::model::{Event, KeyValue, Link, Resource, Scope, SpanId, Status, StatusCode, Value};

fn kv(k: &str, v: Value) -> KeyValue {
    KeyValue {
        key: Arc::from(k),
        value: v,
    }
}

fn span(trace: u128, id: u64, parent: u64, service: &str, name: &str, start: u64) -> Span {
    Span {
        trace_id: TraceId(trace),
        span_id: SpanId(id),
        parent_span_id: SpanId(parent),
        trace_state: "".into(),
        flags: 0,
        name: Arc::from(name),
        kind: SpanKind::Server,
        start_ns: start,
        end_ns: start + 5_000,
        attributes: vec![kv("http.status_code", Value::Int(500))],
        events: vec![Event {
            time_ns: start,
            name: "retry".into(),
            attributes: vec![kv("attempt", Value::Double(72.5))],
            dropped_attributes_count: 0,
        }],
        links: vec![],
        status: Status::default(),
        dropped: [0; 3],
        resource: Arc::new(Resource {
            service: Arc::from(service),
            attributes: vec![kv("service.name", Value::Str(Arc::from(service)))],
            ..Resource::default()
        }),
        scope: Arc::new(Scope::default()),
    }
}

#[test]
fn a_trace_is_readable_as_soon_as_written_and_assembles_across_writes() {
    let st = TraceStore::new(StoreOptions::default());
    st.write(vec![span(1, 2, 1, "b", "child", 10)]);
    st.write(vec![span(1, 1, 0, "a", "root", 5)]);
    let t = st.get_trace(TraceId(1)).unwrap();
    assert_eq!(t.spans.len(), 2);
    assert_eq!(st.services(), ["a", "b"]);
    let deps = st.dependencies(0, u64::MAX);
    assert_eq!(
        deps,
        [DependencyLink {
            parent: "a".into(),
            child: "b".into(),
            call_count: 1
        }]
    );
}

#[test]
fn tags_match_as_strings_in_span_event_and_resource_attributes() {
    let st = TraceStore::new(StoreOptions::default());
    st.write(vec![span(1, 1, 0, "a", "op", 100)]);
    let q = |tags: &[(&str, &str)]| TraceQuery {
        service: Some("a".into()),
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..TraceQuery::default()
    };
    assert_eq!(st.find_traces(&q(&[("http.status_code", "500")])).len(), 1);
    assert_eq!(
        st.find_traces(&q(&[("attempt", "72.5"), ("service.name", "a")]))
            .len(),
        1
    );
    assert_eq!(st.find_traces(&q(&[("http.status_code", "404")])).len(), 0);
    assert_eq!(st.find_traces(&q(&[("resource.attempt", "72.5")])).len(), 0);
}

#[test]
fn duration_and_start_bounds_are_inclusive() {
    let st = TraceStore::new(StoreOptions::default());
    st.write(vec![span(1, 1, 0, "a", "op", 100)]);
    let q = TraceQuery {
        start_min_ns: Some(100),
        start_max_ns: Some(100),
        duration_min_ns: Some(5_000),
        duration_max_ns: Some(5_000),
        ..TraceQuery::default()
    };
    assert_eq!(st.find_traces(&q).len(), 1);
    let q = TraceQuery {
        duration_max_ns: Some(4_999),
        ..TraceQuery::default()
    };
    assert!(st.find_traces(&q).is_empty());
}

#[test]
fn the_oldest_traces_are_evicted_whole_and_their_services_disappear() {
    let st = TraceStore::new(StoreOptions { max_spans: 3 });
    st.write(vec![
        span(1, 1, 0, "old", "op", 1),
        span(1, 2, 1, "old", "op", 2),
    ]);
    st.write(vec![
        span(2, 3, 0, "new", "op", 3),
        span(2, 4, 3, "new", "op", 4),
    ]);
    assert!(st.get_trace(TraceId(1)).is_none());
    assert_eq!(st.services(), ["new"]);
    let s = st.stats();
    assert_eq!(
        (
            s.spans,
            s.traces,
            s.traces_evicted_total,
            s.spans_evicted_total
        ),
        (2, 1, 1, 2)
    );
}

fn q(service: Option<&str>, tags: &[(&str, &str)]) -> TraceQuery {
    TraceQuery {
        service: service.map(str::to_string),
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..TraceQuery::default()
    }
}

fn ids(traces: &[Trace]) -> Vec<u128> {
    traces.iter().map(|t| t.trace_id.0).collect()
}

/// A span using every part of the model.
fn rich_span(trace: u128, id: u64) -> Span {
    let mut s = span(trace, id, 0, "rich", "op", 1_000);
    s.trace_state = "k=v".into();
    s.flags = 0x301;
    s.kind = SpanKind::Consumer;
    s.status = Status {
        code: StatusCode::Error,
        message: "boom".into(),
    };
    s.dropped = [1, 2, 3];
    s.attributes = vec![
        kv("s", Value::Str(Arc::from("x"))),
        kv("i", Value::Int(-7)),
        kv("d", Value::Double(f64::NAN)),
        kv("z", Value::Double(-0.0)),
        kv("b", Value::Bool(false)),
        kv("bytes", Value::Bytes(Arc::from(&b"hi!"[..]))),
        kv(
            "arr",
            Value::Array(vec![Value::Int(1), Value::Str(Arc::from("a"))]),
        ),
        kv("map", Value::Map(vec![kv("k", Value::Bool(true))])),
        kv("e", Value::Empty),
        kv("s", Value::Str(Arc::from("dup key"))),
    ];
    s.links = vec![Link {
        trace_id: TraceId(9),
        span_id: SpanId(8),
        trace_state: "a=b".into(),
        attributes: vec![kv(
            "opentracing.ref_type",
            Value::Str(Arc::from("follows_from")),
        )],
        dropped_attributes_count: 1,
        flags: 1,
    }];
    s.scope = Arc::new(Scope {
        name: "lib".into(),
        version: "1.0".into(),
        attributes: vec![kv("scope.attr", Value::Int(3))],
        dropped_attributes_count: 2,
        schema_url: "https://schema/scope".into(),
    });
    s.resource = Arc::new(Resource {
        service: Arc::from("rich"),
        attributes: vec![
            kv("service.name", Value::Str(Arc::from("rich"))),
            kv("host.name", Value::Str(Arc::from("h1"))),
            kv("res.list", Value::Array(vec![Value::Double(1.5)])),
        ],
        dropped_attributes_count: 4,
        schema_url: "https://schema/res".into(),
    });
    s
}

#[test]
fn every_part_of_a_span_reads_back_as_written() {
    let st = TraceStore::new(StoreOptions::default());
    let a = rich_span(1, 1);
    let mut b = rich_span(1, 2);
    b.events.clear();
    b.links.clear();
    b.trace_state = "".into();
    b.status = Status::default();
    b.dropped = [0; 3];
    st.write(vec![a.clone(), b.clone()]);
    let t = st.get_trace(TraceId(1)).unwrap();
    assert_eq!(t.trace_id, TraceId(1));
    let got: Vec<Span> = t.spans.iter().map(|s| (**s).clone()).collect();
    // NaN is not equal to itself: compare its bits, then the rest.
    for (g, w) in got.iter().zip([&a, &b]) {
        let (Value::Double(x), Value::Double(y)) = (&g.attributes[2].value, &w.attributes[2].value)
        else {
            panic!("not a double")
        };
        assert_eq!(x.to_bits(), y.to_bits());
        let strip = |s: &Span| {
            let mut s = s.clone();
            s.attributes.remove(2);
            s
        };
        assert_eq!(strip(g), strip(w));
        let Value::Double(z) = g.attributes[3].value else {
            panic!("not a double")
        };
        assert!(z == 0.0 && z.is_sign_negative());
    }
    assert!(
        Arc::ptr_eq(&t.spans[0].resource, &t.spans[1].resource),
        "equal resources are shared"
    );
    assert_eq!(st.get_traces(&[TraceId(1), TraceId(2)])[1], None);
}

#[test]
fn tags_match_every_value_type_by_its_string_form() {
    let st = TraceStore::new(StoreOptions::default());
    st.write(vec![rich_span(1, 1)]);
    let hit = |tags: &[(&str, &str)]| st.find_traces(&q(Some("rich"), tags)).len() == 1;
    for (k, v) in [
        ("s", "x"),
        ("s", "dup key"),
        ("i", "-7"),
        ("d", "NaN"),
        ("z", "-0"),
        ("b", "false"),
        ("bytes", "aGkh"),
        ("arr", "[1,\"a\"]"),
        ("map", "{\"k\":true}"),
        ("e", ""),
        ("opentracing.ref_type", "follows_from"),
        ("scope.attr", "3"),
        ("host.name", "h1"),
        ("resource.host.name", "h1"),
        ("res.list", "[1.5]"),
        ("resource.res.list", "[1.5]"),
        ("attempt", "72.5"),
        ("error", "true"),
        ("span.kind", "CONSUMER"),
        ("span.status", "error"),
        ("scope.name", "lib"),
        ("scope.version", "1.0"),
    ] {
        assert!(hit(&[(k, v)]), "{k}={v} should match");
    }
    for (k, v) in [
        ("i", "-07"),
        ("i", "+7"),
        ("z", "0"),
        ("b", "False"),
        ("s", "X"),
        ("e", "x"),
        ("resource.scope.attr", "3"),
        ("resource.s", "x"),
        ("error", "false"),
        ("span.kind", "server"),
        ("span.kind", "bogus"),
        ("span.status", "ok"),
        ("span.status", "bogus"),
        ("scope.name", "other"),
        ("nokey", "x"),
    ] {
        assert!(!hit(&[(k, v)]), "{k}={v} should not match");
    }
    assert!(hit(&[("s", "x"), ("i", "-7"), ("error", "true")]));
    assert!(!hit(&[("s", "x"), ("i", "7")]));
    assert!(st.find_traces(&q(Some("nobody"), &[])).is_empty());
}

#[test]
fn one_span_must_meet_all_conditions() {
    let st = TraceStore::new(StoreOptions::default());
    let mut a = span(1, 1, 0, "svc", "a", 10);
    a.attributes = vec![kv("x", Value::Int(1))];
    let mut b = span(1, 2, 1, "svc", "b", 20);
    b.attributes = vec![kv("y", Value::Int(2))];
    st.write(vec![a, b]);
    assert_eq!(st.find_traces(&q(Some("svc"), &[("x", "1")])).len(), 1);
    assert_eq!(st.find_traces(&q(Some("svc"), &[("y", "2")])).len(), 1);
    assert!(
        st.find_traces(&q(Some("svc"), &[("x", "1"), ("y", "2")]))
            .is_empty(),
        "the index finds the trace for both terms, the span check refuses it"
    );
    let op = |name: &str, tags: &[(&str, &str)]| TraceQuery {
        operation: Some(name.into()),
        ..q(Some("svc"), tags)
    };
    assert_eq!(st.find_traces(&op("a", &[("x", "1")])).len(), 1);
    assert!(st.find_traces(&op("a", &[("y", "2")])).is_empty());
    assert!(st.find_traces(&op("zzz", &[])).is_empty());
}

/// A small deterministic generator for the cross-check against the model rule.
struct Rng(u64);

impl Rng {
    fn next(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn random_span(r: &mut Rng, trace: u128, id: u64, resources: &[Arc<Resource>]) -> Span {
    let mut s = span(trace, id, 0, "x", "x", 0);
    s.resource = resources[r.next(resources.len() as u64) as usize].clone();
    s.name = Arc::from(format!("op{}", r.next(4)).as_str());
    s.kind = SpanKind::from_otlp(r.next(6) as i32);
    s.status.code = StatusCode::from_otlp(r.next(3) as i32);
    s.start_ns = 1_000 + r.next(100);
    s.end_ns = s.start_ns + r.next(50);
    let vals = |r: &mut Rng| match r.next(6) {
        0 => Value::Str(Arc::from(format!("v{}", r.next(3)).as_str())),
        1 => Value::Int(r.next(3) as i64),
        2 => Value::Double(r.next(3) as f64 / 2.0),
        3 => Value::Bool(r.next(2) == 0),
        4 => Value::Array(vec![Value::Int(r.next(2) as i64)]),
        _ => Value::Empty,
    };
    s.attributes = (0..r.next(4))
        .map(|_| kv(&format!("k{}", r.next(3)), vals(r)))
        .collect();
    s.events = (0..r.next(2))
        .map(|_| Event {
            time_ns: 0,
            name: "e".into(),
            attributes: vec![kv(&format!("k{}", r.next(3)), vals(r))],
            dropped_attributes_count: 0,
        })
        .collect();
    s.links = (0..r.next(2))
        .map(|_| Link {
            attributes: vec![kv(&format!("k{}", r.next(3)), vals(r))],
            ..Link::default()
        })
        .collect();
    s.scope = Arc::new(Scope {
        name: format!("lib{}", r.next(2)).into(),
        version: "1".into(),
        attributes: vec![kv("k2", vals(r))],
        ..Scope::default()
    });
    s
}

fn random_query(r: &mut Rng) -> TraceQuery {
    let mut qq = TraceQuery::default();
    if r.next(3) > 0 {
        qq.service = Some(format!("svc{}", r.next(4)));
    }
    if r.next(3) == 0 {
        qq.operation = Some(format!("op{}", r.next(5)));
    }
    if r.next(4) == 0 {
        qq.start_min_ns = Some(1_000 + r.next(100));
    }
    if r.next(4) == 0 {
        qq.start_max_ns = Some(1_000 + r.next(100));
    }
    if r.next(4) == 0 {
        qq.duration_min_ns = Some(r.next(50));
    }
    if r.next(4) == 0 {
        qq.duration_max_ns = Some(r.next(50));
    }
    let keys = [
        "k0",
        "k1",
        "k2",
        "resource.k0",
        "resource.region",
        "region",
        "error",
        "span.kind",
        "span.status",
        "scope.name",
    ];
    let values = [
        "v0", "v1", "0", "1", "0.5", "1.5", "true", "false", "", "[0]", "[1]", "server", "client",
        "unset", "ok", "Error", "lib0", "lib1", "eu", "us",
    ];
    for _ in 0..r.next(3) {
        qq.tags.push((
            keys[r.next(keys.len() as u64) as usize].to_string(),
            values[r.next(values.len() as u64) as usize].to_string(),
        ));
    }
    qq.limit = r.next(4) as usize * 3;
    qq
}

#[test]
fn searches_agree_with_the_model_rule_on_random_spans_and_queries() {
    let mut r = Rng(0x1234_5678_9abc_def1);
    let resources: Vec<Arc<Resource>> = (0..4)
        .map(|i| {
            Arc::new(Resource {
                service: Arc::from(format!("svc{i}").as_str()),
                attributes: vec![
                    kv(
                        "service.name",
                        Value::Str(Arc::from(format!("svc{i}").as_str())),
                    ),
                    kv("region", Value::Str(Arc::from(["eu", "us"][i % 2]))),
                    kv("k0", Value::Int((i % 2) as i64)),
                ],
                ..Resource::default()
            })
        })
        .collect();
    let st = TraceStore::new(StoreOptions { max_spans: 120 });
    // Arrival order of the traces held, oldest first, with their spans.
    let mut written: Vec<(u128, Vec<Span>)> = Vec::new();
    let (mut checked, mut matched, mut with_tags) = (0, 0, 0);
    for round in 0..40 {
        let batch: Vec<Span> = (0..r.next(20) + 1)
            .map(|i| {
                let trace = 1 + r.next(60) as u128 + round / 10 * 60;
                random_span(&mut r, trace, round as u64 * 100 + i, &resources)
            })
            .collect();
        st.write(batch.clone());
        // The model: evict oldest traces whole until the batch fits.
        let held: usize = written.iter().map(|(_, s)| s.len()).sum();
        let mut held = held;
        while held + batch.len() > 120 && !written.is_empty() {
            held -= written.remove(0).1.len();
        }
        for s in batch {
            match written.iter_mut().find(|(id, _)| *id == s.trace_id.0) {
                Some((_, spans)) => spans.push(s),
                None => written.push((s.trace_id.0, vec![s])),
            }
        }
        let model_spans: usize = written.iter().map(|(_, s)| s.len()).sum();
        assert_eq!(st.stats().spans as usize, model_spans);
        for _ in 0..40 {
            let mut qq = random_query(&mut r);
            // Half the time also ask for a value some held span has.
            if r.next(2) == 0 && !written.is_empty() {
                let spans = &written[r.next(written.len() as u64) as usize].1;
                let s = &spans[r.next(spans.len() as u64) as usize];
                let pool: Vec<&KeyValue> = s
                    .attributes
                    .iter()
                    .chain(s.events.iter().flat_map(|e| &e.attributes))
                    .chain(s.links.iter().flat_map(|l| &l.attributes))
                    .chain(&s.scope.attributes)
                    .collect();
                if !pool.is_empty() {
                    let kv = pool[r.next(pool.len() as u64) as usize];
                    qq.tags.push((kv.key.to_string(), kv.value.as_string()));
                }
            }
            let mut want: Vec<u128> = written
                .iter()
                .rev()
                .filter(|(_, spans)| spans.iter().any(|s| matching::model_span_matches(s, &qq)))
                .map(|(id, _)| *id)
                .collect();
            if qq.limit > 0 {
                want.truncate(qq.limit);
            }
            assert_eq!(ids(&st.find_traces(&qq)), want, "query {qq:?}");
            checked += 1;
            matched += usize::from(!want.is_empty());
            with_tags += usize::from(!want.is_empty() && !qq.tags.is_empty());
        }
    }
    assert!(
        st.stats().traces_evicted_total > 10,
        "eviction was exercised"
    );
    assert!(
        matched * 4 > checked && with_tags * 10 > checked,
        "{matched} and {with_tags} (with tags) of {checked} queries matched something"
    );
    for (id, spans) in &written {
        let t = st.get_trace(TraceId(*id)).unwrap();
        assert_eq!(t.spans.len(), spans.len());
    }
}

#[test]
fn results_are_newest_first_by_first_arrival_and_limited() {
    let st = TraceStore::new(StoreOptions::default());
    for t in 1..=5u128 {
        // Later traces start earlier: the order follows arrival, not time.
        st.write(vec![span(t, t as u64, 0, "svc", "op", 1_000 - t as u64)]);
    }
    // Trace 2 grows later: it keeps its place.
    st.write(vec![span(2, 20, 2, "svc", "op", 5_000)]);
    assert_eq!(ids(&st.find_traces(&q(Some("svc"), &[]))), [5, 4, 3, 2, 1]);
    let limited = TraceQuery {
        limit: 2,
        ..q(Some("svc"), &[("http.status_code", "500")])
    };
    assert_eq!(ids(&st.find_traces(&limited)), [5, 4]);
    let none = TraceQuery {
        limit: 2,
        ..TraceQuery::default()
    };
    assert_eq!(
        ids(&st.find_traces(&none)),
        [5, 4],
        "no index term: ring walk"
    );
}

#[test]
fn a_batch_larger_than_the_store_keeps_its_first_spans() {
    let st = TraceStore::new(StoreOptions { max_spans: 4 });
    st.write(vec![span(1, 1, 0, "old", "op", 1)]);
    let batch: Vec<Span> = (0..6)
        .map(|i| span(2 + i / 2, i as u64 + 10, 0, "new", "op", 5))
        .collect();
    let w = st.write(batch);
    assert_eq!(
        w,
        WriteStats {
            spans_written: 4,
            spans_rejected: 2,
            traces_evicted: 1
        }
    );
    assert!(st.get_trace(TraceId(1)).is_none());
    assert_eq!(st.get_trace(TraceId(2)).unwrap().spans.len(), 2);
    assert_eq!(st.get_trace(TraceId(3)).unwrap().spans.len(), 2);
    assert!(st.get_trace(TraceId(4)).is_none());
    assert_eq!(st.services(), ["new"]);
    let s = st.stats();
    assert_eq!(
        (s.spans, s.spans_rejected_total, s.spans_evicted_total),
        (4, 2, 1)
    );
}

#[test]
fn a_growing_trace_is_evicted_whole_when_oldest_and_restarts() {
    let st = TraceStore::new(StoreOptions { max_spans: 5 });
    st.write(vec![
        span(1, 1, 0, "a", "op", 1),
        span(1, 2, 1, "a", "op", 2),
    ]);
    st.write(vec![span(2, 3, 0, "b", "op", 3)]);
    st.write(vec![
        span(1, 4, 1, "a", "op", 4),
        span(1, 5, 1, "a", "op", 5),
    ]);
    assert_eq!(st.get_trace(TraceId(1)).unwrap().spans.len(), 4);
    // Two more spans of trace 1: it is the oldest, so all four go, and the
    // new spans start it again.
    let w = st.write(vec![
        span(1, 6, 1, "a", "op2", 6),
        span(1, 7, 1, "a", "op2", 7),
    ]);
    assert_eq!(w.traces_evicted, 1);
    let t = st.get_trace(TraceId(1)).unwrap();
    let got: Vec<u64> = t.spans.iter().map(|s| s.span_id.0).collect();
    assert_eq!(got, [6, 7]);
    assert_eq!(
        ids(&st.find_traces(&q(None, &[]))),
        [1, 2],
        "trace 1 is now the newest"
    );
    assert_eq!(
        st.operations("a", None),
        [Operation {
            name: Arc::from("op2"),
            kind: SpanKind::Server
        }],
        "operation `op` left with its last span"
    );
}

#[test]
fn eviction_frees_strings_shared_entries_and_index_terms() {
    let st = TraceStore::new(StoreOptions { max_spans: 10 });
    for t in 0..10u128 {
        let mut s = span(t, t as u64 + 1, 0, &format!("svc{t}"), &format!("op{t}"), 1);
        s.attributes.push(kv(
            "unique",
            Value::Str(Arc::from(format!("u{t}").as_str())),
        ));
        st.write(vec![s]);
    }
    let (strings, terms) = {
        let g = st.inner.read().unwrap();
        (g.string_count(), g.term_count())
    };
    assert!(strings >= 30, "{strings}");
    // Replace everything with one small trace of a known service.
    st.write(
        (0..10)
            .map(|i| span(100, 200 + i, 0, "keep", "op", 1))
            .collect(),
    );
    let mut g = st.inner.write().unwrap();
    g.sweep();
    assert_eq!(g.shared_counts(), (1, 1));
    // keep, op, http.status_code, attempt, service.name (key and value: "keep" shared)
    assert_eq!(g.string_count(), 4, "only the kept trace's strings remain");
    assert!(
        g.term_count() < terms / 2,
        "{} terms of {terms}",
        g.term_count()
    );
    drop(g);
    assert_eq!(st.services(), ["keep"]);
    assert!(st.find_traces(&q(Some("svc3"), &[])).is_empty());
    assert!(st.find_traces(&q(None, &[("unique", "u3")])).is_empty());
    assert_eq!(
        st.find_traces(&q(Some("keep"), &[("http.status_code", "500")]))
            .len(),
        1
    );
}

#[test]
fn services_and_operations_follow_the_spans_held() {
    let st = TraceStore::new(StoreOptions::default());
    let mut c = span(1, 2, 1, "b", "call", 2);
    c.kind = SpanKind::Client;
    st.write(vec![
        span(1, 1, 0, "a", "root", 1),
        c,
        span(2, 3, 0, "b", "serve", 3),
    ]);
    assert_eq!(st.services(), ["a", "b"]);
    let names = |ops: Vec<Operation>| {
        ops.into_iter()
            .map(|o| o.name.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(st.operations("b", None)), ["call", "serve"]);
    assert_eq!(names(st.operations("b", Some(SpanKind::Client))), ["call"]);
    assert!(st.operations("nobody", None).is_empty());
    let deps = st.dependencies(0, u64::MAX);
    assert_eq!(deps.len(), 1);
    assert_eq!(
        (deps[0].parent.as_str(), deps[0].child.as_str()),
        ("a", "b")
    );
    assert!(
        st.dependencies(3, 10).is_empty(),
        "the child span starts at 2"
    );
}

#[test]
fn clear_drops_all_traces_and_keeps_the_totals() {
    let st = TraceStore::new(StoreOptions::default());
    st.write(vec![span(1, 1, 0, "a", "op", 1)]);
    st.clear();
    assert!(st.get_trace(TraceId(1)).is_none());
    assert!(st.services().is_empty());
    let s = st.stats();
    assert_eq!((s.spans, s.traces, s.spans_written_total), (0, 0, 1));
    st.write(vec![span(1, 1, 0, "a", "op", 1)]);
    assert_eq!(st.find_traces(&q(Some("a"), &[])).len(), 1);
}

#[test]
fn concurrent_writers_and_readers_see_whole_batches() {
    let st = Arc::new(TraceStore::new(StoreOptions { max_spans: 2_000 }));
    let writers: Vec<_> = (0..3u128)
        .map(|w| {
            let st = st.clone();
            std::thread::spawn(move || {
                for i in 0..300u128 {
                    let t = w * 1_000_000 + i + 1;
                    let svc = format!("w{w}");
                    let batch: Vec<Span> = (0..5)
                        .map(|j| span(t, j + 1, 0, &svc, "op", 10 + j))
                        .collect();
                    st.write(batch);
                    // Read after write: visible by id and by search at once
                    // (unless the other writers have since pushed it out).
                    match st.get_trace(TraceId(t)) {
                        Some(got) => assert_eq!(got.spans.len(), 5),
                        None => assert!(st.stats().traces_evicted_total > 0),
                    }
                    let found = st.find_traces(&TraceQuery {
                        limit: 1,
                        ..q(Some(&svc), &[])
                    });
                    assert!(
                        found.first().map(|x| x.trace_id) == Some(TraceId(t))
                            || st.get_trace(TraceId(t)).is_none()
                    );
                }
            })
        })
        .collect();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let st = st.clone();
            std::thread::spawn(move || {
                for _ in 0..200 {
                    for t in st.find_traces(&q(None, &[("http.status_code", "500")])) {
                        assert_eq!(t.spans.len(), 5, "a batch is seen whole");
                    }
                    assert!(st.stats().spans <= 2_000);
                }
            })
        })
        .collect();
    for h in writers.into_iter().chain(readers) {
        h.join().unwrap();
    }
    let s = st.stats();
    assert_eq!(s.spans_written_total, 4_500);
    assert_eq!(s.spans, 2_000);
    assert_eq!(s.spans_evicted_total, 2_500);
    assert_eq!(s.traces_evicted_total, 500);
}
