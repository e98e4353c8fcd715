//! Aider adapter on fixtures we wrote: a history of three sessions, a website example page,
//! damaged files.

use agentstat_ingest::{discover, read_session, Diagnostics, Format, IngestOptions, SessionSource};
use agentstat_session::{parse_timestamp, ActionKind, Event, ResultStatus, Session};
use std::path::PathBuf;

fn fx(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/aider")).join(name)
}

fn opts() -> IngestOptions {
    IngestOptions {
        user_label: None,
        salt: b"test".to_vec(),
    }
}

fn sources(name: &str) -> (Vec<SessionSource>, Diagnostics) {
    let mut d = Diagnostics::default();
    let s = discover(&[fx(name)], &mut d);
    (s, d)
}

fn read_all(name: &str) -> (Vec<Session>, Diagnostics) {
    let (srcs, mut d) = sources(name);
    let out = srcs
        .iter()
        .filter_map(|s| read_session(s, &opts(), &mut d))
        .collect();
    (out, d)
}

#[test]
fn one_history_file_is_split_into_its_sessions() {
    let (srcs, d) = sources(".aider.chat.history.md");
    // Three headers; the third has nothing after it: counted, not a session.
    assert_eq!(srcs.len(), 2);
    assert_eq!(d.ignored.get("empty-session"), Some(&1));
    assert!(srcs.iter().all(|s| s.format == Format::Aider));
    let spans: Vec<(u64, u64)> = srcs.iter().map(|s| s.files[0].span.unwrap()).collect();
    assert_eq!(spans[0].0, 0, "spans cover the file from its start");
    assert_eq!(spans[0].1, spans[1].0);
    let (sessions, d) = read_all(".aider.chat.history.md");
    assert_eq!(sessions.len(), 2);
    assert_eq!(d.files, 1, "the file counts once");
}

#[test]
fn an_empty_first_session_is_folded_into_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join(".aider.chat.history.md");
    std::fs::write(
        &p,
        "# aider chat started at 2024-01-01 10:00:00\n\n\
         # aider chat started at 2024-01-01 11:00:00\n\n#### hello\n\nhi\n\n\
         # aider chat started at 2024-01-01 12:00:00\n\n#### again\n",
    )
    .unwrap();
    let mut d = Diagnostics::default();
    let srcs = discover(&[p], &mut d);
    assert_eq!(srcs.len(), 2);
    assert_eq!(d.ignored.get("empty-session"), Some(&1));
    let s: Vec<Session> = srcs
        .iter()
        .filter_map(|s| read_session(s, &opts(), &mut d))
        .collect();
    assert_eq!(d.files, 1);
    let starts: Vec<i64> = s.iter().map(|s| s.time_range().unwrap().0).collect();
    assert_eq!(
        starts,
        [
            parse_timestamp("2024-01-01T11:00:00Z").unwrap(),
            parse_timestamp("2024-01-01T12:00:00Z").unwrap()
        ]
    );
}

