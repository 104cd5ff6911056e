//! The example company in the repository's own workspace: it checks with
//! no error, looks like a real program (gaps included), and builds.

mod support;

use support::Sandbox;

fn example() -> Sandbox {
    Sandbox::example()
}

#[test]
fn the_example_company_checks_clean_with_realistic_gaps() {
    let sandbox = example();
    let run = sandbox.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report = run.json();
    let diagnostics = report["diagnostics"].as_array().unwrap();
    assert!(
        diagnostics.iter().all(|d| d["severity"] == "warning"),
        "{:#?}",
        diagnostics
            .iter()
            .filter(|d| d["severity"] == "error")
            .collect::<Vec<_>>()
    );
    assert!(report["policies"].as_array().unwrap().len() >= 12);
    let summary = &report["summary"];
    let covered = summary["covered"].as_u64().unwrap();
    let total: u64 = ["covered", "partial", "stale", "missing", "excluded"]
        .iter()
        .map(|k| summary[k].as_u64().unwrap())
        .sum();
    // A real company: most controls covered, some gaps of every kind.
    assert!(covered * 2 > total, "{summary}");
    for status in ["partial", "stale", "missing", "excluded"] {
        assert!(
            summary[status].as_u64().unwrap() > 0,
            "no {status} control: {summary}"
        );
    }
    let frameworks: std::collections::BTreeSet<&str> = report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["framework"].as_str().unwrap())
        .collect();
    assert_eq!(
        frameworks.into_iter().collect::<Vec<_>>(),
        ["iso27001", "production-readiness", "soc2"]
    );
    // Several kinds of evidence, and every Annex A theme covered by a policy.
    let kinds: std::collections::BTreeSet<&str> = report["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.len() >= 8, "{kinds:?}");
    for prefix in ["A.5.", "A.6.", "A.7.", "A.8."] {
        assert!(
            report["policies"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["controls"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c.as_str().unwrap().starts_with(prefix))),
            "no policy covers {prefix}*"
        );
    }
}

#[test]
fn the_example_company_builds() {
    let sandbox = example();
    let run = sandbox.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(sandbox.path().join("site/2026/index.html").is_file());
    assert!(sandbox
        .path()
        .join("site/2026/frameworks/production-readiness.html")
        .is_file());
}
