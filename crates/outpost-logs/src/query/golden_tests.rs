//! Golden table: query DSL → hit ids over the fixture corpus `fixtures/es/filebeat.ndjson`.

use serde_json::{Value, json};

use crate::search::SearchOptions;
use crate::store::{LogStore, Refresh, StoreOptions};

/// 2026-12-07T11:30:00Z, the store clock of the golden table.
pub(crate) const NOW: i64 = 1_796_643_000_000;

pub(crate) fn corpus() -> LogStore {
    let store = LogStore::new(StoreOptions::default(), outpost_clock::Clock::manual(NOW));
    let body = include_bytes!("../../../../fixtures/es/filebeat.ndjson");
    let res = store.bulk(None, body, Refresh::True).unwrap();
    assert!(!res.errors, "{:?}", res.items);
    store
}

fn ids(store: &LogStore, index: &str, query: Value) -> Vec<String> {
    let res = store
        .search(
            index,
            &json!({"query": query, "size": 100}),
            SearchOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{query}: {e}"));
    let mut out: Vec<String> = res["hits"]["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["_id"].as_str().unwrap().to_string())
        .collect();
    out.sort_by_key(|id| (id.len(), id.clone()));
    out
}

#[test]
fn now_constant_is_the_documented_time() {
    assert_eq!(crate::date::parse_date("2026-12-07T11:30:00Z"), Some(NOW));
}

#[test]
fn golden_query_table() {
    let store = corpus();
    let table: Vec<(&str, Value, Vec<&str>)> = vec![
        (
            "logs-*",
            json!({"match_all": {}}),
            vec![
                "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "d10", "d11",
            ],
        ),
        ("*", json!({"match_none": {}}), vec![]),
        (
            "logs-*",
            json!({"match": {"message": "cart"}}),
            vec!["d1", "d4"],
        ),
        (
            "logs-*",
            json!({"match": {"message": "GET cart"}}),
            vec!["d1", "d4", "d10"],
        ),
        (
            "logs-*",
            json!({"match": {"message": {"query": "GET cart", "operator": "and"}}}),
            vec!["d1", "d4"],
        ),
        (
            "logs-*",
            json!({"match": {"message": {"query": "quick brown fox dog", "minimum_should_match": "75%"}}}),
            vec!["d8", "d9"],
        ),
        (
            "logs-*",
            json!({"match": {"message": {"query": "quick brown fox dog", "minimum_should_match": 4}}}),
            vec!["d8"],
        ),
        (
            "logs-*",
            json!({"match": {"log.level": "ERROR"}}),
            vec!["d2", "d7"],
        ),
        ("logs-*", json!({"match": {"nope": "x"}}), vec![]),
        (
            "logs-*",
            json!({"match_phrase": {"message": "quick brown"}}),
            vec!["d8"],
        ),
        (
            "logs-*",
            json!({"match_phrase": {"message": {"query": "fox quick", "slop": 2}}}),
            vec!["d9"],
        ),
        (
            "logs-*",
            json!({"match_phrase": {"message": "payment service"}}),
            vec!["d3", "d7"],
        ),
        (
            "logs-*",
            json!({"multi_match": {"query": "alice", "fields": ["message", "user.name"]}}),
            vec!["d5"],
        ),
        (
            "logs-*",
            json!({"multi_match": {"query": "payment", "fields": ["service.*"]}}),
            vec!["d7"],
        ),
        (
            "logs-*",
            json!({"term": {"log.level.keyword": "error"}}),
            vec!["d2", "d7"],
        ),
        (
            "logs-*",
            json!({"term": {"message": "Quick Brown"}}),
            vec![],
        ),
        (
            "logs-*",
            json!({"term": {"message.keyword": "Quick Brown Fox jumps over the lazy dog"}}),
            vec!["d8"],
        ),
        (
            "logs-*",
            json!({"term": {"message": "quick"}}),
            vec!["d8", "d9"],
        ),
        (
            "logs-*",
            json!({"term": {"http.response.status_code": 200}}),
            vec!["d1", "d4", "d6", "d10"],
        ),
        (
            "logs-*",
            json!({"term": {"http.response.status_code": "500"}}),
            vec!["d2"],
        ),
        (
            "logs-*",
            json!({"term": {"event.success": false}}),
            vec!["d2", "d5", "d7"],
        ),
        (
            "logs-*",
            json!({"term": {"trace_id.keyword": "4bf92f3577b34da6a3ce929d0e0e4736"}}),
            vec!["d1", "d7"],
        ),
        (
            "logs-*",
            json!({"term": {"kubernetes.pod.name.keyword": {"value": "AUTH-1", "case_insensitive": true}}}),
            vec!["d5", "d6"],
        ),
        (
            "logs-*",
            json!({"terms": {"service.name.keyword": ["auth", "payment"]}}),
            vec!["d5", "d6", "d7"],
        ),
        (
            "logs-*",
            json!({"terms": {"tags.keyword": ["infra", "retry"]}}),
            vec!["d3", "d11"],
        ),
        (
            "logs-*",
            json!({"range": {"http.response.status_code": {"gte": 400, "lt": 504}}}),
            vec!["d2", "d5"],
        ),
        (
            "logs-*",
            json!({"range": {"duration_ms": {"gt": 10}}}),
            vec!["d1", "d2", "d7"],
        ),
        (
            "logs-*",
            json!({"range": {"@timestamp": {"gte": "2026-12-07T09:00:00Z", "lte": "2026-12-07T09:16:00Z"}}}),
            vec!["d7", "d8", "d9"],
        ),
        (
            "logs-*",
            json!({"range": {"@timestamp": {"gte": "now-3h", "lt": "now"}}}),
            vec!["d5", "d6", "d7", "d8", "d9", "d10", "d11"],
        ),
        (
            "logs-*",
            json!({"range": {"@timestamp": {"gte": "now-1d/d", "lt": "now/d"}}}),
            vec!["d1", "d2", "d3"],
        ),
        (
            "logs-*",
            json!({"range": {"@timestamp": {"gt": "2026-12-06||/d"}}}),
            vec!["d4", "d5", "d6", "d7", "d8", "d9", "d10", "d11"],
        ),
        (
            "logs-*",
            json!({"range": {"@timestamp": {"lte": "2026-12-06||/d"}}}),
            vec!["d1", "d2", "d3"],
        ),
        (
            "logs-*",
            json!({"range": {"@timestamp": {"gte": 1796634000000_i64, "lte": 1796634960000_i64, "format": "epoch_millis"}}}),
            vec!["d7", "d8", "d9"],
        ),
        (
            "logs-*",
            json!({"range": {"service.name.keyword": {"gte": "n", "lt": "q"}}}),
            vec!["d7", "d11"],
        ),
        (
            "logs-*",
            json!({"bool": {"must": [{"match": {"message": "get"}}], "filter": [{"term": {"host.name.keyword": "node-1"}}]}}),
            vec!["d1", "d4"],
        ),
        (
            "logs-*",
            json!({"bool": {"should": [{"term": {"log.level.keyword": "error"}}, {"term": {"log.level.keyword": "warn"}}]}}),
            vec!["d2", "d3", "d5", "d7", "d11"],
        ),
        (
            "logs-*",
            json!({"bool": {"filter": {"term": {"service.name.keyword": "auth"}}, "should": [{"match": {"message": "alice"}}]}}),
            vec!["d5", "d6"],
        ),
        (
            "logs-*",
            json!({"bool": {"filter": {"term": {"service.name.keyword": "auth"}}, "should": [{"match": {"message": "alice"}}], "minimum_should_match": 1}}),
            vec!["d5"],
        ),
        (
            "logs-*",
            json!({"bool": {"must_not": [{"exists": {"field": "tags"}}]}}),
            vec!["d8", "d9", "d10"],
        ),
        (
            "logs-*",
            json!({"bool": {"must": {"match": {"message": "user"}}, "must_not": {"match": {"message": "bob"}}}}),
            vec!["d5"],
        ),
        (
            "logs-*",
            json!({"exists": {"field": "user"}}),
            vec!["d5", "d6"],
        ),
        (
            "logs-*",
            json!({"exists": {"field": "trace_id.keyword"}}),
            vec!["d1", "d2", "d7"],
        ),
        (
            "logs-*",
            json!({"prefix": {"kubernetes.pod.name.keyword": "checkout-"}}),
            vec!["d2", "d3"],
        ),
        (
            "logs-*",
            json!({"prefix": {"message": "pay"}}),
            vec!["d3", "d7"],
        ),
        (
            "logs-*",
            json!({"wildcard": {"host.name.keyword": "node-?"}}),
            vec![
                "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "d10", "d11",
            ],
        ),
        (
            "logs-*",
            json!({"wildcard": {"kubernetes.pod.name.keyword": {"value": "cart-*-d*"}}}),
            vec!["d4"],
        ),
        (
            "logs-*",
            json!({"regexp": {"service.name.keyword": "(auth|gate).*"}}),
            vec!["d5", "d6", "d10"],
        ),
        (
            "logs-*",
            json!({"ids": {"values": ["d3", "d9", "zz"]}}),
            vec!["d3", "d9"],
        ),
        (
            "logs-*",
            json!({"query_string": {"query": "cart"}}),
            vec!["d1", "d4"],
        ),
        (
            "logs-*",
            json!({"query_string": {"query": "log.level:error AND service.name:payment"}}),
            vec!["d7"],
        ),
        (
            "logs-*",
            json!({"query_string": {"query": "service.name:(auth OR payment) -user.name:bob"}}),
            vec!["d5", "d7"],
        ),
        (
            "logs-*",
            json!({"query_string": {"query": "+message:login NOT alice"}}),
            vec!["d6"],
        ),
        (
            "logs-*",
            json!({"query_string": {"query": "\"quick brown\""}}),
            vec!["d8"],
        ),
        (
            "logs-*",
            json!({"query_string": {"query": "message:\"fox quick\"~2"}}),
            vec!["d9"],
        ),
        (
            "logs-*",
            json!({"query_string": {"query": "_exists_:user"}}),
            vec!["d5", "d6"],
        ),
        (
            "logs-*",
            json!({"query_string": {"query": "trace_id:*"}}),
            vec!["d1", "d2", "d7"],
        ),
        (
            "logs-*",
            json!({"query_string": {"query": "kubernetes.pod.name.keyword:cart*"}}),
            vec!["d1", "d4"],
        ),
        (
            "logs-*",
            json!({"query_string": {"query": "message:tim*"}}),
            vec!["d7"],
        ),
        (
            "logs-*",
            json!({"query_string": {"query": "http.response.status_code:[400 TO 500}"}}),
            vec!["d5"],
        ),
        (
            "logs-*",
            json!({"query_string": {"query": "http.response.status_code:>=500"}}),
            vec!["d2", "d7"],
        ),
        (
            "logs-*",
            json!({"query_string": {"query": "@timestamp:[2026-12-07T09:00:00Z TO *]"}}),
            vec!["d7", "d8", "d9", "d10", "d11"],
        ),
        (
            "logs-*",
            json!({"query_string": {"query": "service.name.keyword:/pay.*/"}}),
            vec!["d7"],
        ),
        (
            "logs-*",
            json!({"query_string": {"query": "fox dog", "default_operator": "AND"}}),
            vec!["d8"],
        ),
        (
            "logs-*",
            json!({"query_string": {"query": "*"}}),
            vec![
                "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "d10", "d11",
            ],
        ),
        (
            "logs-*",
            json!({"simple_query_string": {"query": "fox + lazy"}}),
            vec!["d8"],
        ),
        (
            "logs-*",
            json!({"simple_query_string": {"query": "alice | bob", "fields": ["message"]}}),
            vec!["d5", "d6"],
        ),
        (
            "logs-*",
            json!({"simple_query_string": {"query": "login -alice", "default_operator": "and"}}),
            vec!["d6"],
        ),
        (
            "logs-*",
            json!({"simple_query_string": {"query": "\"lazy dog\""}}),
            vec!["d8"],
        ),
        (
            "logs-*,app-*",
            json!({"match": {"service.name": "gateway"}}),
            vec!["a1", "d10"],
        ),
        (
            "logs-*,-logs-2026.12.06",
            json!({"match": {"service.name": "cart"}}),
            vec!["d4"],
        ),
        ("_all", json!({"match": {"message": "config"}}), vec!["a1"]),
        (
            "app-audit",
            json!({"term": {"labels.team.keyword": "edge"}}),
            vec!["a1"],
        ),
        (
            "app-audit",
            json!({"exists": {"field": "labels"}}),
            vec!["a1"],
        ),
    ];
    let mut failures = Vec::new();
    for (index, q, want) in &table {
        let got = ids(&store, index, q.clone());
        if got != *want {
            failures.push(format!("{index} {q}: got {got:?}, want {want:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        table.len(),
        failures.join("\n")
    );
}

#[test]
fn unknown_and_malformed_queries_are_parsing_exceptions() {
    let store = corpus();
    let err = store
        .search(
            "logs-*",
            &json!({"query": {"fuzzy_nope": {}}}),
            SearchOptions::default(),
        )
        .unwrap_err();
    assert_eq!(err.es_type(), "parsing_exception");
    assert_eq!(err.to_string(), "unknown query [fuzzy_nope]");
    assert_eq!(err.status(), 400);
    let err = store
        .search(
            "logs-*",
            &json!({"query": {"query_string": {"query": "(a OR b"}}}),
            SearchOptions::default(),
        )
        .unwrap_err();
    assert_eq!(err.es_type(), "parsing_exception");
    let err = store
        .search(
            "logs-*",
            &json!({"query": {"term": {"http.response.status_code": "abc"}}}),
            SearchOptions::default(),
        )
        .unwrap_err();
    assert_eq!(err.es_type(), "illegal_argument_exception");
    // simple_query_string never fails on syntax
    assert!(
        store
            .search(
                "logs-*",
                &json!({"query": {"simple_query_string": {"query": "(a | b"}}}),
                SearchOptions::default()
            )
            .is_ok()
    );
}
