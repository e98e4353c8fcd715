//! OpenAI Codex CLI sessions (`~/.codex/sessions/YYYY/MM/DD/rollout-*.jsonl`, or
//! `$CODEX_HOME/sessions`).
//!
//! Three shapes, all written by Codex's rollout recorder (docs/FORMATS.md cites the sources):
//! - wrapped JSONL (Rust CLI, autumn 2025 on): every line is `{timestamp, type, payload}` with
//!   `type` one of `session_meta` (id, cwd, originator, cli_version, source, git), `turn_context`
//!   (cwd, model, approval policy), `response_item` (the model's history: `message`,
//!   `function_call` / `function_call_output`, `custom_tool_call` / `…_output`,
//!   `local_shell_call`, `web_search_call`, `reasoning`, …), `event_msg` (`user_message`,
//!   `agent_message`, `token_count`, `turn_aborted`, and in some modes `exec_command_end`,
//!   `patch_apply_end`, `mcp_tool_call_end`) and `compacted`;
//! - legacy JSONL (Rust CLI to about September 2025): a header `{id, timestamp, instructions,
//!   git}` with no `type`, then bare response items and `{"record_type":"state"}` lines;
//! - the TypeScript CLI's `rollout-*.json`: one document `{session: {id, timestamp,
//!   instructions}, items: [response items]}`.
//!
//! Prompts are the person's `user_message` events when the file has them (the response-item copy
//! of each prompt is then not counted again), else the `user` messages of the history; text the
//! CLI injects (`<environment_context>`, `<user_instructions>`, AGENTS.md, …) is a system note.

use crate::build::SessionBuilder;
use crate::common::{self, json_error, Lines};
use crate::diag::Diagnostics;
use crate::json::{self, str_of, Json, When};
use crate::source::{Format, SessionSource};
use crate::IngestOptions;
use agentstat_session::{
    parse_timestamp, Action, ActionKind, ActionResult, AssistantText, Event, HumanTurn, LineDelta,
    ModelCall, ResultStatus, Session, SystemNote, ToolInput,
};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

mod shell_input;

/// Where a provisional event came from, so that one prompt or reply recorded twice (as a
/// response item and as an event) is kept once.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    Other,
    UserItem,
    UserEvent,
    AssistantItem,
    AssistantEvent,
}

#[derive(Default)]
struct Reader<'a> {
    events: Vec<(Event, Origin)>,
    /// call id → index in `events` of its action.
    calls: HashMap<String, usize>,
    model_calls: Vec<ModelCall>,
    /// The last cumulative `total_token_usage` seen (a repeat of it is no new request).
    last_total: Option<Json<'a>>,
    session_id: Option<String>,
    cwds: Vec<String>,
    git_branch: Option<String>,
    version: Option<String>,
    originator: Option<String>,
    source: Option<Value>,
    model: Option<String>,
    /// The session's start as its header recorded it (legacy shapes carry no other time).
    header_ts: Option<i64>,
    compactions: u32,
    ignored: BTreeMap<String, u64>,
    subagent_run: bool,
    /// A buffer for building the keys of `ignored`.
    key: String,
    /// A model message of the history has been read (see [`build`]).
    assistant_items: bool,
}

impl<'a> Reader<'a> {
    fn ignore(&mut self, what: &str) {
        match self.ignored.get_mut(what) {
            Some(n) => *n += 1,
            None => {
                self.ignored.insert(what.to_string(), 1);
            }
        }
    }

    /// [`Reader::ignore`] of `prefix` + `kind` + `suffix`, without building the key each time.
    fn ignore_kind(&mut self, prefix: &str, kind: &str, suffix: &str) {
        let mut key = std::mem::take(&mut self.key);
        key.clear();
        key.push_str(prefix);
        key.push_str(kind);
        key.push_str(suffix);
        self.ignore(&key);
        self.key = key;
    }

    fn push(&mut self, e: Event, o: Origin) {
        self.assistant_items |= o == Origin::AssistantItem;
        self.events.push((e, o));
    }

    fn meta(&mut self, p: &Json) {
        if let Some(id) = str_of(p, "id") {
            self.session_id.get_or_insert_with(|| id.to_string());
        }
        if let Some(cwd) = str_of(p, "cwd") {
            self.cwds.push(cwd.to_string());
        }
        if let Some(v) = str_of(p, "cli_version") {
            self.version = Some(v.to_string());
        }
        if let Some(o) = str_of(p, "originator") {
            self.originator.get_or_insert_with(|| o.to_string());
        }
        if let Some(s) = p.get("source").filter(|s| !s.is_null()) {
            self.source.get_or_insert_with(|| s.to_value());
            if s.get("subagent").is_some() {
                self.subagent_run = true;
            }
        }
        if let Some(b) = p.get("git").and_then(|g| str_of(g, "branch")) {
            self.git_branch.get_or_insert_with(|| b.to_string());
        }
        if let Some(t) = str_of(p, "timestamp").and_then(parse_timestamp) {
            self.header_ts.get_or_insert(t);
        }
        if let Some(m) = str_of(p, "model") {
            self.model.get_or_insert_with(|| m.to_string());
        }
    }

    fn turn_context(&mut self, p: &Json) {
        if let Some(cwd) = str_of(p, "cwd") {
            self.cwds.push(cwd.to_string());
        }
        if let Some(m) = str_of(p, "model") {
            self.model = Some(m.to_string());
        }
    }

