//! `bundle`, `keygen` and `verify`, run as a user runs them. Every bundle
//! is read back by independent readers (python3's zipfile and `unzip -t`)
//! and its manifest checked against what they read; tampered and crafted
//! archives are rejected by `verify`, which writes nothing.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::{auditbook, Run, Sandbox};

fn example() -> Sandbox {
    Sandbox::example()
}

fn run_in(cwd: &Path, args: &[&str], envs: &[(&str, &Path)]) -> Run {
    let mut command = auditbook();
    command.current_dir(cwd).args(args);
    for (k, v) in envs {
        command.env(k, v);
    }
    let output = command.output().expect("run auditbook");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Makes a key pair in `dir` and returns (private, public, fingerprint).
fn keygen(dir: &Path, name: &str) -> (PathBuf, PathBuf, String) {
    let prefix = dir.join(name);
    let run = run_in(dir, &["keygen", "--out", prefix.to_str().unwrap()], &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let fingerprint = run
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("fingerprint "))
        .expect("keygen prints the fingerprint")
        .to_string();
    (
        prefix.with_extension("key"),
        prefix.with_extension("pub"),
        fingerprint,
    )
}

fn bundle(sandbox: &Sandbox, key: Option<&Path>, args: &[&str]) -> Run {
    let mut command = auditbook();
    command
        .arg("-C")
        .arg(sandbox.path())
        .arg("bundle")
        .args(args);
    match key {
        Some(key) => command.env("AUDITBOOK_SIGNING_KEY", key),
        None => command.env_remove("AUDITBOOK_SIGNING_KEY"),
    };
    let output = command.output().expect("run auditbook");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `bundle --audience prospect --for "Prospect Inc" --out <out>`.
fn prospect_bundle(sandbox: &Sandbox, key: Option<&Path>, out: &Path) -> Run {
    let out = out.to_str().unwrap();
    bundle(
        sandbox,
        key,
        &[
            "--audience",
            "prospect",
            "--for",
            "Prospect Inc",
            "--out",
            out,
        ],
    )
}

fn verify(zip: &Path, key: Option<&Path>) -> Run {
    let cwd = tempfile::tempdir().unwrap();
    let mut args = vec!["verify", zip.to_str().unwrap()];
    if let Some(key) = key {
        args.extend(["--key", key.to_str().unwrap()]);
    }
    let run = run_in(cwd.path(), &args, &[]);
    assert_eq!(
        std::fs::read_dir(cwd.path()).unwrap().count(),
        0,
        "verify wrote into its working folder"
    );
    run
}

/// One entry as python3's zipfile reads it.
struct Read {
    size: u64,
    sha256: String,
    bytes: Vec<u8>,
    mode: u32,
}

const PY_READ: &str = r#"
import base64, hashlib, json, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
bad = z.testzip()
out = []
for info in z.infolist():
    data = z.read(info)
    out.append({"name": info.filename, "size": info.file_size,
                "sha256": hashlib.sha256(data).hexdigest(),
                "mode": info.external_attr >> 16, "system": info.create_system,
                "date": list(info.date_time),
                "data": base64.b64encode(data).decode()})
print(json.dumps({"bad": bad, "entries": out}))
"#;

/// Reads a zip with python3's zipfile (CRCs checked by `testzip`) and
/// tests it with `unzip -t`; returns the entries in archive order.
fn independent_read(zip: &Path) -> Vec<(String, Read)> {
    let output = Command::new("python3")
        .args(["-c", PY_READ])
        .arg(zip)
        .output()
        .expect("python3");
    assert!(
        output.status.success(),
        "python3 zipfile cannot read {}: {}",
        zip.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(value["bad"], Value::Null, "python3 zipfile: bad CRC");
    let unzip = Command::new("unzip")
        .arg("-t")
        .arg(zip)
        .output()
        .expect("unzip");
    let text = String::from_utf8_lossy(&unzip.stdout);
    assert!(
        unzip.status.success() && text.contains("No errors detected"),
        "unzip -t: {text}"
    );
    use base64::Engine as _;
    value["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["system"], 3, "made on unix");
            (
                e["name"].as_str().unwrap().to_string(),
                Read {
                    size: e["size"].as_u64().unwrap(),
                    sha256: e["sha256"].as_str().unwrap().to_string(),
                    bytes: base64::engine::general_purpose::STANDARD
                        .decode(e["data"].as_str().unwrap())
                        .unwrap(),
                    mode: e["mode"].as_u64().unwrap() as u32,
                },
            )
        })
        .collect()
}

/// Checks the manifest against what the independent readers read: every
/// entry listed once with its sha256 and size, nothing unlisted.
fn check_manifest(entries: &[(String, Read)]) -> Value {
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    let unique: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(unique.len(), names.len(), "duplicate names");
    let payload: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| *n != "manifest.json" && *n != "manifest.sig")
        .collect();
    let mut sorted = payload.clone();
    sorted.sort();
    assert_eq!(payload, sorted, "entries are sorted by name");
    let manifest_bytes = &entries
        .iter()
        .find(|(n, _)| n == "manifest.json")
        .expect("manifest.json")
        .1
        .bytes;
    let manifest: Value = serde_json::from_slice(manifest_bytes).unwrap();
    let listed: BTreeMap<&str, (&str, u64)> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap(),
                (f["sha256"].as_str().unwrap(), f["size"].as_u64().unwrap()),
            )
        })
        .collect();
    assert_eq!(listed.len(), manifest["files"].as_array().unwrap().len());
    assert_eq!(listed.keys().copied().collect::<Vec<_>>(), sorted);
    for (name, read) in entries {
        assert_eq!(read.mode & 0o777, 0o644, "{name}: mode");
        if let Some((sha, size)) = listed.get(name.as_str()) {
            assert_eq!(*sha, read.sha256, "{name}: sha256");
            assert_eq!(*size, read.size, "{name}: size");
        }
    }
    manifest
}

