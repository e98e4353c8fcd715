//! OpenHands trajectories: a JSON list of events, as saved by `save_trajectory_path` or the
//! GUI's "download trajectory". Each event has `id`, `timestamp` (ISO, no zone), `source`
//! (`user`, `agent`, `environment`) and either `action` + `args` or `observation`, `content`,
//! `extras` with `cause` = the id of the action it answers; agent events may carry
//! `tool_call_metadata` (`function_name`, and the model response with its `usage`).
//!
//! The runs are automated (evaluation, scripted or replayed tasks): user messages are the
//! task, kept as `task` notes, so the session has no human turns and is non-interactive
//! (docs/FORMATS.md says why and what that misses).

use crate::build::SessionBuilder;
use crate::common::{self, json_error, Lines};
use crate::diag::Diagnostics;
use crate::source::{Format, SessionSource};
use crate::IngestOptions;
use agentstat_session::{
    parse_timestamp, Action, ActionKind, ActionResult, AssistantText, Event, ModelCall,
    ResultStatus, Session, SystemNote, ToolInput,
};
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Normalized kind of an OpenHands action type.
pub fn action_kind(action: &str) -> ActionKind {
    match action {
        "run" | "run_ipython" => ActionKind::Shell,
        "read" => ActionKind::Read,
        "edit" => ActionKind::Edit,
        "write" => ActionKind::Write,
        "browse" | "browse_interactive" => ActionKind::Web,
        "delegate" => ActionKind::Subagent,
        "task_tracking" => ActionKind::Plan,
        _ => ActionKind::Other,
    }
}

/// Actions that are conversation, not tool calls.
const NOT_TOOLS: &[&str] = &[
    "message",
    "finish",
    "change_agent_state",
    "think",
    "recall",
    "system",
    "condensation",
    "condensation_request",
    "reject",
    "null",
];

