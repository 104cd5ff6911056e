//! The copy of each evidence file the portal links under `raw/`: text
//! redacted (see `Redactor::redact_block`), binary files unchanged. A copy
//! depends only on the file's content (its sha256) and the redactor, so it
//! is reused whenever those are unchanged, wherever the file moved.

use std::borrow::Cow;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::Context;

use super::output::Output;
use super::views::RawCopy;
use crate::cache::pages::Record;
use crate::cache::{Digest16, FileKey};
use crate::workspace::Evidence;

/// Lines of a text file shown on its evidence page.
const PREVIEW_LINES: usize = 200;
/// Bytes of a text file read for its preview.
const PREVIEW_BYTES: usize = 32 * 1024;

/// What the evidence page says of a copy, as a file record's note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Note {
    pub text: bool,
    pub redactions: usize,
}

impl Note {
    pub fn encode(self) -> u64 {
        ((self.redactions as u64) << 1) | u64::from(self.text)
    }

    pub fn decode(note: u64) -> Note {
        Note {
            text: note & 1 == 1,
            redactions: usize::try_from(note >> 1).unwrap_or(usize::MAX),
        }
    }
}

/// Text files up to this size are read whole, redacted in one pass and
/// written with one call; larger ones are streamed in blocks.
const WHOLE: u64 = 8 * 1024 * 1024;

/// Bytes at the start of a file that decide whether it is text.
const SNIFF: usize = 8192;

/// Whether a file starting with `head` is text: no NUL byte in its first
/// 8 KiB.
fn is_text(head: &[u8]) -> bool {
    !head[..head.len().min(SNIFF)].contains(&0)
}

/// Writes the copy of `item` (at `source`) to `raw`; returns its record,
/// its note and what the evidence page says of it (taken from the bytes
/// written, not read back).
pub fn write(
    output: &Output,
    raw: &str,
    source: &Path,
    item: &Evidence,
    fingerprint: Digest16,
) -> anyhow::Result<(Record, Note, RawCopy)> {
    let known = item.content_key.map(|key| (item.sha256.as_str(), key));
    write_with(output, raw, source, known, fingerprint, WHOLE)
}

/// [`write`] of a file whose sha256 is known while it has the given key,
/// with text files over `whole` bytes streamed.
fn write_with(
    output: &Output,
    raw: &str,
    source: &Path,
    known: Option<(&str, FileKey)>,
    fingerprint: Digest16,
    whole: u64,
) -> anyhow::Result<(Record, Note, RawCopy)> {
    let cannot_read = || format!("cannot read {}", source.display());
    let mut file = File::open(source).with_context(cannot_read)?;
    let metadata = file.metadata().with_context(cannot_read)?;
    let size = metadata.len();
    // The content hashed when the workspace was loaded, as long as the
    // file keeps its key until it has been read (checked again then); once
    // it changed, what is copied is hashed.
    let unchanged = known
        .filter(|(_, key)| *key == FileKey::of(&metadata))
        .and_then(|(sha256, key)| {
            let mut digest = [0u8; 32];
            hex::decode_to_slice(sha256, &mut digest).ok()?;
            Some((digest, key))
        });
    let mut bytes = Vec::with_capacity(if size <= whole {
        size as usize + 1
    } else {
        SNIFF
    });
    (&mut file)
        .take(SNIFF as u64)
        .read_to_end(&mut bytes)
        .with_context(cannot_read)?;
    if !is_text(&bytes) {
        let record = output.copy(raw, source, file, unchanged, fingerprint)?;
        let note = Note {
            text: false,
            redactions: 0,
        };
        return Ok((with_note(record, note), note, describe_bytes(&[], note)));
    }
    let mut redactor = crate::redact::Redactor::new();
    let (record, redactions, head) = if size <= whole {
        file.read_to_end(&mut bytes).with_context(cannot_read)?;
        let unchanged = unchanged.filter(|(_, key)| FileKey::of_file(&file) == Some(*key));
        drop(file);
        let (clean, redactions) = redactor.redact_block(&bytes);
        // Nothing redacted: the copy is the file, whose sha256 may be known.
        let sha256 = unchanged
            .filter(|_| matches!(clean, Cow::Borrowed(_)))
            .map(|(sha256, _)| sha256);
        let record = output.write_known(raw, &clean, fingerprint, sha256)?;
        (record, redactions, clean)
    } else {
        drop(file);
        let mut redactions = 0;
        let mut head = Vec::new();
        let record = output.write_blocks(raw, source, fingerprint, |block, out| {
            let (clean, n) = redactor.redact_block(block);
            redactions += n;
            let room = (PREVIEW_BYTES + 1).saturating_sub(head.len());
            head.extend_from_slice(&clean[..clean.len().min(room)]);
            out.extend_from_slice(&clean);
        })?;
        (record, redactions, Cow::Owned(head))
    };
    let note = Note {
        text: true,
        redactions,
    };
    Ok((with_note(record, note), note, describe_bytes(&head, note)))
}

