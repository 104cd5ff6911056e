//! The evidence parsers over real third-party files, and over broken and
//! adversarial variants of them. Expected numbers come from
//! `tests/fixtures/real/README.md`, where each was computed with a Python
//! one-liner that shares no code with auditbook.

use std::path::{Path, PathBuf};

use auditbook::evidence::{self, Details, Facts, Kind, Summary};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

fn real(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real")
        .join(path)
}

fn read(path: &Path) -> Facts {
    evidence::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn summary(facts: &Facts) -> Value {
    serde_json::to_value(&facts.summary).unwrap()
}

fn findings(counts: [u64; 5], tools: &[&str], suppressed: u64) -> Value {
    let [critical, high, medium, low, info] = counts;
    json!({"findings": {"critical": critical, "high": high, "medium": medium, "low": low, "info": info},
           "tools": tools, "suppressed": suppressed})
}

fn tests(passed: u64, failed: u64, errored: u64, skipped: u64, suites: u64) -> Value {
    json!({"tests": {"passed": passed, "failed": failed, "errored": errored, "skipped": skipped},
           "suites": suites})
}

fn checks(counts: [u64; 4], reported: [u64; 4]) -> Value {
    let [pass, fail, warn, info] = counts;
    let [rp, rf, rw, ri] = reported;
    json!({"checks": {"pass": pass, "fail": fail, "warn": warn, "info": info},
           "reported": {"pass": rp, "fail": rf, "warn": rw, "info": ri}})
}

/// Every real file of the parsed formats: its kind, summary and observed
/// time (`None`: not asserted beyond being absent).
#[rustfmt::skip]
fn expectations() -> Vec<(&'static str, Kind, Value, Option<&'static str>)> {
    use Kind::*;
    vec![
        // SARIF: `python3 count_sarif.py FILE`.
        ("sarif/codeql-2.5.4_defectdojo.sarif", Sarif, findings([0, 11, 4, 57, 0], &["CodeQL"], 0), None),
        ("sarif/dockle-0.3.15-no-locations.sarif", Sarif, findings([0, 1, 0, 3, 0], &["Dockle"], 0), None),
        ("sarif/gitleaks-7.4.0.sarif", Sarif, findings([0, 0, 8, 0, 0], &["Gitleaks"], 0), None),
        ("sarif/gitleaks-8_sarif_simple.sarif", Sarif, findings([0, 0, 1, 0, 0], &["gitleaks"], 0), None),
        ("sarif/grype-0.34.7_cxf.sarif", Sarif, findings([1, 11, 4, 6, 0], &["Grype"], 0), None),
        ("sarif/grype_presenter_image.sarif", Sarif, findings([0, 2, 0, 0, 0], &["grype"], 0), None),
        ("sarif/no-runs.sarif", Sarif, findings([0; 5], &[], 0), None),
        ("sarif/sarif-sdk_MultipleRuns.sarif", Sarif, findings([0, 3, 0, 0, 0], &["WorkItemFiler testing"], 0), None),
        ("sarif/sarif-sdk_NullResults.sarif", Sarif, findings([0; 5], &["WorkItemFiler Testing"], 0), None),
        ("sarif/spec-appendix-k1-double-2runs-empty.sarif", Sarif, findings([0; 5], &["CodeScanner", "OtherScanner"], 0), None),
        ("sarif/trivy_alpine-310.sarif", Sarif, findings([0, 0, 4, 0, 0], &["Trivy"], 0), None),
        // Not SARIF logs: plain files, no problem.
        ("sarif/sarif-sdk_Invalid.sarif", Generic, json!({}), None),
        ("sarif/sarif-schema-2.1.0.json", Generic, json!({}), None),
        // Trivy: `python3 -c "$TRIVY" FILE`.
        ("trivy/alpine-310.json", Trivy, findings([0, 0, 4, 0, 0], &["Trivy"], 0), Some("2021-08-25T12:20:30.000000005+00:00")),
        ("trivy/alpine-39-skip.json", Trivy, findings([0; 5], &["Trivy"], 0), Some("2021-08-25T12:20:30.000000005+00:00")),
        ("trivy/defectdojo_legacy_top-level-list.json", Trivy, findings([0, 6, 0, 0, 1], &["Trivy"], 0), None),
        ("trivy/defectdojo_misconfigurations_and_secrets.json", Trivy, findings([2, 2, 1, 0, 0], &["Trivy"], 0), None),
        ("trivy/defectdojo_trivy-0.69.1_cvssv4.json", Trivy, findings([0, 0, 1, 2, 0], &["Trivy"], 0), Some("2026-02-24T07:07:53.487381+00:00")),
        ("trivy/secrets.json", Trivy, findings([1, 1, 0, 0, 0], &["Trivy"], 0), Some("2021-08-25T12:20:30.000000005+00:00")),
        // Grype: `python3 -c "$GRYPE" FILE`.
        ("grype/defectdojo_grype-0.24.0_directory.json", Grype, findings([2, 2, 5, 0, 0], &["grype"], 0), None),
        ("grype/defectdojo_grype-0.7.0_no_vuln.json", Grype, findings([0; 5], &["grype"], 0), None),
        ("grype/defectdojo_grype-0.94.0_epss.json", Grype, findings([1, 10, 2, 2, 0], &["grype"], 0), Some("2025-06-19T11:43:35.523947199+00:00")),
        ("grype/grype_presenter_empty.json", Grype, findings([0; 5], &["grype"], 0), None),
        ("grype/grype_presenter_image.json", Grype, findings([1, 0, 0, 1, 0], &["grype"], 0), None),
        // gitleaks: `python3 -c "$GITLEAKS" FILE` (every finding high).
        ("gitleaks/defectdojo_gitleaks-7.5.0.json", Gitleaks, findings([0, 8, 0, 0, 0], &["gitleaks"], 0), None),
        ("gitleaks/defectdojo_gitleaks-legacy_redacted.json", Gitleaks, findings([0, 6, 0, 0, 0], &["gitleaks"], 0), None),
        ("gitleaks/defectdojo_gitleaks_null.json", Gitleaks, findings([0; 5], &["gitleaks"], 0), None),
        ("gitleaks/gitleaks-8_baseline.json", Gitleaks, findings([0, 2, 0, 0, 0], &["gitleaks"], 0), None),
        ("gitleaks/gitleaks-8_empty.json", Gitleaks, findings([0; 5], &["gitleaks"], 0), None),
        ("gitleaks/gitleaks-8_json_simple.json", Gitleaks, findings([0, 1, 0, 0, 0], &["gitleaks"], 0), None),
        // kube-bench: `python3 -c "$KUBE" FILE`.
        ("kube-bench/controlsCollection.json", KubeBench, checks([2, 0, 1, 0], [49, 12, 14, 0]), None),
        ("kube-bench/defectdojo_kube-bench-zero-fail_cis-1.5.json", KubeBench, checks([23, 0, 0, 0], [22, 1, 0, 0]), None),
        ("kube-bench/passedControlsCollection.json", KubeBench, checks([1, 0, 1, 0], [7, 0, 3, 0]), None),
        ("kube-bench/result.json", KubeBench, checks([2, 0, 1, 0], [49, 12, 14, 0]), None),
        // JUnit: `python3 -c "$JUNIT" FILE`.
        ("junit/empty_java-junit.xml", Junit, tests(0, 0, 0, 0, 1), Some("2021-03-07T10:36:56+00:00")),
        ("junit/empty_jest-junit.xml", Junit, tests(0, 0, 0, 0, 0), None),
        ("junit/go-junit-report_026_benchmarks.xml", Junit, tests(6, 0, 0, 0, 2), Some("2022-01-01T00:00:00+00:00")),
        ("junit/go-junit-report_030_failures-stdout.xml", Junit, tests(8, 9, 0, 0, 1), Some("2022-01-01T00:00:00+00:00")),
        ("junit/jest-junit_dorny.xml", Junit, tests(1, 4, 0, 1, 2), Some("2020-10-27T21:39:41+00:00")),
        ("junit/mocha.xml", Junit, tests(1, 0, 0, 0, 3), Some("2021-10-28T00:15:42+00:00")),
        ("junit/nested_multi-level.xml", Junit, tests(3, 0, 0, 0, 2), Some("2024-04-19T08:20:31.569834+00:00")),
        ("junit/nextest_fixture-project.xml", Junit, tests(2, 1, 0, 0, 1), Some("2024-01-09T07:50:12.664+00:00")),
        ("junit/pytest_report.xml", Junit, tests(1, 2, 0, 0, 1), Some("2020-10-12T18:46:11.226119+00:00")),
        ("junit/pytest_xunit_dorny.xml", Junit, tests(6, 2, 0, 2, 1), Some("2025-11-15T16:51:49.548396+00:00")),
        ("junit/surefire_StringUtilsTest.xml", Junit, tests(2, 2, 0, 1, 1), None),
        ("junit/trivy_alpine-310.junit.xml", Junit, tests(0, 4, 0, 0, 2), None),
        // XML schemas are not reports.
        ("junit/JUnit.xsd", Generic, json!({}), None),
        ("junit/jest-junit_junit.xsd", Generic, json!({}), None),
        // CI logs: `python3 -c "$CILOG" FILE`.
        (
            "gha-logs/pytorch_job_raw_log_2024-07-08.txt",
            CiLog,
            json!({"lines": 4768, "errors": 2, "warnings": 0, "redacted": 0, "outcome": "failure"}),
            Some("2024-07-08T16:59:37.956140300+00:00"),
        ),
        ("gha-logs/cli_run_log.zip", Generic, json!({}), None),
    ]
}

#[test]
fn real_files_are_detected_and_counted() {
    let mut failures = Vec::new();
    for (path, kind, expected, observed) in expectations() {
        let facts = read(&real(path));
        let got = (
            facts.kind,
            summary(&facts),
            facts.observed_at.map(|t| t.to_rfc3339()),
            facts.problem.clone(),
        );
        let want = (kind, expected, observed.map(str::to_string), None);
        if got != want {
            failures.push(format!("{path}:\n  got  {got:?}\n  want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_real_fixture_is_covered() {
    let covered: Vec<&str> = expectations().iter().map(|e| e.0).collect();
    let mut missing = Vec::new();
    for folder in [
        "sarif",
        "trivy",
        "grype",
        "gitleaks",
        "kube-bench",
        "junit",
        "gha-logs",
    ] {
        for entry in std::fs::read_dir(real(folder)).unwrap() {
            let name = format!("{folder}/{}", entry.unwrap().file_name().to_string_lossy());
            if !covered.contains(&name.as_str())
                && name != "sarif/sarif-sdk_SpecExample_Comprehensive.sarif"
            {
                missing.push(name);
            }
        }
    }
    assert!(
        missing.is_empty(),
        "fixtures without expectations: {missing:?}"
    );
}

#[test]
fn a_sarif_2_0_log_is_kept_as_a_plain_file_with_a_warning() {
    let facts = read(&real("sarif/sarif-sdk_SpecExample_Comprehensive.sarif"));
    assert_eq!(facts.kind, Kind::Generic);
    assert_eq!(facts.summary, Summary::None);
    let problem = facts.problem.expect("a format problem");
    assert_eq!(problem.looked_like, Kind::Sarif);
    assert_eq!(problem.line, Some(2));
    assert!(problem.message.contains("2.0.0"), "{problem:?}");
    // The hash covers the file all the same.
    let bytes = std::fs::read(real("sarif/sarif-sdk_SpecExample_Comprehensive.sarif")).unwrap();
    assert_eq!(facts.size, bytes.len() as u64);
}

#[test]
fn details_for_the_portal() {
    // Findings table: most severe first, then by rule; locations file:line.
    let facts = read(&real("sarif/codeql-2.5.4_defectdojo.sarif"));
    let Details::Findings { rows, omitted } = &facts.details else {
        panic!("{:?}", facts.details)
    };
    assert_eq!((rows.len(), *omitted), (72, 0));
    assert!(rows
        .windows(2)
        .all(|w| (w[0].severity, &w[0].rule) <= (w[1].severity, &w[1].rule)));
    assert_eq!(rows[0].rule, "py/call/wrong-arguments");
    assert_eq!(rows[0].location.as_deref(), Some("bad/mod_user.py:32"));
    let dockle = read(&real("sarif/dockle-0.3.15-no-locations.sarif"));
    let Details::Findings { rows, .. } = &dockle.details else {
        panic!()
    };
    assert!(rows.iter().all(|r| r.location.is_none()));

    // Secrets found by gitleaks never reach the details.
    for path in [
        "gitleaks/defectdojo_gitleaks-7.5.0.json",
        "trivy/secrets.json",
    ] {
        let text = serde_json::to_string(&read(&real(path)).details).unwrap();
        assert!(!text.contains("AKIAIOSFODNN7EXAMPLE"), "{path}: {text}");
    }

    // Failing tests with their suite and message.
    let junit = read(&real("junit/surefire_StringUtilsTest.xml"));
    let Details::Tests { failing, .. } = &junit.details else {
        panic!()
    };
    assert_eq!(failing.len(), 2);
    assert_eq!(
        failing[0].suite.as_deref(),
        Some("action.surefire.report.calc.StringUtilsTest")
    );
    assert!(failing
        .iter()
        .all(|f| f.message.as_ref().is_some_and(|m| m.chars().count() <= 301)));

    // Log excerpts around the two error lines, without timestamps.
    let log = read(&real("gha-logs/pytorch_job_raw_log_2024-07-08.txt"));
    let Details::Log { excerpts, omitted } = &log.details else {
        panic!()
    };
    assert_eq!((excerpts.len(), *omitted), (2, 0));
    let errors: Vec<(u64, &str)> = excerpts
        .iter()
        .flat_map(|e| e.lines.iter().filter(|l| l.error))
        .map(|l| (l.number, l.text.as_str()))
        .collect();
    assert_eq!(
        errors,
        vec![
            (3194, "Process completed with exit code 1."),
            (4047, "Process completed with exit code 1.")
        ]
    );
    assert_eq!(excerpts[0].lines.len(), 7);
    assert_eq!(
        excerpts[0].lines[2].text,
        "mv: cannot stat 'td_results.json': No such file or directory"
    );
}

// ---- broken and adversarial input ------------------------------------------

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Reads a file made of `bytes`: never an error, never a panic.
fn read_bytes(name: &str, bytes: &[u8]) -> Facts {
    let dir = tempfile::tempdir().unwrap();
    read(&write(dir.path(), name, bytes))
}

fn unparsed(name: &str, bytes: &[u8], kind: Kind) -> evidence::FormatProblem {
    let facts = read_bytes(name, bytes);
    assert_eq!(facts.kind, Kind::Generic, "{name}");
    assert_eq!(facts.summary, Summary::None);
    let problem = facts
        .problem
        .unwrap_or_else(|| panic!("{name}: no problem reported"));
    assert_eq!(problem.looked_like, kind, "{name}: {problem:?}");
    problem
}

#[test]
fn truncated_files_are_problems_with_a_line() {
    for (path, kind) in [
        ("sarif/codeql-2.5.4_defectdojo.sarif", Kind::Sarif),
        ("sarif/grype-0.34.7_cxf.sarif", Kind::Sarif),
        ("trivy/alpine-310.json", Kind::Trivy),
        ("trivy/defectdojo_legacy_top-level-list.json", Kind::Trivy),
        ("grype/defectdojo_grype-0.94.0_epss.json", Kind::Grype),
        ("gitleaks/defectdojo_gitleaks-7.5.0.json", Kind::Gitleaks),
        ("kube-bench/result.json", Kind::KubeBench),
        ("junit/jest-junit_dorny.xml", Kind::Junit),
        ("junit/surefire_StringUtilsTest.xml", Kind::Junit),
    ] {
        let bytes = std::fs::read(real(path)).unwrap();
        let cut = &bytes[..bytes.len() / 2];
        let lines_in_cut = cut.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
        let name = path.rsplit('/').next().unwrap();
        let problem = unparsed(name, cut, kind);
        let line = problem.line.unwrap_or_else(|| panic!("{path}: no line"));
        assert!(
            line <= lines_in_cut && line + 2 >= lines_in_cut,
            "{path}: line {line} of {lines_in_cut}: {problem:?}"
        );
    }
    // serde_json says what is wrong and where.
    let problem = unparsed(
        "x.sarif",
        b"{\"version\": \"2.1.0\",\n\"runs\": [\n  {\"tool\": {",
        Kind::Sarif,
    );
    assert_eq!(problem.line, Some(3));
    assert!(
        problem.message.starts_with("EOF while parsing"),
        "{problem:?}"
    );
}

#[test]
fn wrong_types_and_unknown_schemas_are_problems() {
    for (name, text, kind) in [
        (
            "a.sarif",
            r#"{"version": "2.1.0", "runs": {"not": "a list"}}"#,
            Kind::Sarif,
        ),
        (
            "b.sarif",
            r#"{"version": "2.1.0", "runs": [{"results": [{"level": 7}]}]}"#,
            Kind::Sarif,
        ),
        (
            "c.sarif",
            r#"{"version": "2.1.0", "runs": [{"results": [{"locations": [{"physicalLocation": {"region": {"startLine": "ten"}}}]}]}]}"#,
            Kind::Sarif,
        ),
        (
            "d.json",
            r#"{"SchemaVersion": 2, "ArtifactName": "x", "Results": [{"Vulnerabilities": "many"}]}"#,
            Kind::Trivy,
        ),
        (
            "e.json",
            r#"{"SchemaVersion": 3, "ArtifactName": "x", "Results": []}"#,
            Kind::Trivy,
        ),
        (
            "f.json",
            r#"{"matches": {"a": 1}, "source": {}, "descriptor": {}}"#,
            Kind::Grype,
        ),
        ("g.json", r#"[{"RuleID": 5}]"#, Kind::Gitleaks),
        (
            "h.json",
            r#"{"Controls": "none", "Totals": {}}"#,
            Kind::KubeBench,
        ),
        (
            "i.json",
            r#"{"Controls": [], "Totals": {"total_pass": -1}}"#,
            Kind::KubeBench,
        ),
        (
            "j.xml",
            "<testsuites><testsuite><testcase name='a'></testsuite></testsuites>",
            Kind::Junit,
        ),
        (
            "k.xml",
            "<?xml version='1.0'?>\n<testsuites><testcase name='a' name='b'/></testsuites>",
            Kind::Junit,
        ),
        (
            "l.csv",
            "system,account,reviewer,decision,date\nx,y,z,keep,2026-13-45\n",
            Kind::AccessReview,
        ),
        (
            "m.csv",
            "person,policy,policy_version,date\na,b\n",
            Kind::Acknowledgement,
        ),
        (
            "n.csv",
            "date,metric,value,target\n2026-01-01,m,1,high\n",
            Kind::Metric,
        ),
        (
            "o.md",
            "---\nkind: drill\nscenario: x\nrpo_actual_min: [1, 2]\n---\n",
            Kind::Drill,
        ),
    ] {
        let problem = unparsed(name, text.as_bytes(), kind);
        assert!(problem.line.is_some(), "{name}: {problem:?}");
        assert!(!problem.message.is_empty());
    }
}

#[test]
fn deep_nesting_and_huge_numbers_do_not_break_anything() {
    // In a value auditbook reads whole, serde_json's recursion limit holds.
    let deep = format!(
        r#"{{"version": "2.1.0", "runs": [{{"tool": {{"driver": {{"rules": [{{"properties": {{"security-severity": {}{}}}}}]}}}}}}]}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let problem = unparsed("deep.sarif", deep.as_bytes(), Kind::Sarif);
    assert!(problem.message.contains("recursion limit"), "{problem:?}");
    // Unclosed nesting where a run should be.
    let unclosed = format!(r#"{{"version": "2.1.0", "runs": {}"#, "[".repeat(1_000_000));
    unparsed("unclosed.sarif", unclosed.as_bytes(), Kind::Sarif);
    // And in the parts auditbook skips.
    let skipped = format!(
        r#"{{"version": "2.1.0", "runs": [{{"properties": {}{}}}]}}"#,
        "[".repeat(1_000_000),
        "]".repeat(1_000_000)
    );
    let problem = unparsed("skipped.sarif", skipped.as_bytes(), Kind::Sarif);
    assert!(problem.message.contains("recursion limit"), "{problem:?}");
    let shallow = format!(
        r#"{{"version": "2.1.0", "runs": [{{"properties": {}{}}}]}}"#,
        "[".repeat(100),
        "]".repeat(100)
    );
    assert_eq!(
        read_bytes("shallow.sarif", shallow.as_bytes()).kind,
        Kind::Sarif
    );
    // Deep XML.
    let xml = format!("<testsuites>{}", "<testsuite>".repeat(100_000));
    unparsed("deep.xml", xml.as_bytes(), Kind::Junit);

    // Numbers too big for their field are problems; counts saturate.
    unparsed(
        "big.sarif",
        br#"{"version": "2.1.0", "runs": [{"results": [{"ruleIndex": 1e999}]}]}"#,
        Kind::Sarif,
    );
    unparsed(
        "big2.sarif",
        br#"{"version": "2.1.0", "runs": [{"results": [{"ruleIndex": 123456789012345678901234567890}]}]}"#,
        Kind::Sarif,
    );
    let max = u64::MAX;
    let totals = format!(
        r#"[{{"id": "1", "node_type": "master", "tests": [], "total_pass": {max}}}, {{"id": "2", "node_type": "node", "tests": [], "total_pass": {max}}}]"#
    );
    let facts = read_bytes("kube.json", totals.as_bytes());
    assert_eq!(summary(&facts)["reported"]["pass"], json!(max));
    let huge_security_severity = br#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "t", "rules": [{"id": "r", "properties": {"security-severity": "1e400"}}]}}, "results": [{"ruleId": "r"}]}]}"#;
    let facts = read_bytes("score.sarif", huge_security_severity);
    assert_eq!(summary(&facts)["findings"]["medium"], json!(1));
    let facts = read_bytes(
        "m.csv",
        b"date,metric,value\n2026-01-01,m,1e308\n2026-01-02,m,-1e308\n2026-01-03,m,1e308\n",
    );
    assert_eq!(facts.kind, Kind::Metric);
    assert!(serde_json::to_string(&facts.summary).is_ok());
}

#[test]
fn empty_files_boms_crlf_and_invalid_utf8() {
    // Empty files: nothing to detect, except a log by its extension.
    assert_eq!(read_bytes("empty.sarif", b"").kind, Kind::Generic);
    assert_eq!(read_bytes("empty.json", b"").kind, Kind::Generic);
    let log = read_bytes("empty.log", b"");
    assert_eq!(log.kind, Kind::CiLog);
    assert_eq!(summary(&log)["lines"], json!(0));

    // A byte order mark and CRLF line ends, in every text format.
    let sarif = "\u{feff}{\r\n\"version\": \"2.1.0\",\r\n\"runs\": [{\"tool\": {\"driver\": {\"name\": \"X\"}}, \"results\": [{\"level\": \"error\"}]}]\r\n}\r\n";
    let facts = read_bytes("bom.sarif", sarif.as_bytes());
    assert_eq!(
        (facts.kind, summary(&facts)["findings"]["high"].clone()),
        (Kind::Sarif, json!(1))
    );
    let junit = "\u{feff}<?xml version=\"1.0\"?>\r\n<testsuite>\r\n<testcase name=\"a\"/>\r\n</testsuite>\r\n";
    let facts = read_bytes("bom.xml", junit.as_bytes());
    assert_eq!(
        (facts.kind, summary(&facts)["tests"]["passed"].clone()),
        (Kind::Junit, json!(1))
    );
    let csv =
        "\u{feff}system,account,reviewer,decision,date\r\ngithub,alice,bob,keep,2026-02-15\r\n";
    let facts = read_bytes("bom.csv", csv.as_bytes());
    assert_eq!(
        (facts.kind, summary(&facts)["entries"].clone()),
        (Kind::AccessReview, json!(1))
    );
    let trivy = "\u{feff}{\"SchemaVersion\": 2, \"ArtifactName\": \"x\", \"Results\": []}";
    assert_eq!(read_bytes("bom.json", trivy.as_bytes()).kind, Kind::Trivy);
    let drill = "\u{feff}---\r\nscenario: Region loss\r\nrto_target_min: 60\r\nrto_actual_min: 30\r\n---\r\nnotes\r\n";
    let facts = read_bytes("bom.md", drill.as_bytes());
    assert_eq!(
        (facts.kind, summary(&facts)["passed"].clone()),
        (Kind::Drill, json!(true))
    );

    // Invalid UTF-8: tolerated in logs, a problem in JSON strings and CSV.
    let mut log = b"2026-01-01T00:00:00Z start \xff\xfe\r\n".to_vec();
    log.extend_from_slice(b"2026-01-01T00:00:01Z ##[error]bad \xc3\x28 byte\r\n");
    let facts = read_bytes("bad.log", &log);
    assert_eq!(summary(&facts)["errors"], json!(1));
    assert_eq!(summary(&facts)["lines"], json!(2));
    unparsed(
        "bad.sarif",
        b"{\"version\": \"2.1.0\", \"runs\": [{\"results\": [{\"message\": {\"text\": \"\xff\"}}]}]}",
        Kind::Sarif,
    );
    unparsed(
        "bad.csv",
        b"system,account,reviewer,decision,date\n\xff,y,z,keep,2026-01-01\n",
        Kind::AccessReview,
    );
}

#[test]
fn logs_are_redacted_as_they_stream() {
    let log = "\
2026-03-01T10:00:00.0000000Z ##[group]Run deploy
2026-03-01T10:00:01.0000000Z aws configure set aws_access_key_id AKIAIOSFODNN7EXAMPLE
2026-03-01T10:00:02.0000000Z aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
2026-03-01T10:00:03.0000000Z -----BEGIN RSA PRIVATE KEY-----
2026-03-01T10:00:04.0000000Z MIIEowIBAAKCAQEAx
2026-03-01T10:00:05.0000000Z -----END RSA PRIVATE KEY-----
2026-03-01T10:00:06.0000000Z psql postgres://app:hunter2@db.internal/app
2026-03-01T10:00:07.0000000Z ##[error]Process completed with exit code 2.
2026-03-01T10:00:08.0000000Z Cleaning up orphan processes
";
    let facts = read_bytes("deploy.log", log.as_bytes());
    assert_eq!(
        summary(&facts),
        json!({"lines": 9, "errors": 1, "warnings": 0, "redacted": 4, "outcome": "failure"})
    );
    let shown = serde_json::to_string(&facts.details).unwrap();
    for secret in [
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI",
        "MIIEowIBAAKCAQEAx",
        "hunter2",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains("postgres://app:[REDACTED:url-password]@db.internal/app"));
    assert_eq!(
        facts.observed_at.unwrap().to_rfc3339(),
        "2026-03-01T10:00:08+00:00"
    );
}

#[test]
fn mangled_fixtures_never_panic() {
    // More rounds for a longer hunt: AUDITBOOK_MANGLE_ROUNDS=1000.
    let rounds: u32 = std::env::var("AUDITBOOK_MANGLE_ROUNDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(12);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(4);
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = Vec::new();
    for folder in [
        "sarif",
        "trivy",
        "grype",
        "gitleaks",
        "kube-bench",
        "junit",
        "gha-logs",
    ] {
        for entry in std::fs::read_dir(real(folder)).unwrap() {
            files.push(entry.unwrap().path());
        }
    }
    files.sort();
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        if bytes.len() > 100_000 {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        for round in 0..rounds {
            let mut mangled = bytes.clone();
            match round % 3 {
                // Flip a few bytes.
                0 => {
                    for _ in 0..4 {
                        if !mangled.is_empty() {
                            let i = rng.gen_range(0..mangled.len());
                            mangled[i] = rng.gen();
                        }
                    }
                }
                // Cut anywhere.
                1 => mangled.truncate(rng.gen_range(0..=mangled.len())),
                // Splice in a run of structural characters.
                _ => {
                    let i = rng.gen_range(0..=mangled.len());
                    const JUNK: &[u8] = b"{}[]<>\",:\n\r\\/-0e";
                    let junk: Vec<u8> = (0..rng.gen_range(1..64))
                        .map(|_| JUNK[rng.gen_range(0..JUNK.len())])
                        .collect();
                    mangled.splice(i..i, junk);
                }
            }
            let facts = evidence::read(&write(dir.path(), &name, &mangled))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(facts.size, mangled.len() as u64);
            if facts.problem.is_some() {
                assert_eq!(facts.kind, Kind::Generic);
            }
        }
    }
}

// ---- the workspace load ---------------------------------------------------

#[test]
fn content_times_and_unparsed_files_reach_the_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("auditbook.toml"),
        "[organization]\nname = \"T\"\n\n[period]\nname = \"2026\"\nstart = \"2026-01-01\"\nend = \"2026-12-31\"\n\n[frameworks.soc2]\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("evidence")).unwrap();
    std::fs::write(
        root.join("evidence/scan.sarif"),
        r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "T"}}, "results": [],
            "invocations": [{"startTimeUtc": "2026-05-01T09:00:00Z", "endTimeUtc": "2026-05-01T09:30:00Z"}]}]}"#,
    )
    .unwrap();
    std::fs::write(
        root.join("evidence/dated.sarif"),
        r#"{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "T"}}, "results": [],
            "invocations": [{"endTimeUtc": "2026-05-01T09:30:00Z"}]}]}"#,
    )
    .unwrap();
    std::fs::write(
        root.join("evidence/dated.sarif.meta.yaml"),
        "collected_at: 2026-06-01\n",
    )
    .unwrap();
    std::fs::write(
        root.join("evidence/broken.sarif"),
        "{\"version\": \"2.1.0\",\n\"runs\": [\n",
    )
    .unwrap();

    let options = auditbook::workspace::LoadOptions {
        details: true,
        ..Default::default()
    };
    let workspace = auditbook::workspace::Workspace::load(root, options).unwrap();
    let item = |path: &str| {
        workspace
            .evidence
            .iter()
            .find(|e| e.path == path)
            .unwrap_or_else(|| panic!("{path} not loaded"))
    };
    let scan = item("evidence/scan.sarif");
    assert_eq!(scan.collected_at.to_rfc3339(), "2026-05-01T09:30:00+00:00");
    assert_eq!(
        serde_json::to_value(scan.collected_at_source).unwrap(),
        json!("content")
    );
    assert!(matches!(*scan.details, Details::Findings { .. }));
    // A sidecar wins over the content.
    let dated = item("evidence/dated.sarif");
    assert_eq!(dated.collected_at.to_rfc3339(), "2026-06-01T00:00:00+00:00");

    let broken = item("evidence/broken.sarif");
    assert_eq!(broken.kind, Kind::Generic);
    let warning = workspace
        .diagnostics
        .iter()
        .find(|d| d.code.as_str() == "evidence-unparsed")
        .expect("an evidence-unparsed warning");
    assert_eq!(warning.file.as_deref(), Some("evidence/broken.sarif"));
    assert_eq!(warning.line, Some(3));
    assert!(
        warning
            .message
            .starts_with("looks like SARIF scan but cannot be read as one: EOF"),
        "{}",
        warning.message
    );
}
