//! Each evidence kind's view on its evidence page: a scan's findings by
//! severity and its findings table, a test report's failing tests, a CI
//! log's excerpts around its errors with redactions marked, a drill's
//! targets against its actuals, tables for access reviews,
//! acknowledgements, metrics and kube-bench checks, and commit signing's
//! verified share per month (a chart and its table) and its authors. Built from the
//! evidence item's `summary` and `details`; kinds without a view of their
//! own keep the generic summary rows.

use serde::Serialize;

use super::charts::{self, num, Chart, Link, Svg};
use super::{href, markdown, Site};
use crate::evidence::{
    AccessChange, Checks, Details, FailingCheck, FailingTest, FindingRow, MetricSummary, Outcome,
    PassedFrom, SigningCount, Summary,
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
        chart: Option<Chart>,
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
}

fn minutes(value: Option<f64>) -> Option<String> {
    value.map(num)
}

fn within(actual: Option<f64>, target: Option<f64>) -> Option<bool> {
    Some(actual? <= target?)
}

impl<'a> Site<'a> {
    /// The view of evidence item `index`'s kind, if it has one.
    pub(super) fn kind_view(&self, index: usize) -> Option<KindView<'a>> {
        let item = &self.a.workspace.evidence[index];
        let view = match (&item.summary, &item.details) {
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
                        let known = workspace.policies.iter().position(|w| w.id == id);
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
                        chart
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
            _ => return None,
        };
        Some(view)
    }
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
