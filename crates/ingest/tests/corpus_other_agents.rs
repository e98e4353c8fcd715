//! The real transcripts of the other agents in ../shared/corpus (gemini-cli, cursor-specstory,
//! aider, openhands, swe-agent): every file is read with zero unexplained skips, and reviewed
//! per-session values hold. The table of expected values, with why each holds, is
//! docs/corpus-expected-other-agents.md.

use agentstat_ingest::{discover, read_session, Diagnostics, Format, IngestOptions};
use agentstat_session::{parse_timestamp, Session};
use std::path::PathBuf;

fn corpus(folder: &str) -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus"
    ))
    .join(folder);
    if p.is_dir() {
        return Some(p);
    }
    if std::env::var("AGENTSTAT_REQUIRE_CORPUS").as_deref() == Ok("1") {
        panic!(
            "corpus not found at {} and AGENTSTAT_REQUIRE_CORPUS=1",
            p.display()
        );
    }
    eprintln!("corpus not found at {}, skipped", p.display());
    None
}

struct Read {
    sessions: Vec<(String, Session)>,
    diag: Diagnostics,
    files: usize,
}

fn read_folder(folder: &str, format: Format) -> Option<Read> {
    let root = corpus(folder)?;
    let mut diag = Diagnostics::default();
    let srcs = discover(std::slice::from_ref(&root), &mut diag);
    assert!(
        srcs.iter().all(|s| s.format == format),
        "{folder}: every source is {format:?}"
    );
    let opts = IngestOptions {
        user_label: None,
        salt: b"corpus-test".to_vec(),
    };
    let sessions = srcs
        .iter()
        .filter_map(|s| {
            let name = s.files[0]
                .path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            read_session(s, &opts, &mut diag).map(|x| (name, x))
        })
        .collect();
    let files = std::fs::read_dir(&root).unwrap().flatten().count();
    Some(Read {
        sessions,
        diag,
        files,
    })
}

/// Read and deliberately not used, per format (docs/FORMATS.md says why).
const EXPLAINED: &[&str] = &[
    // Entire's metadata sidecars beside the Gemini sessions: not transcripts.
    "file-not-a-transcript:.json",
    "message-update",
    "rewound-message",
    "history-sync",
    "gemini-json-superseded-by-jsonl",
    "empty-user-message",
    "empty-user-turn",
    "thinking",
    "empty-session",
    "blank-input",
    "command-echo",
    "page-text",
    "unfinished-edit-block",
    // Aider: Ctrl-C at the input prompt (nothing to interrupt; usually leaving aider).
    "ctrl-c-at-prompt",
    "observation:agent_state_changed",
    "observation:null",
    "action:change_agent_state",
    "empty-action",
    // pi / Oh My Pi: the header, settings changes, extension state, the session's title line.
    "session-header",
    "model_change",
    "thinking_level_change",
    "session_init",
    "extension-state",
    "credential_pin",
    "title",
    // Copilot CLI: the session's start and settings, hooks, turn boundaries, tool starts (the
    // request on the assistant message is the call), permission prompts, notices.
    "session.start",
    "session.model_change",
    "session.info",
    "session.mode_changed",
    "session.plan_changed",
    "session.permissions_changed",
    "session.shutdown",
    "system.message",
    "system.notification",
    "assistant.turn_start",
    "assistant.turn_end",
    "tool.execution_start",
    "hook.start",
    "hook.end",
    "permission.requested",
    "permission.completed",
    "skill.invoked",
    // OpenCode: step boundaries (each `step-finish` is a model request), the snapshot of files a
    // step changed (the tool calls carry the edits).
    "step-start",
    "patch-snapshot",
];