fn with_note(record: Record, note: Note) -> Record {
    Record {
        note: note.encode(),
        ..record
    }
}

/// The copy of `source` in memory, as [`write`] would write it, and its
/// note (to check a reused copy).
pub fn bytes(source: &Path) -> anyhow::Result<(Vec<u8>, Note)> {
    let bytes =
        std::fs::read(source).with_context(|| format!("cannot read {}", source.display()))?;
    if !is_text(&bytes) {
        return Ok((
            bytes,
            Note {
                text: false,
                redactions: 0,
            },
        ));
    }
    let (clean, redactions) = crate::redact::Redactor::new().redact_block(&bytes);
    Ok((
        clean.into_owned(),
        Note {
            text: true,
            redactions,
        },
    ))
}

/// What the evidence page shows of the copy at `path`.
pub fn describe(path: &Path, note: Note) -> anyhow::Result<RawCopy> {
    if !note.text {
        return Ok(describe_bytes(&[], note));
    }
    let mut file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut head = Vec::with_capacity(PREVIEW_BYTES + 1);
    (&mut file)
        .take(PREVIEW_BYTES as u64 + 1)
        .read_to_end(&mut head)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(describe_bytes(&head, note))
}

/// What the evidence page shows of a copy that starts with `head` (at
/// least its first `PREVIEW_BYTES + 1` bytes, or all of it).
fn describe_bytes(head: &[u8], note: Note) -> RawCopy {
    let (preview, preview_truncated) = if note.text {
        let (preview, truncated) = preview_of(head);
        (Some(preview), truncated)
    } else {
        (None, false)
    };
    RawCopy {
        text: note.text,
        redactions: note.redactions,
        preview,
        preview_truncated,
    }
}

/// The first lines of an (already redacted) text file starting with
/// `head`.
fn preview_of(head: &[u8]) -> (String, bool) {
    let truncated = head.len() > PREVIEW_BYTES;
    let text = crate::evidence::common::lossy_utf8(&head[..head.len().min(PREVIEW_BYTES)]);
    if text.contains('\r') {
        return lines_of(&text, truncated);
    }
    // Without `\r`, the lines joined again are the text up to the end of
    // the last line shown, less its newline.
    let bytes = text.as_bytes();
    let shown = match memchr::memchr_iter(b'\n', bytes).nth(PREVIEW_LINES - 1) {
        Some(end) => return (text[..end].to_string(), truncated || end + 1 < bytes.len()),
        None => text.strip_suffix('\n').unwrap_or(&text),
    };
    (shown.to_string(), truncated)
}

