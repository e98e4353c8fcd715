//! OpenCode adapter on fixtures we wrote in the shape of `opencode export` documents
//! (docs/FORMATS.md): a session with every part kind, a subagent's session, a truncated document.

use agentstat_ingest::{
    discover, read_session, Diagnostics, FileRole, Format, IngestOptions, SessionSource, SourceFile,
};
use agentstat_session::{ActionKind, Event, ResultStatus, Session};
use std::path::PathBuf;

fn fx(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/opencode"
    ))
    .join(name)
}

fn read(name: &str) -> (Option<Session>, Diagnostics) {
    let path = fx(name);
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let src = SessionSource {
        id: path.display().to_string(),
        files: vec![SourceFile {
            path,
            role: FileRole::Main,
            bytes,
            span: None,
        }],
        format: Format::OpenCode,
    };
    let mut d = Diagnostics::default();
    let opts = IngestOptions {
        user_label: None,
        salt: b"test".to_vec(),
    };
    let s = read_session(&src, &opts, &mut d);
    (s, d)
}

#[test]
fn export_with_every_part_kind() {
    let (s, d) = read("export-footer.json");
    let s = s.expect("session");
    assert_eq!(d.skipped_total(), 0, "{:?}", d.warnings);
    assert_eq!(s.agent.name, "opencode");
    assert_eq!(s.agent.version.as_deref(), Some("1.14.30"));
    assert_eq!(s.id, "ses_0a1b2c3d4ffeFixtureSession01");
    assert_eq!(s.project.as_deref(), Some("/home/dev/site"));
    assert!(s.is_interactive());
    let prompts: Vec<(&str, u32)> = s
        .human_turns()
        .map(|h| (h.text.as_str(), h.attachments))
        .collect();
    assert_eq!(
        prompts,
        [
            ("Make the footer say hello", 1),
            ("now add a test", 0),
            ("ok, stop here", 0)
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
            ("bash", ActionKind::Shell, ResultStatus::Error, Some(1)),
            ("edit", ActionKind::Edit, ResultStatus::Ok, None),
            ("write", ActionKind::Write, ResultStatus::Ok, None),
            ("apply_patch", ActionKind::Edit, ResultStatus::Ok, None),
            ("bash", ActionKind::Shell, ResultStatus::Rejected, None),
            ("todowrite", ActionKind::Plan, ResultStatus::Ok, None),
            ("bash", ActionKind::Shell, ResultStatus::Interrupted, None),
            ("task", ActionKind::Subagent, ResultStatus::Missing, None),
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
    assert_eq!(notes, ["synthetic", "compact_summary"]);
    assert_eq!(s.compactions, 1);
    // One request per `step-finish`; the aborted message, with none, counts its own tokens.
    assert_eq!(s.model_calls.len(), 6);
    let t = agentstat_telemetry::measure(&s);
    assert_eq!(t.output_tokens, 125);
    assert_eq!((t.lines_added, t.lines_removed, t.files_touched), (6, 2, 3));
    assert_eq!((t.tool_errors, t.rejections, t.interrupts), (1, 1, 1));
    assert_eq!(s.ignored_records.get("step-start"), Some(&6));
    assert_eq!(s.ignored_records.get("patch-snapshot"), Some(&1));
    assert_eq!(s.ignored_records.get("thinking"), Some(&1));
}

#[test]
fn a_subagent_session_has_no_human_turn() {
    let (s, d) = read("export-subagent.json");
    let s = s.expect("session");
    assert_eq!(d.skipped_total(), 0, "{:?}", d.warnings);
    assert_eq!(s.human_turns().count(), 0);
    assert!(!s.is_interactive());
    assert_eq!(s.entrypoint.as_deref(), Some("subagent"));
    assert_eq!(s.actions().next().map(|a| a.kind), Some(ActionKind::Search));
    assert_eq!(s.model_calls.len(), 1);
}

#[test]
fn a_truncated_document_is_a_skip_naming_the_file() {
    let (s, d) = read("damaged.json");
    assert!(s.is_none());
    assert_eq!(
        d.skipped.get("truncated-json"),
        Some(&1),
        "{:?}",
        d.warnings
    );
    assert!(d.warnings[0].file.ends_with("damaged.json"));
}

#[test]
fn discovery_by_content() {
    let mut d = Diagnostics::default();
    let srcs = discover(&[fx("")], &mut d);
    // The truncated document still looks like an export: it is reported when read.
    assert_eq!(srcs.len(), 3, "{srcs:?}");
    assert!(
        srcs.iter().all(|s| s.format == Format::OpenCode),
        "{srcs:?}"
    );
}