fn check_clean(folder: &str, r: &Read) {
    assert!(
        r.diag.skipped.is_empty(),
        "{folder}: unexplained skips {:?}\n{:#?}",
        r.diag.skipped,
        r.diag.warnings
    );
    assert!(
        r.diag.recovered.is_empty(),
        "{folder}: {:?}",
        r.diag.recovered
    );
    for k in r.diag.ignored.keys() {
        assert!(
            EXPLAINED.contains(&k.as_str()),
            "{folder}: ignored kind {k:?} is not explained"
        );
    }
    assert_eq!(
        r.diag.warnings_total, 0,
        "{folder}: warnings {:#?}",
        r.diag.warnings
    );
}

/// Expected values for one session: (prompts, actions, lines added, lines removed,
/// interrupts, tool errors, rejections); `None` lines: the transcript cannot tell them.
type Expect = (u32, u32, Option<u64>, Option<u64>, u32, u32, u32);

fn check(folder: &str, name: &str, s: &Session, want: Expect) {
    let t = agentstat_telemetry::measure(s);
    let got: Expect = (
        t.human_turns,
        t.actions,
        t.lines_added,
        t.lines_removed,
        t.interrupts,
        t.tool_errors,
        t.rejections,
    );
    assert_eq!(
        got, want,
        "{folder}/{name}: (prompts, actions, +lines, -lines, interrupts, errors, rejections)"
    );
}

fn find<'a>(r: &'a Read, name: &str) -> &'a Session {
    &r.sessions
        .iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("{name} was read"))
        .1
}

#[test]
fn gemini_cli_corpus() {
    let Some(r) = read_folder("gemini-cli", Format::GeminiCli) else {
        return;
    };
    check_clean("gemini-cli", &r);
    assert_eq!(r.files, 6);
    assert_eq!(r.diag.files, 3, "the three sessions are read");
    assert_eq!(r.diag.ignored.get("file-not-a-transcript:.json"), Some(&3));
    assert_eq!(r.sessions.len(), 3);
    let s = find(&r, "entire-gemini-12cbfeaa512b.json");
    check(
        "gemini-cli",
        "12cbfeaa",
        s,
        (2, 2, Some(1), Some(0), 0, 0, 0),
    );
    assert_eq!(s.model_calls.len(), 4);
    assert_eq!(agentstat_telemetry::measure(s).files_touched, 1);
    let s = find(&r, "entire-gemini-513fab7adf0b.json");
    check(
        "gemini-cli",
        "513fab7a",
        s,
        (2, 1, Some(1), Some(0), 0, 0, 0),
    );
    assert_eq!(s.model_calls.len(), 2);
    let s = find(&r, "entire-gemini-ab2b9748b105.json");
    // A 3-line `write_file`, and `echo -e "…" >> docs/color.md` appending 17 lines (16 `\n`
    // escapes and echo's own newline), counted since telemetry reads writes through the shell.
    check(
        "gemini-cli",
        "ab2b9748",
        s,
        (1, 9, Some(20), Some(0), 0, 0, 0),
    );
    assert_eq!(agentstat_telemetry::measure(s).files_touched, 2);
    assert_eq!(s.model_calls.len(), 10);
    assert_eq!(s.agent.version.as_deref(), Some("0.23.0"));
    assert!(r.sessions.iter().all(|(_, s)| s.is_interactive()));
}

#[test]
fn cursor_specstory_corpus() {
    let Some(r) = read_folder("cursor-specstory", Format::SpecStory) else {
        return;
    };
    check_clean("cursor-specstory", &r);
    assert_eq!((r.files, r.sessions.len()), (4, 4));
    check(
        "cursor-specstory",
        "pr-review",
        find(
            &r,
            "specstory-minsky-2025-04-30_21-28-pr-review-task-002.md",
        ),
        (4, 42, Some(169), Some(110), 0, 0, 1),
    );
    check(
        "cursor-specstory",
        "workspace-command",
        find(
            &r,
            "specstory-minsky-2025-05-01_17-07-session-workspace-command.md",
        ),
        (5, 27, Some(103), Some(13), 0, 0, 0),
    );
    check(
        "cursor-specstory",
        "starting-task-027",
        find(&r, "specstory-minsky-2025-05-01_19-32-starting-task-027.md"),
        (18, 267, Some(3004), Some(553), 3, 11, 0),
    );
    assert!(r.sessions.iter().all(|(_, s)| s.agent.name == "cursor"));
}

