//! What the format parsers share: their result and error types, and the
//! small, panic-free helpers they all need (BOM skipping, JSON error
//! positions, lenient timestamps, character-safe truncation).

use std::io::{self, BufRead, BufReader, Read};

use chrono::{DateTime, NaiveDateTime, Utc};

use super::details::Details;
use super::summary::Summary;

/// What a parser found in a file of its format.
#[derive(Debug)]
pub struct Parsed {
    pub summary: Summary,
    pub details: Details,
    pub observed_at: Option<DateTime<Utc>>,
}

/// Why a file of the expected kind could not be read: the line (1-based,
/// when known) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: Option<u32>,
    pub message: String,
}

impl Problem {
    pub fn new(line: Option<u32>, message: impl Into<String>) -> Problem {
        Problem {
            line,
            message: message.into(),
        }
    }

    pub fn at(line: u64, message: impl Into<String>) -> Problem {
        Problem::new(Some(line_u32(line)), message)
    }

    pub fn io(error: &io::Error) -> Problem {
        Problem::new(None, format!("cannot read the file: {error}"))
    }
}

/// A serde_json error as a problem: its message already names the line
/// and column ("EOF while parsing an object at line 3 column 5").
pub fn json_problem(error: serde_json::Error) -> Problem {
    let line = (error.line() > 0).then(|| line_u32(error.line() as u64));
    if error.is_io() {
        return Problem::new(line, format!("cannot read the file: {error}"));
    }
    Problem::new(line, error.to_string())
}

pub fn line_u32(line: u64) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX)
}

/// Skips a UTF-8 byte order mark at the start of `reader`.
pub fn skip_bom(reader: &mut dyn BufRead) -> io::Result<()> {
    let buf = reader.fill_buf()?;
    if buf.starts_with(b"\xEF\xBB\xBF") {
        reader.consume(3);
    }
    Ok(())
}

/// Deserializes one JSON document from `reader`: the seed carries the
/// parser's state and decides what is kept. Trailing content other than
/// whitespace is an error, as is nesting deeper than serde_json's
/// recursion limit.
pub fn from_json_reader_seed<S, V>(reader: &mut dyn BufRead, seed: S) -> Result<V, Problem>
where
    S: for<'de> serde::de::DeserializeSeed<'de, Value = V>,
{
    from_json_reader_within(reader, seed, JSON_IN_MEMORY)
}

/// Deserializes one JSON document from `reader` into a `T` (see
/// [`from_json_reader_seed`]).
pub fn from_json_reader<T: serde::de::DeserializeOwned>(
    reader: &mut dyn BufRead,
) -> Result<T, Problem> {
    from_json_reader_seed(reader, std::marker::PhantomData::<T>)
}

/// JSON documents under this size are read whole and parsed from memory,
/// which serde_json does about twice as fast as from a reader (byte by
/// byte, each string copied); larger ones are streamed, so that a 150 MB
/// scan report never sits in memory whole.
const JSON_IN_MEMORY: usize = 8 * 1024 * 1024;

/// [`from_json_reader_seed`], with documents of `in_memory` bytes or more
/// streamed.
fn from_json_reader_within<S, V>(
    reader: &mut dyn BufRead,
    seed: S,
    in_memory: usize,
) -> Result<V, Problem>
where
    S: for<'de> serde::de::DeserializeSeed<'de, Value = V>,
{
    skip_bom(reader).map_err(|e| Problem::io(&e))?;
    let mut head = Vec::new();
    (&mut *reader)
        .take(in_memory as u64)
        .read_to_end(&mut head)
        .map_err(|e| Problem::io(&e))?;
    if head.len() < in_memory {
        let mut deserializer = serde_json::Deserializer::from_slice(&head);
        let value = seed.deserialize(&mut deserializer).map_err(json_problem)?;
        deserializer.end().map_err(json_problem)?;
        return Ok(value);
    }
    // serde_json reads byte by byte; std's `BufReader` has a fast path for
    // that which a `dyn BufRead` cannot offer.
    let rest = io::Cursor::new(head).chain(reader);
    let mut deserializer =
        serde_json::Deserializer::from_reader(BufReader::with_capacity(64 * 1024, rest));
    let value = seed.deserialize(&mut deserializer).map_err(json_problem)?;
    deserializer.end().map_err(json_problem)?;
    Ok(value)
}

