//! LLM client faults against hostile or broken loopback servers: transport and protocol
//! failures are never cached, an oversized reply is cut off as it streams and not retried, the
//! run and session deadlines bound the time spent, and the backend reports progress while
//! waiting.

mod llm_support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agentstat_classify::llm::{anthropic_backend, openai_backend};
use agentstat_classify::{Backend, SessionInput};
use agentstat_facets::{Labels, Telemetry};
use llm_support::*;

fn input<'a>(s: &'a agentstat_session::Session, t: &'a Telemetry) -> SessionInput<'a> {
    SessionInput {
        session: s,
        telemetry: t,
    }
}

fn good_anthropic(req: &Recorded) -> Reply {
    let v = req.json();
    Reply::json(
        200,
        &anthropic_reply(good_answer(&v["tools"][0]["input_schema"])),
    )
}

fn errors(l: &Labels) -> Vec<Option<String>> {
    vec![
        l.work_mode.error.clone(),
        l.codebase_relation.error.clone(),
        l.decisions.error.clone(),
        l.expertise.error.clone(),
        l.user_profile.error.clone(),
        l.work_performed.error.clone(),
        l.outcome.error.clone(),
        l.success_signal.error.clone(),
        l.failure_signal.error.clone(),
        l.task_value.error.clone(),
    ]
}

/// A 200 reply whose body is HTML, empty, cut-off JSON or JSON without the API's envelope is a
/// transport fault: asked twice, recorded on the label in our words, and never cached — a later
/// run against a healthy server asks exactly those calls again and gets every label.
#[test]
fn protocol_failures_are_never_cached() {
    let broken = Arc::new(AtomicBool::new(true));
    let b2 = broken.clone();
    let seen: Arc<Mutex<HashMap<&'static str, usize>>> = Arc::default();
    let s2 = seen.clone();
    let server = Server::start(move |req, _| {
        let m = measure_of(&anthropic_text(&req.json()));
        *s2.lock().unwrap().entry(m).or_insert(0) += 1;
        if b2.load(Ordering::SeqCst) {
            match m {
                "work_mode" => return Reply::raw(200, "<html><body>502 Bad Gateway</body></html>"),
                "codebase_relation" => return Reply::raw(200, ""),
                "outcome" => return Reply::raw(200, r#"{"id":"msg_1","content":[{"type":"tool_"#),
                "expertise" => return Reply::raw(200, r#"{"status":"ok"}"#),
                _ => {}
            }
        }
        good_anthropic(req)
    });
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path(), &server.base);
    let (s, t) = (session("Fix the flaky retry test"), Telemetry::default());
    let labels = anthropic_backend(&opts)
        .unwrap()
        .classify(&input(&s, &t))
        .unwrap();
    assert_eq!(labels.work_mode.value, None);
    assert_eq!(
        labels.work_mode.error.as_deref(),
        Some("anthropic: reply is not valid JSON")
    );
    assert_eq!(
        labels.codebase_relation.error.as_deref(),
        Some("anthropic: empty reply")
    );
    assert_eq!(
        labels.outcome.error.as_deref(),
        Some("anthropic: reply cut off")
    );
    assert_eq!(
        labels.expertise.error.as_deref(),
        Some("anthropic: reply is not a Messages API reply")
    );
    assert!(labels.user_profile.value.is_some());
    let counts = seen.lock().unwrap().clone();
    for m in ["work_mode", "codebase_relation", "outcome", "expertise"] {
        assert_eq!(counts[m], 2, "{m}: asked twice");
    }

    // The server recovers: exactly the four failed calls are sent again.
    broken.store(false, Ordering::SeqCst);
    let n = server.count();
    let labels = anthropic_backend(&opts)
        .unwrap()
        .classify(&input(&s, &t))
        .unwrap();
    assert!(
        errors(&labels).iter().all(Option::is_none),
        "{:?}",
        errors(&labels)
    );
    assert_eq!(
        server.count(),
        n + 4,
        "only the failed calls are asked again"
    );
}

/// The same for an OpenAI-compatible server answering with an HTML error page.
#[test]
fn openai_protocol_failures_are_never_cached() {
    let broken = Arc::new(AtomicBool::new(true));
    let b2 = broken.clone();
    let server = Server::start(move |req, _| {
        if b2.load(Ordering::SeqCst) {
            return Reply::raw(200, "<!doctype html><title>captive portal</title>");
        }
        let v = req.json();
        let answer = good_answer(&v["response_format"]["json_schema"]["schema"]);
        Reply::json(200, &openai_reply(&answer.to_string()))
    });
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path(), &server.base);
    let (s, t) = (session("Add a CSV export"), Telemetry::default());
    let labels = openai_backend(&opts)
        .unwrap()
        .classify(&input(&s, &t))
        .unwrap();
    assert_eq!(
        labels.work_mode.error.as_deref(),
        Some("openai: reply is not valid JSON")
    );
    broken.store(false, Ordering::SeqCst);
    let labels = openai_backend(&opts)
        .unwrap()
        .classify(&input(&s, &t))
        .unwrap();
    assert!(
        errors(&labels).iter().all(Option::is_none),
        "{:?}",
        errors(&labels)
    );
}

