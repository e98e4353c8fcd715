//! OpenCode: the `opencode export` JSON document `{info, messages: [{info, parts}]}`; its own
//! stores (the `storage/` tree and `opencode.db`) are read into the same messages by
//! `opencode_store.rs`.
//!
//! `info` is the session (`id`, `directory`, `version`, `parentID` for a session a parent agent
//! started through its `task` tool). Each message's `info` has its `role`; an assistant
//! message's `info` has `modelID`, `tokens`, `error` (`MessageAbortedError` when the person
//! pressed Esc) and `summary` (a compaction summary). Parts: `text` (`synthetic` when OpenCode
//! wrote it, e.g. a mentioned file's content), `file` (an attachment), `reasoning`, `tool`
//! (`tool`, `callID`, `state: {status, input, output | error, metadata}`), `step-start`,
//! `step-finish` (one model request, with its `tokens`), `patch` (the files a step changed),
//! `compaction`, `agent`, `subtask`, `retry`. What each becomes: docs/FORMATS.md.

use crate::build::{str_of, u64_of, SessionBuilder};
use crate::common::{self, json_error};
use crate::diag::Diagnostics;
use crate::source::{Format, SessionSource};
use crate::IngestOptions;
use agentstat_session::lines::{count_lines, diff_lines};
use agentstat_session::{
    ActionKind, AssistantText, Event, HumanTurn, LineDelta, Millis, ModelCall, ResultStatus,
    Session, SystemNote,
};
use serde_json::{Map, Value};

/// Members never read, left out as a document (or a store's row) is parsed: the diffs' text
/// (`diffs`, `patch`, `diff`; their line counts are kept), file previews and displays,
/// diagnostics.
pub(crate) const SKIP: &[&str] = &[
    "diffs",
    "patch",
    "diff",
    "preview",
    "display",
    "diagnostics",
];

/// Read one OpenCode export document.
pub fn read_session(
    src: &SessionSource,
    opts: &IngestOptions,
    diag: &mut Diagnostics,
) -> Option<Session> {
    let path = &src.files[0].path;
    if path.extension().is_some_and(|e| e == "db") {
        #[cfg(feature = "sqlite")]
        return crate::opencode_store::read_db(src, opts, diag);
        #[cfg(not(feature = "sqlite"))]
        {
            diag.skip(
                &path.display().to_string(),
                None,
                "feature-disabled",
                "an OpenCode database; this build has no `sqlite` feature",
            );
            return None;
        }
    }
    if let Some(root) = crate::opencode_store::storage_root(path) {
        return crate::opencode_store::read_tree(src, root, opts, diag);
    }
    let (name, buf) = common::read_source(src, diag)?;
    let doc: Value = match crate::build::parse_skipping(&buf, SKIP) {
        Ok(v) => v,
        Err(e) => {
            json_error(diag, &name, &e);
            return None;
        }
    };
    diag.records += 1;
    let mut b = SessionBuilder::default();
    let Some(info) = doc.get("info").filter(|i| i.is_object()) else {
        diag.skip(
            &name,
            None,
            "missing-info",
            "no session `info` in this OpenCode export",
        );
        return None;
    };
    let sub = session_info(info, &mut b);
    let Some(messages) = doc.get("messages").and_then(Value::as_array) else {
        diag.skip(
            &name,
            None,
            "missing-messages",
            "no `messages` list in this OpenCode export",
        );
        return None;
    };
    for (i, m) in messages.iter().enumerate() {
        diag.records += 1;
        let (Some(mi), Some(parts)) = (
            m.get("info").filter(|i| i.is_object()),
            m.get("parts").and_then(Value::as_array),
        ) else {
            diag.skip(
                &name,
                None,
                "bad-record-shape",
                format!("message {} has no `info` or no `parts`", i + 1),
            );
            continue;
        };
        message(mi, parts, sub, &mut b, &name, diag);
    }
    b.finish(Format::OpenCode, src, opts, diag, &name)
}

