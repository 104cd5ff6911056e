//! Nothing panics on any input: seeded random mutations of every kind of
//! workspace file (configuration, policies, sidecars, catalogs, evidence)
//! are loaded and assessed in process; problems must come back as
//! diagnostics or errors.

mod support;

use auditbook::workspace::{LoadOptions, Workspace};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use support::Sandbox;

const TARGETS: &[&str] = &[
    "auditbook.toml",
    "policies/access.md",
    "policies/ops/old.md",
    "evidence/scans/december.sarif",
    "evidence/scans/december.sarif.meta.yaml",
    "evidence/reviews/q1.csv",
    "evidence/dr/january.md",
    "catalogs/readiness.yaml",
];

/// Bytes that tend to break parsers.
const NASTY: &[&[u8]] = &[
    b"\0",
    b"\xff\xfe",
    b"\xe2\x80",
    b"---\n",
    b"...\n",
    b"[",
    b"]",
    b"{",
    b"}",
    b"\"",
    b"'",
    b"\n",
    b"\r\n",
    b":",
    b"- ",
    b"*",
    b"&a ",
    b"*a",
    b"!!binary ",
    b"99999999999999999999",
    b"-1",
    b"2026-02-30",
    b"CC6.l",
    b"A.7.*",
    b"**",
    b"\\",
    b"\t",
    b"#",
    b"=",
    b"[[evidence]]\n",
];

fn mutate(rng: &mut ChaCha8Rng, bytes: &mut Vec<u8>) {
    for _ in 0..rng.gen_range(1..6) {
        let at = rng.gen_range(0..=bytes.len());
        match rng.gen_range(0..4) {
            0 => {
                let end = (at + rng.gen_range(1..40)).min(bytes.len());
                bytes.drain(at..end);
            }
            1 => {
                let nasty = NASTY[rng.gen_range(0..NASTY.len())];
                bytes.splice(at..at, nasty.iter().copied());
            }
            2 if !bytes.is_empty() => {
                let start = rng.gen_range(0..bytes.len());
                let end = (start + rng.gen_range(1..80)).min(bytes.len());
                let copy = bytes[start..end].to_vec();
                bytes.splice(at..at, copy);
            }
            _ => bytes.truncate(at),
        }
    }
}

#[test]
fn mutated_workspaces_never_panic() {
    let sandbox = Sandbox::fixture("valid");
    let originals: Vec<Vec<u8>> = TARGETS
        .iter()
        .map(|t| std::fs::read(sandbox.path().join(t)).unwrap())
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(20261127);
    for _ in 0..300 {
        let which = rng.gen_range(0..TARGETS.len());
        let mut bytes = originals[which].clone();
        mutate(&mut rng, &mut bytes);
        let path = sandbox.path().join(TARGETS[which]);
        std::fs::write(&path, &bytes).unwrap();
        let loaded = Workspace::load(sandbox.path(), LoadOptions::default());
        if let Ok(workspace) = &loaded {
            let _ = auditbook::assess::assess(workspace);
        }
        std::fs::write(&path, &originals[which]).unwrap();
    }
}
