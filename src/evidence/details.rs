//! Bounded material for the portal's view of each kind: a findings table,
//! failing tests, log excerpts around errors, a drill's participants and
//! notes, metric series. Every list has a cap, so memory does not grow
//! with the file; text is truncated and secrets are redacted before it is
//! stored.

use std::borrow::Cow;

use serde::Serialize;

use super::common::truncate;
use super::github::{
    AccessPerson, AccessTeam, AlertFeature, AlertRow, ChangeRow, GitCheck, UnverifiedCommit,
    WorkflowCounts,
};
use super::summary::Severity;
use crate::redact::redact_text;

/// The most findings a scan's table keeps.
pub const MAX_FINDINGS: usize = 500;
/// The most failing tests a JUnit report's list keeps.
pub const MAX_FAILING_TESTS: usize = 200;
/// The most failing or warning checks a kube-bench report's list keeps.
pub const MAX_FAILING_CHECKS: usize = 200;
/// The most log excerpts kept.
pub const MAX_EXCERPTS: usize = 20;
/// Messages are cut to this many characters.
pub const MESSAGE_LEN: usize = 300;
/// The most points kept per metric series, and the most series.
pub const MAX_POINTS: usize = 1000;
pub const MAX_SERIES: usize = 100;
/// The most access review entries with a decision other than `keep` kept.
pub const MAX_ACCESS_CHANGES: usize = 200;
/// The most people, and policy versions, an acknowledgement file's lists keep.
pub const MAX_ACK_PEOPLE: usize = 10_000;
pub const MAX_ACK_VERSIONS: usize = 1000;
/// The most months and authors a commit-signing file's tables keep.
pub const MAX_SIGNING_MONTHS: usize = 600;
pub const MAX_SIGNING_AUTHORS: usize = 1000;

/// What the portal shows for one evidence file, by kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(tag = "view", rename_all = "kebab-case")]
pub enum Details {
    /// Scans: the most severe findings, sorted by severity, then rule.
    Findings {
        rows: Vec<FindingRow>,
        /// Findings counted but not in `rows` (beyond the cap).
        omitted: u64,
    },
    /// JUnit: failing and erroring tests, in file order.
    Tests {
        failing: Vec<FailingTest>,
        omitted: u64,
    },
    /// kube-bench: failing, then warning checks.
    Checks {
        checks: Vec<FailingCheck>,
        omitted: u64,
    },
    /// CI logs: excerpts around error lines, already redacted.
    Log {
        excerpts: Vec<Excerpt>,
        /// Error lines in no excerpt (beyond the cap).
        omitted: u64,
    },
    /// Drills: who took part, and the record's notes (markdown body).
    Drill {
        participants: Vec<String>,
        notes: String,
    },
    /// Access reviews: the entries whose decision is not `keep` (revoked,
    /// modified, undecided…), in file order.
    AccessChanges {
        changes: Vec<AccessChange>,
        omitted: u64,
    },
    /// Policy acknowledgements: who acknowledged which policy version, so
    /// that the assessment can count people across files.
    Acknowledgements {
        /// Everyone named in the file, sorted.
        people: Vec<String>,
        /// Each policy version and who acknowledged it, sorted.
        versions: Vec<AckVersion>,
        /// Whether people or versions were left out (beyond the caps).
        truncated: bool,
    },
    /// Metric CSVs: each metric's points, by date.
    Metrics {
        series: Vec<MetricSeries>,
        /// Whether some points or series were left out (beyond the caps).
        truncated: bool,
    },
    /// `collect github` protection: the required checks, the ruleset
    /// rules, GitHub's message when unprotected, what the next Scorecard
    /// tier needs.
    GithubProtection {
        status_checks: Vec<String>,
        rules: Vec<String>,
        message: Option<String>,
        next_tier_needs: Vec<String>,
    },
    /// `collect github` changes: every merged pull request not reviewed
    /// before its merge.
    GithubChanges {
        exceptions: Vec<ChangeRow>,
        omitted: u64,
    },
    /// `collect github` CI: runs per workflow, deployments per environment.
    GithubCi {
        workflows: Vec<WorkflowCounts>,
        environments: Vec<(String, u64)>,
    },
    /// `collect github` alerts: each feature (or why it is not available)
    /// and the alerts open at the end of the period, most severe first.
    GithubAlerts {
        features: Vec<AlertFeature>,
        open_alerts: Vec<AlertRow>,
        omitted: u64,
    },
    /// `collect github` commits: the unverified ones, reasons counted, and
    /// the comparison with `collect git`.
    GithubCommits {
        unverified: Vec<UnverifiedCommit>,
        omitted: u64,
        reasons: Vec<(String, u64)>,
        git: Option<GitCheck>,
    },
    /// `collect github` access: collaborators (admins first) and teams.
    GithubAccess {
        people: Vec<AccessPerson>,
        teams: Vec<AccessTeam>,
        omitted: u64,
    },
    /// Commit signing: counts per month (oldest first) and per author
    /// (most commits first).
    CommitSigning {
        months: Vec<SigningCount>,
        authors: Vec<SigningCount>,
        /// Whether months or authors were left out (beyond the caps).
        truncated: bool,
    },
    #[default]
    None,
}

