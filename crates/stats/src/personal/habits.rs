//! The two ranked habit tables: what in your sessions goes with verified success, and what
//! goes with trouble. Each row: the habit with its count (`Used plan mode (3 of 39 sessions)`),
//! the difference in the rate with and without it (Newcombe 95% interval), and the two rates
//! (Wilson 95% intervals). Rows are ranked by the difference; habits the measure itself counts
//! (commits, pull requests, tests, rejections, interrupts) say "by construction"
//! and come after the others.

use super::{base, col, newcombe, of_sessions, share_cell, suppressed, users, Obs, MIN_SIDE};
use super::{SUCCESS_ID, TROUBLE_ID};
use crate::results::{Cell, Chart, Row, Table};
use agentstat_facets::Facet;

/// Marks a row whose habit is part of the measure.
pub const BY_CONSTRUCTION: &str = "by construction";

pub struct Habit {
    pub name: &'static str,
    /// The habit as advice, imperative (`name an acceptance test or criterion`); `None` for
    /// what is not a choice to recommend (a long session is as much a result of trouble as a
    /// cause), which can still be named as going with trouble.
    pub advice: Option<&'static str>,
    /// `None`: not measured for this session (facets written before habit flags), so the
    /// session is on neither side.
    pub has: fn(&Facet) -> Option<bool>,
    /// The success signal counts it as evidence (rubric §3.7; the heuristic's
    /// `rules::success_signal`): commits, pull requests, passing tests, an approved plan.
    pub in_success: bool,
    /// The failure signal counts it: failing tests at the end, rejections, interrupts.
    pub in_failure: bool,
}

pub const HABITS: &[Habit] = &[
    Habit {
        name: "Named an acceptance test or criterion",
        advice: Some("name an acceptance test or a criterion for done"),
        has: |f| f.habits.map(|h| h.named_acceptance_test),
        in_success: false,
        in_failure: false,
    },
    Habit {
        name: "Asked a targeted verification question",
        advice: Some("ask a targeted verification question"),
        has: |f| f.habits.map(|h| h.targeted_verification > 0),
        in_success: false,
        in_failure: false,
    },
    Habit {
        name: "Gave a specific setup",
        advice: Some("give a specific setup (files, versions, constraints)"),
        has: |f| f.habits.map(|h| h.specific_setup),
        in_success: false,
        in_failure: false,
    },
    Habit {
        name: "Asked the agent to review its changes",
        advice: Some("ask the agent to review its changes"),
        has: |f| f.habits.map(|h| h.asked_for_review),
        in_success: false,
        in_failure: false,
    },
    Habit {
        name: "Used plan mode",
        advice: Some("use plan mode"),
        has: |f| f.habits.and_then(|h| h.plan_mode_share).map(|s| s > 0.0),
        // An approved plan is a hard success signal in planning sessions.
        in_success: true,
        in_failure: false,
    },
    Habit {
        name: "Auto-approved most prompts",
        advice: Some("auto-approve most prompts"),
        has: |f| Some(f.telemetry.auto_approve_share.is_some_and(|s| s >= 0.5)),
        in_success: false,
        in_failure: false,
    },
    Habit {
        name: "Delegated to subagents",
        advice: Some("delegate to subagents"),
        has: |f| Some(f.telemetry.subagents > 0),
        in_success: false,
        in_failure: false,
    },
    Habit {
        name: "Had a long session (10+ prompts)",
        advice: None,
        has: |f| Some(f.telemetry.human_turns >= 10),
        in_success: false,
        in_failure: false,
    },
    Habit {
        name: "Ran tests",
        advice: Some("run tests"),
        has: |f| Some(f.telemetry.test_runs > 0),
        in_success: true,
        in_failure: true,
    },
    Habit {
        name: "Ended with passing tests",
        advice: Some("end with passing tests"),
        has: |f| Some(f.telemetry.last_test_passed == Some(true)),
        in_success: true,
        in_failure: true,
    },
    Habit {
        name: "Committed",
        advice: Some("commit"),
        has: |f| Some(f.telemetry.git_commits > 0),
        in_success: true,
        in_failure: false,
    },
    Habit {
        name: "Opened a pull request",
        advice: Some("open a pull request"),
        has: |f| Some(f.telemetry.pull_requests > 0),
        in_success: true,
        in_failure: false,
    },
    Habit {
        name: "Interrupted the agent",
        advice: Some("interrupt the agent"),
        has: |f| Some(f.telemetry.interrupts > 0),
        in_success: true,
        in_failure: true,
    },
    Habit {
        name: "Rejected a tool call",
        advice: Some("reject tool calls"),
        has: |f| Some(f.telemetry.rejections > 0),
        in_success: false,
        in_failure: true,
    },
];

