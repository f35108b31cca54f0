//! Tests of each adjuster and of the warnings they leave.

use std::sync::Arc;

use super::*;
use crate::model::{Event, Link, Status, StatusCode, TraceId};
use crate::render::golden_tests::{kv, resource, s, span};
use crate::render::jaeger_trace;

fn trace(spans: Vec<Span>) -> Trace {
    Trace {
        trace_id: TraceId(7),
        spans: spans.into_iter().map(Arc::new).collect(),
    }
}

fn warnings(s: &Span) -> Vec<String> {
    s.attributes
        .iter()
        .find(|kv| &*kv.key == WARNINGS_ATTRIBUTE)
        .map(|kv| match &kv.value {
            Value::Array(a) => a.iter().map(Value::as_string).collect(),
            v => vec![v.as_string()],
        })
        .unwrap_or_default()
}

fn ids(t: &Trace) -> Vec<(u64, u64)> {
    t.spans
        .iter()
        .map(|s| (s.span_id.0, s.parent_span_id.0))
        .collect()
}

#[test]
fn zipkin_shared_server_span_gets_its_own_id() {
    let r = resource("a", vec![]);
    let root = span(7, 10, 0, &r);
    let mut client = span(7, 1, 10, &r);
    client.kind = SpanKind::Client;
    let mut server = span(7, 1, 10, &r);
    server.kind = SpanKind::Server;
    let child = span(7, 20, 1, &r);
    let t = adjust(&trace(vec![root, client, server, child]));
    // id 1 is taken; 2 is the first free id
    assert_eq!(ids(&t), [(10, 0), (1, 10), (2, 1), (20, 2)]);
    // nothing to do without shared ids
    let mut lone = span(7, 1, 0, &r);
    lone.kind = SpanKind::Server;
    assert_eq!(ids(&adjust(&trace(vec![lone]))), [(1, 0)]);
}

