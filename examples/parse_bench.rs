//! Parse throughput of `auditbook::evidence::read` against `sha256sum` over
//! the same bytes, and a constant-memory check on a very large CI log. Not
//! a timed test: numbers for a closing note or a regression hunt.
//!
//! ```text
//! # ≥ 100 MB each of SARIF, JUnit XML and a GitHub Actions log with secrets:
//! cargo run --release --example parse_bench -- [--mb 128] [--dir DIR] [--keep]
//!
//! # Peak memory while parsing a 2 GB log:
//! cargo run --release --example parse_bench -- gen-log /tmp/big.log --gb 2
//! /usr/bin/time -v target/release/examples/parse_bench parse /tmp/big.log
//! rm /tmp/big.log
//! ```
//!
//! The files are generated from a fixed seed, so every run reads the same
//! bytes. Each file is read once to warm the page cache, then timed (best
//! of five) with `sha256sum` and with `evidence::read`, which hashes and
//! parses in one pass (redacting the log as it streams; large files are
//! hashed on a second thread while they are parsed).

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    match args.first().map(String::as_str) {
        Some("gen-log") => {
            let path = PathBuf::from(args.get(1).expect("gen-log PATH"));
            let gb: f64 = flag("--gb").map_or(2.0, |v| v.parse().expect("--gb N"));
            let bytes = (gb * 1024.0 * 1024.0 * 1024.0) as u64;
            let started = Instant::now();
            generate(&path, Format::Log, bytes)?;
            eprintln!(
                "wrote {} ({:.0} MB) in {:.1?}",
                path.display(),
                mb(file_len(&path)),
                started.elapsed()
            );
            Ok(())
        }
        Some("parse") => {
            let path = PathBuf::from(args.get(1).expect("parse PATH"));
            let started = Instant::now();
            let facts = auditbook::evidence::read(&path)?;
            let elapsed = started.elapsed();
            println!(
                "{}: {} {:.0} MB in {:.2?} ({:.0} MB/s), sha256 {}\nsummary {}",
                path.display(),
                facts.kind.as_str(),
                mb(facts.size),
                elapsed,
                mb(facts.size) / elapsed.as_secs_f64(),
                facts.sha256,
                serde_json::to_string(&facts.summary).unwrap_or_default()
            );
            Ok(())
        }
        _ => {
            let size_mb: u64 = flag("--mb").map_or(128, |v| v.parse().expect("--mb N"));
            let dir = flag("--dir").map_or_else(
                || std::env::temp_dir().join("auditbook-parse-bench"),
                PathBuf::from,
            );
            std::fs::create_dir_all(&dir)?;
            println!(
                "{:<6} {:>7} {:>12} {:>12} {:>7}  summary",
                "format", "MB", "sha256sum", "auditbook", "ratio"
            );
            for format in [Format::Sarif, Format::Junit, Format::Log] {
                let path = dir.join(format.file_name());
                generate(&path, format, size_mb * 1024 * 1024)?;
                bench(&path)?;
            }
            if !args.iter().any(|a| a == "--keep") {
                std::fs::remove_dir_all(&dir)?;
            }
            Ok(())
        }
    }
}

fn bench(path: &Path) -> io::Result<()> {
    // Warm the page cache so both sides read from memory.
    io::copy(&mut File::open(path)?, &mut io::sink())?;
    let size = file_len(path);

    let mut sha = Duration::MAX;
    let mut sha_hex = String::new();
    for _ in 0..5 {
        let started = Instant::now();
        let output = Command::new("sha256sum").arg(path).output()?;
        sha = sha.min(started.elapsed());
        sha_hex = String::from_utf8_lossy(&output.stdout)
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
    }
    let mut ours = Duration::MAX;
    let mut facts = None;
    for _ in 0..5 {
        let started = Instant::now();
        let read = auditbook::evidence::read(path)?;
        ours = ours.min(started.elapsed());
        facts = Some(read);
    }
    let facts = facts.expect("five runs");
    assert_eq!(facts.sha256, sha_hex, "hashes differ");
    let speed = |d: Duration| mb(size) / d.as_secs_f64();
    println!(
        "{:<6} {:>7.0} {:>8.0} MB/s {:>7.0} MB/s {:>6.2}x  {} {}",
        facts.kind.as_str(),
        mb(size),
        speed(sha),
        speed(ours),
        speed(ours) / speed(sha),
        serde_json::to_string(&facts.summary).unwrap_or_default(),
        facts.problem.map(|p| p.message).unwrap_or_default()
    );
    Ok(())
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

#[derive(Clone, Copy)]
enum Format {
    Sarif,
    Junit,
    Log,
}

impl Format {
    fn file_name(self) -> &'static str {
        match self {
            Format::Sarif => "bench.sarif",
            Format::Junit => "bench-junit.xml",
            Format::Log => "bench-job.log",
        }
    }
}

