//! One target's scrape loop on the clock: fetch, parse, relabel, append with
//! a series cache, staleness markers, the report series (`up`, ...), and the
//! health shown by `/api/v1/targets`. Semantics follow Prometheus 3's
//! `scrape/scrape.go` (see `../shared/docs/semantics/prometheus-ingest.md` §3).

use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use outpost_clock::{Clock, Stopwatch};
use outpost_config::ScrapeConfig;
use outpost_exposition::{Entry, Format, Parser};
use outpost_tsdb::{Error as TsdbError, Labels, SeriesRef, Tsdb, stale_nan};
use tokio::sync::watch;

use crate::target::Target;
use outpost_config::{LabelBuilder, relabel};
use outpost_http_client::Auth;

/// Parsed NaNs are stored with this pattern so a scrape can never write a staleness marker.
const NORMAL_NAN_BITS: u64 = 0x7ff8_0000_0000_0001;
/// Samples further than this in the future are out of bounds.
const MAX_FUTURE_MS: i64 = 10 * 60 * 1000;

/// Health of a target as `/api/v1/targets` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// Not scraped yet.
    Unknown,
    /// The last scrape succeeded.
    Up,
    /// The last scrape failed.
    Down,
}

impl Health {
    /// `up`, `down` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Unknown => "unknown",
            Health::Up => "up",
            Health::Down => "down",
        }
    }
}

/// Metadata a target exposed for a metric family.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetricMetadata {
    /// `counter`, `gauge`, ... (`unknown` when not given).
    pub kind: String,
    /// HELP text.
    pub help: String,
    /// UNIT.
    pub unit: String,
}

/// The mutable state of one target.
#[derive(Debug, Clone)]
pub struct TargetHealth {
    /// Outcome of the last scrape (`up` or `down`; `unknown` before the first).
    pub health: Health,
    /// Error of the last scrape, empty when it succeeded.
    pub last_error: String,
    /// Clock time of the last scrape (ms), 0 before the first.
    pub last_scrape_ms: i64,
    /// Duration of the last scrape in seconds.
    pub last_scrape_duration: f64,
    /// Metadata by metric family name.
    pub metadata: HashMap<String, MetricMetadata>,
}

impl Default for TargetHealth {
    fn default() -> Self {
        TargetHealth {
            health: Health::Unknown,
            last_error: String::new(),
            last_scrape_ms: 0,
            last_scrape_duration: 0.0,
            metadata: HashMap::new(),
        }
    }
}

/// Counters over every scrape (snapshotted as [`crate::ScrapeStats`]).
#[derive(Debug, Default)]
pub(crate) struct ScrapeCounters {
    pub(crate) scrapes: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) sample_out_of_order: AtomicU64,
    pub(crate) sample_duplicate_timestamp: AtomicU64,
    pub(crate) sample_out_of_bounds: AtomicU64,
    pub(crate) exceeded_sample_limit: AtomicU64,
    pub(crate) exceeded_body_size_limit: AtomicU64,
    pub(crate) exceeded_label_limits: AtomicU64,
    pub(crate) series_limit_rejected: AtomicU64,
}

/// What every loop of a job shares.
pub(crate) struct JobShared {
    pub(crate) tsdb: Arc<Tsdb>,
    pub(crate) clock: Clock,
    pub(crate) client: reqwest::Client,
    pub(crate) auth: Auth,
    pub(crate) cfg: Arc<ScrapeConfig>,
    pub(crate) accept: String,
    pub(crate) counters: Arc<ScrapeCounters>,
    pub(crate) seed: u64,
    /// Set while the pool exceeds target_limit: every loop fails with it.
    pub(crate) forced_error: Mutex<Option<String>>,
}

/// Why a loop stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Process shutdown or job restart: no end-of-run staleness.
    Quiet,
    /// The target went away: its series get staleness markers.
    Removed,
}

#[derive(Debug, Clone, Copy)]
struct CacheEntry {
    series: Option<SeriesRef>,
    last_seen: u64,
    explicit_ts: bool,
}