/// The session's own fields; `true` when a parent agent started it (its prompts are the
/// parent's, not the person's).
pub(crate) fn session_info(info: &Value, b: &mut SessionBuilder) -> bool {
    b.id = str_of(info, "id").map(str::to_string);
    b.version = str_of(info, "version").map(str::to_string);
    if let Some(dir) = str_of(info, "directory") {
        b.project = Some(dir.to_string());
        b.paths.push(dir.to_string());
    }
    let sub = str_of(info, "parentID").is_some();
    if sub {
        b.entrypoint = Some("subagent".into());
    }
    sub
}

/// Milliseconds of `v.time[k]`.
fn time(v: &Value, k: &str) -> Option<Millis> {
    v.get("time")?.get(k)?.as_i64()
}

/// One message (its `info` and `parts`) into the session.
pub(crate) fn message(
    info: &Value,
    parts: &[Value],
    sub: bool,
    b: &mut SessionBuilder,
    name: &str,
    diag: &mut Diagnostics,
) {
    let ts = time(info, "created");
    match str_of(info, "role").unwrap_or_default() {
        "user" => user(parts, ts, sub, b, name, diag),
        "assistant" => assistant(info, parts, ts, b, name, diag),
        other => diag.skip(
            name,
            None,
            "unknown-message-role",
            format!("OpenCode message role {other:?}"),
        ),
    }
}

fn user(
    parts: &[Value],
    ts: Option<Millis>,
    sub: bool,
    b: &mut SessionBuilder,
    name: &str,
    diag: &mut Diagnostics,
) {
    let mut text = String::new();
    let mut files = 0u32;
    for p in parts {
        match str_of(p, "type").unwrap_or_default() {
            "text" if p.get("synthetic").and_then(Value::as_bool) == Some(true) => {
                b.events.push(Event::System(SystemNote {
                    kind: "synthetic".into(),
                    text: str_of(p, "text").unwrap_or_default().into(),
                    timestamp: ts,
                }))
            }
            "text" if p.get("ignored").and_then(Value::as_bool) == Some(true) => {
                b.ignore("ignored-text")
            }
            "text" => {
                if !text.is_empty() {
                    text.push('\n');
                }
                text.push_str(str_of(p, "text").unwrap_or_default());
            }
            "file" => files += 1,
            "compaction" => {
                b.compactions += 1;
                b.events.push(Event::Compaction {
                    timestamp: ts,
                    trigger: Some(
                        if p.get("auto").and_then(Value::as_bool) == Some(true) {
                            "auto"
                        } else {
                            "manual"
                        }
                        .into(),
                    ),
                });
            }
            // `@agent` mentions and subtasks handed to an agent: part of the prompt's intent.
            "agent" | "subtask" => b.events.push(Event::System(SystemNote {
                kind: "agent_mention".into(),
                text: str_of(p, "name")
                    .or_else(|| str_of(p, "prompt"))
                    .unwrap_or_default()
                    .into(),
                timestamp: ts,
            })),
            other => diag.skip(
                name,
                None,
                "unknown-part-type",
                format!("OpenCode user part {other:?}"),
            ),
        }
    }
    if text.trim().is_empty() && files == 0 {
        return;
    }
    if sub {
        // A parent agent's `task` prompt.
        b.events.push(Event::System(SystemNote {
            kind: "agent_prompt".into(),
            text,
            timestamp: ts,
        }));
    } else {
        b.events.push(Event::Human(HumanTurn {
            text,
            timestamp: ts,
            attachments: files,
            ..HumanTurn::default()
        }));
    }
}

