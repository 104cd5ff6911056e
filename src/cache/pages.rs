//! The page cache of a site folder, `<site>/.cache/<period>/`:
//!
//! - `live`: a [`Record`] of every file of `<site>/<period>/`: its
//!   fingerprint (what it was rendered from), sha256, size, and the
//!   modification time and inode it had when written;
//! - `spare/` and `spare.records`: the previous version of the period's
//!   folder, kept after it was swapped out instead of being deleted, and its
//!   records.
//!
//! A build takes the spare as its temporary folder, keeps the files whose
//! fingerprint did not change, hard-links unchanged files from the live
//! folder, and writes the rest; the folder it replaces becomes the next
//! spare. A file is trusted only when its size, modification time and inode
//! are still the recorded ones; a file that no record vouches for is
//! removed. Files are never opened for writing once they exist (they may
//! be hard-linked into a published period): a changed file is unlinked and
//! written anew.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::codec::{put_bytes, Codec, Reader};
use super::{checksum, identity, Digest16, FastMap, FastSet, FileKey};

const MAGIC: &[u8; 16] = b"auditbook-cache\n";
const NAME: &str = "pages";
/// Raise when the layout of the records changes.
const FORMAT: u32 = 3;

/// One file of a portal version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Record {
    pub fingerprint: Digest16,
    pub sha256: [u8; 32],
    pub size: u64,
    pub stamp: Stamp,
    /// What else a kind of file needs remembered: for a redacted copy,
    /// whether it is text and how many secrets were redacted.
    pub note: u64,
}

/// What must not have changed for a file to be trusted: its size,
/// modification time and inode. (Not its change time: hard-linking a file
/// changes that.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stamp {
    pub size: u64,
    pub mtime: i64,
    pub mtime_ns: i64,
    pub inode: u64,
}

impl Stamp {
    pub fn of(metadata: &std::fs::Metadata) -> Stamp {
        let key = FileKey::of(metadata);
        Stamp {
            size: key.size,
            mtime: key.mtime,
            mtime_ns: key.mtime_ns,
            inode: key.inode,
        }
    }
}

/// Every file of one folder, by `/`-separated relative path.
pub type Records = FastMap<String, Record>;

/// Records read and checked, decoded on first use: a build that keeps
/// everything from the spare, or renders what it does not keep, never
/// needs the live folder's. The sorted fingerprints that follow the
/// records answer "is there a file with this fingerprint?" without them.
pub struct LazyRecords {
    /// The whole file, and where its records and then its sorted
    /// fingerprints lie in it.
    data: Vec<u8>,
    records_at: std::ops::Range<usize>,
    fingerprints_at: std::ops::Range<usize>,
    records: std::sync::OnceLock<Records>,
}

impl LazyRecords {
    pub fn get(&self) -> &Records {
        self.records
            .get_or_init(|| parse_body(&self.data[self.records_at.clone()]).unwrap_or_default())
    }

    /// The records keyed by paths borrowed from the file, for one pass
    /// that needs no map of its own.
    pub fn borrowed(&self) -> FastMap<&str, Record> {
        let mut body = Reader::new(&self.data[self.records_at.clone()]);
        let Some(count) = body.len() else {
            return FastMap::default();
        };
        let mut records = FastMap::with_capacity_and_hasher(count, Default::default());
        for _ in 0..count {
            let Some(path) = body
                .len()
                .and_then(|n| body.take(n))
                .and_then(|b| std::str::from_utf8(b).ok())
            else {
                return FastMap::default();
            };
            let Some(record) = decode_record_fields(&mut body) else {
                return FastMap::default();
            };
            records.insert(path, record);
        }
        records
    }

