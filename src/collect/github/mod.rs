//! `collect github`: six evidence files per repository of `[sources.github]`
//! (branch protection and rulesets, reviewed changes, CI runs and
//! deployments, security alerts, commit verification, access), each with
//! its provenance, written atomically as soon as its part is complete.
//!
//! A part that fails (after [`http`]'s retries) leaves its earlier file as
//! it was; the run goes on with the other parts and ends by naming every
//! part that is missing.

pub mod api;
pub mod http;
pub mod parts;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::{GithubSource, Period};
use http::{ApiError, Calls, Client, RateLimit};
use parts::{Repo, Window};

/// The parts, in the order they are collected, with their evidence kind.
pub const PARTS: [(&str, &str); 6] = [
    ("protection", "github-protection"),
    ("changes", "github-changes"),
    ("ci", "github-ci"),
    ("alerts", "github-alerts"),
    ("commits", "github-commits"),
    ("access", "github-access"),
];

#[derive(Serialize)]
struct PeriodView<'a> {
    name: &'a str,
    start: String,
    end: String,
}

#[derive(Serialize)]
struct RepositoryView<'a> {
    full_name: String,
    name: &'a str,
    default_branch: &'a str,
    html_url: Option<&'a str>,
}

#[derive(Serialize)]
struct Provenance<'a> {
    collector: &'static str,
    auditbook_version: &'static str,
    api_url: &'a str,
    /// The endpoints this file's part called, as GitHub's REST
    /// description names them.
    endpoints: Vec<String>,
    requests: u64,
    retries: u64,
    /// The rate limit as GitHub reported it after the part's last request.
    rate_limit: RateLimit,
}

/// The head of every evidence file; the part's own fields follow it.
#[derive(Serialize)]
struct File<'a> {
    generator: String,
    kind: &'static str,
    collected_at: String,
    period: PeriodView<'a>,
    repository: RepositoryView<'a>,
    provenance: Provenance<'a>,
}

/// What the run did with one part.
pub struct Outcome {
    pub repository: String,
    pub part: &'static str,
    pub result: Result<(PathBuf, String), String>,
}

/// What a run reports.
pub struct Report {
    pub outcomes: Vec<Outcome>,
    pub requests: u64,
    /// Set when the repository list itself could not be read.
    pub listing_error: Option<String>,
}

impl Report {
    pub fn missing(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| o.result.is_err())
    }
}

/// Options of one run.
pub struct Run<'a> {
    pub workspace: &'a Path,
    pub source: &'a GithubSource,
    pub period: &'a Period,
    pub collected_at: chrono::DateTime<chrono::Utc>,
    pub client: &'a Client,
    /// Shows where the run is (a progress bar's message).
    pub progress: &'a dyn Fn(&str),
    /// Told after each part ends (a progress bar's tick).
    pub finished: &'a dyn Fn(&Outcome),
    /// Told the number of parts once the repositories are known.
    pub planned: &'a dyn Fn(u64),
}

/// Collects every part of every repository.
pub fn collect(run: &Run<'_>) -> Report {
    let mut listing = Calls::default();
    let repos = match repositories(run, &mut listing) {
        Ok(repos) => repos,
        Err(e) => {
            return Report {
                outcomes: Vec::new(),
                requests: run.client.requests(),
                listing_error: Some(e.to_string()),
            }
        }
    };
    (run.planned)((repos.len() * PARTS.len()) as u64);
    let window = Window::new(run.period.start, run.period.end);
    let mut outcomes = Vec::new();
    for repo in &repos {
        let branch = repo.default_branch.clone().unwrap_or_else(|| "main".into());
        let target = Repo {
            org: &run.source.org,
            name: &repo.name,
            branch: &branch,
        };
        for (part, kind) in PARTS {
            (run.progress)(&format!("{}/{}: {part}", run.source.org, repo.name));
            let mut calls = Calls::default();
            let result = collect_part(run, &target, repo, part, kind, window, &mut calls);
            let outcome = Outcome {
                repository: format!("{}/{}", run.source.org, repo.name),
                part,
                result: result.map_err(|e| format!("{e:#}")),
            };
            (run.finished)(&outcome);
            outcomes.push(outcome);
        }
    }
    Report {
        outcomes,
        requests: run.client.requests(),
        listing_error: None,
    }
}

/// The repositories `repos` names, or every non-archived one for `["*"]`.
fn repositories(run: &Run<'_>, calls: &mut Calls) -> Result<Vec<api::Repository>, ApiError> {
    let org = run.source.org.as_str();
    let client = run.client;
    if run.source.repos.iter().any(|r| r == "*") {
        (run.progress)(&format!("listing the repositories of {org}"));
        let mut list = client.get_all::<api::Repository, Vec<api::Repository>>(
            calls,
            "/orgs/{org}/repos",
            &format!("/orgs/{}/repos?type=all&per_page=100", parts::encode(org)),
            |page| page,
            |_| true,
        )?;
        list.retain(|r| !r.archived);
        list.sort_by(|a, b| a.name.cmp(&b.name));
        list.dedup_by(|a, b| a.name == b.name);
        return Ok(list);
    }
    let mut list = Vec::new();
    for name in &run.source.repos {
        (run.progress)(&format!("{org}/{name}: repository"));
        list.push(client.get::<api::Repository>(
            calls,
            "/repos/{owner}/{repo}",
            &format!("/repos/{}/{}", parts::encode(org), parts::encode(name)),
        )?);
    }
    Ok(list)
}

