//! CI logs: GitHub Actions raw job logs (each line prefixed with an RFC 3339
//! timestamp, `##[group]`, `##[endgroup]`, `##[error]`, `##[warning]`
//! markers) and plain text. Counts lines, error and warning lines and the
//! secrets redacted, and reads the outcome from the closing lines.
//!
//! Streamed line by line into one reused buffer: lines longer than
//! [`MAX_LINE`] are cut (the rest is skipped, unread by the counters and
//! the redactor), invalid UTF-8 is read lossily, and memory holds only a
//! few recent lines and at most [`MAX_EXCERPTS`] excerpts.
//!
//! Error lines: in a GitHub Actions log, its `##[error]` annotations (the
//! other lines are tool output and echoed scripts, where words like
//! `ERROR` are no verdict); in plain text, lines that start with `error:`,
//! `error[`, `fatal:`, `fatal error`, `[error]` or `npm ERR!` (any case,
//! after indentation and colour codes), or hold `ERROR` or `FATAL` as a
//! word. Warnings likewise (`##[warning]`; `warning:`, `WARN`/`WARNING`).
//!
//! The outcome, from the last lines backwards: "Job succeeded" /
//! "Job failed" (GitLab), "Finished: SUCCESS|FAILURE|…" (Jenkins), Maven and
//! Gradle's "BUILD SUCCESS|FAILURE", "Process completed with exit code N",
//! a cancellation; else, for a GitHub Actions job log that ran to its end
//! ("Cleaning up orphan processes"), failure if a step failed
//! (`##[error]Process completed with exit code N`, N ≠ 0) and success if
//! none did; else failure if a step failed, else unknown.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::io::{self, BufRead};

use super::common::{parse_timestamp, Parsed, Problem};
use super::details::{Details, Excerpt, ExcerptLine, MAX_EXCERPTS};
use super::summary::{Outcome, Summary};
use crate::redact::Redactor;

/// Bytes of a line that are read; the rest of a longer line is skipped.
pub const MAX_LINE: usize = 64 * 1024;
/// Lines of context before and after an error line in an excerpt.
const CONTEXT: usize = 3;
/// The most lines one excerpt holds.
const MAX_EXCERPT_LINES: usize = 40;
/// Characters of a line kept for display.
const DISPLAY_LEN: usize = 300;
/// The closing lines the outcome is read from.
const CLOSING_LINES: usize = 20;

pub fn parse(reader: &mut dyn BufRead) -> Result<Parsed, Problem> {
    let mut redactor = Redactor::new();
    let mut raw = Vec::with_capacity(8 * 1024);
    let mut log = Log::default();
    while read_line(reader, &mut raw, MAX_LINE).map_err(|e| Problem::io(&e))? {
        log.line(&raw, &mut redactor);
    }
    Ok(log.finish())
}

/// Reads one line into `line` (newline included), keeping at most `cap`
/// bytes of it and skipping the rest. False at the end of input.
pub fn read_line(reader: &mut dyn BufRead, line: &mut Vec<u8>, cap: usize) -> io::Result<bool> {
    line.clear();
    let mut any = false;
    loop {
        let available = match reader.fill_buf() {
            Ok(buf) => buf,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        if available.is_empty() {
            return Ok(any);
        }
        any = true;
        let room = cap.saturating_sub(line.len());
        if room == 0 {
            // Past the cap: skip to the end of the line.
            match available.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    reader.consume(i + 1);
                    return Ok(true);
                }
                None => {
                    let n = available.len();
                    reader.consume(n);
                    continue;
                }
            }
        }
        let window = available.get(..room).unwrap_or(available);
        let used = memchr::memchr(b'\n', window).map_or(window.len(), |i| i + 1);
        line.extend_from_slice(&window[..used]);
        reader.consume(used);
        if line.last() == Some(&b'\n') {
            return Ok(true);
        }
    }
}

