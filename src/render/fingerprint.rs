//! Fingerprints of the portal's files: for each, a digest of everything it
//! is rendered from. A file whose fingerprint is unchanged since the last
//! build is reused instead of rendered (see `output`).
//!
//! Hashing every page's view would cost about as much as rendering it, so
//! a fingerprint digests the model objects the page is built from instead:
//! a digest per policy, per evidence item and per assessed control, and
//! one of what every page shows (the executable, the templates, the build
//! stamp, the configuration, the catalog). The model structs are
//! destructured field by field, so a field added to them is a compile
//! error here until it is digested. Each page lists what it depends on,
//! generously: whatever a view reads of an entity, the entity's whole
//! digest is in the page's fingerprint.
//!
//! A view that starts reading an entity its page does not list here would
//! leave stale pages behind. The integration tests build with
//! `AUDITBOOK_VERIFY_REUSE=1`, which renders every reused file again and
//! fails the build if it differs.

use std::collections::HashMap;
use std::fmt::{self, Write as _};

use rayon::prelude::*;
use sha2::{Digest as _, Sha256};

use super::templates::Templates;
use super::RenderOptions;
use crate::assess::{Assessment, ControlAssessment, PolicyReview, Related, Status, Window};
use crate::cache::Digest16;
use crate::catalog::ControlKey;
use crate::workspace::{Evidence, Policy};

/// Bump when the meaning of a fingerprint changes.
const VERSION: &str = "auditbook page fingerprints 2";

/// A digest of typed, unambiguous inputs, gathered in a buffer and
/// hashed at once.
struct Hasher(Vec<u8>);

impl Hasher {
    fn new(what: &str) -> Hasher {
        let mut hasher = Hasher(Vec::with_capacity(256));
        hasher.str(VERSION);
        hasher.str(what);
        hasher
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.0
            .extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        self.0.extend_from_slice(bytes);
    }

    fn str(&mut self, text: &str) {
        self.bytes(text.as_bytes());
    }

    fn u64(&mut self, n: u64) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }

    fn digest(&mut self, digest: &Digest16) {
        self.0.extend_from_slice(digest);
    }

    fn digests<'a>(&mut self, digests: impl IntoIterator<Item = &'a Digest16>) {
        let mut n = 0u64;
        for digest in digests {
            self.digest(digest);
            n += 1;
        }
        self.u64(n);
    }

    /// A value by its `Debug` text: for small values of types whose
    /// `Debug` is deterministic (no hash maps inside).
    fn debug(&mut self, value: &impl fmt::Debug) {
        struct Feed<'a>(&'a mut Vec<u8>);
        impl fmt::Write for Feed<'_> {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                self.0.extend_from_slice(s.as_bytes());
                Ok(())
            }
        }
        let _ = write!(Feed(&mut self.0), "{value:?}");
        // 0xff occurs in no UTF-8 text: the end is unambiguous.
        self.0.push(0xff);
    }

    fn finish(self) -> Digest16 {
        let full = Sha256::digest(&self.0);
        let mut out = [0u8; 16];
        out.copy_from_slice(&full[..16]);
        out
    }
}

/// The digests of one assessed workspace, from which every file's
/// fingerprint is made.
pub struct Fingerprints {
    /// What every page shows.
    site: Digest16,
    /// The executable alone: for files no template or data shapes.
    program: Digest16,
    policies: Vec<Digest16>,
    evidence: Vec<Digest16>,
    /// Per assessed control, parallel to `Assessment::controls`.
    controls: Vec<Digest16>,
    /// Per assessed control: status, reason and counts, as lists show it.
    rows: Vec<Digest16>,
    status: HashMap<ControlKey, Status>,
    schedules: Digest16,
    /// Everything: for pages that summarise the whole workspace.
    world: Digest16,
    /// The previous period's folder and model, for the pages that compare
    /// with it.
    previous: Digest16,
    /// When the build ran and the workspace commit (see `new`).
    build: Digest16,
}

