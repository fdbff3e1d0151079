//! CSV with a header row (RFC 4180: quoted fields may hold commas, quotes
//! and line ends), streamed in chunks and split by `csv-core`. Only the
//! columns asked for are kept, as text. Whatever the bytes, every record is
//! a row or a counted malformed row, never a fatal error:
//! - `\n`, `\r\n` and a lone `\r` end a line; blank lines are no rows;
//! - a record spanning several lines whose field count is not the header's
//!   (an unbalanced quote swallowing the rows after it) is one malformed
//!   row at its first line, and reading resumes on the next line;
//! - invalid UTF-8 in a field makes the row malformed (naming the column),
//!   except in free text, which is read lossily;
//! - a row with fewer fields than the header has its missing fields empty;
//!   extra fields are ignored.
//!
//! A line longer than `[limits] max_line_kib` fails the file (it is no log).

use std::io::Read;
use std::path::Path;

use anyhow::Result;
use csv_core::ReadRecordResult;

use super::text::{Chunks, count_lines, line_end, read_error, terminator_len};
use super::{Columns, Limits, Wanted};
use crate::error::SourceError;

/// Read a CSV stream into text columns for `wanted`.
pub fn read(path: &Path, input: impl Read, wanted: &Wanted, limits: &Limits) -> Result<Columns> {
    let max_line = limits.max_line_bytes();
    let mut chunks = Chunks::new(input);
    let io = |e: std::io::Error| read_error(path, e, limits);
    let mut parser = csv_core::ReaderBuilder::new().build();
    let mut out: Vec<u8> = vec![0; 64 * 1024];
    let mut ends: Vec<usize> = vec![0; 64];

    // The header: the first record that is not blank.
    let mut header: Option<Vec<String>> = None;
    let mut cols: Option<Columns> = None;
    let mut first = true;
    loop {
        skip_blank_lines(&mut chunks, &io)?;
        let start_line = chunks.line;
        let Some((nin, nends)) = next_record(&mut chunks, &mut parser, &mut out, &mut ends, path, limits)? else {
            break;
        };
        let input = chunks.unread();
        if nin == usize::MAX {
            // Resync: the first line was malformed; resume on the next line.
            let end = line_end(input).unwrap_or(input.len());
            let skip = (end + terminator_len_at(input, end)).min(input.len());
            if let Some(c) = cols.as_mut() {
                c.push_malformed(start_line, "unbalanced quote: no closing quote");
            }
            chunks.consume(skip);
            continue;
        }
        let raw = &input[..nin];
        if nin > max_line && longest_line(raw) > max_line {
            return Err(too_long(path, start_line, limits).into());
        }
        let (lines_spanned, _) = count_lines(trim_terminator(raw), false);
        let fields = Fields {
            out: &out,
            ends: &ends[..nends],
        };
        if first {
            first = false;
            if fields.is_blank() {
                chunks.consume(nin);
                first = true;
                continue;
            }
            let names: Vec<String> = (0..fields.len())
                .map(|i| {
                    let t = String::from_utf8_lossy(fields.get(i));
                    let t = if i == 0 { t.trim_start_matches('\u{feff}') } else { &t };
                    t.trim().to_string()
                })
                .collect();
            cols = Some(Columns::new(wanted, &names));
            header = Some(names);
            chunks.consume(nin);
            continue;
        }
        let c = cols.as_mut().expect("header read");
        let width = header.as_ref().map_or(0, Vec::len);
        if fields.is_blank() {
            chunks.consume(nin);
            continue;
        }
        if lines_spanned > 0 && fields.len() != width {
            // An unbalanced quote joined lines into one record: count the
            // first line, resume on the second.
            let end = line_end(raw).unwrap_or(raw.len());
            let skip = end + terminator_len_at(raw, end);
            c.push_malformed(
                start_line,
                &format!(
                    "unbalanced quote: {} fields over {} lines where the header has {width}",
                    fields.len(),
                    lines_spanned + 1
                ),
            );
            chunks.consume(skip);
            continue;
        }
        c.push_row(start_line, |i| fields.get_opt(i));
        chunks.consume(nin);
    }
    Ok(cols.unwrap_or_else(|| Columns::new(wanted, &[])))
}

/// Line ends before a record are blank lines: skipped, but counted.
fn skip_blank_lines(chunks: &mut Chunks<impl Read>, io: &impl Fn(std::io::Error) -> SourceError) -> Result<()> {
    loop {
        let skip = chunks
            .unread()
            .iter()
            .take_while(|b| matches!(b, b'\n' | b'\r'))
            .count();
        chunks.consume(skip);
        if !chunks.unread().is_empty() || !chunks.fill().map_err(io)? {
            return Ok(());
        }
    }
}

