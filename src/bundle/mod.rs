//! Bundles: a zip holding the portal built for one audience, with a
//! manifest of every entry (sha256 and size) and, when a signing key is
//! configured, an Ed25519 signature over the manifest's exact bytes.
//!
//! The workspace is cut down to the audience ([`audience`]) and assessed
//! again, and the portal is rendered by [`crate::render`] into no folder at
//! all (never into `site/`): each file is deflated on the rayon thread that
//! produced it, as it is produced, into a spill file next to the zip; the
//! zip is then written from the spill in name order ([`zipfile`]), and the
//! manifest and its signature come last, since they describe the rest. The
//! zip is written to a temporary file and renamed into place.
//!
//! Same inputs, same bytes: entries sorted by name, one fixed time
//! (`SOURCE_DATE_EPOCH`, else 1980-01-01 00:00), mode 0644, no extra
//! fields. The stamp's date is the day of the run (`SOURCE_DATE_EPOCH`,
//! else today).
//!
//! Layout: `README.txt`, `portal/` (the pages, `portal/raw/` the redacted
//! evidence files this audience may see, `portal/manifest.json` the
//! portal's own manifest), `manifest.json`, `manifest.sig`.

pub mod audience;
pub mod keys;
pub mod verify;
pub mod zipfile;

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use crate::render::{self, AudienceView, ManifestEntry, Output, RenderOptions, Sink, Templates};
use crate::workspace::Workspace;
use audience::{Audience, Withheld};
use keys::Signer25519;

pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.sig";
pub const FORMAT: &str = "auditbook-bundle-1";
/// The folder of the zip that holds the portal.
pub const PORTAL: &str = "portal";