    /// A user-role message of the history (typed, or injected by the CLI).
    fn user_text(&mut self, text: String, images: u32, ts: Option<i64>, origin: Origin) {
        let trimmed = text.trim_start();
        if trimmed.is_empty() && images == 0 {
            self.ignore("empty-user-message");
            return;
        }
        if let Some(kind) = injected_kind(trimmed) {
            if origin == Origin::UserEvent {
                // The same text is in the history as a response item, kept there.
                self.ignore("injected-user-message-event");
                return;
            }
            if kind == "environment_context" {
                if let Some(cwd) = between(trimmed, "<cwd>", "</cwd>") {
                    self.cwds.push(cwd.trim().to_string());
                }
            }
            if kind == "turn_aborted" {
                self.ignore("turn-aborted-note");
                return;
            }
            self.push(
                Event::System(SystemNote {
                    kind: kind.to_string(),
                    text,
                    timestamp: ts,
                }),
                Origin::Other,
            );
            return;
        }
        if self.subagent_run {
            self.push(
                Event::System(SystemNote {
                    kind: "subagent_prompt".into(),
                    text,
                    timestamp: ts,
                }),
                Origin::Other,
            );
            return;
        }
        // An IDE extension sends its context first and the person's words after this heading.
        let text = match text.split_once(USER_MESSAGE_BEGIN) {
            Some((_, rest)) => rest.trim().to_string(),
            None => text,
        };
        self.push(
            Event::Human(HumanTurn {
                text,
                timestamp: ts,
                attachments: images,
                ..Default::default()
            }),
            origin,
        );
    }

    fn response_item(
        &mut self,
        p: &mut Json<'a>,
        ts: Option<i64>,
        name: &str,
        line: u64,
        diag: &mut Diagnostics,
    ) {
        let Some(ty) = str_of(p, "type") else {
            diag.skip(
                name,
                Some(line),
                "record-without-type",
                "response item has no `type`",
            );
            return;
        };
        match ty {
            "message" => {
                let (text, images) = content_text(p.get("content"));
                match str_of(p, "role") {
                    Some("user") => self.user_text(text, images, ts, Origin::UserItem),
                    Some("assistant") => {
                        if text.trim().is_empty() {
                            self.ignore("empty-assistant-message");
                        } else {
                            let model = self.model.clone();
                            self.push(
                                Event::AssistantText(AssistantText {
                                    text,
                                    timestamp: ts,
                                    model,
                                    subagent: None,
                                }),
                                Origin::AssistantItem,
                            );
                        }
                    }
                    // Codex's own instructions (permissions, collaboration mode): not the session.
                    Some(r) => self.ignore_kind("", r, "-message"),
                    None => diag.skip(
                        name,
                        Some(line),
                        "bad-record-shape",
                        "message has no `role`",
                    ),
                }
            }
            "reasoning" => self.ignore("reasoning"),
            "function_call" | "custom_tool_call" => {
                let Some(tool) = str_of(p, "name") else {
                    diag.skip(
                        name,
                        Some(line),
                        "tool-call-without-name",
                        "a tool call has no `name`",
                    );
                    return;
                };
                let call_id = str_of(p, "call_id")
                    .or_else(|| str_of(p, "id"))
                    .unwrap_or_default();
                let status = str_of(p, "status");
                // Most shell calls: their input built as text (codex/shell_input.rs).
                if let (true, Some(Json::String(s))) = (
                    ty == "function_call" && SHELL_TOOLS.contains(&tool),
                    p.get("arguments"),
                ) {
                    if let Some(input) = shell_input::shell_input(s) {
                        let kind = ActionKind::Shell;
                        self.push_action(tool, call_id, kind, input, None, ts, status);
                        return;
                    }
                }
                let status = status.map(str::to_string);
                // `function_call` arguments are a JSON text; a custom tool's input is free text.
                let args = if ty == "function_call" {
                    match p.get("arguments") {
                        Some(Json::String(s)) => serde_json::from_str::<Value>(s)
                            .unwrap_or_else(|_| Value::String(s.to_string())),
                        Some(v) => v.to_value(),
                        None => Value::Null,
                    }
                } else {
                    let input = str_of(p, "input").unwrap_or_default().to_string();
                    let mut m = Map::new();
                    m.insert("input".into(), Value::String(input));
                    Value::Object(m)
                };
                self.action(tool, call_id, args, ts, status.as_deref());
            }
            "local_shell_call" => {
                let call_id = str_of(p, "call_id")
                    .or_else(|| str_of(p, "id"))
                    .unwrap_or_default();
                let action = p.get("action").map_or(Value::Null, Json::to_value);
                let status = str_of(p, "status").map(str::to_string);
                self.action("local_shell", call_id, action, ts, status.as_deref());
            }
            "web_search_call" => {
                let action = p.get("action").map_or(Value::Null, Json::to_value);
                let id = str_of(p, "id").unwrap_or_default().to_string();
                let status = match str_of(p, "status") {
                    Some("completed") => ResultStatus::Ok,
                    Some("failed") => ResultStatus::Error,
                    _ => ResultStatus::Missing,
                };
                self.push(
                    Event::Action(Action {
                        id,
                        tool: "web_search".into(),
                        kind: ActionKind::Web,
                        input: ToolInput::from(action),
                        timestamp: ts,
                        subagent: None,
                        result: ActionResult {
                            status,
                            timestamp: ts,
                            ..Default::default()
                        },
                    }),
                    Origin::Other,
                );
            }
            "function_call_output" | "custom_tool_call_output" => {
                let call_id = str_of(p, "call_id").unwrap_or_default().to_string();
                // The output is moved out of the record: the session keeps it, uncopied.
                let out = parse_output(p.take("output"));
                self.result(&call_id, out, ts);
            }
            "ghost_snapshot" => self.ignore("ghost-snapshot"),
            "compaction" | "compaction_summary" | "context_compaction" => {
                self.ignore("compaction-item")
            }
            other => self.ignore_kind("response-item:", other, ""),
        }
    }