#[derive(Default)]
struct Log {
    lines: u64,
    errors: u64,
    warnings: u64,
    redacted: u64,
    /// Whether the log has GitHub Actions timestamps or markers.
    actions: bool,
    /// A step ended with a non-zero exit code, or the job was cancelled.
    step_failed: bool,
    last_timestamp: String,
    /// The last non-empty lines, oldest first.
    closing: VecDeque<String>,
    /// The lines just before the current one, for an excerpt's context.
    before: VecDeque<ExcerptLine>,
    current: Option<(Excerpt, usize)>,
    excerpts: Vec<Excerpt>,
    omitted_errors: u64,
}

impl Log {
    fn line(&mut self, raw: &[u8], redactor: &mut Redactor) {
        self.lines = self.lines.saturating_add(1);
        let bytes = raw.strip_suffix(b"\n").unwrap_or(raw);
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let text = super::common::lossy_utf8(bytes);
        let (timestamp, content) = split_timestamp(&text);
        if let Some(timestamp) = timestamp {
            self.actions = true;
            self.last_timestamp.clear();
            self.last_timestamp.push_str(timestamp);
        }
        let (marker, body) = split_marker(content);
        if marker.is_some() {
            self.actions = true;
        }
        let (body, redactions) = redactor.redact_line(body);
        self.redacted = self.redacted.saturating_add(redactions as u64);
        // GitHub Actions marks its errors and warnings; in its logs other
        // lines are tool output and echoed scripts, not judged by words.
        let error = match marker {
            Some(marker) => marker == "error",
            None => !self.actions && looks_like_error(&body),
        };
        let warning = !error
            && match marker {
                Some(marker) => marker == "warning",
                None => !self.actions && looks_like_warning(&body),
            };
        if error {
            self.errors = self.errors.saturating_add(1);
            if marker.is_some() && step_failure(&body) {
                self.step_failed = true;
            }
        }
        if warning {
            self.warnings = self.warnings.saturating_add(1);
        }
        if !body.trim().is_empty() {
            let mut slot = if self.closing.len() >= CLOSING_LINES {
                self.closing.pop_front().unwrap_or_default()
            } else {
                String::new()
            };
            slot.clear();
            push_display(&mut slot, &body);
            self.closing.push_back(slot);
        }
        self.excerpt(&body, error);
    }

    /// Keeps the context around error lines.
    fn excerpt(&mut self, body: &str, error: bool) {
        if let Some((excerpt, after)) = &mut self.current {
            excerpt.lines.push(display_line(self.lines, body, error));
            *after = if error {
                CONTEXT
            } else {
                after.saturating_sub(1)
            };
            if *after == 0 || excerpt.lines.len() >= MAX_EXCERPT_LINES {
                if let Some((excerpt, _)) = self.current.take() {
                    self.excerpts.push(excerpt);
                }
            }
            return;
        }
        if self.excerpts.len() >= MAX_EXCERPTS {
            if error {
                self.omitted_errors = self.omitted_errors.saturating_add(1);
            }
            return;
        }
        if error {
            let mut lines: Vec<ExcerptLine> = self.before.drain(..).collect();
            lines.push(display_line(self.lines, body, true));
            self.current = Some((Excerpt { lines }, CONTEXT));
            return;
        }
        let mut slot = if self.before.len() >= CONTEXT {
            self.before.pop_front().unwrap_or_else(empty_line)
        } else {
            empty_line()
        };
        slot.number = self.lines;
        slot.error = false;
        slot.text.clear();
        push_display(&mut slot.text, body);
        self.before.push_back(slot);
    }

    fn finish(mut self) -> Parsed {
        if let Some((excerpt, _)) = self.current.take() {
            self.excerpts.push(excerpt);
        }
        let outcome = self.outcome();
        Parsed {
            summary: Summary::Log {
                lines: self.lines,
                errors: self.errors,
                warnings: self.warnings,
                redacted: self.redacted,
                outcome,
            },
            details: Details::Log {
                excerpts: self.excerpts,
                omitted: self.omitted_errors,
            },
            observed_at: parse_timestamp(&self.last_timestamp),
        }
    }

