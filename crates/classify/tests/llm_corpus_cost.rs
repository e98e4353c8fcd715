//! On the real corpus (`../shared/corpus`): input size per LLM call (median, p95), calls per
//! session, rendering + redaction speed, that no home-directory user name survives rendering,
//! and that a second run over unchanged sessions makes zero calls. Prints numbers only, never
//! transcript text. The figures are recorded in docs/LLM.md.

mod llm_support;

use std::path::PathBuf;
use std::time::Instant;

use agentstat_classify::llm::anthropic_backend;
use agentstat_classify::llm::spec::{Classifier, Job};
use agentstat_classify::render::render;
use agentstat_classify::{Backend, SessionInput};
use agentstat_facets::Telemetry;
use llm_support::*;

fn corpus() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus"
    ));
    if p.is_dir() {
        return Some(p);
    }
    if std::env::var("AGENTSTAT_REQUIRE_CORPUS").as_deref() == Ok("1") {
        panic!(
            "corpus not found at {} and AGENTSTAT_REQUIRE_CORPUS=1",
            p.display()
        );
    }
    eprintln!("corpus not found at {}, skipped", p.display());
    None
}

fn pct(sorted: &[usize], q: f64) -> usize {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i]
}

#[test]
fn corpus_call_sizes_privacy_and_zero_calls_on_rerun() {
    let Some(root) = corpus() else { return };
    let mut diag = agentstat_ingest::Diagnostics::default();
    // Claude Code sessions, as measured for docs/LLM.md (the corpus now also holds other
    // agents' transcripts, which ingest reads too).
    let sources = agentstat_ingest::discover(&[root.join("claude-code")], &mut diag);
    let sessions: Vec<_> = sources
        .iter()
        .filter_map(|s| agentstat_ingest::read_session(s, &Default::default(), &mut diag))
        .filter(|s| s.is_interactive())
        .collect();
    assert!(
        sessions.len() >= 20,
        "only {} interactive sessions read",
        sessions.len()
    );

    // Rendering + redaction speed and privacy.
    let start = Instant::now();
    let renderings: Vec<_> = sessions.iter().map(render).collect();
    let secs = start.elapsed().as_secs_f64();
    let mut redactions = agentstat_redact::Counts::default();
    for (s, r) in sessions.iter().zip(&renderings) {
        redactions.add(&r.redactions);
        assert!(r.text.chars().count() <= agentstat_classify::render::TOTAL_LIMIT);
        for name in s
            .project
            .iter()
            .flat_map(|p| agentstat_redact::Redactor::home_names(p))
        {
            if name.len() >= 3 {
                assert!(
                    !r.text.contains(&format!("/{name}/"))
                        && !r.text.contains(&format!("\\{name}\\")),
                    "a home-directory user name survived rendering of session {}",
                    s.id
                );
            }
        }
    }

    // Input size per call: transcript calls carry the rendering; pricing carries the
    // calibration postings and a posting (estimated at 600 characters).
    let model = "m";
    let mut chars: Vec<usize> = Vec::new();
    for r in &renderings {
        for c in Classifier::TRANSCRIPT {
            chars.push(Job::transcript(c, &r.text, model).input_chars());
        }
        chars.push(Job::price(&"x".repeat(600), model).input_chars());
    }
    chars.sort_unstable();
    let tok: Vec<usize> = chars.iter().map(|c| c.div_ceil(4)).collect();
    let calls_per_session = Classifier::TRANSCRIPT.len() + 1;
    let rendered: Vec<usize> = {
        let mut v: Vec<usize> = renderings.iter().map(|r| r.text.chars().count()).collect();
        v.sort_unstable();
        v
    };
    let truncated = renderings
        .iter()
        .filter(|r| r.text.contains("TRANSCRIPT TRUNCATED"))
        .count();
    println!("interactive sessions: {}", sessions.len());
    println!(
        "rendering chars: median {} p95 {} max {}; whole-transcript truncation in {} sessions",
        pct(&rendered, 0.5),
        pct(&rendered, 0.95),
        rendered.last().unwrap(),
        truncated
    );
    println!(
        "render+redact: {:.1} ms total, {:.2} ms/session",
        secs * 1e3,
        secs * 1e3 / sessions.len() as f64
    );
    println!(
        "redactions by kind: {:?}",
        redactions
            .iter()
            .map(|(k, n)| (k.as_str(), n))
            .collect::<Vec<_>>()
    );
    println!("calls per session: {calls_per_session}");
    println!(
        "input tokens per call (chars/4): median {} p95 {} max {}; per session total median {}",
        pct(&tok, 0.5),
        pct(&tok, 0.95),
        tok.last().unwrap(),
        {
            let mut per: Vec<usize> = renderings
                .iter()
                .map(|r| {
                    Classifier::TRANSCRIPT
                        .iter()
                        .map(|c| {
                            Job::transcript(*c, &r.text, model)
                                .input_chars()
                                .div_ceil(4)
                        })
                        .sum::<usize>()
                        + Job::price(&"x".repeat(600), model)
                            .input_chars()
                            .div_ceil(4)
                })
                .collect();
            per.sort_unstable();
            pct(&per, 0.5)
        }
    );

    // Two runs of the Anthropic backend over the corpus against a loopback server: the second
    // makes zero calls.
    let server = Server::start(|req, _| {
        let v = req.json();
        Reply::json(
            200,
            &anthropic_reply(good_answer(&v["tools"][0]["input_schema"])),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let mut opts = options(dir.path(), &server.base);
    opts.concurrency = 8;
    let t = Telemetry::default();
    let backend = anthropic_backend(&opts).unwrap();
    for s in &sessions {
        let l = backend
            .classify(&SessionInput {
                session: s,
                telemetry: &t,
            })
            .unwrap();
        assert!(l.work_mode.value.is_some() && l.task_value.value.is_some());
    }
    let first = server.count();
    assert!(first >= sessions.len() * (calls_per_session - 1), "{first}");
    println!(
        "first run: {first} requests ({:.2} per session, identical pricing inputs shared)",
        first as f64 / sessions.len() as f64
    );
    let again = anthropic_backend(&opts).unwrap();
    for s in &sessions {
        again
            .classify(&SessionInput {
                session: s,
                telemetry: &t,
            })
            .unwrap();
    }
    assert_eq!(
        server.count(),
        first,
        "the second run over unchanged sessions made calls"
    );
    println!("second run: 0 requests");
}
