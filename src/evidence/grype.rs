//! Grype JSON: matches by severity (`Negligible` and `Unknown` are info),
//! ignored matches as suppressed, the descriptor's name as the tool and its
//! timestamp as the scan time. Matches are streamed one at a time.

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
            tools: vec![state.tool.unwrap_or_else(|| "grype".to_string())],
            suppressed: state.ignored,
        },
        details: state.top.finish(),
        observed_at: state.timestamp,
    })
}

#[derive(Default)]
struct State {
    severities: Severities,
    ignored: u64,
    top: TopFindings,
    tool: Option<String>,
    timestamp: Option<DateTime<Utc>>,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "camelCase")]
enum ReportKey {
    Matches,
    IgnoredMatches,
    Descriptor,
    #[serde(other)]
    Other,
}

struct ReportSeed<'a>(&'a mut State);

impl<'de> DeserializeSeed<'de> for ReportSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ReportSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Grype report object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let state = self.0;
        let mut matches = false;
        while let Some(key) = map.next_key::<ReportKey>()? {
            match key {
                ReportKey::Matches => {
                    map.next_value_seed(MatchesSeed {
                        state: &mut *state,
                        ignored: false,
                    })?;
                    matches = true;
                }
                ReportKey::IgnoredMatches => map.next_value_seed(MatchesSeed {
                    state: &mut *state,
                    ignored: true,
                })?,
                ReportKey::Descriptor => {
                    let descriptor: Option<Descriptor> = map.next_value()?;
                    if let Some(descriptor) = descriptor {
                        state.tool = descriptor.name.filter(|n| !n.is_empty());
                        state.timestamp = descriptor.timestamp.as_deref().and_then(parse_timestamp);
                    }
                }
                ReportKey::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !matches {
            return Err(de::Error::custom("no `matches`: not a Grype JSON report"));
        }
        Ok(())
    }
}

struct MatchesSeed<'a> {
    state: &'a mut State,
    ignored: bool,
}

impl<'de> DeserializeSeed<'de> for MatchesSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for MatchesSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of matches")
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let state = self.state;
        if self.ignored {
            while seq.next_element::<IgnoredAny>()?.is_some() {
                state.ignored = state.ignored.saturating_add(1);
            }
            return Ok(());
        }
        while let Some(found) = seq.next_element::<Match>()? {
            let vulnerability = found.vulnerability.unwrap_or_default();
            let artifact = found.artifact.unwrap_or_default();
            let severity = Severity::from_name(vulnerability.severity.as_deref().unwrap_or(""));
            state.severities.add(severity, 1);
            let package = [artifact.name.as_deref(), artifact.version.as_deref()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
            let message = match vulnerability.description.as_deref() {
                Some(description) if !package.is_empty() => format!("{package}: {description}"),
                Some(description) => description.to_string(),
                None => package.clone(),
            };
            let location = artifact
                .locations
                .unwrap_or_default()
                .into_iter()
                .find_map(|l| l.path)
                .or((!package.is_empty()).then_some(package));
            state.top.push(
                severity,
                vulnerability.id.as_deref().unwrap_or("(no id)"),
                &message,
                location,
            );
        }
        Ok(())
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Descriptor {
    name: Option<String>,
    timestamp: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Match {
    vulnerability: Option<Vulnerability>,
    artifact: Option<Artifact>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Vulnerability {
    id: Option<String>,
    severity: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Artifact {
    name: Option<String>,
    version: Option<String>,
    locations: Option<Vec<ArtifactLocation>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ArtifactLocation {
    path: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_by_severity_and_ignored_as_suppressed() {
        let report = r#"{"matches": [
            {"vulnerability": {"id": "CVE-1", "severity": "Critical"}, "artifact": {"name": "a", "version": "1"}},
            {"vulnerability": {"id": "CVE-2", "severity": "Negligible"}, "artifact": {}},
            {"vulnerability": {"id": "CVE-3", "severity": "Unknown"}}
          ], "ignoredMatches": [{"vulnerability": {}}, {}],
          "descriptor": {"name": "grype", "version": "0.94.0", "timestamp": "2025-06-19T11:43:35.523947199Z"}}"#;
        let parsed = parse(&mut report.as_bytes()).unwrap();
        let Summary::Findings {
            findings,
            tools,
            suppressed,
        } = parsed.summary
        else {
            panic!()
        };
        assert_eq!((findings.critical, findings.info), (1, 2));
        assert_eq!(tools, vec!["grype"]);
        assert_eq!(suppressed, 2);
        assert!(parsed.observed_at.is_some());
        assert!(parse(&mut &br#"{"source": {}}"#[..]).is_err());
    }
}
