//! What each template receives: one serializable view per page, built from
//! the assessment. Templates only lay out; every fact is computed here.
//!
//! Every page gets `root` (the relative path from the page to the period
//! folder, e.g. `../../`), `path` (the page's path in the period folder),
//! `site` (organization, period, build stamp, navigation) and `page` (the
//! view below for its template).
//!
//! The changes page is built in [`changes`].
//!
//! The dashboard's charts are built in [`charts`]; each evidence kind's
//! view on its page in [`kinds`].

mod changes;
mod charts;
mod kinds;
mod markup;

use std::collections::HashMap;

use chrono::Days;
use minijinja::Value;
use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};
use rayon::prelude::*;
use serde::Serialize;

pub use changes::{Changes, ChangesLink, PATH as CHANGES};

use super::markdown;
use super::RenderOptions;
use crate::assess::{Assessment, ControlAssessment, Status, StatusCounts};
use crate::catalog::ControlKey;
use crate::evidence::Kind;
use crate::report::time;
use crate::workspace::{Evidence, Provenance, Via};

/// Characters escaped in a path segment of an href.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'\\')
    .add(b'\'');

/// Evidence items of a related control shown on a control's page.
const RELATED_SHOWN: usize = 10;

/// An href for a `/`-separated path relative to the period folder.
pub fn href(path: &str) -> String {
    let mut href = String::with_capacity(path.len() + 8);
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            href.push('/');
        }
        href.extend(utf8_percent_encode(segment, SEGMENT));
    }
    href
}

/// `../` once per folder of `path`.
fn root_of(path: &str) -> String {
    "../".repeat(path.matches('/').count())
}

/// A control id as a file name.
fn file_safe(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[derive(Serialize)]
struct Common<'a> {
    organization: &'a str,
    period: &'a str,
    period_start: String,
    period_end: String,
    built_at: String,
    commit: Option<&'a str>,
    commit_short: Option<&'a str>,
    draft: bool,
    notice: Option<&'a str>,
    audience: Option<&'a super::AudienceView>,
    frameworks: Vec<NavLink<'a>>,
}

#[derive(Serialize)]
struct NavLink<'a> {
    title: &'a str,
    href: String,
}

#[derive(Serialize)]
struct Page<'a, T: Serialize> {
    root: String,
    /// The page's path in the period folder, for the menu of the same page
    /// in other periods.
    path: &'a str,
    title: String,
    site: &'a Common<'a>,
    page: T,
}

/// A control as lists show it.
#[derive(Serialize, Clone)]
struct ControlRef<'a> {
    id: String,
    title: &'a str,
    framework: &'a str,
    status: Status,
    href: String,
}

#[derive(Serialize)]
struct PolicyRef<'a> {
    id: &'a str,
    title: &'a str,
    version: &'a str,
    owner: &'a str,
    next_review: Option<String>,
    overdue: bool,
    href: String,
}

#[derive(Serialize)]
struct EvidenceRef<'a> {
    path: &'a str,
    title: &'a str,
    kind: &'a str,
    collected_at: String,
    stale: bool,
    classification: &'a str,
    size: String,
    href: String,
    /// How this item came to be linked, on control pages.
    via: Option<String>,
}

#[derive(Serialize)]
struct Bar {
    status: Status,
    count: usize,
    /// Left edge and width in percent of the bar.
    x: f64,
    width: f64,
}

#[derive(Serialize)]
struct FrameworkSummary<'a> {
    id: &'a str,
    name: &'a str,
    short_name: &'a str,
    href: String,
    counts: StatusCounts,
    total: usize,
    in_scope: usize,
    covered_percent: u32,
    bars: Vec<Bar>,
}

/// A text file's redacted copy, as its evidence page describes it.
pub struct RawCopy {
    pub text: bool,
    pub redactions: usize,
    /// The first lines of a text file's redacted copy.
    pub preview: Option<String>,
    pub preview_truncated: bool,
}

/// The assessment, indexed for rendering.
pub struct Site<'a> {
    a: &'a Assessment<'a>,
    common: Common<'a>,
    /// Control key -> index in `Assessment::controls`.
    assessed: HashMap<ControlKey, usize>,
}

