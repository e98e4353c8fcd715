//! Cline and its forks Roo Code and Kilo Code: one task folder per session,
//! `<VS Code global storage>/<extension id>/tasks/<task id>/` with `ui_messages.json` (the
//! timeline the panel shows), `api_conversation_history.json` (the model's messages) and
//! `task_metadata.json`. The format is defined in cline/cline `src/core/storage/disk.ts` and
//! `src/shared/ExtensionMessage.ts` (`ClineMessage`, `ClineSay`, `ClineAsk`, `ClineSayTool`),
//! Roo Code's `src/core/task-persistence/`; learnt through the code index, checked only on
//! fixtures we wrote (no real task folder was available).
//!
//! The session is read from `ui_messages.json`: a JSON list of `{ts, type: "say" | "ask", say?,
//! ask?, text?, images?, partial?}`. `say: "task"` is the person's task and `user_feedback` their
//! later messages; `api_req_started`'s text is JSON with the request's tokens and cost (and the
//! request text, which names the working directory); a tool appears once, as `say: "tool"` when
//! approved automatically or `ask: "tool"` when the person was asked, with JSON text
//! `{tool, path, diff | content}`; `ask: "command"` is a shell command and `say:
//! "command_output"` its output.

use crate::build::{str_of, u64_of, SessionBuilder};
use crate::common::{self, json_error};
use crate::diag::Diagnostics;
use crate::source::{Format, SessionSource};
use crate::IngestOptions;
use agentstat_session::lines::count_lines;
use agentstat_session::{
    ActionKind, AssistantText, Event, HumanTurn, LineDelta, ModelCall, ResultStatus, Session,
    SystemNote,
};
use serde_json::{json, Value};
use std::path::Path;

/// The agent a task folder belongs to, from its extension's id in the path.
fn agent_of(path: &Path) -> &'static str {
    let p = path.to_string_lossy().to_ascii_lowercase();
    if p.contains("roo-cline") || p.contains("roo-code") {
        "roo-code"
    } else if p.contains("kilo-code") || p.contains("kilocode") {
        "kilo-code"
    } else {
        "cline"
    }
}

