//! Precision on the real corpus (`../shared/corpus`): how much ordinary transcript text the
//! redaction rules replace. Every text a rendering is made of (prompts, assistant text, tool
//! commands and outputs) of every agent's sessions is redacted with the session's own
//! redactor; the test prints replacements per kind and the share of bytes replaced (numbers
//! only, never transcript text) and fails if more than 0.5% of the bytes are replaced. The
//! figures are recorded in docs/LLM.md.

use std::path::PathBuf;

use agentstat_classify::render::session_redactor;
use agentstat_redact::{Counts, Kind};
use agentstat_session::Event;

fn corpus() -> Option<PathBuf> {
    let p = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus"
    ));
    if p.is_dir() {
        return Some(p);
    }
    if std::env::var("AGENTSTAT_REQUIRE_CORPUS").as_deref() == Ok("1") {
        panic!("corpus not found at {}", p.display());
    }
    eprintln!("corpus not found at {}, skipped", p.display());
    None
}

#[test]
fn share_of_corpus_text_replaced() {
    let Some(root) = corpus() else { return };
    let mut diag = agentstat_ingest::Diagnostics::default();
    let dirs: Vec<PathBuf> = [
        "claude-code",
        "gemini-cli",
        "cursor-specstory",
        "aider",
        "openhands",
        "swe-agent",
    ]
    .iter()
    .map(|d| root.join(d))
    .filter(|d| d.exists())
    .collect();
    let sources = agentstat_ingest::discover(&dirs, &mut diag);
    let mut counts = Counts::default();
    let (mut bytes_in, mut bytes_replaced, mut sessions) = (0u64, 0u64, 0u64);
    let t0 = std::time::Instant::now();
    for src in &sources {
        let Some(s) = agentstat_ingest::read_session(src, &Default::default(), &mut diag) else {
            continue;
        };
        sessions += 1;
        let redactor = session_redactor(&s);
        let mut texts: Vec<String> = Vec::new();
        for e in &s.events {
            match e {
                Event::Human(h) => texts.push(h.text.clone()),
                Event::AssistantText(a) => texts.push(a.text.clone()),
                Event::Action(a) => {
                    if let Some(c) = a.command() {
                        texts.push(c.into_owned());
                    }
                    texts.push(a.result.output.clone());
                }
                _ => {}
            }
        }
        for t in texts {
            let r = redactor.redact(&t);
            let markers: u64 = r
                .counts
                .iter()
                .map(|(k, n)| k.marker().len() as u64 * u64::from(n))
                .sum();
            bytes_in += t.len() as u64;
            bytes_replaced += (t.len() as u64 + markers).saturating_sub(r.text.len() as u64);
            counts.add(&r.counts);
        }
    }
    let share = bytes_replaced as f64 / bytes_in.max(1) as f64;
    eprintln!(
        "corpus: {sessions} sessions, {:.1} MB of text, {} replacements, {:.3}% of bytes replaced ({:.1} s, debug build)",
        bytes_in as f64 / 1e6,
        counts.total(),
        100.0 * share,
        t0.elapsed().as_secs_f64()
    );
    for k in Kind::ALL {
        let n = counts.get(k);
        if n > 0 {
            eprintln!("  {:<18} {n}", k.as_str());
        }
    }
    assert!(sessions >= 30, "only {sessions} sessions read");
    assert!(
        share < 0.005,
        "{:.3}% of the corpus text replaced",
        100.0 * share
    );
}
