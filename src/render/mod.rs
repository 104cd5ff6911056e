//! The portal: one assessed workspace rendered into a folder of static
//! pages that open from disk or any web server. Pages are rendered in
//! parallel; every file written is recorded for `manifest.json`.
//!
//! Page paths, relative to the period's folder:
//! `index.html` (dashboard), `frameworks/<framework>.html`,
//! `controls/<framework>/<id>.html`, `policies.html`, `policies/<id>.html`,
//! `evidence.html`, `evidence/<path>.html`, `raw/<path>` (the redacted
//! file), `assets/`, `model.json` (the period's model, read by later
//! periods), `changes.html` (what changed since the previous period, when
//! there is one) and `manifest.json`.

mod escape;
mod fingerprint;
mod markdown;
mod model;
mod output;
mod raw;
mod templates;
mod views;

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;

use anyhow::Context;
use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::assess::Assessment;
use crate::cache::pages::Record;
use crate::cache::Digest16;
use fingerprint::Fingerprints;
pub use model::{Model, MODEL, MODEL_EVIDENCE};
pub use output::{ManifestEntry, Output, Previous, Sink};
pub use templates::{Templates, ASSETS, TEMPLATES};
pub use views::href;
use views::{Changes, Site, CHANGES};

/// What a build stamps on every page.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// When the build ran (`SOURCE_DATE_EPOCH` for reproducible builds).
    pub built_at: DateTime<Utc>,
    /// Whether this period is a draft (not published).
    pub draft: bool,
    /// A note shown on every page, e.g. a republication.
    pub notice: Option<String>,
    /// The period before this one, to show what changed since.
    pub previous: Option<PreviousPeriod>,
    /// Set when the portal is built for one audience of a bundle.
    pub audience: Option<AudienceView>,
}

/// The newest period older than the one rendered, as its folder holds it.
#[derive(Debug, Clone)]
pub struct PreviousPeriod {
    /// The name of its folder in the site (its period's name).
    pub folder: String,
    pub model: Model,
    /// sha256 of its `model.json`.
    pub sha256: String,
}

/// What every page of a bundle's portal says about whom it was prepared
/// for and what it leaves out.
#[derive(Debug, Clone, Serialize)]
pub struct AudienceView {
    pub name: String,
    /// The classifications the audience may see, lowest first.
    pub classifications: Vec<String>,
    /// `Prepared for Prospect Inc, 2026-11-27 — confidential`.
    pub stamp: String,
    /// Policies, evidence items and recurring activities left out.
    pub withheld: bool,
    /// `SHA256:…` of the key that signs the bundle.
    pub fingerprint: Option<String>,
}

/// The manifest of one portal version: every file with sha256 and size.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub period: String,
    pub start: String,
    pub end: String,
    pub built_at: String,
    pub commit: Option<String>,
    pub files: Vec<ManifestEntry>,
}

pub const MANIFEST: &str = "manifest.json";
/// The search index comes in parts, each a script (see `views::index_js`):
/// controls in `assets/search-index.js`, policies spread over
/// `assets/search-policies-NN.js`, evidence in `assets/search-evidence.js`,
/// so that editing a policy rewrites a small part.
pub const SEARCH_INDEX: &str = "assets/search-index.js";
pub const SEARCH_EVIDENCE: &str = "assets/search-evidence.js";

/// A manifest's fields before its list of files.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ManifestHead {
    pub period: String,
    pub start: String,
    pub end: String,
    pub built_at: String,
    pub commit: Option<String>,
}

impl ManifestHead {
    /// Reads the head of the manifest at `path` without parsing its list
    /// of files (which can run to tens of megabytes).
    pub fn read(path: &Path) -> anyhow::Result<ManifestHead> {
        let mut head = Vec::with_capacity(4096);
        File::open(path)
            .and_then(|f| f.take(4096).read_to_end(&mut head))
            .with_context(|| format!("cannot read {}", path.display()))?;
        let text = String::from_utf8_lossy(&head);
        // The manifest is written by `write_manifest`: `"files"` is its
        // last key. Anything else is read in full.
        if let Some(at) = text.find("\n  \"files\": [") {
            if let Ok(parsed) = serde_json::from_str(&format!("{}\n}}", &text[..at - 1])) {
                return Ok(parsed);
            }
        }
        let text = crate::fsutil::read_text(path)?;
        let manifest: Manifest = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a valid manifest", path.display()))?;
        Ok(ManifestHead {
            period: manifest.period,
            start: manifest.start,
            end: manifest.end,
            built_at: manifest.built_at,
            commit: manifest.commit,
        })
    }
}

