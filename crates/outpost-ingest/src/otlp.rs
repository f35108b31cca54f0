//! OTLP metrics translation (for `POST /v1/metrics`,
//! `POST /api/v1/otlp/v1/metrics` and gRPC `MetricsService/Export`; the
//! bodies are decoded by `outpost-otlp`): a decoded request becomes TSDB
//! samples with Prometheus 3's rules
//! (`storage/remote/otlptranslator/prometheusremotewrite/` and
//! `prometheus/otlptranslator`).
//!
//! Shapes: gauges and non-monotonic sums become gauge series, monotonic
//! cumulative sums counters (`_total`), explicit-bucket histograms
//! `_bucket{le}`/`_sum`/`_count`, summaries `{quantile}`/`_sum`/`_count`.
//! Each resource with non-identifying attributes also gets a `target_info`
//! series. Outcome rules differ from Prometheus (which fails the whole
//! request on any translation or append error since 3.7): what cannot be
//! stored (delta temporality, exponential histograms, invalid names, samples
//! the TSDB refuses) is counted and explained in an OTLP partial-success
//! message while the rest of the request is stored, as `remote_write.rs`
//! does for remote write.

mod naming;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashSet};

use outpost_otlp::proto::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use outpost_otlp::proto::common::v1::KeyValue;
use outpost_otlp::proto::metrics::v1::metric::Data;
use outpost_otlp::proto::metrics::v1::number_data_point::Value as NumberValue;
use outpost_otlp::proto::metrics::v1::{
    AggregationTemporality, HistogramDataPoint, Metric, NumberDataPoint, ResourceMetrics,
    ScopeMetrics, SummaryDataPoint,
};
use outpost_otlp::{Encoding, ExportRequest, as_string};
use outpost_tsdb::{Appender, Error as TsdbError, Labels, METRIC_NAME, Tsdb, stale_nan};

use self::naming::{NameKind, format_float_label, label_name, metric_name};

/// Samples further than this in the future are out of bounds (as remote write).
const MAX_FUTURE_MS: i64 = 10 * 60 * 1000;
/// `DataPointFlags.FLAG_NO_RECORDED_VALUE_MASK`.
const FLAG_NO_RECORDED_VALUE: u32 = 1;
/// Resource attributes mapped to `job` and `instance`, left out of `target_info`.
const SERVICE_NAME: &str = "service.name";
const SERVICE_NAMESPACE: &str = "service.namespace";
const SERVICE_INSTANCE_ID: &str = "service.instance.id";
const IDENTIFYING_ATTRIBUTES: [&str; 3] = [SERVICE_NAMESPACE, SERVICE_NAME, SERVICE_INSTANCE_ID];
/// Most `target_info` samples per resource and request (guards against a
/// data point without timestamp stretching the range back to 1970).
const MAX_TARGET_INFO_SAMPLES: u64 = 1000;
/// Most distinct problem messages quoted in the partial-success message.
const MAX_MESSAGES: usize = 10;

/// How OTLP metric and attribute names become Prometheus names
/// (`otlp.translation_strategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TranslationStrategy {
    /// Escape names to the legacy character set and add unit and type
    /// suffixes: `http.server.duration` (unit `s`) to `http_server_duration_seconds`
    /// (Prometheus 3's default).
    #[default]
    UnderscoreEscapingWithSuffixes,
    /// Escape names but add no suffixes.
    UnderscoreEscapingWithoutSuffixes,
    /// Keep UTF-8 names, add suffixes: `http.server.duration_seconds`.
    NoUtf8EscapingWithSuffixes,
    /// Keep names exactly as sent.
    NoTranslation,
}

impl TranslationStrategy {
    fn escapes(self) -> bool {
        matches!(
            self,
            Self::UnderscoreEscapingWithSuffixes | Self::UnderscoreEscapingWithoutSuffixes
        )
    }

    fn adds_suffixes(self) -> bool {
        matches!(
            self,
            Self::UnderscoreEscapingWithSuffixes | Self::NoUtf8EscapingWithSuffixes
        )
    }
}

