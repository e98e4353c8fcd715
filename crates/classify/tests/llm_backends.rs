//! LLM backends against loopback servers speaking each wire format: happy path, cache hits on
//! re-run, rate limits with retry-after, server errors, timeouts, malformed replies, invalid
//! labels, and batch resumption after a simulated crash.

mod llm_support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agentstat_classify::llm::{anthropic_backend, batch_backend, openai_backend};
use agentstat_classify::{Backend, SessionInput};
use agentstat_facets::{Labels, Telemetry, ValueBand};
use llm_support::*;
use serde_json::{json, Value};

fn input<'a>(s: &'a agentstat_session::Session, t: &'a Telemetry) -> SessionInput<'a> {
    SessionInput {
        session: s,
        telemetry: t,
    }
}

fn all_ok(l: &Labels) {
    assert!(l.work_mode.value.is_some(), "{:?}", l.work_mode.error);
    assert!(l.codebase_relation.value.is_some());
    assert!(l.decisions.value.is_some());
    assert!(l.expertise.value.is_some());
    assert!(l.user_profile.value.is_some());
    assert!(l.work_performed.value.is_some());
    assert!(l.outcome.value.is_some());
    assert!(l.success_signal.value.is_some());
    assert!(l.failure_signal.value.is_some());
    assert!(l.task_value.value.is_some(), "{:?}", l.task_value.error);
}

/// A Messages API server answering every request well.
fn good_anthropic(req: &Recorded, _i: usize) -> Reply {
    let v = req.json();
    Reply::json(
        200,
        &anthropic_reply(good_answer(&v["tools"][0]["input_schema"])),
    )
}

#[test]
fn anthropic_wire_format_labels_and_cache_hit_on_rerun() {
    let server = Server::start(good_anthropic);
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path(), &server.base);
    let backend = anthropic_backend(&opts).unwrap();
    let (s, t) = (
        session("Please fix the failing parser test in src/parse.rs"),
        Telemetry::default(),
    );
    let labels = backend.classify(&input(&s, &t)).unwrap();
    all_ok(&labels);
    assert_eq!(
        server.count(),
        11,
        "ten transcript calls and one pricing call"
    );
    let d = labels.decisions.value.unwrap();
    assert_eq!((d.planning_user, d.execution_agent), (1, 2));
    let tv = labels.task_value.value.unwrap();
    assert_eq!((tv.usd, tv.band), (1500.0, ValueBand::B1kTo5k));
    assert_eq!(labels.work_mode.provenance.backend, "anthropic");
    assert!(labels
        .work_mode
        .provenance
        .prompt_version
        .starts_with("work_mode.v"));

    for r in server.all() {
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("POST", "/v1/messages")
        );
        assert_eq!(r.header("x-api-key"), Some("test-key-not-secret"));
        assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
        let v = r.json();
        assert_eq!(v["temperature"], json!(0.2));
        assert_eq!(
            v["tool_choice"],
            json!({"type": "tool", "name": "record_answer"})
        );
        assert_eq!(v["tools"][0]["name"], "record_answer");
    }
    // Label enums are exactly the rubric's labels.
    let wm = server
        .all()
        .into_iter()
        .find(|r| measure_of(&anthropic_text(&r.json())) == "work_mode")
        .unwrap();
    let labels_enum = wm.json()["tools"][0]["input_schema"]["properties"]["label"]["enum"].clone();
    assert_eq!(
        labels_enum,
        json!([
            "Plan",
            "Build",
            "Fix",
            "Understand",
            "Test",
            "Operate",
            "Analyze",
            "Orchestrate",
            "Communicate"
        ])
    );

    // Second run (new process, same cache): zero requests, same labels.
    let again = anthropic_backend(&opts).unwrap();
    let labels2 = again.classify(&input(&s, &t)).unwrap();
    assert_eq!(server.count(), 11, "a re-run must make zero calls");
    assert_eq!(labels, labels2);
    assert_eq!(again.requests_sent(), 0);
}

