//! OpenCode's own session stores, read into the same messages as an export (`opencode.rs`):
//! - the `storage/` JSON tree (OpenCode before its database): `storage/session/<project>/<ses>.json`
//!   (the session), `storage/message/<ses>/<msg>.json` (each message's `info`),
//!   `storage/part/<msg>/<prt>.json` (each part);
//! - the SQLite database `opencode.db` (tables `session`, `message`, `part`; schema in the
//!   opencode repository, `packages/opencode/src/session/session.sql.ts`): one session per
//!   `session` row, its messages by `time_created`, each message's parts by `id`. Read-only,
//!   row by row: memory is bounded by the largest message, never the database (feature
//!   `sqlite`, on by default).

use crate::build::SessionBuilder;
use crate::diag::Diagnostics;
use crate::opencode::{message, session_info};
use crate::source::{Format, SessionSource};
use crate::IngestOptions;
use agentstat_session::Session;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The `storage/` folder a session file `storage/session/<project>/<ses>.json` belongs to, when
/// it is one (its `message/` folder beside `session/`).
pub(crate) fn storage_root(session_file: &Path) -> Option<&Path> {
    let project = session_file.parent()?;
    let session_dir = project.parent()?;
    if session_dir.file_name()? != "session" {
        return None;
    }
    let root = session_dir.parent()?;
    root.join("message").is_dir().then_some(root)
}

/// Whether a folder is an OpenCode `storage/` tree (`session/` and `message/` inside).
pub(crate) fn is_storage_dir(dir: &Path) -> bool {
    dir.join("session").is_dir() && dir.join("message").is_dir()
}

/// The session files of a `storage/` tree, sorted.
pub(crate) fn storage_sessions(dir: &Path, diag: &mut Diagnostics) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let sessions = dir.join("session");
    for project in sorted_dir(&sessions, diag) {
        if project.is_dir() {
            out.extend(
                sorted_dir(&project, diag)
                    .into_iter()
                    .filter(|p| p.extension().is_some_and(|e| e == "json")),
            );
        }
    }
    out
}

fn sorted_dir(dir: &Path, diag: &mut Diagnostics) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(rd) => {
            let mut v: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
            v.sort();
            v
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            diag.skip(
                &dir.display().to_string(),
                None,
                "unreadable-directory",
                e.to_string(),
            );
            Vec::new()
        }
    }
}

/// A JSON file of the tree, counted; `None` (with a skip naming it) when unreadable or invalid.
fn read_json(path: &Path, diag: &mut Diagnostics) -> Option<Value> {
    let name = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            diag.skip(&name, None, "unreadable-file", e.to_string());
            return None;
        }
    };
    diag.bytes += bytes.len() as u64;
    diag.records += 1;
    match crate::build::parse_skipping(&bytes, crate::opencode::SKIP) {
        Ok(v) if v.is_object() => Some(v),
        Ok(_) => {
            diag.skip(&name, Some(1), "not-an-object", "not a JSON object");
            None
        }
        Err(e) => {
            crate::common::json_error(diag, &name, &e);
            None
        }
    }
}

/// `time.created` of a message info, for ordering.
fn created(v: &Value) -> i64 {
    v.get("time")
        .and_then(|t| t.get("created"))
        .and_then(Value::as_i64)
        .unwrap_or(i64::MAX)
}

/// Read one session of a `storage/` tree.
pub(crate) fn read_tree(
    src: &SessionSource,
    root: &Path,
    opts: &IngestOptions,
    diag: &mut Diagnostics,
) -> Option<Session> {
    let path = &src.files[0].path;
    let name = path.display().to_string();
    diag.files += 1;
    let info = read_json(path, diag)?;
    let mut b = SessionBuilder::default();
    let sub = session_info(&info, &mut b);
    let Some(id) = info.get("id").and_then(Value::as_str).map(str::to_string) else {
        diag.skip(
            &name,
            Some(1),
            "missing-id",
            "an OpenCode session file with no `id`",
        );
        return None;
    };
    let mut messages: Vec<(i64, String, PathBuf)> = Vec::new();
    for p in sorted_dir(&root.join("message").join(&id), diag) {
        if p.extension().is_some_and(|e| e == "json") {
            let stem = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            messages.push((0, stem, p));
        }
    }
    // Read each message's info once for its time, then parts message by message.
    let mut infos: Vec<(i64, String, Value)> = Vec::with_capacity(messages.len());
    for (_, stem, p) in messages {
        if let Some(v) = read_json(&p, diag) {
            infos.push((created(&v), stem, v));
        }
    }
    infos.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    for (_, msg_id, info) in infos {
        let parts: Vec<Value> = sorted_dir(&root.join("part").join(&msg_id), diag)
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .filter_map(|p| read_json(&p, diag))
            .collect();
        message(&info, &parts, sub, &mut b, &name, diag);
    }
    b.finish(Format::OpenCode, src, opts, diag, &name)
}

