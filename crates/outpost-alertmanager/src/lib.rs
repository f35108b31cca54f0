//! Alertmanager stand-in: the alert store keyed by fingerprint, routing over
//! the config's route tree, aggregation groups with group_wait /
//! group_interval / repeat_interval timers on [`outpost_clock::Clock`],
//! inhibition, silences, time intervals, the notification log, receivers
//! (webhook POSTs; email, Slack, PagerDuty and others rendered into a bounded
//! outbox, delivered only with [`AlertmanagerOptions::deliver`]: Slack and PagerDuty
//! payloads by HTTP, email by plain SMTP) and persistence of
//! silences and the notification log in SQLite.
//!
//! The HTTP API lives in `outpost-api`; the rule engine hands alerts over
//! through [`Alertmanager::put_alerts`], the same path `POST /api/v2/alerts` takes.
//! [`Alertmanager::settled`] waits until the dispatcher has done all the work
//! the clock's current time makes due, so tests (and waits for fixtures) can
//! move a manual clock and then check what was sent without wall-clock windows.

mod activity;
mod alert;
mod am;
mod error;
mod inhibit;
mod metrics;
mod nflog;
mod notify;
mod outbox;
mod persist;
mod render;
mod route;
mod silence;
mod smtp;
mod timeinterval;

pub use alert::{
    Alert, Fingerprint, GO_ZERO_MS, LabelSet, PostableAlert, format_api_time, format_rfc3339_nano,
    go_quote, labelset_string, parse_time,
};
pub use am::{
    AlertGroupView, AlertQuery, AlertView, Alertmanager, AlertmanagerOptions, RoutedTo, SilenceView,
};
pub use error::{Error, Result};
pub use outbox::{Notification, NotificationFilter, NotificationStatus, NotifiedAlert};
pub use route::{RouteNode, RouteOpts, RouteTree};
pub use silence::{PostableSilence, Silence, SilenceState};

#[cfg(test)]
mod am_tests;
#[cfg(test)]
mod conformance_tests;
