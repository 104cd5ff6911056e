//! Signing keys: Ed25519 key pairs in OpenSSH's file formats, so that
//! `ssh-keygen -l -f PREFIX.pub` prints the same fingerprint auditbook
//! prints, and a recipient can check it with a tool they already trust.
//!
//! - `PREFIX.key`: an unencrypted OpenSSH private key
//!   (`-----BEGIN OPENSSH PRIVATE KEY-----`), mode 0600. An Ed25519 key made
//!   by `ssh-keygen -t ed25519 -N ''` works too.
//! - `PREFIX.pub`: one line, `ssh-ed25519 <base64> <comment>`.
//! - The fingerprint: `SHA256:` and the unpadded base64 of the SHA-256 of
//!   the public key's wire encoding, as OpenSSH prints it.
//! - `manifest.sig`: the base64 of the 64-byte Ed25519 signature
//!   (RFC 8032, ed25519-dalek) over the exact bytes of `manifest.json`,
//!   and a newline.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use ssh_key::private::{Ed25519Keypair, KeypairData};
use ssh_key::public::{Ed25519PublicKey, KeyData};
use ssh_key::{HashAlg, LineEnding, PrivateKey, PublicKey};

const COMMENT: &str = "auditbook signing key";

/// A key that signs bundles.
pub struct Signer25519 {
    key: SigningKey,
}

impl Signer25519 {
    /// Reads an unencrypted OpenSSH Ed25519 private key.
    pub fn read(path: &Path) -> anyhow::Result<Signer25519> {
        let text = crate::fsutil::read_text(path)?;
        let key = PrivateKey::from_openssh(text.trim())
            .with_context(|| format!("{} is not an OpenSSH private key", path.display()))?;
        if key.is_encrypted() {
            bail!(
                "{} is encrypted: auditbook needs an unencrypted key (keep it in a secret store)",
                path.display()
            );
        }
        let Some(pair) = key.key_data().ed25519() else {
            bail!(
                "{} is a {} key: auditbook signs with Ed25519 keys (make one with `auditbook keygen`)",
                path.display(),
                key.algorithm()
            );
        };
        Ok(Signer25519 {
            key: SigningKey::from_bytes(&pair.private.to_bytes()),
        })
    }

    pub fn public(&self) -> Public {
        Public {
            key: self.key.verifying_key(),
        }
    }

    /// The base64 signature line of `manifest.sig`.
    pub fn sign(&self, message: &[u8]) -> String {
        let signature = self.key.sign(message);
        let mut line = base64::engine::general_purpose::STANDARD.encode(signature.to_bytes());
        line.push('\n');
        line
    }
}

/// A public key that checks bundles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Public {
    key: VerifyingKey,
}

impl Public {
    fn ssh(&self) -> PublicKey {
        PublicKey::new(
            KeyData::Ed25519(Ed25519PublicKey(self.key.to_bytes())),
            COMMENT,
        )
    }

    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    pub fn fingerprint(&self) -> String {
        self.ssh().fingerprint(HashAlg::Sha256).to_string()
    }

    /// The `ssh-ed25519 <base64>` line, without a comment.
    pub fn openssh(&self) -> String {
        let mut key = self.ssh();
        key.set_comment("");
        key.to_openssh()
            .map(|line| line.trim().to_string())
            .unwrap_or_default()
    }

    /// Parses an `ssh-ed25519 <base64> [comment]` line.
    pub fn parse(text: &str) -> Result<Public, String> {
        let key = PublicKey::from_openssh(text.trim())
            .map_err(|e| format!("not an OpenSSH public key ({e})"))?;
        let Some(ed) = key.key_data().ed25519() else {
            return Err(format!("a {} key, not Ed25519", key.algorithm()));
        };
        VerifyingKey::from_bytes(&ed.0)
            .map(|key| Public { key })
            .map_err(|e| format!("not a valid Ed25519 point ({e})"))
    }

    pub fn read(path: &Path) -> anyhow::Result<Public> {
        let text = crate::fsutil::read_text(path)?;
        Public::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    /// Checks a `manifest.sig` text against `message`.
    pub fn verify(&self, message: &[u8], signature: &str) -> Result<(), String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(signature.trim())
            .map_err(|_| "is not base64".to_string())?;
        let bytes: [u8; 64] = bytes
            .try_into()
            .map_err(|b: Vec<u8>| format!("holds {} bytes, not a 64-byte signature", b.len()))?;
        self.key
            .verify_strict(message, &Signature::from_bytes(&bytes))
            .map_err(|_| "does not match manifest.json under the key it names".to_string())
    }
}

/// What `keygen` wrote.
pub struct Generated {
    pub private: PathBuf,
    pub public: PathBuf,
    pub fingerprint: String,
}

/// Writes a new key pair to `PREFIX.key` (mode 0600) and `PREFIX.pub`,
/// refusing to overwrite either.
pub fn generate(prefix: &Path) -> anyhow::Result<Generated> {
    let private = with_suffix(prefix, "key");
    let public = with_suffix(prefix, "pub");
    for path in [&private, &public] {
        if path.exists() {
            bail!(
                "{} exists: auditbook keygen never overwrites a key (remove it or choose another --out)",
                path.display()
            );
        }
    }
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed).context("the operating system gave no random bytes")?;
    let pair = Ed25519Keypair::from_seed(&seed);
    seed.fill(0);
    let key = PrivateKey::new(KeypairData::Ed25519(pair), COMMENT)
        .context("cannot encode the new key")?;
    let signer = Signer25519 {
        key: SigningKey::from_bytes(
            &key.key_data()
                .ed25519()
                .context("the new key is Ed25519")?
                .private
                .to_bytes(),
        ),
    };
    let text = key
        .to_openssh(LineEnding::LF)
        .context("cannot encode the new key")?;
    if let Some(parent) = private.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    write_new(&private, text.as_bytes(), 0o600)?;
    let line = format!("{} {COMMENT}\n", signer.public().openssh());
    if let Err(error) = write_new(&public, line.as_bytes(), 0o644) {
        let _ = std::fs::remove_file(&private);
        return Err(error);
    }
    Ok(Generated {
        private,
        public,
        fingerprint: signer.public().fingerprint(),
    })
}

fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

/// Creates `path`, failing if it exists; on unix with `mode` from the
/// start, so the private key is never readable by others, not even
/// briefly.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> anyhow::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_signs_and_its_public_half_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let made = generate(&dir.path().join("k")).unwrap();
        let signer = Signer25519::read(&made.private).unwrap();
        let public = Public::read(&made.public).unwrap();
        assert_eq!(public.fingerprint(), made.fingerprint);
        let sig = signer.sign(b"manifest");
        assert_eq!(public.verify(b"manifest", &sig), Ok(()));
        assert!(public.verify(b"manifest!", &sig).is_err());
        assert!(generate(&dir.path().join("k")).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&made.private)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
