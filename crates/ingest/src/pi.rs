//! pi (pi-coding-agent) and its fork Oh My Pi: session JSONL
//! (`~/.pi/agent/sessions/--<cwd>--/<time>_<id>.jsonl`, `~/.omp/agent/sessions/…`).
//!
//! Line 1 is a `session` header `{id, cwd, version, timestamp}` (Oh My Pi writes a `title` line
//! before it); every other line is an entry `{type, id, parentId, timestamp, …}`. `message`
//! entries hold an agent message by `role`: `user` (a prompt; Oh My Pi marks text that a program
//! or another agent sent with `attribution: "agent"`), `assistant` (text, thinking and
//! `toolCall` parts, `usage`, `stopReason`), `toolResult` (`toolCallId`, `isError`),
//! `bashExecution` (a `!` command the person ran), `custom`, `branchSummary`,
//! `compactionSummary`, `developer`. Entries form a tree (`parentId`) so that the person can go
//! back and branch; every branch is read, in file order (all of it is work that was done).
//! What each entry becomes: docs/FORMATS.md.

use crate::build::SessionBuilder;
use crate::common;
use crate::diag::Diagnostics;
use crate::json::{jsonl_records, str_of, time_of, u64_of, Json};
use crate::source::{Format, SessionSource};
use crate::IngestOptions;
use agentstat_session::lines::{count_lines, diff_lines};
use agentstat_session::{
    ActionKind, AssistantText, Event, HumanTurn, LineDelta, ModelCall, ResultStatus, Session,
    SystemNote,
};
use serde_json::{Map, Value};

/// Members never read, left out as each line is parsed: a tool result's `details` (Oh My Pi's
/// `displayContent` repeats the output), extension state (`data`: Oh My Pi repeats every tool
/// call's arguments there), the system prompt, reasoning text and provider payloads.
const SKIP: &[&str] = &[
    "details",
    "data",
    "systemPrompt",
    "thinking",
    "thoughtSignature",
    "providerPayload",
    "contextSnapshot",
    "tools",
];

/// [`SKIP`] as the parser's type parameter.
struct Unread;

impl crate::json::Skip for Unread {
    const SKIP: &'static [&'static str] = SKIP;
}

/// Read one pi session file.
pub fn read_session(
    src: &SessionSource,
    opts: &IngestOptions,
    diag: &mut Diagnostics,
) -> Option<Session> {
    let (name, buf) = common::read_source(src, diag)?;
    let mut b = SessionBuilder::default();
    let mut model: Option<String> = None;
    jsonl_records::<Unread>(&buf, &name, diag, |v, no, diag| {
        entry(v, &mut b, &mut model, &name, no, diag)
    });
    b.finish(Format::Pi, src, opts, diag, &name)
}

fn entry(
    v: &Json<'_>,
    b: &mut SessionBuilder,
    model: &mut Option<String>,
    name: &str,
    no: u64,
    diag: &mut Diagnostics,
) {
    let ts = time_of(v, "timestamp");
    let note = |b: &mut SessionBuilder, kind: &str, text: String| {
        b.events.push(Event::System(SystemNote {
            kind: kind.into(),
            text,
            timestamp: ts,
        }))
    };
    match str_of(v, "type").unwrap_or_default() {
        "session" => {
            b.id = str_of(v, "id").map(str::to_string);
            if let Some(cwd) = str_of(v, "cwd") {
                b.project = Some(cwd.to_string());
                b.paths.insert(0, cwd.to_string());
            }
            b.ignore("session-header");
        }
        "message" => match v.get("message") {
            Some(m) if m.is_object() => message(m, ts, b, model, name, no, diag),
            _ => diag.skip(
                name,
                Some(no),
                "bad-record-shape",
                "a message entry with no message",
            ),
        },
        "model_change" => {
            // pi: `provider` + `modelId`; Oh My Pi: `model` as `provider/model`.
            *model = str_of(v, "modelId")
                .or_else(|| str_of(v, "model"))
                .map(str::to_string);
            b.ignore("model_change");
        }
        "session_init" => {
            // Oh My Pi's start of a session it runs for a parent agent (`task`, `agent`).
            if v.get("task").is_some_and(|t| !t.is_null()) {
                b.entrypoint = Some("subagent".into());
            }
            b.ignore("session_init");
        }
        "compaction" => {
            b.compactions += 1;
            b.events.push(Event::Compaction {
                timestamp: ts,
                trigger: None,
            });
            note(
                b,
                "compact_summary",
                str_of(v, "summary").unwrap_or_default().into(),
            );
        }
        "branch_summary" => note(
            b,
            "branch_summary",
            str_of(v, "summary").unwrap_or_default().into(),
        ),
        "custom_message" => note(b, "custom_message", text_of(v.get("content")).0),
        // Extension state (never in the model's context).
        "custom" => b.ignore("extension-state"),
        kind @ ("title"
        | "thinking_level_change"
        | "label"
        | "session_info"
        | "ttsr_injection"
        | "mode_change"
        | "credential_pin") => b.ignore(kind),
        other => diag.skip(
            name,
            Some(no),
            "unknown-record-type",
            format!("pi entry type {other:?}"),
        ),
    }
}

