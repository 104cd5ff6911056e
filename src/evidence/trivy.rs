//! Trivy JSON: vulnerabilities, failed misconfigurations and secrets by
//! severity, in the current shape (`SchemaVersion` 2, `Results`) and the
//! legacy one (a top-level list of targets). Severities map by name;
//! `UNKNOWN` is info. Results are streamed one target at a time.

use std::fmt;
use std::io::BufRead;

use chrono::{DateTime, Utc};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use super::common::{from_json_reader_seed, parse_timestamp, Parsed, Problem};
use super::details::TopFindings;
use super::summary::{Severities, Severity, Summary};

pub fn parse(reader: &mut dyn BufRead) -> Result<Parsed, Problem> {
    let mut state = State::default();
    from_json_reader_seed(reader, ReportSeed(&mut state))?;
    Ok(Parsed {
        summary: Summary::Findings {
            findings: state.severities,
            tools: vec!["Trivy".to_string()],
            suppressed: 0,
        },
        details: state.top.finish(),
        observed_at: state.created_at,
    })
}

#[derive(Default)]
struct State {
    severities: Severities,
    top: TopFindings,
    created_at: Option<DateTime<Utc>>,
}

impl State {
    fn target(&mut self, target: TargetResult) {
        let name = target.target.unwrap_or_default();
        for vuln in target.vulnerabilities.unwrap_or_default() {
            let severity = Severity::from_name(vuln.severity.as_deref().unwrap_or(""));
            self.severities.add(severity, 1);
            let package = match (&vuln.pkg_name, &vuln.installed_version) {
                (Some(p), Some(v)) => format!("{p} {v}"),
                (Some(p), None) => p.clone(),
                _ => String::new(),
            };
            self.top.push(
                severity,
                vuln.vulnerability_id.as_deref().unwrap_or("(no id)"),
                vuln.title.as_deref().unwrap_or(&package),
                Some(if package.is_empty() {
                    name.clone()
                } else {
                    format!("{name}: {package}")
                }),
            );
        }
        for misconfiguration in target.misconfigurations.unwrap_or_default() {
            let status = misconfiguration.status.as_deref().unwrap_or("FAIL");
            if !status.eq_ignore_ascii_case("FAIL") && !status.eq_ignore_ascii_case("FAILED") {
                continue;
            }
            let severity = Severity::from_name(misconfiguration.severity.as_deref().unwrap_or(""));
            self.severities.add(severity, 1);
            let line = misconfiguration
                .cause_metadata
                .and_then(|c| c.start_line)
                .filter(|&l| l > 0);
            self.top.push(
                severity,
                misconfiguration
                    .avdid
                    .as_deref()
                    .or(misconfiguration.id.as_deref())
                    .unwrap_or("(no id)"),
                misconfiguration
                    .title
                    .as_deref()
                    .or(misconfiguration.message.as_deref())
                    .unwrap_or(""),
                Some(match line {
                    Some(line) => format!("{name}:{line}"),
                    None => name.clone(),
                }),
            );
        }
        for secret in target.secrets.unwrap_or_default() {
            let severity = Severity::from_name(secret.severity.as_deref().unwrap_or(""));
            self.severities.add(severity, 1);
            self.top.push(
                severity,
                secret.rule_id.as_deref().unwrap_or("(no id)"),
                secret.title.as_deref().unwrap_or(""),
                Some(match secret.start_line.filter(|&l| l > 0) {
                    Some(line) => format!("{name}:{line}"),
                    None => name.clone(),
                }),
            );
        }
    }
}

