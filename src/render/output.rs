//! Where rendered files go: a folder, written in parallel, with the sha256
//! and size of every file kept for `manifest.json`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One file of a portal version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ManifestEntry {
    pub path: String,
    pub sha256: String,
    pub size: u64,
}

pub struct Output {
    root: PathBuf,
    entries: Mutex<Vec<ManifestEntry>>,
}

impl Output {
    pub fn new(root: &Path) -> anyhow::Result<Output> {
        std::fs::create_dir_all(root)
            .with_context(|| format!("cannot create {}", root.display()))?;
        Ok(Output {
            root: root.to_path_buf(),
            entries: Mutex::new(Vec::new()),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn target(&self, relative: &str) -> anyhow::Result<PathBuf> {
        let path = self.root.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        Ok(path)
    }

    fn record(&self, path: &str, sha256: String, size: u64) {
        self.entries
            .lock()
            .expect("no writer panics while holding the lock")
            .push(ManifestEntry {
                path: path.to_string(),
                sha256,
                size,
            });
    }

    /// Writes `bytes` to `relative` (a `/`-separated path).
    pub fn write(&self, relative: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let path = self.target(relative)?;
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        self.record(
            relative,
            hex::encode(Sha256::digest(bytes)),
            bytes.len() as u64,
        );
        Ok(())
    }

    /// Copies `source` unchanged; its sha256 is known already.
    pub fn copy(
        &self,
        relative: &str,
        source: &Path,
        sha256: &str,
        size: u64,
    ) -> anyhow::Result<()> {
        let path = self.target(relative)?;
        std::fs::copy(source, &path)
            .with_context(|| format!("cannot copy {} to {}", source.display(), path.display()))?;
        self.record(relative, sha256.to_string(), size);
        Ok(())
    }

    /// Streams `source` through `transform` line by line into `relative`,
    /// hashing what is written.
    pub fn write_lines(
        &self,
        relative: &str,
        source: &Path,
        mut transform: impl FnMut(&[u8], &mut Vec<u8>),
    ) -> anyhow::Result<()> {
        let path = self.target(relative)?;
        let input =
            File::open(source).with_context(|| format!("cannot read {}", source.display()))?;
        let mut reader = BufReader::with_capacity(256 * 1024, input);
        let file =
            File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
        let mut writer = HashingWriter {
            inner: io::BufWriter::with_capacity(256 * 1024, file),
            hasher: Sha256::new(),
            size: 0,
        };
        let mut line = Vec::new();
        let mut out = Vec::new();
        loop {
            line.clear();
            let n = reader
                .read_until(b'\n', &mut line)
                .with_context(|| format!("cannot read {}", source.display()))?;
            if n == 0 {
                break;
            }
            out.clear();
            transform(&line, &mut out);
            writer
                .write_all(&out)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        writer
            .inner
            .flush()
            .with_context(|| format!("cannot write {}", path.display()))?;
        self.record(relative, hex::encode(writer.hasher.finalize()), writer.size);
        Ok(())
    }

    /// Every file written, sorted by path.
    pub fn into_entries(self) -> Vec<ManifestEntry> {
        let mut entries = self.entries.into_inner().expect("no writer panicked");
        entries.sort();
        entries
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
