//! [`Codec`] for what `evidence::read` returns. Each struct lists every
//! field (see [`record!`]) and each enum every variant, so a change to
//! these types does not compile until the cache stores it too; a change of
//! the encoding needs [`super::files::FORMAT`] raised.

use super::codec::{record, tags, Codec, Reader};
use crate::evidence::{
    AccessChange, AccessPerson, AccessTeam, AckPolicy, AckVersion, AlertCounts, AlertFeature,
    AlertRow, ChangeRow, Checks, Details, Direction, Excerpt, ExcerptLine, Facts, FailingCheck,
    FailingTest, FindingRow, FormatProblem, GitCheck, Kind, MetricPoint, MetricSeries,
    MetricSummary, Outcome, PassedFrom, Severities, Severity, Signed, SigningCount, Summary,
    TestOutcome, Tests, UnverifiedCommit, WorkflowCounts,
};

impl Codec for Kind {
    fn encode(&self, out: &mut Vec<u8>) {
        self.as_str().to_string().encode(out);
    }
    fn decode(input: &mut Reader<'_>) -> Option<Self> {
        Kind::parse(&String::decode(input)?)
    }
}

tags!(Severity {
    Critical = 0,
    High = 1,
    Medium = 2,
    Low = 3,
    Info = 4
});
tags!(Outcome {
    Success = 0,
    Failure = 1,
    Unknown = 2
});
tags!(PassedFrom {
    Outcome = 0,
    Targets = 1
});
tags!(Direction {
    Higher = 0,
    Lower = 1
});
tags!(TestOutcome {
    Failed = 0,
    Errored = 1
});

record!(Severities {
    critical,
    high,
    medium,
    low,
    info
});
record!(Checks {
    pass,
    fail,
    warn,
    info
});
record!(Tests {
    passed,
    failed,
    errored,
    skipped
});
record!(AckPolicy {
    policy,
    version,
    people
});
record!(MetricSummary {
    name,
    points,
    first,
    last,
    latest,
    target,
    direction,
    min,
    max,
    mean,
    met_target,
    points_met_target,
    error_budget_left,
});
record!(FindingRow {
    severity,
    rule,
    message,
    location
});
record!(FailingTest {
    suite,
    classname,
    name,
    outcome,
    message
});
record!(FailingCheck {
    id,
    description,
    status
});
record!(Excerpt { lines });
record!(ExcerptLine {
    number,
    text,
    error
});
record!(MetricSeries { name, points });
record!(MetricPoint {
    date,
    value,
    target
});
record!(Signed { gpg, ssh, x509 });
record!(AccessChange {
    system,
    account,
    reviewer,
    decision,
    date,
});
record!(SigningCount {
    key,
    commits,
    signed,
    verified,
    unsigned,
});
record!(AckVersion {
    policy,
    version,
    people,
});
record!(AlertCounts {
    critical,
    high,
    medium,
    low
});
record!(ChangeRow {
    number,
    title,
    url,
    author,
    merged_by,
    merged_at,
    class,
    self_merged,
    approvals,
});
record!(WorkflowCounts {
    name,
    runs,
    success,
    failure,
    cancelled,
    other,
});
record!(AlertFeature {
    feature,
    available,
    message,
    open,
    fixed,
    dismissed,
    median_days_to_fix,
});
record!(AlertRow {
    feature,
    number,
    severity,
    title,
    created_at,
    url,
});
record!(UnverifiedCommit {
    sha,
    author,
    date,
    subject,
    reason,
});
record!(GitCheck {
    file,
    compared,
    disagree,
    github_only,
    git_only,
});
record!(AccessPerson {
    login,
    permission,
    admin,
    bot
});
record!(AccessTeam {
    slug,
    name,
    permission
});
record!(FormatProblem {
    looked_like,
    line,
    message
});
/// Facts are encoded with their details last, length-prefixed, so that a
/// reader can take everything else and leave the details for later.
impl Codec for Facts {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_with_details_len(self, out);
    }

    fn decode(input: &mut Reader<'_>) -> Option<Self> {
        let (mut facts, details) = decode_without_details(input)?;
        facts.details = Details::decode(&mut Reader::new(details))?;
        Some(facts)
    }
}

