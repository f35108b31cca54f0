//! Outpost's config loading.
//!
//! Every file is first decoded strictly into a raw serde form (unknown keys and
//! wrong types are errors with file, line, column and field, as Prometheus and
//! Alertmanager reject them), then validated into typed structs with the
//! upstream defaults applied. [`load_stack`] reads a whole monitoring-configs
//! tree (the layout of the e-commerce seed) and reports per file.

mod alertmanager;
mod check;
mod duration;
mod elasticsearch;
mod error;
mod grafana;
mod http;
mod jaeger;
mod labels;
mod matchers;
mod prometheus;
mod relabel;
mod rules;
mod secret;
mod source;
mod stack;
mod yaml;

pub use alertmanager::{
    AlertmanagerConfig, AmGlobal, EmailConfig, GroupBy, InhibitRule, PagerdutyConfig, Receiver,
    Route, SlackConfig, TimeInterval, TimeIntervalDef, WebhookConfig, load_alertmanager,
    parse_alertmanager,
};
pub use check::Pos;
pub use duration::PromDuration;
pub use elasticsearch::{ElasticsearchFile, load_elasticsearch, parse_elasticsearch, parse_users};
pub use error::{Diagnostic, Error, Result};
pub use grafana::{Datasource, GrafanaDatasources, load_grafana_datasources};
pub use http::{Authorization, BasicAuth, HttpClientConfig, HttpConfigBlock, OAuth2, TlsConfig};
pub use jaeger::{JaegerFile, JaegerShape, is_jaeger_file, load_jaeger};
pub use labels::{is_valid_label_name, is_valid_metric_name};
pub use matchers::{MatchOp, Matcher, parse_matchers};
pub use prometheus::{
    AlertingConfig, AlertmanagerTarget, Discovery, FileSdConfig, GlobalConfig, HttpSdConfig,
    KubernetesSdConfig, PrometheusConfig, RemoteReadConfig, RemoteWriteConfig, ScrapeConfig,
    StaticConfig, load_prometheus, parse_bytes, parse_prometheus,
};
pub use relabel::{
    LabelBuilder, RawRelabelConfig, RelabelAction, RelabelConfig, anchored_regex, hashmod, relabel,
};
pub use rules::{
    Rule, RuleFile, RuleGroup, RuleKind, TemplateCheck, load_rule_file, parse_rule_file,
};
pub use secret::{SECRET_TOKEN, Secret, SecretUrl, UNMODELLED_TOKEN};
pub use source::{Files, resolve_relative};
pub use stack::{FileKind, FileReport, Stack, StackPaths, check_paths, load_stack};
