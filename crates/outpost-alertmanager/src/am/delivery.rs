//! Delivery of one notification: rendering, the integration's POST (or
//! SMTP) with retries, and its record in the outbox.

use std::time::Duration;

use outpost_template::{TemplateSet, quote_meta};

use super::{Inner, notified};
use crate::activity::Busy;
use crate::alert::{Alert, LabelSet};
use crate::error::Result;
use crate::notify::{self, Integration, Kind, WebhookMessage};
use crate::outbox::{Notification, NotificationStatus, NotifiedAlert};
use crate::render::{self, Renderer};

/// Sends (or renders) one notification with retries; records it in the outbox.
#[allow(clippy::too_many_arguments)] // one call site; the flush's context, spelled out
pub(super) async fn run_integration(
    inner: &Inner,
    busy: &mut Busy,
    templates: &TemplateSet,
    integ: &Integration,
    receiver: &str,
    group_key: &str,
    group_labels: &LabelSet,
    alerts: &[Alert],
    timeout: Duration,
) -> bool {
    let now = inner.clock.now_ms();
    let name = integ.name.as_str();
    inner.metrics.with(name, |p| p.notifications += 1);
    let mut all: Vec<NotifiedAlert> = alerts.iter().map(|a| notified(a, now)).collect();
    let mut truncated = 0u64;
    if let Kind::Webhook(c) = &integ.kind
        && c.max_alerts > 0
        && all.len() as u64 > c.max_alerts
    {
        truncated = all.len() as u64 - c.max_alerts;
        all.truncate(usize::try_from(c.max_alerts).unwrap_or(usize::MAX));
    }
    let status = if all.iter().any(|a| a.status == "firing") {
        "firing"
    } else {
        "resolved"
    };
    let external_url = inner.opts.external_url.trim_end_matches('/').to_string();
    let base = integ.base.clone();
    let data = render::data(receiver, group_labels, alerts, &external_url, now);
    let mut r = Renderer::new(templates, &data);
    let rendered = match &integ.kind {
        Kind::Webhook(_) => serde_json::Value::Null,
        Kind::Email(c) => r.email(c),
        Kind::Slack(c) => r.slack(c),
        Kind::Pagerduty(c) => r.pagerduty(c, group_key),
        Kind::Other => r.other(name),
    };
    let template_errors = std::mem::take(&mut r.errors);
    let (result, attempts, message): (Result<(), String>, u32, serde_json::Value) =
        if !template_errors.is_empty() {
            (
                Err(format!("template: {}", template_errors.join("; "))),
                0,
                rendered,
            )
        } else {
            match &integ.kind {
                Kind::Webhook(c) => {
                    let common_labels = notify::common(all.iter().map(|a| &a.labels));
                    let common_annotations = notify::common(all.iter().map(|a| &a.annotations));
                    let msg = WebhookMessage {
                        receiver: quote_meta(receiver),
                        status,
                        alerts: &all,
                        group_labels,
                        common_labels: &common_labels,
                        common_annotations: &common_annotations,
                        external_url: &external_url,
                        version: "4",
                        group_key,
                        truncated_alerts: truncated,
                    };
                    let mut body = serde_json::to_vec(&msg).unwrap_or_default();
                    let value = serde_json::to_value(&msg).unwrap_or_default();
                    body.push(b'\n');
                    let url = match (&c.url, &c.url_file) {
                        (Some(u), _) => Ok(u.clone()),
                        (None, Some(f)) => {
                            std::fs::read_to_string(outpost_config::resolve_relative(&base, f))
                                .map(|s| s.trim().to_string())
                                .map_err(|e| format!("reading url_file {f:?}: {e}"))
                        }
                        (None, None) => Err("webhook has no url".to_string()),
                    };
                    match url {
                        Err(e) => (Err(e), 0, value),
                        Ok(url) => {
                            let client = integ.client.get();
                            let t = (!c.timeout.is_zero()).then(|| {
                                Duration::from_millis(
                                    u64::try_from(c.timeout.as_millis()).unwrap_or(0),
                                )
                            });
                            let post = notify::Post {
                                client: &client,
                                url: &url,
                                http: &c.http_config,
                                base: &base,
                                timeout: t,
                                retry_codes: &[],
                            };
                            let (r, n) = post
                                .send_with_retry(
                                    &inner.clock,
                                    busy,
                                    &inner.metrics,
                                    name,
                                    timeout,
                                    body,
                                )
                                .await;
                            (r, n, value)
                        }
                    }
                }
                Kind::Slack(c) if inner.opts.deliver && c.api_url.is_some() => {
                    let url = c.api_url.as_ref().map(|u| u.expose()).unwrap_or_default();
                    let body = serde_json::to_vec(&rendered).unwrap_or_default();
                    let client = integ.client.get();
                    let post = notify::Post {
                        client: &client,
                        url,
                        http: &c.http_config,
                        base: &base,
                        timeout: None,
                        retry_codes: &[],
                    };
                    let (r, n) = post
                        .send_with_retry(&inner.clock, busy, &inner.metrics, name, timeout, body)
                        .await;
                    (r, n, rendered)
                }
                Kind::Pagerduty(c) if inner.opts.deliver => {
                    let mut payload = rendered.clone();
                    if let Some(o) = payload.as_object_mut() {
                        o.insert(
                            "routing_key".into(),
                            serde_json::Value::String(
                                c.routing_key
                                    .as_ref()
                                    .or(c.service_key.as_ref())
                                    .map(|k| k.expose().to_string())
                                    .unwrap_or_default(),
                            ),
                        );
                    }
                    let body = serde_json::to_vec(&payload).unwrap_or_default();
                    let client = integ.client.get();
                    let post = notify::Post {
                        client: &client,
                        url: &c.url,
                        http: &c.http_config,
                        base: &base,
                        timeout: None,
                        retry_codes: &[429],
                    };
                    let (r, n) = post
                        .send_with_retry(&inner.clock, busy, &inner.metrics, name, timeout, body)
                        .await;
                    (r, n, rendered)
                }
                Kind::Email(c) if inner.opts.deliver => {
                    let email = email_of(c, &rendered, now, &base);
                    let (r, n) = notify::with_retry(
                        &inner.clock,
                        busy,
                        &inner.metrics,
                        name,
                        timeout,
                        || crate::smtp::send(&email, timeout),
                    )
                    .await;
                    (r, n, rendered)
                }
                // Every other integration: rendered into the outbox.
                _ => (Ok(()), 0, rendered),
            }
        };
    let (status_out, error) = match &result {
        Ok(()) if attempts > 0 => (NotificationStatus::Delivered, None),
        Ok(()) => (NotificationStatus::Rendered, None),
        Err(e) => (NotificationStatus::Failed, Some(e.clone())),
    };
    if let Err(e) = &result {
        inner.metrics.with(name, |p| p.failed += 1);
        tracing::warn!(receiver, integration = name, group_key, attempts, error = %e, "notify failed");
    } else {
        tracing::debug!(receiver, integration = name, group_key, "notified");
    }
    inner
        .outbox
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(Notification {
            id: 0,
            time: crate::alert::format_api_time(now),
            time_ms: now,
            receiver: receiver.to_string(),
            integration: name.to_string(),
            index: integ.index,
            status: status_out,
            group_key: group_key.to_string(),
            group_labels: group_labels.clone(),
            group_status: status.to_string(),
            alerts: all,
            message,
            attempts,
            error,
        });
    result.is_ok()
}

/// The email to send from a rendered email message; `base` is the config
/// file, against which the password, secret and TLS files resolve.
pub(crate) fn email_of(
    c: &outpost_config::EmailConfig,
    m: &serde_json::Value,
    now: i64,
    base: &std::path::Path,
) -> crate::smtp::Email {
    let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
    let headers: Vec<(String, String)> = m["headers"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default();
    let date = jiff::Timestamp::from_millisecond(now)
        .map(|t| t.strftime("%a, %d %b %Y %H:%M:%S +0000").to_string())
        .unwrap_or_default();
    crate::smtp::Email {
        smarthost: c.smarthost.clone(),
        hello: c.hello.clone(),
        require_tls: c.require_tls,
        implicit_tls: crate::smtp::implicit_tls(&c.smarthost),
        auth: crate::smtp::auth_of(c, base),
        tls: crate::smtp::tls_of(c, base),
        from: text(&m["from"]).unwrap_or_default(),
        to: text(&m["to"])
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        headers,
        text: text(&m["text"]),
        html: text(&m["html"]),
        date,
        id: format!("{now}.{:016x}", fastrand::u64(..)),
    }
}
