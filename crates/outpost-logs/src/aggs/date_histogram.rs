//! `date_histogram`: `fixed_interval` (`30s`, `1m`, `30000ms`), `calendar_interval`
//! (`minute`…`year`, `1m`…`1y`), the legacy `interval`, `time_zone` (buckets start at local
//! boundaries; keys stay UTC epoch ms), `offset`, `min_doc_count` (0: empty buckets filled between
//! the first and last bucket, widened by `extended_bounds`), `hard_bounds`, `format`, `keyed`,
//! `order`, `missing`.

use std::collections::BTreeMap;

use jiff::civil::{DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde_json::{Map, Value, json};
use tantivy::DocId;

use super::format::{DateFormat, parse_tz};
use super::{Agg, Bucket, Key, OrderKey, Seg, ValKind};
use crate::date::{Rounding, eval_date_math};
use crate::error::{Error, Result};

const TY: &str = "date_histogram";
const DAY_MS: i64 = 86_400_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CalUnit {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Interval {
    Fixed(i64),
    Calendar(CalUnit),
}

/// A parsed `date_histogram`.
#[derive(Debug)]
pub(crate) struct Spec {
    pub(crate) field: String,
    rounder: Rounder,
    min_doc_count: u64,
    extended: (Option<i64>, Option<i64>),
    hard: Option<(Option<i64>, Option<i64>)>,
    format: DateFormat,
    keyed: bool,
    order: Vec<(OrderKey, bool)>,
    missing: Option<i64>,
}

/// Rounds timestamps down to bucket starts.
#[derive(Debug, Clone)]
pub(crate) struct Rounder {
    interval: Interval,
    tz: TimeZone,
    /// The zone's fixed offset in ms (UTC and `+01:00`-style zones), `None` for IANA zones.
    fixed_off: Option<i64>,
    offset: i64,
}

fn calendar_unit(s: &str) -> Option<CalUnit> {
    Some(match s {
        "minute" | "1m" => CalUnit::Minute,
        "hour" | "1h" => CalUnit::Hour,
        "day" | "1d" => CalUnit::Day,
        "week" | "1w" => CalUnit::Week,
        "month" | "1M" => CalUnit::Month,
        "quarter" | "1q" => CalUnit::Quarter,
        "year" | "1y" => CalUnit::Year,
        _ => return None,
    })
}

/// Parses a time value (`30s`, `1m`, `1500ms`, `2d`) into milliseconds.
pub(crate) fn parse_time_value(s: &str) -> Option<i64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit() && c != '-')?;
    let (num, unit) = s.split_at(split);
    let n: i64 = num.parse().ok()?;
    let mult = match unit {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => DAY_MS,
        "nanos" | "micros" => return None,
        _ => return None,
    };
    n.checked_mul(mult)
}

fn bound(v: &Value, now_ms: i64, key: &str) -> Result<Option<i64>> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => Ok(n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))),
        Value::String(s) => eval_date_math(s, now_ms, Rounding::Down)
            .map(Some)
            .map_err(|e| {
                Error::XContentParse(format!("[{TY}] failed to parse field [{key}]: {e}"))
            }),
        _ => Err(Error::XContentParse(format!(
            "[{TY}] failed to parse field [{key}]"
        ))),
    }
}

fn bounds(v: Option<&Value>, now_ms: i64, key: &str) -> Result<Option<(Option<i64>, Option<i64>)>> {
    let Some(v) = v else { return Ok(None) };
    let Some(o) = v.as_object() else {
        return Err(Error::XContentParse(format!(
            "[{TY}] failed to parse field [{key}]"
        )));
    };
    for k in o.keys() {
        if k != "min" && k != "max" {
            return Err(Error::XContentParse(format!("[{key}] unknown field [{k}]")));
        }
    }
    let min = match o.get("min") {
        Some(m) => bound(m, now_ms, key)?,
        None => None,
    };
    let max = match o.get("max") {
        Some(m) => bound(m, now_ms, key)?,
        None => None,
    };
    if let (Some(a), Some(b)) = (min, max)
        && a > b
    {
        return Err(Error::IllegalArgument(format!(
            "[{key}.min][{a}] cannot be greater than [{key}.max][{b}] for histogram aggregation [{TY}]"
        )));
    }
    Ok(Some((min, max)))
}

