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
mod facts;
pub mod files;
pub mod pages;

use std::fs::Metadata;
use std::path::Path;
use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use codec::record;

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
