//! Agreement between two label sets for the same sessions (`agentstat agree A B`): an LLM
//! backend against the heuristic, two LLM backends, or a classifier against hand labels.
//!
//! The two facets tables are joined on `session_key`. For every label of rubric §3 a session
//! is compared when both files hold a value for it; a label that is missing (not classified)
//! or errored in either file excludes that session *for that label* and is counted.
//!
//! - Categorical labels (all of them, ordinal ones too): sessions compared, percent agreement
//!   (a user-clustered share, as `stats` reports shares; in personal mode a share over the
//!   sessions with a Wilson interval), Cohen's kappa with a 95% interval,
//!   and the confusion matrix (rows: file A, columns: file B).
//! - Ordinal labels (expertise 1–5, success and failure signals NONE–5, value band): also
//!   agreement within one step and quadratic-weighted kappa. Expertise's `Unclear` is a
//!   category for the nominal figures and is left out of the ordinal ones (counted).
//! - Numeric labels (task value in dollars, the user's planning and execution shares):
//!   Spearman's rank correlation and the mean absolute difference.
//!
//! **Uncertainty.** Sessions of one person are not independent, so kappa's standard error is
//! clustered by `user_key`: kappa is a smooth function of means (observed agreement and both
//! files' category shares), its linearisation (influence function) gives one term per
//! session, and the CR1 sandwich sums them per person (`V = G/(G−1) · Σ_g (Σ_{i∈g} ψ_i)² / n²`,
//! the estimator `stats` uses for means). With every session its own cluster and without the
//! `G/(G−1)` factor this is exactly the Fleiss–Cohen–Everitt (1969) large-sample variance;
//! tests check both. The interval is κ ± t(0.975, G−1)·SE, clipped to [−1, 1]. With a single
//! person (personal mode) there is nothing to cluster over: the interval then uses the
//! Fleiss–Cohen–Everitt SE with the normal 1.96, and `kappa_se` says so. Deterministic, no
//! resampling: the same files always give the same numbers.
//!
//! **Privacy.** Every figure and every confusion-matrix cell is built through
//! [`Threshold::cell`]: it needs at least `k` distinct people. The published counts of one
//! label (sessions in both files, compared, excluded, the confusion cells, the numerators of
//! the agreement rates) are linked, so each label's tables go through
//! [`Family::protect`], which suppresses further cells until no suppressed count can be
//! recovered by adding and subtracting published ones; [`enforce_cell`] clears every
//! suppressed cell last. Nothing is reimplemented here.

use crate::descriptive::{clustered_share, mean, session_share};
use crate::privacy::{enforce_cell, CellRef, Estimate, Family, Threshold};
use crate::regression::tdist;
use crate::results::{Cell, Privacy, Row, Table};
use agentstat_facets::{
    CodebaseRelation, Decisions, Expertise, Facet, Label, Labels, Occupation, Outcome, Signal,
    UserProfile, ValueBand, WorkMode,
};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// Bumped on any incompatible change to the agreement document (docs/AGREEMENT.md).
pub const SCHEMA_VERSION: u32 = 1;

/// The agreement document (`agentstat agree --json`).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Agreement {
    pub schema_version: u32,
    /// `agentstat <version>` (filled in by the command).
    pub generated_by: String,
    pub privacy: Privacy,
    /// How the two files matched up.
    pub join: Join,
    /// One entry per label, in rubric order.
    pub labels: Vec<LabelAgreement>,
}

/// Sessions by file. Each is a cell (a count of sessions, published only when at least `k`
/// people stand behind it).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Join {
    pub both: Cell,
    pub only_a: Cell,
    pub only_b: Cell,
    /// Rows dropped because their `session_key` already appeared earlier in the same file (the
    /// first row is kept), per file. Counts of rows, not about anyone: always stated.
    pub duplicate_keys_a: u64,
    pub duplicate_keys_b: u64,
}

/// `nominal`, `ordinal` or `numeric`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LabelKind {
    #[default]
    Nominal,
    Ordinal,
    Numeric,
}

