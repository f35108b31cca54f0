//! Alertmanager's own counters, rendered in the text exposition format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Integrations whose series exist from the start (value 0), as upstream pre-creates them.
pub(crate) const KNOWN_INTEGRATIONS: &[&str] = &[
    "email",
    "msteams",
    "opsgenie",
    "pagerduty",
    "pushover",
    "slack",
    "sns",
    "telegram",
    "victorops",
    "webex",
    "webhook",
    "wechat",
    "discord",
];

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct PerIntegration {
    pub(crate) notifications: u64,
    pub(crate) failed: u64,
    pub(crate) requests: u64,
    pub(crate) requests_failed: u64,
}

/// Counters of the stand-in.
#[derive(Debug, Default)]
pub(crate) struct Metrics {
    pub(crate) received_firing: AtomicU64,
    pub(crate) received_resolved: AtomicU64,
    pub(crate) invalid: AtomicU64,
    pub(crate) alerts_rejected_cap: AtomicU64,
    pub(crate) groups_rejected_cap: AtomicU64,
    pub(crate) per_integration: Mutex<BTreeMap<String, PerIntegration>>,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let m = Metrics::default();
        {
            let mut p = m.per_integration.lock().unwrap_or_else(|e| e.into_inner());
            for i in KNOWN_INTEGRATIONS {
                p.insert((*i).to_string(), PerIntegration::default());
            }
        }
        m
    }

    pub(crate) fn with(&self, integration: &str, f: impl FnOnce(&mut PerIntegration)) {
        let mut p = self
            .per_integration
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        f(p.entry(integration.to_string()).or_default());
    }

    pub(crate) fn get(&self, integration: &str) -> PerIntegration {
        let p = self
            .per_integration
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        p.get(integration).copied().unwrap_or_default()
    }
}

/// Gauges computed at render time.
#[derive(Debug, Default)]
pub(crate) struct Gauges {
    pub(crate) alerts_active: u64,
    pub(crate) alerts_suppressed: u64,
    pub(crate) silences: [(&'static str, u64); 3],
    pub(crate) groups: u64,
    pub(crate) outbox: u64,
    pub(crate) outbox_dropped: u64,
    pub(crate) silences_rejected: u64,
}

fn header(w: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(w, "# HELP {name} {help}");
    let _ = writeln!(w, "# TYPE {name} {kind}");
}

pub(crate) fn render(m: &Metrics, g: &Gauges, w: &mut String) {
    header(
        w,
        "alertmanager_alerts",
        "gauge",
        "How many alerts by state.",
    );
    let _ = writeln!(
        w,
        "alertmanager_alerts{{state=\"active\"}} {}",
        g.alerts_active
    );
    let _ = writeln!(
        w,
        "alertmanager_alerts{{state=\"suppressed\"}} {}",
        g.alerts_suppressed
    );
    header(
        w,
        "alertmanager_alerts_received_total",
        "counter",
        "The total number of received alerts.",
    );
    let _ = writeln!(
        w,
        "alertmanager_alerts_received_total{{status=\"firing\",version=\"v2\"}} {}",
        m.received_firing.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        w,
        "alertmanager_alerts_received_total{{status=\"resolved\",version=\"v2\"}} {}",
        m.received_resolved.load(Ordering::Relaxed)
    );
    header(
        w,
        "alertmanager_alerts_invalid_total",
        "counter",
        "The total number of received alerts that were invalid.",
    );
    let _ = writeln!(
        w,
        "alertmanager_alerts_invalid_total{{version=\"v2\"}} {}",
        m.invalid.load(Ordering::Relaxed)
    );
    let per = m
        .per_integration
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    type Family = (&'static str, &'static str, fn(&PerIntegration) -> u64);
    let families: [Family; 4] = [
        (
            "alertmanager_notifications_total",
            "The total number of attempted notifications.",
            |p| p.notifications,
        ),
        (
            "alertmanager_notifications_failed_total",
            "The total number of failed notifications.",
            |p| p.failed,
        ),
        (
            "alertmanager_notification_requests_total",
            "The total number of attempted notification requests.",
            |p| p.requests,
        ),
        (
            "alertmanager_notification_requests_failed_total",
            "The total number of failed notification requests.",
            |p| p.requests_failed,
        ),
    ];
    for (name, help, get) in families {
        header(w, name, "counter", help);
        for (i, p) in &per {
            let _ = writeln!(w, "{name}{{integration=\"{i}\"}} {}", get(p));
        }
    }
    header(
        w,
        "alertmanager_silences",
        "gauge",
        "How many silences by state.",
    );
    for (state, n) in g.silences {
        let _ = writeln!(w, "alertmanager_silences{{state=\"{state}\"}} {n}");
    }
    header(
        w,
        "alertmanager_dispatcher_aggregation_groups",
        "gauge",
        "Number of active aggregation groups",
    );
    let _ = writeln!(w, "alertmanager_dispatcher_aggregation_groups {}", g.groups);
    let gauges: [(&str, &str, &str, u64); 6] = [
        (
            "outpost_alertmanager_outbox_notifications",
            "gauge",
            "Notifications held in the outbox.",
            g.outbox,
        ),
        (
            "outpost_alertmanager_outbox_dropped_total",
            "counter",
            "Notifications dropped from the full outbox (oldest first).",
            g.outbox_dropped,
        ),
        (
            "outpost_alertmanager_alerts_rejected_total",
            "counter",
            "Alerts not stored because the alert limit was reached.",
            m.alerts_rejected_cap.load(Ordering::Relaxed),
        ),
        (
            "outpost_alertmanager_groups_rejected_total",
            "counter",
            "Alerts not grouped because the aggregation group limit was reached.",
            m.groups_rejected_cap.load(Ordering::Relaxed),
        ),
        (
            "outpost_alertmanager_silences_rejected_total",
            "counter",
            "Silences not created because the silence limit was reached.",
            g.silences_rejected,
        ),
        (
            "outpost_alertmanager_groups",
            "gauge",
            "Aggregation groups held.",
            g.groups,
        ),
    ];
    for (name, kind, help, v) in gauges {
        header(w, name, kind, help);
        let _ = writeln!(w, "{name} {v}");
    }
}
