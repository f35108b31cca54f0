//! `outpost test rules FILE...`: promtool's rule unit tests, with promtool's
//! output and exit status.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

/// `outpost test ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum TestCmd {
    /// Unit-test rule files (promtool's `test rules` format).
    Rules(RulesArgs),
}

#[derive(Debug, Args)]
pub(crate) struct RulesArgs {
    /// Test files.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// Only test groups whose name matches (repeatable).
    #[arg(long = "run", value_name = "REGEX")]
    run: Vec<String>,
    /// Evaluate with Prometheus 2.x window boundaries (files written for promtool 2.x).
    #[arg(long = "prometheus2")]
    prometheus2: bool,
}

pub(crate) fn run(cmd: TestCmd) -> ExitCode {
    match cmd {
        TestCmd::Rules(args) => rules(&args),
    }
}

fn rules(args: &RulesArgs) -> ExitCode {
    let mut run = Vec::new();
    for r in &args.run {
        match regex::Regex::new(r) {
            Ok(re) => run.push(re),
            Err(e) => {
                eprintln!("invalid --run regex {r:?}: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let opts = outpost_rules::TestOptions {
        run,
        prometheus2: args.prometheus2,
    };
    let mut ok = true;
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    for f in &args.files {
        let out = outpost_rules::test_rules_file(f, &opts);
        for (to_stderr, text) in &out.chunks {
            if *to_stderr {
                let mut e = stderr.lock();
                let _ = e.write_all(text.as_bytes());
                let _ = e.flush();
            } else {
                let mut o = stdout.lock();
                let _ = o.write_all(text.as_bytes());
                let _ = o.flush();
            }
        }
        ok &= out.passed;
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
