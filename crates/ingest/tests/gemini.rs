//! Gemini CLI adapter on fixtures we wrote (legacy JSON and JSONL layouts, damaged files).

use agentstat_ingest::{
    discover, read_session, Diagnostics, FileRole, Format, IngestOptions, SessionSource, SourceFile,
};
use agentstat_session::{ActionKind, Event, ResultStatus, Session};
use std::path::PathBuf;

fn fx(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/gemini"
    ))
    .join(name)
}

fn opts() -> IngestOptions {
    IngestOptions {
        user_label: None,
        salt: b"test".to_vec(),
    }
}

fn source(path: PathBuf) -> SessionSource {
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    SessionSource {
        id: path.display().to_string(),
        files: vec![SourceFile {
            path,
            role: FileRole::Main,
            bytes,
            span: None,
        }],
        format: Format::GeminiCli,
    }
}

fn read(name: &str) -> (Option<Session>, Diagnostics) {
    let mut d = Diagnostics::default();
    let s = read_session(&source(fx(name)), &opts(), &mut d);
    (s, d)
}

#[test]
fn discovery_recognises_gemini_files_by_content() {
    let mut d = Diagnostics::default();
    let srcs = discover(&[fx("")], &mut d);
    let mut found: Vec<(String, Format)> = srcs
        .iter()
        .map(|s| {
            (
                s.files[0]
                    .path
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                s.format,
            )
        })
        .collect();
    found.sort();
    let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "invalid.json",
            "no-messages.json",
            "session-2026-01-11T10-00-abcd1234.jsonl",
            "session-legacy.json",
            "subagent.json",
            "truncated.json"
        ]
    );
    assert!(found.iter().all(|(_, f)| *f == Format::GeminiCli));
    // The sidecar and the empty file are not sessions: counted, not read.
    assert_eq!(d.ignored.get("file-not-a-transcript:.json"), Some(&2));
}

#[test]
fn legacy_session_prompts_actions_results_and_lines() {
    let (s, d) = read("session-legacy.json");
    let s = s.expect("session");
    assert!(d.skipped.is_empty(), "{:?}", d.warnings);
    assert_eq!(s.id, "11111111-2222-3333-4444-555555555555");
    assert_eq!(s.agent.name, "gemini-cli");
    assert_eq!(s.agent.version.as_deref(), Some("0.10.0"));
    // Two typed prompts; "Please continue." is the CLI's own next-speaker request.
    let prompts: Vec<&str> = s.human_turns().map(|h| h.text.as_str()).collect();
    assert_eq!(prompts.len(), 2);
    assert!(prompts[1].starts_with("now write"));
    assert!(s
        .events
        .iter()
        .any(|e| matches!(e, Event::System(n) if n.kind == "auto_continue")));
    let acts: Vec<_> = s.actions().collect();
    let kinds: Vec<ActionKind> = acts.iter().map(|a| a.kind).collect();
    assert_eq!(
        kinds,
        [
            ActionKind::Read,
            ActionKind::Edit,
            ActionKind::Write,
            ActionKind::Shell,
            ActionKind::Edit,
            ActionKind::Shell,
            ActionKind::Web
        ]
    );
    let st: Vec<ResultStatus> = acts.iter().map(|a| a.result.status).collect();
    assert_eq!(
        st,
        [
            ResultStatus::Ok,
            ResultStatus::Ok,
            ResultStatus::Ok,
            ResultStatus::Error,
            ResultStatus::Rejected,
            ResultStatus::Interrupted,
            ResultStatus::Ok
        ]
    );
    assert_eq!(acts[1].tool, "replace");
    assert_eq!(acts[3].command().as_deref(), Some("cargo test"));
    assert_eq!(acts[0].result.output, "fn foo() {}\n");
    // Lines come from the edit's old/new strings and the write's content (telemetry).
    let t = agentstat_telemetry_lines(&s);
    assert_eq!(t, (2 + 3, 1));
    // Model calls: messages with token counts, not the all-zero one.
    assert_eq!(s.model_calls.len(), 3);
    assert_eq!(s.model_calls[0].input_tokens, 600);
    assert_eq!(s.model_calls[0].cache_read_tokens, 400);
    assert_eq!(s.model_calls[0].output_tokens, 25);
    assert_eq!(s.model_calls[0].model.as_deref(), Some("gemini-2.5-pro"));
    // Person: the home directory in the file paths.
    assert_eq!(s.user, agentstat_ingest::user_key(b"test", "alice"));
    assert!(s.is_interactive());
    let (a, b) = s.time_range().unwrap();
    assert_eq!(b - a, 3 * 60_000 + 1000);
}