/// Writes a manifest exactly as `serde_json::to_vec_pretty` would, plus a
/// final newline, with the list of files written in parallel pieces.
pub fn write_manifest(head: &ManifestHead, files: &[(String, Record)]) -> Vec<u8> {
    let string = |value: &str| serde_json::to_string(value).expect("strings serialize");
    let mut out = String::with_capacity(files.len() * 200 + 512);
    out.push_str("{\n");
    for (key, value) in [
        ("period", &head.period),
        ("start", &head.start),
        ("end", &head.end),
        ("built_at", &head.built_at),
    ] {
        out.push_str(&format!("  \"{key}\": {},\n", string(value)));
    }
    let commit = head.commit.as_deref().map_or("null".to_string(), string);
    out.push_str(&format!("  \"commit\": {commit},\n"));
    if files.is_empty() {
        out.push_str("  \"files\": []\n}\n");
        return out.into_bytes();
    }
    out.push_str("  \"files\": [\n");
    let pieces: Vec<String> = files
        .par_chunks(4096)
        .map(|chunk| {
            let mut piece = String::with_capacity(chunk.len() * 200);
            for (path, record) in chunk {
                piece.push_str("    {\n      \"path\": ");
                piece.push_str(&string(path));
                piece.push_str(",\n      \"sha256\": \"");
                piece.push_str(&hex::encode(record.sha256));
                piece.push_str("\",\n      \"size\": ");
                piece.push_str(&record.size.to_string());
                piece.push_str("\n    },\n");
            }
            piece
        })
        .collect();
    for piece in &pieces {
        out.push_str(piece);
    }
    out.truncate(out.len() - 2); // the last ",\n"
    out.push_str("\n  ]\n}\n");
    out.into_bytes()
}

/// What [`render`] produced.
pub struct Rendered {
    pub head: ManifestHead,
    pub manifest_sha256: String,
    /// Every file of the folder (the manifest aside), sorted by path, for
    /// the page cache.
    pub records: Vec<(String, Record)>,
    /// The live folder's records `output` was given, handed back.
    pub previous: Option<Previous>,
}

