//! Each evidence kind's view on its evidence page: a scan's findings by
//! severity and its findings table, a test report's failing tests, a CI
//! log's excerpts around its errors with redactions marked, a drill's
//! targets against its actuals, tables for access reviews,
//! acknowledgements, metrics and kube-bench checks, and commit signing's
//! verified share per month (a chart and its table) and its authors. Built from the
//! evidence item's `summary` and `details`; kinds without a view of their
//! own keep the generic summary rows.

use serde::Serialize;

use super::charts::{self, num, Link, Svg};
use super::markup::ChartView;
use super::{href, markdown, root_of, Site};
use crate::evidence::{
    AccessChange, AccessPerson, AccessTeam, AlertFeature, AlertRow, ChangeRow, Checks, Details,
    FailingCheck, FailingTest, FindingRow, GitCheck, Kind, MetricSummary, Outcome, PassedFrom,
    SigningCount, Summary, UnverifiedCommit, WorkflowCounts,
};

/// Text split around `[REDACTED:<kind>]` markers, so that templates can
/// mark what the redactor replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    pub text: String,
    pub redacted: bool,
}

const MARKER: &str = "[REDACTED:";

/// `text` as plain and redacted segments, in order.
pub fn segments(text: &str) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(MARKER) {
        let Some(len) = rest[start..].find(']') else {
            break;
        };
        let end = start + len + 1;
        if start > 0 {
            out.push(Segment {
                text: rest[..start].to_string(),
                redacted: false,
            });
        }
        out.push(Segment {
            text: rest[start..end].to_string(),
            redacted: true,
        });
        rest = &rest[end..];
    }
    if !rest.is_empty() || out.is_empty() {
        out.push(Segment {
            text: rest.to_string(),
            redacted: false,
        });
    }
    out
}

#[derive(Serialize)]
pub struct SeverityCount {
    pub severity: &'static str,
    pub count: u64,
}

#[derive(Serialize)]
pub struct LineView {
    pub number: u64,
    pub error: bool,
    pub segments: Vec<Segment>,
}

#[derive(Serialize)]
pub struct AckRow<'a> {
    pub policy: &'a str,
    pub version: &'a str,
    pub people: u64,
    /// The policy's page and title, when the workspace has the policy.
    pub href: Option<String>,
    pub title: Option<&'a str>,
    /// Whether this is the policy's current version (`None`: unknown policy).
    pub current: Option<bool>,
}

#[derive(Serialize)]
pub struct MetricRow<'a> {
    pub name: &'a str,
    pub points: u64,
    pub first: &'a str,
    pub last: &'a str,
    pub latest: String,
    pub target: Option<String>,
    pub direction: &'static str,
    pub met_target: Option<bool>,
    pub points_met_target: u64,
    pub mean: Option<String>,
    pub min: String,
    pub max: String,
    pub error_budget_left: Option<String>,
}

/// A month's or an author's commits, with the verified share as text.
#[derive(Serialize)]
pub struct SigningRow<'a> {
    pub key: &'a str,
    pub commits: u64,
    pub signed: u64,
    pub verified: u64,
    pub unsigned: u64,
    pub share: String,
}

fn signing_row(count: &SigningCount) -> SigningRow<'_> {
    SigningRow {
        key: &count.key,
        commits: count.commits,
        signed: count.signed,
        verified: count.verified,
        unsigned: count.unsigned,
        share: charts::share(count.verified, count.commits),
    }
}

