//! Where rendered files go: a folder, written in parallel, or a [`Sink`]
//! that takes each file's bytes as they are produced (a bundle deflates
//! them straight into its zip); either way the sha256 and size of every
//! file are kept for `manifest.json`.
//!
//! Each file comes with its fingerprint (see `fingerprint`). A file whose
//! fingerprint matches one already in the folder (the build's folder starts
//! as the previous version's spare) is kept as it is; one that matches a
//! file of the live period folder is hard-linked from there (copied where
//! links are not possible). Only the rest is rendered. Output never opens
//! an existing path for writing: a file in the way is unlinked first, so
//! that a file shared with a published period through a hard link can
//! never change under it.

use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cache::pages::{LazyRecords, Record, Stamp, Working};
use crate::cache::{Digest16, FastMap, FastSet, FileKey};

/// One file of a portal version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ManifestEntry {
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

/// The live period folder, whose unchanged files a build links.
pub struct Previous {
    pub dir: PathBuf,
    pub records: LazyRecords,
}

/// Takes the files of a portal that is not written to a folder, each whole,
/// on the thread that produced it, in no particular order.
pub trait Sink: Send + Sync {
    fn put(&self, relative: &str, bytes: &[u8]) -> anyhow::Result<()>;
}

pub struct Output {
    root: PathBuf,
    /// Set when files go to a sink rather than under `root`.
    sink: Option<Arc<dyn Sink>>,
    /// Files already in `root`, and the records that still vouch for them.
    existing: FastMap<String, Option<Record>>,
    previous: Option<Previous>,
    /// Fingerprint -> a redacted copy that has it, in `root` or the live
    /// folder: built on first need, for evidence that moved.
    by_fingerprint: OnceLock<FastMap<Digest16, (bool, String)>>,
    dirs: Mutex<FastSet<String>>,
    kept: AtomicUsize,
    linked: AtomicUsize,
    written: AtomicUsize,
    /// Render reused files too and fail if they differ (for tests).
    verify: bool,
}

/// What a build produced.
pub struct Finished {
    /// Every file's record, sorted by path.
    pub records: Vec<(String, Record)>,
}

impl Output {
    /// A new, empty folder at `root`.
    pub fn new(root: &Path) -> anyhow::Result<Output> {
        std::fs::create_dir_all(root)
            .with_context(|| format!("cannot create {}", root.display()))?;
        Ok(Output::reusing(root, Working::default(), None))
    }

    /// `root`, which already holds `working`, with `previous` to link from.
    pub fn reusing(root: &Path, working: Working, previous: Option<Previous>) -> Output {
        Output {
            root: root.to_path_buf(),
            sink: None,
            existing: working.existing,
            previous,
            by_fingerprint: OnceLock::new(),
            dirs: Mutex::new(working.dirs),
            kept: AtomicUsize::new(0),
            linked: AtomicUsize::new(0),
            written: AtomicUsize::new(0),
            verify: std::env::var_os("AUDITBOOK_VERIFY_REUSE").is_some_and(|v| v == "1"),
        }
    }