impl Fingerprints {
    pub fn new(a: &Assessment<'_>, templates: &Templates, options: &RenderOptions) -> Fingerprints {
        let identity = crate::cache::identity().unwrap_or("unknown");
        let mut program = Hasher::new("program");
        program.str(identity);
        let program = program.finish();

        let workspace = a.workspace;
        let mut site = Hasher::new("site");
        site.digest(&program);
        site.digest(&templates.digest);
        let RenderOptions {
            built_at,
            draft,
            notice,
            previous: before,
            audience,
        } = options;
        site.debug(&(draft, notice, audience));
        // When the build ran and from which commit: only the dashboard
        // shows them, so that a rebuild (whose time always differs) or a
        // new commit does not make every page new. A workspace's own
        // templates may show them anywhere: then every page digests them.
        let mut build = Hasher::new("build");
        build.debug(&(built_at, &workspace.commit));
        let build = build.finish();
        if !templates.overridden.is_empty() {
            site.digest(&build);
        }
        let mut previous = Hasher::new("previous period");
        if let Some(before) = before {
            // The model file's sha256 stands for the model read from it.
            let crate::render::PreviousPeriod {
                folder,
                model: _,
                sha256,
            } = before;
            previous.str(folder);
            previous.str(sha256);
        }
        let previous = previous.finish();
        // The configuration by the text it came from: its Debug shows the
        // inner state of compiled globs, which depends on what they matched.
        site.digest(&a.config.source_digest);
        site.debug(&workspace.catalog.frameworks());
        site.debug(workspace.catalog.crosswalk());
        site.debug(&a.by_framework.iter().map(|(f, _)| f).collect::<Vec<_>>());
        let site = site.finish();

        let policies: Vec<Digest16> = workspace
            .policies
            .par_iter()
            .zip(&a.policies)
            .map(|(policy, review)| policy_digest(policy, review))
            .collect();
        let evidence: Vec<Digest16> = workspace
            .evidence
            .par_iter()
            .zip(&a.evidence_stale)
            .map(|(item, stale)| evidence_digest(item, *stale))
            .collect();
        let status: HashMap<ControlKey, Status> =
            a.controls.iter().map(|c| (c.control, c.status)).collect();
        let controls: Vec<Digest16> = a
            .controls
            .par_iter()
            .map(|c| control_digest(c, &policies, &evidence, &status))
            .collect();
        let rows = a
            .controls
            .iter()
            .map(|c| {
                let mut h = Hasher::new("row");
                h.debug(&(c.control, c.status, &c.reason));
                h.u64(c.policies.len() as u64);
                h.u64(c.evidence.len() as u64);
                h.finish()
            })
            .collect();

        let mut schedules = Hasher::new("schedules");
        for result in &a.schedules {
            let crate::assess::ScheduleResult {
                schedule,
                windows: list,
            } = result;
            schedules.u64(*schedule as u64);
            for window in list {
                let Window {
                    start,
                    end,
                    occurrences,
                    pending,
                } = window;
                schedules.debug(&(start, end, pending));
                schedules.digests(occurrences.iter().map(|&i| &evidence[i]));
            }
        }
        let schedules = schedules.finish();

        let mut world = Hasher::new("world");
        world.digests(&policies);
        world.digests(&evidence);
        world.digests(&controls);
        world.digest(&schedules);
        world.debug(&(a.summary, &a.by_framework));
        world.debug(&a.diagnostics);
        let world = world.finish();

        Fingerprints {
            site,
            program,
            policies,
            evidence,
            controls,
            rows,
            status,
            schedules,
            world,
            previous,
            build,
        }
    }

    fn page(&self, kind: &str, path: &str) -> Hasher {
        let mut h = Hasher::new(kind);
        h.digest(&self.site);
        h.str(path);
        h
    }

    fn statuses(&self, h: &mut Hasher, keys: impl IntoIterator<Item = ControlKey>) {
        for key in keys {
            h.debug(&(key, self.status.get(&key)));
        }
    }

    pub fn dashboard(&self, path: &str) -> Digest16 {
        let mut h = self.page("dashboard", path);
        h.digest(&self.world);
        h.digest(&self.previous);
        h.digest(&self.build);
        h.finish()
    }

    /// `model.json`: the policies and the controls' rows.
    pub fn model(&self, path: &str) -> Digest16 {
        let mut h = self.page("model", path);
        h.digests(&self.policies);
        h.digests(&self.rows);
        h.finish()
    }

    /// `model-evidence.json`: the evidence items.
    pub fn model_evidence(&self, path: &str) -> Digest16 {
        self.of_every_evidence_item("model evidence", path)
    }

    /// The changes page: this period's model against the previous one.
    pub fn changes(&self, path: &str) -> Digest16 {
        let mut h = self.page("changes", path);
        h.digest(&self.world);
        h.digest(&self.previous);
        h.finish()
    }

    pub fn framework(&self, path: &str, a: &Assessment<'_>) -> Digest16 {
        let mut h = self.page("framework", path);
        h.digests(&self.rows);
        h.debug(&a.by_framework);
        h.finish()
    }

    pub fn policy_list(&self, path: &str) -> Digest16 {
        let mut h = self.page("policy list", path);
        h.digests(&self.policies);
        h.finish()
    }

    pub fn evidence_list(&self, path: &str) -> Digest16 {
        self.of_every_evidence_item("evidence list", path)
    }

