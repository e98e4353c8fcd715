//! Cursor's own agent transcripts: `~/.cursor/projects/<encoded project>/agent-transcripts/`,
//! `<id>.jsonl` or `<id>/<id>.jsonl` (newer), `<id>.txt` (older).
//!
//! Cursor does not document the format; its shape was learnt from public readers (agentsview's
//! `internal/parser/cursor.go`, and others' notes), not from real files: see docs/FORMATS.md.
//! - JSONL: one Anthropic-style message per line, `{"role": "user" | "assistant", "message":
//!   {"content": "…" | [blocks]}}` with `text`, `thinking`, `tool_use {id, name, input}` and
//!   `tool_result {tool_use_id, content, is_error}` blocks; `{"type": "turn_ended"}` lines end a
//!   turn. The person's words are wrapped in `<user_query>…</user_query>` (the rest of a user
//!   message is context Cursor attached). No timestamps, no token counts.
//! - Text: `user:` / `assistant:` lines start messages; in an assistant message `[Thinking]`,
//!   `[Tool call] NAME` (then indented `key: value` lines) and `[Tool result] NAME` (then the
//!   result, indented) start blocks, anything else at the margin is text.

use crate::build::{jsonl_values, str_of, SessionBuilder};
use crate::common;
use crate::diag::Diagnostics;
use crate::source::{Format, SessionSource};
use crate::IngestOptions;
use agentstat_session::lines::{count_lines, diff_lines};
use agentstat_session::{
    ActionKind, AssistantText, Event, HumanTurn, LineDelta, ResultStatus, Session, SystemNote,
};
use serde_json::{Map, Value};
use std::path::Path;

/// Read one Cursor agent transcript.
pub fn read_session(
    src: &SessionSource,
    opts: &IngestOptions,
    diag: &mut Diagnostics,
) -> Option<Session> {
    let (name, buf) = common::read_source(src, diag)?;
    let path = &src.files[0].path;
    let mut b = SessionBuilder {
        id: path.file_stem().map(|s| s.to_string_lossy().into_owned()),
        paths: project_home(path).into_iter().collect(),
        ..SessionBuilder::default()
    };
    if path.extension().is_some_and(|e| e == "txt") {
        let text = String::from_utf8_lossy(&buf);
        read_text(&text, &mut b, diag);
    } else {
        jsonl_values(&buf, &name, diag, |v, no, diag| {
            record(&v, &mut b, &name, no, diag)
        });
    }
    let mut model = None;
    if let Some(db) = crate::cursor_tracking::db_for(path) {
        if let Some(t) =
            b.id.as_deref()
                .and_then(|id| crate::cursor_tracking::tracked(&db, id, diag))
        {
            b.tracked_lines = Some(t.lines);
            model = t.model;
        }
    }
    let mut s = b.finish(Format::Cursor, src, opts, diag, &name)?;
    if let Some(m) = model {
        // The transcript names no model: the tracking database's goes on the agent's words.
        for e in &mut s.events {
            if let Event::AssistantText(a) = e {
                a.model.get_or_insert_with(|| m.clone());
            }
        }
    }
    Some(s)
}

/// The home directory named by the encoded project folder (`Users-NAME-…`, `home-NAME-…`,
/// `C-Users-NAME-…`): Cursor replaces `/` (and `.`) with `-`, so only the first name is sure.
fn project_home(path: &Path) -> Option<String> {
    let project = path.ancestors().find(|a| {
        a.parent()
            .and_then(Path::file_name)
            .is_some_and(|n| n == "projects")
    })?;
    let enc = project.file_name()?.to_string_lossy();
    let parts: Vec<&str> = enc.split('-').collect();
    match parts.as_slice() {
        ["Users", name, ..] if !name.is_empty() => Some(format!("/Users/{name}/")),
        ["home", name, ..] if !name.is_empty() => Some(format!("/home/{name}/")),
        [drive, "Users", name, ..] if drive.len() == 1 && !name.is_empty() => {
            Some(format!("{drive}:\\Users\\{name}\\"))
        }
        _ => None,
    }
}

