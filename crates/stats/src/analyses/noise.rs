//! Differential privacy on Fig. 1's shares and Fig. 2's means (feature `dp`).

use super::fig1::{reading_codebase, reading_work_mode};
use super::fig2::reading_decision_means;
use super::prelude::*;
use super::DpOptions;

/// Which published cells get noise: Fig. 1's composition shares and Fig. 2's mean decision
/// shares. One release per published cell; ε is split evenly.
pub(crate) fn dp_targets(tables: &[Table]) -> usize {
    tables
        .iter()
        .filter(|t| DP_TABLES.contains(&t.id.as_str()))
        .flat_map(|t| &t.rows)
        .filter(|r| r.cells[0].value.is_some())
        .count()
}

pub(crate) const DP_TABLES: [&str; 3] = [
    "fig1_work_mode",
    "fig1_codebase_relation",
    "fig2_user_decision_share",
];

/// Replaces the targeted cells by OpenDP releases (no intervals: the clustered CI of the exact
/// share does not describe a noisy one) and returns the budget ledger. Without the `dp`
/// feature, or when a release fails, the cell is withheld (`value: None`) and the ledger's
/// mechanism says why: an exact number is never published under a DP label.
pub(crate) fn apply_dp(
    tables: &mut [Table],
    all: &[&Obs],
    th: &Threshold,
    dp: DpOptions,
) -> crate::results::DpLedger {
    let n = dp_targets(tables).max(1);
    let eps = dp.epsilon / n as f64;
    let mut budget = crate::dp::Budget::new(dp.epsilon, dp.max_sessions_per_user).ok();
    let mut failures: Vec<String> = Vec::new();
    for t in tables
        .iter_mut()
        .filter(|t| DP_TABLES.contains(&t.id.as_str()))
    {
        let id = t.id.clone();
        for row in &mut t.rows {
            let cell = &mut row.cells[0];
            if cell.value.is_none() {
                continue;
            }
            let what = format!("{id} / {}", row.label);
            let noisy = match budget.as_mut() {
                Some(b) => release(b, &id, &row.label, all, eps, &what),
                None => Err("invalid DP options (ε must be > 0, max sessions ≥ 1)".into()),
            };
            *cell = Cell {
                value: None,
                se: None,
                ci_low: None,
                ci_high: None,
                p_value: None,
                ..*cell
            };
            match noisy {
                Ok(v) => cell.value = v,
                Err(e) => failures.push(format!("{what}: {e}")),
            }
        }
        t.reading = match id.as_str() {
            "fig1_work_mode" => reading_work_mode(t, th),
            "fig1_codebase_relation" => reading_codebase(t, th),
            _ => reading_decision_means(t, th),
        };
        t.notes.push(format!(
            "Values carry differential-privacy noise (ε = {eps:.4} per cell, at most {} \
             sessions per person); no interval is shown for noisy values.",
            dp.max_sessions_per_user
        ));
    }
    let mut ledger = match budget {
        Some(b) => b.into_ledger(),
        None => crate::results::DpLedger {
            total_epsilon: dp.epsilon,
            max_sessions_per_user: dp.max_sessions_per_user,
            ..Default::default()
        },
    };
    if ledger.mechanism.is_empty() {
        ledger.mechanism = "OpenDP Laplace (discrete for counts), user-level bounding".into();
    }
    if !failures.is_empty() {
        ledger.mechanism = format!(
            "{}; {} release(s) withheld: {}",
            ledger.mechanism,
            failures.len(),
            failures.join("; ")
        );
    }
    ledger
}

/// One noisy release for a Fig. 1 / Fig. 2 row.
#[cfg(feature = "dp")]
pub(crate) fn release(
    b: &mut crate::dp::Budget,
    id: &str,
    label: &str,
    all: &[&Obs],
    eps: f64,
    what: &str,
) -> Result<Option<f64>, String> {
    let (flags_or_values, users): (Vec<f64>, Vec<u32>) = match id {
        "fig1_work_mode" => all
            .iter()
            .filter(|o| o.mode.is_some())
            .map(|o| {
                (
                    f64::from(u8::from(o.mode.map(WorkMode::as_str) == Some(label))),
                    o.user,
                )
            })
            .unzip(),
        "fig1_codebase_relation" => all
            .iter()
            .filter(|o| o.relation.is_some())
            .map(|o| {
                let hit = o.relation.map(CodebaseRelation::as_str) == Some(label);
                (f64::from(u8::from(hit)), o.user)
            })
            .unzip(),
        _ => all
            .iter()
            .filter_map(|o| {
                let d = o.decisions?;
                let v = if label == "Planning" {
                    d.user_planning_share()
                } else {
                    d.user_execution_share()
                };
                v.map(|v| (v, o.user))
            })
            .unzip(),
    };
    b.mean(what, &flags_or_values, &users, (0.0, 1.0), eps)
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "dp"))]
pub(crate) fn release(
    _b: &mut crate::dp::Budget,
    _id: &str,
    _label: &str,
    _all: &[&Obs],
    _eps: f64,
    _what: &str,
) -> Result<Option<f64>, String> {
    Err("this build has no differential privacy (cargo feature `dp`)".into())
}
