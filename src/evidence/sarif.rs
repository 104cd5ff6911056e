//! SARIF 2.1.0: findings by severity over every run, counted the way GitHub
//! code scanning counts them.
//!
//! A result takes its rule's `properties.security-severity` when present
//! (≥ 9.0 critical, ≥ 7.0 high, ≥ 4.0 medium, > 0 low, else info), else its
//! level: the result's, else the rule's `defaultConfiguration.level`, else
//! `warning` (`none` when the result's `kind` is not `fail`); error → high,
//! warning → medium, note → low, none → info. The rule is found by
//! `ruleIndex`/`rule.index`, else `ruleId`/`rule.id`, in the driver or the
//! extension `rule.toolComponent` names. A result is suppressed (and not
//! counted) when it has suppressions and none of them is `underReview` or
//! `rejected`; results of kind `pass` or `notApplicable` are not findings.
//!
//! The log is streamed ([`JsonStream`]): results are read one at a time and
//! only counts and the bounded findings table are kept.

use std::collections::HashMap;
use std::io::BufRead;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::common::{latest, parse_timestamp, truncate, Parsed, Problem};
use super::details::{TopFindings, MESSAGE_LEN};
use super::json_stream::JsonStream;
use super::summary::{Severities, Severity, Summary};

/// Results kept for the table while a run's rules are not yet known
/// (a run whose `results` come before its `tool`).
const MAX_PENDING_ROWS: usize = 5000;

pub fn parse(reader: &mut dyn BufRead) -> Result<Parsed, Problem> {
    let mut state = State::default();
    let mut json = JsonStream::new(reader)?;
    let mut log = json.begin_object()?;
    let mut version = false;
    let mut runs = false;
    while let Some(key) = json.next_key(&mut log)? {
        match key.as_str() {
            "version" => {
                json.peek()?;
                let line = json.line();
                let value: String = json.parse()?;
                if !value.starts_with("2.1.0") {
                    return Err(Problem::at(
                        line,
                        format!(
                            "SARIF version {value} is not supported (auditbook reads SARIF 2.1.0)"
                        ),
                    ));
                }
                version = true;
            }
            "runs" => {
                runs = true;
                // `"runs": null`: the tool could not start; nothing to count.
                if json.null()? {
                    continue;
                }
                let mut seq = json.begin_array()?;
                while json.next_element(&mut seq)? {
                    run(&mut json, &mut state)?;
                }
            }
            _ => json.skip()?,
        }
    }
    json.end()?;
    if !version {
        return Err(json.error("no `version`: not a SARIF 2.1.0 log"));
    }
    if !runs {
        return Err(json.error("no `runs`: not a SARIF 2.1.0 log"));
    }
    Ok(Parsed {
        summary: Summary::Findings {
            findings: state.severities,
            tools: state.tools,
            suppressed: state.suppressed,
        },
        details: state.top.finish(),
        observed_at: state.observed_at,
    })
}

#[derive(Default)]
struct State {
    severities: Severities,
    suppressed: u64,
    tools: Vec<String>,
    top: TopFindings,
    observed_at: Option<DateTime<Utc>>,
}

impl State {
    fn count(&mut self, severity: Severity, rule: &str, message: &str, location: Option<String>) {
        self.severities.add(severity, 1);
        self.top.push(severity, rule, message, location);
    }
}

/// What a run holds while it is read.
#[derive(Default)]
struct Run {
    tool: Option<ToolIndex>,
    /// Results met before the tool: counts by rule and level.
    pending: HashMap<(RuleRef, Option<Level>), u64>,
    pending_rows: Vec<(RuleRef, Option<Level>, String, Option<String>)>,
}

