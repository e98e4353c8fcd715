//! `agentstat report`: transcripts (or facets files) → `agentstat-report/` with `index.html`,
//! `results.json`, `facets.parquet` and `tables/<id>.csv`.
//!
//! Personal mode (one person, thresholds off) is the default when the sessions belong to one
//! person; with several people, or with an explicit `--min-users`, every cell below the
//! distinct-user threshold is suppressed.

use super::extract::Classifier;
use super::CmdResult;
use crate::privacy_args::PrivacyArgs;
use agentstat_extract::{default_cache_dir, ExtractOptions};
use agentstat_facets::Facet;
use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Args)]
pub struct Args {
    /// Transcript files or directories [default: ~/.claude/projects, or
    /// $CLAUDE_CONFIG_DIR/projects; plus ~/.codex/sessions, or $CODEX_HOME/sessions, and
    /// ~/.gemini/tmp when they exist].
    pub paths: Vec<PathBuf>,
    /// Output directory.
    #[arg(long, short, default_value = "agentstat-report")]
    pub out: PathBuf,
    #[command(flatten)]
    pub privacy: PrivacyArgs,
    /// Add differential-privacy noise to the descriptive shares and means, with this total ε:
    /// the protection against differencing two reports over overlapping people
    /// (docs/STATISTICS.md). Builds with the cargo feature `dp` only.
    #[arg(long, value_name = "EPSILON")]
    pub dp_epsilon: Option<f64>,
    /// With --dp-epsilon: sessions per person kept in noisy releases.
    #[arg(long, value_name = "M", default_value_t = 20, requires = "dp_epsilon")]
    pub dp_max_sessions: u32,
    /// Report on facets files (e.g. a team file from `agentstat merge`), directories of them or
    /// quoted globs (the shards of a sharded run: one dataset), instead of reading transcripts.
    /// No transcript is read.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with = "paths")]
    pub facets: Vec<PathBuf>,
    /// Classifier backend for sessions not in the cache (an LLM backend sends redacted
    /// renderings to that API; see `agentstat extract --help`).
    #[arg(long, value_enum, default_value_t = Classifier::Learned)]
    pub classifier: Classifier,
    /// Model id for an LLM backend, or the model file for `--classifier learned`.
    #[arg(long)]
    pub model: Option<String>,
    /// Base URL of the LLM server (OpenAI-compatible servers, or an Anthropic proxy).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Use the Anthropic Message Batches API.
    #[arg(long)]
    pub batch: bool,
    /// LLM classifiers: stop calling the server after this long for the whole run (`90s`,
    /// `30m`, `2h`); missing labels make the exit status 3 (some) or 4 (none).
    #[arg(long, value_name = "DURATION", value_parser = super::extract::parse_duration)]
    pub deadline: Option<std::time::Duration>,
    /// LLM classifiers: the same, for each session.
    #[arg(long, value_name = "DURATION", value_parser = super::extract::parse_duration)]
    pub session_deadline: Option<std::time::Duration>,
    /// LLM requests in flight at once (default 4; see `agentstat extract --help`).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=4096))]
    pub concurrency: Option<u16>,
    /// LLM classifiers: seconds between progress lines on stderr (sessions, calls, tokens,
    /// requests in flight, retries, ETA); 0 = none. On a terminal they are the bar's message.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub progress_every: u64,
    /// Identity to use for your sessions instead of the home directory in their paths
    /// (only its salted hash is stored).
    #[arg(long, value_name = "LABEL")]
    pub user: Option<String>,
    /// Do not read or write the extraction cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Print a machine-readable summary (paths, counts, timings) as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> CmdResult {
    let t0 = Instant::now();
    // Checked before any work: a build without DP says so at once.
    let dp = super::stats::dp_options(args.dp_epsilon, args.dp_max_sessions)?;
    let from_facets = !args.facets.is_empty();
    let roots = if args.paths.is_empty() && !from_facets {
        agentstat_ingest::default_roots()
    } else {
        args.paths.clone()
    };
    let (facets, extracted) = if from_facets {
        (read_facet_files(&args.facets)?, None)
    } else {
        let (f, e) = extract(&roots, &args)?;
        (f, Some(e))
    };
    let t_extract = t0.elapsed();

