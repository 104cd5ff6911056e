//! The portal's templates and assets: built into the binary from the
//! repository's `templates/`, each replaceable by a file of the same name in
//! the workspace's `templates/`.

use std::path::Path;

use anyhow::Context;
use minijinja::Environment;

/// Built-in templates, by name. Every page template extends `base.html`.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("macros.html", include_str!("../../templates/macros.html")),
    (
        "dashboard.html",
        include_str!("../../templates/dashboard.html"),
    ),
    (
        "framework.html",
        include_str!("../../templates/framework.html"),
    ),
    ("control.html", include_str!("../../templates/control.html")),
    ("policy.html", include_str!("../../templates/policy.html")),
    (
        "policies.html",
        include_str!("../../templates/policies.html"),
    ),
    (
        "evidence.html",
        include_str!("../../templates/evidence.html"),
    ),
    (
        "evidence-kind.html",
        include_str!("../../templates/evidence-kind.html"),
    ),
    (
        "evidence-list.html",
        include_str!("../../templates/evidence-list.html"),
    ),
    ("changes.html", include_str!("../../templates/changes.html")),
    (
        "versions.html",
        include_str!("../../templates/versions.html"),
    ),
];

/// Built-in static assets, by path under `assets/`.
pub const ASSETS: &[(&str, &str)] = &[
    (
        "style.css",
        include_str!("../../templates/assets/style.css"),
    ),
    ("app.js", include_str!("../../templates/assets/app.js")),
];

/// The template environment and the assets, after workspace overrides.
pub struct Templates {
    pub env: Environment<'static>,
    pub assets: Vec<(String, String)>,
    /// Names of the built-ins the workspace replaced.
    pub overridden: Vec<String>,
    /// A digest of every template and asset as loaded.
    pub digest: crate::cache::Digest16,
}

impl Templates {
    /// The built-ins, with any same-named file in `workspace/templates/`
    /// (and `templates/assets/`) taking their place.
    pub fn load(workspace: &Path) -> anyhow::Result<Templates> {
        let dir = workspace.join("templates");
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.set_formatter(super::escape::formatter);
        let mut overridden = Vec::new();
        let mut everything = Vec::new();
        let mut add = |name: &str, source: &str| {
            for part in [name, source] {
                everything.extend_from_slice(&(part.len() as u64).to_le_bytes());
                everything.extend_from_slice(part.as_bytes());
            }
        };
        for (name, builtin) in TEMPLATES {
            let source = read_override(&dir.join(name))?;
            if source.as_deref().is_some_and(|s| s != *builtin) {
                overridden.push((*name).to_string());
            }
            let source = source.unwrap_or_else(|| (*builtin).to_string());
            add(name, &source);
            env.add_template_owned(name.to_string(), source)
                .with_context(|| format!("template {name} does not parse"))?;
        }
        let mut assets = Vec::new();
        for (name, builtin) in ASSETS {
            let source = read_override(&dir.join("assets").join(name))?;
            if source.as_deref().is_some_and(|s| s != *builtin) {
                overridden.push(format!("assets/{name}"));
            }
            let source = source.unwrap_or_else(|| (*builtin).to_string());
            add(&format!("assets/{name}"), &source);
            assets.push((name.to_string(), source));
        }
        Ok(Templates {
            env,
            assets,
            overridden,
            digest: crate::cache::digest16(&everything),
        })
    }
}

fn read_override(path: &Path) -> anyhow::Result<Option<String>> {
    if path.is_file() {
        crate::fsutil::read_text(path).map(Some)
    } else {
        Ok(None)
    }
}