/// The person's words in a user message: inside `<user_query>` when present, else all of it.
fn user_query(text: &str) -> (String, bool) {
    match (text.find("<user_query>"), text.find("</user_query>")) {
        (Some(a), Some(b)) if b > a => (text[a + "<user_query>".len()..b].trim().to_string(), true),
        _ => (text.trim().to_string(), false),
    }
}

fn human(b: &mut SessionBuilder, text: &str) {
    let (q, tagged) = user_query(text);
    if q.is_empty() {
        b.ignore("empty-user-message");
        return;
    }
    if !tagged && q.starts_with('<') && q.ends_with('>') {
        // Only context Cursor attached (no query of the person's).
        b.events.push(Event::System(SystemNote {
            kind: "context".into(),
            text: q,
            timestamp: None,
        }));
        return;
    }
    b.events.push(Event::Human(HumanTurn {
        text: q,
        ..HumanTurn::default()
    }));
}

fn record(v: &Value, b: &mut SessionBuilder, name: &str, no: u64, diag: &mut Diagnostics) {
    if let Some(t) = str_of(v, "type") {
        match t {
            "turn_ended" => b.ignore("turn-ended"),
            other => diag.skip(
                name,
                Some(no),
                "unknown-record-type",
                format!("Cursor record type {other:?}"),
            ),
        }
        return;
    }
    let content = v.get("message").and_then(|m| m.get("content"));
    match (str_of(v, "role"), content) {
        (Some("user"), Some(Value::String(s))) => human(b, s),
        (Some("user"), Some(Value::Array(blocks))) => {
            let mut text = String::new();
            for bl in blocks {
                match str_of(bl, "type") {
                    Some("text") => {
                        if !text.is_empty() {
                            text.push('\n');
                        }
                        text.push_str(str_of(bl, "text").unwrap_or_default());
                    }
                    Some("tool_result") => tool_result(bl, b, name, no, diag),
                    Some("image") => b.ignore("image"),
                    other => diag.skip(
                        name,
                        Some(no),
                        "unknown-content-type",
                        format!("Cursor user block {other:?}"),
                    ),
                }
            }
            if !text.is_empty() {
                human(b, &text);
            }
        }
        (Some("assistant"), Some(Value::String(s))) => assistant_text(b, s),
        (Some("assistant"), Some(Value::Array(blocks))) => {
            for bl in blocks {
                match str_of(bl, "type") {
                    Some("text") => assistant_text(b, str_of(bl, "text").unwrap_or_default()),
                    Some("thinking") | Some("redacted_thinking") => b.ignore("thinking"),
                    Some("tool_use") => {
                        let tool = str_of(bl, "name").unwrap_or_default();
                        let input = bl.get("input").cloned().unwrap_or(Value::Null);
                        let id = str_of(bl, "id")
                            .map(str::to_string)
                            .unwrap_or_else(|| format!("{name}:{no}:{tool}"));
                        call(b, &id, tool, input);
                    }
                    Some("tool_result") => tool_result(bl, b, name, no, diag),
                    other => diag.skip(
                        name,
                        Some(no),
                        "unknown-content-type",
                        format!("Cursor assistant block {other:?}"),
                    ),
                }
            }
        }
        _ => diag.skip(
            name,
            Some(no),
            "bad-record-shape",
            "a Cursor record with neither a `type` nor a `role` and `message.content`",
        ),
    }
}

fn assistant_text(b: &mut SessionBuilder, text: &str) {
    if !text.trim().is_empty() {
        b.events.push(Event::AssistantText(AssistantText {
            text: text.to_string(),
            ..AssistantText::default()
        }));
    }
}

fn call(b: &mut SessionBuilder, id: &str, tool: &str, input: Value) {
    let (kind, input, lines) = classify(tool, input);
    b.action(id, tool, kind, input.into(), None, lines);
}