/// Read one task's `ui_messages.json`.
pub fn read_session(
    src: &SessionSource,
    opts: &IngestOptions,
    diag: &mut Diagnostics,
) -> Option<Session> {
    let (name, buf) = common::read_source(src, diag)?;
    let path = &src.files[0].path;
    let msgs: Vec<Value> = match serde_json::from_slice(&buf) {
        Ok(v) => v,
        Err(e) => {
            json_error(diag, &name, &e);
            return None;
        }
    };
    let mut b = SessionBuilder {
        id: path
            .parent()
            .and_then(Path::file_name)
            .map(|s| s.to_string_lossy().into_owned()),
        agent: Some(agent_of(path).to_string()),
        entrypoint: Some("vscode".into()),
        ..SessionBuilder::default()
    };
    let model = task_model(path);
    let mut calls = 0u32;
    let mut shell_open: Option<String> = None;
    for (i, m) in msgs.iter().enumerate() {
        diag.records += 1;
        if m.get("partial").and_then(Value::as_bool) == Some(true) {
            // A streaming update, repeated in full by a later message.
            b.ignore("partial");
            continue;
        }
        let ts = m.get("ts").and_then(Value::as_i64);
        let text = str_of(m, "text").unwrap_or_default();
        let images = m
            .get("images")
            .and_then(Value::as_array)
            .map_or(0, |a| a.len() as u32);
        let note = |b: &mut SessionBuilder, kind: &str, text: &str| {
            b.events.push(Event::System(SystemNote {
                kind: kind.into(),
                text: text.into(),
                timestamp: ts,
            }))
        };
        let kind = match (str_of(m, "type"), str_of(m, "say"), str_of(m, "ask")) {
            (Some("say"), Some(s), _) => ("say", s),
            (Some("ask"), _, Some(a)) => ("ask", a),
            _ => {
                diag.skip(
                    &name,
                    None,
                    "bad-record-shape",
                    format!("message {} has no `say` or `ask` kind", i + 1),
                );
                continue;
            }
        };
        match kind {
            ("say", "task") | ("say", "user_feedback") => {
                if text.trim().is_empty() && images == 0 {
                    b.ignore("empty-user-message");
                } else {
                    b.events.push(Event::Human(HumanTurn {
                        text: text.into(),
                        timestamp: ts,
                        attachments: images,
                        ..HumanTurn::default()
                    }));
                }
            }
            ("say", "text") | ("say", "completion_result") | ("ask", "followup") => {
                if !text.trim().is_empty() {
                    b.events.push(Event::AssistantText(AssistantText {
                        text: text.into(),
                        timestamp: ts,
                        model: model.clone(),
                        subagent: None,
                    }));
                }
            }
            ("say", "reasoning") => b.ignore("thinking"),
            ("say", "api_req_started") => {
                let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
                if b.paths.is_empty() {
                    if let Some(cwd) = str_of(&v, "request").and_then(cwd_of) {
                        b.project = Some(cwd.to_string());
                        b.paths.push(cwd.to_string());
                    }
                }
                calls += 1;
                b.model_calls.push(ModelCall {
                    message_id: format!("{}#{calls}", b.id.clone().unwrap_or_default()),
                    model: model.clone(),
                    timestamp: ts,
                    input_tokens: u64_of(&v, "tokensIn"),
                    output_tokens: u64_of(&v, "tokensOut"),
                    cache_read_tokens: u64_of(&v, "cacheReads"),
                    cache_creation_tokens: u64_of(&v, "cacheWrites"),
                    ..ModelCall::default()
                });
                if str_of(&v, "cancelReason") == Some("user_cancelled") {
                    b.events.push(Event::Interrupt {
                        timestamp: ts,
                        subagent: None,
                    });
                }
            }
            ("say", "tool") | ("ask", "tool") => {
                let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
                let tool = str_of(&v, "tool").unwrap_or("tool").to_string();
                let (kind, lines) = classify(&tool, &v);
                let mut input = json!({});
                if let Some(p) = str_of(&v, "path") {
                    input["file_path"] = Value::String(p.into());
                }
                for k in ["regex", "filePattern", "url"] {
                    if let Some(x) = str_of(&v, k) {
                        input[k] = Value::String(x.into());
                    }
                }
                let id = format!("ui-{}", i + 1);
                b.action(&id, &tool, kind, input.into(), ts, lines);
                b.result(&id, ResultStatus::Ok, String::new(), ts, None);
            }
            ("say", "diff_error") => {
                // The last edit could not be applied.
                if let Some(Event::Action(a)) = b
                    .events
                    .iter_mut()
                    .rev()
                    .find(|e| matches!(e, Event::Action(a) if a.kind == ActionKind::Edit))
                {
                    a.result.status = ResultStatus::Error;
                    a.result.lines = None;
                }
                note(&mut b, "diff_error", text);
            }
            ("ask", "command") | ("say", "command") => {
                let id = format!("ui-{}", i + 1);
                b.action(
                    &id,
                    "execute_command",
                    ActionKind::Shell,
                    json!({ "command": text }).into(),
                    ts,
                    None,
                );
                if let Some(prev) = shell_open.replace(id) {
                    b.result(&prev, ResultStatus::Ok, String::new(), ts, None);
                }
            }
            ("say", "command_output") | ("ask", "command_output") => {
                if let Some(id) = shell_open.take() {
                    b.result(&id, ResultStatus::Ok, text.into(), ts, None);
                }
            }
            ("say", "browser_action_launch") | ("ask", "browser_action_launch") => {
                let id = format!("ui-{}", i + 1);
                b.action(
                    &id,
                    "browser_action",
                    ActionKind::Web,
                    json!({ "url": text }).into(),
                    ts,
                    None,
                );
                b.result(&id, ResultStatus::Ok, String::new(), ts, None);
            }
            ("say", "use_mcp_server") | ("ask", "use_mcp_server") => {
                let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
                let tool = format!(
                    "mcp__{}__{}",
                    str_of(&v, "serverName").unwrap_or("server"),
                    str_of(&v, "toolName").unwrap_or("tool")
                );
                let id = format!("ui-{}", i + 1);
                b.action(
                    &id,
                    &tool,
                    crate::claude::tool_kind(&tool),
                    v.into(),
                    ts,
                    None,
                );
                b.result(&id, ResultStatus::Ok, String::new(), ts, None);
            }
            ("say", "error") | ("ask", "api_req_failed") | ("ask", "mistake_limit_reached") => {
                note(&mut b, "api_error", text)
            }
            ("say", "user_feedback_diff") => note(&mut b, "user_edit", text),
            (t, k) => b.ignore(&format!("{t}:{k}")),
        }
    }
    if let Some(id) = shell_open {
        b.result(&id, ResultStatus::Ok, String::new(), None, None);
    }
    b.finish(Format::Cline, src, opts, diag, &name)
}

