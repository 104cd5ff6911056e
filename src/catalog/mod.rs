//! Control catalogs: the built-in SOC 2 and ISO/IEC 27001:2022 frameworks,
//! the workspace's own `catalogs/*.yaml`, and the crosswalk between them.
//!
//! A [`Catalog`] owns every control that exists; the rest of auditbook names
//! controls by [`ControlKey`], obtained from [`Catalog::resolve`], so an id
//! that was checked once never needs checking again.

mod crosswalk;

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

use crate::diagnostic::{locate_token, Code, Diagnostic, Diagnostics, Position};
use crate::fsutil;

pub use crosswalk::{Crosswalk, CrosswalkLink, CROSSWALK_ATTRIBUTION};

/// The built-in frameworks, compiled into the binary.
const BUILTIN: &[(&str, &str)] = &[
    ("soc2.yaml", include_str!("data/soc2.yaml")),
    ("iso27001.yaml", include_str!("data/iso27001.yaml")),
];

/// Identifies one control of a [`Catalog`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ControlKey {
    framework: u16,
    control: u16,
}

impl ControlKey {
    pub fn framework_index(self) -> usize {
        self.framework.into()
    }
}

/// A framework: a named list of controls in groups.
#[derive(Debug, Clone)]
pub struct Framework {
    pub id: String,
    pub name: String,
    pub short_name: String,
    pub version: Option<String>,
    pub description: Option<String>,
    /// Where a workspace catalog came from; `None` for built-ins.
    pub file: Option<String>,
    pub groups: Vec<Group>,
    pub controls: Vec<Control>,
}

impl Framework {
    pub fn is_builtin(&self) -> bool {
        self.file.is_none()
    }
}

#[derive(Debug, Clone)]
pub struct Group {
    pub id: String,
    pub title: String,
}

#[derive(Debug, Clone)]
pub struct Control {
    pub id: String,
    pub title: String,
    pub group: Option<String>,
    pub description: String,
}

/// Every framework auditbook knows in this workspace.
#[derive(Debug, Clone)]
pub struct Catalog {
    frameworks: Vec<Framework>,
    /// Bare control id -> every control with that id.
    by_id: HashMap<String, Vec<ControlKey>>,
    crosswalk: Crosswalk,
}

/// Why an id names no single control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    Unknown { suggestions: Vec<String> },
    Ambiguous { candidates: Vec<String> },
}

impl ResolveError {
    /// A diagnostic for `id` written in `file` at `position`.
    pub fn diagnostic(&self, id: &str, file: &str, position: Option<Position>) -> Diagnostic {
        let diagnostic = match self {
            ResolveError::Unknown { suggestions } => {
                let diagnostic =
                    Diagnostic::new(Code::UnknownControl, format!("unknown control id `{id}`"));
                match suggestions.as_slice() {
                    [] => diagnostic.with_help(
                        "control ids look like `CC6.1` (SOC 2), `A.8.24` (ISO 27001 Annex A) or `6.1.2` (ISO 27001 clauses)",
                    ),
                    [one] => diagnostic.with_help(format!("did you mean `{one}`?")),
                    many => diagnostic.with_help(format!("did you mean one of {}?", quoted_list(many))),
                }
            }
            ResolveError::Ambiguous { candidates } => Diagnostic::new(
                Code::UnknownControl,
                format!("control id `{id}` exists in more than one framework"),
            )
            .with_help(format!(
                "write it with its framework: {}",
                quoted_list(candidates)
            )),
        };
        diagnostic.in_file(file).at(position)
    }
}

fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|item| format!("`{item}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Catalog {
    /// The built-in frameworks and crosswalk alone.
    pub fn builtin() -> Catalog {
        let frameworks = BUILTIN
            .iter()
            .map(|(name, text)| {
                let raw: RawFramework = serde_yaml_ng::from_str(text)
                    .unwrap_or_else(|e| panic!("built-in catalog {name} is malformed: {e}"));
                raw.into_framework(None)
            })
            .collect();
        let mut catalog = Catalog::from_frameworks(frameworks);
        catalog.crosswalk = Crosswalk::builtin(&catalog);
        catalog
    }

    /// The built-in frameworks plus every `catalogs/*.yaml` of the
    /// workspace at `root`. Problems with those files become diagnostics;
    /// a broken catalog is left out rather than stopping the run.
    pub fn load(root: &Path, diagnostics: &mut Diagnostics) -> anyhow::Result<Catalog> {
        let mut catalog = Catalog::builtin();
        let dir = root.join("catalogs");
        if !dir.is_dir() {
            return Ok(catalog);
        }
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .with_context(|| format!("cannot list {}", dir.display()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| {
                path.is_file()
                    && matches!(
                        path.extension().and_then(|e| e.to_str()),
                        Some("yaml" | "yml")
                    )
            })
            .collect();
        files.sort();

        let mut pending_maps = Vec::new();
        for path in files {
            let relative = fsutil::relative_display(root, &path);
            let text = match fsutil::read_text(&path) {
                Ok(text) => text,
                Err(e) => {
                    diagnostics.push(
                        Diagnostic::new(Code::FileUnreadable, format!("{e:#}")).in_file(&relative),
                    );
                    continue;
                }
            };
            if let Some((framework, maps)) =
                parse_workspace_framework(&catalog, &text, &relative, diagnostics)
            {
                let index = catalog.frameworks.len();
                catalog.add_framework(framework);
                pending_maps.push((index, relative, text, maps));
            }
        }

        // Mappings are resolved once every catalog is loaded, so catalogs
        // may map to each other.
        for (framework_index, file, text, maps) in pending_maps {
            for (control_index, targets) in maps {
                let from = ControlKey {
                    framework: framework_index as u16,
                    control: control_index as u16,
                };
                for target in targets {
                    match catalog.resolve(&target) {
                        Ok(to) => catalog.crosswalk.add(from, to, file.clone()),
                        Err(error) => diagnostics.push(error.diagnostic(
                            &target,
                            &file,
                            locate_token(&text, &target, 0),
                        )),
                    }
                }
            }
        }
        catalog.crosswalk.finish();
        Ok(catalog)
    }

    fn from_frameworks(frameworks: Vec<Framework>) -> Catalog {
        let mut catalog = Catalog {
            frameworks: Vec::new(),
            by_id: HashMap::new(),
            crosswalk: Crosswalk::default(),
        };
        for framework in frameworks {
            catalog.add_framework(framework);
        }
        catalog
    }

    fn add_framework(&mut self, framework: Framework) {
        let framework_index = self.frameworks.len() as u16;
        for (control_index, control) in framework.controls.iter().enumerate() {
            self.by_id
                .entry(control.id.clone())
                .or_default()
                .push(ControlKey {
                    framework: framework_index,
                    control: control_index as u16,
                });
        }
        self.frameworks.push(framework);
    }

    pub fn frameworks(&self) -> &[Framework] {
        &self.frameworks
    }

    pub fn framework(&self, id: &str) -> Option<(usize, &Framework)> {
        self.frameworks.iter().enumerate().find(|(_, f)| f.id == id)
    }

    pub fn control(&self, key: ControlKey) -> &Control {
        &self.frameworks[usize::from(key.framework)].controls[usize::from(key.control)]
    }

    pub fn framework_of(&self, key: ControlKey) -> &Framework {
        &self.frameworks[usize::from(key.framework)]
    }

    /// Every control of every framework, in catalog order.
    pub fn keys(&self) -> impl Iterator<Item = ControlKey> + '_ {
        self.frameworks
            .iter()
            .enumerate()
            .flat_map(|(framework, f)| {
                (0..f.controls.len()).map(move |control| ControlKey {
                    framework: framework as u16,
                    control: control as u16,
                })
            })
    }

    /// Every control of one framework, in catalog order.
    pub fn keys_of(&self, framework: usize) -> impl Iterator<Item = ControlKey> {
        (0..self.frameworks[framework].controls.len()).map(move |control| ControlKey {
            framework: framework as u16,
            control: control as u16,
        })
    }

    /// The id as users write it: bare when that is unambiguous, else
    /// `framework:id`.
    pub fn display_id(&self, key: ControlKey) -> String {
        let id = &self.control(key).id;
        if self.by_id.get(id).is_some_and(|keys| keys.len() > 1) {
            format!("{}:{}", self.framework_of(key).id, id)
        } else {
            id.clone()
        }
    }

    pub fn crosswalk(&self) -> &Crosswalk {
        &self.crosswalk
    }

    /// Finds the control an id names: `CC6.1`, `A.8.24`, `6.1.2`, or any of
    /// them with a `framework:` prefix.
    pub fn resolve(&self, id: &str) -> Result<ControlKey, ResolveError> {
        let id = id.trim();
        if let Some((prefix, bare)) = id.split_once(':') {
            if let Some((framework, _)) = self.framework(prefix.trim()) {
                let bare = bare.trim();
                return self
                    .by_id
                    .get(bare)
                    .and_then(|keys| {
                        keys.iter()
                            .copied()
                            .find(|k| usize::from(k.framework) == framework)
                    })
                    .ok_or_else(|| ResolveError::Unknown {
                        suggestions: self
                            .suggest(bare, Some(framework))
                            .into_iter()
                            .map(|s| format!("{prefix}:{s}"))
                            .collect(),
                    });
            }
        }
        match self.by_id.get(id).map(Vec::as_slice) {
            Some([key]) => Ok(*key),
            Some(keys) if !keys.is_empty() => Err(ResolveError::Ambiguous {
                candidates: keys
                    .iter()
                    .map(|&k| format!("{}:{}", self.framework_of(k).id, id))
                    .collect(),
            }),
            _ => Err(ResolveError::Unknown {
                suggestions: self.suggest(id, None),
            }),
        }
    }

    /// Up to three valid ids close to `id`: its sub-controls first (`6.1` →
    /// `6.1.1`), then the same id with or without `A.`, then ids within a
    /// small edit distance, nearest first.
    fn suggest(&self, id: &str, framework: Option<usize>) -> Vec<String> {
        const LIMIT: usize = 3;
        let in_scope = |key: &ControlKey| framework.is_none_or(|f| usize::from(key.framework) == f);
        let candidates: Vec<(&String, ControlKey)> = self
            .frameworks
            .iter()
            .enumerate()
            .flat_map(|(fi, f)| {
                f.controls.iter().enumerate().map(move |(ci, c)| {
                    (
                        &c.id,
                        ControlKey {
                            framework: fi as u16,
                            control: ci as u16,
                        },
                    )
                })
            })
            .filter(|(_, key)| in_scope(key))
            .collect();

        let mut out: Vec<String> = Vec::new();
        let push = |candidate: &str, out: &mut Vec<String>| {
            if out.len() < LIMIT && !out.iter().any(|o| o == candidate) {
                out.push(candidate.to_string());
            }
        };

        let child_prefix = format!("{id}.");
        for (candidate, _) in &candidates {
            if candidate.starts_with(&child_prefix) {
                push(candidate, &mut out);
            }
        }
        let alternate = match id.strip_prefix("A.") {
            Some(bare) => bare.to_string(),
            None => format!("A.{id}"),
        };
        for (candidate, _) in &candidates {
            if **candidate == alternate || candidate.eq_ignore_ascii_case(id) {
                push(candidate, &mut out);
            }
        }

        // Rank by distance after undoing look-alike characters (`CC6.l` is
        // `CC6.1` mistyped), then keep only the nearest tier.
        let max_distance = if id.len() <= 4 { 1 } else { 2 };
        let lowered = unconfuse(id);
        let mut near: Vec<(usize, usize, &String)> = candidates
            .iter()
            .enumerate()
            .filter_map(|(order, (candidate, _))| {
                let distance = strsim::damerau_levenshtein(&lowered, &unconfuse(candidate));
                (distance <= max_distance).then_some((distance, order, *candidate))
            })
            .collect();
        near.sort();
        let nearest = near.first().map(|n| n.0);
        near.retain(|n| Some(n.0) == nearest);
        for (_, _, candidate) in near {
            push(candidate, &mut out);
        }
        out
    }
}

