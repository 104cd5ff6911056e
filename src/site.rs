//! The site folder: versioned periods, drafts and published (frozen)
//! periods, atomic replacement, and the version index `site/index.html`.
//!
//! A build renders into `site/.tmp-<period>-<pid>` and swaps it into place
//! in one rename, so a failed or killed build leaves the earlier site as it
//! was. A published period is rebuilt with the stamp it was published with;
//! if anything then differs, the build refuses unless forced, and a forced
//! rebuild is recorded in `published.json` and on every page.
//!
//! Periods stand side by side: a build writes only its own period's folder
//! and the two files at the site's root that every period shares, the
//! version index and `periods.js` (the periods and the pages each holds,
//! which every page loads to offer the same page in the other periods, so
//! that a published period learns of newer ones without being rewritten).
//! A period's "changes since" page compares it with the newest older
//! period, from the `model.json` that period's folder holds.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::assess::Assessment;
use crate::cache::pages::{PageCache, Working};
use crate::render::{
    self, Manifest, ManifestEntry, ManifestHead, Model, Output, Previous, PreviousPeriod,
    RenderOptions, Rendered, Templates, MANIFEST,
};

pub const PUBLISHED: &str = "published.json";

/// The site-wide list of periods and their pages, loaded by every page.
pub const PERIODS_JS: &str = "periods.js";

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

/// A build's temporary folder, made ready (the previous version taken
/// from the page cache and checked) while the workspace loads.
pub struct Prepared {
    site: PathBuf,
    period: String,
    temporary: PathBuf,
    pages: Option<PageCache>,
    working: Working,
    /// Whether the site folder was created for this build.
    created_site: bool,
}

/// The site folder `options` name for the workspace at `root`.
pub fn site_dir(root: &Path, options: &BuildOptions) -> PathBuf {
    options.out.clone().unwrap_or_else(|| root.join("site"))
}

