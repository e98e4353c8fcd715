//! `agentstat render [PATH…] -o DIR`: the study-style rendering of every interactive session
//! (redacted, 5,000 characters per turn, 25,000 in all: exactly what an LLM classifier is sent),
//! one text file per session, plus `index.jsonl` naming each file's session and person keys.
//!
//! It exists for hand labelling (reference labels, a person's own labels for `agentstat train`):
//! a rater reads the same text a classifier would, and nothing else. Runs on this machine only;
//! the output holds transcript text, so it is never written anywhere the user did not name.

use super::CmdResult;
use crate::pipeline;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Transcript files or directories (default: the agents' usual folders).
    pub paths: Vec<PathBuf>,
    /// Folder to write the renderings and `index.jsonl` into (created if missing).
    #[arg(short, long)]
    pub out: PathBuf,
    /// Also render non-interactive sessions (no human turns, or an SDK entrypoint).
    #[arg(long)]
    pub all: bool,
    /// Label sessions as this person instead of deriving the person from the working folder.
    #[arg(long)]
    pub user: Option<String>,
}

pub fn run(args: Args) -> CmdResult {
    let opts = pipeline::options(&args.paths, args.user.clone())?;
    let mut diag = agentstat_ingest::Diagnostics::default();
    let sources = pipeline::discover(&args.paths, &mut diag);
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let (rows, d) = pipeline::map_sessions(&sources, &opts, |s, src| {
        let interactive = s.non_interactive_reason().is_none();
        if !interactive && !args.all {
            return None;
        }
        let key = super::scan::session_key(&opts.salt, &s.id);
        let text = agentstat_classify::render::render(s).text;
        let row = serde_json::json!({
            "session": key,
            "session_id": s.id,
            "user": s.user.0,
            "agent": s.agent.name,
            "file": src.main_path().display().to_string(),
            "interactive": interactive,
            "human_turns": s.human_turns().count(),
            "chars": text.chars().count(),
        });
        Some((key, row, text))
    });
    diag.merge(d);
    let mut index = String::new();
    let mut n = 0usize;
    for (key, row, text) in rows.into_iter().flatten() {
        let path = args.out.join(format!("{key}.txt"));
        std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        index.push_str(&row.to_string());
        index.push('\n');
        n += 1;
    }
    let idx = args.out.join("index.jsonl");
    std::fs::write(&idx, index).map_err(|e| format!("cannot write {}: {e}", idx.display()))?;
    pipeline::print_diagnostics(&diag, 20);
    eprintln!("{n} renderings written to {}", args.out.display());
    Ok(if n > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
