//! Generates a git repository for `benches/collect_git.sh`: a linear
//! history of N commits over one year, every Kth one signed in-process
//! with throwaway keys (SSH ed25519 and OpenPGP EdDSA, alternating), and
//! the trust to check them against.
//!
//! The objects are written as one pack fed to `git index-pack`, so that
//! 100,000 commits take seconds rather than the minutes `git commit -S`
//! would. The keys come from a fixed seed: the same arguments give the
//! same repository.
//!
//! ```text
//! cargo run --release --example gen_git_repo -- OUT [--commits N] [--signed-every K]
//! ```
//!
//! Writes `OUT/repo` (branch `main`), `OUT/trust/allowed_signers` and
//! `OUT/trust/gpg/signer.asc` (the OpenPGP public key).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use pgp::composed::{
    ArmorOptions, DetachedSignature, KeyType, SecretKeyParamsBuilder, SignedPublicKey,
    SignedSecretKey,
};
use pgp::crypto::hash::HashAlgorithm;
use pgp::types::Password;
use rand::SeedableRng;
use sha1::{Digest, Sha1};
use ssh_key::{HashAlg, LineEnding, PrivateKey};

const AUTHORS: usize = 20;
/// 2026-01-01T00:00:00Z
const START: i64 = 1_767_225_600;

struct Args {
    out: PathBuf,
    commits: usize,
    signed_every: usize,
}

fn args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut out = None;
    let mut commits = 100_000;
    let mut signed_every = 4;
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .filter(|&v| v > 0)
                .ok_or_else(|| format!("{name} needs a positive number"))
        };
        match arg.as_str() {
            "--commits" => commits = number("--commits")?,
            "--signed-every" => signed_every = number("--signed-every")?,
            _ if out.is_none() && !arg.starts_with('-') => out = Some(PathBuf::from(arg)),
            _ => return Err(format!("unexpected argument `{arg}`")),
        }
    }
    Ok(Args {
        out: out.ok_or("usage: gen_git_repo OUT [--commits N] [--signed-every K]")?,
        commits,
        signed_every,
    })
}

/// A pack being written: objects appended, hashed as git hashes them.
struct Pack {
    bytes: Vec<u8>,
    count: u32,
}

impl Pack {
    fn new() -> Pack {
        let mut bytes = Vec::with_capacity(64 << 20);
        bytes.extend_from_slice(b"PACK");
        bytes.extend_from_slice(&2u32.to_be_bytes());
        // The count, filled in by `finish`.
        bytes.extend_from_slice(&0u32.to_be_bytes());
        Pack { bytes, count: 0 }
    }

    /// Adds an object (1 commit, 2 tree, 3 blob) and returns its id.
    fn add(&mut self, kind: u8, name: &str, data: &[u8]) -> [u8; 20] {
        let mut hasher = Sha1::new();
        hasher.update(format!("{name} {}\0", data.len()).as_bytes());
        hasher.update(data);
        let id: [u8; 20] = hasher.finalize().into();
        let mut size = data.len();
        let mut byte = (kind << 4) | (size & 0x0f) as u8;
        size >>= 4;
        while size > 0 {
            self.bytes.push(byte | 0x80);
            byte = (size & 0x7f) as u8;
            size >>= 7;
        }
        self.bytes.push(byte);
        let mut encoder =
            flate2::write::ZlibEncoder::new(&mut self.bytes, flate2::Compression::fast());
        encoder.write_all(data).expect("in memory");
        encoder.finish().expect("in memory");
        self.count += 1;
        id
    }

    fn finish(mut self) -> Vec<u8> {
        self.bytes[8..12].copy_from_slice(&self.count.to_be_bytes());
        let trailer: [u8; 20] = Sha1::digest(&self.bytes).into();
        self.bytes.extend_from_slice(&trailer);
        self.bytes
    }
}

/// Each author's SSH key, and one OpenPGP key whose user ids are every
/// author's: every signature is good and by its committer.
struct Keys {
    ssh: Vec<PrivateKey>,
    pgp: SignedSecretKey,
}

fn author(i: usize) -> (String, String) {
    let n = i % AUTHORS;
    (format!("Developer {n}"), format!("dev{n}@example.com"))
}

fn keys(rng: &mut rand_chacha::ChaCha8Rng) -> Result<Keys, String> {
    let ssh = (0..AUTHORS)
        .map(|n| {
            let seed = [n as u8 + 1; 32];
            PrivateKey::from(ssh_key::private::Ed25519Keypair::from_seed(&seed))
        })
        .collect();
    let mut params = SecretKeyParamsBuilder::default();
    params
        .key_type(KeyType::Ed25519Legacy)
        .can_certify(true)
        .can_sign(true)
        .can_encrypt(false)
        .primary_user_id("Developer 1 <dev1@example.com>".into())
        .user_ids(
            (0..AUTHORS)
                .filter(|&n| n != 1)
                .map(|n| {
                    let (name, email) = author(n);
                    format!("{name} <{email}>")
                })
                .collect(),
        );
    let secret = params
        .build()
        .map_err(|e| e.to_string())?
        .generate(&mut *rng)
        .map_err(|e| e.to_string())?;
    let pgp = secret
        .sign(&mut *rng, &Password::empty())
        .map_err(|e| e.to_string())?;
    Ok(Keys { ssh, pgp })
}

