use std::sync::Arc;

use super::*;
use crate::model::{Event, KeyValue, Resource, Scope, SpanId, Status, Value};

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