/// Builds the Accept header for the configured protocols, as Prometheus 3 does.
pub(crate) fn accept_header(protocols: &[String]) -> String {
    let n = protocols.len();
    let mut parts: Vec<String> = protocols
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let q = (n + 2 - i) as f64 / 10.0;
            let media = match p.as_str() {
                "OpenMetricsText1.0.0" => "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8",
                "OpenMetricsText0.0.1" => "application/openmetrics-text;version=0.0.1",
                "PrometheusText1.0.0" => "text/plain;version=1.0.0;escaping=allow-utf-8",
                "PrometheusText0.0.4" => "text/plain;version=0.0.4",
                _ => "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
            };
            format!("{media};q={q}")
        })
        .collect();
    parts.push(format!("*/*;q={}", 2.0 / 10.0));
    parts.join(",")
}

fn format_for(content_type: &str, fallback: Option<&str>) -> Result<Format, String> {
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        "application/openmetrics-text" => Ok(Format::OpenMetrics),
        "text/plain" => Ok(Format::PrometheusText),
        _ => match fallback {
            Some(p) if p.starts_with("OpenMetrics") => Ok(Format::OpenMetrics),
            Some(p) if p.starts_with("PrometheusText") => Ok(Format::PrometheusText),
            _ => Err(format!(
                "received unsupported Content-Type {content_type:?} and no fallback_scrape_protocol specified for target"
            )),
        },
    }
}

/// The five report series, in this order.
const REPORT_NAMES: [&str; 5] = [
    "up",
    "scrape_duration_seconds",
    "scrape_samples_scraped",
    "scrape_samples_post_metric_relabeling",
    "scrape_series_added",
];

#[derive(Debug, Default)]
struct ScrapeOutcome {
    scraped: u64,
    post_relabel: u64,
    added: u64,
}

/// One target's loop.
pub(crate) struct ScrapeLoop {
    job: Arc<JobShared>,
    target: Target,
    state: Arc<Mutex<TargetHealth>>,
    interval_ms: i64,
    timeout: Duration,
    cache: HashMap<Box<[u8]>, CacheEntry>,
    report_refs: [Option<SeriesRef>; 5],
    iter: u64,
    pending: Vec<(SeriesRef, i64, f64)>,
    key: Vec<u8>,
    body: Vec<u8>,
    scratch: Vec<u8>,
}

fn duration_ms(s: Option<&str>, default: i64) -> i64 {
    s.and_then(|s| outpost_config::PromDuration::parse(s).ok())
        .map_or(default, |d| d.as_millis())
}

