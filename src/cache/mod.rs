//! The build caches. Both only ever save work; a missing, stale, corrupt
//! or foreign cache is ignored, never trusted, and deleting either is
//! always safe.
//!
//! - [`files`]: what `evidence::read` found in each evidence file and
//!   what each sidecar holds, in `<workspace>/.auditbook/cache/`, keyed by
//!   path, size, modification and change times (ns) and inode. `check` and
//!   `build` share it.
//! - [`pages`]: per period, every output file's fingerprint (a digest of
//!   what it is rendered from) and the previous version of the period's
//!   folder, in `<site>/.cache/<period>/`. `build` reuses a page whose
//!   fingerprint did not change by hard-linking the earlier file instead
//!   of rendering it again.
//!
//! Every entry is tied to the exact `auditbook` executable that wrote it
//! ([`identity`]): a new build of the program starts from scratch, so a
//! change of parser or template code can never be hidden by a cache.

pub mod codec;
pub mod facts;
pub mod files;
pub mod pages;

use std::fs::Metadata;
use std::path::Path;
use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use codec::record;

/// The bytes of a cache file as loaded: mapped when the file could be
/// mapped, else read.
///
/// Mapping spares a large build the copy of the whole file and, above
/// all, the fresh memory to copy it into (on the benchmark workspace,
/// 85 MB that the kernel would otherwise zero first). It is sound because
/// auditbook never writes a cache file in place: a new one is written
/// beside it and renamed over it ([`crate::fsutil::write_atomic_with`]),
/// so the mapped file keeps its bytes for as long as the mapping lives.
/// Only a process truncating the file by hand could pull bytes from under
/// it, the same bargain every mapping of a file makes.
pub enum Contents {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Contents {
    fn map(path: &Path) -> std::io::Result<Contents> {
        let file = std::fs::File::open(path)?;
        // SAFETY: see the type's comment; the file is replaced, never
        // changed in place.
        match unsafe { memmap2::Mmap::map(&file) } {
            Ok(map) => Ok(Contents::Mapped(map)),
            // Some file systems cannot map files: read it instead.
            Err(_) => {
                let mut bytes = Vec::new();
                std::io::Read::read_to_end(&mut &file, &mut bytes)?;
                Ok(Contents::Owned(bytes))
            }
        }
    }
}

impl Default for Contents {
    fn default() -> Contents {
        Contents::Owned(Vec::new())
    }
}

impl std::ops::Deref for Contents {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            Contents::Mapped(map) => map,
            Contents::Owned(bytes) => bytes,
        }
    }
}

/// Entries of files changed this recently are not stored: a second change
/// within the file system's timestamp granularity could keep the same
/// size and times.
pub const SETTLE: Duration = Duration::from_secs(2);

/// What identifies one version of a file without reading it. Any write
/// changes the change time (which no tool can set back), and a file
/// replaced by another has a new inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FileKey {
    pub size: u64,
    pub mtime: i64,
    pub mtime_ns: i64,
    pub ctime: i64,
    pub ctime_ns: i64,
    pub inode: u64,
}

record!(FileKey {
    size,
    mtime,
    mtime_ns,
    ctime,
    ctime_ns,
    inode
});

impl FileKey {
    /// The key of an open file, when it can be read.
    pub fn of_file(file: &std::fs::File) -> Option<FileKey> {
        file.metadata().ok().map(|metadata| FileKey::of(&metadata))
    }

    #[cfg(unix)]
    pub fn of(metadata: &Metadata) -> FileKey {
        use std::os::unix::fs::MetadataExt;
        FileKey {
            size: metadata.size(),
            mtime: metadata.mtime(),
            mtime_ns: metadata.mtime_nsec(),
            ctime: metadata.ctime(),
            ctime_ns: metadata.ctime_nsec(),
            inode: metadata.ino(),
        }
    }

    #[cfg(not(unix))]
    pub fn of(metadata: &Metadata) -> FileKey {
        let since = |t: std::io::Result<SystemTime>| {
            t.ok()
                .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                .unwrap_or_default()
        };
        let modified = since(metadata.modified());
        let created = since(metadata.created());
        FileKey {
            size: metadata.len(),
            mtime: modified.as_secs() as i64,
            mtime_ns: i64::from(modified.subsec_nanos()),
            ctime: created.as_secs() as i64,
            ctime_ns: i64::from(created.subsec_nanos()),
            inode: 0,
        }
    }

    /// Whether both times lie at least [`SETTLE`] before `now`, so that a
    /// later write is bound to change them.
    pub fn settled(&self, now: SystemTime) -> bool {
        let Ok(now) = now.duration_since(SystemTime::UNIX_EPOCH) else {
            return false;
        };
        let limit = now.saturating_sub(SETTLE);
        let at = |s: i64, ns: i64| {
            u64::try_from(s)
                .ok()
                .map(|s| Duration::new(s, u32::try_from(ns).unwrap_or(0)))
        };
        [at(self.mtime, self.mtime_ns), at(self.ctime, self.ctime_ns)]
            .into_iter()
            .all(|t| t.is_some_and(|t| t <= limit))
    }
}

