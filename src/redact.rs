//! Secret redaction for text evidence: cloud keys, tokens, private keys,
//! passwords in URLs and in assignments become `[REDACTED:<kind>]` before
//! anything of the text is shown or bundled.
//!
//! One combined regular expression, compiled once, finds every kind; a
//! cheap literal prefilter (a set of substrings every secret pattern
//! needs, searched with SIMD by aho-corasick) lets the common line
//! through without running it. A private key block spans lines, so a
//! [`Redactor`] remembers whether it is inside one: use one redactor per
//! text, fed its lines in order.
//!
//! Coverage is what the prefilter sees: keyword assignments are found in
//! lower, upper and capitalised spellings (`password`, `PASSWORD`,
//! `Password`), not in every mixed case.

use std::borrow::Cow;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::{Captures, Regex};

/// Substrings at least one of which every secret the patterns find
/// contains. A line with none of them is left alone.
const TRIGGERS: &[&str] = &[
    "PRIVATE KEY",
    "AKIA",
    "ASIA",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xox",
    "eyJ",
    "://",
    "uthorization",
    "UTHORIZATION",
    "assw",
    "ASSW",
    "ecret",
    "ECRET",
    "oken",
    "OKEN",
    "pi_key",
    "pi-key",
    "pikey",
    "piKey",
    "PI_KEY",
    "PI-KEY",
    "PIKEY",
    "ccess_key",
    "ccess-key",
    "ccessKey",
    "CCESS_KEY",
    "CCESS-KEY",
    "rivate_key",
    "rivate-key",
    "rivateKey",
    "RIVATE_KEY",
    "RIVATE-KEY",
    "redential",
    "REDENTIAL",
];

/// The triggers that are token shapes; the others are keywords, which
/// only matter with a `:` or `=` after them (every keyword pattern needs
/// one).
const SHAPES: &[&str] = &[
    "PRIVATE KEY",
    "AKIA",
    "ASIA",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xox",
    "eyJ",
    "://",
];

/// Whether `line` may hold a secret the patterns find: a cheap literal
/// search that lets most lines skip the patterns.
fn may_hold_secret(line: &str) -> bool {
    TRIGGER.find_iter(line).any(|found| {
        SHAPES.contains(&TRIGGERS[found.pattern().as_usize()])
            || line
                .get(found.end()..)
                .is_some_and(|after| after.contains([':', '=']))
    })
}

/// The triggers, searched as literals (SIMD, and without the scratch
/// space a regex takes from a shared pool on every search, which costs
/// more than the search on a short line).
static TRIGGER: LazyLock<AhoCorasick> = LazyLock::new(|| {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .build(TRIGGERS)
        .expect("constant triggers")
});

/// Every secret pattern, in priority order (leftmost match wins, then the
/// first alternative).
const SECRET_PATTERN: &str = r#"(?x)
  (?P<pk>-----BEGIN[A-Z0-9\x20]*PRIVATE\x20KEY[A-Z\x20]*-----
         (?P<pk_end>.*?-----END[A-Z0-9\x20]*PRIVATE\x20KEY[A-Z\x20]*-----)?)
