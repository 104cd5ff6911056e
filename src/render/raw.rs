//! The copy of each evidence file the portal links under `raw/`: text
//! redacted line by line, binary files unchanged. A copy depends only on
//! the file's content (its sha256) and the redactor, so it is reused
//! whenever those are unchanged, wherever the file moved.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::Context;

use super::output::{transform_lines, Output};
use super::views::RawCopy;
use crate::cache::pages::Record;
use crate::cache::Digest16;
use crate::workspace::Evidence;

/// Lines of a text file shown on its evidence page.
const PREVIEW_LINES: usize = 200;
/// Bytes of a text file read for its preview.
pub(super) const PREVIEW_BYTES: usize = 32 * 1024;

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

/// Whether `source` is text: no NUL byte in its first 8 KiB.
fn is_text(source: &Path) -> anyhow::Result<bool> {
    let mut head = [0u8; 8192];
    let read = File::open(source)
        .and_then(|mut f| f.read(&mut head))
        .with_context(|| format!("cannot read {}", source.display()))?;
    Ok(!head[..read].contains(&0))
}

/// Writes the copy of `item` (at `source`) to `raw`.
pub fn write(
    output: &Output,
    raw: &str,
    source: &Path,
    item: &Evidence,
    fingerprint: Digest16,
) -> anyhow::Result<(Record, Note)> {
    if !is_text(source)? {
        let record = output.copy(raw, source, &item.sha256, item.size, fingerprint)?;
        let note = Note {
            text: false,
            redactions: 0,
        };
        return Ok((
            Record {
                note: note.encode(),
                ..record
            },
            note,
        ));
    }
    let mut redactor = crate::redact::Redactor::new();
    let mut redactions = 0;
    let record = output.write_lines(raw, source, fingerprint, |line, out| {
        let (clean, n) = redactor.redact_bytes(line);
        redactions += n;
        out.extend_from_slice(&clean);
    })?;
    let note = Note {
        text: true,
        redactions,
    };
    Ok((
        Record {
            note: note.encode(),
            ..record
        },
        note,
    ))
}

/// The copy of `source` in memory, as [`write`] would write it, and its
/// note (to check a reused copy).
pub fn bytes(source: &Path) -> anyhow::Result<(Vec<u8>, Note)> {
    if !is_text(source)? {
        let bytes =
            std::fs::read(source).with_context(|| format!("cannot read {}", source.display()))?;
        return Ok((
            bytes,
            Note {
                text: false,
                redactions: 0,
            },
        ));
    }
    let mut redactor = crate::redact::Redactor::new();
    let mut redactions = 0;
    let mut out = Vec::new();
    transform_lines(source, &mut out, |line, out| {
        let (clean, n) = redactor.redact_bytes(line);
        redactions += n;
        out.extend_from_slice(&clean);
    })?;
    Ok((
        out,
        Note {
            text: true,
            redactions,
        },
    ))
}

/// What the evidence page shows of the copy written at `raw`.
pub fn describe(output: &Output, raw: &str, note: Note) -> anyhow::Result<RawCopy> {
    let (preview, preview_truncated) = if note.text {
        preview_of(&output.head(raw, PREVIEW_BYTES + 1)?)
    } else {
        (None, false)
    };
    Ok(RawCopy {
        text: note.text,
        redactions: note.redactions,
        preview,
        preview_truncated,
    })
}

/// The first lines of an (already redacted) text file, from its first
/// `PREVIEW_BYTES + 1` bytes.
fn preview_of(head: &[u8]) -> (Option<String>, bool) {
    let mut truncated = head.len() > PREVIEW_BYTES;
    let text = String::from_utf8_lossy(&head[..head.len().min(PREVIEW_BYTES)]);
    let mut lines: Vec<&str> = text.lines().collect();
    if lines.len() > PREVIEW_LINES {
        lines.truncate(PREVIEW_LINES);
        truncated = true;
    }
    (Some(lines.join("\n")), truncated)
}
