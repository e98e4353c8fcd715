//! `agentstat stats FACETS… [--min-users K] [--personal] [--json]`: the study's tables from
//! facets files, printed as aligned text or as the Results JSON (`docs/RESULTS_SCHEMA.md`).
//!
//! Personal mode (no threshold) is used with `--personal`, or automatically when every session
//! belongs to one identified person and no `--min-users` was given: the only person the numbers
//! describe is then the reader. The unidentified fallback key never counts as one person, and
//! `--personal` on several user keys warns and says "at your request" (see
//! `agentstat_stats::privacy::decide_mode`). The output always says which rule was applied.

use super::CmdResult;
use crate::privacy_args::PrivacyArgs;
use agentstat_facets::Facet;
use agentstat_stats::analyses::{analyse_with_dp, DpOptions, DP_AVAILABLE};
use agentstat_stats::results::{Cell, Results, Table};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// Facets files (from `agentstat extract`, `report` or `merge`), directories of them, or
    /// quoted globs (`'shards/*.parquet'`): all pooled as one dataset.
    #[arg(required = true, value_name = "FACETS")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub privacy: PrivacyArgs,
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
    let dp = dp_options(args.dp_epsilon, args.dp_max_sessions)?;
    let facets = read_pooled(&args.paths)?;
    let mode = args.privacy.decide(&facets);
    let results = analyse_with_dp(&facets, &mode.threshold, dp);
    let text = if args.json {
        serde_json::to_string_pretty(&results)? + "\n"
    } else {
        render_text(&results)
    };
    super::write_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// The `--dp-epsilon` / `--dp-max-sessions` options (shared by `stats` and `report`): checked,
/// with a warning when this build's noise is not from a secure source.
pub(crate) fn dp_options(
    epsilon: Option<f64>,
    max_sessions: u32,
) -> Result<Option<DpOptions>, Box<dyn std::error::Error>> {
    Ok(match epsilon {
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
        Some(e) if max_sessions == 0 => {
            return Err(format!("--dp-max-sessions must be at least 1 (ε = {e})").into())
        }
        Some(epsilon) => {
            if !agentstat_stats::dp::SECURE_RANDOMNESS {
                eprintln!(
                    "agentstat: warning: this build draws DP noise from rand::thread_rng, which \
                     OpenDP documents as not its secure path; for numbers you publish, rebuild \
                     with `OPENSSL_NO_VENDOR=1 cargo build --release -p agentstat --features \
                     dp-openssl` (links the system libssl)."
                );
            }
            Some(DpOptions {
                epsilon,
                max_sessions_per_user: max_sessions,
            })
        }
    })
}

