//! Statistics for one person's own report: what in *your* sessions goes with verified success
//! and with trouble, your figures beside the study's published ones, your months, and advice
//! phrased from those numbers.
//!
//! The unit is the session: shares carry Wilson 95% intervals over sessions, differences of
//! shares Newcombe's hybrid score interval (method 10), means a t interval over sessions. All
//! of it is an association within one person's sessions, not a causal effect, and the tables
//! say so. Habits are read off telemetry and the facets' habit flags, never off transcript text.
//!
//! Outside personal mode every cell still passes the distinct-user rule (`min_users`), so the
//! tables are safe wherever they are rendered; the advice table is made in personal mode only.
//!
//! One module per table: [`habits`] (the two ranked habit tables), [`study`] (you beside the
//! study), [`trend`] (by month), [`advice`] (what to try next).

pub mod advice;
pub mod habits;
pub mod interval;
pub mod study;
pub mod trend;

use crate::results::{Cell, Chart, Column, Table};
use agentstat_facets::Facet;
use std::collections::HashMap;

pub use interval::{newcombe, wilson95};

/// Figure name the personal tables carry, so the page groups them in the personal section.
pub const PERSONAL_FIGURE: &str = "Personal";
/// Table ids (stable: the browser test and CSV names rely on them).
pub const SUCCESS_ID: &str = "personal_habits_success";
pub const TROUBLE_ID: &str = "personal_habits_trouble";
pub const STUDY_ID: &str = "personal_vs_study";
pub const ACTIVITY_ID: &str = "personal_activity";
pub const TREND_ID: &str = "personal_trend";
pub const ADVICE_ID: &str = "personal_advice";

/// Below this many sessions on either side of a habit, no difference is computed.
pub const MIN_SIDE: u64 = 5;
/// A trend needs at least this many months.
pub const MIN_MONTHS: usize = 3;

/// One classified interactive session, with the two outcomes the section compares.
pub struct Obs<'a> {
    pub facet: &'a Facet,
    /// The facet's user key as a small number (distinct users are counted for every cell).
    pub user: u32,
    /// Verified success, among sessions with a clear goal (`None` otherwise).
    pub verified: Option<bool>,
    /// Failure signal 3 or more.
    pub trouble: Option<bool>,
}

/// The personal tables, in page order: the two ranked habit tables, you beside the study, your
/// activity per prompt, the trend by month (with at least [`MIN_MONTHS`] months) and, in
/// personal mode, the advice. None when no session was classified.
pub fn personal_tables(facets: &[Facet], min_users: u32, personal: bool) -> Vec<Table> {
    let mut ids: HashMap<&str, u32> = HashMap::new();
    let obs: Vec<Obs> = facets
        .iter()
        .filter(|f| f.interactive && f.labels.is_some())
        .map(|f| {
            let d = f.derived();
            let next = ids.len() as u32;
            Obs {
                facet: f,
                user: *ids.entry(f.user_key.as_str()).or_insert(next),
                verified: if d.in_success_sample {
                    d.verified_success
                } else {
                    None
                },
                trouble: d.hit_trouble,
            }
        })
        .collect();
    if obs.is_empty() {
        return Vec::new();
    }
    let k = if personal { 0 } else { min_users };
    let ranked = habits::ranked(&obs, k);
    let mut out = habits::tables(&ranked, &obs);
    let vs = study::tables(&obs, k);
    out.extend(vs.iter().cloned());
    out.extend(trend::table(&obs, k));
    if personal {
        out.push(advice::table(&ranked, &obs, &vs));
    }
    out
}

/// An empty table of the personal section.
pub(crate) fn base(id: &str, title: &str, chart: Chart, columns: Vec<Column>) -> Table {
    Table {
        id: id.into(),
        figure: PERSONAL_FIGURE.into(),
        title: title.into(),
        chart,
        columns,
        ..Default::default()
    }
}

pub(crate) fn col(key: &str, label: &str, unit: &str) -> Column {
    Column {
        key: key.into(),
        label: label.into(),
        unit: unit.into(),
    }
}

/// Distinct users among the given user numbers ([`Obs::user`]).
pub(crate) fn users(us: impl Iterator<Item = u32>) -> u64 {
    let mut seen: Vec<bool> = Vec::new();
    let mut n = 0;
    for u in us {
        let u = u as usize;
        if u >= seen.len() {
            seen.resize(u + 1, false);
        }
        if !seen[u] {
            seen[u] = true;
            n += 1;
        }
    }
    n
}

/// A share of `flags` with its Wilson interval; suppressed below `k` distinct users; empty
/// (no value) without observations.
pub(crate) fn share_cell(flags: &[(bool, u32)], k: u32) -> Cell {
    let n = flags.len() as u64;
    let n_users = users(flags.iter().map(|o| o.1));
    if n == 0 {
        return Cell::default();
    }
    if n_users < u64::from(k) {
        return suppressed(n, n_users);
    }
    let x = flags.iter().filter(|o| o.0).count() as u64;
    let p = x as f64 / n as f64;
    let (lo, hi) = wilson95(x, n);
    Cell {
        value: Some(p),
        se: Some((p * (1.0 - p) / n as f64).sqrt()),
        ci_low: Some(lo),
        ci_high: Some(hi),
        p_value: None,
        n_sessions: n,
        n_users,
        suppressed: false,
        class: crate::results::OutputClass::Share,
        withheld: None,
        residual_df: None,
        isolates_group: None,
    }
}

