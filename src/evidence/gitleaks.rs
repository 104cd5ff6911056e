//! gitleaks JSON: every finding is high. Reads the v8 shape (`RuleID`,
//! `File`, `StartLine`) and the v7 one (`rule`, `file`, `lineNumber`), and
//! the empty reports (`[]`, and `null` from older versions). The secret
//! itself (`Secret`, `Match`, `offender`) is never kept.

use std::fmt;
use std::io::BufRead;

use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use super::common::{from_json_reader_seed, Parsed, Problem};
use super::details::TopFindings;
use super::summary::{Severities, Severity, Summary};

pub fn parse(reader: &mut dyn BufRead) -> Result<Parsed, Problem> {
    let mut state = State::default();
    from_json_reader_seed(reader, ReportSeed(&mut state))?;
    Ok(Parsed {
        summary: Summary::Findings {
            findings: state.severities,
            tools: vec!["gitleaks".to_string()],
            suppressed: 0,
        },
        details: state.top.finish(),
        observed_at: None,
    })
}

#[derive(Default)]
struct State {
    severities: Severities,
    top: TopFindings,
}

struct ReportSeed<'a>(&'a mut State);

impl<'de> DeserializeSeed<'de> for ReportSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ReportSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of gitleaks findings (or null)")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let state = self.0;
        while let Some(finding) = seq.next_element::<Finding>()? {
            state.severities.add(Severity::High, 1);
            let rule = finding
                .rule_id
                .or(finding.rule)
                .unwrap_or_else(|| "(no rule)".to_string());
            let file = finding.file.or(finding.file_v7);
            let line = finding
                .start_line
                .or(finding.line_number)
                .filter(|&l| l > 0);
            let location = match (file, line) {
                (Some(file), Some(line)) => Some(format!("{file}:{line}")),
                (Some(file), None) => Some(file),
                _ => None,
            };
            let message = finding.description.unwrap_or_else(|| rule.clone());
            let message = match finding.commit.filter(|c| !c.is_empty()) {
                Some(commit) => format!("{message} (commit {})", truncate_sha(&commit)),
                None => message,
            };
            state.top.push(Severity::High, &rule, &message, location);
        }
        Ok(())
    }
}

fn truncate_sha(commit: &str) -> &str {
    commit.get(..12).unwrap_or(commit)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Finding {
    #[serde(rename = "RuleID")]
    rule_id: Option<String>,
    rule: Option<String>,
    #[serde(rename = "Description")]
    description: Option<String>,
    #[serde(rename = "File")]
    file: Option<String>,
    #[serde(rename = "file")]
    file_v7: Option<String>,
    #[serde(rename = "StartLine")]
    start_line: Option<i64>,
    #[serde(rename = "lineNumber")]
    line_number: Option<i64>,
    #[serde(rename = "Commit", alias = "commit")]
    commit: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn high(text: &str) -> u64 {
        match parse(&mut text.as_bytes()).unwrap().summary {
            Summary::Findings { findings, .. } => {
                assert_eq!(findings.total(), findings.high);
                findings.high
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_finding_is_high_in_both_shapes() {
        assert_eq!(high("null"), 0);
        assert_eq!(high("[]"), 0);
        assert_eq!(
            high(
                r#"[{"RuleID": "aws", "File": "a", "StartLine": 1, "Secret": "AKIA..."}, {"rule": "AWS", "file": "b", "lineNumber": 2, "offender": "x"}]"#
            ),
            2
        );
        assert!(parse(&mut &br#"{"findings": []}"#[..]).is_err());
        assert!(parse(&mut &b"[1]"[..]).is_err());
    }
}