impl Spec {
    pub(crate) fn parse(body: &Value, now_ms: i64) -> Result<Spec> {
        let o = super::options(
            TY,
            body,
            &[
                "field",
                "fixed_interval",
                "calendar_interval",
                "interval",
                "time_zone",
                "offset",
                "min_doc_count",
                "extended_bounds",
                "hard_bounds",
                "format",
                "keyed",
                "order",
                "missing",
            ],
        )?;
        let field = super::field_required(TY, o)?;
        let text = |k: &str| -> Result<Option<String>> {
            match o.get(k) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(Value::Number(n)) => Ok(Some(n.to_string())),
                Some(_) => Err(Error::XContentParse(format!(
                    "[{TY}] failed to parse field [{k}]"
                ))),
            }
        };
        let fixed = text("fixed_interval")?;
        let cal = text("calendar_interval")?;
        let legacy = text("interval")?;
        let interval = match (fixed, cal, legacy) {
            (Some(_), Some(_), _) => {
                return Err(Error::IllegalArgument(
                    "Cannot use [fixed_interval] with [calendar_interval] configuration option."
                        .into(),
                ));
            }
            (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => {
                return Err(Error::IllegalArgument(
                    "Cannot use [interval] with [fixed_interval] or [calendar_interval] configuration options.".into(),
                ));
            }
            (Some(f), None, None) => match parse_time_value(&f) {
                Some(ms) if ms > 0 => Interval::Fixed(ms),
                _ => {
                    return Err(Error::IllegalArgument(format!(
                        "failed to parse setting [date_histogram.fixedInterval] with value [{f}] as a time value: unit is missing or unrecognized"
                    )));
                }
            },
            (None, Some(c), None) => match calendar_unit(&c) {
                Some(u) => Interval::Calendar(u),
                None => {
                    return Err(Error::XContentParse(format!(
                        "[{TY}] failed to parse field [calendar_interval]: The supplied interval [{c}] could not be parsed as a calendar interval."
                    )));
                }
            },
            (None, None, Some(l)) => match calendar_unit(&l) {
                Some(u) => Interval::Calendar(u),
                None => match parse_time_value(&l).or_else(|| l.parse::<i64>().ok()) {
                    Some(ms) if ms > 0 => Interval::Fixed(ms),
                    _ => {
                        return Err(Error::IllegalArgument(format!(
                            "failed to parse setting [date_histogram.interval] with value [{l}] as a time value: unit is missing or unrecognized"
                        )));
                    }
                },
            },
            (None, None, None) => {
                return Err(Error::IllegalArgument(
                    "Invalid interval specified, must be non-null and non-empty".into(),
                ));
            }
        };
        let tz = match text("time_zone")? {
            Some(s) => parse_tz(TY, &s)?,
            None => TimeZone::UTC,
        };
        let fixed_off = tz
            .to_fixed_offset()
            .ok()
            .map(|off| i64::from(off.seconds()) * 1000);
        let offset = match o.get("offset") {
            None | Some(Value::Null) => 0,
            Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
            Some(Value::String(s)) => {
                let (neg, rest) = match s.trim().strip_prefix('-') {
                    Some(r) => (true, r),
                    None => (false, s.trim().trim_start_matches('+')),
                };
                let ms = parse_time_value(rest).ok_or_else(|| {
                    Error::IllegalArgument(format!(
                        "failed to parse setting [date_histogram.offset] with value [{s}] as a time value: unit is missing or unrecognized"
                    ))
                })?;
                if neg { -ms } else { ms }
            }
            Some(_) => {
                return Err(Error::XContentParse(format!(
                    "[{TY}] failed to parse field [offset]"
                )));
            }
        };
        let min_doc_count = super::u64_opt(TY, o, "min_doc_count")?.unwrap_or(0);
        let extended =
            bounds(o.get("extended_bounds"), now_ms, "extended_bounds")?.unwrap_or((None, None));
        let hard = bounds(o.get("hard_bounds"), now_ms, "hard_bounds")?;
        let format = DateFormat::new(text("format")?.as_deref(), tz.clone());
        let keyed = super::bool_opt(TY, o, "keyed")?.unwrap_or(false);
        let order = super::parse_order(TY, o.get("order"))?;
        let missing = match o.get("missing") {
            None => None,
            Some(v) => bound(v, now_ms, "missing")?,
        };
        Ok(Spec {
            field,
            rounder: Rounder {
                interval,
                tz,
                fixed_off,
                offset,
            },
            min_doc_count,
            extended,
            hard,
            format,
            keyed,
            order,
            missing,
        })
    }
}

