//! Building cells through the threshold: compositions with complementary suppression, rates,
//! plain values; table and column constructors; helpers readings use.

use super::prelude::*;

/// A share of `flags` over `rows` with its interval: clustered by user in team mode
/// ([`clustered_share`]); in personal mode the session is the unit ([`session_share`]: Wilson).
/// In team mode with rounding, the share is published on the grid the rounding allows for
/// its denominator ([`Threshold::round_share`]).
pub(crate) fn share_of(th: &Threshold, rows: &[&Obs], flags: &[bool]) -> Estimate {
    let m = if th.personal {
        session_share(flags)
    } else {
        let users: Vec<u32> = rows.iter().map(|o| o.user).collect();
        clustered_share(flags, &users)
    };
    th.round_share(
        m.map(|m| m.estimate()).unwrap_or_default(),
        rows.len() as u64,
    )
}

/// A magnitude cell over `rows` (a mean, quantile or index of the per-session `values`):
/// through the threshold and the dominance rule, each person's total of `values` (absolute,
/// finite ones) being their contribution.
pub(crate) fn magnitude_cell(
    th: &Threshold,
    est: Estimate,
    rows: &[&Obs],
    values: &[f64],
    class: OutputClass,
) -> Cell {
    let mut per: HashMap<u32, f64> = HashMap::new();
    for (o, v) in rows.iter().zip(values) {
        if v.is_finite() {
            *per.entry(o.user).or_default() += v.abs();
        }
    }
    let totals: Vec<f64> = per.into_values().collect();
    th.magnitude_cell(est, rows.len() as u64, distinct_users(rows), class, &totals)
}

/// A mean of `values` over `rows` with its interval: clustered by user in team mode
/// ([`clustered_mean`]); in personal mode over sessions ([`session_mean`]: HC1, t(n−1)).
pub(crate) fn mean_of(th: &Threshold, rows: &[&Obs], values: &[f64]) -> Option<ClusteredMean> {
    if th.personal {
        session_mean(values)
    } else {
        let users: Vec<u32> = rows.iter().map(|o| o.user).collect();
        clustered_mean(values, &users)
    }
}

pub(crate) fn distinct_users(rows: &[&Obs]) -> u64 {
    rows.iter().map(|o| o.user).collect::<HashSet<_>>().len() as u64
}

/// Share of sessions (among `rows`) flagged in `flags`, with its interval ([`share_of`]). The
/// privacy counts are those of the sessions in the category (the numerator): a share must not
/// reveal a category that fewer than `k` people are in.
pub(crate) fn composition_cell_flags(th: &Threshold, rows: &[&Obs], flags: &[bool]) -> Cell {
    let hits: Vec<&Obs> = rows
        .iter()
        .zip(flags)
        .filter(|(_, f)| **f)
        .map(|(o, _)| *o)
        .collect();
    let est = share_of(th, rows, flags);
    th.cell(est, hits.len() as u64, distinct_users(&hits))
        .with_class(OutputClass::Share)
}

/// A whole composition (shares of `rows` over categories `0..n`, `cat` giving each row's
/// category) with complementary suppression: shares sum to one and published cells carry
/// session counts, so a lone suppressed category could be recovered by subtraction. While the
/// suppressed categories together hold sessions of fewer than `k` people, the smallest
/// published category is suppressed too. Returns the cells and how many were suppressed for
/// that reason.
pub(crate) fn composition(
    th: &Threshold,
    rows: &[&Obs],
    n: usize,
    cat: impl Fn(&Obs) -> Option<usize>,
) -> (Vec<Cell>, usize) {
    let cats: Vec<Option<usize>> = rows.iter().map(|o| cat(o)).collect();
    composition_of(th, rows, n, &cats)
}