/// Agreement on one label.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct LabelAgreement {
    /// Stable key, e.g. `work_mode`.
    pub key: String,
    /// Plain name, e.g. `work mode`.
    pub name: String,
    pub kind: LabelKind,
    /// Sessions compared: in both files, with a value for this label in both (`value` = the
    /// count).
    pub compared: Cell,
    /// Sessions in both files left out because the label is missing (session not classified)
    /// or errored in either file (the decision shares: also sessions without decisions of
    /// that kind in either file).
    pub excluded: Cell,
    /// Share of compared sessions with the same label (user-clustered SE, Wilson interval).
    pub agreement: Option<Cell>,
    /// Cohen's kappa with SE and 95% interval; `value: null` (not suppressed) when undefined,
    /// and `notes` says why.
    pub kappa: Option<Cell>,
    /// How kappa's (and weighted kappa's) SE was computed: `user-clustered (CR1)` or
    /// `sessions independent (Fleiss-Cohen-Everitt), one person`.
    pub kappa_se: Option<String>,
    /// Ordinal labels: sessions with a level on the scale in both files (expertise leaves out
    /// Unclear).
    pub ordinal_compared: Option<Cell>,
    /// Ordinal labels: share of those sessions whose levels differ by at most one step.
    pub within_one: Option<Cell>,
    /// Ordinal labels: quadratic-weighted kappa over the full scale.
    pub weighted_kappa: Option<Cell>,
    /// Numeric labels: Spearman's rank correlation (average ranks for ties).
    pub spearman: Option<Cell>,
    /// Numeric labels: mean of |A − B|.
    pub mean_abs_diff: Option<Cell>,
    /// Confusion-matrix categories (rows = file A, columns = file B), in the rubric's order:
    /// every category of the label when a threshold applies; in personal mode only those
    /// either file gives to a compared session.
    pub categories: Vec<String>,
    /// `confusion[i][j]`: sessions labelled `categories[i]` in A and `categories[j]` in B.
    pub confusion: Vec<Vec<Cell>>,
    pub notes: Vec<String>,
}

/// A label's value in one facet.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Val<T> {
    Ok(T),
    Missing,
    Error,
}

fn val<T: Copy, U>(l: &Label<T>, f: impl Fn(T) -> U) -> Val<U> {
    match (&l.error, l.value) {
        (Some(_), _) => Val::Error,
        (None, Some(v)) => Val::Ok(f(v)),
        (None, None) => Val::Missing,
    }
}

type CatFn = fn(&Labels) -> Val<usize>;
type NumFn = fn(&Labels) -> Val<Option<f64>>;

enum Getter {
    /// Category index into `categories`; `levels[i]` the position on the ordinal scale.
    Cat {
        categories: Vec<&'static str>,
        levels: Option<Vec<Option<usize>>>,
        get: CatFn,
    },
    /// `Ok(None)`: no value by definition (e.g. a share without decisions).
    Num(NumFn),
}

struct Spec {
    key: &'static str,
    name: &'static str,
    getter: Getter,
}

/// Who made most of a kind of decisions: `user`, `agent`, `even`, or `no decisions`.
pub const DECIDER_CATEGORIES: [&str; 4] = ["user", "agent", "even", "no decisions"];

fn decider(user: u32, agent: u32) -> usize {
    match (user, agent) {
        (0, 0) => 3,
        (u, a) if u > a => 0,
        (u, a) if a > u => 1,
        _ => 2,
    }
}

