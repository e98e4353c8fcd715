//! SpecStory adapter on fixtures we wrote (early-2025 extension export, Markdown v2, damage).

use agentstat_ingest::{
    discover, read_session, Diagnostics, FileRole, Format, IngestOptions, SessionSource, SourceFile,
};
use agentstat_session::{parse_timestamp, ActionKind, Event, ResultStatus, Session};
use std::path::PathBuf;

fn fx(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/specstory"
    ))
    .join(name)
}

fn read(name: &str) -> (Option<Session>, Diagnostics) {
    let path = fx(name);
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let src = SessionSource {
        id: name.to_string(),
        files: vec![SourceFile {
            path,
            role: FileRole::Main,
            bytes,
            span: None,
        }],
        format: Format::SpecStory,
    };
    let mut d = Diagnostics::default();
    let opts = IngestOptions {
        user_label: None,
        salt: b"test".to_vec(),
    };
    (read_session(&src, &opts, &mut d), d)
}

#[test]
fn discovery_recognises_specstory_by_its_header_comment() {
    let mut d = Diagnostics::default();
    let srcs = discover(&[fx("")], &mut d);
    let mut names: Vec<String> = srcs
        .iter()
        .filter(|s| s.format == Format::SpecStory)
        .map(|s| {
            s.files[0]
                .path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "2025-04-01_10-00-early-export.md",
            "2026-01-07_v2-cli.md",
            "no-turns.md"
        ]
    );
    // The empty file and the one without the header comment are not recognised.
    assert_eq!(d.ignored.get("file-not-a-transcript:.md"), Some(&2));
}

#[test]
fn early_export_blocks_become_actions() {
    let (s, d) = read("2025-04-01_10-00-early-export.md");
    let s = s.expect("session");
    assert!(d.skipped.is_empty(), "{:?}", d.warnings);
    assert_eq!(s.agent.name, "cursor");
    let prompts: Vec<&str> = s.human_turns().map(|h| h.text.as_str()).collect();
    assert_eq!(
        prompts,
        [
            "add a greet function to /Users/carol/src/app/lib.ts",
            "thanks, now commit"
        ]
    );
    // The last, empty user turn is not a prompt.
    assert_eq!(d.ignored.get("empty-user-turn"), Some(&1));
    let acts: Vec<_> = s.actions().collect();
    let tools: Vec<(&str, ActionKind, ResultStatus)> = acts
        .iter()
        .map(|a| (a.tool.as_str(), a.kind, a.result.status))
        .collect();
    assert_eq!(
        tools,
        [
            ("read_file", ActionKind::Read, ResultStatus::Ok),
            ("codebase_search", ActionKind::Search, ResultStatus::Ok),
            ("edit_file", ActionKind::Edit, ResultStatus::Ok),
            ("run_terminal_cmd", ActionKind::Shell, ResultStatus::Ok),
            ("read_file", ActionKind::Read, ResultStatus::Error),
            // Cancelled, then the person spoke: interrupted.
            ("unknown", ActionKind::Other, ResultStatus::Interrupted),
            ("run_terminal_cmd", ActionKind::Shell, ResultStatus::Ok),
            // Cancelled, then the agent went on: refused.
            ("unknown", ActionKind::Other, ResultStatus::Rejected),
            ("unknown", ActionKind::Other, ResultStatus::Interrupted),
        ]
    );
    // Two diff blocks of one edit: 4 + 1 lines added, 1 removed.
    let l = acts[2].result.lines.unwrap();
    assert_eq!((l.added, l.removed), (5, 1));
    assert_eq!(acts[3].command().as_deref(), Some("npm test"));
    assert!(acts[3].result.output.contains("3 passed"));
    assert_eq!(
        acts[6].command().as_deref(),
        Some("git commit -am \"add greet\"")
    );
    assert_eq!(acts[0].file_path().as_deref(), Some("src/app/lib.ts"));
    // A suggested command inside prose is text, not a call.
    assert!(s
        .events
        .iter()
        .any(|e| matches!(e, Event::AssistantText(t) if t.text.contains("npm start"))));
    assert_eq!(
        s.human_turns().next().unwrap().timestamp,
        parse_timestamp("2025-04-01T10:00:00Z")
    );
    assert_eq!(s.user, agentstat_ingest::user_key(b"test", "carol"));
    assert!(s.model_calls.is_empty());
}