/// Encodes `facts` as [`Codec::encode`] does; returns how many bytes at
/// the end of `out` are the details (what [`decode_details`] takes).
pub fn encode_with_details_len(facts: &Facts, out: &mut Vec<u8>) -> usize {
    let Facts {
        kind,
        sha256,
        size,
        summary,
        details,
        observed_at,
        problem,
        front_matter,
    } = facts;
    kind.encode(out);
    sha256.encode(out);
    size.encode(out);
    summary.encode(out);
    observed_at.encode(out);
    problem.encode(out);
    front_matter.encode(out);
    let mut encoded = Vec::new();
    details.encode(&mut encoded);
    super::codec::put_bytes(out, &encoded);
    encoded.len()
}

/// Everything but the details (left as [`Details::None`]), and the bytes
/// of the details.
pub fn decode_without_details<'a>(input: &mut Reader<'a>) -> Option<(Facts, &'a [u8])> {
    let facts = Facts {
        kind: Codec::decode(input)?,
        sha256: Codec::decode(input)?,
        size: Codec::decode(input)?,
        summary: Codec::decode(input)?,
        details: Details::None,
        observed_at: Codec::decode(input)?,
        problem: Codec::decode(input)?,
        front_matter: Codec::decode(input)?,
    };
    let len = input.len()?;
    Some((facts, input.take(len)?))
}

/// Decodes details stored by [`Facts::encode`] (see
/// [`decode_without_details`]).
pub fn decode_details(bytes: &[u8]) -> Option<Details> {
    let mut reader = Reader::new(bytes);
    let details = Details::decode(&mut reader)?;
    reader.is_empty().then_some(details)
}

