//! The file cache of a workspace, `<workspace>/.auditbook/cache/files`: for
//! each evidence file (and sidecar) what reading it gave, encoded, keyed by
//! its workspace-relative path and [`FileKey`].
//!
//! Layout: a header (magic, format number, the [`identity`] of the
//! executable that wrote it), an index (path, kind of entry, key, where
//! the entry lies, an 8-byte checksum of it) with a checksum of its own,
//! then the entries. An entry is used only when the file's key is the
//! recorded one and its checksum holds; anything else in the file that
//! does not add up makes the whole cache ignored.

use std::path::{Path, PathBuf};

use super::codec::{put_bytes, put_varint, Codec, Reader};
use super::{checksum, identity, Contents, FastMap, FileKey};

/// Raise when the layout or the encoding of any entry changes.
pub const FORMAT: u32 = 6;
const MAGIC: &[u8; 16] = b"auditbook-cache\n";
const NAME: &str = "files";

/// What an entry holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Class {
    /// `evidence::Facts`.
    Facts = 0,
    /// The fields of a `.meta.yaml` sidecar.
    Sidecar = 1,
}

impl Class {
    fn from_byte(byte: u8) -> Option<Class> {
        match byte {
            0 => Some(Class::Facts),
            1 => Some(Class::Sidecar),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    key: FileKey,
    start: usize,
    end: usize,
    check: u64,
}

/// Why the cache was not used, for `-v`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Disabled,
    Missing,
    Ignored(String),
    Loaded(usize),
}

/// The cache as read at the start of a run.
pub struct FileCache {
    path: Option<PathBuf>,
    data: std::sync::Arc<Contents>,
    /// Per [`Class`], by path.
    slots: [FastMap<String, Slot>; 2],
    spill: std::sync::Mutex<Option<Spill>>,
    pub state: State,
}

/// One entry for the cache written at the end of a run.
pub struct Entry {
    pub class: Class,
    pub path: String,
    pub key: FileKey,
    pub bytes: Bytes,
}

/// An entry's encoded bytes: where they lie in the loaded cache, set
/// aside on disk (see [`FileCache::store`]), or in memory.
pub enum Bytes {
    Loaded(std::ops::Range<usize>),
    Spilled { offset: u64, len: u64, check: u64 },
    New(Vec<u8>),
}

/// New entries, written to an unlinked file as they come so that 60 MB of
/// them need not wait in memory for the end of the load.
struct Spill {
    file: std::io::BufWriter<std::fs::File>,
    /// The same file, for [`SpilledTail`]s to read back.
    reader: std::sync::Arc<std::fs::File>,
    len: u64,
}

/// The last bytes of an entry set aside by [`FileCache::store_with_tail`],
/// to be read back from the spill file once [`FileCache::save`] has
/// flushed it. The file stays open (though unlinked) while any of these
/// lives.
#[derive(Clone)]
pub struct SpilledTail {
    file: std::sync::Arc<std::fs::File>,
    offset: u64,
    len: usize,
    check: u64,
}

impl SpilledTail {
    /// The bytes as stored, or `None` when they cannot be read back intact
    /// (the spill was never flushed, or the disk failed).
    pub fn read(&self) -> Option<Vec<u8>> {
        use std::os::unix::fs::FileExt as _;
        let mut bytes = vec![0; self.len];
        self.file.read_exact_at(&mut bytes, self.offset).ok()?;
        (checksum(&bytes) == self.check).then_some(bytes)
    }
}

impl FileCache {
    /// A cache that holds nothing and saves nothing.
    pub fn disabled() -> FileCache {
        FileCache {
            path: None,
            data: Default::default(),
            slots: Default::default(),
            spill: Default::default(),
            state: State::Disabled,
        }
    }

    /// The cache of the workspace at `root`, or an empty one when there is
    /// none or it cannot be trusted.
    pub fn open(root: &Path) -> FileCache {
        let Some(identity) = identity() else {
            return FileCache::disabled();
        };
        let path = root.join(".auditbook").join("cache").join(NAME);
        let mut cache = FileCache {
            path: Some(path.clone()),
            data: Default::default(),
            slots: Default::default(),
            spill: Default::default(),
            state: State::Missing,
        };
        let data = match Contents::map(&path) {
            Ok(data) => data,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return cache,
            Err(error) => {
                cache.state = State::Ignored(format!("cannot read it: {error}"));
                return cache;
            }
        };
        match parse(&data, identity) {
            Ok(slots) => {
                cache.state = State::Loaded(slots.iter().map(FastMap::len).sum());
                cache.slots = slots;
                cache.data = std::sync::Arc::new(data);
            }
            Err(reason) => cache.state = State::Ignored(reason.to_string()),
        }
        cache
    }

    pub fn is_enabled(&self) -> bool {
        self.path.is_some()
    }

    /// The entry for `path` when its key is still `key` and it is intact:
    /// its bytes and where they lie.
    pub fn entry(&self, class: Class, path: &str, key: &FileKey) -> Option<(&[u8], Bytes)> {
        let slot = self.slots[class as usize].get(path)?;
        if slot.key != *key {
            return None;
        }
        let bytes = &self.data[slot.start..slot.end];
        (checksum(bytes) == slot.check).then_some((bytes, Bytes::Loaded(slot.start..slot.end)))
    }

