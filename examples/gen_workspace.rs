//! Seeded, deterministic generator of a large auditbook workspace, for
//! benchmarks (see `benches/README.md`).
//!
//! ```text
//! cargo run --release --example gen_workspace -- --out DIR [--seed 42] \
//!     [--policies 2000] [--evidence 50000] [--bytes 1200000000] [--force]
//! ```
//!
//! The same seed and options give a byte-identical tree (file contents and
//! names; modification times are set to each file's own date too). Every
//! file is generated from its own ChaCha8 stream, keyed by the seed and the
//! file's index, so the parallel generation does not depend on scheduling.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, UNIX_EPOCH};

use chrono::{Datelike, NaiveDate};
use rand::seq::SliceRandom;
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// `write!` into a `String`, which cannot fail.
macro_rules! w {
    ($dst:expr, $($arg:tt)*) => {{
        let _ = write!($dst, $($arg)*);
    }};
}

const MIB: u64 = 1024 * 1024;
const BUF: usize = 1 << 20;

// ---------------------------------------------------------------------------
// Options

struct Options {
    out: PathBuf,
    seed: u64,
    policies: usize,
    evidence: usize,
    bytes: u64,
    force: bool,
}

const USAGE: &str = "usage: gen_workspace --out DIR [--seed 42] [--policies 2000] \
[--evidence 50000] [--bytes 1200000000] [--force]";

