//! The six parts `collect github` gathers per repository, each one evidence
//! file: what it asks the API and how it reads the answers. The judging
//! (review classes, Scorecard tiers, severities, medians) is in plain
//! functions over the API types, so it is tested without a server.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;

use super::api;
use super::http::{ApiError, Calls, Client};

/// The period as instants: from the first day's start to the last day's end.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Window {
    pub fn new(start: NaiveDate, end: NaiveDate) -> Window {
        Window {
            start: start.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
            end: end.and_hms_opt(23, 59, 59).unwrap_or_default().and_utc(),
        }
    }

    pub fn contains(&self, time: Option<&str>) -> bool {
        time.and_then(parse_time)
            .is_some_and(|t| t >= self.start && t <= self.end)
    }

    /// For lists sorted newest first: whether a page whose last item has
    /// `time` may be followed by items of the period.
    pub fn not_passed(&self, time: Option<&str>) -> bool {
        time.and_then(parse_time).is_none_or(|t| t >= self.start)
    }

    fn start_text(&self) -> String {
        self.start.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }

    fn end_text(&self) -> String {
        self.end.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    }
}

pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The repository a part reads.
pub struct Repo<'a> {
    pub org: &'a str,
    pub name: &'a str,
    pub branch: &'a str,
}

impl Repo<'_> {
    fn path(&self, rest: &str) -> String {
        format!("/repos/{}/{}{rest}", encode(self.org), encode(self.name))
    }
}

/// Everything but RFC 3986's unreserved characters.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `segment` as one path segment (or query value) of a URL.
pub fn encode(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, SEGMENT).to_string()
}

