//! Tests over the `fixtures/scrape` files: sample counts, no panic on any
//! mutation or truncation of them, and a throughput smoke test.

use std::path::PathBuf;

use crate::{Entry, Format, MetricType, Parser};

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/scrape")
}

fn format_of(file: &str) -> Format {
    if file.contains("openmetrics") {
        Format::OpenMetrics
    } else {
        Format::PrometheusText
    }
}

/// Every fixture, with its format.
fn fixtures() -> Vec<(String, Format, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(fixtures_dir()).expect("fixtures/scrape exists") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "txt") {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let format = format_of(&name);
            out.push((name, format, std::fs::read(&path).unwrap()));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(
        out.len() >= 3,
        "expected the scrape fixtures, found {}",
        out.len()
    );
    out
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    samples: usize,
    helps: usize,
    types: usize,
    units: usize,
    exemplars: usize,
    timestamps: usize,
}

fn count(input: &[u8], format: Format) -> Counts {
    let mut parser = Parser::new(input, format);
    let mut c = Counts::default();
    while let Some(entry) = parser.next().unwrap_or_else(|e| panic!("{e}")) {
        match entry {
            Entry::Sample(s) => {
                c.samples += 1;
                c.exemplars += usize::from(s.exemplar.is_some());
                c.timestamps += usize::from(s.timestamp_ms.is_some());
            }
            Entry::Help { .. } => c.helps += 1,
            Entry::Type { .. } => c.types += 1,
            Entry::Unit { .. } => c.units += 1,
        }
    }
    c
}

#[test]
fn fixtures_parse_with_expected_counts() {
    let want = [
        (
            "app_openmetrics.txt",
            Counts {
                samples: 31,
                helps: 8,
                types: 9,
                units: 3,
                exemplars: 4,
                timestamps: 4,
            },
        ),
        (
            "app_prometheus.txt",
            Counts {
                samples: 35,
                helps: 4,
                types: 6,
                units: 0,
                exemplars: 0,
                timestamps: 3,
            },
        ),
        (
            "node_exporter.txt",
            Counts {
                samples: 155,
                helps: 49,
                types: 49,
                units: 0,
                exemplars: 0,
                timestamps: 0,
            },
        ),
    ];
    let all = fixtures();
    for (file, counts) in want {
        let (_, format, input) = all
            .iter()
            .find(|(name, _, _)| name == file)
            .unwrap_or_else(|| panic!("missing fixture {file}"));
        assert_eq!(count(input, *format), counts, "{file}");
    }
}

#[test]
fn fixture_details() {
    let all = fixtures();
    let input = &all.iter().find(|f| f.0 == "app_prometheus.txt").unwrap().2;
    let mut parser = Parser::new(input, Format::PrometheusText);
    let mut seen_utf8 = false;
    let mut seen_flag = false;
    while let Some(entry) = parser.next().unwrap() {
        match entry {
            Entry::Sample(s) if s.name == "checkout.orders.in_flight" => {
                seen_utf8 = true;
                assert!(s.label("region.name").is_some());
            }
            Entry::Sample(s) if s.name == "checkout_feature_flag" => {
                seen_flag = true;
                assert_eq!(s.label("name"), Some("new \"one-click\" flow"));
                assert_eq!(s.label("path"), Some("C:\\flags\\checkout.json"));
            }
            Entry::Sample(s) if s.name == "checkout_http_request_duration_seconds_bucket" => {
                let le = s.label("le").unwrap();
                assert!(le.contains('.') || le.contains('e') || le == "+Inf", "{le}");
            }
            Entry::Type {
                metric: "checkout_build_info",
                kind,
            } => {
                assert_eq!(kind, MetricType::Unknown);
            }
            _ => {}
        }
    }
    assert!(seen_utf8 && seen_flag);
}

