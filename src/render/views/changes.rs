//! The "changes since `<previous period>`" page: this period's model against
//! the model the previous period's folder holds. Policies added, removed
//! or changed (facts, and a line diff of the text), control status changes,
//! evidence counts per control, and evidence files added, removed or
//! changed.

use std::collections::BTreeMap;

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

use super::href;
use crate::render::model::{ControlModel, EvidenceModel, Model, PolicyModel};

/// Lines of context around each change in a policy's text diff.
const CONTEXT: usize = 3;
/// Diff lines shown per policy; a rewrite of a long policy is cut here.
const DIFF_LINES_SHOWN: usize = 1500;
/// Evidence files listed per kind of change.
const EVIDENCE_SHOWN: usize = 200;

/// The period compared with, as the changes page and the dashboard see it.
#[derive(Serialize)]
pub struct Changes<'m> {
    /// The previous period's name (its folder's name).
    pub previous: &'m str,
    /// Its dashboard, relative to this period's folder.
    previous_index: String,
    previous_start: &'m str,
    previous_end: &'m str,
    policies_added: Vec<PolicyLink<'m>>,
    policies_removed: Vec<PolicyLink<'m>>,
    policies_changed: Vec<PolicyChange<'m>>,
    policies_unchanged: usize,
    statuses: Vec<ControlChange<'m, &'m str>>,
    /// Controls whose number of evidence items changed.
    counts: Vec<ControlChange<'m, usize>>,
    /// Controls assessed in both periods with the same number of items.
    counts_unchanged: usize,
    evidence_added: Listed<EvidenceLink<'m>>,
    evidence_removed: Listed<EvidenceLink<'m>>,
    evidence_changed: Listed<EvidenceLink<'m>>,
    evidence_before: usize,
    evidence_after: usize,
}

/// What the dashboard says of the changes page.
#[derive(Serialize)]
pub struct ChangesLink<'m> {
    pub previous: &'m str,
    pub href: &'static str,
    pub policies: usize,
    pub statuses: usize,
}

pub const PATH: &str = "changes.html";

#[derive(Serialize)]
struct PolicyLink<'m> {
    id: &'m str,
    title: &'m str,
    version: &'m str,
    /// Relative to this period's folder (a removed policy's page is in the
    /// previous period's folder).
    href: String,
}

#[derive(Serialize)]
struct PolicyChange<'m> {
    id: &'m str,
    title: &'m str,
    href: String,
    previous_href: String,
    /// Facts that differ: name, before, after.
    facts: Vec<(&'static str, String, String)>,
    text_changed: bool,
    /// The text diff in hunks of changed lines with some context.
    hunks: Vec<Hunk<'m>>,
    inserted: usize,
    deleted: usize,
    /// Diff lines beyond [`DIFF_LINES_SHOWN`].
    omitted: usize,
}

#[derive(Serialize)]
struct Hunk<'m> {
    /// `lines 4–9 → 4–11`, in the unified-diff sense.
    header: String,
    lines: Vec<DiffLine<'m>>,
}

#[derive(Serialize)]
struct DiffLine<'m> {
    /// `insert`, `delete` or `equal`.
    tag: &'static str,
    /// `+`, `−` or a space: the change is shown without colour too.
    sign: &'static str,
    old: Option<usize>,
    new: Option<usize>,
    text: &'m str,
}

#[derive(Serialize)]
struct ControlChange<'m, T> {
    framework: &'m str,
    id: &'m str,
    title: &'m str,
    /// `None`: not assessed in that period.
    before: Option<T>,
    after: Option<T>,
    /// This period's page, or the previous period's for a control no
    /// longer assessed.
    href: String,
}

#[derive(Serialize)]
struct EvidenceLink<'m> {
    path: &'m str,
    kind: &'m str,
    href: String,
}

#[derive(Serialize)]
struct Listed<T> {
    items: Vec<T>,
    total: usize,
}

