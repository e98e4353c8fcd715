//! The CLI with an LLM classifier against a loopback OpenAI-compatible server: the exit
//! status says whether labels are missing (3: some, 4: none), the summary says how to resume,
//! a re-run against a healthy server fills in only what was missing, and progress lines appear
//! on stderr while a slow server is waited on.

#[path = "../../classify/tests/llm_support/mod.rs"]
mod llm_support;
mod support;

use llm_support::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/claude/projects")
}

/// 0: healthy; 1: `outcome` calls refused (400); 2: every call refused (400).
fn server(mode: Arc<AtomicU8>, delay: Duration) -> Server {
    Server::start(move |req, _| {
        let v = req.json();
        let text = v["messages"][1]["content"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let refuse = match mode.load(Ordering::SeqCst) {
            1 => measure_of(&text) == "outcome",
            2 => true,
            _ => false,
        };
        if refuse {
            return Reply::raw(
                400,
                r#"{"error":{"type":"invalid_request_error","message":"no"}}"#,
            );
        }
        let answer = good_answer(&v["response_format"]["json_schema"]["schema"]);
        Reply::json(200, &openai_reply(&answer.to_string())).delayed(delay)
    })
}

/// A progress line on stderr: sessions done and the backend's requests in flight.
fn has_progress_line(stderr: &str) -> bool {
    stderr
        .lines()
        .any(|l| l.contains(" sessions (") && l.contains("in flight"))
}

fn extract(home: &Path, base: &str, extra: &[&str]) -> std::process::Output {
    support::agentstat_salted(home, "llm-exit-salt")
        .arg("extract")
        .arg(fixtures())
        .args([
            "--classifier",
            "openai",
            "--model",
            "test-model",
            "--base-url",
            base,
        ])
        .arg("--output")
        .arg(home.join("facets.parquet"))
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn exit_status_says_whether_labels_are_missing_and_a_rerun_resumes() {
    let mode = Arc::new(AtomicU8::new(2));
    let srv = server(mode.clone(), Duration::ZERO);
    let home = tempfile::tempdir().unwrap();

    let o = extract(home.path(), &srv.base, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(4), "no label at all: {err}");
    assert!(err.contains("run the same command again"), "{err}");
    assert!(
        home.path().join("facets.parquet").exists(),
        "facets are written anyway"
    );

    mode.store(1, Ordering::SeqCst);
    let o = extract(home.path(), &srv.base, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "some labels missing: {err}");
    assert!(
        err.contains("labels could not be produced for 3 of 3 sessions"),
        "{err}"
    );

    mode.store(0, Ordering::SeqCst);
    let before = srv.count();
    let o = extract(home.path(), &srv.base, &[]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Only the three sessions' outcome calls were missing.
    assert_eq!(
        srv.count() - before,
        3,
        "a re-run asks only for the missing labels"
    );
}

#[test]
fn progress_lines_while_waiting_and_a_run_deadline() {
    let mode = Arc::new(AtomicU8::new(0));
    let srv = server(mode, Duration::from_millis(300));
    let home = tempfile::tempdir().unwrap();
    let o = support::agentstat_salted(home.path(), "llm-exit-salt")
        .arg("extract")
        .args(["--progress-every", "1"])
        .arg(fixtures())
        .args([
            "--classifier",
            "openai",
            "--model",
            "test-model",
            "--base-url",
            &srv.base,
        ])
        .args(["--deadline", "2s", "--output"])
        .arg(home.path().join("facets.parquet"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(has_progress_line(&err), "{err}");
    // 3 sessions × 11 calls at 300 ms, 4 at a time (≈ 2.5 s), cannot finish in two seconds.
    assert!(matches!(o.status.code(), Some(3) | Some(4)), "{err}");
    assert!(
        err.contains("--deadline"),
        "the hint names the deadline: {err}"
    );
}

/// `report` waits on the same server: its progress lines come from the same place as
/// `extract`'s (they were silently dropped when a second printer lived in the extraction step).
#[test]
fn report_prints_progress_lines_while_an_llm_is_waited_on() {
    let mode = Arc::new(AtomicU8::new(0));
    let srv = server(mode, Duration::from_millis(300));
    let home = tempfile::tempdir().unwrap();
    let run = |every: &str| {
        support::agentstat_salted(home.path(), "llm-exit-salt")
            .arg(fixtures())
            .args([
                "--classifier",
                "openai",
                "--model",
                "test-model",
                "--base-url",
                &srv.base,
                "--no-cache",
                "--progress-every",
                every,
                "--deadline",
                "2s",
                "--out",
            ])
            .arg(home.path().join("report"))
            .output()
            .unwrap()
    };
    let o = run("1");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(has_progress_line(&err), "{err}");
    let o = run("0");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("in flight"), "0 = no progress lines: {err}");
}

#[test]
fn deadlines_are_for_llm_classifiers_only() {
    let home = tempfile::tempdir().unwrap();
    let o = support::agentstat(home.path())
        .arg("extract")
        .arg(fixtures())
        .args(["--deadline", "10m"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let o = support::agentstat(home.path())
        .args(["extract", "--classifier", "openai", "--deadline", "soon"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "bad duration is a usage error");
}
