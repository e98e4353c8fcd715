//! Qwen Code: `~/.qwen/projects/<project>/chats/<session id>.jsonl`.
//!
//! Qwen Code's chat recording service (`packages/core/src/services/chatRecordingService.ts` in
//! QwenLM/qwen-code, read through the code index) writes one `ChatRecord` per line: `{uuid,
//! parentUuid, sessionId, timestamp, type: "user" | "assistant" | "tool_result" | "system",
//! subtype?, cwd, version, gitBranch, message: {role, parts}, usageMetadata?, model?,
//! toolCallResult?, isSidechain?, agentId?}`. `message` is the model API's content (Gemini
//! parts: `text` — `thought: true` for reasoning —, `functionCall {id, name, args}`,
//! `functionResponse {id, name, response}`). No real file was available: fixtures only.

use crate::build::{jsonl_values, str_of, time_of, u64_of, SessionBuilder};
use crate::common;
use crate::diag::Diagnostics;
use crate::source::{Format, SessionSource};
use crate::IngestOptions;
use agentstat_session::lines::{count_lines, diff_lines};
use agentstat_session::{
    ActionKind, AssistantText, Event, HumanTurn, LineDelta, ModelCall, ResultStatus, Session,
    SystemNote,
};
use serde_json::Value;

/// Read one Qwen Code chat file.
pub fn read_session(
    src: &SessionSource,
    opts: &IngestOptions,
    diag: &mut Diagnostics,
) -> Option<Session> {
    let (name, buf) = common::read_source(src, diag)?;
    let mut b = SessionBuilder::default();
    jsonl_values(&buf, &name, diag, |v, no, diag| {
        record(&v, &mut b, &name, no, diag)
    });
    b.finish(Format::QwenCode, src, opts, diag, &name)
}

fn parts(v: &Value) -> &[Value] {
    match v.get("message").and_then(|m| m.get("parts")) {
        Some(Value::Array(a)) => a,
        _ => &[],
    }
}

