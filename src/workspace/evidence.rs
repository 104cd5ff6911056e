//! The evidence locker: every file under `evidence/`, hashed and
//! summarised in parallel, with its metadata merged from (last wins) the
//! kind's default controls, the first matching `[[evidence]]` rule, front
//! matter and a `<file>.meta.yaml` sidecar.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use walkdir::WalkDir;

use super::git::History;
use super::LoadOptions;
use crate::catalog::{yaml_diagnostic, Catalog, ControlKey};
use crate::config::{Classification, Config};
use crate::diagnostic::{locate_token, Code, Diagnostic, Diagnostics};
use crate::evidence::{self, Details, Facts, Kind, Summary};
use crate::fsutil;
use crate::interval::{self, Interval};

const SIDECAR_SUFFIX: &str = ".meta.yaml";

#[derive(Debug, Clone)]
pub struct Evidence {
    /// Relative to the workspace root, `/`-separated.
    pub path: String,
    pub kind: Kind,
    pub sha256: String,
    pub size: u64,
    pub collected_at: DateTime<Utc>,
    pub collected_at_source: TimeSource,
    pub provenance: Provenance,
    pub controls: Vec<Mapping>,
    pub classification: Classification,
    pub max_age: Option<Interval>,
    /// `collected_at` + `max_age`: when the item stops counting as fresh.
    pub expires: Option<DateTime<Utc>>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub summary: Summary,
    /// Bounded material for the portal's view of the kind.
    pub details: Details,
}

impl Evidence {
    pub fn control_keys(&self) -> impl Iterator<Item = ControlKey> + '_ {
        self.controls.iter().map(|m| m.control)
    }
}

/// A control an evidence item supports, and which source said so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapping {
    pub control: ControlKey,
    pub via: Via,
}

/// Where a piece of evidence metadata came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "kebab-case")]
pub enum Via {
    /// The kind's default controls (`Kind::default_controls`).
    KindDefault,
    /// An `[[evidence]]` rule of auditbook.toml, at this line.
    Rule {
        line: u32,
    },
    FrontMatter,
    Sidecar,
}

/// Where `collected_at` came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TimeSource {
    Sidecar,
    FrontMatter,
    /// The file's own content: a scan's end time, a log's last timestamp.
    Content,
    GitCommit,
    FileModified,
}

/// Who or what produced an evidence item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Provenance {
    /// Stated by the sidecar or front matter (`source:`).
    Stated { source: String },
    /// Added by hand in this git commit.
    Git {
        commit: String,
        author: String,
        time: DateTime<Utc>,
    },
    /// Not committed to git: only the file itself vouches for it.
    Untracked,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSidecar {
    title: Option<String>,
    description: Option<String>,
    controls: Option<Vec<String>>,
    classification: Option<Classification>,
    collected_at: Option<String>,
    max_age: Option<String>,
    source: Option<String>,
}

const SIDECAR_KEYS: &[&str] = &[
    "title",
    "description",
    "controls",
    "classification",
    "collected_at",
    "max_age",
    "source",
];

/// The metadata keys of markdown evidence front matter; other keys belong
/// to the kind (a drill's targets, say) and are left to its parser.
#[derive(Debug, Default, Deserialize)]
struct RawFrontMatter {
    title: Option<String>,
    description: Option<String>,
    controls: Option<Vec<String>>,
    classification: Option<Classification>,
    collected_at: Option<String>,
    date: Option<String>,
    max_age: Option<String>,
    source: Option<String>,
}

/// Metadata one source gives; `None` leaves the earlier source's value.
#[derive(Debug, Default)]
struct Layer {
    title: Option<String>,
    description: Option<String>,
    controls: Option<Vec<ControlKey>>,
    classification: Option<Classification>,
    collected_at: Option<DateTime<Utc>>,
    max_age: Option<Interval>,
    source: Option<String>,
}

