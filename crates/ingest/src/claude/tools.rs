//! Claude Code tool names → kinds, and the cap on kept tool output.

#[allow(unused_imports)]
use super::*;

/// Tool output kept per result: head and tail around a marker, so error tails survive.
pub const OUTPUT_CAP: usize = 16 * 1024;

/// Normalized kind of a Claude Code tool name (names across CLI versions).
pub fn tool_kind(name: &str) -> ActionKind {
    match name {
        "Read" | "NotebookRead" | "View" => ActionKind::Read,
        "Glob" | "Grep" | "LS" | "GlobTool" | "GrepTool" | "LSP" => ActionKind::Search,
        "Edit" | "MultiEdit" | "NotebookEdit" | "Replace" | "NotebookEditCell" => ActionKind::Edit,
        "Write" => ActionKind::Write,
        "Bash" | "BashOutput" | "TaskOutput" | "KillShell" | "KillBash" | "TaskStop"
        | "Monitor" | "PowerShell" => ActionKind::Shell,
        "WebFetch" | "WebSearch" => ActionKind::Web,
        "Task" | "Agent" => ActionKind::Subagent,
        "TodoWrite" | "TodoRead" | "TaskCreate" | "TaskUpdate" | "TaskList" | "TaskGet"
        | "ExitPlanMode" | "EnterPlanMode" => ActionKind::Plan,
        n if n.starts_with("mcp__") => {
            let l = n.to_ascii_lowercase();
            const WEB: [&str; 9] = [
                "search",
                "fetch",
                "browser",
                "web",
                "tavily",
                "firecrawl",
                "exa",
                "perplexity",
                "brave",
            ];
            if WEB.iter().any(|w| l.contains(w)) {
                ActionKind::Web
            } else {
                ActionKind::Other
            }
        }
        _ => ActionKind::Other,
    }
}

/// Keep the head and tail of a long output around a visible marker (char-boundary safe).
pub fn cap_output(s: std::borrow::Cow<'_, str>) -> String {
    if s.len() <= OUTPUT_CAP {
        return s.into_owned();
    }
    let half = OUTPUT_CAP / 2;
    let mut h = half;
    while !s.is_char_boundary(h) {
        h -= 1;
    }
    let mut t = s.len() - half;
    while !s.is_char_boundary(t) {
        t += 1;
    }
    format!("{}\n[… {} bytes truncated …]\n{}", &s[..h], t - h, &s[t..])
}
