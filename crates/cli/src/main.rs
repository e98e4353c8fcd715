//! `agentstat`: measure how people work with coding agents, from their transcripts.
//!
//! A thin binary: each subcommand lives in `cmd/<name>.rs` and wires library crates together.

mod classifier_notes;
mod cmd;
mod estimate;
mod facet_cache;
mod pipeline;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Measure how people work with coding agents, from the transcripts they leave behind.
///
/// With no subcommand, runs `agentstat report` on ~/.claude/projects, plus ~/.codex/sessions and
/// ~/.gemini/tmp when they exist.
#[derive(Parser)]
#[command(name = "agentstat", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Read transcripts and summarise sessions and telemetry.
    Scan(cmd::scan::Args),
    /// Classify sessions and write the facets table (Parquet).
    Extract(cmd::extract::Args),
    /// Show each label of one session with the evidence behind it (local only).
    Explain(cmd::explain::Args),
    /// Privacy-thresholded statistics and the study's tables from a facets file.
    Stats(cmd::stats::Args),
    /// The main job: transcripts (or facets) to a self-contained HTML report.
    Report(cmd::report::Args),
    /// Pool several people's facets files (team mode; never transcripts).
    Merge(cmd::merge::Args),
    /// How far two facets files' labels agree (kappa, confusion matrices), thresholded.
    Agree(cmd::agree::Args),
    /// Measure throughput and peak memory over a directory of transcripts.
    Bench(cmd::bench::Args),
    /// Show, prune or clear the facet and LLM answer caches.
    Cache(cmd::cache::Args),
    /// Write each session's classifier rendering (redacted, truncated) to a folder, for hand
    /// labelling; transcript text stays on this machine.
    Render(cmd::render::Args),
    /// Learn the classifier from labelled sessions (reference labels, your own, or an LLM's
    /// facets for distillation) and write a model file.
    Train(cmd::train::Args),
    /// Person-grouped cross-validation of the learned classifier against labels.
    Validate(cmd::validate::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Scan(a)) => cmd::scan::run(a),
        Some(Command::Extract(a)) => cmd::extract::run(a),
        Some(Command::Explain(a)) => cmd::explain::run(a),
        Some(Command::Stats(a)) => cmd::stats::run(a),
        Some(Command::Report(a)) => cmd::report::run(a),
        Some(Command::Merge(a)) => cmd::merge::run(a),
        Some(Command::Agree(a)) => cmd::agree::run(a),
        Some(Command::Bench(a)) => cmd::bench::run(a),
        Some(Command::Cache(a)) => cmd::cache::run(a),
        Some(Command::Render(a)) => cmd::render::run(a),
        Some(Command::Train(a)) => cmd::train::run(a),
        Some(Command::Validate(a)) => cmd::validate::run(a),
        None => cmd::report::run_default(),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("agentstat: error: {e}");
            ExitCode::from(2)
        }
    }
}
