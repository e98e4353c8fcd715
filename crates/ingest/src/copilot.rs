//! GitHub Copilot CLI: `~/.copilot/session-state/<session id>/events.jsonl`.
//!
//! Every line is an event `{type, data, id, timestamp, parentId}`. The first is `session.start`
//! (`sessionId`, `copilotVersion`, `context: {cwd, branch, …}`, and `selectedModel` when a program
//! chose the model as it created the session). `user.message` is a prompt (its `content`; a
//! skill's text injected as a user message starts `<skill-context`), `assistant.message` the
//! model's reply (`content`, `toolRequests`, `outputTokens`, `model`), `tool.execution_complete`
//! a tool call's result (`success`, `result.content` or `error.message`), `permission.completed`
//! the person's answer to a permission request, `abort` an interrupt. Hooks, turn boundaries,
//! mode and model changes are read and not used. What each event becomes: docs/FORMATS.md.

use crate::build::SessionBuilder;
use crate::common;
use crate::diag::Diagnostics;
use crate::json::{jsonl_records, str_of, time_of, u64_of, Json, When};
use crate::source::{Format, SessionSource};
use crate::IngestOptions;
use agentstat_session::{
    ActionKind, AssistantText, Event, HumanTurn, LineDelta, ModelCall, ResultStatus, Session,
    SystemNote,
};
use serde_json::{Map, Value};
use std::collections::HashSet;

#[derive(Default)]
struct State {
    model: Option<String>,
    /// `session.start` named a `selectedModel`: a program created the session.
    selected_model: bool,
    /// The session ended by itself: a `sessionEnd` hook with reason `complete`, or a
    /// `session.shutdown`.
    ended: bool,
    /// Tool calls the person refused permission for.
    denied: HashSet<String>,
    /// The person pressed Esc since the last prompt: calls that fail now were cut short.
    aborted: bool,
}

/// Members never read, left out as each line is parsed: hooks' copies of tool calls and results
/// (`toolArgs`, `toolResult`, `toolCalls`), a result's `detailedContent` (a second rendering),
/// reasoning, the prompt as sent (`transformedContent`), telemetry.
const SKIP: &[&str] = &[
    "toolArgs",
    "toolResult",
    "toolCalls",
    "detailedContent",
    "reasoningText",
    "reasoningOpaque",
    "encryptedContent",
    "transformedContent",
    "toolTelemetry",
    "modelMetrics",
];

/// [`SKIP`] as the parser's type parameter.
struct Unread;

impl crate::json::Skip for Unread {
    const SKIP: &'static [&'static str] = SKIP;
    /// The `data` of events read for their type only (see [`event`]): the system prompt above
    /// all (a quarter of the bytes of real files).
    const WHEN: &'static [When] = &[When {
        key: "type",
        values: &[
            "system.message",
            "assistant.turn_start",
            "assistant.turn_end",
            "tool.execution_start",
            "hook.end",
            "permission.requested",
            "session.info",
            "session.mode_changed",
            "session.plan_changed",
            "session.permissions_changed",
            "skill.invoked",
            "system.notification",
            "session.compaction_start",
            "session.usage_info",
            "session.truncation",
            "session.idle",
            "assistant.usage",
            "assistant.intent",
            "subagent.started",
            "subagent.completed",
            "subagent.failed",
            "subagent.selected",
            "assistant.reasoning",
            "session.shutdown",
            "session.compaction_complete",
            "abort",
        ],
        skip: &["data"],
    }];
}

/// Read one Copilot CLI `events.jsonl`.
pub fn read_session(
    src: &SessionSource,
    opts: &IngestOptions,
    diag: &mut Diagnostics,
) -> Option<Session> {
    let (name, buf) = common::read_source(src, diag)?;
    let mut b = SessionBuilder::default();
    let mut st = State::default();
    jsonl_records::<Unread>(&buf, &name, diag, |v, no, diag| {
        event(v, &mut b, &mut st, &name, no, diag)
    });
    // A program drove the session: it chose the model when it created the session (the
    // interactive CLI records the person's model as a `session.model_change`) and the session
    // closed itself once answered. Evaluation harnesses built on the Copilot SDK look so.
    if st.selected_model && st.ended {
        b.entrypoint = Some("sdk-copilot".into());
    } else if b.entrypoint.is_none() {
        b.entrypoint = Some("cli".into());
    }
    b.finish(Format::CopilotCli, src, opts, diag, &name)
}

