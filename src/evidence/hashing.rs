//! The reader every parser reads through: it hashes each byte it reads
//! from the file (in whole chunks, as they arrive), so that parsing and
//! hashing share one read of the file. Bytes a parser leaves unread are
//! read and hashed by [`HashingReader::drain`].
//!
//! For a large file the hashing runs on a thread of its own, a chunk
//! behind the parser: the chunks are shared, never copied, and at most
//! [`IN_FLIGHT`] wait for the hasher, so memory stays a few chunks.

use std::io::{self, BufRead, Read};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;

use sha2::{Digest, Sha256};

/// How many bytes the reader asks the file for at a time.
pub const CHUNK_LEN: usize = 256 * 1024;
/// Chunks queued for the hasher thread before the reader waits.
const IN_FLIGHT: usize = 4;

type Chunk = Arc<Vec<u8>>;

pub struct HashingReader<R> {
    inner: R,
    chunk: Chunk,
    pos: usize,
    hash: Hash,
    size: u64,
    /// Whether the end of `inner` was reached (a short chunk).
    eof: bool,
    /// An I/O error met while a parser was reading; parsers see it as the
    /// end of input or a parse failure, [`finish`](Self::finish) returns it.
    error: Option<io::Error>,
}

enum Hash {
    Here(Sha256),
    Thread {
        to_hasher: Option<SyncSender<Chunk>>,
        returned: Receiver<Chunk>,
        hasher: Option<JoinHandle<Sha256>>,
    },
}

impl<R: Read> HashingReader<R> {
    /// A reader of `inner`; `threaded` hashes on a second thread.
    pub fn new(inner: R, threaded: bool) -> Self {
        let hash = if threaded {
            let (to_hasher, chunks) = mpsc::sync_channel::<Chunk>(IN_FLIGHT);
            let (give_back, returned) = mpsc::channel::<Chunk>();
            let spawned = std::thread::Builder::new()
                .name("auditbook-sha256".into())
                .spawn(move || {
                    let mut hasher = Sha256::new();
                    for chunk in chunks {
                        hasher.update(chunk.as_slice());
                        // The reader may reuse it; if it has gone, no matter.
                        let _ = give_back.send(chunk);
                    }
                    hasher
                });
            match spawned {
                Ok(hasher) => Hash::Thread {
                    to_hasher: Some(to_hasher),
                    returned,
                    hasher: Some(hasher),
                },
                // No thread to be had: hash here.
                Err(_) => Hash::Here(Sha256::new()),
            }
        } else {
            Hash::Here(Sha256::new())
        };
        HashingReader {
            inner,
            chunk: Arc::new(Vec::new()),
            pos: 0,
            hash,
            size: 0,
            eof: false,
            error: None,
        }
    }

    /// Reads (and hashes) whatever the parser left.
    pub fn drain(&mut self) -> io::Result<()> {
        loop {
            let available = self.fill_buf()?.len();
            if available == 0 {
                return Ok(());
            }
            self.consume(available);
        }
    }

    /// The sha256 (hex) and size of everything read, or the I/O error
    /// that interrupted reading.
    pub fn finish(mut self) -> io::Result<(String, u64)> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        let hasher = match self.hash {
            Hash::Here(hasher) => hasher,
            Hash::Thread {
                mut to_hasher,
                mut hasher,
                ..
            } => {
                // Closing the channel ends the hasher's loop.
                to_hasher.take();
                hasher
                    .take()
                    .and_then(|h| h.join().ok())
                    .ok_or_else(|| io::Error::other("the hashing thread failed"))?
            }
        };
        Ok((hex::encode(hasher.finalize()), self.size))
    }

    /// An empty buffer for the next chunk: the last one when nothing else
    /// holds it, else one the hasher is done with, else a new one.
    fn next_buffer(&mut self) -> Vec<u8> {
        let last = std::mem::take(&mut self.chunk);
        if let Ok(buffer) = Arc::try_unwrap(last) {
            if buffer.capacity() >= CHUNK_LEN {
                return buffer;
            }
        }
        if let Hash::Thread { returned, .. } = &self.hash {
            if let Ok(chunk) = returned.try_recv() {
                if let Ok(buffer) = Arc::try_unwrap(chunk) {
                    return buffer;
                }
            }
        }
        Vec::with_capacity(CHUNK_LEN)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for HashingReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.chunk.len() && !self.eof {
            let mut buffer = self.next_buffer();
            buffer.clear();
            // Read into the spare capacity: zeroing a whole chunk first
            // costs more than reading a small file.
            let n = match (&mut self.inner)
                .take(CHUNK_LEN as u64)
                .read_to_end(&mut buffer)
            {
                Ok(n) => {
                    // `read_to_end` stops short only at the end.
                    self.eof = n < CHUNK_LEN;
                    n
                }
                Err(error) => {
                    let kind = error.kind();
                    self.error = Some(error);
                    return Err(io::Error::new(kind, "read failed"));
                }
            };
            self.size = self.size.saturating_add(n as u64);
            self.pos = 0;
            self.chunk = Arc::new(buffer);
            if n > 0 {
                match &mut self.hash {
                    Hash::Here(hasher) => hasher.update(self.chunk.as_slice()),
                    Hash::Thread { to_hasher, .. } => {
                        let sent = to_hasher
                            .as_ref()
                            .is_some_and(|tx| tx.send(Arc::clone(&self.chunk)).is_ok());
                        if !sent {
                            let error = io::Error::other("the hashing thread stopped");
                            self.error = Some(error);
                            return Err(io::Error::other("read failed"));
                        }
                    }
                }
            }
        }
        Ok(self.chunk.get(self.pos..).unwrap_or_default())
    }

    fn consume(&mut self, amount: usize) {
        self.pos = self.pos.saturating_add(amount).min(self.chunk.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(data: &[u8], threaded: bool, read_first: usize) -> (String, u64) {
        let mut reader = HashingReader::new(data, threaded);
        let mut head = vec![0; read_first];
        let n = reader.read(&mut head).unwrap();
        assert!(n <= read_first);
        reader.drain().unwrap();
        reader.finish().unwrap()
    }

    #[test]
    fn both_ways_hash_every_byte() {
        let data: Vec<u8> = (0..3 * CHUNK_LEN as u32 + 17)
            .map(|i| (i % 251) as u8)
            .collect();
        let expected = (hex::encode(Sha256::digest(&data)), data.len() as u64);
        for threaded in [false, true] {
            for read_first in [0, 1, 5000] {
                assert_eq!(hash(&data, threaded, read_first), expected);
            }
            assert_eq!(
                hash(b"", threaded, 10),
                (hex::encode(Sha256::digest(b"")), 0)
            );
        }
    }

    #[test]
    fn read_errors_surface_at_the_end() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::new(io::ErrorKind::PermissionDenied, "no"))
            }
        }
        for threaded in [false, true] {
            let mut reader = HashingReader::new(Failing, threaded);
            assert!(reader.fill_buf().is_err());
            let error = reader.finish().unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::PermissionDenied);
        }
    }
}
