//! What to try next, phrased from your own numbers: the habits that go with verified success
//! (clearly, or as a hint), the ones that go with trouble, habits you rarely use (so your data
//! cannot judge them yet), and where you differ from the study. Never a habit the measure
//! itself counts (that association is true by construction).

use super::habits::{lower_first, order, Contrast, Ranked, HABITS};
use super::{base, col, of_sessions, pct, points, share_cell, Obs, ADVICE_ID, MIN_SIDE};
use crate::results::{Cell, Chart, Row, Table};

/// At most this many pieces of advice.
const MAX: usize = 6;
/// A difference smaller than this (10 points) is not worth a hint when its interval spans 0.
const HINT: f64 = 0.10;
/// A habit used in fewer than this share of sessions counts as rarely used.
const RARE: f64 = 0.15;

/// A habit neither the success nor the failure measure counts: anything said about it is not
/// tangled with how the outcome is measured.
fn clean(c: &Contrast) -> bool {
    !c.habit.in_success && !c.habit.in_failure
}

pub fn table(r: &Ranked, obs: &[Obs], vs: &[Table]) -> Table {
    let mut t = base(
        ADVICE_ID,
        "What to try next",
        Chart::None,
        vec![
            col("habit_share", "sessions with the habit", "share"),
            col("difference", "difference with minus without", "pp"),
        ],
    );
    let mut rows: Vec<Row> = Vec::new();
    let share = |c: &Contrast| -> Cell {
        let v: Vec<(bool, u32)> = obs
            .iter()
            .filter_map(|o| (c.habit.has)(o.facet).map(|y| (y, o.user)))
            .collect();
        share_cell(&v, 0)
    };
    let said = |rows: &[Row], name: &str| rows.iter().any(|r| r.label.contains(name));

    // 1. What goes with verified success: clear first, then hints.
    // A habit that also goes with trouble is not advised for success: the two would contradict.
    let troubling = |name: &str| {
        r.trouble.iter().any(|t| {
            t.habit.name == name
                && (t.diff.value.unwrap_or(0.0) >= HINT || t.diff.ci_low.unwrap_or(0.0) > 0.0)
        })
    };
    for c in order(&r.success)
        .into_iter()
        .filter(|c| clean(c) && c.compared() && !troubling(c.habit.name))
    {
        let Some(advice) = c.habit.advice else {
            continue;
        };
        let (d, lo) = (c.diff.value.unwrap_or(0.0), c.diff.ci_low.unwrap_or(0.0));
        let text = if lo > 0.0 {
            format!(
                "Keep doing it: {} — in your sessions that did, {} {} of the time against {} without ({}).",
                advice,
                c.outcome.phrase(),
                pct(c.rate_with.value.unwrap_or(0.0)),
                pct(c.rate_without.value.unwrap_or(0.0)),
                points(&c.diff)
            )
        } else if d >= HINT {
            format!(
                "Worth trying more often: {} — your sessions that did {} {} of the time against {} without ({}; the interval includes no difference, so this is a hint, not yet a finding).",
                advice,
                c.outcome.phrase(),
                pct(c.rate_with.value.unwrap_or(0.0)),
                pct(c.rate_without.value.unwrap_or(0.0)),
                points(&c.diff)
            )
        } else {
            continue;
        };
        rows.push(Row {
            label: text,
            cells: vec![share(c), c.diff],
        });
        if rows.len() >= 2 {
            break;
        }
    }
    // 1b. What clearly goes with less trouble (a habit neither measure counts).
    if let Some(c) = order(&r.trouble)
        .into_iter()
        .rev()
        .find(|c| clean(c) && c.compared() && c.diff.ci_high.is_some_and(|h| h < 0.0))
    {
        if let (Some(advice), false) = (c.habit.advice, said(&rows, c.habit.advice.unwrap_or("-")))
        {
            rows.push(Row {
                label: format!(
                    "Keep doing it: {} — your sessions that did hit trouble {} of the time against {} without ({}).",
                    advice,
                    pct(c.rate_with.value.unwrap_or(0.0)),
                    pct(c.rate_without.value.unwrap_or(0.0)),
                    points(&c.diff)
                ),
                cells: vec![share(c), c.diff],
            });
        }
    }
    // 2. What goes with trouble (or with less success): look at those sessions.
    let warn = order(&r.trouble)
        .into_iter()
        .filter(|c| clean(c) && c.compared())
        .find(|c| c.diff.value.unwrap_or(0.0) >= HINT || c.diff.ci_low.unwrap_or(0.0) > 0.0);
    if let Some(c) = warn {
        rows.push(Row {
            label: format!(
                "Look again at sessions where you {}: they hit trouble {} of the time against {} without ({}). Often it is the kind of task, not the habit; if those tasks were unclear or large, split them or state what counts as done first.",
                lower_first(c.habit.name),
                pct(c.rate_with.value.unwrap_or(0.0)),
                pct(c.rate_without.value.unwrap_or(0.0)),
                points(&c.diff)
            ),
            cells: vec![share(c), c.diff],
        });
    }
    // 3. Habits you rarely or never use: your data cannot judge them.
    for c in r
        .success
        .iter()
        .filter(|c| !c.circular || c.habit.name == "Used plan mode")
    {
        if rows.len() >= MAX - 1 || c.measured < MIN_SIDE {
            continue;
        }
        let s = c.with as f64 / c.measured as f64;
        let flag_habit = HABITS[..5].iter().any(|h| h.name == c.habit.name);
        let Some(advice) = c.habit.advice else {
            continue;
        };
        if !flag_habit || s >= RARE || said(&rows, advice) {
            continue;
        }
        rows.push(Row {
            label: format!(
                "Try to {} now and then: you did so in {}, too few to tell whether it helps you. Re-run the report after a few sessions that do.",
                advice,
                of_sessions(c.with, c.measured)
            ),
            cells: vec![share(c), c.diff],
        });
    }
    // 4. Where you differ clearly from the study (its published figures only).
    if let Some(s) = vs.iter().find(|t| t.id == super::STUDY_ID) {
        for row in &s.rows {
            if rows.len() >= MAX {
                break;
            }
            let (you, study) = (row.cells[0], row.cells[1]);
            let (Some(v), Some(st), Some(lo), Some(hi)) =
                (you.value, study.value, you.ci_low, you.ci_high)
            else {
                continue;
            };
            let text = if row.label.starts_with("Planning decisions") && hi < st {
                format!(
                    "You leave more of the planning to the agent than the study's users: you made {} of the planning decisions in your sessions, the study's users about {}. Say what to build and what counts as done before the agent starts.",
                    pct(v),
                    pct(st)
                )
            } else if row.label.starts_with("Execution decisions") && lo > st {
                format!(
                    "You make more of the execution decisions yourself than the study's users ({} against about {}): try leaving the how (files, code, commands) to the agent and checking the result instead.",
                    pct(v),
                    pct(st)
                )
            } else {
                continue;
            };
            rows.push(Row {
                label: text,
                cells: vec![you, Cell::default()],
            });
        }
    }
    if rows.is_empty() {
        let compared = r
            .success
            .iter()
            .filter(|c| !c.circular && c.compared())
            .count();
        rows.push(Row {
            label: if compared == 0 {
                format!(
                    "Not enough sessions to rank your habits yet: each comparison needs at least {MIN_SIDE} sessions with the habit and {MIN_SIDE} without ({} classified sessions so far). Re-run the report when you have more.",
                    r.sessions
                )
            } else {
                "No habit stands out in your sessions: none goes with verified success or trouble by 10 points or more. Keep the report and compare again in a month.".into()
            },
            cells: vec![Cell::default(), Cell::default()],
        });
    }
    t.rows = rows;
    t.reading = format!(
        "{} suggestion{} from your {} classified sessions, each with the number it rests on.",
        t.rows.len(),
        if t.rows.len() == 1 { "" } else { "s" },
        r.sessions
    );
    t.notes.push("Phrased from associations in your own sessions, not from causes: a habit can go with success because of the kind of task it is used on. Habits the success or failure measure counts (commits, pull requests, tests, rejections, interrupts, plan mode) never make a suggestion from their association; plan mode is only suggested when you rarely use it.".into());
    t
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::{personal_tables, ADVICE_ID};
    use agentstat_facets::Facet;

    fn advice(f: &[Facet]) -> Vec<String> {
        personal_tables(f, 5, true)
            .into_iter()
            .find(|t| t.id == ADVICE_ID)
            .unwrap()
            .rows
            .into_iter()
            .map(|r| r.label)
            .collect()
    }

    #[test]
    fn a_clear_association_is_advised_with_its_numbers() {
        let mut f = Vec::new();
        for i in 0..20u32 {
            let good = i < 10;
            let mut x = if good { ok() } else { failed() };
            x.session_key = format!("s{i}");
            x.habits = Some(flags((good && i < 8) || (!good && i >= 18), 0.0));
            // Commits only in successes: circular, never advice.
            x.telemetry.git_commits = u32::from(good);
            f.push(x);
        }
        let a = advice(&f);
        assert!(
            a[0].starts_with("Keep doing it: name an acceptance test or a criterion for done — in your sessions that did, ended in verified success 80% of the time against 20% without (+60 points ["),
            "{a:?}"
        );
        assert!(!a.iter().any(|l| l.contains("commit")), "{a:?}");
        // Plan mode measured and never used: said with its count.
        assert!(
            a.iter().any(|l| l
                .starts_with("Try to use plan mode now and then: you did so in 0 of 20 sessions")),
            "{a:?}"
        );
    }

    #[test]
    fn a_habit_that_also_goes_with_trouble_is_not_advised() {
        let mut f = Vec::new();
        for i in 0..20u32 {
            // Subagent sessions: all verified successes, but all hit trouble too.
            let sub = i < 10;
            let mut x = if sub {
                facet("u", 0, agentstat_facets::Outcome::Succeeded, 4, 3)
            } else if i < 15 {
                ok()
            } else {
                failed()
            };
            x.session_key = format!("s{i}");
            x.telemetry.subagents = u32::from(sub);
            f.push(x);
        }
        let a = advice(&f);
        assert!(
            !a.iter()
                .any(|l| l.contains("Worth trying more often: delegate")),
            "{a:?}"
        );
        assert!(
            !a.iter().any(|l| l.contains("Keep doing it: delegate")),
            "{a:?}"
        );
        assert!(
            a.iter().any(|l| l.starts_with("Look again at sessions where you delegated to subagents: they hit trouble 100% of the time against 50% without")),
            "{a:?}"
        );
    }

    #[test]
    fn a_habit_with_clearly_less_trouble_is_advised_but_never_one_the_measures_count() {
        let mut f = Vec::new();
        for i in 0..20u32 {
            // Subagents and commits in the 10 sessions without trouble.
            let calm = i < 10;
            let mut x = if calm {
                ok()
            } else {
                facet("u", 0, agentstat_facets::Outcome::Succeeded, 4, 4)
            };
            x.session_key = format!("s{i}");
            x.telemetry.subagents = u32::from(calm);
            x.telemetry.git_commits = u32::from(calm);
            f.push(x);
        }
        let a = advice(&f);
        assert!(
            a.iter().any(|l| l.starts_with(
                "Keep doing it: delegate to subagents — your sessions that did hit trouble 0% of the time against 100% without (-100 points ["
            )),
            "{a:?}"
        );
        assert!(!a.iter().any(|l| l.contains(": commit")), "{a:?}");
    }

    #[test]
    fn too_few_sessions_says_so() {
        let f = vec![ok(), failed(), ok()];
        let a = advice(&f);
        assert_eq!(a.len(), 1);
        assert!(
            a[0].starts_with("Not enough sessions to rank your habits yet"),
            "{a:?}"
        );
    }
}