fn tool_result(bl: &Value, b: &mut SessionBuilder, name: &str, no: u64, diag: &mut Diagnostics) {
    let id = str_of(bl, "tool_use_id").unwrap_or_default();
    let text = match bl.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| str_of(p, "text"))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    };
    let status = if bl.get("is_error").and_then(Value::as_bool) == Some(true) {
        ResultStatus::Error
    } else {
        ResultStatus::Ok
    };
    if !b.result(id, status, text, None, None) {
        diag.skip(
            name,
            Some(no),
            "orphan-tool-result",
            format!("a tool result for {id:?}, which no tool call before it made"),
        );
    }
}

/// Kind, input (Cursor's path keys kept as `file_path`) and lines of a Cursor tool call. Names
/// seen in public readers: `Read`/`read_file`, `Write`/`write`, `StrReplace`/`search_replace`/
/// `edit_file`, `MultiEdit`, `Delete`/`delete_file`, `Shell`/`run_terminal_cmd`,
/// `Grep`/`grep_search`, `Glob`/`file_search`, `LS`/`list_dir`, `codebase_search`,
/// `WebSearch`/`web_search`, `WebFetch`, `Task`, `TodoWrite`/`todo_write`; others as named.
fn classify(tool: &str, input: Value) -> (ActionKind, Value, Option<LineDelta>) {
    let mut m = match input {
        Value::Object(m) => m,
        Value::Null => Map::new(),
        other => {
            let mut m = Map::new();
            m.insert("input".into(), other);
            m
        }
    };
    for k in ["path", "target_file", "file_path", "filePath", "targetFile"] {
        if let Some(Value::String(p)) = m.get(k).cloned() {
            m.insert("file_path".into(), Value::String(p));
            break;
        }
    }
    let s = |m: &Map<String, Value>, k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
    let (kind, lines) = match tool {
        "Read" | "read_file" | "ReadFile" => (ActionKind::Read, None),
        "Write" | "write" | "write_file" => {
            let c = s(&m, "contents").or_else(|| s(&m, "content"));
            (
                ActionKind::Write,
                c.map(|c| LineDelta {
                    added: count_lines(&c),
                    removed: 0,
                }),
            )
        }
        "StrReplace" | "search_replace" | "Edit" | "edit_file" | "MultiEdit" => {
            let old = s(&m, "old_string").or_else(|| s(&m, "old_str"));
            let new = s(&m, "new_string").or_else(|| s(&m, "new_str"));
            let d = (old.is_some() || new.is_some())
                .then(|| diff_lines(&old.unwrap_or_default(), &new.unwrap_or_default()));
            (ActionKind::Edit, d)
        }
        "Delete" | "delete_file" => (ActionKind::Edit, None),
        "Shell" | "run_terminal_cmd" | "Bash" => (ActionKind::Shell, None),
        "Grep" | "grep_search" | "Glob" | "file_search" | "LS" | "list_dir" | "codebase_search"
        | "SemanticSearch" => (ActionKind::Search, None),
        "WebSearch" | "web_search" | "WebFetch" | "fetch" => (ActionKind::Web, None),
        "Task" => (ActionKind::Subagent, None),
        "TodoWrite" | "todo_write" | "CreatePlan" => (ActionKind::Plan, None),
        _ => (ActionKind::Other, None),
    };
    (kind, Value::Object(m), lines)
}

