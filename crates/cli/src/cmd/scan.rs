//! `agentstat scan`: read transcripts, measure telemetry, print a summary table or one JSON
//! object per session (`--json`, fields documented in docs/SCAN_JSON.md). No transcript text
//! is printed; session and person ids are salted hashes.

use super::CmdResult;
use crate::pipeline;
use agentstat_facets::Telemetry;
use agentstat_ingest::Diagnostics;
use agentstat_session::{date_of, Session};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Transcript files or directories (default: ~/.claude/projects, or
    /// $CLAUDE_CONFIG_DIR/projects; plus ~/.codex/sessions, or $CODEX_HOME/sessions, and
    /// ~/.gemini/tmp when they exist).
    pub paths: Vec<PathBuf>,
    /// One JSON object per session on stdout (JSON Lines), then nothing else.
    #[arg(long)]
    pub json: bool,
    /// Your own label for the person behind these sessions (only its salted hash is kept).
    #[arg(long)]
    pub user: Option<String>,
    /// How many warnings to print on stderr (the counts are always printed).
    #[arg(long, default_value_t = 20)]
    pub max_warnings: usize,
    #[command(flatten)]
    pub shard: pipeline::ShardArgs,
}

/// Version of the `--json` record layout (docs/SCAN_JSON.md).
/// 2: `model_calls`, `input_tokens`, `output_tokens`, `lines_added`, `lines_removed` may be
/// `null` (unknown).
pub const SCAN_JSON_VERSION: u32 = 2;

/// One line of `scan --json`.
#[derive(Serialize)]
pub struct SessionRecord {
    pub schema: u32,
    /// Salted hash of the agent's session id.
    pub session: String,
    /// Salted hash of the person (see docs/SCAN_JSON.md).
    pub user: String,
    pub agent: String,
    pub agent_version: Option<String>,
    pub entrypoint: Option<String>,
    pub interactive: bool,
    pub non_interactive_reason: Option<&'static str>,
    pub files: usize,
    pub subagents: usize,
    pub compaction_subagents: usize,
    pub events: usize,
    pub ignored_records: u64,
    pub telemetry: Telemetry,
}

pub use agentstat_ingest::session_key;

pub fn record(s: &Session, opts: &agentstat_ingest::IngestOptions) -> SessionRecord {
    let mut telemetry = agentstat_telemetry::measure(s);
    telemetry.user_unknown = opts.is_unidentified(&s.user);
    SessionRecord {
        schema: SCAN_JSON_VERSION,
        session: session_key(&opts.salt, &s.id),
        user: s.user.0.clone(),
        agent: s.agent.name.clone(),
        agent_version: s.agent.version.clone(),
        entrypoint: s.entrypoint.clone(),
        interactive: s.is_interactive(),
        non_interactive_reason: s.non_interactive_reason(),
        files: s.source_files.len(),
        subagents: s.subagents.len(),
        compaction_subagents: s.subagents.iter().filter(|a| a.is_compaction).count(),
        events: s.events.len(),
        ignored_records: s.ignored_records.values().sum(),
        telemetry,
    }
}

