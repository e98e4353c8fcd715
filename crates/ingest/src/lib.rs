//! agentstat-ingest: find agent transcripts on disk and turn them into normalized
//! [`agentstat_session::Session`]s, robustly (bad lines are counted and reported, never fatal).
//!
//! Entry points: [`discover`] groups files into one [`SessionSource`] per session and says
//! which [`Format`] it is in; [`read_session`] reads one source into a `Session` with that
//! format's adapter. Both report into a [`Diagnostics`]. Adapters: [`claude`] (Claude Code),
//! [`gemini`] (Gemini CLI), [`specstory`] (SpecStory exports of Cursor chats), [`aider`],
//! [`openhands`], [`swe_agent`], [`codex`] (OpenAI Codex CLI), [`pi`] (pi and Oh My Pi), [`copilot`]
//! (GitHub Copilot CLI), [`opencode`] (OpenCode), [`cursor`] (Cursor's agent
//! transcripts), [`qwen`] (Qwen Code), [`cline`] (Cline, Roo Code, Kilo Code); what
//! each reads is in docs/FORMATS.md. New adapters build their sessions with the crate's shared
//! session builder (`build.rs`), so that an adapter is only its format.

pub mod aider;
mod build;
pub mod claude;
pub mod cline;
pub mod codex;
pub mod copilot;
pub mod cursor;
mod cursor_tracking;
pub mod diag;
pub mod discover;
pub mod gemini;
pub mod ident;
mod json;
pub mod lax;
pub mod opencode;
mod opencode_store;
pub mod openhands;
pub mod pi;
pub mod qwen;
pub mod reader;
pub mod shard;
pub mod skim;
pub mod source;
pub mod specstory;
#[cfg(feature = "sqlite")]
mod sqlite;
pub mod swe_agent;
pub mod user;

pub use diag::{Diagnostics, Warning};
pub use discover::{
    default_roots, default_roots_with, discover, sniff, FileRole, Format, SessionSource, SourceFile,
};
pub use shard::{partition, shard_of, ShardSpec};
pub use user::{identity_from_cwd, load_or_create_salt, session_key, user_key};

use agentstat_session::{Session, UserKey};

/// How sessions are read.
#[derive(Debug, Clone, Default)]
pub struct IngestOptions {
    /// Explicit identity of the person (e.g. `--user alice`), used instead of the home
    /// directory found in `cwd`. Only its salted hash is ever stored.
    pub user_label: Option<String>,
    /// Per-installation salt for the user key (see [`load_or_create_salt`]).
    pub salt: Vec<u8>,
}

impl IngestOptions {
    /// Whether `key` is the unidentified fallback (`unknown`): no `--user` label and no home
    /// directory in the paths the session records. It may stand for several people.
    pub fn is_unidentified(&self, key: &UserKey) -> bool {
        self.user_label.is_none() && *key == user_key(&self.salt, "unknown")
    }
}

/// Read one session (all its files) into a normalized [`Session`]. `None` when nothing
/// usable could be read (the reasons are in `diag`).
pub fn read_session(
    src: &SessionSource,
    opts: &IngestOptions,
    diag: &mut Diagnostics,
) -> Option<Session> {
    let session = read_format(src, opts, diag)?;
    // Claude Code warns per record (with its line); the whole-file formats are checked here.
    if src.format != Format::ClaudeCode {
        check_absurd(src, &session, diag);
    }
    Some(session)
}

/// A token count no single model call reaches (10^10): such a value is damage or forgery.
/// Telemetry sums saturate, so it cannot wrap a total, but the person is told where it is.
pub const ABSURD_TOKENS: u64 = 10_000_000_000;

fn check_absurd(src: &SessionSource, s: &Session, diag: &mut Diagnostics) {
    let absurd = s.model_calls.iter().position(|c| {
        [
            c.input_tokens,
            c.output_tokens,
            c.cache_read_tokens,
            c.cache_creation_tokens,
        ]
        .iter()
        .any(|&x| x > ABSURD_TOKENS)
    });
    if let Some(i) = absurd {
        let file = src.files.first().map(|f| f.path.display().to_string());
        diag.warn(
            file.as_deref().unwrap_or("?"),
            None,
            "absurd-value",
            format!(
                "model call {} has a token count above 10^10 (sums saturate; check the file)",
                i + 1
            ),
        );
    }
}

