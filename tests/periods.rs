//! Periods side by side: building 2027 beside a published 2026 keeps 2026
//! byte for byte, lists both, links each page to itself in the other
//! period (through `site/periods.js`), and shows what changed since 2026.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use regex::Regex;
use serde_json::Value;
use sha2::{Digest, Sha256};
use support::site::{change_for_2027, check_links, published_2026, run_ok, set_period, tree};
use support::Sandbox;

fn read(sandbox: &Sandbox, relative: &str) -> String {
    std::fs::read_to_string(sandbox.path().join(relative))
        .unwrap_or_else(|e| panic!("cannot read {relative}: {e}"))
}

/// `site/periods.js` as JSON.
fn periods(sandbox: &Sandbox) -> Value {
    let js = read(sandbox, "site/periods.js");
    let json = js
        .strip_prefix("window.AUDITBOOK_PERIODS = ")
        .and_then(|j| j.strip_suffix(";\n"))
        .unwrap_or_else(|| panic!("periods.js is not one assignment: {js}"));
    serde_json::from_str(json).unwrap()
}

/// The page paths of `periods.js`, decoded: each `"<n>|<rest>"` is the
/// first n characters (UTF-16 units) of the path before it, then `rest`.
fn page_paths(periods: &Value) -> Vec<String> {
    let mut paths: Vec<String> = Vec::new();
    let mut before: Vec<u16> = Vec::new();
    for coded in periods["pages"].as_array().unwrap() {
        let (n, rest) = coded.as_str().unwrap().split_once('|').unwrap();
        before.truncate(n.parse().unwrap());
        before.extend(rest.encode_utf16());
        paths.push(String::from_utf16(&before).unwrap());
    }
    paths
}