    /// A tool call, turned into an action of the right kind.
    fn action(
        &mut self,
        tool: &str,
        call_id: &str,
        args: Value,
        ts: Option<i64>,
        status: Option<&str>,
    ) {
        let (kind, input, lines) = classify_call(tool, args);
        self.push_action(
            tool,
            call_id,
            kind,
            ToolInput::from(input),
            lines,
            ts,
            status,
        );
    }

    /// A tool call already classified.
    #[allow(clippy::too_many_arguments)]
    fn push_action(
        &mut self,
        tool: &str,
        call_id: &str,
        kind: ActionKind,
        input: ToolInput,
        lines: Option<LineDelta>,
        ts: Option<i64>,
        status: Option<&str>,
    ) {
        let status = match status {
            Some("incomplete") => ResultStatus::Error,
            _ => ResultStatus::Missing,
        };
        let i = self.events.len();
        self.push(
            Event::Action(Action {
                id: call_id.to_string(),
                tool: tool.to_string(),
                kind,
                input,
                timestamp: ts,
                subagent: None,
                result: ActionResult {
                    status,
                    lines,
                    ..Default::default()
                },
            }),
            Origin::Other,
        );
        if !call_id.is_empty() {
            self.calls.insert(call_id.to_string(), i);
        }
    }

    fn action_mut(&mut self, call_id: &str) -> Option<&mut Action> {
        let &i = self.calls.get(call_id)?;
        match &mut self.events[i].0 {
            Event::Action(a) => Some(a),
            _ => None,
        }
    }

    fn result(&mut self, call_id: &str, out: Output, ts: Option<i64>) {
        let Some(a) = self.action_mut(call_id) else {
            self.ignore("output-without-call");
            return;
        };
        // An exit code already taken from an `exec_command_end` event wins.
        if a.result.exit_code.is_none() {
            a.result.exit_code = out.exit_code;
            a.result.status = out.status;
        } else if matches!(
            out.status,
            ResultStatus::Interrupted | ResultStatus::Rejected
        ) {
            a.result.status = out.status;
        }
        a.result.output = crate::claude::cap_output(out.text.into());
        a.result.timestamp = ts;
    }

    fn event_msg(
        &mut self,
        p: &Json<'a>,
        ts: Option<i64>,
        name: &str,
        line: u64,
        diag: &mut Diagnostics,
    ) {
        let Some(ty) = str_of(p, "type") else {
            diag.skip(
                name,
                Some(line),
                "record-without-type",
                "event has no `type`",
            );
            return;
        };
        match ty {
            "user_message" => {
                // Some versions recorded injected context as events too, with a `kind`.
                if matches!(str_of(p, "kind"), Some(k) if k != "plain") {
                    self.ignore("injected-user-message-event");
                    return;
                }
                let text = str_of(p, "message").unwrap_or_default().to_string();
                let images = p
                    .get("images")
                    .and_then(Json::as_array)
                    .map_or(0, |a| a.len() as u32)
                    + p.get("local_images")
                        .and_then(Json::as_array)
                        .map_or(0, |a| a.len() as u32);
                self.user_text(text, images, ts, Origin::UserEvent);
            }
            "agent_message" => {
                let text = str_of(p, "message").unwrap_or_default();
                if !text.trim().is_empty() {
                    // Once the history holds the model's own messages, `build` drops these
                    // copies: their text is not copied.
                    let (text, model) = if self.assistant_items {
                        (String::new(), None)
                    } else {
                        (text.to_string(), self.model.clone())
                    };
                    self.push(
                        Event::AssistantText(AssistantText {
                            text,
                            timestamp: ts,
                            model,
                            subagent: None,
                        }),
                        Origin::AssistantEvent,
                    );
                }
            }
            "token_count" => self.token_count(p, ts, line),
            "turn_aborted" => {
                let reason = str_of(p, "reason").unwrap_or("interrupted");
                if reason == "interrupted" {
                    // Calls still running when the person pressed Esc.
                    let pending: Vec<usize> = self.calls.values().copied().collect();
                    for i in pending {
                        if let Event::Action(a) = &mut self.events[i].0 {
                            if a.result.status == ResultStatus::Missing {
                                a.result.status = ResultStatus::Interrupted;
                            }
                        }
                    }
                    self.push(
                        Event::Interrupt {
                            timestamp: ts,
                            subagent: None,
                        },
                        Origin::Other,
                    );
                } else {
                    self.ignore_kind("turn-aborted:", reason, "");
                }
            }
            "exec_command_end" => {
                let call_id = str_of(p, "call_id").unwrap_or_default().to_string();
                let code = p.get("exit_code").and_then(Json::as_i64).map(|c| c as i32);
                match self.action_mut(&call_id) {
                    Some(a) => {
                        if let Some(c) = code {
                            a.result.exit_code = Some(c);
                            if a.result.status != ResultStatus::Rejected {
                                a.result.status = if c == 0 {
                                    ResultStatus::Ok
                                } else {
                                    ResultStatus::Error
                                };
                            }
                        }
                    }
                    // A command the person ran with `!cmd`, or one whose call was not kept.
                    None => self.ignore("exec-command-end-without-call"),
                }
            }
            "patch_apply_end" => {
                let call_id = str_of(p, "call_id").unwrap_or_default().to_string();
                let ok = p.get("success").and_then(Json::as_bool);
                match (self.action_mut(&call_id), ok) {
                    (Some(a), Some(ok)) => {
                        a.result.status = if ok {
                            ResultStatus::Ok
                        } else {
                            ResultStatus::Error
                        };
                    }
                    _ => self.ignore("patch-apply-end-without-call"),
                }
            }
            "mcp_tool_call_end" => {
                let call_id = str_of(p, "call_id").unwrap_or_default().to_string();
                let r = p.get("result");
                let failed = r.is_some_and(|r| {
                    r.get("Err").is_some()
                        || r.get("Ok")
                            .and_then(|o| o.get("isError").or_else(|| o.get("is_error")))
                            .and_then(Json::as_bool)
                            .unwrap_or(false)
                });
                match self.action_mut(&call_id) {
                    Some(a) if r.is_some() => {
                        a.result.status = if failed {
                            ResultStatus::Error
                        } else {
                            ResultStatus::Ok
                        };
                    }
                    _ => self.ignore("mcp-tool-call-end-without-call"),
                }
            }
            "error" => {
                let text = str_of(p, "message").unwrap_or_default().to_string();
                self.push(
                    Event::System(SystemNote {
                        kind: "error".into(),
                        text,
                        timestamp: ts,
                    }),
                    Origin::Other,
                );
            }
            // Reasoning is not visible output; the rest are lifecycle markers and copies of
            // response items.
            other => self.ignore_kind("event:", other, ""),
        }
    }

