//! `agentstat extract`: transcripts → facets Parquet (telemetry + classifier labels, no text).
//!
//! The work is in [`agentstat_extract::extract_facets`] (shared with `report`); this file
//! parses options, builds the classifier backend, draws the progress bar and prints the summary.

use super::CmdResult;
use agentstat_classify::Backend;
use agentstat_extract::{BackendId, ExtractOptions, ExtractReport};
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
    /// LLM classifiers: stop calling the server after this long for the whole run (`90s`,
    /// `30m`, `2h`; plain numbers are seconds). Labels not produced by then are recorded as
    /// failed and not cached; the exit status is then 3 (some labels) or 4 (none).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub deadline: Option<std::time::Duration>,
    /// LLM classifiers: the same, for each session (from its first call).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub session_deadline: Option<std::time::Duration>,
    /// LLM requests in flight at once (default 4). A vLLM or SGLang server wants tens to
    /// hundreds; a provider's rate limit may want fewer. Rate limits (429) pause every request
    /// and lower the number in flight, which climbs back as calls succeed (docs/LLM.md).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=4096))]
    pub concurrency: Option<u16>,
    /// Seconds between progress lines on stderr (sessions, calls, cached, tokens, errors,
    /// elapsed, ETA); 0 = none. On a terminal they are the progress bar's message.
    #[arg(long, value_name = "SECS", default_value_t = 5)]
    pub progress_every: u64,
    #[command(flatten)]
    pub shard: crate::pipeline::ShardArgs,
}

/// `90`, `90s`, `30m`, `2h`, `1.5h` → a duration.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, 's')) => (&t[..i], 1.0),
        Some((i, 'm')) => (&t[..i], 60.0),
        Some((i, 'h')) => (&t[..i], 3600.0),
        _ => (t, 1.0),
    };
    match num.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 && x * mult < 1e9 => {
            Ok(std::time::Duration::from_secs_f64(x * mult))
        }
        _ => Err(format!(
            "{s:?} is not a duration (a positive number of seconds, or with s, m or h)"
        )),
    }
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
    let shard = args.shard.spec()?;
    let ingest = crate::pipeline::options(&args.paths, args.user.clone())?;
    let (backend, id, meter) = make_backend(&args)?;
    let mut meta = agentstat_facets::parquet::FileMeta::for_salt(&ingest.salt);
    let cache_dir = if args.no_cache {
        None
    } else {
        agentstat_extract::default_cache_dir()
    };
    let options = ExtractOptions {
        backend: Some((backend.as_ref(), id)),
        ingest,
        cache_dir: cache_dir.clone(),
        shard,
        sessions_in_flight: match args.classifier {
            Classifier::Heuristic => 0,
            _ => agentstat_extract::sessions_for_requests(args.concurrency.map_or(4, usize::from)),
        },
    };

    let (facets, report) = crate::progress::extract_with_progress(
        "extracting",
        &paths,
        &options,
        meter,
        std::time::Duration::from_secs(args.progress_every),
    );

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
    // A shard may be empty when the corpus is not: it still writes its (empty) file, so that a
    // merge sees every shard.
    let discovered: u64 = report.shard_sizes.iter().sum();
    if facets.is_empty() && (shard.is_whole() || discovered == 0) {
        let looked: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "agentstat: no sessions found in {} (pass transcript files or directories as arguments)",
            looked.join(", ")
        );
        return Ok(ExitCode::from(1));
    }
    if !shard.is_whole() {
        meta.shard = Some((shard.index, shard.count));
        meta.shard_sizes = Some(report.shard_sizes.clone());
    }
    agentstat_facets::parquet::write_facets_with(&args.output, &facets, &meta)?;
    print_summary(&report, &args, cache_dir.as_deref());
    if let Some(hint) = report.resume_hint() {
        eprintln!("{hint}");
    }
    Ok(report
        .label_failure_code()
        .map_or(ExitCode::SUCCESS, ExitCode::from))
}

