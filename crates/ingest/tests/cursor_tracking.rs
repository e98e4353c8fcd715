//! Cursor's AI code tracking database joined to its agent transcripts: a database the test
//! writes with rusqlite in the schema public readers show (docs/FORMATS.md says what is
//! inferred), found beside the transcripts of a fake home's default location; its agent lines,
//! files and model reach the session and telemetry; a damaged or foreign database is a warning
//! naming it, never a lost session.

use agentstat_ingest::{default_roots_with, discover, read_session, Diagnostics, IngestOptions};
use agentstat_session::{Event, Session, TrackedLines};
use std::path::{Path, PathBuf};

const ID: &str = "5b1c0c9e-0000-4000-8000-000000000001";
const TXT_ID: &str = "7d2e0f11-0000-4000-8000-000000000002";
const PROJECT: &str = ".cursor/projects/Users-ana-code-shop/agent-transcripts";

fn fixtures() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/cursor/projects/Users-ana-code-shop/agent-transcripts"
    ))
}

/// A fake home with both fixture transcripts in Cursor's default location.
fn home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    // Claude Code's folder is always a default root: empty here.
    std::fs::create_dir_all(home.path().join(".claude/projects")).unwrap();
    let t = home.path().join(PROJECT);
    std::fs::create_dir_all(t.join(ID)).unwrap();
    let jsonl = format!("{ID}/{ID}.jsonl");
    std::fs::copy(fixtures().join(&jsonl), t.join(&jsonl)).unwrap();
    let txt = format!("{TXT_ID}.txt");
    std::fs::copy(fixtures().join(&txt), t.join(&txt)).unwrap();
    home
}

fn db_path(home: &Path) -> PathBuf {
    home.join(".cursor/ai-tracking/ai-code-tracking.db")
}

/// One `ai_code_hashes` row: (hash, conversationId, source, fileName, model).
type Row<'a> = (
    &'a str,
    Option<&'a str>,
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
);

/// The tracking database, schema as Cursor writes it (inferred from public readers).
fn write_db(home: &Path, rows: &[Row<'_>]) {
    let path = db_path(home);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "CREATE TABLE ai_code_hashes (hash TEXT PRIMARY KEY, source TEXT NOT NULL, \
         fileExtension TEXT, fileName TEXT, requestId TEXT, conversationId TEXT, \
         timestamp INTEGER, model TEXT, createdAt INTEGER NOT NULL); \
         CREATE TABLE scored_commits (commitHash TEXT, branchName TEXT, scoredAt INTEGER, \
         linesAdded INTEGER, linesDeleted INTEGER, composerLinesAdded INTEGER, \
         composerLinesDeleted INTEGER, PRIMARY KEY (commitHash, branchName)); \
         CREATE TABLE conversation_summaries (conversationId TEXT PRIMARY KEY, title TEXT, \
         tldr TEXT, model TEXT, mode TEXT, updatedAt INTEGER NOT NULL);",
    )
    .unwrap();
    let mut ins = conn
        .prepare(
            "INSERT INTO ai_code_hashes (hash, source, fileExtension, fileName, requestId, \
             conversationId, timestamp, model, createdAt) VALUES (?1, ?2, ?3, ?4, 'r', ?5, ?6, ?7, ?6)",
        )
        .unwrap();
    for (i, (hash, conv, source, file, model)) in rows.iter().enumerate() {
        let ext = file.and_then(|f| f.rsplit_once('.')).map(|(_, e)| e);
        ins.execute(rusqlite::params![
            hash,
            source,
            ext,
            file,
            conv,
            1_767_000_000_000i64 + i as i64,
            model
        ])
        .unwrap();
    }
}

/// Every session under `home`'s default locations, by id, with the diagnostics.
fn read_home(home: &Path) -> (Vec<Session>, Diagnostics) {
    let roots = default_roots_with(|k| (k == "HOME").then(|| home.as_os_str().to_owned()));
    let mut diag = Diagnostics::default();
    let srcs = discover(&roots, &mut diag);
    let opts = IngestOptions {
        user_label: None,
        salt: b"test".to_vec(),
    };
    let mut out: Vec<Session> = srcs
        .iter()
        .filter_map(|s| read_session(s, &opts, &mut diag))
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    (out, diag)
}

fn models(s: &Session) -> Vec<Option<&str>> {
    s.events
        .iter()
        .filter_map(|e| match e {
            Event::AssistantText(a) => Some(a.model.as_deref()),
            _ => None,
        })
        .collect()
}