    /// `token_count`: `info.total_token_usage` is the session's running total, `last_token_usage`
    /// the latest request's. A repeated total is the same request reported again (rate-limit
    /// updates re-send it): one model call per change of the total.
    fn token_count(&mut self, p: &Json<'a>, ts: Option<i64>, line: u64) {
        let (usage, total) = match p.get("info") {
            Some(info) if info.is_object() => {
                (info.get("last_token_usage"), info.get("total_token_usage"))
            }
            Some(_) => {
                self.ignore("token-count-without-usage");
                return;
            }
            // An early shape: the usage itself, per request.
            None if p.get("input_tokens").is_some() => (Some(p), None),
            None => {
                self.ignore("token-count-without-usage");
                return;
            }
        };
        if let Some(t) = total {
            if self.last_total.as_ref().is_some_and(|l| l.same(t)) {
                self.ignore("token-count-repeat");
                return;
            }
            self.last_total = Some(t.clone());
        }
        let Some(u) = usage.or(total) else {
            self.ignore("token-count-without-usage");
            return;
        };
        let n = |k: &str| u.get(k).and_then(Json::as_u64).unwrap_or(0);
        let (input, cached, output) = (
            n("input_tokens"),
            n("cached_input_tokens"),
            n("output_tokens"),
        );
        if input + output == 0 {
            self.ignore("token-count-without-usage");
            return;
        }
        self.model_calls.push(ModelCall {
            message_id: format!("token_count:{line}"),
            request_id: None,
            model: self.model.clone(),
            timestamp: ts,
            // `input_tokens` includes the cached part.
            input_tokens: input.saturating_sub(cached),
            // Output includes reasoning tokens (billed as output).
            output_tokens: output,
            cache_read_tokens: cached,
            cache_creation_tokens: 0,
            subagent: None,
        });
    }

    fn compacted(&mut self, p: &Json, ts: Option<i64>) {
        self.compactions += 1;
        self.push(
            Event::Compaction {
                timestamp: ts,
                trigger: None,
            },
            Origin::Other,
        );
        if let Some(m) = str_of(p, "message").filter(|m| !m.trim().is_empty()) {
            self.push(
                Event::System(SystemNote {
                    kind: "compact_summary".into(),
                    text: m.to_string(),
                    timestamp: ts,
                }),
                Origin::Other,
            );
        }
    }
}

/// The heading after which an IDE extension puts the person's own words.
const USER_MESSAGE_BEGIN: &str = "## My request for Codex:";