/// `# Current Working Directory (/path) Files` in a request's environment details.
fn cwd_of(request: &str) -> Option<&str> {
    let at = request.find("Current Working Directory (")? + "Current Working Directory (".len();
    let rest = &request[at..];
    let end = rest.find(')')?;
    Some(&rest[..end]).filter(|s| !s.is_empty())
}

/// The model of the task, from `task_metadata.json`'s `model_usage` (last entry).
fn task_model(ui_messages: &Path) -> Option<String> {
    let meta = std::fs::read(ui_messages.with_file_name("task_metadata.json")).ok()?;
    let v: Value = serde_json::from_slice(&meta).ok()?;
    v.get("model_usage")?
        .as_array()?
        .iter()
        .rev()
        .find_map(|u| str_of(u, "model_id"))
        .map(str::to_string)
}

/// Kind and lines of a `ClineSayTool`: `editedExistingFile` (its `diff`: SEARCH/REPLACE blocks or
/// a unified diff), `newFileCreated` (`content`), `readFile`, `listFiles*`, `searchFiles`,
/// `listCodeDefinitionNames`, `webFetch`; others as named.
fn classify(tool: &str, v: &Value) -> (ActionKind, Option<LineDelta>) {
    match tool {
        "editedExistingFile" | "appliedDiff" | "insertContent" | "searchAndReplace" => {
            let d = str_of(v, "diff").map(diff_text_lines);
            (ActionKind::Edit, d)
        }
        "newFileCreated" => (
            ActionKind::Write,
            str_of(v, "content").map(|c| LineDelta {
                added: count_lines(c),
                removed: 0,
            }),
        ),
        "readFile" => (ActionKind::Read, None),
        "listFilesTopLevel"
        | "listFilesRecursive"
        | "listCodeDefinitionNames"
        | "searchFiles"
        | "codebaseSearch" => (ActionKind::Search, None),
        "webFetch" => (ActionKind::Web, None),
        "newTask" => (ActionKind::Subagent, None),
        "updateTodoList" => (ActionKind::Plan, None),
        _ => (ActionKind::Other, None),
    }
}

/// Lines of a Cline edit's `diff`: SEARCH/REPLACE blocks (a line diff of each pair), else a
/// unified diff's `+`/`-` lines.
fn diff_text_lines(diff: &str) -> LineDelta {
    if !diff.contains("<<<<<<< SEARCH") && !diff.contains("------- SEARCH") {
        return common::unified_diff_lines(diff);
    }
    let mut d = LineDelta::default();
    let (mut old, mut new) = (String::new(), String::new());
    let mut state = 0; // 0 outside, 1 search, 2 replace
    for l in diff.lines() {
        let t = l.trim_end();
        if t.ends_with("SEARCH") && (t.starts_with("<<<<<<<") || t.starts_with("-------")) {
            state = 1;
            old.clear();
            new.clear();
        } else if state == 1 && t == "=======" {
            state = 2;
        } else if state == 2 && (t.starts_with(">>>>>>>") || t.starts_with("+++++++")) {
            let x = agentstat_session::lines::diff_lines(&old, &new);
            d.added += x.added;
            d.removed += x.removed;
            state = 0;
        } else if state == 1 {
            old.push_str(l);
            old.push('\n');
        } else if state == 2 {
            new.push_str(l);
            new.push('\n');
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_replace_lines_and_agents() {
        let d = diff_text_lines(
            "<<<<<<< SEARCH\na\nb\n=======\na\nc\nd\n>>>>>>> REPLACE\n------- SEARCH\nx\n=======\n+++++++ REPLACE",
        );
        assert_eq!((d.added, d.removed), (2, 2));
        assert_eq!(
            agent_of(Path::new("/h/.config/Code/User/globalStorage/rooveterinaryinc.roo-cline/tasks/1/ui_messages.json")),
            "roo-code"
        );
        assert_eq!(
            cwd_of("<environment_details>\n# Current Working Directory (/home/a/p) Files\n"),
            Some("/home/a/p")
        );
    }
}
