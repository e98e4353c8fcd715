//! Gemini CLI sessions (`~/.gemini/tmp/<project-hash>/chats/session-*.json[l]`).
//!
//! Two layouts, both written by Gemini CLI's `ChatRecordingService`:
//! - legacy (to ~0.2x): one JSON document `{sessionId, projectHash, startTime, lastUpdated,
//!   messages: [...]}` rewritten on every change;
//! - JSONL (newer): a metadata record `{sessionId, projectHash, startTime, …}`, then one record
//!   per message (a later record with the same `id` replaces the earlier one), `{"$set": {…}}`
//!   metadata updates and `{"$rewindTo": id}` (drops that message and everything after it).
//!
//! Messages: `type` `user` (what was sent to the model; `displayContent` is what was typed when
//! the content was expanded), `gemini` (text, `toolCalls` with their results and `status`,
//! `tokens`, `model`, `thoughts`), `info` / `error` / `warning` (CLI notes). See docs/FORMATS.md.

use crate::build::SessionBuilder;
use crate::common::{self, json_error, Lines};
use crate::diag::Diagnostics;
use crate::json::{self, Json};
use crate::source::{Format, SessionSource};
use crate::IngestOptions;
use agentstat_session::{
    parse_timestamp, Action, ActionKind, ActionResult, AssistantText, Event, HumanTurn, LineDelta,
    ModelCall, ResultStatus, Session, SubagentInfo, SystemNote, ToolInput,
};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Normalized kind of a Gemini CLI tool name (built-in tools across versions).
pub fn tool_kind(name: &str) -> ActionKind {
    match name {
        "read_file" | "read_many_files" | "read_file_v2" => ActionKind::Read,
        "list_directory"
        | "glob"
        | "search_file_content"
        | "grep_search"
        | "grep"
        | "ripgrep"
        | "ls" => ActionKind::Search,
        "replace" | "edit" | "smart_edit" | "edit_file" => ActionKind::Edit,
        "write_file" => ActionKind::Write,
        "run_shell_command" | "shell" => ActionKind::Shell,
        "web_fetch" | "google_web_search" | "web_search" => ActionKind::Web,
        "write_todos" | "exit_plan_mode" | "enter_plan_mode" => ActionKind::Plan,
        "codebase_investigator" | "delegate_to_agent" | "task" => ActionKind::Subagent,
        _ => ActionKind::Other,
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegacyDoc<'a> {
    #[serde(default)]
    session_id: Option<String>,
    #[serde(default)]
    directories: Option<Vec<String>>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(borrow, default)]
    messages: Option<Vec<&'a RawValue>>,
}

/// [`LegacyDoc`] read in one pass, its messages straight into trees.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegacyTrees<'a> {
    #[serde(default)]
    session_id: Option<String>,
    #[serde(default)]
    directories: Option<Vec<String>>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(borrow, default)]
    messages: Option<Vec<json::Tree<'a>>>,
}

/// The line each message of a legacy document starts on, in document order.
fn legacy_lines(buf: &[u8]) -> Vec<u64> {
    let Ok(doc) = serde_json::from_slice::<LegacyDoc<'_>>(buf) else {
        return Vec::new();
    };
    let mut lines_at = Lines::new(buf);
    doc.messages
        .unwrap_or_default()
        .iter()
        .map(|raw| lines_at.of(raw.get()))
        .collect()
}

/// What the reader collects before building the session.
#[derive(Default)]
struct Parts<'a> {
    session_id: Option<String>,
    directories: Vec<String>,
    kind: Option<String>,
    /// Messages by id, in first-seen order, with the line they were read from.
    messages: Vec<(Json<'a>, u64)>,
    /// Message id → index in `messages`.
    index: HashMap<String, usize>,
    /// Ids of messages that first appeared in a history sync (`$set.messages`): turns the CLI
    /// put in the model's context (bootstrapped environment, compression summary), not typed.
    synthetic: HashSet<String>,
    ignored: BTreeMap<String, u64>,
    /// A legacy document read in one pass: the "line" kept with each message is then its
    /// position in the document's list, turned into a line (a second, rare pass over this
    /// document) only when a warning needs it.
    legacy: Option<&'a [u8]>,
}