impl<'a> Site<'a> {
    pub fn new(a: &'a Assessment<'a>, options: &'a RenderOptions) -> Site<'a> {
        let catalog = &a.workspace.catalog;
        let common = Common {
            organization: &a.config.organization.name,
            period: &a.config.period.name,
            period_start: a.config.period.start.to_string(),
            period_end: a.config.period.end.to_string(),
            built_at: time(options.built_at),
            commit: a.workspace.commit.as_deref(),
            commit_short: a.workspace.commit.as_deref().map(|c| &c[..c.len().min(12)]),
            draft: options.draft,
            notice: options.notice.as_deref(),
            audience: options.audience.as_ref(),
            frameworks: a
                .by_framework
                .iter()
                .map(|(f, _)| NavLink {
                    title: &catalog.frameworks()[*f].short_name,
                    href: href(&format!("frameworks/{}.html", catalog.frameworks()[*f].id)),
                })
                .collect(),
        };
        let assessed = a
            .controls
            .iter()
            .enumerate()
            .map(|(i, c)| (c.control, i))
            .collect();
        Site {
            a,
            common,
            assessed,
        }
    }

    fn page<T: Serialize>(&self, path: &str, title: String, page: T) -> Value {
        Value::from_serialize(Page {
            root: root_of(path),
            path,
            title,
            site: &self.common,
            page,
        })
    }

    // ---- paths -----------------------------------------------------------

    pub fn frameworks(&self) -> impl Iterator<Item = usize> + '_ {
        self.a.by_framework.iter().map(|(f, _)| *f)
    }

    pub fn framework_path(&self, framework: usize) -> String {
        format!(
            "frameworks/{}.html",
            self.a.workspace.catalog.frameworks()[framework].id
        )
    }

    fn key_path(&self, key: ControlKey) -> String {
        let catalog = &self.a.workspace.catalog;
        format!(
            "controls/{}/{}.html",
            catalog.framework_of(key).id,
            file_safe(&catalog.control(key).id)
        )
    }

    pub fn control_path(&self, index: usize) -> String {
        self.key_path(self.a.controls[index].control)
    }

    pub fn policy_path(&self, index: usize) -> String {
        format!("policies/{}.html", self.a.workspace.policies[index].id)
    }

    fn evidence_stem(item: &Evidence) -> &str {
        item.path.strip_prefix("evidence/").unwrap_or(&item.path)
    }

    pub fn evidence_path(&self, index: usize) -> String {
        format!(
            "evidence/{}.html",
            Self::evidence_stem(&self.a.workspace.evidence[index])
        )
    }

    pub fn raw_path(&self, index: usize) -> String {
        format!(
            "raw/{}",
            Self::evidence_stem(&self.a.workspace.evidence[index])
        )
    }

    // ---- references ------------------------------------------------------

