//! `verify`: checks a bundle without extracting it. Reads the central
//! directory, judges every entry name and the declared sizes before
//! decompressing anything, then inflates every entry in memory (in
//! parallel, each capped at its declared size), recomputes its CRC-32 and
//! SHA-256 and compares them with the directory and `manifest.json`, and
//! checks `manifest.sig`. Every problem is collected; nothing is written.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::keys::Public;
use super::zipfile::{CENTRAL, DEFLATE, END, END64, LOCAL, LOCATOR64, STORED, ZIP64_EXTRA};
use super::{BundleManifest, MANIFEST, SIGNATURE};

/// Bounds an archive must stay within before anything is inflated.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Total of the entries' uncompressed sizes.
    pub max_size: u64,
    /// Uncompressed over compressed size, of the whole archive and of any
    /// entry larger than 1 MiB.
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_size: 64 << 30,
            max_ratio: 200,
        }
    }
}

/// What `verify` found.
#[derive(Debug, Default)]
pub struct Report {
    pub entries: usize,
    pub bytes: u64,
    /// Every problem, each naming the entry it concerns.
    pub problems: Vec<String>,
    /// The fingerprint of the key that signed the manifest, when the
    /// signature checked.
    pub signed_by: Option<String>,
    /// Whether the signer was checked against a key the user gave.
    pub key_matched: bool,
    pub manifest: Option<BundleManifest>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One central-directory record.
#[derive(Debug, Clone)]
struct Record {
    name: String,
    raw_name: Vec<u8>,
    made_by: u16,
    flags: u16,
    method: u16,
    crc32: u32,
    compressed: u64,
    size: u64,
    offset: u64,
    external: u32,
}

/// Reads `path` and checks everything; `key` is the signer the user
/// expects. I/O failures on the file itself are errors (exit 2); anything
/// wrong inside it is a problem in the report (exit 1).
pub fn verify(path: &Path, key: Option<&Public>, limits: Limits) -> anyhow::Result<Report> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let len = file
        .metadata()
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    let mut report = Report::default();
    let records = match directory(&file, len) {
        Ok(records) => records,
        Err(Bad(problem)) => {
            report.problems.push(problem);
            return Ok(report);
        }
    };
    report.entries = records.len();
    let problems = &mut report.problems;

    let mut seen: HashMap<&str, usize> = HashMap::new();
    for r in &records {
        *seen.entry(r.name.as_str()).or_default() += 1;
    }
    let mut reported_duplicate = std::collections::HashSet::new();
    for r in &records {
        if seen[r.name.as_str()] > 1 && reported_duplicate.insert(r.name.as_str()) {
            problems.push(format!(
                "{}: appears {} times in the archive (duplicate entry names)",
                shown(&r.name),
                seen[r.name.as_str()]
            ));
        }
        if let Some(why) = unsafe_name(r) {
            problems.push(format!("{}: unsafe entry name: {why}", shown(&r.name)));
        }
        if (r.external >> 16) & 0o170_000 == 0o120_000 && r.made_by >> 8 == 3 {
            problems.push(format!("{}: is a symbolic link", shown(&r.name)));
        }
        if r.flags & 1 != 0 {
            problems.push(format!("{}: is encrypted", shown(&r.name)));
        }
        if r.method != STORED && r.method != DEFLATE {
            problems.push(format!(
                "{}: compression method {} is not stored (0) or deflate (8)",
                shown(&r.name),
                r.method
            ));
        }
    }

