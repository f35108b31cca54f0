//! Cross-module tests: bulk item results, single-document APIs, refresh policy, eviction and
//! the search request options.

use outpost_clock::Clock;
use serde_json::{Value, json};

use crate::query::golden_tests::{NOW, corpus};
use crate::{LogStore, OpType, Refresh, SearchOptions, StoreOptions};

fn store() -> LogStore {
    LogStore::new(StoreOptions::default(), Clock::manual(NOW))
}

fn hit_ids(res: &Value) -> Vec<String> {
    res["hits"]["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn bulk_items_follow_es() {
    let s = store();
    let body = concat!(
        "{\"index\":{\"_index\":\"logs\",\"_id\":\"1\"}}\n{\"n\":1,\"msg\":\"a\"}\n",
        "{\"create\":{\"_index\":\"logs\",\"_id\":\"1\"}}\n{\"n\":2}\n",
        "{\"index\":{\"_index\":\"logs\",\"_id\":\"1\"}}\n{\"n\":3}\n",
        "{\"index\":{\"_index\":\"logs\"}}\n{\"n\":\"not a number\"}\n",
        "{\"index\":{}}\n{broken json\n",
        "{\"create\":{}}\r\n{\"n\":4}\r\n",
        "{\"update\":{\"_id\":\"1\"}}\n{\"doc\":{\"n\":5}}\n",
        "{\"delete\":{\"_id\":\"1\"}}\n",
        "{\"delete\":{\"_id\":\"missing\"}}\n",
    );
    let res = s
        .bulk(Some("logs"), body.as_bytes(), Refresh::False)
        .unwrap();
    assert!(res.errors);
    let items = res.items;
    assert_eq!(items.len(), 9);
    assert_eq!(items[0]["index"]["status"], 201);
    assert_eq!(items[0]["index"]["result"], "created");
    assert_eq!(items[0]["index"]["_version"], 1);
    assert_eq!(items[0]["index"]["_seq_no"], 0);
    assert_eq!(items[0]["index"]["_primary_term"], 1);
    assert_eq!(items[0]["index"]["_shards"]["successful"], 1);
    assert_eq!(items[1]["create"]["status"], 409);
    assert_eq!(
        items[1]["create"]["error"]["type"],
        "version_conflict_engine_exception"
    );
    assert_eq!(
        items[1]["create"]["error"]["reason"],
        "[1]: version conflict, document already exists (current version [1])"
    );
    assert_eq!(items[2]["index"]["status"], 200);
    assert_eq!(items[2]["index"]["result"], "updated");
    assert_eq!(items[2]["index"]["_version"], 2);
    assert_eq!(items[3]["index"]["status"], 400);
    assert_eq!(
        items[3]["index"]["error"]["type"],
        "mapper_parsing_exception"
    );
    assert_eq!(
        items[4]["index"]["error"]["type"], "mapper_parsing_exception",
        "malformed source fails only its item"
    );
    assert_eq!(items[5]["create"]["status"], 201);
    assert_eq!(
        items[5]["create"]["_id"].as_str().unwrap().len(),
        20,
        "auto id"
    );
    assert_eq!(
        items[6]["update"]["error"]["type"],
        "illegal_argument_exception"
    );
    assert_eq!(items[7]["delete"]["result"], "deleted");
    assert_eq!(items[7]["delete"]["status"], 200);
    assert_eq!(items[8]["delete"]["result"], "not_found");
    assert_eq!(items[8]["delete"]["status"], 404);
    assert!(items[8]["delete"].get("error").is_none());
    s.refresh("logs").unwrap();
    let res = s
        .count("logs", &json!({}), SearchOptions::default())
        .unwrap();
    assert_eq!(res["count"], 1, "only the create with an auto id is left");
}

#[test]
fn malformed_action_lines_fail_the_request() {
    let s = store();
    let err = s
        .bulk(
            Some("logs"),
            b"{\"index\":{}}\n{}\n\"oops\"\n",
            Refresh::False,
        )
        .unwrap_err();
    assert_eq!(err.es_type(), "illegal_argument_exception");
    assert_eq!(
        err.to_string(),
        "Malformed action/metadata line [3], expected START_OBJECT but found [VALUE_STRING]"
    );
    let err = s
        .bulk(Some("logs"), b"{\"upsert\":{}}\n{}\n", Refresh::False)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("expected one of [create, delete, index, update] but found [upsert]")
    );
    let err = s
        .bulk(None, b"{\"index\":{}}\n{}\n", Refresh::False)
        .unwrap_err();
    assert!(err.to_string().contains("index is missing"));
}

