//! Assessment: which controls are in scope, what supports each, whether
//! that support is fresh at the end of the period, and which recurring
//! activities missed a window. Reads a [`Workspace`], writes nothing.
//!
//! Evidence and policies are judged at the end of the period, not "now",
//! so the same workspace always gives the same result. The one exception:
//! a schedule window that has not closed yet on the day of the run
//! (`SOURCE_DATE_EPOCH`, else today) is pending rather than missed, so a
//! mid-year check does not flag December's activity in November.

use std::collections::HashMap;
use std::fmt;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};
use rayon::prelude::*;
use serde::Serialize;

use crate::cache::FastMap;
use crate::catalog::ControlKey;
use crate::config::{Config, Period, Schedule};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Position};
use crate::evidence::{Details, Summary};
use crate::workspace::{Evidence, Workspace};

/// A control's standing at the end of the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Fresh evidence and a policy.
    Covered,
    /// A policy or evidence, not both.
    Partial,
    /// Evidence exists but all of it expired, or a linked policy is overdue.
    Stale,
    /// Neither a policy nor evidence.
    Missing,
    /// Out of scope, with the statement-of-applicability reason.
    Excluded,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Covered,
        Status::Partial,
        Status::Stale,
        Status::Missing,
        Status::Excluded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Covered => "covered",
            Status::Partial => "partial",
            Status::Stale => "stale",
            Status::Missing => "missing",
            Status::Excluded => "excluded",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One control in scope.
#[derive(Debug, Clone)]
pub struct ControlAssessment {
    pub control: ControlKey,
    pub status: Status,
    /// Why the control has its status, in a sentence.
    pub reason: String,
    /// Indices into `Workspace::policies`.
    pub policies: Vec<usize>,
    /// Indices into `Workspace::evidence`.
    pub evidence: Vec<usize>,
    /// Crosswalk-related controls and their evidence; shown, never counted.
    pub related: Vec<Related>,
}

#[derive(Debug, Clone)]
pub struct Related {
    pub control: ControlKey,
    pub source: String,
    pub evidence: Vec<usize>,
}

/// A policy's review state at the end of the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyReview {
    pub next_review: Option<NaiveDate>,
    pub overdue: bool,
}

/// One window of a recurring activity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// Evidence collected inside the window.
    pub occurrences: Vec<usize>,
    /// The window has not closed yet on the day of the run: without an
    /// occurrence it is pending, not missed.
    pub pending: bool,
}

#[derive(Debug, Clone)]
pub struct ScheduleResult {
    /// Index into `Config::schedules`.
    pub schedule: usize,
    pub windows: Vec<Window>,
}

impl ScheduleResult {
    pub fn missed(&self) -> impl Iterator<Item = &Window> {
        self.windows
            .iter()
            .filter(|w| w.occurrences.is_empty() && !w.pending)
    }
}

/// How many people acknowledged a policy's current version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyAcknowledgement {
    /// Index into `Workspace::policies`.
    pub policy: usize,
    /// The policy's current version.
    pub version: String,
    /// People who acknowledged the current version.
    pub acknowledged: usize,
    /// People who acknowledged an earlier (other) version, but not this one.
    pub other_version: usize,
    /// Everyone named in any acknowledgement file.
    pub people: usize,
}

impl PolicyAcknowledgement {
    /// `acknowledged` of `people` in whole percent, rounded half up.
    pub fn percent(&self) -> u32 {
        if self.people == 0 {
            return 0;
        }
        ((200 * self.acknowledged + self.people) / (2 * self.people)) as u32
    }
}

/// Count of controls per status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    pub covered: usize,
    pub partial: usize,
    pub stale: usize,
    pub missing: usize,
    pub excluded: usize,
}

impl StatusCounts {
    pub fn add(&mut self, status: Status) {
        *self.get_mut(status) += 1;
    }

    pub fn absorb(&mut self, other: StatusCounts) {
        for status in Status::ALL {
            *self.get_mut(status) += other.get(status);
        }
    }

    pub fn get(&self, status: Status) -> usize {
        match status {
            Status::Covered => self.covered,
            Status::Partial => self.partial,
            Status::Stale => self.stale,
            Status::Missing => self.missing,
            Status::Excluded => self.excluded,
        }
    }

