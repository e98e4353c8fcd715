//! Robust JSONL reading: bounded-memory line splitting and damage-tolerant record parsing.
//!
//! Transcripts are appended to while the agent runs, written by several processes, and copied
//! around; real files contain truncated last lines, two records glued on one line, and stray
//! bytes. The reader never gives up on a file because of one bad line: every loss is counted
//! and reported with its file and line.

use crate::diag::Diagnostics;
use serde::de::IgnoredAny;
use std::io::{self, Read};

/// Lines longer than this are skipped (counted as `line-too-long`) without being buffered.
/// Claude Code records larger than this would be tool outputs of tens of megabytes; a cap
/// keeps peak memory bounded whatever the input.
pub const DEFAULT_MAX_LINE: usize = 64 << 20;

const CHUNK: usize = 256 << 10;

/// One line handed out by [`LineReader::next_line`].
pub enum Line<'a> {
    /// The bytes of the line, without the trailing `\n` / `\r\n`.
    Data(&'a [u8]),
    /// A line longer than the cap; its bytes were discarded. Holds its length.
    TooLong(u64),
}

/// Splits a byte stream into lines with `memchr`, holding at most one line (up to the cap)
/// plus one read chunk in memory.
pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Where the newline search resumes (avoid rescanning a long partial line).
    scanned: usize,
    eof: bool,
    max_line: usize,
    line_no: u64,
    bytes: u64,
}

impl<R: Read> LineReader<R> {
    pub fn new(inner: R) -> Self {
        Self::with_max_line(inner, DEFAULT_MAX_LINE)
    }

    pub fn with_max_line(inner: R, max_line: usize) -> Self {
        Self::with_first_chunk(inner, CHUNK, max_line)
    }

    /// A reader whose first read is `first` bytes (the buffer still grows as lines need):
    /// for a peek at a file's first records, which need not read a full chunk of every file.
    pub fn with_first_chunk(inner: R, first: usize, max_line: usize) -> Self {
        LineReader {
            inner,
            buf: vec![0; first.max(1)],
            start: 0,
            end: 0,
            scanned: 0,
            eof: false,
            max_line: max_line.max(1),
            line_no: 0,
            bytes: 0,
        }
    }

    /// Bytes read from the underlying reader so far.
    pub fn bytes_read(&self) -> u64 {
        self.bytes
    }

    fn fill(&mut self) -> io::Result<usize> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.scanned -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            // Doubling, with at least a chunk of room once the buffer holds one: a peek's small
            // first buffer grows as its line needs, not by a full chunk that reads (and zeroes)
            // 256 KB of every file whose first line is longer than the peek.
            let new_len = (self.buf.len() * 2)
                .min(self.max_line + CHUNK)
                .max(self.end + self.buf.len().clamp(1, CHUNK));
            self.buf.resize(new_len, 0);
        }
        loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(n) => {
                    self.end += n;
                    self.bytes += n as u64;
                    if n == 0 {
                        self.eof = true;
                    }
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// Discard bytes up to and including the next newline; returns how many were dropped.
    fn discard_line(&mut self) -> io::Result<u64> {
        let mut dropped = 0u64;
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                dropped += i as u64;
                self.start += i + 1;
                self.scanned = self.start;
                return Ok(dropped);
            }
            dropped += (self.end - self.start) as u64;
            self.start = 0;
            self.end = 0;
            self.scanned = 0;
            if self.eof || self.fill()? == 0 {
                return Ok(dropped);
            }
        }
    }

    /// The next line and its 1-based number, or `None` at end of input. A last line without a
    /// newline is returned as is (it may be a record still being written).
    pub fn next_line(&mut self) -> io::Result<Option<(u64, Line<'_>)>> {
        loop {
            if let Some(i) = memchr::memchr(b'\n', &self.buf[self.scanned..self.end]) {
                let nl = self.scanned + i;
                let s = self.start;
                self.start = nl + 1;
                self.scanned = self.start;
                self.line_no += 1;
                let mut e = nl;
                if e > s && self.buf[e - 1] == b'\r' {
                    e -= 1;
                }
                return Ok(Some((self.line_no, Line::Data(&self.buf[s..e]))));
            }
            self.scanned = self.end;
            if self.end - self.start >= self.max_line {
                let already = (self.end - self.start) as u64;
                self.start = self.end;
                let rest = self.discard_line()?;
                self.line_no += 1;
                return Ok(Some((self.line_no, Line::TooLong(already + rest))));
            }
            if self.eof || self.fill()? == 0 {
                if self.start == self.end {
                    return Ok(None);
                }
                let s = self.start;
                let e = self.end;
                self.start = self.end;
                self.scanned = self.end;
                self.line_no += 1;
                return Ok(Some((self.line_no, Line::Data(&self.buf[s..e]))));
            }
        }
    }
}