// ---------------------------------------------------------------------------
// Branch protection and rulesets.

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProtectionSummary {
    pub branch: String,
    pub protected: bool,
    pub required_reviews: u64,
    pub dismiss_stale_reviews: bool,
    pub code_owner_reviews: bool,
    pub required_status_checks: u64,
    pub signed_commits_required: bool,
    pub admins_included: bool,
    pub force_pushes_allowed: bool,
    pub deletions_allowed: bool,
    pub linear_history: bool,
    pub scorecard_tier: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProtectionDetails {
    /// The names of the required status checks.
    pub status_checks: Vec<String>,
    /// The rules of rulesets that apply to the branch, by type.
    pub rules: Vec<RuleRow>,
    /// GitHub's message when the branch has no classic protection.
    pub protection_message: Option<String>,
    /// What the next Scorecard tier still needs.
    pub next_tier_needs: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleRow {
    #[serde(rename = "type")]
    pub kind: String,
    pub source: Option<String>,
}

pub fn protection(
    client: &Client,
    calls: &mut Calls,
    repo: &Repo<'_>,
) -> Result<(ProtectionSummary, ProtectionDetails), ApiError> {
    let branch_path = repo.path(&format!("/branches/{}/protection", encode(repo.branch)));
    let (classic, message) = match client.get::<api::Protection>(
        calls,
        "/repos/{owner}/{repo}/branches/{branch}/protection",
        &branch_path,
    ) {
        Ok(p) => (Some(p), None),
        // "Branch not protected".
        Err(ApiError::Status {
            status: 404,
            message,
            ..
        }) => (None, Some(message)),
        Err(e) => return Err(e),
    };
    let mut classic = classic;
    if let Some(p) = classic.as_mut() {
        if p.required_signatures.is_none() {
            p.required_signatures = Some(client.get::<api::Enabled>(
                calls,
                "/repos/{owner}/{repo}/branches/{branch}/protection/required_signatures",
                &format!("{branch_path}/required_signatures"),
            )?);
        }
    }
    let rules = match client.get_all::<api::Rule, Vec<api::Rule>>(
        calls,
        "/repos/{owner}/{repo}/rules/branches/{branch}",
        &repo.path(&format!(
            "/rules/branches/{}?per_page=100",
            encode(repo.branch)
        )),
        |page| page,
        |_| true,
    ) {
        Ok(rules) => rules,
        // Servers without rulesets (older GitHub Enterprise Server).
        Err(ApiError::Status { status: 404, .. }) => Vec::new(),
        Err(e) => return Err(e),
    };
    Ok(judge_protection(
        repo.branch,
        classic.as_ref(),
        &rules,
        message,
    ))
}

/// Classic protection and rulesets together: a setting holds when either
/// requires it; counts take the larger.
pub fn judge_protection(
    branch: &str,
    classic: Option<&api::Protection>,
    rules: &[api::Rule],
    message: Option<String>,
) -> (ProtectionSummary, ProtectionDetails) {
    let mut s = ProtectionSummary {
        branch: branch.to_string(),
        protected: classic.is_some() || !rules.is_empty(),
        required_reviews: 0,
        dismiss_stale_reviews: false,
        code_owner_reviews: false,
        required_status_checks: 0,
        signed_commits_required: false,
        admins_included: false,
        force_pushes_allowed: true,
        deletions_allowed: true,
        linear_history: false,
        scorecard_tier: 0,
    };
    let mut checks = BTreeSet::new();
    if let Some(p) = classic {
        if let Some(r) = &p.required_pull_request_reviews {
            s.required_reviews = r.required_approving_review_count.unwrap_or(0);
            s.dismiss_stale_reviews = r.dismiss_stale_reviews;
            s.code_owner_reviews = r.require_code_owner_reviews;
        }
        if let Some(c) = &p.required_status_checks {
            checks.extend(c.contexts.iter().cloned());
            checks.extend(c.checks.iter().map(|c| c.context.clone()));
        }
        let on = |e: &Option<api::Enabled>| e.as_ref().is_some_and(|e| e.enabled);
        s.signed_commits_required = on(&p.required_signatures);
        s.admins_included = on(&p.enforce_admins);
        s.force_pushes_allowed = on(&p.allow_force_pushes);
        s.deletions_allowed = on(&p.allow_deletions);
        s.linear_history = on(&p.required_linear_history);
    }
    for rule in rules {
        let parameter = |name: &str| rule.parameters.as_ref().and_then(|p| p.get(name).cloned());
        match rule.kind.as_str() {
            "pull_request" => {
                let count = parameter("required_approving_review_count")
                    .and_then(|v| v.as_u64())
                    .unwrap_or(0);
                s.required_reviews = s.required_reviews.max(count);
                s.dismiss_stale_reviews |= parameter("dismiss_stale_reviews_on_push")
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false);
                s.code_owner_reviews |= parameter("require_code_owner_review")
                    .and_then(|v| v.as_bool())
                    .unwrap_or(false);
            }
            "required_status_checks" => {
                if let Some(list) = parameter("required_status_checks").and_then(|v| {
                    v.as_array().map(|a| {
                        a.iter()
                            .filter_map(|c| c.get("context")?.as_str().map(str::to_string))
                            .collect::<Vec<_>>()
                    })
                }) {
                    checks.extend(list);
                }
            }
            "required_signatures" => s.signed_commits_required = true,
            "non_fast_forward" => s.force_pushes_allowed = false,
            "deletion" => s.deletions_allowed = false,
            "required_linear_history" => s.linear_history = true,
            _ => {}
        }
    }
    // Rulesets bind administrators unless they are on a bypass list, which
    // this endpoint does not show; only classic protection says so.
    s.required_status_checks = checks.len() as u64;
    let (tier, needs) = scorecard_tier(&s);
    s.scorecard_tier = tier;
    let details = ProtectionDetails {
        status_checks: checks.into_iter().collect(),
        rules: rules
            .iter()
            .map(|r| RuleRow {
                kind: r.kind.clone(),
                source: r.ruleset_source.clone(),
            })
            .collect(),
        protection_message: if classic.is_none() { message } else { None },
        next_tier_needs: needs,
    };
    (s, details)
}

/// The tier of OpenSSF Scorecard's Branch-Protection check the settings
/// reach (0–5), and what the next tier needs. Tier 1: no force pushes, no
/// deletion; 2: at least one approving review; 3: at least one required
/// status check; 4: two reviews and code-owner review; 5: stale approvals
/// dismissed and administrators included.
pub fn scorecard_tier(s: &ProtectionSummary) -> (u64, Vec<String>) {
    let tiers: [Vec<(bool, &str)>; 5] = [
        vec![
            (!s.force_pushes_allowed, "force pushes blocked"),
            (!s.deletions_allowed, "branch deletion blocked"),
        ],
        vec![(s.required_reviews >= 1, "at least one approving review")],
        vec![(
            s.required_status_checks >= 1,
            "at least one required status check",
        )],
        vec![
            (s.required_reviews >= 2, "two approving reviews"),
            (s.code_owner_reviews, "code owner review"),
        ],
        vec![
            (s.dismiss_stale_reviews, "stale approvals dismissed on push"),
            (s.admins_included, "rules enforced for administrators"),
        ],
    ];
    let mut tier = 0;
    for conditions in &tiers {
        if s.protected && conditions.iter().all(|(met, _)| *met) {
            tier += 1;
        } else {
            let needs = conditions
                .iter()
                .filter(|(met, _)| !met || !s.protected)
                .map(|(_, what)| what.to_string())
                .collect();
            return (tier, needs);
        }
    }
    (tier, Vec::new())
}

// ---------------------------------------------------------------------------
// Changes: merged pull requests and their reviews.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewClass {
    Reviewed,
    ApprovedAfterMerge,
    Unreviewed,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ChangesSummary {
    pub merged: u64,
    pub reviewed: u64,
    pub self_merged: u64,
    pub unreviewed: u64,
    pub approved_after_merge: u64,
    /// Approvals by bots only (counted as unreviewed or after merge too).
    pub bot_approved_only: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChangeException {
    pub number: u64,
    pub title: String,
    pub url: Option<String>,
    pub base: String,
    pub author: String,
    pub merged_by: Option<String>,
    pub merged_at: String,
    pub class: ReviewClass,
    pub self_merged: bool,
    /// Who approved, when (humans other than the author).
    pub approvals: Vec<Approval>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Approval {
    pub user: String,
    pub submitted_at: Option<String>,
    pub bot: bool,
}

/// One merged pull request's class: approved by a human other than its
/// author at or before the merge; approved so only after it; or neither.
/// Dismissed approvals have state `DISMISSED` and do not count.
pub fn classify(author: &str, merged_at: &str, reviews: &[api::Review]) -> ReviewClass {
    let merged = parse_time(merged_at);
    let mut after = false;
    for review in reviews {
        let Some(user) = &review.user else { continue };
        if review.state != "APPROVED" || user.is_bot() || user.login == author {
            continue;
        }
        match (review.submitted_at.as_deref().and_then(parse_time), merged) {
            (Some(at), Some(merged)) if at <= merged => return ReviewClass::Reviewed,
            (Some(_), Some(_)) => after = true,
            // No time to compare: not evidence of review before merge.
            _ => after = true,
        }
    }
    if after {
        ReviewClass::ApprovedAfterMerge
    } else {
        ReviewClass::Unreviewed
    }
}

pub fn changes(
    client: &Client,
    calls: &mut Calls,
    repo: &Repo<'_>,
    window: Window,
    progress: &dyn Fn(&str),
) -> Result<(ChangesSummary, Vec<ChangeException>), ApiError> {
    // Newest update first: once a page's last pull request was updated
    // before the period, no later page holds one merged in it.
    let pulls = client.get_all::<api::PullRequest, Vec<api::PullRequest>>(
        calls,
        "/repos/{owner}/{repo}/pulls",
        &repo.path("/pulls?state=closed&sort=updated&direction=desc&per_page=100"),
        |page| page,
        |page| window.not_passed(page.last().and_then(|p| p.updated_at.as_deref())),
    )?;
    let mut merged: Vec<&api::PullRequest> = pulls
        .iter()
        .filter(|p| window.contains(p.merged_at.as_deref()))
        .collect();
    merged.sort_by_key(|p| p.number);
    merged.dedup_by_key(|p| p.number);
    let mut summary = ChangesSummary::default();
    let mut exceptions = Vec::new();
    let total = merged.len();
    for (i, pull) in merged.into_iter().enumerate() {
        progress(&format!(
            "reviews of #{} ({} of {total})",
            pull.number,
            i + 1
        ));
        let reviews = client.get_all::<api::Review, Vec<api::Review>>(
            calls,
            "/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
            &repo.path(&format!("/pulls/{}/reviews?per_page=100", pull.number)),
            |page| page,
            |_| true,
        )?;
        let author = pull.user.clone().unwrap_or_default().login;
        let merged_at = pull.merged_at.clone().unwrap_or_default();
        let class = classify(&author, &merged_at, &reviews);
        summary.merged += 1;
        let human_approval = reviews.iter().any(|r| {
            r.state == "APPROVED"
                && r.user
                    .as_ref()
                    .is_some_and(|u| !u.is_bot() && u.login != author)
        });
        if !human_approval
            && reviews
                .iter()
                .any(|r| r.state == "APPROVED" && r.user.as_ref().is_some_and(|u| u.is_bot()))
        {
            summary.bot_approved_only += 1;
        }
        match class {
            ReviewClass::Reviewed => {
                summary.reviewed += 1;
                continue;
            }
            ReviewClass::ApprovedAfterMerge => summary.approved_after_merge += 1,
            ReviewClass::Unreviewed => summary.unreviewed += 1,
        }
        // The list leaves `merged_by` out; only exceptions need it.
        let merged_by = match &pull.merged_by {
            Some(user) => Some(user.login.clone()),
            None => client
                .get::<api::PullRequest>(
                    calls,
                    "/repos/{owner}/{repo}/pulls/{pull_number}",
                    &repo.path(&format!("/pulls/{}", pull.number)),
                )?
                .merged_by
                .map(|u| u.login),
        };
        let self_merged = merged_by.as_deref() == Some(author.as_str());
        if self_merged {
            summary.self_merged += 1;
        }
        exceptions.push(ChangeException {
            number: pull.number,
            title: pull.title.clone(),
            url: pull.html_url.clone(),
            base: pull.base.name.clone(),
            author: author.clone(),
            merged_by,
            merged_at,
            class,
            self_merged,
            approvals: reviews
                .iter()
                .filter(|r| r.state == "APPROVED")
                .filter_map(|r| {
                    let user = r.user.as_ref()?;
                    (user.login != author).then(|| Approval {
                        user: user.login.clone(),
                        submitted_at: r.submitted_at.clone(),
                        bot: user.is_bot(),
                    })
                })
                .collect(),
        });
    }
    Ok((summary, exceptions))
}

// ---------------------------------------------------------------------------
// CI: workflow runs and deployments.

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct RunCounts {
    pub runs: u64,
    pub success: u64,
    pub failure: u64,
    pub cancelled: u64,
    /// Skipped, neutral, still running, waiting for approval.
    pub other: u64,
}

impl RunCounts {
    fn add(&mut self, conclusion: Option<&str>) {
        self.runs += 1;
        match conclusion {
            Some("success") => self.success += 1,
            Some("failure" | "timed_out" | "startup_failure") => self.failure += 1,
            Some("cancelled") => self.cancelled += 1,
            _ => self.other += 1,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CiSummary {
    #[serde(flatten)]
    pub counts: RunCounts,
    pub workflows: u64,
    pub deployments: u64,
    /// False when GitHub counted more runs in some month than it lists
    /// (it lists at most 1,000 per `created` query).
    pub complete: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct WorkflowRow {
    pub name: String,
    #[serde(flatten)]
    pub counts: RunCounts,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnvironmentRow {
    pub environment: String,
    pub deployments: u64,
}

pub fn ci(
    client: &Client,
    calls: &mut Calls,
    repo: &Repo<'_>,
    window: Window,
) -> Result<(CiSummary, Vec<WorkflowRow>, Vec<EnvironmentRow>), ApiError> {
    let (runs, complete) = workflow_runs(client, calls, repo, window)?;
    let deployments = client.get_all::<api::Deployment, Vec<api::Deployment>>(
        calls,
        "/repos/{owner}/{repo}/deployments",
        &repo.path("/deployments?per_page=100"),
        |page| page,
        |page| window.not_passed(page.last().and_then(|d| d.created_at.as_deref())),
    )?;
    let mut total = RunCounts::default();
    let mut by_workflow: BTreeMap<String, RunCounts> = BTreeMap::new();
    for run in runs
        .iter()
        .filter(|r| r.created_at.is_none() || window.contains(r.created_at.as_deref()))
    {
        let name = run
            .name
            .clone()
            .or_else(|| run.path.clone())
            .unwrap_or_else(|| "(unnamed)".to_string());
        total.add(run.conclusion.as_deref());
        by_workflow
            .entry(name)
            .or_default()
            .add(run.conclusion.as_deref());
    }
    let mut by_environment: BTreeMap<String, u64> = BTreeMap::new();
    for d in deployments
        .iter()
        .filter(|d| window.contains(d.created_at.as_deref()))
    {
        *by_environment
            .entry(d.environment.clone().unwrap_or_default())
            .or_default() += 1;
    }
    let summary = CiSummary {
        counts: total,
        workflows: by_workflow.len() as u64,
        deployments: by_environment.values().sum(),
        complete,
    };
    Ok((
        summary,
        by_workflow
            .into_iter()
            .map(|(name, counts)| WorkflowRow { name, counts })
            .collect(),
        by_environment
            .into_iter()
            .map(|(environment, deployments)| EnvironmentRow {
                environment,
                deployments,
            })
            .collect(),
    ))
}

/// GitHub lists at most this many runs for one `created` filter.
const RUNS_PER_QUERY: u64 = 1000;

/// The runs created in the period: one query, or one per month when the
/// period holds more than GitHub lists for a query. Whether every run was
/// listed comes back too.
fn workflow_runs(
    client: &Client,
    calls: &mut Calls,
    repo: &Repo<'_>,
    window: Window,
) -> Result<(Vec<api::WorkflowRun>, bool), ApiError> {
    let start = window.start.date_naive();
    let end = window.end.date_naive();
    let (runs, total) = runs_created(client, calls, repo, start, end)?;
    let listed_all = (runs.len() as u64) >= total;
    if total <= RUNS_PER_QUERY || listed_all {
        return Ok((runs, listed_all));
    }
    let mut all = Vec::new();
    let mut complete = true;
    let mut month = start;
    while month <= end {
        let next = month
            .with_day(1)
            .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
            .unwrap_or(end.succ_opt().unwrap_or(end));
        let last = next.pred_opt().unwrap_or(next).min(end);
        let (runs, total) = runs_created(client, calls, repo, month, last)?;
        complete &= (runs.len() as u64) >= total;
        all.extend(runs);
        if next <= month {
            break;
        }
        month = next;
    }
    Ok((all, complete))
}

fn runs_created(
    client: &Client,
    calls: &mut Calls,
    repo: &Repo<'_>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(Vec<api::WorkflowRun>, u64), ApiError> {
    let total = std::cell::Cell::new(0u64);
    let runs = client.get_all::<api::WorkflowRun, api::WorkflowRuns>(
        calls,
        "/repos/{owner}/{repo}/actions/runs",
        &repo.path(&format!("/actions/runs?per_page=100&created={from}..{to}")),
        |page| {
            total.set(total.get().max(page.total_count));
            page.workflow_runs
        },
        |_| true,
    )?;
    Ok((runs, total.get()))
}

// ---------------------------------------------------------------------------
// Security alerts.

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Open {
    pub critical: u64,
    pub high: u64,
    pub medium: u64,
    pub low: u64,
}

impl Open {
    fn add(&mut self, severity: &str) {
        match severity {
            "critical" => self.critical += 1,
            "high" => self.high += 1,
            "medium" => self.medium += 1,
            _ => self.low += 1,
        }
    }

    fn merge(&mut self, other: &Open) {
        self.critical += other.critical;
        self.high += other.high;
        self.medium += other.medium;
        self.low += other.low;
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct AlertsSummary {
    pub open: Open,
    pub fixed: u64,
    pub dismissed: u64,
    pub unavailable: Vec<String>,
    /// Over the alerts fixed in the period: days from opened to fixed.
    pub median_days_to_fix: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Feature {
    pub feature: &'static str,
    pub available: bool,
    /// GitHub's status and message when not available.
    pub status: Option<u16>,
    pub message: Option<String>,
    pub open: Open,
    pub fixed: u64,
    pub dismissed: u64,
    pub median_days_to_fix: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OpenAlert {
    pub feature: &'static str,
    pub number: u64,
    pub severity: String,
    pub title: String,
    pub created_at: Option<String>,
    pub url: Option<String>,
}

pub const FEATURES: [(&str, &str, &str); 3] = [
    (
        "dependabot",
        "/repos/{owner}/{repo}/dependabot/alerts",
        "/dependabot/alerts?per_page=100",
    ),
    (
        "code-scanning",
        "/repos/{owner}/{repo}/code-scanning/alerts",
        "/code-scanning/alerts?per_page=100",
    ),
    (
        "secret-scanning",
        "/repos/{owner}/{repo}/secret-scanning/alerts",
        "/secret-scanning/alerts?per_page=100",
    ),
];

pub fn alerts(
    client: &Client,
    calls: &mut Calls,
    repo: &Repo<'_>,
    window: Window,
) -> Result<(AlertsSummary, Vec<Feature>, Vec<OpenAlert>), ApiError> {
    let mut features = Vec::new();
    let mut open_alerts = Vec::new();
    let mut all_days = Vec::new();
    for (feature, endpoint, rest) in FEATURES {
        match client.get_all::<api::Alert, Vec<api::Alert>>(
            calls,
            endpoint,
            &repo.path(rest),
            |page| page,
            |_| true,
        ) {
            Ok(list) => {
                let (counts, open, days) = judge_alerts(feature, &list, window);
                features.push(counts);
                open_alerts.extend(open);
                all_days.extend(days);
            }
            // The feature is off, or the token may not see it.
            Err(ApiError::Status {
                status: status @ (403 | 404),
                message,
                ..
            }) => features.push(Feature {
                feature,
                available: false,
                status: Some(status),
                message: Some(message),
                open: Open::default(),
                fixed: 0,
                dismissed: 0,
                median_days_to_fix: None,
            }),
            Err(e) => return Err(e),
        }
    }
    let mut open = Open::default();
    for f in &features {
        open.merge(&f.open);
    }
    let summary = AlertsSummary {
        open,
        fixed: features.iter().map(|f| f.fixed).sum(),
        dismissed: features.iter().map(|f| f.dismissed).sum(),
        unavailable: features
            .iter()
            .filter(|f| !f.available)
            .map(|f| f.feature.to_string())
            .collect(),
        median_days_to_fix: median(&mut all_days),
    };
    open_alerts.sort_by(|a, b| {
        (severity_rank(&a.severity), a.feature, a.number).cmp(&(
            severity_rank(&b.severity),
            b.feature,
            b.number,
        ))
    });
    Ok((summary, features, open_alerts))
}

fn severity_rank(severity: &str) -> u8 {
    match severity {
        "critical" => 0,
        "high" => 1,
        "medium" => 2,
        _ => 3,
    }
}

/// An alert's severity: Dependabot's advisory severity; code scanning's
/// `security_severity_level`, else its rule severity read the way SARIF
/// levels are (error high, warning medium, note low); every secret high.
pub fn alert_severity(feature: &str, alert: &api::Alert) -> String {
    let named = match feature {
        "dependabot" => alert
            .security_advisory
            .as_ref()
            .and_then(|a| a.severity.clone())
            .or_else(|| {
                alert
                    .security_vulnerability
                    .as_ref()
                    .and_then(|a| a.severity.clone())
            }),
        "code-scanning" => alert.rule.as_ref().and_then(|r| {
            r.security_severity_level.clone().or_else(|| {
                r.severity.as_deref().map(|s| {
                    match s {
                        "error" => "high",
                        "warning" => "medium",
                        _ => "low",
                    }
                    .to_string()
                })
            })
        }),
        _ => Some("high".to_string()),
    };
    match named.unwrap_or_default().to_ascii_lowercase().as_str() {
        "critical" => "critical",
        "high" => "high",
        "medium" | "moderate" => "medium",
        _ => "low",
    }
    .to_string()
}

/// Counts of one feature's alerts: open at the end of the period (opened
/// by then, not closed by then), fixed and dismissed within it, and the
/// median days to fix over those fixed within it.
pub fn judge_alerts(
    feature: &'static str,
    alerts: &[api::Alert],
    window: Window,
) -> (Feature, Vec<OpenAlert>, Vec<f64>) {
    let mut open = Open::default();
    let mut fixed = 0;
    let mut dismissed = 0;
    let mut days = Vec::new();
    let mut open_rows = Vec::new();
    for alert in alerts {
        let created = alert.created_at.as_deref().and_then(parse_time);
        // Secret scanning resolves as revoked (fixed) or otherwise
        // (dismissed); the others say fixed or dismissed.
        let (fixed_at, dismissed_at) = if feature == "secret-scanning" {
            let resolved = alert.resolved_at.clone();
            if alert.resolution.as_deref() == Some("revoked") {
                (resolved, None)
            } else {
                (None, resolved)
            }
        } else {
            (
                alert.fixed_at.clone(),
                alert
                    .dismissed_at
                    .clone()
                    .or_else(|| alert.auto_dismissed_at.clone()),
            )
        };
        let fixed_time = fixed_at.as_deref().and_then(parse_time);
        let dismissed_time = dismissed_at.as_deref().and_then(parse_time);
        // A closed alert without a time (closed states say so) counts as
        // closed before the end.
        let closed_state = matches!(
            alert.state.as_str(),
            "fixed" | "dismissed" | "auto_dismissed" | "resolved" | "closed"
        );
        let closed_at = fixed_time.or(dismissed_time);
        let open_at_end = created.is_none_or(|c| c <= window.end)
            && match closed_at {
                Some(t) => t > window.end,
                None => !closed_state,
            };
        let severity = alert_severity(feature, alert);
        if open_at_end {
            open.add(&severity);
            open_rows.push(OpenAlert {
                feature,
                number: alert.number,
                severity: severity.clone(),
                title: alert_title(feature, alert),
                created_at: alert.created_at.clone(),
                url: alert.html_url.clone(),
            });
        }
        if let Some(t) = fixed_time.filter(|t| *t >= window.start && *t <= window.end) {
            fixed += 1;
            if let Some(c) = created {
                days.push((t - c).num_seconds() as f64 / 86_400.0);
            }
        }
        if dismissed_time.is_some_and(|t| t >= window.start && t <= window.end) {
            dismissed += 1;
        }
    }
    (
        Feature {
            feature,
            available: true,
            status: None,
            message: None,
            open,
            fixed,
            dismissed,
            median_days_to_fix: median(&mut days.clone()),
        },
        open_rows,
        days,
    )
}

fn alert_title(feature: &str, alert: &api::Alert) -> String {
    match feature {
        "dependabot" => alert
            .security_advisory
            .as_ref()
            .and_then(|a| a.summary.clone().or_else(|| a.ghsa_id.clone())),
        "code-scanning" => alert
            .rule
            .as_ref()
            .and_then(|r| r.description.clone().or_else(|| r.id.clone())),
        _ => alert.secret_type_display_name.clone(),
    }
    .unwrap_or_default()
}

/// The median, rounded to a tenth of a day.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    let m = if values.len() % 2 == 0 {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    };
    Some((m * 10.0).round() / 10.0)
}

// ---------------------------------------------------------------------------
// Commit verification on the default branch.

#[derive(Debug, Clone, Default, Serialize)]
pub struct CommitsSummary {
    pub commits: u64,
    pub verified: u64,
    pub unverified: u64,
    /// Commits where `collect git`'s evidence for the same repository
    /// judges verification differently (absent without such evidence).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disagree_with_git: Option<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CommitRow {
    pub sha: String,
    pub author: String,
    pub date: Option<String>,
    pub subject: String,
    pub verified: bool,
    /// GitHub's reason: `valid`, `unsigned`, `unknown_key`, `bad_email`…
    pub reason: String,
}

/// How the commits compare with `collect git`'s commit-signing evidence.
#[derive(Debug, Clone, Serialize)]
pub struct GitCrossCheck {
    /// The commit-signing evidence file, relative to the workspace.
    pub file: String,
    /// Commits of GitHub's list that the comparison covered.
    pub compared: u64,
    pub disagree: u64,
    /// Verified by GitHub, listed as not verified by `collect git`.
    pub verified_by_github_only: Vec<String>,
    /// Not verified by GitHub, not listed as unverified by `collect git`.
    pub verified_by_git_only: Vec<String>,
}

pub fn commits(
    client: &Client,
    calls: &mut Calls,
    repo: &Repo<'_>,
    window: Window,
) -> Result<Vec<CommitRow>, ApiError> {
    let list = client.get_all::<api::Commit, Vec<api::Commit>>(
        calls,
        "/repos/{owner}/{repo}/commits",
        &repo.path(&format!(
            "/commits?sha={}&since={}&until={}&per_page=100",
            encode(repo.branch),
            window.start_text(),
            window.end_text()
        )),
        |page| page,
        |_| true,
    )?;
    Ok(list
        .into_iter()
        .map(|c| {
            let verification = c.commit.verification.clone().unwrap_or_default();
            let person = c.commit.author.clone().unwrap_or_default();
            CommitRow {
                author: c
                    .author
                    .as_ref()
                    .map(|u| u.login.clone())
                    .filter(|l| !l.is_empty())
                    .unwrap_or(person.name),
                date: c
                    .commit
                    .committer
                    .as_ref()
                    .and_then(|p| p.date.clone())
                    .or(person.date),
                subject: c.commit.message.lines().next().unwrap_or("").to_string(),
                verified: verification.verified,
                reason: if verification.reason.is_empty() {
                    "unknown".to_string()
                } else {
                    verification.reason
                },
                sha: c.sha,
            }
        })
        .collect())
}

/// Compares GitHub's verdicts with a commit-signing file's list of the
/// commits `collect git` did not verify: a commit not in that list counts
/// as verified by git.
pub fn cross_check(
    file: String,
    rows: &[CommitRow],
    git_unverified: &BTreeSet<String>,
) -> GitCrossCheck {
    let mut github_only = Vec::new();
    let mut git_only = Vec::new();
    for row in rows {
        let git_verified = !git_unverified.contains(&row.sha);
        match (row.verified, git_verified) {
            (true, false) => github_only.push(row.sha.clone()),
            (false, true) => git_only.push(row.sha.clone()),
            _ => {}
        }
    }
    GitCrossCheck {
        file,
        compared: rows.len() as u64,
        disagree: (github_only.len() + git_only.len()) as u64,
        verified_by_github_only: github_only,
        verified_by_git_only: git_only,
    }
}

// ---------------------------------------------------------------------------
// Access: collaborators and teams.

#[derive(Debug, Clone, Default, Serialize)]
pub struct AccessSummary {
    pub collaborators: u64,
    pub admins: u64,
    pub teams: u64,
    /// Collaborators by permission level.
    pub by_permission: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PersonRow {
    pub login: String,
    pub permission: String,
    pub admin: bool,
    pub bot: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TeamRow {
    pub slug: String,
    pub name: String,
    pub permission: String,
}

/// A collaborator's highest permission, as GitHub's role names it.
pub fn permission(c: &api::Collaborator) -> String {
    if let Some(role) = c.role_name.as_deref().filter(|r| !r.is_empty()) {
        return role.to_string();
    }
    let p = c.permissions.clone().unwrap_or_default();
    if p.admin {
        "admin"
    } else if p.maintain {
        "maintain"
    } else if p.push {
        "write"
    } else if p.triage {
        "triage"
    } else {
        "read"
    }
    .to_string()
}

pub fn access(
    client: &Client,
    calls: &mut Calls,
    repo: &Repo<'_>,
) -> Result<(AccessSummary, Vec<PersonRow>, Vec<TeamRow>), ApiError> {
    let collaborators = client.get_all::<api::Collaborator, Vec<api::Collaborator>>(
        calls,
        "/repos/{owner}/{repo}/collaborators",
        &repo.path("/collaborators?affiliation=all&per_page=100"),
        |page| page,
        |_| true,
    )?;
    let teams = client.get_all::<api::Team, Vec<api::Team>>(
        calls,
        "/repos/{owner}/{repo}/teams",
        &repo.path("/teams?per_page=100"),
        |page| page,
        |_| true,
    )?;
    let mut people: Vec<PersonRow> = collaborators
        .iter()
        .map(|c| {
            let permission = permission(c);
            PersonRow {
                login: c.login.clone(),
                admin: permission == "admin" || c.permissions.as_ref().is_some_and(|p| p.admin),
                permission,
                bot: c.kind.eq_ignore_ascii_case("bot"),
            }
        })
        .collect();
    // Admins first, then by name: the rows an access review starts with.
    people.sort_by(|a, b| (!a.admin, &a.login).cmp(&(!b.admin, &b.login)));
    let mut teams: Vec<TeamRow> = teams
        .into_iter()
        .map(|t| TeamRow {
            slug: t.slug,
            name: t.name,
            permission: t.permission.unwrap_or_default(),
        })
        .collect();
    teams.sort_by(|a, b| a.slug.cmp(&b.slug));
    let mut summary = AccessSummary {
        collaborators: people.len() as u64,
        admins: people.iter().filter(|p| p.admin).count() as u64,
        teams: teams.len() as u64,
        by_permission: BTreeMap::new(),
    };
    for p in &people {
        *summary
            .by_permission
            .entry(p.permission.clone())
            .or_default() += 1;
    }
    Ok((summary, people, teams))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(login: &str, kind: &str, state: &str, at: &str) -> api::Review {
        api::Review {
            user: Some(api::User {
                login: login.into(),
                kind: kind.into(),
            }),
            state: state.into(),
            submitted_at: Some(at.into()),
        }
    }

    #[test]
    fn merged_pull_requests_are_classified_exactly() {
        let merged = "2026-03-01T12:00:00Z";
        let before = "2026-03-01T11:00:00Z";
        let after = "2026-03-02T09:00:00Z";
        let class = |reviews: &[api::Review]| classify("alice", merged, reviews);
        assert_eq!(
            class(&[review("bob", "User", "APPROVED", before)]),
            ReviewClass::Reviewed
        );
        // At the very second of the merge still counts.
        assert_eq!(
            class(&[review("bob", "User", "APPROVED", merged)]),
            ReviewClass::Reviewed
        );
        assert_eq!(
            class(&[review("bob", "User", "APPROVED", after)]),
            ReviewClass::ApprovedAfterMerge
        );
        // The author's own approval, a bot's approval, a dismissed one and
        // comments are not reviews by a second person.
        assert_eq!(
            class(&[
                review("alice", "User", "APPROVED", before),
                review("dependabot[bot]", "Bot", "APPROVED", before),
                review("renovate", "Bot", "APPROVED", before),
                review("bob", "User", "DISMISSED", before),
                review("carol", "User", "COMMENTED", before),
                review("dave", "User", "CHANGES_REQUESTED", before),
            ]),
            ReviewClass::Unreviewed
        );
        assert_eq!(class(&[]), ReviewClass::Unreviewed);
        assert_eq!(
            class(&[
                review("bob", "User", "APPROVED", after),
                review("carol", "User", "APPROVED", before)
            ]),
            ReviewClass::Reviewed
        );
    }

    fn summary(f: impl FnOnce(&mut ProtectionSummary)) -> ProtectionSummary {
        let mut s = ProtectionSummary {
            branch: "main".into(),
            protected: true,
            required_reviews: 0,
            dismiss_stale_reviews: false,
            code_owner_reviews: false,
            required_status_checks: 0,
            signed_commits_required: false,
            admins_included: false,
            force_pushes_allowed: false,
            deletions_allowed: false,
            linear_history: false,
            scorecard_tier: 0,
        };
        f(&mut s);
        s
    }

    #[test]
    fn scorecard_tiers_build_on_each_other() {
        assert_eq!(scorecard_tier(&summary(|s| s.protected = false)).0, 0);
        assert_eq!(
            scorecard_tier(&summary(|s| s.force_pushes_allowed = true)).0,
            0
        );
        assert_eq!(scorecard_tier(&summary(|_| {})).0, 1);
        assert_eq!(scorecard_tier(&summary(|s| s.required_reviews = 1)).0, 2);
        let three = summary(|s| {
            s.required_reviews = 1;
            s.required_status_checks = 1;
        });
        assert_eq!(
            scorecard_tier(&three),
            (
                3,
                vec!["two approving reviews".into(), "code owner review".into()]
            )
        );
        let five = summary(|s| {
            s.required_reviews = 2;
            s.required_status_checks = 2;
            s.code_owner_reviews = true;
            s.dismiss_stale_reviews = true;
            s.admins_included = true;
        });
        assert_eq!(scorecard_tier(&five), (5, vec![]));
        // Two reviews without a status check stop at tier 2.
        assert_eq!(scorecard_tier(&summary(|s| s.required_reviews = 2)).0, 2);
    }

    #[test]
    fn rulesets_add_to_classic_protection() {
        let rules: Vec<api::Rule> = serde_json::from_str(
            r#"[{"type":"non_fast_forward"},{"type":"deletion"},{"type":"required_signatures"},
                {"type":"pull_request","parameters":{"required_approving_review_count":2,"dismiss_stale_reviews_on_push":true,"require_code_owner_review":true}},
                {"type":"required_status_checks","parameters":{"required_status_checks":[{"context":"ci/test"}]}}]"#,
        )
        .unwrap();
        let (s, d) = judge_protection("main", None, &rules, Some("Branch not protected".into()));
        assert!(s.protected && s.signed_commits_required && !s.force_pushes_allowed);
        assert_eq!((s.required_reviews, s.required_status_checks), (2, 1));
        assert_eq!(s.scorecard_tier, 4);
        assert_eq!(d.next_tier_needs, ["rules enforced for administrators"]);
        let (none, d) = judge_protection("main", None, &[], Some("Branch not protected".into()));
        assert!(!none.protected);
        assert_eq!(none.scorecard_tier, 0);
        assert_eq!(
            d.protection_message.as_deref(),
            Some("Branch not protected")
        );
    }

    #[test]
    fn alerts_count_open_at_period_end_and_fixes_within_it() {
        let window = Window::new(
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
        );
        let alerts: Vec<api::Alert> = serde_json::from_str(
            r#"[{"number":1,"state":"open","created_at":"2026-02-01T00:00:00Z","security_advisory":{"severity":"critical"}},
                {"number":2,"state":"fixed","created_at":"2026-02-01T00:00:00Z","fixed_at":"2026-02-05T00:00:00Z","security_advisory":{"severity":"high"}},
                {"number":3,"state":"fixed","created_at":"2026-02-01T00:00:00Z","fixed_at":"2027-01-05T00:00:00Z","security_advisory":{"severity":"medium"}},
                {"number":4,"state":"dismissed","created_at":"2026-02-01T00:00:00Z","dismissed_at":"2026-03-01T00:00:00Z","security_advisory":{"severity":"low"}},
                {"number":5,"state":"fixed","created_at":"2026-02-01T00:00:00Z","fixed_at":"2026-02-03T00:00:00Z","security_advisory":{"severity":"moderate"}},
                {"number":6,"state":"open","created_at":"2027-02-01T00:00:00Z","security_advisory":{"severity":"critical"}}]"#,
        )
        .unwrap();
        let (f, open, _) = judge_alerts("dependabot", &alerts, window);
        // #3 was still open at the end of the period; #6 opened after it.
        assert_eq!(
            f.open,
            Open {
                critical: 1,
                high: 0,
                medium: 1,
                low: 0
            }
        );
        assert_eq!((f.fixed, f.dismissed), (2, 1));
        assert_eq!(f.median_days_to_fix, Some(3.0));
        assert_eq!(open.len(), 2);
        assert_eq!(median(&mut [5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn cross_check_counts_both_ways() {
        let row = |sha: &str, verified: bool| CommitRow {
            sha: sha.into(),
            author: "a".into(),
            date: None,
            subject: String::new(),
            verified,
            reason: String::new(),
        };
        let rows = [
            row("a1", true),
            row("b2", true),
            row("c3", false),
            row("d4", false),
        ];
        let git_unverified = BTreeSet::from(["b2".to_string(), "d4".to_string()]);
        let check = cross_check("evidence/git/x-2026.json".into(), &rows, &git_unverified);
        assert_eq!(check.compared, 4);
        assert_eq!(check.disagree, 2);
        assert_eq!(check.verified_by_github_only, ["b2"]);
        assert_eq!(check.verified_by_git_only, ["c3"]);
    }
}
