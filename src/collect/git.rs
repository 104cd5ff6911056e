//! `collect git`: every commit of the period in a local clone, classified
//! by signature type (OpenPGP, SSH, X.509, none), merges and GitHub
//! web-interface commits told apart, written as one `commit-signing`
//! evidence file per repository and period.
//!
//! The history is read in-process with gix: one walk from the ref over
//! every reachable commit, each object read and parsed once; a commit is in
//! the period when its committer date, in the committer's own time zone,
//! falls between the period's first and last day.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::{GitSource, Period};

/// The signature types a `gpgsig` header can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatureType {
    /// `-----BEGIN PGP SIGNATURE-----`
    Gpg,
    /// `-----BEGIN SSH SIGNATURE-----`
    Ssh,
    /// `-----BEGIN SIGNED MESSAGE-----` (S/MIME, gpgsm)
    X509,
    /// A `gpgsig` header in none of these forms: counted as a bad signature.
    Malformed,
}

impl SignatureType {
    /// The type git would pick for this signature text.
    pub fn of(signature: &[u8]) -> SignatureType {
        let text = trim_ascii_start(signature);
        if text.starts_with(b"-----BEGIN PGP SIGNATURE-----")
            || text.starts_with(b"-----BEGIN PGP MESSAGE-----")
        {
            SignatureType::Gpg
        } else if text.starts_with(b"-----BEGIN SSH SIGNATURE-----") {
            SignatureType::Ssh
        } else if text.starts_with(b"-----BEGIN SIGNED MESSAGE-----") {
            SignatureType::X509
        } else {
            SignatureType::Malformed
        }
    }
}

fn trim_ascii_start(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    &bytes[start..]
}

/// A name and email as a commit header writes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub name: String,
    pub email: String,
}

impl Person {
    pub fn display(&self) -> String {
        format!("{} <{}>", self.name, self.email)
    }
}

/// One commit object, parsed. Its signature and signed payload are not
/// here but in the [`Scratch`] buffers the parse filled, which a thread
/// reuses from commit to commit.
#[derive(Debug, Clone)]
pub struct RawCommit {
    /// How many `parent` lines: more than one is a merge.
    pub parents: usize,
    pub author: Person,
    pub committer: Person,
    /// Committer time: seconds since the epoch and the offset east of UTC.
    pub time: i64,
    pub offset_seconds: i32,
    pub subject: String,
    /// Whether the commit has a `gpgsig` header.
    pub signed: bool,
}

/// Buffers a parse writes into, kept by each thread so that a signed
/// commit costs no allocation of its own.
#[derive(Debug, Default)]
pub struct Scratch {
    /// The `gpgsig` header's value, unfolded, ending in a newline.
    pub signature: Vec<u8>,
    /// The commit without its `gpgsig` header: what was signed.
    pub payload: Vec<u8>,
}

