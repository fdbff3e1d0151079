//! Text input, decompressed and bounded: the bytes of a CSV or NDJSON file
//! read in chunks, with a cap on the decompressed size (relative to the
//! compressed size) and on the length of a line, and the line numbers of
//! byte offsets for people. `\n`, `\r\n` and a lone `\r` all end a line.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::{Compression, Limits};
use crate::error::SourceError;

/// A reader that fails once more than `allowed` bytes came out of it.
struct Capped<R> {
    inner: R,
    read: u64,
    allowed: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.allowed {
            return Err(std::io::Error::other(CapExceeded(self.allowed)));
        }
        Ok(n)
    }
}

/// The decompressed-size cap was hit.
#[derive(Debug)]
struct CapExceeded(u64);

impl std::fmt::Display for CapExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "decompresses to more than {} MiB", self.0.div_ceil(1 << 20))
    }
}

impl std::error::Error for CapExceeded {}

/// Open a file for reading, decompressing it if needed, with the
/// decompressed size capped by `limits` (plain files are their own size).
pub fn open(path: &Path, compression: Compression, limits: &Limits) -> Result<Box<dyn Read + Send>, SourceError> {
    let unreadable = |e: std::io::Error| SourceError::Unreadable {
        path: path.to_path_buf(),
        reason: crate::error::clip(&e.to_string(), 200),
    };
    let file = File::open(path).map_err(unreadable)?;
    let size = file.metadata().map_err(unreadable)?.len();
    Ok(match compression {
        Compression::None => Box::new(file),
        Compression::Gzip => Box::new(Capped {
            inner: flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file)),
            read: 0,
            allowed: limits.decompressed_cap(size),
        }),
        Compression::Zstd => Box::new(Capped {
            inner: zstd::stream::read::Decoder::new(file).map_err(unreadable)?,
            read: 0,
            allowed: limits.decompressed_cap(size),
        }),
    })
}

/// Turn a read error into the file's one-line error, naming the cap when a
/// compression bomb hit it.
pub fn read_error(path: &Path, e: std::io::Error, limits: &Limits) -> SourceError {
    let reason = match e.get_ref().and_then(|inner| inner.downcast_ref::<CapExceeded>()) {
        Some(cap) => format!(
            "{cap} (more than {}× its compressed size, or [limits] max_decompressed_mib = {}): \
             a compression bomb? Raise the limits in [limits] if the file is real",
            limits.max_expansion, limits.max_decompressed_mib
        ),
        None => e.to_string(),
    };
    SourceError::Unreadable {
        path: path.to_path_buf(),
        reason: crate::error::clip(&reason, 300),
    }
}

/// A chunked view of a text stream: `buf[pos..]` is unread, more is read on
/// demand, consumed bytes are dropped, and line numbers are kept for the
/// start of the unread part.
pub struct Chunks<R> {
    reader: R,
    pub buf: Vec<u8>,
    pub pos: usize,
    pub eof: bool,
    /// 1-based line of `buf[pos]`.
    pub line: u64,
    /// The previous consumed byte was a `\r` (a `\n` right after it ends no new line).
    after_cr: bool,
}

/// How much is read at a time.
const CHUNK: usize = 1 << 20;

impl<R: Read> Chunks<R> {
    pub fn new(reader: R) -> Self {
        Chunks {
            reader,
            buf: Vec::with_capacity(CHUNK),
            pos: 0,
            eof: false,
            line: 1,
            after_cr: false,
        }
    }

    /// Read more bytes (dropping consumed ones); false at the end of input.
    pub fn fill(&mut self) -> std::io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        let old = self.buf.len();
        self.buf.resize(old + CHUNK, 0);
        let n = loop {
            match self.reader.read(&mut self.buf[old..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.buf.truncate(old);
                    return Err(e);
                }
            }
        };
        self.buf.truncate(old + n);
        if n == 0 {
            self.eof = true;
        }
        Ok(n > 0)
    }

    /// Mark `n` unread bytes consumed, counting the line ends among them.
    pub fn consume(&mut self, n: usize) {
        let (line, after_cr) = count_lines(&self.buf[self.pos..self.pos + n], self.after_cr);
        self.line += line;
        if n > 0 {
            self.after_cr = after_cr;
        }
        self.pos += n;
    }

    pub fn unread(&self) -> &[u8] {
        &self.buf[self.pos..]
    }
}

