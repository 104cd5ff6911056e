//! `auditbook bundle`: check the workspace, then write the zip of the
//! portal built for one audience (see [`crate::bundle`]).

use std::path::PathBuf;

use crate::bundle::{self, BundleOptions};
use crate::diagnostic::Severity;
use crate::report::Painter;

use super::{Global, EXIT_OK};

/// The environment variable naming the signing key's path; it wins over
/// `[signing] key` in auditbook.toml.
pub const SIGNING_KEY_ENV: &str = "AUDITBOOK_SIGNING_KEY";

#[derive(Debug, Clone)]
pub struct Options {
    pub audience: String,
    pub recipient: Option<String>,
    pub out: Option<PathBuf>,
}

/// Builds the bundle. A workspace with errors is not bundled: its errors
/// are printed and the exit code is 1, as `check` would.
pub fn run(global: &Global, options: &Options) -> anyhow::Result<u8> {
    let mut workspace = super::load(global, true)?;
    let painter = Painter {
        enabled: global.color,
    };
    let errors = workspace.diagnostics.count(Severity::Error);
    let Some(config) = workspace.config.as_ref().filter(|_| errors == 0) else {
        return super::refuse(&workspace, global.color, "no bundle was made");
    };
    let signing_key = match std::env::var_os(SIGNING_KEY_ENV).filter(|v| !v.is_empty()) {
        Some(path) => Some(PathBuf::from(path)),
        None => config
            .signing_key
            .as_ref()
            .map(|key| workspace.root.join(key)),
    };
    let bundled = bundle::build(
        &mut workspace,
        &BundleOptions {
            audience: options.audience.clone(),
            recipient: options.recipient.clone(),
            out: options.out.clone(),
            signing_key,
        },
    )?;
    if !global.quiet {
        println!(
            "{} {} ({} entries, {} bytes) for audience {} ({})",
            painter.bold("bundled"),
            bundled.path.display(),
            bundled.entries,
            bundled.bytes,
            bundled.audience.name,
            bundled
                .audience
                .classifications
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
        println!("  {}", bundled.stamp);
        let w = &bundled.withheld;
        if w.any() {
            println!(
                "  withheld: {} policies, {} evidence items, {} recurring activities",
                w.policies, w.evidence, w.schedules
            );
        }
        match &bundled.fingerprint {
            Some(fingerprint) => println!("  signed with key {fingerprint}"),
            None => println!(
                "  not signed (no [signing] key in auditbook.toml and no {SIGNING_KEY_ENV})"
            ),
        }
    }
    if global.verbose {
        for (phase, elapsed) in crate::timing::phases() {
            eprintln!("  {:>7.1} ms  {phase}", elapsed.as_secs_f64() * 1000.0);
        }
    }
    std::mem::forget(workspace);
    Ok(EXIT_OK)
}