/// `manifest.json` of a bundle.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct BundleManifest {
    pub format: String,
    #[serde(default)]
    pub organization: String,
    #[serde(default)]
    pub audience: String,
    #[serde(default)]
    pub classifications: Vec<String>,
    #[serde(default)]
    pub recipient: Option<String>,
    #[serde(default)]
    pub stamp: String,
    #[serde(default)]
    pub prepared_on: String,
    #[serde(default)]
    pub period: PeriodInfo,
    #[serde(default)]
    pub commit: Option<String>,
    #[serde(default)]
    pub auditbook_version: String,
    /// How statuses were judged: from this audience's items alone.
    #[serde(default)]
    pub statuses: String,
    #[serde(default)]
    pub signing_key: Option<SigningKeyInfo>,
    /// Every entry of the zip but the manifest and its signature.
    pub files: Vec<ManifestEntry>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct PeriodInfo {
    pub name: String,
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SigningKeyInfo {
    pub algorithm: String,
    /// `ssh-ed25519 <base64>`: the key `manifest.sig` checks against.
    pub public_key: String,
    /// `SHA256:…`, as `ssh-keygen -l` prints it: compare out of band.
    pub fingerprint: String,
}

#[derive(Debug, Clone)]
pub struct BundleOptions {
    pub audience: String,
    /// Who the bundle is for (`--for`).
    pub recipient: Option<String>,
    /// The zip (default `bundles/<period>-<audience>[-<recipient>].zip` in
    /// the workspace).
    pub out: Option<PathBuf>,
    /// The private key that signs the manifest.
    pub signing_key: Option<PathBuf>,
}

/// What [`build`] wrote.
#[derive(Debug)]
pub struct Bundled {
    pub path: PathBuf,
    pub entries: usize,
    pub bytes: u64,
    pub audience: Audience,
    pub withheld: Withheld,
    pub fingerprint: Option<String>,
    pub stamp: String,
}

/// Deflate level 1: on the benchmark's pages and evidence it deflates
/// 2.4 times as fast as zlib's default (6) for a zip 26% larger (a third
/// of the input rather than a quarter); level 2 gives 7% larger for 1.6
/// times the time of level 1. Rendering and deflating share the cores, so
/// the fastest level is what brings a bundle near `zip`'s time.
const LEVEL: u32 = 1;
const README: &str = "README.txt";

/// The bundle's [`Sink`]: deflates each file of the portal on the thread
/// that rendered it and appends the result, with its local header, to a
/// spill file, so that memory holds only the files in flight, never the
/// portal or its deflated form; the zip is then written in name order from
/// the spill, each entry copied in one piece. (The render produces in
/// whatever order rayon's threads get to, and the zip must not depend on
/// that.)
struct Deflater {
    spill: Mutex<Spill>,
    /// The zip's fixed time, for the local headers.
    time: (u16, u16),
}

struct Spill {
    file: BufWriter<File>,
    offset: u64,
    entries: Vec<Spilled>,
}

/// An entry deflated into the spill file: its local header at `offset`,
/// then its data.
struct Spilled {
    meta: zipfile::Meta,
    offset: u64,
    header_len: u64,
    compressed: u64,
}

impl Deflater {
    /// A spill file at `path`, removed at once where the system allows (it
    /// stays readable through its handle), so that a killed run leaves
    /// nothing.
    fn create(path: &Path, time: (u16, u16)) -> anyhow::Result<Deflater> {
        let file = File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let _ = std::fs::remove_file(path);
        Ok(Deflater {
            spill: Mutex::new(Spill {
                file: BufWriter::with_capacity(1 << 20, file),
                offset: 0,
                entries: Vec::new(),
            }),
            time,
        })
    }

    fn add(&self, name: String, bytes: &[u8]) -> anyhow::Result<()> {
        let entry = zipfile::deflate(name, bytes, LEVEL)?;
        let compressed = entry.data.len() as u64;
        let header = zipfile::local_header(&entry.meta, compressed, self.time)?;
        let mut spill = self
            .spill
            .lock()
            .expect("no writer panics while holding the lock");
        spill
            .file
            .write_all(&header)
            .and_then(|()| spill.file.write_all(&entry.data))
            .context("cannot write the bundle's spill file")?;
        let offset = spill.offset;
        spill.offset += header.len() as u64 + compressed;
        spill.entries.push(Spilled {
            meta: entry.meta,
            offset,
            header_len: header.len() as u64,
            compressed,
        });
        Ok(())
    }

    /// The spill file, ready to read, and its entries.
    fn finish(self) -> std::io::Result<(File, Vec<Spilled>)> {
        let spill = self
            .spill
            .into_inner()
            .expect("no writer panics while holding the lock");
        let file = spill.file.into_inner().map_err(|e| e.into_error())?;
        Ok((file, spill.entries))
    }
}

impl Sink for Deflater {
    fn put(&self, relative: &str, bytes: &[u8]) -> anyhow::Result<()> {
        self.add(format!("{PORTAL}/{relative}"), bytes)
    }
}

/// Builds the bundle of `workspace` for `options.audience`. The workspace
/// is cut down to the audience in place.
pub fn build(workspace: &mut Workspace, options: &BundleOptions) -> anyhow::Result<Bundled> {
    let config = workspace
        .config
        .as_ref()
        .context("auditbook.toml did not load")?;
    let audience = audience::resolve(config, &options.audience)?;
    let signer = options
        .signing_key
        .as_deref()
        .map(Signer25519::read)
        .transpose()?;
    let public = signer.as_ref().map(Signer25519::public);
    let now = crate::build_time();
    let prepared_on = now.date_naive().to_string();
    let recipient = options
        .recipient
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let stamp = format!(
        "Prepared for {}, {prepared_on} — confidential",
        recipient.map_or_else(|| format!("the {} audience", audience.name), str::to_string)
    );
    let period = config.period.clone();
    let organization = config.organization.name.clone();
    let path = match &options.out {
        Some(path) => path.clone(),
        None => workspace.root.join("bundles").join(default_name(
            &period.name,
            &audience.name,
            recipient,
        )),
    };
    let published =
        crate::site::read_published(&workspace.root.join("site").join(&period.name))?.is_some();

    let withheld = audience::restrict(workspace, &audience);
    let assessment = crate::assess::assess(workspace).context("auditbook.toml did not load")?;

    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let file_name = path
        .file_name()
        .with_context(|| format!("{} names no file", path.display()))?
        .to_string_lossy()
        .into_owned();
    let spill = dir.join(format!(".{file_name}.spill-{}", std::process::id()));
    let partial = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    remove_stale_temporaries(&dir, &file_name);
    let result = (|| -> anyhow::Result<usize> {
        let templates = Templates::load(&workspace.root)?;
        let render_options = RenderOptions {
            built_at: now,
            draft: !published,
            notice: None,
            // A bundle holds one period: no changes page, nothing read
            // from site/ that the audience might not see.
            previous: None,
            audience: Some(AudienceView {
                name: audience.name.clone(),
                classifications: audience
                    .classifications
                    .iter()
                    .map(|c| c.as_str().to_string())
                    .collect(),
                stamp: stamp.clone(),
                withheld: withheld.any(),
                fingerprint: public.as_ref().map(keys::Public::fingerprint),
            }),
        };
        let deflater = Arc::new(Deflater::create(&spill, fixed_time())?);
        let rendered = crate::timing::time("bundle: render and deflate", || {
            render::render(
                &assessment,
                &templates,
                Output::to_sink(deflater.clone()),
                &render_options,
            )
        })?;
        let readme = readme(&organization, &stamp, public.as_ref());
        deflater.add(README.to_string(), readme.as_bytes())?;
        let (mut spill_file, mut spilled) = Arc::into_inner(deflater)
            .context("the render kept the bundle's deflater")?
            .finish()
            .with_context(|| format!("cannot write {}", spill.display()))?;
        spilled.sort_unstable_by(|a, b| a.meta.name.cmp(&b.meta.name));
        // Every entry's sha256, from the render's records: the bytes were
        // hashed as they were produced.
        let readme_sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&readme));
        let portal_manifest = format!("{PORTAL}/{}", render::MANIFEST);
        let mut records = rendered.records.iter();
        let mut files = Vec::with_capacity(spilled.len());
        for entry in &spilled {
            let name = entry.meta.name.as_str();
            let sha256 = if name == README {
                readme_sha256.clone()
            } else if name == portal_manifest {
                rendered.manifest_sha256.clone()
            } else {
                let relative = name.strip_prefix(&format!("{PORTAL}/")).unwrap_or(name);
                match records.next() {
                    Some((path, record)) if path == relative => hex::encode(record.sha256),
                    _ => bail!("{name} has no record of the render"),
                }
            };
            files.push(ManifestEntry {
                path: entry.meta.name.clone(),
                sha256,
                size: entry.meta.size,
            });
        }
        if let Some((path, _)) = records.next() {
            bail!("{path} was rendered but not deflated");
        }
        let manifest = BundleManifest {
            format: FORMAT.to_string(),
            organization: organization.clone(),
            audience: audience.name.clone(),
            classifications: audience
                .classifications
                .iter()
                .map(|c| c.as_str().to_string())
                .collect(),
            recipient: recipient.map(str::to_string),
            stamp: stamp.clone(),
            prepared_on: prepared_on.clone(),
            period: PeriodInfo {
                name: period.name.clone(),
                start: period.start.to_string(),
                end: period.end.to_string(),
            },
            commit: assessment.workspace.commit.clone(),
            auditbook_version: env!("CARGO_PKG_VERSION").to_string(),
            statuses: "computed from the items this audience may see, alone".to_string(),
            signing_key: public.as_ref().map(|p| SigningKeyInfo {
                algorithm: "ed25519".to_string(),
                public_key: p.openssh(),
                fingerprint: p.fingerprint(),
            }),
            files,
        };
        let out = std::fs::File::create(&partial)
            .with_context(|| format!("cannot create {}", partial.display()))?;
        let mut zip = zipfile::Writer::new(BufWriter::with_capacity(1 << 20, out), fixed_time());
        let write_err = || format!("cannot write {}", partial.display());
        crate::timing::time("bundle: write the zip", || {
            copy_spilled(&mut spill_file, &spilled, &mut zip).with_context(|| {
                format!(
                    "cannot copy from {} to {}",
                    spill.display(),
                    partial.display()
                )
            })
        })?;
        drop(spill_file);
        let mut json = serde_json::to_vec_pretty(&manifest)?;
        json.push(b'\n');
        let (entry, _) = zipfile::compress(MANIFEST.to_string(), &json, LEVEL)?;
        zip.add(&entry).with_context(write_err)?;
        if let Some(signer) = &signer {
            let (entry, _) =
                zipfile::compress(SIGNATURE.to_string(), signer.sign(&json).as_bytes(), LEVEL)?;
            zip.add(&entry).with_context(write_err)?;
        }
        let writer = zip.finish().with_context(write_err)?;
        let file = writer
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(write_err)?;
        drop(file);
        Ok(manifest.files.len() + 1 + usize::from(signer.is_some()))
    })();
    let _ = std::fs::remove_file(&spill);
    let entries = match result {
        Ok(entries) => entries,
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            return Err(error);
        }
    };
    std::fs::rename(&partial, &path).with_context(|| {
        let _ = std::fs::remove_file(&partial);
        format!("cannot replace {}", path.display())
    })?;
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    // The process ends soon after: the assessment's many small
    // allocations need not be freed one by one.
    std::mem::forget(assessment);
    Ok(Bundled {
        path,
        entries,
        bytes,
        audience,
        withheld,
        fingerprint: public.as_ref().map(keys::Public::fingerprint),
        stamp,
    })
}