/// Parses a commit object's bytes. Returns `None` for bytes that are not a
/// commit (no committer line); every other irregularity is tolerated. For
/// a signed commit, `scratch` receives the signature and the payload.
pub fn parse_commit(data: &[u8], scratch: &mut Scratch) -> Option<RawCommit> {
    let mut parents = 0;
    let mut author = None;
    let mut committer = None;
    scratch.signature.clear();
    scratch.payload.clear();
    // Byte range of the first gpgsig header (with its continuation lines).
    let mut signature_range: Option<(usize, usize)> = None;
    let mut in_signature = false;
    let mut pos = 0;
    let mut body_start = data.len();
    while pos < data.len() {
        let end = data[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(data.len(), |i| pos + i + 1);
        let line = &data[pos..end];
        let content = line.strip_suffix(b"\n").unwrap_or(line);
        if content.is_empty() {
            body_start = end;
            break;
        }
        if let Some(rest) = content.strip_prefix(b" ") {
            if in_signature {
                scratch.signature.push(b'\n');
                scratch.signature.extend_from_slice(rest);
                if let Some(range) = signature_range.as_mut() {
                    range.1 = end;
                }
            }
        } else {
            in_signature = false;
            if content.starts_with(b"parent ") {
                parents += 1;
            } else if let Some(rest) = content.strip_prefix(b"author ") {
                author = Some(parse_signature_line(rest));
            } else if let Some(rest) = content.strip_prefix(b"committer ") {
                committer = Some(parse_signature_line(rest));
            } else if let Some(rest) = content.strip_prefix(b"gpgsig ") {
                if signature_range.is_none() {
                    scratch.signature.extend_from_slice(rest);
                    signature_range = Some((pos, end));
                    in_signature = true;
                }
            }
        }
        pos = end;
    }
    let (committer, time, offset_seconds) = committer?;
    let (author, _, _) = author.unwrap_or_else(|| (committer.clone(), time, offset_seconds));
    let subject = subject_of(&data[body_start.min(data.len())..]);
    if let Some((start, end)) = signature_range {
        scratch.payload.extend_from_slice(&data[..start]);
        scratch.payload.extend_from_slice(&data[end..]);
        scratch.signature.push(b'\n');
    }
    Some(RawCommit {
        parents,
        author,
        committer,
        time,
        offset_seconds,
        subject,
        signed: signature_range.is_some(),
    })
}

/// The walk's cheap reading of a commit: its parents (passed to `parent`)
/// and its committer time, without building anything. `None` when there
/// is no committer line.
fn scan_commit(data: &[u8], mut parent: impl FnMut(gix::ObjectId)) -> Option<i64> {
    let mut time = None;
    for line in data.split(|&b| b == b'\n') {
        if line.is_empty() {
            break;
        }
        if let Some(hex) = line.strip_prefix(b"parent ") {
            if let Ok(id) = gix::ObjectId::from_hex(hex) {
                parent(id);
            }
        } else if let Some(rest) = line.strip_prefix(b"committer ") {
            let after = rest
                .iter()
                .rposition(|&b| b == b'>')
                .map_or(rest, |i| &rest[i + 1..]);
            let digits = after.trim_ascii_start();
            let digits = &digits[..digits
                .iter()
                .position(|b| !b.is_ascii_digit())
                .unwrap_or(digits.len())];
            time = Some(
                std::str::from_utf8(digits)
                    .ok()
                    .and_then(|t| t.parse().ok())
                    .unwrap_or(0),
            );
        }
    }
    time
}

/// `Name <email> 1700000000 +0100` → the person, the time and the offset.
fn parse_signature_line(line: &[u8]) -> (Person, i64, i32) {
    let text = String::from_utf8_lossy(line);
    let (identity, when) = match text.rfind('>') {
        Some(i) => (&text[..=i], text[i + 1..].trim()),
        None => (text.as_ref(), ""),
    };
    let (name, email) = match identity.rfind('<') {
        Some(i) => (
            identity[..i].trim().to_string(),
            identity[i + 1..].trim_end_matches('>').trim().to_string(),
        ),
        None => (identity.trim().to_string(), String::new()),
    };
    let mut parts = when.split_whitespace();
    let time = parts.next().and_then(|t| t.parse().ok()).unwrap_or(0);
    let offset = parts.next().map_or(0, parse_offset);
    (Person { name, email }, time, offset)
}

fn parse_offset(text: &str) -> i32 {
    let (sign, digits) = match text.as_bytes().first() {
        Some(b'-') => (-1, &text[1..]),
        Some(b'+') => (1, &text[1..]),
        _ => (1, text),
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    let hours: i32 = digits[..2].parse().unwrap_or(0);
    let minutes: i32 = digits[2..].parse().unwrap_or(0);
    sign * (hours * 3600 + minutes * 60)
}

/// git's `%s`: the first paragraph of the message, its lines joined by
/// spaces.
fn subject_of(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut subject = String::new();
    for line in text.lines().skip_while(|l| l.trim().is_empty()) {
        if line.trim().is_empty() {
            break;
        }
        if !subject.is_empty() {
            subject.push(' ');
        }
        subject.push_str(line.trim());
    }
    subject
}

/// git's verdict letters for `%G?`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Letter {
    /// Good, valid signature.
    G,
    /// Bad signature.
    B,
    /// Good signature, unknown validity.
    U,
    /// Good signature that has expired.
    X,
    /// Good signature made by an expired key.
    Y,
    /// Good signature made by a revoked key.
    R,
    /// Cannot be checked (missing key, not verified by auditbook).
    E,
    /// No signature.
    N,
}

impl Letter {
    pub fn as_char(self) -> char {
        match self {
            Letter::G => 'G',
            Letter::B => 'B',
            Letter::U => 'U',
            Letter::X => 'X',
            Letter::Y => 'Y',
            Letter::R => 'R',
            Letter::E => 'E',
            Letter::N => 'N',
        }
    }
}

/// The outcome of checking one signature against the configured trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub letter: Letter,
    /// The signer: an SSH principal or an OpenPGP user id, when known.
    pub signer: Option<String>,
    /// The key: an SSH key's SHA256 fingerprint or an OpenPGP fingerprint.
    pub key: Option<String>,
    /// A good signature whose signer does not match the committer email.
    pub bad_email: bool,
}