/// Where a part's evidence goes: `evidence/github/<repo>/<part>-<period>.json`.
pub fn evidence_path(repo: &str, part: &str, period: &Period) -> PathBuf {
    Path::new("evidence")
        .join("github")
        .join(safe_name(repo))
        .join(format!("{part}-{}.json", safe_name(&period.name)))
}

fn safe_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_string()
}

fn collect_part(
    run: &Run<'_>,
    target: &Repo<'_>,
    repo: &api::Repository,
    part: &'static str,
    kind: &'static str,
    window: Window,
    calls: &mut Calls,
) -> anyhow::Result<(PathBuf, String)> {
    let client = run.client;
    let progress = |what: &str| {
        (run.progress)(&format!("{}/{}: {part}: {what}", target.org, target.name));
    };
    let written = |calls: &Calls,
                   body: &dyn erased::Body,
                   line: String|
     -> anyhow::Result<(PathBuf, String)> {
        write_part(run, target, repo, kind, part, calls, body).map(|path| (path, line))
    };
    match part {
        "protection" => {
            let (summary, protection) = parts::protection(client, calls, target)?;
            let line = format!(
                "{}: {} required review(s), signed commits {}, Scorecard tier {}",
                summary.branch,
                summary.required_reviews,
                if summary.signed_commits_required {
                    "required"
                } else {
                    "not required"
                },
                summary.scorecard_tier
            );
            #[derive(Serialize)]
            struct Body {
                summary: parts::ProtectionSummary,
                protection: parts::ProtectionDetails,
            }
            written(
                calls,
                &Body {
                    summary,
                    protection,
                },
                line,
            )
        }
        "changes" => {
            let (summary, exceptions) = parts::changes(client, calls, target, window, &progress)?;
            let line = format!(
                "{} merged, {} reviewed, {} approved after merge, {} unreviewed, {} self-merged",
                summary.merged,
                summary.reviewed,
                summary.approved_after_merge,
                summary.unreviewed,
                summary.self_merged
            );
            #[derive(Serialize)]
            struct Body {
                summary: parts::ChangesSummary,
                exceptions: Vec<parts::ChangeException>,
            }
            written(
                calls,
                &Body {
                    summary,
                    exceptions,
                },
                line,
            )
        }
        "ci" => {
            let (summary, workflows, environments) = parts::ci(client, calls, target, window)?;
            let line = format!(
                "{} runs ({} success, {} failure, {} cancelled), {} deployments{}",
                summary.counts.runs,
                summary.counts.success,
                summary.counts.failure,
                summary.counts.cancelled,
                summary.deployments,
                if summary.complete {
                    ""
                } else {
                    "; GitHub listed fewer runs than it counted (at most 1,000 per month)"
                }
            );
            #[derive(Serialize)]
            struct Body {
                summary: parts::CiSummary,
                workflows: Vec<parts::WorkflowRow>,
                environments: Vec<parts::EnvironmentRow>,
            }
            written(
                calls,
                &Body {
                    summary,
                    workflows,
                    environments,
                },
                line,
            )
        }
        "alerts" => {
            let (summary, features, open_alerts) = parts::alerts(client, calls, target, window)?;
            let line = format!(
                "open {} critical, {} high, {} medium, {} low; {} fixed, {} dismissed{}",
                summary.open.critical,
                summary.open.high,
                summary.open.medium,
                summary.open.low,
                summary.fixed,
                summary.dismissed,
                if summary.unavailable.is_empty() {
                    String::new()
                } else {
                    format!("; not available: {}", summary.unavailable.join(", "))
                }
            );
            #[derive(Serialize)]
            struct Body {
                summary: parts::AlertsSummary,
                features: Vec<parts::Feature>,
                open_alerts: Vec<parts::OpenAlert>,
            }
            written(
                calls,
                &Body {
                    summary,
                    features,
                    open_alerts,
                },
                line,
            )
        }
        "commits" => {
            let rows = parts::commits(client, calls, target, window)?;
            let git_cross_check = git_evidence(run.workspace, run.source, repo, run.period)
                .map(|(file, unverified)| parts::cross_check(file, &rows, &unverified));
            let verified = rows.iter().filter(|r| r.verified).count() as u64;
            let summary = parts::CommitsSummary {
                commits: rows.len() as u64,
                verified,
                unverified: rows.len() as u64 - verified,
                disagree_with_git: git_cross_check.as_ref().map(|c| c.disagree),
            };
            let line = format!(
                "{} commits on {}, {} verified{}",
                summary.commits,
                target.branch,
                summary.verified,
                match &git_cross_check {
                    Some(c) => format!("; {} disagree with {}", c.disagree, c.file),
                    None => String::new(),
                }
            );
            #[derive(Serialize)]
            struct Body<'r> {
                summary: parts::CommitsSummary,
                unverified: Vec<&'r parts::CommitRow>,
                git_cross_check: Option<parts::GitCrossCheck>,
            }
            written(
                calls,
                &Body {
                    summary,
                    unverified: rows.iter().filter(|r| !r.verified).collect(),
                    git_cross_check,
                },
                line,
            )
        }
        "access" => {
            let (summary, collaborators, teams) = parts::access(client, calls, target)?;
            let line = format!(
                "{} collaborators, {} admins, {} teams",
                summary.collaborators, summary.admins, summary.teams
            );
            #[derive(Serialize)]
            struct Body {
                summary: parts::AccessSummary,
                collaborators: Vec<parts::PersonRow>,
                teams: Vec<parts::TeamRow>,
            }
            written(
                calls,
                &Body {
                    summary,
                    collaborators,
                    teams,
                },
                line,
            )
        }
        other => anyhow::bail!("unknown part {other}"),
    }
}

