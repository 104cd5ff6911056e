//! The integration harness: copies a fixture workspace into a temporary
//! folder and runs the real `auditbook` binary on it.

#![allow(dead_code)] // each test binary uses part of the harness

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

pub struct Sandbox {
    dir: TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

pub fn fixture_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/workspaces")
        .join(name)
}

impl Sandbox {
    /// An empty sandbox.
    pub fn empty() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("temporary folder"),
        }
    }

    /// A sandbox holding a copy of `tests/fixtures/workspaces/<name>`.
    pub fn fixture(name: &str) -> Sandbox {
        let sandbox = Sandbox::empty();
        copy_tree(&fixture_dir(name), sandbox.path());
        sandbox
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, relative: &str, contents: &str) {
        let path = self.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    pub fn remove(&self, relative: &str) {
        std::fs::remove_file(self.path().join(relative)).unwrap();
    }

    /// Runs `auditbook -C <sandbox> <args>`.
    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(
            auditbook()
                .arg("-C")
                .arg(self.path())
                .args(args)
                .output()
                .expect("run auditbook"),
        )
    }

    /// Runs `git <args>` in the sandbox with fixed identity and dates.
    pub fn git(&self, args: &[&str], date: &str) {
        let status = Command::new("git")
            .current_dir(self.path())
            .args(args)
            .env("GIT_AUTHOR_NAME", "Dana Auditor")
            .env("GIT_AUTHOR_EMAIL", "dana@example.test")
            .env("GIT_COMMITTER_NAME", "Dana Auditor")
            .env("GIT_COMMITTER_EMAIL", "dana@example.test")
            .env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", self.path())
            .status()
            .expect("run git");
        assert!(status.success(), "git {args:?} failed");
    }
}

pub fn auditbook() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_auditbook"));
    command
        .env_remove("NO_COLOR")
        .env("SOURCE_DATE_EPOCH", "1795000000");
    command
}

pub fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let target = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The object of `array` whose `key` equals `value`.
pub fn find<'a>(array: &'a serde_json::Value, key: &str, value: &str) -> &'a serde_json::Value {
    array
        .as_array()
        .expect("an array")
        .iter()
        .find(|item| item[key] == value)
        .unwrap_or_else(|| panic!("no item with {key} = {value}"))
}