/// Translation settings (Prometheus' `otlp:` configuration block).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtlpOptions {
    /// Resource attributes copied onto every series (sanitized names; they
    /// never override data point attributes).
    pub promote_resource_attributes: Vec<String>,
    /// Copy every resource attribute onto every series except those in
    /// `ignore_resource_attributes` (replaces `promote_resource_attributes`).
    pub promote_all_resource_attributes: bool,
    /// Resource attributes not promoted by `promote_all_resource_attributes`.
    pub ignore_resource_attributes: Vec<String>,
    /// Keep `service.name`, `service.namespace` and `service.instance.id` as
    /// `target_info` labels (they become `job`/`instance` either way).
    pub keep_identifying_resource_attributes: bool,
    /// Add unit and type suffixes (`_seconds`, `_total`, `_ratio`); `false`
    /// turns the strategy into its without-suffixes variant. Default `true`.
    pub add_metric_suffixes: bool,
    /// Name translation; default [`TranslationStrategy::UnderscoreEscapingWithSuffixes`].
    pub translation_strategy: TranslationStrategy,
    /// Add `otel_scope_name`, `otel_scope_version`, `otel_scope_schema_url`
    /// and `otel_scope_<attribute>` labels for scopes with a name (Prometheus
    /// 3.6+ `promote_scope_metadata`, default `false`).
    pub promote_scope_metadata: bool,
    /// The query lookback delta in ms: `target_info` gets a sample every half
    /// of it over the resource's time range. Default 5 minutes.
    pub lookback_delta_ms: i64,
}

impl Default for OtlpOptions {
    fn default() -> Self {
        Self {
            promote_resource_attributes: Vec::new(),
            promote_all_resource_attributes: false,
            ignore_resource_attributes: Vec::new(),
            keep_identifying_resource_attributes: false,
            add_metric_suffixes: true,
            translation_strategy: TranslationStrategy::default(),
            promote_scope_metadata: false,
            lookback_delta_ms: 5 * 60 * 1000,
        }
    }
}

/// What one OTLP request did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OtlpWriteStats {
    /// Data points in the request, of every metric type.
    pub data_points: u64,
    /// Samples stored (a histogram point gives several; `target_info` included).
    pub samples_written: u64,
    /// Data points not stored, or stored only in part: for
    /// `partial_success.rejected_data_points`.
    pub rejected_data_points: u64,
    /// Rejected data points of unsupported kinds: delta or unspecified
    /// temporality, exponential histograms.
    pub unsupported_data_points: u64,
    /// Rejected data points whose metric or attribute names cannot be translated.
    pub invalid_data_points: u64,
    /// Samples rejected as out of order.
    pub out_of_order: u64,
    /// Samples rejected as duplicates (same timestamp, different value).
    pub duplicates: u64,
    /// Samples rejected as out of bounds or too far in the future.
    pub out_of_bounds: u64,
    /// Samples whose series the series limit refused.
    pub series_limit_rejected: u64,
    /// Exemplars received (not stored).
    pub exemplars_dropped: u64,
    /// Why data was rejected, plus warnings (e.g. metrics without data
    /// points): for `partial_success.error_message`.
    pub error_message: Option<String>,
}

impl OtlpWriteStats {
    /// The Export response: `partial_success` is set when something was
    /// rejected or there is a message, as the OTLP specification asks.
    pub fn response(&self) -> ExportMetricsServiceResponse {
        ExportMetricsServiceRequest::response(
            self.rejected_data_points,
            self.error_message.as_deref(),
        )
    }

    /// The OTLP/HTTP response body in the request's encoding.
    pub fn encode_response(&self, encoding: Encoding) -> Vec<u8> {
        outpost_otlp::encode_response(&self.response(), encoding)
    }
}

