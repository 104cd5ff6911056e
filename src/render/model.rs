//! `model.json` and `model-evidence.json`: the machine-readable model of
//! one period, written into its folder and listed in its manifest. A later
//! period reads the model of the one before it to show what changed, so the
//! workspace need not keep old states: what a published folder holds is the
//! record. The evidence items are a file of their own, so that editing a
//! policy rewrites only the first (format 1, read too, held everything in
//! `model.json`).
//!
//! The model holds what the "changes since" page compares: policies (facts,
//! the markdown text and its sha256), controls (status, counts) and
//! evidence items. Lists are sorted, so the same assessment gives the same
//! bytes.

use std::path::Path;

use anyhow::Context;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::views::Site;
use crate::assess::Assessment;

pub const MODEL: &str = "model.json";
pub const MODEL_EVIDENCE: &str = "model-evidence.json";

/// Raise when a field changes meaning; a model of another format is not
/// compared with. Format 1 is format 2 with the evidence in `model.json`.
pub const FORMAT: u32 = 2;

/// One period's policies, controls and evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Model {
    pub format: u32,
    pub period: String,
    pub start: String,
    pub end: String,
    /// Sorted by id.
    pub policies: Vec<PolicyModel>,
    /// Assessed controls, sorted by framework and id.
    pub controls: Vec<ControlModel>,
    /// Sorted by path.
    pub evidence: Vec<EvidenceModel>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyModel {
    pub id: String,
    pub title: String,
    pub owner: String,
    pub version: String,
    pub approved_on: Option<String>,
    pub approved_by: Option<String>,
    pub classification: String,
    /// Display ids of the controls it maps to.
    pub controls: Vec<String>,
    /// Its page, relative to the period folder.
    pub page: String,
    /// sha256 of `text`.
    pub sha256: String,
    /// The markdown after the front matter.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlModel {
    /// The framework's id (`soc2`, `iso27001`, …).
    pub framework: String,
    pub id: String,
    pub title: String,
    pub status: String,
    /// Evidence items linked to it (crosswalk-related ones aside).
    pub evidence: usize,
    pub policies: usize,
    pub page: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceModel {
    pub path: String,
    pub kind: String,
    pub sha256: String,
    pub size: u64,
    pub collected_at: String,
    pub classification: String,
    pub stale: bool,
    pub controls: Vec<String>,
    pub page: String,
}

impl Model {
    /// The model of `a`, with the page paths `site` gives.
    pub(super) fn of(a: &Assessment<'_>, site: &Site<'_>) -> Model {
        Model {
            evidence: Model::evidence_of(a, site),
            ..Model::head_of(a, site)
        }
    }

    /// The model of `a` without its evidence items (for `model.json`).
    pub(super) fn head_of(a: &Assessment<'_>, site: &Site<'_>) -> Model {
        let workspace = a.workspace;
        let catalog = &workspace.catalog;
        let mut policies: Vec<PolicyModel> = workspace
            .policies
            .iter()
            .enumerate()
            .map(|(i, p)| PolicyModel {
                id: p.id.clone(),
                title: p.title.clone(),
                owner: p.owner.clone(),
                version: p.version.clone(),
                approved_on: p.approved_on.map(|d| d.to_string()),
                approved_by: p.approved_by.clone(),
                classification: p.classification.as_str().to_string(),
                controls: p.controls.iter().map(|&k| catalog.display_id(k)).collect(),
                page: site.policy_path(i),
                sha256: hex::encode(Sha256::digest(p.body.as_bytes())),
                text: p.body.clone(),
            })
            .collect();
        policies.sort_by(|x, y| x.id.cmp(&y.id));
        let mut controls: Vec<ControlModel> = a
            .controls
            .iter()
            .enumerate()
            .map(|(i, c)| ControlModel {
                framework: catalog.framework_of(c.control).id.clone(),
                id: catalog.control(c.control).id.clone(),
                title: catalog.control(c.control).title.clone(),
                status: c.status.as_str().to_string(),
                evidence: c.evidence.len(),
                policies: c.policies.len(),
                page: site.control_path(i),
            })
            .collect();
        controls.sort_by(|x, y| (&x.framework, &x.id).cmp(&(&y.framework, &y.id)));
        let period = &a.config.period;
        Model {
            format: FORMAT,
            period: period.name.clone(),
            start: period.start.to_string(),
            end: period.end.to_string(),
            policies,
            controls,
            evidence: Vec::new(),
        }
    }

    /// The model's evidence items (for `model-evidence.json`), sorted by
    /// path.
    pub(super) fn evidence_of(a: &Assessment<'_>, site: &Site<'_>) -> Vec<EvidenceModel> {
        let workspace = a.workspace;
        let catalog = &workspace.catalog;
        let mut evidence: Vec<EvidenceModel> = workspace
            .evidence
            .par_iter()
            .enumerate()
            .map(|(i, e)| EvidenceModel {
                path: e.path.clone(),
                kind: e.kind.as_str().to_string(),
                sha256: e.sha256.clone(),
                size: e.size,
                collected_at: crate::report::time(e.collected_at),
                classification: e.classification.as_str().to_string(),
                stale: a.evidence_stale[i],
                controls: e.control_keys().map(|k| catalog.display_id(k)).collect(),
                page: site.evidence_path(i),
            })
            .collect();
        evidence.par_sort_by(|x, y| x.path.cmp(&y.path));
        evidence
    }

    /// The JSON written as `model.json`: everything but the evidence items.
    pub fn to_json(&self) -> Vec<u8> {
        #[derive(Serialize)]
        struct Head<'a> {
            format: u32,
            period: &'a str,
            start: &'a str,
            end: &'a str,
            policies: &'a [PolicyModel],
            controls: &'a [ControlModel],
            evidence_file: &'a str,
        }
        let head = Head {
            format: self.format,
            period: &self.period,
            start: &self.start,
            end: &self.end,
            policies: &self.policies,
            controls: &self.controls,
            evidence_file: MODEL_EVIDENCE,
        };
        let mut json = serde_json::to_vec(&head).expect("a model serializes");
        json.push(b'\n');
        json
    }

    /// The JSON written as `model-evidence.json`: the evidence items,
    /// serialised in parallel pieces.
    pub fn evidence_json(evidence: &[EvidenceModel]) -> Vec<u8> {
        let mut json = String::with_capacity(evidence.len() * 300 + 64);
        json.push_str(&format!("{{\"format\":{FORMAT},\"evidence\":"));
        json.push_str(&super::json_array(evidence));
        json.push_str("}\n");
        json.into_bytes()
    }

    /// The model in `period_dir`, with a sha256 that stands for the files
    /// it was read from; `None` when the folder has none (a period built
    /// before models were written) or one of another format.
    pub fn read(period_dir: &Path) -> anyhow::Result<Option<(Model, String)>> {
        let Some(bytes) = read_if_there(&period_dir.join(MODEL))? else {
            return Ok(None);
        };
        let path = period_dir.join(MODEL);
        #[derive(Deserialize)]
        struct Format {
            format: u32,
        }
        let format: Format = serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a period model", path.display()))?;
        match format.format {
            1 => {
                let model = serde_json::from_slice(&bytes)
                    .with_context(|| format!("{} is not a period model", path.display()))?;
                Ok(Some((model, hex::encode(Sha256::digest(&bytes)))))
            }
            2 => {
                #[derive(Deserialize)]
                struct Head {
                    format: u32,
                    period: String,
                    start: String,
                    end: String,
                    policies: Vec<PolicyModel>,
                    controls: Vec<ControlModel>,
                }
                #[derive(Deserialize)]
                struct Evidence {
                    evidence: Vec<EvidenceModel>,
                }
                let head: Head = serde_json::from_slice(&bytes)
                    .with_context(|| format!("{} is not a period model", path.display()))?;
                let evidence_path = period_dir.join(MODEL_EVIDENCE);
                let Some(evidence_bytes) = read_if_there(&evidence_path)? else {
                    anyhow::bail!(
                        "{} is missing beside {}",
                        evidence_path.display(),
                        path.display()
                    );
                };
                let evidence: Evidence =
                    serde_json::from_slice(&evidence_bytes).with_context(|| {
                        format!(
                            "{} is not a period model's evidence",
                            evidence_path.display()
                        )
                    })?;
                let mut both = Sha256::new();
                both.update(Sha256::digest(&bytes));
                both.update(Sha256::digest(&evidence_bytes));
                let model = Model {
                    format: head.format,
                    period: head.period,
                    start: head.start,
                    end: head.end,
                    policies: head.policies,
                    controls: head.controls,
                    evidence: evidence.evidence,
                };
                Ok(Some((model, hex::encode(both.finalize()))))
            }
            _ => Ok(None),
        }
    }
}