/// Removes what killed runs writing the same zip left behind.
fn remove_stale_temporaries(dir: &Path, file_name: &str) {
    let prefixes = [
        // Rendered folders of earlier versions, which staged on disk.
        format!(".{file_name}.render-"),
        format!(".{file_name}.spill-"),
        format!(".{file_name}.tmp-"),
    ];
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if prefixes.iter().any(|p| name.starts_with(p.as_str())) {
            let path = entry.path();
            let _ = std::fs::remove_dir_all(&path).or_else(|_| std::fs::remove_file(&path));
        }
    }
}

/// `2026-prospect-prospect-inc.zip`.
fn default_name(period: &str, audience: &str, recipient: Option<&str>) -> String {
    let slug = |text: &str| {
        let mut out = String::new();
        for c in text.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
        }
        out.trim_end_matches('-').to_string()
    };
    let mut name = format!("{}-{}", slug(period), slug(audience));
    if let Some(recipient) = recipient.map(slug).filter(|s| !s.is_empty()) {
        name.push('-');
        name.push_str(&recipient);
    }
    name.push_str(".zip");
    name
}

/// Adds the `entries` of the spill file `spill` to `zip`, in their order.
fn copy_spilled<W: std::io::Write>(
    spill: &mut File,
    entries: &[Spilled],
    zip: &mut zipfile::Writer<W>,
) -> std::io::Result<()> {
    // Where the spill file is read next: an entry written right after the
    // previous one needs no seek.
    let mut at = spill.stream_position()?;
    for entry in entries {
        if entry.offset != at {
            spill.seek(SeekFrom::Start(entry.offset))?;
        }
        zip.add_prebuilt(&entry.meta, entry.header_len, entry.compressed, &mut *spill)?;
        at = entry.offset + entry.header_len + entry.compressed;
    }
    Ok(())
}

