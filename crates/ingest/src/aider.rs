//! Aider chat histories (`.aider.chat.history.md`), as written by aider's `InputOutput`:
//! - `# aider chat started at YYYY-MM-DD HH:MM:SS` opens a session (local time, no zone); one
//!   file holds every session run in that directory, so discovery splits it at these lines;
//! - `#### text` is what the person typed (each line of a multi-line input prefixed);
//! - `> text` is aider's own output: version and model banners, `Tokens: … sent, … received`,
//!   `Applied edit to PATH`, `Commit HASH MSG`, `^C again to exit`, confirmations, errors;
//! - any other line is the model's reply, where SEARCH/REPLACE blocks are the edits.
//!
//! The website's example transcripts wrap the same format in
//! `<div class="chat-transcript" markdown="1">` blocks; only those blocks are read there.
//! See docs/FORMATS.md for what is and is not known.

use crate::build::SessionBuilder;
use crate::common;
use crate::diag::Diagnostics;
use crate::source::{Format, SessionSource};
use crate::IngestOptions;
use agentstat_session::{
    parse_timestamp, Action, ActionKind, ActionResult, AssistantText, Event, HumanTurn, Millis,
    ModelCall, ResultStatus, Session, SystemNote, ToolInput,
};
use serde_json::json;
use std::collections::BTreeMap;

const HEADER: &[u8] = b"# aider chat started at";

/// Byte ranges of the sessions in a history: one per `# aider chat started at` line (text
/// before the first header is a session of its own when it is not blank).
pub fn session_spans(b: &[u8]) -> Vec<(usize, usize)> {
    let mut starts: Vec<usize> = Vec::new();
    if b.starts_with(HEADER) {
        starts.push(0);
    }
    for i in memchr::memmem::find_iter(b, b"\n# aider chat started at") {
        starts.push(i + 1);
    }
    let mut spans = Vec::new();
    let first = starts.first().copied().unwrap_or(b.len());
    if first > 0 {
        if b[..first].iter().all(u8::is_ascii_whitespace) {
            // Blank lines before the first header belong to it (spans cover the file).
            if let Some(s) = starts.first_mut() {
                *s = 0;
            }
        } else {
            spans.push((0, first));
        }
    }
    for (k, &s) in starts.iter().enumerate() {
        let e = starts.get(k + 1).copied().unwrap_or(b.len());
        spans.push((s, e));
    }
    if spans.is_empty() {
        spans.push((0, b.len()));
    }
    spans
}

/// The id of the session in `span` (one of [`session_spans`], empty leading sessions folded
/// in), the same wherever the history lies and however it is named:
/// `aider-<YYYY-MM-DDTHH:MM:SS>-<hash>`, the time of the session's own (last) `# aider chat
/// started at` line and a hash ([`crate::ident::short_hash`]) of its bytes from that line to
/// the end of the first thing the person typed (the first run of `####` lines) — written in the
/// session's first seconds, so the id holds while the session and the file grow. A session in
/// which nothing was typed hashes its first 64 KiB; a span with no header (text before the
/// first one, the website's examples) is `aider-<hash>`.
pub fn session_id(span: &[u8]) -> String {
    // The session's own header: the last one (empty sessions folded in come before it).
    let own = if span.starts_with(HEADER) {
        let mut at = 0;
        for i in memchr::memmem::find_iter(span, b"\n# aider chat started at") {
            at = i + 1;
        }
        Some(at)
    } else {
        memchr::memmem::find_iter(span, b"\n# aider chat started at")
            .last()
            .map(|i| i + 1)
    };
    let body = &span[own.unwrap_or(0)..];
    let time = own.and_then(|_| {
        let line = &body[HEADER.len()..];
        let line = &line[..memchr::memchr(b'\n', line).unwrap_or(line.len())];
        crate::ident::compact_time(&String::from_utf8_lossy(line))
    });
    // The end of the first run of `####` lines.
    let mut end = None;
    let mut at = 0;
    while at < body.len() {
        let next = memchr::memchr(b'\n', &body[at..]).map_or(body.len(), |i| at + i + 1);
        let typed = body[at..next].starts_with(b"####");
        match (typed, end) {
            (true, _) => end = Some(next),
            (false, Some(_)) => break,
            (false, None) => {}
        }
        at = next;
    }
    let material = &body[..end.unwrap_or(body.len().min(crate::ident::HEAD_BYTES))];
    let hash = crate::ident::short_hash(material);
    match time {
        Some(t) => format!("aider-{t}-{hash}"),
        None => format!("aider-{hash}"),
    }
}

