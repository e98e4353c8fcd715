//! The Claude Code adapter on hand-written fixtures, one per edge case.

use agentstat_ingest::{
    discover, read_session, user_key, Diagnostics, IngestOptions, SessionSource,
};
use agentstat_session::{ActionKind, Event, ResultStatus, Session};
use std::path::{Path, PathBuf};

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(p)
}

fn opts() -> IngestOptions {
    IngestOptions {
        user_label: None,
        salt: b"test-salt".to_vec(),
    }
}

fn load(paths: &[PathBuf]) -> (Vec<(SessionSource, Option<Session>)>, Diagnostics) {
    let mut d = Diagnostics::default();
    let srcs = discover(paths, &mut d);
    let out = srcs
        .into_iter()
        .map(|s| {
            let sess = read_session(&s, &opts(), &mut d);
            (s, sess)
        })
        .collect();
    (out, d)
}

fn one(p: &str) -> (Session, Diagnostics) {
    let (mut v, d) = load(&[fixture(p)]);
    assert_eq!(v.len(), 1, "expected one session in {p}");
    (v.remove(0).1.expect("session read"), d)
}

fn prompts(s: &Session) -> Vec<String> {
    s.human_turns().map(|h| h.text.clone()).collect()
}

#[test]
fn full_session_prompts_are_recognised_exactly() {
    let (s, d) = one("session_full.jsonl");
    assert_eq!(
        prompts(&s),
        vec![
            "Please add a greeting function to hello.py",
            "/review the diff",
            "also check the README",
            "and run the linter too",
            "thanks, now commit",
            "what about this screenshot?",
        ]
    );
    let queued: Vec<bool> = s.human_turns().map(|h| h.queued).collect();
    assert_eq!(queued, vec![false, false, true, true, false, false]);
    let first = s.human_turns().next().unwrap();
    assert_eq!(first.permission_mode.as_deref(), Some("acceptEdits"));
    assert_eq!(s.human_turns().last().unwrap().attachments, 1);
    assert!(
        d.skipped.is_empty(),
        "no damage in this fixture: {:?}",
        d.skipped
    );
    let kinds: Vec<&str> = s
        .events
        .iter()
        .filter_map(|e| match e {
            Event::System(n) => Some(n.kind.as_str()),
            _ => None,
        })
        .collect();
    for k in [
        "meta",
        "command",
        "local_command",
        "reminder",
        "bash_echo",
        "compact_summary",
    ] {
        assert!(kinds.contains(&k), "missing system note {k}: {kinds:?}");
    }
}

#[test]
fn full_session_actions_results_and_lines() {
    let (s, _) = one("session_full.jsonl");
    let acts: Vec<_> = s.actions().collect();
    let tools: Vec<&str> = acts.iter().map(|a| a.tool.as_str()).collect();
    assert_eq!(
        tools,
        vec![
            "Edit",
            "Write",
            "Bash",
            "Bash",
            "MultiEdit",
            "TodoWrite",
            "Task",
            "mcp__linear-server__create_issue",
            "mcp__tavily__tavily_search",
            "Bash"
        ]
    );
    let kinds: Vec<ActionKind> = acts.iter().map(|a| a.kind).collect();
    use ActionKind::*;
    assert_eq!(
        kinds,
        vec![Edit, Write, Shell, Shell, Edit, Plan, Subagent, Other, Web, Shell]
    );
    let st: Vec<ResultStatus> = acts.iter().map(|a| a.result.status).collect();
    use ResultStatus as R;
    assert_eq!(
        st,
        vec![
            R::Ok,
            R::Ok,
            R::Error,
            R::Rejected,
            R::Ok,
            R::Ok,
            R::Ok,
            R::Ok,
            R::Ok,
            R::Ok
        ]
    );
    assert_eq!(acts[2].result.exit_code, Some(101));
    assert_eq!(acts[9].result.exit_code, Some(0));
    let lines: Vec<(u64, u64)> = acts
        .iter()
        .filter_map(|a| a.result.lines)
        .map(|l| (l.added, l.removed))
        .collect();
    assert_eq!(lines, vec![(2, 1), (3, 0), (1, 1)]);
    assert_eq!(
        acts[0].file_path().as_deref(),
        Some("/Users/fixture-person/proj/hello.py")
    );
    assert_eq!(acts[2].command().as_deref(), Some("cargo test"));
}