#[test]
fn aider_corpus() {
    let Some(r) = read_folder("aider", Format::Aider) else {
        return;
    };
    check_clean("aider", &r);
    assert_eq!(r.files, 5);
    assert_eq!(r.diag.files, 5);
    // The history: 93 lines of a session whose header was cut off (the file starts mid-way),
    // then 1,133 headers: 983 sessions with content, 150 started and quit at once. The four
    // website pages are one session each.
    assert_eq!(r.sessions.len(), 1 + 983 + 4);
    assert_eq!(r.diag.ignored.get("empty-session"), Some(&150));
    check(
        "aider",
        "pong",
        find(&r, "aider-website-example-pong.md"),
        (5, 12, Some(116), Some(7), 0, 0, 0),
    );
    check(
        "aider",
        "complex-change",
        find(&r, "aider-website-example-complex-change.md"),
        (9, 22, Some(44), Some(30), 0, 0, 0),
    );
    let at = |ts: &str| -> &Session {
        let t = parse_timestamp(ts).unwrap();
        &r.sessions
            .iter()
            .find(|(_, s)| s.time_range().map(|x| x.0) == Some(t))
            .unwrap_or_else(|| panic!("session started {ts}"))
            .1
    };
    check(
        "aider",
        "2024-08-06 09:44:24",
        at("2024-08-06T09:44:24Z"),
        (3, 4, Some(21), Some(0), 1, 0, 0),
    );
    check(
        "aider",
        "2024-08-09 17:18:01",
        at("2024-08-09T17:18:01Z"),
        (2, 6, Some(7), Some(4), 1, 0, 0),
    );
    // Reply headings (`#### ` without aider's end-of-line mark), two inside a SEARCH block.
    check(
        "aider",
        "2024-08-11 09:54:57",
        at("2024-08-11T09:54:57Z"),
        (3, 9, Some(28), Some(5), 0, 0, 0),
    );
    // The history's prompts: `/help` questions once, reply headings none.
    let history_prompts: u32 = r
        .sessions
        .iter()
        .filter(|(n, _)| n == "aider-ai-aider-chat-history.md")
        .map(|(_, s)| agentstat_telemetry::measure(s).human_turns)
        .sum();
    assert_eq!(history_prompts, 900);
    let s = at("2024-08-09T17:18:01Z");
    assert_eq!(agentstat_telemetry::measure(s).git_commits, 4);
    assert_eq!(s.entrypoint.as_deref(), Some("cli"));
}

#[test]
fn openhands_corpus() {
    let Some(r) = read_folder("openhands", Format::OpenHands) else {
        return;
    };
    check_clean("openhands", &r);
    assert_eq!((r.files, r.sessions.len()), (4, 4));
    assert!(r.sessions.iter().all(|(_, s)| !s.is_interactive()));
    check(
        "openhands",
        "basic_gui_mode",
        find(&r, "openhands-basic_gui_mode.json"),
        (0, 4, Some(175), Some(0), 0, 1, 0),
    );
    check(
        "openhands",
        "wrong_initial_state",
        find(&r, "openhands-wrong_initial_state.json"),
        (0, 3, Some(0), Some(0), 0, 0, 0),
    );
    check(
        "openhands",
        "basic",
        find(&r, "openhands-basic.json"),
        (0, 1, Some(117), Some(0), 0, 0, 0),
    );
}