pub fn run(args: Args) -> CmdResult {
    let shard = args.shard.spec()?;
    let opts = pipeline::options(&args.paths, args.user.clone())?;
    let paths = pipeline::resolve_paths(&args.paths);
    let mut diag = Diagnostics::default();
    let (sources, sizes) =
        agentstat_ingest::partition(agentstat_ingest::discover(&paths, &mut diag), shard);
    let (records, read_diag) = pipeline::map_sessions(&sources, &opts, |s, _| record(s, &opts));
    diag.merge(read_diag);

    if args.json {
        if let Err(e) = write_json(&records) {
            // A closed pipe (`| head`) is not an error worth reporting.
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                return Err(e.into());
            }
        }
    } else if !records.is_empty() {
        print!("{}", summary_table(&records, &diag));
    }
    pipeline::print_diagnostics(&diag, args.max_warnings);
    if !shard.is_whole() {
        eprintln!(
            "agentstat: shard {shard}: {} of the {} sessions found",
            sizes[shard.index as usize],
            sizes.iter().sum::<u64>()
        );
        if records.is_empty() && sizes.iter().sum::<u64>() > 0 {
            return Ok(ExitCode::SUCCESS);
        }
    }
    if records.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "agentstat: no session could be read from {}",
            shown.join(", ")
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn write_json(records: &[SessionRecord]) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for r in records {
        serde_json::to_writer(&mut out, r)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

fn fmt_n(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One cell of the summary: a sum, and how many of its sessions could not tell the measure.
#[derive(Default, Clone, Copy)]
struct Total {
    sum: u64,
    unknown: u64,
    sessions: u64,
}

impl Total {
    fn known(sum: u64) -> Total {
        Total {
            sum,
            ..Total::default()
        }
    }

    /// `unknown` when no session can tell the measure; a `*` when some cannot.
    fn show(&self) -> String {
        if self.unknown == 0 {
            fmt_n(self.sum)
        } else if self.unknown == self.sessions {
            "unknown".to_string()
        } else {
            format!("{}*", fmt_n(self.sum))
        }
    }
}

/// The readable summary: one row per measure, all sessions vs interactive ones.
pub fn summary_table(records: &[SessionRecord], diag: &Diagnostics) -> String {
    let inter: Vec<&SessionRecord> = records.iter().filter(|r| r.interactive).collect();
    let all: Vec<&SessionRecord> = records.iter().collect();
    let sum = |rs: &[&SessionRecord], f: &dyn Fn(&Telemetry) -> u64| -> Total {
        Total::known(rs.iter().map(|r| f(&r.telemetry)).sum())
    };
    // A measure some formats cannot tell: summed over the sessions that can, the rest counted.
    let sum_opt = |rs: &[&SessionRecord], f: &dyn Fn(&Telemetry) -> Option<u64>| -> Total {
        let mut t = Total::default();
        for r in rs {
            match f(&r.telemetry) {
                Some(n) => t.sum += n,
                None => t.unknown += 1,
            }
        }
        t.sessions = rs.len() as u64;
        t
    };
    let people = |rs: &[&SessionRecord]| {
        rs.iter()
            .map(|r| r.user.as_str())
            .collect::<BTreeSet<_>>()
            .len() as u64
    };
    type Row<'a> = (&'a str, Box<dyn Fn(&[&SessionRecord]) -> Total + 'a>);
    let rows: Vec<Row> = vec![
        (
            "sessions",
            Box::new(|rs: &[&SessionRecord]| Total::known(rs.len() as u64)),
        ),
        (
            "people",
            Box::new(move |rs: &[&SessionRecord]| Total::known(people(rs))),
        ),
        (
            "prompts (human turns)",
            Box::new(move |rs: &[&SessionRecord]| sum(rs, &|t| t.human_turns as u64)),
        ),
        (
            "  of which queued",
            Box::new(move |rs: &[&SessionRecord]| sum(rs, &|t| t.queued_prompts as u64)),
        ),
        (
            "model calls",
            Box::new(move |rs: &[&SessionRecord]| sum_opt(rs, &|t| t.model_calls.map(u64::from))),
        ),
        (
            "actions (tool calls)",
            Box::new(move |rs: &[&SessionRecord]| sum(rs, &|t| t.actions as u64)),
        ),
        (
            "  successful",
            Box::new(move |rs: &[&SessionRecord]| sum(rs, &|t| t.successful_actions as u64)),
        ),
        (
            "subagents",
            Box::new(move |rs: &[&SessionRecord]| sum(rs, &|t| t.subagents as u64)),
        ),
        (
            "lines added",
            Box::new(move |rs: &[&SessionRecord]| sum_opt(rs, &|t| t.lines_added)),
        ),
        (
            "lines removed",
            Box::new(move |rs: &[&SessionRecord]| sum_opt(rs, &|t| t.lines_removed)),
        ),
        (
            "files touched",
            Box::new(move |rs: &[&SessionRecord]| sum(rs, &|t| t.files_touched as u64)),
        ),
        (
            "git commits",
            Box::new(move |rs: &[&SessionRecord]| sum(rs, &|t| t.git_commits as u64)),
        ),
        (
            "git pushes",
            Box::new(move |rs: &[&SessionRecord]| sum(rs, &|t| t.git_pushes as u64)),
        ),
        (
            "pull requests",
            Box::new(move |rs: &[&SessionRecord]| sum(rs, &|t| t.pull_requests as u64)),
        ),
        (
            "test runs",
            Box::new(move |rs: &[&SessionRecord]| sum(rs, &|t| t.test_runs as u64)),
        ),
        (
            "  passed",
            Box::new(move |rs: &[&SessionRecord]| sum(rs, &|t| t.test_runs_passed as u64)),
        ),
        (
            "  failed",
            Box::new(move |rs: &[&SessionRecord]| sum(rs, &|t| t.test_runs_failed as u64)),
        ),
        (
            "tool errors",
            Box::new(move |rs: &[&SessionRecord]| sum(rs, &|t| t.tool_errors as u64)),
        ),
        (
            "interrupts",
            Box::new(move |rs: &[&SessionRecord]| sum(rs, &|t| t.interrupts as u64)),
        ),
        (
            "rejections",
            Box::new(move |rs: &[&SessionRecord]| sum(rs, &|t| t.rejections as u64)),
        ),
        (
            "compactions",
            Box::new(move |rs: &[&SessionRecord]| sum(rs, &|t| t.compactions as u64)),
        ),
        (
            "output tokens",
            Box::new(move |rs: &[&SessionRecord]| sum_opt(rs, &|t| t.output_tokens)),
        ),
    ];
    let mut s = String::new();
    s.push_str(&format!(
        "{:<24} {:>14} {:>14}\n",
        "", "all sessions", "interactive"
    ));
    let mut unknown_notes = Vec::new();
    for (name, f) in &rows {
        let (a, i) = (f(&all), f(&inter));
        s.push_str(&format!("{:<24} {:>14} {:>14}\n", name, a.show(), i.show()));
        if a.unknown > 0 && a.unknown < a.sessions {
            unknown_notes.push(format!(
                "{} unknown in {} of {} sessions",
                name.trim(),
                fmt_n(a.unknown),
                fmt_n(a.sessions)
            ));
        }
    }
    if !unknown_notes.is_empty() {
        s.push_str(&format!(
            "* summed over the sessions whose transcripts tell it ({}; docs/FORMATS.md)\n",
            unknown_notes.join(", ")
        ));
    }
    let range = |rs: &[&SessionRecord]| {
        let lo = rs.iter().filter_map(|r| r.telemetry.start_ms).min();
        let hi = rs.iter().filter_map(|r| r.telemetry.end_ms).max();
        match (lo, hi) {
            (Some(a), Some(b)) => format!("{} … {}", date_of(a), date_of(b)),
            _ => "–".to_string(),
        }
    };
    s.push_str(&format!("{:<24} {:>14} {:>14}\n", "date range", "", ""));
    s.push_str(&format!("  all                    {}\n", range(&all)));
    s.push_str(&format!("  interactive            {}\n", range(&inter)));
    // Sessions per agent (all, interactive), unless every session is Claude Code's (the table
    // then reads as it always did).
    let mut agents: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for r in records {
        let e = agents.entry(r.agent.as_str()).or_default();
        e.0 += 1;
        e.1 += u64::from(r.interactive);
    }
    if agents.keys().any(|a| *a != "claude-code") {
        s.push_str(&format!(
            "{:<24} {:>14} {:>14}\n",
            "sessions by agent", "", ""
        ));
        for (agent, (all, inter)) in &agents {
            s.push_str(&format!(
                "  {:<22} {:>14} {:>14}\n",
                agent,
                fmt_n(*all),
                fmt_n(*inter)
            ));
        }
    }
    let mut excluded: BTreeMap<&str, u64> = BTreeMap::new();
    for r in records.iter().filter(|r| !r.interactive) {
        *excluded
            .entry(r.non_interactive_reason.unwrap_or("?"))
            .or_default() += 1;
    }
    if !excluded.is_empty() {
        let parts: Vec<String> = excluded.iter().map(|(k, v)| format!("{v} {k}")).collect();
        s.push_str(&format!("excluded from analyses: {}\n", parts.join(", ")));
    }
    s.push_str(&format!(
        "read: {} files, {} lines, {:.1} MB, {} records\n",
        fmt_n(diag.files),
        fmt_n(diag.lines),
        diag.bytes as f64 / 1e6,
        fmt_n(diag.records)
    ));
    if diag.skipped.is_empty() {
        s.push_str("skipped: none\n");
    } else {
        let parts: Vec<String> = diag
            .skipped
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        s.push_str(&format!("skipped: {}\n", parts.join(", ")));
    }
    if !diag.recovered.is_empty() {
        let parts: Vec<String> = diag
            .recovered
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        s.push_str(&format!("recovered: {}\n", parts.join(", ")));
    }
    // Files passed over by discovery (formats no adapter reads, sidecars) get their own line.
    const NOT_TRANSCRIPT: &str = "file-not-a-transcript:";
    let not_read: Vec<String> = diag
        .ignored
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix(NOT_TRANSCRIPT)
                .map(|ext| format!("{ext} {v}"))
        })
        .collect();
    if !not_read.is_empty() {
        let n: u64 = diag
            .ignored
            .iter()
            .filter(|(k, _)| k.starts_with(NOT_TRANSCRIPT))
            .map(|(_, v)| v)
            .sum();
        s.push_str(&format!(
            "not read: {} files that are not transcripts of a supported agent ({})\n",
            fmt_n(n),
            not_read.join(", ")
        ));
    }
    let ignored: u64 = diag
        .ignored
        .iter()
        .filter(|(k, _)| !k.starts_with(NOT_TRANSCRIPT))
        .map(|(_, v)| v)
        .sum();
    if ignored > 0 {
        let mut top: Vec<(&String, &u64)> = diag
            .ignored
            .iter()
            .filter(|(k, _)| !k.starts_with(NOT_TRANSCRIPT))
            .collect();
        top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let parts: Vec<String> = top
            .iter()
            .take(6)
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        s.push_str(&format!(
            "ignored on purpose: {} records ({}{})\n",
            fmt_n(ignored),
            parts.join(", "),
            if top.len() > 6 { ", …" } else { "" }
        ));
    }
    s
}
