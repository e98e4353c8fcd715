//! The personal section: which observable habits in one person's sessions go with verified
//! success and with trouble.
//!
//! Habits are read off telemetry only (tests, commits, plan mode, interrupts, …), never off
//! transcript text, so this stays on the facets side of the privacy boundary. Rates are simple
//! proportions with Wilson 95% intervals: an association within one person's sessions, not a
//! causal effect, and the page says so.

use agentstat_facets::{Facet, Telemetry};
use agentstat_stats::results::{Cell, Chart, Column, Row, Table};
use std::collections::BTreeSet;

/// Figure name the personal tables carry, so the page groups them in the personal section.
pub const PERSONAL_FIGURE: &str = "Personal";
/// Table ids (stable: the browser test and CSV names rely on them).
pub const SUCCESS_ID: &str = "personal_habits_success";
pub const TROUBLE_ID: &str = "personal_habits_trouble";

/// Below this many sessions on either side a difference is not worth a sentence.
const MIN_SIDE: u64 = 5;

struct Habit {
    name: &'static str,
    has: fn(&Telemetry) -> bool,
}

const HABITS: &[Habit] = &[
    Habit {
        name: "Ran tests",
        has: |t| t.test_runs > 0,
    },
    Habit {
        name: "Ended with passing tests",
        has: |t| t.last_test_passed == Some(true),
    },
    Habit {
        name: "Committed",
        has: |t| t.git_commits > 0,
    },
    Habit {
        name: "Opened a pull request",
        has: |t| t.pull_requests > 0,
    },
    Habit {
        name: "Worked mostly in plan mode",
        has: |t| t.permission_mode.as_deref() == Some("plan"),
    },
    Habit {
        name: "Interrupted the agent",
        has: |t| t.interrupts > 0,
    },
    Habit {
        name: "Rejected a tool call",
        has: |t| t.rejections > 0,
    },
    Habit {
        name: "Auto-approved most prompts",
        has: |t| t.auto_approve_share.is_some_and(|s| s >= 0.5),
    },
    Habit {
        name: "Delegated to subagents",
        has: |t| t.subagents > 0,
    },
    Habit {
        name: "Had a long session (10+ prompts)",
        has: |t| t.human_turns >= 10,
    },
];

/// Habits the study's advice mentions but telemetry cannot see yet (they need per-session flags
/// from the classifier, e.g. "named an acceptance test", "asked a targeted verification").
pub const NOT_YET_MEASURED: &[&str] = &[
    "named an acceptance test up front",
    "asked a targeted verification question",
];

