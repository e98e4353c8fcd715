//! `agentstat agree A.parquet B.parquet [--min-users K] [--personal] [--json]`: how far two
//! label sets for the same sessions agree (e.g. an LLM backend against the heuristic, or a
//! classifier against hand labels written as a facets file).
//!
//! The computation is `agentstat_stats::agreement` (docs/AGREEMENT.md); this file reads the
//! files, chooses the suppression rule exactly as `stats` and `report` do
//! (`agentstat_stats::privacy::decide_mode` over both files' sessions), and prints a table or
//! the JSON document.

use super::CmdResult;
use crate::privacy_args::PrivacyArgs;
use agentstat_stats::agreement::{agree, Agreement, LabelAgreement, LabelKind};
use agentstat_stats::privacy::{keys_phrase, ModeDecision};
use agentstat_stats::results::Cell;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub struct Args {
    /// The first facets file (rows of the confusion matrices).
    #[arg(value_name = "A")]
    pub a: PathBuf,
    /// The second facets file (columns of the confusion matrices).
    #[arg(value_name = "B")]
    pub b: PathBuf,
    #[command(flatten)]
    pub privacy: PrivacyArgs,
    /// Print the agreement document as JSON (docs/AGREEMENT.md).
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> CmdResult {
    let a = agentstat_facets::parquet::read_facets(&args.a)?;
    let b = agentstat_facets::parquet::read_facets(&args.b)?;
    let all: Vec<agentstat_facets::Facet> = a.iter().chain(&b).cloned().collect();
    let mode = args.privacy.decide(&all);
    drop(all);
    let mut r = agree(&a, &b, &mode.threshold);
    r.generated_by = format!("agentstat {}", env!("CARGO_PKG_VERSION"));
    for (n, path) in [
        (r.join.duplicate_keys_a, &args.a),
        (r.join.duplicate_keys_b, &args.b),
    ] {
        if n > 0 {
            eprintln!(
                "agentstat: {}: {n} row(s) repeat a session_key already in the file; the first \
                 row of each session was used",
                path.display()
            );
        }
    }
    let text = if args.json {
        serde_json::to_string_pretty(&r)? + "\n"
    } else {
        render_text(&r, &args, &mode)
    };
    super::write_stdout(&text)?;
    Ok(ExitCode::SUCCESS)
}

pub const SUPPRESSED: &str = "suppressed";

/// A count cell.
fn count(c: &Cell) -> String {
    match (c.suppressed, c.value) {
        (true, _) => SUPPRESSED.into(),
        (false, Some(v)) => format!("{v:.0}"),
        (false, None) => "-".into(),
    }
}

fn opt<F: Fn(&Cell) -> String>(c: &Option<Cell>, f: F) -> String {
    c.as_ref().map_or_else(|| "".into(), f)
}

/// A share as a percentage.
fn pct(c: &Cell) -> String {
    match (c.suppressed, c.value) {
        (true, _) => SUPPRESSED.into(),
        (false, Some(v)) => format!("{:.1}%", 100.0 * v),
        (false, None) => "-".into(),
    }
}

/// A coefficient with its interval when there is one; "undefined" when there is none.
fn coef(c: &Cell) -> String {
    match (c.suppressed, c.value) {
        (true, _) => SUPPRESSED.into(),
        (false, Some(v)) => match (c.ci_low, c.ci_high) {
            (Some(l), Some(h)) => format!("{v:.3} [{l:.3}, {h:.3}]"),
            _ => format!("{v:.3}"),
        },
        (false, None) => "undefined".into(),
    }
}

fn num(c: &Cell, digits: usize) -> String {
    match (c.suppressed, c.value) {
        (true, _) => SUPPRESSED.into(),
        (false, Some(v)) => format!("{v:.digits$}"),
        (false, None) => "undefined".into(),
    }
}

/// Left-aligned first column, right-aligned others.
fn table(out: &mut String, rows: &[Vec<String>]) {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in rows {
        let mut line = String::new();
        for (c, s) in r.iter().enumerate() {
            let pad = width[c] - s.chars().count();
            if c == 0 {
                line.push_str(s);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str("  ");
                line.push_str(&" ".repeat(pad));
                line.push_str(s);
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// The document as readable tables.
pub fn render_text(r: &Agreement, args: &Args, mode: &ModeDecision) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "{}", r.generated_by);
    let _ = writeln!(s, "A: {}", args.a.display());
    let _ = writeln!(s, "B: {}", args.b.display());
    let _ = writeln!(
        s,
        "Sessions: {} in both files, {} only in A, {} only in B",
        count(&r.join.both),
        count(&r.join.only_a),
        count(&r.join.only_b)
    );
    if r.privacy.personal_mode && mode.by_request {
        let _ = writeln!(
            s,
            "Thresholds off at your request ({}): nothing is suppressed.",
            keys_phrase(mode.user_keys, mode.unidentified)
        );
    } else if r.privacy.personal_mode {
        let _ = writeln!(
            s,
            "Personal mode: one person's own sessions; distinct-user thresholds do not apply."
        );
    } else {
        let _ = writeln!(
            s,
            "Privacy: numbers resting on fewer than {} distinct people are suppressed, zero counts \
             (no one) included, and so are numbers that would let one be recovered ({} \
             suppressed).",
            r.privacy.min_users, r.privacy.suppressed_cells
        );
    }
    if let Some(m) = r.labels.iter().find_map(|l| l.kappa_se.as_deref()) {
        let _ = writeln!(s, "Kappa intervals: 95%, standard errors {m}.");
    }

    let cats: Vec<&LabelAgreement> = r
        .labels
        .iter()
        .filter(|l| l.kind != LabelKind::Numeric)
        .collect();
    let mut rows = vec![vec![
        "label".to_string(),
        "compared".into(),
        "excluded".into(),
        "agreement".into(),
        "kappa [95% CI]".into(),
    ]];
    for l in &cats {
        rows.push(vec![
            l.name.clone(),
            count(&l.compared),
            count(&l.excluded),
            opt(&l.agreement, pct),
            opt(&l.kappa, coef),
        ]);
    }
    s.push_str("\nCategorical labels (A vs B)\n");
    table(&mut s, &rows);

    let mut rows = vec![vec![
        "ordinal label".to_string(),
        "on scale".into(),
        "within one".into(),
        "quadratic kappa [95% CI]".into(),
    ]];
    for l in cats.iter().filter(|l| l.kind == LabelKind::Ordinal) {
        rows.push(vec![
            l.name.clone(),
            opt(&l.ordinal_compared, count),
            opt(&l.within_one, pct),
            opt(&l.weighted_kappa, coef),
        ]);
    }
    s.push_str("\nOrdinal labels\n");
    table(&mut s, &rows);

    let mut rows = vec![vec![
        "numeric label".to_string(),
        "compared".into(),
        "excluded".into(),
        "Spearman".into(),
        "mean |A-B|".into(),
    ]];
    for l in r.labels.iter().filter(|l| l.kind == LabelKind::Numeric) {
        let digits = if l.key == "task_value_usd" { 0 } else { 3 };
        rows.push(vec![
            l.name.clone(),
            count(&l.compared),
            count(&l.excluded),
            opt(&l.spearman, |c| num(c, 3)),
            opt(&l.mean_abs_diff, |c| num(c, digits)),
        ]);
    }
    s.push_str("\nNumeric labels\n");
    table(&mut s, &rows);

    s.push_str(
        "\nexcluded: in both files, but the label is missing (session not classified) or errored \
         in either file; for the decision shares also sessions without decisions of that kind.\n",
    );
    for l in &r.labels {
        for n in &l.notes {
            let _ = writeln!(s, "{}: {n}", l.name);
        }
    }

    s.push_str("\nConfusion matrices (rows: A, columns: B)\n");
    for l in &cats {
        let _ = writeln!(s, "\n{}", l.name);
        // Categories whose row and column are suppressed throughout (or empty) say nothing:
        // left out of the text (the JSON lists them).
        let shown: Vec<usize> = (0..l.categories.len())
            .filter(|&i| {
                let open = |c: &Cell| !c.suppressed && c.value.is_some_and(|v| v > 0.0);
                l.confusion[i].iter().any(open) || l.confusion.iter().any(|row| open(&row[i]))
            })
            .collect();
        if shown.is_empty() {
            s.push_str(if l.categories.is_empty() {
                "  no session compared\n"
            } else {
                "  every cell suppressed\n"
            });
            continue;
        }
        let mut rows = vec![std::iter::once("A \\ B".to_string())
            .chain(shown.iter().map(|&j| l.categories[j].clone()))
            .collect::<Vec<_>>()];
        for &i in &shown {
            rows.push(
                std::iter::once(l.categories[i].clone())
                    .chain(shown.iter().map(|&j| count(&l.confusion[i][j])))
                    .collect(),
            );
        }
        table(&mut s, &rows);
        let hidden = l.categories.len() - shown.len();
        if hidden > 0 && !r.privacy.personal_mode {
            let _ = writeln!(
                s,
                "  ({hidden} categories with no published session in their row or column not shown)"
            );
        }
    }
    s
}