impl fmt::Display for ControlKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.framework, self.control)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFramework {
    id: String,
    name: String,
    short_name: Option<String>,
    version: Option<String>,
    description: Option<String>,
    #[serde(default)]
    groups: Vec<RawGroup>,
    controls: Vec<RawControl>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    id: String,
    title: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawControl {
    id: String,
    title: String,
    group: Option<String>,
    description: Option<String>,
    #[serde(default)]
    maps_to: Vec<String>,
}

impl RawFramework {
    fn into_framework(self, file: Option<String>) -> Framework {
        Framework {
            short_name: self.short_name.unwrap_or_else(|| self.name.clone()),
            id: self.id,
            name: self.name,
            version: self.version,
            description: self.description,
            file,
            groups: self
                .groups
                .into_iter()
                .map(|g| Group {
                    id: g.id,
                    title: g.title,
                })
                .collect(),
            controls: self
                .controls
                .into_iter()
                .map(|c| Control {
                    id: c.id,
                    title: c.title,
                    group: c.group,
                    description: c.description.unwrap_or_default(),
                })
                .collect(),
        }
    }
}

/// A control's index in its framework and the raw ids it maps to.
type PendingMaps = Vec<(usize, Vec<String>)>;

/// Parses and validates one workspace catalog. Returns `None` (after
/// reporting why) when the file cannot be used at all.
fn parse_workspace_framework(
    catalog: &Catalog,
    text: &str,
    file: &str,
    diagnostics: &mut Diagnostics,
) -> Option<(Framework, PendingMaps)> {
    let raw: RawFramework = match serde_yaml_ng::from_str(text) {
        Ok(raw) => raw,
        Err(error) => {
            diagnostics.push(yaml_diagnostic(
                Code::CatalogInvalid,
                &error,
                file,
                0,
                &[
                    "id",
                    "name",
                    "short_name",
                    "version",
                    "description",
                    "groups",
                    "controls",
                ],
            ));
            return None;
        }
    };
    let invalid = |message: String, needle: &str| {
        Diagnostic::new(Code::CatalogInvalid, message)
            .in_file(file)
            .at(locate_token(text, needle, 0))
    };

    if !is_kebab_case(&raw.id) {
        diagnostics.push(
            invalid(
                format!("framework id `{}` must be lowercase kebab-case", raw.id),
                &raw.id,
            )
            .with_help("write it like `production-readiness`"),
        );
        return None;
    }
    if catalog.framework(&raw.id).is_some() {
        diagnostics.push(invalid(
            format!(
                "framework id `{}` is already used by another catalog",
                raw.id
            ),
            &raw.id,
        ));
        return None;
    }

    let mut ok = true;
    let mut seen = HashMap::new();
    for control in &raw.controls {
        if control.id.trim().is_empty()
            || control.id.contains(char::is_whitespace)
            || control.id.contains(':')
        {
            diagnostics.push(invalid(
                format!(
                    "control id `{}` must be non-empty without spaces or `:`",
                    control.id
                ),
                &control.id,
            ));
            ok = false;
        } else if seen.insert(control.id.as_str(), ()).is_some() {
            diagnostics.push(invalid(
                format!("control id `{}` appears twice", control.id),
                &control.id,
            ));
            ok = false;
        }
        if let Some(group) = &control.group {
            if !raw.groups.iter().any(|g| &g.id == group) {
                let known: Vec<String> = raw.groups.iter().map(|g| g.id.clone()).collect();
                let mut diagnostic = invalid(
                    format!(
                        "control `{}` names group `{group}`, which the catalog does not define",
                        control.id
                    ),
                    group,
                );
                if !known.is_empty() {
                    diagnostic =
                        diagnostic.with_help(format!("defined groups: {}", quoted_list(&known)));
                }
                diagnostics.push(diagnostic);
                ok = false;
            }
        }
    }
    if !ok {
        return None;
    }
    let maps = raw
        .controls
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.maps_to.is_empty())
        .map(|(i, c)| (i, c.maps_to.clone()))
        .collect();
    Some((raw.into_framework(Some(file.to_string())), maps))
}