    /// No folder: every file goes to `sink`, nothing is reused.
    pub fn to_sink(sink: Arc<dyn Sink>) -> Output {
        Output {
            sink: Some(sink),
            ..Output::reusing(Path::new(""), Working::default(), None)
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Hands `bytes` to the sink and makes their record.
    fn put(
        &self,
        sink: &dyn Sink,
        relative: &str,
        bytes: &[u8],
        fingerprint: Digest16,
        sha256: Option<[u8; 32]>,
    ) -> anyhow::Result<Record> {
        let record = Record {
            fingerprint,
            sha256: sha256.unwrap_or_else(|| Sha256::digest(bytes).into()),
            size: bytes.len() as u64,
            stamp: Stamp::default(),
            note: 0,
        };
        sink.put(relative, bytes)?;
        self.written.fetch_add(1, Ordering::Relaxed);
        Ok(record)
    }

    /// Whether reused files are to be rendered again and compared.
    pub fn verifying(&self) -> bool {
        self.verify
    }

    /// Creates the folders of `relative` (once each) and returns its path,
    /// with any file in the way removed.
    fn target(&self, relative: &str) -> anyhow::Result<PathBuf> {
        let path = self.root.join(relative);
        if let Some((parent, _)) = relative.rsplit_once('/') {
            let known = self
                .dirs
                .lock()
                .expect("no writer panics while holding the lock")
                .contains(parent);
            if !known {
                let dir = self.root.join(parent);
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                let mut dirs = self.dirs.lock().expect("no writer panics");
                let mut folder = parent;
                loop {
                    dirs.insert(folder.to_string());
                    match folder.rsplit_once('/') {
                        Some((up, _)) => folder = up,
                        None => break,
                    }
                }
            }
        }
        if self.existing.contains_key(relative) {
            match std::fs::remove_file(&path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => {
                    return Err(e).with_context(|| format!("cannot replace {}", path.display()))
                }
                _ => {}
            }
        }
        Ok(path)
    }

    /// Puts the file with `fingerprint` at `relative` if one exists: kept
    /// when it is there already, else linked. With `anywhere`, a file of
    /// that fingerprint at another path will do (a copy of evidence that
    /// moved). `None` when it must be rendered.
    pub fn reuse(
        &self,
        relative: &str,
        fingerprint: Digest16,
        anywhere: bool,
    ) -> anyhow::Result<Option<Record>> {
        if let Some(Some(record)) = self.existing.get(relative) {
            if record.fingerprint == fingerprint {
                self.kept.fetch_add(1, Ordering::Relaxed);
                return Ok(Some(*record));
            }
        }
        let in_live = self
            .previous
            .as_ref()
            .filter(|p| p.records.has(&fingerprint));
        let source = match in_live {
            Some(previous)
                if previous
                    .records
                    .get()
                    .get(relative)
                    .is_some_and(|r| r.fingerprint == fingerprint) =>
            {
                Some((false, relative))
            }
            _ if anywhere => self
                .fingerprints()
                .get(&fingerprint)
                .map(|(working, path)| (*working, path.as_str())),
            _ => None,
        };
        let Some((in_working, from)) = source else {
            return Ok(None);
        };
        let (dir, record) = if in_working {
            match self.existing.get(from) {
                Some(Some(record)) => (&self.root, *record),
                _ => return Ok(None),
            }
        } else {
            match &self.previous {
                Some(previous) => match previous.records.get().get(from) {
                    Some(record) => (&previous.dir, *record),
                    None => return Ok(None),
                },
                None => return Ok(None),
            }
        };
        let source = dir.join(from);
        let target = self.target(relative)?;
        let stamp = if std::fs::hard_link(&source, &target).is_ok() {
            // Good only if the link reached the file the record vouches
            // for, not one put there since.
            match std::fs::symlink_metadata(&target).map(|m| Stamp::of(&m)) {
                Ok(stamp) if stamp == record.stamp => stamp,
                _ => {
                    let _ = std::fs::remove_file(&target);
                    return Ok(None);
                }
            }
        } else if copy_checked(&source, &target, &record) {
            match std::fs::symlink_metadata(&target) {
                Ok(metadata) => Stamp::of(&metadata),
                Err(_) => return Ok(None),
            }
        } else {
            return Ok(None);
        };
        self.linked.fetch_add(1, Ordering::Relaxed);
        Ok(Some(Record { stamp, ..record }))
    }

    fn fingerprints(&self) -> &FastMap<Digest16, (bool, String)> {
        self.by_fingerprint.get_or_init(|| {
            let mut map = FastMap::default();
            if let Some(previous) = &self.previous {
                for (path, record) in previous.records.get() {
                    if path.starts_with("raw/") {
                        map.insert(record.fingerprint, (false, path.clone()));
                    }
                }
            }
            for (path, record) in &self.existing {
                if let Some(record) = record.filter(|_| path.starts_with("raw/")) {
                    map.insert(record.fingerprint, (true, path.clone()));
                }
            }
            map
        })
    }

    /// Writes `bytes` to `relative` (a `/`-separated path).
    pub fn write(
        &self,
        relative: &str,
        bytes: &[u8],
        fingerprint: Digest16,
    ) -> anyhow::Result<Record> {
        self.write_known(relative, bytes, fingerprint, None)
    }

    /// [`write`](Self::write) of bytes whose sha256 may be `known` already.
    pub fn write_known(
        &self,
        relative: &str,
        bytes: &[u8],
        fingerprint: Digest16,
        sha256: Option<[u8; 32]>,
    ) -> anyhow::Result<Record> {
        if let Some(sink) = &self.sink {
            return self.put(sink.as_ref(), relative, bytes, fingerprint, sha256);
        }
        let path = self.target(relative)?;
        let stamp = write_new(&path, bytes)?;
        self.written.fetch_add(1, Ordering::Relaxed);
        Ok(Record {
            fingerprint,
            sha256: sha256.unwrap_or_else(|| Sha256::digest(bytes).into()),
            size: bytes.len() as u64,
            stamp,
            note: 0,
        })
    }

    /// Writes a file that is not part of the manifest (the manifest
    /// itself); returns its sha256.
    pub fn write_unlisted(&self, relative: &str, bytes: &[u8]) -> anyhow::Result<String> {
        if let Some(sink) = &self.sink {
            sink.put(relative, bytes)?;
            return Ok(hex::encode(Sha256::digest(bytes)));
        }
        let path = self.target(relative)?;
        write_new(&path, bytes)?;
        Ok(hex::encode(Sha256::digest(bytes)))
    }

    /// Copies the open file `input` (read from its start; `source` names
    /// it in errors) unchanged. Its sha256 is taken as `known` when the
    /// file still has the key given with it once copied, else computed.
    pub fn copy(
        &self,
        relative: &str,
        source: &Path,
        mut input: File,
        known: Option<([u8; 32], FileKey)>,
        fingerprint: Digest16,
    ) -> anyhow::Result<Record> {
        let cannot_read = || format!("cannot read {}", source.display());
        input.rewind().with_context(cannot_read)?;
        let still_known = |input: &File| {
            known
                .filter(|(_, key)| FileKey::of_file(input) == Some(*key))
                .map(|(sha256, _)| sha256)
        };
        if let Some(sink) = &self.sink {
            let mut bytes = Vec::new();
            input.read_to_end(&mut bytes).with_context(cannot_read)?;
            let sha256 = still_known(&input);
            return self.put(sink.as_ref(), relative, &bytes, fingerprint, sha256);
        }
        let path = self.target(relative)?;
        let mut output = create_new(&path)?;
        let size = io::copy(&mut input, &mut output)
            .with_context(|| format!("cannot copy {} to {}", source.display(), path.display()))?;
        let sha256 = match still_known(&input) {
            Some(sha256) => sha256,
            // Changed since it was loaded (rare): hash what was written.
            None => {
                let mut hasher = Sha256::new();
                File::open(&path)
                    .and_then(|mut written| io::copy(&mut written, &mut hasher))
                    .with_context(|| format!("cannot read {}", path.display()))?;
                hasher.finalize().into()
            }
        };
        let stamp = stamp_of(&output, &path)?;
        self.written.fetch_add(1, Ordering::Relaxed);
        Ok(Record {
            fingerprint,
            sha256,
            size,
            stamp,
            note: 0,
        })
    }

    /// Streams `source` through `transform` in blocks of whole lines into
    /// `relative`, hashing what is written.
    pub fn write_blocks(
        &self,
        relative: &str,
        source: &Path,
        fingerprint: Digest16,
        transform: impl FnMut(&[u8], &mut Vec<u8>),
    ) -> anyhow::Result<Record> {
        if let Some(sink) = &self.sink {
            // About the source's size: growing the buffer by doubling
            // would copy it again and again.
            let size = std::fs::metadata(source).map_or(0, |m| m.len());
            let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
            transform_blocks(source, &mut bytes, transform)?;
            return self.put(sink.as_ref(), relative, &bytes, fingerprint, None);
        }
        let path = self.target(relative)?;
        let file = create_new(&path)?;
        let mut writer = HashingWriter {
            inner: io::BufWriter::with_capacity(256 * 1024, file),
            hasher: Sha256::new(),
            size: 0,
        };
        transform_blocks(source, &mut writer, transform)
            .with_context(|| format!("cannot write {}", path.display()))?;
        let file = writer
            .inner
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("cannot write {}", path.display()))?;
        let record = Record {
            fingerprint,
            sha256: writer.hasher.finalize().into(),
            size: writer.size,
            stamp: stamp_of(&file, &path)?,
            note: 0,
        };
        self.written.fetch_add(1, Ordering::Relaxed);
        Ok(record)
    }

    /// Removes what is left of the previous version, and returns every file
    /// produced (`records`), sorted by path.
    pub fn finish(&self, mut records: Vec<(String, Record)>) -> anyhow::Result<Finished> {
        // Stable: the groups come nearly sorted, and runs are merged fast.
        records.sort_by(|a, b| a.0.cmp(&b.0));
        // Each path is produced once; a second would be a bug here.
        if let Some(twice) = records.windows(2).find(|w| w[0].0 == w[1].0) {
            anyhow::bail!("{} was produced twice", twice[0].0);
        }
        // Every file of the previous version not produced again goes.
        let mut emptied = FastSet::default();
        let replaced = records
            .iter()
            .filter(|(path, _)| self.existing.contains_key(path))
            .count();
        // The manifest is written after this, over the one in the way.
        let manifest = usize::from(self.existing.contains_key(crate::render::MANIFEST));
        let leftovers = self.existing.len() - replaced - manifest;
        let produced: FastSet<&str> = if leftovers > 0 {
            records.iter().map(|(p, _)| p.as_str()).collect()
        } else {
            FastSet::default()
        };
        for path in self.existing.keys().filter(|_| leftovers > 0) {
            if !produced.contains(path.as_str()) && path != crate::render::MANIFEST {
                let full = self.root.join(path);
                match std::fs::remove_file(&full) {
                    Err(e) if e.kind() != io::ErrorKind::NotFound => {
                        // Not a file (a folder where a file was expected).
                        std::fs::remove_dir_all(&full)
                            .with_context(|| format!("cannot remove {}", full.display()))?;
                    }
                    _ => {}
                }
                if let Some((parent, _)) = path.rsplit_once('/') {
                    emptied.insert(parent.to_string());
                }
            }
        }
        // Folders left empty, deepest first.
        let mut emptied: Vec<String> = emptied.into_iter().collect();
        emptied.sort_by_key(|p| std::cmp::Reverse(p.matches('/').count()));
        for folder in emptied {
            let mut folder = folder.as_str();
            while std::fs::remove_dir(self.root.join(folder)).is_ok() {
                match folder.rsplit_once('/') {
                    Some((up, _)) => folder = up,
                    None => break,
                }
            }
        }
        let count = |n: &AtomicUsize| n.swap(0, Ordering::Relaxed);
        crate::timing::count("files kept from the previous build", count(&self.kept));
        crate::timing::count("files linked from the live folder", count(&self.linked));
        crate::timing::count("files rendered or copied", count(&self.written));
        Ok(Finished { records })
    }
}

impl Output {
    /// The live folder's records, handed back.
    pub fn into_previous(self) -> Option<Previous> {
        self.previous
    }
}

fn create_new(path: &Path) -> anyhow::Result<File> {
    File::options()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))
}

