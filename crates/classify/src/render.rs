//! Transcript rendering for classifiers (rubric §3): human, assistant and system turns in
//! order, tool calls compact, each turn middle-truncated to 5,000 characters and the whole to
//! 25,000 with a visible marker keeping head and tail. Everything is redacted before it is
//! truncated, so a cut can never leave half a secret that the rules no longer recognise.

use agentstat_redact::{Counts, Redactor};
use agentstat_session::{Action, ActionKind, Event, ResultStatus, Session};
use std::borrow::Cow;

/// Per-turn limit, characters.
pub const TURN_LIMIT: usize = 5_000;
/// Whole-rendering limit, characters.
pub const TOTAL_LIMIT: usize = 25_000;
/// Characters of an ok tool result shown after the call.
const OK_RESULT_CHARS: usize = 160;
/// Characters of an error result shown after the call.
const ERROR_RESULT_CHARS: usize = 600;

/// A rendering and what redaction removed from it.
#[derive(Debug, Clone)]
pub struct Rendering {
    pub text: String,
    pub redactions: Counts,
}

/// Render `session` for a classifier (redacted, truncated).
pub fn render_session(session: &Session) -> String {
    render(session).text
}

/// Render `session`, also returning redaction counts.
pub fn render(session: &Session) -> Rendering {
    let redactor = session_redactor(session);
    let mut counts = Counts::default();
    let project = session
        .project
        .as_deref()
        .unwrap_or("")
        .trim_end_matches(['/', '\\']);
    let mut turns: Vec<String> = Vec::new();
    // Consecutive tool calls form one "tool" turn so the per-turn limit applies to the block.
    let mut tools = String::new();
    let flush = |tools: &mut String, turns: &mut Vec<String>, counts: &mut Counts| {
        if !tools.is_empty() {
            let red = redactor.redact_into(tools.trim_end(), counts);
            turns.push(middle_truncate(&red, TURN_LIMIT));
            tools.clear();
        }
    };
    for ev in &session.events {
        let (label, text) = match ev {
            Event::Action(a) => {
                tools.push_str(&render_action(a, project, &mut |t| {
                    redactor.redact_into(t, &mut counts)
                }));
                tools.push('\n');
                continue;
            }
            Event::Human(h) => {
                let q = if h.queued { "User (queued)" } else { "User" };
                (q.to_string(), h.text.clone())
            }
            Event::AssistantText(a) => {
                let who = if a.subagent.is_some() {
                    "Assistant (subagent)"
                } else {
                    "Assistant"
                };
                (who.to_string(), a.text.clone())
            }
            Event::System(s) => (format!("System: {}", s.kind), s.text.clone()),
            Event::Interrupt { .. } => (
                "Interrupt".to_string(),
                "[user interrupted the agent]".into(),
            ),
            Event::Compaction { .. } => (
                "System: compaction".to_string(),
                "[earlier history was summarised]".into(),
            ),
        };
        flush(&mut tools, &mut turns, &mut counts);
        let red = redactor.redact_into(text.trim(), &mut counts);
        let body = middle_truncate(&red, TURN_LIMIT);
        turns.push(format!("[{label}]\n{body}"));
    }
    flush(&mut tools, &mut turns, &mut counts);
    let whole = turns.join("\n\n");
    Rendering {
        text: truncate_whole(&whole, TOTAL_LIMIT),
        redactions: counts,
    }
}

/// The redactor for one session: built-in rules plus the session owner's user name, read from
/// home directories in the working directory and file paths.
pub fn session_redactor(session: &Session) -> Redactor {
    let mut names = Vec::new();
    if let Some(p) = &session.project {
        names.extend(Redactor::home_names(p));
    }
    for a in session.actions().take(200) {
        if let Some(p) = a.file_path() {
            names.extend(Redactor::home_names(&p));
        }
    }
    // Names the transcript reveals in commands and their outputs (git authors, user.name,
    // user.email), replaced wherever they appear.
    for a in session.actions() {
        if let Some(c) = a.command() {
            names.extend(agentstat_redact::revealed_names(&c));
        }
        if a.result.output.contains('@') || a.result.output.contains("user.name") {
            names.extend(agentstat_redact::revealed_names(&a.result.output));
        }
    }
    names.sort();
    names.dedup();
    Redactor::with_names(names)
}

fn rel<'a>(path: &'a str, project: &str) -> &'a str {
    if !project.is_empty() {
        if let Some(r) = path.strip_prefix(project) {
            let r = r.trim_start_matches(['/', '\\']);
            return if r.is_empty() { "." } else { r };
        }
    }
    path
}