    /// Whether some file has `fingerprint`.
    pub fn has(&self, fingerprint: &Digest16) -> bool {
        let sorted = &self.data[self.fingerprints_at.clone()];
        let n = sorted.len() / 16;
        let at = |i: usize| &sorted[i * 16..i * 16 + 16];
        let (mut low, mut high) = (0, n);
        while low < high {
            let middle = (low + high) / 2;
            match at(middle).cmp(fingerprint.as_slice()) {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }
}

/// The page cache of one period, as found at the start of a build.
pub struct PageCache {
    dir: PathBuf,
    /// The records of the live period folder.
    pub live: Option<LazyRecords>,
    spare: Option<LazyRecords>,
    /// Why a part of the cache was not used, for `-v`.
    pub notes: Vec<String>,
}

/// The temporary folder of a build and the files already in it.
#[derive(Default)]
pub struct Working {
    /// Each file found in the folder, with its record when the record
    /// still vouches for it.
    pub existing: FastMap<String, Option<Record>>,
    /// Every folder in it, relative.
    pub dirs: FastSet<String>,
}

impl PageCache {
    /// The cache of `<site>/<period>`.
    pub fn open(site: &Path, period: &str) -> PageCache {
        let dir = site.join(".cache").join(period);
        let mut notes = Vec::new();
        let mut read = |name: &str| match read_records(&dir.join(name)) {
            Ok(records) => Some(records),
            Err(reason) => {
                if !reason.is_empty() {
                    notes.push(format!("{name} page records ignored: {reason}"));
                }
                None
            }
        };
        let live = read("live.records");
        let spare = read("spare.records");
        PageCache {
            dir,
            live,
            spare,
            notes,
        }
    }

    fn spare_dir(&self) -> PathBuf {
        self.dir.join("spare")
    }

    /// Makes `to` the build's temporary folder: the spare when its records
    /// can be read (its files checked against them), else a new folder.
    pub fn take_spare(&mut self, to: &Path) -> std::io::Result<Working> {
        let spare = self.spare_dir();
        // The records stay: they vouch only for files whose stamps still
        // match, wherever the folder is.
        if let Some(records) = self.spare.take() {
            if std::fs::rename(&spare, to).is_ok() {
                return Ok(verify(to, &records.borrowed()));
            }
        }
        if spare.exists() {
            let _ = std::fs::remove_dir_all(&spare);
        }
        std::fs::create_dir_all(to)?;
        Ok(Working::default())
    }

    /// Puts a spare taken by [`take_spare`](Self::take_spare) back,
    /// untouched, for a build that did not go ahead.
    pub fn put_back(&self, taken: &Path) {
        let spare = self.spare_dir();
        if spare.exists() || std::fs::rename(taken, &spare).is_err() {
            let _ = std::fs::remove_dir_all(taken);
        }
    }

    /// Sets the live records aside before the live folder is replaced: they
    /// describe the folder being retired, the next spare.
    pub fn retire_live(&self) {
        let _ = std::fs::rename(
            self.dir.join("live.records"),
            self.dir.join("retired.records"),
        );
    }

    /// Records the live folder's files, sorted by path.
    pub fn save_live(&self, records: &[(String, Record)]) -> Result<(), String> {
        self.create()
            .map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
        write_records(&self.dir.join("live.records"), records)
    }

    /// Keeps `dir` as the next spare, described by `records` or, without
    /// them, by the records [`retire_live`](Self::retire_live) set aside;
    /// removes it when there are no records (or it cannot be kept).
    pub fn keep_spare(
        &self,
        dir: &Path,
        records: Option<&[(String, Record)]>,
    ) -> Result<(), String> {
        let spare = self.spare_dir();
        let retired = self.dir.join("retired.records");
        let _ = std::fs::remove_file(self.dir.join("spare.records"));
        if spare.exists() {
            std::fs::remove_dir_all(&spare)
                .map_err(|e| format!("cannot remove {}: {e}", spare.display()))?;
        }
        let described = match records {
            Some(records) => {
                let _ = std::fs::remove_file(&retired);
                write_records(&retired, records).is_ok()
            }
            None => retired.is_file(),
        };
        if described
            && self.create().is_ok()
            && std::fs::rename(dir, &spare).is_ok()
            && std::fs::rename(&retired, self.dir.join("spare.records")).is_ok()
        {
            return Ok(());
        }
        let _ = std::fs::remove_file(&retired);
        for folder in [dir, spare.as_path()] {
            if folder.exists() {
                std::fs::remove_dir_all(folder)
                    .map_err(|e| format!("cannot remove {}: {e}", folder.display()))?;
            }
        }
        Ok(())
    }

    fn create(&self) -> std::io::Result<()> {
        if let Some(cache) = self.dir.parent() {
            super::create_dir(cache)?;
        }
        std::fs::create_dir_all(&self.dir)
    }
}

/// Walks `dir` and checks each file against its record.
fn verify(dir: &Path, records: &FastMap<&str, Record>) -> Working {
    // A folder that cannot be read is left to fail the build where a file
    // in it is written; what was found is still checked.
    let listing = walk(dir, String::new()).unwrap_or_default();
    let mut working = Working::default();
    working.existing.reserve(listing.files.len());
    for (path, stamp) in listing.files {
        let record = records
            .get(path.as_str())
            .filter(|r| stamp.is_some_and(|s| s == r.stamp))
            .copied();
        working.existing.insert(path, record);
    }
    working.dirs = listing.dirs.into_iter().collect();
    working
}

#[derive(Default)]
struct Listing {
    files: Vec<(String, Option<Stamp>)>,
    dirs: Vec<String>,
}

/// Every file under `dir` (shown as `relative`) with its stamp, the
/// subfolders walked in parallel.
fn walk(dir: &Path, relative: String) -> std::io::Result<Listing> {
    let prefix = if relative.is_empty() {
        String::new()
    } else {
        format!("{relative}/")
    };
    let mut listing = Listing::default();
    let mut subdirs = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let mut child = String::with_capacity(prefix.len() + name.len());
        child.push_str(&prefix);
        child.push_str(&name);
        match entry.file_type() {
            Ok(t) if t.is_dir() => subdirs.push((entry.path(), child)),
            Ok(t) if t.is_file() => {
                let stamp = entry.metadata().ok().map(|m| Stamp::of(&m));
                listing.files.push((child, stamp));
            }
            // Anything else is not ours: it is removed like any file no
            // record vouches for.
            _ => listing.files.push((child, None)),
        }
    }
    let nested: Vec<Listing> = subdirs
        .into_par_iter()
        .map(|(path, child)| {
            let mut nested = walk(&path, child.clone()).unwrap_or_default();
            nested.dirs.push(child);
            nested
        })
        .collect();
    for more in nested {
        listing.files.extend(more.files);
        listing.dirs.extend(more.dirs);
    }
    Ok(listing)
}

fn read_records(path: &Path) -> Result<LazyRecords, String> {
    let data = match std::fs::read(path) {
        Ok(data) => data,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(String::new()),
        Err(e) => return Err(format!("cannot read them: {e}")),
    };
    let identity = identity().ok_or("the program cannot identify itself")?;
    let body = checked_body(&data, identity)?;
    let start = body.as_ptr() as usize - data.as_ptr() as usize;
    let mut reader = Reader::new(body);
    let len = reader.len().ok_or("corrupt")?;
    let records_start = start + body.len() - reader.remaining();
    let fingerprints_start = records_start + len;
    let end = start + body.len();
    if (end - fingerprints_start) % 16 != 0 {
        return Err("corrupt".into());
    }
    Ok(LazyRecords {
        records_at: records_start..fingerprints_start,
        fingerprints_at: fingerprints_start..end,
        data,
        records: std::sync::OnceLock::new(),
    })
}

/// The records of a file, once its header and checksum hold.
fn checked_body<'a>(data: &'a [u8], identity: &str) -> Result<&'a [u8], &'static str> {
    let mut reader = Reader::new(data);
    if reader.take(MAGIC.len()) != Some(MAGIC.as_slice())
        || String::decode(&mut reader).as_deref() != Some(NAME)
    {
        return Err("not page records");
    }
    if u32::decode(&mut reader) != Some(FORMAT) {
        return Err("written in another format");
    }
    if String::decode(&mut reader).as_deref() != Some(identity) {
        return Err("written by another build of auditbook");
    }
    let len = reader.len().ok_or("truncated")?;
    let body = reader.take(len).ok_or("truncated")?;
    let check = u64::from_le_bytes(reader.array().ok_or("truncated")?);
    if checksum(body) != check || !reader.is_empty() {
        return Err("corrupt");
    }
    Ok(body)
}