    fn get_mut(&mut self, status: Status) -> &mut usize {
        match status {
            Status::Covered => &mut self.covered,
            Status::Partial => &mut self.partial,
            Status::Stale => &mut self.stale,
            Status::Missing => &mut self.missing,
            Status::Excluded => &mut self.excluded,
        }
    }

    pub fn total(&self) -> usize {
        Status::ALL.iter().map(|&s| self.get(s)).sum()
    }
}

/// The assessed workspace.
#[derive(Debug)]
pub struct Assessment<'w> {
    pub workspace: &'w Workspace,
    pub config: &'w Config,
    /// Controls in scope (excluded ones too), in catalog order.
    pub controls: Vec<ControlAssessment>,
    /// Parallel to `Workspace::policies`.
    pub policies: Vec<PolicyReview>,
    /// Parallel to `Workspace::evidence`.
    pub evidence_stale: Vec<bool>,
    pub schedules: Vec<ScheduleResult>,
    pub summary: StatusCounts,
    /// Coverage per framework in scope: (framework index, counts).
    pub by_framework: Vec<(usize, StatusCounts)>,
    /// Per policy (in `Workspace::policies` order), the share of people who
    /// acknowledged its current version; empty when the workspace holds no
    /// acknowledgement evidence.
    pub acknowledgements: Vec<PolicyAcknowledgement>,
    /// The diagnostics of loading and assessing, sorted.
    pub diagnostics: Diagnostics,
}

/// The first instant after the period: evidence that expires before it is
/// stale, a review due before it is overdue.
fn period_close(period: &Period) -> DateTime<Utc> {
    period
        .end
        .checked_add_days(Days::new(1))
        .unwrap_or(period.end)
        .and_time(NaiveTime::MIN)
        .and_utc()
}

/// Assesses a loaded workspace. `None` when its configuration did not
/// load (the diagnostics of the load say why).
pub fn assess(workspace: &Workspace) -> Option<Assessment<'_>> {
    let config = workspace.config.as_ref()?;
    // Who acknowledged what reads the acknowledgement files' details, the
    // rest does not: the two side by side.
    let (acknowledgements, mut assessment) = rayon::join(
        || acknowledgements(workspace),
        || assess_controls(workspace, config),
    );
    assessment.acknowledgements = acknowledgements;
    Some(assessment)
}

/// Everything of [`assess`] but the acknowledgements.
fn assess_controls<'w>(workspace: &'w Workspace, config: &'w Config) -> Assessment<'w> {
    let mut diagnostics = workspace.diagnostics.clone();
    let close = period_close(&config.period);
    let today = crate::build_time().date_naive();

    let evidence_stale: Vec<bool> = workspace
        .evidence
        .iter()
        .map(|e| e.expires.is_some_and(|expires| expires < close))
        .collect();
    let policies: Vec<PolicyReview> = workspace
        .policies
        .iter()
        .map(|p| PolicyReview {
            next_review: p.next_review,
            overdue: p.next_review.is_some_and(|due| due < config.period.end),
        })
        .collect();
    policy_diagnostics(workspace, &policies, &mut diagnostics);

    let mut policies_of: HashMap<ControlKey, Vec<usize>> = HashMap::new();
    for (index, policy) in workspace.policies.iter().enumerate() {
        for &key in &policy.controls {
            policies_of.entry(key).or_default().push(index);
        }
    }
    let mut evidence_of: HashMap<ControlKey, Vec<usize>> = HashMap::new();
    for (index, item) in workspace.evidence.iter().enumerate() {
        for key in item.control_keys() {
            let list = evidence_of.entry(key).or_default();
            if list.last() != Some(&index) {
                list.push(index);
            }
        }
    }

    let catalog = &workspace.catalog;
    let mut controls = Vec::new();
    let mut by_framework = Vec::new();
    let mut summary = StatusCounts::default();
    for scope in &config.scopes {
        let framework = &catalog.frameworks()[scope.framework];
        let mut counts = StatusCounts::default();
        for key in catalog.keys_of(scope.framework) {
            let control = catalog.control(key);
            let in_category = scope.categories.is_empty()
                || control
                    .group
                    .as_ref()
                    .is_some_and(|g| scope.categories.contains(g));
            if framework.id == "soc2" && !in_category {
                continue;
            }
            let linked_policies = policies_of.remove(&key).unwrap_or_default();
            let linked_evidence = evidence_of.get(&key).cloned().unwrap_or_default();
            let related = catalog
                .crosswalk()
                .related(key)
                .iter()
                .map(|link| Related {
                    control: link.to,
                    source: link.source.clone(),
                    evidence: evidence_of.get(&link.to).cloned().unwrap_or_default(),
                })
                .collect();
            let (status, reason) = match scope.exclusions.iter().find(|e| e.matches(&control.id)) {
                Some(exclusion) => (Status::Excluded, exclusion.reason.clone()),
                None => judge(
                    workspace,
                    &linked_policies,
                    &linked_evidence,
                    &policies,
                    &evidence_stale,
                ),
            };
            counts.add(status);
            controls.push(ControlAssessment {
                control: key,
                status,
                reason,
                policies: linked_policies,
                evidence: linked_evidence,
                related,
            });
        }
        summary.absorb(counts);
        by_framework.push((scope.framework, counts));
    }
    control_diagnostics(workspace, &controls, &evidence_stale, &mut diagnostics);

    let schedules = config
        .schedules
        .par_iter()
        .enumerate()
        .map(|(index, schedule)| ScheduleResult {
            schedule: index,
            windows: windows(schedule, &config.period, &workspace.evidence, today),
        })
        .collect::<Vec<_>>();
    schedule_diagnostics(config, &schedules, &mut diagnostics);

    diagnostics.sort();
    Assessment {
        workspace,
        config,
        controls,
        policies,
        evidence_stale,
        schedules,
        summary,
        by_framework,
        acknowledgements: Vec::new(),
        diagnostics,
    }
}

