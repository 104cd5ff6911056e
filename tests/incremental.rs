//! Rebuilds reuse what did not change (the page cache in `site/.cache/`)
//! and give exactly what a cold build of the same workspace gives.
//!
//! Every build here runs with `AUDITBOOK_VERIFY_REUSE=1` (see `support`):
//! each reused file is rendered again and the build fails if it differs.

mod support;

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use support::{Run, Sandbox};

/// Every file of the published site (the page cache aside), by path.
fn published(sandbox: &Sandbox) -> BTreeMap<String, Vec<u8>> {
    let root = sandbox.path().join("site");
    walkdir::WalkDir::new(&root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.file_name() != ".cache")
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let relative = e.path().strip_prefix(&root).unwrap().display().to_string();
            (relative, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

fn assert_same_site(incremental: &Sandbox, cold: &Sandbox, what: &str) {
    let a = published(incremental);
    let b = published(cold);
    let only_a: Vec<_> = a.keys().filter(|k| !b.contains_key(*k)).collect();
    let only_b: Vec<_> = b.keys().filter(|k| !a.contains_key(*k)).collect();
    assert!(
        only_a.is_empty() && only_b.is_empty(),
        "{what}: only in the rebuild {only_a:?}, only in the cold build {only_b:?}"
    );
    for (path, bytes) in &a {
        assert!(
            bytes == &b[path],
            "{what}: {path} differs from a cold build"
        );
    }
}

struct Counts {
    kept: usize,
    linked: usize,
    rendered: usize,
}

fn build(sandbox: &Sandbox, args: &[&str]) -> Counts {
    let mut all = vec!["-v", "build"];
    all.extend(args);
    let run = sandbox.run(&all);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let counted = |label: &str| -> usize {
        run.stderr
            .lines()
            .find_map(|line| line.trim().strip_suffix(label)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no `{label}` in:\n{}", run.stderr))
    };
    Counts {
        kept: counted("files kept from the previous build"),
        linked: counted("files linked from the live folder"),
        rendered: counted("files rendered or copied"),
    }
}

fn inode(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().ino()
}

const POLICY: &str = "policies/access.md";

/// Writes evidence with a fixed modification time (its `collected_at`
/// when nothing else dates it), the same in every sandbox.
fn write_dated(sandbox: &Sandbox, path: &str, contents: &str) {
    sandbox.write(path, contents);
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_780_000_000);
    std::fs::File::options()
        .write(true)
        .open(sandbox.path().join(path))
        .unwrap()
        .set_modified(time)
        .unwrap();
}

fn edit(sandbox: &Sandbox, path: &str, from: &str, to: &str) {
    let full = sandbox.path().join(path);
    let text = std::fs::read_to_string(&full).unwrap();
    assert!(text.contains(from), "{path} holds no `{from}`");
    std::fs::write(&full, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn a_rebuild_after_one_policy_changes_equals_a_cold_build() {
    let sandbox = Sandbox::fixture("valid");
    let cold = build(&sandbox, &[]);
    assert_eq!(cold.kept + cold.linked, 0);
    let total = cold.rendered;

    // Nothing changed: every file is reused, none rendered.
    let again = build(&sandbox, &[]);
    assert_eq!(again.rendered, 0);
    assert_eq!(again.kept + again.linked, total);
    let unchanged_page = sandbox.path().join("site/2026/controls/soc2/CC7.1.html");
    let before = inode(&unchanged_page);

    edit(
        &sandbox,
        POLICY,
        "least privilege",
        "least privilege, reviewed quarterly",
    );
    let rebuild = build(&sandbox, &[]);
    // The policy's page, the pages that list it and the search index.
    assert!(rebuild.rendered >= 2, "{}", rebuild.rendered);
    assert!(
        rebuild.rendered < total / 4,
        "{} of {total}",
        rebuild.rendered
    );
    assert_eq!(rebuild.kept + rebuild.linked + rebuild.rendered, total);
    assert_eq!(
        inode(&unchanged_page),
        before,
        "an unchanged page is the same file as before"
    );
    let page = std::fs::read_to_string(sandbox.path().join("site/2026/policies/access.html"));
    assert!(page.unwrap().contains("reviewed quarterly"));

    let fresh = Sandbox::fixture("valid");
    edit(
        &fresh,
        POLICY,
        "least privilege",
        "least privilege, reviewed quarterly",
    );
    build(&fresh, &["--no-cache"]);
    assert_same_site(&sandbox, &fresh, "one policy changed");
}

#[test]
fn a_rebuild_at_another_time_renders_the_dashboard_alone() {
    let sandbox = Sandbox::fixture("valid");
    let cold = build(&sandbox, &[]);
    // The same workspace a minute later: only the dashboard shows when the
    // portal was built (every reused file is rendered again and compared,
    // AUDITBOOK_VERIFY_REUSE in tests/support).
    let run = Run::from(
        support::auditbook()
            .env("SOURCE_DATE_EPOCH", "1795000060")
            .arg("-C")
            .arg(sandbox.path())
            .args(["-v", "build"])
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("       1  files rendered or copied"),
        "{}",
        run.stderr
    );
    let dashboard = std::fs::read_to_string(sandbox.path().join("site/2026/index.html")).unwrap();
    assert!(dashboard.contains("Built 2026-11-18T"), "{dashboard}");
    let control =
        std::fs::read_to_string(sandbox.path().join("site/2026/controls/soc2/CC7.1.html")).unwrap();
    assert!(!control.contains("Built "));
    assert!(cold.rendered > 1);
}

/// Each change, made to a workspace rebuilt after every step, gives what a
/// cold build of the same workspace gives.
#[test]
fn rebuilds_after_all_kinds_of_change_equal_cold_builds() {
    type Change = fn(&Sandbox);
    let changes: Vec<(&str, Change)> = vec![
        ("a policy's title", |s| {
            edit(s, POLICY, "title: ", "title: Revised ")
        }),
        ("a policy's controls", |s| edit(s, POLICY, "CC6.1", "CC6.2")),
        ("an evidence file's content", |s| {
            edit(s, "evidence/misc/backup.txt", "OK", "FAILED")
        }),
        ("a sidecar", |s| {
            s.write(
                "evidence/reviews/q1.csv.meta.yaml",
                "collected_at: 2026-03-01\ntitle: Q1 access review\n",
            )
        }),
        ("a new evidence file with a secret", |s| {
            write_dated(
                s,
                "evidence/misc/deploy.log",
                "deploy ok\ntoken ghp_abcdefghijklmnopqrstuvwxyz0123456789\n",
            )
        }),
        ("an evidence file's modification time", |s| {
            let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_781_000_000);
            std::fs::File::options()
                .write(true)
                .open(s.path().join("evidence/misc/deploy.log"))
                .unwrap()
                .set_modified(time)
                .unwrap();
        }),
        ("an evidence file moved", |s| {
            let from = s.path().join("evidence/misc/deploy.log");
            std::fs::create_dir_all(s.path().join("evidence/logs")).unwrap();
            std::fs::rename(from, s.path().join("evidence/logs/deploy.log")).unwrap();
        }),
        ("an evidence file removed", |s| {
            s.remove("evidence/misc/backup.txt")
        }),
        ("a new policy", |s| {
            s.write(
                "policies/extra/new.md",
                "---\ntitle: New\nowner: X\nversion: \"1\"\ncontrols: [CC7.1]\n---\nNew.\n",
            )
        }),
        ("a policy removed", |s| s.remove("policies/extra/new.md")),
        ("a template override", |s| {
            let builtin = auditbook::render::TEMPLATES
                .iter()
                .find(|(n, _)| *n == "policy.html")
                .unwrap()
                .1;
            s.write(
                "templates/policy.html",
                &builtin.replace("<h1>", "<h1 class=\"custom\">"),
            );
        }),
        ("the configuration", |s| {
            edit(s, "auditbook.toml", "name = \"", "name = \"The ")
        }),
    ];
    let sandbox = Sandbox::fixture("valid");
    build(&sandbox, &[]);
    let mut applied: Vec<Change> = Vec::new();
    for (what, change) in changes {
        change(&sandbox);
        applied.push(change);
        // (A change that undoes the one before renders nothing: the
        // version before last is still in the page cache.)
        build(&sandbox, &[]);
        let cold = Sandbox::fixture("valid");
        for change in &applied {
            change(&cold);
        }
        build(&cold, &["--no-cache"]);
        assert_same_site(&sandbox, &cold, what);
    }
}

#[test]
fn a_page_changed_in_place_is_not_reused() {
    let sandbox = Sandbox::fixture("valid");
    build(&sandbox, &[]);
    build(&sandbox, &[]);
    // Append to a live page without replacing it: its inode, shared with
    // the spare copy through a hard link, now holds other bytes.
    let page = sandbox.path().join("site/2026/controls/soc2/CC7.1.html");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&page)
        .unwrap();
    std::io::Write::write_all(&mut file, b"<!-- tampered -->").unwrap();
    drop(file);
    build(&sandbox, &[]);
    build(&sandbox, &[]);
    let cold = Sandbox::fixture("valid");
    build(&cold, &["--no-cache"]);
    assert_same_site(&sandbox, &cold, "a page appended to");
}

#[test]
fn no_build_changes_a_file_of_an_earlier_version_in_place() {
    let sandbox = Sandbox::fixture("valid");
    let run = sandbox.run(&["publish"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Hold on to every file of the published version through a second
    // name, as a reader or a backup might.
    let held = tempfile::tempdir_in(sandbox.path()).unwrap();
    let original = published(&sandbox);
    for path in original.keys() {
        let target = held.path().join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::hard_link(sandbox.path().join("site").join(path), &target).unwrap();
    }
    for round in 0..3 {
        edit(
            &sandbox,
            POLICY,
            "least privilege",
            &format!("least privilege ({round})"),
        );
        build(&sandbox, &["--force"]);
        sandbox.write(
            "evidence/misc/backup.txt",
            &format!("Backup restore test {round}\n"),
        );
        build(&sandbox, &["--force"]);
    }
    for (path, bytes) in &original {
        let now = std::fs::read(held.path().join(path)).unwrap();
        assert!(&now == bytes, "{path} of the published version changed");
    }
}

#[test]
fn damaged_page_records_and_leftovers_are_ignored() {
    let sandbox = Sandbox::fixture("valid");
    build(&sandbox, &[]);
    build(&sandbox, &[]);
    let cache = sandbox.path().join("site/.cache/2026");
    for name in ["live.records", "spare.records"] {
        let path = cache.join(name);
        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x40;
        std::fs::write(&path, bytes).unwrap();
    }
    // What a killed build leaves: its temporary folder.
    sandbox.write("site/.tmp-2026-999999/index.html", "half a page");
    edit(&sandbox, POLICY, "least privilege", "need to know");
    let counts = build(&sandbox, &[]);
    assert_eq!(
        counts.kept + counts.linked,
        0,
        "damaged records vouch for nothing"
    );
    assert!(!sandbox.path().join("site/.tmp-2026-999999").exists());
    let cold = Sandbox::fixture("valid");
    edit(&cold, POLICY, "least privilege", "need to know");
    build(&cold, &["--no-cache"]);
    assert_same_site(&sandbox, &cold, "damaged records");
    // And the next build reuses again.
    let next = build(&sandbox, &[]);
    assert_eq!(next.rendered, 0);
}