/// The bytes of `path`, or `None` when there is no such file.
fn read_if_there(path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_read_back_as_the_same_model_and_format_1_still_reads() {
        let evidence = |i: usize| EvidenceModel {
            path: format!("evidence/\"scan\" {i}.json"),
            kind: "sarif".into(),
            sha256: "ab".repeat(32),
            size: i as u64,
            collected_at: "2026-05-01T00:00:00Z".into(),
            classification: "internal".into(),
            stale: i % 2 == 0,
            controls: vec!["CC6.1".into()],
            page: format!("evidence/{i}.html"),
        };
        for n in [0, 1, 5000] {
            let model = Model {
                format: FORMAT,
                period: "2026".into(),
                start: "2026-01-01".into(),
                end: "2026-12-31".into(),
                policies: vec![PolicyModel {
                    id: "security/access".into(),
                    title: "Access <control>".into(),
                    owner: "CISO".into(),
                    version: "2".into(),
                    approved_on: None,
                    approved_by: Some("Board".into()),
                    classification: "internal".into(),
                    controls: vec!["A.5.15".into()],
                    page: "policies/security/access.html".into(),
                    sha256: "cd".repeat(32),
                    text: "# Access\n\nLine\u{2028}two".into(),
                }],
                controls: vec![],
                evidence: (0..n).map(evidence).collect(),
            };
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join(MODEL), model.to_json()).unwrap();
            std::fs::write(
                dir.path().join(MODEL_EVIDENCE),
                Model::evidence_json(&model.evidence),
            )
            .unwrap();
            let (read, _) = Model::read(dir.path()).unwrap().unwrap();
            assert_eq!(read, model);
            // Format 1: everything in model.json.
            let one = Model {
                format: 1,
                ..model.clone()
            };
            std::fs::remove_file(dir.path().join(MODEL_EVIDENCE)).unwrap();
            std::fs::write(
                dir.path().join(MODEL),
                serde_json::to_vec_pretty(&one).unwrap(),
            )
            .unwrap();
            let (read, _) = Model::read(dir.path()).unwrap().unwrap();
            assert_eq!(read, one);
        }
    }
}
