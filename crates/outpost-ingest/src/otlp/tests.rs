//! OTLP translation cases (asserting exact series and samples in a TSDB),
//! the JSON fixture decoded as the receivers do, and a round trip
//! through the OpenTelemetry Rust SDK's own OTLP conversion.

use std::io::Write;

use outpost_otlp::proto::common::v1::any_value::Value as AnyValueKind;
use outpost_otlp::proto::common::v1::{AnyValue, ArrayValue, InstrumentationScope};
use outpost_otlp::proto::metrics::v1::summary_data_point::ValueAtQuantile;
use outpost_otlp::proto::metrics::v1::{
    ExponentialHistogram, ExponentialHistogramDataPoint, Gauge, Histogram, Sum, Summary,
};
use outpost_otlp::proto::resource::v1::Resource;
use outpost_otlp::{Compression, MAX_DECOMPRESSED_BYTES};
use outpost_tsdb::{HeadOptions, MatchType, Matcher, is_stale_nan};
use prost::Message;

use super::*;

/// 2023-11-14T22:13:20Z in ms.
const T0: i64 = 1_700_000_000_000;
const NOW: i64 = T0 + 3_600_000;
const CUMULATIVE: i32 = AggregationTemporality::Cumulative as i32;
const DELTA: i32 = AggregationTemporality::Delta as i32;

fn ns(ms: i64) -> u64 {
    ms as u64 * 1_000_000
}

fn any(v: AnyValueKind) -> Option<AnyValue> {
    Some(AnyValue { value: Some(v) })
}

fn kv(key: &str, value: &str) -> KeyValue {
    kv_any(key, AnyValueKind::StringValue(value.into()))
}

fn kv_any(key: &str, value: AnyValueKind) -> KeyValue {
    KeyValue {
        key: key.into(),
        value: any(value),
        ..Default::default()
    }
}

fn num(t: i64, v: f64, attrs: Vec<KeyValue>) -> NumberDataPoint {
    NumberDataPoint {
        attributes: attrs,
        time_unix_nano: ns(t),
        value: Some(NumberValue::AsDouble(v)),
        ..Default::default()
    }
}

fn metric(name: &str, unit: &str, data: Data) -> Metric {
    Metric {
        name: name.into(),
        unit: unit.into(),
        data: Some(data),
        ..Default::default()
    }
}

fn gauge(name: &str, unit: &str, points: Vec<NumberDataPoint>) -> Metric {
    metric(
        name,
        unit,
        Data::Gauge(Gauge {
            data_points: points,
        }),
    )
}

fn sum(
    name: &str,
    unit: &str,
    mono: bool,
    temporality: i32,
    points: Vec<NumberDataPoint>,
) -> Metric {
    metric(
        name,
        unit,
        Data::Sum(Sum {
            data_points: points,
            aggregation_temporality: temporality,
            is_monotonic: mono,
        }),
    )
}

fn histogram(name: &str, unit: &str, temporality: i32, points: Vec<HistogramDataPoint>) -> Metric {
    metric(
        name,
        unit,
        Data::Histogram(Histogram {
            data_points: points,
            aggregation_temporality: temporality,
        }),
    )
}

fn hist_point(t: i64, bounds: &[f64], counts: &[u64], sum: Option<f64>) -> HistogramDataPoint {
    HistogramDataPoint {
        time_unix_nano: ns(t),
        count: counts.iter().sum(),
        sum,
        bucket_counts: counts.to_vec(),
        explicit_bounds: bounds.to_vec(),
        ..Default::default()
    }
}

fn summary(name: &str, unit: &str, t: i64, sum: f64, count: u64, q: &[(f64, f64)]) -> Metric {
    metric(
        name,
        unit,
        Data::Summary(Summary {
            data_points: vec![SummaryDataPoint {
                time_unix_nano: ns(t),
                sum,
                count,
                quantile_values: q
                    .iter()
                    .map(|&(quantile, value)| ValueAtQuantile { quantile, value })
                    .collect(),
                ..Default::default()
            }],
        }),
    )
}

fn resource_metrics(resource: Vec<KeyValue>, metrics: Vec<Metric>) -> ResourceMetrics {
    ResourceMetrics {
        resource: Some(Resource {
            attributes: resource,
            ..Default::default()
        }),
        scope_metrics: vec![ScopeMetrics {
            scope: Some(InstrumentationScope {
                name: "test.scope".into(),
                version: "1.0".into(),
                ..Default::default()
            }),
            metrics,
            ..Default::default()
        }],
        ..Default::default()
    }
}

fn request(resource: Vec<KeyValue>, metrics: Vec<Metric>) -> ExportMetricsServiceRequest {
    ExportMetricsServiceRequest {
        resource_metrics: vec![resource_metrics(resource, metrics)],
    }
}