/// The pages `periods.js` says `period` holds.
fn pages_of(periods: &Value, period: &str) -> BTreeSet<String> {
    let pages = page_paths(periods);
    let entry = periods["periods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == period)
        .unwrap_or_else(|| panic!("periods.js lacks {period}"));
    let mut held = BTreeSet::new();
    for run in entry["has"].as_array().unwrap() {
        let (first, count) = (run[0].as_u64().unwrap(), run[1].as_u64().unwrap());
        for i in first..first + count {
            held.insert(pages[i as usize].clone());
        }
    }
    held
}

#[test]
fn building_2027_keeps_the_published_2026_byte_for_byte() {
    let sandbox = published_2026();
    let site = sandbox.path().join("site");
    let published = tree(&site.join("2026"));
    assert!(published.contains_key("model.json"));
    change_for_2027(&sandbox);
    run_ok(&sandbox, &["build"]);

    let after = tree(&site.join("2026"));
    assert_eq!(
        published.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &published {
        assert!(bytes == &after[path], "site/2026/{path} changed");
    }

    // The version index: newest first.
    let index = read(&sandbox, "site/index.html");
    let at = |period: &str| {
        index
            .find(&format!(">{period}</a>"))
            .unwrap_or_else(|| panic!("the index does not list {period}:\n{index}"))
    };
    assert!(at("2027") < at("2026"), "{index}");

    // Every relative link of both periods resolves, the changes page's
    // links into 2026 among them.
    let checked = check_links(&site);
    assert!(checked > 2000, "only {checked} links checked");
    let changes = read(&sandbox, "site/2027/changes.html");
    assert!(changes.contains("href=\"../2026/policies/ops/old.html\""));

    // periods.js: both periods, newest first, each with exactly its pages.
    let periods = periods(&sandbox);
    let names: Vec<&str> = periods["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["2027", "2026"]);
    assert_eq!(periods["periods"][1]["published"], true);
    assert_eq!(periods["periods"][0]["published"], false);
    for period in ["2026", "2027"] {
        let html: BTreeSet<String> = tree(&site.join(period))
            .into_keys()
            .filter(|p| p.ends_with(".html"))
            .collect();
        assert_eq!(pages_of(&periods, period), html, "pages of {period}");
    }

    // The model's two files are in each manifest, with their hashes.
    for period in ["2026", "2027"] {
        let manifest: Value =
            serde_json::from_str(&read(&sandbox, &format!("site/{period}/manifest.json"))).unwrap();
        let mut models = Vec::new();
        for name in ["model.json", "model-evidence.json"] {
            let entry = manifest["files"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["path"] == name)
                .unwrap_or_else(|| panic!("{name} is not in the manifest of {period}"));
            let bytes = std::fs::read(site.join(period).join(name)).unwrap();
            assert_eq!(entry["sha256"], hex::encode(Sha256::digest(&bytes)));
            models.push(serde_json::from_slice::<Value>(&bytes).unwrap());
        }
        assert_eq!(models[0]["period"], period);
        assert_eq!(models[0]["evidence_file"], "model-evidence.json");
        assert!(!models[1]["evidence"].as_array().unwrap().is_empty());
    }

    // Building 2027 again changes nothing, and 2026 still stands.
    let built = tree(&site.join("2027"));
    let js = read(&sandbox, "site/periods.js");
    run_ok(&sandbox, &["build"]);
    assert!(tree(&site.join("2027")) == built, "a rebuild differs");
    assert_eq!(read(&sandbox, "site/periods.js"), js);
    assert!(tree(&site.join("2026")) == published);
}

/// The part of `html` from the element with id `from` to the one with
/// id `to`.
fn section<'h>(html: &'h str, from: &str, to: &str) -> &'h str {
    let start = html
        .find(&format!("id=\"{from}\""))
        .unwrap_or_else(|| panic!("no #{from}"));
    let end = html[start..]
        .find(&format!("id=\"{to}\""))
        .map_or(html.len(), |e| start + e);
    &html[start..end]
}

fn attributes(html: &str, name: &str) -> Vec<String> {
    Regex::new(&format!(r#"{name}="([^"]*)""#))
        .unwrap()
        .captures_iter(html)
        .map(|c| c[1].to_string())
        .collect()
}

/// Control `framework/id` -> (status, evidence count), from `check`.
fn controls(report: &Value) -> BTreeMap<String, (String, usize)> {
    report["controls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let framework = c["framework"].as_str().unwrap();
            let id = c["id"].as_str().unwrap();
            let id = id.strip_prefix(&format!("{framework}:")).unwrap_or(id);
            (
                format!("{framework}/{id}"),
                (
                    c["status"].as_str().unwrap().to_string(),
                    c["evidence"].as_array().unwrap().len(),
                ),
            )
        })
        .collect()
}

/// (control, before, after) rows of a table of the changes page.
fn rows(html: &str) -> BTreeSet<(String, String, String)> {
    let row =
        Regex::new(r#"data-control="([^"]*)" data-before="([^"]*)" data-after="([^"]*)""#).unwrap();
    row.captures_iter(html)
        .map(|c| (c[1].to_string(), c[2].to_string(), c[3].to_string()))
        .collect()
}

#[test]
fn the_changes_page_shows_exactly_what_changed() {
    let sandbox = published_2026();
    let before = controls(&sandbox.run(&["check", "--format", "json"]).json());
    change_for_2027(&sandbox);
    let after = controls(&sandbox.run(&["check", "--format", "json"]).json());
    run_ok(&sandbox, &["build"]);

    // Linked from the dashboard of 2027 only: 2026 has no period before it.
    let dashboard = read(&sandbox, "site/2027/index.html");
    assert!(dashboard.contains("href=\"changes.html\">Changes since 2026</a>"));
    assert!(!read(&sandbox, "site/2026/index.html").contains("changes.html"));
    assert!(!sandbox.path().join("site/2026/changes.html").exists());

    let html = read(&sandbox, "site/2027/changes.html");
    assert!(html.contains("<h1>Changes since 2026</h1>"));

    // Policies.
    let policies = section(&html, "policies", "statuses");
    assert_eq!(attributes(policies, "data-policy-added"), ["new"]);
    assert_eq!(attributes(policies, "data-policy-removed"), ["ops/old"]);
    assert_eq!(attributes(policies, "data-policy-changed"), ["access"]);
    assert!(policies.contains("1 other policy is unchanged"), "vuln");
    let facts = Regex::new(
        r#"<tr data-fact="([^"]*)"><th scope="row">[^<]*</th><td><del>([^<]*)</del></td><td><ins>([^<]*)</ins></td></tr>"#,
    )
    .unwrap();
    let facts: Vec<(String, String, String)> = facts
        .captures_iter(policies)
        .map(|c| (c[1].to_string(), c[2].to_string(), c[3].to_string()))
        .collect();
    let expected = [
        ("Version", "2.1", "3.0"),
        ("Approved on", "2026-02-01", "2027-01-15"),
        ("Approved by", "Jane Roe", "John Doe"),
    ]
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()));
    assert_eq!(facts, expected);

    // The text diff: two hunks, each changed line marked by a sign and
    // by <ins>/<del>, the text escaped.
    assert_eq!(policies.matches("class=\"hunk\"").count(), 2, "{policies}");
    let lines = Regex::new(
        r#"<tr class="(insert|delete)"><td class="n">(\d*)</td><td class="n">(\d*)</td><td class="sign"><span aria-hidden="true">(.)</span>[^\n]*?<(ins|del)>([^<]*)</(?:ins|del)></td></tr>"#,
    )
    .unwrap();
    let changed: Vec<(String, String, String, String, String)> = lines
        .captures_iter(policies)
        .map(|c| {
            let inserted = &c[1] == "insert";
            assert_eq!(inserted, &c[5] == "ins", "{}", &c[0]);
            assert_eq!(inserted, &c[4] == "+", "{}", &c[0]);
            (
                c[1].to_string(),
                c[2].to_string(),
                c[3].to_string(),
                c[4].to_string(),
                c[6].to_string(),
            )
        })
        .collect();
    let expected = [
        (
            "delete",
            "3",
            "",
            "−",
            "Access is granted on least privilege.",
        ),
        (
            "insert",
            "",
            "3",
            "+",
            "Access is granted on least privilege &lt;and&gt; need to know.",
        ),
        (
            "delete",
            "16",
            "",
            "−",
            "Administrators are reviewed every month.",
        ),
        (
            "insert",
            "",
            "21",
            "+",
            "Each exception expires after 6 months.",
        ),
    ]
    .map(|(a, b, c, d, e)| {
        (
            a.to_string(),
            b.to_string(),
            c.to_string(),
            d.to_string(),
            e.to_string(),
        )
    });
    assert_eq!(changed, expected);
    assert!(policies.contains("2 line(s) inserted (+), 2 deleted (−)"));

    // Control statuses and evidence counts: exactly what `check` says of
    // the two workspaces.
    let keys: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let mut statuses = BTreeSet::new();
    let mut counts = BTreeSet::new();
    for key in keys {
        let (then, now) = (before.get(key), after.get(key));
        let status = |c: Option<&(String, usize)>| c.map_or(String::new(), |c| c.0.clone());
        let count = |c: Option<&(String, usize)>| c.map_or(String::new(), |c| c.1.to_string());
        if status(then) != status(now) {
            statuses.insert((key.clone(), status(then), status(now)));
        }
        if count(then) != count(now) {
            counts.insert((key.clone(), count(then), count(now)));
        }
    }
    assert!(statuses.len() > 3, "the fixture changes statuses");
    assert!(statuses.contains(&(
        "soc2/CC7.2".to_string(),
        "stale".to_string(),
        "missing".to_string()
    )));
    assert_eq!(rows(section(&html, "statuses", "counts")), statuses);
    for expected in [("soc2/CC7.1", "2", "3"), ("iso27001/A.8.13", "3", "2")] {
        let expected = (
            expected.0.to_string(),
            expected.1.to_string(),
            expected.2.to_string(),
        );
        assert!(counts.contains(&expected), "{expected:?} in {counts:?}");
    }
    assert_eq!(rows(section(&html, "counts", "evidence")), counts);

    // Evidence files.
    let evidence = |from: &str, to: &str| attributes(section(&html, from, to), "data-evidence");
    assert_eq!(
        evidence("evidence-added", "evidence-removed"),
        ["evidence/scans/2027-december.sarif"]
    );
    assert_eq!(
        evidence("evidence-removed", "evidence-changed"),
        ["evidence/misc/backup.txt"]
    );
    assert_eq!(
        evidence("evidence-changed", "main-end"),
        ["evidence/reviews/q4.csv"]
    );
}

#[test]
fn the_changes_page_follows_the_previous_periods_model() {
    // 2026 is a draft here, rebuilt after 2027 was built.
    let sandbox = published_2026();
    let site = sandbox.path().join("site");
    std::fs::remove_file(site.join("2026/published.json")).unwrap();
    change_for_2027(&sandbox);
    run_ok(&sandbox, &["build"]);
    let first = read(&sandbox, "site/2027/changes.html");
    assert!(first.contains("data-policy-added=\"new\""));

    // 2026 rebuilt from today's workspace: it now holds the new policy too.
    set_period(&sandbox, "2026");
    run_ok(&sandbox, &["build"]);
    set_period(&sandbox, "2027");
    // The 2027 workspace did not change, but what it is compared with did:
    // its pages are reused from the page cache except those that compare
    // (every reused page is rendered again and checked, see support).
    run_ok(&sandbox, &["build"]);
    let second = read(&sandbox, "site/2027/changes.html");
    assert!(!second.contains("data-policy-added=\"new\""), "{second}");
    assert!(!second.contains("data-policy-removed"));
    let dashboard = read(&sandbox, "site/2027/index.html");
    assert!(dashboard.contains("0 policies added, removed or changed"));

    // Without an older period, no changes page and no link to one.
    std::fs::remove_dir_all(site.join("2026")).unwrap();
    run_ok(&sandbox, &["build"]);
    assert!(!site.join("2027/changes.html").exists());
    assert!(!read(&sandbox, "site/2027/index.html").contains("changes.html"));
    let periods = periods(&sandbox);
    assert_eq!(periods["periods"].as_array().unwrap().len(), 1);
    assert!(!pages_of(&periods, "2027").contains("changes.html"));
}
