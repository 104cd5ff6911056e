//! `auditbook collect github` against a GitHub played by a server on
//! 127.0.0.1 from GitHub's documented example answers
//! (tests/fixtures/github-api/): pages linked by `Link` headers, a primary
//! and a secondary rate limit, a burst of 502s, features that answer 404,
//! an endpoint that never answers. Each run checks the evidence written,
//! the exit code, and that the token is in no file and no output.

#[path = "support/github_server.rs"]
mod github_server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use github_server::{Answer, Server};
use serde_json::{json, Value};

const TOKEN: &str = "ghp_TestTokenThatMustNeverBeWritten0123456789";
const TOKEN_ENV: &str = "AUDITBOOK_TEST_GITHUB_TOKEN";
const ORG: &str = "octo-org";

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/github-api")
        .join(name);
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// The first item of an example list, with `changes` merged in.
fn item(list: &str, changes: Value) -> Value {
    let mut value = fixture(list)[0].clone();
    merge(&mut value, changes);
    value
}

fn merge(target: &mut Value, changes: Value) {
    match (target, changes) {
        (Value::Object(t), Value::Object(c)) => {
            for (k, v) in c {
                match t.get_mut(&k) {
                    Some(slot) if v.is_object() && slot.is_object() => merge(slot, v),
                    _ => {
                        t.insert(k, v);
                    }
                }
            }
        }
        (t, c) => *t = c,
    }
}

fn user(login: &str, kind: &str) -> Value {
    let mut u = fixture("list-pull-requests.json")[0]["user"].clone();
    u["login"] = json!(login);
    u["type"] = json!(kind);
    u
}

fn page(items: Vec<Value>) -> String {
    Value::Array(items).to_string()
}

struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new(server: &Server, timeout: f64) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("auditbook.toml"),
            format!(
                r#"[organization]
name = "Example"
[period]
name = "audit"
start = "2010-01-01"
end = "2025-12-31"
[frameworks.soc2]
categories = ["security"]
[sources.github]
api_url = "{}"
org = "{ORG}"
repos = ["*"]
token_env = "{TOKEN_ENV}"
timeout = {timeout}
max_wait = 0.05
"#,
                server.url
            ),
        )
        .unwrap();
        Workspace { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_auditbook"))
            .arg("-C")
            .arg(self.path())
            .args(args)
            .env(TOKEN_ENV, TOKEN)
            .env("SOURCE_DATE_EPOCH", "1767225600")
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }

    fn evidence(&self, repo: &str, part: &str) -> Value {
        let path = self.file(repo, part);
        serde_json::from_slice(
            &std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        )
        .unwrap()
    }

    fn file(&self, repo: &str, part: &str) -> PathBuf {
        self.path()
            .join("evidence/github")
            .join(repo)
            .join(format!("{part}-audit.json"))
    }

    /// Fails when the token is in any file of the workspace or in `output`.
    fn assert_no_token(&self, output: &Output) {
        let needle = TOKEN.as_bytes();
        let holds = |bytes: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        assert!(!holds(&output.stdout), "the token is on stdout");
        assert!(!holds(&output.stderr), "the token is on stderr");
        for entry in walkdir(self.path()) {
            assert!(
                !holds(&std::fs::read(&entry).unwrap()),
                "the token is in {}",
                entry.display()
            );
        }
    }
}