fn hidden_items(sandbox: &Sandbox) -> (Value, Vec<Value>, Vec<Value>) {
    let run = sandbox.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    let hidden = |v: &Value| {
        matches!(
            v["classification"].as_str(),
            Some("internal") | Some("confidential")
        )
    };
    let of = |key: &str| -> Vec<Value> {
        report[key]
            .as_array()
            .unwrap()
            .iter()
            .filter(|v| hidden(v))
            .cloned()
            .collect()
    };
    let (policies, evidence) = (of("policies"), of("evidence"));
    (report, policies, evidence)
}

#[test]
fn a_prospect_bundle_of_the_example_holds_nothing_internal_or_confidential() {
    let sandbox = example();
    let keys = tempfile::tempdir().unwrap();
    let (private, public, fingerprint) = keygen(keys.path(), "signing");
    let zip = sandbox.path().join("out/prospect.zip");
    // What a killed run would have left.
    std::fs::create_dir_all(sandbox.path().join("out/.prospect.zip.render-1/portal")).unwrap();
    std::fs::write(sandbox.path().join("out/.prospect.zip.spill-1"), b"x").unwrap();
    std::fs::write(sandbox.path().join("out/.prospect.zip.tmp-1"), b"PK").unwrap();
    let run = prospect_bundle(&sandbox, Some(&private), &zip);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // Nothing was rendered into site/, and no temporary is left, not even
    // a killed run's.
    assert!(!sandbox.path().join("site").exists());
    let left: Vec<_> = std::fs::read_dir(sandbox.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["prospect.zip"]);

    let entries = independent_read(&zip);
    let manifest = check_manifest(&entries);
    // SOURCE_DATE_EPOCH=1795000000 is 2026-11-18.
    let stamp = "Prepared for Prospect Inc, 2026-11-18 — confidential";
    assert_eq!(manifest["stamp"], stamp);
    assert_eq!(manifest["recipient"], "Prospect Inc");
    assert_eq!(manifest["audience"], "prospect");
    assert_eq!(manifest["period"]["name"], "2026");
    assert_eq!(manifest["auditbook_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(manifest["signing_key"]["fingerprint"], fingerprint.as_str());
    assert!(
        manifest["commit"].is_null(),
        "the sandbox is no git repository"
    );
    let mut pages = 0;
    for (name, read) in &entries {
        if name.ends_with(".html") {
            pages += 1;
            let html = String::from_utf8_lossy(&read.bytes);
            assert!(html.contains(stamp), "{name} lacks the stamp");
            assert!(
                html.contains(fingerprint.as_str()),
                "{name} lacks the fingerprint"
            );
            assert!(
                !html.contains("all periods"),
                "{name} links outside the bundle"
            );
            assert!(
                !html.contains("periods.js"),
                "{name} loads a script outside the bundle"
            );
        }
    }
    assert!(pages > 100, "{pages} pages");
    // The portal is rendered into memory, never read back from a folder:
    // each evidence page still previews the first line of its text copy.
    let bytes_of = |name: &str| {
        entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| &r.bytes)
    };
    let mut previews = 0;
    for (name, read) in &entries {
        let Some(path) = name
            .strip_prefix("portal/raw/")
            .filter(|_| !read.bytes.contains(&0))
        else {
            continue;
        };
        let Some(line) = String::from_utf8_lossy(&read.bytes)
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .filter(|l| !l.contains("REDACTED"))
            .map(str::to_string)
        else {
            continue;
        };
        let page = bytes_of(&format!("portal/evidence/{path}.html"))
            .unwrap_or_else(|| panic!("no page for {name}"));
        let escaped = line
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#x27;");
        assert!(
            String::from_utf8_lossy(page).contains(&escaped),
            "the page of {name} does not preview {line:?}"
        );
        previews += 1;
    }
    assert!(previews >= 10, "{previews} previews");
    // One period: no page of changes since a period read from site/.
    assert!(!entries.iter().any(|(n, _)| n == "portal/changes.html"));

    let (report, policies, evidence) = hidden_items(&sandbox);
    assert!(policies.len() >= 5 && evidence.len() >= 20);
    // What a hidden item could be recognised by.
    let mut needles: Vec<(String, String)> = Vec::new();
    for p in &policies {
        for key in ["id", "title", "path"] {
            needles.push((
                format!("policy {} {key}", p["id"]),
                p[key].as_str().unwrap().to_string(),
            ));
        }
    }
    for e in &evidence {
        let path = e["path"].as_str().unwrap();
        let base = path.rsplit('/').next().unwrap();
        needles.push((format!("evidence {path}"), base.to_string()));
        needles.push((
            format!("evidence {path} sha256"),
            e["sha256"].as_str().unwrap().to_string(),
        ));
        if let Some(title) = e["title"].as_str() {
            needles.push((format!("evidence {path} title"), title.to_string()));
        }
    }
    // A document that may go out can itself name a withheld one in its
    // text ("handled under the Incident Response Policy"): such a name may
    // appear where that document's own text does (its page, its redacted
    // copy, the search index, the period's model files), and nowhere else.
    let mut sources: Vec<(String, Vec<String>)> = Vec::new();
    for p in report["policies"].as_array().unwrap() {
        if matches!(p["classification"].as_str(), Some("public" | "customer")) {
            let id = p["id"].as_str().unwrap();
            sources.push((
                p["path"].as_str().unwrap().to_string(),
                vec![format!("portal/policies/{id}.html")],
            ));
        }
    }
    for e in report["evidence"].as_array().unwrap() {
        if matches!(e["classification"].as_str(), Some("public" | "customer")) {
            let path = e["path"].as_str().unwrap();
            let inner = path.strip_prefix("evidence/").unwrap();
            sources.push((
                path.to_string(),
                vec![
                    format!("portal/evidence/{inner}.html"),
                    format!("portal/raw/{inner}"),
                ],
            ));
        }
    }
    let mut mentioned = 0;
    for (what, needle) in &needles {
        let allowed: BTreeSet<String> = sources
            .iter()
            .filter(|(path, _)| {
                // Prose wraps: "the Asset\nManagement Policy".
                let text = std::fs::read_to_string(sandbox.path().join(path)).unwrap();
                let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
                text.contains(needle.as_str())
            })
            .flat_map(|(_, entries)| entries.iter().cloned())
            .collect();
        let allowed_here = !allowed.is_empty();
        let mut allowed = allowed;
        if allowed_here {
            allowed.insert("portal/model.json".to_string());
            allowed.insert("portal/model-evidence.json".to_string());
            // The search index's parts that hold policy and evidence text.
            allowed.extend((0..16).map(|n| format!("portal/assets/search-policies-{n:02}.js")));
            allowed.insert("portal/assets/search-evidence.js".to_string());
        }
        mentioned += usize::from(allowed_here);
        for (name, read) in &entries {
            let found = read
                .bytes
                .windows(needle.len())
                .any(|w| w == needle.as_bytes());
            assert!(
                !found || (allowed_here && allowed.contains(name)),
                "{name} holds {what} ({needle:?}), which the prospect may not see"
            );
        }
    }
    // The example's customer policies do name internal ones in their text.
    assert!(mentioned > 0);

    // The portal says statuses are computed from what it holds.
    let index = &entries
        .iter()
        .find(|(n, _)| n == "portal/index.html")
        .unwrap()
        .1;
    assert!(String::from_utf8_lossy(&index.bytes).contains("computed from what remains"));

    let run = verify(&zip, Some(&public));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("the key given with --key"),
        "{}",
        run.stdout
    );
}