#[test]
fn single_document_apis() {
    let s = store();
    let w = s
        .index_doc(
            "app",
            Some("x"),
            br#"{"msg": "hello"}"#,
            OpType::Index,
            Refresh::False,
        )
        .unwrap();
    assert_eq!(w.status(), 201);
    assert_eq!(w.to_es_json()["result"], "created");
    // get is realtime: no refresh needed, source byte for byte
    let (src, version) = s.get_doc("app", "x").unwrap().unwrap();
    assert_eq!(src, br#"{"msg": "hello"}"#);
    assert_eq!(version, 1);
    let err = s
        .index_doc("app", Some("x"), b"{}", OpType::Create, Refresh::False)
        .unwrap_err();
    assert_eq!(err.status(), 409);
    assert!(s.get_doc("app", "nope").unwrap().is_none());
    assert!(s.delete_doc("app", "x", Refresh::True).unwrap().is_some());
    assert!(s.delete_doc("app", "x", Refresh::True).unwrap().is_none());
    assert_eq!(
        s.get_doc("nope", "x").unwrap_err().es_type(),
        "index_not_found_exception"
    );
    assert_eq!(
        s.index_doc("Bad", None, b"{}", OpType::Index, Refresh::False)
            .unwrap_err()
            .es_type(),
        "invalid_index_name_exception"
    );
    s.create_index(
        "explicit",
        Some(&json!({"properties": {"code": {"type": "keyword"}}})),
    )
    .unwrap();
    assert_eq!(
        s.create_index("explicit", None).unwrap_err().es_type(),
        "resource_already_exists_exception"
    );
    s.index_doc(
        "explicit",
        None,
        br#"{"code": 42}"#,
        OpType::Index,
        Refresh::True,
    )
    .unwrap();
    let m = s.get_mapping("explicit").unwrap();
    assert_eq!(
        m["explicit"]["mappings"]["properties"]["code"]["type"],
        "keyword"
    );
    let res = s
        .search(
            "explicit",
            &json!({"query": {"term": {"code": "42"}}}),
            SearchOptions::default(),
        )
        .unwrap();
    assert_eq!(res["hits"]["total"]["value"], 1);
}

#[test]
fn writes_become_visible_within_the_refresh_interval() {
    let clock = Clock::manual(NOW);
    let s = LogStore::new(StoreOptions::default(), clock.clone());
    s.index_doc(
        "logs",
        Some("a"),
        br#"{"m": "one"}"#,
        OpType::Index,
        Refresh::True,
    )
    .unwrap();
    let count = |s: &LogStore| {
        s.count("logs", &json!({}), SearchOptions::default())
            .unwrap()["count"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(count(&s), 1, "refresh=true: visible when the write returns");
    s.index_doc(
        "logs",
        Some("b"),
        br#"{"m": "two"}"#,
        OpType::Index,
        Refresh::False,
    )
    .unwrap();
    assert_eq!(
        count(&s),
        1,
        "not yet: the last refresh is less than 1 s old"
    );
    clock
        .advance(std::time::Duration::from_millis(999))
        .unwrap();
    assert_eq!(count(&s), 1);
    clock.advance(std::time::Duration::from_millis(1)).unwrap();
    assert_eq!(
        count(&s),
        2,
        "1 s of clock time after the last refresh, searches see it"
    );
    s.index_doc(
        "logs",
        Some("c"),
        br#"{"m": "three"}"#,
        OpType::Index,
        Refresh::WaitFor,
    )
    .unwrap();
    assert_eq!(count(&s), 3, "wait_for: visible when the write returns");
}

#[test]
fn byte_cap_evicts_the_oldest_whole_index() {
    let opts = StoreOptions {
        max_bytes: 40_000,
        ..StoreOptions::default()
    };
    let s = LogStore::new(opts, Clock::manual(NOW));
    let doc = format!(r#"{{"message": "{}"}}"#, "x y z ".repeat(100));
    for day in 1..=6 {
        let index = format!("logs-2026.12.0{day}");
        let mut body = String::new();
        for _ in 0..100 {
            body.push_str("{\"index\":{}}\n");
            body.push_str(&doc);
            body.push('\n');
        }
        let res = s
            .bulk(Some(&index), body.as_bytes(), Refresh::True)
            .unwrap();
        assert!(!res.errors);
    }
    let st = s.stats();
    assert!(st.evicted_indices > 0, "{st:?}");
    assert_eq!(st.evicted_docs, st.evicted_indices * 100);
    assert!(st.bytes <= 40_000 || st.indices == 1, "{st:?}");
    assert!(s.exists("logs-2026.12.06"), "the newest index stays");
    assert!(!s.exists("logs-2026.12.01"), "the oldest goes first");
    assert_eq!(st.indices as u64 + st.evicted_indices, 6);
}

#[test]
fn search_options() {
    let s = corpus();
    let opts = SearchOptions::default();
    // sort by @timestamp desc (fast path) with from/size
    let res = s
        .search(
            "logs-*",
            &json!({"sort": [{"@timestamp": "desc"}], "size": 3, "from": 1}),
            opts,
        )
        .unwrap();
    assert_eq!(hit_ids(&res), vec!["d10", "d9", "d8"]);
    assert_eq!(res["hits"]["hits"][0]["sort"], json!([1796637600000_i64]));
    assert_eq!(res["hits"]["hits"][0]["_score"], Value::Null);
    assert_eq!(res["hits"]["max_score"], Value::Null);
    assert_eq!(res["hits"]["total"], json!({"value": 11, "relation": "eq"}));
    // search_after continues after the last sort values
    let page = json!({"sort": [{"@timestamp": "desc"}, {"_doc": "asc"}], "size": 2});
    let res = s.search("logs-*", &page, opts).unwrap();
    assert_eq!(hit_ids(&res), vec!["d11", "d10"]);
    let mut next = page.clone();
    next["search_after"] = res["hits"]["hits"][1]["sort"].clone();
    let res = s.search("logs-*", &next, opts).unwrap();
    assert_eq!(hit_ids(&res), vec!["d9", "d8"]);
    // field sort with missing values last, then first
    let res = s
        .search(
            "logs-*",
            &json!({"sort": [{"duration_ms": {"order": "desc"}}], "size": 3}),
            opts,
        )
        .unwrap();
    assert_eq!(hit_ids(&res), vec!["d7", "d2", "d1"]);
    let res = s.search("logs-*", &json!({"sort": [{"duration_ms": {"order": "asc", "missing": "_first"}}, "_doc"], "size": 1, "query": {"ids": {"values": ["d5", "d10"]}}}), opts).unwrap();
    assert_eq!(hit_ids(&res), vec!["d5"]);
    let res = s
        .search(
            "logs-*",
            &json!({"sort": ["service.name.keyword", {"@timestamp": "asc"}], "size": 3}),
            opts,
        )
        .unwrap();
    assert_eq!(hit_ids(&res), vec!["d5", "d6", "d1"]);
    // track_total_hits
    let res = s
        .search("logs-*", &json!({"track_total_hits": 5, "size": 0}), opts)
        .unwrap();
    assert_eq!(res["hits"]["total"], json!({"value": 5, "relation": "gte"}));
    let res = s
        .search(
            "logs-*",
            &json!({"track_total_hits": false, "size": 0}),
            opts,
        )
        .unwrap();
    assert!(res["hits"].get("total").is_none());
    // the result window
    let err = s
        .search("logs-*", &json!({"from": 9995, "size": 10}), opts)
        .unwrap_err();
    assert!(err.to_string().starts_with("Result window is too large, from + size must be less than or equal to: [10000] but was [10005]."));
    // _source filtering
    let res = s
        .search(
            "logs-*",
            &json!({"query": {"ids": {"values": ["d5"]}}, "_source": ["user.*", "log"]}),
            opts,
        )
        .unwrap();
    assert_eq!(
        res["hits"]["hits"][0]["_source"],
        json!({"log": {"level": "warn"}, "user": {"name": "alice"}})
    );
    let res = s.search("logs-*", &json!({"query": {"ids": {"values": ["d8"]}}, "_source": {"excludes": ["message", "host"]}}), opts).unwrap();
    assert_eq!(
        res["hits"]["hits"][0]["_source"],
        json!({"@timestamp": "2026-12-07T09:15:00.000Z", "log": {"level": "debug"}, "service": {"name": "demo"}})
    );
    let res = s
        .search(
            "logs-*",
            &json!({"query": {"ids": {"values": ["d8"]}}, "_source": false}),
            opts,
        )
        .unwrap();
    assert!(res["hits"]["hits"][0].get("_source").is_none());
    // scores: the better match ranks first and max_score is reported
    let res = s
        .search(
            "logs-*",
            &json!({"query": {"match": {"message": "quick brown lazy"}}}),
            opts,
        )
        .unwrap();
    assert_eq!(hit_ids(&res), vec!["d8", "d9"]);
    assert!(res["hits"]["max_score"].as_f64().unwrap() > 0.0);
    // missing index
    assert_eq!(
        s.search("nope", &json!({}), opts).unwrap_err().es_type(),
        "index_not_found_exception"
    );
    let res = s
        .search(
            "nope,logs-2026.12.06",
            &json!({}),
            SearchOptions {
                ignore_unavailable: true,
                ..opts
            },
        )
        .unwrap();
    assert_eq!(res["hits"]["total"]["value"], 3);
    assert_eq!(
        s.count(
            "logs-*",
            &json!({"query": {"term": {"log.level.keyword": "info"}}}),
            opts
        )
        .unwrap()["count"],
        4
    );
}

#[test]
fn keyword_twin_respects_ignore_above() {
    let s = store();
    let long = "word ".repeat(60);
    let doc = json!({"msg": long.trim_end()}).to_string();
    s.index_doc(
        "logs",
        Some("long"),
        doc.as_bytes(),
        OpType::Index,
        Refresh::True,
    )
    .unwrap();
    let count = |q: Value| {
        s.count("logs", &json!({"query": q}), SearchOptions::default())
            .unwrap()["count"]
            .clone()
    };
    assert_eq!(count(json!({"match": {"msg": "word"}})), 1);
    assert_eq!(
        count(json!({"term": {"msg.keyword": long.trim_end()}})),
        0,
        "longer than 256: not in .keyword"
    );
    assert_eq!(count(json!({"exists": {"field": "msg.keyword"}})), 0);
    // _source is kept as sent even though the keyword was not indexed
    assert_eq!(
        s.get_doc("logs", "long").unwrap().unwrap().0,
        doc.as_bytes()
    );
}

#[test]
fn deeply_nested_query_string_is_refused_not_a_stack_overflow() {
    let s = corpus();
    let q = format!("{}a{}", "(".repeat(100_000), ")".repeat(100_000));
    let err = s
        .search(
            "logs-*",
            &json!({"query": {"query_string": {"query": q}}}),
            SearchOptions::default(),
        )
        .unwrap_err();
    assert_eq!(err.es_type(), "parsing_exception");
    let ok = format!("{}cart{}", "(".repeat(10), ")".repeat(10));
    let res = s
        .search(
            "logs-*",
            &json!({"query": {"query_string": {"query": ok}}}),
            SearchOptions::default(),
        )
        .unwrap();
    assert_eq!(res["hits"]["total"]["value"], 2);
}

#[test]
fn search_body_keys_are_checked() {
    let s = corpus();
    let opts = SearchOptions::default();
    let e = s
        .search("logs-*", &json!({"match": {"message": "x"}}), opts)
        .unwrap_err();
    assert_eq!(e.es_type(), "parsing_exception");
    assert_eq!(e.to_string(), "Unknown key for a START_OBJECT in [match].");
    let e = s
        .count("logs-*", &json!({"match": {"message": "x"}}), opts)
        .unwrap_err();
    assert_eq!(e.to_string(), "request does not support [match]");
    // known keys outside the store's model are accepted
    let res = s
        .search(
            "logs-*",
            &json!({"size": 1, "timeout": "1s", "version": true}),
            opts,
        )
        .unwrap();
    assert_eq!(res["hits"]["hits"].as_array().map(Vec::len), Some(1));
}

#[test]
fn integer_totals_are_exact_or_refused() {
    let s = corpus();
    let as_int = SearchOptions {
        total_hits_as_int: true,
        ..SearchOptions::default()
    };
    let res = s.search("logs-*", &json!({}), as_int).unwrap();
    assert_eq!(res["hits"]["total"], json!(11));
    let res = s
        .search("logs-*", &json!({"track_total_hits": false}), as_int)
        .unwrap();
    assert_eq!(res["hits"]["total"], json!(-1));
    let e = s
        .search("logs-*", &json!({"track_total_hits": 100}), as_int)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "[rest_total_hits_as_int] cannot be used if the tracking of total hits is not accurate, got 100"
    );
    let res = s
        .search("logs-*", &json!({"track_total_hits": true}), as_int)
        .unwrap();
    assert_eq!(res["hits"]["total"], json!(11));
    let res = s
        .search("logs-*", &json!({"track_total_hits": -1}), as_int)
        .unwrap();
    assert_eq!(res["hits"]["total"], json!(11));
    let e = s
        .search("logs-*", &json!({"track_total_hits": -2}), as_int)
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "[track_total_hits] parameter must be positive or equals to -1, got -2"
    );
}

#[test]
fn stored_fields_without_source_drop_it() {
    let s = corpus();
    let opts = SearchOptions::default();
    let res = s
        .search(
            "logs-*",
            &json!({"size": 1, "stored_fields": ["message"]}),
            opts,
        )
        .unwrap();
    assert!(res["hits"]["hits"][0].get("_source").is_none());
    let res = s
        .search(
            "logs-*",
            &json!({"size": 1, "stored_fields": ["message", "_source"]}),
            opts,
        )
        .unwrap();
    assert!(res["hits"]["hits"][0]["_source"].is_object());
}

#[test]
fn search_after_takes_a_formatted_date() {
    let s = corpus();
    let opts = SearchOptions::default();
    let page = json!({"sort": [{"@timestamp": "desc"}], "size": 2});
    let res = s.search("logs-*", &page, opts).unwrap();
    assert_eq!(hit_ids(&res), vec!["d11", "d10"]);
    let mut next = page.clone();
    next["search_after"] = json!([res["hits"]["hits"][1]["_source"]["@timestamp"].clone()]);
    let res = s.search("logs-*", &next, opts).unwrap();
    assert_eq!(hit_ids(&res), vec!["d9", "d8"]);
}

#[test]
fn sort_modes_and_exact_longs() {
    let s = store();
    let body = concat!(
        "{\"index\":{\"_index\":\"ls\",\"_id\":\"1\"}}\n{\"f\":[9223372036854775807,1]}\n",
        "{\"index\":{\"_index\":\"ls\",\"_id\":\"2\"}}\n{\"f\":[922337203685477777,2]}\n",
        "{\"index\":{\"_index\":\"ls\",\"_id\":\"3\"}}\n{\"f\":[2147483647,3,4]}\n",
        "{\"index\":{\"_index\":\"ls\",\"_id\":\"4\"}}\n{\"f\":[2147483648,5,-1,-2]}\n",
    );
    assert!(!s.bulk(None, body.as_bytes(), Refresh::True).unwrap().errors);
    let opts = SearchOptions::default();
    let run = |mode: &str, order: &str| {
        let res = s
            .search(
                "ls",
                &json!({"sort": [{"f": {"mode": mode, "order": order}}]}),
                opts,
            )
            .unwrap();
        let sorts: Vec<Value> = res["hits"]["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["sort"][0].clone())
            .collect();
        (hit_ids(&res), sorts)
    };
    let (ids, sorts) = run("max", "desc");
    assert_eq!(ids, vec!["1", "2", "4", "3"]);
    assert_eq!(sorts[0], json!(9223372036854775807_i64));
    assert_eq!(
        run("min", "desc").1,
        vec![json!(3), json!(2), json!(1), json!(-2)]
    );
    let (ids, sorts) = run("median", "asc");
    assert_eq!(ids, vec!["4", "3", "2", "1"]);
    assert_eq!(sorts[2], json!(461168601842738880_i64));
    assert_eq!(sorts[3], json!(4611686018427387904_i64));
    // avg sums as a wrapping long first, as Java does
    let (ids, sorts) = run("avg", "desc");
    assert_eq!(ids, vec!["2", "3", "4", "1"]);
    assert_eq!(sorts[1], json!(715827885));
    assert_eq!(sorts[3], json!(-4611686018427387904_i64));
    assert_eq!(run("sum", "asc").1[0], json!(-9223372036854775808_i64));
    let e = s
        .search("ls", &json!({"sort": [{"f": {"mode": "nope"}}]}), opts)
        .unwrap_err();
    assert_eq!(e.to_string(), "Unknown SortMode [nope]");
    // a double field's integral values print as doubles
    let body = "{\"index\":{\"_index\":\"dd\"}}\n{\"d\":1.5}\n{\"index\":{\"_index\":\"dd\"}}\n{\"d\":2}\n";
    assert!(!s.bulk(None, body.as_bytes(), Refresh::True).unwrap().errors);
    let res = s
        .search("dd", &json!({"sort": [{"d": "desc"}]}), opts)
        .unwrap();
    assert_eq!(res["hits"]["hits"][0]["sort"], json!([2.0]));
    assert_ne!(res["hits"]["hits"][0]["sort"], json!([2]));
}

#[test]
fn size_and_docvalue_fields_limits() {
    let s = corpus();
    let opts = SearchOptions::default();
    let e = s
        .search("logs-*", &json!({"size": 2147483648_i64}), opts)
        .unwrap_err();
    assert_eq!(e.es_type(), "input_coercion_exception");
    assert_eq!(e.status(), 400);
    assert!(
        e.to_string()
            .contains("Numeric value (2147483648) out of range of `int`")
    );
    let many: Vec<String> = (0..101).map(|i| format!("f{i}")).collect();
    let e = s
        .search("logs-*", &json!({"docvalue_fields": many}), opts)
        .unwrap_err();
    assert!(e.to_string().starts_with(
        "Trying to retrieve too many docvalue_fields. Must be less than or equal to: [100] but was [101]."
    ));
    s.create_index_with(
        "small",
        &json!({"settings": {"index.max_docvalue_fields_search": 2}}),
    )
    .unwrap();
    let e = s
        .search("small", &json!({"docvalue_fields": ["a", "b", "c"]}), opts)
        .unwrap_err();
    assert!(e.to_string().contains("[2] but was [3]"), "{e}");
    assert!(
        s.search("small", &json!({"docvalue_fields": ["a", "b"]}), opts)
            .is_ok()
    );
}

/// Regression: a `@timestamp` beyond tantivy's nanosecond range (after 2262) overflowed the
/// fast date (a panic in debug builds). It is stored, found by term and range, and sorts last.
#[test]
fn timestamps_beyond_2262_are_stored_and_found() {
    let s = store();
    let body = "{\"index\":{\"_index\":\"far\",\"_id\":\"future\"}}\n{\"@timestamp\":\"2300-01-01T00:00:00Z\"}\n\
                {\"index\":{\"_index\":\"far\",\"_id\":\"past\"}}\n{\"@timestamp\":\"1600-01-01T00:00:00Z\"}\n\
                {\"index\":{\"_index\":\"far\",\"_id\":\"now\"}}\n{\"@timestamp\":\"2026-01-01T00:00:00Z\"}\n";
    let r = s.bulk(None, body.as_bytes(), Refresh::True).unwrap();
    assert!(!r.errors, "{:?}", r.to_es_json());
    let res = s
        .search(
            "far",
            &json!({"query": {"range": {"@timestamp": {"gte": "2299-01-01"}}}}),
            SearchOptions::default(),
        )
        .unwrap();
    assert_eq!(hit_ids(&res), vec!["future"]);
    let res = s
        .search(
            "far",
            &json!({"sort": [{"@timestamp": "asc"}]}),
            SearchOptions::default(),
        )
        .unwrap();
    assert_eq!(hit_ids(&res), vec!["past", "now", "future"]);
}
