//! Wire models of the Alertmanager API v2.

use std::collections::BTreeMap;

use outpost_alertmanager::{AlertView, SilenceView, format_api_time};
use outpost_config::{MatchOp, Matcher};
use serde::Serialize;

/// `receiver` objects.
#[derive(Debug, Serialize)]
pub(crate) struct ReceiverRef {
    pub(crate) name: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AlertStatus {
    pub(crate) state: &'static str,
    pub(crate) silenced_by: Vec<String>,
    pub(crate) inhibited_by: Vec<String>,
}

/// `gettableAlert`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GettableAlert {
    pub(crate) annotations: BTreeMap<String, String>,
    pub(crate) ends_at: String,
    pub(crate) fingerprint: String,
    pub(crate) receivers: Vec<ReceiverRef>,
    pub(crate) starts_at: String,
    pub(crate) updated_at: String,
    pub(crate) status: AlertStatus,
    #[serde(rename = "generatorURL", skip_serializing_if = "String::is_empty")]
    pub(crate) generator_url: String,
    pub(crate) labels: BTreeMap<String, String>,
}

impl From<AlertView> for GettableAlert {
    fn from(v: AlertView) -> Self {
        GettableAlert {
            annotations: v.alert.annotations,
            ends_at: format_api_time(v.alert.ends_at),
            fingerprint: v.alert.fingerprint.to_string(),
            receivers: v
                .receivers
                .into_iter()
                .map(|name| ReceiverRef { name })
                .collect(),
            starts_at: format_api_time(v.alert.starts_at),
            updated_at: format_api_time(v.alert.updated_at),
            status: AlertStatus {
                state: v.state,
                silenced_by: v.silenced_by,
                inhibited_by: v.inhibited_by,
            },
            generator_url: v.alert.generator_url,
            labels: v.alert.labels,
        }
    }
}

/// `alertGroup`.
#[derive(Debug, Serialize)]
pub(crate) struct AlertGroup {
    pub(crate) labels: BTreeMap<String, String>,
    pub(crate) receiver: ReceiverRef,
    pub(crate) alerts: Vec<GettableAlert>,
}

/// A silence matcher on the wire.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireMatcher {
    pub(crate) name: String,
    pub(crate) value: String,
    pub(crate) is_regex: bool,
    pub(crate) is_equal: bool,
}

impl From<&Matcher> for WireMatcher {
    fn from(m: &Matcher) -> Self {
        WireMatcher {
            name: m.name.clone(),
            value: m.value.clone(),
            is_regex: matches!(m.op, MatchOp::Regex | MatchOp::NotRegex),
            is_equal: matches!(m.op, MatchOp::Equal | MatchOp::Regex),
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct SilenceStatus {
    pub(crate) state: &'static str,
}

/// `gettableSilence`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GettableSilence {
    pub(crate) id: String,
    pub(crate) status: SilenceStatus,
    pub(crate) updated_at: String,
    pub(crate) comment: String,
    pub(crate) created_by: String,
    pub(crate) starts_at: String,
    pub(crate) ends_at: String,
    pub(crate) matchers: Vec<WireMatcher>,
}

impl From<SilenceView> for GettableSilence {
    fn from(v: SilenceView) -> Self {
        let s = v.silence;
        GettableSilence {
            id: s.id,
            status: SilenceStatus {
                state: v.state.as_str(),
            },
            updated_at: format_api_time(s.updated_at),
            comment: s.comment,
            created_by: s.created_by,
            starts_at: format_api_time(s.starts_at),
            ends_at: format_api_time(s.ends_at),
            matchers: s.matchers.iter().map(WireMatcher::from).collect(),
        }
    }
}
