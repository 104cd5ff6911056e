//! OpenPGP commit signatures checked in-process (rPGP), with the letters
//! git derives from gpg's status lines when GNUPGHOME holds the configured
//! keys, trusted: `G` good, `B` bad (does not verify), `E` no such key
//! (cannot check), `X` the signature has expired, `Y` good but made by a
//! key that has expired, `R` made by a revoked key.

use std::path::Path;

use chrono::{DateTime, Utc};
use pgp::composed::{Deserializable, DetachedSignature, SignedPublicKey};
use pgp::types::{KeyDetails, PublicKeyTrait};

use super::git::{Check, CommitInfo, Letter};

/// The configured OpenPGP public keys.
#[derive(Debug, Clone, Default)]
pub struct Keyring {
    pub keys: Vec<SignedPublicKey>,
}

impl Keyring {
    /// Adds the keys of one file (armored, one or more keys, or binary);
    /// errors name the file.
    pub fn add_file(&mut self, path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
        let parsed = SignedPublicKey::from_reader_many(std::io::Cursor::new(bytes))
            .map_err(|e| anyhow::anyhow!("{}: not an OpenPGP public key: {e}", path.display()))?;
        let before = self.keys.len();
        for key in parsed.0 {
            let key = key
                .map_err(|e| anyhow::anyhow!("{}: a malformed OpenPGP key: {e}", path.display()))?;
            self.keys.push(key);
        }
        if self.keys.len() == before {
            anyhow::bail!("{}: holds no OpenPGP public key", path.display());
        }
        Ok(())
    }

    /// Checks an armored detached signature over `payload`; `now` judges
    /// expiry, as gpg judges it at the time it runs.
    pub fn check(
        &self,
        signature: &[u8],
        payload: &[u8],
        commit: &CommitInfo<'_>,
        now: DateTime<Utc>,
    ) -> Check {
        let check = |letter, key: Option<String>| Check {
            letter,
            signer: None,
            key,
            bad_email: false,
        };
        let Ok(text) = std::str::from_utf8(signature) else {
            return check(Letter::B, None);
        };
        let Ok((sig, _)) = DetachedSignature::from_string(text) else {
            return check(Letter::B, None);
        };
        let sig = sig.signature;
        let issuers: Vec<String> = sig
            .issuer_fingerprint()
            .iter()
            .map(|f| hex::encode_upper(f.as_bytes()))
            .collect();
        let ids: Vec<String> = sig
            .issuer()
            .iter()
            .map(|id| hex::encode_upper(id.as_ref()))
            .collect();
        let named = issuers.first().cloned().or_else(|| ids.first().cloned());
        let matches = |fingerprint: String, key_id: String| {
            issuers.contains(&fingerprint) || ids.contains(&key_id)
        };
        // The key that matched the issuer but did not verify the signature.
        let mut failed: Option<Option<String>> = None;
        for key in &self.keys {
            let primary = &key.primary_key;
            // The primary key (None) or a subkey, and when it expires.
            let mut candidates: Vec<(Option<usize>, Option<DateTime<Utc>>)> = Vec::new();
            if matches(
                hex::encode_upper(primary.fingerprint().as_bytes()),
                hex::encode_upper(primary.key_id().as_ref()),
            ) {
                candidates.push((None, key.expires_at()));
            }
            for (index, subkey) in key.public_subkeys.iter().enumerate() {
                if matches(
                    hex::encode_upper(subkey.key.fingerprint().as_bytes()),
                    hex::encode_upper(subkey.key.key_id().as_ref()),
                ) {
                    let expires = subkey
                        .signatures
                        .iter()
                        .filter_map(|s| s.key_expiration_time())
                        .next()
                        .map(|d| *subkey.key.created_at() + *d);
                    candidates.push((Some(index), expires.or(key.expires_at())));
                }
            }
            for (which, key_expires) in candidates {
                let (fingerprint, verified) = match which {
                    None => (primary.fingerprint(), sig.verify(primary, payload)),
                    Some(i) => {
                        let subkey = &key.public_subkeys[i].key;
                        (subkey.fingerprint(), sig.verify(subkey, payload))
                    }
                };
                let fingerprint = Some(hex::encode_upper(fingerprint.as_bytes()));
                if verified.is_err() {
                    failed = Some(fingerprint);
                    continue;
                }
                let sig_expired = match (sig.created(), sig.signature_expiration_time()) {
                    (Some(created), Some(valid_for)) if !valid_for.is_zero() => {
                        *created + *valid_for <= now
                    }
                    _ => false,
                };
                let key_expired = key_expires.is_some_and(|at| at <= now);
                let revoked = !key.details.revocation_signatures.is_empty();
                let letter = if sig_expired {
                    Letter::X
                } else if key_expired {
                    Letter::Y
                } else if revoked {
                    Letter::R
                } else {
                    Letter::G
                };
                let emails: Vec<String> = key
                    .details
                    .users
                    .iter()
                    .map(|u| email_of(&String::from_utf8_lossy(u.id.id())))
                    .collect();
                let signer = key
                    .details
                    .users
                    .first()
                    .map(|u| String::from_utf8_lossy(u.id.id()).into_owned());
                let bad_email = letter == Letter::G
                    && !emails
                        .iter()
                        .any(|e| e.eq_ignore_ascii_case(commit.committer_email));
                return Check {
                    letter,
                    signer,
                    key: fingerprint,
                    bad_email,
                };
            }
        }
        match failed {
            Some(fingerprint) => check(Letter::B, fingerprint),
            None => check(Letter::E, named),
        }
    }
}

/// The email of a user id `Name <email>`, or the id itself.
fn email_of(uid: &str) -> String {
    match (uid.rfind('<'), uid.rfind('>')) {
        (Some(start), Some(end)) if start < end => uid[start + 1..end].trim().to_string(),
        _ => uid.trim().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_key_files_are_errors_naming_them() {
        let mut ring = Keyring::default();
        for bad in [
            &b""[..],
            b"hello",
            b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxx\n-----END PGP PUBLIC KEY BLOCK-----\n",
        ] {
            let error = ring.add_file(Path::new("trust/k.asc"), bad).unwrap_err();
            assert!(error.to_string().starts_with("trust/k.asc: "), "{error}");
        }
    }

    #[test]
    fn garbage_signatures_are_bad_and_never_panic() {
        let ring = Keyring::default();
        let commit = CommitInfo {
            committer_email: "a@example.com",
            time: 0,
        };
        for garbage in [
            &b""[..],
            b"\xff\xfe",
            b"-----BEGIN PGP SIGNATURE-----\n\n%%%\n-----END PGP SIGNATURE-----\n",
        ] {
            assert_eq!(
                ring.check(garbage, b"payload", &commit, Utc::now()).letter,
                Letter::B
            );
        }
        assert_eq!(email_of("Alice <alice@example.com>"), "alice@example.com");
    }
}
