//! The Alertmanager API through `oneshot`: shapes, status codes and messages.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use outpost_alertmanager::{Alertmanager, AlertmanagerOptions};
use outpost_clock::Clock;
use outpost_config::{Files, parse_alertmanager};
use tower::ServiceExt;

use crate::router_for;

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
    let mut s = crate::tests::state(clock.clone(), true);
    s.alertmanager =
        Some(Alertmanager::start(&cfg, clock, AlertmanagerOptions::default()).unwrap());
    router_for("alertmanager", s)
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