/// The next record's (bytes read, fields) from the unread bytes, None at
/// the end; (`usize::MAX`, 0) for a quoted field that never closes within
/// a line's worth of bytes (not a record: its first line is counted). When
/// the bytes run out mid-record, more are read and the record is parsed
/// again.
fn next_record(
    chunks: &mut Chunks<impl Read>,
    parser: &mut csv_core::Reader,
    out: &mut Vec<u8>,
    ends: &mut Vec<usize>,
    path: &Path,
    limits: &Limits,
) -> Result<Option<(usize, usize)>> {
    let max_line = limits.max_line_bytes();
    let start_line = chunks.line;
    loop {
        let input = chunks.unread();
        parser.reset();
        let (res, nin, nends) = parse_record(parser, input, chunks.eof, out, ends);
        match res {
            Parsed::Record => return Ok(Some((nin, nends))),
            Parsed::End => return Ok(None),
            Parsed::NeedMore => {
                if input.len() > max_line && line_end(&input[..max_line]).is_none() {
                    return Err(too_long(path, start_line, limits).into());
                }
                if input.len() > max_line {
                    return Ok(Some((usize::MAX, 0)));
                }
                chunks.fill().map_err(|e| read_error(path, e, limits))?;
            }
        }
    }
}

fn too_long(path: &Path, line: u64, limits: &Limits) -> SourceError {
    SourceError::Unreadable {
        path: path.to_path_buf(),
        reason: format!(
            "line {line} is longer than {} KiB (set [limits] max_line_kib to read it)",
            limits.max_line_kib
        ),
    }
}

/// The length of the longest line in `bytes`.
fn longest_line(bytes: &[u8]) -> usize {
    bytes
        .split(|b| matches!(b, b'\n' | b'\r'))
        .map(<[u8]>::len)
        .max()
        .unwrap_or(0)
}

fn terminator_len_at(bytes: &[u8], at: usize) -> usize {
    if at < bytes.len() { terminator_len(bytes, at) } else { 0 }
}

/// The record without its final line end.
fn trim_terminator(raw: &[u8]) -> &[u8] {
    let mut r = raw;
    while let Some((&last, rest)) = r.split_last() {
        if last == b'\n' || last == b'\r' {
            r = rest;
        } else {
            break;
        }
    }
    r
}

enum Parsed {
    Record,
    End,
    NeedMore,
}

/// Parse one record from `input` (the parser freshly reset): its fields into
/// `out`/`ends`, how many bytes it took (with its line end), and how many
/// fields. `eof`: no more bytes follow `input`.
fn parse_record(
    parser: &mut csv_core::Reader,
    input: &[u8],
    eof: bool,
    out: &mut Vec<u8>,
    ends: &mut Vec<usize>,
) -> (Parsed, usize, usize) {
    let (mut nin, mut nout, mut nends) = (0, 0, 0);
    loop {
        let feed = &input[nin..];
        // Past the input at the end of the stream: an empty slice says EOF.
        if feed.is_empty() && !eof {
            return (Parsed::NeedMore, 0, 0);
        }
        let (res, i, o, e) = parser.read_record(feed, &mut out[nout..], &mut ends[nends..]);
        nin += i;
        nout += o;
        nends += e;
        match res {
            ReadRecordResult::InputEmpty => {
                if !eof {
                    return (Parsed::NeedMore, 0, 0);
                }
                // At EOF, an empty slice ends the last record.
            }
            ReadRecordResult::OutputFull => {
                let n = out.len();
                out.resize(n * 2, 0);
            }
            ReadRecordResult::OutputEndsFull => {
                let n = ends.len();
                ends.resize(n * 2, 0);
            }
            ReadRecordResult::Record => return (Parsed::Record, nin, nends),
            ReadRecordResult::End => return (Parsed::End, nin, nends),
        }
    }
}

/// The fields of one parsed record.
struct Fields<'a> {
    out: &'a [u8],
    ends: &'a [usize],
}

