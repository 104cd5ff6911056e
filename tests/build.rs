//! `auditbook build` and `publish` on fixture workspaces: the portal's
//! pages, links, manifest, reproducibility, safety and immutability.

mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;

use regex::Regex;
use serde_json::Value;
use sha2::{Digest, Sha256};
use support::site::{check_links, tree, unescape};
use support::Sandbox;

fn site(sandbox: &Sandbox) -> PathBuf {
    sandbox.path().join("site/2026")
}

fn built(fixture: &str) -> Sandbox {
    let sandbox = Sandbox::fixture(fixture);
    let run = sandbox.run(&["build"]);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    sandbox
}

#[test]
fn every_control_policy_and_evidence_item_has_a_page() {
    let sandbox = built("valid");
    let report = sandbox.run(&["check", "--format", "json"]).json();
    let site = site(&sandbox);
    for control in report["controls"].as_array().unwrap() {
        let id = control["id"].as_str().unwrap();
        let framework = control["framework"].as_str().unwrap();
        let page = site.join(format!("controls/{framework}/{id}.html"));
        assert!(page.is_file(), "no page for control {id}");
    }
    for policy in report["policies"].as_array().unwrap() {
        let id = policy["id"].as_str().unwrap();
        assert!(
            site.join(format!("policies/{id}.html")).is_file(),
            "no page for policy {id}"
        );
    }
    for item in report["evidence"].as_array().unwrap() {
        let path = item["path"]
            .as_str()
            .unwrap()
            .strip_prefix("evidence/")
            .unwrap();
        assert!(
            site.join(format!("evidence/{path}.html")).is_file(),
            "no page for {path}"
        );
        assert!(
            site.join(format!("raw/{path}")).is_file(),
            "no raw copy of {path}"
        );
    }
    for page in [
        "index.html",
        "policies.html",
        "evidence.html",
        "frameworks/soc2.html",
        "frameworks/iso27001.html",
        "frameworks/readiness.html",
    ] {
        assert!(site.join(page).is_file(), "no {page}");
    }
    assert!(sandbox.path().join("site/index.html").is_file());

    let control =
        unescape(&std::fs::read_to_string(site.join("controls/soc2/CC7.1.html")).unwrap());
    assert!(control.contains("Vulnerability Management Policy"));
    assert!(control.contains("evidence/scans/december.sarif"));
    assert!(control.contains("status-covered"));
    let dashboard = unescape(&std::fs::read_to_string(site.join("index.html")).unwrap());
    assert!(dashboard.contains("Quarterly access review"));
    assert!(
        dashboard.contains("2026-07-01"),
        "the missed window is shown"
    );
    assert!(
        dashboard.contains("Monitoring Policy"),
        "the overdue policy is shown"
    );
}

#[test]
fn every_relative_link_resolves() {
    let sandbox = built("valid");
    let checked = check_links(&sandbox.path().join("site"));
    assert!(checked > 1000, "only {checked} links checked");
}

#[test]
fn manifest_lists_every_file_with_its_hash() {
    let sandbox = built("valid");
    let site = site(&sandbox);
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(site.join("manifest.json")).unwrap()).unwrap();
    let files = tree(&site);
    let listed: BTreeMap<String, (String, u64)> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                (
                    f["sha256"].as_str().unwrap().to_string(),
                    f["size"].as_u64().unwrap(),
                ),
            )
        })
        .collect();
    for (path, bytes) in &files {
        if path == "manifest.json" {
            continue;
        }
        let (sha, size) = listed
            .get(path)
            .unwrap_or_else(|| panic!("{path} is not in the manifest"));
        assert_eq!(*sha, hex::encode(Sha256::digest(bytes)), "{path}");
        assert_eq!(*size, bytes.len() as u64, "{path}");
    }
    assert_eq!(listed.len(), files.len() - 1);
    assert_eq!(manifest["period"], "2026");
}