impl ScrapeLoop {
    pub(crate) fn new(
        job: Arc<JobShared>,
        target: Target,
        state: Arc<Mutex<TargetHealth>>,
    ) -> Self {
        let interval_ms = duration_ms(
            target.labels.get("__scrape_interval__"),
            job.cfg.scrape_interval.as_millis(),
        );
        let timeout_ms = duration_ms(
            target.labels.get("__scrape_timeout__"),
            job.cfg.scrape_timeout.as_millis(),
        );
        ScrapeLoop {
            job,
            target,
            state,
            interval_ms: interval_ms.max(1),
            timeout: Duration::from_millis(timeout_ms.max(1) as u64),
            cache: HashMap::new(),
            report_refs: [None; 5],
            iter: 0,
            pending: Vec::new(),
            key: Vec::with_capacity(256),
            body: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// Runs until told to stop.
    pub(crate) async fn run(mut self, mut stop: watch::Receiver<Option<Stop>>) {
        let clock = self.job.clock.clone();
        let mut next = clock.now_ms()
            + self
                .target
                .offset_ms(clock.now_ms(), self.interval_ms, self.job.seed);
        let reason = loop {
            tokio::select! {
                _ = clock.sleep_until(next) => {}
                r = stop.wait_for(|s| s.is_some()) => break r.map(|s| s.unwrap_or(Stop::Quiet)).unwrap_or(Stop::Quiet),
            }
            self.scrape(next).await;
            next += self.interval_ms;
            let now = clock.now_ms();
            if next <= now {
                // Missed ticks (a jump of the manual clock or a slow scrape): keep the phase.
                next += ((now - next) / self.interval_ms + 1) * self.interval_ms;
            }
        };
        if reason == Stop::Removed && self.iter > 0 {
            // As Prometheus: wait for the next tick T, one more interval and a
            // tenth, then mark everything of the last scrape stale at T.
            let t = next;
            let wait_until = t + self.interval_ms + self.interval_ms / 10;
            clock.sleep_until(wait_until).await;
            self.end_of_run_staleness(t);
        }
    }

    fn end_of_run_staleness(&mut self, t: i64) {
        let tsdb = self.job.tsdb.clone();
        let mut app = tsdb.appender();
        for e in self.cache.values() {
            if let (Some(r), false) = (e.series, e.explicit_ts)
                && e.last_seen == self.iter
            {
                let _ = app.append(r, t, stale_nan());
            }
        }
        for r in self.report_refs.iter().flatten() {
            let _ = app.append(*r, t, stale_nan());
        }
    }

    /// One scrape at scheduled time `ts`.
    pub(crate) async fn scrape(&mut self, ts: i64) {
        let sw = Stopwatch::start();
        self.job.counters.scrapes.fetch_add(1, Ordering::Relaxed);
        self.iter += 1;
        let forced = self
            .job
            .forced_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let fetched = match forced {
            Some(e) => Err(e),
            // clock-guard: wall time (scrape_timeout is a network deadline)
            None => match tokio::time::timeout(self.timeout, self.fetch()).await {
                Ok(r) => r,
                Err(_) => Err(format!(
                    "Get {:?}: context deadline exceeded",
                    self.target.url
                )),
            },
        };
        let mut outcome = ScrapeOutcome::default();
        let result = match fetched {
            Ok(format) => self.process(format, ts, &mut outcome),
            Err(e) => Err(e),
        };
        let duration = sw.elapsed().as_secs_f64();
        self.finish(ts, &result, &outcome, duration);
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.last_scrape_ms = ts;
        st.last_scrape_duration = duration;
        match result {
            Ok(()) => {
                st.health = Health::Up;
                st.last_error.clear();
            }
            Err(e) => {
                self.job.counters.failed.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(url = %self.target.url, error = %e, "scrape failed");
                st.health = Health::Down;
                st.last_error = e;
            }
        }
    }

    /// Fetches the body into `self.body` (decompressed); returns its format.
    async fn fetch(&mut self) -> Result<Format, String> {
        let cfg = &self.job.cfg;
        let url = &self.target.url;
        let req = self
            .job
            .client
            .get(url)
            .header("Accept", &self.job.accept)
            .header(
                "Accept-Encoding",
                if cfg.enable_compression {
                    "gzip"
                } else {
                    "identity"
                },
            )
            .header(
                "X-Prometheus-Scrape-Timeout-Seconds",
                format_secs(self.timeout.as_secs_f64()),
            );
        let req = self.job.auth.apply(req);
        let mut resp = req
            .send()
            .await
            .map_err(|e| format!("Get {url:?}: {}", error_chain(&e)))?;
        if resp.status() != reqwest::StatusCode::OK {
            return Err(format!("server returned HTTP status {}", resp.status()));
        }
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string()
        };
        let content_type = header("content-type");
        let gzip = header("content-encoding") == "gzip";
        let limit = if cfg.body_size_limit == 0 {
            usize::MAX
        } else {
            cfg.body_size_limit as usize
        };
        self.scratch.clear();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| format!("Get {url:?}: {}", error_chain(&e)))?
        {
            self.scratch.extend_from_slice(&chunk);
            if !gzip && self.scratch.len() >= limit {
                self.job
                    .counters
                    .exceeded_body_size_limit
                    .fetch_add(1, Ordering::Relaxed);
                return Err("body size limit exceeded".into());
            }
        }
        self.body.clear();
        if gzip {
            let mut dec = flate2::read::GzDecoder::new(&self.scratch[..]).take(limit as u64);
            dec.read_to_end(&mut self.body)
                .map_err(|e| format!("decompressing response: {e}"))?;
            if self.body.len() >= limit {
                self.job
                    .counters
                    .exceeded_body_size_limit
                    .fetch_add(1, Ordering::Relaxed);
                return Err("body size limit exceeded".into());
            }
        } else {
            std::mem::swap(&mut self.body, &mut self.scratch);
        }
        if self.body.is_empty() {
            return Ok(Format::PrometheusText);
        }
        format_for(&content_type, cfg.fallback_scrape_protocol.as_deref())
    }

