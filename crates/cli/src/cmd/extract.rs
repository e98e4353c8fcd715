//! `agentstat extract`: transcripts → facets Parquet (telemetry + classifier labels, no text).
//!
//! The work is in [`crate::facet_cache::extract_facets`] (shared with `report`); this file
//! parses options, builds the classifier backend, draws the progress bar and prints the summary.

use super::CmdResult;
use crate::facet_cache::{self, BackendId, ExtractOptions, ExtractReport};
use agentstat_classify::Backend;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

/// Which classifier labels the sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Classifier {
    /// Offline learned models (default): the heuristic's labels, replaced on the facets where
    /// the embedded model (or `--model FILE` from `agentstat train`) beat the heuristic in
    /// person-grouped validation; each learned label carries its probability.
    Learned,
    /// Offline deterministic rules (no network).
    Heuristic,
    /// Anthropic Messages API (ANTHROPIC_API_KEY); `--batch` uses the Message Batches API.
    Anthropic,
    /// Any OpenAI-compatible chat-completions server (OPENAI_API_KEY optional; `--base-url`).
    Openai,
}

#[derive(clap::Args)]
pub struct Args {
    /// Transcript files or directories (default: ~/.claude/projects, or
    /// $CLAUDE_CONFIG_DIR/projects; plus ~/.codex/sessions, or $CODEX_HOME/sessions, and
    /// ~/.gemini/tmp when they exist).
    pub paths: Vec<PathBuf>,
    /// Where to write the facets table.
    #[arg(short = 'o', long = "output", default_value = "facets.parquet")]
    pub output: PathBuf,
    /// Classifier backend.
    #[arg(long, value_enum, default_value_t = Classifier::Learned)]
    pub classifier: Classifier,
    /// Your own label for the person behind these sessions (only its salted hash is stored).
    #[arg(long)]
    pub user: Option<String>,
    /// Model id for an LLM backend, or the model file (from `agentstat train`) for
    /// `--classifier learned` (default: the embedded model).
    #[arg(long)]
    pub model: Option<String>,
    /// Base URL of the LLM server (OpenAI-compatible servers, or an Anthropic proxy).
    #[arg(long)]
    pub base_url: Option<String>,
    /// Use the Anthropic Message Batches API (cheaper, asynchronous; resumable).
    #[arg(long)]
    pub batch: bool,
    /// Do not read or write the facet cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Print the summary as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// With an LLM classifier: print the calls, input/output tokens and price of labelling
    /// these sessions, without calling anything (prompt caching and `--batch` accounted).
    #[arg(long)]
    pub estimate: bool,
    /// Price override for `--estimate`: dollars per million input tokens.
    #[arg(long, requires = "estimate")]
    pub price_input: Option<f64>,
    /// Price override for `--estimate`: dollars per million output tokens.
    #[arg(long, requires = "estimate")]
    pub price_output: Option<f64>,
    /// Price override for `--estimate`: dollars per million tokens written to the prompt cache.
    #[arg(long, requires = "estimate")]
    pub price_cache_write: Option<f64>,
    /// Price override for `--estimate`: dollars per million tokens read from the prompt cache.
    #[arg(long, requires = "estimate")]
    pub price_cache_read: Option<f64>,
}

pub fn run(args: Args) -> CmdResult {
    if args.estimate {
        return crate::estimate::run(&args);
    }
    let paths = if args.paths.is_empty() {
        agentstat_ingest::default_roots()
    } else {
        args.paths.clone()
    };
    let ingest = crate::pipeline::options(&args.paths, args.user.clone())?;
    let (backend, id) = make_backend(&args)?;
    let cache_dir = if args.no_cache {
        None
    } else {
        facet_cache::default_cache_dir()
    };
    let options = ExtractOptions {
        backend: Some((backend.as_ref(), id)),
        ingest,
        cache_dir: cache_dir.clone(),
    };

    let bar = progress_bar();
    let tick = |done: u64, total: u64| {
        if bar.length() != Some(total) {
            bar.set_length(total);
        }
        bar.set_position(done);
    };
    let (facets, report) = facet_cache::extract_facets(&paths, &options, Some(&tick));
    bar.finish_and_clear();

    const SHOWN: usize = 20;
    for w in report.diagnostics.warnings.iter().take(SHOWN) {
        eprintln!("agentstat: warning: {w}");
    }
    if report.diagnostics.warnings_total > SHOWN as u64 {
        eprintln!(
            "agentstat: … and {} more warnings",
            report.diagnostics.warnings_total - SHOWN as u64
        );
    }
    if facets.is_empty() {
        let looked: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "agentstat: no sessions found in {} (pass transcript files or directories as arguments)",
            looked.join(", ")
        );
        return Ok(ExitCode::from(1));
    }
    agentstat_facets::parquet::write_facets(&args.output, &facets)?;
    print_summary(&report, &args, cache_dir.as_deref());
    Ok(ExitCode::SUCCESS)
}

