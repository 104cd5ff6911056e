//! A streaming JSON reader for large reports: it walks the outer objects
//! and arrays itself and hands each element it is asked for (one SARIF
//! result, one Grype match) to serde_json as a slice, which is several
//! times faster than serde_json's byte-at-a-time reader and keeps memory
//! to one element.
//!
//! Values it skips are checked for well-formedness (brackets, strings,
//! literals, separators) without being built; nesting deeper than
//! [`MAX_DEPTH`] is refused, like serde_json's recursion limit.

use std::io::BufRead;

use serde::de::DeserializeOwned;

use super::common::{skip_bom, Problem};

/// How deep containers may nest (serde_json's own limit).
pub const MAX_DEPTH: usize = 128;

pub struct JsonStream<'a> {
    reader: &'a mut dyn BufRead,
    /// The 1-based line of the next byte.
    line: u64,
    /// The raw bytes of the last captured value.
    buf: Vec<u8>,
}

impl<'a> JsonStream<'a> {
    pub fn new(reader: &'a mut dyn BufRead) -> Result<JsonStream<'a>, Problem> {
        skip_bom(reader).map_err(|e| Problem::io(&e))?;
        Ok(JsonStream {
            reader,
            line: 1,
            buf: Vec::new(),
        })
    }

    /// The 1-based line of the next byte (after [`peek`](Self::peek), of
    /// the next value).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// A problem at the current line.
    pub fn error(&self, message: impl std::fmt::Display) -> Problem {
        Problem::at(self.line, format!("{message} at line {}", self.line))
    }

    fn fill(&mut self) -> Result<&[u8], Problem> {
        loop {
            match self.reader.fill_buf() {
                Ok(_) => break,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Problem::io(&e)),
            }
        }
        // Buffered now: this second call does no I/O.
        self.reader.fill_buf().map_err(|e| Problem::io(&e))
    }

    /// The next byte that is not whitespace, not consumed; `None` at the
    /// end of input.
    pub fn peek(&mut self) -> Result<Option<u8>, Problem> {
        loop {
            let mut newlines = 0;
            let mut found = None;
            let buf = self.fill()?;
            if buf.is_empty() {
                return Ok(None);
            }
            let mut i = 0;
            while let Some(&b) = buf.get(i) {
                match b {
                    b' ' => i += count_spaces(buf.get(i..).unwrap_or_default()),
                    b'\t' | b'\r' => i += 1,
                    b'\n' => {
                        newlines += 1;
                        i += 1;
                    }
                    _ => {
                        found = Some(b);
                        break;
                    }
                }
            }
            let used = i.min(buf.len());
            self.reader.consume(used);
            self.line = self.line.saturating_add(newlines);
            if found.is_some() {
                return Ok(found);
            }
        }
    }

    /// Consumes the next byte, which must be `want`.
    fn expect(&mut self, want: u8, what: &str) -> Result<(), Problem> {
        match self.peek()? {
            Some(b) if b == want => {
                self.reader.consume(1);
                Ok(())
            }
            Some(b) => Err(self.error(format_args!(
                "expected {what}, found `{}`",
                char::from(b).escape_default()
            ))),
            None => Err(self.error(format_args!("EOF while parsing: expected {what}"))),
        }
    }

