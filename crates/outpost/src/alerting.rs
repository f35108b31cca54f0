//! Runs the Alertmanager stand-in inside `outpost serve`: starts it from the
//! loaded stack, applies every new configuration, exports its metrics.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use outpost_alertmanager::{Alertmanager, AlertmanagerOptions};
use outpost_api::SelfMetrics;
use outpost_clock::Clock;
use outpost_config::{AlertmanagerConfig, Files, Stack, parse_alertmanager};
use tokio::sync::watch;

use crate::ServeArgs;

/// Used when the stack has no alertmanager.yml: every alert goes to a
/// receiver without integrations.
const FALLBACK_CONFIG: &str = "route:\n  receiver: 'null'\nreceivers:\n  - name: 'null'\n";

fn fallback() -> AlertmanagerConfig {
    parse_alertmanager(
        &Files::Embedded(&[]),
        Path::new("alertmanager.yml"),
        "alertmanager.yml",
        FALLBACK_CONFIG.to_string(),
    )
    .map(|(c, _)| c)
    .unwrap_or_else(|e| panic!("built-in alertmanager config is invalid: {e}"))
}

/// Starts the stand-in and keeps it on the running configuration.
pub(crate) fn start(
    stack: &Stack,
    config_rx: watch::Receiver<Arc<Stack>>,
    clock: &Clock,
    metrics: &SelfMetrics,
    args: &ServeArgs,
    files: Files,
    external_url: String,
) -> Result<Alertmanager> {
    let cfg = stack.alertmanager.clone().unwrap_or_else(fallback);
    let opts = AlertmanagerOptions {
        deliver: args.notify_deliver,
        data_dir: args.data_dir.as_ref().map(|d| d.join("alertmanager")),
        external_url,
        files,
        ..AlertmanagerOptions::default()
    };
    let am = Alertmanager::start(&cfg, clock.clone(), opts).context("starting alertmanager")?;
    {
        let am = am.clone();
        metrics.register(Box::new(move |w: &mut String| am.render_metrics(w)));
    }
    follow(am.clone(), config_rx);
    Ok(am)
}

/// Applies every new alertmanager configuration (a missing one keeps the fallback).
fn follow(am: Alertmanager, mut rx: watch::Receiver<Arc<Stack>>) {
    tokio::spawn(async move {
        loop {
            if rx.changed().await.is_err() {
                return;
            }
            let stack = rx.borrow_and_update().clone();
            let cfg = stack.alertmanager.clone().unwrap_or_else(fallback);
            am.apply_config(&cfg);
        }
    });
}

/// Hands the rule engine's alerts to the embedded Alertmanager, through the
/// same path as `POST /api/v2/alerts` ([`Alertmanager::put_alerts`]).
pub(crate) fn rules_sink(am: &Alertmanager) -> outpost_rules::EmbeddedSink {
    let am = am.clone();
    Arc::new(move |alerts: Vec<outpost_rules::OutgoingAlert>| {
        let batch = alerts
            .into_iter()
            .map(|a| outpost_alertmanager::PostableAlert {
                labels: a.labels,
                annotations: a.annotations,
                starts_at: Some(a.starts_at_ms),
                ends_at: Some(a.ends_at_ms),
                generator_url: a.generator_url,
            })
            .collect();
        if let Err(e) = am.put_alerts(batch) {
            tracing::warn!(error = %e, "embedded alertmanager rejected alerts");
        }
    })
}
