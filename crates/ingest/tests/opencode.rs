//! OpenCode adapter on fixtures we wrote in the shape of `opencode export` documents
//! (docs/FORMATS.md): a session with every part kind, a subagent's session, a truncated document.

use agentstat_ingest::{discover, read_session, Diagnostics, Format, IngestOptions};
use agentstat_session::{ActionKind, Event, ResultStatus, Session};
use std::path::PathBuf;

mod support;

fn fx(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/opencode"
    ))
    .join(name)
}

fn read(name: &str) -> (Option<Session>, Diagnostics) {
    support::read_as(fx(name), Format::OpenCode)
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
    assert_eq!(t.output_tokens, Some(125));
    assert_eq!(
        (t.lines_added, t.lines_removed, t.files_touched),
        (Some(6), Some(2), 3)
    );
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

/// The export fixture written out as OpenCode's own stores: the `storage/` tree and the SQLite
/// database (the same rows OpenCode writes: session, message `data` without `id`/`sessionID`,
/// part `data` without its ids). Each must read as the same session as the export.
mod stores {
    use super::*;
    use serde_json::Value;
    use std::path::Path;

    fn export() -> Value {
        serde_json::from_slice(&std::fs::read(fx("export-footer.json")).unwrap()).unwrap()
    }

    fn write_tree(root: &Path, doc: &Value) {
        let info = &doc["info"];
        let sid = info["id"].as_str().unwrap();
        let sdir = root.join("storage/session/p1");
        std::fs::create_dir_all(&sdir).unwrap();
        std::fs::write(sdir.join(format!("{sid}.json")), info.to_string()).unwrap();
        for m in doc["messages"].as_array().unwrap() {
            let mid = m["info"]["id"].as_str().unwrap();
            let mdir = root.join("storage/message").join(sid);
            std::fs::create_dir_all(&mdir).unwrap();
            std::fs::write(mdir.join(format!("{mid}.json")), m["info"].to_string()).unwrap();
            let pdir = root.join("storage/part").join(mid);
            std::fs::create_dir_all(&pdir).unwrap();
            for p in m["parts"].as_array().unwrap() {
                let pid = p["id"].as_str().unwrap();
                std::fs::write(pdir.join(format!("{pid}.json")), p.to_string()).unwrap();
            }
        }
    }

    fn write_db(path: &Path, doc: &Value) {
        let c = rusqlite::Connection::open(path).unwrap();
        c.execute_batch(
            "CREATE TABLE session (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, parent_id TEXT,
               slug TEXT NOT NULL, directory TEXT NOT NULL, title TEXT NOT NULL,
               version TEXT NOT NULL, time_created INTEGER, time_updated INTEGER);
             CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT NOT NULL,
               time_created INTEGER, time_updated INTEGER, data TEXT NOT NULL);
             CREATE TABLE part (id TEXT PRIMARY KEY, message_id TEXT NOT NULL,
               session_id TEXT NOT NULL, time_created INTEGER, time_updated INTEGER,
               data TEXT NOT NULL);",
        )
        .unwrap();
        let info = &doc["info"];
        let sid = info["id"].as_str().unwrap();
        c.execute(
            "INSERT INTO session VALUES (?1, 'p1', NULL, 'fixture', ?2, 'Footer', ?3, ?4, ?4)",
            rusqlite::params![
                sid,
                info["directory"].as_str().unwrap(),
                info["version"].as_str().unwrap(),
                info["time"]["created"].as_i64().unwrap()
            ],
        )
        .unwrap();
        // A second, older session with one prompt: two sources from one database.
        c.execute(
            "INSERT INTO session VALUES ('ses_older', 'p1', NULL, 'o', '/home/dev/site', 'Old', '1.14.30', 1, 1)",
            [],
        )
        .unwrap();
        c.execute(
            "INSERT INTO message VALUES ('msg_o1', 'ses_older', 2, 2, '{\"role\":\"user\",\"time\":{\"created\":2}}')",
            [],
        )
        .unwrap();
        c.execute(
            "INSERT INTO part VALUES ('prt_o1', 'msg_o1', 'ses_older', 2, 2, '{\"type\":\"text\",\"text\":\"hi\"}')",
            [],
        )
        .unwrap();
        for m in doc["messages"].as_array().unwrap() {
            let mut info = m["info"].clone();
            let mid = info["id"].as_str().unwrap().to_string();
            let t = info["time"]["created"].as_i64().unwrap();
            info.as_object_mut().unwrap().remove("id");
            info.as_object_mut().unwrap().remove("sessionID");
            c.execute(
                "INSERT INTO message VALUES (?1, ?2, ?3, ?3, ?4)",
                rusqlite::params![mid, sid, t, info.to_string()],
            )
            .unwrap();
            for p in m["parts"].as_array().unwrap() {
                let mut p = p.clone();
                let pid = p["id"].as_str().unwrap().to_string();
                for k in ["id", "sessionID", "messageID"] {
                    p.as_object_mut().unwrap().remove(k);
                }
                c.execute(
                    "INSERT INTO part VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
                    rusqlite::params![pid, mid, sid, t, p.to_string()],
                )
                .unwrap();
            }
        }
    }

    fn same_as_export(s: &Session) {
        let (e, _) = read("export-footer.json");
        let e = e.unwrap();
        let (te, ts) = (
            agentstat_telemetry::measure(&e),
            agentstat_telemetry::measure(s),
        );
        assert_eq!(s.id, e.id);
        assert_eq!(s.events.len(), e.events.len());
        assert_eq!(s.model_calls.len(), e.model_calls.len());
        assert_eq!(
            (ts.human_turns, ts.actions, ts.lines_added, ts.lines_removed),
            (te.human_turns, te.actions, te.lines_added, te.lines_removed)
        );
        assert_eq!(
            (
                ts.tool_errors,
                ts.rejections,
                ts.interrupts,
                ts.output_tokens
            ),
            (
                te.tool_errors,
                te.rejections,
                te.interrupts,
                te.output_tokens
            )
        );
    }

    fn read_all(roots: &[PathBuf]) -> (Vec<Session>, Diagnostics) {
        let mut d = Diagnostics::default();
        let srcs = discover(roots, &mut d);
        assert!(
            srcs.iter().all(|s| s.format == Format::OpenCode),
            "{srcs:?}"
        );
        let opts = IngestOptions {
            user_label: None,
            salt: b"test".to_vec(),
        };
        let v = srcs
            .iter()
            .filter_map(|s| read_session(s, &opts, &mut d))
            .collect();
        (v, d)
    }

    #[test]
    fn the_storage_tree_reads_like_the_export() {
        let dir = tempfile::tempdir().unwrap();
        write_tree(dir.path(), &export());
        // Walking the data folder finds the tree and reads it session by session.
        let (v, d) = read_all(&[dir.path().to_path_buf()]);
        assert_eq!(d.skipped_total(), 0, "{:?}", d.warnings);
        assert_eq!(v.len(), 1);
        same_as_export(&v[0]);
        assert_eq!(d.files, 1);
    }

    #[test]
    fn the_database_reads_like_the_export_session_by_session() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("opencode.db");
        write_db(&db, &export());
        let (v, d) = read_all(&[dir.path().to_path_buf()]);
        assert_eq!(d.skipped_total(), 0, "{:?}", d.warnings);
        assert_eq!(v.len(), 2, "one source per session row");
        let s = v
            .iter()
            .find(|s| s.id == "ses_0a1b2c3d4ffeFixtureSession01")
            .unwrap();
        same_as_export(s);
        let old = v.iter().find(|s| s.id == "ses_older").unwrap();
        assert_eq!(old.human_turns().count(), 1);
        assert_eq!(d.files, 1, "the database counts once");
    }

    #[test]
    fn a_database_that_is_not_opencodes_is_a_skip_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("opencode.db");
        rusqlite::Connection::open(&db)
            .unwrap()
            .execute_batch("CREATE TABLE other (x INTEGER);")
            .unwrap();
        let (v, d) = read_all(std::slice::from_ref(&db));
        assert!(v.is_empty());
        assert_eq!(
            d.skipped.get("unreadable-database"),
            Some(&1),
            "{:?}",
            d.warnings
        );
        assert!(d.warnings[0].file.ends_with("opencode.db"));
    }

    #[test]
    fn default_roots_find_the_stores_under_a_fake_home() {
        // The only test here that touches the environment.
        let home = tempfile::tempdir().unwrap();
        let data = home.path().join(".local/share/opencode");
        write_tree(&data, &export());
        write_db(&data.join("opencode.db"), &export());
        std::env::set_var("HOME", home.path());
        for k in [
            "XDG_DATA_HOME",
            "CLAUDE_CONFIG_DIR",
            "CODEX_HOME",
            "PI_CODING_AGENT_DIR",
        ] {
            std::env::remove_var(k);
        }
        let roots = agentstat_ingest::default_roots();
        assert!(roots.contains(&data.join("storage")), "{roots:?}");
        assert!(roots.contains(&data.join("opencode.db")), "{roots:?}");
        let mut d = Diagnostics::default();
        let srcs = discover(&roots, &mut d);
        assert_eq!(
            srcs.iter().filter(|s| s.format == Format::OpenCode).count(),
            3,
            "{srcs:?}"
        );
    }
}
