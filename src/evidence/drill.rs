//! Drill records: markdown with YAML front matter describing a
//! disaster-recovery trial or chaos experiment: scenario, date, RTO and RPO
//! targets and actuals in minutes, participants and outcome. `passed` is
//! the stated outcome, else derived: every actual given with its target is
//! within it (null when no pair is given).

use std::io::{BufRead, Read};

use serde_yaml_ng::Value;

use super::common::{truncate, Parsed, Problem};
use super::details::Details;
use super::summary::{PassedFrom, Summary};
use crate::redact::redact_text;

/// Bytes of the record read for its notes.
const MAX_RECORD: u64 = 256 * 1024;
/// Characters of notes kept.
const NOTES_LEN: usize = 4000;
const MAX_PARTICIPANTS: usize = 100;

pub fn parse(
    reader: &mut dyn BufRead,
    front_matter: Option<&(String, u32)>,
) -> Result<Parsed, Problem> {
    let Some((yaml, lines_before)) = front_matter else {
        return Err(Problem::new(
            Some(1),
            "a drill record needs YAML front matter",
        ));
    };
    let lines_before = *lines_before;
    let mut head = Vec::new();
    reader
        .take(MAX_RECORD)
        .read_to_end(&mut head)
        .map_err(|e| Problem::io(&e))?;
    let text = String::from_utf8_lossy(&head);
    let body = crate::workspace::split_front_matter(&text).map_or("", |(_, body, _)| body);
    let notes = redact_text(&truncate(body.trim(), NOTES_LEN))
        .0
        .into_owned();

    let record: Value = serde_yaml_ng::from_str(yaml).map_err(|error| {
        Problem::new(
            error.location().map(|l| {
                u32::try_from(l.line())
                    .unwrap_or(u32::MAX)
                    .saturating_add(lines_before)
            }),
            format!("front matter: {error}"),
        )
    })?;
    let Value::Mapping(record) = record else {
        return Err(Problem::new(
            Some(lines_before.saturating_add(1)),
            "the front matter is not a mapping of keys to values",
        ));
    };
    let field = Field {
        yaml,
        lines_before,
        record: &record,
    };

    let scenario = field.text("scenario")?;
    let date = match field.text("date")? {
        Some(text) => Some(
            crate::interval::parse_time(&text).map_err(|message| field.problem("date", message))?,
        ),
        None => None,
    };
    let rto_target = field.minutes("rto_target_min")?;
    let rto_actual = field.minutes("rto_actual_min")?;
    let rpo_target = field.minutes("rpo_target_min")?;
    let rpo_actual = field.minutes("rpo_actual_min")?;
    let stated = field.outcome()?;
    let participants = field.participants()?;

    let pairs: Vec<bool> = [(rto_actual, rto_target), (rpo_actual, rpo_target)]
        .into_iter()
        .filter_map(|pair| match pair {
            (Some(actual), Some(target)) => Some(actual <= target),
            _ => None,
        })
        .collect();
    let (passed, passed_from) = match stated {
        Some(passed) => (Some(passed), Some(PassedFrom::Outcome)),
        None if !pairs.is_empty() => (Some(pairs.iter().all(|&ok| ok)), Some(PassedFrom::Targets)),
        None => (None, None),
    };

    Ok(Parsed {
        summary: Summary::Drill {
            scenario,
            date: date.map(|d| d.format("%Y-%m-%d").to_string()),
            rto_target_min: rto_target,
            rto_actual_min: rto_actual,
            rpo_target_min: rpo_target,
            rpo_actual_min: rpo_actual,
            passed,
            passed_from,
        },
        details: Details::Drill {
            participants,
            notes,
        },
        observed_at: date,
    })
}

struct Field<'a> {
    yaml: &'a str,
    lines_before: u32,
    record: &'a serde_yaml_ng::Mapping,
}

