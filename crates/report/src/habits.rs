//! The personal section: which observable habits in one person's sessions go with verified
//! success and with trouble.
//!
//! Habits are read off telemetry and the facets' per-session habit flags (`Facet::habits`:
//! acceptance test named, targeted verification, plan mode, specific setup, review asked),
//! never off transcript text, so this stays on the facets side of the privacy boundary. Rates
//! are simple proportions with Wilson 95% intervals: an association within one person's
//! sessions, not a causal effect, and the page says so.
//!
//! Some habits are themselves evidence the success or failure measure counts (commits, pull
//! requests, passing tests, rejections, interrupts): their rows say "association by
//! construction" and never make the reading.

use agentstat_facets::Facet;
use agentstat_stats::results::{Cell, Chart, Column, Row, Table};
use std::collections::BTreeSet;

/// Figure name the personal tables carry, so the page groups them in the personal section.
pub const PERSONAL_FIGURE: &str = "Personal";
/// Table ids (stable: the browser test and CSV names rely on them).
pub const SUCCESS_ID: &str = "personal_habits_success";
pub const TROUBLE_ID: &str = "personal_habits_trouble";

/// Below this many sessions on either side a difference is not worth a sentence.
const MIN_SIDE: u64 = 5;

/// Row-label suffixes for habits the measure itself counts.
pub const BY_CONSTRUCTION_SUCCESS: &str =
    " — part of the success measure — association by construction";
pub const BY_CONSTRUCTION_TROUBLE: &str =
    " — part of the failure measure — association by construction";

struct Habit {
    name: &'static str,
    /// `None`: not measured for this session (e.g. facets written before habit flags), so
    /// the session is on neither side.
    has: fn(&Facet) -> Option<bool>,
    /// The success signal counts this habit as evidence (rubric §3.7 hard signals; the
    /// heuristic's `rules::success_signal`): commits, pull requests, passing tests, and an
    /// approved plan in planning sessions; an interrupt at the end lowers it.
    in_success: bool,
    /// The failure signal counts it: failing tests at the end, rejections, interrupts.
    in_failure: bool,
}

const HABITS: &[Habit] = &[
    Habit {
        name: "Named an acceptance test or criterion",
        has: |f| f.habits.map(|h| h.named_acceptance_test),
        in_success: false,
        in_failure: false,
    },
    Habit {
        name: "Asked a targeted verification question",
        has: |f| f.habits.map(|h| h.targeted_verification > 0),
        in_success: false,
        in_failure: false,
    },
    Habit {
        name: "Gave a specific setup",
        has: |f| f.habits.map(|h| h.specific_setup),
        in_success: false,
        in_failure: false,
    },
    Habit {
        name: "Asked the agent to review its changes",
        has: |f| f.habits.map(|h| h.asked_for_review),
        in_success: false,
        in_failure: false,
    },
    Habit {
        name: "Used plan mode",
        has: |f| f.habits.and_then(|h| h.plan_mode_share).map(|s| s > 0.0),
        // An approved plan is a hard success signal in planning sessions.
        in_success: true,
        in_failure: false,
    },
    Habit {
        name: "Auto-approved most prompts",
        has: |f| Some(f.telemetry.auto_approve_share.is_some_and(|s| s >= 0.5)),
        in_success: false,
        in_failure: false,
    },
    Habit {
        name: "Delegated to subagents",
        has: |f| Some(f.telemetry.subagents > 0),
        in_success: false,
        in_failure: false,
    },
    Habit {
        name: "Had a long session (10+ prompts)",
        has: |f| Some(f.telemetry.human_turns >= 10),
        in_success: false,
        in_failure: false,
    },
    Habit {
        name: "Ran tests",
        has: |f| Some(f.telemetry.test_runs > 0),
        in_success: true,
        in_failure: true,
    },
    Habit {
        name: "Ended with passing tests",
        has: |f| Some(f.telemetry.last_test_passed == Some(true)),
        in_success: true,
        in_failure: true,
    },
    Habit {
        name: "Committed",
        has: |f| Some(f.telemetry.git_commits > 0),
        in_success: true,
        in_failure: false,
    },
    Habit {
        name: "Opened a pull request",
        has: |f| Some(f.telemetry.pull_requests > 0),
        in_success: true,
        in_failure: false,
    },
    Habit {
        name: "Interrupted the agent",
        has: |f| Some(f.telemetry.interrupts > 0),
        in_success: true,
        in_failure: true,
    },
    Habit {
        name: "Rejected a tool call",
        has: |f| Some(f.telemetry.rejections > 0),
        in_success: false,
        in_failure: true,
    },
];

