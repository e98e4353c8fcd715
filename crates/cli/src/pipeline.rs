//! The streaming driver shared by commands: discover sessions, read them in parallel, hand
//! each to a function, drop it. Memory is bounded by the sessions in flight (one per rayon
//! thread), never by the corpus.

#![allow(dead_code)] // Used by several commands; not every build uses every helper.

use agentstat_ingest::{Diagnostics, IngestOptions, SessionSource};
use agentstat_session::Session;
use rayon::prelude::*;
use std::path::PathBuf;

/// Paths given on the command line, or the default Claude Code roots when none were.
pub fn resolve_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    if paths.is_empty() {
        agentstat_ingest::default_roots()
    } else {
        paths.to_vec()
    }
}

/// Ingest options for this installation: the salt (created on first use) and who the person
/// is: the `--user` label if given; else, when no path was named (the agents' own folders on
/// this machine), the machine's user, so that every session found there is one person's
/// whatever its working folder says; else each session's home directory (per-person keys).
pub fn options(paths: &[PathBuf], user: Option<String>) -> Result<IngestOptions, String> {
    let salt = agentstat_ingest::load_or_create_salt().map_err(|e| {
        format!(
            "cannot read or create the pseudonymisation salt: {e} (set AGENTSTAT_SALT to override)"
        )
    })?;
    Ok(IngestOptions {
        user_label: user_label(paths, user),
        salt,
    })
}

/// The person label for a run: see [`options`].
pub fn user_label(paths: &[PathBuf], user: Option<String>) -> Option<String> {
    user.or_else(|| paths.is_empty().then(machine_user))
}

/// The machine's user: the name of the home directory (the same name a session's working folder
/// under that home gives, so the key matches runs on named paths), else `$USER`/`$USERNAME`,
/// else `me`. Only its salted hash is ever stored.
pub fn machine_user() -> String {
    let var = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    var("HOME")
        .or_else(|| var("USERPROFILE"))
        .and_then(|h| {
            PathBuf::from(h)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .filter(|n| !n.is_empty())
        .or_else(|| {
            var("USER")
                .or_else(|| var("USERNAME"))
                .map(|u| u.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "me".to_string())
}

/// Discover the sessions under `paths` (defaults applied).
pub fn discover(paths: &[PathBuf], diag: &mut Diagnostics) -> Vec<SessionSource> {
    agentstat_ingest::discover(&resolve_paths(paths), diag)
}

/// Read every source in parallel and map each session to a `T`; results come back in
/// source order (deterministic), with the merged diagnostics. Sources that yield no
/// session produce no result.
pub fn map_sessions<T, F>(
    sources: &[SessionSource],
    opts: &IngestOptions,
    f: F,
) -> (Vec<T>, Diagnostics)
where
    T: Send,
    F: Fn(&Session, &SessionSource) -> T + Sync,
{
    let parts: Vec<(Option<T>, Diagnostics)> = sources
        .par_iter()
        .map(|src| {
            let mut d = Diagnostics::default();
            let out = agentstat_ingest::read_session(src, opts, &mut d).map(|s| f(&s, src));
            (out, d)
        })
        .collect();
    let mut diag = Diagnostics::default();
    let mut out = Vec::with_capacity(parts.len());
    for (t, d) in parts {
        diag.merge(d);
        out.extend(t);
    }
    (out, diag)
}

/// Call `f` for every session (in parallel, unordered); returns the diagnostics.
pub fn for_each_session<F>(sources: &[SessionSource], opts: &IngestOptions, f: F) -> Diagnostics
where
    F: Fn(&Session, &SessionSource) + Sync,
{
    sources
        .par_iter()
        .fold(Diagnostics::default, |mut d, src| {
            if let Some(s) = agentstat_ingest::read_session(src, opts, &mut d) {
                f(&s, src);
            }
            d
        })
        .reduce(Diagnostics::default, |mut a, b| {
            a.merge(b);
            a
        })
}

/// Print diagnostics to stderr: at most `max` warnings, then always the counts.
pub fn print_diagnostics(diag: &Diagnostics, max: usize) {
    for w in diag.warnings.iter().take(max) {
        eprintln!("warning: {w}");
    }
    if diag.warnings_total > max as u64 {
        eprintln!(
            "warning: … {} more warnings not shown",
            diag.warnings_total - max as u64
        );
    }
    if !diag.skipped.is_empty() {
        let parts: Vec<String> = diag
            .skipped
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        eprintln!("skipped: {}", parts.join(", "));
    }
    if !diag.recovered.is_empty() {
        let parts: Vec<String> = diag
            .recovered
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        eprintln!("recovered: {}", parts.join(", "));
    }
}

/// `--shard K/N` / `--shard auto` (with `--shard-count`), shared by `scan` and `extract`
/// (docs/SCALE.md).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ShardArgs {
    /// Take one slice of the sessions: `K/N` (0-based K below N), or `auto` to read it from a
    /// Slurm job array (SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT)
    /// or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with --shard-count or
    /// AGENTSTAT_SHARD_COUNT). A session's files are never split; a session is in the same
    /// shard on every machine. Pool the outputs with `agentstat merge`.
    #[arg(long, value_name = "K/N|auto")]
    pub shard: Option<String>,
    /// The shard count for `--shard auto` (a Kubernetes Indexed Job's completions; overrides
    /// SLURM_ARRAY_TASK_COUNT).
    #[arg(long, value_name = "N", requires = "shard")]
    pub shard_count: Option<u32>,
}

impl ShardArgs {
    /// The shard to take ([`ShardSpec::WHOLE`] without `--shard`).
    pub fn spec(&self) -> Result<agentstat_ingest::ShardSpec, String> {
        self.spec_with(|k| std::env::var(k).ok())
    }

    pub fn spec_with(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<agentstat_ingest::ShardSpec, String> {
        use agentstat_ingest::ShardSpec;
        match self.shard.as_deref() {
            None => Ok(ShardSpec::WHOLE),
            Some("auto") => ShardSpec::from_env(env, self.shard_count),
            Some(text) => {
                if self.shard_count.is_some() {
                    return Err(
                        "--shard-count goes with --shard auto; --shard K/N names the count itself"
                            .into(),
                    );
                }
                ShardSpec::parse(text).map_err(|e| format!("--shard: {e}"))
            }
        }
    }
}
