//! `auditbook build` and `auditbook publish`: check, then render the
//! period's portal into the site folder.

use std::io::Write;

use crate::assess;
use crate::diagnostic::Severity;
use crate::report::Painter;
use crate::site::{self, BuildOptions, BuildState, PublishedPeriodChanged};

use super::{Global, EXIT_OK, EXIT_PROBLEMS};

/// Builds (or publishes) the portal. A workspace with errors is not built:
/// its errors are printed and the exit code is 1, as `check` would.
/// For a process that ends after the build.
pub fn run(global: &Global, options: &BuildOptions) -> anyhow::Result<u8> {
    build(global, options, ThenProcess::Ends)
}

/// Like [`run`], for a process that goes on to build again (`serve`).
pub fn run_again_later(global: &Global, options: &BuildOptions) -> anyhow::Result<u8> {
    build(global, options, ThenProcess::GoesOn)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ThenProcess {
    Ends,
    GoesOn,
}

fn build(global: &Global, options: &BuildOptions, then: ThenProcess) -> anyhow::Result<u8> {
    // `-v` reports this build alone, not the sum of every build `serve`
    // ran before it.
    crate::timing::reset();
    // The site's temporary folder is made ready (the previous version taken
    // from the page cache and checked) while the workspace loads.
    let preparing = peek_period(&global.workspace).map(|period| {
        let site = site::site_dir(&global.workspace, options);
        let cache = options.cache;
        std::thread::spawn(move || {
            crate::timing::time("site: take the spare folder", || {
                site::prepare(&site, &period, cache)
            })
        })
    });
    let prepared = || preparing.map(|thread| thread.join().ok().and_then(Result::ok));
    let workspace = match super::load(global, true) {
        Ok(workspace) => workspace,
        Err(error) => {
            if let Some(prepared) = prepared().flatten() {
                prepared.abandon();
            }
            return Err(error);
        }
    };
    let assessment = crate::timing::time("assess", || assess::assess(&workspace));
    let painter = Painter {
        enabled: global.color,
    };
    let errors = match &assessment {
        Some(a) => a.diagnostics.count(Severity::Error),
        None => workspace.diagnostics.count(Severity::Error).max(1),
    };
    let Some(assessment) = assessment.filter(|_| errors == 0) else {
        if let Some(prepared) = prepared().flatten() {
            prepared.abandon();
        }
        return super::refuse(&workspace, global.color, "nothing was built");
    };

    let started = std::time::Instant::now();
    let outcome = match site::build(&assessment, options, prepared().flatten()) {
        Ok(outcome) => outcome,
        Err(error) => match error.downcast::<PublishedPeriodChanged>() {
            Ok(changed) => {
                eprintln!("error: {changed}");
                return Ok(EXIT_PROBLEMS);
            }
            Err(error) => return Err(error),
        },
    };
    crate::timing::record("(site::build in all)", started.elapsed());
    if !global.quiet {
        let what = match outcome.state {
            BuildState::Draft => "built draft".to_string(),
            BuildState::Published => "published".to_string(),
            BuildState::Unchanged => "unchanged (published)".to_string(),
            BuildState::Republished { changed } => format!("republished ({changed} files changed)"),
        };
        println!(
            "{} period {}: {} pages, {} files in {}",
            painter.bold(&what),
            assessment.config.period.name,
            outcome.pages,
            outcome.files,
            outcome.period_dir.display()
        );
        println!("  manifest sha256 {}", outcome.manifest_sha256);
        let warnings = assessment.diagnostics.count(Severity::Warning);
        if warnings > 0 {
            println!("  {warnings} warnings (run `auditbook check` to see them)");
        }
    }
    if global.verbose {
        report_timing();
    }
    if then == ThenProcess::Ends {
        // Freeing millions of small allocations one by one would take a
        // tenth of a second on a large workspace; the process ends anyway.
        // (A server that did this would keep every build's model: 200 MB
        // more per rebuild of the benchmark workspace.)
        std::mem::forget(assessment);
        std::mem::forget(workspace);
    }
    Ok(EXIT_OK)
}

/// `-v`: where the time went, what was reused, and why a cache was not.
fn report_timing() {
    let mut err = std::io::stderr().lock();
    for note in crate::timing::notes() {
        let _ = writeln!(err, "  note: {note}");
    }
    for (name, n) in crate::timing::counts() {
        let _ = writeln!(err, "  {n:>10}  {name}");
    }
    let mut total = std::time::Duration::ZERO;
    for (phase, elapsed) in crate::timing::phases() {
        total += elapsed;
        let _ = writeln!(err, "  {:>7.1} ms  {phase}", elapsed.as_secs_f64() * 1000.0);
    }
    let _ = writeln!(err, "  {:>7.1} ms  in all", total.as_secs_f64() * 1000.0);
}

/// The period `auditbook.toml` names, read ahead of the full load; `None`
/// when it cannot be read or is not a safe folder name (the full load then
/// says why).
fn peek_period(root: &std::path::Path) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Peek {
        period: PeekPeriod,
    }
    #[derive(serde::Deserialize)]
    struct PeekPeriod {
        name: String,
    }
    let text = std::fs::read_to_string(root.join(crate::config::FILE_NAME)).ok()?;
    let name = toml::from_str::<Peek>(&text)
        .ok()?
        .period
        .name
        .trim()
        .to_string();
    let safe = !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    safe.then_some(name)
}
