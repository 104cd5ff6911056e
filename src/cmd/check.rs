//! `auditbook check`: load, assess, report; the CI gate.

use std::io::Write;

use crate::assess;
use crate::diagnostic::Severity;
use crate::report::{self, CheckReport, Painter, Verbosity};

use super::{Global, EXIT_OK, EXIT_PROBLEMS};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub format: Format,
    /// Fail on warnings too.
    pub strict: bool,
}

/// Runs the check and returns the exit code: 0 without errors, 1 with
/// errors (or warnings under `--strict`).
pub fn run(global: &Global, options: &CheckOptions) -> anyhow::Result<u8> {
    let workspace = super::load(global, false)?;
    let assessment = assess::assess(&workspace);
    let mut load_diagnostics = workspace.diagnostics.clone();
    load_diagnostics.sort();
    let diagnostics = assessment
        .as_ref()
        .map_or(&load_diagnostics, |a| &a.diagnostics);

    // Buffered: stdout flushes at every newline, and a large workspace's
    // report has millions of them.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match options.format {
        Format::Json => {
            let report = match &assessment {
                Some(assessment) => CheckReport::new(assessment),
                None => CheckReport::unassessed(&workspace, diagnostics),
            };
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        Format::Text => report::write_text(
            &mut out,
            assessment.as_ref(),
            diagnostics,
            Painter {
                enabled: global.color,
            },
            if global.quiet {
                Verbosity::Quiet
            } else if global.verbose {
                Verbosity::Verbose
            } else {
                Verbosity::Normal
            },
        )?,
    }
    out.flush()?;

    let failing = diagnostics.count(Severity::Error) > 0
        || (options.strict && diagnostics.count(Severity::Warning) > 0);
    Ok(if failing { EXIT_PROBLEMS } else { EXIT_OK })
}