/// Object-safe serialization, so each part can hand its own body type to
/// one writer.
mod erased {
    pub trait Body {
        fn to_json(&self, head: &super::File<'_>) -> serde_json::Result<Vec<u8>>;
    }
}

impl<T: Serialize> erased::Body for T {
    fn to_json(&self, head: &File<'_>) -> serde_json::Result<Vec<u8>> {
        #[derive(Serialize)]
        struct Whole<'a, 'b, T: Serialize> {
            #[serde(flatten)]
            head: &'a File<'b>,
            #[serde(flatten)]
            body: &'a T,
        }
        serde_json::to_vec_pretty(&Whole { head, body: self })
    }
}

/// Writes one part's file: the common head, then the part's body.
fn write_part(
    run: &Run<'_>,
    target: &Repo<'_>,
    repo: &api::Repository,
    kind: &'static str,
    part: &'static str,
    calls: &Calls,
    body: &dyn erased::Body,
) -> anyhow::Result<PathBuf> {
    let client = run.client;
    let full_name = format!("{}/{}", target.org, target.name);
    let file = File {
        generator: crate::collect::generator(),
        kind,
        collected_at: run
            .collected_at
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        period: PeriodView {
            name: &run.period.name,
            start: run.period.start.to_string(),
            end: run.period.end.to_string(),
        },
        repository: RepositoryView {
            full_name: full_name.clone(),
            name: target.name,
            default_branch: target.branch,
            html_url: repo.html_url.as_deref(),
        },
        provenance: Provenance {
            collector: "auditbook collect github",
            auditbook_version: env!("CARGO_PKG_VERSION"),
            api_url: client.base(),
            endpoints: calls.endpoints.iter().cloned().collect(),
            requests: calls.requests,
            retries: calls.retries,
            rate_limit: client.rate_limit(),
        },
    };
    let relative = evidence_path(target.name, part, run.period);
    let path = run.workspace.join(&relative);
    crate::collect::check_replaceable(
        &path,
        kind,
        "/repository/full_name",
        &serde_json::Value::String(full_name),
    )?;
    let mut bytes = body.to_json(&file)?;
    bytes.push(b'\n');
    crate::fsutil::write_atomic(&path, &bytes)?;
    Ok(relative)
}

/// `collect git`'s evidence for the same repository and period, if the
/// workspace has it: the file (relative) and the commits it did not verify.
/// A `[[sources.git]]` clone matches when its remote URL names
/// `<org>/<repo>` or, without a remote, when its folder has the
/// repository's name.
fn git_evidence(
    workspace: &Path,
    source: &GithubSource,
    repo: &api::Repository,
    period: &Period,
) -> Option<(String, BTreeSet<String>)> {
    let folder = workspace.join("evidence").join("git");
    let wanted = format!("{}/{}", source.org, repo.name).to_ascii_lowercase();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&folder)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    entries.sort();
    for path in entries {
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
            continue;
        };
        if value["kind"] != "commit-signing" || value["period"]["name"] != period.name.as_str() {
            continue;
        }
        let remote = value["repository"]["remote_url"].as_str().map(|u| {
            u.trim_end_matches('/')
                .trim_end_matches(".git")
                .to_ascii_lowercase()
        });
        let matches = match remote {
            Some(url) => {
                url.ends_with(&format!("/{wanted}")) || url.ends_with(&format!(":{wanted}"))
            }
            None => value["repository"]["name"]
                .as_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(&repo.name)),
        };
        if !matches {
            continue;
        }
        let unverified = value["unverified"]
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|c| c["hash"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        return Some((
            crate::fsutil::relative_display(workspace, &path),
            unverified,
        ));
    }
    None
}
