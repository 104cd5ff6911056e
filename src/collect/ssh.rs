//! SSH commit signatures checked the way git checks them with
//! `ssh-keygen` and `gpg.ssh.allowedSignersFile`, in-process.
//!
//! git first asks `ssh-keygen -Y find-principals` for the lines of the
//! allowed-signers file whose key made the signature and whose validity
//! window (`valid-after`, `valid-before`) holds the commit's committer
//! date. With none, it checks the signature against its own embedded key
//! only: good is `U` (good, unknown validity), anything else `B`. With
//! principals, it verifies for each (`ssh-keygen -Y verify -n git -I
//! principal`, where `namespaces` must admit `git`): the first good one is
//! `G`, none `B`.

use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};
use ssh_key::{HashAlg, PublicKey, SshSig};

use super::git::{Check, CommitInfo, Letter};

/// One line of an allowed-signers file.
#[derive(Debug, Clone)]
pub struct AllowedSigner {
    /// The principals field: comma-separated patterns.
    pub principals: String,
    pub key: PublicKey,
    /// `namespaces="git,file"`; `None` admits every namespace.
    pub namespaces: Option<Vec<String>>,
    /// Seconds since the epoch.
    pub valid_after: Option<i64>,
    pub valid_before: Option<i64>,
    /// `cert-authority` lines trust certificates, which commit signatures
    /// made with a plain key never match.
    pub cert_authority: bool,
}

/// git's `gpg.ssh.allowedSignersFile`, parsed.
#[derive(Debug, Clone, Default)]
pub struct AllowedSigners {
    pub signers: Vec<AllowedSigner>,
}

impl AllowedSigners {
    /// Parses the file's text; errors name `path` and the line.
    pub fn parse(path: &Path, text: &str) -> anyhow::Result<AllowedSigners> {
        let mut signers = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let signer = parse_line(line).map_err(|message| {
                anyhow::anyhow!("{}:{}: {message}", path.display(), index + 1)
            })?;
            signers.push(signer);
        }
        Ok(AllowedSigners { signers })
    }

    /// Checks an SSH signature over `payload` made for `commit`.
    pub fn check(&self, signature: &[u8], payload: &[u8], commit: &CommitInfo<'_>) -> Check {
        let bad = |key: Option<String>| Check {
            letter: Letter::B,
            signer: None,
            key,
            bad_email: false,
        };
        let Ok(sig) = SshSig::from_pem(signature) else {
            return bad(None);
        };
        let embedded = PublicKey::from(sig.public_key().clone());
        let fingerprint = Some(embedded.fingerprint(HashAlg::Sha256).to_string());
        // What `check-novalidate -n git` and `verify -n git` both need: the
        // signature is good over the payload for namespace `git`.
        if embedded.verify("git", payload, &sig).is_err() {
            return bad(fingerprint);
        }
        let time = commit.time;
        let found: Vec<&AllowedSigner> = self
            .signers
            .iter()
            .filter(|s| !s.cert_authority && s.key.key_data() == sig.public_key())
            .filter(|s| s.valid_at(time))
            .collect();
        if found.is_empty() {
            return Check {
                letter: Letter::U,
                signer: None,
                key: fingerprint,
                bad_email: false,
            };
        }
        for principal in found.iter().map(|s| s.principals.as_str()) {
            // `verify -I principal`: a line whose principals admit it, with
            // this key, for namespace git, valid at the commit's time.
            let allowed = self.signers.iter().any(|s| {
                !s.cert_authority
                    && s.key.key_data() == sig.public_key()
                    && s.valid_at(time)
                    && s.admits_namespace("git")
                    && match_pattern_list(principal, &s.principals)
            });
            if allowed {
                let bad_email = !match_pattern_list(commit.committer_email, principal);
                return Check {
                    letter: Letter::G,
                    signer: Some(principal.to_string()),
                    key: fingerprint,
                    bad_email,
                };
            }
        }
        bad(fingerprint)
    }
}

impl AllowedSigner {
    fn valid_at(&self, time: i64) -> bool {
        self.valid_after.is_none_or(|after| time >= after)
            && self.valid_before.is_none_or(|before| time <= before)
    }

    fn admits_namespace(&self, namespace: &str) -> bool {
        self.namespaces
            .as_ref()
            .is_none_or(|list| list.iter().any(|n| match_pattern(namespace, n)))
    }
}

fn parse_line(line: &str) -> Result<AllowedSigner, String> {
    let (principals, rest) = next_token(line).ok_or("no principals")?;
    if principals.is_empty() {
        return Err("empty principals".to_string());
    }
    let (mut word, mut rest) = next_token(rest).ok_or("no key after the principals")?;
    let mut options = String::new();
    if !is_key_type(&word) {
        options = word;
        (word, rest) = next_token(rest).ok_or("no key after the options")?;
    }
    let (base64, _comment) = next_token(rest).ok_or("the key has no data")?;
    let key = PublicKey::from_openssh(&format!("{word} {base64}"))
        .map_err(|e| format!("cannot read the {word} key: {e}"))?;
    let mut signer = AllowedSigner {
        principals,
        key,
        namespaces: None,
        valid_after: None,
        valid_before: None,
        cert_authority: false,
    };
    for option in split_unquoted(&options, ',') {
        let option = option.trim();
        if option.is_empty() {
            continue;
        }
        let (name, value) = match option.split_once('=') {
            Some((name, value)) => (name.to_ascii_lowercase(), Some(unquote(value))),
            None => (option.to_ascii_lowercase(), None),
        };
        match (name.as_str(), value) {
            ("cert-authority", None) => signer.cert_authority = true,
            ("namespaces", Some(value)) => {
                signer.namespaces = Some(value.split(',').map(|n| n.trim().to_string()).collect())
            }
            ("valid-after", Some(value)) => signer.valid_after = Some(parse_time(&value)?),
            ("valid-before", Some(value)) => signer.valid_before = Some(parse_time(&value)?),
            _ => return Err(format!("unknown option `{option}`")),
        }
    }
    Ok(signer)
}

