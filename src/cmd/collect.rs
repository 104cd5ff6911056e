//! `auditbook collect git`: gather commit-signing evidence from the local
//! clones `[[sources.git]]` lists into `evidence/git/`.

use std::path::PathBuf;

use crate::catalog::Catalog;
use crate::collect::git;
use crate::config::{self, Config};
use crate::diagnostic::Diagnostics;

use super::{Global, EXIT_OK};

/// Reads the workspace's configuration; a configuration with errors is an
/// error naming each problem.
fn load_config(global: &Global) -> anyhow::Result<Config> {
    let mut diagnostics = Diagnostics::default();
    let catalog = Catalog::load(&global.workspace, &mut diagnostics)?;
    match config::load(&global.workspace, &catalog, &mut diagnostics)? {
        Some(config) if !diagnostics.has_errors() => Ok(config),
        _ => {
            let problems: Vec<String> = diagnostics
                .iter()
                .filter(|d| d.severity == crate::diagnostic::Severity::Error)
                .map(|d| format!("{}: {}", d.file.as_deref().unwrap_or(""), d.message))
                .collect();
            anyhow::bail!(
                "the workspace's configuration has errors (run `auditbook check`):\n  {}",
                problems.join("\n  ")
            )
        }
    }
}

/// Collects every `[[sources.git]]` repository. Every repository is read
/// and verified before any file is written, so an error in one leaves all
/// evidence as it was.
pub fn run_git(global: &Global) -> anyhow::Result<u8> {
    let config = load_config(global)?;
    if config.sources.git.is_empty() {
        anyhow::bail!(
            "{} lists no [[sources.git]]: add one with the `path` of a local clone",
            global.workspace.join(config::FILE_NAME).display()
        );
    }
    let collected_at = crate::build_time();
    let mut results: Vec<(PathBuf, git::Evidence)> = Vec::new();
    for source in &config.sources.git {
        let path = global.workspace.join(&source.path);
        let display = source.path.to_string_lossy().into_owned();
        let trust = git::trust_files(&global.workspace, source)?;
        let verifier = crate::collect::verify::Trust::load(&trust, collected_at)?;
        let opened = git::open(&path, &display, source.reference.as_deref())?;
        let evidence = git::collect(
            &opened,
            &config.period,
            &verifier,
            trust.into_iter().map(|(_, file)| file).collect(),
            collected_at,
        )?;
        let target = git::evidence_path(&opened, &config.period);
        if results.iter().any(|(other, _)| *other == target) {
            anyhow::bail!(
                "two [[sources.git]] entries would both write {}: their folders have the same name",
                target.display()
            );
        }
        results.push((target, evidence));
    }
    for (target, evidence) in &results {
        git::write(&global.workspace, target, evidence)?;
        if !global.quiet {
            let s = &evidence.summary;
            println!(
                "wrote {}: {} commits, {} signed ({} gpg, {} ssh, {} x509), {} verified, {} unsigned",
                target.display(),
                s.commits,
                s.signed.gpg + s.signed.ssh + s.signed.x509 + s.signed.malformed,
                s.signed.gpg,
                s.signed.ssh,
                s.signed.x509,
                s.verified,
                s.unsigned
            );
        }
    }
    Ok(EXIT_OK)
}
