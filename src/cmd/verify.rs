//! `auditbook verify`: check a bundle offline and say exactly what
//! differs. Exit 0 when everything checks, 1 on any problem, 2 when the
//! file or key cannot be read.

use std::path::Path;

use crate::bundle::keys::Public;
use crate::bundle::verify::{self, Limits};

use super::{Global, EXIT_OK, EXIT_PROBLEMS};

pub fn run(global: &Global, zip: &Path, key: Option<&Path>, limits: Limits) -> anyhow::Result<u8> {
    let key = key.map(Public::read).transpose()?;
    let report = verify::verify(zip, key.as_ref(), limits)?;
    for problem in &report.problems {
        println!("problem: {problem}");
    }
    if !report.ok() {
        println!(
            "{}: {} problem(s); the bundle does not check out",
            zip.display(),
            report.problems.len()
        );
        return Ok(EXIT_PROBLEMS);
    }
    if !global.quiet {
        println!(
            "ok: {} entries, {} bytes: every hash matches manifest.json",
            report.entries, report.bytes
        );
        if let Some(m) = &report.manifest {
            println!(
                "  {}, period {}, audience {}, {}",
                m.organization, m.period.name, m.audience, m.stamp
            );
        }
    }
    match (&report.signed_by, report.key_matched) {
        (Some(fingerprint), true) => {
            println!("signed by {fingerprint}, the key given with --key")
        }
        (Some(fingerprint), false) => println!(
            "signed by {fingerprint}: compare this fingerprint with the one the sender published, through another channel"
        ),
        (None, _) => println!("not signed: nothing shows who made this bundle"),
    }
    Ok(EXIT_OK)
}
