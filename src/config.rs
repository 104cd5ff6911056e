//! `auditbook.toml`: parsed into raw structs that mirror the file, then
//! validated into [`Config`], whose control ids are resolved against the
//! [`Catalog`] and whose dates, durations and globs are parsed. Every
//! problem becomes a diagnostic at its line; the file is read once.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use globset::{Glob, GlobBuilder, GlobMatcher, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::catalog::{unknown_field_help, Catalog, ControlKey};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, Position};
use crate::interval::{self, Interval};

pub const FILE_NAME: &str = "auditbook.toml";

/// How far a document or evidence file may travel, from least to most
/// restricted. What has no classification is `internal`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Classification {
    Public,
    Customer,
    #[default]
    Internal,
    Confidential,
}

impl Classification {
    pub const ALL: [Classification; 4] = [
        Classification::Public,
        Classification::Customer,
        Classification::Internal,
        Classification::Confidential,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Classification::Public => "public",
            Classification::Customer => "customer",
            Classification::Internal => "internal",
            Classification::Confidential => "confidential",
        }
    }

    pub fn parse(text: &str) -> Option<Classification> {
        Classification::ALL
            .into_iter()
            .find(|c| c.as_str() == text.trim())
    }
}

impl fmt::Display for Classification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub organization: Organization,
    pub period: Period,
    /// `max_age` of evidence that no rule or sidecar gives one.
    pub default_max_age: Option<Interval>,
    /// The frameworks in scope, in catalog order.
    pub scopes: Vec<FrameworkScope>,
    pub rules: Vec<EvidenceRule>,
    /// Every rule's glob in one set, to find a file's rule in one search
    /// rather than one per rule.
    rule_set: Option<GlobSet>,
    pub schedules: Vec<Schedule>,
    pub sources: Sources,
    pub audiences: BTreeMap<String, Audience>,
    pub signing_key: Option<PathBuf>,
    /// A digest of the text this was read from: with the catalog, it
    /// determines everything above (for the page cache's fingerprints).
    pub source_digest: crate::cache::Digest16,
}