fn names<T: Copy>(all: &[T], f: fn(T) -> &'static str) -> Vec<&'static str> {
    all.iter().map(|x| f(*x)).collect()
}

fn cat(categories: Vec<&'static str>, levels: Option<Vec<Option<usize>>>, get: CatFn) -> Getter {
    Getter::Cat {
        categories,
        levels,
        get,
    }
}

/// Levels `0..n` of an ordinal scale whose every category is on it.
fn scale(n: usize) -> Option<Vec<Option<usize>>> {
    Some((0..n).map(Some).collect())
}

fn specs() -> Vec<Spec> {
    let mut profile = names(Occupation::ALL, Occupation::as_str);
    profile.push(UserProfile::Unclear.as_str());
    let expertise_levels = Expertise::ALL
        .iter()
        .map(|e| e.level().map(|l| l as usize - 1))
        .collect();
    vec![
        Spec {
            key: "work_mode",
            name: "work mode",
            getter: cat(names(WorkMode::ALL, WorkMode::as_str), None, |l| {
                val(&l.work_mode, WorkMode::index)
            }),
        },
        Spec {
            key: "codebase_relation",
            name: "codebase relation",
            getter: cat(
                names(CodebaseRelation::ALL, CodebaseRelation::as_str),
                None,
                |l| val(&l.codebase_relation, CodebaseRelation::index),
            ),
        },
        Spec {
            key: "planning_decider",
            name: "planning decisions made mostly by",
            getter: cat(DECIDER_CATEGORIES.to_vec(), None, |l| {
                val(&l.decisions, |d: Decisions| {
                    decider(d.planning_user, d.planning_agent)
                })
            }),
        },
        Spec {
            key: "execution_decider",
            name: "execution decisions made mostly by",
            getter: cat(DECIDER_CATEGORIES.to_vec(), None, |l| {
                val(&l.decisions, |d: Decisions| {
                    decider(d.execution_user, d.execution_agent)
                })
            }),
        },
        Spec {
            key: "expertise",
            name: "expertise",
            getter: cat(
                names(Expertise::ALL, Expertise::as_str),
                Some(expertise_levels),
                |l| val(&l.expertise, Expertise::index),
            ),
        },
        Spec {
            key: "user_profile",
            name: "occupation (user profile)",
            getter: cat(profile, None, |l| {
                val(&l.user_profile, |p: UserProfile| match p {
                    UserProfile::Group(o) => o.index(),
                    UserProfile::Unclear => Occupation::ALL.len(),
                })
            }),
        },
        Spec {
            key: "work_performed",
            name: "occupation (work performed)",
            getter: cat(names(Occupation::ALL, Occupation::as_str), None, |l| {
                val(&l.work_performed, Occupation::index)
            }),
        },
        Spec {
            key: "outcome",
            name: "outcome",
            getter: cat(names(Outcome::ALL, Outcome::as_str), None, |l| {
                val(&l.outcome, Outcome::index)
            }),
        },
        Spec {
            key: "success_signal",
            name: "success signal",
            getter: cat(
                names(Signal::ALL, Signal::as_str),
                scale(Signal::ALL.len()),
                |l| val(&l.success_signal, Signal::index),
            ),
        },
        Spec {
            key: "failure_signal",
            name: "failure signal",
            getter: cat(
                names(Signal::ALL, Signal::as_str),
                scale(Signal::ALL.len()),
                |l| val(&l.failure_signal, Signal::index),
            ),
        },
        Spec {
            key: "value_band",
            name: "task value band",
            getter: cat(
                names(ValueBand::ALL, ValueBand::as_str),
                scale(ValueBand::ALL.len()),
                |l| val(&l.task_value, |v| v.band.index()),
            ),
        },
        Spec {
            key: "task_value_usd",
            name: "task value (USD)",
            getter: Getter::Num(|l| val(&l.task_value, |v| Some(v.usd).filter(|x| x.is_finite()))),
        },
        Spec {
            key: "user_planning_share",
            name: "user's share of planning decisions",
            getter: Getter::Num(|l| val(&l.decisions, |d| d.user_planning_share())),
        },
        Spec {
            key: "user_execution_share",
            name: "user's share of execution decisions",
            getter: Getter::Num(|l| val(&l.decisions, |d| d.user_execution_share())),
        },
    ]
}

/// The keys of every label compared, in output order.
pub fn label_keys() -> Vec<&'static str> {
    specs().iter().map(|s| s.key).collect()
}

// ---- estimators ---------------------------------------------------------------------------

/// Kappa (weighted or not) with its standard errors.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Kappa {
    /// `None` when undefined: chance agreement is 1 (both files use one and the same
    /// category for every session), so kappa is 0/0.
    pub kappa: Option<f64>,
    /// Observed (weighted) agreement.
    pub po: f64,
    /// Chance (weighted) agreement from the two files' marginal shares.
    pub pe: f64,
    /// Large-sample SE with sessions independent (Fleiss, Cohen & Everitt 1969).
    pub se_iid: Option<f64>,
    /// CR1 SE clustered on the given users; `None` with fewer than two users.
    pub se_clustered: Option<f64>,
    pub n: usize,
    pub n_clusters: usize,
}

