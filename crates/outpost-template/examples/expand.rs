//! Expands Prometheus alert templates: `expand CASES.json` where the file
//! holds `{"labels":{..},"external_labels":{..},"external_url":"..","cases":
//! [{"text":"..","value":"1.5"}]}`; prints a JSON array of results. Used by
//! `tests/oracle/diff_prom.py`.

use std::collections::BTreeMap;

use outpost_template::{AlertContext, expand};

fn main() {
    let path = std::env::args().nth(1).unwrap_or_default();
    let j: serde_json::Value =
        match std::fs::read_to_string(&path).map(|s| serde_json::from_str(&s)) {
            Ok(Ok(j)) => j,
            _ => {
                eprintln!("error: cannot read {path}");
                std::process::exit(2);
            }
        };
    let map = |k: &str| -> BTreeMap<String, String> {
        j[k].as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let labels = map("labels");
    let mut out = Vec::new();
    for (i, c) in j["cases"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        let mut ctx = AlertContext {
            labels: labels.clone(),
            external_labels: map("external_labels"),
            external_url: j["external_url"].as_str().unwrap_or("").to_string(),
            value: match c["value"].as_str().unwrap_or("0") {
                "NaN" => f64::NAN,
                v => v.parse().unwrap_or(0.0),
            },
            ..AlertContext::default()
        };
        if c.get("nameless").and_then(serde_json::Value::as_bool) == Some(true) {
            ctx.labels.remove("__name__");
        }
        out.push(serde_json::Value::String(expand(
            &format!("C{i}"),
            c["text"].as_str().unwrap_or(""),
            &ctx,
        )));
    }
    println!("{}", serde_json::Value::Array(out));
}