/// Renders the portal of `assessment` into `output`'s folder, reusing
/// every file whose fingerprint is unchanged, and writes its manifest.
pub fn render(
    assessment: &Assessment<'_>,
    templates: &Templates,
    output: Output,
    options: &RenderOptions,
) -> anyhow::Result<Rendered> {
    let fingerprints = crate::timing::time("render: fingerprints", || {
        Fingerprints::new(assessment, templates, options)
    });
    let site = Site::new(assessment, options);
    let started = std::time::Instant::now();
    let render_html = |template: &str, path: &str, context: minijinja::Value| {
        templates
            .env
            .get_template(template)
            .and_then(|t| t.render(context))
            .with_context(|| format!("cannot render {path} with template {template}"))
    };
    // A file is rendered only when no earlier one has its fingerprint.
    let file = |path: &str,
                fingerprint: Digest16,
                produce: &dyn Fn() -> anyhow::Result<Vec<u8>>|
     -> anyhow::Result<(String, Record)> {
        let record = match output.reuse(path, fingerprint, false)? {
            Some(record) => {
                if output.verifying() {
                    check_reused(path, &record, &produce()?, None)?;
                }
                record
            }
            None => output.write(path, &produce()?, fingerprint)?,
        };
        Ok((path.to_string(), record))
    };
    let page = |template: &str,
                path: &str,
                fingerprint: Digest16,
                view: &dyn Fn() -> anyhow::Result<minijinja::Value>|
     -> anyhow::Result<(String, Record)> {
        file(path, fingerprint, &|| {
            Ok(render_html(template, path, view()?)?.into_bytes())
        })
    };

    // The files made once per portal are jobs of their own, beside the
    // pages made per item: a rebuild that renders a few pages and the big
    // summaries (dashboard, model, lists) spreads them over every thread.
    // The whole model (and the changes computed from it) is built only
    // when the dashboard or the changes page is to be rendered.
    let model = OnceLock::new();
    let model = || model.get_or_init(|| Model::of(assessment, &site));
    let changes = OnceLock::new();
    let changes = || {
        changes
            .get_or_init(|| {
                options
                    .previous
                    .as_ref()
                    .map(|p| Changes::between(&p.folder, &p.model, model()))
            })
            .as_ref()
    };
    type Job<'j> = Box<dyn Fn() -> anyhow::Result<(String, Record)> + Send + Sync + 'j>;
    let (file, page, site, fingerprints) = (&file, &page, &site, &fingerprints);
    let changes = &changes;
    let shards = views::policy_shards(&assessment.workspace.policies);
    let mut jobs: Vec<Job> = Vec::with_capacity(templates.assets.len() + 32);
    for (name, source) in &templates.assets {
        let path = format!("assets/{name}");
        jobs.push(Box::new(move || {
            let fingerprint = fingerprints.asset(&path, source.as_bytes());
            file(&path, fingerprint, &|| Ok(source.as_bytes().to_vec()))
        }));
    }
    jobs.push(Box::new(move || {
        let fingerprint = fingerprints.search_controls(SEARCH_INDEX, assessment);
        file(SEARCH_INDEX, fingerprint, &|| {
            Ok(site.search_controls_js().into_bytes())
        })
    }));
    for (shard, indices) in shards.iter().enumerate() {
        let path = format!("assets/search-policies-{shard:02}.js");
        jobs.push(Box::new(move || {
            let fingerprint = fingerprints.search_policies(&path, indices);
            file(&path, fingerprint, &|| {
                Ok(site.search_policies_js(shard, indices).into_bytes())
            })
        }));
    }
    jobs.push(Box::new(move || {
        let fingerprint = fingerprints.search_evidence(SEARCH_EVIDENCE);
        file(SEARCH_EVIDENCE, fingerprint, &|| {
            Ok(site.search_evidence_js().into_bytes())
        })
    }));
    jobs.push(Box::new(move || {
        file(MODEL, fingerprints.model(MODEL), &|| {
            Ok(Model::head_of(assessment, site).to_json())
        })
    }));
    jobs.push(Box::new(move || {
        file(
            MODEL_EVIDENCE,
            fingerprints.model_evidence(MODEL_EVIDENCE),
            &|| Ok(Model::evidence_json(&Model::evidence_of(assessment, site))),
        )
    }));
    jobs.push(Box::new(move || {
        page(
            "dashboard.html",
            "index.html",
            fingerprints.dashboard("index.html"),
            &|| Ok(site.dashboard(changes().map(Changes::link))),
        )
    }));
    if options.previous.is_some() {
        jobs.push(Box::new(move || {
            page(
                "changes.html",
                CHANGES,
                fingerprints.changes(CHANGES),
                &|| Ok(site.changes(changes().context("a previous period has changes")?)),
            )
        }));
    }
    jobs.push(Box::new(move || {
        page(
            "policies.html",
            "policies.html",
            fingerprints.policy_list("policies.html"),
            &|| Ok(site.policy_list()),
        )
    }));
    jobs.push(Box::new(move || {
        page(
            "evidence-list.html",
            "evidence.html",
            fingerprints.evidence_list("evidence.html"),
            &|| Ok(site.evidence_list()),
        )
    }));
    for framework in site.frameworks() {
        jobs.push(Box::new(move || {
            let path = site.framework_path(framework);
            page(
                "framework.html",
                &path,
                fingerprints.framework(&path, assessment),
                &|| Ok(site.framework(framework)),
            )
        }));
    }
    let singletons =
        || -> anyhow::Result<Vec<(String, Record)>> { jobs.par_iter().map(|job| job()).collect() };
    let controls = || -> anyhow::Result<Vec<(String, Record)>> {
        (0..assessment.controls.len())
            .into_par_iter()
            .with_max_len(crate::ITEMS_PER_TASK)
            .map(|i| {
                let path = site.control_path(i);
                page(
                    "control.html",
                    &path,
                    fingerprints.control(&path, i),
                    &|| Ok(site.control(i)),
                )
            })
            .collect()
    };
    let policies = || -> anyhow::Result<Vec<(String, Record)>> {
        (0..assessment.workspace.policies.len())
            .into_par_iter()
            .with_max_len(crate::ITEMS_PER_TASK)
            .map(|i| {
                let path = site.policy_path(i);
                page(
                    "policy.html",
                    &path,
                    fingerprints.policy(&path, assessment, i),
                    &|| Ok(site.policy(i)),
                )
            })
            .collect()
    };
    let evidence = || -> anyhow::Result<Vec<[(String, Record); 2]>> {
        // Largest files first: a 150 MB log copied last would keep one
        // thread busy while the others have nothing left to do.
        let evidence = &assessment.workspace.evidence;
        crate::map_largest_first(
            evidence.len(),
            |i| evidence[i].size,
            |i| -> anyhow::Result<[(String, Record); 2]> {
                let item = &evidence[i];
                let source = assessment.workspace.root.join(&item.path);
                let raw = site.raw_path(i);
                let raw_fingerprint = fingerprints.raw(item);
                let (raw_record, note, written) = match output.reuse(&raw, raw_fingerprint, true)? {
                    Some(record) => {
                        let note = raw::Note::decode(record.note);
                        if output.verifying() {
                            let (bytes, fresh) = raw::bytes(&source)?;
                            check_reused(&raw, &record, &bytes, Some((note, fresh)))?;
                        }
                        (record, note, None)
                    }
                    None => {
                        let (record, note, copy) =
                            raw::write(&output, &raw, &source, item, raw_fingerprint)?;
                        (record, note, Some(copy))
                    }
                };
                let path = site.evidence_path(i);
                let page = page(
                    "evidence.html",
                    &path,
                    fingerprints.evidence(&path, assessment, i),
                    &|| match &written {
                        Some(copy) => site.evidence(i, copy),
                        None => site.evidence(i, &raw::describe(&output.root().join(&raw), note)?),
                    },
                )?;
                Ok([page, (raw, raw_record)])
            },
        )
    };
    let (singletons, (controls, (policies, evidence))) = rayon::join(singletons, || {
        rayon::join(controls, || rayon::join(policies, evidence))
    });
    drop(jobs); // they borrow `output`
    let mut evidence = evidence?;
    let mut records = singletons?;
    records.reserve(2 * evidence.len() + assessment.workspace.policies.len() + 164);
    records.extend(controls?);
    records.extend(policies?);
    // Pages first, then the copies: nearly the order of their paths.
    records.extend(evidence.iter_mut().map(|[page, _]| std::mem::take(page)));
    records.extend(evidence.into_iter().map(|[_, copy]| copy));
    crate::timing::record("render: pages", started.elapsed());

    let finished = crate::timing::time("render: finish", || output.finish(records))?;
    let period = &assessment.config.period;
    let head = ManifestHead {
        period: period.name.clone(),
        start: period.start.to_string(),
        end: period.end.to_string(),
        built_at: crate::report::time(options.built_at),
        commit: assessment.workspace.commit.clone(),
    };
    let manifest_sha256 = crate::timing::time("render: manifest", || {
        output.write_unlisted(MANIFEST, &write_manifest(&head, &finished.records))
    })?;
    Ok(Rendered {
        head,
        manifest_sha256,
        records: finished.records,
        previous: output.into_previous(),
    })
}