/// The zip's one time for every entry.
fn fixed_time() -> (u16, u16) {
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|secs| chrono::DateTime::from_timestamp(secs, 0));
    match epoch {
        Some(time) => zipfile::dos_time(time),
        // 1980-01-01 00:00, the first time a zip can hold.
        None => (0, (1 << 5) | 1),
    }
}

fn readme(organization: &str, stamp: &str, key: Option<&keys::Public>) -> String {
    let signing = match key {
        Some(key) => format!(
            "manifest.sig is an Ed25519 signature over the exact bytes of manifest.json,\n\
             made with the key whose fingerprint is\n\n    {}\n\n\
             Check that fingerprint with {organization} through another channel\n\
             than the one this file came by (a phone call, their trust page) before\n\
             relying on the bundle.\n",
            key.fingerprint()
        ),
        None => "This bundle is not signed.\n".to_string(),
    };
    format!(
        "{organization}: audit evidence bundle\n\
         {stamp}\n\n\
         portal/index.html   the audit portal; open it in a browser, offline\n\
         portal/raw/         the evidence files, secrets redacted\n\
         manifest.json       the sha256 and size of every other file of this zip\n\
         manifest.sig        the signature of manifest.json\n\n\
         {signing}\n\
         To check the bundle: auditbook verify THIS.zip --key THEIR-KEY.pub\n\
         (or without --key, then compare the fingerprint it prints).\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_are_file_safe() {
        assert_eq!(
            default_name("2026", "prospect", Some("Prospect Inc.")),
            "2026-prospect-prospect-inc.zip"
        );
        assert_eq!(default_name("2026", "auditor", None), "2026-auditor.zip");
    }

    /// Entries come out of the spill in the order asked for, whether or
    /// not they follow each other there, and wherever the spill was left.
    #[test]
    fn spilled_entries_are_copied_in_the_order_given() {
        let dir = tempfile::tempdir().unwrap();
        let time = (0, (1 << 5) | 1);
        let deflater = Deflater::create(&dir.path().join("spill"), time).unwrap();
        for name in ["a", "b", "c", "d"] {
            let text = format!("{name} ").repeat(500);
            deflater.add(name.to_string(), text.as_bytes()).unwrap();
        }
        let (mut spill, mut entries) = deflater.finish().unwrap();
        // The file is left at its end; the first entry is at offset 0.
        entries.swap(2, 3);
        let mut zip = zipfile::Writer::new(Vec::new(), time);
        copy_spilled(&mut spill, &entries, &mut zip).unwrap();
        let mut expected = zipfile::Writer::new(Vec::new(), time);
        for name in ["a", "b", "d", "c"] {
            let text = format!("{name} ").repeat(500);
            expected
                .add(&zipfile::deflate(name.to_string(), text.as_bytes(), LEVEL).unwrap())
                .unwrap();
        }
        assert_eq!(zip.finish().unwrap(), expected.finish().unwrap());
    }
}
