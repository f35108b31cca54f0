//! Alertmanager's template data (`Data`, `Alert`, `Alerts`, `KV`, `Pairs`)
//! and its template function set.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::exec::{ArgType, FuncMap};
use crate::funcs::{arg_str, arg_strings};
use crate::prom::{go_lower, go_upper, humanize_duration, re_compile, re_must_compile};
use crate::timefmt;
use crate::value::{Object, Value};

/// A label or annotation set with Alertmanager's methods (`SortedPairs`,
/// `Names`, `Values`, `Remove`, `String`); prints like a Go map, as in
/// Alertmanager 0.25.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Kv(pub Arc<BTreeMap<String, String>>);

impl Kv {
    /// A set from a map.
    pub fn new(m: BTreeMap<String, String>) -> Kv {
        Kv(Arc::new(m))
    }

    /// The pairs with `alertname` first, then by name.
    pub fn sorted_pairs(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = Vec::with_capacity(self.0.len());
        if let Some(a) = self.0.get("alertname") {
            v.push(("alertname".into(), a.clone()));
        }
        v.extend(
            self.0
                .iter()
                .filter(|(k, _)| *k != "alertname")
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        v
    }

    /// A copy without the given names.
    pub fn remove(&self, names: &[String]) -> Kv {
        let mut m = (*self.0).clone();
        for n in names {
            m.remove(n);
        }
        Kv::new(m)
    }

    /// As a template value.
    pub fn to_value(&self) -> Value {
        Value::object(self.clone())
    }
}

fn pairs_text(p: &[(String, String)]) -> String {
    p.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn str_list<'a>(it: impl Iterator<Item = &'a String>) -> Value {
    Value::string_list(it.cloned().collect())
}

impl Object for Kv {
    fn type_name(&self) -> &str {
        "template.KV"
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let noargs = |v: Value| {
            if args.is_empty() {
                Ok(v)
            } else {
                Err(format!(
                    "wrong number of args for {name}: want 0 got {}",
                    args.len()
                ))
            }
        };
        Some(match name {
            "SortedPairs" => noargs(Value::object(Pairs(Arc::new(self.sorted_pairs())))),
            "Names" => noargs(str_list(self.sorted_pairs().iter().map(|p| &p.0))),
            "Values" => noargs(str_list(self.sorted_pairs().iter().map(|p| &p.1))),
            "String" => noargs(Value::String(pairs_text(&self.sorted_pairs()))),
            "Remove" => match args {
                [v] => arg_strings(v).map(|names| self.remove(&names).to_value()),
                _ => Err(format!(
                    "wrong number of args for Remove: want 1 got {}",
                    args.len()
                )),
            },
            _ => return None,
        })
    }

    fn base(&self) -> Option<Value> {
        Some(Value::map(
            self.0
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        ))
    }

    fn elem_zero(&self) -> Option<Value> {
        Some(Value::String(String::new()))
    }

    fn to_text(&self) -> String {
        self.base().unwrap_or_default().to_string()
    }
}

/// Sorted label pairs (`KV.SortedPairs`), with `Names`, `Values` and `String`.
#[derive(Debug, Clone, Default)]
pub struct Pairs(pub Arc<Vec<(String, String)>>);

impl Object for Pairs {
    fn type_name(&self) -> &str {
        "template.Pairs"
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        if !matches!(name, "Names" | "Values" | "String") {
            return None;
        }
        if !args.is_empty() {
            return Some(Err(format!(
                "wrong number of args for {name}: want 0 got {}",
                args.len()
            )));
        }
        Some(Ok(match name {
            "Names" => str_list(self.0.iter().map(|p| &p.0)),
            "Values" => str_list(self.0.iter().map(|p| &p.1)),
            _ => Value::String(pairs_text(&self.0)),
        }))
    }

    fn base(&self) -> Option<Value> {
        Some(Value::list(
            self.0
                .iter()
                .map(|(n, v)| {
                    Value::object(Pair {
                        name: n.clone(),
                        value: v.clone(),
                    })
                })
                .collect(),
        ))
    }

