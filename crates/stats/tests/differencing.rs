//! Differencing attacks on `results.json`: an attacker who sees only the published document
//! tries to recover a suppressed cell's session count (or its rate) by combining published
//! cells of different tables (or rows of one table) that describe the same population.
//!
//! Each `attack_*` test plants one small, named group (fewer than `k` people) in a synthetic
//! facets table, checks that the group's cell is indeed suppressed (so the test cannot pass
//! vacuously), then runs the attack with nothing but published numbers. The attack must fail:
//! either a number it needs is not published, or (for the property test) the system of
//! published linear identities leaves the hidden count undetermined.
//! docs/STATISTICS.md ("Differencing across tables") describes the attacker and the guarantee.

use agentstat_facets::*;
use agentstat_stats::analyses::analyse;
use agentstat_stats::privacy::{Rules, Threshold};
use agentstat_stats::results::{Cell, Results, Table, Withheld};
use proptest::prelude::*;

#[derive(Clone)]
struct S {
    user: usize,
    mode: WorkMode,
    month: &'static str,
    relation: CodebaseRelation,
    level: u8,
    outcome: Outcome,
    succ: Signal,
    fail: Signal,
    lines: u64,
    usd: Option<f64>,
    agent: &'static str,
    /// Actions per prompt (default: 2 to 6 by session).
    actions: Option<f64>,
}

impl Default for S {
    fn default() -> Self {
        S {
            user: 0,
            mode: WorkMode::Build,
            month: "2026-01",
            relation: CodebaseRelation::Modify,
            level: 3,
            outcome: Outcome::Succeeded,
            succ: Signal::S4,
            fail: Signal::S1,
            lines: 10,
            usd: Some(500.0),
            agent: "claude-code",
            actions: None,
        }
    }
}

fn prov() -> Provenance {
    Provenance {
        backend: "heuristic".into(),
        model: "rules".into(),
        prompt_version: "1".into(),
    }
}

fn facet(i: usize, s: &S) -> Facet {
    Facet {
        session_key: format!("s{i}"),
        user_key: format!("user{}", s.user),
        agent: s.agent.into(),
        agent_version: Some("2.1.0".into()),
        interactive: true,
        excluded_reason: None,
        telemetry: Telemetry {
            human_turns: 2,
            model_calls: Some(6),
            actions_per_prompt: s.actions.unwrap_or(2.0 + (i % 5) as f64),
            words_per_prompt: 40.0 + (i % 7) as f64,
            actions: 6,
            lines_added: Some(s.lines),
            start_ms: Some(1_767_225_600_000),
            month: Some(s.month.into()),
            model_family: Some("opus".into()),
            ..Telemetry::default()
        },
        habits: None,
        labels: Some(Labels {
            work_mode: Label::ok(s.mode, prov()),
            codebase_relation: Label::ok(s.relation, prov()),
            decisions: Label::ok(
                Decisions {
                    planning_user: 2,
                    planning_agent: 1,
                    execution_user: 1,
                    execution_agent: 3,
                },
                prov(),
            ),
            expertise: Label::ok(Expertise::from_level(s.level).unwrap(), prov()),
            user_profile: Label::ok(UserProfile::Group(Occupation::ComputerMath), prov()),
            work_performed: Label::ok(Occupation::ComputerMath, prov()),
            outcome: Label::ok(s.outcome, prov()),
            success_signal: Label::ok(s.succ, prov()),
            failure_signal: Label::ok(s.fail, prov()),
            task_value: match s.usd {
                Some(usd) => Label::ok(
                    TaskValue {
                        usd,
                        band: ValueBand::of_usd(usd),
                    },
                    prov(),
                ),
                None => Label::failed("no value", prov()),
            },
        }),
    }
}

fn run(sessions: &[S], k: u32) -> Results {
    let facets: Vec<Facet> = sessions
        .iter()
        .enumerate()
        .map(|(i, s)| facet(i, s))
        .collect();
    analyse(
        &facets,
        &Threshold {
            min_users: k,
            personal: false,
            rules: Rules::legacy(),
        },
    )
}

/// One session for each user in `users`, built from `base`.
fn each(users: impl IntoIterator<Item = usize>, base: S) -> Vec<S> {
    users
        .into_iter()
        .map(|user| S {
            user,
            ..base.clone()
        })
        .collect()
}

fn table<'a>(r: &'a Results, id: &str) -> &'a Table {
    r.tables
        .iter()
        .find(|t| t.id == id)
        .unwrap_or_else(|| panic!("table {id} missing"))
}

fn cell<'a>(t: &'a Table, row: &str, col: usize) -> &'a Cell {
    let r = t
        .rows
        .iter()
        .find(|r| r.label == row)
        .unwrap_or_else(|| panic!("{}: no row {row}", t.id));
    &r.cells[col]
}

/// A published session count (`None` when the cell is suppressed).
fn n(c: &Cell) -> Option<f64> {
    (!c.suppressed).then_some(c.n_sessions as f64)
}

/// The number a note of `t` states before `phrase` (e.g. `"12 interactive sessions with a
/// work-mode label"`), as the attacker reads it.
fn note_number(t: &Table, phrase: &str) -> Option<f64> {
    t.notes.iter().find_map(|note| {
        let at = note.find(phrase)?;
        let before = note[..at].trim_end();
        let digits: String = before
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_digit())
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        digits.parse().ok()
    })
}

/// Sum of published session counts in column `col` of `t`.
fn published_sum(t: &Table, col: usize) -> f64 {
    t.rows.iter().filter_map(|r| n(&r.cells[col])).sum()
}

fn assert_blocked(attack: Option<f64>, truth: f64, what: &str) {
    assert!(
        attack.is_none_or(|v| (v - truth).abs() > 1e-6),
        "{what}: the published document gives back the suppressed number {truth}"
    );
}

/// Fig. 1 hides a small work mode and, complementarily, the next smallest; the task-value
/// index by work mode publishes that complementary mode's session count (every session has a
/// value), which undoes the complementary suppression.
#[test]
fn attack_fig1_complement_undone_by_value_by_mode() {
    let s = data_fig1_complement_undone_by_value_by_mode();
    let r = run(&s, 3);
    let fig1 = table(&r, "fig1_work_mode");
    assert!(
        cell(fig1, "Fix", 0).suppressed,
        "the planted group is suppressed"
    );
    let total = note_number(fig1, "interactive sessions with a work-mode label");
    // Test's count: from Fig. 1 if published (then it is in the published sum), else from the
    // task-value index by work mode.
    let test_extra = if cell(fig1, "Test", 0).suppressed {
        n(cell(table(&r, "fig4_value_by_mode"), "Test", 0))
    } else {
        Some(0.0)
    };
    let attack = total
        .zip(test_extra)
        .map(|(t, extra)| t - published_sum(fig1, 0) - extra);
    assert_blocked(attack, 2.0, "Fix sessions in fig1_work_mode");
}

/// Fig. 1 (codebase relation) hides Create and, complementarily, Explore; the validation table
/// publishes the sessions classified as writing code (Modify + Create).
#[test]
fn attack_codebase_relation_via_validation_rows() {
    let s = data_codebase_relation_via_validation_rows();
    let r = run(&s, 3);
    let fig1 = table(&r, "fig1_codebase_relation");
    assert!(cell(fig1, "Create new code from scratch", 0).suppressed);
    let writes = n(cell(
        table(&r, "validation_writes_code"),
        "Classified as writing code: lines changed",
        0,
    ));
    let modify = n(cell(fig1, "Modify existing code", 0));
    let attack = writes.zip(modify).map(|(w, m)| w - m);
    assert_blocked(attack, 2.0, "Create sessions in fig1_codebase_relation");
}

/// Fig. A1's rows (success-signal levels) partition the sessions with a goal, whose number
/// the table's note states: one hidden row is that number minus the published rows.
#[test]
fn attack_rate_table_rows_against_note_total() {
    let s = data_rate_table_rows_against_note_total();
    let r = run(&s, 3);
    let t = table(&r, "figa1_success_by_signal");
    assert!(cell(t, "5", 0).suppressed);
    let attack = note_number(t, "sessions with a goal").map(|total| total - published_sum(t, 0));
    assert_blocked(attack, 2.0, "success-signal level 5 sessions in Fig. A1");
}

