//! `auditbook check` on fixture workspaces, run as users run it.

mod support;

use serde_json::{json, Value};
use support::{find, Sandbox};

fn status_of(report: &Value, id: &str) -> String {
    find(&report["controls"], "id", id)["status"]
        .as_str()
        .unwrap()
        .to_string()
}

/// The diagnostics of a report with this code.
fn with_code<'a>(report: &'a Value, code: &str) -> Vec<&'a Value> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["code"] == code)
        .collect()
}

fn codes(report: &Value) -> Vec<String> {
    report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn valid_workspace_statuses_follow_the_design() {
    let sandbox = Sandbox::fixture("valid");
    let run = sandbox.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();

    assert_eq!(report["period"], "2026");
    // Policy and fresh evidence.
    assert_eq!(status_of(&report, "CC6.2"), "covered");
    assert_eq!(status_of(&report, "CC7.1"), "covered");
    // Policy only; evidence only.
    assert_eq!(status_of(&report, "CC6.1"), "partial");
    assert_eq!(status_of(&report, "A.8.8"), "partial");
    // Linked policy overdue; all evidence expired.
    assert_eq!(status_of(&report, "CC7.2"), "stale");
    assert_eq!(status_of(&report, "A1.3"), "stale");
    // Nothing linked: crosswalk evidence (A.8.13) is related, not counted.
    assert_eq!(status_of(&report, "A1.2"), "missing");
    let a12 = find(&report["controls"], "id", "A1.2");
    assert_eq!(
        a12["related"],
        json!([{"id": "A.8.13", "framework": "iso27001", "evidence": ["evidence/misc/backup.txt"]}])
    );
    assert_eq!(status_of(&report, "A.8.13"), "partial");
    // Statement of applicability.
    let a74 = find(&report["controls"], "id", "A.7.4");
    assert_eq!(a74["status"], "excluded");
    assert_eq!(a74["reason"], "No premises");
    assert_eq!(
        find(&report["controls"], "id", "A.8.30")["reason"],
        "No outsourced development"
    );
    // A workspace catalog, linked with a prefix.
    assert_eq!(status_of(&report, "RD-1"), "partial");
    assert_eq!(
        find(&report["controls"], "id", "RD-1")["framework"],
        "readiness"
    );
    assert_eq!(status_of(&report, "RD-2"), "missing");
    // Out-of-scope SOC 2 categories are not listed.
    assert!(report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["id"] != "C1.1" && c["id"] != "PI1.1"));

    // 36 SOC 2 (security 33 + availability 3), 123 ISO, 2 readiness;
    // 14 A.7 controls and A.8.30 excluded.
    let summary = &report["summary"];
    let total: u64 = ["covered", "partial", "stale", "missing", "excluded"]
        .iter()
        .map(|k| summary[k].as_u64().unwrap())
        .sum();
    assert_eq!(total, 36 + 123 + 2);
    assert_eq!(summary["excluded"], 15);
    assert_eq!(summary["covered"], 2);
}

#[test]
fn policies_carry_due_dates_and_overdue_flags() {
    let report = Sandbox::fixture("valid")
        .run(&["check", "--format", "json"])
        .json();
    let old = find(&report["policies"], "id", "ops/old");
    assert_eq!(old["next_review"], "2026-03-01");
    assert_eq!(old["overdue"], true);
    assert_eq!(old["version"], "1.4");
    let access = find(&report["policies"], "id", "access");
    assert_eq!(access["next_review"], "2027-02-01");
    assert_eq!(access["overdue"], false);
    // review_every defaults to 12 months.
    assert_eq!(
        find(&report["policies"], "id", "vuln")["next_review"],
        "2027-01-10"
    );

    let overdue = with_code(&report, "policy-review-overdue");
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0]["file"], "policies/ops/old.md");
    assert_eq!(overdue[0]["severity"], "warning");
}