/// `bytes` as text, invalid UTF-8 replaced as [`String::from_utf8_lossy`]
/// replaces it. Valid text (nearly all of it) is checked by the standard
/// library's faster validator and borrowed; the lossy scan runs only when
/// that fails.
pub fn lossy_utf8(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// The first `max` characters of `text`, with an ellipsis when cut.
pub fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((end, _)) => {
            let mut cut = text[..end].to_string();
            cut.push('…');
            cut
        }
    }
}

/// Parses the timestamps tools write: RFC 3339, and the zone-less or
/// " UTC"-suffixed ISO forms some JUnit writers use (taken as UTC).
pub fn parse_timestamp(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Some(time.with_timezone(&Utc));
    }
    let naive = text
        .strip_suffix(" UTC")
        .or_else(|| text.strip_suffix('Z'))
        .unwrap_or(text);
    // Both formats need a `:`: a plain date skips them.
    let formats = if naive.contains(':') {
        &["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"][..]
    } else {
        &[]
    };
    for format in formats {
        if let Ok(time) = NaiveDateTime::parse_from_str(naive, format) {
            return Some(time.and_utc());
        }
    }
    crate::interval::parse_date(text)
        .ok()
        .map(|date| date.and_time(chrono::NaiveTime::MIN).and_utc())
}

/// The later of two optional times.
pub fn latest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_read_from_memory_or_streamed_alike() {
        let parse = |text: &str, in_memory: usize| {
            from_json_reader_within(
                &mut text.as_bytes(),
                std::marker::PhantomData::<serde_json::Value>,
                in_memory,
            )
        };
        let good = "\u{feff}{\"a\": [1, 2, {\"b\": \"\\u00e9\"}],\n \"c\": null}\n";
        let whole = parse(good, JSON_IN_MEMORY).unwrap();
        assert_eq!(whole["a"][2]["b"], "é");
        // Streamed from the first byte, from the middle, and just at the end.
        for in_memory in [1, 10, good.len() - 3, good.len()] {
            assert_eq!(parse(good, in_memory).unwrap(), whole, "{in_memory}");
        }
        for bad in ["{\"a\": 1,\n\n \"b\" 2}", "[1, 2]\n\nx", "{\"a\":"] {
            let in_memory = parse(bad, JSON_IN_MEMORY).unwrap_err();
            assert!(in_memory.line.is_some(), "{bad}: {in_memory:?}");
            for streamed in [1, 5, bad.len()] {
                assert_eq!(parse(bad, streamed).unwrap_err(), in_memory, "{bad}");
            }
        }
    }

    #[test]
    fn truncation_respects_characters() {
        assert_eq!(truncate("héllo", 10), "héllo");
        assert_eq!(truncate("héllo", 2), "hé…");
        assert_eq!(truncate("", 0), "");
    }

    #[test]
    fn timestamps_in_the_forms_tools_write() {
        let t = |s| parse_timestamp(s).map(|t| t.to_rfc3339());
        assert_eq!(
            t("2024-01-09T07:50:12.664+00:00").as_deref(),
            Some("2024-01-09T07:50:12.664+00:00")
        );
        assert_eq!(
            t("2021-03-07T10:36:56 UTC").as_deref(),
            Some("2021-03-07T10:36:56+00:00")
        );
        assert_eq!(
            t("2020-10-12T18:46:11.226119").as_deref(),
            Some("2020-10-12T18:46:11.226119+00:00")
        );
        assert_eq!(
            t("2026-03-14").as_deref(),
            Some("2026-03-14T00:00:00+00:00")
        );
        assert_eq!(t(""), None);
        assert_eq!(t("yesterday"), None);
    }
}

