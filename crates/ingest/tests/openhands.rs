//! OpenHands adapter on fixtures we wrote.

use agentstat_ingest::{discover, read_session, Diagnostics, Format, IngestOptions};
use agentstat_session::Session;
use agentstat_session::{ActionKind, Event, ResultStatus};
use std::path::PathBuf;

fn fx(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/openhands"
    ))
    .join(name)
}

fn read(name: &str) -> (Option<Session>, Diagnostics) {
    let mut d = Diagnostics::default();
    let srcs = discover(&[fx(name)], &mut d);
    assert_eq!(srcs.len(), 1, "{name} is discovered");
    assert_eq!(srcs[0].format, Format::OpenHands);
    let opts = IngestOptions {
        user_label: None,
        salt: b"test".to_vec(),
    };
    let s = read_session(&srcs[0], &opts, &mut d);
    (s, d)
}

#[test]
fn trajectory_actions_results_and_calls() {
    let (s, d) = read("run.json");
    let s = s.expect("session");
    assert_eq!(s.agent.name, "openhands");
    // Automated: the user message is the task, not a prompt.
    assert_eq!(s.human_turns().count(), 0);
    assert!(!s.is_interactive());
    assert!(s
        .events
        .iter()
        .any(|e| matches!(e, Event::System(n) if n.kind == "task")));
    let acts: Vec<(&str, ActionKind, ResultStatus)> = s
        .actions()
        .map(|a| (a.tool.as_str(), a.kind, a.result.status))
        .collect();
    assert_eq!(
        acts,
        [
            ("execute_bash", ActionKind::Shell, ResultStatus::Ok),
            ("str_replace_editor", ActionKind::Edit, ResultStatus::Ok),
            ("execute_bash", ActionKind::Shell, ResultStatus::Error),
            ("edit", ActionKind::Edit, ResultStatus::Rejected),
        ]
    );
    let a: Vec<_> = s.actions().collect();
    assert_eq!(a[0].command().as_deref(), Some("ls /home/erin/ws"));
    assert_eq!(a[0].result.exit_code, Some(0));
    assert_eq!(a[2].result.exit_code, Some(2));
    let l = a[1].result.lines.unwrap();
    assert_eq!((l.added, l.removed), (2, 0));
    assert_eq!(a[1].file_path().as_deref(), Some("/home/erin/ws/hello.py"));
    // One model call per response id.
    let calls: Vec<(u64, u64, u64, u64)> = s
        .model_calls
        .iter()
        .map(|c| {
            (
                c.input_tokens,
                c.cache_read_tokens,
                c.cache_creation_tokens,
                c.output_tokens,
            )
        })
        .collect();
    assert_eq!(calls, [(300, 600, 100, 50), (1100, 0, 0, 80)]);
    let texts: Vec<&str> = s
        .events
        .iter()
        .filter_map(|e| match e {
            Event::AssistantText(t) => Some(t.text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["Let me look first.", "Done.", "All done"]);
    assert_eq!(s.user, agentstat_ingest::user_key(b"test", "erin"));
    // Damage inside the list: named by line, counted.
    let w: Vec<(&str, Option<u64>)> = d
        .warnings
        .iter()
        .map(|w| (w.reason.as_str(), w.line))
        .collect();
    assert_eq!(
        w,
        [
            ("record-without-type", Some(19)),
            ("not-an-object", Some(20))
        ]
    );
    assert_eq!(d.ignored.get("observation:agent_state_changed"), Some(&1));
    let (a, b) = s.time_range().unwrap();
    assert_eq!(b - a, 13_000);
}

#[test]
fn damaged_trajectories() {
    let (s, d) = read("invalid.json");
    assert!(s.is_none());
    assert_eq!(d.skipped.get("invalid-json"), Some(&1));
    assert_eq!(d.warnings[0].line, Some(3));

    let (s, d) = read("truncated.json");
    assert!(s.is_none());
    assert_eq!(d.skipped.get("truncated-json"), Some(&1));

    // An empty list cannot be recognised by content; read as OpenHands it is an empty session.
    let path = fx("empty-list.json");
    let src = agentstat_ingest::SessionSource {
        id: "empty".into(),
        files: vec![agentstat_ingest::SourceFile {
            path,
            role: agentstat_ingest::FileRole::Main,
            bytes: 3,
            span: None,
        }],
        format: Format::OpenHands,
    };
    let mut d = Diagnostics::default();
    let opts = IngestOptions::default();
    assert!(read_session(&src, &opts, &mut d).is_none());
    assert_eq!(d.warnings[0].reason, "empty-session");
}

/// A long trajectory is read in time linear in its size: an event's line (for warnings) is
/// counted on from the previous event's, not from the top of the file for every event (20,000
/// events, 12 MB: seconds of line counting per read before).
#[test]
fn long_trajectories_are_read_in_linear_time() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("long.json");
    let mut text = String::from(
        "[\n {\"id\": 0, \"source\": \"user\", \"action\": \"message\", \"args\": {\"content\": \"task\"}}",
    );
    let thought = "x".repeat(600);
    let out = "y".repeat(300);
    for i in (1..20_000).step_by(2) {
        text.push_str(&format!(
            ",\n {{\n  \"id\": {i},\n  \"source\": \"agent\",\n  \"action\": \"run\",\n  \"args\": {{\"command\": \"echo {i}\", \"thought\": \"{thought}\"}}\n }},\n {{\n  \"id\": {},\n  \"source\": \"environment\",\n  \"observation\": \"run\",\n  \"cause\": {i},\n  \"content\": \"{out}\"\n }}",
            i + 1
        ));
    }
    // One damaged event at the end: its line is still right.
    text.push_str(",\n 42\n]\n");
    let lines = text.lines().count() as u64;
    std::fs::write(&p, &text).unwrap();
    let mut d = Diagnostics::default();
    let srcs = discover(&[p], &mut d);
    let opts = IngestOptions {
        user_label: None,
        salt: b"test".to_vec(),
    };
    let t = std::time::Instant::now();
    let s = read_session(&srcs[0], &opts, &mut d).expect("session");
    let took = t.elapsed();
    assert_eq!(s.actions().count(), 10_000);
    assert_eq!(d.warnings[0].line, Some(lines - 1));
    assert!(took.as_secs_f64() < 4.0, "read took {took:?}");
}
