//! Bundles: a zip holding the portal built for one audience, with a
//! manifest of every entry (sha256 and size) and, when a signing key is
//! configured, an Ed25519 signature over the manifest's exact bytes.
//!
//! The workspace is cut down to the audience ([`audience`]) and assessed
//! again, the portal is rendered by [`crate::render`] into a temporary
//! folder next to the zip (never into `site/`), and every file of it is
//! deflated on rayon's pool and written in name order ([`zipfile`]); the
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

use std::io::BufWriter;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::render::{self, AudienceView, ManifestEntry, Output, RenderOptions, Templates};
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

/// Deflate level: 6 (zlib's default) trades well on text evidence.
const LEVEL: u32 = 6;
/// Input bytes deflated at once before they are written in order: bounds
/// memory (the deflated batch) whatever the size of the tree.
const BATCH_BYTES: u64 = 32 << 20;

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
    let staging = dir.join(format!(".{file_name}.render-{}", std::process::id()));
    let partial = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    remove_stale_temporaries(&dir, &file_name);
    let result = (|| -> anyhow::Result<usize> {
        let templates = Templates::load(&workspace.root)?;
        let portal = staging.join(PORTAL);
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
        crate::timing::time("bundle: render", || {
            render::render(
                &assessment,
                &templates,
                Output::new(&portal)?,
                &render_options,
            )
        })?;
        std::fs::write(
            staging.join("README.txt"),
            readme(&organization, &stamp, public.as_ref()),
        )
        .with_context(|| format!("cannot write {}", staging.display()))?;

        let files = crate::timing::time("bundle: list", || list(&staging))?;
        let mut manifest = BundleManifest {
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
            files: Vec::with_capacity(files.len()),
        };
        let out = std::fs::File::create(&partial)
            .with_context(|| format!("cannot create {}", partial.display()))?;
        let mut zip = zipfile::Writer::new(BufWriter::with_capacity(1 << 20, out), fixed_time());
        let write_err = || format!("cannot write {}", partial.display());
        crate::timing::time("bundle: compress and write", || -> anyhow::Result<()> {
            for batch in batches(&files) {
                let compressed: Vec<(zipfile::Entry, [u8; 32])> = batch
                    .par_iter()
                    .map(|(name, source, _)| -> anyhow::Result<_> {
                        let file = std::fs::File::open(source)
                            .with_context(|| format!("cannot read {}", source.display()))?;
                        let compressed = zipfile::compress_from(
                            name.clone(),
                            file,
                            || std::fs::read(source),
                            LEVEL,
                        )
                        .with_context(|| format!("cannot read {}", source.display()))?;
                        // Removed as soon as it is read, on the workers: on a
                        // disk that discards freed blocks, removing a
                        // gigabyte of rendered files at the end can take
                        // longer than compressing it.
                        let _ = std::fs::remove_file(source);
                        Ok(compressed)
                    })
                    .collect::<anyhow::Result<_>>()?;
                for (entry, sha256) in compressed {
                    zip.add(&entry).with_context(write_err)?;
                    manifest.files.push(ManifestEntry {
                        path: entry.name,
                        sha256: hex::encode(sha256),
                        size: entry.size,
                    });
                }
            }
            Ok(())
        })?;
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
    crate::timing::time("bundle: remove the rendered folder", || {
        let _ = std::fs::remove_dir_all(&staging);
    });
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
        format!(".{file_name}.render-"),
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

/// Every file under `root` as (entry name, path, size), sorted by name.
/// The render wrote them all, so a link or an odd name is a bug, not data.
fn list(root: &Path) -> anyhow::Result<Vec<(String, PathBuf, u64)>> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(root).follow_links(false) {
        let entry = entry.with_context(|| format!("cannot list {}", root.display()))?;
        let kind = entry.file_type();
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() {
            bail!("{} is not a regular file", entry.path().display());
        }
        let relative = entry
            .path()
            .strip_prefix(root)
            .expect("walkdir stays under its root");
        let name = relative
            .components()
            .map(|c| c.as_os_str().to_str())
            .collect::<Option<Vec<_>>>()
            .with_context(|| format!("{} is not UTF-8", entry.path().display()))?
            .join("/");
        let size = entry
            .metadata()
            .with_context(|| format!("cannot read {}", entry.path().display()))?
            .len();
        files.push((name, entry.path().to_path_buf(), size));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// Consecutive runs of files of about [`BATCH_BYTES`] together.
fn batches(files: &[(String, PathBuf, u64)]) -> Vec<&[(String, PathBuf, u64)]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0u64;
    for (i, file) in files.iter().enumerate() {
        bytes += file.2;
        if bytes >= BATCH_BYTES {
            out.push(&files[start..=i]);
            start = i + 1;
            bytes = 0;
        }
    }
    if start < files.len() {
        out.push(&files[start..]);
    }
    out
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

    #[test]
    fn batches_cover_every_file_once_in_order() {
        let files: Vec<_> = (0..10)
            .map(|i| (format!("{i}"), PathBuf::new(), BATCH_BYTES / 2))
            .collect();
        let got: Vec<&str> = batches(&files)
            .iter()
            .flat_map(|b| b.iter().map(|f| f.0.as_str()))
            .collect();
        assert_eq!(got, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
        assert_eq!(batches(&files).len(), 5);
    }
}
