//! Evidence files as facts: what kind of file each is (detected from its
//! content; the name only settles what content cannot, see [`detect`]), its
//! sha256 and size, and a kind-specific [`Summary`], all in one streaming
//! pass over the file.
//!
//! One module per format produces a [`Summary`] (the counts `check
//! --format json` promises), bounded [`Details`] for the portal's views and,
//! where the format records one, the time the content was produced. The
//! kind's default controls are the data table [`Kind::default_controls`].
//!
//! A file that looks like a format but does not parse as one comes back as
//! [`Kind::Generic`] with a [`FormatProblem`] naming the kind it looked
//! like: no evidence is dropped, nothing panics.

mod access_review;
mod acknowledgement;
mod ci_log;
mod commit_signing;
pub(crate) mod common;
mod details;
mod detect;
mod drill;
mod github;
mod gitleaks;
mod grype;
mod hashing;
mod json_stream;
mod junit;
mod kube_bench;
mod metric;
mod sarif;
mod summary;
mod trivy;

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::Serialize;

use hashing::HashingReader;

pub use details::{
    AccessChange, AckVersion, Details, Excerpt, ExcerptLine, FailingCheck, FailingTest, FindingRow,
    MetricPoint, MetricSeries, SigningCount, TestOutcome,
};
pub use detect::detect;
pub use github::{
    AccessPerson, AccessTeam, AlertCounts, AlertFeature, AlertRow, ChangeRow, GitCheck,
    UnverifiedCommit, WorkflowCounts,
};
pub use summary::{
    AckPolicy, Checks, Direction, MetricSummary, Outcome, PassedFrom, Severities, Severity, Signed,
    Summary, Tests,
};

/// How much of a file detection looks at.
const HEAD_LEN: usize = 16 * 1024;

/// Files this large are hashed on a thread of their own.
const HASH_THREAD_FROM: u64 = 8 * 1024 * 1024;

/// What an evidence file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Sarif,
    Trivy,
    Grype,
    Gitleaks,
    KubeBench,
    Junit,
    CiLog,
    Drill,
    AccessReview,
    Acknowledgement,
    Metric,
    CommitSigning,
    GithubProtection,
    GithubChanges,
    GithubCi,
    GithubAlerts,
    GithubCommits,
    GithubAccess,
    /// Anything else: hashed, listed and downloadable.
    Generic,
}

impl Kind {
    pub const ALL: &'static [Kind] = &[
        Kind::Sarif,
        Kind::Trivy,
        Kind::Grype,
        Kind::Gitleaks,
        Kind::KubeBench,
        Kind::Junit,
        Kind::CiLog,
        Kind::Drill,
        Kind::AccessReview,
        Kind::Acknowledgement,
        Kind::Metric,
        Kind::CommitSigning,
        Kind::GithubProtection,
        Kind::GithubChanges,
        Kind::GithubCi,
        Kind::GithubAlerts,
        Kind::GithubCommits,
        Kind::GithubAccess,
        Kind::Generic,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Sarif => "sarif",
            Kind::Trivy => "trivy",
            Kind::Grype => "grype",
            Kind::Gitleaks => "gitleaks",
            Kind::KubeBench => "kube-bench",
            Kind::Junit => "junit",
            Kind::CiLog => "ci-log",
            Kind::Drill => "drill",
            Kind::AccessReview => "access-review",
            Kind::Acknowledgement => "acknowledgement",
            Kind::Metric => "metric",
            Kind::CommitSigning => "commit-signing",
            Kind::GithubProtection => "github-protection",
            Kind::GithubChanges => "github-changes",
            Kind::GithubCi => "github-ci",
            Kind::GithubAlerts => "github-alerts",
            Kind::GithubCommits => "github-commits",
            Kind::GithubAccess => "github-access",
            Kind::Generic => "generic",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.as_str() == text)
    }

    /// A short human name.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Sarif => "SARIF scan",
            Kind::Trivy => "Trivy scan",
            Kind::Grype => "Grype scan",
            Kind::Gitleaks => "gitleaks secret scan",
            Kind::KubeBench => "kube-bench CIS benchmark",
            Kind::Junit => "JUnit test report",
            Kind::CiLog => "CI log",
            Kind::Drill => "Drill record",
            Kind::AccessReview => "Access review",
            Kind::Acknowledgement => "Policy acknowledgements",
            Kind::Metric => "Metrics",
            Kind::CommitSigning => "Commit signing",
            Kind::GithubProtection => "GitHub branch protection",
            Kind::GithubChanges => "GitHub reviewed changes",
            Kind::GithubCi => "GitHub CI runs",
            Kind::GithubAlerts => "GitHub security alerts",
            Kind::GithubCommits => "GitHub commit verification",
            Kind::GithubAccess => "GitHub access",
            Kind::Generic => "File",
        }
    }

    /// The controls a kind of evidence supports unless a rule, front
    /// matter or sidecar says otherwise. This table is shown in the portal
    /// beside every mapping it produced.
    pub fn default_controls(self) -> &'static [&'static str] {
        match self {
            Kind::Sarif | Kind::Trivy | Kind::Grype => &["CC7.1", "A.8.8"],
            Kind::Gitleaks => &["CC6.1", "A.5.17", "A.8.4"],
            Kind::KubeBench => &["CC7.1", "A.8.9"],
            Kind::Junit => &["CC8.1", "A.8.29"],
            Kind::CiLog => &["CC8.1", "A.8.32"],
            Kind::Drill => &["A1.3", "A.5.30"],
            Kind::AccessReview => &["CC6.2", "A.5.18"],
            Kind::Acknowledgement => &["CC2.2", "A.6.3"],
            Kind::Metric => &["A1.1", "A.8.6"],
            Kind::CommitSigning => &["CC8.1", "A.8.32", "A.8.4"],
            Kind::GithubProtection => &["CC8.1", "A.8.32"],
            Kind::GithubChanges => &["CC8.1", "A.8.32", "A.8.25"],
            Kind::GithubCi => &["CC8.1", "A.8.25"],
            Kind::GithubAlerts => &["CC7.1", "A.8.8"],
            Kind::GithubCommits => &["CC8.1", "A.8.32"],
            Kind::GithubAccess => &["CC6.2", "A.5.18", "A.8.2"],
            Kind::Generic => &[],
        }
    }
}