#[test]
fn collections_are_sorted_and_shared_resources_stay_shared() {
    let r = Arc::new(Resource {
        service: "a".into(),
        attributes: vec![kv("z", s("1")), kv("service.name", s("a"))],
        ..Default::default()
    });
    let mut a = span(7, 1, 0, &r);
    a.attributes = vec![kv("b", s("2")), kv("a", s("1"))];
    a.events = vec![
        Event {
            name: "zeta".into(),
            time_ns: 1,
            attributes: vec![kv("y", s("")), kv("x", s(""))],
            ..Default::default()
        },
        Event {
            name: "alpha".into(),
            time_ns: 2,
            ..Default::default()
        },
    ];
    a.links = vec![Link {
        trace_id: TraceId(7),
        span_id: SpanId(9),
        attributes: vec![kv("q", s("")), kv("p", s(""))],
        ..Default::default()
    }];
    let mut b = span(7, 2, 1, &r);
    (b.start_ns, b.end_ns) = (a.start_ns, a.end_ns);
    let mut c = span(7, 3, 1, &resource("c", vec![]));
    (c.start_ns, c.end_ns) = (a.start_ns, a.end_ns);
    let input = trace(vec![a, b, c]);
    let t = adjust(&input);
    let keys = |attrs: &[KeyValue]| {
        attrs
            .iter()
            .map(|kv| kv.key.to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(keys(&t.spans[0].resource.attributes), ["service.name", "z"]);
    assert!(Arc::ptr_eq(&t.spans[0].resource, &t.spans[1].resource));
    assert_eq!(keys(&t.spans[0].attributes), ["a", "b"]);
    assert_eq!(&*t.spans[0].events[0].name, "alpha");
    assert_eq!(keys(&t.spans[0].events[1].attributes), ["x", "y"]);
    assert_eq!(keys(&t.spans[0].links[0].attributes), ["p", "q"]);
    // the input (shared with the store) is untouched
    assert_eq!(keys(&input.spans[0].attributes), ["b", "a"]);
    // a span nothing changes is not copied
    assert!(Arc::ptr_eq(&input.spans[2], &t.spans[2]));
}

#[test]
fn identical_spans_are_dropped() {
    let r = resource("a", vec![]);
    let a = span(7, 1, 0, &r);
    let mut b = span(7, 2, 1, &r);
    b.attributes = vec![kv("k", s("v"))];
    let mut b_other = b.clone();
    b_other.attributes = vec![kv("k", s("w"))];
    // a copy of `b` with an equal resource in another allocation
    let mut b_copy = b.clone();
    b_copy.resource = resource("a", vec![]);
    let t = adjust(&trace(vec![a, b.clone(), b_copy, b_other]));
    assert_eq!(ids(&t), [(1, 0), (2, 1), (2, 1)]);
    assert_eq!(t.spans[1].attributes[0].value, s("v"));
    assert_eq!(t.spans[2].attributes[0].value, s("w"));
}

#[test]
fn clock_skew_is_reported_not_applied() {
    let ha = resource("a", vec![kv("host.name", s("ha"))]);
    let hb = resource("b", vec![kv("host.name", s("hb"))]);
    let base = 1_700_000_000_000_000_000u64;
    let mut parent = span(7, 1, 0, &ha);
    (parent.start_ns, parent.end_ns) = (base, base + 100_000_000);
    // another host, starts 50ms before its parent: latency split evenly
    // gives start = parent + 40ms, a delta of 90ms
    let mut child = span(7, 2, 1, &hb);
    (child.start_ns, child.end_ns) = (base - 50_000_000, base - 30_000_000);
    child.events = vec![Event {
        time_ns: base - 40_000_000,
        ..Default::default()
    }];
    // same host as `child`: inherits its delta
    let mut grandchild = span(7, 3, 2, &hb);
    (grandchild.start_ns, grandchild.end_ns) = (base - 45_000_000, base - 35_000_000);
    // same host as the parent and inside it: nothing
    let mut inside = span(7, 4, 1, &ha);
    (inside.start_ns, inside.end_ns) = (base + 10, base + 20);
    // longer than its parent and on another host: only moved to the parent's start
    let mut long = span(7, 5, 1, &hb);
    (long.start_ns, long.end_ns) = (base - 1_500, base + 200_000_000);
    let orphan = span(7, 6, 99, &ha);
    let t = adjust(&trace(vec![
        parent, child, grandchild, inside, long, orphan,
    ]));
    let msg =
        |d: &str| format!("clock skew adjustment disabled; not applying calculated delta of {d}");
    assert_eq!(warnings(&t.spans[0]), Vec::<String>::new());
    assert_eq!(warnings(&t.spans[1]), [msg("90ms")]);
    assert_eq!(warnings(&t.spans[2]), [msg("90ms")]);
    assert_eq!(warnings(&t.spans[3]), Vec::<String>::new());
    assert_eq!(warnings(&t.spans[4]), [msg("1.5µs")]);
    assert_eq!(
        warnings(&t.spans[5]),
        ["invalid parent span IDs=0000000000000063; skipping clock skew adjustment"]
    );
    // timestamps are unchanged
    assert_eq!(t.spans[1].start_ns, base - 50_000_000);
    assert_eq!(t.spans[1].events[0].time_ns, base - 40_000_000);
    // the v1 rendering shows them as the span's warnings, not as tags
    let v = jaeger_trace(&t);
    assert_eq!(v["spans"][1]["warnings"], serde_json::json!([msg("90ms")]));
    assert!(
        v["spans"][1]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["key"] != WARNINGS_ATTRIBUTE)
    );
    assert_eq!(v["spans"][0]["warnings"], serde_json::Value::Null);
}

#[test]
fn duplicate_ids_are_warned_about() {
    let r = resource("a", vec![]);
    let mut a = span(7, 1, 0, &r);
    a.name = "x".into();
    let b = span(7, 1, 0, &r);
    let t = adjust(&trace(vec![a, b]));
    assert_eq!(warnings(&t.spans[0]), Vec::<String>::new());
    assert_eq!(
        warnings(&t.spans[1]),
        ["duplicate span IDs; skipping clock skew adjustment"]
    );
}

#[test]
fn numeric_ip_attributes_become_dotted() {
    let r = resource("a", vec![kv("ip", Value::Int(0x0a00_0001))]);
    let mut a = span(7, 1, 0, &r);
    a.attributes = vec![
        kv("peer.ipv4", Value::Int(0x7f00_0001)),
        kv("port", Value::Int(1)),
    ];
    let t = adjust(&trace(vec![a]));
    assert_eq!(t.spans[0].attributes[0].value, s("127.0.0.1"));
    assert_eq!(t.spans[0].attributes[1].value, Value::Int(1));
    assert_eq!(t.spans[0].resource.attributes[0].value, s("10.0.0.1"));
}

#[test]
fn library_attributes_move_to_the_resource() {
    let r = resource("a", vec![kv("telemetry.sdk.name", s("opentelemetry"))]);
    let mut a = span(7, 1, 0, &r);
    a.attributes = vec![
        kv("telemetry.sdk.language", s("go")),
        kv("telemetry.sdk.name", s("other")),
        kv("http.method", s("GET")),
    ];
    let mut b = span(7, 2, 1, &r);
    (b.start_ns, b.end_ns) = (a.start_ns, a.end_ns);
    b.attributes = vec![kv("telemetry.sdk.name", s("opentelemetry"))];
    let t = adjust(&trace(vec![a, b]));
    let res = &t.spans[0].resource;
    assert!(Arc::ptr_eq(res, &t.spans[1].resource));
    assert!(
        res.attributes
            .iter()
            .any(|kv| &*kv.key == "telemetry.sdk.language" && kv.value == s("go"))
    );
    let keys: Vec<&str> = t.spans[0].attributes.iter().map(|kv| &*kv.key).collect();
    assert_eq!(
        keys,
        ["http.method", "telemetry.sdk.name", WARNINGS_ATTRIBUTE]
    );
    assert_eq!(
        warnings(&t.spans[0]),
        ["conflicting values between Span and Resource for attribute telemetry.sdk.name"]
    );
    // an equal value is simply dropped from the span
    assert!(
        t.spans[1].attributes.is_empty(),
        "{:?}",
        t.spans[1].attributes
    );
}

#[test]
fn empty_links_are_removed() {
    let r = resource("a", vec![]);
    let mut a = span(7, 1, 0, &r);
    a.links = vec![
        Link::default(),
        Link {
            trace_id: TraceId(3),
            span_id: SpanId(4),
            ..Default::default()
        },
    ];
    a.status = Status {
        code: StatusCode::Ok,
        message: "".into(),
    };
    let t = adjust(&trace(vec![a]));
    assert_eq!(t.spans[0].links.len(), 1);
    assert_eq!(t.spans[0].links[0].span_id, SpanId(4));
}
