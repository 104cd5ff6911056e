//! Access review CSVs (`system,account,reviewer,decision,date`): how many
//! entries, systems, accounts and reviewers, the decisions taken
//! (lower-cased; an empty decision is `undecided`), and the dates the
//! review spans. The details list the entries whose decision is not
//! `keep`: what the review changed, or left undecided.

use std::collections::{BTreeMap, HashSet};
use std::io::BufRead;

use super::common::{csv_date, next_row, open_csv, truncate, DateRange, Parsed, Problem};
use super::details::{AccessChange, Details, MAX_ACCESS_CHANGES, MESSAGE_LEN};
use super::summary::Summary;

pub fn parse(reader: &mut dyn BufRead) -> Result<Parsed, Problem> {
    let (mut csv, columns) = open_csv(
        reader,
        &["system", "account", "reviewer", "decision", "date"],
        &[],
    )?;
    let mut entries = 0u64;
    let mut systems = HashSet::new();
    let mut accounts = HashSet::new();
    let mut reviewers = HashSet::new();
    let mut decisions: BTreeMap<String, u64> = BTreeMap::new();
    let mut dates = DateRange::default();
    let mut changes = Vec::new();
    let mut omitted = 0u64;
    let mut record = csv::StringRecord::new();
    while let Some(line) = next_row(&mut csv, &mut record)? {
        entries = entries.saturating_add(1);
        let system = columns.get(&record, 0);
        let account = columns.get(&record, 1);
        if !system.is_empty() && !systems.contains(system) {
            systems.insert(system.to_string());
        }
        accounts.insert((system.to_string(), account.to_string()));
        let reviewer = columns.get(&record, 2);
        if !reviewer.is_empty() && !reviewers.contains(reviewer) {
            reviewers.insert(reviewer.to_string());
        }
        let decision = columns.get(&record, 3).to_lowercase();
        let decision = if decision.is_empty() {
            "undecided".to_string()
        } else {
            decision
        };
        let date = csv_date(columns.get(&record, 4), line, "date")?;
        dates.add(date);
        if decision != "keep" {
            if changes.len() < MAX_ACCESS_CHANGES {
                changes.push(AccessChange {
                    system: truncate(system, MESSAGE_LEN),
                    account: truncate(account, MESSAGE_LEN),
                    reviewer: truncate(reviewer, MESSAGE_LEN),
                    decision: truncate(&decision, MESSAGE_LEN),
                    date: date.map(|d| d.to_string()),
                });
            } else {
                omitted = omitted.saturating_add(1);
            }
        }
        let n = decisions.entry(decision).or_insert(0);
        *n = n.saturating_add(1);
    }
    let (first_date, last_date) = dates.strings();
    Ok(Parsed {
        summary: Summary::AccessReview {
            entries,
            systems: systems.len() as u64,
            accounts: accounts.len() as u64,
            reviewers: reviewers.len() as u64,
            decisions,
            first_date,
            last_date,
        },
        details: Details::AccessChanges { changes, omitted },
        observed_at: dates.observed_at(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_entries_people_and_decisions() {
        let csv = "\u{feff}System,Account,Reviewer,Decision,Date\r\ngithub,alice,bob,keep,2026-02-15\r\ngithub,carol,bob,Revoke,2026-02-16\r\naws,alice,dan,,2026-01-30\r\n";
        let parsed = parse(&mut csv.as_bytes()).unwrap();
        assert_eq!(
            serde_json::to_value(&parsed.summary).unwrap(),
            json!({"entries": 3, "systems": 2, "accounts": 3, "reviewers": 2,
                   "decisions": {"keep": 1, "revoke": 1, "undecided": 1},
                   "first_date": "2026-01-30", "last_date": "2026-02-16"})
        );
        let Details::AccessChanges { changes, omitted } = parsed.details else {
            panic!("{:?}", parsed.details)
        };
        assert_eq!(omitted, 0);
        assert_eq!(
            changes
                .iter()
                .map(|c| (c.account.as_str(), c.decision.as_str(), c.date.as_deref()))
                .collect::<Vec<_>>(),
            [
                ("carol", "revoke", Some("2026-02-16")),
                ("alice", "undecided", Some("2026-01-30"))
            ]
        );
    }

    #[test]
    fn missing_columns_ragged_rows_and_bad_dates_are_problems() {
        let problem =
            parse(&mut &b"system,account,reviewer,date\nx,y,z,2026-01-01\n"[..]).unwrap_err();
        assert_eq!(problem.line, Some(1));
        assert!(problem.message.contains("`decision`"), "{problem:?}");
        let problem =
            parse(&mut &b"system,account,reviewer,decision,date\nx,y,z,keep\n"[..]).unwrap_err();
        assert_eq!(problem.line, Some(2), "{problem:?}");
        let problem =
            parse(&mut &b"system,account,reviewer,decision,date\nx,y,z,keep,2026-01-01\nx,y,z,keep,someday\n"[..])
                .unwrap_err();
        assert_eq!(problem.line, Some(3), "{problem:?}");
        assert!(parse(&mut &b""[..]).is_err());
    }
}