#[test]
fn full_session_calls_events_and_metadata() {
    let (s, _) = one("session_full.jsonl");
    // msg_A … msg_H; msg_A spans three lines, msg_H two; the synthetic error is not a call.
    assert_eq!(s.model_calls.len(), 8);
    let a = &s.model_calls[0];
    assert_eq!(
        (a.message_id.as_str(), a.output_tokens, a.input_tokens),
        ("msg_A", 40, 5)
    );
    assert_eq!(
        s.model_calls
            .iter()
            .find(|c| c.message_id == "msg_H")
            .unwrap()
            .output_tokens,
        12
    );
    let interrupts = s
        .events
        .iter()
        .filter(|e| matches!(e, Event::Interrupt { .. }))
        .count();
    assert_eq!(interrupts, 1);
    let texts: Vec<&str> = s
        .events
        .iter()
        .filter_map(|e| match e {
            Event::AssistantText(t) => Some(t.text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        texts,
        vec![
            "I will edit the file.",
            "That is a chart.",
            "It shows growth."
        ]
    );
    assert_eq!(s.pr_links, vec!["https://example.com/o/r/pull/7"]);
    assert_eq!(s.compactions, 1);
    assert!(s
        .events
        .iter()
        .any(|e| matches!(e, Event::Compaction { trigger: Some(t), .. } if t == "auto")));
    assert_eq!(s.agent.name, "claude-code");
    assert_eq!(s.agent.version.as_deref(), Some("2.1.30"));
    assert_eq!(s.project.as_deref(), Some("/Users/fixture-person/proj"));
    assert_eq!(s.git_branch.as_deref(), Some("main"));
    assert_eq!(s.user, user_key(b"test-salt", "fixture-person"));
    assert_eq!(s.id, "11111111-1111-4111-8111-111111111111");
    for k in [
        "file-history-snapshot",
        "progress:hook_progress",
        "summary",
        "system:turn_duration",
        "pr-link-duplicate",
    ] {
        assert!(
            s.ignored_records.contains_key(k),
            "{k} not counted: {:?}",
            s.ignored_records
        );
    }
    // The queued prompt delivered by `remove` sits before the next typed prompt.
    let pos = |t: &str| {
        s.events
            .iter()
            .position(|e| matches!(e, Event::Human(h) if h.text == t))
            .unwrap()
    };
    assert!(pos("and run the linter too") < pos("thanks, now commit"));
    assert!(s.is_interactive());
}

#[test]
fn user_label_overrides_the_home_directory() {
    let mut d = Diagnostics::default();
    let src = discover(&[fixture("session_full.jsonl")], &mut d).remove(0);
    let o = IngestOptions {
        user_label: Some("me".into()),
        salt: b"test-salt".to_vec(),
    };
    let s = read_session(&src, &o, &mut d).unwrap();
    assert_eq!(s.user, user_key(b"test-salt", "me"));
}

#[test]
fn flat_subagents_join_their_session_and_orphans_stand_alone() {
    let (v, _) = load(&[fixture("flat")]);
    assert_eq!(v.len(), 2);
    let s = v
        .iter()
        .find_map(|(_, s)| s.as_ref().filter(|s| s.id.starts_with("2222")))
        .unwrap();
    assert_eq!(s.source_files.len(), 2);
    assert_eq!(
        prompts(s),
        vec!["explore the repo"],
        "subagent prompts are not the person's"
    );
    let tools: Vec<(&str, Option<&str>)> = s
        .actions()
        .map(|a| (a.tool.as_str(), a.subagent.as_deref()))
        .collect();
    assert_eq!(
        tools,
        vec![
            ("Task", None),
            ("Grep", Some("fa01")),
            ("Read", Some("fa01"))
        ]
    );
    assert_eq!(s.subagents.len(), 1);
    assert_eq!(s.subagents[0].layout, "flat");
    assert_eq!(
        s.subagents[0].agent_type.as_deref(),
        Some("general-purpose")
    );
    assert_eq!(s.model_calls.len(), 4);
    let orphan = v
        .iter()
        .find_map(|(_, s)| s.as_ref().filter(|s| s.id.starts_with("9999")))
        .unwrap();
    assert!(!orphan.is_interactive());
}

#[test]
fn nested_subagents_meta_compaction_and_streamed_copies() {
    let (s, d) = one("nested");
    assert!(d.skipped.is_empty(), "{:?}", d.skipped);
    assert_eq!(
        s.source_files.len(),
        4,
        "main, two subagents, one workflow subagent"
    );
    let mut subs: Vec<(String, String, Option<String>, bool)> = s
        .subagents
        .iter()
        .map(|a| {
            (
                a.id.clone(),
                a.layout.clone(),
                a.agent_type.clone(),
                a.is_compaction,
            )
        })
        .collect();
    subs.sort();
    assert_eq!(
        subs,
        vec![
            (
                "acompact-c1".into(),
                "nested".into(),
                Some("compact".into()),
                true
            ),
            (
                "an01".into(),
                "nested".into(),
                Some("Explore".into()),
                false
            ),
            (
                "ap02".into(),
                "inline".into(),
                Some("Explore".into()),
                false
            ),
            ("aw01".into(), "nested".into(), None, false),
        ]
    );
    // The Glob streamed in a progress record and also in the nested file counts once.
    let tools: Vec<&str> = s.actions().map(|a| a.tool.as_str()).collect();
    assert_eq!(tools, vec!["Agent", "Glob", "Bash", "Read"]);
    assert_eq!(s.actions().nth(1).unwrap().result.status, ResultStatus::Ok);
    assert_eq!(prompts(&s), vec!["research this", "thanks"]);
    assert_eq!(s.compactions, 1);
    assert!(
        s.ignored_records
            .get("duplicate-uuid")
            .copied()
            .unwrap_or(0)
            >= 1
    );
}

#[test]
fn resumed_session_files_are_one_session_without_duplicates() {
    let (v, _) = load(&[fixture("resumed")]);
    assert_eq!(
        v.len(),
        1,
        "two files sharing their first record are one session"
    );
    let s = v[0].1.as_ref().unwrap();
    assert_eq!(prompts(s), vec!["start", "continue please"]);
    assert_eq!(s.actions().count(), 1);
    assert_eq!(s.model_calls.len(), 2);
    assert_eq!(s.ignored_records.get("duplicate-uuid"), Some(&3));
}

#[test]
fn events_follow_the_parent_graph_not_the_file_order() {
    let (s, _) = one("order");
    let seq: Vec<&str> = s
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Human(h) => Some(h.text.as_str()),
            Event::AssistantText(t) => Some(t.text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(seq, vec!["first", "second", "third", "fourth"]);
}

#[test]
fn damaged_file_keeps_every_good_record_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("damaged.jsonl");
    let mut bytes = std::fs::read(fixture("damaged.jsonl")).unwrap();
    // A line with bytes that are not UTF-8, inserted before the truncated last line.
    let cut = bytes.iter().rposition(|&b| b == b'\n').unwrap() + 1;
    let bad = b"{\"type\":\"user\",\"uuid\":\"d9\",\"parentUuid\":\"d5\",\"message\":{\"role\":\"user\",\"content\":\"caf\xe9 ok\"}}\n";
    bytes.splice(cut..cut, bad.iter().copied());
    std::fs::write(&p, &bytes).unwrap();
    let (s, d) = one_path(&p);
    for w in &d.warnings {
        eprintln!("{w}");
    }
    assert_eq!(
        prompts(&s),
        vec![
            "a real prompt",
            "glued prompt",
            "after the damage",
            "caf\u{fffd} ok"
        ]
    );
    assert_eq!(d.recovered.get("concatenated-records"), Some(&1));
    assert_eq!(d.recovered.get("invalid-utf8"), Some(&1));
    assert_eq!(d.skipped.get("invalid-json"), Some(&1));
    assert_eq!(d.skipped.get("truncated-json"), Some(&1));
    assert_eq!(d.skipped.get("not-an-object"), Some(&1));
    assert_eq!(d.skipped.get("unknown-record-type"), Some(&1));
    assert_eq!(d.skipped.get("record-without-type"), Some(&1));
    assert_eq!(d.skipped.get("missing-message"), Some(&1));
    // Every warning names the file and the line.
    for w in &d.warnings {
        assert!(w.file.ends_with("damaged.jsonl"));
        assert!(w.line.is_some(), "{w}");
    }
    let trunc = d
        .warnings
        .iter()
        .find(|w| w.reason == "truncated-json")
        .unwrap();
    assert_eq!(trunc.line, Some(11));
}

fn one_path(p: &Path) -> (Session, Diagnostics) {
    let (mut v, d) = load(&[p.to_path_buf()]);
    assert_eq!(v.len(), 1);
    (v.remove(0).1.expect("session"), d)
}

#[test]
fn empty_binary_missing_and_looping_inputs_do_not_stop_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("empty.jsonl"), b"").unwrap();
    std::fs::write(
        root.join("binary.jsonl"),
        [0x7fu8, b'E', b'L', b'F', 0, 0, 1, 2, 0xff, b'\n', 0, 0],
    )
    .unwrap();
    std::fs::copy(
        fixture("order/66666666-6666-4666-8666-666666666666.jsonl"),
        root.join("good.jsonl"),
    )
    .unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(root, root.join("loop")).unwrap();
        std::os::unix::fs::symlink(root.join("nowhere"), root.join("broken.jsonl")).unwrap();
    }
    let (v, d) = load(&[root.to_path_buf(), root.join("does-not-exist")]);
    let sessions: Vec<&Session> = v.iter().filter_map(|(_, s)| s.as_ref()).collect();
    assert_eq!(sessions.len(), 1);
    assert_eq!(prompts(sessions[0]), vec!["first", "third"]);
    assert_eq!(d.skipped.get("binary-file"), Some(&1));
    assert_eq!(d.skipped.get("unreadable-path"), Some(&1));
    assert!(d.warnings.iter().any(|w| w.reason == "empty-file"));
    #[cfg(unix)]
    {
        assert!(d.warnings.iter().any(|w| w.reason == "symlink-loop"));
        assert_eq!(d.skipped.get("broken-link"), Some(&1));
    }
}