impl Codec for Summary {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Summary::Findings {
                findings,
                tools,
                suppressed,
            } => {
                out.push(0);
                findings.encode(out);
                tools.encode(out);
                suppressed.encode(out);
            }
            Summary::Checks { checks, reported } => {
                out.push(1);
                checks.encode(out);
                reported.encode(out);
            }
            Summary::Tests { tests, suites } => {
                out.push(2);
                tests.encode(out);
                suites.encode(out);
            }
            Summary::Log {
                lines,
                errors,
                warnings,
                redacted,
                outcome,
            } => {
                out.push(3);
                lines.encode(out);
                errors.encode(out);
                warnings.encode(out);
                redacted.encode(out);
                outcome.encode(out);
            }
            Summary::Drill {
                scenario,
                date,
                rto_target_min,
                rto_actual_min,
                rpo_target_min,
                rpo_actual_min,
                passed,
                passed_from,
            } => {
                out.push(4);
                scenario.encode(out);
                date.encode(out);
                rto_target_min.encode(out);
                rto_actual_min.encode(out);
                rpo_target_min.encode(out);
                rpo_actual_min.encode(out);
                passed.encode(out);
                passed_from.encode(out);
            }
            Summary::AccessReview {
                entries,
                systems,
                accounts,
                reviewers,
                decisions,
                first_date,
                last_date,
            } => {
                out.push(5);
                entries.encode(out);
                systems.encode(out);
                accounts.encode(out);
                reviewers.encode(out);
                decisions.encode(out);
                first_date.encode(out);
                last_date.encode(out);
            }
            Summary::Acknowledgement {
                people,
                acknowledgements,
                policies,
                first_date,
                last_date,
            } => {
                out.push(6);
                people.encode(out);
                acknowledgements.encode(out);
                policies.encode(out);
                first_date.encode(out);
                last_date.encode(out);
            }
            Summary::Metrics { metrics } => {
                out.push(7);
                metrics.encode(out);
            }
            Summary::None => out.push(8),
            Summary::CommitSigning {
                commits,
                signed,
                verified,
                unsigned,
            } => {
                out.push(9);
                commits.encode(out);
                signed.encode(out);
                verified.encode(out);
                unsigned.encode(out);
            }
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
            } => {
                out.push(10);
                repository.encode(out);
                branch.encode(out);
                protected.encode(out);
                required_reviews.encode(out);
                dismiss_stale_reviews.encode(out);
                code_owner_reviews.encode(out);
                required_status_checks.encode(out);
                signed_commits_required.encode(out);
                admins_included.encode(out);
                force_pushes_allowed.encode(out);
                deletions_allowed.encode(out);
                scorecard_tier.encode(out);
            }
            Summary::GithubChanges {
                repository,
                merged,
                reviewed,
                self_merged,
                unreviewed,
                approved_after_merge,
                bot_approved_only,
            } => {
                out.push(11);
                repository.encode(out);
                merged.encode(out);
                reviewed.encode(out);
                self_merged.encode(out);
                unreviewed.encode(out);
                approved_after_merge.encode(out);
                bot_approved_only.encode(out);
            }
            Summary::GithubCi {
                repository,
                runs,
                success,
                failure,
                cancelled,
                other,
                workflows,
                deployments,
                complete,
            } => {
                out.push(12);
                repository.encode(out);
                runs.encode(out);
                success.encode(out);
                failure.encode(out);
                cancelled.encode(out);
                other.encode(out);
                workflows.encode(out);
                deployments.encode(out);
                complete.encode(out);
            }
            Summary::GithubAlerts {
                repository,
                open,
                fixed,
                dismissed,
                unavailable,
                median_days_to_fix,
            } => {
                out.push(13);
                repository.encode(out);
                open.encode(out);
                fixed.encode(out);
                dismissed.encode(out);
                unavailable.encode(out);
                median_days_to_fix.encode(out);
            }
            Summary::GithubCommits {
                repository,
                commits,
                verified,
                unverified,
                disagree_with_git,
            } => {
                out.push(14);
                repository.encode(out);
                commits.encode(out);
                verified.encode(out);
                unverified.encode(out);
                disagree_with_git.encode(out);
            }
            Summary::GithubAccess {
                repository,
                collaborators,
                admins,
                teams,
            } => {
                out.push(15);
                repository.encode(out);
                collaborators.encode(out);
                admins.encode(out);
                teams.encode(out);
            }
        }
    }

    fn decode(input: &mut Reader<'_>) -> Option<Self> {
        Some(match input.byte()? {
            0 => Summary::Findings {
                findings: Codec::decode(input)?,
                tools: Codec::decode(input)?,
                suppressed: Codec::decode(input)?,
            },
            1 => Summary::Checks {
                checks: Codec::decode(input)?,
                reported: Codec::decode(input)?,
            },
            2 => Summary::Tests {
                tests: Codec::decode(input)?,
                suites: Codec::decode(input)?,
            },
            3 => Summary::Log {
                lines: Codec::decode(input)?,
                errors: Codec::decode(input)?,
                warnings: Codec::decode(input)?,
                redacted: Codec::decode(input)?,
                outcome: Codec::decode(input)?,
            },
            4 => Summary::Drill {
                scenario: Codec::decode(input)?,
                date: Codec::decode(input)?,
                rto_target_min: Codec::decode(input)?,
                rto_actual_min: Codec::decode(input)?,
                rpo_target_min: Codec::decode(input)?,
                rpo_actual_min: Codec::decode(input)?,
                passed: Codec::decode(input)?,
                passed_from: Codec::decode(input)?,
            },
            5 => Summary::AccessReview {
                entries: Codec::decode(input)?,
                systems: Codec::decode(input)?,
                accounts: Codec::decode(input)?,
                reviewers: Codec::decode(input)?,
                decisions: Codec::decode(input)?,
                first_date: Codec::decode(input)?,
                last_date: Codec::decode(input)?,
            },
            6 => Summary::Acknowledgement {
                people: Codec::decode(input)?,
                acknowledgements: Codec::decode(input)?,
                policies: Codec::decode(input)?,
                first_date: Codec::decode(input)?,
                last_date: Codec::decode(input)?,
            },
            7 => Summary::Metrics {
                metrics: Codec::decode(input)?,
            },
            8 => Summary::None,
            9 => Summary::CommitSigning {
                commits: Codec::decode(input)?,
                signed: Codec::decode(input)?,
                verified: Codec::decode(input)?,
                unsigned: Codec::decode(input)?,
            },
            10 => Summary::GithubProtection {
                repository: Codec::decode(input)?,
                branch: Codec::decode(input)?,
                protected: Codec::decode(input)?,
                required_reviews: Codec::decode(input)?,
                dismiss_stale_reviews: Codec::decode(input)?,
                code_owner_reviews: Codec::decode(input)?,
                required_status_checks: Codec::decode(input)?,
                signed_commits_required: Codec::decode(input)?,
                admins_included: Codec::decode(input)?,
                force_pushes_allowed: Codec::decode(input)?,
                deletions_allowed: Codec::decode(input)?,
                scorecard_tier: Codec::decode(input)?,
            },
            11 => Summary::GithubChanges {
                repository: Codec::decode(input)?,
                merged: Codec::decode(input)?,
                reviewed: Codec::decode(input)?,
                self_merged: Codec::decode(input)?,
                unreviewed: Codec::decode(input)?,
                approved_after_merge: Codec::decode(input)?,
                bot_approved_only: Codec::decode(input)?,
            },
            12 => Summary::GithubCi {
                repository: Codec::decode(input)?,
                runs: Codec::decode(input)?,
                success: Codec::decode(input)?,
                failure: Codec::decode(input)?,
                cancelled: Codec::decode(input)?,
                other: Codec::decode(input)?,
                workflows: Codec::decode(input)?,
                deployments: Codec::decode(input)?,
                complete: Codec::decode(input)?,
            },
            13 => Summary::GithubAlerts {
                repository: Codec::decode(input)?,
                open: Codec::decode(input)?,
                fixed: Codec::decode(input)?,
                dismissed: Codec::decode(input)?,
                unavailable: Codec::decode(input)?,
                median_days_to_fix: Codec::decode(input)?,
            },
            14 => Summary::GithubCommits {
                repository: Codec::decode(input)?,
                commits: Codec::decode(input)?,
                verified: Codec::decode(input)?,
                unverified: Codec::decode(input)?,
                disagree_with_git: Codec::decode(input)?,
            },
            15 => Summary::GithubAccess {
                repository: Codec::decode(input)?,
                collaborators: Codec::decode(input)?,
                admins: Codec::decode(input)?,
                teams: Codec::decode(input)?,
            },
            _ => return None,
        })
    }
}