fn parse_args() -> Result<Options, String> {
    let mut opts = Options {
        out: PathBuf::new(),
        seed: 42,
        policies: 2000,
        evidence: 50_000,
        bytes: 1_200_000_000,
        force: false,
    };
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (key, inline) = match arg.split_once('=') {
            Some((k, v)) if k.starts_with("--") => (k.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if key == "-h" || key == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        if key == "--force" {
            opts.force = true;
            continue;
        }
        let value = match inline {
            Some(v) => v,
            None => args.next().ok_or(format!("{key} needs a value"))?,
        };
        let number = |v: &str| -> Result<u64, String> {
            v.replace('_', "")
                .parse::<u64>()
                .map_err(|_| format!("{key}: not a number: {v}"))
        };
        match key.as_str() {
            "--out" | "-o" => out = Some(PathBuf::from(value)),
            "--seed" => opts.seed = number(&value)?,
            "--policies" => opts.policies = number(&value)? as usize,
            "--evidence" => opts.evidence = number(&value)? as usize,
            "--bytes" => opts.bytes = number(&value)?,
            _ => return Err(format!("unknown option {key}")),
        }
    }
    opts.out = out.ok_or("--out DIR is required")?;
    Ok(opts)
}

fn main() {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("gen_workspace: {e}\n{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(&opts) {
        eprintln!("gen_workspace: {e}");
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------
// Randomness

/// The RNG of one generated item: the seed picks the key, the item the stream.
fn rng_for(seed: u64, domain: u64, index: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream((domain << 40) | index);
    rng
}

const D_PLAN: u64 = 1;
const D_POLICY: u64 = 2;
const D_EVIDENCE: u64 = 3;
const D_SIDECAR: u64 = 4;
const D_POOL: u64 = 5;

/// One of a table of strings (a `&'static str`, so inference stays simple).
fn one(rng: &mut ChaCha8Rng, items: &[&'static str]) -> &'static str {
    items[rng.gen_range(0..items.len())]
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    items.choose(rng).expect("non-empty table")
}

/// exp(N(0, sigma)), by Box-Muller.
fn lognormal(rng: &mut ChaCha8Rng, sigma: f64) -> f64 {
    let u1: f64 = rng.gen_range(1e-12..1.0);
    let u2: f64 = rng.gen();
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    (sigma * z).exp()
}

fn hex(rng: &mut ChaCha8Rng, n: usize) -> String {
    const H: &[u8] = b"0123456789abcdef";
    (0..n).map(|_| H[rng.gen_range(0..16)] as char).collect()
}

fn alnum(rng: &mut ChaCha8Rng, n: usize, alphabet: &[u8]) -> String {
    (0..n)
        .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
        .collect()
}

const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A fake secret of the shapes redaction must catch.
fn fake_secret(rng: &mut ChaCha8Rng) -> String {
    match rng.gen_range(0..4) {
        0 => format!("AKIA{}", alnum(rng, 16, UPPER_DIGITS)),
        1 => format!("ghp_{}", alnum(rng, 36, ALNUM)),
        2 => format!(
            "https://{}:{}@{}/",
            pick(rng, &["deploy", "ci", "admin", "svc-build", "jenkins"]),
            alnum(rng, 14, ALNUM),
            pick(
                rng,
                &[
                    "registry.internal.example.com",
                    "git.example.com",
                    "db.prod.example.net",
                    "nexus.example.io"
                ]
            )
        ),
        _ => format!("aws_secret_access_key={}", alnum(rng, 40, ALNUM)),
    }
}

// ---------------------------------------------------------------------------
// Control ids (copied from /work/shared/catalogs/*.tsv; A.7.* is excluded in
// the generated config so none is used)

const CONTROLS: &[&str] = &[
    // SOC 2: security (common criteria), availability, confidentiality
    "CC1.1", "CC1.2", "CC1.3", "CC1.4", "CC1.5", "CC2.1", "CC2.2", "CC2.3", "CC3.1", "CC3.2",
    "CC3.3", "CC3.4", "CC4.1", "CC4.2", "CC5.1", "CC5.2", "CC5.3", "CC6.1", "CC6.2", "CC6.3",
    "CC6.4", "CC6.5", "CC6.6", "CC6.7", "CC6.8", "CC7.1", "CC7.2", "CC7.3", "CC7.4", "CC7.5",
    "CC8.1", "CC9.1", "CC9.2", "A1.1", "A1.2", "A1.3", "C1.1", "C1.2",
    // ISO/IEC 27001:2022 Annex A
    "A.5.1", "A.5.2", "A.5.3", "A.5.7", "A.5.9", "A.5.10", "A.5.12", "A.5.15", "A.5.16", "A.5.17",
    "A.5.18", "A.5.19", "A.5.23", "A.5.24", "A.5.26", "A.5.29", "A.5.30", "A.5.31", "A.5.34",
    "A.6.1", "A.6.3", "A.6.5", "A.6.7", "A.8.1", "A.8.2", "A.8.5", "A.8.8", "A.8.9", "A.8.12",
    "A.8.13", "A.8.14", "A.8.15", "A.8.16", "A.8.20", "A.8.24", "A.8.25", "A.8.28", "A.8.29",
    "A.8.32", // ISO/IEC 27001:2022 clauses (leaves only)
    "4.1", "5.2", "6.1.2", "6.1.3", "6.2", "7.2", "7.5.1", "8.1", "9.1", "9.2.1", "9.3.2", "10.2",
];

/// A YAML flow list of control ids; clause ids are quoted so they stay strings.
fn yaml_ids(ids: &[&str]) -> String {
    let parts: Vec<String> = ids
        .iter()
        .map(|id| {
            if id.starts_with(|c: char| c.is_ascii_digit()) {
                format!("\"{id}\"")
            } else {
                id.to_string()
            }
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

fn toml_ids(ids: &[&str]) -> String {
    let parts: Vec<String> = ids.iter().map(|id| format!("\"{id}\"")).collect();
    format!("[{}]", parts.join(", "))
}

/// `n` distinct ids: mostly from `preferred`, the rest from the whole list.
fn choose_controls(
    rng: &mut ChaCha8Rng,
    preferred: &[&'static str],
    n: usize,
) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::with_capacity(n);
    let mut guard = 0;
    while out.len() < n && guard < 200 {
        guard += 1;
        let id = if !preferred.is_empty() && rng.gen_bool(0.7) {
            *pick(rng, preferred)
        } else {
            *pick(rng, CONTROLS)
        };
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Dates

const YEAR: i32 = 2026;
/// Evidence dates run from 1 January to this day of 2026 (0-based).
const LAST_EVIDENCE_DAY: u32 = 318; // 15 November

fn day(year: i32, ordinal0: u32) -> NaiveDate {
    NaiveDate::from_yo_opt(year, ordinal0 + 1).expect("valid day")
}

fn set_mtime(file: &File, date: NaiveDate, secs_of_day: u32) -> io::Result<()> {
    let dt = date
        .and_hms_opt(
            secs_of_day / 3600,
            (secs_of_day / 60) % 60,
            secs_of_day % 60,
        )
        .expect("valid time")
        .and_utc();
    let secs = dt.timestamp().max(0) as u64;
    file.set_modified(UNIX_EPOCH + Duration::from_secs(secs))
}

// ---------------------------------------------------------------------------
// Writing files

struct Totals {
    files: AtomicU64,
    bytes: AtomicU64,
}

static TOTALS: Totals = Totals {
    files: AtomicU64::new(0),
    bytes: AtomicU64::new(0),
};

fn count(bytes: u64) {
    TOTALS.files.fetch_add(1, Ordering::Relaxed);
    TOTALS.bytes.fetch_add(bytes, Ordering::Relaxed);
}

fn create(path: &Path) -> io::Result<BufWriter<File>> {
    let file = File::create(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    Ok(BufWriter::with_capacity(BUF, file))
}

/// Flush, stamp the modification time, count.
fn finish(w: BufWriter<File>, written: u64, date: NaiveDate, secs: u32) -> io::Result<u64> {
    let file = w.into_inner().map_err(|e| e.into_error())?;
    set_mtime(&file, date, secs)?;
    count(written);
    Ok(written)
}

fn write_small(path: &Path, data: &[u8], date: NaiveDate, secs: u32) -> io::Result<u64> {
    let file = File::create(path)
        .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    let mut file = file;
    file.write_all(data)?;
    set_mtime(&file, date, secs)?;
    count(data.len() as u64);
    Ok(data.len() as u64)
}

fn json_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => w!(out, "\\u{:04x}", c as u32),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn js(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    json_str(&mut out, s);
    out
}

fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            c => out.push(c),
        }
    }
    out
}

/// A YAML scalar: plain when safe, else double-quoted.
fn yaml_str(s: &str) -> String {
    let plain = !s.is_empty()
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.starts_with(|c: char| "!&*-?[]{}|>'\"%@`#,".contains(c) || c.is_ascii_digit())
        && !s.ends_with(':')
        && !matches!(
            s,
            "yes" | "no" | "true" | "false" | "null" | "on" | "off" | "~"
        );
    if plain {
        s.to_string()
    } else {
        js(s)
    }
}

// ---------------------------------------------------------------------------
// Vocabulary

const ORG: &str = "Northwind Ledger Ltd";
const PEOPLE: &[&str] = &[
    "Jane Roe",
    "Amara Ng",
    "Bruno Ortiz",
    "Chen Wei",
    "Dana Kowalski",
    "Elif Yilmaz",
    "Farid Haddad",
    "Grace Okafor",
    "Hiro Tanaka",
    "Ines Moreau",
    "Jonas Berg",
    "Kavya Rao",
    "Liam O'Connor",
    "Maya Cohen",
    "Nikolai Petrov",
    "Olivia Smith",
    "Pedro Alves",
    "Quinn Harper",
    "Rosa Jimenez",
    "Sami Virtanen",
    "Tomasz Nowak",
    "Uma Patel",
    "Victor Dubois",
    "Wen Li",
    "Yusuf Demir",
    "Zoe Fischer",
];
const OWNERS: &[&str] = &[
    "Head of Security",
    "Chief Technology Officer",
    "VP Engineering",
    "Head of People",
    "Head of Infrastructure",
    "Data Protection Officer",
    "Head of IT",
    "Compliance Manager",
    "Head of Platform",
    "Chief Operating Officer",
    "Head of Customer Support",
];
const REPOS: &[&str] = &[
    "ledger-api",
    "web",
    "mobile",
    "infra",
    "data-pipeline",
    "auth-service",
    "billing",
    "platform",
];
const IMAGES: &[&str] = &[
    "ledger-api",
    "web-frontend",
    "auth-service",
    "billing-worker",
    "etl-runner",
    "gateway",
    "notifier",
    "reporting",
    "scheduler",
    "search-indexer",
];
const SYSTEMS: &[&str] = &[
    "aws-prod",
    "aws-staging",
    "github",
    "okta",
    "google-workspace",
    "postgres-prod",
    "datadog",
    "pagerduty",
    "snowflake",
    "jira",
    "vault",
    "cloudflare",
    "slack",
    "1password",
];
const UNITS: &[&str] = &[
    "payments",
    "ledger",
    "web",
    "mobile",
    "data-platform",
    "emea",
    "apac",
    "americas",
    "support",
    "finance",
    "sales",
    "marketing",
    "identity",
    "infrastructure",
    "sre",
    "analytics",
    "billing",
    "partners",
    "research",
    "legal",
    "it",
    "security-ops",
    "treasury",
    "risk",
    "onboarding",
    "reporting",
    "api",
    "integrations",
    "growth",
    "operations",
];

struct Topic {
    area: &'static str,
    slug: &'static str,
    title: &'static str,
    subject: &'static str,
    controls: &'static [&'static str],
}

const TOPICS: &[Topic] = &[
    Topic {
        area: "access",
        slug: "access-control",
        title: "Access Control Policy",
        subject: "access to systems and data",
        controls: &["CC6.1", "CC6.2", "CC6.3", "A.5.15", "A.5.18", "A.8.2"],
    },
    Topic {
        area: "access",
        slug: "password",
        title: "Password and Authentication Policy",
        subject: "passwords and authentication",
        controls: &["CC6.1", "A.5.17", "A.8.5"],
    },
    Topic {
        area: "access",
        slug: "privileged-access",
        title: "Privileged Access Policy",
        subject: "privileged access",
        controls: &["CC6.1", "CC6.3", "A.8.2", "A.5.18"],
    },
    Topic {
        area: "access",
        slug: "remote-access",
        title: "Remote Access Policy",
        subject: "remote access",
        controls: &["CC6.6", "CC6.7", "A.6.7", "A.8.1"],
    },
    Topic {
        area: "access",
        slug: "identity-lifecycle",
        title: "Identity Lifecycle Policy",
        subject: "joiners, movers and leavers",
        controls: &["CC6.2", "A.5.16", "A.5.18"],
    },
    Topic {
        area: "data",
        slug: "data-classification",
        title: "Data Classification Policy",
        subject: "classifying information",
        controls: &["C1.1", "A.5.12", "A.5.10", "CC2.1"],
    },
    Topic {
        area: "data",
        slug: "data-retention",
        title: "Data Retention and Disposal Policy",
        subject: "retention and disposal of data",
        controls: &["C1.2", "A.5.10", "CC6.5"],
    },
    Topic {
        area: "data",
        slug: "encryption",
        title: "Cryptography and Encryption Policy",
        subject: "encryption and key management",
        controls: &["CC6.1", "CC6.7", "A.8.24"],
    },
    Topic {
        area: "data",
        slug: "backup",
        title: "Backup Policy",
        subject: "backups and restores",
        controls: &["A1.2", "A1.3", "A.8.13"],
    },
    Topic {
        area: "data",
        slug: "privacy",
        title: "Privacy and Personal Data Policy",
        subject: "personal data",
        controls: &["C1.1", "A.5.34", "CC2.3"],
    },
    Topic {
        area: "engineering",
        slug: "secure-development",
        title: "Secure Development Policy",
        subject: "secure software development",
        controls: &["CC8.1", "A.8.25", "A.8.28", "A.8.29"],
    },
    Topic {
        area: "engineering",
        slug: "change-management",
        title: "Change Management Policy",
        subject: "changes to production systems",
        controls: &["CC8.1", "A.8.32", "CC5.2"],
    },
    Topic {
        area: "engineering",
        slug: "code-review",
        title: "Code Review Policy",
        subject: "code review",
        controls: &["CC8.1", "A.8.28", "A.8.32"],
    },
    Topic {
        area: "engineering",
        slug: "vulnerability-management",
        title: "Vulnerability Management Policy",
        subject: "technical vulnerabilities",
        controls: &["CC7.1", "A.8.8", "CC3.2"],
    },
    Topic {
        area: "engineering",
        slug: "dependency-management",
        title: "Third-Party Software Policy",
        subject: "open-source and third-party software",
        controls: &["CC7.1", "A.8.8", "A.8.28"],
    },
    Topic {
        area: "hr",
        slug: "onboarding",
        title: "Onboarding Policy",
        subject: "onboarding new staff",
        controls: &["CC1.4", "A.6.1", "A.6.3", "CC6.2"],
    },
    Topic {
        area: "hr",
        slug: "offboarding",
        title: "Offboarding Policy",
        subject: "leavers and role changes",
        controls: &["CC6.2", "A.6.5", "A.5.18"],
    },
    Topic {
        area: "hr",
        slug: "acceptable-use",
        title: "Acceptable Use Policy",
        subject: "acceptable use of company assets",
        controls: &["CC1.1", "A.5.10", "A.6.3"],
    },
    Topic {
        area: "hr",
        slug: "security-awareness",
        title: "Security Awareness and Training Policy",
        subject: "security awareness and training",
        controls: &["CC1.4", "CC2.2", "A.6.3", "7.2"],
    },
    Topic {
        area: "hr",
        slug: "code-of-conduct",
        title: "Code of Conduct",
        subject: "ethical conduct",
        controls: &["CC1.1", "CC1.3", "A.5.4"],
    },
    Topic {
        area: "isms",
        slug: "information-security",
        title: "Information Security Policy",
        subject: "the information security management system",
        controls: &["5.2", "A.5.1", "CC1.1", "CC2.2"],
    },
    Topic {
        area: "isms",
        slug: "risk-management",
        title: "Risk Management Policy",
        subject: "information security risk",
        controls: &["6.1.2", "6.1.3", "CC3.1", "CC3.2", "CC9.1"],
    },
    Topic {
        area: "isms",
        slug: "internal-audit",
        title: "Internal Audit Policy",
        subject: "internal audits",
        controls: &["9.2.1", "CC4.1", "CC4.2"],
    },
    Topic {
        area: "isms",
        slug: "management-review",
        title: "Management Review Policy",
        subject: "management review of the ISMS",
        controls: &["9.3.2", "CC4.2", "10.2"],
    },
    Topic {
        area: "isms",
        slug: "document-control",
        title: "Document Control Policy",
        subject: "documented information",
        controls: &["7.5.1", "A.5.1", "CC2.1"],
    },
    Topic {
        area: "isms",
        slug: "security-objectives",
        title: "Security Objectives",
        subject: "security objectives and how they are measured",
        controls: &["6.2", "9.1", "4.1"],
    },
    Topic {
        area: "operations",
        slug: "logging-monitoring",
        title: "Logging and Monitoring Policy",
        subject: "logging and monitoring",
        controls: &["CC7.2", "A.8.15", "A.8.16"],
    },
    Topic {
        area: "operations",
        slug: "incident-response",
        title: "Incident Response Policy",
        subject: "security incidents",
        controls: &["CC7.3", "CC7.4", "CC7.5", "A.5.24", "A.5.26"],
    },
    Topic {
        area: "operations",
        slug: "business-continuity",
        title: "Business Continuity and Disaster Recovery Policy",
        subject: "continuity and disaster recovery",
        controls: &["A1.2", "A1.3", "A.5.29", "A.5.30", "CC9.1"],
    },
    Topic {
        area: "operations",
        slug: "capacity-management",
        title: "Capacity Management Policy",
        subject: "capacity and performance",
        controls: &["A1.1", "CC7.2"],
    },
    Topic {
        area: "operations",
        slug: "patch-management",
        title: "Patch Management Policy",
        subject: "patching",
        controls: &["CC7.1", "A.8.8", "A.8.9"],
    },
    Topic {
        area: "operations",
        slug: "configuration-management",
        title: "Configuration Management Policy",
        subject: "secure configuration",
        controls: &["CC7.1", "CC8.1", "A.8.9"],
    },
    Topic {
        area: "security",
        slug: "network-security",
        title: "Network Security Policy",
        subject: "network security",
        controls: &["CC6.6", "A.8.20", "CC6.1"],
    },
    Topic {
        area: "security",
        slug: "endpoint-security",
        title: "Endpoint Security Policy",
        subject: "laptops and other endpoints",
        controls: &["CC6.8", "A.8.1", "A.6.7"],
    },
    Topic {
        area: "security",
        slug: "key-management",
        title: "Key Management Standard",
        subject: "cryptographic keys",
        controls: &["CC6.1", "A.8.24"],
    },
    Topic {
        area: "security",
        slug: "asset-management",
        title: "Asset Management Policy",
        subject: "information assets",
        controls: &["CC6.1", "A.5.9", "A.5.10"],
    },
    Topic {
        area: "security",
        slug: "threat-intelligence",
        title: "Threat Intelligence Policy",
        subject: "threat intelligence",
        controls: &["A.5.7", "CC3.2", "CC7.2"],
    },
    Topic {
        area: "vendors",
        slug: "vendor-management",
        title: "Vendor Management Policy",
        subject: "suppliers and vendors",
        controls: &["CC9.2", "A.5.19", "A.5.23"],
    },
    Topic {
        area: "vendors",
        slug: "cloud-services",
        title: "Cloud Services Policy",
        subject: "cloud services",
        controls: &["A.5.23", "CC9.2", "CC6.1"],
    },
    Topic {
        area: "vendors",
        slug: "supplier-security",
        title: "Supplier Security Requirements",
        subject: "security requirements for suppliers",
        controls: &["A.5.19", "CC9.2", "C1.1"],
    },
];

const PURPOSE: &[&str] = &[
    "This policy sets out how {org} manages {subject} across the systems and services it operates.",
    "It establishes the minimum requirements every team must meet, and the evidence that shows those requirements are met.",
    "The policy supports the commitments {org} makes to customers in contracts, on its trust page and in security questionnaires.",
    "It is aligned with the SOC 2 Trust Services Criteria and ISO/IEC 27001:2022, and its requirements are mapped to both.",
    "Where a local law or a customer contract sets a stricter requirement, the stricter requirement applies.",
    "The aim is to reduce the likelihood and impact of security incidents without slowing down the delivery of the product.",
    "A consistent approach to {subject} lets auditors, customers and staff rely on the same, documented practice.",
    "This document explains what is expected, who is accountable, and how compliance is measured.",
];
const SCOPE: &[&str] = &[
    "This policy applies to all employees, contractors and temporary staff who have access to {org} information or systems.",
    "It covers production, staging and corporate environments, including infrastructure hosted by third-party cloud providers.",
    "Systems that store or process customer data are in scope regardless of which team operates them.",
    "Personal devices are in scope whenever they are used to access company email, source code or customer data.",
    "Third parties acting on behalf of {org} are bound by this policy through their contracts.",
    "The {unit} business unit follows this policy together with any procedures specific to its systems.",
    "Test and development environments are in scope when they hold copies of production data.",
    "Out of scope are systems that are fully operated by a vendor and covered by the vendor's own audited controls.",
];
const ROLES: &[(&str, &str)] = &[
    (
        "Head of Security",
        "owns this policy, approves exceptions and reports on compliance to the leadership team",
    ),
    (
        "Engineering managers",
        "make sure their teams follow the policy and that evidence is produced on time",
    ),
    (
        "System owners",
        "keep an accurate record of who has access to their systems and review it every quarter",
    ),
    (
        "People Operations",
        "informs IT of joiners, movers and leavers on or before the effective date",
    ),
    (
        "All staff",
        "read and acknowledge this policy on joining and after every material change",
    ),
    (
        "Internal audit",
        "tests the operation of the controls in this policy at least once a year",
    ),
    (
        "Site reliability engineering",
        "operates the monitoring and alerting that this policy relies on",
    ),
    (
        "Data Protection Officer",
        "advises on the handling of personal data and on notification duties",
    ),
    (
        "The security committee",
        "reviews risks, incidents and metrics every month and tracks actions to closure",
    ),
    (
        "Vendor owners",
        "assess their vendors before onboarding and every year thereafter",
    ),
];
const SUBHEADINGS: &[&str] = &[
    "General requirements",
    "Provisioning",
    "Monitoring",
    "Evidence and records",
    "Third parties",
    "Training",
    "Technical controls",
    "Review cadence",
    "Metrics",
    "Roles in practice",
    "Automation",
    "Escalation",
    "Documentation",
    "Testing",
    "Remediation timelines",
];
const STATEMENTS: &[&str] = &[
    "Access is granted on the principle of least privilege and only for as long as it is needed.",
    "Every production change is reviewed and approved by a person other than its author before it is deployed.",
    "Multi-factor authentication is required for all access to production systems and to the identity provider.",
    "Secrets are stored in the approved secrets manager and are never committed to source control.",
    "Critical vulnerabilities are remediated within {days} days of detection and high vulnerabilities within 30 days.",
    "Backups are encrypted, stored in a separate region and restored at least once per quarter to prove they work.",
    "Logs of security-relevant events are retained for at least {days} days and protected against tampering.",
    "Shared accounts are not permitted; every action must be attributable to a named individual.",
    "Access rights are reviewed by system owners every quarter and the review is recorded as evidence.",
    "Accounts of leavers are disabled within one business day of their last working day.",
    "Customer data is encrypted in transit with TLS 1.2 or later and at rest with AES-256.",
    "Production data is not copied to development or test environments unless it has been anonymised.",
    "Security patches for operating systems and container base images are applied within {days} days of release.",
    "All staff complete security awareness training on joining and every year thereafter.",
    "Incidents are triaged within one hour and customers are notified without undue delay when their data is affected.",
    "Infrastructure is defined as code, and changes to it follow the same review process as application code.",
    "Vendors that process customer data are assessed before onboarding and reassessed every year.",
    "Administrative access to production uses short-lived credentials issued through the access broker.",
    "Firewalls and security groups deny all inbound traffic by default; every exception is documented and reviewed.",
    "Laptops use full-disk encryption, screen lock after five minutes and the managed endpoint protection agent.",
    "Recovery time and recovery point objectives are defined for every tier-one service and tested at least once a year.",
    "Risks are recorded in the risk register with an owner, a rating and a treatment decision.",
    "Exceptions to this policy are time-limited, approved by the policy owner and recorded in the exception register.",
    "Signed commits are required on protected branches of every repository that deploys to production.",
    "Automated scans for vulnerabilities, secrets and misconfigurations run on every pull request and nightly.",
    "Findings are tracked in the issue tracker with a severity, an owner and a due date.",
    "Keys are rotated at least every {months} months and immediately after a suspected compromise.",
    "Monitoring alerts are routed to the on-call engineer, who acknowledges them within fifteen minutes.",
    "Capacity is reviewed every month against forecasts, and alerts fire before utilisation reaches 80 percent.",
    "The asset inventory is updated automatically from the cloud provider and reconciled every quarter.",
    "Staff report suspected security incidents through the incident channel or to the security team directly.",
    "Documents are classified as public, customer, internal or confidential and labelled accordingly.",
    "Confidential information is shared with third parties only under a signed non-disclosure agreement.",
    "Remote access to internal systems is only possible through the zero-trust access proxy.",
    "Changes that bypass the normal process in an emergency are reviewed retrospectively within two business days.",
];
const PROCEDURE: &[&str] = &[
    "The request is raised in the service desk and names the system, the level of access and the business reason.",
    "The system owner approves or rejects the request; approvals are recorded automatically with a timestamp.",
    "Once approved, access is provisioned through the identity provider rather than by hand wherever possible.",
    "The security team samples completed requests every month to confirm that approvals were given before access.",
    "Evidence of each step is collected automatically and stored in the evidence locker for the audit period.",
    "Where automation is not available, the owner exports a report and adds it to the evidence locker by hand.",
    "Deviations found during sampling are raised as findings and tracked until they are closed.",
    "The results are summarised in the monthly security report to the leadership team.",
    "Metrics for this process are published on the internal dashboard and reviewed by the security committee.",
    "Teams that cannot meet a requirement raise an exception before the deadline rather than after it.",
    "Tooling used for this process is itself in scope of the access review and change management policies.",
    "New joiners are walked through the process during onboarding and can ask the security team for help at any time.",
];
const EXCEPTIONS: &[&str] = &[
    "Exceptions must be requested in writing and approved by the {owner}.",
    "Each exception states the risk, the compensating controls and an expiry date no more than twelve months away.",
    "Approved exceptions are recorded in the exception register and reviewed every quarter.",
    "An expired exception is treated as non-compliance until it is renewed or the requirement is met.",
];
const ENFORCEMENT: &[&str] = &[
    "Violations of this policy may result in disciplinary action, up to and including termination of employment or contract.",
    "Compliance is monitored continuously through automated checks and periodically through internal audit.",
    "Suspected violations are reported to the security team and handled confidentially.",
    "Repeated non-compliance by a team is escalated to its director and to the security committee.",
];
const REVIEW: &[&str] = &[
    "This policy is reviewed at least every {review} by its owner, and after any significant change to the business or a major incident.",
    "Changes are proposed through a pull request to the policy repository and approved by the policy owner.",
    "The approved version is published to all staff, who acknowledge it in the HR system.",
    "Previous versions are kept in the repository history as part of the audit trail.",
];

/// Replace the placeholders of a vocabulary sentence.
fn fill(rng: &mut ChaCha8Rng, text: &str, topic: &Topic, owner: &str, review: &str) -> String {
    if !text.contains('{') {
        return text.to_string();
    }
    let mut s = text
        .replace("{org}", ORG)
        .replace("{subject}", topic.subject);
    if s.contains("{unit}") {
        s = s.replace("{unit}", one(rng, UNITS));
    }
    if s.contains("{days}") {
        s = s.replace("{days}", &pick(rng, &[7, 14, 30, 90, 180, 365]).to_string());
    }
    if s.contains("{months}") {
        s = s.replace("{months}", &pick(rng, &[3, 6, 12]).to_string());
    }
    s.replace("{owner}", owner).replace("{review}", review)
}

fn words(s: &str) -> usize {
    s.split_whitespace().count()
}

// ---------------------------------------------------------------------------
// Policies

struct PolicyPlan {
    id: String,
    topic: usize,
    unit: Option<String>,
    version: String,
}

fn plan_policies(seed: u64, n: usize) -> Vec<PolicyPlan> {
    let mut rng = rng_for(seed, D_PLAN, 1);
    (0..n)
        .map(|i| {
            let topic = i % TOPICS.len();
            let round = i / TOPICS.len();
            let t = &TOPICS[topic];
            let unit = match round {
                0 => None,
                r if r <= UNITS.len() => Some(UNITS[r - 1].to_string()),
                r => Some(format!(
                    "{}-{}",
                    UNITS[(r - 1) % UNITS.len()],
                    (r - 1) / UNITS.len() + 1
                )),
            };
            let name = match &unit {
                None => t.slug.to_string(),
                Some(u) => format!("{}-{u}", t.slug),
            };
            let major = rng.gen_range(1..5);
            let version = if rng.gen_bool(0.3) {
                format!("{major}.{}.{}", rng.gen_range(0..6), rng.gen_range(0..4))
            } else {
                format!("{major}.{}", rng.gen_range(0..10))
            };
            PolicyPlan {
                id: format!("{}/{name}", t.area),
                topic,
                unit,
                version,
            }
        })
        .collect()
}

fn gen_policy(seed: u64, index: usize, plan: &PolicyPlan, root: &Path) -> io::Result<u64> {
    let mut rng = rng_for(seed, D_POLICY, index as u64);
    let topic = &TOPICS[plan.topic];
    let title = match &plan.unit {
        None => topic.title.to_string(),
        Some(u) => {
            let label: String = u
                .split('-')
                .map(|p| {
                    let mut c = p.chars();
                    match c.next() {
                        Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                        None => String::new(),
                    }
                })
                .collect::<Vec<_>>()
                .join(" ");
            format!("{} ({label})", topic.title)
        }
    };
    let owner = *pick(&mut rng, OWNERS);
    let approver = *pick(&mut rng, PEOPLE);
    let approved = day(rng.gen_range(2024..=2026), rng.gen_range(0..365));
    let approved = approved.min(day(YEAR, LAST_EVIDENCE_DAY));
    let review = *pick(
        &mut rng,
        &[
            "12 months",
            "12 months",
            "6 months",
            "1 year",
            "24 months",
            "365d",
        ],
    );
    let classification = *pick(
        &mut rng,
        &["public", "customer", "internal", "internal", "confidential"],
    );
    let n = rng.gen_range(2..=8);
    let controls = choose_controls(&mut rng, topic.controls, n);

    let mut s = String::with_capacity(12 * 1024);
    s.push_str("---\n");
    w!(s, "title: {}\n", yaml_str(&title));
    w!(s, "owner: {}\n", yaml_str(owner));
    w!(s, "version: \"{}\"\n", plan.version);
    w!(s, "approved_by: {}\n", yaml_str(approver));
    w!(s, "approved_on: {approved}\n");
    w!(s, "review_every: {review}\n");
    w!(s, "classification: {classification}\n");
    w!(s, "controls: {}\n", yaml_ids(&controls));
    w!(
        s,
        "description: {}\n",
        yaml_str(&format!(
            "How {ORG} handles {} ({} scope)",
            topic.subject,
            plan.unit.as_deref().unwrap_or("company-wide")
        ))
    );
    s.push_str("---\n\n");

    let target_words = rng.gen_range(300..=1500);
    let body_start = s.len();
    w!(s, "# {title}\n\n");
    let para = |rng: &mut ChaCha8Rng, s: &mut String, from: &[&str], lo: usize, hi: usize| {
        let mut idx: Vec<usize> = (0..from.len()).collect();
        idx.shuffle(rng);
        let k = rng.gen_range(lo..=hi).min(from.len());
        let sentences: Vec<String> = idx[..k]
            .iter()
            .map(|&i| fill(rng, from[i], topic, owner, review))
            .collect();
        s.push_str(&sentences.join(" "));
        s.push_str("\n\n");
    };
    let mut section = 1;
    w!(s, "## {section}. Purpose\n\n");
    para(&mut rng, &mut s, PURPOSE, 2, 4);
    section += 1;
    w!(s, "## {section}. Scope\n\n");
    para(&mut rng, &mut s, SCOPE, 2, 4);
    section += 1;
    w!(s, "## {section}. Roles and responsibilities\n\n");
    let mut roles: Vec<usize> = (0..ROLES.len()).collect();
    roles.shuffle(&mut rng);
    for &r in roles.iter().take(rng.gen_range(3..=6)) {
        w!(s, "- **{}** {}.\n", ROLES[r].0, ROLES[r].1);
    }
    s.push('\n');
    section += 1;
    w!(s, "## {section}. Policy\n\n");
    let policy_section = section;
    // The closing sections first, so the policy statements can fill the
    // word budget between them.
    let mut tail = String::new();
    for (name, from, lo, hi) in [
        ("Exceptions", EXCEPTIONS, 2, 3),
        ("Enforcement", ENFORCEMENT, 1, 3),
        ("Review", REVIEW, 2, 4),
    ] {
        section += 1;
        w!(tail, "## {section}. {name}\n\n");
        para(&mut rng, &mut tail, from, lo, hi);
    }
    w!(
        tail,
        "| Version | Date | Approved by |\n|---|---|---|\n| {} | {approved} | {approver} |\n",
        plan.version
    );
    let tail_words = words(&tail);
    let mut body_words = words(&s[body_start..]);
    let mut heads: Vec<usize> = (0..SUBHEADINGS.len()).collect();
    heads.shuffle(&mut rng);
    for sub in 1..=40 {
        let mut chunk = String::new();
        let head = SUBHEADINGS[heads[(sub - 1) % heads.len()]];
        w!(chunk, "### {policy_section}.{sub} {head}\n\n");
        match rng.gen_range(0..3) {
            0 => {
                let k = rng.gen_range(3..=7);
                for j in 1..=k {
                    let st = STATEMENTS[rng.gen_range(0..STATEMENTS.len())];
                    let st = fill(&mut rng, st, topic, owner, review);
                    w!(chunk, "{j}. {st}\n");
                }
                chunk.push('\n');
            }
            1 => {
                para(&mut rng, &mut chunk, PROCEDURE, 2, 5);
                let k = rng.gen_range(2..=5);
                for _ in 0..k {
                    let st = STATEMENTS[rng.gen_range(0..STATEMENTS.len())];
                    let st = fill(&mut rng, st, topic, owner, review);
                    w!(chunk, "- {st}\n");
                }
                chunk.push('\n');
            }
            _ => para(&mut rng, &mut chunk, STATEMENTS, 3, 6),
        }
        let n = words(&chunk);
        let short = body_words + tail_words < 300;
        if !short && body_words + n + tail_words > target_words {
            break;
        }
        s.push_str(&chunk);
        body_words += n;
    }
    s.push_str(&tail);

    let path = root.join("policies").join(format!("{}.md", plan.id));
    write_small(&path, s.as_bytes(), approved, 9 * 3600)
}

// ---------------------------------------------------------------------------
// Evidence plan

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    CiLog,
    Sarif,
    Trivy,
    Grype,
    Gitleaks,
    KubeBench,
    Junit,
    Drill,
    AccessReview,
    Ack,
    Metric,
    Generic,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::CiLog => "ci-log",
            Kind::Sarif => "sarif",
            Kind::Trivy => "trivy",
            Kind::Grype => "grype",
            Kind::Gitleaks => "gitleaks",
            Kind::KubeBench => "kube-bench",
            Kind::Junit => "junit",
            Kind::Drill => "drill",
            Kind::AccessReview => "access-review",
            Kind::Ack => "acknowledgement",
            Kind::Metric => "metric",
            Kind::Generic => "generic",
        }
    }

    /// Median size before scaling, in bytes.
    fn base_size(self) -> f64 {
        match self {
            Kind::Sarif => 24_000.0,
            Kind::Trivy => 40_000.0,
            Kind::Grype => 40_000.0,
            Kind::Gitleaks => 4_000.0,
            Kind::KubeBench => 50_000.0,
            Kind::Junit => 16_000.0,
            Kind::Drill => 2_000.0,
            Kind::AccessReview => 8_000.0,
            Kind::Ack => 12_000.0,
            Kind::Metric => 6_000.0,
            Kind::CiLog | Kind::Generic => 0.0,
        }
    }
}

/// Share of evidence files per kind, in per mille.
const MIX: &[(Kind, u32)] = &[
    (Kind::CiLog, 200),
    (Kind::Sarif, 100),
    (Kind::Trivy, 80),
    (Kind::Grype, 70),
    (Kind::Gitleaks, 40),
    (Kind::KubeBench, 30),
    (Kind::Junit, 180),
    (Kind::Drill, 10),
    (Kind::AccessReview, 50),
    (Kind::Ack, 50),
    (Kind::Metric, 90),
    (Kind::Generic, 100),
];

struct EvPlan {
    kind: Kind,
    rel: String,
    day: u32,
    target: u64,
    sidecar: bool,
}

fn plan_evidence(seed: u64, n: usize) -> Vec<EvPlan> {
    let mut rng = rng_for(seed, D_PLAN, 2);
    let total: u32 = MIX.iter().map(|m| m.1).sum();
    (0..n)
        .map(|i| {
            // The first files cover every kind, so small workspaces hold them all.
            let kind = if i < MIX.len() {
                MIX[i].0
            } else {
                let mut r = rng.gen_range(0..total);
                let mut k = Kind::Generic;
                for &(kind, share) in MIX {
                    if r < share {
                        k = kind;
                        break;
                    }
                    r -= share;
                }
                k
            };
            let d = rng.gen_range(0..=LAST_EVIDENCE_DAY);
            let date = day(YEAR, d);
            let ym = format!("{}-{:02}", date.year(), date.month());
            let repo = *pick(&mut rng, REPOS);
            let rel = match kind {
                Kind::CiLog => {
                    let wf = *pick(
                        &mut rng,
                        &[
                            "ci", "build", "test", "release", "deploy", "nightly", "lint",
                        ],
                    );
                    format!(
                        "ci/{repo}/{ym}/{wf}-{}.log",
                        9_000_000_000u64 + i as u64 * 7
                    )
                }
                Kind::Sarif => {
                    let tool = *pick(&mut rng, &["codeql", "semgrep", "gosec", "checkov"]);
                    format!("scans/sarif/{repo}/{tool}-{date}-{i:06}.sarif")
                }
                Kind::Trivy => format!(
                    "scans/containers/trivy/{}-{date}-{i:06}.json",
                    pick(&mut rng, IMAGES)
                ),
                Kind::Grype => format!(
                    "scans/containers/grype/{}-{date}-{i:06}.json",
                    pick(&mut rng, IMAGES)
                ),
                Kind::Gitleaks => format!("scans/secrets/{repo}-{date}-{i:06}.json"),
                Kind::KubeBench => {
                    let cluster = *pick(
                        &mut rng,
                        &["prod-eu-west-1", "prod-us-east-1", "staging-eu-west-1"],
                    );
                    format!("kubernetes/{cluster}/kube-bench-{date}-{i:06}.json")
                }
                Kind::Junit => {
                    let style = *pick(&mut rng, &["surefire", "pytest", "go"]);
                    format!("tests/{repo}/{style}/TEST-{date}-{i:06}.xml")
                }
                Kind::Drill => {
                    let slug = *pick(
                        &mut rng,
                        &[
                            "region-loss",
                            "database-restore",
                            "ransomware-tabletop",
                            "dns-failover",
                            "backup-restore",
                        ],
                    );
                    format!("drills/{date}-{slug}-{i:06}.md")
                }
                Kind::AccessReview => {
                    let q = (date.month() - 1) / 3 + 1;
                    format!(
                        "access-reviews/{YEAR}-Q{q}/{}-{i:06}.csv",
                        pick(&mut rng, SYSTEMS)
                    )
                }
                Kind::Ack => format!("acknowledgements/{ym}/acknowledgements-{i:06}.csv"),
                Kind::Metric => {
                    let group = *pick(
                        &mut rng,
                        &["availability", "security", "operations", "people"],
                    );
                    format!("metrics/{group}/{ym}-{i:06}.csv")
                }
                Kind::Generic => {
                    let (dir, ext) = *pick(
                        &mut rng,
                        &[
                            ("pentest", "pdf"),
                            ("contracts", "pdf"),
                            ("soc-reports", "pdf"),
                            ("screenshots", "png"),
                            ("exports", "xlsx"),
                            ("board", "pdf"),
                            ("insurance", "pdf"),
                            ("architecture", "png"),
                            ("archives", "zip"),
                        ],
                    );
                    format!("documents/{dir}/{dir}-{date}-{i:06}.{ext}")
                }
            };
            let base = kind.base_size();
            let target = if base > 0.0 {
                (base * lognormal(&mut rng, 0.8)) as u64
            } else {
                0
            };
            let sidecar = rng.gen_bool(0.3);
            EvPlan {
                kind,
                rel,
                day: d,
                target,
                sidecar,
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Structured evidence

struct Ctx<'a> {
    seed: u64,
    root: &'a Path,
    policies: &'a [PolicyPlan],
    pool: &'a LogPool,
}

fn timestamp(date: NaiveDate, secs: u32, frac: u32) -> String {
    format!(
        "{date}T{:02}:{:02}:{:02}.{frac:07}Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

fn gen_structured(ctx: &Ctx, index: usize, p: &EvPlan) -> io::Result<u64> {
    let mut rng = rng_for(ctx.seed, D_EVIDENCE, index as u64);
    let date = day(YEAR, p.day);
    let secs = rng.gen_range(0..86_400);
    let target = p.target as usize;
    let text = match p.kind {
        Kind::Sarif => sarif(&mut rng, target, &p.rel),
        Kind::Trivy => trivy(&mut rng, target, date, secs),
        Kind::Grype => grype(&mut rng, target, date, secs),
        Kind::Gitleaks => gitleaks(&mut rng, target, date),
        Kind::KubeBench => kube_bench(&mut rng, target),
        Kind::Junit => junit(&mut rng, target, &p.rel, date, secs),
        Kind::Drill => drill(&mut rng, date),
        Kind::AccessReview => access_review(&mut rng, target, &p.rel, date),
        Kind::Ack => acknowledgements(&mut rng, target, ctx.policies, date),
        Kind::Metric => metrics(&mut rng, target, date),
        Kind::CiLog | Kind::Generic => unreachable!("written in the second phase"),
    };
    write_small(
        &ctx.root.join("evidence").join(&p.rel),
        text.as_bytes(),
        date,
        secs,
    )
}

struct Rule {
    id: &'static str,
    text: &'static str,
    severity: Option<&'static str>,
    level: &'static str,
}

struct SarifTool {
    name: &'static str,
    full: &'static str,
    version: &'static str,
    uri: &'static str,
    rules: &'static [Rule],
}

const SARIF_TOOLS: &[SarifTool] = &[
    SarifTool {
        name: "CodeQL",
        full: "CodeQL",
        version: "2.16.4",
        uri: "https://codeql.github.com",
        rules: &[
            Rule {
                id: "js/sql-injection",
                text: "Database query built from user-controlled sources",
                severity: Some("8.8"),
                level: "error",
            },
            Rule {
                id: "js/xss",
                text: "Client-side cross-site scripting",
                severity: Some("6.1"),
                level: "error",
            },
            Rule {
                id: "py/path-injection",
                text: "Uncontrolled data used in path expression",
                severity: Some("7.5"),
                level: "error",
            },
            Rule {
                id: "java/weak-cryptographic-algorithm",
                text: "Use of a broken or risky cryptographic algorithm",
                severity: Some("7.5"),
                level: "warning",
            },
            Rule {
                id: "go/clear-text-logging",
                text: "Clear-text logging of sensitive information",
                severity: Some("7.5"),
                level: "error",
            },
            Rule {
                id: "js/missing-rate-limiting",
                text: "Missing rate limiting",
                severity: Some("7.5"),
                level: "warning",
            },
            Rule {
                id: "py/flask-debug",
                text: "Flask app is run in debug mode",
                severity: Some("7.5"),
                level: "error",
            },
            Rule {
                id: "rb/hardcoded-credentials",
                text: "Hard-coded credentials",
                severity: Some("9.8"),
                level: "warning",
            },
            Rule {
                id: "java/ssrf",
                text: "Server-side request forgery",
                severity: Some("9.1"),
                level: "error",
            },
            Rule {
                id: "js/regex/missing-regexp-anchor",
                text: "Missing regular expression anchor",
                severity: Some("7.8"),
                level: "warning",
            },
            Rule {
                id: "js/unused-local-variable",
                text: "Unused variable, import, function or class",
                severity: None,
                level: "note",
            },
            Rule {
                id: "py/empty-except",
                text: "Empty except",
                severity: None,
                level: "note",
            },
            Rule {
                id: "go/incomplete-hostname-regexp",
                text: "Incomplete regular expression for hostnames",
                severity: Some("7.8"),
                level: "warning",
            },
            Rule {
                id: "js/insecure-randomness",
                text: "Insecure randomness",
                severity: Some("7.8"),
                level: "warning",
            },
            Rule {
                id: "py/stack-trace-exposure",
                text: "Information exposure through an exception",
                severity: Some("5.4"),
                level: "error",
            },
        ],
    },
    SarifTool {
        name: "Semgrep OSS",
        full: "Semgrep OSS",
        version: "1.62.0",
        uri: "https://semgrep.dev",
        rules: &[
            Rule {
                id: "python.lang.security.audit.subprocess-shell-true.subprocess-shell-true",
                text: "Found 'subprocess' function with 'shell=True'",
                severity: None,
                level: "error",
            },
            Rule {
                id: "javascript.express.security.audit.xss.direct-response-write",
                text: "Detected directly writing to a Response object from user-defined input",
                severity: None,
                level: "warning",
            },
            Rule {
                id: "generic.secrets.security.detected-aws-access-key-id-value",
                text: "AWS Access Key ID Value detected",
                severity: None,
                level: "error",
            },
            Rule {
                id: "go.lang.security.audit.net.use-tls.use-tls",
                text: "Found an HTTP server without TLS",
                severity: None,
                level: "note",
            },
            Rule {
                id: "dockerfile.security.missing-user.missing-user",
                text: "The Dockerfile does not specify a USER",
                severity: None,
                level: "warning",
            },
            Rule {
                id: "yaml.github-actions.security.run-shell-injection.run-shell-injection",
                text: "Using variable interpolation with github context data in a run step",
                severity: None,
                level: "error",
            },
        ],
    },
    SarifTool {
        name: "gosec",
        full: "Golang Security Checker",
        version: "2.19.0",
        uri: "https://github.com/securego/gosec/",
        rules: &[
            Rule {
                id: "G101",
                text: "Look for hard coded credentials",
                severity: Some("7.5"),
                level: "error",
            },
            Rule {
                id: "G104",
                text: "Audit errors not checked",
                severity: Some("3.1"),
                level: "warning",
            },
            Rule {
                id: "G204",
                text: "Audit use of command execution",
                severity: Some("6.3"),
                level: "warning",
            },
            Rule {
                id: "G304",
                text: "File path provided as taint input",
                severity: Some("5.5"),
                level: "warning",
            },
            Rule {
                id: "G401",
                text: "Detect the usage of MD5 or SHA1",
                severity: Some("7.4"),
                level: "warning",
            },
            Rule {
                id: "G402",
                text: "Look for bad TLS connection settings",
                severity: Some("9.1"),
                level: "error",
            },
            Rule {
                id: "G404",
                text: "Insecure random number source (rand)",
                severity: Some("4.0"),
                level: "note",
            },
        ],
    },
    SarifTool {
        name: "checkov",
        full: "Checkov",
        version: "3.2.21",
        uri: "https://www.checkov.io",
        rules: &[
            Rule {
                id: "CKV_AWS_18",
                text: "Ensure the S3 bucket has access logging enabled",
                severity: None,
                level: "error",
            },
            Rule {
                id: "CKV_AWS_19",
                text: "Ensure all data stored in the S3 bucket is securely encrypted at rest",
                severity: None,
                level: "error",
            },
            Rule {
                id: "CKV_AWS_20",
                text: "S3 Bucket has an ACL defined which allows public READ access",
                severity: Some("9.0"),
                level: "error",
            },
            Rule {
                id: "CKV_AWS_23",
                text: "Ensure every security group and rule has a description",
                severity: None,
                level: "note",
            },
            Rule {
                id: "CKV_AWS_79",
                text: "Ensure Instance Metadata Service Version 1 is not enabled",
                severity: Some("7.1"),
                level: "warning",
            },
            Rule {
                id: "CKV_K8S_8",
                text: "Liveness Probe Should be Configured",
                severity: None,
                level: "none",
            },
            Rule {
                id: "CKV_K8S_20",
                text: "Containers should not run with allowPrivilegeEscalation",
                severity: Some("7.7"),
                level: "error",
            },
        ],
    },
];

const SOURCE_FILES: &[&str] = &[
    "src/api/handlers/accounts.ts",
    "src/api/handlers/payments.ts",
    "src/db/queries.py",
    "app/models/user.rb",
    "internal/auth/token.go",
    "internal/ledger/posting.go",
    "cmd/server/main.go",
    "web/src/components/Search.tsx",
    "services/billing/invoice.py",
    "infra/terraform/s3.tf",
    "infra/terraform/network.tf",
    "deploy/k8s/api-deployment.yaml",
    "src/main/java/com/northwind/ledger/TransferService.java",
    "Dockerfile",
    ".github/workflows/release.yml",
    "lib/crypto/hash.js",
];

fn sarif(rng: &mut ChaCha8Rng, target: usize, rel: &str) -> String {
    let tool_ix = if rel.contains("/codeql-") {
        0
    } else if rel.contains("/semgrep-") {
        1
    } else if rel.contains("/gosec-") {
        2
    } else {
        3
    };
    let tool = &SARIF_TOOLS[tool_ix];
    let mut s = String::with_capacity(target + 4096);
    s.push_str("{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n      \"tool\": {\n        \"driver\": {\n");
    w!(s, "          \"name\": {},\n          \"fullName\": {},\n          \"semanticVersion\": \"{}\",\n          \"informationUri\": \"{}\",\n          \"rules\": [\n", js(tool.name), js(tool.full), tool.version, tool.uri);
    for (i, r) in tool.rules.iter().enumerate() {
        w!(s, "            {{\n              \"id\": {},\n              \"name\": {},\n              \"shortDescription\": {{ \"text\": {} }},\n              \"fullDescription\": {{ \"text\": {} }},\n              \"defaultConfiguration\": {{ \"level\": \"{}\" }},\n              \"properties\": {{\n                \"tags\": [\"security\"],\n                \"precision\": \"high\"",
            js(r.id), js(r.id), js(r.text), js(&format!("{}.", r.text)), r.level);
        if let Some(sev) = r.severity {
            w!(s, ",\n                \"security-severity\": \"{sev}\"");
        }
        s.push_str("\n              }\n            }");
        s.push_str(if i + 1 < tool.rules.len() {
            ",\n"
        } else {
            "\n"
        });
    }
    s.push_str("          ]\n        }\n      },\n      \"results\": [");
    let mut first = true;
    while s.len() < target {
        let ri = rng.gen_range(0..tool.rules.len());
        let r = &tool.rules[ri];
        s.push_str(if first { "\n" } else { ",\n" });
        first = false;
        let file = *pick(rng, SOURCE_FILES);
        let line = rng.gen_range(1..900);
        w!(
            s,
            "        {{\n          \"ruleId\": {},\n          \"ruleIndex\": {ri},\n",
            js(r.id)
        );
        if rng.gen_bool(0.5) {
            let level = *pick(rng, &["error", "warning", "note", r.level]);
            w!(s, "          \"level\": \"{level}\",\n");
        }
        w!(
            s,
            "          \"message\": {{ \"text\": {} }},\n",
            js(&format!("{} in {file}.", r.text))
        );
        w!(s, "          \"locations\": [\n            {{\n              \"physicalLocation\": {{\n                \"artifactLocation\": {{ \"uri\": {}, \"uriBaseId\": \"%SRCROOT%\" }},\n                \"region\": {{ \"startLine\": {line}, \"startColumn\": {}, \"endColumn\": {} }}\n              }}\n            }}\n          ],\n", js(file), rng.gen_range(1..20), rng.gen_range(20..90));
        if rng.gen_bool(0.05) {
            s.push_str("          \"suppressions\": [ { \"kind\": \"inSource\", \"justification\": \"False positive: input is validated upstream\" } ],\n");
        }
        w!(s, "          \"partialFingerprints\": {{ \"primaryLocationLineHash\": \"{}:1\" }}\n        }}", hex(rng, 16));
    }
    s.push_str(if first { "]\n" } else { "\n      ]\n" });
    s.push_str("    }\n  ]\n}\n");
    s
}

struct Pkg {
    name: &'static str,
    version: &'static str,
    fixed: &'static str,
}

const OS_PKGS: &[Pkg] = &[
    Pkg {
        name: "libcrypto3",
        version: "3.1.4-r1",
        fixed: "3.1.4-r5",
    },
    Pkg {
        name: "libssl3",
        version: "3.1.4-r1",
        fixed: "3.1.4-r5",
    },
    Pkg {
        name: "musl",
        version: "1.2.4-r1",
        fixed: "1.2.4-r2",
    },
    Pkg {
        name: "busybox",
        version: "1.36.1-r5",
        fixed: "1.36.1-r7",
    },
    Pkg {
        name: "zlib",
        version: "1.2.13-r1",
        fixed: "1.3.1-r0",
    },
    Pkg {
        name: "curl",
        version: "8.4.0-r0",
        fixed: "8.5.0-r0",
    },
    Pkg {
        name: "libexpat",
        version: "2.5.0-r1",
        fixed: "2.6.0-r0",
    },
    Pkg {
        name: "ncurses-libs",
        version: "6.4_p20230506-r0",
        fixed: "",
    },
    Pkg {
        name: "libc6",
        version: "2.36-9+deb12u3",
        fixed: "2.36-9+deb12u4",
    },
    Pkg {
        name: "libgnutls30",
        version: "3.7.9-2",
        fixed: "3.7.9-2+deb12u2",
    },
];
const LANG_PKGS: &[Pkg] = &[
    Pkg {
        name: "golang.org/x/net",
        version: "v0.17.0",
        fixed: "0.23.0",
    },
    Pkg {
        name: "google.golang.org/grpc",
        version: "v1.58.2",
        fixed: "1.58.3",
    },
    Pkg {
        name: "github.com/golang-jwt/jwt/v4",
        version: "v4.4.2",
        fixed: "4.5.1",
    },
    Pkg {
        name: "lodash",
        version: "4.17.15",
        fixed: "4.17.21",
    },
    Pkg {
        name: "axios",
        version: "0.21.1",
        fixed: "0.21.2",
    },
    Pkg {
        name: "jsonwebtoken",
        version: "8.5.1",
        fixed: "9.0.0",
    },
    Pkg {
        name: "requests",
        version: "2.25.1",
        fixed: "2.31.0",
    },
    Pkg {
        name: "urllib3",
        version: "1.26.4",
        fixed: "1.26.18",
    },
    Pkg {
        name: "Django",
        version: "3.2.4",
        fixed: "3.2.24",
    },
    Pkg {
        name: "org.apache.logging.log4j:log4j-core",
        version: "2.14.1",
        fixed: "2.17.1",
    },
];
const VULN_TITLES: &[&str] = &[
    "denial of service via crafted input",
    "heap buffer overflow in the parser",
    "improper certificate validation",
    "HTTP/2 rapid reset can cause excessive work",
    "excessive resource consumption when decompressing data",
    "remote code execution via message lookup substitution",
    "prototype pollution in merge functions",
    "information disclosure through timing side channel",
    "server-side request forgery via crafted URL",
    "use-after-free when handling malformed records",
];

fn severity(rng: &mut ChaCha8Rng) -> &'static str {
    match rng.gen_range(0..100) {
        0..=4 => "CRITICAL",
        5..=24 => "HIGH",
        25..=64 => "MEDIUM",
        65..=94 => "LOW",
        _ => "UNKNOWN",
    }
}

fn cve(rng: &mut ChaCha8Rng) -> String {
    format!(
        "CVE-{}-{}",
        rng.gen_range(2019..=2026),
        rng.gen_range(1000..52000)
    )
}

fn trivy(rng: &mut ChaCha8Rng, target: usize, date: NaiveDate, secs: u32) -> String {
    let image = *pick(rng, IMAGES);
    let tag = format!("1.{}.{}", rng.gen_range(0..40), rng.gen_range(0..10));
    let mut s = String::with_capacity(target + 4096);
    let artifact = format!("ghcr.io/northwind/{image}:{tag}");
    w!(s, "{{\n  \"SchemaVersion\": 2,\n  \"Trivy\": {{\n    \"Version\": \"0.50.1\"\n  }},\n  \"CreatedAt\": \"{}\",\n  \"ArtifactName\": {},\n  \"ArtifactType\": \"container_image\",\n",
        timestamp(date, secs, rng.gen_range(0..10_000_000)), js(&artifact));
    w!(s, "  \"Metadata\": {{\n    \"OS\": {{\n      \"Family\": \"alpine\",\n      \"Name\": \"3.19.1\"\n    }},\n    \"ImageID\": \"sha256:{}\",\n    \"RepoTags\": [\n      {}\n    ]\n  }},\n  \"Results\": [\n", hex(rng, 64), js(&artifact));
    let mut result = 0;
    let mut results_open = false;
    let mut first_vuln = true;
    while s.len() < target || result == 0 {
        if !results_open || (rng.gen_bool(0.02) && result < 4) {
            if results_open {
                s.push_str("\n      ]\n    },\n");
            }
            let (tgt, class, ty) = if result == 0 {
                (format!("{artifact} (alpine 3.19.1)"), "os-pkgs", "alpine")
            } else {
                (
                    pick(
                        rng,
                        &[
                            "app/go.mod",
                            "app/package-lock.json",
                            "app/requirements.txt",
                            "app/pom.xml",
                        ],
                    )
                    .to_string(),
                    "lang-pkgs",
                    "gomod",
                )
            };
            w!(s, "    {{\n      \"Target\": {},\n      \"Class\": \"{class}\",\n      \"Type\": \"{ty}\",\n      \"Vulnerabilities\": [", js(&tgt));
            results_open = true;
            first_vuln = true;
            result += 1;
        }
        let pkgs = if result == 1 { OS_PKGS } else { LANG_PKGS };
        let pkg = pick(rng, pkgs);
        let id = cve(rng);
        let sev = severity(rng);
        s.push_str(if first_vuln { "\n" } else { ",\n" });
        first_vuln = false;
        w!(s, "        {{\n          \"VulnerabilityID\": \"{id}\",\n          \"PkgID\": \"{}@{}\",\n          \"PkgName\": {},\n          \"InstalledVersion\": \"{}\",\n", pkg.name, pkg.version, js(pkg.name), pkg.version);
        if pkg.fixed.is_empty() {
            s.push_str("          \"Status\": \"affected\",\n");
        } else {
            w!(
                s,
                "          \"FixedVersion\": \"{}\",\n          \"Status\": \"fixed\",\n",
                pkg.fixed
            );
        }
        w!(s, "          \"SeveritySource\": \"nvd\",\n          \"PrimaryURL\": \"https://avd.aquasec.com/nvd/{}\",\n          \"Title\": {},\n          \"Description\": {},\n          \"Severity\": \"{sev}\",\n          \"CweIDs\": [\n            \"CWE-{}\"\n          ],\n          \"References\": [\n            \"https://nvd.nist.gov/vuln/detail/{id}\"\n          ]\n        }}",
            id.to_lowercase(), js(&format!("{}: {}", pkg.name, pick(rng, VULN_TITLES))), js(&format!("A flaw was found in {}. {} An attacker could exploit this to affect the confidentiality or availability of the service.", pkg.name, pick(rng, VULN_TITLES))), rng.gen_range(20..1000));
    }
    s.push_str("\n      ]\n    }\n  ]\n}\n");
    s
}

fn grype(rng: &mut ChaCha8Rng, target: usize, date: NaiveDate, secs: u32) -> String {
    let image = *pick(rng, IMAGES);
    let mut s = String::with_capacity(target + 4096);
    s.push_str("{\n \"matches\": [");
    let mut first = true;
    while s.len() < target {
        let (pkg, ty, lang) = if rng.gen_bool(0.5) {
            (pick(rng, OS_PKGS), "apk", "")
        } else {
            (
                pick(rng, LANG_PKGS),
                *pick(rng, &["go-module", "npm", "python", "java-archive"]),
                "go",
            )
        };
        let id = cve(rng);
        let sev = *pick(
            rng,
            &[
                "Critical",
                "High",
                "High",
                "Medium",
                "Medium",
                "Medium",
                "Low",
                "Low",
                "Negligible",
                "Unknown",
            ],
        );
        s.push_str(if first { "\n" } else { ",\n" });
        first = false;
        let state = if pkg.fixed.is_empty() {
            "not-fixed"
        } else {
            "fixed"
        };
        let fixv = if pkg.fixed.is_empty() {
            String::new()
        } else {
            format!("\n     \"{}\"\n    ", pkg.fixed)
        };
        w!(s, "  {{\n   \"vulnerability\": {{\n    \"id\": \"{id}\",\n    \"dataSource\": \"https://nvd.nist.gov/vuln/detail/{id}\",\n    \"namespace\": \"nvd:cpe\",\n    \"severity\": \"{sev}\",\n    \"urls\": [\n     \"https://nvd.nist.gov/vuln/detail/{id}\"\n    ],\n    \"description\": {},\n    \"cvss\": [\n     {{\n      \"source\": \"nvd\",\n      \"type\": \"Primary\",\n      \"version\": \"3.1\",\n      \"vector\": \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\",\n      \"metrics\": {{\n       \"baseScore\": {}.{}\n      }}\n     }}\n    ],\n    \"fix\": {{\n     \"versions\": [{fixv}],\n     \"state\": \"{state}\"\n    }},\n    \"advisories\": []\n   }},\n",
            js(&format!("{}: {}", pkg.name, pick(rng, VULN_TITLES))), rng.gen_range(1..10), rng.gen_range(0..10));
        w!(s, "   \"relatedVulnerabilities\": [],\n   \"matchDetails\": [\n    {{\n     \"type\": \"exact-direct-match\",\n     \"matcher\": \"{ty}-matcher\",\n     \"searchedBy\": {{\n      \"language\": \"{lang}\",\n      \"namespace\": \"nvd:cpe\"\n     }},\n     \"found\": {{\n      \"vulnerabilityID\": \"{id}\",\n      \"versionConstraint\": \"< {}\"\n     }}\n    }}\n   ],\n",
            if pkg.fixed.is_empty() { "9999" } else { pkg.fixed });
        w!(s, "   \"artifact\": {{\n    \"id\": \"{}\",\n    \"name\": {},\n    \"version\": \"{}\",\n    \"type\": \"{ty}\",\n    \"locations\": [\n     {{\n      \"path\": \"/lib/apk/db/installed\",\n      \"layerID\": \"sha256:{}\"\n     }}\n    ],\n    \"language\": \"{lang}\",\n    \"licenses\": [],\n    \"cpes\": [],\n    \"purl\": \"pkg:{ty}/{}@{}\"\n   }}\n  }}",
            hex(rng, 16), js(pkg.name), pkg.version, hex(rng, 64), pkg.name, pkg.version);
    }
    s.push_str(if first { "],\n" } else { "\n ],\n" });
    w!(s, " \"source\": {{\n  \"type\": \"image\",\n  \"target\": {{\n   \"userInput\": \"ghcr.io/northwind/{image}:latest\",\n   \"imageID\": \"sha256:{}\",\n   \"manifestDigest\": \"sha256:{}\",\n   \"mediaType\": \"application/vnd.docker.distribution.manifest.v2+json\",\n   \"tags\": [\n    \"ghcr.io/northwind/{image}:latest\"\n   ],\n   \"imageSize\": {}\n  }}\n }},\n",
        hex(rng, 64), hex(rng, 64), rng.gen_range(5_000_000..400_000_000u64));
    w!(s, " \"distro\": {{\n  \"name\": \"alpine\",\n  \"version\": \"3.19.1\",\n  \"idLike\": []\n }},\n \"descriptor\": {{\n  \"name\": \"grype\",\n  \"version\": \"0.74.7\",\n  \"timestamp\": \"{}\"\n }}\n}}\n",
        timestamp(date, secs, 0).replace(".0000000Z", "Z"));
    s
}

const GITLEAKS_RULES: &[(&str, &str)] = &[
    ("aws-access-token", "Identified a pattern that may indicate AWS credentials, risking unauthorized cloud resource access and data breaches on AWS platforms."),
    ("github-pat", "Uncovered a GitHub Personal Access Token, potentially leading to unauthorized repository access and sensitive content exposure."),
    ("generic-api-key", "Detected a Generic API Key, potentially exposing access to various services and sensitive operations."),
    ("private-key", "Identified a Private Key, which may compromise cryptographic security and sensitive data encryption."),
    ("slack-webhook-url", "Discovered a Slack Webhook, which could lead to unauthorized message posting and data leakage in Slack channels."),
    ("stripe-access-token", "Found a Stripe Access Token, posing a risk to payment processing services and sensitive financial data."),
];

fn gitleaks(rng: &mut ChaCha8Rng, target: usize, date: NaiveDate) -> String {
    let mut s = String::with_capacity(target + 2048);
    s.push_str("[\n");
    let mut first = true;
    while s.len() < target || first {
        let (rule, desc) = *pick(rng, GITLEAKS_RULES);
        let file = *pick(rng, SOURCE_FILES);
        let secret = if rng.gen_bool(0.7) {
            "REDACTED".to_string()
        } else {
            fake_secret(rng)
        };
        let line = rng.gen_range(1..400);
        let commit = hex(rng, 40);
        let author = *pick(rng, PEOPLE);
        let email = format!(
            "{}@northwind.example",
            author.to_lowercase().replace([' ', '\''], ".")
        );
        if !first {
            s.push_str(",\n");
        }
        first = false;
        w!(s, " {{\n  \"RuleID\": \"{rule}\",\n  \"Description\": {},\n  \"StartLine\": {line},\n  \"EndLine\": {line},\n  \"StartColumn\": {},\n  \"EndColumn\": {},\n  \"Match\": {},\n  \"Secret\": {},\n  \"File\": {},\n  \"SymlinkFile\": \"\",\n  \"Commit\": \"{commit}\",\n  \"Entropy\": {}.{},\n  \"Author\": {},\n  \"Email\": {},\n  \"Date\": \"{date}T{:02}:{:02}:{:02}Z\",\n  \"Message\": {},\n  \"Tags\": [],\n  \"Fingerprint\": {}\n }}",
            js(desc), rng.gen_range(1..30), rng.gen_range(30..120), js(&format!("token = \"{secret}\"")), js(&secret), js(file),
            rng.gen_range(3..6), rng.gen_range(0..1000), js(author), js(&email),
            rng.gen_range(0..24), rng.gen_range(0..60), rng.gen_range(0..60),
            js(one(rng, &["Add integration config", "fix: retry on timeout", "chore: bump deps", "WIP", "Update deploy script"])),
            js(&format!("{commit}:{file}:{rule}:{line}")));
    }
    s.push_str("\n]\n");
    s
}

const KB_SECTIONS: &[(&str, &str, &str)] = &[
    ("1", "master", "Control Plane Security Configuration"),
    ("2", "etcd", "Etcd Node Configuration"),
    ("3", "controlplane", "Control Plane Configuration"),
    ("4", "node", "Worker Node Security Configuration"),
    ("5", "policies", "Kubernetes Policies"),
];
const KB_TESTS: &[&str] = &[
    "Ensure that the API server pod specification file permissions are set to 600 or more restrictive (Automated)",
    "Ensure that the --anonymous-auth argument is set to false (Manual)",
    "Ensure that the --profiling argument is set to false (Automated)",
    "Ensure that the --audit-log-path argument is set (Automated)",
    "Ensure that the --audit-log-maxage argument is set to 30 or as appropriate (Automated)",
    "Ensure that the --cert-file and --key-file arguments are set as appropriate (Automated)",
    "Ensure that the --client-cert-auth argument is set to true (Automated)",
    "Ensure that the kubelet service file permissions are set to 600 or more restrictive (Automated)",
    "Ensure that the --read-only-port argument is set to 0 (Manual)",
    "Ensure that the --rotate-certificates argument is not set to false (Automated)",
    "Ensure that the cluster-admin role is only used where required (Manual)",
    "Minimize access to secrets (Manual)",
    "Minimize the admission of privileged containers (Manual)",
    "Minimize the admission of root containers (Manual)",
    "Ensure that all Namespaces have Network Policies defined (Manual)",
    "Prefer using secrets as files over secrets as environment variables (Manual)",
];

fn kube_bench(rng: &mut ChaCha8Rng, target: usize) -> String {
    let mut s = String::with_capacity(target + 4096);
    s.push_str("{\n  \"Controls\": [");
    let mut tot = [0u32; 4];
    let mut ci = 0;
    while s.len() < target || ci == 0 {
        let (id, node, text) = KB_SECTIONS[ci % KB_SECTIONS.len()];
        let round = ci / KB_SECTIONS.len();
        ci += 1;
        if ci > 1 {
            s.push(',');
        }
        w!(s, "\n    {{\n      \"id\": \"{id}\",\n      \"version\": \"cis-1.8\",\n      \"detected_version\": \"1.28\",\n      \"text\": {},\n      \"node_type\": \"{node}\",\n      \"tests\": [", js(&if round == 0 { text.to_string() } else { format!("{text} (node {})", round + 1) }));
        let mut ctot = [0u32; 4];
        let sections = rng.gen_range(1..=4);
        for sec in 1..=sections {
            let mut counts = [0u32; 4];
            let mut body = String::new();
            let n = rng.gen_range(3..=16);
            for t in 1..=n {
                let st = match rng.gen_range(0..100) {
                    0..=64 => 0,
                    65..=79 => 1,
                    80..=94 => 2,
                    _ => 3,
                };
                counts[st] += 1;
                let status = ["PASS", "FAIL", "WARN", "INFO"][st];
                if t > 1 {
                    body.push(',');
                }
                w!(body, "\n            {{\n              \"test_number\": \"{id}.{sec}.{t}\",\n              \"test_desc\": {},\n              \"audit\": \"/bin/ps -ef | grep kube-apiserver | grep -v grep\",\n              \"AuditEnv\": \"\",\n              \"AuditConfig\": \"\",\n              \"type\": \"{}\",\n              \"remediation\": \"Edit the API server pod specification file /etc/kubernetes/manifests/kube-apiserver.yaml on the control plane node and set the parameter as recommended.\",\n              \"test_info\": [\n                \"Edit the configuration file and restart the component.\"\n              ],\n              \"status\": \"{status}\",\n              \"actual_value\": \"{}\",\n              \"scored\": {},\n              \"IsMultiple\": false,\n              \"expected_result\": \"'--profiling' is equal to 'false'\"\n            }}",
                    js(one(rng, KB_TESTS)), if st == 2 { "manual" } else { "" }, if st == 0 { "--profiling=false" } else { "" }, st < 2);
            }
            for k in 0..4 {
                ctot[k] += counts[k];
            }
            if sec > 1 {
                s.push(',');
            }
            w!(s, "\n        {{\n          \"section\": \"{id}.{sec}\",\n          \"type\": \"\",\n          \"pass\": {},\n          \"fail\": {},\n          \"warn\": {},\n          \"info\": {},\n          \"desc\": {},\n          \"results\": [{body}\n          ]\n        }}",
                counts[0], counts[1], counts[2], counts[3], js(&format!("{text} section {sec}")));
        }
        w!(s, "\n      ],\n      \"total_pass\": {},\n      \"total_fail\": {},\n      \"total_warn\": {},\n      \"total_info\": {}\n    }}", ctot[0], ctot[1], ctot[2], ctot[3]);
        for k in 0..4 {
            tot[k] += ctot[k];
        }
    }
    w!(s, "\n  ],\n  \"Totals\": {{\n    \"total_pass\": {},\n    \"total_fail\": {},\n    \"total_warn\": {},\n    \"total_info\": {}\n  }}\n}}\n", tot[0], tot[1], tot[2], tot[3]);
    s
}

const TEST_NAMES: &[&str] = &[
    "creates_account",
    "rejects_invalid_iban",
    "posts_balanced_entries",
    "refuses_overdraft",
    "rounds_half_even",
    "expires_session",
    "rotates_refresh_token",
    "paginates_results",
    "handles_timeout",
    "retries_on_conflict",
    "serializes_ledger_entry",
    "validates_signature",
    "rate_limits_login",
    "masks_card_number",
    "computes_interest",
    "reconciles_statement",
    "imports_csv",
    "migrates_schema",
    "caches_exchange_rates",
    "sends_webhook",
];

struct Case {
    name: String,
    class: String,
    time: f64,
    outcome: u8, // 0 pass, 1 failure, 2 error, 3 skipped
}

fn junit(rng: &mut ChaCha8Rng, target: usize, rel: &str, date: NaiveDate, secs: u32) -> String {
    let style = if rel.contains("/surefire/") {
        0
    } else if rel.contains("/pytest/") {
        1
    } else {
        2
    };
    // Generate cases until the rendered size would reach the target.
    let mut cases = Vec::new();
    let mut size = 600usize;
    while size < target || cases.is_empty() {
        let outcome = match rng.gen_range(0..100) {
            0..=86 => 0,
            87..=92 => 1,
            93..=94 => 2,
            _ => 3,
        };
        let name = format!("{}_{}", pick(rng, TEST_NAMES), rng.gen_range(0..100));
        let class = match style {
            0 => format!(
                "com.northwind.{}.{}Test",
                pick(rng, &["ledger", "auth", "billing", "api"]),
                pick(
                    rng,
                    &["Account", "Transfer", "Token", "Invoice", "Statement"]
                )
            ),
            1 => format!(
                "tests.test_{}",
                pick(rng, &["accounts", "payments", "auth", "reports", "etl"])
            ),
            _ => format!(
                "github.com/northwind/{}/internal/{}",
                pick(rng, REPOS),
                pick(rng, &["ledger", "auth", "store", "api", "queue"])
            ),
        };
        size += 120 + name.len() + class.len() + if outcome == 1 || outcome == 2 { 700 } else { 0 };
        cases.push(Case {
            name,
            class,
            time: rng.gen_range(0.0..2.5),
            outcome,
        });
    }
    let n = cases.len();
    let count = |o: u8| cases.iter().filter(|c| c.outcome == o).count();
    let (failures, errors, skipped) = (count(1), count(2), count(3));
    let total_time: f64 = cases.iter().map(|c| c.time).sum();
    let ts = format!(
        "{date}T{:02}:{:02}:{:02}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    );
    let mut s = String::with_capacity(size + 1024);
    match style {
        0 => {
            w!(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:noNamespaceSchemaLocation=\"https://maven.apache.org/surefire/maven-surefire-plugin/xsd/surefire-test-report-3.0.xsd\" version=\"3.0\" name=\"{}\" time=\"{total_time:.3}\" tests=\"{n}\" errors=\"{errors}\" skipped=\"{skipped}\" failures=\"{failures}\">\n  <properties>\n    <property name=\"java.version\" value=\"21.0.2\"/>\n    <property name=\"os.name\" value=\"Linux\"/>\n    <property name=\"user.timezone\" value=\"UTC\"/>\n  </properties>\n", xml(&cases[0].class));
            for c in &cases {
                let open = format!(
                    "  <testcase name=\"{}\" classname=\"{}\" time=\"{:.3}\"",
                    xml(&c.name),
                    xml(&c.class),
                    c.time
                );
                match c.outcome {
                    0 => w!(s, "{open}/>\n"),
                    1 => w!(s, "{open}>\n    <failure message=\"{}\" type=\"org.opentest4j.AssertionFailedError\"><![CDATA[org.opentest4j.AssertionFailedError: expected: <{}> but was: <{}>\n\tat org.junit.jupiter.api.AssertionUtils.fail(AssertionUtils.java:55)\n\tat org.junit.jupiter.api.AssertEquals.failNotEqual(AssertEquals.java:197)\n\tat {}.{}({}.java:{})\n]]></failure>\n  </testcase>\n",
                        xml(&format!("expected: <{}> but was: <{}>", 100, 99)), 100, 99, c.class, c.name, c.class.rsplit('.').next().unwrap_or("Test"), rng.gen_range(20..400)),
                    2 => w!(s, "{open}>\n    <error message=\"Connection refused\" type=\"java.net.ConnectException\"><![CDATA[java.net.ConnectException: Connection refused\n\tat java.base/sun.nio.ch.Net.pollConnect(Native Method)\n\tat {}.{}({}.java:{})\n]]></error>\n  </testcase>\n",
                        c.class, c.name, c.class.rsplit('.').next().unwrap_or("Test"), rng.gen_range(20..400)),
                    _ => w!(s, "{open}>\n    <skipped message=\"Disabled until the sandbox is available\"/>\n  </testcase>\n"),
                }
            }
            s.push_str("</testsuite>\n");
        }
        1 => {
            w!(s, "<?xml version=\"1.0\" encoding=\"utf-8\"?><testsuites><testsuite name=\"pytest\" errors=\"{errors}\" failures=\"{failures}\" skipped=\"{skipped}\" tests=\"{n}\" time=\"{total_time:.3}\" timestamp=\"{ts}.{:06}\" hostname=\"runner-{}\">", rng.gen_range(0..1_000_000), hex(rng, 8));
            for c in &cases {
                w!(
                    s,
                    "<testcase classname=\"{}\" name=\"test_{}\" time=\"{:.3}\"",
                    xml(&c.class),
                    xml(&c.name),
                    c.time
                );
                match c.outcome {
                    0 => s.push_str(" />"),
                    1 => w!(s, "><failure message=\"AssertionError: assert 99 == 100\">def test_{}():\n        result = compute()\n&gt;       assert result == 100\nE       AssertionError: assert 99 == 100\n\n{}.py:{}: AssertionError</failure></testcase>",
                        xml(&c.name), c.class.replace('.', "/"), rng.gen_range(10..300)),
                    2 => w!(s, "><error message=\"failed on setup with &quot;ConnectionError: database unavailable&quot;\">@pytest.fixture\n    def db():\n&gt;       return connect(DSN)\nE       ConnectionError: database unavailable\n\ntests/conftest.py:{}: ConnectionError</error></testcase>", rng.gen_range(5..60)),
                    _ => s.push_str("><skipped type=\"pytest.skip\" message=\"requires the staging sandbox\">tests/conftest.py:41: requires the staging sandbox</skipped></testcase>"),
                }
            }
            s.push_str("</testsuite></testsuites>\n");
        }
        _ => {
            w!(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites tests=\"{n}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">\n\t<testsuite name=\"{}\" tests=\"{n}\" failures=\"{failures}\" errors=\"{errors}\" id=\"0\" hostname=\"runner\" skipped=\"{skipped}\" time=\"{total_time:.3}\" timestamp=\"{ts}Z\">\n\t\t<properties>\n\t\t\t<property name=\"go.version\" value=\"go1.22.1 linux/amd64\"></property>\n\t\t</properties>\n", xml(&cases[0].class));
            for c in &cases {
                let go_name: String = c
                    .name
                    .split('_')
                    .map(|p| {
                        let mut ch = p.chars();
                        ch.next()
                            .map(|f| f.to_uppercase().chain(ch).collect::<String>())
                            .unwrap_or_default()
                    })
                    .collect();
                w!(
                    s,
                    "\t\t<testcase name=\"Test{}\" classname=\"{}\" time=\"{:.3}\">",
                    xml(&go_name),
                    xml(&c.class),
                    c.time
                );
                match c.outcome {
                    0 => {}
                    1 => w!(s, "\n\t\t\t<failure message=\"Failed\"><![CDATA[    {}_test.go:{}: got 99, want 100]]></failure>\n\t\t", go_name.to_lowercase(), rng.gen_range(10..300)),
                    2 => s.push_str("\n\t\t\t<error message=\"Runtime error\"><![CDATA[panic: runtime error: invalid memory address or nil pointer dereference [recovered]]]></error>\n\t\t"),
                    _ => s.push_str("\n\t\t\t<skipped message=\"Skipped\"><![CDATA[    short mode: skipping integration test]]></skipped>\n\t\t"),
                }
                s.push_str("</testcase>\n");
            }
            s.push_str("\t</testsuite>\n</testsuites>\n");
        }
    }
    s
}

fn drill(rng: &mut ChaCha8Rng, date: NaiveDate) -> String {
    let (scenario, kind) = *pick(
        rng,
        &[
            ("Primary region loss (eu-west-1)", "failover"),
            ("Primary database restore from backup", "restore"),
            ("Ransomware tabletop exercise", "tabletop"),
            ("DNS provider outage", "failover"),
            ("Loss of the object storage bucket", "restore"),
            ("Kubernetes control plane failure", "failover"),
        ],
    );
    let rto_t = *pick(rng, &[30, 60, 120, 240]);
    let rpo_t = *pick(rng, &[5, 15, 30, 60]);
    let rto_a = (rto_t as f64 * rng.gen_range(0.3..1.4)) as u32;
    let rpo_a = (rpo_t as f64 * rng.gen_range(0.1..1.3)) as u32;
    let passed = rto_a <= rto_t && rpo_a <= rpo_t;
    let mut people: Vec<&str> = PEOPLE.to_vec();
    people.shuffle(rng);
    let participants = &people[..rng.gen_range(2..6)];
    let mut s = String::with_capacity(2500);
    s.push_str("---\nkind: drill\n");
    w!(
        s,
        "title: {}\n",
        yaml_str(&format!("{kind} drill: {scenario}"))
    );
    w!(s, "scenario: {}\n", yaml_str(scenario));
    w!(s, "date: {date}\n");
    w!(s, "rto_target_min: {rto_t}\nrto_actual_min: {rto_a}\nrpo_target_min: {rpo_t}\nrpo_actual_min: {rpo_a}\n");
    let names: Vec<String> = participants.iter().map(|p| yaml_str(p)).collect();
    w!(s, "participants: [{}]\n", names.join(", "));
    if rng.gen_bool(0.8) {
        w!(s, "outcome: {}\n", if passed { "passed" } else { "failed" });
    }
    s.push_str("---\n\n");
    w!(
        s,
        "# {scenario}\n\n## Summary\n\nThe {kind} drill was run on {date} by {}. ",
        participants.join(", ")
    );
    w!(s, "Service was restored after {rto_a} minutes against a target of {rto_t} minutes, with {rpo_a} minutes of data loss against a target of {rpo_t} minutes. ");
    s.push_str(if passed {
        "Both objectives were met.\n\n"
    } else {
        "The drill did not meet its objectives; follow-up actions are tracked below.\n\n"
    });
    s.push_str("## Timeline (UTC)\n\n");
    let mut minute = rng.gen_range(0..60);
    let start_h = rng.gen_range(8..15);
    for step in [
        "Drill declared in the incident channel",
        "Traffic drained from the primary region",
        "Database replica promoted",
        "Application pods scaled up in the secondary region",
        "Smoke tests passed",
        "Drill closed, traffic restored",
    ] {
        w!(
            s,
            "- {:02}:{:02} {step}\n",
            start_h + minute / 60,
            minute % 60
        );
        minute += rng.gen_range(2..(rto_a.max(12) / 3).max(3));
    }
    s.push_str("\n## Findings\n\n");
    for f in [
        "The runbook referred to a dashboard that has been renamed.",
        "Replica lag alarms fired as expected.",
        "One engineer lacked the break-glass role and had to request it during the drill.",
        "DNS TTLs were longer than documented and delayed the cut-over.",
    ]
    .iter()
    .filter(|_| rng.gen_bool(0.6))
    {
        w!(s, "- {f}\n");
    }
    s.push_str("\n## Follow-up actions\n\n| Action | Owner | Due |\n|---|---|---|\n");
    for _ in 0..rng.gen_range(1..4) {
        w!(
            s,
            "| {} | {} | {} |\n",
            pick(
                rng,
                &[
                    "Update the runbook",
                    "Lower DNS TTLs to 60s",
                    "Automate replica promotion",
                    "Add the break-glass role to the on-call group"
                ]
            ),
            pick(rng, PEOPLE),
            date + chrono::Days::new(rng.gen_range(14..60))
        );
    }
    s
}

fn person_email(p: &str) -> String {
    format!(
        "{}@northwind.example",
        p.to_lowercase().replace([' ', '\''], ".")
    )
}

fn access_review(rng: &mut ChaCha8Rng, target: usize, rel: &str, date: NaiveDate) -> String {
    let system = SYSTEMS
        .iter()
        .find(|s| rel.contains(&format!("/{s}-")))
        .copied()
        .unwrap_or("aws-prod");
    let reviewer = *pick(rng, PEOPLE);
    let mut s = String::with_capacity(target + 128);
    s.push_str("system,account,reviewer,decision,date\n");
    let mut i = 0;
    while s.len() < target || i == 0 {
        i += 1;
        let account = if rng.gen_bool(0.15) {
            format!(
                "svc-{}-{}",
                pick(rng, &["deploy", "backup", "etl", "monitoring", "ci"]),
                rng.gen_range(1..40)
            )
        } else {
            let p = *pick(rng, PEOPLE);
            let e = person_email(p);
            if rng.gen_bool(0.5) {
                e
            } else {
                e.replace('@', &format!("{i}@"))
            }
        };
        let decision = match rng.gen_range(0..100) {
            0..=84 => "keep",
            85..=94 => "revoke",
            _ => "modify",
        };
        let d = date + chrono::Days::new(rng.gen_range(0..5));
        w!(
            s,
            "{system},{account},{},{decision},{d}\n",
            person_email(reviewer)
        );
    }
    s
}

fn acknowledgements(
    rng: &mut ChaCha8Rng,
    target: usize,
    policies: &[PolicyPlan],
    date: NaiveDate,
) -> String {
    let mut s = String::with_capacity(target + 128);
    s.push_str("person,policy,policy_version,date\n");
    let mut i = 0;
    while s.len() < target || i == 0 {
        i += 1;
        let person =
            person_email(one(rng, PEOPLE)).replace('@', &format!("{}@", rng.gen_range(0..200)));
        let (policy, version) = if policies.is_empty() {
            ("isms/information-security".to_string(), "1.0".to_string())
        } else {
            let p = pick(rng, policies);
            (p.id.clone(), p.version.clone())
        };
        let d = date + chrono::Days::new(rng.gen_range(0..10));
        w!(s, "{person},{policy},{version},{d}\n");
    }
    s
}

fn metrics(rng: &mut ChaCha8Rng, target: usize, date: NaiveDate) -> String {
    let mut s = String::with_capacity(target + 128);
    s.push_str("date,metric,value,target\n");
    let set: &[(&str, f64, f64, f64)] = &[
        ("uptime_percent", 99.5, 100.0, 99.9),
        ("p95_latency_ms", 80.0, 400.0, 250.0),
        ("mttr_minutes", 5.0, 180.0, 60.0),
        ("backup_success_rate", 0.97, 1.0, 0.99),
        ("patch_compliance_percent", 85.0, 100.0, 95.0),
        ("open_critical_vulns", 0.0, 6.0, 0.0),
        ("phishing_click_rate", 0.0, 0.12, 0.05),
        ("training_completion_percent", 70.0, 100.0, 95.0),
    ];
    let mut d = (date - chrono::Days::new(30)).max(day(YEAR, 0));
    while s.len() < target {
        for &(name, lo, hi, tgt) in set.iter().take(rng.gen_range(2..=set.len())) {
            let v = rng.gen_range(lo..hi);
            if name == "open_critical_vulns" {
                w!(s, "{d},{name},{},{tgt}\n", v as u32);
            } else {
                w!(s, "{d},{name},{v:.3},{tgt}\n");
            }
        }
        d = d + chrono::Days::new(1);
    }
    s
}

// ---------------------------------------------------------------------------
// CI logs

struct LogPool {
    lines: Vec<String>,
    groups: Vec<&'static str>,
}

const CRATES: &[&str] = &[
    "serde",
    "serde_json",
    "tokio",
    "hyper",
    "rustls",
    "ring",
    "tracing",
    "clap",
    "regex",
    "sqlx",
    "axum",
    "tower",
    "bytes",
    "futures-util",
    "chrono",
    "uuid",
    "reqwest",
    "prost",
];
const GROUPS: &[&str] = &[
    "Run actions/checkout@v4",
    "Run actions/setup-node@v4",
    "Run actions/setup-go@v5",
    "Run dtolnay/rust-toolchain@stable",
    "Run Swatinem/rust-cache@v2",
    "Run cargo build --release --locked",
    "Run cargo test --workspace --locked",
    "Run cargo clippy --all-targets -- -D warnings",
    "Run npm ci",
    "Run npm test -- --ci",
    "Run python -m pytest -q --junitxml=report.xml",
    "Run go test ./... -race -coverprofile=cover.out",
    "Run docker/build-push-action@v5",
    "Run aquasecurity/trivy-action@0.19.0",
    "Run github/codeql-action/analyze@v3",
    "Run terraform plan -no-color -input=false",
    "Run actions/upload-artifact@v4",
];

fn build_pool(seed: u64) -> LogPool {
    let mut rng = rng_for(seed, D_POOL, 0);
    let mut lines = Vec::with_capacity(20_000);
    for _ in 0..20_000 {
        let l = match rng.gen_range(0..22) {
            0 | 1 => format!("   Compiling {} v1.{}.{}", pick(&mut rng, CRATES), rng.gen_range(0..40), rng.gen_range(0..30)),
            2 => format!("  Downloaded {} v0.{}.{}", pick(&mut rng, CRATES), rng.gen_range(1..30), rng.gen_range(0..20)),
            3..=5 => format!("test {}::tests::{} ... ok", pick(&mut rng, &["ledger", "auth", "api::routes", "store::pg", "queue"]), pick(&mut rng, TEST_NAMES)),
            6 => format!("test result: ok. {} passed; 0 failed; {} ignored; 0 measured; 0 filtered out; finished in {}.{:02}s", rng.gen_range(5..400), rng.gen_range(0..5), rng.gen_range(0..60), rng.gen_range(0..100)),
            7 => format!("    Finished `release` profile [optimized] target(s) in {}m {:02}s", rng.gen_range(0..9), rng.gen_range(0..60)),
            8 => format!("npm WARN deprecated {}@{}.{}.{}: This package is no longer supported.", pick(&mut rng, &["inflight", "glob", "rimraf", "request", "uuid"]), rng.gen_range(1..8), rng.gen_range(0..10), rng.gen_range(0..10)),
            9 => format!("added {} packages, and audited {} packages in {}s", rng.gen_range(100..1500), rng.gen_range(1500..2000), rng.gen_range(3..90)),
            10 => format!(" PASS  src/{}/{}.test.ts ({}.{:03} s)", pick(&mut rng, &["components", "hooks", "api", "utils"]), pick(&mut rng, &["Search", "Ledger", "useAuth", "format", "client"]), rng.gen_range(0..9), rng.gen_range(0..1000)),
            11 => format!("tests/test_{}.py::test_{} PASSED{}[{:>3}%]", pick(&mut rng, &["accounts", "payments", "auth"]), pick(&mut rng, TEST_NAMES), " ".repeat(rng.gen_range(4..30)), rng.gen_range(0..101)),
            12 => format!("ok  \tgithub.com/northwind/{}/internal/{}\t{}.{:03}s\tcoverage: {}.{}% of statements", pick(&mut rng, REPOS), pick(&mut rng, &["ledger", "auth", "store", "api"]), rng.gen_range(0..30), rng.gen_range(0..1000), rng.gen_range(40..95), rng.gen_range(0..10)),
            13 => format!("#{} [build {}/{}] RUN {}", rng.gen_range(1..30), rng.gen_range(1..9), 9, pick(&mut rng, &["apk add --no-cache ca-certificates", "npm ci --omit=dev", "cargo build --release", "go build -o /out/server ./cmd/server", "pip install -r requirements.txt"])),
            14 => format!("#{} DONE {}.{}s", rng.gen_range(1..30), rng.gen_range(0..200), rng.gen_range(0..10)),
            15 => format!("#{} sha256:{} {}.{}MB / {}.{}MB {}.{}s", rng.gen_range(1..30), hex(&mut rng, 64), rng.gen_range(1..90), rng.gen_range(0..10), rng.gen_range(90..200), rng.gen_range(0..10), rng.gen_range(0..20), rng.gen_range(0..10)),
            16 => format!("  # aws_security_group_rule.{} will be updated in-place", pick(&mut rng, &["ingress_https", "egress_all", "db_access"])),
            17 => "shell: /usr/bin/bash -e {0}".to_string(),
            18 => format!("  {}: {}", pick(&mut rng, &["CARGO_TERM_COLOR", "RUSTFLAGS", "NODE_ENV", "GOFLAGS", "CI"]), pick(&mut rng, &["always", "-D warnings", "production", "-mod=readonly", "true"])),
            19 => format!("warning: unused variable: `{}`", pick(&mut rng, &["ctx", "res", "tx", "guard"])),
            20 => format!("{}/{} files checked, {} changed", rng.gen_range(10..400), 400, rng.gen_range(0..3)),
            _ => format!("[{}] INFO  {} request_id={} status=200 duration_ms={}", pick(&mut rng, &["api", "worker", "migrate"]), pick(&mut rng, &["GET /v1/accounts", "POST /v1/transfers", "GET /healthz"]), hex(&mut rng, 12), rng.gen_range(1..900)),
        };
        lines.push(l);
    }
    LogPool {
        lines,
        groups: GROUPS.to_vec(),
    }
}

/// A GitHub Actions timestamp, formatted in place.
struct Clock {
    date: NaiveDate,
    ticks: u64, // 100 ns since midnight
    buf: [u8; 29],
}

impl Clock {
    fn new(date: NaiveDate, secs: u32) -> Self {
        let mut c = Clock {
            date,
            ticks: secs as u64 * 10_000_000,
            buf: [b' '; 29],
        };
        c.set_date();
        c.render();
        c
    }

    fn set_date(&mut self) {
        let d = self.date.format("%Y-%m-%dT").to_string();
        self.buf[..11].copy_from_slice(d.as_bytes());
        self.buf[27] = b'Z';
        self.buf[28] = b' ';
    }

    fn advance(&mut self, ticks: u64) {
        self.ticks += ticks;
        if self.ticks >= 864_000_000_000 {
            self.ticks -= 864_000_000_000;
            self.date = self.date + chrono::Days::new(1);
            self.set_date();
        }
        self.render();
    }

    fn render(&mut self) {
        let secs = self.ticks / 10_000_000;
        let frac = self.ticks % 10_000_000;
        let two = |b: &mut [u8], v: u64| {
            b[0] = b'0' + (v / 10) as u8;
            b[1] = b'0' + (v % 10) as u8;
        };
        two(&mut self.buf[11..13], secs / 3600);
        self.buf[13] = b':';
        two(&mut self.buf[14..16], (secs / 60) % 60);
        self.buf[16] = b':';
        two(&mut self.buf[17..19], secs % 60);
        self.buf[19] = b'.';
        let mut f = frac;
        for i in (20..27).rev() {
            self.buf[i] = b'0' + (f % 10) as u8;
            f /= 10;
        }
    }
}

fn gen_log(ctx: &Ctx, index: usize, p: &EvPlan, target: u64) -> io::Result<u64> {
    let mut rng = rng_for(ctx.seed, D_EVIDENCE, index as u64);
    let date = day(YEAR, p.day);
    let secs = rng.gen_range(0..80_000);
    let mut clock = Clock::new(date, secs);
    let path = ctx.root.join("evidence").join(&p.rel);
    let mut w = create(&path)?;
    let mut buf: Vec<u8> = Vec::with_capacity(256 * 1024);
    let mut written: u64 = 0;
    let failed = rng.gen_bool(0.15);
    let has_secrets = rng.gen_bool(0.1);
    let repo = p.rel.split('/').nth(1).unwrap_or("repo");
    let footer_budget = 400u64;

    let line = |buf: &mut Vec<u8>, clock: &mut Clock, text: &str, rng: &mut ChaCha8Rng| {
        clock.advance(rng.gen_range(0..150_000));
        buf.extend_from_slice(&clock.buf);
        buf.extend_from_slice(text.as_bytes());
        buf.push(b'\n');
    };
    let header = [
        "Current runner version: '2.316.1'".to_string(),
        "Operating System".to_string(),
        "  Ubuntu".to_string(),
        "  22.04.4".to_string(),
        "  LTS".to_string(),
        "Runner Image Provisioner".to_string(),
        "##[group]GITHUB_TOKEN Permissions".to_string(),
        "Contents: read".to_string(),
        "Metadata: read".to_string(),
        "SecurityEvents: write".to_string(),
        "##[endgroup]".to_string(),
        "Secret source: Actions".to_string(),
        "Prepare workflow directory".to_string(),
        "Prepare all required actions".to_string(),
        format!("Complete job name: {repo} / build"),
    ];
    for h in &header {
        line(&mut buf, &mut clock, h, &mut rng);
    }
    let pool = &ctx.pool.lines;
    let mut in_group = false;
    let mut until_group = 0usize;
    loop {
        if buf.len() >= 240 * 1024 {
            w.write_all(&buf)?;
            written += buf.len() as u64;
            buf.clear();
        }
        if written + buf.len() as u64 + 260 + footer_budget >= target {
            break;
        }
        if until_group == 0 {
            if in_group {
                line(&mut buf, &mut clock, "##[endgroup]", &mut rng);
            }
            let g = *pick(&mut rng, &ctx.pool.groups);
            let text = format!("##[group]{g}");
            line(&mut buf, &mut clock, &text, &mut rng);
            in_group = true;
            until_group = rng.gen_range(3..400);
            continue;
        }
        until_group -= 1;
        let roll = rng.gen_range(0..10_000);
        if has_secrets && roll < 8 {
            let secret = fake_secret(&mut rng);
            let text = if secret.starts_with("AKIA") {
                format!("export AWS_ACCESS_KEY_ID={secret}")
            } else if secret.starts_with("ghp_") {
                format!("Using token {secret} for the GitHub Packages registry")
            } else if secret.starts_with("https://") {
                format!("git remote set-url origin {secret}northwind/{repo}.git")
            } else {
                format!("echo {secret} >> ~/.aws/credentials")
            };
            line(&mut buf, &mut clock, &text, &mut rng);
        } else if roll < 20 {
            let text = format!(
                "##[warning]{}",
                pick(
                    &mut rng,
                    &[
                        "Node.js 16 actions are deprecated.",
                        "Cache not found for input keys: cargo-linux-x64",
                        "No files were found with the provided path: coverage/"
                    ]
                )
            );
            line(&mut buf, &mut clock, &text, &mut rng);
        } else {
            let i = rng.gen_range(0..pool.len());
            line(&mut buf, &mut clock, &pool[i], &mut rng);
        }
    }
    if in_group {
        line(&mut buf, &mut clock, "##[endgroup]", &mut rng);
    }
    if failed {
        line(
            &mut buf,
            &mut clock,
            "test ledger::tests::posts_balanced_entries ... FAILED",
            &mut rng,
        );
        line(
            &mut buf,
            &mut clock,
            "##[error]Process completed with exit code 1.",
            &mut rng,
        );
    } else {
        line(&mut buf, &mut clock, "Post job cleanup.", &mut rng);
    }
    line(
        &mut buf,
        &mut clock,
        "Cleaning up orphan processes",
        &mut rng,
    );
    w.write_all(&buf)?;
    written += buf.len() as u64;
    finish(w, written, clock.date, (clock.ticks / 10_000_000) as u32)
}

fn gen_generic(ctx: &Ctx, index: usize, p: &EvPlan, target: u64) -> io::Result<u64> {
    let mut rng = rng_for(ctx.seed, D_EVIDENCE, index as u64);
    let date = day(YEAR, p.day);
    let path = ctx.root.join("evidence").join(&p.rel);
    let mut w = create(&path)?;
    let header: &[u8] = if p.rel.ends_with(".pdf") {
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\nstream\n\x00"
    } else if p.rel.ends_with(".png") {
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
    } else {
        b"PK\x03\x04\x14\x00\x00\x00\x08\x00"
    };
    let target = target.max(header.len() as u64 + 1);
    w.write_all(header)?;
    let mut left = target - header.len() as u64;
    let mut chunk = vec![0u8; 256 * 1024];
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        rng.fill_bytes(&mut chunk[..n]);
        w.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    finish(w, target, date, rng.gen_range(0..86_400))
}

// ---------------------------------------------------------------------------
// Sidecars and config

fn kind_controls(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::CiLog => &["CC8.1", "A.8.32", "A.8.25"],
        Kind::Sarif => &["CC7.1", "A.8.8", "A.8.28"],
        Kind::Trivy | Kind::Grype => &["CC7.1", "A.8.8", "CC3.2"],
        Kind::Gitleaks => &["CC6.1", "A.8.12", "A.5.17"],
        Kind::KubeBench => &["CC6.8", "A.8.9", "CC7.1"],
        Kind::Junit => &["CC8.1", "A.8.29"],
        Kind::Drill => &["A1.2", "A1.3", "A.5.30"],
        Kind::AccessReview => &["CC6.2", "CC6.3", "A.5.18"],
        Kind::Ack => &["CC1.4", "CC2.2", "A.6.3", "7.2"],
        Kind::Metric => &["A1.1", "CC4.1", "9.1"],
        Kind::Generic => &["CC2.3", "CC9.2", "A.5.19", "9.2.1"],
    }
}

fn gen_sidecar(ctx: &Ctx, index: usize, p: &EvPlan) -> io::Result<u64> {
    let mut rng = rng_for(ctx.seed, D_SIDECAR, index as u64);
    let date = day(YEAR, p.day);
    let mut s = String::with_capacity(512);
    let file = p.rel.rsplit('/').next().unwrap_or(&p.rel);
    if rng.gen_bool(0.9) {
        w!(
            s,
            "title: {}\n",
            yaml_str(&format!("{} {}", p.kind.name(), file))
        );
    }
    if rng.gen_bool(0.6) {
        let d = *pick(
            &mut rng,
            &[
                "Exported by the platform team for the 2026 audit",
                "Collected automatically by the nightly evidence job",
                "Reviewed by the security lead before upload",
                "Kept as supporting evidence for the control owner",
            ],
        );
        w!(s, "description: {}\n", yaml_str(d));
    }
    let n = rng.gen_range(1..=4);
    let controls = choose_controls(&mut rng, kind_controls(p.kind), n);
    w!(s, "controls: {}\n", yaml_ids(&controls));
    if rng.gen_bool(0.8) {
        w!(
            s,
            "classification: {}\n",
            pick(
                &mut rng,
                &["public", "customer", "internal", "internal", "confidential"]
            )
        );
    }
    w!(s, "collected_at: {date}\n");
    if rng.gen_bool(0.7) {
        w!(
            s,
            "max_age: {}\n",
            pick(
                &mut rng,
                &[
                    "35d",
                    "35 days",
                    "100d",
                    "90d",
                    "6 weeks",
                    "12 months",
                    "1y"
                ]
            )
        );
    }
    if rng.gen_bool(0.8) {
        let src = *pick(
            &mut rng,
            &[
                "GitHub Actions, workflow ci.yml",
                "Exported from Okta by the IT team",
                "Trivy 0.50.1 in the nightly pipeline",
                "Added by hand by the compliance manager",
                "AWS Backup console export",
            ],
        );
        w!(s, "source: {}\n", yaml_str(src));
    }
    let path = ctx
        .root
        .join("evidence")
        .join(format!("{}.meta.yaml", p.rel));
    write_small(&path, s.as_bytes(), date, 12 * 3600)
}

fn config_toml() -> String {
    let mut s = String::new();
    w!(s, "# Generated by `cargo run --example gen_workspace`: a large synthetic workspace for benchmarks.\n\n");
    w!(s, "[organization]\nname = \"{ORG}\"\n\n");
    s.push_str("[period]\nname = \"2026\"\nstart = \"2026-01-01\"\nend = \"2026-12-31\"\n\n");
    s.push_str(
        "[frameworks.soc2]\ncategories = [\"security\", \"availability\", \"confidentiality\"]\n\n",
    );
    s.push_str("[frameworks.iso27001]\nexclude = [\"A.7.*\"]\nexclude_reason = \"No physical premises; hosting provider's controls are inherited\"\n\n");
    let rules: &[(&str, &[&str], &str, &str, &str)] = &[
        (
            "evidence/ci/**",
            &["CC8.1", "A.8.32", "A.8.25"],
            "100d",
            "internal",
            "CI build and test logs",
        ),
        (
            "evidence/scans/sarif/**",
            &["CC7.1", "A.8.8", "A.8.28"],
            "35d",
            "internal",
            "Static analysis results",
        ),
        (
            "evidence/scans/containers/**",
            &["CC7.1", "A.8.8"],
            "35d",
            "internal",
            "Container image scans",
        ),
        (
            "evidence/scans/secrets/**",
            &["CC6.1", "A.8.12"],
            "35d",
            "confidential",
            "Secret scanning results",
        ),
        (
            "evidence/kubernetes/**",
            &["CC6.8", "A.8.9"],
            "35d",
            "internal",
            "CIS Kubernetes benchmark runs",
        ),
        (
            "evidence/tests/**",
            &["CC8.1", "A.8.29"],
            "100d",
            "internal",
            "Automated test reports",
        ),
        (
            "evidence/drills/**",
            &["A1.2", "A1.3", "A.5.30"],
            "1y",
            "customer",
            "Disaster recovery drills",
        ),
        (
            "evidence/access-reviews/**",
            &["CC6.2", "CC6.3", "A.5.18"],
            "100d",
            "confidential",
            "Quarterly access reviews",
        ),
        (
            "evidence/acknowledgements/**",
            &["CC1.4", "CC2.2", "A.6.3", "7.2"],
            "1y",
            "internal",
            "Policy acknowledgements",
        ),
        (
            "evidence/metrics/**",
            &["A1.1", "CC4.1", "9.1"],
            "35d",
            "internal",
            "Operational and security metrics",
        ),
        (
            "evidence/documents/**",
            &["CC2.3", "CC9.2", "A.5.19"],
            "1y",
            "customer",
            "Reports, contracts and screenshots",
        ),
    ];
    for (path, controls, age, class, title) in rules {
        w!(s, "[[evidence]]\npath = \"{path}\"\ncontrols = {}\nmax_age = \"{age}\"\nclassification = \"{class}\"\ntitle = \"{title}\"\n\n", toml_ids(controls));
    }
    let schedules: &[(&str, &str, &str, &[&str])] = &[
        (
            "Quarterly access review",
            "quarter",
            "evidence/access-reviews/**",
            &["CC6.2", "A.5.18"],
        ),
        (
            "Annual disaster recovery drill",
            "year",
            "evidence/drills/**",
            &["A1.3", "A.5.30"],
        ),
        (
            "Weekly vulnerability scan",
            "week",
            "evidence/scans/containers/**",
            &["CC7.1", "A.8.8"],
        ),
        (
            "Monthly metrics review",
            "month",
            "evidence/metrics/**",
            &["CC4.1", "9.1"],
        ),
        (
            "Annual policy acknowledgement",
            "year",
            "evidence/acknowledgements/**",
            &["CC2.2", "A.6.3"],
        ),
        ("Daily CI run", "day", "evidence/ci/**", &["CC8.1"]),
    ];
    for (name, every, ev, controls) in schedules {
        w!(s, "[[schedule]]\nname = \"{name}\"\nevery = \"{every}\"\nevidence = \"{ev}\"\ncontrols = {}\n\n", toml_ids(controls));
    }
    s
}

// ---------------------------------------------------------------------------
// Driver

fn run(opts: &Options) -> Result<(), String> {
    let root = &opts.out;
    let mut removed = String::new();
    if root.exists() {
        let non_empty = fs::read_dir(root)
            .map_err(|e| e.to_string())?
            .next()
            .is_some();
        if non_empty {
            if !opts.force {
                return Err(format!(
                    "{} exists and is not empty (use --force to replace it)",
                    root.display()
                ));
            }
            let t = Instant::now();
            fs::remove_dir_all(root).map_err(|e| format!("removing {}: {e}", root.display()))?;
            removed = format!(
                " (after {:.1}s removing the old tree)",
                t.elapsed().as_secs_f64()
            );
        }
    }
    let started = Instant::now();
    let io = |e: io::Error| e.to_string();
    fs::create_dir_all(root).map_err(io)?;

    let policies = plan_policies(opts.seed, opts.policies);
    let evidence = plan_evidence(opts.seed, opts.evidence);

    let mut dirs = BTreeSet::new();
    for p in &policies {
        dirs.insert(
            root.join("policies")
                .join(&p.id)
                .parent()
                .expect("parent")
                .to_path_buf(),
        );
    }
    for e in &evidence {
        dirs.insert(
            root.join("evidence")
                .join(&e.rel)
                .parent()
                .expect("parent")
                .to_path_buf(),
        );
    }
    for d in &dirs {
        fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))?;
    }

    let config = config_toml();
    write_small(
        &root.join("auditbook.toml"),
        config.as_bytes(),
        day(YEAR, 0),
        0,
    )
    .map_err(io)?;

    // Size the structured evidence to about 30% of the budget, minus policies.
    let policy_estimate = opts.policies as u64 * 6_500;
    let structured: Vec<usize> = (0..evidence.len())
        .filter(|&i| !matches!(evidence[i].kind, Kind::CiLog | Kind::Generic))
        .collect();
    let raw: f64 = structured
        .iter()
        .filter(|&&i| evidence[i].kind != Kind::Drill)
        .map(|&i| evidence[i].target as f64)
        .sum();
    let budget = (opts.bytes as f64 * 0.30 - policy_estimate as f64).max(0.0);
    let scale = if raw > 0.0 {
        (budget / raw).clamp(0.05, 8.0)
    } else {
        1.0
    };
    let evidence: Vec<EvPlan> = evidence
        .into_iter()
        .map(|mut e| {
            if e.kind != Kind::Drill && e.target > 0 {
                e.target = ((e.target as f64 * scale) as u64).max(400);
            }
            e
        })
        .collect();

    let pool = build_pool(opts.seed);
    let ctx = Ctx {
        seed: opts.seed,
        root,
        policies: &policies,
        pool: &pool,
    };

    // Phase 1: policies, structured evidence and sidecars.
    let phase1: u64 = policies
        .par_iter()
        .enumerate()
        .map(|(i, p)| gen_policy(opts.seed, i, p, root))
        .chain(
            structured
                .par_iter()
                .map(|&i| gen_structured(&ctx, i, &evidence[i])),
        )
        .chain(
            evidence
                .par_iter()
                .enumerate()
                .filter(|(_, e)| e.sidecar)
                .map(|(i, e)| gen_sidecar(&ctx, i, e)),
        )
        .try_reduce(|| 0, |a, b| Ok(a + b))
        .map_err(io)?
        + config.len() as u64;

    // Phase 2: CI logs (about half of all bytes) and generic files (the rest).
    let logs: Vec<usize> = (0..evidence.len())
        .filter(|&i| evidence[i].kind == Kind::CiLog)
        .collect();
    let generics: Vec<usize> = (0..evidence.len())
        .filter(|&i| evidence[i].kind == Kind::Generic)
        .collect();
    let min_log = 2_000u64;
    let min_generic = 1_000u64;
    let remaining = opts.bytes.saturating_sub(phase1);
    let mut log_budget = (opts.bytes / 2).min(remaining);
    let mut generic_budget = remaining - log_budget;
    if generic_budget < generics.len() as u64 * min_generic {
        generic_budget = generics.len() as u64 * min_generic;
        log_budget = remaining.saturating_sub(generic_budget);
    }
    let log_sizes = log_targets(opts.seed, logs.len(), log_budget, min_log);
    let generic_sizes = spread(
        opts.seed,
        3,
        generics.len(),
        generic_budget,
        min_generic,
        1.3,
    );

    let mut jobs: Vec<(usize, u64)> = logs.iter().copied().zip(log_sizes).collect();
    let log_count = jobs.len();
    jobs.extend(generics.iter().copied().zip(generic_sizes));
    // Biggest first, so the giant logs do not finish last on one core.
    let mut order: Vec<usize> = (0..jobs.len()).collect();
    order.sort_by_key(|&j| std::cmp::Reverse(jobs[j].1));
    order
        .par_iter()
        .map(|&j| {
            let (i, size) = jobs[j];
            if j < log_count {
                gen_log(&ctx, i, &evidence[i], size)
            } else {
                gen_generic(&ctx, i, &evidence[i], size)
            }
        })
        .try_reduce(|| 0, |a, b| Ok(a + b))
        .map_err(io)?;

    let files = TOTALS.files.load(Ordering::Relaxed);
    let bytes = TOTALS.bytes.load(Ordering::Relaxed);
    let secs = started.elapsed().as_secs_f64();
    let mut mix = std::collections::BTreeMap::new();
    for e in &evidence {
        *mix.entry(e.kind.name()).or_insert(0u32) += 1;
    }
    let mix: Vec<String> = mix.iter().map(|(k, v)| format!("{k}={v}")).collect();
    eprintln!(
        "gen_workspace: {} files ({} policies, {} evidence, {} sidecars), {} bytes ({:.1} MiB) in {:.1}s{} to {} [seed {}; {}]",
        files,
        policies.len(),
        evidence.len(),
        evidence.iter().filter(|e| e.sidecar).count(),
        bytes,
        bytes as f64 / MIB as f64,
        secs,
        removed,
        root.display(),
        opts.seed,
        mix.join(" ")
    );
    Ok(())
}

/// `n` sizes summing to about `total`, log-normal around the mean.
fn spread(seed: u64, salt: u64, n: usize, total: u64, min: u64, sigma: f64) -> Vec<u64> {
    if n == 0 {
        return Vec::new();
    }
    let mut rng = rng_for(seed, D_PLAN, 10 + salt);
    let weights: Vec<f64> = (0..n).map(|_| lognormal(&mut rng, sigma)).collect();
    let sum: f64 = weights.iter().sum();
    let spare = total.saturating_sub(min * n as u64) as f64;
    weights
        .iter()
        .map(|w| min + (spare * w / sum) as u64)
        .collect()
}

/// Log sizes: a handful of 50-150 MB giants when the budget allows, the rest
/// log-normal.
fn log_targets(seed: u64, n: usize, total: u64, min: u64) -> Vec<u64> {
    if n == 0 {
        return Vec::new();
    }
    let mut rng = rng_for(seed, D_PLAN, 20);
    let giants = ((total as f64 * 0.5 / (100.0 * 1e6)) as usize)
        .min(5)
        .min(n / 10);
    let mut big: Vec<u64> = (0..giants)
        .map(|_| rng.gen_range(50_000_000..=150_000_000))
        .collect();
    let big_sum: u64 = big.iter().sum();
    if big_sum > total * 6 / 10 {
        for b in &mut big {
            *b = *b * (total * 6 / 10) / big_sum;
        }
    }
    let big_sum: u64 = big.iter().sum();
    let rest = spread(seed, 4, n - giants, total - big_sum, min, 1.2);
    // Place the giants at seeded positions among the logs.
    let mut out = rest;
    for b in big {
        let at = rng.gen_range(0..=out.len());
        out.insert(at, b);
    }
    out
}