fn one_line(s: &str, max: usize) -> String {
    let first = s
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim();
    let more = s.trim().lines().count() > 1;
    let mut t = truncate_chars(first, max);
    if more || first.chars().count() > max {
        t.push('…');
    }
    t
}

fn truncate_chars(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn str_field<'a>(a: &'a Action, key: &str) -> Option<Cow<'a, str>> {
    a.input.get_str(key)
}

/// One compact line (plus an abbreviated result) for a tool call. Every transcript string goes
/// through `red` (redaction) before it is shortened, so a cut cannot hide half a secret.
fn render_action(a: &Action, project: &str, red: &mut dyn FnMut(&str) -> String) -> String {
    let sub = if a.subagent.is_some() {
        "(subagent) "
    } else {
        ""
    };
    let path = a.file_path().map(|p| red(rel(&p, project)));
    let lines = a
        .result
        .lines
        .map(|l| format!(" +{} -{}", l.added, l.removed))
        .unwrap_or_default();
    let call = match a.kind {
        ActionKind::Shell => {
            format!(
                "[{}: {}]",
                a.tool,
                one_line(&red(&a.command().unwrap_or_default()), 200)
            )
        }
        ActionKind::Edit | ActionKind::Write => {
            format!("[{} {}{}]", a.tool, path.as_deref().unwrap_or("?"), lines)
        }
        ActionKind::Read => format!("[{} {}]", a.tool, path.as_deref().unwrap_or("?")),
        ActionKind::Search => {
            let pat = str_field(a, "pattern")
                .or(str_field(a, "query"))
                .unwrap_or_default();
            let place = str_field(a, "path").map(|p| format!(" in {}", red(rel(&p, project))));
            format!(
                "[{}: {}{}]",
                a.tool,
                one_line(&red(&pat), 120),
                place.unwrap_or_default()
            )
        }
        ActionKind::Web => {
            let what = str_field(a, "url")
                .or(str_field(a, "query"))
                .unwrap_or_default();
            format!("[{}: {}]", a.tool, one_line(&red(&what), 200))
        }
        ActionKind::Subagent => {
            let what = str_field(a, "description")
                .or(str_field(a, "prompt"))
                .unwrap_or_default();
            format!("[{}: {}]", a.tool, one_line(&red(&what), 200))
        }
        ActionKind::Plan => {
            let n = a
                .input
                .value()
                .get("todos")
                .and_then(|t| t.as_array())
                .map(|t| t.len());
            match n {
                Some(n) => format!("[{}: {} items]", a.tool, n),
                None => format!("[{}]", a.tool),
            }
        }
        ActionKind::Other => {
            let mut args = red(&serde_json::to_string(&a.input).unwrap_or_default());
            if args == "{}" || args == "null" {
                args.clear();
            }
            if args.is_empty() {
                format!("[{}]", a.tool)
            } else {
                format!("[{}: {}]", a.tool, one_line(&args, 150))
            }
        }
    };
    let result = match a.result.status {
        ResultStatus::Ok => {
            let out = a.result.output.trim();
            if out.is_empty()
                || matches!(
                    a.kind,
                    ActionKind::Read | ActionKind::Edit | ActionKind::Write
                )
            {
                String::new()
            } else {
                format!(" → {}", one_line(&red(out), OK_RESULT_CHARS))
            }
        }
        ResultStatus::Error => {
            let code = a
                .result
                .exit_code
                .map(|c| format!(" (exit {c})"))
                .unwrap_or_default();
            let out = truncate_chars(&red(a.result.output.trim()), ERROR_RESULT_CHARS)
                .replace('\n', " ⏎ ");
            format!(" → ERROR{code}: {out}")
        }
        ResultStatus::Rejected => " → REJECTED by user".to_string(),
        ResultStatus::Interrupted => " → INTERRUPTED by user".to_string(),
        ResultStatus::Missing => String::new(),
    };
    format!("{sub}{call}{result}")
}

/// Keep the head and tail of `s` within `max` characters, with a marker saying how much of the
/// middle was cut.
pub fn middle_truncate(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let marker_len = 40;
    let keep = max.saturating_sub(marker_len);
    let head = keep / 2;
    let tail = keep - head;
    let omitted = n - head - tail;
    let h: String = s.chars().take(head).collect();
    let t: String = s.chars().skip(n - tail).collect();
    format!("{h}\n[… {omitted} characters cut …]\n{t}")
}