#[test]
fn markdown_v2_tool_use_tags_times_models_and_sidechains() {
    let (s, d) = read("2026-01-07_v2-cli.md");
    let s = s.expect("session");
    assert!(d.skipped.is_empty(), "{:?}", d.warnings);
    assert_eq!(s.agent.name, "claude-code");
    let prompts: Vec<(&str, Option<i64>)> = s
        .human_turns()
        .map(|h| (h.text.as_str(), h.timestamp))
        .collect();
    assert_eq!(
        prompts,
        [
            (
                "rename the config key",
                parse_timestamp("2026-01-07T09:00:00Z")
            ),
            ("ok", parse_timestamp("2026-01-07T16:02:00Z")),
        ]
    );
    assert!(s
        .events
        .iter()
        .any(|e| matches!(e, Event::System(n) if n.kind == "subagent_prompt")));
    let acts: Vec<_> = s.actions().collect();
    let got: Vec<(&str, ActionKind, ResultStatus)> = acts
        .iter()
        .map(|a| (a.tool.as_str(), a.kind, a.result.status))
        .collect();
    assert_eq!(
        got,
        [
            ("Grep", ActionKind::Search, ResultStatus::Ok),
            ("Edit", ActionKind::Edit, ResultStatus::Ok),
            ("Bash", ActionKind::Shell, ResultStatus::Error),
        ]
    );
    let l = acts[1].result.lines.unwrap();
    assert_eq!((l.added, l.removed), (2, 1));
    assert_eq!(acts[2].command().as_deref(), Some("cargo test"));
    assert_eq!(d.ignored.get("thinking"), Some(&1));
    let texts: Vec<(&str, Option<&str>, bool)> = s
        .events
        .iter()
        .filter_map(|e| match e {
            Event::AssistantText(t) => {
                Some((t.text.as_str(), t.model.as_deref(), t.subagent.is_some()))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        texts,
        [
            ("Renamed; one test fails.", Some("claude-sonnet-4-5"), false),
            ("They look fine.", Some("claude-haiku-4-5"), true),
        ]
    );
    // No home directory anywhere: the person is unknown.
    assert_eq!(s.user, agentstat_ingest::user_key(b"test", "unknown"));
}

#[test]
fn damaged_or_empty_files_are_reported() {
    let (s, d) = read("empty.md");
    assert!(s.is_none());
    assert_eq!(d.warnings[0].reason, "empty-file");

    let (s, d) = read("no-turns.md");
    assert!(s.is_none());
    assert_eq!(d.skipped.get("no-turns"), Some(&1));
    assert!(d.warnings[0].file.ends_with("no-turns.md"));

    let (s, d) = read("no-header-bad-utf8.md");
    let s = s.expect("read anyway");
    assert_eq!(s.human_turns().count(), 1);
    assert_eq!(d.recovered.get("invalid-utf8"), Some(&1));
    let lines: Vec<(&str, Option<u64>)> = d
        .warnings
        .iter()
        .map(|w| (w.reason.as_str(), w.line))
        .collect();
    assert_eq!(
        lines,
        [("invalid-utf8", Some(5)), ("missing-header", Some(1))]
    );

    let (s, d) = read("missing.md");
    assert!(s.is_none());
    assert_eq!(d.skipped.get("unreadable-file"), Some(&1));
}

/// Titles and turn headers are free text: a time-like suffix with a multi-byte character where
/// the parser looks for `:` or a `±HHMM` offset must not slice inside that character.
#[test]
fn non_ascii_titles_and_headers_never_panic() {
    use agentstat_ingest::specstory::parse_loose_time;
    assert_eq!(parse_loose_time("aaaaaaaaaaaaaaaaaaaa-a€"), None);
    assert_eq!(parse_loose_time("aaaaaaaaaaaaa:a€"), None);
    assert_eq!(parse_loose_time("2025-11-13 21:1€"), None);
    // Still read: a well-formed time.
    assert_eq!(
        parse_loose_time("2025-11-13 21:12:14-0700"),
        parse_timestamp("2025-11-14T04:12:14Z")
    );
    let dir = tempfile::tempdir().unwrap();
    for (i, title) in [
        "# Fix (aaaaaaaaaaaaaaaaaaaa-a€)",
        "# Fix (aaaaaaaaaaaaa:a€)",
        "# 修复 (前端页面优化登录-a中)",
    ]
    .iter()
    .enumerate()
    {
        let p = dir.path().join(format!("t{i}.md"));
        std::fs::write(
            &p,
            format!(
                "<!-- Generated by SpecStory -->\n\n{title}\n\n_**User**_\n\nhello\n\n---\n\n\
                 _**Agent (model 2025-11-13 21:1€)**_\n\nhi\n"
            ),
        )
        .unwrap();
        let mut d = Diagnostics::default();
        let srcs = discover(&[p], &mut d);
        assert_eq!(srcs.len(), 1);
        let opts = IngestOptions {
            user_label: None,
            salt: b"test".to_vec(),
        };
        let s = read_session(&srcs[0], &opts, &mut d).expect("session");
        assert_eq!(s.human_turns().count(), 1, "{title}");
        assert!(s.time_range().is_none(), "{title}: no time could be read");
    }
}
