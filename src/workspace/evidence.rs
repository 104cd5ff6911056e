//! The evidence locker: every file under `evidence/`, hashed and
//! summarised in parallel, with its metadata merged from (last wins) the
//! kind's default controls, the first matching `[[evidence]]` rule, front
//! matter and a `<file>.meta.yaml` sidecar.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::git::History;
use super::LoadOptions;
use crate::cache::codec::{record, tags, Codec};
use crate::cache::files::{self as file_cache, Bytes, Class, Entry, FileCache};
use crate::cache::FileKey;
use crate::catalog::{yaml_diagnostic, Catalog, ControlKey};
use crate::config::{Classification, Config};
use crate::diagnostic::{locate_token, Code, Diagnostic, Diagnostics};
use crate::evidence::{self, Details, Facts, Kind, Summary};
use crate::fsutil;
use crate::interval::{self, Interval};
use crate::timing;

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
    /// Bounded material for the portal's view of the kind, decoded from
    /// the file cache on first use (`&*item.details`).
    pub details: LazyDetails,
    /// The file's key when it was read, if it had settled and did not
    /// change while it was read: as long as the file still has this key,
    /// its content is the one `sha256` names, and a copy of it need not be
    /// hashed again. (The trust the file cache places in keys.)
    pub content_key: Option<FileKey>,
}

/// An evidence item's [`Details`]: at hand, or still encoded in the file
/// cache and decoded the first time they are needed. Most builds render
/// few evidence pages, and the details of 50,000 files are most of what
/// the cache holds.
#[derive(Clone)]
pub struct LazyDetails {
    value: std::sync::OnceLock<Details>,
    encoded: Option<Encoded>,
}

#[derive(Clone)]
struct Encoded {
    bytes: EncodedBytes,
    /// The file, read again should the entry not decode.
    path: PathBuf,
}

#[derive(Clone)]
enum EncodedBytes {
    /// A range of a cache (or of a buffer of their own).
    InMemory(
        std::sync::Arc<crate::cache::Contents>,
        std::ops::Range<usize>,
    ),
    /// The tail of an entry the file cache set aside on disk: a cold build
    /// keeps 60 MB of details out of memory until their pages need them.
    Spilled(crate::cache::files::SpilledTail),
}

impl LazyDetails {
    pub fn ready(details: Details) -> LazyDetails {
        LazyDetails {
            value: std::sync::OnceLock::from(details),
            encoded: None,
        }
    }

    fn encoded(bytes: EncodedBytes, path: &Path) -> LazyDetails {
        LazyDetails {
            value: std::sync::OnceLock::new(),
            encoded: Some(Encoded {
                bytes,
                path: path.to_path_buf(),
            }),
        }
    }
}

impl LazyDetails {
    /// `details`, encoded until they are needed.
    fn encode(details: &Details, path: &Path) -> LazyDetails {
        if matches!(details, Details::None) {
            return LazyDetails::ready(Details::None);
        }
        let mut bytes = Vec::new();
        crate::cache::codec::Codec::encode(details, &mut bytes);
        let range = 0..bytes.len();
        LazyDetails::encoded(
            EncodedBytes::InMemory(
                std::sync::Arc::new(crate::cache::Contents::Owned(bytes)),
                range,
            ),
            path,
        )
    }

    /// Calls `f` with the details, decoding them for this call only when
    /// they are still encoded: an evidence page needs its item's details
    /// once, and keeping 50,000 of them decoded would cost more memory than
    /// the rest of the model.
    pub fn with<R>(&self, f: impl FnOnce(&Details) -> R) -> R {
        match (self.value.get(), &self.encoded) {
            (Some(details), _) => f(details),
            (None, Some(encoded)) => f(&encoded.decode()),
            (None, None) => f(&Details::None),
        }
    }
}

