//! Prometheus rule evaluation for Outpost.
//!
//! [`RuleManager`] runs the rule groups of the loaded rule files on the
//! process clock, as Prometheus does: each group at its interval on a slot
//! offset derived from its file and name, rules in file order, recording
//! rules written back into the TSDB with staleness markers, alerting rules
//! through the pending/firing/resolved state machine with templated labels
//! and annotations, `ALERTS`/`ALERTS_FOR_STATE` series, and the alerts due
//! handed to an [`AlertSink`] — normally the [`Notifier`], which applies
//! external labels and alert relabeling and delivers to the embedded
//! Alertmanager and to the configured ones.
//!
//! [`test_rules_file`] runs promtool's rule unit-test files.

mod alert;
mod error;
mod expand;
mod group;
mod manager;
mod notify;
mod rule;
mod unittest;

#[cfg(test)]
mod tests;

pub use alert::{Alert, AlertState, OutgoingAlert, rfc3339_nano};
pub use error::{Error, Result};
pub use expand::check_template;
pub use manager::{
    AlertInfo, AlertSink, AlertingInfo, GroupInfo, RuleInfo, RuleManager, RuleStats, Settings,
};
pub use notify::{
    AlertmanagerEndpoint, BATCH_SIZE, EmbeddedSink, Notifier, NotifierConfig, NotifierCounters,
    QUEUE_CAPACITY,
};
pub use rule::Health;
pub use unittest::{FileOutcome, TestOptions, format_go_e, test_rules_file};