    // Bounds first, from what the archive declares.
    let declared: u64 = records.iter().map(|r| r.size).fold(0, u64::saturating_add);
    let mut bounded = true;
    if declared > limits.max_size {
        bounded = false;
        problems.push(format!(
            "the archive declares {declared} bytes uncompressed, more than the limit of {} (--max-size)",
            limits.max_size
        ));
    }
    if declared / len.max(1) > limits.max_ratio {
        bounded = false;
        problems.push(format!(
            "the archive expands {}-fold ({declared} bytes from {len}), more than the limit of {} (--max-ratio)",
            declared / len.max(1),
            limits.max_ratio
        ));
    }
    for r in &records {
        if r.size > 1 << 20 && r.size / r.compressed.max(1) > limits.max_ratio {
            bounded = false;
            problems.push(format!(
                "{}: expands {}-fold ({} bytes from {}), more than the limit of {} (--max-ratio)",
                shown(&r.name),
                r.size / r.compressed.max(1),
                r.size,
                r.compressed,
                limits.max_ratio
            ));
        }
    }
    let mut spans: Vec<(u64, u64, &str)> = Vec::new();
    let mut data_at: Vec<Option<u64>> = Vec::with_capacity(records.len());
    for r in &records {
        match local_header(&file, len, r) {
            Ok(start) => {
                spans.push((r.offset, start + r.compressed, r.name.as_str()));
                data_at.push(Some(start));
            }
            Err(Bad(problem)) => {
                problems.push(problem);
                data_at.push(None);
            }
        }
    }
    spans.sort();
    for pair in spans.windows(2) {
        if pair[1].0 < pair[0].1 {
            bounded = false;
            problems.push(format!(
                "{}: its data overlaps that of {} (a zip bomb trick)",
                shown(pair[1].2),
                shown(pair[0].2)
            ));
        }
    }
    if !bounded {
        problems.push("nothing was decompressed: the archive is out of bounds".to_string());
        return Ok(report);
    }

    // Inflate and hash every entry, each capped at its declared size and
    // all together at the size limit.
    let total = AtomicU64::new(0);
    let results: Vec<Result<Hashed, String>> = records
        .par_iter()
        .zip(data_at.par_iter())
        .map(|(r, start)| match start {
            Some(start) => hash_entry(&file, r, *start, &total, limits.max_size),
            None => Err(String::new()),
        })
        .collect();
    let mut hashes: BTreeMap<&str, Hashed> = BTreeMap::new();
    for (r, result) in records.iter().zip(results) {
        match result {
            Ok(h) => {
                report.bytes += h.size;
                if seen[r.name.as_str()] == 1 {
                    hashes.insert(r.name.as_str(), h);
                }
            }
            Err(problem) if problem.is_empty() => {}
            Err(problem) => problems.push(problem),
        }
    }

    // The manifest and its signature.
    let manifest_bytes = hashes.get(MANIFEST).and_then(|h| h.bytes.clone());
    let Some(manifest_bytes) = manifest_bytes else {
        if !hashes.contains_key(MANIFEST) && seen.get(MANIFEST) != Some(&1) {
            problems.push(format!("{MANIFEST}: missing from the archive"));
        }
        return Ok(report);
    };
    let manifest: BundleManifest = match serde_json::from_slice(&manifest_bytes) {
        Ok(m) => m,
        Err(e) => {
            problems.push(format!("{MANIFEST}: is not a valid bundle manifest ({e})"));
            return Ok(report);
        }
    };
    let mut listed: BTreeMap<&str, usize> = BTreeMap::new();
    for file in &manifest.files {
        *listed.entry(file.path.as_str()).or_default() += 1;
    }
    for (path, n) in &listed {
        if *n > 1 {
            problems.push(format!("{path}: listed {n} times in {MANIFEST}"));
        }
    }
    for file in &manifest.files {
        match hashes.get(file.path.as_str()) {
            None if seen.contains_key(file.path.as_str()) => {}
            None => problems.push(format!(
                "{}: listed in {MANIFEST} but missing from the archive",
                shown(&file.path)
            )),
            Some(h) => {
                let sha = hex::encode(h.sha256);
                if sha != file.sha256 {
                    problems.push(format!(
                        "{}: sha256 is {sha}, {MANIFEST} says {}",
                        shown(&file.path),
                        file.sha256
                    ));
                }
                if h.size != file.size {
                    problems.push(format!(
                        "{}: size is {} bytes, {MANIFEST} says {}",
                        shown(&file.path),
                        h.size,
                        file.size
                    ));
                }
            }
        }
    }
    for r in &records {
        let name = r.name.as_str();
        if name != MANIFEST && name != SIGNATURE && !listed.contains_key(name) {
            problems.push(format!(
                "{}: in the archive but not listed in {MANIFEST}",
                shown(name)
            ));
        }
    }