pub fn load_all(
    root: &Path,
    catalog: &Catalog,
    config: Option<&Config>,
    history: &History,
    options: LoadOptions,
    diagnostics: &mut Diagnostics,
) -> anyhow::Result<Vec<Evidence>> {
    let dir = root.join("evidence");
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let (files, sidecars) = list(root, &dir, diagnostics)?;

    let progress = progress_bar(options, files.len());
    let facts: Vec<std::io::Result<Facts>> = files
        .par_iter()
        .map(|(_, path)| {
            let mut facts = evidence::read(path);
            if !options.details {
                // Only the portal shows details; dropping them here keeps
                // memory for a large workspace's check small.
                if let Ok(facts) = &mut facts {
                    facts.details = Default::default();
                }
            }
            progress.inc(1);
            facts
        })
        .collect();
    progress.finish_and_clear();

    let mut rule_used = vec![false; config.map_or(0, |c| c.rules.len())];
    let mut evidence = Vec::with_capacity(files.len());
    for ((relative, path), facts) in files.iter().zip(facts) {
        let facts = match facts {
            Ok(facts) => facts,
            Err(error) => {
                diagnostics.push(
                    Diagnostic::new(
                        Code::FileUnreadable,
                        format!("cannot read {relative}: {error}"),
                    )
                    .in_file(relative),
                );
                continue;
            }
        };
        if let Some(problem) = &facts.problem {
            diagnostics.push(
                Diagnostic::new(
                    Code::EvidenceUnparsed,
                    format!(
                        "looks like {} but cannot be read as one: {}",
                        problem.looked_like.label(),
                        problem.message
                    ),
                )
                .in_file(relative)
                .at(problem
                    .line
                    .map(|line| crate::diagnostic::Position { line, column: 1 })),
            );
        }

        let rule_index = config.and_then(|c| c.rules.iter().position(|r| r.matches(relative)));
        if let Some(index) = rule_index {
            rule_used[index] = true;
        }
        let front_matter = facts.front_matter.as_ref().and_then(|(yaml, before)| {
            front_matter_layer(relative, yaml, *before, catalog, diagnostics)
        });
        let sidecar_name = format!("{relative}{SIDECAR_SUFFIX}");
        let sidecar = sidecars.get(&sidecar_name).and_then(|sidecar_path| {
            sidecar_layer(&sidecar_name, sidecar_path, catalog, diagnostics)
        });

        let item = merge(
            relative,
            path,
            facts,
            catalog,
            config,
            rule_index,
            front_matter,
            sidecar,
            history,
        );
        if item.controls.is_empty() {
            diagnostics.push(
                Diagnostic::new(
                    Code::EvidenceUnmapped,
                    format!("{} is linked to no control", item.path),
                )
                .in_file(&item.path)
                .with_help("add an [[evidence]] rule in auditbook.toml, or a sidecar <file>.meta.yaml with `controls:`"),
            );
        }
        evidence.push(item);
    }

    let known: BTreeSet<String> = files
        .iter()
        .map(|(relative, _)| format!("{relative}{SIDECAR_SUFFIX}"))
        .collect();
    for sidecar in sidecars.keys().filter(|s| !known.contains(*s)) {
        diagnostics.push(
            Diagnostic::new(
                Code::SidecarOrphaned,
                format!(
                    "sidecar describes `{}`, which does not exist",
                    sidecar.trim_end_matches(SIDECAR_SUFFIX)
                ),
            )
            .in_file(sidecar),
        );
    }
    if let Some(config) = config {
        for (rule, used) in config.rules.iter().zip(rule_used) {
            if !used {
                diagnostics.push(
                    Diagnostic::new(
                        Code::RuleUnmatched,
                        format!("evidence rule `{}` matches no file", rule.pattern),
                    )
                    .in_file(crate::config::FILE_NAME)
                    .at(Some(crate::diagnostic::Position {
                        line: rule.line,
                        column: 1,
                    }))
                    .with_help(
                        "paths are relative to the workspace root, such as `evidence/scans/**`",
                    ),
                );
            }
        }
    }
    Ok(evidence)
}

/// Evidence files and sidecars under `dir`, each sorted by relative path.
type Listing = (Vec<(String, PathBuf)>, BTreeMap<String, PathBuf>);

