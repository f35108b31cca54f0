//! The Alertmanager API through `oneshot`: shapes, status codes and messages.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use outpost_alertmanager::{Alertmanager, AlertmanagerOptions};
use outpost_clock::Clock;
use outpost_config::{Files, parse_alertmanager};
use tower::ServiceExt;

const T0: i64 = 1_795_514_400_000; // 2026-11-24T10:00:00Z

fn router() -> Router {
    let clock = Clock::manual(T0);
    let (cfg, _) = parse_alertmanager(
        &Files::Embedded(&[]),
        std::path::Path::new("alertmanager.yml"),
        "alertmanager.yml",
        "route:\n  receiver: web\n  group_by: [alertname]\n  routes:\n    - matchers: [team=db]\n      receiver: db\nreceivers:\n  - name: web\n  - name: db\n".into(),
    )
    .unwrap();
    let state = super::AmState::new(
        Alertmanager::start(&cfg, clock, AlertmanagerOptions::default()).unwrap(),
    );
    super::router(state.clone()).merge(super::outbox_router(state))
}

async fn call(r: &Router, method: &str, uri: &str, body: &str) -> (StatusCode, String) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let resp = r.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

/// Regression (issue 16.3): the API's bodies have an explicit limit, answered
/// 413 and counted, instead of axum's implicit 2 MiB.
#[tokio::test]
async fn bodies_over_the_limit_get_413_and_are_counted() {
    let clock = Clock::manual(T0);
    let (cfg, _) = parse_alertmanager(
        &Files::Embedded(&[]),
        std::path::Path::new("alertmanager.yml"),
        "alertmanager.yml",
        "route:\n  receiver: web\nreceivers:\n  - name: web\n".into(),
    )
    .unwrap();
    let state = super::AmState::new(
        Alertmanager::start(&cfg, clock, AlertmanagerOptions::default()).unwrap(),
    );
    let r = super::router(state.clone());
    // 3 MiB of valid alerts: above axum's old implicit limit, within ours.
    let one = r#"{"labels":{"alertname":"Big","i":"IDX","pad":"PAD"}}"#;
    let pad = "x".repeat(1000);
    let alerts: Vec<String> = (0..3000)
        .map(|i| one.replace("IDX", &i.to_string()).replace("PAD", &pad))
        .collect();
    let body = format!("[{}]", alerts.join(","));
    assert!(body.len() > 3 << 20);
    assert_eq!(
        call(&r, "POST", "/api/v2/alerts", &body).await.0,
        StatusCode::OK
    );
    let huge = " ".repeat(super::AM_BODY_BYTES + 1);
    for path in ["/api/v2/alerts", "/api/v2/silences"] {
        let (code, text) = call(&r, "POST", path, &huge).await;
        assert_eq!(code, StatusCode::PAYLOAD_TOO_LARGE, "{path}: {text}");
    }
    assert_eq!(state.too_large.get(), 2);
}

