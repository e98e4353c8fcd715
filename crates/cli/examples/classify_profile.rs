//! Where the classification step's time goes: reads the interactive sessions under the given
//! paths once (all formats, or `--format F`), then times each part of classifying them, one
//! thread, `N` rounds (median). For profiling (`perf record`), not a test:
//!
//! ```text
//! cargo build --release --example classify_profile
//! AGENTSTAT_SALT=x target/release/examples/classify_profile ../shared/corpus [rounds] [format] [step]
//! ```

use agentstat_classify::heuristic::{features as hf, HeuristicBackend};
use agentstat_classify::{Backend, SessionInput};
use agentstat_ingest::{Diagnostics, IngestOptions};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = std::path::PathBuf::from(args.first().map_or("../shared/corpus", String::as_str));
    let rounds: usize = args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5);
    let format = args.get(2).cloned();
    let opts = IngestOptions {
        user_label: None,
        salt: b"profile".to_vec(),
    };
    let mut diag = Diagnostics::default();
    let mut sources = agentstat_ingest::discover(&[root], &mut diag);
    if let Some(f) = &format {
        sources.retain(|s| s.format.as_str() == f);
    }
    let sessions: Vec<_> = sources
        .iter()
        .filter_map(|s| agentstat_ingest::read_session(s, &opts, &mut diag))
        .filter(|s| s.is_interactive())
        .map(|s| {
            let t = agentstat_telemetry::measure(&s);
            (s, t)
        })
        .collect();
    eprintln!("{} interactive sessions", sessions.len());
    let learned = agentstat_learn::LearnedBackend::embedded().expect("embedded model");
    let table = agentstat_learn::embed::Table::embedded();
    type Step<'a> = (&'a str, Box<dyn Fn() + 'a>);
    let s = &sessions;
    let steps: Vec<Step> = vec![
        (
            "heuristic features (hf::extract)",
            Box::new(|| {
                for (x, _) in s {
                    std::hint::black_box(hf::extract(x));
                }
            }),
        ),
        (
            "heuristic classify",
            Box::new(|| {
                for (x, t) in s {
                    std::hint::black_box(
                        HeuristicBackend::new()
                            .classify(&SessionInput {
                                session: x,
                                telemetry: t,
                            })
                            .ok(),
                    );
                }
            }),
        ),
        (
            "habits",
            Box::new(|| {
                for (x, t) in s {
                    std::hint::black_box(hf::habits(x, t));
                }
            }),
        ),
        (
            "learned features (features::extract)",
            Box::new(|| {
                for (x, t) in s {
                    std::hint::black_box(agentstat_learn::features::extract(x, t));
                }
            }),
        ),
        (
            "learned classify",
            Box::new(|| {
                for (x, t) in s {
                    std::hint::black_box(
                        learned
                            .classify(&SessionInput {
                                session: x,
                                telemetry: t,
                            })
                            .ok(),
                    );
                }
            }),
        ),
        (
            "extract's learned step (features once: classify + habits)",
            Box::new(|| {
                for (x, t) in s {
                    let f = hf::extract(x);
                    std::hint::black_box(
                        learned
                            .classify_extracted(
                                &SessionInput {
                                    session: x,
                                    telemetry: t,
                                },
                                &f,
                            )
                            .ok(),
                    );
                    std::hint::black_box(hf::habits_of(&f, t));
                }
            }),
        ),
        (
            "extract's heuristic step (features once: classify + habits)",
            Box::new(|| {
                for (x, t) in s {
                    let f = hf::extract(x);
                    std::hint::black_box(
                        HeuristicBackend::new()
                            .classify_extracted(
                                &SessionInput {
                                    session: x,
                                    telemetry: t,
                                },
                                &f,
                            )
                            .ok(),
                    );
                    std::hint::black_box(hf::habits_of(&f, t));
                }
            }),
        ),
        (
            "embedding of all prompts",
            Box::new(|| {
                for (x, _) in s {
                    let f = hf::extract(x);
                    let texts: Vec<&str> = f
                        .substantive_prompts()
                        .map(|p| p.norm.padded.as_str())
                        .collect();
                    std::hint::black_box(table.embed(texts));
                }
            }),
        ),
    ];
    // A fourth argument runs that step only (for `perf stat -e instructions`).
    let only: Option<usize> = args.get(3).and_then(|i| i.parse().ok());
    let mut times = vec![Vec::new(); steps.len()];
    for _ in 0..rounds {
        for (i, (_, f)) in steps.iter().enumerate() {
            if only.is_some_and(|o| o != i) {
                continue;
            }
            let t = Instant::now();
            f();
            times[i].push(t.elapsed().as_secs_f64());
        }
    }
    for (i, (name, _)) in steps.iter().enumerate() {
        let mut v = times[i].clone();
        if v.is_empty() {
            continue;
        }
        v.sort_by(f64::total_cmp);
        println!("{:>9.1} ms  {name}", v[v.len() / 2] * 1e3);
    }
}