#[test]
fn evidence_metadata_takes_the_last_source() {
    let report = Sandbox::fixture("valid")
        .run(&["check", "--format", "json"])
        .json();
    let evidence = &report["evidence"];

    let scan = find(evidence, "path", "evidence/scans/december.sarif");
    assert_eq!(scan["kind"], "sarif");
    assert_eq!(scan["controls"], json!(["CC7.1", "A.8.8"]));
    assert_eq!(scan["collected_at"], "2026-12-10T00:00:00Z");
    assert_eq!(scan["stale"], false);
    assert_eq!(
        scan["provenance"],
        json!({"type": "stated", "source": "Nightly CI scan"})
    );
    // sha256sum tests/fixtures/workspaces/valid/evidence/scans/december.sarif
    assert_eq!(
        scan["sha256"],
        "f0ea8ecf050843f5ff004f3e9f01bf1a21719edb4d7a629326bb92e31d69b7b0"
    );

    let march = find(evidence, "path", "evidence/scans/march.json");
    assert_eq!(march["stale"], true);
    assert_eq!(march["expires"], "2026-04-05T00:00:00Z");

    // Rule classification; the sidecar overrides the rule's controls.
    let review = find(evidence, "path", "evidence/reviews/q4.csv");
    assert_eq!(review["kind"], "access-review");
    assert_eq!(review["classification"], "confidential");
    let backup = find(evidence, "path", "evidence/misc/backup.txt");
    assert_eq!(backup["controls"], json!(["A.8.13"]));
    assert_eq!(backup["classification"], "customer");
    assert_eq!(backup["collected_at"], "2026-10-01T09:30:00Z");
    assert_eq!(
        backup["mappings"],
        json!([{"id": "A.8.13", "via": {"source": "sidecar"}}])
    );

    // Drill records: default controls of the kind, date from front matter.
    let drill = find(evidence, "path", "evidence/dr/january.md");
    assert_eq!(drill["kind"], "drill");
    assert_eq!(drill["controls"], json!(["A1.3", "A.5.30"]));
    assert_eq!(drill["collected_at_source"], "front-matter");
    assert_eq!(
        drill["mappings"][0]["via"],
        json!({"source": "kind-default"})
    );
    assert!(evidence
        .as_array()
        .unwrap()
        .iter()
        .all(|e| !e["path"].as_str().unwrap().ends_with(".meta.yaml")));
}

#[test]
fn missed_schedule_windows_are_named() {
    let report = Sandbox::fixture("valid")
        .run(&["check", "--format", "json"])
        .json();
    let missed = with_code(&report, "schedule-missed");
    assert_eq!(missed.len(), 1, "{missed:?}");
    let message = missed[0]["message"].as_str().unwrap();
    assert!(message.contains("Quarterly access review"), "{message}");
    assert!(
        message.contains("2026-07-01") && message.contains("2026-09-30"),
        "{message}"
    );
    assert_eq!(missed[0]["file"], "auditbook.toml");
    assert_eq!(missed[0]["line"], 28);
}

#[test]
fn strict_fails_on_warnings() {
    let sandbox = Sandbox::fixture("valid");
    assert_eq!(sandbox.run(&["check"]).code, 0);
    assert_eq!(sandbox.run(&["check", "--strict"]).code, 1);
}

