//! Cursor agent transcripts on fixtures we wrote from public readers' description of the format
//! (docs/FORMATS.md; no real file was available): the JSONL transcript with every block kind,
//! the older plain-text transcript, a damaged file, and discovery under a fake home.

use agentstat_ingest::{
    default_roots, discover, read_session, Diagnostics, FileRole, Format, IngestOptions,
    SessionSource, SourceFile,
};
use agentstat_session::{ActionKind, ResultStatus, Session};
use std::path::PathBuf;

const DIR: &str = "projects/Users-ana-code-shop/agent-transcripts";
const JSONL: &str =
    "5b1c0c9e-0000-4000-8000-000000000001/5b1c0c9e-0000-4000-8000-000000000001.jsonl";
const TXT: &str = "7d2e0f11-0000-4000-8000-000000000002.txt";

fn fx(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/cursor"
    ))
    .join(name)
}

fn opts() -> IngestOptions {
    IngestOptions {
        user_label: None,
        salt: b"test".to_vec(),
    }
}

fn read(path: PathBuf) -> (Option<Session>, Diagnostics) {
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let src = SessionSource {
        id: path.display().to_string(),
        files: vec![SourceFile {
            path,
            role: FileRole::Main,
            bytes,
            span: None,
        }],
        format: Format::Cursor,
    };
    let mut d = Diagnostics::default();
    let s = read_session(&src, &opts(), &mut d);
    (s, d)
}

fn acts(s: &Session) -> Vec<(&str, ActionKind, ResultStatus)> {
    s.actions()
        .map(|a| (a.tool.as_str(), a.kind, a.result.status))
        .collect()
}

#[test]
fn jsonl_transcript_every_block_kind() {
    let (s, d) = read(fx(DIR).join(JSONL));
    let s = s.expect("session");
    assert_eq!(d.skipped_total(), 0, "{:?}", d.warnings);
    assert_eq!(s.agent.name, "cursor");
    assert_eq!(s.id, "5b1c0c9e-0000-4000-8000-000000000001");
    // The person's words are inside `<user_query>`; the attached context is not a prompt.
    let prompts: Vec<&str> = s.human_turns().map(|h| h.text.as_str()).collect();
    assert_eq!(
        prompts,
        ["make the cart total include tax", "round to cents"]
    );
    assert_eq!(
        acts(&s),
        [
            ("Read", ActionKind::Read, ResultStatus::Ok),
            ("StrReplace", ActionKind::Edit, ResultStatus::Ok),
            ("Write", ActionKind::Write, ResultStatus::Ok),
            ("Shell", ActionKind::Shell, ResultStatus::Error),
        ]
    );
    let t = agentstat_telemetry::measure(&s);
    assert_eq!(
        (t.lines_added, t.lines_removed, t.files_touched),
        (Some(3), Some(1), 2)
    );
    // Cursor records no API request: the number of calls is unknown, not 0.
    assert_eq!((t.tool_errors, t.model_calls), (1, None));
    assert_eq!(s.ignored_records.get("turn-ended"), Some(&2));
    assert_eq!(s.ignored_records.get("thinking"), Some(&1));
    // The person is named by the encoded project folder (`Users-ana-…`).
    let other = IngestOptions {
        user_label: Some("ana".into()),
        salt: b"test".to_vec(),
    };
    assert_eq!(s.user, agentstat_ingest::user_key(&other.salt, "ana"));
}

#[test]
fn plain_text_transcript() {
    let (s, d) = read(fx(DIR).join(TXT));
    let s = s.expect("session");
    assert_eq!(d.skipped_total(), 0, "{:?}", d.warnings);
    let prompts: Vec<&str> = s.human_turns().map(|h| h.text.as_str()).collect();
    assert_eq!(prompts, ["list the routes", "delete b"]);
    assert_eq!(
        acts(&s),
        [
            ("Glob", ActionKind::Search, ResultStatus::Ok),
            ("Delete", ActionKind::Edit, ResultStatus::Ok),
        ]
    );
    let a: Vec<_> = s.actions().collect();
    assert_eq!(
        a[0].input.get_str("glob_pattern").as_deref(),
        Some("src/routes/*.ts")
    );
    assert!(a[0].result.output.contains("src/routes/b.ts"));
    let texts = s
        .events
        .iter()
        .filter(|e| matches!(e, agentstat_session::Event::AssistantText(_)))
        .count();
    assert_eq!(texts, 2);
    assert_eq!(s.ignored_records.get("thinking"), Some(&1));
}

#[test]
fn damaged_lines_are_named_by_file_and_line() {
    let (s, d) = read(fx("damaged.jsonl"));
    assert_eq!(s.expect("session").human_turns().count(), 1);
    let mut got: Vec<(u64, &str)> = d
        .warnings
        .iter()
        .map(|w| (w.line.unwrap_or(0), w.reason.as_str()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (2, "unknown-record-type"),
            (3, "orphan-tool-result"),
            (4, "bad-record-shape"),
            (5, "truncated-json"),
        ]
    );
}

#[test]
fn discovery_by_content_and_default_roots_under_a_fake_home() {
    // The only test here that touches the environment.
    let home = tempfile::tempdir().unwrap();
    let t = home
        .path()
        .join(".cursor/projects/Users-ana-code-shop/agent-transcripts");
    std::fs::create_dir_all(t.join("5b1c0c9e-0000-4000-8000-000000000001")).unwrap();
    std::fs::copy(fx(DIR).join(JSONL), t.join(JSONL)).unwrap();
    std::fs::copy(fx(DIR).join(TXT), t.join(TXT)).unwrap();
    // Cursor's other state beside the transcripts is not walked.
    std::fs::create_dir_all(
        home.path()
            .join(".cursor/projects/Users-ana-code-shop/terminals"),
    )
    .unwrap();
    std::fs::write(
        home.path()
            .join(".cursor/projects/Users-ana-code-shop/terminals/1.txt"),
        "$ ls\n",
    )
    .unwrap();
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
    assert!(roots.contains(&t), "{roots:?}");
    let mut d = Diagnostics::default();
    let srcs = discover(&roots, &mut d);
    assert_eq!(srcs.len(), 2, "{srcs:?}");
    assert!(srcs.iter().all(|s| s.format == Format::Cursor), "{srcs:?}");
}