impl<T> Listed<T> {
    fn of(all: impl Iterator<Item = T>) -> Listed<T> {
        let mut items = Vec::new();
        let mut total = 0;
        for item in all {
            if items.len() < EVIDENCE_SHOWN {
                items.push(item);
            }
            total += 1;
        }
        Listed { items, total }
    }
}

/// `previous`'s folder, as an href from this period's folder.
fn previous_href(folder: &str, page: &str) -> String {
    format!("../{}/{}", href(folder), href(page))
}

impl<'m> Changes<'m> {
    /// What changed from `before` (the model in folder `folder`) to `after`.
    pub fn between(folder: &'m str, before: &'m Model, after: &'m Model) -> Changes<'m> {
        let old: BTreeMap<&str, &PolicyModel> =
            before.policies.iter().map(|p| (p.id.as_str(), p)).collect();
        let new: BTreeMap<&str, &PolicyModel> =
            after.policies.iter().map(|p| (p.id.as_str(), p)).collect();
        let link = |p: &'m PolicyModel, href: String| PolicyLink {
            id: &p.id,
            title: &p.title,
            version: &p.version,
            href,
        };
        let policies_added = new
            .iter()
            .filter(|(id, _)| !old.contains_key(*id))
            .map(|(_, p)| link(p, href(&p.page)))
            .collect();
        let policies_removed = old
            .iter()
            .filter(|(id, _)| !new.contains_key(*id))
            .map(|(_, p)| link(p, previous_href(folder, &p.page)))
            .collect();
        let mut policies_changed = Vec::new();
        let mut policies_unchanged = 0;
        for (id, now) in &new {
            let Some(then) = old.get(id) else { continue };
            match policy_change(folder, then, now) {
                Some(change) => policies_changed.push(change),
                None => policies_unchanged += 1,
            }
        }

        let key = |c: &'m ControlModel| (c.framework.as_str(), c.id.as_str());
        let old: BTreeMap<_, &ControlModel> = before.controls.iter().map(|c| (key(c), c)).collect();
        let new: BTreeMap<_, &ControlModel> = after.controls.iter().map(|c| (key(c), c)).collect();
        let mut keys: Vec<_> = old.keys().chain(new.keys()).copied().collect();
        keys.sort();
        keys.dedup();
        let mut statuses = Vec::new();
        let mut counts = Vec::new();
        let mut counts_unchanged = 0;
        for key in keys {
            let (then, now) = (old.get(&key).copied(), new.get(&key).copied());
            let Some(shown) = now.or(then) else { continue };
            let href = match now {
                Some(c) => href(&c.page),
                None => previous_href(folder, &shown.page),
            };
            let status = |c: Option<&'m ControlModel>| c.map(|c| c.status.as_str());
            if status(then) != status(now) {
                statuses.push(change(shown, &href, status(then), status(now)));
            }
            let count = |c: Option<&'m ControlModel>| c.map(|c| c.evidence);
            if count(then) != count(now) {
                counts.push(change(shown, &href, count(then), count(now)));
            } else {
                counts_unchanged += 1;
            }
        }

        let old: BTreeMap<&str, &EvidenceModel> = before
            .evidence
            .iter()
            .map(|e| (e.path.as_str(), e))
            .collect();
        let new: BTreeMap<&str, &EvidenceModel> = after
            .evidence
            .iter()
            .map(|e| (e.path.as_str(), e))
            .collect();
        let evidence = |e: &'m EvidenceModel, href: String| EvidenceLink {
            path: &e.path,
            kind: &e.kind,
            href,
        };
        Changes {
            previous: folder,
            previous_index: previous_href(folder, "index.html"),
            previous_start: &before.start,
            previous_end: &before.end,
            policies_added,
            policies_removed,
            policies_changed,
            policies_unchanged,
            statuses,
            counts,
            counts_unchanged,
            evidence_added: Listed::of(
                new.values()
                    .filter(|e| !old.contains_key(e.path.as_str()))
                    .map(|e| evidence(e, href(&e.page))),
            ),
            evidence_removed: Listed::of(
                old.values()
                    .filter(|e| !new.contains_key(e.path.as_str()))
                    .map(|e| evidence(e, previous_href(folder, &e.page))),
            ),
            evidence_changed: Listed::of(
                new.values()
                    .filter(|e| {
                        old.get(e.path.as_str())
                            .is_some_and(|o| o.sha256 != e.sha256)
                    })
                    .map(|e| evidence(e, href(&e.page))),
            ),
            evidence_before: before.evidence.len(),
            evidence_after: after.evidence.len(),
        }
    }

    pub fn link(&self) -> ChangesLink<'m> {
        ChangesLink {
            previous: self.previous,
            href: PATH,
            policies: self.policies_added.len()
                + self.policies_removed.len()
                + self.policies_changed.len(),
            statuses: self.statuses.len(),
        }
    }
}

