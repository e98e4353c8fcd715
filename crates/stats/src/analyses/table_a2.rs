//! Table A2: verified success by expertise level (indicators, Novice omitted), with the
//! unadjusted and the adjusted (predictive-margin) rates.

use super::prelude::*;
use super::table_a1::a1_rows;

pub(crate) const A2: Analysis = Analysis {
    tables: &["table_a2"],
    build: |cx, fits| vec![table_a2(&cx.th, &cx.all, fits, cx.agent_fe)],
    reading,
};

fn reading(t: &Table) -> Option<String> {
    Some(match (published(t, 0, 2), published(t, 4, 2)) {
        (Some(a), Some(b)) => format!(
            "Adjusted verified-success rate: {} at Novice, {} at Expert (Table A2 model).",
            pct(a),
            pct(b)
        ),
        _ => "Per-level verified-success rates; levels with too few people are suppressed.".into(),
    })
}

pub(crate) fn table_a2(th: &Threshold, all: &[&Obs], fits: &mut Fits, agent_fe: bool) -> Table {
    let (rows_v, _) = a1_rows(all);
    let y: Vec<f64> = rows_v.iter().map(|o| b2f(o.d.verified_success)).collect();
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
    a2.reading = reading(&a2).unwrap_or_default();
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
    a2
}