/// Makes `<site>/.tmp-<period>-<pid>` ready for a build of `period`: removes
/// what killed builds left, and takes the page cache's spare folder.
pub fn prepare(site: &Path, period: &str, cache: bool) -> anyhow::Result<Prepared> {
    let created_site = !site.exists();
    std::fs::create_dir_all(site).with_context(|| format!("cannot create {}", site.display()))?;
    remove_stale_temporaries(site, period);
    let temporary = site.join(format!(".tmp-{period}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&temporary);
    let mut pages = cache.then(|| PageCache::open(site, period));
    let working = match pages.as_mut() {
        Some(pages) => pages
            .take_spare(&temporary)
            .with_context(|| format!("cannot create {}", temporary.display()))?,
        None => {
            std::fs::create_dir_all(&temporary)
                .with_context(|| format!("cannot create {}", temporary.display()))?;
            Working::default()
        }
    };
    Ok(Prepared {
        site: site.to_path_buf(),
        period: period.to_string(),
        temporary,
        pages,
        working,
        created_site,
    })
}

impl Prepared {
    /// Gives the folder back to the page cache, for a build that does not
    /// go ahead.
    pub fn abandon(self) {
        match &self.pages {
            Some(pages) if !self.working.existing.is_empty() => pages.put_back(&self.temporary),
            _ => {
                let _ = std::fs::remove_dir_all(&self.temporary);
            }
        }
        if self.created_site {
            // Only if nothing else is in it.
            let _ = std::fs::remove_dir(&self.site);
        }
    }
}

/// Renders `assessment` into `<site>/<period>/` and refreshes the version
/// index. `prepared` is the folder [`prepare`] made ready, when the caller
/// did that early; it is made here otherwise.
pub fn build(
    assessment: &Assessment<'_>,
    options: &BuildOptions,
    prepared: Option<Prepared>,
) -> anyhow::Result<BuildOutcome> {
    let workspace = assessment.workspace;
    let site = site_dir(&workspace.root, options);
    let period = &assessment.config.period.name;
    let period_dir = site.join(period);
    let prepared = match prepared {
        Some(p) if p.site == site && &p.period == period => p,
        other => {
            if let Some(other) = other {
                other.abandon();
            }
            crate::timing::time("site: take the spare folder", || {
                prepare(&site, period, options.cache)
            })?
        }
    };

    let templates = crate::timing::time("site: templates", || Templates::load(&workspace.root))?;
    let published = read_published(&period_dir)?;
    let now = crate::build_time();

    // A published period is rendered exactly as it was published, so an
    // unchanged workspace gives unchanged bytes.
    let mut options_for_render = RenderOptions {
        built_at: published.as_ref().map_or(now, |p| p.published_at),
        draft: published.is_none() && !options.publish,
        notice: published.as_ref().and_then(republication_notice),
        previous: crate::timing::time("site: read the previous period", || {
            previous_period(&site, period, &assessment.config.period.start.to_string())
        })?,
        audience: None,
    };
    if published.is_none() && options.publish {
        options_for_render.built_at = now;
    }

    let Prepared {
        temporary,
        mut pages,
        working,
        ..
    } = prepared;
    for note in pages.iter().flat_map(|p| p.notes.iter()) {
        crate::timing::note(note.clone());
    }
    let output = output_for(&temporary, &period_dir, pages.as_mut(), working);
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
                let changes = diff(&old.files, &rendered.files());
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
        let pages = rendered
            .records
            .iter()
            .filter(|(path, _)| path.ends_with(".html"))
            .count();
        Ok((
            BuildOutcome {
                period_dir: period_dir.clone(),
                files: rendered.records.len(),
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
    // This period's pages for the version index, from memory rather than
    // from the manifest just written.
    let built = Built {
        period: period.clone(),
        head: rendered.head.clone(),
        pages: rendered
            .records
            .iter()
            .filter(|(path, _)| path.ends_with(".html"))
            .map(|(path, _)| path.clone())
            .collect(),
    };
    crate::timing::time("site: swap", || {
        put_in_place(&temporary, &period_dir, &outcome, rendered, pages.as_ref())
    })?;
    crate::timing::time("site: version index", || {
        write_version_index(
            &site,
            &assessment.config.organization.name,
            &templates,
            built,
        )
    })?;
    crate::timing::time("site: drop", || drop((pages, templates)));
    Ok(outcome)
}

/// The output of a build in `temporary`, which holds `working`, linking
/// unchanged files from `period_dir` when the page cache has its records.
fn output_for(
    temporary: &Path,
    period_dir: &Path,
    pages: Option<&mut PageCache>,
    working: Working,
) -> Output {
    let Some(pages) = pages else {
        return Output::reusing(temporary, working, None);
    };
    let previous = pages
        .live
        .take()
        .filter(|_| period_dir.is_dir())
        .map(|records| Previous {
            dir: period_dir.to_path_buf(),
            records,
        });
    Output::reusing(temporary, working, previous)
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
        pages.retire_live();
    }
    let retired = swap_into_place(temporary, period_dir)?;
    if let Some(pages) = pages {
        note(pages.save_live(&rendered.records));
    }
    let Some(old) = retired else {
        return Ok(());
    };
    match pages {
        // The retired folder is what the live records described.
        Some(pages) if rendered.previous.is_some() => note(pages.keep_spare(&old, None)),
        // Nothing describes it: it goes, now that the new one is in place.
        _ => std::fs::remove_dir_all(&old)
            .with_context(|| format!("cannot remove {}", old.display()))?,
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

/// The newest period folder of `site` that started before `start` (the
/// period being built), with the model it holds. `None` when there is no
/// older period, or the newest one has no model (built before models were
/// written): comparing with an older one would skip a period.
fn previous_period(
    site: &Path,
    period: &str,
    start: &str,
) -> anyhow::Result<Option<PreviousPeriod>> {
    let mut newest: Option<(String, String)> = None;
    for (name, dir) in period_folders(site)? {
        if name == period {
            continue;
        }
        let manifest = ManifestHead::read(&dir.join(MANIFEST))?;
        let candidate = (manifest.start, name);
        if candidate.0.as_str() < start && newest.as_ref().is_none_or(|n| candidate > *n) {
            newest = Some(candidate);
        }
    }
    let Some((_, folder)) = newest else {
        return Ok(None);
    };
    match Model::read(&site.join(&folder))? {
        Some((model, sha256)) => Ok(Some(PreviousPeriod {
            folder,
            model,
            sha256,
        })),
        None => {
            crate::timing::note(format!(
                "no changes page: period {folder} holds no {} this version reads",
                render::MODEL
            ));
            Ok(None)
        }
    }
}

/// Every period folder of `site` (one with a manifest), by name.
fn period_folders(site: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut folders = Vec::new();
    for entry in
        std::fs::read_dir(site).with_context(|| format!("cannot list {}", site.display()))?
    {
        let entry = entry.with_context(|| format!("cannot list {}", site.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !entry.path().join(MANIFEST).is_file() {
            continue;
        }
        folders.push((name, entry.path()));
    }
    folders.sort();
    Ok(folders)
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

/// From a period's manifest, its head and the paths of its pages, read
/// without allocating for the other files' entries.
fn read_pages(period_dir: &Path) -> anyhow::Result<(ManifestHead, Vec<String>)> {
    #[derive(serde::Deserialize)]
    struct File<'a> {
        #[serde(borrow)]
        path: std::borrow::Cow<'a, str>,
    }
    #[derive(serde::Deserialize)]
    struct Pages<'a> {
        period: String,
        start: String,
        end: String,
        built_at: String,
        commit: Option<String>,
        #[serde(borrow)]
        files: Vec<File<'a>>,
    }
    let path = period_dir.join(MANIFEST);
    let text = crate::fsutil::read_text(&path)?;
    let manifest: Pages = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a valid manifest", path.display()))?;
    let pages = manifest
        .files
        .into_iter()
        .filter(|f| f.path.ends_with(".html"))
        .map(|f| f.path.into_owned())
        .collect();
    let head = ManifestHead {
        period: manifest.period,
        start: manifest.start,
        end: manifest.end,
        built_at: manifest.built_at,
        commit: manifest.commit,
    };
    Ok((head, pages))
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
    /// Its pages, relative to its folder, sorted.
    #[serde(skip)]
    pages: Vec<String>,
}

/// The period a build just put in place, as the version index lists it.
pub struct Built {
    pub period: String,
    pub head: ManifestHead,
    /// Its pages, relative to its folder, sorted.
    pub pages: Vec<String>,
}

/// Writes `site/index.html`, every period folder with a manifest newest
/// first, and `site/periods.js`, the same periods with the pages each
/// holds.
pub fn write_version_index(
    site: &Path,
    organization: &str,
    templates: &Templates,
    built: Built,
) -> anyhow::Result<()> {
    let mut versions = Vec::new();
    let mut built = Some(built);
    for (name, dir) in period_folders(site)? {
        let (head, pages) = match built.take_if(|b| b.period == name) {
            Some(built) => (built.head, built.pages),
            None => read_pages(&dir)?,
        };
        let published = read_published(&dir)?;
        versions.push(Version {
            href: format!("{}/index.html", crate::render::href(&name)),
            name,
            built_at: head.built_at,
            start: head.start,
            published: published.is_some(),
            published_at: published
                .as_ref()
                .map(|p| p.published_at.date_naive().to_string()),
            republished: published.map_or(0, |p| p.republications.len()),
            pages,
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
    crate::fsutil::write_atomic(&site.join(PERIODS_JS), periods_js(&versions).as_bytes())?;
    crate::fsutil::write_atomic(&site.join("index.html"), html.as_bytes())
}

/// `window.AUDITBOOK_PERIODS = {"pages": [...], "periods": [...]}`: every
/// page path of any period once, sorted and front-coded (`"<n>|<rest>"`:
/// the first n characters of the path before it, then `rest`, which keeps
/// the file a fraction of the paths' size), and per period, newest first,
/// its name, state and the pages it holds as `[first, count]` runs of
/// indices into `pages` (periods share most pages, so the runs are few).
///
/// Published pages read this file with the `app.js` they were published
/// with, for ever: its format is a contract. Change it only by adding
/// fields, or raise `format` and keep writing what format 1 readers need.
fn periods_js(versions: &[Version]) -> String {
    #[derive(Serialize)]
    struct Period<'a> {
        name: &'a str,
        published: bool,
        has: Vec<[usize; 2]>,
    }
    #[derive(Serialize)]
    struct Periods<'a> {
        format: u32,
        pages: Vec<String>,
        periods: Vec<Period<'a>>,
    }
    let mut pages: Vec<&str> = versions
        .iter()
        .flat_map(|v| v.pages.iter().map(String::as_str))
        .collect();
    pages.sort_unstable();
    pages.dedup();
    let periods = versions
        .iter()
        .map(|v| {
            let mut has: Vec<[usize; 2]> = Vec::new();
            for page in &v.pages {
                let Ok(i) = pages.binary_search(&page.as_str()) else {
                    continue;
                };
                match has.last_mut() {
                    Some(run) if run[0] + run[1] == i => run[1] += 1,
                    _ => has.push([i, 1]),
                }
            }
            Period {
                name: &v.name,
                published: v.published,
                has,
            }
        })
        .collect();
    let mut coded = Vec::with_capacity(pages.len());
    let mut before = "";
    for page in &pages {
        // Counted in UTF-16 units: JavaScript slices strings by them.
        let mut shared = 0;
        let mut units = 0;
        for ((i, a), b) in page.char_indices().zip(before.chars()) {
            if a != b {
                break;
            }
            shared = i + a.len_utf8();
            units += a.len_utf16();
        }
        coded.push(format!("{units}|{}", &page[shared..]));
        before = page;
    }
    let json = serde_json::to_string(&Periods {
        format: 1,
        pages: coded,
        periods,
    })
    .expect("strings serialize");
    // Safe as a script whatever the names hold (see the search index).
    let json = json
        .replace('<', "\\u003c")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029");
    format!("window.AUDITBOOK_PERIODS = {json};\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(name: &str, start: &str, published: bool, pages: &[&str]) -> Version {
        Version {
            name: name.to_string(),
            href: String::new(),
            built_at: String::new(),
            start: start.to_string(),
            published,
            published_at: None,
            republished: 0,
            pages: pages.iter().map(|p| p.to_string()).collect(),
        }
    }

    /// The format every published page's `app.js` reads: pinned.
    #[test]
    fn periods_js_is_front_coded_with_runs_per_period() {
        let versions = [
            version(
                "2027",
                "2027-01-01",
                false,
                &[
                    "changes.html",
                    "evidence/ü/a b.html",
                    "evidence/ü/a c.html",
                    "index.html",
                ],
            ),
            version(
                "2026",
                "2026-01-01",
                true,
                &["evidence/ü/a b.html", "index.html", "policies/<x>.html"],
            ),
        ];
        assert_eq!(
            periods_js(&versions),
            concat!(
                r#"window.AUDITBOOK_PERIODS = {"format":1,"pages":["0|changes.html","0|evidence/ü/a b.html","#,
                // "evidence/ü/a " is 13 UTF-16 units (14 bytes).
                r#""13|c.html","0|index.html","0|policies/\u003cx>.html"],"periods":["#,
                r#"{"name":"2027","published":false,"has":[[0,4]]},"#,
                r#"{"name":"2026","published":true,"has":[[1,1],[3,2]]}]};"#,
                "\n"
            )
        );
    }
}