impl Field<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.record.get(key).filter(|v| !v.is_null())
    }

    fn problem(&self, key: &str, message: impl Into<String>) -> Problem {
        let line = self
            .yaml
            .lines()
            .position(|line| {
                line.trim_start()
                    .strip_prefix(key)
                    .is_some_and(|rest| rest.trim_start().starts_with(':'))
            })
            .map(|i| super::common::line_u32(i as u64 + 1).saturating_add(self.lines_before));
        Problem::new(line, format!("`{key}`: {}", message.into()))
    }

    fn text(&self, key: &str) -> Result<Option<String>, Problem> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(self.problem(key, "expected text")),
        }
    }

    fn minutes(&self, key: &str) -> Result<Option<f64>, Problem> {
        let value = match self.get(key) {
            None => return Ok(None),
            Some(Value::Number(n)) => n.as_f64(),
            Some(Value::String(s)) => {
                let s = s.trim();
                let s = ["minutes", "minute", "mins", "min", "m"]
                    .iter()
                    .find_map(|unit| s.strip_suffix(unit))
                    .unwrap_or(s)
                    .trim();
                s.parse::<f64>().ok()
            }
            Some(_) => None,
        };
        match value {
            Some(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
            _ => Err(self.problem(key, "expected a number of minutes (0 or more)")),
        }
    }

    fn outcome(&self) -> Result<Option<bool>, Problem> {
        let text = match self.get("outcome") {
            None => return Ok(None),
            Some(Value::Bool(b)) => return Ok(Some(*b)),
            Some(Value::String(s)) => s.trim().to_ascii_lowercase(),
            Some(_) => String::new(),
        };
        match text.as_str() {
            "passed" | "pass" | "success" | "succeeded" | "met" => Ok(Some(true)),
            "failed" | "fail" | "failure" | "missed" | "not met" => Ok(Some(false)),
            _ => Err(self.problem("outcome", "expected `passed` or `failed`")),
        }
    }

    fn participants(&self) -> Result<Vec<String>, Problem> {
        let names: Vec<String> = match self.get("participants") {
            None => Vec::new(),
            Some(Value::String(s)) => s.split(',').map(|p| p.trim().to_string()).collect(),
            Some(Value::Sequence(items)) => items
                .iter()
                .filter_map(|item| match item {
                    Value::String(s) => Some(s.trim().to_string()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .collect(),
            Some(_) => return Err(self.problem("participants", "expected a list of names")),
        };
        Ok(names
            .into_iter()
            .filter(|n| !n.is_empty())
            .take(MAX_PARTICIPANTS)
            .map(|n| truncate(&n, 100))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_md(text: &str) -> Result<Parsed, Problem> {
        let (yaml, _, before) = crate::workspace::split_front_matter(text).unwrap();
        parse(&mut text.as_bytes(), Some(&(yaml.to_string(), before)))
    }

    fn passed(text: &str) -> (Option<bool>, Option<PassedFrom>) {
        match parse_md(text).unwrap().summary {
            Summary::Drill {
                passed,
                passed_from,
                ..
            } => (passed, passed_from),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn passed_is_stated_or_derived() {
        let base = "---\nscenario: Region loss\ndate: 2026-03-14\nrto_target_min: 60\nrto_actual_min: 42\nrpo_target_min: 15\n";
        assert_eq!(
            passed(&format!("{base}rpo_actual_min: 5\n---\n")),
            (Some(true), Some(PassedFrom::Targets))
        );
        assert_eq!(
            passed(&format!("{base}rpo_actual_min: \"20 min\"\n---\n")),
            (Some(false), Some(PassedFrom::Targets))
        );
        assert_eq!(
            passed(&format!("{base}outcome: failed\n---\n")).0,
            Some(false)
        );
        assert_eq!(
            passed("---\nscenario: x\nrto_target_min: 5\n---\n"),
            (None, None)
        );
    }

    #[test]
    fn participants_notes_and_date() {
        let record = "---\nkind: drill\nscenario: DB restore\ndate: 2026-01-10\nparticipants: [A. Ng, B. Ortiz]\n---\nRestored. password=hunter2hunter2\n";
        let parsed = parse_md(record).unwrap();
        assert_eq!(
            parsed.details,
            Details::Drill {
                participants: vec!["A. Ng".into(), "B. Ortiz".into()],
                notes: "Restored. password=[REDACTED:secret]".into()
            }
        );
        assert_eq!(
            parsed.observed_at.unwrap().to_rfc3339(),
            "2026-01-10T00:00:00+00:00"
        );
    }

    #[test]
    fn bad_values_name_their_line() {
        let problem = parse_md("---\nscenario: x\nrto_target_min: soon\n---\n").unwrap_err();
        assert_eq!(problem.line, Some(3));
        assert!(problem.message.contains("rto_target_min"), "{problem:?}");
        let problem = parse_md("---\nscenario: x\noutcome: maybe\n---\n").unwrap_err();
        assert_eq!(problem.line, Some(3));
        let problem = parse_md("---\nscenario: x\ndate: 14/03/2026\n---\n").unwrap_err();
        assert_eq!(problem.line, Some(3));
        assert!(parse_md("---\nscenario: [unclosed\n---\n").is_err());
        assert!(parse_md("---\nrto_target_min: -5\nscenario: s\n---\n").is_err());
        assert!(parse_md("---\nrto_target_min: .nan\nscenario: s\n---\n").is_err());
    }
}