/// Writes a deterministic file of `format` of at least `bytes` bytes.
fn generate(path: &Path, format: Format, bytes: u64) -> io::Result<()> {
    let mut out = Counting {
        inner: BufWriter::with_capacity(1 << 20, File::create(path)?),
        written: 0,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(2026);
    match format {
        Format::Sarif => sarif(&mut out, &mut rng, bytes)?,
        Format::Junit => junit(&mut out, &mut rng, bytes)?,
        Format::Log => log(&mut out, &mut rng, bytes)?,
    }
    out.inner.flush()
}

struct Counting<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

const WORDS: &[&str] = &[
    "buffer", "request", "handler", "user", "input", "query", "token", "session", "path", "value",
    "length", "index", "pointer", "config", "response", "stream", "account", "ledger", "payment",
    "schema", "cache", "worker", "retry", "timeout", "upstream",
];

fn sentence(rng: &mut ChaCha8Rng, words: usize) -> String {
    let mut text = String::new();
    for i in 0..words {
        if i > 0 {
            text.push(' ');
        }
        text.push_str(WORDS[rng.gen_range(0..WORDS.len())]);
    }
    text
}

fn sarif(out: &mut Counting<impl Write>, rng: &mut ChaCha8Rng, bytes: u64) -> io::Result<()> {
    const RULES: usize = 300;
    let levels = ["error", "warning", "note", "none"];
    write!(
        out,
        "{{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n  \"runs\": [\n    {{\n      \"tool\": {{\n        \"driver\": {{\n          \"name\": \"BenchScanner\",\n          \"semanticVersion\": \"1.2.3\",\n          \"rules\": ["
    )?;
    for i in 0..RULES {
        let mut rule = format!(
            "{}\n            {{\"id\": \"bench/rule-{i:03}\", \"name\": \"Rule{i}\", \"shortDescription\": {{\"text\": \"{}\"}}, \"defaultConfiguration\": {{\"level\": \"{}\"}}, \"properties\": {{\"tags\": [\"security\", \"external/cwe/cwe-{}\"]",
            if i == 0 { "" } else { "," },
            sentence(rng, 6),
            levels[i % 3],
            rng.gen_range(20..900)
        );
        if i % 2 == 0 {
            let _ = write!(
                rule,
                ", \"security-severity\": \"{:.1}\"",
                rng.gen_range(0.0..10.0)
            );
        }
        rule.push_str("}}");
        out.write_all(rule.as_bytes())?;
    }
    write!(
        out,
        "\n          ]\n        }}\n      }},\n      \"invocations\": [{{\"executionSuccessful\": true, \"startTimeUtc\": \"2026-06-22T10:00:00Z\", \"endTimeUtc\": \"2026-06-22T10:42:00Z\"}}],\n      \"results\": ["
    )?;
    let mut first = true;
    let mut n = 0u64;
    while out.written < bytes {
        let rule = rng.gen_range(0..RULES);
        let mut result = String::with_capacity(1024);
        let _ = write!(
            result,
            "{}\n        {{\n          \"ruleId\": \"bench/rule-{rule:03}\",\n          \"ruleIndex\": {rule},\n",
            if first { "" } else { "," }
        );
        if n % 5 == 0 {
            let _ = writeln!(
                result,
                "          \"level\": \"{}\",",
                levels[rng.gen_range(0..4)]
            );
        }
        let _ = write!(
            result,
            "          \"message\": {{\n            \"text\": \"Possible {} in [{}](1): {}.\"\n          }},\n          \"locations\": [\n            {{\n              \"physicalLocation\": {{\n                \"artifactLocation\": {{\n                  \"uri\": \"src/{}/{}.go\",\n                  \"uriBaseId\": \"%SRCROOT%\",\n                  \"index\": {}\n                }},\n                \"region\": {{\n                  \"startLine\": {},\n                  \"startColumn\": {},\n                  \"endColumn\": {}\n                }}\n              }}\n            }}\n          ],\n          \"partialFingerprints\": {{\n            \"primaryLocationLineHash\": \"{:016x}:1\"\n          }}",
            sentence(rng, 2),
            sentence(rng, 1),
            sentence(rng, 12),
            sentence(rng, 1),
            sentence(rng, 1),
            rng.gen_range(0..5000),
            rng.gen_range(1..3000),
            rng.gen_range(1..80),
            rng.gen_range(80..120),
            rng.gen::<u64>()
        );
        if n % 50 == 7 {
            result.push_str(
                ",\n          \"suppressions\": [{\"kind\": \"inSource\", \"justification\": \"false positive\"}]",
            );
        }
        result.push_str("\n        }");
        out.write_all(result.as_bytes())?;
        first = false;
        n += 1;
    }
    out.write_all(b"\n      ]\n    }\n  ]\n}\n")
}

fn junit(out: &mut Counting<impl Write>, rng: &mut ChaCha8Rng, bytes: u64) -> io::Result<()> {
    out.write_all(
        b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"bench\" timestamp=\"2026-10-21T09:41:12Z\">\n",
    )?;
    let mut suite = 0u64;
    while out.written < bytes {
        let mut text = String::with_capacity(64 * 1024);
        let _ = writeln!(
            text,
            "  <testsuite name=\"com.example.bench.Suite{suite}Test\" tests=\"100\" timestamp=\"2026-10-21T09:41:12\" time=\"1.5\">"
        );
        for case in 0..100 {
            let _ = write!(
                text,
                "    <testcase name=\"test_{}_{case}\" classname=\"com.example.bench.Suite{suite}Test\" time=\"0.0{}\"",
                sentence(rng, 3).replace(' ', "_"),
                rng.gen_range(1..99)
            );
            match rng.gen_range(0..100) {
                0..=2 => {
                    let _ = writeln!(
                        text,
                        ">\n      <failure message=\"expected &lt;{}&gt; but was &lt;{}&gt;\" type=\"java.lang.AssertionError\">java.lang.AssertionError: expected {}",
                        rng.gen_range(0..100),
                        rng.gen_range(0..100),
                        sentence(rng, 4)
                    );
                    for frame in 0..12 {
                        let _ = writeln!(
                            text,
                            "\tat com.example.bench.Suite{suite}Test.{}(Suite{suite}Test.java:{})",
                            sentence(rng, 1),
                            frame * 7 + 11
                        );
                    }
                    text.push_str("</failure>\n    </testcase>\n");
                }
                3 => {
                    let _ = writeln!(
                        text,
                        ">\n      <error message=\"{}\" type=\"java.lang.NullPointerException\"><![CDATA[java.lang.NullPointerException\n\tat x.y(Z.java:1)]]></error>\n    </testcase>",
                        sentence(rng, 5)
                    );
                }
                4..=6 => {
                    text.push_str(">\n      <skipped message=\"disabled\"/>\n    </testcase>\n")
                }
                7..=9 => {
                    let _ = writeln!(
                        text,
                        ">\n      <system-out><![CDATA[{}\n{}]]></system-out>\n    </testcase>",
                        sentence(rng, 10),
                        sentence(rng, 10)
                    );
                }
                _ => text.push_str("/>\n"),
            }
        }
        text.push_str("  </testsuite>\n");
        out.write_all(text.as_bytes())?;
        suite += 1;
    }
    out.write_all(b"</testsuites>\n")
}

fn log(out: &mut Counting<impl Write>, rng: &mut ChaCha8Rng, bytes: u64) -> io::Result<()> {
    let secrets = [
        "  AWS_ACCESS_KEY_ID: AKIAIOSFODNN7EXAMPLE",
        "  aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "git remote set-url origin https://x-access-token:ghs_16C7e42F292c6912E7710c838347Ae178B4a@github.com/o/r.git",
        "curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib3QifQ.c2lnbmF0dXJlLWJ5dGVz'",
        "  DATABASE_URL: postgres://ledger:s3cr3t-pa55@db.internal:5432/ledger",
        "  SLACK_WEBHOOK: https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "npm config set //registry.npmjs.org/:_authToken npm_0123456789abcdefghijABCDEFGHIJ012345 password=hunter2hunter2",
    ];
    let mut second = 0u64;
    let mut step = 0u64;
    while out.written < bytes {
        let mut chunk = String::with_capacity(64 * 1024);
        while chunk.len() < 60 * 1024 {
            second += 1;
            let stamp = format!(
                "2026-11-18T{:02}:{:02}:{:02}.{:07}Z ",
                (second / 3600) % 24,
                (second / 60) % 60,
                second % 60,
                rng.gen_range(0..10_000_000)
            );
            chunk.push_str(&stamp);
            match rng.gen_range(0..1000) {
                0..=9 => {
                    step += 1;
                    let _ = writeln!(chunk, "##[group]Run make step-{step}");
                }
                10..=19 => chunk.push_str("##[endgroup]\n"),
                20 => chunk.push_str("##[error]Process completed with exit code 2.\n"),
                21 => chunk.push_str("##[warning]Node.js 16 actions are deprecated.\n"),
                22..=26 => {
                    chunk.push_str(secrets[rng.gen_range(0..secrets.len())]);
                    chunk.push('\n');
                }
                27 => {
                    chunk.push_str("-----BEGIN OPENSSH PRIVATE KEY-----\n");
                    for _ in 0..4 {
                        chunk.push_str(&stamp);
                        chunk.push_str("b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n");
                    }
                    chunk.push_str(&stamp);
                    chunk.push_str("-----END OPENSSH PRIVATE KEY-----\n");
                }
                28..=127 => {
                    let words = rng.gen_range(3..10);
                    let _ = writeln!(chunk, "\u{1b}[36;1m{}\u{1b}[0m", sentence(rng, words));
                }
                128..=177 => {
                    let _ = writeln!(
                        chunk,
                        "Downloading https://registry.example.com/{}/{}-1.{}.tgz ({} kB)",
                        sentence(rng, 1),
                        sentence(rng, 1),
                        rng.gen_range(0..40),
                        rng.gen_range(1..900)
                    );
                }
                _ => {
                    let lead =
                        ["test", "  Compiling", "ok", "[INFO]", "+", "go:"][rng.gen_range(0..6)];
                    let words = rng.gen_range(4..14);
                    let _ = writeln!(chunk, "{lead} {}", sentence(rng, words));
                }
            }
        }
        out.write_all(chunk.as_bytes())?;
    }
    out.write_all(b"2026-11-18T23:59:59.0000000Z Cleaning up orphan processes\n")
}
