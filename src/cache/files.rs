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

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::codec::{put_bytes, put_varint, Codec, Reader};
use super::{digest16, identity, FileKey};

/// Raise when the layout or the encoding of any entry changes.
pub const FORMAT: u32 = 3;
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
    check: [u8; 8],
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
    data: Vec<u8>,
    /// Per [`Class`], by path.
    slots: [HashMap<String, Slot>; 2],
    pub state: State,
}

/// One entry for the cache written at the end of a run.
pub struct Entry {
    pub class: Class,
    pub path: String,
    pub key: FileKey,
    pub bytes: Bytes,
}

/// An entry's encoded bytes: new, or where they lie in the loaded cache.
pub enum Bytes {
    New(Vec<u8>),
    Loaded(std::ops::Range<usize>),
}

impl FileCache {
    /// A cache that holds nothing and saves nothing.
    pub fn disabled() -> FileCache {
        FileCache {
            path: None,
            data: Vec::new(),
            slots: Default::default(),
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
            data: Vec::new(),
            slots: Default::default(),
            state: State::Missing,
        };
        let data = match std::fs::read(&path) {
            Ok(data) => data,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return cache,
            Err(error) => {
                cache.state = State::Ignored(format!("cannot read it: {error}"));
                return cache;
            }
        };
        match parse(&data, identity) {
            Ok(slots) => {
                cache.state = State::Loaded(slots.iter().map(HashMap::len).sum());
                cache.slots = slots;
                cache.data = data;
            }
            Err(reason) => cache.state = State::Ignored(reason.to_string()),
        }
        cache
    }

    pub fn is_enabled(&self) -> bool {
        self.path.is_some()
    }

    /// Decodes the entry for `path` when its key is still `key`; returns
    /// it with where its bytes lie, to keep them in the next cache.
    pub fn decode<T: Codec>(&self, class: Class, path: &str, key: &FileKey) -> Option<(T, Bytes)> {
        let slot = self.slots[class as usize].get(path)?;
        if slot.key != *key {
            return None;
        }
        let bytes = &self.data[slot.start..slot.end];
        if digest16(bytes)[..8] != slot.check {
            return None;
        }
        let mut reader = Reader::new(bytes);
        let value = T::decode(&mut reader)?;
        reader
            .is_empty()
            .then_some((value, Bytes::Loaded(slot.start..slot.end)))
    }

    fn bytes_of<'a>(&'a self, entry: &'a Entry) -> &'a [u8] {
        match &entry.bytes {
            Bytes::New(bytes) => bytes,
            Bytes::Loaded(range) => &self.data[range.clone()],
        }
    }

    fn entries(&self) -> usize {
        self.slots.iter().map(HashMap::len).sum()
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
        let mut index = Vec::new();
        put_varint(&mut index, entries.len() as u64);
        let mut offset = 0u64;
        for entry in entries {
            let bytes = self.bytes_of(entry);
            entry.path.encode(&mut index);
            index.push(entry.class as u8);
            entry.key.encode(&mut index);
            put_varint(&mut index, offset);
            put_varint(&mut index, bytes.len() as u64);
            index.extend_from_slice(&digest16(bytes)[..8]);
            offset += bytes.len() as u64;
        }
        let mut data = Vec::with_capacity(index.len() + offset as usize + 128);
        data.extend_from_slice(MAGIC);
        NAME.to_string().encode(&mut data);
        FORMAT.encode(&mut data);
        identity.to_string().encode(&mut data);
        put_bytes(&mut data, &index);
        data.extend_from_slice(&digest16(&index));
        for entry in entries {
            data.extend_from_slice(self.bytes_of(entry));
        }
        let dir = path.parent().expect("the cache file is in a folder");
        super::create_dir(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        crate::fsutil::write_atomic(path, &data).map_err(|e| format!("{e:#}"))?;
        Ok(true)
    }
}

type Slots = [HashMap<String, Slot>; 2];

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
    let check: [u8; 16] = reader.array().ok_or("truncated")?;
    if digest16(index) != check {
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
        let check = index.array().ok_or(corrupt)?;
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