/// One commit of the period.
#[derive(Debug, Clone, Serialize)]
pub struct CommitRecord {
    pub hash: String,
    pub author: String,
    pub author_email: String,
    pub committer: String,
    pub committer_email: String,
    /// The committer date, RFC 3339 in the committer's time zone.
    pub date: String,
    #[serde(skip)]
    pub month: String,
    pub subject: String,
    /// `gpg`, `ssh`, `x509`, `malformed`, or null when unsigned.
    pub signature: Option<SignatureType>,
    /// git's `%G?` letter under the configured trust.
    pub status: char,
    pub verified: bool,
    pub bad_email: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    pub merge: bool,
    /// Made by GitHub's web interface (committer `GitHub <noreply@github.com>`).
    pub web: bool,
}

/// What `collect git` learned about one repository.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    pub generator: String,
    pub kind: &'static str,
    pub collected_at: String,
    pub period: PeriodView,
    pub repository: RepositoryView,
    pub provenance: Provenance,
    pub summary: SummaryView,
    pub by_month: Vec<Breakdown>,
    pub by_author: Vec<Breakdown>,
    /// Commits not verified: unsigned, bad, unknown key, expired, or not
    /// checkable by auditbook (X.509).
    pub unverified: Vec<CommitRecord>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PeriodView {
    pub name: String,
    pub start: String,
    pub end: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct RepositoryView {
    pub name: String,
    /// The path as configured, relative to the workspace.
    pub path: String,
    pub remote_url: Option<String>,
    #[serde(rename = "ref")]
    pub reference: String,
    pub head: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Provenance {
    pub collector: &'static str,
    pub auditbook_version: &'static str,
    pub trust: Vec<TrustFile>,
}

/// A file of the trust configuration and its sha256, so the evidence says
/// exactly what it was verified against.
#[derive(Debug, Clone, Serialize)]
pub struct TrustFile {
    /// `allowed_signers` or `gpg_key`.
    pub role: &'static str,
    pub path: String,
    pub sha256: String,
}

/// The `summary` of a commit-signing evidence file: DESIGN.md's keys and
/// a few more.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SummaryView {
    pub commits: u64,
    pub signed: Signed,
    pub verified: u64,
    pub unsigned: u64,
    pub merges: u64,
    pub web: u64,
    pub bad_email: u64,
    /// `%G?` letters and how many commits have each.
    pub status: BTreeMap<char, u64>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Signed {
    pub gpg: u64,
    pub ssh: u64,
    pub x509: u64,
    pub malformed: u64,
}

/// Counts for one month or one author.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Breakdown {
    /// `2026-03`, or the author as `Name <email>`.
    pub key: String,
    pub commits: u64,
    pub signed: u64,
    pub verified: u64,
    pub unsigned: u64,
}

impl Breakdown {
    fn add(&mut self, record: &CommitRecord) {
        self.commits += 1;
        if record.signature.is_some() {
            self.signed += 1;
        } else {
            self.unsigned += 1;
        }
        if record.verified {
            self.verified += 1;
        }
    }
}

/// Verifies one signature: the signature text, what was signed, and the
/// commit's committer (email, time) for email matching and validity
/// windows.
pub trait Verifier: Sync {
    fn check(
        &self,
        kind: SignatureType,
        signature: &[u8],
        payload: &[u8],
        commit: &CommitInfo<'_>,
    ) -> Check;
}

/// What a verifier may need to know about the commit.
#[derive(Debug, Clone)]
pub struct CommitInfo<'a> {
    pub committer_email: &'a str,
    pub time: i64,
}

/// A repository opened for collection: checked to be a full (not shallow)
/// clone, the ref resolved.
pub struct Source {
    pub repo: gix::Repository,
    pub name: String,
    pub display_path: String,
    pub reference: String,
    pub head: gix::ObjectId,
    pub remote_url: Option<String>,
}

