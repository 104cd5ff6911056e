//! `auditbook keygen`: write a new Ed25519 signing key pair.

use std::path::PathBuf;

use crate::bundle::keys;

use super::{Global, EXIT_OK};

/// Writes `PREFIX.key` and `PREFIX.pub` and prints the fingerprint.
pub fn run(global: &Global, prefix: Option<PathBuf>) -> anyhow::Result<u8> {
    let prefix = prefix.unwrap_or_else(|| PathBuf::from("auditbook-signing"));
    let made = keys::generate(&prefix)?;
    if !global.quiet {
        println!("wrote {} (private, mode 0600)", made.private.display());
        println!("wrote {} (public)", made.public.display());
    }
    println!("fingerprint {}", made.fingerprint);
    if !global.quiet {
        println!(
            "\nPublish the fingerprint where recipients can check it (your trust page, e-mail signature),\n\
             point [signing] key in auditbook.toml (or {}) at {},\n\
             and keep that file out of git.",
            super::bundle::SIGNING_KEY_ENV,
            made.private.display()
        );
    }
    Ok(EXIT_OK)
}
