//! Policies: `policies/**/*.md`, markdown with YAML front matter. The id is
//! the path without `.md`, relative to `policies/`.

use std::path::Path;

use anyhow::Context;
use chrono::NaiveDate;
use rayon::prelude::*;
use serde::Deserialize;
use walkdir::WalkDir;

use crate::catalog::{yaml_diagnostic, Catalog, ControlKey};
use crate::config::Classification;
use crate::diagnostic::{locate_token, Code, Diagnostic, Diagnostics};
use crate::fsutil;
use crate::interval::{self, Interval};

/// How often a policy is reviewed when its front matter does not say.
pub const DEFAULT_REVIEW_EVERY: Interval = Interval::Months(12);

#[derive(Debug, Clone)]
pub struct Policy {
    pub id: String,
    /// Relative to the workspace root.
    pub path: String,
    pub title: String,
    pub owner: String,
    pub version: String,
    pub approved_by: Option<String>,
    pub approved_on: Option<NaiveDate>,
    pub review_every: Interval,
    /// `approved_on` + `review_every`.
    pub next_review: Option<NaiveDate>,
    pub classification: Classification,
    pub controls: Vec<ControlKey>,
    pub description: Option<String>,
    /// The markdown after the front matter.
    pub body: String,
    /// Line of the file where the body starts.
    pub body_line: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    title: String,
    owner: String,
    version: Scalar,
    approved_by: Option<String>,
    approved_on: Option<Scalar>,
    review_every: Option<String>,
    classification: Option<Classification>,
    #[serde(default)]
    controls: Vec<String>,
    description: Option<String>,
}

const POLICY_KEYS: &[&str] = &[
    "title",
    "owner",
    "version",
    "approved_by",
    "approved_on",
    "review_every",
    "classification",
    "controls",
    "description",
];

/// A YAML scalar read as text: `version: 2.1` and `version: "2.1"` mean the
/// same to a user.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Scalar {
    Text(String),
    Integer(i64),
    Float(f64),
}

impl Scalar {
    fn into_string(self) -> String {
        match self {
            Scalar::Text(s) => s,
            Scalar::Integer(i) => i.to_string(),
            Scalar::Float(f) => f.to_string(),
        }
    }
}

/// Loads every policy under `root/policies`, in id order.
pub fn load_all(
    root: &Path,
    catalog: &Catalog,
    diagnostics: &mut Diagnostics,
) -> anyhow::Result<Vec<Policy>> {
    let dir = root.join("policies");
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut paths = Vec::new();
    for entry in WalkDir::new(&dir).sort_by_file_name() {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let is_markdown = entry.path().extension().and_then(|e| e.to_str()) == Some("md");
        if entry.file_type().is_file() && is_markdown && !is_hidden(entry.path(), &dir) {
            paths.push(entry.into_path());
        }
    }
    let results: Vec<(Option<Policy>, Vec<Diagnostic>)> = paths
        .par_iter()
        .map(|path| load_one(root, &dir, path, catalog))
        .collect();
    let mut policies = Vec::with_capacity(results.len());
    for (policy, found) in results {
        diagnostics.extend(found);
        policies.extend(policy);
    }
    policies.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(policies)
}

fn is_hidden(path: &Path, under: &Path) -> bool {
    path.strip_prefix(under)
        .unwrap_or(path)
        .components()
        .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
}

fn load_one(
    root: &Path,
    dir: &Path,
    path: &Path,
    catalog: &Catalog,
) -> (Option<Policy>, Vec<Diagnostic>) {
    let file = fsutil::relative_display(root, path);
    let mut diagnostics = Vec::new();
    let text = match fsutil::read_text(path) {
        Ok(text) => text,
        Err(error) => {
            diagnostics
                .push(Diagnostic::new(Code::FileUnreadable, format!("{error:#}")).in_file(&file));
            return (None, diagnostics);
        }
    };
    let Some((yaml, body, lines_before)) = super::split_front_matter(&text) else {
        diagnostics.push(
            Diagnostic::new(Code::FrontMatterMissing, "policy has no front matter")
                .in_file(&file)
                .with_help("start the file with `---`, the policy's title, owner, version and controls in YAML, and `---`"),
        );
        return (None, diagnostics);
    };
    let raw: RawPolicy = match serde_yaml_ng::from_str(yaml) {
        Ok(raw) => raw,
        Err(error) => {
            diagnostics.push(yaml_diagnostic(
                Code::FrontMatterInvalid,
                &error,
                &file,
                lines_before,
                POLICY_KEYS,
            ));
            return (None, diagnostics);
        }
    };
    // Offset into `text` of the YAML, for pointing at values.
    let yaml_offset = yaml.as_ptr() as usize - text.as_ptr() as usize;
    let locate = |needle: &str, key: &str| {
        let from = text[yaml_offset..]
            .find(&format!("{key}:"))
            .map_or(yaml_offset, |i| yaml_offset + i);
        locate_token(&text, needle, from)
    };
    let invalid = |message: String, position| {
        Diagnostic::new(Code::FrontMatterInvalid, message)
            .in_file(&file)
            .at(position)
    };

    let mut ok = true;
    let approved_on = raw.approved_on.map(Scalar::into_string).and_then(|value| {
        interval::parse_date(&value)
            .map_err(|message| {
                diagnostics.push(invalid(message, locate(&value, "approved_on")));
                ok = false;
            })
            .ok()
    });
    let review_every = match &raw.review_every {
        None => DEFAULT_REVIEW_EVERY,
        Some(value) => Interval::parse(value).unwrap_or_else(|message| {
            diagnostics.push(invalid(message, locate(value, "review_every")));
            ok = false;
            DEFAULT_REVIEW_EVERY
        }),
    };
    let mut controls = Vec::new();
    for id in &raw.controls {
        match catalog.resolve(id) {
            Ok(key) if !controls.contains(&key) => controls.push(key),
            Ok(_) => {}
            Err(error) => {
                diagnostics.push(error.diagnostic(id, &file, locate(id, "controls")));
                ok = false;
            }
        }
    }
    for (field, value) in [("title", &raw.title), ("owner", &raw.owner)] {
        if value.trim().is_empty() {
            diagnostics.push(invalid(format!("`{field}` is empty"), locate(field, field)));
            ok = false;
        }
    }
    if !ok {
        return (None, diagnostics);
    }

    let id = fsutil::relative_display(dir, &path.with_extension(""));
    let next_review = approved_on.and_then(|date| review_every.after(date));
    let body_line = lines_before + yaml.lines().count() as u32 + 2;
    let body = body.to_string();
    let policy = Policy {
        id,
        path: file,
        title: raw.title.trim().to_string(),
        owner: raw.owner.trim().to_string(),
        version: raw.version.into_string(),
        approved_by: raw.approved_by,
        approved_on,
        review_every,
        next_review,
        classification: raw.classification.unwrap_or_default(),
        controls,
        description: raw.description,
        body,
        body_line,
    };
    (Some(policy), diagnostics)
}