/// Lines added/removed over OK edit/write actions, computed the way telemetry does for
/// Gemini's tools (old/new strings, written content, or the recorded diff).
fn agentstat_telemetry_lines(s: &Session) -> (u64, u64) {
    let (mut a, mut r) = (0, 0);
    for x in s.actions() {
        if !matches!(x.kind, ActionKind::Edit | ActionKind::Write)
            || x.result.status != ResultStatus::Ok
        {
            continue;
        }
        if let Some(d) = x.result.lines {
            a += d.added;
            r += d.removed;
            continue;
        }
        let v = x.input.value();
        let lines = |k: &str| {
            v.get(k)
                .and_then(|s| s.as_str())
                .map(|s| s.lines().count() as u64)
                .unwrap_or(0)
        };
        if x.tool == "write_file" {
            a += lines("content");
        } else {
            // The fixtures' edits share no lines between old and new.
            a += lines("new_string");
            r += lines("old_string");
        }
    }
    (a, r)
}

#[test]
fn jsonl_session_updates_rewinds_and_damage() {
    let (s, d) = read("session-2026-01-11T10-00-abcd1234.jsonl");
    let s = s.expect("session");
    assert_eq!(s.id, "abcd1234-0000-0000-0000-000000000000");
    // u2 was rewound away; u1 and u3 remain.
    let prompts: Vec<&str> = s.human_turns().map(|h| h.text.as_str()).collect();
    assert_eq!(prompts, ["fix the bug in /Users/bob/app/main.py", "thanks"]);
    assert_eq!(d.ignored.get("rewound-message"), Some(&1));
    // g1 was written twice; the later record (with the tool call) wins.
    assert_eq!(d.ignored.get("message-update"), Some(&1));
    let acts: Vec<_> = s.actions().collect();
    assert_eq!(acts.len(), 1);
    let lines = acts[0].result.lines.expect("diff lines");
    assert_eq!((lines.added, lines.removed), (2, 1));
    assert_eq!(s.model_calls.len(), 1);
    assert_eq!(s.project.as_deref(), Some("/Users/bob/app"));
    assert_eq!(s.user, agentstat_ingest::user_key(b"test", "bob"));
    // Damage: each named by file and line, counted, never fatal.
    let at = |reason: &str| -> Vec<Option<u64>> {
        d.warnings
            .iter()
            .filter(|w| w.reason == reason)
            .map(|w| w.line)
            .collect()
    };
    assert_eq!(at("unknown-record-type"), [Some(9), Some(11)]);
    assert_eq!(at("record-without-type"), [Some(10)]);
    assert_eq!(at("invalid-json"), [Some(12)]);
    assert_eq!(at("truncated-json"), [Some(13)]);
    assert!(d
        .warnings
        .iter()
        .all(|w| w.file.ends_with("abcd1234.jsonl")));
    assert_eq!(d.skipped_total(), 5);
}

