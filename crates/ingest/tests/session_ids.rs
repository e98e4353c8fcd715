//! Session ids (and so session keys) do not depend on where the files are or how their path
//! was typed: relative, absolute, through a symlinked folder, after the folder moved, after an
//! Aider history grew by a session; and two projects' histories never share a key
//! (crates/ingest/src/ident.rs, docs/FORMATS.md "Session ids"). Every file here is written by
//! the test into its own temporary folder.

use agentstat_ingest::{discover, read_session, session_key, Diagnostics, IngestOptions};
use std::path::{Path, PathBuf};

fn opts() -> IngestOptions {
    IngestOptions {
        user_label: None,
        salt: b"test-salt".to_vec(),
    }
}

/// (session id, session key) of every session read under `path`, in discovery order; each
/// source's id is the session's (the formats here record none of their own).
fn ids(path: &Path) -> Vec<(String, String)> {
    let mut d = Diagnostics::default();
    let srcs = discover(&[path.to_path_buf()], &mut d);
    srcs.iter()
        .map(|src| {
            let s = read_session(src, &opts(), &mut d)
                .unwrap_or_else(|| panic!("{} not read: {:?}", src.id, d.skipped));
            assert_eq!(s.id, src.id, "discovery and the adapter agree on the id");
            let key = session_key(&opts().salt, &s.id);
            (s.id, key)
        })
        .collect()
}

/// `abs` written relative to the current directory (`../../tmp/…`): the path as a person in
/// another folder would type it.
fn relative(abs: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap();
    let mut rel = PathBuf::new();
    for _ in cwd.components().skip(1) {
        rel.push("..");
    }
    rel.push(abs.strip_prefix("/").unwrap());
    assert!(rel.is_relative());
    rel
}

const S1: &str = "# aider chat started at 2024-05-10 09:00:00\n\n\
> aider --model gpt-4o\n> Aider v0.50.1\n\n#### add a test for the parser\n\n\
I will add the test.\n\n> Tokens: 1.2k sent, 300 received.\n\n";
const S2: &str = "# aider chat started at 2024-05-10 11:30:00\n\n\
> aider\n> Aider v0.50.1\n\n#### fix the failing build\n#### on CI\n\nDone.\n\n";
const S3: &str = "# aider chat started at 2024-05-11 08:00:00\n\n#### rename the module\n\nOk.\n\n";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn an_aider_session_has_one_key_however_its_path_is_typed() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    write(&project, ".aider.chat.history.md", &format!("{S1}{S2}"));
    let abs = ids(&project);
    assert_eq!(abs.len(), 2);
    assert_eq!(ids(&relative(&project)), abs, "relative path");
    let with_dot = project.join(".").join("..").join("project");
    assert_eq!(ids(&with_dot), abs, "a path with `.` and `..`");
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&project, &link).unwrap();
    assert_eq!(ids(&link), abs, "through a symlinked folder");
    assert_eq!(
        ids(&project.join(".aider.chat.history.md")),
        abs,
        "the file named, not its folder"
    );
    // Another machine, a moved folder, CI's checkout: the same bytes elsewhere.
    let moved = tmp.path().join("elsewhere").join("deeper");
    write(&moved, ".aider.chat.history.md", &format!("{S1}{S2}"));
    assert_eq!(ids(&moved), abs, "moved folder");
    // The id carries the session's start and a hash, nothing of the path or the text.
    assert!(
        abs[0].0.starts_with("aider-2024-05-10T09:00:00-"),
        "{}",
        abs[0].0
    );
    assert!(
        abs[1].0.starts_with("aider-2024-05-10T11:30:00-"),
        "{}",
        abs[1].0
    );
    for (id, _) in &abs {
        assert!(!id.contains("project") && !id.contains("history") && !id.contains("parser"));
    }
}

#[test]
fn appending_sessions_to_an_aider_history_keeps_the_earlier_keys() {
    let tmp = tempfile::tempdir().unwrap();
    // One session, then two (a file of one session once had its path as id, of several
    // `path#N`: the first session's key changed when the second was added), then three, then
    // the last session growing as it goes on.
    let p = write(tmp.path(), ".aider.chat.history.md", S1);
    let one = ids(tmp.path());
    assert_eq!(one.len(), 1);
    std::fs::write(&p, format!("{S1}{S2}")).unwrap();
    let two = ids(tmp.path());
    assert_eq!(two[0], one[0]);
    std::fs::write(&p, format!("{S1}{S2}{S3}")).unwrap();
    let three = ids(tmp.path());
    assert_eq!(three[..2], two[..]);
    std::fs::write(
        &p,
        format!("{S1}{S2}{S3}> Applied edit to src/lib.rs\n\n#### and the tests\n\nDone.\n"),
    )
    .unwrap();
    assert_eq!(ids(tmp.path()), three, "the last session grew");
    // An empty session (aider started and quit) appended, then a real one: no key moves.
    std::fs::write(
        &p,
        format!("{S1}{S2}{S3}# aider chat started at 2024-05-12 08:00:00\n\n"),
    )
    .unwrap();
    assert_eq!(ids(tmp.path()), three);
}