/// For each policy, who acknowledged its current version, out of everyone
/// named in any acknowledgement file. A file names a policy by its id
/// (`security/access-control`; a leading `policies/` and a trailing `.md`
/// are ignored) and a version, compared as written (a leading `v` aside).
fn acknowledgements(workspace: &Workspace) -> Vec<PolicyAcknowledgement> {
    fn policy_id(text: &str) -> &str {
        let text = text.trim();
        let text = text.strip_prefix("policies/").unwrap_or(text);
        text.strip_suffix(".md").unwrap_or(text)
    }
    fn version(text: &str) -> &str {
        let text = text.trim();
        text.strip_prefix(['v', 'V']).unwrap_or(text)
    }
    let mut any = false;
    // Everyone named, numbered on first sight: the sets below hold numbers,
    // since a year of acknowledgement files names hundreds of thousands of
    // (person, policy) pairs and each name would otherwise be hashed and
    // compared once per set it goes into.
    let mut people: FastMap<String, u32> = FastMap::default();
    fn number(name: &str, people: &mut FastMap<String, u32>) -> u32 {
        if let Some(&n) = people.get(name) {
            return n;
        }
        let next = people.len() as u32;
        people.insert(name.to_owned(), next);
        next
    }
    // Policy id -> version -> people, sorted and deduplicated below.
    let mut by_version: FastMap<String, FastMap<String, Vec<u32>>> = FastMap::default();
    // Asking for other items' details would decode them all from the file
    // cache: the summary says which items are acknowledgement files. Each
    // file's details are decoded for this loop only (`with`): kept, they
    // would hold tens of megabytes for the rest of the build.
    let files = workspace
        .evidence
        .iter()
        .filter(|item| matches!(item.summary, Summary::Acknowledgement { .. }));
    for item in files {
        item.details.with(|details| {
            let Details::Acknowledgements {
                people: named,
                versions,
                ..
            } = details
            else {
                return;
            };
            any = true;
            for name in named {
                number(name, &mut people);
            }
            for v in versions {
                let (policy, acknowledged) = (policy_id(&v.policy), version(&v.version));
                let list = by_version
                    .entry(policy.to_owned())
                    .or_default()
                    .entry(acknowledged.to_owned())
                    .or_default();
                list.extend(v.people.iter().map(|name| number(name, &mut people)));
            }
        });
    }
    if !any {
        return Vec::new();
    }
    for who in by_version.values_mut().flat_map(FastMap::values_mut) {
        who.sort_unstable();
        who.dedup();
    }
    let everyone = people.len();
    let no_versions = FastMap::default();
    workspace
        .policies
        .iter()
        .enumerate()
        .map(|(index, policy)| {
            let current = version(&policy.version);
            let versions = by_version.get(policy.id.as_str()).unwrap_or(&no_versions);
            let acknowledged: &[u32] = versions.get(current).map_or(&[], Vec::as_slice);
            let mut others: Vec<u32> = versions
                .iter()
                .filter(|(v, _)| v.as_str() != current)
                .flat_map(|(_, who)| who.iter().copied())
                .filter(|who| acknowledged.binary_search(who).is_err())
                .collect();
            others.sort_unstable();
            others.dedup();
            PolicyAcknowledgement {
                policy: index,
                version: policy.version.clone(),
                acknowledged: acknowledged.len(),
                other_version: others.len(),
                people: everyone,
            }
        })
        .collect()
}

