//! What each format cannot tell comes out unknown (`None`), not 0, and what it can tell comes
//! out known: every fixture session of every format, measured (docs/FORMATS.md, "What a format
//! cannot tell").

use agentstat_ingest::{discover, read_session, Diagnostics, Format, IngestOptions};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// (sessions, input tokens known, output tokens known, lines known, model calls known).
type Known = (usize, usize, usize, usize, usize);
/// Per format.
type Seen = BTreeMap<String, Known>;

fn seen() -> Seen {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures"));
    let mut diag = Diagnostics::default();
    let srcs = discover(std::slice::from_ref(&root), &mut diag);
    let opts = IngestOptions {
        user_label: None,
        salt: b"test".to_vec(),
    };
    let mut out = Seen::new();
    for src in &srcs {
        let Some(s) = read_session(src, &opts, &mut diag) else {
            continue;
        };
        let t = agentstat_telemetry::measure(&s);
        let e = out.entry(format!("{:?}", src.format)).or_default();
        e.0 += 1;
        e.1 += usize::from(t.input_tokens.is_some());
        e.2 += usize::from(t.output_tokens.is_some());
        e.3 += usize::from(t.lines_added.is_some());
        e.4 += usize::from(t.model_calls.is_some());
    }
    out
}

#[test]
fn each_format_says_unknown_for_what_it_cannot_tell() {
    // (sessions, input tokens known, output tokens known, lines known, model calls known),
    // reviewed per fixture:
    let want: &[(&str, Known)] = &[
        // `Tokens:` lines in one of the four chats only.
        ("Aider", (4, 1, 1, 4, 1)),
        ("ClaudeCode", (7, 7, 7, 7, 7)),
        ("Cline", (1, 1, 1, 1, 1)),
        // The legacy rollout, the August 2025 one and the damaged file carry no `token_count`.
        ("Codex", (5, 2, 2, 5, 2)),
        // Output tokens only: input unknown but in the damaged file, which answers nothing (a
        // known zero).
        ("CopilotCli", (3, 1, 3, 3, 3)),
        // No tokens (the damaged file answers nothing: known zeros); the `.txt` session's only
        // change is a `Delete`, whose size is not recorded: lines unknown.
        ("Cursor", (3, 1, 1, 2, 1)),
        // The subagent's file records no `tokens`.
        ("GeminiCli", (3, 2, 2, 3, 2)),
        ("OpenCode", (2, 2, 2, 2, 2)),
        ("OpenHands", (1, 1, 1, 1, 1)),
        ("Pi", (3, 3, 3, 3, 3)),
        ("QwenCode", (1, 1, 1, 1, 1)),
        // Exports record no tokens and no requests.
        ("SpecStory", (2, 0, 0, 2, 0)),
        // The function-calling trajectory's `model_stats` has no token counts (but its calls).
        ("SweAgent", (2, 1, 1, 2, 2)),
    ];
    let got = seen();
    let got: Vec<(&str, Known)> = got.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(got, want);
    assert_eq!(
        want.len(),
        Format::ALL.len(),
        "every format has fixtures here"
    );
}