pub(crate) fn suppressed(n: u64, n_users: u64) -> Cell {
    Cell {
        suppressed: true,
        n_sessions: n,
        n_users,
        ..Default::default()
    }
}

/// `12 of 39 sessions`.
pub fn of_sessions(x: u64, n: u64) -> String {
    format!("{x} of {n} session{}", if n == 1 { "" } else { "s" })
}

/// `64%` for a share in [0, 1].
pub(crate) fn pct(p: f64) -> String {
    format!("{:.0}%", p * 100.0)
}

/// `+12 points [+3, +21]` for a difference of shares with its interval.
pub(crate) fn points(c: &Cell) -> String {
    let f = |v: f64| format!("{:+.0}", v * 100.0);
    match (c.value, c.ci_low, c.ci_high) {
        (Some(d), Some(lo), Some(hi)) => {
            format!("{} points [{}, {}]", f(d), f(lo), f(hi))
        }
        (Some(d), _, _) => format!("{} points", f(d)),
        _ => "no difference computed".into(),
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::Obs;
    use agentstat_facets::*;

    /// The observations of one person's facets (every session user 0).
    pub fn obs(f: &[Facet]) -> Vec<Obs<'_>> {
        f.iter()
            .map(|x| {
                let d = x.derived();
                Obs {
                    facet: x,
                    user: 0,
                    verified: d.verified_success,
                    trouble: d.hit_trouble,
                }
            })
            .collect()
    }

    fn prov() -> Provenance {
        Provenance {
            backend: "heuristic".into(),
            model: "rules".into(),
            prompt_version: "1".into(),
        }
    }

    /// One classified interactive session of user `user`: `commits` commits, the outcome and
    /// the success/failure signal levels.
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

    pub fn ok() -> Facet {
        facet("u", 0, Outcome::Succeeded, 4, 0)
    }

    pub fn failed() -> Facet {
        facet("u", 0, Outcome::Failed, 1, 4)
    }

    pub fn flags(acceptance: bool, plan: f64) -> Habits {
        Habits {
            named_acceptance_test: acceptance,
            targeted_verification: 0,
            plan_mode_share: Some(plan),
            specific_setup: false,
            asked_for_review: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::*;
    use super::*;
    use agentstat_facets::Outcome;

    #[test]
    fn personal_mode_gives_every_table_in_page_order() {
        let mut f = Vec::new();
        for i in 0..24u32 {
            let mut x = if i % 3 == 0 { failed() } else { ok() };
            x.session_key = format!("s{i}");
            x.telemetry.month = Some(format!("2026-0{}", 1 + i % 4));
            x.habits = Some(flags(i % 2 == 0, 0.0));
            f.push(x);
        }
        let ids: Vec<String> = personal_tables(&f, 5, true)
            .into_iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(
            ids,
            [
                SUCCESS_ID,
                TROUBLE_ID,
                STUDY_ID,
                ACTIVITY_ID,
                TREND_ID,
                ADVICE_ID
            ]
        );
        // Two months are not a trend; outside personal mode there is no advice.
        for x in &mut f {
            let m = x.telemetry.month.clone().unwrap();
            let early = m.as_str() < "2026-03";
            x.telemetry.month = Some(if early { "2026-01" } else { "2026-02" }.to_string());
        }
        let ids: Vec<String> = personal_tables(&f, 1, false)
            .into_iter()
            .map(|t| t.id)
            .collect();
        assert_eq!(ids, [SUCCESS_ID, TROUBLE_ID, STUDY_ID, ACTIVITY_ID]);
    }

    #[test]
    fn no_classified_sessions_no_tables() {
        let mut f = facet("u", 1, Outcome::Succeeded, 4, 0);
        f.labels = None;
        assert!(personal_tables(&[f], 5, true).is_empty());
    }

    #[test]
    fn outside_personal_mode_cells_below_k_are_suppressed() {
        let f = vec![
            facet("a", 1, Outcome::Succeeded, 4, 0),
            facet("b", 0, Outcome::Failed, 0, 4),
        ];
        for t in personal_tables(&f, 3, false) {
            for r in &t.rows {
                // The study's published figures are about no one here.
                for (c, col) in r
                    .cells
                    .iter()
                    .zip(&t.columns)
                    .filter(|x| x.1.key != "study")
                {
                    assert!(
                        c.suppressed || c.value.is_none(),
                        "{} {} {}",
                        t.id,
                        r.label,
                        col.key
                    );
                }
            }
        }
    }

    #[test]
    fn no_cell_has_a_zero_width_interval() {
        // All alike: every share is 0 or 1, every mean has no spread.
        let f: Vec<_> = (0..8)
            .map(|i| {
                let mut x = ok();
                x.session_key = format!("s{i}");
                x.telemetry.month = Some(format!("2026-0{}", 1 + i % 3));
                x
            })
            .collect();
        for t in personal_tables(&f, 5, true) {
            for r in &t.rows {
                for c in &r.cells {
                    if let (Some(lo), Some(hi)) = (c.ci_low, c.ci_high) {
                        assert!(hi > lo, "{} {}: [{lo}, {hi}]", t.id, r.label);
                    }
                }
            }
        }
    }
}
