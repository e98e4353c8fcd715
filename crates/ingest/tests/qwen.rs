//! Qwen Code adapter on a fixture we wrote in the shape of its chat recording service's records
//! (docs/FORMATS.md; no real file was available), and discovery under a fake home.

use agentstat_ingest::{default_roots, discover, read_session, Diagnostics, Format, IngestOptions};
use agentstat_session::{ActionKind, ResultStatus};
use std::path::PathBuf;

const CHAT: &str = "projects/-home-li-app/chats/3f6a2b10-0000-4000-8000-000000000001.jsonl";

fn fx(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/qwen")).join(name)
}

#[test]
fn chat_with_every_record_kind() {
    let mut d = Diagnostics::default();
    let srcs = discover(&[fx(CHAT)], &mut d);
    assert_eq!(srcs.len(), 1);
    assert_eq!(
        srcs[0].format,
        Format::QwenCode,
        "not Claude Code: `message.parts`"
    );
    let opts = IngestOptions {
        user_label: None,
        salt: b"test".to_vec(),
    };
    let s = read_session(&srcs[0], &opts, &mut d).expect("session");
    assert_eq!(d.skipped_total(), 0, "{:?}", d.warnings);
    assert_eq!(s.agent.name, "qwen-code");
    assert_eq!(s.agent.version.as_deref(), Some("0.6.1"));
    assert_eq!(s.id, "3f6a2b10-0000-4000-8000-000000000001");
    assert_eq!(
        (s.project.as_deref(), s.git_branch.as_deref()),
        (Some("/home/li/app"), Some("main"))
    );
    let prompts: Vec<(&str, bool)> = s
        .human_turns()
        .map(|h| (h.text.as_str(), h.queued))
        .collect();
    assert_eq!(
        prompts,
        [
            ("rename the config loader", false),
            ("also fix the test", true)
        ]
    );
    let acts: Vec<(&str, ActionKind, ResultStatus)> = s
        .actions()
        .map(|a| (a.tool.as_str(), a.kind, a.result.status))
        .collect();
    assert_eq!(
        acts,
        [
            ("read_file", ActionKind::Read, ResultStatus::Ok),
            ("edit", ActionKind::Edit, ResultStatus::Ok),
            ("run_shell_command", ActionKind::Shell, ResultStatus::Error),
            ("write_file", ActionKind::Write, ResultStatus::Interrupted),
        ]
    );
    let t = agentstat_telemetry::measure(&s);
    // The edit's lines come from the recorded diff (1 line for 3), not its arguments (1 for 2).
    assert_eq!((t.lines_added, t.lines_removed), (Some(3), Some(1)));
    assert_eq!((t.tool_errors, t.interrupts, t.queued_prompts), (1, 1, 1));
    assert_eq!((t.model_calls, t.output_tokens), (Some(2), Some(80)));
    assert_eq!(s.model_calls[0].cache_read_tokens, 200);
    assert_eq!(s.compactions, 1);
    assert_eq!(s.ignored_records.get("system:ui_telemetry"), Some(&1));
}

#[test]
fn default_root_is_every_project_chats_folder() {
    // The only test here that touches the environment.
    let home = tempfile::tempdir().unwrap();
    let chats = home.path().join(".qwen/projects/-home-li-app/chats");
    std::fs::create_dir_all(&chats).unwrap();
    std::fs::copy(fx(CHAT), chats.join("s.jsonl")).unwrap();
    std::env::set_var("HOME", home.path());
    for k in [
        "CLAUDE_CONFIG_DIR",
        "CODEX_HOME",
        "PI_CODING_AGENT_DIR",
        "XDG_DATA_HOME",
    ] {
        std::env::remove_var(k);
    }
    let roots = default_roots();
    assert!(roots.contains(&chats), "{roots:?}");
    let mut d = Diagnostics::default();
    let srcs = discover(&roots, &mut d);
    assert_eq!(srcs.len(), 1);
    assert_eq!(srcs[0].format, Format::QwenCode);
}
