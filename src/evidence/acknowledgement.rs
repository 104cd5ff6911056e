//! Policy acknowledgement CSVs (`person,policy,policy_version,date`): for
//! each policy version, how many distinct people acknowledged it, so that
//! a later stage can give each policy the share of people who acknowledged
//! its current version; and the people and dates overall. The details
//! name the people (within caps), so that the assessment can count each
//! person once across files.

use std::collections::{BTreeMap, BTreeSet};
use std::io::BufRead;

use super::common::{csv_date, next_row, open_csv, DateRange, Parsed, Problem};
use super::details::{AckVersion, Details, MAX_ACK_PEOPLE, MAX_ACK_VERSIONS};
use super::summary::{AckPolicy, Summary};

pub fn parse(reader: &mut dyn BufRead) -> Result<Parsed, Problem> {
    let (mut csv, columns) =
        open_csv(reader, &["person", "policy", "policy_version", "date"], &[])?;
    let mut acknowledgements = 0u64;
    let mut people: BTreeSet<String> = BTreeSet::new();
    let mut by_version: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut dates = DateRange::default();
    let mut record = csv::StringRecord::new();
    while let Some(line) = next_row(&mut csv, &mut record)? {
        acknowledgements = acknowledgements.saturating_add(1);
        let person = columns.get(&record, 0);
        let policy = columns.get(&record, 1);
        if person.is_empty() {
            return Err(Problem::at(line, "column `person` is empty"));
        }
        if policy.is_empty() {
            return Err(Problem::at(line, "column `policy` is empty"));
        }
        if !people.contains(person) {
            people.insert(person.to_string());
        }
        by_version
            .entry((policy.to_string(), columns.get(&record, 2).to_string()))
            .or_default()
            .insert(person.to_string());
        dates.add(csv_date(columns.get(&record, 3), line, "date")?);
    }
    let (first_date, last_date) = dates.strings();
    let truncated = people.len() > MAX_ACK_PEOPLE
        || by_version.len() > MAX_ACK_VERSIONS
        || by_version.values().any(|p| p.len() > MAX_ACK_PEOPLE);
    let policies = by_version
        .iter()
        .map(|((policy, version), people)| AckPolicy {
            policy: policy.clone(),
            version: version.clone(),
            people: people.len() as u64,
        })
        .collect();
    let versions = by_version
        .into_iter()
        .take(MAX_ACK_VERSIONS)
        .map(|((policy, version), people)| AckVersion {
            policy,
            version,
            people: people.into_iter().take(MAX_ACK_PEOPLE).collect(),
        })
        .collect();
    Ok(Parsed {
        summary: Summary::Acknowledgement {
            people: people.len() as u64,
            acknowledgements,
            policies,
            first_date,
            last_date,
        },
        details: Details::Acknowledgements {
            people: people.into_iter().take(MAX_ACK_PEOPLE).collect(),
            versions,
            truncated,
        },
        observed_at: dates.observed_at(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn people_per_policy_version() {
        let csv = "person,policy,policy_version,date\nAda,isms/policy,4.1,2026-03-17\nBob,isms/policy,4.1,2026-03-18\nAda,isms/policy,4.1,2026-03-19\nAda,isms/policy,4.0,2025-03-17\nBob,hr/aup,1.4,2026-03-17\n";
        let parsed = parse(&mut csv.as_bytes()).unwrap();
        assert_eq!(
            serde_json::to_value(&parsed.summary).unwrap(),
            json!({"people": 2, "acknowledgements": 5, "policies": [
                {"policy": "hr/aup", "version": "1.4", "people": 1},
                {"policy": "isms/policy", "version": "4.0", "people": 1},
                {"policy": "isms/policy", "version": "4.1", "people": 2}],
              "first_date": "2025-03-17", "last_date": "2026-03-19"})
        );
        let Details::Acknowledgements {
            people,
            versions,
            truncated,
        } = parsed.details
        else {
            panic!("{:?}", parsed.details)
        };
        assert_eq!(people, ["Ada", "Bob"]);
        assert!(!truncated);
        assert_eq!(
            versions
                .iter()
                .map(|v| (v.policy.as_str(), v.version.as_str(), v.people.join("+")))
                .collect::<Vec<_>>(),
            [
                ("hr/aup", "1.4", "Bob".to_string()),
                ("isms/policy", "4.0", "Ada".to_string()),
                ("isms/policy", "4.1", "Ada+Bob".to_string())
            ]
        );
        assert!(parse(&mut &b"person,policy,date\n"[..]).is_err());
        assert_eq!(
            parse(&mut &b"person,policy,policy_version,date\n,p,1,2026-01-01\n"[..])
                .unwrap_err()
                .line,
            Some(2)
        );
    }
}
