//! Golden table of aggregations: request → expected response subtree over a small corpus of two
//! indices written in two refreshes each (so results merge across segments and indices). The
//! behaviours follow ES 8's aggregation reference and the REST tests under
//! `search.aggregation/` (histogram, terms, range, filter, percentiles, top_hits, cardinality,
//! date_histogram, empty).

use serde_json::{Value, json};

use crate::search::SearchOptions;
use crate::store::{LogStore, Refresh, StoreOptions};

/// 2026-11-24T10:00:00Z.
const T0: i64 = 1_795_514_400_000;
const MIN: i64 = 60_000;
const DAY: i64 = 86_400_000;

fn doc(index: &str, id: u32, ts_off: i64, fields: Value) -> String {
    let mut d = fields;
    d["@timestamp"] = json!(outpost_clock::text::rfc3339_millis(T0 + ts_off));
    format!("{{\"index\":{{\"_index\":\"{index}\",\"_id\":\"{id}\"}}}}\n{d}\n")
}

fn corpus() -> LogStore {
    let store = LogStore::new(
        StoreOptions::default(),
        outpost_clock::Clock::manual(T0 + 2 * DAY),
    );
    let batches = [
        vec![
            doc(
                "logs-a",
                1,
                0,
                json!({"service": "cart", "level": "info", "status": 200, "latency": 10.0, "ok": true}),
            ),
            doc(
                "logs-a",
                2,
                20_000,
                json!({"service": "cart", "level": "error", "status": 500, "latency": 250.5, "ok": false}),
            ),
            doc(
                "logs-b",
                5,
                135_000,
                json!({"service": "cart", "level": "info", "status": 201, "latency": 12.0, "ok": true}),
            ),
            doc(
                "logs-b",
                6,
                3 * 3_600_000,
                json!({"service": "gateway", "level": "info", "status": 200, "latency": 100.0, "ok": true}),
            ),
        ],
        vec![
            doc(
                "logs-a",
                3,
                65_000,
                json!({"service": "auth", "level": "info", "status": 200, "latency": 30.0, "ok": true}),
            ),
            doc(
                "logs-a",
                4,
                130_000,
                json!({"service": "auth", "level": "warn", "status": 404, "latency": 5.0, "ok": true}),
            ),
            doc(
                "logs-b",
                7,
                DAY + 5_000,
                json!({"service": "gateway", "level": "error", "status": 503, "latency": 900.0, "ok": false}),
            ),
            doc("logs-b", 8, DAY + 10_000, json!({"level": "debug"})),
        ],
    ];
    for b in batches {
        let body = b.concat();
        let res = store.bulk(None, body.as_bytes(), Refresh::True).unwrap();
        assert!(!res.errors, "{:?}", res.items);
    }
    store
}

fn aggs(store: &LogStore, body: Value) -> Value {
    let res = store
        .search("logs-*", &body, SearchOptions::default())
        .unwrap_or_else(|e| panic!("{body}: {e}"));
    res["aggregations"].clone()
}

fn err(store: &LogStore, body: Value) -> (String, String) {
    let e = store
        .search("logs-*", &body, SearchOptions::default())
        .expect_err("expected an error");
    (e.es_type().to_string(), e.to_string())
}

fn keys_counts(v: &Value) -> Vec<(Value, u64)> {
    v["buckets"]
        .as_array()
        .unwrap_or_else(|| panic!("no buckets array in {v}"))
        .iter()
        .map(|b| (b["key"].clone(), b["doc_count"].as_u64().unwrap()))
        .collect()
}