/// A reply over the cap fails as it streams ("reply too large"), once: no retry downloads it
/// again. The other calls are unaffected.
#[test]
fn oversized_replies_are_cut_off_and_not_retried() {
    let seen: Arc<Mutex<HashMap<&'static str, usize>>> = Arc::default();
    let s2 = seen.clone();
    let huge = Arc::new(format!(
        r#"{{"content":[{{"type":"text","text":"{}"}}]}}"#,
        "x".repeat(3 << 20)
    ));
    let server = Server::start(move |req, _| {
        let m = measure_of(&anthropic_text(&req.json()));
        *s2.lock().unwrap().entry(m).or_insert(0) += 1;
        if m == "work_mode" {
            return Reply::raw(200, &huge);
        }
        good_anthropic(req)
    });
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path(), &server.base);
    opts.max_reply_bytes = 1 << 20;
    let (s, t) = (session("Why is the build slow?"), Telemetry::default());
    let labels = anthropic_backend(&opts)
        .unwrap()
        .classify(&input(&s, &t))
        .unwrap();
    assert_eq!(
        labels.work_mode.error.as_deref(),
        Some("anthropic: reply too large after 1 attempt(s)")
    );
    assert_eq!(seen.lock().unwrap()["work_mode"], 1, "never retried");
    assert!(labels.outcome.value.is_some());
}

/// A server that answers slower than the deadlines: the session deadline and the run
/// deadline end the waiting (each request's timeout is cut to the time left), and the
/// labels not produced are recorded as failed.
#[test]
fn deadlines_bound_a_session_and_a_run() {
    let server = Server::start(|req, _| good_anthropic(req).delayed(Duration::from_millis(700)));
    let dir = tempfile::tempdir().unwrap();
    let (s, t) = (session("Document the API"), Telemetry::default());

    let mut opts = options(dir.path(), &server.base);
    opts.timeout = Duration::from_secs(30);
    opts.session_deadline = Some(Duration::from_millis(300));
    let t0 = Instant::now();
    let labels = anthropic_backend(&opts)
        .unwrap()
        .classify(&input(&s, &t))
        .unwrap();
    let took = t0.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "session deadline ignored: {took:?}"
    );
    let errs = errors(&labels);
    assert!(errs.iter().all(Option::is_some), "{errs:?}");
    assert!(
        errs.iter()
            .flatten()
            .all(|e| e.contains("deadline reached") || e.contains("timeout")),
        "{errs:?}"
    );

    let mut opts = options(dir.path(), &server.base);
    opts.timeout = Duration::from_secs(30);
    opts.deadline = Some(Duration::from_millis(300));
    let backend = anthropic_backend(&opts).unwrap();
    std::thread::sleep(Duration::from_millis(350));
    let t0 = Instant::now();
    let before = server.count();
    let labels = backend.classify(&input(&s, &t)).unwrap();
    assert!(
        t0.elapsed() < Duration::from_millis(500),
        "run deadline passed: nothing is sent"
    );
    assert_eq!(
        server.count(),
        before,
        "no request after the run's deadline"
    );
    assert_eq!(
        labels.work_mode.error.as_deref(),
        Some("anthropic: deadline reached after 0 attempt(s)")
    );
}

/// While calls are waited on, the backend's progress line says how many are in flight.
#[test]
fn progress_reports_calls_in_flight() {
    let server = Server::start(|req, _| good_anthropic(req).delayed(Duration::from_millis(600)));
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path(), &server.base);
    let backend = anthropic_backend(&opts).unwrap();
    let (s, t) = (session("Port the script to Rust"), Telemetry::default());
    std::thread::scope(|scope| {
        let h = scope.spawn(|| backend.classify(&input(&s, &t)).unwrap());
        std::thread::sleep(Duration::from_millis(300));
        let line = backend.progress().expect("LLM backends report progress");
        assert!(line.contains("1 in flight"), "{line}");
        std::thread::sleep(Duration::from_millis(600));
        let line = backend.progress().unwrap();
        assert!(
            line.contains("4 in flight"),
            "the other calls go out four at a time: {line}"
        );
        h.join().unwrap();
    });
    let line = backend.progress().unwrap();
    assert!(
        line.starts_with("11 requests, 0 in flight, 0 retries"),
        "{line}"
    );
}
