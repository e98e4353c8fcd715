//! `agentstat validate LABELS… --corpus DIR`: nested person-grouped cross-validation of the
//! learned classifier against the labels, the heuristic, the constant classifier and the
//! raters themselves (the tables of docs/VALIDATION.md).

use super::CmdResult;
use agentstat_learn::TrainOptions;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Label files (as for `agentstat train`).
    #[arg(required = true)]
    pub labels: Vec<PathBuf>,
    /// Where the labelled sessions' transcripts are (as for `agentstat train`).
    #[arg(long, required = true)]
    pub corpus: Vec<PathBuf>,
    /// Outer folds (grouped by person).
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Seed of the folds.
    #[arg(long, default_value_t = 13)]
    pub seed: u64,
    /// Print JSON instead of Markdown tables.
    #[arg(long)]
    pub json: bool,
    /// As for `agentstat train`: facets whose shipped default is the heuristic's label (the
    /// "default" column then shows what the shipped model does; "learned" is unaffected).
    #[arg(long, value_delimiter = ',', value_name = "FACET,…")]
    pub keep_heuristic: Vec<String>,
    /// As for `agentstat train`: facets whose shipped default is the learned label.
    #[arg(long, value_delimiter = ',', value_name = "FACET,…")]
    pub use_learned: Vec<String>,
}

pub fn run(args: Args) -> CmdResult {
    let t0 = std::time::Instant::now();
    super::train::check_pins(&args.keep_heuristic, &args.use_learned)?;
    let examples = super::train::load_examples(&args.labels, &args.corpus)?;
    let v = agentstat_learn::validate(
        &examples,
        &TrainOptions {
            seed: args.seed,
            keep_heuristic: args.keep_heuristic.clone(),
            use_learned: args.use_learned.clone(),
            ..Default::default()
        },
        args.folds,
    )?;
    let text = if args.json {
        serde_json::to_string_pretty(&v)? + "\n"
    } else {
        v.to_markdown()
    };
    super::write_stdout(&text)?;
    eprintln!(
        "agentstat: validated in {:.1} s",
        t0.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}