    /// Parses `self.body` and stages samples in `self.pending`.
    fn process(&mut self, format: Format, ts: i64, out: &mut ScrapeOutcome) -> Result<(), String> {
        let body = std::mem::take(&mut self.body);
        let r = self.process_body(&body, format, ts, out);
        self.body = body;
        r
    }

    fn process_body(
        &mut self,
        body: &[u8],
        format: Format,
        ts: i64,
        out: &mut ScrapeOutcome,
    ) -> Result<(), String> {
        let cfg = self.job.cfg.clone();
        let tsdb = self.job.tsdb.clone();
        let mut app = tsdb.appender();
        self.pending.clear();
        let mut parser = Parser::new(body, format);
        let mut metadata: HashMap<String, MetricMetadata> = HashMap::new();
        let now = self.job.clock.now_ms();
        let mut limit_error = None;
        loop {
            let entry = match parser.next() {
                Ok(Some(e)) => e,
                Ok(None) => break,
                Err(e) => return Err(e.to_string()),
            };
            let s = match entry {
                Entry::Sample(s) => s,
                Entry::Type { metric, kind } => {
                    metadata.entry(metric.to_string()).or_default().kind =
                        kind.as_str().to_string();
                    continue;
                }
                Entry::Help { metric, text } => {
                    metadata.entry(metric.to_string()).or_default().help = text.to_string();
                    continue;
                }
                Entry::Unit { metric, unit } => {
                    metadata.entry(metric.to_string()).or_default().unit = unit.to_string();
                    continue;
                }
            };
            out.scraped += 1;
            if limit_error.is_some() {
                continue;
            }
            self.key.clear();
            self.key.extend_from_slice(s.name.as_bytes());
            self.key.push(0xff);
            for (n, v) in s.labels.iter() {
                self.key.extend_from_slice(n.as_bytes());
                self.key.push(0xfe);
                self.key.extend_from_slice(v.as_bytes());
                self.key.push(0xff);
            }
            let explicit = cfg.honor_timestamps && s.timestamp_ms.is_some();
            let t = if cfg.honor_timestamps {
                s.timestamp_ms.unwrap_or(ts)
            } else {
                ts
            };
            let v = if s.value.is_nan() {
                f64::from_bits(NORMAL_NAN_BITS)
            } else {
                s.value
            };
            let series = match self.cache.get_mut(&self.key[..]) {
                Some(e) => {
                    if e.series.is_some() && e.last_seen == self.iter {
                        // The same series twice in one scrape: the first wins.
                        self.job
                            .counters
                            .sample_duplicate_timestamp
                            .fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    e.last_seen = self.iter;
                    e.explicit_ts = explicit && !cfg.track_timestamps_staleness;
                    e.series
                }
                None => {
                    let mut ls = LabelBuilder::default();
                    ls.set("__name__".into(), s.name.to_string());
                    for (n, v) in s.labels.iter() {
                        ls.set(n.to_string(), v.to_string());
                    }
                    merge_target_labels(&mut ls, self.target.public_labels(), cfg.honor_labels);
                    let series = if relabel(&mut ls, &cfg.metric_relabel_configs) {
                        check_labels(&ls, &cfg).inspect_err(|_| {
                            self.job
                                .counters
                                .exceeded_label_limits
                                .fetch_add(1, Ordering::Relaxed);
                        })?;
                        let labels = Labels::from_pairs(ls.iter())
                            .map_err(|e| format!("invalid metric name or label names: {e}"))?;
                        match app.series_ref(&labels) {
                            Ok(r) => {
                                out.added += 1;
                                Some(r)
                            }
                            Err(TsdbError::SeriesLimit { .. }) => {
                                self.job
                                    .counters
                                    .series_limit_rejected
                                    .fetch_add(1, Ordering::Relaxed);
                                continue;
                            }
                            Err(e) => return Err(e.to_string()),
                        }
                    } else {
                        None
                    };
                    self.cache.insert(
                        self.key.clone().into_boxed_slice(),
                        CacheEntry {
                            series,
                            last_seen: self.iter,
                            explicit_ts: explicit && !cfg.track_timestamps_staleness,
                        },
                    );
                    series
                }
            };
            let Some(r) = series else { continue };
            out.post_relabel += 1;
            if cfg.sample_limit > 0 && out.post_relabel > cfg.sample_limit {
                self.job
                    .counters
                    .exceeded_sample_limit
                    .fetch_add(1, Ordering::Relaxed);
                limit_error = Some("sample limit exceeded".to_string());
                continue;
            }
            if t > now + MAX_FUTURE_MS {
                self.job
                    .counters
                    .sample_out_of_bounds
                    .fetch_add(1, Ordering::Relaxed);
                continue;
            }
            self.pending.push((r, t, v));
        }
        if let Some(e) = limit_error {
            // Nothing of this scrape is stored, as Prometheus rolls back.
            self.pending.clear();
            return Err(e);
        }
        let c = &self.job.counters;
        for &(r, t, v) in &self.pending {
            match app.append(r, t, v) {
                Ok(()) => {}
                Err(TsdbError::OutOfOrder) => {
                    c.sample_out_of_order.fetch_add(1, Ordering::Relaxed);
                }
                Err(TsdbError::DuplicateTimestamp) => {
                    c.sample_duplicate_timestamp.fetch_add(1, Ordering::Relaxed);
                }
                Err(TsdbError::OutOfBounds) => {
                    c.sample_out_of_bounds.fetch_add(1, Ordering::Relaxed);
                }
                Err(_) => {}
            }
        }
        self.pending.clear();
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.metadata = metadata;
        Ok(())
    }

    /// Staleness for series not seen this time, cache eviction, report series.
    fn finish(&mut self, ts: i64, result: &Result<(), String>, out: &ScrapeOutcome, duration: f64) {
        let tsdb = self.job.tsdb.clone();
        let mut app = tsdb.appender();
        let iter = self.iter;
        self.cache.retain(|_, e| {
            if e.last_seen + 1 == iter {
                if let (Some(r), false) = (e.series, e.explicit_ts) {
                    let _ = app.append(r, ts, stale_nan());
                }
                return true;
            }
            e.last_seen == iter
        });
        let up = if result.is_ok() { 1.0 } else { 0.0 };
        let values = [
            up,
            duration,
            out.scraped as f64,
            out.post_relabel as f64,
            out.added as f64,
        ];
        for (i, name) in REPORT_NAMES.iter().enumerate() {
            let r = match self.report_refs[i] {
                Some(r) => r,
                None => {
                    let mut pairs: Vec<(&str, &str)> = self.target.public_labels().collect();
                    pairs.push(("__name__", name));
                    let Ok(labels) = Labels::from_pairs(pairs) else {
                        continue;
                    };
                    match app.series_ref(&labels) {
                        Ok(r) => {
                            self.report_refs[i] = Some(r);
                            r
                        }
                        Err(_) => continue,
                    }
                }
            };
            let _ = app.append(r, ts, values[i]);
        }
    }
}

/// Adds a target's labels to an exposed label set. Without honor_labels the
/// target wins and a clashing exposed label is kept as `exported_<name>`
/// (shortest names first); with honor_labels the exposed labels win.
fn merge_target_labels<'a>(
    ls: &mut LabelBuilder,
    target: impl Iterator<Item = (&'a str, &'a str)>,
    honor_labels: bool,
) {
    let mut target: Vec<(&str, &str)> = target.collect();
    if honor_labels {
        for (n, v) in target {
            if ls.get(n).is_none() {
                ls.set(n.to_string(), v.to_string());
            }
        }
        return;
    }
    target.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then(a.0.cmp(b.0)));
    for (n, v) in target {
        if let Some(exposed) = ls.get(n).map(str::to_string) {
            let mut name = format!("exported_{n}");
            while ls.get(&name).is_some() {
                name = format!("exported_{name}");
            }
            ls.set(name, exposed);
        }
        ls.set(n.to_string(), v.to_string());
    }
}