#[derive(Deserialize)]
#[serde(field_identifier)]
enum ReportKey {
    SchemaVersion,
    Results,
    CreatedAt,
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
        f.write_str("a Trivy report (an object with SchemaVersion 2, or a list of targets)")
    }

    /// The legacy shape: a list of targets.
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        TargetsSeed(self.0).visit_seq(seq)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.0;
        let mut schema = None;
        while let Some(key) = map.next_key::<ReportKey>()? {
            match key {
                ReportKey::SchemaVersion => {
                    let version: serde_json::Value = map.next_value()?;
                    if version.as_u64() != Some(2) {
                        return Err(de::Error::custom(format_args!(
                            "Trivy SchemaVersion {version} is not supported (auditbook reads SchemaVersion 2)"
                        )));
                    }
                    schema = Some(2);
                }
                ReportKey::Results => map.next_value_seed(TargetsSeed(&mut *state))?,
                ReportKey::CreatedAt => {
                    let created: Option<String> = map.next_value()?;
                    state.created_at = created.as_deref().and_then(parse_timestamp);
                }
                ReportKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if schema.is_none() {
            return Err(de::Error::custom(
                "no `SchemaVersion`: not a Trivy JSON report",
            ));
        }
        Ok(())
    }
}

struct TargetsSeed<'a>(&'a mut State);

impl<'de> DeserializeSeed<'de> for TargetsSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TargetsSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of scan targets")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(target) = seq.next_element::<TargetResult>()? {
            self.0.target(target);
        }
        Ok(())
    }
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct TargetResult {
    target: Option<String>,
    vulnerabilities: Option<Vec<Vulnerability>>,
    misconfigurations: Option<Vec<Misconfiguration>>,
    secrets: Option<Vec<Secret>>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct Vulnerability {
    #[serde(rename = "VulnerabilityID")]
    vulnerability_id: Option<String>,
    pkg_name: Option<String>,
    installed_version: Option<String>,
    severity: Option<String>,
    title: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct Misconfiguration {
    #[serde(rename = "ID")]
    id: Option<String>,
    #[serde(rename = "AVDID")]
    avdid: Option<String>,
    title: Option<String>,
    message: Option<String>,
    severity: Option<String>,
    status: Option<String>,
    cause_metadata: Option<CauseMetadata>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct CauseMetadata {
    start_line: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct Secret {
    #[serde(rename = "RuleID")]
    rule_id: Option<String>,
    severity: Option<String>,
    title: Option<String>,
    start_line: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(text: &str) -> Severities {
        match parse(&mut text.as_bytes()).unwrap().summary {
            Summary::Findings { findings, .. } => findings,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn both_shapes_and_all_three_finding_kinds() {
        let current = r#"{"SchemaVersion": 2, "CreatedAt": "2026-01-02T03:04:05Z", "Results": [
            {"Target": "img", "Vulnerabilities": [{"VulnerabilityID": "CVE-1", "Severity": "CRITICAL"}, {"Severity": "UNKNOWN"}]},
            {"Target": "Dockerfile", "Misconfigurations": [{"ID": "DS001", "Severity": "HIGH", "Status": "FAIL"}, {"ID": "DS002", "Severity": "HIGH", "Status": "PASS"}]},
            {"Target": "key.pem", "Secrets": [{"RuleID": "private-key", "Severity": "HIGH", "StartLine": 3}]},
            {"Target": "empty", "Vulnerabilities": null}
        ]}"#;
        let s = counts(current);
        assert_eq!((s.critical, s.high, s.info), (1, 2, 1));
        let legacy = r#"[{"Target": "a", "Vulnerabilities": [{"Severity": "LOW"}, {"Severity": "MEDIUM"}]}, {"Target": "b", "Vulnerabilities": null}]"#;
        let s = counts(legacy);
        assert_eq!((s.low, s.medium), (1, 1));
        assert_eq!(
            counts(r#"{"SchemaVersion": 2, "ArtifactName": "x"}"#).total(),
            0
        );
    }

    #[test]
    fn unknown_schema_versions_are_problems() {
        let problem = parse(&mut &br#"{"SchemaVersion": 3, "Results": []}"#[..]).unwrap_err();
        assert!(problem.message.contains("SchemaVersion 3"), "{problem:?}");
        assert!(parse(&mut &br#"{"Results": []}"#[..]).is_err());
        assert!(parse(&mut &b"null"[..]).is_err());
    }
}
