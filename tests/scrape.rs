//! Scraping through the real binary: file_sd picks up a target written after
//! start, the manual clock drives the scrapes, and the targets, series and
//! labels endpoints show the result in Prometheus' shape.

mod common;

use std::time::Duration;

use common::{Outpost, get, post};
use serde_json::Value;

fn json(url: &str) -> Value {
    let (code, body) = get(url);
    assert_eq!(code, 200, "{url}: {body}");
    serde_json::from_str(&body).unwrap()
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    for _ in 0..500 {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn file_sd_target_is_scraped_on_the_manual_clock() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("prometheus")).unwrap();
    std::fs::write(
        dir.path().join("prometheus/prometheus.yml"),
        "global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: self\n    file_sd_configs:\n      - files: ['targets/*.json']\n    relabel_configs:\n      - source_labels: [__address__]\n        regex: 'drop-me.*'\n        action: drop\n",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("prometheus/targets")).unwrap();
    let op = Outpost::start(&[
        dir.path().to_str().unwrap(),
        "--clock",
        "manual",
        "--clock.start",
        "2026-03-01T00:00:00Z",
    ]);
    let base = op.url("prometheus");
    let addr = &op.ports["prometheus"];
    std::fs::write(
        dir.path().join("prometheus/targets/self.json"),
        format!(r#"[{{"targets": ["{addr}", "drop-me:1"], "labels": {{"team": "platform"}}}}]"#),
    )
    .unwrap();
    // The file is picked up by the first discovery poll or the next one (5s of
    // clock time later); the target's first scrape comes within one interval.
    post(&format!("{base}/outpost/v1/clock/advance?by=6s"));
    wait_for("target discovered", || {
        json(&format!("{base}/api/v1/targets"))["data"]["activeTargets"]
            .as_array()
            .is_some_and(|a| a.len() == 1)
    });
    let t = json(&format!("{base}/api/v1/targets"));
    assert_eq!(t["data"]["droppedTargets"].as_array().unwrap().len(), 1);
    assert_eq!(t["data"]["droppedTargetCounts"]["self"], 1);

    post(&format!("{base}/outpost/v1/clock/advance?by=15s"));
    wait_for("first scrape", || {
        json(&format!("{base}/api/v1/targets"))["data"]["activeTargets"][0]["health"] == "up"
    });
    let t = json(&format!("{base}/api/v1/targets?state=active"));
    let target = &t["data"]["activeTargets"][0];
    assert_eq!(target["labels"]["job"], "self");
    assert_eq!(target["labels"]["team"], "platform");
    assert_eq!(target["labels"]["instance"], addr.as_str());
    assert_eq!(target["scrapeUrl"], format!("http://{addr}/metrics"));
    assert_eq!(target["lastError"], "");
    assert!(
        target["lastScrape"]
            .as_str()
            .unwrap()
            .starts_with("2026-03-01T00:00:")
    );
    assert!(t["data"].get("droppedTargets").is_none());

    let series = json(&format!(
        "{base}/api/v1/series?match[]=up&match[]=outpost_build_info"
    ));
    let list = series["data"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{series}");
    assert!(
        list.iter()
            .any(|s| s["__name__"] == "up" && s["job"] == "self" && s["team"] == "platform")
    );
    let names = json(&format!("{base}/api/v1/label/__name__/values"));
    let names: Vec<&str> = names["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for n in [
        "up",
        "scrape_duration_seconds",
        "scrape_samples_scraped",
        "outpost_http_requests_total",
    ] {
        assert!(names.contains(&n), "{n} missing from {names:?}");
    }
    let labels = json(&format!("{base}/api/v1/labels?match[]=up"));
    assert_eq!(
        labels["data"],
        serde_json::json!(["__name__", "instance", "job", "team"])
    );
    let limited = json(&format!("{base}/api/v1/label/__name__/values?limit=2"));
    assert_eq!(limited["data"].as_array().unwrap().len(), 2);
    assert_eq!(limited["warnings"][0], "results truncated due to limit");

    let status = json(&format!("{base}/api/v1/status/tsdb?limit=3"));
    let head = &status["data"]["headStats"];
    assert!(head["numSeries"].as_u64().unwrap() > 10, "{status}");
    assert!(head["chunkCount"].as_u64().unwrap() > 10);
    assert_eq!(
        status["data"]["seriesCountByMetricName"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert!(status["data"]["labelValueCountByLabelName"][0]["name"].is_string());

    let (code, body) = get(&format!("{base}/api/v1/series?match[]=sum(up"));
    assert_eq!(code, 400, "{body}");
    assert!(
        body.contains("\"errorType\":\"bad_data\"")
            && body.contains("invalid parameter \\\"match[]\\\""),
        "{body}"
    );
    let (code, body) = get(&format!("{base}/api/v1/series"));
    assert_eq!(code, 400);
    assert!(body.contains("no match[] parameter provided"), "{body}");
    let (code, _) = get(&format!("{base}/api/v1/label/1bad/values"));
    assert_eq!(code, 400);
}