impl<'a> Parts<'a> {
    /// The line a message was read from (`at`: what `messages` keeps with it).
    fn line_of(&self, at: u64, lines: &mut Option<Vec<u64>>) -> u64 {
        match self.legacy {
            None => at,
            Some(buf) => lines
                .get_or_insert_with(|| legacy_lines(buf))
                .get(at as usize)
                .copied()
                .unwrap_or(0),
        }
    }

    /// The same parts owning all their text (to outlive the buffer they were read from).
    fn into_owned(self) -> Parts<'static> {
        let lines = self.legacy.map(legacy_lines);
        let line = |at: u64| match &lines {
            None => at,
            Some(ls) => ls.get(at as usize).copied().unwrap_or(0),
        };
        Parts {
            session_id: self.session_id,
            directories: self.directories,
            kind: self.kind,
            messages: self
                .messages
                .into_iter()
                .map(|(m, at)| (m.into_owned(), line(at)))
                .collect(),
            index: self.index,
            synthetic: self.synthetic,
            ignored: self.ignored,
            legacy: None,
        }
    }

    fn meta(&mut self, v: &Json<'a>) {
        if let Some(s) = v.get("sessionId").and_then(Json::as_str) {
            self.session_id = Some(s.to_string());
        }
        if let Some(ds) = v.get("directories").and_then(Json::as_array) {
            self.directories = ds
                .iter()
                .filter_map(|d| d.as_str().map(str::to_string))
                .collect();
        }
        if let Some(k) = v.get("kind").and_then(Json::as_str) {
            self.kind = Some(k.to_string());
        }
    }

    fn message(&mut self, v: Json<'a>, line: u64) {
        let id = v.get("id").and_then(Json::as_str).map(str::to_string);
        if let Some(id) = id {
            // Recorded as a message of its own: a real turn, whatever a sync said before.
            self.synthetic.remove(&id);
            if let Some(&i) = self.index.get(&id) {
                self.messages[i] = (v, line);
                *self.ignored.entry("message-update".into()).or_default() += 1;
                return;
            }
            self.index.insert(id, self.messages.len());
        }
        self.messages.push((v, line));
    }

    /// A history sync (`updateMessagesFromHistory`): the model's context as the CLI now holds
    /// it. Known turns are updated in place (e.g. masked tool output); new ones are the CLI's
    /// own (marked synthetic); turns left out (compressed away) still happened and are kept.
    fn sync(&mut self, ms: &[Json<'a>], line: u64) {
        *self.ignored.entry("history-sync".into()).or_default() += 1;
        for m in ms {
            match m.get("id").and_then(Json::as_str) {
                Some(id) if self.index.contains_key(id) => {
                    let i = self.index[id];
                    self.messages[i].0 = m.clone();
                }
                Some(id) => {
                    self.synthetic.insert(id.to_string());
                    self.index.insert(id.to_string(), self.messages.len());
                    self.messages.push((m.clone(), line));
                }
                None => self.messages.push((m.clone(), line)),
            }
        }
    }

    fn rewind(&mut self, id: &str) {
        let at = self.index.get(id).copied().unwrap_or(0);
        let dropped = self.messages.len() - at;
        for (m, _) in self.messages.drain(at..) {
            if let Some(k) = m.get("id").and_then(Json::as_str) {
                self.index.remove(k);
            }
        }
        *self.ignored.entry("rewound-message".into()).or_default() += dropped as u64;
    }
}