/// Build the chosen backend and the identity that keys its cache entries.
/// The chosen backend, the identity that keys its cache entries, and (LLM backends) its meter.
pub(crate) type MadeBackend = (
    Box<dyn Backend>,
    BackendId,
    Option<std::sync::Arc<agentstat_classify::llm::meter::Meter>>,
);

pub(crate) fn make_backend(args: &Args) -> Result<MadeBackend, Box<dyn std::error::Error>> {
    match args.classifier {
        Classifier::Heuristic => {
            if args.batch
                || args.model.is_some()
                || args.base_url.is_some()
                || args.deadline.is_some()
                || args.session_deadline.is_some()
                || args.concurrency.is_some()
            {
                return Err("--model, --base-url, --batch, --concurrency, --deadline and --session-deadline apply to LLM classifiers only (--classifier anthropic|openai)".into());
            }
            let id = BackendId {
                name: "heuristic".into(),
                model: "heuristic".into(),
                prompt_version: agentstat_classify::heuristic::RULES_VERSION.into(),
            };
            Ok((
                Box::new(agentstat_classify::heuristic::HeuristicBackend::new()),
                id,
                None,
            ))
        }
        Classifier::Learned => {
            if args.batch
                || args.base_url.is_some()
                || args.deadline.is_some()
                || args.session_deadline.is_some()
                || args.concurrency.is_some()
            {
                return Err("--base-url, --batch, --concurrency, --deadline and --session-deadline apply to LLM classifiers only (--classifier anthropic|openai)".into());
            }
            let (b, id) = learned_backend(args.model.as_deref())?;
            Ok((b, id, None))
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

fn print_summary(r: &ExtractReport, args: &Args, cache_dir: Option<&std::path::Path>) {
    let out = args.output.display();
    if args.json {
        let v = serde_json::json!({
            "sessions": r.sessions,
            "classified": r.classified,
            "cached": r.cached,
            "not_interactive": r.not_interactive,
            "errors": r.errors,
            "failed_entirely": r.failed_entirely,
            "unreadable": r.unreadable,
            "skipped_lines": r.diagnostics.skipped_total(),
            "shard": args.shard.spec().ok().filter(|s| !s.is_whole()).map(|s| s.to_string()),
            "shard_sessions": r.shard_sizes,
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
    if let Ok(s) = args.shard.spec() {
        if !s.is_whole() {
            eprintln!(
                "agentstat: shard {s}: {} of the {} sessions found",
                r.shard_sizes.get(s.index as usize).copied().unwrap_or(0),
                r.shard_sizes.iter().sum::<u64>()
            );
        }
    }
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
fn llm_backend(args: &Args) -> Result<MadeBackend, Box<dyn std::error::Error>> {
    use agentstat_classify::llm;
    let mut opts = llm::LlmOptions::new(llm::default_cache_dir());
    opts.model = args.model.clone();
    opts.base_url = args.base_url.clone();
    opts.deadline = args.deadline;
    opts.session_deadline = args.session_deadline;
    if let Some(n) = args.concurrency {
        opts.concurrency = usize::from(n);
    }
    type Made = (
        Box<dyn Backend>,
        String,
        String,
        std::sync::Arc<llm::meter::Meter>,
    );
    let (backend, name, model, meter): Made = match (args.classifier, args.batch) {
        (Classifier::Anthropic, true) => {
            let b = llm::batch_backend(&opts)?;
            let (m, meter) = (b.model().to_string(), b.meter());
            (Box::new(b), "anthropic-batch".into(), m, meter)
        }
        (Classifier::Anthropic, false) => {
            let b = llm::anthropic_backend(&opts)?;
            let (m, meter) = (b.model().to_string(), b.meter());
            (Box::new(b), "anthropic".into(), m, meter)
        }
        (Classifier::Openai, false) => {
            let b = llm::openai_backend(&opts)?;
            let (m, meter) = (b.model().to_string(), b.meter());
            (Box::new(b), "openai".into(), m, meter)
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
        Some(meter),
    ))
}
