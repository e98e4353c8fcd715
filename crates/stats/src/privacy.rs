//! Distinct-user thresholds and cell suppression (rubric §6).
//!
//! Every published cell must rest on at least `k` distinct users. Cells are built through
//! [`Threshold::cell`] (or [`Threshold::cell_from_users`]), which suppresses at construction,
//! and [`enforce`] walks a finished [`Results`] once more before anything is printed or saved:
//! two independent checks, so one forgotten call cannot leak a small cell.
//!
//! Between the two, [`Family::protect`] (driven by `analyses/links.rs`) closes differencing:
//! no suppressed cell's count may be a linear combination of published numbers of any table,
//! note or the sample block (docs/STATISTICS.md, "Differencing across tables").
//!
//! Default `k` = [`DEFAULT_MIN_USERS`] = 10. The study did not publish its threshold; 10 is a
//! common disclosure-control floor for team/corpus reports (no cell describes fewer than ten
//! people) while leaving most cells of a team of a few dozen people publishable. Personal mode
//! (one person analysing their own sessions) switches suppression off and the document says so
//! in `privacy.personal_mode`.

use crate::results::{Cell, OutputClass, Results, Table, Withheld};
use agentstat_facets::Facet;
use std::collections::{HashMap, HashSet};
use std::hash::Hash;

/// Which suppression rule a command applies to a facets table; `stats` and `report` share it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModeDecision {
    /// The rule: `k` and whether thresholds are off (personal mode).
    pub threshold: Threshold,
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
/// `min_users` is `--min-users` as given (`None`: the default `k`, [`DEFAULT_MIN_USERS`]).
pub fn decide_mode(facets: &[Facet], personal_flag: bool, min_users: Option<u32>) -> ModeDecision {
    let min_users_given = min_users.is_some();
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
        threshold: Threshold {
            min_users: min_users.unwrap_or(DEFAULT_MIN_USERS),
            personal,
            rules: Rules::default(),
        },
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
    class: OutputClass::Count,
    withheld: None,
    residual_df: None,
    isolates_group: None,
};

/// Default minimum number of distinct users per published cell.
pub const DEFAULT_MIN_USERS: u32 = 10;

/// Default rounding base of counts in team mode ([`crate::rounding`]).
pub const DEFAULT_ROUND_BASE: u32 = 5;
/// Default floor on a published model's residual degrees of freedom (the safe-output rule).
pub const DEFAULT_MIN_DF: u32 = 10;

/// The dominance rule for magnitude cells, per person (docs/STATISTICS.md, "Dominance").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dominance {
    /// nk rule: the `n` largest contributors …
    pub n: u32,
    /// … may not hold `k_percent` % or more of the cell's total.
    pub k_percent: u32,
    /// p% rule: the total minus the two largest contributions must exceed `p_percent` % of
    /// the largest (else the second largest contributor can estimate the largest one's total
    /// to within p%).
    pub p_percent: u32,
}

impl Default for Dominance {
    /// n = 2, k = 90%, p = 10%: the defaults of the SACRO output checker (ACRO).
    fn default() -> Self {
        Dominance {
            n: 2,
            k_percent: 90,
            p_percent: 10,
        }
    }
}

impl Dominance {
    /// Whether a cell whose people contribute `totals` (one non-negative total per person,
    /// any order) is dominated. A cell whose total is zero is not dominated (no one holds any
    /// of it).
    pub fn dominated(&self, totals: &[f64]) -> bool {
        let mut t: Vec<f64> = totals
            .iter()
            .map(|x| if x.is_finite() { x.abs() } else { 0.0 })
            .collect();
        t.sort_by(|a, b| b.total_cmp(a));
        let total: f64 = t.iter().sum();
        if total <= 0.0 {
            return false;
        }
        let top_n: f64 = t.iter().take(self.n as usize).sum();
        if top_n >= f64::from(self.k_percent) / 100.0 * total {
            return true;
        }
        let x1 = t.first().copied().unwrap_or(0.0);
        let x2 = t.get(1).copied().unwrap_or(0.0);
        total - x1 - x2 < f64::from(self.p_percent) / 100.0 * x1
    }
}

/// The disclosure rules beyond `k`: what team mode does with each output class. The default
/// is the safe-output rule set (issue 12); [`Rules::legacy`] is the rule before it (every
/// output treated as a count, protection by withdrawal only), kept for comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Counts (and the sample sizes in notes) rounded to this base; shares published on the
    /// grid it allows. 0 or 1: no rounding.
    pub round_base: u32,
    /// Model coefficients follow the safe-output rule (people, residual df, no coefficient
    /// isolating a small group) instead of the differencing protection.
    pub classes: bool,
    /// Floor on a published model's residual degrees of freedom (with `classes`).
    pub min_df: u32,
    /// Dominance rule for magnitude cells; `None`: off.
    pub dominance: Option<Dominance>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            round_base: DEFAULT_ROUND_BASE,
            classes: true,
            min_df: DEFAULT_MIN_DF,
            dominance: Some(Dominance::default()),
        }
    }
}

impl Rules {
    /// The rules before output classes: no rounding, no dominance, coefficients treated like
    /// the counts of their sample.
    pub fn legacy() -> Self {
        Rules {
            round_base: 0,
            classes: false,
            min_df: 0,
            dominance: None,
        }
    }
}

/// The suppression rule in force for one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Threshold {
    /// Minimum distinct users per published cell (`k`).
    pub min_users: u32,
    /// Personal mode: thresholds do not apply (the only person in the data is the reader).
    pub personal: bool,
    /// What applies beyond `k` in team mode (ignored in personal mode).
    pub rules: Rules,
}

impl Default for Threshold {
    fn default() -> Self {
        Threshold {
            min_users: DEFAULT_MIN_USERS,
            personal: false,
            rules: Rules::default(),
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
            rules: Rules::default(),
        }
    }

