//! Reading built sites: their files, their links, and the two-period
//! workspace (a published 2026 and a changed 2027 beside it).

use std::collections::BTreeMap;
use std::path::Path;

use regex::Regex;

use super::Sandbox;

/// Every file under `dir` with its bytes, by relative path.
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let relative = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            (relative, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

/// HTML text as a browser reads it: the pages escape quotes and `<>&`.
pub fn unescape(html: &str) -> String {
    html.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn percent_decode(text: &str) -> String {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

/// Asserts that every relative `href` and `src` of every page under
/// `site_root` names an existing file; returns how many were checked.
pub fn check_links(site_root: &Path) -> usize {
    let link = Regex::new(r#"(?:href|src)="([^"]*)""#).unwrap();
    let mut checked = 0;
    for (path, bytes) in tree(site_root) {
        if !path.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8(bytes).unwrap();
        let dir = site_root.join(&path).parent().unwrap().to_path_buf();
        for capture in link.captures_iter(&html) {
            let target = unescape(&capture[1]);
            let target = target.as_str();
            if target.starts_with("http://")
                || target.starts_with("https://")
                || target.starts_with("mailto:")
                || target.starts_with('#')
            {
                continue;
            }
            let target = target.split('#').next().unwrap();
            let resolved = dir.join(percent_decode(target));
            assert!(
                resolved.exists(),
                "{path} links to {target}, which does not exist"
            );
            checked += 1;
        }
    }
    checked
}

/// The access policy's text in 2026: long enough for a diff with two
/// hunks.
pub const ACCESS_2026: &str = "\
---
title: Access Control Policy
owner: Head of Security
version: \"2.1\"
approved_by: Jane Roe
approved_on: 2026-02-01
review_every: 12 months
classification: public
controls: [CC6.1, CC6.2]
---
# Access

Access is granted on least privilege.

## Accounts

1. Every person has a named account.
2. Shared accounts are not allowed.
3. Accounts are created from the HR system.
4. Leavers lose access on their last day.
5. Contractors' accounts expire after 90 days.

## Reviews

Access to production is reviewed every quarter.
Administrators are reviewed every month.
Findings are fixed within 30 days.

## Exceptions

Exceptions are approved by the Head of Security.
";

/// 2027: one line changed near the top, one removed and one added near
/// the end, a new version and approval.
pub fn access_2027() -> String {
    let mut text = String::new();
    for line in ACCESS_2026.lines() {
        match line {
            "version: \"2.1\"" => text.push_str("version: \"3.0\""),
            "approved_by: Jane Roe" => text.push_str("approved_by: John Doe"),
            "approved_on: 2026-02-01" => text.push_str("approved_on: 2027-01-15"),
            "Access is granted on least privilege." => {
                text.push_str("Access is granted on least privilege <and> need to know.")
            }
            "Administrators are reviewed every month." => continue,
            other => text.push_str(other),
        }
        text.push('\n');
    }
    text.push_str("Each exception expires after 6 months.\n");
    text
}

/// Points the workspace's `[period]` at `year`.
pub fn set_period(sandbox: &Sandbox, year: &str) {
    let path = sandbox.path().join("auditbook.toml");
    let config = std::fs::read_to_string(&path).unwrap();
    let period =
        Regex::new(r#"(?s)\[period\]\nname = "\d+"\nstart = "\d+-01-01"\nend = "\d+-12-31""#)
            .unwrap();
    assert!(period.is_match(&config), "no [period] to replace");
    let config = period.replace(
        &config,
        format!("[period]\nname = \"{year}\"\nstart = \"{year}-01-01\"\nend = \"{year}-12-31\""),
    );
    std::fs::write(path, config.as_bytes()).unwrap();
}

/// Runs `auditbook <args>` and asserts it succeeds.
pub fn run_ok(sandbox: &Sandbox, args: &[&str]) {
    let run = sandbox.run(args);
    assert_eq!(
        run.code, 0,
        "auditbook {args:?} failed\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
}

/// An evidence file with a name beyond ASCII, and a space.
pub const NON_ASCII: &str = "evidence/misc/prüfung ✓ 2026.txt";
/// The file whose page comes just before [`NON_ASCII`]'s.
const NON_ASCII_BEFORE: &str = "evidence/misc/prüfung ✓ 2025.txt";

/// The `valid` fixture with the long access policy, published as 2026.
pub fn published_2026() -> Sandbox {
    let sandbox = Sandbox::fixture("valid");
    sandbox.write("policies/access.md", ACCESS_2026);
    // Pages whose paths need escaping and share a prefix beyond ASCII
    // with the page before them, in both periods.
    for path in [NON_ASCII_BEFORE, NON_ASCII] {
        sandbox.write(path, "Restore test passed.\n");
        sandbox.write(&format!("{path}.meta.yaml"), "controls: [A.8.13]\n");
    }
    run_ok(&sandbox, &["publish"]);
    sandbox
}

/// Changes the workspace as a year of work would, and sets the period to
/// 2027: the access policy's text, version and approval change, the
/// `ops/old` policy goes, `new` comes; a new scan is added, the backup
/// record goes and the Q4 access review's content changes.
pub fn change_for_2027(sandbox: &Sandbox) {
    sandbox.write("policies/access.md", &access_2027());
    sandbox.remove("policies/ops/old.md");
    sandbox.write(
        "policies/new.md",
        "---\ntitle: Cryptography Policy\nowner: CTO\nversion: \"1.0\"\napproved_by: Jane Roe\n\
         approved_on: 2027-02-01\ncontrols: [CC6.1, A.8.24]\n---\n# Cryptography\n\nTLS 1.2 or newer.\n",
    );
    let scan = std::fs::read(sandbox.path().join("evidence/scans/december.sarif")).unwrap();
    std::fs::write(
        sandbox.path().join("evidence/scans/2027-december.sarif"),
        scan,
    )
    .unwrap();
    sandbox.write(
        "evidence/scans/2027-december.sarif.meta.yaml",
        "collected_at: 2027-12-10\nsource: Nightly CI scan\n",
    );
    sandbox.remove("evidence/misc/backup.txt");
    sandbox.remove("evidence/misc/backup.txt.meta.yaml");
    let q4 = sandbox.path().join("evidence/reviews/q4.csv");
    let mut review = std::fs::read_to_string(&q4).unwrap();
    review.push_str("github,carol,bob,keep,2026-11-30\n");
    std::fs::write(q4, review).unwrap();
    set_period(sandbox, "2027");
}
