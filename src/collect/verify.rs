//! The trust a source's signatures are checked against: its
//! allowed-signers file (SSH) and OpenPGP keys, loaded once and shared by
//! the verification threads.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::git::{Check, CommitInfo, Letter, SignatureType, TrustFile, Verifier};
use super::openpgp::Keyring;
use super::ssh::AllowedSigners;

/// The configured trust of one `[[sources.git]]`.
pub struct Trust {
    ssh: Option<AllowedSigners>,
    openpgp: Option<Keyring>,
    now: DateTime<Utc>,
}

impl Trust {
    /// Parses the trust files [`super::git::trust_files`] read; a
    /// malformed file is an error naming it. `now` judges OpenPGP expiry.
    pub fn load(files: &[(PathBuf, TrustFile)], now: DateTime<Utc>) -> anyhow::Result<Trust> {
        let mut trust = Trust {
            ssh: None,
            openpgp: None,
            now,
        };
        for (path, file) in files {
            let bytes = std::fs::read(path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
            match file.role {
                "allowed_signers" => {
                    let text = String::from_utf8(bytes)
                        .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", path.display()))?;
                    trust.ssh = Some(AllowedSigners::parse(path, &text)?);
                }
                _ => trust
                    .openpgp
                    .get_or_insert_with(Keyring::default)
                    .add_file(path, &bytes)?,
            }
        }
        Ok(trust)
    }
}

impl Verifier for Trust {
    fn check(
        &self,
        kind: SignatureType,
        signature: &[u8],
        payload: &[u8],
        commit: &CommitInfo<'_>,
    ) -> Check {
        let cannot = Check {
            letter: Letter::E,
            signer: None,
            key: None,
            bad_email: false,
        };
        match kind {
            SignatureType::Ssh => match &self.ssh {
                Some(signers) => signers.check(signature, payload, commit),
                None => cannot,
            },
            SignatureType::Gpg => match &self.openpgp {
                Some(ring) => ring.check(signature, payload, commit, self.now),
                // Without keys every OpenPGP signature is by an unknown key.
                None => Keyring::default().check(signature, payload, commit, self.now),
            },
            SignatureType::Malformed => Check {
                letter: Letter::B,
                ..cannot
            },
            // X.509 is classified, not verified by auditbook.
            SignatureType::X509 => cannot,
        }
    }
}
