//! Renders an inline template against Alertmanager data, like
//! `amtool template render`: `render DATA.json TEXT [FILE...]`. Prints the
//! output, or `error: MSG` and exits 1. Used by `tests/oracle/diff.py`.

use outpost_template::{Data, TemplateSet};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: render DATA.json TEXT [FILE...]");
        std::process::exit(2);
    }
    let json: serde_json::Value =
        match std::fs::read_to_string(&args[1]).map(|s| serde_json::from_str(&s)) {
            Ok(Ok(j)) => j,
            _ => {
                eprintln!("error: cannot read {}", args[1]);
                std::process::exit(2);
            }
        };
    let data = match Data::from_json(&json) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let files: Vec<(String, String)> = args[3..]
        .iter()
        .map(|p| (p.clone(), std::fs::read_to_string(p).unwrap_or_default()))
        .collect();
    let result = TemplateSet::with_files(files).and_then(|set| set.render_text(&args[2], &data));
    match result {
        Ok(s) => print!("{s}"),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