fn event(
    v: &Json<'_>,
    b: &mut SessionBuilder,
    st: &mut State,
    name: &str,
    no: u64,
    diag: &mut Diagnostics,
) {
    let ts = time_of(v, "timestamp");
    let d = v.at("data");
    let note = |b: &mut SessionBuilder, kind: &str, text: String| {
        b.events.push(Event::System(SystemNote {
            kind: kind.into(),
            text,
            timestamp: ts,
        }))
    };
    let ty = str_of(v, "type").unwrap_or_default();
    match ty {
        "session.start" | "session.resume" => {
            if let Some(id) = str_of(d, "sessionId") {
                b.id = Some(id.to_string());
            }
            b.version = str_of(d, "copilotVersion")
                .map(str::to_string)
                .or(b.version.take());
            let ctx = d.at("context");
            if let Some(cwd) = str_of(ctx, "cwd") {
                b.project.get_or_insert_with(|| cwd.to_string());
                b.paths.push(cwd.to_string());
            }
            if let Some(br) = str_of(ctx, "branch") {
                b.git_branch.get_or_insert_with(|| br.to_string());
            }
            if let Some(m) = str_of(d, "selectedModel") {
                st.selected_model = true;
                st.model = Some(m.to_string());
            }
            b.ignore(ty);
        }
        "session.model_change" => {
            st.model = str_of(d, "newModel").map(str::to_string);
            b.ignore(ty);
        }
        "user.message" => {
            let text = str_of(d, "content").unwrap_or_default();
            let attachments = d
                .get("attachments")
                .and_then(Json::as_array)
                .map_or(0, |a| a.len() as u32);
            st.aborted = false;
            if text.trim_start().starts_with("<skill-context") {
                // A skill's instructions, injected by the CLI as a user message.
                note(b, "skill", text.to_string());
            } else if text.trim().is_empty() && attachments == 0 {
                b.ignore("empty-user-message");
            } else {
                b.events.push(Event::Human(HumanTurn {
                    text: text.to_string(),
                    timestamp: ts,
                    attachments,
                    ..HumanTurn::default()
                }));
            }
        }
        "assistant.message" => {
            let model = str_of(d, "model").map(str::to_string).or(st.model.clone());
            b.model_calls.push(ModelCall {
                message_id: str_of(d, "messageId")
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{name}:{no}")),
                request_id: str_of(d, "requestId").map(str::to_string),
                model: model.clone(),
                timestamp: ts,
                output_tokens: u64_of(d, "outputTokens"),
                ..ModelCall::default()
            });
            let text = str_of(d, "content").unwrap_or_default();
            if !text.trim().is_empty() {
                b.events.push(Event::AssistantText(AssistantText {
                    text: text.to_string(),
                    timestamp: ts,
                    model,
                    subagent: None,
                }));
            }
            for t in d
                .get("toolRequests")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
            {
                let tool = str_of(t, "name").unwrap_or_default();
                let args = t.get("arguments").map_or(Value::Null, Json::to_value);
                let (kind, input, lines) = classify(tool, args);
                b.action(
                    str_of(t, "toolCallId").unwrap_or_default(),
                    tool,
                    kind,
                    input.into(),
                    ts,
                    lines,
                );
            }
        }
        "tool.execution_complete" => {
            let id = str_of(d, "toolCallId").unwrap_or_default();
            let ok = d.get("success").and_then(Json::as_bool) == Some(true);
            let text = if ok {
                d.get("result").and_then(|r| str_of(r, "content"))
            } else {
                d.get("error")
                    .and_then(|e| str_of(e, "message"))
                    .or_else(|| d.get("result").and_then(|r| str_of(r, "content")))
            }
            .unwrap_or_default()
            .to_string();
            let exit_code = exit_code(&text);
            let status = match (ok, exit_code) {
                _ if st.denied.contains(id) => ResultStatus::Rejected,
                (true, Some(c)) if c != 0 => ResultStatus::Error,
                (true, _) => ResultStatus::Ok,
                (false, _) if st.aborted => ResultStatus::Interrupted,
                (false, _) => ResultStatus::Error,
            };
            if !b.result(id, status, text, ts, exit_code) {
                diag.skip(
                    name,
                    Some(no),
                    "orphan-tool-result",
                    format!("a tool result for {id:?}, which no tool request before it made"),
                );
            }
        }
        "permission.completed" => {
            let kind = d
                .get("result")
                .and_then(|r| str_of(r, "kind"))
                .unwrap_or_default();
            if !kind.starts_with("approved") {
                if let Some(id) = str_of(d, "toolCallId") {
                    st.denied.insert(id.to_string());
                }
            }
            b.ignore(ty);
        }
        "abort" => {
            st.aborted = true;
            b.events.push(Event::Interrupt {
                timestamp: ts,
                subagent: None,
            })
        }
        "session.error" => note(
            b,
            "api_error",
            str_of(d, "message").unwrap_or_default().to_string(),
        ),
        "session.compaction_complete" => {
            b.compactions += 1;
            b.events.push(Event::Compaction {
                timestamp: ts,
                trigger: None,
            });
        }
        "hook.start" => {
            let input = d.at("input");
            if str_of(d, "hookType") == Some("sessionEnd")
                && str_of(input, "reason") == Some("complete")
            {
                st.ended = true;
            }
            b.ignore(ty);
        }
        "session.shutdown" => {
            st.ended = true;
            b.ignore(ty);
        }
        "assistant.reasoning" => b.ignore("thinking"),
        // Read and not used: the system prompt, turn boundaries, tool starts (the request on the
        // assistant message is the call), hooks, permission prompts, notices and settings.
        "system.message"
        | "assistant.turn_start"
        | "assistant.turn_end"
        | "tool.execution_start"
        | "hook.end"
        | "permission.requested"
        | "session.info"
        | "session.mode_changed"
        | "session.plan_changed"
        | "session.permissions_changed"
        | "skill.invoked"
        | "system.notification"
        | "session.compaction_start"
        | "session.usage_info"
        | "session.truncation"
        | "session.idle"
        | "assistant.usage"
        | "assistant.intent"
        | "subagent.started"
        | "subagent.completed"
        | "subagent.failed"
        | "subagent.selected" => b.ignore(ty),
        other => diag.skip(
            name,
            Some(no),
            "unknown-record-type",
            format!("Copilot CLI event type {other:?}"),
        ),
    }
}