    let signature = hashes
        .get(SIGNATURE)
        .and_then(|h| h.bytes.as_ref())
        .map(|b| String::from_utf8_lossy(b).into_owned());
    let embedded = manifest
        .signing_key
        .as_ref()
        .map(|k| Public::parse(&k.public_key));
    match (&signature, &embedded) {
        (None, None) => {
            if key.is_some() {
                problems.push(format!(
                    "{SIGNATURE}: missing: the bundle is not signed, so it cannot be checked against --key"
                ));
            }
        }
        (None, Some(_)) => problems.push(format!(
            "{SIGNATURE}: missing, though {MANIFEST} names a signing key"
        )),
        (Some(_), None) => problems.push(format!(
            "{SIGNATURE}: present, but {MANIFEST} names no signing key to check it with"
        )),
        (Some(_), Some(Err(e))) => {
            problems.push(format!("{MANIFEST}: its signing key is {e}"));
        }
        (Some(signature), Some(Ok(public))) => {
            let claimed = manifest
                .signing_key
                .as_ref()
                .map(|k| k.fingerprint.as_str())
                .unwrap_or_default();
            if claimed != public.fingerprint() {
                problems.push(format!(
                    "{MANIFEST}: names fingerprint {claimed} but its key's fingerprint is {}",
                    public.fingerprint()
                ));
            }
            match public.verify(&manifest_bytes, signature) {
                Ok(()) => report.signed_by = Some(public.fingerprint()),
                Err(why) => problems.push(format!("{SIGNATURE}: the signature {why}")),
            }
            if let Some(expected) = key {
                if expected == public {
                    report.key_matched = report.signed_by.is_some();
                } else {
                    problems.push(format!(
                        "{SIGNATURE}: signed by key {}, not by the key given with --key ({})",
                        public.fingerprint(),
                        expected.fingerprint()
                    ));
                }
            }
        }
    }
    report.manifest = Some(manifest);
    Ok(report)
}

/// A problem that stops reading the archive's structure.
struct Bad(String);

fn shown(name: &str) -> String {
    name.escape_debug().to_string()
}

fn unsafe_name(r: &Record) -> Option<&'static str> {
    let name = r.name.as_str();
    if std::str::from_utf8(&r.raw_name).is_err() {
        return Some("not UTF-8");
    }
    if name.is_empty() {
        return Some("empty");
    }
    if name.contains('\\') {
        return Some("contains a backslash");
    }
    if name.contains('\0') || name.chars().any(char::is_control) {
        return Some("contains a control character");
    }
    if name.starts_with('/') {
        return Some("absolute");
    }
    let bytes = name.as_bytes();
    if bytes.len() >= 2 && bytes[1] == b':' && bytes[0].is_ascii_alphabetic() {
        return Some("starts with a drive letter");
    }
    if name.split('/').any(|part| part == "..") {
        return Some("contains `..`");
    }
    if name.split('/').any(|part| part == ".") || name.contains("//") {
        return Some("not in normal form (`.` or an empty component)");
    }
    None
}

fn read_at(file: &File, offset: u64, buf: &mut [u8]) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        file.read_exact_at(buf, offset)
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::FileExt;
        let mut done = 0;
        while done < buf.len() {
            let n = file.seek_read(&mut buf[done..], offset + done as u64)?;
            if n == 0 {
                return Err(io::ErrorKind::UnexpectedEof.into());
            }
            done += n;
        }
        Ok(())
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