/// Build the chosen backend and the identity that keys its cache entries.
pub(crate) fn make_backend(
    args: &Args,
) -> Result<(Box<dyn Backend>, BackendId), Box<dyn std::error::Error>> {
    match args.classifier {
        Classifier::Heuristic => {
            if args.batch || args.model.is_some() || args.base_url.is_some() {
                return Err("--model, --base-url and --batch apply to LLM classifiers only (--classifier anthropic|openai)".into());
            }
            let id = BackendId {
                name: "heuristic".into(),
                model: "heuristic".into(),
                prompt_version: agentstat_classify::heuristic::RULES_VERSION.into(),
            };
            Ok((
                Box::new(agentstat_classify::heuristic::HeuristicBackend::new()),
                id,
            ))
        }
        Classifier::Learned => {
            if args.batch || args.base_url.is_some() {
                return Err("--base-url and --batch apply to LLM classifiers only (--classifier anthropic|openai)".into());
            }
            learned_backend(args.model.as_deref())
        }
        Classifier::Anthropic | Classifier::Openai => llm_backend(args),
    }
}

/// The learned backend: a model file, or the embedded model.
pub(crate) fn learned_backend(
    model: Option<&str>,
) -> Result<(Box<dyn Backend>, BackendId), Box<dyn std::error::Error>> {
    let b = match model {
        Some(path) => agentstat_learn::LearnedBackend::from_file(std::path::Path::new(path))?,
        None => agentstat_learn::LearnedBackend::embedded()?,
    };
    let id = BackendId {
        name: "learned".into(),
        model: b.id().to_string(),
        // The model id covers its weights; the features and the heuristic it falls back on
        // are code, versioned here.
        prompt_version: format!(
            "{},{}",
            agentstat_learn::features::FEATURES_VERSION,
            agentstat_classify::heuristic::RULES_VERSION
        ),
    };
    Ok((Box::new(b), id))
}

fn progress_bar() -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar =
        indicatif::ProgressBar::with_draw_target(Some(0), indicatif::ProgressDrawTarget::stderr());
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} extracting {pos}/{len} sessions [{bar:30}] {eta}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn print_summary(r: &ExtractReport, args: &Args, cache_dir: Option<&std::path::Path>) {
    let out = args.output.display();
    if args.json {
        let v = serde_json::json!({
            "sessions": r.sessions,
            "classified": r.classified,
            "cached": r.cached,
            "not_interactive": r.not_interactive,
            "errors": r.errors,
            "unreadable": r.unreadable,
            "skipped_lines": r.diagnostics.skipped_total(),
            "output": out.to_string(),
        });
        println!("{v}");
    }
    eprintln!(
        "agentstat: {} sessions ({} not interactive): {} classified, {} from cache, {} errors{}",
        r.sessions,
        r.not_interactive,
        r.classified,
        r.cached,
        r.errors,
        if r.unreadable > 0 {
            format!(", {} unreadable", r.unreadable)
        } else {
            String::new()
        }
    );
    if r.diagnostics.skipped_total() > 0 {
        eprintln!(
            "agentstat: {} transcript lines skipped (see warnings)",
            r.diagnostics.skipped_total()
        );
    }
    match cache_dir {
        Some(d) => eprintln!(
            "agentstat: facets written to {out} (cache: {})",
            d.display()
        ),
        None => eprintln!("agentstat: facets written to {out} (cache off)"),
    }
}

/// LLM backends from `agentstat_classify::llm`; their answers are also cached per call there.
fn llm_backend(args: &Args) -> Result<(Box<dyn Backend>, BackendId), Box<dyn std::error::Error>> {
    use agentstat_classify::llm;
    let mut opts = llm::LlmOptions::new(llm::default_cache_dir());
    opts.model = args.model.clone();
    opts.base_url = args.base_url.clone();
    let (backend, name, model): (Box<dyn Backend>, String, String) = match (args.classifier, args.batch) {
        (Classifier::Anthropic, true) => {
            let b = llm::batch_backend(&opts)?;
            let m = b.model().to_string();
            (Box::new(b), "anthropic-batch".into(), m)
        }
        (Classifier::Anthropic, false) => {
            let b = llm::anthropic_backend(&opts)?;
            let m = b.model().to_string();
            (Box::new(b), "anthropic".into(), m)
        }
        (Classifier::Openai, false) => {
            let b = llm::openai_backend(&opts)?;
            let m = b.model().to_string();
            (Box::new(b), "openai".into(), m)
        }
        (Classifier::Openai, true) => {
            return Err("--batch uses the Anthropic Message Batches API: combine it with --classifier anthropic".into())
        }
        (Classifier::Heuristic | Classifier::Learned, _) => unreachable!("handled by make_backend"),
    };
    // Any prompt change must miss the facet cache: key on every classifier's prompt version.
    let versions: Vec<String> = llm::spec::Classifier::TRANSCRIPT
        .iter()
        .chain([llm::spec::Classifier::Price].iter())
        .map(|c| c.version())
        .collect();
    Ok((
        backend,
        BackendId {
            name,
            model,
            prompt_version: versions.join(","),
        },
    ))
}
