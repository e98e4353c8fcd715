//! Distinct-user thresholds and cell suppression (rubric §6).
//!
//! Every published cell must rest on at least `k` distinct users. Cells are built through
//! [`Threshold::cell`] (or [`Threshold::cell_from_users`]), which suppresses at construction,
//! and [`enforce`] walks a finished [`Results`] once more before anything is printed or saved:
//! two independent checks, so one forgotten call cannot leak a small cell.
//!
//! Default `k` = [`DEFAULT_MIN_USERS`] = 10. The study did not publish its threshold; 10 is a
//! common disclosure-control floor for team/corpus reports (no cell describes fewer than ten
//! people) while leaving most cells of a team of a few dozen people publishable. Personal mode
//! (one person analysing their own sessions) switches suppression off and the document says so
//! in `privacy.personal_mode`.

use crate::results::{Cell, Results};
use agentstat_facets::Facet;
use std::collections::HashSet;
use std::hash::Hash;

/// Which suppression rule a command applies to a facets table; `stats` and `report` share it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeDecision {
    /// Thresholds off.
    pub personal: bool,
    /// Thresholds off only because `--personal` was given although the data do not show one
    /// identified person (several user keys, or the unidentified fallback key): the output must
    /// say "at your request", never "one person".
    pub by_request: bool,
    /// Distinct user keys in the data.
    pub user_keys: usize,
    /// Some session's key is the unidentified fallback (`Telemetry::user_unknown`).
    pub unidentified: bool,
    /// What to print on stderr, if anything.
    pub warning: Option<String>,
}

/// Personal mode is automatic only when every session belongs to one *identified* person and
/// no `--min-users` was given; the fallback key `unknown` (no home directory in the working
/// directory, e.g. containers) may stand for many people, so it never qualifies. `--personal`
/// always turns thresholds off, with a warning when the data do not show one identified person.
pub fn decide_mode(facets: &[Facet], personal_flag: bool, min_users_given: bool) -> ModeDecision {
    let user_keys = facets
        .iter()
        .map(|f| f.user_key.as_str())
        .collect::<HashSet<_>>()
        .len();
    let unidentified = facets.iter().any(|f| f.telemetry.user_unknown);
    let one_identified = user_keys <= 1 && !unidentified;
    let personal = personal_flag || (!min_users_given && one_identified);
    let by_request = personal_flag && !one_identified;
    let warning = if by_request {
        Some(format!(
            "agentstat: --personal: thresholds off at your request although the data hold {}; \
             every number is published unsuppressed. Do not share this output as a summary of \
             other people.",
            keys_phrase(user_keys, unidentified)
        ))
    } else if !personal && one_identified {
        None
    } else if !personal && user_keys <= 1 && unidentified {
        Some(
            "agentstat: the sessions carry no identifiable person (no home directory in their \
             working directories), so they may come from several people and the distinct-user \
             threshold applies. If they are all yours, use --personal (or --user NAME)."
                .to_string(),
        )
    } else {
        None
    };
    ModeDecision {
        personal,
        by_request,
        user_keys,
        unidentified,
        warning,
    }
}

/// `3 user keys`, `1 unidentified user key`, `3 user keys (one of them unidentified)`.
pub fn keys_phrase(user_keys: usize, unidentified: bool) -> String {
    match (user_keys, unidentified) {
        (1, true) => "1 unidentified user key".to_string(),
        (1, false) => "1 user key".to_string(),
        (n, true) => format!("{n} user keys (one of them the unidentified fallback)"),
        (n, false) => format!("{n} user keys"),
    }
}

/// A suppressed cell: no numbers, and no counts either — a suppressed cell's session and user
/// counts would reveal what suppression hides (docs/RESULTS_SCHEMA.md).
pub const SUPPRESSED: Cell = Cell {
    value: None,
    se: None,
    ci_low: None,
    ci_high: None,
    p_value: None,
    n_sessions: 0,
    n_users: 0,
    suppressed: true,
};

/// Default minimum number of distinct users per published cell.
pub const DEFAULT_MIN_USERS: u32 = 10;

/// The suppression rule in force for one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold {
    /// Minimum distinct users per published cell (`k`).
    pub min_users: u32,
    /// Personal mode: thresholds do not apply (the only person in the data is the reader).
    pub personal: bool,
}

impl Default for Threshold {
    fn default() -> Self {
        Threshold {
            min_users: DEFAULT_MIN_USERS,
            personal: false,
        }
    }
}