/// Finds the end record and reads the central directory.
fn directory(file: &File, len: u64) -> Result<Vec<Record>, Bad> {
    let not_zip = |why: &str| Bad(format!("the file is not a readable zip archive: {why}"));
    if len < 22 {
        return Err(not_zip("too short"));
    }
    let tail_len = len.min(22 + 65_535 + 20);
    let mut tail = vec![0u8; tail_len as usize];
    read_at(file, len - tail_len, &mut tail).map_err(|e| not_zip(&e.to_string()))?;
    let end = (0..=tail.len() - 22)
        .rev()
        .find(|&i| u32_at(&tail, i) == END && i + 22 + u16_at(&tail, i + 20) as usize == tail.len())
        .ok_or_else(|| not_zip("no end of central directory record"))?;
    let mut count = u16_at(&tail, end + 10) as u64;
    let mut size = u32_at(&tail, end + 12) as u64;
    let mut start = u32_at(&tail, end + 16) as u64;
    if end >= 20 && u32_at(&tail, end - 20) == LOCATOR64 {
        let at = u64_at(&tail, end - 20 + 8);
        let mut rec = [0u8; 56];
        if at.checked_add(56).is_none_or(|e| e > len) {
            return Err(not_zip("the zip64 end record lies outside the file"));
        }
        read_at(file, at, &mut rec).map_err(|e| not_zip(&e.to_string()))?;
        if u32_at(&rec, 0) != END64 {
            return Err(not_zip("the zip64 locator points at no zip64 end record"));
        }
        count = u64_at(&rec, 32);
        size = u64_at(&rec, 40);
        start = u64_at(&rec, 48);
    }
    if start.checked_add(size).is_none_or(|e| e > len) {
        return Err(not_zip("the central directory lies outside the file"));
    }
    if count > size / 46 {
        return Err(not_zip(&format!(
            "{count} entries declared in a {size}-byte central directory"
        )));
    }
    let mut buf = vec![0u8; size as usize];
    read_at(file, start, &mut buf).map_err(|e| not_zip(&e.to_string()))?;
    let mut records = Vec::with_capacity(count as usize);
    let mut at = 0usize;
    for index in 0..count {
        if at + 46 > buf.len() || u32_at(&buf, at) != CENTRAL {
            return Err(not_zip(&format!(
                "central directory record {index} is damaged"
            )));
        }
        let name_len = u16_at(&buf, at + 28) as usize;
        let extra_len = u16_at(&buf, at + 30) as usize;
        let comment_len = u16_at(&buf, at + 32) as usize;
        let end = at + 46 + name_len + extra_len + comment_len;
        if end > buf.len() {
            return Err(not_zip(&format!(
                "central directory record {index} runs past the directory"
            )));
        }
        let raw_name = buf[at + 46..at + 46 + name_len].to_vec();
        let mut r = Record {
            name: String::from_utf8_lossy(&raw_name).into_owned(),
            raw_name,
            made_by: u16_at(&buf, at + 4),
            flags: u16_at(&buf, at + 8),
            method: u16_at(&buf, at + 10),
            crc32: u32_at(&buf, at + 16),
            compressed: u32_at(&buf, at + 20) as u64,
            size: u32_at(&buf, at + 24) as u64,
            offset: u32_at(&buf, at + 42) as u64,
            external: u32_at(&buf, at + 38),
        };
        let mut extra = &buf[at + 46 + name_len..at + 46 + name_len + extra_len];
        while extra.len() >= 4 {
            let id = u16_at(extra, 0);
            let n = (u16_at(extra, 2) as usize).min(extra.len() - 4);
            if id == ZIP64_EXTRA {
                let mut field = &extra[4..4 + n];
                for value in [&mut r.size, &mut r.compressed, &mut r.offset] {
                    if *value == u32::MAX as u64 && field.len() >= 8 {
                        *value = u64_at(field, 0);
                        field = &field[8..];
                    }
                }
            }
            extra = &extra[4 + n..];
        }
        records.push(r);
        at = end;
    }
    Ok(records)
}