/// One run: its tool, results (streamed one at a time) and invocations.
fn run(json: &mut JsonStream, state: &mut State) -> Result<(), Problem> {
    let mut object = json.begin_object()?;
    let mut run = Run::default();
    while let Some(key) = json.next_key(&mut object)? {
        match key.as_str() {
            "tool" => run.tool = Some(ToolIndex::new(tool(json)?)),
            "results" => {
                // `"results": null`: the run did not determine its results.
                if json.null()? {
                    continue;
                }
                let mut seq = json.begin_array()?;
                while json.next_element(&mut seq)? {
                    let result: SarifResult = json.parse()?;
                    handle(state, &mut run, result);
                }
            }
            "invocations" => {
                let invocations: Option<Vec<Invocation>> = json.parse()?;
                for invocation in invocations.unwrap_or_default() {
                    for time in [invocation.start_time_utc, invocation.end_time_utc]
                        .into_iter()
                        .flatten()
                    {
                        state.observed_at = latest(state.observed_at, parse_timestamp(&time));
                    }
                }
            }
            _ => json.skip()?,
        }
    }
    let tool = run.tool.unwrap_or_default();
    if let Some(name) = &tool.driver_name {
        if !state.tools.contains(name) {
            state.tools.push(name.clone());
        }
    }
    for ((rule, level), n) in run.pending {
        let (severity, _) = tool.resolve(&rule, level);
        state.severities.add(severity, n);
    }
    for (rule, level, message, location) in run.pending_rows {
        let (severity, found) = tool.resolve(&rule, level);
        let rule_id = rule.display_id(found);
        let message = if message.is_empty() {
            found.and_then(|r| r.short.clone()).unwrap_or_default()
        } else {
            message
        };
        state.top.push(severity, &rule_id, &message, location);
    }
    Ok(())
}

/// A run's tool, its rules read one at a time (a driver's rules carry
/// long help texts, which are not kept).
fn tool(json: &mut JsonStream) -> Result<Tool, Problem> {
    let mut tool = Tool::default();
    if json.null()? {
        return Ok(tool);
    }
    let mut object = json.begin_object()?;
    while let Some(key) = json.next_key(&mut object)? {
        match key.as_str() {
            "driver" => tool.driver = component(json)?,
            "extensions" => {
                if json.null()? {
                    continue;
                }
                let mut seq = json.begin_array()?;
                let mut extensions = Vec::new();
                while json.next_element(&mut seq)? {
                    extensions.extend(component(json)?);
                }
                tool.extensions = Some(extensions);
            }
            _ => json.skip()?,
        }
    }
    Ok(tool)
}

fn component(json: &mut JsonStream) -> Result<Option<ToolComponent>, Problem> {
    if json.null()? {
        return Ok(None);
    }
    let mut component = ToolComponent::default();
    let mut object = json.begin_object()?;
    while let Some(key) = json.next_key(&mut object)? {
        match key.as_str() {
            "name" => component.name = json.parse()?,
            "rules" => {
                if json.null()? {
                    continue;
                }
                let mut seq = json.begin_array()?;
                let mut rules = Vec::new();
                while json.next_element(&mut seq)? {
                    rules.push(json.parse::<Rule>()?);
                }
                component.rules = Some(rules);
            }
            _ => json.skip()?,
        }
    }
    Ok(Some(component))
}

fn handle(state: &mut State, run: &mut Run, result: SarifResult) {
    let kind = result.kind.as_deref().unwrap_or("fail");
    if matches!(kind, "pass" | "notApplicable") {
        return;
    }
    if result.is_suppressed() {
        state.suppressed = state.suppressed.saturating_add(1);
        return;
    }
    let level = result
        .level
        .as_deref()
        .and_then(Level::parse)
        .or((kind != "fail").then_some(Level::None));
    let rule = RuleRef::of(&result);
    let message = result
        .message
        .as_ref()
        .and_then(|m| m.text.as_deref().or(m.markdown.as_deref()))
        .map(|m| truncate(m, MESSAGE_LEN))
        .unwrap_or_default();
    let location = result.location();
    match &run.tool {
        Some(tool) => {
            let (severity, found) = tool.resolve(&rule, level);
            let rule_id = rule.display_id(found);
            let message = if message.is_empty() {
                found.and_then(|r| r.short.as_deref()).unwrap_or_default()
            } else {
                &message
            };
            state.count(severity, &rule_id, message, location);
        }
        None => {
            if run.pending_rows.len() < MAX_PENDING_ROWS {
                run.pending_rows
                    .push((rule.clone(), level, message, location));
            } else {
                // Counted, but past the rows kept for the table.
                state.top.skip();
            }
            let n = run.pending.entry((rule, level)).or_insert(0);
            *n = n.saturating_add(1);
        }
    }
}

// ---- levels, rules and the tool's index -------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Level {
    Error,
    Warning,
    Note,
    None,
}

impl Level {
    fn parse(text: &str) -> Option<Level> {
        match text {
            "error" => Some(Level::Error),
            "warning" => Some(Level::Warning),
            "note" => Some(Level::Note),
            "none" => Some(Level::None),
            _ => None,
        }
    }

    fn severity(self) -> Severity {
        match self {
            Level::Error => Severity::High,
            Level::Warning => Severity::Medium,
            Level::Note => Severity::Low,
            Level::None => Severity::Info,
        }
    }
}