fn check_labels(ls: &LabelBuilder, cfg: &ScrapeConfig) -> Result<(), String> {
    if ls.get("__name__").is_none() {
        return Err("missing metric name (__name__ label)".into());
    }
    if cfg.label_limit > 0 && ls.len() as u64 > cfg.label_limit {
        return Err(format!(
            "label_limit exceeded (metric: {}, number of labels: {}, limit: {})",
            ls.get("__name__").unwrap_or(""),
            ls.len(),
            cfg.label_limit
        ));
    }
    for (n, v) in ls.iter() {
        if cfg.label_name_length_limit > 0 && n.len() as u64 > cfg.label_name_length_limit {
            return Err(format!(
                "label_name_length_limit exceeded (metric: {}, label name: {n}, length: {}, limit: {})",
                ls.get("__name__").unwrap_or(""),
                n.len(),
                cfg.label_name_length_limit
            ));
        }
        if cfg.label_value_length_limit > 0 && v.len() as u64 > cfg.label_value_length_limit {
            return Err(format!(
                "label_value_length_limit exceeded (metric: {}, label name: {n}, value: {v:?}, length: {}, limit: {})",
                ls.get("__name__").unwrap_or(""),
                v.len(),
                cfg.label_value_length_limit
            ));
        }
    }
    Ok(())
}