/// What an estimator produced for one cell, before the privacy rule is applied.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Estimate {
    pub value: Option<f64>,
    pub se: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub p_value: Option<f64>,
}

impl Estimate {
    /// A bare value (a count, a quantile, a mean without an interval).
    pub fn value(v: f64) -> Self {
        Estimate {
            value: finite(v),
            ..Default::default()
        }
    }
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

impl Threshold {
    /// A threshold of `min_users` outside personal mode.
    pub fn new(min_users: u32) -> Self {
        Threshold {
            min_users,
            personal: false,
        }
    }

    /// Personal mode: nothing is suppressed.
    pub fn personal() -> Self {
        Threshold {
            min_users: DEFAULT_MIN_USERS,
            personal: true,
        }
    }

    /// Whether a cell with `n_users` distinct users may be published.
    pub fn allows(&self, n_users: u64) -> bool {
        self.personal || n_users >= u64::from(self.min_users)
    }

    /// Builds a cell, suppressing it (every number `None`, `suppressed: true`) when fewer than
    /// `min_users` distinct users contributed. The suppressed cell still carries its counts for
    /// in-analysis bookkeeping; [`enforce`] zeroes them. Non-finite numbers become `None`.
    pub fn cell(&self, est: Estimate, n_sessions: u64, n_users: u64) -> Cell {
        if !self.allows(n_users) {
            // Counts kept for the analysis' own bookkeeping (complementary suppression needs
            // the hidden mass); `enforce` clears them before anything is output.
            return Cell {
                n_sessions,
                n_users,
                ..SUPPRESSED
            };
        }
        Cell {
            value: est.value.and_then(finite),
            se: est.se.and_then(finite),
            ci_low: est.ci_low.and_then(finite),
            ci_high: est.ci_high.and_then(finite),
            p_value: est.p_value.and_then(finite),
            n_sessions,
            n_users,
            suppressed: false,
        }
    }