/// Which outcome a table compares.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Outcome {
    VerifiedSuccess,
    Trouble,
}

impl Outcome {
    pub fn of(self, o: &Obs) -> Option<bool> {
        match self {
            Outcome::VerifiedSuccess => o.verified,
            Outcome::Trouble => o.trouble,
        }
    }
    pub fn circular(self, h: &Habit) -> bool {
        match self {
            Outcome::VerifiedSuccess => h.in_success,
            Outcome::Trouble => h.in_failure,
        }
    }
    fn measure(self) -> &'static str {
        match self {
            Outcome::VerifiedSuccess => "success",
            Outcome::Trouble => "failure",
        }
    }
    /// Past-tense phrase for a reading (`ended in verified success`).
    pub fn phrase(self) -> &'static str {
        match self {
            Outcome::VerifiedSuccess => "ended in verified success",
            Outcome::Trouble => "hit trouble",
        }
    }
}

/// One habit against one outcome.
pub struct Contrast {
    pub habit: &'static Habit,
    pub outcome: Outcome,
    /// Classified sessions where the habit was measured, and those that showed it.
    pub measured: u64,
    pub with: u64,
    /// Rate with and without (Wilson), and the difference (Newcombe; empty when a side has
    /// fewer than [`MIN_SIDE`] sessions with the outcome known).
    pub rate_with: Cell,
    pub rate_without: Cell,
    pub diff: Cell,
    pub circular: bool,
}

impl Contrast {
    /// Both sides large enough for a difference.
    pub fn compared(&self) -> bool {
        self.diff.value.is_some()
    }
}

/// Every habit against both outcomes, in [`HABITS`] order.
pub struct Ranked {
    pub success: Vec<Contrast>,
    pub trouble: Vec<Contrast>,
    /// Classified interactive sessions, and how many carry habit flags.
    pub sessions: u64,
    pub flagged: u64,
}

pub fn ranked(obs: &[Obs], k: u32) -> Ranked {
    // Each habit read once per session, for both outcomes.
    let has: Vec<Vec<Option<bool>>> = HABITS
        .iter()
        .map(|h| obs.iter().map(|o| (h.has)(o.facet)).collect())
        .collect();
    let contrasts = |out: Outcome| -> Vec<Contrast> {
        let y: Vec<Option<bool>> = obs.iter().map(|o| out.of(o)).collect();
        HABITS
            .iter()
            .zip(&has)
            .map(|(h, hs)| {
                let measured = hs.iter().filter(|x| x.is_some()).count() as u64;
                let with = hs.iter().filter(|x| **x == Some(true)).count() as u64;
                let side = |want: bool| -> Vec<(bool, u32)> {
                    obs.iter()
                        .zip(hs.iter().zip(&y))
                        .filter(|(_, (x, _))| **x == Some(want))
                        .filter_map(|(o, (_, y))| y.map(|y| (y, o.user)))
                        .collect()
                };
                let (a, b) = (side(true), side(false));
                let (rate_with, rate_without) = (share_cell(&a, k), share_cell(&b, k));
                let diff = diff_cell(&a, &b, k);
                Contrast {
                    habit: h,
                    outcome: out,
                    measured,
                    with,
                    rate_with,
                    rate_without,
                    diff,
                    circular: out.circular(h),
                }
            })
            .collect()
    };
    Ranked {
        success: contrasts(Outcome::VerifiedSuccess),
        trouble: contrasts(Outcome::Trouble),
        sessions: obs.len() as u64,
        flagged: obs.iter().filter(|o| o.facet.habits.is_some()).count() as u64,
    }
}