#[test]
fn damaged_documents_are_reported_not_fatal() {
    let (s, d) = read("invalid.json");
    assert!(s.is_none());
    assert_eq!(d.skipped.get("invalid-json"), Some(&1));
    assert_eq!(d.warnings[0].line, Some(6));
    assert!(d.warnings[0].file.ends_with("invalid.json"));

    let (s, d) = read("truncated.json");
    assert!(s.is_none());
    assert_eq!(d.skipped.get("truncated-json"), Some(&1));
    assert!(d.warnings[0].line.is_some());

    let (s, d) = read("empty.json");
    assert!(s.is_none());
    assert_eq!(d.warnings[0].reason, "empty-file");
    assert!(d.skipped.is_empty());

    let (s, d) = read("no-messages.json");
    assert!(s.is_none());
    assert_eq!(d.skipped.get("missing-messages"), Some(&1));
}

#[test]
fn subagent_sessions_have_no_human_turns_and_nameless_tools_are_skipped() {
    let (s, d) = read("subagent.json");
    let s = s.expect("session");
    assert_eq!(s.human_turns().count(), 0);
    assert!(!s.is_interactive());
    assert_eq!(s.actions().count(), 0);
    assert_eq!(d.skipped.get("tool-call-without-name"), Some(&1));
    assert_eq!(d.warnings[0].line, Some(7));
}

#[test]
fn missing_file_is_a_skip() {
    let (s, d) = read("does-not-exist.json");
    assert!(s.is_none());
    assert_eq!(d.skipped.get("unreadable-file"), Some(&1));
}

fn write(dir: &std::path::Path, rel: &str, text: &str) -> PathBuf {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

fn read_dir_sessions(dir: &std::path::Path) -> (Vec<SessionSource>, Vec<Session>, Diagnostics) {
    let mut d = Diagnostics::default();
    let srcs = discover(&[dir.to_path_buf()], &mut d);
    let sessions = srcs
        .iter()
        .filter_map(|s| read_session(s, &opts(), &mut d))
        .collect();
    (srcs, sessions, d)
}

/// Resuming a legacy `.json` session, the CLI copies it into `<same name>.jsonl` and goes on
/// there, leaving the `.json` behind: one session, read from the `.jsonl`.
#[test]
fn a_session_migrated_to_jsonl_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let u1 = r#"{"id":"u1","timestamp":"2026-01-12T09:00:01.000Z","type":"user","content":[{"text":"first"}]}"#;
    let g1 = r#"{"id":"g1","timestamp":"2026-01-12T09:00:02.000Z","type":"gemini","content":"ok","tokens":{"input":5,"output":1,"cached":0,"total":6}}"#;
    write(
        dir.path(),
        "chats/session-2026-01-12T09-00-aaaa1111.json",
        &format!(
            "{{\n  \"sessionId\": \"aaaa1111-0000-0000-0000-000000000000\",\n  \"projectHash\": \"ff\",\n  \"messages\": [\n    {u1},\n    {g1}\n  ]\n}}\n"
        ),
    );
    write(
        dir.path(),
        "chats/session-2026-01-12T09-00-aaaa1111.jsonl",
        &format!(
            "{{\"sessionId\":\"aaaa1111-0000-0000-0000-000000000000\",\"projectHash\":\"ff\"}}\n{u1}\n{g1}\n\
             {{\"id\":\"u2\",\"timestamp\":\"2026-01-13T09:00:01.000Z\",\"type\":\"user\",\"content\":[{{\"text\":\"second\"}}]}}\n"
        ),
    );
    let (srcs, sessions, d) = read_dir_sessions(dir.path());
    assert_eq!(srcs.len(), 1);
    assert!(srcs[0].files[0].path.to_string_lossy().ends_with(".jsonl"));
    assert_eq!(d.ignored.get("gemini-json-superseded-by-jsonl"), Some(&1));
    let prompts: Vec<&str> = sessions[0].human_turns().map(|h| h.text.as_str()).collect();
    assert_eq!(prompts, ["first", "second"]);
    assert_eq!(sessions[0].model_calls.len(), 1);
}