/// The running executable: its version and the size, times and inode of
/// its file. `None` when it cannot be found, and then nothing is cached.
pub fn identity() -> Option<&'static str> {
    static IDENTITY: LazyLock<Option<String>> = LazyLock::new(|| {
        // On Linux /proc/self/exe is the running file even when a rebuild
        // has since replaced it on disk.
        let metadata = std::fs::metadata("/proc/self/exe")
            .or_else(|_| std::env::current_exe().and_then(std::fs::metadata))
            .ok()?;
        let key = FileKey::of(&metadata);
        Some(format!(
            "auditbook {} exe {}:{}.{}:{}",
            env!("CARGO_PKG_VERSION"),
            key.size,
            key.mtime,
            key.mtime_ns,
            key.inode
        ))
    });
    IDENTITY.as_deref()
}

/// Creates a cache folder that version control and backups leave alone.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        std::fs::write(
            &ignore,
            "# Written by auditbook: a cache, safe to delete.\n*\n",
        )?;
    }
    let tag = dir.join("CACHEDIR.TAG");
    if !tag.exists() {
        std::fs::write(
            &tag,
            "Signature: 8a477f597d28d172789f06886806bc55\n# auditbook's build cache: safe to delete.\n",
        )?;
    }
    Ok(())
}

/// A checksum against accidental damage (not an attacker: whoever can
/// write a cache can write anything), fast enough to check every byte of
/// a cache on every run: four lanes of multiply-xorshift over 8-byte
/// words, folded and finished with an avalanche.
pub fn checksum(bytes: &[u8]) -> u64 {
    const K: [u64; 4] = [
        0x9e37_79b9_7f4a_7c15,
        0xc2b2_ae3d_27d4_eb4f,
        0x1656_67b1_9e37_79f9,
        0xff51_afd7_ed55_8ccd,
    ];
    let mut lanes = [
        0x243f_6a88_85a3_08d3 ^ bytes.len() as u64,
        0x1319_8a2e_0370_7344,
        0xa409_3822_299f_31d0,
        0x082e_fa98_ec4e_6c89,
    ];
    let mut blocks = bytes.chunks_exact(32);
    for block in &mut blocks {
        for (i, lane) in lanes.iter_mut().enumerate() {
            let word = u64::from_le_bytes(block[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
            *lane = (*lane ^ word).wrapping_mul(K[i]);
            *lane ^= *lane >> 31;
        }
    }
    let mut tail = [0u8; 32];
    let rest = blocks.remainder();
    tail[..rest.len()].copy_from_slice(rest);
    tail[31] = rest.len() as u8;
    let mut h = 0u64;
    for (i, lane) in lanes.iter_mut().enumerate() {
        let word = u64::from_le_bytes(tail[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        *lane = (*lane ^ word).wrapping_mul(K[i]);
        h = (h ^ *lane).rotate_left(23).wrapping_mul(K[(i + 1) % 4]);
    }
    // fmix64
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// A hasher for maps keyed by our own paths and digests (rustc's FxHash):
/// much faster than SipHash, and no one feeds these maps adversarial keys.
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let mut tail = [0u8; 8];
        let rest = chunks.remainder();
        tail[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(tail));
    }

    fn write_u8(&mut self, n: u8) {
        self.add(u64::from(n));
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

/// A hash map with [`FastHasher`].
pub type FastMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<FastHasher>>;
/// A hash set with [`FastHasher`].
pub type FastSet<K> = std::collections::HashSet<K, std::hash::BuildHasherDefault<FastHasher>>;

/// A short digest: the first 16 bytes of SHA-256.
pub type Digest16 = [u8; 16];

pub fn digest16(bytes: &[u8]) -> Digest16 {
    use sha2::Digest as _;
    let full = sha2::Sha256::digest(bytes);
    let mut out = [0u8; 16];
    out.copy_from_slice(&full[..16]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_notice_any_single_bit() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        let base = checksum(&data);
        for len in [0, 1, 7, 8, 31, 32, 33, 999] {
            assert_ne!(checksum(&data[..len]), checksum(&data[..len + 1]));
        }
        for bit in 0..data.len() * 8 {
            let mut flipped = data.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            assert_ne!(checksum(&flipped), base, "bit {bit}");
        }
    }

    #[test]
    fn recent_files_are_not_settled() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let key = |m: i64, c: i64| FileKey {
            mtime: m,
            ctime: c,
            ..FileKey::default()
        };
        assert!(key(999_000, 999_000).settled(now));
        assert!(!key(999_000, 999_999).settled(now));
        assert!(!key(1_000_001, 999_000).settled(now));
        assert!(!key(-5, 999_000).settled(now));
    }
}