/// The two personal tables (verified success, trouble), or none when no session was classified.
///
/// `min_users`/`personal` apply the same distinct-user rule as every other cell, so the tables
/// are safe even if someone renders them outside personal mode.
pub fn personal_habits(facets: &[Facet], min_users: u32, personal: bool) -> Vec<Table> {
    // (verified success, hit trouble, user) per interactive classified session.
    let rows: Vec<(&Telemetry, Option<bool>, Option<bool>, &str)> = facets
        .iter()
        .filter(|f| f.interactive && f.labels.is_some())
        .map(|f| {
            let d = f.derived();
            let vs = if d.in_success_sample {
                d.verified_success
            } else {
                None
            };
            (&f.telemetry, vs, d.hit_trouble, f.user_key.as_str())
        })
        .collect();
    if rows.is_empty() {
        return Vec::new();
    }
    let k = if personal { 0 } else { min_users };
    let mut success = base_table(
        SUCCESS_ID,
        "Habits and verified success in your sessions",
        "verified success",
    );
    let mut trouble = base_table(
        TROUBLE_ID,
        "Habits and trouble in your sessions",
        "hit trouble",
    );
    let mut never = Vec::new();
    let mut best_s: Option<(f64, String)> = None;
    let mut best_t: Option<(f64, String)> = None;
    for h in HABITS {
        let with = rows.iter().filter(|r| (h.has)(r.0)).count();
        if with == 0 {
            never.push(h.name.to_ascii_lowercase());
            continue;
        }
        let label = format!("{} (n={with})", h.name);
        for (tab, pick, best, what) in [
            (
                &mut success,
                1usize,
                &mut best_s,
                "ended in verified success",
            ),
            (&mut trouble, 2usize, &mut best_t, "hit trouble"),
        ] {
            let side = |want: bool| {
                let sel: Vec<_> = rows
                    .iter()
                    .filter(|r| (h.has)(r.0) == want)
                    .filter_map(|r| {
                        let y = if pick == 1 { r.1 } else { r.2 };
                        y.map(|y| (y, r.3))
                    })
                    .collect();
                rate_cell(&sel, k)
            };
            let (cw, cwo) = (side(true), side(false));
            if let (Some(a), Some(b)) = (cw.value, cwo.value) {
                if cw.n_sessions >= MIN_SIDE && cwo.n_sessions >= MIN_SIDE {
                    let diff = a - b;
                    if best.as_ref().is_none_or(|(d, _)| diff.abs() > d.abs()) {
                        let s = format!(
                            "Sessions where you {} {what} {:.0}% of the time (n={}) against {:.0}% without (n={}).",
                            verb(h.name),
                            a * 100.0,
                            cw.n_sessions,
                            b * 100.0,
                            cwo.n_sessions
                        );
                        *best = Some((diff, s));
                    }
                }
            }
            tab.rows.push(Row {
                label: label.clone(),
                cells: vec![cw, cwo],
            });
        }
    }
    for (tab, best) in [(&mut success, best_s), (&mut trouble, best_t)] {
        tab.reading = match best {
            Some((_, s)) => format!("{s} An association in your own sessions, not a cause."),
            None => format!(
                "Too few sessions on both sides of any habit (at least {MIN_SIDE} each) to compare yet."
            ),
        };
        tab.notes.push(
            "Association, not cause: a habit can go with success because of the kind of task it is used on."
                .into(),
        );
        tab.notes.push(format!(
            "n = sessions with the habit, of {} classified interactive sessions.",
            rows.len()
        ));
        tab.notes.push(
            "Rates are simple shares with Wilson 95% intervals; sessions without a clear goal are left out of success rates."
                .into(),
        );
        if !never.is_empty() {
            tab.notes
                .push(format!("Not seen in any session: {}.", never.join(", ")));
        }
        tab.notes.push(format!(
            "Not measured yet (needs per-session flags from the classifier): {}.",
            NOT_YET_MEASURED.join("; ")
        ));
    }
    vec![success, trouble]
}

fn verb(name: &str) -> String {
    let mut s = name.to_string();
    if let Some(f) = s.get_mut(0..1) {
        f.make_ascii_lowercase();
    }
    s.replace(" (10+ prompts)", "")
}

fn base_table(id: &str, title: &str, what: &str) -> Table {
    Table {
        id: id.into(),
        figure: PERSONAL_FIGURE.into(),
        title: title.into(),
        reading: String::new(),
        study_reference: None,
        chart: Chart::Points,
        columns: vec![
            Column {
                key: "with".into(),
                label: format!("{what}: with the habit"),
                unit: "rate".into(),
            },
            Column {
                key: "without".into(),
                label: format!("{what}: without it"),
                unit: "rate".into(),
            },
        ],
        rows: Vec::new(),
        notes: Vec::new(),
    }
}

/// A proportion with its Wilson interval; suppressed below `k` distinct users.
fn rate_cell(obs: &[(bool, &str)], k: u32) -> Cell {
    let n = obs.len() as u64;
    let users: BTreeSet<&str> = obs.iter().map(|o| o.1).collect();
    let n_users = users.len() as u64;
    if n == 0 {
        return Cell {
            n_sessions: 0,
            n_users: 0,
            ..Default::default()
        };
    }
    if n_users < k as u64 {
        return Cell {
            suppressed: true,
            n_sessions: n,
            n_users,
            ..Default::default()
        };
    }
    let x = obs.iter().filter(|o| o.0).count() as f64;
    let p = x / n as f64;
    let (lo, hi) = wilson(x, n as f64);
    Cell {
        value: Some(p),
        se: Some((p * (1.0 - p) / n as f64).sqrt()),
        ci_low: Some(lo),
        ci_high: Some(hi),
        p_value: None,
        n_sessions: n,
        n_users,
        suppressed: false,
    }
}

