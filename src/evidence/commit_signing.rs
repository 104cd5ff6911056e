//! Commit-signing evidence, as `auditbook collect git` writes it: the
//! `summary` object's counts (DESIGN.md's `commits`, `signed` by type,
//! `verified`, `unsigned`).

use std::io::BufRead;

use serde::Deserialize;

use super::common::{json_problem, skip_bom, Parsed, Problem};
use super::details::Details;
use super::summary::{Signed, Summary};

#[derive(Deserialize)]
struct File {
    summary: FileSummary,
    #[serde(default)]
    collected_at: Option<String>,
}

#[derive(Deserialize)]
struct FileSummary {
    commits: u64,
    signed: FileSigned,
    verified: u64,
    unsigned: u64,
}

#[derive(Deserialize)]
struct FileSigned {
    gpg: u64,
    ssh: u64,
    x509: u64,
}

pub fn parse(reader: &mut dyn BufRead) -> Result<Parsed, Problem> {
    skip_bom(reader).map_err(|e| Problem::io(&e))?;
    let file: File = serde_json::from_reader(reader).map_err(json_problem)?;
    let s = file.summary;
    let signed = s
        .signed
        .gpg
        .saturating_add(s.signed.ssh)
        .saturating_add(s.signed.x509);
    if s.verified > s.commits || signed.saturating_add(s.unsigned) > s.commits {
        return Err(Problem::new(
            None,
            format!(
                "the summary does not add up: {} commits, {signed} signed, {} unsigned, {} verified",
                s.commits, s.unsigned, s.verified
            ),
        ));
    }
    Ok(Parsed {
        summary: Summary::CommitSigning {
            commits: s.commits,
            signed: Signed {
                gpg: s.signed.gpg,
                ssh: s.signed.ssh,
                x509: s.signed.x509,
            },
            verified: s.verified,
            unsigned: s.unsigned,
        },
        details: Details::None,
        observed_at: file
            .collected_at
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
            .map(|t| t.with_timezone(&chrono::Utc)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_text(text: &str) -> Result<Parsed, Problem> {
        parse(&mut text.as_bytes())
    }

    #[test]
    fn reads_the_summary_with_the_design_keys() {
        let parsed = parse_text(
            r#"{"generator":"auditbook 0.1.0","kind":"commit-signing","collected_at":"2026-03-01T00:00:00Z",
               "summary":{"commits":10,"signed":{"gpg":2,"ssh":3,"x509":1,"malformed":1},"verified":4,"unsigned":3}}"#,
        )
        .unwrap();
        assert_eq!(
            serde_json::to_value(&parsed.summary).unwrap(),
            serde_json::json!({"commits":10,"signed":{"gpg":2,"ssh":3,"x509":1},"verified":4,"unsigned":3})
        );
        assert_eq!(
            parsed.observed_at.unwrap().to_rfc3339(),
            "2026-03-01T00:00:00+00:00"
        );
    }

    #[test]
    fn rejects_summaries_that_do_not_add_up_or_are_missing() {
        assert!(parse_text(
            r#"{"summary":{"commits":1,"signed":{"gpg":2,"ssh":0,"x509":0},"verified":0,"unsigned":0}}"#
        )
        .is_err());
        assert!(parse_text(r#"{"kind":"commit-signing"}"#).is_err());
        assert!(parse_text("{").is_err());
    }
}