    fn to_text(&self) -> String {
        let items: Vec<String> = self.0.iter().map(|(n, v)| format!("{{{n} {v}}}")).collect();
        format!("[{}]", items.join(" "))
    }
}

/// One label pair with fields `Name` and `Value`.
#[derive(Debug, Clone, Default)]
pub struct Pair {
    /// The label name.
    pub name: String,
    /// The label value.
    pub value: String,
}

impl Object for Pair {
    fn type_name(&self) -> &str {
        "template.Pair"
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let v = match name {
            "Name" => Value::String(self.name.clone()),
            "Value" => Value::String(self.value.clone()),
            _ => return None,
        };
        crate::value::field(name, args, v)
    }

    fn to_text(&self) -> String {
        format!("{{{} {}}}", self.name, self.value)
    }
}

/// One alert as templates see it.
#[derive(Debug, Clone, Default)]
pub struct Alert {
    /// `firing` or `resolved`.
    pub status: String,
    /// The alert's labels.
    pub labels: BTreeMap<String, String>,
    /// The alert's annotations.
    pub annotations: BTreeMap<String, String>,
    /// Start, Unix milliseconds (printed in UTC).
    pub starts_at_ms: i64,
    /// End, Unix milliseconds; `None` prints as Go's zero time.
    pub ends_at_ms: Option<i64>,
    /// The alert's generator URL.
    pub generator_url: String,
    /// The fingerprint as 16 hex digits.
    pub fingerprint: String,
}

fn ms_time(ms: Option<i64>) -> Value {
    match ms {
        Some(ms) => Value::time_ms(ms),
        None => Value::Time(timefmt::go_zero_time()),
    }
}

impl Object for Alert {
    fn type_name(&self) -> &str {
        "template.Alert"
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let v = match name {
            "Status" => Value::String(self.status.clone()),
            "Labels" => Kv::new(self.labels.clone()).to_value(),
            "Annotations" => Kv::new(self.annotations.clone()).to_value(),
            "StartsAt" => ms_time(Some(self.starts_at_ms)),
            "EndsAt" => ms_time(self.ends_at_ms),
            "GeneratorURL" => Value::String(self.generator_url.clone()),
            "Fingerprint" => Value::String(self.fingerprint.clone()),
            _ => return None,
        };
        crate::value::field(name, args, v)
    }

    fn to_text(&self) -> String {
        format!(
            "{{{} {} {} {} {} {} {}}}",
            self.status,
            Kv::new(self.labels.clone()).to_text(),
            Kv::new(self.annotations.clone()).to_text(),
            ms_time(Some(self.starts_at_ms)),
            ms_time(self.ends_at_ms),
            self.generator_url,
            self.fingerprint
        )
    }
}

/// A list of alerts with `Firing` and `Resolved`.
#[derive(Debug, Clone, Default)]
pub struct Alerts(pub Arc<Vec<Alert>>);

impl Alerts {
    fn filtered(&self, status: &str) -> Value {
        // Go's Firing/Resolved return a plain []Alert, without methods
        let list: Vec<Value> = self
            .0
            .iter()
            .filter(|a| a.status == status)
            .map(|a| Value::object(a.clone()))
            .collect();
        Value::object(AlertList(Arc::new(list)))
    }
}

/// Go's `[]template.Alert`.
#[derive(Debug)]
struct AlertList(Arc<Vec<Value>>);

impl Object for AlertList {
    fn type_name(&self) -> &str {
        "[]template.Alert"
    }

    fn call(&self, _name: &str, _args: &[Value]) -> Option<Result<Value, String>> {
        None
    }

    fn base(&self) -> Option<Value> {
        Some(Value::List(self.0.clone()))
    }
}

impl Object for Alerts {
    fn type_name(&self) -> &str {
        "template.Alerts"
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let v = match name {
            "Firing" => self.filtered("firing"),
            "Resolved" => self.filtered("resolved"),
            _ => return None,
        };
        if !args.is_empty() {
            return Some(Err(format!(
                "wrong number of args for {name}: want 0 got {}",
                args.len()
            )));
        }
        Some(Ok(v))
    }