/// The two personal tables (verified success, trouble), or none when no session was classified.
///
/// `min_users`/`personal` apply the same distinct-user rule as every other cell, so the tables
/// are safe even if someone renders them outside personal mode.
pub fn personal_habits(facets: &[Facet], min_users: u32, personal: bool) -> Vec<Table> {
    // (facet, verified success, hit trouble) per interactive classified session.
    let rows: Vec<(&Facet, Option<bool>, Option<bool>)> = facets
        .iter()
        .filter(|f| f.interactive && f.labels.is_some())
        .map(|f| {
            let d = f.derived();
            let vs = if d.in_success_sample {
                d.verified_success
            } else {
                None
            };
            (f, vs, d.hit_trouble)
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
    let flagged = rows.iter().filter(|r| r.0.habits.is_some()).count();
    for h in HABITS {
        let with = rows.iter().filter(|r| (h.has)(r.0) == Some(true)).count();
        if with == 0 {
            // Flags absent from every facet are "not measured", not "never seen".
            if rows.iter().any(|r| (h.has)(r.0).is_some()) {
                never.push(h.name.to_ascii_lowercase());
            }
            continue;
        }
        for (tab, pick, best, what, circular, suffix) in [
            (
                &mut success,
                1usize,
                &mut best_s,
                "ended in verified success",
                h.in_success,
                BY_CONSTRUCTION_SUCCESS,
            ),
            (
                &mut trouble,
                2usize,
                &mut best_t,
                "hit trouble",
                h.in_failure,
                BY_CONSTRUCTION_TROUBLE,
            ),
        ] {
            let side = |want: bool| {
                let sel: Vec<_> = rows
                    .iter()
                    .filter(|r| (h.has)(r.0) == Some(want))
                    .filter_map(|r| {
                        let y = if pick == 1 { r.1 } else { r.2 };
                        y.map(|y| (y, r.0.user_key.as_str()))
                    })
                    .collect();
                rate_cell(&sel, k)
            };
            let (cw, cwo) = (side(true), side(false));
            // A habit the measure counts would "explain" success by definition: never the
            // headline.
            if let (Some(a), Some(b), false) = (cw.value, cwo.value, circular) {
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
                label: format!(
                    "{} (n={with}){}",
                    h.name,
                    if circular { suffix } else { "" }
                ),
                cells: vec![cw, cwo],
            });
        }
    }
    for (tab, best, measure, is_success) in [
        (&mut success, best_s, "success", true),
        (&mut trouble, best_t, "failure", false),
    ] {
        tab.reading = match best {
            Some((_, s)) => format!("{s} An association in your own sessions, not a cause."),
            None => format!(
                "Too few sessions on both sides of any habit the {measure} measure does not itself count (at least {MIN_SIDE} each) to compare yet."
            ),
        };
        tab.notes.push(
            "Association, not cause: a habit can go with success because of the kind of task it is used on."
                .into(),
        );
        let circular: Vec<String> = HABITS
            .iter()
            .filter(|h| {
                if is_success {
                    h.in_success
                } else {
                    h.in_failure
                }
            })
            .map(|h| h.name.to_ascii_lowercase())
            .collect();
        tab.notes.push(format!(
            "Part of the {measure} measure, so their association is true by construction and never the reading: {} (the {measure} signal counts them as evidence).",
            circular.join(", ")
        ));
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
        if flagged < rows.len() {
            tab.notes.push(format!(
                "Habit flags (acceptance test, targeted verification, specific setup, review, plan mode) are missing for {} of {} sessions (facets written before they were measured; re-extract to fill them): those sessions are left out of these rows.",
                rows.len() - flagged,
                rows.len()
            ));
        }
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
    fn committing_is_labelled_by_construction_and_never_the_reading() {
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
        assert!(
            row.label.ends_with(BY_CONSTRUCTION_SUCCESS),
            "{}",
            row.label
        );
        assert_eq!(row.cells[0].value, Some(1.0));
        assert_eq!(row.cells[1].value, Some(0.0));
        assert_eq!(row.cells[0].n_sessions, 6);
        // The only contrast is circular: the reading says there is nothing to compare.
        assert!(!s.reading.contains("committed"), "{}", s.reading);
        assert!(s.reading.contains("does not itself count"), "{}", s.reading);
        assert!(s.notes.iter().any(|n| n.contains("by construction")));
        let t = &tabs[1];
        let row = t
            .rows
            .iter()
            .find(|r| r.label.starts_with("Committed"))
            .unwrap();
        // Commits are not failure evidence: no label in the trouble table, and it may lead.
        assert_eq!(row.label, "Committed (n=6)");
        assert_eq!(row.cells[0].value, Some(0.0));
        assert_eq!(row.cells[1].value, Some(1.0));
        assert!(t.reading.contains("committed"), "{}", t.reading);
        // Habits nobody showed are listed, not drawn as zero rows.
        assert!(s.notes.iter().any(|n| n.contains("ran tests")));
        assert!(!s.rows.iter().any(|r| r.label.starts_with("Ran tests")));
        // No habit flags in these facets: said, and the flag habits are not "never seen".
        assert!(s.notes.iter().any(|n| n.contains("missing for 12 of 12")));
        assert!(!s.notes.iter().any(|n| n.contains("named an acceptance")));
    }

    #[test]
    fn habit_flags_make_the_reading() {
        let mut f = Vec::new();
        for i in 0..12u32 {
            let ok = i < 6;
            let mut x = if ok {
                facet("u", 0, Outcome::Succeeded, 4, 0)
            } else {
                facet("u", 0, Outcome::Failed, 1, 4)
            };
            x.session_key = format!("s{i}");
            x.habits = Some(Habits {
                named_acceptance_test: ok,
                targeted_verification: u32::from(i % 2 == 0),
                plan_mode_share: Some(0.0),
                specific_setup: false,
                asked_for_review: false,
            });
            f.push(x);
        }
        let tabs = personal_habits(&f, 5, true);
        let s = &tabs[0];
        let row = s
            .rows
            .iter()
            .find(|r| r.label.starts_with("Named an acceptance test"))
            .expect("acceptance row");
        assert_eq!(row.label, "Named an acceptance test or criterion (n=6)");
        assert_eq!(row.cells[0].value, Some(1.0));
        assert_eq!(row.cells[1].value, Some(0.0));
        assert!(
            s.reading.contains("named an acceptance test or criterion"),
            "{}",
            s.reading
        );
        // Measured but never seen: listed as such.
        assert!(s.notes.iter().any(|n| n.contains("gave a specific setup")));
        assert!(s.notes.iter().any(|n| n.contains("used plan mode")));
        assert!(!s.notes.iter().any(|n| n.contains("missing for")));
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