fn walkdir(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Two active repositories and an archived one; pull requests over four
/// pages, reviews, runs, alerts, commits, collaborators and teams, all from
/// the examples.
fn github() -> Server {
    let server = Server::start();
    let repo = |name: &str, archived: bool| {
        let mut r = fixture("get-repository.json");
        r["name"] = json!(name);
        r["full_name"] = json!(format!("{ORG}/{name}"));
        r["archived"] = json!(archived);
        r
    };
    // The listing spends the primary rate limit: the next request waits.
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 1;
    server.pages(
        &format!("/orgs/{ORG}/repos"),
        vec![
            page(vec![repo("Hello-World", false), repo("old-archive", true)]),
            page(vec![repo("ledger-api", false)]),
        ],
    );
    server.extra_headers(
        &format!("/orgs/{ORG}/repos"),
        vec![
            ("x-ratelimit-limit".into(), "5000".into()),
            ("x-ratelimit-remaining".into(), "0".into()),
            ("x-ratelimit-reset".into(), reset.to_string()),
            ("x-ratelimit-used".into(), "5000".into()),
            ("x-ratelimit-resource".into(), "core".into()),
        ],
    );
    for name in ["Hello-World", "ledger-api"] {
        routes(&server, name);
    }
    server
}

fn routes(server: &Server, name: &str) {
    let base = format!("/repos/{ORG}/{name}");
    // Protection: the example for Hello-World; ledger-api is unprotected
    // (the recorded 404) but has a ruleset requiring signatures.
    if name == "Hello-World" {
        server.fixed(
            &format!("{base}/branches/master/protection"),
            Answer::json(200, fixture("get-branch-protection.json").to_string()),
        );
        server.fixed(
            &format!("{base}/branches/master/protection/required_signatures"),
            Answer::json(
                200,
                json!({"url": format!("https://api.github.com{base}/branches/master/protection/required_signatures"), "enabled": true}).to_string(),
            ),
        );
        server.pages(&format!("{base}/rules/branches/master"), vec![page(vec![])]);
    } else {
        let recorded = fixture("octokit-fixtures_branch-protection.raw.json")[3].clone();
        assert_eq!(recorded["status"], 404);
        server.fixed(
            &format!("{base}/branches/master/protection"),
            Answer::json(404, recorded["response"].to_string()),
        );
        server.pages(
            &format!("{base}/rules/branches/master"),
            vec![page(vec![json!({"type": "required_signatures", "ruleset_source_type": "Repository", "ruleset_source": format!("{ORG}/{name}"), "ruleset_id": 42})])],
        );
    }

    // Pull requests, newest update first, four pages; the third ends
    // before the period, so the fourth is never asked for.
    let pull = |number: u64, author: &str, updated: &str, merged: Option<&str>| {
        item(
            "list-pull-requests.json",
            json!({"number": number, "user": user(author, "User"), "updated_at": updated,
                   "closed_at": updated, "merged_at": merged, "state": "closed"}),
        )
    };
    server.pages(
        &format!("{base}/pulls"),
        vec![
            page(vec![
                pull(
                    7,
                    "alice",
                    "2026-02-01T00:00:00Z",
                    Some("2026-02-01T00:00:00Z"),
                ),
                pull(
                    1,
                    "alice",
                    "2020-01-10T12:00:00Z",
                    Some("2020-01-10T12:00:00Z"),
                ),
            ]),
            page(vec![
                pull(
                    2,
                    "alice",
                    "2020-01-09T12:00:00Z",
                    Some("2020-01-09T12:00:00Z"),
                ),
                pull(
                    3,
                    "alice",
                    "2020-01-08T12:00:00Z",
                    Some("2020-01-08T12:00:00Z"),
                ),
                pull(
                    4,
                    "bob",
                    "2020-01-07T12:00:00Z",
                    Some("2020-01-07T12:00:00Z"),
                ),
            ]),
            page(vec![
                pull(5, "carol", "2020-01-06T12:00:00Z", None),
                pull(
                    6,
                    "carol",
                    "2009-06-01T12:00:00Z",
                    Some("2009-06-01T12:00:00Z"),
                ),
            ]),
            page(vec![pull(
                8,
                "dave",
                "2008-01-01T00:00:00Z",
                Some("2008-01-01T00:00:00Z"),
            )]),
        ],
    );
    let review = |login: &str, kind: &str, state: &str, at: &str| {
        item(
            "list-reviews-for-pull-request.json",
            json!({"user": user(login, kind), "state": state, "submitted_at": at}),
        )
    };
    let reviews = |number: u64, list: Vec<Value>| {
        server.pages(&format!("{base}/pulls/{number}/reviews"), vec![page(list)]);
    };
    // #1 reviewed (over two pages of reviews); #2 approved after the
    // merge; #3 approved by its author and a bot only, self-merged; #4 no
    // review, self-merged.
    server.pages(
        &format!("{base}/pulls/1/reviews"),
        vec![
            page(vec![review(
                "carol",
                "User",
                "COMMENTED",
                "2020-01-10T10:00:00Z",
            )]),
            page(vec![review(
                "bob",
                "User",
                "APPROVED",
                "2020-01-10T11:00:00Z",
            )]),
        ],
    );
    reviews(
        2,
        vec![review("bob", "User", "APPROVED", "2020-01-09T13:00:00Z")],
    );
    reviews(
        3,
        vec![
            review("alice", "User", "APPROVED", "2020-01-08T11:00:00Z"),
            review("dependabot[bot]", "Bot", "APPROVED", "2020-01-08T11:00:00Z"),
        ],
    );
    reviews(4, vec![]);
    let merged_by = |number: u64, author: &str, by: &str| {
        let mut p = fixture("list-pull-requests.json")[0].clone();
        p["number"] = json!(number);
        p["user"] = user(author, "User");
        p["merged_by"] = user(by, "User");
        server.fixed(
            &format!("{base}/pulls/{number}"),
            Answer::json(200, p.to_string()),
        );
    };
    merged_by(2, "alice", "carol");
    merged_by(3, "alice", "alice");
    merged_by(4, "bob", "bob");

    // CI: the example run, as three runs over two pages, and deployments.
    let run = |name: &str, conclusion: &str| {
        let mut r = fixture("list-workflow-runs-for-repo.json")["workflow_runs"][0].clone();
        r["name"] = json!(name);
        r["status"] = json!("completed");
        r["conclusion"] = json!(conclusion);
        r
    };
    // ledger-api claims more runs than GitHub lists for one query.
    let total = if name == "ledger-api" { 1500 } else { 3 };
    server.pages(
        &format!("{base}/actions/runs"),
        vec![
            json!({"total_count": total, "workflow_runs": [run("Build", "success"), run("Build", "failure")]}).to_string(),
            json!({"total_count": total, "workflow_runs": [run("Deploy", "cancelled")]}).to_string(),
        ],
    );
    server.pages(
        &format!("{base}/deployments"),
        vec![page(vec![
            json!({"id": 1, "environment": "production", "created_at": "2020-02-01T00:00:00Z"}),
            json!({"id": 2, "environment": "production", "created_at": "2009-02-01T00:00:00Z"}),
        ])],
    );

    // Alerts: the examples; ledger-api has code scanning and secret
    // scanning off.
    server.pages(
        &format!("{base}/dependabot/alerts"),
        vec![fixture("list-dependabot-alerts-for-repo.json").to_string()],
    );
    if name == "Hello-World" {
        server.pages(
            &format!("{base}/code-scanning/alerts"),
            vec![fixture("list-code-scanning-alerts-for-repo.json").to_string()],
        );
        server.pages(
            &format!("{base}/secret-scanning/alerts"),
            vec![fixture("list-secret-scanning-alerts-for-repo.json").to_string()],
        );
    } else {
        server.fixed(
            &format!("{base}/code-scanning/alerts"),
            Answer::json(404, r#"{"message":"Advanced Security must be enabled for this repository to use code scanning.","documentation_url":"https://docs.github.com/rest/code-scanning/code-scanning#list-code-scanning-alerts-for-a-repository"}"#),
        );
        server.fixed(
            &format!("{base}/secret-scanning/alerts"),
            Answer::json(404, r#"{"message":"Secret scanning is disabled on this repository.","documentation_url":"https://docs.github.com/rest/secret-scanning/secret-scanning#list-secret-scanning-alerts-for-a-repository"}"#),
        );
    }

    // Commits: the example (unsigned) and a verified copy, two pages.
    let unsigned = fixture("list-commits.json")[0].clone();
    let verified = item(
        "list-commits.json",
        json!({"sha": "1111111111111111111111111111111111111111",
               "commit": {"verification": {"verified": true, "reason": "valid"}}}),
    );
    server.pages(
        &format!("{base}/commits"),
        vec![page(vec![verified]), page(vec![unsigned])],
    );

    // Access: the example collaborator (write) and an admin; the team of
    // the branch-protection example.
    let admin = item(
        "list-repo-collaborators.json",
        json!({"login": "hubot", "role_name": "admin",
               "permissions": {"admin": true, "maintain": true, "push": true, "triage": true, "pull": true}}),
    );
    server.pages(
        &format!("{base}/collaborators"),
        vec![page(vec![
            fixture("list-repo-collaborators.json")[0].clone(),
            admin,
        ])],
    );
    let team = fixture("get-branch-protection.json")["required_pull_request_reviews"]
        ["dismissal_restrictions"]["teams"][0]
        .clone();
    server.pages(&format!("{base}/teams"), vec![page(vec![team])]);
}

#[test]
fn collects_every_part_through_rate_limits_and_502s() {
    let server = github();
    let hello = format!("/repos/{ORG}/Hello-World");
    // A secondary rate limit on the first page of pull requests, and a
    // burst of 502s on the collaborators.
    server.fault(
        &format!("{hello}/pulls"),
        Answer::json(403, r#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"}"#)
            .header("retry-after", "1"),
    );
    // A 429 without retry-after on ledger-api's teams.
    server.fault(
        &format!("/repos/{ORG}/ledger-api/teams"),
        Answer::json(429, r#"{"message":"API rate limit exceeded"}"#),
    );
    for _ in 0..3 {
        server.fault(
            &format!("{hello}/collaborators"),
            Answer::json(502, "<html><body><h1>502 Bad Gateway</h1></body></html>"),
        );
    }
    let ws = Workspace::new(&server, 5.0);
    // `collect git`'s evidence for Hello-World: it verified the commit
    // GitHub leaves unverified, and not the one GitHub verifies.
    let git = ws.path().join("evidence/git/Hello-World-audit.json");
    std::fs::create_dir_all(git.parent().unwrap()).unwrap();
    std::fs::write(
        &git,
        json!({"generator": "auditbook 0.1.0", "kind": "commit-signing",
               "collected_at": "2026-01-01T00:00:00Z",
               "period": {"name": "audit", "start": "2010-01-01", "end": "2025-12-31"},
               "repository": {"name": "Hello-World", "path": "../Hello-World",
                              "remote_url": format!("git@github.com:{ORG}/Hello-World.git"),
                              "ref": "master", "head": "1111111111111111111111111111111111111111"},
               "summary": {"commits": 2, "signed": {"gpg": 1, "ssh": 0, "x509": 0, "malformed": 0},
                           "verified": 1, "unsigned": 1},
               "unverified": [{"hash": "1111111111111111111111111111111111111111", "status": "E",
                               "verified": false}]})
        .to_string(),
    )
    .unwrap();
    let output = ws.run(&["collect", "github"]);
    let stderr = text(&output.stderr);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    ws.assert_no_token(&output);

    // The token went to the server, as GitHub expects it.
    let log = server.log();
    assert!(log
        .iter()
        .all(|l| l.authorization.as_deref() == Some(&format!("Bearer {TOKEN}"))));
    // Each wait has its line.
    assert!(stderr.contains("primary rate limit spent"), "{stderr}");
    assert!(
        stderr.contains("secondary rate limit (retry-after 1 s)"),
        "{stderr}"
    );
    assert!(stderr.contains("HTTP 502"), "{stderr}");
    assert!(
        stderr.contains("secondary rate limit, before GET") && stderr.contains("/ledger-api/teams"),
        "{stderr}"
    );
    assert_eq!(
        server.requests_to(&format!("/repos/{ORG}/ledger-api/teams")),
        2
    );
    assert!(stderr.contains("12 of 12 parts collected"), "{stderr}");
    // The archived repository is left out; the pull request pages stop
    // once they pass the period.
    assert!(!ws.path().join("evidence/github/old-archive").exists());
    assert_eq!(server.requests_to(&format!("{hello}/pulls")), 4);
    assert!(!log
        .iter()
        .any(|l| l.path == format!("{hello}/pulls") && l.query.contains("page=4")));
    // Reviewed pull requests need no detail request.
    assert_eq!(server.requests_to(&format!("{hello}/pulls/1")), 0);
    assert_eq!(server.requests_to(&format!("{hello}/collaborators")), 4);

    let changes = ws.evidence("Hello-World", "changes");
    assert_eq!(changes["kind"], "github-changes");
    assert_eq!(
        changes["summary"],
        json!({"merged": 4, "reviewed": 1, "self_merged": 2, "unreviewed": 2,
               "approved_after_merge": 1, "bot_approved_only": 1})
    );
    let exceptions: Vec<(u64, &str, bool, &str)> = changes["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["number"].as_u64().unwrap(),
                e["class"].as_str().unwrap(),
                e["self_merged"].as_bool().unwrap(),
                e["merged_by"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        exceptions,
        [
            (2, "approved_after_merge", false, "carol"),
            (3, "unreviewed", true, "alice"),
            (4, "unreviewed", true, "bob")
        ]
    );
    let provenance = &changes["provenance"];
    assert_eq!(provenance["api_url"], server.url);
    assert_eq!(provenance["auditbook_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(provenance["retries"], 1);
    assert!(provenance["endpoints"].as_array().unwrap().contains(&json!(
        "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews"
    )));
    assert_eq!(changes["collected_at"], "2026-01-01T00:00:00Z");
    assert!(provenance["rate_limit"].is_object());

    let protection = ws.evidence("Hello-World", "protection");
    let s = &protection["summary"];
    assert_eq!(
        (
            &s["branch"],
            &s["required_reviews"],
            &s["signed_commits_required"],
            &s["scorecard_tier"]
        ),
        (&json!("master"), &json!(2), &json!(true), &json!(0))
    );
    // The example allows force pushes and deletion: Scorecard tier 0.
    assert_eq!(s["force_pushes_allowed"], true);
    let ledger = ws.evidence("ledger-api", "protection");
    assert_eq!(ledger["summary"]["signed_commits_required"], true);
    assert_eq!(ledger["summary"]["required_reviews"], 0);
    assert_eq!(
        ledger["protection"]["protection_message"],
        "Branch not protected"
    );

    let ci = ws.evidence("Hello-World", "ci");
    assert_eq!(
        ci["summary"],
        json!({"runs": 3, "success": 1, "failure": 1, "cancelled": 1, "other": 0,
               "workflows": 2, "deployments": 1, "complete": true})
    );
    // Over 1,000 runs: asked again month by month (192 months, two pages
    // each, after the first query's two); the server still counts more
    // than it lists, so the file says it is incomplete.
    let runs = format!("/repos/{ORG}/ledger-api/actions/runs");
    assert_eq!(server.requests_to(&runs), 2 + 192 * 2);
    for month in [
        "created=2010-01-01..2010-01-31",
        "created=2012-02-01..2012-02-29",
        "created=2025-12-01..2025-12-31",
    ] {
        assert!(
            log.iter()
                .any(|l| l.path == runs && l.query.contains(month)),
            "{month}"
        );
    }
    assert_eq!(
        ws.evidence("ledger-api", "ci")["summary"]["complete"],
        false
    );
    assert!(
        stdout.contains("GitHub listed fewer runs than it counted"),
        "{stdout}"
    );

    let alerts = ws.evidence("Hello-World", "alerts");
    // Dependabot: #1 open medium, #2 dismissed (2022); code scanning: #4
    // open (rule severity error: high), #3 dismissed (2020); secret
    // scanning: #1 open (high), #2 resolved as false positive.
    assert_eq!(
        alerts["summary"],
        json!({"open": {"critical": 0, "high": 2, "medium": 1, "low": 0},
               "fixed": 0, "dismissed": 3, "unavailable": [], "median_days_to_fix": null})
    );
    let off = ws.evidence("ledger-api", "alerts");
    assert_eq!(
        off["summary"]["unavailable"],
        json!(["code-scanning", "secret-scanning"])
    );
    let features = off["features"].as_array().unwrap();
    assert_eq!(features[1]["status"], 404);
    assert_eq!(
        features[1]["message"],
        "Advanced Security must be enabled for this repository to use code scanning."
    );

    let commits = ws.evidence("Hello-World", "commits");
    assert_eq!(
        commits["summary"],
        json!({"commits": 2, "verified": 1, "unverified": 1, "disagree_with_git": 2})
    );
    assert_eq!(
        commits["git_cross_check"],
        json!({"file": "evidence/git/Hello-World-audit.json", "compared": 2, "disagree": 2,
               "verified_by_github_only": ["1111111111111111111111111111111111111111"],
               "verified_by_git_only": ["6dcb09b5b57875f334f61aebed695e2e4193db5e"]})
    );
    // ledger-api has no `collect git` evidence to compare with.
    assert_eq!(
        ws.evidence("ledger-api", "commits")["summary"],
        json!({"commits": 2, "verified": 1, "unverified": 1})
    );
    assert_eq!(commits["unverified"][0]["reason"], "unsigned");
    assert_eq!(
        commits["unverified"][0]["sha"],
        "6dcb09b5b57875f334f61aebed695e2e4193db5e"
    );

    let access = ws.evidence("Hello-World", "access");
    assert_eq!(access["summary"]["collaborators"], 2);
    assert_eq!(access["summary"]["admins"], 1);
    assert_eq!(access["summary"]["teams"], 1);
    assert_eq!(access["collaborators"][0]["login"], "hubot");
    assert_eq!(access["teams"][0]["permission"], "admin");

    // `check` reads each file as its kind, with the design's keys.
    let check = ws.run(&["check", "--format", "json"]);
    let report: Value = serde_json::from_slice(&check.stdout).unwrap();
    let kind_of = |path: &str| {
        report["evidence"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["path"] == path)
            .unwrap_or_else(|| panic!("{path} not in the report"))
            .clone()
    };
    for (part, kind) in [
        ("protection", "github-protection"),
        ("changes", "github-changes"),
        ("ci", "github-ci"),
        ("alerts", "github-alerts"),
        ("commits", "github-commits"),
        ("access", "github-access"),
    ] {
        let e = kind_of(&format!("evidence/github/Hello-World/{part}-audit.json"));
        assert_eq!(e["kind"], kind, "{part}");
        assert!(!e["controls"].as_array().unwrap().is_empty(), "{part}");
    }
    let summary = &kind_of("evidence/github/Hello-World/changes-audit.json")["summary"];
    for key in [
        "merged",
        "reviewed",
        "self_merged",
        "unreviewed",
        "approved_after_merge",
    ] {
        assert!(summary.get(key).is_some(), "{key}");
    }

    // The portal: tables per file, figures on the dashboard.
    let build = ws.run(&["build"]);
    assert_eq!(build.status.code(), Some(0), "{}", text(&build.stderr));
    let site = ws.path().join("site/audit");
    let dashboard = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(
        dashboard.contains("<strong>25 %</strong> of 8 changes reviewed by a second person"),
        "{dashboard}"
    );
    assert!(dashboard.contains("default branches protected"));
    let page =
        std::fs::read_to_string(site.join("evidence/github/Hello-World/changes-audit.json.html"))
            .unwrap();
    assert!(page.contains("approved after merge"), "{page}");
    assert!(page.contains(">#3</a>"));
    let alerts_page =
        std::fs::read_to_string(site.join("evidence/github/ledger-api/alerts-audit.json.html"))
            .unwrap();
    assert!(alerts_page.contains("Secret scanning is disabled on this repository."));
    ws.assert_no_token(&build);
}

#[test]
fn a_failed_part_keeps_the_rest_and_earlier_evidence() {
    let server = github();
    // Hello-World's commits fail with 502 every time; ledger-api's runs
    // never answer.
    for _ in 0..10 {
        server.fault(
            &format!("/repos/{ORG}/Hello-World/commits"),
            Answer::json(502, "Bad Gateway"),
        );
    }
    server.hang(&format!("/repos/{ORG}/ledger-api/actions/runs"));
    let ws = Workspace::new(&server, 0.4);
    // Earlier evidence of the part that will fail.
    let earlier = json!({"generator": "auditbook 0.1.0", "kind": "github-ci",
        "repository": {"full_name": format!("{ORG}/ledger-api")},
        "summary": {"runs": 9, "success": 9, "failure": 0, "cancelled": 0}})
    .to_string();
    let ci = ws.file("ledger-api", "ci");
    std::fs::create_dir_all(ci.parent().unwrap()).unwrap();
    std::fs::write(&ci, &earlier).unwrap();

    let started = std::time::Instant::now();
    // `collect all` runs every configured source: here GitHub only.
    let output = ws.run(&["collect", "all"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    ws.assert_no_token(&output);
    assert!(
        stderr.contains(&format!(
            "2 parts are missing (earlier evidence left as it was): {ORG}/Hello-World commits, {ORG}/ledger-api ci"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("gave up after 5 attempts"), "{stderr}");
    assert!(
        stderr.contains("no complete answer within 0.4 s"),
        "{stderr}"
    );
    assert!(stderr.contains("10 of 12 parts collected"), "{stderr}");
    // Five attempts each, then the run went on.
    assert_eq!(
        server.requests_to(&format!("/repos/{ORG}/ledger-api/actions/runs")),
        5
    );
    assert_eq!(
        server.requests_to(&format!("/repos/{ORG}/Hello-World/commits")),
        5
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    // The earlier file is untouched; no file for the failed commits part;
    // everything else is there.
    assert_eq!(std::fs::read_to_string(&ci).unwrap(), earlier);
    assert!(!ws.file("Hello-World", "commits").exists());
    for (repo, part) in [
        ("Hello-World", "ci"),
        ("Hello-World", "changes"),
        ("ledger-api", "commits"),
        ("ledger-api", "access"),
    ] {
        assert!(ws.file(repo, part).exists(), "{repo} {part}");
    }
}

#[test]
fn the_token_comes_from_the_environment_only() {
    let server = github();
    let ws = Workspace::new(&server, 1.0);
    let output = Command::new(env!("CARGO_BIN_EXE_auditbook"))
        .arg("-C")
        .arg(ws.path())
        .args(["collect", "github"])
        .env_remove(TOKEN_ENV)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains(TOKEN_ENV));
    assert!(server.log().is_empty());

    // A server that answers 401 with the token in its message: the message
    // reaches the user scrubbed.
    let echo = Server::start();
    echo.fixed(
        &format!("/orgs/{ORG}/repos"),
        Answer::json(
            401,
            json!({"message": format!("Bad credentials: {TOKEN}")}).to_string(),
        ),
    );
    let ws = Workspace::new(&echo, 1.0);
    let output = ws.run(&["collect", "github"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("Bad credentials: [REDACTED]"), "{stderr}");
    ws.assert_no_token(&output);
}

/// The closing measurement (benches/README.md): an organisation of 50
/// repositories with 100 merged pull requests each (5,000), one approval
/// each except every twentieth, served from generated pages of the
/// examples. Prints the requests made and the wall time. Run with
/// `cargo test --release --test collect_github -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_an_organisation_of_50_repositories_and_5000_pull_requests() {
    const REPOS: usize = 50;
    const PULLS: u64 = 100;
    let server = Server::start();
    let repo = |name: &str| {
        let mut r = fixture("get-repository.json");
        r["name"] = json!(name);
        r
    };
    let names: Vec<String> = (0..REPOS).map(|i| format!("service-{i:02}")).collect();
    server.pages(
        &format!("/orgs/{ORG}/repos"),
        vec![page(names.iter().map(|n| repo(n)).collect())],
    );
    for name in &names {
        let base = format!("/repos/{ORG}/{name}");
        server.fixed(
            &format!("{base}/branches/master/protection"),
            Answer::json(200, fixture("get-branch-protection.json").to_string()),
        );
        server.fixed(
            &format!("{base}/branches/master/protection/required_signatures"),
            Answer::json(200, r#"{"enabled":true}"#),
        );
        server.pages(&format!("{base}/rules/branches/master"), vec![page(vec![])]);
        let pulls: Vec<Value> = (1..=PULLS)
            .map(|n| {
                let at = format!("2020-03-{:02}T{:02}:00:00Z", 28 - n / 4, n % 24);
                item(
                    "list-pull-requests.json",
                    json!({"number": n, "user": user("alice", "User"), "updated_at": at, "merged_at": at}),
                )
            })
            .collect();
        let older = item(
            "list-pull-requests.json",
            json!({"number": 0, "updated_at": "2009-01-01T00:00:00Z", "merged_at": "2009-01-01T00:00:00Z"}),
        );
        server.pages(
            &format!("{base}/pulls"),
            vec![page(pulls), page(vec![older])],
        );
        for n in 1..=PULLS {
            let reviews = if n % 20 == 0 {
                vec![]
            } else {
                vec![item(
                    "list-reviews-for-pull-request.json",
                    json!({"user": user("bob", "User"), "state": "APPROVED", "submitted_at": "2020-03-01T00:00:00Z"}),
                )]
            };
            server.pages(&format!("{base}/pulls/{n}/reviews"), vec![page(reviews)]);
            if n % 20 == 0 {
                let mut p = fixture("list-pull-requests.json")[0].clone();
                p["merged_by"] = user("alice", "User");
                server.fixed(
                    &format!("{base}/pulls/{n}"),
                    Answer::json(200, p.to_string()),
                );
            }
        }
        let run = fixture("list-workflow-runs-for-repo.json")["workflow_runs"][0].clone();
        server.pages(
            &format!("{base}/actions/runs"),
            vec![json!({"total_count": 100, "workflow_runs": vec![run; 100]}).to_string()],
        );
        server.pages(&format!("{base}/deployments"), vec![page(vec![])]);
        for (path, file) in [
            ("dependabot", "list-dependabot-alerts-for-repo.json"),
            ("code-scanning", "list-code-scanning-alerts-for-repo.json"),
            (
                "secret-scanning",
                "list-secret-scanning-alerts-for-repo.json",
            ),
        ] {
            server.pages(
                &format!("{base}/{path}/alerts"),
                vec![fixture(file).to_string()],
            );
        }
        let commit = fixture("list-commits.json")[0].clone();
        server.pages(
            &format!("{base}/commits"),
            vec![page(vec![commit.clone(); 100]), page(vec![commit; 20])],
        );
        server.pages(
            &format!("{base}/collaborators"),
            vec![fixture("list-repo-collaborators.json").to_string()],
        );
        server.pages(&format!("{base}/teams"), vec![page(vec![])]);
    }
    let ws = Workspace::new(&server, 10.0);
    let started = std::time::Instant::now();
    // `collect all` runs every configured source: here GitHub only.
    let output = ws.run(&["collect", "all"]);
    let elapsed = started.elapsed();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let requests = server.log().len();
    let changes: u64 = names
        .iter()
        .map(|n| {
            ws.evidence(n, "changes")["summary"]["merged"]
                .as_u64()
                .unwrap()
        })
        .sum();
    assert_eq!(changes, REPOS as u64 * PULLS);
    // Listing 1; per repository: protection 3, pull requests 2, reviews
    // 100, merged_by of the 5 unreviewed, runs 1, deployments 1, alerts 3,
    // commits 2, collaborators 1, teams 1.
    assert_eq!(
        requests,
        1 + REPOS * (3 + 2 + 100 + 5 + 1 + 1 + 3 + 2 + 1 + 1)
    );
    println!(
        "{REPOS} repositories, {changes} merged pull requests: {requests} requests in {:.2} s ({:.2} ms per request)",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() * 1000.0 / requests as f64
    );
    ws.assert_no_token(&output);
}