/// The session ids of an OpenCode database, oldest first, with the bytes of their parts.
#[cfg(feature = "sqlite")]
pub(crate) fn db_sessions(path: &Path, diag: &mut Diagnostics) -> Vec<(String, u64)> {
    let name = path.display().to_string();
    let run = || -> rusqlite::Result<Vec<(String, u64)>> {
        let conn = crate::sqlite::open(path)?;
        let mut st = conn.prepare(
            "SELECT s.id, (SELECT COALESCE(SUM(LENGTH(p.data)), 0) FROM part p \
             WHERE p.session_id = s.id) FROM session s ORDER BY s.time_created, s.id",
        )?;
        let rows = st.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })?;
        rows.collect()
    };
    match run() {
        Ok(v) => v,
        Err(e) => {
            diag.skip(&name, None, "unreadable-database", e.to_string());
            Vec::new()
        }
    }
}

/// Read one session of an OpenCode database.
#[cfg(feature = "sqlite")]
pub(crate) fn read_db(
    src: &SessionSource,
    opts: &IngestOptions,
    diag: &mut Diagnostics,
) -> Option<Session> {
    use rusqlite::OptionalExtension;
    let path = &src.files[0].path;
    let name = path.display().to_string();
    // A database source's id is the session's own id in the database (discovery).
    let id = src.id.as_str();
    if id.is_empty() {
        diag.skip(
            &name,
            None,
            "missing-id",
            "no session id for this database source",
        );
        return None;
    }
    let mut b = SessionBuilder::default();
    let run = |b: &mut SessionBuilder, diag: &mut Diagnostics| -> rusqlite::Result<bool> {
        let conn = crate::sqlite::open(path)?;
        let first: Option<String> = conn
            .query_row(
                "SELECT id FROM session ORDER BY time_created, id LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        if first.as_deref() == Some(id) {
            // The database counts once, with its first session.
            diag.files += 1;
        }
        let row = conn
            .query_row(
                "SELECT id, parent_id, directory, version FROM session WHERE id = ?1",
                [id],
                |r| {
                    Ok(serde_json::json!({
                        "id": r.get::<_, String>(0)?,
                        "parentID": r.get::<_, Option<String>>(1)?,
                        "directory": r.get::<_, Option<String>>(2)?,
                        "version": r.get::<_, Option<String>>(3)?,
                    }))
                },
            )
            .optional()?;
        let Some(mut info) = row else {
            return Ok(false);
        };
        if info["parentID"].is_null() {
            info.as_object_mut().map(|m| m.remove("parentID"));
        }
        diag.records += 1;
        let sub = session_info(&info, b);
        let mut msgs = conn.prepare(
            "SELECT id, time_created, data FROM message WHERE session_id = ?1 \
             ORDER BY time_created, id",
        )?;
        let mut parts = conn.prepare("SELECT data FROM part WHERE message_id = ?1 ORDER BY id")?;
        let mut rows = msgs.query([id])?;
        while let Some(r) = rows.next()? {
            let msg_id: String = r.get(0)?;
            let created: Option<i64> = r.get(1)?;
            let data: String = r.get(2)?;
            diag.records += 1;
            diag.bytes += data.len() as u64;
            let mut info: Value =
                match crate::build::parse_skipping(data.as_bytes(), crate::opencode::SKIP) {
                    Ok(v @ Value::Object(_)) => v,
                    Ok(_) | Err(_) => {
                        diag.skip(
                            &name,
                            None,
                            "invalid-json",
                            format!("message {msg_id}: its `data` is not a JSON object"),
                        );
                        continue;
                    }
                };
            info["id"] = Value::String(msg_id.clone());
            if info.get("time").is_none() {
                info["time"] = serde_json::json!({ "created": created });
            }
            let mut ps: Vec<Value> = Vec::new();
            let mut prow = parts.query([&msg_id])?;
            while let Some(p) = prow.next()? {
                let data: String = p.get(0)?;
                diag.records += 1;
                diag.bytes += data.len() as u64;
                match crate::build::parse_skipping(data.as_bytes(), crate::opencode::SKIP) {
                    Ok(v @ Value::Object(_)) => ps.push(v),
                    Ok(_) | Err(_) => diag.skip(
                        &name,
                        None,
                        "invalid-json",
                        format!("a part of message {msg_id}: its `data` is not a JSON object"),
                    ),
                }
            }
            message(&info, &ps, sub, b, &name, diag);
        }
        Ok(true)
    };
    match run(&mut b, diag) {
        Ok(true) => {}
        Ok(false) => {
            diag.skip(
                &name,
                None,
                "missing-session",
                format!("session {id} is no longer in the database"),
            );
            return None;
        }
        Err(e) => {
            diag.skip(&name, None, "unreadable-database", e.to_string());
            return None;
        }
    }
    b.finish(Format::OpenCode, src, opts, diag, &name)
}
