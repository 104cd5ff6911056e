//! Which kind an evidence file is, from its first bytes. The file name
//! only decides whether a markdown file may carry front matter, whether a
//! text file that is nothing else is a log (`.log`), and whether an empty
//! JSON report (`[]`, `null`) is gitleaks' (a name containing `gitleaks`).

use std::path::Path;

use super::Kind;

/// The kind of a file whose first bytes are `head`. `front_matter` is the
/// YAML front matter of a markdown file, if it has one.
pub fn detect(path: &Path, head: &[u8], front_matter: Option<&str>) -> Kind {
    if let Some(yaml) = front_matter {
        return if is_drill(yaml) {
            Kind::Drill
        } else {
            Kind::Generic
        };
    }
    if head.contains(&0) {
        return Kind::Generic;
    }
    let text = super::common::lossy_utf8(head);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    if is_empty_json_report(text) && file_name_has(path, "gitleaks") {
        // `[]` (and `null` from gitleaks 7) is all an empty gitleaks report
        // holds: only its name tells it from any other empty JSON.
        return Kind::Gitleaks;
    }
    if text.starts_with('{') || text.starts_with('[') {
        return detect_json(text);
    }
    if text.starts_with('<') {
        return if contains(text, "<testsuite") {
            Kind::Junit
        } else {
            Kind::Generic
        };
    }
    if let Some(kind) = detect_csv(text) {
        return kind;
    }
    if is_ci_log(path, text) {
        return Kind::CiLog;
    }
    Kind::Generic
}

/// The YAML front matter of a markdown file and the number of lines before
/// it (one: the opening `---`).
pub fn front_matter<'a>(path: &Path, head: &'a [u8]) -> Option<(&'a str, u32)> {
    let is_markdown = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("md" | "markdown")
    );
    if !is_markdown {
        return None;
    }
    let text = std::str::from_utf8(head).ok().or_else(|| {
        // The head may end inside a multi-byte character.
        let valid = std::str::from_utf8(head).err()?.valid_up_to();
        std::str::from_utf8(&head[..valid]).ok()
    })?;
    crate::workspace::split_front_matter(text).map(|(yaml, _, lines_before)| (yaml, lines_before))
}

fn is_drill(yaml: &str) -> bool {
    let has_key = |key: &str| {
        yaml.lines().any(|line| {
            line.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
    };
    let kind_is_drill = yaml.lines().any(|line| {
        line.strip_prefix("kind:")
            .is_some_and(|v| v.trim().trim_matches(['"', '\'']) == "drill")
    });
    kind_is_drill
        || (has_key("scenario") && (has_key("rto_target_min") || has_key("rpo_target_min")))
}

fn detect_json(text: &str) -> Kind {
    let has = |needle: &str| contains(text, needle);
    if has("\"generator\"") && has("\"auditbook") {
        if let Some(kind) = auditbook_kind(text) {
            return kind;
        }
    }
    // A SARIF log names a SARIF schema, or has a 2.x version and runs (a
    // JSON schema *about* SARIF has neither as values).
    let schema_is_sarif =
        string_value(text, "$schema").is_some_and(|s| s.to_ascii_lowercase().contains("sarif"));
    let sarif_version = string_values(text, "version").any(|v| v.starts_with("2."));
    if schema_is_sarif || (sarif_version && has("\"runs\"")) {
        return Kind::Sarif;
    }
    if has("\"SchemaVersion\"") && (has("\"ArtifactName\"") || has("\"Results\"")) {
        return Kind::Trivy;
    }
    if text.starts_with('[')
        && has("\"Target\"")
        && (has("\"Vulnerabilities\"") || has("\"Misconfigurations\""))
    {
        return Kind::Trivy;
    }
    if has("\"matches\"") && (has("\"descriptor\"") || has("\"artifact\"") || has("\"source\"")) {
        return Kind::Grype;
    }
    if text.starts_with('[') && (has("\"RuleID\"") || (has("\"rule\"") && has("\"offender\""))) {
        return Kind::Gitleaks;
    }
    if (has("\"Controls\"") && has("\"Totals\""))
        || (has("\"node_type\"") && has("\"tests\""))
        || (has("\"total_pass\"") && has("\"total_fail\""))
    {
        return Kind::KubeBench;
    }
    Kind::Generic
}

/// The string value of the first `"key":` in `text`, if it is a string.
fn string_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    string_values(text, key).next()
}

/// The string values of every `"key":` in `text` (keys whose value is not
/// a string are passed over).
fn string_values<'a>(text: &'a str, key: &str) -> impl Iterator<Item = &'a str> {
    let quoted = format!("\"{key}\"");
    let ends: Vec<usize> = memchr::memmem::find_iter(text.as_bytes(), quoted.as_bytes())
        .map(|at| at + quoted.len())
        .collect();
    ends.into_iter().filter_map(move |end| {
        let value = text
            .get(end..)?
            .trim_start()
            .strip_prefix(':')?
            .trim_start()
            .strip_prefix('"')?;
        value.get(..value.find('"')?)
    })
}

/// `str::contains` by SIMD search: the JSON probes look for two dozen
/// keys in the first 16 KiB of every JSON file, and the standard library's
/// Two-Way search made that a few percent of loading a workspace.
fn contains(text: &str, needle: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), needle.as_bytes()).is_some()
}

/// `[]` or `null`, with any whitespace.
fn is_empty_json_report(text: &str) -> bool {
    if text.len() > 64 {
        return false;
    }
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    compact == "[]" || compact == "null"
}

fn file_name_has(path: &Path, word: &str) -> bool {
    path.file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|n| n.contains(word))
}