/// Read one Gemini CLI session file.
pub fn read_session(
    src: &SessionSource,
    opts: &IngestOptions,
    diag: &mut Diagnostics,
) -> Option<Session> {
    let (name, buf) = read_file(src, 0, diag)?;
    let parts = read_parts(src, 0, &buf, &name, diag)?;
    // Subagent files (`chats/<this session id>/<id>.jsonl`), folded in by discovery: each read
    // and parsed in turn (their diagnostics in file order), their trees then owning their text.
    let subs: Vec<(String, Parts)> = (1..src.files.len())
        .filter_map(|i| {
            let (sname, sbuf) = read_file(src, i, diag)?;
            let sp = read_parts(src, i, &sbuf, &sname, diag)?.into_owned();
            Some((sname, sp))
        })
        .collect();
    build(src, opts, diag, &name, parts, subs)
}

/// The name and bytes of the `i`-th file of a source (the session's own, or a subagent's).
fn read_file(src: &SessionSource, i: usize, diag: &mut Diagnostics) -> Option<(String, Vec<u8>)> {
    let one = SessionSource {
        id: src.id.clone(),
        files: vec![src.files[i].clone()],
        format: src.format,
    };
    common::read_source(&one, diag)
}

/// The messages and metadata of the `i`-th file of a source, read from `buf`.
fn read_parts<'a>(
    src: &SessionSource,
    i: usize,
    buf: &'a [u8],
    name: &str,
    diag: &mut Diagnostics,
) -> Option<Parts<'a>> {
    let mut parts = Parts::default();
    let first = buf.iter().find(|c| !c.is_ascii_whitespace()).copied();
    let jsonl = src.files[i].path.extension().is_some_and(|e| e == "jsonl");
    if jsonl || (first == Some(b'{') && looks_like_jsonl(buf)) {
        read_jsonl(buf, name, &mut parts, diag);
    } else if let Some(doc) = simdutf8::basic::from_utf8(buf)
        .ok()
        .and_then(|text| serde_json::from_str::<LegacyTrees<'a>>(text).ok())
    {
        // The usual case, in one pass (one SIMD UTF-8 check, then no string checked again).
        // Any failure (bad UTF-8, a message that is not valid by itself, a field of the wrong
        // type) goes to the two-pass read below, which reports it.
        diag.records += 1;
        parts.session_id = doc.session_id;
        parts.directories = doc.directories.unwrap_or_default();
        parts.kind = doc.kind;
        parts.legacy = Some(buf);
        match doc.messages {
            Some(ms) => {
                for (at, m) in ms.into_iter().enumerate() {
                    parts.message(m.0, at as u64);
                }
            }
            None => diag.skip(
                name,
                None,
                "missing-messages",
                "no `messages` list in this Gemini CLI session",
            ),
        }
    } else {
        match serde_json::from_slice::<LegacyDoc<'a>>(buf) {
            Ok(doc) => {
                diag.records += 1;
                parts.session_id = doc.session_id;
                parts.directories = doc.directories.unwrap_or_default();
                parts.kind = doc.kind;
                match doc.messages {
                    Some(ms) => {
                        let mut lines_at = Lines::new(buf);
                        for raw in ms {
                            let line = lines_at.of(raw.get());
                            match json::parse(raw.get(), &[]) {
                                Ok(v) => parts.message(v, line),
                                Err(e) => {
                                    diag.skip(name, Some(line), "invalid-json", e.to_string())
                                }
                            }
                        }
                    }
                    None => diag.skip(
                        name,
                        None,
                        "missing-messages",
                        "no `messages` list in this Gemini CLI session",
                    ),
                }
            }
            Err(e) => {
                json_error(diag, name, &e);
                return None;
            }
        }
    }
    Some(parts)
}

