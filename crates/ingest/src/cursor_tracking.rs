//! Cursor's AI code tracking database, `~/.cursor/ai-tracking/ai-code-tracking.db` (SQLite):
//! what it says about the lines the agent wrote in one conversation, joined to the agent
//! transcript of the same id (docs/FORMATS.md, "Cursor's AI code tracking").
//!
//! Cursor does not document it; the shape is inferred from public readers' code and fixtures:
//! `ai_code_hashes(hash TEXT PRIMARY KEY, source TEXT NOT NULL, fileExtension TEXT, fileName
//! TEXT, requestId TEXT, conversationId TEXT, timestamp INTEGER, model TEXT, createdAt INTEGER
//! NOT NULL)`, one row per line an AI wrote (a hash of the line, so identical lines share a
//! row), `source` `composer` (the agent), `tab` (completions, no conversation) or `human`.
//! Only counts and the model name are read, by one query per conversation: memory holds a
//! row, never the table.

use crate::diag::Diagnostics;
use agentstat_session::TrackedLines;
use std::path::{Path, PathBuf};

/// What the database says about one conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tracked {
    pub lines: TrackedLines,
    /// The model named on most of its rows.
    pub model: Option<String>,
}

/// The tracking database beside a transcript's `projects` folder
/// (`<…/.cursor>/projects/<project>/agent-transcripts/…` → `<…/.cursor>/ai-tracking/
/// ai-code-tracking.db`), when it exists.
pub(crate) fn db_for(transcript: &Path) -> Option<PathBuf> {
    let projects = transcript
        .ancestors()
        .skip(1)
        .find(|a| a.file_name().is_some_and(|n| n == "projects"))?;
    let db = projects
        .parent()?
        .join("ai-tracking")
        .join("ai-code-tracking.db");
    db.is_file().then_some(db)
}

/// The agent's rows for `conversation`, or `None` when it has none. A database that cannot be
/// read (locked, damaged, another schema) is a warning naming it, and the transcript is read
/// without it.
#[cfg(feature = "sqlite")]
pub(crate) fn tracked(db: &Path, conversation: &str, diag: &mut Diagnostics) -> Option<Tracked> {
    use rusqlite::OptionalExtension;
    let run = || -> rusqlite::Result<Option<Tracked>> {
        let conn = crate::sqlite::open(db)?;
        // The agent's rows: not completions or the person's own lines (older rows have no
        // source: counted, since they carry the conversation).
        const AGENT: &str =
            "conversationId = ?1 AND (source IS NULL OR source NOT IN ('tab', 'human'))";
        let (lines, files): (i64, i64) = conn.query_row(
            &format!("SELECT COUNT(*), COUNT(DISTINCT fileName) FROM ai_code_hashes WHERE {AGENT}"),
            [conversation],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if lines == 0 {
            return Ok(None);
        }
        let model: Option<String> = conn
            .query_row(
                &format!(
                    "SELECT model FROM ai_code_hashes WHERE {AGENT} AND model IS NOT NULL \
                     AND model != '' GROUP BY model ORDER BY COUNT(*) DESC, model LIMIT 1"
                ),
                [conversation],
                |r| r.get(0),
            )
            .optional()?;
        Ok(Some(Tracked {
            lines: TrackedLines {
                lines: lines.max(0) as u64,
                files: u32::try_from(files.max(0)).unwrap_or(u32::MAX),
            },
            model,
        }))
    };
    match run() {
        Ok(t) => t,
        Err(e) => {
            diag.warn(
                &db.display().to_string(),
                None,
                "unreadable-tracking-db",
                format!("Cursor's AI code tracking database not read: {e}"),
            );
            None
        }
    }
}

/// Without the `sqlite` feature the database is not read (said once per session).
#[cfg(not(feature = "sqlite"))]
pub(crate) fn tracked(db: &Path, _conversation: &str, diag: &mut Diagnostics) -> Option<Tracked> {
    diag.warn(
        &db.display().to_string(),
        None,
        "unreadable-tracking-db",
        "Cursor's AI code tracking database: this build has no `sqlite` feature",
    );
    None
}