/// A span that is only a session header and blank lines.
pub fn is_empty_session(span: &[u8]) -> bool {
    let rest = match span.strip_prefix(HEADER) {
        Some(r) => match memchr::memchr(b'\n', r) {
            Some(i) => &r[i..],
            None => &[][..],
        },
        None => span,
    };
    rest.iter().all(u8::is_ascii_whitespace)
}

/// Slash commands whose text goes to the model (with arguments): prompts.
const PROMPT_COMMANDS: &[&str] = &["/ask", "/code", "/architect", "/context", "/help"];

#[derive(PartialEq, Clone, Copy)]
enum Kind {
    User,
    Tool,
    /// Lines after the first of a multi-line message of aider's (no `> ` prefix).
    ToolMore,
    Assistant,
}

/// Numbers as aider prints them: `1,234`, `2.4k`, `1.2M`.
fn tokens(s: &str) -> Option<u64> {
    let s = s.trim().replace(',', "");
    let (num, mul) = if let Some(n) = s.strip_suffix('k') {
        (n, 1e3)
    } else if let Some(n) = s.strip_suffix('M') {
        (n, 1e6)
    } else {
        (s.as_str(), 1.0)
    };
    num.parse::<f64>().ok().map(|v| (v * mul).round() as u64)
}

/// `Tokens: 2.4k sent, 1.2k cache hit, 279 received. Cost: …` → (sent, received, cache hit,
/// cache write).
fn parse_tokens(line: &str) -> Option<(u64, u64, u64, u64)> {
    let rest = line.strip_prefix("Tokens: ")?;
    let num_before = |label: &str| -> Option<u64> {
        let i = rest.find(label)?;
        let head = rest[..i].trim_end();
        // Start of the number: just past the last character that cannot be part of it (its
        // own width, so a multi-byte character is never cut).
        let start = head
            .char_indices()
            .rev()
            .find(|&(_, c)| !(c.is_ascii_digit() || matches!(c, '.' | ',' | 'k' | 'M')))
            .map(|(j, c)| j + c.len_utf8())
            .unwrap_or(0);
        tokens(&head[start..])
    };
    Some((
        num_before(" sent")?,
        num_before(" received").unwrap_or(0),
        num_before(" cache hit").unwrap_or(0),
        num_before(" cache write").unwrap_or(0),
    ))
}

/// The model name in `Model: NAME with …`, `Models: NAME with …`, `Main model: NAME with …`.
fn parse_model(line: &str) -> Option<&str> {
    let rest = line
        .strip_prefix("Main model: ")
        .or_else(|| line.strip_prefix("Models: "))
        .or_else(|| line.strip_prefix("Model: "))?;
    rest.split_whitespace().next()
}

/// An opening or closing fence as aider writes them: ```` ``` ```` (any length, with a
/// language) or `<source>` / `</source>` (the fence it uses for some models).
fn is_fence(l: &str) -> bool {
    l.starts_with("```") || l.starts_with("<source") || l.starts_with("</source")
}

/// One SEARCH/REPLACE edit found in a reply.
struct Edit {
    path: String,
    search: String,
    replace: String,
}

/// SEARCH/REPLACE (or the older ORIGINAL/UPDATED) blocks of a reply, with their file names,
/// and the indexes of blocks left unclosed (a truncated reply).
fn edit_blocks(lines: &[&str]) -> (Vec<Edit>, Vec<usize>) {
    let mut out = Vec::new();
    let mut unclosed = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let l = lines[i].trim_end();
        if l.starts_with("<<<<<<< SEARCH") || l.starts_with("<<<<<<< ORIGINAL") {
            // File name: the nearest non-fence, non-blank line above.
            let path = lines[..i]
                .iter()
                .rev()
                .map(|s| s.trim())
                .find(|s| !s.is_empty() && !is_fence(s))
                .unwrap_or("")
                .trim_matches(|c| c == '`' || c == '*')
                .to_string();
            let mut search = String::new();
            let mut replace = String::new();
            let mut in_replace = false;
            let mut j = i + 1;
            let mut closed = false;
            while j < lines.len() {
                let t = lines[j].trim_end();
                if t == "=======" && !in_replace {
                    in_replace = true;
                } else if t.starts_with(">>>>>>> REPLACE") || t.starts_with(">>>>>>> UPDATED") {
                    closed = true;
                    break;
                } else if in_replace {
                    replace.push_str(lines[j]);
                    replace.push('\n');
                } else {
                    search.push_str(lines[j]);
                    search.push('\n');
                }
                j += 1;
            }
            if closed {
                out.push(Edit {
                    path,
                    search,
                    replace,
                });
            } else {
                unclosed.push(i);
            }
            i = j + 1;
        } else {
            i += 1;
        }
    }
    (out, unclosed)
}