/// What an evidence page shows for its kind.
#[derive(Serialize)]
#[serde(tag = "view", rename_all = "kebab-case")]
pub enum KindView<'a> {
    Findings {
        counts: Vec<SeverityCount>,
        total: u64,
        tools: &'a [String],
        suppressed: u64,
        rows: &'a [FindingRow],
        /// Findings counted but beyond the table's cap.
        omitted: u64,
    },
    Tests {
        passed: u64,
        failed: u64,
        errored: u64,
        skipped: u64,
        total: u64,
        suites: u64,
        failing: &'a [FailingTest],
        omitted: u64,
    },
    Checks {
        checks: Checks,
        reported: Option<Checks>,
        /// The report's stated totals differ from its results.
        disagree: bool,
        rows: &'a [FailingCheck],
        omitted: u64,
    },
    Log {
        lines: u64,
        errors: u64,
        warnings: u64,
        redacted: u64,
        outcome: &'static str,
        excerpts: Vec<Vec<LineView>>,
        omitted: u64,
    },
    Drill {
        scenario: Option<&'a str>,
        date: Option<&'a str>,
        rto_target: Option<String>,
        rto_actual: Option<String>,
        rpo_target: Option<String>,
        rpo_actual: Option<String>,
        rto_met: Option<bool>,
        rpo_met: Option<bool>,
        passed: Option<bool>,
        passed_from: Option<&'static str>,
        pairs: Option<Svg>,
        participants: &'a [String],
        notes: String,
    },
    AccessReview {
        entries: u64,
        systems: u64,
        accounts: u64,
        reviewers: u64,
        decisions: Vec<(&'a str, u64)>,
        first_date: Option<&'a str>,
        last_date: Option<&'a str>,
        changes: &'a [AccessChange],
        omitted: u64,
    },
    Acknowledgement {
        people: u64,
        acknowledgements: u64,
        first_date: Option<&'a str>,
        last_date: Option<&'a str>,
        rows: Vec<AckRow<'a>>,
    },
    Metrics {
        rows: Vec<MetricRow<'a>>,
        chart: Option<ChartView>,
        truncated: bool,
    },
    CommitSigning {
        commits: u64,
        signed: u64,
        gpg: u64,
        ssh: u64,
        x509: u64,
        verified: u64,
        unsigned: u64,
        /// Verified commits as a share of all.
        share: String,
        chart: Option<Svg>,
        months: Vec<SigningRow<'a>>,
        authors: Vec<SigningRow<'a>>,
        truncated: bool,
    },
    GithubProtection {
        repository: &'a str,
        branch: &'a str,
        protected: bool,
        scorecard_tier: u64,
        settings: Vec<Setting>,
        status_checks: &'a [String],
        rules: &'a [String],
        message: Option<&'a str>,
        next_tier_needs: &'a [String],
    },
    GithubChanges {
        repository: &'a str,
        merged: u64,
        reviewed: u64,
        approved_after_merge: u64,
        unreviewed: u64,
        self_merged: u64,
        bot_approved_only: u64,
        reviewed_percent: Option<String>,
        exceptions: &'a [ChangeRow],
        omitted: u64,
    },
    GithubCi {
        repository: &'a str,
        runs: u64,
        success: u64,
        failure: u64,
        cancelled: u64,
        other: u64,
        success_percent: Option<String>,
        deployments: u64,
        complete: bool,
        workflows: &'a [WorkflowCounts],
        environments: &'a [(String, u64)],
    },
    GithubAlerts {
        repository: &'a str,
        counts: Vec<SeverityCount>,
        open: u64,
        fixed: u64,
        dismissed: u64,
        median_days_to_fix: Option<String>,
        unavailable: &'a [String],
        features: &'a [AlertFeature],
        rows: &'a [AlertRow],
        omitted: u64,
    },
    GithubCommits {
        repository: &'a str,
        commits: u64,
        verified: u64,
        unverified: u64,
        verified_percent: Option<String>,
        reasons: &'a [(String, u64)],
        rows: &'a [UnverifiedCommit],
        omitted: u64,
        git: Option<&'a GitCheck>,
    },
    GithubAccess {
        repository: &'a str,
        collaborators: u64,
        admins: u64,
        teams_count: u64,
        people: &'a [AccessPerson],
        teams: &'a [AccessTeam],
        omitted: u64,
    },
}

/// One branch-protection setting as a row: what, its value, and whether
/// it is the safe one.
#[derive(Serialize)]
pub struct Setting {
    pub name: &'static str,
    pub value: String,
    pub ok: bool,
}

/// `part` of `whole` as whole percent, rounded down unless it is all: 411
/// of 412 is 99 %, not 100 %.
pub fn share(part: u64, whole: u64) -> Option<String> {
    if whole == 0 {
        return None;
    }
    let percent = if part >= whole {
        100
    } else {
        (u128::from(part) * 100 / u128::from(whole)) as u64
    };
    Some(format!("{percent} %"))
}

fn yes_no(value: bool) -> String {
    if value { "yes" } else { "no" }.to_string()
}

fn minutes(value: Option<f64>) -> Option<String> {
    value.map(num)
}

fn within(actual: Option<f64>, target: Option<f64>) -> Option<bool> {
    Some(actual? <= target?)
}