/// The validation table's third row is the union of the first two, so a hidden first row's
/// count *and rate* are the third row's minus the second's.
#[test]
fn attack_validation_rate_by_subtraction() {
    let s = data_validation_rate_by_subtraction();
    let r = run(&s, 3);
    let t = table(&r, "validation_writes_code");
    let row0 = &t.rows[0].cells[0];
    assert!(row0.suppressed);
    let (c1, c2) = (&t.rows[1].cells[0], &t.rows[2].cells[0]);
    let attack = match (n(c1), n(c2), c1.value, c2.value) {
        (Some(n1), Some(n2), Some(r1), Some(r2)) => Some((r2 * n2 - r1 * n1) / (n2 - n1)),
        _ => None,
    };
    assert_blocked(attack, 0.5, "agreement rate of code-writing sessions");
}

/// Table A1 column (1) publishes the estimation sample's size and mean verified success;
/// Table A2 publishes every other level's count and unadjusted rate: the hidden level's rate
/// is what remains.
#[test]
fn attack_table_a1_against_table_a2() {
    let s = data_table_a1_against_table_a2();
    let r = run(&s, 3);
    let a2 = table(&r, "table_a2");
    assert!(a2.rows[4].cells[1].suppressed);
    let a1 = table(&r, "table_a1");
    let (mean, obs) = (&a1.rows[1].cells[0], &a1.rows[2].cells[0]);
    let mut attack = mean.value.zip(obs.value).map(|(m, n)| (m * n, n));
    for row in &a2.rows[..4] {
        let c = &row.cells[1];
        attack = match (attack, n(c), c.value) {
            (Some((hits, total)), Some(nl), Some(rate)) => Some((hits - rate * nl, total - nl)),
            _ => None,
        };
    }
    assert_blocked(
        attack.map(|(h, n)| h / n),
        0.75,
        "verified-success rate at level 5",
    );
}

/// Fig. 4's month × work-mode cells sum, over months, to Fig. 1's work-mode counts: a cell
/// hidden in one month is Fig. 1's count minus the other months'.
#[test]
fn attack_month_by_mode_against_fig1_margin() {
    let s = data_month_by_mode_against_fig1_margin();
    let (jan, feb) = ("2026-01", "2026-02");
    let r = run(&s, 3);
    let fig4 = table(&r, "fig4_work_mode_by_month");
    let build = WorkMode::Build.index();
    assert!(cell(fig4, feb, build).suppressed);
    let attack = n(cell(table(&r, "fig1_work_mode"), "Build", 0))
        .zip(n(cell(fig4, jan, build)))
        .map(|(all, jan)| all - jan);
    assert_blocked(
        attack,
        2.0,
        "February Build sessions in fig4_work_mode_by_month",
    );
}

// ---- the named attacks' data sets ----------------------------------------------------------

fn data_fig1_complement_undone_by_value_by_mode() -> Vec<S> {
    let mut s = each(
        0..2,
        S {
            mode: WorkMode::Fix,
            ..S::default()
        },
    );
    s.extend(each(
        2..5,
        S {
            mode: WorkMode::Test,
            ..S::default()
        },
    ));
    s.extend(each(5..12, S::default()));
    s
}

fn data_codebase_relation_via_validation_rows() -> Vec<S> {
    let mut s = each(
        0..2,
        S {
            relation: CodebaseRelation::Create,
            ..S::default()
        },
    );
    s.extend(each(
        2..5,
        S {
            relation: CodebaseRelation::Explore,
            lines: 0,
            ..S::default()
        },
    ));
    s.extend(each(
        5..9,
        S {
            relation: CodebaseRelation::NoCodebase,
            lines: 0,
            ..S::default()
        },
    ));
    s.extend(each(9..15, S::default()));
    s
}

fn data_rate_table_rows_against_note_total() -> Vec<S> {
    let mut s = each(
        0..2,
        S {
            succ: Signal::S5,
            ..S::default()
        },
    );
    s.extend(each(2..5, S::default()));
    s.extend(each(
        5..10,
        S {
            succ: Signal::S2,
            outcome: Outcome::Failed,
            ..S::default()
        },
    ));
    s
}

fn data_validation_rate_by_subtraction() -> Vec<S> {
    let mut s = vec![
        S {
            user: 0,
            lines: 10,
            ..S::default()
        },
        S {
            user: 1,
            lines: 0,
            ..S::default()
        },
    ];
    for u in 2..9 {
        s.push(S {
            user: u,
            relation: CodebaseRelation::Explore,
            lines: if u < 4 { 5 } else { 0 },
            ..S::default()
        });
    }
    s
}

fn data_table_a1_against_table_a2() -> Vec<S> {
    let mut s = Vec::new();
    let mut user = 0;
    for level in 1..=4u8 {
        for j in 0..3 {
            for verified in [true, j == 0] {
                s.push(S {
                    user,
                    level,
                    succ: if verified { Signal::S5 } else { Signal::S2 },
                    mode: WorkMode::ALL[j],
                    ..S::default()
                });
            }
            user += 1;
        }
    }
    // The planted group: two people at level 5, three of their four sessions verified.
    for (u, verified) in [(0, true), (0, false), (1, true), (1, true)] {
        s.push(S {
            user: 100 + u,
            level: 5,
            succ: if verified { Signal::S5 } else { Signal::S2 },
            ..S::default()
        });
    }
    s
}

fn data_month_by_mode_against_fig1_margin() -> Vec<S> {
    let feb = "2026-02";
    let mut s = each(0..4, S::default());
    s.extend(each(
        4..6,
        S {
            month: feb,
            ..S::default()
        },
    ));
    s.extend(each(
        6..9,
        S {
            mode: WorkMode::Test,
            ..S::default()
        },
    ));
    s.extend(each(
        9..12,
        S {
            mode: WorkMode::Test,
            month: feb,
            ..S::default()
        },
    ));
    s.extend(each(
        12..16,
        S {
            mode: WorkMode::Fix,
            month: feb,
            ..S::default()
        },
    ));
    s
}

// ---- property test: an independent linear attacker on the work-mode × month family --------

/// Whether the sum of the unknowns in `target` is determined by the equations (each a set of unknowns with a
/// known sum), by Gaussian elimination: the target's indicator vector lies in the row space.
fn determined(eqs: &[Vec<usize>], n_vars: usize, target: &[usize]) -> bool {
    let mut rows: Vec<Vec<f64>> = eqs
        .iter()
        .map(|e| {
            let mut r = vec![0.0; n_vars];
            for &v in e {
                r[v] += 1.0;
            }
            r
        })
        .collect();
    let mut pivots = Vec::new();
    let mut rank = 0;
    for col in 0..n_vars {
        let Some(p) = (rank..rows.len()).find(|&i| rows[i][col].abs() > 1e-9) else {
            continue;
        };
        rows.swap(rank, p);
        let pv = rows[rank][col];
        for x in rows[rank].iter_mut() {
            *x /= pv;
        }
        for i in 0..rows.len() {
            if i != rank && rows[i][col].abs() > 1e-9 {
                let f = rows[i][col];
                let pr = rows[rank].clone();
                for (x, y) in rows[i].iter_mut().zip(pr) {
                    *x -= f * y;
                }
            }
        }
        pivots.push(col);
        rank += 1;
    }
    // e_target in the row space: reduce it by the RREF rows.
    let mut t = vec![0.0f64; n_vars];
    for &v in target {
        t[v] += 1.0;
    }
    for (i, &c) in pivots.iter().enumerate() {
        let f = t[c];
        if f.abs() > 1e-12 {
            for (x, y) in t.iter_mut().zip(&rows[i]) {
                *x -= f * y;
            }
        }
    }
    t.iter().all(|x| x.abs() < 1e-9)
}

