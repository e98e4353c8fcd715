//! `agentstat bench`: throughput and peak memory of reading transcripts.
//!
//! Phases, each with its own peak RSS (VmHWM, reset through /proc/self/clear_refs):
//! 1. floor: memchr line split + `serde_json` parse of every line into `IgnoredAny` — the
//!    least any JSONL reader must do;
//! 2. scan + telemetry: discovery, the format's adapter and `agentstat_telemetry::measure`
//!    for every session (what `agentstat scan` does, minus printing);
//! 3. scan only (no telemetry), to see telemetry's share;
//! 4. scan + telemetry + heuristic classification and habit flags: what `extract` does per
//!    session before the cache and Parquet (issue 3: it must keep ≥ half of scan's throughput);
//! 5. scan + telemetry + learned classification (the embedded model; features, the heuristic
//!    it falls back on, and the per-facet predictions) and habit flags: `extract`'s default
//!    (issue 13: it must keep ≥ half of scan + telemetry's throughput);
//! 6. with `--copies N`: phase 2 with every session processed N times as distinct sessions,
//!    to show that memory is bounded by the largest session, not by the corpus.
//!
//! `--format` picks the transcript format (Claude Code by default; a JSON document format's
//! floor is one parse of each document).

use super::CmdResult;
use crate::pipeline;
use agentstat_ingest::reader::{Line, LineReader};
use agentstat_ingest::{Diagnostics, SessionSource};
use rayon::prelude::*;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// Directories or files of transcripts (default: ~/.claude/projects).
    pub paths: Vec<PathBuf>,
    /// Also process every session N times (as distinct sessions) to show bounded memory.
    #[arg(long, default_value_t = 1)]
    pub copies: u32,
    /// Timed rounds (phases run round-robin; the median is reported).
    #[arg(long, default_value_t = 15)]
    pub repeat: u32,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
    /// Which transcript format to measure (`claude-code`, `codex-cli`, `pi`, `copilot-cli`,
    /// `opencode`, …: `Format::as_str`); only sources in that format are read. `all`: every
    /// format (the phases compare as usual; the floor, a JSON parse, means little for files
    /// that are not JSON).
    #[arg(long, default_value = "claude-code")]
    pub format: String,
}

#[derive(Serialize, Debug, Clone)]
pub struct Phase {
    pub name: String,
    pub bytes: u64,
    pub lines: u64,
    pub sessions: u64,
    pub seconds: f64,
    pub mb_per_s: f64,
    pub sessions_per_s: f64,
    /// Peak resident memory during the phase (VmHWM after a reset), MB; `None` if unknown.
    pub peak_rss_mb: Option<f64>,
}

#[derive(Serialize)]
struct RoundRatios {
    median: f64,
    p10: f64,
    p90: f64,
    rounds: usize,
}

#[derive(Serialize)]
struct Report {
    threads: usize,
    files: usize,
    sessions: usize,
    corpus_mb: f64,
    largest_session_mb: f64,
    baseline_rss_mb: Option<f64>,
    hwm_reset: bool,
    phases: Vec<Phase>,
    /// scan+telemetry speed as a share of the floor's (MB/s ratio).
    scan_vs_floor: f64,
    /// The same ratio computed within each round (floor time / scan time), summarised.
    scan_vs_floor_rounds: RoundRatios,
    /// Speed of scan + telemetry + heuristic classification relative to scan + telemetry.
    classify_vs_scan: f64,
    /// Speed of scan + telemetry + learned classification relative to scan + telemetry.
    learned_vs_scan: f64,
}

fn status_kb(key: &str) -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with(key))?;
    line[key.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

/// Reset the peak-RSS counter; false when the kernel does not allow it.
fn reset_hwm() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn floor(files: &[PathBuf]) -> (u64, u64) {
    let bytes = AtomicU64::new(0);
    let lines = AtomicU64::new(0);
    files.par_iter().for_each(|p| {
        let Ok(f) = std::fs::File::open(p) else {
            return;
        };
        if p.extension().is_none_or(|e| e != "jsonl") {
            // A whole-document format (an OpenCode export): one parse of the document.
            let Ok(buf) = std::fs::read(p) else {
                return;
            };
            let _ = std::hint::black_box(serde_json::from_slice::<serde::de::IgnoredAny>(&buf));
            bytes.fetch_add(buf.len() as u64, Ordering::Relaxed);
            lines.fetch_add(
                buf.iter().filter(|&&c| c == b'\n').count() as u64,
                Ordering::Relaxed,
            );
            return;
        }
        let mut r = LineReader::new(f);
        let mut n = 0;
        while let Ok(Some((_, l))) = r.next_line() {
            if let Line::Data(d) = l {
                let _ = std::hint::black_box(serde_json::from_slice::<serde::de::IgnoredAny>(d));
            }
            n += 1;
        }
        bytes.fetch_add(r.bytes_read(), Ordering::Relaxed);
        lines.fetch_add(n, Ordering::Relaxed);
    });
    (bytes.into_inner(), lines.into_inner())
}

/// Scan + telemetry over `copies` passes of every source; nothing is kept but counters.
/// How much of the per-session pipeline a scan phase runs.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Depth {
    Read,
    Telemetry,
    Classify,
    Learned,
}