fn text_of(parts: &[Value]) -> String {
    parts
        .iter()
        .filter(|p| p.get("thought").and_then(Value::as_bool) != Some(true))
        .filter_map(|p| str_of(p, "text"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn record(v: &Value, b: &mut SessionBuilder, name: &str, no: u64, diag: &mut Diagnostics) {
    let ts = time_of(v, "timestamp");
    if b.id.is_none() {
        b.id = str_of(v, "sessionId").map(str::to_string);
    }
    if let Some(cwd) = str_of(v, "cwd") {
        if b.project.is_none() {
            b.project = Some(cwd.to_string());
            b.paths.push(cwd.to_string());
        }
    }
    if b.version.is_none() {
        b.version = str_of(v, "version").map(str::to_string);
    }
    if b.git_branch.is_none() {
        b.git_branch = str_of(v, "gitBranch")
            .filter(|s| !s.is_empty())
            .map(str::to_string);
    }
    // A background subagent's records (a sidechain): its prompts are the parent agent's.
    let side = v.get("isSidechain").and_then(Value::as_bool) == Some(true);
    let note = |b: &mut SessionBuilder, kind: &str, text: String| {
        b.events.push(Event::System(SystemNote {
            kind: kind.into(),
            text,
            timestamp: ts,
        }))
    };
    let subtype = str_of(v, "subtype");
    match str_of(v, "type").unwrap_or_default() {
        "user" => {
            let text = text_of(parts(v));
            match subtype {
                None | Some("mid_turn_user_message") if !side => {
                    if text.trim().is_empty() {
                        b.ignore("empty-user-message");
                    } else {
                        b.events.push(Event::Human(HumanTurn {
                            text,
                            timestamp: ts,
                            queued: subtype == Some("mid_turn_user_message"),
                            ..HumanTurn::default()
                        }));
                    }
                }
                None => note(b, "subagent_prompt", text),
                Some(s) => note(b, s, text),
            }
        }
        "assistant" => {
            let model = str_of(v, "model").map(str::to_string);
            if let Some(u) = v.get("usageMetadata").filter(|u| u.is_object()) {
                let cached = u64_of(u, "cachedContentTokenCount");
                b.model_calls.push(ModelCall {
                    message_id: str_of(v, "uuid")
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("{name}:{no}")),
                    model: model.clone(),
                    timestamp: ts,
                    input_tokens: u64_of(u, "promptTokenCount").saturating_sub(cached),
                    output_tokens: u64_of(u, "candidatesTokenCount")
                        + u64_of(u, "thoughtsTokenCount"),
                    cache_read_tokens: cached,
                    ..ModelCall::default()
                });
            }
            for p in parts(v) {
                if let Some(fc) = p.get("functionCall") {
                    let tool = str_of(fc, "name").unwrap_or_default();
                    let args = fc.get("args").cloned().unwrap_or(Value::Null);
                    let (kind, lines) = classify(tool, &args);
                    let id = str_of(fc, "id")
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("{name}:{no}:{tool}"));
                    b.action(&id, tool, kind, args.into(), ts, lines);
                } else if p.get("thought").and_then(Value::as_bool) == Some(true) {
                    b.ignore("thinking");
                } else if let Some(t) = str_of(p, "text").filter(|t| !t.trim().is_empty()) {
                    b.events.push(Event::AssistantText(AssistantText {
                        text: t.to_string(),
                        timestamp: ts,
                        model: model.clone(),
                        subagent: None,
                    }));
                }
            }
        }
        "tool_result" => {
            let tcr = v.get("toolCallResult");
            let id = tcr
                .and_then(|t| str_of(t, "callId"))
                .or_else(|| {
                    parts(v)
                        .iter()
                        .find_map(|p| p.get("functionResponse").and_then(|f| str_of(f, "id")))
                })
                .unwrap_or_default()
                .to_string();
            let response = parts(v)
                .iter()
                .find_map(|p| p.get("functionResponse").and_then(|f| f.get("response")));
            let out = response
                .and_then(|r| str_of(r, "output").or_else(|| str_of(r, "error")))
                .unwrap_or_default()
                .to_string();
            let status = match tcr.and_then(|t| str_of(t, "status")) {
                Some("error") => ResultStatus::Error,
                Some("cancelled") => ResultStatus::Interrupted,
                Some(_) => ResultStatus::Ok,
                None if response.is_some_and(|r| r.get("error").is_some()) => ResultStatus::Error,
                None => ResultStatus::Ok,
            };
            // The recorded diff of an edit or write: its lines, more exact than the arguments.
            let display = tcr.and_then(|t| t.get("resultDisplay"));
            let diff = display.and_then(|d| {
                let new = str_of(d, "newContent")?;
                Some(diff_lines(
                    str_of(d, "originalContent").unwrap_or_default(),
                    new,
                ))
            });
            if let (Some(d), Some(a)) = (diff, b.open.get(&id).copied()) {
                if let Some(Event::Action(a)) = b.events.get_mut(a) {
                    a.result.lines = Some(d);
                }
            }
            if !b.result(&id, status, out, ts, None) {
                diag.skip(
                    name,
                    Some(no),
                    "orphan-tool-result",
                    format!("a tool result for {id:?}, which no tool call before it made"),
                );
            }
        }
        "system" => match subtype {
            Some("chat_compression") => {
                b.compactions += 1;
                b.events.push(Event::Compaction {
                    timestamp: ts,
                    trigger: None,
                });
            }
            Some("slash_command") => {
                let cmd = v
                    .get("systemPayload")
                    .and_then(|p| str_of(p, "rawCommand"))
                    .unwrap_or_default();
                note(b, "command", cmd.to_string());
            }
            Some(s) => b.ignore(&format!("system:{s}")),
            None => b.ignore("system"),
        },
        other => diag.skip(
            name,
            Some(no),
            "unknown-record-type",
            format!("Qwen Code record type {other:?}"),
        ),
    }
}

/// Kind and lines (from the arguments; a recorded diff replaces them) of a Qwen Code tool call:
/// Gemini CLI's tool names (`read_file`, `write_file`, `edit`/`replace`, `run_shell_command`,
/// `glob`, `grep_search`, `list_directory`, `web_fetch`, `web_search`, `task`, `todo_write`…).
fn classify(tool: &str, args: &Value) -> (ActionKind, Option<LineDelta>) {
    let s = |k: &str| args.get(k).and_then(Value::as_str);
    let kind = match tool {
        "todo_write" => ActionKind::Plan,
        other => crate::gemini::tool_kind(other),
    };
    let lines = match kind {
        ActionKind::Write => s("content").map(|c| LineDelta {
            added: count_lines(c),
            removed: 0,
        }),
        ActionKind::Edit => match (s("old_string"), s("new_string")) {
            (None, None) => None,
            (o, n) => Some(diff_lines(o.unwrap_or_default(), n.unwrap_or_default())),
        },
        _ => None,
    };
    (kind, lines)
}