/// aider prints `^C again to exit` for every Ctrl-C: while the model works (an interrupt) and at
/// the input prompt, where there is nothing to interrupt (a second Ctrl-C within two seconds exits
/// aider; pressing it to leave is the usual way out). A Ctrl-C interrupted work when the person's
/// prompt is the last thing before it, when the model's reply comes after it (a command such as
/// `/web` had sent a request), or when it follows a reply with no aider output in between (the
/// reply was cut off while streaming: a finished one is followed by its token count, applied
/// edits or the like). The others are removed and counted (`ctrl-c-at-prompt`).
fn keep_ctrl_c_that_interrupted_work(events: &mut Vec<Event>, ignored: &mut BTreeMap<String, u64>) {
    let is_output = |e: &Event| matches!(e, Event::System(n) if n.kind == "tool_output");
    let mut drop = vec![false; events.len()];
    for i in 0..events.len() {
        if !matches!(events[i], Event::Interrupt { .. }) {
            continue;
        }
        let before = events[..i]
            .iter()
            .rev()
            .find(|e| !is_output(e) && !matches!(e, Event::Interrupt { .. }));
        let after = events[i + 1..]
            .iter()
            .find(|e| !is_output(e) && !matches!(e, Event::Interrupt { .. }));
        // The output block holding this `^C` line: anything printed before it?
        let printed_before = match events.get(i + 1) {
            Some(Event::System(n)) if n.kind == "tool_output" => n
                .text
                .lines()
                .take_while(|l| !l.starts_with("^C again to exit"))
                .any(|l| !l.trim().is_empty()),
            _ => false,
        };
        let working = matches!(before, Some(Event::Human(_)))
            || matches!(after, Some(Event::AssistantText(_)))
            || (matches!(before, Some(Event::AssistantText(_))) && !printed_before);
        drop[i] = !working;
    }
    let n = drop.iter().filter(|&&d| d).count() as u64;
    if n > 0 {
        *ignored.entry("ctrl-c-at-prompt".into()).or_default() += n;
        let mut k = 0;
        events.retain(|_| {
            k += 1;
            !drop[k - 1]
        });
    }
}