/// A pretty-printed legacy document spans many lines and its first line is not a whole
/// object; a JSONL file's first line is one.
fn looks_like_jsonl(buf: &[u8]) -> bool {
    let first_line = buf
        .split(|&c| c == b'\n')
        .find(|l| !l.iter().all(u8::is_ascii_whitespace));
    first_line.is_some_and(|l| serde_json::from_slice::<serde::de::IgnoredAny>(l).is_ok())
        && buf
            .split(|&c| c == b'\n')
            .filter(|l| !l.is_empty())
            .nth(1)
            .is_some()
}

/// The records a Gemini CLI JSONL file holds (none left out).
struct Records;
impl json::Skip for Records {
    const SKIP: &'static [&'static str] = &[];
}

fn read_jsonl<'a>(buf: &'a [u8], name: &str, parts: &mut Parts<'a>, diag: &mut Diagnostics) {
    // The line of the last record of an unknown kind: one warning per line.
    let mut unknown_at = None;
    json::jsonl_records::<Records>(buf, name, diag, |v, no, diag| {
        let v = std::mem::replace(v, Json::Null);
        if let Some(id) = v.get("$rewindTo").and_then(Json::as_str) {
            parts.rewind(id);
        } else if let Some(set) = v.get("$set") {
            if let Some(ms) = set.get("messages").and_then(Json::as_array) {
                parts.sync(ms, no);
            }
            parts.meta(set);
        } else if v.get("id").and_then(Json::as_str).is_some() {
            parts.message(v, no);
        } else if v.get("sessionId").is_some() {
            parts.meta(&v);
        } else if unknown_at != Some(no) {
            unknown_at = Some(no);
            diag.skip(
                name,
                Some(no),
                "unknown-record-type",
                "a record that is neither a message, metadata, `$set` nor `$rewindTo`",
            );
        }
    });
}

/// Text of a `content` (a string, a Part, or a list of Parts: `text` parts joined).
fn text_of(v: Option<&Json<'_>>) -> String {
    match v {
        Some(Json::String(s)) => s.to_string(),
        Some(Json::Array(parts)) => parts
            .iter()
            .filter_map(|p| match p {
                Json::String(s) => Some(s.as_ref()),
                _ => p.get("text").and_then(Json::as_str),
            })
            .collect::<Vec<_>>()
            .join(""),
        Some(Json::Object(_)) => v
            .and_then(|p| p.get("text"))
            .and_then(Json::as_str)
            .unwrap_or("")
            .to_string(),
        _ => String::new(),
    }
}

/// Whether a user message's content carries anything but text (images, files, function
/// responses): attachments.
fn attachments_of(v: Option<&Json<'_>>) -> u32 {
    match v {
        Some(Json::Array(parts)) => parts
            .iter()
            .filter(|p| p.get("inlineData").is_some() || p.get("fileData").is_some())
            .count() as u32,
        _ => 0,
    }
}

/// A tool call's output text (`functionResponse.response.output` / `.error`, joined).
fn tool_output(result: Option<&Json<'_>>) -> String {
    let mut out = String::new();
    let mut push = |s: &str| {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(s);
    };
    let visit = |p: &Json<'_>, push: &mut dyn FnMut(&str)| {
        if let Some(r) = p.get("functionResponse").and_then(|f| f.get("response")) {
            for k in ["output", "error", "llmContent"] {
                if let Some(s) = r.get(k).and_then(Json::as_str) {
                    push(s);
                }
            }
        } else if let Some(s) = p.get("text").and_then(Json::as_str) {
            push(s);
        } else if let Some(s) = p.as_str() {
            push(s);
        }
    };
    match result {
        Some(Json::Array(ps)) => ps.iter().for_each(|p| visit(p, &mut push)),
        Some(p @ Json::Object(_)) => visit(p, &mut push),
        Some(Json::String(s)) => push(s),
        _ => {}
    }
    out
}