impl Fields<'_> {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.out[start..self.ends[i]]
    }

    fn get_opt(&self, i: usize) -> Option<&[u8]> {
        (i < self.ends.len()).then(|| self.get(i))
    }

    /// A record of one empty field: a blank line (or a line of spaces).
    fn is_blank(&self) -> bool {
        self.len() == 1 && self.get(0).iter().all(u8::is_ascii_whitespace)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::{LINE, MALFORMED, ROW};
    use polars::prelude::*;

    fn wanted() -> Wanted {
        Wanted {
            names: vec!["ts", "comment", "n"],
            free_text: vec!["comment"],
        }
    }

    fn read_text(text: &[u8]) -> DataFrame {
        let limits = Limits::default();
        read(Path::new("t.csv"), text, &wanted(), &limits)
            .unwrap()
            .finish()
            .unwrap()
    }

    fn strings(df: &DataFrame, name: &str) -> Vec<Option<String>> {
        df.column(name)
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect()
    }

    fn lines(df: &DataFrame) -> Vec<u32> {
        df.column(LINE).unwrap().u32().unwrap().into_no_null_iter().collect()
    }

    fn malformed(df: &DataFrame) -> Vec<bool> {
        df.column(MALFORMED)
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .map(|v| v.unwrap_or(false))
            .collect()
    }

    #[test]
    fn quoted_fields_keep_commas_quotes_and_line_ends() {
        let df = read_text(b"TS,Comment,n,extra\n1,\"a, \"\"b\"\"\nc\",3,x\n2,plain,4,y\n");
        assert_eq!(
            strings(&df, "comment"),
            vec![Some("a, \"b\"\nc".into()), Some("plain".into())]
        );
        assert_eq!(lines(&df), vec![2, 4]);
        assert_eq!(df.column(ROW).unwrap().idx().unwrap().get(1), Some(1));
    }

    #[test]
    fn cr_only_crlf_and_blank_lines() {
        for text in [
            &b"ts,comment,n\r1,a,1\r2,b,2\r"[..],
            b"ts,comment,n\r\n1,a,1\r\n\r\n2,b,2\r\n",
            b"\xef\xbb\xbfts,comment,n\n\n1,a,1\n   \n2,b,2",
        ] {
            let df = read_text(text);
            assert_eq!(strings(&df, "ts"), vec![Some("1".into()), Some("2".into())], "{text:?}");
            assert!(!malformed(&df).iter().any(|m| *m));
        }
        // Lines are counted as people see them: the blank line 3 is skipped.
        assert_eq!(lines(&read_text(b"ts,comment,n\r\n1,a,1\r\n\r\n2,b,2\r\n")), vec![2, 4]);
    }

    #[test]
    fn empty_and_header_only_files_have_no_rows() {
        for text in [&b""[..], b"\n\n", b"\xef\xbb\xbf", b"ts,comment,n\n"] {
            assert_eq!(read_text(text).height(), 0, "{text:?}");
        }
    }

    #[test]
    fn an_unbalanced_quote_costs_one_row() {
        // Line 3 opens a quote that never closes: it is one malformed row and
        // the rows after it are read.
        let df = read_text(b"ts,comment,n\n1,a,1\n2,\"broken,2\n3,c,3\n4,d,4\n");
        assert_eq!(malformed(&df), vec![false, true, false, false]);
        assert_eq!(lines(&df), vec![2, 3, 4, 5]);
        assert_eq!(strings(&df, "ts")[2], Some("3".into()));
        // Truncated mid-row at the end of the file: the partial row is a row.
        let df = read_text(b"ts,comment,n\n1,a,1\n2,\"half");
        assert_eq!(df.height(), 2);
        assert_eq!(strings(&df, "n")[1], None);
    }

    #[test]
    fn invalid_utf8_is_malformed_outside_free_text() {
        let df = read_text(b"ts,comment,n\n1,caf\xe9,1\n2\xff,b,2\n3,c,3\xc0\n");
        assert_eq!(malformed(&df), vec![false, true, true]);
        // The comment is read lossily; the row stays.
        assert_eq!(strings(&df, "comment")[0], Some("caf\u{fffd}".into()));
    }

    #[test]
    fn short_rows_have_empty_fields_and_long_rows_lose_extras() {
        let df = read_text(b"ts,comment,n\n1\n2,b,2,extra,more\n");
        assert_eq!(strings(&df, "comment"), vec![None, Some("b".into())]);
        assert_eq!(strings(&df, "n"), vec![None, Some("2".into())]);
    }

    #[test]
    fn a_line_without_end_beyond_the_cap_fails_the_file() {
        let limits = Limits {
            max_line_kib: 1,
            ..Limits::default()
        };
        let text = format!("ts,comment,n\n1,{},1\n", "x".repeat(4096));
        let err = read(Path::new("t.csv"), text.as_bytes(), &wanted(), &limits)
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            err,
            "t.csv: cannot read: line 2 is longer than 1 KiB (set [limits] max_line_kib to read it)"
        );
    }
}