/// Opens the repository at `path` and resolves `reference` (HEAD when
/// absent). Errors name the path: not a repository, a shallow clone, an
/// unknown ref.
pub fn open(path: &Path, display_path: &str, reference: Option<&str>) -> anyhow::Result<Source> {
    if !path.exists() {
        anyhow::bail!("{}: no such folder", path.display());
    }
    let repo = gix::open_opts(path, gix::open::Options::isolated())
        .map_err(|error| anyhow::anyhow!("{} is not a git repository: {error}", path.display()))?;
    if repo.is_shallow() {
        let file = repo.shallow_file();
        let cut: Vec<String> = repo
            .shallow_commits()
            .ok()
            .flatten()
            .map(|commits| commits.iter().map(|id| id.to_hex().to_string()).collect())
            .unwrap_or_default();
        anyhow::bail!(
            "{} is a shallow clone: its history is incomplete, cut at {} (listed in {}); \
             run `git fetch --unshallow` there first",
            path.display(),
            if cut.is_empty() {
                "unknown commits".to_string()
            } else {
                format!("commit {}", cut.join(", "))
            },
            file.display()
        );
    }
    let reference_name = reference.unwrap_or("HEAD").to_string();
    let head = resolve(&repo, &reference_name)
        .with_context(|| format!("{}: cannot resolve ref `{reference_name}`", path.display()))?;
    let remote_url = {
        let config = repo.config_snapshot();
        config
            .string("remote.origin.url")
            .map(|url| url.to_string())
            .or_else(|| {
                repo.remote_names()
                    .iter()
                    .next()
                    .and_then(|name| config.string(format!("remote.{name}.url").as_str()))
                    .map(|url| url.to_string())
            })
    };
    let name = repository_name(path);
    Ok(Source {
        repo,
        name,
        display_path: display_path.to_string(),
        reference: reference_name,
        head,
        remote_url,
    })
}

fn resolve(repo: &gix::Repository, name: &str) -> anyhow::Result<gix::ObjectId> {
    let id = if name == "HEAD" {
        repo.head_id()?.detach()
    } else if let Ok(mut reference) = repo.find_reference(name) {
        reference.peel_to_id()?.detach()
    } else if let Ok(id) = gix::ObjectId::from_hex(name.as_bytes()) {
        id
    } else {
        anyhow::bail!("no such ref");
    };
    let object = repo.find_object(id)?;
    Ok(object.peel_to_commit()?.id)
}

/// A repository's name: its folder's, without a `.git` suffix (bare
/// clones), in characters safe for a file name.
fn repository_name(path: &Path) -> String {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let mut name = absolute
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "repository".to_string());
    if name == ".git" {
        if let Some(parent) = absolute.parent().and_then(|p| p.file_name()) {
            name = parent.to_string_lossy().into_owned();
        }
    }
    let name = name.strip_suffix(".git").unwrap_or(&name).to_string();
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// A commit the walk found whose committer time is near enough to the
/// period to be decoded; its bytes when the walk already read them.
struct Candidate {
    id: gix::ObjectId,
    data: Option<Vec<u8>>,
}

/// Walks every commit reachable from the head and keeps those whose
/// committer time (UTC) is within a day of the period; the exact test, in
/// the committer's time zone, is made once the commit is decoded.
///
/// The walk follows git's commit-graph file when there is one (parents
/// and times without reading any object) and reads the commit objects
/// otherwise, keeping the bytes of the candidates so that nothing is read
/// twice.
fn walk(source: &Source, period: &Period) -> anyhow::Result<Vec<Candidate>> {
    let repo = &source.repo;
    // A missing or unreadable commit-graph only makes the walk slower.
    let graph = repo.commit_graph().ok();
    let day = 24 * 3600;
    let low = period
        .start
        .and_hms_opt(0, 0, 0)
        .map_or(i64::MIN, |t| t.and_utc().timestamp() - day);
    let high = period
        .end
        .and_hms_opt(0, 0, 0)
        .map_or(i64::MAX, |t| t.and_utc().timestamp() + 2 * day);
    let mut seen: gix::hashtable::HashSet<gix::ObjectId> = Default::default();
    let mut stack = vec![source.head];
    seen.insert(source.head);
    let mut found = Vec::new();
    let mut buffer = Vec::new();
    while let Some(id) = stack.pop() {
        let mut push = |parent: gix::ObjectId| {
            if seen.insert(parent) {
                stack.push(parent);
            }
        };
        if let Some((graph, commit)) = graph
            .as_ref()
            .and_then(|graph| Some((graph, graph.commit_by_id(id)?)))
        {
            let time = i64::try_from(commit.committer_timestamp()).unwrap_or(i64::MAX);
            let mut complete = true;
            for position in commit.iter_parents() {
                match position {
                    Ok(position) => push(graph.id_at(position).to_owned()),
                    // A damaged graph entry: the object says it all.
                    Err(_) => complete = false,
                }
            }
            if complete {
                if (low..=high).contains(&time) {
                    found.push(Candidate { id, data: None });
                }
                continue;
            }
        }
        let data = read_commit(repo, &id, &mut buffer, &source.display_path)?;
        let Some(time) = scan_commit(data, &mut push) else {
            anyhow::bail!("{}: object {id} is not a commit", source.display_path);
        };
        if (low..=high).contains(&time) {
            found.push(Candidate {
                id,
                data: Some(std::mem::take(&mut buffer)),
            });
        }
    }
    Ok(found)
}