| (?P<aws_secret_key>(?i:aws_?secret_?(?:access_?)?key)["']?\s*(?:=>|[:=])\s*["']?)
  (?P<aws_secret>[A-Za-z0-9/+=]{40})
| (?P<aws_id>(?-u:\b)(?:AKIA|ASIA)[0-9A-Z]{16}(?-u:\b))
| (?P<github>(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255}))
| (?P<gitlab>(?-u:\b)glpat-[A-Za-z0-9_-]{20,255})
| (?P<slack_webhook>https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_+-]{8,})
| (?P<slack>(?-u:\b)xox[abprs]-[A-Za-z0-9-]{10,255})
| (?P<jwt>(?-u:\b)eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,})
| (?P<url_prefix>(?-u:\b)[A-Za-z][A-Za-z0-9+.-]*://[^\s:/?\#@"'<>]*:)
  (?P<url_password>[^\s@/"'<>]+)@
| (?P<bearer_prefix>(?i:authorization)["']?\s*[:=]\s*["']?(?i:bearer|basic|token)\s+)
  (?P<bearer>[A-Za-z0-9._~+/=-]{8,})
| (?P<assign_prefix>(?i:[A-Za-z0-9_.-]*(?:password|passwd|secret|token|api[_-]?key|apikey
      |access[_-]?key|private[_-]?key|client[_-]?secret|credentials?))
    ["']?\s*(?:=>|[:=])\s*["']?)
  (?P<assign>[^\s"'`,;&)]{8,})
"#;

static SECRETS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(SECRET_PATTERN).expect("constant secret pattern"));

static PRIVATE_KEY_END: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"-----END[A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----").expect("constant pattern")
});

const PRIVATE_KEY: &str = "[REDACTED:private-key]";

/// Redacts secrets line by line, remembering whether it is inside a
/// private key block.
#[derive(Debug, Default)]
pub struct Redactor {
    in_private_key: bool,
}

impl Redactor {
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// Whether the last line ended inside a private key block.
    pub fn in_private_key(&self) -> bool {
        self.in_private_key
    }

    /// The line with every secret replaced by `[REDACTED:<kind>]`, and how
    /// many secrets were replaced (a private key block counts once). Lines
    /// inside a private key block are replaced whole.
    pub fn redact_line<'a>(&mut self, line: &'a str) -> (Cow<'a, str>, usize) {
        let mut out = String::new();
        let mut rest = line;
        if self.in_private_key {
            match PRIVATE_KEY_END.find(line) {
                None => return (Cow::Borrowed(PRIVATE_KEY), 0),
                Some(end) => {
                    self.in_private_key = false;
                    out.push_str(PRIVATE_KEY);
                    rest = &line[end.end()..];
                }
            }
        }
        if !may_hold_secret(rest) {
            return if out.is_empty() {
                (Cow::Borrowed(line), 0)
            } else {
                out.push_str(rest);
                (Cow::Owned(out), 0)
            };
        }
        let mut count = 0;
        let mut last = 0;
        let mut changed = !out.is_empty();
        for caps in SECRETS.captures_iter(rest) {
            let Some(whole) = caps.get(0) else { continue };
            let Some(replacement) = self.replacement(&caps) else {
                continue;
            };
            out.push_str(&rest[last..whole.start()]);
            out.push_str(&replacement);
            last = whole.end();
            count += 1;
            changed = true;
            if self.in_private_key {
                // The block runs to the end of the line and beyond.
                last = rest.len();
                break;
            }
        }
        if !changed {
            return (Cow::Borrowed(line), 0);
        }
        out.push_str(&rest[last..]);
        (Cow::Owned(out), count)
    }

    /// [`redact_line`] for a line read as bytes, its line ending (if any)
    /// kept. A line without secrets comes back as it was, invalid UTF-8
    /// included; a line with one is read lossily.
    ///
    /// [`redact_line`]: Redactor::redact_line
    pub fn redact_bytes<'a>(&mut self, line: &'a [u8]) -> (Cow<'a, [u8]>, usize) {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        let ending = line.get(body.len()..).unwrap_or_default();
        let text = crate::evidence::common::lossy_utf8(body);
        let (redacted, n) = self.redact_line(&text);
        match redacted {
            Cow::Borrowed(same) if same.len() == text.len() && same == text.as_ref() => {
                (Cow::Borrowed(line), n)
            }
            redacted => {
                let mut out = redacted.into_owned().into_bytes();
                out.extend_from_slice(ending);
                (Cow::Owned(out), n)
            }
        }
    }

    /// [`redact_bytes`] over a block of whole lines in order (only the
    /// last may lack its line ending), with the same result as feeding it
    /// the lines one by one: borrowed when no line changed. The triggers
    /// are searched once over the block, and only a line holding one (or
    /// inside a private key block) goes through [`redact_bytes`]; a line
    /// without one is left alone there too. The triggers are ASCII, and
    /// reading a line lossily keeps its ASCII bytes, so a search over the
    /// bytes finds what the search over the line's text finds.
    ///
    /// [`redact_bytes`]: Redactor::redact_bytes
    pub fn redact_block<'a>(&mut self, block: &'a [u8]) -> (Cow<'a, [u8]>, usize) {
        let mut out: Option<Vec<u8>> = None;
        let mut count = 0;
        // The next line to look at, and the start of what is not yet
        // copied to `out` (kept as it is).
        let mut at = 0;
        let mut kept = 0;
        while at < block.len() {
            let start = if self.in_private_key {
                at
            } else {
                match TRIGGER.find(&block[at..]) {
                    None => break,
                    Some(found) => memchr::memrchr(b'\n', &block[at..at + found.start()])
                        .map_or(at, |newline| at + newline + 1),
                }
            };
            let end = memchr::memchr(b'\n', &block[start..])
                .map_or(block.len(), |newline| start + newline + 1);
            let line = &block[start..end];
            let (clean, n) = self.redact_bytes(line);
            count += n;
            if *clean != *line {
                let buf = out.get_or_insert_with(|| Vec::with_capacity(block.len() + 64));
                buf.extend_from_slice(&block[kept..start]);
                buf.extend_from_slice(&clean);
                kept = end;
            }
            at = end;
        }
        match out {
            None => (Cow::Borrowed(block), count),
            Some(mut buf) => {
                buf.extend_from_slice(&block[kept..]);
                (Cow::Owned(buf), count)
            }
        }
    }

    /// What replaces one match, or `None` to leave it (a placeholder, not
    /// a secret).
    fn replacement(&mut self, caps: &Captures) -> Option<String> {
        let text = |name: &str| caps.name(name).map_or("", |m| m.as_str());
        if caps.name("pk").is_some() {
            if caps.name("pk_end").is_none() {
                self.in_private_key = true;
            }
            return Some(PRIVATE_KEY.to_string());
        }
        if caps.name("aws_secret").is_some() {
            return Some(format!(
                "{}[REDACTED:aws-secret-access-key]",
                text("aws_secret_key")
            ));
        }
        for (group, kind) in [
            ("aws_id", "aws-access-key-id"),
            ("github", "github-token"),
            ("gitlab", "gitlab-token"),
            ("slack_webhook", "slack-webhook"),
            ("slack", "slack-token"),
            ("jwt", "jwt"),
        ] {
            if caps.name(group).is_some() {
                return Some(format!("[REDACTED:{kind}]"));
            }
        }
        if caps.name("url_password").is_some() {
            return Some(format!("{}[REDACTED:url-password]@", text("url_prefix")));
        }
        if caps.name("bearer").is_some() {
            return Some(format!("{}[REDACTED:bearer-token]", text("bearer_prefix")));
        }
        if let Some(value) = caps.name("assign") {
            let value = value.as_str();
            if is_placeholder(value) {
                return None;
            }
            return Some(format!(
                "{}[REDACTED:{}]",
                text("assign_prefix"),
                kind_of_value(value)
            ));
        }
        None
    }
}

/// Values of `password=` and the like that are not secrets: variable
/// references, masks, earlier redactions.
fn is_placeholder(value: &str) -> bool {
    value.starts_with(['$', '%', '{', '<', '[', '('])
        || value
            .chars()
            .all(|c| matches!(c, '*' | 'x' | 'X' | '•' | '.'))
}

/// The kind of an assigned secret whose value has a known shape.
fn kind_of_value(value: &str) -> &'static str {
    const SHAPES: &[(&str, &str)] = &[
        ("ghp_", "github-token"),
        ("gho_", "github-token"),
        ("ghu_", "github-token"),
        ("ghs_", "github-token"),
        ("ghr_", "github-token"),
        ("github_pat_", "github-token"),
        ("glpat-", "gitlab-token"),
        ("xox", "slack-token"),
        ("eyJ", "jwt"),
        ("AKIA", "aws-access-key-id"),
        ("ASIA", "aws-access-key-id"),
    ];
    SHAPES
        .iter()
        .find(|(prefix, _)| value.starts_with(prefix))
        .map_or("secret", |(_, kind)| kind)
}

/// Redacts a whole text (several lines), with a fresh redactor.
pub fn redact_text(text: &str) -> (Cow<'_, str>, usize) {
    let mut redactor = Redactor::new();
    let mut out: Option<String> = None;
    let mut count = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let (redacted, n) = redactor.redact_line(body);
        count += n;
        match (&mut out, redacted) {
            (None, Cow::Borrowed(_)) => {}
            (slot, redacted) => {
                let buf = slot.get_or_insert_with(|| text[..offset].to_string());
                buf.push_str(&redacted);
                buf.push_str(&line[body.len()..]);
            }
        }
        offset += line.len();
    }
    match out {
        Some(text) => (Cow::Owned(text), count),
        None => (Cow::Borrowed(text), count),
    }
}