    /// Decodes the entry for `path` when its key is still `key`; returns
    /// it with where its bytes lie, to keep them in the next cache.
    pub fn decode<T: Codec>(&self, class: Class, path: &str, key: &FileKey) -> Option<(T, Bytes)> {
        let (bytes, range) = self.entry(class, path, key)?;
        let mut reader = Reader::new(bytes);
        let value = T::decode(&mut reader)?;
        reader.is_empty().then_some((value, range))
    }

    /// All of the loaded cache, for values decoded on first use.
    pub fn data(&self) -> &std::sync::Arc<Contents> {
        &self.data
    }

    /// Sets a new entry's bytes aside until [`save`](Self::save).
    pub fn store(&self, bytes: Vec<u8>) -> Bytes {
        self.store_with_tail(bytes, 0).0
    }

    /// [`store`](Self::store), and when the entry went to the spill file,
    /// where its last `tail` bytes can be read back after
    /// [`save`](Self::save): the caller need not keep a copy of them in
    /// memory meanwhile.
    pub fn store_with_tail(&self, bytes: Vec<u8>, tail: usize) -> (Bytes, Option<SpilledTail>) {
        let Some(path) = &self.path else {
            return (Bytes::New(bytes), None);
        };
        let mut spill = self.spill.lock().unwrap_or_else(|e| e.into_inner());
        if spill.is_none() {
            // Created and unlinked at once: nothing is left behind, even by
            // a killed run.
            let dir = path.parent().expect("the cache file is in a folder");
            let name = dir.join(format!(".spill-{}", std::process::id()));
            let file = super::create_dir(dir).and_then(|()| {
                std::fs::File::options()
                    .read(true)
                    .write(true)
                    .create_new(true)
                    .open(&name)
            });
            let opened = file.and_then(|file| Ok((file.try_clone()?, file)));
            if let Ok((reader, file)) = opened {
                let _ = std::fs::remove_file(&name);
                *spill = Some(Spill {
                    file: std::io::BufWriter::with_capacity(1 << 20, file),
                    reader: std::sync::Arc::new(reader),
                    len: 0,
                });
            }
        }
        let Some(open) = spill.as_mut() else {
            return (Bytes::New(bytes), None);
        };
        use std::io::Write as _;
        if open.file.write_all(&bytes).is_err() {
            return (Bytes::New(bytes), None);
        }
        let offset = open.len;
        open.len += bytes.len() as u64;
        let tail = tail.min(bytes.len());
        let spilled_tail = (tail > 0).then(|| SpilledTail {
            file: open.reader.clone(),
            offset: open.len - tail as u64,
            len: tail,
            check: checksum(&bytes[bytes.len() - tail..]),
        });
        let stored = Bytes::Spilled {
            offset,
            len: bytes.len() as u64,
            check: checksum(&bytes),
        };
        (stored, spilled_tail)
    }

    fn entries(&self) -> usize {
        self.slots.iter().map(FastMap::len).sum()
    }