fn message(
    m: &Json<'_>,
    ts: Option<i64>,
    b: &mut SessionBuilder,
    model: &mut Option<String>,
    name: &str,
    no: u64,
    diag: &mut Diagnostics,
) {
    let note = |b: &mut SessionBuilder, kind: &str, text: String| {
        b.events.push(Event::System(SystemNote {
            kind: kind.into(),
            text,
            timestamp: ts,
        }))
    };
    match str_of(m, "role").unwrap_or_default() {
        "user" => {
            let (text, images) = text_of(m.get("content"));
            if str_of(m, "attribution") == Some("agent") {
                // Sent by a program or the parent agent, not typed by the person.
                note(b, "agent_prompt", text);
            } else if text.trim().is_empty() && images == 0 {
                b.ignore("empty-user-message");
            } else {
                b.events.push(Event::Human(HumanTurn {
                    text,
                    timestamp: ts,
                    attachments: images,
                    ..HumanTurn::default()
                }));
            }
        }
        "assistant" => assistant(m, ts, b, model, name, no, diag),
        "toolResult" => {
            let id = str_of(m, "toolCallId").unwrap_or_default();
            let (text, _) = text_of(m.get("content"));
            let error = m.get("isError").and_then(Json::as_bool) == Some(true);
            let exit_code = error.then(|| exit_code(&text)).flatten();
            let status = if error {
                ResultStatus::Error
            } else {
                ResultStatus::Ok
            };
            if !b.result(id, status, text, ts, exit_code) {
                diag.skip(
                    name,
                    Some(no),
                    "orphan-tool-result",
                    format!("a tool result for {id:?}, which no tool call before it made"),
                );
            }
        }
        "bashExecution" => {
            let cmd = str_of(m, "command").unwrap_or_default();
            let out = str_of(m, "output").unwrap_or_default();
            note(b, "local_command", format!("$ {cmd}\n{out}"));
        }
        "custom" | "hookMessage" => note(b, "custom_message", text_of(m.get("content")).0),
        "developer" => note(b, "developer", text_of(m.get("content")).0),
        "branchSummary" => note(
            b,
            "branch_summary",
            str_of(m, "summary").unwrap_or_default().into(),
        ),
        "compactionSummary" => note(
            b,
            "compact_summary",
            str_of(m, "summary").unwrap_or_default().into(),
        ),
        other => diag.skip(
            name,
            Some(no),
            "unknown-message-role",
            format!("pi message role {other:?}"),
        ),
    }
}

fn assistant(
    m: &Json<'_>,
    ts: Option<i64>,
    b: &mut SessionBuilder,
    model: &mut Option<String>,
    name: &str,
    no: u64,
    diag: &mut Diagnostics,
) {
    let this_model = str_of(m, "model")
        .map(str::to_string)
        .or_else(|| model.clone());
    if let Some(u) = m.get("usage").filter(|u| u.is_object()) {
        b.model_calls.push(ModelCall {
            message_id: str_of(m, "responseId")
                .map(str::to_string)
                .unwrap_or_else(|| format!("{name}:{no}")),
            request_id: None,
            model: this_model.clone(),
            timestamp: ts,
            input_tokens: u64_of(u, "input"),
            output_tokens: u64_of(u, "output"),
            cache_read_tokens: u64_of(u, "cacheRead"),
            cache_creation_tokens: u64_of(u, "cacheWrite"),
            subagent: None,
        });
    }
    let parts: &[Json] = match m.get("content") {
        Some(Json::Array(a)) => a,
        _ => &[],
    };
    for p in parts {
        match str_of(p, "type").unwrap_or_default() {
            "text" => {
                let text = str_of(p, "text").unwrap_or_default();
                if !text.trim().is_empty() {
                    b.events.push(Event::AssistantText(AssistantText {
                        text: text.to_string(),
                        timestamp: ts,
                        model: this_model.clone(),
                        subagent: None,
                    }));
                }
            }
            "thinking" | "redactedThinking" => b.ignore("thinking"),
            "toolCall" => {
                let tool = str_of(p, "name").unwrap_or_default();
                let args = p.get("arguments").map_or(Value::Null, Json::to_value);
                let (kind, input, lines) = classify(tool, args);
                b.action(
                    str_of(p, "id").unwrap_or_default(),
                    tool,
                    kind,
                    input.into(),
                    ts,
                    lines,
                );
            }
            other => diag.skip(
                name,
                Some(no),
                "unknown-content-type",
                format!("pi assistant content {other:?}"),
            ),
        }
    }
    match str_of(m, "stopReason") {
        // Esc: the person stopped the agent.
        Some("aborted") => b.events.push(Event::Interrupt {
            timestamp: ts,
            subagent: None,
        }),
        Some("error") => b.events.push(Event::System(SystemNote {
            kind: "api_error".into(),
            text: str_of(m, "errorMessage").unwrap_or_default().into(),
            timestamp: ts,
        })),
        _ => {}
    }
}

