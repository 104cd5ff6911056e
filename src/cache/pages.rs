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

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::codec::{put_bytes, Codec, Reader};
use super::{digest16, identity, Digest16, FileKey};

const MAGIC: &[u8; 16] = b"auditbook-cache\n";
const NAME: &str = "pages";
/// Raise when the layout of the records changes.
const FORMAT: u32 = 1;

/// One file of a portal version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
pub type Records = HashMap<String, Record>;

/// The page cache of one period, as found at the start of a build.
pub struct PageCache {
    dir: PathBuf,
    /// The records of the live period folder.
    pub live: Option<Records>,
    spare: Option<Records>,
    /// Why a part of the cache was not used, for `-v`.
    pub notes: Vec<String>,
}

/// The temporary folder of a build and the files already in it.
#[derive(Default)]
pub struct Working {
    /// Each file found in the folder, with its record when the record
    /// still vouches for it.
    pub existing: HashMap<String, Option<Record>>,
    /// Every folder in it, relative.
    pub dirs: HashSet<String>,
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
        let records = self.spare.take();
        // The records describe the spare only while it sits there.
        let _ = std::fs::remove_file(self.dir.join("spare.records"));
        if let Some(records) = records {
            if std::fs::rename(&spare, to).is_ok() {
                return Ok(verify(to, &records));
            }
        }
        if spare.exists() {
            let _ = std::fs::remove_dir_all(&spare);
        }
        std::fs::create_dir_all(to)?;
        Ok(Working {
            existing: HashMap::new(),
            dirs: HashSet::new(),
        })
    }

    /// Forgets the live records, before the live folder changes.
    pub fn forget_live(&self) {
        let _ = std::fs::remove_file(self.dir.join("live.records"));
    }

    /// Records the live folder's files.
    pub fn save_live(&self, records: &Records) -> Result<(), String> {
        self.create()
            .map_err(|e| format!("cannot create {}: {e}", self.dir.display()))?;
        write_records(&self.dir.join("live.records"), records)
    }

    /// Keeps `dir`, whose files `records` describe, as the next spare; or
    /// removes it when there are no records (or it cannot be kept).
    pub fn keep_spare(&self, dir: &Path, records: Option<&Records>) -> Result<(), String> {
        let spare = self.spare_dir();
        let _ = std::fs::remove_file(self.dir.join("spare.records"));
        if spare.exists() {
            std::fs::remove_dir_all(&spare)
                .map_err(|e| format!("cannot remove {}: {e}", spare.display()))?;
        }
        if let Some(records) = records {
            if self.create().is_ok()
                && std::fs::rename(dir, &spare).is_ok()
                && write_records(&self.dir.join("spare.records"), records).is_ok()
            {
                return Ok(());
            }
        }
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
fn verify(dir: &Path, records: &Records) -> Working {
    let mut found = Vec::new();
    let mut dirs = HashSet::new();
    // A folder that cannot be read is left to fail the build where a file
    // in it is written; what was found is still checked.
    let _ = walk(dir, "", &mut found, &mut dirs);
    let existing = found
        .into_par_iter()
        .map(|(path, stamp)| {
            let record = records
                .get(&path)
                .filter(|r| stamp.is_some_and(|s| s == r.stamp))
                .copied();
            (path, record)
        })
        .collect();
    Working { existing, dirs }
}

type Found = (String, Option<Stamp>);

fn walk(
    dir: &Path,
    relative: &str,
    found: &mut Vec<Found>,
    dirs: &mut HashSet<String>,
) -> std::io::Result<()> {
    let entries = std::fs::read_dir(dir)?.collect::<std::io::Result<Vec<_>>>()?;
    let results: Vec<(Vec<Found>, HashSet<String>)> = entries
        .par_iter()
        .map(|entry| {
            let mut found = Vec::new();
            let mut dirs = HashSet::new();
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = if relative.is_empty() {
                name
            } else {
                format!("{relative}/{name}")
            };
            match entry.file_type() {
                Ok(t) if t.is_dir() => {
                    let _ = walk(&entry.path(), &child, &mut found, &mut dirs);
                    dirs.insert(child);
                }
                Ok(t) if t.is_file() => {
                    let stamp = entry.metadata().ok().map(|m| Stamp::of(&m));
                    found.push((child, stamp));
                }
                // Anything else is not ours: it is removed like any
                // file no record vouches for.
                _ => found.push((child, None)),
            }
            (found, dirs)
        })
        .collect();
    for (more, more_dirs) in results {
        found.extend(more);
        dirs.extend(more_dirs);
    }
    Ok(())
}

fn read_records(path: &Path) -> Result<Records, String> {
    let data = match std::fs::read(path) {
        Ok(data) => data,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(String::new()),
        Err(e) => return Err(format!("cannot read them: {e}")),
    };
    let identity = identity().ok_or("the program cannot identify itself")?;
    parse_records(&data, identity).map_err(str::to_string)
}

fn parse_records(data: &[u8], identity: &str) -> Result<Records, &'static str> {
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
    let check: Digest16 = reader.array().ok_or("truncated")?;
    if digest16(body) != check || !reader.is_empty() {
        return Err("corrupt");
    }
    let mut body = Reader::new(body);
    let count = body.len().ok_or("corrupt")?;
    let mut records = HashMap::with_capacity(count);
    for _ in 0..count {
        let (path, record) = decode_record(&mut body).ok_or("corrupt")?;
        records.insert(path, record);
    }
    Ok(records)
}

fn decode_record(input: &mut Reader<'_>) -> Option<(String, Record)> {
    let path = String::decode(input)?;
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
    Some((
        path,
        Record {
            fingerprint,
            sha256,
            size,
            stamp,
            note,
        },
    ))
}

fn write_records(path: &Path, records: &Records) -> Result<(), String> {
    let identity = identity().ok_or("the program cannot identify itself")?;
    let mut sorted: Vec<(&String, &Record)> = records.iter().collect();
    sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut body = Vec::with_capacity(records.len() * 120);
    (sorted.len() as u64).encode(&mut body);
    for (path, record) in sorted {
        path.encode(&mut body);
        body.extend_from_slice(&record.fingerprint);
        body.extend_from_slice(&record.sha256);
        record.size.encode(&mut body);
        record.stamp.mtime.encode(&mut body);
        record.stamp.mtime_ns.encode(&mut body);
        record.stamp.inode.encode(&mut body);
        record.note.encode(&mut body);
    }
    let mut data = Vec::with_capacity(body.len() + 128);
    data.extend_from_slice(MAGIC);
    NAME.to_string().encode(&mut data);
    FORMAT.encode(&mut data);
    identity.to_string().encode(&mut data);
    put_bytes(&mut data, &body);
    data.extend_from_slice(&digest16(&body));
    crate::fsutil::write_atomic(path, &data).map_err(|e| format!("{e:#}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_reject_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.records");
        let mut records = Records::new();
        records.insert(
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
        );
        write_records(&path, &records).unwrap();
        assert_eq!(read_records(&path).unwrap(), records);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 20;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        assert!(read_records(&path).is_err());
    }
}