/// The redaction of `text` fed to one redactor line by line: what
/// [`Redactor::redact_block`] must equal.
#[cfg(test)]
pub(crate) fn redact_by_lines(text: &[u8]) -> (Vec<u8>, usize) {
    let mut redactor = Redactor::new();
    let mut out = Vec::with_capacity(text.len());
    let mut count = 0;
    for line in text.split_inclusive(|&b| b == b'\n') {
        let (clean, n) = redactor.redact_bytes(line);
        out.extend_from_slice(&clean);
        count += n;
    }
    (out, count)
}

/// Lines with secrets of every kind among plain ones: CRLF endings,
/// invalid UTF-8, private key blocks (on one line, across lines, at the
/// start and at the end), keywords without an assignment, placeholders;
/// the last line has no line ending.
#[cfg(test)]
pub(crate) fn secret_corpus() -> Vec<u8> {
    let lines: &[&[u8]] = &[
        b"-----BEGIN OPENSSH PRIVATE KEY-----\r\n",
        b"b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\xff\n",
        b"-----END OPENSSH PRIVATE KEY----- trailing password=hunter2hunter2\r\n",
        b"plain line with a token mentioned\n",
        b"the token: ${{ secrets.X }}\n",
        b"\xfe\xfe invalid then AKIAIOSFODNN7EXAMPLE\r\n",
        b"key AKIAIOSFODNN7EXAMPLE and \xc3( broken\n",
        b"\n",
        b"\r\n",
        b"postgres://admin:s3cr3t@db.example.com:5432/app\n",
        b"see https://github.com/org/repo\n",
        b"Authorization: Bearer abcdef0123456789\n",
        b"{\"key\": \"-----BEGIN RSA PRIVATE KEY-----\\nMII\\n-----END RSA PRIVATE KEY-----\"}\n",
        b"lone\rcarriage return password=correcthorse\n",
        b"binary \xff\xfe ghp_ no secret\n",
        b"-----BEGIN EC PRIVATE KEY-----\n",
        b"MHcCAQEEI\x80\n",
        b"-----END EC PRIVATE KEY-----\n",
        b"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
        b"-----BEGIN PRIVATE KEY-----\n",
        b"GHP_TOKEN=ghp_a1B2c3D4e5a1B2c3D4e5a1B2c3D4e5a1B2c3D4e5",
    ];
    let mut text = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        text.extend_from_slice(format!("{i} plain {}\n", "x".repeat(i * 7)).as_bytes());
        text.extend_from_slice(line);
    }
    text
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn bytes_keep_their_line_ending_and_invalid_utf8() {
        let mut redactor = Redactor::new();
        let line = b"plain \xff text\r\n";
        assert_eq!(redactor.redact_bytes(line), (Cow::Borrowed(&line[..]), 0));
        let (out, n) = redactor.redact_bytes(b"key=AKIAIOSFODNN7EXAMPLE\n");
        assert_eq!((&*out, n), (&b"key=[REDACTED:aws-access-key-id]\n"[..], 1));
        let (out, _) = redactor.redact_bytes(b"-----BEGIN PRIVATE KEY-----\n");
        assert_eq!(&*out, b"[REDACTED:private-key]\n");
        let (out, _) = redactor.redact_bytes(b"MIIE\xff\n");
        assert_eq!(&*out, b"[REDACTED:private-key]\n");
    }

    fn redact(line: &str) -> (String, usize) {
        let (text, n) = Redactor::new().redact_line(line);
        (text.into_owned(), n)
    }

    /// Every text file of the test fixtures, and the secret corpus.
    fn texts() -> Vec<Vec<u8>> {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let mut texts = vec![secret_corpus()];
        for entry in walkdir::WalkDir::new(fixtures).sort_by_file_name() {
            let entry = entry.expect("fixtures are readable");
            if entry.file_type().is_file() {
                texts.push(std::fs::read(entry.path()).expect("fixture is readable"));
            }
        }
        texts
    }

    #[test]
    fn blocks_redact_like_lines() {
        let (corpus, n) = redact_by_lines(&secret_corpus());
        // The corpus holds secrets of every kind, across lines too.
        assert_eq!(n, 11);
        let corpus = String::from_utf8_lossy(&corpus);
        for gone in [
            "hunter2hunter2",
            "AKIAIOSFODNN7EXAMPLE",
            "s3cr3t",
            "MHcCAQEEI",
            "ghp_a1",
        ] {
            assert!(!corpus.contains(gone), "{gone} in {corpus}");
        }
        let mut redacted = 0;
        for text in texts() {
            let (expected, n) = redact_by_lines(&text);
            redacted += n;
            let (whole, m) = Redactor::new().redact_block(&text);
            assert_eq!((&*whole, m), (&expected[..], n));
            assert_eq!(matches!(whole, Cow::Borrowed(_)), expected == text);
            // Cut into blocks of a few lines each, fed to one redactor.
            let lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
            for size in [1, 2, 3, 7] {
                let mut redactor = Redactor::new();
                let mut out = Vec::new();
                let mut count = 0;
                for block in lines.chunks(size) {
                    let block = block.concat();
                    let (clean, n) = redactor.redact_block(&block);
                    out.extend_from_slice(&clean);
                    count += n;
                }
                assert_eq!(
                    (out, count),
                    (expected.clone(), n),
                    "blocks of {size} lines"
                );
            }
        }
        assert!(redacted > n, "the fixtures hold secrets too");
    }

    #[test]
    fn aws_access_key_ids() {
        assert_eq!(
            redact("key AKIAIOSFODNN7EXAMPLE here"),
            ("key [REDACTED:aws-access-key-id] here".into(), 1)
        );
        assert_eq!(
            redact("ASIAY34FZKBOKMUTVV7A,"),
            ("[REDACTED:aws-access-key-id],".into(), 1)
        );
        // Too short, or part of a longer word.
        assert_eq!(redact("AKIA1234").1, 0);
        assert_eq!(redact("XAKIAIOSFODNN7EXAMPLEX").1, 0);
    }

    #[test]
    fn aws_secret_keys_in_context() {
        assert_eq!(
            redact("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            (
                "aws_secret_access_key = [REDACTED:aws-secret-access-key]".into(),
                1
            )
        );
        assert_eq!(
            redact("export AWS_SECRET_ACCESS_KEY=\"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"").0,
            "export AWS_SECRET_ACCESS_KEY=\"[REDACTED:aws-secret-access-key]\""
        );
    }

    #[test]
    fn github_gitlab_and_slack_tokens() {
        let ghp = format!("ghp_{}", "a1B2c3D4e5".repeat(4));
        assert_eq!(
            redact(&format!("token {ghp} end")),
            ("token [REDACTED:github-token] end".into(), 1)
        );
        let pat = format!("github_pat_{}", "11ABCDEFG0_abcdefghij".repeat(3));
        assert_eq!(redact(&pat).0, "[REDACTED:github-token]");
        for prefix in ["gho_", "ghu_", "ghs_", "ghr_"] {
            let token = format!("{prefix}{}", "Z9".repeat(18));
            assert_eq!(redact(&token), ("[REDACTED:github-token]".into(), 1));
        }
        assert_eq!(
            redact("using glpat-xxxxXXXXxxxxXXXX1234 now").0,
            "using [REDACTED:gitlab-token] now"
        );
        assert_eq!(
            redact("xoxb-123456789012-1234567890123-AbCdEfGhIjKl").0,
            "[REDACTED:slack-token]"
        );
        assert_eq!(
            redact("post to https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXX ok").0,
            "post to [REDACTED:slack-webhook] ok"
        );
    }

    #[test]
    fn private_key_blocks_span_lines() {
        let mut redactor = Redactor::new();
        let lines = [
            "before",
            "-----BEGIN RSA PRIVATE KEY-----",
            "MIIEowIBAAKCAQEA1234",
            "abcdEFGH==",
            "-----END RSA PRIVATE KEY----- after",
            "clear",
        ];
        let out: Vec<(String, usize)> = lines
            .iter()
            .map(|l| {
                let (t, n) = redactor.redact_line(l);
                (t.into_owned(), n)
            })
            .collect();
        assert_eq!(out[0], ("before".into(), 0));
        assert_eq!(out[1], (PRIVATE_KEY.into(), 1));
        assert_eq!(out[2], (PRIVATE_KEY.into(), 0));
        assert_eq!(out[3], (PRIVATE_KEY.into(), 0));
        assert_eq!(out[4], (format!("{PRIVATE_KEY} after"), 0));
        assert_eq!(out[5], ("clear".into(), 0));
        assert!(!redactor.in_private_key());

        // On one line (a JSON string), the block is replaced in place.
        assert_eq!(
            redact(
                r#"{"key": "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----\n"}"#
            ),
            (format!(r#"{{"key": "{PRIVATE_KEY}\n"}}"#), 1)
        );
        let (text, n) =
            redact_text("a\n-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF\n-----END PGP PRIVATE KEY BLOCK-----\nb\n");
        assert_eq!(
            text,
            format!("a\n{PRIVATE_KEY}\n{PRIVATE_KEY}\n{PRIVATE_KEY}\nb\n")
        );
        assert_eq!(n, 1);
    }

    #[test]
    fn jwts() {
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        assert_eq!(redact(&format!("jwt={jwt};")).0, "jwt=[REDACTED:jwt];");
    }

    #[test]
    fn passwords_in_urls_keep_the_user() {
        assert_eq!(
            redact("postgres://admin:s3cr3t@db.example.com:5432/app"),
            (
                "postgres://admin:[REDACTED:url-password]@db.example.com:5432/app".into(),
                1
            )
        );
        assert_eq!(
            redact("git clone https://x-access-token:abc123@github.com/o/r.git").0,
            "git clone https://x-access-token:[REDACTED:url-password]@github.com/o/r.git"
        );
        // A port is not a password.
        assert_eq!(redact("https://example.com:8443/a@b").1, 0);
        assert_eq!(redact("see https://github.com/org/repo").1, 0);
    }

    #[test]
    fn generic_assignments_with_long_values() {
        assert_eq!(
            redact("password=hunter2hunter2"),
            ("password=[REDACTED:secret]".into(), 1)
        );
        assert_eq!(
            redact("DD_DATABASE_PASSWORD: 'correcthorse'").0,
            "DD_DATABASE_PASSWORD: '[REDACTED:secret]'"
        );
        assert_eq!(
            redact(r#"{"client_secret": "0123456789abcdef"}"#).0,
            r#"{"client_secret": "[REDACTED:secret]"}"#
        );
        assert_eq!(
            redact("Authorization: Bearer abcdef0123456789").0,
            "Authorization: Bearer [REDACTED:bearer-token]"
        );
        // Short values, masks and references are not secrets.
        assert_eq!(redact("password=short").1, 0);
        assert_eq!(redact("password: ********").1, 0);
        assert_eq!(redact("token: ${{ secrets.GITHUB_TOKEN }}").1, 0);
        assert_eq!(redact("secret=$DEPLOY_SECRET_VALUE").1, 0);
    }

    #[test]
    fn no_false_positives() {
        for line in [
            "commit 6d127980966808f7413935678e079dcd7fedf9c2",
            "run 550e8400-e29b-41d4-a716-446655440000 started",
            "The password policy requires rotation every 90 days",
            "token_env = \"GITHUB_TOKEN\"",
            "Secret source: Actions",
            "PWD=/home/runner/work/app",
            "max_tokens=4096 tokenizer=cl100k_base",
            "Downloading https://files.pythonhosted.org/packages/ab/cd/x.whl",
            "sha256:39549bf49d696f172a6513103cdc8f53717024ad1fbce62d680a8e7ddde1a612",
            "2024-07-08T16:48:09.3763139Z ##[group]GITHUB_TOKEN Permissions",
            "Ordinary words: keys, tokens, passwords and secrets.",
            "",
        ] {
            assert_eq!(redact(line), (line.to_string(), 0), "{line}");
        }
    }

    #[test]
    fn keywords_without_an_assignment_skip_the_patterns() {
        assert!(!may_hold_secret("the token was refreshed"));
        assert!(may_hold_secret("the token: abc"));
        assert!(!may_hold_secret("a: the token"));
        assert!(may_hold_secret("clone https://example.com/x"));
        assert!(SHAPES.iter().all(|shape| TRIGGERS.contains(shape)));
    }

    #[test]
    fn redaction_is_idempotent() {
        let once = redact("password=hunter2hunter2 AKIAIOSFODNN7EXAMPLE").0;
        assert_eq!(redact(&once), (once.clone(), 0));
    }

    #[test]
    fn every_pattern_passes_the_prefilter() {
        for secret in [
            "AKIAIOSFODNN7EXAMPLE",
            "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "glpat-xxxxXXXXxxxxXXXX1234",
            "xoxp-1234567890-abcdef",
            "-----BEGIN PRIVATE KEY-----",
            "Password: correcthorse",
            "API_KEY=0123456789abcdef",
            "apiKey: 0123456789abcdef",
            "AUTHORIZATION: Basic dXNlcjpwYXNzd29yZA==",
            "CREDENTIALS=0123456789abcdef",
        ] {
            assert!(may_hold_secret(secret), "{secret}");
            assert_eq!(redact(secret).1, 1, "{secret}");
        }
    }
}
