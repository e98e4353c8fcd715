//! Session ids that do not depend on where the files are or how their path was typed.
//!
//! A session's id is what its salted hash makes the session key (facets, `scan --json`, the
//! facet cache's entries, `merge`, reference labels) and what shards are cut by, so the same
//! session must get the same id whether its folder is named `./x`, `/abs/x` or reached through a
//! symlink, on this machine or another. Formats that record an id of their own use it (Claude
//! Code's `sessionId`, Codex's `session_meta` id, …; docs/FORMATS.md). A file that records none
//! gets one derived from what it says, never from its path:
//!
//! - an Aider history holds many sessions and is appended to: [`crate::aider::session_id`] (the
//!   session's `# aider chat started at` time and a hash of its first bytes);
//! - a SpecStory export: [`crate::specstory::session_id`] (the title's time and the first user
//!   turn);
//! - any other file: [`content_id`], `<format>-<hash>` of its first line (JSON Lines, which grow
//!   at the end) or its first 64 KiB (documents).
//!
//! Ids hold no transcript text: a format name, at most a start time, and a hash. Two sessions
//! that would still share an id (the same start time and the same first bytes in two places)
//! are told apart by an ordinal, `-2`, `-3`, … in path order ([`disambiguate`]).

use crate::source::{Format, SessionSource};
use std::path::Path;

/// How many bytes of a document are hashed when it has no id of its own.
pub const HEAD_BYTES: usize = 64 << 10;

/// The first 16 hex characters of `blake3("agentstat-id\0" ‖ material)`.
pub fn short_hash(material: &[u8]) -> String {
    let mut h = blake3::Hasher::new();
    h.update(b"agentstat-id\0");
    h.update(material);
    h.finalize().to_hex()[..16].to_string()
}

/// The id of a file with no id of its own: `<format>-<hash>` of its first line when it is JSON
/// Lines (a record written once, so the id survives the file growing), else of its first
/// [`HEAD_BYTES`] (a document). A leading byte-order mark and blank lines are skipped.
pub fn content_id(format: Format, head: &[u8], jsonl: bool) -> String {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(head.len());
    let head = &head[start..head.len().min(start + HEAD_BYTES)];
    let material = if jsonl {
        memchr::memchr(b'\n', head).map_or(head, |i| &head[..i])
    } else {
        head
    };
    format!("{}-{}", format.as_str(), short_hash(material))
}

/// The bytes [`content_id`] needs of a file: its first [`HEAD_BYTES`], or for JSON Lines
/// (`jsonl`) only up to the end of the first non-blank line (read 8 KiB at a time).
pub fn read_head(path: &Path, jsonl: bool) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let mut head = Vec::with_capacity(8192);
    let step = if jsonl { 8192 } else { HEAD_BYTES };
    while head.len() < HEAD_BYTES {
        let want = step.min(HEAD_BYTES - head.len()) as u64;
        let before = head.len();
        (&mut f).take(want).read_to_end(&mut head)?;
        let done = head.len() - before < want as usize;
        let has_line = jsonl && {
            let start = head.iter().position(|c| !c.is_ascii_whitespace());
            start.is_some_and(|s| memchr::memchr(b'\n', &head[s..]).is_some())
        };
        if done || has_line {
            break;
        }
    }
    Ok(head)
}

/// `YYYY-MM-DD HH:MM:SS` (or with a `T`) at the start of `s` as `YYYY-MM-DDTHH:MM:SS`; `None`
/// when it is not exactly that shape.
pub fn compact_time(s: &str) -> Option<String> {
    let b = s.trim().as_bytes();
    if b.len() < 19 {
        return None;
    }
    let ok = b[..19].iter().enumerate().all(|(i, c)| match i {
        4 | 7 => *c == b'-',
        10 => *c == b' ' || *c == b'T',
        13 | 16 => *c == b':',
        _ => c.is_ascii_digit(),
    });
    ok.then(|| {
        let mut t = String::from_utf8_lossy(&b[..19]).into_owned();
        t.replace_range(10..11, "T");
        t
    })
}