/// A CSV file with a header row: the reader and where the asked columns
/// are (found by name, any case, any order; other columns are ignored).
pub type CsvReader<'a> = csv::Reader<&'a mut dyn BufRead>;

/// For each asked column, its index in the file.
#[derive(Debug, Clone)]
pub struct Columns(Vec<Option<usize>>);

impl Columns {
    /// The value of asked column `i` in `record` ("" when absent).
    pub fn get<'r>(&self, record: &'r csv::StringRecord, i: usize) -> &'r str {
        self.0
            .get(i)
            .copied()
            .flatten()
            .and_then(|c| record.get(c))
            .unwrap_or("")
    }
}

/// Opens `reader` as CSV with `required` then `optional` columns; a
/// missing required column is a problem on line 1.
pub fn open_csv<'a>(
    reader: &'a mut dyn BufRead,
    required: &[&str],
    optional: &[&str],
) -> Result<(CsvReader<'a>, Columns), Problem> {
    skip_bom(reader).map_err(|e| Problem::io(&e))?;
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(reader);
    let headers: Vec<String> = reader
        .headers()
        .map_err(csv_problem)?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let find = |name: &str| headers.iter().position(|h| h == name);
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|name| find(name).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(Problem::new(
            Some(1),
            format!(
                "missing column{} `{}` (the header is `{}`; expected {})",
                if missing.len() > 1 { "s" } else { "" },
                missing.join("`, `"),
                headers.join(","),
                required.join(","),
            ),
        ));
    }
    let columns = required
        .iter()
        .chain(optional)
        .map(|name| find(name))
        .collect();
    Ok((reader, Columns(columns)))
}

/// The next record and the line it starts on.
pub fn next_row(
    reader: &mut CsvReader,
    record: &mut csv::StringRecord,
) -> Result<Option<u64>, Problem> {
    match reader.read_record(record) {
        Ok(true) => Ok(Some(record.position().map_or(0, |p| p.line()))),
        Ok(false) => Ok(None),
        Err(error) => Err(csv_problem(error)),
    }
}

pub fn csv_problem(error: csv::Error) -> Problem {
    let line = error.position().map(|p| line_u32(p.line()));
    if let csv::ErrorKind::Io(io) = error.kind() {
        return Problem::new(line, format!("cannot read the file: {io}"));
    }
    Problem::new(line, error.to_string())
}

/// A CSV date cell: empty is none; a date or an RFC 3339 time is its date.
pub fn csv_date(text: &str, line: u64, column: &str) -> Result<Option<chrono::NaiveDate>, Problem> {
    if text.is_empty() {
        return Ok(None);
    }
    crate::interval::parse_time(text)
        .map(|t| Some(t.date_naive()))
        .map_err(|message| Problem::at(line, format!("column `{column}`: {message}")))
}

/// The first and last of a set of dates, as `YYYY-MM-DD`.
#[derive(Debug, Default, Clone, Copy)]
pub struct DateRange {
    pub first: Option<chrono::NaiveDate>,
    pub last: Option<chrono::NaiveDate>,
}

impl DateRange {
    pub fn add(&mut self, date: Option<chrono::NaiveDate>) {
        if let Some(date) = date {
            self.first = Some(self.first.map_or(date, |f| f.min(date)));
            self.last = Some(self.last.map_or(date, |l| l.max(date)));
        }
    }

    pub fn strings(&self) -> (Option<String>, Option<String>) {
        let format = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
        (self.first.map(format), self.last.map(format))
    }

    /// The last date at midnight UTC: when the content was last added to.
    pub fn observed_at(&self) -> Option<DateTime<Utc>> {
        self.last
            .map(|d| d.and_time(chrono::NaiveTime::MIN).and_utc())
    }
}