#[test]
fn an_auditor_bundle_holds_everything_unsigned() {
    let sandbox = example();
    let zip = sandbox.path().join("auditor.zip");
    let run = bundle(
        &sandbox,
        None,
        &["--audience", "auditor", "--out", zip.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("not signed"), "{}", run.stdout);
    let entries = independent_read(&zip);
    let manifest = check_manifest(&entries);
    assert!(manifest["signing_key"].is_null());
    assert!(!entries.iter().any(|(n, _)| n == "manifest.sig"));
    assert_eq!(
        manifest["stamp"],
        "Prepared for the auditor audience, 2026-11-18 — confidential"
    );
    let (report, policies, evidence) = hidden_items(&sandbox);
    let names: BTreeSet<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    for e in report["evidence"].as_array().unwrap() {
        let inner = e["path"]
            .as_str()
            .unwrap()
            .strip_prefix("evidence/")
            .unwrap();
        assert!(
            names.contains(format!("portal/raw/{inner}").as_str()),
            "{inner}"
        );
    }
    assert!(!policies.is_empty() && !evidence.is_empty());
    // Nothing withheld: the portal's own manifest and the dashboard count
    // what `check` counts.
    let index = String::from_utf8_lossy(
        &entries
            .iter()
            .find(|(n, _)| n == "portal/index.html")
            .unwrap()
            .1
            .bytes,
    )
    .into_owned();
    assert!(!index.contains("computed from what remains"));
    let run = verify(&zip, None);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(run.stdout.contains("not signed"), "{}", run.stdout);
}

#[test]
fn two_runs_give_the_same_bytes() {
    let sandbox = example();
    let keys = tempfile::tempdir().unwrap();
    let (private, _, _) = keygen(keys.path(), "k");
    let a = sandbox.path().join("a.zip");
    let b = sandbox.path().join("elsewhere/b.zip");
    for out in [&a, &b] {
        let run = prospect_bundle(&sandbox, Some(&private), out);
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    }
    let (a, b) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(a == b, "the two bundles differ");
    // The fixed time is SOURCE_DATE_EPOCH's.
    let entries = Command::new("python3")
        .args([
            "-c",
            "import sys,zipfile; print(sorted({i.date_time for i in zipfile.ZipFile(sys.argv[1]).infolist()}))",
        ])
        .arg(sandbox.path().join("a.zip"))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&entries.stdout).trim(),
        "[(2026, 11, 18, 11, 6, 40)]"
    );
}