    /// Personal mode: nothing is suppressed.
    pub fn personal() -> Self {
        Threshold {
            min_users: DEFAULT_MIN_USERS,
            personal: true,
            rules: Rules::default(),
        }
    }

    /// The same threshold with `rules`.
    pub fn with_rules(self, rules: Rules) -> Self {
        Threshold { rules, ..self }
    }

    /// The rounding base in force: 0 (none) in personal mode.
    pub fn round_base(&self) -> u32 {
        if self.personal {
            0
        } else {
            self.rules.round_base
        }
    }

    /// A count as published: rounded to [`Threshold::round_base`] in team mode (a number a
    /// note states that is not a population size, like fixed-effect singletons dropped), as it
    /// is otherwise.
    pub fn published_count(&self, n: u64) -> u64 {
        crate::rounding::round_count(n, self.round_base())
    }

    /// Whether counts are rounded (team mode with a base above 1).
    pub fn rounds(&self) -> bool {
        crate::rounding::active(self.round_base())
    }

    /// Output classes in force (team mode with [`Rules::classes`]).
    pub fn classes(&self) -> bool {
        !self.personal && self.rules.classes
    }

    /// A share cell's numbers on the grid the rounding allows for a denominator of `den`
    /// sessions: value and interval on the grid (the interval rounded outwards), no SE or
    /// p-value (they would give the unrounded share back). Unchanged without rounding.
    pub fn round_share(&self, est: Estimate, den: u64) -> Estimate {
        self.round_on_grid(est, den, (0.0, 1.0))
    }

    /// [`Threshold::round_share`] for a number within `bounds` (a difference of two shares
    /// lies in [−1, 1]).
    pub fn round_on_grid(&self, est: Estimate, den: u64, bounds: (f64, f64)) -> Estimate {
        let base = self.round_base();
        let Some(step) = crate::rounding::share_step(crate::rounding::round_count(den, base), base)
        else {
            return est;
        };
        let grid = |v: f64, f: fn(f64) -> f64| (f(v / step) * step * 1000.0).round() / 1000.0;
        Estimate {
            value: est.value.map(|v| crate::rounding::to_step(v, step)),
            se: None,
            ci_low: est.ci_low.map(|v| grid(v, f64::floor).max(bounds.0)),
            ci_high: est.ci_high.map(|v| grid(v, f64::ceil).min(bounds.1)),
            p_value: None,
        }
    }

    /// A magnitude cell (a mean, quantile or index of per-session values): [`Threshold::cell`]
    /// with `class`, then withheld when the dominance rule in force finds one or two people
    /// holding the cell's total. `per_person` is each contributing person's total of the
    /// magnitude. Personal mode is exempt.
    pub fn magnitude_cell(
        &self,
        est: Estimate,
        n_sessions: u64,
        n_users: u64,
        class: OutputClass,
        per_person: &[f64],
    ) -> Cell {
        let c = self.cell(est, n_sessions, n_users).with_class(class);
        match self.rules.dominance {
            Some(d) if !self.personal && !c.suppressed && d.dominated(per_person) => {
                c.withhold(Withheld::Dominance)
            }
            _ => c,
        }
    }

    /// A model coefficient (class [`OutputClass::Coef`]) with `residual_df`: with output
    /// classes in force, published only when its model's estimation sample has at least `k`
    /// people (`n_users`), the residual degrees of freedom reach [`Rules::min_df`], and
    /// `isolates_small_group` is false (no coefficient on an indicator isolating fewer than `k`
    /// people: a group mean in disguise). Without classes: [`Threshold::cell`].
    pub fn coef_cell(
        &self,
        est: Estimate,
        n_sessions: u64,
        n_users: u64,
        residual_df: Option<u64>,
        isolates_small_group: bool,
    ) -> Cell {
        let mut c = self
            .cell(est, n_sessions, n_users)
            .with_class(OutputClass::Coef);
        c.residual_df = residual_df;
        c.isolates_group = Some(isolates_small_group);
        if self.classes()
            && !c.suppressed
            && (isolates_small_group
                || residual_df.is_some_and(|df| df < u64::from(self.rules.min_df)))
        {
            c = c.withhold(Withheld::FewPeople);
        }
        c
    }

    /// Sessions averaged into each published quantile: 1 (exact type-7 quantiles) in personal
    /// mode, else `min_users` (at least 2). A quantile then aggregates as many sessions as a
    /// publishable cell has people, like a mean does, and a five-session cell's p5…p95 no
    /// longer give back its five values (`descriptive::coarse_quantile_sorted`).
    pub fn quantile_window(&self) -> usize {
        if self.personal {
            1
        } else {
            (self.min_users as usize).max(2)
        }
    }

    /// A quantile fit for publication under this threshold.
    pub fn quantile(&self, values: &[f64], p: f64) -> Option<f64> {
        crate::descriptive::coarse_quantile(values, p, self.quantile_window())
    }

