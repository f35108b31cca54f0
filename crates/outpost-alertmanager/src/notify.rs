//! Integrations: the webhook's real POST, the outbox for the others (real
//! delivery of Slack/PagerDuty payloads with `deliver`), and retries with
//! Alertmanager's backoff.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use outpost_clock::{Clock, Stopwatch};
use outpost_config::{
    EmailConfig, HttpClientConfig, PagerdutyConfig, Receiver, SlackConfig, WebhookConfig,
    resolve_relative,
};
use serde::Serialize;

use crate::activity::Busy;
use crate::alert::LabelSet;
use crate::metrics::Metrics;
use crate::outbox::NotifiedAlert;

/// `User-Agent` of notification requests, as Alertmanager 0.25 sends it.
pub(crate) const USER_AGENT: &str = "Alertmanager/0.25.0";

/// One integration of a receiver.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Webhook(WebhookConfig),
    Email(EmailConfig),
    Slack(SlackConfig),
    Pagerduty(PagerdutyConfig),
    Other,
}

#[derive(Debug, Clone)]
pub(crate) struct Integration {
    pub(crate) name: String,
    pub(crate) index: usize,
    pub(crate) send_resolved: bool,
    pub(crate) kind: Kind,
    pub(crate) client: Arc<LazyClient>,
    /// The config file; relative credential and URL files resolve against it.
    pub(crate) base: PathBuf,
}

/// An integration's HTTP client, built on first use: building a TLS client
/// loads the system's root certificates, which would cost milliseconds per
/// integration at every start and reload.
#[derive(Debug)]
pub(crate) struct LazyClient {
    config: HttpClientConfig,
    base: PathBuf,
    cell: std::sync::OnceLock<reqwest::Client>,
}

impl LazyClient {
    fn new(config: &HttpClientConfig, base: &Path) -> Arc<Self> {
        Arc::new(LazyClient {
            config: config.clone(),
            base: base.to_path_buf(),
            cell: std::sync::OnceLock::new(),
        })
    }

    /// The client (built now if this is its first use).
    pub(crate) fn get(&self) -> reqwest::Client {
        self.cell
            .get_or_init(|| client_for(&self.config, &self.base).unwrap_or_default())
            .clone()
    }
}

fn client_for(c: &HttpClientConfig, base: &Path) -> Option<reqwest::Client> {
    match outpost_http_client::build_client(c, base) {
        Ok(c) => Some(c),
        Err(e) => {
            tracing::warn!(error = %e, "cannot build notification http client; using defaults");
            None
        }
    }
}

/// The integrations of a receiver, in Alertmanager's order; `base` is the config file.
pub(crate) fn integrations(r: &Receiver, base: &Path) -> Vec<Integration> {
    let mut out = Vec::new();
    for (i, c) in r.webhook_configs.iter().enumerate() {
        out.push(Integration {
            name: "webhook".into(),
            index: i,
            send_resolved: c.send_resolved,
            client: LazyClient::new(&c.http_config, base),
            kind: Kind::Webhook(c.clone()),
            base: base.to_path_buf(),
        });
    }
    for (i, c) in r.email_configs.iter().enumerate() {
        out.push(Integration {
            name: "email".into(),
            index: i,
            send_resolved: c.send_resolved,
            client: LazyClient::new(&HttpClientConfig::default(), base),
            kind: Kind::Email(c.clone()),
            base: base.to_path_buf(),
        });
    }
    for (i, c) in r.pagerduty_configs.iter().enumerate() {
        out.push(Integration {
            name: "pagerduty".into(),
            index: i,
            send_resolved: c.send_resolved,
            client: LazyClient::new(&c.http_config, base),
            kind: Kind::Pagerduty(c.clone()),
            base: base.to_path_buf(),
        });
    }
    for (i, c) in r.slack_configs.iter().enumerate() {
        out.push(Integration {
            name: "slack".into(),
            index: i,
            send_resolved: c.send_resolved,
            client: LazyClient::new(&c.http_config, base),
            kind: Kind::Slack(c.clone()),
            base: base.to_path_buf(),
        });
    }
    for (kind, send_resolved) in &r.other {
        let name = kind.trim_end_matches("_configs").to_string();
        for (i, &send_resolved) in send_resolved.iter().enumerate() {
            out.push(Integration {
                name: name.clone(),
                index: i,
                send_resolved,
                client: LazyClient::new(&HttpClientConfig::default(), base),
                base: base.to_path_buf(),
                kind: Kind::Other,
            });
        }
    }
    out
}