    /// A file made of every evidence item and nothing else.
    fn of_every_evidence_item(&self, kind: &str, path: &str) -> Digest16 {
        let mut h = self.page(kind, path);
        h.digests(&self.evidence);
        h.finish()
    }

    /// The search index's part of controls.
    pub fn search_controls(&self, path: &str, a: &Assessment<'_>) -> Digest16 {
        let mut h = self.page("search controls", path);
        h.debug(&a.controls.iter().map(|c| c.control).collect::<Vec<_>>());
        h.finish()
    }

    /// The search index's part of the policies at `indices`.
    pub fn search_policies(&self, path: &str, indices: &[usize]) -> Digest16 {
        let mut h = self.page("search policies", path);
        h.digests(indices.iter().map(|&i| &self.policies[i]));
        h.finish()
    }

    /// The search index of evidence.
    pub fn search_evidence(&self, path: &str) -> Digest16 {
        self.of_every_evidence_item("search evidence", path)
    }

    pub fn control(&self, path: &str, index: usize) -> Digest16 {
        let mut h = self.page("control", path);
        h.digest(&self.controls[index]);
        h.digest(&self.schedules);
        h.finish()
    }

    pub fn policy(&self, path: &str, a: &Assessment<'_>, index: usize) -> Digest16 {
        let mut h = self.page("policy", path);
        h.digest(&self.policies[index]);
        self.statuses(&mut h, a.workspace.policies[index].controls.iter().copied());
        h.finish()
    }

    pub fn evidence(&self, path: &str, a: &Assessment<'_>, index: usize) -> Digest16 {
        let mut h = self.page("evidence", path);
        h.digest(&self.evidence[index]);
        self.statuses(&mut h, a.workspace.evidence[index].control_keys());
        h.finish()
    }

    /// The redacted copy of an evidence file: its content and the
    /// program that redacted it, wherever the file lies.
    pub fn raw(&self, item: &Evidence) -> Digest16 {
        let mut h = Hasher::new("raw copy");
        h.digest(&self.program);
        h.str(&item.sha256);
        h.finish()
    }

    /// A file written as it is (a stylesheet, a script).
    pub fn asset(&self, path: &str, content: &[u8]) -> Digest16 {
        let mut h = Hasher::new("asset");
        h.digest(&self.program);
        h.str(path);
        h.bytes(content);
        h.finish()
    }
}

fn policy_digest(policy: &Policy, review: &PolicyReview) -> Digest16 {
    let Policy {
        id,
        path,
        title,
        owner,
        version,
        approved_by,
        approved_on,
        review_every,
        next_review,
        classification,
        controls,
        description,
        body,
        body_line,
    } = policy;
    let PolicyReview {
        next_review: due,
        overdue,
    } = review;
    let mut h = Hasher::new("policy");
    for text in [id, path, title, owner, version] {
        h.str(text);
    }
    h.debug(&(approved_by, approved_on, review_every, next_review));
    h.debug(&(classification, controls, description, body_line));
    h.debug(&(due, overdue));
    h.str(body);
    h.finish()
}

/// An evidence item and whether it is stale. Its summary and details are
/// what reading the file gave, so its path and sha256 (with the program,
/// in every page's fingerprint) stand for them.
fn evidence_digest(item: &Evidence, stale: bool) -> Digest16 {
    let Evidence {
        path,
        kind,
        sha256,
        size,
        collected_at,
        collected_at_source,
        provenance,
        controls,
        classification,
        max_age,
        expires,
        title,
        description,
        summary: _,
        details: _,
        content_key: _,
    } = item;
    let mut h = Hasher::new("evidence");
    h.str(path);
    h.str(sha256);
    h.u64(*size);
    h.debug(&(kind, collected_at, collected_at_source, provenance));
    h.debug(&(controls, classification, max_age, expires));
    h.debug(&(title, description, stale));
    h.finish()
}

fn control_digest(
    control: &ControlAssessment,
    policies: &[Digest16],
    evidence: &[Digest16],
    status: &HashMap<ControlKey, Status>,
) -> Digest16 {
    let ControlAssessment {
        control: key,
        status: own,
        reason,
        policies: linked_policies,
        evidence: linked_evidence,
        related,
    } = control;
    let mut h = Hasher::new("control");
    h.debug(&(key, own, reason));
    h.digests(linked_policies.iter().map(|&i| &policies[i]));
    h.digests(linked_evidence.iter().map(|&i| &evidence[i]));
    for link in related {
        let Related {
            control: other,
            source,
            evidence: linked,
        } = link;
        h.debug(&(other, status.get(other), source));
        h.digests(linked.iter().map(|&i| &evidence[i]));
    }
    h.u64(related.len() as u64);
    h.finish()
}
