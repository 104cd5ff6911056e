//! The site folder: versioned periods, drafts and published (frozen)
//! periods, atomic replacement, and the version index `site/index.html`.
//!
//! A build renders into `site/.tmp-<period>-<pid>` and swaps it into place
//! in one rename, so a failed or killed build leaves the earlier site as it
//! was. A published period is rebuilt with the stamp it was published with;
//! if anything then differs, the build refuses unless forced, and a forced
//! rebuild is recorded in `published.json` and on every page.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::assess::Assessment;
use crate::cache::pages::{PageCache, Working};
use crate::render::{
    self, Manifest, ManifestEntry, Output, Previous, RenderOptions, Rendered, Templates, MANIFEST,
};

pub const PUBLISHED: &str = "published.json";

/// `site/<period>/published.json`: when a period was frozen, and every
/// forced republication since.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Published {
    pub period: String,
    pub published_at: DateTime<Utc>,
    pub commit: Option<String>,
    pub manifest_sha256: String,
    #[serde(default)]
    pub republications: Vec<Republication>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Republication {
    pub at: DateTime<Utc>,
    pub commit: Option<String>,
    pub manifest_sha256: String,
    pub changed: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The site folder (default: `site/` in the workspace).
    pub out: Option<PathBuf>,
    /// Rebuild a published period even though its content changed.
    pub force: bool,
    /// Freeze the period after building it.
    pub publish: bool,
    /// Reuse unchanged files of the previous build (the page cache in
    /// `<site>/.cache/`).
    pub cache: bool,
}

/// What a build did.
#[derive(Debug, Clone)]
pub struct BuildOutcome {
    pub period_dir: PathBuf,
    pub files: usize,
    pub pages: usize,
    pub manifest_sha256: String,
    pub state: BuildState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildState {
    /// A draft was (re)built.
    Draft,
    /// The period was published now.
    Published,
    /// A published period was rebuilt and nothing changed.
    Unchanged,
    /// A published period changed and was republished with `--force`.
    Republished { changed: usize },
}

/// A published period whose content changed, without `--force`.
#[derive(Debug)]
pub struct PublishedPeriodChanged {
    pub period: String,
    pub changes: Vec<String>,
}

impl std::fmt::Display for PublishedPeriodChanged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const SHOWN: usize = 20;
        writeln!(
            f,
            "period {} is published and this build differs in {} file(s):",
            self.period,
            self.changes.len()
        )?;
        for change in self.changes.iter().take(SHOWN) {
            writeln!(f, "  {change}")?;
        }
        if self.changes.len() > SHOWN {
            writeln!(f, "  … and {} more", self.changes.len() - SHOWN)?;
        }
        write!(
            f,
            "the published portal was left as it was; build with --force to republish (the republication is recorded in published.json and shown on every page)"
        )
    }
}

impl std::error::Error for PublishedPeriodChanged {}