#[test]
fn date_histogram_fixed_interval_shapes_and_fills() {
    let s = corpus();
    let a = aggs(
        &s,
        json!({"size": 0, "aggs": {"h": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1m", "min_doc_count": 1}}}}),
    );
    assert_eq!(
        a["h"]["buckets"][0],
        json!({"key_as_string": "2026-11-24T10:00:00.000Z", "key": T0, "doc_count": 2})
    );
    assert_eq!(
        keys_counts(&a["h"])[..3],
        [
            (json!(T0), 2),
            (json!(T0 + MIN), 1),
            (json!(T0 + 2 * MIN), 2)
        ]
    );
    // min_doc_count 0 (default) fills the gaps between the first and last bucket
    let a = aggs(
        &s,
        json!({"size": 0, "query": {"range": {"@timestamp": {"lt": "2026-11-24T10:03:00Z"}}},
               "aggs": {"h": {"date_histogram": {"field": "@timestamp", "fixed_interval": "30s"}}}}),
    );
    assert_eq!(
        keys_counts(&a["h"]),
        vec![
            (json!(T0), 2),
            (json!(T0 + 30_000), 0),
            (json!(T0 + MIN), 1),
            (json!(T0 + 90_000), 0),
            (json!(T0 + 2 * MIN), 2),
        ]
    );
}

#[test]
fn date_histogram_extended_and_hard_bounds() {
    let s = corpus();
    let q =
        json!({"range": {"@timestamp": {"gte": T0, "lt": T0 + 3 * MIN, "format": "epoch_millis"}}});
    let a = aggs(
        &s,
        json!({"size": 0, "query": q, "aggs": {"h": {"date_histogram": {
            "field": "@timestamp", "fixed_interval": "1m", "format": "epoch_millis",
            "extended_bounds": {"min": "2026-11-24T10:00:00Z||-2m", "max": T0 + 5 * MIN}}}}}),
    );
    let kc = keys_counts(&a["h"]);
    assert_eq!(kc.len(), 8, "{a}");
    assert_eq!(kc[0], (json!(T0 - 2 * MIN), 0));
    assert_eq!(kc[7], (json!(T0 + 5 * MIN), 0));
    assert_eq!(a["h"]["buckets"][2]["key_as_string"], json!(T0.to_string()));
    // hard bounds cut buckets outside them
    let a = aggs(
        &s,
        json!({"size": 0, "query": q, "aggs": {"h": {"date_histogram": {
            "field": "@timestamp", "fixed_interval": "1m",
            "hard_bounds": {"min": T0 + MIN, "max": T0 + 10 * MIN}}}}}),
    );
    assert_eq!(
        keys_counts(&a["h"]),
        vec![(json!(T0 + MIN), 1), (json!(T0 + 2 * MIN), 2)]
    );
    // no documents and no extended bounds: no buckets
    let a = aggs(
        &s,
        json!({"size": 0, "query": {"match_none": {}}, "aggs": {"h": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1h"}}}}),
    );
    assert_eq!(a["h"], json!({"buckets": []}));
}

#[test]
fn date_histogram_calendar_time_zone_format_keyed_order() {
    let s = corpus();
    let a = aggs(
        &s,
        json!({"size": 0, "aggs": {"d": {"date_histogram": {"field": "@timestamp", "calendar_interval": "day", "time_zone": "+01:00"}}}}),
    );
    let local_midnight = T0 - 11 * 3_600_000;
    assert_eq!(
        a["d"]["buckets"],
        json!([
            {"key_as_string": "2026-11-24T00:00:00.000+01:00", "key": local_midnight, "doc_count": 6},
            {"key_as_string": "2026-11-25T00:00:00.000+01:00", "key": local_midnight + DAY, "doc_count": 2},
        ])
    );
    let a = aggs(
        &s,
        json!({"size": 0, "aggs": {"m": {"date_histogram": {"field": "@timestamp", "calendar_interval": "1M", "format": "yyyy-MM-dd", "keyed": true}}}}),
    );
    assert_eq!(a["m"]["buckets"]["2026-11-01"]["doc_count"], json!(8));
    let a = aggs(
        &s,
        json!({"size": 0, "aggs": {"w": {"date_histogram": {"field": "@timestamp", "calendar_interval": "week", "time_zone": "Europe/Paris"}},
                                   "y": {"date_histogram": {"field": "@timestamp", "interval": "year"}},
                                   "h": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1h", "min_doc_count": 1, "order": {"_count": "desc"}}}}}),
    );
    // 2026-11-23 was a Monday; Paris is UTC+1 in November
    assert_eq!(
        a["w"]["buckets"][0]["key_as_string"],
        json!("2026-11-23T00:00:00.000+01:00")
    );
    assert_eq!(a["w"]["buckets"][0]["doc_count"], json!(8));
    assert_eq!(
        a["y"]["buckets"][0]["key_as_string"],
        json!("2026-01-01T00:00:00.000Z")
    );
    assert_eq!(keys_counts(&a["h"])[0], (json!(T0), 5));
}

#[test]
fn terms_on_keywords_numbers_booleans() {
    let s = corpus();
    let a = aggs(
        &s,
        json!({"size": 0, "aggs": {
            "svc": {"terms": {"field": "service.keyword"}},
            "top": {"terms": {"field": "service.keyword", "size": 1}},
            "miss": {"terms": {"field": "service.keyword", "missing": "none"}},
            "status": {"terms": {"field": "status", "order": {"_key": "desc"}}},
            "ok": {"terms": {"field": "ok"}},
            "nope": {"terms": {"field": "no_such_field"}},
        }}),
    );
    assert_eq!(
        a["svc"],
        json!({"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": [
            {"key": "cart", "doc_count": 3}, {"key": "auth", "doc_count": 2}, {"key": "gateway", "doc_count": 2}]})
    );
    assert_eq!(a["top"]["sum_other_doc_count"], json!(4));
    assert_eq!(
        a["top"]["buckets"],
        json!([{"key": "cart", "doc_count": 3}])
    );
    assert_eq!(keys_counts(&a["miss"]).last(), Some(&(json!("none"), 1)));
    assert_eq!(
        keys_counts(&a["status"]),
        vec![
            (json!(503), 1),
            (json!(500), 1),
            (json!(404), 1),
            (json!(201), 1),
            (json!(200), 3)
        ]
    );
    assert_eq!(
        a["ok"]["buckets"],
        json!([{"key": 1, "key_as_string": "true", "doc_count": 5}, {"key": 0, "key_as_string": "false", "doc_count": 2}])
    );
    assert_eq!(a["nope"]["buckets"], json!([]));
}

#[test]
fn terms_order_by_sub_aggregation_and_include_exclude() {
    let s = corpus();
    let a = aggs(
        &s,
        json!({"size": 0, "aggs": {
            "by_latency": {"terms": {"field": "service.keyword", "order": {"lat": "desc"}}, "aggs": {"lat": {"avg": {"field": "latency"}}}},
            "by_max": {"terms": {"field": "service.keyword", "order": [{"st.max": "asc"}]}, "aggs": {"st": {"stats": {"field": "latency"}}}},
            "inc": {"terms": {"field": "service.keyword", "include": "ca.*|gate.*", "exclude": ["cart"]}},
            "asc": {"terms": {"field": "level.keyword", "order": {"_count": "asc"}}},
        }}),
    );
    let keys = |v: &Value| -> Vec<Value> { keys_counts(v).into_iter().map(|k| k.0).collect() };
    assert_eq!(
        keys(&a["by_latency"]),
        vec![json!("gateway"), json!("cart"), json!("auth")]
    );
    assert_eq!(
        a["by_latency"]["buckets"][0]["lat"],
        json!({"value": 500.0})
    );
    assert_eq!(
        keys(&a["by_max"]),
        vec![json!("auth"), json!("cart"), json!("gateway")]
    );
    assert_eq!(keys(&a["inc"]), vec![json!("gateway")]);
    // ties on count order by key ascending
    assert_eq!(
        keys(&a["asc"]),
        vec![json!("debug"), json!("warn"), json!("error"), json!("info")]
    );
}

#[test]
fn histogram_and_ranges() {
    let s = corpus();
    let a = aggs(
        &s,
        json!({"size": 0, "aggs": {
            "h": {"histogram": {"field": "latency", "interval": 100, "min_doc_count": 1}},
            "filled": {"histogram": {"field": "latency", "interval": 300, "extended_bounds": {"min": 0, "max": 1200}}},
            "r": {"range": {"field": "latency", "ranges": [{"to": 50}, {"from": 50, "to": 150}, {"from": 150}]}},
            "kr": {"range": {"field": "latency", "keyed": true, "ranges": [{"key": "fast", "to": 50}, {"key": "slow", "from": 50}]}},
            "dr": {"date_range": {"field": "@timestamp", "ranges": [{"to": "2026-11-24T10:01:00Z"}, {"from": "2026-11-24T10:01:00Z", "to": "now"}]}},
        }}),
    );
    assert_eq!(
        keys_counts(&a["h"]),
        vec![
            (json!(0.0), 4),
            (json!(100.0), 1),
            (json!(200.0), 1),
            (json!(900.0), 1)
        ]
    );
    assert_eq!(
        keys_counts(&a["filled"]),
        vec![
            (json!(0.0), 6),
            (json!(300.0), 0),
            (json!(600.0), 0),
            (json!(900.0), 1),
            (json!(1200.0), 0)
        ]
    );
    assert_eq!(
        a["r"]["buckets"],
        json!([
            {"key": "*-50.0", "to": 50.0, "doc_count": 4},
            {"key": "50.0-150.0", "from": 50.0, "to": 150.0, "doc_count": 1},
            {"key": "150.0-*", "from": 150.0, "doc_count": 2},
        ])
    );
    assert_eq!(a["kr"]["buckets"]["fast"]["doc_count"], json!(4));
    assert_eq!(a["kr"]["buckets"]["slow"]["doc_count"], json!(3));
    assert_eq!(
        a["dr"]["buckets"][0]["key"],
        json!("*-2026-11-24T10:01:00.000Z")
    );
    assert_eq!(a["dr"]["buckets"][0]["to"], json!((T0 + MIN) as f64));
    assert_eq!(
        a["dr"]["buckets"][0]["to_as_string"],
        json!("2026-11-24T10:01:00.000Z")
    );
    assert_eq!(a["dr"]["buckets"][0]["doc_count"], json!(2));
    assert_eq!(a["dr"]["buckets"][1]["doc_count"], json!(6));
}

#[test]
fn filters_filter_missing() {
    let s = corpus();
    let a = aggs(
        &s,
        json!({"size": 0, "aggs": {
            "named": {"filters": {"other_bucket_key": "rest", "filters": {
                "infos": {"match": {"level": "info"}}, "errors": {"term": {"level.keyword": "error"}}}}},
            "anon": {"filters": {"filters": [{"term": {"ok": false}}, {"exists": {"field": "service"}}], "other_bucket": true}},
            "f": {"filter": {"range": {"latency": {"gte": 100}}}, "aggs": {"avg": {"avg": {"field": "latency"}}}},
            "m": {"missing": {"field": "latency"}},
        }}),
    );
    assert_eq!(
        a["named"]["buckets"],
        json!({"errors": {"doc_count": 2}, "infos": {"doc_count": 4}, "rest": {"doc_count": 2}})
    );
    assert_eq!(
        a["anon"]["buckets"],
        json!([{"doc_count": 2}, {"doc_count": 7}, {"doc_count": 1}])
    );
    assert_eq!(a["f"]["doc_count"], json!(3));
    assert_eq!(a["f"]["avg"]["value"], json!((250.5 + 100.0 + 900.0) / 3.0));
    assert_eq!(a["m"], json!({"doc_count": 1}));
}

#[test]
fn metrics_cardinality_percentiles() {
    let s = corpus();
    let a = aggs(
        &s,
        json!({"size": 0, "aggs": {
            "min": {"min": {"field": "latency"}}, "max": {"max": {"field": "latency"}},
            "avg": {"avg": {"field": "status"}}, "sum": {"sum": {"field": "latency"}},
            "vc": {"value_count": {"field": "service.keyword"}},
            "st": {"stats": {"field": "status"}},
            "ex": {"extended_stats": {"field": "latency"}},
            "none_min": {"min": {"field": "nope"}}, "none_sum": {"sum": {"field": "nope"}},
            "none_avg": {"avg": {"field": "nope"}}, "none_count": {"value_count": {"field": "nope"}},
            "card": {"cardinality": {"field": "service.keyword"}}, "card_n": {"cardinality": {"field": "status"}},
            "last": {"max": {"field": "@timestamp"}},
            "p": {"percentiles": {"field": "latency", "percents": [50, 99.9]}},
            "pa": {"percentiles": {"field": "latency", "percents": [0], "keyed": false}},
            "pd": {"percentiles": {"field": "latency"}},
        }}),
    );
    assert_eq!(a["min"], json!({"value": 5.0}));
    assert_eq!(a["max"], json!({"value": 900.0}));
    assert_eq!(
        a["avg"]["value"],
        json!((200.0 * 3.0 + 500.0 + 404.0 + 201.0 + 503.0) / 7.0)
    );
    assert_eq!(a["sum"], json!({"value": 1307.5}));
    assert_eq!(a["vc"], json!({"value": 7}));
    assert_eq!(
        a["st"],
        json!({"count": 7, "min": 200.0, "max": 503.0, "avg": 2208.0 / 7.0, "sum": 2208.0})
    );
    assert_eq!(a["ex"]["count"], json!(7));
    assert!(a["ex"]["std_deviation"].as_f64().unwrap() > 0.0);
    assert!(a["ex"]["std_deviation_bounds"]["upper"].is_number());
    assert_eq!(a["none_min"], json!({"value": null}));
    assert_eq!(a["none_avg"], json!({"value": null}));
    assert_eq!(a["none_sum"], json!({"value": 0.0}));
    assert_eq!(a["none_count"], json!({"value": 0}));
    assert_eq!(a["card"], json!({"value": 3}));
    assert_eq!(a["card_n"], json!({"value": 5}));
    assert_eq!(a["last"]["value"], json!((T0 + DAY + 10_000) as f64));
    assert_eq!(
        a["last"]["value_as_string"],
        json!("2026-11-25T10:00:10.000Z")
    );
    // sorted latencies: 5 10 12 30 100 250.5 900
    assert_eq!(a["p"]["values"]["50.0"], json!(30.0));
    assert_eq!(a["p"]["values"]["99.9"], json!(900.0));
    assert_eq!(a["pa"]["values"], json!([{"key": 0.0, "value": 5.0}]));
    let keys: Vec<&String> = a["pd"]["values"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["1.0", "5.0", "25.0", "50.0", "75.0", "95.0", "99.0"]);
}

#[test]
fn top_hits_and_deep_nesting_with_meta() {
    let s = corpus();
    let a = aggs(
        &s,
        json!({"size": 0, "aggs": {
            "svc": {"terms": {"field": "service.keyword", "size": 1}, "aggs": {
                "latest": {"top_hits": {"size": 1, "sort": [{"@timestamp": {"order": "desc"}}], "_source": {"includes": ["service", "status"]}}},
                "best": {"top_hits": {}},
            }},
            "days": {"meta": {"owner": "ops"}, "date_histogram": {"field": "@timestamp", "calendar_interval": "1d"}, "aggs": {
                "svc": {"terms": {"field": "service.keyword"}, "aggs": {
                    "lvl": {"terms": {"field": "level.keyword"}, "aggs": {"lat": {"max": {"field": "latency"}}}}}}}},
        }}),
    );
    let hits = &a["svc"]["buckets"][0]["latest"]["hits"];
    assert_eq!(hits["total"], json!({"value": 3, "relation": "eq"}));
    assert_eq!(hits["max_score"], Value::Null);
    assert_eq!(
        hits["hits"],
        json!([{"_index": "logs-b", "_id": "5", "_score": null,
                "_source": {"service": "cart", "status": 201}, "sort": [T0 + 135_000]}])
    );
    let best = &a["svc"]["buckets"][0]["best"]["hits"];
    assert_eq!(best["hits"].as_array().unwrap().len(), 3);
    assert_eq!(best["max_score"], json!(1.0));
    assert_eq!(a["days"]["meta"], json!({"owner": "ops"}));
    let day2 = &a["days"]["buckets"][1];
    assert_eq!(day2["doc_count"], json!(2));
    assert_eq!(
        day2["svc"]["buckets"][0]["lvl"]["buckets"][0],
        json!({"key": "error", "doc_count": 1, "lat": {"value": 900.0}})
    );
}

#[test]
fn errors_follow_es() {
    let s = corpus();
    assert_eq!(
        err(&s, json!({"aggs": {"x": {"foo": {"field": "a"}}}})),
        (
            "parsing_exception".into(),
            "Unknown aggregation type [foo]".into()
        )
    );
    // an unmapped field is not an error; a text field is
    let a = aggs(&s, json!({"aggs": {"x": {"avg": {"field": "unmapped"}}}}));
    assert_eq!(a["x"], json!({"value": null}));
    let (ty, reason) = err(&s, json!({"aggs": {"x": {"terms": {"field": "service"}}}}));
    assert_eq!(ty, "illegal_argument_exception");
    assert!(
        reason.starts_with(
            "Fielddata is disabled on [service] in [logs-a]. Text fields are not optimised"
        ),
        "{reason}"
    );
    assert!(reason.contains("Please use a keyword field instead"));
    let (ty, reason) = err(
        &s,
        json!({"aggs": {"x": {"terms": {"field": "service.keyword", "bogus": 1}}}}),
    );
    assert_eq!(
        (ty.as_str(), reason.as_str()),
        ("x_content_parse_exception", "[terms] unknown field [bogus]")
    );
    let (ty, reason) = err(
        &s,
        json!({"aggs": {"x": {"date_histogram": {"field": "@timestamp", "calendar_interval": "2d"}}}}),
    );
    assert_eq!(ty, "x_content_parse_exception");
    assert!(
        reason.contains("The supplied interval [2d] could not be parsed as a calendar interval.")
    );
    let (ty, _) = err(
        &s,
        json!({"aggs": {"x": {"date_histogram": {"field": "@timestamp"}}}}),
    );
    assert_eq!(ty, "illegal_argument_exception");
    let (ty, reason) = err(
        &s,
        json!({"aggs": {"x": {"histogram": {"field": "latency", "interval": 0.001}}}}),
    );
    assert_eq!(ty, "too_many_buckets_exception");
    assert!(
        reason.starts_with(
            "Trying to create too many buckets. Must be less than or equal to: [65536] but was ["
        ),
        "{reason}"
    );
    let e = s
        .search(
            "logs-*",
            &json!({"aggs": {"x": {"histogram": {"field": "latency", "interval": 0.001}}}}),
            SearchOptions::default(),
        )
        .unwrap_err();
    assert_eq!(e.status(), 400);
    assert_eq!(e.to_es_json()["max_buckets"], json!(65_536));
    let (ty, _) = err(
        &s,
        json!({"aggs": {"x": {"avg": {"field": "latency"}, "aggs": {"y": {"max": {"field": "latency"}}}}}}),
    );
    assert_eq!(ty, "aggregation_execution_exception");
    let (ty, reason) = err(
        &s,
        json!({"aggs": {"x": {"terms": {"field": "level.keyword"}, "max": {"field": "latency"}}}}),
    );
    assert_eq!(ty, "parsing_exception");
    assert_eq!(
        reason,
        "Found two aggregation type definitions in [x]: [terms] and [max]"
    );
    let (ty, _) = err(
        &s,
        json!({"aggs": {"x": {"terms": {"field": "level.keyword", "order": {"nope": "desc"}}}}}),
    );
    assert_eq!(ty, "aggregation_execution_exception");
}

#[test]
fn aggregations_key_and_count_and_size_zero() {
    let s = corpus();
    let res = s
        .search(
            "logs-*",
            &json!({"size": 0, "aggregations": {"n": {"value_count": {"field": "status"}}}}),
            SearchOptions::default(),
        )
        .unwrap();
    assert_eq!(res["hits"]["hits"], json!([]));
    assert_eq!(res["hits"]["total"]["value"], json!(8));
    assert_eq!(res["aggregations"]["n"]["value"], json!(7));
    let plain = s
        .search(
            "logs-a",
            &json!({"query": {"match_all": {}}}),
            SearchOptions::default(),
        )
        .unwrap();
    assert!(plain.get("aggregations").is_none());
    let c = s
        .count(
            "logs-*",
            &json!({"aggs": {"x": {"foo": {}}}}),
            SearchOptions::default(),
        )
        .unwrap();
    assert_eq!(c["count"], json!(8));
    // aggregations run over every hit, not the returned page
    let res = s
        .search("logs-a", &json!({"size": 1, "query": {"term": {"ok": true}}, "aggs": {"s": {"sum": {"field": "status"}}}}), SearchOptions::default())
        .unwrap();
    assert_eq!(res["aggregations"]["s"]["value"], json!(804.0));
}

#[test]
fn numbers_across_indices_formats_and_missing_values() {
    let s = LogStore::new(StoreOptions::default(), outpost_clock::Clock::manual(T0));
    let body = [
        "{\"index\":{\"_index\":\"n-1\",\"_id\":\"1\"}}\n{\"number\":100}\n",
        "{\"index\":{\"_index\":\"n-1\",\"_id\":\"2\"}}\n{\"number\":10}\n",
        "{\"index\":{\"_index\":\"n-2\",\"_id\":\"3\"}}\n{\"number\":100.0}\n",
        "{\"index\":{\"_index\":\"n-2\",\"_id\":\"1\"}}\n{\"number\":10.0}\n",
        "{\"index\":{\"_index\":\"n-2\",\"_id\":\"2\"}}\n{\"number\":14.6}\n",
    ]
    .concat();
    assert!(!s.bulk(None, body.as_bytes(), Refresh::True).unwrap().errors);
    let res = s
        .search(
            "n-*",
            &json!({"size": 0, "aggs": {
                "t": {"terms": {"field": "number"}},
                "h": {"histogram": {"field": "number", "interval": 50, "format": "Value is ##0.0"}},
                "c": {"cardinality": {"field": "absent", "missing": "foo"}},
                "c0": {"cardinality": {"field": "absent"}},
                "avg": {"avg": {"field": "number", "format": "0.00"}},
            }}),
            SearchOptions::default(),
        )
        .unwrap();
    let a = &res["aggregations"];
    // longs of one index and doubles of another merge as doubles
    assert_eq!(
        keys_counts(&a["t"]),
        vec![(json!(10.0), 2), (json!(100.0), 2), (json!(14.6), 1)]
    );
    assert_eq!(
        a["h"]["buckets"][0],
        json!({"key_as_string": "Value is 0.0", "key": 0.0, "doc_count": 3})
    );
    assert_eq!(
        a["h"]["buckets"][2]["key_as_string"],
        json!("Value is 100.0")
    );
    assert_eq!(a["c"], json!({"value": 1}));
    assert_eq!(a["c0"], json!({"value": 0}));
    assert_eq!(a["avg"]["value_as_string"], json!("46.92"));
    let e = s
        .search("n-*", &json!({"aggs": {"d": {"cardinality": {"field": "number", "precision_threshold": -1}}}}), SearchOptions::default())
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "[precisionThreshold] must be greater than or equal to 0. Found [-1] in [d]"
    );
}

#[test]
fn top_metrics_as_grafana_asks() {
    let s = corpus();
    let a = aggs(
        &s,
        json!({"size": 0, "aggs": {"svc": {"terms": {"field": "service.keyword", "order": {"last.latency": "desc"}}, "aggs": {
            "last": {"top_metrics": {"metrics": [{"field": "latency"}, {"field": "level.keyword"}], "sort": [{"@timestamp": "desc"}], "size": 1}}}}}}),
    );
    // gateway's latest latency (900) orders first
    assert_eq!(
        a["svc"]["buckets"][0]["last"],
        json!({"top": [{"sort": ["2026-11-25T10:00:05.000Z"], "metrics": {"latency": 900.0, "level.keyword": "error"}}]})
    );
    assert_eq!(a["svc"]["buckets"][1]["key"], json!("cart"));
    assert_eq!(
        a["svc"]["buckets"][1]["last"]["top"][0]["metrics"]["latency"],
        json!(12.0)
    );
}

#[test]
fn sparse_timestamps_and_missing_option() {
    let s = LogStore::new(StoreOptions::default(), outpost_clock::Clock::manual(T0));
    let mut body = String::new();
    for i in 0..10 {
        let d = if i % 3 == 0 {
            json!({"n": i})
        } else {
            json!({"n": i, "@timestamp": outpost_clock::text::rfc3339_millis(T0 + i * MIN)})
        };
        body.push_str(&format!(
            "{{\"index\":{{\"_index\":\"sparse\",\"_id\":\"{i}\"}}}}\n{d}\n"
        ));
    }
    assert!(!s.bulk(None, body.as_bytes(), Refresh::True).unwrap().errors);
    let res = s
        .search(
            "sparse",
            &json!({"size": 0, "query": {"range": {"n": {"gte": 1}}}, "aggs": {
                "h": {"date_histogram": {"field": "@timestamp", "fixed_interval": "3m", "min_doc_count": 1}},
                "hm": {"date_histogram": {"field": "@timestamp", "fixed_interval": "3m", "min_doc_count": 1, "missing": T0}},
                "max": {"max": {"field": "@timestamp"}},
                "c": {"value_count": {"field": "@timestamp"}},
            }}),
            SearchOptions::default(),
        )
        .unwrap();
    let a = &res["aggregations"];
    // docs 1 2 4 5 7 8 have timestamps at minutes 1 2 4 5 7 8
    assert_eq!(
        keys_counts(&a["h"]),
        vec![
            (json!(T0), 2),
            (json!(T0 + 3 * MIN), 2),
            (json!(T0 + 6 * MIN), 2)
        ]
    );
    // docs 3, 6, 9 count at T0 with `missing`
    assert_eq!(keys_counts(&a["hm"])[0], (json!(T0), 5));
    assert_eq!(a["max"]["value"], json!((T0 + 8 * MIN) as f64));
    assert_eq!(a["c"]["value"], json!(6));
}

#[test]
fn projected_and_column_paths_agree() {
    // 200 documents in one segment: a query matching few of them reads the kv column, one
    // matching most reads the projection of single-valued fields; arrays always read the column
    let s = LogStore::new(StoreOptions::default(), outpost_clock::Clock::manual(T0));
    let mut body = String::new();
    for i in 0..200 {
        let (svc, tag) = (["a", "b", "c"][i % 3], ["y", "z"][i % 2]);
        let d = json!({"svc": svc, "n": i % 7, "tags": ["x", tag], "grp": i % 50});
        body.push_str(&format!(
            "{{\"index\":{{\"_index\":\"p\",\"_id\":\"{i}\"}}}}\n{d}\n"
        ));
    }
    assert!(!s.bulk(None, body.as_bytes(), Refresh::True).unwrap().errors);
    let run = |q: Value| {
        s.search(
            "p",
            &json!({"size": 0, "query": q, "aggs": {
                "svc": {"terms": {"field": "svc.keyword"}},
                "tags": {"terms": {"field": "tags.keyword"}},
                "sum": {"sum": {"field": "n"}},
                "card": {"cardinality": {"field": "n"}},
                "h": {"histogram": {"field": "n", "interval": 3}, "aggs": {"s": {"terms": {"field": "svc.keyword"}}}},
            }}),
            SearchOptions::default(),
        )
        .unwrap()["aggregations"]
            .clone()
    };
    // few: grp 0 → documents 0, 50, 100, 150
    let few = run(json!({"term": {"grp": 0}}));
    assert_eq!(
        keys_counts(&few["svc"]),
        vec![(json!("a"), 2), (json!("b"), 1), (json!("c"), 1)]
    );
    assert_eq!(
        keys_counts(&few["tags"]),
        vec![(json!("x"), 4), (json!("y"), 4)]
    );
    assert_eq!(few["sum"]["value"], json!(6.0));
    assert_eq!(few["card"]["value"], json!(4));
    assert_eq!(
        keys_counts(&few["h"]),
        vec![(json!(0.0), 3), (json!(3.0), 1)]
    );
    // all: the projection; counts follow from i % 3, i % 7, i % 2
    let all = run(json!({"match_all": {}}));
    assert_eq!(
        keys_counts(&all["svc"]),
        vec![(json!("a"), 67), (json!("b"), 67), (json!("c"), 66)]
    );
    assert_eq!(
        keys_counts(&all["tags"]),
        vec![(json!("x"), 200), (json!("y"), 100), (json!("z"), 100)]
    );
    let sum_n: u64 = (0..200).map(|i| i % 7).sum();
    assert_eq!(all["sum"]["value"], json!(sum_n as f64));
    assert_eq!(all["card"]["value"], json!(7));
    assert_eq!(
        all["h"]["buckets"][0]["doc_count"],
        json!((0..200).filter(|i| i % 7 < 3).count())
    );
    let a_in_first: usize = (0..200).filter(|i| i % 7 < 3 && i % 3 == 0).count();
    assert_eq!(
        all["h"]["buckets"][0]["s"]["buckets"][0],
        json!({"key": "a", "doc_count": a_in_first})
    );
}

#[test]
fn other_date_fields_read_the_kv_column() {
    let s = LogStore::new(StoreOptions::default(), outpost_clock::Clock::manual(T0));
    let body = [
        "{\"index\":{\"_index\":\"d\",\"_id\":\"1\"}}\n{\"created\":\"2026-11-24T10:00:00Z\"}\n",
        "{\"index\":{\"_index\":\"d\",\"_id\":\"2\"}}\n{\"created\":\"2026-11-24T10:00:30Z\"}\n",
        "{\"index\":{\"_index\":\"d\",\"_id\":\"3\"}}\n{\"created\":\"2026-11-24T10:02:00Z\"}\n",
    ]
    .concat();
    assert!(!s.bulk(None, body.as_bytes(), Refresh::True).unwrap().errors);
    let res = s
        .search(
            "d",
            &json!({"size": 0, "aggs": {
                "h": {"date_histogram": {"field": "created", "fixed_interval": "1m"}},
                "t": {"terms": {"field": "created", "size": 1, "order": {"_key": "asc"}}},
                "min": {"min": {"field": "created"}},
            }}),
            SearchOptions::default(),
        )
        .unwrap();
    let a = &res["aggregations"];
    assert_eq!(
        keys_counts(&a["h"]),
        vec![
            (json!(T0), 2),
            (json!(T0 + MIN), 0),
            (json!(T0 + 2 * MIN), 1)
        ]
    );
    assert_eq!(
        a["t"]["buckets"],
        json!([{"key": T0, "key_as_string": "2026-11-24T10:00:00.000Z", "doc_count": 1}])
    );
    assert_eq!(a["t"]["sum_other_doc_count"], json!(2));
    assert_eq!(
        a["min"]["value_as_string"],
        json!("2026-11-24T10:00:00.000Z")
    );
}

#[test]
fn terms_missing_on_unmapped_fields_are_typed_by_value_type() {
    let s = corpus();
    let a = aggs(
        &s,
        json!({"size": 0, "query": {"ids": {"values": ["1"]}}, "aggs": {
            "s": {"terms": {"field": "unmapped_s", "value_type": "string", "missing": "abc"}},
            "b": {"terms": {"field": "unmapped_b", "value_type": "boolean", "missing": true}},
            "d": {"terms": {"field": "unmapped_d", "value_type": "date", "missing": "2016-05-11"}},
            "l": {"terms": {"field": "unmapped_l", "value_type": "long", "missing": 3}},
            "f": {"terms": {"field": "unmapped_f", "value_type": "double", "missing": 3.5}},
        }}),
    );
    assert_eq!(a["s"]["buckets"], json!([{"key": "abc", "doc_count": 1}]));
    assert_eq!(
        a["b"]["buckets"],
        json!([{"key": 1, "key_as_string": "true", "doc_count": 1}])
    );
    assert_eq!(
        a["d"]["buckets"],
        json!([{"key": 1_462_924_800_000_i64, "key_as_string": "2016-05-11T00:00:00.000Z", "doc_count": 1}])
    );
    assert_eq!(a["l"]["buckets"], json!([{"key": 3, "doc_count": 1}]));
    assert_eq!(a["f"]["buckets"], json!([{"key": 3.5, "doc_count": 1}]));
}

#[test]
fn terms_on_a_date_field_with_include_exclude_dates() {
    let s = LogStore::new(StoreOptions::default(), outpost_clock::Clock::manual(T0));
    let body = [
        "{\"index\":{\"_index\":\"d\",\"_id\":\"1\"}}\n{\"date\":\"2016-05-03\"}\n",
        "{\"index\":{\"_index\":\"d\",\"_id\":\"2\"}}\n{\"date\":\"2014-09-01\"}\n",
        "{\"index\":{\"_index\":\"d\",\"_id\":\"3\"}}\n{\"date\":\"2016-05-03\"}\n",
    ]
    .concat();
    assert!(!s.bulk(None, body.as_bytes(), Refresh::True).unwrap().errors);
    let run = |t: Value| {
        let res = s
            .search(
                "d",
                &json!({"size": 0, "aggs": {"t": {"terms": t}}}),
                SearchOptions::default(),
            )
            .unwrap();
        res["aggregations"]["t"]["buckets"].clone()
    };
    assert_eq!(
        run(json!({"field": "date"})),
        json!([
            {"key": 1_462_233_600_000_i64, "key_as_string": "2016-05-03T00:00:00.000Z", "doc_count": 2},
            {"key": 1_409_529_600_000_i64, "key_as_string": "2014-09-01T00:00:00.000Z", "doc_count": 1},
        ])
    );
    assert_eq!(
        run(json!({"field": "date", "include": ["2016-05-03"]})),
        json!([{"key": 1_462_233_600_000_i64, "key_as_string": "2016-05-03T00:00:00.000Z", "doc_count": 2}])
    );
    assert_eq!(
        run(json!({"field": "date", "exclude": ["2016-05-03"]})),
        json!([{"key": 1_409_529_600_000_i64, "key_as_string": "2014-09-01T00:00:00.000Z", "doc_count": 1}])
    );
}

#[test]
fn multi_field_of_a_date_reads_the_parent_values() {
    let s = LogStore::new(StoreOptions::default(), outpost_clock::Clock::manual(T0));
    s.create_index(
        "d",
        Some(&json!({"properties": {"date": {"type": "date", "fields": {"nanos": {"type": "date_nanos"}}}}})),
    )
    .unwrap();
    let body = "{\"index\":{\"_index\":\"d\"}}\n{\"date\":\"2016-01-01\"}\n";
    assert!(!s.bulk(None, body.as_bytes(), Refresh::True).unwrap().errors);
    for field in ["date", "date.nanos"] {
        let res = s
            .search(
                "d",
                &json!({"size": 0, "aggs": {"h": {"date_histogram": {
                    "field": field, "fixed_interval": "1ms", "time_zone": "America/Phoenix"}}}}),
                SearchOptions::default(),
            )
            .unwrap();
        assert_eq!(
            res["aggregations"]["h"]["buckets"],
            json!([{"key": 1_451_606_400_000_i64,
                    "key_as_string": "2015-12-31T17:00:00.000-07:00", "doc_count": 1}]),
            "{field}"
        );
    }
}

#[test]
fn constant_score_filters_and_percentiles_interpolate_over_three_values() {
    let s = LogStore::new(StoreOptions::default(), outpost_clock::Clock::manual(T0));
    let body: String = [1, 51, 101, 151]
        .iter()
        .map(|v| format!("{{\"index\":{{\"_index\":\"p\"}}}}\n{{\"int_field\":{v}}}\n"))
        .collect();
    assert!(!s.bulk(None, body.as_bytes(), Refresh::True).unwrap().errors);
    let res = s
        .search(
            "p",
            &json!({"query": {"constant_score": {"filter": {"range": {"int_field": {"gte": 50}}}}},
                "aggs": {"p": {"percentiles": {"field": "int_field"}},
                         "c": {"cardinality": {"field": "int_field"}}}}),
            SearchOptions::default(),
        )
        .unwrap();
    assert_eq!(res["hits"]["total"]["value"], json!(3));
    assert_eq!(res["hits"]["hits"][0]["_score"], json!(1.0));
    let v = &res["aggregations"]["p"]["values"];
    assert_eq!(v["25.0"], json!(63.5));
    assert_eq!(v["50.0"], json!(101.0));
    assert_eq!(v["75.0"], json!(138.5));
    assert_eq!(res["aggregations"]["c"]["value"], json!(3));
    let all = s
        .search(
            "p",
            &json!({"size": 0, "aggs": {"p": {"percentiles": {"field": "int_field"}},
                "p200": {"percentiles": {"field": "int_field", "tdigest": {"compression": 200}}}}}),
            SearchOptions::default(),
        )
        .unwrap();
    let a = &all["aggregations"];
    assert_eq!(a["p"]["values"]["25.0"], json!(51.0));
    assert_eq!(a["p"]["values"]["75.0"], json!(151.0));
    assert_eq!(a["p200"]["values"]["25.0"], json!(26.0));
    assert_eq!(a["p200"]["values"]["75.0"], json!(126.0));
}