/// Read one session of an Aider history.
pub fn read_session(
    src: &SessionSource,
    opts: &IngestOptions,
    diag: &mut Diagnostics,
) -> Option<Session> {
    let (name, buf) = common::read_source(src, diag)?;
    // Line numbers in warnings are the file's: count the lines before this session's span.
    let first_line = || -> u64 {
        match src.files[0].span {
            Some((a, _)) if a > 0 => std::fs::read(&src.files[0].path)
                .map(|b| common::line_at(&b, a as usize))
                .unwrap_or(1),
            _ => 1,
        }
    };
    let text = match std::str::from_utf8(&buf) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(e) => {
            diag.recover(
                &name,
                Some(first_line() - 1 + common::line_at(&buf, e.valid_up_to())),
                "invalid-utf8",
                "invalid UTF-8 replaced with U+FFFD",
            );
            String::from_utf8_lossy(&buf)
        }
    };
    // A website example page: no session header, the transcript inside `chat-transcript` divs.
    let website = !text.starts_with("# aider chat started at")
        && text
            .lines()
            .any(|l| l.starts_with("<div class=\"chat-transcript\""));
    let mut ignored: BTreeMap<String, u64> = BTreeMap::new();
    // Classify lines and group runs of one kind.
    let mut runs: Vec<(Kind, Vec<&str>, usize)> = Vec::new();
    let mut start: Option<Millis> = None;
    let mut inside = !website;
    let mut front_matter = false;
    let all: Vec<&str> = text.lines().collect();
    // aider ends every logged message with two spaces (`append_chat_history(linebreak=True)`):
    // an input's every line, and the last line of its own output, whose first line alone gets
    // the `> ` (so the lines in between look like the model's reply). For each line: the first
    // line at or after it that ends a message, and the first input line or session header.
    // Hand-edited pages (the website's) do not keep these marks: not used there.
    let marks = !website
        && all
            .iter()
            .any(|l| l.starts_with("####") && l.ends_with("  "));
    let (next_end, next_input) = if marks {
        let n = all.len();
        let (mut e, mut u) = (vec![n; n + 1], vec![n; n + 1]);
        for i in (0..n).rev() {
            e[i] = if all[i].ends_with("  ") { i } else { e[i + 1] };
            u[i] = if all[i].starts_with("####") || all[i].starts_with("# aider chat started at") {
                i
            } else {
                u[i + 1]
            };
        }
        (e, u)
    } else {
        (Vec::new(), Vec::new())
    };
    // Lines before this index continue aider's multi-line message.
    let mut tool_until = 0usize;
    // Kind of the last non-blank line (model text, input, or aider's output).
    let mut last_kind: Option<Kind> = None;
    for (i, raw) in all.iter().copied().enumerate() {
        if website {
            if i == 0 && raw.trim() == "---" {
                front_matter = true;
                continue;
            }
            if front_matter {
                front_matter = raw.trim() != "---";
                continue;
            }
            if raw.starts_with("<div class=\"chat-transcript\"") {
                inside = true;
                continue;
            }
            if raw.trim() == "</div>" {
                inside = false;
                continue;
            }
            if !inside {
                if !raw.trim().is_empty() {
                    *ignored.entry("page-text".into()).or_default() += 1;
                }
                continue;
            }
        }
        if let Some(ts) = raw.strip_prefix("# aider chat started at ") {
            // The last header of a span is its session's (an empty session before it may have
            // been folded in by discovery).
            start = parse_timestamp(ts.trim()).or(start);
            continue;
        }
        let user_line = raw
            .strip_prefix("#### ")
            .or(if raw == "####" { Some("") } else { None });
        let (kind, body) = if i < tool_until {
            // The rest of a multi-line message of aider's: its output, not the model's.
            (Kind::ToolMore, raw.strip_suffix("  ").unwrap_or(raw))
        } else if let Some(b) = user_line.filter(|_| {
            // A `#### ` heading inside the model's reply: no end-of-message mark, and model
            // text before it (inputs always carry the mark where the history has them).
            !(marks && !raw.ends_with("  ") && last_kind == Some(Kind::Assistant))
        }) {
            (Kind::User, b.strip_suffix("  ").unwrap_or(b))
        } else if let Some(b) = raw
            .strip_prefix("> ")
            .or(if raw == ">" { Some("") } else { None })
        {
            if marks && !raw.ends_with("  ") {
                // Its message goes on to the next line ending with the mark, when that comes
                // before the next input.
                let j = next_end[i + 1];
                if j < next_input[i + 1] {
                    tool_until = j + 1;
                }
            }
            (Kind::Tool, b.strip_suffix("  ").unwrap_or(b))
        } else {
            (Kind::Assistant, raw)
        };
        if !raw.trim().is_empty() {
            last_kind = Some(kind);
        }
        match runs.last_mut() {
            Some((k, v, _)) if *k == kind => v.push(body),
            _ => runs.push((kind, vec![body], i)),
        }
    }

    let mut events: Vec<Event> = Vec::new();
    if let Some(ts) = start {
        events.push(Event::System(SystemNote {
            kind: "session_start".into(),
            text: String::new(),
            timestamp: Some(ts),
        }));
    }
    let mut calls: Vec<ModelCall> = Vec::new();
    let mut version: Option<String> = None;
    let mut model: Option<String> = None;
    let mut entrypoint: Option<String> = None;
    let mut paths: Vec<String> = Vec::new();
    // Edits awaiting their "Applied edit" line: index into `events`.
    let mut pending: Vec<usize> = Vec::new();
    let mut n_actions = 0usize;
    // The message of the last `/ask`-style command: aider logs it again as plain input.
    let mut echo: Option<(String, String)> = None;
    for (kind, lines, _) in &runs {
        match kind {
            Kind::User => {
                // Edits not confirmed before the next input stay without a result.
                pending.clear();
                let t = lines.join("\n");
                let trimmed = t.trim();
                if trimmed.is_empty() || trimmed == "<blank>" {
                    *ignored.entry("blank-input".into()).or_default() += 1;
                    continue;
                }
                // `/help Q` logs the help chat's message: the question with the documents
                // retrieved for it, headed `# Question:`.
                if echo.take().is_some_and(|(cmd, msg)| {
                    msg == trimmed || (cmd == "/help" && trimmed.starts_with("# Question:"))
                }) {
                    *ignored.entry("command-echo".into()).or_default() += 1;
                    continue;
                }
                if trimmed.starts_with('/') {
                    let cmd = trimmed.split_whitespace().next().unwrap_or("");
                    let has_args = trimmed.len() > cmd.len();
                    if PROMPT_COMMANDS.contains(&cmd) && has_args {
                        echo = Some((cmd.to_string(), trimmed[cmd.len()..].trim().to_string()));
                        events.push(Event::Human(HumanTurn {
                            text: t,
                            ..Default::default()
                        }));
                    } else {
                        events.push(Event::System(SystemNote {
                            kind: "command".into(),
                            text: t,
                            timestamp: None,
                        }));
                    }
                    continue;
                }
                // A confirmation answered from a group preference is logged as input.
                if trimmed.contains("(Y)es/(N)o") {
                    events.push(Event::System(SystemNote {
                        kind: "confirmation".into(),
                        text: t,
                        timestamp: None,
                    }));
                    continue;
                }
                events.push(Event::Human(HumanTurn {
                    text: t,
                    ..Default::default()
                }));
            }
            Kind::Assistant => {
                let t = lines.join("\n");
                if t.trim().is_empty() {
                    continue;
                }
                events.push(Event::AssistantText(AssistantText {
                    text: t.trim().to_string(),
                    timestamp: None,
                    model: model.clone(),
                    subagent: None,
                }));
                let (edits, unclosed) = edit_blocks(lines);
                // A block cut off (the reply was interrupted or ran out): never applied.
                diag.ignore("unfinished-edit-block", unclosed.len() as u64);
                for e in edits {
                    n_actions += 1;
                    let kind = if e.search.trim().is_empty() {
                        ActionKind::Write
                    } else {
                        ActionKind::Edit
                    };
                    let input = if kind == ActionKind::Write {
                        json!({"file_path": e.path, "content": e.replace})
                    } else {
                        json!({"file_path": e.path, "old_string": e.search, "new_string": e.replace})
                    };
                    pending.push(events.len());
                    events.push(Event::Action(Action {
                        id: format!("aider-edit-{n_actions}"),
                        tool: "search_replace".into(),
                        kind,
                        input: ToolInput::from(input),
                        timestamp: None,
                        subagent: None,
                        result: ActionResult::default(),
                    }));
                }
            }
            Kind::ToolMore => {
                let t = lines.join("\n");
                if !t.trim().is_empty() {
                    events.push(Event::System(SystemNote {
                        kind: "tool_output".into(),
                        text: t,
                        timestamp: None,
                    }));
                }
            }
            Kind::Tool => {
                let mut sys = String::new();
                for l in lines {
                    let l = l.trim_end();
                    if version.is_none() {
                        if let Some(v) = l.strip_prefix("Aider v") {
                            version = v.split_whitespace().next().map(str::to_string);
                        }
                    }
                    if let Some(m) = parse_model(l) {
                        model = Some(m.to_string());
                    }
                    // The command line aider was started with.
                    let cmdline = l.strip_prefix("$ ").unwrap_or(l);
                    let first_word = cmdline.split_whitespace().next().unwrap_or("");
                    if entrypoint.is_none()
                        && (first_word == "aider" || first_word.ends_with("/aider"))
                    {
                        paths.push(first_word.to_string());
                        let scripted = cmdline.split_whitespace().any(|a| {
                            matches!(a, "--message" | "--msg" | "-m" | "--message-file" | "-f")
                                || a.starts_with("--message=")
                                || a.starts_with("--msg=")
                                || a.starts_with("--message-file=")
                        });
                        entrypoint = Some(if scripted { "sdk-cli" } else { "cli" }.to_string());
                    }
                    if let Some((sent, recv, cr, cw)) = parse_tokens(l) {
                        calls.push(ModelCall {
                            message_id: format!("aider-call-{}", calls.len() + 1),
                            request_id: None,
                            model: model.clone(),
                            timestamp: None,
                            input_tokens: sent.saturating_sub(cr + cw),
                            output_tokens: recv,
                            cache_read_tokens: cr,
                            cache_creation_tokens: cw,
                            subagent: None,
                        });
                    } else if let Some(p) = l.strip_prefix("Applied edit to ") {
                        let p = p.trim();
                        paths.push(p.to_string());
                        let mut hit = false;
                        pending.retain(|&ix| {
                            if let Event::Action(a) = &mut events[ix] {
                                if a.file_path().as_deref() == Some(p) && !hit {
                                    a.result.status = ResultStatus::Ok;
                                    a.result.output = l.to_string();
                                    hit = true;
                                    return false;
                                }
                            }
                            true
                        });
                        if hit {
                            // Every other block for the same file was applied too.
                            pending.retain(|&ix| {
                                if let Event::Action(a) = &mut events[ix] {
                                    if a.file_path().as_deref() == Some(p) {
                                        a.result.status = ResultStatus::Ok;
                                        return false;
                                    }
                                }
                                true
                            });
                        }
                    } else if l.contains("SearchReplaceNoExactMatch")
                        || l.starts_with("The LLM did not conform to the edit format")
                        || l.contains("SEARCH/REPLACE block failed to match")
                        || l.contains("SEARCH/REPLACE blocks failed to match")
                        || l.starts_with("Did not apply edit to")
                    {
                        for ix in pending.drain(..) {
                            if let Event::Action(a) = &mut events[ix] {
                                a.result.status = ResultStatus::Error;
                                a.result.output = l.to_string();
                            }
                        }
                    } else if let Some(rest) = l.strip_prefix("Commit ") {
                        let mut it = rest.splitn(2, ' ');
                        let hash = it.next().unwrap_or("");
                        let msg = it.next().unwrap_or("").trim();
                        if hash.len() >= 7 && hash.chars().all(|c| c.is_ascii_hexdigit()) {
                            n_actions += 1;
                            events.push(Event::Action(Action {
                                id: format!("aider-commit-{n_actions}"),
                                tool: agentstat_session::AUTO_COMMIT_TOOL.into(),
                                kind: ActionKind::Shell,
                                input: ToolInput::from(json!({
                                    "command": format!("git commit -m {}", shell_quote(msg)),
                                })),
                                timestamp: None,
                                subagent: None,
                                result: ActionResult {
                                    status: ResultStatus::Ok,
                                    output: l.to_string(),
                                    ..Default::default()
                                },
                            }));
                        }
                    } else if l.starts_with("^C again to exit") {
                        events.push(Event::Interrupt {
                            timestamp: None,
                            subagent: None,
                        });
                    }
                    sys.push_str(l);
                    sys.push('\n');
                }
                if !sys.trim().is_empty() {
                    events.push(Event::System(SystemNote {
                        kind: "tool_output".into(),
                        text: sys,
                        timestamp: None,
                    }));
                }
            }
        }
    }
    keep_ctrl_c_that_interrupted_work(&mut events, &mut ignored);
    let has_content = events
        .iter()
        .any(|e| !matches!(e, Event::System(n) if n.kind == "session_start"));
    if !has_content {
        // Aider started and quit with nothing said: counted, not a session.
        diag.ignore("empty-session", 1);
        for (k, v) in &ignored {
            diag.ignore(k, *v);
        }
        return None;
    }
    diag.records += runs.len() as u64;
    // Home directories in the command line, applied-edit paths, then anywhere in aider's output.
    let tool_text: String = events
        .iter()
        .filter_map(|e| match e {
            Event::System(n) => Some(n.text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n");
    paths.extend(common::home_paths(&tool_text).map(str::to_string));
    SessionBuilder {
        version,
        edits_applied_after_reply: true,
        entrypoint,
        paths,
        events,
        model_calls: calls,
        ignored,
        source_files: Some(vec![name.clone()]),
        ..SessionBuilder::default()
    }
    .finish(Format::Aider, src, opts, diag, &name)
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