    /// Writes `entries` as the new cache (atomically) unless they are
    /// exactly what was loaded. Failing to write a cache is not an error
    /// of the run: the reason is returned for `-v`.
    pub fn save(&self, entries: &[Entry], changed: bool) -> Result<bool, String> {
        let (Some(path), Some(identity)) = (&self.path, identity()) else {
            return Ok(false);
        };
        if !changed && entries.len() == self.entries() && matches!(self.state, State::Loaded(_)) {
            return Ok(false);
        }
        // The payload: first what was set aside (as it lies on disk), then
        // the rest.
        let mut spill = self.spill.lock().unwrap_or_else(|e| e.into_inner()).take();
        let spilled = spill.as_ref().map_or(0, |s| s.len);
        let mut index = Vec::new();
        put_varint(&mut index, entries.len() as u64);
        let mut offset = spilled;
        for entry in entries {
            let (at, len, check) = match &entry.bytes {
                Bytes::Spilled { offset, len, check } => (*offset, *len, *check),
                Bytes::Loaded(range) => {
                    let bytes = &self.data[range.clone()];
                    offset += bytes.len() as u64;
                    (
                        offset - bytes.len() as u64,
                        bytes.len() as u64,
                        checksum(bytes),
                    )
                }
                Bytes::New(bytes) => {
                    offset += bytes.len() as u64;
                    (
                        offset - bytes.len() as u64,
                        bytes.len() as u64,
                        checksum(bytes),
                    )
                }
            };
            entry.path.encode(&mut index);
            index.push(entry.class as u8);
            entry.key.encode(&mut index);
            put_varint(&mut index, at);
            put_varint(&mut index, len);
            index.extend_from_slice(&check.to_le_bytes());
        }
        let mut head = Vec::with_capacity(index.len() + 128);
        head.extend_from_slice(MAGIC);
        NAME.to_string().encode(&mut head);
        FORMAT.encode(&mut head);
        identity.to_string().encode(&mut head);
        put_bytes(&mut head, &index);
        head.extend_from_slice(&checksum(&index).to_le_bytes());
        let dir = path.parent().expect("the cache file is in a folder");
        super::create_dir(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        crate::fsutil::write_atomic_with(path, |out| {
            use std::io::{Read as _, Seek as _};
            out.write_all(&head)?;
            if let Some(spill) = spill.take() {
                let mut file = spill.file.into_inner().map_err(|e| e.into_error())?;
                file.rewind()?;
                let copied = std::io::copy(&mut (&mut file).take(spilled), out)?;
                if copied != spilled {
                    return Err(std::io::Error::other(
                        "the set-aside entries were cut short",
                    ));
                }
            }
            for entry in entries {
                match &entry.bytes {
                    Bytes::Loaded(range) => out.write_all(&self.data[range.clone()])?,
                    Bytes::New(bytes) => out.write_all(bytes)?,
                    Bytes::Spilled { .. } => {}
                }
            }
            Ok(())
        })
        .map_err(|e| format!("{e:#}"))?;
        Ok(true)
    }
}

type Slots = [FastMap<String, Slot>; 2];

fn parse(data: &[u8], identity: &str) -> Result<Slots, &'static str> {
    let mut reader = Reader::new(data);
    if reader.take(MAGIC.len()) != Some(MAGIC.as_slice()) {
        return Err("not an auditbook cache");
    }
    if String::decode(&mut reader).as_deref() != Some(NAME) {
        return Err("not a file cache");
    }
    if u32::decode(&mut reader) != Some(FORMAT) {
        return Err("written in another format");
    }
    if String::decode(&mut reader).as_deref() != Some(identity) {
        return Err("written by another build of auditbook");
    }
    let index_len = reader.len().ok_or("truncated")?;
    let index = reader.take(index_len).ok_or("truncated")?;
    let check = u64::from_le_bytes(reader.array().ok_or("truncated")?);
    if checksum(index) != check {
        return Err("its index is corrupt");
    }
    let payload_start = data.len() - reader.remaining();
    let payload_len = data.len() - payload_start;
    let mut index = Reader::new(index);
    let count = index.len().ok_or("its index is corrupt")?;
    let mut slots: Slots = Default::default();
    for _ in 0..count {
        let corrupt = "its index is corrupt";
        let path = String::decode(&mut index).ok_or(corrupt)?;
        let class = index.byte().and_then(Class::from_byte).ok_or(corrupt)?;
        let key = FileKey::decode(&mut index).ok_or(corrupt)?;
        let offset = usize::try_from(index.varint().ok_or(corrupt)?).map_err(|_| corrupt)?;
        let len = usize::try_from(index.varint().ok_or(corrupt)?).map_err(|_| corrupt)?;
        let check = u64::from_le_bytes(index.array().ok_or(corrupt)?);
        let end = offset.checked_add(len).ok_or(corrupt)?;
        if end > payload_len {
            return Err("truncated");
        }
        slots[class as usize].insert(
            path,
            Slot {
                key,
                start: payload_start + offset,
                end: payload_start + end,
                check,
            },
        );
    }
    Ok(slots)
}

/// The key of `path` now.
pub fn key_of(path: &Path) -> std::io::Result<FileKey> {
    std::fs::symlink_metadata(path).map(|m| FileKey::of(&m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spilled_tail_reads_back_once_saved_and_never_wrong() {
        let root = tempfile::tempdir().unwrap();
        let cache = FileCache::open(root.path());
        assert!(cache.is_enabled());
        let entry: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        let (bytes, tail) = cache.store_with_tail(entry.clone(), 1200);
        let tail = tail.expect("spilled");
        assert!(matches!(bytes, Bytes::Spilled { len: 5000, .. }));
        // Still in the write buffer: not readable, and not misread.
        assert_eq!(tail.read(), None);
        let key = key_of(&root.path().join(".")).unwrap();
        let entries = [Entry {
            class: Class::Facts,
            path: "evidence/a.json".into(),
            key,
            bytes,
        }];
        assert_eq!(cache.save(&entries, true), Ok(true));
        assert_eq!(tail.read().as_deref(), Some(&entry[3800..]));
        // The saved cache holds the whole entry.
        let reopened = FileCache::open(root.path());
        let (saved, _) = reopened
            .entry(Class::Facts, "evidence/a.json", &key)
            .unwrap();
        assert_eq!(saved, entry.as_slice());
    }

    #[test]
    fn a_damaged_spilled_tail_is_not_returned() {
        let root = tempfile::tempdir().unwrap();
        let cache = FileCache::open(root.path());
        let (_, tail) = cache.store_with_tail(vec![7; 100], 40);
        let tail = tail.unwrap();
        let damaged = SpilledTail {
            check: tail.check ^ 1,
            ..tail.clone()
        };
        assert_eq!(cache.save(&[], true), Ok(true));
        assert_eq!(tail.read(), Some(vec![7; 40]));
        assert_eq!(damaged.read(), None);
    }
}