/// A prospect bundle of the example, signed; (sandbox, keys dir, zip, public key).
fn signed_example() -> (Sandbox, tempfile::TempDir, PathBuf, PathBuf) {
    let sandbox = example();
    let keys = tempfile::tempdir().unwrap();
    let (private, public, _) = keygen(keys.path(), "k");
    let zip = sandbox.path().join("p.zip");
    let run = prospect_bundle(&sandbox, Some(&private), &zip);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    (sandbox, keys, zip, public)
}

/// Where each entry's compressed data lies in the zip: (name, start, len).
fn data_spans(zip: &Path) -> Vec<(String, usize, usize)> {
    let output = Command::new("python3")
        .args([
            "-c",
            r#"
import json, struct, sys, zipfile
z = zipfile.ZipFile(sys.argv[1]); raw = open(sys.argv[1], "rb").read()
out = []
for i in z.infolist():
    n, m = struct.unpack("<HH", raw[i.header_offset + 26:i.header_offset + 30])
    out.append([i.filename, i.header_offset + 30 + n + m, i.compress_size])
print(json.dumps(out))
"#,
        ])
        .arg(zip)
        .output()
        .unwrap();
    assert!(output.status.success());
    serde_json::from_slice::<Vec<(String, usize, usize)>>(&output.stdout).unwrap()
}