impl Rounder {
    /// The bucket `[start, next)` holding `ts`.
    pub(crate) fn round(&self, ts: i64) -> Option<(i64, i64)> {
        let t = ts.checked_sub(self.offset)?;
        let fixed_ms = match (self.interval, self.fixed_off) {
            (Interval::Fixed(iv), _) => Some((iv, 0)),
            (Interval::Calendar(CalUnit::Minute), Some(_)) => Some((60_000, 0)),
            (Interval::Calendar(CalUnit::Hour), Some(_)) => Some((3_600_000, 0)),
            (Interval::Calendar(CalUnit::Day), Some(_)) => Some((DAY_MS, 0)),
            // 1970-01-01 was a Thursday: weeks start three days later in the epoch's frame
            (Interval::Calendar(CalUnit::Week), Some(_)) => Some((7 * DAY_MS, 3 * DAY_MS)),
            _ => None,
        };
        let (s, n) = if let Some((iv, shift)) = fixed_ms {
            let off = match self.fixed_off {
                Some(o) => o,
                None => self.offset_at(t)?,
            };
            let local = t.checked_add(off)?.checked_add(shift)?;
            let start = local
                .div_euclid(iv)
                .checked_mul(iv)?
                .checked_sub(off)?
                .checked_sub(shift)?;
            (start, start.checked_add(iv)?)
        } else {
            let Interval::Calendar(unit) = self.interval else {
                return None;
            };
            self.calendar(t, unit)?
        };
        Some((s.checked_add(self.offset)?, n.checked_add(self.offset)?))
    }

    fn offset_at(&self, t: i64) -> Option<i64> {
        let ts = Timestamp::from_millisecond(t).ok()?;
        Some(i64::from(self.tz.to_offset(ts).seconds()) * 1000)
    }

    fn calendar(&self, t: i64, unit: CalUnit) -> Option<(i64, i64)> {
        let dt = self.tz.to_datetime(Timestamp::from_millisecond(t).ok()?);
        let date = dt.date();
        let start: DateTime = match unit {
            CalUnit::Minute => date.to_datetime(Time::new(dt.hour(), dt.minute(), 0, 0).ok()?),
            CalUnit::Hour => date.to_datetime(Time::new(dt.hour(), 0, 0, 0).ok()?),
            CalUnit::Day => date.to_datetime(Time::midnight()),
            CalUnit::Week => date
                .checked_sub(i64::from(date.weekday().to_monday_zero_offset()).days())
                .ok()?
                .to_datetime(Time::midnight()),
            CalUnit::Month => date.first_of_month().to_datetime(Time::midnight()),
            CalUnit::Quarter => {
                let m = (date.month() - 1) / 3 * 3 + 1;
                jiff::civil::date(date.year(), m, 1).to_datetime(Time::midnight())
            }
            CalUnit::Year => jiff::civil::date(date.year(), 1, 1).to_datetime(Time::midnight()),
        };
        let span = match unit {
            CalUnit::Minute => 1.minute(),
            CalUnit::Hour => 1.hour(),
            CalUnit::Day => 1.day(),
            CalUnit::Week => 1.week(),
            CalUnit::Month => 1.month(),
            CalUnit::Quarter => 3.months(),
            CalUnit::Year => 1.year(),
        };
        let next = start.checked_add(span).ok()?;
        let s = self.tz.to_timestamp(start).ok()?.as_millisecond();
        let n = self.tz.to_timestamp(next).ok()?.as_millisecond();
        // a local boundary skipped by a DST gap can map before the timestamp; keep it inside
        Some((s.min(t), n.max(t.saturating_add(1))))
    }
}

/// The merged buckets of a `date_histogram`, by start.
#[derive(Debug, Default)]
pub(crate) struct State {
    buckets: BTreeMap<i64, Bucket>,
}

fn in_hard(hard: &Option<(Option<i64>, Option<i64>)>, key: i64) -> bool {
    match hard {
        None => true,
        Some((min, max)) => min.is_none_or(|m| key >= m) && max.is_none_or(|m| key <= m),
    }
}