    /// Like [`Threshold::cell`], counting sessions and distinct users from the contributing
    /// sessions' user keys (one key per session).
    pub fn cell_from_users<U: Hash + Eq>(&self, est: Estimate, users: &[U]) -> Cell {
        let n_users = distinct(users);
        self.cell(est, users.len() as u64, n_users)
    }
}

/// Number of distinct keys.
pub fn distinct<U: Hash + Eq>(users: &[U]) -> u64 {
    users.iter().collect::<HashSet<_>>().len() as u64
}

/// Suppresses `cell` in place (to [`SUPPRESSED`]) if the threshold forbids it or it is already
/// marked suppressed; returns whether it is suppressed.
pub fn enforce_cell(cell: &mut Cell, th: &Threshold) -> bool {
    if cell.suppressed || !th.allows(cell.n_users) {
        *cell = SUPPRESSED;
    }
    cell.suppressed
}

/// Last line of defence before output: re-applies the threshold to every cell of every table,
/// records the rule in `results.privacy` and sets `privacy.suppressed_cells` to the number of
/// suppressed cells in the document. Returns that number.
///
/// A cell already marked `suppressed` stays suppressed (numbers and counts cleared) even in
/// personal mode: suppression (including an analysis' complementary suppression) is never
/// undone here.
pub fn enforce(results: &mut Results, th: &Threshold) -> u32 {
    let mut n = 0u32;
    for table in &mut results.tables {
        for row in &mut table.rows {
            for cell in &mut row.cells {
                if enforce_cell(cell, th) {
                    n = n.saturating_add(1);
                }
            }
        }
    }
    results.privacy.min_users = th.min_users;
    results.privacy.personal_mode = th.personal;
    results.privacy.suppressed_cells = n;
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::{Row, Table};
    use proptest::prelude::*;

    #[test]
    fn below_k_is_suppressed_at_and_above_k_is_kept() {
        let th = Threshold::new(3);
        let est = Estimate {
            value: Some(0.5),
            se: Some(0.1),
            ..Default::default()
        };
        let c = th.cell_from_users(est, &["a", "b", "a", "b"]);
        assert!(c.suppressed);
        assert!(c.suppressed);
        assert_eq!((c.value, c.se, c.n_sessions, c.n_users), (None, None, 4, 2));
        let mut c = c;
        assert!(enforce_cell(&mut c, &th));
        assert_eq!(c, SUPPRESSED);
        let c = th.cell_from_users(est, &["a", "b", "c"]);
        assert!(!c.suppressed);
        assert_eq!(c.value, Some(0.5));
        let c = Threshold {
            min_users: 3,
            personal: true,
        }
        .cell_from_users(est, &["a"]);
        assert!(!c.suppressed);
        assert_eq!(c.value, Some(0.5));
    }

    /// Through JSON so the test does not depend on every field of `Facet`.
    fn facet(user: &str, unknown: bool) -> Facet {
        let telemetry = agentstat_facets::Telemetry {
            user_unknown: unknown,
            ..Default::default()
        };
        serde_json::from_value(serde_json::json!({
            "session_key": format!("s-{user}"),
            "user_key": user,
            "agent": "claude-code",
            "interactive": true,
            "telemetry": telemetry,
        }))
        .expect("a minimal facet")
    }

    #[test]
    fn personal_mode_is_automatic_only_for_one_identified_person() {
        let one = [facet("a", false), facet("a", false)];
        let d = decide_mode(&one, false, false);
        assert!(d.personal && !d.by_request && d.warning.is_none());
        // An explicit --min-users keeps the threshold even for one person.
        assert!(!decide_mode(&one, false, true).personal);
        // The unidentified fallback may be many people: threshold, with advice.
        let unknown = [facet("u", true), facet("u", true)];
        let d = decide_mode(&unknown, false, false);
        assert!(!d.personal && d.unidentified && d.warning.is_some());
        // Several keys: threshold; with --personal, thresholds off "at your request", warned.
        let many = [facet("a", false), facet("b", false), facet("c", false)];
        assert!(!decide_mode(&many, false, false).personal);
        let d = decide_mode(&many, true, false);
        assert!(d.personal && d.by_request && d.user_keys == 3);
        assert!(d.warning.unwrap().contains("3 user keys"));
        let d = decide_mode(&unknown, true, false);
        assert!(d.personal && d.by_request);
    }

    #[test]
    fn non_finite_values_become_none() {
        let c = Threshold::personal().cell(Estimate::value(f64::NAN), 1, 1);
        assert_eq!(c.value, None);
        assert!(!c.suppressed);
    }

    fn arb_cell() -> impl Strategy<Value = Cell> {
        (
            proptest::option::of(any::<f64>()),
            proptest::option::of(any::<f64>()),
            0u64..50,
            0u64..50,
            any::<bool>(),
        )
            .prop_map(|(value, se, n_sessions, n_users, suppressed)| Cell {
                value,
                se,
                ci_low: value,
                ci_high: se,
                p_value: se,
                n_sessions,
                n_users,
                suppressed,
            })
    }

    proptest! {
        /// Whatever cells an analysis produced, after `enforce` no cell with fewer than `k`
        /// distinct users carries a number, and the count of suppressed cells is exact.
        #[test]
        fn nothing_below_k_escapes(
            tables in proptest::collection::vec(
                proptest::collection::vec(proptest::collection::vec(arb_cell(), 0..6), 0..6), 0..5),
            k in 0u32..30,
        ) {
            let mut r = Results::default();
            for rows in tables {
                r.tables.push(Table {
                    rows: rows.into_iter().map(|cells| Row { label: String::new(), cells }).collect(),
                    ..Default::default()
                });
            }
            let th = Threshold::new(k);
            let n = enforce(&mut r, &th);
            let mut count = 0;
            for c in r.tables.iter().flat_map(|t| &t.rows).flat_map(|row| &row.cells) {
                if c.n_users < u64::from(k) {
                    prop_assert!(c.suppressed);
                }
                if c.suppressed {
                    count += 1;
                    prop_assert_eq!(*c, SUPPRESSED);
                }
            }
            prop_assert_eq!(n, count);
            prop_assert_eq!(r.privacy.suppressed_cells, count);
            prop_assert_eq!(r.privacy.min_users, k);
        }

        /// Cells built through `Threshold::cell_from_users` are suppressed iff they have fewer
        /// than `k` distinct users.
        #[test]
        fn cell_builder_suppresses_exactly_below_k(
            users in proptest::collection::vec(0u8..20, 0..60),
            k in 0u32..25,
            v in any::<f64>(),
        ) {
            let th = Threshold::new(k);
            let c = th.cell_from_users(Estimate::value(v), &users);
            let d = users.iter().collect::<HashSet<_>>().len() as u64;
            prop_assert_eq!(c.suppressed, d < u64::from(k));
            prop_assert_eq!(c.n_users, d);
            prop_assert_eq!(c.n_sessions, users.len() as u64);
            if c.suppressed {
                prop_assert!(c.value.is_none() && c.se.is_none() && c.ci_low.is_none()
                    && c.ci_high.is_none() && c.p_value.is_none());
            }
        }
    }
}