    fn control_ref(&self, key: ControlKey) -> ControlRef<'a> {
        let catalog = &self.a.workspace.catalog;
        let status = self
            .assessed
            .get(&key)
            .map_or(Status::Excluded, |&i| self.a.controls[i].status);
        ControlRef {
            id: catalog.display_id(key),
            title: &catalog.control(key).title,
            framework: &catalog.framework_of(key).short_name,
            status,
            // Controls out of scope have no page; link the framework.
            href: if self.assessed.contains_key(&key) {
                href(&self.key_path(key))
            } else {
                href(&self.framework_path(key.framework_index()))
            },
        }
    }

    fn policy_ref(&self, index: usize) -> PolicyRef<'a> {
        let policy = &self.a.workspace.policies[index];
        let review = self.a.policies[index];
        PolicyRef {
            id: &policy.id,
            title: &policy.title,
            version: &policy.version,
            owner: &policy.owner,
            next_review: review.next_review.map(|d| d.to_string()),
            overdue: review.overdue,
            href: href(&self.policy_path(index)),
        }
    }

    fn evidence_ref(&self, index: usize, via: Option<String>) -> EvidenceRef<'a> {
        let item = &self.a.workspace.evidence[index];
        EvidenceRef {
            path: &item.path,
            title: item.title.as_deref().unwrap_or(Self::evidence_stem(item)),
            kind: item.kind.label(),
            collected_at: item.collected_at.date_naive().to_string(),
            stale: self.a.evidence_stale[index],
            classification: item.classification.as_str(),
            size: human_size(item.size),
            href: href(&self.evidence_path(index)),
            via,
        }
    }

    /// Evidence indices, most recently collected first.
    fn newest_first(&self, evidence: &[usize]) -> Vec<usize> {
        let mut sorted = evidence.to_vec();
        sorted.sort_by_key(|&i| std::cmp::Reverse(self.a.workspace.evidence[i].collected_at));
        sorted
    }

    fn via_text(&self, via: Via, kind: Kind) -> String {
        match via {
            Via::KindDefault => format!("default for {} evidence", kind.label()),
            Via::Rule { line } => format!("rule at auditbook.toml:{line}"),
            Via::FrontMatter => "its front matter".to_string(),
            Via::Sidecar => "its sidecar".to_string(),
        }
    }

    // ---- pages -----------------------------------------------------------

    fn framework_summary(&self, framework: usize, counts: StatusCounts) -> FrameworkSummary<'a> {
        let f = &self.a.workspace.catalog.frameworks()[framework];
        let total = counts.total();
        let in_scope = total - counts.excluded;
        let mut x = 0.0;
        let bars = Status::ALL
            .iter()
            .filter(|&&s| counts.get(s) > 0)
            .map(|&status| {
                let width = 100.0 * counts.get(status) as f64 / total.max(1) as f64;
                let bar = Bar {
                    status,
                    count: counts.get(status),
                    x,
                    width,
                };
                x += width;
                bar
            })
            .collect();
        FrameworkSummary {
            id: &f.id,
            name: &f.name,
            short_name: &f.short_name,
            href: href(&self.framework_path(framework)),
            counts,
            total,
            in_scope,
            covered_percent: (100 * counts.covered / in_scope.max(1)) as u32,
            bars,
        }
    }

    /// The dashboard; `changes` links the page of changes since the
    /// previous period, when there is one.
    pub fn dashboard(&self, changes: Option<ChangesLink<'_>>) -> Value {
        #[derive(Serialize)]
        struct Gap<'a> {
            control: ControlRef<'a>,
            reason: &'a str,
        }
        #[derive(Serialize)]
        struct Missed<'a> {
            name: &'a str,
            start: String,
            end: String,
            pattern: &'a str,
        }
        #[derive(Serialize)]
        struct ScheduleView<'a> {
            name: &'a str,
            every: String,
            pattern: &'a str,
            met: usize,
            windows: Vec<WindowView>,
        }
        #[derive(Serialize)]
        struct WindowView {
            start: String,
            end: String,
            count: usize,
            /// `met`, `missed` or `pending`.
            state: &'static str,
        }
        #[derive(Serialize)]
        struct Dashboard<'a, 'c> {
            changes: Option<ChangesLink<'c>>,
            frameworks: Vec<FrameworkSummary<'a>>,
            summary: StatusCounts,
            gaps: Vec<Gap<'a>>,
            stale: Vec<Gap<'a>>,
            overdue: Vec<PolicyRef<'a>>,
            upcoming: Vec<PolicyRef<'a>>,
            missed: Vec<Missed<'a>>,
            schedules: Vec<ScheduleView<'a>>,
            policies: usize,
            evidence: usize,
            stale_evidence: usize,
            evidence_bytes: String,
            /// Findings over time, drills, metrics, acknowledgements: each
            /// present when the workspace has such evidence.
            charts: Vec<markup::ChartView>,
            /// Figures from `collect github` evidence (empty without it).
            github: Vec<kinds::Figure>,
        }
        let a = self.a;
        let gaps_of = |wanted: &[Status]| -> Vec<Gap<'a>> {
            a.controls
                .iter()
                .filter(|c| wanted.contains(&c.status))
                .map(|c| Gap {
                    control: self.control_ref(c.control),
                    reason: &c.reason,
                })
                .collect()
        };
        let horizon = a
            .config
            .period
            .end
            .checked_add_days(Days::new(90))
            .unwrap_or(a.config.period.end);
        let mut upcoming: Vec<usize> = (0..a.workspace.policies.len())
            .filter(|&i| {
                !a.policies[i].overdue && a.policies[i].next_review.is_some_and(|d| d <= horizon)
            })
            .collect();
        upcoming.sort_by_key(|&i| a.policies[i].next_review);
        let dashboard = Dashboard {
            changes,
            frameworks: a
                .by_framework
                .iter()
                .map(|(f, counts)| self.framework_summary(*f, *counts))
                .collect(),
            summary: a.summary,
            gaps: gaps_of(&[Status::Missing, Status::Partial]),
            stale: gaps_of(&[Status::Stale]),
            overdue: (0..a.workspace.policies.len())
                .filter(|&i| a.policies[i].overdue)
                .map(|i| self.policy_ref(i))
                .collect(),
            upcoming: upcoming.into_iter().map(|i| self.policy_ref(i)).collect(),
            missed: a
                .schedules
                .iter()
                .flat_map(|result| {
                    let schedule = &a.config.schedules[result.schedule];
                    result.missed().map(move |w| Missed {
                        name: &schedule.name,
                        start: w.start.to_string(),
                        end: w.end.to_string(),
                        pattern: &schedule.pattern,
                    })
                })
                .collect(),
            schedules: a
                .schedules
                .iter()
                .map(|result| {
                    let schedule = &a.config.schedules[result.schedule];
                    ScheduleView {
                        name: &schedule.name,
                        every: schedule.every.to_string(),
                        pattern: &schedule.pattern,
                        met: result
                            .windows
                            .iter()
                            .filter(|w| !w.occurrences.is_empty())
                            .count(),
                        windows: result
                            .windows
                            .iter()
                            .map(|w| WindowView {
                                start: w.start.to_string(),
                                end: w.end.to_string(),
                                count: w.occurrences.len(),
                                state: match (w.occurrences.is_empty(), w.pending) {
                                    (false, _) => "met",
                                    (true, true) => "pending",
                                    (true, false) => "missed",
                                },
                            })
                            .collect(),
                    }
                })
                .collect(),
            policies: a.workspace.policies.len(),
            evidence: a.workspace.evidence.len(),
            stale_evidence: a.evidence_stale.iter().filter(|&&s| s).count(),
            evidence_bytes: human_size(a.workspace.evidence.iter().map(|e| e.size).sum()),
            charts: self
                .charts()
                .into_iter()
                // The dashboard is at the top of the period folder.
                .map(|c| c.into_view(""))
                .collect(),
            github: self.github_figures(),
        };
        self.page(
            "index.html",
            format!("{} — {}", a.config.organization.name, a.config.period.name),
            dashboard,
        )
    }

    pub fn framework(&self, framework: usize) -> Value {
        #[derive(Serialize)]
        struct GroupView<'a> {
            id: &'a str,
            title: &'a str,
            controls: Vec<Row<'a>>,
        }
        #[derive(Serialize)]
        struct Row<'a> {
            control: ControlRef<'a>,
            policies: usize,
            evidence: usize,
            reason: &'a str,
        }
        #[derive(Serialize)]
        struct FrameworkPage<'a> {
            summary: FrameworkSummary<'a>,
            description: Option<&'a str>,
            version: Option<&'a str>,
            source: Option<&'a str>,
            groups: Vec<GroupView<'a>>,
        }
        let f = &self.a.workspace.catalog.frameworks()[framework];
        let counts = self
            .a
            .by_framework
            .iter()
            .find(|(i, _)| *i == framework)
            .map(|(_, c)| *c)
            .unwrap_or_default();
        let rows: Vec<(&Option<String>, Row<'a>)> = self
            .a
            .controls
            .iter()
            .filter(|c| c.control.framework_index() == framework)
            .map(|c: &'a ControlAssessment| {
                (
                    &self.a.workspace.catalog.control(c.control).group,
                    Row {
                        control: self.control_ref(c.control),
                        policies: c.policies.len(),
                        evidence: c.evidence.len(),
                        reason: &c.reason,
                    },
                )
            })
            .collect();
        let mut groups: Vec<GroupView<'a>> = f
            .groups
            .iter()
            .map(|g| GroupView {
                id: &g.id,
                title: &g.title,
                controls: Vec::new(),
            })
            .collect();
        let mut ungrouped = Vec::new();
        for (group, row) in rows {
            match groups.iter_mut().find(|g| Some(g.id) == group.as_deref()) {
                Some(g) => g.controls.push(row),
                None => ungrouped.push(row),
            }
        }
        if !ungrouped.is_empty() {
            groups.push(GroupView {
                id: "other",
                title: "Other controls",
                controls: ungrouped,
            });
        }
        groups.retain(|g| !g.controls.is_empty());
        let page = FrameworkPage {
            summary: self.framework_summary(framework, counts),
            description: f.description.as_deref(),
            version: f.version.as_deref(),
            source: f.file.as_deref(),
            groups,
        };
        self.page(&self.framework_path(framework), f.name.clone(), page)
    }

    pub fn control(&self, index: usize) -> Value {
        #[derive(Serialize)]
        struct RelatedView<'a> {
            control: ControlRef<'a>,
            source: &'a str,
            /// The newest few; the related control's page lists them all.
            evidence: Vec<EvidenceRef<'a>>,
            evidence_total: usize,
        }
        #[derive(Serialize)]
        struct ScheduleRef<'a> {
            name: &'a str,
            every: String,
            met: usize,
            windows: usize,
        }
        #[derive(Serialize)]
        struct ControlPage<'a> {
            control: ControlRef<'a>,
            description: &'a str,
            group: Option<&'a str>,
            framework_name: &'a str,
            framework_href: String,
            reason: &'a str,
            policies: Vec<PolicyRef<'a>>,
            evidence: Vec<EvidenceRef<'a>>,
            related: Vec<RelatedView<'a>>,
            schedules: Vec<ScheduleRef<'a>>,
        }
        let a = self.a;
        let assessed = &a.controls[index];
        let catalog = &a.workspace.catalog;
        let control = catalog.control(assessed.control);
        let framework = catalog.framework_of(assessed.control);
        let group = control
            .group
            .as_ref()
            .and_then(|g| framework.groups.iter().find(|fg| &fg.id == g))
            .map(|g| g.title.as_str());
        let page = ControlPage {
            control: self.control_ref(assessed.control),
            description: &control.description,
            group,
            framework_name: &framework.name,
            framework_href: href(&self.framework_path(assessed.control.framework_index())),
            reason: &assessed.reason,
            policies: assessed
                .policies
                .iter()
                .map(|&i| self.policy_ref(i))
                .collect(),
            evidence: self
                .newest_first(&assessed.evidence)
                .into_iter()
                .map(|i| {
                    let via = a.workspace.evidence[i]
                        .controls
                        .iter()
                        .find(|m| m.control == assessed.control)
                        .map(|m| self.via_text(m.via, a.workspace.evidence[i].kind));
                    self.evidence_ref(i, via)
                })
                .collect(),
            related: assessed
                .related
                .iter()
                .map(|r| RelatedView {
                    control: self.control_ref(r.control),
                    source: &r.source,
                    evidence: self
                        .newest_first(&r.evidence)
                        .into_iter()
                        .take(RELATED_SHOWN)
                        .map(|i| self.evidence_ref(i, None))
                        .collect(),
                    evidence_total: r.evidence.len(),
                })
                .collect(),
            schedules: a
                .schedules
                .iter()
                .filter(|s| {
                    a.config.schedules[s.schedule]
                        .controls
                        .contains(&assessed.control)
                })
                .map(|s| ScheduleRef {
                    name: &a.config.schedules[s.schedule].name,
                    every: a.config.schedules[s.schedule].every.to_string(),
                    met: s
                        .windows
                        .iter()
                        .filter(|w| !w.occurrences.is_empty())
                        .count(),
                    windows: s.windows.len(),
                })
                .collect(),
        };
        let title = format!("{} {}", catalog.display_id(assessed.control), control.title);
        self.page(&self.control_path(index), title, page)
    }

    pub fn policy(&self, index: usize) -> Value {
        #[derive(Serialize)]
        struct PolicyPage<'a> {
            policy: PolicyRef<'a>,
            path: &'a str,
            approved_by: Option<&'a str>,
            approved_on: Option<String>,
            review_every: String,
            classification: &'a str,
            description: Option<&'a str>,
            controls: Vec<ControlRef<'a>>,
            body: String,
            /// Who acknowledged the current version, when the workspace
            /// has acknowledgement records.
            acknowledgement: Option<AckView>,
        }
        #[derive(Serialize)]
        struct AckView {
            version: String,
            acknowledged: usize,
            people: usize,
            percent: u32,
            other_version: usize,
        }
        let policy = &self.a.workspace.policies[index];
        let page = PolicyPage {
            policy: self.policy_ref(index),
            path: &policy.path,
            approved_by: policy.approved_by.as_deref(),
            approved_on: policy.approved_on.map(|d| d.to_string()),
            review_every: policy.review_every.to_string(),
            classification: policy.classification.as_str(),
            description: policy.description.as_deref(),
            controls: policy
                .controls
                .iter()
                .map(|&k| self.control_ref(k))
                .collect(),
            body: markdown::to_html(&policy.body),
            acknowledgement: self
                .a
                .acknowledgements
                .iter()
                .find(|ack| ack.policy == index)
                .map(|ack| AckView {
                    version: ack.version.clone(),
                    acknowledged: ack.acknowledged,
                    people: ack.people,
                    percent: ack.percent(),
                    other_version: ack.other_version,
                }),
        };
        self.page(&self.policy_path(index), policy.title.clone(), page)
    }

    /// The page of what changed since the previous period.
    pub fn changes(&self, changes: &Changes<'_>) -> Value {
        self.page(
            CHANGES,
            format!("Changes since {}", changes.previous),
            changes,
        )
    }

    pub fn policy_list(&self) -> Value {
        let policies: Vec<PolicyRef<'a>> = (0..self.a.workspace.policies.len())
            .map(|i| self.policy_ref(i))
            .collect();
        self.page("policies.html", "Policies".to_string(), policies)
    }

    pub fn evidence_list(&self) -> Value {
        let evidence: Vec<EvidenceRef<'a>> = (0..self.a.workspace.evidence.len())
            .map(|i| self.evidence_ref(i, None))
            .collect();
        self.page("evidence.html", "Evidence".to_string(), evidence)
    }

    /// The page of evidence item `index`, whose redacted copy is `copy`.
    pub fn evidence(&self, index: usize, copy: &RawCopy) -> anyhow::Result<Value> {
        #[derive(Serialize)]
        struct Mapping<'a> {
            control: ControlRef<'a>,
            via: String,
            /// From the kind's default controls.
            default: bool,
        }
        #[derive(Serialize)]
        struct DefaultControl<'a> {
            id: String,
            title: &'a str,
            href: String,
        }
        #[derive(Serialize)]
        struct EvidencePage<'a> {
            item: EvidenceRef<'a>,
            description: Option<&'a str>,
            kind_id: &'a str,
            sha256: &'a str,
            size_bytes: u64,
            collected_at: String,
            collected_at_source: &'a str,
            provenance: String,
            max_age: Option<String>,
            expires: Option<String>,
            mappings: Vec<Mapping<'a>>,
            /// The kind's row of the default-controls table.
            default_controls: Vec<DefaultControl<'a>>,
            /// Whether those defaults are this item's mappings, or were
            /// replaced (by `replaced_by`).
            defaults_applied: bool,
            replaced_by: Option<String>,
            /// The kind's own view; `summary` holds generic rows for kinds
            /// without one.
            view: Option<kinds::KindView<'a>>,
            summary: Vec<(String, String)>,
            raw_href: String,
            file_name: &'a str,
            text: bool,
            redactions: usize,
            preview: Option<String>,
            /// The preview split around `[REDACTED:…]` markers.
            preview_segments: Vec<kinds::Segment>,
            preview_truncated: bool,
        }
        let item = &self.a.workspace.evidence[index];
        let raw = self.raw_path(index);
        let (preview, preview_truncated) = (copy.preview.clone(), copy.preview_truncated);
        // Decoded for this page only (see `LazyDetails::with`).
        item.details.with(|details| {
            let view = self.kind_view(index, details);
            let has_view = view.is_some();
            let page = EvidencePage {
                item: self.evidence_ref(index, None),
                description: item.description.as_deref(),
                kind_id: item.kind.as_str(),
                sha256: &item.sha256,
                size_bytes: item.size,
                collected_at: time(item.collected_at),
                collected_at_source: match item.collected_at_source {
                    crate::workspace::TimeSource::Sidecar => "its sidecar",
                    crate::workspace::TimeSource::FrontMatter => "its front matter",
                    crate::workspace::TimeSource::Content => "the time recorded in the file",
                    crate::workspace::TimeSource::GitCommit => "the git commit that added it",
                    crate::workspace::TimeSource::FileModified => "the file's modification time",
                },
                provenance: match &item.provenance {
                    Provenance::Stated { source } => source.clone(),
                    Provenance::Git {
                        commit,
                        author,
                        time,
                    } => {
                        format!(
                            "Added by hand by {author} in commit {} on {}",
                            &commit[..commit.len().min(12)],
                            time.date_naive()
                        )
                    }
                    Provenance::Untracked => "Not committed to git".to_string(),
                },
                max_age: item.max_age.map(|m| m.to_string()),
                expires: item.expires.map(|e| e.date_naive().to_string()),
                mappings: item
                    .controls
                    .iter()
                    .map(|m| Mapping {
                        control: self.control_ref(m.control),
                        via: self.via_text(m.via, item.kind),
                        default: m.via == Via::KindDefault,
                    })
                    .collect(),
                default_controls: item
                    .kind
                    .default_controls()
                    .iter()
                    .filter_map(|id| self.a.workspace.catalog.resolve(id).ok())
                    .map(|key| {
                        let control = self.control_ref(key);
                        DefaultControl {
                            id: control.id,
                            title: control.title,
                            href: control.href,
                        }
                    })
                    .collect(),
                defaults_applied: item.controls.iter().any(|m| m.via == Via::KindDefault),
                replaced_by: item
                    .controls
                    .iter()
                    .find(|m| m.via != Via::KindDefault)
                    .map(|m| self.via_text(m.via, item.kind)),
                view,
                summary: if has_view {
                    Vec::new()
                } else {
                    summary_rows(&item.summary)
                },
                raw_href: format!("{}{}", root_of(&self.evidence_path(index)), href(&raw)),
                file_name: item.path.rsplit('/').next().unwrap_or(&item.path),
                text: copy.text,
                redactions: copy.redactions,
                preview_segments: preview.as_deref().map(kinds::segments).unwrap_or_default(),
                preview,
                preview_truncated,
            };
            let title = item.title.clone().unwrap_or_else(|| item.path.clone());
            Ok(self.page(&self.evidence_path(index), title, page))
        })
    }

    /// The search index's part of controls (see `SEARCH_PARTS`).
    pub fn search_controls_js(&self) -> String {
        let catalog = &self.a.workspace.catalog;
        let entries: Vec<[String; 4]> = self
            .a
            .controls
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let control = catalog.control(c.control);
                [
                    "control".into(),
                    format!("{} {}", catalog.display_id(c.control), control.title),
                    href(&self.control_path(i)),
                    control.description.clone(),
                ]
            })
            .collect();
        index_js("controls", &entries)
    }

    /// The search index's part `shard` (see [`policy_shards`]), which
    /// holds the policies at `indices`.
    pub fn search_policies_js(&self, shard: usize, indices: &[usize]) -> String {
        let policies = &self.a.workspace.policies;
        let entries: Vec<[String; 4]> = indices
            .par_iter()
            .map(|&i| {
                let p = &policies[i];
                [
                    "policy".into(),
                    p.title.clone(),
                    href(&self.policy_path(i)),
                    format!(
                        "{} {} {}",
                        p.id,
                        p.description.as_deref().unwrap_or(""),
                        markdown::to_text(&p.body)
                    ),
                ]
            })
            .collect();
        index_js(&format!("policies-{shard:02}"), &entries)
    }

    /// The search index's part of evidence.
    pub fn search_evidence_js(&self) -> String {
        let entries: Vec<[String; 4]> = self
            .a
            .workspace
            .evidence
            .par_iter()
            .enumerate()
            .map(|(i, e)| {
                [
                    "evidence".into(),
                    e.title.clone().unwrap_or_else(|| e.path.clone()),
                    href(&self.evidence_path(i)),
                    format!(
                        "{} {} {}",
                        e.path,
                        e.kind.label(),
                        e.description.as_deref().unwrap_or("")
                    ),
                ]
            })
            .collect();
        index_js("evidence", &entries)
    }
}