/// The kind of text the CLI put in a user-role message by itself, if it is such text.
fn injected_kind(t: &str) -> Option<&'static str> {
    const TAGS: [(&str, &str); 9] = [
        ("<environment_context>", "environment_context"),
        ("<user_instructions>", "project_instructions"),
        ("# AGENTS.md instructions for ", "project_instructions"),
        ("<INSTRUCTIONS>", "project_instructions"),
        ("<user_shell_command>", "user_shell_command"),
        ("<turn_aborted>", "turn_aborted"),
        ("<skill>", "skill"),
        ("<permissions instructions>", "instructions"),
        ("<subagent_notification>", "subagent_notification"),
    ];
    for (p, k) in TAGS {
        if t.starts_with(p) {
            return Some(k);
        }
    }
    // Any other whole `<snake_case_tag>…</snake_case_tag>` block: the CLI's wrapping of context.
    let rest = t.strip_prefix('<')?;
    let end = rest.find('>')?;
    let tag = &rest[..end];
    let is_tag = tag.contains('_')
        && tag.bytes().all(|c| c.is_ascii_lowercase() || c == b'_')
        && t.trim_end().ends_with(&format!("</{tag}>"));
    is_tag.then_some("context")
}

fn between<'a>(s: &'a str, a: &str, b: &str) -> Option<&'a str> {
    let i = s.find(a)? + a.len();
    let j = s[i..].find(b)? + i;
    Some(&s[i..j])
}

/// Text of a message's content list (text parts joined) and its number of images.
fn content_text(c: Option<&Json>) -> (String, u32) {
    match c {
        Some(Json::String(s)) => (s.to_string(), 0),
        Some(Json::Array(parts)) => {
            let mut text = String::new();
            let mut images = 0;
            for p in parts {
                match str_of(p, "type") {
                    Some("input_image") | Some("image") => images += 1,
                    _ => {
                        if let Some(t) = str_of(p, "text") {
                            if !text.is_empty() {
                                text.push('\n');
                            }
                            text.push_str(t);
                        }
                    }
                }
            }
            (text, images)
        }
        _ => (String::new(), 0),
    }
}