    fn outcome(&self) -> Outcome {
        for line in self.closing.iter().rev() {
            if let Some(outcome) = closing_signal(line) {
                return outcome;
            }
        }
        let ran_to_end = self
            .closing
            .iter()
            .any(|l| l.trim() == "Cleaning up orphan processes");
        if self.step_failed {
            Outcome::Failure
        } else if self.actions && ran_to_end {
            Outcome::Success
        } else {
            Outcome::Unknown
        }
    }
}

fn empty_line() -> ExcerptLine {
    ExcerptLine {
        number: 0,
        text: String::new(),
        error: false,
    }
}

fn display_line(number: u64, body: &str, error: bool) -> ExcerptLine {
    let mut text = String::new();
    push_display(&mut text, body);
    ExcerptLine {
        number,
        text,
        error,
    }
}

/// Appends `text` without colour codes (ESC [ parameters final-byte).
fn push_plain(out: &mut String, text: &str) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
}

/// Appends `body` without colour codes, cut to [`DISPLAY_LEN`] characters.
fn push_display(out: &mut String, body: &str) {
    let start = out.len();
    if body.contains('\x1b') {
        push_plain(out, body);
    } else {
        out.push_str(body);
    }
    if out.len() - start > DISPLAY_LEN {
        if let Some((cut, _)) = out[start..].char_indices().nth(DISPLAY_LEN) {
            out.truncate(start + cut);
            out.push('…');
        }
    }
}

/// Splits a leading RFC 3339 timestamp and its space from a line.
fn split_timestamp(line: &str) -> (Option<&str>, &str) {
    let b = line.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range)
            .is_some_and(|s| s.iter().all(u8::is_ascii_digit))
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(digits(0..4)
        && at(4, b'-')
        && digits(5..7)
        && at(7, b'-')
        && digits(8..10)
        && at(10, b'T')
        && digits(11..13)
        && at(13, b':')
        && digits(14..16)
        && at(16, b':')
        && digits(17..19))
    {
        return (None, line);
    }
    let mut i = 19;
    if at(i, b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if at(i, b'Z') {
        i += 1;
    } else if (at(i, b'+') || at(i, b'-')) && digits(i + 1..i + 3) && at(i + 3, b':') {
        i += 6;
    } else {
        return (None, line);
    }
    match b.get(i) {
        None => (line.get(..i), ""),
        Some(b' ') => (line.get(..i), line.get(i + 1..).unwrap_or("")),
        Some(_) => (None, line),
    }
}

/// Splits a `##[name]` workflow marker from a line's content.
fn split_marker(content: &str) -> (Option<&str>, &str) {
    if let Some(rest) = content.strip_prefix("##[") {
        if let Some(end) = rest
            .get(..rest.len().min(24))
            .and_then(|head| head.find(']'))
        {
            return (rest.get(..end), rest.get(end + 1..).unwrap_or(""));
        }
    }
    (None, content)
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.as_bytes()
        .get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix.as_bytes()))
}

/// Whether `word` occurs in `text` as a whole word (in its case).
fn has_word(text: &str, word: &str) -> bool {
    if !text.contains(word) {
        return false;
    }
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    text.match_indices(word).any(|(at, _)| {
        let before = at.checked_sub(1).and_then(|i| bytes.get(i));
        let after = bytes.get(at + word.len());
        !before.is_some_and(|&b| is_word(b)) && !after.is_some_and(|&b| is_word(b))
    })
}

/// `text` without colour codes (CSI sequences).
fn strip_ansi(text: &str) -> Cow<'_, str> {
    if !text.contains('\x1b') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    push_plain(&mut out, text);
    Cow::Owned(out)
}

fn looks_like_error(body: &str) -> bool {
    let plain = strip_ansi(body);
    let lead = plain.trim_start();
    ["error:", "error[", "fatal:", "fatal error", "[error]"]
        .iter()
        .any(|p| starts_with_ignore_case(lead, p))
        || lead.starts_with("npm ERR!")
        || has_word(&plain, "ERROR")
        || has_word(&plain, "FATAL")
}

