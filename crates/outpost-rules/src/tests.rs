//! Rule engine tests: the alert state machine, recording rules with
//! staleness, limits, templates, and the manager on a manual clock.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use outpost_clock::Clock;
use outpost_config::{RuleFile, parse_rule_file};
use outpost_promql::{Engine, Value};
use outpost_tsdb::{HeadOptions, Labels, Tsdb, is_stale_nan};

use crate::group::Group;
use crate::rule::{EvalEnv, Health, Kind};
use crate::{AlertSink, AlertState, OutgoingAlert, RuleManager, Settings};

fn rules(text: &str) -> RuleFile {
    parse_rule_file(Path::new("r.yml"), "r.yml", text, crate::check_template)
        .unwrap()
        .0
}

struct Env {
    tsdb: Arc<Tsdb>,
    engine: Arc<Engine>,
    ext: BTreeMap<String, String>,
}

impl Env {
    fn new() -> Env {
        let tsdb = Arc::new(Tsdb::new(HeadOptions::default()));
        let engine = Arc::new(Engine::new(tsdb.clone(), Default::default()));
        Env {
            tsdb,
            engine,
            ext: [("cluster".to_string(), "c1".to_string())].into(),
        }
    }

    fn put(&self, labels: &[(&str, &str)], t: i64, v: f64) {
        let l = Labels::from_pairs(labels.iter().copied()).unwrap();
        self.tsdb.appender().append_labels(&l, t, v).unwrap();
    }

    fn eval(&self, g: &Group, ts: i64) -> Vec<OutgoingAlert> {
        let env = EvalEnv {
            engine: &self.engine,
            external_labels: &self.ext,
            external_url: "http://outpost:9090",
        };
        g.eval(&env, &self.tsdb, ts, ts, 60_000)
    }

    fn query(&self, q: &str, t: i64) -> Vec<(String, f64)> {
        match self.engine.instant(q, t).unwrap().value {
            Value::Vector(v) => v.into_iter().map(|s| (s.labels.to_string(), s.v)).collect(),
            other => panic!("{other:?}"),
        }
    }
}

fn states(g: &Group) -> Vec<(String, AlertState)> {
    let st = g.lock();
    let mut out = Vec::new();
    for r in &st.rules {
        if let Kind::Alerting(a) = &r.kind {
            for x in a.active.values() {
                out.push((x.labels["alertname"].clone(), x.state));
            }
        }
    }
    out
}

const M: i64 = 60_000;