/// A command line from an argv: the script of `bash -lc SCRIPT` (how Codex runs most
/// commands), else the words joined, quoted where needed.
fn argv_to_command(argv: &[Value]) -> String {
    let words: Vec<&str> = argv.iter().filter_map(Value::as_str).collect();
    if words.len() == 3 {
        let sh = words[0].rsplit('/').next().unwrap_or(words[0]);
        if matches!(sh, "bash" | "sh" | "zsh" | "dash")
            && matches!(words[1], "-lc" | "-c" | "-ic" | "-lic")
        {
            return words[2].to_string();
        }
        if matches!(sh, "powershell.exe" | "pwsh" | "powershell" | "cmd.exe")
            && matches!(words[1], "-Command" | "-c" | "/c")
        {
            return words[2].to_string();
        }
    }
    words
        .iter()
        .map(|w| {
            if !w.is_empty()
                && w.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&c))
            {
                (*w).to_string()
            } else {
                format!("'{}'", w.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The patch text of an `apply_patch` invoked through a shell: `["apply_patch", PATCH]`, or a
/// script `apply_patch <<'EOF' … EOF`.
fn shell_patch(argv: Option<&[Value]>, command: &str) -> Option<String> {
    if let Some(a) = argv {
        let w: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
        if w.len() == 2 && matches!(w[0], "apply_patch" | "applypatch") {
            return Some(w[1].to_string());
        }
    }
    let t = command.trim_start();
    let t = t
        .strip_prefix("cd ")
        .map_or(t, |r| r.split_once("&&").map_or(t, |(_, x)| x.trim_start()));
    if t.starts_with("apply_patch") || t.starts_with("applypatch") {
        let i = t.find("*** Begin Patch")?;
        let j = t[i..]
            .find("*** End Patch")
            .map_or(t.len(), |j| i + j + "*** End Patch".len());
        return Some(t[i..j].to_string());
    }
    None
}

/// What an `apply_patch` patch does: lines added and removed, the files it names, and whether it
/// only adds files (a write rather than an edit).
pub fn patch_stats(patch: &str) -> (LineDelta, Vec<String>, bool) {
    let mut d = LineDelta::default();
    let mut files = Vec::new();
    let mut only_adds = true;
    let mut in_file = false;
    for l in patch.lines() {
        if let Some(rest) = l.strip_prefix("*** ") {
            in_file = false;
            for (p, adds) in [
                ("Add File: ", true),
                ("Update File: ", false),
                ("Delete File: ", false),
            ] {
                if let Some(path) = rest.strip_prefix(p) {
                    files.push(path.trim().to_string());
                    only_adds &= adds;
                    in_file = true;
                }
            }
            // `*** Move to:` keeps the file; `*** End of File` marks a hunk's end.
            if rest.starts_with("Move to: ") || rest.starts_with("End of File") {
                in_file = true;
            }
            continue;
        }
        if !in_file {
            continue;
        }
        if l.starts_with('+') {
            d.added += 1;
        } else if l.starts_with('-') {
            d.removed += 1;
        }
    }
    let only_adds = only_adds && !files.is_empty();
    (d, files, only_adds)
}

/// The tools that run shell commands.
const SHELL_TOOLS: [&str; 6] = [
    "shell",
    "container.exec",
    "local_shell",
    "shell_command",
    "exec_command",
    "unified_exec",
];

/// Kind, normalized input (a shell call's `command` as one string; an `apply_patch`'s patch and
/// first file) and lines of one tool call.
fn classify_call(tool: &str, args: Value) -> (ActionKind, Value, Option<LineDelta>) {
    let patch_action = |patch: String, mut m: Map<String, Value>| {
        let (d, files, only_adds) = patch_stats(&patch);
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
    };
    let mut m = match args {
        Value::Object(m) => m,
        Value::String(s) => {
            let mut m = Map::new();
            m.insert("input".into(), Value::String(s));
            m
        }
        Value::Null => Map::new(),
        other => {
            let mut m = Map::new();
            m.insert("input".into(), other);
            m
        }
    };
    match tool {
        t if SHELL_TOOLS.contains(&t) => {
            let argv = match m.get("command").or_else(|| m.get("input")) {
                Some(Value::Array(a)) => Some(a.clone()),
                _ => None,
            };
            let command = match (&argv, m.get("command"), m.get("cmd")) {
                (Some(a), _, _) => argv_to_command(a),
                (None, Some(Value::String(c)), _) | (None, _, Some(Value::String(c))) => c.clone(),
                _ => String::new(),
            };
            if let Some(patch) = shell_patch(argv.as_deref(), &command) {
                return patch_action(patch, Map::new());
            }
            if let Some(a) = argv {
                m.insert("argv".into(), Value::Array(a));
            }
            m.insert("command".into(), Value::String(command));
            (ActionKind::Shell, Value::Object(m), None)
        }
        "apply_patch" => {
            let patch = match m.remove("input").or_else(|| m.remove("patch")) {
                Some(Value::String(p)) => p,
                _ => String::new(),
            };
            patch_action(patch, m)
        }
        "update_plan" => (ActionKind::Plan, Value::Object(m), None),
        "web_search" | "web_search_request" => (ActionKind::Web, Value::Object(m), None),
        "view_image" | "read_file" => (ActionKind::Read, Value::Object(m), None),
        "list_dir" | "grep_files" | "find_files" => (ActionKind::Search, Value::Object(m), None),
        // MCP tools (`server__tool`), `write_stdin`, and tools of newer versions: as named.
        _ => (ActionKind::Other, Value::Object(m), None),
    }
}

/// A tool call's output, read for its status and exit code.
struct Output {
    status: ResultStatus,
    text: String,
    exit_code: Option<i32>,
}

fn parse_output(v: Option<Json>) -> Output {
    let (text, failed) = match v {
        Some(Json::String(s)) => (s.into_owned(), false),
        // Older versions wrote a failure as `{content, success: false}`.
        Some(o @ Json::Object(_)) => (
            str_of(&o, "content").unwrap_or_default().to_string(),
            o.get("success").and_then(Json::as_bool) == Some(false),
        ),
        Some(items @ Json::Array(_)) => (content_text(Some(&items)).0, false),
        _ => (String::new(), false),
    };
    let t = text.trim();
    if t == "aborted" || t.starts_with("aborted by user") {
        return Output {
            status: ResultStatus::Interrupted,
            text,
            exit_code: None,
        };
    }
    if t.starts_with("exec command rejected by user") || t.starts_with("patch rejected by user") {
        return Output {
            status: ResultStatus::Rejected,
            text,
            exit_code: None,
        };
    }
    // Structured shell output: `{"output": …, "metadata": {"exit_code": N, …}}`.
    if t.starts_with('{') {
        if let Ok(o @ Json::Object(_)) = json::parse(t, &[]) {
            if let Some(code) = o
                .get("metadata")
                .and_then(|m| m.get("exit_code"))
                .and_then(Json::as_i64)
            {
                let inner = str_of(&o, "output").unwrap_or_default();
                return with_code(inner.to_string(), code as i32);
            }
        }
    }
    // Free-form shell output: `Exit code: N` first; unified exec: `Process exited with code N`.
    for l in t.lines().take(6) {
        let code = l
            .strip_prefix("Exit code: ")
            .or_else(|| l.strip_prefix("Process exited with code "));
        if let Some(c) = code.and_then(|c| c.trim().parse::<i32>().ok()) {
            return with_code(text, c);
        }
    }
    let error = failed
        || t.starts_with("err: ")
        || t.starts_with("execution error")
        || t.starts_with("apply_patch verification failed")
        || t.starts_with("failed to parse function arguments")
        || t.starts_with("unsupported call")
        || t.starts_with("exec command rejected");
    Output {
        status: if error {
            ResultStatus::Error
        } else {
            ResultStatus::Ok
        },
        text,
        exit_code: None,
    }
}

fn with_code(text: String, code: i32) -> Output {
    Output {
        status: if code == 0 {
            ResultStatus::Ok
        } else {
            ResultStatus::Error
        },
        text,
        exit_code: Some(code),
    }
}

/// Read one Codex session file.
pub fn read_session(
    src: &SessionSource,
    opts: &IngestOptions,
    diag: &mut Diagnostics,
) -> Option<Session> {
    let (name, buf) = common::read_source(src, diag)?;
    let mut r = Reader::default();
    let is_doc = src.files[0].path.extension().is_some_and(|e| e == "json");
    if is_doc {
        read_document(&buf, &name, &mut r, diag)?;
    } else {
        read_jsonl(&buf, &name, &mut r, diag);
    }
    build(src, opts, diag, &name, r)
}

/// The TypeScript CLI's `{session, items}` document.
fn read_document<'a>(
    buf: &'a [u8],
    name: &str,
    r: &mut Reader<'a>,
    diag: &mut Diagnostics,
) -> Option<()> {
    #[derive(serde::Deserialize)]
    struct Doc<'a> {
        #[serde(borrow, default)]
        session: Option<&'a RawValue>,
        #[serde(borrow, default)]
        items: Option<Vec<&'a RawValue>>,
    }
    let doc: Doc<'_> = match serde_json::from_slice(buf) {
        Ok(d) => d,
        Err(e) => {
            json_error(diag, name, &e);
            return None;
        }
    };
    diag.records += 1;
    if let Some(s) = doc.session.and_then(|s| json::parse(s.get(), &[]).ok()) {
        r.meta(&s);
    }
    let Some(items) = doc.items else {
        diag.skip(
            name,
            None,
            "missing-items",
            "no `items` list in this Codex session",
        );
        return None;
    };
    let mut lines_at = Lines::new(buf);
    for raw in items {
        let line = lines_at.of(raw.get());
        match json::parse(raw.get(), &[]) {
            Ok(mut v) if v.is_object() => r.response_item(&mut v, None, name, line, diag),
            Ok(_) => diag.skip(
                name,
                Some(line),
                "not-an-object",
                "an item is not a JSON object",
            ),
            Err(e) => diag.skip(name, Some(line), "invalid-json", e.to_string()),
        }
    }
    Some(())
}