fn scan(
    sources: &[SessionSource],
    opts: &agentstat_ingest::IngestOptions,
    copies: u32,
    depth: Depth,
    learned: Option<&agentstat_learn::LearnedBackend>,
) -> (u64, u64, u64) {
    let total = sources.len() * copies as usize;
    let (bytes, lines, sessions) = (0..total)
        .into_par_iter()
        .fold(
            || (0u64, 0u64, 0u64),
            |(b, l, s), i| {
                let src = &sources[i % sources.len()];
                let mut d = Diagnostics::default();
                let got = agentstat_ingest::read_session(src, opts, &mut d).map(|sess| {
                    if depth >= Depth::Telemetry {
                        let telemetry = agentstat_telemetry::measure(&sess);
                        if depth >= Depth::Classify {
                            use agentstat_classify::heuristic::{features as hf, HeuristicBackend};
                            use agentstat_classify::Backend;
                            let input = agentstat_classify::SessionInput {
                                session: &sess,
                                telemetry: &telemetry,
                            };
                            if sess.is_interactive() {
                                // As `extract` does: the heuristic's pass once, for the
                                // classifier and the habits.
                                let f = hf::extract(&sess);
                                match (depth, learned) {
                                    (Depth::Learned, Some(b)) => {
                                        std::hint::black_box(b.classify_extracted(&input, &f).ok());
                                    }
                                    _ => {
                                        std::hint::black_box(
                                            HeuristicBackend::new()
                                                .classify_extracted(&input, &f)
                                                .ok(),
                                        );
                                    }
                                }
                                std::hint::black_box(hf::habits_of(&f, &telemetry));
                            }
                        }
                        std::hint::black_box(telemetry);
                    }
                    std::hint::black_box(sess);
                });
                (b + d.bytes, l + d.lines, s + got.is_some() as u64)
            },
        )
        .reduce(|| (0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
    (bytes, lines, sessions)
}

type Work<'a> = Box<dyn Fn() -> (u64, u64, u64) + Sync + 'a>;

/// Run the phases round-robin `repeat` times (so background load hits them alike) and report
/// each phase's median time; peak RSS comes from one separate pass per phase with the
/// high-water mark reset before it.
fn measure(phases: &[(String, Work<'_>)], repeat: u32, hwm: bool) -> (Vec<Phase>, Vec<Vec<f64>>) {
    let mut peaks = Vec::new();
    let mut counts = Vec::new();
    for (_, f) in phases {
        if hwm {
            reset_hwm();
        }
        counts.push(f());
        peaks.push(if hwm {
            status_kb("VmHWM:").map(|k| k / 1024.0)
        } else {
            None
        });
    }
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); phases.len()];
    for _ in 0..repeat.max(1) {
        for (i, (_, f)) in phases.iter().enumerate() {
            let t = Instant::now();
            std::hint::black_box(f());
            times[i].push(t.elapsed().as_secs_f64());
        }
    }
    let out = phases
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            let mut ts = times[i].clone();
            ts.sort_by(|a, b| a.total_cmp(b));
            let secs = ts[ts.len() / 2].max(1e-9);
            let (bytes, lines, sessions) = counts[i];
            Phase {
                name: name.clone(),
                bytes,
                lines,
                sessions,
                seconds: secs,
                mb_per_s: bytes as f64 / 1e6 / secs,
                sessions_per_s: sessions as f64 / secs,
                peak_rss_mb: peaks[i],
            }
        })
        .collect();
    (out, times)
}

