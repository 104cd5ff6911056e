//! The kind-specific summary of an evidence file, with the JSON keys that
//! `check --format json` promises (DESIGN.md, "summary by kind"), and the
//! dispatch from a kind to its parser.

use std::collections::BTreeMap;
use std::io::BufRead;

use serde::{Serialize, Serializer};

use super::common::{Parsed, Problem};
use super::details::Details;
use super::github::AlertCounts;
use super::{
    access_review, acknowledgement, ci_log, commit_signing, drill, github, gitleaks, grype, junit,
    kube_bench, metric, sarif, trivy, Kind,
};

/// A finding's severity, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }

    /// A severity named the way scanners name them (Trivy's `HIGH`,
    /// Grype's `Negligible`); unknown names are `info`.
    pub fn from_name(name: &str) -> Severity {
        match name.trim().to_ascii_lowercase().as_str() {
            "critical" => Severity::Critical,
            "high" => Severity::High,
            "medium" | "moderate" => Severity::Medium,
            "low" => Severity::Low,
            _ => Severity::Info,
        }
    }

    /// GitHub code scanning's reading of a `security-severity` score.
    pub fn from_score(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::Info
        }
    }
}

/// Findings by severity, counted the way GitHub code scanning counts them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Severities {
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
    pub info: u64,
}

impl Severities {
    pub fn add(&mut self, severity: Severity, n: u64) {
        let slot = match severity {
            Severity::Critical => &mut self.critical,
            Severity::High => &mut self.high,
            Severity::Medium => &mut self.medium,
            Severity::Low => &mut self.low,
            Severity::Info => &mut self.info,
        };
        *slot = slot.saturating_add(n);
    }

    pub fn total(&self) -> u64 {
        self.critical
            .saturating_add(self.high)
            .saturating_add(self.medium)
            .saturating_add(self.low)
            .saturating_add(self.info)
    }
}

/// kube-bench check results.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Checks {
    pub pass: u64,
    pub fail: u64,
    pub warn: u64,
    pub info: u64,
}

/// Test cases by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Tests {
    pub passed: u64,
    pub failed: u64,
    pub errored: u64,
    pub skipped: u64,
}

impl Tests {
    pub fn total(&self) -> u64 {
        self.passed
            .saturating_add(self.failed)
            .saturating_add(self.errored)
            .saturating_add(self.skipped)
    }
}

/// How a CI job ended, read from the closing lines of its log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Success,
    Failure,
    Unknown,
}

/// Where a drill's `passed` came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PassedFrom {
    /// The record's `outcome`.
    Outcome,
    /// Derived: every given actual within its target.
    Targets,
}

/// One policy version and how many people acknowledged it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AckPolicy {
    pub policy: String,
    pub version: String,
    pub people: u64,
}

/// Signed commits by signature type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Signed {
    pub gpg: u64,
    pub ssh: u64,
    pub x509: u64,
}

/// Which way a metric is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Availability, success rates, throughput: at or above the target.
    Higher,
    /// Latency, lead time, error rates, RTO/RPO: at or below the target.
    Lower,
}

/// One metric of a metric CSV.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricSummary {
    pub name: String,
    pub points: u64,
    /// The first and last dates measured.
    pub first: String,
    pub last: String,
    /// The value at the last date.
    pub latest: f64,
    /// The target at the last date that had one.
    pub target: Option<f64>,
    pub direction: Direction,
    pub min: f64,
    pub max: f64,
    pub mean: Option<f64>,
    /// Whether the latest value meets the target (null without a target).
    pub met_target: Option<bool>,
    /// How many points had a target and met it.
    pub points_met_target: u64,
    /// For SLO-style metrics (availability, success or error rates): the
    /// share of the error budget the mean leaves, 1 = untouched, below 0 =
    /// overspent.
    pub error_budget_left: Option<f64>,
}