/// Every series in the TSDB as `name{labels} t=v t=v`, with `T0` as the
/// time origin and staleness markers shown as `stale`.
fn dump(db: &Tsdb) -> Vec<String> {
    let all = Matcher::new(MatchType::Regex, "__name__", ".+").unwrap();
    db.select(&[all], i64::MIN, i64::MAX)
        .iter()
        .map(|s| {
            let samples: Vec<String> = s
                .samples()
                .map(|(t, v)| {
                    let v = if is_stale_nan(v) {
                        "stale".to_string()
                    } else {
                        v.to_string()
                    };
                    format!("{}={v}", t - T0)
                })
                .collect();
            format!("{} {}", s.labels, samples.join(" "))
        })
        .collect()
}

fn svc() -> Vec<KeyValue> {
    vec![kv("service.name", "api")]
}

struct Case {
    name: &'static str,
    req: ExportMetricsServiceRequest,
    opts: OtlpOptions,
    want: &'static [&'static str],
    rejected: u64,
}

fn case(
    name: &'static str,
    req: ExportMetricsServiceRequest,
    want: &'static [&'static str],
) -> Case {
    Case {
        name,
        req,
        opts: OtlpOptions::default(),
        want,
        rejected: 0,
    }
}

fn cases() -> Vec<Case> {
    let stale_point = |t| NumberDataPoint {
        flags: FLAG_NO_RECORDED_VALUE,
        ..num(t, 5.0, vec![])
    };
    vec![
        case(
            "gauge with unit 1 gets _ratio; int values",
            request(
                svc(),
                vec![gauge(
                    "process.cpu.utilization",
                    "1",
                    vec![NumberDataPoint {
                        value: Some(NumberValue::AsInt(3)),
                        ..num(T0, 0.0, vec![kv("state", "user")])
                    }],
                )],
            ),
            &[r#"process_cpu_utilization_ratio{job="api", state="user"} 0=3"#],
        ),
        case(
            "monotonic cumulative sum is a counter with _total",
            request(
                svc(),
                vec![sum(
                    "http.requests",
                    "{request}",
                    true,
                    CUMULATIVE,
                    vec![num(T0, 10.0, vec![]), num(T0 + 1000, 12.0, vec![])],
                )],
            ),
            &[r#"http_requests_total{job="api"} 0=10 1000=12"#],
        ),
        case(
            "non-monotonic sum is a gauge without _total or _ratio",
            request(
                svc(),
                vec![sum(
                    "queue.size",
                    "1",
                    false,
                    CUMULATIVE,
                    vec![num(T0, -2.0, vec![])],
                )],
            ),
            &[r#"queue_size{job="api"} 0=-2"#],
        ),
        case(
            "units become suffixes",
            request(
                svc(),
                vec![
                    sum("net.io", "By", true, CUMULATIVE, vec![num(T0, 1.0, vec![])]),
                    gauge("throughput", "By/s", vec![num(T0, 2.0, vec![])]),
                    gauge("uptime", "s", vec![num(T0, 3.0, vec![])]),
                    gauge("mem.bytes", "By", vec![num(T0, 4.0, vec![])]),
                    gauge("disk.ops", "{operation}/min", vec![num(T0, 5.0, vec![])]),
                    gauge("load", "%", vec![num(T0, 6.0, vec![])]),
                ],
            ),
            &[
                r#"disk_ops_per_min{job="api"} 0=5"#,
                r#"load_percent{job="api"} 0=6"#,
                r#"mem_bytes{job="api"} 0=4"#,
                r#"net_io_bytes_total{job="api"} 0=1"#,
                r#"throughput_bytes_per_second{job="api"} 0=2"#,
                r#"uptime_seconds{job="api"} 0=3"#,
            ],
        ),
        case(
            "explicit-bucket histogram: cumulative _bucket with +Inf, _sum, _count",
            request(
                svc(),
                vec![histogram(
                    "http.server.duration",
                    "s",
                    CUMULATIVE,
                    vec![HistogramDataPoint {
                        attributes: vec![kv("route", "/a")],
                        ..hist_point(T0, &[0.005, 0.1, 1.0], &[1, 2, 3, 4], Some(3.5))
                    }],
                )],
            ),
            &[
                r#"http_server_duration_seconds_bucket{job="api", le="+Inf", route="/a"} 0=10"#,
                r#"http_server_duration_seconds_bucket{job="api", le="0.005", route="/a"} 0=1"#,
                r#"http_server_duration_seconds_bucket{job="api", le="0.1", route="/a"} 0=3"#,
                r#"http_server_duration_seconds_bucket{job="api", le="1", route="/a"} 0=6"#,
                r#"http_server_duration_seconds_count{job="api", route="/a"} 0=10"#,
                r#"http_server_duration_seconds_sum{job="api", route="/a"} 0=3.5"#,
            ],
        ),
        case(
            "histogram without sum has no _sum; an le attribute is overridden",
            request(
                svc(),
                vec![histogram(
                    "h",
                    "",
                    CUMULATIVE,
                    vec![HistogramDataPoint {
                        attributes: vec![kv("le", "bogus")],
                        ..hist_point(T0, &[2.0], &[1, 1], None)
                    }],
                )],
            ),
            &[
                r#"h_bucket{job="api", le="+Inf"} 0=2"#,
                r#"h_bucket{job="api", le="2"} 0=1"#,
                r#"h_count{job="api", le="bogus"} 0=2"#,
            ],
        ),
        case(
            "summary: quantile series, _sum, _count",
            request(
                svc(),
                vec![summary(
                    "rpc.latency",
                    "ms",
                    T0,
                    100.0,
                    7,
                    &[(0.5, 10.0), (0.99, 25.0)],
                )],
            ),
            &[
                r#"rpc_latency_milliseconds{job="api", quantile="0.5"} 0=10"#,
                r#"rpc_latency_milliseconds{job="api", quantile="0.99"} 0=25"#,
                r#"rpc_latency_milliseconds_count{job="api"} 0=7"#,
                r#"rpc_latency_milliseconds_sum{job="api"} 0=100"#,
            ],
        ),
        case(
            "attribute names sanitized, collisions joined with ;, values of every type",
            request(
                svc(),
                vec![gauge(
                    "g",
                    "",
                    vec![num(
                        T0,
                        1.0,
                        vec![
                            kv("http.method", "GET"),
                            kv("0day", "x"),
                            kv("_hidden", "y"),
                            kv("a_b", "2"),
                            kv("a.b", "1"),
                            kv("empty", ""),
                            kv_any("ok", AnyValueKind::BoolValue(true)),
                            kv_any("ratio", AnyValueKind::DoubleValue(0.5)),
                            kv_any("n", AnyValueKind::IntValue(-7)),
                            kv_any(
                                "list",
                                AnyValueKind::ArrayValue(ArrayValue {
                                    values: vec![
                                        AnyValue {
                                            value: Some(AnyValueKind::StringValue("a".into())),
                                        },
                                        AnyValue {
                                            value: Some(AnyValueKind::IntValue(1)),
                                        },
                                    ],
                                }),
                            ),
                            kv("__name__", "ignored"),
                        ],
                    )],
                )],
            ),
            &[
                r#"g{a_b="1;2", http_method="GET", job="api", key_0day="x", key_hidden="y", list="[\"a\",1]", n="-7", ok="true", ratio="0.5"} 0=1"#,
            ],
        ),
        case(
            "job from service.namespace/service.name overrides attributes; instance; target_info over the time range",
            request(
                vec![
                    kv("service.name", "api"),
                    kv("service.namespace", "shop"),
                    kv("service.instance.id", "i-1"),
                    kv("host.name", "h1"),
                    kv("deployment.environment", "dev"),
                ],
                vec![gauge(
                    "g",
                    "",
                    vec![
                        num(T0, 1.0, vec![kv("job", "mine"), kv("instance", "x")]),
                        num(
                            T0 + 400_000,
                            2.0,
                            vec![kv("job", "mine"), kv("instance", "x")],
                        ),
                    ],
                )],
            ),
            &[
                r#"g{instance="i-1", job="shop/api"} 0=1 400000=2"#,
                r#"target_info{deployment_environment="dev", host_name="h1", instance="i-1", job="shop/api"} 0=1 150000=1 300000=1 400000=1"#,
            ],
        ),
        case(
            "no target_info when the resource has only identifying attributes",
            request(
                vec![kv("service.name", "api"), kv("service.instance.id", "i-1")],
                vec![gauge("g", "", vec![num(T0, 1.0, vec![])])],
            ),
            &[r#"g{instance="i-1", job="api"} 0=1"#],
        ),
        case(
            "no target_info (nor job) without service.name or service.instance.id",
            request(
                vec![kv("host.name", "h1")],
                vec![gauge("g", "", vec![num(T0, 1.0, vec![])])],
            ),
            &[r#"g{} 0=1"#],
        ),
        Case {
            opts: OtlpOptions {
                keep_identifying_resource_attributes: true,
                ..OtlpOptions::default()
            },
            ..case(
                "keep_identifying_resource_attributes keeps service.* on target_info",
                request(
                    vec![kv("service.name", "api"), kv("host.name", "h1")],
                    vec![gauge("g", "", vec![num(T0, 1.0, vec![])])],
                ),
                &[
                    r#"g{job="api"} 0=1"#,
                    r#"target_info{host_name="h1", job="api", service_name="api"} 0=1"#,
                ],
            )
        },
        Case {
            opts: OtlpOptions {
                promote_resource_attributes: vec!["host.name".into(), "k8s.pod.name".into()],
                ..OtlpOptions::default()
            },
            ..case(
                "promoted resource attributes never override data point attributes",
                request(
                    vec![
                        kv("service.name", "api"),
                        kv("host.name", "h1"),
                        kv("k8s.pod.name", "pod-1"),
                        kv("other", "x"),
                    ],
                    vec![gauge(
                        "g",
                        "",
                        vec![
                            num(T0, 1.0, vec![]),
                            num(T0, 2.0, vec![kv("host_name", "dp"), kv("k", "v")]),
                        ],
                    )],
                ),
                &[
                    r#"g{host_name="dp", job="api", k="v", k8s_pod_name="pod-1"} 0=2"#,
                    r#"g{host_name="h1", job="api", k8s_pod_name="pod-1"} 0=1"#,
                    r#"target_info{host_name="h1", job="api", k8s_pod_name="pod-1", other="x"} 0=1"#,
                ],
            )
        },
        Case {
            opts: OtlpOptions {
                promote_all_resource_attributes: true,
                ignore_resource_attributes: vec!["service.name".into(), "other".into()],
                ..OtlpOptions::default()
            },
            ..case(
                "promote_all_resource_attributes with ignore list",
                request(
                    vec![
                        kv("service.name", "api"),
                        kv("host.name", "h1"),
                        kv("other", "x"),
                    ],
                    vec![gauge("g", "", vec![num(T0, 1.0, vec![])])],
                ),
                &[
                    r#"g{host_name="h1", job="api"} 0=1"#,
                    r#"target_info{host_name="h1", job="api", other="x"} 0=1"#,
                ],
            )
        },
        Case {
            rejected: 1,
            ..case(
                "delta sum rejected, the rest stored",
                request(
                    svc(),
                    vec![
                        sum("d", "", true, DELTA, vec![num(T0, 1.0, vec![])]),
                        gauge("g", "", vec![num(T0, 1.0, vec![])]),
                    ],
                ),
                &[r#"g{job="api"} 0=1"#],
            )
        },
        Case {
            rejected: 3,
            ..case(
                "delta histogram, unspecified temporality and exponential histogram rejected",
                request(
                    svc(),
                    vec![
                        histogram("h", "", DELTA, vec![hist_point(T0, &[1.0], &[1, 1], None)]),
                        sum("u", "", true, 0, vec![num(T0, 1.0, vec![])]),
                        metric(
                            "e",
                            "",
                            Data::ExponentialHistogram(ExponentialHistogram {
                                data_points: vec![ExponentialHistogramDataPoint::default()],
                                aggregation_temporality: CUMULATIVE,
                            }),
                        ),
                    ],
                ),
                &[],
            )
        },
        case(
            "NO_RECORDED_VALUE writes staleness markers for every derived series",
            request(
                svc(),
                vec![
                    gauge("g", "", vec![num(T0, 1.0, vec![]), stale_point(T0 + 1000)]),
                    histogram(
                        "h",
                        "",
                        CUMULATIVE,
                        vec![HistogramDataPoint {
                            flags: FLAG_NO_RECORDED_VALUE,
                            ..hist_point(T0, &[1.0], &[1, 1], Some(1.0))
                        }],
                    ),
                    metric(
                        "s",
                        "",
                        Data::Summary(Summary {
                            data_points: vec![SummaryDataPoint {
                                time_unix_nano: ns(T0),
                                flags: FLAG_NO_RECORDED_VALUE,
                                quantile_values: vec![ValueAtQuantile {
                                    quantile: 0.5,
                                    value: 1.0,
                                }],
                                ..Default::default()
                            }],
                        }),
                    ),
                ],
            ),
            &[
                r#"g{job="api"} 0=1 1000=stale"#,
                r#"h_bucket{job="api", le="+Inf"} 0=stale"#,
                r#"h_bucket{job="api", le="1"} 0=stale"#,
                r#"h_count{job="api"} 0=stale"#,
                r#"h_sum{job="api"} 0=stale"#,
                r#"s{job="api", quantile="0.5"} 0=stale"#,
                r#"s_count{job="api"} 0=stale"#,
                r#"s_sum{job="api"} 0=stale"#,
            ],
        ),
        Case {
            opts: OtlpOptions {
                promote_scope_metadata: true,
                ..OtlpOptions::default()
            },
            ..case(
                "promote_scope_metadata adds otel_scope_* labels (not on target_info)",
                ExportMetricsServiceRequest {
                    resource_metrics: vec![ResourceMetrics {
                        scope_metrics: vec![ScopeMetrics {
                            scope: Some(InstrumentationScope {
                                name: "my.lib".into(),
                                version: "1.2".into(),
                                attributes: vec![kv("owner", "team")],
                                ..Default::default()
                            }),
                            schema_url: "https://example.invalid/s".into(),
                            metrics: vec![gauge("g", "", vec![num(T0, 1.0, vec![])])],
                        }],
                        ..resource_metrics(vec![kv("service.name", "api"), kv("h", "1")], vec![])
                    }],
                },
                &[
                    r#"g{job="api", otel_scope_name="my.lib", otel_scope_owner="team", otel_scope_schema_url="https://example.invalid/s", otel_scope_version="1.2"} 0=1"#,
                    r#"target_info{h="1", job="api"} 0=1"#,
                ],
            )
        },
        Case {
            opts: OtlpOptions {
                translation_strategy: TranslationStrategy::NoUtf8EscapingWithSuffixes,
                ..OtlpOptions::default()
            },
            ..case(
                "NoUTF8EscapingWithSuffixes keeps names, adds suffixes",
                request(
                    svc(),
                    vec![sum(
                        "http.requests",
                        "1",
                        true,
                        CUMULATIVE,
                        vec![num(T0, 1.0, vec![kv("http.method", "GET")])],
                    )],
                ),
                &[r#"http.requests_total{http.method="GET", job="api"} 0=1"#],
            )
        },
        Case {
            opts: OtlpOptions {
                add_metric_suffixes: false,
                ..OtlpOptions::default()
            },
            ..case(
                "add_metric_suffixes false",
                request(
                    svc(),
                    vec![
                        sum(
                            "http.requests",
                            "1",
                            true,
                            CUMULATIVE,
                            vec![num(T0, 1.0, vec![])],
                        ),
                        histogram(
                            "lat",
                            "s",
                            CUMULATIVE,
                            vec![hist_point(T0, &[], &[1], None)],
                        ),
                    ],
                ),
                &[
                    r#"http_requests{job="api"} 0=1"#,
                    r#"lat_bucket{job="api", le="+Inf"} 0=1"#,
                    r#"lat_count{job="api"} 0=1"#,
                ],
            )
        },
        Case {
            rejected: 2,
            ..case(
                "untranslatable metric and attribute names reject their data points",
                request(
                    svc(),
                    vec![
                        gauge("...", "", vec![num(T0, 1.0, vec![])]),
                        gauge("g", "", vec![num(T0, 1.0, vec![kv("..", "x")])]),
                        gauge("ok", "", vec![num(T0, 1.0, vec![])]),
                    ],
                ),
                &[r#"ok{job="api"} 0=1"#],
            )
        },
    ]
}

#[test]
fn translation_table() {
    for c in cases() {
        let db = Tsdb::new(HeadOptions::default());
        let st = write_otlp_metrics(&db, &c.req, &c.opts, NOW);
        assert_eq!(dump(&db), c.want, "case: {}", c.name);
        assert_eq!(
            st.rejected_data_points, c.rejected,
            "case: {} ({st:?})",
            c.name
        );
        let written: usize = db
            .select(
                &[Matcher::new(MatchType::Regex, "__name__", ".+").unwrap()],
                i64::MIN,
                i64::MAX,
            )
            .iter()
            .map(|s| s.samples().count())
            .sum();
        assert_eq!(st.samples_written, written as u64, "case: {}", c.name);
        assert_eq!(
            st.error_message.is_some(),
            c.rejected > 0,
            "case: {} ({st:?})",
            c.name
        );
    }
}

#[test]
fn delta_rejection_message_explains_the_fix() {
    let db = Tsdb::new(HeadOptions::default());
    let req = request(
        svc(),
        vec![
            sum(
                "payments",
                "",
                true,
                DELTA,
                vec![num(T0, 1.0, vec![]), num(T0, 2.0, vec![])],
            ),
            gauge("g", "", vec![num(T0, 1.0, vec![])]),
        ],
    );
    let st = write_otlp_metrics(&db, &req, &OtlpOptions::default(), NOW);
    assert_eq!(
        (
            st.data_points,
            st.rejected_data_points,
            st.unsupported_data_points
        ),
        (3, 2, 2)
    );
    let msg = st.error_message.clone().unwrap();
    assert!(msg.starts_with("rejected 2 of 3 data points: "), "{msg}");
    assert!(
        msg.contains(r#"invalid temporality and type combination for metric "payments""#),
        "{msg}"
    );
    assert!(msg.contains("delta temporality is not supported"), "{msg}");
    assert!(msg.contains("deltatocumulative"), "{msg}");
    let resp = st.response();
    let partial = resp.partial_success.unwrap();
    assert_eq!(partial.rejected_data_points, 2);
    assert_eq!(partial.error_message, msg);
    assert_eq!(
        db.select(&[Matcher::equal("__name__", "g")], 0, i64::MAX)[0]
            .samples()
            .collect::<Vec<_>>(),
        vec![(T0, 1.0)]
    );
}

#[test]
fn exponential_histograms_are_rejected_with_a_hint() {
    let db = Tsdb::new(HeadOptions::default());
    let req = request(
        svc(),
        vec![metric(
            "latency",
            "s",
            Data::ExponentialHistogram(ExponentialHistogram {
                data_points: vec![ExponentialHistogramDataPoint::default(); 2],
                aggregation_temporality: CUMULATIVE,
            }),
        )],
    );
    let st = write_otlp_metrics(&db, &req, &OtlpOptions::default(), NOW);
    assert_eq!(
        (st.rejected_data_points, st.unsupported_data_points),
        (2, 2)
    );
    let msg = st.error_message.unwrap();
    assert!(
        msg.contains("exponential histogram metric \"latency\" is not supported"),
        "{msg}"
    );
    assert!(msg.contains("explicit_bucket_histogram"), "{msg}");
}

#[test]
fn tsdb_refusals_are_counted_not_fatal() {
    let db = Tsdb::new(HeadOptions::default());
    let opts = OtlpOptions::default();
    let first = request(
        svc(),
        vec![gauge("g", "", vec![num(T0 + 1000, 1.0, vec![])])],
    );
    assert_eq!(
        write_otlp_metrics(&db, &first, &opts, NOW).samples_written,
        1
    );
    // Resending the same sample is a no-op, not an error.
    let again = write_otlp_metrics(&db, &first, &opts, NOW);
    assert_eq!((again.rejected_data_points, again.error_message), (0, None));
    let bad = request(
        svc(),
        vec![gauge(
            "g",
            "",
            vec![
                num(T0, 1.0, vec![]),
                num(T0 + 1000, 2.0, vec![]),
                num(NOW + 3_600_000, 3.0, vec![]),
                num(T0 + 2000, 4.0, vec![]),
            ],
        )],
    );
    let st = write_otlp_metrics(&db, &bad, &opts, NOW);
    assert_eq!(
        (
            st.samples_written,
            st.out_of_order,
            st.duplicates,
            st.out_of_bounds,
            st.rejected_data_points
        ),
        (1, 1, 1, 1, 3)
    );
    let msg = st.error_message.unwrap();
    assert!(msg.contains("1 samples out of order"), "{msg}");
    assert!(msg.contains("1 duplicate samples for timestamp"), "{msg}");
    assert!(msg.contains("1 samples out of bounds"), "{msg}");
}

#[test]
fn series_limit_is_counted() {
    let db = Tsdb::new(HeadOptions {
        max_series: 1,
        ..HeadOptions::default()
    });
    let req = request(
        svc(),
        vec![gauge(
            "g",
            "",
            vec![
                num(T0, 1.0, vec![kv("a", "1")]),
                num(T0, 1.0, vec![kv("a", "2")]),
            ],
        )],
    );
    let st = write_otlp_metrics(&db, &req, &OtlpOptions::default(), NOW);
    assert_eq!(
        (
            st.samples_written,
            st.series_limit_rejected,
            st.rejected_data_points
        ),
        (1, 1, 1)
    );
}

#[test]
fn empty_metrics_warn_without_rejecting() {
    let db = Tsdb::new(HeadOptions::default());
    let req = request(
        svc(),
        vec![
            gauge("nothing", "", vec![]),
            Metric {
                name: "nodata".into(),
                ..Default::default()
            },
        ],
    );
    let st = write_otlp_metrics(&db, &req, &OtlpOptions::default(), NOW);
    assert_eq!((st.data_points, st.rejected_data_points), (0, 0));
    let msg = st.error_message.clone().unwrap();
    assert!(
        msg.contains("empty data points. nothing is dropped"),
        "{msg}"
    );
    assert!(msg.contains("\"nodata\" has no data"), "{msg}");
    // Warnings only: partial_success with rejected_data_points 0.
    assert_eq!(
        st.response().partial_success.unwrap().rejected_data_points,
        0
    );
    assert!(dump(&db).is_empty());
}

#[test]
fn target_info_is_deduplicated_and_capped() {
    let db = Tsdb::new(HeadOptions::default());
    let rm = resource_metrics(
        vec![kv("service.name", "api"), kv("host.name", "h1")],
        vec![gauge("g", "", vec![num(T0, 1.0, vec![])])],
    );
    // Two resources with the same target_info in one request: one sample.
    let req = ExportMetricsServiceRequest {
        resource_metrics: vec![rm.clone(), rm],
    };
    let st = write_otlp_metrics(&db, &req, &OtlpOptions::default(), NOW);
    // g twice (the resend is a no-op the TSDB accepts), target_info once.
    assert_eq!((st.samples_written, st.duplicates), (3, 0));
    let info = db.select(
        &[Matcher::equal("__name__", "target_info")],
        i64::MIN,
        i64::MAX,
    );
    assert_eq!(info[0].samples().count(), 1);
    // A data point without a timestamp does not make target_info reach back to 1970.
    let db = Tsdb::new(HeadOptions::default());
    let req = request(
        vec![kv("service.name", "api"), kv("host.name", "h1")],
        vec![gauge(
            "g",
            "",
            vec![
                NumberDataPoint {
                    time_unix_nano: 0,
                    ..num(0, 1.0, vec![])
                },
                num(T0, 2.0, vec![]),
            ],
        )],
    );
    write_otlp_metrics(&db, &req, &OtlpOptions::default(), NOW);
    let info = db.select(
        &[Matcher::equal("__name__", "target_info")],
        i64::MIN,
        i64::MAX,
    );
    assert_eq!(
        info[0].samples().count() as u64,
        MAX_TARGET_INFO_SAMPLES + 1
    );
}

fn fixture() -> Vec<u8> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/otlp/metrics.json");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const FIXTURE_SERIES: &[&str] = &[
    r#"cart_items{instance="checkout-1", job="shop/checkout"} 60000=3"#,
    r#"http_server_request_duration_seconds_bucket{http_request_method="GET", http_response_status_code="200", instance="checkout-1", job="shop/checkout", le="+Inf"} 60000=6"#,
    r#"http_server_request_duration_seconds_bucket{http_request_method="GET", http_response_status_code="200", instance="checkout-1", job="shop/checkout", le="0.1"} 60000=2"#,
    r#"http_server_request_duration_seconds_bucket{http_request_method="GET", http_response_status_code="200", instance="checkout-1", job="shop/checkout", le="0.5"} 60000=5"#,
    r#"http_server_request_duration_seconds_count{http_request_method="GET", http_response_status_code="200", instance="checkout-1", job="shop/checkout"} 60000=6"#,
    r#"http_server_request_duration_seconds_sum{http_request_method="GET", http_response_status_code="200", instance="checkout-1", job="shop/checkout"} 60000=1.25"#,
    r#"orders_placed_total{instance="checkout-1", job="shop/checkout"} 60000=17"#,
    r#"payment_latency_milliseconds{instance="checkout-1", job="shop/checkout", quantile="0.5"} 60000=20"#,
    r#"payment_latency_milliseconds{instance="checkout-1", job="shop/checkout", quantile="0.99"} 60000=45.5"#,
    r#"payment_latency_milliseconds_count{instance="checkout-1", job="shop/checkout"} 60000=4"#,
    r#"payment_latency_milliseconds_sum{instance="checkout-1", job="shop/checkout"} 60000=100.5"#,
    r#"process_memory_usage_bytes{instance="checkout-1", job="shop/checkout"} 60000=52428800"#,
    r#"target_info{host_name="ci-runner", instance="checkout-1", job="shop/checkout", process_pid="4242"} 60000=1"#,
];

/// OTLP/HTTP decoding as the receivers do it (`outpost-otlp`).
fn decode_otlp_metrics(body: &[u8], encoding: Encoding, gzip: bool) -> ExportMetricsServiceRequest {
    let compression = if gzip {
        Compression::Gzip
    } else {
        Compression::None
    };
    outpost_otlp::decode(body, encoding, compression, MAX_DECOMPRESSED_BYTES).unwrap()
}

#[test]
fn json_fixture_decodes_and_translates() {
    let req = decode_otlp_metrics(&fixture(), Encoding::Json, false);
    let m = &req.resource_metrics[0].scope_metrics[0].metrics;
    assert_eq!(m.len(), 6);
    let Some(Data::Histogram(h)) = &m[0].data else {
        panic!("histogram expected");
    };
    let p = &h.data_points[0];
    assert_eq!(
        (p.count, p.sum, &p.bucket_counts[..]),
        (6, Some(1.25), &[2, 3, 1][..])
    );
    assert_eq!(
        p.exemplars[0].span_id,
        vec![0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74]
    );
    let db = Tsdb::new(HeadOptions::default());
    let st = write_otlp_metrics(&db, &req, &OtlpOptions::default(), NOW);
    assert_eq!(dump(&db), FIXTURE_SERIES);
    assert_eq!(
        (
            st.data_points,
            st.rejected_data_points,
            st.exemplars_dropped
        ),
        (6, 1, 1)
    );
    assert!(st.error_message.unwrap().contains("\"payment.retries\""));
    // The same request as protobuf and as gzip-compressed JSON.
    let pb = req.encode_to_vec();
    assert_eq!(decode_otlp_metrics(&pb, Encoding::Protobuf, false), req);
    assert_eq!(
        decode_otlp_metrics(&gzip(&pb), Encoding::Protobuf, true),
        req
    );
    assert_eq!(
        decode_otlp_metrics(&gzip(&fixture()), Encoding::Json, true),
        req
    );
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

/// The stats' Export response (content types and the generic response
/// encoding are tested in `outpost-otlp`).
#[test]
fn write_stats_responses() {
    let ok = OtlpWriteStats::default();
    assert!(ok.encode_response(Encoding::Protobuf).is_empty());
    assert_eq!(ok.encode_response(Encoding::Json), b"{}");
    let partial = OtlpWriteStats {
        rejected_data_points: 2,
        error_message: Some("why".into()),
        ..OtlpWriteStats::default()
    };
    let json: serde_json::Value =
        serde_json::from_slice(&partial.encode_response(Encoding::Json)).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"partialSuccess": {"rejectedDataPoints": 2, "errorMessage": "why"}})
    );
    let pb = partial.encode_response(Encoding::Protobuf);
    assert_eq!(
        ExportMetricsServiceResponse::decode(&pb[..]).unwrap(),
        partial.response()
    );
}

/// Round trip through the OpenTelemetry Rust SDK: instruments recorded with
/// the SDK, collected by a manual reader, converted by `opentelemetry-proto`'s
/// own SDK-to-OTLP transform, encoded as protobuf, then decoded and stored.
mod sdk {
    use std::sync::{Arc, Weak};
    use std::time::Duration;

    use opentelemetry::KeyValue as OtelKeyValue;
    use opentelemetry::metrics::MeterProvider as _;
    use opentelemetry_sdk::Resource as SdkResource;
    use opentelemetry_sdk::error::OTelSdkResult;
    use opentelemetry_sdk::metrics::data::ResourceMetrics as SdkResourceMetrics;
    use opentelemetry_sdk::metrics::reader::MetricReader;
    use opentelemetry_sdk::metrics::{
        InstrumentKind, ManualReader, Pipeline, SdkMeterProvider, Temporality,
    };

    use super::*;

    /// A `ManualReader` the test keeps a handle on after the provider owns it.
    #[derive(Debug, Clone)]
    struct SharedReader(Arc<ManualReader>);

    impl MetricReader for SharedReader {
        fn register_pipeline(&self, pipeline: Weak<Pipeline>) {
            self.0.register_pipeline(pipeline);
        }
        fn collect(&self, rm: &mut SdkResourceMetrics) -> OTelSdkResult {
            self.0.collect(rm)
        }
        fn force_flush(&self) -> OTelSdkResult {
            self.0.force_flush()
        }
        fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
            self.0.shutdown_with_timeout(timeout)
        }
        fn temporality(&self, kind: InstrumentKind) -> Temporality {
            self.0.temporality(kind)
        }
    }

    /// Records a few instruments and returns the OTLP protobuf body.
    fn export(temporality: Temporality) -> Vec<u8> {
        let reader = SharedReader(Arc::new(
            ManualReader::builder()
                .with_temporality(temporality)
                .build(),
        ));
        let provider = SdkMeterProvider::builder()
            .with_resource(
                SdkResource::builder()
                    .with_service_name("sdk-svc")
                    .with_attribute(OtelKeyValue::new("host.name", "h1"))
                    .build(),
            )
            .with_reader(reader.clone())
            .build();
        let meter = provider.meter("outpost.test");
        let counter = meter
            .u64_counter("sdk.requests")
            .with_unit("{request}")
            .build();
        counter.add(5, &[OtelKeyValue::new("http.route", "/a")]);
        let hist = meter.f64_histogram("sdk.latency").with_unit("s").build();
        hist.record(0.2, &[]);
        hist.record(7.0, &[]);
        let gauge = meter.f64_gauge("sdk.temperature").with_unit("Cel").build();
        gauge.record(21.5, &[]);
        let updown = meter.i64_up_down_counter("sdk.queue").build();
        updown.add(-3, &[]);
        let mut rm = SdkResourceMetrics::default();
        reader.collect(&mut rm).unwrap();
        ExportMetricsServiceRequest::from(&rm).encode_to_vec()
    }

    /// The SDK stamps points with the wall clock; a far "now" accepts them all.
    fn now_ms() -> i64 {
        i64::MAX / 4
    }

    fn values(db: &Tsdb, name: &str, extra: Option<(&str, &str)>) -> Vec<f64> {
        let mut m = vec![Matcher::equal("__name__", name)];
        if let Some((n, v)) = extra {
            m.push(Matcher::equal(n, v));
        }
        db.select(&m, 0, i64::MAX)
            .iter()
            .flat_map(|s| s.samples().map(|(_, v)| v).collect::<Vec<_>>())
            .collect()
    }

    #[test]
    fn cumulative_sdk_export_round_trips() {
        let body = export(Temporality::Cumulative);
        let req = decode_otlp_metrics(&body, Encoding::Protobuf, false);
        let db = Tsdb::new(HeadOptions::default());
        let st = write_otlp_metrics(&db, &req, &OtlpOptions::default(), now_ms());
        assert_eq!(
            (st.rejected_data_points, &st.error_message),
            (0, &None),
            "{st:?}"
        );
        let counter = db.select(
            &[Matcher::equal("__name__", "sdk_requests_total")],
            0,
            i64::MAX,
        );
        assert_eq!(counter.len(), 1);
        assert_eq!(counter[0].labels.get("job"), Some("sdk-svc"));
        assert_eq!(counter[0].labels.get("http_route"), Some("/a"));
        assert_eq!(values(&db, "sdk_requests_total", None), vec![5.0]);
        assert_eq!(values(&db, "sdk_latency_seconds_count", None), vec![2.0]);
        assert_eq!(values(&db, "sdk_latency_seconds_sum", None), vec![7.2]);
        // The SDK's default buckets: 0, 5, 10, 25, ...
        assert_eq!(
            values(&db, "sdk_latency_seconds_bucket", Some(("le", "0"))),
            vec![0.0]
        );
        assert_eq!(
            values(&db, "sdk_latency_seconds_bucket", Some(("le", "5"))),
            vec![1.0]
        );
        assert_eq!(
            values(&db, "sdk_latency_seconds_bucket", Some(("le", "10"))),
            vec![2.0]
        );
        assert_eq!(
            values(&db, "sdk_latency_seconds_bucket", Some(("le", "+Inf"))),
            vec![2.0]
        );
        assert_eq!(values(&db, "sdk_temperature_celsius", None), vec![21.5]);
        assert_eq!(values(&db, "sdk_queue", None), vec![-3.0]);
        let info = db.select(&[Matcher::equal("__name__", "target_info")], 0, i64::MAX);
        assert_eq!(info[0].labels.get("host_name"), Some("h1"));
        assert_eq!(info[0].labels.get("telemetry_sdk_language"), Some("rust"));
    }

    #[test]
    fn delta_sdk_export_is_rejected_with_the_hint() {
        let body = export(Temporality::Delta);
        let req = decode_otlp_metrics(&body, Encoding::Protobuf, false);
        let db = Tsdb::new(HeadOptions::default());
        let st = write_otlp_metrics(&db, &req, &OtlpOptions::default(), now_ms());
        // Counter and histogram are delta; the gauge and the up-down counter
        // (cumulative under the delta preference) are stored.
        assert_eq!(st.rejected_data_points, 2, "{st:?}");
        assert!(st.error_message.unwrap().contains("deltatocumulative"));
        assert_eq!(values(&db, "sdk_temperature_celsius", None), vec![21.5]);
        assert_eq!(values(&db, "sdk_queue", None), vec![-3.0]);
        assert!(values(&db, "sdk_requests_total", None).is_empty());
    }
}