impl<'a> Site<'a> {
    /// The view of evidence item `index`'s kind, if it has one, from its
    /// `details`.
    pub(super) fn kind_view<'d>(
        &'d self,
        index: usize,
        details: &'d Details,
    ) -> Option<KindView<'d>> {
        let item = &self.a.workspace.evidence[index];
        let view = match (&item.summary, details) {
            (
                Summary::Findings {
                    findings,
                    tools,
                    suppressed,
                },
                details,
            ) => {
                let (rows, omitted): (&[FindingRow], u64) = match details {
                    Details::Findings { rows, omitted } => (rows, *omitted),
                    _ => (&[], findings.total()),
                };
                KindView::Findings {
                    counts: charts::SEVERITIES
                        .iter()
                        .map(|&s| SeverityCount {
                            severity: s.as_str(),
                            count: charts::count(findings, s),
                        })
                        .collect(),
                    total: findings.total(),
                    tools,
                    suppressed: *suppressed,
                    rows,
                    omitted,
                }
            }
            (Summary::Tests { tests, suites }, details) => {
                let (failing, omitted): (&[FailingTest], u64) = match details {
                    Details::Tests { failing, omitted } => (failing, *omitted),
                    _ => (&[], 0),
                };
                KindView::Tests {
                    passed: tests.passed,
                    failed: tests.failed,
                    errored: tests.errored,
                    skipped: tests.skipped,
                    total: tests.total(),
                    suites: *suites,
                    failing,
                    omitted,
                }
            }
            (Summary::Checks { checks, reported }, details) => {
                let (rows, omitted): (&[FailingCheck], u64) = match details {
                    Details::Checks { checks, omitted } => (checks, *omitted),
                    _ => (&[], 0),
                };
                KindView::Checks {
                    checks: *checks,
                    reported: *reported,
                    disagree: reported.is_some_and(|r| r != *checks),
                    rows,
                    omitted,
                }
            }
            (
                Summary::Log {
                    lines,
                    errors,
                    warnings,
                    redacted,
                    outcome,
                },
                details,
            ) => {
                let (excerpts, omitted) = match details {
                    Details::Log { excerpts, omitted } => (excerpts.as_slice(), *omitted),
                    _ => (&[][..], 0),
                };
                KindView::Log {
                    lines: *lines,
                    errors: *errors,
                    warnings: *warnings,
                    redacted: *redacted,
                    outcome: match outcome {
                        Outcome::Success => "success",
                        Outcome::Failure => "failure",
                        Outcome::Unknown => "unknown",
                    },
                    excerpts: excerpts
                        .iter()
                        .map(|excerpt| {
                            excerpt
                                .lines
                                .iter()
                                .map(|line| LineView {
                                    number: line.number,
                                    error: line.error,
                                    segments: segments(&line.text),
                                })
                                .collect()
                        })
                        .collect(),
                    omitted,
                }
            }
            (
                Summary::Drill {
                    scenario,
                    date,
                    rto_target_min,
                    rto_actual_min,
                    rpo_target_min,
                    rpo_actual_min,
                    passed,
                    passed_from,
                },
                details,
            ) => {
                let (participants, notes): (&[String], &str) = match details {
                    Details::Drill {
                        participants,
                        notes,
                    } => (participants, notes),
                    _ => (&[], ""),
                };
                KindView::Drill {
                    scenario: scenario.as_deref(),
                    date: date.as_deref(),
                    rto_target: minutes(*rto_target_min),
                    rto_actual: minutes(*rto_actual_min),
                    rpo_target: minutes(*rpo_target_min),
                    rpo_actual: minutes(*rpo_actual_min),
                    rto_met: within(*rto_actual_min, *rto_target_min),
                    rpo_met: within(*rpo_actual_min, *rpo_target_min),
                    passed: *passed,
                    passed_from: passed_from.map(|p| match p {
                        PassedFrom::Outcome => "the recorded outcome",
                        PassedFrom::Targets => "the actuals against the targets",
                    }),
                    pairs: charts::target_pairs(&[
                        ("RTO", *rto_target_min, *rto_actual_min),
                        ("RPO", *rpo_target_min, *rpo_actual_min),
                    ]),
                    participants,
                    notes: markdown::to_html(notes),
                }
            }
            (
                Summary::AccessReview {
                    entries,
                    systems,
                    accounts,
                    reviewers,
                    decisions,
                    first_date,
                    last_date,
                },
                details,
            ) => {
                let (changes, omitted): (&[AccessChange], u64) = match details {
                    Details::AccessChanges { changes, omitted } => (changes, *omitted),
                    _ => (&[], 0),
                };
                KindView::AccessReview {
                    entries: *entries,
                    systems: *systems,
                    accounts: *accounts,
                    reviewers: *reviewers,
                    decisions: decisions.iter().map(|(k, v)| (k.as_str(), *v)).collect(),
                    first_date: first_date.as_deref(),
                    last_date: last_date.as_deref(),
                    changes,
                    omitted,
                }
            }
            (
                Summary::Acknowledgement {
                    people,
                    acknowledgements,
                    policies,
                    first_date,
                    last_date,
                },
                _,
            ) => {
                let workspace = self.a.workspace;
                let rows = policies
                    .iter()
                    .map(|p| {
                        let id = p.policy.trim();
                        let id = id.strip_prefix("policies/").unwrap_or(id);
                        let id = id.strip_suffix(".md").unwrap_or(id);
                        // The policies are sorted by id: the first with it.
                        let first = workspace.policies.partition_point(|w| w.id.as_str() < id);
                        let known = workspace
                            .policies
                            .get(first)
                            .is_some_and(|w| w.id == id)
                            .then_some(first);
                        let normal = |v: &str| {
                            let v = v.trim();
                            v.strip_prefix(['v', 'V']).unwrap_or(v).to_string()
                        };
                        AckRow {
                            policy: &p.policy,
                            version: &p.version,
                            people: p.people,
                            href: known.map(|i| href(&self.policy_path(i))),
                            title: known.map(|i| workspace.policies[i].title.as_str()),
                            current: known.map(|i| {
                                normal(&workspace.policies[i].version) == normal(&p.version)
                            }),
                        }
                    })
                    .collect();
                KindView::Acknowledgement {
                    people: *people,
                    acknowledgements: *acknowledgements,
                    first_date: first_date.as_deref(),
                    last_date: last_date.as_deref(),
                    rows,
                }
            }
            (Summary::Metrics { metrics }, details) => {
                let (series, truncated) = match details {
                    Details::Metrics { series, truncated } => (series.as_slice(), *truncated),
                    _ => (&[][..], false),
                };
                let link = Link {
                    text: item
                        .path
                        .rsplit('/')
                        .next()
                        .unwrap_or(&item.path)
                        .to_string(),
                    href: href(&self.evidence_path(index)),
                };
                let merged: Vec<charts::Metric> = series
                    .iter()
                    .filter_map(|s| {
                        let summary = metrics.iter().find(|m| m.name == s.name)?;
                        Some(charts::Metric {
                            name: s.name.clone(),
                            points: points(s),
                            direction: summary.direction,
                            error_budget_left: summary.error_budget_left,
                            source: link.clone(),
                        })
                    })
                    .collect();
                KindView::Metrics {
                    rows: metrics.iter().map(metric_row).collect(),
                    chart: charts::metrics(&merged).map(|mut chart| {
                        // On the file's own page, the single measurements
                        // are in the table above.
                        chart.more = None;
                        chart.into_view(&root_of(&self.evidence_path(index)))
                    }),
                    truncated,
                }
            }
            (
                Summary::CommitSigning {
                    commits,
                    signed,
                    verified,
                    unsigned,
                },
                details,
            ) => {
                let (months, authors, truncated): (&[SigningCount], &[SigningCount], bool) =
                    match details {
                        Details::CommitSigning {
                            months,
                            authors,
                            truncated,
                        } => (months, authors, *truncated),
                        _ => (&[], &[], false),
                    };
                let counts: Vec<charts::MonthCount<'_>> = months
                    .iter()
                    .map(|m| charts::MonthCount {
                        month: &m.key,
                        commits: m.commits,
                        verified: m.verified,
                    })
                    .collect();
                KindView::CommitSigning {
                    commits: *commits,
                    signed: signed.gpg + signed.ssh + signed.x509,
                    gpg: signed.gpg,
                    ssh: signed.ssh,
                    x509: signed.x509,
                    verified: *verified,
                    unsigned: *unsigned,
                    share: charts::share(*verified, *commits),
                    chart: charts::verified_by_month(&counts),
                    months: months.iter().map(signing_row).collect(),
                    authors: authors.iter().map(signing_row).collect(),
                    truncated,
                }
            }
            (summary, details) => return github_view(summary, details),
        };
        Some(view)
    }
}