/// The status of a control in scope and why.
fn judge(
    workspace: &Workspace,
    policies: &[usize],
    evidence: &[usize],
    reviews: &[PolicyReview],
    stale: &[bool],
) -> (Status, String) {
    let fresh = evidence.iter().filter(|&&i| !stale[i]).count();
    let overdue: Vec<&str> = policies
        .iter()
        .filter(|&&i| reviews[i].overdue)
        .map(|&i| workspace.policies[i].id.as_str())
        .collect();
    let items = |n: usize, what: &str| {
        if n == 1 {
            format!("1 {what}")
        } else {
            format!("{n} {what}s")
        }
    };
    if policies.is_empty() && evidence.is_empty() {
        return (
            Status::Missing,
            "No policy and no evidence is linked to this control.".into(),
        );
    }
    if !evidence.is_empty() && fresh == 0 {
        let newest = evidence
            .iter()
            .map(|&i| &workspace.evidence[i])
            .max_by_key(|e| e.collected_at)
            .expect("evidence is not empty");
        let expired = newest
            .expires
            .map_or(String::new(), |d| format!(", expired {}", d.date_naive()));
        return (
            Status::Stale,
            format!(
                "All {} expired before the period ended; the newest, {}, was collected {}{expired}.",
                items(evidence.len(), "evidence item"),
                newest.path,
                newest.collected_at.date_naive()
            ),
        );
    }
    if !overdue.is_empty() {
        return (
            Status::Stale,
            format!("Linked policy overdue for review: {}.", overdue.join(", ")),
        );
    }
    match (policies.is_empty(), fresh) {
        (false, 0) => (
            Status::Partial,
            format!(
                "{} but no evidence.",
                items(policies.len(), "policy").replace("policys", "policies")
            ),
        ),
        (true, _) => (
            Status::Partial,
            format!("{} but no policy.", items(fresh, "fresh evidence item")),
        ),
        (false, _) => (
            Status::Covered,
            format!(
                "{} and {}.",
                items(policies.len(), "policy").replace("policys", "policies"),
                items(fresh, "fresh evidence item")
            ),
        ),
    }
}

fn policy_diagnostics(
    workspace: &Workspace,
    reviews: &[PolicyReview],
    diagnostics: &mut Diagnostics,
) {
    for (policy, review) in workspace.policies.iter().zip(reviews) {
        let at_line = |line| Some(Position { line, column: 1 });
        if review.overdue {
            let due = review.next_review.expect("overdue implies a due date");
            diagnostics.push(
                Diagnostic::new(
                    Code::PolicyReviewOverdue,
                    format!(
                        "policy `{}` is due for review on {due}, before the period ends (approved {}, reviewed every {})",
                        policy.id,
                        policy.approved_on.map_or("never".to_string(), |d| d.to_string()),
                        policy.review_every
                    ),
                )
                .in_file(&policy.path)
                .at(at_line(2))
                .with_help("review the policy, then update `version`, `approved_by` and `approved_on`"),
            );
        }
        if policy.approved_on.is_none() {
            diagnostics.push(
                Diagnostic::new(
                    Code::PolicyNotApproved,
                    format!("policy `{}` has no `approved_on` date", policy.id),
                )
                .in_file(&policy.path)
                .at(at_line(2))
                .with_help(
                    "add `approved_by` and `approved_on: YYYY-MM-DD` once the policy is approved",
                ),
            );
        }
        if policy.controls.is_empty() {
            diagnostics.push(
                Diagnostic::new(
                    Code::PolicyUnmapped,
                    format!("policy `{}` is linked to no control", policy.id),
                )
                .in_file(&policy.path)
                .at(at_line(2))
                .with_help("list the controls it implements under `controls:`"),
            );
        }
    }
}