const MODES: [WorkMode; 4] = [
    WorkMode::Build,
    WorkMode::Fix,
    WorkMode::Test,
    WorkMode::Plan,
];
const MONTHS: [&str; 2] = ["2026-01", "2026-02"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Every session has a month and a value, so Fig. 1, Fig. 4's month × mode shares and both
    /// task-value indices all describe the same cells `a[month][mode]`. The attacker writes one
    /// equation per published count (and per published total: notes, and each month row's total
    /// from any published share) and solves; no suppressed non-empty cell may be determined.
    #[test]
    fn no_linear_combination_recovers_a_hidden_mode_month_cell(
        people in proptest::collection::vec(
            proptest::collection::vec((0usize..4, 0usize..2), 1..4), 4..16),
        k in 2u32..6,
    ) {
        let mut s = Vec::new();
        let mut truth = [[0u64; 4]; 2];
        for (u, sessions) in people.iter().enumerate() {
            for &(w, m) in sessions {
                truth[m][w] += 1;
                s.push(S { user: u, mode: MODES[w], month: MONTHS[m], ..S::default() });
            }
        }
        let r = run(&s, k);
        let var = |m: usize, w: usize| m * 4 + w;
        let mut eqs: Vec<Vec<usize>> = Vec::new();
        let fig1 = table(&r, "fig1_work_mode");
        let fig4 = table(&r, "fig4_work_mode_by_month");
        let by_mode = table(&r, "fig4_value_by_mode");
        let by_month = table(&r, "fig4_value_by_month");
        let all: Vec<usize> = (0..8).collect();
        if note_number(fig1, "interactive sessions with a work-mode label").is_some() {
            eqs.push(all.clone());
        }
        if note_number(by_mode, "valued sessions").is_some() {
            eqs.push(all.clone());
        }
        for (w, mode) in MODES.iter().enumerate() {
            let col: Vec<usize> = (0..2).map(|m| var(m, w)).collect();
            if n(cell(fig1, mode.as_str(), 0)).is_some() {
                eqs.push(col.clone());
            }
            if n(cell(by_mode, mode.as_str(), 0)).is_some() {
                eqs.push(col.clone());
            }
        }
        for (m, month) in MONTHS.iter().enumerate() {
            let Some(row) = fig4.rows.iter().find(|r| r.label == *month) else { continue };
            let row_vars: Vec<usize> = (0..4).map(|w| var(m, w)).collect();
            if row.cells.iter().any(|c| c.value.is_some_and(|v| v > 0.0)) {
                eqs.push(row_vars.clone()); // total = n / share of any published cell
            }
            if n(cell(by_month, month, 0)).is_some() {
                eqs.push(row_vars.clone());
            }
            for (w, mode) in MODES.iter().enumerate() {
                if n(&row.cells[mode.index()]).is_some() {
                    eqs.push(vec![var(m, w)]);
                }
            }
        }
        for (m, month) in MONTHS.iter().enumerate() {
            for (w, mode) in MODES.iter().enumerate() {
                if truth[m][w] == 0 {
                    continue;
                }
                let hidden_fig4 = fig4
                    .rows
                    .iter()
                    .find(|r| r.label == *month)
                    .is_some_and(|r| r.cells[mode.index()].suppressed);
                if hidden_fig4 {
                    prop_assert!(
                        !determined(&eqs, 8, &[var(m, w)]),
                        "{month} × {} ({} sessions) recovered; k = {k}", mode.as_str(), truth[m][w]
                    );
                }
            }
        }
        for (w, mode) in MODES.iter().enumerate() {
            let total = truth[0][w] + truth[1][w];
            if total > 0 && cell(fig1, mode.as_str(), 0).suppressed {
                // The column sum of a hidden Fig. 1 cell must not be determined either.
                prop_assert!(
                    !determined(&eqs, 8, &[var(0, w), var(1, w)]),
                    "Fig. 1 {} ({total} sessions) recovered; k = {k}", mode.as_str()
                );
            }
        }
    }
}

/// Equations the attacker can write for one table family; unknowns are the true counts of the
/// finest cells the attacker reasons about.
#[derive(Default)]
struct System {
    eqs: Vec<Vec<usize>>,
}

impl System {
    fn know(&mut self, vars: Vec<usize>) {
        self.eqs.push(vars);
    }
    fn assert_hidden(
        &self,
        n_vars: usize,
        target: &[usize],
        what: &str,
    ) -> Result<(), TestCaseError> {
        prop_assert!(!determined(&self.eqs, n_vars, target), "{what} recovered");
        Ok(())
    }
}

/// No table lists a suppressed count that the sample block's totals alone would give back.
fn no_unresolved_note(r: &Results) -> Result<(), TestCaseError> {
    for t in &r.tables {
        prop_assert!(
            !t.notes
                .iter()
                .any(|n| n.contains("Differencing not fully closed")),
            "{}: {:?}",
            t.id,
            t.notes
        );
    }
    Ok(())
}

/// The number of sessions with a goal is stated in three notes; withheld in one, withheld in
/// all (else the one that stays gives it back).
fn goal_total_consistent(r: &Results) -> Result<(), TestCaseError> {
    let mut stated = vec![
        note_number(table(r, "figa1_success_by_signal"), "sessions with a goal;"),
        note_number(
            table(r, "fig5_adjusted_rates"),
            "interactive sessions with a goal",
        ),
        note_number(table(r, "table_a1"), "interactive sessions with a goal"),
    ];
    if let Some(t) = r.tables.iter().find(|t| t.id == "by_agent") {
        stated.push(note_number(t, "sessions with a goal. Rates"));
    }
    prop_assert!(
        stated.iter().all(|x| x.is_some()) || stated.iter().all(|x| x.is_none()),
        "{stated:?}"
    );
    Ok(())
}

/// Fig. A1 must withhold its note's total (the sessions with a goal) to protect a row; then
/// neither Fig. 5 / Table A1's notes nor the sample total minus their exclusion counts may give
/// it back.
#[test]
fn a_withheld_total_is_withheld_everywhere_it_can_be_read() {
    let mut s = Vec::new();
    let mut add = |users: std::ops::Range<usize>, succ: Signal, fail: Signal, outcome: Outcome| {
        for user in users {
            s.push(S {
                user,
                succ,
                fail,
                outcome,
                ..S::default()
            });
        }
    };
    add(0..2, Signal::S2, Signal::S5, Outcome::Succeeded);
    add(2..5, Signal::S2, Signal::S1, Outcome::Succeeded);
    add(5..10, Signal::S4, Signal::S1, Outcome::Succeeded);
    add(10..14, Signal::S3, Signal::S2, Outcome::Failed);
    add(14..17, Signal::S1, Signal::S1, Outcome::NoClearGoal);
    let r = run(&s, 3);
    let a1 = table(&r, "figa1_success_by_signal");
    assert!(
        a1.rows[5].cells[1].suppressed,
        "the planted failure-signal row"
    );
    let goal = 14.0;
    let stated = [
        note_number(a1, "sessions with a goal;"),
        note_number(
            table(&r, "fig5_adjusted_rates"),
            "interactive sessions with a goal",
        ),
        note_number(table(&r, "table_a1"), "interactive sessions with a goal"),
    ];
    let t = table(&r, "table_a1");
    let by_exclusions = note_number(t, "No clear goal and")
        .zip(note_number(t, "without an outcome excluded"))
        .map(|(ng, none)| r.sample.interactive_sessions as f64 - ng - none);
    if stated[0].is_none() {
        assert_eq!(stated, [None, None, None]);
        assert_blocked(
            by_exclusions,
            goal,
            "sessions with a goal (sample − exclusions)",
        );
        // Every session with a goal is in Table A1's estimation sample here.
        assert_blocked(note_number(t, "sessions remain"), goal, "sessions remain");
    } else {
        assert!(stated.iter().all(|x| *x == Some(goal)), "{stated:?}");
    }
}