pub fn run(args: Args) -> CmdResult {
    let opts = pipeline::options(&args.paths, None)?;
    let paths = pipeline::resolve_paths(&args.paths);
    let mut diag = Diagnostics::default();
    let mut sources = agentstat_ingest::discover(&paths, &mut diag);
    // The floor is a JSON parse of the same files: one format at a time (or all of them).
    if args.format != "all" {
        let Some(format) = agentstat_ingest::Format::ALL
            .into_iter()
            .find(|f| f.as_str() == args.format)
        else {
            return Err(format!(
                "unknown format {:?}; one of: {}, all",
                args.format,
                agentstat_ingest::Format::ALL.map(|f| f.as_str()).join(", ")
            )
            .into());
        };
        sources.retain(|s| s.format == format);
    }
    // Files read whole by their adapter are measured the same way; a database is not a file
    // the floor can parse.
    sources.retain(|s| s.main_path().extension().is_none_or(|e| e != "db"));
    if sources.is_empty() {
        return Err(format!(
            "no transcripts found under {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
        .into());
    }
    // Each file once: an Aider history holds several sessions (byte spans of one file).
    let mut files: Vec<PathBuf> = sources
        .iter()
        .flat_map(|s| s.files.iter().map(|f| f.path.clone()))
        .collect();
    files.sort();
    files.dedup();
    let corpus: u64 = sources.iter().map(|s| s.bytes()).sum();
    let largest = sources.iter().map(|s| s.bytes()).max().unwrap_or(0);
    let hwm = reset_hwm();
    let baseline = status_kb("VmRSS:").map(|k| k / 1024.0);

    let learned = agentstat_learn::LearnedBackend::embedded()?;
    let work: Vec<(String, Work<'_>)> = vec![
        (
            "floor: memchr + serde_json IgnoredAny".into(),
            Box::new(|| {
                let (b, l) = floor(&files);
                (b, l, sources.len() as u64)
            }),
        ),
        (
            "scan + telemetry".into(),
            Box::new(|| scan(&sources, &opts, 1, Depth::Telemetry, None)),
        ),
        (
            "scan only (no telemetry)".into(),
            Box::new(|| scan(&sources, &opts, 1, Depth::Read, None)),
        ),
        (
            "scan + telemetry + heuristic classify".into(),
            Box::new(|| scan(&sources, &opts, 1, Depth::Classify, None)),
        ),
        (
            "scan + telemetry + learned classify".into(),
            Box::new(|| scan(&sources, &opts, 1, Depth::Learned, Some(&learned))),
        ),
    ];
    let (mut phases, rounds) = measure(&work, args.repeat, hwm);
    // The same ratio round by round: a floor and a scan timed back to back share the machine's
    // load, so the spread of these ratios shows how far noise moves the headline figure.
    let mut per_round: Vec<f64> = rounds[0]
        .iter()
        .zip(&rounds[1])
        .map(|(floor, scan)| floor / scan.max(1e-12))
        .collect();
    per_round.sort_by(|a, b| a.total_cmp(b));
    let pick = |q: f64| per_round[((per_round.len() - 1) as f64 * q).round() as usize];
    let scan_vs_floor_rounds = RoundRatios {
        median: pick(0.5),
        p10: pick(0.1),
        p90: pick(0.9),
        rounds: per_round.len(),
    };
    if args.copies > 1 {
        let copies = args.copies;
        let (src, o) = (&sources, &opts);
        let many: Vec<(String, Work<'_>)> = vec![(
            format!("scan + telemetry, corpus x{copies}"),
            Box::new(move || scan(src, o, copies, Depth::Telemetry, None)),
        )];
        phases.extend(measure(&many, 1, hwm).0);
    }
    let report = Report {
        threads: rayon::current_num_threads(),
        files: files.len(),
        sessions: sources.len(),
        corpus_mb: corpus as f64 / 1e6,
        largest_session_mb: largest as f64 / 1e6,
        baseline_rss_mb: baseline,
        hwm_reset: hwm,
        scan_vs_floor: phases[1].mb_per_s / phases[0].mb_per_s.max(1e-9),
        scan_vs_floor_rounds,
        classify_vs_scan: phases[3].mb_per_s / phases[1].mb_per_s.max(1e-9),
        learned_vs_scan: phases[4].mb_per_s / phases[1].mb_per_s.max(1e-9),
        phases,
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        println!(
            "corpus: {} files, {} sessions, {:.1} MB (largest session {:.1} MB); {} threads",
            report.files,
            report.sessions,
            report.corpus_mb,
            report.largest_session_mb,
            report.threads
        );
        if let Some(b) = report.baseline_rss_mb {
            println!(
                "baseline RSS: {b:.1} MB{}",
                if hwm {
                    ""
                } else {
                    " (peak RSS could not be reset between phases)"
                }
            );
        }
        println!(
            "{:<40} {:>9} {:>10} {:>12} {:>13}",
            "phase", "seconds", "MB/s", "sessions/s", "peak RSS MB"
        );
        for p in &report.phases {
            println!(
                "{:<40} {:>9.3} {:>10.1} {:>12.1} {:>13}",
                p.name,
                p.seconds,
                p.mb_per_s,
                p.sessions_per_s,
                p.peak_rss_mb
                    .map(|m| format!("{m:.1}"))
                    .unwrap_or_else(|| "–".into())
            );
        }
        println!(
            "scan + telemetry runs at {:.0}% of the floor's speed (round by round: median {:.0}%, p10–p90 {:.0}–{:.0}% over {} rounds)",
            report.scan_vs_floor * 100.0,
            report.scan_vs_floor_rounds.median * 100.0,
            report.scan_vs_floor_rounds.p10 * 100.0,
            report.scan_vs_floor_rounds.p90 * 100.0,
            report.scan_vs_floor_rounds.rounds
        );
        println!(
            "with heuristic classification it keeps {:.0}% of scan + telemetry's speed; with learned classification {:.0}%",
            report.classify_vs_scan * 100.0,
            report.learned_vs_scan * 100.0
        );
    }
    Ok(ExitCode::SUCCESS)
}
