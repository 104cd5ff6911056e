//! What `check` prints: compiler-style text for people, and the JSON
//! object that DESIGN.md fixes for scripts. Both read the same assessed
//! model through borrowed view structs.

use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::assess::{Assessment, Status, StatusCounts};
use crate::catalog::{Catalog, ControlKey};
use crate::diagnostic::{Diagnostic, Diagnostics, Severity};
use crate::evidence::Summary;
use crate::workspace::{Evidence, Policy, Provenance, TimeSource, Via, Workspace};

/// The `check --format json` object. Its keys are a public contract.
#[derive(Debug, Serialize)]
pub struct CheckReport<'a> {
    pub period: Option<&'a str>,
    pub organization: Option<&'a str>,
    pub commit: Option<&'a str>,
    pub controls: Vec<ControlView<'a>>,
    pub policies: Vec<PolicyView<'a>>,
    pub evidence: Vec<EvidenceView<'a>>,
    pub diagnostics: &'a Diagnostics,
    pub summary: StatusCounts,
}

#[derive(Debug, Serialize)]
pub struct ControlView<'a> {
    pub id: String,
    pub framework: &'a str,
    pub title: &'a str,
    pub group: Option<&'a str>,
    pub status: Status,
    pub reason: &'a str,
    pub policies: Vec<&'a str>,
    pub evidence: Vec<&'a str>,
    /// Crosswalk-related controls with evidence; shown, never counted.
    pub related: Vec<RelatedView<'a>>,
}

#[derive(Debug, Serialize)]
pub struct RelatedView<'a> {
    pub id: String,
    pub framework: &'a str,
    pub evidence: Vec<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct PolicyView<'a> {
    pub id: &'a str,
    pub path: &'a str,
    pub title: &'a str,
    pub version: &'a str,
    pub owner: &'a str,
    pub approved_by: Option<&'a str>,
    pub approved_on: Option<String>,
    pub review_every: String,
    pub next_review: Option<String>,
    pub overdue: bool,
    pub classification: &'a str,
    pub controls: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct EvidenceView<'a> {
    pub path: &'a str,
    pub kind: &'a str,
    pub sha256: &'a str,
    pub size: u64,
    pub collected_at: String,
    pub collected_at_source: TimeSource,
    pub classification: &'a str,
    pub controls: Vec<String>,
    pub mappings: Vec<MappingView>,
    pub stale: bool,
    pub max_age: Option<String>,
    pub expires: Option<String>,
    pub title: Option<&'a str>,
    pub provenance: &'a Provenance,
    pub summary: &'a Summary,
}

#[derive(Debug, Serialize)]
pub struct MappingView {
    pub id: String,
    pub via: Via,
}

pub fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn ids(catalog: &Catalog, keys: impl IntoIterator<Item = ControlKey>) -> Vec<String> {
    keys.into_iter().map(|k| catalog.display_id(k)).collect()
}

impl<'a> CheckReport<'a> {
    /// The report of an assessed workspace.
    pub fn new(assessment: &'a Assessment<'a>) -> CheckReport<'a> {
        let workspace = assessment.workspace;
        let catalog = &workspace.catalog;
        let controls = assessment
            .controls
            .iter()
            .map(|assessed| {
                let control = catalog.control(assessed.control);
                ControlView {
                    id: catalog.display_id(assessed.control),
                    framework: &catalog.framework_of(assessed.control).id,
                    title: &control.title,
                    group: control.group.as_deref(),
                    status: assessed.status,
                    reason: &assessed.reason,
                    policies: assessed
                        .policies
                        .iter()
                        .map(|&i| workspace.policies[i].id.as_str())
                        .collect(),
                    evidence: assessed
                        .evidence
                        .iter()
                        .map(|&i| workspace.evidence[i].path.as_str())
                        .collect(),
                    related: assessed
                        .related
                        .iter()
                        .filter(|r| !r.evidence.is_empty())
                        .map(|r| RelatedView {
                            id: catalog.display_id(r.control),
                            framework: &catalog.framework_of(r.control).id,
                            evidence: r
                                .evidence
                                .iter()
                                .map(|&i| workspace.evidence[i].path.as_str())
                                .collect(),
                        })
                        .collect(),
                }
            })
            .collect();
        let policies = workspace
            .policies
            .iter()
            .zip(&assessment.policies)
            .map(|(policy, review)| policy_view(catalog, policy, review.overdue))
            .collect();
        let evidence = workspace
            .evidence
            .iter()
            .zip(&assessment.evidence_stale)
            .map(|(item, &stale)| evidence_view(catalog, item, stale))
            .collect();
        CheckReport {
            period: Some(&assessment.config.period.name),
            organization: Some(&assessment.config.organization.name),
            commit: workspace.commit.as_deref(),
            controls,
            policies,
            evidence,
            diagnostics: &assessment.diagnostics,
            summary: assessment.summary,
        }
    }

    /// The report of a workspace whose configuration did not load: what
    /// could be read, with the diagnostics that say why nothing was
    /// assessed.
    pub fn unassessed(workspace: &'a Workspace, diagnostics: &'a Diagnostics) -> CheckReport<'a> {
        let catalog = &workspace.catalog;
        CheckReport {
            period: None,
            organization: None,
            commit: workspace.commit.as_deref(),
            controls: Vec::new(),
            policies: workspace
                .policies
                .iter()
                .map(|p| policy_view(catalog, p, false))
                .collect(),
            evidence: workspace
                .evidence
                .iter()
                .map(|e| evidence_view(catalog, e, false))
                .collect(),
            diagnostics,
            summary: StatusCounts::default(),
        }
    }
}