/// One month's or one author's commits, as `collect git` counted them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SigningCount {
    /// `2026-03`, or the author as `Name <email>`.
    pub key: String,
    pub commits: u64,
    pub signed: u64,
    pub verified: u64,
    pub unsigned: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingRow {
    pub severity: Severity,
    pub rule: String,
    pub message: String,
    /// `file:line`, `file`, or a package and version.
    pub location: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TestOutcome {
    Failed,
    Errored,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailingTest {
    pub suite: Option<String>,
    pub classname: Option<String>,
    pub name: String,
    pub outcome: TestOutcome,
    pub message: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailingCheck {
    pub id: String,
    pub description: String,
    /// `fail` or `warn`.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Excerpt {
    pub lines: Vec<ExcerptLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExcerptLine {
    /// 1-based line number in the file.
    pub number: u64,
    /// The line without its timestamp, markers or colour codes, redacted.
    pub text: String,
    pub error: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessChange {
    pub system: String,
    pub account: String,
    pub reviewer: String,
    /// Lower-cased; `undecided` when empty.
    pub decision: String,
    pub date: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AckVersion {
    pub policy: String,
    pub version: String,
    /// Sorted, each once.
    pub people: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricSeries {
    pub name: String,
    pub points: Vec<MetricPoint>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricPoint {
    pub date: String,
    pub value: f64,
    pub target: Option<f64>,
}

/// Keeps the `MAX_FINDINGS` most severe findings seen, in bounded memory.
#[derive(Debug, Default)]
pub struct TopFindings {
    rows: Vec<FindingRow>,
    seen: u64,
    /// Once the table is full: the least severe row it holds. A finding
    /// that sorts after it can never make the table.
    threshold: Option<(Severity, String)>,
}

impl TopFindings {
    /// Takes the message and location as they come; cuts them here.
    pub fn push(
        &mut self,
        severity: Severity,
        rule: &str,
        message: &str,
        location: Option<String>,
    ) {
        self.seen = self.seen.saturating_add(1);
        if let Some((worst_severity, worst_rule)) = &self.threshold {
            if (severity, rule) > (*worst_severity, worst_rule.as_str()) {
                return;
            }
        }
        self.rows.push(FindingRow {
            severity,
            rule: truncate(rule, MESSAGE_LEN),
            message: truncate(message.trim(), MESSAGE_LEN),
            location: location.map(|l| truncate(&l, MESSAGE_LEN)),
        });
        if self.rows.len() >= 2 * MAX_FINDINGS {
            self.trim();
        }
    }

    /// A finding counted but not offered for the table.
    pub fn skip(&mut self) {
        self.seen = self.seen.saturating_add(1);
    }

    fn trim(&mut self) {
        // Stable: equal rows keep file order.
        self.rows.sort_by(|a, b| {
            (a.severity, &a.rule, &a.location).cmp(&(b.severity, &b.rule, &b.location))
        });
        self.rows.truncate(MAX_FINDINGS);
        if self.rows.len() == MAX_FINDINGS {
            self.threshold = self.rows.last().map(|r| (r.severity, r.rule.clone()));
        }
    }

    /// The table, its messages redacted.
    pub fn finish(mut self) -> Details {
        self.trim();
        for row in &mut self.rows {
            if let (Cow::Owned(text), _) = redact_text(&row.message) {
                row.message = text;
            }
        }
        let kept = self.rows.len() as u64;
        Details::Findings {
            rows: self.rows,
            omitted: self.seen.saturating_sub(kept),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_findings_keeps_the_most_severe_in_order() {
        let mut top = TopFindings::default();
        for i in 0..3000u32 {
            let severity = match i % 5 {
                0 => Severity::Info,
                1 => Severity::Low,
                2 => Severity::Medium,
                3 => Severity::High,
                _ => Severity::Critical,
            };
            top.push(
                severity,
                &format!("R{:04}", i % 7),
                "m",
                Some(format!("f:{i}")),
            );
        }
        let Details::Findings { rows, omitted } = top.finish() else {
            panic!()
        };
        assert_eq!(rows.len(), MAX_FINDINGS);
        assert_eq!(omitted, 2500);
        assert!(rows.iter().all(|r| r.severity == Severity::Critical));
        assert!(rows.windows(2).all(|w| w[0].rule <= w[1].rule));
    }
}