    if facets.is_empty() {
        let where_ = if from_facets { &args.facets } else { &roots };
        let list = if where_.is_empty() {
            "(no home directory found)".to_string()
        } else {
            where_
                .iter()
                .map(|p| format!("  {}", p.display()))
                .collect::<Vec<_>>()
                .join("\n")
        };
        eprintln!(
            "agentstat: no sessions found. Looked in:\n{list}\nPoint it at transcripts with `agentstat report PATH…` (a directory such as ~/.claude/projects or ~/.codex/sessions, or single transcript files), set CLAUDE_CONFIG_DIR or CODEX_HOME, or report on facets with `agentstat report --facets FILE`."
        );
        return Ok(ExitCode::from(1));
    }

    let people: BTreeSet<&str> = facets.iter().map(|f| f.user_key.as_str()).collect();
    // Shared with `stats` and `agree`: never automatic for the unidentified fallback key;
    // warns when --personal is used on several user keys.
    let threshold = args.privacy.decide(&facets).threshold;
    let personal = threshold.personal;

    let t1 = Instant::now();
    let mut results = agentstat_stats::analyses::analyse_with_dp(&facets, &threshold, dp);
    results.generated_by = format!("agentstat {}", env!("CARGO_PKG_VERSION"));
    // What the numbers leave out (facets files do not record it: left as unknown).
    if let Some(e) = &extracted {
        results.sample.skipped_lines = Some(e.diagnostics.skipped_total());
        results.sample.skipped_by_reason = e.diagnostics.skipped.clone();
        results.sample.unreadable_sources = Some(e.unreadable);
    }
    if personal {
        results.tables.extend(agentstat_report::personal_habits(
            &facets,
            threshold.min_users,
            true,
        ));
    }
    // Per facet: the classifier behind the labels, its validated agreement, notes on the tables
    // that rest on labels below the trust threshold, low-confidence flags.
    let model = match (args.classifier, &args.model) {
        (super::extract::Classifier::Learned, Some(path)) => {
            agentstat_learn::Model::read(std::path::Path::new(path)).ok()
        }
        _ => None,
    };
    let summary = agentstat_learn::Summary::embedded()
        .map_err(|e| eprintln!("agentstat: warning: {e}: the report quotes no validated agreement"))
        .ok();
    crate::classifier_notes::add(
        &facets,
        model.as_ref(),
        summary.as_ref(),
        &threshold,
        &mut results,
    );
    // Last line of defence: every cell, the personal tables included, passes the rule once more.
    agentstat_stats::privacy::enforce(&mut results, &threshold);
    let t_analyse = t1.elapsed();

    let t2 = Instant::now();
    let written = agentstat_report::write_report(&args.out, &results)?;
    // The facets file is the input in team mode: copying a pooled, per-session table into a
    // folder meant for sharing would defeat the threshold, so only our own extraction is saved.
    let facets_path = if from_facets {
        None
    } else {
        let p = args.out.join("facets.parquet");
        agentstat_facets::parquet::write_facets(&p, &facets)?;
        Some(p)
    };
    let t_write = t2.elapsed();