fn stamp_of(file: &File, path: &Path) -> anyhow::Result<Stamp> {
    file.metadata()
        .map(|m| Stamp::of(&m))
        .with_context(|| format!("cannot read {}", path.display()))
}

fn write_new(path: &Path, bytes: &[u8]) -> anyhow::Result<Stamp> {
    let mut file = create_new(path)?;
    file.write_all(bytes)
        .with_context(|| format!("cannot write {}", path.display()))?;
    stamp_of(&file, path)
}

/// Copies `source` to a new `target` and checks it against `record`.
fn copy_checked(source: &Path, target: &Path, record: &Record) -> bool {
    let copy = || -> io::Result<bool> {
        let mut input = File::open(source)?;
        let mut output = File::options().write(true).create_new(true).open(target)?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 256 * 1024];
        loop {
            let n = input.read(&mut buffer)?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
            output.write_all(&buffer[..n])?;
        }
        Ok(<[u8; 32]>::from(hasher.finalize()) == record.sha256)
    };
    match copy() {
        Ok(true) => true,
        _ => {
            let _ = std::fs::remove_file(target);
            false
        }
    }
}

/// Bytes read at a time by [`transform_blocks`].
const BLOCK: usize = 256 * 1024;

/// Streams `source` through `transform` into `out`, in blocks of whole
/// lines (a line longer than a block comes whole; only the file's last
/// line may lack its line ending).
pub fn transform_blocks(
    source: &Path,
    out: &mut impl Write,
    mut transform: impl FnMut(&[u8], &mut Vec<u8>),
) -> anyhow::Result<()> {
    let mut input =
        File::open(source).with_context(|| format!("cannot read {}", source.display()))?;
    let mut chunk = vec![0u8; BLOCK];
    // The start of a line whose end is not read yet.
    let mut pending = Vec::new();
    let mut transformed = Vec::new();
    let mut emit = |block: &[u8], out: &mut dyn Write| -> io::Result<()> {
        transformed.clear();
        transform(block, &mut transformed);
        out.write_all(&transformed)
    };
    loop {
        let n = match input.read(&mut chunk) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            read => read.with_context(|| format!("cannot read {}", source.display()))?,
        };
        if n == 0 {
            if !pending.is_empty() {
                emit(&pending, out)?;
            }
            return Ok(());
        }
        let read = &chunk[..n];
        let Some(last) = memchr::memrchr(b'\n', read) else {
            pending.extend_from_slice(read);
            continue;
        };
        if pending.is_empty() {
            emit(&read[..=last], out)?;
        } else {
            pending.extend_from_slice(&read[..=last]);
            emit(&pending, out)?;
            pending.clear();
        }
        pending.extend_from_slice(&read[last + 1..]);
    }
}

struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    size: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
