//! Runs the rule manager and the alert notifier of the serving process and
//! keeps them on the current configuration.

use std::sync::Arc;

use outpost_clock::Clock;
use outpost_config::Stack;
use outpost_promql::Engine;
use outpost_rules::{EmbeddedSink, Notifier, NotifierConfig, RuleManager, Settings};
use outpost_tsdb::Tsdb;
use tokio::sync::watch;

use outpost_api::SelfMetrics;

/// The rule manager (its notifier runs beside it).
pub(crate) struct RulesRuntime {
    pub(crate) manager: RuleManager,
}

/// Whether a configured Alertmanager address is the one Outpost stands in
/// for (the seed's `alertmanager:9093`, or this process' own port), so
/// alerts go to the embedded Alertmanager instead of over the network.
fn is_embedded_alertmanager(addr: &str, own_port: u16) -> bool {
    let (host, port) = match addr.rsplit_once(':') {
        Some((h, p)) => (
            h.trim_start_matches('[').trim_end_matches(']'),
            p.parse().ok(),
        ),
        None => (addr, None),
    };
    let local = matches!(host, "localhost" | "127.0.0.1" | "::1" | "0.0.0.0");
    host == "alertmanager" || (local && port == Some(own_port))
}

/// The process parts the rule manager runs on.
pub(crate) struct Deps<'a> {
    pub(crate) clock: &'a Clock,
    pub(crate) tsdb: &'a Arc<Tsdb>,
    pub(crate) engine: &'a Arc<Engine>,
    pub(crate) metrics: &'a SelfMetrics,
}

/// Starts the manager on `config` and follows its changes.
pub(crate) fn start(
    deps: Deps<'_>,
    mut config: watch::Receiver<Arc<Stack>>,
    external_url: String,
    am_port: u16,
    embedded: Option<EmbeddedSink>,
) -> RulesRuntime {
    let Deps {
        clock,
        tsdb,
        engine,
        metrics,
    } = deps;
    let notifier = Notifier::new(NotifierConfig::default(), embedded);
    tokio::spawn(notifier.clone().run());
    let manager = RuleManager::new(
        clock.clone(),
        tsdb.clone(),
        engine.clone(),
        Some(notifier.clone() as Arc<dyn outpost_rules::AlertSink>),
    );
    {
        let (m, n) = (manager.clone(), notifier.clone());
        let apply = move |stack: &Stack| {
            let mut settings = Settings {
                external_url: external_url.clone(),
                ..Settings::default()
            };
            if let Some(p) = &stack.prometheus {
                settings.evaluation_interval_ms = p.global.evaluation_interval.as_millis();
                settings.query_offset_ms = p.global.rule_query_offset.as_millis();
                settings.external_labels = p.global.external_labels.clone();
                n.set_config(NotifierConfig::from_prometheus(p, |a| {
                    is_embedded_alertmanager(a, am_port)
                }));
            }
            m.update(settings, &stack.rule_files);
        };
        // The first configuration is applied before the process reports
        // ready, so the rule groups' first slots count from the start.
        let first = config.borrow_and_update().clone();
        apply(&first);
        tokio::spawn(async move {
            while config.changed().await.is_ok() {
                let stack = config.borrow_and_update().clone();
                apply(&stack);
            }
        });
    }
    {
        let (m, n) = (manager.clone(), notifier.clone());
        metrics.register(Box::new(move |w: &mut String| {
            let s = m.stats();
            let c = n.counters();
            let load = std::sync::atomic::Ordering::Relaxed;
            for (name, help, kind, v) in [
                (
                    "outpost_rule_groups",
                    "Rule groups loaded.",
                    "gauge",
                    s.groups,
                ),
                ("outpost_rules", "Rules loaded.", "gauge", s.rules),
                (
                    "outpost_rule_group_iterations_total",
                    "Rule group evaluations.",
                    "counter",
                    s.iterations,
                ),
                (
                    "outpost_rule_group_iterations_missed_total",
                    "Rule group evaluation slots skipped.",
                    "counter",
                    s.missed,
                ),
                (
                    "outpost_rules_failing",
                    "Rules whose last evaluation failed.",
                    "gauge",
                    s.failing_rules,
                ),
                (
                    "outpost_notifications_sent_total",
                    "Alerts handed to Alertmanagers (embedded included).",
                    "counter",
                    c.sent.load(load),
                ),
                (
                    "outpost_notifications_dropped_total",
                    "Alerts dropped by relabeling, queue overflow or failed sends.",
                    "counter",
                    c.dropped.load(load),
                ),
                (
                    "outpost_notifications_errors_total",
                    "Failed requests to Alertmanagers.",
                    "counter",
                    c.errors.load(load),
                ),
                (
                    "outpost_notifications_queue_length",
                    "Alerts waiting to be sent.",
                    "gauge",
                    n.queue_len() as u64,
                ),
            ] {
                w.push_str(&format!(
                    "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}\n"
                ));
            }
        }));
    }
    RulesRuntime { manager }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_alertmanager_is_the_embedded_one() {
        assert!(is_embedded_alertmanager("alertmanager:9093", 9093));
        assert!(is_embedded_alertmanager("localhost:9093", 9093));
        assert!(!is_embedded_alertmanager("localhost:19093", 9093));
        assert!(!is_embedded_alertmanager("am.example:9093", 9093));
    }
}