/// How a result names its rule.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RuleRef {
    component: Component,
    index: Option<usize>,
    id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Component {
    Driver,
    Extension(usize),
    Named(String),
}

impl RuleRef {
    fn of(result: &SarifResult) -> RuleRef {
        let reference = result.rule.as_ref();
        let index = reference
            .and_then(|r| r.index)
            .or(result.rule_index)
            .and_then(|i| usize::try_from(i).ok());
        let id = result
            .rule_id
            .clone()
            .or_else(|| reference.and_then(|r| r.id.clone()));
        let component = match reference.and_then(|r| r.tool_component.as_ref()) {
            Some(ToolComponentReference { index: Some(i), .. }) => {
                usize::try_from(*i).map_or(Component::Driver, Component::Extension)
            }
            Some(ToolComponentReference {
                name: Some(name), ..
            }) => Component::Named(name.clone()),
            _ => Component::Driver,
        };
        RuleRef {
            component,
            index,
            id,
        }
    }

    fn display_id(&self, found: Option<&RuleInfo>) -> String {
        self.id
            .clone()
            .or_else(|| found.and_then(|r| r.id.clone()))
            .unwrap_or_else(|| "(no rule)".to_string())
    }
}

#[derive(Debug)]
struct RuleInfo {
    id: Option<String>,
    default_level: Option<Level>,
    security_severity: Option<f64>,
    short: Option<String>,
}

#[derive(Debug, Default)]
struct ComponentIndex {
    name: Option<String>,
    rules: Vec<RuleInfo>,
    by_id: HashMap<String, usize>,
}

impl ComponentIndex {
    fn new(component: ToolComponent) -> ComponentIndex {
        let mut by_id = HashMap::new();
        let rules: Vec<RuleInfo> = component
            .rules
            .unwrap_or_default()
            .into_iter()
            .enumerate()
            .map(|(i, rule)| {
                if let Some(id) = &rule.id {
                    by_id.entry(id.clone()).or_insert(i);
                }
                RuleInfo {
                    id: rule.id,
                    default_level: rule
                        .default_configuration
                        .and_then(|c| c.level)
                        .as_deref()
                        .and_then(Level::parse),
                    security_severity: rule
                        .properties
                        .and_then(|p| p.security_severity)
                        .and_then(|v| score(&v)),
                    short: rule
                        .short_description
                        .and_then(|d| d.text)
                        .map(|t| truncate(&t, MESSAGE_LEN)),
                }
            })
            .collect();
        ComponentIndex {
            name: component.name,
            rules,
            by_id,
        }
    }

    fn find(&self, rule: &RuleRef) -> Option<&RuleInfo> {
        if let Some(found) = rule.index.and_then(|i| self.rules.get(i)) {
            return Some(found);
        }
        rule.id
            .as_ref()
            .and_then(|id| self.by_id.get(id))
            .and_then(|&i| self.rules.get(i))
    }
}

/// `security-severity` is a string in the spec's examples ("7.5") and a
/// number in some tools' output.
fn score(value: &serde_json::Value) -> Option<f64> {
    let score = match value {
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok()?,
        serde_json::Value::Number(n) => n.as_f64()?,
        _ => return None,
    };
    score.is_finite().then_some(score)
}

#[derive(Debug, Default)]
struct ToolIndex {
    driver_name: Option<String>,
    driver: ComponentIndex,
    extensions: Vec<ComponentIndex>,
}

impl ToolIndex {
    fn new(tool: Tool) -> ToolIndex {
        let driver = ComponentIndex::new(tool.driver.unwrap_or_default());
        ToolIndex {
            driver_name: driver.name.clone(),
            driver,
            extensions: tool
                .extensions
                .unwrap_or_default()
                .into_iter()
                .map(ComponentIndex::new)
                .collect(),
        }
    }

    fn find(&self, rule: &RuleRef) -> Option<&RuleInfo> {
        match &rule.component {
            Component::Extension(i) => self.extensions.get(*i).and_then(|c| c.find(rule)),
            Component::Named(name) => self
                .extensions
                .iter()
                .chain(std::iter::once(&self.driver))
                .find(|c| c.name.as_deref() == Some(name.as_str()))
                .and_then(|c| c.find(rule)),
            Component::Driver => self.driver.find(rule).or_else(|| {
                // A rule id only: it may be an extension's rule.
                let by_id = RuleRef {
                    index: None,
                    ..rule.clone()
                };
                rule.id.as_ref()?;
                self.extensions.iter().find_map(|c| c.find(&by_id))
            }),
        }
    }

