//! Skimming a line before it is parsed: the long string values of fields the Claude Code
//! adapter never reads are cut out, so serde_json does not scan them byte by byte.
//!
//! A third of a Claude Code transcript's bytes sit in values nobody reads: the whole file
//! before an edit (`toolUseResult.originalFile`), the file a `Read` returned a second time
//! (`toolUseResult.file.content`), thinking text and its signature, base64 image data, shell
//! `stdout`/`stderr` copies. Finding the end of such a string needs only its closing quote, which
//! `memchr2` finds many times faster than a JSON parser walks the string. The skimmed line is the
//! original with those values emptied (`"originalFile":""`), so the record reads exactly the same:
//! every skimmed key is one the adapter ignores (`stdout` is only tested for presence, which an
//! empty string keeps).
//!
//! Why a match is always a real key: in valid JSON a `"` inside a string is escaped, so the
//! pattern `"key":"` (unescaped quotes around the colon) can only occur as a key followed by a
//! string value. A line that does not parse after skimming is parsed again as it was (the caller
//! does that), so damaged lines get the same messages and recovery as before. What skimming gives
//! up: the bytes of a skipped value are not validated (a raw control character inside
//! `originalFile` no longer costs the record).
//!
//! Lines holding a tool call's input (`"input":`) are never skimmed: inputs are kept as raw JSON
//! and may use any key.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use std::sync::OnceLock;

/// Values shorter than this are left alone: cutting them would not pay for the copy.
pub const MIN_SKIP: usize = 512;

/// What follows a matched pattern.
#[derive(Clone, Copy)]
enum After {
    /// The pattern ends at the opening quote of the value to cut.
    Value,
    /// `"file":{"filePath":"`: the path string, then `,"content":"` and the value to cut.
    FilePathThenContent,
    /// `"input":`: a tool input is on this line; do not skim it.
    Abort,
    /// A tool result's text: cut only when the line is a successful `Read` (see `skim`).
    ResultText,
    /// `"is_error":true`: a failed tool call; its result text is kept.
    Failed,
}

const PATTERNS: &[(&str, After)] = &[
    ("\"originalFile\":\"", After::Value),
    ("\"originalFileContents\":\"", After::Value),
    ("\"file\":{\"filePath\":\"", After::FilePathThenContent),
    ("\"thinking\":\"", After::Value),
    ("\"signature\":\"", After::Value),
    ("\"data\":\"", After::Value),
    ("\"stdout\":\"", After::Value),
    ("\"stderr\":\"", After::Value),
    ("\"oldString\":\"", After::Value),
    ("\"newString\":\"", After::Value),
    ("\"input\":", After::Abort),
    ("\"type\":\"tool_result\",\"content\":\"", After::ResultText),
    ("\"is_error\":true", After::Failed),
];

/// Searches all patterns in one pass: Teddy (SIMD fingerprints of the patterns' first bytes)
/// where the CPU has it, else an Aho-Corasick automaton.
enum Finder {
    Packed(aho_corasick::packed::Searcher),
    Automaton(AhoCorasick),
}

impl Finder {
    fn find_from(&self, hay: &[u8], from: usize) -> Option<(usize, usize, usize)> {
        match self {
            Finder::Packed(s) => s
                .find_in(hay, aho_corasick::Span::from(from..hay.len()))
                .map(|m| (m.start(), m.end(), m.pattern().as_usize())),
            Finder::Automaton(a) => a
                .find(aho_corasick::Input::new(hay).span(from..hay.len()))
                .map(|m| (m.start(), m.end(), m.pattern().as_usize())),
        }
    }
}

fn finder() -> &'static Finder {
    static F: OnceLock<Finder> = OnceLock::new();
    F.get_or_init(|| {
        let mut b = aho_corasick::packed::Config::new()
            .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
            .builder();
        for (p, _) in PATTERNS {
            b.add(p);
        }
        match b.build() {
            Some(s) => Finder::Packed(s),
            None => Finder::Automaton(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(PATTERNS.iter().map(|(p, _)| p))
                    .expect("fixed patterns build"),
            ),
        }
    })
}