/// The older plain-text transcript.
fn read_text(text: &str, b: &mut SessionBuilder, diag: &mut Diagnostics) {
    #[derive(PartialEq)]
    enum Role {
        None,
        User,
        Assistant,
    }
    enum Block {
        Text,
        Thinking,
        Call,
        Result,
    }
    let mut role = Role::None;
    let mut block = Block::Text;
    let mut buf = String::new();
    let mut call_args: Map<String, Value> = Map::new();
    let mut call_name = String::new();
    let mut n_calls = 0u32;
    let mut pending: Vec<String> = Vec::new();
    let flush = |role: &Role,
                 block: &Block,
                 buf: &mut String,
                 call_name: &mut String,
                 call_args: &mut Map<String, Value>,
                 b: &mut SessionBuilder,
                 n_calls: &mut u32,
                 pending: &mut Vec<String>| {
        match (role, block) {
            (Role::User, _) => {
                if !buf.trim().is_empty() {
                    human(b, buf);
                }
            }
            (Role::Assistant, Block::Text) => assistant_text(b, buf.trim()),
            (Role::Assistant, Block::Thinking) => b.ignore("thinking"),
            (Role::Assistant, Block::Call) => {
                *n_calls += 1;
                let id = format!("call-{n_calls}");
                call(b, &id, call_name, Value::Object(std::mem::take(call_args)));
                pending.push(id);
            }
            (Role::Assistant, Block::Result) => {
                // Results follow their calls in order.
                if !pending.is_empty() {
                    let id = pending.remove(0);
                    b.result(&id, ResultStatus::Ok, buf.trim().to_string(), None, None);
                }
            }
            (Role::None, _) => {}
        }
        buf.clear();
    };
    diag.records += 1;
    for line in text.lines() {
        let t = line.trim();
        let margin = !line.starts_with([' ', '\t']);
        let new_role = match t {
            "user:" if margin => Some(Role::User),
            "assistant:" | "A:" if margin => Some(Role::Assistant),
            _ => None,
        };
        let marker = role == Role::Assistant
            && (t.starts_with("[Thinking]")
                || t.starts_with("[Tool call] ")
                || t.starts_with("[Tool result]"));
        // A block (thinking, call, result) ends at a non-empty line at the margin.
        let block_ends = !matches!(block, Block::Text) && margin && !t.is_empty();
        if new_role.is_some() || marker || block_ends {
            flush(
                &role,
                &block,
                &mut buf,
                &mut call_name,
                &mut call_args,
                b,
                &mut n_calls,
                &mut pending,
            );
            block = Block::Text;
        }
        if let Some(r) = new_role {
            role = r;
            diag.records += 1;
            continue;
        }
        if marker {
            if let Some(rest) = t.strip_prefix("[Tool call] ") {
                block = Block::Call;
                call_name = rest.trim().to_string();
            } else if t.starts_with("[Tool result]") {
                block = Block::Result;
            } else {
                block = Block::Thinking;
                buf.push_str(t.trim_start_matches("[Thinking]"));
            }
            continue;
        }
        match block {
            Block::Call => {
                if let Some((k, v)) = t.split_once(':') {
                    call_args.insert(k.trim().to_string(), Value::String(v.trim().to_string()));
                }
            }
            _ => {
                buf.push_str(line);
                buf.push('\n');
            }
        }
    }
    flush(
        &role,
        &block,
        &mut buf,
        &mut call_name,
        &mut call_args,
        b,
        &mut n_calls,
        &mut pending,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_from_the_encoded_project() {
        let p = Path::new("/x/.cursor/projects/Users-ana-code-shop/agent-transcripts/a.jsonl");
        assert_eq!(project_home(p).as_deref(), Some("/Users/ana/"));
        let p = Path::new("/x/.cursor/projects/home-bo-w/agent-transcripts/b/b.jsonl");
        assert_eq!(project_home(p).as_deref(), Some("/home/bo/"));
        let p = Path::new("/x/.cursor/projects/tmp-x/agent-transcripts/c.txt");
        assert_eq!(project_home(p), None);
    }

    #[test]
    fn the_query_inside_its_tags() {
        assert_eq!(
            user_query("<user_info>os</user_info>\n<user_query>\nfix it\n</user_query>"),
            ("fix it".to_string(), true)
        );
        assert_eq!(user_query("plain"), ("plain".to_string(), false));
    }
}
