//! The integration harness: copies a fixture workspace into a temporary
//! folder and runs the real `auditbook` binary on it.

#![allow(dead_code)] // each test binary uses part of the harness

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

pub mod site;

pub struct Sandbox {
    dir: TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(output: Output) -> Run {
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

    /// A sandbox holding a copy of the example company at the repository
    /// root (its config, policies, evidence and catalogs).
    pub fn example() -> Sandbox {
        let sandbox = Sandbox::empty();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for dir in ["policies", "evidence", "catalogs"] {
            copy_tree(&root.join(dir), &sandbox.path().join(dir));
        }
        std::fs::copy(
            root.join("auditbook.toml"),
            sandbox.path().join("auditbook.toml"),
        )
        .unwrap();
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

    /// Plants script-injection payloads in a policy (title, owner, body),
    /// an evidence file's name and content, and its sidecar. Payloads that
    /// would run set `window.pwned` or open a dialog; mutation-XSS shapes
    /// are included.
    pub fn plant_xss(&self) {
        self.write(
            "policies/xss.md",
            concat!(
                "---\ntitle: \"<script>alert('title')</script>\"\nowner: \"<img src=x onerror=alert(1)>\"\nversion: \"1\"\n",
                "approved_on: 2026-02-01\ncontrols: [CC6.1]\ndescription: \"<svg onload=alert(1)>\"\n---\n",
                "# Policy\n\n<script>alert('body'); window.pwned = 'script'</script>\n\n",
                "<img src=x onerror=\"alert(2); window.pwned = 'img'\">\n\n",
                "[click](javascript:alert(3)) [data](data:text/html;base64,PHNjcmlwdD5hbGVydCg0KTwvc2NyaXB0Pg==)\n\n",
                "<a href=\"jAvAsCrIpT:alert(5)\">x</a> <iframe src=\"https://evil.test\"></iframe>\n\n",
                "<div style=\"background:url(javascript:alert(6))\" onclick=\"alert(7)\">styled</div>\n\n",
                "<details open ontoggle=\"window.pwned = 'toggle'\">x</details> <body onload=\"window.pwned = 'body'\">\n\n",
                "<form action=\"https://evil.test\"><button formaction=\"javascript:alert(12)\">go</button></form>\n\n",
                "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.test\"> <base href=\"https://evil.test/\">\n\n",
                "<object data=\"https://evil.test/x.swf\"></object> <embed src=\"https://evil.test/x\">\n\n",
                "![pixel](https://evil.test/track.png) <img src=\"//evil.test/pixel.gif\">\n\n",
                "<svg><script>window.pwned = 'svg'</script></svg>\n\n",
                "<noscript><p title=\"</noscript><img src=x onerror=alert(13)>\"></noscript>\n\n",
                // Last: an unclosed <style> swallows what follows it.
                "<math><mtext><table><mglyph><style><img src=x onerror=\"window.pwned = 'mxss'\">\n"
            ),
        );
        self.write(
            "evidence/misc/<img src=x onerror=alert(8)>.txt",
            "</pre><script>alert(9); window.pwned = 'evidence'</script>\n",
        );
        self.write(
            "evidence/misc/<img src=x onerror=alert(8)>.txt.meta.yaml",
            "title: \"<script>alert(10)</script>\"\ncontrols: [CC6.1]\ndescription: \"javascript:alert(11)\"\n",
        );
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
        .env("SOURCE_DATE_EPOCH", "1795000000")
        // Every file a build reuses is rendered again and compared.
        .env("AUDITBOOK_VERIFY_REUSE", "1");
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