/// What an evidence file says, by kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Summary {
    /// SARIF, Trivy, Grype, gitleaks.
    Findings {
        findings: Severities,
        tools: Vec<String>,
        /// Findings the report marks as suppressed or ignored (SARIF
        /// suppressions, Grype ignored matches); not in `findings`.
        suppressed: u64,
    },
    /// kube-bench.
    Checks {
        checks: Checks,
        /// The totals the report states, when it states them (they can
        /// disagree with its results).
        #[serde(skip_serializing_if = "Option::is_none")]
        reported: Option<Checks>,
    },
    /// JUnit XML.
    Tests { tests: Tests, suites: u64 },
    /// CI logs.
    Log {
        lines: u64,
        errors: u64,
        warnings: u64,
        redacted: u64,
        outcome: Outcome,
    },
    /// Disaster-recovery drills and chaos experiments.
    Drill {
        scenario: Option<String>,
        date: Option<String>,
        #[serde(serialize_with = "minutes")]
        rto_target_min: Option<f64>,
        #[serde(serialize_with = "minutes")]
        rto_actual_min: Option<f64>,
        #[serde(serialize_with = "minutes")]
        rpo_target_min: Option<f64>,
        #[serde(serialize_with = "minutes")]
        rpo_actual_min: Option<f64>,
        passed: Option<bool>,
        passed_from: Option<PassedFrom>,
    },
    /// Access review CSVs.
    AccessReview {
        entries: u64,
        systems: u64,
        accounts: u64,
        reviewers: u64,
        decisions: BTreeMap<String, u64>,
        first_date: Option<String>,
        last_date: Option<String>,
    },
    /// Policy acknowledgement CSVs.
    Acknowledgement {
        people: u64,
        acknowledgements: u64,
        policies: Vec<AckPolicy>,
        first_date: Option<String>,
        last_date: Option<String>,
    },
    /// Metric CSVs.
    Metrics { metrics: Vec<MetricSummary> },
    /// Commit-signing statistics from `auditbook collect git`.
    CommitSigning {
        commits: u64,
        signed: Signed,
        verified: u64,
        unsigned: u64,
    },
    /// `collect github`: branch protection and rulesets of the default
    /// branch.
    GithubProtection {
        repository: String,
        branch: String,
        protected: bool,
        required_reviews: u64,
        dismiss_stale_reviews: bool,
        code_owner_reviews: bool,
        required_status_checks: u64,
        signed_commits_required: bool,
        admins_included: bool,
        force_pushes_allowed: bool,
        deletions_allowed: bool,
        scorecard_tier: u64,
    },
    /// `collect github`: merged pull requests by review.
    GithubChanges {
        repository: String,
        merged: u64,
        reviewed: u64,
        self_merged: u64,
        unreviewed: u64,
        approved_after_merge: u64,
        bot_approved_only: u64,
    },
    /// `collect github`: workflow runs and deployments.
    GithubCi {
        repository: String,
        runs: u64,
        success: u64,
        failure: u64,
        cancelled: u64,
        other: u64,
        workflows: u64,
        deployments: u64,
        /// False when GitHub counted more runs than it listed.
        complete: bool,
    },
    /// `collect github`: Dependabot, code scanning and secret scanning.
    GithubAlerts {
        repository: String,
        open: AlertCounts,
        fixed: u64,
        dismissed: u64,
        unavailable: Vec<String>,
        median_days_to_fix: Option<f64>,
    },
    /// `collect github`: GitHub's verification of default-branch commits.
    GithubCommits {
        repository: String,
        commits: u64,
        verified: u64,
        unverified: u64,
        disagree_with_git: Option<u64>,
    },
    /// `collect github`: collaborators and teams.
    GithubAccess {
        repository: String,
        collaborators: u64,
        admins: u64,
        teams: u64,
    },
    /// A file with nothing to summarise (generic files), or one whose
    /// format failed to parse.
    #[default]
    #[serde(serialize_with = "empty_object")]
    None,
}