/// Read one OpenHands trajectory.
pub fn read_session(
    src: &SessionSource,
    opts: &IngestOptions,
    diag: &mut Diagnostics,
) -> Option<Session> {
    let (name, buf) = common::read_source(src, diag)?;
    let raws: Vec<&RawValue> = match serde_json::from_slice(&buf) {
        Ok(v) => v,
        Err(e) => {
            json_error(diag, &name, &e);
            return None;
        }
    };
    let mut events: Vec<Event> = Vec::new();
    let mut ignored: BTreeMap<String, u64> = BTreeMap::new();
    let mut calls: Vec<ModelCall> = Vec::new();
    let mut seen_responses: HashSet<String> = HashSet::new();
    // Action id → index in `events`.
    let mut by_id: HashMap<i64, usize> = HashMap::new();
    let mut paths: Vec<String> = Vec::new();
    let mut compactions = 0;
    let mut lines_at = Lines::new(&buf);
    for raw in raws {
        let line = lines_at.of(raw.get());
        let e: Value = match serde_json::from_str(raw.get()) {
            Ok(v) => v,
            Err(err) => {
                diag.skip(&name, Some(line), "invalid-json", err.to_string());
                continue;
            }
        };
        if !e.is_object() {
            diag.skip(
                &name,
                Some(line),
                "not-an-object",
                "an event that is not an object",
            );
            continue;
        }
        diag.records += 1;
        let ts = e
            .get("timestamp")
            .and_then(Value::as_str)
            .and_then(parse_timestamp);
        let source = e.get("source").and_then(Value::as_str).unwrap_or("");
        let args = e.get("args").cloned().unwrap_or(Value::Null);
        let meta = e.get("tool_call_metadata");
        if let Some(resp) = meta.and_then(|m| m.get("model_response")) {
            let id = resp.get("id").and_then(Value::as_str).unwrap_or_default();
            if seen_responses.insert(id.to_string()) {
                let u = resp.get("usage");
                let n = |k: &str| {
                    u.and_then(|u| u.get(k))
                        .and_then(Value::as_u64)
                        .unwrap_or(0)
                };
                let (cr, cw) = (
                    n("cache_read_input_tokens"),
                    n("cache_creation_input_tokens"),
                );
                calls.push(ModelCall {
                    message_id: id.to_string(),
                    request_id: None,
                    model: resp
                        .get("model")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    timestamp: ts,
                    input_tokens: n("prompt_tokens").saturating_sub(cr + cw),
                    output_tokens: n("completion_tokens"),
                    cache_read_tokens: cr,
                    cache_creation_tokens: cw,
                    subagent: None,
                });
            }
        }
        if let Some(action) = e.get("action").and_then(Value::as_str) {
            let thought = args.get("thought").and_then(Value::as_str).unwrap_or("");
            match action {
                "message" => {
                    let text = args
                        .get("content")
                        .and_then(Value::as_str)
                        .or_else(|| e.get("message").and_then(Value::as_str))
                        .unwrap_or("")
                        .to_string();
                    if source == "user" {
                        events.push(Event::System(SystemNote {
                            kind: "task".into(),
                            text,
                            timestamp: ts,
                        }));
                    } else {
                        events.push(Event::AssistantText(AssistantText {
                            text,
                            timestamp: ts,
                            model: None,
                            subagent: None,
                        }));
                    }
                }
                "finish" => {
                    let text = args
                        .get("final_thought")
                        .or_else(|| args.get("thought"))
                        .and_then(Value::as_str)
                        .unwrap_or("");
                    if !text.is_empty() {
                        events.push(Event::AssistantText(AssistantText {
                            text: text.to_string(),
                            timestamp: ts,
                            model: None,
                            subagent: None,
                        }));
                    }
                    events.push(Event::System(SystemNote {
                        kind: "finish".into(),
                        text: String::new(),
                        timestamp: ts,
                    }));
                }
                "condensation" => {
                    compactions += 1;
                    events.push(Event::Compaction {
                        timestamp: ts,
                        trigger: Some("condensation".into()),
                    });
                }
                a if NOT_TOOLS.contains(&a) => {
                    *ignored.entry(format!("action:{a}")).or_default() += 1;
                }
                a => {
                    if !thought.trim().is_empty() {
                        events.push(Event::AssistantText(AssistantText {
                            text: thought.to_string(),
                            timestamp: ts,
                            model: None,
                            subagent: None,
                        }));
                    }
                    let tool = meta
                        .and_then(|m| m.get("function_name"))
                        .and_then(Value::as_str)
                        .unwrap_or(a)
                        .to_string();
                    let mut input = json!({});
                    for (k, to) in [
                        ("command", "command"),
                        ("code", "code"),
                        ("path", "path"),
                        ("url", "url"),
                        ("old_str", "old_str"),
                        ("new_str", "new_str"),
                        ("file_text", "file_text"),
                        ("content", "content"),
                        ("agent", "agent"),
                    ] {
                        if let Some(v) = args.get(k).filter(|v| !v.is_null()) {
                            input[to] = v.clone();
                        }
                    }
                    if let Some(p) = args.get("path").and_then(Value::as_str) {
                        paths.push(p.to_string());
                    }
                    if let Some(id) = e.get("id").and_then(Value::as_i64) {
                        by_id.insert(id, events.len());
                    }
                    events.push(Event::Action(Action {
                        id: e.get("id").map(|v| v.to_string()).unwrap_or_default(),
                        kind: action_kind(a),
                        tool,
                        input: ToolInput::from(input),
                        timestamp: ts,
                        subagent: None,
                        result: ActionResult::default(),
                    }));
                }
            }
        } else if let Some(obs) = e.get("observation").and_then(Value::as_str) {
            let cause = e.get("cause").and_then(Value::as_i64);
            let Some(&ix) = cause.and_then(|c| by_id.get(&c)) else {
                // Observations of state changes, of messages, or of nothing we keep.
                if obs == "error" {
                    events.push(Event::System(SystemNote {
                        kind: "error".into(),
                        text: e
                            .get("content")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string(),
                        timestamp: ts,
                    }));
                } else {
                    *ignored.entry(format!("observation:{obs}")).or_default() += 1;
                }
                continue;
            };
            let Event::Action(a) = &mut events[ix] else {
                continue;
            };
            let extras = e.get("extras").cloned().unwrap_or(Value::Null);
            let content = e.get("content").and_then(Value::as_str).unwrap_or("");
            let exit = extras
                .get("metadata")
                .and_then(|m| m.get("exit_code"))
                .and_then(Value::as_i64)
                .map(|c| c as i32);
            let status = match obs {
                "error" => ResultStatus::Error,
                "user_rejected" => ResultStatus::Rejected,
                _ => match (e.get("success").and_then(Value::as_bool), exit) {
                    (Some(false), _) => ResultStatus::Error,
                    (_, Some(c)) if c != 0 && c != -1 => ResultStatus::Error,
                    _ => ResultStatus::Ok,
                },
            };
            let lines = match (
                extras.get("old_content").and_then(Value::as_str),
                extras.get("new_content").and_then(Value::as_str),
            ) {
                (Some(o), Some(n)) if status == ResultStatus::Ok => {
                    Some(agentstat_session::lines::diff_lines(o, n))
                }
                (None, Some(n)) if status == ResultStatus::Ok => {
                    Some(agentstat_session::lines::diff_lines("", n))
                }
                _ => None,
            };
            a.result = ActionResult {
                status,
                output: crate::claude::cap_output(content.into()),
                timestamp: ts,
                lines,
                exit_code: exit.filter(|&c| c >= 0),
            };
        } else {
            diag.skip(
                &name,
                Some(line),
                "record-without-type",
                "an event with neither `action` nor `observation`",
            );
        }
    }
    if events.is_empty() {
        diag.warn(&name, None, "empty-session", "no events in this trajectory");
        for (k, v) in &ignored {
            diag.ignore(k, *v);
        }
        return None;
    }
    SessionBuilder {
        paths,
        events,
        model_calls: calls,
        compactions,
        ignored,
        source_files: Some(vec![name.clone()]),
        ..SessionBuilder::default()
    }
    .finish(Format::OpenHands, src, opts, diag, &name)
}