impl State {
    pub(crate) fn collect(
        &mut self,
        spec: &Spec,
        subs: &[Agg],
        seg: &Seg<'_>,
        docs: &[DocId],
    ) -> Result<()> {
        let f = seg.field(&spec.field, false)?;
        if f.kind == Some(ValKind::Keyword) {
            return Err(Error::IllegalArgument(format!(
                "Field [{}] of type [keyword] is not supported for aggregation [{TY}]",
                spec.field
            )));
        }
        let r = &spec.rounder;
        let mut cur: (i64, i64) = (i64::MAX, i64::MIN);
        if subs.is_empty() {
            let mut count: u64 = 0;
            let buckets = &mut self.buckets;
            let mut flush = |start: i64, count: u64| {
                if count > 0 {
                    let b = buckets.entry(start).or_insert_with(|| Bucket::new(subs));
                    b.doc_count = b.doc_count.saturating_add(count);
                }
            };
            if spec.missing.is_none() && f.single_valued() {
                f.for_each_int_bulk(docs, |v| {
                    if v < cur.0 || v >= cur.1 {
                        flush(cur.0, count);
                        count = 0;
                        cur = r.round(v).unwrap_or((i64::MAX, i64::MIN));
                    }
                    if cur.0 != i64::MAX && in_hard(&spec.hard, cur.0) {
                        count += 1;
                    }
                });
                flush(cur.0, count);
                return Ok(());
            }
            for &doc in docs {
                let mut last_in_doc = i64::MIN;
                let mut visit = |v: i64| {
                    if v < cur.0 || v >= cur.1 {
                        flush(cur.0, count);
                        count = 0;
                        cur = r.round(v).unwrap_or((i64::MAX, i64::MIN));
                    }
                    if cur.0 != i64::MAX && cur.0 != last_in_doc && in_hard(&spec.hard, cur.0) {
                        count += 1;
                        last_in_doc = cur.0;
                    }
                };
                f.for_each_int(doc, &mut visit);
                if let Some(m) = spec.missing
                    && !f.has_value(doc)
                {
                    visit(m);
                }
            }
            flush(cur.0, count);
            return Ok(());
        }
        let mut pairs: Vec<(i64, DocId)> = Vec::with_capacity(docs.len());
        for &doc in docs {
            let mut visit = |v: i64| {
                if v < cur.0 || v >= cur.1 {
                    cur = r.round(v).unwrap_or((i64::MAX, i64::MIN));
                }
                if cur.0 != i64::MAX && in_hard(&spec.hard, cur.0) {
                    pairs.push((cur.0, doc));
                }
            };
            f.for_each_int(doc, &mut visit);
            if let Some(m) = spec.missing
                && !f.has_value(doc)
            {
                visit(m);
            }
        }
        super::for_groups(&mut pairs, |start, group| {
            self.buckets
                .entry(start)
                .or_insert_with(|| Bucket::new(subs))
                .collect(subs, seg, group)
        })
    }