    fn base(&self) -> Option<Value> {
        Some(Value::list(
            self.0.iter().map(|a| Value::object(a.clone())).collect(),
        ))
    }
}

/// Go's `regexp.QuoteMeta`: backslash-escapes only `\.+*?()|[]{}^$`, as
/// Alertmanager does for the receiver name (`.Receiver`, the webhook body).
pub fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Alertmanager's notification template data.
#[derive(Debug, Clone, Default)]
pub struct Data {
    /// The receiver name, escaped with [`quote_meta`] as Alertmanager does.
    pub receiver: String,
    /// `firing` if any alert fires, else `resolved`.
    pub status: String,
    /// The alerts of the notification.
    pub alerts: Vec<Alert>,
    /// The group's labels.
    pub group_labels: BTreeMap<String, String>,
    /// Labels shared (same value) by every alert.
    pub common_labels: BTreeMap<String, String>,
    /// Annotations shared by every alert.
    pub common_annotations: BTreeMap<String, String>,
    /// Alertmanager's external URL (no trailing `/`).
    pub external_url: String,
    /// The clock's time in Unix ms, used by `since` (not visible to templates).
    pub now_ms: i64,
}

impl Data {
    /// Builds the data as Alertmanager does: the receiver name is escaped
    /// with [`quote_meta`], the status is `firing` if any alert fires, and the
    /// common labels and annotations are the pairs shared by every alert.
    pub fn build(
        receiver: &str,
        group_labels: BTreeMap<String, String>,
        alerts: Vec<Alert>,
        external_url: &str,
        now_ms: i64,
    ) -> Data {
        let status = if alerts.iter().any(|a| a.status == "firing") {
            "firing"
        } else {
            "resolved"
        };
        let common = |f: fn(&Alert) -> &BTreeMap<String, String>| -> BTreeMap<String, String> {
            let Some(first) = alerts.first() else {
                return BTreeMap::new();
            };
            let mut c = f(first).clone();
            for a in &alerts[1..] {
                let m = f(a);
                c.retain(|k, v| m.get(k) == Some(v));
            }
            c
        };
        Data {
            receiver: quote_meta(receiver),
            status: status.into(),
            common_labels: common(|a| &a.labels),
            common_annotations: common(|a| &a.annotations),
            alerts,
            group_labels,
            external_url: external_url.trim_end_matches('/').to_string(),
            now_ms,
        }
    }

    /// Reads data in the shape of Alertmanager's webhook body (`receiver`,
    /// `status`, `alerts[]` with `status`, `labels`, `annotations`, RFC 3339
    /// `startsAt`/`endsAt`, `generatorURL`, `fingerprint`, `groupLabels`,
    /// `commonLabels`, `commonAnnotations`, `externalURL`), taken as given.
    pub fn from_json(j: &serde_json::Value) -> Result<Data, String> {
        let s = |v: &serde_json::Value, k: &str| {
            v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string()
        };
        let m = |v: &serde_json::Value, k: &str| -> BTreeMap<String, String> {
            v.get(k)
                .and_then(|x| x.as_object())
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                v.as_str().map_or_else(|| v.to_string(), str::to_string),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let t = |v: &serde_json::Value, k: &str| -> Result<Option<i64>, String> {
            match v.get(k).and_then(|x| x.as_str()) {
                None | Some("") | Some("0001-01-01T00:00:00Z") => Ok(None),
                Some(x) => outpost_clock::text::parse_rfc3339(x)
                    .map(Some)
                    .map_err(|e| e.to_string()),
            }
        };
        let mut alerts = Vec::new();
        for a in j
            .get("alerts")
            .and_then(|x| x.as_array())
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            alerts.push(Alert {
                status: s(a, "status"),
                labels: m(a, "labels"),
                annotations: m(a, "annotations"),
                starts_at_ms: t(a, "startsAt")?.unwrap_or(0),
                ends_at_ms: t(a, "endsAt")?,
                generator_url: s(a, "generatorURL"),
                fingerprint: s(a, "fingerprint"),
            });
        }
        Ok(Data {
            receiver: s(j, "receiver"),
            status: s(j, "status"),
            alerts,
            group_labels: m(j, "groupLabels"),
            common_labels: m(j, "commonLabels"),
            common_annotations: m(j, "commonAnnotations"),
            external_url: s(j, "externalURL"),
            now_ms: j
                .get("nowMs")
                .and_then(serde_json::Value::as_i64)
                .unwrap_or(0),
        })
    }