#[tokio::test]
async fn post_and_get_alerts() {
    let r = router();
    let (code, body) = call(
        &r,
        "POST",
        "/api/v2/alerts",
        r#"[{"labels":{"alertname":"X"},"startsAt":"2026-11-24T10:00:00Z","generatorURL":"http://g"},{"labels":{"alertname":"Y","team":"db"}}]"#,
    )
    .await;
    assert_eq!((code, body.as_str()), (StatusCode::OK, ""));
    let (code, body) = call(&r, "GET", "/api/v2/alerts", "").await;
    assert_eq!(code, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let x = &v[1];
    assert_eq!(x["fingerprint"], "d2aeefc389ca7746");
    assert_eq!(x["startsAt"], "2026-11-24T10:00:00.000Z");
    assert_eq!(x["endsAt"], "2026-11-24T10:05:00.000Z", "resolve_timeout");
    assert_eq!(x["receivers"][0]["name"], "web");
    assert_eq!(x["status"]["state"], "active");
    assert_eq!(x["generatorURL"], "http://g");
    assert!(v[0].get("generatorURL").is_none());
    let (_, body) = call(&r, "GET", "/api/v2/alerts?filter=team%3D%22db%22", "").await;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    assert_eq!(v[0]["receivers"][0]["name"], "db");
    let (_, body) = call(&r, "GET", "/api/v2/alerts?receiver=web", "").await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (code, body) = call(&r, "GET", "/api/v2/alerts?filter=%7Bteam", "").await;
    assert_eq!(code, StatusCode::BAD_REQUEST, "{body}");
    let (code, body) = call(&r, "GET", "/api/v2/alerts/groups", "").await;
    assert_eq!(code, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v[0]["labels"]["alertname"], "X");
    assert_eq!(v[0]["receiver"]["name"], "web");
}

#[tokio::test]
async fn bad_alerts_get_alertmanagers_messages() {
    let r = router();
    let (code, body) = call(
        &r,
        "POST",
        "/api/v2/alerts",
        r#"[{"labels":{"a":"1"}},{"annotations":{}}]"#,
    )
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        r#"{"code":602,"message":"1.labels in body is required"}"#
    );
    let (code, body) = call(&r, "POST", "/api/v2/alerts", "").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("alerts in body is required"), "{body}");
    let (code, body) = call(&r, "POST", "/api/v2/alerts", "[{").await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(
        body.contains("parsing alerts body from \\\"\\\" failed, because"),
        "{body}"
    );
    let (code, body) = call(
        &r,
        "POST",
        "/api/v2/alerts",
        r#"[{"labels":{"a":"1"},"startsAt":"2026-11-24T10:00:00Z","endsAt":"2026-11-24T09:00:00Z"},{"labels":{}},{"labels":{"ok":"1"}}]"#,
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        r#""start time must be before end time; at least one label pair required""#
    );
    // The valid one was stored anyway.
    let (_, body) = call(&r, "GET", "/api/v2/alerts", "").await;
    assert!(body.contains(r#""ok":"1""#), "{body}");
    let (code, body) = call(&r, "POST", "/api/v2/alerts", r#"[{"labels":{"1x":"a"}}]"#).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert_eq!(body, r#""invalid label set: invalid name \"1x\"""#);
}

#[tokio::test]
async fn silences_lifecycle_and_errors() {
    let r = router();
    let sil = r#"{"matchers":[{"name":"alertname","value":"X","isRegex":false}],"startsAt":"2026-11-24T09:00:00Z","endsAt":"2026-11-24T11:00:00Z","createdBy":"me","comment":"c"}"#;
    let (code, body) = call(&r, "POST", "/api/v2/silences", sil).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["silenceID"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, body) = call(&r, "GET", &format!("/api/v2/silence/{id}"), "").await;
    assert_eq!(code, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["status"]["state"], "active");
    assert_eq!(v["startsAt"], "2026-11-24T10:00:00.000Z", "moved to now");
    assert_eq!(v["matchers"][0]["isEqual"], true);
    let (_, body) = call(&r, "GET", "/api/v2/silences?filter=alertname%3DX", "").await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body)
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (_, body) = call(&r, "GET", "/api/v2/silences?filter=alertname%3DY", "").await;
    assert_eq!(body, "[]");
    let (code, _) = call(&r, "DELETE", &format!("/api/v2/silence/{id}"), "").await;
    assert_eq!(code, StatusCode::OK);
    let (_, body) = call(&r, "GET", &format!("/api/v2/silence/{id}"), "").await;
    assert!(body.contains(r#""state":"expired""#), "{body}");
    let (code, body) = call(&r, "GET", "/api/v2/silence/nope", "").await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let unknown = "9c2a6d9e-0000-4000-8000-000000000000";
    let (code, body) = call(&r, "GET", &format!("/api/v2/silence/{unknown}"), "").await;
    assert_eq!((code, body.as_str()), (StatusCode::NOT_FOUND, ""));
    let (code, body) = call(&r, "DELETE", &format!("/api/v2/silence/{unknown}"), "").await;
    assert_eq!(
        (code, body.as_str()),
        (StatusCode::INTERNAL_SERVER_ERROR, r#""silence not found""#)
    );

    let (code, body) = call(
        &r,
        "POST",
        "/api/v2/silences",
        &sil.replace(r#","createdBy":"me""#, ""),
    )
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body,
        r#"{"code":602,"message":"createdBy in body is required"}"#
    );
    let (code, body) = call(
        &r,
        "POST",
        "/api/v2/silences",
        &sil.replace(r#","isRegex":false"#, ""),
    )
    .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("matchers.0.isRegex in body is required"),
        "{body}"
    );
    let (code, body) = call(
        &r,
        "POST",
        "/api/v2/silences",
        &sil.replace("11:00:00Z", "08:00:00Z"),
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        r#""Failed to create silence: start time must be before end time""#
    );
    let (code, body) = call(
        &r,
        "POST",
        "/api/v2/silences",
        &sil.replace(
            r#""value":"X","isRegex":false"#,
            r#""value":".*","isRegex":true"#,
        ),
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert_eq!(
        body,
        r#""silence invalid: at least one matcher must not match the empty string""#
    );
    let (code, body) = call(
        &r,
        "POST",
        "/api/v2/silences",
        &sil.replace(
            r#""value":"X","isRegex":false"#,
            r#""value":"(","isRegex":true"#,
        ),
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(
        body.starts_with(
            r#""silence invalid: invalid label matcher 0: invalid regular expression"#
        ),
        "{body}"
    );
}

#[tokio::test]
async fn status_receivers_and_v1() {
    let r = router();
    let (code, body) = call(&r, "GET", "/api/v2/status", "").await;
    assert_eq!(code, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["cluster"]["status"], "disabled");
    assert_eq!(v["versionInfo"]["version"], "0.25.0");
    assert!(
        v["config"]["original"]
            .as_str()
            .unwrap()
            .contains("receiver: web")
    );
    assert_eq!(v["uptime"], "2026-11-24T10:00:00.000Z");
    let (_, body) = call(&r, "GET", "/api/v2/receivers", "").await;
    assert_eq!(body, r#"[{"name":"web"},{"name":"db"}]"#);
    let (code, body) = call(&r, "GET", "/api/v1/alerts", "").await;
    assert_eq!(code, StatusCode::GONE);
    assert!(body.contains("deprecated"));
    let (code, body) = call(&r, "GET", "/outpost/v1/notifications?receiver=web", "").await;
    assert_eq!((code, body.as_str()), (StatusCode::OK, "[]"));
    let (code, body) = call(&r, "GET", "/metrics", "").await;
    assert_eq!(code, StatusCode::OK);
    assert!(
        body.contains("alertmanager_notifications_failed_total{integration=\"webhook\"} 0"),
        "{body}"
    );
}

#[tokio::test]
async fn bool_params_bind_as_go_swagger_does() {
    let r = router();
    let (code, _) = call(
        &r,
        "POST",
        "/api/v2/alerts",
        r#"[{"labels":{"alertname":"X"}}]"#,
    )
    .await;
    assert_eq!(code, StatusCode::OK);
    let count = |body: &str| {
        serde_json::from_str::<serde_json::Value>(body)
            .unwrap()
            .as_array()
            .unwrap()
            .len()
    };
    // `swag.ConvertBool` never fails: unknown words are false ...
    for q in ["active=x", "active=false", "active=0", "active=nope"] {
        let (code, body) = call(&r, "GET", &format!("/api/v2/alerts?{q}"), "").await;
        assert_eq!(code, StatusCode::OK, "{q}: {body}");
        assert_eq!(count(&body), 0, "{q}");
    }
    // ... an empty value keeps the default (true), and truthy words are true.
    for q in [
        "active=",
        "active=yes",
        "active=ON",
        "active=enabled",
        "active=T",
    ] {
        let (code, body) = call(&r, "GET", &format!("/api/v2/alerts?{q}"), "").await;
        assert_eq!(code, StatusCode::OK, "{q}: {body}");
        assert_eq!(count(&body), 1, "{q}");
    }
    let (code, body) = call(&r, "GET", "/api/v2/alerts/groups?muted=x", "").await;
    assert_eq!((code, count(&body)), (StatusCode::OK, 1), "{body}");
    // An empty `receiver` is no filter (go-swagger leaves the param unset).
    let (code, body) = call(&r, "GET", "/api/v2/alerts?receiver=", "").await;
    assert_eq!((code, count(&body)), (StatusCode::OK, 1), "{body}");
}

#[tokio::test]
async fn negative_only_and_zero_start_silences_are_accepted() {
    let r = router();
    // `amtool silence add 'env!="prod"'`.
    let sil = r#"{"matchers":[{"name":"env","value":"prod","isRegex":false,"isEqual":false}],"startsAt":"2026-11-24T10:00:00Z","endsAt":"2026-11-24T11:00:00Z","createdBy":"me","comment":"c"}"#;
    let (code, body) = call(&r, "POST", "/api/v2/silences", sil).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    // A zero start moves to now.
    let sil = r#"{"matchers":[{"name":"a","value":".*","isRegex":true},{"name":"b","value":"x","isRegex":false,"isEqual":false}],"startsAt":"0001-01-01T00:00:00Z","endsAt":"2026-11-24T11:00:00Z","createdBy":"me","comment":"c"}"#;
    let (code, body) = call(&r, "POST", "/api/v2/silences", sil).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let id = serde_json::from_str::<serde_json::Value>(&body).unwrap()["silenceID"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, body) = call(&r, "GET", &format!("/api/v2/silence/{id}"), "").await;
    assert_eq!(code, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["startsAt"], "2026-11-24T10:00:00.000Z");
    assert_eq!(v["status"]["state"], "active");
}

/// A prometheus.yml with a secret in every kind of secret field.
const PROM_WITH_SECRETS: &str = "global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: basic\n    basic_auth: {username: u, password: prom-basic-leak}\n    static_configs: [{targets: ['h:1']}]\n  - job_name: authz\n    authorization:\n      type: Bearer\n      credentials: \"prom-authz-leak\"\n    static_configs: [{targets: ['h:2']}]\n  - job_name: bearer\n    bearer_token: prom-bearer-leak\n    static_configs: [{targets: ['h:3']}]\n  - job_name: oauth\n    oauth2:\n      client_id: id\n      client_secret: prom-oauth-leak\n      token_url: http://t/token\n    static_configs: [{targets: ['h:4']}]\n  - job_name: consul\n    consul_sd_configs: [{server: 'c:8500', token: prom-consul-leak}]\nalerting:\n  alertmanagers:\n    - basic_auth: {username: a, password: prom-alerting-leak}\n      static_configs: [{targets: ['am:9093']}]\nremote_write:\n  - url: http://rw/api/v1/write\n    authorization: {credentials: prom-rw-leak}\n    sigv4: {region: eu-west-1, access_key: AK, secret_key: prom-sigv4-leak}\nremote_read:\n  - url: http://rr/api/v1/read\n    basic_auth: {username: r, password: prom-rr-leak}\n";

/// An alertmanager.yml with a secret in every kind of secret field.
const AM_WITH_SECRETS: &str = "global:\n  smtp_smarthost: 'mail:25'\n  smtp_from: a@b\n  smtp_auth_password: am-smtp-leak\n  slack_api_url: https://hooks.slack.com/services/am-slack-global-leak\n  opsgenie_api_key: am-opsgenie-global-leak\nroute:\n  receiver: web\nreceivers:\n  - name: web\n    webhook_configs:\n      - url: http://hook/am-webhook-url\n        http_config: {basic_auth: {username: u, password: am-http-leak}}\n  - name: pd\n    pagerduty_configs: [{routing_key: am-pd-leak}]\n    slack_configs: [{api_url: 'https://hooks.slack.com/services/am-slack-leak', channel: '#c'}]\n    email_configs: [{to: x@y, auth_password: am-email-leak}]\n    telegram_configs: [{bot_token: am-telegram-leak, chat_id: 1}]\n    pushover_configs: [{user_key: am-pushover-user-leak, token: am-pushover-token-leak}]\n    discord_configs: [{webhook_url: 'https://discord/am-discord-leak'}]\n    msteams_configs: [{webhook_url: 'https://teams/am-teams-leak'}]\n    rocketchat_configs: [{token: am-rc-leak, token_id: am-rc-id-leak}]\n    mattermost_configs: [{webhook_url: 'https://mm/am-mm-leak'}]\n    incidentio_configs: [{url: 'https://iio/am-iio-leak', alert_source_token: am-iio-token-leak}]\n";

/// Issue 16.4: `/api/v1/status/config` served prometheus.yml verbatim
/// (`password: hunter2`); neither status endpoint may show a secret.
#[tokio::test]
async fn status_endpoints_never_show_secret_values() {
    let clock = Clock::manual(T0);
    let files = Files::Embedded(&[]);
    let path = std::path::Path::new("prometheus.yml");
    let (prom, _) =
        outpost_config::parse_prometheus(&files, path, "prometheus.yml", PROM_WITH_SECRETS.into())
            .unwrap();
    let (am_cfg, _) = parse_alertmanager(
        &files,
        std::path::Path::new("alertmanager.yml"),
        "alertmanager.yml",
        AM_WITH_SECRETS.into(),
    )
    .unwrap();
    let stack = outpost_config::Stack {
        prometheus: Some(prom),
        alertmanager: Some(am_cfg.clone()),
        ..Default::default()
    };
    let prom_r = crate::prom::router(crate::test_util::prom_state(clock.clone(), stack));
    let alertmanager = Alertmanager::start(&am_cfg, clock, AlertmanagerOptions::default()).unwrap();
    let am_r = super::router(super::AmState::new(alertmanager));

    let (code, body) = call(&prom_r, "GET", "/api/v1/status/config", "").await;
    assert_eq!(code, StatusCode::OK);
    assert!(!body.contains("-leak"), "a secret leaked: {body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let yaml: serde_json::Value =
        serde_saphyr::from_str(v["data"]["yaml"].as_str().unwrap()).unwrap();
    let jobs = &yaml["scrape_configs"];
    assert_eq!(jobs[0]["basic_auth"]["password"], "<secret>");
    assert_eq!(jobs[0]["basic_auth"]["username"], "u");
    assert_eq!(jobs[1]["authorization"]["credentials"], "<secret>");
    assert_eq!(jobs[1]["authorization"]["type"], "Bearer");
    assert_eq!(
        jobs[2]["authorization"]["credentials"], "<secret>",
        "bearer_token, as upstream serves it"
    );
    assert_eq!(jobs[3]["oauth2"]["client_secret"], "<secret>");
    assert_eq!(jobs[3]["oauth2"]["token_url"], "http://t/token");
    assert_eq!(
        jobs[4]["consul_sd_configs"],
        outpost_config::UNMODELLED_TOKEN,
        "a discovery outpost does not run is not shown"
    );
    let am0 = &yaml["alerting"]["alertmanagers"][0];
    assert_eq!(am0["basic_auth"]["password"], "<secret>");
    assert_eq!(
        yaml["remote_write"][0]["authorization"]["credentials"],
        "<secret>"
    );
    assert_eq!(yaml["remote_write"][0]["sigv4"]["secret_key"], "<secret>");
    assert_eq!(yaml["remote_write"][0]["sigv4"]["access_key"], "AK");
    assert_eq!(yaml["remote_read"][0]["basic_auth"]["password"], "<secret>");
    assert_eq!(yaml["global"]["scrape_interval"], "15s");

    let (code, body) = call(&am_r, "GET", "/api/v2/status", "").await;
    assert_eq!(code, StatusCode::OK);
    assert!(!body.contains("-leak"), "a secret leaked: {body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let yaml: serde_json::Value =
        serde_saphyr::from_str(v["config"]["original"].as_str().unwrap()).unwrap();
    let g = &yaml["global"];
    for key in ["smtp_auth_password", "slack_api_url", "opsgenie_api_key"] {
        assert_eq!(g[key], "<secret>", "{key}");
    }
    assert_eq!(g["smtp_from"], "a@b");
    let web = &yaml["receivers"][0]["webhook_configs"][0];
    assert_eq!(web["url"], "http://hook/am-webhook-url", "plain in 0.25");
    assert_eq!(web["http_config"]["basic_auth"]["password"], "<secret>");
    let pd = &yaml["receivers"][1];
    assert_eq!(pd["pagerduty_configs"][0]["routing_key"], "<secret>");
    assert_eq!(pd["slack_configs"][0]["api_url"], "<secret>");
    assert_eq!(pd["slack_configs"][0]["channel"], "#c");
    assert_eq!(pd["email_configs"][0]["auth_password"], "<secret>");
    assert_eq!(pd["telegram_configs"][0]["bot_token"], "<secret>");
    assert_eq!(pd["pushover_configs"][0]["user_key"], "<secret>");
    assert_eq!(pd["pushover_configs"][0]["token"], "<secret>");
    assert_eq!(pd["discord_configs"][0]["webhook_url"], "<secret>");
    assert_eq!(pd["msteams_configs"][0]["webhook_url"], "<secret>");
    for kind in [
        "rocketchat_configs",
        "mattermost_configs",
        "incidentio_configs",
    ] {
        assert_eq!(pd[kind], outpost_config::UNMODELLED_TOKEN, "{kind}");
    }
}