/// Give every source a distinct id: when several share one (sources sorted by id, then path
/// and byte range), the second gets `-2`, the third `-3`, … — only sessions that would
/// otherwise collide, so an id never changes because an unrelated session was added. A
/// session of an OpenCode database keeps its id (the database's own key, which the adapter
/// reads it by): the same database found twice holds the same sessions.
pub fn disambiguate(sources: &mut [SessionSource]) {
    let in_db = |s: &SessionSource| {
        s.format == Format::OpenCode && s.main_path().extension().is_some_and(|e| e == "db")
    };
    let mut i = 0;
    while i < sources.len() {
        let mut j = i + 1;
        while j < sources.len() && sources[j].id == sources[i].id {
            j += 1;
        }
        for (n, s) in (1..).zip(sources[i..j].iter_mut().filter(|s| !in_db(s))) {
            if n > 1 {
                s.id = format!("{}-{n}", s.id);
            }
        }
        i = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileRole, SourceFile};
    use std::path::PathBuf;

    #[test]
    fn content_id_reads_the_first_line_of_json_lines_and_the_head_of_documents() {
        let a = content_id(Format::Codex, b"{\"a\":1}\n{\"b\":2}\n", true);
        let grown = content_id(Format::Codex, b"{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n", true);
        assert_eq!(a, grown, "a JSON Lines id survives the file growing");
        assert!(a.starts_with("codex-cli-") && a.len() == "codex-cli-".len() + 16);
        assert_ne!(a, content_id(Format::Codex, b"{\"a\":2}\n", true));
        assert_eq!(
            a,
            content_id(Format::Codex, b"\xEF\xBB\xBF\n{\"a\":1}\n", true)
        );
        let d = content_id(Format::OpenHands, b"[{\"id\":0}]", false);
        assert_ne!(d, content_id(Format::OpenHands, b"[{\"id\":1}]", false));
        assert_ne!(
            content_id(Format::OpenHands, b"[1]", false),
            content_id(Format::SweAgent, b"[1]", false),
            "the format is part of the id"
        );
    }

    #[test]
    fn read_head_stops_after_the_first_line_of_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.jsonl");
        let first = format!("{{\"pad\":\"{}\"}}\n", "a".repeat(20_000));
        std::fs::write(&p, format!("\n{first}{}", "{\"b\":1}\n".repeat(20_000))).unwrap();
        let head = read_head(&p, true).unwrap();
        assert!(head.len() < 32 << 10, "{} bytes", head.len());
        assert_eq!(
            content_id(Format::Codex, &head, true),
            content_id(Format::Codex, &std::fs::read(&p).unwrap(), true)
        );
        let doc = read_head(&p, false).unwrap();
        assert_eq!(doc.len(), HEAD_BYTES);
    }

    #[test]
    fn compact_time_accepts_only_a_whole_date_and_time() {
        assert_eq!(
            compact_time(" 2024-08-05 19:33:02\n").as_deref(),
            Some("2024-08-05T19:33:02")
        );
        assert_eq!(compact_time("2024-08-05 19:33").as_deref(), None);
        assert_eq!(compact_time("2024/08/05 19:33:02").as_deref(), None);
    }

    #[test]
    fn disambiguate_numbers_only_the_colliding_ids() {
        let src = |id: &str, p: &str| SessionSource {
            id: id.into(),
            files: vec![SourceFile {
                path: PathBuf::from(p),
                role: FileRole::Main,
                bytes: 1,
                span: None,
            }],
            format: Format::Aider,
        };
        let mut v = vec![
            src("a", "/1"),
            src("b", "/1"),
            src("b", "/2"),
            src("b", "/3"),
        ];
        disambiguate(&mut v);
        let ids: Vec<&str> = v.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "b-2", "b-3"]);
    }
}
