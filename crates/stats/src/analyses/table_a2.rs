//! Table A2: verified success by expertise level (indicators, Novice omitted), with the
//! unadjusted and the adjusted (predictive-margin) rates.

use super::prelude::*;
use super::table_a1::a1_rows;

pub(crate) const A2: Analysis = Analysis {
    tables: &["table_a2"],
    build: |cx, fits| vec![table_a2(&cx.th, &cx.all, fits, cx.agent_fe)],
    reading,
};

fn reading(t: &Table, th: &Threshold) -> Option<String> {
    Some(match (published(t, 0, 2), published(t, 4, 2)) {
        (Some(a), Some(b)) => format!(
            "Adjusted verified-success rate: {} at Novice, {} at Expert (Table A2 model).",
            pct(a),
            pct(b)
        ),
        _ if th.personal => match level_span(t, 2, pct) {
            Some(span) => format!("Adjusted verified-success rate: {span} (Table A2 model)."),
            None => "The per-level model cannot be estimated from these sessions; the notes say \
                     why."
                .into(),
        },
        _ => "Per-level verified-success rates; levels with too few people are suppressed.".into(),
    })
}

/// The coefficient column's label: a contrast with the reference level.
fn coef_label(r: u8) -> String {
    if r == 1 {
        "Coefficient vs Novice".into()
    } else {
        format!("Coefficient vs {}", level_label(r))
    }
}

pub(crate) fn table_a2(th: &Threshold, all: &[&Obs], fits: &mut Fits, agent_fe: bool) -> Table {
    let (rows_v, _) = a1_rows(all);
    let y: Vec<f64> = rows_v.iter().map(|o| b2f(o.d.verified_success)).collect();
    // Table A2: indicators per level, Novice (or, without Novice sessions, the lowest level
    // present) omitted, full controls.
    let r = ref_level(th, &rows_v);
    let mut a2 = table(
        "table_a2",
        "Table A2",
        &format!(
            "Verified success by expertise level (indicators, {} omitted)",
            level_name(&level_label(r))
        ),
        Chart::None,
        vec![
            col("coef", &coef_label(r), "coef"),
            col("unadjusted", "Unadjusted rate", "rate"),
            col("adjusted", "Adjusted rate", "rate"),
        ],
    );
    let mut a2_notes = Vec::new();
    let fitted = fit_richest(th, &rows_v, &y, agent_fe).map(|(fit, spec)| {
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
        Ok(fit) => fit_counts(fit, &rows_v, |o| o.level == Some(r)).1,
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
                // A group contrast: the level's own people (the indicator's group) must
                // reach k, and so must the reference level's and the whole sample's.
                let mut c = if l == r {
                    th.cell(Estimate::default(), n, users)
                        .with_class(OutputClass::Coef)
                } else {
                    coef_cell_isolating(
                        th,
                        fit,
                        &format!("expertise_{l}"),
                        n,
                        users,
                        !th.allows(users),
                    )
                };
                // A contrast with Novice also describes the Novice group.
                if !th.allows(novice_users) || !th.allows(fit.n_clusters as u64) {
                    c = c.withhold(Withheld::FewPeople);
                }
                let adj = margin_cell(th, fit, &rows_v, l);
                // In a model saturated in the levels the coefficient is a difference of two
                // group means: published on the rounding grid like them.
                if adj.class == OutputClass::Share && !c.suppressed {
                    let e = th.round_on_grid(
                        Estimate {
                            value: c.value,
                            se: c.se,
                            ci_low: c.ci_low,
                            ci_high: c.ci_high,
                            p_value: c.p_value,
                        },
                        n,
                        (-1.0, 1.0),
                    );
                    c = Cell {
                        value: e.value,
                        se: e.se,
                        ci_low: e.ci_low,
                        ci_high: e.ci_high,
                        p_value: e.p_value,
                        ..c
                    };
                }
                (c, adj)
            }
            Err(_) => (empty_cell(th, &level_rows), empty_cell(th, &level_rows)),
        };
        let label = if l == r {
            format!("{} (reference)", level_label(l))
        } else {
            level_label(l)
        };
        t_push(&mut a2, label, vec![coef, unadj, adj]);
    }
    a2.reading = reading(&a2, th).unwrap_or_default();
    a2_notes.push(
        "Linear probability model with an indicator per level (Novice omitted) and the controls \
         of Table A1 column (6); adjusted rates are predictive margins; SEs clustered by user. \
         A coefficient is published only if its level, the Novice level and the estimation \
         sample each have at least k users."
            .replace(
                "(Novice omitted)",
                &format!("({} omitted)", level_name(&level_label(r))),
            ),
    );
    if r != 1 {
        a2_notes.push(format!(
            "No Novice session in the estimation sample: the omitted (reference) level is {}, \
             and each coefficient is the difference from it.",
            level_label(r)
        ));
    }
    if agent_fe {
        a2_notes.push(AGENT_FE_NOTE.into());
    }
    a2_notes.extend(extrapolation_note(&a2, &[2]));
    a2.notes = a2_notes;
    a2
}