fn policy_view<'a>(catalog: &Catalog, policy: &'a Policy, overdue: bool) -> PolicyView<'a> {
    PolicyView {
        id: &policy.id,
        path: &policy.path,
        title: &policy.title,
        version: &policy.version,
        owner: &policy.owner,
        approved_by: policy.approved_by.as_deref(),
        approved_on: policy.approved_on.map(|d| d.to_string()),
        review_every: policy.review_every.to_string(),
        next_review: policy.next_review.map(|d| d.to_string()),
        overdue,
        classification: policy.classification.as_str(),
        controls: ids(catalog, policy.controls.iter().copied()),
    }
}

fn evidence_view<'a>(catalog: &Catalog, item: &'a Evidence, stale: bool) -> EvidenceView<'a> {
    EvidenceView {
        path: &item.path,
        kind: item.kind.as_str(),
        sha256: &item.sha256,
        size: item.size,
        collected_at: time(item.collected_at),
        collected_at_source: item.collected_at_source,
        classification: item.classification.as_str(),
        controls: ids(catalog, item.control_keys()),
        mappings: item
            .controls
            .iter()
            .map(|m| MappingView {
                id: catalog.display_id(m.control),
                via: m.via,
            })
            .collect(),
        stale,
        max_age: item.max_age.map(|a| a.to_string()),
        expires: item.expires.map(time),
        title: item.title.as_deref(),
        provenance: &item.provenance,
        summary: &item.summary,
    }
}

/// Terminal colours, or none.
#[derive(Debug, Clone, Copy)]
pub struct Painter {
    pub enabled: bool,
}

impl Painter {
    fn paint(self, code: &str, text: &str) -> String {
        if self.enabled {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    pub fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    fn severity(self, severity: Severity) -> String {
        match severity {
            Severity::Error => self.paint("1;31", "error"),
            Severity::Warning => self.paint("1;33", "warning"),
        }
    }

    fn help(self) -> String {
        self.paint("1;36", "help")
    }
}

/// Writes one diagnostic the way compilers do:
/// `file:line:column: warning[code]: message`, then `  help: …` when
/// `with_help`.
pub fn write_diagnostic(
    out: &mut dyn Write,
    diagnostic: &Diagnostic,
    painter: Painter,
    with_help: bool,
) -> io::Result<()> {
    let mut location = String::new();
    if let Some(file) = &diagnostic.file {
        location.push_str(file);
        if let Some(line) = diagnostic.line {
            location.push_str(&format!(":{line}"));
            if let Some(column) = diagnostic.column {
                location.push_str(&format!(":{column}"));
            }
        }
        location.push_str(": ");
    }
    writeln!(
        out,
        "{}{}{}: {}",
        painter.bold(&location),
        painter.severity(diagnostic.severity),
        painter.bold(&format!("[{}]", diagnostic.code)),
        diagnostic.message
    )?;
    if let Some(help) = diagnostic.help.as_ref().filter(|_| with_help) {
        writeln!(out, "  {}: {help}", painter.help())?;
    }
    Ok(())
}

/// How much `write_text` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// Errors only.
    Quiet,
    /// Every diagnostic; each distinct help line of a warning once.
    Normal,
    /// Every diagnostic with its help line.
    Verbose,
}

/// Writes every diagnostic and a closing summary.
pub fn write_text(
    out: &mut dyn Write,
    assessment: Option<&Assessment<'_>>,
    diagnostics: &Diagnostics,
    painter: Painter,
    verbosity: Verbosity,
) -> io::Result<()> {
    let quiet = verbosity == Verbosity::Quiet;
    let mut helped = std::collections::HashSet::new();
    for diagnostic in diagnostics {
        if quiet && diagnostic.severity == Severity::Warning {
            continue;
        }
        // Repeating the same advice under a hundred gaps hides the gaps:
        // each distinct help line of a warning is shown once.
        let with_help = verbosity == Verbosity::Verbose
            || diagnostic.severity == Severity::Error
            || diagnostic
                .help
                .as_ref()
                .is_some_and(|help| helped.insert(help.clone()));
        write_diagnostic(out, diagnostic, painter, with_help)?;
    }
    if !diagnostics.is_empty() && !quiet {
        writeln!(out)?;
    }
    if let Some(assessment) = assessment {
        let catalog = &assessment.workspace.catalog;
        let counts = |c: &StatusCounts| {
            Status::ALL
                .iter()
                .map(|&s| format!("{} {s}", c.get(s)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        writeln!(
            out,
            "{}: {} controls in scope: {}",
            painter.bold(&format!("Period {}", assessment.config.period.name)),
            assessment.summary.total(),
            counts(&assessment.summary)
        )?;
        for (framework, framework_counts) in &assessment.by_framework {
            writeln!(
                out,
                "  {:<22} {}",
                catalog.frameworks()[*framework].short_name,
                counts(framework_counts)
            )?;
        }
        let workspace = assessment.workspace;
        let overdue = assessment.policies.iter().filter(|p| p.overdue).count();
        let stale = assessment.evidence_stale.iter().filter(|&&s| s).count();
        let missed: usize = assessment
            .schedules
            .iter()
            .map(|s| s.missed().count())
            .sum();
        writeln!(
            out,
            "  {} policies ({overdue} overdue for review), {} evidence files ({stale} stale), {missed} missed schedule windows",
            workspace.policies.len(),
            workspace.evidence.len(),
        )?;
    }
    let errors = diagnostics.count(Severity::Error);
    let warnings = diagnostics.count(Severity::Warning);
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("1 {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    writeln!(
        out,
        "{}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )?;
    Ok(())
}