    /// Box statistics fit for publication under this threshold.
    pub fn box_stats(&self, values: &[f64]) -> Option<crate::descriptive::BoxStats> {
        crate::descriptive::box_stats_coarse(values, self.quantile_window())
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
                withheld: Some(Withheld::FewPeople),
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
            class: OutputClass::Count,
            withheld: None,
            residual_df: None,
            isolates_group: None,
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
        *cell = Cell {
            class: cell.class,
            withheld: Some(cell.withheld.unwrap_or(Withheld::FewPeople)),
            // Says no more than the reason: the indicator's group has fewer than k people.
            isolates_group: cell.isolates_group,
            ..SUPPRESSED
        };
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

// ---- cross-table differencing -------------------------------------------------------------

/// Where a cell sits in a results document: (table index, row, column).
pub type CellRef = (usize, usize, usize);

type GroupFn<'a, T> = Box<dyn Fn(&T) -> Option<usize> + 'a>;
type HitFn<'a, T> = Box<dyn Fn(&T, usize) -> bool + 'a>;
type KnownFn<'a, T> = Box<dyn Fn(&T) -> bool + 'a>;

/// One way a table splits a population into groups: every group's cells publish the group's
/// session count (`n_sessions`), and a rate cell also publishes how many of those sessions hit
/// its flag (value × n).
struct Line<'a, T> {
    group: GroupFn<'a, T>,
    /// Cells of each group (group index → the cells carrying its count).
    cells: Vec<Vec<CellRef>>,
    /// For rate cells: whether a session of group `g` counts in the numerator.
    hit: Option<HitFn<'a, T>>,
    /// Shares of the line's total (a composition): any published share reveals the total.
    total_from_cells: bool,
}

/// A family of linked tables over one set of observations (e.g. every table split by work
/// mode or by month), and the totals the document states elsewhere (notes, the sample block).
///
/// [`Family::protect`] makes sure no suppressed cell's count can be recovered from the
/// published numbers by any linear combination, taking the identities from the data
/// themselves: observations are grouped into *atoms* (same group and same rate flag in every
/// line, same membership in every stated total), every count is a sum of atom counts, and a
/// suppressed count is recoverable exactly when its atom vector lies in the span of the
/// published ones. Identities that hold only by coincidence in these data (every session has
/// a task value, so the value table's groups equal Fig. 1's) are caught the same way. While a
/// suppressed count is recoverable, one published number taking part in the combination is
/// withdrawn: a total stated in a note if there is one (the note then says the number is
/// withheld), else the published count resting on the fewest people. And in every line the
/// suppressed groups together must rest on at least `k` people (their sum is the line total
/// minus the published groups).
pub struct Family<'a, T> {
    name: &'static str,
    lines: Vec<Line<'a, T>>,
    known: Vec<Known<'a, T>>,
    /// Observations the rounding check may not move between (a total per stratum is
    /// published unrounded elsewhere).
    stratum: Option<KeyFn<'a, T>>,
}

type KeyFn<'a, T> = Box<dyn Fn(&T) -> u32 + 'a>;

struct Known<'a, T> {
    member: KnownFn<'a, T>,
    /// Where a note states it: (table index, the words right after the number). `None`: the
    /// sample block states it, always.
    note: Option<(usize, String)>,
}

/// What [`Family::protect`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Protection {
    /// Cells suppressed in addition to those below the threshold.
    pub extra_cells: usize,
    /// Note totals withdrawn ("a withheld number of …").
    pub withheld_notes: usize,
    /// Suppressed cells whose count stays recoverable because only numbers that are always
    /// published (the sample block) determine it. Zero in every case we know of; tests
    /// assert it.
    pub unresolved: usize,
    /// Suppressed counts that a linear combination of published numbers would give back
    /// without rounding, left alone because the rounding protects them.
    pub rounded: usize,
}

/// The rounding check of [`Family::protect`]: whether another data set, differing from this
/// one by one session moved between two atoms (same person, already present in both, so no
/// cell's people change), publishes exactly the same rounded counts and shares while the
/// suppressed count differs. If so, no attacker reading the page can tell the two apart, and
/// the suppressed count is not recoverable exactly, whatever the combination.
struct Rounding<'r> {
    base: u32,
    n_atoms: usize,
    /// Per variable: its atoms and its count.
    atoms: Vec<HashSet<u32>>,
    counts: Vec<i64>,
    /// Per atom: the variables containing it.
    in_vars: Vec<Vec<usize>>,
    /// Per variable: the ratios it is the numerator or denominator of.
    in_ratios: Vec<Vec<usize>>,
    ratios: &'r [(usize, usize, Vec<CellRef>)],
    /// Per atom: its people with their sessions in it.
    atom_users: &'r [HashMap<u32, u64>],
    /// Per atom: its stratum ([`Family::stratum`]).
    strata: Vec<u32>,
    atom_sessions: &'r [u64],
}

impl<'r> Rounding<'r> {
    fn new(
        base: u32,
        n_atoms: usize,
        var_atoms: &[Vec<u32>],
        ratios: &'r [(usize, usize, Vec<CellRef>)],
        atom_sessions: &'r [u64],
        atom_users: &'r [HashMap<u32, u64>],
        strata: Vec<u32>,
    ) -> Self {
        let mut in_vars = vec![Vec::new(); n_atoms];
        for (i, atoms) in var_atoms.iter().enumerate() {
            for &a in atoms {
                in_vars[a as usize].push(i);
            }
        }
        let mut in_ratios = vec![Vec::new(); var_atoms.len()];
        for (q, (num, den, _)) in ratios.iter().enumerate() {
            in_ratios[*num].push(q);
            if den != num {
                in_ratios[*den].push(q);
            }
        }
        Rounding {
            base,
            n_atoms,
            counts: var_atoms
                .iter()
                .map(|a| a.iter().map(|&x| atom_sessions[x as usize] as i64).sum())
                .collect(),
            atoms: var_atoms
                .iter()
                .map(|a| a.iter().copied().collect())
                .collect(),
            in_vars,
            in_ratios,
            ratios,
            atom_users,
            atom_sessions,
            strata,
        }
    }

    /// Distinct people of variable `v`, and the sessions person `u` has in it.
    fn people(&self, v: usize, u: u32) -> (u64, u64) {
        let mut all: HashSet<u32> = HashSet::new();
        let mut mine = 0;
        for &a in &self.atoms[v] {
            let users = &self.atom_users[a as usize];
            all.extend(users.keys().copied());
            mine += users.get(&u).copied().unwrap_or(0);
        }
        (all.len() as u64, mine)
    }