/// The views of the kinds `collect github` writes.
fn github_view<'a>(summary: &'a Summary, details: &'a Details) -> Option<KindView<'a>> {
    let view = match (summary, details) {
        (
            Summary::GithubProtection {
                repository,
                branch,
                protected,
                required_reviews,
                dismiss_stale_reviews,
                code_owner_reviews,
                required_status_checks,
                signed_commits_required,
                admins_included,
                force_pushes_allowed,
                deletions_allowed,
                scorecard_tier,
            },
            details,
        ) => {
            let (status_checks, rules, message, next_tier_needs): (
                &[String],
                &[String],
                Option<&str>,
                &[String],
            ) = match details {
                Details::GithubProtection {
                    status_checks,
                    rules,
                    message,
                    next_tier_needs,
                } => (status_checks, rules, message.as_deref(), next_tier_needs),
                _ => (&[], &[], None, &[]),
            };
            KindView::GithubProtection {
                repository,
                branch,
                protected: *protected,
                scorecard_tier: *scorecard_tier,
                settings: vec![
                    Setting {
                        name: "Required approving reviews",
                        value: required_reviews.to_string(),
                        ok: *required_reviews >= 1,
                    },
                    Setting {
                        name: "Stale approvals dismissed on push",
                        value: yes_no(*dismiss_stale_reviews),
                        ok: *dismiss_stale_reviews,
                    },
                    Setting {
                        name: "Code owner review required",
                        value: yes_no(*code_owner_reviews),
                        ok: *code_owner_reviews,
                    },
                    Setting {
                        name: "Required status checks",
                        value: required_status_checks.to_string(),
                        ok: *required_status_checks >= 1,
                    },
                    Setting {
                        name: "Signed commits required",
                        value: yes_no(*signed_commits_required),
                        ok: *signed_commits_required,
                    },
                    Setting {
                        name: "Administrators included",
                        value: yes_no(*admins_included),
                        ok: *admins_included,
                    },
                    Setting {
                        name: "Force pushes allowed",
                        value: yes_no(*force_pushes_allowed),
                        ok: !*force_pushes_allowed,
                    },
                    Setting {
                        name: "Branch deletion allowed",
                        value: yes_no(*deletions_allowed),
                        ok: !*deletions_allowed,
                    },
                ],
                status_checks,
                rules,
                message,
                next_tier_needs,
            }
        }
        (
            Summary::GithubChanges {
                repository,
                merged,
                reviewed,
                self_merged,
                unreviewed,
                approved_after_merge,
                bot_approved_only,
            },
            details,
        ) => {
            let (exceptions, omitted): (&[ChangeRow], u64) = match details {
                Details::GithubChanges {
                    exceptions,
                    omitted,
                } => (exceptions, *omitted),
                _ => (&[], 0),
            };
            KindView::GithubChanges {
                repository,
                merged: *merged,
                reviewed: *reviewed,
                approved_after_merge: *approved_after_merge,
                unreviewed: *unreviewed,
                self_merged: *self_merged,
                bot_approved_only: *bot_approved_only,
                reviewed_percent: share(*reviewed, *merged),
                exceptions,
                omitted,
            }
        }
        (
            Summary::GithubCi {
                repository,
                runs,
                success,
                failure,
                cancelled,
                other,
                workflows: _,
                deployments,
                complete,
            },
            details,
        ) => {
            let (workflows, environments): (&[WorkflowCounts], &[(String, u64)]) = match details {
                Details::GithubCi {
                    workflows,
                    environments,
                } => (workflows, environments),
                _ => (&[], &[]),
            };
            KindView::GithubCi {
                repository,
                runs: *runs,
                success: *success,
                failure: *failure,
                cancelled: *cancelled,
                other: *other,
                success_percent: share(*success, *runs),
                deployments: *deployments,
                complete: *complete,
                workflows,
                environments,
            }
        }
        (
            Summary::GithubAlerts {
                repository,
                open,
                fixed,
                dismissed,
                unavailable,
                median_days_to_fix,
            },
            details,
        ) => {
            let (features, rows, omitted): (&[AlertFeature], &[AlertRow], u64) = match details {
                Details::GithubAlerts {
                    features,
                    open_alerts,
                    omitted,
                } => (features, open_alerts, *omitted),
                _ => (&[], &[], 0),
            };
            KindView::GithubAlerts {
                repository,
                counts: [
                    ("critical", open.critical),
                    ("high", open.high),
                    ("medium", open.medium),
                    ("low", open.low),
                ]
                .into_iter()
                .map(|(severity, count)| SeverityCount { severity, count })
                .collect(),
                open: open.total(),
                fixed: *fixed,
                dismissed: *dismissed,
                median_days_to_fix: median_days_to_fix.map(num),
                unavailable,
                features,
                rows,
                omitted,
            }
        }
        (
            Summary::GithubCommits {
                repository,
                commits,
                verified,
                unverified,
                disagree_with_git: _,
            },
            details,
        ) => {
            let empty = (&[][..], &[][..], 0, None);
            let (reasons, rows, omitted, git) = match details {
                Details::GithubCommits {
                    unverified,
                    omitted,
                    reasons,
                    git,
                } => (
                    reasons.as_slice(),
                    unverified.as_slice(),
                    *omitted,
                    git.as_ref(),
                ),
                _ => empty,
            };
            KindView::GithubCommits {
                repository,
                commits: *commits,
                verified: *verified,
                unverified: *unverified,
                verified_percent: share(*verified, *commits),
                reasons,
                rows,
                omitted,
                git,
            }
        }
        (
            Summary::GithubAccess {
                repository,
                collaborators,
                admins,
                teams,
            },
            details,
        ) => {
            let (people, team_rows, omitted): (&[AccessPerson], &[AccessTeam], u64) = match details
            {
                Details::GithubAccess {
                    people,
                    teams,
                    omitted,
                } => (people, teams, *omitted),
                _ => (&[], &[], 0),
            };
            KindView::GithubAccess {
                repository,
                collaborators: *collaborators,
                admins: *admins,
                teams_count: *teams,
                people,
                teams: team_rows,
                omitted,
            }
        }
        _ => return None,
    };
    Some(view)
}

