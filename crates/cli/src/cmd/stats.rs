//! `agentstat stats FACETS… [--min-users K] [--personal] [--json]`: the study's tables from
//! facets files, printed as aligned text or as the Results JSON (`docs/RESULTS_SCHEMA.md`).
//!
//! Personal mode (no threshold) is used with `--personal`, or automatically when every session
//! belongs to one identified person and no `--min-users` was given: the only person the numbers
//! describe is then the reader. The unidentified fallback key never counts as one person, and
//! `--personal` on several user keys warns and says "at your request" (see
//! `agentstat_stats::privacy::decide_mode`). The output always says which rule was applied.

use super::CmdResult;
use agentstat_facets::Facet;
use agentstat_stats::analyses::{analyse_with_dp, AnalysisOptions, DpOptions, DP_AVAILABLE};
use agentstat_stats::privacy::{decide_mode, DEFAULT_MIN_USERS};
use agentstat_stats::results::{Cell, Results, Table};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Facets files (from `agentstat extract`, `report` or `merge`); several are pooled.
    #[arg(required = true, value_name = "FACETS")]
    pub paths: Vec<PathBuf>,
    /// Minimum distinct people per published cell [default: 10 when the data hold more than
    /// one person].
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..))]
    pub min_users: Option<u32>,
    /// Personal mode: the sessions are all yours (e.g. several machines), thresholds off.
    #[arg(long, conflicts_with = "min_users")]
    pub personal: bool,
    /// Print the Results document as JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Add differential-privacy noise to the descriptive shares and means, with this total ε
    /// (builds with the cargo feature `dp` only: `cargo build --release --features dp`).
    #[arg(long, value_name = "EPSILON")]
    pub dp_epsilon: Option<f64>,
    /// With --dp-epsilon: sessions per person kept in noisy releases.
    #[arg(long, value_name = "M", default_value_t = 20, requires = "dp_epsilon")]
    pub dp_max_sessions: u32,
}

pub fn run(args: Args) -> CmdResult {
    let dp = match args.dp_epsilon {
        None => None,
        Some(_) if !DP_AVAILABLE => {
            return Err(
                "this agentstat was built without differential privacy; rebuild with \
                        `cargo build --release -p agentstat --features dp`"
                    .into(),
            )
        }
        Some(e) if !(e.is_finite() && e > 0.0) => {
            return Err(format!("--dp-epsilon must be a positive number, got {e}").into())
        }
        Some(e) if args.dp_max_sessions == 0 => {
            return Err(format!("--dp-max-sessions must be at least 1 (ε = {e})").into())
        }
        Some(epsilon) => Some(DpOptions {
            epsilon,
            max_sessions_per_user: args.dp_max_sessions,
        }),
    };
    let facets = read_pooled(&args.paths)?;
    let mode = decide_mode(&facets, args.personal, args.min_users.is_some());
    if let Some(w) = &mode.warning {
        eprintln!("{w}");
    }
    let personal = mode.personal;
    let opts = AnalysisOptions {
        min_users: args.min_users.unwrap_or(DEFAULT_MIN_USERS),
        personal,
    };
    let results = analyse_with_dp(&facets, &opts, dp);
    let text = if args.json {
        serde_json::to_string_pretty(&results)? + "\n"
    } else {
        render_text(&results)
    };
    write_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes to stdout; a closed pipe (`agentstat stats … | head`) is not an error.
fn write_stdout(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}

/// Reads and pools facets files; a session present in several files counts once.
fn read_pooled(paths: &[PathBuf]) -> Result<Vec<Facet>, Box<dyn std::error::Error>> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    let mut dups = 0u64;
    for p in paths {
        for f in agentstat_facets::parquet::read_facets(p)? {
            if seen.insert(f.session_key.clone()) {
                out.push(f);
            } else {
                dups += 1;
            }
        }
    }
    if dups > 0 {
        eprintln!("agentstat: {dups} duplicate session(s) across the input files counted once");
    }
    Ok(out)
}