impl Config {
    /// The first `[[evidence]]` rule whose glob matches `path`.
    pub fn rule_for(&self, path: &str) -> Option<usize> {
        match &self.rule_set {
            Some(set) if set.len() == self.rules.len() => {
                let mut matched = Vec::new();
                set.matches_into(path, &mut matched);
                matched.into_iter().min()
            }
            _ => self.rules.iter().position(|r| r.matches(path)),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Organization {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub name: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

/// One framework in scope and its statement of applicability.
#[derive(Debug, Clone)]
pub struct FrameworkScope {
    pub framework: usize,
    /// SOC 2 categories in scope (always contains `security`); empty for
    /// other frameworks.
    pub categories: Vec<String>,
    pub exclusions: Vec<Exclusion>,
}

#[derive(Debug, Clone)]
pub struct Exclusion {
    pub pattern: String,
    matcher: GlobMatcher,
    pub reason: String,
}

impl Exclusion {
    pub fn matches(&self, control_id: &str) -> bool {
        self.matcher.is_match(control_id)
    }
}

/// An `[[evidence]]` rule: metadata for the files its glob matches.
#[derive(Debug, Clone)]
pub struct EvidenceRule {
    pub pattern: String,
    matcher: GlobMatcher,
    pub controls: Option<Vec<ControlKey>>,
    pub max_age: Option<Interval>,
    pub classification: Option<Classification>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub line: u32,
}

impl EvidenceRule {
    pub fn matches(&self, path: &str) -> bool {
        self.matcher.is_match(path)
    }
}

/// A recurring activity whose evidence must appear in every window.
#[derive(Debug, Clone)]
pub struct Schedule {
    pub name: String,
    pub every: Interval,
    pub pattern: String,
    matcher: GlobMatcher,
    pub controls: Vec<ControlKey>,
    pub line: u32,
}

impl Schedule {
    pub fn matches(&self, path: &str) -> bool {
        self.matcher.is_match(path)
    }
}

/// Where `collect` gathers evidence from; read by the collectors.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sources {
    #[serde(default)]
    pub git: Vec<GitSource>,
    pub github: Option<GithubSource>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GitSource {
    pub path: PathBuf,
    #[serde(rename = "ref")]
    pub reference: Option<String>,
    pub allowed_signers: Option<PathBuf>,
    pub gpg_keys: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GithubSource {
    #[serde(default = "default_github_api")]
    pub api_url: String,
    pub org: String,
    #[serde(default)]
    pub repos: Vec<String>,
    #[serde(default = "default_token_env")]
    pub token_env: String,
    /// Seconds one request may take, answer read (default 30).
    pub timeout: Option<f64>,
    /// The longest single wait in seconds for a rate limit or a back-off
    /// (default 900); a longer wait is cut to it and the request tried
    /// again (and waited for again while GitHub still refuses it).
    pub max_wait: Option<f64>,
}

fn default_github_api() -> String {
    "https://api.github.com".to_string()
}

fn default_token_env() -> String {
    "GITHUB_TOKEN".to_string()
}

/// Who a bundle is for and what it may hold.
#[derive(Debug, Clone)]
pub struct Audience {
    pub classifications: Vec<Classification>,
}

// ---------------------------------------------------------------------------
// The file as written.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    organization: RawOrganization,
    period: RawPeriod,
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default)]
    frameworks: BTreeMap<String, Spanned<RawFrameworkScope>>,
    #[serde(default)]
    evidence: Vec<Spanned<RawRule>>,
    #[serde(default)]
    schedule: Vec<Spanned<RawSchedule>>,
    #[serde(default)]
    sources: Sources,
    #[serde(default)]
    audiences: BTreeMap<String, Spanned<RawAudience>>,
    signing: Option<RawSigning>,
}

const TOP_LEVEL_KEYS: &[&str] = &[
    "organization",
    "period",
    "defaults",
    "frameworks",
    "evidence",
    "schedule",
    "sources",
    "audiences",
    "signing",
];

const ALL_KEYS: &[&str] = &[
    "organization",
    "period",
    "defaults",
    "frameworks",
    "evidence",
    "schedule",
    "sources",
    "audiences",
    "signing",
    "name",
    "start",
    "end",
    "max_age",
    "categories",
    "exclude",
    "exclude_reason",
    "exclusions",
    "controls",
    "reason",
    "path",
    "classification",
    "title",
    "description",
    "every",
    "git",
    "github",
    "ref",
    "allowed_signers",
    "gpg_keys",
    "api_url",
    "org",
    "repos",
    "token_env",
    "timeout",
    "max_wait",
    "classifications",
    "key",
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrganization {
    name: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeriod {
    name: Spanned<String>,
    start: Spanned<toml::Value>,
    end: Spanned<toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    max_age: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFrameworkScope {
    #[serde(default)]
    categories: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    exclude_reason: Option<String>,
    #[serde(default)]
    exclusions: Vec<Spanned<RawExclusion>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExclusion {
    controls: Vec<Spanned<String>>,
    reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    path: Spanned<String>,
    controls: Option<Vec<Spanned<String>>>,
    max_age: Option<Spanned<String>>,
    classification: Option<Spanned<String>>,
    title: Option<String>,
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    name: String,
    every: Spanned<String>,
    evidence: Spanned<String>,
    #[serde(default)]
    controls: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAudience {
    classifications: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSigning {
    key: PathBuf,
}

/// SOC 2 categories, as `[frameworks.soc2] categories` names them.
pub const SOC2_CATEGORIES: &[&str] = &[
    "security",
    "availability",
    "confidentiality",
    "processing-integrity",
    "privacy",
];

// ---------------------------------------------------------------------------
// Validation.

/// Reads and validates `auditbook.toml` in `root`. Returns `None` when the
/// file cannot be used at all (after reporting why); the error is an I/O
/// failure (no such file, unreadable).
pub fn load(
    root: &Path,
    catalog: &Catalog,
    diagnostics: &mut Diagnostics,
) -> anyhow::Result<Option<Config>> {
    let path = root.join(FILE_NAME);
    if !path.is_file() {
        anyhow::bail!(
            "{} has no {FILE_NAME}: run `auditbook init {}` to create a workspace, or pass -C DIR",
            root.display(),
            root.display()
        );
    }
    let text = crate::fsutil::read_text(&path)?;
    Ok(parse(&text, catalog, diagnostics))
}

/// Validates the text of an `auditbook.toml`.
pub fn parse(text: &str, catalog: &Catalog, diagnostics: &mut Diagnostics) -> Option<Config> {
    let raw: RawConfig = match toml::from_str(text) {
        Ok(raw) => raw,
        Err(error) => {
            let position = error
                .span()
                .map(|span| Position::of_offset(text, span.start));
            let message = error.message().trim().to_string();
            let mut diagnostic = Diagnostic::new(Code::ConfigSyntax, message.clone())
                .in_file(FILE_NAME)
                .at(position);
            let known = if message.contains("expected one of `organization`") {
                TOP_LEVEL_KEYS
            } else {
                ALL_KEYS
            };
            if let Some(help) = unknown_field_help(&message, known) {
                diagnostic = diagnostic.with_help(help);
            }
            diagnostics.push(diagnostic);
            return None;
        }
    };
    let mut validator = Validator {
        text,
        catalog,
        diagnostics,
        ok: true,
    };
    let config = validator.config(raw);
    validator.ok.then_some(config)
}

struct Validator<'a> {
    text: &'a str,
    catalog: &'a Catalog,
    diagnostics: &'a mut Diagnostics,
    ok: bool,
}

impl Validator<'_> {
    fn position(&self, offset: usize) -> Option<Position> {
        Some(Position::of_offset(self.text, offset))
    }

    fn report(&mut self, code: Code, message: String, offset: usize, help: Option<String>) {
        let mut diagnostic = Diagnostic::new(code, message)
            .in_file(FILE_NAME)
            .at(self.position(offset));
        if let Some(help) = help {
            diagnostic = diagnostic.with_help(help);
        }
        if diagnostic.severity == crate::diagnostic::Severity::Error {
            self.ok = false;
        }
        self.diagnostics.push(diagnostic);
    }

    fn invalid(&mut self, message: String, offset: usize) {
        self.report(Code::ConfigInvalid, message, offset, None);
    }

    fn config(&mut self, raw: RawConfig) -> Config {
        let period = self.period(&raw.period);
        let default_max_age = raw.defaults.max_age.as_ref().and_then(|m| self.interval(m));
        let scopes = self.scopes(&raw.frameworks);
        let rules: Vec<EvidenceRule> = raw.evidence.iter().map(|r| self.rule(r)).collect();
        let mut rule_set = GlobSetBuilder::new();
        for rule in &rules {
            rule_set.add(rule.matcher.glob().clone());
        }
        let schedules = raw.schedule.iter().map(|s| self.schedule(s)).collect();
        let audiences = raw
            .audiences
            .iter()
            .map(|(name, audience)| (name.clone(), self.audience(audience)))
            .collect();
        Config {
            organization: Organization {
                name: raw.organization.name.into_inner(),
            },
            period,
            default_max_age,
            scopes,
            rules,
            rule_set: rule_set.build().ok(),
            schedules,
            sources: raw.sources,
            audiences,
            signing_key: raw.signing.map(|s| s.key),
            source_digest: crate::cache::digest16(self.text.as_bytes()),
        }
    }

    fn period(&mut self, raw: &RawPeriod) -> Period {
        let name = raw.name.get_ref().trim().to_string();
        let name_is_safe = !name.is_empty()
            && name != "."
            && name != ".."
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if !name_is_safe {
            self.invalid(
                format!("period name `{name}` must be letters, digits, `-`, `_` or `.` (it names a folder of the site)"),
                raw.name.span().start,
            );
        }
        let start = self.date(&raw.start);
        let end = self.date(&raw.end);
        if let (Some(start), Some(end)) = (start, end) {
            if end < start {
                self.invalid(
                    format!("the period ends ({end}) before it starts ({start})"),
                    raw.end.span().start,
                );
            }
        }
        let fallback = NaiveDate::MIN;
        Period {
            name,
            start: start.unwrap_or(fallback),
            end: end.unwrap_or(fallback),
        }
    }

    fn date(&mut self, value: &Spanned<toml::Value>) -> Option<NaiveDate> {
        let text = match value.get_ref() {
            toml::Value::String(s) => s.clone(),
            toml::Value::Datetime(d) => d.to_string(),
            other => {
                self.invalid(
                    format!(
                        "expected a date such as \"2026-01-01\", found {}",
                        other.type_str()
                    ),
                    value.span().start,
                );
                return None;
            }
        };
        match interval::parse_date(&text) {
            Ok(date) => Some(date),
            Err(message) => {
                self.invalid(message, value.span().start);
                None
            }
        }
    }

    fn interval(&mut self, value: &Spanned<String>) -> Option<Interval> {
        match Interval::parse(value.get_ref()) {
            Ok(interval) => Some(interval),
            Err(message) => {
                self.invalid(message, value.span().start);
                None
            }
        }
    }

    fn glob(&mut self, value: &Spanned<String>) -> Option<GlobMatcher> {
        let pattern = value.get_ref().trim_start_matches("./");
        match GlobBuilder::new(pattern).literal_separator(true).build() {
            Ok(glob) => Some(glob.compile_matcher()),
            Err(error) => {
                self.invalid(
                    format!(
                        "`{}` is not a valid glob: {}",
                        value.get_ref(),
                        error.kind()
                    ),
                    value.span().start,
                );
                None
            }
        }
    }

    fn control(&mut self, id: &Spanned<String>) -> Option<ControlKey> {
        match self.catalog.resolve(id.get_ref()) {
            Ok(key) => Some(key),
            Err(error) => {
                let diagnostic =
                    error.diagnostic(id.get_ref(), FILE_NAME, self.position(id.span().start));
                self.ok = false;
                self.diagnostics.push(diagnostic);
                None
            }
        }
    }

    fn controls(&mut self, ids: &[Spanned<String>]) -> Vec<ControlKey> {
        ids.iter().filter_map(|id| self.control(id)).collect()
    }

    fn classification(&mut self, value: &Spanned<String>) -> Option<Classification> {
        let parsed = Classification::parse(value.get_ref());
        if parsed.is_none() {
            self.invalid(
                format!(
                    "unknown classification `{}`: use public, customer, internal or confidential",
                    value.get_ref()
                ),
                value.span().start,
            );
        }
        parsed
    }

    fn scopes(
        &mut self,
        raw: &BTreeMap<String, Spanned<RawFrameworkScope>>,
    ) -> Vec<FrameworkScope> {
        let mut scopes = Vec::new();
        for (id, scope) in raw {
            let offset = self
                .text
                .find(&format!("frameworks.{id}"))
                .unwrap_or(scope.span().start);
            let Some((framework, _)) = self.catalog.framework(id) else {
                let known: Vec<&str> = self
                    .catalog
                    .frameworks()
                    .iter()
                    .map(|f| f.id.as_str())
                    .collect();
                let help = format!(
                    "known frameworks: {}; a framework of your own goes in catalogs/<id>.yaml",
                    known.join(", ")
                );
                self.report(
                    Code::ConfigInvalid,
                    format!("unknown framework `{id}`"),
                    offset,
                    Some(help),
                );
                continue;
            };
            let scope = scope.get_ref();
            let categories = self.categories(id, &scope.categories);
            let exclusions = self.exclusions(framework, scope, offset);
            scopes.push(FrameworkScope {
                framework,
                categories,
                exclusions,
            });
        }
        // Workspace catalogs are in scope whether or not they have a table.
        for (framework, f) in self.catalog.frameworks().iter().enumerate() {
            if !f.is_builtin() && !scopes.iter().any(|s| s.framework == framework) {
                scopes.push(FrameworkScope {
                    framework,
                    categories: Vec::new(),
                    exclusions: Vec::new(),
                });
            }
        }
        scopes.sort_by_key(|s| s.framework);
        scopes
    }

    fn categories(&mut self, framework: &str, raw: &[Spanned<String>]) -> Vec<String> {
        if framework != "soc2" {
            if let Some(first) = raw.first() {
                self.invalid(
                    format!("`categories` applies to soc2 only, not to `{framework}`"),
                    first.span().start,
                );
            }
            return Vec::new();
        }
        let mut categories = vec!["security".to_string()];
        for category in raw {
            let name = category.get_ref().trim();
            if !SOC2_CATEGORIES.contains(&name) {
                let nearest = SOC2_CATEGORIES
                    .iter()
                    .find(|c| !name.is_empty() && c.starts_with(name))
                    .or_else(|| {
                        SOC2_CATEGORIES
                            .iter()
                            .map(|c| (strsim::damerau_levenshtein(name, c), c))
                            .filter(|(d, _)| *d <= 3)
                            .min()
                            .map(|(_, c)| c)
                    });
                let help = match nearest {
                    Some(c) => format!(
                        "did you mean `{c}`? (categories: {})",
                        SOC2_CATEGORIES.join(", ")
                    ),
                    None => format!("categories: {}", SOC2_CATEGORIES.join(", ")),
                };
                let nearest = Some(help);
                self.report(
                    Code::ConfigInvalid,
                    format!("unknown SOC 2 category `{name}`"),
                    category.span().start,
                    nearest,
                );
            } else if !categories.iter().any(|c| c == name) {
                categories.push(name.to_string());
            }
        }
        categories.sort_by_key(|c| SOC2_CATEGORIES.iter().position(|k| k == c));
        categories
    }

    fn exclusions(
        &mut self,
        framework: usize,
        scope: &RawFrameworkScope,
        table_offset: usize,
    ) -> Vec<Exclusion> {
        // (patterns, their reason, offset of the table that gave them)
        type Group<'r> = (&'r [Spanned<String>], Option<String>, usize);
        let mut groups: Vec<Group> = Vec::new();
        if !scope.exclude.is_empty() {
            groups.push((&scope.exclude, scope.exclude_reason.clone(), table_offset));
        }
        for exclusion in &scope.exclusions {
            let raw = exclusion.get_ref();
            groups.push((
                &raw.controls,
                Some(raw.reason.clone()),
                exclusion.span().start,
            ));
        }
        let mut out = Vec::new();
        for (patterns, reason, offset) in groups {
            let reason = match reason
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty())
            {
                Some(reason) => reason,
                None => {
                    self.report(
                        Code::ConfigInvalid,
                        "excluded controls need a reason (the statement of applicability must say why)".to_string(),
                        offset,
                        Some("add `exclude_reason = \"…\"` to the framework's table".to_string()),
                    );
                    continue;
                }
            };
            for pattern in patterns {
                if let Some(exclusion) = self.exclusion(framework, pattern, &reason) {
                    out.push(exclusion);
                }
            }
        }
        out
    }

    fn exclusion(
        &mut self,
        framework: usize,
        pattern: &Spanned<String>,
        reason: &str,
    ) -> Option<Exclusion> {
        let text = pattern.get_ref().trim();
        let bare = text
            .split_once(':')
            .filter(|(prefix, _)| self.catalog.framework(prefix).is_some())
            .map_or(text, |(_, bare)| bare);
        let is_glob = bare.contains(['*', '?', '[', '{']);
        if !is_glob {
            let key = self.control(pattern)?;
            if key.framework_index() != framework {
                let other = &self.catalog.framework_of(key).id;
                self.invalid(
                    format!(
                        "`{text}` is a control of `{other}`, not of `{}`",
                        self.catalog.frameworks()[framework].id
                    ),
                    pattern.span().start,
                );
                return None;
            }
        }
        let matcher = match Glob::new(bare) {
            Ok(glob) => glob.compile_matcher(),
            Err(error) => {
                self.invalid(
                    format!("`{text}` is not a valid pattern: {}", error.kind()),
                    pattern.span().start,
                );
                return None;
            }
        };
        let matches_any = self.catalog.frameworks()[framework]
            .controls
            .iter()
            .any(|c| matcher.is_match(&c.id));
        if !matches_any {
            self.report(
                Code::ExclusionUnmatched,
                format!(
                    "exclusion `{text}` matches no control of `{}`",
                    self.catalog.frameworks()[framework].id
                ),
                pattern.span().start,
                None,
            );
        }
        Some(Exclusion {
            pattern: text.to_string(),
            matcher,
            reason: reason.to_string(),
        })
    }

    fn rule(&mut self, raw: &Spanned<RawRule>) -> EvidenceRule {
        let line = self.line_of(raw.span().start);
        let rule = raw.get_ref();
        let matcher = self.glob(&rule.path);
        EvidenceRule {
            pattern: rule.path.get_ref().clone(),
            matcher: matcher.unwrap_or_else(match_nothing),
            controls: rule.controls.as_ref().map(|ids| self.controls(ids)),
            max_age: rule.max_age.as_ref().and_then(|m| self.interval(m)),
            classification: rule
                .classification
                .as_ref()
                .and_then(|c| self.classification(c)),
            title: rule.title.clone(),
            description: rule.description.clone(),
            line,
        }
    }

    fn schedule(&mut self, raw: &Spanned<RawSchedule>) -> Schedule {
        let line = self.line_of(raw.span().start);
        let schedule = raw.get_ref();
        let every = match Interval::parse_cadence(schedule.every.get_ref()) {
            Ok(every) => every,
            Err(message) => {
                self.invalid(message, schedule.every.span().start);
                Interval::Months(12)
            }
        };
        let matcher = self.glob(&schedule.evidence);
        Schedule {
            name: schedule.name.clone(),
            every,
            pattern: schedule.evidence.get_ref().clone(),
            matcher: matcher.unwrap_or_else(match_nothing),
            controls: self.controls(&schedule.controls),
            line,
        }
    }

    fn audience(&mut self, raw: &Spanned<RawAudience>) -> Audience {
        Audience {
            classifications: raw
                .get_ref()
                .classifications
                .iter()
                .filter_map(|c| self.classification(c))
                .collect(),
        }
    }

    fn line_of(&self, offset: usize) -> u32 {
        Position::of_offset(self.text, offset).line
    }
}

fn match_nothing() -> GlobMatcher {
    // A pattern no relative path can match: stands in for an invalid glob
    // that has already been reported, so validation can go on.
    Glob::new("/\0").expect("constant glob").compile_matcher()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_with(text: &str) -> (Option<Config>, Vec<Diagnostic>) {
        let catalog = Catalog::builtin();
        let mut diagnostics = Diagnostics::default();
        let config = parse(text, &catalog, &mut diagnostics);
        (config, diagnostics.into_iter().collect())
    }

    const MINIMAL: &str = r#"
[organization]
name = "Example"
[period]
name = "2026"
start = "2026-01-01"
end = 2026-12-31
[frameworks.soc2]
categories = ["availability"]
[frameworks.iso27001]
exclude = ["A.7.*"]
exclude_reason = "No premises"
"#;

    #[test]
    fn minimal_config_validates() {
        let (config, diagnostics) = parse_with(MINIMAL);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let config = config.unwrap();
        assert_eq!(
            config.period.end,
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        );
        assert_eq!(config.scopes.len(), 2);
        assert_eq!(config.scopes[0].categories, ["security", "availability"]);
        assert!(config.scopes[1].exclusions[0].matches("A.7.4"));
        assert!(!config.scopes[1].exclusions[0].matches("A.8.4"));
    }

    #[test]
    fn a_file_gets_the_first_rule_that_matches_it() {
        let text = format!(
            "{MINIMAL}\n[[evidence]]\npath = \"evidence/scans/**/*.sarif\"\n\
             [[evidence]]\npath = \"./evidence/**\"\n\
             [[evidence]]\npath = \"evidence/scans/*\"\n\
             [[evidence]]\npath = \"evidence/{{a,b}}/?.log\"\n"
        );
        let (config, diagnostics) = parse_with(&text);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let config = config.unwrap();
        for (path, rule) in [
            ("evidence/scans/x/y.sarif", Some(0)),
            ("evidence/scans/y.sarif", Some(0)),
            ("evidence/scans/y.json", Some(1)),
            ("evidence/a/1.log", Some(1)),
            ("policies/a.md", None),
            ("evidence", None),
        ] {
            assert_eq!(config.rule_for(path), rule, "{path}");
            let linear = config.rules.iter().position(|r| r.matches(path));
            assert_eq!(config.rule_for(path), linear, "{path}");
        }
    }

    #[test]
    fn unknown_keys_point_at_their_line_with_a_suggestion() {
        let text = MINIMAL.replace("[period]", "[period]\nstrat = \"x\"");
        let (config, diagnostics) = parse_with(&text);
        assert!(config.is_none());
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].code, Code::ConfigSyntax);
        assert_eq!(diagnostics[0].line, Some(5));
        assert_eq!(
            diagnostics[0].help.as_deref(),
            Some("did you mean `start`?")
        );
    }

    #[test]
    fn every_invalid_value_is_reported() {
        let text = format!(
            "{MINIMAL}\n[[evidence]]\npath = \"evidence/[\"\ncontrols = [\"CC6.l\", \"A.9.9\"]\nmax_age = \"soon\"\nclassification = \"secret\"\n"
        );
        let (config, diagnostics) = parse_with(&text);
        assert!(config.is_none());
        let codes: Vec<_> = diagnostics.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "config-invalid",
                "unknown-control",
                "unknown-control",
                "config-invalid",
                "config-invalid"
            ]
        );
        assert_eq!(
            diagnostics[1].help.as_deref(),
            Some("did you mean `CC6.1`?")
        );
        assert!(diagnostics.iter().all(|d| d.line.is_some()));
    }
}
