//! Your figures beside the study's published ones.
//!
//! Study values are the ones `rubric.md` and the study tables of this repository quote
//! (codebase relation 48 / 17 / 14 / about 20%; users make about 70% of planning and about 20%
//! of execution decisions). Where the rubric gives no study value (work-mode shares, verified
//! success rate, actions and words per prompt) the study cell is empty and the page says "not
//! published": no figure is made up.

use super::interval::mean_t95;
use super::{base, col, share_cell, users, Obs, ACTIVITY_ID, STUDY_ID};
use crate::descriptive::{geometric_mean, quantile};
use crate::results::{Cell, Chart, Row, Table};
use agentstat_facets::{CodebaseRelation, Facet, WorkMode};

/// Where the study values come from (shown under the table).
pub const SOURCE: &str = "Study values as quoted in the measurement rubric (rubric.md §3.2–3.3): codebase relation 48% / 17% / 14% / about 20%; users make about 70% of planning and about 20% of execution decisions.";

/// One published value, as a cell of the `study` column (no counts: not from your sessions).
fn published(v: Option<f64>) -> Cell {
    Cell {
        value: v,
        ..Default::default()
    }
}

/// The shares table (drawn) and the per-prompt activity table (numbers only).
pub fn tables(obs: &[Obs], k: u32) -> Vec<Table> {
    let mut t = base(
        STUDY_ID,
        "You beside the study",
        Chart::Points,
        vec![
            col("you", "your sessions", "proportion"),
            col("study", "the study (published)", "proportion"),
        ],
    );
    let flag = |f: &dyn Fn(&Obs) -> Option<bool>| -> Cell {
        let v: Vec<(bool, u32)> = obs
            .iter()
            .filter_map(|o| f(o).map(|y| (y, o.user)))
            .collect();
        share_cell(&v, k)
    };
    let relation = |r: CodebaseRelation| {
        move |o: &Obs| {
            o.facet
                .labels
                .as_ref()
                .and_then(|l| l.codebase_relation.value)
                .map(|x| x == r)
        }
    };
    let rows: Vec<(&str, Cell, Option<f64>)> = vec![
        ("Verified success", flag(&|o| o.verified), None),
        ("Hit trouble", flag(&|o| o.trouble), None),
        (
            "Fix sessions",
            flag(&|o| {
                o.facet
                    .labels
                    .as_ref()
                    .and_then(|l| l.work_mode.value)
                    .map(|m| m == WorkMode::Fix)
            }),
            None,
        ),
        (
            "Modify existing code",
            flag(&relation(CodebaseRelation::Modify)),
            Some(0.48),
        ),
        (
            "Explore existing code",
            flag(&relation(CodebaseRelation::Explore)),
            Some(0.17),
        ),
        (
            "Create new code from scratch",
            flag(&relation(CodebaseRelation::Create)),
            Some(0.14),
        ),
        (
            "No codebase",
            flag(&relation(CodebaseRelation::NoCodebase)),
            Some(0.20),
        ),
        (
            "Planning decisions made by you",
            mean_share(obs, k, |d| d.user_planning_share()),
            Some(0.70),
        ),
        (
            "Execution decisions made by you",
            mean_share(obs, k, |d| d.user_execution_share()),
            Some(0.20),
        ),
    ];
    for (label, you, study) in rows {
        t.rows.push(Row {
            label: label.into(),
            cells: vec![you, published(study)],
        });
    }
    t.reading = study_reading(&t);
    t.notes.push(SOURCE.into());
    t.notes.push("Verified success is among sessions with a clear goal; hit trouble is a failure signal of 3 or more; Fix is the work mode; the decision rows are the mean over sessions of your share of the planning (execution) decisions.".into());
    t.notes.push("The rubric quotes no study value for verified success, trouble or the share of Fix sessions, so none is shown (\"not published\").".into());
    t.notes.push("Your shares carry Wilson 95% intervals over your sessions; decision shares are means over sessions with a t interval. The study's figures are over about 400,000 sessions of many people, so they have no visible interval.".into());
    vec![t, activity(obs, k)]
}

/// Mean of a per-session share of decisions, with a t interval clipped to [0, 1].
fn mean_share(obs: &[Obs], k: u32, f: fn(&agentstat_facets::Decisions) -> Option<f64>) -> Cell {
    let v: Vec<(f64, u32)> = obs
        .iter()
        .filter_map(|o| {
            let d = o.facet.labels.as_ref()?.decisions.value?;
            f(&d).map(|x| (x, o.user))
        })
        .collect();
    mean_cell(&v, k, Some((0.0, 1.0)))
}

fn mean_cell(v: &[(f64, u32)], k: u32, clip: Option<(f64, f64)>) -> Cell {
    let n = v.len() as u64;
    let n_users = users(v.iter().map(|x| x.1));
    if n == 0 {
        return Cell::default();
    }
    if n_users < u64::from(k) {
        return super::suppressed(n, n_users);
    }
    let xs: Vec<f64> = v.iter().map(|x| x.0).collect();
    let m = xs.iter().sum::<f64>() / n as f64;
    let (se, lo, hi) = match mean_t95(&xs) {
        Some((_, se, lo, hi)) => {
            let (lo, hi) = clip.map_or((lo, hi), |(a, b)| (lo.max(a), hi.min(b)));
            (Some(se), Some(lo), Some(hi))
        }
        // One session, or all equal: no interval ("too few sessions"), never a zero-width one.
        None => (None, None, None),
    };
    Cell {
        value: Some(m),
        se,
        ci_low: lo,
        ci_high: hi,
        p_value: None,
        n_sessions: n,
        n_users,
        suppressed: false,
        class: crate::results::OutputClass::Mean,
        withheld: None,
        residual_df: None,
        isolates_group: None,
    }
}

