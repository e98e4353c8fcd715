//! Print a one-line summary per session (counts only, no transcript text): a debugging aid.
//! `cargo run -p agentstat-ingest --example ingest_dump -- PATH…`

use agentstat_ingest::{discover, read_session, Diagnostics, IngestOptions};
use agentstat_session::{Event, ResultStatus};

fn main() {
    let paths: Vec<std::path::PathBuf> = std::env::args_os().skip(1).map(Into::into).collect();
    let mut diag = Diagnostics::default();
    let opts = IngestOptions {
        user_label: None,
        salt: b"dump".to_vec(),
    };
    for src in discover(&paths, &mut diag) {
        let Some(s) = read_session(&src, &opts, &mut diag) else {
            continue;
        };
        let acts: Vec<_> = s.actions().collect();
        let st = |x: ResultStatus| acts.iter().filter(|a| a.result.status == x).count();
        let (add, rem) = acts
            .iter()
            .filter_map(|a| a.result.lines)
            .fold((0, 0), |(a, r), d| (a + d.added, r + d.removed));
        let ints = s
            .events
            .iter()
            .filter(|e| matches!(e, Event::Interrupt { .. }))
            .count();
        let q = s.human_turns().filter(|h| h.queued).count();
        println!(
            "{:<40} files={} human={} (q{}) actions={} ok={} err={} rej={} int_status={} missing={} interrupts={} calls={} out_tok={} +{} -{} subs={} compact={} prs={} ver={:?} ep={:?}",
            src.main_path().file_name().unwrap().to_string_lossy(),
            s.source_files.len(),
            s.human_turns().count(),
            q,
            acts.len(),
            st(ResultStatus::Ok),
            st(ResultStatus::Error),
            st(ResultStatus::Rejected),
            st(ResultStatus::Interrupted),
            st(ResultStatus::Missing),
            ints,
            s.model_calls.len(),
            s.model_calls.iter().map(|c| c.output_tokens).sum::<u64>(),
            add,
            rem,
            s.subagents.len(),
            s.compactions,
            s.pr_links.len(),
            s.agent.version,
            s.entrypoint,
        );
    }
    eprintln!(
        "files={} lines={} records={} sessions={} skipped={:?} recovered={:?}",
        diag.files, diag.lines, diag.records, diag.sessions, diag.skipped, diag.recovered
    );
    eprintln!("ignored={:?}", diag.ignored);
    for w in diag.warnings.iter().take(20) {
        eprintln!("warning: {w}");
    }
}