/// Deterministic xorshift generator.
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
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that matter to the grammar, plus some that must be rejected.
const INTERESTING: &[u8] = b"\"\\{}=,# \t\n\r\x00\xff\xc3\xa9:_.eE+-0123456789NIaHT";

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(7) {
            0 if at < out.len() => out[at] = INTERESTING[rng.below(INTERESTING.len())],
            1 if at < out.len() => out[at] = rng.next() as u8,
            2 => out.insert(at, INTERESTING[rng.below(INTERESTING.len())]),
            3 => {
                let end = (at + rng.below(16)).min(out.len());
                out.drain(at..end);
            }
            4 => {
                let end = (at + rng.below(64)).min(out.len());
                let chunk = out[at..end].to_vec();
                let to = rng.below(out.len() + 1);
                out.splice(to..to, chunk);
            }
            5 => out.truncate(at),
            _ => {
                let end = (at + 1).min(out.len());
                out.splice(at..end, b"\\".iter().copied());
            }
        }
    }
    out
}

/// Runs the parser to its end, asserting it terminates line by line.
fn drain(input: &[u8], format: Format) {
    let lines = input.iter().filter(|&&c| c == b'\n').count() + 2;
    let mut parser = Parser::new(input, format);
    for _ in 0..=lines {
        match parser.next() {
            Ok(Some(Entry::Sample(s))) => {
                // Touch everything the entry borrows.
                let _ = (s.name.len(), s.labels.len(), s.value, s.timestamp_ms);
                if let Some(e) = s.exemplar {
                    let _ = (e.labels.len(), e.value);
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => return,
            Err(e) => {
                assert!(e.line >= 1 && e.line <= lines, "bad line {} in {e}", e.line);
                assert!(!e.message.is_empty());
                return;
            }
        }
    }
    panic!("parser did not finish within {lines} entries");
}

#[test]
fn never_panics_on_mutated_or_truncated_fixtures() {
    let mut rng = Rng(0x5EED_1234_ABCD_0042);
    let mut inputs = Vec::new();
    for (_, format, input) in fixtures() {
        inputs.push((format, input));
    }
    // Short inputs with every feature, to explore their neighbourhood densely.
    let om = b"# TYPE h histogram\n# UNIT h_seconds seconds\n# HELP h \\\"x\\\"\n\
               h_bucket{le=\"1\",\"a.b\"=\"x\\ny\"} 1 2.5 # {id=\"z\"} 0.5 1.5\n{\"q.r\"} NaN\n# EOF\n";
    let text = b"# HELP a b\\n\n# TYPE a summary\n a{quantile=\"1\" , x=\"\\\"\"} +Inf 123\n\
                 {\"q.r\",} -1e3\n# c\n\n";
    for format in [Format::PrometheusText, Format::OpenMetrics] {
        inputs.push((format, om.to_vec()));
        inputs.push((format, text.to_vec()));
    }
    for (format, input) in &inputs {
        // Every truncation of the short inputs, and a stride through the long.
        let step = (input.len() / 400).max(1);
        for cut in (0..=input.len()).step_by(step) {
            drain(&input[..cut], *format);
        }
        let rounds = if input.len() < 512 { 4000 } else { 1500 };
        for _ in 0..rounds {
            let mutated = mutate(&mut rng, input);
            drain(&mutated, *format);
            // The same bytes in the other format must not panic either.
            let other = match format {
                Format::PrometheusText => Format::OpenMetrics,
                Format::OpenMetrics => Format::PrometheusText,
            };
            drain(&mutated, other);
        }
    }
}

#[test]
fn never_panics_on_random_bytes() {
    let mut rng = Rng(0xDEAD_BEEF_0000_0001);
    for _ in 0..3000 {
        let len = rng.below(80);
        let bytes: Vec<u8> = (0..len)
            .map(|_| INTERESTING[rng.below(INTERESTING.len())])
            .collect();
        drain(&bytes, Format::PrometheusText);
        drain(&bytes, Format::OpenMetrics);
    }
}