#[test]
fn rate_limits_and_server_errors_are_retried_honouring_retry_after() {
    let server = Server::start(|req, i| match i {
        0 => Reply::raw(
            429,
            r#"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#,
        )
        .with_header("retry-after", "1"),
        1 => Reply::raw(
            529,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"busy"}}"#,
        ),
        2 => Reply::raw(500, "oops"),
        _ => good_anthropic(req, i),
    });
    let dir = tempfile::tempdir().unwrap();
    let backend = anthropic_backend(&options(dir.path(), &server.base)).unwrap();
    let (s, t) = (
        session("Add a --json flag to the report command"),
        Telemetry::default(),
    );
    let start = Instant::now();
    let labels = backend.classify(&input(&s, &t)).unwrap();
    all_ok(&labels);
    assert!(
        start.elapsed() >= Duration::from_millis(950),
        "retry-after: 1 was not honoured"
    );
    assert_eq!(
        server.count(),
        14,
        "three failed attempts retried, then eleven calls"
    );
}

#[test]
fn persistent_errors_are_recorded_per_label_and_not_cached() {
    let bad = Arc::new(AtomicBool::new(true));
    let b2 = bad.clone();
    let server = Server::start(move |req, i| {
        let v = req.json();
        if b2.load(Ordering::SeqCst) && measure_of(&anthropic_text(&v)) == "outcome" {
            return Reply::raw(
                503,
                r#"{"type":"error","error":{"type":"api_error","message":"down"}}"#,
            );
        }
        if measure_of(&anthropic_text(&v)) == "expertise" {
            return Reply::raw(
                400,
                r#"{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}"#,
            );
        }
        good_anthropic(req, i)
    });
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path(), &server.base);
    opts.retry.max_attempts = 3;
    let backend = anthropic_backend(&opts).unwrap();
    let (s, t) = (
        session("Why does the build fail on CI?"),
        Telemetry::default(),
    );
    let labels = backend.classify(&input(&s, &t)).unwrap();
    assert_eq!(labels.outcome.value, None);
    // Our own words only: the provider's messages ("down", "bad") stay out of the label.
    assert_eq!(
        labels.outcome.error.as_deref(),
        Some("anthropic: HTTP 503 api_error after 3 attempt(s)")
    );
    assert_eq!(
        labels.expertise.error.as_deref(),
        Some("anthropic: HTTP 400 invalid_request_error after 1 attempt(s)")
    );
    assert!(labels.work_mode.value.is_some());
    let n = server.count();
    assert_eq!(n, 9 + 3 + 1);
    // Failures were not paid for, so they are not cached: a re-run retries only them.
    bad.store(false, Ordering::SeqCst);
    let labels = anthropic_backend(&opts)
        .unwrap()
        .classify(&input(&s, &t))
        .unwrap();
    assert!(labels.outcome.value.is_some());
    assert_eq!(
        server.count(),
        n + 2,
        "only outcome and expertise are asked again"
    );
}