impl Codec for Details {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Details::Findings { rows, omitted } => {
                out.push(0);
                rows.encode(out);
                omitted.encode(out);
            }
            Details::Tests { failing, omitted } => {
                out.push(1);
                failing.encode(out);
                omitted.encode(out);
            }
            Details::Checks { checks, omitted } => {
                out.push(2);
                checks.encode(out);
                omitted.encode(out);
            }
            Details::Log { excerpts, omitted } => {
                out.push(3);
                excerpts.encode(out);
                omitted.encode(out);
            }
            Details::Drill {
                participants,
                notes,
            } => {
                out.push(4);
                participants.encode(out);
                notes.encode(out);
            }
            Details::Metrics { series, truncated } => {
                out.push(5);
                series.encode(out);
                truncated.encode(out);
            }
            Details::None => out.push(6),
            Details::AccessChanges { changes, omitted } => {
                out.push(7);
                changes.encode(out);
                omitted.encode(out);
            }
            Details::Acknowledgements {
                people,
                versions,
                truncated,
            } => {
                out.push(8);
                people.encode(out);
                versions.encode(out);
                truncated.encode(out);
            }
            Details::GithubProtection {
                status_checks,
                rules,
                message,
                next_tier_needs,
            } => {
                out.push(9);
                status_checks.encode(out);
                rules.encode(out);
                message.encode(out);
                next_tier_needs.encode(out);
            }
            Details::GithubChanges {
                exceptions,
                omitted,
            } => {
                out.push(10);
                exceptions.encode(out);
                omitted.encode(out);
            }
            Details::GithubCi {
                workflows,
                environments,
            } => {
                out.push(11);
                workflows.encode(out);
                environments.encode(out);
            }
            Details::GithubAlerts {
                features,
                open_alerts,
                omitted,
            } => {
                out.push(12);
                features.encode(out);
                open_alerts.encode(out);
                omitted.encode(out);
            }
            Details::GithubCommits {
                unverified,
                omitted,
                reasons,
                git,
            } => {
                out.push(13);
                unverified.encode(out);
                omitted.encode(out);
                reasons.encode(out);
                git.encode(out);
            }
            Details::GithubAccess {
                people,
                teams,
                omitted,
            } => {
                out.push(14);
                people.encode(out);
                teams.encode(out);
                omitted.encode(out);
            }
            Details::CommitSigning {
                months,
                authors,
                truncated,
            } => {
                out.push(15);
                months.encode(out);
                authors.encode(out);
                truncated.encode(out);
            }
        }
    }

    fn decode(input: &mut Reader<'_>) -> Option<Self> {
        Some(match input.byte()? {
            0 => Details::Findings {
                rows: Codec::decode(input)?,
                omitted: Codec::decode(input)?,
            },
            1 => Details::Tests {
                failing: Codec::decode(input)?,
                omitted: Codec::decode(input)?,
            },
            2 => Details::Checks {
                checks: Codec::decode(input)?,
                omitted: Codec::decode(input)?,
            },
            3 => Details::Log {
                excerpts: Codec::decode(input)?,
                omitted: Codec::decode(input)?,
            },
            4 => Details::Drill {
                participants: Codec::decode(input)?,
                notes: Codec::decode(input)?,
            },
            5 => Details::Metrics {
                series: Codec::decode(input)?,
                truncated: Codec::decode(input)?,
            },
            6 => Details::None,
            7 => Details::AccessChanges {
                changes: Codec::decode(input)?,
                omitted: Codec::decode(input)?,
            },
            8 => Details::Acknowledgements {
                people: Codec::decode(input)?,
                versions: Codec::decode(input)?,
                truncated: Codec::decode(input)?,
            },
            9 => Details::GithubProtection {
                status_checks: Codec::decode(input)?,
                rules: Codec::decode(input)?,
                message: Codec::decode(input)?,
                next_tier_needs: Codec::decode(input)?,
            },
            10 => Details::GithubChanges {
                exceptions: Codec::decode(input)?,
                omitted: Codec::decode(input)?,
            },
            11 => Details::GithubCi {
                workflows: Codec::decode(input)?,
                environments: Codec::decode(input)?,
            },
            12 => Details::GithubAlerts {
                features: Codec::decode(input)?,
                open_alerts: Codec::decode(input)?,
                omitted: Codec::decode(input)?,
            },
            13 => Details::GithubCommits {
                unverified: Codec::decode(input)?,
                omitted: Codec::decode(input)?,
                reasons: Codec::decode(input)?,
                git: Codec::decode(input)?,
            },
            14 => Details::GithubAccess {
                people: Codec::decode(input)?,
                teams: Codec::decode(input)?,
                omitted: Codec::decode(input)?,
            },
            15 => Details::CommitSigning {
                months: Codec::decode(input)?,
                authors: Codec::decode(input)?,
                truncated: Codec::decode(input)?,
            },
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of the real-world corpus survives the cache unchanged.
    #[test]
    fn facts_of_the_real_corpus_round_trip() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut seen = std::collections::HashSet::new();
        for entry in walkdir::WalkDir::new(&root) {
            let entry = entry.unwrap();
            if !entry.file_type().is_file() {
                continue;
            }
            let facts = crate::evidence::read(entry.path()).unwrap();
            let mut bytes = Vec::new();
            facts.encode(&mut bytes);
            let mut reader = Reader::new(&bytes);
            let back = Facts::decode(&mut reader).expect("decodes");
            assert!(reader.is_empty());
            assert_eq!(
                format!("{back:?}"),
                format!("{facts:?}"),
                "{:?}",
                entry.path()
            );
            seen.insert(std::mem::discriminant(&facts.details));
        }
        assert!(seen.len() >= 5, "the corpus covers most kinds of details");
    }
}