    /// Whether moving one session of person `u` from atom `from` to atom `to` changes no
    /// cell's people as published: no cell crosses the threshold either way, and a published
    /// cell's rounded people count stays.
    fn same_people(
        &self,
        from: usize,
        to: usize,
        u: u32,
        th: &Threshold,
        has_cells: &dyn Fn(usize) -> bool,
        shown: &dyn Fn(usize) -> bool,
    ) -> bool {
        let from_vars: HashSet<usize> = self.in_vars[from].iter().copied().collect();
        let to_vars: HashSet<usize> = self.in_vars[to].iter().copied().collect();
        for &v in from_vars.symmetric_difference(&to_vars) {
            if !has_cells(v) {
                continue;
            }
            let (people, mine) = self.people(v, u);
            let after = if to_vars.contains(&v) {
                people + u64::from(mine == 0)
            } else {
                people - u64::from(mine == 1)
            };
            if th.allows(after) != th.allows(people) {
                return false;
            }
            if shown(v)
                && crate::rounding::round_count(after, self.base)
                    != crate::rounding::round_count(people, self.base)
            {
                return false;
            }
        }
        true
    }

    /// Whether moving one session from atom `from` to atom `to` leaves every published count
    /// and share as it is. `count_pub(v)`: variable `v`'s count is published (rounded);
    /// `exact(v)`: it is published unrounded; `ratio_pub(q)`: ratio `q` is published.
    fn same_page(
        &self,
        from: usize,
        to: usize,
        count_pub: &dyn Fn(usize) -> bool,
        exact: &dyn Fn(usize) -> bool,
        ratio_pub: &dyn Fn(usize) -> bool,
    ) -> bool {
        let mut delta: HashMap<usize, i64> = HashMap::new();
        for &v in &self.in_vars[from] {
            *delta.entry(v).or_default() -= 1;
        }
        for &v in &self.in_vars[to] {
            *delta.entry(v).or_default() += 1;
        }
        let round = |x: i64| crate::rounding::round_count(x.max(0) as u64, self.base);
        let mut touched: HashSet<usize> = HashSet::new();
        for (&v, &d) in &delta {
            if d == 0 {
                continue;
            }
            if exact(v) {
                return false;
            }
            if count_pub(v) && round(self.counts[v] + d) != round(self.counts[v]) {
                return false;
            }
            touched.extend(self.in_ratios[v].iter().copied());
        }
        let share = |num: i64, den: i64| {
            crate::rounding::published_share(num.max(0) as u64, den.max(0) as u64, self.base)
        };
        for q in touched {
            if !ratio_pub(q) {
                continue;
            }
            let (num, den, _) = &self.ratios[q];
            let d = |v: usize| delta.get(&v).copied().unwrap_or(0);
            let (n0, d0) = (self.counts[*num], self.counts[*den]);
            let (n1, d1) = (n0 + d(*num), d0 + d(*den));
            if round(d1) != round(d0) || share(n1, d1) != share(n0, d0) {
                return false;
            }
        }
        true
    }

    /// Whether variable `t`'s count has a witness: one session moved into or out of its
    /// atoms (its person's other sessions staying) such that every published count, share and
    /// people count reads the same and no cell crosses the threshold. `has_cells(v)`: some
    /// cell shows variable `v` (published or suppressed); `shown(v)`: a published one.
    #[allow(clippy::too_many_arguments)]
    fn witness(
        &self,
        t: usize,
        th: &Threshold,
        count_pub: &dyn Fn(usize) -> bool,
        exact: &dyn Fn(usize) -> bool,
        ratio_pub: &dyn Fn(usize) -> bool,
        has_cells: &dyn Fn(usize) -> bool,
        shown: &dyn Fn(usize) -> bool,
    ) -> bool {
        let inside = &self.atoms[t];
        let moves = |from: usize, to: usize| {
            self.atom_sessions[from] >= 1
                && self.same_page(from, to, count_pub, exact, ratio_pub)
                && self.atom_users[from]
                    .keys()
                    .any(|&u| self.same_people(from, to, u, th, has_cells, shown))
        };
        for &a in inside {
            let a = a as usize;
            for b in 0..self.n_atoms {
                if inside.contains(&(b as u32)) || self.strata[b] != self.strata[a] {
                    continue;
                }
                if moves(b, a) || moves(a, b) {
                    return true;
                }
            }
        }
        false
    }
}

struct Var {
    atoms: Vec<u32>,
    cells: Vec<CellRef>,
    /// Cells whose `n_sessions` this is (not a rate's numerator).
    count_of: Vec<CellRef>,
    /// Stated in the sample block: always published.
    always: bool,
    /// Stated in these notes (table, words after the number).
    notes: Vec<(usize, String)>,
    /// Its notes' number is withheld.
    withheld: bool,
    /// Published when any cell of these lines is (a composition's total).
    line_total: Vec<usize>,
    sessions: u64,
    users: u64,
}

/// `Var::users` not counted yet.
const UNKNOWN_USERS: u64 = u64::MAX;

/// Words that replace a withheld number in a note.
pub const WITHHELD: &str = "a withheld number of";

impl<'a, T> Family<'a, T> {
    pub fn new(name: &'static str) -> Self {
        Family {
            name,
            lines: Vec::new(),
            known: Vec::new(),
            stratum: None,
        }
    }

