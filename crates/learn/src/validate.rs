//! Validation that cannot flatter: nested, person-grouped cross-validation.
//!
//! Outer folds are grouped by person; in each, a whole training run (its own person-grouped
//! model selection and its own learned-or-heuristic choice per facet) sees only the other
//! folds' people, and is scored on the held-out people. Reported per facet: the learned
//! model, the default classifier (learned where the fold's model chose it, heuristic
//! elsewhere), the heuristic, the constant classifier (the training folds' most common
//! label), and rater-vs-rater agreement on sessions rated twice; exact agreement by agent
//! group (Claude Code vs others).

use crate::facet::LearnedFacet;
use crate::metrics::{agreement, Agreement, Share};
use crate::train::{self, group_folds, Example, TrainOptions};
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt::Write;

#[derive(Debug, Clone, Serialize)]
pub struct Validation {
    pub folds: usize,
    pub seed: u64,
    pub sessions: usize,
    pub ratings: usize,
    pub people: usize,
    pub facets: Vec<FacetValidation>,
    /// Sessions rated by two raters (the first two, by rater name, are compared).
    pub double_rated: usize,
    /// What each outer fold's training chose, and how it did on the fold's people (JSON only:
    /// the diagnosis behind docs/VALIDATION.md's reading of the numbers).
    pub outer_folds: Vec<FoldDetail>,
    /// The held-out half of issue 13's person split (`scripts/labels/half-split.py`): people
    /// and ratings in it (0 when no held-out people were given).
    pub held_out_people: usize,
    pub held_out_ratings: usize,
}