/// Newer CLIs record a subagent's conversation in `chats/<parent session id>/<id>.jsonl`
/// (`kind: subagent`): its work is the parent session's, as Claude Code's subagents are.
#[test]
fn subagent_sessions_are_folded_into_their_parent() {
    let dir = tempfile::tempdir().unwrap();
    let parent = "bbbb2222-0000-0000-0000-000000000000";
    write(
        dir.path(),
        "chats/session-2026-01-12T09-00-bbbb2222.jsonl",
        &format!(
            "{{\"sessionId\":\"{parent}\",\"projectHash\":\"ff\",\"kind\":\"main\"}}\n\
             {{\"id\":\"u1\",\"timestamp\":\"2026-01-12T09:00:01.000Z\",\"type\":\"user\",\"content\":[{{\"text\":\"how does auth work?\"}}]}}\n\
             {{\"id\":\"g1\",\"timestamp\":\"2026-01-12T09:00:02.000Z\",\"type\":\"gemini\",\"content\":\"\",\"tokens\":{{\"input\":10,\"output\":2,\"cached\":0,\"total\":12}},\"toolCalls\":[{{\"id\":\"c1\",\"name\":\"codebase_investigator\",\"args\":{{\"objective\":\"auth\"}},\"status\":\"success\"}}]}}\n\
             {{\"id\":\"g2\",\"timestamp\":\"2026-01-12T09:00:09.000Z\",\"type\":\"gemini\",\"content\":\"It uses tokens.\",\"tokens\":{{\"input\":20,\"output\":4,\"cached\":0,\"total\":24}}}}\n"
        ),
    );
    write(
        dir.path(),
        &format!("chats/{parent}/inv-1.jsonl"),
        "{\"sessionId\":\"inv-1\",\"projectHash\":\"ff\",\"kind\":\"subagent\",\"directories\":[\"/home/carol/app\"]}\n\
         {\"id\":\"s1\",\"timestamp\":\"2026-01-12T09:00:03.000Z\",\"type\":\"user\",\"content\":[{\"text\":\"Investigate auth\"}]}\n\
         {\"id\":\"s2\",\"timestamp\":\"2026-01-12T09:00:04.000Z\",\"type\":\"gemini\",\"content\":\"Reading.\",\"tokens\":{\"input\":7,\"output\":1,\"cached\":0,\"total\":8},\"toolCalls\":[{\"id\":\"c2\",\"name\":\"read_file\",\"args\":{\"absolute_path\":\"/home/carol/app/auth.py\"},\"status\":\"success\"}]}\n",
    );
    // A subagent whose parent is not there stays a session of its own.
    write(
        dir.path(),
        "chats/cccc3333-0000-0000-0000-000000000000/inv-2.jsonl",
        "{\"sessionId\":\"inv-2\",\"projectHash\":\"ff\",\"kind\":\"subagent\"}\n\
         {\"id\":\"s1\",\"timestamp\":\"2026-01-12T10:00:03.000Z\",\"type\":\"user\",\"content\":[{\"text\":\"Look\"}]}\n",
    );
    let (srcs, sessions, d) = read_dir_sessions(dir.path());
    assert!(d.skipped.is_empty(), "{:?}", d.warnings);
    assert_eq!(srcs.len(), 2);
    let s = sessions.iter().find(|s| s.id == parent).expect("parent");
    assert_eq!(s.source_files.len(), 2);
    assert_eq!(s.human_turns().count(), 1);
    assert!(s.is_interactive());
    let acts: Vec<(&str, Option<&str>)> = s
        .actions()
        .map(|a| (a.tool.as_str(), a.subagent.as_deref()))
        .collect();
    assert_eq!(
        acts,
        [
            ("codebase_investigator", None),
            ("read_file", Some("inv-1"))
        ]
    );
    assert_eq!(s.subagents.len(), 1);
    assert_eq!(s.subagents[0].id, "inv-1");
    assert_eq!(s.model_calls.len(), 3);
    assert_eq!(
        s.model_calls
            .iter()
            .filter(|c| c.subagent.as_deref() == Some("inv-1"))
            .count(),
        1
    );
    // In time order: the subagent's work comes before the parent's answer.
    let last_text = s
        .events
        .iter()
        .rposition(|e| matches!(e, Event::AssistantText(t) if t.text == "It uses tokens."))
        .unwrap();
    let sub_read = s
        .events
        .iter()
        .position(|e| matches!(e, Event::Action(a) if a.tool == "read_file"))
        .unwrap();
    assert!(sub_read < last_text);
    // The subagent's instructions are not the person's prompt; its paths name the person.
    assert_eq!(s.user, agentstat_ingest::user_key(b"test", "carol"));
    let orphan = sessions.iter().find(|s| s.id == "inv-2").expect("orphan");
    assert_eq!(orphan.human_turns().count(), 0);
}