impl Encoded {
    fn decode(&self) -> Details {
        // The entry's checksum held when it was loaded; should it still not
        // decode, the file itself says.
        let decoded = match &self.bytes {
            EncodedBytes::InMemory(cache, range) => {
                crate::cache::facts::decode_details(&cache[range.clone()])
            }
            EncodedBytes::Spilled(tail) => tail
                .read()
                .and_then(|bytes| crate::cache::facts::decode_details(&bytes)),
        };
        decoded
            .or_else(|| evidence::read(&self.path).ok().map(|f| f.details))
            .unwrap_or_default()
    }
}

impl std::ops::Deref for LazyDetails {
    type Target = Details;

    fn deref(&self) -> &Details {
        self.value
            .get_or_init(|| self.encoded.as_ref().map_or(Details::None, Encoded::decode))
    }
}

impl std::fmt::Debug for LazyDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::ops::Deref::deref(self).fmt(f)
    }
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

#[derive(Debug, Default, Clone, Deserialize)]
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
    // The walk and reading the cache file, side by side.
    let (listing, cache) = rayon::join(
        || timing::time("load: walk evidence", || list(root, &dir)),
        || {
            timing::time("load: open cache", || {
                if options.cache {
                    FileCache::open(root)
                } else {
                    FileCache::disabled()
                }
            })
        },
    );
    let (files, sidecars, symlinks) = listing?;
    diagnostics.extend(symlinks);
    if let file_cache::State::Ignored(reason) = &cache.state {
        timing::note(format!(
            "the file cache in .auditbook/cache was ignored: {reason}"
        ));
    }
    let read_started = std::time::Instant::now();

    let progress = progress_bar(options, files.len());
    let now = std::time::SystemTime::now();
    // The giant logs are read first, so no thread is left alone with one
    // at the end.
    type Read = (std::io::Result<FileRead>, Cached);
    let Ok(facts) = crate::map_largest_first(
        files.len(),
        |i| files[i].1.key.map_or(0, |key| key.size),
        |i| -> Result<Read, std::convert::Infallible> {
            let (relative, listed) = &files[i];
            let (mut read, cached) = read_facts(&cache, relative, listed, now);
            if !options.details {
                // Only the portal shows details; dropping them here keeps
                // memory for a large workspace's check small. (The cache
                // keeps them whole.)
                if let Ok(read) = &mut read {
                    read.details = LazyDetails::ready(Default::default());
                }
            }
            progress.inc(1);
            Ok((read, cached))
        },
    );
    progress.finish_and_clear();
    let sidecar_reads: BTreeMap<&str, SidecarRead> = sidecars
        .par_iter()
        .map(|(name, listed)| (name.as_str(), read_sidecar(&cache, name, listed, now)))
        .collect();
    timing::record("load: read evidence", read_started.elapsed());
    let merge_started = std::time::Instant::now();

    let mut next_cache = NextCache::default();
    let facts: Vec<std::io::Result<FileRead>> = files
        .iter()
        .zip(facts)
        .map(|((relative, _), (read, cached))| {
            next_cache.add(Class::Facts, relative, cached);
            read
        })
        .collect();
    timing::count("evidence files read", next_cache.misses);
    timing::count("evidence files from the cache", next_cache.hits);

    // Each file on its own, in parallel; diagnostics kept in file order.
    let described: Vec<(Option<Evidence>, Diagnostics, Option<usize>)> = files
        .par_iter()
        .zip(facts)
        .map(|((relative, listed), facts)| {
            let mut found = Diagnostics::default();
            let sidecar_name = format!("{relative}{SIDECAR_SUFFIX}");
            let sidecar = sidecars
                .get(&sidecar_name)
                .and_then(|sidecar| Some((sidecar, sidecar_reads.get(sidecar_name.as_str())?)));
            let (item, rule) = describe(
                relative,
                &listed.path,
                facts,
                sidecar.map(|(s, read)| (sidecar_name.as_str(), s.path.as_path(), read)),
                Sources {
                    catalog,
                    config,
                    history,
                },
                &mut found,
            );
            (item, found, rule)
        })
        .collect();
    let mut rule_used = vec![false; config.map_or(0, |c| c.rules.len())];
    let mut evidence = Vec::with_capacity(files.len());
    for (item, found, rule) in described {
        diagnostics.extend(found.iter().cloned());
        if let Some(index) = rule {
            rule_used[index] = true;
        }
        evidence.extend(item);
    }

    timing::record("load: sidecars and metadata", merge_started.elapsed());
    let (hits, misses) = (next_cache.hits, next_cache.misses);
    for (name, read) in sidecar_reads {
        next_cache.add(Class::Sidecar, name, read.cached);
    }
    timing::count("sidecars read", next_cache.misses - misses);
    timing::count("sidecars from the cache", next_cache.hits - hits);
    timing::time("load: save cache", || next_cache.save(&cache));
    let known: crate::cache::FastSet<&str> = files
        .iter()
        .map(|(relative, _)| relative.as_str())
        .collect();
    for sidecar in sidecars.keys().filter(|s| {
        !s.strip_suffix(SIDECAR_SUFFIX)
            .is_some_and(|f| known.contains(f))
    }) {
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

/// What reading an evidence file (or its cache entry) gave, with the key
/// its content is known by (see [`Evidence::content_key`]).
struct FileRead {
    facts: Facts,
    details: LazyDetails,
    content_key: Option<FileKey>,
}

/// What a file's evidence is merged from, besides the file.
#[derive(Clone, Copy)]
struct Sources<'a> {
    catalog: &'a Catalog,
    config: Option<&'a Config>,
    history: &'a History,
}