#[test]
fn agent_lines_files_and_model_join_the_transcript_of_the_same_id() {
    let home = home();
    let sonnet = Some("claude-4.5-sonnet");
    write_db(
        home.path(),
        &[
            // The JSONL session's conversation: 5 agent lines in 2 files, mostly Sonnet.
            (
                "h1",
                Some(ID),
                "composer",
                Some("/Users/ana/code/shop/a.rs"),
                sonnet,
            ),
            (
                "h2",
                Some(ID),
                "composer",
                Some("/Users/ana/code/shop/a.rs"),
                sonnet,
            ),
            (
                "h3",
                Some(ID),
                "composer",
                Some("/Users/ana/code/shop/b.rs"),
                sonnet,
            ),
            (
                "h4",
                Some(ID),
                "composer",
                Some("/Users/ana/code/shop/b.rs"),
                Some("gpt-5"),
            ),
            (
                "h5",
                Some(ID),
                "composer",
                Some("/Users/ana/code/shop/b.rs"),
                None,
            ),
            // Not the agent's: a completion and the person's own line.
            ("h6", None, "tab", Some("/Users/ana/code/shop/a.rs"), None),
            (
                "h7",
                Some(ID),
                "human",
                Some("/Users/ana/code/shop/c.rs"),
                None,
            ),
            // Another conversation, with no transcript here.
            (
                "h8",
                Some("ffffffff-0000-4000-8000-000000000009"),
                "composer",
                Some("/x.rs"),
                sonnet,
            ),
        ],
    );
    let (sessions, diag) = read_home(home.path());
    assert_eq!(diag.warnings_total, 0, "{:?}", diag.warnings);
    assert_eq!(sessions.len(), 2);
    let (jsonl, txt) = (&sessions[0], &sessions[1]);
    assert_eq!((jsonl.id.as_str(), txt.id.as_str()), (ID, TXT_ID));
    assert_eq!(
        jsonl.tracked_lines,
        Some(TrackedLines { lines: 5, files: 2 })
    );
    // The transcript names no model; the database's most frequent one goes on its text.
    assert!(!models(jsonl).is_empty());
    assert!(
        models(jsonl).iter().all(|m| *m == sonnet),
        "{:?}",
        models(jsonl)
    );
    let t = agentstat_telemetry::measure(jsonl);
    // The transcript shows 3 lines added; the database 5: the larger lower bound is kept.
    assert_eq!(t.lines_added, Some(5));
    assert_eq!(t.lines_removed, Some(1));
    assert_eq!(t.model_family.as_deref(), Some("sonnet"));
    assert_eq!(t.output_tokens, None, "the database has no tokens");
    // The `.txt` session has no rows: nothing joined, its lines stay unknown.
    assert_eq!(txt.tracked_lines, None);
    assert!(models(txt).iter().all(Option::is_none));
    assert_eq!(agentstat_telemetry::measure(txt).lines_added, None);
}

#[test]
fn without_a_database_nothing_changes() {
    let home = home();
    let (sessions, diag) = read_home(home.path());
    assert_eq!(diag.warnings_total, 0, "{:?}", diag.warnings);
    assert!(sessions.iter().all(|s| s.tracked_lines.is_none()));
    let t = agentstat_telemetry::measure(&sessions[0]);
    assert_eq!((t.lines_added, t.model_family), (Some(3), None));
}

#[test]
fn a_damaged_or_foreign_database_is_a_warning_naming_it_and_the_sessions_are_read() {
    for (what, bytes) in [
        (
            "not sqlite",
            b"this is not a database at all, just text\n".to_vec(),
        ),
        ("truncated", {
            // A real database cut short.
            let tmp = tempfile::tempdir().unwrap();
            write_db(
                tmp.path(),
                &[("h1", Some(ID), "composer", Some("/a.rs"), None)],
            );
            let b = std::fs::read(db_path(tmp.path())).unwrap();
            b[..b.len().min(1024)].to_vec()
        }),
    ] {
        let home = home();
        let db = db_path(home.path());
        std::fs::create_dir_all(db.parent().unwrap()).unwrap();
        std::fs::write(&db, bytes).unwrap();
        let (sessions, diag) = read_home(home.path());
        assert_eq!(sessions.len(), 2, "{what}");
        assert!(sessions.iter().all(|s| s.tracked_lines.is_none()), "{what}");
        assert!(
            diag.warnings.iter().any(|w| w.reason == "unreadable-tracking-db"
                && w.file == db.display().to_string()),
            "{what}: {:?}",
            diag.warnings
        );
    }
    // Another schema (a table without the expected columns).
    let home = home();
    let db = db_path(home.path());
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch("CREATE TABLE ai_code_hashes (hash TEXT PRIMARY KEY, createdAt INTEGER)")
        .unwrap();
    let (sessions, diag) = read_home(home.path());
    assert_eq!(sessions.len(), 2);
    let w = diag
        .warnings
        .iter()
        .find(|w| w.reason == "unreadable-tracking-db")
        .expect("a warning");
    assert!(w.detail.contains("conversationId"), "{}", w.detail);
}

#[test]
fn the_database_named_on_the_command_line_is_said_to_be_read_with_the_transcripts() {
    let home = home();
    write_db(
        home.path(),
        &[("h1", Some(ID), "composer", Some("/a.rs"), None)],
    );
    let mut diag = Diagnostics::default();
    let srcs = discover(&[home.path().join(".cursor")], &mut diag);
    assert_eq!(srcs.len(), 2, "the two transcripts");
    assert_eq!(diag.ignored.get("cursor-tracking-db"), Some(&1));
    assert!(
        !diag
            .ignored
            .keys()
            .any(|k| k.starts_with("file-not-a-transcript")),
        "{:?}",
        diag.ignored
    );
}