fn looks_like_warning(body: &str) -> bool {
    let plain = strip_ansi(body);
    let lead = plain.trim_start();
    ["warning:", "[warning]", "warn:", "[warn]"]
        .iter()
        .any(|p| starts_with_ignore_case(lead, p))
        || has_word(&plain, "WARNING")
        || has_word(&plain, "WARN")
}

/// An `##[error]` annotation that says a step failed or the job stopped.
fn step_failure(body: &str) -> bool {
    match exit_code(body) {
        Some(code) => code != 0,
        None => cancelled(body),
    }
}

fn exit_code(line: &str) -> Option<i64> {
    const NEEDLE: &str = "Process completed with exit code ";
    let rest = line.get(line.find(NEEDLE)? + NEEDLE.len()..)?;
    let digits: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    digits.parse().ok()
}

fn cancelled(line: &str) -> bool {
    line.contains("The operation was canceled")
        || line.contains("The job was canceled")
        || line.contains("has exceeded the maximum execution time")
}

/// What a closing line says about the outcome, if anything.
fn closing_signal(line: &str) -> Option<Outcome> {
    let line = line.trim();
    if line.contains("Job succeeded") {
        return Some(Outcome::Success);
    }
    if line.contains("Job failed") {
        return Some(Outcome::Failure);
    }
    if let Some(result) = line.strip_prefix("Finished: ") {
        return Some(if result.trim() == "SUCCESS" {
            Outcome::Success
        } else {
            Outcome::Failure
        });
    }
    if line.contains("BUILD SUCCESS") {
        return Some(Outcome::Success);
    }
    if line.contains("BUILD FAILURE") || line.contains("BUILD FAILED") {
        return Some(Outcome::Failure);
    }
    if let Some(code) = exit_code(line) {
        return Some(if code == 0 {
            Outcome::Success
        } else {
            Outcome::Failure
        });
    }
    if cancelled(line) {
        return Some(Outcome::Failure);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_bytes(bytes: &[u8]) -> Parsed {
        parse(&mut &bytes[..]).unwrap()
    }

    fn summary(text: &str) -> (u64, u64, u64, Outcome) {
        match parse_bytes(text.as_bytes()).summary {
            Summary::Log {
                lines,
                errors,
                redacted,
                outcome,
                ..
            } => (lines, errors, redacted, outcome),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn github_actions_logs() {
        let log = "\
2026-01-01T10:00:00.0000000Z ##[group]Run tests
2026-01-01T10:00:01.0000000Z cargo test --token=ghp_abcdefghijklmnopqrstuvwxyz0123456789
2026-01-01T10:00:02.0000000Z ##[endgroup]
2026-01-01T10:00:03.0000000Z error: could not compile `app`
2026-01-01T10:00:04.0000000Z ##[error]Process completed with exit code 101.
2026-01-01T10:00:05.0000000Z Post job cleanup.
2026-01-01T10:00:06.1234567Z Cleaning up orphan processes
";
        // `error:` is tool output here; the annotation is the error line.
        assert_eq!(summary(log), (7, 1, 1, Outcome::Failure));
        let parsed = parse_bytes(log.as_bytes());
        assert_eq!(
            parsed.observed_at.unwrap().to_rfc3339(),
            "2026-01-01T10:00:06.123456700+00:00"
        );
        let Details::Log { excerpts, omitted } = parsed.details else {
            panic!()
        };
        assert_eq!(omitted, 0);
        assert_eq!(excerpts.len(), 1);
        let lines: Vec<(u64, &str, bool)> = excerpts[0]
            .lines
            .iter()
            .map(|l| (l.number, l.text.as_str(), l.error))
            .collect();
        assert_eq!(
            lines,
            vec![
                (2, "cargo test --token=[REDACTED:github-token]", false),
                (3, "", false),
                (4, "error: could not compile `app`", false),
                (5, "Process completed with exit code 101.", true),
                (6, "Post job cleanup.", false),
                (7, "Cleaning up orphan processes", false),
            ]
        );

        let ok = "2026-01-01T10:00:00Z ##[group]Run x\n2026-01-01T10:00:01Z ##[endgroup]\n2026-01-01T10:00:02Z Cleaning up orphan processes\n";
        assert_eq!(summary(ok).3, Outcome::Success);
    }

    #[test]
    fn plain_text_outcomes() {
        assert_eq!(summary("build\nJob succeeded\n").3, Outcome::Success);
        assert_eq!(
            summary("ERROR: Job failed: exit code 1\n").3,
            Outcome::Failure
        );
        assert_eq!(summary("x\nFinished: UNSTABLE\n\n").3, Outcome::Failure);
        assert_eq!(summary("[INFO] BUILD SUCCESS\n").3, Outcome::Success);
        assert_eq!(summary("just text\n").3, Outcome::Unknown);
        assert_eq!(summary("").0, 0);
        assert_eq!(summary("no newline at end").0, 1);
    }

    #[test]
    fn error_lines_are_recognised_without_false_alarms() {
        for line in [
            "error: linking failed",
            "Error: Cannot find module 'x'",
            "  \x1b[31merror\x1b[0m[E0308]: mismatched types",
            "2026-01-01 12:00:00 ERROR db down",
            "[ERROR] Failed to execute goal",
            "fatal: not a git repository",
            "npm ERR! code ELIFECYCLE",
        ] {
            assert_eq!(summary(line).1, 1, "{line}");
        }
        for line in [
            "0 errors, 0 warnings",
            "we should error out here",
            "-Werror=format",
            "ERROR_CODE=0",
            "test errors::tests::display ... ok",
        ] {
            assert_eq!(summary(line).1, 0, "{line}");
        }
    }

    #[test]
    fn crlf_invalid_utf8_and_long_lines() {
        let mut bytes = b"a\r\nb \xff\xfe password=hunter2hunter2\r\n".to_vec();
        bytes.extend(std::iter::repeat_n(b'x', 3 * MAX_LINE));
        bytes.extend(b"\nERROR end\n");
        let parsed = parse_bytes(&bytes);
        let Summary::Log {
            lines,
            errors,
            redacted,
            ..
        } = parsed.summary
        else {
            panic!()
        };
        assert_eq!((lines, errors, redacted), (4, 1, 1));
        let Details::Log { excerpts, .. } = parsed.details else {
            panic!()
        };
        let texts: Vec<&str> = excerpts[0].lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts[0], "a");
        assert_eq!(texts[1], "b \u{fffd}\u{fffd} password=[REDACTED:secret]");
        assert!(texts[2].chars().count() <= DISPLAY_LEN + 1);
    }

    #[test]
    fn excerpts_are_capped() {
        let log: String = (0..1000)
            .map(|i| format!("line {i}\nERROR {i}\n"))
            .collect();
        let parsed = parse_bytes(log.as_bytes());
        let Details::Log { excerpts, omitted } = parsed.details else {
            panic!()
        };
        assert_eq!(excerpts.len(), MAX_EXCERPTS);
        assert!(excerpts.iter().all(|e| e.lines.len() <= MAX_EXCERPT_LINES));
        let shown: usize = excerpts
            .iter()
            .map(|e| e.lines.iter().filter(|l| l.error).count())
            .sum();
        assert_eq!(shown as u64 + omitted, 1000);
    }

    #[test]
    fn timestamps_split_only_when_whole() {
        assert_eq!(
            split_timestamp("2024-07-08T16:48:09.3750041Z Current runner"),
            (Some("2024-07-08T16:48:09.3750041Z"), "Current runner")
        );
        assert_eq!(
            split_timestamp("2024-07-08T16:48:09+02:00 x"),
            (Some("2024-07-08T16:48:09+02:00"), "x")
        );
        assert_eq!(
            split_timestamp("2024-07-08 build"),
            (None, "2024-07-08 build")
        );
        assert_eq!(
            split_timestamp("2024-07-08T16:48:09Zx"),
            (None, "2024-07-08T16:48:09Zx")
        );
        assert_eq!(split_marker("##[error]boom"), (Some("error"), "boom"));
        assert_eq!(split_marker("##[nope"), (None, "##[nope"));
    }
}
