//! Codex CLI adapter on fixtures we wrote, shaped like the rollout recorder's source says
//! (docs/FORMATS.md): wrapped JSONL (interactive and `codex exec`), the legacy JSONL, the
//! TypeScript CLI's document, damaged and empty files. There is no real Codex transcript in the
//! corpus: these are the only checks.

use agentstat_ingest::{
    discover, read_session, Diagnostics, FileRole, Format, SessionSource, SourceFile,
};
use agentstat_session::{ActionKind, Event, ResultStatus, Session};
use std::path::PathBuf;

mod support;
use support::opts;

const INTERACTIVE: &str =
    "sessions/2025/10/20/rollout-2025-10-20T09-14-03-0199f1a2-7c3e-7d40-9b1a-3f6e2d8c4b10.jsonl";
const EXEC: &str =
    "sessions/2025/10/21/rollout-2025-10-21T18-02-00-0199f3b0-1111-7222-8333-444455556666.jsonl";
const LEGACY: &str =
    "sessions/2025/08/05/rollout-2025-08-05T23-31-25-4bb054bf-0000-4000-8000-00000000aa01.jsonl";
const TS_DOC: &str = "rollout-2025-05-01-6f1c2d3e-4b5a-4c6d-8e7f-001122334455.json";

fn fx(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/codex")).join(name)
}

fn read(name: &str) -> (Option<Session>, Diagnostics) {
    support::read_as(fx(name), Format::Codex)
}

fn actions(s: &Session) -> Vec<(&str, ActionKind, ResultStatus, Option<i32>)> {
    s.actions()
        .map(|a| (a.tool.as_str(), a.kind, a.result.status, a.result.exit_code))
        .collect()
}