    /// Strata whose sizes are published unrounded (e.g. sessions per agent in the sample
    /// block): the rounding check only considers data sets with the same strata sizes.
    pub fn stratum(&mut self, key: impl Fn(&T) -> u32 + 'a) -> &mut Self {
        self.stratum = Some(Box::new(key));
        self
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Groups given by `group` (an index into `cells`), each publishing its session count in
    /// its cells.
    pub fn counts(
        &mut self,
        group: impl Fn(&T) -> Option<usize> + 'a,
        cells: Vec<Vec<CellRef>>,
    ) -> &mut Self {
        self.lines.push(Line {
            group: Box::new(group),
            cells,
            hit: None,
            total_from_cells: false,
        });
        self
    }

    /// A composition: shares of a total, so any published share also reveals the total.
    pub fn shares(
        &mut self,
        group: impl Fn(&T) -> Option<usize> + 'a,
        cells: Vec<Vec<CellRef>>,
    ) -> &mut Self {
        self.lines.push(Line {
            group: Box::new(group),
            cells,
            hit: None,
            total_from_cells: true,
        });
        self
    }

    /// Rates: each group's cells publish its count and, through the rate, how many of its
    /// sessions satisfy `hit`.
    pub fn rates(
        &mut self,
        group: impl Fn(&T) -> Option<usize> + 'a,
        cells: Vec<Vec<CellRef>>,
        hit: impl Fn(&T, usize) -> bool + 'a,
    ) -> &mut Self {
        self.lines.push(Line {
            group: Box::new(group),
            cells,
            hit: Some(Box::new(hit)),
            total_from_cells: false,
        });
        self
    }

    /// A population whose size a note of table `table` states, as the number right before
    /// `words`. The number stays only if it rests on at least `k` people and withholding it is
    /// not needed to protect a cell; otherwise [`Family::protect`] replaces it by [`WITHHELD`].
    pub fn stated(
        &mut self,
        table: Option<usize>,
        words: &str,
        member: impl Fn(&T) -> bool + 'a,
    ) -> &mut Self {
        if let Some(t) = table {
            self.known.push(Known {
                member: Box::new(member),
                note: Some((t, words.to_string())),
            });
        }
        self
    }

    /// A population whose size is always published (the sample block).
    pub fn always(&mut self, member: impl Fn(&T) -> bool + 'a) -> &mut Self {
        self.known.push(Known {
            member: Box::new(member),
            note: None,
        });
        self
    }

    /// Suppresses further cells of `tables` (and withholds note totals) until no suppressed
    /// cell of this family can be recovered from published numbers (see [`Family`]). `user`
    /// gives an observation's person. Suppressed cells keep their counts for bookkeeping
    /// ([`enforce`] clears them). Nothing happens in personal mode.
    pub fn protect(
        &self,
        th: &Threshold,
        obs: &[T],
        user: impl Fn(&T) -> u32,
        tables: &mut [Table],
    ) -> Protection {
        let mut out = Protection::default();
        if th.personal {
            return out;
        }
        // Atoms: observations with the same signature over every line and stated total.
        let nl = self.lines.len();
        let mut atom_of: HashMap<Vec<u32>, u32> = HashMap::new();
        let mut sigs: Vec<Vec<u32>> = Vec::new();
        let mut atom_sessions: Vec<u64> = Vec::new();
        let mut atom_users: Vec<Vec<u32>> = Vec::new();
        let mut atom_user_sessions: Vec<HashMap<u32, u64>> = Vec::new();
        let mut buf: Vec<u32> = Vec::with_capacity(nl + self.known.len());
        for o in obs {
            buf.clear();
            for l in &self.lines {
                let code = match (l.group)(o) {
                    Some(g) if g < l.cells.len() => {
                        let hit = l.hit.as_ref().is_some_and(|h| h(o, g));
                        (g as u32 + 1) * 2 + u32::from(hit)
                    }
                    _ => 0,
                };
                buf.push(code);
            }
            for k in &self.known {
                buf.push(u32::from((k.member)(o)));
            }
            // Last: the stratum (finer atoms change no linear identity).
            buf.push(self.stratum.as_ref().map_or(0, |s| s(o)));
            let id = match atom_of.get(buf.as_slice()) {
                Some(&id) => id as usize,
                None => {
                    atom_of.insert(buf.clone(), sigs.len() as u32);
                    sigs.push(buf.clone());
                    atom_sessions.push(0);
                    atom_users.push(Vec::new());
                    sigs.len() - 1
                }
            };
            atom_sessions[id] += 1;
            atom_users[id].push(user(o));
            if atom_user_sessions.len() <= id {
                atom_user_sessions.resize_with(id + 1, HashMap::new);
            }
            *atom_user_sessions[id].entry(user(o)).or_insert(0) += 1;
        }
        for u in &mut atom_users {
            u.sort_unstable();
            u.dedup();
        }
        let n_atoms = sigs.len();
        let users_in = |atoms: &mut dyn Iterator<Item = u32>| -> u64 {
            atoms
                .flat_map(|a| atom_users[a as usize].iter().copied())
                .collect::<HashSet<u32>>()
                .len() as u64
        };

        // Variables: every count a cell or a statement publishes, merged when two describe the
        // same atoms.
        let mut vars: Vec<Var> = Vec::new();
        let mut by_atoms: HashMap<Vec<u32>, usize> = HashMap::new();
        let mut add = |atoms: Vec<u32>,
                       cells: &[CellRef],
                       count: bool,
                       always: bool,
                       note: Option<&(usize, String)>,
                       line_total: Option<usize>| {
            let id = *by_atoms.entry(atoms.clone()).or_insert_with(|| {
                vars.push(Var {
                    sessions: atoms.iter().map(|&a| atom_sessions[a as usize]).sum(),
                    users: UNKNOWN_USERS,
                    atoms,
                    cells: Vec::new(),
                    count_of: Vec::new(),
                    always: false,
                    notes: Vec::new(),
                    withheld: false,
                    line_total: Vec::new(),
                });
                vars.len() - 1
            });
            let v = &mut vars[id];
            v.cells.extend_from_slice(cells);
            if count {
                v.count_of.extend_from_slice(cells);
            }
            v.always |= always;
            v.notes.extend(note.cloned());
            v.line_total.extend(line_total);
            id
        };
        let select = |f: &dyn Fn(&[u32]) -> bool| -> Vec<u32> {
            (0..n_atoms as u32)
                .filter(|&a| f(&sigs[a as usize]))
                .collect()
        };
        // line → group → count variable
        let mut groups: Vec<Vec<usize>> = Vec::with_capacity(nl);
        // Shares and rates as published: (numerator, denominator, the cells showing it).
        let mut ratios: Vec<(usize, usize, Vec<CellRef>)> = Vec::new();
        for (li, l) in self.lines.iter().enumerate() {
            let mut ids = Vec::with_capacity(l.cells.len());
            for (g, cells) in l.cells.iter().enumerate() {
                let code = g as u32 + 1;
                let id = add(
                    select(&|s| s[li] >> 1 == code),
                    cells,
                    true,
                    false,
                    None,
                    None,
                );
                ids.push(id);
                if l.hit.is_some() {
                    let hit = code * 2 + 1;
                    let h = add(select(&|s| s[li] == hit), cells, false, false, None, None);
                    ratios.push((h, id, cells.clone()));
                }
            }
            if l.total_from_cells {
                let total = add(select(&|s| s[li] != 0), &[], false, false, None, Some(li));
                for (g, cells) in l.cells.iter().enumerate() {
                    ratios.push((ids[g], total, cells.clone()));
                }
            }
            groups.push(ids);
        }
        for (i, k) in self.known.iter().enumerate() {
            let atoms = select(&|s| s[nl + i] == 1);
            add(atoms, &[], false, k.note.is_none(), k.note.as_ref(), None);
        }
        let cell = |tables: &[Table], c: CellRef| -> Option<Cell> {
            tables
                .get(c.0)
                .and_then(|t| t.rows.get(c.1))
                .and_then(|r| r.cells.get(c.2))
                .copied()
        };
        for v in &mut vars {
            v.cells.sort_unstable();
            v.cells.dedup();
            // People: a count cell has them already (same sessions); totals are counted;
            // rate numerators only if they become a candidate for withdrawal.
            v.users = match v.count_of.first().and_then(|&c| cell(tables, c)) {
                Some(c) => c.n_users,
                None if !v.notes.is_empty() || !v.line_total.is_empty() => {
                    users_in(&mut v.atoms.iter().copied())
                }
                None => UNKNOWN_USERS,
            };
            // A stated total below the threshold is never stated (zero is: it is no one); one
            // another family already withheld stays withheld.
            let gone = v.notes.iter().any(|(t, words)| {
                tables
                    .get(*t)
                    .is_some_and(|t| !t.notes.iter().any(|n| withhold_number(n, words).is_some()))
            });
            v.withheld = !v.notes.is_empty() && (gone || (v.sessions > 0 && !th.allows(v.users)));
        }

        let line_cells = |li: usize| self.lines[li].cells.iter().flatten().copied();
        let published = |tables: &[Table], v: &Var| {
            let open = |c: CellRef| cell(tables, c).is_some_and(|c| !c.suppressed);
            v.always
                || (!v.notes.is_empty() && !v.withheld)
                || v.cells.iter().any(|&c| open(c))
                || v.line_total.iter().any(|&li| line_cells(li).any(open))
        };
        let hideable = |v: &Var| !v.always;
        // What withdrawing a number costs: a note's number nothing, cells their people.
        let cost = |v: &Var| {
            let cells = !v.cells.is_empty() || !v.line_total.is_empty();
            (cells, v.users, v.sessions)
        };
        let hide = |tables: &mut [Table], v: &mut Var, out: &mut Protection| {
            let mut all: Vec<CellRef> = v.cells.clone();
            for &li in &v.line_total {
                all.extend(line_cells(li));
            }
            for (t, r, c) in all {
                if let Some(x) = tables
                    .get_mut(t)
                    .and_then(|t| t.rows.get_mut(r))
                    .and_then(|r| r.cells.get_mut(c))
                {
                    if !x.suppressed {
                        *x = x.withhold(Withheld::Protection);
                        out.extra_cells += 1;
                    }
                }
            }
            if !v.notes.is_empty() && !v.withheld {
                v.withheld = true;
                out.withheld_notes += 1;
            }
        };

        // A count some cell suppresses for resting on fewer than k people is suppressed
        // wherever it appears (the same sessions may be another table's group, or a rate's
        // numerator that is published under the rates' rule).
        let primary: Vec<bool> = vars
            .iter()
            .map(|v| {
                v.count_of.iter().any(|&c| {
                    cell(tables, c).is_some_and(|c| c.suppressed && !th.allows(c.n_users))
                })
            })
            .collect();
        let mut unresolved: HashSet<usize> = HashSet::new();
        // With rounding: suppressed counts that rounding protects (a witness shows another
        // data set publishing the same page with a different count).
        let rounding = th.rounds().then(|| {
            Rounding::new(
                th.round_base(),
                n_atoms,
                &vars.iter().map(|v| v.atoms.clone()).collect::<Vec<_>>(),
                &ratios,
                &atom_sessions,
                &atom_user_sessions,
                sigs.iter()
                    .map(|s| s.last().copied().unwrap_or(0))
                    .collect(),
            )
        });
        let mut protected: HashSet<usize> = HashSet::new();
        loop {
            let mut changed = false;
            // 0. Suppressed counts are suppressed everywhere.
            for (i, v) in vars.iter_mut().enumerate() {
                if primary[i] && v.sessions > 0 && hideable(v) && published(tables, v) {
                    hide(tables, v, &mut out);
                    changed = true;
                }
            }
            // 1. In every line, the suppressed groups together rest on at least k people
            //    (without rounding: with it, their total is known only to within the rounding
            //    of every number it is computed from, and step 2 decides).
            for (li, ids) in groups.iter().enumerate() {
                if rounding.is_some() {
                    break;
                }
                let hidden: Vec<usize> = (0..ids.len())
                    .filter(|&g| vars[ids[g]].sessions > 0 && !published(tables, &vars[ids[g]]))
                    .collect();
                if hidden.is_empty() || hidden.iter().any(|&g| th.allows(vars[ids[g]].users)) {
                    continue;
                }
                let codes: HashSet<u32> = hidden.iter().map(|&g| g as u32 + 1).collect();
                let union = users_in(
                    &mut (0..n_atoms as u32)
                        .filter(|&a| codes.contains(&(sigs[a as usize][li] >> 1))),
                );
                if th.allows(union) {
                    continue;
                }
                let next = (0..ids.len())
                    .map(|g| ids[g])
                    .filter(|&i| {
                        let v = &vars[i];
                        v.sessions > 0 && hideable(v) && published(tables, v)
                    })
                    .min_by_key(|&i| (vars[i].users, vars[i].sessions, i));
                if let Some(i) = next {
                    hide(tables, &mut vars[i], &mut out);
                    changed = true;
                }
            }
            if changed {
                continue;
            }
            // 2. No suppressed cell's count is a linear combination of published numbers.
            let pub_ids: Vec<usize> = (0..vars.len())
                .filter(|&i| published(tables, &vars[i]))
                .collect();
            let basis = Echelon::new(n_atoms, pub_ids.iter().map(|&i| &vars[i].atoms));
            for i in 0..vars.len() {
                let v = &vars[i];
                if v.sessions == 0
                    || v.cells.is_empty()
                    || unresolved.contains(&i)
                    || protected.contains(&i)
                    || published(tables, v)
                {
                    continue;
                }
                let Some(combo) = basis.combination(&v.atoms) else {
                    continue;
                };
                if let Some(r) = &rounding {
                    let open = |c: CellRef| cell(tables, c).is_some_and(|c| !c.suppressed);
                    let count_pub = |j: usize| {
                        let w = &vars[j];
                        (!w.notes.is_empty() && !w.withheld) || w.count_of.iter().any(|&c| open(c))
                    };
                    let exact = |j: usize| vars[j].always;
                    let ratio_pub = |q: usize| ratios[q].2.iter().any(|&c| open(c));
                    let has_cells = |j: usize| !vars[j].count_of.is_empty();
                    let shown = |j: usize| vars[j].count_of.iter().any(|&c| open(c));
                    if r.witness(i, th, &count_pub, &exact, &ratio_pub, &has_cells, &shown) {
                        protected.insert(i);
                        out.rounded += 1;
                        continue;
                    }
                }
                let candidates: Vec<usize> = combo
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.abs() > 1e-9)
                    .map(|(j, _)| pub_ids[j])
                    .filter(|&j| hideable(&vars[j]) && vars[j].sessions > 0)
                    .collect();
                for &j in &candidates {
                    if vars[j].users == UNKNOWN_USERS {
                        vars[j].users = users_in(&mut vars[j].atoms.iter().copied());
                    }
                }
                let witness = candidates.into_iter().min_by_key(|&j| (cost(&vars[j]), j));
                match witness {
                    Some(j) => {
                        hide(tables, &mut vars[j], &mut out);
                        changed = true;
                        break;
                    }
                    None => {
                        unresolved.insert(i);
                    }
                }
            }
            if !changed {
                break;
            }
        }
        // Notes: a withheld total's number is replaced by words.
        for v in vars.iter().filter(|v| v.withheld) {
            for (t, words) in &v.notes {
                if let Some(t) = tables.get_mut(*t) {
                    for note in &mut t.notes {
                        if let Some(n) = withhold_number(note, words) {
                            *note = n;
                            break;
                        }
                    }
                }
            }
        }
        out.unresolved = unresolved.len();
        out
    }
}

