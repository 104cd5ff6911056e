//! The file cache (`.auditbook/cache/files`): what is read from evidence
//! files is reused only while a file is unchanged, and a cache that does
//! not add up is ignored.

mod support;

use std::path::Path;
use std::time::{Duration, SystemTime};

use serde_json::Value;
use sha2::{Digest, Sha256};
use support::{find, Sandbox};

const CACHE: &str = ".auditbook/cache/files";

/// A fixture whose files are old enough to be cached (files changed in
/// the last two seconds are not, see `cache::SETTLE`).
fn settled(fixture: &str) -> Sandbox {
    let sandbox = Sandbox::fixture(fixture);
    std::thread::sleep(Duration::from_millis(2100));
    sandbox
}

/// The count `build -v` reports under `label`.
fn counted(stderr: &str, label: &str) -> usize {
    stderr
        .lines()
        .find_map(|line| line.trim().strip_suffix(label)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no `{label}` in:\n{stderr}"))
}

fn build_verbose(sandbox: &Sandbox) -> String {
    let run = sandbox.run(&["-v", "build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stderr
}

fn check_json(sandbox: &Sandbox, extra: &[&str]) -> Value {
    let mut args = extra.to_vec();
    args.extend(["check", "--format", "json"]);
    sandbox.run(&args).json()
}

#[test]
fn evidence_is_read_again_only_when_it_changed() {
    let sandbox = settled("valid");
    let cold = build_verbose(&sandbox);
    let total = counted(&cold, "evidence files read");
    assert!(total >= 5, "{cold}");
    assert_eq!(counted(&cold, "evidence files from the cache"), 0);
    assert!(sandbox.path().join(CACHE).is_file());

    let warm = build_verbose(&sandbox);
    assert_eq!(counted(&warm, "evidence files read"), 0, "{warm}");
    assert_eq!(counted(&warm, "evidence files from the cache"), total);
    assert_eq!(counted(&warm, "sidecars read"), 0, "{warm}");

    // Same size, new content: picked up.
    let csv = sandbox.path().join("evidence/reviews/q1.csv");
    let before = std::fs::read_to_string(&csv).unwrap();
    let after = before.replace("alice,bob,keep", "carol,bob,drop");
    assert_eq!(before.len(), after.len());
    std::fs::write(&csv, &after).unwrap();
    let changed = build_verbose(&sandbox);
    assert_eq!(counted(&changed, "evidence files read"), 1, "{changed}");
    let report = check_json(&sandbox, &[]);
    let item = find(&report["evidence"], "path", "evidence/reviews/q1.csv");
    assert_eq!(
        item["sha256"],
        hex::encode(Sha256::digest(after.as_bytes()))
    );
    assert_eq!(item["summary"]["decisions"]["drop"], 1, "{item}");

    // Same size again, with the old modification time put back: the
    // change time still tells.
    let modified = std::fs::metadata(&csv).unwrap().modified().unwrap();
    std::thread::sleep(Duration::from_millis(2100));
    build_verbose(&sandbox); // caches the current content
    let again = after.replace("carol,bob,drop", "carol,bob,keep");
    std::fs::write(&csv, &again).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&csv)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    let restored = build_verbose(&sandbox);
    assert_eq!(counted(&restored, "evidence files read"), 1, "{restored}");
    let report = check_json(&sandbox, &[]);
    let item = find(&report["evidence"], "path", "evidence/reviews/q1.csv");
    assert_eq!(
        item["sha256"],
        hex::encode(Sha256::digest(again.as_bytes()))
    );

    // `check` agrees with a run that reads everything.
    assert_eq!(report, check_json(&sandbox, &["--no-cache"]));
}

#[test]
fn a_file_changed_moments_ago_is_not_cached() {
    let sandbox = Sandbox::fixture("valid");
    sandbox.write("evidence/misc/fresh.txt", "written just now\n");
    let first = build_verbose(&sandbox);
    let total = counted(&first, "evidence files read");
    // Right after the copy every file is fresh: nothing may be trusted
    // to the cache yet.
    let second = build_verbose(&sandbox);
    assert_eq!(counted(&second, "evidence files read"), total, "{second}");
}

fn corrupt(sandbox: &Sandbox, damage: impl FnOnce(&mut Vec<u8>)) {
    let path = sandbox.path().join(CACHE);
    let mut bytes = std::fs::read(&path).unwrap();
    damage(&mut bytes);
    std::fs::write(&path, bytes).unwrap();
}

fn site_files(sandbox: &Sandbox) -> Vec<(String, Vec<u8>)> {
    let dir = sandbox.path().join("site/2026");
    let mut files: Vec<_> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(&dir).unwrap().display().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_corrupt_cache_is_ignored() {
    let sandbox = settled("valid");
    build_verbose(&sandbox);
    let expected = check_json(&sandbox, &["--no-cache"]);
    let len = std::fs::metadata(sandbox.path().join(CACHE)).unwrap().len() as usize;
    assert!(len > 200);

    type Damage = Box<dyn Fn(&mut Vec<u8>)>;
    let damages: Vec<(&str, Damage)> = vec![
        (
            "one entry's byte flipped",
            Box::new(|b| *b.last_mut().unwrap() ^= 0x55),
        ),
        ("the index flipped", Box::new(|b| b[60] ^= 0x01)),
        ("truncated", Box::new(move |b| b.truncate(len / 2))),
        ("emptied", Box::new(|b| b.clear())),
        (
            "garbage",
            Box::new(|b| b.iter_mut().for_each(|x| *x = x.wrapping_mul(31))),
        ),
        (
            "another format",
            Box::new(|b| {
                // The format number follows the magic and the name.
                let at = 16 + 1 + "files".len();
                b[at] = b[at].wrapping_add(1);
            }),
        ),
    ];
    for (what, damage) in damages {
        corrupt(&sandbox, damage);
        let run = sandbox.run(&["-v", "build"]);
        assert_eq!(run.code, 0, "{what}: {}", run.stderr);
        let read =
            counted(&run.stderr, "evidence files read") + counted(&run.stderr, "sidecars read");
        assert!(read >= 1, "{what}: nothing was read again:\n{}", run.stderr);
        assert_eq!(check_json(&sandbox, &[]), expected, "{what}");
        // The build wrote a sound cache again.
        let warm = build_verbose(&sandbox);
        assert_eq!(counted(&warm, "evidence files read"), 0, "{what}: {warm}");
        assert_eq!(counted(&warm, "sidecars read"), 0, "{what}: {warm}");
    }
    let fresh = Sandbox::fixture("valid");
    assert_eq!(fresh.run(&["build"]).code, 0);
    assert_eq!(site_files(&sandbox), site_files(&fresh));
}

#[test]
fn the_cache_ignores_itself_in_git_and_no_cache_leaves_it_alone() {
    let sandbox = settled("valid");
    let run = sandbox.run(&["--no-cache", "build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!sandbox.path().join(".auditbook").exists());
    build_verbose(&sandbox);
    let ignore = std::fs::read_to_string(sandbox.path().join(".auditbook/cache/.gitignore"));
    assert!(ignore.unwrap().lines().any(|l| l == "*"));
    let stamp = |p: &Path| std::fs::metadata(p).unwrap().modified().unwrap();
    let before: SystemTime = stamp(&sandbox.path().join(CACHE));
    let run = sandbox.run(&["--no-cache", "build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(stamp(&sandbox.path().join(CACHE)), before);
}

#[test]
fn evidence_from_the_cache_equals_evidence_read_afresh() {
    use auditbook::workspace::{LoadOptions, Workspace};
    let sandbox = settled("valid");
    // Real-world files of every kind, beside the fixture's own.
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real");
    for kind in ["sarif", "trivy", "grype", "gitleaks", "kube-bench", "junit"] {
        support::copy_tree(
            &real.join(kind),
            &sandbox.path().join("evidence/real").join(kind),
        );
    }
    std::thread::sleep(Duration::from_millis(2100));
    let load = |cache: bool| {
        let workspace = Workspace::load(
            sandbox.path(),
            LoadOptions {
                progress: false,
                details: true,
                cache,
            },
        )
        .unwrap();
        // Debug shows every field, the details decoded.
        format!("{:?} {:?}", workspace.evidence, workspace.diagnostics)
    };
    let fresh = load(false);
    assert!(!sandbox.path().join(CACHE).exists());
    assert_eq!(load(true), fresh, "the run that fills the cache");
    assert_eq!(load(true), fresh, "the run that reads it");
}
