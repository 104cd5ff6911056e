//! JUnit XML in its dialects (Surefire, pytest, jest-junit,
//! go-junit-report, nextest, mocha): tests passed, failed, errored and
//! skipped, counted from the `<testcase>` elements (never from the suites'
//! attributes, which writers get wrong), with a bare `<testsuite>` or a
//! `<testsuites>` root and suites nested to any depth.
//!
//! A test case is failed when it has a `<failure>` child, errored with an
//! `<error>` child (the first of the two wins), skipped with a `<skipped>`
//! child and neither, else passed. Retries (nextest's `flakyFailure`,
//! Surefire's `rerunFailure`) do not change the outcome. Streamed with
//! quick-xml: memory holds the open suites and the current test case.

use std::borrow::Cow;
use std::io::{self, BufRead, Read};

use chrono::{DateTime, Utc};
use quick_xml::events::{BytesStart, Event};

use super::common::{latest, parse_timestamp, skip_bom, truncate, Parsed, Problem};
use super::details::{Details, FailingTest, TestOutcome, MAX_FAILING_TESTS, MESSAGE_LEN};
use super::summary::{Summary, Tests};
use crate::redact::redact_text;

/// Deeper nesting than this is not a test report.
const MAX_DEPTH: usize = 1000;

pub fn parse(reader: &mut dyn BufRead) -> Result<Parsed, Problem> {
    skip_bom(reader).map_err(|e| Problem::io(&e))?;
    let mut xml = quick_xml::Reader::from_reader(LineCounter {
        inner: reader,
        newlines: 0,
    });
    let mut state = State::default();
    let mut buf = Vec::new();
    loop {
        let event = match xml.read_event_into(&mut buf) {
            Ok(event) => event,
            Err(error) => {
                let line = xml.get_ref().newlines.saturating_add(1);
                return Err(match error {
                    quick_xml::Error::Io(error) => Problem::io(&error),
                    error => Problem::at(line, format!("not well-formed XML: {error}")),
                });
            }
        };
        let line = xml.get_ref().newlines.saturating_add(1);
        match event {
            Event::Start(element) => {
                state.start(&element, false, line)?;
            }
            Event::Empty(element) => {
                state.start(&element, true, line)?;
            }
            Event::End(element) => state.end(element.local_name().as_ref()),
            Event::Text(text) if state.collecting.is_some() => {
                let raw = String::from_utf8_lossy(&text);
                let text = quick_xml::escape::unescape(&raw).unwrap_or(Cow::Borrowed(&raw));
                state.collect(&text);
            }
            Event::CData(text) if state.collecting.is_some() => {
                state.collect(&String::from_utf8_lossy(&text));
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !state.root_seen {
        return Err(Problem::new(
            None,
            "no root element: not a JUnit XML report",
        ));
    }
    if state.depth > 0 {
        let line = xml.get_ref().newlines.saturating_add(1);
        return Err(Problem::at(
            line,
            format!(
                "unexpected end of file with {} element{} not closed",
                state.depth,
                if state.depth == 1 { "" } else { "s" }
            ),
        ));
    }
    let listed = state.tests.failed.saturating_add(state.tests.errored);
    Ok(Parsed {
        summary: Summary::Tests {
            tests: state.tests,
            suites: state.suites,
        },
        details: Details::Tests {
            omitted: listed.saturating_sub(state.failing.len() as u64),
            failing: state.failing,
        },
        observed_at: state.observed_at,
    })
}

#[derive(Default)]
struct State {
    root_seen: bool,
    depth: usize,
    suites: u64,
    /// Names of the open suites (innermost last).
    suite_names: Vec<String>,
    case: Option<Case>,
    /// The depth of the `<failure>`/`<error>` whose text is the message.
    collecting: Option<usize>,
    tests: Tests,
    failing: Vec<FailingTest>,
    observed_at: Option<DateTime<Utc>>,
}

struct Case {
    depth: usize,
    name: String,
    classname: Option<String>,
    suite: Option<String>,
    outcome: Outcome,
    message: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Passed,
    Failed,
    Errored,
    Skipped,
}

impl State {
    fn start(&mut self, element: &BytesStart, empty: bool, line: u64) -> Result<(), Problem> {
        let name = element.local_name();
        let name = name.as_ref();
        if !self.root_seen {
            if name != b"testsuites" && name != b"testsuite" {
                return Err(Problem::at(
                    line,
                    format!(
                        "the root element is <{}>, not <testsuites> or <testsuite>",
                        String::from_utf8_lossy(name)
                    ),
                ));
            }
            self.root_seen = true;
        }
        if !empty {
            self.depth += 1;
            if self.depth > MAX_DEPTH {
                return Err(Problem::at(
                    line,
                    format!("elements nested more than {MAX_DEPTH} deep"),
                ));
            }
        }
        match name {
            b"testsuites" => {
                let attrs = attributes(element, line, &["timestamp"])?;
                self.observed_at = latest(
                    self.observed_at,
                    attrs[0].as_deref().and_then(parse_timestamp),
                );
            }
            b"testsuite" => {
                let attrs = attributes(element, line, &["name", "timestamp"])?;
                self.suites = self.suites.saturating_add(1);
                self.observed_at = latest(
                    self.observed_at,
                    attrs[1].as_deref().and_then(parse_timestamp),
                );
                if !empty {
                    let [name, _] = attrs;
                    self.suite_names.push(name.unwrap_or_default());
                }
            }
            b"testcase" if self.case.is_none() => {
                let [name, classname] = attributes(element, line, &["name", "classname"])?;
                let case = Case {
                    depth: self.depth,
                    name: name.unwrap_or_else(|| "(unnamed)".to_string()),
                    classname,
                    suite: self.suite_names.last().filter(|s| !s.is_empty()).cloned(),
                    outcome: Outcome::Passed,
                    message: None,
                };
                if empty {
                    self.finish(case);
                } else {
                    self.case = Some(case);
                }
            }
            b"failure" | b"error" | b"skipped" => {
                let Some(case) = &mut self.case else {
                    return Ok(());
                };
                // Only the test case's own children count.
                let child_depth = if empty { self.depth + 1 } else { self.depth };
                if child_depth != case.depth + 1 {
                    return Ok(());
                }
                let outcome = match name {
                    b"failure" => Outcome::Failed,
                    b"error" => Outcome::Errored,
                    _ => Outcome::Skipped,
                };
                match (case.outcome, outcome) {
                    (Outcome::Passed | Outcome::Skipped, Outcome::Failed | Outcome::Errored) => {
                        case.outcome = outcome;
                        let [message] = attributes(element, line, &["message"])?;
                        case.message = message
                            .filter(|m| !m.trim().is_empty())
                            .map(|m| truncate(m.trim(), MESSAGE_LEN));
                        if case.message.is_none() && !empty {
                            self.collecting = Some(self.depth);
                        }
                    }
                    (Outcome::Passed, Outcome::Skipped) => case.outcome = Outcome::Skipped,
                    _ => {}
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn collect(&mut self, text: &str) {
        let Some(case) = &mut self.case else { return };
        let message = case.message.get_or_insert_with(String::new);
        if message.chars().count() < MESSAGE_LEN {
            message.push_str(text);
            if message.len() > 4 * MESSAGE_LEN {
                *message = truncate(message, MESSAGE_LEN);
            }
        }
    }

    fn end(&mut self, name: &[u8]) {
        if self.collecting == Some(self.depth) {
            self.collecting = None;
        }
        match name {
            b"testsuite" => {
                self.suite_names.pop();
            }
            b"testcase" if self.case.as_ref().is_some_and(|c| c.depth == self.depth) => {
                if let Some(case) = self.case.take() {
                    self.finish(case);
                }
            }
            _ => {}
        }
        self.depth = self.depth.saturating_sub(1);
    }

    fn finish(&mut self, case: Case) {
        let (slot, outcome) = match case.outcome {
            Outcome::Passed => (&mut self.tests.passed, None),
            Outcome::Skipped => (&mut self.tests.skipped, None),
            Outcome::Failed => (&mut self.tests.failed, Some(TestOutcome::Failed)),
            Outcome::Errored => (&mut self.tests.errored, Some(TestOutcome::Errored)),
        };
        *slot = slot.saturating_add(1);
        if let Some(outcome) = outcome {
            if self.failing.len() < MAX_FAILING_TESTS {
                let message = case
                    .message
                    .map(|m| truncate(m.trim(), MESSAGE_LEN))
                    .filter(|m| !m.is_empty())
                    .map(|m| redact_text(&m).0.into_owned());
                self.failing.push(FailingTest {
                    suite: case.suite,
                    classname: case.classname,
                    name: case.name,
                    outcome,
                    message,
                });
            }
        }
    }
}

/// The values of the named attributes (unescaped; raw when an entity is
/// unknown), in the order asked.
fn attributes<const N: usize>(
    element: &BytesStart,
    line: u64,
    names: &[&str; N],
) -> Result<[Option<String>; N], Problem> {
    let mut values: [Option<String>; N] = std::array::from_fn(|_| None);
    for attribute in element.attributes() {
        let attribute =
            attribute.map_err(|e| Problem::at(line, format!("not well-formed XML: {e}")))?;
        let key = attribute.key.local_name();
        let Some(i) = names.iter().position(|n| n.as_bytes() == key.as_ref()) else {
            continue;
        };
        let value = match attribute.unescape_value() {
            Ok(value) => value.into_owned(),
            Err(_) => String::from_utf8_lossy(&attribute.value).into_owned(),
        };
        if let Some(slot) = values.get_mut(i) {
            *slot = Some(value);
        }
    }
    Ok(values)
}

/// Counts the newlines the XML reader consumes, for error positions.
struct LineCounter<'a> {
    inner: &'a mut dyn BufRead,
    newlines: u64,
}

impl Read for LineCounter<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let read = buf.get(..n).unwrap_or_default();
        self.newlines = self.newlines.saturating_add(count_newlines(read));
        Ok(n)
    }
}

impl BufRead for LineCounter<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let consumed = buf.get(..amount.min(buf.len())).unwrap_or_default();
            self.newlines = self.newlines.saturating_add(count_newlines(consumed));
        }
        self.inner.consume(amount);
    }
}

fn count_newlines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Parsed, Problem> {
        parse(&mut text.as_bytes())
    }

    fn tests(text: &str) -> Tests {
        match parse_str(text).unwrap().summary {
            Summary::Tests { tests, .. } => tests,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn outcomes_come_from_test_cases() {
        let xml = r#"<?xml version="1.0"?>
<testsuites tests="99" failures="0">
  <testsuite name="outer" timestamp="2026-01-01T10:00:00">
    <testsuite name="inner">
      <testcase name="ok"/>
      <testcase name="fails" classname="C"><failure message="boom">trace</failure></testcase>
      <testcase name="errs"><error>exception &amp; trace</error></testcase>
      <testcase name="skips"><skipped/></testcase>
      <testcase name="flaky"><flakyFailure>retry</flakyFailure><system-out>x</system-out></testcase>
    </testsuite>
    <testcase name="both"><failure/><error/></testcase>
  </testsuite>
</testsuites>"#;
        let parsed = parse_str(xml).unwrap();
        assert_eq!(
            parsed.summary,
            Summary::Tests {
                tests: Tests {
                    passed: 2,
                    failed: 2,
                    errored: 1,
                    skipped: 1
                },
                suites: 2
            }
        );
        let Details::Tests { failing, omitted } = parsed.details else {
            panic!()
        };
        assert_eq!(omitted, 0);
        assert_eq!(failing[0].name, "fails");
        assert_eq!(failing[0].suite.as_deref(), Some("inner"));
        assert_eq!(failing[0].message.as_deref(), Some("boom"));
        assert_eq!(failing[1].message.as_deref(), Some("exception & trace"));
        assert_eq!(failing[2].suite.as_deref(), Some("outer"));
        assert_eq!(
            parsed.observed_at.unwrap().to_rfc3339(),
            "2026-01-01T10:00:00+00:00"
        );
    }

    #[test]
    fn a_bare_testsuite_root_and_empty_reports() {
        assert_eq!(
            tests("<testsuite name='s'><testcase name='a'></testcase></testsuite>").passed,
            1
        );
        assert_eq!(tests("<testsuites/>").passed, 0);
        assert_eq!(tests("\u{feff}<testsuite/>").total(), 0);
    }

    #[test]
    fn broken_xml_is_a_problem_with_a_line() {
        let problem = parse_str("<testsuites>\n<testsuite>\n<testcase>\n</testsuite>").unwrap_err();
        assert_eq!(problem.line, Some(4), "{problem:?}");
        let problem = parse_str("<html><testsuite/></html>").unwrap_err();
        assert!(problem.message.contains("<html>"), "{problem:?}");
        assert!(parse_str("<?xml version='1.0'?>").is_err());
        let problem = parse_str("<testsuites>\n<testsuite>\n<testcase name='a'/>\n").unwrap_err();
        assert_eq!(problem.line, Some(4), "{problem:?}");
        assert!(
            problem.message.contains("2 elements not closed"),
            "{problem:?}"
        );
        let deep = format!("<testsuites>{}", "<testsuite>".repeat(2000));
        assert!(parse_str(&deep).unwrap_err().message.contains("nested"));
    }
}
