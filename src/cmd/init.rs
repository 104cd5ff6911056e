//! `auditbook init`: a new workspace that checks clean at once, with a
//! commented `auditbook.toml` and two sample policies to edit.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::Datelike;

use crate::config::FILE_NAME;

/// The scaffold: destination (relative to the workspace) and template.
const FILES: &[(&str, &str)] = &[
    (FILE_NAME, include_str!("scaffold/auditbook.toml")),
    (".gitignore", include_str!("scaffold/gitignore")),
    (
        "policies/information-security.md",
        include_str!("scaffold/policies/information-security.md"),
    ),
    (
        "policies/access-control.md",
        include_str!("scaffold/policies/access-control.md"),
    ),
    (
        "evidence/access-reviews/{{year}}-q1.csv",
        include_str!("scaffold/evidence/access-review.csv"),
    ),
    (
        "evidence/access-reviews/{{year}}-q1.csv.meta.yaml",
        include_str!("scaffold/evidence/access-review.csv.meta.yaml"),
    ),
];

#[derive(Debug, Clone)]
pub struct InitOptions {
    pub dir: PathBuf,
    /// The organization's name for `[organization]`.
    pub organization: String,
    /// The year of the first audit period.
    pub year: i32,
}

impl InitOptions {
    /// Options for `dir`, with the current year (or `SOURCE_DATE_EPOCH`'s).
    pub fn new(dir: PathBuf, organization: Option<String>) -> InitOptions {
        InitOptions {
            dir,
            organization: organization.unwrap_or_else(|| "Example Organization".to_string()),
            year: crate::build_time().year(),
        }
    }
}

/// Writes the scaffold; refuses when `dir` already holds a workspace, and
/// never overwrites a file. Returns the files written.
pub fn run(options: &InitOptions) -> anyhow::Result<Vec<PathBuf>> {
    let config = options.dir.join(FILE_NAME);
    if config.exists() {
        anyhow::bail!(
            "{} already exists: {} is a workspace already",
            config.display(),
            options.dir.display()
        );
    }
    let name = options.organization.replace(|c: char| c.is_control(), "");
    let fill = |text: &str, name: &str| {
        text.replace("{{year}}", &options.year.to_string())
            .replace("{{organization}}", name)
    };
    let mut written = Vec::new();
    for (destination, template) in FILES {
        let path = options.dir.join(fill(destination, &name));
        if path.exists() {
            continue;
        }
        let name = if *destination == FILE_NAME {
            toml_escape(&name)
        } else {
            name.clone()
        };
        write_new(&path, &fill(template, &name))?;
        written.push(path);
    }
    std::fs::create_dir_all(options.dir.join("site"))
        .with_context(|| format!("cannot create {}", options.dir.join("site").display()))?;
    Ok(written)
}

fn write_new(path: &Path, contents: &str) -> anyhow::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))
}

/// Escapes text for a TOML basic string.
fn toml_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}
