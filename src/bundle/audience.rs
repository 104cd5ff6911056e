//! Audiences: who a bundle is for and which classifications they may see.
//! `[audiences.<name>] classifications = [...]` in auditbook.toml, and two
//! built-ins the config may redefine: `auditor` (everything) and
//! `prospect` (public and customer).
//!
//! The workspace is cut down to the audience before it is assessed, so
//! nothing withheld reaches a page, the search index, a chart or a count:
//! control statuses are recomputed from what remains (a prospect cannot
//! infer hidden evidence from a status), and a recurring activity whose
//! evidence glob matches a withheld item is left out whole rather than
//! shown with windows that look missed.

use anyhow::bail;

use crate::config::{Classification, Config};
use crate::workspace::Workspace;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience {
    pub name: String,
    /// Sorted, lowest first.
    pub classifications: Vec<Classification>,
}

impl Audience {
    pub fn may_see(&self, classification: Classification) -> bool {
        self.classifications.contains(&classification)
    }
}

/// The built-in audiences.
pub const BUILT_IN: &[(&str, &[Classification])] = &[
    ("auditor", &Classification::ALL),
    (
        "prospect",
        &[Classification::Public, Classification::Customer],
    ),
];

/// The audience `name`: from the config, else a built-in.
pub fn resolve(config: &Config, name: &str) -> anyhow::Result<Audience> {
    let classifications = match config.audiences.get(name) {
        Some(audience) => audience.classifications.clone(),
        None => match BUILT_IN.iter().find(|(n, _)| *n == name) {
            Some((_, classes)) => classes.to_vec(),
            None => {
                let mut known: Vec<&str> = BUILT_IN.iter().map(|(n, _)| *n).collect();
                known.extend(config.audiences.keys().map(String::as_str));
                known.sort_unstable();
                known.dedup();
                bail!(
                    "unknown audience `{name}`: the audiences are {} (add others under [audiences.<name>] in auditbook.toml)",
                    known.join(", ")
                );
            }
        },
    };
    let mut classifications = classifications;
    classifications.sort_unstable();
    classifications.dedup();
    if classifications.is_empty() {
        bail!("audience `{name}` may see no classification: give it some under [audiences.{name}] classifications");
    }
    Ok(Audience {
        name: name.to_string(),
        classifications,
    })
}

/// What [`restrict`] left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Withheld {
    pub policies: usize,
    pub evidence: usize,
    pub schedules: usize,
}

impl Withheld {
    pub fn any(&self) -> bool {
        self.policies + self.evidence + self.schedules > 0
    }
}

/// Removes from `workspace` every policy and evidence item the audience
/// may not see, and every schedule that would count withheld evidence.
pub fn restrict(workspace: &mut Workspace, audience: &Audience) -> Withheld {
    let mut withheld = Withheld::default();
    let before = workspace.policies.len();
    workspace
        .policies
        .retain(|p| audience.may_see(p.classification));
    withheld.policies = before - workspace.policies.len();

    let (kept, hidden): (Vec<_>, Vec<_>) = std::mem::take(&mut workspace.evidence)
        .into_iter()
        .partition(|e| audience.may_see(e.classification));
    workspace.evidence = kept;
    withheld.evidence = hidden.len();

    if let Some(config) = workspace.config.as_mut() {
        let before = config.schedules.len();
        config
            .schedules
            .retain(|s| !hidden.iter().any(|e| s.matches(&e.path)));
        withheld.schedules = before - config.schedules.len();
    }
    withheld
}