#[test]
fn a_100_mb_line_is_skipped_and_the_next_line_read() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("huge.jsonl");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
        writeln!(f, r#"{{"type":"user","uuid":"h1","sessionId":"h","message":{{"role":"user","content":"before"}}}}"#).unwrap();
        write!(f, r#"{{"type":"user","uuid":"h2","parentUuid":"h1","sessionId":"h","message":{{"role":"user","content":""#).unwrap();
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..100 {
            f.write_all(&chunk).unwrap();
        }
        writeln!(f, r#""}}}}"#).unwrap();
        writeln!(f, r#"{{"type":"user","uuid":"h3","parentUuid":"h1","sessionId":"h","message":{{"role":"user","content":"after"}}}}"#).unwrap();
    }
    let (s, d) = one_path(&p);
    assert_eq!(prompts(&s), vec!["before", "after"]);
    assert_eq!(d.skipped.get("line-too-long"), Some(&1));
    assert_eq!(d.warnings[0].line, Some(2));
}

#[test]
fn claude_config_dir_sets_the_default_root() {
    // The environment is a lookup: the real HOME (and its ~/.codex, ~/.gemini) is never read.
    let home = tempfile::tempdir().unwrap();
    let env = |k: &str| match k {
        "CLAUDE_CONFIG_DIR" => Some("/tmp/agentstat-test-config".into()),
        "HOME" => Some(home.path().as_os_str().to_owned()),
        _ => None,
    };
    assert_eq!(
        agentstat_ingest::default_roots_with(env),
        vec![PathBuf::from("/tmp/agentstat-test-config/projects")]
    );
}

#[test]
fn absurd_token_counts_are_named_by_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("tokens.jsonl");
    let big = 9_223_372_036_854_775_808u64; // 2^63
    let rec = |id: &str, parent: &str, n: u64| {
        format!(
            r#"{{"type":"assistant","uuid":"{id}","parentUuid":"{parent}","sessionId":"t","message":{{"id":"msg_{id}","role":"assistant","model":"claude-opus-4-1","content":[{{"type":"text","text":"ok"}}],"usage":{{"input_tokens":{n},"output_tokens":1}}}}}}"#
        )
    };
    let text = [
        r#"{"type":"user","uuid":"u1","sessionId":"t","message":{"role":"user","content":"go"}}"#
            .to_string(),
        rec("a1", "u1", big),
        rec("a2", "a1", big),
    ]
    .join("\n");
    std::fs::write(&p, text + "\n").unwrap();
    let (s, d) = one_path(&p);
    let absurd: Vec<_> = d
        .warnings
        .iter()
        .filter(|w| w.reason == "absurd-value")
        .collect();
    assert_eq!(absurd.len(), 2, "{:?}", d.warnings);
    assert_eq!(absurd[0].line, Some(2));
    assert!(absurd[0].file.ends_with("tokens.jsonl"));
    assert_eq!(s.model_calls.len(), 2);
}