/// Index of the closing quote of the JSON string whose contents start at `from`, or `None` when
/// the line ends first (a truncated value).
/// Only quotes are searched (code is dense with `\\n` escapes, quotes are rarer); a quote ends
/// the string when an even number of backslashes precede it.
fn string_end(line: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let i = from + memchr::memchr(b'"', line.get(from..)?)?;
        if !escaped(line, i) {
            return Some(i);
        }
        from = i + 1;
    }
}

/// True when the byte at `i` is preceded by an odd number of backslashes (it is escaped).
fn escaped(line: &[u8], i: usize) -> bool {
    line[..i].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 1
}

/// A reusable buffer for skimmed lines (one per reader, so nothing is allocated per line).
#[derive(Default)]
pub struct Skimmer {
    buf: Vec<u8>,
}

impl Skimmer {
    /// `line` with the long values of ignored fields emptied, or `None` when nothing was cut
    /// (then parse `line` itself).
    pub fn skim(&mut self, line: &[u8]) -> Option<&[u8]> {
        if line.len() < MIN_SKIP * 2 {
            return None;
        }
        let mut cuts: smallvec_lite::Cuts = Default::default();
        let mut resume = 0usize;
        let finder = finder();
        // A successful Read: its toolUseResult carries `file.content`, and the message's one
        // tool_result holds the same file with line numbers. Nothing reads a Read's output
        // (docs/ARCHITECTURE.md, "Tool outputs"), so that text is cut too.
        let (mut read_file, mut failed) = (false, false);
        let mut results: smallvec_lite::Cuts = Default::default();
        while let Some((m_start, m_end, pattern)) = finder.find_from(line, resume) {
            resume = m_end;
            if escaped(line, m_start) {
                continue;
            }
            let start = match PATTERNS[pattern].1 {
                After::Abort => return None,
                After::Failed => {
                    failed = true;
                    continue;
                }
                After::ResultText => {
                    let Some(end) = string_end(line, m_end) else {
                        break;
                    };
                    resume = end + 1;
                    results.push(m_end..end);
                    continue;
                }
                After::Value => m_end,
                After::FilePathThenContent => {
                    let Some(path_end) = string_end(line, m_end) else {
                        break;
                    };
                    const NEXT: &[u8] = b"\",\"content\":\"";
                    if !line[path_end..].starts_with(NEXT) {
                        resume = path_end + 1;
                        continue;
                    }
                    read_file = true;
                    path_end + NEXT.len()
                }
            };
            let Some(end) = string_end(line, start) else {
                break;
            };
            resume = end + 1;
            if end - start >= MIN_SKIP {
                cuts.push(start..end);
            }
        }
        if read_file && !failed && results.len() == 1 {
            cuts.insert_sorted(results.iter().next().expect("one").clone());
        }
        if cuts.is_empty() {
            return None;
        }
        self.buf.clear();
        let mut last = 0;
        for c in cuts.iter() {
            self.buf.extend_from_slice(&line[last..c.start]);
            last = c.end;
        }
        self.buf.extend_from_slice(&line[last..]);
        Some(&self.buf)
    }
}

/// The few byte ranges cut from one line, without a heap allocation for the common case.
mod smallvec_lite {
    use std::ops::Range;

    #[derive(Default)]
    pub struct Cuts {
        inline: [Range<usize>; 4],
        len: usize,
        more: Vec<Range<usize>>,
    }