/// [`composition`] with one category per row given directly.
pub(crate) fn composition_of(
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
pub(crate) fn complementary_suppression(
    th: &Threshold,
    cells: &mut [Cell],
    users: &[HashSet<u32>],
) -> usize {
    // With rounding, the hidden mass is the rounded total minus rounded counts: known only
    // to within the rounding, and the whole-document pass (`links`) withdraws what rounding
    // cannot protect.
    if th.personal || th.rounds() {
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
        cells[i] = cells[i].withhold(Withheld::Protection);
        extra += 1;
    }
}

pub(crate) fn complementary_note(extra: usize) -> Option<String> {
    (extra > 0).then(|| {
        format!(
            "{extra} cell(s) with enough people were also suppressed, so that suppressed cells \
             cannot be recovered by subtraction from the published ones."
        )
    })
}

/// Rate of `flag` among the rows where it is defined, with its interval ([`share_of`]); the privacy
/// counts are those of the rows the rate is computed on.
pub(crate) fn rate_cell(
    th: &Threshold,
    rows: &[&Obs],
    flag: impl Fn(&Obs) -> Option<bool>,
) -> Cell {
    let used: Vec<(&Obs, bool)> = rows
        .iter()
        .filter_map(|o| flag(o).map(|b| (*o, b)))
        .collect();
    let flags: Vec<bool> = used.iter().map(|p| p.1).collect();
    let rows_used: Vec<&Obs> = used.iter().map(|p| p.0).collect();
    let est = share_of(th, &rows_used, &flags);
    th.cell(est, rows_used.len() as u64, distinct_users(&rows_used))
        .with_class(OutputClass::Share)
}

pub(crate) fn value_cell(th: &Threshold, v: Option<f64>, rows: &[&Obs]) -> Cell {
    th.cell(
        v.map(Estimate::value).unwrap_or_default(),
        rows.len() as u64,
        distinct_users(rows),
    )
}

/// A cell that cannot be estimated (no data); suppressed if it is below `k` anyway.
pub(crate) fn empty_cell(th: &Threshold, rows: &[&Obs]) -> Cell {
    value_cell(th, None, rows)
}

pub(crate) fn col(key: &str, label: &str, unit: &str) -> Column {
    Column {
        key: key.into(),
        label: label.into(),
        unit: unit.into(),
    }
}

pub(crate) fn table(
    id: &str,
    figure: &str,
    title: &str,
    chart: Chart,
    columns: Vec<Column>,
) -> Table {
    Table {
        id: id.into(),
        figure: figure.into(),
        title: title.into(),
        chart,
        columns,
        ..Default::default()
    }
}

pub(crate) fn pct(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

pub(crate) fn signed_pct(x: f64) -> String {
    format!("{:+.1}%", x * 100.0)
}

pub(crate) const LEVELS: [u8; 5] = [1, 2, 3, 4, 5];

pub(crate) fn level_label(l: u8) -> String {
    let name = Expertise::from_level(l).map_or("?", Expertise::name);
    format!("{l} {name}")
}

/// The row of `t` with the largest published value in column `c`.
pub(crate) fn argmax(t: &Table, c: usize) -> Option<(&str, f64)> {
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

pub(crate) fn published(t: &Table, row: usize, c: usize) -> Option<f64> {
    t.rows
        .get(row)
        .and_then(|r| r.cells.get(c))
        .and_then(|x| x.value)
}

pub(crate) fn t_push(t: &mut Table, label: String, cells: Vec<Cell>) {
    t.rows.push(Row { label, cells });
}

// ---- compositions as data ----------------------------------------------------------------

/// A categorical label: its categories' names, in order, and each session's category.
pub(crate) struct Categories {
    pub names: fn() -> Vec<&'static str>,
    pub of: fn(&Obs) -> Option<usize>,
}

impl Categories {
    pub(crate) fn len(&self) -> usize {
        (self.names)().len()
    }
}

pub(crate) const WORK_MODES: Categories = Categories {
    names: || WorkMode::ALL.iter().map(|m| m.as_str()).collect(),
    of: |o| o.mode.map(WorkMode::index),
};

pub(crate) const CODEBASE_RELATIONS: Categories = Categories {
    names: || CodebaseRelation::ALL.iter().map(|r| r.as_str()).collect(),
    of: |o| o.relation.map(CodebaseRelation::index),
};

/// A table of shares of the sessions with a label over its categories (one row per
/// category, one column).
pub(crate) struct Composition {
    pub id: &'static str,
    pub figure: &'static str,
    pub title: &'static str,
    pub categories: &'static Categories,
    pub study_reference: Option<&'static str>,
    /// What the sessions counted in the last note are ("interactive sessions with a …").
    pub count_note: &'static str,
    /// Whether the count note also says how the intervals were computed.
    pub note_interval: bool,
}

/// Builds a [`Composition`] over every session of `cx` with the label: the shares with
/// complementary suppression, the study's reference, the reading, the count note.
pub(crate) fn composition_table(
    spec: &Composition,
    cx: &Ctx,
    reading: fn(&Table, &Threshold) -> String,
) -> Table {
    let cats = spec.categories;
    let rows: Vec<&Obs> = cx
        .all
        .iter()
        .copied()
        .filter(|o| (cats.of)(o).is_some())
        .collect();
    let mut t = table(
        spec.id,
        spec.figure,
        spec.title,
        Chart::Bars,
        vec![col("share", "Share of sessions", "share")],
    );
    let (cells, extra) = composition(&cx.th, &rows, cats.len(), cats.of);
    for (name, cell) in (cats.names)().into_iter().zip(cells) {
        t_push(&mut t, name.into(), vec![cell]);
    }
    t.notes.extend(complementary_note(extra));
    t.study_reference = spec.study_reference.map(String::from);
    t.reading = reading(&t, &cx.th);
    let interval = if spec.note_interval {
        "; 95% CIs clustered by user"
    } else {
        ""
    };
    t.notes
        .push(format!("{} {}{interval}.", rows.len(), spec.count_note));
    t
}

/// Shares over `cats` within each group (one row per group, one column per category), with
/// complementary suppression within each row. Returns the rows' cells and the number of cells
/// suppressed for complementarity.
pub(crate) fn composition_rows(
    th: &Threshold,
    cats: &Categories,
    groups: Vec<(String, Vec<&Obs>)>,
    t: &mut Table,
) -> usize {
    let mut extra = 0;
    for (label, rows) in groups {
        let (cells, e) = composition(th, &rows, cats.len(), cats.of);
        extra += e;
        t_push(t, label, cells);
    }
    extra
}

/// One column per category of `cats`, each a share.
pub(crate) fn category_columns(cats: &Categories) -> Vec<Column> {
    (cats.names)()
        .into_iter()
        .map(|m| col(m, m, "share"))
        .collect()
}

// ---- readings by mode --------------------------------------------------------------------

/// The sentence a reading falls back to when the cells it reads have no value. In team mode
/// that means suppression (`team`); in personal mode nothing is suppressed, so it means the
/// sessions do not allow the estimate (`personal`): never "too few people".
pub(crate) fn missing(th: &Threshold, team: &str, personal: &str) -> String {
    if th.personal { personal } else { team }.to_string()
}

/// Why the cells of `t` are withheld, in a fixed order (few people, protection, dominance).
pub(crate) fn withheld_reasons(t: &Table) -> Vec<Withheld> {
    let mut out = Vec::new();
    for w in [
        Withheld::FewPeople,
        Withheld::Protection,
        Withheld::Dominance,
    ] {
        let any = t
            .rows
            .iter()
            .flat_map(|r| &r.cells)
            .any(|c| c.suppressed && c.withheld.unwrap_or(Withheld::FewPeople) == w);
        if any {
            out.push(w);
        }
    }
    out
}

/// The reasons in words: "fewer than 3 people", "so that a hidden cell cannot be recovered
/// from other tables", "dominated by one or two people", joined with "or".
pub(crate) fn reasons_phrase(reasons: &[Withheld], k: u32) -> String {
    reasons
        .iter()
        .map(|w| match w {
            Withheld::FewPeople => format!("fewer than {k} people"),
            Withheld::Protection => {
                "so that a hidden cell cannot be recovered from other tables".to_string()
            }
            Withheld::Dominance => "dominated by one or two people".to_string(),
        })
        .collect::<Vec<_>>()
        .join(", or ")
}

/// Team mode: a reading that blames too few people when (some of) the cells it could not read
/// were withheld for another reason says the reasons that hold instead, so a headline never
/// claims "too few people" when the cause is the protection or dominance.
pub(crate) fn match_headline(t: &mut Table, th: &Threshold) {
    if th.personal || !t.reading.to_lowercase().contains("too few people") {
        return;
    }
    let reasons = withheld_reasons(t);
    if reasons.is_empty() || reasons == [Withheld::FewPeople] {
        return;
    }
    let why = reasons_phrase(&reasons, th.min_users);
    t.reading = if t.reading.starts_with("Too few people") {
        format!("Not published: the cells this reading needs are withheld ({why}).")
    } else {
        // "…; levels with too few people are suppressed."
        let head = t
            .reading
            .split(';')
            .next()
            .unwrap_or(&t.reading)
            .trim_end_matches('.');
        format!("{head}; some cells are withheld ({why}).")
    };
}

/// Team mode: says how many cells the dominance rule withheld, with its parameters.
pub(crate) fn dominance_note(t: &mut Table, th: &Threshold) {
    let Some(d) = th.rules.dominance.filter(|_| !th.personal) else {
        return;
    };
    let n = t
        .rows
        .iter()
        .flat_map(|r| &r.cells)
        .filter(|c| c.suppressed && c.withheld == Some(Withheld::Dominance))
        .count();
    if n > 0 {
        t.notes.push(format!(
            "{n} cell(s) withheld because one or two people hold most of the total: the {} largest contributors hold at least {}% of it, or the rest is under {}% of the largest (nk and p% dominance rules, per person).",
            d.n, d.k_percent, d.p_percent
        ));
    }
}

/// A row label and its value.
pub(crate) type LabelledValue<'a> = (&'a str, f64);

/// The first and the last row with a value in column `c` (by expertise: the lowest and the
/// highest level with sessions), with their values; the same row twice when only one has one.
pub(crate) fn ends(t: &Table, c: usize) -> Option<(LabelledValue<'_>, LabelledValue<'_>)> {
    let vals: Vec<(&str, f64)> = t
        .rows
        .iter()
        .filter_map(|r| r.cells.get(c)?.value.map(|v| (r.label.as_str(), v)))
        .collect();
    Some((*vals.first()?, *vals.last()?))
}

/// "Intermediate" from the row label "3 Intermediate" (or "1 Novice (reference)").
pub(crate) fn level_name(label: &str) -> &str {
    let name = label.split_once(' ').map_or(label, |(_, n)| n);
    name.trim_end_matches(" (reference)")
}

/// "X at Novice, Y at Expert" over the published levels' ends (personal readings), `fmt`
/// formatting a value; `None` when no level has a value.
pub(crate) fn level_span(t: &Table, c: usize, fmt: impl Fn(f64) -> String) -> Option<String> {
    let ((lo, a), (hi, b)) = ends(t, c)?;
    Some(if lo == hi {
        format!("{} (every session at {})", fmt(a), level_name(lo))
    } else {
        format!(
            "{} at {}, {} at {}",
            fmt(a),
            level_name(lo),
            fmt(b),
            level_name(hi)
        )
    })
}

// ---- notes by mode -----------------------------------------------------------------------

/// How the notes' words about intervals change in personal mode: (team phrase, personal
/// phrase), the more specific first. The team phrases are the builders' own (team output stays
/// as it was); in personal mode the session is the unit, so every "clustered by user" becomes
/// what was computed instead. A test checks that no personal document keeps a team phrase.
pub(crate) const PERSONAL_PHRASES: [(&str, &str); 8] = [
    (
        "Standard errors clustered by user (CR1), p-values from t(G−1).",
        "Heteroskedasticity-robust standard errors (HC1) with the session as the unit — one \
         person's sessions, so the regression runs within the person — and p-values from \
         t(n − parameters).",
    ),
    (
        "SEs clustered by user. A coefficient is published only if its level, the Novice level \
         and the estimation sample each have at least k users.",
        "heteroskedasticity-robust (HC1) SEs with the session as the unit: the model runs \
         within one person.",
    ),
    (
        "SEs clustered by user (CR1)",
        "heteroskedasticity-robust (HC1) SEs with the session as the unit (the regression runs \
         within one person)",
    ),
    (
        "support; 95% CIs clustered by user.",
        "support; 95% CIs from heteroskedasticity-robust (HC1) SEs, the session as the unit.",
    ),
    (
        "95% intervals are Wilson intervals on the design-effect n, clustered by user.",
        "95% intervals are Wilson score intervals over the sessions.",
    ),
    (
        "95% CIs clustered by user, clipped to [0, 1].",
        "95% CIs over sessions (HC1 SE, t(n−1)), clipped to [0, 1].",
    ),
    (
        "95% CIs clustered by user.",
        "95% intervals over sessions (Wilson for shares, HC1 SE and t(n−1) for means).",
    ),
    (
        "standard errors clustered by user.",
        "heteroskedasticity-robust (HC1) standard errors, the session as the unit.",
    ),
];

/// `text` in personal mode's words ([`PERSONAL_PHRASES`]): for notes, and for captions other
/// crates write about these tables (the report's section captions).
pub fn personal_words(text: &str) -> String {
    let mut out = text.to_string();
    for (team, personal) in PERSONAL_PHRASES {
        if out.contains(team) {
            out = out.replace(team, personal);
        }
    }
    out
}

/// Rewrites `t`'s notes for personal mode ([`PERSONAL_PHRASES`]).
pub(crate) fn personal_notes(t: &mut Table) {
    for note in &mut t.notes {
        *note = personal_words(note);
    }
}
