//! `agentstat scan` end to end on the ingest fixtures: exit codes, JSON fields, no transcript
//! text or raw names in the output, warnings on stderr naming file and line.

use std::path::PathBuf;
mod support;

fn fixtures() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ingest/tests/fixtures"
    ))
}

fn agentstat(args: &[&str], salt_home: &std::path::Path) -> std::process::Output {
    support::agentstat_salted(salt_home, "scan-test-salt")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("run agentstat")
}

#[test]
fn scan_json_has_one_pseudonymous_record_per_session() {
    let home = tempfile::tempdir().unwrap();
    let out = agentstat(
        &[
            "scan",
            "--json",
            fixtures().join("session_full.jsonl").to_str().unwrap(),
        ],
        home.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1);
    let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(v["schema"], 2);
    assert_eq!(v["agent"], "claude-code");
    assert_eq!(v["interactive"], true);
    assert_eq!(v["telemetry"]["human_turns"], 6);
    assert_eq!(v["telemetry"]["actions"], 10);
    assert_eq!(v["telemetry"]["model_calls"], 8);
    assert_eq!(v["session"].as_str().unwrap().len(), 32);
    assert_eq!(v["user"].as_str().unwrap().len(), 32);
    // No transcript text, no raw ids or names.
    for secret in [
        "greeting",
        "fixture-person",
        "11111111-1111",
        "hello.py",
        "cargo test",
    ] {
        assert!(
            !stdout.contains(secret),
            "{secret:?} leaked into scan --json"
        );
    }
}

#[test]
fn scan_table_counts_sessions_and_damage_and_exits_zero() {
    let home = tempfile::tempdir().unwrap();
    // The Claude Code fixtures (the other agents' fixtures live beside them).
    let claude: Vec<String> = [
        "session_full.jsonl",
        "flat",
        "nested",
        "resumed",
        "order",
        "damaged.jsonl",
    ]
    .iter()
    .map(|f| fixtures().join(f).to_string_lossy().into_owned())
    .collect();
    let mut args = vec!["scan"];
    args.extend(claude.iter().map(String::as_str));
    let out = agentstat(&args, home.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let row = |name: &str| -> Vec<String> {
        let l = stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} row in\n{stdout}"));
        l[name.len()..]
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    // session_full, flat (+ an orphan subagent), nested, resumed, order, damaged.
    assert_eq!(row("sessions"), vec!["7", "6"]);
    assert!(stdout.contains("skipped: "), "{stdout}");
    assert!(stdout.contains("truncated-json 1"), "{stdout}");
    assert!(
        stdout.contains("recovered: concatenated-records 1"),
        "{stdout}"
    );
    assert!(stderr.contains("damaged.jsonl:3: invalid-json"), "{stderr}");
    assert!(!stdout.contains("a real prompt") && !stderr.contains("a real prompt"));
}

#[test]
fn scan_of_nothing_readable_exits_one() {
    let home = tempfile::tempdir().unwrap();
    let empty = tempfile::tempdir().unwrap();
    let out = agentstat(&["scan", empty.path().to_str().unwrap()], home.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no session could be read"));
}

#[test]
fn user_label_changes_the_person_key_only() {
    let home = tempfile::tempdir().unwrap();
    let f = fixtures().join("order");
    let a = agentstat(&["scan", "--json", f.to_str().unwrap()], home.path());
    let b = agentstat(
        &["scan", "--json", "--user", "someone", f.to_str().unwrap()],
        home.path(),
    );
    let va: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
    let vb: serde_json::Value = serde_json::from_slice(&b.stdout).unwrap();
    assert_ne!(va["user"], vb["user"]);
    assert_eq!(va["session"], vb["session"]);
    assert_eq!(va["telemetry"], vb["telemetry"]);
}

#[test]
fn files_of_other_formats_are_counted_not_silently_dropped() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures().join("session_full.jsonl"),
        dir.path().join("session_full.jsonl"),
    )
    .unwrap();
    std::fs::write(dir.path().join("chat.history.md"), "# aider chat\n").unwrap();
    std::fs::write(dir.path().join("run.traj"), "{}").unwrap();
    std::fs::write(dir.path().join("session.json"), "{}").unwrap();
    let out = agentstat(&["scan", dir.path().to_str().unwrap()], home.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("not read: 3 files that are not transcripts of a supported agent (.json 1, .md 1, .traj 1)"),
        "{text}"
    );
}

#[test]
fn scan_with_no_paths_finds_codex_sessions_under_home() {
    // A Codex CLI rollout (our fixture) where Codex keeps them; nothing else under HOME.
    let home = tempfile::tempdir().unwrap();
    let day = home.path().join(".codex/sessions/2025/10/20");
    std::fs::create_dir_all(&day).unwrap();
    let name = "rollout-2025-10-20T09-14-03-0199f1a2-7c3e-7d40-9b1a-3f6e2d8c4b10.jsonl";
    std::fs::copy(
        fixtures().join("codex/sessions/2025/10/20").join(name),
        day.join(name),
    )
    .unwrap();
    let out = support::agentstat_salted(home.path(), "scan-test-salt")
        .args(["scan", "--json"])
        .output()
        .expect("run agentstat");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let v: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(v["agent"], "codex-cli");
    assert_eq!(v["agent_version"], "0.47.0");
    assert_eq!(v["interactive"], true);
    assert_eq!(v["telemetry"]["human_turns"], 2);
    assert_eq!(v["telemetry"]["actions"], 9);
    // No transcript text or raw names.
    for secret in ["dana", "balance report", "cargo test", "0199f1a2"] {
        assert!(!stdout.contains(secret), "{secret} leaked");
    }
}