/// Seconds as Go's strconv.FormatFloat(v, 'f', -1, 64) writes them.
use outpost_exposition::go_float as format_secs;

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ")
}

/// Counters snapshot helper for the manager.
pub(crate) fn load(a: &AtomicU64) -> u64 {
    a.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_header_matches_prometheus_3_default() {
        let protocols: Vec<String> = [
            "OpenMetricsText1.0.0",
            "OpenMetricsText0.0.1",
            "PrometheusText1.0.0",
            "PrometheusText0.0.4",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            accept_header(&protocols),
            "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2"
        );
    }

    fn set(pairs: &[(&str, &str)]) -> LabelBuilder {
        LabelBuilder::from_pairs(pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())))
    }

    #[test]
    fn target_labels_win_unless_honor_labels() {
        let target = [("instance", "h:1"), ("job", "app")];
        let mut ls = set(&[
            ("__name__", "m"),
            ("job", "exposed"),
            ("exported_job", "taken"),
        ]);
        merge_target_labels(&mut ls, target.iter().copied(), false);
        assert_eq!(
            ls,
            set(&[
                ("__name__", "m"),
                ("exported_exported_job", "exposed"),
                ("exported_job", "taken"),
                ("instance", "h:1"),
                ("job", "app")
            ])
        );
        let mut ls = set(&[("__name__", "m"), ("job", "exposed")]);
        merge_target_labels(&mut ls, target.iter().copied(), true);
        assert_eq!(
            ls,
            set(&[("__name__", "m"), ("instance", "h:1"), ("job", "exposed")])
        );
    }

    #[test]
    fn label_limits() {
        use std::path::Path;
        let yaml = "scrape_configs:\n  - job_name: j\n    label_limit: 2\n    label_value_length_limit: 3\n";
        let (c, _) = outpost_config::parse_prometheus(
            &outpost_config::Files::Embedded(&[]),
            Path::new("p.yml"),
            "p.yml",
            yaml.into(),
        )
        .unwrap();
        let cfg = &c.scrape_configs[0];
        assert!(check_labels(&set(&[("__name__", "m"), ("a", "1")]), cfg).is_ok());
        assert!(
            check_labels(&set(&[("__name__", "m"), ("a", "1"), ("b", "2")]), cfg)
                .unwrap_err()
                .starts_with("label_limit exceeded")
        );
        assert!(
            check_labels(&set(&[("__name__", "m"), ("a", "long")]), cfg)
                .unwrap_err()
                .starts_with("label_value_length_limit exceeded")
        );
        assert_eq!(
            check_labels(&set(&[("a", "1")]), cfg).unwrap_err(),
            "missing metric name (__name__ label)"
        );
    }

    #[test]
    fn content_types() {
        assert!(matches!(
            format_for("text/plain; version=0.0.4; charset=utf-8", None),
            Ok(Format::PrometheusText)
        ));
        assert!(matches!(
            format_for("application/openmetrics-text; version=1.0.0", None),
            Ok(Format::OpenMetrics)
        ));
        assert!(
            format_for("application/json", None)
                .unwrap_err()
                .contains("no fallback_scrape_protocol")
        );
        assert!(matches!(
            format_for("", Some("PrometheusText0.0.4")),
            Ok(Format::PrometheusText)
        ));
        assert_eq!(format_secs(10.0), "10");
        assert_eq!(format_secs(1.5), "1.5");
    }
}
