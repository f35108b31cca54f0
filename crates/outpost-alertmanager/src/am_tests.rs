//! Dispatcher tests on a manual clock with a real webhook receiver. After
//! moving the clock a test waits for [`Alertmanager::settled`] and then
//! asserts what the receivers got so far (a receiver has the request before
//! it answers, and a send counts as done once answered); no wall-clock
//! windows decide presence or absence.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use outpost_clock::Clock;
use outpost_config::{AlertmanagerConfig, Files, MatchOp, Matcher, parse_alertmanager};
use serde_json::Value;
use tokio::sync::{Semaphore, mpsc};

use crate::alert::{LabelSet, PostableAlert};
use crate::am::{AlertQuery, Alertmanager, AlertmanagerOptions};
use crate::outbox::NotificationFilter;
use crate::silence::PostableSilence;

const T0: i64 = 1_795_514_400_000; // 2026-11-24T10:00:00Z

fn config(yaml: &str) -> AlertmanagerConfig {
    parse_alertmanager(
        &Files::Embedded(&[]),
        Path::new("alertmanager.yml"),
        "alertmanager.yml",
        yaml.to_string(),
    )
    .unwrap()
    .0
}

/// A webhook receiver on 127.0.0.1: returns its URL and the bodies it gets.
async fn receiver(status: u16) -> (String, mpsc::UnboundedReceiver<Value>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let app = Router::new().route(
        "/",
        post(move |body: String| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(serde_json::from_str::<Value>(&body).unwrap());
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (format!("http://{addr}/"), rx)
}

/// Waits for a request to a receiver that holds it (so `settled` cannot be
/// awaited first); the deadline only guards against a hang.
async fn next(rx: &mut mpsc::UnboundedReceiver<Value>) -> Value {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("no webhook within 10s")
        .unwrap()
}

/// Waits until the dispatcher has done all the work due at the clock's
/// time; the deadline only guards against a hang.
async fn settled(am: &Alertmanager) {
    tokio::time::timeout(Duration::from_secs(30), am.settled())
        .await
        .expect("the dispatcher did not settle within 30s");
}

/// The request a receiver has got by now (call after [`settled`]).
fn got(rx: &mut mpsc::UnboundedReceiver<Value>) -> Value {
    rx.try_recv().expect("no webhook request")
}

/// Asserts that a receiver has got no request (call after [`settled`]).
fn nothing(rx: &mut mpsc::UnboundedReceiver<Value>) {
    if let Ok(v) = rx.try_recv() {
        panic!("unexpected webhook: {v}");
    }
}

/// `alertmanager_notification_requests_failed_total` of the webhook.
fn failed_requests(am: &Alertmanager) -> u64 {
    let prefix = "alertmanager_notification_requests_failed_total{integration=\"webhook\"} ";
    let mut text = String::new();
    am.render_metrics(&mut text);
    text.lines()
        .find_map(|l| l.strip_prefix(prefix))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0)
}

fn alert(pairs: &[(&str, &str)], ends_at: Option<i64>) -> PostableAlert {
    PostableAlert {
        labels: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<LabelSet>(),
        starts_at: Some(T0),
        ends_at,
        ..Default::default()
    }
}

fn names(v: &Value) -> Vec<(String, String)> {
    v["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["labels"]["instance"].as_str().unwrap_or("").to_string(),
                a["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_group_wait_interval_repeat_and_resolved() {
    let (url, mut rx) = receiver(200).await;
    let cfg = config(&format!(
        "route:\n  receiver: web.hook\n  group_by: [alertname]\n  group_wait: 30s\n  group_interval: 5m\n  repeat_interval: 1h\nreceivers:\n  - name: web.hook\n    webhook_configs: [{{url: '{url}'}}]\n"
    ));
    let clock = Clock::manual(T0);
    let am = Alertmanager::start(&cfg, clock.clone(), AlertmanagerOptions::default()).unwrap();
    am.put_alerts(vec![alert(
        &[("alertname", "X"), ("instance", "a")],
        Some(T0 + 3_600_000 * 3),
    )])
    .unwrap();
    settled(&am).await;
    clock.advance(Duration::from_secs(29)).unwrap();
    settled(&am).await;
    nothing(&mut rx);
    clock.advance(Duration::from_secs(1)).unwrap();
    settled(&am).await;
    let m = got(&mut rx);
    assert_eq!(m["receiver"], "web\\.hook");
    assert_eq!(m["groupKey"], "{}:{alertname=\"X\"}");
    assert_eq!(m["version"], "4");
    assert_eq!(m["status"], "firing");
    assert_eq!(m["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
    assert_eq!(m["alerts"][0]["startsAt"], "2026-11-24T10:00:00Z");
    assert_eq!(names(&m), [("a".into(), "firing".into())]);
    let keys: Vec<&str> = m.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 10, "{keys:?}");

    // A new alert in the flushed group waits for the next group_interval tick.
    am.put_alerts(vec![alert(
        &[("alertname", "X"), ("instance", "b")],
        Some(T0 + 3_600_000 * 3),
    )])
    .unwrap();
    settled(&am).await;
    clock.advance(Duration::from_secs(60)).unwrap();
    settled(&am).await;
    nothing(&mut rx);
    clock.advance(Duration::from_secs(240)).unwrap(); // T0+5m30s
    // Settled also means the log entry is written (and stamped) after the send.
    settled(&am).await;
    let m = got(&mut rx);
    assert_eq!(
        names(&m),
        [("a".into(), "firing".into()), ("b".into(), "firing".into())]
    );

    // Unchanged: nothing at the next ticks until repeat_interval has passed.
    // Upstream's rule is strict (`entry.Timestamp.Before(now - repeat)`),
    // with the timestamp taken when the log is written after the send; on the
    // manual clock that is exactly the tick's time, so at the tick exactly 60m
    // after the last send the entry is not yet older than 1h and the repeat
    // goes out one group_interval later, at 65m.
    for _ in 0..12 {
        clock.advance(Duration::from_secs(300)).unwrap();
        settled(&am).await;
        nothing(&mut rx);
    }
    // T0+1h5m30s: exactly 60m after the last send, and nothing was sent.
    clock.advance(Duration::from_secs(300)).unwrap(); // 65m after
    settled(&am).await;
    let m = got(&mut rx);
    assert_eq!(names(&m).len(), 2, "repeat");

    // Resolve one: sent at the next tick (webhook send_resolved defaults to true).
    let now = clock.now_ms();
    am.put_alerts(vec![alert(
        &[("alertname", "X"), ("instance", "a")],
        Some(now),
    )])
    .unwrap();
    settled(&am).await;
    clock.advance(Duration::from_secs(300)).unwrap();
    settled(&am).await;
    let m = got(&mut rx);
    assert_eq!(
        names(&m),
        [
            ("a".into(), "resolved".into()),
            ("b".into(), "firing".into())
        ]
    );
    assert_ne!(m["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
    // The resolved alert left the group after the successful flush.
    let groups = am.alert_groups(&AlertQuery::default()).unwrap();
    assert_eq!(groups[0].alerts.len(), 1);
    let n = am.notifications(&NotificationFilter::default());
    assert_eq!(n.len(), 4);
    am.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silences_and_inhibition_mute_notifications() {
    let (url, mut rx) = receiver(200).await;
    let cfg = config(&format!(
        "route:\n  receiver: w\n  group_by: ['...']\n  group_wait: 10s\nreceivers:\n  - name: w\n    webhook_configs: [{{url: '{url}'}}]\ninhibit_rules:\n  - source_matchers: [severity=critical]\n    target_matchers: [severity=warning]\n    equal: [cluster]\n"
    ));
    let clock = Clock::manual(T0);
    let am = Alertmanager::start(&cfg, clock.clone(), AlertmanagerOptions::default()).unwrap();
    am.set_silence(PostableSilence {
        id: None,
        matchers: vec![Matcher::new("alertname", MatchOp::Equal, "Silenced").unwrap()],
        starts_at: T0,
        ends_at: T0 + 3_600_000,
        created_by: "t".into(),
        comment: "c".into(),
    })
    .unwrap();
    let end = Some(T0 + 3_600_000);
    am.put_alerts(vec![
        alert(&[("alertname", "Silenced")], end),
        alert(&[("alertname", "Src"), ("severity", "critical")], end),
        alert(&[("alertname", "Tgt"), ("severity", "warning")], end),
    ])
    .unwrap();
    let all = am.alerts(&AlertQuery::default()).unwrap();
    let state = |n: &str| {
        all.iter()
            .find(|v| v.alert.labels["alertname"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(state("Silenced").state, "suppressed");
    assert_eq!(state("Silenced").silenced_by.len(), 1);
    assert_eq!(
        state("Tgt").inhibited_by,
        [state("Src").alert.fingerprint.to_string()]
    );
    assert_eq!(state("Src").state, "active");
    settled(&am).await;
    clock.advance(Duration::from_secs(10)).unwrap();
    settled(&am).await;
    let m = got(&mut rx);
    assert_eq!(m["alerts"][0]["labels"]["alertname"], "Src");
    nothing(&mut rx);
    let active_only = am
        .alerts(&AlertQuery {
            silenced: false,
            inhibited: false,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(active_only.len(), 1);
    am.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_webhook_is_retried_and_counted_without_blocking_others() {
    let (bad_url, mut bad_rx) = receiver(500).await;
    let (good_url, mut good_rx) = receiver(200).await;
    let cfg = config(&format!(
        "route:\n  receiver: bad\n  group_wait: 1s\n  group_interval: 2s\n  routes:\n    - matchers: [team=good]\n      receiver: good\nreceivers:\n  - name: bad\n    webhook_configs: [{{url: '{bad_url}'}}]\n  - name: good\n    webhook_configs: [{{url: '{good_url}'}}]\n"
    ));
    // group_interval equals the notify timeout (2s): the group's next flush
    // cannot start, and fail on its own, before the first one gives up.
    let clock = Clock::manual(T0);
    let opts = AlertmanagerOptions {
        min_notify_timeout: Duration::from_secs(2),
        ..Default::default()
    };
    let am = Alertmanager::start(&cfg, clock.clone(), opts).unwrap();
    let end = Some(T0 + 3_600_000);
    am.put_alerts(vec![
        alert(&[("alertname", "A"), ("team", "bad")], end),
        alert(&[("alertname", "B"), ("team", "good")], end),
    ])
    .unwrap();
    settled(&am).await;
    clock.advance(Duration::from_secs(1)).unwrap();
    // The good receiver is served at once while the bad one retries: settled
    // returns with the bad one's retry asleep on the (manual) clock.
    settled(&am).await;
    let m = got(&mut good_rx);
    assert_eq!(m["alerts"][0]["labels"]["alertname"], "B");
    got(&mut bad_rx);
    nothing(&mut bad_rx);
    assert_eq!(failed_requests(&am), 1);
    assert_eq!(am.notification_counts("webhook").1, 0, "still retrying");
    // Past the first backoff (at most 750ms).
    clock.advance(Duration::from_secs(1)).unwrap();
    settled(&am).await;
    got(&mut bad_rx); // retried
    assert!(failed_requests(&am) >= 2);
    // Past the 2s notify timeout on the clock: the retries give up.
    clock.advance(Duration::from_secs(1)).unwrap();
    settled(&am).await;
    assert_eq!(am.notification_counts("webhook").1, 1);
    let failed = am.notifications(&NotificationFilter {
        status: Some("failed".into()),
        ..Default::default()
    });
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0]
            .error
            .as_deref()
            .unwrap()
            .contains("unexpected status code 500"),
        "{:?}",
        failed[0].error
    );
    let mut text = String::new();
    am.render_metrics(&mut text);
    assert!(
        text.contains("alertmanager_notifications_failed_total{integration=\"webhook\"} 1\n"),
        "{text}"
    );
    am.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silences_and_nflog_survive_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (url, mut rx) = receiver(200).await;
    let cfg = config(&format!(
        "route:\n  receiver: w\n  group_wait: 1s\nreceivers:\n  - name: w\n    webhook_configs: [{{url: '{url}'}}]\n"
    ));
    let opts = AlertmanagerOptions {
        data_dir: Some(dir.path().to_path_buf()),
        ..Default::default()
    };
    let clock = Clock::manual(T0);
    let id = {
        let am = Alertmanager::start(&cfg, clock.clone(), opts.clone()).unwrap();
        let id = am
            .set_silence(PostableSilence {
                id: None,
                matchers: vec![Matcher::new("a", MatchOp::Equal, "1").unwrap()],
                starts_at: T0,
                ends_at: T0 + 3_600_000,
                created_by: "t".into(),
                comment: "c".into(),
            })
            .unwrap();
        am.put_alerts(vec![alert(&[("alertname", "X")], Some(T0 + 3_600_000))])
            .unwrap();
        settled(&am).await;
        clock.advance(Duration::from_secs(1)).unwrap();
        settled(&am).await;
        got(&mut rx);
        am.stop();
        id
    };
    let am = Alertmanager::start(&cfg, clock.clone(), opts).unwrap();
    assert_eq!(am.silence(&id).unwrap().silence.created_by, "t");
    // The same alert again: the log says it was sent, so no repeat.
    am.put_alerts(vec![alert(&[("alertname", "X")], Some(T0 + 3_600_000))])
        .unwrap();
    settled(&am).await;
    clock.advance(Duration::from_secs(5)).unwrap();
    settled(&am).await;
    nothing(&mut rx);
    am.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_slack_and_pagerduty_are_rendered_into_the_outbox() {
    let cfg = config(
        "global:\n  smtp_smarthost: 'mail:25'\n  smtp_from: 'am@example.com'\n  slack_api_url: 'http://127.0.0.1:1/slack'\nroute:\n  receiver: crit\n  group_by: [alertname]\n  group_wait: 1s\nreceivers:\n  - name: crit\n    email_configs:\n      - to: 'oncall@example.com'\n        headers:\n          Subject: 'CRITICAL: {{ .GroupLabels.alertname }}'\n        text: |\n          {{ range .Alerts }}Description: {{ .Annotations.description }}\n          {{ end }}\n    slack_configs:\n      - title: 'Critical Alert: {{ .GroupLabels.alertname }}'\n        text: '{{ range .Alerts }}{{ .Annotations.description }}{{ end }}'\n    pagerduty_configs:\n      - service_key: k\n        description: 'Payment Service Alert: {{ .GroupLabels.alertname }}'\n",
    );
    let clock = Clock::manual(T0);
    let am = Alertmanager::start(&cfg, clock.clone(), AlertmanagerOptions::default()).unwrap();
    let mut a = alert(&[("alertname", "PaymentDown")], Some(T0 + 3_600_000));
    a.annotations
        .insert("description".into(), "payments fail".into());
    am.put_alerts(vec![a]).unwrap();
    settled(&am).await;
    clock.advance(Duration::from_secs(1)).unwrap();
    settled(&am).await;
    let n = am.notifications(&NotificationFilter::default());
    assert_eq!(n.len(), 3, "{n:?}");
    let by = |i: &str| n.iter().find(|x| x.integration == i).unwrap();
    let email = by("email");
    assert_eq!(email.status.as_str(), "rendered");
    assert_eq!(email.message["headers"]["Subject"], "CRITICAL: PaymentDown");
    assert_eq!(email.message["headers"]["To"], "oncall@example.com");
    assert_eq!(email.message["text"], "Description: payments fail\n\n");
    let slack = by("slack");
    assert_eq!(
        slack.status.as_str(),
        "rendered",
        "no delivery without the option"
    );
    assert_eq!(
        slack.message["attachments"][0]["title"],
        "Critical Alert: PaymentDown"
    );
    assert_eq!(slack.message["attachments"][0]["text"], "payments fail");
    let pd = by("pagerduty");
    assert_eq!(
        pd.message["payload"]["summary"],
        "Payment Service Alert: PaymentDown"
    );
    assert_eq!(pd.message["payload"]["custom_details"]["num_firing"], "1");
    am.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mute_and_active_time_intervals_drop_the_group() {
    let (url, mut rx) = receiver(200).await;
    let cfg = config(&format!(
        "route:\n  receiver: w\n  group_by: [alertname]\n  group_wait: 1s\n  routes:\n    - matchers: [alertname=Muted]\n      mute_time_intervals: [all-2026]\n    - matchers: [alertname=Inactive]\n      active_time_intervals: [nights]\n    - matchers: [alertname=Open]\n      active_time_intervals: [all-2026]\nreceivers:\n  - name: w\n    webhook_configs: [{{url: '{url}'}}]\ntime_intervals:\n  - name: all-2026\n    time_intervals: [{{years: ['2026']}}]\n  - name: nights\n    time_intervals: [{{times: [{{start_time: '00:00', end_time: '06:00'}}]}}]\n"
    ));
    let clock = Clock::manual(T0); // 10:00 UTC
    let am = Alertmanager::start(&cfg, clock.clone(), AlertmanagerOptions::default()).unwrap();
    let end = Some(T0 + 3_600_000);
    am.put_alerts(vec![
        alert(&[("alertname", "Muted")], end),
        alert(&[("alertname", "Inactive")], end),
        alert(&[("alertname", "Open")], end),
    ])
    .unwrap();
    settled(&am).await;
    clock.advance(Duration::from_secs(1)).unwrap();
    settled(&am).await;
    let m = got(&mut rx);
    assert_eq!(m["alerts"][0]["labels"]["alertname"], "Open");
    nothing(&mut rx);
    am.stop();
}

/// A fake SMTP server: returns its address and the DATA of each mail.
async fn smtp_server() -> (String, mpsc::UnboundedReceiver<String>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap().to_string();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((s, _)) = l.accept().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let (r, mut w) = s.into_split();
                let mut r = BufReader::new(r);
                w.write_all(b"220 fake\r\n").await.unwrap();
                let mut data: Option<String> = None;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    if let Some(d) = data.as_mut() {
                        if line == ".\r\n" {
                            let _ = tx.send(data.take().unwrap());
                            w.write_all(b"250 queued\r\n").await.unwrap();
                        } else {
                            d.push_str(&line);
                        }
                        continue;
                    }
                    let reply: &[u8] = match line.get(..4).unwrap_or("") {
                        "EHLO" => b"250-fake\r\n250 8BITMIME\r\n",
                        "DATA" => {
                            data = Some(String::new());
                            b"354 go\r\n"
                        }
                        "QUIT" => b"221 bye\r\n",
                        _ => b"250 ok\r\n",
                    };
                    w.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (addr, rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_is_delivered_by_smtp_with_deliver() {
    let (smarthost, mut mails) = smtp_server().await;
    let cfg = config(&format!(
        "global:\n  smtp_smarthost: '{smarthost}'\n  smtp_from: 'am@example.com'\n  smtp_require_tls: false\nroute:\n  receiver: mail\n  group_by: [alertname]\n  group_wait: 1s\nreceivers:\n  - name: mail\n    email_configs:\n      - to: 'oncall@example.com'\n        text: '{{{{ .CommonLabels.alertname }}}} is {{{{ .Status }}}}'\n"
    ));
    let clock = Clock::manual(T0);
    let opts = AlertmanagerOptions {
        deliver: true,
        ..Default::default()
    };
    let am = Alertmanager::start(&cfg, clock.clone(), opts).unwrap();
    am.put_alerts(vec![alert(
        &[("alertname", "Mailed")],
        Some(T0 + 3_600_000),
    )])
    .unwrap();
    settled(&am).await;
    clock.advance(Duration::from_secs(1)).unwrap();
    // The fake server has the mail before it answers the end of DATA.
    settled(&am).await;
    let mail = mails.try_recv().expect("no mail");
    assert!(mail.contains("Subject: [FIRING:1] Mailed \r\n"), "{mail}");
    assert!(mail.contains("To: oncall@example.com\r\n"), "{mail}");
    assert!(mail.contains("Mailed is firing"), "{mail}");
    assert!(mail.contains("multipart/alternative"), "{mail}");
    let n = am.notifications(&NotificationFilter::default());
    assert_eq!(n[0].status.as_str(), "delivered", "{:?}", n[0].error);
    am.stop();
}

/// A server that accepts connections and never answers; each accept is sent
/// on the channel (the sockets stay open for the test's life).
async fn black_hole() -> (String, mpsc::UnboundedReceiver<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = l.accept().await {
            held.push(s);
            let _ = tx.send(());
        }
    });
    (format!("http://{addr}/"), rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hanging_webhook_hits_the_deadline_and_is_retried_next_tick() {
    let (hang_url, mut hang_rx) = black_hole().await;
    let (good_url, mut good_rx) = receiver(200).await;
    let cfg = config(&format!(
        "route:\n  receiver: r\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n  - name: r\n    webhook_configs: [{{url: '{hang_url}'}}, {{url: '{good_url}'}}]\n"
    ));
    let clock = Clock::manual(T0);
    let opts = AlertmanagerOptions {
        min_notify_timeout: Duration::from_millis(500),
        ..Default::default()
    };
    let am = Alertmanager::start(&cfg, clock.clone(), opts).unwrap();
    am.put_alerts(vec![alert(&[("alertname", "A")], Some(T0 + 3_600_000))])
        .unwrap();
    settled(&am).await;
    clock.advance(Duration::from_secs(1)).unwrap();
    // The other integration of the receiver is not held up by the hanging one.
    next(&mut good_rx).await;
    tokio::time::timeout(Duration::from_secs(10), hang_rx.recv())
        .await
        .expect("no connection to the hanging webhook")
        .unwrap();
    // The deadline (max(group_interval, min timeout) = 1s, of wall time
    // too, as the clock stands still) cancels the request; settled waits
    // for it.
    settled(&am).await;
    let failed = am.notifications(&NotificationFilter {
        status: Some("failed".into()),
        ..Default::default()
    });
    assert_eq!(failed.len(), 1, "the hanging request never failed");
    assert!(
        failed[0]
            .error
            .as_deref()
            .unwrap()
            .contains("context deadline exceeded"),
        "{:?}",
        failed[0].error
    );
    assert_eq!(am.notification_counts("webhook").1, 1);
    // No nflog entry for it: the next tick sends again, the good one does not.
    clock.advance(Duration::from_secs(1)).unwrap();
    tokio::time::timeout(Duration::from_secs(10), hang_rx.recv())
        .await
        .expect("the hanging webhook was not retried at the next tick")
        .unwrap();
    settled(&am).await;
    nothing(&mut good_rx);
    am.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_and_groups_are_ordered_by_labelset_before() {
    let (url, mut rx) = receiver(200).await;
    let cfg = config(&format!(
        "route:\n  receiver: w\n  group_by: [g, h]\n  group_wait: 1s\nreceivers:\n  - name: w\n    webhook_configs: [{{url: '{url}', max_alerts: 1}}]\n"
    ));
    let clock = Clock::manual(T0);
    let am = Alertmanager::start(&cfg, clock.clone(), AlertmanagerOptions::default()).unwrap();
    let end = Some(T0 + 3_600_000);
    am.put_alerts(vec![
        // As strings `{a="1", b="1", g="x"}` sorts first; by `Before` the
        // set with fewer labels does.
        alert(&[("g", "x"), ("a", "1"), ("b", "1")], end),
        alert(&[("g", "x"), ("zz", "1")], end),
    ])
    .unwrap();
    settled(&am).await;
    clock.advance(Duration::from_secs(1)).unwrap();
    settled(&am).await;
    let m = got(&mut rx);
    assert_eq!(m["truncatedAlerts"], 1);
    assert_eq!(m["alerts"][0]["labels"]["zz"], "1", "{m}");
    am.put_alerts(vec![
        alert(&[("g", "1"), ("h", "2")], end),
        alert(&[("g", "10")], end),
    ])
    .unwrap();
    let groups = am.alert_groups(&AlertQuery::default()).unwrap();
    let labels: Vec<String> = groups
        .iter()
        .map(|g| crate::alert::labelset_string(&g.labels))
        .collect();
    // `{g="1", h="2"}` < `{g="10"}` as strings, but one label sorts first.
    assert_eq!(
        labels,
        ["{g=\"10\"}", "{g=\"x\"}", "{g=\"1\", h=\"2\"}"],
        "{labels:?}"
    );
    am.stop();
}

/// A webhook receiver that holds each request (after passing on its body)
/// until the test adds a permit to the semaphore, then answers 200.
async fn held_receiver() -> (String, mpsc::UnboundedReceiver<Value>, Arc<Semaphore>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let permits = Arc::new(Semaphore::new(0));
    let gate = permits.clone();
    let app = Router::new().route(
        "/",
        post(move |body: String| {
            let tx = tx.clone();
            let gate = gate.clone();
            async move {
                let _ = tx.send(serde_json::from_str::<Value>(&body).unwrap());
                gate.acquire().await.unwrap().forget();
                axum::http::StatusCode::OK
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (format!("http://{addr}/"), rx, permits)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_counts_as_flushed_from_its_first_tick() {
    let (url, mut rx, release) = held_receiver().await;
    let cfg = config(&format!(
        "route:\n  receiver: w\n  group_by: [alertname]\n  group_wait: 30s\n  group_interval: 5m\nreceivers:\n  - name: w\n    webhook_configs: [{{url: '{url}'}}]\n"
    ));
    let clock = Clock::manual(T0);
    let am = Alertmanager::start(&cfg, clock.clone(), AlertmanagerOptions::default()).unwrap();
    let end = Some(T0 + 3_600_000);
    am.put_alerts(vec![alert(&[("alertname", "X"), ("instance", "a")], end)])
        .unwrap();
    settled(&am).await;
    clock.advance(Duration::from_secs(30)).unwrap();
    let m = next(&mut rx).await;
    assert_eq!(names(&m), [("a".into(), "firing".into())]);
    // While the first flush is still in flight (the receiver holds it), an
    // old alert joins the group: the group has flushed already, so it waits
    // for group_interval instead of flushing again as soon as the first
    // flush ends.
    let mut old = alert(&[("alertname", "X"), ("instance", "b")], end);
    old.starts_at = Some(T0 - 600_000);
    am.put_alerts(vec![old]).unwrap();
    release.add_permits(1);
    settled(&am).await;
    if let Ok(v) = rx.try_recv() {
        panic!("flushed again before group_interval: {v}");
    }
    release.add_permits(1);
    clock.advance(Duration::from_secs(300)).unwrap();
    settled(&am).await;
    let m = got(&mut rx);
    assert_eq!(
        names(&m),
        [("a".into(), "firing".into()), ("b".into(), "firing".into())]
    );
    am.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nflog_time_is_taken_after_the_send() {
    let (url, mut rx, release) = held_receiver().await;
    let cfg = config(&format!(
        "route:\n  receiver: w\n  group_wait: 30s\n  group_interval: 5m\n  repeat_interval: 12m\nreceivers:\n  - name: w\n    webhook_configs: [{{url: '{url}'}}]\n"
    ));
    let clock = Clock::manual(T0);
    let am = Alertmanager::start(&cfg, clock.clone(), AlertmanagerOptions::default()).unwrap();
    am.put_alerts(vec![alert(
        &[("alertname", "X"), ("instance", "a")],
        Some(T0 + 3_600_000 * 3),
    )])
    .unwrap();
    settled(&am).await;
    clock.advance(Duration::from_secs(30)).unwrap(); // flush starts at T0+30s
    next(&mut rx).await;
    // The send takes until T0+5m: the log entry is stamped then.
    clock.advance(Duration::from_secs(270)).unwrap();
    release.add_permits(1);
    settled(&am).await;
    for _ in 0..2 {
        clock.advance(Duration::from_secs(300)).unwrap(); // ticks at T0+10m, T0+15m
        settled(&am).await;
    }
    // At T0+15m, an entry stamped at the flush start (T0+30s) would be more
    // than 12m old; stamped at T0+5m it is not.
    nothing(&mut rx);
    release.add_permits(1);
    clock.advance(Duration::from_secs(300)).unwrap(); // T0+20m
    settled(&am).await;
    got(&mut rx);
    am.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn received_total_counts_invalid_alerts_too() {
    let cfg = config("route:\n  receiver: w\nreceivers:\n  - name: w\n");
    let clock = Clock::manual(T0);
    let am = Alertmanager::start(&cfg, clock.clone(), AlertmanagerOptions::default()).unwrap();
    let bad = PostableAlert {
        starts_at: Some(T0),
        ..Default::default()
    };
    let mut resolved = alert(&[("alertname", "R")], Some(T0 - 1000));
    resolved.starts_at = Some(T0 - 2000);
    let err = am
        .put_alerts(vec![alert(&[("alertname", "A")], None), bad, resolved])
        .unwrap_err();
    assert!(
        err.to_string().contains("at least one label pair required"),
        "{err}"
    );
    let mut text = String::new();
    am.render_metrics(&mut text);
    for want in [
        "alertmanager_alerts_received_total{status=\"firing\",version=\"v2\"} 2\n",
        "alertmanager_alerts_received_total{status=\"resolved\",version=\"v2\"} 1\n",
        "alertmanager_alerts_invalid_total{version=\"v2\"} 1\n",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    am.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_alert_receivers_come_from_the_listed_groups() {
    let cfg = config(
        "route:\n  receiver: root\n  routes:\n    - matchers: [a=\"1\"]\n      receiver: x\n      continue: true\n    - matchers: [a=\"1\"]\n      receiver: y\nreceivers:\n  - name: root\n  - name: x\n  - name: y\n",
    );
    let clock = Clock::manual(T0);
    let am = Alertmanager::start(&cfg, clock.clone(), AlertmanagerOptions::default()).unwrap();
    am.put_alerts(vec![alert(&[("a", "1")], Some(T0 + 3_600_000))])
        .unwrap();
    let all = am.alert_groups(&AlertQuery::default()).unwrap();
    assert_eq!(all.len(), 2);
    for g in &all {
        assert_eq!(g.alerts[0].receivers, ["x", "y"]);
    }
    let only_x = am
        .alert_groups(&AlertQuery {
            receiver: Some("x".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(only_x.len(), 1);
    assert_eq!(only_x[0].receiver, "x");
    assert_eq!(only_x[0].alerts[0].receivers, ["x"]);
    // `/alerts` still lists every matching route's receiver.
    let alerts = am
        .alerts(&AlertQuery {
            receiver: Some("x".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(alerts[0].receivers, ["x", "y"]);
    am.stop();
}

/// Polls once with a no-op waker: whether the future is done already.
fn done_at_once<F: std::future::Future>(f: std::pin::Pin<&mut F>) -> bool {
    use std::task::{Context, Poll, Waker};
    matches!(
        f.poll(&mut Context::from_waker(Waker::noop())),
        Poll::Ready(_)
    )
}

/// Regression (issue 16.7): tests waited a wall-clock window for the
/// dispatcher; `settled` must not return while a flush due at the clock's
/// time is still waiting for its receiver's answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settled_waits_until_the_flush_due_now_is_answered() {
    let (url, mut rx, release) = held_receiver().await;
    let cfg = config(&format!(
        "route:\n  receiver: w\n  group_wait: 1s\nreceivers:\n  - name: w\n    webhook_configs: [{{url: '{url}'}}]\n"
    ));
    let clock = Clock::manual(T0);
    let am = Alertmanager::start(&cfg, clock.clone(), AlertmanagerOptions::default()).unwrap();
    am.put_alerts(vec![alert(&[("alertname", "A")], Some(T0 + 3_600_000))])
        .unwrap();
    settled(&am).await;
    nothing(&mut rx);
    clock.advance(Duration::from_secs(1)).unwrap();
    next(&mut rx).await; // the receiver holds the request
    let mut waiting = std::pin::pin!(am.settled());
    assert!(
        !done_at_once(waiting.as_mut()),
        "settled while the send was unanswered"
    );
    assert!(am.notifications(&NotificationFilter::default()).is_empty());
    release.add_permits(1);
    tokio::time::timeout(Duration::from_secs(30), waiting)
        .await
        .expect("the dispatcher did not settle within 30s");
    let n = am.notifications(&NotificationFilter::default());
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].status.as_str(), "delivered");
    // The log entry was written before settled returned: no repeat at the
    // next group_interval tick (5m default, repeat_interval 4h).
    clock.advance(Duration::from_secs(300)).unwrap();
    settled(&am).await;
    nothing(&mut rx);
    am.stop();
}

/// Regression (issue 16.7): `settled` returns when nothing is due at the
/// clock's time (a timer waiting for later does not hold it up), and after
/// the dispatcher stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settled_returns_when_nothing_is_due() {
    let (url, mut rx) = receiver(200).await;
    let cfg = config(&format!(
        "route:\n  receiver: w\n  group_wait: 30s\nreceivers:\n  - name: w\n    webhook_configs: [{{url: '{url}'}}]\n"
    ));
    let clock = Clock::manual(T0);
    let am = Alertmanager::start(&cfg, clock.clone(), AlertmanagerOptions::default()).unwrap();
    settled(&am).await;
    am.put_alerts(vec![alert(&[("alertname", "A")], Some(T0 + 3_600_000))])
        .unwrap();
    settled(&am).await;
    clock.advance(Duration::from_secs(29)).unwrap();
    settled(&am).await;
    nothing(&mut rx);
    am.stop();
    am.put_alerts(vec![alert(&[("alertname", "B")], Some(T0 + 3_600_000))])
        .unwrap();
    settled(&am).await;
}

/// Regression (issue 16.7): `settled` on the system clock covers a flush
/// due at once (an alert older than group_wait).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settled_covers_a_flush_due_now_on_the_system_clock() {
    let (url, mut rx) = receiver(200).await;
    let cfg = config(&format!(
        "route:\n  receiver: w\n  group_wait: 30s\nreceivers:\n  - name: w\n    webhook_configs: [{{url: '{url}'}}]\n"
    ));
    let clock = Clock::system();
    let am = Alertmanager::start(&cfg, clock.clone(), AlertmanagerOptions::default()).unwrap();
    let now = clock.now_ms();
    let mut a = alert(&[("alertname", "Old")], Some(now + 3_600_000));
    a.starts_at = Some(now - 600_000);
    am.put_alerts(vec![a]).unwrap();
    settled(&am).await;
    let m = got(&mut rx);
    assert_eq!(m["alerts"][0]["labels"]["alertname"], "Old");
    am.stop();
}
