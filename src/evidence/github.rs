//! The six kinds `auditbook collect github` writes (`github-protection`,
//! `-changes`, `-ci`, `-alerts`, `-commits`, `-access`): each file's
//! `summary` (DESIGN.md's keys and a few more) and bounded rows for the
//! portal. Titles and messages come from GitHub users, so they are cut and
//! redacted like any evidence text.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::BufRead;

use serde::{Deserialize, Serialize};

use super::common::{from_json_reader, truncate, Parsed, Problem};
use super::details::{Details, MESSAGE_LEN};
use super::summary::Summary;
use super::Kind;
use crate::redact::redact_text;

/// The most rows each GitHub list keeps for the portal.
pub const MAX_GITHUB_ROWS: usize = 500;

/// Open alerts by severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertCounts {
    #[serde(default)]
    pub critical: u64,
    #[serde(default)]
    pub high: u64,
    #[serde(default)]
    pub medium: u64,
    #[serde(default)]
    pub low: u64,
}

impl AlertCounts {
    pub fn total(&self) -> u64 {
        self.critical
            .saturating_add(self.high)
            .saturating_add(self.medium)
            .saturating_add(self.low)
    }
}

/// A merged pull request that was not reviewed before its merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChangeRow {
    pub number: u64,
    pub title: String,
    pub url: Option<String>,
    pub author: String,
    pub merged_by: Option<String>,
    pub merged_at: String,
    /// `unreviewed` or `approved_after_merge`.
    pub class: String,
    pub self_merged: bool,
    /// `login (time)` of each approval by someone other than the author.
    pub approvals: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkflowCounts {
    pub name: String,
    pub runs: u64,
    pub success: u64,
    pub failure: u64,
    pub cancelled: u64,
    pub other: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertFeature {
    pub feature: String,
    pub available: bool,
    /// GitHub's message when the feature is not available.
    pub message: Option<String>,
    pub open: AlertCounts,
    pub fixed: u64,
    pub dismissed: u64,
    pub median_days_to_fix: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertRow {
    pub feature: String,
    pub number: u64,
    pub severity: String,
    pub title: String,
    pub created_at: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnverifiedCommit {
    pub sha: String,
    pub author: String,
    pub date: Option<String>,
    pub subject: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GitCheck {
    pub file: String,
    pub compared: u64,
    pub disagree: u64,
    pub github_only: Vec<String>,
    pub git_only: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessPerson {
    pub login: String,
    pub permission: String,
    pub admin: bool,
    pub bot: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessTeam {
    pub slug: String,
    pub name: String,
    pub permission: String,
}

// ---------------------------------------------------------------------------
// The file as written.

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    collected_at: Option<String>,
    #[serde(default)]
    repository: Option<FileRepository>,
    summary: serde_json::Value,
    #[serde(default)]
    protection: Option<FileProtection>,
    #[serde(default)]
    exceptions: Vec<FileChange>,
    #[serde(default)]
    workflows: Vec<FileWorkflow>,
    #[serde(default)]
    environments: Vec<FileEnvironment>,
    #[serde(default)]
    features: Vec<FileFeature>,
    #[serde(default)]
    open_alerts: Vec<FileAlert>,
    #[serde(default)]
    unverified: Vec<FileCommit>,
    #[serde(default)]
    git_cross_check: Option<FileCrossCheck>,
    #[serde(default)]
    collaborators: Vec<FilePerson>,
    #[serde(default)]
    teams: Vec<FileTeam>,
}

#[derive(Deserialize, Default)]
struct FileRepository {
    #[serde(default)]
    full_name: String,
}

#[derive(Deserialize, Default)]
struct FileProtection {
    #[serde(default)]
    status_checks: Vec<String>,
    #[serde(default)]
    rules: Vec<FileRule>,
    #[serde(default)]
    protection_message: Option<String>,
    #[serde(default)]
    next_tier_needs: Vec<String>,
}

#[derive(Deserialize)]
struct FileRule {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    source: Option<String>,
}

#[derive(Deserialize)]
struct FileChange {
    number: u64,
    #[serde(default)]
    title: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    author: String,
    #[serde(default)]
    merged_by: Option<String>,
    #[serde(default)]
    merged_at: String,
    class: String,
    #[serde(default)]
    self_merged: bool,
    #[serde(default)]
    approvals: Vec<FileApproval>,
}

#[derive(Deserialize)]
struct FileApproval {
    user: String,
    #[serde(default)]
    submitted_at: Option<String>,
    #[serde(default)]
    bot: bool,
}

#[derive(Deserialize)]
struct FileWorkflow {
    name: String,
    #[serde(default)]
    runs: u64,
    #[serde(default)]
    success: u64,
    #[serde(default)]
    failure: u64,
    #[serde(default)]
    cancelled: u64,
    #[serde(default)]
    other: u64,
}

#[derive(Deserialize)]
struct FileEnvironment {
    environment: String,
    deployments: u64,
}

#[derive(Deserialize)]
struct FileFeature {
    feature: String,
    available: bool,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    open: AlertCounts,
    #[serde(default)]
    fixed: u64,
    #[serde(default)]
    dismissed: u64,
    #[serde(default)]
    median_days_to_fix: Option<f64>,
}

#[derive(Deserialize)]
struct FileAlert {
    feature: String,
    #[serde(default)]
    number: u64,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    url: Option<String>,
}

#[derive(Deserialize)]
struct FileCommit {
    sha: String,
    #[serde(default)]
    author: String,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
struct FileCrossCheck {
    file: String,
    compared: u64,
    disagree: u64,
    #[serde(default)]
    verified_by_github_only: Vec<String>,
    #[serde(default)]
    verified_by_git_only: Vec<String>,
}

#[derive(Deserialize)]
struct FilePerson {
    login: String,
    #[serde(default)]
    permission: String,
    #[serde(default)]
    admin: bool,
    #[serde(default)]
    bot: bool,
}

#[derive(Deserialize)]
struct FileTeam {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    permission: String,
}

// The summaries as written; missing DESIGN.md keys fail the parse.

#[derive(Deserialize)]
struct ProtectionSummary {
    branch: String,
    required_reviews: u64,
    signed_commits_required: bool,
    scorecard_tier: u64,
    #[serde(default)]
    protected: Option<bool>,
    #[serde(default)]
    dismiss_stale_reviews: bool,
    #[serde(default)]
    code_owner_reviews: bool,
    #[serde(default)]
    required_status_checks: u64,
    #[serde(default)]
    admins_included: bool,
    #[serde(default)]
    force_pushes_allowed: bool,
    #[serde(default)]
    deletions_allowed: bool,
}

#[derive(Deserialize)]
struct ChangesSummary {
    merged: u64,
    reviewed: u64,
    self_merged: u64,
    unreviewed: u64,
    approved_after_merge: u64,
    #[serde(default)]
    bot_approved_only: u64,
}

#[derive(Deserialize)]
struct CiSummary {
    runs: u64,
    success: u64,
    failure: u64,
    cancelled: u64,
    #[serde(default)]
    other: Option<u64>,
    #[serde(default)]
    workflows: u64,
    #[serde(default)]
    deployments: u64,
    #[serde(default = "yes")]
    complete: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct AlertsSummary {
    open: AlertCounts,
    fixed: u64,
    dismissed: u64,
    unavailable: Vec<String>,
    #[serde(default)]
    median_days_to_fix: Option<f64>,
}

#[derive(Deserialize)]
struct CommitsSummary {
    commits: u64,
    verified: u64,
    #[serde(default)]
    disagree_with_git: Option<u64>,
}

#[derive(Deserialize)]
struct AccessSummary {
    collaborators: u64,
    admins: u64,
    #[serde(default)]
    teams: u64,
}

fn clean(text: &str) -> String {
    let cut = truncate(text.trim(), MESSAGE_LEN);
    match redact_text(&cut) {
        (Cow::Owned(redacted), _) => redacted,
        (Cow::Borrowed(_), _) => cut,
    }
}

fn capped<T, U>(items: Vec<T>, f: impl FnMut(T) -> U) -> (Vec<U>, u64) {
    let omitted = items.len().saturating_sub(MAX_GITHUB_ROWS) as u64;
    (
        items.into_iter().take(MAX_GITHUB_ROWS).map(f).collect(),
        omitted,
    )
}

fn summary_of<T: for<'de> Deserialize<'de>>(value: serde_json::Value) -> Result<T, Problem> {
    serde_json::from_value(value).map_err(|e| {
        Problem::new(
            None,
            format!("the summary is not as `collect github` writes it: {e}"),
        )
    })
}

fn does_not_add_up(what: String) -> Problem {
    Problem::new(None, format!("the summary does not add up: {what}"))
}

pub fn parse(kind: Kind, reader: &mut dyn BufRead) -> Result<Parsed, Problem> {
    let file: File = from_json_reader(reader)?;
    let repository = file.repository.unwrap_or_default().full_name;
    let (summary, details) = match kind {
        Kind::GithubProtection => {
            let s: ProtectionSummary = summary_of(file.summary)?;
            if s.scorecard_tier > 5 {
                return Err(does_not_add_up(format!(
                    "Scorecard tier {} (tiers go to 5)",
                    s.scorecard_tier
                )));
            }
            let p = file.protection.unwrap_or_default();
            (
                Summary::GithubProtection {
                    repository,
                    branch: s.branch,
                    protected: s.protected.unwrap_or(s.scorecard_tier > 0),
                    required_reviews: s.required_reviews,
                    dismiss_stale_reviews: s.dismiss_stale_reviews,
                    code_owner_reviews: s.code_owner_reviews,
                    required_status_checks: s.required_status_checks,
                    signed_commits_required: s.signed_commits_required,
                    admins_included: s.admins_included,
                    force_pushes_allowed: s.force_pushes_allowed,
                    deletions_allowed: s.deletions_allowed,
                    scorecard_tier: s.scorecard_tier,
                },
                Details::GithubProtection {
                    status_checks: p.status_checks.iter().map(|c| clean(c)).collect(),
                    rules: p
                        .rules
                        .into_iter()
                        .map(|r| match r.source {
                            Some(source) => format!("{} ({})", r.kind, clean(&source)),
                            None => r.kind,
                        })
                        .collect(),
                    message: p.protection_message.map(|m| clean(&m)),
                    next_tier_needs: p.next_tier_needs,
                },
            )
        }
        Kind::GithubChanges => {
            let s: ChangesSummary = summary_of(file.summary)?;
            let classes = s
                .reviewed
                .saturating_add(s.unreviewed)
                .saturating_add(s.approved_after_merge);
            if classes != s.merged || s.self_merged > s.merged - s.reviewed.min(s.merged) {
                return Err(does_not_add_up(format!(
                    "{} merged, {} reviewed, {} approved after merge, {} unreviewed, {} self-merged",
                    s.merged, s.reviewed, s.approved_after_merge, s.unreviewed, s.self_merged
                )));
            }
            let (exceptions, omitted) = capped(file.exceptions, |c| ChangeRow {
                number: c.number,
                title: clean(&c.title),
                url: c.url,
                author: c.author,
                merged_by: c.merged_by,
                merged_at: c.merged_at,
                class: c.class,
                self_merged: c.self_merged,
                approvals: c
                    .approvals
                    .into_iter()
                    .map(|a| {
                        format!(
                            "{}{}{}",
                            a.user,
                            if a.bot { " (bot)" } else { "" },
                            a.submitted_at
                                .map(|t| format!(" at {t}"))
                                .unwrap_or_default()
                        )
                    })
                    .collect(),
            });
            (
                Summary::GithubChanges {
                    repository,
                    merged: s.merged,
                    reviewed: s.reviewed,
                    self_merged: s.self_merged,
                    unreviewed: s.unreviewed,
                    approved_after_merge: s.approved_after_merge,
                    bot_approved_only: s.bot_approved_only,
                },
                Details::GithubChanges {
                    exceptions,
                    omitted,
                },
            )
        }
        Kind::GithubCi => {
            let s: CiSummary = summary_of(file.summary)?;
            let counted = s
                .success
                .saturating_add(s.failure)
                .saturating_add(s.cancelled);
            if counted > s.runs {
                return Err(does_not_add_up(format!(
                    "{} runs, {counted} success, failure or cancelled",
                    s.runs
                )));
            }
            let (workflows, _) = capped(file.workflows, |w| WorkflowCounts {
                name: clean(&w.name),
                runs: w.runs,
                success: w.success,
                failure: w.failure,
                cancelled: w.cancelled,
                other: w.other,
            });
            (
                Summary::GithubCi {
                    repository,
                    runs: s.runs,
                    success: s.success,
                    failure: s.failure,
                    cancelled: s.cancelled,
                    other: s.other.unwrap_or(s.runs - counted),
                    workflows: s.workflows,
                    deployments: s.deployments,
                    complete: s.complete,
                },
                Details::GithubCi {
                    workflows,
                    environments: file
                        .environments
                        .into_iter()
                        .take(MAX_GITHUB_ROWS)
                        .map(|e| (clean(&e.environment), e.deployments))
                        .collect(),
                },
            )
        }
        Kind::GithubAlerts => {
            let s: AlertsSummary = summary_of(file.summary)?;
            let (open_alerts, omitted) = capped(file.open_alerts, |a| AlertRow {
                feature: a.feature,
                number: a.number,
                severity: a.severity,
                title: clean(&a.title),
                created_at: a.created_at,
                url: a.url,
            });
            (
                Summary::GithubAlerts {
                    repository,
                    open: s.open,
                    fixed: s.fixed,
                    dismissed: s.dismissed,
                    unavailable: s.unavailable,
                    median_days_to_fix: s.median_days_to_fix,
                },
                Details::GithubAlerts {
                    features: file
                        .features
                        .into_iter()
                        .take(16)
                        .map(|f| AlertFeature {
                            feature: f.feature,
                            available: f.available,
                            message: f.message.map(|m| clean(&m)),
                            open: f.open,
                            fixed: f.fixed,
                            dismissed: f.dismissed,
                            median_days_to_fix: f.median_days_to_fix,
                        })
                        .collect(),
                    open_alerts,
                    omitted,
                },
            )
        }
        Kind::GithubCommits => {
            let s: CommitsSummary = summary_of(file.summary)?;
            if s.verified > s.commits {
                return Err(does_not_add_up(format!(
                    "{} commits, {} verified",
                    s.commits, s.verified
                )));
            }
            let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
            for c in &file.unverified {
                *reasons.entry(c.reason.clone()).or_default() += 1;
            }
            let (unverified, omitted) = capped(file.unverified, |c| UnverifiedCommit {
                sha: c.sha,
                author: clean(&c.author),
                date: c.date,
                subject: clean(&c.subject),
                reason: c.reason,
            });
            (
                Summary::GithubCommits {
                    repository,
                    commits: s.commits,
                    verified: s.verified,
                    unverified: s.commits - s.verified,
                    disagree_with_git: s.disagree_with_git,
                },
                Details::GithubCommits {
                    unverified,
                    omitted,
                    reasons: reasons.into_iter().collect(),
                    git: file.git_cross_check.map(|c| GitCheck {
                        file: c.file,
                        compared: c.compared,
                        disagree: c.disagree,
                        github_only: c
                            .verified_by_github_only
                            .into_iter()
                            .take(MAX_GITHUB_ROWS)
                            .collect(),
                        git_only: c
                            .verified_by_git_only
                            .into_iter()
                            .take(MAX_GITHUB_ROWS)
                            .collect(),
                    }),
                },
            )
        }
        Kind::GithubAccess => {
            let s: AccessSummary = summary_of(file.summary)?;
            if s.admins > s.collaborators {
                return Err(does_not_add_up(format!(
                    "{} collaborators, {} admins",
                    s.collaborators, s.admins
                )));
            }
            let (people, omitted) = capped(file.collaborators, |p| AccessPerson {
                login: p.login,
                permission: p.permission,
                admin: p.admin,
                bot: p.bot,
            });
            (
                Summary::GithubAccess {
                    repository,
                    collaborators: s.collaborators,
                    admins: s.admins,
                    teams: s.teams,
                },
                Details::GithubAccess {
                    people,
                    teams: file
                        .teams
                        .into_iter()
                        .take(MAX_GITHUB_ROWS)
                        .map(|t| AccessTeam {
                            slug: t.slug,
                            name: clean(&t.name),
                            permission: t.permission,
                        })
                        .collect(),
                    omitted,
                },
            )
        }
        _ => (Summary::None, Details::None),
    };
    Ok(Parsed {
        summary,
        details,
        observed_at: file
            .collected_at
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&chrono::Utc)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(kind: Kind, text: &str) -> Result<Parsed, Problem> {
        parse(kind, &mut text.as_bytes())
    }

    #[test]
    fn summaries_keep_the_design_keys() {
        let parsed = read(
            Kind::GithubChanges,
            r#"{"generator":"auditbook 0.1.0","kind":"github-changes","collected_at":"2026-03-01T00:00:00Z",
                "repository":{"full_name":"o/r"},
                "summary":{"merged":412,"reviewed":400,"self_merged":3,"unreviewed":7,"approved_after_merge":5},
                "exceptions":[{"number":9,"title":"token ghp_abcdefghijklmnopqrstuvwxyz0123456789 here","author":"a","merged_at":"x","class":"unreviewed","self_merged":true,
                               "approvals":[{"user":"dependabot[bot]","bot":true}]}]}"#,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&parsed.summary).unwrap(),
            serde_json::json!({"repository":"o/r","merged":412,"reviewed":400,"self_merged":3,
                               "unreviewed":7,"approved_after_merge":5,"bot_approved_only":0})
        );
        let Details::GithubChanges { exceptions, .. } = parsed.details else {
            panic!()
        };
        // Titles are user text: redacted before they reach a page.
        assert_eq!(exceptions[0].title, "token [REDACTED:github-token] here");
        assert_eq!(exceptions[0].approvals, ["dependabot[bot] (bot)"]);
        assert!(parsed.observed_at.is_some());

        let alerts = read(
            Kind::GithubAlerts,
            r#"{"summary":{"open":{"critical":1,"high":0,"medium":2,"low":0},"fixed":3,"dismissed":1,"unavailable":["secret-scanning"]}}"#,
        )
        .unwrap();
        let value = serde_json::to_value(&alerts.summary).unwrap();
        assert_eq!(
            value["open"],
            serde_json::json!({"critical":1,"high":0,"medium":2,"low":0})
        );
        assert_eq!(value["unavailable"], serde_json::json!(["secret-scanning"]));
    }

    #[test]
    fn summaries_that_do_not_add_up_are_problems() {
        assert!(read(
            Kind::GithubChanges,
            r#"{"summary":{"merged":2,"reviewed":2,"self_merged":0,"unreviewed":1,"approved_after_merge":0}}"#
        )
        .is_err());
        assert!(read(
            Kind::GithubChanges,
            r#"{"summary":{"merged":2,"reviewed":2,"self_merged":1,"unreviewed":0,"approved_after_merge":0}}"#
        )
        .is_err());
        assert!(read(
            Kind::GithubCommits,
            r#"{"summary":{"commits":1,"verified":2}}"#
        )
        .is_err());
        assert!(read(
            Kind::GithubAccess,
            r#"{"summary":{"collaborators":1,"admins":2}}"#
        )
        .is_err());
        assert!(read(
            Kind::GithubCi,
            r#"{"summary":{"runs":1,"success":1,"failure":1,"cancelled":0}}"#
        )
        .is_err());
        assert!(read(
            Kind::GithubProtection,
            r#"{"summary":{"branch":"main","required_reviews":1,"signed_commits_required":true,"scorecard_tier":6}}"#
        )
        .is_err());
        // A missing DESIGN key.
        assert!(read(Kind::GithubAccess, r#"{"summary":{"collaborators":1}}"#).is_err());
        assert!(read(Kind::GithubAccess, "{").is_err());
    }

    /// Every prefix and a few byte flips of `collect github`'s own files
    /// parse or fail cleanly.
    #[test]
    fn damaged_files_never_panic() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/github-evidence");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let kind = super::super::detect(&path, &bytes, None);
            assert!(kind.as_str().starts_with("github-"), "{}", path.display());
            assert!(
                parse(kind, &mut bytes.as_slice()).is_ok(),
                "{}",
                path.display()
            );
            for cut in (0..bytes.len()).step_by(61) {
                let _ = parse(kind, &mut &bytes[..cut]);
                let mut flipped = bytes.clone();
                flipped[cut] ^= 0x5a;
                let _ = parse(kind, &mut flipped.as_slice());
            }
        }
    }
}