#[test]
fn swe_agent_corpus() {
    let Some(r) = read_folder("swe-agent", Format::SweAgent) else {
        return;
    };
    check_clean("swe-agent", &r);
    assert_eq!((r.files, r.sessions.len()), (4, 4));
    assert!(r.sessions.iter().all(|(_, s)| !s.is_interactive()));
    let s = find(&r, "swe-agent-gpt4-test-repo-i1.traj");
    check(
        "swe-agent",
        "test-repo-i1",
        s,
        (0, 5, Some(1), Some(1), 0, 0, 0),
    );
    assert_eq!(s.model_calls.len(), 5);
    let s = find(&r, "swe-agent-gpt4-pydicom-1458.traj");
    check(
        "swe-agent",
        "pydicom-1458",
        s,
        (0, 12, Some(29), Some(11), 0, 3, 0),
    );
    assert_eq!(s.model_calls.len(), 12);
    let out: u64 = s.model_calls.iter().map(|c| c.output_tokens).sum();
    assert_eq!(out, 1369, "model_stats.tokens_received");
}

/// pi: all 18 real sessions are Oh My Pi task sessions that a parent agent ran (their one
/// prompt is `attribution: "agent"`), so none is interactive.
#[test]
fn pi_corpus() {
    let folder = "public-checkpoints/pi";
    let Some(r) = read_folder(folder, Format::Pi) else {
        return;
    };
    check_clean(folder, &r);
    assert_eq!((r.files, r.sessions.len()), (36, 18));
    assert_eq!(r.diag.ignored.get("file-not-a-transcript:.json"), Some(&18));
    assert!(r
        .sessions
        .iter()
        .all(|(_, s)| !s.is_interactive() && s.entrypoint.as_deref() == Some("subagent")));
    // Edits are Codex-style patches (`edit` with `input`); one `write`.
    let s = find(&r, "preloopdev__preloop__01a01ae5.jsonl");
    check(folder, "01a01ae5", s, (0, 20, Some(16), Some(10), 0, 0, 0));
    assert_eq!(s.model_calls.len(), 9);
    let out: u64 = s.model_calls.iter().map(|c| c.output_tokens).sum();
    assert_eq!(out, 10405);
    let s = find(&r, "preloopdev__preloop__01a01b95.jsonl");
    check(folder, "01a01b95", s, (0, 2, Some(0), Some(0), 0, 0, 0));
    assert_eq!(s.model_calls.len(), 2);
    let s = find(&r, "preloopdev__preloop__01a0221c.jsonl");
    check(folder, "01a0221c", s, (0, 68, Some(132), Some(0), 0, 0, 0));
    let t = agentstat_telemetry::measure(s);
    assert_eq!(
        (t.model_calls, t.output_tokens, t.files_touched),
        (Some(30), Some(22483), 1)
    );
}

/// Copilot CLI: 10 of the 13 are automated evaluation runs (an SDK harness created the session
/// with its model and closed it once answered): non-interactive, whatever they ask.
#[test]
fn copilot_cli_corpus() {
    let folder = "public-checkpoints/copilot-cli";
    let Some(r) = read_folder(folder, Format::CopilotCli) else {
        return;
    };
    check_clean(folder, &r);
    assert_eq!((r.files, r.sessions.len()), (26, 13));
    let automated: Vec<&str> = r
        .sessions
        .iter()
        .filter(|(_, s)| !s.is_interactive())
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(automated.len(), 10, "{automated:?}");
    assert!(r
        .sessions
        .iter()
        .filter(|(_, s)| !s.is_interactive())
        .all(
            |(_, s)| s.entrypoint.as_deref() == Some("sdk-copilot") && s.human_turns().count() == 1
        ));
    for n in [
        "EntityProcess__agentv__10fb4666.jsonl",
        "EntityProcess__agentv__c3f091b3.jsonl",
        "eitatech__gatomia-vscode__378ab881.jsonl",
    ] {
        assert!(find(&r, n).is_interactive(), "{n}");
    }
    // One edit (old_str → new_str: 8 lines for 8); two runs of a shell command that failed
    // (exit code 1 in the result) and a read_bash on a stopped shell.
    let s = find(&r, "EntityProcess__agentv__10fb4666.jsonl");
    check(folder, "10fb4666", s, (1, 68, Some(8), Some(8), 0, 3, 0));
    assert_eq!(s.model_calls.len(), 54);
    // Four prompts, one Esc (`abort`); a 773-line `create` and two edits (+5, -2).
    let s = find(&r, "EntityProcess__agentv__c3f091b3.jsonl");
    check(folder, "c3f091b3", s, (4, 61, Some(778), Some(2), 1, 2, 0));
    let t = agentstat_telemetry::measure(s);
    assert_eq!((t.model_calls, t.output_tokens), (Some(56), Some(41776)));
    // One prompt and two skills' instructions (injected as user messages, not prompts);
    // `apply_patch` edits.
    let s = find(&r, "eitatech__gatomia-vscode__378ab881.jsonl");
    check(folder, "378ab881", s, (1, 33, Some(216), Some(28), 0, 0, 0));
    let s = find(&r, "EntityProcess__agentv__832dd140.jsonl");
    check(folder, "832dd140", s, (1, 0, Some(0), Some(0), 0, 0, 0));
    assert_eq!(
        s.model_calls.iter().map(|c| c.output_tokens).sum::<u64>(),
        461
    );
}