    /// Whether the next value is `null`; if so it is consumed.
    pub fn null(&mut self) -> Result<bool, Problem> {
        if self.peek()? == Some(b'n') {
            self.skip()?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Enters an object: its keys come from [`next_key`](Self::next_key).
    pub fn begin_object(&mut self) -> Result<Seq, Problem> {
        self.expect(b'{', "an object")?;
        Ok(Seq { first: true })
    }

    /// Enters an array: its elements follow each true
    /// [`next_element`](Self::next_element).
    pub fn begin_array(&mut self) -> Result<Seq, Problem> {
        self.expect(b'[', "an array")?;
        Ok(Seq { first: true })
    }

    /// The next key of an object (its value follows), or `None` at its end.
    pub fn next_key(&mut self, seq: &mut Seq) -> Result<Option<String>, Problem> {
        match self.peek()? {
            Some(b'}') => {
                self.reader.consume(1);
                return Ok(None);
            }
            Some(b',') if !seq.first => self.reader.consume(1),
            Some(_) if seq.first => {}
            Some(b) => {
                return Err(self.error(format_args!(
                    "expected `,` or `}}`, found `{}`",
                    char::from(b).escape_default()
                )))
            }
            None => return Err(self.error("EOF while parsing an object")),
        }
        seq.first = false;
        if self.peek()? != Some(b'"') {
            return Err(self.error("key must be a string"));
        }
        let key: String = self.parse()?;
        self.expect(b':', "`:`")?;
        Ok(Some(key))
    }

    /// Whether an array has another element (which follows).
    pub fn next_element(&mut self, seq: &mut Seq) -> Result<bool, Problem> {
        match self.peek()? {
            Some(b']') => {
                self.reader.consume(1);
                return Ok(false);
            }
            Some(b',') if !seq.first => self.reader.consume(1),
            Some(_) if seq.first => {}
            Some(b) => {
                return Err(self.error(format_args!(
                    "expected `,` or `]`, found `{}`",
                    char::from(b).escape_default()
                )))
            }
            None => return Err(self.error("EOF while parsing a list")),
        }
        seq.first = false;
        Ok(true)
    }

    /// Reads the next value whole and deserializes it.
    pub fn parse<T: DeserializeOwned>(&mut self) -> Result<T, Problem> {
        let start = match self.peek()? {
            Some(_) => self.line,
            None => return Err(self.error("EOF while parsing a value")),
        };
        let mut buf = std::mem::take(&mut self.buf);
        buf.clear();
        let walked = self.walk(Some(&mut buf));
        let parsed = walked.and_then(|()| {
            serde_json::from_slice(&buf).map_err(|error| {
                let line = start.saturating_add((error.line() as u64).saturating_sub(1));
                let mut message = error.to_string();
                // serde_json's position is within the value: give the file's.
                if let Some(at) = message.rfind(" at line ") {
                    message.truncate(at);
                }
                Problem::at(line, format!("{message} at line {line}"))
            })
        });
        self.buf = buf;
        parsed
    }

    /// Skips the next value, checking that it is well-formed.
    pub fn skip(&mut self) -> Result<(), Problem> {
        self.walk(None)
    }

    /// Checks that nothing but whitespace follows.
    pub fn end(&mut self) -> Result<(), Problem> {
        match self.peek()? {
            None => Ok(()),
            Some(_) => Err(self.error("trailing characters")),
        }
    }

    /// Walks one value, copying its bytes to `out`.
    fn walk(&mut self, mut out: Option<&mut Vec<u8>>) -> Result<(), Problem> {
        let mut stack: Vec<u8> = Vec::new();
        let mut expect = Expect::Value;
        let mut token = Token::None;
        loop {
            let mut newlines = 0u64;
            let mut done = false;
            let mut failure: Option<String> = None;
            let buf = self.fill()?;
            if buf.is_empty() {
                if matches!(token, Token::Number) && stack.is_empty() {
                    return Ok(());
                }
                return Err(self.error(match token {
                    Token::String { .. } => "EOF while parsing a string",
                    _ if stack.last() == Some(&b'[') => "EOF while parsing a list",
                    _ if stack.last() == Some(&b'{') => "EOF while parsing an object",
                    _ => "EOF while parsing a value",
                }));
            }
            let mut i = 0;
            while i < buf.len() {
                let b = buf.get(i).copied().unwrap_or_default();
                match token {
                    Token::String { escaped } => {
                        // Run to the next quote or backslash.
                        if escaped {
                            token = Token::String { escaped: false };
                            i += 1;
                            continue;
                        }
                        let rest = buf.get(i..).unwrap_or_default();
                        match find_string_stop(rest) {
                            None => {
                                i = buf.len();
                                continue;
                            }
                            Some(at) => {
                                i += at;
                                match buf.get(i) {
                                    Some(b'"') => {
                                        token = Token::None;
                                        i += 1;
                                        if expect == Expect::KeyString {
                                            expect = Expect::Colon;
                                        } else if complete(&stack, &mut expect) {
                                            done = true;
                                            break;
                                        }
                                    }
                                    Some(b'\\') => {
                                        token = Token::String { escaped: true };
                                        i += 1;
                                    }
                                    _ => {
                                        failure =
                                            Some("control character (\\n) in a string".into());
                                        break;
                                    }
                                }
                                continue;
                            }
                        }
                    }
                    Token::Literal { rest } => {
                        match rest.split_first() {
                            Some((&want, tail)) if b == want => {
                                token = if tail.is_empty() {
                                    Token::None
                                } else {
                                    Token::Literal { rest: tail }
                                };
                                i += 1;
                                if tail.is_empty() && complete(&stack, &mut expect) {
                                    done = true;
                                    break;
                                }
                            }
                            _ => {
                                failure = Some("expected ident".into());
                                break;
                            }
                        }
                        continue;
                    }
                    Token::Number => {
                        if matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') {
                            i += 1;
                            continue;
                        }
                        token = Token::None;
                        if complete(&stack, &mut expect) {
                            done = true;
                            break;
                        }
                        // The byte ending the number is read below.
                    }
                    Token::None => {}
                }
                match b {
                    b' ' => {
                        // Indentation comes in runs.
                        i += count_spaces(buf.get(i..).unwrap_or_default());
                        continue;
                    }
                    b'\t' | b'\r' => {}
                    b'\n' => newlines += 1,
                    _ => match expect {
                        Expect::Value | Expect::ValueOrEnd => match b {
                            b'{' | b'[' => {
                                if stack.len() >= MAX_DEPTH {
                                    failure = Some("recursion limit exceeded".into());
                                    break;
                                }
                                stack.push(b);
                                expect = if b == b'{' {
                                    Expect::KeyOrEnd
                                } else {
                                    Expect::ValueOrEnd
                                };
                            }
                            b']' if expect == Expect::ValueOrEnd => {
                                stack.pop();
                                if complete(&stack, &mut expect) {
                                    i += 1;
                                    done = true;
                                    break;
                                }
                            }
                            b'"' => token = Token::String { escaped: false },
                            b't' => token = Token::Literal { rest: b"rue" },
                            b'f' => token = Token::Literal { rest: b"alse" },
                            b'n' => token = Token::Literal { rest: b"ull" },
                            b'-' | b'0'..=b'9' => token = Token::Number,
                            _ => {
                                failure = Some(format!(
                                    "expected value, found `{}`",
                                    char::from(b).escape_default()
                                ));
                                break;
                            }
                        },
                        Expect::KeyOrEnd | Expect::Key => match b {
                            b'"' => {
                                token = Token::String { escaped: false };
                                expect = Expect::KeyString;
                            }
                            b'}' if expect == Expect::KeyOrEnd => {
                                stack.pop();
                                if complete(&stack, &mut expect) {
                                    i += 1;
                                    done = true;
                                    break;
                                }
                            }
                            _ => {
                                failure = Some("key must be a string".into());
                                break;
                            }
                        },
                        Expect::Colon => {
                            if b != b':' {
                                failure = Some("expected `:`".into());
                                break;
                            }
                            expect = Expect::Value;
                        }
                        Expect::CommaOrEnd => match (b, stack.last()) {
                            (b',', Some(b'{')) => expect = Expect::Key,
                            (b',', Some(_)) => expect = Expect::Value,
                            (b'}', Some(b'{')) | (b']', Some(b'[')) => {
                                stack.pop();
                                if complete(&stack, &mut expect) {
                                    i += 1;
                                    done = true;
                                    break;
                                }
                            }
                            _ => {
                                failure = Some(format!(
                                    "expected `,` or `{}`",
                                    if stack.last() == Some(&b'{') {
                                        '}'
                                    } else {
                                        ']'
                                    }
                                ));
                                break;
                            }
                        },
                        Expect::KeyString => {}
                    },
                }
                i += 1;
            }
            let used = i.min(buf.len());
            if let Some(out) = out.as_deref_mut() {
                out.extend_from_slice(buf.get(..used).unwrap_or_default());
            }
            self.reader.consume(used);
            self.line = self.line.saturating_add(newlines);
            if let Some(message) = failure {
                return Err(self.error(message));
            }
            if done {
                return Ok(());
            }
        }
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The bytes of `word` that are zero, as their high bits (exact up to the
/// first zero byte, which is all the callers use).
#[inline]
fn zero_bytes(word: u64) -> u64 {
    word.wrapping_sub(ONES) & !word & HIGHS
}

#[inline]
fn word_at(bytes: &[u8], i: usize) -> Option<u64> {
    let chunk: [u8; 8] = bytes.get(i..i + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(chunk))
}

/// The first `"`, `\` or newline in `bytes`: where a string's plain run
/// stops. Eight bytes at a time.
fn find_string_stop(bytes: &[u8]) -> Option<usize> {
    let mut i = 0;
    while let Some(word) = word_at(bytes, i) {
        let hits = zero_bytes(word ^ (ONES * u64::from(b'"')))
            | zero_bytes(word ^ (ONES * u64::from(b'\\')))
            | zero_bytes(word ^ (ONES * u64::from(b'\n')));
        if hits != 0 {
            return Some(i + (hits.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let tail = bytes.get(i..).unwrap_or_default();
    tail.iter()
        .position(|&c| c == b'"' || c == b'\\' || c == b'\n')
        .map(|at| i + at)
}

/// How many spaces `bytes` starts with. Eight bytes at a time.
fn count_spaces(bytes: &[u8]) -> usize {
    let mut i = 0;
    while let Some(word) = word_at(bytes, i) {
        let other = word ^ (ONES * u64::from(b' '));
        if other != 0 {
            return i + (other.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    let tail = bytes.get(i..).unwrap_or_default();
    i + tail.iter().take_while(|&&c| c == b' ').count()
}

/// Where an object or array is in its members.
pub struct Seq {
    first: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Expect {
    Value,
    /// After `[`: a value or `]`.
    ValueOrEnd,
    /// After `{`: a key or `}`.
    KeyOrEnd,
    /// After `,` in an object.
    Key,
    /// Inside a key's string.
    KeyString,
    Colon,
    CommaOrEnd,
}

#[derive(Clone, Copy)]
enum Token {
    None,
    String { escaped: bool },
    Literal { rest: &'static [u8] },
    Number,
}

/// A value just ended: whether it was the outermost one; if not, what
/// comes next.
fn complete(stack: &[u8], expect: &mut Expect) -> bool {
    if stack.is_empty() {
        return true;
    }
    *expect = Expect::CommaOrEnd;
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn values(text: &str) -> Result<Vec<Value>, Problem> {
        let mut reader = text.as_bytes();
        let mut json = JsonStream::new(&mut reader)?;
        let mut seq = json.begin_array()?;
        let mut out = Vec::new();
        while json.next_element(&mut seq)? {
            out.push(json.parse()?);
        }
        json.end()?;
        Ok(out)
    }

    #[test]
    fn elements_parse_across_any_whitespace() {
        let text =
            " [ {\"a\" : [1, -2.5e3, true, false, null, \"x\\\"]\"]} ,\n\t\"s\", 3 , [] , {} ] \n";
        let got = values(text).unwrap();
        assert_eq!(
            serde_json::to_string(&got).unwrap(),
            r#"[{"a":[1,-2500.0,true,false,null,"x\"]"]},"s",3,[],{}]"#
        );
        assert!(values("[]").unwrap().is_empty());
    }

    #[test]
    fn objects_and_skipping() {
        let text =
            "{\"skip\": {\"deep\": [[{\"x\": \"}]\"}]]}, \"keep\": {\"n\": 1}, \"null\": null}";
        let mut reader = text.as_bytes();
        let mut json = JsonStream::new(&mut reader).unwrap();
        let mut seq = json.begin_object().unwrap();
        let mut kept = Vec::new();
        while let Some(key) = json.next_key(&mut seq).unwrap() {
            match key.as_str() {
                "keep" => kept.push(json.parse::<Value>().unwrap()),
                "null" => assert!(json.null().unwrap()),
                _ => json.skip().unwrap(),
            }
        }
        json.end().unwrap();
        assert_eq!(kept, vec![serde_json::json!({"n": 1})]);
    }

    #[test]
    fn malformed_input_is_a_problem_with_its_line() {
        for (text, line) in [
            ("[1,\n2,\n", 3),
            ("[1 2]", 1),
            ("[{\"a\" 1}]", 1),
            ("[{\"a\": 1,}]", 1),
            ("[\n\"unterminated]", 2),
            ("[tru]", 1),
            ("[1,\n{\"a\": [}]", 2),
            ("[1] x", 1),
            ("[\n\n{\"a\": 1, \"a\": }]", 3),
        ] {
            let problem = values(text).unwrap_err();
            assert_eq!(problem.line, Some(line), "{text:?}: {problem:?}");
        }
        let deep = format!("[{}{}]", "[".repeat(200), "]".repeat(200));
        assert!(values(&deep)
            .unwrap_err()
            .message
            .contains("recursion limit"));
    }

    #[test]
    fn word_scans_match_byte_scans() {
        let samples: [&[u8]; 6] = [
            b"",
            b"abc",
            b"abcdefghijklmnop\"",
            b"0123456\\89",
            b"long plain run without a stop at all....",
            b"\xff\xfe\x80\x7f\"\x00\n",
        ];
        for sample in samples {
            for start in 0..sample.len() {
                let s = &sample[start..];
                let slow = s
                    .iter()
                    .position(|&c| c == b'"' || c == b'\\' || c == b'\n');
                assert_eq!(find_string_stop(s), slow, "{s:?}");
            }
        }
        for n in 0..20 {
            let mut s = vec![b' '; n];
            s.extend_from_slice(b"x   ");
            assert_eq!(count_spaces(&s), n);
        }
        assert_eq!(count_spaces(b"        "), 8);
    }

    #[test]
    fn element_errors_name_the_files_line() {
        let mut reader = "[\n1,\n{\"a\":\n tru}]".as_bytes();
        let mut json = JsonStream::new(&mut reader).unwrap();
        let mut seq = json.begin_array().unwrap();
        assert!(json.next_element(&mut seq).unwrap());
        let _: u32 = json.parse().unwrap();
        assert!(json.next_element(&mut seq).unwrap());
        let problem = json.parse::<Value>().unwrap_err();
        assert_eq!(problem.line, Some(4), "{problem:?}");
    }
}