/// `note` with the number right before `words` rounded to `base` ([`crate::rounding`]), if it
/// has one (a withheld number stays withheld).
pub fn round_number(note: &str, words: &str, base: u32) -> Option<String> {
    let at = note.find(words)?;
    let head = note[..at].trim_end_matches(' ');
    let digits = head.len() - head.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return None;
    }
    let start = head.len() - digits;
    let x: u64 = head[start..].parse().ok()?;
    let r = crate::rounding::round_count(x, base);
    Some(format!("{}{r}{}", &note[..start], &note[head.len()..]))
}

/// `note` with the number right before `words` replaced by [`WITHHELD`], if it has one.
fn withhold_number(note: &str, words: &str) -> Option<String> {
    let at = note.find(words)?;
    let head = note[..at].trim_end_matches(' ');
    let digits = head.len() - head.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 {
        return None;
    }
    let start = head.len() - digits;
    Some(format!("{}{WITHHELD} {}", &note[..start], &note[at..]))
}

/// Row-echelon basis of published atom vectors (0/1 entries), remembering each basis row as a
/// combination of the input vectors, so a recoverable count comes with its witnesses.
struct Echelon {
    n_inputs: usize,
    /// (pivot column, row over atoms, combination over inputs)
    rows: Vec<(usize, Vec<f64>, Vec<f64>)>,
}