/// Cohen's kappa of paired category codes `pairs` (A, B) in `0..k`, weighted by agreement
/// weights `w(i, j)` (1 on the diagonal; the identity gives Cohen's unweighted kappa), with
/// standard errors clustered on `users` (one key per pair).
pub fn kappa_with<U: std::hash::Hash + Eq>(
    pairs: &[(usize, usize)],
    users: &[U],
    k: usize,
    w: impl Fn(usize, usize) -> f64,
) -> Kappa {
    assert_eq!(pairs.len(), users.len(), "one user per pair");
    let n = pairs.len();
    let nf = n as f64;
    let mut pa = vec![0.0; k];
    let mut pb = vec![0.0; k];
    for &(a, b) in pairs {
        pa[a] += 1.0 / nf;
        pb[b] += 1.0 / nf;
    }
    let po = pairs.iter().map(|&(a, b)| w(a, b)).sum::<f64>() / nf;
    // w̄_i. = Σ_j w(i,j) p_.j (row i against B's shares), w̄_.j = Σ_i w(i,j) p_i.
    let row: Vec<f64> = (0..k)
        .map(|i| (0..k).map(|j| w(i, j) * pb[j]).sum())
        .collect();
    let col: Vec<f64> = (0..k)
        .map(|j| (0..k).map(|i| w(i, j) * pa[i]).sum())
        .collect();
    let pe: f64 = (0..k).map(|i| pa[i] * row[i]).sum();
    let n_clusters = users.iter().collect::<HashSet<_>>().len();
    let mut out = Kappa {
        kappa: None,
        po,
        pe,
        se_iid: None,
        se_clustered: None,
        n,
        n_clusters,
    };
    if n == 0 || 1.0 - pe < 1e-12 {
        return out;
    }
    let d = 1.0 - pe;
    let kappa = (po - pe) / d;
    out.kappa = Some(kappa);
    // Influence of pair i: ∂κ/∂po·(w_i − po) + ∂κ/∂pe·(w̄_a. + w̄_.b − 2pe).
    let psi: Vec<f64> = pairs
        .iter()
        .map(|&(a, b)| (w(a, b) - po) / d + (po - 1.0) / (d * d) * (row[a] + col[b] - 2.0 * pe))
        .collect();
    let mut sq: Vec<f64> = psi.iter().map(|p| p * p).collect();
    sq.sort_by(f64::total_cmp);
    out.se_iid = Some((sq.iter().sum::<f64>() / (nf * nf)).sqrt());
    if n_clusters >= 2 {
        let mut sums: HashMap<&U, f64> = HashMap::new();
        for (p, u) in psi.iter().zip(users) {
            *sums.entry(u).or_insert(0.0) += p;
        }
        let mut sq: Vec<f64> = sums.values().map(|s| s * s).collect();
        sq.sort_by(f64::total_cmp);
        let g = n_clusters as f64;
        out.se_clustered = Some((g / (g - 1.0) * sq.iter().sum::<f64>() / (nf * nf)).sqrt());
    }
    out
}

/// Cohen's (unweighted) kappa.
pub fn cohen_kappa<U: std::hash::Hash + Eq>(
    pairs: &[(usize, usize)],
    users: &[U],
    k: usize,
) -> Kappa {
    kappa_with(pairs, users, k, |i, j| f64::from(u8::from(i == j)))
}

/// Quadratic-weighted kappa on a `k`-level ordinal scale (levels `0..k`): agreement weights
/// `1 − (i−j)²/(k−1)²`, as sklearn's `cohen_kappa_score(weights="quadratic")` with
/// `labels` set to the whole scale.
pub fn quadratic_kappa<U: std::hash::Hash + Eq>(
    pairs: &[(usize, usize)],
    users: &[U],
    k: usize,
) -> Kappa {
    let span = ((k.max(2) - 1) as f64).powi(2);
    kappa_with(pairs, users, k, |i, j| {
        1.0 - (i as f64 - j as f64).powi(2) / span
    })
}

impl Kappa {
    /// The SE the interval uses, the critical value, and how it was computed.
    fn interval(&self) -> Option<(f64, f64, &'static str)> {
        match (self.se_clustered, self.se_iid) {
            (Some(se), _) => Some((
                se,
                tdist::quantile(0.975, self.n_clusters as f64 - 1.0),
                SE_CLUSTERED,
            )),
            (None, Some(se)) => Some((se, 1.959_963_984_540_054, SE_IID)),
            _ => None,
        }
    }

    /// As a privacy estimate: κ, SE and the 95% interval clipped to [−1, 1].
    pub fn estimate(&self) -> Estimate {
        let Some(k) = self.kappa else {
            return Estimate::default();
        };
        match self.interval() {
            Some((se, q, _)) if se.is_finite() => Estimate {
                value: Some(k),
                se: Some(se),
                ci_low: Some((k - q * se).max(-1.0)),
                ci_high: Some((k + q * se).min(1.0)),
                p_value: None,
            },
            _ => Estimate::value(k),
        }
    }

    /// `kappa_se` wording, when kappa has an SE.
    pub fn se_method(&self) -> Option<&'static str> {
        self.kappa.and(self.interval()).map(|i| i.2)
    }
}

pub const SE_CLUSTERED: &str = "user-clustered (CR1)";
pub const SE_IID: &str = "sessions independent (Fleiss-Cohen-Everitt), one person";

/// Average ranks (1-based; ties share the mean of their positions).
fn ranks(x: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..x.len()).collect();
    idx.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut r = vec![0.0; x.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && x[idx[j + 1]] == x[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &t in &idx[i..=j] {
            r[t] = avg;
        }
        i = j + 1;
    }
    r
}