    fn resolve(&self, rule: &RuleRef, level: Option<Level>) -> (Severity, Option<&RuleInfo>) {
        let found = self.find(rule);
        if let Some(score) = found.and_then(|r| r.security_severity) {
            return (Severity::from_score(score), found);
        }
        let level = level
            .or(found.and_then(|r| r.default_level))
            .unwrap_or(Level::Warning);
        (level.severity(), found)
    }
}

// ---- the parts of SARIF objects that are read --------------------------------

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct SarifResult {
    rule_id: Option<String>,
    rule_index: Option<i64>,
    rule: Option<ReportingDescriptorReference>,
    kind: Option<String>,
    level: Option<String>,
    message: Option<Message>,
    locations: Option<Vec<Location>>,
    suppressions: Option<Vec<Suppression>>,
}

impl SarifResult {
    fn is_suppressed(&self) -> bool {
        match &self.suppressions {
            Some(suppressions) if !suppressions.is_empty() => !suppressions
                .iter()
                .any(|s| matches!(s.status.as_deref(), Some("underReview" | "rejected"))),
            _ => false,
        }
    }

    fn location(&self) -> Option<String> {
        let location = self.locations.as_ref()?.first()?;
        if let Some(physical) = &location.physical_location {
            let uri = physical.artifact_location.as_ref()?.uri.as_ref()?;
            return Some(
                match physical
                    .region
                    .as_ref()
                    .and_then(|r| r.start_line)
                    .filter(|&l| l > 0)
                {
                    Some(line) => format!("{uri}:{line}"),
                    None => uri.clone(),
                },
            );
        }
        let logical = location.logical_locations.as_ref()?.first()?;
        logical
            .fully_qualified_name
            .clone()
            .or_else(|| logical.name.clone())
    }
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ReportingDescriptorReference {
    id: Option<String>,
    index: Option<i64>,
    tool_component: Option<ToolComponentReference>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct ToolComponentReference {
    name: Option<String>,
    index: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Message {
    text: Option<String>,
    markdown: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Location {
    physical_location: Option<PhysicalLocation>,
    logical_locations: Option<Vec<LogicalLocation>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: Option<ArtifactLocation>,
    region: Option<Region>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ArtifactLocation {
    uri: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Region {
    start_line: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct LogicalLocation {
    fully_qualified_name: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Suppression {
    status: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Invocation {
    start_time_utc: Option<String>,
    end_time_utc: Option<String>,
}

#[derive(Default)]
struct Tool {
    driver: Option<ToolComponent>,
    extensions: Option<Vec<ToolComponent>>,
}

#[derive(Default)]
struct ToolComponent {
    name: Option<String>,
    rules: Option<Vec<Rule>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Rule {
    id: Option<String>,
    default_configuration: Option<Configuration>,
    properties: Option<RuleProperties>,
    short_description: Option<Message>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Configuration {
    level: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RuleProperties {
    #[serde(rename = "security-severity")]
    security_severity: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::details::Details;

    fn parse_str(text: &str) -> Result<Parsed, Problem> {
        parse(&mut text.as_bytes())
    }

    fn findings(text: &str) -> (Severities, Vec<String>, u64) {
        match parse_str(text).unwrap().summary {
            Summary::Findings {
                findings,
                tools,
                suppressed,
            } => (findings, tools, suppressed),
            other => panic!("{other:?}"),
        }
    }

    const RULES: &str = r#"{"driver": {"name": "Scanner", "rules": [
        {"id": "R0", "properties": {"security-severity": "9.1"}},
        {"id": "R1", "defaultConfiguration": {"level": "note"}},
        {"id": "R2", "properties": {"security-severity": 5}, "defaultConfiguration": {"level": "error"}}
      ]}, "extensions": [{"name": "pack", "rules": [{"id": "X0", "properties": {"security-severity": "7.0"}}]}]}"#;

    #[test]
    fn severity_follows_github_code_scanning() {
        let log = format!(
            r#"{{"version": "2.1.0", "runs": [{{"tool": {RULES}, "results": [
              {{"ruleIndex": 0, "level": "note"}},
              {{"ruleId": "R1"}},
              {{"ruleId": "R1", "level": "error"}},
              {{"rule": {{"id": "R2"}}}},
              {{"ruleId": "nope"}},
              {{"ruleId": "nope", "level": "none"}},
              {{"rule": {{"index": 0, "toolComponent": {{"index": 0}}}}}},
              {{"ruleId": "X0"}},
              {{"ruleId": "R1", "kind": "open"}},
              {{"ruleId": "R1", "kind": "pass"}},
              {{"ruleId": "R0", "suppressions": [{{"kind": "inSource"}}]}},
              {{"ruleId": "R0", "suppressions": [{{"kind": "external", "status": "accepted"}}]}},
              {{"ruleId": "R0", "suppressions": [{{"kind": "external", "status": "underReview"}}]}},
              {{"ruleId": "R0", "suppressions": [{{"kind": "external", "status": "rejected"}}]}},
              {{"ruleId": "R0", "suppressions": []}}
            ]}}]}}"#
        );
        let (s, tools, suppressed) = findings(&log);
        // R0 ×4 (index, under review, rejected, empty suppressions) → critical;
        // X0 via extension index and via id → high ×2; R1 default note → low,
        // R1 error → high; R2 score 5 → medium; unknown rule → medium
        // (warning); none → info; kind open → none → info.
        assert_eq!(s.critical, 4);
        assert_eq!(s.high, 3);
        assert_eq!(s.medium, 2);
        assert_eq!(s.low, 1);
        assert_eq!(s.info, 2);
        assert_eq!(suppressed, 2);
        assert_eq!(tools, vec!["Scanner"]);
    }

    #[test]
    fn results_before_tool_are_resolved_at_the_end_of_the_run() {
        let log = format!(
            r#"{{"runs": [{{"results": [{{"ruleIndex": 0}}, {{"ruleId": "R1"}}], "tool": {RULES}}}],
                "version": "2.1.0"}}"#
        );
        let (s, _, _) = findings(&log);
        assert_eq!((s.critical, s.low), (1, 1));
        let Details::Findings { rows, .. } = parse_str(&log).unwrap().details else {
            panic!()
        };
        assert_eq!(rows[0].rule, "R0");
        assert_eq!(rows[0].severity, Severity::Critical);
    }

    #[test]
    fn tools_and_times_over_every_run() {
        let log = r#"{"version": "2.1.0", "runs": [
            {"tool": {"driver": {"name": "A"}}, "results": null,
             "invocations": [{"startTimeUtc": "2026-01-01T10:00:00Z", "endTimeUtc": "2026-01-01T10:05:00Z", "executionSuccessful": true}]},
            {"tool": {"driver": {"name": "B"}}, "results": [{"message": {"text": "m"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.rs"}, "region": {"startLine": 7}}}]}]},
            {"tool": {"driver": {"name": "A"}}, "results": []}
        ]}"#;
        let parsed = parse_str(log).unwrap();
        let Summary::Findings {
            tools, findings, ..
        } = &parsed.summary
        else {
            panic!()
        };
        assert_eq!(tools, &["A", "B"]);
        assert_eq!(findings.medium, 1);
        assert_eq!(
            parsed.observed_at.unwrap().to_rfc3339(),
            "2026-01-01T10:05:00+00:00"
        );
        let Details::Findings { rows, omitted } = parsed.details else {
            panic!()
        };
        assert_eq!(omitted, 0);
        assert_eq!(rows[0].location.as_deref(), Some("a.rs:7"));
        assert_eq!(rows[0].rule, "(no rule)");
    }

    #[test]
    fn what_is_not_sarif_2_1_0_is_a_problem() {
        let problem = parse_str(r#"{"version": "2.0.0", "runs": []}"#).unwrap_err();
        assert!(problem.message.contains("2.0.0"), "{problem:?}");
        assert_eq!(problem.line, Some(1));
        assert!(parse_str(r#"{"runs": []}"#)
            .unwrap_err()
            .message
            .contains("version"));
        assert!(parse_str(r#"{"version": "2.1.0"}"#)
            .unwrap_err()
            .message
            .contains("runs"));
        let truncated =
            parse_str("{\"version\": \"2.1.0\",\n\"runs\": [\n{\"tool\": ").unwrap_err();
        assert_eq!(truncated.line, Some(3));
        assert!(truncated.message.contains("EOF"), "{truncated:?}");
        let wrong = parse_str(r#"{"version": "2.1.0", "runs": [{"results": [{"level": 3}]}]}"#)
            .unwrap_err();
        assert!(wrong.message.contains("invalid type"), "{wrong:?}");
    }
}
