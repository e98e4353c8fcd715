//! SWE-agent adapter on fixtures we wrote (0.7 commands, 1.x function calling, damage).

use agentstat_ingest::{discover, read_session, Diagnostics, Format, IngestOptions};
use agentstat_session::Session;
use agentstat_session::{ActionKind, Event, ResultStatus};
use std::path::PathBuf;

fn fx(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/swe-agent"
    ))
    .join(name)
}

fn read(name: &str) -> (Option<Session>, Diagnostics) {
    let mut d = Diagnostics::default();
    let srcs = discover(&[fx(name)], &mut d);
    assert_eq!(srcs.len(), 1, "{name} is discovered");
    assert_eq!(srcs[0].format, Format::SweAgent);
    let opts = IngestOptions {
        user_label: None,
        salt: b"test".to_vec(),
    };
    let s = read_session(&srcs[0], &opts, &mut d);
    (s, d)
}

#[test]
fn legacy_commands_edits_and_spread_model_stats() {
    let (s, d) = read("legacy.traj");
    let s = s.expect("session");
    assert_eq!(s.agent.name, "swe-agent");
    assert_eq!(s.human_turns().count(), 0);
    assert!(!s.is_interactive());
    assert_eq!(s.project.as_deref(), Some("/repo"));
    let acts: Vec<(&str, ActionKind, ResultStatus)> = s
        .actions()
        .map(|a| (a.tool.as_str(), a.kind, a.result.status))
        .collect();
    assert_eq!(
        acts,
        [
            ("create", ActionKind::Write, ResultStatus::Ok),
            ("edit", ActionKind::Edit, ResultStatus::Ok),
            ("edit", ActionKind::Edit, ResultStatus::Error),
            ("bash", ActionKind::Shell, ResultStatus::Ok),
            ("submit", ActionKind::Other, ResultStatus::Ok),
        ]
    );
    let a: Vec<_> = s.actions().collect();
    let l = a[1].result.lines.unwrap();
    assert_eq!((l.added, l.removed), (2, 1));
    let l = a[2].result.lines.unwrap();
    assert_eq!((l.added, l.removed), (1, 3));
    assert_eq!(a[1].file_path().as_deref(), Some("/repo/repro.py"));
    assert_eq!(a[3].command().as_deref(), Some("python repro.py"));
    // Totals spread over api_calls.
    let ins: Vec<u64> = s.model_calls.iter().map(|c| c.input_tokens).collect();
    let outs: Vec<u64> = s.model_calls.iter().map(|c| c.output_tokens).collect();
    assert_eq!(ins, [251, 250, 250, 250]);
    assert_eq!(outs, [13, 13, 12, 12]);
    assert!(s
        .events
        .iter()
        .any(|e| matches!(e, Event::System(n) if n.kind == "task" && n.text == "Fix issue #1")));
    assert_eq!(d.skipped.get("step-without-action"), Some(&1));
    assert_eq!(d.warnings[0].line, Some(8));
    assert!(s.time_range().is_none(), "no timestamps in a trajectory");
}

#[test]
fn function_calling_runs_use_the_structured_calls() {
    let (s, d) = read("fncall.traj");
    let s = s.expect("session");
    assert!(d.skipped.is_empty(), "{:?}", d.warnings);
    let a: Vec<_> = s.actions().collect();
    assert_eq!(a.len(), 2);
    assert_eq!((a[0].tool.as_str(), a[0].kind), ("edit", ActionKind::Edit));
    let l = a[0].result.lines.unwrap();
    assert_eq!((l.added, l.removed), (2, 1));
    assert_eq!((a[1].tool.as_str(), a[1].kind), ("bash", ActionKind::Shell));
    assert_eq!(a[1].command().as_deref(), Some("python m.py"));
    // api_calls 0 (a replay): one call per model response.
    assert_eq!(s.model_calls.len(), 2);
    assert_eq!(s.model_calls[0].model.as_deref(), Some("gpt-4o"));
}