#[test]
fn slow_replies_time_out_and_are_retried() {
    let server = Server::start(|req, i| {
        let r = good_anthropic(req, i);
        if i == 0 {
            r.delayed(Duration::from_millis(2500))
        } else {
            r
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path(), &server.base);
    opts.timeout = Duration::from_millis(400);
    let backend = anthropic_backend(&opts).unwrap();
    let (s, t) = (session("Explain the cache module"), Telemetry::default());
    let labels = backend.classify(&input(&s, &t)).unwrap();
    all_ok(&labels);
    assert_eq!(server.count(), 12, "the timed-out call was sent again");
}

#[test]
fn malformed_replies_and_invalid_labels_get_one_retry_then_a_recorded_error() {
    let seen: Arc<Mutex<HashMap<&'static str, usize>>> = Arc::default();
    let s2 = seen.clone();
    let server = Server::start(move |req, i| {
        let v = req.json();
        let m = measure_of(&anthropic_text(&v));
        let n = {
            let mut g = s2.lock().unwrap();
            let e = g.entry(m).or_insert(0);
            *e += 1;
            *e
        };
        match (m, n) {
            ("work_mode", 1) => Reply::raw(200, "{not json at all"),
            ("codebase_relation", 1) => Reply::json(
                200,
                &json!({"content": [{"type": "text", "text": "Modify"}]}),
            ),
            ("expertise", _) => Reply::json(
                200,
                &anthropic_reply(json!({"reasoning": "r", "label": "Genius"})),
            ),
            ("decisions", _) => Reply::json(
                200,
                &anthropic_reply(
                    json!({"decisions": [{"decision": "x", "kind": "strategy", "by": "user"}]}),
                ),
            ),
            _ => good_anthropic(req, i),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path(), &server.base);
    let (s, t) = (session("Refactor the ingest reader"), Telemetry::default());
    let labels = anthropic_backend(&opts)
        .unwrap()
        .classify(&input(&s, &t))
        .unwrap();
    assert!(
        labels.work_mode.value.is_some(),
        "malformed JSON, then a good answer"
    );
    assert!(
        labels.codebase_relation.value.is_some(),
        "no tool call, then a good answer"
    );
    assert_eq!(labels.expertise.value, None);
    assert_eq!(
        labels.expertise.error.as_deref(),
        Some("invalid answer twice: label is not one of the allowed options")
    );
    assert_eq!(labels.decisions.value, None);
    assert!(labels
        .decisions
        .error
        .as_deref()
        .unwrap()
        .starts_with("invalid answer twice"));
    let counts = seen.lock().unwrap().clone();
    assert_eq!(counts["work_mode"], 2);
    assert_eq!(counts["expertise"], 2, "exactly one retry");
    let retry = server
        .all()
        .into_iter()
        .filter(|r| measure_of(&anthropic_text(&r.json())) == "expertise")
        .nth(1)
        .unwrap();
    assert!(anthropic_text(&retry.json()).contains("Your previous answer was rejected"));
    // The recorded failure is cached: a re-run pays nothing.
    let n = server.count();
    let again = anthropic_backend(&opts)
        .unwrap()
        .classify(&input(&s, &t))
        .unwrap();
    assert_eq!(server.count(), n);
    assert_eq!(again, labels);
}

#[test]
fn openai_compatible_wire_format_with_and_without_key() {
    let server = Server::start(|req, i| {
        let v = req.json();
        if i == 0 {
            return Reply::raw(429, "{}").with_header("retry-after-ms", "30");
        }
        if i == 1 {
            // A local server that wraps JSON in a code fence.
            let a = good_answer(&v["response_format"]["json_schema"]["schema"]);
            return Reply::json(200, &openai_reply(&format!("```json\n{a}\n```")));
        }
        let a = good_answer(&v["response_format"]["json_schema"]["schema"]);
        Reply::json(200, &openai_reply(&a.to_string()))
    });
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path(), &format!("{}/v1", server.base));
    opts.model = Some("qwen-local".into());
    let backend = openai_backend(&opts).unwrap();
    let (s, t) = (
        session("Set up a GitHub Actions workflow"),
        Telemetry::default(),
    );
    let labels = backend.classify(&input(&s, &t)).unwrap();
    all_ok(&labels);
    assert_eq!(labels.outcome.provenance.backend, "openai");
    assert_eq!(labels.outcome.provenance.model, "qwen-local");
    assert_eq!(server.count(), 12);
    for r in server.all() {
        assert_eq!(r.path, "/v1/chat/completions");
        assert_eq!(
            r.header("authorization"),
            Some("Bearer test-key-not-secret")
        );
        let v = r.json();
        assert_eq!(v["model"], "qwen-local");
        assert_eq!(v["temperature"], json!(0.2));
        assert_eq!(v["response_format"]["type"], "json_schema");
        assert_eq!(v["response_format"]["json_schema"]["strict"], json!(true));
        assert_eq!(v["messages"][0]["role"], "system");
    }
    // A local server needs no key; a fresh cache makes it ask again, without authorization.
    let dir2 = tempfile::tempdir().unwrap();
    let mut opts2 = options(dir2.path(), &format!("{}/v1", server.base));
    opts2.api_key = None;
    std::env::remove_var("OPENAI_API_KEY");
    let labels = openai_backend(&opts2)
        .unwrap()
        .classify(&input(&s, &t))
        .unwrap();
    all_ok(&labels);
    let last = server.all().pop().unwrap();
    assert_eq!(last.header("authorization"), None);
    // OpenAI's own API without a key is a clear error.
    let mut opts3 = options(dir2.path(), "https://api.openai.com/v1");
    opts3.api_key = None;
    let err = openai_backend(&opts3).err().unwrap().0;
    assert!(err.contains("OPENAI_API_KEY"), "{err}");
}

#[test]
fn missing_anthropic_key_is_a_clear_error() {
    std::env::remove_var("ANTHROPIC_API_KEY");
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path(), "http://127.0.0.1:9");
    opts.api_key = None;
    let err = anthropic_backend(&opts).err().unwrap().0;
    assert!(
        err.contains("ANTHROPIC_API_KEY") && err.contains("heuristic"),
        "{err}"
    );
    assert!(batch_backend(&opts).is_err());
}

/// Batch id → (custom id, params) of each request.
type Batches = HashMap<String, Vec<(String, Value)>>;

/// A Message Batches server: batches stay `in_progress` until `release` is set.
struct BatchServer {
    server: Server,
    release: Arc<AtomicBool>,
    submitted: Arc<Mutex<Vec<Vec<String>>>>,
}

fn batch_server(invalid_first_expertise: bool) -> BatchServer {
    batch_server_with(invalid_first_expertise, false)
}

fn batch_server_with(invalid_first_expertise: bool, lose_first_batch: bool) -> BatchServer {
    let polls = Arc::new(AtomicUsize::new(0));
    let release = Arc::new(AtomicBool::new(false));
    let submitted: Arc<Mutex<Vec<Vec<String>>>> = Arc::default();
    let batches: Arc<Mutex<Batches>> = Arc::default();
    let expertise_seen = Arc::new(AtomicUsize::new(0));
    let (rel, sub) = (release.clone(), submitted.clone());
    let server = Server::start(move |req, _| {
        let path = req.path.clone();
        if req.method == "POST" && path == "/v1/messages/batches" {
            let v = req.json();
            let items = v["requests"].as_array().cloned().unwrap_or_default();
            let mut ids = Vec::new();
            let mut stored = Vec::new();
            for it in items {
                let cid = it["custom_id"].as_str().unwrap().to_string();
                ids.push(cid.clone());
                stored.push((cid, it["params"].clone()));
            }
            let mut b = batches.lock().unwrap();
            let id = format!("msgbatch_{:02}", b.len() + 1);
            b.insert(id.clone(), stored);
            sub.lock().unwrap().push(ids);
            return Reply::json(
                200,
                &json!({"id": id, "type": "message_batch", "processing_status": "in_progress"}),
            );
        }
        let Some(rest) = path.strip_prefix("/v1/messages/batches/") else {
            return Reply::raw(404, "{}");
        };
        if let Some(id) = rest.strip_suffix("/results") {
            let b = batches.lock().unwrap();
            let mut out = String::new();
            for (cid, params) in b.get(id).cloned().unwrap_or_default() {
                let text = anthropic_text(&params);
                let answer = if measure_of(&text) == "expertise"
                    && invalid_first_expertise
                    && expertise_seen.fetch_add(1, Ordering::SeqCst) == 0
                {
                    json!({"reasoning": "r", "label": "Guru"})
                } else {
                    good_answer(&params["tools"][0]["input_schema"])
                };
                let line = json!({"custom_id": cid, "result": {"type": "succeeded", "message": anthropic_reply(answer)}});
                out.push_str(&line.to_string());
                out.push('\n');
            }
            out.push_str("{garbage line\n");
            return Reply::raw(200, &out);
        }
        if lose_first_batch && polls.fetch_add(1, Ordering::SeqCst) == 0 {
            return Reply::raw(
                404,
                r#"{"type":"error","error":{"type":"not_found_error","message":"no such batch"}}"#,
            );
        }
        let ended = rel.load(Ordering::SeqCst);
        let base = req
            .header("host")
            .map(|h| format!("http://{h}"))
            .unwrap_or_default();
        let status = if ended { "ended" } else { "in_progress" };
        Reply::json(
            200,
            &json!({"id": rest, "processing_status": status,
                    "results_url": if ended { json!(format!("{base}/v1/messages/batches/{rest}/results")) } else { Value::Null }}),
        )
    });
    BatchServer {
        server,
        release,
        submitted,
    }
}

#[test]
fn batch_resumes_after_a_crash_without_resubmitting() {
    let bs = batch_server(false);
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path(), &bs.server.base);
    opts.give_up_after = Some(Duration::from_millis(150));
    let sessions = [
        session("Port the CLI to clap 4"),
        session("Write tests for the cache"),
    ];
    let t = Telemetry::default();
    let inputs: Vec<SessionInput> = sessions.iter().map(|s| input(s, &t)).collect();

    // First process: submits, polls, then "dies" (gives up) while the batch is in progress.
    let first = batch_backend(&opts).unwrap();
    let err = first.prepare(&inputs).unwrap_err().0;
    assert!(err.contains("run again to resume"), "{err}");
    drop(first);
    assert_eq!(bs.submitted.lock().unwrap().len(), 1);
    assert_eq!(
        bs.submitted.lock().unwrap()[0].len(),
        20,
        "ten transcript calls per session"
    );
    assert!(dir.path().join("cache/batch-state.json").exists());

    // Second process, same state dir: polls the existing batch, never resubmits round one.
    bs.release.store(true, Ordering::SeqCst);
    opts.give_up_after = None;
    let second = batch_backend(&opts).unwrap();
    second.prepare(&inputs).unwrap();
    let submitted = bs.submitted.lock().unwrap().clone();
    assert_eq!(submitted.len(), 2, "round one once, then the pricing round");
    // Both sessions got the same posting from the scripted model, so one pricing call serves both.
    assert_eq!(submitted[1].len(), 1, "identical postings are priced once");
    let mut all: Vec<&String> = submitted.iter().flatten().collect();
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n, "no call was submitted twice");
    for i in &inputs {
        let l = second.classify(i).unwrap();
        all_ok(&l);
        assert_eq!(l.outcome.provenance.backend, "anthropic-batch");
    }
    let state: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("cache/batch-state.json")).unwrap())
            .unwrap();
    assert_eq!(
        state["batches"],
        json!([]),
        "finished batches leave the state"
    );

    // Third process: everything cached, zero requests.
    let before = bs.server.count();
    let third = batch_backend(&opts).unwrap();
    third.prepare(&inputs).unwrap();
    for i in &inputs {
        all_ok(&third.classify(i).unwrap());
    }
    assert_eq!(bs.server.count(), before);
    // The sync backend shares the cache: also zero calls.
    let sync = anthropic_backend(&opts).unwrap();
    all_ok(&sync.classify(&inputs[0]).unwrap());
    assert_eq!(bs.server.count(), before);
}

