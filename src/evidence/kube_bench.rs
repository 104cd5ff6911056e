//! kube-bench JSON: CIS checks by status (pass, fail, warn, info), counted
//! from the results, in the current shape (`{"Controls": [...], "Totals":
//! {...}}`), the older top-level list of controls, and a single control
//! object. The totals the report states are kept beside the counts: they
//! can disagree with the results.

use std::fmt;
use std::io::BufRead;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::common::{from_json_reader_seed, truncate, Parsed, Problem};
use super::details::{Details, FailingCheck, MAX_FAILING_CHECKS, MESSAGE_LEN};
use super::summary::{Checks, Summary};

pub fn parse(reader: &mut dyn BufRead) -> Result<Parsed, Problem> {
    let mut state = State::default();
    from_json_reader_seed(reader, ReportSeed(&mut state))?;
    let mut checks = state.failing;
    checks.extend(state.warning);
    checks.truncate(MAX_FAILING_CHECKS);
    let listed = state.checks.fail.saturating_add(state.checks.warn);
    Ok(Parsed {
        summary: Summary::Checks {
            checks: state.checks,
            reported: state.reported,
        },
        details: Details::Checks {
            omitted: listed.saturating_sub(checks.len() as u64),
            checks,
        },
        observed_at: None,
    })
}

#[derive(Default)]
struct State {
    checks: Checks,
    reported: Option<Checks>,
    failing: Vec<FailingCheck>,
    warning: Vec<FailingCheck>,
}

impl State {
    fn control(&mut self, control: Control) {
        for group in control.tests.unwrap_or_default() {
            self.group(group);
        }
        self.add_reported(Totals {
            total_pass: control.total_pass,
            total_fail: control.total_fail,
            total_warn: control.total_warn,
            total_info: control.total_info,
        });
    }

    fn group(&mut self, group: Group) {
        for check in group.results.unwrap_or_default() {
            let status = check.status.unwrap_or_default().to_ascii_lowercase();
            let (slot, list) = match status.as_str() {
                "pass" => (&mut self.checks.pass, None),
                "fail" => (&mut self.checks.fail, Some(&mut self.failing)),
                "warn" => (&mut self.checks.warn, Some(&mut self.warning)),
                "info" => (&mut self.checks.info, None),
                _ => continue,
            };
            *slot = slot.saturating_add(1);
            if let Some(list) = list {
                if list.len() < MAX_FAILING_CHECKS {
                    list.push(FailingCheck {
                        id: truncate(&check.test_number.unwrap_or_default(), MESSAGE_LEN),
                        description: truncate(&check.test_desc.unwrap_or_default(), MESSAGE_LEN),
                        status,
                    });
                }
            }
        }
    }

    fn add_reported(&mut self, totals: Totals) {
        if totals.is_empty() {
            return;
        }
        let reported = self.reported.get_or_insert_with(Checks::default);
        reported.pass = reported.pass.saturating_add(totals.total_pass.unwrap_or(0));
        reported.fail = reported.fail.saturating_add(totals.total_fail.unwrap_or(0));
        reported.warn = reported.warn.saturating_add(totals.total_warn.unwrap_or(0));
        reported.info = reported.info.saturating_add(totals.total_info.unwrap_or(0));
    }
}

#[derive(Deserialize)]
#[serde(field_identifier)]
enum ReportKey {
    Controls,
    Totals,
    #[serde(rename = "tests")]
    Tests,
    #[serde(rename = "total_pass")]
    TotalPass,
    #[serde(rename = "total_fail")]
    TotalFail,
    #[serde(rename = "total_warn")]
    TotalWarn,
    #[serde(rename = "total_info")]
    TotalInfo,
    #[serde(other)]
    Other,
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
        f.write_str("a kube-bench report (an object with Controls, or a list of controls)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(control) = seq.next_element::<Control>()? {
            self.0.control(control);
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.0;
        let mut shape = false;
        let mut totals = None;
        let mut control_totals = Totals::default();
        while let Some(key) = map.next_key::<ReportKey>()? {
            match key {
                ReportKey::Controls => {
                    let controls: Option<Vec<Control>> = map.next_value()?;
                    for control in controls.unwrap_or_default() {
                        state.control(control);
                    }
                    shape = true;
                }
                ReportKey::Totals => totals = map.next_value::<Option<Totals>>()?,
                ReportKey::Tests => {
                    // A single control object.
                    let groups: Option<Vec<Group>> = map.next_value()?;
                    for group in groups.unwrap_or_default() {
                        state.group(group);
                    }
                    shape = true;
                }
                ReportKey::TotalPass => control_totals.total_pass = map.next_value()?,
                ReportKey::TotalFail => control_totals.total_fail = map.next_value()?,
                ReportKey::TotalWarn => control_totals.total_warn = map.next_value()?,
                ReportKey::TotalInfo => control_totals.total_info = map.next_value()?,
                ReportKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !shape {
            return Err(de::Error::custom(
                "neither `Controls` nor `tests`: not a kube-bench JSON report",
            ));
        }
        match totals {
            // The report's own totals replace the sum of its controls'.
            Some(totals) if !totals.is_empty() => {
                state.reported = None;
                state.add_reported(totals);
            }
            _ => state.add_reported(control_totals),
        }
        Ok(())
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Control {
    tests: Option<Vec<Group>>,
    total_pass: Option<u64>,
    total_fail: Option<u64>,
    total_warn: Option<u64>,
    total_info: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Group {
    results: Option<Vec<Check>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Check {
    test_number: Option<String>,
    test_desc: Option<String>,
    status: Option<String>,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(default)]
struct Totals {
    total_pass: Option<u64>,
    total_fail: Option<u64>,
    total_warn: Option<u64>,
    total_info: Option<u64>,
}

impl Totals {
    fn is_empty(&self) -> bool {
        self.total_pass.is_none()
            && self.total_fail.is_none()
            && self.total_warn.is_none()
            && self.total_info.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(text: &str) -> (Checks, Option<Checks>) {
        match parse(&mut text.as_bytes()).unwrap().summary {
            Summary::Checks { checks, reported } => (checks, reported),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn counts_come_from_results_in_every_shape() {
        let results = r#"[{"section": "1.1", "results": [{"test_number": "1.1.1", "status": "PASS"},
            {"test_number": "1.1.2", "status": "FAIL"}, {"test_number": "1.1.3", "status": "WARN"}, {"status": "INFO"}]}]"#;
        let current = format!(
            r#"{{"Controls": [{{"id": "1", "tests": {results}, "total_pass": 1}}], "Totals": {{"total_pass": 9, "total_fail": 1, "total_warn": 1, "total_info": 1}}}}"#
        );
        let (checks, reported) = summary(&current);
        assert_eq!(
            checks,
            Checks {
                pass: 1,
                fail: 1,
                warn: 1,
                info: 1
            }
        );
        assert_eq!(reported.unwrap().pass, 9);
        let list = format!(
            r#"[{{"id": "1", "tests": {results}, "total_pass": 1, "total_fail": 1}}, {{"id": "2", "tests": null}}]"#
        );
        let (checks, reported) = summary(&list);
        assert_eq!(checks.fail, 1);
        assert_eq!(
            reported.unwrap(),
            Checks {
                pass: 1,
                fail: 1,
                warn: 0,
                info: 0
            }
        );
        let single = format!(r#"{{"id": "4", "node_type": "node", "tests": {results}}}"#);
        assert_eq!(summary(&single).0.warn, 1);
        assert!(parse(&mut &br#"{"id": "1"}"#[..]).is_err());
    }
}
