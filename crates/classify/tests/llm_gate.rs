//! The shared back-off gate (`llm/gate.rs`) through a real backend: one 429 with a
//! `retry-after` pauses every request of the backend, not only the one that met it.

mod llm_support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use agentstat_classify::llm::anthropic_backend;
use agentstat_classify::{Backend, SessionInput};
use agentstat_facets::Telemetry;
use llm_support::*;

#[test]
fn one_rate_limit_pauses_all_requests_in_flight() {
    let t0 = Instant::now();
    let arrivals: Arc<Mutex<Vec<(usize, Duration)>>> = Arc::default();
    let limited_at: Arc<Mutex<Option<Duration>>> = Arc::default();
    let (a2, l2) = (arrivals.clone(), limited_at.clone());
    let server = Server::start(move |req, i| {
        let now = t0.elapsed();
        a2.lock().unwrap().push((i, now));
        if i == 5 {
            *l2.lock().unwrap() = Some(now);
            return Reply::json(
                429,
                &serde_json::json!({"error": {"type": "rate_limit_error"}}),
            )
            .with_header("retry-after", "0.4");
        }
        let v = req.json();
        Reply::json(
            200,
            &anthropic_reply(good_answer(&v["tools"][0]["input_schema"])),
        )
        .delayed(Duration::from_millis(30))
    });
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path(), &server.base);
    opts.concurrency = 8;
    let backend = anthropic_backend(&opts).unwrap();
    let sessions: Vec<_> = (0..4).map(|i| session(&format!("task {i}"))).collect();
    let t = Telemetry::default();
    std::thread::scope(|s| {
        for sess in &sessions {
            let (b, t) = (&backend, &t);
            s.spawn(move || {
                let l = b
                    .classify(&SessionInput {
                        session: sess,
                        telemetry: t,
                    })
                    .unwrap();
                assert!(l.work_mode.value.is_some());
            });
        }
    });
    let at = limited_at.lock().unwrap().expect("the 429 was sent");
    let arrivals = arrivals.lock().unwrap().clone();
    // Requests sent before the 429 reached the client may still arrive a moment later; none
    // may arrive in the rest of the pause.
    let during: Vec<_> = arrivals
        .iter()
        .filter(|(_, t)| {
            *t > at + Duration::from_millis(60) && *t < at + Duration::from_millis(380)
        })
        .collect();
    assert!(
        during.is_empty(),
        "requests sent during the shared pause: {during:?}"
    );
    assert!(
        arrivals
            .iter()
            .any(|(_, t)| *t >= at + Duration::from_millis(380)),
        "work resumed"
    );
    assert_eq!(backend.gate().rate_limited(), 1);
    assert_eq!(
        backend.gate().limit(),
        8,
        "the limit climbs back as calls succeed"
    );
}