fn control_diagnostics(
    workspace: &Workspace,
    controls: &[ControlAssessment],
    stale: &[bool],
    diagnostics: &mut Diagnostics,
) {
    let catalog = &workspace.catalog;
    for assessed in controls {
        let id = catalog.display_id(assessed.control);
        let title = &catalog.control(assessed.control).title;
        let diagnostic = match assessed.status {
            Status::Covered | Status::Excluded => continue,
            Status::Missing => Diagnostic::new(
                Code::ControlMissing,
                format!("{id} ({title}) has no policy and no evidence"),
            )
            .with_help("link a policy (front matter `controls:`) and evidence (an [[evidence]] rule or sidecar)"),
            Status::Partial if assessed.policies.is_empty() => Diagnostic::new(
                Code::ControlWithoutPolicy,
                format!("{id} ({title}) has evidence but no policy"),
            )
            .with_help(format!("add {id} to the `controls:` of the policy that governs it")),
            Status::Partial => Diagnostic::new(
                Code::ControlWithoutEvidence,
                format!("{id} ({title}) has a policy but no fresh evidence"),
            )
            .with_help("collect evidence that the control operates and link it with an [[evidence]] rule or sidecar"),
            Status::Stale => {
                let all_expired = !assessed.evidence.is_empty() && assessed.evidence.iter().all(|&i| stale[i]);
                if !all_expired {
                    // Stale through an overdue policy: policy-review-overdue says so.
                    continue;
                }
                let newest = assessed
                    .evidence
                    .iter()
                    .map(|&i| &workspace.evidence[i])
                    .max_by_key(|e| e.collected_at)
                    .expect("stale evidence exists");
                Diagnostic::new(
                    Code::EvidenceStale,
                    format!(
                        "all evidence for {id} ({title}) is stale at period end: the newest was collected {} and expired {}",
                        newest.collected_at.date_naive(),
                        newest.expires.map_or("-".to_string(), |d| d.date_naive().to_string()),
                    ),
                )
                .in_file(&newest.path)
                .with_help("collect fresh evidence, or lengthen `max_age` if this evidence is meant to last longer")
            }
        };
        diagnostics.push(diagnostic);
    }
}

/// The windows of a schedule that lie wholly inside the period, each with
/// the matching evidence collected in it. A window cut short by the period
/// end is not expected: the activity is not yet due.
fn windows(
    schedule: &Schedule,
    period: &Period,
    evidence: &[Evidence],
    today: NaiveDate,
) -> Vec<Window> {
    let matching: Vec<(usize, NaiveDate)> = evidence
        .iter()
        .enumerate()
        .filter(|(_, e)| schedule.matches(&e.path))
        .map(|(i, e)| (i, e.collected_at.date_naive()))
        .collect();
    let mut out = Vec::new();
    let mut start = period.start;
    while let Some(next) = schedule.every.after(start) {
        let Some(end) = next.pred_opt() else { break };
        if end > period.end || next <= start {
            break;
        }
        let occurrences = matching
            .iter()
            .filter(|(_, date)| (start..=end).contains(date))
            .map(|&(i, _)| i)
            .collect();
        out.push(Window {
            start,
            end,
            occurrences,
            pending: end >= today,
        });
        start = next;
    }
    out
}

fn schedule_diagnostics(
    config: &Config,
    results: &[ScheduleResult],
    diagnostics: &mut Diagnostics,
) {
    for result in results {
        let schedule = &config.schedules[result.schedule];
        for window in result.missed() {
            diagnostics.push(
                Diagnostic::new(
                    Code::ScheduleMissed,
                    format!(
                        "{}: no evidence matching `{}` was collected between {} and {}",
                        schedule.name, schedule.pattern, window.start, window.end
                    ),
                )
                .in_file(crate::config::FILE_NAME)
                .at(Some(Position {
                    line: schedule.line,
                    column: 1,
                }))
                .with_help(format!(
                    "this activity is expected every {}; add its record under `{}` with a `collected_at` inside the window",
                    schedule.every, schedule.pattern
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acknowledgement_share_rounds_half_up() {
        let share = |acknowledged, people| {
            PolicyAcknowledgement {
                policy: 0,
                version: "1".into(),
                acknowledged,
                other_version: 0,
                people,
            }
            .percent()
        };
        assert_eq!(share(2, 3), 67);
        assert_eq!(share(1, 3), 33);
        assert_eq!(share(1, 8), 13);
        assert_eq!(share(3, 3), 100);
        assert_eq!(share(0, 0), 0);
    }
}