/// The Results document as aligned plain-text tables.
pub fn render_text(r: &Results) -> String {
    let mut s = String::new();
    let sm = &r.sample;
    let _ = writeln!(s, "{}", r.generated_by);
    let _ = writeln!(
        s,
        "Sample: {} sessions, {} interactive, {} people{}",
        sm.sessions,
        sm.interactive_sessions,
        sm.people,
        match (&sm.first_day, &sm.last_day) {
            (Some(a), Some(b)) => format!(", {a} to {b}"),
            _ => String::new(),
        }
    );
    if !sm.excluded.is_empty() {
        let parts: Vec<String> = sm
            .excluded
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect();
        let _ = writeln!(s, "Excluded from analyses: {}", parts.join(", "));
    }
    let join = |m: &std::collections::BTreeMap<String, u64>| {
        m.iter()
            .map(|(k, v)| format!("{k} ({v})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !sm.agents.is_empty() {
        let _ = writeln!(s, "Agents: {}", join(&sm.agents));
    }
    if !sm.model_families.is_empty() {
        let _ = writeln!(s, "Model families: {}", join(&sm.model_families));
    }
    if !sm.classifiers.is_empty() {
        let _ = writeln!(
            s,
            "Classifiers (backend / model / prompt version): {}",
            join(&sm.classifiers)
        );
    }
    if sm.classification_errors > 0 {
        let _ = writeln!(
            s,
            "Sessions with a classification error: {}",
            sm.classification_errors
        );
    }
    if r.privacy.personal_mode && sm.people > 1 {
        let _ = writeln!(
            s,
            "Thresholds off at your request ({} user keys): no cell is suppressed.",
            sm.people
        );
    } else if r.privacy.personal_mode {
        let _ = writeln!(
            s,
            "Personal mode: one person's own sessions; distinct-user thresholds do not apply."
        );
    } else {
        let _ = writeln!(
            s,
            "Privacy: cells with fewer than {} distinct people are suppressed ({} cells suppressed).",
            r.privacy.min_users, r.privacy.suppressed_cells
        );
    }
    if let Some(dp) = &r.privacy.dp {
        let _ = writeln!(
            s,
            "Differential privacy: {} with total epsilon {}",
            dp.mechanism, dp.total_epsilon
        );
    }
    for t in &r.tables {
        s.push('\n');
        render_table(&mut s, t);
    }
    s
}

fn render_table(s: &mut String, t: &Table) {
    let _ = writeln!(s, "== {} — {} [{}]", t.figure, t.title, t.id);
    if !t.reading.is_empty() {
        let _ = writeln!(s, "{}", t.reading);
    }
    if let Some(r) = &t.study_reference {
        let _ = writeln!(s, "({r})");
    }
    // Narrow tables show intervals and per-cell counts; wide ones show values, and a row count
    // when every cell of the row rests on the same sessions.
    let wide = t.columns.len() > 3;
    let mut header: Vec<String> = vec![String::new()];
    header.extend(t.columns.iter().map(|c| c.label.clone()));
    if wide {
        header.push("n (sessions/people)".into());
    }
    let mut grid: Vec<Vec<String>> = vec![header];
    for row in &t.rows {
        let mut line = vec![row.label.clone()];
        for (i, c) in row.cells.iter().enumerate() {
            let unit = t.columns.get(i).map_or("", |c| c.unit.as_str());
            line.push(format_cell(c, unit, !wide));
        }
        if wide {
            let same = row
                .cells
                .windows(2)
                .all(|w| w[0].n_sessions == w[1].n_sessions && w[0].n_users == w[1].n_users);
            line.push(match (same, row.cells.first()) {
                // Counts below the threshold are not printed either.
                (true, Some(c)) if c.suppressed => "< k".into(),
                (true, Some(c)) => format!("{}/{}", c.n_sessions, c.n_users),
                _ => "varies".into(),
            });
        }
        grid.push(line);
    }
    let ncols = grid.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..ncols)
        .map(|i| {
            grid.iter()
                .filter_map(|r| r.get(i))
                .map(|x| x.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for (ri, line) in grid.iter().enumerate() {
        let mut out = String::new();
        for (i, cell) in line.iter().enumerate() {
            let pad = widths[i].saturating_sub(cell.chars().count());
            if i == 0 {
                out.push_str(cell);
                out.push_str(&" ".repeat(pad));
            } else {
                out.push_str("  ");
                out.push_str(&" ".repeat(pad));
                out.push_str(cell);
            }
        }
        let _ = writeln!(s, "{}", out.trim_end());
        if ri == 0 {
            let total: usize = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
            let _ = writeln!(s, "{}", "-".repeat(total));
        }
    }
    for n in &t.notes {
        let _ = writeln!(s, "  note: {n}");
    }
}

fn format_value(v: f64, unit: &str) -> String {
    match unit {
        "share" | "rate" => format!("{:.1}%", v * 100.0),
        "coef" => format!("{v:.4}"),
        "count" => format!("{v:.0}"),
        "index" | "usd" => format!("{v:.0}"),
        _ => {
            if v.abs() >= 100.0 {
                format!("{v:.0}")
            } else {
                format!("{v:.2}")
            }
        }
    }
}

/// `31.2% [28.1, 34.4] n=87/38`; `suppressed` below the threshold; `—` when not estimable.
fn format_cell(c: &Cell, unit: &str, detail: bool) -> String {
    if c.suppressed {
        return "suppressed".into();
    }
    let Some(v) = c.value else {
        return "—".into();
    };
    // A coefficient column may hold plain numbers too (a mean, an observation count).
    let mut out = if unit == "coef" && c.se.is_none() && v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format_value(v, unit)
    };
    if unit == "coef" {
        if let Some(se) = c.se {
            let _ = write!(out, " ({se:.4})");
        }
    }
    if detail {
        if let (Some(lo), Some(hi)) = (c.ci_low, c.ci_high) {
            let _ = write!(
                out,
                " [{}, {}]",
                format_value(lo, unit),
                format_value(hi, unit)
            );
        }
        let _ = write!(out, " n={}/{}", c.n_sessions, c.n_users);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_format_by_unit_and_suppression() {
        let c = Cell {
            value: Some(0.3125),
            ci_low: Some(0.28),
            ci_high: Some(0.35),
            n_sessions: 87,
            n_users: 38,
            ..Default::default()
        };
        assert_eq!(
            format_cell(&c, "share", true),
            "31.2% [28.0%, 35.0%] n=87/38"
        );
        assert_eq!(format_cell(&c, "share", false), "31.2%");
        let s = Cell {
            suppressed: true,
            n_users: 2,
            ..Default::default()
        };
        assert_eq!(format_cell(&s, "share", true), "suppressed");
        assert_eq!(format_cell(&Cell::default(), "rate", true), "—");
        let b = Cell {
            value: Some(0.0379),
            se: Some(0.0009),
            ..Default::default()
        };
        assert_eq!(format_cell(&b, "coef", true), "0.0379 (0.0009) n=0/0");
    }
}
