//! What git knows about the workspace: the commit checked out and, for
//! each file, the commit that added it (the provenance and collection
//! time of evidence added by hand).
//!
//! One `git log` over the whole history answers for every file at once;
//! running git per file would cost a process per evidence item.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Stdio};

use chrono::{DateTime, Utc};

/// The commit that added a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Addition {
    pub commit: String,
    pub author: String,
    pub time: DateTime<Utc>,
}

/// The git facts of a workspace; empty when it is not a repository or git
/// is not installed.
#[derive(Debug, Clone, Default)]
pub struct History {
    head: Option<String>,
    /// Path relative to the workspace root -> its latest addition.
    added: HashMap<String, Addition>,
}

impl History {
    pub fn read(root: &Path) -> History {
        let Some(head) = git(root, &["rev-parse", "--verify", "-q", "HEAD"]) else {
            return History::default();
        };
        let head = head.trim().to_string();
        // Paths are relative to the repository's top level; the workspace
        // may be a subfolder of it.
        let prefix = git(root, &["rev-parse", "--show-prefix"]).unwrap_or_default();
        let prefix = prefix.trim();
        let log = git(
            root,
            &[
                "-c",
                "core.quotePath=false",
                "log",
                "--no-renames",
                "--diff-filter=A",
                "--name-only",
                "-z",
                "--format=%x1e%H%x1f%cI%x1f%an <%ae>",
                "--",
                ".",
            ],
        )
        .unwrap_or_default();
        History {
            head: Some(head),
            added: parse_log(&log, prefix),
        }
    }

    pub fn head(&self) -> Option<&str> {
        self.head.as_deref()
    }

    /// The commit that added `path` (relative to the workspace root).
    pub fn addition(&self, path: &str) -> Option<&Addition> {
        self.added.get(path)
    }
}

fn git(root: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Parses `git log -z --name-only` with records that start with `\x1e` and
/// fields separated by `\x1f`. Newest commits come first, so the first
/// addition seen of a path is its latest one.
fn parse_log(log: &str, prefix: &str) -> HashMap<String, Addition> {
    let mut added = HashMap::new();
    for record in log.split('\x1e').filter(|r| !r.is_empty()) {
        // With -z the header ends in NUL, and the file list follows a newline.
        let (header, files) = record.split_once('\0').unwrap_or((record, ""));
        let mut fields = header.split('\x1f');
        let (Some(commit), Some(time), Some(author)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let Ok(time) = DateTime::parse_from_rfc3339(time) else {
            continue;
        };
        for file in files
            .split('\0')
            .map(|f| f.trim_start_matches('\n'))
            .filter(|f| !f.is_empty())
        {
            let Some(relative) = file.strip_prefix(prefix) else {
                continue;
            };
            added
                .entry(relative.to_string())
                .or_insert_with(|| Addition {
                    commit: commit.to_string(),
                    author: author.to_string(),
                    time: time.with_timezone(&Utc),
                });
        }
    }
    added
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_records_give_the_latest_addition() {
        let log = "\x1eaaa\x1f2026-03-01T10:00:00+01:00\x1fJo <jo@x>\0\nsub/evidence/a.json\0sub/evidence/b.json\0\x1ebbb\x1f2026-01-01T00:00:00Z\x1fAl <al@x>\0\nsub/evidence/a.json\0other/c\0";
        let added = parse_log(log, "sub/");
        assert_eq!(added.len(), 2);
        assert_eq!(added["evidence/a.json"].commit, "aaa");
        assert_eq!(
            added["evidence/a.json"].time.to_rfc3339(),
            "2026-03-01T09:00:00+00:00"
        );
        assert_eq!(added["evidence/b.json"].author, "Jo <jo@x>");
    }
}
