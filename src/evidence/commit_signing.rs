//! Commit-signing evidence, as `auditbook collect git` writes it: the
//! `summary` object's counts (DESIGN.md's `commits`, `signed` by type,
//! `verified`, `unsigned`), and its breakdowns per month and per author
//! for the portal.

use std::io::BufRead;

use serde::Deserialize;

use super::common::{from_json_reader, truncate, Parsed, Problem};
use super::details::{Details, SigningCount, MAX_SIGNING_AUTHORS, MAX_SIGNING_MONTHS, MESSAGE_LEN};
use super::summary::{Signed, Summary};

#[derive(Deserialize)]
struct File {
    summary: FileSummary,
    #[serde(default)]
    collected_at: Option<String>,
    #[serde(default)]
    by_month: Vec<FileCount>,
    #[serde(default)]
    by_author: Vec<FileCount>,
}

#[derive(Deserialize)]
struct FileCount {
    key: String,
    commits: u64,
    signed: u64,
    verified: u64,
    unsigned: u64,
}

impl FileCount {
    fn adds_up(&self) -> bool {
        self.verified <= self.signed && self.signed.saturating_add(self.unsigned) == self.commits
    }

    fn into_count(self) -> SigningCount {
        SigningCount {
            key: truncate(&self.key, MESSAGE_LEN),
            commits: self.commits,
            signed: self.signed,
            verified: self.verified,
            unsigned: self.unsigned,
        }
    }
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
    let file: File = from_json_reader(reader)?;
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
    if let Some(bad) = file
        .by_month
        .iter()
        .chain(&file.by_author)
        .find(|c| !c.adds_up())
    {
        return Err(Problem::new(
            None,
            format!(
                "the counts of `{}` do not add up: {} commits, {} signed, {} unsigned, {} verified",
                bad.key, bad.commits, bad.signed, bad.unsigned, bad.verified
            ),
        ));
    }
    let mut months = file.by_month;
    months.sort_by(|a, b| a.key.cmp(&b.key));
    let mut authors = file.by_author;
    authors.sort_by(|a, b| b.commits.cmp(&a.commits).then_with(|| a.key.cmp(&b.key)));
    let truncated = months.len() > MAX_SIGNING_MONTHS || authors.len() > MAX_SIGNING_AUTHORS;
    let details = if months.is_empty() && authors.is_empty() {
        Details::None
    } else {
        Details::CommitSigning {
            months: months
                .into_iter()
                .take(MAX_SIGNING_MONTHS)
                .map(FileCount::into_count)
                .collect(),
            authors: authors
                .into_iter()
                .take(MAX_SIGNING_AUTHORS)
                .map(FileCount::into_count)
                .collect(),
            truncated,
        }
    };
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
        details,
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
        assert_eq!(parsed.details, Details::None);
    }

    #[test]
    fn keeps_the_breakdowns_months_in_order_authors_by_commits() {
        let parsed = parse_text(
            r#"{"summary":{"commits":5,"signed":{"gpg":1,"ssh":2,"x509":0},"verified":2,"unsigned":2},
               "by_month":[{"key":"2026-02","commits":2,"signed":1,"verified":0,"unsigned":1},
                           {"key":"2026-01","commits":3,"signed":2,"verified":2,"unsigned":1}],
               "by_author":[{"key":"A <a@x>","commits":1,"signed":0,"verified":0,"unsigned":1},
                            {"key":"B <b@x>","commits":4,"signed":3,"verified":2,"unsigned":1}]}"#,
        )
        .unwrap();
        let Details::CommitSigning {
            months,
            authors,
            truncated,
        } = parsed.details
        else {
            panic!("no commit-signing details: {:?}", parsed.details);
        };
        let keys = |rows: &[SigningCount]| rows.iter().map(|r| r.key.clone()).collect::<Vec<_>>();
        assert_eq!(keys(&months), ["2026-01", "2026-02"]);
        assert_eq!(keys(&authors), ["B <b@x>", "A <a@x>"]);
        assert_eq!(authors[0].verified, 2);
        assert!(!truncated);
        // A breakdown whose counts do not add up is refused.
        assert!(parse_text(
            r#"{"summary":{"commits":1,"signed":{"gpg":0,"ssh":0,"x509":0},"verified":0,"unsigned":1},
               "by_month":[{"key":"2026-01","commits":1,"signed":1,"verified":2,"unsigned":0}]}"#
        )
        .is_err());
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