/// Truncate the whole rendering, keeping head and tail around a visible marker.
fn truncate_whole(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    let marker_len = 80;
    let keep = max.saturating_sub(marker_len);
    let head = keep / 2;
    let tail = keep - head;
    let omitted = n - head - tail;
    let h: String = s.chars().take(head).collect();
    let t: String = s.chars().skip(n - tail).collect();
    format!("{h}\n\n[… TRANSCRIPT TRUNCATED: {omitted} characters of the middle omitted …]\n\n{t}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentstat_session::{ActionResult, AssistantText, HumanTurn, LineDelta, SystemNote};

    fn action(tool: &str, kind: ActionKind, input: serde_json::Value, res: ActionResult) -> Event {
        Event::Action(Action {
            id: "t".into(),
            tool: tool.into(),
            kind,
            input: input.into(),
            timestamp: None,
            subagent: None,
            result: res,
        })
    }

    fn session() -> Session {
        Session {
            project: Some("/Users/janedoe/proj".into()),
            events: vec![
                Event::Human(HumanTurn {
                    text: "run the tests".into(),
                    ..Default::default()
                }),
                Event::AssistantText(AssistantText {
                    text: "Running.".into(),
                    ..Default::default()
                }),
                action(
                    "Bash",
                    ActionKind::Shell,
                    serde_json::json!({"command": "cargo test\necho done"}),
                    ActionResult {
                        status: ResultStatus::Error,
                        output: "error[E0308]: mismatched types\nat src/x.rs".into(),
                        exit_code: Some(101),
                        ..Default::default()
                    },
                ),
                action(
                    "Edit",
                    ActionKind::Edit,
                    serde_json::json!({"file_path": "/Users/janedoe/proj/src/x.rs"}),
                    ActionResult {
                        status: ResultStatus::Ok,
                        lines: Some(LineDelta {
                            added: 3,
                            removed: 1,
                        }),
                        ..Default::default()
                    },
                ),
                Event::System(SystemNote {
                    kind: "reminder".into(),
                    text: "note".into(),
                    timestamp: None,
                }),
                Event::Interrupt {
                    timestamp: None,
                    subagent: None,
                },
            ],
            ..Default::default()
        }
    }

    #[test]
    fn renders_turns_and_compact_tool_calls() {
        let r = render(&session());
        let t = &r.text;
        assert!(
            t.starts_with("[User]\nrun the tests\n\n[Assistant]\nRunning."),
            "{t}"
        );
        assert!(t.contains("[Bash: cargo test…] → ERROR (exit 101): error[E0308]: mismatched types ⏎ at src/x.rs"), "{t}");
        assert!(t.contains("[Edit src/x.rs +3 -1]"), "{t}");
        assert!(t.contains("[System: reminder]\nnote"));
        assert!(t.contains("[Interrupt]"));
        assert!(!t.contains("janedoe"));
    }

    #[test]
    fn truncates_turns_and_whole() {
        let mut s = Session::default();
        for i in 0..20 {
            let body = format!("{i}:{}", "a".repeat(9_000));
            s.events.push(Event::Human(HumanTurn {
                text: body,
                ..Default::default()
            }));
        }
        let t = render_session(&s);
        assert!(t.chars().count() <= TOTAL_LIMIT, "{}", t.chars().count());
        assert!(t.contains("characters cut"));
        assert!(t.contains("TRANSCRIPT TRUNCATED"));
        assert!(t.starts_with("[User]\n0:"));
        assert!(t.contains("19:"), "tail kept");
        let one = middle_truncate(&"é".repeat(6_000), TURN_LIMIT);
        assert!(one.chars().count() <= TURN_LIMIT);
    }

    proptest::proptest! {
        #[test]
        fn any_session_renders_within_limits(
            texts in proptest::collection::vec("\\PC{0,300}", 0..30),
            cmd in "\\PC{0,400}",
        ) {
            let mut s = session();
            for (i, t) in texts.iter().enumerate() {
                s.events.push(match i % 3 {
                    0 => Event::Human(HumanTurn { text: t.repeat(40), ..Default::default() }),
                    1 => Event::AssistantText(AssistantText { text: t.clone(), ..Default::default() }),
                    _ => action("Bash", ActionKind::Shell, serde_json::json!({"command": cmd}),
                        ActionResult { status: ResultStatus::Error, output: t.repeat(9), ..Default::default() }),
                });
            }
            let r = render_session(&s);
            proptest::prop_assert!(r.chars().count() <= TOTAL_LIMIT);
            proptest::prop_assert!(r.starts_with("[User]"));
        }
    }
}