    /// As a template value (dot).
    pub fn to_value(&self) -> Value {
        Value::object(self.clone())
    }
}

impl Object for Data {
    fn type_name(&self) -> &str {
        "template.Data"
    }

    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let v = match name {
            "Receiver" => Value::String(self.receiver.clone()),
            "Status" => Value::String(self.status.clone()),
            "Alerts" => Value::object(Alerts(Arc::new(self.alerts.clone()))),
            "GroupLabels" => Kv::new(self.group_labels.clone()).to_value(),
            "CommonLabels" => Kv::new(self.common_labels.clone()).to_value(),
            "CommonAnnotations" => Kv::new(self.common_annotations.clone()).to_value(),
            "ExternalURL" => Value::String(self.external_url.clone()),
            _ => return None,
        };
        crate::value::field(name, args, v)
    }

    fn to_text(&self) -> String {
        let alerts: Vec<String> = self.alerts.iter().map(Object::to_text).collect();
        format!(
            "{{{} {} [{}] {} {} {} {}}}",
            self.receiver,
            self.status,
            alerts.join(" "),
            Kv::new(self.group_labels.clone()).to_text(),
            Kv::new(self.common_labels.clone()).to_text(),
            Kv::new(self.common_annotations.clone()).to_text(),
            self.external_url
        )
    }
}

/// `cases.Title(language.AmericanEnglish)`: each word's first letter upper
/// case, the rest lower case.
pub(crate) fn cases_title(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut in_word = false;
    for (i, &c) in chars.iter().enumerate() {
        let wordish = c.is_alphanumeric() || c == '_';
        let joiner = matches!(c, '\'' | '.' | ':' | '’')
            && in_word
            && i > 0
            && chars[i - 1].is_alphanumeric()
            && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        if wordish {
            if in_word {
                out.push_str(&go_lower(&c.to_string()));
            } else {
                out.push_str(&go_upper(&c.to_string()));
            }
            in_word = true;
        } else {
            out.push(c);
            in_word = joiner;
        }
    }
    out
}