/// What one pass over an evidence file found.
#[derive(Debug, Clone)]
pub struct Facts {
    /// The kind the file was read as: [`Kind::Generic`] when it looked like
    /// a format but failed to parse (see `problem`).
    pub kind: Kind,
    pub sha256: String,
    pub size: u64,
    pub summary: Summary,
    /// Bounded material for the portal's view of this kind.
    pub details: Details,
    /// When the content says it was produced (a scan's end time, a log's
    /// last timestamp, a drill's date), if it says.
    pub observed_at: Option<DateTime<Utc>>,
    /// Why the file, which looked like `problem.looked_like`, could not be
    /// read as one.
    pub problem: Option<FormatProblem>,
    /// The YAML front matter of a markdown file, and the number of lines
    /// before it (for positions).
    pub front_matter: Option<(String, u32)>,
}

/// A file that looks like a format but does not parse as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatProblem {
    /// The kind detection took the file for.
    pub looked_like: Kind,
    /// The 1-based line of the file where the problem was found, if known.
    pub line: Option<u32>,
    pub message: String,
}

/// Reads an evidence file once: detects its kind from the first bytes,
/// summarises it while hashing, so memory stays bounded by the parser, not
/// the file.
pub fn read(path: &Path) -> io::Result<Facts> {
    let mut file = File::open(path)?;
    let mut head = Vec::with_capacity(HEAD_LEN);
    (&mut file).take(HEAD_LEN as u64).read_to_end(&mut head)?;
    let front_matter =
        detect::front_matter(path, &head).map(|(yaml, offset)| (yaml.to_string(), offset));
    let kind = detect(
        path,
        &head,
        front_matter.as_ref().map(|(yaml, _)| yaml.as_str()),
    );

    // Large files are hashed on a second thread while the parser reads.
    let threaded = file.metadata().is_ok_and(|m| m.len() >= HASH_THREAD_FROM);
    let mut reader = HashingReader::new(io::Cursor::new(head).chain(file), threaded);
    let outcome = summary::summarize(kind, &mut reader, front_matter.as_ref());
    // The summariser may stop early; the hash covers every byte.
    reader.drain()?;
    let (sha256, size) = reader.finish()?;
    let facts = match outcome {
        Ok(parsed) => Facts {
            kind,
            sha256,
            size,
            summary: parsed.summary,
            details: parsed.details,
            observed_at: parsed.observed_at,
            problem: None,
            front_matter,
        },
        Err(problem) => Facts {
            kind: Kind::Generic,
            sha256,
            size,
            summary: Summary::None,
            details: Details::None,
            observed_at: None,
            problem: Some(FormatProblem {
                looked_like: kind,
                line: problem.line,
                message: problem.message,
            }),
            front_matter,
        },
    };
    Ok(facts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn hash_covers_the_whole_file_whatever_the_parser_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.bin");
        // Above the size hashed on a thread of its own.
        let data: Vec<u8> = (0..10_000_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let facts = read(&path).unwrap();
        assert_eq!(facts.size, 10_000_000);
        assert_eq!(facts.sha256, hex::encode(Sha256::digest(&data)));
        assert_eq!(facts.kind, Kind::Generic);
    }

    #[test]
    fn every_default_control_exists() {
        let catalog = crate::catalog::Catalog::builtin();
        for kind in Kind::ALL {
            for id in kind.default_controls() {
                assert!(
                    catalog.resolve(id).is_ok(),
                    "{} maps to unknown {id}",
                    kind.as_str()
                );
            }
        }
    }
}