fn read_format(
    src: &SessionSource,
    opts: &IngestOptions,
    diag: &mut Diagnostics,
) -> Option<Session> {
    match src.format {
        Format::ClaudeCode => claude::read_session(src, opts, diag),
        Format::GeminiCli => gemini::read_session(src, opts, diag),
        Format::SpecStory => specstory::read_session(src, opts, diag),
        Format::Aider => aider::read_session(src, opts, diag),
        Format::OpenHands => openhands::read_session(src, opts, diag),
        Format::SweAgent => swe_agent::read_session(src, opts, diag),
        Format::Codex => codex::read_session(src, opts, diag),
        Format::Pi => pi::read_session(src, opts, diag),
        Format::CopilotCli => copilot::read_session(src, opts, diag),
        Format::OpenCode => opencode::read_session(src, opts, diag),
        Format::Cursor => cursor::read_session(src, opts, diag),
        Format::QwenCode => qwen::read_session(src, opts, diag),
        Format::Cline => cline::read_session(src, opts, diag),
    }
}

/// Helpers shared by the adapters of whole-file formats (everything but Claude Code).
pub(crate) mod common {
    use super::*;

    /// The bytes of a source's main file (its span, for a file holding several sessions).
    /// Counts the file and its bytes; warns on an empty file. `None` when unreadable or empty.
    pub fn read_source(src: &SessionSource, diag: &mut Diagnostics) -> Option<(String, Vec<u8>)> {
        let f = src.files.first()?;
        let name = f.path.display().to_string();
        let read = || -> std::io::Result<Vec<u8>> {
            match f.span {
                None => std::fs::read(&f.path),
                Some((a, b)) => {
                    use std::io::{Read, Seek, SeekFrom};
                    let mut file = std::fs::File::open(&f.path)?;
                    if file.metadata()?.len() < b || a > b {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            "the file shrank after discovery",
                        ));
                    }
                    file.seek(SeekFrom::Start(a))?;
                    let mut buf = vec![0; (b - a) as usize];
                    file.read_exact(&mut buf)?;
                    Ok(buf)
                }
            }
        };
        let bytes = match read() {
            Ok(b) => b,
            Err(e) => {
                diag.skip(&name, None, "unreadable-file", e.to_string());
                return None;
            }
        };
        // A file split into several sessions counts once (with its first session).
        if f.span.is_none_or(|(a, _)| a == 0) {
            diag.files += 1;
        }
        diag.bytes += bytes.len() as u64;
        diag.lines += memchr::memchr_iter(b'\n', &bytes).count() as u64
            + u64::from(!bytes.is_empty() && !bytes.ends_with(b"\n"));
        let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => rest.to_vec(),
            None => bytes,
        };
        if bytes.iter().all(|c| c.is_ascii_whitespace()) {
            diag.warn(&name, None, "empty-file", "file is empty");
            return None;
        }
        if memchr::memchr(0, &bytes[..bytes.len().min(8192)]).is_some() {
            diag.skip(&name, Some(1), "binary-file", "file is not text; skipped");
            return None;
        }
        Some((name, bytes))
    }

    /// 1-based line of a byte offset.
    pub fn line_at(buf: &[u8], offset: usize) -> u64 {
        memchr::memchr_iter(b'\n', &buf[..offset.min(buf.len())]).count() as u64 + 1
    }

    /// Lines of parts of one buffer (e.g. the `RawValue`s of a JSON list) met in order: each is
    /// counted on from the last, so a document's parts cost one pass over it (counting from the
    /// top for every part would be quadratic in the document's size).
    pub struct Lines<'a> {
        buf: &'a [u8],
        at: usize,
        line: u64,
    }

    impl<'a> Lines<'a> {
        pub fn new(buf: &'a [u8]) -> Self {
            Lines {
                buf,
                at: 0,
                line: 1,
            }
        }

        /// 1-based line where `part` (a slice of the buffer) starts; 0 when it is not one.
        pub fn of(&mut self, part: &str) -> u64 {
            let start = self.buf.as_ptr() as usize;
            let p = part.as_ptr() as usize;
            if p < start || p > start + self.buf.len() {
                return 0;
            }
            let off = p - start;
            if off < self.at {
                // Out of order: count again from the start.
                self.at = 0;
                self.line = 1;
            }
            self.line += memchr::memchr_iter(b'\n', &self.buf[self.at..off]).count() as u64;
            self.at = off;
            self.line
        }
    }

    /// Report a document that is not valid JSON (named by file and line), as a skip.
    pub fn json_error(diag: &mut Diagnostics, name: &str, e: &serde_json::Error) {
        let reason = if e.is_eof() {
            "truncated-json"
        } else if e.is_data() {
            "bad-record-shape"
        } else {
            "invalid-json"
        };
        let line = (e.line() > 0).then_some(e.line() as u64);
        diag.skip(name, line, reason, e.to_string());
    }

    /// The person's key: the `--user` label, else the first home directory found in the
    /// given paths (cwd, file paths, workspace directories), else `unknown`.
    pub fn user_key<'a>(opts: &IngestOptions, paths: impl IntoIterator<Item = &'a str>) -> UserKey {
        let identity = opts
            .user_label
            .clone()
            .or_else(|| {
                paths
                    .into_iter()
                    .find_map(crate::user::identity_from_cwd)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| "unknown".to_string());
        crate::user::user_key(&opts.salt, &identity)
    }

    /// Home directories mentioned anywhere in a text (`/Users/NAME/`, `/home/NAME/`,
    /// `C:\Users\NAME\`): candidate paths for [`user_key`] in formats with no `cwd` field.
    pub fn home_paths(text: &str) -> impl Iterator<Item = &str> {
        ["/Users/", "/home/", ":\\Users\\", ":/Users/"]
            .into_iter()
            .flat_map(move |pat| {
                text.match_indices(pat).map(move |(i, _)| {
                    // Back up over a drive letter for Windows paths.
                    let from = if pat.starts_with(':') {
                        i.saturating_sub(1)
                    } else {
                        i
                    };
                    let from = if text.is_char_boundary(from) { from } else { i };
                    let rest = &text[from..];
                    let end = rest
                        .find(|c: char| {
                            c.is_whitespace() || matches!(c, '`' | '"' | '\'' | ')' | '>' | ',')
                        })
                        .unwrap_or(rest.len());
                    &rest[..end]
                })
            })
    }

    /// Lines added and removed by a diff. A unified diff is read hunk by hunk (`@@ -a,b +c,d @@`
    /// counts say where each hunk ends, so `---`/`+++` file headers are never counted); a diff
    /// without hunk headers counts every `+`/`-` line.
    pub fn unified_diff_lines(diff: &str) -> agentstat_session::LineDelta {
        let mut d = agentstat_session::LineDelta::default();
        let hunks = diff.starts_with("@@") || diff.contains("\n@@");
        // Old and new lines still expected in the current hunk.
        let (mut old, mut new) = (0u64, 0u64);
        for l in diff.lines() {
            if hunks && old == 0 && new == 0 {
                if let Some((o, n)) = hunk_header(l) {
                    old = o;
                    new = n;
                }
                continue;
            }
            if l.starts_with('+') {
                d.added += 1;
                new = new.saturating_sub(1);
            } else if l.starts_with('-') {
                d.removed += 1;
                old = old.saturating_sub(1);
            } else if !l.starts_with('\\') {
                old = old.saturating_sub(1);
                new = new.saturating_sub(1);
            }
        }
        d
    }

    /// `@@ -a,b +c,d @@` → (b, d); a missing count is 1.
    fn hunk_header(l: &str) -> Option<(u64, u64)> {
        let rest = l.strip_prefix("@@ -")?;
        let (ranges, _) = rest.split_once(" @@")?;
        let (o, n) = ranges.split_once(" +")?;
        let count = |r: &str| -> Option<u64> {
            match r.split_once(',') {
                Some((_, c)) => c.parse().ok(),
                None => r.parse::<u64>().ok().map(|_| 1),
            }
        };
        Some((count(o)?, count(n)?))
    }
}
