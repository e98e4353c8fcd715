//! pi and Oh My Pi adapter on fixtures we wrote, shaped like pi-mono's `docs/session.md` and Oh
//! My Pi's session docs say (docs/FORMATS.md): a pi session with every entry and message kind,
//! an Oh My Pi task session run by a parent agent, a damaged file, and discovery under a fake home.

use agentstat_ingest::{
    default_roots, discover, read_session, Diagnostics, FileRole, Format, SessionSource, SourceFile,
};
use agentstat_session::{ActionKind, Event, ResultStatus, Session};
use std::path::PathBuf;

mod support;
use support::opts;

const PI: &str =
    "sessions/--home-dev-greeter--/2025-12-03T14-00-00-000Z_1f9d2a6b-0000-4000-8000-000000000001.jsonl";

fn fx(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/pi")).join(name)
}

fn read(name: &str) -> (Option<Session>, Diagnostics) {
    support::read_as(fx(name), Format::Pi)
}

#[test]
fn pi_session_every_entry_kind() {
    let (s, d) = read(PI);
    let s = s.expect("session");
    assert_eq!(d.skipped_total(), 0, "{:?}", d.warnings);
    assert_eq!(s.agent.name, "pi");
    assert_eq!(s.id, "1f9d2a6b-0000-4000-8000-000000000001");
    assert_eq!(s.project.as_deref(), Some("/home/dev/greeter"));
    assert!(s.is_interactive());
    let prompts: Vec<(&str, u32)> = s
        .human_turns()
        .map(|h| (h.text.as_str(), h.attachments))
        .collect();
    assert_eq!(
        prompts,
        [
            ("Add a greeting to hello.py and run the tests", 0),
            ("Does it match this screenshot?", 1),
            ("commit it", 0),
        ]
    );
    let acts: Vec<(&str, ActionKind, ResultStatus, Option<i32>)> = s
        .actions()
        .map(|a| (a.tool.as_str(), a.kind, a.result.status, a.result.exit_code))
        .collect();
    assert_eq!(
        acts,
        [
            ("read", ActionKind::Read, ResultStatus::Ok, None),
            ("edit", ActionKind::Edit, ResultStatus::Ok, None),
            ("bash", ActionKind::Shell, ResultStatus::Error, Some(1)),
            ("write", ActionKind::Write, ResultStatus::Ok, None),
            ("bash", ActionKind::Shell, ResultStatus::Ok, None),
        ]
    );
    // The `!` command the person ran is a note, not an agent action; so are the compaction
    // summary, the branch summary and the extension's message.
    let notes: Vec<&str> = s
        .events
        .iter()
        .filter_map(|e| match e {
            Event::System(n) => Some(n.kind.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        notes,
        [
            "local_command",
            "compact_summary",
            "branch_summary",
            "custom_message"
        ]
    );
    assert_eq!(s.compactions, 1);
    assert_eq!(s.model_calls.len(), 8);
    assert_eq!(s.model_calls[0].message_id, "resp_1");
    assert_eq!(
        (
            s.model_calls[0].input_tokens,
            s.model_calls[0].output_tokens
        ),
        (1002, 52)
    );
    assert_eq!(s.model_calls[0].cache_read_tokens, 200);
    let t = agentstat_telemetry::measure(&s);
    // edit: 1 line removed, 2 added; write: 4 lines.
    assert_eq!((t.lines_added, t.lines_removed), (Some(6), Some(1)));
    assert_eq!((t.files_touched, t.tool_errors, t.interrupts), (2, 1, 1));
    assert_eq!(t.git_commits, 1);
    assert_eq!(t.human_turns, 3);
    for k in [
        "thinking",
        "model_change",
        "thinking_level_change",
        "extension-state",
        "label",
        "session_info",
    ] {
        assert_eq!(s.ignored_records.get(k), Some(&1), "{k}");
    }
}

#[test]
fn oh_my_pi_task_session_is_not_interactive() {
    let (s, d) = read("omp-task.jsonl");
    let s = s.expect("session");
    assert_eq!(d.skipped_total(), 0, "{:?}", d.warnings);
    // The prompt came from the parent agent (`attribution: "agent"`): no human turn.
    assert_eq!(s.human_turns().count(), 0);
    assert!(!s.is_interactive());
    assert_eq!(s.entrypoint.as_deref(), Some("subagent"));
    let a: Vec<_> = s.actions().collect();
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].kind, ActionKind::Edit);
    assert_eq!(
        a[0].file_path().as_deref(),
        Some("/home/dev/greeter/README.md")
    );
    let t = agentstat_telemetry::measure(&s);
    assert_eq!(
        (t.lines_added, t.lines_removed, t.files_touched),
        (Some(2), Some(1), 1)
    );
    assert_eq!(s.model_calls[0].model.as_deref(), Some("gpt-5"));
    assert_eq!(s.ignored_records.get("title"), Some(&1));
    assert_eq!(s.ignored_records.get("extension-state"), Some(&2));
}

#[test]
fn damaged_lines_are_named_by_file_and_line() {
    let (s, d) = read("damaged.jsonl");
    let s = s.expect("the readable part is a session");
    assert_eq!(s.human_turns().count(), 1);
    let mut got: Vec<(u64, &str)> = d
        .warnings
        .iter()
        .map(|w| (w.line.unwrap_or(0), w.reason.as_str()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (3, "unknown-record-type"),
            (4, "orphan-tool-result"),
            (5, "unknown-message-role"),
            (6, "truncated-json"),
        ]
    );
    assert!(d.warnings.iter().all(|w| w.file.ends_with("damaged.jsonl")));
}

#[test]
fn any_truncation_reads_without_panic() {
    let bytes = std::fs::read(fx(PI)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for cut in (0..bytes.len()).step_by(97) {
        let p = dir.path().join("cut.jsonl");
        std::fs::write(&p, &bytes[..cut]).unwrap();
        let src = SessionSource {
            id: "cut".into(),
            files: vec![SourceFile {
                path: p,
                role: FileRole::Main,
                bytes: cut as u64,
                span: None,
            }],
            format: Format::Pi,
        };
        let mut d = Diagnostics::default();
        let _ = read_session(&src, &opts(), &mut d);
    }
}

#[test]
fn discovery_by_content_and_default_roots_under_a_fake_home() {
    // The only test here that touches the environment.
    let home = tempfile::tempdir().unwrap();
    let pi_dir = home.path().join(".pi/agent/sessions/--home-dev-greeter--");
    let omp_dir = home.path().join(".omp/agent/sessions/--home-dev-greeter--");
    std::fs::create_dir_all(&pi_dir).unwrap();
    std::fs::create_dir_all(&omp_dir).unwrap();
    std::fs::copy(fx(PI), pi_dir.join("s.jsonl")).unwrap();
    std::fs::copy(fx("omp-task.jsonl"), omp_dir.join("t.jsonl")).unwrap();
    std::env::set_var("HOME", home.path());
    for k in ["CLAUDE_CONFIG_DIR", "CODEX_HOME", "PI_CODING_AGENT_DIR"] {
        std::env::remove_var(k);
    }
    let roots = default_roots();
    assert!(
        roots.contains(&home.path().join(".pi/agent/sessions")),
        "{roots:?}"
    );
    assert!(
        roots.contains(&home.path().join(".omp/agent/sessions")),
        "{roots:?}"
    );
    let mut d = Diagnostics::default();
    let srcs = discover(&roots, &mut d);
    assert_eq!(srcs.len(), 2, "{srcs:?}");
    assert!(srcs.iter().all(|s| s.format == Format::Pi), "{srcs:?}");
}
