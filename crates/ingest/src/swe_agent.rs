//! SWE-agent trajectories (`<instance>.traj`): one JSON object with `trajectory` (one step per
//! model turn: `action` — the command run —, `observation`, `thought`, `response`, `state`),
//! `history` (the messages sent to the model; function-calling runs keep each call's
//! structured `tool_calls` there), `info` (`exit_status`, `submission` patch, `model_stats`
//! totals) and, in 1.x, `replay_config` (model name, problem statement).
//!
//! SWE-agent runs are fully automated: the only "user" text is the task template, kept as a
//! `task` note, so sessions have no human turns and are non-interactive. No timestamps are
//! recorded. See docs/FORMATS.md.

use crate::build::SessionBuilder;
use crate::common::{self, json_error, Lines};
use crate::diag::Diagnostics;
use crate::source::{Format, SessionSource};
use crate::IngestOptions;
use agentstat_session::{
    Action, ActionKind, ActionResult, AssistantText, Event, LineDelta, ModelCall, ResultStatus,
    Session, SystemNote, ToolInput,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Normalized kind of a SWE-agent command (its first word, or the function name).
pub fn tool_kind(tool: &str) -> ActionKind {
    match tool {
        "create" => ActionKind::Write,
        "edit" | "insert" | "edit_replace" | "str_replace" | "undo_edit" | "append" => {
            ActionKind::Edit
        }
        "open" | "goto" | "scroll_up" | "scroll_down" | "view" => ActionKind::Read,
        "find_file" | "search_dir" | "search_file" | "filemap" => ActionKind::Search,
        "submit" | "exit_forfeit" | "exit_context" | "exit_cost" | "exit_error" | "exit_format" => {
            ActionKind::Other
        }
        _ => ActionKind::Shell,
    }
}

/// Outputs in which SWE-agent's own tools say the command did not do what was asked.
const TOOL_ERRORS: &[&str] = &[
    "Your proposed edit has introduced new syntax error",
    "No replacement was performed",
    "Invalid `view_range`",
    ": command not found",
    // `str_replace_editor`'s refusals.
    "Cannot overwrite files using command `create`",
    "Please provide a valid path",
];

#[derive(Deserialize)]
struct Traj<'a> {
    #[serde(borrow, default)]
    trajectory: Option<Vec<&'a RawValue>>,
    #[serde(default)]
    history: Option<Vec<Value>>,
    #[serde(default)]
    info: Option<Value>,
    #[serde(default)]
    replay_config: Option<Value>,
}

