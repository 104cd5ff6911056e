//! A deterministic zip writer for entries deflated ahead of time.
//!
//! Written by hand (local headers, central directory, zip64 records when
//! counts or offsets need them) rather than with the `zip` crate because
//! that crate deflates inside `ZipWriter` as bytes are written, one entry
//! at a time: it cannot take an entry compressed elsewhere, which is what
//! lets [`super`] deflate every entry on its own thread. The format is the
//! small subset every reader knows (PKWARE APPNOTE 6.3: methods stored and
//! deflate, no encryption, no data descriptors), and the bytes depend only
//! on the entries: fixed time, fixed unix permissions (0644), no extra
//! timestamps, no comment.

use std::io::{self, Write};

pub const LOCAL: u32 = 0x0403_4b50;
pub const CENTRAL: u32 = 0x0201_4b50;
pub const END: u32 = 0x0605_4b50;
pub const END64: u32 = 0x0606_4b50;
pub const LOCATOR64: u32 = 0x0706_4b50;
pub const ZIP64_EXTRA: u16 = 0x0001;
/// Bit 11: the name is UTF-8.
const UTF8: u16 = 1 << 11;
/// Made by unix (3), spec 4.5, so that readers honour the mode bits.
const MADE_BY: u16 = (3 << 8) | 45;
const REGULAR_0644: u32 = 0o100_644 << 16;
pub const STORED: u16 = 0;
pub const DEFLATE: u16 = 8;

/// What the central directory says of an entry, its offset aside.
#[derive(Debug, Clone)]
pub struct Meta {
    pub name: String,
    pub method: u16,
    pub crc32: u32,
    pub size: u64,
}

/// One entry, its data already compressed.
pub struct Entry {
    pub meta: Meta,
    pub data: Vec<u8>,
}

/// Bytes of a large entry deflated first, to tell whether the rest is
/// worth deflating.
const SAMPLE: usize = 16 * 1024;

/// Deflates `bytes` (stored instead when deflate would not make them
/// smaller). An entry of four samples or more whose first [`SAMPLE`] bytes
/// deflate by less than 1/64 is stored without deflating the rest: images,
/// archives and other compressed evidence would cost the whole deflate to
/// gain nothing. The choice depends only on the bytes, so it is the same
/// on every run.
pub fn deflate(name: String, bytes: &[u8], level: u32) -> io::Result<Entry> {
    let crc32 = crc32fast::hash(bytes);
    let incompressible = bytes.len() >= 4 * SAMPLE
        && deflate_raw(&bytes[..SAMPLE], level)?.len() > SAMPLE - SAMPLE / 64;
    let deflated = if incompressible {
        None
    } else {
        Some(deflate_raw(bytes, level)?).filter(|d| d.len() < bytes.len())
    };
    let (method, data) = match deflated {
        Some(deflated) => (DEFLATE, deflated),
        None => (STORED, bytes.to_vec()),
    };
    Ok(Entry {
        meta: Meta {
            name,
            method,
            crc32,
            size: bytes.len() as u64,
        },
        data,
    })
}

