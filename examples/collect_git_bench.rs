//! Times `collect git`'s work on one repository without writing anything,
//! for `benches/collect_git.sh`: the walk, decoding and classification
//! alone (`--classify-only`: signatures typed, none verified), or with
//! verification against a trust folder holding `allowed_signers` and
//! `gpg/`.
//!
//! ```text
//! cargo run --release --example collect_git_bench -- REPO TRUST [--classify-only] [--runs N]
//! ```

use std::path::PathBuf;
use std::time::Instant;

use auditbook::collect::git::{self, Check, CommitInfo, Letter, SignatureType, Verifier};
use auditbook::config::{GitSource, Period};

/// Types every signature and verifies none: what classification costs.
struct ClassifyOnly;

impl Verifier for ClassifyOnly {
    fn check(&self, _: SignatureType, _: &[u8], _: &[u8], _: &CommitInfo<'_>) -> Check {
        Check {
            letter: Letter::E,
            signer: None,
            key: None,
            bad_email: false,
        }
    }
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let repo = PathBuf::from(args.next().ok_or_else(usage)?);
    let trust = PathBuf::from(args.next().ok_or_else(usage)?);
    let mut classify_only = false;
    let mut runs = 3;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--classify-only" => classify_only = true,
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).ok_or_else(usage)?,
            _ => return Err(usage()),
        }
    }
    let period = Period {
        name: "2026".into(),
        start: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date"),
        end: chrono::NaiveDate::from_ymd_opt(2026, 12, 31).expect("a date"),
    };
    let source = GitSource {
        path: repo.clone(),
        reference: None,
        allowed_signers: Some(trust.join("allowed_signers")),
        gpg_keys: Some(trust.join("gpg")),
    };
    let now = chrono::Utc::now();
    let files = git::trust_files(std::path::Path::new("."), &source)?;
    let trusted = auditbook::collect::verify::Trust::load(&files, now)?;
    let verifier: &dyn Verifier = if classify_only {
        &ClassifyOnly
    } else {
        &trusted
    };
    let opened = git::open(&repo, &repo.display().to_string(), None)?;
    for run in 1..=runs {
        let started = Instant::now();
        let evidence = git::collect(&opened, &period, verifier, Vec::new(), now)?;
        let seconds = started.elapsed().as_secs_f64();
        let s = &evidence.summary;
        println!(
            "run {run}: {} {} commits ({} signed, {} verified) in {seconds:.3} s: {:.0} commits/s",
            if classify_only {
                "classified"
            } else {
                "verified"
            },
            s.commits,
            s.signed.gpg + s.signed.ssh + s.signed.x509 + s.signed.malformed,
            s.verified,
            s.commits as f64 / seconds
        );
    }
    Ok(())
}

fn usage() -> anyhow::Error {
    anyhow::anyhow!("usage: collect_git_bench REPO TRUST [--classify-only] [--runs N]")
}