/// `gpgsig` with the signature's lines folded as git folds them.
fn fold_signature(signature: &str) -> String {
    let mut header = String::from("gpgsig");
    for line in signature.trim_end().lines() {
        header.push(' ');
        header.push_str(line);
        header.push('\n');
    }
    header
}

fn run(args: Args) -> Result<(), String> {
    let repo = args.out.join("repo");
    if repo.exists() {
        return Err(format!("{} exists already", repo.display()));
    }
    std::fs::create_dir_all(args.out.join("trust/gpg")).map_err(|e| e.to_string())?;
    git(&args.out, &["init", "-q", "-b", "main", "repo"])?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(2026);
    let keys = keys(&mut rng)?;

    let mut pack = Pack::new();
    let mut parent: Option<[u8; 20]> = None;
    // Spread over 2026: one commit every `step` seconds.
    let step = (365 * 24 * 3600 / args.commits as i64).max(1);
    let (mut ssh_signed, mut pgp_signed) = (0, 0);
    for i in 0..args.commits {
        let blob = pack.add(3, "blob", format!("change {i}\n").as_bytes());
        let mut tree = Vec::with_capacity(40);
        tree.extend_from_slice(b"100644 file.txt\0");
        tree.extend_from_slice(&blob);
        let tree = pack.add(2, "tree", &tree);
        let (name, email) = author(i);
        let time = START + i as i64 * step;
        let mut head = format!("tree {}\n", hex::encode(tree));
        if let Some(parent) = parent {
            head.push_str(&format!("parent {}\n", hex::encode(parent)));
        }
        head.push_str(&format!(
            "author {name} <{email}> {time} +0000\ncommitter {name} <{email}> {time} +0000\n"
        ));
        let body = format!("\nChange {i}\n\nGenerated for the collect git benchmark.\n");
        let mut commit = head.clone();
        if i % args.signed_every == args.signed_every - 1 {
            let payload = format!("{head}{body}");
            let signature = if (i / args.signed_every) % 2 == 0 {
                ssh_signed += 1;
                keys.ssh[i % AUTHORS]
                    .sign("git", HashAlg::Sha512, payload.as_bytes())
                    .and_then(|s| s.to_pem(LineEnding::LF))
                    .map_err(|e| e.to_string())?
            } else {
                pgp_signed += 1;
                DetachedSignature::sign_binary_data(
                    &mut rng,
                    &keys.pgp.primary_key,
                    &Password::empty(),
                    HashAlgorithm::Sha256,
                    payload.as_bytes(),
                )
                .and_then(|s| s.to_armored_string(ArmorOptions::default()))
                .map_err(|e| e.to_string())?
            };
            commit.push_str(&fold_signature(&signature));
        }
        commit.push_str(&body);
        parent = Some(pack.add(1, "commit", commit.as_bytes()));
    }
    let tip = hex::encode(parent.ok_or("no commits")?);
    let bytes = pack.finish();
    let mut child = Command::new("git")
        .args(["index-pack", "--stdin", "--keep"])
        .current_dir(&repo)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| format!("git index-pack: {e}"))?;
    child
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(&bytes)
        .map_err(|e| e.to_string())?;
    if !child.wait().map_err(|e| e.to_string())?.success() {
        return Err("git index-pack failed".into());
    }
    // The pack is complete: the keep file only guarded it from gc.
    for entry in std::fs::read_dir(repo.join(".git/objects/pack")).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|e| e == "keep") {
            std::fs::remove_file(&path).map_err(|e| e.to_string())?;
        }
    }
    git(&repo, &["update-ref", "refs/heads/main", &tip])?;

    let mut allowed = String::new();
    for (n, key) in keys.ssh.iter().enumerate() {
        let public = key.public_key().to_openssh().map_err(|e| e.to_string())?;
        allowed.push_str(&format!("{} {public}\n", author(n).1));
    }
    std::fs::write(args.out.join("trust/allowed_signers"), allowed).map_err(|e| e.to_string())?;
    let public = SignedPublicKey::from(keys.pgp.clone())
        .to_armored_string(ArmorOptions::default())
        .map_err(|e| e.to_string())?;
    std::fs::write(args.out.join("trust/gpg/signer.asc"), public).map_err(|e| e.to_string())?;
    println!(
        "{}: {} commits, {ssh_signed} SSH-signed, {pgp_signed} OpenPGP-signed, head {tip}",
        repo.display(),
        args.commits
    );
    Ok(())
}

fn git(dir: &Path, args: &[&str]) -> Result<(), String> {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .status()
        .map_err(|e| format!("git: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("git {args:?} failed"))
    }
}

fn main() {
    if let Err(message) = args().and_then(run) {
        eprintln!("gen_git_repo: {message}");
        std::process::exit(2);
    }
}
