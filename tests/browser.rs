//! End-to-end tests of the built portal in a real headless browser: Debian's
//! `chromium`, driven by playwright-core from `tests/e2e` (see its scripts).
//! `scripts/test.sh` installs both when missing; here a missing browser or
//! `node_modules` is a failure, not a skip.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::site::{change_for_2027, published_2026, run_ok, NON_ASCII};
use support::Sandbox;

const CHROMIUM: &str = "/usr/bin/chromium";

fn e2e_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e")
}

/// Panics with the fix when the browser or the driver is missing.
fn require_browser() {
    assert!(
        Path::new(CHROMIUM).is_file(),
        "{CHROMIUM} is missing: install Debian's chromium \
         (`apt-get install chromium fonts-dejavu-core`; scripts/test.sh does it)"
    );
    assert!(
        e2e_dir().join("node_modules/playwright-core").is_dir(),
        "tests/e2e/node_modules is missing: run `npm ci --prefix tests/e2e` (scripts/test.sh does it)"
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|output| output.status.success()),
        "node is not on PATH: the browser tests need Node.js 20 or newer"
    );
}

/// Runs `node tests/e2e/<script> <args>`; panics with its output on failure.
fn node(script: &str, args: &[&str]) {
    let output = Command::new("node")
        .arg(e2e_dir().join(script))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    print!("{stdout}");
    assert!(
        output.status.success(),
        "node tests/e2e/{script} failed ({}):\n{stdout}{stderr}",
        output.status
    );
}

/// Builds the sandbox's workspace; returns `site/2026`.
fn build(sandbox: &Sandbox) -> PathBuf {
    let run = sandbox.run(&["build"]);
    assert_eq!(
        run.code, 0,
        "build failed\nstdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    sandbox.path().join("site/2026")
}

fn utf8(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// The width and height of a PNG file.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 24,
        "{} is not a PNG",
        path.display()
    );
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

/// A word that occurs in this policy's body and nowhere else in the portal.
const UNIQUE_WORD: &str = "zanzibarquokka";

#[test]
fn dashboard_to_control_to_evidence_and_search_to_a_policy() {
    require_browser();
    let sandbox = Sandbox::fixture("valid");
    sandbox.write(
        "policies/workplace/clean-desk.md",
        &format!(
            "---\ntitle: Clean Desk Standard\nowner: Office Manager\nversion: \"1.0\"\n\
             approved_by: Jane Roe\napproved_on: 2026-02-01\ncontrols: [CC6.1]\n---\n\
             # Clean desk\n\nNothing stays on a desk overnight; the {UNIQUE_WORD} rule \
             covers every shared room.\n"
        ),
    );
    let site = build(&sandbox);

    // Kept after the run, to look at: target/tmp/e2e-screenshots/.
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-screenshots");
    for name in ["dashboard.png", "control.png"] {
        let _ = std::fs::remove_file(shots.join(name));
    }
    node(
        "portal.mjs",
        &[
            utf8(&site),
            utf8(&shots),
            "--control",
            "soc2/CC7.1",
            "--search",
            UNIQUE_WORD,
            "--expect-policy",
            "workplace/clean-desk",
        ],
    );
    for name in ["dashboard.png", "control.png"] {
        let (width, height) = png_size(&shots.join(name));
        assert_eq!(width, 1280, "{name} is {width} pixels wide");
        assert!(
            (400..=1400).contains(&height),
            "{name} is {height} pixels high"
        );
    }
}

#[test]
fn policy_payloads_run_no_script_in_the_browser() {
    require_browser();
    let sandbox = Sandbox::fixture("valid");
    sandbox.plant_xss();
    let site = build(&sandbox);
    node(
        "xss.mjs",
        &[
            utf8(&site),
            // Every page that carries a payload's code, in both passes.
            "--pages-containing",
            "alert",
            "--pages-containing",
            "pwned",
            // Search hits render titles that hold payloads.
            "--search",
            "script",
            "--search",
            "onerror",
            // Escaped, the payloads are shown as text.
            "--expect",
            "policies/xss.html=<script>alert('title')</script>",
            "--expect",
            "policies/xss.html=<img src=x onerror=alert(1)>",
        ],
    );
}

#[test]
fn a_page_offers_itself_in_the_other_period_from_file_urls() {
    require_browser();
    // 2026 is published before 2027 exists: its pages learn of 2027 only
    // through site/periods.js.
    let sandbox = published_2026();
    change_for_2027(&sandbox);
    run_ok(&sandbox, &["build"]);
    let site = sandbox.path().join("site");
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-screenshots/changes.png");
    let _ = std::fs::remove_file(&shot);
    node(
        "periods.mjs",
        &[
            utf8(&site),
            "2026",
            "2027",
            "--page",
            "index.html",
            "--page",
            "policies/access.html",
            "--page",
            "controls/soc2/CC7.1.html",
            "--page",
            // Evidence pages are named after their file.
            &format!("{NON_ASCII}.html"),
            "--only-newer",
            "policies/new.html",
            "--screenshot",
            utf8(&shot),
        ],
    );
    let (width, height) = png_size(&shot);
    assert_eq!(width, 1280);
    assert!(
        (600..=1600).contains(&height),
        "changes.png is {height} high"
    );
}