fn parse_body(body: &[u8]) -> Option<Records> {
    let mut body = Reader::new(body);
    let count = body.len()?;
    let mut records = Records::with_capacity_and_hasher(count, Default::default());
    for _ in 0..count {
        let (path, record) = decode_record(&mut body)?;
        records.insert(path, record);
    }
    body.is_empty().then_some(records)
}

fn decode_record(input: &mut Reader<'_>) -> Option<(String, Record)> {
    let path = String::decode(input)?;
    Some((path, decode_record_fields(input)?))
}

fn decode_record_fields(input: &mut Reader<'_>) -> Option<Record> {
    let fingerprint = input.array()?;
    let sha256 = input.array()?;
    let size = u64::decode(input)?;
    let stamp = Stamp {
        size,
        mtime: i64::decode(input)?,
        mtime_ns: i64::decode(input)?,
        inode: u64::decode(input)?,
    };
    let note = u64::decode(input)?;
    Some(Record {
        fingerprint,
        sha256,
        size,
        stamp,
        note,
    })
}

fn write_records(path: &Path, records: &[(String, Record)]) -> Result<(), String> {
    let identity = identity().ok_or("the program cannot identify itself")?;
    let mut entries = Vec::with_capacity(records.len() * 120);
    (records.len() as u64).encode(&mut entries);
    let body = &mut entries;
    for (path, record) in records {
        path.encode(body);
        body.extend_from_slice(&record.fingerprint);
        body.extend_from_slice(&record.sha256);
        record.size.encode(body);
        record.stamp.mtime.encode(body);
        record.stamp.mtime_ns.encode(body);
        record.stamp.inode.encode(body);
        record.note.encode(body);
    }
    let mut fingerprints: Vec<Digest16> = records.iter().map(|(_, r)| r.fingerprint).collect();
    fingerprints.sort_unstable();
    fingerprints.dedup();
    let mut body = Vec::with_capacity(entries.len() + fingerprints.len() * 16 + 16);
    put_bytes(&mut body, &entries);
    for fingerprint in &fingerprints {
        body.extend_from_slice(fingerprint);
    }
    let mut data = Vec::with_capacity(body.len() + 128);
    data.extend_from_slice(MAGIC);
    NAME.to_string().encode(&mut data);
    FORMAT.encode(&mut data);
    identity.to_string().encode(&mut data);
    put_bytes(&mut data, &body);
    data.extend_from_slice(&checksum(&body).to_le_bytes());
    crate::fsutil::write_atomic(path, &data).map_err(|e| format!("{e:#}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_reject_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.records");
        let records = vec![(
            "evidence/a b.html".to_string(),
            Record {
                fingerprint: [7; 16],
                sha256: [9; 32],
                size: 1234,
                stamp: Stamp {
                    size: 1234,
                    mtime: 1_795_000_000,
                    mtime_ns: 5,
                    inode: 42,
                },
                note: 3,
            },
        )];
        write_records(&path, &records).unwrap();
        let lazy = read_records(&path).unwrap();
        assert!(lazy.has(&[7; 16]) && !lazy.has(&[8; 16]) && !lazy.has(&[0; 16]));
        let read: Vec<_> = lazy.get().clone().into_iter().collect();
        assert_eq!(read, records);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 20;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(read_records(&path).is_err());
        std::fs::write(&path, b"auditbook-cache\nnonsense").unwrap();
        assert!(read_records(&path).is_err());
    }
}