fn assistant(
    info: &Value,
    parts: &[Value],
    ts: Option<Millis>,
    b: &mut SessionBuilder,
    name: &str,
    diag: &mut Diagnostics,
) {
    let model = str_of(info, "modelID").map(str::to_string);
    let msg_id = str_of(info, "id").unwrap_or_default();
    let summary = info.get("summary").and_then(Value::as_bool) == Some(true);
    let call = |tokens: &Value, id: String, t: Option<Millis>| {
        let cache = tokens.get("cache").cloned().unwrap_or(Value::Null);
        ModelCall {
            message_id: id,
            request_id: None,
            model: model.clone(),
            timestamp: t,
            input_tokens: u64_of(tokens, "input"),
            output_tokens: u64_of(tokens, "output") + u64_of(tokens, "reasoning"),
            cache_read_tokens: u64_of(&cache, "read"),
            cache_creation_tokens: u64_of(&cache, "write"),
            subagent: None,
        }
    };
    let mut steps = 0;
    for p in parts {
        let pts = p
            .get("time")
            .and_then(|t| t.get("start"))
            .and_then(Value::as_i64);
        match str_of(p, "type").unwrap_or_default() {
            "text" => {
                let text = str_of(p, "text").unwrap_or_default();
                if summary {
                    b.events.push(Event::System(SystemNote {
                        kind: "compact_summary".into(),
                        text: text.into(),
                        timestamp: ts,
                    }));
                } else if !text.trim().is_empty() {
                    b.events.push(Event::AssistantText(AssistantText {
                        text: text.to_string(),
                        timestamp: pts.or(ts),
                        model: model.clone(),
                        subagent: None,
                    }));
                }
            }
            "reasoning" => b.ignore("thinking"),
            "tool" => tool(p, b),
            "step-finish" => {
                steps += 1;
                if let Some(tk) = p.get("tokens") {
                    let id =
                        str_of(p, "id").map_or_else(|| format!("{msg_id}#{steps}"), str::to_string);
                    b.model_calls.push(call(tk, id, ts));
                }
            }
            "step-start" => b.ignore("step-start"),
            // The files a step changed, as a snapshot hash (the tool calls carry the edits).
            "patch" => b.ignore("patch-snapshot"),
            "retry" => b.ignore("retry"),
            "file" => b.ignore("assistant-file"),
            "compaction" => {
                b.compactions += 1;
                b.events.push(Event::Compaction {
                    timestamp: ts,
                    trigger: None,
                });
            }
            other => diag.skip(
                name,
                None,
                "unknown-part-type",
                format!("OpenCode assistant part {other:?}"),
            ),
        }
    }
    // A message with no step recorded: its own token totals are its one request.
    if steps == 0 {
        if let Some(tk) = info
            .get("tokens")
            .filter(|t| u64_of(t, "input") + u64_of(t, "output") > 0)
        {
            b.model_calls.push(call(tk, msg_id.to_string(), ts));
        }
    }
    if let Some(err) = info.get("error") {
        if str_of(err, "name") == Some("MessageAbortedError") {
            b.events.push(Event::Interrupt {
                timestamp: time(info, "completed").or(ts),
                subagent: None,
            });
        } else {
            let msg = err
                .get("data")
                .and_then(|d| str_of(d, "message"))
                .or_else(|| str_of(err, "name"))
                .unwrap_or_default();
            b.events.push(Event::System(SystemNote {
                kind: "api_error".into(),
                text: msg.into(),
                timestamp: ts,
            }));
        }
    }
}

/// One tool part: the call and its result together.
fn tool(p: &Value, b: &mut SessionBuilder) {
    let empty = Value::Null;
    let name = str_of(p, "tool").unwrap_or_default();
    let id = str_of(p, "callID").unwrap_or_default();
    let state = p.get("state").unwrap_or(&empty);
    let input = state.get("input").cloned().unwrap_or(Value::Null);
    let meta = state.get("metadata").unwrap_or(&empty);
    let (kind, input, lines) = classify(name, input, meta);
    let start = state
        .get("time")
        .and_then(|t| t.get("start"))
        .and_then(Value::as_i64);
    let end = state
        .get("time")
        .and_then(|t| t.get("end"))
        .and_then(Value::as_i64);
    b.action(id, name, kind, input.into(), start, lines);
    let exit_code = meta.get("exit").and_then(Value::as_i64).map(|c| c as i32);
    let (status, out) = match str_of(state, "status").unwrap_or_default() {
        "completed" if name == "invalid" => (ResultStatus::Error, str_of(state, "output")),
        "completed" if exit_code.is_some_and(|c| c != 0) => {
            (ResultStatus::Error, str_of(state, "output"))
        }
        "completed" => (ResultStatus::Ok, str_of(state, "output")),
        "error" => {
            let e = str_of(state, "error").unwrap_or_default();
            let status = if e.contains("rejected permission") || e.contains("user dismissed") {
                ResultStatus::Rejected
            } else if e.contains("aborted") {
                ResultStatus::Interrupted
            } else {
                ResultStatus::Error
            };
            (status, Some(e))
        }
        // `pending` / `running`: the session ended before the call did.
        _ => (ResultStatus::Missing, None),
    };
    b.result(
        id,
        status,
        out.unwrap_or_default().to_string(),
        end,
        exit_code,
    );
}