/// Wilson score interval at 95%.
pub fn wilson(x: f64, n: f64) -> (f64, f64) {
    let z = 1.959_963_984_540_054_f64;
    let p = x / n;
    let d = 1.0 + z * z / n;
    let c = (p + z * z / (2.0 * n)) / d;
    let h = z * ((p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt()) / d;
    ((c - h).max(0.0), (c + h).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentstat_facets::*;

    fn prov() -> Provenance {
        Provenance {
            backend: "heuristic".into(),
            model: "rules".into(),
            prompt_version: "1".into(),
        }
    }

    pub fn facet(user: &str, commits: u32, outcome: Outcome, succ: u8, fail: u8) -> Facet {
        let p = prov();
        Facet {
            session_key: format!("s{user}{commits}{succ}{fail}"),
            user_key: user.into(),
            agent: "claude-code".into(),
            agent_version: None,
            interactive: true,
            excluded_reason: None,
            telemetry: Telemetry {
                human_turns: 3,
                git_commits: commits,
                ..Default::default()
            },
            habits: None,
            labels: Some(Labels {
                work_mode: Label::ok(WorkMode::Build, p.clone()),
                codebase_relation: Label::ok(CodebaseRelation::Modify, p.clone()),
                decisions: Label::ok(Decisions::default(), p.clone()),
                expertise: Label::ok(Expertise::Intermediate, p.clone()),
                user_profile: Label::ok(UserProfile::Unclear, p.clone()),
                work_performed: Label::ok(Occupation::ComputerMath, p.clone()),
                outcome: Label::ok(outcome, p.clone()),
                success_signal: Label::ok(Signal::from_level(succ).unwrap(), p.clone()),
                failure_signal: Label::ok(Signal::from_level(fail).unwrap(), p.clone()),
                task_value: Label::failed("not run", p),
            }),
        }
    }

    #[test]
    fn committing_sessions_compare_against_the_rest() {
        let mut f = Vec::new();
        for _ in 0..6 {
            f.push(facet("u", 1, Outcome::Succeeded, 4, 0));
        }
        for _ in 0..6 {
            f.push(facet("u", 0, Outcome::Failed, 1, 4));
        }
        let tabs = personal_habits(&f, 5, true);
        assert_eq!(tabs.len(), 2);
        let s = &tabs[0];
        let row = s
            .rows
            .iter()
            .find(|r| r.label.starts_with("Committed"))
            .expect("commit row");
        assert_eq!(row.cells[0].value, Some(1.0));
        assert_eq!(row.cells[1].value, Some(0.0));
        assert_eq!(row.cells[0].n_sessions, 6);
        assert!(s.reading.contains("committed"), "{}", s.reading);
        assert!(s.reading.contains("not a cause"));
        let t = &tabs[1];
        let row = t
            .rows
            .iter()
            .find(|r| r.label.starts_with("Committed"))
            .unwrap();
        assert_eq!(row.cells[0].value, Some(0.0));
        assert_eq!(row.cells[1].value, Some(1.0));
        // Habits nobody showed are listed, not drawn as zero rows.
        assert!(s.notes.iter().any(|n| n.contains("ran tests")));
        assert!(!s.rows.iter().any(|r| r.label.starts_with("Ran tests")));
    }

    #[test]
    fn outside_personal_mode_cells_below_k_are_suppressed() {
        let f = vec![
            facet("a", 1, Outcome::Succeeded, 4, 0),
            facet("b", 0, Outcome::Failed, 0, 4),
        ];
        let tabs = personal_habits(&f, 2, false);
        for t in &tabs {
            for r in &t.rows {
                for c in &r.cells {
                    assert!(c.suppressed || c.n_sessions == 0);
                    assert_eq!(c.value, None);
                }
            }
        }
    }

    #[test]
    fn wilson_interval_is_sane() {
        let (lo, hi) = wilson(5.0, 10.0);
        assert!(
            (lo - 0.2366).abs() < 1e-3 && (hi - 0.7634).abs() < 1e-3,
            "{lo} {hi}"
        );
        let (lo, hi) = wilson(0.0, 4.0);
        assert_eq!(lo, 0.0);
        assert!(hi > 0.4 && hi < 0.6);
    }

    #[test]
    fn no_classified_sessions_no_tables() {
        let mut f = facet("u", 1, Outcome::Succeeded, 4, 0);
        f.labels = None;
        assert!(personal_habits(&[f], 5, true).is_empty());
    }
}