/// A commit object's bytes, read into `buffer`.
fn read_commit<'b>(
    repo: &gix::Repository,
    id: &gix::oid,
    buffer: &'b mut Vec<u8>,
    display_path: &str,
) -> anyhow::Result<&'b [u8]> {
    match gix::prelude::Find::try_find(&repo.objects, id, buffer) {
        Ok(Some(object)) if object.kind == gix::object::Kind::Commit => Ok(object.data),
        Ok(Some(_)) => anyhow::bail!("{display_path}: object {id} is not a commit"),
        Ok(None) => anyhow::bail!("{display_path}: commit {id} is missing"),
        Err(error) => anyhow::bail!("{display_path}: cannot read commit {id}: {error}"),
    }
}

fn local_time(time: i64, offset_seconds: i32) -> DateTime<FixedOffset> {
    let offset = FixedOffset::east_opt(offset_seconds)
        .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero offset"));
    DateTime::from_timestamp(time, 0)
        .unwrap_or_default()
        .with_timezone(&offset)
}

fn local_date(commit: &RawCommit) -> NaiveDate {
    local_time(commit.time, commit.offset_seconds).date_naive()
}

fn in_period(commit: &RawCommit, period: &Period) -> bool {
    let date = local_date(commit);
    date >= period.start && date <= period.end
}

/// GitHub's web interface commits as `GitHub <noreply@github.com>`.
fn is_web(committer: &Person) -> bool {
    committer.email.eq_ignore_ascii_case("noreply@github.com")
}

/// Collects the evidence of one repository: walk, then decode, classify
/// and verify on rayon's pool (each thread with its own handle on the
/// repository and its own buffers), then count.
pub fn collect(
    source: &Source,
    period: &Period,
    verifier: &dyn Verifier,
    trust: Vec<TrustFile>,
    collected_at: DateTime<chrono::Utc>,
) -> anyhow::Result<Evidence> {
    use rayon::prelude::*;
    let candidates = walk(source, period)?;
    let shared = source.repo.clone().into_sync();
    // A gix::Repository is not Sync: the threads only see the path.
    let display_path = source.display_path.as_str();
    let decoded: anyhow::Result<Vec<Option<CommitRecord>>> = candidates
        .par_iter()
        .with_min_len(64)
        .map_init(
            || (shared.to_thread_local(), Vec::new(), Scratch::default()),
            |(repo, buffer, scratch), candidate| {
                let data = match &candidate.data {
                    Some(data) => data.as_slice(),
                    None => read_commit(repo, &candidate.id, buffer, display_path)?,
                };
                let Some(commit) = parse_commit(data, scratch) else {
                    anyhow::bail!("{display_path}: object {} is not a commit", candidate.id);
                };
                Ok(in_period(&commit, period)
                    .then(|| record(candidate.id, &commit, scratch, verifier)))
            },
        )
        .collect();
    let mut records: Vec<CommitRecord> = decoded?.into_iter().flatten().collect();
    // Newest first, then by hash: a stable order.
    records.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.hash.cmp(&b.hash)));
    Ok(assemble(source, period, records, trust, collected_at))
}

