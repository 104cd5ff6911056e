//! The few fields auditbook reads from GitHub's REST answers. Every field
//! is optional or defaulted: GitHub Enterprise Server versions and
//! permission levels leave different fields out, and a missing field must
//! not fail a collection.

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize, Default)]
pub struct User {
    #[serde(default)]
    pub login: String,
    #[serde(rename = "type", default)]
    pub kind: String,
}

impl User {
    /// Apps act as `Bot` users (`dependabot[bot]`, `github-actions[bot]`).
    pub fn is_bot(&self) -> bool {
        self.kind.eq_ignore_ascii_case("bot") || self.login.ends_with("[bot]")
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Repository {
    pub name: String,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub default_branch: Option<String>,
    #[serde(default)]
    pub html_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct Enabled {
    #[serde(default)]
    pub enabled: bool,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct StatusChecks {
    #[serde(default)]
    pub contexts: Vec<String>,
    #[serde(default)]
    pub checks: Vec<Check>,
    #[serde(default)]
    pub strict: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct Check {
    #[serde(default)]
    pub context: String,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct PullRequestReviews {
    #[serde(default)]
    pub dismiss_stale_reviews: bool,
    #[serde(default)]
    pub require_code_owner_reviews: bool,
    #[serde(default)]
    pub required_approving_review_count: Option<u64>,
}

/// `GET /repos/{owner}/{repo}/branches/{branch}/protection`.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Protection {
    #[serde(default)]
    pub required_status_checks: Option<StatusChecks>,
    #[serde(default)]
    pub enforce_admins: Option<Enabled>,
    #[serde(default)]
    pub required_pull_request_reviews: Option<PullRequestReviews>,
    #[serde(default)]
    pub required_signatures: Option<Enabled>,
    #[serde(default)]
    pub allow_force_pushes: Option<Enabled>,
    #[serde(default)]
    pub allow_deletions: Option<Enabled>,
    #[serde(default)]
    pub required_linear_history: Option<Enabled>,
}

/// One rule of `GET /repos/{owner}/{repo}/rules/branches/{branch}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Rule {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub parameters: Option<serde_json::Value>,
    #[serde(default)]
    pub ruleset_source: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct Branch {
    #[serde(rename = "ref", default)]
    pub name: String,
}

/// An item of `GET /repos/{owner}/{repo}/pulls`.
#[derive(Debug, Clone, Deserialize)]
pub struct PullRequest {
    pub number: u64,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub merged_at: Option<String>,
    #[serde(default)]
    pub merged_by: Option<User>,
    #[serde(default)]
    pub base: Branch,
}

/// An item of `GET /repos/{owner}/{repo}/pulls/{number}/reviews`.
#[derive(Debug, Clone, Deserialize)]
pub struct Review {
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub submitted_at: Option<String>,
}

/// `GET /repos/{owner}/{repo}/actions/runs`.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct WorkflowRuns {
    #[serde(default)]
    pub total_count: u64,
    #[serde(default)]
    pub workflow_runs: Vec<WorkflowRun>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WorkflowRun {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub conclusion: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Deployment {
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
}

/// Dependabot, code scanning and secret scanning alerts share what
/// auditbook reads; each fills some of these fields.
#[derive(Debug, Clone, Deserialize)]
pub struct Alert {
    #[serde(default)]
    pub number: u64,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub html_url: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub fixed_at: Option<String>,
    #[serde(default)]
    pub dismissed_at: Option<String>,
    #[serde(default)]
    pub auto_dismissed_at: Option<String>,
    #[serde(default)]
    pub resolved_at: Option<String>,
    /// Secret scanning: `false_positive`, `wont_fix`, `revoked`, `used_in_tests`.
    #[serde(default)]
    pub resolution: Option<String>,
    /// Dependabot.
    #[serde(default)]
    pub security_advisory: Option<Advisory>,
    #[serde(default)]
    pub security_vulnerability: Option<Advisory>,
    /// Code scanning.
    #[serde(default)]
    pub rule: Option<AlertRule>,
    /// Secret scanning.
    #[serde(default)]
    pub secret_type_display_name: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct Advisory {
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub ghsa_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct AlertRule {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub severity: Option<String>,
    #[serde(default)]
    pub security_severity_level: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// An item of `GET /repos/{owner}/{repo}/commits`.
#[derive(Debug, Clone, Deserialize)]
pub struct Commit {
    pub sha: String,
    #[serde(default)]
    pub commit: CommitData,
    #[serde(default)]
    pub author: Option<User>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct CommitData {
    #[serde(default)]
    pub author: Option<GitPerson>,
    #[serde(default)]
    pub committer: Option<GitPerson>,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub verification: Option<Verification>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct GitPerson {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub date: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct Verification {
    #[serde(default)]
    pub verified: bool,
    #[serde(default)]
    pub reason: String,
}

/// An item of `GET /repos/{owner}/{repo}/collaborators`.
#[derive(Debug, Clone, Deserialize)]
pub struct Collaborator {
    pub login: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub role_name: Option<String>,
    #[serde(default)]
    pub permissions: Option<Permissions>,
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct Permissions {
    #[serde(default)]
    pub admin: bool,
    #[serde(default)]
    pub maintain: bool,
    #[serde(default)]
    pub push: bool,
    #[serde(default)]
    pub triage: bool,
    #[serde(default)]
    pub pull: bool,
}

/// An item of `GET /repos/{owner}/{repo}/teams`.
#[derive(Debug, Clone, Deserialize)]
pub struct Team {
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub permission: Option<String>,
}