pub(crate) fn trim(b: &[u8]) -> &[u8] {
    // A UTF-8 byte-order mark (editors on Windows write one at the start of a file) is not
    // JSON; without this the file's first record would be lost.
    let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
    let s = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let e = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(s, |i| i + 1);
    &b[s..e]
}

/// Parse one JSONL line into records, recovering what can be recovered.
///
/// `parse_one` parses one JSON value's bytes into the caller's typed record and consumes it;
/// it returns the serde error when the bytes do not fit. Fast path: the whole line is one
/// record. Slow path (only on error): invalid UTF-8 is replaced lossily; the line is split
/// into its top-level JSON values (several records glued together) with resynchronisation
/// after a broken value; each value is parsed on its own. Every loss is counted in `diag`.
/// Returns the number of records handed to `parse_one` successfully.
pub fn parse_line<F>(
    line: &[u8],
    file: &str,
    line_no: u64,
    diag: &mut Diagnostics,
    mut parse_one: F,
) -> u64
where
    F: FnMut(&[u8]) -> Result<(), serde_json::Error>,
{
    let line = trim(line);
    if line.is_empty() {
        return 0;
    }
    if line[0] != b'{' {
        let reason = if serde_json::from_slice::<IgnoredAny>(line).is_ok() {
            "not-an-object"
        } else {
            "invalid-json"
        };
        diag.skip(
            file,
            Some(line_no),
            reason,
            "line does not start with a JSON object",
        );
        return 0;
    }
    let first_err = match parse_one(line) {
        Ok(()) => return 1,
        Err(e) => e,
    };
    let owned;
    let line: &[u8] = if std::str::from_utf8(line).is_err() {
        owned = String::from_utf8_lossy(line).into_owned();
        diag.recover(
            file,
            Some(line_no),
            "invalid-utf8",
            "invalid UTF-8 replaced with U+FFFD",
        );
        if parse_one(owned.as_bytes()).is_ok() {
            return 1;
        }
        owned.as_bytes()
    } else {
        line
    };
    if !first_err.is_syntax() && !first_err.is_eof() {
        // Valid JSON that does not fit the record shape: nothing to split.
        if serde_json::from_slice::<IgnoredAny>(line).is_ok() {
            let reason = if line[0] == b'{' {
                "bad-record-shape"
            } else {
                "not-an-object"
            };
            diag.skip(file, Some(line_no), reason, first_err.to_string());
            return 0;
        }
    }
    let (ranges, errors) = split_values(line);
    for (pos, err) in &errors {
        let reason = if err.is_eof() {
            "truncated-json"
        } else {
            "invalid-json"
        };
        diag.skip(file, Some(line_no), reason, format!("at byte {pos}: {err}"));
    }
    if ranges.len() > 1 {
        diag.recover(
            file,
            Some(line_no),
            "concatenated-records",
            format!("{} JSON records on one line, split apart", ranges.len()),
        );
    }
    let mut ok = 0;
    for r in ranges {
        let v = &line[r];
        match parse_one(v) {
            Ok(()) => ok += 1,
            Err(e) => {
                let reason = if v.first() == Some(&b'{') {
                    "bad-record-shape"
                } else {
                    "not-an-object"
                };
                diag.skip(file, Some(line_no), reason, e.to_string())
            }
        }
    }
    ok
}

/// Where the next record plausibly starts after a broken one: a `}{` seam first (records
/// glued together), else the key that opens Claude Code records; `None` to give up.
fn resync_point(line: &[u8], from: usize) -> Option<usize> {
    let rest = line.get(from..)?;
    if let Some(i) = memchr::memmem::find(rest, b"}{") {
        return Some(from + i + 1);
    }
    for key in [&b"{\"parentUuid\""[..], b"{\"type\""] {
        if let Some(i) = memchr::memmem::find(rest, key) {
            return Some(from + i);
        }
    }
    None
}