impl Echelon {
    fn new<'v>(n_atoms: usize, inputs: impl Iterator<Item = &'v Vec<u32>>) -> Echelon {
        let mut pending: Vec<(Vec<f64>, Vec<f64>)> = Vec::new();
        let inputs: Vec<&Vec<u32>> = inputs.collect();
        let n_inputs = inputs.len();
        for (j, atoms) in inputs.iter().enumerate() {
            let mut row = vec![0.0; n_atoms];
            for &a in atoms.iter() {
                row[a as usize] = 1.0;
            }
            let mut combo = vec![0.0; n_inputs];
            combo[j] = 1.0;
            pending.push((row, combo));
        }
        let mut rows = Vec::new();
        for col in 0..n_atoms {
            let Some((p, _)) = pending
                .iter()
                .enumerate()
                .filter(|(_, (r, _))| r[col].abs() > 1e-9)
                .max_by(|a, b| a.1 .0[col].abs().total_cmp(&b.1 .0[col].abs()))
            else {
                continue;
            };
            let (prow, pcombo) = pending.swap_remove(p);
            for (r, c) in pending.iter_mut() {
                let f = r[col] / prow[col];
                if f.abs() > 1e-12 {
                    for (x, y) in r.iter_mut().zip(&prow) {
                        *x -= f * y;
                    }
                    for (x, y) in c.iter_mut().zip(&pcombo) {
                        *x -= f * y;
                    }
                }
            }
            rows.push((col, prow, pcombo));
            if pending.is_empty() {
                break;
            }
        }
        Echelon { n_inputs, rows }
    }

    /// Coefficients over the inputs that sum to the target's indicator vector, if any.
    fn combination(&self, target: &[u32]) -> Option<Vec<f64>> {
        let n_atoms = self.rows.first().map_or(0, |r| r.1.len());
        let mut t =
            vec![0.0; n_atoms.max(target.iter().map(|&a| a as usize + 1).max().unwrap_or(0))];
        for &a in target {
            t[a as usize] = 1.0;
        }
        let mut combo = vec![0.0; self.n_inputs];
        for (col, row, c) in &self.rows {
            let f = t[*col] / row[*col];
            if f.abs() > 1e-12 {
                for (x, y) in t.iter_mut().zip(row) {
                    *x -= f * y;
                }
                for (x, y) in combo.iter_mut().zip(c) {
                    *x += f * y;
                }
            }
        }
        t.iter().all(|x| x.abs() < 1e-7).then_some(combo)
    }
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
        assert_eq!(
            c,
            Cell {
                withheld: Some(Withheld::FewPeople),
                ..SUPPRESSED
            }
        );
        let c = th.cell_from_users(est, &["a", "b", "c"]);
        assert!(!c.suppressed);
        assert_eq!(c.value, Some(0.5));
        let c = Threshold {
            min_users: 3,
            personal: true,
            ..Default::default()
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
        let d = decide_mode(&one, false, None);
        assert!(d.threshold.personal && !d.by_request && d.warning.is_none());
        assert_eq!(d.threshold.min_users, DEFAULT_MIN_USERS);
        // An explicit --min-users keeps the threshold even for one person, with its k.
        let d = decide_mode(&one, false, Some(3));
        assert_eq!(d.threshold, Threshold::new(3));
        // The unidentified fallback may be many people: threshold, with advice.
        let unknown = [facet("u", true), facet("u", true)];
        let d = decide_mode(&unknown, false, None);
        assert!(!d.threshold.personal && d.unidentified && d.warning.is_some());
        // Several keys: threshold; with --personal, thresholds off "at your request", warned.
        let many = [facet("a", false), facet("b", false), facet("c", false)];
        assert_eq!(
            decide_mode(&many, false, None).threshold,
            Threshold::default()
        );
        let d = decide_mode(&many, true, None);
        assert!(d.threshold.personal && d.by_request && d.user_keys == 3);
        assert!(d.warning.unwrap().contains("3 user keys"));
        let d = decide_mode(&unknown, true, None);
        assert!(d.threshold.personal && d.by_request);
    }

    #[test]
    fn dominance_follows_the_nk_and_p_percent_rules() {
        let d = Dominance::default();
        // Two people hold 90 of 100: nk.
        assert!(d.dominated(&[60.0, 30.0, 5.0, 5.0]));
        // Two hold 89 of 100, and the rest (11) is more than 10% of the largest (6.0): safe.
        assert!(!d.dominated(&[60.0, 29.0, 6.0, 5.0]));
        // With the defaults the p% rule adds nothing (a rest under 10% of the largest is under
        // 1/11 of the total, so the top two hold over 90%); alone it bites:
        let p_only = Dominance {
            n: 1,
            k_percent: 100,
            p_percent: 10,
        };
        assert!(p_only.dominated(&[100.0, 80.0, 9.0]));
        assert!(!p_only.dominated(&[100.0, 80.0, 11.0]));
        // Even contributions, zeros, non-finite values.
        assert!(!d.dominated(&[1.0; 10]));
        assert!(!d.dominated(&[0.0, 0.0, 0.0]));
        assert!(!d.dominated(&[]));
        assert!(!d.dominated(&[f64::NAN, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]));
        // One or two people always dominate their own total.
        assert!(d.dominated(&[3.0, 4.0]));
    }

    #[test]
    fn coefficients_follow_the_safe_output_rule() {
        let th = Threshold::new(3);
        let est = Estimate::value(0.2);
        assert!(!th.coef_cell(est, 40, 5, Some(10), false).suppressed);
        let c = th.coef_cell(est, 40, 5, Some(9), false);
        assert_eq!(
            (c.suppressed, c.withheld),
            (true, Some(Withheld::FewPeople))
        );
        assert!(th.coef_cell(est, 40, 5, Some(30), true).suppressed);
        assert!(th.coef_cell(est, 40, 2, Some(30), false).suppressed);
        // The old rules and personal mode: only k (personal: nothing).
        let old = th.with_rules(Rules::legacy());
        assert!(!old.coef_cell(est, 40, 5, Some(2), true).suppressed);
        assert!(
            !Threshold::personal()
                .coef_cell(est, 4, 1, Some(1), true)
                .suppressed
        );
    }

    #[test]
    fn shares_are_rounded_only_in_team_mode_with_a_base() {
        let est = Estimate {
            value: Some(0.37),
            se: Some(0.05),
            ci_low: Some(0.27),
            ci_high: Some(0.47),
            p_value: None,
        };
        let r = Threshold::new(3).round_share(est, 100);
        assert_eq!(
            (r.value, r.se, r.ci_low, r.ci_high),
            (Some(0.35), None, Some(0.25), Some(0.5))
        );
        assert_eq!(Threshold::personal().round_share(est, 100), est);
        let off = Threshold::new(3).with_rules(Rules {
            round_base: 1,
            ..Rules::default()
        });
        assert_eq!(off.round_share(est, 100), est);
    }

    #[test]
    fn note_numbers_round_in_place() {
        assert_eq!(
            round_number(
                "Sample: 123 sessions with a goal; 4 dropped.",
                "sessions with a goal",
                5
            )
            .as_deref(),
            Some("Sample: 125 sessions with a goal; 4 dropped.")
        );
        assert_eq!(
            round_number("a withheld number of sessions", "sessions", 5),
            None
        );
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
                ..Default::default()
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
                    // No numbers and no counts; only the class and the reason stay.
                    prop_assert_eq!(
                        *c,
                        Cell { class: c.class, withheld: c.withheld, ..SUPPRESSED }
                    );
                    prop_assert!(c.withheld.is_some());
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
