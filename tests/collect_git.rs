//! `auditbook collect git` on real repositories built in the test: real
//! commits, real signatures made with throwaway keys, and git itself as the
//! oracle for what each signature is.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tempfile::TempDir;

/// A sandbox: an isolated HOME and GNUPGHOME, a repository `repo/` and a
/// workspace `ws/` whose auditbook.toml lists it.
struct Lab {
    dir: TempDir,
}

const CONFIG: &str = r#"[organization]
name = "Example"
[period]
name = "2026"
start = "2026-01-01"
end = "2026-12-31"
[frameworks.soc2]
categories = ["security"]
[frameworks.iso27001]
exclude = ["A.7.*"]
exclude_reason = "No premises"
"#;

impl Lab {
    fn new() -> Lab {
        let lab = Lab {
            dir: tempfile::tempdir().expect("temporary folder"),
        };
        for dir in ["home", "gnupg", "repo", "ws", "keys"] {
            std::fs::create_dir_all(lab.path(dir)).unwrap();
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(lab.path("gnupg"), std::fs::Permissions::from_mode(0o700))
                .unwrap();
        }
        lab.git(&["init", "-q", "-b", "main"]);
        lab
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    fn env(&self, command: &mut Command) {
        command
            .env("HOME", self.path("home"))
            .env("GNUPGHOME", self.path("gnupg"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Alice")
            .env("GIT_AUTHOR_EMAIL", "alice@example.com")
            .env("GIT_COMMITTER_NAME", "Alice")
            .env("GIT_COMMITTER_EMAIL", "alice@example.com")
            .env_remove("SOURCE_DATE_EPOCH");
    }

    fn run(&self, program: &str, args: &[&str], dir: &Path, input: Option<&[u8]>) -> Output {
        let mut command = Command::new(program);
        command.args(args).current_dir(dir);
        self.env(&mut command);
        command.stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().unwrap_or_else(|e| panic!("{program}: {e}"));
        if let Some(input) = input {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(input).unwrap();
        }
        child.wait_with_output().unwrap()
    }

    /// Runs git in the repository; panics when it fails.
    fn git(&self, args: &[&str]) -> String {
        self.git_with(args, &[], None)
    }

    fn git_with(&self, args: &[&str], env: &[(&str, &str)], input: Option<&[u8]>) -> String {
        let mut command = Command::new("git");
        command.args(args).current_dir(self.path("repo"));
        self.env(&mut command);
        for (key, value) in env {
            command.env(key, value);
        }
        command
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("git");
        if let Some(input) = input {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(input).unwrap();
        }
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    /// A commit at `date` (`2026-01-15 10:00:00 +0000`) touching a file,
    /// with extra `-c` options (signing) and environment.
    fn commit(&self, message: &str, date: &str, config: &[&str], env: &[(&str, &str)]) -> String {
        // One file per commit: branches never conflict.
        let name: String = message
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let file = format!("{name}.txt");
        std::fs::write(self.path("repo").join(&file), format!("{message}\n")).unwrap();
        self.git(&["add", &file]);
        let mut args: Vec<&str> = Vec::new();
        for c in config {
            args.push("-c");
            args.push(c);
        }
        args.extend(["commit", "-q", "-m", message]);
        if config.iter().any(|c| c.starts_with("user.signingkey")) {
            args.push("-S");
        }
        let mut all_env = vec![("GIT_AUTHOR_DATE", date), ("GIT_COMMITTER_DATE", date)];
        all_env.extend_from_slice(env);
        self.git_with(&args, &all_env, None);
        self.git(&["rev-parse", "HEAD"])
    }

    /// A commit written by hand on top of HEAD with `gpgsig` holding
    /// `signature` (one line per line).
    fn raw_signed_commit(&self, message: &str, timestamp: i64, signature: &str) -> String {
        let tree = self.git(&["write-tree"]);
        let parent = self.git(&["rev-parse", "HEAD"]);
        let mut folded = String::new();
        for (i, line) in signature.lines().enumerate() {
            folded.push_str(if i == 0 { "gpgsig " } else { "\n " });
            folded.push_str(line);
        }
        let text = format!(
            "tree {tree}\nparent {parent}\nauthor Bob <bob@example.com> {timestamp} +0000\n\
             committer Bob <bob@example.com> {timestamp} +0000\n{folded}\n\n{message}\n"
        );
        let id = self.git_with(
            &["hash-object", "-t", "commit", "-w", "--stdin"],
            &[],
            Some(text.as_bytes()),
        );
        self.git(&["update-ref", "HEAD", &id]);
        id
    }

    fn workspace(&self, sources: &str) {
        std::fs::write(self.path("ws/auditbook.toml"), format!("{CONFIG}{sources}")).unwrap();
    }

    fn auditbook(&self, args: &[&str]) -> (i32, String, String) {
        let mut command = Command::new(env!("CARGO_BIN_EXE_auditbook"));
        command.arg("-C").arg(self.path("ws")).args(args);
        self.env(&mut command);
        command.env("SOURCE_DATE_EPOCH", "1798761600");
        let output = command.output().expect("auditbook");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    fn collect(&self) -> Value {
        let (code, stdout, stderr) = self.auditbook(&["collect", "git"]);
        assert_eq!(code, 0, "collect git failed:\n{stdout}\n{stderr}");
        let text = std::fs::read_to_string(self.path("ws/evidence/git/repo-2026.json"))
            .expect("the evidence file");
        serde_json::from_str(&text).expect("JSON evidence")
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // The agent gpg started for this GNUPGHOME.
        let _ = Command::new("gpgconf")
            .args(["--kill", "gpg-agent"])
            .env("GNUPGHOME", self.path("gnupg"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// A throwaway ed25519 SSH key; returns the private key's path.
fn ssh_key(lab: &Lab, name: &str) -> PathBuf {
    let path = lab.path("keys").join(name);
    let output = lab.run(
        "ssh-keygen",
        &[
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            name,
            "-f",
            path.to_str().unwrap(),
        ],
        &lab.path("keys"),
        None,
    );
    assert!(output.status.success(), "ssh-keygen: {output:?}");
    path
}

/// A throwaway OpenPGP key in the lab's GNUPGHOME; returns its fingerprint.
fn gpg_key(lab: &Lab, uid: &str, extra: &[&str]) -> String {
    let mut args = vec!["--batch", "--passphrase", "", "--quick-gen-key"];
    args.push(uid);
    args.extend_from_slice(extra);
    let output = lab.run("gpg", &args, &lab.path("home"), None);
    assert!(
        output.status.success(),
        "gpg --quick-gen-key: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let listing = lab.run(
        "gpg",
        &["--batch", "--with-colons", "--list-keys", uid],
        &lab.path("home"),
        None,
    );
    String::from_utf8_lossy(&listing.stdout)
        .lines()
        .find(|l| l.starts_with("fpr:"))
        .and_then(|l| l.split(':').nth(9))
        .expect("a fingerprint")
        .to_string()
}

fn summary(evidence: &Value) -> &Value {
    &evidence["summary"]
}

#[test]
fn classifies_every_commit_of_the_period() {
    if !have("gpg") || !have("ssh-keygen") {
        panic!("gpg and ssh-keygen are needed (scripts/test.sh installs them)");
    }
    let lab = Lab::new();
    // Before the period: not counted.
    lab.commit("old", "2025-12-31 23:00:00 +0000", &[], &[]);
    // In the period by the committer's own time zone (2025-12-31 in UTC).
    let early = lab.commit("new year", "2026-01-01 00:30:00 +0100", &[], &[]);
    let fpr = gpg_key(
        &lab,
        "Alice <alice@example.com>",
        &["ed25519", "sign", "never"],
    );
    let key_config = format!("user.signingkey={fpr}");
    let gpg_signed = lab.commit("gpg", "2026-02-10 10:00:00 +0000", &[&key_config], &[]);
    let ssh = ssh_key(&lab, "alice");
    let ssh_config = format!("user.signingkey={}", ssh.display());
    let ssh_signed = lab.commit(
        "ssh",
        "2026-03-10 10:00:00 +0000",
        &["gpg.format=ssh", &ssh_config],
        &[],
    );
    // A branch and a merge.
    lab.git(&["checkout", "-q", "-b", "topic", &early]);
    lab.commit("topic", "2026-04-01 10:00:00 +0000", &[], &[]);
    lab.git(&["checkout", "-q", "main"]);
    lab.git_with(
        &["merge", "-q", "--no-ff", "-m", "Merge topic", "topic"],
        &[
            ("GIT_AUTHOR_DATE", "2026-04-02 10:00:00 +0000"),
            ("GIT_COMMITTER_DATE", "2026-04-02 10:00:00 +0000"),
        ],
        None,
    );
    // Made on GitHub's web interface.
    let web = lab.commit(
        "web edit",
        "2026-05-01 10:00:00 +0000",
        &[],
        &[
            ("GIT_COMMITTER_NAME", "GitHub"),
            ("GIT_COMMITTER_EMAIL", "noreply@github.com"),
        ],
    );
    let x509 = lab.raw_signed_commit(
        "smime",
        1_780_000_000,
        "-----BEGIN SIGNED MESSAGE-----\nMIAGCSqGSIb3DQEHAqCAMIACAQEx\n-----END SIGNED MESSAGE-----",
    );
    let garbage = lab.raw_signed_commit("garbage", 1_780_000_100, "not a signature at all");
    let broken_ssh = lab.raw_signed_commit(
        "broken ssh",
        1_780_000_200,
        "-----BEGIN SSH SIGNATURE-----\n%%%%\n-----END SSH SIGNATURE-----",
    );
    // After the period: not counted.
    lab.commit("next year", "2027-01-01 00:00:00 +0000", &[], &[]);
    let head = lab.git(&["rev-parse", "HEAD"]);
    lab.git(&[
        "remote",
        "add",
        "origin",
        "https://example.com/acme/repo.git",
    ]);
    lab.workspace("[[sources.git]]\npath = \"../repo\"\nref = \"main\"\n");

    let evidence = lab.collect();
    assert_eq!(evidence["kind"], "commit-signing");
    assert!(evidence["generator"]
        .as_str()
        .unwrap()
        .starts_with("auditbook "));
    assert_eq!(evidence["repository"]["head"], head.as_str());
    assert_eq!(evidence["repository"]["ref"], "main");
    assert_eq!(evidence["repository"]["path"], "../repo");
    assert_eq!(
        evidence["repository"]["remote_url"],
        "https://example.com/acme/repo.git"
    );
    assert_eq!(evidence["collected_at"], "2027-01-01T00:00:00Z");
    let s = summary(&evidence);
    // new year, gpg, ssh, topic, merge, web, smime, garbage, broken ssh
    assert_eq!(s["commits"], 9, "{s}");
    assert_eq!(s["signed"]["gpg"], 1);
    assert_eq!(s["signed"]["ssh"], 2);
    assert_eq!(s["signed"]["x509"], 1);
    assert_eq!(s["signed"]["malformed"], 1);
    assert_eq!(s["unsigned"], 4);
    assert_eq!(s["merges"], 1);
    assert_eq!(s["web"], 1);

    let months: Vec<(String, u64)> = evidence["by_month"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["key"].as_str().unwrap().to_string(),
                m["commits"].as_u64().unwrap(),
            )
        })
        .collect();
    // 1_780_000_000 is 2026-05-28: the three hand-made commits.
    let expected: Vec<(String, u64)> = [
        ("2026-01", 1),
        ("2026-02", 1),
        ("2026-03", 1),
        ("2026-04", 2),
        ("2026-05", 4),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), *v))
    .collect();
    assert_eq!(months, expected);
    let authors: Vec<&str> = evidence["by_author"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        authors,
        ["Alice <alice@example.com>", "Bob <bob@example.com>"]
    );

    let listed = |hash: &str| {
        evidence["unverified"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["hash"] == hash)
            .cloned()
    };
    let web_entry = listed(&web).expect("the web commit is unsigned");
    assert_eq!(web_entry["web"], true);
    assert_eq!(web_entry["signature"], Value::Null);
    assert_eq!(web_entry["status"], "N");
    assert_eq!(web_entry["subject"], "web edit");
    assert_eq!(web_entry["author"], "Alice");
    assert_eq!(web_entry["date"], "2026-05-01T10:00:00+00:00");
    let x509_entry = listed(&x509).expect("X.509 is not verified by auditbook");
    assert_eq!(x509_entry["signature"], "x509");
    assert_eq!(x509_entry["status"], "E");
    assert_eq!(listed(&garbage).unwrap()["status"], "B");
    assert_eq!(listed(&garbage).unwrap()["signature"], "malformed");
    assert_eq!(listed(&broken_ssh).unwrap()["signature"], "ssh");
    assert_eq!(listed(&gpg_signed).unwrap()["signature"], "gpg");
    assert_eq!(listed(&ssh_signed).unwrap()["signature"], "ssh");
    let merge = evidence["unverified"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["merge"] == true)
        .expect("the merge");
    assert_eq!(merge["subject"], "Merge topic");

    // With git's commit-graph file the walk reads no commit object, and
    // the evidence is the same.
    lab.git(&["commit-graph", "write", "--reachable"]);
    assert!(lab.path("repo/.git/objects/info/commit-graph").exists());
    assert_eq!(lab.collect(), evidence);

    // `check` reads it as commit-signing evidence with DESIGN's summary.
    let (_, stdout, stderr) = lab.auditbook(&["check", "--format", "json"]);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    let item = report["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["path"] == "evidence/git/repo-2026.json")
        .expect("the evidence item");
    assert_eq!(item["kind"], "commit-signing");
    assert_eq!(item["summary"]["commits"], 9);
    assert_eq!(item["summary"]["signed"]["ssh"], 2);
    assert_eq!(item["summary"]["signed"]["gpg"], 1);
    assert_eq!(item["summary"]["signed"]["x509"], 1);
    assert_eq!(item["summary"]["unsigned"], 4);
    assert_eq!(item["summary"]["verified"], evidence["summary"]["verified"]);
}

#[test]
fn bad_input_is_an_error_naming_it_and_leaves_evidence_untouched() {
    let lab = Lab::new();
    lab.commit("one", "2026-01-10 10:00:00 +0000", &[], &[]);
    lab.commit("two", "2026-01-11 10:00:00 +0000", &[], &[]);
    lab.commit("three", "2026-01-12 10:00:00 +0000", &[], &[]);
    lab.workspace("[[sources.git]]\npath = \"../repo\"\n");
    let first = lab.collect();
    assert_eq!(first["summary"]["commits"], 3);
    let evidence = lab.path("ws/evidence/git/repo-2026.json");
    let before = std::fs::read(&evidence).unwrap();

    // Not a repository.
    std::fs::create_dir_all(lab.path("plain")).unwrap();
    lab.workspace("[[sources.git]]\npath = \"../repo\"\n[[sources.git]]\npath = \"../plain\"\n");
    let (code, _, stderr) = lab.auditbook(&["collect", "git"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("plain") && stderr.contains("not a git repository"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(&evidence).unwrap(),
        before,
        "evidence untouched"
    );

    // A shallow clone: history incomplete, and from where.
    let url = format!("file://{}", lab.path("repo").display());
    let output = lab.run(
        "git",
        &["clone", "-q", "--depth", "1", &url, "shallow"],
        lab.dir.path(),
        None,
    );
    assert!(output.status.success(), "{output:?}");
    let tip = lab.git(&["rev-parse", "HEAD"]);
    lab.workspace("[[sources.git]]\npath = \"../repo\"\n[[sources.git]]\npath = \"../shallow\"\n");
    let (code, _, stderr) = lab.auditbook(&["collect", "git"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("shallow") && stderr.contains("incomplete") && stderr.contains(&tip),
        "{stderr}"
    );
    assert!(stderr.contains(".git/shallow"), "{stderr}");
    assert_eq!(std::fs::read(&evidence).unwrap(), before);

    // A missing key file.
    lab.workspace(
        "[[sources.git]]\npath = \"../repo\"\nallowed_signers = \"trust/allowed_signers\"\n",
    );
    let (code, _, stderr) = lab.auditbook(&["collect", "git"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("trust/allowed_signers"), "{stderr}");
    assert_eq!(std::fs::read(&evidence).unwrap(), before);

    // An unknown ref.
    lab.workspace("[[sources.git]]\npath = \"../repo\"\nref = \"nope\"\n");
    let (code, _, stderr) = lab.auditbook(&["collect", "git"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("nope"), "{stderr}");

    // A file auditbook did not write is never replaced.
    std::fs::write(&evidence, b"{\"hand\": \"made\"}").unwrap();
    lab.workspace("[[sources.git]]\npath = \"../repo\"\n");
    let (code, _, stderr) = lab.auditbook(&["collect", "git"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("refusing to replace"), "{stderr}");
    assert_eq!(std::fs::read(&evidence).unwrap(), b"{\"hand\": \"made\"}");

    // Our own earlier file is replaced, atomically (no temporary left).
    std::fs::write(&evidence, &before).unwrap();
    // A commit-graph that does not know the newest commit: the walk reads
    // that one's object and takes the rest from the graph.
    lab.git(&["commit-graph", "write", "--reachable"]);
    lab.commit("four", "2026-01-13 10:00:00 +0000", &[], &[]);
    let second = lab.collect();
    assert_eq!(second["summary"]["commits"], 4);
    let names: Vec<String> = std::fs::read_dir(lab.path("ws/evidence/git"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["repo-2026.json"]);
}

/// Every commit's letter as auditbook reports it: `status` of the listed
/// (unverified) commits, `G` for the rest of the period.
fn letters(evidence: &Value, hashes: &[String]) -> Vec<(String, String)> {
    hashes
        .iter()
        .map(|hash| {
            let letter = evidence["unverified"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["hash"] == hash.as_str())
                .map_or("G".to_string(), |c| {
                    c["status"].as_str().unwrap().to_string()
                });
            (hash.clone(), letter)
        })
        .collect()
}

#[test]
fn verification_matches_git_with_the_same_trust() {
    let lab = Lab::new();
    std::fs::create_dir_all(lab.path("ws/trust/gpg")).unwrap();
    let export = |uid: &str, file: &str| {
        let output = lab.run(
            "gpg",
            &["--batch", "--armor", "--export", uid],
            &lab.path("home"),
            None,
        );
        assert!(output.status.success() && !output.stdout.is_empty());
        std::fs::write(lab.path("ws/trust/gpg").join(file), output.stdout).unwrap();
    };

    lab.commit("unsigned", "2026-01-05 10:00:00 +0000", &[], &[]);

    // OpenPGP: a trusted key (in GNUPGHOME, ultimately trusted as its
    // creator's, and in trust/gpg/).
    let alice = gpg_key(
        &lab,
        "Alice <alice@example.com>",
        &["ed25519", "sign", "never"],
    );
    export("alice@example.com", "alice.asc");
    let alice_cfg = format!("user.signingkey={alice}");
    let good_gpg = lab.commit("gpg good", "2026-01-10 10:00:00 +0000", &[&alice_cfg], &[]);

    // A tampered copy of it: the message changed, the signature kept.
    let raw = lab.git(&["cat-file", "commit", &good_gpg]);
    let tampered_text = format!("{}\n", raw.replace("gpg good", "gpg evil"));
    let tampered = lab.git_with(
        &["hash-object", "-t", "commit", "-w", "--stdin"],
        &[],
        Some(tampered_text.as_bytes()),
    );
    lab.git(&["update-ref", "HEAD", &tampered]);
    lab.git(&["reset", "-q", "--hard", &tampered]);
    let good_again = lab.commit(
        "gpg good again",
        "2026-01-11 10:00:00 +0000",
        &[&alice_cfg],
        &[],
    );

    // An unknown key: made in another GNUPGHOME, in no trust file.
    let other_home = lab.path("gnupg-other");
    std::fs::create_dir_all(&other_home).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&other_home, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
    let other_home_text = other_home.to_str().unwrap().to_string();
    let output = lab.run(
        "gpg",
        &[
            "--homedir",
            &other_home_text,
            "--batch",
            "--passphrase",
            "",
            "--quick-gen-key",
            "Bob <bob@example.com>",
            "ed25519",
            "sign",
            "never",
        ],
        &lab.path("home"),
        None,
    );
    assert!(output.status.success());
    lab.commit(
        "gpg unknown",
        "2026-01-20 10:00:00 +0000",
        &["user.signingkey=bob@example.com"],
        &[("GNUPGHOME", &other_home_text)],
    );
    let _ = Command::new("gpgconf")
        .args(["--kill", "gpg-agent"])
        .env("GNUPGHOME", &other_home)
        .status();

    // An expired key: made and used in 2020, valid for a day.
    let faked = lab.path("keys/gpg-2020");
    std::fs::write(
        &faked,
        "#!/bin/sh\nexec gpg --faked-system-time 20200101T120000 \"$@\"\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&faked, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let output = lab.run(
        "gpg",
        &[
            "--faked-system-time",
            "20200101T000000",
            "--batch",
            "--passphrase",
            "",
            "--quick-gen-key",
            "Carol <carol@example.com>",
            "ed25519",
            "sign",
            "1d",
        ],
        &lab.path("home"),
        None,
    );
    assert!(output.status.success(), "{output:?}");
    export("carol@example.com", "carol.asc");
    let faked_cfg = format!("gpg.program={}", faked.display());
    lab.commit(
        "gpg expired",
        "2026-02-01 10:00:00 +0000",
        &[&faked_cfg, "user.signingkey=carol@example.com"],
        &[],
    );

    // An expired signature (X): a key that never expires, made in 2020,
    // signing with a signature valid for a day.
    let faked_expiring = lab.path("keys/gpg-2020-sig-1d");
    std::fs::write(
        &faked_expiring,
        "#!/bin/sh\nexec gpg --faked-system-time 20200101T120000 --default-sig-expire 1d \"$@\"\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&faked_expiring, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let output = lab.run(
        "gpg",
        &[
            "--faked-system-time",
            "20200101T000000",
            "--batch",
            "--passphrase",
            "",
            "--quick-gen-key",
            "Dave <dave@example.com>",
            "ed25519",
            "sign",
            "never",
        ],
        &lab.path("home"),
        None,
    );
    assert!(output.status.success(), "{output:?}");
    export("dave@example.com", "dave.asc");
    let expiring_cfg = format!("gpg.program={}", faked_expiring.display());
    let expired_sig = lab.commit(
        "gpg expired signature",
        "2026-02-02 10:00:00 +0000",
        &[&expiring_cfg, "user.signingkey=dave@example.com"],
        &[],
    );

    // A revoked key (R): it signs, then its owner revokes it with the
    // certificate gpg made along with it.
    let erin = gpg_key(
        &lab,
        "Erin <erin@example.com>",
        &["ed25519", "sign", "never"],
    );
    let erin_cfg = format!("user.signingkey={erin}");
    let revoked = lab.commit(
        "gpg revoked",
        "2026-02-03 10:00:00 +0000",
        &[&erin_cfg],
        &[],
    );
    let certificate = std::fs::read_to_string(
        lab.path("gnupg")
            .join("openpgp-revocs.d")
            .join(format!("{erin}.rev")),
    )
    .unwrap()
    .replace(":-----BEGIN", "-----BEGIN");
    let output = lab.run(
        "gpg",
        &["--batch", "--import"],
        &lab.path("home"),
        Some(certificate.as_bytes()),
    );
    assert!(output.status.success(), "{output:?}");
    export("erin@example.com", "erin.asc");

    // SSH: an allowed signer, one outside allowed_signers, one outside its
    // validity window, and one whose principal is not the committer.
    let allowed = ssh_key(&lab, "allowed");
    let stranger = ssh_key(&lab, "stranger");
    let expired = ssh_key(&lab, "expired");
    let other = ssh_key(&lab, "other");
    let files_only = ssh_key(&lab, "files-only");
    let public = |key: &Path| {
        let text = std::fs::read_to_string(key.with_extension("pub")).unwrap();
        text.split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" ")
    };
    std::fs::write(
        lab.path("ws/trust/allowed_signers"),
        format!(
            "# who may sign\n\
             alice@example.com namespaces=\"git\" {}\n\
             alice@example.com valid-after=\"20250101\",valid-before=\"20260101\" {}\n\
             eve@example.com {}\n\
             alice@example.com namespaces=\"file\" {}\n",
            public(&allowed),
            public(&expired),
            public(&other),
            public(&files_only)
        ),
    )
    .unwrap();
    for (message, date, key) in [
        ("ssh allowed", "2026-03-01 10:00:00 +0000", &allowed),
        ("ssh stranger", "2026-03-02 10:00:00 +0000", &stranger),
        ("ssh expired", "2026-03-03 10:00:00 +0000", &expired),
        ("ssh other principal", "2026-03-04 10:00:00 +0000", &other),
        // Allowed to sign files, not commits.
        (
            "ssh wrong namespace",
            "2026-03-05 10:00:00 +0000",
            &files_only,
        ),
    ] {
        let key_cfg = format!("user.signingkey={}", key.display());
        lab.commit(message, date, &["gpg.format=ssh", &key_cfg], &[]);
    }
    // A merge of an unsigned branch.
    let base = lab.git(&["rev-parse", "HEAD~2"]);
    lab.git(&["checkout", "-q", "-b", "topic", &base]);
    lab.commit("topic", "2026-04-01 10:00:00 +0000", &[], &[]);
    lab.git(&["checkout", "-q", "main"]);
    lab.git_with(
        &["merge", "-q", "--no-ff", "-m", "Merge topic", "topic"],
        &[
            ("GIT_AUTHOR_DATE", "2026-04-02 10:00:00 +0000"),
            ("GIT_COMMITTER_DATE", "2026-04-02 10:00:00 +0000"),
        ],
        None,
    );
    // A good OpenPGP signature by a trusted key whose user id is not the
    // committer's email: git says G, GitHub would say bad_email.
    let frank = gpg_key(
        &lab,
        "Frank <frank@example.com>",
        &["ed25519", "sign", "never"],
    );
    export("frank@example.com", "frank.asc");
    let frank_cfg = format!("user.signingkey={frank}");
    let franks = lab.commit(
        "gpg by frank",
        "2026-04-03 10:00:00 +0000",
        &[&frank_cfg],
        &[],
    );

    lab.workspace(
        "[[sources.git]]\npath = \"../repo\"\nallowed_signers = \"trust/allowed_signers\"\ngpg_keys = \"trust/gpg/\"\n",
    );
    let evidence = lab.collect();

    // git, with the same trust, is the oracle.
    let signers_cfg = format!(
        "gpg.ssh.allowedSignersFile={}",
        lab.path("ws/trust/allowed_signers").display()
    );
    let oracle = lab.git(&["-c", &signers_cfg, "log", "--format=%H %G?", "main"]);
    let expected: Vec<(String, String)> = oracle
        .lines()
        .map(|line| {
            let (hash, letter) = line.split_once(' ').unwrap();
            (hash.to_string(), letter.to_string())
        })
        .collect();
    let hashes: Vec<String> = expected.iter().map(|(h, _)| h.clone()).collect();
    let got = letters(&evidence, &hashes);
    assert_eq!(got, expected, "auditbook's letters differ from git's");
    // Every case is there, so the comparison means something.
    let mut seen: Vec<&str> = expected.iter().map(|(_, l)| l.as_str()).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(
        seen,
        ["B", "E", "G", "N", "R", "U", "X", "Y"],
        "{expected:?}"
    );
    assert_eq!(
        letters(&evidence, &[expired_sig.clone(), revoked.clone()]),
        [
            (expired_sig.clone(), "X".to_string()),
            (revoked.clone(), "R".to_string())
        ]
    );
    // The tampered commit replaced the first good one in the history.
    assert_eq!(evidence["summary"]["commits"], 15);
    assert_eq!(
        letters(&evidence, std::slice::from_ref(&good_again)),
        [(good_again.clone(), "G".to_string())]
    );
    assert_eq!(evidence["summary"]["merges"], 1);
    assert_eq!(evidence["summary"]["signed"]["gpg"], 7);
    assert_eq!(evidence["summary"]["signed"]["ssh"], 5);

    // A good signature whose signer is not the committer: bad_email.
    let other_principal = evidence["unverified"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["subject"] == "ssh other principal");
    assert!(!other_principal, "git says G for it");
    assert_eq!(
        letters(&evidence, std::slice::from_ref(&franks)),
        [(franks.clone(), "G".to_string())]
    );
    assert_eq!(evidence["summary"]["bad_email"], 2);
    assert_eq!(evidence["summary"]["verified"], 4);
    let trust: Vec<&str> = evidence["provenance"]["trust"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        trust,
        [
            "trust/allowed_signers",
            "trust/gpg/alice.asc",
            "trust/gpg/carol.asc",
            "trust/gpg/dave.asc",
            "trust/gpg/erin.asc",
            "trust/gpg/frank.asc"
        ]
    );

    // The portal's page for the file: the verified share per month as a
    // chart with its values in words and in a table, and a table per
    // author, with the file's counts.
    let (code, stdout, stderr) = lab.auditbook(&["build"]);
    assert!(code == 0 || code == 1, "build failed:\n{stdout}\n{stderr}");
    let html = std::fs::read_to_string(lab.path("ws/site/2026/evidence/git/repo-2026.json.html"))
        .expect("the evidence page");
    let html = html.replace("&lt;", "<").replace("&gt;", ">");
    assert!(
        html.contains("aria-label=\"Share of verified commits per month: 2026-01 25% (1 of 4); 2026-02 0% (0 of 3); 2026-03 40% (2 of 5); 2026-04 33.3% (1 of 3).\""),
        "{html}"
    );
    let row = |c: &Value, share: &str| {
        format!(
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{share}</td></tr>",
            c["key"].as_str().unwrap(),
            c["commits"],
            c["signed"],
            c["verified"],
            c["unsigned"]
        )
    };
    let months = evidence["by_month"].as_array().unwrap();
    assert_eq!(months.len(), 4);
    for (month, share) in months.iter().zip(["25%", "0%", "40%", "33.3%"]) {
        assert!(html.contains(&row(month, share)), "{}", row(month, share));
    }
    // Everything here is Alice's: 4 of her 15 commits are verified.
    let authors = evidence["by_author"].as_array().unwrap();
    assert_eq!(authors.len(), 1);
    assert_eq!(authors[0]["key"], "Alice <alice@example.com>");
    assert!(html.contains(&row(&authors[0], "26.6%")), "{html}");

    // A malformed key file: an error naming it, evidence untouched.
    let before = std::fs::read(lab.path("ws/evidence/git/repo-2026.json")).unwrap();
    std::fs::write(lab.path("ws/trust/gpg/zz-broken.asc"), "not a key\n").unwrap();
    let (code, _, stderr) = lab.auditbook(&["collect", "git"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("trust/gpg/zz-broken.asc"), "{stderr}");
    std::fs::remove_file(lab.path("ws/trust/gpg/zz-broken.asc")).unwrap();
    std::fs::write(
        lab.path("ws/trust/allowed_signers"),
        "alice@example.com ssh-ed25519 AAAA-broken\n",
    )
    .unwrap();
    let (code, _, stderr) = lab.auditbook(&["collect", "git"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("trust/allowed_signers:1"), "{stderr}");
    assert_eq!(
        std::fs::read(lab.path("ws/evidence/git/repo-2026.json")).unwrap(),
        before
    );
}