/// One outer fold: its held-out people and, per facet, the model its training chose.
#[derive(Debug, Clone, Serialize)]
pub struct FoldDetail {
    pub fold: usize,
    pub people: usize,
    pub ratings: usize,
    /// (facet, chosen model as `kind/set/alpha`, learned chosen, learned exact on the fold,
    /// constant exact on the fold, ratings of the facet on the fold).
    pub facets: Vec<(String, String, bool, usize, usize, usize)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FacetValidation {
    pub facet: String,
    pub learned: Agreement,
    pub default: Agreement,
    pub heuristic: Agreement,
    pub constant: Agreement,
    pub raters: Option<Agreement>,
    /// Outer folds whose model chose the learned label for this facet.
    pub folds_learned: usize,
    /// Outer folds whose model chose the learned label and whose learned model is the constant
    /// classifier (the same label for every session).
    pub folds_constant: usize,
    /// The default's and the heuristic's agreement on the held-out half's ratings (`None`
    /// without held-out people). The default's labels there are the nested folds' (people
    /// outside training); the heuristic's rules were designed on the other half.
    pub held_out_default: Option<Agreement>,
    pub held_out_heuristic: Option<Agreement>,
    /// Exact agreement by agent group: (group, learned, default, heuristic).
    pub by_agent: Vec<(String, Share, Share, Share)>,
    /// Mean predicted probability of the learned label, and exact agreement among the
    /// ratings whose learned label has probability below 0.5.
    pub mean_confidence: f64,
    pub low_confidence: Share,
}

/// Run the nested validation with `outer` person-grouped folds; `held_out` names the people of
/// the held-out half (person keys), scored apart as well (empty: none).
pub fn validate(
    ex: &[Example],
    opts: &TrainOptions,
    outer: usize,
    held_out: &BTreeSet<String>,
) -> Result<Validation, String> {
    if ex.is_empty() {
        return Err("no labelled sessions to validate on".into());
    }
    let outer = outer.max(2);
    let users: Vec<&str> = ex.iter().map(|e| e.user.as_str()).collect();
    let folds = group_folds(&users, outer, opts.seed ^ 0x5eed);
    // preds[i][f] = (learned, p, default)
    let mut preds: Vec<train::Prediction> = vec![[None; 9]; ex.len()];
    let mut constant: Vec<[Option<usize>; 9]> = vec![[None; 9]; ex.len()];
    let mut chose = [0usize; 9];
    let mut constant_chosen = [0usize; 9];
    let mut outer_folds = Vec::new();
    for fold in 0..outer {
        let train_idx: Vec<usize> = (0..ex.len()).filter(|i| folds[*i] != fold).collect();
        let test_idx: Vec<usize> = (0..ex.len()).filter(|i| folds[*i] == fold).collect();
        if train_idx.is_empty() || test_idx.is_empty() {
            continue;
        }
        let model = train::train_subset(ex, &train_idx, opts)?;
        for fm in &model.facets {
            if let (true, Some(f)) = (fm.use_learned, LearnedFacet::by_name(&fm.facet)) {
                chose[f.index()] += 1;
                constant_chosen[f.index()] += usize::from(fm.spec == train::CONSTANT);
            }
        }
        for i in &test_idx {
            preds[*i] = train::predict(&model, &ex[*i].x, &ex[*i].heuristic);
            for f in LearnedFacet::ALL {
                constant[*i][f.index()] = majority(ex, &train_idx, f);
            }
        }
        let mut people: Vec<&str> = test_idx.iter().map(|i| ex[*i].user.as_str()).collect();
        people.sort_unstable();
        people.dedup();
        let facets = model
            .facets
            .iter()
            .filter_map(|fm| {
                let fi = LearnedFacet::by_name(&fm.facet)?.index();
                let rated: Vec<usize> = test_idx
                    .iter()
                    .copied()
                    .filter(|i| ex[*i].y[fi].is_some())
                    .collect();
                let hit = |p: &dyn Fn(usize) -> Option<usize>| {
                    rated.iter().filter(|i| p(**i) == ex[**i].y[fi]).count()
                };
                Some((
                    fm.facet.clone(),
                    format!("{:?}/{:?}/{}", fm.spec.kind, fm.spec.set, fm.spec.alpha),
                    fm.use_learned,
                    hit(&|i| preds[i][fi].map(|p| p.0)),
                    hit(&|i| constant[i][fi]),
                    rated.len(),
                ))
            })
            .collect();
        outer_folds.push(FoldDetail {
            fold,
            people: people.len(),
            ratings: test_idx.len(),
            facets,
        });
    }
    let mut out = Vec::new();
    for f in LearnedFacet::ALL {
        let fi = f.index();
        let level = move |c: usize| f.level(c);
        let lv: Option<&dyn Fn(usize) -> Option<i32>> =
            if f.ordinal() { Some(&level) } else { None };
        // Ratings of this facet that every classifier answered.
        let rows: Vec<usize> = (0..ex.len())
            .filter(|i| ex[*i].y[fi].is_some() && preds[*i][fi].is_some())
            .collect();
        if rows.is_empty() {
            continue;
        }
        let truth = |i: usize| ex[i].y[fi].unwrap_or(0);
        let pairs = |pick: &dyn Fn(usize) -> Option<usize>,
                     only: &dyn Fn(usize) -> bool|
         -> Vec<(usize, usize)> {
            rows.iter()
                .filter(|i| only(**i))
                .filter_map(|i| pick(*i).map(|p| (p, truth(*i))))
                .collect()
        };
        let learned = |i: usize| preds[i][fi].map(|p| p.0);
        let default = |i: usize| preds[i][fi].and_then(|p| p.2);
        let heur = |i: usize| ex[i].heuristic[fi];
        let cons = |i: usize| constant[i][fi];
        let all = |_: usize| true;
        let exact =
            |v: &[(usize, usize)]| Share::of(v.iter().filter(|(a, b)| a == b).count(), v.len());
        let mut by_agent = Vec::new();
        for (name, is) in [("Claude Code", true), ("other agents", false)] {
            let g = |i: usize| (ex[i].agent == "claude-code") == is;
            by_agent.push((
                name.to_string(),
                exact(&pairs(&learned, &g)),
                exact(&pairs(&default, &g)),
                exact(&pairs(&heur, &g)),
            ));
        }
        let conf: Vec<f64> = rows
            .iter()
            .filter_map(|i| preds[*i][fi].map(|p| p.1))
            .collect();
        let low = |i: usize| preds[i][fi].is_some_and(|p| p.1 < 0.5);
        let half = |i: usize| held_out.contains(&ex[i].user);
        let half_rows = rows.iter().filter(|i| half(**i)).count();
        let on_half = |pick: &dyn Fn(usize) -> Option<usize>| {
            (half_rows > 0).then(|| agreement(&pairs(pick, &half), lv))
        };
        out.push(FacetValidation {
            facet: f.name().into(),
            learned: agreement(&pairs(&learned, &all), lv),
            default: agreement(&pairs(&default, &all), lv),
            heuristic: agreement(&pairs(&heur, &all), lv),
            constant: agreement(&pairs(&cons, &all), lv),
            raters: rater_agreement(ex, f),
            folds_learned: chose[fi],
            folds_constant: constant_chosen[fi],
            held_out_default: on_half(&default),
            held_out_heuristic: on_half(&heur),
            by_agent,
            mean_confidence: conf.iter().sum::<f64>() / conf.len().max(1) as f64,
            low_confidence: exact(&pairs(&learned, &low)),
        });
    }
    let mut sessions: Vec<&str> = ex.iter().map(|e| e.session.as_str()).collect();
    sessions.sort_unstable();
    sessions.dedup();
    let mut people = users.clone();
    people.sort_unstable();
    people.dedup();
    Ok(Validation {
        folds: outer,
        seed: opts.seed,
        sessions: sessions.len(),
        ratings: ex.len(),
        people: people.len(),
        facets: out,
        double_rated: double_rated(ex).len(),
        outer_folds,
        held_out_people: people.iter().filter(|u| held_out.contains(**u)).count(),
        held_out_ratings: ex.iter().filter(|e| held_out.contains(&e.user)).count(),
    })
}

/// Sessions with two raters: (first, second) example indices, raters ordered by name.
fn double_rated(ex: &[Example]) -> Vec<(usize, usize)> {
    let mut by: std::collections::BTreeMap<&str, Vec<usize>> = Default::default();
    for (i, e) in ex.iter().enumerate() {
        by.entry(e.session.as_str()).or_default().push(i);
    }
    by.into_values()
        .filter_map(|mut v| {
            v.sort_by(|a, b| ex[*a].rater.cmp(&ex[*b].rater));
            v.dedup_by(|a, b| ex[*a].rater == ex[*b].rater);
            (v.len() >= 2).then(|| (v[0], v[1]))
        })
        .collect()
}

fn rater_agreement(ex: &[Example], f: LearnedFacet) -> Option<Agreement> {
    let fi = f.index();
    let pairs: Vec<(usize, usize)> = double_rated(ex)
        .into_iter()
        .filter_map(|(a, b)| Some((ex[a].y[fi]?, ex[b].y[fi]?)))
        .collect();
    if pairs.is_empty() {
        return None;
    }
    let level = move |c: usize| f.level(c);
    let lv: Option<&dyn Fn(usize) -> Option<i32>> = if f.ordinal() { Some(&level) } else { None };
    Some(agreement(&pairs, lv))
}

fn majority(ex: &[Example], idx: &[usize], f: LearnedFacet) -> Option<usize> {
    let mut counts = vec![0usize; f.classes().len()];
    for i in idx {
        if let Some(c) = ex[*i].y[f.index()] {
            counts[c] += 1;
        }
    }
    let m = (0..counts.len()).max_by_key(|c| (counts[*c], std::cmp::Reverse(*c)))?;
    (counts[m] > 0).then_some(m)
}

fn pct(s: &Share) -> String {
    format!(
        "{:.0}% [{:.0}–{:.0}]",
        s.p * 100.0,
        s.lo * 100.0,
        s.hi * 100.0
    )
}

impl Validation {
    /// The tables of docs/VALIDATION.md.
    pub fn to_markdown(&self) -> String {
        let mut m = String::new();
        let _ = writeln!(
            m,
            "{} ratings of {} sessions from {} people; {} person-grouped outer folds (seed {}); \
             {} sessions rated twice. Shares are of ratings, with 95% Wilson intervals \
             (they ignore clustering by person, so they are somewhat narrow).\n",
            self.ratings, self.sessions, self.people, self.folds, self.seed, self.double_rated
        );
        let _ = writeln!(m, "| facet | n | learned | default (per-facet choice) | heuristic | constant | raters (n) | κ learned / heuristic / raters | folds choosing learned |");
        let _ = writeln!(m, "|---|---|---|---|---|---|---|---|---|");
        for f in &self.facets {
            let raters = f.raters.as_ref().map_or("–".to_string(), |r| {
                format!("{} ({})", pct(&r.exact), r.exact.n)
            });
            let rk = f
                .raters
                .as_ref()
                .map_or("–".to_string(), |r| format!("{:.2}", r.kappa));
            let _ = writeln!(
                m,
                "| {} exact | {} | {} | {} | {} | {} | {} | {:.2} / {:.2} / {} | {}/{} |",
                f.facet,
                f.learned.exact.n,
                pct(&f.learned.exact),
                pct(&f.default.exact),
                pct(&f.heuristic.exact),
                pct(&f.constant.exact),
                raters,
                f.learned.kappa,
                f.heuristic.kappa,
                rk,
                f.folds_learned,
                self.folds
            );
            if let (Some(l), Some(d), Some(h), Some(c)) = (
                &f.learned.within,
                &f.default.within,
                &f.heuristic.within,
                &f.constant.within,
            ) {
                let raters = f
                    .raters
                    .as_ref()
                    .and_then(|r| r.within.as_ref())
                    .map_or("–".to_string(), |w| format!("{} ({})", pct(w), w.n));
                let _ = writeln!(
                    m,
                    "| {} within one | {} | {} | {} | {} | {} | {} | | |",
                    f.facet,
                    l.n,
                    pct(l),
                    pct(d),
                    pct(h),
                    pct(c),
                    raters
                );
            }
        }
        let _ = writeln!(
            m,
            "\nExact agreement by agent (learned / default / heuristic):\n"
        );
        let _ = writeln!(m, "| facet | Claude Code | other agents |");
        let _ = writeln!(m, "|---|---|---|");
        for f in &self.facets {
            let cell = |(_, l, d, h): &(String, Share, Share, Share)| {
                if l.n == 0 {
                    "–".to_string()
                } else {
                    format!(
                        "{:.0}% / {:.0}% / {:.0}% (n={})",
                        l.p * 100.0,
                        d.p * 100.0,
                        h.p * 100.0,
                        l.n
                    )
                }
            };
            let _ = writeln!(
                m,
                "| {} | {} | {} |",
                f.facet,
                cell(&f.by_agent[0]),
                cell(&f.by_agent[1])
            );
        }
        let _ = writeln!(m, "\nConfidence of the learned labels (mean predicted probability; exact agreement where it is below 0.5):\n");
        let _ = writeln!(
            m,
            "| facet | mean confidence | exact when confidence < 0.5 |"
        );
        let _ = writeln!(m, "|---|---|---|");
        for f in &self.facets {
            let _ = writeln!(
                m,
                "| {} | {:.2} | {} |",
                f.facet,
                f.mean_confidence,
                if f.low_confidence.n == 0 {
                    "–".into()
                } else {
                    format!("{} (n={})", pct(&f.low_confidence), f.low_confidence.n)
                }
            );
        }
        m
    }
}