#[test]
fn a_one_byte_change_to_any_entry_is_named() {
    let (_sandbox, _keys, zip, public) = signed_example();
    let original = std::fs::read(&zip).unwrap();
    let work = tempfile::tempdir().unwrap();
    let spans = data_spans(&zip);
    assert!(spans.len() > 100);
    for (name, start, len) in &spans {
        // A byte of its stored bytes changed in place.
        let mut bytes = original.clone();
        bytes[start + len / 2] ^= 0x20;
        let tampered = work.path().join("t.zip");
        std::fs::write(&tampered, &bytes).unwrap();
        let run = verify(&tampered, Some(&public));
        assert_eq!(run.code, 1, "{name}: {}", run.stdout);
        assert!(
            run.stdout.contains(&format!("problem: {name}:")),
            "{name} not named:\n{}",
            run.stdout
        );
    }

    // Rewritten by another tool with consistent CRCs: one byte of the
    // content changed, so only the hashes tell.
    let rewrite = |entry: &str, out: &Path| {
        let status = Command::new("python3")
            .args([
                "-c",
                r#"
import sys, zipfile
src, dst, target = sys.argv[1:4]
with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as o:
    for i in z.infolist():
        data = bytearray(z.read(i))
        if i.filename == target:
            data[len(data) // 2] ^= 0x01
        o.writestr(i, bytes(data))
"#,
            ])
            .arg(&zip)
            .arg(out)
            .arg(entry)
            .status()
            .unwrap();
        assert!(status.success());
    };
    for (name, _, _) in spans.iter().step_by(7).chain(spans.iter().rev().take(2)) {
        let out = work.path().join("r.zip");
        rewrite(name, &out);
        let run = verify(&out, Some(&public));
        assert_eq!(run.code, 1, "{name}: {}", run.stdout);
        let named = if name == "manifest.json" {
            run.stdout
                .contains("problem: manifest.sig: the signature does not match")
        } else if name == "manifest.sig" {
            run.stdout.contains("problem: manifest.sig:")
        } else {
            run.stdout.contains(&format!("problem: {name}: sha256 is "))
        };
        assert!(named, "{name} not named:\n{}", run.stdout);
    }
}

#[test]
fn entries_missing_from_the_manifest_or_the_zip_are_named() {
    let (_sandbox, _keys, zip, public) = signed_example();
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("x.zip");
    let status = Command::new("python3")
        .args([
            "-c",
            r#"
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, zipfile.ZipFile(sys.argv[2], "w") as o:
    for i in z.infolist():
        if i.filename != "portal/index.html":
            o.writestr(i, z.read(i))
    o.writestr("portal/extra.html", b"<p>added later</p>")
"#,
        ])
        .arg(&zip)
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let run = verify(&out, Some(&public));
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains(
        "problem: portal/index.html: listed in manifest.json but missing from the archive"
    ));
    assert!(run
        .stdout
        .contains("problem: portal/extra.html: in the archive but not listed in manifest.json"));
    // Every problem is printed, not just the first.
    assert!(run.stdout.contains("2 problem(s)"), "{}", run.stdout);
}