/// OpenCode exports: 27 sessions, one started by a parent agent's `task` (no human turn).
#[test]
fn opencode_corpus() {
    let folder = "public-checkpoints/opencode";
    let Some(r) = read_folder(folder, Format::OpenCode) else {
        return;
    };
    check_clean(folder, &r);
    assert_eq!((r.files, r.sessions.len()), (54, 27));
    let sub: Vec<&str> = r
        .sessions
        .iter()
        .filter(|(_, s)| !s.is_interactive())
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(sub, ["savekirk__session-bridge__2bef2563.json"]);
    // Two prompts, one Esc (`MessageAbortedError`); edits counted from the recorded diffs,
    // writes from their content.
    let s = find(&r, "The-Best-Codes__bestcodes.dev__00e64005.json");
    check(folder, "00e64005", s, (2, 39, Some(407), Some(13), 1, 0, 0));
    let t = agentstat_telemetry::measure(s);
    assert_eq!((t.model_calls, t.output_tokens), (Some(23), Some(26946)));
    // A tool call with arguments the model got wrong (`invalid`) is an error.
    let s = find(&r, "The-Best-Codes__bestcodes.dev__22ac7351.json");
    check(folder, "22ac7351", s, (1, 6, Some(1), Some(0), 0, 1, 0));
    // A compaction (a user message with a `compaction` part, then the summary).
    let s = find(&r, "savekirk__session-bridge__277daa81.json");
    check(
        folder,
        "277daa81",
        s,
        (3, 72, Some(1786), Some(74), 0, 4, 0),
    );
    assert_eq!(s.compactions, 1);
    // `apply_patch` deletions, from the per-file counts OpenCode recorded.
    let s = find(&r, "eitatech__gatomia-vscode__21fea93a.json");
    check(folder, "21fea93a", s, (1, 54, Some(0), Some(374), 0, 6, 0));
    let s = find(&r, "savekirk__session-bridge__2bef2563.json");
    check(folder, "2bef2563", s, (0, 14, Some(0), Some(0), 0, 0, 0));
    assert_eq!(s.entrypoint.as_deref(), Some("subagent"));
}

/// Codex CLI and Codex Desktop rollouts: the adapter's first real files (it was built from
/// Codex's source). Values reviewed against the records (docs/corpus-expected-other-agents.md).
#[test]
fn codex_corpus() {
    let folder = "public-checkpoints/codex";
    let Some(r) = read_folder(folder, Format::Codex) else {
        return;
    };
    assert!(r.diag.skipped.is_empty(), "{:?}", r.diag.warnings);
    assert_eq!(r.diag.warnings_total, 0, "{:?}", r.diag.warnings);
    assert_eq!((r.files, r.sessions.len()), (46, 23));
    // Three `apply_patch` calls among 25; three prompts.
    let s = find(&r, "savekirk__session-bridge__019d6f23.jsonl");
    check(folder, "019d6f23", s, (3, 25, Some(147), Some(72), 0, 0, 0));
    assert_eq!(agentstat_telemetry::measure(s).output_tokens, Some(12111));
    // One turn aborted by the person.
    let s = find(&r, "entireio__git-sync__019ddd6f.jsonl");
    check(folder, "019ddd6f", s, (4, 20, Some(52), Some(4), 1, 0, 0));
    assert_eq!(agentstat_telemetry::measure(s).output_tokens, Some(3765));
    let s = find(&r, "entireio__skills__019dad77.jsonl");
    check(folder, "019dad77", s, (1, 2, Some(0), Some(0), 1, 0, 0));
    assert_eq!(agentstat_telemetry::measure(s).output_tokens, Some(397));
    // Subagent rollouts (`source: subagent`) have no prompt of the person's.
    let s = find(&r, "chikachow__cyspbot__019f5500.jsonl");
    assert_eq!(s.entrypoint.as_deref(), Some("subagent"));
    assert!(!s.is_interactive());
}

