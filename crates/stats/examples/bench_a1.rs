//! Benchmark: Table A1's preferred column on a synthetic facets-shaped CSV.
//!
//! `cargo run --release -p agentstat-stats --example bench_a1 -- data.csv [repeats] [fine]`
//! (scripts/bench/bench_a1.py generates the data, runs this and pyfixest, prints a table).
//! Prints one JSON line: load and fit seconds (best of `repeats`), peak RSS, and the estimate.
//! `fine` absorbs work mode × value band × month as one factor (~900 cells) instead of
//! work mode × value band and month separately.

use agentstat_stats::regression::{fit, Design, Factor, FitOptions};
use std::collections::HashMap;
use std::time::Instant;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: bench_a1 DATA.csv [REPEATS] [fine]");
        std::process::exit(2);
    };
    let repeats: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(3);
    let fine = args.get(3).is_some_and(|s| s == "fine");

    let t0 = Instant::now();
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(1)
    });
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap_or_default()
        .split(',')
        .map(str::to_string)
        .collect();
    let mut cols: Vec<Vec<f64>> = vec![Vec::with_capacity(1 << 20); header.len()];
    for (ln, line) in lines.enumerate() {
        for (j, field) in line.split(',').enumerate() {
            let v = field.parse::<f64>().unwrap_or_else(|e| {
                eprintln!("{path}:{}: column {}: {field:?}: {e}", ln + 2, j + 1);
                std::process::exit(1)
            });
            cols[j].push(v);
        }
    }
    drop(text);
    let data: HashMap<String, Vec<f64>> = header.into_iter().zip(cols).collect();
    let col = |n: &str| -> &[f64] {
        data.get(n).unwrap_or_else(|| {
            eprintln!("{path}: no column {n}");
            std::process::exit(1)
        })
    };
    let codes = |n: &str| -> Vec<u32> { col(n).iter().map(|&v| v as u32).collect() };
    let load_s = t0.elapsed().as_secs_f64();

    let mut best = f64::INFINITY;
    let mut last = None;
    let mut fe_levels = None;
    for _ in 0..repeats.max(1) {
        let t = Instant::now();
        // Factor construction is part of the work pyfixest does too (it factorizes strings/ints).
        let mode_band = Factor::interact(
            "mode^band",
            &Factor::from_codes("mode", &codes("mode")),
            &Factor::from_codes("band", &codes("band")),
        );
        let tier_len = Factor::interact(
            "tier^len",
            &Factor::from_codes("tier", &codes("tier")),
            &Factor::from_codes("len", &codes("len")),
        );
        let month = Factor::from_codes("month", &codes("month"));
        let mut fes = Vec::with_capacity(5);
        if fine {
            fes.push(Factor::interact("mode^band^month", &mode_band, &month));
        } else {
            fes.push(mode_band);
            fes.push(month);
        }
        fes.push(Factor::from_codes("occ_work", &codes("occ_work")));
        fes.push(Factor::from_codes("occ_prof", &codes("occ_prof")));
        fes.push(tier_len);
        let fe_levels_now: usize = fes.iter().map(|f| f.n_levels()).sum();
        let users = codes("user");
        let design = Design {
            y: col("y"),
            x: vec![
                ("expertise".into(), col("expertise")),
                ("ln_calls".into(), col("ln_calls")),
                ("ln_turns".into(), col("ln_turns")),
            ],
            fixed_effects: fes.iter().collect(),
            cluster: &users,
            intercept: true,
        };
        let f = fit(&design, &FitOptions::default()).unwrap_or_else(|e| {
            eprintln!("fit failed: {e}");
            std::process::exit(1)
        });
        best = best.min(t.elapsed().as_secs_f64());
        fe_levels = Some(fe_levels_now);
        last = Some(f);
    }
    let f = last.expect("at least one repeat");
    let e = f.coef("expertise").expect("expertise estimated");
    println!(
        "{{\"engine\":\"agentstat\",\"load_s\":{load_s:.3},\"fit_s\":{best:.3},\"peak_rss_mb\":{:.0},\"n_obs\":{},\"n_clusters\":{},\"fe_levels\":{},\"iterations\":{},\"expertise\":{:.10},\"expertise_se\":{:.10}}}",
        peak_rss_mb(),
        f.n_obs,
        f.n_clusters,
        fe_levels.expect("at least one repeat"),
        f.iterations,
        e.estimate,
        e.se
    );
}
