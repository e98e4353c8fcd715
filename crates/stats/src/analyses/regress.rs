//! What the regression tables share: fixed effects, fitting, coefficient and margin cells,
//! the common estimation sample of Table A1 / A2 and Fig. 5, Table A1's specifications.

use super::prelude::*;

/// Fixed effects used as controls (rubric §5, Table A1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fe {
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
    pub(crate) fn name(self) -> &'static str {
        match self {
            Fe::ModeBand => "work mode × value band",
            Fe::Month => "month",
            Fe::WorkPerformed => "work-performed occupation",
            Fe::UserProfile => "user-profile occupation",
            Fe::TierLength => "model tier × session-length band",
            Fe::Agent => "agent",
        }
    }
    pub(crate) fn key(self, o: &Obs) -> Option<String> {
        match self {
            Fe::ModeBand => Some(format!("{}|{}", o.mode?.as_str(), o.band()?.as_str())),
            Fe::Month => o.month().map(String::from),
            Fe::WorkPerformed => o.performed.map(|p| p.as_str().to_string()),
            Fe::UserProfile => o.profile.map(|p| p.as_str().to_string()),
            // Unknown model calls (a format that records no request): no length band.
            Fe::TierLength => Some(format!(
                "{}|{}",
                o.f.telemetry.model_family.as_deref().unwrap_or("unknown"),
                length_band(o.f.telemetry.model_calls?)
            )),
            Fe::Agent => Some(o.f.agent.clone()),
        }
    }
}

/// Session-length band by model calls (the control of Table A1 column 6).
pub(crate) fn length_band(calls: u32) -> &'static str {
    match calls {
        0..=9 => "1–9 calls",
        10..=29 => "10–29 calls",
        30..=99 => "30–99 calls",
        _ => "100+ calls",
    }
}

/// `fes`, plus the agent fixed effect when `agent_fe` (the data hold more than one agent).
pub(crate) fn with_agent(fes: &[Fe], agent_fe: bool) -> Vec<Fe> {
    let mut v = fes.to_vec();
    if agent_fe {
        v.push(Fe::Agent);
    }
    v
}

/// The sentence the regression tables' notes add when the agent fixed effect is in.
pub(crate) const AGENT_FE_NOTE: &str =
    "The data hold sessions of more than one agent: agent fixed effects \
     are added, so differences between agents do not enter the expertise estimates.";

pub(crate) const ALL_FE: [Fe; 5] = [
    Fe::ModeBand,
    Fe::Month,
    Fe::WorkPerformed,
    Fe::UserProfile,
    Fe::TierLength,
];

/// Fits `y ~ x + controls | fes` on `rows` (which must have every FE key): SEs clustered by
/// user in team mode, HC1 over sessions in personal mode (one person: the regression runs
/// within the person, the session is the unit).
pub(crate) fn fit_on(
    th: &Threshold,
    rows: &[&Obs],
    y: &[f64],
    x: &[(String, Vec<f64>)],
    fes: &[Fe],
) -> Result<Fit, String> {
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
    let opts = FitOptions {
        vcov: if th.personal { Vcov::Hc1 } else { Vcov::Cr1 },
        ..FitOptions::default()
    };
    fit(&design, &opts).map_err(|e| e.to_string())
}

/// [`fit_on`] with `fes`; in personal mode, when one person's sessions cannot carry them all,
/// with the longest prefix of `fes` they can (dropping controls from the end). Returns the fit
/// and how many of `fes` it has. Team mode tries `fes` only, as the study did.
pub(crate) fn fit_fewer(
    th: &Threshold,
    rows: &[&Obs],
    y: &[f64],
    x: &[(String, Vec<f64>)],
    fes: &[Fe],
) -> Result<(Fit, usize), String> {
    let first = fit_on(th, rows, y, x, fes);
    match first {
        Ok(fit) => Ok((fit, fes.len())),
        Err(e) if !th.personal => Err(e),
        Err(e) => (0..fes.len())
            .rev()
            .find_map(|m| fit_on(th, rows, y, x, &fes[..m]).ok().map(|f| (f, m)))
            .ok_or(e),
    }
}

/// The note for a fit that ran but could not identify `name` (dropped as collinear): the
/// reason in words, or `None` when the coefficient is there.
pub(crate) fn unidentified_note(fit: &Fit, name: &str, what: &str) -> Option<String> {
    fit.collinear.iter().any(|c| c == name).then(|| {
        format!(
            "{what}: the expertise coefficient is not identified — expertise does not vary \
             within the fixed-effect groups (for example, every session at one level), so the \
             data cannot separate its effect."
        )
    })
}