/// Alertmanager's webhook body (field order as Go encodes it).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WebhookMessage<'a> {
    pub(crate) receiver: String,
    pub(crate) status: &'a str,
    pub(crate) alerts: &'a [NotifiedAlert],
    pub(crate) group_labels: &'a LabelSet,
    pub(crate) common_labels: &'a LabelSet,
    pub(crate) common_annotations: &'a LabelSet,
    #[serde(rename = "externalURL")]
    pub(crate) external_url: &'a str,
    pub(crate) version: &'a str,
    pub(crate) group_key: &'a str,
    pub(crate) truncated_alerts: u64,
}

/// Key/value pairs equal in every alert (`commonLabels`, `commonAnnotations`).
pub(crate) fn common<'a>(maps: impl Iterator<Item = &'a LabelSet>) -> LabelSet {
    let mut it = maps;
    let Some(first) = it.next() else {
        return LabelSet::new();
    };
    let mut c = first.clone();
    for m in it {
        c.retain(|k, v| m.get(k) == Some(v));
    }
    c
}

/// A failed attempt: the message and whether to retry.
pub(crate) struct AttemptError {
    pub(crate) message: String,
    pub(crate) retry: bool,
}

fn apply_auth(
    mut req: reqwest::RequestBuilder,
    c: &HttpClientConfig,
    base: &Path,
) -> reqwest::RequestBuilder {
    let read = |f: &str| {
        std::fs::read_to_string(resolve_relative(base, f))
            .ok()
            .map(|s| s.trim().to_string())
    };
    if let Some(b) = &c.basic_auth {
        let pass = b
            .password
            .as_ref()
            .map(|p| p.expose().to_string())
            .or_else(|| b.password_file.as_deref().and_then(read));
        req = req.basic_auth(&b.username, pass);
    }
    if let Some(t) = c
        .bearer_token
        .as_ref()
        .map(|t| t.expose().to_string())
        .or_else(|| c.bearer_token_file.as_deref().and_then(read))
    {
        req = req.header("Authorization", format!("Bearer {t}"));
    } else if let Some(z) = &c.authorization
        && let Some(cred) = z
            .credentials
            .as_ref()
            .map(|c| c.expose().to_string())
            .or_else(|| z.credentials_file.as_deref().and_then(read))
    {
        let kind = z.kind.clone().unwrap_or_else(|| "Bearer".into());
        req = req.header("Authorization", format!("{kind} {cred}"));
    }
    req
}

/// One notification POST: where to, with which client settings, and which
/// status codes besides 5xx are worth a retry.
pub(crate) struct Post<'a> {
    pub(crate) client: &'a reqwest::Client,
    /// The target; often a secret (Slack and webhook URLs): never printed.
    pub(crate) url: &'a str,
    pub(crate) http: &'a HttpClientConfig,
    /// The config file, against which credential files resolve.
    pub(crate) base: &'a Path,
    /// Per-request timeout (the webhook's `timeout`).
    pub(crate) timeout: Option<Duration>,
    pub(crate) retry_codes: &'a [u16],
}

impl Post<'_> {
    /// POSTs `body` as JSON with Alertmanager's retry and backoff (see
    /// [`with_retry`]); returns the outcome and the number of attempts.
    pub(crate) async fn send_with_retry(
        &self,
        clock: &Clock,
        busy: &mut Busy,
        metrics: &Metrics,
        integration: &str,
        timeout: Duration,
        body: Vec<u8>,
    ) -> (Result<(), String>, u32) {
        with_retry(clock, busy, metrics, integration, timeout, || {
            self.send_once(body.clone())
        })
        .await
    }

    /// One POST with Alertmanager's status rule (2xx ok, 5xx and
    /// `retry_codes` retried, others final).
    async fn send_once(&self, body: Vec<u8>) -> Result<(), AttemptError> {
        let mut req = self
            .client
            .post(self.url)
            .header("Content-Type", "application/json")
            .header("User-Agent", USER_AGENT)
            .body(body);
        req = apply_auth(req, self.http, self.base);
        if let Some(t) = self.timeout {
            req = req.timeout(t);
        }
        match req.send().await {
            Err(e) => Err(AttemptError {
                message: redact_url(&e),
                retry: true,
            }),
            Ok(resp) => {
                let code = resp.status().as_u16();
                if (200..300).contains(&code) {
                    return Ok(());
                }
                let text = resp.text().await.unwrap_or_default();
                let mut message = format!("unexpected status code {code}");
                if !text.is_empty() {
                    message.push_str(&format!(": {text}"));
                }
                Err(AttemptError {
                    message,
                    retry: code >= 500 || self.retry_codes.contains(&code),
                })
            }
        }
    }
}