/// Translates a request and appends it; returns counts and the
/// partial-success message, if any. `now_ms` bounds future timestamps.
pub fn write_otlp_metrics(
    tsdb: &Tsdb,
    req: &ExportMetricsServiceRequest,
    opts: &OtlpOptions,
    now_ms: i64,
) -> OtlpWriteStats {
    let mut w = Writer {
        app: tsdb.appender(),
        opts,
        escape: opts.translation_strategy.escapes(),
        suffixes: opts.translation_strategy.adds_suffixes() && opts.add_metric_suffixes,
        now_ms,
        stats: OtlpWriteStats::default(),
        messages: Vec::new(),
        more_messages: 0,
        target_info_seen: HashSet::new(),
    };
    for rm in &req.resource_metrics {
        w.resource(rm);
    }
    w.finish()
}

/// A label set under construction, with Prometheus' `labels.Builder`
/// semantics: setting an empty value removes the label.
#[derive(Debug, Clone, Default)]
struct LabelMap(BTreeMap<String, String>);

impl LabelMap {
    fn set(&mut self, name: String, value: String) {
        if value.is_empty() {
            self.0.remove(&name);
        } else {
            self.0.insert(name, value);
        }
    }

    fn has(&self, name: &str) -> bool {
        self.0.contains_key(name)
    }

    /// Adds sorted, sanitized attributes; names colliding after sanitizing
    /// get their values joined with `;` in attribute-name order.
    fn add_attributes(
        &mut self,
        attrs: &[KeyValue],
        ignore: &[&str],
        escape: bool,
    ) -> std::result::Result<(), String> {
        let mut pairs: Vec<(&str, String)> = attrs
            .iter()
            .filter(|kv| kv.key != METRIC_NAME && !ignore.contains(&kv.key.as_str()))
            .map(|kv| (kv.key.as_str(), as_string(kv.value.as_ref())))
            .collect();
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        for (key, value) in pairs {
            let name = label_name(key, escape)?;
            let value = match self.0.get(&name) {
                Some(existing) => format!("{existing};{value}"),
                None => value,
            };
            self.set(name, value);
        }
        Ok(())
    }
}

/// Labels shared by every series of a resource.
struct ResourceCtx {
    job: Option<String>,
    instance: Option<String>,
    promoted: LabelMap,
}

/// `otel_scope_*` labels of a scope, when promoted.
struct ScopeCtx {
    labels: LabelMap,
}

fn attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a KeyValue> {
    attrs.iter().find(|kv| kv.key == key)
}

/// Data points of a metric, and their latest/earliest timestamps folded in.
fn points_of(m: &Metric, range: &mut (u64, u64)) -> u64 {
    fn fold(range: &mut (u64, u64), t: impl Iterator<Item = u64>) -> u64 {
        let mut n = 0;
        for t in t {
            range.0 = range.0.min(t);
            range.1 = range.1.max(t);
            n += 1;
        }
        n
    }
    match &m.data {
        None => 0,
        Some(Data::Gauge(g)) => fold(range, g.data_points.iter().map(|p| p.time_unix_nano)),
        Some(Data::Sum(s)) => fold(range, s.data_points.iter().map(|p| p.time_unix_nano)),
        Some(Data::Histogram(h)) => fold(range, h.data_points.iter().map(|p| p.time_unix_nano)),
        Some(Data::ExponentialHistogram(h)) => {
            fold(range, h.data_points.iter().map(|p| p.time_unix_nano))
        }
        Some(Data::Summary(s)) => fold(range, s.data_points.iter().map(|p| p.time_unix_nano)),
    }
}

fn count_points(sms: &[ScopeMetrics]) -> u64 {
    let mut ignored = (u64::MAX, 0);
    sms.iter()
        .flat_map(|sm| &sm.metrics)
        .map(|m| points_of(m, &mut ignored))
        .sum()
}

fn to_ms(time_unix_nano: u64) -> i64 {
    (time_unix_nano / 1_000_000) as i64
}

fn delta_message(name: &str) -> String {
    format!(
        "invalid temporality and type combination for metric {name:?}: delta temporality is \
         not supported; export cumulative temporality (e.g. \
         OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=cumulative) or convert with the \
         OpenTelemetry Collector's deltatocumulative processor"
    )
}

