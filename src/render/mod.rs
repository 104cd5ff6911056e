//! The portal: one assessed workspace rendered into a folder of static
//! pages that open from disk or any web server. Pages are rendered in
//! parallel; every file written is recorded for `manifest.json`.
//!
//! Page paths, relative to the period's folder:
//! `index.html` (dashboard), `frameworks/<framework>.html`,
//! `controls/<framework>/<id>.html`, `policies.html`, `policies/<id>.html`,
//! `evidence.html`, `evidence/<path>.html`, `raw/<path>` (the redacted
//! file), `assets/`, `manifest.json`.

mod fingerprint;
mod markdown;
mod output;
mod raw;
mod templates;
mod views;

use anyhow::Context;
use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::assess::Assessment;
use crate::cache::pages::{Record, Records};
use crate::cache::Digest16;
use fingerprint::Fingerprints;
pub use output::{ManifestEntry, Output, Previous};
pub use templates::{Templates, ASSETS, TEMPLATES};
pub use views::href;
use views::Site;

/// What a build stamps on every page.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// When the build ran (`SOURCE_DATE_EPOCH` for reproducible builds).
    pub built_at: DateTime<Utc>,
    /// Whether this period is a draft (not published).
    pub draft: bool,
    /// A note shown on every page, e.g. a republication.
    pub notice: Option<String>,
    /// Set when the portal is built for one audience of a bundle.
    pub audience: Option<AudienceView>,
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

/// What [`render`] produced.
pub struct Rendered {
    pub manifest: Manifest,
    pub manifest_sha256: String,
    /// Every file of the folder (the manifest aside), for the page cache.
    pub records: Records,
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
     -> anyhow::Result<()> {
        match output.reuse(path, fingerprint)? {
            Some(record) => {
                if output.verifying() {
                    check_reused(path, &record, &produce()?, None)?;
                }
                Ok(())
            }
            None => output.write(path, &produce()?, fingerprint),
        }
    };
    let page = |template: &str,
                path: &str,
                fingerprint: Digest16,
                view: &dyn Fn() -> anyhow::Result<minijinja::Value>|
     -> anyhow::Result<()> {
        file(path, fingerprint, &|| {
            Ok(render_html(template, path, view()?)?.into_bytes())
        })
    };

    for (name, source) in &templates.assets {
        let path = format!("assets/{name}");
        let fingerprint = fingerprints.asset(&path, source.as_bytes());
        file(&path, fingerprint, &|| Ok(source.as_bytes().to_vec()))?;
    }
    let path = "assets/search-index.js";
    file(path, fingerprints.search_index(path, assessment), &|| {
        Ok(site.search_index_js().into_bytes())
    })?;

    page(
        "dashboard.html",
        "index.html",
        fingerprints.dashboard("index.html"),
        &|| Ok(site.dashboard()),
    )?;
    page(
        "policies.html",
        "policies.html",
        fingerprints.policy_list("policies.html"),
        &|| Ok(site.policy_list()),
    )?;
    page(
        "evidence-list.html",
        "evidence.html",
        fingerprints.evidence_list("evidence.html"),
        &|| Ok(site.evidence_list()),
    )?;
    for framework in site.frameworks() {
        let path = site.framework_path(framework);
        page(
            "framework.html",
            &path,
            fingerprints.framework(&path, assessment),
            &|| Ok(site.framework(framework)),
        )?;
    }
    (0..assessment.controls.len())
        .into_par_iter()
        .try_for_each(|i| {
            let path = site.control_path(i);
            page(
                "control.html",
                &path,
                fingerprints.control(&path, i),
                &|| Ok(site.control(i)),
            )
        })?;
    (0..assessment.workspace.policies.len())
        .into_par_iter()
        .try_for_each(|i| {
            let path = site.policy_path(i);
            page(
                "policy.html",
                &path,
                fingerprints.policy(&path, assessment, i),
                &|| Ok(site.policy(i)),
            )
        })?;
    (0..assessment.workspace.evidence.len())
        .into_par_iter()
        .try_for_each(|i| -> anyhow::Result<()> {
            let item = &assessment.workspace.evidence[i];
            let source = assessment.workspace.root.join(&item.path);
            let raw = site.raw_path(i);
            let raw_fingerprint = fingerprints.raw(item);
            let note = match output.reuse(&raw, raw_fingerprint)? {
                Some(record) => {
                    let note = raw::Note::decode(record.note);
                    if output.verifying() {
                        let (bytes, fresh) = raw::bytes(&source)?;
                        check_reused(&raw, &record, &bytes, Some((note, fresh)))?;
                    }
                    note
                }
                None => raw::write(&output, &raw, &source, item, raw_fingerprint)?,
            };
            let path = site.evidence_path(i);
            page(
                "evidence.html",
                &path,
                fingerprints.evidence(&path, assessment, i),
                &|| {
                    let copy = raw::describe(&output.root().join(&raw), note)?;
                    site.evidence(i, &copy)
                },
            )
        })?;
    crate::timing::record("render: pages", started.elapsed());

    let finished = crate::timing::time("render: finish", || output.finish())?;
    let period = &assessment.config.period;
    let manifest = Manifest {
        period: period.name.clone(),
        start: period.start.to_string(),
        end: period.end.to_string(),
        built_at: crate::report::time(options.built_at),
        commit: assessment.workspace.commit.clone(),
        files: finished.entries,
    };
    let manifest_sha256 = crate::timing::time("render: manifest", || -> anyhow::Result<_> {
        let mut json = serde_json::to_vec_pretty(&manifest)?;
        json.push(b'\n');
        output.write_unlisted(MANIFEST, &json)
    })?;
    Ok(Rendered {
        manifest,
        manifest_sha256,
        records: finished.records,
        previous: output.into_previous(),
    })
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