/// The public checkpoints' Claude Code and Gemini CLI sessions read with no skip or warning.
#[test]
fn public_checkpoints_claude_code_and_gemini_cli_read_cleanly() {
    for (folder, format, n) in [
        ("public-checkpoints/claude-code", Format::ClaudeCode, 155),
        ("public-checkpoints/gemini-cli", Format::GeminiCli, 4),
    ] {
        let Some(r) = read_folder(folder, format) else {
            return;
        };
        assert!(r.diag.skipped.is_empty(), "{folder}: {:?}", r.diag.warnings);
        assert!(
            r.diag.recovered.is_empty(),
            "{folder}: {:?}",
            r.diag.recovered
        );
        assert_eq!(r.diag.warnings_total, 0, "{folder}: {:?}", r.diag.warnings);
        assert_eq!(r.sessions.len(), n, "{folder}");
    }
}

/// Every file of every folder is either read or counted as not a transcript, and every source
/// is in its folder's format. Each folder is named here: a new one fails until it is.
#[test]
fn the_whole_corpus_discovers_every_format() {
    let Some(root) = corpus("") else {
        return;
    };
    let mut d = Diagnostics::default();
    let srcs = discover(std::slice::from_ref(&root), &mut d);
    // Cursor's own agent transcripts, Qwen Code, Cline: no real file in the corpus (fixtures only).
    for f in Format::ALL
        .into_iter()
        .filter(|f| !matches!(f, Format::Cursor | Format::QwenCode | Format::Cline))
    {
        assert!(
            srcs.iter().any(|s| s.format == f),
            "no {f:?} source found in {}",
            root.display()
        );
    }
    // The provenance list (`public-checkpoints/provenance.jsonl`) is no transcript.
    assert_eq!(d.ignored.get("file-not-a-transcript:.jsonl"), Some(&1));
    let root = std::fs::canonicalize(&root).unwrap_or(root);
    for s in &srcs {
        let p = &s.files[0].path;
        let rel = std::fs::canonicalize(p)
            .unwrap_or_else(|_| p.clone())
            .strip_prefix(&root)
            .unwrap_or_else(|_| panic!("{} is under the corpus", p.display()))
            .to_path_buf();
        let mut parts = rel.components().map(|c| c.as_os_str().to_string_lossy());
        let mut folder = parts.next().unwrap_or_default();
        if folder == "public-checkpoints" {
            folder = parts.next().unwrap_or_default();
        }
        let want = match &*folder {
            "claude-code" => Format::ClaudeCode,
            "gemini-cli" => Format::GeminiCli,
            "cursor-specstory" => Format::SpecStory,
            "aider" => Format::Aider,
            "openhands" => Format::OpenHands,
            "swe-agent" => Format::SweAgent,
            "codex" => Format::Codex,
            // No adapter yet (issue 11): their JSONL files are taken for Claude Code.
            "pi" => Format::Pi,
            "copilot-cli" => Format::CopilotCli,
            "opencode" => Format::OpenCode,
            other => panic!(
                "{}: corpus folder {other:?} has no expected format; name it in this test",
                p.display()
            ),
        };
        assert_eq!(s.format, want, "{}", p.display());
    }
}
