//! `agentstat explain SESSION [PATH…]`: one session's labels with the evidence behind each, from
//! the offline heuristic. Runs entirely on this machine; nothing is stored or sent.

use super::CmdResult;
use agentstat_classify::heuristic::{HeuristicBackend, RULES_VERSION};
use agentstat_classify::{Backend, Evidence, SessionInput};
use agentstat_facets::{Labels, Telemetry};
use agentstat_ingest::{Diagnostics, IngestOptions, SessionSource};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The session: its id (or a unique prefix), its salted key as `scan --json`, the report
    /// and facets.parquet show it (or a prefix of at least 4 characters), or a transcript path.
    pub session: String,
    /// Where to look for the session (files or directories); default ~/.claude/projects
    /// (or $CLAUDE_CONFIG_DIR/projects), plus ~/.codex/sessions (or $CODEX_HOME/sessions) and
    /// ~/.gemini/tmp when they exist.
    pub paths: Vec<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> CmdResult {
    let mut diag = Diagnostics::default();
    let src = find_source(&args, &mut diag)?;
    let session = agentstat_ingest::read_session(&src, &IngestOptions::default(), &mut diag).ok_or_else(|| {
        format!(
            "could not read a session from {} ({} problems: run `agentstat scan` on it for details)",
            src.main_path().display(),
            diag.skipped_total()
        )
    })?;
    let telemetry = agentstat_telemetry::measure(&session);
    // The labels the default classifier gives (the embedded learned model over the rules), with
    // the rules' evidence for every facet and the model's for the facets it decides.
    let input = SessionInput {
        session: &session,
        telemetry: &telemetry,
    };
    let (_, mut evidence) = HeuristicBackend
        .explain(&input)
        .map_err(|e| format!("classifying {}: {e}", src.main_path().display()))?;
    let learned = agentstat_learn::LearnedBackend::embedded()
        .map_err(|e| format!("the embedded learned model: {e}"))?;
    let (labels, learned_evidence) = learned
        .explain(&input)
        .map_err(|e| format!("classifying {}: {e}", src.main_path().display()))?;
    evidence.extend(learned_evidence);
    let backend = format!(
        "learned ({}) over heuristic rules {RULES_VERSION}",
        learned.id()
    );
    let excluded = session.non_interactive_reason();
    if args.json {
        let out = serde_json::json!({
            "session_id": session.id,
            "file": src.main_path().display().to_string(),
            "interactive": excluded.is_none(),
            "excluded_reason": excluded,
            "backend": backend,
            "rules_version": RULES_VERSION,
            "telemetry": telemetry,
            "labels": labels,
            "evidence": evidence,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!(
            "{}",
            render_text(
                &session.id,
                src.main_path(),
                excluded,
                &telemetry,
                &labels,
                &evidence,
                &backend
            )
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Resolve SESSION to one session's files: a path to a transcript, else an id or id prefix
/// among the sessions found under the given paths.
fn find_source(args: &Args, diag: &mut Diagnostics) -> Result<SessionSource, String> {
    let as_path = Path::new(&args.session);
    if as_path.is_file() {
        let sources = agentstat_ingest::discover(&[as_path.to_path_buf()], diag);
        let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        let want = canon(as_path);
        return sources
            .iter()
            .find(|s| s.files.iter().any(|f| canon(&f.path) == want))
            .or(sources.first())
            .cloned()
            .ok_or_else(|| {
                format!(
                    "{} is not a transcript agentstat can read",
                    as_path.display()
                )
            });
    }
    let roots = crate::pipeline::resolve_paths(&args.paths);
    let sources = agentstat_ingest::discover(&roots, diag);
    let want = args.session.trim();
    let not_found = |n: usize| {
        format!(
            "no session with id, key or prefix `{want}` under {} ({n} sessions found); pass the transcript path or the directory holding it",
            roots.iter().map(|r| r.display().to_string()).collect::<Vec<_>>().join(", "),
        )
    };
    if want.is_empty() {
        return Err(not_found(sources.len()));
    }
    // Cheap first: the ids discovery already knows (file names, first records).
    let by_source: Vec<&SessionSource> =
        sources.iter().filter(|s| s.id.starts_with(want)).collect();
    if by_source.len() == 1 {
        return Ok(by_source[0].clone());
    }
    // Then every id the tool shows: the agent's own session id (which for some formats is only
    // known once the file is read, e.g. a Codex rollout's `session_meta` id) or a prefix of it,
    // and the salted session key of `scan --json`, the report and facets.parquet, or a prefix.
    let salt = agentstat_ingest::load_or_create_salt()
        .map_err(|e| format!("cannot read the pseudonymisation salt to match session keys: {e}"))?;
    let opts = IngestOptions::default();
    let (hits, _) = crate::pipeline::map_sessions(&sources, &opts, |s, src| {
        let key = super::scan::session_key(&salt, &s.id);
        let exact = s.id == want || key == want.to_ascii_lowercase();
        let prefix = s.id.starts_with(want)
            || (want.len() >= 4 && key.starts_with(&want.to_ascii_lowercase()));
        (exact || prefix).then(|| (exact, s.id.clone(), src.clone()))
    });
    let hits: Vec<(bool, String, SessionSource)> = hits.into_iter().flatten().collect();
    let exact: Vec<&(bool, String, SessionSource)> = hits.iter().filter(|h| h.0).collect();
    let chosen: Vec<&(bool, String, SessionSource)> = if exact.is_empty() {
        hits.iter().collect()
    } else {
        exact
    };
    match chosen.len() {
        0 => Err(not_found(sources.len())),
        1 => Ok(chosen[0].2.clone()),
        n => {
            let mut ids: Vec<&str> = chosen.iter().map(|h| h.1.as_str()).collect();
            ids.sort_unstable();
            ids.truncate(10);
            Err(format!(
                "`{want}` matches {n} sessions ({}…); give a longer prefix",
                ids.join(", ")
            ))
        }
    }
}

const FACETS: &[(&str, &str)] = &[
    ("work_mode", "Work mode"),
    ("codebase_relation", "Codebase relation"),
    ("decisions", "Decisions"),
    ("expertise", "Expertise"),
    ("user_profile", "User profile"),
    ("work_performed", "Work performed"),
    ("outcome", "Outcome"),
    ("success_signal", "Success signal"),
    ("failure_signal", "Failure signal"),
    ("task_value", "Task value"),
];

fn label_text(l: &Labels, facet: &str) -> String {
    fn v<T>(x: &agentstat_facets::Label<T>, f: impl Fn(&T) -> String) -> String {
        match (&x.value, &x.error) {
            (Some(v), _) => f(v),
            (None, Some(e)) => format!("error: {e}"),
            (None, None) => "-".into(),
        }
    }
    match facet {
        "work_mode" => v(&l.work_mode, |x| x.to_string()),
        "codebase_relation" => v(&l.codebase_relation, |x| x.to_string()),
        "decisions" => v(&l.decisions, |d| {
            let pct = |s: Option<f64>| {
                s.map(|x| format!("{:.0}%", 100.0 * x))
                    .unwrap_or_else(|| "n/a".into())
            };
            format!(
                "planning user {} / agent {} (user share {}); execution user {} / agent {} (user share {})",
                d.planning_user,
                d.planning_agent,
                pct(d.user_planning_share()),
                d.execution_user,
                d.execution_agent,
                pct(d.user_execution_share())
            )
        }),
        "expertise" => v(&l.expertise, |e| match e.level() {
            Some(n) => format!("{n} ({})", e.name()),
            None => e.name().to_string(),
        }),
        "user_profile" => v(&l.user_profile, |x| x.as_str().to_string()),
        "work_performed" => v(&l.work_performed, |x| x.to_string()),
        "outcome" => v(&l.outcome, |x| x.to_string()),
        "success_signal" => v(&l.success_signal, |x| x.to_string()),
        "failure_signal" => v(&l.failure_signal, |x| x.to_string()),
        "task_value" => v(&l.task_value, |t| {
            format!("${:.0} (band {})", t.usd, t.band)
        }),
        _ => String::new(),
    }
}

fn render_text(
    id: &str,
    file: &Path,
    excluded: Option<&str>,
    t: &Telemetry,
    l: &Labels,
    ev: &[Evidence],
    backend: &str,
) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let opt = |v: Option<u64>| v.map_or_else(|| "unknown".to_string(), |n| n.to_string());
    let _ = writeln!(s, "session {id}");
    let _ = writeln!(s, "  file      {}", file.display());
    let _ = writeln!(
        s,
        "  telemetry {} prompts, {} actions, +{}/-{} lines, {} files, {} commits, {} test runs ({} passed, {} failed), {} tool errors, {} interrupts, {} rejections",
        t.human_turns,
        t.actions,
        opt(t.lines_added),
        opt(t.lines_removed),
        t.files_touched,
        t.git_commits,
        t.test_runs,
        t.test_runs_passed,
        t.test_runs_failed,
        t.tool_errors,
        t.interrupts,
        t.rejections
    );
    if let Some(r) = excluded {
        let _ = writeln!(s, "  note      not interactive ({r}): excluded from every analysis; labels shown for inspection only");
    }
    let _ = writeln!(s, "  backend   {backend}\n");
    for (key, name) in FACETS {
        let _ = writeln!(s, "{name:<18} {}", label_text(l, key));
        for e in ev.iter().filter(|e| e.facet == *key) {
            let _ = writeln!(s, "{:<18}   - {}", "", e.note);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentstat_classify::SessionInput;
    use agentstat_session::{Event, HumanTurn, Session};

    #[test]
    fn text_rendering_lists_every_facet_with_its_evidence() {
        let mut s = Session {
            id: "abc".into(),
            ..Default::default()
        };
        s.events.push(Event::Human(HumanTurn {
            text: "explain the parser".into(),
            ..Default::default()
        }));
        let t = Telemetry {
            human_turns: 1,
            ..Default::default()
        };
        let (l, ev) = HeuristicBackend
            .explain(&SessionInput {
                session: &s,
                telemetry: &t,
            })
            .unwrap();
        let out = render_text(
            "abc",
            Path::new("/x/abc.jsonl"),
            None,
            &t,
            &l,
            &ev,
            "heuristic",
        );
        for (_, name) in FACETS {
            assert!(out.contains(name), "{name} missing in\n{out}");
        }
        assert!(out.contains("   - "), "no evidence lines:\n{out}");
        assert!(
            !out.contains("explain the parser"),
            "transcript text must not be echoed"
        );
    }
}
