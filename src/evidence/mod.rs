//! Evidence files as facts: what kind of file each is (detected from its
//! content, never its name), its sha256 and size, and a kind-specific
//! [`Summary`], all in one streaming pass over the file.
//!
//! One module per format produces a [`Summary`]; the kind's default
//! controls are the data table [`Kind::default_controls`].

mod detect;
mod summary;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

pub use detect::detect;
pub use summary::Summary;

/// How much of a file detection looks at.
const HEAD_LEN: usize = 16 * 1024;

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
    pub kind: Kind,
    pub sha256: String,
    pub size: u64,
    pub summary: Summary,
    /// Why the file, which looked like `kind`, could not be read as one.
    pub problem: Option<FormatProblem>,
    /// The YAML front matter of a markdown file, and the number of lines
    /// before it (for positions).
    pub front_matter: Option<(String, u32)>,
}

/// A file that looks like a format but does not parse as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatProblem {
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

    let mut reader = HashingReader::new(BufReader::with_capacity(
        256 * 1024,
        io::Cursor::new(head).chain(file),
    ));
    let (summary, problem) = match summary::summarize(kind, &mut reader, front_matter.as_ref()) {
        Ok(summary) => (summary, None),
        Err(problem) => (Summary::None, Some(problem)),
    };
    // The summariser may stop early; the hash covers every byte.
    reader.drain()?;
    if let Some(error) = reader.error.take() {
        return Err(error);
    }
    let (sha256, size) = reader.finish();
    Ok(Facts {
        kind,
        sha256,
        size,
        summary,
        problem,
        front_matter,
    })
}

/// A buffered reader that hashes every byte handed out, so parsing and
/// hashing share one read of the file.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    size: u64,
    /// An I/O error met while a parser was reading; parsers see it as the
    /// end of input or a parse failure, the caller sees it here.
    error: Option<io::Error>,
}

impl<R: BufRead> HashingReader<R> {
    fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            size: 0,
            error: None,
        }
    }

    fn drain(&mut self) -> io::Result<()> {
        loop {
            let available = self.fill_buf()?.len();
            if available == 0 {
                return Ok(());
            }
            self.consume(available);
        }
    }

    fn finish(self) -> (String, u64) {
        (hex::encode(self.hasher.finalize()), self.size)
    }
}

impl<R: BufRead> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for HashingReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self.inner.fill_buf() {
            Ok(buf) => Ok(buf),
            Err(error) => {
                let kind = error.kind();
                self.error = Some(error);
                Err(io::Error::new(kind, "read failed"))
            }
        }
    }

    fn consume(&mut self, amount: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let amount = amount.min(buf.len());
            self.hasher.update(&buf[..amount]);
            self.size += amount as u64;
            self.inner.consume(amount);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_covers_the_whole_file_whatever_the_parser_reads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.bin");
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let facts = read(&path).unwrap();
        assert_eq!(facts.size, 1_000_000);
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