impl Rendered {
    /// The manifest's list of files.
    pub fn files(&self) -> Vec<ManifestEntry> {
        self.records
            .iter()
            .map(|(path, record)| ManifestEntry {
                path: path.clone(),
                sha256: hex::encode(record.sha256),
                size: record.size,
            })
            .collect()
    }
}

/// `serde_json::to_string(items)` for a long slice, serialised in
/// parallel pieces (compact JSON has no whitespace to get wrong).
pub fn json_array<T: Serialize + Sync>(items: &[T]) -> String {
    let pieces: Vec<String> = items
        .par_chunks(4096)
        .map(|chunk| serde_json::to_string(chunk).expect("serializable"))
        .collect();
    let mut json = String::with_capacity(pieces.iter().map(String::len).sum::<usize>() + 2);
    json.push('[');
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(&piece[1..piece.len() - 1]);
    }
    json.push(']');
    json
}

/// Appends `json` with `<`, U+2028 and U+2029 written as JSON escapes, in
/// one pass (`<` and the first byte of both line separators, 0xE2, are
/// found with memchr).
pub fn push_js_escaped(out: &mut String, json: &str) {
    let bytes = json.as_bytes();
    let mut copied = 0;
    let mut from = 0;
    while let Some(found) = memchr::memchr2(b'<', 0xe2, &bytes[from..]) {
        let at = from + found;
        let escape = match &bytes[at..] {
            [b'<', ..] => Some(("\\u003c", 1)),
            [0xe2, 0x80, 0xa8, ..] => Some(("\\u2028", 3)),
            [0xe2, 0x80, 0xa9, ..] => Some(("\\u2029", 3)),
            _ => None,
        };
        match escape {
            Some((text, len)) => {
                out.push_str(&json[copied..at]);
                out.push_str(text);
                copied = at + len;
                from = copied;
            }
            None => from = at + 1,
        }
    }
    out.push_str(&json[copied..]);
}