/// Difference of the two rates with Newcombe's interval, when each side has [`MIN_SIDE`].
fn diff_cell(a: &[(bool, u32)], b: &[(bool, u32)], k: u32) -> Cell {
    let (na, nb) = (a.len() as u64, b.len() as u64);
    let n_users = users(a.iter().chain(b).map(|o| o.1));
    if na < MIN_SIDE || nb < MIN_SIDE {
        return Cell {
            n_sessions: na + nb,
            n_users,
            ..Default::default()
        };
    }
    if n_users < u64::from(k) {
        return suppressed(na + nb, n_users);
    }
    let xa = a.iter().filter(|o| o.0).count() as u64;
    let xb = b.iter().filter(|o| o.0).count() as u64;
    let (d, lo, hi) = newcombe(xa, na, xb, nb);
    Cell {
        value: Some(d),
        se: None,
        ci_low: Some(lo),
        ci_high: Some(hi),
        p_value: None,
        n_sessions: na + nb,
        n_users,
        suppressed: false,
        class: crate::results::OutputClass::Share,
        withheld: None,
        residual_df: None,
        isolates_group: None,
    }
}

/// `Named an acceptance test or criterion (12 of 39 sessions)`; a habit the measure counts
/// says so before its count, so a clipped label keeps both.
pub fn row_label(c: &Contrast) -> String {
    if c.circular {
        format!(
            "{} — {BY_CONSTRUCTION} ({})",
            c.habit.name,
            of_sessions(c.with, c.measured)
        )
    } else {
        format!("{} ({})", c.habit.name, of_sessions(c.with, c.measured))
    }
}

/// Ranking order: compared and not circular first, by difference (largest first); then the
/// rest of the habits seen, circular ones last.
pub fn order(cs: &[Contrast]) -> Vec<&Contrast> {
    let mut v: Vec<&Contrast> = cs.iter().filter(|c| c.with > 0).collect();
    v.sort_by(|a, b| {
        let key = |c: &Contrast| (c.circular, !c.compared());
        key(a)
            .cmp(&key(b))
            .then_with(|| {
                let d = |c: &Contrast| c.diff.value.unwrap_or(f64::NEG_INFINITY);
                d(b).total_cmp(&d(a))
            })
            .then_with(|| b.with.cmp(&a.with))
    });
    v
}

/// The two tables.
pub fn tables(r: &Ranked, obs: &[Obs]) -> Vec<Table> {
    vec![
        table(
            &r.success,
            r,
            obs,
            SUCCESS_ID,
            "What goes with verified success in your sessions",
            "verified success",
        ),
        table(
            &r.trouble,
            r,
            obs,
            TROUBLE_ID,
            "What goes with trouble in your sessions",
            "hit trouble",
        ),
    ]
}