/// Checks an entry's local header against its directory record; returns
/// where its data starts.
fn local_header(file: &File, len: u64, r: &Record) -> Result<u64, Bad> {
    let name = shown(&r.name);
    let mut head = [0u8; 30];
    if r.offset.checked_add(30).is_none_or(|e| e > len) {
        return Err(Bad(format!(
            "{name}: its local header lies outside the file"
        )));
    }
    read_at(file, r.offset, &mut head).map_err(|e| Bad(format!("{name}: {e}")))?;
    if u32_at(&head, 0) != LOCAL {
        return Err(Bad(format!(
            "{name}: no local header where the directory says"
        )));
    }
    let name_len = u16_at(&head, 26) as u64;
    let extra_len = u16_at(&head, 28) as u64;
    let start = r.offset + 30 + name_len + extra_len;
    if start.checked_add(r.compressed).is_none_or(|e| e > len) {
        return Err(Bad(format!(
            "{name}: its data runs past the end of the file"
        )));
    }
    let mut local_name = vec![0u8; name_len as usize];
    read_at(file, r.offset + 30, &mut local_name).map_err(|e| Bad(format!("{name}: {e}")))?;
    if local_name != r.raw_name {
        return Err(Bad(format!(
            "{name}: its local header names it {}",
            shown(&String::from_utf8_lossy(&local_name))
        )));
    }
    Ok(start)
}

/// What one entry inflated to.
struct Hashed {
    size: u64,
    sha256: [u8; 32],
    /// Kept for the manifest and its signature.
    bytes: Option<Vec<u8>>,
}

/// Reads `len` bytes from `offset` of a shared file, without a seek.
struct Slice<'a> {
    file: &'a File,
    offset: u64,
    left: u64,
}

impl Read for Slice<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = (buf.len() as u64).min(self.left) as usize;
        if n == 0 {
            return Ok(0);
        }
        read_at(self.file, self.offset, &mut buf[..n])?;
        self.offset += n as u64;
        self.left -= n as u64;
        Ok(n)
    }
}

fn hash_entry(
    file: &File,
    r: &Record,
    start: u64,
    total: &AtomicU64,
    max_total: u64,
) -> Result<Hashed, String> {
    let name = shown(&r.name);
    let slice = Slice {
        file,
        offset: start,
        left: r.compressed,
    };
    // Buffers fit the entry: most are small pages, and a bundle holds
    // a hundred thousand of them.
    let input = (r.compressed.min(256 << 10) as usize).max(64);
    let mut reader: Box<dyn Read> = match r.method {
        STORED => Box::new(std::io::BufReader::with_capacity(input, slice)),
        DEFLATE => Box::new(flate2::read::DeflateDecoder::new(
            std::io::BufReader::with_capacity(input, slice),
        )),
        _ => return Err(String::new()),
    };
    let keep = r.name == MANIFEST || r.name == SIGNATURE;
    let mut kept = Vec::new();
    let mut sha = Sha256::new();
    let mut crc = crc32fast::Hasher::new();
    let mut size = 0u64;
    // One byte more than declared, so that an entry that yields more shows.
    let mut buf = vec![0u8; (r.size.min(256 << 10) as usize) + 1];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => return Err(format!("{name}: cannot be decompressed ({e})")),
        };
        size += n as u64;
        if size > r.size {
            return Err(format!(
                "{name}: expands beyond its declared {} bytes (decompression stopped there)",
                r.size
            ));
        }
        if total.fetch_add(n as u64, Ordering::Relaxed) + n as u64 > max_total {
            return Err(format!(
                "{name}: decompression stopped: the archive passed the size limit of {max_total} bytes"
            ));
        }
        sha.update(&buf[..n]);
        crc.update(&buf[..n]);
        if keep && kept.len() < 64 << 20 {
            kept.extend_from_slice(&buf[..n]);
        }
    }
    if size != r.size {
        return Err(format!(
            "{name}: holds {size} bytes, the archive declares {}",
            r.size
        ));
    }
    if crc.finalize() != r.crc32 {
        return Err(format!(
            "{name}: CRC-32 does not match the archive's (the entry's bytes were changed)"
        ));
    }
    Ok(Hashed {
        size,
        sha256: sha.finalize().into(),
        bytes: keep.then_some(kept),
    })
}