/// Spearman's rank correlation (Pearson correlation of average ranks); `None` with fewer than
/// two pairs or when either side is constant.
pub fn spearman(x: &[f64], y: &[f64]) -> Option<f64> {
    assert_eq!(x.len(), y.len());
    if x.len() < 2 {
        return None;
    }
    let (rx, ry) = (ranks(x), ranks(y));
    let n = x.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in rx.iter().zip(&ry) {
        sxy += (a - mx) * (b - my);
        sxx += (a - mx).powi(2);
        syy += (b - my).powi(2);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

// ---- the document ---------------------------------------------------------------------------

/// One session in both files, for one label: its person and the pair of values, if compared.
struct Obs {
    user: u32,
    /// Category codes (A, B) when both files hold the label.
    pair: Option<(usize, usize)>,
    /// Positions on the ordinal scale when both have one.
    ord: Option<(usize, usize)>,
}

/// Summary rows of a label's working table (one column).
const R_COMPARED: usize = 0;
const R_EXCLUDED: usize = 1;
const R_AGREEMENT: usize = 2;
const R_KAPPA: usize = 3;
const R_ORD_N: usize = 4;
const R_WITHIN: usize = 5;
const R_WKAPPA: usize = 6;
const R_SPEARMAN: usize = 7;
const R_MAD: usize = 8;
const SUMMARY_ROWS: usize = 9;

/// Compare two facets tables. `th` is the suppression rule (see
/// [`crate::privacy::decide_mode`] for choosing it; pass both files' facets to it).
///
/// The agreement document is not rounded (its counts are protected by withdrawal, as before
/// output classes): the rules' rounding is switched off here, so the protection does not
/// count on a rounding that is not applied.
pub fn agree(a: &[Facet], b: &[Facet], th: &Threshold) -> Agreement {
    // The protection below is withdrawal, checked on exact counts; the page is then rounded
    // with the team's base (`round_published`), so a count reads the same as in a report.
    let team = *th;
    let th = &th.with_rules(crate::privacy::Rules {
        round_base: 0,
        ..th.rules
    });
    let (a, dup_a) = first_by_key(a);
    let (b, dup_b) = first_by_key(b);
    let mut user_ids: HashMap<String, u32> = HashMap::new();
    let mut uid = |k: &str| -> u32 {
        let n = user_ids.len() as u32;
        *user_ids.entry(k.to_string()).or_insert(n)
    };
    // Sessions in both files, in A's order. A session's person is A's user key (the same
    // session extracted on one machine has one key; if the files disagree, A decides).
    let mut both: Vec<(&Facet, &Facet, u32)> = Vec::new();
    let mut only_a: Vec<u32> = Vec::new();
    for &fa in &a.list {
        match b.get(&fa.session_key) {
            Some(fb) => both.push((fa, fb, uid(&fa.user_key))),
            None => only_a.push(uid(&fa.user_key)),
        }
    }
    let a_keys: HashSet<&str> = a.list.iter().map(|f| f.session_key.as_str()).collect();
    let only_b: Vec<u32> = b
        .list
        .iter()
        .filter(|f| !a_keys.contains(f.session_key.as_str()))
        .map(|f| uid(&f.user_key))
        .collect();
    let both_users: Vec<u32> = both.iter().map(|t| t.2).collect();

    // Table 0: the join (rows both, only A, only B). Then two tables per label.
    let mut tables = vec![one_column_table(
        "join",
        vec![
            th.cell_from_users(Estimate::value(both.len() as f64), &both_users),
            th.cell_from_users(Estimate::value(only_a.len() as f64), &only_a),
            th.cell_from_users(Estimate::value(only_b.len() as f64), &only_b),
        ],
    )];
    let mut labels = Vec::new();
    for spec in specs() {
        let ti = tables.len();
        let (label, summary, confusion, obs) = label_tables(&spec, &both, th);
        tables.push(summary);
        tables.push(confusion);
        protect(th, &spec, &obs, &label, ti, &mut tables);
        labels.push(label);
    }

    // Everything suppressed loses its numbers and counts; read the cells back.
    let mut suppressed = 0u32;
    for c in tables
        .iter_mut()
        .flat_map(|t| &mut t.rows)
        .filter(|r| r.label != SKIP)
        .flat_map(|r| &mut r.cells)
    {
        if enforce_cell(c, th) {
            suppressed += 1;
        }
    }
    if team.rounds() {
        round_published(&mut tables, &team);
    }
    let cell = |t: usize, r: usize, c: usize| tables[t].rows[r].cells[c];
    for (li, label) in labels.iter_mut().enumerate() {
        let ts = 1 + 2 * li;
        let has = |row: usize| tables[ts].rows[row].label != SKIP;
        let get = |row: usize| has(row).then(|| cell(ts, row, 0));
        label.compared = cell(ts, R_COMPARED, 0);
        label.excluded = cell(ts, R_EXCLUDED, 0);
        label.agreement = get(R_AGREEMENT);
        label.kappa = get(R_KAPPA);
        label.ordinal_compared = get(R_ORD_N);
        label.within_one = get(R_WITHIN);
        label.weighted_kappa = get(R_WKAPPA);
        label.spearman = get(R_SPEARMAN);
        label.mean_abs_diff = get(R_MAD);
        label.confusion = tables[ts + 1]
            .rows
            .iter()
            .map(|r| r.cells.clone())
            .collect();
        if label.kappa.is_some_and(|c| c.suppressed) {
            label.kappa_se = None;
        }
    }
    Agreement {
        schema_version: SCHEMA_VERSION,
        generated_by: String::new(),
        privacy: Privacy {
            min_users: th.min_users,
            personal_mode: th.personal,
            suppressed_cells: suppressed,
            dp: None,
            round_base: if team.rounds() { team.round_base() } else { 0 },
        },
        join: Join {
            both: cell(0, 0, 0),
            only_a: cell(0, 1, 0),
            only_b: cell(0, 2, 0),
            duplicate_keys_a: dup_a,
            duplicate_keys_b: dup_b,
        },
        labels,
    }
}

/// Row label of a summary row that does not apply to a label.
const SKIP: &str = "-";

struct Keyed<'a> {
    list: Vec<&'a Facet>,
    by_key: HashMap<&'a str, usize>,
}

impl<'a> Keyed<'a> {
    fn get(&self, k: &str) -> Option<&'a Facet> {
        self.by_key.get(k).map(|&i| self.list[i])
    }
}