    pub(crate) fn finish(
        mut self,
        spec: &Spec,
        subs: &[Agg],
        nb: &mut usize,
    ) -> Result<Map<String, Value>> {
        if spec.min_doc_count == 0 {
            let r = &spec.rounder;
            let first = self.buckets.keys().next().copied();
            let last = self.buckets.keys().next_back().copied();
            let ext_min = spec.extended.0.and_then(|m| r.round(m)).map(|x| x.0);
            let ext_max = spec.extended.1.and_then(|m| r.round(m)).map(|x| x.0);
            let mut lo = match (first, ext_min) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let mut hi = match (last, ext_max) {
                (Some(a), Some(b)) => Some(a.max(b)),
                (a, b) => a.or(b),
            };
            if let Some((hmin, hmax)) = spec.hard {
                if let (Some(l), Some(m)) = (lo, hmin.and_then(|m| r.round(m)).map(|x| x.0)) {
                    lo = Some(if l < m {
                        r.round(m).map_or(l, |x| if x.0 < m { x.1 } else { x.0 })
                    } else {
                        l
                    });
                }
                if let (Some(h), Some(m)) = (hi, hmax) {
                    hi = Some(h.min(m));
                }
            }
            if let (Some(lo), Some(hi)) = (lo, hi) {
                let mut k = lo;
                let mut n = self.buckets.len();
                while k <= hi {
                    if let std::collections::btree_map::Entry::Vacant(e) = self.buckets.entry(k) {
                        n += 1;
                        if n > super::MAX_BUCKETS {
                            return Err(Error::TooManyBuckets(n));
                        }
                        e.insert(Bucket::new(subs));
                    }
                    match r.round(k) {
                        Some((_, next)) if next > k => k = next,
                        _ => break,
                    }
                }
            }
        }
        let mut list: Vec<(Key, Bucket)> = self
            .buckets
            .into_iter()
            .filter(|(_, b)| b.doc_count >= spec.min_doc_count)
            .map(|(k, b)| (Key::Date(k), b))
            .collect();
        if !spec.order.is_empty() {
            super::check_order_paths(&spec.order, subs, TY)?;
            list.sort_by(|a, b| {
                super::cmp_buckets(&spec.order, subs, (&a.0, &a.1), (&b.0, &b.1))
                    .then_with(|| a.0.cmp(&b.0))
            });
        }
        super::count_buckets(nb, list.len())?;
        let mut arr = Vec::with_capacity(list.len());
        let mut keyed = Map::new();
        for (k, b) in list {
            let ms = match k {
                Key::Date(ms) => ms,
                _ => 0,
            };
            let text = spec.format.format(ms);
            let mut m = Map::new();
            m.insert("key_as_string".into(), json!(text));
            m.insert("key".into(), json!(ms));
            b.render(subs, nb, &mut m)?;
            if spec.keyed {
                keyed.insert(text, Value::Object(m));
            } else {
                arr.push(Value::Object(m));
            }
        }
        let mut out = Map::new();
        out.insert(
            "buckets".into(),
            if spec.keyed {
                Value::Object(keyed)
            } else {
                Value::Array(arr)
            },
        );
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rounder(interval: Interval, tz: &str, offset: i64) -> Rounder {
        let tz = parse_tz(TY, tz).unwrap();
        let fixed_off = tz
            .to_fixed_offset()
            .ok()
            .map(|o| i64::from(o.seconds()) * 1000);
        Rounder {
            interval,
            tz,
            fixed_off,
            offset,
        }
    }

    #[test]
    fn fixed_and_calendar_rounding() {
        let r = rounder(Interval::Fixed(60_000), "UTC", 0);
        assert_eq!(r.round(61_001), Some((60_000, 120_000)));
        assert_eq!(r.round(-1), Some((-60_000, 0)));
        // 1970-01-05 was the first Monday
        let w = rounder(Interval::Calendar(CalUnit::Week), "UTC", 0);
        assert_eq!(w.round(5 * DAY_MS).unwrap().0, 4 * DAY_MS);
        let m = rounder(Interval::Calendar(CalUnit::Month), "UTC", 0);
        assert_eq!(m.round(40 * DAY_MS), Some((31 * DAY_MS, 59 * DAY_MS)));
        let q = rounder(Interval::Calendar(CalUnit::Quarter), "UTC", 0);
        assert_eq!(q.round(100 * DAY_MS).unwrap().0, 90 * DAY_MS);
        let y = rounder(Interval::Calendar(CalUnit::Year), "UTC", 0);
        assert_eq!(y.round(400 * DAY_MS), Some((365 * DAY_MS, 730 * DAY_MS)));
    }

    #[test]
    fn time_zones_and_offsets_move_boundaries() {
        let d = rounder(Interval::Calendar(CalUnit::Day), "+01:00", 0);
        // local midnight of 1970-01-02 is 23:00 UTC of the 1st
        assert_eq!(d.round(DAY_MS).unwrap().0, DAY_MS - 3_600_000);
        let paris = rounder(Interval::Calendar(CalUnit::Day), "Europe/Paris", 0);
        assert_eq!(paris.round(DAY_MS).unwrap().0, DAY_MS - 3_600_000);
        let off = rounder(Interval::Calendar(CalUnit::Day), "UTC", 6 * 3_600_000);
        assert_eq!(off.round(DAY_MS).unwrap().0, 6 * 3_600_000);
        assert_eq!(parse_time_value("30s"), Some(30_000));
        assert_eq!(parse_time_value("1M"), None);
    }
}
