//! `agentstat`: measure how people work with coding agents, from their transcripts.
//!
//! A thin binary: each subcommand lives in `cmd/<name>.rs` and wires library crates together.

mod classifier_notes;
mod cmd;
mod estimate;
mod pipeline;
mod privacy_args;
mod progress;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Measure how people work with coding agents, from the transcripts they leave behind.
///
/// With no subcommand, runs `agentstat report` (every `report` flag works here too:
/// `agentstat --personal`, `agentstat --min-users 3`, `agentstat PATH… --out DIR`). With no
/// paths it reads your agents' usual folders (~/.claude/projects, ~/.codex/sessions,
/// ~/.gemini/tmp, …) and every session there is yours: one person, personal mode.
#[derive(Parser)]
#[command(
    name = "agentstat",
    version,
    about,
    long_about = None,
    args_conflicts_with_subcommands = true,
    subcommand_precedence_over_arg = true,
    override_usage = "agentstat [PATH…] [REPORT FLAGS]\n       agentstat <COMMAND> [ARGS]"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// `agentstat [PATH…] [flags]` is `agentstat report [PATH…] [flags]`.
    #[command(flatten)]
    report: cmd::report::Args,
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
    quiet_on_closed_pipes();
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
        None => cmd::report::run(cli.report),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("agentstat: error: {e}");
            ExitCode::from(2)
        }
    }
}

/// A closed stdout or stderr (`agentstat report | head -1`, a terminal gone away) ends the run
/// quietly with status 0, as other Unix tools do, wherever the write happens (`println!` in any
/// crate, a rayon worker): the standard library reports it as a panic whose message names the
/// failed print, and that one panic is turned into a quiet exit. Every other panic is reported
/// as usual.
fn quiet_on_closed_pipes() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if is_closed_pipe_panic(msg) {
            std::process::exit(0);
        }
        default(info);
    }));
}

/// `failed printing to stdout: Broken pipe (os error 32)` and its stderr twin.
fn is_closed_pipe_panic(msg: &str) -> bool {
    (msg.starts_with("failed printing to stdout") || msg.starts_with("failed printing to stderr"))
        && (msg.contains("Broken pipe")
            || msg.contains("os error 32")
            || msg.contains("os error 232"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn report_flags_work_without_the_subcommand() {
        for args in [
            vec!["agentstat", "--personal"],
            vec!["agentstat", "--min-users", "3"],
            vec!["agentstat", "some/path", "--out", "x"],
            vec!["agentstat"],
        ] {
            let cli = Cli::try_parse_from(&args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
            assert!(cli.command.is_none(), "{args:?}");
        }
        let cli = Cli::try_parse_from(["agentstat", "--personal"]).unwrap();
        assert!(cli.report.privacy.personal);
        let cli = Cli::try_parse_from(["agentstat", "--min-users", "3"]).unwrap();
        assert_eq!(cli.report.privacy.min_users, Some(3));
        let cli = Cli::try_parse_from(["agentstat", "a", "b"]).unwrap();
        assert_eq!(cli.report.paths.len(), 2);
        // Subcommands still win, and their own flags are theirs.
        let cli = Cli::try_parse_from(["agentstat", "report", "--personal"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Report(ref a)) if a.privacy.personal));
        let cli = Cli::try_parse_from(["agentstat", "scan", "--json"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Scan(_))));
        // After a report flag, a subcommand's name is a path like any other (never dropped).
        let cli = Cli::try_parse_from(["agentstat", "--personal", "scan"]).unwrap();
        assert!(cli.command.is_none() && cli.report.paths == [std::path::PathBuf::from("scan")]);
    }

    #[test]
    fn only_closed_pipe_panics_are_quiet() {
        assert!(is_closed_pipe_panic(
            "failed printing to stdout: Broken pipe (os error 32)"
        ));
        assert!(is_closed_pipe_panic(
            "failed printing to stderr: Broken pipe (os error 32)"
        ));
        assert!(!is_closed_pipe_panic(
            "failed printing to stdout: No space left on device (os error 28)"
        ));
        assert!(!is_closed_pipe_panic("index out of bounds"));
    }
}