/// The first row of every `session_key`, and how many later rows were dropped.
fn first_by_key(facets: &[Facet]) -> (Keyed<'_>, u64) {
    let mut k = Keyed {
        list: Vec::with_capacity(facets.len()),
        by_key: HashMap::with_capacity(facets.len()),
    };
    let mut dups = 0;
    for f in facets {
        if k.by_key.contains_key(f.session_key.as_str()) {
            dups += 1;
        } else {
            k.by_key.insert(&f.session_key, k.list.len());
            k.list.push(f);
        }
    }
    (k, dups)
}

/// Team mode with rounding, after the withdrawal protection: every published cell's session
/// and people counts, the counts (the join, sessions compared and excluded, sessions on the
/// ordinal scale, the confusion tables) rounded to the base, and the two agreement shares put
/// on the grid of their rounded denominator, as `analyse` publishes counts and shares. Kappas,
/// Spearman's correlation and the mean absolute difference are not linear in the counts and
/// stay as they are (docs/STATISTICS.md says what that leaves).
fn round_published(tables: &mut [Table], th: &Threshold) {
    let base = th.round_base();
    for (t, table) in tables.iter_mut().enumerate() {
        // Table 0 is the join; then per label its summary (odd) and its confusion (even).
        let summary = t % 2 == 1;
        for (r, row) in table.rows.iter_mut().enumerate() {
            if row.label == SKIP {
                continue;
            }
            for c in row.cells.iter_mut().filter(|c| !c.suppressed) {
                let count = !summary || matches!(r, R_COMPARED | R_EXCLUDED | R_ORD_N);
                if !count && matches!(r, R_AGREEMENT | R_WITHIN) {
                    let est = th.round_share(
                        Estimate {
                            value: c.value,
                            se: c.se,
                            ci_low: c.ci_low,
                            ci_high: c.ci_high,
                            p_value: c.p_value,
                        },
                        c.n_sessions,
                    );
                    (c.value, c.se, c.ci_low, c.ci_high, c.p_value) =
                        (est.value, est.se, est.ci_low, est.ci_high, est.p_value);
                }
                // The share's grid was set from the unrounded count of sessions above.
                c.round_counts(base, count);
            }
        }
    }
}

/// Share of agreeing sessions: user-clustered (team mode), or over sessions with a Wilson
/// interval in personal mode (one person: nothing to cluster over), as `analyses` does.
fn agreement_share(th: &Threshold, flags: &[bool], users: &[u32]) -> Estimate {
    let m = if th.personal {
        session_share(flags)
    } else {
        clustered_share(flags, users)
    };
    m.map(|m| m.estimate()).unwrap_or_default()
}

fn one_column_table(id: &str, cells: Vec<Cell>) -> Table {
    Table {
        id: id.to_string(),
        columns: vec![crate::results::Column {
            key: "value".into(),
            label: "value".into(),
            unit: String::new(),
        }],
        rows: cells
            .into_iter()
            .map(|c| Row {
                label: String::new(),
                cells: vec![c],
            })
            .collect(),
        ..Default::default()
    }
}

