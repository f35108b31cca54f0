//! Data-driven golden tests: `tests/golden.yaml` lists template cases with
//! their expected output or error.
//!
//! Modes:
//! - `am`: rendered as an inline text through [`TemplateSet::render_text`]
//!   against Alertmanager data (the file's `am_data` unless the case has
//!   `data`). Expected values of these cases come from Debian's amtool 0.25
//!   (`amtool template render`) unless the case says `oracle: none`.
//! - `prom`: expanded as a Prometheus alert annotation through [`expand`] with
//!   the file's `prom` context (`value` may be overridden). Expected values
//!   come from Debian's promtool 2.42 (`promtool test rules`) unless the case
//!   says `oracle: none`.
//! - `engine`: a bare [`Template`] with `data` (JSON) as dot, the Prometheus
//!   function set and `missingkey` as given; hand-checked against Go's rules.
//!
//! `GOLDEN_DUMP=1` prints every case's actual output.

use std::collections::BTreeMap;
use std::sync::Arc;

use outpost_template::{
    AlertContext, Data, Querier, Sample, Template, TemplateSet, Value, expand, prometheus_funcs,
};
use serde::Deserialize;

#[derive(Deserialize)]
struct File {
    am_data: serde_json::Value,
    prom: PromCtx,
    cases: Vec<Case>,
}

#[derive(Deserialize, Clone)]
struct PromCtx {
    labels: BTreeMap<String, String>,
    external_labels: BTreeMap<String, String>,
    external_url: String,
    value: f64,
    ts_ms: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    mode: String,
    text: String,
    #[serde(default)]
    data: Option<serde_json::Value>,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    missingkey: Option<String>,
    #[serde(default)]
    expect: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    oracle: Option<String>,
}

struct FakeQuerier;

impl Querier for FakeQuerier {
    fn query(&self, q: &str, _ts_ms: i64) -> Result<Vec<Sample>, String> {
        let s = |inst: &str, v: f64| Sample {
            labels: [
                ("__name__".to_string(), "up".to_string()),
                ("instance".to_string(), inst.to_string()),
            ]
            .into_iter()
            .collect(),
            value: v,
        };
        match q {
            "up" => Ok(vec![s("b:9090", 1.0), s("a:9090", 0.0)]),
            "none" => Ok(vec![]),
            "scalar(1)" => Ok(vec![Sample {
                labels: BTreeMap::new(),
                value: 1.0,
            }]),
            _ => Err(format!("bad query {q:?}")),
        }
    }
}

fn parse_value(s: &str) -> f64 {
    match s {
        "NaN" => f64::NAN,
        "Inf" | "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        s => s.parse().expect("value"),
    }
}

fn run(file: &File, c: &Case) -> Result<String, String> {
    match c.mode.as_str() {
        "am" => {
            let j = c.data.as_ref().unwrap_or(&file.am_data);
            let data = Data::from_json(j)?;
            TemplateSet::new()
                .render_text(&c.text, &data)
                .map_err(|e| e.to_string())
        }
        "prom" => {
            let mut ctx = AlertContext {
                labels: file.prom.labels.clone(),
                external_labels: file.prom.external_labels.clone(),
                external_url: file.prom.external_url.clone(),
                value: file.prom.value,
                ts_ms: file.prom.ts_ms,
                query: Some(Arc::new(FakeQuerier)),
            };
            if let Some(v) = &c.value {
                // the oracle's expression `test_metric * 0 + V` drops the name
                ctx.value = parse_value(v);
                ctx.labels.remove("__name__");
            }
            let out = expand("golden", &c.text, &ctx);
            Ok(out)
        }
        "engine" => {
            let mut t = Template::new("t");
            let ctx = AlertContext {
                query: Some(Arc::new(FakeQuerier)),
                ts_ms: 1_700_000_000_123,
                external_url: "http://prom.example:9090/prefix".into(),
                ..AlertContext::default()
            };
            t.funcs(&prometheus_funcs(&ctx));
            t.missing_key_zero(c.missingkey.as_deref() == Some("zero"));
            t.parse(&c.text).map_err(|e| e.to_string())?;
            let data = c.data.as_ref().map(Value::from).unwrap_or_default();
            t.execute(&data).map_err(|e| e.to_string())
        }
        m => panic!("unknown mode {m}"),
    }
}

#[test]
fn golden_cases() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden.yaml")).unwrap();
    let file: File = serde_saphyr::from_str(&text).unwrap();
    let dump = std::env::var_os("GOLDEN_DUMP").is_some();
    let mut failures = Vec::new();
    let mut names = std::collections::HashSet::new();
    for c in &file.cases {
        assert!(
            names.insert(c.name.clone()),
            "duplicate case name {}",
            c.name
        );
        let _ = &c.oracle;
        let got = run(&file, c);
        if dump {
            println!("== {}\n{:?}", c.name, got);
        }
        let ok = match (&c.expect, &c.error, &got) {
            (Some(e), None, Ok(g)) => e == g,
            (None, Some(e), Err(g)) => e == g,
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "case {}:\n  text: {:?}\n  want: {:?}\n  got:  {:?}",
                c.name,
                c.text,
                c.expect
                    .as_ref()
                    .map_or_else(|| format!("error {:?}", c.error), |e| e.clone()),
                got
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        file.cases.len(),
        failures.join("\n")
    );
    assert!(file.cases.len() > 100, "the table shrank");
}
