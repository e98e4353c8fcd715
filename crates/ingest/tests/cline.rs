//! Cline / Roo Code / Kilo Code adapter on a task folder we wrote in the shape Cline's source
//! defines (docs/FORMATS.md; no real task folder was available), and discovery under a fake home.

use agentstat_ingest::{default_roots, discover, read_session, Diagnostics, Format, IngestOptions};
use agentstat_session::{ActionKind, ResultStatus};
use std::path::PathBuf;

const TASKS: &str = "globalStorage/saoudrizwan.claude-dev/tasks";

fn fx(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/cline")).join(name)
}

fn opts() -> IngestOptions {
    IngestOptions {
        user_label: None,
        salt: b"test".to_vec(),
    }
}

#[test]
fn a_task_folder_every_message_kind() {
    let mut d = Diagnostics::default();
    let srcs = discover(&[fx(TASKS)], &mut d);
    assert_eq!(srcs.len(), 1, "{srcs:?}");
    assert_eq!(srcs[0].format, Format::Cline);
    assert_eq!(d.ignored.get("cline-task-file"), Some(&2));
    let s = read_session(&srcs[0], &opts(), &mut d).expect("session");
    assert_eq!(d.skipped_total(), 0, "{:?}", d.warnings);
    assert_eq!(s.agent.name, "cline");
    assert_eq!(s.id, "1767000000000");
    assert_eq!(s.project.as_deref(), Some("/Users/kim/api"));
    let prompts: Vec<(&str, u32)> = s
        .human_turns()
        .map(|h| (h.text.as_str(), h.attachments))
        .collect();
    assert_eq!(
        prompts,
        [("add a /health route", 0), ("also document it", 1)]
    );
    let acts: Vec<(&str, ActionKind, ResultStatus)> = s
        .actions()
        .map(|a| (a.tool.as_str(), a.kind, a.result.status))
        .collect();
    assert_eq!(
        acts,
        [
            ("readFile", ActionKind::Read, ResultStatus::Ok),
            ("editedExistingFile", ActionKind::Edit, ResultStatus::Ok),
            ("newFileCreated", ActionKind::Write, ResultStatus::Ok),
            ("execute_command", ActionKind::Shell, ResultStatus::Ok),
            ("editedExistingFile", ActionKind::Edit, ResultStatus::Error),
        ]
    );
    let shell = s.actions().nth(3).unwrap();
    assert_eq!(shell.command().as_deref(), Some("npm test"));
    assert_eq!(shell.result.output, "1 passing");
    let t = agentstat_telemetry::measure(&s);
    assert_eq!(
        (t.lines_added, t.lines_removed, t.files_touched),
        (Some(3), Some(1), 2)
    );
    assert_eq!((t.tool_errors, t.interrupts), (1, 1));
    assert_eq!((t.model_calls, t.output_tokens), (Some(6), Some(390)));
    assert_eq!(s.model_calls[0].model.as_deref(), Some("claude-sonnet-4-5"));
    for k in [
        "partial",
        "thinking",
        "say:checkpoint_created",
        "ask:resume_task",
    ] {
        assert_eq!(s.ignored_records.get(k), Some(&1), "{k}");
    }
}

#[test]
fn roo_and_kilo_are_named_by_their_extension_and_found_under_a_fake_home() {
    // The only test here that touches the environment.
    let home = tempfile::tempdir().unwrap();
    let src = fx(TASKS).join("1767000000000");
    let mut tasks = Vec::new();
    for ext in ["rooveterinaryinc.roo-cline", "kilocode.kilo-code"] {
        let t = home
            .path()
            .join(".config/Code/User/globalStorage")
            .join(ext)
            .join("tasks");
        let dir = t.join("1767000000000");
        std::fs::create_dir_all(&dir).unwrap();
        for f in [
            "ui_messages.json",
            "api_conversation_history.json",
            "task_metadata.json",
        ] {
            std::fs::copy(src.join(f), dir.join(f)).unwrap();
        }
        tasks.push(t);
    }
    std::env::set_var("HOME", home.path());
    for k in [
        "CLAUDE_CONFIG_DIR",
        "CODEX_HOME",
        "PI_CODING_AGENT_DIR",
        "XDG_DATA_HOME",
        "APPDATA",
    ] {
        std::env::remove_var(k);
    }
    let roots = default_roots();
    for t in &tasks {
        assert!(roots.contains(t), "{roots:?}");
    }
    let mut d = Diagnostics::default();
    let mut agents: Vec<String> = discover(&roots, &mut d)
        .iter()
        .filter_map(|s| read_session(s, &opts(), &mut d))
        .map(|s| s.agent.name)
        .collect();
    agents.sort();
    assert_eq!(agents, ["kilo-code", "roo-code"]);
}