/// A control's change from `before` to `after`.
fn change<'m, T>(
    shown: &'m ControlModel,
    href: &str,
    before: Option<T>,
    after: Option<T>,
) -> ControlChange<'m, T> {
    ControlChange {
        framework: &shown.framework,
        id: &shown.id,
        title: &shown.title,
        before,
        after,
        href: href.to_string(),
    }
}

/// How a policy kept in both periods changed; `None` if it did not.
fn policy_change<'m>(
    folder: &str,
    then: &'m PolicyModel,
    now: &'m PolicyModel,
) -> Option<PolicyChange<'m>> {
    let shown = |value: &Option<String>| value.clone().unwrap_or_else(|| "—".to_string());
    let mut facts = Vec::new();
    let mut fact = |name: &'static str, before: String, after: String| {
        if before != after {
            facts.push((name, before, after));
        }
    };
    fact("Title", then.title.clone(), now.title.clone());
    fact("Version", then.version.clone(), now.version.clone());
    fact(
        "Approved on",
        shown(&then.approved_on),
        shown(&now.approved_on),
    );
    fact(
        "Approved by",
        shown(&then.approved_by),
        shown(&now.approved_by),
    );
    fact("Owner", then.owner.clone(), now.owner.clone());
    fact(
        "Classification",
        then.classification.clone(),
        now.classification.clone(),
    );
    fact(
        "Controls",
        then.controls.join(", "),
        now.controls.join(", "),
    );
    let text_changed = then.text != now.text;
    if facts.is_empty() && !text_changed {
        return None;
    }
    let (hunks, inserted, deleted, omitted) = if text_changed {
        diff(&then.text, &now.text)
    } else {
        (Vec::new(), 0, 0, 0)
    };
    Some(PolicyChange {
        id: &now.id,
        title: &now.title,
        href: href(&now.page),
        previous_href: previous_href(folder, &then.page),
        facts,
        text_changed,
        hunks,
        inserted,
        deleted,
        omitted,
    })
}

