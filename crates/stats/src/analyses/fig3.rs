//! Fig. 3: actions and output words per prompt by expertise level, and the log-linear regression.

use super::prelude::*;

pub(crate) const ANALYSIS: Analysis = Analysis {
    tables: &[
        "fig3_actions_by_expertise",
        "fig3_words_by_expertise",
        "fig3_regression",
    ],
    build: |cx, fits| fig3(&cx.th, &cx.all, fits, cx.agent_fe),
    reading,
};

fn reading(t: &Table, th: &Threshold) -> Option<String> {
    Some(match t.id.as_str() {
        "fig3_regression" => match (published(t, 0, 1), published(t, 1, 1)) {
            (Some(a), Some(w)) => format!(
                "Each expertise level goes with {} actions and {} output words per prompt, \
                 holding the controls fixed.",
                signed_pct(a),
                signed_pct(w)
            ),
            (a, w) if th.personal && (a.is_some() || w.is_some()) => format!(
                "Each expertise level goes with {} actions and {} output words per prompt, \
                 holding the controls fixed.",
                a.map_or("an unestimable change in".into(), signed_pct),
                w.map_or("an unestimable change in".into(), signed_pct)
            ),
            _ => missing(
                th,
                "Too few people to publish the per-level effects.",
                "The per-level effects cannot be estimated from these sessions; the notes say why.",
            ),
        },
        _ => {
            let what = t.title.trim_end_matches(" by expertise level");
            match (published(t, 0, 5), published(t, 4, 5)) {
                (Some(a), Some(b)) => format!(
                    "Geometric mean {}: {a:.1} for Novice sessions, {b:.1} for Expert sessions.",
                    what.to_lowercase()
                ),
                _ if th.personal => match level_span(t, 5, |v| format!("{v:.1}")) {
                    Some(span) => format!("Geometric mean {}: {span}.", what.to_lowercase()),
                    None => format!(
                        "{what}: no session with an expertise level and a value above zero."
                    ),
                },
                _ => format!("{what} by expertise; levels with too few people are suppressed."),
            }
        }
    })
}

pub(crate) const FIG3_FE: [Fe; 3] = [Fe::ModeBand, Fe::Month, Fe::WorkPerformed];

pub(crate) fn fig3(th: &Threshold, all: &[&Obs], fits: &mut Fits, agent_fe: bool) -> Vec<Table> {
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
            let q = |v: Option<f64>, class| {
                magnitude_cell(
                    th,
                    v.map(Estimate::value).unwrap_or_default(),
                    &rows,
                    &vals,
                    class,
                )
            };
            let cells = vec![
                q(b.map(|b| b.p5), OutputClass::Quantile),
                q(b.map(|b| b.p25), OutputClass::Quantile),
                q(b.map(|b| b.median), OutputClass::Quantile),
                q(b.map(|b| b.p75), OutputClass::Quantile),
                q(b.map(|b| b.p95), OutputClass::Quantile),
                q(g.map(|g| g.value), OutputClass::Mean),
            ];
            t_push(&mut t, level_label(l), cells);
        }
        t.reading = reading(&t, th).unwrap_or_default();
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
        match fit_fewer(th, &sample, &y, &x, &fig3_fe) {
            Ok((fit, used)) => {
                if used < fig3_fe.len() {
                    let kept: Vec<&str> = fig3_fe[..used].iter().map(|fe| fe.name()).collect();
                    notes.push(format!(
                        "{label}: fixed effects for {} only — these sessions cannot carry more.",
                        if kept.is_empty() {
                            "none".to_string()
                        } else {
                            kept.join(", ")
                        }
                    ));
                }
                notes.extend(unidentified_note(&fit, "expertise", label));
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
    reg.reading = reading(&reg, th).unwrap_or_default();
    reg.notes = notes;
    out.push(reg);
    out
}