/// Lines changed, from the diff the CLI showed (`resultDisplay.diffStat` or `.fileDiff`).
fn lines_from_display(d: Option<&Json<'_>>) -> Option<LineDelta> {
    let d = d?;
    if let Some(stat) = d.get("diffStat") {
        let n = |k: &str| stat.get(k).and_then(Json::as_u64);
        if let (Some(a), Some(r)) = (n("model_added_lines"), n("model_removed_lines")) {
            return Some(LineDelta {
                added: a,
                removed: r,
            });
        }
    }
    let diff = d.get("fileDiff").and_then(Json::as_str)?;
    Some(common::unified_diff_lines(diff))
}

fn status_of(status: Option<&str>, output: &str) -> ResultStatus {
    match status {
        Some("success") => ResultStatus::Ok,
        Some("error") => ResultStatus::Error,
        Some("cancelled") => {
            if output.contains("User did not allow tool call") || output.contains("did not allow") {
                ResultStatus::Rejected
            } else {
                ResultStatus::Interrupted
            }
        }
        _ => ResultStatus::Missing,
    }
}

/// The text the CLI sends by itself after its next-speaker check (not typed by the person).
const AUTO_CONTINUE: &str = "Please continue.";

/// One file's messages as events (a subagent's tagged with its id).
struct Conv {
    events: Vec<Event>,
    calls: Vec<ModelCall>,
    version: Option<String>,
    paths: Vec<String>,
    ignored: BTreeMap<String, u64>,
}