/// A label's summary table (rows `R_*`, one column), its confusion table, the observations,
/// and the label's entry with everything but the cells filled in.
fn label_tables(
    spec: &Spec,
    both: &[(&Facet, &Facet, u32)],
    th: &Threshold,
) -> (LabelAgreement, Table, Table, Vec<Obs>) {
    let mut label = LabelAgreement {
        key: spec.key.to_string(),
        name: spec.name.to_string(),
        ..Default::default()
    };
    let mut summary = vec![None; SUMMARY_ROWS];
    let mut excluded_users = Vec::new();
    let mut obs = Vec::with_capacity(both.len());
    let mut confusion = Table::default();
    match &spec.getter {
        Getter::Cat {
            categories,
            levels,
            get,
        } => {
            let k = categories.len();
            label.kind = if levels.is_some() {
                LabelKind::Ordinal
            } else {
                LabelKind::Nominal
            };
            for &(fa, fb, user) in both {
                let va = fa.labels.as_ref().map_or(Val::Missing, get);
                let vb = fb.labels.as_ref().map_or(Val::Missing, get);
                let pair = match (va, vb) {
                    (Val::Ok(x), Val::Ok(y)) => Some((x, y)),
                    _ => {
                        excluded_users.push(user);
                        None
                    }
                };
                let ord = match (pair, levels) {
                    (Some((x, y)), Some(l)) => l[x].zip(l[y]),
                    _ => None,
                };
                obs.push(Obs { user, pair, ord });
            }
            let compared: Vec<&Obs> = obs.iter().filter(|o| o.pair.is_some()).collect();
            let pairs: Vec<(usize, usize)> = compared.iter().filter_map(|o| o.pair).collect();
            let users: Vec<u32> = compared.iter().map(|o| o.user).collect();
            summary[R_COMPARED] =
                Some(th.cell_from_users(Estimate::value(pairs.len() as f64), &users));
            let same: Vec<bool> = pairs.iter().map(|(x, y)| x == y).collect();
            let share = agreement_share(th, &same, &users);
            summary[R_AGREEMENT] = Some(th.cell_from_users(share, &users));
            let kap = cohen_kappa(&pairs, &users, k);
            summary[R_KAPPA] = Some(th.cell_from_users(kap.estimate(), &users));
            label.kappa_se = kap.se_method().map(str::to_string);
            if !pairs.is_empty() && kap.kappa.is_none() {
                label.notes.push(
                    "kappa is undefined: both files give every compared session the same single \
                     category, so chance agreement is 100%"
                        .to_string(),
                );
            }
            if let Some(levels) = levels {
                let scale = levels.iter().flatten().max().map_or(0, |m| m + 1);
                let (ord_pairs, ord_users): (Vec<(usize, usize)>, Vec<u32>) = obs
                    .iter()
                    .filter_map(|o| o.ord.map(|p| (p, o.user)))
                    .unzip();
                summary[R_ORD_N] =
                    Some(th.cell_from_users(Estimate::value(ord_pairs.len() as f64), &ord_users));
                let near: Vec<bool> = ord_pairs.iter().map(|&(x, y)| x.abs_diff(y) <= 1).collect();
                let share = agreement_share(th, &near, &ord_users);
                summary[R_WITHIN] = Some(th.cell_from_users(share, &ord_users));
                let wk = quadratic_kappa(&ord_pairs, &ord_users, scale);
                summary[R_WKAPPA] = Some(th.cell_from_users(wk.estimate(), &ord_users));
                if !ord_pairs.is_empty() && wk.kappa.is_none() {
                    label.notes.push(
                        "weighted kappa is undefined: both files give every session on the scale \
                         the same level"
                            .to_string(),
                    );
                }
                let off_scale = pairs.len() - ord_pairs.len();
                if off_scale > 0 {
                    label.notes.push(
                        "within-one agreement and weighted kappa use the sessions with a level \
                         on the 1–5 scale in both files (Unclear left out)"
                            .to_string(),
                    );
                }
            }
            // Rows A, columns B, in rubric order: in personal mode the categories either file
            // uses; with a threshold every category, so that which categories occur is not
            // itself published (cells of absent categories are zero and suppressed).
            let used: Vec<usize> = (0..k)
                .filter(|&c| !th.personal || pairs.iter().any(|&(x, y)| x == c || y == c))
                .collect();
            label.categories = used.iter().map(|&c| categories[c].to_string()).collect();
            confusion.rows = used
                .iter()
                .map(|&i| Row {
                    label: categories[i].to_string(),
                    cells: used
                        .iter()
                        .map(|&j| {
                            let u: Vec<u32> = compared
                                .iter()
                                .filter(|o| o.pair == Some((i, j)))
                                .map(|o| o.user)
                                .collect();
                            th.cell_from_users(Estimate::value(u.len() as f64), &u)
                        })
                        .collect(),
                })
                .collect();
            // Re-code pairs as positions in `used` for the confusion family.
            let pos: HashMap<usize, usize> =
                used.iter().enumerate().map(|(p, &c)| (c, p)).collect();
            for o in &mut obs {
                o.pair = o.pair.map(|(x, y)| (pos[&x], pos[&y]));
            }
        }
        Getter::Num(get) => {
            label.kind = LabelKind::Numeric;
            let (mut xs, mut ys, mut users) = (Vec::new(), Vec::new(), Vec::new());
            for &(fa, fb, user) in both {
                let va = fa.labels.as_ref().map_or(Val::Missing, get);
                let vb = fb.labels.as_ref().map_or(Val::Missing, get);
                match (va, vb) {
                    (Val::Ok(Some(x)), Val::Ok(Some(y))) => {
                        xs.push(x);
                        ys.push(y);
                        users.push(user);
                        obs.push(Obs {
                            user,
                            pair: Some((0, 0)),
                            ord: None,
                        });
                    }
                    _ => {
                        excluded_users.push(user);
                        obs.push(Obs {
                            user,
                            pair: None,
                            ord: None,
                        });
                    }
                }
            }
            summary[R_COMPARED] =
                Some(th.cell_from_users(Estimate::value(xs.len() as f64), &users));
            let rho = spearman(&xs, &ys);
            if xs.len() >= 2 && rho.is_none() {
                label.notes.push(
                    "Spearman's correlation is undefined: one file gives every compared session \
                     the same value"
                        .to_string(),
                );
            }
            summary[R_SPEARMAN] =
                Some(th.cell_from_users(rho.map(Estimate::value).unwrap_or_default(), &users));
            let diffs: Vec<f64> = xs.iter().zip(&ys).map(|(x, y)| (x - y).abs()).collect();
            summary[R_MAD] = Some(th.cell_from_users(
                mean(&diffs).map(Estimate::value).unwrap_or_default(),
                &users,
            ));
        }
    }
    summary[R_EXCLUDED] = Some(th.cell_from_users(
        Estimate::value(excluded_users.len() as f64),
        &excluded_users,
    ));
    let summary = Table {
        id: format!("{}_summary", spec.key),
        rows: summary
            .into_iter()
            .map(|c| match c {
                Some(c) => Row {
                    label: String::new(),
                    cells: vec![c],
                },
                None => Row {
                    label: SKIP.to_string(),
                    cells: vec![Cell::default()],
                },
            })
            .collect(),
        ..Default::default()
    };
    confusion.id = format!("{}_confusion", spec.key);
    (label, summary, confusion, obs)
}