#[test]
fn what_a_format_cannot_tell_shows_as_unknown_not_zero() {
    // Cursor's agent transcripts record no tokens, and one fixture session deletes a file
    // (lines unknown) and nothing else.
    let home = tempfile::tempdir().unwrap();
    let dir = fixtures().join("cursor").join("projects");
    let out = agentstat(&["scan", dir.to_str().unwrap()], home.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let row = |name: &str| -> String {
        stdout
            .lines()
            .find(|l| l.starts_with(name))
            .unwrap_or_else(|| panic!("no {name} row in\n{stdout}"))[name.len()..]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    assert_eq!(row("output tokens"), "unknown unknown");
    assert!(row("lines added").ends_with('*'), "{stdout}");
    assert!(
        stdout.contains("lines added unknown in 1 of 2 sessions"),
        "{stdout}"
    );
    let out = agentstat(&["scan", "--json", dir.to_str().unwrap()], home.path());
    let recs: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(recs.len(), 2);
    for r in &recs {
        assert!(r["telemetry"]["output_tokens"].is_null(), "{r}");
        assert!(r["telemetry"]["input_tokens"].is_null(), "{r}");
    }
    let unknown_lines = recs
        .iter()
        .filter(|r| r["telemetry"]["lines_added"].is_null())
        .count();
    assert_eq!(unknown_lines, 1);
    // Known values stay numbers.
    assert!(recs.iter().any(|r| r["telemetry"]["lines_added"] == 3));
}

#[test]
fn a_run_with_no_paths_joins_cursors_tracking_database_to_its_transcripts() {
    // A fake home: Cursor's transcript in its default folder, and the AI code tracking
    // database beside it (written here, schema as public readers show it).
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    std::fs::create_dir_all(h.join(".claude/projects")).unwrap();
    let id = "5b1c0c9e-0000-4000-8000-000000000001";
    let from = fixtures().join(format!(
        "cursor/projects/Users-ana-code-shop/agent-transcripts/{id}/{id}.jsonl"
    ));
    let dir = h.join(format!(
        ".cursor/projects/Users-ana-code-shop/agent-transcripts/{id}"
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(from, dir.join(format!("{id}.jsonl"))).unwrap();
    let db = h.join(".cursor/ai-tracking/ai-code-tracking.db");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "CREATE TABLE ai_code_hashes (hash TEXT PRIMARY KEY, source TEXT NOT NULL, \
         fileExtension TEXT, fileName TEXT, requestId TEXT, conversationId TEXT, \
         timestamp INTEGER, model TEXT, createdAt INTEGER NOT NULL);",
    )
    .unwrap();
    for i in 0..40 {
        conn.execute(
            "INSERT INTO ai_code_hashes VALUES (?1, 'composer', 'rs', ?2, 'r', ?3, 1, \
             'gpt-5', 1)",
            rusqlite::params![
                format!("h{i}"),
                format!("/Users/ana/code/shop/f{}.rs", i % 4),
                id
            ],
        )
        .unwrap();
    }
    drop(conn);
    let out = support::agentstat_salted(h, "t")
        .args(["scan", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(v["agent"], "cursor");
    assert_eq!(v["telemetry"]["lines_added"], 40);
    assert_eq!(v["telemetry"]["files_touched"], 4);
    assert_eq!(v["telemetry"]["model_family"], "gpt");
    assert!(v["telemetry"]["output_tokens"].is_null());
    assert!(!stdout.contains("/Users/ana"), "a path leaked");
}

/// The same sessions named three ways — relative to the working folder, absolute, through a
/// symlinked folder — print the same `scan --json` records (the same session keys): Aider,
/// SpecStory, OpenHands and SWE-agent files record no session id, and theirs once held the path
/// as typed (docs/FORMATS.md "Session ids").
#[test]
fn scan_json_is_the_same_however_the_path_is_typed() {
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    for f in ["aider", "specstory", "openhands", "swe-agent"] {
        let from = fixtures().join(f);
        for e in std::fs::read_dir(&from).unwrap() {
            let p = e.unwrap().path();
            if p.is_file() {
                std::fs::copy(
                    &p,
                    data.join(format!("{f}-{}", p.file_name().unwrap().to_string_lossy())),
                )
                .unwrap();
            }
        }
    }
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&data, &link).unwrap();
    // `data` relative to the test's working folder (the crate's directory).
    let mut rel = PathBuf::new();
    for _ in PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .components()
        .skip(1)
    {
        rel.push("..");
    }
    rel.push(data.strip_prefix("/").unwrap());
    let run = |p: &std::path::Path| {
        let out = agentstat(&["scan", "--json", p.to_str().unwrap()], home.path());
        assert!(
            out.status.code() == Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let abs = run(&data);
    assert!(abs.lines().count() >= 8, "{abs}");
    for a in ["aider", "cursor", "openhands", "swe-agent"] {
        assert!(
            abs.contains(&format!("\"agent\":\"{a}\"")),
            "no {a} session: {abs}"
        );
    }
    assert_eq!(run(&rel), abs, "relative path");
    assert_eq!(run(&link), abs, "symlinked folder");
}