fn record(
    id: gix::ObjectId,
    commit: &RawCommit,
    scratch: &Scratch,
    verifier: &dyn Verifier,
) -> CommitRecord {
    let kind = commit.signed.then(|| SignatureType::of(&scratch.signature));
    let check = match kind {
        None => Check {
            letter: Letter::N,
            signer: None,
            key: None,
            bad_email: false,
        },
        Some(SignatureType::Malformed) => Check {
            letter: Letter::B,
            signer: None,
            key: None,
            bad_email: false,
        },
        Some(kind) => verifier.check(
            kind,
            &scratch.signature,
            &scratch.payload,
            &CommitInfo {
                committer_email: &commit.committer.email,
                time: commit.time,
            },
        ),
    };
    let date = local_time(commit.time, commit.offset_seconds);
    CommitRecord {
        hash: id.to_hex().to_string(),
        author: commit.author.name.clone(),
        author_email: commit.author.email.clone(),
        committer: commit.committer.name.clone(),
        committer_email: commit.committer.email.clone(),
        date: date.to_rfc3339(),
        month: date.format("%Y-%m").to_string(),
        subject: commit.subject.clone(),
        signature: kind,
        status: check.letter.as_char(),
        verified: check.letter == Letter::G,
        bad_email: check.bad_email,
        signer: check.signer,
        key: check.key,
        merge: commit.parents > 1,
        web: is_web(&commit.committer),
    }
}

fn assemble(
    source: &Source,
    period: &Period,
    records: Vec<CommitRecord>,
    trust: Vec<TrustFile>,
    collected_at: DateTime<chrono::Utc>,
) -> Evidence {
    let mut summary = SummaryView::default();
    let mut months: BTreeMap<String, Breakdown> = BTreeMap::new();
    let mut authors: BTreeMap<String, Breakdown> = BTreeMap::new();
    for record in &records {
        summary.commits += 1;
        match record.signature {
            Some(SignatureType::Gpg) => summary.signed.gpg += 1,
            Some(SignatureType::Ssh) => summary.signed.ssh += 1,
            Some(SignatureType::X509) => summary.signed.x509 += 1,
            Some(SignatureType::Malformed) => summary.signed.malformed += 1,
            None => summary.unsigned += 1,
        }
        summary.verified += u64::from(record.verified);
        summary.merges += u64::from(record.merge);
        summary.web += u64::from(record.web);
        summary.bad_email += u64::from(record.bad_email);
        *summary.status.entry(record.status).or_default() += 1;
        months
            .entry(record.month.clone())
            .or_insert_with(|| Breakdown {
                key: record.month.clone(),
                ..Breakdown::default()
            })
            .add(record);
        let author = format!("{} <{}>", record.author, record.author_email);
        authors
            .entry(author.clone())
            .or_insert_with(|| Breakdown {
                key: author,
                ..Breakdown::default()
            })
            .add(record);
    }
    let unverified = records.into_iter().filter(|r| !r.verified).collect();
    Evidence {
        generator: super::generator(),
        kind: "commit-signing",
        collected_at: collected_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        period: PeriodView {
            name: period.name.clone(),
            start: period.start.to_string(),
            end: period.end.to_string(),
        },
        repository: RepositoryView {
            name: source.name.clone(),
            path: source.display_path.clone(),
            remote_url: source.remote_url.clone(),
            reference: source.reference.clone(),
            head: source.head.to_hex().to_string(),
        },
        provenance: Provenance {
            collector: "auditbook collect git",
            auditbook_version: env!("CARGO_PKG_VERSION"),
            trust,
        },
        summary,
        by_month: months.into_values().collect(),
        by_author: authors.into_values().collect(),
        unverified,
    }
}

/// The trust files of a source, resolved against the workspace root:
/// `allowed_signers` (a file) and `gpg_keys` (a file or a folder of
/// files), each read and hashed. Errors name the file.
pub fn trust_files(root: &Path, source: &GitSource) -> anyhow::Result<Vec<(PathBuf, TrustFile)>> {
    let mut files = Vec::new();
    if let Some(path) = &source.allowed_signers {
        files.push(("allowed_signers", root.join(path)));
    }
    if let Some(path) = &source.gpg_keys {
        let full = root.join(path);
        if full.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&full)
                .with_context(|| format!("cannot read {}", full.display()))?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| {
                    p.is_file()
                        && !p
                            .file_name()
                            .is_some_and(|n| n.to_string_lossy().starts_with('.'))
                })
                .collect();
            entries.sort();
            if entries.is_empty() {
                anyhow::bail!("{} holds no key files", full.display());
            }
            files.extend(entries.into_iter().map(|p| ("gpg_key", p)));
        } else {
            files.push(("gpg_key", full));
        }
    }
    files
        .into_iter()
        .map(|(role, path)| {
            let bytes =
                std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let file = TrustFile {
                role,
                path: crate::fsutil::relative_display(root, &path),
                sha256: hex::encode(Sha256::digest(&bytes)),
            };
            Ok((path, file))
        })
        .collect()
}