/// One evidence file as an item, with the rule that matched it; its
/// problems go to `diagnostics`.
fn describe(
    relative: &str,
    path: &Path,
    facts: std::io::Result<FileRead>,
    sidecar: Option<(&str, &Path, &SidecarRead)>,
    context: Sources<'_>,
    diagnostics: &mut Diagnostics,
) -> (Option<Evidence>, Option<usize>) {
    let Sources {
        catalog,
        config,
        history,
    } = context;
    let read = match facts {
        Ok(read) => read,
        Err(error) => {
            diagnostics.push(
                Diagnostic::new(
                    Code::FileUnreadable,
                    format!("cannot read {relative}: {error}"),
                )
                .in_file(relative),
            );
            return (None, None);
        }
    };
    if let Some(problem) = &read.facts.problem {
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

    let rule_index = config.and_then(|c| c.rule_for(relative));
    let front_matter = read.facts.front_matter.as_ref().and_then(|(yaml, before)| {
        front_matter_layer(relative, yaml, *before, catalog, diagnostics)
    });
    let sidecar = sidecar.and_then(|(name, sidecar_path, read)| {
        sidecar_layer(name, sidecar_path, read, catalog, diagnostics)
    });

    let item = merge(
        relative,
        path,
        read,
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
    (Some(item), rule_index)
}

/// A file found under `evidence/`, with its key when it could be read.
struct Listed {
    path: PathBuf,
    key: Option<crate::cache::FileKey>,
}

/// Evidence files and sidecars under `dir`, each sorted by relative path,
/// and the diagnostics of symbolic links found.
type Listing = (
    Vec<(String, Listed)>,
    BTreeMap<String, Listed>,
    Vec<Diagnostic>,
);

/// A file or link under the evidence folder.
enum Found {
    File(String, Listed),
    Symlink(String),
}

fn list(root: &Path, dir: &Path) -> anyhow::Result<Listing> {
    let mut diagnostics = Vec::new();
    let base = fsutil::relative_display(root, dir);
    let found =
        flatten(walk(&base, dir).with_context(|| format!("cannot list {}", dir.display()))?);
    let mut files = Vec::new();
    let mut sidecars = BTreeMap::new();
    for item in found {
        match item {
            Found::Symlink(relative) => diagnostics.push(
                Diagnostic::new(
                    Code::EvidenceSymlink,
                    format!("{relative} is a symbolic link; auditbook does not follow links out of the evidence locker"),
                )
                .in_file(&relative)
                .with_help("copy the file into evidence/ instead"),
            ),
            Found::File(relative, listed) if relative.ends_with(SIDECAR_SUFFIX) => {
                sidecars.insert(relative, listed);
            }
            Found::File(relative, listed) => files.push((relative, listed)),
        }
    }
    Ok((files, sidecars, diagnostics))
}

/// A folder's entry as [`walk`] found it.
enum Node {
    One(Found),
    /// A subfolder's nodes, in name order.
    Folder(Vec<Node>),
    Nothing,
}

/// Walks `dir` (shown as `relative`), its subfolders in parallel, taking
/// each file's key from its folder entry. Hidden entries are skipped.
/// Subfolders stay nested until [`flatten`]: concatenating them level by
/// level would move every file of a deep tree once per level.
fn walk(relative: &str, dir: &Path) -> std::io::Result<Vec<Node>> {
    let mut entries = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| (e.file_name(), e)))
        .collect::<std::io::Result<Vec<_>>>()?;
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    entries
        .par_iter()
        .map(|(name, entry)| -> std::io::Result<Node> {
            let name = name.to_string_lossy();
            if name.starts_with('.') {
                return Ok(Node::Nothing);
            }
            let mut child = String::with_capacity(relative.len() + 1 + name.len());
            child.push_str(relative);
            child.push('/');
            child.push_str(&name);
            let file_type = entry.file_type()?;
            Ok(if file_type.is_symlink() {
                Node::One(Found::Symlink(child))
            } else if file_type.is_dir() {
                Node::Folder(walk(&child, &entry.path())?)
            } else if file_type.is_file() {
                let key = entry.metadata().ok().map(|m| FileKey::of(&m));
                Node::One(Found::File(
                    child,
                    Listed {
                        path: entry.path(),
                        key,
                    },
                ))
            } else {
                Node::Nothing
            })
        })
        .collect()
}