/// Line ends in `bytes` (`\r\n` counts once, also across a previous `\r`)
/// and whether `bytes` ends with `\r`.
pub fn count_lines(bytes: &[u8], after_cr: bool) -> (u64, bool) {
    let mut n = 0u64;
    let mut prev_cr = after_cr;
    for &b in bytes {
        match b {
            b'\n' if prev_cr => prev_cr = false,
            b'\n' => n += 1,
            b'\r' => {
                n += 1;
                prev_cr = true;
            }
            _ => prev_cr = false,
        }
    }
    (n, bytes.last().map_or(after_cr, |b| *b == b'\r'))
}

/// The end of the first line in `bytes` (the index of its `\r` or `\n`).
pub fn line_end(bytes: &[u8]) -> Option<usize> {
    memchr::memchr2(b'\n', b'\r', bytes)
}

/// The length of the line end at `bytes[at]` (2 for `\r\n`, else 1).
pub fn terminator_len(bytes: &[u8], at: usize) -> usize {
    if bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n') {
        2
    } else {
        1
    }
}

/// Call `f` with (line number, bytes) for every non-blank line of a text
/// stream (a byte-order mark before the first dropped, `\n`, `\r\n` or `\r`
/// ends), streamed in chunks; a line longer than the limit fails the file.
pub fn for_each_line(
    path: &std::path::Path,
    input: impl Read,
    limits: &Limits,
    mut f: impl FnMut(u64, &[u8]),
) -> anyhow::Result<()> {
    let max_line = limits.max_line_bytes();
    let mut chunks = Chunks::new(input);
    let io = |e: std::io::Error| read_error(path, e, limits);
    let too_long = |line: u64| SourceError::Unreadable {
        path: path.to_path_buf(),
        reason: format!(
            "line {line} is longer than {} KiB (set [limits] max_line_kib to read it)",
            limits.max_line_kib
        ),
    };
    let mut first = true;
    loop {
        let (end, term) = loop {
            let unread = chunks.unread();
            match line_end(unread) {
                Some(e) if e + 1 < unread.len() || chunks.eof => break (e, terminator_len(unread, e)),
                // A `\r` as the last byte read may be half of `\r\n`.
                Some(e) if unread[e] == b'\n' => break (e, 1),
                None if chunks.eof => break (unread.len(), 0),
                _ => {
                    if unread.len() > max_line {
                        return Err(too_long(chunks.line).into());
                    }
                    chunks.fill().map_err(io)?;
                }
            }
        };
        if end > max_line {
            return Err(too_long(chunks.line).into());
        }
        let line_no = chunks.line;
        let mut line = &chunks.unread()[..end];
        if first {
            // A byte-order mark (Excel, PowerShell) is not part of the first line.
            line = line.strip_prefix(b"\xef\xbb\xbf").unwrap_or(line);
        }
        if line.is_empty() && end == 0 && term == 0 {
            break;
        }
        if !line.iter().all(u8::is_ascii_whitespace) {
            first = false;
            f(line_no, line);
        }
        chunks.consume(end + term);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_end_counts_once() {
        assert_eq!(count_lines(b"a\nb\r\nc\rd", false), (3, false));
        assert_eq!(count_lines(b"\r", false), (1, true));
        // A \n right after a \r of the previous chunk is the same line end.
        assert_eq!(count_lines(b"\nx", true), (0, false));
        assert_eq!(count_lines(b"", true), (0, true));
    }

    #[test]
    fn chunks_track_lines_across_reads() {
        let text = b"one\r\ntwo\rthree\nfour".to_vec();
        let mut c = Chunks::new(std::io::Cursor::new(text));
        assert!(c.fill().unwrap());
        let end = line_end(c.unread()).unwrap();
        c.consume(end + terminator_len(c.unread(), end));
        assert_eq!((c.line, c.unread().starts_with(b"two")), (2, true));
        let end = line_end(c.unread()).unwrap();
        c.consume(end + 1);
        assert_eq!(c.line, 3);
    }

    #[test]
    fn a_compression_bomb_stops_at_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bomb.csv.zst");
        // 64 MiB of "a" compress to a few kB.
        let bomb = zstd::encode_all(std::io::repeat(b'a').take(64 << 20), 3).unwrap();
        std::fs::write(&p, &bomb).unwrap();
        let limits = Limits {
            max_expansion: 100,
            max_decompressed_mib: 16384,
            max_line_kib: 1024,
        };
        let mut r = open(&p, Compression::Zstd, &limits).unwrap();
        let mut sink = Vec::new();
        let err = r.read_to_end(&mut sink).unwrap_err();
        assert!(sink.len() as u64 <= limits.decompressed_cap(bomb.len() as u64));
        let msg = read_error(&p, err, &limits).to_string();
        assert!(msg.contains("decompresses to more than 16 MiB"), "{msg}");
        assert!(msg.contains("compression bomb"), "{msg}");
    }
}