/// A dashboard figure from GitHub evidence: "97 % of 412 changes reviewed
/// by a second person".
#[derive(Debug, Serialize)]
pub struct Figure {
    pub kind: &'static str,
    /// The headline number (`97 %`, `12`).
    pub value: String,
    /// What it counts (`of 412 changes reviewed by a second person`).
    pub text: String,
    /// The breakdown and the repositories it covers.
    pub detail: String,
    /// `ok`, `warn` or `bad`.
    pub state: &'static str,
    /// The evidence files it adds up.
    pub sources: Vec<Link>,
}

impl<'a> Site<'a> {
    /// Figures over the newest evidence of each GitHub kind and repository.
    pub(super) fn github_figures(&self) -> Vec<Figure> {
        let evidence = &self.a.workspace.evidence;
        // The newest file per kind and repository.
        let mut newest: std::collections::BTreeMap<(Kind, &str), usize> = Default::default();
        for (i, item) in evidence.iter().enumerate() {
            let repository = match &item.summary {
                Summary::GithubProtection { repository, .. }
                | Summary::GithubChanges { repository, .. }
                | Summary::GithubCi { repository, .. }
                | Summary::GithubAlerts { repository, .. }
                | Summary::GithubCommits { repository, .. }
                | Summary::GithubAccess { repository, .. } => repository.as_str(),
                _ => continue,
            };
            let slot = newest.entry((item.kind, repository)).or_insert(i);
            if (evidence[*slot].collected_at, &evidence[*slot].path)
                < (item.collected_at, &item.path)
            {
                *slot = i;
            }
        }
        let of_kind = |kind: Kind| -> Vec<usize> {
            newest
                .iter()
                .filter(|((k, _), _)| *k == kind)
                .map(|(_, &i)| i)
                .collect()
        };
        let links = |items: &[usize]| -> Vec<Link> {
            items
                .iter()
                .map(|&i| Link {
                    text: evidence[i].path.clone(),
                    href: href(&self.evidence_path(i)),
                })
                .collect()
        };
        let repos = |n: usize| format!("{n} repositor{}", if n == 1 { "y" } else { "ies" });
        let mut figures = Vec::new();

        let items = of_kind(Kind::GithubProtection);
        if !items.is_empty() {
            let (mut protected, mut reviews, mut signed, mut lowest) = (0, 0, 0, u64::MAX);
            for &i in &items {
                if let Summary::GithubProtection {
                    protected: p,
                    required_reviews,
                    signed_commits_required,
                    scorecard_tier,
                    ..
                } = &evidence[i].summary
                {
                    protected += u64::from(*p);
                    reviews += u64::from(*required_reviews >= 1);
                    signed += u64::from(*signed_commits_required);
                    lowest = lowest.min(*scorecard_tier);
                }
            }
            let n = items.len() as u64;
            figures.push(Figure {
                kind: "github-protection",
                value: format!("{protected} of {n}"),
                text: "default branches protected".into(),
                detail: format!(
                    "{reviews} require an approving review, {signed} require signed commits; the lowest OpenSSF Scorecard branch-protection tier is {lowest} of 5"
                ),
                state: if protected < n || reviews < n {
                    "bad"
                } else if lowest < 3 {
                    "warn"
                } else {
                    "ok"
                },
                sources: links(&items),
            });
        }

        let items = of_kind(Kind::GithubChanges);
        if !items.is_empty() {
            let [merged, reviewed, after, unreviewed, own] = sum(evidence, &items, |s| match s {
                Summary::GithubChanges {
                    merged,
                    reviewed,
                    approved_after_merge,
                    unreviewed,
                    self_merged,
                    ..
                } => Some([
                    *merged,
                    *reviewed,
                    *approved_after_merge,
                    *unreviewed,
                    *self_merged,
                ]),
                _ => None,
            });
            figures.push(Figure {
                kind: "github-changes",
                value: share(reviewed, merged).unwrap_or_else(|| "—".into()),
                text: format!("of {merged} changes reviewed by a second person"),
                detail: format!(
                    "{after} approved only after the merge, {unreviewed} unreviewed, {own} merged by their own author without review; {}",
                    repos(items.len())
                ),
                state: if reviewed == merged { "ok" } else if own > 0 || unreviewed > 0 { "bad" } else { "warn" },
                sources: links(&items),
            });
        }

        let items = of_kind(Kind::GithubCi);
        if !items.is_empty() {
            let [runs, success, failure, cancelled, deployments] =
                sum(evidence, &items, |s| match s {
                    Summary::GithubCi {
                        runs,
                        success,
                        failure,
                        cancelled,
                        deployments,
                        ..
                    } => Some([*runs, *success, *failure, *cancelled, *deployments]),
                    _ => None,
                });
            figures.push(Figure {
                kind: "github-ci",
                value: share(success, runs).unwrap_or_else(|| "—".into()),
                text: format!("of {runs} CI workflow runs succeeded"),
                detail: format!(
                    "{failure} failed, {cancelled} cancelled; {deployments} deployments; {}",
                    repos(items.len())
                ),
                state: if runs > 0 { "ok" } else { "warn" },
                sources: links(&items),
            });
        }

        let items = of_kind(Kind::GithubAlerts);
        if !items.is_empty() {
            let mut open = crate::evidence::AlertCounts::default();
            let (mut fixed, mut dismissed, mut unavailable) = (0u64, 0u64, Vec::new());
            let mut medians = Vec::new();
            for &i in &items {
                if let Summary::GithubAlerts {
                    repository,
                    open: o,
                    fixed: f,
                    dismissed: d,
                    unavailable: u,
                    median_days_to_fix,
                } = &evidence[i].summary
                {
                    open.critical = open.critical.saturating_add(o.critical);
                    open.high = open.high.saturating_add(o.high);
                    open.medium = open.medium.saturating_add(o.medium);
                    open.low = open.low.saturating_add(o.low);
                    fixed = fixed.saturating_add(*f);
                    dismissed = dismissed.saturating_add(*d);
                    unavailable.extend(u.iter().map(|f| format!("{f} in {repository}")));
                    medians.extend(*median_days_to_fix);
                }
            }
            let worst_median = medians
                .iter()
                .copied()
                .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))));
            figures.push(Figure {
                kind: "github-alerts",
                value: open.total().to_string(),
                text: "security alerts open at the end of the period".into(),
                detail: format!(
                    "{} critical, {} high, {} medium, {} low; {fixed} fixed{}, {dismissed} dismissed in the period; {}{}",
                    open.critical,
                    open.high,
                    open.medium,
                    open.low,
                    worst_median
                        .map(|m| format!(" (median time to fix up to {} days per repository)", num(m)))
                        .unwrap_or_default(),
                    repos(items.len()),
                    if unavailable.is_empty() {
                        String::new()
                    } else {
                        format!("; not available: {}", unavailable.join(", "))
                    }
                ),
                state: if open.critical.saturating_add(open.high) > 0 {
                    "bad"
                } else if open.total() > 0 || !unavailable.is_empty() {
                    "warn"
                } else {
                    "ok"
                },
                sources: links(&items),
            });
        }

        let items = of_kind(Kind::GithubCommits);
        if !items.is_empty() {
            // `compared`: the repositories with `collect git` evidence.
            let [commits, verified, disagree, compared] = sum(evidence, &items, |s| match s {
                Summary::GithubCommits {
                    commits,
                    verified,
                    disagree_with_git,
                    ..
                } => Some([
                    *commits,
                    *verified,
                    disagree_with_git.unwrap_or(0),
                    u64::from(disagree_with_git.is_some()),
                ]),
                _ => None,
            });
            figures.push(Figure {
                kind: "github-commits",
                value: share(verified, commits).unwrap_or_else(|| "—".into()),
                text: format!("of {commits} default-branch commits verified by GitHub"),
                detail: format!(
                    "{}; {}",
                    repos(items.len()),
                    if compared > 0 {
                        format!(
                            "{disagree} judged differently by collect git, in the {} compared with its evidence",
                            repos(compared as usize)
                        )
                    } else {
                        "no collect git evidence to compare with".into()
                    }
                ),
                state: if verified == commits { "ok" } else { "warn" },
                sources: links(&items),
            });
        }

        let items = of_kind(Kind::GithubAccess);
        if !items.is_empty() {
            let [people, admins, teams] = sum(evidence, &items, |s| match s {
                Summary::GithubAccess {
                    collaborators,
                    admins,
                    teams,
                    ..
                } => Some([*collaborators, *admins, *teams]),
                _ => None,
            });
            figures.push(Figure {
                kind: "github-access",
                value: admins.to_string(),
                text: format!(
                    "admin{} among {people} collaborators",
                    if admins == 1 { "" } else { "s" }
                ),
                detail: format!(
                    "counted per repository: {}; {teams} team grants",
                    repos(items.len())
                ),
                state: "ok",
                sources: links(&items),
            });
        }
        figures
    }
}