#[test]
fn keys_round_trip_and_a_wrong_key_fails() {
    let (sandbox, keys, zip, public) = signed_example();
    let (_, other, other_fingerprint) = keygen(keys.path(), "other");
    let run = verify(&zip, Some(&public));
    assert_eq!(run.code, 0, "{}", run.stdout);
    let run = verify(&zip, Some(&other));
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains(&format!(
            "not by the key given with --key ({other_fingerprint})"
        )),
        "{}",
        run.stdout
    );
    // Without --key the signer's fingerprint is printed to compare.
    let run = verify(&zip, None);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let expected = std::fs::read_to_string(&public).unwrap();
    let fingerprint = Command::new("ssh-keygen")
        .args(["-l", "-f"])
        .arg(&public)
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    if let Ok(line) = fingerprint {
        // ssh-keygen computes the same fingerprint from the .pub file.
        let fp = line
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string();
        assert!(
            run.stdout.contains(&format!("signed by {fp}")),
            "{}",
            run.stdout
        );
    }
    assert!(expected.starts_with("ssh-ed25519 "));
    // keygen never overwrites, and its private key is the owner's alone.
    let prefix = keys.path().join("k");
    let again = run_in(
        keys.path(),
        &["keygen", "--out", prefix.to_str().unwrap()],
        &[],
    );
    assert_eq!(again.code, 2, "{}", again.stderr);
    assert!(again.stderr.contains("exists"), "{}", again.stderr);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(keys.path().join("k.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // An unsigned bundle cannot satisfy --key.
    let unsigned = sandbox.path().join("u.zip");
    let run = prospect_bundle(&sandbox, None, &unsigned);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = verify(&unsigned, Some(&public));
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("manifest.sig: missing"),
        "{}",
        run.stdout
    );
    // A signing key from [signing] key in auditbook.toml, relative to the
    // workspace.
    let config = std::fs::read_to_string(sandbox.path().join("auditbook.toml")).unwrap();
    std::fs::copy(
        keys.path().join("k.key"),
        sandbox.path().join("signing.key"),
    )
    .unwrap();
    sandbox.write(
        "auditbook.toml",
        &format!("{config}\n[signing]\nkey = \"signing.key\"\n"),
    );
    let from_config = sandbox.path().join("c.zip");
    let run = prospect_bundle(&sandbox, None, &from_config);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let run = verify(&from_config, Some(&public));
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn audiences_come_from_the_config_and_unknown_ones_are_refused() {
    let sandbox = example();
    let config = std::fs::read_to_string(sandbox.path().join("auditbook.toml")).unwrap();
    sandbox.write(
        "auditbook.toml",
        &format!("{config}\n[audiences.public]\nclassifications = [\"public\"]\n"),
    );
    let zip = sandbox.path().join("public.zip");
    let run = bundle(
        &sandbox,
        None,
        &["--audience", "public", "--out", zip.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let entries = independent_read(&zip);
    let manifest = check_manifest(&entries);
    assert_eq!(manifest["classifications"], serde_json::json!(["public"]));
    let (report, _, _) = hidden_items(&sandbox);
    for e in report["evidence"].as_array().unwrap() {
        let inner = e["path"]
            .as_str()
            .unwrap()
            .strip_prefix("evidence/")
            .unwrap();
        let present = entries
            .iter()
            .any(|(n, _)| n == &format!("portal/raw/{inner}"));
        assert_eq!(present, e["classification"] == "public", "{inner}");
    }
    let run = bundle(&sandbox, None, &["--audience", "press"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("unknown audience `press`: the audiences are auditor, prospect, public"),
        "{}",
        run.stderr
    );
}

// ---- crafted archives ------------------------------------------------------

const PY_CRAFT: &str = r#"
import hashlib, json, sys, zipfile, struct
kind, out = sys.argv[1], sys.argv[2]
entries = []   # (name, bytes, attr)
if kind == "slip":
    entries = [("../x", b"escaped"), ("ok.txt", b"fine")]
elif kind == "absolute":
    entries = [("/tmp/auditbook-absolute-x", b"escaped")]
elif kind == "backslash":
    entries = [("..\\x", b"escaped")]
elif kind == "symlink":
    entries = [("link", b"/etc/passwd", 0o120777)]
elif kind == "duplicate":
    entries = [("a.txt", b"first"), ("a.txt", b"second")]
elif kind == "bomb":
    entries = [("zeros.bin", bytes(200 * 1024 * 1024))]
elif kind == "liar":
    entries = [("zeros.bin", bytes(8 * 1024 * 1024))]
manifest = {"format": "auditbook-bundle-1", "files": [
    {"path": e[0], "sha256": hashlib.sha256(e[1]).hexdigest(), "size": len(e[1])} for e in entries]}
import warnings; warnings.simplefilter("ignore")
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for e in entries:
        info = zipfile.ZipInfo(e[0], (2026, 1, 1, 0, 0, 0))
        info.create_system = 3
        info.external_attr = (e[2] if len(e) > 2 else 0o100644) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        z.writestr(info, e[1])
    z.writestr("manifest.json", json.dumps(manifest))
if kind == "liar":
    # Declare 1000 bytes where 8 MiB inflate, in both headers.
    raw = bytearray(open(out, "rb").read())
    i = raw.find(b"PK\x03\x04"); raw[i + 22:i + 26] = struct.pack("<I", 1000)
    j = raw.find(b"PK\x01\x02"); raw[j + 24:j + 28] = struct.pack("<I", 1000)
    open(out, "wb").write(raw)
"#;

#[test]
fn crafted_archives_are_rejected_without_writing_anything() {
    let work = tempfile::tempdir().unwrap();
    let cases: [(&str, &str); 7] = [
        ("slip", "problem: ../x: unsafe entry name: contains `..`"),
        (
            "absolute",
            "problem: /tmp/auditbook-absolute-x: unsafe entry name: absolute",
        ),
        ("backslash", "unsafe entry name: contains a backslash"),
        ("symlink", "problem: link: is a symbolic link"),
        (
            "duplicate",
            "problem: a.txt: appears 2 times in the archive (duplicate entry names)",
        ),
        ("bomb", "zeros.bin: expands"),
        (
            "liar",
            "problem: zeros.bin: expands beyond its declared 1000 bytes (decompression stopped there)",
        ),
    ];
    for (kind, expected) in cases {
        let zip = work.path().join(format!("{kind}.zip"));
        let status = Command::new("python3")
            .args(["-c", PY_CRAFT, kind])
            .arg(&zip)
            .status()
            .unwrap();
        assert!(status.success(), "{kind}");
        // verify runs in an empty folder inside another empty folder, so
        // an entry written anywhere near would show.
        let outer = tempfile::tempdir().unwrap();
        let inner = outer.path().join("cwd");
        std::fs::create_dir(&inner).unwrap();
        let run = run_in(&inner, &["verify", zip.to_str().unwrap()], &[]);
        assert_eq!(run.code, 1, "{kind}: {}{}", run.stdout, run.stderr);
        assert!(run.stdout.contains(expected), "{kind}:\n{}", run.stdout);
        assert_eq!(std::fs::read_dir(&inner).unwrap().count(), 0, "{kind}");
        assert_eq!(
            std::fs::read_dir(outer.path()).unwrap().count(),
            1,
            "{kind}"
        );
        assert!(!Path::new("/tmp/auditbook-absolute-x").exists());
        if kind == "bomb" {
            assert!(
                run.stdout.contains("nothing was decompressed"),
                "{}",
                run.stdout
            );
        }
    }
    // Not a zip at all, and a missing file.
    let junk = work.path().join("junk.zip");
    std::fs::write(&junk, b"not a zip").unwrap();
    let run = verify(&junk, None);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("not a readable zip archive"),
        "{}",
        run.stdout
    );
    let run = verify(&work.path().join("absent.zip"), None);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("absent.zip"), "{}", run.stderr);
}