const RELATIONS: [CodebaseRelation; 4] = [
    CodebaseRelation::Modify,
    CodebaseRelation::Explore,
    CodebaseRelation::Create,
    CodebaseRelation::NoCodebase,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Codebase relation in Fig. 1 and the validation table (counts and, through the rates,
    /// how many sessions changed lines): unknowns `a[relation][changed]`.
    #[test]
    fn no_linear_combination_recovers_a_hidden_relation_cell(
        people in proptest::collection::vec(
            proptest::collection::vec((0usize..4, any::<bool>()), 1..4), 4..16),
        k in 2u32..6,
    ) {
        let mut s = Vec::new();
        let mut truth = [[0u64; 2]; 4];
        for (u, sessions) in people.iter().enumerate() {
            for &(rel, changed) in sessions {
                truth[rel][usize::from(changed)] += 1;
                s.push(S { user: u, relation: RELATIONS[rel], lines: if changed { 3 } else { 0 }, ..S::default() });
            }
        }
        let r = run(&s, k);
        no_unresolved_note(&r)?;
        let var = |rel: usize, c: usize| rel * 2 + c;
        let writes = |rel: usize| rel == 0 || rel == 2;
        let all: Vec<usize> = (0..8).collect();
        let mut sys = System::default();
        sys.know(all.clone()); // sample.interactive_sessions
        let fig1 = table(&r, "fig1_codebase_relation");
        let val = table(&r, "validation_writes_code");
        for (rel, label) in RELATIONS.iter().enumerate() {
            if n(cell(fig1, label.as_str(), 0)).is_some() {
                sys.know(vec![var(rel, 0), var(rel, 1)]);
            }
        }
        let rows: [Vec<usize>; 3] = [
            (0..4).filter(|&x| writes(x)).collect(),
            (0..4).filter(|&x| !writes(x)).collect(),
            (0..4).collect(),
        ];
        for (i, rels) in rows.iter().enumerate() {
            let c = &val.rows[i].cells[0];
            if n(c).is_some() {
                sys.know(rels.iter().flat_map(|&x| [var(x, 0), var(x, 1)]).collect());
                if c.value.is_some() {
                    // hits: lines changed (row 0), unchanged (row 1), agreement (row 2)
                    sys.know(rels.iter().map(|&x| var(x, usize::from(writes(x) || i == 0))).collect::<Vec<_>>()
                        .into_iter().filter(|_| i != 1).chain(
                            rels.iter().filter(|_| i == 1).map(|&x| var(x, 0))).collect());
                }
            }
        }
        for (rel, label) in RELATIONS.iter().enumerate() {
            let total = truth[rel][0] + truth[rel][1];
            if total > 0 && total < s.len() as u64 && cell(fig1, label.as_str(), 0).suppressed {
                sys.assert_hidden(8, &[var(rel, 0), var(rel, 1)], label.as_str())?;
            }
        }
        for (i, rels) in rows.iter().enumerate() {
            let c = &val.rows[i].cells[0];
            let target: Vec<usize> = rels.iter().flat_map(|&x| [var(x, 0), var(x, 1)]).collect();
            let total: u64 = rels.iter().map(|&x| truth[x][0] + truth[x][1]).sum();
            // The sample block states the number of all sessions whatever k: a cell over the
            // whole data set (fewer than k people in all) is no secret (docs/STATISTICS.md).
            if total > 0 && total < s.len() as u64 && c.suppressed {
                sys.assert_hidden(8, &target, &format!("validation row {i}"))?;
            }
        }
    }

    /// Expertise levels in Table A1 column (1) (sample size, mean verified success), Table A2
    /// (per-level counts and unadjusted rates) and Fig. 3 (per-level counts): unknowns
    /// `a[level][verified]`. Every session is in the estimation sample, and column (1) has no
    /// fixed effect, so no session is dropped as a singleton.
    #[test]
    fn no_linear_combination_recovers_a_hidden_level(
        people in proptest::collection::vec(
            proptest::collection::vec((1u8..6, any::<bool>()), 1..4), 4..16),
        k in 2u32..6,
    ) {
        let mut s = Vec::new();
        let mut truth = [[0u64; 2]; 5];
        for (u, sessions) in people.iter().enumerate() {
            for &(level, verified) in sessions {
                truth[usize::from(level) - 1][usize::from(verified)] += 1;
                s.push(S {
                    user: u,
                    level,
                    succ: if verified { Signal::S5 } else { Signal::ALL[1 + usize::from(level) % 3] },
                    ..S::default()
                });
            }
        }
        let r = run(&s, k);
        no_unresolved_note(&r)?;
        goal_total_consistent(&r)?;
        let var = |l: usize, v: usize| l * 2 + v;
        let all: Vec<usize> = (0..10).collect();
        let mut sys = System::default();
        sys.know(all.clone());
        let a1 = table(&r, "table_a1");
        let (mean, obs) = (&a1.rows[1].cells[0], &a1.rows[2].cells[0]);
        if let (Some(_), Some(_)) = (mean.value, obs.value) {
            sys.know(all.clone());
            sys.know((0..5).map(|l| var(l, 1)).collect());
        }
        let a2 = table(&r, "table_a2");
        let f3 = table(&r, "fig3_actions_by_expertise");
        for l in 0..5 {
            let c = &a2.rows[l].cells[1];
            if n(c).is_some() {
                sys.know(vec![var(l, 0), var(l, 1)]);
                if c.value.is_some() {
                    sys.know(vec![var(l, 1)]);
                }
            }
            if n(&f3.rows[l].cells[0]).is_some() {
                sys.know(vec![var(l, 0), var(l, 1)]);
            }
        }
        if note_number(f3, "sessions with an expertise level").is_some() {
            sys.know(all.clone());
        }
        for (l, t) in truth.iter().enumerate() {
            if t[0] + t[1] == 0 {
                continue;
            }
            if t[0] + t[1] == s.len() as u64 {
                continue; // the whole data set: the sample block states it
            }
            // A cell may be suppressed for its rate while its count is published beside it
            // (Table A2's coefficient, Fig. 3): then only the rate must stay hidden.
            let count_elsewhere = a2.rows[l].cells.iter().chain(&f3.rows[l].cells).any(|c| !c.suppressed);
            if a2.rows[l].cells[1].suppressed {
                if !count_elsewhere {
                    sys.assert_hidden(10, &[var(l, 0), var(l, 1)], &format!("level {} count", l + 1))?;
                }
                if t[1] > 0 {
                    sys.assert_hidden(10, &[var(l, 1)], &format!("level {} verified", l + 1))?;
                }
                // Its adjusted rate and coefficient must not publish the rate either.
                prop_assert!(a2.rows[l].cells[2].value.is_none(), "level {} adjusted rate", l + 1);
            }
            if f3.rows[l].cells[0].suppressed {
                sys.assert_hidden(10, &[var(l, 0), var(l, 1)], &format!("Fig. 3 level {}", l + 1))?;
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Fig. A1 splits the sessions with a goal twice (by success signal, by failure signal),
    /// each row a rate of judged success: unknowns `a[succ][fail][judged]`. The total is in the
    /// note (and in Fig. 5's and Table A1's).
    #[test]
    fn no_linear_combination_recovers_a_hidden_signal_row(
        people in proptest::collection::vec(
            proptest::collection::vec((0usize..6, 0usize..6, any::<bool>()), 1..4), 4..16),
        k in 2u32..6,
    ) {
        let mut s = Vec::new();
        let mut truth = vec![0u64; 72];
        let var = |a: usize, b: usize, j: bool| (a * 6 + b) * 2 + usize::from(j);
        for (u, sessions) in people.iter().enumerate() {
            for &(succ, fail, judged) in sessions {
                truth[var(succ, fail, judged)] += 1;
                s.push(S {
                    user: u,
                    succ: Signal::ALL[succ],
                    fail: Signal::ALL[fail],
                    outcome: if judged { Outcome::Succeeded } else { Outcome::Failed },
                    ..S::default()
                });
            }
        }
        let r = run(&s, k);
        no_unresolved_note(&r)?;
        goal_total_consistent(&r)?;
        let t = table(&r, "figa1_success_by_signal");
        let all: Vec<usize> = (0..72).collect();
        let mut sys = System::default();
        sys.know(all.clone());
        if note_number(t, "sessions with a goal;").is_some() {
            sys.know(all.clone());
        }
        // Row `level` of column `col`: its count and its judged-success count.
        let sets = |col: usize, level: usize| -> (Vec<usize>, Vec<usize>) {
            let mut n = Vec::new();
            let mut h = Vec::new();
            for x in 0..6 {
                for j in [false, true] {
                    let v = if col == 0 { var(level, x, j) } else { var(x, level, j) };
                    n.push(v);
                    if j {
                        h.push(v);
                    }
                }
            }
            (n, h)
        };
        for col in 0..2 {
            for level in 0..6 {
                let c = &t.rows[level].cells[col];
                if n(c).is_some() {
                    let (cnt, hits) = sets(col, level);
                    sys.know(cnt);
                    if c.value.is_some() {
                        sys.know(hits);
                    }
                }
            }
        }
        for col in 0..2 {
            for level in 0..6 {
                let c = &t.rows[level].cells[col];
                let (cnt, hits) = sets(col, level);
                let total: u64 = cnt.iter().map(|&v| truth[v]).sum();
                if c.suppressed && total > 0 && total < s.len() as u64 {
                    sys.assert_hidden(72, &cnt, &format!("column {col} level {level}"))?;
                    if hits.iter().map(|&v| truth[v]).sum::<u64>() > 0 {
                        sys.assert_hidden(72, &hits, &format!("column {col} level {level} hits"))?;
                    }
                }
            }
        }
    }
}

// ---- property test: the agent dimension ----------------------------------------------------

const AGENTS: [&str; 3] = ["agent-a", "agent-b", "agent-c"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Sessions of three agents, four work modes, judged Succeeded or Failed, success signal 2
    /// or 4: unknowns `a[agent][mode][judged][signal]`. The by-agent tables (session counts,
    /// rates of judged and verified success, work-mode shares per agent) split the same
    /// sessions as Fig. 1 / Fig. 4 (modes), Fig. A1 (signal levels), Table A1 / A2, Fig. 5 and
    /// Fig. 6 (every session is in their samples, so they publish the totals of judged and
    /// verified success), and the sample block names agents with their session counts. The
    /// attacker writes one equation per published number; no suppressed non-empty by-agent
    /// cell (count, rate numerator, work-mode cell) may be determined.
    #[test]
    fn no_linear_combination_recovers_a_hidden_agent_cell(
        people in proptest::collection::vec(
            proptest::collection::vec((0usize..3, 0usize..4, any::<bool>(), any::<bool>()), 1..4),
            4..16),
        k in 2u32..6,
    ) {
        let var = |a: usize, w: usize, j: bool, s4: bool| ((a * 4 + w) * 2 + usize::from(j)) * 2 + usize::from(s4);
        const N: usize = 48;
        let mut s = Vec::new();
        let mut truth = [0u64; N];
        for (u, sessions) in people.iter().enumerate() {
            for &(a, w, judged, s4) in sessions {
                truth[var(a, w, judged, s4)] += 1;
                s.push(S {
                    user: u,
                    agent: AGENTS[a],
                    mode: MODES[w],
                    outcome: if judged { Outcome::Succeeded } else { Outcome::Failed },
                    succ: if s4 { Signal::S4 } else { Signal::S2 },
                    ..S::default()
                });
            }
        }
        let r = run(&s, k);
        no_unresolved_note(&r)?;
        goal_total_consistent(&r)?;
        let present: Vec<usize> = (0..3).filter(|&a| s.iter().any(|x| x.agent == AGENTS[a])).collect();
        let Some(by_agent) = r.tables.iter().find(|t| t.id == "by_agent") else {
            // One agent (or none shown apart): no by-agent table, and Table A1 says why.
            prop_assert!(r.tables.iter().all(|t| t.id != "by_agent_work_mode"));
            let notes = &table(&r, "table_a1").notes;
            prop_assert!(notes.iter().any(|n| n.contains("no by-agent table")), "{notes:?}");
            return Ok(());
        };
        prop_assert!(present.len() > 1);
        let modes_t = table(&r, "by_agent_work_mode");
        // Which agents a label stands for: a name, or everything not named beside it.
        let members = |label: &str, named: &[&str]| -> Vec<usize> {
            match AGENTS.iter().position(|a| *a == label) {
                Some(a) => vec![a],
                None => (0..3).filter(|&a| !named.contains(&AGENTS[a])).collect(),
            }
        };
        let set = |f: &dyn Fn(usize, usize, bool, bool) -> bool| -> Vec<usize> {
            let mut v = Vec::new();
            for a in 0..3 { for w in 0..4 { for j in [false, true] { for s4 in [false, true] {
                if f(a, w, j, s4) { v.push(var(a, w, j, s4)); }
            }}}}
            v
        };
        let mut sys = System::default();
        let all = set(&|_, _, _, _| true);
        sys.know(all.clone()); // sample.interactive_sessions (every session is interactive)
        // Totals every success table publishes (every session is in every sample here).
        sys.know(set(&|_, _, j, _| j));
        sys.know(set(&|_, _, j, s4| j && s4));
        // The sample block: sessions per named agent, and the folded rest.
        let sample_named: Vec<&str> = r.sample.agents.keys().map(String::as_str).collect();
        for label in r.sample.agents.keys() {
            let m = members(label, &sample_named);
            sys.know(set(&|a, _, _, _| m.contains(&a)));
        }
        // Fig. 1 / Fig. 4 work modes, Fig. A1 signal levels.
        let fig1 = table(&r, "fig1_work_mode");
        for (w, mode) in MODES.iter().enumerate() {
            if n(cell(fig1, mode.as_str(), 0)).is_some() {
                sys.know(set(&|_, x, _, _| x == w));
            }
            let fig4 = table(&r, "fig4_work_mode_by_month");
            if n(&fig4.rows[0].cells[mode.index()]).is_some() {
                sys.know(set(&|_, x, _, _| x == w));
            }
            if n(cell(table(&r, "fig4_value_by_mode"), mode.as_str(), 0)).is_some() {
                sys.know(set(&|_, x, _, _| x == w));
            }
        }
        let a1 = table(&r, "figa1_success_by_signal");
        for (level, s4) in [(2usize, false), (4, true)] {
            let c = &a1.rows[level].cells[0];
            if n(c).is_some() {
                sys.know(set(&|_, _, _, x| x == s4));
                if c.value.is_some() {
                    sys.know(set(&|_, _, j, x| j && x == s4));
                }
            }
        }
        // The by-agent tables.
        let named: Vec<&str> = by_agent.rows.iter().map(|r| r.label.as_str()).collect();
        for row in &by_agent.rows {
            let m = members(&row.label, &named);
            let row_set = set(&|a, _, _, _| m.contains(&a));
            for (c, hit) in [
                (0usize, (|_, j, _| j) as fn(usize, bool, bool) -> bool),
                (1, |_, j, s4| j && s4),
                (2, |_, _, _| false),
                (3, |_, _, _| false),
            ] {
                let x = &row.cells[c];
                if n(x).is_some() {
                    sys.know(row_set.clone());
                    if x.value.is_some() {
                        sys.know(set(&|a, w, j, s4| m.contains(&a) && hit(w, j, s4)));
                    }
                }
            }
            for c in 4..6 {
                if n(&row.cells[c]).is_some() {
                    sys.know(row_set.clone());
                }
            }
            let mrow = modes_t.rows.iter().find(|x| x.label == row.label).unwrap();
            if mrow.cells.iter().any(|c| c.value.is_some_and(|v| v > 0.0)) {
                sys.know(row_set.clone());
            }
            for (w, mode) in MODES.iter().enumerate() {
                if n(&mrow.cells[mode.index()]).is_some() {
                    sys.know(set(&|a, x, _, _| m.contains(&a) && x == w));
                }
            }
        }
        let total = |v: &[usize]| v.iter().map(|&i| truth[i]).sum::<u64>();
        for row in &by_agent.rows {
            let m = members(&row.label, &named);
            let row_set = set(&|a, _, _, _| m.contains(&a));
            let n_row = total(&row_set);
            if row.cells[4].suppressed && n_row > 0 && n_row < s.len() as u64 {
                sys.assert_hidden(N, &row_set, &format!("sessions of {}; k = {k}", row.label))?;
            }
            // Any suppressed cell of the row publishes neither the count nor the numerator.
            if row.cells[0].suppressed && row.cells[4].suppressed {
                let hits = set(&|a, _, j, _| m.contains(&a) && j);
                if total(&hits) > 0 && n_row < s.len() as u64 {
                    sys.assert_hidden(N, &hits, &format!("judged successes of {}; k = {k}", row.label))?;
                }
            }
            let mrow = modes_t.rows.iter().find(|x| x.label == row.label).unwrap();
            for (w, mode) in MODES.iter().enumerate() {
                let cell_set = set(&|a, x, _, _| m.contains(&a) && x == w);
                let c = total(&cell_set);
                if mrow.cells[mode.index()].suppressed && c > 0 && c < s.len() as u64 {
                    sys.assert_hidden(N, &cell_set, &format!("{} × {}; k = {k}", row.label, mode.as_str()))?;
                }
            }
        }
        // Whatever the table hides, no cell with fewer than k people is published.
        for t in &r.tables {
            for row in &t.rows {
                for c in &row.cells {
                    prop_assert!(c.suppressed || c.n_users >= u64::from(k), "{}: {}", t.id, row.label);
                }
            }
        }
    }
}

// ---- the same attacks on the rounded page (issue 12) ---------------------------------------
//
// Under the default rules counts are rounded and shares published on a coarse grid, and the
// protection withdraws a cell only when rounding cannot protect it. The attacker above reads
// exact numbers; against a rounded page the question is whether the page *determines* the
// hidden count. It does not when another data set — here, the same one with one session's
// labels replaced by another session's (same person) — publishes exactly the same counts,
// shares, people counts, suppression pattern, notes and sample block while its hidden count
// differs: no attacker, however clever, can tell the two apart.

fn run_with(sessions: &[S], k: u32, rules: Rules) -> Results {
    let facets: Vec<Facet> = sessions
        .iter()
        .enumerate()
        .map(|(i, s)| facet(i, s))
        .collect();
    analyse(
        &facets,
        &Threshold {
            min_users: k,
            personal: false,
            rules,
        },
    )
}

/// Everything a differencing attacker reads: the sample block; per cell its suppression,
/// reason and counts, and the numbers of counts and shares; every number in the notes.
fn linear_view(r: &Results) -> String {
    use std::fmt::Write;
    let mut v = serde_json::to_string(&r.sample).unwrap();
    for t in &r.tables {
        let _ = write!(v, "\n{}:", t.id);
        for c in t.rows.iter().flat_map(|r| &r.cells) {
            let _ = write!(
                v,
                "|{} {:?} {} {}",
                c.suppressed, c.withheld, c.n_sessions, c.n_users
            );
            if c.class.linear() {
                let _ = write!(
                    v,
                    " {:?} {:?} {:?} {:?}",
                    c.value, c.ci_low, c.ci_high, c.se
                );
            }
        }
        for note in &t.notes {
            let digits: String = note
                .chars()
                .map(|c| if c.is_ascii_digit() { c } else { ' ' })
                .collect();
            let _ = write!(
                v,
                " [{}]",
                digits.split_whitespace().collect::<Vec<_>>().join(",")
            );
        }
    }
    v
}

/// A data set one session away from `s` (session `i` takes session `j`'s labels, keeping its
/// person) with a different `hidden` and the same page, if there is one.
fn twin(s: &[S], k: u32, hidden: &dyn Fn(&[S]) -> Vec<usize>) -> Option<(usize, usize)> {
    let page = linear_view(&run_with(s, k, Rules::default()));
    let h = hidden(s);
    for i in 0..s.len() {
        for j in 0..s.len() {
            let mut t = s.to_vec();
            t[i] = S {
                user: s[i].user,
                ..s[j].clone()
            };
            if hidden(&t) != h && linear_view(&run_with(&t, k, Rules::default())) == page {
                return Some((i, j));
            }
        }
    }
    None
}

/// Whether two pages publish the same numbers wherever both publish: cells either page
/// withholds for the protection, and notes either page withholds a number of, are left out;
/// everything else (the sample block, every other cell's suppression, reason, counts, the
/// value of every count and share, every number of the other notes) must be equal. Shares'
/// intervals are not compared (they are not linear in counts).
fn same_numbers(a: &Results, b: &Results) -> bool {
    let digits = |note: &str| -> String {
        note.chars()
            .map(|c| if c.is_ascii_digit() { c } else { ' ' })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(",")
    };
    if serde_json::to_string(&a.sample).unwrap() != serde_json::to_string(&b.sample).unwrap()
        || a.tables.len() != b.tables.len()
    {
        return false;
    }
    for (ta, tb) in a.tables.iter().zip(&b.tables) {
        let ca: Vec<&Cell> = ta.rows.iter().flat_map(|r| &r.cells).collect();
        let cb: Vec<&Cell> = tb.rows.iter().flat_map(|r| &r.cells).collect();
        if ta.id != tb.id || ca.len() != cb.len() {
            return false;
        }
        for (x, y) in ca.iter().zip(&cb) {
            let prot = |c: &Cell| c.withheld == Some(Withheld::Protection);
            if prot(x) || prot(y) {
                continue;
            }
            let key = |c: &Cell| {
                (
                    c.suppressed,
                    c.withheld,
                    c.n_sessions,
                    c.n_users,
                    if c.class.linear() {
                        // The point value and SE; not the interval, which depends on how the
                        // sessions spread over people (docs/STATISTICS.md).
                        format!("{:?}{:?}", c.value, c.se)
                    } else {
                        String::new()
                    },
                )
            };
            if key(x) != key(y) {
                return false;
            }
        }
        // Notes about the protection (a withheld number, how many cells it withdrew) differ
        // with it; the rest must not.
        let kept = |t: &Table| -> Vec<String> {
            t.notes
                .iter()
                .filter(|n| !n.contains("withheld") && !n.contains("also suppressed"))
                .map(|n| digits(n))
                .collect()
        };
        if kept(ta) != kept(tb) {
            return false;
        }
    }
    true
}

/// [`twin`] with [`same_numbers`] instead of the whole page: a data set whose published
/// numbers agree with these wherever both pages publish.
fn twin_numbers(s: &[S], k: u32, hidden: &dyn Fn(&[S]) -> Vec<usize>) -> Option<(usize, usize)> {
    let page = run_with(s, k, Rules::default());
    let h = hidden(s);
    for i in 0..s.len() {
        for j in 0..s.len() {
            let mut t = s.to_vec();
            t[i] = S {
                user: s[i].user,
                ..s[j].clone()
            };
            if hidden(&t) != h && same_numbers(&run_with(&t, k, Rules::default()), &page) {
                return Some((i, j));
            }
        }
    }
    None
}

type Hidden = fn(&[S]) -> Vec<usize>;
/// The exact attack, for a data set where rounding cannot protect and the protection withdrew
/// cells instead: whether it is blocked on the page.
type Blocked = Option<fn(&Results) -> bool>;

/// The six named attacks' data sets, with the hidden numbers each attack was after.
fn named_attacks() -> Vec<(&'static str, Vec<S>, Hidden, Blocked)> {
    fn count(s: &[S], f: impl Fn(&S) -> bool) -> usize {
        s.iter().filter(|x| f(x)).count()
    }
    vec![
        (
            "Fix sessions in fig1_work_mode",
            data_fig1_complement_undone_by_value_by_mode(),
            |s| vec![count(s, |x| x.mode == WorkMode::Fix)],
            None,
        ),
        (
            "Create sessions in fig1_codebase_relation",
            data_codebase_relation_via_validation_rows(),
            |s| vec![count(s, |x| x.relation == CodebaseRelation::Create)],
            None,
        ),
        (
            "success-signal level 5 sessions in Fig. A1",
            data_rate_table_rows_against_note_total(),
            |s| vec![count(s, |x| x.succ == Signal::S5)],
            None,
        ),
        (
            "code-writing sessions and their agreement",
            data_validation_rate_by_subtraction(),
            |s| {
                let writes = |x: &S| {
                    matches!(
                        x.relation,
                        CodebaseRelation::Modify | CodebaseRelation::Create
                    )
                };
                vec![count(s, writes), count(s, |x| writes(x) && x.lines > 0)]
            },
            // Both people writing code are alone in their row, and so are the two moves
            // that would keep every rounded number: the protection withdraws the second row,
            // which the exact attack needs.
            Some(|r| {
                let t = table(r, "validation_writes_code");
                let (c1, c2) = (&t.rows[1].cells[0], &t.rows[2].cells[0]);
                t.rows[0].cells[0].suppressed
                    && (n(c1).is_none() || n(c2).is_none() || c1.value.is_none())
            }),
        ),
        (
            "verified-success rate at level 5",
            data_table_a1_against_table_a2(),
            |s| {
                vec![
                    count(s, |x| x.level == 5),
                    count(s, |x| x.level == 5 && x.succ == Signal::S5),
                ]
            },
            None,
        ),
        (
            "February Build sessions",
            data_month_by_mode_against_fig1_margin(),
            |s| {
                vec![count(s, |x| {
                    x.month == "2026-02" && x.mode == WorkMode::Build
                })]
            },
            None,
        ),
        (
            "sessions of the person missing from Table A1's sample",
            data_regression_sample_one_person_short(),
            |s| vec![count(s, |x| x.usd.is_none())],
            None,
        ),
    ]
}

/// A regression whose estimation sample differs from a published count by one person: one
/// person's two sessions have no task value, so Table A1's observations are the sessions with
/// a goal less theirs.
fn data_regression_sample_one_person_short() -> Vec<S> {
    let mut s = Vec::new();
    for u in 0..12 {
        for j in 0..3 {
            s.push(S {
                user: u,
                level: 1 + (u % 5) as u8,
                mode: WorkMode::ALL[j % 2],
                succ: if (u + j) % 3 == 0 {
                    Signal::S2
                } else {
                    Signal::S5
                },
                ..S::default()
            });
        }
    }
    for _ in 0..2 {
        s.push(S {
            user: 99,
            usd: None,
            ..S::default()
        });
    }
    s
}

/// Every named attack, run against the rounded page: the page does not determine the hidden
/// count (a twin data set with another count publishes the same page), or, where rounding
/// cannot protect it, the protection withdrew what the exact attack reads.
#[test]
fn named_attacks_fail_on_the_rounded_page() {
    for (what, s, hidden, blocked) in named_attacks() {
        let r = run_with(&s, 3, Rules::default());
        assert_eq!(r.privacy.round_base, 5, "{what}: rounded");
        if twin(&s, 3, &hidden).is_none() {
            let blocked = blocked.unwrap_or_else(|| panic!("{what}: the page determines it"));
            assert!(blocked(&r), "{what}: neither a twin nor a withdrawal");
        }
    }
}

// ---- output classes: dominance, coefficients, rounding, reasons (issue 12) -----------------

/// One heavy user holding nearly all of a level's actions: the level's magnitude cells are
/// that person's numbers, and are withheld (team mode), but not under the old rules or in
/// personal mode; a cell the heavy user does not dominate stays.
#[test]
fn a_magnitude_cell_dominated_by_one_person_is_withheld() {
    let mut s: Vec<S> = (0..20)
        .map(|_| S {
            user: 0,
            actions: Some(1000.0),
            ..S::default()
        })
        .collect();
    s.extend(each(1..5, S::default()));
    s.extend(each(
        5..10,
        S {
            level: 4,
            ..S::default()
        },
    ));
    let r = run_with(&s, 3, Rules::default());
    let t = table(&r, "fig3_actions_by_expertise");
    let level3 = &t
        .rows
        .iter()
        .find(|r| r.label.starts_with('3'))
        .unwrap()
        .cells;
    for c in level3 {
        assert!(c.suppressed, "{c:?}");
        assert_eq!(c.withheld, Some(Withheld::Dominance));
        assert!(c.class.magnitude());
    }
    assert!(
        t.notes
            .iter()
            .any(|n| n.contains("nk and p% dominance rules")),
        "{:?}",
        t.notes
    );
    // Level 4 (five people, equal shares) is not dominated.
    let level4 = &t
        .rows
        .iter()
        .find(|r| r.label.starts_with('4'))
        .unwrap()
        .cells;
    assert!(level4.iter().all(|c| !c.suppressed), "{level4:?}");
    // Words per prompt: the heavy user holds 20 of 24 similar values, under 90%, and the rest
    // is more than 10% of theirs: published.
    let words = table(&r, "fig3_words_by_expertise");
    assert!(
        !words
            .rows
            .iter()
            .find(|r| r.label.starts_with('3'))
            .unwrap()
            .cells[2]
            .suppressed
    );
    // The old rules and personal mode publish it.
    let old = run_with(&s, 3, Rules::legacy());
    let t = table(&old, "fig3_actions_by_expertise");
    assert!(
        !t.rows
            .iter()
            .find(|r| r.label.starts_with('3'))
            .unwrap()
            .cells[2]
            .suppressed
    );
    let facets: Vec<Facet> = s.iter().enumerate().map(|(i, x)| facet(i, x)).collect();
    let personal = analyse(&facets, &Threshold::personal());
    assert!(personal
        .tables
        .iter()
        .flat_map(|t| t.rows.iter().flat_map(|r| &r.cells))
        .all(|c| c.withheld != Some(Withheld::Dominance)));
}

/// Model coefficients: published only with at least the residual degrees of freedom of the
/// floor; the old rules published them whatever the df. Every published coefficient says its
/// df.
#[test]
fn a_coefficient_of_a_model_without_enough_residual_df_is_withheld() {
    // Six people, two sessions each: the richer columns of Table A1 spend most of the 12
    // observations on fixed effects.
    let mut s = Vec::new();
    for u in 0..6 {
        for j in 0..2 {
            s.push(S {
                user: u,
                level: 1 + ((u + j) % 5) as u8,
                mode: WorkMode::ALL[(u + j) % 4],
                month: if u % 2 == 0 { "2026-01" } else { "2026-02" },
                succ: if (u * 2 + j) % 3 == 0 {
                    Signal::S2
                } else {
                    Signal::S5
                },
                ..S::default()
            });
        }
    }
    let new = run_with(&s, 3, Rules::default());
    let old = run_with(&s, 3, Rules::legacy());
    let (a1, a1_old) = (table(&new, "table_a1"), table(&old, "table_a1"));
    let mut withheld_for_df = 0;
    for (c, (x, y)) in a1.rows[0]
        .cells
        .iter()
        .zip(&a1_old.rows[0].cells)
        .enumerate()
    {
        assert_eq!(x.class, agentstat_stats::results::OutputClass::Coef);
        if !x.suppressed {
            assert!(
                x.residual_df.is_some_and(|df| df >= 10),
                "column {c}: {x:?}"
            );
        }
        if x.suppressed && !y.suppressed && y.value.is_some() {
            assert_eq!(x.withheld, Some(Withheld::FewPeople), "column {c}");
            assert!(y.residual_df.is_some_and(|df| df < 10), "column {c}: {y:?}");
            withheld_for_df += 1;
        }
    }
    assert!(
        withheld_for_df > 0,
        "the test must exercise the floor: {:?}",
        a1_old.rows[0]
    );
    // Column (1) (intercept and expertise) keeps 10 residual df and is published.
    assert!(
        a1.rows[0].cells[0].value.is_some(),
        "{:?}",
        a1.rows[0].cells[0]
    );
}

/// A coefficient on an indicator that isolates a group of fewer than k people is that group's
/// mean in disguise: Table A2's level-5 coefficient (two people) and Fig. 5's level-5 margins
/// are withheld, with the level's rates.
#[test]
fn coefficients_isolating_a_small_group_are_withheld() {
    let r = run_with(&data_table_a1_against_table_a2(), 3, Rules::default());
    let a2 = table(&r, "table_a2");
    let expert = &a2.rows[4];
    assert!(expert.cells.iter().all(|c| c.suppressed), "{expert:?}");
    assert_eq!(
        expert.cells[0].class,
        agentstat_stats::results::OutputClass::Coef
    );
    let fig5 = table(&r, "fig5_adjusted_rates");
    assert!(fig5.rows[4].cells.iter().all(|c| c.suppressed));
    // The other levels' contrasts have three people each and are published.
    assert!(a2.rows[1].cells[0].value.is_some(), "{:?}", a2.rows[1]);
    // results.json says which coefficient isolates a group (and that the others do not).
    assert_eq!(expert.cells[0].isolates_group, Some(true), "{expert:?}");
    assert_eq!(a2.rows[1].cells[0].isolates_group, Some(false));
    let json = serde_json::to_value(a2).unwrap();
    assert_eq!(json["rows"][4]["cells"][0]["isolates_group"], true);
    assert_eq!(json["rows"][1]["cells"][0]["isolates_group"], false);
    // Cells that are not coefficients do not carry it.
    let fig1 = table(&r, "fig1_work_mode");
    assert!(fig1
        .rows
        .iter()
        .flat_map(|r| &r.cells)
        .all(|c| c.isolates_group.is_none()));
}

/// Rounding is deterministic (the same page twice), every published count is a multiple of
/// the base, every published share lies on the grid its rounded denominator allows, and the
/// population sizes in notes are rounded too.
#[test]
fn rounded_pages_are_deterministic_and_on_the_grid() {
    for (what, s, _, _) in named_attacks() {
        let a = run_with(&s, 3, Rules::default());
        let b = run_with(&s, 3, Rules::default());
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap(),
            "{what}"
        );
        for t in &a.tables {
            for c in t
                .rows
                .iter()
                .flat_map(|r| &r.cells)
                .filter(|c| !c.suppressed)
            {
                assert_eq!(c.n_sessions % 5, 0, "{what} {}: {c:?}", t.id);
                assert_eq!(c.n_users % 5, 0, "{what} {}: {c:?}", t.id);
                if c.class == agentstat_stats::results::OutputClass::Share {
                    if let Some(v) = c.value {
                        // The coarsest grid a share can be on is 0.001; every share is on a
                        // multiple of it, and none carries an SE that would give it back.
                        assert!(((v * 1000.0).round() - v * 1000.0).abs() < 1e-6, "{v}");
                        assert!(c.se.is_none(), "{what} {}: {c:?}", t.id);
                    }
                }
            }
        }
        let fig1 = table(&a, "fig1_work_mode");
        if let Some(total) = note_number(fig1, "interactive sessions with a work-mode label") {
            assert_eq!(total as u64 % 5, 0, "{what}: {:?}", fig1.notes);
        }
    }
}

/// The sample block is rounded with the cells in team mode (issue 12: "the sample sizes in
/// notes are rounded"): every session count, per agent, per model family, per classifier and
/// per exclusion reason is a multiple of the base, and the same count is printed the same way
/// as in the tables. Personal mode and the rules before issue 12 publish it exact.
#[test]
fn the_sample_block_is_rounded_in_team_mode_only() {
    // 13 sessions of 4 people over two agents, two of them not interactive: nothing here is a
    // multiple of 5, so an unrounded number cannot pass.
    let mut facets: Vec<Facet> = (0..13)
        .map(|i| {
            facet(
                i,
                &S {
                    user: i % 4,
                    agent: if i < 9 { "claude-code" } else { "codex" },
                    ..S::default()
                },
            )
        })
        .collect();
    for f in &mut facets[..2] {
        f.interactive = false;
        f.excluded_reason = Some("no human turns".into());
    }
    let exact = agentstat_stats::analyses::sample(&facets);
    assert_eq!(
        (
            exact.sessions,
            exact.interactive_sessions,
            exact.agents["claude-code"]
        ),
        (13, 11, 9)
    );
    let team = |rules: Rules| {
        analyse(
            &facets,
            &Threshold {
                min_users: 2,
                personal: false,
                rules,
            },
        )
        .sample
    };
    let r = team(Rules::default());
    assert_eq!((r.sessions, r.interactive_sessions), (15, 10));
    assert_eq!(r.agents["claude-code"], 10);
    assert_eq!(r.agents["codex"], 5);
    assert_eq!(r.agent_people["claude-code"], 5, "4 people round to 5");
    assert_eq!(r.excluded["no human turns"], 0, "2 sessions round to 0");
    assert_eq!(r.model_families["opus"], 15);
    assert!(
        r.classifiers.values().all(|n| n % 5 == 0),
        "{:?}",
        r.classifiers
    );
    // The team's size stays exact (the report compares it with k).
    assert_eq!(r.people, 4);

    let legacy = team(Rules::legacy());
    assert_eq!((legacy.sessions, legacy.interactive_sessions), (13, 11));
    let personal = analyse(&facets, &Threshold::personal()).sample;
    assert_eq!(personal.agents["claude-code"], 9);
    assert_eq!(personal.excluded["no human turns"], 2);
}

/// The reasons reach the headline: a reading never blames too few people for cells withheld
/// by the protection or the dominance rule.
#[test]
fn a_headline_never_blames_too_few_people_for_the_protection() {
    for rules in [Rules::default(), Rules::legacy()] {
        for (what, s, _, _) in named_attacks() {
            let r = run_with(&s, 3, rules);
            for t in &r.tables {
                if t.reading.to_lowercase().contains("too few people") {
                    let other = t
                        .rows
                        .iter()
                        .flat_map(|r| &r.cells)
                        .filter(|c| c.suppressed)
                        .any(|c| c.withheld != Some(Withheld::FewPeople));
                    assert!(!other, "{what} {}: {:?}", t.id, t.reading);
                }
                for c in t.rows.iter().flat_map(|r| &r.cells) {
                    assert_eq!(c.suppressed, c.withheld.is_some(), "{what} {}: {c:?}", t.id);
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Random work mode × month data under the default rules: every hidden month × mode cell
    /// that the exact linear attacker would determine from the published counts (read as if
    /// they were exact) has a twin data set — one session's labels replaced by another's, same
    /// person — that publishes the same numbers wherever both pages publish, with another
    /// count in that cell. (The twin's own protection may withdraw a number this page shows:
    /// the pattern of withdrawals is information, as any suppression pattern is; see
    /// docs/STATISTICS.md.)
    #[test]
    fn rounding_leaves_no_hidden_mode_month_cell_determined(
        people in proptest::collection::vec(
            proptest::collection::vec((0usize..4, 0usize..2), 1..4), 5..12),
        k in 2u32..4,
    ) {
        let mut s = Vec::new();
        for (u, sessions) in people.iter().enumerate() {
            for &(w, m) in sessions {
                s.push(S { user: u, mode: MODES[w], month: MONTHS[m], ..S::default() });
            }
        }
        let r = run_with(&s, k, Rules::default());
        let fig1 = table(&r, "fig1_work_mode");
        let fig4 = table(&r, "fig4_work_mode_by_month");
        let by_mode = table(&r, "fig4_value_by_mode");
        let by_month = table(&r, "fig4_value_by_month");
        let var = |m: usize, w: usize| m * 4 + w;
        let all: Vec<usize> = (0..8).collect();
        let mut eqs: Vec<Vec<usize>> = vec![all.clone()]; // the sample block: exact
        if note_number(fig1, "interactive sessions with a work-mode label").is_some() {
            eqs.push(all.clone());
        }
        for (w, mode) in MODES.iter().enumerate() {
            let col: Vec<usize> = (0..2).map(|m| var(m, w)).collect();
            if n(cell(fig1, mode.as_str(), 0)).is_some() || n(cell(by_mode, mode.as_str(), 0)).is_some() {
                eqs.push(col);
            }
        }
        for (m, month) in MONTHS.iter().enumerate() {
            let Some(row) = fig4.rows.iter().find(|r| r.label == *month) else { continue };
            if row.cells.iter().any(|c| c.value.is_some_and(|v| v > 0.0))
                || n(cell(by_month, month, 0)).is_some()
            {
                eqs.push((0..4).map(|w| var(m, w)).collect());
            }
            for (w, mode) in MODES.iter().enumerate() {
                if n(&row.cells[mode.index()]).is_some() {
                    eqs.push(vec![var(m, w)]);
                }
            }
        }
        let count = |s: &[S], m: usize, w: usize| {
            s.iter().filter(|x| x.month == MONTHS[m] && x.mode == MODES[w]).count()
        };
        for (m, month) in MONTHS.iter().enumerate() {
            let Some(row) = fig4.rows.iter().find(|r| r.label == *month) else { continue };
            for (w, mode) in MODES.iter().enumerate() {
                if count(&s, m, w) == 0 || !row.cells[mode.index()].suppressed {
                    continue;
                }
                if determined(&eqs, 8, &[var(m, w)]) {
                    let hidden = move |s: &[S]| {
                        vec![s.iter().filter(|x| x.month == MONTHS[m] && x.mode == MODES[w]).count()]
                    };
                    prop_assert!(
                        twin_numbers(&s, k, &hidden).is_some(),
                        "{month} × {} ({} sessions) determined and no twin; k = {k}",
                        mode.as_str(), count(&s, m, w)
                    );
                }
            }
        }
    }
}