/// Files written by auditbook's collectors name their kind.
fn auditbook_kind(text: &str) -> Option<Kind> {
    let at = memchr::memmem::find(text.as_bytes(), b"\"kind\"")?;
    let after = &text[at + "\"kind\"".len()..];
    let value = after
        .trim_start()
        .strip_prefix(':')?
        .trim_start()
        .strip_prefix('"')?;
    Kind::parse(&value[..value.find('"')?])
}

fn detect_csv(text: &str) -> Option<Kind> {
    let header = text.lines().next()?;
    let columns: Vec<String> = header
        .split(',')
        .map(|c| c.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    let has = |names: &[&str]| names.iter().all(|n| columns.iter().any(|c| c == n));
    if has(&["system", "account", "reviewer", "decision", "date"]) {
        Some(Kind::AccessReview)
    } else if has(&["person", "policy", "policy_version", "date"]) {
        Some(Kind::Acknowledgement)
    } else if has(&["date", "metric", "value"]) {
        Some(Kind::Metric)
    } else {
        None
    }
}

fn is_ci_log(path: &Path, text: &str) -> bool {
    if contains(text, "##[group]") || contains(text, "##[endgroup]") || contains(text, "##[error]")
    {
        return true;
    }
    // GitLab job logs and Jenkins console output say who runs them.
    let first = text.lines().next().unwrap_or_default();
    if first.starts_with("Running with gitlab-runner")
        || (first.starts_with("Started by ") && text.contains("[Pipeline]"))
    {
        return true;
    }
    // GitHub Actions prefixes every line with an RFC 3339 time in UTC.
    let timestamped = text
        .lines()
        .take(20)
        .filter(|line| is_actions_timestamp(line))
        .count();
    if timestamped >= 3 {
        return true;
    }
    matches!(path.extension().and_then(|e| e.to_str()), Some("log"))
}

fn is_actions_timestamp(line: &str) -> bool {
    let bytes = line.as_bytes();
    bytes.len() > 20
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[10] == b'T'
        // Bytes, not a `str` slice: byte 28 may fall inside a character.
        && bytes.get(..28).unwrap_or(bytes).contains(&b'Z')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind_of(name: &str, text: &str) -> Kind {
        let head = text.as_bytes();
        let path = Path::new(name);
        let fm = front_matter(path, head).map(|(yaml, _)| yaml);
        detect(path, head, fm)
    }

    #[test]
    fn detects_by_content_not_name() {
        assert_eq!(
            kind_of(
                "x.txt",
                r#"{"version": "2.1.0", "$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": []}"#
            ),
            Kind::Sarif
        );
        assert_eq!(
            kind_of("x", r#"{"SchemaVersion": 2, "ArtifactName": "alpine"}"#),
            Kind::Trivy
        );
        assert_eq!(
            kind_of(
                "x",
                r#"{"matches": [], "source": {}, "descriptor": {"name": "grype"}}"#
            ),
            Kind::Grype
        );
        assert_eq!(
            kind_of("x", r#"[{"RuleID": "aws-access-token"}]"#),
            Kind::Gitleaks
        );
        assert_eq!(
            kind_of("x", "<?xml version=\"1.0\"?>\n<testsuites>"),
            Kind::Junit
        );
        assert_eq!(
            kind_of("x", "system,account,reviewer,decision,date\n"),
            Kind::AccessReview
        );
        assert_eq!(
            kind_of("x", "person,policy,policy_version,date\n"),
            Kind::Acknowledgement
        );
        assert_eq!(kind_of("x", "date,metric,value,target\n"), Kind::Metric);
        assert_eq!(
            kind_of("x", "2026-01-01T10:00:00.0000000Z ##[group]Run tests\n"),
            Kind::CiLog
        );
        assert_eq!(
            kind_of(
                "d.md",
                "---\nscenario: Region loss\nrto_target_min: 60\n---\n# Notes\n"
            ),
            Kind::Drill
        );
        assert_eq!(
            kind_of("n.md", "---\ntitle: Pen test\n---\n"),
            Kind::Generic
        );
        assert_eq!(
            kind_of(
                "x.json",
                r#"{"generator": "auditbook 0.1.0", "kind": "commit-signing"}"#
            ),
            Kind::CommitSigning
        );
        assert_eq!(kind_of("x.bin", "\0\u{1}binary"), Kind::Generic);
        // A multi-byte character where a timestamp's zone would be.
        let odd = "2024-01-01T10:00:00.0000000é line\n".repeat(5);
        assert_eq!(kind_of("x.txt", &odd), Kind::Generic);
        assert_eq!(
            kind_of(
                "job.txt",
                "Running with gitlab-runner 16.9.1 (782c6ecb)\n  on runner-1\n"
            ),
            Kind::CiLog
        );
        assert_eq!(
            kind_of(
                "console.txt",
                "Started by user admin\n[Pipeline] Start of Pipeline\n"
            ),
            Kind::CiLog
        );
        assert_eq!(kind_of("gitleaks-report.json", "[]\n"), Kind::Gitleaks);
        assert_eq!(kind_of("gitleaks.json", "null"), Kind::Gitleaks);
        assert_eq!(kind_of("other.json", "[]"), Kind::Generic);
        assert_eq!(
            kind_of(
                "schema.json",
                r#"{"$schema": "http://json-schema.org/draft-07/schema#", "id": "https://x/sarif-schema-2.1.0.json", "properties": {"version": {"enum": ["2.1.0"]}, "runs": {}}}"#
            ),
            Kind::Generic
        );
        assert_eq!(
            kind_of("x", r#"{"version": "2.1.0", "runs": []}"#),
            Kind::Sarif
        );
        assert_eq!(
            kind_of(
                "x",
                r#"{"runs": [{"tool": {"driver": {"name": "t", "version": "1.0"}}}], "version": "2.1.0"}"#
            ),
            Kind::Sarif
        );
    }
}