fn list(root: &Path, dir: &Path, diagnostics: &mut Diagnostics) -> anyhow::Result<Listing> {
    let mut files = Vec::new();
    let mut sidecars = BTreeMap::new();
    let walker = WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let relative = fsutil::relative_display(root, entry.path());
        if entry.path_is_symlink() {
            diagnostics.push(
                Diagnostic::new(
                    Code::EvidenceSymlink,
                    format!("{relative} is a symbolic link; auditbook does not follow links out of the evidence locker"),
                )
                .in_file(&relative)
                .with_help("copy the file into evidence/ instead"),
            );
            continue;
        }
        if !entry.file_type().is_file() {
            continue;
        }
        if relative.ends_with(SIDECAR_SUFFIX) {
            sidecars.insert(relative, entry.into_path());
        } else {
            files.push((relative, entry.into_path()));
        }
    }
    Ok((files, sidecars))
}

fn progress_bar(options: LoadOptions, len: usize) -> ProgressBar {
    if !options.progress {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} evidence files ({eta})")
            .expect("constant template")
            .progress_chars("=> "),
    );
    bar.set_prefix("Hashing");
    bar
}

fn sidecar_layer(
    file: &str,
    path: &Path,
    catalog: &Catalog,
    diagnostics: &mut Diagnostics,
) -> Option<Layer> {
    let text = match fsutil::read_text(path) {
        Ok(text) => text,
        Err(error) => {
            diagnostics
                .push(Diagnostic::new(Code::FileUnreadable, format!("{error:#}")).in_file(file));
            return None;
        }
    };
    let raw: RawSidecar = if text.trim().is_empty() {
        RawSidecar::default()
    } else {
        match serde_yaml_ng::from_str(&text) {
            Ok(raw) => raw,
            Err(error) => {
                diagnostics.push(yaml_diagnostic(
                    Code::SidecarInvalid,
                    &error,
                    file,
                    0,
                    SIDECAR_KEYS,
                ));
                return None;
            }
        }
    };
    let fields = Fields {
        title: raw.title,
        description: raw.description,
        controls: raw.controls,
        classification: raw.classification,
        collected_at: raw.collected_at,
        max_age: raw.max_age,
        source: raw.source,
    };
    fields.validate(file, &text, 0, Code::SidecarInvalid, catalog, diagnostics)
}

fn front_matter_layer(
    file: &str,
    yaml: &str,
    lines_before: u32,
    catalog: &Catalog,
    diagnostics: &mut Diagnostics,
) -> Option<Layer> {
    let raw: RawFrontMatter = match serde_yaml_ng::from_str(yaml) {
        Ok(raw) => raw,
        Err(error) => {
            diagnostics.push(yaml_diagnostic(
                Code::FrontMatterInvalid,
                &error,
                file,
                lines_before,
                &[],
            ));
            return None;
        }
    };
    let fields = Fields {
        title: raw.title,
        description: raw.description,
        controls: raw.controls,
        classification: raw.classification,
        collected_at: raw.collected_at.or(raw.date),
        max_age: raw.max_age,
        source: raw.source,
    };
    fields.validate(
        file,
        yaml,
        lines_before,
        Code::FrontMatterInvalid,
        catalog,
        diagnostics,
    )
}

/// The metadata fields shared by sidecars and front matter, before their
/// values are checked.
struct Fields {
    title: Option<String>,
    description: Option<String>,
    controls: Option<Vec<String>>,
    classification: Option<Classification>,
    collected_at: Option<String>,
    max_age: Option<String>,
    source: Option<String>,
}