/// Byte ranges of the top-level JSON values in `line`, and the errors met (with the byte
/// position where each broken value started). After an error, scanning resumes at the next
/// `{`, since every record is an object.
pub fn split_values(line: &[u8]) -> (Vec<std::ops::Range<usize>>, Vec<(usize, serde_json::Error)>) {
    let mut ranges = Vec::new();
    let mut errors = Vec::new();
    let mut pos = 0usize;
    'outer: while pos < line.len() {
        let sub = &line[pos..];
        let mut it = serde_json::Deserializer::from_slice(sub).into_iter::<IgnoredAny>();
        loop {
            let before = it.byte_offset();
            match it.next() {
                None => break 'outer,
                Some(Ok(_)) => {
                    let after = it.byte_offset();
                    let r = pos + before..pos + after;
                    let t = trim(&line[r.clone()]);
                    let off = t.as_ptr() as usize - line.as_ptr() as usize;
                    ranges.push(off..off + t.len());
                }
                Some(Err(e)) => {
                    let mut fail = pos + before;
                    while fail < line.len() && line[fail].is_ascii_whitespace() {
                        fail += 1;
                    }
                    let eof = e.is_eof();
                    errors.push((fail, e));
                    if eof {
                        // The broken value swallowed the rest of the line.
                        break 'outer;
                    }
                    match resync_point(line, fail + 1) {
                        Some(p) => {
                            pos = p;
                            continue 'outer;
                        }
                        None => break 'outer,
                    }
                }
            }
        }
    }
    (ranges, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(data: &[u8], cap: usize) -> Vec<Result<Vec<u8>, u64>> {
        let mut r = LineReader::with_max_line(data, cap);
        let mut out = Vec::new();
        while let Some((_, l)) = r.next_line().unwrap() {
            out.push(match l {
                Line::Data(d) => Ok(d.to_vec()),
                Line::TooLong(n) => Err(n),
            });
        }
        out
    }

    #[test]
    fn splits_lines_with_and_without_final_newline() {
        assert_eq!(
            lines(b"a\nbb\r\nccc", 100),
            vec![Ok(b"a".to_vec()), Ok(b"bb".to_vec()), Ok(b"ccc".to_vec())]
        );
        assert_eq!(lines(b"a\n", 100), vec![Ok(b"a".to_vec())]);
        assert!(lines(b"", 100).is_empty());
    }

    #[test]
    fn overlong_line_is_skipped_and_following_lines_survive() {
        let mut data = vec![b'x'; 1_000_000];
        data.extend_from_slice(b"\nok\n");
        let got = lines(&data, 1000);
        assert_eq!(got, vec![Err(1_000_000), Ok(b"ok".to_vec())]);
    }

    proptest::proptest! {
        /// A reader whose first buffer is small (discovery's peek) grows as its lines need and
        /// reads the same lines as one with a full first chunk.
        #[test]
        fn a_small_first_buffer_reads_the_same_lines(
            lens in proptest::collection::vec(0usize..3000, 0..12),
            first in 1usize..600,
            end_nl: bool,
        ) {
            let mut data = Vec::new();
            for (k, n) in lens.iter().enumerate() {
                data.extend(std::iter::repeat_n(b'a' + (k % 26) as u8, *n));
                data.push(b'\n');
            }
            if !end_nl {
                data.pop();
            }
            let mut small = LineReader::with_first_chunk(&data[..], first, 1 << 20);
            let mut got = Vec::new();
            while let Some((no, Line::Data(d))) = small.next_line().unwrap() {
                got.push((no, d.to_vec()));
            }
            let mut full = LineReader::new(&data[..]);
            let mut want = Vec::new();
            while let Some((no, Line::Data(d))) = full.next_line().unwrap() {
                want.push((no, d.to_vec()));
            }
            proptest::prop_assert_eq!(got, want);
            // The buffer never grew past twice the longest line and the first buffer.
            let longest = lens.iter().max().copied().unwrap_or(0) + 1;
            proptest::prop_assert!(small.buf.len() <= 2 * longest.max(first) + 2, "{}", small.buf.len());
        }
    }

    #[test]
    fn a_byte_order_mark_is_not_part_of_the_record() {
        assert_eq!(trim(b"\xEF\xBB\xBF{\"a\":1}\r"), b"{\"a\":1}");
        assert_eq!(trim(b"  {}  "), b"{}");
    }

    #[test]
    fn glued_records_are_split() {
        let (r, e) = split_values(br#"{"a":1}{"b":[2]} {"c":"}"}"#);
        assert_eq!(r.len(), 3);
        assert!(e.is_empty());
        let (r, e) = split_values(
            br#"{"type":"user","message":{"content":"cut{"type":"assistant","uuid":"x"}"#,
        );
        assert_eq!(e.len(), 1);
        assert_eq!(r.len(), 1);
    }
}
