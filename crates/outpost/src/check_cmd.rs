//! `outpost check`: per-file validation report, exit 0 when every file is valid.

use std::io::Write;
use std::process::ExitCode;

use outpost_config::{FileKind, FileReport, Files, StackPaths, check_paths, load_stack};

use crate::CheckArgs;
use crate::embedded::EMBEDDED_STACK;

pub(crate) fn run(args: &CheckArgs) -> ExitCode {
    if args.paths.is_empty() {
        report(
            &load_stack(&StackPaths::tree(
                Files::Embedded(EMBEDDED_STACK),
                "",
                outpost_rules::check_template,
            ))
            .reports,
        )
    } else {
        run_paths(&args.paths)
    }
}

/// Checks files or directories (`outpost check rules|config FILE...` too).
pub(crate) fn run_paths(paths: &[std::path::PathBuf]) -> ExitCode {
    report(&check_paths(
        &Files::Disk,
        paths,
        outpost_rules::check_template,
    ))
}

fn report(reports: &[FileReport]) -> ExitCode {
    let mut out = std::io::stdout().lock();
    let failed = print_reports(&mut out, reports);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Prints the reports in promtool's shape; returns the number of failed files.
fn print_reports(out: &mut impl Write, reports: &[FileReport]) -> usize {
    let (mut failed, mut warned, mut skipped) = (0, 0, 0);
    for r in reports {
        let _ = writeln!(out, "Checking {}", r.file);
        if r.kind == FileKind::Other && r.errors.is_empty() {
            skipped += 1;
            let _ = writeln!(out, "  SKIPPED: {}", r.summary);
        } else if r.errors.is_empty() {
            let _ = writeln!(out, "  SUCCESS: {}", r.summary);
        } else {
            failed += 1;
            let _ = writeln!(out, "  FAILED:");
            for e in &r.errors {
                let _ = writeln!(out, "  {e}");
            }
        }
        for w in &r.warnings {
            warned += 1;
            let _ = writeln!(out, "  WARNING: {w}");
        }
        let _ = writeln!(out);
    }
    let _ = writeln!(
        out,
        "{} files: {} ok, {failed} failed, {skipped} skipped, {warned} warnings",
        reports.len(),
        reports.len() - failed - skipped
    );
    failed
}