/// Read one SWE-agent trajectory.
pub fn read_session(
    src: &SessionSource,
    opts: &IngestOptions,
    diag: &mut Diagnostics,
) -> Option<Session> {
    let (name, buf) = common::read_source(src, diag)?;
    let traj: Traj<'_> = match serde_json::from_slice(&buf) {
        Ok(t) => t,
        Err(e) => {
            json_error(diag, &name, &e);
            return None;
        }
    };
    let Some(steps) = traj.trajectory else {
        diag.skip(
            &name,
            None,
            "missing-trajectory",
            "no `trajectory` list in this SWE-agent file",
        );
        return None;
    };
    let history = traj.history.unwrap_or_default();
    let mut ignored: BTreeMap<String, u64> = BTreeMap::new();
    let mut events: Vec<Event> = Vec::new();
    // The task: the first user message of the history (the instance template).
    if let Some(task) = history
        .iter()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
    {
        events.push(Event::System(SystemNote {
            kind: "task".into(),
            text: text_of(task.get("content")),
            timestamp: None,
        }));
    }
    // Function-calling runs: the structured call behind each step, in order.
    let calls_in_history: Vec<(String, Value)> = history
        .iter()
        .filter(|m| m.get("role").and_then(Value::as_str) == Some("assistant"))
        .flat_map(|m| {
            m.get("tool_calls")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|tc| {
            let f = tc.get("function")?;
            let name = f.get("name")?.as_str()?.to_string();
            let args = match f.get("arguments") {
                Some(Value::String(s)) => serde_json::from_str(s).unwrap_or(Value::Null),
                Some(v) => v.clone(),
                None => Value::Null,
            };
            Some((name, args))
        })
        .collect();
    let structured = calls_in_history.len() == steps.len();
    let model = traj
        .replay_config
        .as_ref()
        .and_then(|c| c.pointer("/agent/model/name"))
        .and_then(Value::as_str)
        .map(str::to_string);
    let mut project: Option<String> = None;
    let mut responses = 0u64;
    let mut lines_at = Lines::new(&buf);
    for (i, raw) in steps.iter().enumerate() {
        let line = lines_at.of(raw.get());
        let step: Value = match serde_json::from_str(raw.get()) {
            Ok(v) => v,
            Err(e) => {
                diag.skip(&name, Some(line), "invalid-json", e.to_string());
                continue;
            }
        };
        diag.records += 1;
        let Some(action) = step.get("action").and_then(Value::as_str) else {
            diag.skip(
                &name,
                Some(line),
                "step-without-action",
                "a step has no `action`",
            );
            continue;
        };
        if project.is_none() {
            project = state_of(&step).and_then(|s| {
                s.get("working_dir")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            });
        }
        if step
            .get("response")
            .and_then(Value::as_str)
            .is_some_and(|r| !r.is_empty())
        {
            responses += 1;
        }
        let thought = step.get("thought").and_then(Value::as_str).unwrap_or("");
        if !thought.trim().is_empty() {
            events.push(Event::AssistantText(AssistantText {
                text: thought.trim().to_string(),
                timestamp: None,
                model: model.clone(),
                subagent: None,
            }));
        }
        let action = action.trim();
        if action.is_empty() {
            *ignored.entry("empty-action".into()).or_default() += 1;
            continue;
        }
        let first = action.split_whitespace().next().unwrap_or("");
        let (tool, args) = if structured {
            let (n, a) = &calls_in_history[i];
            (n.clone(), a.clone())
        } else {
            (first.to_string(), Value::Null)
        };
        // A function-calling `bash` runs its command; otherwise the command's first word.
        let kind_word = if tool == "bash" { "bash" } else { first };
        // `str_replace_editor COMMAND PATH …` (1.x's default editing tool): the command,
        // from the structured call or the action's second word, decides what it did.
        let editor = (tool == "str_replace_editor" || first == "str_replace_editor")
            .then(|| {
                args.get("command")
                    .and_then(Value::as_str)
                    .or_else(|| action.split_whitespace().nth(1))
                    .map(str::to_string)
            })
            .flatten();
        let kind = match editor.as_deref() {
            Some("view") => ActionKind::Read,
            Some("create") => ActionKind::Write,
            Some("str_replace" | "insert" | "undo_edit") => ActionKind::Edit,
            Some(_) => ActionKind::Other,
            None => tool_kind(kind_word),
        };
        let observation = step
            .get("observation")
            .and_then(Value::as_str)
            .unwrap_or("");
        let status = if TOOL_ERRORS.iter().any(|e| observation.contains(e)) {
            ResultStatus::Error
        } else {
            ResultStatus::Ok
        };
        let lines = match editor.as_deref() {
            Some(c) => editor_lines(c, &args),
            None => edit_lines(kind_word, action, &args),
        };
        let mut input = json!({ "command": action });
        if let Value::Object(m) = &args {
            for (k, v) in m {
                input[k] = v.clone();
            }
        }
        if editor.is_some() && input.get("path").is_none() {
            if let Some(p) = action.split_whitespace().nth(2) {
                input["path"] = json!(p);
            }
        }
        if let Some(p) = edited_path(kind_word, action, &args, &step) {
            input["path"] = json!(p);
        }
        events.push(Event::Action(Action {
            id: format!("step-{}", i + 1),
            tool: if kind == ActionKind::Shell && tool != "bash" {
                "bash".into()
            } else {
                tool
            },
            kind,
            input: ToolInput::from(input),
            timestamp: None,
            subagent: None,
            result: ActionResult {
                status,
                output: crate::claude::cap_output(observation.into()),
                timestamp: None,
                lines,
                exit_code: None,
            },
        }));
    }
    if steps.is_empty() {
        diag.warn(&name, None, "empty-session", "a trajectory with no steps");
    }
    // Model calls: `model_stats` has only totals; spread them evenly over the calls.
    let stats = traj.info.as_ref().and_then(|i| i.get("model_stats"));
    let stat = |k: &str| {
        stats
            .and_then(|s| s.get(k))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    let n_calls = match stat("api_calls") {
        0 => responses,
        n => n,
    };
    let (sent, recv) = (stat("tokens_sent"), stat("tokens_received"));
    let calls: Vec<ModelCall> = (0..n_calls)
        .map(|k| ModelCall {
            message_id: format!("call-{}", k + 1),
            model: model.clone(),
            input_tokens: sent / n_calls + u64::from(k < sent % n_calls),
            output_tokens: recv / n_calls + u64::from(k < recv % n_calls),
            ..Default::default()
        })
        .collect();
    if let Some(status) = traj
        .info
        .as_ref()
        .and_then(|i| i.get("exit_status"))
        .and_then(Value::as_str)
    {
        events.push(Event::System(SystemNote {
            kind: "exit_status".into(),
            text: status.to_string(),
            timestamp: None,
        }));
    }
    SessionBuilder {
        paths: project.iter().cloned().collect(),
        project,
        events,
        model_calls: calls,
        ignored,
        source_files: Some(vec![name.clone()]),
        ..SessionBuilder::default()
    }
    .finish(Format::SweAgent, src, opts, diag, &name)
}

fn text_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// `state` is an object (1.x) or a JSON string (0.7).
fn state_of(step: &Value) -> Option<Value> {
    match step.get("state")? {
        Value::String(s) => serde_json::from_str(s).ok(),
        v @ Value::Object(_) => Some(v.clone()),
        _ => None,
    }
}

/// The file an edit or create works on: its argument, else the open file of the step's state.
fn edited_path(kind_word: &str, action: &str, args: &Value, step: &Value) -> Option<String> {
    match kind_word {
        "create" => args
            .get("filename")
            .and_then(Value::as_str)
            .map(str::to_string)
            .or_else(|| action.split_whitespace().nth(1).map(str::to_string)),
        "edit" | "insert" => state_of(step)
            .and_then(|s| {
                s.get("open_file")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .filter(|p| p != "n/a"),
        _ => None,
    }
}

/// Lines a `str_replace_editor` call changes, from its structured arguments (an action string
/// alone does not say reliably where a quoted argument ends): `create` adds `file_text`,
/// `str_replace` is a diff of `old_str` and `new_str`, `insert` adds `new_str`.
fn editor_lines(command: &str, args: &Value) -> Option<LineDelta> {
    let arg = |k: &str| args.get(k).and_then(Value::as_str);
    match command {
        "create" => arg("file_text").map(|t| LineDelta {
            added: t.lines().count() as u64,
            removed: 0,
        }),
        "str_replace" => Some(agentstat_session::lines::diff_lines(
            arg("old_str")?,
            arg("new_str")?,
        )),
        "insert" => arg("new_str").map(|t| LineDelta {
            added: t.lines().count() as u64,
            removed: 0,
        }),
        _ => None,
    }
}

/// Lines an edit changes: `edit N:M` + replacement + `end_of_edit` (0.7: the replacement's
/// lines added, the range's lines removed), `edit` with `search`/`replace` (1.x: a diff of the
/// two), `insert` (its text added), `create` (an empty file).
fn edit_lines(kind_word: &str, action: &str, args: &Value) -> Option<LineDelta> {
    match kind_word {
        "edit" => {
            if let (Some(s), Some(r)) = (
                args.get("search").and_then(Value::as_str),
                args.get("replace").and_then(Value::as_str),
            ) {
                return Some(agentstat_session::lines::diff_lines(s, r));
            }
            let mut lines = action.lines();
            let head = lines.next()?;
            let range = head.split_whitespace().nth(1)?;
            let (a, b) = range.split_once(':')?;
            let (a, b): (u64, u64) = (a.parse().ok()?, b.parse().ok()?);
            let body: Vec<&str> = lines.take_while(|l| l.trim() != "end_of_edit").collect();
            Some(LineDelta {
                added: body.len() as u64,
                removed: (b + 1).saturating_sub(a),
            })
        }
        "insert" => {
            let text = args
                .get("text")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| {
                    let body: Vec<&str> = action
                        .lines()
                        .skip(1)
                        .take_while(|l| l.trim() != "end_of_insert")
                        .collect();
                    Some(body.join("\n"))
                })?;
            Some(LineDelta {
                added: text.lines().count() as u64,
                removed: 0,
            })
        }
        "create" => Some(LineDelta::default()),
        _ => None,
    }
}