/// Where the evidence of `source` for `period` goes, relative to the
/// workspace root.
pub fn evidence_path(source: &Source, period: &Period) -> PathBuf {
    Path::new("evidence")
        .join("git")
        .join(format!("{}-{}.json", source.name, period.name))
}

/// Writes the evidence file atomically, replacing only an earlier file
/// this collector wrote for the same repository.
pub fn write(root: &Path, relative: &Path, evidence: &Evidence) -> anyhow::Result<()> {
    let path = root.join(relative);
    super::check_replaceable(
        &path,
        "commit-signing",
        "/repository/path",
        &serde_json::Value::String(evidence.repository.path.clone()),
    )?;
    let mut bytes = serde_json::to_vec_pretty(evidence)?;
    bytes.push(b'\n');
    crate::fsutil::write_atomic(&path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_signed_commit_and_strips_the_signature_from_the_payload() {
        let data = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
parent 1111111111111111111111111111111111111111\n\
parent 2222222222222222222222222222222222222222\n\
author A U Thor <a@example.com> 1767225600 +0100\n\
committer GitHub <noreply@github.com> 1767225601 -0230\n\
gpgsig -----BEGIN SSH SIGNATURE-----\n U1NIU0lH\n -----END SSH SIGNATURE-----\n\
\n\
Merge pull request #1\n\
from topic\n\nbody\n";
        let mut scratch = Scratch::default();
        let commit = parse_commit(data, &mut scratch).unwrap();
        assert_eq!(commit.parents, 2);
        assert_eq!(commit.author.email, "a@example.com");
        assert_eq!(commit.committer.name, "GitHub");
        assert_eq!(commit.time, 1767225601);
        assert_eq!(commit.offset_seconds, -(2 * 3600 + 30 * 60));
        assert_eq!(commit.subject, "Merge pull request #1 from topic");
        assert!(is_web(&commit.committer));
        assert!(commit.signed);
        let signature = &scratch.signature;
        assert_eq!(
            signature,
            b"-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n"
        );
        assert_eq!(SignatureType::of(signature), SignatureType::Ssh);
        let payload = &scratch.payload;
        assert!(!payload.windows(6).any(|w| w == b"gpgsig"));
        assert!(payload.starts_with(b"tree "));
        assert!(payload.ends_with(b"\nbody\n"));
        assert_eq!(payload.len(), data.len() - 76);
        let mut parents = Vec::new();
        assert_eq!(scan_commit(data, |id| parents.push(id)), Some(1767225601));
        assert_eq!(parents.len(), 2);
        // The buffers are reused: an unsigned commit clears them.
        let unsigned = parse_commit(b"committer C <c@x> 5 +0000\n\nhi\n", &mut scratch).unwrap();
        assert!(!unsigned.signed && scratch.signature.is_empty() && scratch.payload.is_empty());
    }

    #[test]
    fn classifies_signature_types_and_tolerates_garbage() {
        assert_eq!(
            SignatureType::of(b"-----BEGIN PGP SIGNATURE-----\n"),
            SignatureType::Gpg
        );
        assert_eq!(
            SignatureType::of(b"-----BEGIN SIGNED MESSAGE-----\n"),
            SignatureType::X509
        );
        assert_eq!(SignatureType::of(b"hello"), SignatureType::Malformed);
        assert_eq!(SignatureType::of(b""), SignatureType::Malformed);
        let mut scratch = Scratch::default();
        assert!(parse_commit(b"", &mut scratch).is_none());
        assert!(parse_commit(b"tree x\n\nno committer", &mut scratch).is_none());
        assert_eq!(scan_commit(b"tree x\n\nno committer", |_| {}), None);
        let odd = parse_commit(b"committer <> notanumber +9x\n", &mut scratch).unwrap();
        assert_eq!(odd.time, 0);
        assert_eq!(odd.offset_seconds, 0);
        assert_eq!(odd.subject, "");
    }
}