/// Policies are spread over this many parts of the search index, so that
/// editing one policy rewrites a sixteenth of their text. `app.js` names
/// every part: keep the two in step.
pub const POLICY_SHARDS: usize = 16;

/// For each part of the search index, the indices of the policies it
/// holds, in order. A policy's part comes from a hash of its id: stable
/// whatever other policies come and go.
pub fn policy_shards(policies: &[crate::workspace::Policy]) -> [Vec<usize>; POLICY_SHARDS] {
    use sha2::{Digest as _, Sha256};
    let mut shards: [Vec<usize>; POLICY_SHARDS] = Default::default();
    for (i, policy) in policies.iter().enumerate() {
        let shard = usize::from(Sha256::digest(policy.id.as_bytes())[0]) % POLICY_SHARDS;
        shards[shard].push(i);
    }
    shards
}

/// One part of the search index, as a script:
/// `window.AUDITBOOK_INDEX_PARTS["<part>"] = [[kind, title, href, text], …];`
/// (`app.js` joins the parts). `</script>` cannot occur in a separate
/// file's JSON, but `<!--` and line separators are escaped anyway so the
/// file is safe as JS.
fn index_js(part: &str, entries: &[[String; 4]]) -> String {
    let json = super::json_array(entries);
    let mut js = String::with_capacity(json.len() + 128);
    js.push_str("window.AUDITBOOK_INDEX_PARTS = window.AUDITBOOK_INDEX_PARTS || {};\n");
    js.push_str("window.AUDITBOOK_INDEX_PARTS[\"");
    js.push_str(part);
    js.push_str("\"] = ");
    super::push_js_escaped(&mut js, &json);
    js.push_str(";\n");
    js
}

/// A summary as label/value rows for the evidence page.
fn summary_rows(summary: &crate::evidence::Summary) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    if let Ok(serde_json::Value::Object(map)) = serde_json::to_value(summary) {
        flatten(&mut rows, "", &serde_json::Value::Object(map));
    }
    rows
}

fn flatten(rows: &mut Vec<(String, String)>, prefix: &str, value: &serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map {
                let label = if prefix.is_empty() {
                    key.replace('_', " ")
                } else {
                    format!("{prefix} {}", key.replace('_', " "))
                };
                flatten(rows, &label, value);
            }
        }
        serde_json::Value::Array(items) if items.iter().all(|i| !i.is_object()) => rows.push((
            prefix.to_string(),
            items
                .iter()
                .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(", "),
        )),
        serde_json::Value::Array(items) => {
            rows.push((prefix.to_string(), format!("{} entries", items.len())))
        }
        serde_json::Value::String(s) => rows.push((prefix.to_string(), s.clone())),
        serde_json::Value::Null => rows.push((prefix.to_string(), "—".to_string())),
        other => rows.push((prefix.to_string(), other.to_string())),
    }
}