/// The counts `of` takes from the summary of each of `items` (indices into
/// `evidence`), added up.
fn sum<const N: usize>(
    evidence: &[crate::workspace::Evidence],
    items: &[usize],
    of: impl Fn(&Summary) -> Option<[u64; N]>,
) -> [u64; N] {
    let mut total = [0u64; N];
    for counts in items.iter().filter_map(|&i| of(&evidence[i].summary)) {
        for (t, c) in total.iter_mut().zip(counts) {
            *t = t.saturating_add(c);
        }
    }
    total
}

/// A series' points, one per date (the last given for a date wins).
pub fn points(
    series: &crate::evidence::MetricSeries,
) -> Vec<(chrono::NaiveDate, f64, Option<f64>)> {
    let mut by_date = std::collections::BTreeMap::new();
    for point in &series.points {
        if let Ok(date) = point.date.parse::<chrono::NaiveDate>() {
            by_date.insert(date, (point.value, point.target));
        }
    }
    by_date
        .into_iter()
        .map(|(date, (value, target))| (date, value, target))
        .collect()
}

fn metric_row(m: &MetricSummary) -> MetricRow<'_> {
    MetricRow {
        name: &m.name,
        points: m.points,
        first: &m.first,
        last: &m.last,
        latest: num(m.latest),
        target: m.target.map(num),
        direction: match m.direction {
            crate::evidence::Direction::Higher => "higher is better",
            crate::evidence::Direction::Lower => "lower is better",
        },
        met_target: m.met_target,
        points_met_target: m.points_met_target,
        mean: m.mean.map(num),
        min: num(m.min),
        max: num(m.max),
        error_budget_left: m.error_budget_left.map(charts::percent),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redactions_become_their_own_segments() {
        let parts = segments("key=[REDACTED:aws-access-key-id] and [REDACTED:url-password]@x");
        let shown: Vec<(&str, bool)> = parts
            .iter()
            .map(|s| (s.text.as_str(), s.redacted))
            .collect();
        assert_eq!(
            shown,
            [
                ("key=", false),
                ("[REDACTED:aws-access-key-id]", true),
                (" and ", false),
                ("[REDACTED:url-password]", true),
                ("@x", false)
            ]
        );
        assert_eq!(segments("").len(), 1);
        assert_eq!(segments("[REDACTED:unterminated").len(), 1);
        assert!(!segments("[REDACTED:unterminated")[0].redacted);
    }
}
