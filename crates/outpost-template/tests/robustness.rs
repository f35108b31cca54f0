//! Property-style tests: no input makes the engine panic, and deep nesting
//! ends in errors rather than stack overflows.

use std::collections::BTreeMap;

use outpost_template::{
    Alert, AlertContext, Data, Template, TemplateSet, Value, alertmanager_funcs, check, expand,
    prometheus_funcs,
};

/// A small deterministic xorshift generator (no dependency needed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const FRAGMENTS: &[&str] = &[
    "{{",
    "}}",
    "{{- ",
    " -}}",
    "{{/*",
    "*/}}",
    "if ",
    "else ",
    "end",
    "range ",
    "with ",
    "define ",
    "template ",
    "block ",
    "break",
    "continue",
    ".",
    ".A",
    ".B.C",
    ".Labels",
    ".Alerts",
    ".Alerts.Firing",
    ".CommonLabels.Remove",
    "$",
    "$x",
    "$i, $e",
    " := ",
    " = ",
    " | ",
    "(",
    ")",
    "\"s\"",
    "\"%d %s %v %q\"",
    "1",
    "-2",
    "1.5",
    "1e400",
    "0x1F",
    "'a'",
    "`raw`",
    "nil",
    "true",
    ",",
    "printf ",
    "index ",
    "slice ",
    "len ",
    "eq ",
    "ne ",
    "lt ",
    "ge ",
    "and ",
    "or ",
    "not ",
    "print ",
    "println ",
    "html ",
    "js ",
    "urlquery ",
    "call ",
    "humanize ",
    "humanizeDuration ",
    "humanizeTimestamp ",
    "toTime ",
    "query ",
    "first ",
    "label ",
    "value ",
    "sortByLabel ",
    "match ",
    "reReplaceAll ",
    "title ",
    "args ",
    "stripPort ",
    "stripDomain ",
    "parseDuration ",
    "graphLink ",
    " ",
    "\n",
    "text",
    "\u{e9}",
    "\"(\"",
    "\"x\"",
    "\"a\" ",
    "{{ end }}",
    "{{ else }}",
    "{{ define \"t\" }}",
    "{{ template \"t\" . }}",
    "{{ range . }}",
    "{{ if . }}",
    "{{ with . }}",
    "{{ $x := . }}",
    "{{ $x }}",
    ".SortedPairs",
    ".Names",
    "(stringSlice \"a\")",
    "stringSlice ",
    "join ",
    "date ",
    "tz ",
    "since ",
];

fn data() -> Value {
    let mut m = BTreeMap::new();
    m.insert("A".to_string(), Value::Int(3));
    let mut b = BTreeMap::new();
    b.insert(
        "C".to_string(),
        Value::list(vec![Value::Float(1.5), Value::str("x"), Value::Null]),
    );
    m.insert("B".to_string(), Value::map(b));
    m.insert(
        "Labels".to_string(),
        Value::string_map(&BTreeMap::from([("a".to_string(), "b".to_string())])),
    );
    Value::map(m)
}

fn am_data() -> Data {
    let labels: BTreeMap<String, String> = [("alertname", "X"), ("severity", "page")]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let a = Alert {
        status: "firing".into(),
        labels: labels.clone(),
        starts_at_ms: 1_700_000_000_000,
        ..Alert::default()
    };
    Data::build("r", labels, vec![a], "http://am", 1_700_000_100_000)
}

fn run_all(text: &str, prom: &Template, am: &TemplateSet, dot: &Value, d: &Data) {
    let mut t = prom.clone();
    if t.parse(text).is_ok() {
        let _ = t.execute(dot);
        let _ = t.execute(&d.to_value());
    }
    let _ = am.render_text(text, d);
    let _ = am.render_html(text, d);
    let _ = check("r", text);
    let ctx = AlertContext {
        value: 1.5,
        ..AlertContext::default()
    };
    let _ = expand("r", text, &ctx);
}

#[test]
fn random_fragments_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut prom = Template::new("t");
    prom.funcs(&prometheus_funcs(&AlertContext::default()))
        .funcs(&alertmanager_funcs(0));
    let am = TemplateSet::new();
    let dot = data();
    let d = am_data();
    for _ in 0..6000 {
        let n = 1 + rng.below(24);
        let mut s = String::new();
        for _ in 0..n {
            s.push_str(FRAGMENTS[rng.below(FRAGMENTS.len())]);
        }
        run_all(&s, &prom, &am, &dot, &d);
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let prom = Template::new("t");
    let am = TemplateSet::new();
    let dot = data();
    let d = am_data();
    let alphabet = b"{}-/* .$:=|()\"'`\\\nAaz019_,+eEx%";
    for _ in 0..4000 {
        let n = rng.below(40);
        let bytes: Vec<u8> = (0..n)
            .map(|_| {
                if rng.below(4) == 0 {
                    rng.next() as u8
                } else {
                    alphabet[rng.below(alphabet.len())]
                }
            })
            .collect();
        let s = String::from_utf8_lossy(&bytes).into_owned();
        run_all(&s, &prom, &am, &dot, &d);
    }
}

#[test]
fn random_printf_never_panics() {
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let mut t = Template::new("t");
    let args = [
        "1",
        "-7",
        "1.5",
        "-0.0",
        "1e300",
        "\"s\"",
        "nil",
        "true",
        "'x'",
        "(stringSlice \"a\" \"b\")",
        ".",
        "$",
    ];
    let verbs = "vdsqxXofeEgGtcbUT%!*.[]0123456789-+# ";
    for _ in 0..3000 {
        let mut f = String::new();
        for _ in 0..rng.below(8) {
            f.push('%');
            for _ in 0..rng.below(4) {
                f.push(verbs.as_bytes()[rng.below(verbs.len())] as char);
            }
        }
        let mut text = format!("{{{{ printf {:?}", f);
        for _ in 0..rng.below(4) {
            text.push(' ');
            text.push_str(args[rng.below(args.len())]);
        }
        text.push_str(" }}");
        t.funcs(&alertmanager_funcs(0));
        if t.parse(&text).is_ok() {
            let _ = t.execute(&data());
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let mut t = Template::new("t");
    let deep_parens = format!("{{{{ {}1{} }}}}", "(".repeat(5000), ")".repeat(5000));
    let err = t.parse(&deep_parens).unwrap_err().to_string();
    assert!(err.contains("max expression depth exceeded"), "{err}");
    let deep_ifs = format!("{}x{}", "{{ if 1 }}".repeat(5000), "{{ end }}".repeat(5000));
    let err = Template::new("t").parse(&deep_ifs).unwrap_err().to_string();
    assert!(err.contains("max expression depth exceeded"), "{err}");
    // within the limit it works
    let ok = format!("{{{{ {}1{} }}}}", "(".repeat(150), ")".repeat(150));
    let mut t = Template::new("t");
    t.parse(&ok).unwrap();
    assert_eq!(t.execute(&Value::Null).unwrap(), "1");
    let mut t = Template::new("t");
    t.parse(r#"{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}"#)
        .unwrap();
    assert!(
        t.execute(&Value::Null)
            .unwrap_err()
            .to_string()
            .contains("exceeded maximum template depth")
    );
}