/// A transport error with its URL removed, as Alertmanager's `RedactURL`
/// prints a `*url.Error`: `Post "<redacted>": <cause>`. Notification URLs
/// carry credentials (Slack and webhook URLs are secrets), and the message
/// goes to the log and the outbox.
pub(crate) fn redact_url(e: &reqwest::Error) -> String {
    let cause = std::error::Error::source(e)
        .map(|s| {
            let mut text = s.to_string();
            let mut next = s.source();
            while let Some(inner) = next {
                text.push_str(&format!(": {inner}"));
                next = inner.source();
            }
            text
        })
        .unwrap_or_else(|| e.to_string());
    let cause = match e.url() {
        Some(u) => cause.replace(u.as_str(), "<redacted>"),
        None => cause,
    };
    format!("Post \"<redacted>\": {cause}")
}

/// Retries `attempt` with exponential backoff (500ms ×1.5, ±50% jitter, 60s
/// cap) until it succeeds, fails for good, or `timeout` of clock time has
/// passed. Backoff sleeps on the project clock: with a manual clock the next
/// attempt waits until the clock is moved past it. `busy` is the caller's
/// activity token, parked during the backoff.
///
/// Like Alertmanager's pipeline context, the deadline also cancels an attempt
/// in flight: a request that never gets an answer fails (and is counted as a
/// failed request) once the clock reaches the deadline or, so that a stopped
/// manual clock cannot hang it, once `timeout` of elapsed time has passed.
pub(crate) async fn with_retry<F, Fut>(
    clock: &Clock,
    busy: &mut Busy,
    metrics: &Metrics,
    integration: &str,
    timeout: Duration,
    mut attempt: F,
) -> (Result<(), String>, u32)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), AttemptError>>,
{
    let timeout_ms = i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX);
    let deadline_ms = clock.now_ms().saturating_add(timeout_ms);
    let mut backoff = Duration::from_millis(500);
    let mut attempts = 0;
    loop {
        attempts += 1;
        metrics.with(integration, |p| p.requests += 1);
        let watch = Stopwatch::start();
        let outcome = tokio::select! {
            r = attempt() => Some(r),
            () = clock.sleep_until(deadline_ms) => None,
            // clock-guard: wall time (a request that never answers, whatever the clock does)
            () = tokio::time::sleep(timeout) => None,
        };
        let (err, canceled) = match outcome {
            Some(Ok(())) => return (Ok(()), attempts),
            Some(Err(e)) => (e, false),
            None => (
                AttemptError {
                    message: "context deadline exceeded".into(),
                    retry: false,
                },
                true,
            ),
        };
        metrics.with(integration, |p| p.requests_failed += 1);
        tracing::debug!(integration, attempts, elapsed = ?watch.elapsed(), error = %err.message, "notify attempt failed");
        if canceled {
            return (
                Err(format!(
                    "notify retry canceled after {attempts} attempts: {}",
                    err.message
                )),
                attempts,
            );
        }
        if !err.retry {
            return (Err(err.message), attempts);
        }
        let jitter = 0.5 + fastrand::f64();
        let wait_ms = i64::try_from(backoff.mul_f64(jitter).as_millis()).unwrap_or(i64::MAX);
        let wake_ms = clock.now_ms().saturating_add(wait_ms);
        if wake_ms < deadline_ms {
            busy.sleep_until(clock, wake_ms).await;
        }
        // A clock moved past the deadline during the sleep ends it too.
        if wake_ms >= deadline_ms || clock.now_ms() >= deadline_ms {
            return (
                Err(format!(
                    "{} (gave up after {attempts} attempts)",
                    err.message
                )),
                attempts,
            );
        }
        backoff = (backoff.mul_f64(1.5)).min(Duration::from_secs(60));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::Activity;

    #[test]
    fn common_pairs() {
        let a: LabelSet = [("a".into(), "1".into()), ("b".into(), "2".into())].into();
        let b: LabelSet = [("a".into(), "1".into()), ("b".into(), "3".into())].into();
        let c = common([a, b].iter());
        assert_eq!(c.len(), 1);
        assert_eq!(c["a"], "1");
    }

    #[test]
    fn other_integrations_keep_their_send_resolved() {
        let r = Receiver {
            name: "r".into(),
            webhook_configs: Vec::new(),
            email_configs: Vec::new(),
            slack_configs: Vec::new(),
            pagerduty_configs: Vec::new(),
            other: vec![
                ("telegram_configs".into(), vec![false, true]),
                ("wechat_configs".into(), vec![true]),
            ],
        };
        let got: Vec<(String, usize, bool)> = integrations(&r, Path::new("am.yml"))
            .into_iter()
            .map(|i| (i.name, i.index, i.send_resolved))
            .collect();
        assert_eq!(
            got,
            [
                ("telegram".to_string(), 0, false),
                ("telegram".to_string(), 1, true),
                ("wechat".to_string(), 0, true),
            ]
        );
    }

    #[tokio::test]
    async fn with_retry_cancels_an_attempt_at_the_deadline() {
        let metrics = Metrics::default();
        let clock = Clock::manual(0);
        let (r, n) = with_retry(
            &clock,
            &mut Activity::default().busy(),
            &metrics,
            "webhook",
            Duration::from_millis(200),
            std::future::pending::<Result<(), AttemptError>>,
        )
        .await;
        assert_eq!(n, 1);
        assert_eq!(
            r.unwrap_err(),
            "notify retry canceled after 1 attempts: context deadline exceeded"
        );
        let p = metrics.get("webhook");
        assert_eq!((p.requests, p.requests_failed), (1, 1));
    }

    /// Retry backoff slept on the wall clock: with `--clock manual` a failing
    /// receiver retried in real time while the clock stood still.
    #[tokio::test]
    async fn retry_backoff_sleeps_on_the_manual_clock() {
        let metrics = Arc::new(Metrics::default());
        let clock = Clock::manual(0);
        let activity = Activity::default();
        let calls = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let mut busy = activity.busy();
        let task = {
            let (clock, metrics, calls) = (clock.clone(), metrics.clone(), calls.clone());
            tokio::spawn(async move {
                with_retry(
                    &clock,
                    &mut busy,
                    &metrics,
                    "webhook",
                    Duration::from_secs(600),
                    || {
                        let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        async move {
                            if n == 0 {
                                Err(AttemptError {
                                    message: "unexpected status code 503".into(),
                                    retry: true,
                                })
                            } else {
                                Ok(())
                            }
                        }
                    },
                )
                .await
            })
        };
        // Settled at the clock's time: the first attempt has failed and the
        // retry is parked in its backoff, waiting for a later clock time.
        activity.settled_at(clock.now_ms()).await;
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(!task.is_finished());
        clock.advance(Duration::from_secs(1)).unwrap();
        // clock-guard: wall time (test deadline)
        let (r, n) = tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((r, n), (Ok(()), 2));
        let p = metrics.get("webhook");
        assert_eq!((p.requests, p.requests_failed), (2, 1));
        assert!(activity.is_settled_at(clock.now_ms()), "the work has ended");
    }

    /// Notification URLs are secrets: a transport error names the cause
    /// only, as Alertmanager's `RedactURL` prints a `*url.Error`.
    #[tokio::test]
    async fn transport_errors_do_not_show_the_url() {
        let http = HttpClientConfig::default();
        let client = client_for(&http, Path::new("am.yml")).unwrap();
        let post = Post {
            client: &client,
            url: "http://127.0.0.1:1/services/T000/B000/url-leak?token=tok-leak",
            http: &http,
            base: Path::new("am.yml"),
            timeout: None,
            retry_codes: &[],
        };
        let metrics = Metrics::default();
        let (r, n) = post
            .send_with_retry(
                &Clock::manual(0),
                &mut Activity::default().busy(),
                &metrics,
                "slack",
                Duration::from_millis(100),
                b"{}".to_vec(),
            )
            .await;
        assert_eq!(n, 1);
        let e = r.unwrap_err();
        assert!(e.starts_with("Post \"<redacted>\": "), "{e}");
        assert!(!e.contains("leak") && !e.contains("127.0.0.1:1"), "{e}");
        assert!(e.ends_with("(gave up after 1 attempts)"), "{e}");
    }

    /// The give-up decision is made on the clock: a deadline already reached
    /// on the clock ends the retries without sleeping.
    #[tokio::test]
    async fn retry_gives_up_at_the_clock_deadline() {
        let metrics = Metrics::default();
        let clock = Clock::manual(0);
        let (r, n) = with_retry(
            &clock,
            &mut Activity::default().busy(),
            &metrics,
            "webhook",
            Duration::from_millis(100),
            || async {
                Err(AttemptError {
                    message: "unexpected status code 500".into(),
                    retry: true,
                })
            },
        )
        .await;
        assert_eq!(n, 1);
        assert_eq!(
            r.unwrap_err(),
            "unexpected status code 500 (gave up after 1 attempts)"
        );
    }
}