/// Differencing protection for one label: its tables are at `ti` (summary) and `ti + 1`
/// (confusion); the join table is 0.
fn protect(
    th: &Threshold,
    spec: &Spec,
    obs: &[Obs],
    label: &LabelAgreement,
    ti: usize,
    tables: &mut [Table],
) {
    if th.personal {
        return;
    }
    let has = |r: usize| tables[ti].rows[r].label != SKIP;
    let present = |rows: &[usize]| -> Vec<CellRef> {
        rows.iter()
            .filter(|&&r| has(r))
            .map(|&r| (ti, r, 0))
            .collect()
    };
    let nc = label.categories.len();
    let mut f = Family::<Obs>::new("agreement");
    // The sessions in both files: the join's count.
    f.counts(|_| Some(0), vec![vec![(0, 0, 0)]]);
    // Compared vs excluded: every figure on the compared sessions publishes their count.
    f.counts(
        |o| Some(usize::from(o.pair.is_none())),
        vec![
            present(&[R_COMPARED, R_AGREEMENT, R_KAPPA, R_SPEARMAN, R_MAD]),
            present(&[R_EXCLUDED]),
        ],
    );
    if matches!(spec.getter, Getter::Cat { .. }) {
        f.rates(
            |o| o.pair.map(|_| 0),
            vec![present(&[R_AGREEMENT])],
            |o, _| o.pair.is_some_and(|(x, y)| x == y),
        );
        f.counts(
            move |o| o.pair.map(|(x, y)| x * nc + y),
            (0..nc * nc)
                .map(|g| vec![(ti + 1, g / nc, g % nc)])
                .collect(),
        );
    }
    if has(R_ORD_N) {
        f.counts(
            |o| o.ord.map(|_| 0),
            vec![present(&[R_ORD_N, R_WITHIN, R_WKAPPA])],
        );
        f.rates(
            |o| o.ord.map(|_| 0),
            vec![present(&[R_WITHIN])],
            |o, _| o.ord.is_some_and(|(x, y)| x.abs_diff(y) <= 1),
        );
    }
    f.protect(th, obs, |o| o.user, tables);
}