#[test]
fn prompts_commands_edits_commits_and_interrupts() {
    let (sessions, d) = read_all(".aider.chat.history.md");
    let s = &sessions[0];
    assert_eq!(s.agent.name, "aider");
    assert_eq!(s.agent.version.as_deref(), Some("0.50.1"));
    assert_eq!(s.entrypoint.as_deref(), Some("cli"));
    assert!(s.is_interactive());
    let prompts: Vec<&str> = s.human_turns().map(|h| h.text.as_str()).collect();
    assert_eq!(
        prompts,
        [
            "add a hello function to hello.py",
            "/ask what does it do?",
            "fix it\nand rename a to b"
        ]
    );
    assert!(s.events.iter().any(
        |e| matches!(e, Event::System(n) if n.kind == "command" && n.text == "/run python hello.py")
    ));
    assert_eq!(d.ignored.get("blank-input"), Some(&1));
    let acts: Vec<_> = s.actions().collect();
    let got: Vec<(&str, ActionKind, ResultStatus)> = acts
        .iter()
        .map(|a| (a.tool.as_str(), a.kind, a.result.status))
        .collect();
    assert_eq!(
        got,
        [
            ("search_replace", ActionKind::Edit, ResultStatus::Ok),
            ("auto_commit", ActionKind::Shell, ResultStatus::Ok),
            ("search_replace", ActionKind::Edit, ResultStatus::Error),
        ]
    );
    assert_eq!(acts[0].file_path().as_deref(), Some("hello.py"));
    assert_eq!(
        acts[0].input.get_str("new_string").as_deref(),
        Some("def a():\n    pass\n\ndef hello():\n    print('hi')\n")
    );
    assert_eq!(
        acts[1].command().as_deref(),
        Some("git commit -m 'feat: add hello'")
    );
    // The truncated third block was never applied: counted, not an action.
    assert_eq!(d.ignored.get("unfinished-edit-block"), Some(&1));
    assert!(d.skipped.is_empty(), "{:?}", d.warnings);
    // `/ask` logs its message a second time: one prompt.
    assert_eq!(d.ignored.get("command-echo"), Some(&1));
    // `<source>` fences name no file: the path is the line above.
    assert_eq!(acts[2].file_path().as_deref(), Some("hello.py"));
    // Model calls from the token lines (cache hits out of the input).
    let calls: Vec<(u64, u64, u64)> = s
        .model_calls
        .iter()
        .map(|c| (c.input_tokens, c.cache_read_tokens, c.output_tokens))
        .collect();
    assert_eq!(calls, [(1200, 1200, 279), (1234, 0, 56), (3000, 0, 20)]);
    assert_eq!(
        s.model_calls[0].model.as_deref(),
        Some("claude-3-5-sonnet-20240620")
    );
    assert_eq!(
        s.events
            .iter()
            .filter(|e| matches!(e, Event::Interrupt { .. }))
            .count(),
        1
    );
    assert_eq!(
        s.time_range().unwrap().0,
        parse_timestamp("2024-08-05T09:00:00Z").unwrap()
    );
    assert_eq!(s.user, agentstat_ingest::user_key(b"test", "dave"));
}

#[test]
fn message_runs_are_non_interactive_and_new_files_are_writes() {
    let (sessions, _) = read_all(".aider.chat.history.md");
    let s = &sessions[1];
    assert_eq!(s.entrypoint.as_deref(), Some("sdk-cli"));
    assert_eq!(s.human_turns().count(), 1);
    assert!(!s.is_interactive());
    let a: Vec<_> = s.actions().collect();
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].kind, ActionKind::Write);
    assert_eq!(a[0].result.status, ResultStatus::Ok);
    assert_eq!(
        a[0].input.get_str("content").as_deref(),
        Some("# New\n\ntext\n")
    );
    assert_eq!(s.agent.version.as_deref(), Some("0.50.2"));
    // No home directory in a path: unknown person.
    assert_eq!(s.user, agentstat_ingest::user_key(b"test", "unknown"));
}

#[test]
fn website_example_pages_read_only_their_transcript_blocks() {
    let (sessions, d) = read_all("website-example.md");
    assert_eq!(sessions.len(), 1);
    let s = &sessions[0];
    let prompts: Vec<&str> = s.human_turns().map(|h| h.text.as_str()).collect();
    assert_eq!(prompts, ["make it faster"]);
    let st: Vec<(ActionKind, ResultStatus)> =
        s.actions().map(|a| (a.kind, a.result.status)).collect();
    assert_eq!(
        st,
        [
            (ActionKind::Edit, ResultStatus::Ok),
            (ActionKind::Shell, ResultStatus::Ok)
        ]
    );
    // Front matter is skipped; the page's prose is counted as not part of the transcript.
    assert_eq!(d.ignored.get("page-text"), Some(&2));
    assert_eq!(s.entrypoint.as_deref(), Some("cli"));
}

#[test]
fn damaged_and_empty_histories() {
    let (sessions, d) = read_all("bad-utf8.aider.chat.history.md");
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].human_turns().count(), 1);
    assert_eq!(d.recovered.get("invalid-utf8"), Some(&1));
    assert_eq!(d.warnings[0].line, Some(3));
    assert!(d.warnings[0]
        .file
        .ends_with("bad-utf8.aider.chat.history.md"));

    let (sessions, d) = read_all("empty.aider.chat.history.md");
    assert!(sessions.is_empty());
    assert_eq!(d.warnings[0].reason, "empty-file");
    assert!(d.skipped.is_empty());
}