fn table(cs: &[Contrast], r: &Ranked, obs: &[Obs], id: &str, title: &str, what: &str) -> Table {
    let out = cs.first().map_or(Outcome::VerifiedSuccess, |c| c.outcome);
    let mut t = base(
        id,
        title,
        Chart::Points,
        vec![
            col("difference", &format!("{what}: with minus without"), "pp"),
            col("with", &format!("{what}: with the habit"), "rate"),
            col("without", &format!("{what}: without it"), "rate"),
        ],
    );
    for c in order(cs) {
        t.rows.push(Row {
            label: row_label(c),
            cells: vec![c.diff, c.rate_with, c.rate_without],
        });
    }
    // A chart of differences with none computed would be a column of "n/a": numbers only.
    if !t.rows.iter().any(|r| r.cells[0].value.is_some()) {
        t.chart = Chart::None;
    }
    let known = obs.iter().filter(|o| out.of(o).is_some()).count();
    t.reading = reading(cs, out);
    t.notes.push(format!(
        "Ranked by the difference in the share of sessions that {}: with the habit minus without, in percentage points, with a Newcombe 95% interval; the two shares carry Wilson 95% intervals. A difference needs at least {MIN_SIDE} sessions on each side.",
        out.phrase()
    ));
    t.notes.push(
        "Association, not cause: a habit can go with success because of the kind of task it is used on."
            .into(),
    );
    let circular: Vec<String> = HABITS
        .iter()
        .filter(|h| out.circular(h))
        .map(|h| h.name.to_ascii_lowercase())
        .collect();
    t.notes.push(format!(
        "Part of the {m} measure, so their association is true by construction and never the reading: {} (the {m} signal counts them as evidence).",
        circular.join(", "),
        m = out.measure()
    ));
    t.notes.push(format!(
        "Counts are sessions with the habit among the {} classified interactive sessions where it was measured; {known} of them have a known {what} outcome{}.",
        r.sessions,
        if out == Outcome::VerifiedSuccess {
            " (sessions without a clear goal are left out of success rates)"
        } else {
            ""
        }
    ));
    let never: Vec<String> = cs
        .iter()
        .filter(|c| c.with == 0 && c.measured > 0)
        .map(|c| {
            format!(
                "{} ({})",
                c.habit.name.to_ascii_lowercase(),
                of_sessions(0, c.measured)
            )
        })
        .collect();
    if !never.is_empty() {
        t.notes
            .push(format!("Not seen in any session: {}.", never.join(", ")));
    }
    if r.flagged < r.sessions {
        t.notes.push(format!(
            "Habit flags (acceptance test, targeted verification, specific setup, review, plan mode) are missing for {} of {} sessions (facets written before they were measured; re-extract to fill them): those sessions are left out of these rows.",
            r.sessions - r.flagged,
            r.sessions
        ));
    }
    t
}

fn reading(cs: &[Contrast], out: Outcome) -> String {
    let best = cs
        .iter()
        .filter(|c| !c.circular && c.compared())
        .max_by(|a, b| {
            let d = |c: &Contrast| c.diff.value.unwrap_or(0.0).abs();
            d(a).total_cmp(&d(b))
        });
    let Some(c) = best else {
        return format!(
            "Too few sessions on both sides of any habit the {} measure does not itself count (at least {MIN_SIDE} each) to compare yet.",
            out.measure()
        );
    };
    let (a, b) = (c.rate_with, c.rate_without);
    let clear = c.diff.ci_low.is_some_and(|l| l > 0.0) || c.diff.ci_high.is_some_and(|h| h < 0.0);
    format!(
        "Sessions where you {} {} {} of the time (n={}) against {} without (n={}): {}{}. An association in your own sessions, not a cause.",
        lower_first(c.habit.name),
        out.phrase(),
        super::pct(a.value.unwrap_or(0.0)),
        a.n_sessions,
        super::pct(b.value.unwrap_or(0.0)),
        b.n_sessions,
        super::points(&c.diff),
        if clear {
            ""
        } else {
            ", an interval that includes no difference"
        }
    )
}

