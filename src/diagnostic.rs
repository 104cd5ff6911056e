//! Findings as data: every problem auditbook reports about a workspace is a
//! [`Diagnostic`] with a stable [`Code`], a severity, and where it was found.
//!
//! Codes are a public contract (scripts match on them in `check --format
//! json`), so they are listed once, here, and snapshot-tested.

use std::fmt;

use serde::Serialize;

/// How bad a finding is. Errors make `check` fail; warnings only under
/// `--strict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

macro_rules! codes {
    ($( $(#[doc = $doc:literal])+ $variant:ident = $name:literal, $severity:ident; )+) => {
        /// Every kind of finding auditbook can report.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $( $(#[doc = $doc])+ $variant, )+
        }

        impl Code {
            /// All codes, in the order they are documented.
            pub const ALL: &'static [Code] = &[$(Code::$variant),+];

            /// The stable kebab-case name used in output.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $name,)+ }
            }

            /// The severity a finding of this code has.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity,)+ }
            }

            /// One line saying what the code means.
            pub fn description(self) -> &'static str {
                match self { $(Code::$variant => concat!($($doc),+).trim_start(),)+ }
            }
        }
    };
}

codes! {
    /// auditbook.toml is not valid TOML, has an unknown key or a value of the wrong type.
    ConfigSyntax = "config-syntax", Error;
    /// auditbook.toml parses but a value is invalid (dates, durations, globs, cadences, names).
    ConfigInvalid = "config-invalid", Error;
    /// A workspace catalog in catalogs/ is malformed or clashes with another catalog.
    CatalogInvalid = "catalog-invalid", Error;
    /// A policy file has no YAML front matter.
    FrontMatterMissing = "front-matter-missing", Error;
    /// Front matter is not valid YAML, has an unknown key or a value of the wrong type.
    FrontMatterInvalid = "front-matter-invalid", Error;
    /// An evidence sidecar (<file>.meta.yaml) is malformed.
    SidecarInvalid = "sidecar-invalid", Error;
    /// A file of the workspace could not be read.
    FileUnreadable = "file-unreadable", Error;
    /// A control id names no control of any loaded catalog.
    UnknownControl = "unknown-control", Error;
    /// A control in scope has neither a policy nor evidence.
    ControlMissing = "control-missing", Warning;
    /// A control in scope has a policy but no evidence.
    ControlWithoutEvidence = "control-without-evidence", Warning;
    /// A control in scope has evidence but no policy.
    ControlWithoutPolicy = "control-without-policy", Warning;
    /// All evidence of a control is older than its max_age at period end.
    EvidenceStale = "evidence-stale", Warning;
    /// A policy's review falls due before the period ends.
    PolicyReviewOverdue = "policy-review-overdue", Warning;
    /// A policy has no approval date, so its review cannot be scheduled.
    PolicyNotApproved = "policy-not-approved", Warning;
    /// A policy is linked to no control.
    PolicyUnmapped = "policy-unmapped", Warning;
    /// An evidence file is linked to no control.
    EvidenceUnmapped = "evidence-unmapped", Warning;
    /// A recurring activity has no evidence in one of its windows.
    ScheduleMissed = "schedule-missed", Warning;
    /// An [[evidence]] rule matches no file.
    RuleUnmatched = "rule-unmatched", Warning;
    /// A statement-of-applicability exclusion matches no control.
    ExclusionUnmatched = "exclusion-unmatched", Warning;
    /// A sidecar has no evidence file beside it.
    SidecarOrphaned = "sidecar-orphaned", Warning;
    /// A file looks like a known format but cannot be read as one; it is kept as a plain file.
    EvidenceUnparsed = "evidence-unparsed", Warning;
    /// A symbolic link under evidence/ is not followed.
    EvidenceSymlink = "evidence-symlink", Warning;
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One finding. `file` is relative to the workspace root, `/`-separated;
/// `line` and `column` are 1-based.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: code.severity(),
            code,
            message: message.into(),
            file: None,
            line: None,
            column: None,
            help: None,
        }
    }

    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    pub fn at(mut self, position: Option<Position>) -> Self {
        if let Some(position) = position {
            self.line = Some(position.line);
            self.column = Some(position.column);
        }
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Order in which diagnostics are reported: by file, then position;
    /// findings without a file (controls) come last, in the order they were
    /// found, which is catalog order.
    fn sort_key(&self) -> impl Ord + '_ {
        (
            self.file.is_none(),
            self.file.as_deref(),
            self.line,
            self.column,
        )
    }
}

/// A 1-based line and column in a text file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl Position {
    /// The position of byte `offset` in `text`, counting columns in characters.
    pub fn of_offset(text: &str, offset: usize) -> Position {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Position {
            line: saturate(line),
            column: saturate(column),
        }
    }

    /// Moves a position found inside an embedded document (front matter)
    /// to the file that holds it, which starts `lines_before` lines later.
    pub fn shifted(self, lines_before: u32) -> Position {
        Position {
            line: self.line.saturating_add(lines_before),
            column: self.column,
        }
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

fn saturate(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Finds `needle` as a whole token in `text` at or after `from`, for
/// pointing a diagnostic at a value that a parser without spans read.
pub fn locate_token(text: &str, needle: &str, from: usize) -> Option<Position> {
    if needle.is_empty() {
        return None;
    }
    let is_token_char = |c: char| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ':');
    let mut start = from.min(text.len());
    while let Some(found) = text.get(start..)?.find(needle) {
        let at = start + found;
        let end = at + needle.len();
        let before_ok = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !is_token_char(c));
        let after = text[end..].chars().next();
        // A trailing '.' is punctuation, not part of the id, unless a digit follows.
        let after_ok = match after {
            None => true,
            Some('.') => !text[end + 1..].starts_with(|c: char| c.is_alphanumeric()),
            Some(c) => !is_token_char(c),
        };
        if before_ok && after_ok {
            return Some(Position::of_offset(text, at));
        }
        start = end;
    }
    None
}

/// The diagnostics of one run, in the order they are reported.
#[derive(Debug, Default, Clone, Serialize)]
#[serde(transparent)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.0.extend(other);
    }

    pub fn iter(&self) -> std::slice::Iter<'_, Diagnostic> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.0.iter().filter(|d| d.severity == severity).count()
    }

    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }

    /// Sorts into reporting order (stable, so the same input always gives
    /// the same order) and drops exact repeats.
    pub fn sort(&mut self) {
        self.0.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        self.0.dedup();
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let text = "a\nbé c\n";
        assert_eq!(
            Position::of_offset(text, 5),
            Position { line: 2, column: 3 }
        );
        assert_eq!(
            Position::of_offset(text, 0),
            Position { line: 1, column: 1 }
        );
    }

    #[test]
    fn tokens_match_whole_ids_only() {
        let text = "controls: [CC6.10, CC6.1]\n";
        assert_eq!(
            locate_token(text, "CC6.1", 0),
            Some(Position {
                line: 1,
                column: 20
            })
        );
        assert_eq!(locate_token("see 6.1.2.", "6.1.2", 0).unwrap().column, 5);
        assert_eq!(locate_token("A.6.1.2", "6.1.2", 0), None);
    }
}