#[test]
fn pending_then_firing_then_resolved_and_resent() {
    let env = Env::new();
    let f = rules(
        "groups:\n- name: g\n  rules:\n  - alert: Down\n    expr: up == 0\n    for: 2m\n    labels: {severity: page, instance: '{{ $labels.instance }}-x'}\n    annotations: {summary: '{{ $labels.instance }} down, value {{ $value }}'}\n",
    );
    let g = Group::new(&f.groups[0], M, 0);
    for i in 0..=4 {
        env.put(&[("__name__", "up"), ("instance", "a")], i * M, 0.0);
    }
    assert!(env.eval(&g, 0).is_empty(), "pending alerts are not sent");
    assert_eq!(states(&g), vec![("Down".into(), AlertState::Pending)]);
    assert!(env.eval(&g, M).is_empty());
    let sent = env.eval(&g, 2 * M);
    assert_eq!(states(&g), vec![("Down".into(), AlertState::Firing)]);
    assert_eq!(sent.len(), 1);
    let a = &sent[0];
    assert_eq!(a.labels["instance"], "a-x");
    assert_eq!(a.labels["severity"], "page");
    assert_eq!(a.annotations["summary"], "a down, value 0");
    assert_eq!(a.starts_at_ms, 2 * M);
    assert_eq!(a.ends_at_ms, 2 * M + 4 * M);
    assert_eq!(
        a.generator_url,
        "http://outpost:9090/graph?g0.expr=up+%3D%3D+0&g0.tab=1"
    );
    // ALERTS carries the rule's raw labels overlaid by the alert labels.
    let alerts = env.query("ALERTS", 2 * M);
    assert_eq!(alerts.len(), 1);
    assert!(alerts[0].0.contains(r#"alertstate="firing""#), "{alerts:?}");
    assert_eq!(env.query("ALERTS_FOR_STATE", 2 * M)[0].1, 0.0);
    // Steady firing: re-sent only when the resend delay has passed.
    assert!(env.eval(&g, 3 * M).is_empty());
    assert_eq!(env.eval(&g, 4 * M).len(), 1);
    // The condition clears: resolved, sent at once with endsAt = resolve time.
    env.put(&[("__name__", "up"), ("instance", "a")], 5 * M, 1.0);
    let sent = env.eval(&g, 5 * M);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].ends_at_ms, 5 * M);
    assert_eq!(states(&g), vec![("Down".into(), AlertState::Inactive)]);
    // ALERTS went stale.
    assert!(env.query("ALERTS", 5 * M).is_empty());
    // Kept (and re-sent) for 15 minutes, then dropped.
    let mut resent = 0;
    for i in 6..=21 {
        env.put(&[("__name__", "up"), ("instance", "a")], i * M, 1.0);
        resent += env.eval(&g, i * M).len();
    }
    assert!(
        resent >= 7,
        "resolved alerts are re-sent on the resend schedule: {resent}"
    );
    assert!(states(&g).is_empty(), "dropped after 15m: {:?}", states(&g));
}

#[test]
fn pending_alert_that_clears_is_dropped_without_sending() {
    let env = Env::new();
    let f = rules("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: x > 0\n    for: 5m\n");
    let g = Group::new(&f.groups[0], M, 0);
    env.put(&[("__name__", "x")], 0, 1.0);
    env.eval(&g, 0);
    env.put(&[("__name__", "x")], M, 0.0);
    assert!(env.eval(&g, M).is_empty());
    assert!(states(&g).is_empty());
}

#[test]
fn keep_firing_for_holds_a_firing_alert() {
    let env = Env::new();
    let f = rules(
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: x > 0\n    keep_firing_for: 2m\n",
    );
    let g = Group::new(&f.groups[0], M, 0);
    env.put(&[("__name__", "x")], 0, 1.0);
    env.eval(&g, 0);
    assert_eq!(states(&g), vec![("A".into(), AlertState::Firing)]);
    env.put(&[("__name__", "x")], M, 0.0);
    env.eval(&g, M);
    assert_eq!(states(&g), vec![("A".into(), AlertState::Firing)]);
    env.put(&[("__name__", "x")], 2 * M, 0.0);
    env.eval(&g, 2 * M);
    assert_eq!(states(&g), vec![("A".into(), AlertState::Firing)]);
    env.put(&[("__name__", "x")], 3 * M, 0.0);
    env.eval(&g, 3 * M);
    assert_eq!(states(&g), vec![("A".into(), AlertState::Inactive)]);
}