/// Text of a `content` (a string, or text parts) and how many images it holds.
fn text_of(c: Option<&Json>) -> (String, u32) {
    match c {
        Some(Json::String(s)) => (s.to_string(), 0),
        Some(Json::Array(parts)) => {
            let mut text = String::new();
            let mut images = 0;
            for p in parts {
                match str_of(p, "type") {
                    Some("text") => {
                        if !text.is_empty() {
                            text.push('\n');
                        }
                        text.push_str(str_of(p, "text").unwrap_or_default());
                    }
                    Some("image") => images += 1,
                    _ => {}
                }
            }
            (text, images)
        }
        _ => (String::new(), 0),
    }
}

/// `Command exited with code N` at the end of a failed bash call's output.
fn exit_code(text: &str) -> Option<i32> {
    let at = text.rfind("exited with code ")? + "exited with code ".len();
    let digits: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    digits.parse().ok()
}

/// Kind, input (an Oh My Pi patch edit gains `file_path`, `files` and `patch`) and lines of a
/// tool call. pi's tools: `read`, `bash`, `edit` (`path`, `oldText`, `newText`, or `edits`),
/// `write` (`path`, `content`), `grep`, `find`, `ls`; Oh My Pi adds `glob`, `web_search`,
/// `fetch`, `task`, `todo_write`, … and edits by a Codex-style patch (`input`).
fn classify(tool: &str, args: Value) -> (ActionKind, Value, Option<LineDelta>) {
    let s = |k: &str| args.get(k).and_then(Value::as_str);
    match tool {
        "edit" => {
            if let Some(patch) = s("input").filter(|p| p.trim_start().starts_with("*** Begin")) {
                let (d, files, only_adds) = crate::codex::patch_stats(patch);
                let mut m = match args.clone() {
                    Value::Object(m) => m,
                    _ => Map::new(),
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
                return (kind, Value::Object(m), Some(d));
            }
            let mut d = LineDelta::default();
            let mut add = |o: &Value| {
                let x = diff_lines(
                    o.get("oldText").and_then(Value::as_str).unwrap_or_default(),
                    o.get("newText").and_then(Value::as_str).unwrap_or_default(),
                );
                d.added += x.added;
                d.removed += x.removed;
            };
            match args.get("edits") {
                Some(Value::Array(es)) => es.iter().for_each(&mut add),
                _ => add(&args),
            }
            (ActionKind::Edit, args, Some(d))
        }
        "write" => {
            let d = s("content").map(|c| LineDelta {
                added: count_lines(c),
                removed: 0,
            });
            (ActionKind::Write, args, d)
        }
        "read" => (ActionKind::Read, args, None),
        "bash" => (ActionKind::Shell, args, None),
        "grep" | "find" | "ls" | "glob" | "ast_grep" | "lsp" => (ActionKind::Search, args, None),
        "web_search" | "web_fetch" | "fetch" | "browser" => (ActionKind::Web, args, None),
        "task" => (ActionKind::Subagent, args, None),
        "todo_write" | "todo" | "plan" => (ActionKind::Plan, args, None),
        _ => (ActionKind::Other, args, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_and_edits() {
        assert_eq!(exit_code("boom\n\nCommand exited with code 2"), Some(2));
        assert_eq!(exit_code("fine"), None);
        let (k, _, d) = classify(
            "edit",
            serde_json::json!({"path": "a.rs", "oldText": "a\nb\n", "newText": "a\nc\nd\n"}),
        );
        assert_eq!(
            (k, d),
            (
                ActionKind::Edit,
                Some(LineDelta {
                    added: 2,
                    removed: 1
                })
            )
        );
        let (k, v, d) = classify(
            "edit",
            serde_json::json!({"input": "*** Begin Patch\n*** Update File: /p/a.md\n@@\n-x\n+y\n+z\n*** End Patch"}),
        );
        assert_eq!(
            (k, d),
            (
                ActionKind::Edit,
                Some(LineDelta {
                    added: 2,
                    removed: 1
                })
            )
        );
        assert_eq!(v["file_path"], "/p/a.md");
    }
}