#[test]
fn batch_retries_an_invalid_answer_once_in_a_new_batch() {
    let bs = batch_server(true);
    bs.release.store(true, Ordering::SeqCst);
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path(), &bs.server.base);
    let (s, t) = (session("Speed up the scanner"), Telemetry::default());
    let l = batch_backend(&opts)
        .unwrap()
        .classify(&input(&s, &t))
        .unwrap();
    all_ok(&l);
    let submitted = bs.submitted.lock().unwrap().clone();
    assert_eq!(
        submitted.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![10, 1, 1],
        "{submitted:?}"
    );
    let retry = bs
        .server
        .all()
        .into_iter()
        .filter(|r| r.method == "POST")
        .nth(1)
        .unwrap();
    assert!(retry.body.contains("Your previous answer was rejected"));
}

#[test]
fn concurrency_limit_bounds_requests_in_flight() {
    let now = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (n2, p2) = (now.clone(), peak.clone());
    let server = Server::start(move |req, i| {
        let cur = n2.fetch_add(1, Ordering::SeqCst) + 1;
        p2.fetch_max(cur, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(60));
        n2.fetch_sub(1, Ordering::SeqCst);
        good_anthropic(req, i)
    });
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path(), &server.base);
    opts.concurrency = 3;
    let backend = anthropic_backend(&opts).unwrap();
    let sessions = [
        session("one task"),
        session("another task"),
        session("a third task"),
    ];
    let t = Telemetry::default();
    std::thread::scope(|s| {
        for sess in &sessions {
            let b = &backend;
            let t = &t;
            s.spawn(move || all_ok(&b.classify(&input(sess, t)).unwrap()));
        }
    });
    // 3 sessions x 11 calls; the scripted job posting is the same for every session, so a
    // pricing call that starts after another session's identical one finished is a cache hit.
    let sent = server.count();
    assert!((31..=33).contains(&sent), "{sent} requests");
    let p = peak.load(Ordering::SeqCst);
    assert!(p <= 3, "{p} requests were in flight with a limit of 3");
    assert!(p >= 2, "requests were not sent concurrently (peak {p})");
}

#[test]
fn batch_that_vanished_is_forgotten_and_its_calls_resubmitted() {
    let bs = batch_server_with(false, true);
    bs.release.store(true, Ordering::SeqCst);
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path(), &bs.server.base);
    let (s, t) = (session("Tidy the README"), Telemetry::default());
    all_ok(
        &batch_backend(&opts)
            .unwrap()
            .classify(&input(&s, &t))
            .unwrap(),
    );
    let submitted = bs.submitted.lock().unwrap().clone();
    assert_eq!(
        submitted.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![10, 10, 1]
    );
    assert_eq!(
        submitted[0], submitted[1],
        "the same calls, under the same custom ids"
    );
}