/// Alertmanager's template functions (v0.25–v0.28 plus `urlUnescape` and
/// `safeUrl` of later releases). `since` measures from `now_ms`.
pub fn alertmanager_funcs(now_ms: i64) -> FuncMap {
    let mut f = FuncMap::new();
    f.add_typed("toUpper", &[ArgType::Str], None, |a| {
        Ok(Value::String(go_upper(arg_str(a, 0)?)))
    });
    f.add_typed("toLower", &[ArgType::Str], None, |a| {
        Ok(Value::String(go_lower(arg_str(a, 0)?)))
    });
    f.add_typed("title", &[ArgType::Str], None, |a| {
        Ok(Value::String(cases_title(arg_str(a, 0)?)))
    });
    f.add_typed("trimSpace", &[ArgType::Str], None, |a| {
        Ok(Value::String(arg_str(a, 0)?.trim().to_string()))
    });
    f.add_typed("join", &[ArgType::Str, ArgType::StrList], None, |a| {
        Ok(Value::String(arg_strings(&a[1])?.join(arg_str(a, 0)?)))
    });
    f.add_typed("match", &[ArgType::Str, ArgType::Str], None, |a| {
        Ok(Value::Bool(
            re_compile(arg_str(a, 0)?)?.is_match(arg_str(a, 1)?),
        ))
    });
    f.add_typed("safeHtml", &[ArgType::Str], None, |a| {
        Ok(Value::object(SafeHtml(arg_str(a, 0)?.to_string())))
    });
    f.add_typed("safeUrl", &[ArgType::Str], None, |a| {
        Ok(Value::String(arg_str(a, 0)?.to_string()))
    });
    f.add_typed("urlUnescape", &[ArgType::Str], None, |a| {
        crate::funcs::query_unescape(arg_str(a, 0)?).map(Value::String)
    });
    f.add_typed(
        "reReplaceAll",
        &[ArgType::Str, ArgType::Str, ArgType::Str],
        None,
        |a| {
            let re = re_must_compile(arg_str(a, 0)?)?;
            Ok(Value::String(
                re.replace_all(arg_str(a, 2)?, arg_str(a, 1)?).into_owned(),
            ))
        },
    );
    f.add_typed("stringSlice", &[], Some(ArgType::Str), |a| {
        Ok(Value::string_list(
            a.iter().map(|v| v.to_string()).collect(),
        ))
    });
    f.add_typed("date", &[ArgType::Str, ArgType::Time], None, |a| {
        match &a[1] {
            Value::Time(t) => Ok(Value::String(timefmt::go_format(t, arg_str(a, 0)?))),
            v => Err(format!(
                "wrong type for value; expected time.Time; got {}",
                v.type_name()
            )),
        }
    });
    f.add_typed("tz", &[ArgType::Str, ArgType::Time], None, |a| {
        let name = arg_str(a, 0)?;
        let Value::Time(t) = &a[1] else {
            return Err(format!(
                "wrong type for value; expected time.Time; got {}",
                a[1].type_name()
            ));
        };
        let zone = if name.is_empty() || name == "UTC" {
            jiff::tz::TimeZone::UTC
        } else {
            jiff::tz::TimeZone::get(name).map_err(|_| format!("unknown time zone {name}"))?
        };
        Ok(Value::Time(t.with_time_zone(zone)))
    });
    f.add_typed("since", &[ArgType::Time], None, move |a| match &a[0] {
        Value::Time(t) => {
            let now = i128::from(now_ms) * 1_000_000;
            let d = now - t.timestamp().as_nanosecond();
            Ok(Value::Duration(
                d.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64,
            ))
        }
        v => Err(format!(
            "wrong type for value; expected time.Time; got {}",
            v.type_name()
        )),
    });
    f.add("humanizeDuration", 1, |a| {
        humanize_duration(&a[0]).map(Value::String)
    });
    f
}

/// A string marked as safe HTML (`safeHtml`), printed unescaped.
#[derive(Debug, Clone)]
struct SafeHtml(String);

impl Object for SafeHtml {
    fn type_name(&self) -> &str {
        "template.HTML"
    }

    fn call(&self, _name: &str, _args: &[Value]) -> Option<Result<Value, String>> {
        None
    }

    fn base(&self) -> Option<Value> {
        Some(Value::String(self.0.clone()))
    }

    fn to_text(&self) -> String {
        self.0.clone()
    }
}

#[cfg(test)]
mod quote_meta_tests {
    use super::*;

    #[test]
    fn quote_meta_escapes_only_gos_metacharacters() {
        assert_eq!(quote_meta("team-a"), "team-a");
        assert_eq!(quote_meta("web.hook"), "web\\.hook");
        assert_eq!(
            quote_meta("a-b_c d#&~<>=!,:/@%'\"\\.+*?()|[]{}^$"),
            "a-b_c d#&~<>=!,:/@%'\"\\\\\\.\\+\\*\\?\\(\\)\\|\\[\\]\\{\\}\\^\\$"
        );
        let d = Data::build("team-a", BTreeMap::new(), Vec::new(), "http://am", 0);
        assert_eq!(d.receiver, "team-a");
    }
}