fn study_reading(t: &Table) -> String {
    let mut parts = Vec::new();
    for r in &t.rows {
        let (Some(you), Some(study)) = (r.cells[0].value, r.cells[1].value) else {
            continue;
        };
        // Only the clear gaps: the study value outside your interval.
        let (Some(lo), Some(hi)) = (r.cells[0].ci_low, r.cells[0].ci_high) else {
            continue;
        };
        if study < lo || study > hi {
            parts.push(format!(
                "{} {:.0}% against the study's {:.0}%",
                lower(&r.label),
                you * 100.0,
                study * 100.0
            ));
        }
    }
    if parts.is_empty() {
        "Where the study published a figure, yours is within the range your sessions allow (the study's value lies inside your 95% interval).".into()
    } else {
        format!(
            "Where you differ clearly from the study: {}.",
            parts.join("; ")
        )
    }
}

fn lower(s: &str) -> String {
    let s = s.split(" (").next().unwrap_or(s);
    let mut s = s.to_string();
    if let Some(f) = s.get_mut(0..1) {
        f.make_ascii_lowercase();
    }
    s
}

/// Actions and output words per prompt: median and geometric mean over your sessions (the
/// study's Fig. 3 draws the same per expertise level; the rubric quotes only its slopes, +9%
/// and +13% per level, which are in Fig. 3 of this page, not levels).
fn activity(obs: &[Obs], k: u32) -> Table {
    let mut t = base(
        ACTIVITY_ID,
        "Your activity per prompt",
        Chart::None,
        vec![
            col("median", "median", "per prompt"),
            col("geomean", "geometric mean", "per prompt"),
            col("p25", "p25", "per prompt"),
            col("p75", "p75", "per prompt"),
        ],
    );
    for (label, f) in [
        (
            "Actions (tool calls) per prompt",
            (|f: &Facet| f.telemetry.actions_per_prompt) as fn(&Facet) -> f64,
        ),
        ("Output words per prompt", |f: &Facet| {
            f.telemetry.words_per_prompt
        }),
    ] {
        let v: Vec<f64> = obs
            .iter()
            .map(|o| f(o.facet))
            .filter(|x| x.is_finite())
            .collect();
        let n = v.len() as u64;
        let n_users = users(obs.iter().map(|o| o.user));
        let cell = |x: Option<f64>| -> Cell {
            if n_users < u64::from(k) {
                return super::suppressed(n, n_users);
            }
            Cell {
                value: x,
                n_sessions: n,
                n_users,
                ..Default::default()
            }
        };
        t.rows.push(Row {
            label: label.into(),
            cells: vec![
                cell(quantile(&v, 0.5)),
                cell(geometric_mean(&v).map(|g| g.value)),
                cell(quantile(&v, 0.25)),
                cell(quantile(&v, 0.75)),
            ],
        });
    }
    t.reading = match (t.rows[0].cells[0].value, t.rows[1].cells[0].value) {
        (Some(a), Some(w)) => format!(
            "In a typical session the agent made {a:.1} tool calls and wrote {w:.0} words per prompt you typed (medians)."
        ),
        _ => String::new(),
    };
    t.notes.push("The rubric quotes no study level for actions or words per prompt, only how they grow with expertise (+9% actions and +13% output per level; Fig. 3 below estimates yours), so no study column is shown.".into());
    t.notes
        .push("The geometric mean leaves out sessions with a value of zero.".into());
    t
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use agentstat_facets::{Decisions, Label};

    #[test]
    fn study_values_are_the_quoted_ones_and_unknown_ones_stay_empty() {
        let mut f: Vec<Facet> = (0..10).map(|_| ok()).collect();
        for (i, x) in f.iter_mut().enumerate() {
            let l = x.labels.as_mut().unwrap();
            let p = l.decisions.provenance.clone();
            // The user makes 1 of 4 planning decisions in every session but one (2 of 5): mean 0.265.
            l.decisions = Label::ok(
                Decisions {
                    planning_user: if i == 0 { 2 } else { 1 },
                    planning_agent: 3,
                    execution_user: 0,
                    execution_agent: 2,
                },
                p,
            );
        }
        let o = obs(&f);
        let t = &tables(&o, 0)[0];
        let get = |label: &str| t.rows.iter().find(|r| r.label == label).unwrap();
        assert_eq!(get("Modify existing code").cells[1].value, Some(0.48));
        assert_eq!(get("Modify existing code").cells[0].value, Some(1.0));
        assert_eq!(get("No codebase").cells[1].value, Some(0.20));
        assert_eq!(
            get("Planning decisions made by you").cells[1].value,
            Some(0.70)
        );
        // The rubric quotes no study value for these: none is made up.
        for l in ["Verified success", "Hit trouble", "Fix sessions"] {
            assert_eq!(get(l).cells[1].value, None, "{l}");
        }
        let plan = get("Planning decisions made by you").cells[0];
        assert!((plan.value.unwrap() - 0.265).abs() < 1e-12);
        assert!(plan.ci_low.unwrap() < 0.265 && plan.ci_high.unwrap() > 0.265);
        // Execution shares are all 0: no spread, so no interval rather than [0, 0].
        let exe = get("Execution decisions made by you").cells[0];
        assert_eq!(
            (exe.value, exe.ci_low, exe.ci_high),
            (Some(0.0), None, None)
        );
        assert!(
            t.reading
                .contains("modify existing code 100% against the study's 48%"),
            "{}",
            t.reading
        );
        assert!(
            t.reading
                .contains("planning decisions made by you 26% against the study's 70%"),
            "{}",
            t.reading
        );
        let a = &tables(&o, 0)[1];
        assert_eq!(a.id, ACTIVITY_ID);
        assert!(a.notes.iter().any(|n| n.contains("no study column")));
    }
}