/// Members never read, left out as each line is parsed: encrypted reasoning, the session's base
/// and developer instructions (system prompts), tool lists, rate-limit snapshots, and
/// `exec_command_end`'s copies of the output (its exit code is what is read; the output comes
/// with the call's own output item).
const SKIP: &[&str] = &[
    "encrypted_content",
    "base_instructions",
    "developer_instructions",
    "dynamic_tools",
    "collaboration_mode",
    "rate_limits",
    "aggregated_output",
    "formatted_output",
    "stdout",
    "stderr",
];

/// [`SKIP`] as the parser's type parameter.
struct Unread;

impl crate::json::Skip for Unread {
    const SKIP: &'static [&'static str] = SKIP;
    /// Members of some records that are read for their kind only: instructions Codex sends
    /// as `developer` / `system` messages, the reasoning summary, the last reply repeated by
    /// `task_complete`, a turn's diff, the changes an applied patch made, the command repeated
    /// by `exec_command_end` (its exit code is what is read).
    const WHEN: &'static [When] = &[
        When {
            key: "role",
            values: &["developer", "system"],
            skip: &["content"],
        },
        When {
            key: "type",
            values: &["reasoning"],
            skip: &["summary", "content"],
        },
        When {
            key: "type",
            values: &["task_complete"],
            skip: &["last_agent_message"],
        },
        When {
            key: "type",
            values: &["turn_diff"],
            skip: &["unified_diff"],
        },
        When {
            key: "type",
            values: &["patch_apply_end"],
            skip: &["changes"],
        },
        When {
            key: "type",
            values: &["exec_command_end"],
            skip: &["command", "parsed_cmd", "cwd"],
        },
    ];
}

fn read_jsonl<'a>(buf: &'a [u8], name: &str, r: &mut Reader<'a>, diag: &mut Diagnostics) {
    let mut first = true;
    json::jsonl_records::<Unread>(buf, name, diag, |v, no, diag| {
        record(v, first, name, no, r, diag);
        first = false;
    });
}

/// One JSONL record of any Codex shape.
fn record<'a>(
    v: &mut Json<'a>,
    first: bool,
    name: &str,
    no: u64,
    r: &mut Reader<'a>,
    diag: &mut Diagnostics,
) {
    let ts = str_of(v, "timestamp").and_then(parse_timestamp);
    let unknown = |diag: &mut Diagnostics, what: String| {
        diag.skip(name, Some(no), "unknown-record-type", what)
    };
    match (str_of(v, "type"), v.get("payload")) {
        (Some(t), Some(p)) => match t {
            "session_meta" => r.meta(p),
            "turn_context" => r.turn_context(p),
            "response_item" => {
                if let Some(p) = v.get_mut("payload") {
                    r.response_item(p, ts, name, no, diag);
                }
            }
            "event_msg" => r.event_msg(p, ts, name, no, diag),
            "compacted" => r.compacted(p, ts),
            // Codex Desktop's multi-agent bookkeeping: a snapshot of the shared world state and
            // what triggered a turn between agents; neither is conversation.
            "world_state" | "inter_agent_communication_metadata" => r.ignore(t),
            other => unknown(diag, format!("record type {other:?}")),
        },
        // Legacy: bare response items.
        (Some(_), None) => r.response_item(v, None, name, no, diag),
        (None, _) => match str_of(v, "record_type") {
            Some("state") => r.ignore("state"),
            Some(rt) => unknown(diag, format!("record_type {rt:?}")),
            // Legacy header: the session's meta, flat.
            None if first && v.get("id").is_some() => r.meta(v),
            None => unknown(diag, "a record with no `type`".into()),
        },
    }
}