/// `<shellId: N completed with exit code C>` (or `exited with exit code C`) in a shell result.
fn exit_code(text: &str) -> Option<i32> {
    let at = text.rfind("with exit code ")? + "with exit code ".len();
    let digits: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    digits.parse().ok()
}

/// Kind, input and lines of a Copilot CLI tool call: `bash` / `powershell` (`command`), `view`
/// (`path`), `create` (`path`, `file_text`), `edit` (`path`, `old_str`, `new_str`),
/// `apply_patch` (the patch as a string), `glob` / `rg` / `grep`, `web_fetch`, `task`,
/// `update_todo` / `exit_plan_mode`; the rest (`ask_user`, `report_intent`, `skill`, `sql`, the
/// `*_bash` shell-session tools, MCP tools) as named.
fn classify(tool: &str, args: Value) -> (ActionKind, Value, Option<LineDelta>) {
    match tool {
        "apply_patch" => {
            let patch = match &args {
                Value::String(p) => p.clone(),
                v => v
                    .get("input")
                    .or_else(|| v.get("patch"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            };
            let (d, files, only_adds) = crate::codex::patch_stats(&patch);
            let mut m = Map::new();
            if let Some(f) = files.first() {
                m.insert("file_path".into(), Value::String(f.clone()));
            }
            m.insert(
                "files".into(),
                Value::Array(files.into_iter().map(Value::String).collect()),
            );
            m.insert("patch".into(), Value::String(patch));
            let kind = if only_adds {
                ActionKind::Write
            } else {
                ActionKind::Edit
            };
            (kind, Value::Object(m), Some(d))
        }
        "bash" | "powershell" | "shell" => (ActionKind::Shell, args, None),
        "view" | "read" | "read_file" => (ActionKind::Read, args, None),
        "create" => (ActionKind::Write, args, None),
        "edit" | "str_replace" | "str_replace_editor" => (ActionKind::Edit, args, None),
        "glob" | "rg" | "grep" | "search" | "list_dir" => (ActionKind::Search, args, None),
        "web_fetch" | "fetch" | "web_search" => (ActionKind::Web, args, None),
        "task" => (ActionKind::Subagent, args, None),
        "update_todo" | "exit_plan_mode" => (ActionKind::Plan, args, None),
        _ => (ActionKind::Other, args, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(
            exit_code("ok\n<shellId: 2 completed with exit code 0>"),
            Some(0)
        );
        assert_eq!(exit_code("boom\n<exited with exit code 3>"), Some(3));
        assert_eq!(exit_code("no code"), None);
    }
}