#[test]
fn text_output_is_compiler_style() {
    let run = Sandbox::fixture("valid").run(&["check", "--color", "never"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.contains("policies/ops/old.md:2:1: warning[policy-review-overdue]: policy `ops/old` is due for review on 2026-03-01"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("  help: review the policy"));
    assert!(run
        .stdout
        .contains("Period 2026: 161 controls in scope: 2 covered"));
    assert!(!run.stdout.contains('\x1b'));
    let colored = Sandbox::fixture("valid").run(&["check", "--color", "always"]);
    assert!(colored.stdout.contains("\x1b[1;33mwarning"));
}

#[test]
fn invalid_workspace_reports_every_problem_in_one_run() {
    let run = Sandbox::fixture("broken").run(&["check", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let diagnostics = report["diagnostics"].as_array().unwrap();
    let at = |file: &str, code: &str| -> Vec<&Value> {
        diagnostics
            .iter()
            .filter(|d| d["file"] == file && d["code"] == code)
            .collect()
    };

    // auditbook.toml: each bad value, at its line.
    let config = at("auditbook.toml", "config-invalid");
    let lines: Vec<&Value> = config.iter().map(|d| &d["line"]).collect();
    assert_eq!(lines, [&json!(10), &json!(15), &json!(19)], "{config:?}");
    let unknown = at("auditbook.toml", "unknown-control");
    assert_eq!(unknown.len(), 1);
    assert_eq!(unknown[0]["line"], 14);
    assert_eq!(unknown[0]["help"], "did you mean `CC6.1`?");

    // Policies.
    let yaml = at("policies/bad-yaml.md", "front-matter-invalid");
    assert_eq!(yaml.len(), 1);
    assert_eq!(yaml[0]["line"], 2);
    let typo = at("policies/typo-key.md", "front-matter-invalid");
    assert_eq!(typo[0]["line"], 3);
    assert_eq!(typo[0]["help"], "did you mean `owner`?");
    assert_eq!(
        at("policies/no-front-matter.md", "front-matter-missing").len(),
        1
    );
    let ids = at("policies/unknown-ids.md", "unknown-control");
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[0]["line"], 8);
    assert_eq!(ids[0]["help"], "did you mean `CC6.1`?");
    assert_eq!(ids[1]["line"], 9);
    assert_eq!(
        ids[1]["help"],
        "did you mean one of `6.1.1`, `6.1.2`, `6.1.3`?"
    );
    let date = at("policies/unknown-ids.md", "front-matter-invalid");
    assert_eq!(date[0]["line"], 5);

    // Evidence sidecars and catalogs.
    let sidecar = "evidence/thing.json.meta.yaml";
    assert_eq!(at(sidecar, "sidecar-invalid")[0]["line"], 1);
    assert_eq!(at(sidecar, "unknown-control")[0]["line"], 2);
    assert_eq!(
        at("evidence/gone.txt.meta.yaml", "sidecar-orphaned").len(),
        1
    );
    let catalog = at("catalogs/extra.yaml", "catalog-invalid");
    assert_eq!(catalog.len(), 1);
    assert_eq!(catalog[0]["line"], 9);

    // Nothing is assessed while the configuration is invalid.
    assert_eq!(report["controls"], json!([]));
    assert!(diagnostics
        .iter()
        .all(|d| d["severity"] == "error" || d["severity"] == "warning"));
    assert_eq!(
        diagnostics
            .iter()
            .filter(|d| d["severity"] == "error")
            .count(),
        13,
        "{}",
        serde_json::to_string_pretty(diagnostics).unwrap()
    );
}

#[test]
fn a_toml_syntax_error_does_not_hide_other_files_problems() {
    let sandbox = Sandbox::fixture("valid");
    let config = std::fs::read_to_string(sandbox.path().join("auditbook.toml")).unwrap();
    sandbox.write(
        "auditbook.toml",
        &config.replace("[period]", "[period]\nstrat = 1"),
    );
    sandbox.write(
        "policies/extra.md",
        "---\ntitle: X\nowner: Y\nversion: 1\ncontrols: [CC6.l]\n---\n",
    );
    let run = sandbox.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 1);
    let report = run.json();
    let found = codes(&report);
    assert!(found.contains(&"config-syntax".to_string()), "{found:?}");
    assert!(found.contains(&"unknown-control".to_string()), "{found:?}");
    let syntax = find(&report["diagnostics"], "code", "config-syntax");
    assert_eq!(syntax["line"], 5);
    assert_eq!(syntax["help"], "did you mean `start`?");
}

#[test]
fn missing_workspace_is_an_io_error() {
    let run = Sandbox::empty().run(&["check"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("has no auditbook.toml"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("auditbook init"));
}

#[test]
fn usage_errors_exit_2() {
    let run = Sandbox::empty().run(&["check", "--format", "yaml"]);
    assert_eq!(run.code, 2);
}

#[test]
fn git_history_gives_collection_time_and_provenance() {
    let sandbox = Sandbox::fixture("valid");
    sandbox.write("evidence/misc/runbook.txt", "Failover runbook v3\n");
    sandbox.git(&["init", "-q", "-b", "main"], "2026-04-02T10:00:00Z");
    sandbox.git(&["add", "."], "2026-04-02T10:00:00Z");
    sandbox.git(
        &["commit", "-q", "-m", "Add evidence"],
        "2026-04-02T10:00:00+02:00",
    );
    sandbox.write("evidence/misc/untracked.txt", "not committed\n");

    let report = sandbox.run(&["check", "--format", "json"]).json();
    let runbook = find(&report["evidence"], "path", "evidence/misc/runbook.txt");
    assert_eq!(runbook["collected_at"], "2026-04-02T08:00:00Z");
    assert_eq!(runbook["collected_at_source"], "git-commit");
    assert_eq!(runbook["provenance"]["type"], "git");
    assert_eq!(
        runbook["provenance"]["author"],
        "Dana Auditor <dana@example.test>"
    );
    let head = report["commit"].as_str().unwrap();
    assert_eq!(runbook["provenance"]["commit"], head);
    assert_eq!(head.len(), 40);

    let untracked = find(&report["evidence"], "path", "evidence/misc/untracked.txt");
    assert_eq!(untracked["collected_at_source"], "file-modified");
    assert_eq!(untracked["provenance"]["type"], "untracked");
    // A sidecar's date still wins over git's.
    let scan = find(&report["evidence"], "path", "evidence/scans/december.sarif");
    assert_eq!(scan["collected_at_source"], "sidecar");
}

#[test]
fn init_creates_a_workspace_that_checks_clean() {
    let sandbox = Sandbox::empty();
    let dir = sandbox.path().join("new");
    let run = Sandbox::empty().run(&[
        "init",
        dir.to_str().unwrap(),
        "--name",
        "Acme \"Cloud\" Ltd",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(dir.join("auditbook.toml").is_file());
    assert!(dir.join("policies/access-control.md").is_file());
    let ignore = std::fs::read_to_string(dir.join(".gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == ".auditbook/"), "{ignore}");

    let check = support::auditbook()
        .args(["-C", dir.to_str().unwrap(), "check", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(check.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(report["organization"], "Acme \"Cloud\" Ltd");
    // SOURCE_DATE_EPOCH=1795000000 is in 2026.
    assert_eq!(report["period"], "2026");
    assert!(report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["severity"] == "warning"));
    assert_eq!(report["policies"].as_array().unwrap().len(), 2);

    // It builds at once.
    let build = support::auditbook()
        .args(["-C", dir.to_str().unwrap(), "build"])
        .output()
        .unwrap();
    assert_eq!(
        build.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    assert!(dir.join("site/2026/index.html").is_file());

    // A second init refuses rather than overwrite.
    let again = Sandbox::empty().run(&["init", dir.to_str().unwrap()]);
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("already exists"));
}

#[test]
fn same_workspace_gives_identical_json() {
    let a = Sandbox::fixture("valid").run(&["check", "--format", "json"]);
    let b = Sandbox::fixture("valid").run(&["check", "--format", "json"]);
    assert_eq!(a.stdout, b.stdout);
}

#[test]
fn invalid_workspace_text_output_snapshot() {
    let run = Sandbox::fixture("broken").run(&["check", "--color", "never"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn a_window_still_open_is_pending_not_missed() {
    // SOURCE_DATE_EPOCH (support::auditbook) is 2026-11-18: the fourth
    // quarter has not closed, so its missing review is not reported yet.
    let sandbox = Sandbox::fixture("valid");
    sandbox.remove("evidence/reviews/q4.csv");
    sandbox.remove("evidence/reviews/q4.csv.meta.yaml");
    let report = sandbox.run(&["check", "--format", "json"]).json();
    let missed = with_code(&report, "schedule-missed");
    assert_eq!(missed.len(), 1, "{missed:?}");
    assert!(missed[0]["message"]
        .as_str()
        .unwrap()
        .contains("2026-07-01"));

    // After the period, the same gap is missed.
    let late = support::auditbook()
        .env("SOURCE_DATE_EPOCH", "1800000000")
        .args([
            "-C",
            sandbox.path().to_str().unwrap(),
            "check",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&late.stdout).unwrap();
    assert_eq!(with_code(&report, "schedule-missed").len(), 2);
}