/// Reads and pools facets files (files, directories, globs: one dataset); a session present in
/// several files counts once.
pub(crate) fn read_pooled(paths: &[PathBuf]) -> Result<Vec<Facet>, Box<dyn std::error::Error>> {
    let data = agentstat_facets::dataset::read_dataset(paths, Default::default())?;
    for w in &data.warnings {
        eprintln!("agentstat: warning: {w}");
    }
    let dups = data.duplicates();
    if dups > 0 {
        eprintln!("agentstat: {dups} duplicate session(s) across the input files counted once");
    }
    Ok(data.facets)
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
    // Each cell is split into slots (value, SE, interval, counts) that are aligned separately,
    // so values line up whatever the width of their interval.
    let mut grid: Vec<Vec<[String; SLOTS]>> = vec![header.into_iter().map(one_slot).collect()];
    for row in &t.rows {
        let mut line = vec![one_slot(row.label.clone())];
        for (i, c) in row.cells.iter().enumerate() {
            let unit = t.columns.get(i).map_or("", |c| c.unit.as_str());
            line.push(cell_slots(c, unit, !wide));
        }
        if wide {
            let same = row
                .cells
                .windows(2)
                .all(|w| w[0].n_sessions == w[1].n_sessions && w[0].n_users == w[1].n_users);
            line.push(one_slot(match (same, row.cells.first()) {
                // Counts below the threshold are not printed either.
                (true, Some(c)) if c.suppressed => "< k".into(),
                (true, Some(c)) => format!("{}/{}", c.n_sessions, c.n_users),
                _ => "varies".into(),
            }));
        }
        grid.push(line);
    }
    let ncols = grid.iter().map(Vec::len).max().unwrap_or(0);
    let width = |s: &str| s.chars().count();
    // Slot widths per column (data rows only; the header spans the whole column).
    let slot_w: Vec<[usize; SLOTS]> = (0..ncols)
        .map(|i| {
            let mut w = [0usize; SLOTS];
            for r in grid.iter().skip(1) {
                if let Some(c) = r.get(i) {
                    for (j, x) in c.iter().enumerate() {
                        w[j] = w[j].max(width(x));
                    }
                }
            }
            w
        })
        .collect();
    let inner = |w: &[usize; SLOTS]| -> usize {
        let used: Vec<usize> = w.iter().copied().filter(|&x| x > 0).collect();
        used.iter().sum::<usize>() + used.len().saturating_sub(1)
    };
    let widths: Vec<usize> = (0..ncols)
        .map(|i| {
            inner(&slot_w[i]).max(width(
                &grid[0].get(i).map_or(String::new(), |c| c[0].clone()),
            ))
        })
        .collect();
    for (ri, line) in grid.iter().enumerate() {
        let mut out = String::new();
        for (i, cell) in line.iter().enumerate() {
            let text = if ri == 0 || i == 0 {
                cell[0].clone()
            } else {
                // Value right-aligned in its slot, the other slots left-aligned after it.
                let mut parts = Vec::new();
                for (j, x) in cell.iter().enumerate() {
                    let w = slot_w[i][j];
                    if w == 0 {
                        continue;
                    }
                    let pad = " ".repeat(w - width(x));
                    parts.push(if j == 0 {
                        format!("{pad}{x}")
                    } else {
                        format!("{x}{pad}")
                    });
                }
                parts.join(" ")
            };
            let pad = " ".repeat(widths[i].saturating_sub(width(&text)));
            if i == 0 {
                out.push_str(&text);
                out.push_str(&pad);
            } else {
                out.push_str("  ");
                out.push_str(&pad);
                out.push_str(&text);
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

/// Slots of a printed cell: value, SE, interval, counts.
const SLOTS: usize = 4;

fn one_slot(s: String) -> [String; SLOTS] {
    [s, String::new(), String::new(), String::new()]
}

/// `31.2% [28.1, 34.4] n=87/38`; `suppressed` below the threshold; `—` when not estimable.
#[cfg(test)]
fn format_cell(c: &Cell, unit: &str, detail: bool) -> String {
    cell_slots(c, unit, detail)
        .iter()
        .filter(|x| !x.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A cell as its slots (see [`SLOTS`]); empty strings for what it does not show.
fn cell_slots(c: &Cell, unit: &str, detail: bool) -> [String; SLOTS] {
    if c.suppressed {
        return one_slot("suppressed".into());
    }
    let Some(v) = c.value else {
        return one_slot("—".into());
    };
    // A coefficient column may hold plain numbers too (a mean, an observation count).
    let value = if unit == "coef" && c.se.is_none() && v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format_value(v, unit)
    };
    let mut out = one_slot(value);
    if unit == "coef" {
        if let Some(se) = c.se {
            out[1] = format!("({se:.4})");
        }
    }
    if detail {
        if let (Some(lo), Some(hi)) = (c.ci_low, c.ci_high) {
            out[2] = format!("[{}, {}]", format_value(lo, unit), format_value(hi, unit));
        }
        out[3] = format!("n={}/{}", c.n_sessions, c.n_users);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values line up (their `%` in one column) whatever the width of their interval, and the
    /// rows are as wide as the header rule.
    #[test]
    fn values_align_when_cells_are_wider_than_the_header() {
        use agentstat_stats::results::{Column, Row};
        let cell = |v: f64, lo: f64, hi: f64, n: u64| Cell {
            value: Some(v),
            ci_low: Some(lo),
            ci_high: Some(hi),
            n_sessions: n,
            n_users: n,
            ..Default::default()
        };
        let t = Table {
            id: "t".into(),
            columns: vec![Column {
                key: "s".into(),
                label: "Share".into(),
                unit: "share".into(),
            }],
            rows: vec![
                Row {
                    label: "Plan".into(),
                    cells: vec![cell(0.054, 0.01, 0.143, 2)],
                },
                Row {
                    label: "Fix".into(),
                    cells: vec![cell(0.351, 0.202, 0.501, 13)],
                },
                Row {
                    label: "Build".into(),
                    cells: vec![cell(0.243, 0.014, 0.472, 9)],
                },
                Row {
                    label: "Other".into(),
                    cells: vec![Cell {
                        suppressed: true,
                        ..Default::default()
                    }],
                },
            ],
            ..Default::default()
        };
        let mut s = String::new();
        render_table(&mut s, &t);
        let lines: Vec<&str> = s.lines().skip(1).collect();
        let rule = lines[1].chars().count();
        assert!(
            lines[0].ends_with("Share") && lines[0].chars().count() == rule,
            "{s}"
        );
        let ends: Vec<usize> = lines[2..5].iter().map(|l| l.find('%').unwrap()).collect();
        assert!(ends.iter().all(|&e| e == ends[0]), "{s}");
        assert!(lines[2..5].iter().all(|l| l.chars().count() <= rule), "{s}");
        let opens: Vec<usize> = lines[2..5].iter().map(|l| l.find('[').unwrap()).collect();
        assert!(opens.iter().all(|&e| e == opens[0]), "{s}");
    }

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