/// Users and sessions in a fit's estimation sample (optionally only rows matching `pred`).
pub(crate) fn fit_counts(fit: &Fit, rows: &[&Obs], pred: impl Fn(&Obs) -> bool) -> (u64, u64) {
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

/// A coefficient of `fit` (class [`OutputClass::Coef`], with the model's residual degrees of
/// freedom) through the safe-output rule ([`Threshold::coef_cell`]). `isolates_small_group`:
/// the regressor is an indicator of a group of fewer than `k` people.
pub(crate) fn coef_cell(th: &Threshold, fit: &Fit, name: &str, n: u64, users: u64) -> Cell {
    coef_cell_isolating(th, fit, name, n, users, false)
}

pub(crate) fn coef_cell_isolating(
    th: &Threshold,
    fit: &Fit,
    name: &str,
    n: u64,
    users: u64,
    isolates_small_group: bool,
) -> Cell {
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
    th.coef_cell(
        est,
        n,
        users,
        Some(fit.residual_df as u64),
        isolates_small_group,
    )
}

/// The omitted (reference) expertise level of the indicator regressions: Novice (1), or, in
/// personal mode when `rows` hold no Novice session (common in one person's data), the lowest
/// level they hold — so every coefficient is a contrast with a level that is there.
///
/// The same in team mode: without Novice sessions, keeping Novice as the reference made the
/// indicators collinear, the fit dropped the last one, and the coefficients labelled "vs
/// Novice" were really contrasts with Expert.
pub(crate) fn ref_level(_th: &Threshold, rows: &[&Obs]) -> u8 {
    rows.iter().filter_map(|o| o.level).min().unwrap_or(1)
}

/// One indicator per expertise level except [`ref_level`].
pub(crate) fn level_indicators(th: &Threshold, rows: &[&Obs]) -> Vec<(String, Vec<f64>)> {
    let r = ref_level(th, rows);
    (1..=5u8)
        .filter(|&l| l != r)
        .map(|l| {
            let v = rows
                .iter()
                .map(|o| f64::from(u8::from(o.level == Some(l))))
                .collect();
            (format!("expertise_{l}"), v)
        })
        .collect()
}

/// The indicators' values that put every session at level `l` (reference level `r`).
pub(crate) fn margin_set(l: u8, r: u8) -> Vec<(String, f64)> {
    (1..=5u8)
        .filter(|&j| j != r)
        .map(|j| (format!("expertise_{j}"), f64::from(u8::from(j == l))))
        .collect()
}

pub(crate) fn margin_cell(th: &Threshold, fit: &Fit, rows: &[&Obs], l: u8) -> Cell {
    let (n, users) = fit_counts(fit, rows, |o| o.level == Some(l));
    let r = ref_level(th, rows);
    let estimable = n > 0 && (l == r || fit.coef(&format!("expertise_{l}")).is_some());
    // A margin of a model whose only regressors are the level indicators is the level's raw
    // rate: a share, linear in counts. Otherwise a group contrast of a model: the per-level k
    // rule applies (the counts `n`, `users` are the level's).
    let levels: HashSet<u8> = fit.sample.iter().filter_map(|&i| rows[i].level).collect();
    let class = if fit.n_obs.saturating_sub(fit.residual_df) <= levels.len() {
        OutputClass::Share
    } else {
        OutputClass::Coef
    };
    if !estimable {
        return th.cell(Estimate::default(), n, users).with_class(class);
    }
    let set = margin_set(l, r);
    let set: Vec<(&str, f64)> = set.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let m = fit.margin(&set);
    // A rate cannot leave [0, 1]; a linear probability model's margin can. The estimate is
    // kept as the model gives it (and flagged by `extrapolation_note`); only the interval shown
    // is clipped.
    let est = Estimate {
        value: Some(m.estimate),
        se: Some(m.se),
        ci_low: Some(m.ci_low.clamp(0.0, 1.0)),
        ci_high: Some(m.ci_high.clamp(0.0, 1.0)),
        p_value: None,
    };
    // A group mean in disguise is published like a share: on the rounding grid.
    let est = if class == OutputClass::Share {
        th.round_share(est, n)
    } else {
        est
    };
    th.cell(est, n, users).with_class(class)
}

/// A note naming the published margins (in `cols` of `t`) that lie outside [0, 1].
pub(crate) fn extrapolation_note(t: &Table, cols: &[usize]) -> Option<String> {
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

/// The common estimation sample of Table A1 / A2 and Fig. 5: success sample, expertise 1–5,
/// every control known, at least one model call (ln(model calls) is a control).
pub(crate) fn a1_sample<'a>(all: &[&'a Obs<'a>]) -> (Vec<&'a Obs<'a>>, Vec<String>) {
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
pub(crate) fn in_a1_sample(o: &Obs) -> bool {
    o.in_success_sample()
        && o.level.is_some()
        && o.band().is_some()
        && ALL_FE.iter().all(|fe| fe.key(o).is_some())
        && o.f.telemetry.model_calls.is_some_and(|c| c > 0)
}

pub(crate) fn controls_x(rows: &[&Obs]) -> Vec<(String, Vec<f64>)> {
    vec![
        (
            "ln(model calls)".into(),
            rows.iter()
                .map(|o| f64::from(o.f.telemetry.model_calls.unwrap_or(0)).ln())
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

pub(crate) fn b2f(b: Option<bool>) -> f64 {
    b.map_or(f64::NAN, |b| if b { 1.0 } else { 0.0 })
}

/// Table A1's cumulative columns: (label, fixed effects, ln(model calls) + ln(human turns)).
pub(crate) const SPECS: [(&str, &[Fe], bool); 6] = [
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
pub(crate) fn fit_richest(
    th: &Threshold,
    rows: &[&Obs],
    y: &[f64],
    agent_fe: bool,
) -> Result<(Fit, &'static str), String> {
    let mut last = String::from("no specification tried");
    for (label, fes, ln_controls) in SPECS.iter().rev() {
        let mut x = level_indicators(th, rows);
        if *ln_controls {
            x.extend(controls_x(rows));
        }
        match fit_on(th, rows, y, &x, &with_agent(fes, agent_fe)) {
            Ok(fit) => return Ok((fit, label)),
            Err(e) => last = e,
        }
    }
    Err(last)
}