fn is_key_type(word: &str) -> bool {
    word.starts_with("ssh-") || word.starts_with("ecdsa-") || word.starts_with("sk-")
}

/// The next whitespace-separated token, quotes kept together (and removed
/// when they enclose the whole token).
fn next_token(text: &str) -> Option<(String, &str)> {
    let text = text.trim_start();
    if text.is_empty() {
        return None;
    }
    let mut quoted = false;
    let mut end = text.len();
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                end = i;
                break;
            }
            _ => {}
        }
    }
    let token = &text[..end];
    let token = if token.len() >= 2 && token.starts_with('"') && token.ends_with('"') {
        token[1..token.len() - 1].to_string()
    } else {
        token.to_string()
    };
    Some((token, &text[end..]))
}

fn split_unquoted(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c == '"' {
            quoted = !quoted;
        } else if c == separator && !quoted {
            parts.push(&text[start..i]);
            start = i + 1;
        }
    }
    parts.push(&text[start..]);
    parts
}

fn unquote(value: &str) -> String {
    value.trim().trim_matches('"').to_string()
}

/// ssh-keygen's times: `YYYYMMDD`, `YYYYMMDDHHMM` or `YYYYMMDDHHMMSS`,
/// UTC (auditbook reads them as UTC with or without a trailing `Z`).
fn parse_time(value: &str) -> Result<i64, String> {
    let digits = value.strip_suffix(['Z', 'z']).unwrap_or(value);
    let invalid = || format!("`{value}` is not a time (YYYYMMDD[HHMM[SS]][Z])");
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    let time = match digits.len() {
        8 => NaiveDate::parse_from_str(digits, "%Y%m%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0)),
        12 => NaiveDateTime::parse_from_str(&format!("{digits}00"), "%Y%m%d%H%M%S").ok(),
        14 => NaiveDateTime::parse_from_str(digits, "%Y%m%d%H%M%S").ok(),
        _ => None,
    }
    .ok_or_else(invalid)?;
    Ok(time.and_utc().timestamp())
}

/// OpenSSH's `match_pattern_list`: `text` against comma-separated
/// patterns with `*` and `?`; a matching `!pattern` refuses.
fn match_pattern_list(text: &str, patterns: &str) -> bool {
    let text = text.to_ascii_lowercase();
    let mut matched = false;
    for pattern in patterns.split(',') {
        let pattern = pattern.trim().to_ascii_lowercase();
        if let Some(negated) = pattern.strip_prefix('!') {
            if match_pattern(&text, negated) {
                return false;
            }
        } else if match_pattern(&text, &pattern) {
            matched = true;
        }
    }
    matched
}

fn match_pattern(text: &str, pattern: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    let pattern: Vec<char> = pattern.chars().collect();
    let (mut t, mut p) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            t += 1;
            p += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some(p);
            mark = t;
            p += 1;
        } else if let Some(s) = star {
            p = s + 1;
            mark += 1;
            t = mark;
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFnPoiLBu6sw72yY3O2eESTlL3fMbYlAXY1KIVab2fF2";

    #[test]
    fn parses_principals_options_and_windows() {
        let text = format!(
            "# comment\n\nalice@example.com,\"bob@example.com\" namespaces=\"git,file\",valid-after=\"20260101\",valid-before=\"202606301200Z\" {KEY} alice\n\"*@example.com\" {KEY}\n"
        );
        let signers = AllowedSigners::parse(Path::new("allowed"), &text).unwrap();
        assert_eq!(signers.signers.len(), 2);
        let first = &signers.signers[0];
        assert_eq!(first.principals, "alice@example.com,\"bob@example.com\"");
        assert_eq!(
            first.namespaces.as_deref(),
            Some(&["git".to_string(), "file".to_string()][..])
        );
        assert_eq!(first.valid_after, Some(1_767_225_600));
        assert_eq!(first.valid_before, Some(1_782_820_800));
        assert!(first.valid_at(1_767_225_600) && !first.valid_at(1_767_225_599));
        assert!(signers.signers[1].namespaces.is_none());
        assert!(match_pattern_list("carol@example.com", "*@example.com"));
        assert!(!match_pattern_list(
            "carol@example.com",
            "*@example.com,!carol*"
        ));
        assert!(match_pattern_list("Alice@Example.com", "alice@example.com"));
    }

    #[test]
    fn malformed_lines_name_the_file_and_line() {
        for bad in [
            "alice",
            "alice ssh-ed25519 AAAAnotbase64",
            &format!("alice valid-after=\"2026\" {KEY}"),
            &format!("alice frobnicate {KEY}"),
        ] {
            let error = AllowedSigners::parse(Path::new("trust/allowed"), &format!("\n{bad}\n"))
                .unwrap_err()
                .to_string();
            assert!(error.starts_with("trust/allowed:2: "), "{error}");
        }
    }

    #[test]
    fn garbage_signatures_are_bad_and_never_panic() {
        let signers = AllowedSigners::default();
        let commit = CommitInfo {
            committer_email: "a@example.com",
            time: 0,
        };
        for garbage in [
            &b""[..],
            b"-----BEGIN SSH SIGNATURE-----\n%%%\n-----END SSH SIGNATURE-----\n",
            b"-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n",
        ] {
            assert_eq!(
                signers.check(garbage, b"payload", &commit).letter,
                Letter::B
            );
        }
    }
}
