//! The study's analyses (rubric §5) as functions of a facets table, producing [`Results`].
//!
//! [`analyse`] is the only entry point: it applies the rubric's sample filters (interactive
//! sessions only; No clear goal out of success analyses; Unclear user profile out of occupation
//! analyses), builds every table through the privacy threshold (cells with fewer than `k`
//! distinct users are suppressed at construction), and finishes with the whole-document
//! suppression pass. Table ids, columns and units are documented in `docs/RESULTS_SCHEMA.md`.
//!
//! Readings (the one-line plain-language summaries) are generated only from cells that survived
//! suppression, so a reading can never disclose a suppressed number.

use crate::descriptive::{clustered_mean, clustered_share, geometric_mean};
use crate::privacy::{self, Estimate, Threshold};
use crate::regression::{fit, Design, Factor, Fit, FitOptions};
use crate::results::{Cell, Chart, Column, Results, Row, Sample, Table, SCHEMA_VERSION};
use agentstat_facets::{
    CodebaseRelation, Decisions, Derived, Expertise, Facet, Occupation, Outcome, TaskValue,
    UserProfile, ValueBand, WorkMode,
};
use std::collections::{BTreeSet, HashMap, HashSet};

mod links;

/// How to analyse a facets table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnalysisOptions {
    /// Minimum distinct users per published cell (`k`).
    pub min_users: u32,
    /// Personal mode: one person analysing their own sessions; thresholds do not apply and the
    /// document says so.
    pub personal: bool,
}

/// Whether this build can add differential-privacy noise (cargo feature `dp`).
pub const DP_AVAILABLE: bool = cfg!(feature = "dp");

/// User-level differential privacy settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DpOptions {
    /// Total privacy budget ε for the whole document, split evenly over the noised cells.
    pub epsilon: f64,
    /// Sessions per person kept (contribution bounding; the rest are dropped from DP releases).
    pub max_sessions_per_user: u32,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            min_users: privacy::DEFAULT_MIN_USERS,
            personal: false,
        }
    }
}

impl AnalysisOptions {
    pub fn threshold(&self) -> Threshold {
        if self.personal {
            Threshold {
                min_users: self.min_users,
                personal: true,
            }
        } else {
            Threshold::new(self.min_users)
        }
    }
}

impl From<Threshold> for AnalysisOptions {
    fn from(th: Threshold) -> Self {
        AnalysisOptions {
            min_users: th.min_users,
            personal: th.personal,
        }
    }
}

/// One interactive session, with the labels the analyses need unpacked.
struct Obs<'a> {
    f: &'a Facet,
    /// Position in the analysis' observation list (fit samples are recorded by it).
    idx: usize,
    /// Dense user code (cluster variable).
    user: u32,
    d: Derived,
    mode: Option<WorkMode>,
    relation: Option<CodebaseRelation>,
    decisions: Option<Decisions>,
    /// Expertise 1–5; `None` for Unclear or missing.
    level: Option<u8>,
    profile: Option<UserProfile>,
    performed: Option<Occupation>,
    outcome: Option<Outcome>,
    succ: Option<u8>,
    fail: Option<u8>,
    value: Option<TaskValue>,
    /// Row of the by-agent tables (see [`AgentRows`]); `None` when there is no such table.
    agent: Option<usize>,
}

