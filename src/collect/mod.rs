//! Collectors: they gather evidence from outside the workspace and write it
//! as files under `evidence/`, with their provenance; they never render.
//!
//! [`git`] reads local clones listed under `[[sources.git]]` and writes one
//! `commit-signing` evidence file per repository and period.

pub mod git;
pub mod github;
pub mod openpgp;
pub mod ssh;
pub mod verify;

use std::path::Path;

use anyhow::Context;

/// The `generator` stamp every collector writes: `auditbook <version>`.
pub fn generator() -> String {
    format!("auditbook {}", env!("CARGO_PKG_VERSION"))
}

/// Whether `path` may be replaced by a collector: it does not exist, or it
/// is JSON that auditbook wrote with `kind` and whose `identity` (a JSON
/// pointer) equals `expected`. Anything else is refused with an error that
/// names the file, so a collector never overwrites a file it did not write.
pub fn check_replaceable(
    path: &Path,
    kind: &str,
    pointer: &str,
    expected: &serde_json::Value,
) -> anyhow::Result<()> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => {
            return Err(error).with_context(|| format!("cannot read {}", path.display()));
        }
    };
    let ours = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .filter(|value| {
            value["generator"]
                .as_str()
                .is_some_and(|g| g.starts_with("auditbook"))
                && value["kind"] == kind
        });
    match ours {
        Some(value) if value.pointer(pointer) == Some(expected) => Ok(()),
        Some(value) => anyhow::bail!(
            "refusing to replace {}: it holds `{kind}` evidence of another source ({} is {}, not {})",
            path.display(),
            pointer,
            value.pointer(pointer).unwrap_or(&serde_json::Value::Null),
            expected
        ),
        None => anyhow::bail!(
            "refusing to replace {}: auditbook did not write it (no `generator: auditbook…` with kind `{kind}`)",
            path.display()
        ),
    }
}