#[test]
fn damaged_trajectories() {
    let (s, d) = read("truncated.traj");
    assert!(s.is_none());
    assert_eq!(d.skipped.get("truncated-json"), Some(&1));
    assert!(d.warnings[0].file.ends_with("truncated.traj"));

    let (s, d) = read("no-trajectory.traj");
    assert!(s.is_none());
    assert_eq!(d.skipped.get("missing-trajectory"), Some(&1));
}

/// SWE-agent 1.x's default editing tool, `str_replace_editor`, does its work through a
/// `command` argument: viewing is a read, `create` a write of `file_text`, `str_replace` and
/// `insert` edits; none of them is a shell command.
#[test]
fn str_replace_editor_calls_are_reads_writes_and_edits() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("editor.traj");
    let call = |args: &str| {
        format!(
            r#"{{"role": "assistant", "content": "", "tool_calls": [{{"function": {{"name": "str_replace_editor", "arguments": {}}}}}]}}"#,
            serde_json::to_string(args).unwrap()
        )
    };
    let step = |action: &str, obs: &str| {
        format!(
            r#"{{"action": {}, "observation": {}, "response": "r", "thought": "", "state": {{"working_dir": "/testbed"}}}}"#,
            serde_json::to_string(action).unwrap(),
            serde_json::to_string(obs).unwrap()
        )
    };
    let text = format!(
        r#"{{"trajectory": [{}, {}, {}, {}, {}], "history": [{{"role": "user", "content": "Task"}}, {}, {}, {}, {}, {}], "info": {{"model_stats": {{"api_calls": 5}}}}}}"#,
        step("str_replace_editor view /testbed/m.py", "1 a = 1"),
        step("str_replace_editor create /testbed/t.py --file_text 'x\ny\n'", "File created successfully at: /testbed/t.py"),
        step("str_replace_editor str_replace /testbed/m.py --old_str 'a = 1' --new_str 'a = 2\nb = 3'", "The file /testbed/m.py has been edited."),
        step("str_replace_editor insert /testbed/m.py --insert_line 1 --new_str 'c = 4'", "The file /testbed/m.py has been edited."),
        step("str_replace_editor str_replace /testbed/m.py --old_str 'zzz' --new_str 'q'", "No replacement was performed, old_str `zzz` did not appear verbatim in /testbed/m.py."),
        call(r#"{"command": "view", "path": "/testbed/m.py"}"#),
        call(r#"{"command": "create", "path": "/testbed/t.py", "file_text": "x\ny\n"}"#),
        call(r#"{"command": "str_replace", "path": "/testbed/m.py", "old_str": "a = 1", "new_str": "a = 2\nb = 3"}"#),
        call(r#"{"command": "insert", "path": "/testbed/m.py", "insert_line": 1, "new_str": "c = 4"}"#),
        call(r#"{"command": "str_replace", "path": "/testbed/m.py", "old_str": "zzz", "new_str": "q"}"#),
    );
    std::fs::write(&p, text).unwrap();
    let mut d = Diagnostics::default();
    let srcs = discover(&[p], &mut d);
    let opts = IngestOptions {
        user_label: None,
        salt: b"test".to_vec(),
    };
    let s = read_session(&srcs[0], &opts, &mut d).expect("session");
    assert!(d.skipped.is_empty(), "{:?}", d.warnings);
    type Row = (ActionKind, ResultStatus, Option<(u64, u64)>);
    let got: Vec<Row> = s
        .actions()
        .map(|a| {
            (
                a.kind,
                a.result.status,
                a.result.lines.map(|l| (l.added, l.removed)),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (ActionKind::Read, ResultStatus::Ok, None),
            (ActionKind::Write, ResultStatus::Ok, Some((2, 0))),
            (ActionKind::Edit, ResultStatus::Ok, Some((2, 1))),
            (ActionKind::Edit, ResultStatus::Ok, Some((1, 0))),
            (ActionKind::Edit, ResultStatus::Error, Some((1, 1))),
        ]
    );
    assert!(s.actions().all(|a| a.tool == "str_replace_editor"));
    assert_eq!(
        s.actions().nth(2).unwrap().file_path().as_deref(),
        Some("/testbed/m.py")
    );
}
