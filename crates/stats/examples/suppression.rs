//! Suppression benchmark (issue 12, docs/bench/suppression.md): how much of a team report is
//! published under the privacy rules, on real uneven teams cut from a facets file.
//!
//! `cargo run -p agentstat-stats --example suppression -- FACETS.parquet [--sizes 5,10,13,20,30]
//! [--detail N:K] [--write N PATH]`
//!
//! Teams: the people of the file ranked by interactive sessions (most first, ties by key); a
//! team of N people is the N first of them, so every team holds the heaviest users and is as
//! uneven as the corpus. For each team and k = 3, 5, 10 it runs the analyses under the old
//! rules (`Rules::legacy()`: every output treated as a count, withdrawal only) and the new ones
//! (`Rules::default()`: output classes, rounding, dominance) and prints the share of cells
//! published, the cells withheld by reason, and whether Table A1, Fig. 1 and Fig. 5 are
//! published. Only counts and salted-key counts are printed, never a key.

use agentstat_facets::parquet::read_facets;
use agentstat_facets::Facet;
use agentstat_stats::analyses::analyse;
use agentstat_stats::privacy::{Rules, Threshold};
use agentstat_stats::results::{Results, Withheld};
use std::collections::HashMap;

struct Row {
    cells: usize,
    published: usize,
    few: usize,
    protection: usize,
    dominance: usize,
    a1: bool,
    fig1: bool,
    fig5: bool,
}

fn measure(r: &Results) -> Row {
    let mut row = Row {
        cells: 0,
        published: 0,
        few: 0,
        protection: 0,
        dominance: 0,
        a1: false,
        fig1: false,
        fig5: false,
    };
    for t in &r.tables {
        for c in t.rows.iter().flat_map(|r| &r.cells) {
            row.cells += 1;
            match (c.suppressed, c.withheld) {
                (false, _) => row.published += 1,
                (true, Some(Withheld::Protection)) => row.protection += 1,
                (true, Some(Withheld::Dominance)) => row.dominance += 1,
                (true, _) => row.few += 1,
            }
        }
    }
    let any = |id: &str, f: &dyn Fn(&agentstat_stats::results::Table) -> bool| {
        r.tables.iter().filter(|t| t.id == id).any(f)
    };
    let has_value = |t: &agentstat_stats::results::Table| {
        t.rows
            .iter()
            .flat_map(|r| &r.cells)
            .any(|c| c.value.is_some())
    };
    row.a1 = any("table_a1", &|t| {
        t.rows
            .first()
            .and_then(|r| r.cells.last())
            .is_some_and(|c| c.value.is_some())
    });
    row.fig1 = any("fig1_work_mode", &has_value) && any("fig1_codebase_relation", &has_value);
    row.fig5 = any("fig5_adjusted_rates", &has_value);
    row
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: suppression FACETS.parquet [--sizes 5,10,20,30,13]");
        std::process::exit(2);
    };
    let sizes: Vec<usize> = args
        .iter()
        .position(|a| a == "--sizes")
        .and_then(|i| args.get(i + 1))
        .map(|s| s.split(',').filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_else(|| vec![5, 10, 13, 20, 30]);
    let detail: Option<(usize, u32)> = args
        .iter()
        .position(|a| a == "--detail")
        .and_then(|i| args.get(i + 1))
        .and_then(|s| s.split_once(':'))
        .and_then(|(n, k)| Some((n.parse().ok()?, k.parse().ok()?)));
    let facets = read_facets(path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(1)
    });
    let mut per_user: HashMap<&str, usize> = HashMap::new();
    for f in facets.iter().filter(|f| f.interactive) {
        *per_user.entry(f.user_key.as_str()).or_default() += 1;
    }
    let mut ranked: Vec<(&str, usize)> = per_user.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    println!(
        "{} people with interactive sessions; sessions per person (ranked): {:?}",
        ranked.len(),
        ranked.iter().map(|r| r.1).collect::<Vec<_>>()
    );
    // `--write N PATH`: the N-person team's facets, for `agentstat report --facets PATH`.
    if let Some(i) = args.iter().position(|a| a == "--write") {
        let n: usize = args.get(i + 1).and_then(|s| s.parse().ok()).unwrap_or(13);
        let out = args
            .get(i + 2)
            .cloned()
            .unwrap_or_else(|| "team.parquet".into());
        let team: std::collections::HashSet<&str> = ranked.iter().take(n).map(|r| r.0).collect();
        let sub: Vec<Facet> = facets
            .iter()
            .filter(|f| team.contains(f.user_key.as_str()))
            .cloned()
            .collect();
        if let Err(e) = agentstat_facets::parquet::write_facets(&out, &sub) {
            eprintln!("{out}: {e}");
            std::process::exit(1);
        }
        eprintln!(
            "wrote the {n}-person team ({} sessions) to {out}",
            sub.len()
        );
    }
    println!(
        "| team | sessions | k | rules | cells | published | fewer than k | protection | dominance | Table A1 | Fig. 1 | Fig. 5 | analyse (s) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for &n in &sizes {
        if n > ranked.len() {
            continue;
        }
        let team: std::collections::HashSet<&str> = ranked[..n].iter().map(|r| r.0).collect();
        let sub: Vec<Facet> = facets
            .iter()
            .filter(|f| team.contains(f.user_key.as_str()))
            .cloned()
            .collect();
        let sessions = sub.iter().filter(|f| f.interactive).count();
        for k in [3u32, 5, 10] {
            for (name, rules) in [("before", Rules::legacy()), ("after", Rules::default())] {
                let th = Threshold::new(k).with_rules(rules);
                let t0 = std::time::Instant::now();
                let r = analyse(&sub, &th);
                let secs = t0.elapsed().as_secs_f64();
                let m = measure(&r);
                if detail == Some((n, k)) {
                    for t in &r.tables {
                        let cells: Vec<_> = t.rows.iter().flat_map(|r| &r.cells).collect();
                        let by =
                            |w: Withheld| cells.iter().filter(|c| c.withheld == Some(w)).count();
                        eprintln!(
                            "{name} {:32} cells {:3} few {:3} protection {:3} dominance {:3}",
                            t.id,
                            cells.len(),
                            by(Withheld::FewPeople),
                            by(Withheld::Protection),
                            by(Withheld::Dominance)
                        );
                    }
                }
                let yn = |b: bool| if b { "yes" } else { "no" };
                println!(
                    "| {n} | {sessions} | {k} | {name} | {} | {} ({:.0}%) | {} | {} | {} | {} | {} | {} | {secs:.2} |",
                    m.cells,
                    m.published,
                    100.0 * m.published as f64 / m.cells.max(1) as f64,
                    m.few,
                    m.protection,
                    m.dominance,
                    yn(m.a1),
                    yn(m.fig1),
                    yn(m.fig5)
                );
            }
        }
    }
}