/// Kind, input (with `file_path` for OpenCode's `filePath`) and lines of one tool call.
/// OpenCode's tools: `bash`, `read`, `edit` (`oldString` → `newString`; the recorded diff's
/// counts when present), `write` (`content`), `apply_patch` (`patchText`; per-file counts in
/// `metadata.files`), `glob`, `grep`, `list`, `webfetch`, `websearch`, `task`, `todowrite`,
/// `todoread`, `question`, `skill`, `invalid` (arguments the model got wrong), MCP tools.
fn classify(tool: &str, input: Value, meta: &Value) -> (ActionKind, Value, Option<LineDelta>) {
    let mut m = match input {
        Value::Object(m) => m,
        Value::Null => Map::new(),
        other => {
            let mut m = Map::new();
            m.insert("input".into(), other);
            m
        }
    };
    if let Some(Value::String(f)) = m.get("filePath").cloned() {
        m.insert("file_path".into(), Value::String(f));
    }
    let s = |m: &Map<String, Value>, k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
    let counts = |v: &Value| LineDelta {
        added: u64_of(v, "additions"),
        removed: u64_of(v, "deletions"),
    };
    let (kind, lines) = match tool {
        "bash" => (ActionKind::Shell, None),
        "read" => (ActionKind::Read, None),
        "edit" | "multiedit" => {
            let d = match meta.get("filediff") {
                Some(fd) if fd.get("additions").is_some() => counts(fd),
                _ => diff_lines(
                    &s(&m, "oldString").unwrap_or_default(),
                    &s(&m, "newString").unwrap_or_default(),
                ),
            };
            (ActionKind::Edit, Some(d))
        }
        "write" => {
            let d = s(&m, "content").map(|c| LineDelta {
                added: count_lines(&c),
                removed: 0,
            });
            (ActionKind::Write, d)
        }
        "apply_patch" | "patch" => {
            let patch = s(&m, "patchText").unwrap_or_default();
            let (from_patch, files, only_adds) = crate::codex::patch_stats(&patch);
            let d = match meta.get("files").and_then(Value::as_array) {
                Some(fs) if !fs.is_empty() => {
                    fs.iter()
                        .map(counts)
                        .fold(LineDelta::default(), |a, x| LineDelta {
                            added: a.added + x.added,
                            removed: a.removed + x.removed,
                        })
                }
                _ => from_patch,
            };
            if let Some(f) = files.first() {
                m.insert("file_path".into(), Value::String(f.clone()));
            }
            m.insert(
                "files".into(),
                Value::Array(files.into_iter().map(Value::String).collect()),
            );
            let kind = if only_adds {
                ActionKind::Write
            } else {
                ActionKind::Edit
            };
            (kind, Some(d))
        }
        "glob" | "grep" | "list" | "codesearch" => (ActionKind::Search, None),
        "webfetch" | "websearch" => (ActionKind::Web, None),
        "task" => (ActionKind::Subagent, None),
        "todowrite" | "todoread" => (ActionKind::Plan, None),
        _ => (ActionKind::Other, None),
    };
    (kind, Value::Object(m), lines)
}
