//! GitHub Copilot CLI adapter on fixtures we wrote in the shape of real `events.jsonl` files
//! (docs/FORMATS.md): an interactive session with every event kind, a session a program drove
//! through the SDK, a damaged file, and discovery under a fake home.

use agentstat_ingest::{
    default_roots, discover, read_session, Diagnostics, FileRole, Format, SessionSource, SourceFile,
};
use agentstat_session::{ActionKind, Event, ResultStatus, Session};
use std::path::PathBuf;

mod support;
use support::opts;

const INTERACTIVE: &str = "session-state/7c1d0e52-0000-4000-8000-000000000001/events.jsonl";
const SDK: &str = "session-state/7c1d0e52-0000-4000-8000-000000000002/events.jsonl";

fn fx(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/copilot"
    ))
    .join(name)
}

fn read(name: &str) -> (Option<Session>, Diagnostics) {
    support::read_as(fx(name), Format::CopilotCli)
}

#[test]
fn interactive_session_every_event_kind() {
    let (s, d) = read(INTERACTIVE);
    let s = s.expect("session");
    assert_eq!(d.skipped_total(), 0, "{:?}", d.warnings);
    assert_eq!(s.agent.name, "copilot-cli");
    assert_eq!(s.agent.version.as_deref(), Some("1.0.64"));
    assert_eq!(s.id, "7c1d0e52-0000-4000-8000-000000000001");
    assert_eq!(
        (s.project.as_deref(), s.git_branch.as_deref()),
        (Some("/home/dev/shop"), Some("main"))
    );
    assert_eq!(s.entrypoint.as_deref(), Some("cli"));
    assert!(s.is_interactive());
    let prompts: Vec<(&str, u32)> = s
        .human_turns()
        .map(|h| (h.text.as_str(), h.attachments))
        .collect();
    assert_eq!(
        prompts,
        [("Fix the failing cart test", 0), ("now write a plan", 1)]
    );
    let acts: Vec<(&str, ActionKind, ResultStatus, Option<i32>)> = s
        .actions()
        .map(|a| (a.tool.as_str(), a.kind, a.result.status, a.result.exit_code))
        .collect();
    assert_eq!(
        acts,
        [
            ("bash", ActionKind::Shell, ResultStatus::Error, Some(1)),
            ("view", ActionKind::Read, ResultStatus::Ok, None),
            ("edit", ActionKind::Edit, ResultStatus::Ok, None),
            ("create", ActionKind::Write, ResultStatus::Ok, None),
            ("view", ActionKind::Read, ResultStatus::Error, None),
            ("apply_patch", ActionKind::Edit, ResultStatus::Ok, None),
            ("bash", ActionKind::Shell, ResultStatus::Rejected, None),
            ("bash", ActionKind::Shell, ResultStatus::Interrupted, None),
        ]
    );
    assert!(s
        .events
        .iter()
        .any(|e| matches!(e, Event::System(n) if n.kind == "skill")));
    assert_eq!(s.model_calls.len(), 8);
    assert_eq!(s.model_calls[4].model.as_deref(), Some("gpt-5"));
    let t = agentstat_telemetry::measure(&s);
    assert_eq!(t.output_tokens, Some(240));
    // edit: -1 +3; create: +2; patch: -1 +1.
    assert_eq!(
        (t.lines_added, t.lines_removed, t.files_touched),
        (Some(6), Some(2), 3)
    );
    assert_eq!((t.tool_errors, t.rejections, t.interrupts), (2, 1, 1));
    assert_eq!(s.ignored_records.get("tool.execution_start"), Some(&3));
    assert_eq!(s.ignored_records.get("hook.start"), Some(&1));
}

#[test]
fn a_session_a_program_drove_is_not_interactive() {
    let (s, d) = read(SDK);
    let s = s.expect("session");
    assert_eq!(d.skipped_total(), 0, "{:?}", d.warnings);
    assert_eq!(s.human_turns().count(), 1);
    assert_eq!(s.entrypoint.as_deref(), Some("sdk-copilot"));
    assert_eq!(
        s.non_interactive_reason(),
        Some("non-interactive entrypoint")
    );
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
            (5, "invalid-json"),
            (6, "truncated-json"),
        ]
    );
}

#[test]
fn any_truncation_reads_without_panic() {
    let bytes = std::fs::read(fx(INTERACTIVE)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for cut in (0..bytes.len()).step_by(89) {
        let p = dir.path().join("events.jsonl");
        std::fs::write(&p, &bytes[..cut]).unwrap();
        let src = SessionSource {
            id: "cut".into(),
            files: vec![SourceFile {
                path: p,
                role: FileRole::Main,
                bytes: cut as u64,
                span: None,
            }],
            format: Format::CopilotCli,
        };
        let mut d = Diagnostics::default();
        let _ = read_session(&src, &opts(), &mut d);
    }
}

#[test]
fn discovery_by_content_and_default_root_under_a_fake_home() {
    // The only test here that touches the environment.
    let home = tempfile::tempdir().unwrap();
    let state = home.path().join(".copilot/session-state");
    for f in [INTERACTIVE, SDK] {
        let to = state.join(f.trim_start_matches("session-state/"));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(fx(f), to).unwrap();
    }
    std::env::set_var("HOME", home.path());
    for k in ["CLAUDE_CONFIG_DIR", "CODEX_HOME", "PI_CODING_AGENT_DIR"] {
        std::env::remove_var(k);
    }
    let roots = default_roots();
    assert!(roots.contains(&state), "{roots:?}");
    let mut d = Diagnostics::default();
    let srcs = discover(&roots, &mut d);
    assert_eq!(srcs.len(), 2, "{srcs:?}");
    assert!(
        srcs.iter().all(|s| s.format == Format::CopilotCli),
        "{srcs:?}"
    );
}
