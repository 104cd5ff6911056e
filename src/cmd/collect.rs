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

/// Collects `[sources.github]`: six evidence files per repository. A part
/// that fails after retries is reported and leaves its earlier file intact;
/// the run then exits 1 naming every missing part.
pub fn run_github(global: &Global) -> anyhow::Result<u8> {
    use crate::collect::github::{self, http};

    let config = load_config(global)?;
    let file = global.workspace.join(config::FILE_NAME);
    let Some(source) = config.sources.github.as_ref() else {
        anyhow::bail!(
            "{} has no [sources.github]: add one with `org`, `repos` (or [\"*\"]) and `token_env`",
            file.display()
        );
    };
    if source.repos.is_empty() {
        anyhow::bail!(
            "[sources.github] in {} lists no `repos`: name them, or write [\"*\"] for every non-archived repository of {}",
            file.display(),
            source.org
        );
    }
    let seconds =
        |value: Option<f64>, default: f64, key: &str| -> anyhow::Result<std::time::Duration> {
            let v = value.unwrap_or(default);
            std::time::Duration::try_from_secs_f64(v)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| {
                    anyhow::anyhow!(
                    "[sources.github] {key} in {} must be a positive number of seconds, not {v}",
                    file.display()
                )
                })
        };
    let defaults = http::Policy::default();
    let policy = http::Policy {
        timeout: seconds(source.timeout, defaults.timeout.as_secs_f64(), "timeout")?,
        max_wait: seconds(source.max_wait, defaults.max_wait.as_secs_f64(), "max_wait")?,
        backoff: defaults.backoff.min(seconds(
            source.max_wait,
            defaults.max_wait.as_secs_f64(),
            "max_wait",
        )?),
        ..defaults
    };
    let token = http::Token::from_env(&source.token_env)?;

    let bar = if global.progress {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} parts  {wide_msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };
    let quiet = global.quiet;
    let line_bar = bar.clone();
    let say = move |line: &str| match &line_bar {
        Some(bar) => bar.println(line),
        None if !quiet => eprintln!("{line}"),
        None => {}
    };
    let client = http::Client::new(&source.api_url, token, policy, Box::new(say.clone()))?;
    let progress = |what: &str| {
        if let Some(bar) = &bar {
            bar.set_message(what.to_string());
        }
    };
    let planned = |n: u64| {
        if let Some(bar) = &bar {
            bar.set_length(n);
        }
    };
    let finished = |outcome: &github::Outcome| {
        if let Some(bar) = &bar {
            bar.inc(1);
        }
        match &outcome.result {
            Ok((path, line)) if !quiet => {
                let text = format!("wrote {}: {line}", path.display());
                match &bar {
                    Some(bar) => bar.println(text),
                    None => println!("{text}"),
                }
            }
            Err(e) => say(&format!(
                "error: {} {}: {e} (its earlier evidence is left as it was)",
                outcome.repository, outcome.part
            )),
            _ => {}
        }
    };
    let report = github::collect(&github::Run {
        workspace: &global.workspace,
        source,
        period: &config.period,
        collected_at: crate::build_time(),
        client: &client,
        progress: &progress,
        finished: &finished,
        planned: &planned,
    });
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    if let Some(error) = &report.listing_error {
        eprintln!(
            "error: cannot list the repositories of {}: {error}\nnothing was collected; earlier evidence is left as it was",
            source.org
        );
        return Ok(super::EXIT_PROBLEMS);
    }
    let missing: Vec<String> = report
        .missing()
        .map(|o| format!("{} {}", o.repository, o.part))
        .collect();
    if !quiet {
        eprintln!(
            "{} of {} parts collected with {} requests to {}",
            report.outcomes.len() - missing.len(),
            report.outcomes.len(),
            report.requests,
            client.base()
        );
    }
    if missing.is_empty() {
        Ok(EXIT_OK)
    } else {
        eprintln!(
            "error: {} part{} missing (earlier evidence left as it was): {}",
            missing.len(),
            if missing.len() == 1 { " is" } else { "s are" },
            missing.join(", ")
        );
        Ok(super::EXIT_PROBLEMS)
    }
}

/// `collect all`: every source `auditbook.toml` configures, git first.
pub fn run_all(global: &Global) -> anyhow::Result<u8> {
    let config = load_config(global)?;
    let mut code = EXIT_OK;
    let mut any = false;
    if !config.sources.git.is_empty() {
        any = true;
        code = code.max(run_git(global)?);
    }
    if config.sources.github.is_some() {
        any = true;
        code = code.max(run_github(global)?);
    }
    if !any {
        anyhow::bail!(
            "{} configures no source: add [[sources.git]] or [sources.github]",
            global.workspace.join(config::FILE_NAME).display()
        );
    }
    Ok(code)
}