fn empty_object<S: Serializer>(serializer: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    serializer.serialize_map(Some(0))?.end()
}

/// Whole minutes as integers (`42`, not `42.0`), others as they are.
fn minutes<S: Serializer>(value: &Option<f64>, serializer: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) if v.fract() == 0.0 && v.abs() < 9.0e15 => serializer.serialize_i64(*v as i64),
        Some(v) => serializer.serialize_f64(*v),
        None => serializer.serialize_none(),
    }
}

/// Reads a file of `kind` from `reader`. `front_matter` is the YAML front
/// matter of a markdown file and the lines before it.
pub fn summarize(
    kind: Kind,
    reader: &mut dyn BufRead,
    front_matter: Option<&(String, u32)>,
) -> Result<Parsed, Problem> {
    match kind {
        Kind::Sarif => sarif::parse(reader),
        Kind::Trivy => trivy::parse(reader),
        Kind::Grype => grype::parse(reader),
        Kind::Gitleaks => gitleaks::parse(reader),
        Kind::KubeBench => kube_bench::parse(reader),
        Kind::Junit => junit::parse(reader),
        Kind::CiLog => ci_log::parse(reader),
        Kind::Drill => drill::parse(reader, front_matter),
        Kind::AccessReview => access_review::parse(reader),
        Kind::Acknowledgement => acknowledgement::parse(reader),
        Kind::Metric => metric::parse(reader),
        Kind::CommitSigning => commit_signing::parse(reader),
        Kind::GithubProtection
        | Kind::GithubChanges
        | Kind::GithubCi
        | Kind::GithubAlerts
        | Kind::GithubCommits
        | Kind::GithubAccess => github::parse(kind, reader),
        Kind::Generic => Ok(Parsed {
            summary: Summary::None,
            details: Details::None,
            observed_at: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn summaries_serialize_to_the_design_keys() {
        let findings = Summary::Findings {
            findings: Severities {
                critical: 1,
                ..Severities::default()
            },
            tools: vec!["Trivy".into()],
            suppressed: 0,
        };
        assert_eq!(
            serde_json::to_value(&findings).unwrap(),
            json!({"findings": {"critical": 1, "high": 0, "medium": 0, "low": 0, "info": 0},
                   "tools": ["Trivy"], "suppressed": 0})
        );
        let drill = Summary::Drill {
            scenario: Some("Region loss".into()),
            date: Some("2026-03-14".into()),
            rto_target_min: Some(60.0),
            rto_actual_min: Some(42.5),
            rpo_target_min: None,
            rpo_actual_min: None,
            passed: Some(true),
            passed_from: Some(PassedFrom::Targets),
        };
        assert_eq!(
            serde_json::to_value(&drill).unwrap(),
            json!({"scenario": "Region loss", "date": "2026-03-14", "rto_target_min": 60,
                   "rto_actual_min": 42.5, "rpo_target_min": null, "rpo_actual_min": null,
                   "passed": true, "passed_from": "targets"})
        );
        assert_eq!(serde_json::to_value(Summary::None).unwrap(), json!({}));
    }

    #[test]
    fn security_severity_scores_follow_github() {
        assert_eq!(Severity::from_score(9.8), Severity::Critical);
        assert_eq!(Severity::from_score(9.0), Severity::Critical);
        assert_eq!(Severity::from_score(8.9), Severity::High);
        assert_eq!(Severity::from_score(7.0), Severity::High);
        assert_eq!(Severity::from_score(4.0), Severity::Medium);
        assert_eq!(Severity::from_score(0.1), Severity::Low);
        assert_eq!(Severity::from_score(0.0), Severity::Info);
        assert_eq!(Severity::from_name("Negligible"), Severity::Info);
        assert_eq!(Severity::from_name("UNKNOWN"), Severity::Info);
        assert_eq!(Severity::from_name("HIGH"), Severity::High);
    }
}