    let interactive = facets.iter().filter(|f| f.interactive).count();
    if args.json {
        let v = serde_json::json!({
            "out_dir": written.dir,
            "index_html": written.index_html,
            "results_json": written.results_json,
            "facets_parquet": facets_path,
            "tables": written.tables,
            "html_bytes": written.html_bytes,
            "sessions": facets.len(),
            "interactive_sessions": interactive,
            "people": people.len(),
            "personal_mode": personal,
            "min_users": threshold.min_users,
            "suppressed_cells": results.privacy.suppressed_cells,
            "extract": extracted.as_ref().map(|e| serde_json::json!({
                "classified": e.classified,
                "cached": e.cached,
                "errors": e.errors,
                "unreadable": e.unreadable,
                "skipped_lines": e.diagnostics.skipped_total(),
                "skipped_by_reason": e.diagnostics.skipped,
                "warnings": e.diagnostics.warnings_total,
                "missing_paths": e.missing,
            })),
            "seconds": {
                "extract": t_extract.as_secs_f64(),
                "analyse": t_analyse.as_secs_f64(),
                "write": t_write.as_secs_f64(),
                "total": t0.elapsed().as_secs_f64(),
            },
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(label_exit(extracted.as_ref()));
    }
    if let Some(e) = &extracted {
        eprintln!("{}", e.note);
    }
    if !personal && (people.len() as u64) < u64::from(threshold.min_users) {
        eprintln!(
            "agentstat: {} people in the data, fewer than the threshold of {}: every cell is suppressed. Use --min-users K for a lower threshold (or --personal if all these sessions are yours).",
            people.len(),
            threshold.min_users
        );
    }
    let mode = if personal && people.len() > 1 {
        format!(
            "thresholds off at your request ({} user keys), no suppression",
            people.len()
        )
    } else if personal {
        "personal mode: one person's sessions, no suppression".to_string()
    } else {
        format!(
            "{} people, threshold {} people per cell, {} cells suppressed",
            people.len(),
            threshold.min_users,
            results.privacy.suppressed_cells
        )
    };
    println!(
        "{} sessions ({interactive} interactive); {mode}",
        facets.len()
    );
    if people.len() > 1 && !from_facets && !personal {
        let unknown = facets.iter().filter(|f| f.telemetry.user_unknown).count() as u64;
        println!(
            "{}",
            people_explanation(&results.sample, unknown, &args.paths)
        );
    }
    println!(
        "Report:  {}  ({} KB)",
        written.index_html.display(),
        written.html_bytes.div_ceil(1024)
    );
    println!("Data:    {}", written.results_json.display());
    if let Some(p) = facets_path {
        println!("Facets:  {}", p.display());
    }
    println!(
        "Tables:  {} ({} CSV files)",
        written.dir.join("tables").display(),
        written.tables.len()
    );
    Ok(label_exit(extracted.as_ref()))
}

/// Exit status 3 (some labels missing) or 4 (none produced) after saying how to resume; the
/// report is written either way.
fn label_exit(e: Option<&Extracted>) -> ExitCode {
    match e.and_then(|e| e.label_failure.as_ref()) {
        Some((code, hint)) => {
            eprintln!("{hint}");
            ExitCode::from(*code)
        }
        None => ExitCode::SUCCESS,
    }
}

/// Why a run on named paths sees several people, and the command that makes it one person's
/// report: `3 people: 2 by home directory + 4 sessions with no home directory in their working
/// folder (one more, unidentified key). If all these sessions are yours: agentstat --personal …`.
fn people_explanation(
    sample: &agentstat_stats::results::Sample,
    unknown: u64,
    paths: &[PathBuf],
) -> String {
    let named = sample.people_identified;
    let n = named + u64::from(sample.unidentified_key);
    let mut s = format!("{n} people: {named} by home directory (or --user)");
    if unknown > 0 {
        s.push_str(&format!(
            " + {unknown} session{} with no home directory in {} working folder (one more, unidentified key)",
            if unknown == 1 { "" } else { "s" },
            if unknown == 1 { "its" } else { "their" }
        ));
    }
    let quoted: Vec<String> = paths
        .iter()
        .map(|p| shell_quote(&p.display().to_string()))
        .collect();
    let paths = if quoted.is_empty() {
        String::new()
    } else {
        format!(" {}", quoted.join(" "))
    };
    s.push_str(&format!(
        ". If all these sessions are yours: `agentstat --personal{paths}` (or `agentstat --user NAME{paths}` to key them as one person)."
    ));
    s
}

/// A path as a POSIX shell word (quoted only when it needs to be).
fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-~+=:,@".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

fn read_facet_files(files: &[PathBuf]) -> Result<Vec<Facet>, Box<dyn std::error::Error>> {
    // The same session may be in two files (re-extracted, merged twice): counted once.
    super::stats::read_pooled(files)
}

/// What extraction did, for the summary.
#[derive(Default)]
struct Extracted {
    classified: u64,
    cached: u64,
    errors: u64,
    /// Exit status for missing labels, and what to say about resuming.
    label_failure: Option<(u8, String)>,
    /// Sources that yielded no session.
    unreadable: u64,
    /// Paths given on the command line that do not exist.
    missing: Vec<PathBuf>,
    /// What the reader skipped and why (already printed).
    diagnostics: agentstat_ingest::Diagnostics,
    note: String,
}

/// Warnings printed before the summary; the rest are counted.
const WARNINGS_SHOWN: usize = 20;

/// Scan and classify (cached), with a progress bar on a terminal.
fn extract(
    roots: &[PathBuf],
    args: &Args,
) -> Result<(Vec<Facet>, Extracted), Box<dyn std::error::Error>> {
    // The same backend (and cache identity) as `agentstat extract`, so the two share the cache.
    let (b, id, meter) = super::extract::make_backend(&super::extract::Args {
        paths: Vec::new(),
        output: PathBuf::new(),
        classifier: args.classifier,
        user: args.user.clone(),
        model: args.model.clone(),
        base_url: args.base_url.clone(),
        batch: args.batch,
        no_cache: args.no_cache,
        json: false,
        estimate: false,
        price_input: None,
        price_output: None,
        price_cache_write: None,
        price_cache_read: None,
        deadline: args.deadline,
        session_deadline: args.session_deadline,
        shard: Default::default(),
        concurrency: args.concurrency,
        progress_every: 0,
    })?;
    let options = ExtractOptions {
        backend: Some((b.as_ref(), id)),
        ingest: crate::pipeline::options(&args.paths, args.user.clone())?,
        cache_dir: if args.no_cache {
            None
        } else {
            default_cache_dir()
        },
        shard: agentstat_ingest::ShardSpec::WHOLE,
        sessions_in_flight: match args.classifier {
            Classifier::Heuristic => 0,
            _ => agentstat_extract::sessions_for_requests(args.concurrency.map_or(4, usize::from)),
        },
    };
    let (existing, missing): (Vec<PathBuf>, Vec<PathBuf>) =
        roots.iter().cloned().partition(|p| p.exists());
    // A mistyped path is worth a word; an absent default root is covered by "no sessions found".
    if !args.paths.is_empty() {
        for p in &missing {
            eprintln!(
                "agentstat: warning: {}: no such file or directory (skipped)",
                p.display()
            );
        }
    }
    if existing.is_empty() {
        return Ok((
            Vec::new(),
            Extracted {
                missing,
                ..Extracted::default()
            },
        ));
    }
    // Progress lines only while an LLM is waited on; the offline classifiers are quick.
    let every = match b.progress() {
        Some(_) => std::time::Duration::from_secs(args.progress_every),
        None => std::time::Duration::ZERO,
    };
    let (facets, report) = crate::progress::extract_with_progress(
        "reading and classifying",
        &existing,
        &options,
        meter,
        every,
    );
    // The same warnings and counts as `agentstat extract`: nothing is dropped silently.
    crate::pipeline::print_diagnostics(&report.diagnostics, WARNINGS_SHOWN);
    let skipped = report.diagnostics.skipped_total();
    let mut lost = Vec::new();
    if report.errors > 0 {
        lost.push(format!("{} classification errors", report.errors));
    }
    if report.unreadable > 0 {
        lost.push(format!("{} unreadable", report.unreadable));
    }
    if skipped > 0 {
        lost.push(format!(
            "{skipped} transcript lines or files skipped (see warnings)"
        ));
    }
    if !missing.is_empty() {
        lost.push(format!(
            "{} path{} not found",
            missing.len(),
            if missing.len() == 1 { "" } else { "s" }
        ));
    }
    let note = format!(
        "Read {} sessions: {} classified now, {} from the cache, {} not interactive{}.",
        report.sessions,
        report.classified,
        report.cached,
        report.not_interactive,
        lost.iter().map(|l| format!(", {l}")).collect::<String>()
    );
    let e = Extracted {
        classified: report.classified,
        cached: report.cached,
        errors: report.errors,
        label_failure: report.label_failure_code().zip(report.resume_hint()),
        unreadable: report.unreadable,
        missing,
        diagnostics: report.diagnostics,
        note,
    };
    Ok((facets, e))
}
