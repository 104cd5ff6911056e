//! The portal: one assessed workspace rendered into a folder of static
//! pages that open from disk or any web server. Pages are rendered in
//! parallel; every file written is recorded for `manifest.json`.
//!
//! Page paths, relative to the period's folder:
//! `index.html` (dashboard), `frameworks/<framework>.html`,
//! `controls/<framework>/<id>.html`, `policies.html`, `policies/<id>.html`,
//! `evidence.html`, `evidence/<path>.html`, `raw/<path>` (the redacted
//! file), `assets/`, `manifest.json`.

mod markdown;
mod output;
mod templates;
mod views;

use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, Utc};
use rayon::prelude::*;
use serde::Serialize;

use crate::assess::Assessment;
pub use output::{ManifestEntry, Output};
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

/// Renders the portal of `assessment` into `out` and writes its manifest.
pub fn render(
    assessment: &Assessment<'_>,
    templates: &Templates,
    out: &Path,
    options: &RenderOptions,
) -> anyhow::Result<Manifest> {
    let output = Output::new(out)?;
    let site = Site::new(assessment, options);
    let render_page =
        |template: &str, path: &str, context: minijinja::Value| -> anyhow::Result<()> {
            let html = templates
                .env
                .get_template(template)
                .and_then(|t| t.render(context))
                .with_context(|| format!("cannot render {path} with template {template}"))?;
            output.write(path, html.as_bytes())
        };

    for (name, source) in &templates.assets {
        output.write(&format!("assets/{name}"), source.as_bytes())?;
    }
    output.write("assets/search-index.js", site.search_index_js().as_bytes())?;

    render_page("dashboard.html", "index.html", site.dashboard())?;
    render_page("policies.html", "policies.html", site.policy_list())?;
    render_page("evidence-list.html", "evidence.html", site.evidence_list())?;
    for framework in site.frameworks() {
        render_page(
            "framework.html",
            &site.framework_path(framework),
            site.framework(framework),
        )?;
    }
    (0..assessment.controls.len())
        .into_par_iter()
        .try_for_each(|i| render_page("control.html", &site.control_path(i), site.control(i)))?;
    (0..assessment.workspace.policies.len())
        .into_par_iter()
        .try_for_each(|i| render_page("policy.html", &site.policy_path(i), site.policy(i)))?;
    (0..assessment.workspace.evidence.len())
        .into_par_iter()
        .try_for_each(|i| -> anyhow::Result<()> {
            let page = site.evidence(i, &output)?;
            render_page("evidence.html", &site.evidence_path(i), page)
        })?;

    let files = output.into_entries();
    let period = &assessment.config.period;
    let manifest = Manifest {
        period: period.name.clone(),
        start: period.start.to_string(),
        end: period.end.to_string(),
        built_at: crate::report::time(options.built_at),
        commit: assessment.workspace.commit.clone(),
        files,
    };
    let mut json = serde_json::to_vec_pretty(&manifest)?;
    json.push(b'\n');
    std::fs::write(out.join(MANIFEST), json)
        .with_context(|| format!("cannot write {}", out.join(MANIFEST).display()))?;
    Ok(manifest)
}