/// [`preview_of`] for a text with `\r` in it, which [`str::lines`] treats
/// as part of a line ending only before `\n`.
fn lines_of(text: &str, mut truncated: bool) -> (String, bool) {
    let mut lines: Vec<&str> = text.lines().collect();
    if lines.len() > PREVIEW_LINES {
        lines.truncate(PREVIEW_LINES);
        truncated = true;
    }
    (lines.join("\n"), truncated)
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;
    use crate::redact::{redact_by_lines, secret_corpus, Redactor};

    /// A text of several blocks: private key blocks and secrets across
    /// the block edges, a line longer than a block, no final line ending.
    fn long_text() -> Vec<u8> {
        let mut text = Vec::new();
        let mut pad = 0;
        while text.len() < 3 * 256 * 1024 {
            text.extend_from_slice(format!("{}\n", "p".repeat(pad % 300)).as_bytes());
            text.extend_from_slice(&secret_corpus());
            text.push(b'\n');
            pad += 37;
        }
        text.extend_from_slice(&"long ".repeat(70_000).into_bytes());
        text.extend_from_slice(b"password=hunter2hunter2\n");
        text.extend_from_slice(&secret_corpus());
        text
    }

    #[test]
    fn streamed_blocks_redact_like_lines() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("long.log");
        let text = long_text();
        std::fs::write(&source, &text).unwrap();
        let (expected, n) = redact_by_lines(&text);
        assert!(n > 100);
        let mut redactor = Redactor::new();
        let mut count = 0;
        let mut blocks = 0;
        let mut out = Vec::new();
        super::super::output::transform_blocks(&source, &mut out, |block, out| {
            let (clean, n) = redactor.redact_block(block);
            count += n;
            blocks += 1;
            out.extend_from_slice(&clean);
        })
        .unwrap();
        assert!(blocks > 3);
        assert_eq!((out, count), (expected, n));
    }

    #[test]
    fn copies_are_redacted_whole_or_streamed_and_previewed_from_what_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let output = Output::new(&dir.path().join("site")).unwrap();
        let mut short = secret_corpus();
        short.extend_from_slice(b"\n");
        for line in 0..300 {
            short.extend_from_slice(format!("line {line}\n").as_bytes());
        }
        for (name, text) in [("short.log", short), ("long.log", long_text())] {
            let source = dir.path().join(name);
            std::fs::write(&source, &text).unwrap();
            let (expected, n) = redact_by_lines(&text);
            for whole in [0, WHOLE] {
                let raw = format!("raw/{whole}/{name}");
                let (record, note, copy) =
                    write_with(&output, &raw, &source, None, [0; 16], whole).unwrap();
                let written = std::fs::read(output.root().join(&raw)).unwrap();
                assert_eq!(written, expected);
                assert_eq!(record.sha256, <[u8; 32]>::from(Sha256::digest(&expected)));
                assert_eq!(record.size, expected.len() as u64);
                assert_eq!(
                    note,
                    Note {
                        text: true,
                        redactions: n
                    }
                );
                assert_eq!(Note::decode(record.note), note);
                let read_back = describe(&output.root().join(&raw), note).unwrap();
                assert!(copy.preview.is_some());
                assert_eq!(copy.preview, read_back.preview);
                assert!(copy.preview_truncated && read_back.preview_truncated);
                assert_eq!(copy.redactions, n);
            }
        }
    }

    #[test]
    fn previews_are_the_first_lines() {
        let mut cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"\n".to_vec(),
            b"\n\n".to_vec(),
            b"one".to_vec(),
            b"one\n".to_vec(),
            b"one\n\ntwo\n\n".to_vec(),
            b"crlf\r\nlines\r\n".to_vec(),
            b"lone\rcr\n".to_vec(),
            b"bad \xff utf-8\n".to_vec(),
        ];
        for lines in [199, 200, 201, 400] {
            for end in ["", "\n", "\n\n"] {
                let text: Vec<String> = (0..lines).map(|i| format!("line {i}")).collect();
                cases.push(format!("{}{end}", text.join("\n")).into_bytes());
            }
        }
        let mut long = "x".repeat(PREVIEW_BYTES - 3);
        long.push_str("\nab\ncd");
        cases.push(long.into_bytes());
        for head in cases {
            let text = String::from_utf8_lossy(&head[..head.len().min(PREVIEW_BYTES)]);
            let expected = lines_of(&text, head.len() > PREVIEW_BYTES);
            assert_eq!(preview_of(&head), expected, "{text:?}");
        }
    }

    #[test]
    fn binary_files_are_copied_as_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let output = Output::new(&dir.path().join("site")).unwrap();
        let source = dir.path().join("image.png");
        let bytes = b"\x89PNG\r\n\x1a\n\x00\x00password=hunter2hunter2\n".to_vec();
        std::fs::write(&source, &bytes).unwrap();
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let (record, note, copy) =
            write_with(&output, "raw/image.png", &source, None, [0; 16], WHOLE).unwrap();
        assert_eq!(
            std::fs::read(output.root().join("raw/image.png")).unwrap(),
            bytes
        );
        assert_eq!(hex::encode(record.sha256), sha256);
        assert_eq!(record.size, bytes.len() as u64);
        assert!(!note.text && copy.preview.is_none() && !copy.text);
    }

    /// A sha256 known from loading is taken only while the file keeps the
    /// key it had then, and only for a copy that is the file unchanged.
    #[test]
    fn a_known_sha256_is_trusted_only_for_the_same_file_copied_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let output = Output::new(&dir.path().join("site")).unwrap();
        let claimed = "ab".repeat(32);
        let write = |name: &str, bytes: &[u8], key_now: bool| {
            let source = dir.path().join(name);
            std::fs::write(&source, bytes).unwrap();
            let mut key = crate::cache::files::key_of(&source).unwrap();
            if !key_now {
                key.mtime_ns += 1;
            }
            let raw = format!("raw/{name}-{key_now}");
            let known = Some((claimed.as_str(), key));
            let (record, ..) = write_with(&output, &raw, &source, known, [0; 16], WHOLE).unwrap();
            assert_eq!(
                std::fs::read(output.root().join(&raw)).unwrap().len() as u64,
                record.size
            );
            hex::encode(record.sha256)
        };
        let text = b"plain text, nothing secret\n".as_slice();
        let binary = b"\x00\x01binary".as_slice();
        let secret = b"token ghp_abcdefghijklmnopqrstuvwxyz0123456789\n".as_slice();
        // The same key: the loaded sha256 stands (here a made-up one, to
        // show that it is not computed again).
        assert_eq!(write("text", text, true), claimed);
        assert_eq!(write("binary", binary, true), claimed);
        // Another key, or a copy with secrets replaced: hashed as written.
        assert_eq!(
            write("text", text, false),
            hex::encode(Sha256::digest(text))
        );
        assert_eq!(
            write("binary", binary, false),
            hex::encode(Sha256::digest(binary))
        );
        let redacted = write("secret", secret, true);
        assert_ne!(redacted, claimed);
        assert_ne!(redacted, hex::encode(Sha256::digest(secret)));
    }
}