#[test]
fn recording_rules_write_back_and_go_stale() {
    let env = Env::new();
    let f = rules(
        "groups:\n- name: g\n  rules:\n  - record: job:x:sum\n    expr: sum by (job) (x)\n    labels: {team: a}\n  - record: job:x:double\n    expr: job:x:sum * 2\n",
    );
    let g = Group::new(&f.groups[0], M, 0);
    env.put(&[("__name__", "x"), ("job", "j"), ("i", "1")], 0, 1.0);
    env.put(&[("__name__", "x"), ("job", "j"), ("i", "2")], 0, 2.0);
    env.eval(&g, 0);
    assert_eq!(
        env.query("job:x:sum", 0),
        vec![(r#"job:x:sum{job="j", team="a"}"#.to_string(), 3.0)]
    );
    // A later rule sees the earlier rule's output of the same evaluation.
    assert_eq!(env.query("job:x:double", 0)[0].1, 6.0);
    // The input disappears: the outputs get staleness markers.
    env.eval(&g, 10 * M);
    let sel = env.tsdb.select(
        &[outpost_tsdb::Matcher::equal("__name__", "job:x:sum")],
        0,
        10 * M,
    );
    let last = sel[0].samples().last().unwrap();
    assert_eq!(last.0, 10 * M);
    assert!(is_stale_nan(last.1));
}

#[test]
fn failing_rules_report_errors_and_others_go_on() {
    let env = Env::new();
    let f = rules(
        "groups:\n- name: g\n  limit: 1\n  rules:\n  - record: dup\n    expr: x\n    labels: {i: same}\n  - record: many\n    expr: x\n  - record: fine\n    expr: vector(1)\n",
    );
    let g = Group::new(&f.groups[0], M, 0);
    env.put(&[("__name__", "x"), ("i", "1")], 0, 1.0);
    env.put(&[("__name__", "x"), ("i", "2")], 0, 2.0);
    env.eval(&g, 0);
    let st = g.lock();
    assert_eq!(st.rules[0].status.health, Health::Err);
    assert_eq!(
        st.rules[0].status.last_error.as_deref(),
        Some("vector contains metrics with the same labelset after applying rule labels")
    );
    assert_eq!(
        st.rules[1].status.last_error.as_deref(),
        Some("exceeded limit of 1 with 2 series")
    );
    assert_eq!(st.rules[2].status.health, Health::Ok);
    drop(st);
    assert_eq!(env.query("fine", 0).len(), 1);
}

#[test]
fn template_errors_show_in_the_annotation_and_evaluation_goes_on() {
    let env = Env::new();
    let f = rules(
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: vector(1)\n    annotations: {s: '{{ humanize \"x\" }}', q: '{{ with query \"vector(42)\" }}{{ . | first | value }}{{ end }}'}\n",
    );
    let g = Group::new(&f.groups[0], M, 0);
    let sent = env.eval(&g, 0);
    assert!(
        sent[0].annotations["s"].starts_with("<error expanding template: "),
        "{:?}",
        sent[0].annotations
    );
    assert_eq!(sent[0].annotations["q"], "42");
    assert_eq!(g.lock().rules[0].status.health, Health::Ok);
}

#[derive(Default)]
struct Capture(Mutex<Vec<OutgoingAlert>>);

impl AlertSink for Capture {
    fn send(&self, alerts: Vec<OutgoingAlert>) {
        self.0.lock().unwrap().extend(alerts);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_clock_past_for_fires_at_once() {
    let clock = Clock::manual(1_000_000_000);
    let env = Env::new();
    let sink = Arc::new(Capture::default());
    let m = RuleManager::new(
        clock.clone(),
        env.tsdb.clone(),
        env.engine.clone(),
        Some(sink.clone()),
    );
    let f = rules(
        "groups:\n- name: g\n  interval: 15s\n  rules:\n  - alert: Always\n    expr: vector(1)\n    for: 10m\n",
    );
    m.update(Settings::default(), &[f]);
    // First slot: the alert turns pending.
    clock.advance(Duration::from_secs(15)).unwrap();
    wait_until(|| m.stats().iterations >= 1).await;
    let state = |m: &RuleManager| m.groups()[0].rules[0].alerting.clone().unwrap().state;
    assert_eq!(state(&m), Some(AlertState::Pending));
    // One jump past `for`: the next evaluation (at the newest slot) fires.
    clock.advance(Duration::from_secs(11 * 60)).unwrap();
    wait_until(|| m.stats().iterations >= 2).await;
    assert_eq!(state(&m), Some(AlertState::Firing));
    assert!(m.stats().missed > 0, "skipped slots are counted");
    // The batch is handed over right after the evaluation that fired it.
    wait_until(|| !sink.0.lock().unwrap().is_empty()).await;
    assert_eq!(sink.0.lock().unwrap().len(), 1);
    m.stop();
}

async fn wait_until(mut f: impl FnMut() -> bool) {
    for _ in 0..500 {
        if f() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("condition not reached");
}

fn last_sample(env: &Env, name: &str) -> (i64, f64) {
    let sel = env.tsdb.select(
        &[outpost_tsdb::Matcher::equal("__name__", name)],
        0,
        i64::MAX,
    );
    sel[0].samples().last().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_group_goes_stale_two_intervals_later() {
    let clock = Clock::manual(1_000_000_000);
    let env = Env::new();
    let m = RuleManager::new(clock.clone(), env.tsdb.clone(), env.engine.clone(), None);
    let f = rules(
        "groups:\n- name: g\n  interval: 10s\n  rules:\n  - record: one\n    expr: vector(1)\n",
    );
    m.update(Settings::default(), &[f]);
    clock.advance(Duration::from_secs(10)).unwrap();
    wait_until(|| m.stats().iterations >= 1).await;
    let (t_eval, v) = last_sample(&env, "one");
    assert_eq!(v, 1.0);
    m.update(Settings::default(), &[]);
    clock.advance(Duration::from_secs(25)).unwrap();
    wait_until(|| is_stale_nan(last_sample(&env, "one").1)).await;
    let (t_stale, _) = last_sample(&env, "one");
    assert!(t_stale > t_eval + 20_000, "{t_eval} {t_stale}");
}

#[test]
fn reload_that_removes_a_rule_marks_its_series_stale() {
    let env = Env::new();
    let old = Group::new(
        &rules("groups:\n- name: g\n  rules:\n  - record: a\n    expr: vector(1)\n  - record: b\n    expr: vector(2)\n").groups[0],
        M,
        0,
    );
    env.eval(&old, 0);
    let new = Group::new(
        &rules("groups:\n- name: g\n  rules:\n  - record: a\n    expr: vector(1)\n").groups[0],
        M,
        0,
    );
    new.copy_state_from(&old);
    env.eval(&new, M);
    assert_eq!(last_sample(&env, "a"), (M, 1.0));
    let (t, v) = last_sample(&env, "b");
    assert_eq!(t, M);
    assert!(is_stale_nan(v));
}

#[test]
fn raising_for_on_reload_sends_a_firing_alert_back_to_pending() {
    let env = Env::new();
    let old = Group::new(
        &rules("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: vector(1)\n    for: 1m\n")
            .groups[0],
        M,
        0,
    );
    env.eval(&old, 0);
    env.eval(&old, M);
    assert_eq!(states(&old), vec![("A".into(), AlertState::Firing)]);
    let new = Group::new(
        &rules("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: vector(1)\n    for: 10m\n")
            .groups[0],
        M,
        0,
    );
    new.copy_state_from(&old);
    env.eval(&new, 2 * M);
    assert_eq!(states(&new), vec![("A".into(), AlertState::Pending)]);
    env.eval(&new, 10 * M);
    assert_eq!(states(&new), vec![("A".into(), AlertState::Firing)]);
}

#[test]
fn template_syntax_errors_fail_at_load_as_promtool_reports_them() {
    let err = parse_rule_file(
        Path::new("r.yml"),
        "r.yml",
        "groups:\n  - name: g\n    rules:\n      - alert: Bad\n        expr: up == 0\n        labels:\n          sev: \"{{ nosuch }}\"\n        annotations:\n          summary: \"{{ $labels.x \"\n",
        crate::check_template,
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(r#"group "g", rule 1, "Bad": label "sev": template: __alert_Bad:1: function "nosuch" not defined"#),
        "{err}"
    );
    assert!(
        err.contains(r#"group "g", rule 1, "Bad": annotation "summary": template: __alert_Bad:1: unclosed action"#),
        "{err}"
    );
}