impl Fields {
    fn validate(
        self,
        file: &str,
        text: &str,
        lines_before: u32,
        code: Code,
        catalog: &Catalog,
        diagnostics: &mut Diagnostics,
    ) -> Option<Layer> {
        let locate = |needle: &str| locate_token(text, needle, 0).map(|p| p.shifted(lines_before));
        let mut ok = true;
        let collected_at = self.collected_at.as_deref().and_then(|value| {
            interval::parse_time(value)
                .map_err(|message| {
                    diagnostics.push(
                        Diagnostic::new(code, message)
                            .in_file(file)
                            .at(locate(value)),
                    );
                    ok = false;
                })
                .ok()
        });
        let max_age = self.max_age.as_deref().and_then(|value| {
            Interval::parse(value)
                .map_err(|message| {
                    diagnostics.push(
                        Diagnostic::new(code, message)
                            .in_file(file)
                            .at(locate(value)),
                    );
                    ok = false;
                })
                .ok()
        });
        let controls = self.controls.map(|ids| {
            let mut keys = Vec::new();
            for id in ids {
                match catalog.resolve(&id) {
                    Ok(key) if !keys.contains(&key) => keys.push(key),
                    Ok(_) => {}
                    Err(error) => {
                        diagnostics.push(error.diagnostic(&id, file, locate(&id)));
                        ok = false;
                    }
                }
            }
            keys
        });
        ok.then_some(Layer {
            title: self.title,
            description: self.description,
            controls,
            classification: self.classification,
            collected_at,
            max_age,
            source: self.source,
        })
    }
}

#[allow(clippy::too_many_arguments)] // one call site; each argument is a distinct source of metadata
fn merge(
    relative: &str,
    path: &Path,
    facts: Facts,
    catalog: &Catalog,
    config: Option<&Config>,
    rule_index: Option<usize>,
    front_matter: Option<Layer>,
    sidecar: Option<Layer>,
    history: &History,
) -> Evidence {
    let mut controls: Vec<Mapping> = facts
        .kind
        .default_controls()
        .iter()
        .filter_map(|id| catalog.resolve(id).ok())
        .map(|control| Mapping {
            control,
            via: Via::KindDefault,
        })
        .collect();
    let mut classification = Classification::default();
    let mut max_age = config.and_then(|c| c.default_max_age);
    let mut title = None;
    let mut description = None;

    if let Some(rule) = rule_index.and_then(|i| config.map(|c| &c.rules[i])) {
        if let Some(keys) = &rule.controls {
            controls = mappings(keys, Via::Rule { line: rule.line });
        }
        classification = rule.classification.unwrap_or(classification);
        max_age = rule.max_age.or(max_age);
        title = rule.title.clone();
        description = rule.description.clone();
    }

    let mut collected_at = None;
    let mut stated_source = None;
    for (layer, via, time_source) in [
        (front_matter, Via::FrontMatter, TimeSource::FrontMatter),
        (sidecar, Via::Sidecar, TimeSource::Sidecar),
    ] {
        let Some(layer) = layer else { continue };
        if let Some(keys) = &layer.controls {
            controls = mappings(keys, via);
        }
        classification = layer.classification.unwrap_or(classification);
        max_age = layer.max_age.or(max_age);
        title = layer.title.or(title);
        description = layer.description.or(description);
        if let Some(time) = layer.collected_at {
            collected_at = Some((time, time_source));
        }
        stated_source = layer.source.or(stated_source);
    }

    let addition = history.addition(relative);
    let (collected_at, collected_at_source) = collected_at
        .or_else(|| facts.observed_at.map(|time| (time, TimeSource::Content)))
        .or_else(|| addition.map(|a| (a.time, TimeSource::GitCommit)))
        .unwrap_or_else(|| (modified_time(path), TimeSource::FileModified));
    let provenance = match (stated_source, addition) {
        (Some(source), _) => Provenance::Stated { source },
        (None, Some(addition)) => Provenance::Git {
            commit: addition.commit.clone(),
            author: addition.author.clone(),
            time: addition.time,
        },
        (None, None) => Provenance::Untracked,
    };
    let expires = max_age.and_then(|age| age.after_time(collected_at));

    Evidence {
        path: relative.to_string(),
        kind: facts.kind,
        sha256: facts.sha256,
        size: facts.size,
        collected_at,
        collected_at_source,
        provenance,
        controls,
        classification,
        max_age,
        expires,
        title,
        description,
        summary: facts.summary,
        details: facts.details,
    }
}

fn mappings(keys: &[ControlKey], via: Via) -> Vec<Mapping> {
    keys.iter()
        .map(|&control| Mapping { control, via })
        .collect()
}

fn modified_time(path: &Path) -> DateTime<Utc> {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map(DateTime::<Utc>::from)
        .unwrap_or(DateTime::UNIX_EPOCH)
}