/// Renders `assessment` into `<site>/<period>/` and refreshes the version
/// index.
pub fn build(assessment: &Assessment<'_>, options: &BuildOptions) -> anyhow::Result<BuildOutcome> {
    let workspace = assessment.workspace;
    let site = options
        .out
        .clone()
        .unwrap_or_else(|| workspace.root.join("site"));
    let period = &assessment.config.period.name;
    let period_dir = site.join(period);
    std::fs::create_dir_all(&site).with_context(|| format!("cannot create {}", site.display()))?;
    remove_stale_temporaries(&site, period);

    let templates = Templates::load(&workspace.root)?;
    let published = read_published(&period_dir)?;
    let now = crate::build_time();

    // A published period is rendered exactly as it was published, so an
    // unchanged workspace gives unchanged bytes.
    let mut options_for_render = RenderOptions {
        built_at: published.as_ref().map_or(now, |p| p.published_at),
        draft: published.is_none() && !options.publish,
        notice: published.as_ref().and_then(republication_notice),
        audience: None,
    };
    if published.is_none() && options.publish {
        options_for_render.built_at = now;
    }

    let temporary = site.join(format!(".tmp-{period}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&temporary);
    let mut pages = options.cache.then(|| PageCache::open(&site, period));
    for note in pages.iter().flat_map(|p| p.notes.iter()) {
        crate::timing::note(note.clone());
    }
    let output = crate::timing::time("site: take the spare folder", || {
        prepare(&temporary, &period_dir, pages.as_mut())
    })?;
    let result = (|| -> anyhow::Result<(BuildOutcome, Rendered)> {
        let mut rendered = render::render(assessment, &templates, output, &options_for_render)?;
        let mut manifest_sha256 = rendered.manifest_sha256.clone();
        let mut state = if options.publish {
            BuildState::Published
        } else {
            BuildState::Draft
        };

        if let Some(mut record) = published.clone() {
            if manifest_sha256 == record.manifest_sha256 {
                state = BuildState::Unchanged;
            } else {
                let old = read_manifest(&period_dir)?;
                let changes = diff(&old.files, &rendered.manifest.files);
                if !options.force {
                    return Err(PublishedPeriodChanged {
                        period: period.clone(),
                        changes,
                    }
                    .into());
                }
                record.republications.push(Republication {
                    at: now,
                    commit: workspace.commit.clone(),
                    manifest_sha256: String::new(),
                    changed: changes.clone(),
                });
                // Render again so every page carries the republication.
                std::fs::remove_dir_all(&temporary)
                    .with_context(|| format!("cannot clear {}", temporary.display()))?;
                options_for_render.notice = republication_notice(&record);
                let output = match rendered.previous.take() {
                    Some(previous) => {
                        std::fs::create_dir_all(&temporary)
                            .with_context(|| format!("cannot create {}", temporary.display()))?;
                        Output::reusing(&temporary, Working::default(), Some(previous))
                    }
                    None => Output::new(&temporary)?,
                };
                rendered = render::render(assessment, &templates, output, &options_for_render)?;
                manifest_sha256 = rendered.manifest_sha256.clone();
                if let Some(last) = record.republications.last_mut() {
                    last.manifest_sha256 = manifest_sha256.clone();
                }
                state = BuildState::Republished {
                    changed: changes.len(),
                };
            }
            write_published(&temporary, &record)?;
        } else if options.publish {
            write_published(
                &temporary,
                &Published {
                    period: period.clone(),
                    published_at: now,
                    commit: workspace.commit.clone(),
                    manifest_sha256: manifest_sha256.clone(),
                    republications: Vec::new(),
                },
            )?;
        }
        let manifest = &rendered.manifest;
        let pages = manifest
            .files
            .iter()
            .filter(|f| f.path.ends_with(".html"))
            .count();
        Ok((
            BuildOutcome {
                period_dir: period_dir.clone(),
                files: manifest.files.len(),
                pages,
                manifest_sha256,
                state,
            },
            rendered,
        ))
    })();

    let (outcome, rendered) = match result {
        Ok(done) => done,
        Err(error) => {
            let _ = std::fs::remove_dir_all(&temporary);
            return Err(error);
        }
    };
    crate::timing::time("site: swap", || {
        put_in_place(&temporary, &period_dir, &outcome, rendered, pages.as_ref())
    })?;
    crate::timing::time("site: version index", || {
        write_version_index(&site, &assessment.config.organization.name, &templates)
    })?;
    Ok(outcome)
}

/// The output of a build in `temporary`: the spare of the page cache when
/// there is one (linking unchanged files from `period_dir`), else a new
/// folder.
fn prepare(
    temporary: &Path,
    period_dir: &Path,
    pages: Option<&mut PageCache>,
) -> anyhow::Result<Output> {
    let Some(pages) = pages else {
        return Output::new(temporary);
    };
    let working = pages
        .take_spare(temporary)
        .with_context(|| format!("cannot create {}", temporary.display()))?;
    let previous = pages
        .live
        .take()
        .filter(|_| period_dir.is_dir())
        .map(|records| Previous {
            dir: period_dir.to_path_buf(),
            records,
        });
    Ok(Output::reusing(temporary, working, previous))
}

/// Swaps the finished `temporary` in as `period_dir` (unless nothing
/// changed) and keeps the folder it replaced as the page cache's spare.
fn put_in_place(
    temporary: &Path,
    period_dir: &Path,
    outcome: &BuildOutcome,
    rendered: Rendered,
    pages: Option<&PageCache>,
) -> anyhow::Result<()> {
    let note = |result: Result<(), String>| {
        if let Err(reason) = result {
            crate::timing::note(format!("the page cache was not saved: {reason}"));
        }
    };
    if outcome.state == BuildState::Unchanged {
        // `temporary` holds what the live folder holds.
        return match pages {
            Some(pages) => {
                note(pages.keep_spare(temporary, Some(&rendered.records)));
                Ok(())
            }
            None => std::fs::remove_dir_all(temporary)
                .with_context(|| format!("cannot remove {}", temporary.display())),
        };
    }
    if let Some(pages) = pages {
        pages.forget_live();
    }
    let retired = swap_into_place(temporary, period_dir)?;
    let Some(pages) = pages else {
        return match retired {
            Some(old) => std::fs::remove_dir_all(&old)
                .with_context(|| format!("cannot remove {}", old.display())),
            None => Ok(()),
        };
    };
    note(pages.save_live(&rendered.records));
    if let Some(old) = retired {
        let records = rendered.previous.map(|p| p.records);
        note(pages.keep_spare(&old, records.as_ref()));
    }
    Ok(())
}

fn republication_notice(record: &Published) -> Option<String> {
    let last = record.republications.last()?;
    Some(format!(
        "Republished on {} after publication on {}: {} file(s) changed{}.",
        last.at.date_naive(),
        record.published_at.date_naive(),
        last.changed.len(),
        if record.republications.len() > 1 {
            format!(
                " ({} republications in all, listed in published.json)",
                record.republications.len()
            )
        } else {
            String::new()
        }
    ))
}

/// Removes temporaries that killed builds of this period left behind.
fn remove_stale_temporaries(site: &Path, period: &str) {
    let prefix = format!(".tmp-{period}-");
    let Ok(entries) = std::fs::read_dir(site) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

pub fn read_published(period_dir: &Path) -> anyhow::Result<Option<Published>> {
    let path = period_dir.join(PUBLISHED);
    if !path.exists() {
        return Ok(None);
    }
    let text = crate::fsutil::read_text(&path)?;
    serde_json::from_str(&text)
        .map(Some)
        .with_context(|| format!("{} is not a valid publication record", path.display()))
}

fn read_manifest(period_dir: &Path) -> anyhow::Result<Manifest> {
    let path = period_dir.join(MANIFEST);
    let text = crate::fsutil::read_text(&path)?;
    serde_json::from_str(&text)
        .with_context(|| format!("{} is not a valid manifest", path.display()))
}

fn write_published(dir: &Path, record: &Published) -> anyhow::Result<()> {
    let mut json = serde_json::to_vec_pretty(record)?;
    json.push(b'\n');
    crate::fsutil::write_atomic(&dir.join(PUBLISHED), &json)
}

/// `changed x`, `added y`, `removed z` for every file that differs.
fn diff(old: &[ManifestEntry], new: &[ManifestEntry]) -> Vec<String> {
    use std::collections::BTreeMap;
    let old: BTreeMap<&str, &str> = old
        .iter()
        .map(|e| (e.path.as_str(), e.sha256.as_str()))
        .collect();
    let new: BTreeMap<&str, &str> = new
        .iter()
        .map(|e| (e.path.as_str(), e.sha256.as_str()))
        .collect();
    let mut changes = Vec::new();
    for (path, hash) in &new {
        match old.get(path) {
            None => changes.push(format!("added {path}")),
            Some(previous) if previous != hash => changes.push(format!("changed {path}")),
            Some(_) => {}
        }
    }
    for path in old.keys().filter(|p| !new.contains_key(*p)) {
        changes.push(format!("removed {path}"));
    }
    changes
}

/// Puts `fresh` where `target` is, atomically where the platform allows:
/// readers see the old folder or the new one, never a mix. Returns where
/// the old folder now is, for the caller to keep or remove once the new
/// one is in place.
fn swap_into_place(fresh: &Path, target: &Path) -> anyhow::Result<Option<PathBuf>> {
    if !target.exists() {
        return std::fs::rename(fresh, target)
            .map(|()| None)
            .with_context(|| format!("cannot move {} to {}", fresh.display(), target.display()));
    }
    if exchange(fresh, target).is_ok() {
        // `fresh` now holds the old site.
        return Ok(Some(fresh.to_path_buf()));
    }
    let old = fresh.with_extension("old");
    std::fs::rename(target, &old)
        .with_context(|| format!("cannot move {} aside", target.display()))?;
    std::fs::rename(fresh, target)
        .with_context(|| format!("cannot move {} into place", fresh.display()))?;
    Ok(Some(old))
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// One period as the version index lists it.
#[derive(Debug, Serialize)]
struct Version {
    name: String,
    href: String,
    built_at: String,
    start: String,
    published: bool,
    published_at: Option<String>,
    republished: usize,
}

/// Writes `site/index.html`: every period folder with a manifest, newest
/// first.
pub fn write_version_index(
    site: &Path,
    organization: &str,
    templates: &Templates,
) -> anyhow::Result<()> {
    let mut versions = Vec::new();
    for entry in
        std::fs::read_dir(site).with_context(|| format!("cannot list {}", site.display()))?
    {
        let entry = entry.with_context(|| format!("cannot list {}", site.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !entry.path().join(MANIFEST).is_file() {
            continue;
        }
        let manifest = read_manifest(&entry.path())?;
        let published = read_published(&entry.path())?;
        versions.push(Version {
            href: format!("{}/index.html", crate::render::href(&name)),
            name,
            built_at: manifest.built_at.clone(),
            start: manifest.start.clone(),
            published: published.is_some(),
            published_at: published
                .as_ref()
                .map(|p| p.published_at.date_naive().to_string()),
            republished: published.map_or(0, |p| p.republications.len()),
        });
    }
    versions.sort_by(|a, b| b.start.cmp(&a.start).then(b.name.cmp(&a.name)));
    let stylesheet = versions
        .first()
        .map(|v| format!("{}/assets/style.css", crate::render::href(&v.name)))
        .unwrap_or_default();
    let html = templates
        .env
        .get_template("versions.html")
        .and_then(|t| {
            t.render(minijinja::context! {
                organization => organization,
                versions => versions,
                stylesheet => stylesheet,
            })
        })
        .context("cannot render the version index")?;
    crate::fsutil::write_atomic(&site.join("index.html"), html.as_bytes())
}