/// Fails when a reused file is not what rendering it now gives: a
/// fingerprint that misses something its file depends on.
fn check_reused(
    path: &str,
    record: &Record,
    fresh: &[u8],
    notes: Option<(raw::Note, raw::Note)>,
) -> anyhow::Result<()> {
    let same_notes = notes.is_none_or(|(kept, fresh)| kept == fresh);
    if <[u8; 32]>::from(Sha256::digest(fresh)) != record.sha256 || !same_notes {
        anyhow::bail!(
            "{path} was reused from an earlier build but rendering it now gives other content: \
             its fingerprint misses something it depends on"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_are_written_as_serde_json_would() {
        let head = ManifestHead {
            period: "2026".into(),
            start: "2026-01-01".into(),
            end: "2026-12-31".into(),
            built_at: "2026-11-18T10:00:00Z".into(),
            commit: None,
        };
        for n in [0usize, 1, 5000] {
            let files: Vec<(String, Record)> = (0..n)
                .map(|i| {
                    let record = Record {
                        fingerprint: [0; 16],
                        sha256: [i as u8; 32],
                        size: i as u64 * 31,
                        stamp: Default::default(),
                        note: 0,
                    };
                    (format!("evidence/\"odd\" \\ é\t{i}.html"), record)
                })
                .collect();
            let manifest = Manifest {
                period: head.period.clone(),
                start: head.start.clone(),
                end: head.end.clone(),
                built_at: head.built_at.clone(),
                commit: Some("abc".into()).filter(|_| n == 1),
                files: files
                    .iter()
                    .map(|(path, r)| ManifestEntry {
                        path: path.clone(),
                        sha256: hex::encode(r.sha256),
                        size: r.size,
                    })
                    .collect(),
            };
            let head = ManifestHead {
                commit: manifest.commit.clone(),
                ..head.clone()
            };
            let mut expected = serde_json::to_vec_pretty(&manifest).unwrap();
            expected.push(b'\n');
            let written = write_manifest(&head, &files);
            assert_eq!(
                String::from_utf8(written.clone()).unwrap(),
                String::from_utf8(expected).unwrap()
            );
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("manifest.json");
            std::fs::write(&path, &written).unwrap();
            assert_eq!(ManifestHead::read(&path).unwrap(), head);
        }
    }

    #[test]
    fn js_escaping_matches_replace() {
        let json = "a<b\u{2028}c\u{2029}d<<é\u{2020}\u{20ac}<";
        let mut out = String::new();
        super::push_js_escaped(&mut out, json);
        let expected = json
            .replace('<', "\\u003c")
            .replace('\u{2028}', "\\u2028")
            .replace('\u{2029}', "\\u2029");
        assert_eq!(out, expected);
    }

    #[test]
    fn json_arrays_in_pieces_equal_serde_json() {
        for n in [0usize, 1, 4095, 4096, 4097, 10_000] {
            let items: Vec<[String; 2]> = (0..n)
                .map(|i| [format!("\"{i}\"\n"), "<é>".to_string()])
                .collect();
            assert_eq!(
                super::json_array(&items),
                serde_json::to_string(&items).unwrap()
            );
        }
    }
}