#[test]
fn two_builds_are_byte_identical_and_hold_no_machine_path() {
    let a = built("valid");
    let b = built("valid");
    let tree_a = tree(&site(&a));
    let tree_b = tree(&site(&b));
    assert_eq!(
        tree_a.keys().collect::<Vec<_>>(),
        tree_b.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &tree_a {
        assert!(bytes == &tree_b[path], "{path} differs between two builds");
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains(a.path().to_str().unwrap()),
            "{path} holds the workspace path"
        );
        assert!(!text.contains("/tmp/"), "{path} holds a machine path");
    }
    assert_eq!(
        std::fs::read(a.path().join("site/index.html")).unwrap(),
        std::fs::read(b.path().join("site/index.html")).unwrap()
    );
}

#[test]
fn xss_in_policies_titles_file_names_and_evidence_renders_inert() {
    let sandbox = Sandbox::fixture("valid");
    sandbox.plant_xss();
    let run = sandbox.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    let tag = Regex::new(r"<[a-z][^>]*>").unwrap();
    let quoted = Regex::new(r#""[^"]*""#).unwrap();
    let handler = Regex::new(r"\son[a-z]+\s*=").unwrap();
    let own_script = Regex::new(
        r#"<script src="(\.\./)*(assets/(search-index|app)|periods)\.js" defer></script>"#,
    )
    .unwrap();
    for (path, bytes) in tree(&sandbox.path().join("site")) {
        if !path.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8(bytes).unwrap();
        let without_own = own_script.replace_all(&html, "");
        let lowered = without_own.to_lowercase();
        assert!(!lowered.contains("<script"), "{path} holds a script tag");
        assert!(!lowered.contains("<iframe"), "{path} holds an iframe");
        // Escaped text (`&lt;img onerror=…&gt;`) and quoted attribute values
        // are inert; an attribute named on… inside a tag is not.
        for tag in tag.find_iter(&lowered) {
            let names_only = quoted.replace_all(tag.as_str(), "\"\"");
            assert!(
                !handler.is_match(&names_only),
                "{path} holds an event handler: {}",
                tag.as_str()
            );
        }
        assert!(
            !lowered.contains("href=\"javascript:"),
            "{path} holds a javascript: link"
        );
        assert!(
            !lowered.contains("data:text/html"),
            "{path} holds a data: URL"
        );
        assert!(
            !lowered.contains("style=\""),
            "{path} holds an inline style"
        );
    }
    // The search index is JavaScript: the payloads are data inside JSON strings.
    let mut parts = 0;
    for entry in std::fs::read_dir(site(&sandbox).join("assets")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("search-") {
            continue;
        }
        parts += 1;
        let index = std::fs::read_to_string(&path).unwrap();
        assert!(
            !index.contains("<script"),
            "the search index must escape `<` ({name})"
        );
    }
    assert_eq!(parts, 18, "controls, 16 parts of policies, evidence");
    let policy = std::fs::read_to_string(site(&sandbox).join("policies/xss.html")).unwrap();
    assert!(
        policy.contains("<h1>&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;</h1>"),
        "titles are escaped, not dropped"
    );
}

#[test]
fn a_failed_build_leaves_the_previous_site_intact() {
    let sandbox = built("valid");
    // A second build leaves the first version in the page cache.
    assert_eq!(sandbox.run(&["build"]).code, 0);
    let before = published_tree(&sandbox);
    // A template override that fails while rendering evidence pages, after
    // the dashboard and other pages were written.
    sandbox.write("templates/evidence.html", "{% extends \"base.html\" %}{% block content %}{{ page.no_such_field.deeper }}{% endblock %}");
    sandbox.write(
        "policies/new.md",
        "---\ntitle: New\nowner: X\nversion: \"1\"\ncontrols: [CC6.1]\n---\nNew.\n",
    );
    let run = sandbox.run(&["build"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("evidence"), "{}", run.stderr);
    assert_eq!(published_tree(&sandbox), before);
    // No temporary folder is left behind (the page cache may stay).
    let leftovers: Vec<_> = std::fs::read_dir(sandbox.path().join("site"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.') && n != ".cache")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // The next good build is complete and correct all the same.
    sandbox.remove("templates/evidence.html");
    assert_eq!(sandbox.run(&["build"]).code, 0);
    let fresh = Sandbox::fixture("valid");
    fresh.write(
        "policies/new.md",
        "---\ntitle: New\nowner: X\nversion: \"1\"\ncontrols: [CC6.1]\n---\nNew.\n",
    );
    assert_eq!(fresh.run(&["build"]).code, 0);
    assert_eq!(published_tree(&sandbox), published_tree(&fresh));
}

/// What a site publishes: everything but the page cache.
fn published_tree(sandbox: &Sandbox) -> BTreeMap<String, Vec<u8>> {
    tree(&sandbox.path().join("site"))
        .into_iter()
        .filter(|(path, _)| !path.starts_with(".cache/"))
        .collect()
}

#[test]
fn a_draft_rebuilds_freely() {
    let sandbox = built("valid");
    let policy = sandbox.path().join("policies/access.md");
    let text = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(
        &policy,
        text.replace("least privilege", "least privilege, reviewed quarterly"),
    )
    .unwrap();
    let run = sandbox.run(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("built draft"));
    let page = std::fs::read_to_string(site(&sandbox).join("policies/access.html")).unwrap();
    assert!(page.contains("reviewed quarterly"));
    let index = std::fs::read_to_string(sandbox.path().join("site/index.html")).unwrap();
    assert!(index.contains("Draft"));
}

#[test]
fn a_published_period_is_frozen_unless_forced() {
    let sandbox = Sandbox::fixture("valid");
    let run = sandbox.run(&["publish"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let published: Value =
        serde_json::from_slice(&std::fs::read(site(&sandbox).join("published.json")).unwrap())
            .unwrap();
    let manifest_sha = hex::encode(Sha256::digest(
        std::fs::read(site(&sandbox).join("manifest.json")).unwrap(),
    ));
    assert_eq!(published["manifest_sha256"], manifest_sha);
    assert_eq!(published["period"], "2026");
    let frozen = tree(&sandbox.path().join("site/2026"));

    // Unchanged: nothing to do.
    let again = sandbox.run(&["build"]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.contains("unchanged"), "{}", again.stdout);
    assert_eq!(tree(&sandbox.path().join("site/2026")), frozen);

    // Changed: refused, naming what changed, site untouched.
    let policy = sandbox.path().join("policies/access.md");
    let text = std::fs::read_to_string(&policy).unwrap();
    std::fs::write(&policy, text.replace("least privilege", "need to know")).unwrap();
    let refused = sandbox.run(&["build"]);
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("period 2026 is published"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("changed policies/access.html"),
        "{}",
        refused.stderr
    );
    assert!(refused.stderr.contains("--force"));
    assert_eq!(tree(&sandbox.path().join("site/2026")), frozen);

    // Forced: rebuilt, recorded in published.json and on the pages.
    let forced = sandbox.run(&["build", "--force"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert!(forced.stdout.contains("republished"), "{}", forced.stdout);
    let record: Value =
        serde_json::from_slice(&std::fs::read(site(&sandbox).join("published.json")).unwrap())
            .unwrap();
    assert_eq!(record["published_at"], published["published_at"]);
    let republication = &record["republications"][0];
    assert!(republication["changed"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c == "changed policies/access.html"));
    let page = std::fs::read_to_string(site(&sandbox).join("policies/access.html")).unwrap();
    assert!(page.contains("need to know"));
    assert!(
        page.contains("Republished on"),
        "the portal records the republication"
    );
}

#[test]
fn template_overrides_replace_builtins() {
    let sandbox = Sandbox::fixture("valid");
    let builtin = auditbook::render::TEMPLATES
        .iter()
        .find(|(n, _)| *n == "policy.html")
        .unwrap()
        .1;
    sandbox.write(
        "templates/policy.html",
        &builtin.replace("<h1>", "<h1 class=\"custom\">"),
    );
    assert_eq!(sandbox.run(&["build"]).code, 0);
    let page = std::fs::read_to_string(site(&sandbox).join("policies/access.html")).unwrap();
    assert!(page.contains("<h1 class=\"custom\">"));
}

#[test]
fn a_workspace_with_errors_is_not_built() {
    let sandbox = Sandbox::fixture("broken");
    let run = sandbox.run(&["build"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("error[unknown-control]"),
        "{}",
        run.stderr
    );
    assert!(!sandbox.path().join("site").exists());
}
