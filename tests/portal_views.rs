//! The portal's views of evidence and its charts, on the `charts` fixture
//! (real third-party files plus hand-written drills, logs and CSVs): each
//! evidence page shows its kind's view, the dashboard draws four charts
//! each with a table, and every number shown is computed again here,
//! independently, from the fixture's files.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::Regex;
use serde_json::Value;
use support::site::{tree, unescape};
use support::{copy_tree, fixture_dir, Sandbox};

/// The secrets planted in `evidence/ci/deploy-2026-08-04.log`.
const PLANTED: &[&str] = &["AKIAQX7PLANTEDSECRET", "Pl4nted-Passw0rd"];

fn built(sandbox: &Sandbox) -> PathBuf {
    let run = sandbox.run(&["build"]);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    sandbox.path().join("site/2026")
}

fn page(site: &Path, relative: &str) -> String {
    let path = site.join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text from the element whose opening tag holds `marker` to the next
/// `</section>`.
fn section<'a>(html: &'a str, marker: &str) -> &'a str {
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no `{marker}` in the page"));
    let end = html[start..]
        .find("</section>")
        .map_or(html.len(), |e| start + e);
    &html[start..end]
}

/// The rows of every table in `html`, each as its cells' text.
fn rows(html: &str) -> Vec<Vec<String>> {
    let row = Regex::new(r"(?s)<tr[^>]*>(.*?)</tr>").unwrap();
    let cell = Regex::new(r"(?s)<t[hd][^>]*>(.*?)</t[hd]>").unwrap();
    let tag = Regex::new(r"<[^>]*>").unwrap();
    row.captures_iter(html)
        .map(|r| {
            cell.captures_iter(&r[1])
                .map(|c| {
                    let text = tag.replace_all(&c[1], " ");
                    unescape(&text)
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect()
        })
        .collect()
}

fn has_row(rows: &[Vec<String>], want: &[&str]) -> bool {
    rows.iter()
        .any(|r| r.len() >= want.len() && r.iter().zip(want).all(|(got, want)| got == want))
}

#[track_caller]
fn assert_row(rows: &[Vec<String>], want: &[&str]) {
    assert!(
        has_row(rows, want),
        "no row starting {want:?} in:\n{}",
        rows.iter()
            .map(|r| r.join(" | "))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// `key: value` from a YAML sidecar or front matter, read line by line.
fn yaml_value(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (k, v) = line.split_once(':')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
    })
}

fn fixture(relative: &str) -> String {
    std::fs::read_to_string(fixture_dir("charts").join(relative)).unwrap()
}

fn percent(part: usize, whole: usize) -> u32 {
    (100.0 * part as f64 / whole as f64).round() as u32
}

const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];

/// Findings by severity of one scan file, counted from its JSON: Trivy's
/// vulnerabilities, secrets and failed misconfigurations by `Severity`,
/// Grype's matches by `vulnerability.severity`, every gitleaks finding
/// high; unknown names are info.
fn count_findings(relative: &str) -> [u64; 5] {
    let json: Value = serde_json::from_str(&fixture(relative)).unwrap();
    let mut names: Vec<String> = Vec::new();
    if relative.contains("gitleaks") {
        names.extend(json.as_array().unwrap().iter().map(|_| "high".to_string()));
    } else if relative.ends_with(".grype.json") {
        for m in json["matches"].as_array().unwrap() {
            names.push(m["vulnerability"]["severity"].as_str().unwrap().to_string());
        }
    } else {
        for result in json["Results"].as_array().unwrap() {
            for key in ["Vulnerabilities", "Secrets", "Misconfigurations"] {
                for item in result[key].as_array().into_iter().flatten() {
                    if key == "Misconfigurations" && item["Status"] != "FAIL" {
                        continue;
                    }
                    names.push(item["Severity"].as_str().unwrap_or("UNKNOWN").to_string());
                }
            }
        }
    }
    let mut counts = [0u64; 5];
    for name in names {
        let index = SEVERITIES
            .iter()
            .position(|s| s.eq_ignore_ascii_case(&name))
            .unwrap_or(4);
        counts[index] += 1;
    }
    counts
}

#[test]
fn evidence_pages_show_their_kinds_view() {
    let sandbox = Sandbox::fixture("charts");
    let site = built(&sandbox);

    // A Trivy scan: counts by severity and one table row per vulnerability.
    let html = page(&site, "evidence/scans/images/alpine-310.trivy.json.html");
    let findings = section(&html, r#"aria-labelledby="findings""#);
    let counts = count_findings("evidence/scans/images/alpine-310.trivy.json");
    for (severity, count) in SEVERITIES.iter().zip(counts) {
        let badge = format!(
            r#"<span class="sev sev-{severity}">{severity}</span> <strong>{count}</strong>"#
        );
        assert!(findings.contains(&badge), "no {badge} in {findings}");
    }
    let table = rows(findings);
    let json: Value =
        serde_json::from_str(&fixture("evidence/scans/images/alpine-310.trivy.json")).unwrap();
    let mut expected = 0;
    for result in json["Results"].as_array().unwrap() {
        for v in result["Vulnerabilities"].as_array().into_iter().flatten() {
            let id = v["VulnerabilityID"].as_str().unwrap();
            let title = v["Title"].as_str().unwrap();
            let package = v["PkgName"].as_str().unwrap();
            assert!(
                table.iter().any(|r| r.len() == 4
                    && r[0] == v["Severity"].as_str().unwrap().to_lowercase()
                    && r[1] == id
                    && r[2].contains(title)
                    && r[3].contains(package)),
                "no row for {id} in {package}: {table:?}"
            );
            expected += 1;
        }
    }
    assert_eq!(
        table.len(),
        expected + 1,
        "a header and one row per finding"
    );
    assert!(!findings.contains("capped"), "4 findings are not capped");
    // The rule replaced the kind's defaults, and the page says so.
    let controls = unescape(section(&html, r#"aria-labelledby="controls""#));
    assert!(
        controls.contains("Default controls for Trivy scan evidence")
            && controls.contains("Not used here: the controls come from rule at auditbook.toml:"),
        "{controls}"
    );
    assert!(!controls.contains("kind default</span>"));

    // JUnit: the failing tests, read from the XML here.
    let xml = fixture("evidence/tests/surefire_StringUtilsTest.xml");
    let testcase =
        Regex::new(r#"(?s)<testcase name="([^"]+)"[^>]*?(/>|>(.*?)</testcase>)"#).unwrap();
    let (mut failing, mut passing) = (Vec::new(), Vec::new());
    for case in testcase.captures_iter(&xml) {
        let body = case.get(3).map_or("", |m| m.as_str());
        if body.contains("<failure") || body.contains("<error") {
            failing.push(case[1].to_string());
        } else if !body.contains("<skipped") {
            passing.push(case[1].to_string());
        }
    }
    assert_eq!(failing.len(), 2, "the fixture has two failures");
    let html = page(&site, "evidence/tests/surefire_StringUtilsTest.xml.html");
    let tests = section(&html, r#"aria-labelledby="tests""#);
    assert!(tests.contains(&format!("<strong>{}</strong> passed", passing.len())));
    assert!(tests.contains(&format!("<strong>{}</strong> failed", failing.len())));
    let listed = rows(tests);
    for name in &failing {
        assert!(
            listed
                .iter()
                .any(|r| r[0].starts_with(name.as_str()) && r[1] == "failed"),
            "{name} is not listed as failing: {listed:?}"
        );
    }
    for name in &passing {
        assert!(
            !listed
                .iter()
                .any(|r| r[0].split(' ').next() == Some(name.as_str())),
            "{name} passed but is listed"
        );
    }
    assert!(
        unescape(tests).contains("java.lang.AssertionError"),
        "messages are shown"
    );
    // No rule matches tests/: the kind's defaults are its mappings.
    let controls = section(&html, r#"aria-labelledby="controls""#);
    assert_eq!(
        controls.matches("kind default</span>").count(),
        3,
        "two rows and the note"
    );
    assert!(unescape(controls).contains("default for JUnit test report evidence"));

    // CI log: the excerpt around the error line, redactions marked.
    let html = page(&site, "evidence/ci/deploy-2026-08-04.log.html");
    let log = unescape(section(&html, r#"aria-labelledby="log""#));
    assert!(
        log.contains(r#"<mark class="redacted">[REDACTED:aws-access-key-id]</mark>"#),
        "{log}"
    );
    assert!(
        log.contains(r#"<mark class="redacted">[REDACTED:url-password]</mark>"#),
        "{log}"
    );
    assert!(log.contains(r#"<span class="line error"><span class="ln" aria-hidden="true">9</span>Process completed with exit code 1.</span>"#), "{log}");
    assert!(log.contains("<strong>failure</strong> outcome"));
    assert!(log.contains("<strong>2</strong> secrets redacted"));
    for (path, bytes) in tree(&sandbox.path().join("site")) {
        let text = String::from_utf8_lossy(&bytes);
        for secret in PLANTED {
            assert!(
                !text.contains(secret),
                "{path} holds the planted secret {secret}"
            );
        }
    }

    // Drills: the numbers of the front matter, the outcome, the people.
    for (file, passed) in [
        ("2026-03-10-region-failover.md", "passed"),
        ("2026-09-22-database-restore.md", "failed"),
    ] {
        let record = fixture(&format!("evidence/drills/{file}"));
        let number = |key: &str| yaml_value(&record, key).unwrap();
        let within = |actual: &str, target: &str| {
            if actual.parse::<f64>().unwrap() <= target.parse::<f64>().unwrap() {
                "yes"
            } else {
                "no"
            }
        };
        let html = page(&site, &format!("evidence/drills/{file}.html"));
        let drill = section(&html, r#"aria-labelledby="drill""#);
        let table = rows(drill);
        let (rto_t, rto_a) = (number("rto_target_min"), number("rto_actual_min"));
        let (rpo_t, rpo_a) = (number("rpo_target_min"), number("rpo_actual_min"));
        assert_row(
            &table,
            &[
                "RTO (recovery time)",
                &rto_t,
                &rto_a,
                within(&rto_a, &rto_t),
            ],
        );
        assert_row(
            &table,
            &[
                "RPO (recovery point)",
                &rpo_t,
                &rpo_a,
                within(&rpo_a, &rpo_t),
            ],
        );
        assert!(
            drill.contains(&format!("</span> {passed}</span>")),
            "{file}: {drill}"
        );
        assert!(drill.contains(r#"role="img" aria-label="RTO target"#));
        assert!(unescape(drill).contains(&format!("actual {rto_a} min")));
        let people = yaml_value(&record, "participants").unwrap();
        for person in people.trim_matches(['[', ']']).split(',') {
            assert!(drill.contains(&format!("<li>{}</li>", person.trim())));
        }
        assert!(
            drill.contains("<strong>"),
            "the notes are rendered markdown"
        );
    }

    // Access review: what the review changed.
    let html = page(&site, "evidence/access-reviews/2026-q1.csv.html");
    let review = rows(section(&html, r#"aria-labelledby="review""#));
    let csv = fixture("evidence/access-reviews/2026-q1.csv");
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        if f[3] != "keep" {
            assert_row(&review, &[f[0], f[1], f[3], f[2], f[4]]);
        }
    }
    assert_row(&review, &["keep", "2"]);

    // kube-bench: its stated totals disagree with its results.
    let html = page(&site, "evidence/kubernetes/kube-bench-result.json.html");
    let checks = section(&html, r#"aria-labelledby="checks""#);
    assert!(
        checks.contains("totals differ from its results"),
        "{checks}"
    );

    // Metrics: one row per metric, a line per metric with several points.
    let html = page(&site, "evidence/metrics/slo-2026.csv.html");
    let metrics = section(&html, r#"aria-labelledby="metrics""#);
    assert_row(
        &rows(metrics),
        &[
            "api.availability_pct",
            "3",
            "2026-01-31",
            "2026-03-31",
            "99.97",
            "99.9",
            "higher is better",
        ],
    );
    assert_row(
        &rows(metrics),
        &[
            "deploy.lead_time_hours",
            "3",
            "2026-01-31",
            "2026-03-31",
            "12",
            "24",
            "lower is better",
        ],
    );

    // Acknowledgements: rows link the policies they name.
    let html = page(
        &site,
        "evidence/training/2026-annual-acknowledgements.csv.html",
    );
    let acks = section(&html, r#"aria-labelledby="acks""#);
    assert_row(
        &rows(acks),
        &[
            "Access Control Policy security/access-control",
            "2.0",
            "1",
            "older or other version",
        ],
    );
    assert_row(
        &rows(acks),
        &[
            "Access Control Policy security/access-control",
            "2.1",
            "2",
            "current",
        ],
    );
}

#[test]
fn the_dashboard_draws_four_charts_each_with_its_table() {
    let sandbox = Sandbox::fixture("charts");
    let site = built(&sandbox);
    let dashboard = page(&site, "index.html");
    let lowered = dashboard.to_lowercase();
    assert!(!lowered.contains("style=\""), "no inline style");
    assert!(!lowered.contains("<script>"), "no inline script");

    for id in ["findings", "drills", "metrics", "acknowledgements"] {
        let chart = section(&dashboard, &format!(r#"id="chart-{id}""#));
        let svgs = chart.matches("<svg ").count();
        assert!(svgs >= 1, "{id}: no chart");
        assert_eq!(
            chart.matches(r#"role="img" aria-label=""#).count(),
            svgs,
            "{id}: every drawing is labelled"
        );
        assert!(
            chart.matches("<table").count() >= svgs,
            "{id}: a table per drawing"
        );
    }

    // Findings: per scan folder and collection date (from the sidecars), the
    // severities of every scan that day, summed.
    let mut expected: BTreeMap<(String, String), [u64; 5]> = BTreeMap::new();
    for file in [
        "evidence/scans/images/alpine-310.trivy.json",
        "evidence/scans/images/secrets.trivy.json",
        "evidence/scans/images/presenter-image.grype.json",
        "evidence/scans/secrets/gitleaks-report.json",
    ] {
        let date = yaml_value(&fixture(&format!("{file}.meta.yaml")), "collected_at").unwrap();
        let folder = file
            .trim_start_matches("evidence/")
            .rsplit_once('/')
            .unwrap()
            .0;
        let sum = expected.entry((folder.to_string(), date)).or_default();
        for (s, n) in sum.iter_mut().zip(count_findings(file)) {
            *s += n;
        }
    }
    let findings = section(&dashboard, r#"id="chart-findings""#);
    let table = rows(findings);
    for ((folder, date), counts) in &expected {
        assert!(
            unescape(findings).contains(&format!("<strong>{folder}</strong>")),
            "no panel for {folder}"
        );
        let mut want: Vec<String> = vec![date.clone()];
        want.extend(counts.iter().map(u64::to_string));
        want.push(counts.iter().sum::<u64>().to_string());
        let want: Vec<&str> = want.iter().map(String::as_str).collect();
        assert_row(&table, &want);
    }
    assert_eq!(expected.len(), 3, "two dates in images, one in secrets");
    // Two scans on 2026-04-06 are stacked in one bar: both are linked.
    assert!(findings.contains("presenter-image.grype.json</a><br><a"));

    // Drills: target against actual, from the records' front matter.
    let drills = section(&dashboard, r#"id="chart-drills""#);
    let table = rows(drills);
    for file in [
        "2026-03-10-region-failover.md",
        "2026-09-22-database-restore.md",
    ] {
        let record = fixture(&format!("evidence/drills/{file}"));
        let get = |key: &str| yaml_value(&record, key).unwrap();
        for (t, a) in [
            ("rto_target_min", "rto_actual_min"),
            ("rpo_target_min", "rpo_actual_min"),
        ] {
            let within = if get(a).parse::<f64>().unwrap() <= get(t).parse::<f64>().unwrap() {
                "yes"
            } else {
                "no"
            };
            let passed = if yaml_value(&record, "outcome").as_deref() == Some("failed") {
                "no"
            } else {
                "yes"
            };
            assert_row(
                &table,
                &[
                    &get("date"),
                    &get("title"),
                    &get(t),
                    &get(a),
                    within,
                    passed,
                ],
            );
        }
    }
    assert!(unescape(drills).contains("RTO in minutes, actual against target, per drill: 2026-03-10: 42 min of 60 min; 2026-09-22: 95 min of 60 min."));

    // Metrics: each point of the CSV, and the error budget of the SLO.
    let csv = fixture("evidence/metrics/slo-2026.csv");
    let points: Vec<Vec<&str>> = csv
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    let metrics = section(&dashboard, r#"id="chart-metrics""#);
    let table = rows(metrics);
    let mut per_metric: BTreeMap<&str, Vec<&Vec<&str>>> = BTreeMap::new();
    for p in &points {
        per_metric.entry(p[1]).or_default().push(p);
    }
    for (name, series) in &per_metric {
        if series.len() == 1 {
            let p = series[0];
            assert_row(&table, &[name, "1", p[0], p[2], &format!("≤ {}", p[3])]);
            continue;
        }
        assert!(metrics.contains(&format!("<strong>{name}</strong>")));
        for p in series {
            let value: f64 = p[2].parse().unwrap();
            let target: f64 = p[3].parse().unwrap();
            let (bound, met) = if p[4] == "higher" {
                ("≥", value >= target)
            } else {
                ("≤", value <= target)
            };
            let value = if p[2].contains('.') {
                p[2].trim_end_matches('0').trim_end_matches('.')
            } else {
                p[2]
            };
            assert_row(
                &table,
                &[
                    p[0],
                    value,
                    &format!("{bound} {}", p[3]),
                    if met { "yes" } else { "no" },
                ],
            );
        }
    }
    // Availability: budget = 100 − target; left = 1 − (100 − mean) / budget.
    let availability = &per_metric["api.availability_pct"];
    let mean = availability
        .iter()
        .map(|p| p[2].parse::<f64>().unwrap())
        .sum::<f64>()
        / availability.len() as f64;
    let target: f64 = availability[0][3].parse().unwrap();
    let left = 1.0 - (100.0 - mean) / (100.0 - target);
    assert!(
        metrics.contains(&format!("error budget left: {}%", (left * 100.0).round())),
        "{metrics}"
    );

    // Acknowledgements: people = everyone in any acknowledgement file; per
    // policy, those who acknowledged its current version (front matter).
    let mut people = BTreeSet::new();
    let mut acknowledged: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for file in [
        "2026-annual-acknowledgements.csv",
        "2026-h2-acknowledgements.csv",
    ] {
        for line in fixture(&format!("evidence/training/{file}"))
            .lines()
            .skip(1)
        {
            let f: Vec<&str> = line.split(',').collect();
            people.insert(f[0].to_string());
            acknowledged
                .entry((f[1].to_string(), f[2].to_string()))
                .or_default()
                .insert(f[0].to_string());
        }
    }
    let acks = section(&dashboard, r#"id="chart-acknowledgements""#);
    let table = rows(acks);
    let mut shares = BTreeMap::new();
    for (id, file) in [
        (
            "security/access-control",
            "policies/security/access-control.md",
        ),
        ("people/acceptable-use", "policies/people/acceptable-use.md"),
        ("ops/continuity", "policies/ops/continuity.md"),
    ] {
        let policy = fixture(file);
        let title = yaml_value(&policy, "title").unwrap();
        let version = yaml_value(&policy, "version").unwrap();
        let n = acknowledged
            .get(&(id.to_string(), version.clone()))
            .map_or(0, BTreeSet::len);
        let share = percent(n, people.len());
        assert_row(
            &table,
            &[
                &title,
                &version,
                &n.to_string(),
                &people.len().to_string(),
                &format!("{share}%"),
            ],
        );
        assert!(unescape(acks).contains(&format!("{share}% ({n} of {})", people.len())));
        shares.insert(id, (n, share));
    }
    // The fixture's point: 2 of 3 people acknowledged version 2.1.
    assert_eq!(shares["security/access-control"], (2, 67));
    assert_eq!(shares["people/acceptable-use"], (3, 100));
    assert_eq!(shares["ops/continuity"], (0, 0));

    // Each policy's page says the same.
    let policy = unescape(&page(&site, "policies/security/access-control.html"));
    assert!(
        policy.contains("<strong>67%</strong> · 2 of 3 people acknowledged version 2.1"),
        "{policy}"
    );
    assert!(policy.contains("1 more acknowledged only another version"));
}

#[test]
fn a_capped_findings_table_says_so() {
    let sandbox = Sandbox::fixture("charts");
    let results: Vec<String> = (0..520)
        .map(|i| {
            format!(
                r#"{{"ruleId":"R{:03}","level":"{}","message":{{"text":"finding {i}"}},"locations":[{{"physicalLocation":{{"artifactLocation":{{"uri":"src/f{i}.rs"}},"region":{{"startLine":{}}}}}}}]}}"#,
                i % 7,
                if i % 2 == 0 { "error" } else { "warning" },
                i + 1
            )
        })
        .collect();
    sandbox.write(
        "evidence/scans/code/many.sarif",
        &format!(
            r#"{{"version":"2.1.0","runs":[{{"tool":{{"driver":{{"name":"Many"}}}},"results":[{}]}}]}}"#,
            results.join(",")
        ),
    );
    sandbox.write(
        "evidence/scans/code/many.sarif.meta.yaml",
        "collected_at: 2026-06-01\n",
    );
    let site = built(&sandbox);
    let html = unescape(&page(&site, "evidence/scans/code/many.sarif.html"));
    let findings = section(&html, r#"aria-labelledby="findings""#);
    assert!(
        findings.contains("The table is capped: it shows the 500 most severe of 520 findings; 20 more are counted above"),
        "{findings}"
    );
    assert_eq!(rows(findings).len(), 501, "a header and 500 rows");
    assert!(Regex::new(r"<code>src/f[0-9]+\.rs:[0-9]+</code>")
        .unwrap()
        .is_match(findings));
}

#[test]
fn chart_labels_are_escaped_and_builds_are_reproducible() {
    let sandbox = Sandbox::fixture("charts");
    sandbox.write(
        "evidence/scans/<img src=x onerror=alert(1)>/gitleaks-report.json",
        "[]\n",
    );
    sandbox.write(
        "evidence/scans/<img src=x onerror=alert(1)>/gitleaks-report.json.meta.yaml",
        "collected_at: 2026-06-01\n",
    );
    sandbox.write(
        "evidence/metrics/hostile.csv",
        "date,metric,value,target\n2026-01-31,<script>alert(2)</script>,1,2\n2026-02-28,<script>alert(2)</script>,3,2\n",
    );
    let site = built(&sandbox);
    let first = page(&site, "index.html");
    assert!(!first.contains("<img src=x"), "a folder name is escaped");
    assert!(!first.contains("<script>alert"), "a metric name is escaped");
    assert!(first.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(first.contains("&lt;script&gt;alert(2)&lt;/script&gt;"));

    let again = page(&built(&sandbox), "index.html");
    assert_eq!(first, again, "the same workspace draws the same charts");
}

#[test]
fn the_example_company_renders() {
    let sandbox = Sandbox::empty();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for folder in ["policies", "evidence", "catalogs"] {
        let to = sandbox.path().join(folder);
        std::fs::create_dir_all(&to).unwrap();
        copy_tree(&root.join(folder), &to);
    }
    std::fs::copy(
        root.join("auditbook.toml"),
        sandbox.path().join("auditbook.toml"),
    )
    .unwrap();
    let site = built(&sandbox);
    let dashboard = page(&site, "index.html");
    for id in ["findings", "drills", "metrics", "acknowledgements"] {
        assert!(
            dashboard.contains(&format!(r#"id="chart-{id}""#)),
            "no {id} chart"
        );
    }
    let scan = page(
        &site,
        "evidence/scans/images/ledger-api-2026-01-27.trivy.json.html",
    );
    assert!(scan.contains(r#"<table class="list findings">"#));
}