/// A line diff of two texts, in hunks with [`CONTEXT`] lines around each
/// change; with the numbers of lines inserted, deleted and not shown.
fn diff<'m>(old: &'m str, new: &'m str) -> (Vec<Hunk<'m>>, usize, usize, usize) {
    let diff = TextDiff::from_lines(old, new);
    let mut hunks = Vec::new();
    let (mut inserted, mut deleted, mut shown, mut omitted) = (0, 0, 0, 0);
    for group in diff.grouped_ops(CONTEXT) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let (old_range, new_range) = (
            first.old_range().start..last.old_range().end,
            first.new_range().start..last.new_range().end,
        );
        let span = |r: std::ops::Range<usize>| match r.len() {
            0 => format!("after line {}", r.start),
            1 => format!("line {}", r.start + 1),
            _ => format!("lines {}–{}", r.start + 1, r.end),
        };
        let mut lines = Vec::new();
        for op in &group {
            for change in diff.iter_changes(op) {
                let (tag, sign) = match change.tag() {
                    ChangeTag::Insert => {
                        inserted += 1;
                        ("insert", "+")
                    }
                    ChangeTag::Delete => {
                        deleted += 1;
                        ("delete", "−")
                    }
                    ChangeTag::Equal => ("equal", " "),
                };
                if shown >= DIFF_LINES_SHOWN {
                    omitted += 1;
                    continue;
                }
                shown += 1;
                let text = change.value();
                lines.push(DiffLine {
                    tag,
                    sign,
                    old: change.old_index().map(|i| i + 1),
                    new: change.new_index().map(|i| i + 1),
                    text: text
                        .strip_suffix('\n')
                        .map_or(text, |t| t.strip_suffix('\r').unwrap_or(t)),
                });
            }
        }
        if !lines.is_empty() {
            hunks.push(Hunk {
                header: format!("{} → {}", span(old_range), span(new_range)),
                lines,
            });
        }
    }
    (hunks, inserted, deleted, omitted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn control(id: &str, status: &str, evidence: usize) -> ControlModel {
        ControlModel {
            framework: "soc2".into(),
            id: id.into(),
            title: format!("Control {id}"),
            status: status.into(),
            evidence,
            policies: 1,
            page: format!("controls/soc2/{id}.html"),
        }
    }

    fn model(period: &str, controls: Vec<ControlModel>) -> Model {
        Model {
            format: crate::render::model::FORMAT,
            period: period.into(),
            start: format!("{period}-01-01"),
            end: format!("{period}-12-31"),
            policies: Vec::new(),
            controls,
            evidence: Vec::new(),
        }
    }

    #[test]
    fn controls_assessed_in_one_period_only_show_as_not_assessed() {
        let before = model(
            "2026",
            vec![control("CC1.1", "covered", 2), control("CC9 9", "stale", 1)],
        );
        let after = model(
            "2027",
            vec![
                control("CC1.1", "covered", 3),
                control("CC2.1", "missing", 0),
            ],
        );
        let changes = Changes::between("2026 h1", &before, &after);
        let statuses: Vec<_> = changes
            .statuses
            .iter()
            .map(|c| (c.id, c.before, c.after, c.href.as_str()))
            .collect();
        assert_eq!(
            statuses,
            [
                ("CC2.1", None, Some("missing"), "controls/soc2/CC2.1.html"),
                (
                    "CC9 9",
                    Some("stale"),
                    None,
                    "../2026%20h1/controls/soc2/CC9%209.html"
                ),
            ]
        );
        let counts: Vec<_> = changes
            .counts
            .iter()
            .map(|c| (c.id, c.before, c.after))
            .collect();
        assert_eq!(
            counts,
            [
                ("CC1.1", Some(2), Some(3)),
                ("CC2.1", None, Some(0)),
                ("CC9 9", Some(1), None)
            ]
        );
        assert_eq!(changes.counts_unchanged, 0);
        let link = changes.link();
        assert_eq!((link.policies, link.statuses), (0, 2));
    }

    #[test]
    fn a_diff_marks_inserted_and_deleted_lines_with_numbers() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n";
        let new = "a\nb\nc\nd\nE\nf\ng\nh\ni\nj\nk\n";
        let (hunks, inserted, deleted, omitted) = diff(old, new);
        assert_eq!((inserted, deleted, omitted), (2, 1, 0));
        assert_eq!(hunks.len(), 1, "changes 6 lines apart share a hunk");
        let lines: Vec<String> = hunks[0]
            .lines
            .iter()
            .map(|l| format!("{}{}", l.sign, l.text))
            .collect();
        assert_eq!(
            lines,
            [" b", " c", " d", "−e", "+E", " f", " g", " h", " i", " j", "+k"]
        );
        assert_eq!(hunks[0].header, "lines 2–10 → lines 2–11");
        let e = &hunks[0].lines[3];
        assert_eq!((e.old, e.new), (Some(5), None));
    }

    #[test]
    fn far_apart_changes_make_separate_hunks() {
        let old: String = (1..=30).map(|i| format!("line {i}\n")).collect();
        let new = old
            .replace("line 2\n", "line two\n")
            .replace("line 29\n", "");
        let (hunks, inserted, deleted, _) = diff(&old, &new);
        assert_eq!(hunks.len(), 2);
        assert_eq!((inserted, deleted), (1, 2));
        assert_eq!(hunks[1].header, "lines 26–30 → lines 26–29");
    }
}
