//! Loading a workspace: `auditbook.toml`, the catalogs, `policies/` and
//! `evidence/`, read once into a [`Workspace`] with every problem found on
//! the way collected as diagnostics. `check` and `build` share this load.

mod evidence;
mod git;
mod policy;

use std::path::{Path, PathBuf};

use crate::catalog::Catalog;
use crate::config::{self, Config};
use crate::diagnostic::Diagnostics;
use crate::timing;

pub use evidence::{Evidence, LazyDetails, Mapping, Provenance, TimeSource, Via};
pub use git::History;
pub use policy::Policy;

/// Everything read from a workspace.
#[derive(Debug)]
pub struct Workspace {
    pub root: PathBuf,
    pub catalog: Catalog,
    /// `None` when `auditbook.toml` has errors; policies and evidence are
    /// still loaded so that all problems are reported in one run.
    pub config: Option<Config>,
    /// Sorted by id.
    pub policies: Vec<Policy>,
    /// Sorted by path.
    pub evidence: Vec<Evidence>,
    /// The commit checked out, when the workspace is a git repository.
    pub commit: Option<String>,
    pub diagnostics: Diagnostics,
}

/// How loading reports progress.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// Show a progress bar while hashing (only on a terminal).
    pub progress: bool,
    /// Keep each evidence item's details (findings tables, failing tests,
    /// log excerpts) for the portal; `check` does not need them.
    pub details: bool,
    /// Use (and update) the file cache in `.auditbook/cache/`.
    pub cache: bool,
}

impl Workspace {
    /// Loads the workspace at `root`. Errors are failures to read the
    /// workspace at all (no `auditbook.toml`, an unreadable folder);
    /// problems with its content are diagnostics.
    pub fn load(root: &Path, options: LoadOptions) -> anyhow::Result<Workspace> {
        let root = root.to_path_buf();
        let mut diagnostics = Diagnostics::default();
        let catalog = timing::time("load: catalogs", || Catalog::load(&root, &mut diagnostics))?;
        let config = timing::time("load: config", || {
            config::load(&root, &catalog, &mut diagnostics)
        })?;
        // Policies load beside the history and the evidence; their
        // diagnostics keep their order (policies first).
        let mut policy_diagnostics = Diagnostics::default();
        let mut evidence_diagnostics = Diagnostics::default();
        let (policies, (history, evidence)) = rayon::join(
            || {
                timing::time("load: policies", || {
                    policy::load_all(&root, &catalog, &mut policy_diagnostics)
                })
            },
            || {
                let history = timing::time("load: git history", || History::read(&root));
                let evidence = evidence::load_all(
                    &root,
                    &catalog,
                    config.as_ref(),
                    &history,
                    options,
                    &mut evidence_diagnostics,
                );
                (history, evidence)
            },
        );
        let policies = policies?;
        let evidence = evidence?;
        diagnostics.extend(policy_diagnostics.iter().cloned());
        diagnostics.extend(evidence_diagnostics.iter().cloned());
        Ok(Workspace {
            commit: history.head().map(str::to_string),
            root,
            catalog,
            config,
            policies,
            evidence,
            diagnostics,
        })
    }
}

/// Splits `---`-delimited YAML front matter from a markdown text. Returns
/// the YAML, the body, and the number of lines before the YAML.
pub fn split_front_matter(text: &str) -> Option<(&str, &str, u32)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" || line.trim_end() == "..." {
            let yaml = &rest[..offset];
            let body = &rest[offset + line.len()..];
            return Some((yaml, body, 1));
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_splits_from_body() {
        let (yaml, body, before) = split_front_matter("---\ntitle: A\n---\n# Body\n").unwrap();
        assert_eq!(yaml, "title: A\n");
        assert_eq!(body, "# Body\n");
        assert_eq!(before, 1);
        assert!(split_front_matter("# No front matter\n").is_none());
        assert!(split_front_matter("---\ntitle: unterminated\n").is_none());
    }
}