/// Lower-cases an id and maps characters often typed for digits to them.
fn unconfuse(id: &str) -> String {
    id.chars()
        .map(|c| match c {
            'l' | 'I' | 'i' => '1',
            'O' | 'o' => '0',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

fn is_kebab_case(id: &str) -> bool {
    !id.is_empty()
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Turns a serde_yaml error into a diagnostic at its position, shifted by
/// the lines that precede the YAML document in its file; an unknown key
/// gets the nearest known key as help.
pub(crate) fn yaml_diagnostic(
    code: Code,
    error: &serde_yaml_ng::Error,
    file: &str,
    lines_before: u32,
    known_keys: &[&str],
) -> Diagnostic {
    let position = error.location().map(|l| {
        Position {
            line: u32::try_from(l.line()).unwrap_or(u32::MAX),
            column: u32::try_from(l.column()).unwrap_or(u32::MAX),
        }
        .shifted(lines_before)
    });
    let message = error.to_string();
    // serde_yaml appends " at line N column M"; the position says that already.
    let message = match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message,
    };
    let help = unknown_field_help(&message, known_keys);
    let mut diagnostic = Diagnostic::new(code, message).in_file(file).at(position);
    if let Some(help) = help {
        diagnostic = diagnostic.with_help(help);
    }
    diagnostic
}

/// For serde's "unknown field `x`, expected ..." message: the nearest
/// valid key, if one is close.
pub(crate) fn unknown_field_help(message: &str, known_keys: &[&str]) -> Option<String> {
    let rest = message.split("unknown field `").nth(1)?;
    let field = &rest[..rest.find('`')?];
    let nearest = known_keys
        .iter()
        .map(|k| (strsim::damerau_levenshtein(field, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 3))
        .min()?;
    Some(format!("did you mean `{}`?", nearest.1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_catalogs_have_every_control() {
        let catalog = Catalog::builtin();
        let (soc2, soc2_framework) = catalog.framework("soc2").unwrap();
        assert_eq!(soc2_framework.controls.len(), 61);
        let (_, iso) = catalog.framework("iso27001").unwrap();
        let annex = iso
            .controls
            .iter()
            .filter(|c| c.id.starts_with("A."))
            .count();
        assert_eq!(annex, 93);
        assert_eq!(iso.controls.len() - annex, 30);
        assert_eq!(catalog.keys_of(soc2).count(), 61);
        for framework in catalog.frameworks() {
            for control in &framework.controls {
                assert!(
                    !control.description.is_empty(),
                    "{} has no description",
                    control.id
                );
                assert!(control.group.is_some(), "{} has no group", control.id);
            }
        }
    }

    #[test]
    fn ids_resolve_bare_and_prefixed() {
        let catalog = Catalog::builtin();
        let key = catalog.resolve("CC6.1").unwrap();
        assert_eq!(catalog.control(key).id, "CC6.1");
        assert_eq!(catalog.resolve("soc2:CC6.1"), Ok(key));
        assert_eq!(
            catalog.control(catalog.resolve("6.1.2").unwrap()).id,
            "6.1.2"
        );
        assert_eq!(
            catalog
                .control(catalog.resolve("iso27001:A.8.24").unwrap())
                .id,
            "A.8.24"
        );
    }

    #[test]
    fn unknown_ids_suggest_the_nearest() {
        let catalog = Catalog::builtin();
        let suggestions = |id: &str| match catalog.resolve(id) {
            Err(ResolveError::Unknown { suggestions }) => suggestions,
            other => panic!("{id} resolved: {other:?}"),
        };
        assert_eq!(suggestions("CC6.l")[0], "CC6.1");
        assert_eq!(suggestions("6.1"), ["6.1.1", "6.1.2", "6.1.3"]);
        assert_eq!(suggestions("5.23")[0], "A.5.23");
        assert_eq!(suggestions("cc7.2")[0], "CC7.2");
        assert_eq!(suggestions("soc2:CC9.9")[0], "soc2:CC9.1");
        assert!(suggestions("XYZ-123").is_empty());
    }
}