#[test]
fn interactive_session_prompts_actions_results_tokens() {
    let (s, d) = read(INTERACTIVE);
    let s = s.expect("session");
    assert_eq!(d.skipped_total(), 0, "{:?}", d.warnings);
    assert_eq!(s.id, "0199f1a2-7c3e-7d40-9b1a-3f6e2d8c4b10");
    assert_eq!(s.agent.name, "codex-cli");
    assert_eq!(s.agent.version.as_deref(), Some("0.47.0"));
    assert_eq!(s.project.as_deref(), Some("/Users/dana/src/ledger"));
    assert_eq!(s.git_branch.as_deref(), Some("fix-rounding"));
    assert_eq!(s.entrypoint.as_deref(), Some("cli"));
    assert!(s.is_interactive());
    // The user key comes from the home directory in cwd, as for every adapter.
    assert_eq!(
        s.user,
        agentstat_ingest::user_key(b"test", "dana"),
        "user key from /Users/dana"
    );

    // Two prompts: the `user_message` events; their response-item copies, AGENTS.md, the
    // environment context and the `<turn_aborted>` note are not prompts.
    let prompts: Vec<&str> = s.human_turns().map(|h| h.text.as_str()).collect();
    assert_eq!(
        prompts,
        [
            "The balance report prints -0.00 for empty accounts; make it print 0.00 and add a test",
            "stop, the rounding test is a known failure; just commit the fix",
        ]
    );
    let notes: Vec<&str> = s
        .events
        .iter()
        .filter_map(|e| match e {
            Event::System(n) => Some(n.kind.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(notes, ["project_instructions", "environment_context"]);
    assert_eq!(s.ignored_records.get("user-message-item-copy"), Some(&2));
    assert_eq!(s.ignored_records.get("agent-message-event-copy"), Some(&1));
    assert_eq!(s.ignored_records.get("reasoning"), Some(&1));

    assert_eq!(
        actions(&s),
        [
            ("shell", ActionKind::Shell, ResultStatus::Ok, Some(0)),
            ("apply_patch", ActionKind::Edit, ResultStatus::Ok, Some(0)),
            (
                "shell_command",
                ActionKind::Shell,
                ResultStatus::Error,
                Some(101)
            ),
            ("update_plan", ActionKind::Plan, ResultStatus::Ok, None),
            (
                "exec_command",
                ActionKind::Shell,
                ResultStatus::Interrupted,
                None
            ),
            ("shell", ActionKind::Shell, ResultStatus::Rejected, None),
            ("shell", ActionKind::Shell, ResultStatus::Ok, Some(0)),
            (
                "mcp__github__create_pull_request",
                ActionKind::Other,
                ResultStatus::Ok,
                None
            ),
            ("web_search", ActionKind::Web, ResultStatus::Ok, None),
        ]
    );
    let a: Vec<_> = s.actions().collect();
    // Shell commands as one string: the script of `bash -lc`, or `cmd` of exec_command.
    assert_eq!(
        a[0].command().as_deref(),
        Some("rg -n \"fn format_amount\" src")
    );
    assert_eq!(a[2].command().as_deref(), Some("cargo test -q"));
    assert_eq!(
        a[4].command().as_deref(),
        Some("cargo test -q report::tests::rounds")
    );
    // The patch: 3 + 4 lines added, 1 removed, over two files (the first is the action's).
    let lines = a[1].result.lines.expect("patch lines");
    assert_eq!((lines.added, lines.removed), (7, 1));
    assert_eq!(a[1].file_path().as_deref(), Some("src/report.rs"));
    // The structured output's text, not its JSON wrapper.
    assert!(a[0].result.output.starts_with("src/report.rs:41:"));

    // One Esc: an interrupt event after the running call.
    let interrupts = s
        .events
        .iter()
        .filter(|e| matches!(e, Event::Interrupt { .. }))
        .count();
    assert_eq!(interrupts, 1);

    // Visible text once (the `agent_message` event copies the response item).
    let texts: Vec<&str> = s
        .events
        .iter()
        .filter_map(|e| match e {
            Event::AssistantText(t) => Some(t.text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(texts.len(), 1);
    assert!(texts[0].starts_with("Committed the fix"));

    // Tokens: three requests (a `null` info and a repeated total are not new requests); the
    // per-request sums equal the last cumulative total (30000 in, of which 20000 cached; 900 out).
    assert_eq!(s.model_calls.len(), 3);
    let sum =
        |f: fn(&agentstat_session::ModelCall) -> u64| s.model_calls.iter().map(f).sum::<u64>();
    assert_eq!(sum(|c| c.input_tokens), 10_000);
    assert_eq!(sum(|c| c.cache_read_tokens), 20_000);
    assert_eq!(sum(|c| c.output_tokens), 900);
    assert!(s
        .model_calls
        .iter()
        .all(|c| c.model.as_deref() == Some("gpt-5-codex")));
    assert_eq!(s.ignored_records.get("token-count-repeat"), Some(&1));

    let (lo, hi) = s.time_range().expect("times");
    assert_eq!(
        lo,
        agentstat_session::parse_timestamp("2025-10-20T09:14:03.520Z").unwrap()
    );
    assert_eq!(
        hi,
        agentstat_session::parse_timestamp("2025-10-20T09:15:40.000Z").unwrap()
    );
}

#[test]
fn interactive_session_telemetry() {
    let (s, _) = read(INTERACTIVE);
    let t = agentstat_telemetry::measure(&s.expect("session"));
    assert_eq!(t.human_turns, 2);
    assert_eq!(t.actions, 9);
    assert_eq!(t.successful_actions, 6);
    assert_eq!(t.tool_errors, 1);
    assert_eq!(t.rejections, 1);
    assert_eq!(t.interrupts, 1);
    assert_eq!((t.lines_added, t.lines_removed), (Some(7), Some(1)));
    assert_eq!(t.files_touched, 1);
    assert_eq!(t.git_commits, 1);
    assert_eq!(t.pull_requests, 1);
    assert_eq!(t.model_calls, Some(3));
    assert_eq!(t.output_tokens, Some(900));
    assert!(t.test_runs >= 1, "cargo test counted as a test run");
    assert_eq!(t.test_runs_failed, 1);
}

#[test]
fn exec_run_is_not_interactive() {
    let (s, d) = read(EXEC);
    let s = s.expect("session");
    assert_eq!(d.skipped_total(), 0, "{:?}", d.warnings);
    assert_eq!(s.entrypoint.as_deref(), Some("sdk-cli"));
    assert_eq!(
        s.non_interactive_reason(),
        Some("non-interactive entrypoint")
    );
    assert_eq!(s.human_turns().count(), 1);
    assert_eq!(s.agent.version.as_deref(), Some("0.48.0"));
    assert_eq!(
        actions(&s),
        [("shell", ActionKind::Shell, ResultStatus::Ok, Some(0))]
    );
    // A plain argv is joined as a command line.
    let a = s.actions().next().unwrap();
    assert_eq!(a.command().as_deref(), Some("git show --stat HEAD"));
    assert_eq!(s.model_calls.len(), 1);
    assert_eq!(s.model_calls[0].model.as_deref(), Some("gpt-5"));
    assert_eq!(s.user, agentstat_ingest::user_key(b"test", "ci"));
}

#[test]
fn legacy_jsonl_and_typescript_document() {
    let (s, d) = read(LEGACY);
    let s = s.expect("legacy session");
    assert_eq!(d.skipped_total(), 0, "{:?}", d.warnings);
    assert_eq!(s.id, "4bb054bf-0000-4000-8000-00000000aa01");
    assert_eq!(s.git_branch.as_deref(), Some("main"));
    // No cwd field: the `<cwd>` of the environment context.
    assert_eq!(s.project.as_deref(), Some("/home/sam/proj"));
    assert_eq!(s.ignored_records.get("state"), Some(&2));
    assert_eq!(s.human_turns().count(), 1);
    // `["apply_patch", PATCH]` through the shell tool is an edit.
    assert_eq!(
        actions(&s),
        [("shell", ActionKind::Edit, ResultStatus::Ok, Some(0))]
    );
    let l = s.actions().next().unwrap().result.lines.unwrap();
    assert_eq!((l.added, l.removed), (1, 1));
    // The header's time is the only one: it goes to the first event.
    assert_eq!(
        s.time_range().map(|r| r.0),
        agentstat_session::parse_timestamp("2025-08-05T23:31:25.580Z")
    );
    assert!(s.model_calls.is_empty());

    let (s, d) = read(TS_DOC);
    let s = s.expect("TypeScript CLI session");
    assert_eq!(d.skipped_total(), 0, "{:?}", d.warnings);
    assert_eq!(s.id, "6f1c2d3e-4b5a-4c6d-8e7f-001122334455");
    assert_eq!(s.agent.version, None);
    assert_eq!(s.human_turns().count(), 1);
    assert_eq!(
        actions(&s),
        [("shell", ActionKind::Shell, ResultStatus::Error, Some(2))]
    );
    assert!(s.time_range().is_some());
}

#[test]
fn damaged_lines_are_warnings_naming_file_and_line() {
    let (s, d) = read("damaged.jsonl");
    let s = s.expect("the good lines still make a session");
    assert_eq!(s.human_turns().count(), 1);
    let assistant = s
        .events
        .iter()
        .filter(|e| matches!(e, Event::AssistantText(_)))
        .count();
    assert_eq!(assistant, 1);
    let mut got: Vec<(u64, &str)> = d
        .warnings
        .iter()
        .map(|w| (w.line.unwrap_or(0), w.reason.as_str()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (3, "truncated-json"),
            (4, "invalid-json"),
            (5, "unknown-record-type"),
            (6, "unknown-record-type"),
        ]
    );
    assert!(d.warnings.iter().all(|w| w.file.ends_with("damaged.jsonl")));
    assert_eq!(d.skipped_total(), 4);
}

#[test]
fn empty_file_is_a_warning_not_a_session() {
    let (s, d) = read("empty.jsonl");
    assert!(s.is_none());
    assert_eq!(d.warnings.len(), 1);
    assert_eq!(d.warnings[0].reason, "empty-file");
}

#[test]
fn discovery_recognises_codex_files_by_content() {
    let mut d = Diagnostics::default();
    let srcs = discover(&[fx("sessions"), fx(TS_DOC), fx("damaged.jsonl")], &mut d);
    assert_eq!(srcs.len(), 5, "{srcs:?}");
    assert!(srcs.iter().all(|s| s.format == Format::Codex), "{srcs:?}");
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
}

#[test]
fn a_rollout_is_codex_whatever_its_first_record() {
    // A rollout cut at its head (copied from the middle, or a fork) starts with a response item
    // or an event, not `session_meta`: still Codex, never Claude Code.
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        r#"{"timestamp":"2025-10-20T09:15:00.000Z","type":"event_msg","payload":{"type":"user_message","message":"fix the test"}}"#,
        r#"{"timestamp":"2025-10-20T09:15:01.000Z","type":"response_item","payload":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Done."}]}}"#,
    ];
    let p = dir.path().join("cut.jsonl");
    std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    let p2 = dir.path().join("ctx-first.jsonl");
    std::fs::write(
        &p2,
        format!(
            "{}\n{}\n",
            r#"{"timestamp":"2025-10-20T09:14:59.000Z","type":"turn_context","payload":{"cwd":"/home/dev/p","model":"gpt-5"}}"#,
            lines.join("\n")
        ),
    )
    .unwrap();
    let mut d = Diagnostics::default();
    let srcs = discover(&[dir.path().to_path_buf()], &mut d);
    assert_eq!(srcs.len(), 2, "{srcs:?}");
    assert!(srcs.iter().all(|s| s.format == Format::Codex), "{srcs:?}");
    for s in &srcs {
        let mut d = Diagnostics::default();
        let sess = read_session(s, &opts(), &mut d).expect("read");
        assert_eq!(d.skipped_total(), 0, "{:?}", d.warnings);
        assert_eq!(sess.human_turns().count(), 1);
    }
}

#[test]
fn default_roots_include_codex_and_gemini_when_present() {
    // The environment is a lookup: the process's own (the real home) is never read or changed.
    let home = tempfile::tempdir().unwrap();
    let codex_home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(codex_home.path().join("sessions")).unwrap();
    std::fs::create_dir_all(home.path().join(".gemini/tmp")).unwrap();
    let env = |vars: Vec<(&'static str, std::path::PathBuf)>| {
        move |k: &str| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.as_os_str().to_owned())
        }
    };
    let roots = agentstat_ingest::default_roots_with(env(vec![
        ("HOME", home.path().to_path_buf()),
        ("CODEX_HOME", codex_home.path().to_path_buf()),
    ]));
    assert_eq!(
        roots,
        [
            home.path().join(".claude/projects"),
            codex_home.path().join("sessions"),
            home.path().join(".gemini/tmp"),
        ]
    );
    // Without CODEX_HOME: ~/.codex/sessions, and only when it exists.
    let only_home = || env(vec![("HOME", home.path().to_path_buf())]);
    assert_eq!(
        agentstat_ingest::default_roots_with(only_home()),
        [
            home.path().join(".claude/projects"),
            home.path().join(".gemini/tmp")
        ]
    );
    std::fs::create_dir_all(home.path().join(".codex/sessions")).unwrap();
    assert_eq!(
        agentstat_ingest::default_roots_with(env(vec![
            ("HOME", home.path().to_path_buf()),
            ("CLAUDE_CONFIG_DIR", home.path().join("cc")),
        ])),
        [
            home.path().join("cc/projects"),
            home.path().join(".codex/sessions"),
            home.path().join(".gemini/tmp")
        ]
    );
}

#[test]
fn any_truncation_of_a_rollout_reads_without_panic() {
    // A file cut anywhere (a crash mid-write): never a panic, and damage is reported by line.
    let full = std::fs::read(fx(INTERACTIVE)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.jsonl");
    for cut in (1..full.len()).step_by(97) {
        std::fs::write(&path, &full[..cut]).unwrap();
        let src = SessionSource {
            id: "cut".into(),
            files: vec![SourceFile {
                path: path.clone(),
                role: FileRole::Main,
                bytes: cut as u64,
                span: None,
            }],
            format: Format::Codex,
        };
        let mut d = Diagnostics::default();
        let s = read_session(&src, &opts(), &mut d);
        // At most the last line is damaged.
        assert!(d.skipped_total() <= 1, "cut at {cut}: {:?}", d.warnings);
        assert!(d
            .warnings
            .iter()
            .all(|w| w.line.is_some() || w.reason == "empty-session"));
        if let Some(s) = s {
            assert!(s.human_turns().count() <= 2);
        }
    }
}