/// The CLI writes the model's context back as `{"$set": {"messages": [...]}}` when it sets the
/// history: at start (the bootstrapped environment context and its acknowledgement) and after a
/// compression (a summary and its acknowledgement, then the turns kept). Those new turns are
/// the CLI's, not the person's, and the turns compressed away still happened.
#[test]
fn history_syncs_add_no_prompts_and_drop_no_turns() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = r#"{"id":"b1","timestamp":"2026-01-12T09:00:00.500Z","type":"user","content":[{"text":"This is the Gemini CLI. We are setting up the context for our chat. My operating system is: linux. I'm currently working in the directory: /home/dana/app"}]}"#;
    let ack = r#"{"id":"b2","timestamp":"2026-01-12T09:00:00.600Z","type":"gemini","content":[{"text":"Got it. Thanks for the context!"}]}"#;
    let u1 = r#"{"id":"u1","timestamp":"2026-01-12T09:00:01.000Z","type":"user","content":[{"text":"add tests"}]}"#;
    let g1 = r#"{"id":"g1","timestamp":"2026-01-12T09:00:02.000Z","type":"gemini","content":"","tokens":{"input":10,"output":2,"cached":0,"total":12},"toolCalls":[{"id":"c1","name":"write_file","args":{"file_path":"/home/dana/app/t.py","content":"x\n"},"status":"success"}]}"#;
    let sum = r#"{"id":"s1","timestamp":"2026-01-12T09:10:00.000Z","type":"user","content":[{"text":"<state_snapshot>tests were added</state_snapshot>"}]}"#;
    let sack = r#"{"id":"s2","timestamp":"2026-01-12T09:10:00.100Z","type":"gemini","content":[{"text":"Got it. Thanks for the additional context!"}]}"#;
    let u2 = r#"{"id":"u2","timestamp":"2026-01-12T09:11:00.000Z","type":"user","content":[{"text":"now run them"}]}"#;
    write(
        dir.path(),
        "chats/session-2026-01-12T09-00-dddd4444.jsonl",
        &format!(
            "{{\"sessionId\":\"dddd4444-0000-0000-0000-000000000000\",\"projectHash\":\"ff\",\"kind\":\"main\"}}\n\
             {{\"$set\":{{\"messages\":[{ctx},{ack}]}}}}\n{u1}\n{g1}\n\
             {{\"$set\":{{\"messages\":[{sum},{sack}]}}}}\n{u2}\n"
        ),
    );
    let (_, sessions, d) = read_dir_sessions(dir.path());
    assert!(d.skipped.is_empty(), "{:?}", d.warnings);
    let s = &sessions[0];
    let prompts: Vec<&str> = s.human_turns().map(|h| h.text.as_str()).collect();
    assert_eq!(prompts, ["add tests", "now run them"]);
    assert_eq!(s.actions().count(), 1, "the turn compressed away is kept");
    assert_eq!(s.model_calls.len(), 1);
    assert_eq!(d.ignored.get("history-sync"), Some(&2));
    let notes = s
        .events
        .iter()
        .filter(|e| matches!(e, Event::System(n) if n.kind == "history_sync"))
        .count();
    assert_eq!(notes, 4);
    assert!(!s
        .events
        .iter()
        .any(|e| matches!(e, Event::AssistantText(t) if t.text.starts_with("Got it."))));
}