impl<'a> Obs<'a> {
    fn new(f: &'a Facet, user: u32, idx: usize) -> Obs<'a> {
        let l = f.labels.as_ref();
        Obs {
            f,
            idx,
            user,
            d: f.derived(),
            mode: l.and_then(|l| l.work_mode.value),
            relation: l.and_then(|l| l.codebase_relation.value),
            decisions: l.and_then(|l| l.decisions.value),
            level: l.and_then(|l| l.expertise.value).and_then(Expertise::level),
            profile: l.and_then(|l| l.user_profile.value),
            performed: l.and_then(|l| l.work_performed.value),
            outcome: l.and_then(|l| l.outcome.value),
            succ: l.and_then(|l| l.success_signal.value).map(|s| s.level()),
            fail: l.and_then(|l| l.failure_signal.value).map(|s| s.level()),
            value: l
                .and_then(|l| l.task_value.value)
                .filter(|v| v.usd.is_finite() && v.usd > 0.0),
            agent: None,
        }
    }
    fn band(&self) -> Option<ValueBand> {
        self.value.map(|v| v.band)
    }
    fn month(&self) -> Option<&str> {
        self.f.telemetry.month.as_deref()
    }
    fn in_success_sample(&self) -> bool {
        self.d.in_success_sample
    }
}

/// Which observations each regression counted (its estimation sample, or the rows its
/// stand-in cells count when it could not be fitted), by name: the cross-table suppression
/// needs the exact session sets behind regression cells.
struct Fits {
    n: usize,
    samples: HashMap<String, Vec<bool>>,
}

impl Fits {
    fn new(n: usize) -> Fits {
        Fits {
            n,
            samples: HashMap::new(),
        }
    }
    fn record(&mut self, name: &str, rows: &[&Obs]) {
        let mut v = vec![false; self.n];
        for o in rows {
            v[o.idx] = true;
        }
        self.samples.insert(name.to_string(), v);
    }
    fn record_fit(&mut self, name: &str, fit: &Fit, rows: &[&Obs]) {
        let mut v = vec![false; self.n];
        for &i in &fit.sample {
            v[rows[i].idx] = true;
        }
        self.samples.insert(name.to_string(), v);
    }
    /// Whether observation `o` is in the named sample (`false` if none was recorded).
    fn has(&self, name: &str, o: &Obs) -> bool {
        self.samples.get(name).is_some_and(|v| v[o.idx])
    }
}

// ---- cells -------------------------------------------------------------------------------

fn distinct_users(rows: &[&Obs]) -> u64 {
    rows.iter().map(|o| o.user).collect::<HashSet<_>>().len() as u64
}

/// Share of sessions (among `rows`) flagged in `flags`, with a user-clustered CI. The
/// privacy counts are those of the sessions in the category (the numerator): a share must not
/// reveal a category that fewer than `k` people are in.
fn composition_cell_flags(th: &Threshold, rows: &[&Obs], flags: &[bool]) -> Cell {
    let users: Vec<u32> = rows.iter().map(|o| o.user).collect();
    let hits: Vec<&Obs> = rows
        .iter()
        .zip(flags)
        .filter(|(_, f)| **f)
        .map(|(o, _)| *o)
        .collect();
    let est = clustered_share(flags, &users)
        .map(|m| m.estimate())
        .unwrap_or_default();
    th.cell(est, hits.len() as u64, distinct_users(&hits))
}

/// A whole composition (shares of `rows` over categories `0..n`, `cat` giving each row's
/// category) with complementary suppression: shares sum to one and published cells carry
/// session counts, so a lone suppressed category could be recovered by subtraction. While the
/// suppressed categories together hold sessions of fewer than `k` people, the smallest
/// published category is suppressed too. Returns the cells and how many were suppressed for
/// that reason.
fn composition(
    th: &Threshold,
    rows: &[&Obs],
    n: usize,
    cat: impl Fn(&Obs) -> Option<usize>,
) -> (Vec<Cell>, usize) {
    let cats: Vec<Option<usize>> = rows.iter().map(|o| cat(o)).collect();
    composition_of(th, rows, n, &cats)
}

/// [`composition`] with one category per row given directly.
fn composition_of(
    th: &Threshold,
    rows: &[&Obs],
    n: usize,
    cats: &[Option<usize>],
) -> (Vec<Cell>, usize) {
    let mut cells: Vec<Cell> = (0..n)
        .map(|c| {
            let flags: Vec<bool> = cats.iter().map(|x| *x == Some(c)).collect();
            composition_cell_flags(th, rows, &flags)
        })
        .collect();
    let users: Vec<HashSet<u32>> = (0..n)
        .map(|c| {
            rows.iter()
                .zip(cats)
                .filter(|(_, x)| **x == Some(c))
                .map(|(o, _)| o.user)
                .collect()
        })
        .collect();
    let extra = complementary_suppression(th, &mut cells, &users);
    (cells, extra)
}

/// See [`composition`]: suppresses further cells until the suppressed ones jointly rest on at
/// least `k` people (or hold no session at all). Returns the number of cells added.
fn complementary_suppression(th: &Threshold, cells: &mut [Cell], users: &[HashSet<u32>]) -> usize {
    if th.personal {
        return 0;
    }
    let mut extra = 0;
    loop {
        let hidden: Vec<usize> = (0..cells.len()).filter(|&i| cells[i].suppressed).collect();
        let mass: u64 = hidden.iter().map(|&i| cells[i].n_sessions).sum();
        let union: HashSet<u32> = hidden
            .iter()
            .flat_map(|&i| users[i].iter().copied())
            .collect();
        if mass == 0 || th.allows(union.len() as u64) {
            return extra;
        }
        let next = (0..cells.len())
            .filter(|&i| !cells[i].suppressed && cells[i].n_sessions > 0)
            .min_by_key(|&i| (cells[i].n_users, cells[i].n_sessions, i));
        let Some(i) = next else { return extra };
        cells[i] = Cell {
            n_sessions: cells[i].n_sessions,
            n_users: cells[i].n_users,
            suppressed: true,
            ..Default::default()
        };
        extra += 1;
    }
}

fn complementary_note(extra: usize) -> Option<String> {
    (extra > 0).then(|| {
        format!(
            "{extra} cell(s) with enough people were also suppressed, so that suppressed cells \
             cannot be recovered by subtraction from the published ones."
        )
    })
}

/// Rate of `flag` among the rows where it is defined, with a user-clustered CI; the privacy
/// counts are those of the rows the rate is computed on.
fn rate_cell(th: &Threshold, rows: &[&Obs], flag: impl Fn(&Obs) -> Option<bool>) -> Cell {
    let used: Vec<(&Obs, bool)> = rows
        .iter()
        .filter_map(|o| flag(o).map(|b| (*o, b)))
        .collect();
    let flags: Vec<bool> = used.iter().map(|p| p.1).collect();
    let users: Vec<u32> = used.iter().map(|p| p.0.user).collect();
    let est = clustered_share(&flags, &users)
        .map(|m| m.estimate())
        .unwrap_or_default();
    let rows_used: Vec<&Obs> = used.iter().map(|p| p.0).collect();
    th.cell(est, rows_used.len() as u64, distinct_users(&rows_used))
}

fn value_cell(th: &Threshold, v: Option<f64>, rows: &[&Obs]) -> Cell {
    th.cell(
        v.map(Estimate::value).unwrap_or_default(),
        rows.len() as u64,
        distinct_users(rows),
    )
}

/// A cell that cannot be estimated (no data); suppressed if it is below `k` anyway.
fn empty_cell(th: &Threshold, rows: &[&Obs]) -> Cell {
    value_cell(th, None, rows)
}

fn col(key: &str, label: &str, unit: &str) -> Column {
    Column {
        key: key.into(),
        label: label.into(),
        unit: unit.into(),
    }
}

fn table(id: &str, figure: &str, title: &str, chart: Chart, columns: Vec<Column>) -> Table {
    Table {
        id: id.into(),
        figure: figure.into(),
        title: title.into(),
        chart,
        columns,
        ..Default::default()
    }
}

fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

fn signed_pct(x: f64) -> String {
    format!("{:+.1}%", x * 100.0)
}

const LEVELS: [u8; 5] = [1, 2, 3, 4, 5];

fn level_label(l: u8) -> String {
    let name = Expertise::from_level(l).map_or("?", Expertise::name);
    format!("{l} {name}")
}

/// The row of `t` with the largest published value in column `c`.
fn argmax(t: &Table, c: usize) -> Option<(&str, f64)> {
    t.rows
        .iter()
        .filter_map(|r| {
            r.cells
                .get(c)
                .and_then(|x| x.value)
                .map(|v| (r.label.as_str(), v))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

fn published(t: &Table, row: usize, c: usize) -> Option<f64> {
    t.rows
        .get(row)
        .and_then(|r| r.cells.get(c))
        .and_then(|x| x.value)
}

// ---- the entry point ---------------------------------------------------------------------

/// Runs every analysis on `facets` and returns the privacy-checked results document.
pub fn analyse(facets: &[Facet], opts: &AnalysisOptions) -> Results {
    analyse_with_dp(facets, opts, None)
}

/// [`analyse`], with differential-privacy noise on the descriptive shares and means when `dp`
/// is given (needs the `dp` feature, see [`DP_AVAILABLE`]; otherwise those cells are withheld).
/// Regressions and quantiles stay behind the distinct-user threshold only.
pub fn analyse_with_dp(facets: &[Facet], opts: &AnalysisOptions, dp: Option<DpOptions>) -> Results {
    let th = opts.threshold();
    let mut codes: HashMap<&str, u32> = HashMap::new();
    let mut obs: Vec<Obs> = Vec::new();
    for f in facets.iter().filter(|f| f.interactive) {
        let n = codes.len() as u32;
        let user = *codes.entry(f.user_key.as_str()).or_insert(n);
        let idx = obs.len();
        obs.push(Obs::new(f, user, idx));
    }
    // More than one agent among the analysed sessions: agent fixed effects in the preferred
    // regressions, and the by-agent tables (when at least two agent rows can be shown).
    let agents = AgentRows::new(facets, &th);
    let multi_agent = agents.interactive_agents > 1;
    if agents.table() {
        for o in &mut obs {
            o.agent = agents.row_of.get(o.f.agent.as_str()).copied();
        }
    }
    let all: Vec<&Obs> = obs.iter().collect();

    let mut fits = Fits::new(obs.len());
    let mut tables = Vec::new();
    tables.push(fig1_work_mode(&th, &all));
    tables.push(fig1_codebase(&th, &all));
    tables.extend(fig2(&th, &all));
    tables.extend(fig3(&th, &all, &mut fits, multi_agent));
    tables.extend(fig4(&th, &all));
    tables.extend(fig5(&th, &all, &mut fits, multi_agent));
    tables.push(fig6(&th, &all));
    tables.extend(table_a1_a2(&th, &all, &mut fits, &agents));
    tables.push(fig_a1(&th, &all));
    tables.push(fig_a2(&th, &all));
    tables.push(validation(&th, &all));
    if agents.table() {
        tables.extend(by_agent(&th, &all, &agents));
    }
    // Cells over the same people in different tables (or rows of one table that add up to a
    // stated total) are suppressed consistently, so no suppressed count is a difference of
    // published ones (docs/STATISTICS.md, "Differencing across tables").
    links::protect(&th, &obs, &mut tables, &fits);
    // The protection may have suppressed cells a reading was written from.
    for t in &mut tables {
        if let Some(r) = reading_of(t) {
            t.reading = r;
        }
    }

    let dp_ledger = dp.map(|dp| apply_dp(&mut tables, &all, dp));
    let mut sample = sample_with(facets, &th);
    if agents.table() {
        agents_follow_table(&mut sample, facets, &tables, &th);
    }
    let mut results = Results {
        schema_version: SCHEMA_VERSION,
        generated_by: format!("agentstat {}", env!("CARGO_PKG_VERSION")),
        privacy: Default::default(),
        sample,
        tables,
    };
    privacy::enforce(&mut results, &th);
    // A suppressed cell's counts would disclose what suppression hides (a share is its count
    // over a published total), so they are not published either.
    for c in results
        .tables
        .iter_mut()
        .flat_map(|t| &mut t.rows)
        .flat_map(|r| &mut r.cells)
    {
        if c.suppressed {
            c.n_sessions = 0;
            c.n_users = 0;
        }
    }
    results.privacy.dp = dp_ledger;
    results
}

/// The sample summary (every session, interactive or not), with no threshold applied: what
/// personal mode shows. [`sample_with`] is what any other report publishes.
pub fn sample(facets: &[Facet]) -> Sample {
    let mut s = Sample {
        sessions: facets.len() as u64,
        ..Default::default()
    };
    let mut people = HashSet::new();
    let mut days: Vec<i64> = Vec::new();
    for f in facets {
        people.insert(f.user_key.as_str());
        if f.interactive {
            s.interactive_sessions += 1;
        } else {
            let reason = f
                .excluded_reason
                .clone()
                .unwrap_or_else(|| "not interactive".into());
            *s.excluded.entry(reason).or_insert(0) += 1;
        }
        *s.agents.entry(f.agent.clone()).or_insert(0) += 1;
        let fam = f
            .telemetry
            .model_family
            .clone()
            .unwrap_or_else(|| "unknown".into());
        *s.model_families.entry(fam).or_insert(0) += 1;
        days.extend(f.telemetry.start_ms);
        if let Some(l) = &f.labels {
            for key in provenance_keys(l) {
                *s.classifiers.entry(key).or_insert(0) += 1;
            }
            if has_error(l) {
                s.classification_errors += 1;
            }
        }
    }
    s.people = people.len() as u64;
    s.agent_people = people_per_agent(facets, &s.agents);
    s.first_day = days.iter().min().map(|&ms| day_of(ms));
    s.last_day = days.iter().max().map(|&ms| day_of(ms));
    s
}

/// The label categories below the threshold are folded into (docs/RESULTS_SCHEMA.md).
pub const OTHER_SUPPRESSED: &str = "other (suppressed)";

/// [`sample`] under a threshold. In personal mode, the full summary. Otherwise every category
/// count (excluded reasons, agents, model families, classifier versions) whose sessions come
/// from fewer than `k` people is folded into [`OTHER_SUPPRESSED`] (and, while that bucket rests
/// on fewer than `k` people, the smallest published category joins it); the date range is
/// published at month level (`YYYY-MM`) and only when the first and the last month each have
/// sessions of at least `k` people; the classification-error count is published only when the
/// sessions with an error come from at least `k` people (else 0).
pub fn sample_with(facets: &[Facet], th: &Threshold) -> Sample {
    let mut s = sample(facets);
    if th.personal {
        return s;
    }
    type Key = fn(&Facet) -> Vec<String>;
    let excluded: Key = |f| {
        if f.interactive {
            vec![]
        } else {
            vec![f
                .excluded_reason
                .clone()
                .unwrap_or_else(|| "not interactive".into())]
        }
    };
    let agent: Key = |f| vec![f.agent.clone()];
    let family: Key = |f| {
        vec![f
            .telemetry
            .model_family
            .clone()
            .unwrap_or_else(|| "unknown".into())]
    };
    let classifier: Key = |f| f.labels.as_ref().map(provenance_keys).unwrap_or_default();
    for (map, key) in [
        (&mut s.excluded, excluded),
        (&mut s.agents, agent),
        (&mut s.model_families, family),
        (&mut s.classifiers, classifier),
    ] {
        fold_small(map, facets, key, th);
    }
    s.agent_people = people_per_agent(facets, &s.agents);

    let error_users: HashSet<&str> = facets
        .iter()
        .filter(|f| f.labels.as_ref().is_some_and(has_error))
        .map(|f| f.user_key.as_str())
        .collect();
    if !th.allows(error_users.len() as u64) {
        s.classification_errors = 0;
    }

    let mut month_users: HashMap<String, HashSet<&str>> = HashMap::new();
    for f in facets {
        if let Some(ms) = f.telemetry.start_ms {
            month_users
                .entry(day_of(ms)[..7].to_string())
                .or_default()
                .insert(f.user_key.as_str());
        }
    }
    let first = month_users.keys().min().cloned();
    let last = month_users.keys().max().cloned();
    let ok = |m: &Option<String>| {
        m.as_ref()
            .is_some_and(|m| th.allows(month_users[m].len() as u64))
    };
    if ok(&first) && ok(&last) {
        s.first_day = first;
        s.last_day = last;
    } else {
        s.first_day = None;
        s.last_day = None;
    }
    s
}

/// Folds the categories of `map` (session counts, one or more keys per facet via `key`) that
/// rest on fewer than `k` people into [`OTHER_SUPPRESSED`]; while the folded bucket itself rests
/// on fewer than `k` people, the smallest remaining category is folded too (so a lone small
/// category cannot be recovered by subtraction from the total).
fn fold_small(
    map: &mut std::collections::BTreeMap<String, u64>,
    facets: &[Facet],
    key: fn(&Facet) -> Vec<String>,
    th: &Threshold,
) {
    let mut users: HashMap<String, HashSet<&str>> = HashMap::new();
    for f in facets {
        for k in key(f) {
            users.entry(k).or_default().insert(f.user_key.as_str());
        }
    }
    let n_users = |k: &str| users.get(k).map_or(0, |u| u.len() as u64);
    let mut folded: Vec<String> = map
        .keys()
        .filter(|k| !th.allows(n_users(k)))
        .cloned()
        .collect();
    if folded.is_empty() {
        return;
    }
    loop {
        let union: HashSet<&str> = folded
            .iter()
            .filter_map(|k| users.get(k))
            .flat_map(|u| u.iter().copied())
            .collect();
        if th.allows(union.len() as u64) {
            break;
        }
        let next = map
            .iter()
            .filter(|(k, _)| !folded.contains(k))
            .min_by_key(|(k, &n)| (n_users(k), n, (*k).clone()))
            .map(|(k, _)| k.clone());
        match next {
            Some(k) => folded.push(k),
            None => break,
        }
    }
    let mass: u64 = folded.iter().filter_map(|k| map.remove(k)).sum();
    if mass > 0 {
        *map.entry(OTHER_SUPPRESSED.to_string()).or_insert(0) += mass;
    }
}

/// Distinct people for each key of `agents` (sessions per agent, possibly with a folded
/// [`OTHER_SUPPRESSED`] bucket, which counts the people of every agent not named once).
fn people_per_agent(
    facets: &[Facet],
    agents: &std::collections::BTreeMap<String, u64>,
) -> std::collections::BTreeMap<String, u64> {
    let mut people: HashMap<&str, HashSet<&str>> = HashMap::new();
    for f in facets {
        let key = if agents.contains_key(&f.agent) {
            f.agent.as_str()
        } else {
            OTHER_SUPPRESSED
        };
        people.entry(key).or_default().insert(f.user_key.as_str());
    }
    agents
        .keys()
        .map(|k| {
            let n = people.get(k.as_str()).map_or(0, |p| p.len() as u64);
            (k.clone(), n)
        })
        .collect()
}

/// The agents as the by-agent tables show them: each agent the sample block names (at least
/// `k` people over all sessions, [`sample_with`]), alphabetically, then one row pooling the
/// agents the sample block folds away, so that the tables never name an agent the sample block
/// hides. Only agents with interactive sessions get a row.
struct AgentRows {
    labels: Vec<String>,
    row_of: HashMap<String, usize>,
    /// Distinct agents among interactive sessions (named or not).
    interactive_agents: usize,
}

/// Label of the by-agent row pooling the agents the sample block does not name.
pub const OTHER_AGENTS: &str = "other agents";

impl AgentRows {
    fn new(facets: &[Facet], th: &Threshold) -> AgentRows {
        let s = sample_with(facets, th);
        let interactive: BTreeSet<&str> = facets
            .iter()
            .filter(|f| f.interactive)
            .map(|f| f.agent.as_str())
            .collect();
        let mut labels: Vec<String> = s
            .agents
            .keys()
            .filter(|k| k.as_str() != OTHER_SUPPRESSED && interactive.contains(k.as_str()))
            .cloned()
            .collect();
        let folded: Vec<&str> = interactive
            .iter()
            .copied()
            .filter(|a| !s.agents.contains_key(*a))
            .collect();
        let mut row_of: HashMap<String, usize> = labels
            .iter()
            .enumerate()
            .map(|(i, a)| (a.clone(), i))
            .collect();
        if !folded.is_empty() {
            for a in folded {
                row_of.insert(a.to_string(), labels.len());
            }
            labels.push(OTHER_AGENTS.to_string());
        }
        AgentRows {
            labels,
            row_of,
            interactive_agents: interactive.len(),
        }
    }

    /// Whether the by-agent tables are produced: more than one agent, shown in at least two
    /// rows (with one row the tables would repeat the totals).
    fn table(&self) -> bool {
        self.interactive_agents > 1 && self.labels.len() > 1
    }
}

/// After the by-agent tables are protected: an agent whose session count the table suppresses
/// is folded into [`OTHER_SUPPRESSED`] in the sample block too, so the sample block's count of
/// that agent's sessions (which also counts its non-interactive ones) cannot give it back.
fn agents_follow_table(s: &mut Sample, facets: &[Facet], tables: &[Table], th: &Threshold) {
    if th.personal {
        return;
    }
    let Some(t) = tables.iter().find(|t| t.id == BY_AGENT) else {
        return;
    };
    let mut moved = 0;
    for row in &t.rows {
        if row.label == OTHER_AGENTS || !row.cells[BY_AGENT_SESSIONS].suppressed {
            continue;
        }
        if let Some(n) = s.agents.remove(&row.label) {
            *s.agents.entry(OTHER_SUPPRESSED.to_string()).or_insert(0) += n;
            moved += 1;
        }
    }
    if moved > 0 {
        s.agent_people = people_per_agent(facets, &s.agents);
    }
}

/// Every distinct `backend / model / prompt version` behind a session's labels.
fn provenance_keys(l: &agentstat_facets::Labels) -> Vec<String> {
    let provs: BTreeSet<String> = [
        &l.work_mode.provenance,
        &l.codebase_relation.provenance,
        &l.decisions.provenance,
        &l.expertise.provenance,
        &l.user_profile.provenance,
        &l.work_performed.provenance,
        &l.outcome.provenance,
        &l.success_signal.provenance,
        &l.failure_signal.provenance,
        &l.task_value.provenance,
    ]
    .iter()
    .filter(|p| !p.backend.is_empty())
    .map(|p| format!("{} / {} / {}", p.backend, p.model, p.prompt_version))
    .collect();
    provs.into_iter().collect()
}

/// Whether any classifier recorded an error for this session.
fn has_error(l: &agentstat_facets::Labels) -> bool {
    [
        &l.work_mode.error,
        &l.codebase_relation.error,
        &l.decisions.error,
        &l.expertise.error,
        &l.user_profile.error,
        &l.work_performed.error,
        &l.outcome.error,
        &l.success_signal.error,
        &l.failure_signal.error,
        &l.task_value.error,
    ]
    .iter()
    .any(|e| e.is_some())
}

/// `YYYY-MM-DD` (UTC) of a millisecond timestamp (civil-from-days, Howard Hinnant).
fn day_of(ms: i64) -> String {
    let z = ms.div_euclid(86_400_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

// ---- Fig. 1 ------------------------------------------------------------------------------

fn fig1_work_mode(th: &Threshold, all: &[&Obs]) -> Table {
    let rows: Vec<&Obs> = all.iter().copied().filter(|o| o.mode.is_some()).collect();
    let mut t = table(
        "fig1_work_mode",
        "Fig. 1",
        "Share of sessions by work mode",
        Chart::Bars,
        vec![col("share", "Share of sessions", "share")],
    );
    let (cells, extra) = composition(th, &rows, WorkMode::ALL.len(), |o| {
        o.mode.map(WorkMode::index)
    });
    for (m, cell) in WorkMode::ALL.iter().zip(cells) {
        t_push(&mut t, m.as_str().into(), vec![cell]);
    }
    t.notes.extend(complementary_note(extra));
    t.reading = reading_work_mode(&t);
    t.notes.push(format!(
        "{} interactive sessions with a work-mode label; 95% CIs clustered by user.",
        rows.len()
    ));
    t
}

fn fig1_codebase(th: &Threshold, all: &[&Obs]) -> Table {
    let rows: Vec<&Obs> = all
        .iter()
        .copied()
        .filter(|o| o.relation.is_some())
        .collect();
    let mut t = table(
        "fig1_codebase_relation",
        "Fig. 1",
        "Share of sessions by codebase relation",
        Chart::Bars,
        vec![col("share", "Share of sessions", "share")],
    );
    let (cells, extra) = composition(th, &rows, CodebaseRelation::ALL.len(), |o| {
        o.relation.map(CodebaseRelation::index)
    });
    for (r, cell) in CodebaseRelation::ALL.iter().zip(cells) {
        t_push(&mut t, r.as_str().into(), vec![cell]);
    }
    t.notes.extend(complementary_note(extra));
    t.study_reference = Some(
        "study: Modify existing code 48%, Explore existing code 17%, Create new code from \
         scratch 14%, No codebase about 20%"
            .into(),
    );
    t.reading = reading_codebase(&t);
    t.notes.push(format!(
        "{} sessions with a codebase-relation label.",
        rows.len()
    ));
    t
}

/// The one-line reading of a table, from its published cells only; `None` for tables whose
/// reading does not depend on their cells. Run again after the cross-table protection
/// (which may suppress further cells), so a reading never names a number it hid.
fn reading_of(t: &Table) -> Option<String> {
    let id = t.id.as_str();
    Some(match id {
        "fig1_work_mode" => reading_work_mode(t),
        "fig1_codebase_relation" => reading_codebase(t),
        "fig2_user_decision_share" => reading_decision_means(t),
        id if id.starts_with("fig3_") && id.ends_with("_by_expertise") => {
            let what = t.title.trim_end_matches(" by expertise level");
            match (published(t, 0, 5), published(t, 4, 5)) {
                (Some(a), Some(b)) => format!(
                    "Geometric mean {}: {a:.1} for Novice sessions, {b:.1} for Expert sessions.",
                    what.to_lowercase()
                ),
                _ => format!("{what} by expertise; levels with too few people are suppressed."),
            }
        }
        "fig3_regression" => match (published(t, 0, 1), published(t, 1, 1)) {
            (Some(a), Some(w)) => format!(
                "Each expertise level goes with {} actions and {} output words per prompt, \
                 holding the controls fixed.",
                signed_pct(a),
                signed_pct(w)
            ),
            _ => "Too few people to publish the per-level effects.".into(),
        },
        "fig4_value_by_mode" => match argmax(t, 0) {
            Some((m, v)) => format!("{m} sessions carry the highest task value (index {v:.0})."),
            None => "Too few people per work mode to publish the index.".into(),
        },
        "fig5_adjusted_rates" => match (published(t, 0, 2), published(t, 4, 2)) {
            (Some(a), Some(b)) => format!(
                "Adjusted verified-success rate: {} at Novice, {} at Expert.",
                pct(a),
                pct(b)
            ),
            _ => {
                "Adjusted success rates by expertise; levels with too few people are suppressed.".into()
            }
        },
        "fig5_troubled" => match (published(t, 0, 0), published(t, 4, 0)) {
            (Some(a), Some(b)) => format!(
                "When sessions hit trouble, {} of Novice and {} of Expert sessions still succeeded.",
                pct(a),
                pct(b)
            ),
            _ => "Outcomes of troubled sessions; levels with too few people are suppressed.".into(),
        },
        "table_a1" => match published(t, 0, 5) {
            Some(b) => format!(
                "With all controls, each expertise level goes with a {:+.1} percentage-point change \
                 in the verified-success rate.",
                b * 100.0
            ),
            None => "Too few people to publish the regression.".into(),
        },
        "table_a2" => match (published(t, 0, 2), published(t, 4, 2)) {
            (Some(a), Some(b)) => format!(
                "Adjusted verified-success rate: {} at Novice, {} at Expert (Table A2 model).",
                pct(a),
                pct(b)
            ),
            _ => "Per-level verified-success rates; levels with too few people are suppressed.".into(),
        },
        "fig6_occupation" => match argmax(t, 1) {
            Some((g, v)) => format!(
                "Highest verified success among code-writing sessions: {g} ({}).",
                pct(v)
            ),
            None => "Too few people per occupation group to publish success rates.".into(),
        },
        "figa1_success_by_signal" => match (published(t, 5, 0), published(t, 5, 1)) {
            (Some(a), Some(b)) => format!(
                "{} of sessions with the strongest success signal and {} with the strongest failure \
                 signal were judged Succeeded.",
                pct(a),
                pct(b)
            ),
            _ => "How the outcome label tracks the strength of success and failure evidence.".into(),
        },
        "figa2_by_agent_share" => match (published(t, 0, 1), published(t, 4, 1)) {
            (Some(a), Some(b)) => format!(
                "Sessions where the agent made most decisions average {b:.1} actions per prompt, \
                 against {a:.1} where the user made most."
            ),
            _ => "Agent activity by how much of the deciding the agent did.".into(),
        },
        BY_AGENT => {
            let named: Vec<String> = t
                .rows
                .iter()
                .filter_map(|r| r.cells[0].value.map(|v| format!("{} {}", r.label, pct(v))))
                .collect();
            if named.len() >= 2 {
                format!("Judged success by agent: {}.", named.join(", "))
            } else {
                "Success by agent; agents with too few people are suppressed.".into()
            }
        }
        "validation_writes_code" => match published(t, 0, 0) {
            Some(v) => format!(
                "{} of sessions classified as writing code changed lines.",
                pct(v)
            ),
            None => "Too few people to publish the agreement.".into(),
        },
        _ => return None,
    })
}

fn reading_work_mode(t: &Table) -> String {
    match argmax(t, 0) {
        Some((m, v)) => format!("{m} is the most common work mode: {} of sessions.", pct(v)),
        None => "Too few people per work mode to publish any share.".into(),
    }
}

fn reading_codebase(t: &Table) -> String {
    match argmax(t, 0) {
        Some((r, v)) => format!("Most sessions are \"{r}\": {}.", pct(v)),
        None => "Too few people per category to publish any share.".into(),
    }
}

fn reading_decision_means(t: &Table) -> String {
    match (published(t, 0, 0), published(t, 1, 0)) {
        (Some(p), Some(e)) => format!(
            "Users made {} of planning and {} of execution decisions on average.",
            pct(p),
            pct(e)
        ),
        _ => "Too few people with attributed decisions to publish the averages.".into(),
    }
}

// ---- Fig. 2 ------------------------------------------------------------------------------

const HIST_BINS: usize = 10;

fn bin_of(share: f64) -> usize {
    ((share * HIST_BINS as f64).floor() as usize).min(HIST_BINS - 1)
}

fn fig2(th: &Threshold, all: &[&Obs]) -> Vec<Table> {
    let planning: Vec<(&Obs, f64)> = all
        .iter()
        .filter_map(|o| {
            o.decisions
                .and_then(|d| d.user_planning_share())
                .map(|s| (*o, 1.0 - s))
        })
        .collect();
    let execution: Vec<(&Obs, f64)> = all
        .iter()
        .filter_map(|o| {
            o.decisions
                .and_then(|d| d.user_execution_share())
                .map(|s| (*o, 1.0 - s))
        })
        .collect();
    let mut hist = table(
        "fig2_agent_decision_share",
        "Fig. 2",
        "Distribution of the agent's share of decisions across sessions",
        Chart::Histogram,
        vec![
            col("planning", "Planning decisions: share of sessions", "share"),
            col(
                "execution",
                "Execution decisions: share of sessions",
                "share",
            ),
        ],
    );
    // One composition per column: the bins of planning, the bins of execution.
    let column = |v: &[(&Obs, f64)]| {
        let rows: Vec<&Obs> = v.iter().map(|p| p.0).collect();
        let bins: Vec<Option<usize>> = v.iter().map(|p| Some(bin_of(p.1))).collect();
        composition_of(th, &rows, HIST_BINS, &bins)
    };
    let (plan_cells, e1) = column(&planning);
    let (exec_cells, e2) = column(&execution);
    for (b, (p, e)) in plan_cells.into_iter().zip(exec_cells).enumerate() {
        let lo = b * 100 / HIST_BINS;
        let hi = (b + 1) * 100 / HIST_BINS;
        t_push(&mut hist, format!("{lo}–{hi}%"), vec![p, e]);
    }
    hist.notes.extend(complementary_note(e1 + e2));
    hist.reading = "How often the agent, rather than the person, made a session's planning and \
                    execution decisions (agent share binned by 10 points)."
        .into();
    hist.notes.push(format!(
        "{} sessions with planning decisions, {} with execution decisions; bins include their \
         lower bound, the last bin includes 100%.",
        planning.len(),
        execution.len()
    ));

    let mut means = table(
        "fig2_user_decision_share",
        "Fig. 2",
        "Mean user share of decisions per session",
        Chart::Points,
        vec![col(
            "user_share",
            "User's share (mean over sessions)",
            "share",
        )],
    );
    for (label, v) in [("Planning", &planning), ("Execution", &execution)] {
        let vals: Vec<f64> = v.iter().map(|p| 1.0 - p.1).collect();
        let users: Vec<u32> = v.iter().map(|p| p.0.user).collect();
        let rows: Vec<&Obs> = v.iter().map(|p| p.0).collect();
        // A mean of shares lies in [0, 1], and so does its interval.
        let est = clustered_mean(&vals, &users)
            .map(|m| {
                let mut e = m.estimate();
                e.ci_low = e.ci_low.map(|x| x.clamp(0.0, 1.0));
                e.ci_high = e.ci_high.map(|x| x.clamp(0.0, 1.0));
                e
            })
            .unwrap_or_default();
        let cell = th.cell(est, rows.len() as u64, distinct_users(&rows));
        t_push(&mut means, label.into(), vec![cell]);
    }
    means.study_reference =
        Some("study: users make about 70% of planning and about 20% of execution decisions".into());
    means.reading = reading_decision_means(&means);
    means.notes.push(
        "Mean over sessions of the user's share; 95% CIs clustered by user, clipped to [0, 1]."
            .into(),
    );
    vec![hist, means]
}

fn t_push(t: &mut Table, label: String, cells: Vec<Cell>) {
    t.rows.push(Row { label, cells });
}

// ---- regressions -------------------------------------------------------------------------

/// Fixed effects used as controls (rubric §5, Table A1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fe {
    ModeBand,
    Month,
    WorkPerformed,
    UserProfile,
    TierLength,
    /// The agent (Claude Code, Gemini CLI, …): added to the preferred specifications when the
    /// data hold more than one agent.
    Agent,
}

impl Fe {
    fn name(self) -> &'static str {
        match self {
            Fe::ModeBand => "work mode × value band",
            Fe::Month => "month",
            Fe::WorkPerformed => "work-performed occupation",
            Fe::UserProfile => "user-profile occupation",
            Fe::TierLength => "model tier × session-length band",
            Fe::Agent => "agent",
        }
    }
    fn key(self, o: &Obs) -> Option<String> {
        match self {
            Fe::ModeBand => Some(format!("{}|{}", o.mode?.as_str(), o.band()?.as_str())),
            Fe::Month => o.month().map(String::from),
            Fe::WorkPerformed => o.performed.map(|p| p.as_str().to_string()),
            Fe::UserProfile => o.profile.map(|p| p.as_str().to_string()),
            Fe::TierLength => Some(format!(
                "{}|{}",
                o.f.telemetry.model_family.as_deref().unwrap_or("unknown"),
                length_band(o.f.telemetry.model_calls)
            )),
            Fe::Agent => Some(o.f.agent.clone()),
        }
    }
}

/// Session-length band by model calls (the control of Table A1 column 6).
fn length_band(calls: u32) -> &'static str {
    match calls {
        0..=9 => "1–9 calls",
        10..=29 => "10–29 calls",
        30..=99 => "30–99 calls",
        _ => "100+ calls",
    }
}

/// `fes`, plus the agent fixed effect when `agent_fe` (the data hold more than one agent).
fn with_agent(fes: &[Fe], agent_fe: bool) -> Vec<Fe> {
    let mut v = fes.to_vec();
    if agent_fe {
        v.push(Fe::Agent);
    }
    v
}

/// The sentence the regression tables' notes add when the agent fixed effect is in.
const AGENT_FE_NOTE: &str = "The data hold sessions of more than one agent: agent fixed effects \
     are added, so differences between agents do not enter the expertise estimates.";

const ALL_FE: [Fe; 5] = [
    Fe::ModeBand,
    Fe::Month,
    Fe::WorkPerformed,
    Fe::UserProfile,
    Fe::TierLength,
];

/// Fits `y ~ x + controls | fes`, clustered by user, on `rows` (which must have every FE key).
fn fit_on(rows: &[&Obs], y: &[f64], x: &[(String, Vec<f64>)], fes: &[Fe]) -> Result<Fit, String> {
    let factors: Vec<Factor> = fes
        .iter()
        .map(|fe| {
            let keys: Vec<String> = rows.iter().map(|o| fe.key(o).unwrap_or_default()).collect();
            Factor::from_keys(fe.name(), &keys)
        })
        .collect();
    let cluster: Vec<u32> = rows.iter().map(|o| o.user).collect();
    let design = Design {
        y,
        x: x.iter().map(|(n, c)| (n.clone(), c.as_slice())).collect(),
        fixed_effects: factors.iter().collect(),
        cluster: &cluster,
        intercept: true,
    };
    fit(&design, &FitOptions::default()).map_err(|e| e.to_string())
}

/// Users and sessions in a fit's estimation sample (optionally only rows matching `pred`).
fn fit_counts(fit: &Fit, rows: &[&Obs], pred: impl Fn(&Obs) -> bool) -> (u64, u64) {
    let mut users = HashSet::new();
    let mut n = 0u64;
    for &i in &fit.sample {
        if pred(rows[i]) {
            n += 1;
            users.insert(rows[i].user);
        }
    }
    (n, users.len() as u64)
}

fn coef_cell(th: &Threshold, fit: &Fit, name: &str, n: u64, users: u64) -> Cell {
    let est = fit
        .coef(name)
        .map(|c| Estimate {
            value: Some(c.estimate),
            se: Some(c.se),
            ci_low: Some(c.ci_low),
            ci_high: Some(c.ci_high),
            p_value: Some(c.p_value),
        })
        .unwrap_or_default();
    th.cell(est, n, users)
}

fn level_indicators(rows: &[&Obs]) -> Vec<(String, Vec<f64>)> {
    (2..=5u8)
        .map(|l| {
            let v = rows
                .iter()
                .map(|o| f64::from(u8::from(o.level == Some(l))))
                .collect();
            (format!("expertise_{l}"), v)
        })
        .collect()
}

fn margin_set(l: u8) -> Vec<(String, f64)> {
    (2..=5u8)
        .map(|j| (format!("expertise_{j}"), f64::from(u8::from(j == l))))
        .collect()
}

fn margin_cell(th: &Threshold, fit: &Fit, rows: &[&Obs], l: u8) -> Cell {
    let (n, users) = fit_counts(fit, rows, |o| o.level == Some(l));
    let estimable = n > 0 && (l == 1 || fit.coef(&format!("expertise_{l}")).is_some());
    if !estimable {
        return th.cell(Estimate::default(), n, users);
    }
    let set = margin_set(l);
    let set: Vec<(&str, f64)> = set.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let m = fit.margin(&set);
    // A rate cannot leave [0, 1]; a linear probability model's margin can. The estimate is
    // kept as the model gives it (and flagged by `extrapolation_note`); only the interval shown
    // is clipped.
    th.cell(
        Estimate {
            value: Some(m.estimate),
            se: Some(m.se),
            ci_low: Some(m.ci_low.clamp(0.0, 1.0)),
            ci_high: Some(m.ci_high.clamp(0.0, 1.0)),
            p_value: None,
        },
        n,
        users,
    )
}

/// A note naming the published margins (in `cols` of `t`) that lie outside [0, 1].
fn extrapolation_note(t: &Table, cols: &[usize]) -> Option<String> {
    let out: Vec<String> = t
        .rows
        .iter()
        .flat_map(|r| {
            cols.iter().filter_map(move |&c| {
                let v = r.cells.get(c)?.value?;
                let name = &t.columns.get(c)?.label;
                (!(0.0..=1.0).contains(&v))
                    .then(|| format!("{} / {name}: {:.0}%", r.label, v * 100.0))
            })
        })
        .collect();
    (!out.is_empty()).then(|| {
        format!(
            "Extrapolated outside 0–100% by the linear probability model: {}. The estimate is \
             shown as the model gives it; its interval is clipped to [0%, 100%]. Such a rate \
             says the model fits this group poorly, not that the rate exceeds the bounds.",
            out.join("; ")
        )
    })
}

// ---- Fig. 3 ------------------------------------------------------------------------------

const FIG3_FE: [Fe; 3] = [Fe::ModeBand, Fe::Month, Fe::WorkPerformed];

fn fig3(th: &Threshold, all: &[&Obs], fits: &mut Fits, agent_fe: bool) -> Vec<Table> {
    let leveled: Vec<&Obs> = all.iter().copied().filter(|o| o.level.is_some()).collect();
    let unclear = all.len() - leveled.len();
    let mut out = Vec::new();
    for (id, what, get) in [
        (
            "fig3_actions_by_expertise",
            "Actions per prompt",
            (|o: &Obs| o.f.telemetry.actions_per_prompt) as fn(&Obs) -> f64,
        ),
        (
            "fig3_words_by_expertise",
            "Output words per prompt",
            |o: &Obs| o.f.telemetry.words_per_prompt,
        ),
    ] {
        let mut t = table(
            id,
            "Fig. 3",
            &format!("{what} by expertise level"),
            Chart::Box,
            vec![
                col("p5", "p5", "ratio"),
                col("p25", "p25", "ratio"),
                col("median", "Median", "ratio"),
                col("p75", "p75", "ratio"),
                col("p95", "p95", "ratio"),
                col("geomean", "Geometric mean", "ratio"),
            ],
        );
        let mut zeros = 0;
        for l in LEVELS {
            let rows: Vec<&Obs> = leveled
                .iter()
                .copied()
                .filter(|o| o.level == Some(l))
                .collect();
            let vals: Vec<f64> = rows.iter().map(|o| get(o)).collect();
            let b = th.box_stats(&vals);
            let g = geometric_mean(&vals);
            zeros += g.map_or(vals.len(), |g| g.n_nonpositive);
            let cells = vec![
                value_cell(th, b.map(|b| b.p5), &rows),
                value_cell(th, b.map(|b| b.p25), &rows),
                value_cell(th, b.map(|b| b.median), &rows),
                value_cell(th, b.map(|b| b.p75), &rows),
                value_cell(th, b.map(|b| b.p95), &rows),
                value_cell(th, g.map(|g| g.value), &rows),
            ];
            t_push(&mut t, level_label(l), cells);
        }
        t.reading = reading_of(&t).unwrap_or_default();
        t.notes.push(format!(
            "{} sessions with an expertise level; {unclear} Unclear or unlabelled sessions \
             excluded. The geometric mean leaves out {zeros} sessions with a value of zero.",
            leveled.len()
        ));
        if th.quantile_window() > 1 {
            t.notes.push(format!(
                "Privacy: each quantile is the mean of the {} sessions nearest its position, \
                 so none is one session's value.",
                th.quantile_window()
            ));
        }
        out.push(t);
    }

    let mut reg = table(
        "fig3_regression",
        "Fig. 3",
        "Change per expertise level in actions and output words per prompt (log-linear)",
        Chart::Points,
        vec![
            col("coef", "Coefficient on expertise (ln scale)", "coef"),
            col("pct_per_level", "Change per level", "ratio"),
        ],
    );
    let sample: Vec<&Obs> = leveled
        .iter()
        .copied()
        .filter(|o| FIG3_FE.iter().all(|fe| fe.key(o).is_some()))
        .collect();
    let fig3_fe = with_agent(&FIG3_FE, agent_fe);
    let mut notes = vec![format!(
        "OLS of ln(y) on expertise (1–5, linear) with fixed effects for {}; SEs clustered by \
         user (CR1). Change per level = exp(b) − 1. {} sessions with a level and all controls \
         ({} dropped for Unclear expertise, {} for an unknown value band, month or \
         work-performed occupation); sessions with y = 0 cannot enter ln(y) and are dropped.",
        fig3_fe
            .iter()
            .map(|fe| fe.name())
            .collect::<Vec<_>>()
            .join(", "),
        sample.len(),
        unclear,
        leveled.len() - sample.len()
    )];
    for (label, get) in [
        (
            "Actions per prompt",
            (|o: &Obs| o.f.telemetry.actions_per_prompt) as fn(&Obs) -> f64,
        ),
        ("Output words per prompt", |o: &Obs| {
            o.f.telemetry.words_per_prompt
        }),
    ] {
        let y: Vec<f64> = sample.iter().map(|o| get(o).ln()).collect();
        let x = vec![(
            "expertise".to_string(),
            sample
                .iter()
                .map(|o| f64::from(o.level.unwrap_or(0)))
                .collect::<Vec<f64>>(),
        )];
        match fit_on(&sample, &y, &x, &fig3_fe) {
            Ok(fit) => {
                fits.record_fit(&format!("fig3 {label}"), &fit, &sample);
                let (n, users) = (fit.n_obs as u64, fit.n_clusters as u64);
                let c = coef_cell(th, &fit, "expertise", n, users);
                let p = Cell {
                    value: c.value.map(|b| b.exp_m1()),
                    se: c.value.zip(c.se).map(|(b, se)| b.exp() * se),
                    ci_low: c.ci_low.map(f64::exp_m1),
                    ci_high: c.ci_high.map(f64::exp_m1),
                    ..c
                };
                t_push(&mut reg, label.into(), vec![c, p]);
            }
            Err(e) => {
                notes.push(format!("{label}: not estimable ({e})."));
                fits.record(&format!("fig3 {label}"), &sample);
                let cell = empty_cell(th, &sample);
                t_push(&mut reg, label.into(), vec![cell, cell]);
            }
        }
    }
    if agent_fe {
        notes.push(AGENT_FE_NOTE.into());
    }
    reg.study_reference = Some("study: +9% actions and +13% output per expertise level".into());
    reg.reading = reading_of(&reg).unwrap_or_default();
    reg.notes = notes;
    out.push(reg);
    out
}

// ---- Fig. 4 ------------------------------------------------------------------------------

fn fig4(th: &Threshold, all: &[&Obs]) -> Vec<Table> {
    let with_month: Vec<&Obs> = all
        .iter()
        .copied()
        .filter(|o| o.month().is_some())
        .collect();
    let months: BTreeSet<&str> = with_month.iter().filter_map(|o| o.month()).collect();

    let mut modes = table(
        "fig4_work_mode_by_month",
        "Fig. 4",
        "Work-mode shares by month",
        Chart::Stacked,
        WorkMode::ALL
            .iter()
            .map(|m| col(m.as_str(), m.as_str(), "share"))
            .collect(),
    );
    let mut extra = 0;
    for m in &months {
        let rows: Vec<&Obs> = with_month
            .iter()
            .copied()
            .filter(|o| o.month() == Some(m) && o.mode.is_some())
            .collect();
        let (cells, e) = composition(th, &rows, WorkMode::ALL.len(), |o| {
            o.mode.map(WorkMode::index)
        });
        extra += e;
        t_push(&mut modes, (*m).to_string(), cells);
    }
    modes.notes.extend(complementary_note(extra));
    modes.reading = format!(
        "How the mix of work modes changed over {} month(s).",
        months.len()
    );
    modes
        .notes
        .push("Each row sums to 1 over its published cells; 95% CIs clustered by user.".into());

    // Task-value index: 100 × exp(mean ln value in the group − mean ln value overall).
    let valued: Vec<&Obs> = all.iter().copied().filter(|o| o.value.is_some()).collect();
    let ln_all: Vec<f64> = valued
        .iter()
        .map(|o| o.value.map_or(f64::NAN, |v| v.usd.ln()))
        .collect();
    let base = crate::descriptive::mean(&ln_all);
    let index_cell = |rows: &[&Obs]| -> Cell {
        let vals: Vec<f64> = rows
            .iter()
            .map(|o| o.value.map_or(f64::NAN, |v| v.usd.ln()))
            .collect();
        let users: Vec<u32> = rows.iter().map(|o| o.user).collect();
        let est = match (clustered_mean(&vals, &users), base) {
            (Some(m), Some(b)) => {
                let idx = |x: f64| 100.0 * (x - b).exp();
                Estimate {
                    value: Some(idx(m.mean)),
                    se: None,
                    ci_low: m.ci_low.is_finite().then(|| idx(m.ci_low)),
                    ci_high: m.ci_high.is_finite().then(|| idx(m.ci_high)),
                    p_value: None,
                }
            }
            _ => Estimate::default(),
        };
        th.cell(est, rows.len() as u64, distinct_users(rows))
    };
    let note = format!(
        "Index = 100 × geometric mean of the task value in the group / geometric mean over all \
         {} valued sessions (100 = average). Task values rank sessions; they are not prices. \
         95% CIs clustered by user.",
        valued.len()
    );
    let mut by_month = table(
        "fig4_value_by_month",
        "Fig. 4",
        "Task-value index by month",
        Chart::Lines,
        vec![col("index", "Task-value index", "index")],
    );
    for m in &months {
        let rows: Vec<&Obs> = valued
            .iter()
            .copied()
            .filter(|o| o.month() == Some(m))
            .collect();
        let cell = index_cell(&rows);
        t_push(&mut by_month, (*m).to_string(), vec![cell]);
    }
    by_month.reading =
        "Task value of sessions over time, relative to the whole sample (100).".into();
    by_month.notes.push(note.clone());

    let mut by_mode = table(
        "fig4_value_by_mode",
        "Fig. 4",
        "Task-value index by work mode",
        Chart::Bars,
        vec![col("index", "Task-value index", "index")],
    );
    for w in WorkMode::ALL {
        let rows: Vec<&Obs> = valued
            .iter()
            .copied()
            .filter(|o| o.mode == Some(*w))
            .collect();
        let cell = index_cell(&rows);
        t_push(&mut by_mode, w.as_str().into(), vec![cell]);
    }
    by_mode.reading = reading_of(&by_mode).unwrap_or_default();
    by_mode.notes.push(note);
    vec![modes, by_month, by_mode]
}

// ---- Fig. 5, Table A1, Table A2 ----------------------------------------------------------

/// The common estimation sample of Table A1 / A2 and Fig. 5: success sample, expertise 1–5,
/// every control known, at least one model call (ln(model calls) is a control).
fn a1_sample<'a>(all: &[&'a Obs<'a>]) -> (Vec<&'a Obs<'a>>, Vec<String>) {
    let success: Vec<&Obs> = all
        .iter()
        .copied()
        .filter(|o| o.in_success_sample())
        .collect();
    let no_goal = all
        .iter()
        .filter(|o| o.outcome == Some(Outcome::NoClearGoal))
        .count();
    let leveled: Vec<&Obs> = success
        .iter()
        .copied()
        .filter(|o| o.level.is_some())
        .collect();
    let banded: Vec<&Obs> = leveled
        .iter()
        .copied()
        .filter(|o| o.band().is_some())
        .collect();
    let full: Vec<&Obs> = banded.iter().copied().filter(|o| in_a1_sample(o)).collect();
    let notes = vec![format!(
        "Sample: {} interactive sessions with a goal ({no_goal} No clear goal and {} without an \
         outcome excluded); {} dropped for Unclear expertise, {} for an unknown value band, {} \
         for an unknown month, work-performed or user-profile occupation, or no model call. \
         {} sessions remain. Unclear user profile is kept as its own fixed-effect level.",
        success.len(),
        all.len() - success.len() - no_goal,
        success.len() - leveled.len(),
        leveled.len() - banded.len(),
        banded.len() - full.len(),
        full.len()
    )];
    (full, notes)
}

/// Membership of the common estimation sample of Table A1 / A2 and Fig. 5.
fn in_a1_sample(o: &Obs) -> bool {
    o.in_success_sample()
        && o.level.is_some()
        && o.band().is_some()
        && ALL_FE.iter().all(|fe| fe.key(o).is_some())
        && o.f.telemetry.model_calls > 0
}

fn controls_x(rows: &[&Obs]) -> Vec<(String, Vec<f64>)> {
    vec![
        (
            "ln(model calls)".into(),
            rows.iter()
                .map(|o| f64::from(o.f.telemetry.model_calls).ln())
                .collect(),
        ),
        (
            "ln(human turns)".into(),
            rows.iter()
                .map(|o| f64::from(o.f.telemetry.human_turns).ln())
                .collect(),
        ),
    ]
}

fn b2f(b: Option<bool>) -> f64 {
    b.map_or(f64::NAN, |b| if b { 1.0 } else { 0.0 })
}

fn fig5(th: &Threshold, all: &[&Obs], fits: &mut Fits, agent_fe: bool) -> Vec<Table> {
    let (sample, mut notes) = a1_sample(all);
    type Outcome = (&'static str, &'static str, fn(&Obs) -> Option<bool>);
    let outcomes: [Outcome; 3] = [
        ("at_least_partial", "At least partial success", |o| {
            o.d.at_least_partial_success
        }),
        ("judged", "Judged success", |o| o.d.judged_success),
        ("verified", "Verified success", |o| o.d.verified_success),
    ];
    let mut t = table(
        "fig5_adjusted_rates",
        "Fig. 5",
        "Adjusted success rates by expertise level",
        Chart::Points,
        outcomes.iter().map(|(k, l, _)| col(k, l, "rate")).collect(),
    );
    let mut columns: Vec<Vec<Cell>> = Vec::new();
    for (key, label, get) in outcomes {
        let rows: Vec<&Obs> = sample
            .iter()
            .copied()
            .filter(|o| get(o).is_some())
            .collect();
        let y: Vec<f64> = rows.iter().map(|o| b2f(get(o))).collect();
        match fit_richest(&rows, &y, agent_fe) {
            Ok((fit, spec)) => {
                fits.record_fit(&format!("fig5 {key}"), &fit, &rows);
                if spec != "(6)" {
                    notes.push(format!(
                        "{label}: controls of Table A1 column {spec} (the data cannot support more)."
                    ));
                }
                columns.push(
                    LEVELS
                        .iter()
                        .map(|&l| margin_cell(th, &fit, &rows, l))
                        .collect(),
                )
            }
            Err(e) => {
                notes.push(format!("{label}: not estimable ({e})."));
                fits.record(&format!("fig5 {key}"), &rows);
                columns.push(
                    LEVELS
                        .iter()
                        .map(|&l| {
                            let r: Vec<&Obs> = rows
                                .iter()
                                .copied()
                                .filter(|o| o.level == Some(l))
                                .collect();
                            empty_cell(th, &r)
                        })
                        .collect(),
                );
            }
        }
    }
    for (i, l) in LEVELS.iter().enumerate() {
        t_push(
            &mut t,
            level_label(*l),
            columns.iter().map(|c| c[i]).collect(),
        );
    }
    t.reading = reading_of(&t).unwrap_or_default();
    notes.push(
        "Predictive margins from a linear probability model with an indicator per expertise \
         level and the controls of Table A1 column (6), or the richest column the data \
         support; 95% CIs clustered by user."
            .into(),
    );
    if agent_fe {
        notes.push(AGENT_FE_NOTE.into());
    }
    notes.extend(extrapolation_note(&t, &[0, 1, 2]));
    t.notes = notes;

    // Troubled sessions: unadjusted rates (the troubled subsample is too small for the full
    // set of fixed effects in most data).
    let troubled: Vec<&Obs> = all
        .iter()
        .copied()
        .filter(|o| o.in_success_sample() && o.d.hit_trouble == Some(true) && o.level.is_some())
        .collect();
    let mut tt = table(
        "fig5_troubled",
        "Fig. 5",
        "Among troubled sessions (failure signal ≥ 3): outcomes by expertise level",
        Chart::Points,
        vec![
            col("success", "Succeeded", "rate"),
            col("failure", "Failed", "rate"),
            col("abandoned", "Abandoned (failed, no code written)", "rate"),
        ],
    );
    for l in LEVELS {
        let rows: Vec<&Obs> = troubled
            .iter()
            .copied()
            .filter(|o| o.level == Some(l))
            .collect();
        let cells = vec![
            rate_cell(th, &rows, |o| o.d.judged_success),
            rate_cell(th, &rows, |o| o.d.judged_failure),
            rate_cell(th, &rows, |o| o.d.abandoned),
        ];
        t_push(&mut tt, level_label(l), cells);
    }
    tt.reading = reading_of(&tt).unwrap_or_default();
    tt.notes.push(format!(
        "{} troubled sessions with a goal and an expertise level; unadjusted rates, 95% CIs \
         clustered by user.",
        troubled.len()
    ));
    vec![t, tt]
}

/// Table A1's cumulative columns: (label, fixed effects, ln(model calls) + ln(human turns)).
const SPECS: [(&str, &[Fe], bool); 6] = [
    ("(1)", &[], false),
    ("(2)", &[Fe::ModeBand], false),
    ("(3)", &[Fe::ModeBand, Fe::Month], false),
    ("(4)", &[Fe::ModeBand, Fe::Month, Fe::WorkPerformed], false),
    (
        "(5)",
        &[Fe::ModeBand, Fe::Month, Fe::WorkPerformed, Fe::UserProfile],
        false,
    ),
    ("(6)", &ALL_FE, true),
];

/// Fits `y` on the expertise indicators with the richest Table A1 control set the data
/// support, trying column (6) first and falling back one column at a time (small, personal
/// data sets cannot carry every fixed effect). Returns the fit and the column used.
///
/// With `agent_fe` (more than one agent in the data) every specification tried also has the
/// agent fixed effect.
fn fit_richest(rows: &[&Obs], y: &[f64], agent_fe: bool) -> Result<(Fit, &'static str), String> {
    let mut last = String::from("no specification tried");
    for (label, fes, ln_controls) in SPECS.iter().rev() {
        let mut x = level_indicators(rows);
        if *ln_controls {
            x.extend(controls_x(rows));
        }
        match fit_on(rows, y, &x, &with_agent(fes, agent_fe)) {
            Ok(fit) => return Ok((fit, label)),
            Err(e) => last = e,
        }
    }
    Err(last)
}

fn table_a1_a2(th: &Threshold, all: &[&Obs], fits: &mut Fits, agents: &AgentRows) -> Vec<Table> {
    let agent_fe = agents.interactive_agents > 1;
    let (rows, sample_notes) = a1_sample(all);
    let specs = SPECS;
    let mut a1 = table(
        "table_a1",
        "Table A1",
        "Verified success on expertise (linear probability model), controls added step by step",
        Chart::None,
        specs.iter().map(|(k, _, _)| col(k, k, "coef")).collect(),
    );
    let rows_v: Vec<&Obs> = rows
        .iter()
        .copied()
        .filter(|o| o.d.verified_success.is_some())
        .collect();
    let y: Vec<f64> = rows_v.iter().map(|o| b2f(o.d.verified_success)).collect();
    let level: Vec<f64> = rows_v
        .iter()
        .map(|o| f64::from(o.level.unwrap_or(0)))
        .collect();
    let mut coef_row = Vec::new();
    let mut mean_row = Vec::new();
    let mut n_row = Vec::new();
    let mut notes = sample_notes;
    for (k, fes, ln_controls) in specs {
        let mut x = vec![("expertise".to_string(), level.clone())];
        if ln_controls {
            x.extend(controls_x(&rows_v));
        }
        // The preferred column (6) absorbs agent differences when there are several agents.
        let fes = with_agent(fes, agent_fe && k == "(6)");
        match fit_on(&rows_v, &y, &x, &fes) {
            Ok(fit) => {
                fits.record_fit(&format!("a1 {k}"), &fit, &rows_v);
                let (n, users) = (fit.n_obs as u64, fit.n_clusters as u64);
                coef_row.push(coef_cell(th, &fit, "expertise", n, users));
                mean_row.push(th.cell(Estimate::value(fit.y_mean), n, users));
                n_row.push(th.cell(Estimate::value(n as f64), n, users));
                if fit.n_singletons > 0 {
                    notes.push(format!(
                        "{k}: {} fixed-effect singletons dropped.",
                        fit.n_singletons
                    ));
                }
            }
            Err(e) => {
                notes.push(format!("{k}: not estimable ({e})."));
                fits.record(&format!("a1 {k}"), &rows_v);
                let c = empty_cell(th, &rows_v);
                coef_row.push(c);
                mean_row.push(c);
                n_row.push(c);
            }
        }
    }
    t_push(&mut a1, "Expertise (per level)".into(), coef_row);
    t_push(&mut a1, "Mean of verified success".into(), mean_row);
    t_push(&mut a1, "Observations".into(), n_row);
    a1.study_reference =
        Some("study: preferred column +0.0379 (SE 0.0009) per expertise level".into());
    a1.reading = reading_of(&a1).unwrap_or_default();
    notes.push(
        "Columns add fixed effects cumulatively: (1) none; (2) work mode × value band; (3) + \
         month; (4) + work-performed occupation; (5) + user-profile occupation; (6) + model \
         tier × session-length band (model family × model-call band) and ln(model calls), \
         ln(human turns). Standard errors clustered by user (CR1), p-values from t(G−1)."
            .into(),
    );
    notes.push(if agent_fe {
        "The data hold sessions of more than one agent: column (6) also has agent fixed \
         effects, so differences between agents do not enter the expertise coefficient; \
         columns (1)–(5) pool the agents."
            .into()
    } else {
        "All interactive sessions come from one agent: no agent fixed effects, and no by-agent \
         table (it would repeat the totals)."
            .into()
    });
    if agent_fe && !agents.table() {
        notes.push(
            "No agent has sessions of enough people to be shown apart, so there is no by-agent \
             table."
                .into(),
        );
    }
    a1.notes = notes;

    // Table A2: indicators per level, Novice omitted, full controls.
    let mut a2 = table(
        "table_a2",
        "Table A2",
        "Verified success by expertise level (indicators, Novice omitted)",
        Chart::None,
        vec![
            col("coef", "Coefficient vs Novice", "coef"),
            col("unadjusted", "Unadjusted rate", "rate"),
            col("adjusted", "Adjusted rate", "rate"),
        ],
    );
    let mut a2_notes = Vec::new();
    let fitted = fit_richest(&rows_v, &y, agent_fe).map(|(fit, spec)| {
        if spec != "(6)" {
            a2_notes.push(format!(
                "Controls of Table A1 column {spec}: the data cannot support more."
            ));
        }
        fit
    });
    match &fitted {
        Ok(fit) => fits.record_fit("a2", fit, &rows_v),
        Err(e) => {
            a2_notes.push(format!("Not estimable ({e})."));
            fits.record("a2", &rows_v);
        }
    }
    fits.record("a1 rows", &rows_v);
    let novice_users = match &fitted {
        Ok(fit) => fit_counts(fit, &rows_v, |o| o.level == Some(1)).1,
        Err(_) => 0,
    };
    for l in LEVELS {
        let level_rows: Vec<&Obs> = rows_v
            .iter()
            .copied()
            .filter(|o| o.level == Some(l))
            .collect();
        let unadj = rate_cell(th, &level_rows, |o| o.d.verified_success);
        let (coef, adj) = match &fitted {
            Ok(fit) => {
                let (n, users) = fit_counts(fit, &rows_v, |o| o.level == Some(l));
                let mut c = if l == 1 {
                    th.cell(Estimate::default(), n, users)
                } else {
                    coef_cell(th, fit, &format!("expertise_{l}"), n, users)
                };
                // A contrast with Novice also describes the Novice group.
                if !th.allows(novice_users) || !th.allows(fit.n_clusters as u64) {
                    c = Cell {
                        suppressed: true,
                        ..c
                    };
                }
                (c, margin_cell(th, fit, &rows_v, l))
            }
            Err(_) => (empty_cell(th, &level_rows), empty_cell(th, &level_rows)),
        };
        let label = if l == 1 {
            format!("{} (reference)", level_label(l))
        } else {
            level_label(l)
        };
        t_push(&mut a2, label, vec![coef, unadj, adj]);
    }
    a2.reading = reading_of(&a2).unwrap_or_default();
    a2_notes.push(
        "Linear probability model with an indicator per level (Novice omitted) and the controls \
         of Table A1 column (6); adjusted rates are predictive margins; SEs clustered by user. \
         A coefficient is published only if its level, the Novice level and the estimation \
         sample each have at least k users."
            .into(),
    );
    if agent_fe {
        a2_notes.push(AGENT_FE_NOTE.into());
    }
    a2_notes.extend(extrapolation_note(&a2, &[2]));
    a2.notes = a2_notes;
    vec![a1, a2]
}

// ---- Fig. 6 ------------------------------------------------------------------------------

fn fig6(th: &Threshold, all: &[&Obs]) -> Table {
    let rows: Vec<&Obs> = all
        .iter()
        .copied()
        .filter(|o| o.in_success_sample() && o.d.wrote_code)
        .filter(|o| matches!(o.profile, Some(UserProfile::Group(_))))
        .collect();
    let unclear = all
        .iter()
        .filter(|o| {
            o.in_success_sample() && o.d.wrote_code && o.profile == Some(UserProfile::Unclear)
        })
        .count();
    let mut t = table(
        "fig6_occupation",
        "Fig. 6",
        "Success by user-profile occupation, sessions that wrote code",
        Chart::Points,
        vec![
            col("judged", "Judged success", "rate"),
            col("verified", "Verified success", "rate"),
        ],
    );
    let groups: BTreeSet<Occupation> = rows.iter().filter_map(|o| o.profile?.group()).collect();
    for g in Occupation::ALL.iter().filter(|g| groups.contains(g)) {
        let gr: Vec<&Obs> = rows
            .iter()
            .copied()
            .filter(|o| o.profile == Some(UserProfile::Group(*g)))
            .collect();
        let cells = vec![
            rate_cell(th, &gr, |o| o.d.judged_success),
            rate_cell(th, &gr, |o| o.d.verified_success),
        ];
        t_push(&mut t, g.as_str().into(), cells);
    }
    t.reading = reading_of(&t).unwrap_or_default();
    t.notes.push(format!(
        "{} code-writing sessions with a goal and an occupation; {unclear} with an Unclear user \
         profile excluded. Groups with no session are not listed. 95% CIs clustered by user.",
        rows.len()
    ));
    t
}

// ---- Fig. A1, Fig. A2 --------------------------------------------------------------------

fn fig_a1(th: &Threshold, all: &[&Obs]) -> Table {
    let rows: Vec<&Obs> = all
        .iter()
        .copied()
        .filter(|o| o.in_success_sample())
        .collect();
    let mut t = table(
        "figa1_success_by_signal",
        "Fig. A1",
        "P(outcome = Succeeded) by success-signal and failure-signal level",
        Chart::Points,
        vec![
            col("by_success_signal", "By success signal", "rate"),
            col("by_failure_signal", "By failure signal", "rate"),
        ],
    );
    for s in 0..=5u8 {
        let by_s: Vec<&Obs> = rows.iter().copied().filter(|o| o.succ == Some(s)).collect();
        let by_f: Vec<&Obs> = rows.iter().copied().filter(|o| o.fail == Some(s)).collect();
        let label = if s == 0 {
            "NONE".to_string()
        } else {
            s.to_string()
        };
        let cells = vec![
            rate_cell(th, &by_s, |o| o.d.judged_success),
            rate_cell(th, &by_f, |o| o.d.judged_success),
        ];
        t_push(&mut t, label, cells);
    }
    t.reading = reading_of(&t).unwrap_or_default();
    t.notes.push(format!(
        "{} sessions with a goal; 95% CIs clustered by user.",
        rows.len()
    ));
    t
}

fn fig_a2(th: &Threshold, all: &[&Obs]) -> Table {
    let rows: Vec<(&Obs, f64)> = all
        .iter()
        .filter_map(|o| o.decisions.and_then(|d| d.agent_share()).map(|s| (*o, s)))
        .collect();
    let mut t = table(
        "figa2_by_agent_share",
        "Fig. A2",
        "Actions and output words per prompt by the agent's share of decisions",
        Chart::Points,
        vec![
            col("actions_median", "Actions per prompt (median)", "ratio"),
            col(
                "actions_geomean",
                "Actions per prompt (geometric mean)",
                "ratio",
            ),
            col("words_median", "Words per prompt (median)", "ratio"),
            col(
                "words_geomean",
                "Words per prompt (geometric mean)",
                "ratio",
            ),
        ],
    );
    for b in 0..5usize {
        let in_band: Vec<&Obs> = rows
            .iter()
            .filter(|(_, s)| ((s * 5.0).floor() as usize).min(4) == b)
            .map(|p| p.0)
            .collect();
        let a: Vec<f64> = in_band
            .iter()
            .map(|o| o.f.telemetry.actions_per_prompt)
            .collect();
        let w: Vec<f64> = in_band
            .iter()
            .map(|o| o.f.telemetry.words_per_prompt)
            .collect();
        let cells = vec![
            value_cell(th, th.quantile(&a, 0.5), &in_band),
            value_cell(th, geometric_mean(&a).map(|g| g.value), &in_band),
            value_cell(th, th.quantile(&w, 0.5), &in_band),
            value_cell(th, geometric_mean(&w).map(|g| g.value), &in_band),
        ];
        t_push(&mut t, format!("{}–{}%", b * 20, b * 20 + 20), cells);
    }
    t.reading = reading_of(&t).unwrap_or_default();
    t.notes.push(format!(
        "{} sessions with attributed decisions; bands include their lower bound (the last \
         includes 100%). Geometric means leave out zero values.",
        rows.len()
    ));
    t
}

// ---- By agent ----------------------------------------------------------------------------

/// Id of the by-agent table (counts and success measures per agent).
pub const BY_AGENT: &str = "by_agent";
/// Id of the work-mode composition per agent.
pub const BY_AGENT_WORK_MODE: &str = "by_agent_work_mode";

/// The success measures of the by-agent table, among sessions with a goal (rubric §4):
/// (key, label, flag). Same definitions as Fig. 5, Fig. 6 and Fig. A1.
type AgentRate = (&'static str, &'static str, fn(&Obs) -> Option<bool>);
const BY_AGENT_RATES: [AgentRate; 4] = [
    ("judged", "Judged success", |o| o.d.judged_success),
    (
        "verified",
        "Verified success (Succeeded, success signal 4–5)",
        |o| o.d.verified_success,
    ),
    ("trouble", "Hit trouble (failure signal ≥ 3)", |o| {
        o.d.hit_trouble
    }),
    (
        "verified_failure",
        "Verified failure (Failed, failure signal 4–5)",
        |o| o.d.verified_failure,
    ),
];
/// Column of the by-agent table holding the session count (then the people count).
const BY_AGENT_SESSIONS: usize = BY_AGENT_RATES.len();

/// Whether `o` enters the by-agent rate in column `c`: a session with a goal whose flag is
/// defined.
fn in_agent_rate(o: &Obs, c: usize) -> bool {
    o.in_success_sample() && (BY_AGENT_RATES[c].2)(o).is_some()
}

/// Sessions, people, success measures and work-mode composition per agent: only when the data
/// hold more than one agent ([`AgentRows::table`]).
fn by_agent(th: &Threshold, all: &[&Obs], agents: &AgentRows) -> Vec<Table> {
    let mut columns: Vec<Column> = BY_AGENT_RATES
        .iter()
        .map(|(k, l, _)| col(k, l, "rate"))
        .collect();
    columns.push(col("sessions", "Interactive sessions", "count"));
    columns.push(col("people", "People", "count"));
    let mut t = table(
        BY_AGENT,
        "By agent",
        "Sessions, people and success by agent",
        Chart::Points,
        columns,
    );
    for (r, label) in agents.labels.iter().enumerate() {
        let rows: Vec<&Obs> = all.iter().copied().filter(|o| o.agent == Some(r)).collect();
        let mut cells: Vec<Cell> = BY_AGENT_RATES
            .iter()
            .enumerate()
            .map(|(c, (_, _, flag))| {
                let used: Vec<&Obs> = rows
                    .iter()
                    .copied()
                    .filter(|o| in_agent_rate(o, c))
                    .collect();
                rate_cell(th, &used, flag)
            })
            .collect();
        let (n, users) = (rows.len() as u64, distinct_users(&rows));
        cells.push(th.cell(Estimate::value(n as f64), n, users));
        cells.push(th.cell(Estimate::value(users as f64), n, users));
        t_push(&mut t, label.clone(), cells);
    }
    t.reading = reading_of(&t).unwrap_or_default();
    let goal = all.iter().filter(|o| o.in_success_sample()).count();
    t.notes.push(format!(
        "{} interactive sessions, {goal} sessions with a goal. Rates are among the sessions \
         with a goal (No clear goal excluded), with the definitions of Fig. 5, Fig. 6 and \
         Fig. A1; 95% intervals are Wilson intervals on the design-effect n, clustered by user.",
        all.len()
    ));
    if agents.labels.iter().any(|l| l == OTHER_AGENTS) {
        t.notes.push(format!(
            "\"{OTHER_AGENTS}\" pools the agents the sample block does not name (each with \
             sessions of too few people)."
        ));
    }
    t.notes.push(
        "Agents differ in what their transcripts record (docs/FORMATS.md), so part of a \
         difference between agents can come from the transcripts rather than the work."
            .into(),
    );

    let mut modes = table(
        BY_AGENT_WORK_MODE,
        "By agent",
        "Work-mode shares by agent",
        Chart::Stacked,
        WorkMode::ALL
            .iter()
            .map(|m| col(m.as_str(), m.as_str(), "share"))
            .collect(),
    );
    let mut extra = 0;
    for (r, label) in agents.labels.iter().enumerate() {
        let rows: Vec<&Obs> = all
            .iter()
            .copied()
            .filter(|o| o.agent == Some(r) && o.mode.is_some())
            .collect();
        let (cells, e) = composition(th, &rows, WorkMode::ALL.len(), |o| {
            o.mode.map(WorkMode::index)
        });
        extra += e;
        t_push(&mut modes, label.clone(), cells);
    }
    modes.notes.extend(complementary_note(extra));
    modes.reading = "How the mix of work modes differs between agents.".into();
    modes.notes.push(
        "Each row sums to 1 over its published cells (sessions with a work-mode label); 95% \
         CIs clustered by user."
            .into(),
    );
    vec![t, modes]
}

// ---- Classifier validation ---------------------------------------------------------------

/// "Writing code": codebase relation Modify or Create.
fn writes_code(o: &Obs) -> bool {
    matches!(
        o.relation,
        Some(CodebaseRelation::Modify) | Some(CodebaseRelation::Create)
    )
}

/// Telemetry shows lines added or removed.
fn lines_changed(o: &Obs) -> bool {
    o.f.telemetry.lines_added + o.f.telemetry.lines_removed > 0
}

fn validation(th: &Threshold, all: &[&Obs]) -> Table {
    let labelled: Vec<&Obs> = all
        .iter()
        .copied()
        .filter(|o| o.relation.is_some())
        .collect();
    let writes = writes_code;
    let changed = lines_changed;
    let mut t = table(
        "validation_writes_code",
        "Validation",
        "Classifier vs telemetry: sessions classified as writing code that show lines changed",
        Chart::Bars,
        vec![col("agreement", "Agreement", "share")],
    );
    let code: Vec<&Obs> = labelled.iter().copied().filter(|o| writes(o)).collect();
    let no_code: Vec<&Obs> = labelled.iter().copied().filter(|o| !writes(o)).collect();
    t_push(
        &mut t,
        "Classified as writing code: lines changed".into(),
        vec![rate_cell(th, &code, |o| Some(changed(o)))],
    );
    t_push(
        &mut t,
        "Classified as not writing code: no lines changed".into(),
        vec![rate_cell(th, &no_code, |o| Some(!changed(o)))],
    );
    t_push(
        &mut t,
        "All sessions: label and telemetry agree".into(),
        vec![rate_cell(th, &labelled, |o| Some(writes(o) == changed(o)))],
    );
    t.study_reference =
        Some("study: over 90% of sessions classified as producing code show lines changed".into());
    t.reading = reading_of(&t).unwrap_or_default();
    t.notes.push(
        "\"Writing code\" = codebase relation Modify existing code or Create new code from \
         scratch; lines changed = lines added + removed > 0 in telemetry. Agreement between two \
         classifier backends needs two label sets per session and is not computed from one \
         facets file."
            .into(),
    );
    t
}

// ---- Differential privacy ----------------------------------------------------------------

/// Which published cells get noise: Fig. 1's composition shares and Fig. 2's mean decision
/// shares. One release per published cell; ε is split evenly.
fn dp_targets(tables: &[Table]) -> usize {
    tables
        .iter()
        .filter(|t| DP_TABLES.contains(&t.id.as_str()))
        .flat_map(|t| &t.rows)
        .filter(|r| r.cells[0].value.is_some())
        .count()
}

const DP_TABLES: [&str; 3] = [
    "fig1_work_mode",
    "fig1_codebase_relation",
    "fig2_user_decision_share",
];

/// Replaces the targeted cells by OpenDP releases (no intervals: the clustered CI of the exact
/// share does not describe a noisy one) and returns the budget ledger. Without the `dp`
/// feature, or when a release fails, the cell is withheld (`value: None`) and the ledger's
/// mechanism says why: an exact number is never published under a DP label.
fn apply_dp(tables: &mut [Table], all: &[&Obs], dp: DpOptions) -> crate::results::DpLedger {
    let n = dp_targets(tables).max(1);
    let eps = dp.epsilon / n as f64;
    let mut budget = crate::dp::Budget::new(dp.epsilon, dp.max_sessions_per_user).ok();
    let mut failures: Vec<String> = Vec::new();
    for t in tables
        .iter_mut()
        .filter(|t| DP_TABLES.contains(&t.id.as_str()))
    {
        let id = t.id.clone();
        for row in &mut t.rows {
            let cell = &mut row.cells[0];
            if cell.value.is_none() {
                continue;
            }
            let what = format!("{id} / {}", row.label);
            let noisy = match budget.as_mut() {
                Some(b) => release(b, &id, &row.label, all, eps, &what),
                None => Err("invalid DP options (ε must be > 0, max sessions ≥ 1)".into()),
            };
            *cell = Cell {
                value: None,
                se: None,
                ci_low: None,
                ci_high: None,
                p_value: None,
                ..*cell
            };
            match noisy {
                Ok(v) => cell.value = v,
                Err(e) => failures.push(format!("{what}: {e}")),
            }
        }
        t.reading = match id.as_str() {
            "fig1_work_mode" => reading_work_mode(t),
            "fig1_codebase_relation" => reading_codebase(t),
            _ => reading_decision_means(t),
        };
        t.notes.push(format!(
            "Values carry differential-privacy noise (ε = {eps:.4} per cell, at most {} \
             sessions per person); no interval is shown for noisy values.",
            dp.max_sessions_per_user
        ));
    }
    let mut ledger = match budget {
        Some(b) => b.into_ledger(),
        None => crate::results::DpLedger {
            total_epsilon: dp.epsilon,
            max_sessions_per_user: dp.max_sessions_per_user,
            ..Default::default()
        },
    };
    if ledger.mechanism.is_empty() {
        ledger.mechanism = "OpenDP Laplace (discrete for counts), user-level bounding".into();
    }
    if !failures.is_empty() {
        ledger.mechanism = format!(
            "{}; {} release(s) withheld: {}",
            ledger.mechanism,
            failures.len(),
            failures.join("; ")
        );
    }
    ledger
}

/// One noisy release for a Fig. 1 / Fig. 2 row.
#[cfg(feature = "dp")]
fn release(
    b: &mut crate::dp::Budget,
    id: &str,
    label: &str,
    all: &[&Obs],
    eps: f64,
    what: &str,
) -> Result<Option<f64>, String> {
    let (flags_or_values, users): (Vec<f64>, Vec<u32>) = match id {
        "fig1_work_mode" => all
            .iter()
            .filter(|o| o.mode.is_some())
            .map(|o| {
                (
                    f64::from(u8::from(o.mode.map(WorkMode::as_str) == Some(label))),
                    o.user,
                )
            })
            .unzip(),
        "fig1_codebase_relation" => all
            .iter()
            .filter(|o| o.relation.is_some())
            .map(|o| {
                let hit = o.relation.map(CodebaseRelation::as_str) == Some(label);
                (f64::from(u8::from(hit)), o.user)
            })
            .unzip(),
        _ => all
            .iter()
            .filter_map(|o| {
                let d = o.decisions?;
                let v = if label == "Planning" {
                    d.user_planning_share()
                } else {
                    d.user_execution_share()
                };
                v.map(|v| (v, o.user))
            })
            .unzip(),
    };
    b.mean(what, &flags_or_values, &users, (0.0, 1.0), eps)
        .map_err(|e| e.to_string())
}

#[cfg(not(feature = "dp"))]
fn release(
    _b: &mut crate::dp::Budget,
    _id: &str,
    _label: &str,
    _all: &[&Obs],
    _eps: f64,
    _what: &str,
) -> Result<Option<f64>, String> {
    Err("this build has no differential privacy (cargo feature `dp`)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(day_of(0), "1970-01-01");
        assert_eq!(day_of(1_767_225_600_000), "2026-01-01");
        assert_eq!(day_of(951_782_400_000), "2000-02-29");
    }

    #[test]
    fn bins_cover_the_unit_interval() {
        assert_eq!(bin_of(0.0), 0);
        assert_eq!(bin_of(0.1), 1);
        assert_eq!(bin_of(0.999), 9);
        assert_eq!(bin_of(1.0), 9);
    }
}