fn convert(mut parts: Parts, name: &str, diag: &mut Diagnostics, sub: Option<&str>) -> Conv {
    let subagent = sub.map(str::to_string);
    let mut events = Vec::new();
    let mut calls = Vec::new();
    let mut ignored = std::mem::take(&mut parts.ignored);
    let mut version: Option<String> = None;
    let mut paths: Vec<String> = parts.directories.clone();
    let mut lines = None;
    for (m, at) in &parts.messages {
        // Found only when a warning needs it.
        let mut line = || Some(parts.line_of(*at, &mut lines));
        let ts = m
            .get("timestamp")
            .and_then(Json::as_str)
            .and_then(parse_timestamp);
        let ty = m.get("type").and_then(Json::as_str);
        let synthetic = m
            .get("id")
            .and_then(Json::as_str)
            .is_some_and(|id| parts.synthetic.contains(id));
        if synthetic && matches!(ty, Some("user" | "gemini" | "model")) {
            events.push(Event::System(SystemNote {
                kind: "history_sync".into(),
                text: text_of(m.get("content")),
                timestamp: ts,
            }));
            continue;
        }
        match ty {
            Some("user") => {
                let shown = m.get("displayContent").filter(|v| !v.is_null());
                let text = text_of(shown.or_else(|| m.get("content")));
                let trimmed = text.trim();
                if trimmed.is_empty() {
                    *ignored.entry("empty-user-message".into()).or_default() += 1;
                } else if trimmed == AUTO_CONTINUE {
                    events.push(Event::System(SystemNote {
                        kind: "auto_continue".into(),
                        text,
                        timestamp: ts,
                    }));
                } else if sub.is_some() || parts.kind.as_deref() == Some("subagent") {
                    // A subagent's session: its "user" messages are the parent agent's
                    // instructions, not typed.
                    events.push(Event::System(SystemNote {
                        kind: "subagent_prompt".into(),
                        text,
                        timestamp: ts,
                    }));
                } else {
                    // Slash commands run locally and are never recorded; custom commands are
                    // recorded as the prompt they expand to (`displayContent` keeps the command).
                    events.push(Event::Human(HumanTurn {
                        text,
                        timestamp: ts,
                        attachments: attachments_of(m.get("content")),
                        ..Default::default()
                    }));
                }
            }
            Some("gemini") | Some("model") => {
                let model = m.get("model").and_then(Json::as_str).map(str::to_string);
                let text = text_of(m.get("content"));
                if !text.trim().is_empty() {
                    events.push(Event::AssistantText(AssistantText {
                        text,
                        timestamp: ts,
                        model: model.clone(),
                        subagent: subagent.clone(),
                    }));
                }
                if let Some(t) = m.get("tokens").filter(|t| t.is_object()) {
                    let n = |k: &str| t.get(k).and_then(Json::as_u64).unwrap_or(0);
                    let (input, cached) = (n("input"), n("cached"));
                    let output = n("output") + n("thoughts");
                    if input + output + n("total") > 0 {
                        calls.push(ModelCall {
                            message_id: m
                                .get("id")
                                .and_then(Json::as_str)
                                .unwrap_or_default()
                                .to_string(),
                            request_id: None,
                            model: model.clone(),
                            timestamp: ts,
                            input_tokens: input.saturating_sub(cached) + n("tool"),
                            output_tokens: output,
                            cache_read_tokens: cached,
                            cache_creation_tokens: 0,
                            subagent: subagent.clone(),
                        });
                    }
                }
                let tool_calls = match m.get("toolCalls") {
                    None | Some(Json::Null) => &[][..],
                    Some(Json::Array(a)) => a.as_slice(),
                    Some(_) => {
                        diag.skip(
                            name,
                            line(),
                            "bad-record-shape",
                            "`toolCalls` is not a list",
                        );
                        &[][..]
                    }
                };
                for tc in tool_calls {
                    let Some(tool) = tc.get("name").and_then(Json::as_str) else {
                        diag.skip(
                            name,
                            line(),
                            "tool-call-without-name",
                            "a tool call has no `name`",
                        );
                        continue;
                    };
                    let args = tc.at("args");
                    for k in [
                        "file_path",
                        "path",
                        "absolute_path",
                        "dir_path",
                        "directory",
                    ] {
                        if let Some(p) = args.get(k).and_then(Json::as_str) {
                            paths.push(p.to_string());
                        }
                    }
                    let output = tool_output(tc.get("result"));
                    let status = status_of(tc.get("status").and_then(Json::as_str), &output);
                    let call_ts = tc
                        .get("timestamp")
                        .and_then(Json::as_str)
                        .and_then(parse_timestamp)
                        .or(ts);
                    events.push(Event::Action(Action {
                        id: tc
                            .get("id")
                            .and_then(Json::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        tool: tool.to_string(),
                        kind: tool_kind(tool),
                        input: ToolInput::from(&args.to_value()),
                        timestamp: call_ts,
                        subagent: subagent.clone(),
                        result: ActionResult {
                            status,
                            output: crate::claude::cap_output(output.into()),
                            timestamp: call_ts,
                            lines: lines_from_display(tc.get("resultDisplay")),
                            exit_code: None,
                        },
                    }));
                }
            }
            Some(k @ ("info" | "error" | "warning")) => {
                let text = text_of(m.get("content"));
                // "Gemini CLI update available! 0.23.0 → 0.24.0": the running version.
                if let Some(rest) = text.split("update available!").nth(1) {
                    if let Some(v) = rest
                        .split('→')
                        .next()
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                    {
                        version.get_or_insert_with(|| v.to_string());
                    }
                }
                if k == "info" && text.trim_start().starts_with("Request cancelled") {
                    events.push(Event::Interrupt {
                        timestamp: ts,
                        subagent: subagent.clone(),
                    });
                } else {
                    events.push(Event::System(SystemNote {
                        kind: k.to_string(),
                        text,
                        timestamp: ts,
                    }));
                }
            }
            Some(other) => {
                diag.skip(
                    name,
                    line(),
                    "unknown-record-type",
                    format!("message type {other:?}"),
                );
            }
            None => {
                diag.skip(name, line(), "record-without-type", "message has no `type`");
            }
        }
    }
    Conv {
        events,
        calls,
        version,
        paths,
        ignored,
    }
}

/// Events of several files merged in time order, each file's own order kept (an event with no
/// time goes with the last timed one before it; ties go to the earlier file: the session's own).
fn merge_by_time(seqs: Vec<Vec<Event>>) -> Vec<Event> {
    if seqs.len() == 1 {
        return seqs.into_iter().next().unwrap_or_default();
    }
    let mut its: Vec<_> = seqs
        .into_iter()
        .map(|v| {
            let mut last = i64::MIN;
            v.into_iter()
                .map(move |e| {
                    if let Some(t) = e.timestamp() {
                        last = t;
                    }
                    (last, e)
                })
                .collect::<Vec<_>>()
                .into_iter()
                .peekable()
        })
        .collect();
    let mut out = Vec::new();
    loop {
        let mut best: Option<(i64, usize)> = None;
        for (k, it) in its.iter_mut().enumerate() {
            if let Some(&(t, _)) = it.peek() {
                if best.is_none_or(|(bt, _)| t < bt) {
                    best = Some((t, k));
                }
            }
        }
        let Some((_, k)) = best else { break };
        if let Some((_, e)) = its[k].next() {
            out.push(e);
        }
    }
    out
}

fn build(
    src: &SessionSource,
    opts: &IngestOptions,
    diag: &mut Diagnostics,
    name: &str,
    parts: Parts,
    subs: Vec<(String, Parts)>,
) -> Option<Session> {
    let session_id = parts.session_id.clone();
    let project = parts.directories.first().cloned();
    let main = convert(parts, name, diag, None);
    let mut source_files = vec![name.to_string()];
    let mut subagents = Vec::new();
    let mut seqs = vec![main.events];
    let mut calls = main.calls;
    let mut version = main.version;
    let mut paths = main.paths;
    let mut ignored = main.ignored;
    for (sname, sp) in subs {
        let id = sp.session_id.clone().unwrap_or_else(|| {
            std::path::Path::new(&sname)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        let c = convert(sp, &sname, diag, Some(&id));
        seqs.push(c.events);
        calls.extend(c.calls);
        version = version.or(c.version);
        paths.extend(c.paths);
        for (k, v) in c.ignored {
            *ignored.entry(k).or_default() += v;
        }
        source_files.push(sname);
        subagents.push(SubagentInfo {
            id,
            agent_type: None,
            layout: "nested".into(),
            is_compaction: false,
        });
    }
    SessionBuilder {
        id: session_id,
        version,
        project,
        paths,
        events: merge_by_time(seqs),
        model_calls: calls,
        subagents,
        ignored,
        source_files: Some(source_files),
        ..SessionBuilder::default()
    }
    .finish(Format::GeminiCli, src, opts, diag, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSONL: &str = concat!(
        r#"{"sessionId":"s1","projectHash":"h","directories":["/w"]}"#,
        "\n",
        r#"{"id":"u1","type":"user","timestamp":"2025-01-01T00:00:00Z","content":[{"text":"fix \"a\"\n"}]}"#,
        "\n",
        r#"{"x":1}{"y":2}"#,
        "\n",
        r#"{"id":"g1","type":"gemini","content":"ok","toolCalls":[{"id":"t1","name":"read_file","args":{"file_path":"/w/\u00e9.rs"},"status":"success","result":[{"functionResponse":{"response":{"output":"x"}}}]}]}"#,
        "\n",
        r#"{"z":3}"#,
        "\n",
        r#"{"$set":{"messages":[{"id":"c1","type":"user","content":"env"}]}}"#,
        "\n",
        r#"{"id":"g2","type":"gemini","content":"gone"}"#,
        "\n",
        r#"{"$rewindTo":"g2"}"#,
        "\n",
    );

    #[test]
    fn one_unknown_record_warning_per_line_after_the_lines_own_warnings() {
        let mut d = Diagnostics::default();
        let mut parts = Parts::default();
        read_jsonl(JSONL.as_bytes(), "s.jsonl", &mut parts, &mut d);
        // Two unknown records glued on line 3 (one warning), one on line 5.
        let unknown: Vec<_> = d
            .warnings
            .iter()
            .filter(|w| w.reason == "unknown-record-type")
            .map(|w| w.line)
            .collect();
        assert_eq!(unknown, vec![Some(3), Some(5)]);
        assert_eq!(d.skipped.get("unknown-record-type"), Some(&2));
        // The glued-records repair is reported first, on the same line.
        let first = d.warnings.iter().position(|w| w.line == Some(3)).unwrap();
        assert_ne!(d.warnings[first].reason, "unknown-record-type");
        assert_eq!(d.records, 9);
        let ids: Vec<_> = parts
            .messages
            .iter()
            .map(|(m, line)| (m.at("id").as_str().unwrap().to_string(), *line))
            .collect();
        assert_eq!(ids, [("u1".into(), 2), ("g1".into(), 4), ("c1".into(), 6)]);
        assert!(parts.synthetic.contains("c1"));
        assert_eq!(parts.ignored.get("rewound-message"), Some(&1));
    }

    #[test]
    fn owned_parts_convert_as_the_borrowed_ones() {
        let read = || {
            let mut d = Diagnostics::default();
            let mut parts = Parts::default();
            read_jsonl(JSONL.as_bytes(), "s.jsonl", &mut parts, &mut d);
            parts
        };
        let mut d = Diagnostics::default();
        let borrowed = convert(read(), "s.jsonl", &mut d, Some("sub"));
        let owned = convert(read().into_owned(), "s.jsonl", &mut d, Some("sub"));
        assert!(owned.events.len() >= 4);
        assert_eq!(
            format!("{:?}", borrowed.events),
            format!("{:?}", owned.events)
        );
        assert_eq!(borrowed.paths, owned.paths);
        assert_eq!(owned.paths, ["/w", "/w/é.rs"]);
        assert_eq!(borrowed.ignored, owned.ignored);
    }

    fn legacy_warnings(doc: &str, owned: bool) -> Vec<(Option<u64>, String)> {
        let src = SessionSource {
            id: "s".into(),
            files: vec![crate::source::SourceFile {
                path: "session-s.json".into(),
                role: crate::source::FileRole::Main,
                bytes: doc.len() as u64,
                span: None,
            }],
            format: Format::GeminiCli,
        };
        let mut d = Diagnostics::default();
        let parts = read_parts(&src, 0, doc.as_bytes(), "s.json", &mut d).unwrap();
        let parts = if owned { parts.into_owned() } else { parts };
        convert(parts, "s.json", &mut d, None);
        assert_eq!(d.records, 1);
        d.warnings.into_iter().map(|w| (w.line, w.reason)).collect()
    }

    #[test]
    fn legacy_documents_warn_on_the_line_each_message_starts() {
        let doc = concat!(
            "{\"sessionId\": \"s\", \"messages\": [\n",
            "  {\"id\": \"a\", \"type\": \"user\", \"content\": \"hi\"NUM},\n",
            "  {\"id\": \"b\",\n   \"type\": \"gemini\", \"toolCalls\": 5},\n",
            "  {\"id\": \"c\"}\n",
            "]}\n"
        );
        let shape = |r: &str| (Some(3), r.to_string());
        // Read in one pass: the lines found when the warnings need them (also once owned).
        for owned in [false, true] {
            assert_eq!(
                legacy_warnings(&doc.replace("NUM", ""), owned),
                [
                    shape("bad-record-shape"),
                    (Some(5), "record-without-type".into())
                ]
            );
        }
        // A message that is not valid by itself (a number out of range): the two-pass read
        // skips that one message and reads the others.
        assert_eq!(
            legacy_warnings(&doc.replace("NUM", ", \"n\": 1e400"), false),
            [
                (Some(2), "invalid-json".into()),
                shape("bad-record-shape"),
                (Some(5), "record-without-type".into())
            ]
        );
    }
}