/// `Used plan mode` → `used plan mode`; the long-session habit drops its bracket.
pub fn lower_first(name: &str) -> String {
    let mut s = name.to_string();
    if let Some(f) = s.get_mut(0..1) {
        f.make_ascii_lowercase();
    }
    s.replace(" (10+ prompts)", "")
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::super::{personal_tables, SUCCESS_ID, TROUBLE_ID};
    use super::*;
    use agentstat_facets::Outcome as O;

    fn tables_of(f: &[Facet]) -> (Table, Table) {
        let t = personal_tables(f, 5, true);
        let get = |id: &str| t.iter().find(|x| x.id == id).unwrap().clone();
        (get(SUCCESS_ID), get(TROUBLE_ID))
    }

    #[test]
    fn committing_is_labelled_by_construction_and_never_the_reading() {
        let mut f = Vec::new();
        for _ in 0..6 {
            f.push(facet("u", 1, O::Succeeded, 4, 0));
        }
        for _ in 0..6 {
            f.push(facet("u", 0, O::Failed, 1, 4));
        }
        let (s, t) = tables_of(&f);
        let row = s
            .rows
            .iter()
            .find(|r| r.label.starts_with("Committed"))
            .expect("commit row");
        assert_eq!(row.label, "Committed — by construction (6 of 12 sessions)");
        // difference, with, without
        assert_eq!(row.cells[1].value, Some(1.0));
        assert_eq!(row.cells[2].value, Some(0.0));
        assert_eq!(row.cells[1].n_sessions, 6);
        assert_eq!(row.cells[0].value, Some(1.0));
        let (lo, hi) = (row.cells[0].ci_low.unwrap(), row.cells[0].ci_high.unwrap());
        assert!(lo > 0.3 && lo < 1.0 && hi == 1.0, "{lo} {hi}");
        // The only contrast is circular: the reading says there is nothing to compare.
        assert!(!s.reading.contains("committed"), "{}", s.reading);
        assert!(s.reading.contains("does not itself count"), "{}", s.reading);
        assert!(s.notes.iter().any(|n| n.contains("by construction")));
        // Commits are not failure evidence: plain label in the trouble table, and it may lead.
        let row = t
            .rows
            .iter()
            .find(|r| r.label.starts_with("Committed"))
            .unwrap();
        assert_eq!(row.label, "Committed (6 of 12 sessions)");
        assert_eq!(row.cells[1].value, Some(0.0));
        assert_eq!(row.cells[2].value, Some(1.0));
        assert!(t.reading.contains("committed"), "{}", t.reading);
        assert!(t.reading.contains("-100 points"), "{}", t.reading);
        // Habits nobody showed are counted in a note, not drawn as rows.
        assert!(s
            .notes
            .iter()
            .any(|n| n.contains("ran tests (0 of 12 sessions)")));
        assert!(!s.rows.iter().any(|r| r.label.starts_with("Ran tests")));
        // No habit flags in these facets: said, and the flag habits are not "never seen".
        assert!(s.notes.iter().any(|n| n.contains("missing for 12 of 12")));
        assert!(!s.notes.iter().any(|n| n.contains("named an acceptance")));
    }

    #[test]
    fn rows_are_ranked_by_difference_with_circular_ones_last() {
        let mut f = Vec::new();
        for i in 0..20u32 {
            let good = i < 10;
            let mut x = if good { ok() } else { failed() };
            x.session_key = format!("s{i}");
            // Acceptance test in 8 of the 10 successes and 2 of the failures: +60 points.
            x.habits = Some(flags(
                (good && i < 8) || (!good && i >= 18),
                if i % 2 == 0 { 0.5 } else { 0.0 },
            ));
            // Subagents in 5 successes and 5 failures: no difference.
            x.telemetry.subagents = u32::from(i % 2 == 0);
            // Commits only in successes (circular).
            x.telemetry.git_commits = u32::from(good);
            f.push(x);
        }
        let (s, _) = tables_of(&f);
        let labels: Vec<&str> = s.rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(
            labels[0],
            "Named an acceptance test or criterion (10 of 20 sessions)"
        );
        assert_eq!(labels[1], "Delegated to subagents (10 of 20 sessions)");
        assert!(
            labels[2..].iter().all(|l| l.contains(BY_CONSTRUCTION)),
            "{labels:?}"
        );
        let d = s.rows[0].cells[0];
        assert!((d.value.unwrap() - 0.6).abs() < 1e-12);
        assert!(d.ci_low.unwrap() > 0.0, "clear: {d:?}");
        assert!(
            s.reading
                .starts_with("Sessions where you named an acceptance test or criterion ended in verified success 80% of the time (n=10) against 20% without (n=10): +60 points"),
            "{}",
            s.reading
        );
        assert!(!s.reading.contains("includes no difference"));
    }

    #[test]
    fn a_side_below_the_minimum_gets_no_difference() {
        let mut f = Vec::new();
        for i in 0..12u32 {
            let mut x = if i % 2 == 0 { ok() } else { failed() };
            x.session_key = format!("s{i}");
            x.habits = Some(flags(i < 4, 0.0));
            f.push(x);
        }
        let (s, _) = tables_of(&f);
        let row = &s.rows[0];
        assert_eq!(
            row.label,
            "Named an acceptance test or criterion (4 of 12 sessions)"
        );
        assert_eq!(row.cells[0].value, None);
        assert_eq!(row.cells[1].value, Some(0.5));
        assert!(s.reading.starts_with("Too few sessions"), "{}", s.reading);
        assert!(s
            .notes
            .iter()
            .any(|n| n.contains("used plan mode (0 of 12 sessions)")));
    }
}