    impl Cuts {
        pub fn push(&mut self, r: Range<usize>) {
            if self.len < self.inline.len() {
                self.inline[self.len] = r;
                self.len += 1;
            } else {
                self.more.push(r);
            }
        }
        pub fn is_empty(&self) -> bool {
            self.len == 0
        }
        pub fn len(&self) -> usize {
            self.len + self.more.len()
        }
        /// Add `r` where it belongs among ranges kept in ascending order.
        pub fn insert_sorted(&mut self, r: Range<usize>) {
            let mut all: Vec<Range<usize>> = self.iter().cloned().collect();
            let at = all.partition_point(|c| c.start < r.start);
            all.insert(at, r);
            *self = Cuts::default();
            for c in all {
                self.push(c);
            }
        }
        pub fn iter(&self) -> impl Iterator<Item = &Range<usize>> {
            self.inline[..self.len].iter().chain(self.more.iter())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skim(s: &str) -> Option<String> {
        Skimmer::default()
            .skim(s.as_bytes())
            .map(|b| String::from_utf8(b.to_vec()).unwrap())
    }

    fn long(c: char) -> String {
        std::iter::repeat_n(c, MIN_SKIP * 2).collect()
    }

    #[test]
    fn cuts_long_ignored_values_and_keeps_the_rest() {
        let big = long('x');
        let line = format!(
            r#"{{"type":"user","toolUseResult":{{"originalFile":"{big}","structuredPatch":[],"stdout":"{big}"}}}}"#
        );
        assert_eq!(
            skim(&line).unwrap(),
            r#"{"type":"user","toolUseResult":{"originalFile":"","structuredPatch":[],"stdout":""}}"#
        );
    }

    #[test]
    fn read_results_lose_the_second_copy_of_the_file() {
        let big = long('y');
        let line = format!(
            r#"{{"toolUseResult":{{"type":"text","file":{{"filePath":"/a/\"b\".rs","content":"{big}","numLines":3}}}}}}"#
        );
        assert_eq!(
            skim(&line).unwrap(),
            r#"{"toolUseResult":{"type":"text","file":{"filePath":"/a/\"b\".rs","content":"","numLines":3}}}"#
        );
    }

    #[test]
    fn a_successful_read_keeps_no_output_text_a_failed_one_does() {
        let big = long('r');
        let ok = format!(
            r#"{{"message":{{"content":[{{"tool_use_id":"t1","type":"tool_result","content":"short"}}]}},"toolUseResult":{{"type":"text","file":{{"filePath":"/a.rs","content":"{big}"}}}}}}"#
        );
        assert_eq!(
            skim(&ok).unwrap(),
            r#"{"message":{"content":[{"tool_use_id":"t1","type":"tool_result","content":""}]},"toolUseResult":{"type":"text","file":{"filePath":"/a.rs","content":""}}}"#
        );
        let failed = ok.replace(
            r#""content":"short"}"#,
            r#""content":"short","is_error":true}"#,
        );
        assert!(skim(&failed).unwrap().contains(r#""content":"short""#));
        // Two results on one line: which one is the Read is unknown, both are kept.
        let two = ok.replace(
            r#""content":"short"}"#,
            r#""content":"short"},{"tool_use_id":"t2","type":"tool_result","content":"other"}"#,
        );
        let two = skim(&two).unwrap();
        assert!(two.contains(r#""content":"short""#) && two.contains(r#""content":"other""#));
        // A Bash result on its own is untouched.
        let bash = format!(
            r#"{{"message":{{"content":[{{"type":"tool_result","content":"{big}"}}]}},"toolUseResult":{{"stdout":"x"}}}}"#
        );
        assert_eq!(skim(&bash), None);
    }

    #[test]
    fn escapes_inside_a_value_do_not_end_it() {
        let big = format!("{}\\\"originalFile\\\":\\\"{}\\\\", long('a'), long('b'));
        let line = format!(r#"{{"thinking":"{big}","x":1}}"#);
        assert_eq!(skim(&line).unwrap(), r#"{"thinking":"","x":1}"#);
        // The output is still one valid JSON object.
        let v: serde_json::Value = serde_json::from_str(&skim(&line).unwrap()).unwrap();
        assert_eq!(v["x"], 1);
    }

    #[test]
    fn lines_with_tool_inputs_are_left_alone() {
        let big = long('z');
        let line = format!(r#"{{"thinking":"{big}","input":{{"data":"{big}"}}}}"#);
        assert_eq!(skim(&line), None);
    }

    #[test]
    fn short_values_short_lines_and_truncated_values_are_left_alone() {
        let line = format!(r#"{{"stdout":"short","pad":"{}"}}"#, long('p'));
        assert_eq!(skim(&line), None);
        assert_eq!(skim(r#"{"stdout":"x"}"#), None);
        let truncated = format!(r#"{{"stdout":"{}"#, long('t'));
        assert_eq!(skim(&truncated), None);
    }

    #[test]
    fn a_key_spelled_inside_a_string_is_not_a_key() {
        // `\"data\":\"` inside a string: the quotes are escaped, no pattern matches.
        let inner = format!("\\\"data\\\":\\\"{}", long('q'));
        let line = format!(r#"{{"text":"{inner}"}}"#);
        assert_eq!(skim(&line), None);
    }
}
