//! `agentstat` as a new user runs it (issue 9): no arguments, one person's sessions in the usual
//! folders of a (fake) home — Claude Code, Codex CLI (one session whose working folder is
//! outside the home, as on a second drive) and Gemini CLI. Also: report flags at the top level,
//! why a run on named paths sees several people, `explain` by every id the tool shows, and a
//! closed pipe.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

mod support;

const CODEX_ID: &str = "0199f1a2-7c3e-7d40-9b1a-3f6e2d8c4b10";
const CODEX_FILE: &str = "rollout-2025-10-20T09-14-03-0199f1a2-7c3e-7d40-9b1a-3f6e2d8c4b10.jsonl";

fn cli_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/claude/projects")
}

fn ingest_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ingest/tests/fixtures")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// A home holding one person's sessions of three agents; the Codex session ran in `D:\work`,
/// a folder that names no home directory.
fn fake_home() -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    copy_dir(&cli_fixtures(), &h.join(".claude/projects"));
    let rollout = std::fs::read_to_string(
        ingest_fixtures()
            .join("codex/sessions/2025/10/20")
            .join(CODEX_FILE),
    )
    .unwrap()
    .replace("/Users/dana/src/ledger", r"D:\\work\\ledger")
    .replace("/Users/dana", r"D:\\work");
    assert!(
        !rollout.contains("/Users/"),
        "the fixture must name no home"
    );
    let day = h.join(".codex/sessions/2025/10/20");
    std::fs::create_dir_all(&day).unwrap();
    std::fs::write(day.join(CODEX_FILE), rollout).unwrap();
    let chats = h.join(".gemini/tmp/0a1b2c3d4e5f/chats");
    std::fs::create_dir_all(&chats).unwrap();
    let name = "session-2026-01-11T10-00-abcd1234.jsonl";
    std::fs::copy(
        ingest_fixtures().join("gemini").join(name),
        chats.join(name),
    )
    .unwrap();
    home
}

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_str(&ok(o)).unwrap_or_else(|e| panic!("{e}: {}", ok(o)))
}

#[test]
fn a_default_run_is_one_persons_report_in_personal_mode() {
    let home = fake_home();
    let v = json(
        &support::agentstat_salted(home.path(), "t")
            .arg("--json")
            .output()
            .unwrap(),
    );
    assert_eq!(v["people"], 1, "{v:#}");
    assert_eq!(v["personal_mode"], true, "{v:#}");
    assert_eq!(v["suppressed_cells"], 0, "{v:#}");
    let results: serde_json::Value = serde_json::from_slice(
        &std::fs::read(home.path().join("agentstat-report/results.json")).unwrap(),
    )
    .unwrap();
    let agents = results["sample"]["agents"].as_object().unwrap();
    for a in ["claude-code", "codex-cli", "gemini-cli"] {
        assert!(agents.contains_key(a), "{a} not read: {agents:?}");
    }
    assert_eq!(results["sample"]["people"], 1);
    assert_eq!(results["sample"]["unidentified_key"], false);
    let html = std::fs::read_to_string(home.path().join("agentstat-report/index.html")).unwrap();
    assert!(html.contains(r#"id="personal""#), "no habits section");
    assert!(
        !html.to_lowercase().contains("too few people"),
        "team wording in a personal report"
    );
}

#[test]
fn named_paths_keep_per_person_keys_and_say_why_there_are_two() {
    let home = fake_home();
    let claude = home.path().join(".claude/projects");
    let codex = home.path().join(".codex/sessions");
    let o = support::agentstat_salted(home.path(), "t")
        .arg(&claude)
        .arg(&codex)
        .output()
        .unwrap();
    let out = ok(&o);
    assert!(
        out.contains("2 people: 1 by home directory (or --user) + 1 session with no home directory in its working folder"),
        "{out}"
    );
    assert!(out.contains("agentstat --personal "), "{out}");
    let html = std::fs::read_to_string(home.path().join("agentstat-report/index.html")).unwrap();
    assert!(html.contains(
        "plus one key shared by the sessions whose working folder names no home directory"
    ));
    // The command it suggests works, and makes it one person's report.
    let v = json(
        &support::agentstat_salted(home.path(), "t")
            .arg("--personal")
            .arg(&claude)
            .arg(&codex)
            .arg("--json")
            .output()
            .unwrap(),
    );
    assert_eq!(v["personal_mode"], true);
    let v = json(
        &support::agentstat_salted(home.path(), "t")
            .args(["--user", "me", "--json"])
            .arg(&claude)
            .arg(&codex)
            .output()
            .unwrap(),
    );
    assert_eq!(
        (v["people"].as_u64(), v["personal_mode"].as_bool()),
        (Some(1), Some(true))
    );
}

#[test]
fn report_flags_are_accepted_with_and_without_the_subcommand() {
    let home = fake_home();
    for args in [
        &["--personal", "--json"][..],
        &["--min-users", "3", "--json"][..],
        &["report", "--personal", "--json"][..],
    ] {
        let v = json(
            &support::agentstat_salted(home.path(), "t")
                .args(args)
                .output()
                .unwrap(),
        );
        assert_eq!(
            v["min_users"],
            if args.contains(&"3") { 3 } else { 10 },
            "{args:?}"
        );
    }
}

#[test]
fn explain_finds_a_session_by_every_id_the_tool_shows() {
    let home = fake_home();
    let scan = ok(&support::agentstat_salted(home.path(), "t")
        .args(["scan", "--json"])
        .output()
        .unwrap());
    let codex: serde_json::Value = scan
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|r| r["agent"] == "codex-cli")
        .unwrap();
    let key = codex["session"].as_str().unwrap().to_string();
    // The report's facets carry the same key.
    ok(&support::agentstat_salted(home.path(), "t")
        .output()
        .unwrap());
    let facets =
        agentstat_facets::parquet::read_facets(home.path().join("agentstat-report/facets.parquet"))
            .unwrap();
    assert!(
        facets.iter().any(|f| f.session_key == key),
        "scan and facets keys differ"
    );
    let path = home
        .path()
        .join(".codex/sessions/2025/10/20")
        .join(CODEX_FILE);
    for id in [
        CODEX_ID.to_string(),
        CODEX_ID[..13].to_string(),
        key.clone(),
        key[..8].to_string(),
        key.to_ascii_uppercase(),
        path.display().to_string(),
    ] {
        let o = support::agentstat_salted(home.path(), "t")
            .args(["explain", &id])
            .output()
            .unwrap();
        let out = ok(&o);
        assert!(
            out.starts_with(&format!("session {CODEX_ID}")),
            "{id}: {out}"
        );
    }
    let o = support::agentstat_salted(home.path(), "t")
        .args(["explain", "ffffffffffffffffffffffffffffffff"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no session with id, key or prefix"));
}

#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    let home = fake_home();
    // stdout closed before anything is written; stderr kept to see that nothing panicked.
    let mut c = support::agentstat_salted(home.path(), "t")
        .args(["scan", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(c.stdout.take());
    let o = c.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "exit {:?}: {err}", o.status);
    assert!(!err.contains("panicked"), "{err}");
    // Both closed (`agentstat 2>&1 | head -0`): like other Unix tools it stops at the first
    // write that cannot be made, quietly and with status 0 (not a panic's 101).
    let mut c = support::agentstat_salted(home.path(), "t")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(c.stdout.take());
    drop(c.stderr.take());
    assert_eq!(c.wait().unwrap().code(), Some(0));
}