/// Raw deflate of `bytes`. Each thread keeps one compressor per level and
/// resets it between entries: a bundle holds some 100,000 entries of a
/// few kilobytes, and a new compressor's tables cost more than the
/// deflate of such an entry. A reset stream writes the same bytes as a
/// new one.
fn deflate_raw(bytes: &[u8], level: u32) -> io::Result<Vec<u8>> {
    use flate2::{Compress, Compression};
    thread_local! {
        static COMPRESSORS: std::cell::RefCell<Vec<(u32, Compress)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    COMPRESSORS.with_borrow_mut(|compressors| {
        let at = match compressors.iter().position(|(l, _)| *l == level) {
            Some(at) => at,
            None => {
                compressors.push((level, Compress::new(Compression::new(level), false)));
                compressors.len() - 1
            }
        };
        let compress = &mut compressors[at].1;
        compress.reset();
        deflate_with(compress, bytes)
    })
}

/// Raw deflate of `bytes` by `compress`, a new or just reset stream.
fn deflate_with(compress: &mut flate2::Compress, bytes: &[u8]) -> io::Result<Vec<u8>> {
    use flate2::{FlushCompress, Status};
    let mut out = Vec::with_capacity(bytes.len() / 2 + 64);
    loop {
        let read = compress.total_in() as usize;
        let status = compress
            .compress_vec(&bytes[read..], &mut out, FlushCompress::Finish)
            .map_err(io::Error::other)?;
        match status {
            Status::StreamEnd => return Ok(out),
            Status::Ok | Status::BufError => out.reserve(out.capacity().max(64)),
        }
    }
}

/// [`deflate`], with the SHA-256 of the bytes.
pub fn compress(name: String, bytes: &[u8], level: u32) -> io::Result<(Entry, [u8; 32])> {
    use sha2::{Digest, Sha256};
    Ok((deflate(name, bytes, level)?, Sha256::digest(bytes).into()))
}

/// MS-DOS date and time of a UTC instant (from 1980 to 2107; clamped).
pub fn dos_time(time: chrono::DateTime<chrono::Utc>) -> (u16, u16) {
    use chrono::{Datelike, Timelike};
    let year = time.year().clamp(1980, 2107);
    if year != time.year() {
        return if time.year() < 1980 {
            (0, (1 << 5) | 1)
        } else {
            ((23 << 11) | (59 << 5) | 29, (127 << 9) | (12 << 5) | 31)
        };
    }
    let t =
        ((time.hour() as u16) << 11) | ((time.minute() as u16) << 5) | (time.second() as u16 / 2);
    let d = (((year - 1980) as u16) << 9) | ((time.month() as u16) << 5) | time.day() as u16;
    (t, d)
}

struct Written {
    meta: Meta,
    compressed: u64,
    offset: u64,
}

/// Writes entries in the order given, then the central directory.
pub struct Writer<W: Write> {
    out: W,
    offset: u64,
    time: (u16, u16),
    written: Vec<Written>,
}

impl<W: Write> Writer<W> {
    pub fn new(out: W, time: (u16, u16)) -> Writer<W> {
        Writer {
            out,
            offset: 0,
            time,
            written: Vec::new(),
        }
    }

    pub fn add(&mut self, entry: &Entry) -> io::Result<()> {
        self.add_from(
            &entry.meta,
            entry.data.len() as u64,
            &mut entry.data.as_slice(),
        )
    }

    /// Adds the entry `meta` whose `compressed` bytes of data `data` yields.
    pub fn add_from(
        &mut self,
        meta: &Meta,
        compressed: u64,
        data: impl io::Read,
    ) -> io::Result<()> {
        let header = local_header(meta, compressed, self.time)?;
        self.out.write_all(&header)?;
        self.copy_in(meta, header.len() as u64, compressed, compressed, data)
    }

    /// Adds the entry `meta` as `data` yields it whole: its local header
    /// (`header_len` bytes, made by [`local_header`] with this writer's
    /// time), then its `compressed` bytes of data. An entry made elsewhere
    /// and kept out of memory is then copied in one piece.
    pub fn add_prebuilt(
        &mut self,
        meta: &Meta,
        header_len: u64,
        compressed: u64,
        data: impl io::Read,
    ) -> io::Result<()> {
        self.copy_in(meta, header_len, compressed, header_len + compressed, data)
    }

    /// Copies `len` bytes of `data`, the rest of the entry `meta`.
    fn copy_in(
        &mut self,
        meta: &Meta,
        header_len: u64,
        compressed: u64,
        len: u64,
        data: impl io::Read,
    ) -> io::Result<()> {
        let copied = io::copy(&mut data.take(len), &mut self.out)?;
        if copied != len {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("{} lost its compressed data", meta.name),
            ));
        }
        self.written.push(Written {
            meta: meta.clone(),
            compressed,
            offset: self.offset,
        });
        self.offset += header_len + compressed;
        Ok(())
    }

    /// Writes the central directory and returns the output.
    pub fn finish(mut self) -> io::Result<W> {
        let start = self.offset;
        let mut directory = Vec::new();
        for e in &self.written {
            let mut extra = Vec::new();
            if e.meta.size >= u32::MAX as u64 {
                put64(&mut extra, e.meta.size);
            }
            if e.compressed >= u32::MAX as u64 {
                put64(&mut extra, e.compressed);
            }
            if e.offset >= u32::MAX as u64 {
                put64(&mut extra, e.offset);
            }
            let zip64 = !extra.is_empty();
            put32(&mut directory, CENTRAL);
            put16(&mut directory, MADE_BY);
            put16(&mut directory, if zip64 { 45 } else { 20 });
            put16(&mut directory, UTF8);
            put16(&mut directory, e.meta.method);
            put16(&mut directory, self.time.0);
            put16(&mut directory, self.time.1);
            put32(&mut directory, e.meta.crc32);
            put32(
                &mut directory,
                clamp32(e.compressed, e.compressed >= u32::MAX as u64),
            );
            put32(
                &mut directory,
                clamp32(e.meta.size, e.meta.size >= u32::MAX as u64),
            );
            put16(&mut directory, len16(e.meta.name.len())?);
            put16(
                &mut directory,
                if zip64 { extra.len() as u16 + 4 } else { 0 },
            );
            put16(&mut directory, 0); // comment
            put16(&mut directory, 0); // disk
            put16(&mut directory, 0); // internal attributes
            put32(&mut directory, REGULAR_0644);
            put32(
                &mut directory,
                clamp32(e.offset, e.offset >= u32::MAX as u64),
            );
            directory.extend_from_slice(e.meta.name.as_bytes());
            if zip64 {
                put16(&mut directory, ZIP64_EXTRA);
                put16(&mut directory, extra.len() as u16);
                directory.extend_from_slice(&extra);
            }
        }
        let count = self.written.len() as u64;
        let size = directory.len() as u64;
        let zip64 = count >= u16::MAX as u64 || size >= u32::MAX as u64 || start >= u32::MAX as u64;
        if zip64 {
            let end64 = start + size;
            put32(&mut directory, END64);
            put64(&mut directory, 44);
            put16(&mut directory, MADE_BY);
            put16(&mut directory, 45);
            put32(&mut directory, 0);
            put32(&mut directory, 0);
            put64(&mut directory, count);
            put64(&mut directory, count);
            put64(&mut directory, size);
            put64(&mut directory, start);
            put32(&mut directory, LOCATOR64);
            put32(&mut directory, 0);
            put64(&mut directory, end64);
            put32(&mut directory, 1);
        }
        put32(&mut directory, END);
        put16(&mut directory, 0);
        put16(&mut directory, 0);
        let count16 = if zip64 { u16::MAX } else { count as u16 };
        put16(&mut directory, count16);
        put16(&mut directory, count16);
        put32(&mut directory, clamp32(size, zip64));
        put32(&mut directory, clamp32(start, zip64));
        put16(&mut directory, 0);
        self.out.write_all(&directory)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The local header of the entry `meta` with `compressed` bytes of data,
/// stamped `time` (a DOS date and time, see [`dos_time`]).
pub fn local_header(meta: &Meta, compressed: u64, time: (u16, u16)) -> io::Result<Vec<u8>> {
    let big = meta.size >= u32::MAX as u64 || compressed >= u32::MAX as u64;
    let mut header = Vec::with_capacity(30 + meta.name.len() + 20);
    put32(&mut header, LOCAL);
    put16(&mut header, if big { 45 } else { 20 });
    put16(&mut header, UTF8);
    put16(&mut header, meta.method);
    put16(&mut header, time.0);
    put16(&mut header, time.1);
    put32(&mut header, meta.crc32);
    put32(&mut header, clamp32(compressed, big));
    put32(&mut header, clamp32(meta.size, big));
    put16(&mut header, len16(meta.name.len())?);
    put16(&mut header, if big { 20 } else { 0 });
    header.extend_from_slice(meta.name.as_bytes());
    if big {
        put16(&mut header, ZIP64_EXTRA);
        put16(&mut header, 16);
        put64(&mut header, meta.size);
        put64(&mut header, compressed);
    }
    Ok(header)
}

fn clamp32(value: u64, big: bool) -> u32 {
    if big {
        u32::MAX
    } else {
        value as u32
    }
}

fn len16(len: usize) -> io::Result<u16> {
    u16::try_from(len).map_err(|_| io::Error::other("an entry name longer than 65535 bytes"))
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn put64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_deflate_cannot_shrink_is_stored() {
        use rand::{RngCore, SeedableRng};
        let mut noise = vec![0u8; 10_000];
        rand_chacha::ChaCha8Rng::seed_from_u64(7).fill_bytes(&mut noise);
        let (entry, _) = compress("noise".into(), &noise, 6).unwrap();
        assert_eq!((entry.meta.method, &entry.data), (STORED, &noise));
        let text = b"the same line again\n".repeat(500);
        let (entry, sha) = compress("text".into(), &text, 6).unwrap();
        assert_eq!(entry.meta.method, DEFLATE);
        assert!(entry.data.len() < text.len() / 10);
        assert_eq!(entry.meta.crc32, crc32fast::hash(&text));
        assert_eq!(
            hex::encode(sha),
            hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&text))
        );
    }

    #[test]
    fn a_large_entry_that_starts_incompressible_is_stored_whole() {
        use rand::{RngCore, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        // A PNG-like file: noise throughout.
        let mut image = vec![0u8; 4 * SAMPLE];
        rng.fill_bytes(&mut image);
        let entry = deflate("image.png".into(), &image, 1).unwrap();
        assert_eq!((entry.meta.method, &entry.data), (STORED, &image));
        // Noise first, then text: stored too, by design (the sample decides).
        let mut mixed = image[..SAMPLE].to_vec();
        mixed.extend(b"the same line again\n".repeat(3 * SAMPLE / 20 + 1));
        let entry = deflate("mixed.bin".into(), &mixed, 1).unwrap();
        assert_eq!(entry.meta.method, STORED);
        // Text first, then noise: deflated, as it shrinks.
        let mut text_first = b"the same line again\n".repeat(SAMPLE / 20 + 1);
        text_first.extend_from_slice(&image[..3 * SAMPLE]);
        let entry = deflate("text-first.bin".into(), &text_first, 1).unwrap();
        assert_eq!(entry.meta.method, DEFLATE);
        assert!(entry.data.len() < text_first.len());
        // Below four samples, deflate is always tried: short noise is
        // stored only because it did not shrink.
        let short = &image[..4 * SAMPLE - 1];
        let entry = deflate("short.bin".into(), short, 1).unwrap();
        assert_eq!((entry.meta.method, entry.data.as_slice()), (STORED, short));
    }

    /// Entries are deflated in whatever order the threads take them, so a
    /// compressor reused across entries must write exactly what a new one
    /// writes, whatever it deflated before.
    #[test]
    fn a_reused_compressor_writes_what_a_new_one_writes() {
        use rand::{Rng, RngCore, SeedableRng};
        let new_one = |bytes: &[u8]| {
            let mut compress = flate2::Compress::new(flate2::Compression::new(1), false);
            deflate_with(&mut compress, bytes).unwrap()
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for i in 0..200 {
            let mut bytes = vec![0u8; rng.gen_range(0..150_000)];
            rng.fill_bytes(&mut bytes);
            if i % 3 != 0 {
                // Text-like: compressible.
                for b in bytes.iter_mut() {
                    *b = b"abcdefgh \n"[(*b % 10) as usize];
                }
            }
            assert_eq!(
                deflate_raw(&bytes, 1).unwrap(),
                new_one(&bytes),
                "entry {i}"
            );
        }
    }

    /// Past 65,534 entries the end record needs zip64; python3's zipfile
    /// and auditbook's reader must both see every entry.
    #[test]
    fn many_entries_take_zip64_records_that_other_readers_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("many.zip");
        let file = std::fs::File::create(&path).unwrap();
        let mut writer = Writer::new(std::io::BufWriter::new(file), (0, (1 << 5) | 1));
        let n = 70_000;
        for i in 0..n {
            let (entry, _) = compress(format!("e/{i:06}"), b"x", 6).unwrap();
            writer.add(&entry).unwrap();
        }
        writer.finish().unwrap();
        let output = std::process::Command::new("python3")
            .args([
                "-c",
                "import sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); print(len(z.namelist()), z.testzip())",
            ])
            .arg(&path)
            .output()
            .expect("python3");
        assert_eq!(
            String::from_utf8_lossy(&output.stdout).trim(),
            format!("{n} None")
        );
        let report = crate::bundle::verify::verify(&path, None, Default::default()).unwrap();
        assert_eq!(report.entries, n);
        assert_eq!(report.bytes, n as u64);
    }

    /// An entry copied whole, its local header made ahead of time, gives
    /// the bytes of one added with its data alone.
    #[test]
    fn prebuilt_entries_are_the_entries_added_from_their_data() {
        let time = dos_time(chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap());
        let entries: Vec<Entry> = (0..50)
            .map(|i| {
                let text = format!("entry {i} ").repeat(i * 40);
                deflate(format!("dir/{i:02}.txt"), text.as_bytes(), 1).unwrap()
            })
            .collect();
        let mut added = Writer::new(Vec::new(), time);
        let mut prebuilt = Writer::new(Vec::new(), time);
        for entry in &entries {
            added.add(entry).unwrap();
            let compressed = entry.data.len() as u64;
            let mut whole = local_header(&entry.meta, compressed, time).unwrap();
            let header_len = whole.len() as u64;
            whole.extend_from_slice(&entry.data);
            whole.extend_from_slice(b"the next entry");
            prebuilt
                .add_prebuilt(&entry.meta, header_len, compressed, whole.as_slice())
                .unwrap();
        }
        assert_eq!(prebuilt.finish().unwrap(), added.finish().unwrap());
        let mut short = Writer::new(Vec::new(), time);
        let meta = &entries[3].meta;
        assert!(short.add_prebuilt(meta, 30, 100, &[0u8; 60][..]).is_err());
    }
}