struct Writer<'a> {
    app: Appender<'a>,
    opts: &'a OtlpOptions,
    escape: bool,
    suffixes: bool,
    now_ms: i64,
    stats: OtlpWriteStats,
    messages: Vec<String>,
    more_messages: usize,
    target_info_seen: HashSet<(Labels, i64)>,
}

impl Writer<'_> {
    fn message(&mut self, msg: String) {
        if self.messages.contains(&msg) {
            return;
        }
        if self.messages.len() < MAX_MESSAGES {
            self.messages.push(msg);
        } else {
            self.more_messages += 1;
        }
    }

    /// Counts `n` data points as rejected for `msg`.
    fn reject(&mut self, n: u64, unsupported: bool, msg: String) {
        self.stats.data_points += n;
        self.stats.rejected_data_points += n;
        if unsupported {
            self.stats.unsupported_data_points += n;
        } else {
            self.stats.invalid_data_points += n;
        }
        self.message(msg);
    }

    fn resource(&mut self, rm: &ResourceMetrics) {
        let attrs: &[KeyValue] = rm.resource.as_ref().map_or(&[], |r| &r.attributes);
        let ctx = match self.resource_ctx(attrs) {
            Ok(ctx) => ctx,
            Err(msg) => {
                let n = count_points(&rm.scope_metrics);
                self.reject(n, false, msg);
                return;
            }
        };
        // Earliest and latest data point time of the resource, for target_info.
        let mut range = (u64::MAX, 0u64);
        for sm in &rm.scope_metrics {
            let scope = match self.scope_ctx(sm) {
                Ok(scope) => scope,
                Err(msg) => {
                    let n = count_points(std::slice::from_ref(sm));
                    self.reject(n, false, msg);
                    continue;
                }
            };
            for m in &sm.metrics {
                points_of(m, &mut range);
                self.metric(m, &ctx, scope.as_ref());
            }
        }
        if range.0 != u64::MAX {
            self.target_info(attrs, &ctx, range.0, range.1);
        }
    }

    fn resource_ctx(&self, attrs: &[KeyValue]) -> std::result::Result<ResourceCtx, String> {
        let job = attr(attrs, SERVICE_NAME).map(|name| {
            let name = as_string(name.value.as_ref());
            match attr(attrs, SERVICE_NAMESPACE) {
                Some(ns) => format!("{}/{name}", as_string(ns.value.as_ref())),
                None => name,
            }
        });
        let instance = attr(attrs, SERVICE_INSTANCE_ID).map(|i| as_string(i.value.as_ref()));
        let mut promoted = LabelMap::default();
        let o = self.opts;
        for kv in attrs {
            let listed = if o.promote_all_resource_attributes {
                !o.ignore_resource_attributes.contains(&kv.key)
            } else {
                o.promote_resource_attributes.contains(&kv.key)
            };
            if listed {
                let name = label_name(&kv.key, self.escape)?;
                promoted.set(name, as_string(kv.value.as_ref()));
            }
        }
        Ok(ResourceCtx {
            job: job.filter(|j| !j.is_empty()),
            instance: instance.filter(|i| !i.is_empty()),
            promoted,
        })
    }

    fn scope_ctx(&self, sm: &ScopeMetrics) -> std::result::Result<Option<ScopeCtx>, String> {
        let Some(scope) = sm.scope.as_ref().filter(|s| !s.name.is_empty()) else {
            return Ok(None);
        };
        if !self.opts.promote_scope_metadata {
            return Ok(None);
        }
        let mut labels = LabelMap::default();
        for kv in &scope.attributes {
            let name = label_name(&format!("otel_scope_{}", kv.key), self.escape)?;
            labels.set(name, as_string(kv.value.as_ref()));
        }
        labels.set("otel_scope_name".into(), scope.name.clone());
        labels.set("otel_scope_version".into(), scope.version.clone());
        labels.set("otel_scope_schema_url".into(), sm.schema_url.clone());
        Ok(Some(ScopeCtx { labels }))
    }

    fn metric(&mut self, m: &Metric, res: &ResourceCtx, scope: Option<&ScopeCtx>) {
        let mut ignored = (u64::MAX, 0);
        let n = points_of(m, &mut ignored);
        let (kind, temporality) = match &m.data {
            None => {
                self.message(format!(
                    "metric {:?} has no data (unsupported metric type empty)",
                    m.name
                ));
                return;
            }
            Some(Data::Gauge(_)) => (NameKind::Gauge, None),
            Some(Data::Summary(_)) => (NameKind::Other, None),
            Some(Data::Sum(s)) => {
                let kind = if s.is_monotonic {
                    NameKind::MonotonicCounter
                } else {
                    NameKind::Other
                };
                (kind, Some(s.aggregation_temporality))
            }
            Some(Data::Histogram(h)) => (NameKind::Other, Some(h.aggregation_temporality)),
            Some(Data::ExponentialHistogram(_)) => {
                self.reject(
                    n,
                    true,
                    format!(
                        "exponential histogram metric {:?} is not supported: outpost stores no \
                         native histograms; use explicit bucket histograms (e.g. \
                         OTEL_EXPORTER_OTLP_METRICS_DEFAULT_HISTOGRAM_AGGREGATION=\
                         explicit_bucket_histogram)",
                        m.name
                    ),
                );
                return;
            }
        };
        if let Some(t) = temporality {
            if t == AggregationTemporality::Delta as i32 {
                self.reject(n, true, delta_message(&m.name));
                return;
            }
            if t != AggregationTemporality::Cumulative as i32 {
                self.reject(
                    n,
                    true,
                    format!(
                        "invalid temporality and type combination for metric {:?}",
                        m.name
                    ),
                );
                return;
            }
        }
        let family = match metric_name(&m.name, &m.unit, kind, self.escape, self.suffixes) {
            Ok(name) => name,
            Err(msg) => {
                self.reject(n, false, msg);
                return;
            }
        };
        if n == 0 {
            self.message(format!("empty data points. {} is dropped", m.name));
            return;
        }
        match &m.data {
            Some(Data::Gauge(g)) => {
                for p in &g.data_points {
                    self.number_point(p, &family, res, scope);
                }
            }
            Some(Data::Sum(s)) => {
                for p in &s.data_points {
                    self.number_point(p, &family, res, scope);
                }
            }
            Some(Data::Histogram(h)) => {
                for p in &h.data_points {
                    self.histogram_point(p, &family, res, scope);
                }
            }
            Some(Data::Summary(s)) => {
                for p in &s.data_points {
                    self.summary_point(p, &family, res, scope);
                }
            }
            None | Some(Data::ExponentialHistogram(_)) => {}
        }
    }

    /// The labels of a data point, before `__name__` and `le`/`quantile`:
    /// attributes, then promoted resource attributes (not overriding), then
    /// `job`/`instance`, then scope labels.
    fn point_labels(
        &mut self,
        attrs: &[KeyValue],
        res: &ResourceCtx,
        scope: Option<&ScopeCtx>,
    ) -> Option<LabelMap> {
        let mut l = LabelMap::default();
        if let Err(msg) = l.add_attributes(attrs, &[], self.escape) {
            self.reject(1, false, msg);
            return None;
        }
        self.stats.data_points += 1;
        for (name, value) in &res.promoted.0 {
            if !l.has(name) {
                l.set(name.clone(), value.clone());
            }
        }
        if let Some(job) = &res.job {
            l.set("job".into(), job.clone());
        }
        if let Some(instance) = &res.instance {
            l.set("instance".into(), instance.clone());
        }
        if let Some(scope) = scope {
            for (name, value) in &scope.labels.0 {
                l.set(name.clone(), value.clone());
            }
        }
        Some(l)
    }

    fn number_point(
        &mut self,
        p: &NumberDataPoint,
        family: &str,
        res: &ResourceCtx,
        scope: Option<&ScopeCtx>,
    ) {
        let Some(base) = self.point_labels(&p.attributes, res, scope) else {
            return;
        };
        self.stats.exemplars_dropped += p.exemplars.len() as u64;
        let mut v = match p.value {
            Some(NumberValue::AsDouble(d)) => d,
            Some(NumberValue::AsInt(i)) => i as f64,
            None => 0.0,
        };
        if p.flags & FLAG_NO_RECORDED_VALUE != 0 {
            v = stale_nan();
        }
        let ok = self.sample(&base, family, None, to_ms(p.time_unix_nano), v);
        self.point_done(ok);
    }

    fn histogram_point(
        &mut self,
        p: &HistogramDataPoint,
        family: &str,
        res: &ResourceCtx,
        scope: Option<&ScopeCtx>,
    ) {
        let Some(base) = self.point_labels(&p.attributes, res, scope) else {
            return;
        };
        self.stats.exemplars_dropped += p.exemplars.len() as u64;
        let stale = p.flags & FLAG_NO_RECORDED_VALUE != 0;
        let val = |v: f64| if stale { stale_nan() } else { v };
        let t = to_ms(p.time_unix_nano);
        let mut ok = true;
        if let Some(sum) = p.sum {
            ok &= self.sample(&base, &format!("{family}_sum"), None, t, val(sum));
        }
        ok &= self.sample(
            &base,
            &format!("{family}_count"),
            None,
            t,
            val(p.count as f64),
        );
        let bucket = format!("{family}_bucket");
        let mut cumulative: u64 = 0;
        for (bound, count) in p.explicit_bounds.iter().zip(&p.bucket_counts) {
            cumulative = cumulative.wrapping_add(*count);
            let le = format_float_label(*bound);
            ok &= self.sample(&base, &bucket, Some(("le", &le)), t, val(cumulative as f64));
        }
        ok &= self.sample(&base, &bucket, Some(("le", "+Inf")), t, val(p.count as f64));
        self.point_done(ok);
    }

    fn summary_point(
        &mut self,
        p: &SummaryDataPoint,
        family: &str,
        res: &ResourceCtx,
        scope: Option<&ScopeCtx>,
    ) {
        let Some(base) = self.point_labels(&p.attributes, res, scope) else {
            return;
        };
        let stale = p.flags & FLAG_NO_RECORDED_VALUE != 0;
        let val = |v: f64| if stale { stale_nan() } else { v };
        let t = to_ms(p.time_unix_nano);
        let mut ok = self.sample(&base, &format!("{family}_sum"), None, t, val(p.sum));
        ok &= self.sample(
            &base,
            &format!("{family}_count"),
            None,
            t,
            val(p.count as f64),
        );
        for q in &p.quantile_values {
            let quantile = format_float_label(q.quantile);
            ok &= self.sample(
                &base,
                family,
                Some(("quantile", &quantile)),
                t,
                val(q.value),
            );
        }
        self.point_done(ok);
    }

    fn point_done(&mut self, all_stored: bool) {
        if !all_stored {
            self.stats.rejected_data_points += 1;
        }
    }

    /// Appends one sample of `base` plus `extra` and `__name__` (both
    /// overriding attributes of the same name); false if refused.
    fn sample(
        &mut self,
        base: &LabelMap,
        name: &str,
        extra: Option<(&str, &str)>,
        t: i64,
        v: f64,
    ) -> bool {
        let extra_name = extra.map(|e| e.0);
        let pairs = base
            .0
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .filter(|(n, _)| *n != METRIC_NAME && Some(*n) != extra_name)
            .chain(extra)
            .chain([(METRIC_NAME, name)]);
        match Labels::from_pairs(pairs) {
            Ok(labels) => self.append(&labels, t, v),
            Err(msg) => {
                self.message(msg);
                false
            }
        }
    }

    fn append(&mut self, labels: &Labels, t: i64, v: f64) -> bool {
        if t > self.now_ms.saturating_add(MAX_FUTURE_MS) {
            self.stats.out_of_bounds += 1;
            return false;
        }
        let r = match self.app.series_ref(labels) {
            Ok(r) => r,
            Err(_) => {
                self.stats.series_limit_rejected += 1;
                return false;
            }
        };
        match self.app.append(r, t, v) {
            Ok(()) => {
                self.stats.samples_written += 1;
                true
            }
            Err(TsdbError::OutOfOrder) => {
                self.stats.out_of_order += 1;
                false
            }
            Err(TsdbError::DuplicateTimestamp) => {
                self.stats.duplicates += 1;
                false
            }
            Err(_) => {
                self.stats.out_of_bounds += 1;
                false
            }
        }
    }

    /// `target_info`: one series per resource with non-identifying
    /// attributes and a `job` or `instance`, value 1, sampled from the
    /// earliest to the latest data point time every half lookback delta plus
    /// once at the latest (Prometheus 3.6+), deduplicated in the request.
    fn target_info(&mut self, attrs: &[KeyValue], res: &ResourceCtx, earliest: u64, latest: u64) {
        let identifying = IDENTIFYING_ATTRIBUTES
            .iter()
            .filter(|k| attr(attrs, k).is_some())
            .count();
        if attrs.len() == identifying {
            return;
        }
        let ignore: &[&str] = if self.opts.keep_identifying_resource_attributes {
            &[]
        } else {
            &IDENTIFYING_ATTRIBUTES
        };
        let mut l = LabelMap::default();
        if let Err(msg) = l.add_attributes(attrs, ignore, self.escape) {
            self.message(format!("target_info not written: {msg}"));
            return;
        }
        if let Some(job) = &res.job {
            l.set("job".into(), job.clone());
        }
        if let Some(instance) = &res.instance {
            l.set("instance".into(), instance.clone());
        }
        if !l.has("job") && !l.has("instance") {
            return;
        }
        l.set(METRIC_NAME.into(), "target_info".into());
        let labels = match Labels::from_pairs(&l.0) {
            Ok(labels) => labels,
            Err(msg) => {
                self.message(msg);
                return;
            }
        };
        let lookback_ms = if self.opts.lookback_delta_ms > 0 {
            self.opts.lookback_delta_ms
        } else {
            OtlpOptions::default().lookback_delta_ms
        };
        let interval = (lookback_ms as u64 / 2).max(1) * 1_000_000;
        let steps = (latest - earliest).div_ceil(interval);
        let mut t = earliest + steps.saturating_sub(MAX_TARGET_INFO_SAMPLES) * interval;
        while t < latest {
            self.target_info_sample(&labels, to_ms(t));
            match t.checked_add(interval) {
                Some(next) => t = next,
                None => break,
            }
        }
        self.target_info_sample(&labels, to_ms(latest));
    }

    fn target_info_sample(&mut self, labels: &Labels, t: i64) {
        if self.target_info_seen.insert((labels.clone(), t)) {
            self.append(labels, t, 1.0);
        }
    }

    fn finish(mut self) -> OtlpWriteStats {
        let s = &self.stats;
        let tsdb = [
            (s.out_of_order, "samples out of order"),
            (s.duplicates, "duplicate samples for timestamp"),
            (s.out_of_bounds, "samples out of bounds"),
            (
                s.series_limit_rejected,
                "samples refused by the series limit",
            ),
        ];
        let mut parts = self.messages;
        for (n, what) in tsdb {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        if self.more_messages > 0 {
            parts.push(format!("and {} more problems", self.more_messages));
        }
        self.stats.error_message = if parts.is_empty() {
            None
        } else if self.stats.rejected_data_points > 0 {
            Some(format!(
                "rejected {} of {} data points: {}",
                self.stats.rejected_data_points,
                self.stats.data_points,
                parts.join("; ")
            ))
        } else {
            Some(parts.join("; "))
        };
        self.stats
    }
}