/// What [`walk`] found, in the order of a walk that sorts each folder.
fn flatten(nodes: Vec<Node>) -> Vec<Found> {
    fn count(nodes: &[Node]) -> usize {
        nodes
            .iter()
            .map(|node| match node {
                Node::One(_) => 1,
                Node::Folder(nodes) => count(nodes),
                Node::Nothing => 0,
            })
            .sum()
    }
    fn push(nodes: Vec<Node>, found: &mut Vec<Found>) {
        for node in nodes {
            match node {
                Node::One(item) => found.push(item),
                Node::Folder(nodes) => push(nodes, found),
                Node::Nothing => {}
            }
        }
    }
    let mut found = Vec::with_capacity(count(&nodes));
    push(nodes, &mut found);
    found
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

/// What the cache or the file gave for one evidence file.
enum Cached {
    /// From the cache: its key and encoded entry, to be kept.
    Hit(crate::cache::FileKey, Bytes),
    /// Read from the file; the entry to store.
    Stored(crate::cache::FileKey, Bytes),
    /// Read from the file and not to be stored (it changed too recently).
    NotStored,
}

/// The entries of the file cache this run leaves behind.
#[derive(Default)]
struct NextCache {
    entries: Vec<Entry>,
    /// Whether anything was read from a file (and so may be new).
    changed: bool,
    hits: usize,
    misses: usize,
}

impl NextCache {
    fn add(&mut self, class: Class, path: &str, cached: Cached) {
        let (key, bytes) = match cached {
            Cached::Hit(key, bytes) => {
                self.hits += 1;
                (key, bytes)
            }
            Cached::Stored(key, bytes) => {
                self.misses += 1;
                self.changed = true;
                (key, bytes)
            }
            Cached::NotStored => {
                self.misses += 1;
                return;
            }
        };
        self.entries.push(Entry {
            class,
            path: path.to_string(),
            key,
            bytes,
        });
    }

    fn save(self, cache: &FileCache) {
        match cache.save(&self.entries, self.changed) {
            Ok(true) => timing::count("file cache entries written", self.entries.len()),
            Ok(false) => {}
            Err(reason) => timing::note(format!("the file cache was not saved: {reason}")),
        }
    }
}

/// The facts of one evidence file, from the cache when its key is the one
/// recorded, else by reading it.
fn read_facts(
    cache: &FileCache,
    relative: &str,
    listed: &Listed,
    now: std::time::SystemTime,
) -> (std::io::Result<FileRead>, Cached) {
    let path = &listed.path;
    // Details read now are kept encoded too: as Rust values, the details
    // of 50,000 files would be most of a cold build's memory, and each is
    // needed once, for its evidence page.
    let with_details = |facts: std::io::Result<Facts>, content_key| {
        facts.map(|mut facts| {
            let details = std::mem::take(&mut facts.details);
            FileRead {
                facts,
                details: LazyDetails::encode(&details, path),
                content_key,
            }
        })
    };
    let Some(before) = listed.key else {
        return (with_details(evidence::read(path), None), Cached::NotStored);
    };
    if let Some((bytes, range)) = cache
        .is_enabled()
        .then(|| cache.entry(Class::Facts, relative, &before))
        .flatten()
    {
        let mut reader = crate::cache::codec::Reader::new(bytes);
        if let Some((facts, details)) =
            crate::cache::facts::decode_without_details(&mut reader).filter(|_| reader.is_empty())
        {
            let start = details.as_ptr() as usize - cache.data().as_ptr() as usize;
            let details = LazyDetails::encoded(
                EncodedBytes::InMemory(cache.data().clone(), start..start + details.len()),
                path,
            );
            let read = FileRead {
                facts,
                details,
                content_key: Some(before),
            };
            return (Ok(read), Cached::Hit(before, range));
        }
    }
    let facts = evidence::read(path);
    // What was read is what `before` names only when the file did not
    // change while it was read and had settled before (a change within the
    // same tick of the clock could keep its key).
    let known =
        matches!(file_cache::key_of(path), Ok(after) if after == before) && before.settled(now);
    match facts {
        Ok(mut facts) if known && cache.is_enabled() => {
            let mut bytes = Vec::new();
            let mut details_len = crate::cache::facts::encode_with_details_len(&facts, &mut bytes);
            if matches!(facts.details, Details::None) {
                details_len = 0;
            }
            let (stored, tail) = cache.store_with_tail(bytes, details_len);
            let details = match tail {
                Some(tail) => {
                    facts.details = Details::None;
                    LazyDetails::encoded(EncodedBytes::Spilled(tail), path)
                }
                None => LazyDetails::encode(&std::mem::take(&mut facts.details), path),
            };
            let read = FileRead {
                facts,
                details,
                content_key: Some(before),
            };
            (Ok(read), Cached::Stored(before, stored))
        }
        facts => (
            with_details(facts, known.then_some(before)),
            Cached::NotStored,
        ),
    }
}

/// A sidecar as read (or found in the cache) before its values are checked.
struct SidecarRead {
    outcome: SidecarOutcome,
    cached: Cached,
}

enum SidecarOutcome {
    /// Parsed earlier: the fields, without the text.
    Cached(Fields),
    /// The text and what parsing it gave.
    Read(String, Result<RawSidecar, serde_yaml_ng::Error>),
    Unreadable(anyhow::Error),
}

fn read_sidecar(
    cache: &FileCache,
    name: &str,
    listed: &Listed,
    now: std::time::SystemTime,
) -> SidecarRead {
    let path = &listed.path;
    let before = listed.key.filter(|_| cache.is_enabled());
    if let Some(key) = &before {
        if let Some((fields, bytes)) = cache.decode::<Fields>(Class::Sidecar, name, key) {
            return SidecarRead {
                outcome: SidecarOutcome::Cached(fields),
                cached: Cached::Hit(*key, bytes),
            };
        }
    }
    let (text, parsed) = match parse_sidecar(path) {
        Ok(read) => read,
        Err(error) => {
            return SidecarRead {
                outcome: SidecarOutcome::Unreadable(error),
                cached: Cached::NotStored,
            }
        }
    };
    let cached = match (&parsed, before, file_cache::key_of(path).ok()) {
        (Ok(raw), Some(key), Some(after)) if after == key && key.settled(now) => {
            let mut bytes = Vec::new();
            Fields::from(raw.clone()).encode(&mut bytes);
            Cached::Stored(key, cache.store(bytes))
        }
        _ => Cached::NotStored,
    };
    SidecarRead {
        outcome: SidecarOutcome::Read(text, parsed),
        cached,
    }
}

fn parse_sidecar(
    path: &Path,
) -> anyhow::Result<(String, Result<RawSidecar, serde_yaml_ng::Error>)> {
    let text = fsutil::read_text(path)?;
    let parsed = if text.trim().is_empty() {
        Ok(RawSidecar::default())
    } else {
        serde_yaml_ng::from_str(&text)
    };
    Ok((text, parsed))
}

fn sidecar_layer(
    file: &str,
    path: &Path,
    read: &SidecarRead,
    catalog: &Catalog,
    diagnostics: &mut Diagnostics,
) -> Option<Layer> {
    if let SidecarOutcome::Cached(fields) = &read.outcome {
        // Values that check clean need no text; any problem is reported
        // from the file itself, with its positions.
        let mut found = Diagnostics::default();
        let layer = fields
            .clone()
            .validate(file, "", 0, Code::SidecarInvalid, catalog, &mut found);
        if found.is_empty() {
            return layer;
        }
    }
    let fresh;
    let (text, parsed) = match &read.outcome {
        SidecarOutcome::Read(text, parsed) => (text, parsed),
        SidecarOutcome::Unreadable(error) => {
            diagnostics
                .push(Diagnostic::new(Code::FileUnreadable, format!("{error:#}")).in_file(file));
            return None;
        }
        SidecarOutcome::Cached(_) => match parse_sidecar(path) {
            Ok(read) => {
                fresh = read;
                (&fresh.0, &fresh.1)
            }
            Err(error) => {
                diagnostics.push(
                    Diagnostic::new(Code::FileUnreadable, format!("{error:#}")).in_file(file),
                );
                return None;
            }
        },
    };
    let raw = match parsed {
        Ok(raw) => raw.clone(),
        Err(error) => {
            diagnostics.push(yaml_diagnostic(
                Code::SidecarInvalid,
                error,
                file,
                0,
                SIDECAR_KEYS,
            ));
            return None;
        }
    };
    Fields::from(raw).validate(file, text, 0, Code::SidecarInvalid, catalog, diagnostics)
}

impl From<RawSidecar> for Fields {
    fn from(raw: RawSidecar) -> Fields {
        Fields {
            title: raw.title,
            description: raw.description,
            controls: raw.controls,
            classification: raw.classification,
            collected_at: raw.collected_at,
            max_age: raw.max_age,
            source: raw.source,
        }
    }
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
#[derive(Clone)]
struct Fields {
    title: Option<String>,
    description: Option<String>,
    controls: Option<Vec<String>>,
    classification: Option<Classification>,
    collected_at: Option<String>,
    max_age: Option<String>,
    source: Option<String>,
}

record!(Fields {
    title,
    description,
    controls,
    classification,
    collected_at,
    max_age,
    source
});

tags!(Classification {
    Public = 0,
    Customer = 1,
    Internal = 2,
    Confidential = 3
});

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
    read: FileRead,
    catalog: &Catalog,
    config: Option<&Config>,
    rule_index: Option<usize>,
    front_matter: Option<Layer>,
    sidecar: Option<Layer>,
    history: &History,
) -> Evidence {
    let FileRead {
        facts,
        details,
        content_key,
    } = read;
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
        details,
        content_key,
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