fn build(
    src: &SessionSource,
    opts: &IngestOptions,
    diag: &mut Diagnostics,
    name: &str,
    r: Reader<'_>,
) -> Option<Session> {
    let has_user_events = r.events.iter().any(|(_, o)| *o == Origin::UserEvent);
    let has_assistant_items = r.events.iter().any(|(_, o)| *o == Origin::AssistantItem);
    let mut ignored = r.ignored;
    let mut events = Vec::with_capacity(r.events.len());
    for (e, o) in r.events {
        match o {
            Origin::UserItem if has_user_events => {
                *ignored.entry("user-message-item-copy".into()).or_default() += 1;
            }
            Origin::AssistantEvent if has_assistant_items => {
                *ignored
                    .entry("agent-message-event-copy".into())
                    .or_default() += 1;
            }
            _ => events.push(e),
        }
    }
    // Legacy shapes record one time, the session's start: it goes to the first event.
    if events.iter().all(|e| e.timestamp().is_none()) {
        if let (Some(t), Some(e)) = (r.header_ts, events.first_mut()) {
            set_timestamp(e, t);
        }
    }
    let source = r.source.as_ref().map(|s| match s {
        Value::String(s) => s.clone(),
        Value::Object(o) => o.keys().next().cloned().unwrap_or_default(),
        other => other.to_string(),
    });
    SessionBuilder {
        id: r.session_id,
        version: r.version,
        project: r.cwds.first().cloned(),
        git_branch: r.git_branch,
        entrypoint: entrypoint(source.as_deref(), r.originator.as_deref()),
        paths: r.cwds,
        events,
        model_calls: r.model_calls,
        compactions: r.compactions,
        ignored,
        source_files: Some(vec![name.to_string()]),
        ..SessionBuilder::default()
    }
    .finish(Format::Codex, src, opts, diag, name)
}

/// How the session was started: `codex exec` runs and MCP-server sessions are driven by a
/// program (non-interactive, like `claude -p`); the TUI is `cli`, the IDE extension `vscode`.
fn entrypoint(source: Option<&str>, originator: Option<&str>) -> Option<String> {
    let e = match (source, originator) {
        (Some("exec"), _) | (None, Some("codex_exec")) => "sdk-cli",
        (Some("mcp"), _) => "sdk-mcp",
        (Some("subagent"), _) => "subagent",
        (Some(s), _) if !s.is_empty() && s != "unknown" => s,
        (_, Some("codex_cli_rs")) => "cli",
        (_, Some("codex_vscode")) => "vscode",
        (_, Some(o)) if !o.is_empty() => o,
        _ => return None,
    };
    Some(e.to_string())
}

fn set_timestamp(e: &mut Event, t: i64) {
    match e {
        Event::Human(h) => h.timestamp = Some(t),
        Event::AssistantText(a) => a.timestamp = Some(t),
        Event::Action(a) => a.timestamp = Some(t),
        Event::Interrupt { timestamp, .. } | Event::Compaction { timestamp, .. } => {
            *timestamp = Some(t)
        }
        Event::System(s) => s.timestamp = Some(t),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_lines_and_kind() {
        let p = "*** Begin Patch\n*** Update File: src/a.rs\n@@ fn a()\n-old\n+new\n+more\n context\n*** Add File: b.txt\n+x\n*** End Patch";
        let (d, files, adds) = patch_stats(p);
        assert_eq!((d.added, d.removed), (3, 1));
        assert_eq!(files, vec!["src/a.rs", "b.txt"]);
        assert!(!adds);
        let (_, _, adds) =
            patch_stats("*** Begin Patch\n*** Add File: n.md\n+# T\n*** End Patch\n");
        assert!(adds);
    }

    #[test]
    fn commands_from_argv() {
        let a: Vec<Value> = serde_json::from_str(r#"["bash","-lc","cargo test -p x"]"#).unwrap();
        assert_eq!(argv_to_command(&a), "cargo test -p x");
        let a: Vec<Value> = serde_json::from_str(r#"["rg","-n","fn main","src"]"#).unwrap();
        assert_eq!(argv_to_command(&a), "rg -n 'fn main' src");
    }

    #[test]
    fn outputs() {
        let o = parse_output(Some(Json::String(
            r#"{"output":"boom\n","metadata":{"exit_code":2,"duration_seconds":0.1}}"#.into(),
        )));
        assert_eq!(
            (o.status, o.exit_code, o.text.as_str()),
            (ResultStatus::Error, Some(2), "boom\n")
        );
        let o = parse_output(Some(Json::String(
            "Exit code: 0\nWall time: 1.2 seconds\nOutput:\nok".into(),
        )));
        assert_eq!((o.status, o.exit_code), (ResultStatus::Ok, Some(0)));
        let o = parse_output(Some(Json::String(
            "Chunk ID: 1\nWall time: 0.5 seconds\nProcess exited with code 1\nOutput:\nx".into(),
        )));
        assert_eq!((o.status, o.exit_code), (ResultStatus::Error, Some(1)));
        assert_eq!(
            parse_output(Some(Json::String("aborted".into()))).status,
            ResultStatus::Interrupted
        );
        assert_eq!(
            parse_output(Some(Json::String("exec command rejected by user".into()))).status,
            ResultStatus::Rejected
        );
    }

    #[test]
    fn injected_text() {
        assert_eq!(
            injected_kind("<environment_context>\n<cwd>/x</cwd>\n</environment_context>"),
            Some("environment_context")
        );
        assert_eq!(
            injected_kind("# AGENTS.md instructions for /x\n\n<INSTRUCTIONS>a</INSTRUCTIONS>"),
            Some("project_instructions")
        );
        assert_eq!(injected_kind("<new_tag>x</new_tag>"), Some("context"));
        assert_eq!(injected_kind("<b>bold</b> please"), None);
        assert_eq!(injected_kind("fix the bug"), None);
    }
}