#[test]
fn two_projects_with_sessions_started_at_the_same_second_get_distinct_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let same_second = "# aider chat started at 2024-05-10 09:00:00\n\n> Aider v0.50.1\n\n";
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    write(
        &a,
        ".aider.chat.history.md",
        &format!("{same_second}#### fix a\n\nok\n"),
    );
    write(
        &b,
        ".aider.chat.history.md",
        &format!("{same_second}#### fix b\n\nok\n"),
    );
    let both = ids(tmp.path());
    assert_eq!(both.len(), 2);
    assert_ne!(both[0].1, both[1].1, "different first prompts");
    // The same start and the same first prompt in two projects: still two sessions.
    write(
        &b,
        ".aider.chat.history.md",
        &format!("{same_second}#### fix a\n\nno\n"),
    );
    let both = ids(tmp.path());
    assert_eq!(both.len(), 2);
    assert_ne!(both[0].1, both[1].1, "identical beginnings");
    assert_eq!(
        both[1].0,
        format!("{}-2", both[0].0),
        "told apart by an ordinal"
    );
    // Each project alone keeps the id it has when read with the other (the first in path order).
    assert_eq!(ids(&a)[0], both[0]);
}

#[test]
fn a_specstory_export_keeps_its_key_when_moved_retyped_or_grown() {
    let tmp = tempfile::tempdir().unwrap();
    let head = "<!-- Generated by SpecStory -->\n\n# Fix the parser (2025-04-30 16:13:59)\n\n\
_**User**_\n\nfix the parser please\n\n---\n\n_**Assistant**_\n\nDone.\n\n---\n\n";
    let dir = tmp.path().join("chats");
    let p = write(&dir, "2025-04-30_16-13-fix-the-parser.md", head);
    let first = ids(&dir);
    assert_eq!(first.len(), 1);
    assert!(first[0].0.starts_with("specstory-"), "{}", first[0].0);
    assert_eq!(ids(&relative(&dir)), first);
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&dir, &link).unwrap();
    assert_eq!(ids(&link), first);
    // SpecStory rewrites the file as the chat goes on.
    std::fs::write(&p, format!("{head}_**User**_\n\nand the tests\n\n---\n\n")).unwrap();
    assert_eq!(ids(&dir), first, "the chat went on");
    // Renamed file, renamed chat title: the same chat.
    let other = tmp.path().join("other");
    write(
        &other,
        "renamed.md",
        &head.replace("# Fix the parser", "# Parser work"),
    );
    assert_eq!(ids(&other), first);
    // Another chat with the same first words at another time is another session.
    let later = tmp.path().join("later");
    write(&later, "x.md", &head.replace("16:13:59", "17:00:00"));
    assert_ne!(ids(&later)[0].1, first[0].1);
}

#[test]
fn a_file_without_an_id_of_its_own_is_keyed_by_its_content() {
    // An OpenHands trajectory (a document) and a Codex rollout without `session_meta` (JSON
    // Lines): the same key wherever they lie; the rollout's survives its growing.
    let tmp = tempfile::tempdir().unwrap();
    let traj = r#"[{"id":0,"timestamp":"2025-01-01T00:00:00","source":"user","message":"fix it","action":"message","args":{"content":"fix it"}},
{"id":1,"timestamp":"2025-01-01T00:00:05","source":"agent","message":"done","action":"finish","args":{}}]"#;
    let a = tmp.path().join("a");
    let b = tmp.path().join("b").join("c");
    write(&a, "trajectory.json", traj);
    write(&b, "run.json", traj);
    let ka = ids(&a);
    assert_eq!(ka.len(), 1);
    assert!(ka[0].0.starts_with("openhands-"), "{}", ka[0].0);
    assert_eq!(ids(&b), ka);
    assert_eq!(ids(&relative(&a)), ka);

    let line1 = r#"{"timestamp":"2025-01-01T00:00:00Z","type":"response_item","payload":{"type":"message","role":"user","content":[{"type":"input_text","text":"fix it"}]}}"#;
    let line2 = r#"{"timestamp":"2025-01-01T00:00:05Z","type":"response_item","payload":{"type":"message","role":"assistant","content":[{"type":"output_text","text":"done"}]}}"#;
    let codex = tmp.path().join("codex");
    let p = write(
        &codex,
        "rollout-2025-01-01T00-00-00-x.jsonl",
        &format!("{line1}\n"),
    );
    let kc = ids(&codex);
    assert_eq!(kc.len(), 1);
    assert!(kc[0].0.starts_with("codex-cli-"), "{}", kc[0].0);
    std::fs::write(&p, format!("{line1}\n{line2}\n")).unwrap();
    assert_eq!(ids(&codex), kc, "the rollout grew");
    assert_eq!(ids(&relative(&codex)), kc);
}
